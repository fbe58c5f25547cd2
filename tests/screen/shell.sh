#!/bin/sh
# Screen test: `stepwise shell`, the line-mode console (tmux, 80x24, a
# SQLite file): the `stepwise> ` prompt, commands run with their output and
# confirmations on the terminal, Tab completion of commands and versions,
# Ctrl-C dropping the line, set, errors, the history shared with the
# console's `:` prompt; TERM=dumb falls back to it and says why; a script on
# stdin (`stepwise shell`, or no command at all) runs without prompts and
# ends with the last command's exit status.
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
sw() { (cd "$tmp" && XDG_STATE_HOME=$state "$STEPWISE" --dir m --db sqlite:shop.db "$@"); }

sw up -n 1 --yes >/dev/null 2>&1 || tap_bail "cannot apply 0001 on $file"

# --- A script on stdin: no prompt, the output of the commands, the last
# command's exit status.
status_out=$(sw status 2>&1)
got=$(printf 'status\n' | sw shell 2>&1)
tap_is "$got" "$status_out" "a script: status prints what 'stepwise status' prints, no prompt"
got=$(printf 'status\n' | sw 2>&1)
tap_is "$got" "$status_out" "no command and stdin not a terminal: the same, without prompts"
printf 'status\nstauts\n' | sw shell >"$tmp/out" 2>"$tmp/err"
tap_is "$?" 2 "a script ends with its last command's exit status (2: unknown command)"
tap_is "$(cat "$tmp/err")" "stepwise: unknown command 'stauts': did you mean 'status'?" \
    "with a did-you-mean on stderr"
printf 'stauts\nstatus\n' | sw shell >/dev/null 2>&1
tap_is "$?" 0 "a failing line followed by a good one: 0"
printf 'status\n' | (cd "$tmp" && "$STEPWISE" --dir m --db sqlite:missing.db shell) \
    >/dev/null 2>"$tmp/err"
tap_is "$?" 3 "a command's own exit status is the script's (3: cannot open the database)"
tap_like "$(cat "$tmp/err")" "stepwise: status: exit status 3" "and it is said on stderr"
printf 'status "open\n' | sw shell >/dev/null 2>"$tmp/err"
tap_is "$?" 2 "an unterminated quote: 2"
tap_is "$(cat "$tmp/err")" 'stepwise: unterminated " quote: close it with another "' \
    "saying what is wrong"
# Words are split as a shell splits them: '...' keeps all, "..." and a
# backslash escape; '' is an empty word.
printf '%s\n' "lint 'no such/it'\\''s' \"a \\\"b\\\" \\\\c\" d\\ e ''" | (cd "$tmp" && "$STEPWISE" shell) >/dev/null 2>"$tmp/err"
tap_is "$(grep 'cannot read' "$tmp/err")" "stepwise: no such/it's: cannot read: No such file or directory
stepwise: a \"b\" \\c: cannot read: No such file or directory
stepwise: d e: cannot read: No such file or directory
stepwise: : cannot read: No such file or directory" "quotes and backslashes split as in a shell"
printf 'help\n' | sw shell >"$tmp/out" 2>&1
tap_like "$(cat "$tmp/out")" "  set lock-timeout D       --lock-timeout D for the commands run from here" \
    "help says what the shell takes"
printf 'set lock-timeout 2s\nset\nset refresh 1\n' | sw shell >"$tmp/out" 2>"$tmp/err"
tap_is "$(cat "$tmp/out")" "lock-timeout 2s for the commands run from here
lock-timeout 2s, statement-timeout default" "set and set alone, in a script"
tap_is "$(cat "$tmp/err")" \
    "stepwise: refresh is the console's live refresh interval: the shell has none" \
    "refresh is the console's only"
printf 'up -n 1 --yes\nstatus\n' | sw shell >"$tmp/out" 2>&1
tap_is "$?" 0 "a script can change the database with --yes"
tap_is "$(versions)" "0001,0002" "0002 applied"
tap_like "$(cat "$tmp/out")" "0002     create_posts  applied" \
    "the line after it ran (its child did not read the script)"
sw down -n 1 --yes >/dev/null 2>&1
tap_ok "no history is written by a script" test ! -e "$state/stepwise/history"

# --- On a terminal.
screen_start "sh"
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
screen_wait_for '$' || tap_bail "no shell prompt in tmux"

last_line() { printf '%s\n' "$screen" | sed '/^$/d' | tail -n 1; }
typed() { tmux -S "$screen_socket" send-keys -t test -l "$1"; }
# wait_prompt: wait until the last line is a fresh prompt.
wait_prompt() {
    _deadline=$(( $(date +%s) + wait_s ))
    while screen=$(screen_capture); [ "$(last_line)" != "stepwise>" ]; do
        [ "$(date +%s)" -lt "$_deadline" ] || return 1
        sleep 0.1
    done
}

screen_type "clear; cd '$tmp'; XDG_STATE_HOME='$state' '$STEPWISE' --dir m --db sqlite:shop.db shell; echo sh1:\$?"
tap_ok "stepwise shell shows its prompt" wait_prompt
tap_like "$screen" "stepwise shell: 'help' lists the commands; Ctrl-D leaves." "after one line saying how"
tap_is "$(screen_cursor | cut -d' ' -f1)" 10 "the prompt is 'stepwise> '"

screen_type "clear"
tap_ok "clear (not a command) is refused" wait_prompt
tap_like "$screen" "stepwise: unknown command 'clear'" "with the unknown-command message"
typed "sta"
screen_keys Tab
tap_ok "Tab completes sta" screen_wait_for "stepwise> status" "$wait_s"
screen_keys Enter
tap_ok "status runs" wait_prompt
tap_like "$screen" "$(printf '%s\n' "$status_out" | tail -n 4)" "its output is on the terminal"

typed "goto 00"
screen_keys Tab
tap_ok "Tab after goto puts in what the versions share" screen_wait_for "stepwise> goto 000" "$wait_s"
screen_keys Tab
tap_ok "a second Tab lists them" screen_wait_for "0001  0002  0003" "$wait_s"
typed "3"
screen_keys Tab
tap_ok "one left: completed" screen_wait_for "stepwise> goto 0003" "$wait_s"
tap_is "$(screen_cursor | cut -d' ' -f1)" 20 "with a blank after it"
screen_keys C-c
tap_ok "Ctrl-C drops the line and prompts again" wait_prompt
tap_is "$(versions)" "0001" "nothing ran"

typed "up --lock"
screen_keys Tab
tap_ok "Tab completes an option" screen_wait_for "stepwise> up --lock-" "$wait_s"
screen_keys C-u
typed "up -n 1"
screen_keys Enter
tap_ok "up asks on the terminal as the command line does" \
    screen_wait_for "Apply 0002_create_posts? [y/N/q]" "$wait_s"
screen_keys y Enter
tap_ok "y applies it, then the prompt is back" wait_prompt
tap_like "$screen" "applying 0002 create_posts ... done (" "0002 is applied"
tap_is "$(versions)" "0001,0002" "and recorded"

screen_type "activity"
tap_ok "a console view by name is explained" wait_prompt
tap_like "$screen" "stepwise: 'activity' belongs to the curses console" "as belonging to the console"
screen_type "set lock-timeout 2s"
wait_prompt
screen_type "set"
tap_ok "set shows the settings" wait_prompt
tap_like "$screen" "lock-timeout 2s, statement-timeout default" "with the one just set"
screen_type "status --json"
wait_prompt
screen_keys Up
tap_ok "Up recalls the last line" screen_wait_for "stepwise> status --json" "$wait_s"
screen_keys C-u
screen_type "quit"
tap_ok "quit leaves with the last command's status" screen_wait_for "sh1:0" "$wait_s"

# The console's : prompt sees the shell's lines, and the other way round.
screen_type "clear; cd '$tmp'; XDG_STATE_HOME='$state' '$STEPWISE' --dir m --db sqlite:shop.db; echo con:\$?"
screen_wait_for "lock: not held" "$wait_s"
screen_keys : Up
tap_ok "the console's prompt recalls the shell's last line" screen_wait_for ":quit" "$wait_s"
screen_keys C-u
screen_type "set refresh 1"
screen_keys :
typed "q"
screen_keys Enter
screen_wait_for "con:0" "$wait_s"
screen_type "clear; cd '$tmp'; XDG_STATE_HOME='$state' '$STEPWISE' --dir m --db sqlite:shop.db shell; echo sh2:\$?"
wait_prompt
screen_keys Up Up
tap_ok "the shell recalls the console's lines" screen_wait_for "stepwise> set refresh 1" "$wait_s"
screen_keys C-u C-d
tap_ok "Ctrl-D leaves" screen_wait_for "sh2:0" "$wait_s"

# TERM=dumb: the console cannot draw; the shell comes instead and says why.
screen_type "clear; cd '$tmp'; TERM=dumb XDG_STATE_HOME='$state' '$STEPWISE' --dir m --db sqlite:shop.db; echo dumb:\$?"
tap_ok "TERM=dumb: the line-mode console" wait_prompt
tap_like "$screen" "stepwise: the terminal type (TERM) cannot draw the console; line mode instead." \
    "saying why"
screen_type "status"
tap_ok "status runs there" wait_prompt
tap_like "$screen" "2 applied, 1 pending, 0 dirty, 0 drifted, 0 missing" "with its output"
screen_type "stauts"
wait_prompt
screen_keys C-d
tap_ok "Ctrl-D leaves with the last status (2)" screen_wait_for "dumb:2" "$wait_s"

tap_done
