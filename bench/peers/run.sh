#!/usr/bin/env bash
# Runs every peer benchmark: PostgreSQL 15 (postgres.sh) and Redis 7
# (redis.sh), each on 127.0.0.1 only, in temporary folders removed on exit.
#
#   bench/peers/run.sh                 20 s per run, 16 and 64 clients
#   PEER_SECONDS=60 PEER_CLIENTS="16 64" PEERS="postgres redis" bench/peers/run.sh
#
# stdout: one JSON line per (peer, clients); also appended to
# build/bench/results/peers.jsonl when that folder can be created.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${PEER_SECONDS:-20}
read -r -a clients <<<"${PEER_CLIENTS:-16 64}"
read -r -a peers <<<"${PEERS:-postgres redis}"

results_dir=${PEER_RESULTS_DIR:-$here/../../build/bench/results}
mkdir -p "$results_dir" 2>/dev/null || results_dir=""

status=0
for peer in "${peers[@]}"; do
  [ -x "$here/$peer.sh" ] || { echo "[peers] unknown peer: $peer" >&2; exit 2; }
  if ! out=$("$here/$peer.sh" "$seconds" "${clients[@]}"); then
    echo "[peers] $peer failed" >&2
    status=1
  fi
  if [ -n "$out" ]; then
    echo "$out"
    if [ -n "$results_dir" ]; then echo "$out" >>"$results_dir/peers.jsonl"; fi
  fi
done
exit $status
