#!/bin/sh
# README.md's commands, extracted and run, so that what a newcomer copies
# works as the README says.
#
# The convention, for whoever edits README.md:
# - Every ```sh block is run, in the order of the file. Other fences
#   (```, ```text, ```ini, ...) are output or file contents and are not.
# - HTML comment lines right before the fence say how:
#     <!-- not run: REASON -->   the block is skipped (TAP "# SKIP REASON");
#                                every block that needs a terminal (the
#                                console) is one: the screen tests cover it;
#     <!-- run: pg -->           against a throwaway PostgreSQL server
#                                (tests/harness/with-pg: PGHOST, PGPORT,
#                                PGUSER, PGDATABASE set), which also has a
#                                database "shop" and a service "shop" in
#                                ~/.pg_service.conf that names it;
#     <!-- run: whole -->        the block is one script, checked by its
#                                exit status (0);
#     <!-- run: in a golang-migrate project -->, <!-- run: in a dbmate
#     project -->                in a folder laid out by that tool: see
#                                make_projects below.
# - Otherwise each command is checked on its own: a line is a command (a
#   line ending in \ goes on to the next; a here-document belongs to the
#   command that opens it; blank and comment lines are skipped), and it
#   must exit 0, or N when its line ends with a comment "# exits N ...".
#   The commands of one block run in one shell, so variables set there
#   carry on to its next commands, but not to other blocks.
# - Everything runs in one temporary folder holding a copy of migrations/
#   (as at the top of the source tree), with HOME inside it (so the state
#   folder is ~/.local/state/stepwise there), no standard input, and the
#   built stepwise (STEPWISE) first on PATH. Files made by a block stay for
#   the next ones.
. "$top_srcdir/tests/harness/tap.sh"

readme=$top_srcdir/README.md
[ -f "$readme" ] || tap_bail "no $readme"
[ -x "$STEPWISE" ] || tap_bail "STEPWISE ($STEPWISE) is not a program"

# run_block ID: runs block ID (its .sh, .mode and .dir made below) and
# writes one line per check to $tmp/results/ID: "STATUS EXPECTED COMMAND".
run_block() {
    _id=$1
    _dir=$(cat "$tmp/blocks/$_id.dir")
    _res=$tmp/results/$_id
    : >"$_res"
    if grep -qx whole "$tmp/blocks/$_id.mode"; then
        (cd "$_dir" && $limit sh "$tmp/blocks/$_id.sh") \
            >"$tmp/results/$_id.log" 2>&1 </dev/null
        printf '%s 0 the block as one script\n' "$?" >>"$_res"
        return
    fi
    # Each command is followed by a check of its status.
    awk -v res="$_res" '
        BEGIN {
            print "__readme_check() { printf \"%s %s \" \"$3\" \"$2\" >>\"" res "\"; " \
                  "sed -n \"$1p\" \"" res ".cmds\" >>\"" res "\"; }"
        }
        function flush() {
            if (cmd == "") return
            n++
            print cmd
            printf "__readme_check %d %d $?\n", n, expect
            first = first_line
            gsub(/[[:space:]]+#.*$/, "", first)
            print first > (res ".cmds")
            cmd = ""
        }
        heredoc != "" {
            cmd = cmd "\n" $0
            line = $0
            sub(/^\t+/, "", line)
            if (line == heredoc) { heredoc = ""; flush() }
            next
        }
        cont {
            cmd = cmd "\n" $0
            cont = /\\$/
            if (!cont) flush()
            next
        }
        /^[[:space:]]*(#|$)/ { next }
        {
            cmd = $0; first_line = $0; expect = 0
            if (match($0, /#[[:space:]]*exits [0-9]+/)) {
                e = substr($0, RSTART, RLENGTH)
                gsub(/[^0-9]/, "", e)
                expect = e + 0
            }
            if (match($0, /<<-?[[:space:]]*["'\'']?[A-Za-z_]+/)) {
                heredoc = substr($0, RSTART, RLENGTH)
                gsub(/^<<-?[[:space:]]*["'\'']?/, "", heredoc)
                next
            }
            cont = /\\$/
            if (!cont) flush()
        }
        END { flush() }
    ' "$tmp/blocks/$_id.sh" >"$tmp/blocks/$_id.run"
    (cd "$_dir" && $limit sh "$tmp/blocks/$_id.run") >"$tmp/results/$_id.log" 2>&1 </dev/null
}

# The child under with-pg: a database and a service named shop, then the
# PostgreSQL blocks.
if [ "${README_PG_CHILD:-}" = 1 ]; then
    tmp=$README_TMP
    limit=$README_LIMIT
    export HOME="$tmp/home"
    psql -XAtqc 'create database shop' >/dev/null 2>&1 ||
        { echo "psql could not create the database shop" >"$tmp/pg-failed"; exit 0; }
    cat >"$HOME/.pg_service.conf" <<EOF
[shop]
host=$PGHOST
port=$PGPORT
dbname=shop
user=$PGUSER
EOF
    for id in $README_PG_BLOCKS; do
        run_block "$id"
    done
    : >"$tmp/pg-ran"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
mkdir "$tmp/blocks" "$tmp/results" "$tmp/bin" "$tmp/home" "$tmp/work" "$tmp/projects"
ln -s "$STEPWISE" "$tmp/bin/stepwise"
cp -R "$top_srcdir/migrations" "$tmp/work/" || tap_bail "cannot copy $top_srcdir/migrations"
PATH="$tmp/bin:$PATH"
HOME=$tmp/home
unset XDG_STATE_HOME STEPWISE_HISTORY
export PATH HOME
limit=
if command -v timeout >/dev/null 2>&1; then limit="timeout 120"; fi

# make_projects: the folders the project blocks run in, as the other tool
# leaves them: its migrations and a SQLite database where it applied some.
have_sqlite3=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=1
make_projects() {
    gm=$tmp/projects/golang-migrate
    mkdir -p "$gm/migrations"
    printf 'CREATE TABLE users (id integer PRIMARY KEY, email text);\n' \
        >"$gm/migrations/000001_create_users.up.sql"
    printf 'DROP TABLE users;\n' >"$gm/migrations/000001_create_users.down.sql"
    printf 'CREATE INDEX users_email ON users (email);\n' \
        >"$gm/migrations/000002_index_email.up.sql"
    printf 'DROP INDEX users_email;\n' >"$gm/migrations/000002_index_email.down.sql"
    printf 'ALTER TABLE users ADD COLUMN name text;\n' \
        >"$gm/migrations/000003_add_name.up.sql"
    printf 'ALTER TABLE users DROP COLUMN name;\n' >"$gm/migrations/000003_add_name.down.sql"
    sqlite3 -batch "$gm/app.db" "CREATE TABLE users (id integer PRIMARY KEY, email text);
        CREATE INDEX users_email ON users (email);
        CREATE TABLE schema_migrations (version uint64, dirty bool);
        INSERT INTO schema_migrations VALUES (2, 0);" || return 1

    dm=$tmp/projects/dbmate
    mkdir -p "$dm/db/migrations"
    printf '%s\n' '-- migrate:up' 'CREATE TABLE users (id integer PRIMARY KEY, email text);' '' \
        '-- migrate:down' 'DROP TABLE users;' >"$dm/db/migrations/20240101120000_create_users.sql"
    printf '%s\n' '-- migrate:up' 'ALTER TABLE users ADD COLUMN name text;' '' \
        '-- migrate:down' 'ALTER TABLE users DROP COLUMN name;' \
        >"$dm/db/migrations/20240102090000_add_name.sql"
    sqlite3 -batch "$dm/db/database.sqlite3" "
        CREATE TABLE users (id integer PRIMARY KEY, email text);
        CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
        INSERT INTO schema_migrations VALUES ('20240101120000');" || return 1
}
projects_ok=0
if [ $have_sqlite3 = 1 ] && make_projects; then projects_ok=1; fi

# Split README.md into its ```sh blocks, each with the comment lines that
# stand right before its fence.
awk -v dir="$tmp/blocks" '
    /^```sh[[:space:]]*$/ && !inside {
        n++; id = sprintf("%03d", n); inside = 1
        print NR > (dir "/" id ".line")
        printf "%s", marks > (dir "/" id ".marks")
        printf "" > (dir "/" id ".sh")
        marks = ""; next
    }
    inside && /^```/ { inside = 0; next }
    inside { print > (dir "/" id ".sh"); next }
    /^<!-- .* -->$/ { marks = marks $0 "\n"; next }
    { marks = "" }
' "$readme"

ids=$(cd "$tmp/blocks" && ls | sed -n 's/\.sh$//p')
[ -n "$ids" ] || tap_bail "README.md has no \`\`\`sh block"
pg_ids=
for id in $ids; do
    marks=$tmp/blocks/$id.marks
    : >"$tmp/blocks/$id.mode"
    echo "$tmp/work" >"$tmp/blocks/$id.dir"
    reason=$(sed -n 's/^<!-- not run: \(.*\) -->$/\1/p' "$marks" | head -n 1)
    if [ -n "$reason" ]; then
        echo "skip $reason" >"$tmp/blocks/$id.mode"
        continue
    fi
    for run in $(sed -n 's/^<!-- run: \(.*\) -->$/\1/p' "$marks" | tr ' ' '_'); do
        case $run in
            pg) echo pg >>"$tmp/blocks/$id.mode"; pg_ids="$pg_ids $id" ;;
            whole) echo whole >>"$tmp/blocks/$id.mode" ;;
            in_a_golang-migrate_project) echo "$tmp/projects/golang-migrate" >"$tmp/blocks/$id.dir"
                echo project >>"$tmp/blocks/$id.mode" ;;
            in_a_dbmate_project) echo "$tmp/projects/dbmate" >"$tmp/blocks/$id.dir"
                echo project >>"$tmp/blocks/$id.mode" ;;
            *) echo "bad <!-- run: $run -->" >>"$tmp/blocks/$id.mode" ;;
        esac
    done
done

# The SQLite blocks first, in order; the PostgreSQL ones in one server.
for id in $ids; do
    mode=$tmp/blocks/$id.mode
    if grep -q '^skip \|^pg$\|^bad ' "$mode"; then continue; fi
    if grep -qx project "$mode" && [ $projects_ok = 0 ]; then
        echo "skip no sqlite3 command to lay out the project" >"$mode"
        continue
    fi
    run_block "$id"
done
if [ -n "$pg_ids" ]; then
    README_PG_CHILD=1 README_TMP=$tmp README_PG_BLOCKS=$pg_ids README_LIMIT=$limit \
        "$top_srcdir/tests/harness/with-pg" sh "$0" >"$tmp/pg.out" 2>&1
    pg_rc=$?
fi

# The report, block by block in the order of the file.
for id in $ids; do
    mode=$tmp/blocks/$id.mode
    at="README.md:$(cat "$tmp/blocks/$id.line")"
    bad=$(sed -n 's/^bad //p' "$mode")
    if [ -n "$bad" ]; then
        tap_result 1 "$at: $bad (see the convention at the top of $0)"
        continue
    fi
    reason=$(sed -n 's/^skip //p' "$mode")
    if [ -n "$reason" ]; then
        printf 'ok %d - %s # SKIP %s\n' $((tap_count + 1)) "$at" "$reason"
        tap_count=$((tap_count + 1))
        continue
    fi
    if grep -qx pg "$mode" && [ ! -f "$tmp/pg-ran" ]; then
        if [ "$pg_rc" = 0 ] && [ ! -f "$tmp/pg-failed" ] &&
            grep -q '^1\.\.0 # SKIP' "$tmp/pg.out"; then
            printf 'ok %d - %s # SKIP %s\n' $((tap_count + 1)) "$at" \
                "no PostgreSQL server binaries"
            tap_count=$((tap_count + 1))
        else
            tap_result 1 "$at: the PostgreSQL server for this block"
            sed 's/^/#   /' "$tmp/pg.out" "$tmp/pg-failed" 2>/dev/null
        fi
        continue
    fi
    res=$tmp/results/$id
    if [ ! -s "$res" ]; then
        tap_result 1 "$at: the block ran no command"
        continue
    fi
    failed=0
    while read -r got expected command; do
        if [ "$got" = "$expected" ]; then
            tap_result 0 "$at: $command"
        else
            tap_result 1 "$at: $command"
            tap_diag "exited $got, the README implies $expected"
            failed=1
        fi
    done <"$res"
    if [ $failed = 1 ]; then
        tap_diag "the block's output:"
        sed 's/^/#   /' "$tmp/results/$id.log"
    fi
done

tap_done
