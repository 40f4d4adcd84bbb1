-- Shared by the wrk scripts of bench/http: the account pool and a JSON
-- summary line ("JSON {...}") that bench/http/run.sh collects.
local M = {}

function M.accounts(args)
  return tonumber(args[1] or os.getenv("BENCH_ACCOUNTS") or "1000")
end

function M.summary(name, summary, latency)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout
  io.write(string.format(
    'JSON {"bench":"%s","requests":%d,"seconds":%.3f,"requests_per_second":%.1f,' ..
    '"non_2xx":%d,"socket_errors":%d,"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,' ..
    '"p999":%.3f,"max":%.3f}}\n',
    name, summary.requests, seconds, summary.requests / seconds, summary.errors.status, errors,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end

return M
