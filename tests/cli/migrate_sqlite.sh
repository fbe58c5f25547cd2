#!/bin/sh
# The migration commands on a SQLite file, no server: up, status, plan,
# down, goto, redo, history; a failing migration leaves schema and history
# as before; BEGIN in a script is refused; two concurrent runners apply
# each migration exactly once (BEGIN IMMEDIATE, then the history read
# again); a hostile --table; a failing no-transaction migration leaves a
# dirty row (status exits 4) that resume completes.
. "$top_srcdir/tests/harness/tap.sh"

command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3 command to look at the database"

tmp=$(mktemp -d)
apid= bpid=
cleanup() {
    for p in $apid $bpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

file=$tmp/a.db
db=sqlite:$file
actor="os=$(id -un) host=$(uname -n)"

q() { sqlite3 -batch "$file" "$1" 2>&1; }
lines() {
    _f=$1; shift
    printf '%s\n' "$@" >"$_f"
}
exists() { q "select count(*) from sqlite_master where type = 'table' and name = '$1'"; }
schema_of() { q "select group_concat(name, ',') from (select name from sqlite_master order by name)"; }
rows_of() { q "select group_concat(r, ',') from (select version || ':' || checksum || ':' || dirty
               || ':' || steps_done || ':' || applied_at as r from $1 order by version)"; }
versions() { q "select group_concat(version, ',') from (select version from stepwise_history order by version)"; }
last_event() { q "select action || '|' || version || '|' || outcome from ${1:-stepwise_events}
                  order by id desc limit 1"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }

m=$tmp/m
mkdir "$m"
lines "$m/0001_a.up.sql" 'create table a (id int);'
lines "$m/0001_a.down.sql" 'drop table a;'
lines "$m/0002_b.up.sql" 'create table b (id int);' 'insert into b values (1), (2);'
lines "$m/0002_b.down.sql" 'drop table b;'

stepwise_run status --dir "$m" --db "$db"
tap_like "$err" "reading commands never create a database" "status on a missing file says it creates nothing"
tap_ok "and no file appears" test ! -e "$file"

stepwise_run up --dir "$m" --db "$db"
tap_is "$rc" 2 "up without --yes and without a terminal exits 2"
tap_like "$err" "pass --yes to apply the 2 migrations planned" "saying to pass --yes"

stepwise_run up -n 1 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "up -n 1 exits 0"
tap_like "$out" "applying 0001 a ... done (" "applying 0001"
tap_is "$(versions):$(exists a):$(exists b)" "0001:1:0" "0001 recorded, table a created, b not"
tap_is "$(q "select name || ':' || checksum || ':' || applied_by || ':' || dirty || ':' || steps_done
             || ':' || (duration_ms >= 0) from stepwise_history")" \
    "a:$(sum "$m/0001_a.up.sql"):$actor:0:1:1" "the history row: name, checksum, actor, clean"

stepwise_run plan --dir "$m" --db "$db"
tap_is "$rc" 0 "plan exits 0"
tap_is "$out" "-- apply 0002 b ($m/0002_b.up.sql, in a transaction)
BEGIN IMMEDIATE;
SELECT count(*) FROM \"stepwise_history\" WHERE version = '0002';
create table b (id int);
insert into b values (1), (2);
INSERT INTO \"stepwise_history\" (version, name, checksum, applied_at, applied_by, duration_ms, dirty, steps_done)
  VALUES ('0002', 'b', '$(sum "$m/0002_b.up.sql")', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), '$actor', :duration_ms, 0, 2);
INSERT INTO \"stepwise_events\" (actor, action, version, outcome, detail) VALUES ('$actor', 'apply', '0002', 'ok', NULL);
COMMIT;

-- SQLite: :duration_ms is the measured time, written when the migration commits" \
    "plan shows BEGIN IMMEDIATE, the history re-read, the script, the history and event rows, COMMIT"

stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "up exits 0"
tap_is "$(versions):$(exists b):$(q 'select count(*) from b')" "0001,0002:1:2" "0002 applied with its rows"
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc:$out" "0:nothing to do: 2 applied, 0 pending" "nothing left to do"

stepwise_run status --dir "$m" --db "$db"
tap_is "$rc" 0 "status exits 0"
tap_like "$out" "database sqlite:$file, history stepwise_history" "status names the file and the history"
tap_like "$out" "0002     b     applied" "0002 applied"
tap_like "$out" "2 applied, 0 pending, 0 dirty, 0 drifted, 0 missing" "summed up"
stepwise_run status --json --dir "$m" --db "$db"
tap_is "$(printf '%s\n' "$out" | grep -c '"state": "applied"')" 2 "status --json: two applied"

stepwise_run down --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "down exits 0"
tap_like "$out" "rolling back 0002 b ... done" "rolling back 0002"
tap_is "$(versions):$(exists b)" "0001:0" "down drops b and its row"
stepwise_run goto 0002 --yes --dir "$m" --db "$db"
tap_is "$rc:$(versions):$(exists b)" "0:0001,0002:1" "goto 0002 applies it again"
stepwise_run goto 0001 --yes --dir "$m" --db "$db"
tap_is "$rc:$(versions):$(exists b)" "0:0001:0" "goto 0001 rolls it back"
stepwise_run up --yes --dir "$m" --db "$db"
mark=$(q 'select max(id) from stepwise_events')
stepwise_run redo --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "redo exits 0"
tap_is "$(q "select group_concat(e, ',') from (select action || ':' || version || ':' || outcome as e
             from stepwise_events where id > $mark order by id)")" "rollback:0002:ok,apply:0002:ok" \
    "redo: a rollback then an apply event"
tap_is "$(versions):$(exists b)" "0001,0002:1" "and 0002 is applied"

stepwise_run history -n 2 --dir "$m" --db "$db"
tap_is "$rc" 0 "history exits 0"
tap_like "$(printf '%s\n' "$out" | sed -n 1p)" "apply             0002        ok            $actor" \
    "newest first: the apply of 0002"
tap_like "$(printf '%s\n' "$out" | sed -n 2p)" "rollback          0002        ok" "then its rollback"
tap_is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "history -n 2: two lines"

# A failing migration: the statements before the failure are undone.
lines "$m/0003_f.up.sql" 'create table c1 (id int);' 'create table c2 (id int);' \
    'insert into nosuch values (1);' 'create table c3 (id int);'
schema=$(schema_of) rows=$(rows_of stepwise_history)
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing migration exits 1"
tap_like "$err" "stepwise: $m/0003_f.up.sql:3:1: SQLite error: no such table: nosuch" \
    "naming file:line:col of the failed statement"
tap_like "$err" "version 0003 was rolled back; the database is as before it" "and the rollback"
tap_is "$(exists c1):$(exists c2)" "0:0" "the tables of its first statements are gone"
tap_is "$(schema_of)" "$schema" "the schema is exactly as before"
tap_is "$(rows_of stepwise_history)" "$rows" "the history is exactly as before"
tap_is "$(last_event)" "apply|0003|failed" "an apply/failed event"

# BEGIN in a transactional script: refused, nothing ran.
lines "$m/0003_f.up.sql" 'create table c1 (id int);' 'BEGIN;' 'create table c2 (id int);' 'COMMIT;'
events=$(q 'select count(*) from stepwise_events')
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 2 "BEGIN in a transactional script exits 2"
tap_like "$err" "$m/0003_f.up.sql:2:1: error: the script controls its own transaction" \
    "naming the line"
tap_like "$err" "nothing was run" "saying nothing ran"
tap_is "$(schema_of)|$(rows_of stepwise_history)|$(q 'select count(*) from stepwise_events')" \
    "$schema|$rows|$events" "schema, history and events unchanged"
rm "$m/0003_f.up.sql"

# Two runners at once on the same file.
cc=$tmp/cc
mkdir "$cc"
i=1
while [ "$i" -le 12 ]; do
    v=$(printf '%02d' "$i")
    lines "$cc/00${v}_t$v.up.sql" "create table t$v (id int);" \
        "insert into t$v with recursive r(x) as (select 1 union all select x + 1 from r where x < 100000) select x from r;"
    i=$((i + 1))
done
cfile=$tmp/c.db
"$STEPWISE" up --yes --dir "$cc" --db "sqlite:$cfile" </dev/null >"$tmp/a.out" 2>"$tmp/a.err" &
apid=$!
# The second starts once the first has applied something.
i=0
while [ "$i" -lt 200 ]; do
    n=$(sqlite3 -batch "$cfile" 'select count(*) from stepwise_history' 2>/dev/null)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.05
    i=$((i + 1))
done
"$STEPWISE" up --yes --dir "$cc" --db "sqlite:$cfile" </dev/null >"$tmp/b.out" 2>"$tmp/b.err" &
bpid=$!
wait "$apid"; arc=$?; apid=
wait "$bpid"; brc=$?; bpid=
tap_is "$arc:$brc" "0:0" "two concurrent runners both exit 0"
[ "$arc:$brc" = 0:0 ] || cat "$tmp/a.err" "$tmp/b.err" | sed 's/^/# /'
tap_is "$(cat "$tmp/a.out" "$tmp/b.out" | grep -c ' \.\.\. done (')" 12 \
    "between them, each of the 12 migrations applied once"
tap_is "$(sqlite3 -batch "$cfile" "select count(*) || ':' || count(distinct version) from stepwise_events
          where action = 'apply' and outcome = 'ok'")" "12:12" "twelve apply events, twelve versions"
tap_is "$(sqlite3 -batch "$cfile" "select count(*) from stepwise_history where not dirty")" 12 \
    "twelve clean rows"
tap_is "$(sqlite3 -batch "$cfile" 'select count(*) from t07')" 100000 "each script ran once (t07 has its rows once)"
tap_diag "skipped by the second runner: $(grep -c 'already done by another run' "$tmp/b.out")"

# A hostile --table value is a name, never SQL.
hd=$tmp/h
mkdir "$hd"
lines "$hd/0001_h.up.sql" 'create table hostile_ok (id int);'
evil='x"; drop table a; --'
stepwise_run up --yes --dir "$hd" --db "$db" --table "$evil"
tap_is "$rc" 0 "up with a hostile --table exits 0"
tap_is "$(exists a)" 1 "table a still exists"
tap_is "$(q "select group_concat(name, '|') from (select name from sqlite_master
             where type = 'table' and name like 'x%' order by name)")" \
    'x"; drop table a; --|x"; drop table a; --_events' "the history tables carry the odd name"
tap_is "$(q 'select version from "x""; drop table a; --"')" 0001 "and hold the history"
stepwise_run status --dir "$hd" --db "$db" --table "$evil"
tap_is "$rc" 0 "status reads it back"
tap_like "$out" "1 applied, 0 pending" "as applied"
stepwise_run up --yes --dir "$hd" --db "$db" --table a.b.c
tap_is "$rc" 2 "--table with two dots exits 2"
tap_like "$err" "--table 'a.b.c' is not [schema.]name" "saying so"

# A failing no-transaction migration: dirty, status 4, resume.
nt=$tmp/nt
mkdir "$nt"
lines "$nt/0001_n.up.sql" '-- stepwise:no-transaction' 'create table n1 (id int);' \
    'insert into created_later values (1);' 'create table n2 (id int);'
stepwise_run up --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 1 "a failing no-transaction migration exits 1"
tap_like "$err" "$nt/0001_n.up.sql:3:1: SQLite error: no such table: created_later" "naming file:line:col"
tap_like "$err" "version 0001 is dirty after 1 of 3 statements" "saying how far it got"
tap_is "$(q "select dirty || ':' || steps_done from nt_history")" "1:1" "the row is dirty, steps_done 1"
tap_is "$(exists n1):$(exists n2)" "1:0" "the first statement stays, the third never ran"
tap_is "$(last_event nt_events)" "apply|0001|failed" "an apply/failed event"
tap_is "$(q "select action || '|' || outcome from nt_events where action <> 'snapshot' order by id limit 1")" "apply|started" \
    "after an apply/started event recorded before the first statement"
stepwise_run status --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 4 "status exits 4 with a dirty row"
tap_like "$out" "0001     n     dirty" "showing it dirty"
tap_like "$out" "(apply stopped after statement 1; 'stepwise resume' or 'stepwise force 0001')" \
    "and after which statement it stopped"
stepwise_run up --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 2 "up is refused by preflight: exit 2"
tap_like "$err" "preflight FAIL: dirty: 0001 stopped after statement 1 (" "naming the dirty version"
tap_like "$err" "no such table: created_later" "and why it stopped"
q 'create table created_later (id int)' >/dev/null
stepwise_run resume --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 0 "resume --yes after the fix exits 0"
tap_is "$(q "select dirty || ':' || steps_done from nt_history"):$(exists n2):$(q 'select count(*) from created_later')" \
    "0:3:1:1" "the row is clean, the rest ran once"
stepwise_run status --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 0 "status exits 0 again"

# A no-transaction rollback that fails part way is resumed as a rollback.
lines "$nt/0001_n.down.sql" '-- stepwise:no-transaction' 'drop table n2;' \
    'insert into gone_later values (1);' 'drop table n1;'
q 'create table gone_later (id int)' >/dev/null
q 'drop table gone_later' >/dev/null
stepwise_run down --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 1 "a failing no-transaction rollback exits 1"
tap_like "$err" "$nt/0001_n.down.sql:3:1: SQLite error: no such table: gone_later" \
    "naming the down file's line"
tap_is "$(q "select dirty || ':' || steps_done from nt_history"):$(exists n2):$(exists n1)" \
    "1:1:0:1" "the row is dirty after 1 statement; n2 is gone, n1 is still there"
stepwise_run status --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 4 "status exits 4"
tap_like "$out" "(rollback stopped after statement 1; 'stepwise resume' or 'stepwise force 0001')" \
    "saying it was a rollback that stopped"
stepwise_run status --json --dir "$nt" --db "$db" --table nt_history
tap_like "$out" '"dirty_direction": "down"' "--json says the direction"
q 'create table gone_later (id int)' >/dev/null
stepwise_run resume --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 0 "resume --yes goes on rolling back"
tap_like "$out" "resuming the rollback of 0001 after statement 1" "saying so"
tap_is "$(q 'select count(*) from nt_history'):$(exists n1):$(q 'select count(*) from gone_later')" \
    "0:0:1" "the row is gone, n1 dropped, the failed statement ran once"
tap_is "$(last_event nt_events)" "rollback|0001|ok" "a rollback/ok event ends it"

tap_done
