#!/bin/sh
# Screen test: the console's locks and activity views on the throwaway
# PostgreSQL (tmux, 80x24). psql sessions build a blocking tree (an idle
# transaction holding a row, an ALTER queued behind it, a SELECT whose
# text carries escape sequences queued behind the ALTER); the locks view
# must draw that tree and follow it as it changes, pause and change its
# interval, show a session's query and locks, and cancel and terminate
# after a dialog (any key but y does nothing), audited in the local file
# and the events table. The activity view orders by transaction age,
# highlights idle transactions and filters. On SQLite both views say the
# monitor needs PostgreSQL.
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
    exec 3>&- 4>&- 5>&- 6>&- 2>/dev/null
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

q() { psql -XAtqc "$1"; }
pid_of() { q "select pid from pg_stat_activity where application_name = '$1'"; }
state_of() { q "select coalesce((select state from pg_stat_activity where application_name = '$1'), 'gone')"; }

# A table, and the history and events tables (by a migration applied).
m=$tmp/m
mkdir -p "$m"
printf '%s\n' 'CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1), (2, 2);' \
    >"$m/0001_create_t.up.sql"
printf '%s\n' 'DROP TABLE t;' >"$m/0001_create_t.down.sql"
XDG_STATE_HOME=$tmp/state
export XDG_STATE_HOME
audit=$tmp/state/stepwise/audit.jsonl
stepwise_run up --dir "$m" --db "$STEPWISE_TEST_PG" --yes
[ "$rc" = 0 ] || tap_bail "stepwise up failed: $err"
[ "$(q "select to_regclass('stepwise_events') is not null")" = t ] || tap_bail "no events table"
rm -f "$audit" # only the console's lines from here on

# session NAME FD SQL: fifo_session on descriptor FD (3 is fifo_session's).
session() {
    fifo_session "$1" "$3"
    pids="$pids $session_pid"
    eval "exec $2>&3"
    exec 3>&-
}
esc=$(printf '\033')
bel=$(printf '\007')
session holder 4 'begin; update t set v = 10 where id = 1;'
wait_for "select state = 'idle in transaction' from pg_stat_activity where application_name = 'holder'" ||
    tap_bail "the holder never took its row"
session alter 5 'alter table t add column x int;'
wait_for "select wait_event_type = 'Lock' from pg_stat_activity where application_name = 'alter'" ||
    tap_bail "the ALTER never queued"
session reader 6 "select /* ${esc}[2J${esc}]0;pwned${bel} */ v from t;"
wait_for "select wait_event_type = 'Lock' from pg_stat_activity where application_name = 'reader'" ||
    tap_bail "the reader never queued"
holder=$(pid_of holder) alter=$(pid_of alter) reader=$(pid_of reader)

# mask: pids by name, ages and the interval's figure by letters.
mask() {
    sed -E -e "s/\b$holder\b/HOLDER/g" -e "s/\b$alter\b/ALTER/g" -e "s/\b$reader\b/READER/g" \
        -e 's/[0-9]+(\.[0-9])?s\b/Ns/g' -e 's/[0-9]+m[0-9]+s/Ns/g' -e 's/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/HH:MM:SS/'
}
# rows FIRST LAST: those screen rows (1-based), masked.
rows() { printf '%s\n' "$screen" | sed -n "$1,$2p" | mask; }

screen_size_cols=120 # room for the query column
screen_start "'$STEPWISE' --db '$STEPWISE_TEST_PG' --dir '$m'"
trap cleanup EXIT
screen_keys 2
tap_ok "the locks view draws the tree" screen_wait_for "root blocker"
# tree: the tree's rows, masked, spaces squeezed, up to the blocked count
# (the query's width depends on the pids' digits).
tree() {
    printf '%s\n' "$screen" | sed -n '4,20p' | mask | sed -E 's/ +(update t|alter table|select \/\*).*//' |
        sed -E -e 's/([^ ]) +/\1 /g' -e '/^$/d'
}
tap_is "$(tree)" "HOLDER stepwise holder idle in tx 2
└─ ALTER stepwise alter active Ns AccessExclusive public.t 1
   └─ READER stepwise reader active Ns AccessShare public.t" \
    "the tree: the holder, the ALTER under it, the reader under the ALTER"
tap_is "$(rows 2 3 | tr -s ' ')" "waiting 2, root blockers 1, oldest Ns | every 2.0 s | taken Ns ago
PID USER APPLICATION STATE WAIT MODE RELATION BLK QUERY" "the header and the columns"
tap_like "$screen" 'select /* \x1B[2J' "the query's escape sequence is shown escaped"
tap_like "$screen" 'Locks 1/3' "the top bar names the view and the position"
tap_is "$(tmux -S "$screen_socket" display-message -p -t test '#{pane_title}')" "$(hostname)" \
    "the OSC title in the query did not reach the terminal"
tap_like "$(printf '%s\n' "$screen" | sed -n 1p)" "Locks" "the screen was not cleared by the query"

# Pause, interval.
screen_keys Space
tap_ok "Space pauses, and the header says so" screen_wait_for "| paused (Space resumes)"
screen_keys Space
tap_ok "Space again resumes" screen_wait_for "| every 2.0 s"
screen_keys -
tap_ok "- refreshes less often" screen_wait_for "| every 3.0 s"
screen_keys + +
tap_ok "+ more often" screen_wait_for "| every 1.0 s"
screen_keys + + +
tap_ok "never more often than every 0.5 s" screen_wait_for "| every 0.5 s"
screen_keys - -
tap_ok "and back" screen_wait_for "| every 2.0 s"

# Enter: the reader's full query and its locks.
screen_keys j j Enter
tap_ok "Enter opens the session's page" screen_wait_for "Locks ("
tap_like "$(printf '%s\n' "$screen" | mask)" "Session READER" "the page names the session"
tap_like "$(printf '%s\n' "$screen" | mask)" "waits Ns for AccessShareLock on public.t" "what it waits for"
tap_like "$screen" "select /* \\x1B[2J\\x1B]0;pwned\\x07 */ v from t;" "the whole query, escaped"
tap_like "$screen" "WAITS    AccessShareLock          relation       public.t" \
    "its locks: the one it waits for first"
tap_like "$screen" "held     ExclusiveLock            virtualxid     virtual transaction" \
    "then those it holds"
screen_keys Escape
tap_ok "Esc goes back to the tree" screen_wait_for "root blocker"

# Cancel the ALTER: n does nothing, y cancels; the tree is then gone.
screen_keys k c
tap_ok "c asks first" screen_wait_for "Cancel the query of pid $alter?"
tap_like "$screen" "user stepwise, application alter, database postgres" "the dialog shows who"
tap_like "$screen" "state active, transaction" "its state"
tap_like "$screen" "query: alter table t add column x int;" "its query"
tap_like "$screen" "blocks 1 session: pid $reader" "and what it blocks"
tap_like "$screen" "Press y to go on; any other key cancels." "y is needed"
screen_keys n
tap_ok "n cancels the dialog" screen_wait_for "Nothing done to pid $alter"
tap_is "$(state_of alter)" active "the ALTER still waits"
screen_keys c
tap_ok "c asks again" screen_wait_for "Cancel the query of pid $alter?"
screen_keys y
tap_ok "y cancels it" screen_wait_for "Cancelled the query of pid $alter: done"
tap_ok "the ALTER's session is idle" \
    wait_for "select state = 'idle' from pg_stat_activity where application_name = 'alter'"
tap_ok "the reader ran" wait_for "select state = 'idle' from pg_stat_activity where application_name = 'reader'"
tap_ok "the tree is gone at the next refresh" screen_wait_for "Nobody waits on a lock."

# A new waiter behind the holder; terminate the holder: n, then y.
printf '%s\n' 'alter table t add column y int;' >&5
wait_for "select wait_event_type = 'Lock' from pg_stat_activity where application_name = 'alter'" ||
    tap_bail "the second ALTER never queued"
tap_ok "the refresh shows the new tree" screen_wait_for "root blockers 1"
screen_keys g K
tap_ok "K asks first" screen_wait_for "Terminate pid $holder?"
tap_like "$screen" "state idle in transaction" "the dialog shows the holder's state"
tap_like "$screen" "blocks 1 session: pid $alter" "and what it blocks"
screen_keys x
tap_ok "another key cancels" screen_wait_for "Nothing done to pid $holder"
tap_is "$(state_of holder)" "idle in transaction" "the holder is still there"
screen_keys K
tap_ok "K asks again" screen_wait_for "Terminate pid $holder?"
screen_keys y
tap_ok "y terminates it" screen_wait_for "Terminated pid $holder: done"
tap_ok "the holder's session is gone" \
    wait_for "select not exists (select 1 from pg_stat_activity where application_name = 'holder')"
tap_ok "the ALTER went through" wait_for "select state = 'idle' from pg_stat_activity where application_name = 'alter'"
tap_ok "the tree is gone" screen_wait_for "Nobody waits on a lock."

# The audit: four lines in the file, four events in the table.
audit_actions() {
    sed -E 's/.*"action":"([^"]*)".*"target_pid":([0-9]+).*"outcome":"([^"]*)".*/\1 \2 \3/' "$audit" | mask
}
tap_ok "the audit file is written" wait_for "select true where $(wc -l <"$audit" 2>/dev/null || echo 0) >= 4"
tap_is "$(audit_actions)" "cancel_backend ALTER refused
cancel_backend ALTER ok
terminate_backend HOLDER refused
terminate_backend HOLDER ok" "the audit file has each answer"
tap_is "$(q "select string_agg(action || ' ' || outcome || ' ' || split_part(detail, ',', 1), '|' order by id)
             from stepwise_events where action like '%_backend'" | mask)" \
    "cancel_backend refused pid ALTER|cancel_backend ok pid ALTER|terminate_backend refused pid HOLDER|terminate_backend ok pid HOLDER" \
    "and the events table"
tap_like "$(q "select detail from stepwise_events where action = 'cancel_backend' order by id limit 1")" \
    "pid $alter, user stepwise: alter table t add column x int;; declined at the confirmation" \
    "an event names the session and its query"

# Activity: a long idle transaction, a younger active one, then no transaction.
session idler 7 'begin; select 1;'
wait_for "select state = 'idle in transaction' from pg_stat_activity where application_name = 'idler'" ||
    tap_bail "the idler never began"
sleep 1.2
session sleeper 8 'begin; select pg_sleep(3600);'
wait_for "select state = 'active' from pg_stat_activity where application_name = 'sleeper'" ||
    tap_bail "the sleeper never began"
idler=$(pid_of idler) sleeper=$(pid_of sleeper)
screen_keys 3
tap_ok "the activity view" screen_wait_for "in transaction ("
tap_ok "shows the sessions" screen_wait_for "sleeper"
# apps: the application column of the list's rows, ours only (the
# console's own connection is a session too).
apps() {
    printf '%s\n' "$screen" | sed -n '4,22p' | awk '{print $3}' | grep -E '^(idler|sleeper|alter|reader)$' |
        tr '\n' ' '
}
tap_is "$(apps | cut -d' ' -f1-2)" "idler sleeper" "the longest transaction first"
tap_is "$(apps | cut -d' ' -f3- | tr ' ' '\n' | sort | tr '\n' ' ')" " alter reader " \
    "then the sessions outside a transaction"
tap_like "$screen" "5 sessions: 2 in transaction (1 idle), 0 waiting" "the header counts them"
# Highlights: the idle transaction's row is drawn in another style than a
# plain row (escape sequences of the pane).
screen_keys G # the selection (its own style) to a session without a transaction
sleep 0.3
styled=$(tmux -S "$screen_socket" capture-pane -e -p -t test)
sgr_of() { printf '%s\n' "$styled" | grep -F "$1" | grep -o "${esc}\[[0-9;]*m" | sort -u | tr -d '\n'; }
tap_ok "the idle transaction is highlighted" test -n "$(sgr_of idler)" -a "$(sgr_of idler)" != "$(sgr_of sleeper)"

screen_keys /
tap_ok "/ asks for a filter" screen_wait_for "filter (pid, user, application, state, query):"
screen_type "sleep"
tap_ok "the filter applies" screen_wait_for 'filter "sleep": 1 of 5 sessions'
tap_is "$(printf '%s\n' "$screen" | sed -n '4,22p' | awk 'NF {print $3}' | tr '\n' ' ')" \
    "sleeper " "only the matching session shows"
screen_keys / C-u Enter
tap_ok "an empty filter shows all again" screen_wait_for "reader"
# A migration's session (its application name says so) stands out.
session "stepwise migrate 0002" 9 'select 2;'
tap_ok "a migration's session shows" screen_wait_for "stepwise migrate"
screen_keys g # the selection off it
sleep 0.3
styled=$(tmux -S "$screen_socket" capture-pane -e -p -t test)
tap_ok "highlighted as the migration's own" \
    test -n "$(sgr_of 'stepwise migrate')" -a "$(sgr_of 'stepwise migrate')" != "$(sgr_of sleeper)" \
    -a "$(sgr_of 'stepwise migrate')" != "$(sgr_of idler)"
screen_keys q
sleep 0.5
screen_stop

# SQLite: no monitor, said plainly.
screen_start "'$STEPWISE' --db 'sqlite:$tmp/x.db' --dir '$m'"
trap cleanup EXIT
screen_keys 2
tap_ok "the locks view on SQLite says it needs PostgreSQL" \
    screen_wait_for "The lock monitor needs PostgreSQL."
screen_keys 3
tap_ok "so does the activity view" screen_wait_for "Activity"
tap_like "$screen" "The lock monitor needs PostgreSQL." "with the same words"
screen_keys q

tap_done
