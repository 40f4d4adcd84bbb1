-- POST /commands/PlaceOrder, each request a new order (its own stream, so no
-- two requests conflict): one decide and one durable append of OrderPlaced.
-- Order ids are <thread>-<counter>-<run>, unique across wrk's threads and runs.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua"
local common = require("common")
local counter = 0
local prefix = ""
local thread_count = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  prefix = string.format("b%d-%d", thread_id or 0, os.time() % 100000)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"order":"%s-%d","customer":"c%d","items":[{"sku":"sku-%d","name":"chocolate bar",' ..
    '"qty":2,"price":250,"currency":"EUR"}]}',
    prefix, counter, counter % 1000, counter % 50)
  return wrk.format(nil, "/commands/PlaceOrder", nil, body)
end

function done(summary, latency, requests)
  common.summary(os.getenv("BENCH_NAME") or "place_order", summary, latency)
end
