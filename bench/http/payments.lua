-- wrk driver for payments-service, with a bearer token.
--   wrk ... -s payments.lua -- new RUN_ID 0        POST /v1/accounts: a new intent on a new aggregate per
--                                                  request (its own Idempotency-Key and account id)
--   wrk ... -s payments.lua -- replay RUN_ID KEYS  POST /v1/payments: repeats of KEYS payments created
--                                                  beforehand as "RUN_ID-replay-i" on account "B-(i mod 1000)"
--   wrk ... -s payments.lua -- pay RUN_ID N        POST /v1/payments: a new payment per request (its own
--                                                  Idempotency-Key) on one of the N accounts B-0 .. B-(N-1)
-- wrk shares the cores with the service it measures, so requests are built by
-- concatenating constant parts (wrk.format walks a header table per call), and
-- there is no response() callback (with one, wrk parses every answer's headers
-- into a Lua table). bench/http-bench checks the outcome in the database instead.
local thread_count = 0

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

-- The request line and the headers that never change, up to the Idempotency-Key value.
local function head(path)
  return "POST " .. path .. " HTTP/1.1\r\nHost: " .. wrk.headers["Host"] ..
         "\r\nAuthorization: Bearer bench-token\r\nContent-Type: application/json\r\nIdempotency-Key: "
end

local function post(prefix, key, body)
  return prefix .. key .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function init(args)
  mode = args[1]
  run_id = args[2]
  spread = tonumber(args[3])
  sent = 0
  accounts = head("/v1/accounts")
  payments = head("/v1/payments")
  key_prefix = run_id .. "-t" .. thread_number .. "-"
  math.randomseed(thread_number * 104729 + 7919)
end

function request()
  sent = sent + 1
  if mode == "new" then
    local id = key_prefix .. sent
    return post(accounts, id, '{"account_id":"' .. id .. '","currency":"EUR","credit_limit":1000}')
  end
  if mode == "pay" then
    -- Uniformly random, as a realistic load: with a fixed stride per thread,
    -- how often two threads met on one account depended on how far apart
    -- their sequences drifted during the run.
    local account = math.random(0, spread - 1)
    return post(payments, key_prefix .. sent,
                '{"account_id":"B-' .. account .. '","amount":{"value":1,"currency":"EUR"},"description":"bench"}')
  end
  local i = (sent * 7919 + thread_number * 104729) % spread
  return post(payments, run_id .. "-replay-" .. i,
              '{"account_id":"B-' .. (i % 1000) .. '","amount":{"value":1,"currency":"EUR"},"description":"bench"}')
end
