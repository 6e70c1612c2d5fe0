#!/usr/bin/env bash
# Server load (issue 8, docs/performance.md): starts `guichet serve` on
# loopback with a fresh SQLite store, drives complete conversations on
# `conges_annuels` from 64 concurrent connections with wrk (Debian package
# `wrk`, Lua script bench/load.lua), then fills the store to 100,000
# conversations and reads the server's peak RSS. Bounded in time and count;
# everything it writes is under a temporary directory, removed at the end.
#
#   bash bench/load.sh                  # 64 connections, 20 s
#   CONNECTIONS=16 DURATION=10s SESSIONS=20000 FILL_TIME=60s bash bench/load.sh
# (wrk waits for the whole FILL_TIME even once every connection has made its
# share of conversations: the count, not the time, is what is reported.)
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-20s}
SESSIONS=${SESSIONS:-100000}
PORT=${PORT:-18087}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
cargo build --release --quiet --bin guichet

work=$(mktemp -d /tmp/guichet-load.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
# One client address drives the whole load: the per-address rate limits
# (docs/server.md, « Sécurité ») are turned off for the measurement.
GUICHET_RATE_CREATE=0 GUICHET_RATE_REPLY=0 \
  timeout 900 ./target/release/guichet serve rules --addr "127.0.0.1:$PORT" --db "$work/load.db" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null

echo "== $CONNECTIONS concurrent conversations for $DURATION (create + 2 replies each, SQLite store)"
timeout 300 wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s --latency \
  -s bench/load.lua "http://127.0.0.1:$PORT" | tee "$work/wrk.txt"
stored=$(grep -o 'creates=[0-9]*' "$work/wrk.txt" | cut -d= -f2)

remaining=$(( SESSIONS - stored ))
if [ "$remaining" -gt 0 ]; then
  per_thread=$(( (remaining + CONNECTIONS - 1) / CONNECTIONS ))
  echo "== filling the store to $SESSIONS conversations ($per_thread more per connection)"
  GUICHET_LOAD_MODE=create GUICHET_LOAD_CREATES=$per_thread \
    timeout 900 wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d "${FILL_TIME:-150s}" --timeout 10s \
    -s bench/load.lua "http://127.0.0.1:$PORT" | grep GUICHET | tee "$work/fill.txt"
  stored=$(( stored + $(grep -o 'creates=[0-9]*' "$work/fill.txt" | cut -d= -f2) ))
fi
# A conversation more, read back after the fill: the store still answers.
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"topic":"conges_annuels","profile":{}}' \
  "http://127.0.0.1:$PORT/api/sessions" >/dev/null
db_bytes=$(( $(stat -c %s "$work/load.db") + $(stat -c %s "$work/load.db-wal" 2>/dev/null || echo 0) ))
echo "GUICHET stored_conversations=$stored db_bytes=$db_bytes bytes_per_conversation=$(( db_bytes / stored ))"
# $server_pid is the `timeout` wrapper: the server is its child.
guichet_pid=$(pgrep -P "$server_pid" -n guichet || echo "$server_pid")
grep -E '^(VmHWM|VmRSS)' "/proc/$guichet_pid/status" | sed 's/^/GUICHET server /'
