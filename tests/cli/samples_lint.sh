#!/bin/sh
# `stepwise lint` on the sample folders flags exactly the migrations meant
# to be flagged: in migrations/demo (SQLite) the price rebuild's DROP TABLE
# and the column rename; in migrations/lab (PostgreSQL) only the unsafe
# type change and rename of 0013, while the safe SET NOT NULL and the
# concurrent indexes carry their reasons as allowed findings. No server is
# needed: lint reads the files.
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
LC_ALL=C
export LC_ALL

# flagged SEVERITY-PATTERN: "file rule" for each finding of lint's output
# (in $tmp/out) whose severity matches, in the order printed.
flagged() {
    sed -nE "s#^.*/([^/:]+):[0-9]+:[0-9]+: ($1)\\[([a-z-]+)\\]: .*#\\1 \\3#p" "$tmp/out"
}

# ---------------------------------------------- demo (SQLite)
"$STEPWISE" lint --db "sqlite:$tmp/never-opened.db" --dir "$top_srcdir/migrations/demo" \
    >"$tmp/out" 2>&1 </dev/null
tap_is "$?" 0 "the demo lints without errors"
tap_is "$(flagged 'warning|error')" "0008_order_line_prices_in_cents.up.sql dropping-table
0012_rename_full_name.up.sql renaming-column
0012_rename_full_name.down.sql renaming-column" \
    "warnings: the rebuild's DROP TABLE (0008) and the rename (0012, both ways)"
tap_is "$(flagged 'allowed [a-z]+')" "" "nothing in the demo is allowed away"
tap_ok "the SQLite file was not created" test ! -e "$tmp/never-opened.db"
"$STEPWISE" lint --strict --db "sqlite:$tmp/never-opened.db" \
    --dir "$top_srcdir/migrations/demo" >/dev/null 2>&1 </dev/null
tap_is "$?" 1 "with --strict those warnings fail the demo"

# ---------------------------------------------- lab (PostgreSQL)
"$STEPWISE" lint --dir "$top_srcdir/migrations/lab" >"$tmp/out" 2>&1 </dev/null
tap_is "$?" 0 "the lab lints without errors"
tap_is "$(flagged 'warning|error')" "0013_order_line_prices_in_cents.up.sql changing-column-type
0013_order_line_prices_in_cents.up.sql renaming-column
0013_order_line_prices_in_cents.down.sql renaming-column
0013_order_line_prices_in_cents.down.sql changing-column-type" \
    "warnings: only the unsafe migration, 0013 (its type change rewrites, its rename breaks)"
tap_is "$(flagged 'allowed [a-z]+')" "0009_order_total_set_not_null.up.sql setting-not-null" \
    "allowed, with its reason: the SET NOT NULL after a validated CHECK"
tap_unlike "$(cat "$tmp/out")" "prefer-robust-statements" \
    "the index builds after DROP INDEX CONCURRENTLY IF EXISTS are robust as they are"
tap_like "$(cat "$tmp/out")" "    allowed: the validated CHECK above spares the scan" \
    "the reason is printed under the finding"
tap_like "$(cat "$tmp/out")" \
    "0010_orders_customer_fk_not_valid.up.sql:4:1: hint[adding-foreign-key]: " \
    "the NOT VALID foreign key is only a hint (its lock is brief)"
tap_unlike "$(cat "$tmp/out")" "0011_validate_orders_customer_fk.up.sql" \
    "VALIDATE CONSTRAINT raises nothing"
tap_unlike "$(cat "$tmp/out")" "missing-lock-timeout" \
    "every no-transaction migration sets its lock timeout"
"$STEPWISE" lint --strict --dir "$top_srcdir/migrations/lab" >/dev/null 2>&1 </dev/null
tap_is "$?" 1 "with --strict the unsafe migration fails the lab"

tap_done
