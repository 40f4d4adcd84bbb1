#!/usr/bin/env bash
# Duet's event store on PostgreSQL against PostgreSQL itself: one throwaway
# PostgreSQL 15 server on 127.0.0.1 (fsync=on, synchronous_commit=on) runs
#   (a) `duet bench append --store postgresql://...` with 1 and 64 writer
#       threads (one 200-byte event per append, 10,000 streams, a fresh
#       database each), and
#   (b) the peer: pgbench with one durable one-row INSERT per transaction
#       into a table like duet_events (same columns, primary key and unique
#       (stream, version) index; a 200-byte payload), with 1 and 64 clients,
# then prints the ratios Duet / pgbench. Duet batches concurrent appends into
# one transaction (events_per_transaction), pgbench commits every row alone.
#
#   bash bench/postgres_append.sh                 after `make build`
#   BENCH_SECONDS=20 BENCH_WRITERS="1 16 64" bash bench/postgres_append.sh
#
# One JSON line per run on stdout, then a JSON summary with the ratios;
# progress on stderr. Never asserts on time. The server, its port and its
# folder are removed on exit (failure and Ctrl-C included).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/peers/lib.sh"
duet=${DUET:-$root/build/duet}
seconds=${BENCH_SECONDS:-15}
read -r -a writers <<<"${BENCH_WRITERS:-1 64}"
pgbin=${DUET_PG_BIN:-/usr/lib/postgresql/15/bin}

[ -x "$duet" ] || die "$duet not found (make build, or DUET=path)"
[ -x "$pgbin/initdb" ] || die "PostgreSQL 15 not found in $pgbin (make deps installs it)"
command -v pgbench >/dev/null || die "pgbench not found (postgresql-client-15)"

throwaway_postgres duet-pg-append duet
tmp=$pg_tmp
port=$pg_port
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U duet "$@"; }
version=$(psql_ -d postgres -At -c 'SHOW server_version')
results="$tmp/results.jsonl"
: >"$results"

# (a) Duet on PostgreSQL: a fresh database per run.
for w in "${writers[@]}"; do
  psql_ -d postgres -c "CREATE DATABASE duet_w$w"
  log "duet bench append --store: $w writers, ${seconds}s"
  line=$("$duet" bench append --store "postgresql://duet@127.0.0.1:$port/duet_w$w" \
    --writers "$w" --batch 1 --payload 200 --streams 10000 --seconds "$seconds")
  echo "$line" | tee -a "$results"
done

# (b) The peer: one INSERT per transaction into a table like duet_events.
psql_ -d postgres -c "CREATE DATABASE peer"
psql_ -d peer <<'SQL'
CREATE TABLE peer_events (
  position bigserial PRIMARY KEY,
  stream text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  event_id uuid NOT NULL,
  type text NOT NULL,
  data bytea NOT NULL,
  metadata bytea NOT NULL,
  timestamp_us bigint NOT NULL,
  UNIQUE (stream, version));
CREATE SEQUENCE peer_versions;
SQL
payload=$(event_payload_200)
cat >"$tmp/insert.sql" <<'SQL'
\set s random(0, 9999)
INSERT INTO peer_events (stream, version, event_id, type, data, metadata, timestamp_us)
VALUES ('bench-' || :s, nextval('peer_versions'), gen_random_uuid(), 'BenchEvent',
        convert_to(:payload, 'UTF8'), '\x7b7d'::bytea,
        (extract(epoch from clock_timestamp()) * 1000000)::bigint);
SQL
for c in "${writers[@]}"; do
  psql_ -d peer -c 'TRUNCATE peer_events' -c 'CHECKPOINT'
  threads=$((c < 2 ? 1 : 2))
  log "pgbench one-row INSERT: $c clients, ${seconds}s"
  out=$(pgbench -h 127.0.0.1 -p "$port" -U duet -n -M prepared -c "$c" -j "$threads" \
    -T "$seconds" -D "payload=$payload" -f "$tmp/insert.sql" peer 2>&1) ||
    { echo "$out" >&2; die "pgbench failed"; }
  tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' <<<"$out")
  avg=$(sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' <<<"$out")
  printf '{"bench":"pgbench_insert","clients":%d,"seconds":%d,"events_per_s":%s,"latency_avg_ms":%s,"version":"%s"}\n' \
    "$c" "$seconds" "${tps:-0}" "${avg:-null}" "$version" | tee -a "$results"
done

python3 - "$results" "$version" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
duet = {r["writers"]: r for r in runs if r.get("bench") == "append"}
peer = {r["clients"]: r for r in runs if r.get("bench") == "pgbench_insert"}
summary = {"bench": "postgres_append", "postgresql": sys.argv[2], "ratios": {}}
for n in sorted(duet):
    d, p = duet[n], peer.get(n)
    summary["ratios"][str(n)] = {
        "duet_events_per_s": round(d["events_per_s"], 1),
        "duet_events_per_transaction": round(d.get("events_per_transaction", 0), 2),
        "duet_p50_us": d["p50_us"], "duet_p99_us": d["p99_us"],
        "pgbench_insert_per_s": p["events_per_s"] if p else None,
        "duet_over_pgbench": round(d["events_per_s"] / p["events_per_s"], 2)
        if p and p["events_per_s"] else None,
    }
print(json.dumps(summary))
PY
