#!/bin/sh
# Dry runs against a real throwaway PostgreSQL: `stepwise diff VERSION`,
# `diff VERSION --down` and `plan --dry-run`. The locks each statement
# really takes are compared with what the server's documentation says
# (CREATE INDEX: ShareLock; ADD COLUMN: AccessExclusiveLock; ADD FOREIGN
# KEY: ShareRowExclusiveLock on both tables; VALIDATE CONSTRAINT:
# ShareUpdateExclusiveLock), and every dry run must leave the schema
# (pg_dump --schema-only), the data and the history exactly as before.
# Also: a failing statement, a lock timeout, a no-transaction migration
# refused, --shadow, the dry_run audit event.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
cleanup() {
    exec 3>&- 2>/dev/null
    [ -z "${session_pid:-}" ] || kill "$session_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

q() { psql -XAtq -c "$1" 2>&1; }
q 'select 1' >/dev/null || tap_bail "psql could not reach the test server"
db=$STEPWISE_TEST_PG
WAIT_FOR_SECONDS=20
. "$top_srcdir/tests/screen/locks_sessions.sh"

lines() {
    _f=$1; shift
    printf '%s\n' "$@" >"$_f"
}

# What "exactly as before" compares: the whole schema as pg_dump sees it,
# the rows of the application tables and the history table.
state() {
    pg_dump --schema-only --no-owner -d postgres 2>&1 | grep -v '^--' | grep -v '^.unrestrict\|^.restrict'
    q "select 'orders', count(*), coalesce(sum(total), 0) from orders"
    q "select 'customers', count(*) from customers"
    q "select version, checksum, dirty, steps_done, applied_at from stepwise_history
       order by version"
}

# The relation locks of the migrations in focus, from --json: "mode object".
focus_locks() {
    printf '%s' "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for m in d["migrations"]:
    if m["in_focus"]:
        for s in m["statements"]:
            for l in s["locks_taken"]:
                if l["locktype"] == "relation" and l["relkind"] == "table":
                    print(l["mode"], l["object"])
'
}
# "relation predicted taken verdict" for the migrations in focus.
focus_checks() {
    printf '%s' "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for m in d["migrations"]:
    if m["in_focus"]:
        for s in m["statements"]:
            for c in s["checks"]:
                print(c["relation"], c["predicted"], c["taken"], c["verdict"])
'
}
json_field() { printf '%s' "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)$2)"; }

m=$tmp/m
mkdir "$m"
lines "$m/0001_base.up.sql" \
    'create table customers (id int primary key, name text);' \
    'create table orders (id int primary key, customer_id int, total int);' \
    'insert into customers select g, $$c$$ || g from generate_series(1, 50) g;' \
    'insert into orders select g, 1 + g % 50, g from generate_series(1, 500) g;'
lines "$m/0001_base.down.sql" 'drop table orders;' 'drop table customers;'
lines "$m/0002_index.up.sql" 'create index orders_total_idx on orders (total);'
lines "$m/0002_index.down.sql" 'drop index orders_total_idx;'
lines "$m/0003_note.up.sql" 'alter table orders add column note text;' \
    'update orders set note = $$n$$ where id <= 10;'
lines "$m/0003_note.down.sql" 'alter table orders drop column note;'
lines "$m/0004_fk.up.sql" 'alter table orders add constraint orders_customer_fk' \
    '    foreign key (customer_id) references customers (id) not valid;'
lines "$m/0004_fk.down.sql" 'alter table orders drop constraint orders_customer_fk;'
lines "$m/0005_validate.up.sql" 'alter table orders validate constraint orders_customer_fk;'
lines "$m/0005_validate.down.sql" 'select 1;'

stepwise_run up -n 1 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "0001 applied for real"
before=$(state)

# ------------------------------------------------------- CREATE INDEX
stepwise_run diff 0002 --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0002 exits 0"
tap_like "$out" "apply 0002 index ($m/0002_index.up.sql)" "naming the migration and its file"
tap_like "$out" "[1] line 1  CREATE INDEX" "then its statement, by line and kind"
tap_like "$out" "took   ShareLock                public.orders (table)" \
    "CREATE INDEX took ShareLock on the table"
tap_like "$out" "check  public.orders: predicted SHARE, held SHARE: as predicted" \
    "as the analysis predicted"
tap_like "$out" "+ index public.orders_total_idx" "the schema diff shows the new index"
tap_like "$out" "rolled back after" "and says it was rolled back"
tap_like "$out" "0 lock mismatches with the analysis" "with no mismatch"
tap_is "$(state)" "$before" "schema, data and history exactly as before"
tap_is "$(q "select action || '|' || version || '|' || outcome from stepwise_events
             order by id desc limit 1")" "dry_run|0002|ok" "a dry_run event in the events table"
tap_like "$(cat "$tmp/state/stepwise/audit.jsonl")" '"action":"dry_run"' \
    "and a line in the local audit file"
before=$(state) # the events table grew: that is the audit, not the history

# ------------------------------------------------- ADD COLUMN (after 0002)
stepwise_run diff 0003 --json --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0003 --json exits 0"
tap_is "$(focus_locks "$out")" "AccessExclusiveLock public.orders" \
    "ADD COLUMN took AccessExclusiveLock on the table (the UPDATE after it, nothing new)"
tap_is "$(json_field "$out" '["migrations"][0]["in_focus"]'):$(json_field "$out" '["migrations"][0]["version"]')" \
    "False:0002" "0002 ran first, outside the focus"
tap_is "$(json_field "$out" '["migrations"][1]["statements"][1]["rows"]')" 10 \
    "the UPDATE's rows are counted"
tap_like "$(json_field "$out" '["diff"]["changes"][0]["diff"]')" "+  column note text" \
    "the diff of the focus shows the new column"
tap_unlike "$(json_field "$out" '["diff"]')" "orders_total_idx" \
    "and not the index made by 0002, which ran before the focus"
tap_is "$(state)" "$before" "schema, data and history exactly as before"

# ------------------------------------------------- ADD FOREIGN KEY, VALIDATE
stepwise_run up --to 0003 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "0002 and 0003 applied for real"
before=$(state)
stepwise_run diff 0004 --json --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0004 exits 0"
tap_is "$(focus_locks "$out")" "ShareRowExclusiveLock public.customers
ShareRowExclusiveLock public.orders" "ADD FOREIGN KEY took ShareRowExclusiveLock on both tables"
tap_is "$(focus_checks "$out" | sort)" "public.customers ShareRowExclusiveLock ShareRowExclusiveLock as predicted
public.orders ShareRowExclusiveLock ShareRowExclusiveLock as predicted" \
    "both as predicted"
tap_is "$(state)" "$before" "schema, data and history exactly as before"
stepwise_run up -n 1 --yes --dir "$m" --db "$db"
before=$(state)
stepwise_run diff 0005 --json --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0005 exits 0"
tap_is "$(focus_locks "$out")" "RowShareLock public.customers
ShareUpdateExclusiveLock public.orders" \
    "VALIDATE CONSTRAINT took ShareUpdateExclusiveLock on the table (and RowShareLock on the referenced one)"
tap_like "$(json_field "$out" '["diff"]["changes"][0]["diff"]')" "NOT VALID" \
    "the diff shows NOT VALID going away"
tap_is "$(state)" "$before" "schema, data and history exactly as before"

# ---------------------------------------------------------- --down, plan
stepwise_run diff 0004 --down --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0004 --down exits 0"
tap_like "$out" "roll back 0004 fk ($m/0004_fk.down.sql)" "dry-runs the down script"
tap_like "$out" "took   AccessExclusiveLock      public.orders (table)" \
    "dropping the constraint takes AccessExclusiveLock"
tap_like "$out" "~ table public.orders" "the diff shows the table changing"
tap_is "$(state)" "$before" "schema, data and history exactly as before"
stepwise_run diff 0005 --down --dir "$m" --db "$db"
tap_is "$rc" 2 "diff of a pending version with --down exits 2"
tap_like "$err" "version 0005 is pending, not applied" "saying why"
stepwise_run diff 0003 --dir "$m" --db "$db"
tap_is "$rc" 2 "diff of an applied version without --down exits 2"
tap_like "$err" "version 0003 is applied: dry-run its rollback with --down" "saying what to do"
stepwise_run diff 0042 --dir "$m" --db "$db"
tap_is "$rc" 2 "diff of an unknown version exits 2"
tap_like "$err" "no migration has version '0042'" "naming it"

stepwise_run plan --dry-run --dir "$m" --db "$db"
tap_is "$rc" 0 "plan --dry-run exits 0"
tap_like "$out" "apply 0005 validate" "runs the pending migration"
tap_like "$out" "took   ShareUpdateExclusiveLock public.orders (table)" "with its locks"
stepwise_run plan down -n 2 --dry-run --dir "$m" --db "$db"
tap_is "$rc" 0 "plan down -n 2 --dry-run exits 0"
tap_like "$out" "roll back 0004 fk" "rolls back 0004"
tap_like "$out" "roll back 0003 note" "and 0003"
tap_like "$out" "column note text" "the diff shows the column going"
tap_is "$(state)" "$before" "schema, data and history exactly as before"

# ------------------------------------------------------ failures
lines "$m/0006_bad.up.sql" 'alter table orders add column extra int;' '' \
    'alter table orders add column extra int;'
stepwise_run up -n 1 --yes --dir "$m" --db "$db"
before=$(state)
stepwise_run diff 0006 --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing statement: exit 1"
tap_like "$err" "$m/0006_bad.up.sql:3:" "naming file and line"
tap_like "$err" 'column "extra" of relation "orders" already exists' "and the server's error"
tap_like "$err" "rolled back; nothing was kept" "saying nothing was kept"
tap_is "$(state)" "$before" "schema, data and history exactly as before"
tap_is "$(q "select outcome from stepwise_events order by id desc limit 1")" failed \
    "a dry_run/failed event"
rm "$m/0006_bad.up.sql"

lines "$m/0006_slow.up.sql" 'alter table customers add column vip boolean;'
fifo_session holder 'begin; select count(*) from customers;'
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'holder'
          and state = 'idle in transaction')" || tap_bail "the holder never opened its transaction"
stepwise_run diff 0006 --lock-timeout 300ms --dir "$m" --db "$db"
tap_is "$rc" 3 "a lock held elsewhere: lock timeout, exit 3"
tap_like "$err" "canceling statement due to lock timeout" "the server's lock timeout"
tap_like "$err" "lock timeout: another session holds a lock it needs" "explained"
tap_is "$(q "select outcome from stepwise_events order by id desc limit 1")" lock_timeout \
    "a dry_run/lock_timeout event"
exec 3>&-
wait "$session_pid" 2>/dev/null
session_pid=
tap_is "$(state)" "$before" "schema, data and history exactly as before"

lines "$m/0006_slow.up.sql" '-- stepwise:no-transaction' \
    'create index concurrently customers_name_idx on customers (name);'
stepwise_run diff 0006 --dir "$m" --db "$db"
tap_is "$rc" 2 "a no-transaction migration cannot be dry-run: exit 2"
tap_like "$err" "0006_slow.up.sql is a no-transaction migration" "naming its file"
tap_like "$err" "cannot be dry-run" "saying why"
rm "$m/0006_slow.up.sql"

# ---------------------------------------------------------------- --shadow
q 'create database shadow' >/dev/null
shadow="$db dbname=shadow"
stepwise_run up --to 0003 --yes --dir "$m" --db "$shadow"
dump_shadow() { pg_dump --schema-only -d shadow | grep -v '^--' | grep -v '^.unrestrict\|^.restrict'; }
before_shadow=$(dump_shadow)
before=$(state)
stepwise_run diff 0004 --shadow "$shadow" --dir "$m" --db "$db"
tap_is "$rc" 0 "diff --shadow exits 0"
tap_like "$out" "took   ShareRowExclusiveLock    public.customers (table)" \
    "the locks, taken on the shadow"
tap_is "$(dump_shadow)" "$before_shadow" \
    "the shadow is as before"
tap_is "$(state)" "$before" "and the target was not touched"
tap_is "$(psql -XAtq -d shadow -c "select action || '|' || outcome from stepwise_events
                                   order by id desc limit 1")" "dry_run|ok" \
    "the dry run is recorded in the shadow's events"

tap_done
