#!/usr/bin/env bash
# A real PostgreSQL for the audit store's tests (tests/audit): install it when missing (Debian's
# `postgresql` package, as root), start it, create a role and a database, and print the URL on
# standard output; the Makefile's `test` target passes it to pytest as EENVOUD_TEST_POSTGRES_URL.
#
# When it cannot (not root, no apt-get, no network), it says so on standard error, prints nothing
# and exits 0: the PostgreSQL tests are then skipped, and pytest lists them as skipped. With CI=true
# a PostgreSQL that cannot be had is a failure (exit 1): CI skips nothing.
set -uo pipefail

ROLE=eenvoud_test
DB=eenvoud_test
PASSWORD=eenvoud_test
PORT_DEFAULT=5432

say() { echo "postgres.sh: $*" >&2; }

cannot() {
  if [ "${CI:-}" = "true" ]; then
    say "error: $* (CI=true: PostgreSQL is required, the audit store's tests must not be skipped)"
    exit 1
  fi
  say "skipping the PostgreSQL tests of the audit store: $*"
  exit 0
}

if [ -n "${EENVOUD_TEST_POSTGRES_URL:-}" ]; then   # a server of one's own: use it as given
  echo "$EENVOUD_TEST_POSTGRES_URL"
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }

if ! command -v pg_ctlcluster >/dev/null || ! command -v psql >/dev/null; then
  command -v apt-get >/dev/null || cannot "PostgreSQL is not installed and there is no apt-get to install it"
  say "installing PostgreSQL (apt-get install postgresql)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
    || cannot "could not install the Debian package postgresql (needs root and network)"
fi

cluster=$(pg_lsclusters --no-header 2>/dev/null | head -n 1)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || cannot "no PostgreSQL server version under /usr/lib/postgresql"
  as_root pg_createcluster "$version" main >&2 || cannot "could not create a PostgreSQL cluster"
  cluster=$(pg_lsclusters --no-header | head -n 1)
fi
read -r version name port status _ <<<"$cluster"
port=${port:-$PORT_DEFAULT}
if [ "$status" != "online" ]; then
  as_root pg_ctlcluster "$version" "$name" start >&2 || cannot "could not start PostgreSQL $version/$name"
fi

psql_admin() { as_root runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
# a start that will happen: waited for up to two minutes (a busy machine is slow, not wrong)
for _ in $(seq 1 120); do psql_admin -c 'select 1' >/dev/null 2>&1 && break; sleep 1; done
psql_admin -c 'select 1' >/dev/null 2>&1 || cannot "PostgreSQL $version/$name does not answer on port $port"

if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "create role $ROLE login password '$PASSWORD'" >&2 || cannot "could not create the role $ROLE"
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
  psql_admin -c "create database $DB owner $ROLE" >&2 || cannot "could not create the database $DB"
fi
say "PostgreSQL $version/$name on port $port, database $DB"
echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DB"
