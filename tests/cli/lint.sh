#!/bin/sh
# `stepwise lint` from the command line: golden output for a migrations
# folder and for the SQLite demo, exit codes (0 clean, 1 errors or --strict
# warnings, 2 bad input), parse errors compiler-style, --locks, --json,
# --rules.
. "$top_srcdir/tests/harness/tap.sh"

cd "$top_srcdir/tests/cli/lint" || tap_bail "no tests/cli/lint folder"

stepwise_run lint --dir folder
tap_is "$rc" 1 "a folder with an error exits 1"
tap_is "$out" "$(cat folder.expected)" "folder findings match tests/cli/lint/folder.expected"
tap_like "$out" "folder/0002_add_status.up.sql:1:1: error[adding-required-field]: " \
    "findings are file:line:col: severity[rule]: message"
tap_like "$out" "    hint: CREATE INDEX CONCURRENTLY" "each finding has an indented hint"
tap_like "$out" "allowed warning[renaming-column]" "an allowed finding is shown as allowed"
tap_like "$out" "    allowed: the application reads both names since release 42" \
    "with the reason from the stepwise:allow comment"

(cd "$top_srcdir" && "$STEPWISE" lint --db "sqlite:/nonexistent/never-opened.db" --dir migrations/demo) \
    >"$_tap_tmp/demo" 2>&1
rc=$?
tap_is "$rc" 0 "the SQLite demo migrations lint without errors"
tap_is "$(cat "$_tap_tmp/demo")" "$(cat demo.expected)" \
    "demo findings match tests/cli/lint/demo.expected (a SQLite target is not opened)"

stepwise_run lint clean.sql
tap_is "$rc" 0 "a clean script exits 0"
tap_is "$out" "1 file, 2 statements: 0 errors, 0 warnings, 0 hints" "and says so in one line"

stepwise_run lint warn.sql
tap_is "$rc" 0 "warnings alone exit 0"
stepwise_run lint --strict warn.sql
tap_is "$rc" 1 "--strict makes warnings fail"
tap_like "$out" "warn.sql:1:1: warning[constraint-missing-not-valid]: CHECK constraint on customers" \
    "the warning names the table"

stepwise_run lint broken.sql
tap_is "$rc" 2 "a script that does not parse exits 2"
tap_like "$out" "broken.sql:2:14: error: syntax error at or near \"(\"" \
    "parse errors are file:line:col: error: <parser message>"
tap_like "$out" "    not analysed: CREATE TABLE (id int)" "the statement is marked not analysed"
tap_like "$out" "1 file, 3 statements: 1 error" "the other statements are still counted"

stepwise_run lint no-such-file.sql
tap_is "$rc" 2 "a missing file exits 2"
tap_like "$err" "no-such-file.sql: cannot read: No such file or directory" "and is named"

stepwise_run lint clean.sql --dir folder
tap_is "$rc" 2 "files and --dir together are a usage error"

(cd "$_tap_tmp" && "$STEPWISE" lint >/dev/null 2>"$_tap_tmp/err")
rc=$?
tap_is "$rc" 2 "no files and no migrations folder exits 2"
tap_like "$(cat "$_tap_tmp/err")" "looked for ./migrations and ./db/migrations" "and says where it looked"

stepwise_run lint --locks folder/0003_status_index.up.sql
tap_is "$rc" 0 "--locks exits 0 on a clean no-transaction script"
tap_like "$out" "folder/0003_status_index.up.sql:3:1: locks: CREATE INDEX CONCURRENTLY [cannot run in a transaction]" \
    "--locks heads each statement with its position and kind"
tap_like "$out" "    SHARE UPDATE EXCLUSIVE  orders" "--locks lists the mode on the table"
tap_like "$out" "    ACCESS EXCLUSIVE        orders_created_at (new index)" "and the new index"

stepwise_run lint --json --dir folder
tap_is "$rc" 1 "--json keeps the exit status"
if command -v python3 >/dev/null 2>&1; then
    summary=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = d["files"][2]
s = f["statements"][0]
print(d["errors"], d["warnings"], d["hints"], len(d["files"]), f["path"], s["kind"], s["locks"][0]["relation"], s["locks"][0]["mode"], f["findings"][0]["rule"])
') || summary="invalid JSON"
    tap_is "$summary" "1 2 2 6 folder/0002_add_status.up.sql ALTER TABLE orders ACCESS EXCLUSIVE adding-required-field" \
        "--json is valid JSON with files, statements, locks and findings"
else
    tap_result 1 "python3 is needed to check the JSON (apt-get install python3)"
fi

stepwise_run lint --rules
tap_is "$rc" 0 "--rules exits 0"
tap_is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 34 "--rules lists the 34 rules"
tap_like "$out" "require-concurrent-index-creation" "--rules names the rule ids"

tap_done
