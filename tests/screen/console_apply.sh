#!/bin/sh
# Screen test of the console's supervised apply on a SQLite file (tmux,
# 80x24): apply two migrations confirming each, with the commit gate's
# diff and locks; step through a migration statement by statement; answer
# r at the commit gate and find schema and history unchanged; stop with n
# in the middle of a plan and find the earlier migration kept; roll back
# the latest; and every decision in the audit trail.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}

m=$tmp/m
mkdir "$m"
line() { printf '%s\n' "$2" >"$m/$1"; }
line 0001_create_authors.up.sql 'CREATE TABLE authors (id integer PRIMARY KEY, name text);'
line 0001_create_authors.down.sql 'DROP TABLE authors;'
line 0002_create_books.up.sql 'CREATE TABLE books (id integer PRIMARY KEY, title text);'
line 0002_create_books.down.sql 'DROP TABLE books;'
printf '%s\n' 'ALTER TABLE books ADD COLUMN author_id integer;' \
    'CREATE INDEX books_author ON books (author_id);' >"$m/0003_book_authors.up.sql"
printf '%s\n' 'DROP INDEX books_author;' 'ALTER TABLE books DROP COLUMN author_id;' \
    >"$m/0003_book_authors.down.sql"
line 0004_add_email.up.sql 'ALTER TABLE authors ADD COLUMN email text;'
line 0004_add_email.down.sql 'ALTER TABLE authors DROP COLUMN email;'
line 0005_add_isbn.up.sql 'ALTER TABLE books ADD COLUMN isbn text;'
line 0005_add_isbn.down.sql 'ALTER TABLE books DROP COLUMN isbn;'

export XDG_STATE_HOME="$tmp/state"
db=$tmp/shop.db
sqlite3 -batch "$db" 'select 1' >/dev/null || tap_bail "sqlite3 cannot create $db"
sw() { (cd "$tmp" && "$STEPWISE" "$@" --dir m --db sqlite:shop.db); }
history() { sqlite3 -batch -cmd '.timeout 5000' "$db" 'select version from stepwise_history order by version' 2>&1 |
    tr '\n' ' '; }
columns() { sqlite3 -batch -cmd '.timeout 5000' "$db" "select name from pragma_table_info('$1')" | tr '\n' ' '; }
events() {
    sqlite3 -batch -cmd '.timeout 5000' "$db" "select action || ' ' || coalesce(version, '-') || ' ' || outcome
                          from stepwise_events order by id" 2>&1
}

screen_start "sh -c \"cd '$tmp' && exec env XDG_STATE_HOME='$tmp/state' '$STEPWISE' --dir m --db sqlite:shop.db\""
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# The gate takes c only after it has been on screen a second.
gate_commit() {
    screen_wait_for "c commit   r roll back" "$wait_s" || return 1
    sleep 1.2
    screen_keys c
}

# 1. Apply two migrations, confirming each. The history is read first.
tap_ok "the list shows the pending migrations" screen_wait_for "> 0001" "$wait_s"
screen_keys Down
screen_keys U
tap_ok "U opens the plan up to the selected version" \
    screen_wait_for "y run it   s step" "$wait_s"
tap_like "$screen" "Apply up to 0002 on sqlite:shop.db" "the plan names what and where"
tap_like "$screen" "1   0001           create_authors     next" "the first migration is next"
tap_like "$screen" "2   0002           create_books" "the second is in the plan"
tap_like "$screen" "pass, 0 warn, 0 fail" "the preflight passed"
tap_like "$screen" "CREATE TABLE authors" "the SQL that will be sent shows"
screen_keys y
tap_ok "y runs 0001 up to the commit gate" screen_wait_for "c commit   r roll back" "$wait_s"
tap_like "$screen" "Commit gate: 0001 create_authors" "the gate names the migration"
tap_like "$screen" "+ table authors" "the gate shows the real schema diff"
tap_like "$screen" "write lock on the database file" "the gate shows the lock held"
tap_is "$(history)" "" "nothing is committed while the gate waits"
gate_commit
tap_ok "after c, 0002 is asked for" screen_wait_for "Next: apply 0002 create_books" "$wait_s"
tap_like "$screen" "1   0001           create_authors     done" "0001 shows done"
screen_keys y
gate_commit
tap_ok "the plan ends applied" screen_wait_for "Done: 2 migrations applied." "$wait_s"
tap_is "$(history)" "0001 0002 " "both are recorded applied"
tap_is "$(columns books)" "id title " "books exists as 0002 made it"
screen_keys Escape
tap_ok "Esc goes back to the list, read again" screen_wait_for "= 0002" "$wait_s"

# 2. Step through 0003, one statement at a time (from the : prompt).
screen_keys :
tmux -S "$screen_socket" send-keys -t test -l "up -n 1"
screen_keys Enter
tap_ok ":up -n 1 plans the next pending migration" screen_wait_for "Next: apply 0003" "$wait_s"
screen_keys s
tap_ok "s stops before the first statement" \
    screen_wait_for "statement 1 of 2 is next" "$wait_s"
tap_like "$screen" "ALTER TABLE books ADD COLUMN author_id" "the statement to run shows"
screen_keys y
tap_ok "y runs it and stops before the second" \
    screen_wait_for "statement 2 of 2 is next" "$wait_s"
tap_like "$screen" "done [1] ALTER TABLE books ADD COLUMN author_id" "the first shows done"
tap_like "$screen" "CREATE INDEX books_author" "the second statement shows"
screen_keys y
gate_commit
tap_ok "stepping ends applied" screen_wait_for "Done: 1 migration applied." "$wait_s"
tap_is "$(history)" "0001 0002 0003 " "0003 is recorded"
tap_is "$(columns books)" "id title author_id " "its column is there"
screen_keys Escape

# 3. r at the commit gate: nothing changes.
schema_before=$(sw schema 2>&1)
screen_wait_for "= 0003" "$wait_s"
screen_keys u
screen_wait_for "Next: apply 0004" "$wait_s" || tap_diag "no confirmation for 0004"
screen_keys y
tap_ok "0004 reaches the gate" screen_wait_for "c commit   r roll back" "$wait_s"
tap_like "$screen" "+  column email TEXT" "the gate shows the new column"
screen_keys r
tap_ok "r rolls back" screen_wait_for "0004: stopped" "$wait_s"
tap_like "$screen" "rolled back at the commit gate by the operator" "the screen says who decided"
tap_is "$(sw schema 2>&1)" "$schema_before" "the schema is as before"
tap_is "$(history)" "0001 0002 0003 " "the history is as before"
tap_is "$(columns authors)" "id name " "authors has no email column"
screen_keys Escape

# 4. n in the middle of a plan: what was committed stays.
screen_wait_for "> 0004" "$wait_s"
screen_keys G U
tap_ok "U on the last plans two" screen_wait_for "Apply up to 0005" "$wait_s"
screen_keys y
gate_commit
tap_ok "0005 is asked for" screen_wait_for "Next: apply 0005" "$wait_s"
screen_keys n
tap_ok "n stops the plan there" \
    screen_wait_for "Stopped before 0005 (n); the migrations before it are committed." "$wait_s"
tap_like "$screen" "2   0005           add_isbn           not run" "0005 shows not run"
tap_is "$(history)" "0001 0002 0003 0004 " "0004 stays applied, 0005 is not"
screen_keys Escape

# 5. Roll back the latest.
screen_wait_for "= 0004" "$wait_s"
screen_keys b
tap_ok "b plans the rollback of the latest" \
    screen_wait_for "Next: roll back 0004 add_email" "$wait_s"
screen_keys y
gate_commit
tap_ok "the rollback ends" screen_wait_for "Done: 1 migration rolled back." "$wait_s"
tap_is "$(history)" "0001 0002 0003 " "0004 is no longer recorded"
tap_is "$(columns authors)" "id name " "its column is gone"
screen_keys Escape
tap_ok "the list shows 0004 pending again" screen_wait_for "> 0004" "$wait_s"

# 6. Every decision is in the audit trail, in the events table and the file.
ev=$(events)
tap_like "$ev" "confirm 0001 run" "the first confirmation is recorded"
tap_like "$ev" "commit_gate 0001 commit" "the commit at the gate is recorded"
tap_like "$ev" "confirm 0003 step" "stepping is recorded"
tap_like "$ev" "commit_gate 0004 rollback" "the rollback at the gate is recorded as a decision"
tap_like "$ev" "operator_abort 0004 aborted" "and as the migration's end"
tap_like "$ev" "confirm 0005 stop" "the stop is recorded"
tap_like "$ev" "rollback 0004 ok" "the rollback is recorded"
tap_like "$(cat "$tmp/state/stepwise/audit.jsonl")" '"action":"commit_gate"' \
    "the local audit file has the decisions too"

screen_keys q
tap_done
