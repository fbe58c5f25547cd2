#!/bin/sh
# Screen test of the console's display on SQLite (tmux): the top bar (view,
# server version, lock, target, clock) and the bottom key bar; help lists
# every key of keys.c's table; 60x15, 59x14 (too small) and 200x50;
# NO_COLOR; the view keys 1-4 and Tab; q quits.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"
. "$top_srcdir/tests/screen/migrate_screen.sh"

work=$(mktemp -d)
export XDG_STATE_HOME="$work/state"
migrations_folder "$work/m" 3
"$STEPWISE" --db "sqlite:$work/shop.db" --dir "$work/m" up --yes >"$work/up.log" 2>&1 ||
    tap_bail "stepwise up failed: $(cat "$work/up.log")"
# The version the top bar must show, as `info` reads it from the library.
server=$("$STEPWISE" info --db "sqlite:$work/shop.db" | sed -n 's/^server: *//p')
[ -n "$server" ] || tap_bail "stepwise info names no server"

screen_start "sh"
trap 'screen_stop; rm -rf "$work"' EXIT
screen_wait_for '$' || tap_bail "no shell prompt in tmux"
screen_type "cd '$work'"

resize() {
    tmux -S "$screen_socket" resize-window -t test -x "$1" -y "$2"
}
# The screen with the clock (the top bar's last field) masked.
masked() {
    screen_capture | sed -E '1s/[0-2][0-9]:[0-5][0-9]:[0-6][0-9]$/HH:MM:SS/'
}
top_bar() { masked | sed -n 1p; }
key_bar() { screen_capture | sed -n '$p'; }
# The console is up once its top bar names the lock.
start_console() { # $1: environment assignments, $2: step marker
    screen_type "clear; $1 '$STEPWISE' --db sqlite:shop.db --dir m; echo $2:\$?"
    screen_wait_for "lock: not held" || tap_bail "the console did not start ($2)"
}
# Wait until the top bar starts with a view's title.
wait_top() {
    _deadline=$(( $(date +%s) + 5 ))
    while :; do
        case "$(screen_capture | sed -n 1p)" in " $1"*) return 0 ;; esac
        [ "$(date +%s)" -lt "$_deadline" ] || return 1
        sleep 0.1
    done
}

# 1. The bars, on the history view (its position text is its own: 1/4).
start_console "" run1
screen_keys 4
wait_top History || tap_bail "4 did not show the history view"
screen_wait_for "apply" || tap_bail "the history view shows no events"
tap_is "$(top_bar)" \
    "$(printf '%-71s%s' " History 1/4 | $server | lock: not held | shop.db" HH:MM:SS)" \
    "top bar: view, position, server version, lock not held, the SQLite file, a clock"
tap_ok "the clock is a time of day" \
    sh -c 'printf "%s\n" "$1" | sed -n 1p | grep -Eq " [0-2][0-9]:[0-5][0-9]:[0-6][0-9]$"' sh "$screen"
tap_is "$(key_bar)" "RReload /Filter ?Help :Cmd TabView EnterOpen qQuit" \
    "bottom bar: the history view's keys, then the keys of every view"

# 2. The view keys and Tab.
for pair in 1:Migrations 2:Locks 3:Activity 4:History; do
    screen_keys "${pair%%:*}"
    tap_ok "${pair%%:*} shows the ${pair#*:} view" wait_top "${pair#*:}"
done
screen_keys 1
wait_top Migrations
for title in Locks Activity History Migrations; do
    screen_keys Tab
    tap_ok "Tab goes on to the $title view" wait_top "$title"
done
screen_keys BTab
tap_ok "Shift-Tab goes back to the History view" wait_top History
tap_like "$(key_bar)" "RReload /Filter " "the bottom bar follows the view"

# 3. Help, tall enough to show whole, against the golden file (reviewed
# against keys.c), then key by key from keys.c's table itself.
resize 120 100
screen_keys '?'
tap_ok "? shows help" wait_top Help
screen_wait_for "Apply view (A)" || true
help=$(screen_capture | sed -n '2,97p' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
tap_is "$help" "$(cat "$top_srcdir/tests/screen/console/help.txt")" \
    "help at 120x100 is tests/screen/console/help.txt"
# Every binding of keys.c: its label listed, in its view's section, on
# the line of its request's : name.
sections=$(printf '%s\n' "$help" | awk '
    /^[^ ]/ { s = $1 }
    /^  / && s != "" { print s "\t" $0 }')
names=$(sed -nE 's/^ *R\(([A-Z_]+), "([^"]*)".*/\1 \2/p' "$top_srcdir/tui/keys.h")
missing=
count=0
bindings=$(sed -nE 's/^ *\{.*, "([^"]+)", REQ_([A-Z_]+), (NULL|"([a-z]+)"),.*/\1 \2 \4/p' \
    "$top_srcdir/tui/keys.c")
while read -r label req view; do
    count=$((count + 1))
    name=$(printf '%s\n' "$names" | awk -v r="$req" '$1 == r { print $2 }')
    case $view in
        "") section=Everywhere ;;
        *) section=$(printf '%s' "$view" | awk '{ print toupper(substr($0, 1, 1)) substr($0, 2) }') ;;
    esac
    printf '%s\n' "$sections" | awk -F '\t' -v s="$section" -v l="$label" -v n="$name" '
        $1 == s {
            line = $2; sub(/^  /, "", line)
            at = index(line, " " n " ")
            if (at == 0) next
            keys = substr(line, 1, at - 1); sub(/ +$/, "", keys)
            k = split(keys, list, ", ")
            for (i = 1; i <= k; i++) if (list[i] == l) found = 1
        }
        END { exit !found }' || missing="$missing [$label $name ${view:-everywhere}]"
done <<EOF
$bindings
EOF
tap_ok "keys.c has bindings to check ($count)" test "$count" -ge 40
tap_is "$missing" "" "help lists every key of keys.c with its request, in its view's section"
screen_keys Escape
tap_ok "Esc leaves help for the view it came from" wait_top History

# 4. Sizes: 60x15 is drawn whole; 59x14 is the plain too-small screen;
# 200x50 is drawn as a console started at 200x50 draws it.
resize 60 15
sleep 0.5
screen=$(screen_capture)
tap_like "$(printf '%s\n' "$screen" | sed -n 1p)" " History 1/4 | $server" "60x15: the top bar"
tap_like "$(printf '%s\n' "$screen" | sed -n 2p)" "at (UTC)" "60x15: the list's header"
tap_like "$(printf '%s\n' "$screen" | sed -n 15p)" "RReload /Filter ?Help" "60x15: the key bar on row 15"
tap_unlike "$screen" "too small" "60x15 is not too small"
for size in "59 14" "59 15" "60 14"; do
    resize $size
    sleep 0.5
    tap_is "$(screen_capture | sed -e '/^$/d' -e 's/^ *//')" "terminal too small (need 60x15)" \
        "${size% *}x${size#* }: only the too-small message"
done
screen_keys 1
resize 200 50
sleep 0.5
screen_keys 4
wait_top History
sleep 0.3
after=$(masked)
tap_is "$(printf '%s\n' "$after" | wc -l)" 50 "200x50: every row used"
tap_like "$(printf '%s\n' "$after" | sed -n 50p)" "RReload /Filter ?Help" "200x50: the key bar on row 50"
tmux -S "$screen_socket" new-session -d -s fresh -x 200 -y 50 \
    "cd '$work' && env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_STATE_HOME='$XDG_STATE_HOME' '$STEPWISE' --db sqlite:shop.db --dir m"
sleep 0.5
tmux -S "$screen_socket" send-keys -t fresh 4
sleep 0.5
fresh=$(tmux -S "$screen_socket" capture-pane -p -t fresh | sed 's/[[:space:]]*$//' |
    sed -E '1s/[0-2][0-9]:[0-5][0-9]:[0-6][0-9]$/HH:MM:SS/')
tmux -S "$screen_socket" kill-session -t fresh
tap_is "$after" "$fresh" "200x50 after resizing is what a console started at 200x50 shows: no leftovers"

# 5. q quits with status 0.
screen_keys q
tap_ok "q quits the console with status 0" screen_wait_for "run1:0"

# 6. Colours, and none under NO_COLOR: no SGR colour parameter (30-38,
# 40-48, 90-97, 100-107) anywhere on the screen, on every view.
colours() { # the colour parameters of the screen's SGR sequences
    tmux -S "$screen_socket" capture-pane -e -p -t test | grep -oE "$(printf '\033')\\[[0-9;]*m" |
        sed -e 's/^.\[//' -e 's/m$//' | tr ';' '\n' | grep -E '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' |
        sort -u | tr '\n' ' '
}
resize 80 24
for run in "run2:" "run3:NO_COLOR=1"; do
    marker=${run%%:*}
    start_console "${run#*:}" "$marker"
    all=
    for key in 1 2 3 4 '?'; do
        screen_keys "$key"
        sleep 0.4
        all="$all $(colours)"
    done
    all=$(printf '%s\n' $all | sort -u | tr '\n' ' ' | sed 's/ $//')
    if [ "$marker" = run2 ]; then
        tap_ok "without NO_COLOR the screen has colours ($all)" test -n "$all"
    else
        tap_is "$all" "" "NO_COLOR=1: no colour at all on any view"
        screen_keys Escape
        wait_top History
        attrs=$(tmux -S "$screen_socket" capture-pane -e -p -t test | sed -n 3p | grep -cE "$(printf '\033')\\[([0-9;]*;)?7[;m]")
        tap_is "$attrs" 1 "NO_COLOR=1: the selected line is in reverse video"
    fi
    screen_keys Escape
    sleep 0.2
    screen_keys q
    tap_ok "q quits ($marker)" screen_wait_for "$marker:0"
done

# 7. The history view's rows: a failed migration whose error holds an
# escape sequence shows it escaped, its outcome in red; Enter shows the
# event whole; / filters; R reads the events again.
printf 'SELECT * FROM "evil\033[2Jtable";\n' >"$work/m/0004_evil.up.sql"
printf 'SELECT 1;\n' >"$work/m/0004_evil.down.sql"
"$STEPWISE" --db "sqlite:$work/shop.db" --dir "$work/m" up --yes >"$work/up.log" 2>&1
resize 200 30
start_console "" run4
screen_keys 4
wait_top History
screen_wait_for "failed" || true
rows=$(masked | sed -n '2,9p' | sed -E -e 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}/YYYY-MM-DD HH:MM:SS/' \
    -e 's/ (os=[^ ]*|host=[^ ]*)/ U/g' -e 's/(saved to ).*/\1.../' -e "s|$work|WORK|g" -e 's/ +$//')
tap_is "$rows" "$(cat "$top_srcdir/tests/screen/console/history.txt")" \
    "history: newest first, times, actor and paths masked (tests/screen/console/history.txt)"
screen_keys j
sleep 0.3
tap_ok "the failed outcome is in the error style (red) once not selected" \
    sh -c 'tmux -S "$1" capture-pane -e -p -t test | grep "0004" | grep -q "$(printf "\033")\[31m[^ ]*failed"' \
    sh "$screen_socket"
screen_keys k
screen_keys Enter
tap_ok "Enter shows the whole event" wait_top "Text Event"
tap_like "$(screen_capture)" 'no such table: evil\x1B[2Jtable' "its detail, escaped"
screen_keys Escape
wait_top History
screen_keys / a p p l y Enter
sleep 0.3
tap_like "$(top_bar)" " History 1/4 of 6, /apply |" "/apply keeps the four apply events"
tap_unlike "$(screen_capture)" "snapshot" "and hides the rest"
screen_keys / C-u Enter
sleep 0.3
tap_like "$(top_bar)" " History 1/6 |" "an empty filter shows every event again"
"$STEPWISE" --db "sqlite:$work/shop.db" --dir "$work/m" down --yes >"$work/down.log" 2>&1
screen_keys R
tap_ok "R reads the events again: the rollback shows" screen_wait_for "rollback"
screen_keys q
tap_ok "q quits (run4)" screen_wait_for "run4:0"

tap_done
