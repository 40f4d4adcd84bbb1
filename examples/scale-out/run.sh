#!/usr/bin/env bash
# The third topology of docs/scale-out.md on one machine: a throwaway
# PostgreSQL 15 server, three command nodes sharing its database, and one
# query node reading it directly. Everything listens on 127.0.0.1 only, on
# free ports; everything started here is stopped on exit (Ctrl-C included).
#
#   examples/scale-out/run.sh            start, print the URLs, wait for Ctrl-C
#   examples/scale-out/run.sh --check    start, send a command to each command
#                                        node, read it back from the query node
#                                        (min_position), stop; exit 0 when all
#                                        answered as expected
#
# DUET=path/to/duet (default build/duet), DUET_PG_BIN (default
# /usr/lib/postgresql/15/bin). As root, PostgreSQL runs as user `postgres`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duet=${DUET:-$root/build/duet}
pgbin=${DUET_PG_BIN:-/usr/lib/postgresql/15/bin}
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

say() { echo "[scale-out] $*" >&2; }
die() { say "error: $*"; exit 1; }
[ -x "$duet" ] || die "$duet not found (make build, or DUET=path)"
[ -x "$pgbin/initdb" ] || die "PostgreSQL 15 not found in $pgbin (make deps installs it)"
command -v curl >/dev/null || die "curl not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-scale-out.XXXXXX")
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "user 'postgres' missing (reinstall postgresql-15)"
  chown postgres: "$tmp"
  chmod 755 "$tmp"
  as_pg=(runuser -u postgres --)
fi
pids=()
pg_started=0
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$pg_started" -eq 1 ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port on 127.0.0.1 for PostgreSQL (the kernel's pick).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_port=$(free_port)
say "PostgreSQL: initdb in $tmp/pg, port $pg_port"
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -U duet --auth=trust -E UTF8 --no-locale \
  >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
pg_started=1
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$tmp -c fsync=on -c synchronous_commit=on" \
  start >/dev/null || { cat "$tmp/pg/server.log" >&2; die "PostgreSQL did not start"; }
psql -X -q -h 127.0.0.1 -p "$pg_port" -U duet -d postgres -c 'CREATE DATABASE duet'
store="postgresql://duet@127.0.0.1:$pg_port/duet"

# start_node NAME ROLE: `duet serve` on a port the kernel picks; sets
# node_url once it serves (the banner's first line names it). Not in a
# subshell: `pids` must keep the process for the cleanup.
start_node() {
  local name=$1 role=$2 log="$tmp/$1.log" url=""
  mkdir -p "$tmp/$name"
  "$duet" serve --role "$role" --store "$store" --data "$tmp/$name" --host 127.0.0.1 --port 0 \
    >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 || true)
    [ -n "$url" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; die "$name exited"; }
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$log" >&2; die "$name did not print its address"; }
  node_url=$url
}

commands=()
for n in 1 2 3; do
  start_node "command$n" command
  commands+=("$node_url")
done
start_node query1 query
query=$node_url

echo "PostgreSQL:     $store"
for n in 1 2 3; do echo "command node $n: ${commands[$((n - 1))]}"; done
echo "query node:     $query"

if [ "$check" -eq 0 ]; then
  cat <<EOF
Try:
  curl -s -X POST ${commands[0]}/commands/OpenAccount -H 'Content-Type: application/json' -d '{"account":"acc-1","owner":"Ada"}'
  curl -s -X POST ${commands[1]}/commands/Deposit -H 'Content-Type: application/json' -H 'Idempotency-Key: dep-1' -d '{"account":"acc-1","currency":"EUR","amount":100}'
  curl -s -X POST ${commands[2]}/commands/Deposit -H 'Content-Type: application/json' -H 'Idempotency-Key: dep-1' -d '{"account":"acc-1","currency":"EUR","amount":100}'   # the same result: one deposit
  curl -s '$query/queries/balance?account=acc-1&min_position=3'
Ctrl-C stops every node and PostgreSQL.
EOF
  while :; do sleep 1; done
fi

# --check: one account per command node, then read-your-writes on the query
# node, and one Idempotency-Key sent to two nodes.
post() {  # post URL PATH BODY [HEADER]: prints the body; fails on a non-200
  local out code
  out=$(curl -sS -o "$tmp/reply" -w '%{http_code}' -X POST "$1$2" \
    -H 'Content-Type: application/json' ${4:+-H "$4"} -d "$3") || die "POST $1$2 failed"
  code=$out
  [ "$code" = 200 ] || die "POST $1$2: $code $(cat "$tmp/reply")"
  cat "$tmp/reply"
}
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
for n in 1 2 3; do
  url=${commands[$((n - 1))]}
  post "$url" /commands/OpenAccount "{\"account\":\"check-$n\",\"owner\":\"Node $n\"}" >/dev/null
  position=$(post "$url" /commands/Deposit \
    "{\"account\":\"check-$n\",\"currency\":\"EUR\",\"amount\":$((n * 10))}" | field position)
  answer=$(curl -sS "$query/queries/balance?account=check-$n&min_position=$position&timeout_ms=10000")
  balance=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["data"]["balances"].get("EUR"))' "$answer") ||
    die "query node: $answer"
  [ "$balance" = "$((n * 10))" ] || die "query node answered $answer for check-$n"
  say "command node $n: deposit at position $position; query node: balance $balance"
done
first=$(post "${commands[0]}" /commands/Deposit '{"account":"check-1","currency":"EUR","amount":1}' \
  'Idempotency-Key: check-twin' | field position)
second=$(post "${commands[1]}" /commands/Deposit '{"account":"check-1","currency":"EUR","amount":1}' \
  'Idempotency-Key: check-twin' | field position)
[ "$first" = "$second" ] || die "one Idempotency-Key, two results: $first and $second"
say "Idempotency-Key on nodes 1 and 2: one deposit, position $first"
echo "check: ok"
