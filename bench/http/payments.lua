-- wrk driver for payments-service, with a bearer token.
--   wrk ... -s payments.lua -- new RUN_ID 0        POST /v1/accounts: a new intent on a new aggregate per
--                                                  request (its own Idempotency-Key and account id)
--   wrk ... -s payments.lua -- replay RUN_ID KEYS  POST /v1/payments: repeats of KEYS payments created
--                                                  beforehand as "RUN_ID-replay-i" on account "B-(i mod 1000)"
-- New intents open accounts rather than add payments because the example's
-- account holds its payments: thousands of payments on one account make each
-- command carry a large state, which is the domain's cost, not the HTTP path's.
local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  run_id = args[2]
  spread = tonumber(args[3])
  sent = 0
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- One line the bench script reads: how many answers of each status.
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
  end
  local line = "statuses:"
  for status, count in pairs(total) do line = line .. " " .. status .. "x" .. count end
  print(line)
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
