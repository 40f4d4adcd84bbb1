#!/usr/bin/env bash
# Redis 7 as a benchmark peer: a throwaway redis-server on 127.0.0.1 with
# every write fsynced before the reply (appendonly yes, appendfsync always),
# and redis-benchmark sending XADD of one 200-byte field to one of 10,000
# random streams.
#
#   bench/peers/redis.sh [SECONDS] [CLIENTS...]      (default: 20 16 64)
#
# Prints one JSON line per client count on stdout; progress goes to stderr.
# redis-benchmark runs a request count, not a duration: a short calibration
# run sizes the request count (-n) so each measured run lasts about SECONDS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

seconds=${1:-20}
shift || true
clients=("${@:-16 64}")
read -r -a clients <<<"${clients[*]}"

install_if_missing redis-server redis-server
install_if_missing redis-benchmark redis-tools

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-peer-redis.XXXXXX")
port=""
cleanup() {
  if [ -n "$port" ] && [ -f "$tmp/redis.pid" ]; then
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 ||
      kill "$(cat "$tmp/redis.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$(cat "$tmp/redis.pid" 2>/dev/null)" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_port)
log "redis: data in $tmp, port $port"
redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
  --appendonly yes --appendfsync always --dir "$tmp" --save '' \
  --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
for _ in $(seq 1 100); do
  redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$port" ping | grep -q PONG || { cat "$tmp/redis.log" >&2; die "redis did not start"; }
version=$(redis-cli -h 127.0.0.1 -p "$port" info server | sed -nE 's/^redis_version:([0-9.]+).*/\1/p')
payload=$(event_payload_200)

# xadd_run <clients> <requests>: redis-benchmark's CSV line for the XADD test.
# Columns (Redis 7): test, rps, avg, min, p50, p95, p99, max latency (ms).
xadd_run() {
  redis-benchmark -h 127.0.0.1 -p "$port" -c "$1" -n "$2" -r 10000 -q --csv \
    XADD 'stream:__rand_int__' '*' data "$payload" | grep -v '^"test"' | tail -n1
}
# field <n> <line>: the n-th of the 7 numeric columns, counted from the right
# (the test name holds the payload, whose quotes and commas defeat CSV parsing).
field() { awk -F'","' -v i="$1" '{ v = $(NF - 7 + i); gsub(/"/, "", v); print v }' <<<"$2"; }

for c in "${clients[@]}"; do
  redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
  calib=$(xadd_run "$c" $((c * 100)))
  rate=$(field 1 "$calib")
  requests=$(awk -v r="$rate" -v s="$seconds" -v c="$c" 'BEGIN { n = int(r * s); if (n < c * 100) n = c * 100; print n }')
  redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
  log "redis $version: $c clients, $requests requests (~${seconds}s at ${rate}/s)"
  start=$(date +%s.%N)
  line=$(xadd_run "$c" "$requests")
  elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "$line" >&2
  stored=$(redis-cli -h 127.0.0.1 -p "$port" eval \
    "local n = 0 for _, k in ipairs(redis.call('KEYS', 'stream:*')) do n = n + redis.call('XLEN', k) end return n" 0)
  printf '{"peer":"redis","version":"%s","workload":"XADD 1 event, 200-byte field, 10000 streams","clients":%d,"seconds":%s,"events":%d,"events_stored":%d,"events_per_s":%s,"latency_avg_ms":%s,"latency_p50_ms":%s,"latency_p99_ms":%s,"durability":"appendonly yes appendfsync always"}\n' \
    "$version" "$c" "$elapsed" "$requests" "$stored" "$(field 1 "$line")" "$(field 2 "$line")" \
    "$(field 4 "$line")" "$(field 6 "$line")"
done
