#!/usr/bin/env bash
# PostgreSQL 15 as a benchmark peer: a throwaway server on 127.0.0.1, a
# Message DB-like `messages` table (schema.sql) and pgbench appending one
# ~200-byte JSON event per transaction (append_event.sql).
#
#   bench/peers/postgres.sh [SECONDS] [CLIENTS...]      (default: 20 16 64)
#
# Prints one JSON line per client count on stdout; progress goes to stderr.
# The server runs on a free port with its data in a temporary folder, both
# removed on exit, failure included. As root, the server runs as the
# unprivileged `postgres` user (created by the postgresql-15 package).
#
# Durability matches Duet's default (acknowledged after fsync): fsync=on,
# synchronous_commit=on; everything else is PostgreSQL's default config.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

seconds=${1:-20}
shift || true
clients=("${@:-16 64}")
read -r -a clients <<<"${clients[*]}"

pgbin=/usr/lib/postgresql/15/bin
install_if_missing "$pgbin/pg_ctl" postgresql-15
install_if_missing pgbench postgresql-client-15

throwaway_postgres duet-peer-pg postgres
tmp=$pg_tmp
port=$pg_port

psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"; }
psql_ -f "$here/schema.sql"
version=$(psql_ -At -c 'SHOW server_version')
payload=$(event_payload_200)

for c in "${clients[@]}"; do
  psql_ -c 'TRUNCATE messages' -c 'CHECKPOINT'
  mkdir -p "$tmp/pgbench-$c"
  log "postgres $version: $c clients, ${seconds}s"
  out=$(cd "$tmp/pgbench-$c" && pgbench -h 127.0.0.1 -p "$port" -U postgres -n -M prepared \
    -c "$c" -j 2 -T "$seconds" -D "payload=$payload" -f "$here/append_event.sql" \
    -l --log-prefix=pgbench_log postgres 2>&1) || { echo "$out" >&2; die "pgbench failed"; }
  echo "$out" | grep -E '^(number of (transactions|failed)|latency average|tps)' >&2 || true
  tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' <<<"$out")
  avg=$(sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' <<<"$out")
  events=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
  stored=$(psql_ -At -c 'SELECT count(*) FROM messages')
  # Per-transaction log: "client tx latency_us script epoch_s epoch_us".
  p50=$(cat "$tmp/pgbench-$c"/pgbench_log.* | awk '{ print $3 / 1000.0 }' | percentile 50)
  p99=$(cat "$tmp/pgbench-$c"/pgbench_log.* | awk '{ print $3 / 1000.0 }' | percentile 99)
  printf '{"peer":"postgresql","version":"%s","workload":"append 1 event/tx, 200-byte JSON, 10000 streams","clients":%d,"seconds":%d,"events":%d,"events_stored":%d,"events_per_s":%.1f,"latency_avg_ms":%s,"latency_p50_ms":%s,"latency_p99_ms":%s,"durability":"fsync=on synchronous_commit=on"}\n' \
    "$version" "$c" "$seconds" "${events:-0}" "$stored" "${tps:-0}" "${avg:-null}" "$p50" "$p99"
done
