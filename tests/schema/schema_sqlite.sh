#!/bin/sh
# `stepwise schema` on SQLite files, no server: every kind of object
# (tests/schema/every_kind_sqlite.sql) against its golden text; the same
# schema typed with other spacing and created in another order gives the
# same bytes, while a change of a token shows; two snapshots of one file
# are identical; stepwise's own tables are left out; virtual tables do not
# stop it; --json is valid JSON with the same objects; the refusals.
# STEPWISE_GOLDEN_UPDATE=1 rewrites tests/schema/every_kind_sqlite.schema.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/schema/snap.sh"

command -v sqlite3 >/dev/null 2>&1 || tap_skip_all "no sqlite3 command to build the databases"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

dir=$top_srcdir/tests/schema
golden=$dir/every_kind_sqlite.schema

# ============================================== every kind, golden text
tap_ok "the fixture loads" sqlite3 -batch "$tmp/a.db" ".read $dir/every_kind_sqlite.sql"
snap "sqlite:$tmp/a.db" "$tmp/a.schema"
tap_is "$rc" 0 "schema exits 0"
[ -z "${STEPWISE_GOLDEN_UPDATE:-}" ] || cp "$tmp/a.schema" "$golden"
same "$golden" "$tmp/a.schema" "the snapshot matches tests/schema/every_kind_sqlite.schema"
text="
$(cat "$tmp/a.schema")"
for header in 'table customers' 'table orders' 'table "odd table"' 'index orders_customer_idx' \
    'index customers_name_idx' 'view big_orders' 'trigger orders_touch'; do
    tap_like "$text" "
$header
" "the snapshot has '$header'"
done
tap_like "$text" "  column total REAL generated virtual" "table_xinfo columns, generated ones too"
tap_like "$text" "  index sqlite_autoindex_orders_1 unique key (id, customer_id) from PRIMARY KEY" \
    "automatic indexes show in their table"
tap_like "$text" "  key (customer_id DESC, qty)" "index_xinfo: an index's key"
tap_like "$text" "DEFAULT 'it''s  me'" "spacing inside a string literal stays"
tap_unlike "$text" "sqlite_sequence" "SQLite's own tables do not show"

snap "sqlite:$tmp/a.db" "$tmp/a2.schema"
same "$tmp/a.schema" "$tmp/a2.schema" "two snapshots of one file are identical"

# ============================================== spacing and order do not matter
cat >"$tmp/b.sql" <<'EOF'
CREATE TABLE [odd table]   (   `a b`   INT ,
   c /* a comment */   TEXT   )  ;
create table junk (x int); drop table junk;
CREATE TABLE customers(id INTEGER PRIMARY KEY AUTOINCREMENT,email TEXT NOT NULL UNIQUE COLLATE NOCASE,
 name TEXT DEFAULT 'it''s  me',  -- two spaces inside the literal stay
 "Mixed Name" TEXT, created TEXT NOT NULL DEFAULT ( datetime( 'now' ) ) );
CREATE INDEX customers_lower_email ON customers(lower(email));
CREATE UNIQUE INDEX customers_name_idx
    ON customers
    ( name COLLATE NOCASE )
    WHERE name IS NOT NULL;
CREATE TABLE orders ( id INTEGER NOT NULL, customer_id INTEGER NOT NULL REFERENCES customers(id)
  ON DELETE CASCADE, qty INTEGER NOT NULL DEFAULT 1 CHECK(qty > 0), price REAL,
  total REAL GENERATED ALWAYS AS ( qty * price ) VIRTUAL,
  stored_total REAL GENERATED ALWAYS AS (qty * price) STORED,
  PRIMARY KEY ( id,customer_id ) ) WITHOUT ROWID;
CREATE TRIGGER orders_touch AFTER INSERT ON orders BEGIN
UPDATE customers SET name = coalesce(name, 'someone') WHERE id = NEW.customer_id; END;
CREATE VIEW big_orders AS SELECT o.id, c.email FROM orders o JOIN customers c
  ON c.id = o.customer_id WHERE o.qty > 10;
CREATE INDEX orders_customer_idx ON orders(customer_id DESC,qty);
EOF
tap_ok "the same schema, typed otherwise and in another order, loads" \
    sqlite3 -batch "$tmp/b.db" ".read $tmp/b.sql"
snap "sqlite:$tmp/b.db" "$tmp/b.schema"
same "$tmp/a.schema" "$tmp/b.schema" "reformatting and creation order change nothing"

sed 's/CHECK(qty > 0)/CHECK(qty >= 0)/' "$tmp/b.sql" >"$tmp/c.sql"
sqlite3 -batch "$tmp/c.db" ".read $tmp/c.sql"
snap "sqlite:$tmp/c.db" "$tmp/c.schema"
tap_is "$(diff "$tmp/a.schema" "$tmp/c.schema" | grep -c '^>')" 1 \
    "a changed token shows, as one changed line"

# ============================================== stepwise's own tables
mkdir "$tmp/m"
printf 'create table widgets (id int primary key);\n' >"$tmp/m/0001_widgets.up.sql"
"$STEPWISE" up --yes --dir "$tmp/m" --db "sqlite:$tmp/own.db" >/dev/null 2>&1
tap_is "$(sqlite3 -batch "$tmp/own.db" 'select count(*) from stepwise_history')" 1 \
    "stepwise up made its history"
snap "sqlite:$tmp/own.db" "$tmp/own.schema"
tap_like "$(cat "$tmp/own.schema")" "table widgets" "the migrated table shows"
tap_unlike "$(cat "$tmp/own.schema")" "stepwise_" "the history and events tables do not"
snap "sqlite:$tmp/own.db" "$tmp/own-other.schema" --table other_history
tap_like "$(cat "$tmp/own-other.schema")" "table stepwise_history" \
    "with another --table, the default tables show"

# ============================================== virtual tables
if sqlite3 -batch "$tmp/v.db" "create virtual table notes using fts5(body);
                                create table plain (id int)" 2>/dev/null; then
    snap "sqlite:$tmp/v.db" "$tmp/v.schema"
    tap_is "$rc" 0 "a virtual table does not stop the snapshot"
    tap_like "$(cat "$tmp/v.schema")" "CREATE VIRTUAL TABLE notes using fts5(body)" "and it shows"
    tap_like "$(cat "$tmp/v.schema")" "  column id INT" "the other tables keep their columns"
else
    tap_diag "no fts5 in this sqlite3: virtual tables not tried"
fi

# ============================================== JSON
snap "sqlite:$tmp/a.db" "$tmp/a.json" --json
tap_is "$rc" 0 "schema --json exits 0"
headers=$(grep -c '^[a-z]' "$tmp/a.schema")
if command -v python3 >/dev/null 2>&1; then
    tap_ok "--json is valid JSON" python3 -m json.tool "$tmp/a.json" /dev/null
    got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = [x for x in d["objects"] if x["kind"] == "index" and x["name"] == "orders_customer_idx"][0]
print(d["product"], len(d["objects"]), o["lines"])
' "$tmp/a.json")
    tap_is "$got" "SQLite $headers ['key (customer_id DESC, qty)', 'CREATE INDEX orders_customer_idx ON orders(customer_id DESC, qty)']" \
        "--json has every object, with its detail lines unindented"
elif command -v jq >/dev/null 2>&1; then
    tap_ok "--json is valid JSON" jq -e . "$tmp/a.json" >/dev/null
    tap_is "$(jq '.objects | length' "$tmp/a.json")" "$headers" "--json has every object"
else
    tap_result 1 "python3 or jq is needed to check the JSON"
fi

# ============================================== refusals
stepwise_run schema --db "sqlite:$tmp/missing.db"
tap_is "$rc" 3 "a file that does not exist: exit 3"
tap_ok "and no file appears" test ! -e "$tmp/missing.db"
stepwise_run schema one --db "sqlite:$tmp/a.db"
tap_is "$rc" 2 "an argument is a usage error (exit 2)"

tap_done
