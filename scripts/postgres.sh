#!/usr/bin/env bash
# Installs (Debian packages) and starts a PostgreSQL server on loopback for the store tests,
# then prints the URL to use as KB_TEST_POSTGRES_URL. Needs root; safe to run again.
# Only the URL goes to standard output: everything the tools print goes to standard error.
set -euo pipefail
exec 3>&1 1>&2
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main "; then
  pg_createcluster "$version" main >/dev/null
fi
remove_stale_socket_locks() {
  # A server killed without shutting down (or a machine image taken while it ran) leaves
  # socket lock files naming a dead process; PostgreSQL refuses to start until they are gone.
  for lock in /var/run/postgresql/.s.PGSQL.*.lock; do
    [ -e "$lock" ] || continue
    pid=$(head -1 "$lock")
    kill -0 "$pid" 2>/dev/null || rm -f "$lock"
  done
}
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  # fd 3 is closed for the server so that it does not hold our caller's $(...) pipe open.
  pg_ctlcluster "$version" main start 3>&- || { remove_stale_socket_locks; pg_ctlcluster "$version" main start 3>&-; }
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 1 30); do
  su postgres -c "psql -p $port -qAt -c 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
psql_as_postgres() { su postgres -c "psql -p $port $*"; }
psql_as_postgres -qAt -c "\"select 1 from pg_roles where rolname='kb'\"" | grep -q 1 \
  || psql_as_postgres -q -c "\"create role kb login password 'kb' createdb\""
psql_as_postgres -qAt -c "\"select 1 from pg_database where datname='kb_test'\"" | grep -q 1 \
  || su postgres -c "createdb -p $port -O kb kb_test"
echo "postgresql+psycopg://kb:kb@127.0.0.1:$port/kb_test" >&3
