#!/bin/sh
# Screen test of the console's supervised apply on the throwaway
# PostgreSQL (tmux, 120x24, the real program; pids and times masked where
# screens are compared). psql sessions hold and queue for locks:
# - a migration blocked by a session's lock: the waiting panel names the
#   blocker (pid, user, state) and counts a session queued behind the
#   migration; K terminates the blocker after two confirmations (y, then
#   its pid typed) and the migration reaches the gate and commits;
# - x cancels a waiting statement: the migration rolls back, table and
#   history as before;
# - a lock_timeout brings up the retry dialog; t retries once the lock is
#   released, and the migration commits;
# - at the commit gate, with a session queued behind the open transaction
#   and nobody answering, the --max-hold countdown rolls back by itself;
# - a no-transaction migration whose second statement fails is dirty in the
#   list; once the cause is fixed, r from the list resumes and completes it;
# - the events table and the local audit file hold every decision.
# The database is checked with psql after each flow.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/screen/locks_sessions.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
pids=
cleanup() {
    screen_stop
    exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 2>/dev/null
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
wait_s=${WAIT_FOR_SECONDS:-10}

q() { psql -XAtqc "$1"; }
pid_of() { q "select pid from pg_stat_activity where application_name = '$1'"; }
# table_t: t's columns with their nullability, then its indexes.
table_t() {
    q "select string_agg(column_name || ' ' || is_nullable, ', ' order by ordinal_position)
       from information_schema.columns where table_name = 't'
       union all select coalesce(string_agg(indexname, ', ' order by indexname), '')
       from pg_indexes where tablename = 't'"
}
# history: the recorded versions, "dirty" where they are, and the
# statements done of the no-transaction one (where that count matters).
history() {
    q "select string_agg(version || case when dirty then ' dirty' else '' end
                         || case when version = '0005' then ' steps ' || steps_done else '' end,
                         ', ' order by version) from stepwise_history"
}
# state_is NAME STATE: wait until session NAME (or pid NAME) is in STATE,
# "Lock" meaning waiting for a lock, "gone" gone.
state_is() {
    case $1 in [0-9]*) _who="pid = $1" ;; *) _who="application_name = '$1'" ;; esac
    case $2 in
        Lock) wait_for "select wait_event_type = 'Lock' from pg_stat_activity where $_who" ;;
        gone) wait_for "select not exists (select 1 from pg_stat_activity where $_who)" ;;
        *) wait_for "select state = '$2' from pg_stat_activity where $_who" ;;
    esac
}

m=$tmp/m
mkdir "$m"
w() { printf '%s\n' "$2" >"$m/$1"; }
w 0001_create_t.up.sql 'CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t VALUES (1, 1), (2, 2);'
w 0001_create_t.down.sql 'DROP TABLE t;'
w 0002_add_a.up.sql 'ALTER TABLE t ADD COLUMN a int;'
w 0002_add_a.down.sql 'ALTER TABLE t DROP COLUMN a;'
w 0003_add_b.up.sql 'ALTER TABLE t ADD COLUMN b int;'
w 0003_add_b.down.sql 'ALTER TABLE t DROP COLUMN b;'
w 0004_add_c.up.sql 'ALTER TABLE t ADD COLUMN c int;'
w 0004_add_c.down.sql 'ALTER TABLE t DROP COLUMN c;'
w 0005_v_not_null.up.sql '-- stepwise:no-transaction
CREATE INDEX CONCURRENTLY t_v_idx ON t (v);
ALTER TABLE t ALTER COLUMN v SET NOT NULL;'
w 0005_v_not_null.down.sql '-- stepwise:no-transaction
ALTER TABLE t ALTER COLUMN v DROP NOT NULL;
DROP INDEX CONCURRENTLY t_v_idx;'
XDG_STATE_HOME=$tmp/state
export XDG_STATE_HOME
audit=$tmp/state/stepwise/audit.jsonl
stepwise_run up -n 1 --dir "$m" --db "$STEPWISE_TEST_PG" --yes
[ "$rc" = 0 ] || tap_bail "stepwise up -n 1 failed: $err"
first_event=$(q "select coalesce(max(id), 0) from stepwise_events")
rm -f "$audit" # only the console's lines from here on

# session NAME FD SQL: fifo_session on descriptor FD (3 is fifo_session's).
# Each is started after tmux, which must not keep its fifo open.
session() {
    fifo_session "$1" "$3"
    pids="$pids $session_pid"
    eval "exec $2>&3"
    exec 3>&-
}

# mask: pids by name; ages, elapsed times and the path of the folder.
masks=
mask() {
    sed -E -e "s|$m/|M/|g" $masks -e 's/\b[0-9]+\.[0-9]s\b/Ns/g' -e 's/\b[0-9]+m[0-9]+s\b/Ns/g' \
        -e 's/\b[0-9]+(\.[0-9])? s\b/N s/g' -e 's/\b[0-9]+ ms\b/N ms/g'
}
# rows FIRST LAST: those screen rows (1-based), masked.
rows() { printf '%s\n' "$screen" | sed -n "$1,$2p" | mask; }
# see TEXT: wait for TEXT on the screen.
see() { screen_wait_for "$1" "$wait_s"; }
# list_wait TEXT: back in the list, wait for TEXT once the history is read.
list_wait() { see " Migrations " && see "$1"; }

screen_size_cols=120 # room for the blocker's line
screen_start "'$STEPWISE' --dir '$m' --db '$STEPWISE_TEST_PG' --lock-timeout 60s"
trap cleanup EXIT
tap_ok "the console lists the migrations" see "= 0001"
screen_keys :
screen_type "set refresh 0.5"
see "refresh every 0.5 s" || tap_bail "the refresh could not be set"

# --- 1. Blocked by a session; a session queued behind; K twice. ----------
session holder 4 'begin; select count(*) from t;'
state_is holder "idle in transaction" || tap_bail "the holder never read t"
holder=$(pid_of holder)
masks="-e s/\\b$holder\\b/HOLDER/g"
before=$(table_t)
screen_keys u
tap_ok "u: the plan of the next pending migration" see "Next: apply 0002 add_a"
tap_like "$screen" "(in a transaction, lock_timeout 60s)" "in a transaction, with its lock_timeout"
screen_keys y
tap_ok "y runs it; it waits for the holder's lock" see "held by pid $holder"
session reader 5 'select count(*) from t;'
state_is reader Lock ||
    tap_bail "the reader never queued behind the migration"
reader=$(pid_of reader)
tap_ok "the panel counts the session queued behind" \
    see "Queued behind the migration: 1 session, the longest for"
tap_is "$(rows 7 13)" "Applying 0002 add_a: statement 1 of 1, N s
  M/0002_add_a.up.sql:1
  ALTER TABLE t ADD COLUMN a int
WAITING for AccessExclusiveLock on public.t for Ns
  held by pid HOLDER, user stepwise, idle in tx, transaction Ns: select count(*) from t;
  lock_timeout 60s ends the wait by itself; then you may retry
Queued behind the migration: 1 session, the longest for Ns" \
    "the waiting panel: the statement, the lock, the blocker (pid, user, state), the queue"
tap_like "$screen" "x cancel this statement (the migration rolls back)   K terminate the blocker" \
    "its keys"
screen_keys w
tap_ok "w keeps waiting" see "waiting on: lock_timeout 60s ends the wait"
screen_keys K
tap_ok "K asks first" see "Terminate pid $holder?"
tap_like "$(rows 1 24)" "pid HOLDER, user stepwise, idle in tx, transaction Ns" \
    "naming the blocker"
screen_keys y
tap_ok "then asks for its pid" see "Type $holder and Enter to go on"
tap_is "$(q "select state from pg_stat_activity where pid = $holder")" "idle in transaction" \
    "one confirmation ends nobody"
screen_type "$holder"
tap_ok "the pid typed terminates it" see "Terminated pid $holder: done"
tap_ok "the holder's session is gone" state_is "$holder" gone
tap_ok "the migration reaches the commit gate" see "Commit gate: 0002 add_a"
tap_ok "where the reader is queued behind the open transaction" \
    see "Queued behind the open transaction: 1 session"
tap_is "$(rows 7 9)" "Commit gate: 0002 add_a: every statement done; the transaction is open (N s)
Queued behind the open transaction: 1 session, the longest for Ns
Rolls back by itself in N s (--max-hold N s) unless you decide" \
    "the gate: the open transaction, the session queued behind it, the countdown"
tap_like "$screen" "s (--max-hold 30 s) unless you decide" "the default --max-hold"
tap_like "$screen" "AccessExclusiveLock on public.t" "the gate lists the locks held"
tap_is "$(table_t)" "$before" "nothing is committed at the gate"
sleep 1 # c is ignored in the gate's first second
screen_keys c
tap_ok "c commits" see "Done: 1 migration applied."
tap_ok "the reader then ran" state_is "$reader" idle
tap_is "$(table_t)" "id NO, v YES, a YES
t_pkey" "psql: column a added"
tap_is "$(history)" "0001, 0002" "psql: 0002 recorded applied"
exec 4>&-

# --- 2. x cancels a waiting statement. -----------------------------------
screen_keys Escape
list_wait "= 0002"
session holder2 6 'begin; select count(*) from t;'
state_is holder2 "idle in transaction" ||
    tap_bail "the second holder never read t"
holder2=$(pid_of holder2)
before=$(table_t) hist_before=$(history)
screen_keys u
see "Next: apply 0003 add_b" || tap_bail "no plan for 0003"
screen_keys y
tap_ok "0003 waits for the second holder" see "held by pid $holder2"
screen_keys x
tap_ok "x cancels the statement" see "Apply of 0003: stopped. The plan stops here."
tap_like "$screen" "version 0003 was rolled back; the database is as before it" \
    "and says it rolled back"
tap_like "$(printf '%s\n' "$screen" | grep '^1  *0003 ')" "rolled back" "the plan's line says so"
tap_is "$(table_t)" "$before" "psql: the table is unchanged"
tap_is "$(history)" "$hist_before" "psql: the history is unchanged"
tap_is "$(q "select state from pg_stat_activity where pid = $holder2")" "idle in transaction" \
    "the holder was left alone"

# --- 3. lock_timeout: the retry dialog; t once the lock is released. ------
screen_keys Escape
list_wait "> 0003"
screen_keys :
screen_type "set lock-timeout 1s"
see "lock-timeout" || tap_bail "the lock-timeout could not be set"
screen_keys u
see "Next: apply 0003 add_b" || tap_bail "no plan for 0003"
tap_like "$screen" "lock_timeout 1s" "the new lock_timeout applies"
screen_keys y
tap_ok "the lock_timeout brings up the retry dialog" \
    see "0003 add_b hit lock_timeout (1s) and was rolled back"
tap_like "$screen" "t retry now   p retry after a pause   a abort: stop here" "its keys"
tap_is "$(table_t)" "$before" "psql: nothing of it remains"
tap_is "$(history)" "$hist_before" "psql: nor in the history"
printf '%s\n' 'commit;' >&6
state_is "$holder2" idle || tap_bail "holder2 kept its lock"
screen_keys t
tap_ok "t retries: the migration reaches the gate" see "Commit gate: 0003 add_b"
tap_like "$screen" "Queued behind the open transaction: nobody" "nobody queued: no countdown"
sleep 1
screen_keys c
tap_ok "c commits" see "Done: 1 migration applied."
tap_is "$(table_t)" "id NO, v YES, a YES, b YES
t_pkey" "psql: column b added"
tap_is "$(history)" "0001, 0002, 0003" \
    "psql: 0003 recorded applied"
screen_keys Escape
list_wait "= 0003"
screen_keys q
sleep 0.3
screen_stop

# --- 4. The gate's countdown: --max-hold 3s, a session queued, no answer. -
screen_start "'$STEPWISE' --dir '$m' --db '$STEPWISE_TEST_PG' --max-hold 3s"
trap cleanup EXIT
tap_ok "the console starts again with --max-hold 3s" see "> 0004"
screen_keys :
screen_type "set refresh 0.5"
see "refresh every 0.5 s" || tap_bail "the refresh could not be set"
before=$(table_t) hist_before=$(history)
screen_keys u
see "Next: apply 0004 add_c" || tap_bail "no plan for 0004"
screen_keys y
tap_ok "0004 reaches the commit gate" see "Commit gate: 0004 add_c"
session reader2 7 'select count(*) from t;'
state_is reader2 Lock ||
    tap_bail "the reader never queued behind the open transaction"
tap_ok "the gate counts the session queued behind" \
    see "Queued behind the open transaction: 1 session"
# countdown: the seconds left as the screen shows them, until the gate
# is gone (the distinct values, in order).
countdown() {
    _seen= _deadline=$(($(date +%s) + wait_s))
    while [ "$(date +%s)" -lt "$_deadline" ]; do
        screen=$(screen_capture)
        case "$screen" in *"Commit gate:"*) ;; *) break ;; esac
        _n=$(printf '%s\n' "$screen" |
            sed -n 's/^Rolls back by itself in \([0-9]*\) s (--max-hold 3 s).*/\1/p')
        [ -z "$_n" ] || [ "$_n" = "${_seen##* }" ] || _seen="$_seen $_n"
        sleep 0.1
    done
    printf '%s\n' "$_seen"
}
seen=$(countdown)
tap_diag "countdown seen:$seen"
descending=$(echo "$seen" | tr ' ' '\n' | sed '/^$/d' | sort -rn | tr '\n' ' ')
tap_ok "the gate counts down" test "$(echo "$seen" | wc -w)" -ge 2 -a "$descending" = "${seen# } "
tap_ok "then rolls back by itself" \
    see "Apply of 0004: stopped. The plan stops here."
tap_like "$screen" "rolled back automatically: 1 session queued behind the open transaction" \
    "and says why"
tap_ok "the queued reader ran" state_is reader2 idle
tap_is "$(table_t)" "$before" "psql: the table is unchanged"
tap_is "$(history)" "$hist_before" "psql: the history is unchanged"

# --- 5. A no-transaction migration fails part way; r resumes it. ---------
q "insert into t (id, v) values (3, null)" >/dev/null
screen_keys Escape
list_wait "> 0004"
screen_keys G U
tap_ok "U: the plan up to 0005" see "Next: apply 0004 add_c"
tap_like "$screen" "0005           v_not_null" "lists 0005 too"
screen_keys y
see "Commit gate: 0004 add_c" || tap_bail "0004 never reached the gate"
sleep 1
screen_keys c
tap_ok "after 0004, 0005 asks" \
    see "Next: apply 0005 v_not_null (no transaction: statement by statement"
screen_keys y
tap_ok "a no-transaction migration asks before each statement" \
    see "statement 1 of 2 is next"
screen_keys y
tap_ok "and shows the first done before the second" see "statement 2 of 2 is next"
tap_like "$screen" "done [1]" "the first statement shows done"
screen_keys y
tap_ok "its second statement fails" see "Apply of 0005: failed. The plan stops here"
tap_like "$screen" 'contains null values' "with the server's message"
tap_like "$screen" "version 0005 is dirty after 1 of 2 statements" "and says it is dirty"
tap_is "$(history)" "0001, 0002, 0003, 0004, 0005 dirty steps 1" \
    "psql: 0004 applied, 0005 dirty after one statement"
screen_keys Escape
tap_ok "the list shows 0005 dirty" list_wait "! 0005"
tap_like "$(printf '%s\n' "$screen" | grep ' 0005 ')" "dirty" "in words"
q "update t set v = 3 where id = 3" >/dev/null
screen_keys r
tap_ok "r: resume the dirty migration" see "Resume the dirty migration"
see "Next: apply 0005 v_not_null" || tap_bail "no confirmation for 0005"
tap_like "$screen" "Resuming: statements 1 to 1 are done; it goes on from statement 2 of 2." \
    "the confirmation says where it resumes"
screen_keys y
tap_ok "it stops before the statement that failed" see "statement 2 of 2 is next"
screen_keys y
tap_ok "it completes" see "Done: 1 migration applied."
tap_is "$(table_t)" "id NO, v NO, a YES, b YES, c YES
t_pkey, t_v_idx" "psql: the index and the NOT NULL"
tap_is "$(history)" "0001, 0002, 0003, 0004, 0005 steps 2" \
    "psql: 0005 applied and clean"
screen_keys Escape
tap_ok "the list shows it applied" list_wait "= 0005"
screen_keys q
sleep 0.3
screen_stop

# --- 6. The audit: every decision, in the events table and the file. ----
# events CONDITION: the events (action version outcome) since the console
# started whose action meets CONDITION, in order. The decisions apart from
# the migrations' own rows (the terminate's row and the migration's apply
# row are written concurrently).
events() {
    q "select string_agg(action || ' ' || coalesce(version, '-') || ' ' || outcome, chr(10)
       order by id) from stepwise_events where id > $first_event and action $1"
}
tap_is "$(events "not in ('snapshot', 'apply')")" "confirm 0002 run
terminate_backend - ok
commit_gate 0002 commit
confirm 0003 run
operator_abort 0003 aborted
confirm 0003 run
lock_timeout 0003 lock_timeout
retry 0003 now
commit_gate 0003 commit
confirm 0004 run
commit_gate 0004 auto_rollback
operator_abort 0004 aborted
confirm 0004 run
commit_gate 0004 commit
confirm 0005 run
confirm 0005 run" "the events table: every decision, in order"
tap_is "$(events "= 'apply'")" "apply 0002 ok
apply 0003 ok
apply 0004 ok
apply 0005 started
apply 0005 failed
apply 0005 resumed
apply 0005 ok" \
    "and every migration's end"
detail() {
    q "select detail from stepwise_events where id > $first_event and action = '$1' and version $2
       order by id limit 1" | mask
}
tap_like "$(detail terminate_backend "is null")" \
    "pid HOLDER, user stepwise: select count(*) from t;" \
    "the terminate names the blocker"
tap_like "$(detail commit_gate "= '0002'")" \
    "committed at the commit gate after N s; 1 session queued behind" \
    "the commit, how long the gate was open and the queue"
tap_like "$(detail operator_abort "= '0003'")" "canceling statement due to user request" \
    "x: the cancel"
tap_like "$(detail lock_timeout "= '0003'")" \
    "blocked by: pid $holder2, user stepwise, application 'holder2'" \
    "the lock timeout names the blocker"
tap_like "$(detail retry "= '0003'")" "attempt 2, retried at once, from the console" "t: the retry"
tap_like "$(q "select detail from stepwise_events
                where action = 'operator_abort' and version = '0004'")" \
    "rolled back automatically: 1 session queued behind the open transaction and nobody decided \
within --max-hold 3 s" \
    "the countdown's rollback says why"
# The file: the same decisions and ends, each a line of JSON.
audit_lines() {
    sed -E -e 's/"version":null/"version":"-"/' \
        -e 's/.*"action":"([^"]*)","version":"([^"]*)".*"outcome":"([^"]*)".*/\1 \2 \3/' "$audit" |
        grep -v '^snapshot '
}
tap_is "$(audit_lines | grep -v '^apply ')" "$(events "not in ('snapshot', 'apply')")" \
    "the audit file: the same decisions"
tap_is "$(audit_lines | grep '^apply ')" "$(events "= 'apply'")" \
    "and the same ends"

tap_done
