#!/bin/sh
# Screen tests of `stepwise lab` on the throwaway PostgreSQL: each
# scenario run the way a trainee runs it (tmux, 120x30, the real program),
# from the confirmation to the end, where the scratch database must be gone:
# - blocker: 0006 waits behind the forgotten transaction, the locks view
#   shows the root blocker, K ends it, the migration commits;
# - lock-timeout: 0006 hits lock_timeout behind the nightly report, t
#   retries once the report is over, and it commits;
# - failed-index: 0014 fails on the case-duplicate emails and is dirty;
#   :psql fixes the data and drops the invalid index; r resumes it;
# - deadlock: the server breaks a deadlock between the two application
#   sessions and the history view shows it (lab_deadlock);
# lock-timeout ends with the terminal closed (SIGHUP), deadlock with
# Ctrl-C, the others with q;
# and, without a screen: the confirmation refused, a SQLite target, an
# unknown scenario, SIGTERM during the console, and --cleanup.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
cleanup() {
    screen_stop
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
screen_size_cols=120
screen_size_rows=30
lab_dir="$top_srcdir/migrations/lab"
export XDG_STATE_HOME="$tmp/state"

q() { psql -XAtqc "$1"; }
labs() { q "select coalesce(string_agg(datname, ' '), 'none') from pg_database
            where datname like 'stepwise\_lab\_%'"; }
# wait_for SQL [SECONDS]: until SQL (on the lab's database) says t.
wait_for() {
    _deadline=$(( $(date +%s) + ${2:-15} ))
    while [ "$(psql -XAtq -d "$lab" -c "$1" 2>/dev/null)" != t ]; do
        [ "$(date +%s)" -lt "$_deadline" ] || return 1
        sleep 0.2
    done
}
show() { printf '%s\n' "$screen" | sed 's/^/# /'; }
expect() { # expect TEXT DESCRIPTION [SECONDS]
    if screen_wait_for "$1" "${3:-15}"; then tap_ok "$2" true; else tap_ok "$2" false; show; fi
}

# start_lab SCENARIO [OPTIONS]: the lab in tmux, confirmed, its briefing
# read and closed; $lab is its database.
start_lab() {
    screen_stop
    screen_start "sh -c 'cd $tmp && $STEPWISE lab --scenario $1 --dir $lab_dir $2; \
echo lab-exit:\$?; sleep 600'"
    expect "Go on? [y/N]" "$1: the lab says what it will do and asks"
    screen_type y
    expect "Lab briefing" "$1: the console opens on the briefing" 60
    lab=$(q "select datname from pg_database where datname like 'stepwise\_lab\_%'")
    tap_like "$lab" "stepwise_lab_" "$1: the scratch database exists"
    screen_keys Escape
    expect "Step 1/" "$1: the hint line shows the first step"
}

# end_lab SCENARIO [KEY]: q (or KEY), and the database must be gone.
end_lab() {
    screen_keys "${2:-q}"
    if screen_wait_for "lab-exit:" 30; then :; else show; fi
    tap_like "$screen" "dropped the database $lab" "$1: leaving drops the database"
    tap_like "$screen" "lab-exit:0" "$1: the lab exits 0"
    tap_is "$(labs)" none "$1: no scratch database is left on the server"
}

# LAB_SCENARIOS="blocker deadlock" runs only those (when working on one).
want() { case " ${LAB_SCENARIOS:-blocker lock-timeout failed-index deadlock} " in
         *" $1 "*) return 0 ;; esac; return 1; }

# ------------------------------------------------------------- blocker
if want blocker; then
start_lab blocker
tap_like "$screen" "Step 1/5: u plans 0006" "blocker: the first hint"
blocker=$(psql -XAtq -d "$lab" -c "select pid from pg_stat_activity
           where application_name = 'lab: forgotten tx' and state = 'idle in transaction'")
tap_ok "blocker: the forgotten transaction is idle in transaction" [ -n "$blocker" ]
screen_keys u
expect "y run it" "blocker: u plans 0006, y runs it"
screen_keys y
expect "WAITING" "blocker: the migration waits for its lock"
expect "$blocker" "blocker: the apply view names the blocker's pid"
wait_for "select count(*) >= 2 from pg_stat_activity where application_name like 'lab: %'
          and wait_event_type = 'Lock'" 20
tap_ok "blocker: the application queues behind the migration" [ $? -eq 0 ]
expect "Step 2/5" "blocker: the hint moves on to the locks view"
screen_keys 2
expect "lab: forgotten" "blocker: the locks view shows the forgotten transaction"
expect "Step 3/5" "blocker: the hint moves on to ending the blocker"
screen_keys g K
expect "Terminate pid $blocker?" "blocker: K on the root blocker asks"
screen_keys y
expect "Terminated pid $blocker: done" "blocker: y terminates it"
expect "Step 4/5" "blocker: the hint moves on to the commit"
screen_keys A
expect "Commit gate:" "blocker: the migration reached the commit gate" 20
sleep 1 # the gate takes c once it has been on screen a second
screen_keys c
expect "applied 0006" "blocker: c commits 0006"
expect "Step 5/5" "blocker: the hint moves on to the history"
screen_keys 4
expect "Lab: blocker done" "blocker: the walkthrough of the scenario is done"
tap_is "$(psql -XAtq -d "$lab" -c "select string_agg(action || coalesce(' ' || version, ''),
          ', ' order by action) from stepwise_events
          where action in ('lab_start', 'terminate_backend')
             or (action = 'apply' and version = '0006' and outcome = 'ok')")" \
    "apply 0006, lab_start, terminate_backend" \
    "blocker: the events table holds the lab, the kill, the apply"
end_lab blocker
fi

# --------------------------------------------------------- lock-timeout
if want lock-timeout; then
start_lab lock-timeout "--orders 20000"
wait_for "select exists (select 1 from pg_stat_activity
          where application_name = 'lab: report' and state = 'active')"
tap_ok "lock-timeout: the nightly report runs" [ $? -eq 0 ]
screen_keys u
expect "y run it" "lock-timeout: u plans 0006, y runs it"
screen_keys y
expect "hit lock_timeout" "lock-timeout: the migration hits lock_timeout (2s)" 20
expect "Step 2/4" "lock-timeout: the hint moves on to the activity view"
screen_keys 3
expect "lab: report" "lock-timeout: the activity view shows the report"
screen_keys A
wait_for "select not exists (select 1 from pg_stat_activity
          where application_name = 'lab: report' and state = 'active')" 40
tap_ok "lock-timeout: the report ends" [ $? -eq 0 ]
screen_keys t
expect "Commit gate:" "lock-timeout: the retry gets its lock, the gate" 20
sleep 1
screen_keys c
expect "applied 0006" "lock-timeout: c commits 0006"
screen_keys 4
expect "Lab: lock-timeout done" "lock-timeout: the scenario's steps are done"
tap_is "$(psql -XAtq -d "$lab" -c "select string_agg(action || ' ' || outcome, ', ' order by id)
          from stepwise_events where version = '0006'")" \
    "confirm run, lock_timeout lock_timeout, retry now, apply ok, commit_gate commit" \
    "lock-timeout: the events table holds the timeout, the retry, the commit"
# The terminal goes away (SIGHUP): the lab still cleans up.
screen_stop
_n=0
while [ "$(labs)" != none ] && [ "$_n" -lt 100 ]; do sleep 0.2; _n=$((_n + 1)); done
tap_is "$(labs)" none "lock-timeout: the terminal closed (SIGHUP), the database is dropped"
fi

# --------------------------------------------------------- failed-index
if want failed-index; then
start_lab failed-index "--orders 20000"
tap_like "$(psql -XAtq -d "$lab" -c "select max(version) from stepwise_history")" 0013 \
    "failed-index: the history is loaded up to 0013"
screen_keys u
expect "y or s run it" "failed-index: u plans 0014"
screen_keys y
expect "statement 1 of 2 is next" "failed-index: each statement is confirmed"
screen_keys y
expect "statement 2 of 2 is next" "failed-index: the first one done, the second next"
screen_keys y
expect "is dirty after 1 of 2" "failed-index: the index build fails, 0014 is dirty" 30
index_valid() { psql -XAtq -d "$lab" -c "select indisvalid from pg_index
                 where indexrelid = 'customers_email_lower_key'::regclass"; }
tap_is "$(index_valid)" f \
    "failed-index: an INVALID index is left"
expect "Step 2/4" "failed-index: the hint moves on to :psql"
screen_keys :
screen_type psql
expect "$lab=" "failed-index: :psql opens psql on the lab's database"
# (\g ends the statements: tmux reads a word ending in ; as its own separator)
screen_type "UPDATE customers SET email = 'x' || email WHERE email IN ('ann.lee@example.com', 'bo.chen@Example.com') \\g"
expect "UPDATE 2" "failed-index: psql: the duplicates fixed"
screen_type "DROP INDEX CONCURRENTLY customers_email_lower_key \\g"
screen_type '\q'
expect "Press Enter" "failed-index: psql ends, back to the console on Enter"
tap_is "$(psql -XAtq -d "$lab" -c "select count(*) from pg_class
          where relname = 'customers_email_lower_key'")" 0 "failed-index: psql: the invalid index dropped"
screen_keys Enter
expect "Step 3/4" "failed-index: the hint moves on to the resume"
screen_keys 1 r
expect "y or s run it" "failed-index: r plans the resume"
screen_keys y
expect "statement 2 of 2 is next" "failed-index: the resume starts at the statement that failed"
screen_keys y
expect "applied 0014" "failed-index: the resume completes 0014" 30
tap_is "$(index_valid)" t \
    "failed-index: the index is valid now"
screen_keys 4
expect "Lab: failed-index done" "failed-index: the scenario's steps are done"
end_lab failed-index
fi

# ------------------------------------------------------------- deadlock
if want deadlock; then
start_lab deadlock "--orders 20000"
wait_for "select exists (select 1 from stepwise_events where action = 'lab_deadlock')" 40
tap_ok "deadlock: the server breaks a deadlock, the lab records it" [ $? -eq 0 ]
tap_like "$(psql -XAtq -d "$lab" -c "select detail from stepwise_events
            where action = 'lab_deadlock' limit 1")" "deadlock detected" \
    "deadlock: with the server's message"
screen_keys 3
expect "lab: deadlock A" "deadlock: the activity view shows the two sessions"
screen_keys 4
expect "lab_deadlock" "deadlock: the history view shows it"
end_lab deadlock C-c
fi

tap_done
