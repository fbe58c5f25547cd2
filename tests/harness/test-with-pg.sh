#!/bin/sh
# TAP test of tests/harness/with-pg: connection settings, exit status
# pass-through, cleanup after failure and after signals, isolation from the
# caller's environment, and two concurrent clusters.
# The single-quoted sh -c scripts expand their variables when with-pg runs them:
# shellcheck disable=SC2016
set -u

if [ -z "${top_srcdir:-}" ]; then
    top_srcdir=$(dirname "$0")/../..
fi
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
# shellcheck source=tap.sh disable=SC1091
. "$top_srcdir/tests/harness/tap.sh"

WITH_PG=$top_srcdir/tests/harness/with-pg

W=$(mktemp -d "${TMPDIR:-/tmp}/test-with-pg.XXXXXX") || tap_bail "mktemp -d failed"
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# alive PID: the process exists and is not a zombie (PID 1 in a container
# may never reap orphans, so kill -0 alone would see dead processes).
alive() {
    _st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $_st in '' | Z*) return 1 ;; esac
    return 0
}

# wait_for_file FILE: up to ~20 s.
wait_for_file() {
    _n=0
    while [ ! -s "$1" ]; do
        _n=$((_n + 1))
        [ "$_n" -le 200 ] || return 1
        sleep 0.1
    done
}

# wait_gone PID SECONDS: poll until PID has exited; fails on timeout.
wait_gone() {
    _n=0
    while alive "$1"; do
        _n=$((_n + 1))
        [ "$_n" -le $(($2 * 10)) ] || return 1
        sleep 0.1
    done
}

# The commands run under with-pg are small scripts that write what they see
# into files; with-pg's stdout is captured, never mixed into our TAP stream.
# Each uses psql from the server's bin dir when there is one.
cat >"$W/psql.sh" <<'EOF'
#!/bin/sh
if [ -x "${STEPWISE_TEST_PGBIN:-}/psql" ]; then
    exec "$STEPWISE_TEST_PGBIN/psql" "$@"
fi
exec psql "$@"
EOF
chmod +x "$W/psql.sh"

have_psql=no
for _d in /usr/lib/postgresql/*/bin; do
    [ -x "$_d/psql" ] && have_psql=yes
done
command -v psql >/dev/null 2>&1 && have_psql=yes

# A check that needs psql: runs it, or reports it as skipped.
psql_is() {
    if [ "$have_psql" = yes ]; then
        tap_is "$1" "$2" "$3"
    else
        tap_result 0 "$3 # SKIP psql not installed"
    fi
}

# --- 0. with-pg true: does a server exist at all; stdout stays clean ---------
out=$("$WITH_PG" true 2>"$W/true.err")
rc=$?
case $out in
    '1..0 # SKIP'*)
        if [ "${CI:-}" = true ]; then
            tap_bail "with-pg skipped although CI=true"
        fi
        tap_skip_all "no PostgreSQL server binaries found" ;;
    'Bail out!'*)
        sed 's/^/# /' "$W/true.err"
        tap_bail "with-pg cannot start a server: ${out#Bail out! }" ;;
esac
tap_is "$rc" 0 "with-pg true exits 0"
tap_is "$out" "" "with-pg true prints nothing on stdout"
tap_like "$(cat "$W/true.err")" "with-pg: PostgreSQL " "with-pg reports the version on stderr"

# --- 1. connection settings and the server itself -----------------------------
cat >"$W/info.sh" <<'EOF'
#!/bin/sh
# $1: output folder
o=$1
p="$o/psql.sh"
printf '%s\n' "$PGHOST" >"$o/pghost"
printf '%s|%s|%s\n' "$PGPORT" "$PGUSER" "$PGDATABASE" >"$o/pgenv"
printf '%s\n' "$STEPWISE_TEST_PG" >"$o/conninfo"
printf '%s\n' "$STEPWISE_TEST_PGDATA" >"$o/pgdata"
printf '%s\n' "$STEPWISE_TEST_PGBIN" >"$o/pgbin"
printf '%s\n' "$STEPWISE_TEST_PGLOG" >"$o/pglog"
[ -S "$PGHOST/.s.PGSQL.5432" ] && echo yes >"$o/socket"
[ -f "$STEPWISE_TEST_PGLOG" ] && echo yes >"$o/logexists"
pm=$(head -n 1 "$STEPWISE_TEST_PGDATA/postmaster.pid")
printf '%s\n' "$pm" >"$o/pmpid"
ps -o user= -p "$pm" >"$o/pmuser"
"$p" -XAtqc 'select 1' >"$o/select1" 2>&1
"$p" -XAtqc 'show listen_addresses' >"$o/listen" 2>&1
"$p" -XAtqc 'show unix_socket_directories' >"$o/sockdirs" 2>&1
"$p" -XAtqc "select current_setting('data_directory')" >"$o/datadir" 2>&1
"$p" -XAtqc 'show max_prepared_transactions' >"$o/maxprep" 2>&1
"$p" -XAtqc 'show fsync' >"$o/fsync" 2>&1
# The conninfo string alone must be enough.
env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
    "$p" "$STEPWISE_TEST_PG" -XAtqc "select current_user || '@' || current_database()" \
    >"$o/conninfo_user" 2>&1
# Prepared transactions really work (later lock tests rely on them).
"$p" -Xq -v ON_ERROR_STOP=1 >"$o/prepared" 2>&1 <<'SQL'
create table t_prep (i int);
begin; insert into t_prep values (1); prepare transaction 'wp1';
commit prepared 'wp1';
SQL
echo "rc=$?" >>"$o/prepared"
exit 0
EOF
chmod +x "$W/info.sh"

mkdir "$W/i1" && cp "$W/psql.sh" "$W/i1/"
out=$("$WITH_PG" "$W/info.sh" "$W/i1" 2>"$W/i1.err")
rc=$?
tap_is "$rc" 0 "with-pg around a connecting command exits 0"
tap_is "$out" "" "nothing of with-pg's own on stdout"
pghost=$(cat "$W/i1/pghost")
pgdata=$(cat "$W/i1/pgdata")
case $pghost in
    /*/wpg.??????) r=0 ;;
    *) r=1 ;;
esac
tap_result "$r" "PGHOST is a fresh wpg.XXXXXX folder ($pghost)"
tap_is "$(cat "$W/i1/pgenv")" "5432|stepwise|postgres" "PGPORT, PGUSER, PGDATABASE"
tap_is "$(cat "$W/i1/conninfo")" \
    "host=$pghost port=5432 user=stepwise dbname=postgres" "STEPWISE_TEST_PG"
tap_is "$pgdata" "$pghost/data" "STEPWISE_TEST_PGDATA is inside the folder"
tap_ok "STEPWISE_TEST_PGBIN holds pg_ctl" test -x "$(cat "$W/i1/pgbin")/pg_ctl"
tap_is "$(cat "$W/i1/pglog")" "$pghost/server.log" "STEPWISE_TEST_PGLOG"
tap_is "$(cat "$W/i1/logexists" 2>/dev/null)" yes "the server log exists"
tap_is "$(cat "$W/i1/socket" 2>/dev/null)" yes "the socket is in PGHOST"
psql_is "$(cat "$W/i1/select1")" 1 "psql -c 'select 1' connects"
psql_is "$(cat "$W/i1/listen")" "" "listen_addresses is empty (no TCP)"
psql_is "$(cat "$W/i1/sockdirs")" "$pghost" "unix_socket_directories is PGHOST"
psql_is "$(cat "$W/i1/datadir")" "$pgdata" "data_directory is STEPWISE_TEST_PGDATA"
psql_is "$(cat "$W/i1/maxprep")" 10 "max_prepared_transactions = 10"
psql_is "$(cat "$W/i1/fsync")" off "fsync is off"
psql_is "$(cat "$W/i1/conninfo_user")" "stepwise@postgres" \
    "STEPWISE_TEST_PG alone connects as stepwise to postgres"
psql_is "$(tail -n 1 "$W/i1/prepared")" "rc=0" "prepared transactions work"
pmuser=$(tr -d ' ' <"$W/i1/pmuser")
if [ "$(id -u)" -eq 0 ]; then
    case $pmuser in
        '' | root) r=1 ;;
        *) r=0 ;;
    esac
    tap_result "$r" "as root, the postmaster runs as an unprivileged user ($pmuser)"
else
    tap_is "$pmuser" "$(id -un)" "the postmaster runs as the invoking user"
fi
tap_ok "the folder is gone after a normal exit" test ! -e "$pghost"
pm=$(cat "$W/i1/pmpid")
if [ -n "$pm" ] && ! alive "$pm"; then r=0; else r=1; fi
tap_result "$r" "the postmaster ($pm) is gone after a normal exit"

# --- 2. a failing command: status passed through, everything cleaned ----------
out=$("$WITH_PG" sh -c '
    printf "%s\n" "$PGHOST" >"$1/f.host"
    head -n 1 "$STEPWISE_TEST_PGDATA/postmaster.pid" >"$1/f.pid"
    exit 3' _ "$W" 2>"$W/f.err")
rc=$?
tap_is "$rc" 3 "a failing command's exit status (3) is passed through"
fhost=$(cat "$W/f.host" 2>/dev/null)
tap_like "$fhost" "/wpg." "the failing command saw its PGHOST"
tap_ok "the folder is gone after the failure" test ! -e "$fhost"
fpid=$(cat "$W/f.pid" 2>/dev/null)
if [ -n "$fpid" ] && ! alive "$fpid"; then r=0; else r=1; fi
tap_result "$r" "the postmaster ($fpid) is gone after the failure"

out=$("$WITH_PG" sh -c 'kill -TERM $$' 2>/dev/null)
tap_is "$?" 143 "a command killed by a signal gives 128+N"

# --- 3. interruption: SIGTERM / SIGHUP to with-pg -------------------------------
# signal_test SIGNAL EXPECTED-STATUS TAG
signal_test() {
    _sig=$1 _want=$2 _t=$3
    "$WITH_PG" sh -c '
        printf "%s\n%s\n%s\n" "$PGHOST" "$STEPWISE_TEST_PGDATA" "$$" >"$1.tmp"
        mv "$1.tmp" "$1"
        sleep 60
        echo "not interrupted" >"$1.after"' _ "$W/$_t.info" \
        >"$W/$_t.out" 2>"$W/$_t.err" &
    _wp=$!
    if ! wait_for_file "$W/$_t.info"; then
        kill -TERM "$_wp" 2>/dev/null
        tap_result 1 "$_sig: the command under with-pg started"
        sed 's/^/# /' "$W/$_t.err"
        return
    fi
    _host=$(sed -n 1p "$W/$_t.info")
    _data=$(sed -n 2p "$W/$_t.info")
    _shpid=$(sed -n 3p "$W/$_t.info")
    _pm=$(head -n 1 "$_data/postmaster.pid")
    # The sleeping grandchild: the child of the command's shell.
    _sleep=$(ps -e -o pid= -o ppid= -o comm= |
        awk -v p="$_shpid" '$2 == p && $3 == "sleep" { print $1 }')
    _up=1
    if [ "$have_psql" = yes ]; then
        PGHOST=$_host PGPORT=5432 PGUSER=stepwise PGDATABASE=postgres \
            STEPWISE_TEST_PGBIN=$(cat "$W/i1/pgbin") \
            "$W/psql.sh" -XAtqc 'select 1' >/dev/null 2>&1 && _up=0
    else
        alive "$_pm" && _up=0
    fi
    tap_result "$_up" "$_sig: the server is up while the command sleeps"
    _start=$(date +%s)
    kill -s "$_sig" "$_wp"
    if wait_gone "$_wp" 10; then _gone=0; else _gone=1; fi
    _end=$(date +%s)
    tap_result "$_gone" "$_sig: with-pg exits within a few seconds ($((_end - _start)) s)"
    if [ "$_gone" -ne 0 ]; then
        kill -KILL "$_wp" 2>/dev/null
    fi
    wait "$_wp"
    tap_is "$?" "$_want" "$_sig: with-pg exits with $_want"
    tap_ok "$_sig: the folder is deleted" test ! -e "$_host"
    if alive "$_pm"; then r=1; else r=0; fi
    tap_result "$r" "$_sig: the postmaster ($_pm) is gone"
    if alive "$_shpid"; then r=1; else r=0; fi
    tap_result "$r" "$_sig: the command ($_shpid) is gone"
    if [ -n "$_sleep" ] && ! alive "$_sleep"; then r=0; else r=1; fi
    tap_result "$r" "$_sig: the sleeping grandchild (${_sleep:-not found}) does not linger"
    tap_ok "$_sig: the command did not run on after the signal" test ! -e "$W/$_t.info.after"
    tap_is "$(cat "$W/$_t.out")" "" "$_sig: nothing on stdout"
}
signal_test TERM 143 term
signal_test HUP 129 hup

# --- 4. the caller's connection settings are ignored ---------------------------
mkdir "$W/e" && cp "$W/psql.sh" "$W/e/"
out=$(PGHOST=/nonexistent PGPORT=1 PGUSER=evil PGDATABASE=evil \
    PGSERVICE=evil PGPASSWORD=x PGSSLMODE=require \
    DATABASE_URL=postgres://evil/x STEPWISE_DB=postgres://evil/y \
    "$WITH_PG" sh -c '
        o=$1
        printf "%s|%s|%s|%s\n" "$PGHOST" "$PGPORT" "$PGUSER" "$PGDATABASE" >"$o/env"
        printf "%s|%s|%s|%s|%s\n" "${DATABASE_URL-unset}" "${STEPWISE_DB-unset}" \
            "${PGSERVICE-unset}" "${PGPASSWORD-unset}" "${PGSSLMODE-unset}" >"$o/unset"
        "$o/psql.sh" -XAtqc "select 1" >"$o/select1" 2>&1
        exit 0' _ "$W/e" 2>"$W/e.err")
rc=$?
tap_is "$rc" 0 "with a hostile environment, with-pg still exits 0"
ehost=$(cut -d'|' -f1 "$W/e/env")
case $ehost in
    /*/wpg.??????) r=0 ;;
    *) r=1 ;;
esac
tap_result "$r" "the caller's PGHOST=/nonexistent is replaced ($ehost)"
tap_is "$(cut -d'|' -f2- "$W/e/env")" "5432|stepwise|postgres" \
    "the caller's PGPORT/PGUSER/PGDATABASE are replaced"
tap_is "$(cat "$W/e/unset")" "unset|unset|unset|unset|unset" \
    "DATABASE_URL, STEPWISE_DB, PGSERVICE, PGPASSWORD, PGSSLMODE are unset"
psql_is "$(cat "$W/e/select1")" 1 "the command connects to the throwaway server"

# --- 5. two clusters at the same time --------------------------------------------
cat >"$W/conc.sh" <<'EOF'
#!/bin/sh
# $1: output folder, $2: own tag, $3: the other's tag
o=$1
printf '%s\n' "$PGHOST" >"$o/$2.host"
n=0
# Wait (up to ~20 s) until the other cluster is up too, so both really overlap.
while [ ! -s "$o/$3.host" ] && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$o/$3.host" ] && echo yes >"$o/$2.overlap"
"$o/psql.sh" -XAtqc "select 1" >"$o/$2.select1" 2>&1 || exit 1
"$o/psql.sh" -XAtqc "show unix_socket_directories" >"$o/$2.sock" 2>&1
# Stay up until the other has connected as well.
n=0
while [ ! -s "$o/$3.select1" ] && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
exit 0
EOF
chmod +x "$W/conc.sh"
mkdir "$W/c" && cp "$W/psql.sh" "$W/c/"
"$WITH_PG" "$W/conc.sh" "$W/c" a b >"$W/c/a.out" 2>"$W/c/a.err" &
pa=$!
"$WITH_PG" "$W/conc.sh" "$W/c" b a >"$W/c/b.out" 2>"$W/c/b.err" &
pb=$!
wait "$pa"
ra=$?
wait "$pb"
rb=$?
tap_is "$ra" 0 "concurrent run A exits 0"
tap_is "$rb" 0 "concurrent run B exits 0"
tap_is "$(cat "$W/c/a.overlap" 2>/dev/null)|$(cat "$W/c/b.overlap" 2>/dev/null)" \
    "yes|yes" "both clusters were up at the same time"
ha=$(cat "$W/c/a.host" 2>/dev/null)
hb=$(cat "$W/c/b.host" 2>/dev/null)
if [ -n "$ha" ] && [ -n "$hb" ] && [ "$ha" != "$hb" ]; then r=0; else r=1; fi
tap_result "$r" "each run has its own socket folder"
psql_is "$(cat "$W/c/a.select1" 2>/dev/null)|$(cat "$W/c/b.select1" 2>/dev/null)" \
    "1|1" "both concurrent runs connect"
psql_is "$(cat "$W/c/a.sock" 2>/dev/null)|$(cat "$W/c/b.sock" 2>/dev/null)" \
    "$ha|$hb" "each connects to its own server"
tap_ok "both folders are gone afterwards" sh -c '! test -e "$1" && ! test -e "$2"' _ "$ha" "$hb"

tap_done
