#!/bin/sh
# explain.sh TOP_SRCDIR: EXPLAIN (ANALYZE, BUFFERS) of core/monitor.c's
# queries against the server in PGHOST/PGPORT/PGUSER; each is run three
# times and only the third (warm) run is printed.
top=${1:-.}
here=$(dirname "$0")
for i in 1 2 3; do
    printf '%s\n' "\\echo '=== pass $i'"
    python3 "$here/explain.py" "$top"
done | psql -X -q -v ON_ERROR_STOP=1 2>&1 | sed -n '/^=== pass 3/,$p' | sed 1d
