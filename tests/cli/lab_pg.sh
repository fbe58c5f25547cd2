#!/bin/sh
# `stepwise lab` without a screen, on the throwaway PostgreSQL: what it
# refuses (no terminal and no --yes, a SQLite target, an unknown scenario,
# a bad --orders), with nothing created; a run in line mode that ends on
# quit, on SIGTERM (exit 130), and after its connections were cut, each
# time with the scratch database dropped; and --cleanup, which drops only
# databases named and commented as the lab's and not in use.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
bg=
cleanup() {
    [ -z "$bg" ] || kill $bg 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
export XDG_STATE_HOME="$tmp/state"
lab_dir="$top_srcdir/migrations/lab"
cd "$tmp" || exit 99

q() { psql -XAtqc "$1"; }
labs() { q "select coalesce(string_agg(datname, ' ' order by datname), 'none')
            from pg_database where datname like 'stepwise\_lab\_%'"; }
# until SQL says t, up to 30 s
until_true() {
    _n=0
    while [ "$(q "$1")" != t ]; do
        _n=$((_n + 1))
        [ "$_n" -lt 150 ] || return 1
        sleep 0.2
    done
}

# --- refusals -----------------------------------------------------------
stepwise_run lab --dir "$lab_dir"
tap_is "$rc" 2 "no terminal and no --yes: exit 2"
tap_like "$err" "stepwise lab asks before it creates a database" "and says why"
tap_like "$err" "Give --yes" "and what to do"
tap_is "$(labs)" none "nothing was created"

stepwise_run lab --yes --db sqlite:x.db --dir "$lab_dir"
tap_is "$rc" 2 "a SQLite target: exit 2"
tap_like "$err" "the lab needs a PostgreSQL server" "and says so"
tap_ok "no SQLite file was made" [ ! -e x.db ]

stepwise_run lab --yes --scenario blockers --dir "$lab_dir"
tap_is "$rc" 2 "an unknown scenario: exit 2"
tap_like "$err" "no lab scenario 'blockers'" "named"
tap_like "$err" "blocker, lock-timeout, failed-index, deadlock" "with the list"

stepwise_run lab --yes --orders 12x --dir "$lab_dir"
tap_is "$rc" 2 "a bad --orders: exit 2"
tap_like "$err" "--orders wants a whole number" "named"
tap_is "$(labs)" none "still nothing created"

stepwise_run lab --yes --dir "$tmp/nowhere"
tap_is "$rc" 2 "a missing migrations folder: exit 2"
tap_like "$err" "no lab migrations folder" "named"

q "create role trainee login nocreatedb" >/dev/null
stepwise_run lab --yes --db "user=trainee dbname=postgres" --dir "$lab_dir"
tap_is "$rc" 1 "a role without CREATEDB: exit 1"
tap_like "$err" "cannot create the lab's database stepwise_lab_" "the database named"
tap_like "$err" "permission denied to create database" "the server's reason"
tap_like "$err" "CREATEDB" "and what the role needs"
tap_is "$(labs)" none "nothing was created"

# --- a run in line mode, ended by quit ----------------------------------
out=$(printf 'status\nquit\n' | "$STEPWISE" lab --yes --orders 2000 --dir "$lab_dir" 2>&1)
rc=$?
tap_is "$rc" 0 "a run ended by quit exits 0"
tap_like "$out" "created the database stepwise_lab_" "it made the scratch database"
tap_like "$out" "loading 2000 orders ... done" "loaded the orders"
tap_like "$out" "0005     create_order_lines            applied" "applied up to 0005 (blocker)"
tap_like "$out" "0006     add_order_total               pending" "0006 left for the trainee"
tap_like "$out" "the lab's sessions ended" "it ends its sessions"
tap_like "$out" "dropped the database stepwise_lab_" "it drops the database"
tap_is "$(labs)" none "no scratch database is left"

# --- SIGTERM while the console runs --------------------------------------
mkfifo in
"$STEPWISE" lab --yes --scenario lock-timeout --orders 2000 --dir "$lab_dir" <in >out.txt 2>&1 &
bg=$!
exec 3>in
until_true "select exists (select 1 from pg_stat_activity where application_name = 'lab: report')"
tap_ok "the lab's report session runs" [ $? -eq 0 ]
lab=$(labs)
tap_like "$lab" "stepwise_lab_" "its database exists"
tap_is "$(psql -XAtq -d "$lab" -c "select max(version) from stepwise_history")" 0005 \
    "lock-timeout starts at 0005"
kill -TERM "$bg"
wait "$bg"
rc=$?
bg=
exec 3>&-
tap_is "$rc" 130 "SIGTERM: exit 130"
tap_like "$(cat out.txt)" "dropped the database $lab" "SIGTERM: the database is dropped"
tap_is "$(labs)" none "SIGTERM: none left"
tap_is "$(q "select count(*) from pg_stat_activity where application_name like 'lab: %'")" 0 \
    "SIGTERM: no session of the lab is left"

# --- its connections cut --------------------------------------------------
rm -f in
mkfifo in
"$STEPWISE" lab --yes --scenario deadlock --orders 2000 --dir "$lab_dir" <in >out.txt 2>&1 &
bg=$!
exec 3>in
until_true "select exists (select 1 from pg_stat_activity where application_name = 'lab: deadlock B')"
lab=$(labs)
cut=$(q "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
          where datname = '$lab') AS s")
tap_ok "every connection of the lab was cut ($cut)" [ "$cut" -ge 5 ]
sleep 1
printf 'quit\n' >&3
wait "$bg"
rc=$?
bg=
exec 3>&-
tap_is "$rc" 0 "after a lost connection, quit still exits 0"
tap_like "$(cat out.txt)" "dropped the database $lab" "and the database is dropped"
tap_is "$(labs)" none "none left"

# --- --cleanup ------------------------------------------------------------
q "create database stepwise_lab_0000dead" >/dev/null
q "comment on database stepwise_lab_0000dead is
   'stepwise lab scratch database, made by a run that crashed'" >/dev/null
q "create database stepwise_lab_0000beef" >/dev/null
q "create database stepwise_lab_0000cafe" >/dev/null
q "comment on database stepwise_lab_0000cafe is 'stepwise lab scratch database, still in use'" \
    >/dev/null
psql -XAtq -d stepwise_lab_0000cafe -c "select pg_sleep(60)" >/dev/null 2>&1 &
bg=$!
until_true "select exists (select 1 from pg_stat_activity where datname = 'stepwise_lab_0000cafe')"

stepwise_run lab --cleanup
tap_is "$rc" 2 "--cleanup without a terminal or --yes: exit 2"
tap_like "$err" "asks before dropping 1 database" "and says what it would drop"
tap_like "$out" "stepwise_lab_0000beef: left alone, its comment does not say stepwise lab made it" \
    "a database without the lab's comment is left alone"
tap_like "$out" "stepwise_lab_0000cafe: left alone, 1 session is connected" \
    "one in use is left alone"
tap_is "$(labs)" "stepwise_lab_0000beef stepwise_lab_0000cafe stepwise_lab_0000dead" \
    "nothing dropped"

stepwise_run lab --cleanup --yes
tap_is "$rc" 1 "--cleanup --yes, one left in use: exit 1"
tap_like "$out" "dropped stepwise_lab_0000dead" "the crashed run's database is dropped"
tap_is "$(labs)" "stepwise_lab_0000beef stepwise_lab_0000cafe" "the other two are still there"

q "select pg_terminate_backend(pid) from pg_stat_activity
   where datname = 'stepwise_lab_0000cafe'" >/dev/null
wait "$bg" 2>/dev/null
bg=
q "drop database stepwise_lab_0000beef" >/dev/null
until_true "select not exists (select 1 from pg_stat_activity
            where datname = 'stepwise_lab_0000cafe')"
tap_ok "the session on it has ended" [ $? -eq 0 ]
stepwise_run lab --cleanup --yes
tap_is "$rc" 0 "--cleanup --yes once it is free: exit 0"
tap_like "$out" "dropped stepwise_lab_0000cafe" "dropped"
stepwise_run lab --cleanup --yes
tap_is "$rc" 0 "--cleanup with nothing to drop: exit 0"
tap_like "$out" "no scratch database of stepwise lab to drop" "and says so"

tap_done
