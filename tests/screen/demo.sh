#!/bin/sh
# Screen test of `stepwise demo` (tmux, 80x24): a fresh SQLite database
# made in the state folder from migrations/demo, nothing applied, and the
# console with the walkthrough completed end to end: each hint shows, and
# gives way to the next when the step is done (select, preview, lint, dry
# run, apply with y, the commit gate, step through, roll back, history);
# t hides and shows the hint line; the history view shows the decisions;
# nothing written outside the state folder. Also the run without a
# terminal: the database made, how to open it said, exit 0.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}
mkdir "$tmp/home" "$tmp/work"
state=$tmp/state
db=$state/stepwise/demo.db
demo_dir=$top_srcdir/migrations/demo
# Everything runs from an empty folder with HOME and XDG_STATE_HOME of its own.
sw() { (cd "$tmp/work" && HOME="$tmp/home" XDG_STATE_HOME="$state" "$STEPWISE" "$@"); }
outside() { find "$tmp/home" "$tmp/work" -mindepth 1 | sed "s|^$tmp/||" | tr '\n' ' '; }
q() { sqlite3 -batch -cmd '.timeout 5000' "$db" "$1" 2>&1 | tr '\n' ' '; }

# 1. Without a terminal: the database is made, the way to open it said.
out=$(sw demo </dev/null 2>&1)
tap_is "$?" 0 "without a terminal, demo exits 0"
tap_like "$out" "created $db, nothing applied" "it names the database it made"
tap_like "$out" "open it: stepwise --db 'sqlite:$db' --dir '" "and says how to open it"
tap_like "$out" "migrations/demo" "the migrations folder was found without --dir"
tap_ok "the database exists in the state folder" test -f "$db"
tap_is "$(outside)" "" "nothing written outside the state folder"
status=$(sw status --db "sqlite:$db" --dir "$demo_dir" 2>&1)
tap_like "$status" "(pairs, 12 migrations)" "status reads its 12 migrations"
tap_unlike "$status" "applied  " "nothing is applied"
printf 'x' >"$tmp/taken.db"
out=$(sw demo --db "$tmp/taken.db" </dev/null 2>&1)
tap_is "$?" 2 "--db naming an existing file exits 2"
tap_like "$out" "exists: the demo makes a fresh database" "and says why"
tap_is "$(cat "$tmp/taken.db")" "x" "the file is left as it was"
out=$(sw demo --dir "$tmp/nowhere" </dev/null 2>&1)
tap_is "$?" 2 "a --dir that does not exist exits 2"
tap_like "$out" "no demo migrations folder; tried: $tmp/nowhere" "and names the path tried"
out=$(sw demo --db postgresql://localhost/shop </dev/null 2>&1)
tap_like "$out" "the demo runs on a SQLite file" "a server target is refused"

# 2. On a terminal: the walkthrough, end to end. The database is made
# afresh (the one above is replaced).
sqlite3 -batch "$db" 'create table leftover (x)' >/dev/null 2>&1
env="HOME='$tmp/home' XDG_STATE_HOME='$state'"
screen_start "sh -c \"cd '$tmp/work' && exec env $env '$STEPWISE' demo\""
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# hint N TEXT: wait for step N's hint line.
hint() { screen_wait_for "Step $1/9: $2" "$wait_s"; }
gate_commit() {
    screen_wait_for "c commit   r roll back" "$wait_s" || return 1
    sleep 1.2
    screen_keys c
}

tap_ok "the console opens on the demo's pending migrations" screen_wait_for "> 0012" "$wait_s"
tap_ok "hint 1: select a migration" hint 1 "Down/Up (j/k) select a migration"
tap_is "$(q "select count(*) from sqlite_master where name = 'leftover'")" "0 " \
    "the database was made afresh"
screen_keys Down
tap_ok "moving gives hint 2: preview" hint 2 "Enter opens it: the SQL tab"
screen_keys Enter
tap_ok "Enter gives hint 3: lint" hint 3 "L shows the Lint tab"
tap_like "$screen" "CREATE TABLE books" "the SQL of the selected migration shows"
screen_keys L
tap_ok "L gives hint 4: dry run" hint 4 "d dry-runs it"
screen_keys d
tap_ok "d gives hint 5: apply" hint 5 "u plans the next pending migration"
tap_ok "the dry run's diff shows" screen_wait_for "+ table books" "$wait_s"
screen_keys u
tap_ok "u opens the plan" screen_wait_for "y run it   s step" "$wait_s"
tap_like "$screen" "Step 5/9" "the hint stays until y"
screen_keys y
tap_ok "y gives hint 6: the commit gate" hint 6 "The commit gate: still in the transaction"
tap_is "$(q 'select count(*) from stepwise_history')" "0 " "nothing committed at the gate"
gate_commit
tap_ok "c commits" screen_wait_for "Done: 1 migration applied." "$wait_s"
tap_ok "and gives hint 7: step through" hint 7 "u again, then s runs it statement by statement"
screen_keys Escape
screen_wait_for "= 0001" "$wait_s"
screen_keys u
tap_ok "u plans 0002" screen_wait_for "Next: apply 0002" "$wait_s"
screen_keys s
tap_ok "s gives hint 8: roll back" hint 8 "Esc, then b rolls back the latest migration"
tap_ok "s stops before the first statement" screen_wait_for "statement 1 of" "$wait_s"
n=0
while [ $n -lt 10 ] && ! screen_wait_for "c commit   r roll back" 1; do
    screen_keys y
    n=$((n + 1))
done
gate_commit
tap_ok "the stepped migration commits" screen_wait_for "Done: 1 migration applied." "$wait_s"
tap_is "$(q 'select version from stepwise_history order by version')" "0001 0002 " \
    "0001 and 0002 are applied"
screen_keys Escape
screen_wait_for "= 0002" "$wait_s"
screen_keys b
tap_ok "b plans the rollback of 0002" screen_wait_for "Next: roll back 0002" "$wait_s"
screen_keys y
gate_commit
tap_ok "the rollback ends" screen_wait_for "Done: 1 migration rolled back." "$wait_s"
tap_ok "and gives hint 9: history" hint 9 "4 opens the history view"
screen_keys 4
tap_ok "the history view ends the walkthrough" \
    screen_wait_for "Walkthrough done. t hides this line" "$wait_s"
tap_like "$screen" "confirm     0001    run" "the history shows y at 0001's confirmation"
tap_like "$screen" "commit_gate 0001    commit" "its commit at the gate"
tap_like "$screen" "confirm     0002    step" "s at 0002's"
tap_like "$screen" "rollback    0002    ok" "and the rollback of 0002"
tap_like "$(cat "$state/stepwise/audit.jsonl")" '"action":"dry_run"' \
    "the dry run is in the audit file of the state folder"
screen_keys t
gone=1
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    case "$(screen_capture)" in *"Walkthrough done"*) sleep 0.1 ;; *) gone=0; break ;; esac
done
tap_is "$gone" 0 "t hides the hint line"
screen_keys t
tap_ok "t shows it again" screen_wait_for "Walkthrough done" "$wait_s"
screen_keys q
sleep 0.5
tap_is "$(q 'select version from stepwise_history order by version')" "0001 " \
    "the database holds what the trainee did: 0001 applied, 0002 rolled back"
tap_is "$(outside)" "" "still nothing written outside the state folder"

tap_done
