#!/bin/sh
# `stepwise info` against a real throwaway PostgreSQL: each way of naming
# the target, text and JSON output, and a failure that hides the password.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"

server_version=$(psql -XAtqc 'show server_version' 2>/dev/null | sed 's/ .*//')
[ -n "$server_version" ] || tap_bail "psql could not reach the test server"

stepwise_run info --db "$STEPWISE_TEST_PG"
tap_is "$rc" 0 "info --db CONNINFO exits 0"
tap_is "$out" "target:    host=$PGHOST port=5432 dbname=postgres user=stepwise (from --db)
server:    PostgreSQL $server_version (primary)
database:  postgres
user:      stepwise
socket:    $PGHOST port 5432
read-only: no" "info shows target, server, role, database, user and socket"

stepwise_run info --db "postgresql://stepwise@/postgres?host=$PGHOST&application_name=x"
tap_is "$rc" 0 "a URI works too"
tap_like "$out" "server:    PostgreSQL $server_version (primary)" "URI reaches the same server"

# Nothing given: libpq's own environment (PGHOST, PGUSER, ... from with-pg).
stepwise_run info
tap_is "$rc" 0 "libpq environment is the last fallback"
tap_like "$out" "(from libpq environment)" "and is named as the origin"
tap_like "$out" "host=$PGHOST port=5432 dbname=postgres user=stepwise" "showing what libpq will use"

STEPWISE_DB="$STEPWISE_TEST_PG" stepwise_run info --json
tap_is "$rc" 0 "info --json exits 0"
num=$(psql -XAtqc 'show server_version_num')
tap_is "$out" "{
  \"target\": \"host=$PGHOST port=5432 dbname=postgres user=stepwise\",
  \"origin\": \"STEPWISE_DB\",
  \"driver\": \"postgresql\",
  \"server_version\": \"$server_version\",
  \"server_version_num\": $num,
  \"database\": \"postgres\",
  \"user\": \"stepwise\",
  \"host\": \"$PGHOST\",
  \"port\": \"5432\",
  \"role\": \"primary\",
  \"read_only\": false
}" "info --json from STEPWISE_DB"

psql -XAtqc "create database \"shop\$x\"" >/dev/null
stepwise_run info --db "$STEPWISE_TEST_PG dbname=shop\$x"
tap_like "$out" "database:  shop\$x" "later conninfo keywords win (dbname)"

psql -XAtqc "alter database postgres set default_transaction_read_only = on" >/dev/null
stepwise_run info --db "$STEPWISE_TEST_PG"
tap_like "$out" "read-only: yes" "a read-only default is reported"
PGOPTIONS="-c default_transaction_read_only=off" psql -XAtqc "alter database postgres reset default_transaction_read_only" >/dev/null

stepwise_run info --db "$STEPWISE_TEST_PG user=ghost password=hunter2"
tap_is "$rc" 3 "an unknown role exits 3"
tap_like "$err" "role \"ghost\" does not exist" "the server's reason is shown"
tap_unlike "$err" "hunter2" "the password is not"
tap_is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "in one line"

tap_done
