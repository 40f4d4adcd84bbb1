-- GET /queries/balance?account=bench<i> over a pool of seeded accounts
-- (the balance query's only parameter is `account`).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua"
local common = require("common")
local accounts = 1000

function init(args)
  accounts = common.accounts(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  return wrk.format("GET", "/queries/balance?account=bench" .. math.random(0, accounts - 1))
end

function done(summary, latency, requests)
  common.summary("query_by_key", summary, latency)
end
