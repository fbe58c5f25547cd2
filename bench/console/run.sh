#!/bin/bash
# bench/console: the console on a 10,000-migration folder (issue 7 §5).
# Time from start to the first full screen, peak RSS, and the CPU an idle
# console uses on the locks view at a 1 s refresh. Run by hand; never part
# of make check. See bench/README.md.
#
#   bench/console/run.sh [path/to/stepwise]
#
# MIGRATIONS (10000), APPLIED (5000), RUNS (5), IDLE_SECONDS (60),
# WORKDIR (/tmp/stepwise-bench-console).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stepwise=${1:-$top/build/stepwise}
stepwise=$(cd "$(dirname "$stepwise")" && pwd)/$(basename "$stepwise")
migrations=${MIGRATIONS:-10000}
applied=${APPLIED:-5000}
runs=${RUNS:-5}
idle_seconds=${IDLE_SECONDS:-60}
workdir=${WORKDIR:-/tmp/stepwise-bench-console}

msg() { printf 'run.sh: %s\n' "$*" >&2; }
[ -x "$stepwise" ] || { msg "no program at $stepwise (build first, or name it)"; exit 2; }
command -v tmux >/dev/null || { msg "tmux is needed"; exit 2; }

now_ns() { date +%s%N; }
# A tmux server per console started: a server being killed can still
# take the next new-session and die with it.
sock="$workdir/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
new_server() { tm kill-server 2>/dev/null; sock="$workdir/tmux-$1.sock"; }

# The idle part runs inside with-pg (a throwaway server); it re-enters
# this script with BENCH_CONSOLE_IDLE=1.
if [ "${BENCH_CONSOLE_IDLE:-}" = 1 ]; then
    new_server idle
    tm -f /dev/null new-session -d -s idle -x 80 -y 24 \
        "exec env TERM=xterm-256color LANG=C.UTF-8 XDG_STATE_HOME='$workdir/state' '$stepwise' --db '$STEPWISE_TEST_PG' --dir '$workdir/m'"
    pid=$(tm display-message -p -t idle '#{pane_pid}')
    for _ in $(seq 100); do tm capture-pane -p -t idle | grep -q 'lock: not held' && break; sleep 0.1; done
    tm send-keys -t idle 2 +   # the locks view, refresh from 2 s to 1 s
    sleep 3                    # past the monitor's opening
    ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
    # Transactions committed by the whole server: at least one per refresh,
    # so that an idle figure from a monitor that stopped shows up.
    xacts() { psql -XAtqc "select sum(xact_commit) from pg_stat_database"; }
    x0=$(xacts); t0=$(ticks); w0=$(now_ns)
    sleep "$idle_seconds"
    t1=$(ticks); w1=$(now_ns); x1=$(xacts)
    echo "server transactions meanwhile: $((x1 - x0 - 1)) (the monitor's refreshes, plus psql's own)"
    hz=$(getconf CLK_TCK)
    tm capture-pane -p -t idle | sed -n '1p;$p' >&2
    awk -v t="$((t1 - t0))" -v hz="$hz" -v w="$((w1 - w0))" 'BEGIN {
        cpu = t / hz; wall = w / 1e9
        printf "idle CPU: %.2f s of CPU in %.1f s on the locks view (1 s refresh): %.2f%% of one core (target < 2%%)\n",
            cpu, wall, 100 * cpu / wall }'
    tm send-keys -t idle q
    sleep 0.5
    tm kill-server 2>/dev/null
    exit 0
fi

rm -rf "$workdir"
mkdir -p "$workdir/m" "$workdir/state"
export XDG_STATE_HOME="$workdir/state"
width=${#migrations}
[ "$width" -lt 4 ] && width=4
msg "generating $migrations migrations in $workdir/m"
for ((i = 1; i <= migrations; i++)); do
    printf -v v '%0*d' "$width" "$i"
    # As bench/apply's status folder: one table, then one row each (a
    # schema of 10,000 tables would make `up` itself slow to set up).
    if [ "$i" -eq 1 ]; then
        up='CREATE TABLE bench_t (n integer);' down='DROP TABLE bench_t;'
    else
        up="INSERT INTO bench_t VALUES ($i);" down="DELETE FROM bench_t WHERE n = $i;"
    fi
    printf '%s\n' "$up" >"$workdir/m/${v}_m$v.up.sql"
    printf '%s\n' "$down" >"$workdir/m/${v}_m$v.down.sql"
done
db="sqlite:$workdir/bench.db"
msg "applying $applied of them"
"$stepwise" --db "$db" --dir "$workdir/m" up -n "$applied" --yes >"$workdir/up.log" 2>&1 ||
    { msg "stepwise up failed: $(tail -n 3 "$workdir/up.log")"; exit 1; }
printf -v last '%0*d' "$width" "$applied"

# First full screen: the console runs in a fresh 80x24 tmux window and the
# screen is read every few milliseconds (tmux capture-pane) until it shows
# the connected top bar and the list's rows. Start: just before tmux
# launches it (the shell it runs in is exec'd away). The figure includes
# tmux's own delay of drawing, a few ms: it is what a person would see.
first_screen() {
    new_server "first$2"
    local start end screen
    start=$(now_ns)
    tm -f /dev/null new-session -d -s first -x 80 -y 24 \
        "exec env TERM=xterm-256color LANG=C.UTF-8 '$stepwise' --db '$db' --dir '$workdir/m'"
    while :; do
        screen=$(tm capture-pane -p -t first 2>/dev/null)
        case "$screen" in *"lock: not held"*"$1"*) break ;; esac
        [ $(( $(now_ns) - start )) -lt 10000000000 ] || { msg "no full screen in 10 s"; printf '%s\n' "$screen" >&2; tm kill-server 2>/dev/null; exit 1; }
    done
    end=$(now_ns)
    # This runs in a subshell ($(...)): its server is not the one the
    # next new_server stops, so it is stopped here, console and all.
    tm kill-server 2>/dev/null
    echo $(( (end - start) / 1000 ))
}

# What the first full screen holds: the migration on the list's last
# visible row (found once, with time to spare).
new_server probe
tm -f /dev/null new-session -d -s probe -x 80 -y 24 \
    "exec env TERM=xterm-256color LANG=C.UTF-8 '$stepwise' --db '$db' --dir '$workdir/m'"
sleep 3
probe=$(tm capture-pane -p -t probe)
printf '%s\n' "$probe" >"$workdir/first-screen.txt"
marker=$(printf '%s\n' "$probe" | grep -oE "\\bm[0-9]{$width}\\b" | tail -n 1)
[ -n "$marker" ] || marker=$(printf '%s\n' "$probe" | grep -oE "\\b[0-9]{$width}\\b" | tail -n 1)
[ -n "$marker" ] || { msg "the console shows no migration:"; printf '%s\n' "$probe" >&2; exit 1; }
msg "first full screen = top bar connected and \"$marker\" shown (see $workdir/first-screen.txt)"

# Peak RSS: VmHWM of the same console after moving to the last migration
# and through every view (the history view holds up to 1000 events).
pid=$(tm display-message -p -t probe '#{pane_pid}')
tm send-keys -t probe G
sleep 0.5
for k in 4 G 2 3 1 g; do tm send-keys -t probe "$k"; sleep 0.5; done
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
tm send-keys -t probe q
sleep 0.5

times=()
for ((r = 1; r <= runs; r++)); do
    t=$(first_screen "$marker" "$r") || exit 1
    times+=("$t")
done
tm kill-server 2>/dev/null
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
printf 'first full screen: %s us (runs: %s), median %.1f ms (target < 200 ms)\n' \
    "$median" "${times[*]}" "$(awk -v m="$median" 'BEGIN { print m / 1000 }')"
printf 'peak RSS: %s kB = %.1f MiB (target < 20 MB)\n' "$hwm" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')"

# Idle CPU on the throwaway PostgreSQL (the same folder; nothing applied).
BENCH_CONSOLE_IDLE=1 WORKDIR="$workdir" IDLE_SECONDS="$idle_seconds" \
    "$top/tests/harness/with-pg" "$0" "$stepwise"
