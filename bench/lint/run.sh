#!/bin/sh
# The lint benchmark: how fast `stepwise lint` goes through a large
# script, against libpg_query's bare parse of the same file.
#
#     bench/lint/run.sh [STEPWISE]
#
# STEPWISE: the program to measure (default: build/stepwise of this source
# tree). Environment:
#     STATEMENTS  statements in the generated script (default 100000)
#     RUNS        runs of each measurement; the best counts (default 3)
#     BARE_RUNS   runs of the bare parse alone (default: RUNS)
#     WORKDIR     where the script and bare_parse go
#                 (default ${TMPDIR:-/tmp}/stepwise-bench-lint)
#     CC, PG_QUERY_CFLAGS, PG_QUERY_LIBS   to build bare_parse
#                 (default gcc, none, -lpg_query)
#     GNU_TIME    GNU time, for the peak RSS (default /usr/bin/time; when
#                 it is missing, a python3 getrusage() wrapper measures)
#
# Target: the whole lint at least half the speed (MB/s) of the bare parse,
# pg_query_parse(). The table ends with PASS or FAIL; the exit status is 0
# for PASS, 1 for FAIL, 2 when the benchmark could not run. Nothing here
# is part of `make check`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stepwise=${1:-$top/build/stepwise}
statements=${STATEMENTS:-100000}
runs=${RUNS:-3}
bare_runs=${BARE_RUNS:-$runs}
work=${WORKDIR:-${TMPDIR:-/tmp}/stepwise-bench-lint}
cc=${CC:-gcc}
gnu_time=${GNU_TIME:-/usr/bin/time}

die() {
    echo "run.sh: $*" >&2
    exit 2
}

[ -x "$stepwise" ] || die "$stepwise: not an executable (build stepwise first, or give its path)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to generate the script"
mkdir -p "$work"
script=$work/lint-$statements.sql

# shellcheck disable=SC2086 # the flags split into words
"$cc" -O2 -g ${PG_QUERY_CFLAGS:-} -o "$work/bare_parse" "$here/bare_parse.c" \
    ${PG_QUERY_LIBS:--lpg_query} || die "cannot build bare_parse (is libpg_query installed?)"
python3 "$here/gen.py" --statements "$statements" "$script"
bytes=$(wc -c <"$script" | tr -d ' ')

echo "bare parse: $bare_runs runs of pg_query_parse and pg_query_parse_protobuf ..." >&2
bare=$("$work/bare_parse" "$script" "$bare_runs") || die "bare_parse failed"
json_s=$(echo "$bare" | awk '$1 == "json" { print $2 }')
pb_s=$(echo "$bare" | awk '$1 == "protobuf" { print $2 }')
unpacked_s=$(echo "$bare" | awk '$1 == "unpacked" { print $2 }')
bare_rss=$(echo "$bare" | awk '$1 == "rss" { print $2 }')

# Wall clock and peak RSS of one lint run: "seconds kilobytes status".
# GNU time when it is there, else a getrusage(RUSAGE_CHILDREN) wrapper.
lint_once() {
    if [ -x "$gnu_time" ] && "$gnu_time" -f %M true >/dev/null 2>&1; then
        start=$(date +%s.%N)
        status=0
        "$gnu_time" -f %M -o "$work/time.out" \
            "$stepwise" lint --json "$script" >/dev/null 2>"$work/lint.err" || status=$?
        end=$(date +%s.%N)
        # GNU time reports a non-zero status on a line of its own first
        rss=$(tail -n 1 "$work/time.out")
        echo "$start $end $rss $status" | awk '{ printf "%.6f %s %s\n", $2 - $1, $3, $4 }'
    else
        python3 - "$stepwise" "$script" "$work/lint.err" <<'EOF'
import resource, subprocess, sys, time
with open(sys.argv[3], "wb") as err:
    t0 = time.monotonic()
    p = subprocess.run([sys.argv[1], "lint", "--json", sys.argv[2]],
                       stdout=subprocess.DEVNULL, stderr=err)
    t1 = time.monotonic()
print("%.6f %d %d" % (t1 - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                      p.returncode))
EOF
    fi
}

best=""
lint_rss=0
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    echo "stepwise lint: run $i of $runs ..." >&2
    # shellcheck disable=SC2046 # three words: seconds, kB, exit status
    set -- $(lint_once)
    case $3 in
    0 | 1) ;; # clean, or findings: both are a complete lint
    2) die "stepwise lint exit status 2: the script did not parse or read ($(head -c 300 "$work/lint.err"))" ;;
    *) die "stepwise lint exit status $3: $(head -c 300 "$work/lint.err")" ;;
    esac
    echo "    $1 s, peak RSS $2 kB" >&2
    best=$(echo "$1 ${best:-$1}" | awk '{ print ($1 < $2 ? $1 : $2) }')
    [ "$2" -gt "$lint_rss" ] && lint_rss=$2
done

echo "$bytes $statements $runs $bare_runs $json_s $pb_s $best $lint_rss $bare_rss $unpacked_s" | awk '{
    mb = $1 / 1e6
    json = mb / $5; pb = mb / $6; lint = mb / $7; ratio = lint / json
    printf "stepwise lint benchmark: %d statements, %.2f MB (%d bytes)\n", $2, mb, $1
    printf "  %-38s %10s %10s %6s\n", "", "seconds", "MB/s", "runs"
    printf "  %-38s %10.3f %10.2f %6d\n", "bare parse: pg_query_parse (JSON)", $5, json, $4
    printf "  %-38s %10.3f %10.2f %6d\n", "bare parse: pg_query_parse_protobuf", $6, pb, $4
    printf "  %-38s %10.3f %10.2f %6d\n", "  ... and unpacked (protobuf-c)", $10, mb / $10, $4
    printf "  %-38s %10.3f %10.2f %6d\n", "stepwise lint --json", $7, lint, $3
    printf "  peak RSS: stepwise lint %.1f MiB, bare parse %.1f MiB\n", $8 / 1024, $9 / 1024
    printf "  ratio lint / bare parse (JSON): %.3f  (vs protobuf: %.3f)\n", ratio, lint / pb
    printf "  ceiling of the ratio through the protobuf API (parse + unpack, nothing else): %.3f\n", (mb / $10) / json
    printf "  target: ratio >= 0.5: %s\n", (ratio >= 0.5 ? "PASS" : "FAIL")
    exit (ratio >= 0.5 ? 0 : 1)
}'
