#!/usr/bin/env bash
# End-to-end benchmarks of Duet against its peers, in one run:
#   1. duet bench append, one 200-byte event per append, durability sync, at
#      16 and 64 writers (the peers' workload);
#   2. the same workload on PostgreSQL 15 and Redis 7 (bench/peers/run.sh);
#   3. duet bench append in batches of 100, and duet bench commands;
# then prints Duet's ratio to each peer at each client count.
#
#   bench/run.sh                         15 s per run
#   BENCH_SECONDS=30 bench/run.sh
#
# Needs build/duet (make build) and the peers' packages (make deps-peers).
# stdout: JSON lines, then the ratio table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duet=${DUET:-$root/build/duet}
seconds=${BENCH_SECONDS:-15}
[ -x "$duet" ] || { echo "bench/run.sh: $duet not found; run make build" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/duet-bench-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
results="$scratch/results.jsonl"

run_duet() {  # name, then duet bench arguments (a fresh data folder each)
  local name=$1; shift
  local dir="$scratch/$name"
  "$duet" bench "$@" --data "$dir" --seconds "$seconds" | tee -a "$results"
  rm -rf "$dir"
}

for writers in 16 64; do
  run_duet "append-$writers" append --writers "$writers" --batch 1 --payload 200 --streams 10000
done
PEER_SECONDS=$seconds "$here/peers/run.sh" | tee -a "$results"
run_duet "append-batch" append --writers 16 --batch 100 --payload 200 --streams 10000
run_duet "commands" commands --writers 64

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
duet = {r["writers"]: r["events_per_s"] for r in rows
        if r.get("bench") == "append" and r.get("batch") == 1}
print("\nDuet vs peers, one 200-byte event per append, fsync before acknowledgement:")
print(f"{'clients':>8} {'duet ev/s':>12} {'peer':>11} {'peer ev/s':>12} {'duet/peer':>10}")
for r in rows:
    if "peer" not in r or r["clients"] not in duet:
        continue
    d = duet[r["clients"]]
    print(f"{r['clients']:>8} {d:>12,.0f} {r['peer']:>11} {r['events_per_s']:>12,.0f} "
          f"{d / r['events_per_s']:>9.2f}x")
PY
