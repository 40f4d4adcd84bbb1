#!/usr/bin/env bash
# HTTP benchmarks of `duet serve` with wrk (Debian), loopback, wrk and the
# server sharing the machine, each beside a peer measured in the same run:
#   (a) queries by key: GET /queries/balance?account=..  wrk -t1 -c64 --latency
#       peers: pgbench, 64 clients, one thread, a primary-key SELECT over as
#       many rows (PostgreSQL 15); redis-benchmark GET, 64 clients, one
#       thread, no pipelining;
#   (b) durable commands: POST /commands/PlaceOrder (a new order each time)
#       on a node of role command and on one of role all, and
#       POST /commands/Deposit (role all)                 wrk -t1 -c64 --latency
#       peer: pgbench, 64 clients, one thread, a one-row INSERT per
#       transaction under synchronous_commit=on (PostgreSQL 15);
#   (c) follower lag: a command node and a query node (--role query --follow);
#       BENCH_RATE MoneyDeposited events/s appended to the command node as
#       POST /streams batches of BENCH_BATCH (append.lua; paced by a schedule
#       per wrk thread, since Debian's wrk has no -R) while a sampler reads the
#       command node's head and asks the query node for it with min_position:
#       the time until the query node answers is the lag (an upper bound: it
#       includes one loopback round trip to each node). Also the checkpoint
#       lag of the projection in events, from GET /projections.
# The peers run on free ports of 127.0.0.1 in the scratch folder, started and
# stopped here; a missing peer is reported as skipped. Prints one JSON summary
# on stdout (wrk's own output goes to stderr); never asserts on time.
#
#   bash bench/http/run.sh                    after `make build`
#   BENCH_SECONDS=30 BENCH_RATE=20000 BENCH_ACCOUNTS=10000 bash bench/http/run.sh
#   DUET_IO_THREADS=1 bash bench/http/run.sh  (server settings via DUET_* env)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duet=${DUET:-$root/build/duet}
seconds=${BENCH_SECONDS:-10}
rate=${BENCH_RATE:-20000}
accounts=${BENCH_ACCOUNTS:-1000}
connections=${BENCH_CONNECTIONS:-64}
batch=${BENCH_BATCH:-20}  # events per request in (c)
paced_connections=${BENCH_PACED_CONNECTIONS:-64}  # >= requests/s * latency
[ -x "$duet" ] || { echo "bench/http/run.sh: $duet not found; run make build" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/http/run.sh: wrk not found (make deps-peers)" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/duet-http-bench-XXXXXX")
pids=()
pg_data=""  # set while the PostgreSQL peer runs
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -z "$pg_data" ] || as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
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

# show FILE: a tool's own output, to stderr (not `tee /dev/stderr`: that
# reopens stderr and, when it is a file, truncates it).
show() { cat "$1" >&2; }

run_wrk() {  # collects the JSON line of the script's done()
  local out; out=$(mktemp "$scratch/wrk-XXXXXX")
  wrk "$@" > "$out"
  show "$out"
  sed -n 's/^JSON //p' "$out" >> "$results"
}

# free_port: a port of 127.0.0.1 free right now, for a peer.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# metrics_json NAME URL: events per group-commit round (per fsync) so far.
metrics_json() {
  curl -fsS "$2/metrics" | python3 -c '
import json, re, sys
text = sys.stdin.read()
def value(name):
    m = re.search("^" + name + r" ([0-9.eE+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0
rounds = value("duet_group_commit_events_count")
print(json.dumps({"bench": sys.argv[1] + "_group_commit", "rounds": rounds,
                  "events_per_round": round(value("duet_group_commit_events_sum") / rounds, 2) if rounds else None,
                  "fsync_ms_avg": round(1000 * value("duet_fsync_seconds_sum") / max(1, value("duet_fsync_seconds_count")), 3)}))' "$1" >> "$results"
}

skipped() {  # skipped BENCH REASON
  printf '{"bench":"%s","skipped":"%s"}\n' "$1" "$2" >> "$results"
}

# Peer of (a): redis-server (no persistence) and redis-benchmark GET over
# BENCH_ACCOUNTS keys, 64 clients, one benchmark thread like wrk -t1.
peer_redis() {
  if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    skipped peer_redis_get "redis-server or redis-benchmark not found (make deps-peers)"; return
  fi
  local port; port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$scratch" --logfile "$scratch/redis.log" &
  pids+=($!)
  for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-benchmark -h 127.0.0.1 -p "$port" -q -t set -c "$connections" -r "$accounts" -n 100000 >/dev/null
  # About BENCH_SECONDS at 100,000 GET/s; the figure is a rate either way.
  redis-benchmark -h 127.0.0.1 -p "$port" --csv -t get -c "$connections" -r "$accounts" \
    -n $(( seconds * 100000 )) > "$scratch/redis-benchmark.csv"
  show "$scratch/redis-benchmark.csv"
  python3 -c '
import csv, json, sys
rows = list(csv.DictReader(sys.stdin))
r = rows[-1]
print(json.dumps({"bench": "peer_redis_get", "requests_per_second": float(r["rps"]),
                  "latency_ms": {"avg": float(r["avg_latency_ms"]), "p50": float(r["p50_latency_ms"]),
                                 "p99": float(r["p99_latency_ms"]), "max": float(r["max_latency_ms"])}}))' \
    < "$scratch/redis-benchmark.csv" >> "$results"
  stop_server
}

pg_bin=/usr/lib/postgresql/15/bin
as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Peer of (b): PostgreSQL 15 in the scratch folder (fsync and
# synchronous_commit on: a commit returns once its WAL is flushed, like a
# durable Duet append) and pgbench with a one-row INSERT per transaction,
# 64 clients, one pgbench thread like wrk -t1.
peer_postgres() {
  if [ ! -x "$pg_bin/initdb" ] || ! command -v pgbench >/dev/null || ! command -v psql >/dev/null; then
    skipped peer_pgbench_insert "PostgreSQL 15 or pgbench not found (make deps-peers)"; return
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    skipped peer_pgbench_insert "running as root without a postgres user"; return
  fi
  local dir="$scratch/pg" port; port=$(free_port)
  mkdir -p "$dir"; chmod 755 "$scratch"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_postgres "$pg_bin/initdb" -D "$dir/data" -A trust -U bench >/dev/null
  pg_data="$dir/data"
  as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$dir/log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c synchronous_commit=on -c max_connections=100" \
    start >/dev/null
  psql -q -h 127.0.0.1 -p "$port" -U bench -d postgres \
    -c "CREATE TABLE deposits (id bigserial PRIMARY KEY, account text NOT NULL, amount bigint NOT NULL)"
  run_pgbench insert "INSERT INTO deposits (account, amount) VALUES ('bench' || :a, 1);"
  # The query peer: a primary-key SELECT over as many rows as seeded accounts.
  psql -q -h 127.0.0.1 -p "$port" -U bench -d postgres \
    -c "CREATE TABLE balances (account text PRIMARY KEY, owner text NOT NULL, usd bigint NOT NULL)" \
    -c "INSERT INTO balances SELECT 'bench' || i, 'Bench ' || i, 100 FROM generate_series(0, $(( accounts - 1 ))) i" \
    -c "ANALYZE balances"
  run_pgbench select "SELECT owner, usd FROM balances WHERE account = 'bench' || :a;"
  as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null
  pg_data=""
}

# run_pgbench NAME SQL: pgbench's 64 clients (one thread, like wrk -t1) run
# SQL with :a a random seeded account; its summary joins the results as
# peer_pgbench_NAME. Uses peer_postgres's $dir and $port.
run_pgbench() {
  printf '%s\n' "\\set a random(0, $(( accounts - 1 )))" "$2" > "$dir/$1.sql"
  pgbench -h 127.0.0.1 -p "$port" -U bench -n -c "$connections" -j 1 -T "$seconds" \
    -f "$dir/$1.sql" postgres > "$dir/pgbench-$1.out" 2>&1 || true
  show "$dir/pgbench-$1.out"
  pgbench_json "peer_pgbench_$1" < "$dir/pgbench-$1.out" >> "$results"
}

pgbench_json() {  # pgbench_json NAME < pgbench output
  python3 -c '
import json, re, sys
name = sys.argv[1]
text = sys.stdin.read()
tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
avg = re.search(r"latency average = ([0-9.]+) ms", text)
if tps and avg:
    print(json.dumps({"bench": name, "requests_per_second": float(tps.group(1)),
                      "latency_ms": {"avg": float(avg.group(1))}}))
else:  # e.g. a run shorter than the 64 connections take to open
    print(json.dumps({"bench": name, "skipped": "no tps in pgbench output"}))' "$1"
}

# (a) and (b): one node, role all; each beside its peer.
start_server all
last=$(seed "$url")
wait_position "$url" "$last"
run_wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$here/query.lua" "$url" -- "$accounts"
node_url=$url
peer_redis
url=$node_url
run_wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$here/deposit.lua" "$url" -- "$accounts"
BENCH_NAME=place_order_role_all \
  run_wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$here/place_order.lua" "$url"
metrics_json commands_role_all "$url"
stop_server
start_server command --role command
BENCH_NAME=place_order_role_command \
  run_wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$here/place_order.lua" "$url"
metrics_json commands_role_command "$url"
stop_server
peer_postgres

# (c) follower lag at BENCH_RATE events per second.
start_server command --role command
command_url=$url
last=$(seed "$command_url")
start_server query --role query --follow "$command_url"
query_url=$url
wait_position "$query_url" "$last"
# As batches of BENCH_BATCH events per POST /streams request: one Deposit
# command per event does not reach 20,000/s here (see (b)).
run_wrk -t1 -c"$paced_connections" -d"${seconds}s" --latency \
  -s "$here/append.lua" "$command_url" -- "$accounts" "$rate" "$batch" &
load=$!
python3 - "$command_url" "$query_url" "$seconds" <<'PY' >> "$results"
import http.client, json, sys, time, urllib.parse
def conn(u):
    u = urllib.parse.urlparse(u); return http.client.HTTPConnection(u.hostname, u.port, timeout=10)
cmd, qry, seconds = conn(sys.argv[1]), conn(sys.argv[2]), float(sys.argv[3])
def get(c, target):
    c.request("GET", target); r = c.getresponse(); return r.status, json.loads(r.read())
lag_ms, lag_events, not_reached = [], [], 0
time.sleep(min(1.0, seconds / 5))  # past wrk's connection ramp-up
end = time.time() + seconds * 0.8
while time.time() < end:
    # The time from reading the command node's head to the query node
    # answering at that position (it waits for it: read-your-writes).
    t0 = time.monotonic()
    head = get(cmd, "/events?limit=1")[1]["head"]
    status, _ = get(qry, "/queries/balance?account=bench0&min_position=%d&timeout_ms=5000" % head)
    if status == 200:
        lag_ms.append((time.monotonic() - t0) * 1000)
    else:
        not_reached += 1
    # The balance read model applies every Deposit; its checkpoint against
    # the command node's head, read just before.
    head = get(cmd, "/events?limit=1")[1]["head"]
    projections = get(qry, "/projections")[1]["projections"]
    watched = [p for p in projections if p["name"] == "ledger-accounts"]
    if watched:
        lag_events.append(max(0, head - watched[0]["checkpoint"]))
    time.sleep(0.02)
def pct(xs, q):
    xs = sorted(xs); return round(xs[min(len(xs) - 1, int(len(xs) * q))], 1) if xs else None
print(json.dumps({"bench": "follower_lag", "samples": len(lag_ms), "not_reached_in_5s": not_reached,
                  "lag_ms": {"p50": pct(lag_ms, 0.5), "p99": pct(lag_ms, 0.99),
                             "max": max(lag_ms, default=None)},
                  "checkpoint_lag_events": {"p50": pct(lag_events, 0.5), "p99": pct(lag_events, 0.99),
                                            "max": max(lag_events, default=None)}}))
PY
wait "$load"

python3 - "$results" "$rate" "$batch" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        row = json.loads(line); rows[row.pop("bench")] = row
rows["target_rate"] = int(sys.argv[2])
if "paced_appends" in rows:
    rows["paced_appends"]["events_per_second"] = round(
        rows["paced_appends"]["requests_per_second"] * int(sys.argv[3]), 1)
def ratio(ours, peer):
    a, b = rows.get(ours, {}), rows.get(peer, {})
    if "requests_per_second" in a and "requests_per_second" in b and b["requests_per_second"] > 0:
        return round(a["requests_per_second"] / b["requests_per_second"], 3)
    return None
rows["ratio_query_to_pgbench_select"] = ratio("query_by_key", "peer_pgbench_select")
rows["ratio_query_to_redis_get"] = ratio("query_by_key", "peer_redis_get")
rows["ratio_place_order_role_command_to_pgbench_insert"] = ratio("place_order_role_command",
                                                                 "peer_pgbench_insert")
rows["ratio_place_order_role_all_to_pgbench_insert"] = ratio("place_order_role_all",
                                                             "peer_pgbench_insert")
rows["ratio_deposit_role_all_to_pgbench_insert"] = ratio("commands", "peer_pgbench_insert")
print(json.dumps(rows, indent=2))
PY
