#!/bin/sh
# The migration commands against a real throwaway PostgreSQL: up, status,
# plan (the exact SQL sent), down, goto, redo, history; a failing
# migration rolled back; lock timeouts naming the blocker, and retries;
# two concurrent runners; a terminated work session; a failing
# no-transaction migration left dirty and resumed; force; the refusals made
# before anything runs; a hostile --table; Ctrl-C. Every check looks at the
# exit status, the messages and the database itself.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
hpid= bgpid= bgpid2= dogpid= relpid=
cleanup() {
    exec 3>&- 2>/dev/null
    for p in $relpid $dogpid $bgpid $bgpid2 $hpid; do
        kill "$p" 2>/dev/null
    done
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
actor="$(q 'select current_user') os=$(id -un) host=$(uname -n)"

# wait_for SQL (20 s at most here) and fifo_session NAME SQL.
WAIT_FOR_SECONDS=20
. "$top_srcdir/tests/screen/locks_sessions.sh"

# lines FILE LINE...: write a file, one argument a line.
lines() {
    _f=$1; shift
    printf '%s\n' "$@" >"$_f"
}

# The relations of the public schema and a history table's rows: what
# "nothing changed" compares.
schema_of() { q "select coalesce(string_agg(relname, ',' order by relname), '') from pg_class
                 where relnamespace = 'public'::regnamespace and relkind in ('r', 'i')"; }
rows_of() { q "select coalesce(string_agg(version || ':' || checksum || ':' || dirty || ':' ||
                 steps_done || ':' || applied_at, ',' order by version), '') from $1"; }
events_of() { q "select count(*) from $1"; }
last_event() { q "select action || '|' || coalesce(version, '') || '|' || coalesce(outcome, '')
                  from $1 order by id desc limit 1"; }
exists() { q "select to_regclass('$1') is not null"; }
versions_of() { q "select coalesce(string_agg(version, ',' order by version), '') from $1"; }

# ============================================== up, status, plan, down, ...
m=$tmp/m
mkdir "$m"
lines "$m/0001_users.up.sql" 'create table users (id int primary key, email text);'
lines "$m/0001_users.down.sql" 'drop table users;'
lines "$m/0002_posts.up.sql" 'create table posts (id int);' 'insert into posts values (1), (2);'
lines "$m/0002_posts.down.sql" 'drop table posts;'
lines "$m/0003_tags.up.sql" 'create table tags (id int);'
lines "$m/0003_tags.down.sql" 'drop table tags;'

stepwise_run status --dir "$m" --db "$db"
tap_is "$rc" 0 "status on a fresh database exits 0"
tap_like "$out" "history stepwise_history (not created yet)" "status says the history is not there yet"
tap_like "$out" "0001     users  pending" "status lists 0001 as pending"
tap_like "$out" "0 applied, 3 pending, 0 dirty, 0 drifted, 0 missing" "status sums up"
tap_is "$(exists stepwise_history)" f "status creates nothing"

# plan: the exact text sent for each migration.
sum() { sha256sum <"$1" | cut -d' ' -f1; }
step_sql() { # VERSION NAME FILE STATEMENTS LOCK [STATEMENT_TIMEOUT]
    printf -- "-- apply %s %s (%s, in a transaction)\nBEGIN;\nSET LOCAL lock_timeout = '%s';\n" \
        "$1" "$2" "$3" "$5"
    [ -z "${6:-}" ] || printf "SET LOCAL statement_timeout = '%s';\n" "$6"
    cat "$3"
    printf 'INSERT INTO "stepwise_history" (version, name, checksum, applied_at, applied_by, duration_ms, dirty, steps_done)\n'
    printf "  VALUES ('%s', '%s', '%s', now(), '%s', (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer, false, %s);\n" \
        "$1" "$2" "$(sum "$3")" "$actor" "$4"
    printf "INSERT INTO \"stepwise_events\" (actor, action, version, outcome, detail) VALUES ('%s', 'apply', '%s', 'ok', NULL);\nCOMMIT;\n" \
        "$actor" "$1"
}
expected=$(step_sql 0001 users "$m/0001_users.up.sql" 1 3s; echo
           step_sql 0002 posts "$m/0002_posts.up.sql" 2 3s; echo
           step_sql 0003 tags "$m/0003_tags.up.sql" 1 3s)
stepwise_run plan --dir "$m" --db "$db"
tap_is "$rc" 0 "plan exits 0"
tap_is "$out" "$expected" "plan shows BEGIN, SET LOCAL lock_timeout, the script, the history and event rows, COMMIT"
expected=$(step_sql 0001 users "$m/0001_users.up.sql" 1 1s 5s)
stepwise_run plan up -n 1 --lock-timeout 1s --statement-timeout 5s --dir "$m" --db "$db"
tap_is "$out" "$expected" "plan up -n 1 with both timeouts: SET LOCAL statement_timeout too"
tap_is "$(exists stepwise_history)" f "plan creates nothing"

stepwise_run up --dir "$m" --db "$db"
tap_is "$rc" 2 "up without --yes and without a terminal exits 2"
tap_like "$err" "standard input is not a terminal: pass --yes to apply the 3 migrations planned" \
    "saying to pass --yes"
tap_is "$(exists users)" f "and applies nothing"

stepwise_run up -n 1 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "up -n 1 exits 0"
tap_like "$out" "applying 0001 users ... done (" "and says what it applied"
tap_is "$(versions_of stepwise_history)" 0001 \
    "up -n 1 records only 0001"
tap_is "$(exists users),$(exists posts)" t,f "up -n 1 creates users only"
tap_is "$(q "select name || ':' || checksum || ':' || applied_by || ':' || dirty || ':' || steps_done
             || ':' || (duration_ms >= 0) from stepwise_history")" \
    "users:$(sum "$m/0001_users.up.sql"):$actor:false:1:true" "the history row: name, checksum, actor, clean"

stepwise_run up --to 0002 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "up --to 0002 exits 0"
tap_is "$(exists posts),$(exists tags)" t,f "up --to 0002 stops at 0002"
tap_is "$(q 'select count(*) from posts')" 2 "with the script's rows"
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "up exits 0"
tap_like "$out" "schema before the run saved to $XDG_STATE_HOME/stepwise/snapshots/postgres-" \
    "up saves the schema first"
out=${out#*.schema
}
tap_is "$out" "applying 0003 tags ... done (${out#*done (}" "up applies only what is pending"
tap_is "$(versions_of stepwise_history)" \
    0001,0002,0003 "all three recorded"
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc:$out" "0:nothing to do: 3 applied, 0 pending" "up with nothing pending says so, exits 0"

stepwise_run status --dir "$m" --db "$db"
tap_is "$rc" 0 "status exits 0"
tap_like "$out" "0003     tags   applied" "status lists 0003 as applied"
tap_like "$out" "3 applied, 0 pending, 0 dirty, 0 drifted, 0 missing" "status sums up"
stepwise_run status --json --dir "$m" --db "$db"
tap_is "$(printf '%s\n' "$out" | grep -c '"state": "applied"')" 3 "status --json: three applied"
tap_like "$out" '"applied": 3,' "status --json summary"

stepwise_run preflight --dir "$m" --db "$db"
tap_is "$rc" 0 "preflight exits 0 on a clean database"
tap_like "$out" "PASS" "preflight lists passing checks"

stepwise_run down --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "down exits 0"
tap_like "$out" "rolling back 0003 tags ... done (" "down rolls back the latest only"
tap_is "$(exists tags),$(exists posts)" f,t "down drops tags, keeps posts"
tap_is "$(versions_of stepwise_history)" \
    0001,0002 "down removes the history row"

stepwise_run goto 0001 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "goto 0001 exits 0"
tap_is "$(exists posts):$(versions_of stepwise_history)" f:0001 \
    "goto 0001 rolls back 0002"
stepwise_run goto 0003 --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "goto 0003 exits 0"
tap_like "$out" "applying 0002 posts ... done" "goto 0003 applies 0002"
tap_like "$out" "applying 0003 tags ... done" "and 0003"
tap_is "$(versions_of stepwise_history)" \
    0001,0002,0003 "all three recorded again"

mark=$(q 'select max(id) from stepwise_events')
stepwise_run redo --yes --dir "$m" --db "$db"
tap_is "$rc" 0 "redo exits 0"
tap_like "$out" "rolling back 0003 tags ... done" "redo rolls back the latest"
tap_like "$out" "applying 0003 tags ... done" "then applies it again"
tap_is "$(q "select string_agg(action || ':' || version || ':' || outcome, ',' order by id)
             from stepwise_events where id > $mark")" "rollback:0003:ok,apply:0003:ok" \
    "redo writes a rollback then an apply event"
tap_is "$(exists tags):$(q 'select count(*) from stepwise_history')" t:3 "tags is there, three rows"

stepwise_run history -n 2 --dir "$m" --db "$db"
tap_is "$rc" 0 "history exits 0"
tap_is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "history -n 2 lists two events"
tap_like "$(printf '%s\n' "$out" | sed -n 1p)" "apply             0003        ok            $actor" \
    "newest first: the apply of 0003 with its actor"
tap_like "$(printf '%s\n' "$out" | sed -n 2p)" "rollback          0003        ok" \
    "then its rollback"
stepwise_run history --json -n 1 --dir "$m" --db "$db"
tap_like "$out" '"action": "apply",' "history --json has the action"
tap_like "$out" "\"actor\": \"$actor\"" "and the actor"

# ===================================================== a failing migration
lines "$m/0004_fail.up.sql" 'create table f1 (id int);' 'create table f2 (id int);' \
    'select 1/0;' 'create table f3 (id int);'
schema=$(schema_of) rows=$(rows_of stepwise_history)
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc" 1 "a failing migration exits 1"
tap_like "$out" "applying 0004 fail ... failed" "up says it failed"
tap_like "$err" "stepwise: $m/0004_fail.up.sql:3:1: ERROR: division by zero (SQLSTATE 22012)" \
    "naming file:line:col and the server's error"
tap_like "$err" "version 0004 was rolled back; the database is as before it" "and the rollback"
tap_is "$(exists f1),$(exists f2),$(exists f3)" f,f,f "the tables of its first statements are gone"
tap_is "$(schema_of)" "$schema" "the schema is exactly as before"
tap_is "$(rows_of stepwise_history)" "$rows" "the history is exactly as before"
tap_is "$(q "select action || '|' || outcome || '|' || detail from stepwise_events where version = '0004'")" \
    "apply|failed|$m/0004_fail.up.sql:3:1: ERROR: division by zero (SQLSTATE 22012); schema as before the migration" \
    "an apply/failed event survives the rollback, saying nothing of it remains"
tap_like "$err" "schema compared with the snapshot taken before it: nothing remains" \
    "the error says so too"
rm "$m/0004_fail.up.sql"

# ============================================== refusals before anything runs
refuse() { # DESCRIPTION EXPECTED-ERR COMMAND...
    _d=$1 _e=$2; shift 2
    schema=$(schema_of) rows=$(rows_of stepwise_history) events=$(events_of stepwise_events)
    stepwise_run "$@" --yes --dir "$m" --db "$db"
    tap_is "$rc" 2 "$_d: exits 2"
    tap_like "$err" "$_e" "$_d: the message"
    tap_like "$err" "nothing was run" "$_d: says nothing was run"
    tap_is "$(schema_of)|$(rows_of stepwise_history)|$(events_of stepwise_events)" \
        "$schema|$rows|$events" "$_d: schema, history and events unchanged"
}
lines "$m/0004_bad.up.sql" 'create table r1 (id int);' 'BEGIN;' 'create table r2 (id int);' 'COMMIT;'
refuse "BEGIN/COMMIT in a transactional script" \
    "$m/0004_bad.up.sql:2:1: error: the script controls its own transaction; stepwise wraps each migration in one" up
lines "$m/0004_bad.up.sql" 'create table r1 (id int);' 'create index concurrently r1_id on r1 (id);'
refuse "CREATE INDEX CONCURRENTLY without the directive" \
    "$m/0004_bad.up.sql:2:1: error: CREATE INDEX CONCURRENTLY cannot run inside a transaction block; add '-- stepwise:no-transaction' at the top" up
lines "$m/0004_bad.up.sql" 'create table r1 (id int);' '' 'create tabel r2 (id int);'
refuse "a syntax error" "$m/0004_bad.up.sql:3:8: error: syntax error at or near \"tabel\"" up
lines "$m/0004_bad.up.sql" 'create table r1 (id int);' 'select 1 from (select 2;'
refuse "a syntax error at the end" "$m/0004_bad.up.sql:2:" up
rm "$m/0004_bad.up.sql"
rm "$m/0003_tags.down.sql"
refuse "down without a down script" \
    "version 0003 ($m/0003_tags.up.sql) has no down script, so it cannot be rolled back" down
lines "$m/0003_tags.down.sql" 'drop table tags;'
lines "$m/0001_users.up.sql" 'create table users (id bigint primary key, email text);'
refuse "a drifted file (preflight)" "preflight FAIL: " up
lines "$m/0001_users.up.sql" 'create table users (id int primary key, email text);'

# ================================================================ lock timeout
# The holder reads its statements from a fifo we hold open: it stays idle
# in transaction, holding its lock, until told to commit.
fifo_session holder 'begin;
lock table tags in access share mode;'
hpid=$session_pid
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'holder'
          and state = 'idle in transaction')" || tap_bail "the holder never took its lock"
holder=$(q "select pid from pg_stat_activity where application_name = 'holder'")

rows=$(rows_of stepwise_history)
stepwise_run down --lock-timeout 1s --yes --dir "$m" --db "$db"
tap_is "$rc" 3 "down blocked past --lock-timeout 1s exits 3"
tap_like "$out" "rolling back 0003 tags ... lock timeout" "saying lock timeout"
tap_like "$err" "$m/0003_tags.down.sql:1:1: ERROR: canceling statement due to lock timeout (SQLSTATE 55P03)" \
    "with the file and the server's error"
tap_like "$err" "  blocked by:
  pid $holder, user stepwise, application 'holder', idle in transaction, transaction " \
    "naming the blocker's pid, user, application and state"
tap_like "$err" ": lock table tags in access share mode;" "and its query"
tap_is "$(exists tags):$(rows_of stepwise_history)" "t:$rows" "nothing rolled back"
tap_is "$(last_event stepwise_events)" "lock_timeout|0003|lock_timeout" "a lock_timeout event"
tap_like "$(q "select detail from stepwise_events order by id desc limit 1")" "blocked by: pid $holder, user stepwise" \
    "whose detail names the blocker"

# With retries: the holder commits 1.5 s after the runner starts waiting.
mark=$(q 'select max(id) from stepwise_events')
(
    wait_for "select exists (select 1 from pg_stat_activity where application_name = 'stepwise migrate'
              and wait_event_type = 'Lock')" && sleep 1.5
    printf 'commit;\n' >&3
) &
relpid=$!
stepwise_run down --lock-timeout 1s --lock-retries 2 --yes --dir "$m" --db "$db"
wait "$relpid"; relpid=
tap_is "$rc" 0 "down --lock-retries 2 succeeds once the holder lets go"
tap_like "$err" "retry 1 of 2 in 2 s" "announcing the retry"
tap_like "$out" "rolling back 0003 tags ... done" "and the rollback is done"
tap_is "$(exists tags):$(q "select count(*) from stepwise_history where version = '0003'")" f:0 \
    "tags dropped, 0003 unrecorded"
evs=$(q "select string_agg(action, ',' order by id) from stepwise_events where id > $mark")
tap_like ",$evs" ",lock_timeout,retry," "events: lock_timeout, then retry"
tap_is "${evs##*,}" rollback "and the rollback last"
tap_is "$(q "select detail from stepwise_events where id > $mark and action = 'retry' order by id limit 1")" \
    "attempt 2 of 3 after 2 s" "the retry event says which attempt"
exec 3>&-
wait "$hpid"; hpid=
stepwise_run up --yes --dir "$m" --db "$db"
tap_is "$rc:$(exists tags)" 0:t "0003 applies again afterwards"

# ======================================================= concurrent runners
cc=$tmp/cc
mkdir "$cc"
for i in 1 2 3 4; do
    lines "$cc/000${i}_cc$i.up.sql" "create table cc$i (id int);" 'select pg_sleep(0.3);'
    lines "$cc/000${i}_cc$i.down.sql" "drop table cc$i;"
done
"$STEPWISE" up --yes --dir "$cc" --db "$db" --table cc_history </dev/null >"$tmp/a.out" 2>"$tmp/a.err" &
bgpid=$!
wait_for "select exists (select 1 from pg_locks l join pg_stat_activity a using (pid)
          where l.locktype = 'advisory' and l.granted and a.application_name = 'stepwise run lock')" ||
    tap_bail "the first runner never took the migration lock"
lockpid=$(q "select pid from pg_stat_activity where application_name = 'stepwise run lock'")
stepwise_run up --yes --dir "$cc" --db "$db" --table cc_history
tap_is "$rc" 3 "a second runner exits 3 while the first holds the lock"
tap_like "$err" "another stepwise run holds the migration lock of cc_history: pid $lockpid, user stepwise, host local socket, application 'stepwise run lock', since " \
    "naming the holder's pid, user and host"
tap_like "$err" "or pass --wait-lock DURATION" "and how to wait"
wait "$bgpid"; arc=$?; bgpid=
tap_is "$arc" 0 "the first runner finishes, exit 0"
tap_is "$(grep -c ' \.\.\. done (' "$tmp/a.out")" 4 "applying the four migrations"
tap_is "$(versions_of cc_history)" \
    0001,0002,0003,0004 "each version recorded"
tap_is "$(q "select count(*) from cc_events where action = 'apply'")" 4 \
    "and applied exactly once (four apply events)"

stepwise_run down -n 4 --yes --dir "$cc" --db "$db" --table cc_history
tap_is "$rc:$(q 'select count(*) from cc_history')" 0:0 "down -n 4 empties it again"
mark=$(q 'select max(id) from cc_events')
"$STEPWISE" up --yes --wait-lock 30s --dir "$cc" --db "$db" --table cc_history \
    </dev/null >"$tmp/a.out" 2>"$tmp/a.err" &
bgpid=$!
"$STEPWISE" up --yes --wait-lock 30s --dir "$cc" --db "$db" --table cc_history \
    </dev/null >"$tmp/b.out" 2>"$tmp/b.err" &
bgpid2=$!
wait "$bgpid"; arc=$?; bgpid=
wait "$bgpid2"; brc=$?; bgpid2=
tap_is "$arc:$brc" 0:0 "with --wait-lock 30s both runners exit 0"
tap_is "$(cat "$tmp/a.out" "$tmp/b.out" | grep -c ' \.\.\. done (')" 4 \
    "between them, four migrations applied"
tap_is "$(cat "$tmp/a.out" "$tmp/b.out" | grep -c '^nothing to do: 4 applied, 0 pending')" 1 \
    "the one that waited found nothing left to do"
tap_is "$(q "select string_agg(version, ',' order by version) from cc_events
             where id > $mark and action = 'apply' and outcome = 'ok'")" 0001,0002,0003,0004 \
    "nothing applied twice"
tap_is "$(q 'select count(*) from cc_history')" 4 "four rows"

# ================================================ terminated work session
tm=$tmp/tm
mkdir "$tm"
lines "$tm/0001_tm.up.sql" 'create table tm1 (id int);' 'select pg_sleep(5);'
"$STEPWISE" up --yes --dir "$tm" --db "$db" --table tm_history </dev/null >"$tmp/a.out" 2>"$tmp/a.err" &
bgpid=$!
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'stepwise migrate'
          and state = 'active' and query like '%pg_sleep(5)%')" ||
    tap_bail "the migration never started its sleep"
tap_is "$(q "select pg_terminate_backend(pid) from pg_stat_activity
             where application_name = 'stepwise migrate'")" t "the work session is terminated"
wait "$bgpid"; arc=$?; bgpid=
tap_is "$arc" 1 "a terminated work session: exit 1"
tap_like "$(cat "$tmp/a.out")" "applying 0001 tm ... failed" "the migration failed"
tap_like "$(cat "$tmp/a.err")" "$tm/0001_tm.up.sql:2:1: FATAL: terminating connection due to administrator command (SQLSTATE 57P01)" \
    "the error names the statement and the server's reason"
tap_like "$(cat "$tmp/a.err")" "version 0001 was rolled back" "and says it was rolled back"
tap_is "$(exists tm1):$(q 'select count(*) from tm_history')" f:0 "its table is absent, no history row"
tap_is "$(last_event tm_events)" "apply|0001|failed" "an apply/failed event"

# ====================================================== Ctrl-C (SIGINT)
ci=$tmp/ci
mkdir "$ci"
lines "$ci/0001_ci.up.sql" 'create table ci1 (id int);' 'select pg_sleep(10);'
"$STEPWISE" up --yes --dir "$ci" --db "$db" --table ci_history </dev/null >"$tmp/a.out" 2>"$tmp/a.err" &
bgpid=$!
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'stepwise migrate'
          and state = 'active' and query like '%pg_sleep(10)%')" ||
    tap_bail "the migration never started its sleep"
sleep 1
kill -INT "$bgpid"
( sleep 8; kill -KILL "$bgpid" ) >/dev/null 2>&1 &
dogpid=$!
wait "$bgpid"; arc=$?; bgpid=
kill "$dogpid" 2>/dev/null; wait "$dogpid" 2>/dev/null; dogpid=
tap_is "$arc" 130 "SIGINT during a statement: exit 130 (well before the 10 s sleep ends)"
tap_like "$(cat "$tmp/a.err")" "stepwise: interrupted: cancelling the running statement..." "saying so"
tap_like "$(cat "$tmp/a.err")" "$ci/0001_ci.up.sql:2:1: ERROR: canceling statement due to user request" \
    "the statement was cancelled"
tap_is "$(exists ci1):$(q 'select count(*) from ci_history')" f:0 "rolled back: no table, no row"
tap_is "$(last_event ci_events)" "operator_abort|0001|aborted" "an operator_abort event"
tap_is "$(q "select count(*) from pg_stat_activity where application_name = 'stepwise migrate'")" 0 \
    "no session left behind"

# ============================================= no-transaction, dirty, resume
nt=$tmp/nt
mkdir "$nt"
lines "$nt/0001_nt.up.sql" 'create table nt (id int);' 'insert into nt values (1), (1);'
lines "$nt/0002_idx.up.sql" '-- stepwise:no-transaction' 'create table nt2 (id int);' \
    'create unique index concurrently nt_id on nt (id);' 'create table nt3 (id int);'
stepwise_run up --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 1 "a failing no-transaction migration exits 1"
tap_like "$err" "$nt/0002_idx.up.sql:3:1: ERROR: could not create unique index \"nt_id\"" \
    "naming file:line:col of the failed statement"
tap_like "$err" "hint: the failed build left an invalid index; drop it before resuming: DROP INDEX CONCURRENTLY public.nt_id;" \
    "naming the invalid index and the DROP INDEX CONCURRENTLY to run"
tap_like "$err" "version 0002 is dirty after 1 of 3 statements" "saying how far it got"
tap_is "$(q "select dirty || ':' || steps_done || ':' || (duration_ms is null) from nt_history where version = '0002'")" \
    "true:1:true" "the history row is dirty with steps_done = 1"
tap_is "$(exists nt2):$(exists nt3):$(q "select indisvalid from pg_index where indexrelid = 'nt_id'::regclass")" \
    t:f:f "the first statement stays, the index is invalid, the third never ran"
tap_is "$(last_event nt_events)" "apply|0002|failed" "an apply/failed event"
stepwise_run status --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 4 "status exits 4 with a dirty version"
tap_like "$out" "0002     idx   dirty" "showing it dirty"
tap_like "$out" "(apply stopped after statement 1; 'stepwise resume' or 'stepwise force 0002')" \
    "and which statement it stopped after"
tap_like "$out" "1 applied, 0 pending, 1 dirty" "summed up"
tap_like "$out" "    failed: " "status says why it failed"
tap_like "$out" "could not create unique index" "with the server's message"
stepwise_run up --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 2 "up on a dirty history is refused by preflight: exit 2"
tap_like "$err" "preflight FAIL: dirty: 0002 stopped after statement 1 (" "naming the dirty version"
tap_like "$err" "could not create unique index" "and why it stopped"
tap_like "$err" "stepwise: preflight failed (1 check); nothing was run" "and nothing ran"
stepwise_run resume --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 2 "resume without --yes and without a terminal exits 2"
q "delete from nt where ctid = (select max(ctid) from nt)" >/dev/null
q "drop index concurrently public.nt_id" >/dev/null
stepwise_run resume --yes --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 0 "resume --yes after the fix exits 0"
tap_like "$out" "resuming the apply of 0002 after statement 1" "resuming after the statement done"
tap_is "$(q "select dirty || ':' || steps_done || ':' || (duration_ms is not null) from nt_history where version = '0002'")" \
    "false:3:true" "the row is clean, all three statements done"
tap_is "$(exists nt3):$(q "select indisvalid from pg_index where indexrelid = 'nt_id'::regclass")" t:t \
    "the index is valid and the last table is there"
tap_is "$(q "select count(*) from pg_class where relname = 'nt2'")" 1 "the first statement was not run twice"
stepwise_run status --dir "$nt" --db "$db" --table nt_history
tap_is "$rc" 0 "status exits 0 again"
tap_like "$out" "2 applied, 0 pending, 0 dirty" "all applied"

# ===================================================================== force
fo=$tmp/fo
mkdir "$fo"
lines "$fo/0001_fo.up.sql" '-- stepwise:no-transaction' 'create table fo1 (id int);' 'select 1/0;'
stepwise_run up --yes --dir "$fo" --db "$db" --table fo_history
tap_is "$rc:$(q "select dirty from fo_history")" 1:t "a dirty row to force"
rows=$(rows_of fo_history)
stepwise_run force 0001 --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 2 "force without --yes and without a terminal exits 2"
tap_like "$err" "otherwise pass --yes --confirm-version 0001" "saying what to pass"
stepwise_run force 0001 --yes --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 2 "force --yes without --confirm-version exits 2"
stepwise_run force 0001 --yes --confirm-version 0002 --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 2 "force with the wrong --confirm-version exits 2"
tap_like "$err" "--confirm-version '0002' is not 0001" "saying so"
tap_is "$(rows_of fo_history)" "$rows" "the refused forces changed nothing"
stepwise_run force 0001 --yes --confirm-version 0001 --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 0 "force V --yes --confirm-version V exits 0"
tap_like "$out" "force 0001: record it as applied and clean, without running anything (now dirty)" \
    "saying what it does"
tap_is "$(q "select version || ':' || dirty || ':' || checksum from fo_history")" \
    "0001:false:$(sum "$fo/0001_fo.up.sql")" "the row is applied and clean"
tap_is "$(q "select action || '|' || version || '|' || outcome || '|' || detail from fo_events order by id desc limit 1")" \
    "force|0001|ok|marked applied, clean (was dirty)" "a force event"
stepwise_run status --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 0 "status exits 0 after force"
stepwise_run force 0001 --unapplied --yes --confirm-version 0001 --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 0 "force V --unapplied --yes --confirm-version V exits 0"
tap_is "$(q 'select count(*) from fo_history')" 0 "the row is removed"
tap_is "$(q "select action || '|' || version || '|' || outcome || '|' || detail from fo_events order by id desc limit 1")" \
    "force|0001|ok|removed the record (was applied)" "a second force event"
stepwise_run force 0001 --unapplied --yes --confirm-version 0001 --dir "$fo" --db "$db" --table fo_history
tap_is "$rc" 2 "force --unapplied of an unrecorded version exits 2"
tap_like "$err" "version 0001 is not recorded: nothing to remove" "saying so"

# ============================================================ hostile --table
hd=$tmp/h
mkdir "$hd"
lines "$hd/0001_h.up.sql" 'create table hostile_ok (id int);'
q 'create table victim (id int)' >/dev/null
evil='x"; drop table victim; --'
stepwise_run up --yes --dir "$hd" --db "$db" --table "$evil"
tap_is "$rc" 0 "up with a hostile --table exits 0"
tap_is "$(exists victim)" t "the victim table still exists"
tap_is "$(q "select string_agg(relname, '|' order by relname) from pg_class where relname like 'x%' and relkind = 'r'")" \
    'x"; drop table victim; --|x"; drop table victim; --_events' \
    "the history tables carry the odd name"
tap_is "$(q 'select version from "x""; drop table victim; --"')" 0001 "and hold the history"
stepwise_run status --dir "$hd" --db "$db" --table "$evil"
tap_is "$rc" 0 "status reads it back"
tap_like "$out" "1 applied, 0 pending" "as applied"
evil2="o'x.y\"z"
mkdir "$tmp/h2"
lines "$tmp/h2/0001_h2.up.sql" 'create table hostile_two (id int);'
stepwise_run up --yes --dir "$tmp/h2" --db "$db" --table "$evil2"
tap_is "$rc" 0 "up with a quoted schema.name exits 0"
tap_is "$(q "select version from \"o'x\".\"y\"\"z\"")" 0001 "recording the run there"
tap_is "$(q "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'o''x' and c.relname in ('y\"z', 'y\"z_events')")" 2 \
    "but the schema and both tables were created under the odd names"
tap_is "$(exists victim)" t "the victim table still exists"
stepwise_run status --dir "$hd" --db "$db" --table a.b.c
tap_is "$rc" 2 "--table with two dots exits 2"
tap_like "$err" "--table 'a.b.c' is not [schema.]name" "saying so"
stepwise_run up --yes --dir "$hd" --db "$db" --table a.b.c
tap_is "$rc" 2 "up with --table a.b.c exits 2"
tap_is "$(q "select count(*) from pg_class where relname in ('c', 'c_events', 'b')")" 0 \
    "and creates nothing"

tap_done
