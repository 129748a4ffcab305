-- wrk driver for payments-service, with a bearer token.
--   wrk ... -s payments.lua -- new RUN_ID 0        POST /v1/accounts: a new intent on a new aggregate per
--                                                  request (its own Idempotency-Key and account id)
--   wrk ... -s payments.lua -- replay RUN_ID KEYS  POST /v1/payments: repeats of KEYS payments created
--                                                  beforehand as "RUN_ID-replay-i" on account "B-(i mod 1000)"
-- New intents open accounts rather than add payments because the example's
-- account holds its payments: thousands of payments on one account make each
-- command carry a large state, which is the domain's cost, not the HTTP path's.
-- No response() callback: with one, wrk parses every answer's headers into a
-- Lua table, CPU taken from the service it measures on the same cores.
-- bench/http-bench checks the outcome in the database instead.
local thread_count = 0

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  mode = args[1]
  run_id = args[2]
  spread = tonumber(args[3])
  sent = 0
end

local function payment(account)
  return '{"account_id":"B-' .. account .. '","amount":{"value":1,"currency":"EUR"},"description":"bench"}'
end

local function headers(key)
  return {
    ["Authorization"] = "Bearer bench-token",
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }
end

function request()
  sent = sent + 1
  if mode == "new" then
    local id = run_id .. "-t" .. thread_number .. "-" .. sent
    return wrk.format("POST", "/v1/accounts", headers(id),
                      '{"account_id":"' .. id .. '","currency":"EUR","credit_limit":1000}')
  end
  local i = (sent * 7919 + thread_number * 104729) % spread
  return wrk.format("POST", "/v1/payments", headers(run_id .. "-replay-" .. i), payment(i % 1000))
end
