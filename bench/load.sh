#!/usr/bin/env bash
# Server load (issues 8 and 14, docs/performance.md): starts `guichet serve` on
# loopback with a fresh store, drives complete conversations on
# `conges_annuels` from 64 concurrent connections with wrk (Debian package
# `wrk`, Lua script bench/load.lua), then the bare `GET /healthz` on the same
# server with the same connections (bench/healthz.lua) for the ratio of a
# durable request to it, then fills the store to 100,000 conversations and
# reads the server's peak RSS. The server's CPU time per request (from
# /proc/PID/stat) is printed for both runs: unlike requests per second, it does
# not depend much on what else the machine runs. Bounded in time and count;
# everything it writes is under a temporary directory (and, for PostgreSQL, a
# throwaway cluster), removed at the end.
#
#   bash bench/load.sh                  # SQLite, 64 connections, 20 s
#   DB=postgres bash bench/load.sh      # PostgreSQL: a throwaway cluster (.ci/postgres.sh)
#   CONNECTIONS=16 DURATION=10s SESSIONS=20000 FILL_TIME=60s bash bench/load.sh
#   BIN=/tmp/guichet-before SESSIONS=1 bash bench/load.sh   # another build; no fill
# (wrk waits for the whole FILL_TIME even once every connection has made its
# share of conversations: the count, not the time, is what is reported.)
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${DB:-sqlite}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-20s}
HEALTHZ_DURATION=${HEALTHZ_DURATION:-10s}
SESSIONS=${SESSIONS:-100000}
PORT=${PORT:-18087}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
# BIN: another build of the server to measure (before/after comparisons).
BIN=${BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet --bin guichet
  BIN=./target/release/guichet
fi

work=$(mktemp -d /tmp/guichet-load.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "$DB" = postgres ]; then stop_postgres; fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$DB" in
  sqlite) db="$work/load.db" ;;
  postgres)
    # shellcheck source=../.ci/postgres.sh
    source .ci/postgres.sh
    start_postgres >"$work/postgres.txt"
    db="$GUICHET_TEST_POSTGRES"
    ;;
  *) echo "DB=sqlite or DB=postgres" >&2; exit 2 ;;
esac

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
# One client address drives the whole load: the per-address rate limits
# (docs/server.md, « Sécurité ») are turned off for the measurement.
GUICHET_RATE_CREATE=0 GUICHET_RATE_REPLY=0 \
  timeout 900 "$BIN" serve rules --addr "127.0.0.1:$PORT" --db "$db" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null
# $server_pid is the `timeout` wrapper: the server is its child.
guichet_pid=$(pgrep -P "$server_pid" -n guichet || echo "$server_pid")
# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$guichet_pid/stat"; }
# The SQLite writer thread's CPU time so far (0 without it: PostgreSQL), in clock ticks.
writer_ticks() {
  local task
  for task in /proc/"$guichet_pid"/task/*; do
    if [ "$(cat "$task/comm" 2>/dev/null)" = guichet-store ]; then
      awk '{ print $14 + $15 }' "$task/stat"; return
    fi
  done
  echo 0
}
per_request_us() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }'; }

echo "== $CONNECTIONS concurrent conversations for $DURATION (create + 2 replies each, $DB store)"
before=$(cpu_ticks)
writer_before=$(writer_ticks)
timeout 300 wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s --latency \
  -s bench/load.lua "http://127.0.0.1:$PORT" | tee "$work/wrk.txt"
durable_ticks=$(( $(cpu_ticks) - before ))
writer_durable_ticks=$(( $(writer_ticks) - writer_before ))
stored=$(grep -o 'creates=[0-9]*' "$work/wrk.txt" | cut -d= -f2)
durable_requests=$(grep -o ' requests=[0-9]*' "$work/wrk.txt" | cut -d= -f2)
durable_rate=$(grep -o 'requests_per_s=[0-9]*' "$work/wrk.txt" | cut -d= -f2)
durable_cpu=$(per_request_us "$durable_ticks" "$durable_requests")
if [ "$DB" = sqlite ]; then
  echo "GUICHET server_cpu_us_per_request=$durable_cpu writer_cpu_us_per_request=$(per_request_us "$writer_durable_ticks" "$durable_requests")"
else
  # PostgreSQL has no writer thread in the server: its work is in the database's processes.
  echo "GUICHET server_cpu_us_per_request=$durable_cpu"
fi

echo "== GET /healthz from $CONNECTIONS connections for $HEALTHZ_DURATION (same server)"
before=$(cpu_ticks)
timeout 300 wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d "$HEALTHZ_DURATION" --timeout 10s \
  -s bench/healthz.lua "http://127.0.0.1:$PORT/healthz" | grep GUICHET | tee "$work/healthz.txt"
healthz_ticks=$(( $(cpu_ticks) - before ))
healthz_requests=$(grep -o ' requests=[0-9]*' "$work/healthz.txt" | cut -d= -f2)
healthz_rate=$(grep -o 'requests_per_s=[0-9]*' "$work/healthz.txt" | cut -d= -f2)
healthz_cpu=$(per_request_us "$healthz_ticks" "$healthz_requests")
echo "GUICHET healthz server_cpu_us_per_request=$healthz_cpu"
echo "GUICHET durable_vs_healthz throughput=$(awk -v d="$durable_rate" -v h="$healthz_rate" 'BEGIN { printf "%.1f", h / d }')x cpu=$(awk -v d="$durable_cpu" -v h="$healthz_cpu" 'BEGIN { printf "%.1f", d / h }')x"

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
if [ "$DB" = sqlite ]; then
  db_bytes=$(( $(stat -c %s "$work/load.db") + $(stat -c %s "$work/load.db-wal" 2>/dev/null || echo 0) ))
else
  db_bytes=$(psql "$db" -Atc "SELECT pg_database_size(current_database())")
fi
echo "GUICHET stored_conversations=$stored db_bytes=$db_bytes bytes_per_conversation=$(( db_bytes / stored ))"
grep -E '^(VmHWM|VmRSS)' "/proc/$guichet_pid/status" | sed 's/^/GUICHET server /'
