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

-- A monotonic clock in milliseconds (wrk's Lua is LuaJIT: its ffi calls
-- clock_gettime; os.clock is CPU time and os.time has whole seconds).
function M.clock_ms()
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } duet_bench_timespec;
    int clock_gettime(int clock_id, duet_bench_timespec* tp);
  ]]
  local ts = ffi.new("duet_bench_timespec")
  local CLOCK_MONOTONIC = 1
  return function()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
end

-- A delay() for wrk that holds `rate` requests per second on this thread.
-- Debian's wrk has no -R, and a fixed delay per connection gives
-- connections / (delay + latency), which falls as latency grows; so one
-- schedule per thread instead: each request waits for its slot. The rate
-- holds while enough connections are free (connections >= rate * latency).
-- Behind by more than 100 ms (a stall): restart the schedule, no burst.
function M.pacer(rate)
  local now_ms = M.clock_ms()
  local interval_ms = 1000 / rate
  local next_ms = nil
  return function()
    local now = now_ms()
    if next_ms == nil or next_ms < now - 100 then next_ms = now end
    local wait = next_ms - now
    next_ms = next_ms + interval_ms
    return wait > 0 and wait or 0
  end
end

return M
