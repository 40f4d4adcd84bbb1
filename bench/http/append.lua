-- POST /streams/bench-feed-<i>: a batch of MoneyDeposited events (1 USD cent
-- each, to seeded accounts, so the ledger read models apply them), paced:
-- args = accounts, events per second for this wrk thread, events per request.
-- Drives a fixed event rate above what one command per event reaches.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua"
local common = require("common")
local accounts = 1000
local batch = 20
local pace = nil
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  accounts = common.accounts(args)
  batch = tonumber(args[3] or "20")
  pace = common.pacer(tonumber(args[2]) / batch)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  local events = {}
  for i = 1, batch do
    events[i] = string.format(
        '{"type":"MoneyDeposited","data":{"account":"bench%d","currency":"USD","amount":1}}',
        math.random(0, accounts - 1))
  end
  return wrk.format(nil, "/streams/bench-feed-" .. math.random(0, 63), nil,
                    "[" .. table.concat(events, ",") .. "]")
end

function delay()
  return pace()
end

function done(summary, latency, requests)
  common.summary("paced_appends", summary, latency)
end
