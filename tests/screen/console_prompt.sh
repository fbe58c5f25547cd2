#!/bin/sh
# Screen test: the console's `:` prompt on a SQLite file (tmux, 80x24). A
# reading command's output lands in the text view (the same text as the
# command line prints) while keys still work, and Esc stops one that
# waits; Tab completes commands and versions; set; a mistyped command gets
# a "did you mean"; Up recalls earlier lines, also after a restart (the
# history file under $XDG_STATE_HOME); :up leaves curses, asks per
# migration as the command line does, and comes back on Enter with the
# list read again; :locks and :history switch views; :q quits.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"
. "$top_srcdir/tests/screen/migrate_screen.sh"

command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3 command to look at the database"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}
migrations_folder "$tmp/m" 3
file=$tmp/shop.db
state=$tmp/state
versions() { sqlite3 -batch "$file" "select group_concat(version, ',') from
                                     (select version from stepwise_history order by version)"; }

# 0001 applied, 0002 and 0003 pending. Short relative names keep the
# command's output inside 80 columns.
(cd "$tmp" && XDG_STATE_HOME=$state "$STEPWISE" --dir m --db sqlite:shop.db up -n 1 --yes \
    >/dev/null 2>&1) || tap_bail "cannot apply 0001 on $file"

screen_start "sh"
trap 'screen_stop; kill $locker 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
screen_wait_for '$' || tap_bail "no shell prompt in tmux"
locker=""

console() {
    screen_type "clear; cd '$tmp'; XDG_STATE_HOME='$state' '$STEPWISE' --dir m --db sqlite:shop.db; echo $1:\$?"
    screen_wait_for "lock: not held" "$wait_s"
}
# row N: line N (1-based) of $screen.
row() { printf '%s\n' "$screen" | sed -n "$1p"; }
status_row() { row 23; }
# prompt TEXT: open the prompt and type TEXT (no Enter).
prompt() { screen_keys :; tmux -S "$screen_socket" send-keys -t test -l "$1"; }

tap_ok "the console opens on the file" console run1

# 1. : opens the prompt; Tab completes a command.
screen_keys :
# Not screen_wait_for ":": the clock has colons too.
for _ in $(seq 1 50); do
    screen=$(screen_capture)
    [ "$(status_row)" = ":" ] && break
    sleep 0.1
done
tap_is "$(status_row)" ":" "':' opens a prompt on the status line"
tmux -S "$screen_socket" send-keys -t test -l "sta"
screen_keys Tab
tap_ok "Tab completes :sta" screen_wait_for ":status" "$wait_s"
tap_is "$(status_row)" ":status" "to :status"
tap_is "$(screen_cursor)" "8 22" "and a blank after it"

# 2. :status: the command line's output in the text view.
screen_keys Enter
tap_ok ":status opens the text view" screen_wait_for "Text :status" "$wait_s"
expected=$(cd "$tmp" && XDG_STATE_HOME=$state "$STEPWISE" --dir m --db sqlite:shop.db status \
    | cut -c1-80 | sed 's/[[:space:]]*$//')
lines=$(printf '%s\n' "$expected" | wc -l)
# The title shows as soon as the command starts; its output a moment later.
screen_wait_for "$(printf '%s\n' "$expected" | tail -n 1)" "$wait_s"
tap_is "$(printf '%s\n' "$screen" | sed -n "3,$((lines + 2))p")" "$expected" \
    "the text view shows what 'stepwise status' prints"
tap_like "$(row 2)" ":status" "under the title of the command typed"
screen_keys Escape

# 3. Tab on a version: the choices, then one.
prompt "goto 00"
screen_keys Tab
tap_ok "Tab after goto offers the versions, below the line" \
    screen_wait_for "0001 0002 0003" "$wait_s"
tap_is "$(row 24)" "0001 0002 0003" "in place of the keys"
tap_is "$(status_row)" ":goto 000" "and puts in what they share"
tmux -S "$screen_socket" send-keys -t test -l "2"
screen_keys Tab
tap_ok "one left: the version is completed" screen_wait_for ":goto 0002" "$wait_s"
tap_is "$(screen_cursor)" "11 22" "with a blank after it"
screen_keys Escape
screen_wait_for "TabView" 1

# 4. set, and set alone shows it.
prompt "set lock-timeout 2s"
screen_keys Enter
tap_ok ":set lock-timeout 2s is taken" \
    screen_wait_for "lock-timeout 2s for the commands run from here" "$wait_s"
prompt "set"
screen_keys Enter
tap_ok ":set shows it" \
    screen_wait_for "lock-timeout 2s, statement-timeout default, refresh 2.0 s" "$wait_s"
prompt "set lock-timeout soon"
screen_keys Enter
tap_ok "a value that is not a duration is refused, saying why" \
    screen_wait_for "set lock-timeout: 'soon' is not a duration (500ms, 2s, 1min, or default)" "$wait_s"
prompt "set colour red"
screen_keys Enter
tap_ok "an unknown setting names the settings there are" \
    screen_wait_for "no setting 'colour' (lock-timeout, statement-timeout, refresh)" "$wait_s"

# 5. A mistyped command.
prompt "stauts"
screen_keys Enter
tap_ok "a mistyped command gets a did-you-mean" \
    screen_wait_for "unknown command 'stauts': did you mean 'status'?" "$wait_s"
prompt "status 'open"
screen_keys Enter
tap_ok "an unterminated quote is a clear error" \
    screen_wait_for "unterminated ' quote: close it with another '" "$wait_s"

# 6. Up recalls earlier lines, newest first; Down comes back.
screen_keys : Up
tap_ok "Up recalls the previous line" screen_wait_for ":status 'open" "$wait_s"
screen_keys Up
tap_ok "Up again, the one before" screen_wait_for ":stauts" "$wait_s"
screen_keys Down
tap_ok "Down comes back" screen_wait_for ":status 'open" "$wait_s"
screen_keys C-u Escape

# 7. Views by name.
prompt "locks"
screen_keys Enter
tap_ok ":locks switches to the locks view" screen_wait_for " Locks" "$wait_s"
prompt "history"
screen_keys Enter
tap_ok ":history switches to the history view" screen_wait_for " History" "$wait_s"
prompt "migrations"
screen_keys Enter
screen_wait_for " Migrations" "$wait_s"

# 8. A reading command that waits (another connection holds the file's
# exclusive lock; SQLite waits up to 5 s) does not freeze the keys, and
# Esc stops it.
( printf 'BEGIN EXCLUSIVE;\n'; sleep 8 ) | sqlite3 "$file" &
locker=$!
sleep 0.5
prompt "status"
screen_keys Enter
tap_ok "the status line says what runs" \
    screen_wait_for "running stepwise status (" "$wait_s"
tap_like "$(status_row)" "Esc stops it" "and how to stop it"
screen_keys '?'
tap_ok "keys work meanwhile (? opens help)" screen_wait_for " Help" 3
screen_keys Escape
tap_ok "Esc stops the command: the text view says so" screen_wait_for "[stopped with Esc]" 3
kill $locker 2>/dev/null
wait $locker 2>/dev/null
locker=""
screen_keys Escape

# 9. :up with options the Apply view does not take (--snapshot-each)
# leaves curses, asks as the command line does, and comes back.
prompt "up -n 1 --snapshot-each"
screen_keys Enter
tap_ok ":up -n 1 --snapshot-each runs on the terminal and asks" \
    screen_wait_for "Apply 0002_create_posts? [y/N/q]" "$wait_s"
tap_like "$screen" "$ stepwise up -n 1 --snapshot-each" "the command is named above its output"
tap_like "$screen" "CREATE TABLE posts (id integer, user_id integer);" "its SQL is shown"
tap_ok "the child has the console's options and the set lock-timeout" \
    sh -c "ps -eo args | grep -F -- '--dir m --lock-timeout 2s up -n 1 --snapshot-each' | grep -v grep >/dev/null"
screen_keys y Enter
tap_ok "y applies it, then Enter is asked for" \
    screen_wait_for "Press Enter to return to the console." "$wait_s"
tap_like "$screen" "applying 0002 create_posts ... done (" "0002 is applied"
tap_is "$(versions)" "0001,0002" "the database has 0002 recorded"
screen_keys Enter
tap_ok "Enter returns to the console" screen_wait_for "up -n 1 --snapshot-each: done" "$wait_s"
# The list is read again in the background: wait for the applied marker.
screen_wait_for "= 0002" "$wait_s"
tap_ok "whose list was read again: 0002 shows applied" \
    sh -c "printf '%s\n' \"\$1\" | grep -qE '= 0002 .*applied'" - "$screen"

# 10. :q quits; the next console's prompt remembers.
prompt "q"
screen_keys Enter
tap_ok ":q quits with 0" screen_wait_for "run1:0" "$wait_s"
tap_ok "the history file is under XDG_STATE_HOME" test -s "$state/stepwise/history"
tap_ok "a new console opens" console run2
screen_keys : Up
tap_ok "Up shows the last line of the previous run" screen_wait_for ":q" "$wait_s"
screen_keys Up
tap_ok "and the one before it" screen_wait_for ":up -n 1 --snapshot-each" "$wait_s"
screen_keys C-u
tmux -S "$screen_socket" send-keys -t test -l "quit"
screen_keys Enter
tap_ok ":quit quits too" screen_wait_for "run2:0" "$wait_s"

tap_done
