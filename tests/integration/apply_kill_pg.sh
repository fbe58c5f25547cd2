#!/bin/sh
# SIGKILL at random moments during a 30-migration `stepwise up` on a real
# throwaway PostgreSQL. Each migration is one transaction with its history
# row, so whatever the moment, after the kill: every version recorded has
# its table, no table exists without its history row, nothing is dirty;
# and a fresh `up` then finishes the job. The seed is printed; set
# STEPWISE_KILL_SEED to replay a run, STEPWISE_KILL_TRIALS for more trials.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
spid=
cleanup() {
    [ -z "$spid" ] || kill -KILL "$spid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

q() { psql -XAtq -c "$1" 2>&1; }
q 'select 1' >/dev/null || tap_bail "psql could not reach the test server"
db=$STEPWISE_TEST_PG

seed=${STEPWISE_KILL_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
trials=${STEPWISE_KILL_TRIALS:-24}
tap_diag "seed $seed, $trials trials (STEPWISE_KILL_SEED=$seed replays them)"

m=$tmp/m
mkdir "$m"
i=1
while [ "$i" -le 30 ]; do
    v=$(printf '%02d' "$i")
    printf 'create table t%s (id int);\nselect pg_sleep(0.02);\n' "$v" >"$m/${v}_t$v.up.sql"
    i=$((i + 1))
done

# Delays before the kill, in seconds: spread over a whole run (about
# 0.7 s here), a few right at the start, while connecting.
awk -v seed="$seed" -v n="$trials" 'BEGIN {
    srand(seed)
    for (i = 0; i < n; i++)
        printf "%.3f\n", (i % 6 == 0) ? rand() * 0.05 : rand() * 0.9
}' >"$tmp/delays"

# consistency: "recorded:recorded without table:table without record:dirty",
# one statement, so one snapshot of both the history and the catalog.
consistency() {
    if [ "$(q "select to_regclass('stepwise_history') is not null")" != t ]; then
        q "select '0:0:' || count(*) || ':0' from pg_class where relkind = 'r'
           and relnamespace = 'public'::regnamespace and relname ~ '^t[0-9]{2}\$'"
        return
    fi
    q "select (select count(*) from stepwise_history) || ':' ||
              (select count(*) from stepwise_history h where not exists (
                  select 1 from pg_class c where c.relname = 't' || h.version and c.relkind = 'r'
                  and c.relnamespace = 'public'::regnamespace)) || ':' ||
              (select count(*) from pg_class c where c.relkind = 'r'
                  and c.relnamespace = 'public'::regnamespace and c.relname ~ '^t[0-9]{2}\$'
                  and not exists (select 1 from stepwise_history h where 't' || h.version = c.relname)) || ':' ||
              (select count(*) from stepwise_history where dirty)"
}

reset_db() {
    q "do \$\$ begin
         for i in 1..30 loop
           execute format('drop table if exists %I', 't' || to_char(i, 'FM00'));
         end loop;
         if to_regclass('stepwise_history') is not null then
           truncate stepwise_history;
         end if;
       end \$\$" >/dev/null
}

n=0
killed=0
while IFS= read -r delay; do
    n=$((n + 1))
    reset_db
    "$STEPWISE" up --yes --dir "$m" --db "$db" </dev/null >"$tmp/run.out" 2>&1 &
    spid=$!
    sleep "$delay"
    kill -KILL "$spid" 2>/dev/null
    # (braces: the shell's own "Killed" notice goes nowhere)
    { wait "$spid"; } 2>/dev/null
    krc=$?
    spid=
    [ "$krc" -eq 137 ] && killed=$((killed + 1))
    state=$(consistency)
    tap_diag "trial $n: kill after ${delay} s, exit $krc, state $state"
    tap_ok "trial $n: the run ended by the kill or by finishing (exit $krc)" \
        test "$krc" -eq 137 -o "$krc" -eq 0
    tap_is "${state#*:}" "0:0:0" "trial $n: every recorded version has its table, no unrecorded table, none dirty"
    stepwise_run up --yes --wait-lock 10s --dir "$m" --db "$db"
    tap_is "$rc" 0 "trial $n: a fresh up afterwards exits 0"
    [ "$rc" -eq 0 ] || printf '%s\n%s\n' "$out" "$err" | sed 's/^/# /'
    tap_is "$(consistency)" "30:0:0:0" "trial $n: then all 30 are applied, consistently"
done <"$tmp/delays"

tap_ok "at least 20 trials ran" test "$n" -ge 20
tap_diag "$killed of $n runs were killed before they finished"
tap_is "$(q "select count(*) from stepwise_history where not dirty")" 30 "all 30 applied at the end"

tap_done
