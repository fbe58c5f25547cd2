#!/bin/sh
# Screen test: the real program in a real terminal (tmux, 80x24), checking
# what a person sees, including that text from a database cannot drive
# the terminal.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"

work=$(mktemp -d)
: > "$work/shop.db"
# A file name holding "clear screen" and "cursor home": if stepwise echoed
# it raw, the terminal would be wiped.
evil_name=$(printf 'evil\033[2J\033[H.db')
: > "$work/$evil_name"

screen_start "sh"
trap 'screen_stop; rm -rf "$work"' EXIT
screen_wait_for '$' || tap_bail "no shell prompt in tmux"

# Each step ends with its own marker, so a wait never matches an earlier step.
screen_type "clear; $STEPWISE info --db sqlite:$work/shop.db; echo step1:\$?"
tap_ok "info runs in the terminal" screen_wait_for "step1:0"
tap_like "$screen" "target:    sqlite:$work/shop.db (from --db)" "the target is on screen"
tap_like "$screen" "server:    SQLite 3." "the SQLite version is on screen"
tap_like "$screen" "read-only: no" "the last line is on screen"

screen_type "echo marker-before-evil; $STEPWISE info --db '$work/$evil_name'; echo step2:\$?"
tap_ok "info on a file with escape codes in its name finishes" screen_wait_for "step2:0"
tap_like "$screen" "marker-before-evil" "the terminal was not cleared by the name"
tap_like "$screen" 'evil\x1B[2J\x1B[H.db' "the escape codes are shown, escaped"

# No command opens the console; the file's name shows escaped in its top
# bar too, and q brings the shell back with status 0.
mkdir "$work/m"
screen_type "clear; cd '$work'; $STEPWISE --db './$evil_name' --dir m; echo step3:\$?"
tap_ok "no command: the console opens" screen_wait_for "lock: not held"
# (at 80 columns the bar may cut the name's end: the escapes are what matter)
tap_like "$screen" './evil\x1B[2J\x1B[H' "the console shows the name escaped"
screen_keys q
tap_ok "q quits the console" screen_wait_for "step3:0"

screen_type "clear; $STEPWISE --help | head -n 22; echo step4:\$?"
tap_ok "help is shown" screen_wait_for "step4:0"
tap_like "$screen" "Usage: stepwise [OPTION...] [COMMAND [ARG...]]" "help usage line on screen"
# Nothing wrapped: every row is at most 80 columns and the command column
# lines up, as a person reading it at 80x24 would see.
tap_like "$screen" "  preflight              the checks made before up, down and goto" \
    "help rows are not wrapped at 80 columns"

tap_done
