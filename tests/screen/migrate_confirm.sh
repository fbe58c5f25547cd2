#!/bin/sh
# Screen test: the confirmation that `stepwise up` and `down` ask on a
# terminal (tmux, 80x24) before each migration, on a SQLite file. Each
# migration's generated SQL is shown, then `Apply VERSION_NAME? [y/N/q]`
# is read through libedit: y (or Y, yes) runs it; q, n, an empty answer,
# anything else, end of input (Ctrl-D) all stop before it, leaving the
# migrations applied before it committed, with exit status 0; Ctrl-C at
# the prompt stops with 130. The answer can be edited (x, Backspace, y is
# y). --yes asks nothing. Checked on screen, in the history and events
# tables, in the schema and in the audit file. A run asked on a terminal
# snapshots the schema before each migration: a failure is compared with
# the schema just before it.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"
. "$top_srcdir/tests/screen/migrate_screen.sh"

command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3 command to look at the database"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}

m=$tmp/m
migrations_folder "$m" 3

file=$tmp/shop.db
db=sqlite:$file
# q SQL: on the file, when there is one (sqlite3 must not be the one that
# creates it).
q() { [ ! -f "$file" ] || sqlite3 -batch "$file" "$1" 2>&1; }
has_table() { [ "$(q "select count(*) from sqlite_master where name = '$1'")" = 1 ]; }
tables() { q "select group_concat(name, ',') from (select name from sqlite_master
              where type = 'table' and name not like 'stepwise%' and name not like 'sqlite%'
              order by name)"; }
versions() { has_table stepwise_history || return 0
            q "select group_concat(version, ',') from (select version from stepwise_history
               order by version)"; }
events() { has_table stepwise_events || return 0
          q "select group_concat(e, ',') from (select action || '|' || version || '|' || outcome
              as e from stepwise_events where action in ('apply', 'rollback') order by id)"; }
has_email() { q "select count(*) from pragma_table_info('users') where name = 'email'"; }

audit=$tmp/state/stepwise/audit.jsonl
applied() { audit_of apply "$1" null; }
rolled_back() { audit_of rollback "$1" null; }

screen_start "sh"
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
screen_wait_for '$' || tap_bail "no shell prompt in tmux"

# run ARGS MARKER: a command of stepwise on the folder and the file.
run() {
    screen_step "$2" "XDG_STATE_HOME='$tmp/state' '$STEPWISE' $1 --dir '$m' --db '$db'"
}

# 1. y, an edited y, then q.
run up step1
tap_ok "up on a terminal asks before the first migration" \
    screen_wait_for "Apply 0001_create_users? [y/N/q]" "$wait_s"
tap_is "$(last_line)" "Apply 0001_create_users? [y/N/q]" \
    "the question is the last line, waiting for the answer"
tap_like "$screen" "BEGIN IMMEDIATE;
SELECT count(*) FROM \"stepwise_history\" WHERE version = '0001';
CREATE TABLE users (id integer PRIMARY KEY);
INSERT INTO \"stepwise_history\" (version, name, checksum, applied_at, applied_by," \
    "above it, the generated SQL: the transaction, the history re-read, the script, the history row"
tap_like "$screen" "'apply', '0001', 'ok', NULL);
COMMIT;
Apply 0001_create_users? [y/N/q]" "its events row and COMMIT come right before the question"
tap_is "$(tables)" "" "nothing has run while the question waits"
tap_is "$(versions)" "" "and nothing is recorded"

screen_keys y Enter
tap_ok "y: the next migration is asked" \
    screen_wait_for "Apply 0002_create_posts? [y/N/q]" "$wait_s"
tap_like "$screen" "Apply 0001_create_users? [y/N/q] y
applying 0001 create_users ... done (" "the answer stays on screen and 0001 is applied"
tap_like "$screen" "CREATE TABLE posts (id integer, user_id integer);" "0002's SQL is shown"
tap_is "$(tables)" "users" "0001's table exists"
tap_is "$(versions)" "0001" "and 0001 is recorded"

screen_keys x
tap_ok "the answer is typed on the prompt line" screen_wait_for "[y/N/q] x" "$wait_s"
screen_keys BSpace y
tap_ok "Backspace removes the x, y takes its place" \
    screen_wait_for "Apply 0002_create_posts? [y/N/q] y" "$wait_s"
tap_unlike "$screen" "[y/N/q] xy" "the x is gone from the line"
screen_keys Enter
tap_ok "the edited answer is y: the third migration is asked" \
    screen_wait_for "Apply 0003_add_email? [y/N/q]" "$wait_s"
tap_like "$screen" "applying 0002 create_posts ... done (" "0002 is applied"
tap_like "$screen" "ALTER TABLE users ADD COLUMN email text;" "0003's SQL is shown"
tap_is "$(tables)" "posts,users" "0002's table exists"

screen_keys q Enter
tap_ok "q ends the command" screen_wait_for "step1:" "$wait_s"
tap_like "$screen" "Apply 0003_add_email? [y/N/q] q
stopped before 0003; the migrations before it are committed
step1:0" "q stops before 0003, says the earlier ones are committed, exit status 0"
tap_unlike "$screen" "applying 0003" "0003 is not run"
tap_is "$(versions)" "0001,0002" "0001 and 0002 stay recorded"
tap_is "$(has_email)" 0 "0003's column is not there"
tap_is "$(events)" "apply|0001|ok,apply|0002|ok" "the events table has the two applies"
tap_is "$(audit_moves)" "$(applied 0001; applied 0002)" \
    "the audit file has the applies of 0001 and 0002"

# 2. Every other answer stops too, with nothing applied by this run.
n=2
for answer in n N "" ok; do
    run up "step$n"
    label="'$answer'"
    [ -n "$answer" ] || label="Enter alone"
    if ! screen_wait_for "Apply 0003_add_email? [y/N/q]" "$wait_s"; then
        tap_result 1 "answer $label: 0003 is asked"
        continue
    fi
    [ -z "$answer" ] || screen_keys -l "$answer"
    screen_keys Enter
    tap_ok "answer $label: the command ends" screen_wait_for "step$n:" "$wait_s"
    tap_like "$screen" "Apply 0003_add_email? [y/N/q]${answer:+ $answer}
stopped before 0003
step$n:0" "answer $label stops before 0003, exit status 0"
    tap_unlike "$screen" "the migrations before it are committed" \
        "answer $label: this run committed nothing, it does not say it did"
    tap_is "$(versions),$(has_email)" "0001,0002,0" "answer $label: 0003 is not applied"
    n=$((n + 1))
done

run up "step$n"
screen_wait_for "Apply 0003_add_email? [y/N/q]" "$wait_s" ||
    tap_result 1 "Ctrl-D: 0003 is asked"
screen_keys C-d
tap_ok "end of input (Ctrl-D) ends the command" screen_wait_for "step$n:" "$wait_s"
tap_like "$screen" "stopped before 0003" "Ctrl-D stops before 0003"
tap_like "$screen" "step$n:0" "with exit status 0"
tap_is "$(versions),$(has_email)" "0001,0002,0" "Ctrl-D: 0003 is not applied"
n=$((n + 1))

run up "step$n"
screen_wait_for "Apply 0003_add_email? [y/N/q]" "$wait_s" ||
    tap_result 1 "Ctrl-C: 0003 is asked"
screen_keys C-c
tap_ok "Ctrl-C at the question ends the command" screen_wait_for "step$n:" "$wait_s"
tap_like "$screen" "stopped before 0003" "Ctrl-C stops before 0003"
tap_like "$screen" "step$n:130" "with exit status 130"
tap_is "$(versions),$(has_email)" "0001,0002,0" "Ctrl-C: 0003 is not applied"
tap_is "$(audit_moves)" "$(applied 0001; applied 0002)" \
    "no migration is audited by the runs that stopped"
tap_is "$(events)" "apply|0001|ok,apply|0002|ok" "nor in the events table"
n=$((n + 1))

# 3. --yes asks nothing; down asks "Roll back".
run "up --yes" "step$n"
tap_ok "up --yes ends on its own" screen_wait_for "step$n:" "$wait_s"
tap_unlike "$screen" "[y/N/q]" "without asking"
tap_like "$screen" "applying 0003 add_email ... done (" "and applies 0003"
tap_is "$(versions),$(has_email)" "0001,0002,0003,1" "0003 is applied"
n=$((n + 1))

run down "step$n"
tap_ok "down asks before rolling back" \
    screen_wait_for "Roll back 0003_add_email? [y/N/q]" "$wait_s"
tap_like "$screen" "ALTER TABLE users DROP COLUMN email;
DELETE FROM \"stepwise_history\" WHERE version = '0003';" \
    "after the down script's SQL and the history delete"
tap_is "$(last_line)" "Roll back 0003_add_email? [y/N/q]" "the question is the last line"
tap_is "$(has_email)" 1 "nothing is rolled back while it waits"
screen_keys y Enter
tap_ok "y: the rollback runs and the command ends" screen_wait_for "step$n:" "$wait_s"
tap_like "$screen" "rolling back 0003 add_email ... done (" "0003 is rolled back"
tap_like "$screen" "step$n:0" "exit status 0"
tap_is "$(versions),$(has_email)" "0001,0002,0" "0003's row and column are gone"
tap_is "$(audit_moves)" "$(applied 0001; applied 0002; applied 0003; rolled_back 0003)" \
    "the audit file adds the apply and the rollback of 0003"
n=$((n + 1))

# 4. A person answers each question anyway, so each migration gets a
# schema snapshot of its own: a failure after another migration committed
# in the same run is compared with the schema just before it.
printf '%s\n' 'CREATE TABLE tags (id integer);' 'INSERT INTO nowhere VALUES (1);' \
    >"$m/0004_fails.up.sql"
run up "step$n"
screen_wait_for "Apply 0003_add_email? [y/N/q]" "$wait_s" || tap_result 1 "0003 is asked"
screen_keys y Enter
screen_wait_for "Apply 0004_fails? [y/N/q]" "$wait_s" || tap_result 1 "0004 is asked"
screen_keys y Enter
tap_ok "the failing 0004 ends the command" screen_wait_for "step$n:" "$wait_s"
tap_like "$screen" "applying 0004 fails ... failed" "0004 fails after 0003 committed"
tap_like "$screen" "schema compared with the snapshot taken before it: nothing remains" \
    "compared with a snapshot taken just before 0004, not the run's"
tap_like "$screen" "step$n:1" "exit status 1"
tap_is "$(versions),$(tables)" "0001,0002,0003,posts,users" "0003 stays applied, 0004 left nothing"
rm "$m/0004_fails.up.sql"

tap_done
