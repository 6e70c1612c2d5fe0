# Sourced by .ci/run (and usable by hand: `source .ci/postgres.sh && start_postgres`): a
# throwaway PostgreSQL cluster for the store tests (tests of both backends, multi-instance
# test). Installs Debian's `postgresql` when no server is found, runs `initdb` in a temporary
# directory as a non-root user (PostgreSQL refuses root), listens on a Unix socket only, and
# exports GUICHET_TEST_POSTGRES (and GUICHET_REQUIRE_POSTGRES=1: a missing cluster fails the
# tests rather than skipping them). `stop_postgres` stops it and removes the directory.

pg_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}

start_postgres() {
  local bin user
  bin="$(pg_bin)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
    bin="$(pg_bin)"
  fi
  GUICHET_PG_DIR="$(mktemp -d /tmp/guichet-pg.XXXXXX)"
  chmod 755 "$GUICHET_PG_DIR"
  local as=()
  user="$(id -un)"
  if [ "$(id -u)" = 0 ]; then
    user=postgres
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
    chown "$user" "$GUICHET_PG_DIR"
    as=(runuser -u "$user" --)
  fi
  "${as[@]}" "$bin/initdb" -D "$GUICHET_PG_DIR/data" -U "$user" --auth=trust \
    --encoding=UTF8 --no-locale >"$GUICHET_PG_DIR/initdb.log"
  "${as[@]}" "$bin/pg_ctl" -D "$GUICHET_PG_DIR/data" -l "$GUICHET_PG_DIR/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories=$GUICHET_PG_DIR -c max_connections=200" \
    start >/dev/null
  "$bin/createdb" -h "$GUICHET_PG_DIR" -U "$user" guichet
  GUICHET_PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$GUICHET_PG_DIR/data" -m immediate stop)
  export GUICHET_TEST_POSTGRES="postgres:///guichet?host=$GUICHET_PG_DIR&user=$user"
  export GUICHET_REQUIRE_POSTGRES=1
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $GUICHET_TEST_POSTGRES"
}

stop_postgres() {
  if [ -n "${GUICHET_PG_DIR:-}" ]; then
    "${GUICHET_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$GUICHET_PG_DIR"
    GUICHET_PG_DIR=
  fi
}
