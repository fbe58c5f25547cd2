#!/bin/sh
# DESIGN.md §1: core/ knows nothing of the terminal. No file there may
# include curses (or its terminfo, panel, menu or form libraries) nor
# libedit, and the core library must not reference their symbols.
. "$top_srcdir/tests/harness/tap.sh"

hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]((n?curses(w/)?)?(n?curses|term|panel|menu|form)\.h|histedit\.h|editline/|readline/)' \
    "$top_srcdir"/core/*.c "$top_srcdir"/core/*.h 2>&1)
tap_is "$hits" "" "no curses or line-editing header is included under core/"

count=$(ls "$top_srcdir"/core/*.c | wc -l | tr -d ' ')
tap_ok "core/ has sources to check ($count files)" test "$count" -gt 0

lib="$top_builddir/core/libcore.a"
if command -v nm >/dev/null 2>&1 && [ -f "$lib" ]; then
    syms=$(nm -u "$lib" | grep -E ' (initscr|newterm|endwin|wrefresh|mvwprintw|tgetent|setupterm|el_init|readline)$')
    tap_is "$syms" "" "core/libcore.a references no curses or editline symbol"
else
    tap_result 1 "core/libcore.a exists and nm can read it"
fi

tap_done
