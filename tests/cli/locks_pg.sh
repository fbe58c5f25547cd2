#!/bin/sh
# `stepwise locks` against a real throwaway PostgreSQL: a session idle in
# a transaction that holds a lock, another waiting behind it; the tree as
# text and JSON, the filters, --watch, and --terminate with its audit line.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/screen/locks_sessions.sh"

tmp=$(mktemp -d)
bpid= wpid=
cleanup() {
    exec 3>&- 2>/dev/null
    [ -z "$wpid" ] || kill "$wpid" 2>/dev/null
    [ -z "$bpid" ] || kill "$bpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Deterministic output: ASCII tree, a wide line, audit under $tmp.
LC_ALL=C
COLUMNS=200
XDG_STATE_HOME=$tmp/state
export LC_ALL COLUMNS XDG_STATE_HOME

psql -XAtqc 'create table t (id int)' >/dev/null || tap_bail "psql could not reach the test server"

# The blocker reads its statements from a fifo we hold open: it stays
# idle in transaction, holding the lock, until we close the fifo or kill it.
fifo_session blocker 'begin;
lock table t;'
bpid=$session_pid

wait_for "select exists (select 1 from pg_stat_activity where application_name = 'blocker'
          and state = 'idle in transaction')" || tap_bail "the blocker never took its lock"
PGAPPNAME=waiter psql -XAtqc 'select count(*) from t' >"$tmp/waiter.out" 2>&1 &
wpid=$!
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'waiter'
          and wait_event_type = 'Lock')" || tap_bail "the waiter never waited"
blocker=$(psql -XAtqc "select pid from pg_stat_activity where application_name = 'blocker'")
waiter=$(psql -XAtqc "select pid from pg_stat_activity where application_name = 'waiter'")

mask() {
    printf '%s\n' "$1" | sed -E -e "s/(^|[^0-9])$blocker([^0-9]|\$)/\\1BLOCKER\\2/g" \
        -e "s/(^|[^0-9])$waiter([^0-9]|\$)/\\1WAITER\\2/g" \
        -e 's/[0-9]+\.[0-9]s|[0-9]+m[0-9][0-9]s|[0-9]+h[0-9][0-9]m/T/g'
}

stepwise_run locks --db "$STEPWISE_TEST_PG"
tap_is "$rc" 0 "locks exits 0"
tap_is "$(mask "$out")" "sessions: 2, waiting: 1, root blockers: 1, oldest wait: T
BLOCKER stepwise blocker idle in transaction blocks 1 [idle in transaction]: lock table t;
\`- WAITER stepwise waiter active waits T for AccessShareLock on public.t: select count(*) from t" \
    "the summary line, the blocker as root, the waiter under it"
tap_is "$err" "" "nothing on stderr"

COLUMNS=95 stepwise_run locks --db "$STEPWISE_TEST_PG"
line=$(printf '%s\n' "$out" | sed -n 3p)
tap_ok "the query is shortened to the terminal width" \
    test "${#line}" -le 95
tap_like "$line" "..." "with an ellipsis"

LC_ALL=C.UTF-8 stepwise_run locks --db "$STEPWISE_TEST_PG"
tap_like "$out" "└─ $waiter " "UTF-8 tree lines in a UTF-8 locale"

stepwise_run locks --db "$STEPWISE_TEST_PG" --json
tap_is "$rc" 0 "locks --json exits 0"
tap_like "$out" '"root_blockers": 1' "JSON has the summary"
tap_like "$out" "\"pid\": $waiter," "JSON lists the waiter"
tap_like "$out" '"wanted_mode": "AccessShareLock"' "JSON has the mode wanted"
tap_like "$out" '"relation": "public.t"' "JSON has the relation"
tap_like "$out" "\"blockers\": [
        $blocker
      ]" "JSON has the waiter's blockers"
tap_like "$out" '"idle_in_transaction": true' "JSON marks idle in transaction"

stepwise_run locks --db "$STEPWISE_TEST_PG" --min-wait 1h
tap_is "$(mask "$out")" "sessions: 0, waiting: 0, root blockers: 0, oldest wait: -" \
    "--min-wait hides shorter waits and their blockers"
stepwise_run locks --db "$STEPWISE_TEST_PG" --min-wait 10ms
tap_like "$(mask "$out")" "\`- WAITER stepwise waiter" "--min-wait keeps longer waits"
tap_like "$(mask "$out")" "BLOCKER stepwise blocker" "and the root that blocks them"
stepwise_run locks --db "$STEPWISE_TEST_PG" --min-wait soon
tap_is "$rc" 2 "a bad --min-wait exits 2"
tap_like "$err" "'soon'" "naming the value"
stepwise_run locks --db "$STEPWISE_TEST_PG" --dbname nosuch
tap_like "$out" "sessions: 0," "--dbname filters by database"

"$STEPWISE" locks --db "$STEPWISE_TEST_PG" --watch=0.2 >"$tmp/watch.out" 2>&1 </dev/null &
watchpid=$!
sleep 1
kill -INT "$watchpid"
wait "$watchpid"
tap_is "$?" 0 "--watch stops cleanly on Ctrl-C"
tap_ok "--watch refreshed more than once" \
    test "$(grep -c '^sessions: ' "$tmp/watch.out")" -ge 2
tap_ok "--watch separates refreshes with the time" grep -q '^--- .* ---$' "$tmp/watch.out"

stepwise_run locks --db "$STEPWISE_TEST_PG" --terminate "$blocker"
tap_is "$rc" 2 "--terminate without --yes and without a terminal exits 2"
tap_like "$err" "pass --yes" "saying to pass --yes"

stepwise_run locks --db "$STEPWISE_TEST_PG" --cancel 999999 --yes
tap_is "$rc" 1 "--cancel of an unknown pid exits 1"
tap_like "$err" "no session with pid 999999" "saying so"

stepwise_run locks --db "$STEPWISE_TEST_PG" --terminate "$blocker" --yes
tap_is "$rc" 0 "--terminate PID --yes exits 0"
tap_like "$out" "Terminated pid $blocker" "and says what it did"
wait "$wpid"
tap_is "$?" 0 "the waiter proceeds"
wpid=
tap_is "$(cat "$tmp/waiter.out")" 0 "and finishes its query"

audit=$XDG_STATE_HOME/stepwise/audit.jsonl
tap_ok "an audit file appears under XDG_STATE_HOME" test -f "$audit"
tap_is "$(wc -l <"$audit" | tr -d ' ')" 1 "with one line"
line=$(cat "$audit")
tap_like "$line" '"action":"terminate_backend"' "the action is audited"
tap_like "$line" "\"target_pid\":$blocker," "with the target pid"
tap_like "$line" '"target_user":"stepwise"' "its user"
tap_like "$line" '"target_query":"lock table t;"' "its query"
tap_like "$line" '"outcome":"ok"' "the outcome"
tap_like "$line" '"db_user":"stepwise"' "and the actor's database user"
tap_ok "the audit file is private" test "$(stat -c %a "$audit")" = 600

stepwise_run locks --db "sqlite:$tmp/x.db"
tap_is "$rc" 2 "locks on SQLite exits 2"
tap_like "$err" "locks are a PostgreSQL feature" "saying so plainly"

tap_done
