# Sourced by the screen tests of the migration commands
# (tests/screen/migrate_confirm.sh, tests/screen/migrate_guard_pg.sh),
# never run. Needs tap.sh and screen.sh sourced first.

# migrations_folder DIR N: the first N (2 or 3) of three migrations, as
# pairs: 0001 create_users, 0002 create_posts, 0003 add_email.
migrations_folder() {
    mkdir -p "$1"
    printf '%s\n' 'CREATE TABLE users (id integer PRIMARY KEY);' >"$1/0001_create_users.up.sql"
    printf '%s\n' 'DROP TABLE users;' >"$1/0001_create_users.down.sql"
    printf '%s\n' 'CREATE TABLE posts (id integer, user_id integer);' >"$1/0002_create_posts.up.sql"
    printf '%s\n' 'DROP TABLE posts;' >"$1/0002_create_posts.down.sql"
    [ "$2" -ge 3 ] || return 0
    printf '%s\n' 'ALTER TABLE users ADD COLUMN email text;' >"$1/0003_add_email.up.sql"
    printf '%s\n' 'ALTER TABLE users DROP COLUMN email;' >"$1/0003_add_email.down.sql"
}

# audit_moves: the lines of the audit file $audit about migrations applied
# and rolled back (other events, e.g. of the run itself, are not these
# tests'), with what changes from run to run (time, OS user, host,
# target) masked.
audit_moves() {
    [ -f "$audit" ] || return 0
    grep -E '"action":"(apply|rollback)"' "$audit" | sed -E \
        -e 's/"time":"[^"]*"/"time":T/' \
        -e 's/"os_user":("[^"]*"|null)/"os_user":U/' \
        -e 's/"host":("[^"]*"|null)/"host":H/' \
        -e 's/"database":"[^"]*"/"database":D/'
}

# audit_of ACTION VERSION DB_USER: the masked line audit_moves gives for a
# migration that went well; DB_USER as JSON ("stepwise", null).
audit_of() {
    printf '{"time":T,"actor":{"db_user":%s,"os_user":U,"host":H},"action":"%s","version":"%s","database":D,"target_pid":null,"target_user":null,"target_query":null,"outcome":"ok","detail":null}\n' \
        "$3" "$1" "$2"
}

# screen_step MARKER COMMAND: clear the terminal and run COMMAND in its
# shell, which prints MARKER:STATUS when it ends. Returns once the screen
# shows the step's own start ("begin=MARKER", which the typed line does
# not contain), so that no later wait can match what an earlier step left
# on the screen.
screen_step() {
    screen_type "clear; printf '%s=%s\\n' begin $1; $2; echo $1:\$?"
    screen_wait_for "begin=$1" "${WAIT_FOR_SECONDS:-10}" || tap_result 1 "$1 starts"
}

# last_line: the last line of $screen that is not blank (a question
# waiting for its answer).
last_line() { printf '%s\n' "$screen" | sed '/^$/d' | tail -n 1; }
