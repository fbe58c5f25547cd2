#!/bin/sh
# Screen test of the console's migrations view on the throwaway PostgreSQL
# (tmux, 80x24): the Locks tab predicts the ALTER TABLE's lock and shows
# the live session that holds a conflicting lock on that table (from the
# monitor, refreshed while the tab shows); the Diff tab's dry run on a
# target that is not local asks for the database name first (a wrong one
# runs nothing), then shows the locks taken beside the predicted ones and
# the schema diff, leaving the database as it was.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    WITH_PG_LISTEN_EXTERNAL=1
    export WITH_PG_LISTEN_EXTERNAL
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/screen/locks_sessions.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
spid=
cleanup() {
    screen_stop
    exec 3>&- 2>/dev/null
    [ -z "$spid" ] || kill "$spid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
wait_s=${WAIT_FOR_SECONDS:-10}

m=$tmp/m
mkdir "$m"
printf '%s\n' 'CREATE TABLE orders (id integer PRIMARY KEY);' >"$m/0001_orders.up.sql"
printf '%s\n' 'DROP TABLE orders;' >"$m/0001_orders.down.sql"
printf '%s\n' 'ALTER TABLE orders ADD COLUMN note text;' >"$m/0002_note.up.sql"
printf '%s\n' 'ALTER TABLE orders DROP COLUMN note;' >"$m/0002_note.down.sql"
XDG_STATE_HOME=$tmp/state
export XDG_STATE_HOME
"$STEPWISE" up --yes -n 1 --dir "$m" --db "$STEPWISE_TEST_PG" >/dev/null 2>&1 ||
    tap_bail "up -n 1 failed"

screen_start "'$STEPWISE' --dir '$m' --db '$STEPWISE_TEST_PG'"
tap_ok "the console lists the migrations" screen_wait_for "= 0001" "$wait_s"

# A session reading orders in an open transaction: it holds ACCESS SHARE
# (started after tmux, which must not keep its fifo open).
fifo_session reader 'begin; select count(*) from orders;'
spid=$session_pid
wait_for "select exists (select 1 from pg_locks l join pg_stat_activity a using (pid)
          where a.application_name = 'reader' and l.relation = 'orders'::regclass)" ||
    tap_bail "the reader never locked orders"
reader=$(psql -XAtqc "select pid from pg_stat_activity where application_name = 'reader'")

screen_keys j O
tap_ok "O: the predicted lock of 0002" \
    screen_wait_for "ACCESS EXCLUSIVE       orders: blocks everything, even SELECT" "$wait_s"
tap_ok "and, from the monitor, the reader holding a lock on it" \
    screen_wait_for "pid $reader (stepwise) holds AccessShareLock" "$wait_s"
tap_like "$screen" "pid $reader (stepwise) holds AccessShareLock: the migration would wait" \
    "flagged: the migration would wait for it"

# The reader ends: the next refresh drops it.
exec 3>&-
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=
tap_ok "once the reader has gone, the tab says no session is on the table" \
    screen_wait_for "no live session holds or waits on it" "$wait_s"
screen_keys q

ext=${STEPWISE_TEST_PG_EXTERNAL:-}
if [ -z "$ext" ]; then
    tap_diag "SKIP the remote dry run: ${STEPWISE_TEST_PG_EXTERNAL_WHY:-no non-loopback address}"
    tap_done
    exit 0
fi

columns() {
    psql -XAtqc "select string_agg(attname, ',' order by attnum) from pg_attribute
                 where attrelid = 'orders'::regclass and attnum > 0 and not attisdropped"
}
before=$(columns)
screen_stop
screen_start "'$STEPWISE' --dir '$m' --db '$ext'"
tap_ok "the console on the remote address" screen_wait_for "= 0001" "$wait_s"
screen_keys j d
tap_ok "d on a remote server asks for the database name" \
    screen_wait_for "Dry run on a remote server" "$wait_s"
tap_like "$screen" "is not a local server (host $STEPWISE_TEST_PG_EXTERNAL_HOST)" "saying why"
tap_like "$screen" "Type postgres and Enter to go on" "naming the word to type"
screen_type "shop"
tap_ok "a wrong name runs nothing" screen_wait_for "the name typed does not match 'postgres'" \
    "$wait_s"
screen_keys d
screen_wait_for "Dry run on a remote server" "$wait_s"
screen_type "postgres"
tap_ok "the right name runs the dry run" screen_wait_for "schema diff" "$wait_s" ||
    printf '%s\n' "$screen" | sed 's/^/# /'
tap_like "$screen" "      ok public.orders: ACCESS EXCLUSIVE, as predicted" \
    "the lock taken on orders checked against the analysis"
screen_keys Enter G
sleep 0.5
screen=$(screen_capture)
tap_like "$screen" "+  column note text" "the diff shows the new column"
tap_is "$(columns)" "$before" "orders is as it was"
tap_is "$(psql -XAtqc "select count(*) from stepwise_events where action = 'dry_run'
                       and version = '0002' and outcome = 'ok'")" 1 "the dry run is audited"
screen_keys q
tap_done
