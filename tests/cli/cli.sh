#!/bin/sh
# Golden output and exit codes of the command line, without a database
# server: help, version, usage errors, and `info` on SQLite files.
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

stepwise_run --help
tap_is "$rc" 0 "--help exits 0"
tap_is "$out" "$(cat "$top_srcdir/tests/cli/help.expected")" "--help matches tests/cli/help.expected"
tap_is "$(printf '%s\n' "$out" | awk 'length > 79' | wc -l | tr -d ' ')" 0 "--help fits 80 columns"
for cmd in status plan up down goto lint diff locks history force new demo lab; do
    case "$out" in
        *"  $cmd "*) tap_result 0 "--help lists '$cmd'" ;;
        *) tap_result 1 "--help lists '$cmd'" ;;
    esac
done

stepwise_run -h
tap_is "$out" "$(cat "$top_srcdir/tests/cli/help.expected")" "-h is --help"

stepwise_run --version
tap_is "$rc" 0 "--version exits 0"
first=$(printf '%s\n' "$out" | sed -n 1p)
tap_ok "--version names the program and a dotted version ($first)" \
    sh -c 'printf "%s\n" "$1" | grep -Eq "^stepwise [0-9]+\.[0-9]+\.[0-9]+$"' _ "$first"
tap_like "$out" "libpq 1" "--version names libpq's version"
tap_like "$out" "SQLite 3." "--version names SQLite's version"
tap_like "$out" "libpg_query (PostgreSQL 15" "--version names the parser"
tap_like "$out" "ncurses" "--version names ncurses"

stepwise_run stauts
tap_is "$rc" 2 "unknown command exits 2"
tap_is "$err" "stepwise: unknown command 'stauts'
Did you mean 'stepwise status'? See 'stepwise --help'." "unknown command: one line plus a hint"
tap_is "$out" "" "unknown command prints nothing on stdout"

stepwise_run frobnicate
tap_is "$err" "stepwise: unknown command 'frobnicate'
Try 'stepwise --help' for the list of commands." "far-off command gets no suggestion"

stepwise_run info --frobnicate
tap_is "$rc" 2 "unknown long option exits 2"
tap_is "$err" "stepwise: unknown option '--frobnicate'
Try 'stepwise --help'." "unknown long option: one line plus a hint"

stepwise_run -Q info
tap_is "$rc" 2 "unknown short option exits 2"
tap_is "$err" "stepwise: unknown option '-Q'
Try 'stepwise --help'." "unknown short option named"

stepwise_run info --db
tap_is "$rc" 2 "option without its value exits 2"
tap_like "$err" "option '--db' needs a value" "missing value named"

stepwise_run info extra
tap_is "$rc" 2 "info with an argument exits 2"
tap_like "$err" "info takes no arguments (got 'extra')" "stray argument named"

stepwise_run "$(printf 'evil\033[2J')"
tap_like "$err" "unknown command 'evil\\x1B[2J'" "control characters in arguments are escaped"

stepwise_run lab extra
tap_is "$rc" 2 "lab with an argument exits 2"
tap_like "$err" "lab takes no arguments (got 'extra')" "stray argument named"
stepwise_run diff
tap_is "$rc" 2 "diff without a VERSION exits 2"
tap_like "$err" "diff needs one VERSION" "and says what it needs"

# ---- info on SQLite
: > "$tmp/empty.db"
stepwise_run info --db "sqlite:$tmp/empty.db"
tap_is "$rc" 0 "info on an empty SQLite file exits 0"
sqlite_version=$(printf '%s\n' "$out" | sed -n 's/^server: *SQLite //p')
tap_ok "info names the SQLite version ($sqlite_version)" \
    sh -c 'printf "%s\n" "$1" | grep -Eq "^3\.[0-9]+\.[0-9]+$"' _ "$sqlite_version"
tap_is "$out" "target:    sqlite:$tmp/empty.db (from --db)
server:    SQLite $sqlite_version
file:      $tmp/empty.db
read-only: no" "info output for a SQLite file"

stepwise_run info --json --db "$tmp/empty.db"
tap_is "$out" "{
  \"target\": \"sqlite:$tmp/empty.db\",
  \"origin\": \"--db\",
  \"driver\": \"sqlite\",
  \"server_version\": \"$sqlite_version\",
  \"server_version_num\": $(printf '%s' "$sqlite_version" | awk -F. '{ printf "%d", $1 * 1000000 + $2 * 1000 + $3 }'),
  \"database\": \"$tmp/empty.db\",
  \"user\": null,
  \"host\": null,
  \"port\": null,
  \"role\": null,
  \"read_only\": false
}" "info --json for a SQLite file (a bare *.db path)"

STEPWISE_DB="sqlite:$tmp/empty.db" DATABASE_URL="sqlite:$tmp/other.db" stepwise_run info
tap_like "$out" "(from STEPWISE_DB)" "STEPWISE_DB comes before DATABASE_URL"
DATABASE_URL="sqlite:$tmp/empty.db" stepwise_run info
tap_like "$out" "(from DATABASE_URL)" "DATABASE_URL is the second fallback"

stepwise_run info --db "sqlite:$tmp/absent.db"
tap_is "$rc" 3 "a missing SQLite file exits 3"
tap_is "$err" "stepwise: cannot open SQLite database $tmp/absent.db: No such file or directory (check the path; reading commands never create a database)" "and says which file and why"
tap_ok "and the file was not created" test ! -e "$tmp/absent.db"

echo "not a database at all, just words" > "$tmp/words.db"
stepwise_run info --db "$tmp/words.db"
tap_is "$rc" 3 "a text file exits 3"
tap_like "$err" "$tmp/words.db: file is not a database" "and is named"

stepwise_run info --db mydb
tap_is "$rc" 2 "an ambiguous target is a usage error"
tap_like "$err" "write 'dbname=mydb' for PostgreSQL or 'sqlite:mydb'" "and says how to write it"

stepwise_run info --db "mysql://root:topsecret@localhost/app"
tap_is "$rc" 2 "another database's URL is a usage error"
tap_unlike "$err" "topsecret" "and its password is not shown"
tap_like "$err" "mysql://root:***@localhost/app" "the password is masked in the echo"

# ---- PostgreSQL connection failures need no server: nothing listens here.
stepwise_run info --db "host=$tmp port=5999 user=alice password=hunter2 dbname=app"
tap_is "$rc" 3 "no server at the socket exits 3"
tap_is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "the connection error is one line"
tap_like "$err" "stepwise: cannot connect to host=$tmp port=5999 dbname=app user=alice:" "it names the target"
tap_unlike "$err" "hunter2" "it never shows the password"

stepwise_run info --db "postgresql://alice:hunter2@127.0.0.1:1/app"
tap_is "$rc" 3 "refused TCP connection exits 3"
tap_unlike "$err$out" "hunter2" "URI password is never shown"

tap_done
