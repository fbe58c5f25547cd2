#!/bin/sh
# Screen test: the production guard of the changing commands on a
# PostgreSQL target that is not a local socket or a loopback address. The
# throwaway server also listens on this machine's first non-loopback IPv4
# address (with-pg's WITH_PG_LISTEN_EXTERNAL=1); without one the test is
# skipped. On a terminal (tmux, 80x24) the first change of a run asks to
# type the database name: a wrong name runs nothing (exit 2), the right
# one (edited with libedit) goes on to the per-migration question, and is
# not asked again for the next migration. Without a terminal --confirm-db
# NAME gives it (a mismatch exits 2), and without either the run exits 2
# saying so. Through the local socket nothing is asked. Checked on screen,
# in the database (tables, history rows) and in the audit file.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    WITH_PG_LISTEN_EXTERNAL=1
    export WITH_PG_LISTEN_EXTERNAL
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"
. "$top_srcdir/tests/screen/migrate_screen.sh"

ext=${STEPWISE_TEST_PG_EXTERNAL_HOST:-}
if [ -z "$ext" ]; then
    tap_skip_all "no server on a non-loopback address: ${STEPWISE_TEST_PG_EXTERNAL_WHY:-this run's server listens on its socket only (tests/harness/with-pg with WITH_PG_LISTEN_EXTERNAL=1 adds one)}"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}

m=$tmp/m
migrations_folder "$m" 2

psql -XAtqc "create database shop" || tap_bail "cannot create the database shop"
remote="host=$ext port=$PGPORT user=stepwise dbname=shop"
shown="host=$ext port=$PGPORT dbname=shop user=stepwise" # as stepwise shows the target
local_socket="host=$PGHOST port=$PGPORT user=stepwise dbname=shop"

q() { psql -XAtq -d shop -c "$1" 2>&1; }
tables() { q "select coalesce(string_agg(tablename, ',' order by tablename), '') from pg_tables
              where schemaname = 'public' and tablename not like 'stepwise%'"; }
stepwise_tables() { q "select count(*) from pg_tables where tablename like 'stepwise%'"; }
versions() { [ "$(q "select to_regclass('stepwise_history') is not null")" = t ] || return 0
            q "select coalesce(string_agg(version, ',' order by version), '') from stepwise_history"; }

XDG_STATE_HOME=$tmp/state
export XDG_STATE_HOME
audit=$tmp/state/stepwise/audit.jsonl
applied() { audit_of apply "$1" '"stepwise"'; }
rolled_back() { audit_of rollback "$1" '"stepwise"'; }

screen_start "sh"
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
screen_wait_for '$' || tap_bail "no shell prompt in tmux"

# run ARGS TARGET MARKER: a stepwise command on the folder, in the terminal.
run() {
    screen_step "$3" "'$STEPWISE' $1 --dir '$m' --db '$2'"
}
# screen_joined: the screen with the lines the terminal wrapped joined
# again (how long the target's text is depends on the address and port).
screen_joined() {
    tmux -S "$screen_socket" capture-pane -p -J -t test | sed 's/[[:space:]]*$//'
}
guard_line="is not a local server (host $ext)"
name_prompt="Type the database name (shop) to go on:"

# 1. A wrong name runs nothing.
run "up --yes" "$remote" step1
tap_ok "up on $ext asks for the database name before anything runs" \
    screen_wait_for "$name_prompt" "$wait_s"
tap_like "$(screen_joined)" "$shown $guard_line" \
    "saying the target is not a local server, and its host"
tap_is "$(last_line)" "$name_prompt" "the question is the last line, waiting for the name"
screen_keys -l shopp
screen_keys Enter
tap_ok "a wrong name ends the command" screen_wait_for "step1:" "$wait_s"
tap_like "$screen" "stepwise: the name typed does not match 'shop'; nothing was run" \
    "saying the name does not match and nothing was run"
tap_like "$screen" "step1:2" "exit status 2"
tap_unlike "$screen" "applying" "no migration is applied"
tap_is "$(tables)" "" "no table of the migrations exists"
tap_is "$(versions)" "" "nothing is recorded"
tap_is "$(stepwise_tables)" 0 "the database is untouched: no history tables either"
tap_is "$(audit_moves)" "" "no migration is audited"

# 2. The right name, edited, then each migration is asked; the name once.
run up "$remote" step2
tap_ok "up asks for the name again" screen_wait_for "$name_prompt" "$wait_s"
screen_keys -l shox
tap_ok "the name is typed on the question's line" screen_wait_for "$name_prompt shox" "$wait_s"
screen_keys BSpace p
tap_ok "Backspace and p make it shop" screen_wait_for "$name_prompt shop" "$wait_s"
screen_keys Enter
tap_ok "the right name goes on to the first migration's question" \
    screen_wait_for "Apply 0001_create_users? [y/N/q]" "$wait_s"
tap_like "$screen" "BEGIN;
SET LOCAL lock_timeout = '3s';
CREATE TABLE users (id integer PRIMARY KEY);" "with its generated SQL"
tap_is "$(tables)" "" "nothing has run yet"
screen_keys y Enter
tap_ok "y applies it; the second migration is asked" \
    screen_wait_for "Apply 0002_create_posts? [y/N/q]" "$wait_s"
after_first=$(printf '%s\n' "$screen" | sed -n '/applying 0001 create_users/,$p')
tap_like "$after_first" "applying 0001 create_users ... done (" "0001 is applied"
tap_unlike "$after_first" "Type the database name" "the name is not asked again in the same run"
tap_is "$(last_line)" "Apply 0002_create_posts? [y/N/q]" "the migration's question is the last line"
screen_keys q Enter
tap_ok "q ends the command" screen_wait_for "step2:" "$wait_s"
tap_like "$screen" "stopped before 0002; the migrations before it are committed
step2:0" "q stops before 0002, exit status 0"
tap_is "$(tables)" "users" "0001's table exists on the server"
tap_is "$(versions)" "0001" "0001 is recorded"
tap_is "$(audit_moves)" "$(applied 0001)" \
    "0001's apply is audited, by the database user stepwise"

# 3. Without a terminal: --confirm-db, or exit 2.
stepwise_run up --yes --dir "$m" --db "$remote"
tap_is "$rc" 2 "no terminal, no --confirm-db: exit 2"
tap_like "$err" "$shown is not a local server: pass --confirm-db shop to " \
    "saying to pass --confirm-db with the database's name"
tap_is "$(tables),$(versions)" "users,0001" "nothing more is applied"

stepwise_run up --yes --confirm-db shopp --dir "$m" --db "$remote"
tap_is "$rc" 2 "--confirm-db with another name: exit 2"
tap_like "$err" "--confirm-db 'shopp' does not match the database 'shop' on $ext" \
    "saying which database it is"
tap_is "$(tables),$(versions)" "users,0001" "nothing more is applied"
tap_is "$(audit_moves)" "$(applied 0001)" "nor audited"

stepwise_run up --yes --confirm-db shop --dir "$m" --db "$remote"
tap_is "$rc" 0 "--confirm-db with the right name: exit 0"
tap_like "$out" "applying 0002 create_posts ... done (" "0002 is applied"
tap_is "$(tables),$(versions)" "posts,users,0001,0002" "on the server"
tap_is "$(audit_moves)" "$(applied 0001; applied 0002)" "and audited"

# 4. Through the local socket nothing is asked.
run "down --yes" "$local_socket" step4
tap_ok "down --yes through the socket runs without a question" \
    screen_wait_for "step4:" "$wait_s"
tap_unlike "$screen" "$name_prompt" "the database name is not asked"
tap_like "$screen" "rolling back 0002 create_posts ... done (" "0002 is rolled back"
tap_like "$screen" "step4:0" "exit status 0"
tap_is "$(tables),$(versions)" "users,0001" "on the server"
tap_is "$(audit_moves)" "$(applied 0001; applied 0002; rolled_back 0002)" \
    "and audited"

tap_done
