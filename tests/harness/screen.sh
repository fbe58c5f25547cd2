# Screen-test helpers: drive the real program in a private tmux server at
# a fixed size and read back what a person would see. Sourced, never run.
# Needs tap.sh sourced first.

screen_size_cols=80
screen_size_rows=24

# screen_start COMMAND: a new tmux server of our own (never the user's)
# running COMMAND in an 80x24 window with a plain shell environment.
screen_start() {
    command -v tmux >/dev/null 2>&1 || {
        if [ "${CI:-}" = true ]; then tap_bail "tmux is missing (CI=true: apt-get install tmux)"; fi
        tap_skip_all "tmux is not installed (apt-get install tmux)"
    }
    screen_dir=$(mktemp -d)
    screen_socket="$screen_dir/tmux.sock"
    trap 'screen_stop' EXIT
    tmux -S "$screen_socket" -f /dev/null new-session -d -s test \
        -x "$screen_size_cols" -y "$screen_size_rows" \
        "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 PS1='$ ' $1" ||
        tap_bail "tmux could not start a session"
    tmux -S "$screen_socket" set-option -t test -g status off >/dev/null
    tmux -S "$screen_socket" set-option -t test remain-on-exit on >/dev/null
}

screen_stop() {
    if [ -n "${screen_socket:-}" ]; then
        tmux -S "$screen_socket" kill-server 2>/dev/null
        rm -rf "$screen_dir"
        screen_socket=""
    fi
}

# screen_type TEXT: type TEXT literally, then Enter.
screen_type() {
    tmux -S "$screen_socket" send-keys -t test -l "$1"
    tmux -S "$screen_socket" send-keys -t test Enter
}

# screen_keys KEY...: tmux key names (C-c, Escape, Up, q, ...).
screen_keys() {
    tmux -S "$screen_socket" send-keys -t test "$@"
}

# screen_capture: the visible screen, one line per row, trailing blanks cut.
screen_capture() {
    tmux -S "$screen_socket" capture-pane -p -t test | sed 's/[[:space:]]*$//'
}

# screen_wait_for TEXT [SECONDS]: wait until TEXT is on the screen; the
# final screen is in $screen. Returns 1 on time-out.
screen_wait_for() {
    _deadline=$(( $(date +%s) + ${2:-10} ))
    while :; do
        screen=$(screen_capture)
        case "$screen" in *"$1"*) return 0 ;; esac
        [ "$(date +%s)" -lt "$_deadline" ] || return 1
        sleep 0.1
    done
}

# screen_cursor: "column row" of the cursor, 0-based.
screen_cursor() {
    tmux -S "$screen_socket" display-message -p -t test '#{cursor_x} #{cursor_y}'
}
