#!/bin/sh
# Screen test: the console stays responsive while the throwaway PostgreSQL
# does not answer (the postmaster and every backend stopped with SIGSTOP):
# keys are answered within a second, the status line says what it waits
# for and for how long, it recovers on SIGCONT, and q quits promptly even
# while a worker is stuck on the server.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"
. "$top_srcdir/tests/screen/migrate_screen.sh"

work=$(mktemp -d)
export XDG_STATE_HOME="$work/state"
postmaster=$(sed -n 1p "$STEPWISE_TEST_PGDATA/postmaster.pid")
[ -n "$postmaster" ] || tap_bail "no postmaster pid in $STEPWISE_TEST_PGDATA/postmaster.pid"
# The server's processes: the postmaster and its children (backends and
# auxiliary processes), as they are now.
server_pids() { echo "$postmaster" $(pgrep -P "$postmaster"); }
freeze() { kill -STOP $(server_pids); }
thaw() { kill -CONT $(server_pids) 2>/dev/null; }
cleanup() {
    thaw
    screen_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

migrations_folder "$work/m" 3
"$STEPWISE" --db "$STEPWISE_TEST_PG" --dir "$work/m" up --yes >"$work/up.log" 2>&1 ||
    tap_bail "stepwise up failed: $(cat "$work/up.log")"

screen_start "sh"
trap cleanup EXIT # screen_start set its own
screen_wait_for '$' || tap_bail "no shell prompt in tmux"
screen_type "clear; cd '$work'; '$STEPWISE' --db '$STEPWISE_TEST_PG' --dir m; echo quit:\$?"
screen_wait_for "lock: not held" 15 || tap_bail "the console did not connect"

top_line() { screen_capture | sed -n 1p; }
# answered KEY TITLE: the key is answered within a second: the top bar
# starts with TITLE.
answered() {
    screen_keys "$1"
    _end=$(( $(date +%s%N) + 1000000000 ))
    while [ "$(date +%s%N)" -lt "$_end" ]; do
        case "$(top_line)" in " $2"*) return 0 ;; esac
        sleep 0.05
    done
    return 1
}
status_line() { screen_capture | tail -n 2 | sed -n 1p; }

# The locks view refreshes the monitor, here every second.
tap_ok "2 shows the locks view" answered 2 Locks
screen_keys +
sleep 2.5
tap_unlike "$(status_line)" "waiting for the server" "with the server up, nothing is waited for"

freeze
tap_diag "server stopped (pids $(server_pids))"
# The next refresh blocks on the stopped server; after a second the
# status line names it.
tap_ok "stopped server: the status line says what the monitor waits for" \
    screen_wait_for "waiting for the server: " 6
line=$(status_line)
tap_ok "and for how long, in seconds ($line)" \
    sh -c 'printf "%s\n" "$1" | grep -Eq "waiting for the server: .+ \([0-9]+\.[0-9] s\)"' sh "$line"
tap_ok "1 is answered within a second" answered 1 Migrations
tap_ok "? is answered within a second" answered '?' Help
tap_ok "Esc is answered within a second" answered Escape Migrations
tap_ok "2 is answered within a second" answered 2 Locks
first=$(status_line | sed -nE 's/.*\(([0-9]+)\.[0-9] s\).*/\1/p')
sleep 2
later=$(status_line | sed -nE 's/.*\(([0-9]+)\.[0-9] s\).*/\1/p')
tap_ok "the waiting time counts up ($first s, then $later s)" \
    test -n "$first" -a -n "$later" -a "${later:-0}" -gt "${first:-0}"
# The database worker too: R reads the history again, and waits.
screen_keys 1
screen_keys R
tap_ok "R on the stopped server: the status line says the history is being read" \
    screen_wait_for "waiting for the server: reading the history" 3

thaw
tap_ok "SIGCONT: the wait ends" sh -c '
    for i in $(seq 1 50); do
        tmux -S "$1" capture-pane -p -t test | grep -q "waiting for the server" || exit 0
        sleep 0.1
    done
    exit 1' sh "$screen_socket"
tap_ok "and the locks view is back" answered 2 Locks

# q while stalled: the console leaves its stuck worker behind after a
# second and the process ends.
sleep 1.5
freeze
screen_wait_for "waiting for the server: " 6 || tap_diag "the monitor did not stall"
shell=$(tmux -S "$screen_socket" display-message -p -t test '#{pane_pid}')
console=$(pgrep -P "$shell")
started=$(date +%s%N)
screen_keys q
tap_ok "q quits while the server is stopped" screen_wait_for "quit:0" 5
ms=$(( ($(date +%s%N) - started) / 1000000 ))
tap_ok "within 3 seconds (${ms} ms)" test "$ms" -lt 3000
tap_ok "the console process ($console) is gone" sh -c '[ -n "$1" ] && ! kill -0 "$1" 2>/dev/null' sh "$console"
thaw

tap_done
