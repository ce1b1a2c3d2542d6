-- The intake bench's load generator (bench/intake.ts runs it): wrk POSTing the golden order, a new
-- external id and Idempotency-Key on every request.
--
--   wrk -t1 -c50 -d<s> -s bench/orders.lua <url>/v1/orders -- <prefix> <body before the id> <body after it> [authorization]
--
-- Prints one JSON line: requests/s (answers over the run's time), p99 in ms, socket errors,
-- non-2xx answers, and the external ids answered 202 (read from each answer's body).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local prefix, pre, post
local headers = { ["Content-Type"] = "application/json" }
local sent = 0

-- Globals: done() reads them from each thread.
accepted, non2xx = {}, 0

function init(args)
  prefix, pre, post = args[1], args[2], args[3]
  if args[4] ~= nil and args[4] ~= "" then headers["Authorization"] = args[4] end
end

function request()
  sent = sent + 1
  local id = prefix .. "-" .. tid .. "-" .. sent
  headers["Idempotency-Key"] = id
  return wrk.format("POST", nil, headers, pre .. id .. post)
end

function response(status, _, body)
  if status == 202 then
    accepted[#accepted + 1] = body:match('"external_id":"([^"]*)"')
  elseif status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency)
  local ids, non = {}, 0
  for _, t in ipairs(threads) do
    for _, id in ipairs(t:get("accepted")) do ids[#ids + 1] = '"' .. id .. '"' end
    non = non + t:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format('{"rps":%d,"p99":%.1f,"errors":%d,"non2xx":%d,"accepted":[%s]}\n',
    math.floor(summary.requests * 1e6 / summary.duration + 0.5), latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, non, table.concat(ids, ",")))
end
