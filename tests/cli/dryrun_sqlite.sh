#!/bin/sh
# Dry runs on a SQLite file: `stepwise diff VERSION`, `--down`, `plan
# --dry-run`. The schema diff of each, and the file exactly as before
# afterwards (its whole schema as the sqlite3 shell dumps it, its rows,
# the history); a failing statement; the dry_run audit event. Also the
# schema snapshot saved before every changing run, and the check after
# a failed migration that nothing of it remains (with a snapshot taken just
# before it, or the run's older one, named as such; --snapshot-each). A
# no-transaction migration dry-run for real on a shadow file.
. "$top_srcdir/tests/harness/tap.sh"

command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3 command to look at the database"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

file=$tmp/a.db
db=sqlite:$file
q() { sqlite3 -batch "$file" "$1" 2>&1; }
lines() {
    _f=$1; shift
    printf '%s\n' "$@" >"$_f"
}
state() {
    sqlite3 -batch "$file" .schema
    q "select 'books', count(*), coalesce(sum(price), 0) from books"
    q "select version, checksum, dirty, steps_done, applied_at from stepwise_history
       order by version"
}

m=$tmp/m
mkdir "$m"
lines "$m/0001_books.up.sql" 'create table books (id integer primary key, title text, price int);' \
    "insert into books (title, price) values ('a', 10), ('b', 20), ('c', 30);"
lines "$m/0001_books.down.sql" 'drop table books;'
lines "$m/0002_isbn.up.sql" 'alter table books add column isbn text;' \
    "update books set isbn = 'x' || id where price > 10;"
lines "$m/0002_isbn.down.sql" 'alter table books drop column isbn;'
lines "$m/0003_idx.up.sql" 'create index books_title_idx on books (title);'
lines "$m/0003_idx.down.sql" 'drop index books_title_idx;'

stepwise_run up -n 1 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "0001 applied for real"
tap_like "$out" "schema before the run saved to $tmp/state/stepwise/snapshots/a.db-" \
    "the schema before the run is saved in the state folder"
saved=$(ls "$tmp"/state/stepwise/snapshots/a.db-*.schema 2>/dev/null | head -n 1)
tap_ok "the snapshot file is there" test -f "$saved"
tap_like "$(q "select detail from stepwise_events where action = 'snapshot'")" "$saved" \
    "and named in the run's audit events"
before=$(state)

stepwise_run diff 0002 --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0002 exits 0"
tap_like "$out" "apply 0002 isbn ($m/0002_isbn.up.sql)" "naming the migration"
tap_like "$out" "[2] line 2  UPDATE" "each statement by line"
tap_like "$out" "2 rows" "with the rows it touched"
tap_like "$out" "SQLite takes one lock on the whole file" "saying why no locks are listed"
tap_like "$out" "~ table books" "the schema diff names the table"
tap_like "$out" "+ " "with the added lines"
tap_like "$out" "isbn" "showing the new column"
tap_is "$(state)" "$before" "the file is exactly as before"
tap_is "$(q "select action || '|' || version || '|' || outcome from stepwise_events
             order by id desc limit 1")" "dry_run|0002|ok" "a dry_run event"

stepwise_run plan --dry-run --json --dir "$m" --db "$db"
tap_is "$rc" 0 "plan --dry-run --json exits 0"
tap_is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin)
print(len(d["migrations"]), d["ok"], d["diff"]["added"], d["diff"]["changed"])')" "2 True 1 1" \
    "two migrations; one object added (the index), one changed (the table)"
tap_is "$(state)" "$before" "the file is exactly as before"

stepwise_run up --yes --dir "$m" --db "$db"
saved=$(ls -t "$tmp"/state/stepwise/snapshots/a.db-*.schema | head -n 1)
tap_like "$(cat "$saved")" "table books" "the next run's snapshot holds the schema as it was"
tap_unlike "$(cat "$saved")" "isbn" "before that run"
before=$(state)
stepwise_run diff 0002 --down --dir "$m" --db "$db"
tap_is "$rc" 0 "diff 0002 --down exits 0"
tap_like "$out" "roll back 0003 idx" "rolls back 0003 first"
tap_like "$out" "roll back 0002 isbn" "then 0002"
tap_like "$out" "- " "the diff shows lines going"
tap_is "$(state)" "$before" "the file is exactly as before"

lines "$m/0004_bad.up.sql" 'create table t4 (id int);' 'insert into nowhere values (1);'
stepwise_run diff 0004 --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing statement: exit 1"
tap_like "$err" "$m/0004_bad.up.sql:2:1: " "naming file:line:col"
tap_like "$err" "no such table: nowhere" "and the error"
tap_is "$(state)" "$before" "the file is exactly as before"

# A failing no-transaction migration: what remains is reported.
lines "$m/0004_bad.up.sql" '-- stepwise:no-transaction' 'create table t4 (id int);' \
    'insert into nowhere values (1);'
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing no-transaction migration exits 1"
tap_like "$err" "schema compared with the snapshot taken before it; what remains:" \
    "the schema is compared with the snapshot taken before it"
tap_like "$err" "+ table t4" "and what it left is named"
tap_like "$(q "select detail from stepwise_events where action = 'apply' order by id desc limit 1")" \
    "schema changed by the migration: + table t4" "in the audit event too"
q 'drop table t4' >/dev/null
stepwise_run force 0004 --unapplied --confirm-version 0004 --yes --dir "$m" --db "$db"
lines "$m/0004_bad.up.sql" 'create table t4 (id int);' 'insert into nowhere values (1);'
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing migration exits 1"
tap_like "$err" "schema compared with the snapshot taken before it: nothing remains" \
    "and after its rollback nothing remains"
tap_like "$(q "select detail from stepwise_events where action = 'apply' order by id desc limit 1")" \
    "schema as before the migration" "the audit event says so"

# A transactional migration failing after others committed in the same run
# has no snapshot of its own (--yes: about 10 ms each would slow long runs
# of light migrations); it is compared with the run's, and says so.
rm "$m/0004_bad.up.sql"
lines "$m/0004_t4.up.sql" 'create table t4 (id int);'
lines "$m/0004_t4.down.sql" 'drop table t4;'
lines "$m/0005_rows.up.sql" "insert into books (title, price) values ('d', 40);"
lines "$m/0005_rows.down.sql" "delete from books where title = 'd';"
lines "$m/0006_bad.up.sql" 'create table t6 (id int);' 'insert into nowhere values (1);'
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 1 "three migrations, the third failing: exit 1"
saved=$(ls -t "$tmp"/state/stepwise/snapshots/a.db-*.schema | head -n 1)
tap_like "$err" "schema compared with the snapshot taken before the run ($saved), not with one taken just before 0006: changed since by the migrations this run committed (0004..0005, 2 migrations):
    + table t4" \
    "compared with the run's snapshot, saying so, and naming the migrations committed since"
tap_unlike "$err" "t6" "nothing of 0006 remains"
tap_unlike "$err" "snapshot taken before it" "never claiming a snapshot taken just before 0006"
tap_like "$(q "select detail from stepwise_events where action = 'apply' order by id desc limit 1")" \
    "schema compared with the snapshot taken before the run ($saved), not with one taken just before 0006: changed since by the migrations this run committed (0004..0005, 2 migrations): + table t4" \
    "the audit event says the same"
stepwise_run down -n 2 --yes --dir "$m" --db "$db"

stepwise_run up --yes --snapshot-each --dir "$m" --db "$db"
tap_is "$rc" 1 "the same run with --snapshot-each: exit 1"
tap_like "$err" "schema compared with the snapshot taken before it: nothing remains" \
    "compared with a snapshot taken just before 0006"
tap_unlike "$err" "taken before the run" "not with the run's"
tap_like "$(q "select detail from stepwise_events where action = 'apply' order by id desc limit 1")" \
    "schema as before the migration" "the audit event says so"
stepwise_run down -n 1 --yes --dir "$m" --db "$db"

stepwise_run up --yes --dir "$m" --db "$db"
tap_like "$err" "not with one taken just before 0006: no difference, so nothing of 0006 remains" \
    "after a migration that changed only rows, the run's snapshot shows that nothing remains"
tap_like "$(q "select detail from stepwise_events where action = 'apply' order by id desc limit 1")" \
    "not with one taken just before 0006: no difference, so nothing of the migration remains" \
    "the audit event says so"

# A no-transaction migration: refused on the target; on a shadow file it
# runs for real and its down script puts the file back.
rm "$m/0006_bad.up.sql"
lines "$m/0006_vacuum.up.sql" '-- stepwise:no-transaction' 'create table t6 (id int);' 'vacuum;'
lines "$m/0006_vacuum.down.sql" 'drop table t6;'
stepwise_run up --yes --dir "$m" --db "$db" --to 0005
before=$(state)
stepwise_run diff 0006 --dir "$m" --db "$db"
tap_is "$rc" 2 "a no-transaction migration is refused on the target"
tap_like "$err" "Dry-run it on a staging copy with --shadow DB" "offering --shadow"
cp "$file" "$tmp/shadow.db"
shadow_state() { # in name order: VACUUM rewrites sqlite_schema in another
    sqlite3 -batch "$tmp/shadow.db" "select type, name, sql from sqlite_schema order by type, name"
    sqlite3 -batch "$tmp/shadow.db" "select version, checksum, dirty, steps_done, applied_at
                                     from stepwise_history order by version"
}
before_shadow=$(shadow_state)
stepwise_run diff 0006 --shadow "sqlite:$tmp/shadow.db" --dir "$m" --db "$db"
tap_is "$rc" 0 "on a shadow file: exit 0"
tap_like "$out" "for real: 0006 is a no-transaction migration" "run for real"
tap_like "$out" "[2] line 3  VACUUM" "statement by statement"
tap_like "$out" "+ table t6" "the diff shows the new table"
tap_like "$out" "roll back 0006 vacuum ($m/0006_vacuum.down.sql)" "then the down script runs"
tap_like "$out" "was changed, then put back: its schema is as it began" "and the file is back"
tap_is "$(shadow_state)" "$before_shadow" "the shadow's schema and history are as before"
tap_is "$(state)" "$before" "the target was not touched"
stepwise_run diff 0006 --shadow "$file" --dir "$m" --db "$db"
tap_is "$rc" 2 "a --shadow naming the target's own file is refused"

tap_done
