#!/usr/bin/env bash
# Installs (Debian packages) and starts a PostgreSQL server on loopback for the store tests,
# then prints the URL to use as KB_TEST_POSTGRES_URL. Needs root; safe to run again.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -qAt -c 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qAt -c \"select 1 from pg_roles where rolname='kb'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"create role kb login password 'kb' createdb\""
su postgres -c "psql -qAt -c \"select 1 from pg_database where datname='kb_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O kb kb_test"
echo "postgresql+psycopg://kb:kb@127.0.0.1:5432/kb_test"
