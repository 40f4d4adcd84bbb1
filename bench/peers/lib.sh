# Shared helpers for the peer benchmark scripts (sourced, not run).
# Everything here talks to 127.0.0.1 only.

log() { echo "[peers] $*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# install_if_missing <command-to-test> <debian packages...>
# Installs the packages with apt-get when the command is absent (root only).
install_if_missing() {
  local probe=$1; shift
  if [ -x "$probe" ] || command -v "$probe" >/dev/null 2>&1; then return 0; fi
  if ! is_root; then
    die "$probe not found and not root: as root run 'apt-get install -y --no-install-recommends $*' (or 'make deps-peers')"
  fi
  log "installing $* (apt-get)"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
}

# Whether something accepts TCP connections on 127.0.0.1:<port>.
port_in_use() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# A TCP port in 20000-49999 that nothing listens on right now.
free_port() {
  local port i
  for i in $(seq 1 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
    if ! port_in_use "$port"; then echo "$port"; return 0; fi
  done
  die "no free port found"
}

# percentile <p> < numbers (one per line): the nearest-rank p-th percentile.
percentile() {
  sort -n | awk -v p="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { print "null"; exit }
    r = int((p / 100.0) * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'
}

# A JSON event body of exactly 200 bytes, the same one for every peer.
event_payload_200() {
  local head='{"account_id":"account-4711","amount":12345,"currency":"EUR","reference":"INV-2026-000042","note":"'
  local tail='"}'
  local pad_len=$((200 - ${#head} - ${#tail}))
  printf '%s%s%s' "$head" "$(head -c "$pad_len" /dev/zero | tr '\0' 'x')" "$tail"
}

# throwaway_postgres <folder-prefix> <superuser>: PostgreSQL 15 from $pgbin in
# a new temporary folder on a free 127.0.0.1 port, fsync and
# synchronous_commit on (a commit returns once durable), as the postgres user
# when root. Sets pg_tmp (the folder, also its socket directory), pg_port and
# as_pg (the prefix that runs a command as the server's user), and an EXIT
# trap that stops the server and removes the folder, failure included.
throwaway_postgres() {
  local prefix=$1 user=$2
  pg_tmp=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")
  as_pg=()
  if is_root; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' missing (reinstall postgresql-15)"
    chown postgres: "$pg_tmp"
    as_pg=(runuser -u postgres --)
  fi
  pg_started=0
  trap throwaway_postgres_stop EXIT
  trap 'exit 130' INT TERM
  pg_port=$(free_port)
  log "postgres: initdb in $pg_tmp/data, port $pg_port"
  "${as_pg[@]}" "$pgbin/initdb" -D "$pg_tmp/data" -U "$user" --auth=trust -E UTF8 --no-locale \
    >"$pg_tmp/initdb.log" 2>&1 || { cat "$pg_tmp/initdb.log" >&2; die "initdb failed"; }
  pg_started=1
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_tmp/data" -l "$pg_tmp/data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$pg_tmp -c fsync=on -c synchronous_commit=on -c max_connections=200" \
    start >/dev/null || { cat "$pg_tmp/data/server.log" >&2; die "postgres did not start"; }
}

throwaway_postgres_stop() {
  if [ "${pg_started:-0}" -eq 1 ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$pg_tmp"
}
