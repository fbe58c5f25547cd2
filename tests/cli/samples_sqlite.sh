#!/bin/sh
# The SQLite sample migrations (migrations/demo) through stepwise itself:
# each one applies, changes something, and rolls back to exactly the
# schema and rows it started from; then the whole folder goes up to the
# top and down to zero, leaving only stepwise's own tables, twice. Also
# what the demo promises in its comments: the backfill fills every order's
# total from its lines, the price rebuild keeps the prices, the rename
# renames.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/samples.sh"

command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3 command to look at the database"

demo=$top_srcdir/migrations/demo
[ -d "$demo" ] || tap_bail "no $demo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

file=$tmp/demo.db
db=sqlite:$file
: >"$file"

q() { sqlite3 -batch "$file" "$1" 2>&1; }
sw() { "$STEPWISE" "$@" --dir "$demo" --db "$db" </dev/null; }

# The state a migration must give back: stepwise's canonical schema, then
# every table and index of the application (not stepwise's history and
# events, not SQLite's own) as sqlite3 dumps them, rows included.
state() {
    "$STEPWISE" schema --db "$db" </dev/null
    _names=$(q "select name from sqlite_schema where name not like 'stepwise%'
                and name not like 'sqlite%' order by name")
    # Each name is its own LIKE pattern for .dump.
    # shellcheck disable=SC2086
    [ -z "$_names" ] || sqlite3 -batch "$file" ".dump $_names"
}

sample_versions "$demo"
if [ "$count" -ge 10 ] && [ "$count" -le 12 ]; then r=0; else r=1; fi
tap_result "$r" "the demo has 10 to 12 migrations ($count)"
tap_is "$missing" "" "every demo migration has a down script"

# ---------------------------------------------- one migration at a time
state >"$tmp/empty"
for v in $versions; do
    round_trip "$v"
done

sw status >"$tmp/out" 2>&1
tap_is "$?" 0 "status at the top exits 0"
tap_like "$(cat "$tmp/out")" "$count applied, 0 pending, 0 dirty, 0 drifted, 0 missing" \
    "every demo migration is applied"

# What the migrations say they do, on the rows 0006 seeded.
tap_is "$(q "select count(*) from orders")" 3 "the seeded orders are there"
tap_is "$(q "select count(*) from orders where total_cents is null or total_cents <>
             (select coalesce(sum(quantity * unit_price_cents), 0) from order_lines
              where order_id = orders.id)")" 0 \
    "the backfill gave every order the total of its lines"
tap_is "$(q "select count(*) from orders where total_cents > 0")" 2 \
    "and it did something: two orders have lines, one has none"
tap_is "$(q "select group_concat(unit_price_cents, ',') from
             (select unit_price_cents from order_lines order by order_id, book_id)")" \
    "899,650,799,1099" "the rebuild turned dollars into cents"
tap_is "$(q "select group_concat(name, ',') from (select name from pragma_table_info('customers')
             order by cid)")" "id,email,display_name,created_at,phone" \
    "customers.full_name is now display_name"

sw down --to 0 --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "down --to 0 rolls everything back"
state_is "$tmp/empty" "the application's schema is empty again"
tap_is "$(q "select group_concat(name, ',') from (select name from sqlite_schema
             where name not like 'sqlite%' order by name)")" \
    "stepwise_events,stepwise_history" "only stepwise's own tables are left"
tap_is "$(q "select count(*) from stepwise_history")" 0 "and the history is empty"

# ---------------------------------------------- the whole folder, again
sw up --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "the second time, up applies the whole folder at once"
tap_is "$(q "select count(*) from stepwise_history where not dirty")" "$count" \
    "every version is recorded clean"
sw down --to 0 --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "and down --to 0 rolls it all back"
state_is "$tmp/empty" "the application's schema is empty again"
tap_is "$(q "select count(*) from stepwise_history")" 0 "and the history is empty"
tap_is "$(q "select count(*) from stepwise_events where outcome <> 'ok'")" 0 \
    "no event of either round says anything but ok"

tap_done
