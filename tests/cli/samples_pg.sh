#!/bin/sh
# The PostgreSQL sample migrations (migrations/lab) on a real throwaway
# server, through stepwise itself: each one applies, changes something and
# rolls back to exactly the schema and rows it started from, with a few
# rows loaded once the tables exist; the deliberate failure (0015) fails
# cleanly (exit 1, file:line, dirty after its first statement, status 4)
# and is passed both ways its comment says (correct, resume, force; or
# force --unapplied, correct, up); the concurrent unique index (0014)
# builds on clean data and fails on a duplicate as the lab's failed-index
# scenario needs, leaving an invalid index that stepwise names; the folder
# goes down to zero twice, leaving the schema as it found it.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/samples.sh"

lab=$top_srcdir/migrations/lab
[ -d "$lab" ] || tap_bail "no $lab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

q() { psql -XAtq -c "$1" 2>&1; }
q 'select 1' >/dev/null || tap_bail "psql could not reach the test server"
db=$STEPWISE_TEST_PG
# The drill edits its file: the tests work on a copy of the folder.
m=$tmp/m
sw() { "$STEPWISE" "$@" --dir "$m" --db "$db" </dev/null; }
fresh_copy() { rm -rf "$m" && cp -R "$lab" "$m"; }

# The state a migration must give back: stepwise's canonical schema, then
# the rows of every table of the application, each table sorted.
state() {
    "$STEPWISE" schema --db "$db" </dev/null
    for _t in $(q "select relname from pg_class where relnamespace = 'public'::regnamespace
                   and relkind = 'r' and relname not like 'stepwise%' order by relname"); do
        printf 'rows of %s\n' "$_t"
        q "select x::text from $_t x order by 1"
    done
}

# A few rows as the tables are right after 0005, so that the backfill,
# the validations and the type change have something to work on. Order 3
# has no lines; every order's customer exists. The ids are given, so the
# identities go on after them.
load_rows() {
    psql -XAtq -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO authors (id, name, born) OVERRIDING SYSTEM VALUE VALUES
    (1, 'Jane Austen', 1775), (2, 'Charles Dickens', 1812), (3, 'Mary Shelley', 1797);
INSERT INTO books (id, author_id, title, isbn, price_cents) OVERRIDING SYSTEM VALUE VALUES
    (1, 1, 'Pride and Prejudice', '978-0-00-000001-1', 899),
    (2, 1, 'Emma', '978-0-00-000002-8', 799),
    (3, 2, 'Great Expectations', '978-0-00-000003-5', 1099),
    (4, 3, 'Frankenstein', '978-0-00-000004-2', 650);
INSERT INTO customers (id, email, full_name) OVERRIDING SYSTEM VALUE VALUES
    (1, 'ada@example.com', 'Ada Byron'), (2, 'tom@example.com', 'Thomas Gradgrind'),
    (3, 'lizzy@example.com', 'Elizabeth Bennet');
INSERT INTO orders (id, customer_id, placed_at, status) OVERRIDING SYSTEM VALUE VALUES
    (1, 1, '2024-03-01 10:15:00+00', 'shipped'), (2, 3, '2024-03-02 16:40:00+00', 'paid'),
    (3, 2, '2024-03-03 09:05:00+00', 'cancelled');
INSERT INTO order_lines (order_id, book_id, quantity, unit_price) VALUES
    (1, 1, 2, 8.99), (1, 4, 1, 6.50), (2, 3, 1, 10.99), (2, 2, 3, 7.99);
SELECT setval(pg_get_serial_sequence(t, 'id'), 10)
FROM unnest(ARRAY['authors', 'books', 'customers', 'orders']) AS t;
SQL
}

fresh_copy
sample_versions "$m"
tap_is "$missing" "" "every lab migration has a down script"
# The failure drill is the last migration: the others are checked first.
drill=0015
drill_file=$(cd "$m" && echo "$drill"_*.up.sql)
tap_is "${versions##* }" "$drill" "the failure drill, $drill, is the last lab migration"

# ---------------------------------------------- one migration at a time
state >"$tmp/empty"
for v in $versions; do
    [ "$v" = "$drill" ] && break
    round_trip "$v"
    [ "$v" = 0005 ] && { load_rows || tap_bail "cannot load the sample rows"; }
done

# What the migrations say they do.
tap_is "$(q "select count(*) from orders where total_cents <> (select coalesce(sum(quantity *
             unit_price_cents), 0) from order_lines where order_id = orders.id)")" 0 \
    "every order's total is the sum of its lines, in cents"
tap_is "$(q "select string_agg(total_cents::text, ',' order by id) from orders")" "2448,3496,0" \
    "the backfill did something: two orders have lines, one has none"
tap_is "$(q "select attnotnull from pg_attribute where attrelid = 'orders'::regclass
             and attname = 'total_cents'")" t "orders.total_cents is NOT NULL"
tap_is "$(q "select count(*) from pg_constraint where conrelid = 'orders'::regclass
             and conname = 'orders_total_cents_not_null'")" 0 "and the CHECK that helped is gone"
tap_is "$(q "select convalidated from pg_constraint where conname = 'orders_customer_id_fkey'")" \
    t "the orders' foreign key is validated"
tap_is "$(q "select string_agg(c.relname || ':' || i.indisvalid, ',' order by c.relname)
             from pg_index i join pg_class c on c.oid = i.indexrelid
             where c.relname in ('orders_customer_placed', 'customers_email_lower_key')")" \
    "customers_email_lower_key:true,orders_customer_placed:true" \
    "the concurrent indexes are valid"
tap_is "$(q "select format_type(atttypid, atttypmod) from pg_attribute
             where attrelid = 'order_lines'::regclass and attname = 'unit_price_cents'")" \
    integer "order_lines.unit_price is now unit_price_cents, an integer"

# ---------------------------------------------- the deliberate failure
state >"$tmp/before"
drill_line=$(grep -n '^CREATE .*(boook_id)' "$m/$drill_file" | cut -d: -f1)
sw up -n 1 --yes >"$tmp/out" 2>"$tmp/err"
tap_is "$?" 1 "$drill fails on purpose: exit 1"
tap_like "$(cat "$tmp/err")" \
    "$m/$drill_file:$drill_line:1: ERROR: column \"boook_id\" does not exist" \
    "the error names the file and the line of the failing statement"
tap_like "$(cat "$tmp/err")" "version $drill is dirty after 1 of 2 statements" \
    "and says it is dirty after the first statement"
tap_is "$(q "select dirty || ':' || steps_done from stepwise_history where version = '$drill'")" \
    "true:1" "the history row is dirty, steps_done 1"
tap_is "$(q "select to_regclass('books_title_lower') is not null,
             to_regclass('order_lines_book') is not null")" "t|f" \
    "the first index was built, the second not"
sw status >"$tmp/out" 2>&1
tap_is "$?" 4 "status exits 4 while it is dirty"
sw up --yes >"$tmp/out" 2>&1
tap_is "$?" 2 "up refuses to run past a dirty version"

# One way past: correct the file, resume, then force records the corrected file.
sed 's/(boook_id)/(book_id)/' "$m/$drill_file" >"$tmp/fixed" && cp "$tmp/fixed" "$m/$drill_file"
sw resume --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "corrected, $drill resumes after the statement already done"
tap_like "$(cat "$tmp/out")" "resuming the apply of $drill after statement 1" "and says so"
sw force "$drill" --yes --confirm-version "$drill" >"$tmp/out" 2>&1
tap_is "$?" 0 "force $drill records the corrected file"
sw status >"$tmp/out" 2>&1
tap_is "$?" 0 "status exits 0"
tap_like "$(cat "$tmp/out")" "$count applied, 0 pending, 0 dirty, 0 drifted, 0 missing" \
    "every lab migration is applied and none drifted"
tap_is "$(q "select indisvalid from pg_index where indexrelid = 'order_lines_book'::regclass")" \
    t "the corrected index is there and valid"
sw down --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "$drill rolls back"
state_is "$tmp/before" "$drill: after its down script, schema and rows are as before"

# ---------------------------------------------- failed-index: 0014 on a duplicate
sw down --yes >"$tmp/out" 2>&1 || tap_bail "cannot roll back 0014"
state >"$tmp/before"
q "insert into customers (email, full_name) values ('Ann@example.com', 'Ann'),
   ('ann@example.com', 'Ann again')" >/dev/null
sw up -n 1 --yes >"$tmp/out" 2>"$tmp/err"
tap_is "$?" 1 "0014 fails when two emails differ only in case"
tap_like "$(cat "$tmp/err")" "could not create unique index \"customers_email_lower_key\"" \
    "the error says which index"
tap_like "$(cat "$tmp/err")" "DROP INDEX CONCURRENTLY public.customers_email_lower_key;" \
    "and names the DROP for the invalid index it left"
tap_is "$(q "select indisvalid from pg_index
             where indexrelid = 'customers_email_lower_key'::regclass")" f \
    "the index is there, invalid"
sw status >"$tmp/out" 2>&1
tap_is "$?" 4 "status exits 4: 0014 is dirty"
q "delete from customers where email = 'ann@example.com'" >/dev/null
q "drop index concurrently public.customers_email_lower_key" >/dev/null
sw resume --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "without the duplicate and the invalid index, resume builds it"
tap_is "$(q "select indisvalid from pg_index
             where indexrelid = 'customers_email_lower_key'::regclass")" t "valid this time"
q "delete from customers where email = 'Ann@example.com'" >/dev/null
sw down --yes >"$tmp/out" 2>&1
state_is "$tmp/before" "0014 rolled back: schema and rows as before the duplicate"

# ---------------------------------------------- down to zero, then again
sw down --to 0 --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "down --to 0 rolls everything back"
state_is "$tmp/empty" "the schema is as the test found it"
tap_is "$(q "select count(*) from stepwise_history")" 0 "and the history is empty"

fresh_copy
sw up --yes >"$tmp/out" 2>"$tmp/err"
tap_is "$?" 1 "the second time, up applies everything and stops at $drill"
tap_is "$(q "select string_agg(version, ',' order by version) from stepwise_history
             where dirty")" "$drill" "only $drill is dirty"
# The other way past: remove its record, correct the file, apply it again.
sw force "$drill" --unapplied --yes --confirm-version "$drill" >"$tmp/out" 2>&1
tap_is "$?" 0 "force --unapplied removes its record"
sed 's/(boook_id)/(book_id)/' "$m/$drill_file" >"$tmp/fixed" && cp "$tmp/fixed" "$m/$drill_file"
sw up --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "corrected, up runs it again whole (the first index is kept)"
tap_is "$(q "select count(*) from stepwise_history where not dirty")" "$count" \
    "every version is recorded clean"
sw down --to 0 --yes >"$tmp/out" 2>&1
tap_is "$?" 0 "and down --to 0 rolls it all back"
state_is "$tmp/empty" "the schema is as the test found it"
tap_is "$(q "select count(*) from stepwise_history")" 0 "and the history is empty"

tap_done
