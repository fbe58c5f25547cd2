#!/bin/bash
# bench/apply/run.sh [STEPWISE]
#
# Wall time of `stepwise up --yes` applying 1000 migrations on PostgreSQL,
# against dbmate (npm package `dbmate`, installed here when missing) and
# against the floor for one commit per migration: psql sending each
# migration's whole transaction (BEGIN; SET LOCAL lock_timeout; the
# statement; the history INSERT; COMMIT) as one query string. Then the same
# with 1000 CREATE TABLE migrations, and `stepwise status` on a folder of
# 10,000 migrations, all recorded, on PostgreSQL and on SQLite (as pairs of
# up and down scripts, then as up scripts only). Everything runs on a
# throwaway PostgreSQL cluster of its own (Unix socket only, fsync off for
# every tool alike). stepwise's local audit file goes into the throwaway
# folder on disk; for reference the light migrations are also timed with
# it on tmpfs (/dev/shm). See bench/README.md, section "apply".
#
# Environment: RUNS (5, per tool and workload), MIGRATIONS (1000),
# STATUS_MIGRATIONS (10000), STATUS_RUNS (5), WORKDIR (where dbmate is
# installed; default ~/.cache/stepwise-bench-apply), DBMATE (a dbmate
# binary to use instead), SKIP_CREATE=1, SKIP_STATUS=1, SKIP_SHM=1 (no
# tmpfs-audit reference runs), FSYNC=on (fsync, full_page_writes and
# synchronous_commit on).
# Exit: 0 every target met, 1 a target missed, 2 setup error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stepwise=${1:-$top/build/stepwise}
case $stepwise in /*) ;; *) stepwise=$PWD/$stepwise ;; esac
runs=${RUNS:-5}
nmig=${MIGRATIONS:-1000}
nstatus=${STATUS_MIGRATIONS:-10000}
status_runs=${STATUS_RUNS:-5}
workdir=${WORKDIR:-${HOME:-/tmp}/.cache/stepwise-bench-apply}
fsync=${FSYNC:-off}
port=5432
target_dbmate=0.5
target_floor=1.5
target_status_ms=100

# Never reach a server named by the caller's environment.
while IFS= read -r _v; do
    case $_v in PG*) unset "$_v" ;; esac
done < <(compgen -e)
unset STEPWISE_DB DATABASE_URL DBMATE_MIGRATIONS_DIR DBMATE_MIGRATIONS_TABLE \
    DBMATE_NO_DUMP_SCHEMA DBMATE_SCHEMA_FILE DBMATE_STRICT _v
# The audit file of the runs goes into the throwaway folder (set below).

msg() { printf 'run.sh: %s\n' "$*" >&2; }
die() { msg "$*"; exit 2; }

[ -x "$stepwise" ] || die "no program $stepwise (make -C build)"
bindir=
for _d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    [ -x "$_d/initdb" ] && { bindir=$_d; break; }
done
[ -n "$bindir" ] || die "no PostgreSQL server binaries (apt-get install postgresql)"
command -v psql >/dev/null || die "no psql"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (EPOCHREALTIME)"

# --- dbmate -------------------------------------------------------------------
dbmate=${DBMATE:-}
if [ -z "$dbmate" ]; then
    find_dbmate() {
        find "$workdir/node_modules" -path '*/bin/dbmate' -type f -perm -u+x 2>/dev/null |
            grep -v '/node_modules/.bin/' | head -1
    }
    dbmate=$(find_dbmate)
    if [ -z "$dbmate" ]; then
        command -v npm >/dev/null || die "no npm (apt-get install npm), or give DBMATE=path"
        mkdir -p "$workdir" || die "cannot create $workdir"
        msg "installing dbmate from npm into $workdir"
        npm install --prefix "$workdir" --no-audit --no-fund dbmate >"$workdir/npm.log" 2>&1 ||
            { tail -5 "$workdir/npm.log" >&2; die "npm install dbmate failed"; }
        dbmate=$(find_dbmate)
    fi
fi
[ -n "$dbmate" ] && [ -x "$dbmate" ] || die "no dbmate binary found under $workdir/node_modules"
# The npm package's bin/dbmate is a node wrapper in some versions: the real
# binary is the platform package's (found above). Make sure it is ELF.
head -c 4 "$dbmate" | grep -q 'ELF' || die "$dbmate is not a native binary"
dbmate_version=$("$dbmate" --version 2>/dev/null | awk '{print $NF}')

# --- the cluster --------------------------------------------------------------
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

tmp= cleaned=0 shm=
cleanup() {
    [ "$cleaned" -eq 0 ] || return 0
    cleaned=1
    trap '' INT TERM HUP
    if [ -n "$tmp" ] && [ -r "$tmp/data/postmaster.pid" ]; then
        as_server "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -s stop >/dev/null 2>&1
    fi
    case $tmp in
        /tmp/swapply.??????) rm -rf -- "$tmp" ;;
    esac
    case $shm in
        /dev/shm/swapply.??????) rm -rf -- "$shm" ;;
    esac
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

tmp=$(mktemp -d /tmp/swapply.XXXXXX) || die "mktemp failed"
chmod 755 "$tmp"
[ -n "$server_user" ] && chown "$server_user:" "$tmp"
export XDG_STATE_HOME=$tmp/state # stepwise's local audit file: on disk, like ~/.local/state
if [ "${SKIP_SHM:-0}" != 1 ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/swapply.XXXXXX) || shm=
fi
as_server "$bindir/initdb" -D "$tmp/data" --no-sync -A trust -E UTF8 --locale=C \
    -U postgres >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = $port
fsync = $fsync
full_page_writes = $fsync
synchronous_commit = $fsync
shared_buffers = 128MB
max_wal_size = 4GB
logging_collector = off
log_line_prefix = '%d|%a|'
CONF
as_server "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 -s start \
    >/dev/null 2>&1 || { cat "$tmp/server.log" >&2; die "server did not start"; }
export PGHOST=$tmp PGPORT=$port PGUSER=postgres PGDATABASE=postgres
version=$(psql -XAtqc 'SHOW server_version') || die "cannot connect"
msg "PostgreSQL $version on $tmp (fsync $fsync); dbmate $dbmate_version ($dbmate)"

q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
sw_url() { printf 'host=%s port=%s user=postgres dbname=%s' "$tmp" "$port" "$1"; }
dbmate_url() { printf 'postgres://postgres@/%s?host=%s&port=%s&sslmode=disable' "$1" "$tmp" "$port"; }

# --- the folders --------------------------------------------------------------
# gen KIND N DIR: stepwise pairs in DIR/stepwise, dbmate files in DIR/dbmate,
# the floor's psql script in DIR/floor.sql.
gen() {
    local kind=$1 n=$2 dir=$3 width=${#2} i v up down
    [ "$width" -lt 4 ] && width=4
    mkdir -p "$dir/stepwise" "$dir/dbmate"
    for ((i = 1; i <= n; i++)); do
        printf -v v '%0*d' "$width" "$i"
        case $kind in
            insert)
                up="INSERT INTO bench_t VALUES ($i);"
                down="DELETE FROM bench_t WHERE n = $i;" ;;
            create)
                up="CREATE TABLE bench_c$v (id bigint PRIMARY KEY, note text);"
                down="DROP TABLE bench_c$v;" ;;
            status)
                if [ "$i" -eq 1 ]; then
                    up="CREATE TABLE bench_t (n integer);"
                    down="DROP TABLE bench_t;"
                else
                    up="INSERT INTO bench_t VALUES ($i);"
                    down="DELETE FROM bench_t WHERE n = $i;"
                fi ;;
        esac
        printf '%s\n' "$up" >"$dir/stepwise/${v}_m$v.up.sql"
        printf '%s\n' "$down" >"$dir/stepwise/${v}_m$v.down.sql"
        [ "$kind" = status ] && continue
        printf -- '-- migrate:up\n%s\n\n-- migrate:down\n%s\n' "$up" "$down" \
            >"$dir/dbmate/${v}_m$v.sql"
        # The floor: the statement and a history row shaped like stepwise's,
        # one line, `\;` between statements: psql sends it as one query.
        printf "BEGIN\\\\; SET LOCAL lock_timeout = '3s'\\\\; %s\\\\; INSERT INTO floor_history (version, name, checksum, applied_at, applied_by, duration_ms, dirty, steps_done) VALUES ('%s', 'm%s', '%064d', now(), 'bench', (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer, false, 1)\\\\; COMMIT;\n" \
            "${up%;}" "$v" "$v" "$i" >>"$dir/floor.sql"
    done
}

floor_table="CREATE TABLE floor_history (version text PRIMARY KEY, name text NOT NULL DEFAULT '',
    checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text,
    duration_ms integer, dirty boolean NOT NULL DEFAULT false,
    steps_done integer NOT NULL DEFAULT 0)"

# prepare TOOL KIND DB: a fresh database with what the migrations expect.
prepare() {
    local tool=$1 kind=$2 db=$3
    q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null || die "createdb $db"
    local sql="SELECT 1"
    [ "$kind" = insert ] && sql="CREATE TABLE bench_t (n integer)"
    q -d "$db" -c "$sql" >/dev/null || die "setup of $db"
    if [ "$tool" = floor ]; then q -d "$db" -c "$floor_table" >/dev/null || die "setup of $db"; fi
}

# run_tool TOOL DIR DB: the timed command; prints wall seconds.
run_tool() {
    local tool=$1 dir=$2 db=$3 t0 t1 rc
    case $tool in
        stepwise)
            t0=$EPOCHREALTIME
            "$stepwise" up --yes --dir "$dir/stepwise" --db "$(sw_url "$db")" \
                >"$tmp/out.log" 2>&1
            rc=$?
            t1=$EPOCHREALTIME ;;
        stepwise-shm) # the same, its local audit file on tmpfs (fsync free)
            t0=$EPOCHREALTIME
            XDG_STATE_HOME=$shm "$stepwise" up --yes --dir "$dir/stepwise" \
                --db "$(sw_url "$db")" >"$tmp/out.log" 2>&1
            rc=$?
            t1=$EPOCHREALTIME ;;
        dbmate)
            t0=$EPOCHREALTIME
            "$dbmate" --url "$(dbmate_url "$db")" --migrations-dir "$dir/dbmate" \
                --no-dump-schema up >"$tmp/out.log" 2>&1
            rc=$?
            t1=$EPOCHREALTIME ;;
        floor)
            t0=$EPOCHREALTIME
            psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$dir/floor.sql" >"$tmp/out.log" 2>&1
            rc=$?
            t1=$EPOCHREALTIME ;;
    esac
    [ "$rc" -eq 130 ] && exit 130 # interrupted: the EXIT trap cleans up
    if [ "$rc" -ne 0 ]; then
        tail -5 "$tmp/out.log" >&2
        die "$tool exited with $rc on $db"
    fi
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# check TOOL KIND DB N: every migration applied and recorded.
check() {
    local tool=$1 kind=$2 db=$3 n=$4 got hist
    case $kind in
        insert) got=$(q -d "$db" -c "SELECT count(*) FROM bench_t") ;;
        create) got=$(q -d "$db" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'bench_c%'") ;;
    esac
    case $tool in
        stepwise*) hist=$(q -d "$db" -c "SELECT count(*) FROM stepwise_history WHERE NOT dirty") ;;
        dbmate) hist=$(q -d "$db" -c "SELECT count(*) FROM schema_migrations") ;;
        floor) hist=$(q -d "$db" -c "SELECT count(*) FROM floor_history") ;;
    esac
    [ "$got" = "$n" ] && [ "$hist" = "$n" ] ||
        die "$tool on $db: $got of $n migrations applied, $hist recorded"
}

median() { # seconds, one a line
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
        else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- one query per migration: checked once with log_statement -----------------
# Each simple-query message is one "statement:" line of the server log, each
# extended-protocol execution one "execute" line; the log_line_prefix names
# the database.
count_messages() {
    local n=20 dir=$tmp/verify
    gen insert "$n" "$dir"
    local tool
    for tool in floor stepwise dbmate; do
        prepare "$tool" insert "verify_$tool"
    done
    q -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.3
    for tool in floor stepwise dbmate; do
        run_tool "$tool" "$dir" "verify_$tool" >/dev/null || exit $?
    done
    q -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.3
    for tool in floor stepwise dbmate; do
        check "$tool" insert "verify_$tool" "$n"
    done
    echo "messages to the server for $n light migrations (log_statement = all):"
    for tool in floor stepwise dbmate; do
        local all mig
        all=$(grep -c "^verify_$tool|.*LOG:  \(statement\|execute\)" "$tmp/server.log")
        # A statement spans several lines when its text does: join them.
        mig=$(awk -v db="verify_$tool" '
            /^[a-z_0-9]*\|[^|]*\|[A-Z]+:  / { flush(); e = $0; next }
            { e = e " " $0 }
            function flush() {
                if (index(e, db "|") == 1 && e ~ /LOG:  (statement|execute [^:]*):/ &&
                    e ~ /INSERT INTO bench_t/) n++
                e = ""
            }
            END { flush(); print n + 0 }' "$tmp/server.log")
        printf '  %-8s %4d messages, %d of them carrying a migration\n' "$tool" "$all" "$mig"
        if [ "$tool" = floor ]; then
            local one
            one=$(grep -c "^verify_floor|.*LOG:  statement: BEGIN; SET LOCAL lock_timeout = '3s'; INSERT INTO bench_t VALUES ([0-9]*); INSERT INTO floor_history .*; COMMIT;$" \
                "$tmp/server.log")
            [ "$all" -eq "$n" ] && [ "$one" -eq "$n" ] ||
                { grep "^verify_floor" "$tmp/server.log" | head -8 >&2
                  die "the floor is not one query per migration: $all messages, $one whole transactions"; }
        fi
    done
    for tool in floor stepwise dbmate; do
        q -c "DROP DATABASE verify_$tool" >/dev/null
    done
    rm -rf "$dir"
}

# --- apply benchmarks ---------------------------------------------------------
status_all=0 report=
bench_apply() {
    local kind=$1 dir=$tmp/$1 r k tool db secs
    gen "$kind" "$nmig" "$dir"
    local tools=(stepwise dbmate floor)
    [ -n "$shm" ] && tools+=(stepwise-shm)
    local nt=${#tools[@]}
    declare -A times=([stepwise]= [dbmate]= [floor]= [stepwise-shm]=)
    echo
    echo "$nmig $kind migrations, $runs runs per tool (seconds, wall):"
    for ((r = 1; r <= runs; r++)); do
        local line="  run $r:"
        for ((k = 0; k < nt; k++)); do
            # Alternate: each run starts with the next tool.
            tool=${tools[$(((r - 1 + k) % nt))]}
            db=b_${kind}_${tool//-/_}_$r
            prepare "$tool" "$kind" "$db"
            secs=$(run_tool "$tool" "$dir" "$db") || exit $?
            check "$tool" "$kind" "$db" "$nmig"
            q -c "DROP DATABASE $db" >/dev/null
            times[$tool]+="$secs "
            line+=" $tool $secs"
        done
        echo "$line"
    done
    local m_sw m_db m_fl
    m_sw=$(printf '%s\n' ${times[stepwise]} | median)
    m_db=$(printf '%s\n' ${times[dbmate]} | median)
    m_fl=$(printf '%s\n' ${times[floor]} | median)
    local r_db r_fl v_db v_fl
    r_db=$(awk -v a="$m_sw" -v b="$m_db" 'BEGIN { printf "%.2f", a / b }')
    r_fl=$(awk -v a="$m_sw" -v b="$m_fl" 'BEGIN { printf "%.2f", a / b }')
    v_db=$(awk -v r="$r_db" -v t="$target_dbmate" 'BEGIN { print (r <= t) ? "PASS" : "FAIL" }')
    v_fl=$(awk -v r="$r_fl" -v t="$target_floor" 'BEGIN { print (r <= t) ? "PASS" : "FAIL" }')
    echo "  medians: stepwise $m_sw s, dbmate $m_db s, floor $m_fl s"
    echo "  all runs: stepwise ${times[stepwise]}| dbmate ${times[dbmate]}| floor ${times[floor]}"
    if [ -n "$shm" ]; then
        echo "  for reference, stepwise with its audit file on tmpfs ($shm): ${times[stepwise-shm]}-> median $(printf '%s\n' ${times[stepwise-shm]} | median) s"
    fi
    local note=
    if [ "$kind" = insert ]; then
        [ "$v_db" = PASS ] && [ "$v_fl" = PASS ] || status_all=1
    else
        note=" (reported; the targets are for the light migrations)"
    fi
    report+="$(printf '%-7s stepwise/dbmate %s (target <= %s): %s; stepwise/floor %s (target <= %s): %s%s' \
        "$kind" "$r_db" "$target_dbmate" "$v_db" "$r_fl" "$target_floor" "$v_fl" "$note")"$'\n'
    rm -rf "$dir"
}

# --- status benchmark ---------------------------------------------------------
# The folder first as pairs (an up and a down script per version: twice as
# many files), then with the down scripts removed (one file per version).
status_time() { # URL DIR LABEL
    local url=$1 dir=$2 label=$3 t0 t1 r ms times= out m v
    "$stepwise" status --dir "$dir" --db "$url" >"$tmp/status.out" 2>&1 ||
        { tail -5 "$tmp/status.out" >&2; die "stepwise status ($label) failed"; }
    out=$(tail -1 "$tmp/status.out")
    case $out in
        "$nstatus applied, 0 pending, 0 dirty, 0 drifted, 0 missing"*) ;;
        *) die "status ($label) says: $out" ;;
    esac
    for ((r = 1; r <= status_runs; r++)); do
        t0=$EPOCHREALTIME
        "$stepwise" status --dir "$dir" --db "$url" >/dev/null 2>&1
        t1=$EPOCHREALTIME
        ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
        times+="$ms "
    done
    m=$(printf '%s\n' $times | sort -n | awk '{ v[NR] = $1 } END { print v[(NR + 1) / 2] }')
    v=$(awk -v m="$m" -v t="$target_status_ms" 'BEGIN { print (m < t) ? "PASS" : "FAIL" }')
    [ "$v" = PASS ] || status_all=1
    echo "  $label: $times-> median $m ms"
    report+="$(printf 'status  %s: median %s ms (target < %s ms): %s' "$label" "$m" \
        "$target_status_ms" "$v")"$'\n'
}

bench_status() {
    local dir=$tmp/status pg sq
    gen status "$nstatus" "$dir"
    echo
    echo "stepwise status, $nstatus migrations all recorded, $status_runs runs (ms, wall):"
    q -c "CREATE DATABASE bench_status" >/dev/null || die "createdb bench_status"
    pg=$(sw_url bench_status)
    sq=sqlite:$tmp/status.db
    local url
    for url in "$pg" "$sq"; do
        "$stepwise" up --yes --dir "$dir/stepwise" --db "$url" >"$tmp/out.log" 2>&1 ||
            { tail -5 "$tmp/out.log" >&2; die "stepwise up of the status folder ($url) failed"; }
    done
    status_time "$pg" "$dir/stepwise" "postgresql, pairs ($((2 * nstatus)) files)"
    status_time "$sq" "$dir/stepwise" "sqlite,     pairs ($((2 * nstatus)) files)"
    rm -f "$dir"/stepwise/*.down.sql
    status_time "$pg" "$dir/stepwise" "postgresql, up only ($nstatus files)"
    status_time "$sq" "$dir/stepwise" "sqlite,     up only ($nstatus files)"
    q -c "DROP DATABASE bench_status" >/dev/null
    rm -rf "$dir" "$tmp/status.db"
}

count_messages
bench_apply insert
[ "${SKIP_CREATE:-0}" = 1 ] || bench_apply create
[ "${SKIP_STATUS:-0}" = 1 ] || bench_status
echo
echo "PostgreSQL $version, fsync $fsync; dbmate $dbmate_version; $("$stepwise" --version 2>/dev/null | head -1)"
printf '%s' "$report"
exit "$status_all"
