#!/bin/bash
# bench/schema/run.sh [STEPWISE]
#
# Wall time and peak memory of `stepwise schema` against `pg_dump
# --schema-only` on one database of 5,000 tables, each of 10 columns and 2
# indexes (its primary key's and one more), on a throwaway PostgreSQL
# cluster started by tests/harness/with-pg (Unix socket only, fsync off;
# shared_buffers raised to 128MB here so that the catalog stays in memory
# for both tools). The tools run alternately, one warm-up run each first;
# each figure is the median of RUNS runs. See bench/README.md, section
# "schema".
#
# Environment: TABLES (5000), RUNS (5), TARGET (0.5: stepwise's median
# wall time at most this fraction of pg_dump's).
# Exit: 0 the target met, 1 missed, 2 setup error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stepwise=${1:-$top/build/stepwise}
case $stepwise in /*) ;; *) stepwise=$PWD/$stepwise ;; esac

msg() { printf 'run.sh: %s\n' "$*" >&2; }
die() { msg "$*"; exit 2; }

[ -x "$stepwise" ] || die "no program $stepwise (make -C build)"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (EPOCHREALTIME)"
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top/tests/harness/with-pg" bash "$0" "$stepwise"
fi
command -v psql >/dev/null || die "no psql"
pg_dump=$STEPWISE_TEST_PGBIN/pg_dump
[ -x "$pg_dump" ] || pg_dump=$(command -v pg_dump) || die "no pg_dump"
tables=${TABLES:-5000}
runs=${RUNS:-5}
target=${TARGET:-0.5}
gnu_time=
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && gnu_time=/usr/bin/time
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- a roomier cache than the test harness's 16MB ---------------------------------
psql -XAtq -c "ALTER SYSTEM SET shared_buffers = '128MB'" || die "ALTER SYSTEM failed"
as_server() {
    if [ "$(id -u)" -eq 0 ] && [ "$STEPWISE_TEST_PGOSUSER" != root ]; then
        (cd "$work" && runuser -u "$STEPWISE_TEST_PGOSUSER" -- "$@")
    else
        "$@"
    fi
}
chmod 755 "$work"
as_server "$STEPWISE_TEST_PGBIN/pg_ctl" -D "$STEPWISE_TEST_PGDATA" -l "$STEPWISE_TEST_PGLOG" \
    -w -s restart >/dev/null || die "the server did not restart"

# --- the database -------------------------------------------------------------------
msg "creating $tables tables of 10 columns and 2 indexes"
psql -XAtq -c "CREATE DATABASE bench" || die "CREATE DATABASE failed"
for ((i = 1; i <= tables; i++)); do
    printf 'CREATE TABLE public.t%05d (id bigint PRIMARY KEY, a integer NOT NULL, b text DEFAULT '"''"',
  c timestamptz DEFAULT now(), d numeric(10,2), e boolean, f jsonb, g varchar(40), h date,
  i uuid);\nCREATE INDEX t%05d_a_g ON public.t%05d (a, g);\n' "$i" "$i" "$i"
done >"$work/create.sql"
psql -XAtq -v ON_ERROR_STOP=1 -d bench -f "$work/create.sql" || die "creating the tables failed"
psql -XAtq -d bench -c "VACUUM ANALYZE" >/dev/null
conn="$STEPWISE_TEST_PG"
conn=${conn/dbname=postgres/dbname=bench}

# measure NAME OUT CMD...: one run; appends "seconds rss_kib" to $work/NAME.
measure() {
    local name=$1 out=$2 start end rss=0
    shift 2
    start=$EPOCHREALTIME
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -f %M -o "$work/rss" "$@" >"$out" || die "$name failed"
        rss=$(tail -1 "$work/rss")
    else
        "$@" >"$out" || die "$name failed"
    fi
    end=$EPOCHREALTIME
    printf '%s %s\n' "$(echo "$end - $start" | bc -l)" "$rss" >>"$work/$name"
}
run_stepwise() { measure stepwise "$work/stepwise.out" "$stepwise" schema --db "$conn"; }
run_pg_dump() { measure pg_dump "$work/pg_dump.out" "$pg_dump" --schema-only -d bench; }

run_stepwise
run_pg_dump
: >"$work/stepwise"
: >"$work/pg_dump"
for ((r = 1; r <= runs; r++)); do
    run_stepwise
    run_pg_dump
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sw_s=$(cut -d' ' -f1 "$work/stepwise" | median)
pd_s=$(cut -d' ' -f1 "$work/pg_dump" | median)
sw_kb=$(cut -d' ' -f2 "$work/stepwise" | median)
pd_kb=$(cut -d' ' -f2 "$work/pg_dump" | median)
ratio=$(echo "$sw_s / $pd_s" | bc -l)

printf '\n%s tables, 10 columns and 2 indexes each; PostgreSQL %s; median of %s runs\n\n' \
    "$tables" "$(psql -XAtq -c 'show server_version')" "$runs"
printf '%-28s %10s %14s %12s\n' tool "wall s" "peak RSS MiB" "output KiB"
printf '%-28s %10.3f %14.1f %12d\n' "stepwise schema" "$sw_s" "$(echo "$sw_kb / 1024" | bc -l)" \
    $(($(wc -c <"$work/stepwise.out") / 1024))
printf '%-28s %10.3f %14.1f %12d\n' "pg_dump --schema-only" "$pd_s" \
    "$(echo "$pd_kb / 1024" | bc -l)" $(($(wc -c <"$work/pg_dump.out") / 1024))
[ -n "$gnu_time" ] || printf '(no GNU time: peak RSS not measured)\n'
printf '\nratio stepwise / pg_dump: %.3f (target <= %s): ' "$ratio" "$target"
if [ "$(echo "$ratio <= $target" | bc -l)" = 1 ]; then
    echo PASS
    exit 0
fi
echo FAIL
exit 1
