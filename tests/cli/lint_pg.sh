#!/bin/sh
# `stepwise lint --db` against a real throwaway PostgreSQL: each lock
# finding is followed by the live size of the tables it names.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"

psql -XAtq -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || tap_bail "cannot set up the test tables"
CREATE TABLE orders (id bigint PRIMARY KEY, note text);
INSERT INTO orders SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;
ANALYZE orders;
CREATE TABLE "Audit Log" (id bigint);
SQL

script=$(mktemp -d)
trap 'rm -rf "$script"' EXIT
cat >"$script/m.sql" <<'SQL'
CREATE INDEX orders_note ON orders (note);
ALTER TABLE "Audit Log" ADD COLUMN at timestamptz NOT NULL;
ALTER TABLE ghosts ALTER COLUMN x SET NOT NULL;
SQL

stepwise_run lint --db "$STEPWISE_TEST_PG" "$script/m.sql"
tap_is "$rc" 1 "lint --db exits 1 on an error finding"
tap_like "$out" "warning[require-concurrent-index-creation]: CREATE INDEX orders_note takes SHARE on orders" \
    "the finding names table and lock"
tap_like "$out" "    table: orders: exists, ~20k rows, " "the live row estimate and size follow it"
tap_like "$out" "    table: \"Audit Log\": exists, never analysed, 0 B" \
    "quoted names are looked up as written; no statistics yet is said so"
tap_like "$out" "    table: ghosts: does not exist yet" "a missing table is said to be missing"

bytes=$(psql -XAtqc "select pg_total_relation_size('orders')")
stepwise_run lint --json --db "$STEPWISE_TEST_PG" "$script/m.sql"
tap_like "$out" "\"estimated_rows\": 20000" "--json carries the row estimate"
tap_like "$out" "\"total_bytes\": $bytes" "--json carries pg_total_relation_size"

stepwise_run lint --locks --db "$STEPWISE_TEST_PG" "$script/m.sql"
tap_like "$out" "    SHARE                   orders  [exists, ~20k rows, " "--locks shows sizes beside the locks"

stepwise_run lint --db "host=$PGHOST port=1 user=nobody password=hunter2" "$script/m.sql"
tap_is "$rc" 3 "an unreachable --db exits 3"
tap_unlike "$err" "hunter2" "without showing the password"

tap_done
