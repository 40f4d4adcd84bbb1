#!/usr/bin/env bash
# HTTP benchmarks of `duet serve` with wrk (Debian), loopback, wrk and the
# server sharing the machine:
#   (a) queries by key: GET /queries/balance?account=..  wrk -t1 -c64 --latency
#   (b) durable commands: POST /commands/Deposit          wrk -t1 -c64 --latency
#   (c) follower lag: a command node and a query node (--role query --follow);
#       Deposits paced at BENCH_RATE/s (wrk's delay(), Debian's wrk has no -R)
#       while /projections of the query node and the command node's head are
#       sampled; reports max and p99 of the lag in events and seconds.
# Prints one JSON summary on stdout (wrk's own output goes to stderr); never
# asserts on time.
#
#   bash bench/http/run.sh                    after `make build`
#   BENCH_SECONDS=30 BENCH_RATE=20000 BENCH_ACCOUNTS=10000 bash bench/http/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duet=${DUET:-$root/build/duet}
seconds=${BENCH_SECONDS:-10}
rate=${BENCH_RATE:-20000}
accounts=${BENCH_ACCOUNTS:-1000}
connections=${BENCH_CONNECTIONS:-64}
[ -x "$duet" ] || { echo "bench/http/run.sh: $duet not found; run make build" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/http/run.sh: wrk not found (make deps-peers)" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/duet-http-bench-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
results="$scratch/results.jsonl"
: > "$results"

# start_server NAME ARGS... : starts duet serve, waits for its address line,
# sets $url (http://127.0.0.1:<port>).
start_server() {
  local name=$1; shift
  local log="$scratch/$name.log"
  "$duet" serve --data "$scratch/$name" --host 127.0.0.1 --port 0 "$@" > "$log" 2>&1 &
  pids+=($!)
  local pid=$! port=""
  for _ in $(seq 1 600); do
    port=$(grep -o 'http://127\.0\.0\.1:[0-9]\+' "$log" | head -1 | sed 's/.*://') || true
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "duet serve ($name) exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$log" >&2; echo "duet serve ($name): no address line" >&2; exit 1; }
  url="http://127.0.0.1:$port"
}

stop_server() {  # the last started
  local pid=${pids[-1]}
  kill -TERM "$pid" && wait "$pid" || true
  unset 'pids[-1]'
}

# seed URL: opens bench0..bench<accounts-1> with a first deposit, over one
# keep-alive connection; prints the last position.
seed() {
  python3 - "$1" "$accounts" <<'PY'
import http.client, json, sys, urllib.parse
url, n = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
last = 0
def post(kind, body):
    global last
    conn.request("POST", "/commands/" + kind, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse(); data = r.read()
    if r.status != 200:
        sys.exit("seed: %s %s -> %d %s" % (kind, body, r.status, data[:200]))
    last = max(last, json.loads(data)["position"])
for i in range(n):
    post("OpenAccount", {"account": "bench%d" % i, "owner": "Bench %d" % i})
    post("Deposit", {"account": "bench%d" % i, "currency": "USD", "amount": 100})
print(last)
PY
}

# wait_position URL POSITION: until the balance read model reached it.
wait_position() {
  curl -fsS "$1/queries/balance?account=bench0&min_position=$2&timeout_ms=30000" > /dev/null
}

run_wrk() {  # collects the JSON line of the script's done()
  wrk "$@" | tee /dev/stderr | sed -n 's/^JSON //p' >> "$results"
}

# (a) and (b): one node, role all.
start_server all
last=$(seed "$url")
wait_position "$url" "$last"
run_wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$here/query.lua" "$url" -- "$accounts"
run_wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$here/deposit.lua" "$url" -- "$accounts"
stop_server

# (c) follower lag at a fixed rate: pace = connections * 1000 / rate ms.
start_server command --role command
command_url=$url
last=$(seed "$command_url")
start_server query --role query --follow "$command_url"
query_url=$url
wait_position "$query_url" "$last"
paced_connections=$(( rate / 200 > 0 ? rate / 200 : 1 ))  # 5 ms between requests each
BENCH_PACED=1 run_wrk -t2 -c"$paced_connections" -d"${seconds}s" --latency \
  -s "$here/deposit.lua" "$command_url" -- "$accounts" 5 &
load=$!
python3 - "$command_url" "$query_url" "$seconds" <<'PY' >> "$results"
import http.client, json, sys, time, urllib.parse
def conn(u):
    u = urllib.parse.urlparse(u); return http.client.HTTPConnection(u.hostname, u.port, timeout=10)
cmd, qry, seconds = conn(sys.argv[1]), conn(sys.argv[2]), float(sys.argv[3])
def get(c, target):
    c.request("GET", target); r = c.getresponse(); return json.loads(r.read())
lag_events, lag_seconds = [], []
end = time.time() + seconds
while time.time() < end:
    head = get(cmd, "/events?limit=1")["head"]
    projections = get(qry, "/projections")["projections"]
    # The balance read model applies every Deposit; other projections may
    # only move their checkpoint on the events they take.
    watched = [p for p in projections if p["name"] == "ledger-accounts"] or projections
    if watched:
        lag_events.append(max(0, head - min(p["checkpoint"] for p in watched)))
        lag_seconds.append(max(p.get("lag_seconds", 0) for p in watched))
    time.sleep(0.05)
def p99(xs):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else None
print(json.dumps({"bench": "follower_lag", "samples": len(lag_events),
                  "lag_events": {"max": max(lag_events, default=None), "p99": p99(lag_events)},
                  "lag_seconds_reported": {"max": max(lag_seconds, default=None), "p99": p99(lag_seconds)}}))
PY
wait "$load"

python3 - "$results" "$rate" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        row = json.loads(line); rows[row.pop("bench")] = row
rows["target_rate"] = int(sys.argv[2])
if "paced_commands" in rows and "follower_lag" in rows:
    achieved = rows["paced_commands"]["requests_per_second"]
    lag = rows["follower_lag"]["lag_events"]
    # Lag in time at the achieved event rate (one event per Deposit).
    rows["follower_lag"]["lag_ms_at_achieved_rate"] = {
        k: (None if v is None or achieved <= 0 else round(v / achieved * 1000, 1)) for k, v in lag.items()}
print(json.dumps(rows, indent=2))
PY
