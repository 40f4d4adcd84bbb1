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
