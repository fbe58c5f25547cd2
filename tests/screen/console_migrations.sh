#!/bin/sh
# Screen test of the console's migrations view on a SQLite file (tmux,
# 80x24): the list with every state (applied, drifted, dirty, pending, out
# of order) and its marker, moving, the / filter, the selection kept on
# its version across a reload, and each tab of the detail pane: SQL (the
# exact text `stepwise plan` prints, escape sequences escaped), Lint,
# Locks (PostgreSQL needed), Diff (the dry run, after which the database
# is as before) and History (the dry run's audit event).
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}

m=$tmp/m
mkdir "$m"
line() { printf '%s\n' "$2" >"$m/$1"; }
line 0001_create_users.up.sql 'CREATE TABLE users (id integer PRIMARY KEY);'
line 0001_create_users.down.sql 'DROP TABLE users;'
line 0002_create_posts.up.sql 'CREATE TABLE posts (id integer, user_id integer);'
line 0002_create_posts.down.sql 'DROP TABLE posts;'
printf '%s\n' '-- stepwise:no-transaction' 'create table n1 (id int);' \
    'insert into created_later values (1);' >"$m/0003_nt.up.sql"
printf '%s\n' 'ALTER TABLE users ADD COLUMN email text; -- a comment' \
    "UPDATE users SET email = 'x''y';" >"$m/0004_add_email.up.sql"
line 0004_add_email.down.sql 'ALTER TABLE users DROP COLUMN email;'
esc=$(printf '\033')
printf "CREATE TABLE tags (name text DEFAULT 'a%s[2Jb');\n" "$esc" >"$m/0005_tags.up.sql"

export XDG_STATE_HOME="$tmp/state"
# sw ARGS: stepwise from the test's folder, as the console runs there.
sw() { (cd "$tmp" && "$STEPWISE" "$@" --dir m --db sqlite:shop.db); }
sw up --yes -n 2 >/dev/null 2>&1 || tap_bail "up -n 2 failed"
sw up --yes -n 1 >/dev/null 2>&1 # 0003 fails part way: dirty
echo '-- edited after it was applied' >>"$m/0002_create_posts.up.sql" # drifted
schema_before=$(sw schema 2>&1)
history_before=$(sqlite3 -batch "$tmp/shop.db" 'select version, dirty from stepwise_history' 2>&1)

screen_start "sh -c \"cd '$tmp' && exec env XDG_STATE_HOME='$tmp/state' '$STEPWISE' --dir m --db sqlite:shop.db\""
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# rows FIRST LAST: those lines of the screen, times and durations masked.
rows() {
    printf '%s\n' "$screen" | sed -n "$1,$2p" |
        sed -E -e 's/[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/MM-DD hh:mm/' -e 's/ +[0-9]+ ms/ N ms/'
}
# pane: the detail pane's text (below its tab bar, trailing blank rows cut).
pane() { printf '%s\n' "$screen" | sed -n '10,22p' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }

# 1. The list.
# The states come once the history is read (before that they say unknown).
tap_ok "the console shows the migrations" screen_wait_for "= 0001" "$wait_s"
tap_is "$(rows 2 7)" "  VERSION NAME                     STATE        APPLIED AT  DURATION TX    LINT
= 0001    create_users             applied      MM-DD hh:mm N ms tx    hint
~ 0002    create_posts             drifted      MM-DD hh:mm N ms tx    hint
! 0003    nt                       dirty        MM-DD hh:mm          no-tx ok
> 0004    add_email                pending                           tx    hint
> 0005    tags                     pending                           tx    ok" \
    "each version with its marker, state, time, transaction and worst lint finding"
tap_like "$screen" " Migrations 1/5 " "the top bar says where the selection is"

# 2. Moving and filtering.
screen_keys j j
tap_ok "j moves down" screen_wait_for " Migrations 3/5 " "$wait_s"
screen_keys /
screen_type "add"
tap_ok "/add filters by name" screen_wait_for " Migrations 1/1 of 5 " "$wait_s"
tap_is "$(rows 2 4)" "  VERSION NAME (filter: add)       STATE        APPLIED AT  DURATION TX    LINT
> 0004    add_email                pending                           tx    hint" "only 0004 is left, the filter named in the header"
screen_keys / C-u Enter
tap_ok "an empty filter shows them all, still on 0004" \
    screen_wait_for " Migrations 4/5 " "$wait_s"
screen_keys /
screen_type "0002"
tap_ok "the filter also matches versions" screen_wait_for " Migrations 1/1 of 5 " "$wait_s"
tap_like "$screen" "~ 0002    create_posts" "0002 is the one left"
screen_keys / C-u Enter
screen_wait_for " Migrations 2/5 " "$wait_s"
screen_keys j j

# 3. SQL: what `stepwise plan` prints for 0004, byte for byte.
plan=$(sw plan -n 1 2>&1 | fold -w 80 | sed 's/[[:space:]]*$//')
screen_keys Enter
tap_ok "Enter opens the SQL tab" screen_wait_for "COMMIT;" "$wait_s"
tap_like "$screen" " SQL  Lint  Locks  Diff  History  0004 add_email" "the tab bar names the version"
shown=$(pane)
tap_is "$shown" "$(printf '%s\n' "$plan" | head -n "$(printf '%s\n' "$shown" | wc -l)")" \
    "the pane's first rows are the start of 'stepwise plan -n 1'"
screen_keys G
sleep 0.5
screen=$(screen_capture)
shown=$(pane)
tap_is "$shown" "$(printf '%s\n' "$plan" | tail -n "$(printf '%s\n' "$shown" | wc -l)")" \
    "scrolled to the end (the pane has the focus), its last rows end it"
tap_like "$shown" "-- SQLite: :duration_ms is the measured time" "down to SQLite's note"

# 4. Lint and Locks.
screen_keys L
tap_ok "L: the Lint tab" screen_wait_for "hint[dropping-column]" "$wait_s"
tap_like "$screen" "    hint: first stop the application" "the finding comes with its hint"
screen_keys O
tap_ok "O: the Locks tab says why it is empty" \
    screen_wait_for "Locks per relation need PostgreSQL" "$wait_s"

# 5. An escape sequence in a script shows escaped.
screen_keys Enter G S
tap_ok "0005's SQL" screen_wait_for "CREATE TABLE tags" "$wait_s"
tap_like "$screen" "CREATE TABLE tags (name text DEFAULT 'a\\x1B[2Jb');" "ESC is shown as \\x1B"
tap_like "$screen" "! 0003    nt" "and the screen was not cleared by it"

# 6. Diff: the dry run, after which nothing has changed.
screen_keys D
tap_ok "D: the Diff tab offers the dry run" screen_wait_for "Press d to dry-run" "$wait_s"
screen_keys d
tap_ok "d runs it and shows the schema diff" screen_wait_for "+ table tags" "$wait_s"
tap_like "$screen" "apply 0004 add_email (m/0004_add_email.up.sql), run first" \
    "0004 ran first, as stepwise diff 0005 runs it"
screen_keys Enter G
tap_ok "at the end of the pane: rolled back, nothing kept" \
    screen_wait_for "3 statements run, 0 lock mismatches with the analysis" "$wait_s"
screen_keys Enter
tap_is "$(sw schema 2>&1)" "$schema_before" "the schema is as before"
tap_is "$(sqlite3 -batch "$tmp/shop.db" 'select version, dirty from stepwise_history' 2>&1)" \
    "$history_before" "and so is the history"

# 7. History: the dry run's event.
screen_keys H
tap_ok "H: the version's audit events" screen_wait_for "dry_run  ok" "$wait_s"
tap_like "$screen" "2 migrations, 3 statements, 0 lock mismatches; schema: 1 added" \
    "with its detail"

# 8. Esc closes the pane; a reload keeps the selection on its version.
screen_keys Escape
sleep 0.5
screen=$(screen_capture)
case "$screen" in *" SQL  Lint  Locks"*) tap_ok "Esc closes the pane" false ;;
*) tap_ok "Esc closes the pane" true ;; esac
screen_keys k
line 0000_first.up.sql 'CREATE TABLE first (id integer);'
screen_keys R
tap_ok "R reads the folder again: 6 migrations, still on 0004" \
    screen_wait_for " Migrations 5/6 " "$wait_s"
tap_like "$screen" "^ 0000    first                    out of order" \
    "the new file below the applied ones is out of order"

screen_keys q
tap_done
