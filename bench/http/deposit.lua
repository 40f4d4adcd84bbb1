-- POST /commands/Deposit, each request a deposit of 1 USD cent to one of the
-- seeded accounts. Optional pacing (BENCH_PACED=1): args[2] = requests per
-- second for each wrk thread (common.pacer).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua"
local common = require("common")
local accounts = 1000
local pace = nil
-- done() runs in its own Lua state, where init() never ran: name by env.
local name = os.getenv("BENCH_PACED") == "1" and "paced_commands" or "commands"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  accounts = common.accounts(args)
  if os.getenv("BENCH_PACED") == "1" then pace = common.pacer(tonumber(args[2])) end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  local body = string.format('{"account":"bench%d","currency":"USD","amount":1}',
                             math.random(0, accounts - 1))
  return wrk.format(nil, "/commands/Deposit", nil, body)
end

if os.getenv("BENCH_PACED") == "1" then
  function delay()
    return pace()
  end
end

function done(summary, latency, requests)
  common.summary(name, summary, latency)
end
