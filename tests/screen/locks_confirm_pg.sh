#!/bin/sh
# Screen test: `stepwise locks --cancel PID` and `--terminate PID` in a real
# terminal (tmux, 80x24) against the throwaway PostgreSQL. The victim is a
# psql session running a long pg_sleep; the confirmation must show its
# user, application, state, transaction age and query; `n` must signal
# nothing, `y` must cancel (then terminate) it; each answer is one line in
# the audit file under XDG_STATE_HOME.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/screen/locks_sessions.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
vpid=
cleanup() {
    screen_stop
    exec 3>&- 2>/dev/null
    [ -z "$vpid" ] || kill "$vpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The victim: a psql session that stays while we hold its fifo open.
fifo_session victim 'select pg_sleep(3600);'
vpid=$session_pid
wait_for "select exists (select 1 from pg_stat_activity where application_name = 'victim'
          and state = 'active' and query = 'select pg_sleep(3600);')" ||
    tap_bail "the victim never started its query"
victim=$(psql -XAtqc "select pid from pg_stat_activity where application_name = 'victim'")
state_of_victim() {
    psql -XAtqc "select coalesce((select state from pg_stat_activity where pid = $victim), 'gone')"
}

audit=$tmp/state/stepwise/audit.jsonl
# audit_line N: line N of the audit file with what changes from run to run
# (time, OS user, host, version, the target's text) masked.
audit_line() {
    sed -n "$1p" "$audit" | sed -E \
        -e 's/"time":"[^"]*"/"time":T/' \
        -e 's/"os_user":("[^"]*"|null)/"os_user":U/' \
        -e 's/"host":("[^"]*"|null)/"host":H/' \
        -e 's/"version":("[^"]*"|null)/"version":V/' \
        -e 's/"database":"[^"]*"/"database":D/' \
        -e "s/\"target_pid\":$victim,/\"target_pid\":VICTIM,/"
}

screen_start "sh"
trap cleanup EXIT # screen_start set its own
screen_wait_for '$' || tap_bail "no shell prompt in tmux"
# Each step first prints STEP_go (typed as STEP-go, so the typed line
# cannot match) after the clear: what is waited for next is on a fresh
# screen, never the previous step's.
run_locks() { # $1: --cancel or --terminate, $2: step marker
    screen_type "clear; echo $2-go | tr - _; XDG_STATE_HOME='$tmp/state' '$STEPWISE' locks --db '$STEPWISE_TEST_PG' $1 $victim; echo $2:\$?"
    screen_wait_for "${2}_go" || tap_bail "step $2 never started"
}

# 1. --cancel, answered n.
run_locks --cancel step1
tap_ok "--cancel asks before doing anything" screen_wait_for "[y/N]"
tap_like "$screen" "Cancel the query of pid $victim (stepwise, victim, active, transaction " \
    "the prompt shows the pid, its user, application and state"
tap_ok "and the transaction's age, in seconds" \
    sh -c 'printf "%s\n" "$1" | grep -Eq "Cancel the query of pid [0-9]+ \(stepwise, victim, active, transaction [0-9]+\.[0-9]s\)\?"' \
    sh "$screen"
tap_like "$screen" "  query: select pg_sleep(3600);" "and the query"
screen_keys n Enter
tap_ok "answering n ends the command" screen_wait_for "step1:"
tap_like "$screen" "Nothing done." "saying nothing was done"
tap_like "$screen" "step1:1" "with exit status 1"
tap_is "$(state_of_victim)" active "the victim's query still runs"
tap_is "$(audit_line 1)" \
    '{"time":T,"actor":{"db_user":"stepwise","os_user":U,"host":H},"action":"cancel_backend","version":V,"database":D,"target_pid":VICTIM,"target_user":"stepwise","target_query":"select pg_sleep(3600);","outcome":"refused","detail":"declined at the confirmation"}' \
    "the refusal is audited"

# 2. --cancel, answered y.
run_locks --cancel step2
tap_ok "--cancel asks again" screen_wait_for "[y/N]"
tap_like "$screen" "Cancel the query of pid $victim (stepwise, victim, active, transaction " \
    "the same prompt"
screen_keys y Enter
tap_ok "answering y ends the command" screen_wait_for "step2:"
tap_like "$screen" "Cancelled the query of pid $victim: done" "saying it was done"
tap_like "$screen" "step2:0" "with exit status 0"
tap_ok "the victim's query is cancelled: the session is idle" \
    wait_for "select state = 'idle' from pg_stat_activity where pid = $victim"
tap_ok "psql got the cancellation" grep -q "canceling statement due to user request" "$tmp/victim.out"
tap_is "$(audit_line 2)" \
    '{"time":T,"actor":{"db_user":"stepwise","os_user":U,"host":H},"action":"cancel_backend","version":V,"database":D,"target_pid":VICTIM,"target_user":"stepwise","target_query":"select pg_sleep(3600);","outcome":"ok","detail":null}' \
    "the cancellation is audited"

# 3. --terminate, answered n, then y.
run_locks --terminate step3
tap_ok "--terminate asks" screen_wait_for "[y/N]"
tap_like "$screen" "Terminate pid $victim (stepwise, victim, idle, transaction -)?" \
    "the prompt shows the session as it is now: idle, no transaction"
tap_like "$screen" "  query: select pg_sleep(3600);" "with its last query"
screen_keys n Enter
tap_ok "answering n ends the command" screen_wait_for "step3:"
tap_like "$screen" "Nothing done." "saying nothing was done"
tap_is "$(state_of_victim)" idle "the victim is still connected"
tap_is "$(audit_line 3)" \
    '{"time":T,"actor":{"db_user":"stepwise","os_user":U,"host":H},"action":"terminate_backend","version":V,"database":D,"target_pid":VICTIM,"target_user":"stepwise","target_query":"select pg_sleep(3600);","outcome":"refused","detail":"declined at the confirmation"}' \
    "the refusal is audited"

run_locks --terminate step4
tap_ok "--terminate asks again" screen_wait_for "[y/N]"
screen_keys y Enter
tap_ok "answering y ends the command" screen_wait_for "step4:"
tap_like "$screen" "Terminated pid $victim: done" "saying it was done"
tap_like "$screen" "step4:0" "with exit status 0"
tap_ok "the victim's session is gone" \
    wait_for "select not exists (select 1 from pg_stat_activity where pid = $victim)"
tap_is "$(audit_line 4)" \
    '{"time":T,"actor":{"db_user":"stepwise","os_user":U,"host":H},"action":"terminate_backend","version":V,"database":D,"target_pid":VICTIM,"target_user":"stepwise","target_query":"select pg_sleep(3600);","outcome":"ok","detail":null}' \
    "the termination is audited"
tap_is "$(wc -l <"$audit" | tr -d ' ')" 4 "four audit lines, one per answer"

tap_done
