#!/usr/bin/env bash
# Every end-to-end figure of Duet beside its peer, in one run, with the
# targets of docs/performance-targets (BENCHMARKS.md, "The serving path"):
#   0. the disk: how many durable 4 KiB writes per second dd gets right now;
#   1. the store: duet bench append, one 200-byte event per append, durability
#      sync, 16 and 64 writers, with events per fsync round; the same workload
#      on PostgreSQL 15 and Redis 7 AOF-always (bench/peers/run.sh); batches of
#      100 events;
#   2. HTTP (bench/http/run.sh): PlaceOrder on a command node and on a node of
#      role all against pgbench's one-row durable INSERT; a query by key against
#      pgbench's primary-key SELECT; follower lag at BENCH_RATE events/s;
#   3. replay of the bench history into the memory and the SQLite document
#      store (duet bench replay);
#   4. every example query at scale over HTTP, p50/p99 (duet bench queries):
#      the orders domain at BENCH_ORDERS orders, the ledger at BENCH_LEDGER_EVENTS.
# Then a table: figure, peer, ratio, target, met or not.
#
#   bench/run.sh                              15 s per timed run, full scale
#   BENCH_SECONDS=5 BENCH_ORDERS=100000 BENCH_LEDGER_EVENTS=1000000 bench/run.sh
#   BENCH_ONLY="store http" bench/run.sh      some parts only (store http replay queries)
#
# Needs build/duet (make build) and the peers' packages (make deps-peers).
# stdout: the JSON lines of every part, then the table. Never asserts on time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duet=${DUET:-$root/build/duet}
seconds=${BENCH_SECONDS:-15}
orders=${BENCH_ORDERS:-1000000}
ledger_events=${BENCH_LEDGER_EVENTS:-10000000}
replay_events=${BENCH_REPLAY_EVENTS:-2000000}
only=${BENCH_ONLY:-store http replay queries}
[ -x "$duet" ] || { echo "bench/run.sh: $duet not found; run make build" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/duet-bench-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
results="$scratch/results.jsonl"
: > "$results"
part() { [[ " $only " == *" $1 "* ]]; }

run_duet() {  # name, then duet bench arguments (a fresh data folder each)
  local name=$1; shift
  local dir="$scratch/$name"
  "$duet" bench "$@" --data "$dir" | grep '^{' | tee -a "$results"
  rm -rf "$dir"
}

# 0. The disk, now: durable 4 KiB writes per second (one writer).
dd_file="$scratch/dd"
dd_out=$(dd if=/dev/zero of="$dd_file" bs=4k count=2000 oflag=dsync 2>&1 | tail -1)
rm -f "$dd_file"
python3 - "$dd_out" <<'PY' | tee -a "$results"
import json, re, sys
m = re.search(r"([0-9.,]+) s,", sys.argv[1])
secs = float(m.group(1).replace(",", ".")) if m else 0
print(json.dumps({"bench": "disk_dsync_4k", "writes_per_s": round(2000 / secs, 1) if secs else None}))
PY

if part store; then
  for writers in 16 64; do
    run_duet "append-$writers" append --writers "$writers" --batch 1 --payload 200 \
      --streams 10000 --seconds "$seconds"
  done
  PEER_SECONDS=$seconds "$here/peers/run.sh" | grep '^{' | tee -a "$results"
  run_duet "append-batch" append --writers 16 --batch 100 --payload 200 --streams 10000 \
    --seconds "$seconds"
fi

if part http; then
  BENCH_SECONDS=$seconds bash "$here/http/run.sh" > "$scratch/http.json"
  python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
for name, row in rows.items():
    if isinstance(row, dict):
        print(json.dumps(dict(bench="http_" + name, **row)))' "$scratch/http.json" | tee -a "$results"
fi

if part replay; then
  for store in memory document; do
    run_duet "replay-$store" replay --domain ledger --events "$replay_events" --store "$store"
  done
fi

if part queries; then
  run_duet "queries-orders" queries --domain orders --orders "$orders"
  run_duet "queries-ledger" queries --domain ledger --events "$ledger_events"
fi

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def find(**kv):
    for r in rows:
        if all(r.get(k) == v for k, v in kv.items()):
            return r
    return None
table = []  # (figure, value, peer name, peer value, ratio, target, met)
def add(figure, value, peer=None, peer_value=None, target=None, at_least=None, at_most=None):
    ratio = value / peer_value if value is not None and peer_value else None
    met = None
    if at_least is not None:
        met = (ratio if peer_value else value) is not None and (ratio if peer_value else value) >= at_least
    if at_most is not None and value is not None:
        met = value <= at_most
    table.append((figure, value, peer, peer_value, ratio, target, met))

disk = find(bench="disk_dsync_4k")
for writers, pg_x, redis_x in ((16, 6, 2), (64, 12, 3)):
    d = find(bench="append", writers=writers, batch=1)
    pg = find(peer="postgresql", clients=writers)
    rd = find(peer="redis", clients=writers)
    if d:
        add(f"append {writers} writers x 1, ev/s", d["events_per_s"], "PostgreSQL",
            pg and pg["events_per_s"], f">= {pg_x}x", at_least=pg_x)
        add(f"append {writers} writers x 1, ev/s", d["events_per_s"], "Redis AOF always",
            rd and rd["events_per_s"], f">= {redis_x}x", at_least=redis_x)
        add(f"append {writers} writers: events per fsync round", d.get("events_per_round"),
            target=f">= {0.8 * writers:.0f}", at_least=0.8 * writers)
b = find(bench="append", batch=100)
if b:
    add("append 16 writers x 100, ev/s", b["events_per_s"], target=">= 1,000,000", at_least=1e6)
ins = find(bench="http_peer_pgbench_insert")
sel = find(bench="http_peer_pgbench_select")
for name, label, x in (("place_order_role_command", "PlaceOrder, role command, 64 conns, /s", 4),
                       ("place_order_role_all", "PlaceOrder, role all, 64 conns, /s", 3)):
    r = find(bench="http_" + name)
    if r:
        add(label, r["requests_per_second"], "pgbench INSERT", ins and ins.get("requests_per_second"),
            f">= {x}x", at_least=x)
q = find(bench="http_query_by_key")
if q:
    add("query by key, 64 conns, /s", q["requests_per_second"], "pgbench PK SELECT",
        sel and sel.get("requests_per_second"), ">= 3x", at_least=3)
    add("query by key p99 ms", q["latency_ms"]["p99"], target="<= 5", at_most=5)
lag = find(bench="http_follower_lag")
if lag:
    add("follower lag p99 ms (paced appends)", lag["lag_ms"]["p99"], target="< 100", at_most=99.999)
for store, target in (("memory", 2e6), ("document", 6e5)):
    r = find(bench="replay", store=store)
    if r:
        add(f"replay into {store}, ev/s", r["events_per_s"], target=f">= {target:,.0f}",
            at_least=target)
for r in rows:
    if r.get("bench") == "query_latency" or (r.get("bench") == "queries" and "p99_us" in r):
        name = r.get("query") or r.get("label") or "?"
        add(f"{r.get('domain', '')} {name} p99 ms", r["p99_us"] / 1000, target="<= 10", at_most=10)

print()
if disk:
    print(f"disk: {disk['writes_per_s']} durable 4 KiB writes/s (dd oflag=dsync) in this run")
w = max(len(t[0]) for t in table) if table else 10
print(f"{'figure':<{w}} {'Duet':>12} {'peer':>18} {'peer value':>12} {'ratio':>7} {'target':>12}  met")
for figure, value, peer, peer_value, ratio, target, met in table:
    fmt = lambda v: "" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:,.2f}")
    print(f"{figure:<{w}} {fmt(value):>12} {peer or '':>18} {fmt(peer_value):>12} "
          f"{'' if ratio is None else f'{ratio:.2f}x':>7} {target or '':>12}  "
          f"{'' if met is None else ('yes' if met else 'NO')}")
PY
