#!/bin/sh
# The migration commands on a SQLite file, against golden texts: status,
# plan, dry runs of the sample migrations (diff, plan --dry-run; a
# no-transaction one refused, then run for real on a shadow copy), up,
# down, history, preflight, force, and every refusal a user can
# hit before anything runs (exit code, stdout and stderr). Times, the
# audit actor and durations are masked. STEPWISE_GOLDEN_UPDATE=1 rewrites
# the texts in tests/cli/migrate/.
. "$top_srcdir/tests/harness/tap.sh"

golden_dir=$top_srcdir/tests/cli/migrate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
XDG_STATE_HOME=$work/state
export XDG_STATE_HOME
cd "$work" || tap_bail "cannot enter $work"
mkdir m
# The first three demo migrations (create authors, books, customers): the
# golden texts show them, and the versions from 0004 on are this test's own.
cp "$top_srcdir"/migrations/demo/000[123]_*.sql m/ || tap_bail "no demo migrations"
db=sqlite:$work/app.db

# golden NAME EXPECTED_RC ARG...: run stepwise here, mask what varies,
# compare "exit N", stdout and stderr with tests/cli/migrate/NAME.txt.
golden() {
    name=$1 want=$2
    shift 2
    "$STEPWISE" "$@" >"$work/out" 2>"$work/err" </dev/null
    got_rc=$?
    {
        printf 'exit %s\n--- stdout\n' "$got_rc"
        cat "$work/out"
        printf -- '--- stderr\n'
        cat "$work/err"
    } | sed -e "s|$work|WORK|g" \
            -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z/TIME/g' \
            -e 's/os=[^ ]* host=[^ '"'"']*/ACTOR/g' \
            -e 's/([0-9]* ms)/(N ms)/g' -e 's/SQLite [0-9][0-9.]*/SQLite VERSION/' \
            -e 's/  *[0-9][0-9]* ms  / N ms  /' \
            -e 's/-[0-9]\{8\}-[0-9]\{6\}\(-[0-9]*\)\{0,1\}\.schema/-STAMP.schema/' \
            -e 's/  [0-9][0-9.]* ms, /  N ms, /' \
            -e 's/rolled back after [0-9]* ms/rolled back after N ms/' \
            -e 's/^[0-9][0-9]* ms: /N ms: /' >"$work/got"
    if [ -n "${STEPWISE_GOLDEN_UPDATE:-}" ]; then
        cp "$work/got" "$golden_dir/$name.txt"
    fi
    tap_is "$got_rc" "$want" "$name: exit $want"
    if diff -u "$golden_dir/$name.txt" "$work/got" >"$work/diff" 2>&1; then
        tap_ok "$name: output matches tests/cli/migrate/$name.txt" true
    else
        tap_ok "$name: output matches tests/cli/migrate/$name.txt" false
        sed 's/^/# /' "$work/diff"
    fi
}

golden status-missing-db 3 status --dir m --db "$db"
: >app.db
golden status-fresh 0 status --dir m --db "$db"
golden status-json-fresh 0 status --dir m --db "$db" --json
golden plan-up 0 plan up --dir m --db "$db"
# Dry runs of the sample migrations: the statements, the schema diff.
golden diff-0001 0 diff 0001 --dir m --db "$db"
golden diff-0002 0 diff 0002 --dir m --db "$db"
golden diff-0003 0 diff 0003 --dir m --db "$db"
golden plan-dry-run 0 plan --dry-run --dir m --db "$db"
golden diff-applied 2 diff 0001 --dir m --db "$db" --down
golden up-needs-yes 2 up --dir m --db "$db"
golden up-to 0 up --to 0002 --dir m --db "$db" --yes
golden status-partial 0 status --dir m --db "$db"
golden diff-0002-down 0 diff 0002 --down --dir m --db "$db"
golden diff-0001-down 0 diff 0001 --down --dir m --db "$db"
golden plan-down-dry-run 0 plan down --dry-run --dir m --db "$db"
golden plan-down 0 plan down --dir m --db "$db"
golden up-rest 0 up --dir m --db "$db" --yes
golden up-nothing 0 up --dir m --db "$db" --yes
golden down-one 0 down --dir m --db "$db" --yes
golden redo 0 redo --dir m --db "$db" --yes
golden history 0 history --db "$db" -n 4
golden goto-unknown 2 goto 42 --dir m --db "$db" --yes
golden goto-bad 2 goto 1.x --dir m --db "$db" --yes
golden bad-table 2 status --dir m --db "$db" --table a.b.c
golden bad-lock-timeout 2 up --dir m --db "$db" --yes --lock-timeout soon
golden force-needs-confirm 2 force 0003 --dir m --db "$db"

# A script that controls its own transaction, and one that cannot run in
# a transaction, are refused before anything runs.
printf 'BEGIN;\nCREATE TABLE t4 (id integer);\nCOMMIT;\n' >m/0004_own_tx.up.sql
golden refuse-begin 2 up --dir m --db "$db" --yes
printf 'CREATE TABLE t4 (id integer);\nVACUUM;\n' >m/0004_own_tx.up.sql
golden refuse-vacuum 2 up --dir m --db "$db" --yes
rm m/0004_own_tx.up.sql

# A no-transaction migration: no dry run on the target; on a shadow copy of
# the file it runs for real, then its down script puts the copy back.
printf -- '-- stepwise:no-transaction\nCREATE TABLE t4 (id integer);\nVACUUM;\n' \
    >m/0004_vacuum.up.sql
printf -- '-- stepwise:no-transaction\nDROP TABLE t4;\n' >m/0004_vacuum.down.sql
golden diff-no-tx-target 2 diff 0004 --dir m --db "$db"
cp app.db shadow.db
golden diff-no-tx-shadow 0 diff 0004 --dir m --db "$db" --shadow "sqlite:$work/shadow.db"
rm m/0004_vacuum.up.sql m/0004_vacuum.down.sql shadow.db

# A failing migration: rolled back, history as before.
printf 'CREATE TABLE t5 (id integer);\nINSERT INTO nowhere VALUES (1);\n' >m/0005_fails.up.sql
golden up-fails 1 up --dir m --db "$db" --yes
tap_is "$(sqlite3 app.db "select count(*) from sqlite_schema where name = 't5'")" 0 \
    "the failed migration's table is gone"
tap_is "$(sqlite3 app.db "select count(*) from stepwise_history where version = '0005'")" 0 \
    "and it has no history row"
rm m/0005_fails.up.sql

# A file changed after it was applied: preflight stops the next run.
printf '\n-- edited after it was applied\n' >>m/0001_create_authors.up.sql
golden status-drifted 0 status --dir m --db "$db"
printf 'CREATE TABLE t6 (id integer);\n' >m/0006_more.up.sql
golden preflight-drift 2 preflight --dir m --db "$db"
golden up-drift 2 up --dir m --db "$db" --yes
golden up-allow-drift 0 up --dir m --db "$db" --yes --allow-drift
golden force-drifted 0 force 0001 --dir m --db "$db" --yes --confirm-version 0001
golden down-no-script 2 down --dir m --db "$db" --yes

# A broken folder: every problem at once, nothing runs.
printf 'CREATE TABLE x (id integer);\n' >m/0002_dup.up.sql
printf 'SELECT 1;\n' >m/0009_orphan.down.sql
golden broken-folder 2 up --dir m --db "$db" --yes

tap_done
