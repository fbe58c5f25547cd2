#!/bin/sh
# `stepwise schema` against a real throwaway PostgreSQL: the snapshot of a
# database holding every kind of object (tests/schema/every_kind_pg.sql)
# matches its golden text; it is byte-identical when the same schema is
# built in another order, after OIDs were shifted, with attnum gaps; two
# snapshots of one database are identical; stepwise's own history and
# events tables (default and --table names) are left out, other tables of
# the same name are not; --json is valid JSON with the same objects; the
# refusals. STEPWISE_GOLDEN_UPDATE=1 rewrites tests/schema/every_kind_pg.schema.
if [ -z "${STEPWISE_TEST_PG:-}" ]; then
    exec "$top_srcdir/tests/harness/with-pg" sh "$0" "$@"
fi
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/schema/snap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

LC_ALL=C
XDG_STATE_HOME=$tmp/state
export LC_ALL XDG_STATE_HOME

dir=$top_srcdir/tests/schema
golden=$dir/every_kind_pg.schema
golden_major=15 # the server the golden text was made with

q() { psql -XAtq -d "${2:-postgres}" -c "$1" 2>&1; }
q 'select 1' >/dev/null || tap_bail "psql could not reach the test server"
major=$(q "select current_setting('server_version_num')::int / 10000")
conn() { printf 'host=%s port=%s user=%s dbname=%s' "$PGHOST" "$PGPORT" "$PGUSER" "$1"; }

# load DB FILE...: a new database, the files run into it by psql.
load() {
    _db=$1; shift
    q "create database $_db" >/dev/null || return 1
    for _f in "$@"; do
        psql -Xq -v ON_ERROR_STOP=1 -d "$_db" -f "$_f" >"$tmp/load.out" 2>&1 || {
            sed 's/^/# /' "$tmp/load.out"
            return 1
        }
    done
}

# junk DB: create and drop objects, so that later OIDs are not the same as
# in a database where the fixture ran first.
junk() {
    q "do \$\$ begin for i in 1..40 loop
         execute format('create table junk%s (a int primary key, b text, c date)', i);
         execute format('create type junk_t%s as enum (''x'', ''y'')', i);
         execute format('create function junk_f%s() returns int language sql as ''select 1''', i);
       end loop; end \$\$;
       do \$\$ begin for i in 1..40 loop
         execute format('drop table junk%s', i);
         execute format('drop type junk_t%s', i);
         execute format('drop function junk_f%s()', i);
       end loop; end \$\$;" "$1" >/dev/null
}

# ============================================== every kind, golden text
tap_ok "the fixture loads" load every "$dir/every_kind_pg.sql"
snap "$(conn every)" "$tmp/every.schema"
tap_is "$rc" 0 "schema exits 0"
if [ "$major" = "$golden_major" ]; then
    if [ -n "${STEPWISE_GOLDEN_UPDATE:-}" ]; then
        cp "$tmp/every.schema" "$golden"
    fi
    same "$golden" "$tmp/every.schema" "the snapshot matches tests/schema/every_kind_pg.schema"
else
    printf 'ok %d # SKIP the golden text is PostgreSQL %s'"'"'s, the server is %s\n' \
        $((tap_count + 1)) "$golden_major" "$major"
    tap_count=$((tap_count + 1))
fi
text="
$(cat "$tmp/every.schema")" # a newline before each header
for header in 'extension citext' 'schema shop' 'type shop.status' 'type shop.address' \
    'type shop.price_range' 'domain shop.positive' 'sequence shop.invoice_no' \
    'table shop.orders' 'table shop.events_2024' 'view shop.open_orders' \
    'matview shop.order_totals' 'index shop.orders_open_idx' 'function shop.touch()' \
    'procedure shop.archive(date)' 'aggregate shop.total_of(integer)' 'table public."Mixed Case"' \
    'foreign_table shop.imports' 'extension file_fdw'; do
    tap_like "$text" "
$header
" "the snapshot has '$header'"
done
tap_like "$text" "  partition of shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" \
    "a partition shows its parent and bound"
tap_like "$text" "  constraint orders_small CHECK ((qty < 1000)) NOT VALID" "NOT VALID shows"
tap_like "$text" "  inherits shop.base
  column id integer
  column extra text
  constraint base_id_check CHECK ((id > 0)) (inherited)" "an inheriting table shows its parent and inherited constraints"
tap_like "$text" "  CREATE UNIQUE INDEX scratch_id_key ON public.scratch USING btree (id)
  invalid" "an invalid index is marked"
tap_like "$text" "  label 'new'
  label 'paid'
  label 'packed'
  label 'shipped'" "enum labels in their order, not their creation order"
tap_like "$text" "  row level security enabled, forced" "row-level security shows"
tap_like "$text" "  grant SELECT (email) to PUBLIC" "column grants show"
tap_like "$text" "  column total numeric generated always as (((qty)::numeric * 2.5)) stored" \
    "generated columns show their expression"
tap_like "$text" "  column id bigint not null generated always as identity" "identity columns show"
tap_like "$text" '  column name text collate "C" not null default '"''::text" \
    "a collation other than the type's shows"
tap_unlike "$text" "citext(" "nothing that belongs to an extension shows"
tap_unlike "$text" "price_multirange" "nor the functions PostgreSQL made for a range type"
tap_unlike "$text" "customers_pkey ON" "a constraint's index shows as the constraint only"

# ============================================== determinism
snap "$(conn every)" "$tmp/every2.schema"
same "$tmp/every.schema" "$tmp/every2.schema" "two snapshots of one database are identical"

junk shifted
tap_ok "the same fixture loads after OIDs were shifted" load shifted "$dir/every_kind_pg.sql"
snap "$(conn shifted)" "$tmp/shifted.schema"
same "$tmp/every.schema" "$tmp/shifted.schema" "OIDs shifted: byte-identical snapshot"

junk reordered
tap_ok "the reordered fixture loads" load reordered "$dir/every_kind_pg_reordered.sql"
snap "$(conn reordered)" "$tmp/reordered.schema"
same "$tmp/every.schema" "$tmp/reordered.schema" \
    "built in another order, with another dropped column: byte-identical snapshot"

# The session's settings do not change the text, and are left as they were.
settings='-c search_path=shop,ext,public -c DateStyle=SQL,DMY -c IntervalStyle=iso_8601'
settings="$settings -c extra_float_digits=0 -c bytea_output=escape"
PGOPTIONS=$settings "$STEPWISE" schema --db "$(conn every)" >"$tmp/settings.schema" 2>&1
same "$tmp/every.schema" "$tmp/settings.schema" \
    "other search_path, DateStyle, IntervalStyle, extra_float_digits, bytea_output: same text"

# ============================================== stepwise's own tables
mkdir "$tmp/m"
printf 'create table widgets (id int primary key);\n' >"$tmp/m/0001_widgets.up.sql"
q "create database own" >/dev/null
snap "$(conn own)" "$tmp/own0.schema"
"$STEPWISE" up --yes --dir "$tmp/m" --db "$(conn own)" >/dev/null 2>&1
tap_is "$(q "select count(*) from stepwise_history" own)" 1 "stepwise up made its history"
snap "$(conn own)" "$tmp/own1.schema"
own=$(cat "$tmp/own1.schema")
tap_like "$own" "
table public.widgets
" "the migrated table shows"
tap_unlike "$own" "stepwise_" "the history and events tables, their sequence and keys do not"
snap "$(conn own)" "$tmp/own-other.schema" --table other_history
tap_like "$(cat "$tmp/own-other.schema")" "
table public.stepwise_events
" "with another --table, the default tables show"
tap_like "$(cat "$tmp/own-other.schema")" "
sequence public.stepwise_events_id_seq
" "and their sequence"

q "create schema ops; create schema elsewhere;
   create table elsewhere.stepwise_history (id int)" own >/dev/null
mkdir "$tmp/m2"
printf 'create table gadgets (id int);\n' >"$tmp/m2/0001_gadgets.up.sql"
"$STEPWISE" up --yes --table ops.deploy_history --dir "$tmp/m2" --db "$(conn own)" >/dev/null 2>&1
tap_is "$(q "select count(*) from ops.deploy_history" own)" 1 "stepwise up --table ops.deploy_history"
snap "$(conn own)" "$tmp/own2.schema" --table ops.deploy_history
own=$(cat "$tmp/own2.schema")
tap_unlike "$own" "deploy_" "--table ops.deploy_history leaves that history and its events out"
tap_like "$own" "
table public.stepwise_history
" "while the default-named history is then an ordinary table"
tap_like "$own" "
table elsewhere.stepwise_history
" "a table named stepwise_history outside the search path is never left out"
snap "$(conn own)" "$tmp/own3.schema"
tap_like "$(cat "$tmp/own3.schema")" "
table ops.deploy_history
" "and without --table, ops.deploy_history shows"

# ============================================== JSON
snap "$(conn every)" "$tmp/every.json" --json
tap_is "$rc" 0 "schema --json exits 0"
headers=$(grep -c '^[a-z]' "$tmp/every.schema")
if command -v python3 >/dev/null 2>&1; then
    tap_ok "--json is valid JSON" python3 -m json.tool "$tmp/every.json" /dev/null
    got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = [x for x in d["objects"] if x["kind"] == "table" and x["name"] == "shop.orders"][0]
print(d["product"], len(d["objects"]), o["lines"][0], "row level security enabled, forced" in o["lines"])
' "$tmp/every.json")
    tap_is "$got" "PostgreSQL $headers owner stepwise True" \
        "--json has every object, with its detail lines unindented"
elif command -v jq >/dev/null 2>&1; then
    tap_ok "--json is valid JSON" jq -e . "$tmp/every.json" >/dev/null
    tap_is "$(jq '.objects | length' "$tmp/every.json")" "$headers" "--json has every object"
else
    tap_result 1 "python3 or jq is needed to check the JSON"
fi

# ============================================== refusals
stepwise_run schema extra --db "$(conn every)"
tap_is "$rc" 2 "an argument is a usage error (exit 2)"
tap_like "$err" "schema takes no arguments" "saying so"
stepwise_run schema --table a.b.c --db "$(conn every)"
tap_is "$rc" 2 "a bad --table is a usage error (exit 2)"
stepwise_run schema --db "$(conn no_such_db)"
tap_is "$rc" 3 "a database that does not exist: exit 3"

# Behind an ACCESS EXCLUSIVE lock the snapshot gives up after 5 s.
psql -XAtq -d every -c "begin; lock table shop.orders; select pg_sleep(9); commit" \
    >/dev/null 2>&1 &
locker=$!
for _i in $(seq 50); do
    [ "$(q "select count(*) from pg_locks where mode = 'AccessExclusiveLock'
             and relation = 'shop.orders'::regclass" every)" = 1 ] && break
    sleep 0.1
done
stepwise_run schema --db "$(conn every)"
tap_is "$rc" 3 "a table locked by another session: exit 3 after lock_timeout"
tap_like "$err" "another session holds a lock the snapshot waited 5 s for" "saying so"
wait "$locker"

tap_done
