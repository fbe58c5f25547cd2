#!/bin/bash
# bench/monitor/run.sh [STEPWISE]
#
# Server-side time per refresh of `stepwise locks --watch --json` and of
# pg_activity's blocking view, under 200 idle connections plus 50 sessions
# waiting in 10 chains of depth 5, on a throwaway PostgreSQL cluster of its
# own (pg_stat_statements preloaded, max_connections 300, Unix socket only).
# See bench/README.md, section "monitor".
#
# Environment: SECONDS_RUN (default 30), INTERVAL (default 0.5; pg_activity
# accepts 0.5, 1, 2, 3, 4, 5), IDLE (200), CHAINS (10), DEPTH (5),
# TARGET_MS (1.5), SKIP_PGACTIVITY=1, EXPLAIN=1 (EXPLAIN (ANALYZE, BUFFERS)
# of stepwise's queries under the load, also done when over the target).
# Exit: 0 PASS, 1 FAIL, 2 setup error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stepwise=${1:-$top/build/stepwise}
run_s=${SECONDS_RUN:-30}
interval=${INTERVAL:-0.5}
idle=${IDLE:-200}
chains=${CHAINS:-10}
depth=${DEPTH:-5}
target=${TARGET_MS:-1.5}
port=5432

# Never reach a server named by the caller's environment.
while IFS= read -r _v; do
    case $_v in PG*) unset "$_v" ;; esac
done < <(compgen -e)
unset STEPWISE_DB DATABASE_URL _v

msg() { printf 'run.sh: %s\n' "$*" >&2; }
die() { msg "$*"; exit 2; }

[ -x "$stepwise" ] || die "no program $stepwise (make -C build)"
bindir=
for _d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    [ -x "$_d/initdb" ] && { bindir=$_d; break; }
done
[ -n "$bindir" ] || die "no PostgreSQL server binaries (apt-get install postgresql)"
command -v psql >/dev/null || die "no psql"
command -v python3 >/dev/null || die "no python3"

server_user=
if [ "$(id -u)" -eq 0 ]; then
    id -u stepwise-test >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /usr/sbin/nologin stepwise-test >/dev/null 2>&1
    server_user=stepwise-test
    id -u "$server_user" >/dev/null 2>&1 || die "cannot create user stepwise-test"
fi
as_server() {
    if [ -n "$server_user" ]; then (cd "$tmp" && exec runuser -u "$server_user" -- "$@")
    else (cd "$tmp" && exec "$@"); fi
}

tmp= load_pid= sw_pid= tmux_sock= cleaned=0
cleanup() {
    [ "$cleaned" -eq 0 ] || return 0
    cleaned=1
    trap '' INT TERM HUP
    [ -n "$sw_pid" ] && kill -INT "$sw_pid" 2>/dev/null
    [ -n "$tmux_sock" ] && tmux -S "$tmux_sock" kill-server >/dev/null 2>&1
    if [ -n "$load_pid" ]; then
        kill -TERM "$load_pid" 2>/dev/null
        wait "$load_pid" 2>/dev/null
    fi
    if [ -n "$tmp" ] && [ -r "$tmp/data/postmaster.pid" ]; then
        as_server "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -s stop >/dev/null 2>&1
    fi
    case $tmp in
        /tmp/swmon.??????) rm -rf -- "$tmp" ;;
    esac
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

# --- 1. The cluster -----------------------------------------------------------
tmp=$(mktemp -d /tmp/swmon.XXXXXX) || die "mktemp failed"
chmod 755 "$tmp"
[ -n "$server_user" ] && chown "$server_user:" "$tmp"
as_server "$bindir/initdb" -D "$tmp/data" --no-sync -A trust -E UTF8 --locale=C \
    -U postgres >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = $port
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 300
shared_buffers = 128MB
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_planning = on
pg_stat_statements.max = 5000
logging_collector = off
CONF
as_server "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 -s start \
    >/dev/null 2>&1 || { cat "$tmp/server.log" >&2; die "server did not start"; }
export PGHOST=$tmp PGPORT=$port PGUSER=postgres PGDATABASE=postgres
version=$(psql -XAtqc 'SHOW server_version') || die "cannot connect"
msg "PostgreSQL $version on $tmp"

q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
{
    echo "CREATE EXTENSION pg_stat_statements;"
    # One role per monitor, so pg_stat_statements attributes the queries.
    echo "CREATE ROLE bench_stepwise LOGIN SUPERUSER;"
    echo "CREATE ROLE bench_pgactivity LOGIN SUPERUSER;"
    i=0
    while [ "$i" -lt "$chains" ]; do
        j=0
        while [ "$j" -le "$depth" ]; do
            echo "CREATE TABLE c${i}_$j (id int);"
            j=$((j + 1))
        done
        i=$((i + 1))
    done
} | q >/dev/null || die "setup SQL failed"

# --- 2. The load --------------------------------------------------------------
python3 "$here/load.py" "$idle" "$chains" "$depth" &
load_pid=$!
want_wait=$((chains * depth))
want_all=$((idle + chains * (depth + 1)))
n=0
while :; do
    counts=$(q -F' ' -c "SELECT count(*) FILTER (WHERE application_name = 'bench-idle' AND state = 'idle'),
        count(*) FILTER (WHERE wait_event_type = 'Lock'),
        count(*) FILTER (WHERE application_name LIKE 'bench-%'),
        count(*) FILTER (WHERE application_name = 'bench-chain' AND state = 'idle in transaction')
        FROM pg_stat_activity")
    set -- $counts
    [ "$1" -ge "$idle" ] && [ "$2" -ge "$want_wait" ] && [ "$3" -ge "$want_all" ] && break
    n=$((n + 1))
    if [ "$n" -ge 300 ]; then
        q -c "SELECT state, wait_event_type, wait_event, left(query, 60), count(*) FROM pg_stat_activity
              WHERE application_name = 'bench-chain' GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC" >&2
        die "load not in place after 30 s: idle=$1 waiting=$2 total=$3"
    fi
    sleep 0.1
done
maxdepth=$(q -c "WITH RECURSIVE w(pid, d) AS (
      SELECT pid, 0 FROM pg_stat_activity WHERE application_name = 'bench-chain'
        AND state = 'idle in transaction'
    UNION ALL
      SELECT a.pid, w.d + 1 FROM pg_stat_activity a JOIN w ON w.pid = ANY (pg_blocking_pids(a.pid))
        WHERE w.d < 20)
    SELECT max(d) FROM w")
msg "load: $1 idle, $2 waiting on locks, $4 root blockers idle in transaction, $3 load connections, deepest chain $maxdepth"

stat_sql() { # role -> "calls total_ms" plus per query lines on fd 3
    q -F'|' -c "SELECT calls, round((total_plan_time + total_exec_time)::numeric, 3),
        round(((total_plan_time + total_exec_time) / calls)::numeric, 3),
        round((max_plan_time + max_exec_time)::numeric, 3),
        regexp_replace(left(query, 70), '\\s+', ' ', 'g')
        FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
        WHERE r.rolname = '$1' ORDER BY 2 DESC"
}

# --- 3. stepwise ------------------------------------------------------------------
q -c "SELECT pg_stat_statements_reset()" >/dev/null
/usr/bin/time -f '%U %S' -o "$tmp/sw.time" \
    "$stepwise" --db "host=$tmp port=$port user=bench_stepwise dbname=postgres" \
    locks --watch="$interval" --json >"$tmp/sw.out" 2>"$tmp/sw.err" &
sw_pid=$!
sleep "$run_s"
# /usr/bin/time forwards nothing: signal its child (stepwise) directly.
kill -INT "$(pgrep -P "$sw_pid" | head -1)" 2>/dev/null
wait "$sw_pid"
sw_pid=
sw_stats=$(stat_sql bench_stepwise)
sw_refresh=$(grep -c '^{' "$tmp/sw.out")
read -r cpu_u cpu_s < "$tmp/sw.time" || { cpu_u=0; cpu_s=0; }
sw_errors=$(grep -c . "$tmp/sw.err")
last_line=$(tail -n 1 "$tmp/sw.out")
printf '%s\n' "$last_line" | python3 -c '
import json,sys
d=json.load(sys.stdin)
s=d.get("summary",d)
print("run.sh: last stepwise refresh summary:", json.dumps(s)[:300], file=sys.stderr)' 2>&1 >&2 | head -3 >&2
[ "$sw_errors" -eq 0 ] || { msg "stepwise stderr:"; head -5 "$tmp/sw.err" >&2; }

# --- 4. pg_activity ------------------------------------------------------------
pga_stats= pga_refresh=0
if [ "${SKIP_PGACTIVITY:-0}" != 1 ]; then
    if ! command -v pg_activity >/dev/null; then
        msg "pg_activity missing: apt-get install pg-activity (or SKIP_PGACTIVITY=1)"
    elif ! command -v tmux >/dev/null; then
        msg "tmux missing: apt-get install tmux"
    else
        tmux_sock=$tmp/tmux.sock
        tmux -S "$tmux_sock" new-session -d -s pga -x 200 -y 60 \
            "TERM=xterm-256color pg_activity -h $tmp -p $port -U bench_pgactivity -d postgres --refresh $interval 2>$tmp/pga.err"
        sleep 3
        tmux -S "$tmux_sock" send-keys -t pga 3
        sleep 2
        tmux -S "$tmux_sock" capture-pane -p -t pga >"$tmp/pga.screen0"
        q -c "SELECT pg_stat_statements_reset()" >/dev/null
        sleep "$run_s"
        tmux -S "$tmux_sock" capture-pane -p -t pga >"$tmp/pga.screen"
        pga_stats=$(stat_sql bench_pgactivity)
        tmux -S "$tmux_sock" send-keys -t pga q
        sleep 1
        tmux -S "$tmux_sock" kill-server >/dev/null 2>&1
        tmux_sock=
        # One refresh = one run of the blocking view's query.
        pga_refresh=$(printf '%s\n' "$pga_stats" | awk -F'|' '/Get blocking queries/ {print $1; f=1} END {if (!f) print 0}' | head -1)
        grep -qi 'blocking' "$tmp/pga.screen" || msg "pg_activity's screen does not show the blocking view:"
        sed -n 1,12p "$tmp/pga.screen" | sed 's/^/  | /' >&2
    fi
fi

# --- 5. Report ----------------------------------------------------------------
total() { printf '%s\n' "$1" | awk -F'|' 'NF > 1 {s += $2} END {printf "%.3f", s}'; }
sw_total=$(total "$sw_stats")
pga_total=$(total "$pga_stats")
per() { awk -v t="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", t / n; else print "-" }'; }
sw_ms=$(per "$sw_total" "$sw_refresh")
pga_ms=$(per "$pga_total" "$pga_refresh")
sw_cpu=$(awk -v u="$cpu_u" -v s="$cpu_s" -v n="$sw_refresh" 'BEGIN { if (n > 0) printf "%.3f", (u + s) * 1000 / n; else print "-" }')

echo
echo "load: $idle idle connections, $((chains * depth)) sessions waiting in $chains chains of depth $depth; PostgreSQL $version; ${run_s} s at ${interval} s per refresh"
echo
echo "per-query (role | calls | total ms | mean ms | max ms | query):"
printf '%s\n' "$sw_stats" | sed 's/^/  stepwise    | /'
[ -n "$pga_stats" ] && printf '%s\n' "$pga_stats" | sed 's/^/  pg_activity | /'
echo
printf '| %-12s | %9s | %15s | %17s | %21s |\n' monitor refreshes "server ms total" "server ms/refresh" "client CPU ms/refresh"
printf '|%s|%s|%s|%s|%s|\n' -------------- ----------: ----------------: ------------------: ----------------------:
printf '| %-12s | %9s | %15s | %17s | %21s |\n' stepwise "$sw_refresh" "$sw_total" "$sw_ms" "$sw_cpu"
[ -n "$pga_stats" ] &&
    printf '| %-12s | %9s | %15s | %17s | %21s |\n' pg_activity "$pga_refresh" "$pga_total" "$pga_ms" "-"
echo
over=$(awk -v m="$sw_ms" -v t="$target" 'BEGIN { print (m == "-" || m + 0 >= t + 0) ? 1 : 0 }')
if [ "${EXPLAIN:-0}" = 1 ] || [ "$over" = 1 ]; then
    echo "EXPLAIN (ANALYZE, BUFFERS) of stepwise's queries under the load: see $here/explain.sh output below"
    PGUSER=bench_stepwise sh "$here/explain.sh" "$top" 2>&1 | sed 's/^/  /'
fi
if [ "$over" = 0 ]; then
    echo "PASS: stepwise $sw_ms ms server time per refresh < $target ms"
    exit 0
fi
echo "FAIL: stepwise $sw_ms ms server time per refresh >= $target ms"
exit 1
