# Sourced by the shell tests that hold sessions on the throwaway server
# (tests/cli/locks_pg.sh, tests/screen/locks_confirm_pg.sh,
# tests/cli/migrate_pg.sh), never run. Needs psql reaching the
# throwaway server (tests/harness/with-pg sets PGHOST and the rest) and
# $tmp, a folder of the test's own.

# wait_for SQL: poll until the query returns 't' ($WAIT_FOR_SECONDS, else
# 10 s at most); returns 1 when it never does.
wait_for() {
    _i=0
    while [ "$_i" -lt $((${WAIT_FOR_SECONDS:-10} * 10)) ]; do
        [ "$(psql -XAtqc "$1" 2>/dev/null)" = t ] && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}

# fifo_session NAME SQL: a psql session with application_name NAME that
# reads its statements from a fifo held open here on descriptor 3, so it
# stays (idle, or in its transaction) until that is closed or psql is
# killed; sends it SQL. Its output goes to $tmp/NAME.out; psql's process
# id is left in session_pid.
fifo_session() {
    mkfifo "$tmp/$1.fifo"
    PGAPPNAME=$1 psql -Xq <"$tmp/$1.fifo" >"$tmp/$1.out" 2>&1 &
    session_pid=$!
    exec 3>"$tmp/$1.fifo"
    printf '%s\n' "$2" >&3
}
