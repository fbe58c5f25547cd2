#!/bin/sh
# Dry runs against a real throwaway PostgreSQL: `stepwise diff VERSION`,
# `diff VERSION --down` and `plan --dry-run`. The locks each statement
# really takes are compared with what the server's documentation says
# (CREATE INDEX: ShareLock; ADD COLUMN: AccessExclusiveLock; ADD FOREIGN
# KEY: ShareRowExclusiveLock on both tables; VALIDATE CONSTRAINT:
# ShareUpdateExclusiveLock), and every dry run must leave the schema
# (pg_dump --schema-only), the data and the history exactly as before.
# Also: a failing statement, a lock timeout, a no-transaction migration
# refused on the target, --shadow, the dry_run audit event; on a shadow a
# no-transaction migration runs for real and its down script puts the
# shadow back (pg_dump and history compared), or what remains is shown.
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
tap_is "$rc" 2 "a no-transaction migration cannot be dry-run on the target: exit 2"
tap_like "$err" "0006 ($m/0006_slow.up.sql) is a no-transaction migration" \
    "naming its version and file"
tap_like "$err" "cannot be dry-run on the target; nothing was run" "saying why"
tap_like "$err" "Dry-run it on a staging copy with --shadow DB" "offering --shadow"
tap_is "$(state)" "$before" "schema, data and history exactly as before"
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

# ------------------------------------- --shadow, no-transaction: for real
# There the migrations run for real (a no-transaction one cannot be rolled
# back), then their down scripts put the shadow back; its history is never
# written.
qs() { psql -XAtq -d shadow -c "$1" 2>&1; }
shadow_history() { qs "select version, checksum, dirty, steps_done, applied_at
                       from stepwise_history order by version"; }
lines "$m/0006_concurrently.up.sql" '-- stepwise:no-transaction' \
    'create index concurrently customers_name_idx on customers (name);'
lines "$m/0006_concurrently.down.sql" '-- stepwise:no-transaction' \
    'drop index concurrently customers_name_idx;'
stepwise_run diff 0006 --dir "$m" --db "$db"
tap_is "$rc" 2 "on the target, the no-transaction 0006 is refused"
tap_like "$err" "with --shadow DB" "offering --shadow"
stepwise_run diff 0006 --shadow "$db" --dir "$m" --db "$db"
tap_is "$rc" 2 "--shadow naming the target itself: exit 2"
tap_like "$err" "is the target database itself" "refused, since it would run for real"
tap_is "$(state)" "$before" "the target was not touched"

history_before=$(shadow_history)
stepwise_run diff 0006 --shadow "$shadow" --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0006 --shadow exits 0"
tap_like "$out" "for real: 0006 is a no-transaction migration, which cannot be rolled back; the shadow is changed, then put back with the down scripts" \
    "saying it runs for real on the shadow"
tap_like "$out" "apply 0004 fk ($m/0004_fk.up.sql), run first" "the shadow's pending 0004 runs first"
tap_like "$out" "took   ShareRowExclusiveLock    public.customers (table)" \
    "a transactional migration runs in a transaction of its own, its locks observed"
tap_like "$out" "[1] line 2  CREATE INDEX CONCURRENTLY" "0006's statement, by line and kind"
tap_like "$out" "predicted ShareUpdateExclusiveLock customers" "with the predicted lock"
tap_like "$out" "took      cannot be observed: in autocommit the statement released its locks as it ended" \
    "and no invented taken lock"
tap_like "$out" "schema diff of the version in focus:
+ index public.customers_name_idx" "the diff shows the index"
tap_like "$out" "put back:
roll back 0006 concurrently ($m/0006_concurrently.down.sql)
  [1] line 2  DROP INDEX CONCURRENTLY" "then the down scripts run, the last migration first"
tap_like "$out" "roll back 0004 fk" "down to the first migration run"
tap_like "$out" "was changed, then put back: its schema is as it began" "saying the shadow is back"
tap_like "$out" "the history was not written" "and that its history was not written"
tap_is "$(dump_shadow)" "$before_shadow" "the shadow's schema is as it began (pg_dump)"
tap_is "$(shadow_history)" "$history_before" "its history is as before: nothing recorded as applied"
tap_is "$(state)" "$before" "and the target was not touched"
event=$(qs "select action || '|' || version || '|' || outcome || '|' || detail from stepwise_events
            order by id desc limit 1")
tap_like "$event" "dry_run|0006|ok|3 migrations, 6 statements, " \
    "the dry run is recorded in the shadow's events"
tap_like "$event" "; run for real on a shadow database (no-transaction), history not written, put back: schema as it began" \
    "saying what happened to the shadow"

stepwise_run diff 0006 --shadow "$shadow" --json --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0006 --shadow --json exits 0"
tap_is "$(json_field "$out" '["committed"]'):$(json_field "$out" '["restored"]'):$(json_field "$out" '["remains"]["changes"]')" \
    "True:True:[]" "committed, restored, nothing remains"
tap_is "$(json_field "$out" '["migrations"][2]["statements"][0]["locks_observed"]'):$(json_field "$out" '["migrations"][2]["statements"][0]["locks_predicted"][0]["mode"]')" \
    "False:ShareUpdateExclusiveLock" "0006's locks: not observed, predicted"
tap_is "$(printf '%s' "$out" | python3 -c 'import json, sys
print(",".join(v["version"] + " " + v["direction"] for v in json.load(sys.stdin)["put_back"]))')" \
    "0006 down,0005 down,0004 down" "put back: 0006, 0005, 0004, in that order"
tap_is "$(dump_shadow)" "$before_shadow" "the shadow's schema is as it began"

# Without a down script the shadow stays changed, and the output says so.
stepwise_run up --yes --dir "$m" --db "$shadow" --to 0005
before_shadow=$(dump_shadow) history_before=$(shadow_history)
mv "$m/0006_concurrently.down.sql" "$tmp/0006.down"
stepwise_run diff 0006 --shadow "$shadow" --dir "$m" --db "$db"
tap_is "$rc" 0 "without a down script: exit 0"
tap_like "$out" "the shadow is changed and not put back: 0006 has no down script" "said first"
tap_like "$out" "is not as it began (0006 has no down script); what remains on it:
+ index public.customers_name_idx" "and at the end, with what remains"
tap_like "$err" "warning: the shadow database" "a warning on stderr"
tap_is "$(shadow_history)" "$history_before" "its history is as before"
qs 'drop index customers_name_idx' >/dev/null
tap_is "$(dump_shadow)" "$before_shadow" "nothing else remained"
mv "$tmp/0006.down" "$m/0006_concurrently.down.sql"

# A lock held elsewhere on the shadow: lock timeout, exit 3, nothing left.
fifo_session holder2 '\connect shadow
begin; lock table customers in share update exclusive mode;'
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'holder2'
          and state = 'idle in transaction')" || tap_bail "the second holder never locked"
stepwise_run diff 0006 --shadow "$shadow" --lock-timeout 300ms --dir "$m" --db "$db"
tap_is "$rc" 3 "a lock held on the shadow: lock timeout, exit 3"
tap_like "$err" "$m/0006_concurrently.up.sql:2:1: ERROR: canceling statement due to lock timeout" \
    "naming the statement"
tap_like "$out" "is as it began: nothing remains of what ran" "the shadow is as it began"
exec 3>&-
wait "$session_pid" 2>/dev/null
session_pid=
tap_is "$(dump_shadow)" "$before_shadow" "pg_dump agrees"
tap_is "$(qs "select outcome from stepwise_events order by id desc limit 1")" lock_timeout \
    "a dry_run/lock_timeout event"

# A failing statement: named; nothing more runs; what remains is shown.
lines "$m/0006_concurrently.up.sql" '-- stepwise:no-transaction' \
    'create index concurrently customers_name_idx on customers (name);' \
    'create unique index concurrently customers_half_idx on customers ((id % 2));'
stepwise_run diff 0006 --shadow "$shadow" --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing no-transaction statement on the shadow: exit 1"
tap_like "$err" "$m/0006_concurrently.up.sql:3:1: ERROR: could not create unique index" \
    "naming file, line and the server's error"
tap_like "$err" "the dry run stopped there; what ran before it on the shadow stays" "saying what it means"
tap_unlike "$out" "put back:" "no down script runs after a failure"
tap_like "$out" "is not as it began (the dry run stopped, so the down scripts did not run" \
    "saying the shadow is not as it began"
tap_like "$out" "+ index public.customers_half_idx
+   CREATE UNIQUE INDEX customers_half_idx ON public.customers USING btree (((id % 2)))
+   invalid" "what remains: the invalid index the failed build left"
tap_like "$out" "+ index public.customers_name_idx" "and the index the first statement built"
tap_is "$(shadow_history)" "$history_before" "its history is as before"
tap_is "$(qs "select outcome from stepwise_events order by id desc limit 1")" failed \
    "a dry_run/failed event in the shadow's events"
tap_is "$(state)" "$before" "the target was not touched"

tap_done
