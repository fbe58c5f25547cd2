#!/bin/sh
# `stepwise new NAME`: the next migration in the folder's own layout and
# numbering, the created paths on stdout; exit 2 for a bad name or a folder
# with errors (listed compiler-style), nothing created then.
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || tap_bail "cannot enter $tmp"

# ---- no folder yet: ./migrations is made, pairs with 4-digit padding
stepwise_run new create_users
tap_is "$rc" 0 "new in a project without a folder exits 0"
tap_is "$out" "migrations/0001_create_users.up.sql
migrations/0001_create_users.down.sql" "it prints the up and down files it created"
tap_is "$err" "stepwise: created the folder ./migrations" "and says it created ./migrations"
tap_is "$(cat migrations/0001_create_users.up.sql)" "-- create_users" "the up file holds a comment line"

stepwise_run new add_email
tap_is "$rc" 2 "new refuses while the last up script is still empty"
tap_is "$err" "migrations/0001_create_users.down.sql: warning: empty down script (it holds only comments): rolling back version 0001 would change nothing; write it, or remove it to make the version irreversible
migrations/0001_create_users.up.sql: error: empty up script (it holds only comments); write the migration
stepwise: migrations has 1 error; fix it first" "the folder's problems are listed, then the refusal"
tap_is "$out" "" "nothing is printed on stdout"
tap_is "$(ls migrations | wc -l | tr -d ' ')" 2 "and nothing is created"

printf 'CREATE TABLE users (id int);\n' > migrations/0001_create_users.up.sql
printf 'DROP TABLE users;\n' > migrations/0001_create_users.down.sql
stepwise_run new add_email
tap_is "$rc" 0 "with the script written, new exits 0"
tap_is "$out" "migrations/0002_add_email.up.sql
migrations/0002_add_email.down.sql" "the next version keeps the padding"
tap_is "$err" "" "and a clean folder prints nothing on stderr"

# ---- refusals
for bad in add-email "add email" "caf$(printf '\303\251')" "../escape" ""; do
    stepwise_run new "$bad"
    tap_is "$rc" 2 "the name '$bad' is refused with exit 2"
    tap_like "$err" "is not a valid migration name: use letters, digits and underscores only" \
        "the refusal of '$bad' says what a valid name looks like"
done
tap_like "$err" "Usage: stepwise new NAME [--dir DIR]" "a usage line follows"
tap_is "$(ls migrations | wc -l | tr -d ' ')" 4 "refused names create nothing"

stepwise_run new
tap_is "$rc" 2 "new without a name exits 2"
tap_like "$err" "stepwise: new needs a NAME for the migration" "and says so"
stepwise_run new a b
tap_is "$rc" 2 "new with two names exits 2"
tap_like "$err" "new takes one NAME (got 'b' too)" "and names the extra one"
stepwise_run new x --dir nowhere
tap_is "$rc" 2 "new with a --dir that does not exist exits 2"
tap_like "$err" "stepwise: --dir nowhere: No such file or directory" "and names it"

# ---- dbmate folder with timestamps, found as ./db/migrations
mkdir -p dbproject/db/migrations
printf -- '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n' \
    > dbproject/db/migrations/20200101000000_a.sql
(cd dbproject && "$STEPWISE" new add_b) >"$tmp/out" 2>"$tmp/err"
rc=$?
out=$(cat "$tmp/out")
tap_is "$rc" 0 "new in a dbmate folder exits 0"
tap_ok "one dbmate file named by the current UTC time ($out)" \
    sh -c 'printf "%s\n" "$1" | grep -Eq "^db/migrations/20[0-9]{12}_add_b\.sql$"' _ "$out"
stamp=$(printf '%s\n' "$out" | sed 's|^db/migrations/\([0-9]*\)_.*|\1|')
now=$(date -u +%Y%m%d%H%M%S)
tap_ok "the timestamp is the time of the call ($stamp, now $now)" \
    test "$(printf '%s\n%s\n' "$stamp" "$now" | sort | tail -n 1)" = "$now"
tap_is "$(cat "dbproject/$out")" "-- migrate:up


-- migrate:down" "the file has both dbmate sections"

# ---- Flyway
mkdir flyway
printf 'CREATE TABLE a (id int);\n' > flyway/V1__init.sql
printf 'CREATE TABLE b (id int);\n' > flyway/V2__more.sql
stepwise_run new --dir flyway third
tap_is "$rc" 0 "new in a Flyway folder exits 0"
tap_is "$out" "flyway/V3__third.sql
flyway/U3__third.sql" "it creates the V and U files of the next version"

# ---- unpadded integers and dotted versions
mkdir plain dotted
printf 'SELECT 1;\n' > plain/9_a.up.sql
printf 'SELECT 1;\n' > dotted/1.2.9_a.up.sql
stepwise_run new --dir plain b
tap_is "$out" "plain/10_b.up.sql
plain/10_b.down.sql" "unpadded versions go on without padding"
stepwise_run new --dir dotted b
tap_is "$out" "dotted/1.2.10_b.up.sql
dotted/1.2.10_b.down.sql" "dotted versions step their last segment"

# ---- a broken folder: exit 2, problems on stderr, compiler-style
mkdir broken
printf 'SELECT 1;\n' > broken/0003_a.up.sql
printf 'SELECT 2;\n' > broken/0003_b.up.sql
stepwise_run new --dir broken c
tap_is "$rc" 2 "new in a folder with a duplicate version exits 2"
tap_is "$err" "broken/0003_b.up.sql: error: duplicate version 0003: also in 0003_a.up.sql; renumber one of them
stepwise: broken has 1 error; fix it first" "the duplicate is named, then the refusal"

tap_done
