/* Unit tests of statement classification (PostgreSQL): lock prediction for
 * a table of statements, each with its kind, the exact set of (relation,
 * lock mode) pairs it takes, whether it may run in a transaction block and
 * whether it destroys data; then statements the grammar rejects.
 *
 * Every expected lock follows PostgreSQL 15: "Explicit Locking" (13.3,
 * table 13.2 and the list of commands per mode), the ALTER TABLE, CREATE
 * INDEX, REINDEX, DROP INDEX, REFRESH MATERIALIZED VIEW and LOCK pages, and
 * AlterTableGetLockLevel() in tablecmds.c for the ALTER TABLE sub-commands.
 * Relations are named as written in the statement: schema-qualified only
 * when qualified there, quoted only when needed. Locks the server takes on
 * relations the statement does not name (the table of an index in DROP
 * INDEX, the base tables of a materialized view) cannot be known from the
 * text and are not predicted; tests/integration/test_locks_pg.c shows them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/sqlparse.h"

#define CREATED 1u /* sql_lock.created: the statement creates it */
#define INDEX 2u   /* sql_lock.index: the relation is an index */
#define MAX_LOCKS 4

typedef struct expected_lock {
    const char *relation; /* NULL ends the list */
    lock_mode mode;
    unsigned flags;
} expected_lock;

typedef struct classify_case {
    const char *sql;
    const char *kind;
    const char *detail; /* NULL: not checked */
    bool transactional;
    bool destructive;
    expected_lock locks[MAX_LOCKS];
} classify_case;

#define TX true
#define NO_TX false
#define DESTRUCTIVE true
#define KEEPS false

static classify_case cases[] = { /* not const: cmocka's state is void * */
    /* ---- CREATE TABLE: the new table ACCESS EXCLUSIVE (DefineRelation);
     * a REFERENCES takes SHARE ROW EXCLUSIVE on the referenced table (the
     * FK adds triggers to it, "as strong as CREATE TRIGGER"). */
    {"CREATE TABLE shipments (id bigint PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id), "
     "carrier text)",
     "CREATE TABLE", NULL, TX, KEEPS,
     {{"shipments", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    /* A table-level FK to a schema-qualified table; a self-reference adds
     * nothing beyond the new table's own lock. */
    {"CREATE TABLE shop.order_lines (id int PRIMARY KEY, parent int REFERENCES shop.order_lines, "
     "sku text, FOREIGN KEY (sku) REFERENCES shop.products (sku))",
     "CREATE TABLE", NULL, TX, KEEPS,
     {{"shop.order_lines", LOCK_ACCESS_EXCLUSIVE, CREATED},
      {"shop.products", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    /* PARTITION OF: the parent ACCESS EXCLUSIVE (its partition descriptor
     * changes); INHERITS: SHARE UPDATE EXCLUSIVE on the parent. */
    {"CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
     "CREATE TABLE PARTITION OF", NULL, TX, KEEPS,
     {{"events_2024", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"events", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"CREATE TABLE vip_customers (level int) INHERITS (customers)", "CREATE TABLE", NULL, TX, KEEPS,
     {{"vip_customers", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"customers", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    /* LIKE reads the source table's definition: ACCESS SHARE. */
    {"CREATE TABLE order_items_copy (LIKE order_items INCLUDING ALL)", "CREATE TABLE", NULL, TX, KEEPS,
     {{"order_items_copy", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"order_items", LOCK_ACCESS_SHARE, 0}}},

    /* ---- ALTER TABLE, one sub-command each (AlterTableGetLockLevel). */
    {"ALTER TABLE orders ADD COLUMN shipped_at timestamptz", "ALTER TABLE", "ADD COLUMN", TX, KEEPS,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders DROP COLUMN note", "ALTER TABLE", "DROP COLUMN", TX, DESTRUCTIVE,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL", "ALTER TABLE",
     "ALTER COLUMN SET NOT NULL", TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN note DROP NOT NULL", "ALTER TABLE", "ALTER COLUMN DROP NOT NULL",
     TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'", "ALTER TABLE",
     "ALTER COLUMN SET DEFAULT", TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2)", "ALTER TABLE", "ALTER COLUMN TYPE", TX,
     KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN total SET STATISTICS 500", "ALTER TABLE",
     "ALTER COLUMN SET STATISTICS", TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN customer_id SET (n_distinct = 500)", "ALTER TABLE",
     "ALTER COLUMN SET/RESET (options)", TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    /* Storage parameters: each option has its own level (reloptions.c);
     * fillfactor and the autovacuum ones only SHARE UPDATE EXCLUSIVE, any
     * other ACCESS EXCLUSIVE; the strongest option wins. */
    {"ALTER TABLE orders SET (fillfactor = 70)", "ALTER TABLE", "SET (storage options)", TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_enabled = false)",
     "ALTER TABLE", NULL, TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders SET (fillfactor = 70, user_catalog_table = true)", "ALTER TABLE", NULL, TX,
     KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER VIEW active_orders SET (security_barrier = true)", "ALTER VIEW", "SET (storage options)",
     TX, KEEPS, {{"active_orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check", "ALTER TABLE", "VALIDATE CONSTRAINT",
     TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    /* ADD FOREIGN KEY: SHARE ROW EXCLUSIVE on both tables, NOT VALID or not. */
    {"ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) "
     "REFERENCES customers (id) NOT VALID",
     "ALTER TABLE", "ADD FOREIGN KEY NOT VALID", TX, KEEPS,
     {{"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}, {"customers", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers", "ALTER TABLE",
     "ADD FOREIGN KEY", TX, KEEPS,
     {{"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}, {"customers", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID", "ALTER TABLE",
     "ADD CHECK NOT VALID", TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email)", "ALTER TABLE",
     "ADD UNIQUE", TX, KEEPS, {{"customers", LOCK_ACCESS_EXCLUSIVE, 0}}},
    /* A column with REFERENCES: the column is ACCESS EXCLUSIVE, the
     * referenced table SHARE ROW EXCLUSIVE. */
    {"ALTER TABLE orders ADD COLUMN customer_ref int REFERENCES customers", "ALTER TABLE", "ADD COLUMN",
     TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}, {"customers", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    /* Triggers only affect writes: SHARE ROW EXCLUSIVE. */
    {"ALTER TABLE orders DISABLE TRIGGER orders_audit", "ALTER TABLE", "DISABLE TRIGGER", TX, KEEPS,
     {{"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ENABLE TRIGGER ALL", "ALTER TABLE", "ENABLE TRIGGER", TX, KEEPS,
     {{"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders CLUSTER ON orders_pkey", "ALTER TABLE", "CLUSTER ON", TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    /* ATTACH: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the
     * table attached. DETACH: ACCESS EXCLUSIVE on both; CONCURRENTLY: SHARE
     * UPDATE EXCLUSIVE, and it cannot run in a transaction block. */
    {"ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
     "ALTER TABLE", "ATTACH PARTITION", TX, KEEPS,
     {{"events", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}, {"events_2025", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE events DETACH PARTITION events_2023", "ALTER TABLE", "DETACH PARTITION", TX, KEEPS,
     {{"events", LOCK_ACCESS_EXCLUSIVE, 0}, {"events_2023", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY", "ALTER TABLE",
     "DETACH PARTITION CONCURRENTLY", NO_TX, KEEPS,
     {{"events", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}, {"events_2023", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"ALTER TABLE vip_customers INHERIT customers", "ALTER TABLE", "INHERIT", TX, KEEPS,
     {{"vip_customers", LOCK_ACCESS_EXCLUSIVE, 0}, {"customers", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    /* Several sub-commands: the strongest level wins. */
    {"ALTER TABLE orders ALTER COLUMN total SET STATISTICS 100, ADD COLUMN paid boolean", "ALTER TABLE",
     "ALTER COLUMN SET STATISTICS, ADD COLUMN", TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders ALTER COLUMN total SET STATISTICS 100, VALIDATE CONSTRAINT orders_total_check, "
     "CLUSTER ON orders_pkey",
     "ALTER TABLE", "ALTER COLUMN SET STATISTICS, VALIDATE CONSTRAINT, CLUSTER ON", TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders DISABLE TRIGGER ALL, ADD CONSTRAINT orders_customer_fk FOREIGN KEY "
     "(customer_id) REFERENCES customers NOT VALID, SET (fillfactor = 80)",
     "ALTER TABLE", NULL, TX, KEEPS,
     {{"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}, {"customers", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},

    /* ---- Renames: ACCESS EXCLUSIVE, but an index only SHARE UPDATE
     * EXCLUSIVE since PostgreSQL 12. */
    {"ALTER TABLE orders RENAME TO orders_old", "ALTER TABLE RENAME", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER TABLE orders RENAME COLUMN note TO remark", "ALTER TABLE RENAME COLUMN", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER INDEX orders_total_idx RENAME TO orders_amount_idx", "ALTER INDEX RENAME", NULL, TX, KEEPS,
     {{"orders_total_idx", LOCK_SHARE_UPDATE_EXCLUSIVE, INDEX}}},

    /* ---- Indexes. CREATE INDEX: SHARE on the table; CONCURRENTLY: SHARE
     * UPDATE EXCLUSIVE, outside a transaction block. The new index is in
     * the table's schema. */
    {"CREATE INDEX orders_total_idx ON orders (total)", "CREATE INDEX", NULL, TX, KEEPS,
     {{"orders", LOCK_SHARE, 0}, {"orders_total_idx", LOCK_ACCESS_EXCLUSIVE, CREATED | INDEX}}},
    {"CREATE UNIQUE INDEX CONCURRENTLY orders_ref_key ON shop.orders (ref)",
     "CREATE UNIQUE INDEX CONCURRENTLY", NULL, NO_TX, KEEPS,
     {{"shop.orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0},
      {"shop.orders_ref_key", LOCK_ACCESS_EXCLUSIVE, CREATED | INDEX}}},
    {"CREATE INDEX ON orders (created_at)", "CREATE INDEX", NULL, TX, KEEPS, {{"orders", LOCK_SHARE, 0}}},
    {"DROP INDEX orders_total_idx", "DROP INDEX", NULL, TX, KEEPS,
     {{"orders_total_idx", LOCK_ACCESS_EXCLUSIVE, INDEX}}},
    {"DROP INDEX CONCURRENTLY orders_total_idx", "DROP INDEX CONCURRENTLY", NULL, NO_TX, KEEPS,
     {{"orders_total_idx", LOCK_SHARE_UPDATE_EXCLUSIVE, INDEX}}},
    /* REINDEX: SHARE on a table (ACCESS EXCLUSIVE on each index);
     * CONCURRENTLY: SHARE UPDATE EXCLUSIVE, outside a transaction block. */
    {"REINDEX TABLE orders", "REINDEX TABLE", NULL, TX, KEEPS, {{"orders", LOCK_SHARE, 0}}},
    {"REINDEX TABLE CONCURRENTLY orders", "REINDEX TABLE CONCURRENTLY", NULL, NO_TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"REINDEX INDEX orders_pkey", "REINDEX INDEX", NULL, TX, KEEPS,
     {{"orders_pkey", LOCK_ACCESS_EXCLUSIVE, INDEX}}},
    {"REINDEX (CONCURRENTLY) INDEX orders_pkey", "REINDEX INDEX CONCURRENTLY", NULL, NO_TX, KEEPS,
     {{"orders_pkey", LOCK_SHARE_UPDATE_EXCLUSIVE, INDEX}}},
    {"REINDEX DATABASE shop", "REINDEX DATABASE", NULL, NO_TX, KEEPS, {{NULL, LOCK_NONE, 0}}},

    /* ---- Drops and maintenance. */
    {"DROP TABLE archive, shop.old_orders", "DROP TABLE", NULL, TX, DESTRUCTIVE,
     {{"archive", LOCK_ACCESS_EXCLUSIVE, 0}, {"shop.old_orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"TRUNCATE archive, order_items", "TRUNCATE", NULL, TX, DESTRUCTIVE,
     {{"archive", LOCK_ACCESS_EXCLUSIVE, 0}, {"order_items", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"DROP TRIGGER orders_audit ON orders", "DROP TRIGGER", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"VACUUM orders", "VACUUM", NULL, NO_TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"VACUUM (ANALYZE) orders, customers", "VACUUM ANALYZE", NULL, NO_TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}, {"customers", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"VACUUM FULL orders", "VACUUM FULL", NULL, NO_TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ANALYZE orders", "ANALYZE", NULL, TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"CLUSTER orders USING orders_pkey", "CLUSTER", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"CLUSTER", "CLUSTER", NULL, NO_TX, KEEPS, {{NULL, LOCK_NONE, 0}}},
    {"REFRESH MATERIALIZED VIEW order_totals", "REFRESH MATERIALIZED VIEW", NULL, TX, KEEPS,
     {{"order_totals", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals", "REFRESH MATERIALIZED VIEW CONCURRENTLY",
     NULL, TX, KEEPS, {{"order_totals", LOCK_EXCLUSIVE, 0}}},
    {"CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON orders FOR EACH ROW "
     "EXECUTE FUNCTION audit()",
     "CREATE TRIGGER", NULL, TX, KEEPS, {{"orders", LOCK_SHARE_ROW_EXCLUSIVE, 0}}},
    {"COMMENT ON TABLE orders IS 'one row per order'", "COMMENT ON TABLE", NULL, TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"COMMENT ON COLUMN shop.stock.qty IS 'units on hand'", "COMMENT ON COLUMN", NULL, TX, KEEPS,
     {{"shop.stock", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},

    /* ---- Data: ROW EXCLUSIVE on the target, ACCESS SHARE on what is read
     * (FROM, USING, sub-selects); without WHERE, DELETE and UPDATE touch
     * every row. CTE names are not relations. */
    {"INSERT INTO archive SELECT * FROM orders WHERE created_at < '2020-01-01'", "INSERT", NULL, TX,
     KEEPS, {{"archive", LOCK_ROW_EXCLUSIVE, 0}, {"orders", LOCK_ACCESS_SHARE, 0}}},
    {"UPDATE orders SET note = c.name FROM customers c WHERE c.id = orders.customer_id", "UPDATE", NULL,
     TX, KEEPS, {{"orders", LOCK_ROW_EXCLUSIVE, 0}, {"customers", LOCK_ACCESS_SHARE, 0}}},
    {"UPDATE orders SET status = 'closed'", "UPDATE", NULL, TX, DESTRUCTIVE,
     {{"orders", LOCK_ROW_EXCLUSIVE, 0}}},
    {"DELETE FROM order_items", "DELETE", NULL, TX, DESTRUCTIVE, {{"order_items", LOCK_ROW_EXCLUSIVE, 0}}},
    {"DELETE FROM order_items i USING orders o WHERE o.id = i.order_id AND o.status = 'void'", "DELETE",
     NULL, TX, KEEPS, {{"order_items", LOCK_ROW_EXCLUSIVE, 0}, {"orders", LOCK_ACCESS_SHARE, 0}}},
    {"DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE status = 'void')", "DELETE",
     NULL, TX, KEEPS, {{"order_items", LOCK_ROW_EXCLUSIVE, 0}, {"orders", LOCK_ACCESS_SHARE, 0}}},
    {"MERGE INTO products p USING incoming_products i ON p.sku = i.sku "
     "WHEN MATCHED THEN UPDATE SET price = i.price "
     "WHEN NOT MATCHED THEN INSERT (sku, price) VALUES (i.sku, i.price)",
     "MERGE", NULL, TX, KEEPS,
     {{"products", LOCK_ROW_EXCLUSIVE, 0}, {"incoming_products", LOCK_ACCESS_SHARE, 0}}},
    {"WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') "
     "INSERT INTO archive SELECT * FROM recent",
     "INSERT", NULL, TX, KEEPS, {{"archive", LOCK_ROW_EXCLUSIVE, 0}, {"orders", LOCK_ACCESS_SHARE, 0}}},
    /* A data-modifying WITH writes its own target: ROW EXCLUSIVE there too. */
    {"WITH moved AS (DELETE FROM order_items RETURNING *) INSERT INTO archived_items SELECT * FROM moved",
     "INSERT", NULL, TX, DESTRUCTIVE,
     {{"archived_items", LOCK_ROW_EXCLUSIVE, 0}, {"order_items", LOCK_ROW_EXCLUSIVE, 0}}},
    {"INSERT INTO \"Order Items\" (\"Qty\", sku) VALUES (1, 'x')", "INSERT", NULL, TX, KEEPS,
     {{"\"Order Items\"", LOCK_ROW_EXCLUSIVE, 0}}},
    {"UPDATE \"Shop\".\"Stock\" SET qty = 0 WHERE sku = 'x'", "UPDATE", NULL, TX, KEEPS,
     {{"\"Shop\".\"Stock\"", LOCK_ROW_EXCLUSIVE, 0}}},
    {"ALTER TABLE Shop.Stock ADD COLUMN bin text", "ALTER TABLE", "ADD COLUMN", TX, KEEPS,
     {{"shop.stock", LOCK_ACCESS_EXCLUSIVE, 0}}},

    /* ---- Reads and explicit locks. FOR UPDATE/SHARE: ROW SHARE on the
     * tables it covers (all of FROM, or those its OF list names, by alias);
     * the rest ACCESS SHARE. */
    {"SELECT * FROM orders WHERE id = 1 FOR UPDATE", "SELECT", NULL, TX, KEEPS,
     {{"orders", LOCK_ROW_SHARE, 0}}},
    {"SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id FOR UPDATE OF o", "SELECT", NULL,
     TX, KEEPS, {{"orders", LOCK_ROW_SHARE, 0}, {"customers", LOCK_ACCESS_SHARE, 0}}},
    {"SELECT * FROM customers WHERE id IN (SELECT customer_id FROM orders FOR NO KEY UPDATE)", "SELECT",
     NULL, TX, KEEPS, {{"customers", LOCK_ACCESS_SHARE, 0}, {"orders", LOCK_ROW_SHARE, 0}}},
    {"SELECT * FROM orders o, customers c, shop.stock s WHERE c.id = o.customer_id "
     "FOR KEY SHARE OF c FOR UPDATE OF s",
     "SELECT", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_SHARE, 0}, {"customers", LOCK_ROW_SHARE, 0},
      {"shop.stock", LOCK_ROW_SHARE, 0}}},
    /* OF a sub-select's alias: every table in it. */
    {"SELECT * FROM (SELECT * FROM orders JOIN customers ON customers.id = orders.customer_id) oc, "
     "products FOR SHARE OF oc",
     "SELECT", NULL, TX, KEEPS,
     {{"orders", LOCK_ROW_SHARE, 0}, {"customers", LOCK_ROW_SHARE, 0},
      {"products", LOCK_ACCESS_SHARE, 0}}},
    {"SELECT count(*) FROM orders JOIN shop.stock USING (sku)", "SELECT", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_SHARE, 0}, {"shop.stock", LOCK_ACCESS_SHARE, 0}}},
    {"LOCK TABLE orders IN SHARE MODE", "LOCK TABLE", NULL, TX, KEEPS, {{"orders", LOCK_SHARE, 0}}},
    {"LOCK orders, shop.stock", "LOCK TABLE", NULL, TX, KEEPS,
     {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}, {"shop.stock", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"LOCK TABLE products IN ROW EXCLUSIVE MODE", "LOCK TABLE", NULL, TX, KEEPS,
     {{"products", LOCK_ROW_EXCLUSIVE, 0}}},

    /* ---- Creating from a query. */
    {"CREATE VIEW active_orders AS SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id "
     "WHERE o.status = 'open'",
     "CREATE VIEW", NULL, TX, KEEPS,
     {{"active_orders", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"orders", LOCK_ACCESS_SHARE, 0},
      {"customers", LOCK_ACCESS_SHARE, 0}}},
    {"CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(total) FROM orders GROUP BY 1",
     "CREATE MATERIALIZED VIEW", NULL, TX, KEEPS,
     {{"order_totals", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"orders", LOCK_ACCESS_SHARE, 0}}},
    {"SELECT * INTO orders_2019 FROM orders WHERE created_at < '2020-01-01'", "SELECT INTO", NULL, TX,
     KEEPS, {{"orders_2019", LOCK_ACCESS_EXCLUSIVE, CREATED}, {"orders", LOCK_ACCESS_SHARE, 0}}},

    /* ---- Row security, rules, statistics, publications, comments on a
     * table's objects (policy.c, rewriteDefine.c, statscmds.c,
     * publicationcmds.c, objectaddress.c). */
    {"CREATE POLICY own_orders ON orders USING (customer_id = current_setting('app.uid')::int)",
     "CREATE POLICY", NULL, TX, KEEPS, {{"orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"ALTER POLICY own_orders ON shop.orders USING (true)", "ALTER POLICY", NULL, TX, KEEPS,
     {{"shop.orders", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"CREATE RULE no_delete AS ON DELETE TO archive DO INSTEAD NOTHING", "CREATE RULE", NULL, TX, KEEPS,
     {{"archive", LOCK_ACCESS_EXCLUSIVE, 0}}},
    {"CREATE STATISTICS orders_stats (dependencies) ON customer_id, status FROM orders",
     "CREATE STATISTICS", NULL, TX, KEEPS, {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"CREATE PUBLICATION orders_pub FOR TABLE orders, shop.stock WHERE (qty > 0)", "CREATE PUBLICATION",
     NULL, TX, KEEPS,
     {{"orders", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}, {"shop.stock", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"ALTER PUBLICATION orders_pub ADD TABLE customers", "ALTER PUBLICATION", NULL, TX, KEEPS,
     {{"customers", LOCK_SHARE_UPDATE_EXCLUSIVE, 0}}},
    {"COMMENT ON CONSTRAINT orders_total_check ON orders IS 'never negative'", "COMMENT ON CONSTRAINT",
     NULL, TX, KEEPS, {{"orders", LOCK_ACCESS_SHARE, 0}}},
    {"COMMENT ON TRIGGER stock_touch ON shop.stock IS 'keeps it fresh'", "COMMENT ON TRIGGER", NULL, TX,
     KEEPS, {{"shop.stock", LOCK_ACCESS_SHARE, 0}}},
    /* Index storage parameters: the B-tree ones SHARE UPDATE EXCLUSIVE,
     * GIN's fastupdate ACCESS EXCLUSIVE. */
    {"ALTER INDEX orders_pkey SET (fillfactor = 80, deduplicate_items = off)", "ALTER INDEX",
     "SET (storage options)", TX, KEEPS, {{"orders_pkey", LOCK_SHARE_UPDATE_EXCLUSIVE, INDEX}}},
    {"ALTER INDEX orders_note_gin SET (fastupdate = off)", "ALTER INDEX", NULL, TX, KEEPS,
     {{"orders_note_gin", LOCK_ACCESS_EXCLUSIVE, INDEX}}},

    /* ---- No relation at all; some refuse a transaction block. */
    {"CREATE DATABASE analytics", "CREATE DATABASE", NULL, NO_TX, KEEPS, {{NULL, LOCK_NONE, 0}}},
    {"ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM", NULL, NO_TX, KEEPS, {{NULL, LOCK_NONE, 0}}},
    {"CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
     "CREATE FUNCTION", NULL, TX, KEEPS, {{NULL, LOCK_NONE, 0}}},
};

#define NCASES (sizeof cases / sizeof cases[0])

static char *describe_expected(const classify_case *c)
{
    strbuf sb = {0};
    for (size_t i = 0; i < MAX_LOCKS && c->locks[i].relation; i++)
        strbuf_appendf(&sb, "%s%s=%s%s%s", i ? ", " : "", c->locks[i].relation,
                       lock_mode_name(c->locks[i].mode), c->locks[i].flags & CREATED ? " (created)" : "",
                       c->locks[i].flags & INDEX ? " (index)" : "");
    return strbuf_detach(&sb);
}

static char *describe_actual(const sql_statement *s)
{
    strbuf sb = {0};
    for (size_t i = 0; i < s->nlocks; i++)
        strbuf_appendf(&sb, "%s%s=%s%s%s", i ? ", " : "", s->locks[i].relation,
                       lock_mode_name(s->locks[i].mode), s->locks[i].created ? " (created)" : "",
                       s->locks[i].index ? " (index)" : "");
    return strbuf_detach(&sb);
}

/* The predicted locks equal the expected ones exactly, in any order. */
static bool locks_match(const classify_case *c, const sql_statement *s)
{
    size_t n = 0;
    for (; n < MAX_LOCKS && c->locks[n].relation; n++) {
        const expected_lock *e = &c->locks[n];
        bool found = false;
        for (size_t k = 0; k < s->nlocks && !found; k++) {
            const sql_lock *l = &s->locks[k];
            found = strcmp(l->relation, e->relation) == 0 && l->mode == e->mode &&
                    l->created == ((e->flags & CREATED) != 0) && l->index == ((e->flags & INDEX) != 0);
        }
        if (!found)
            return false;
    }
    return n == s->nlocks;
}

static void test_case(void **state)
{
    const classify_case *c = *state;
    sql_script sc;
    sw_error err = {0};
    if (sql_script_parse(&sc, "case.sql", c->sql, strlen(c->sql), SQL_POSTGRES, &err) != SW_OK)
        fail_msg("[%s]: %s", c->sql, err.message);
    if (sc.count != 1)
        fail_msg("[%s]: %zu statements, expected 1", c->sql, sc.count);
    const sql_statement *s = &sc.statements[0];
    if (!s->analysed)
        fail_msg("[%s]: not analysed: %s", c->sql, s->error ? s->error : "(no message)");
    assert_null(s->error);
    if (!s->kind || strcmp(s->kind, c->kind) != 0)
        fail_msg("[%s]: kind [%s], expected [%s]", c->sql, s->kind ? s->kind : "(none)", c->kind);
    if (c->detail && (!s->detail || strcmp(s->detail, c->detail) != 0))
        fail_msg("[%s]: detail [%s], expected [%s]", c->sql, s->detail ? s->detail : "(none)",
                 c->detail);
    if (s->transactional != c->transactional)
        fail_msg("[%s]: transactional is %s, expected %s", c->sql, s->transactional ? "true" : "false",
                 c->transactional ? "true" : "false");
    if (s->destructive != c->destructive)
        fail_msg("[%s]: destructive is %s, expected %s", c->sql, s->destructive ? "true" : "false",
                 c->destructive ? "true" : "false");
    assert_false(s->transaction_control);
    if (!locks_match(c, s)) {
        static char message[2048];
        char *want = describe_expected(c), *got = describe_actual(s);
        char *text = xasprintf("[%s]: locks {%s}, expected {%s}", c->sql, got, want);
        snprintf(message, sizeof message, "%s", text);
        free(text);
        free(want);
        free(got);
        sql_script_free(&sc);
        fail_msg("%s", message);
    }
    /* The strongest lock is the strongest of the list. */
    lock_mode strongest = LOCK_NONE;
    for (size_t i = 0; i < MAX_LOCKS && c->locks[i].relation; i++)
        if (c->locks[i].mode > strongest)
            strongest = c->locks[i].mode;
    assert_int_equal(sql_statement_strongest_lock(s), strongest);
    sql_script_free(&sc);
}

/* Statements the grammar rejects: kept, not analysed, with the parser's
 * message at the right line and character column; nothing is predicted
 * for them, and their neighbours are still classified. */
static void test_parse_errors(void **state)
{
    (void)state;
    static const char script[] =
        "ALTER TABLE orders ADD COLUMN paid boolean;\n"
        "ALTER TABLE orders\n"
        "    ADD COLUMN note text DEFALT 'none';\n"
        "UPDATE clients SET name = 'Jos\xc3\xa9' WHER id = 1;\n"
        "CREATE TABLE t (id int";
    static const struct {
        const char *text;
        int line, column;
        const char *error; /* NULL: analysed */
        int error_line, error_column;
    } expected[] = {
        {"ALTER TABLE orders ADD COLUMN paid boolean", 1, 1, NULL, 0, 0},
        {"ALTER TABLE orders\n    ADD COLUMN note text DEFALT 'none'", 2, 1,
         "syntax error at or near \"DEFALT\"", 3, 26},
        /* 'é' is two bytes but one column */
        {"UPDATE clients SET name = 'Jos\xc3\xa9' WHER id = 1", 4, 1,
         "syntax error at or near \"WHER\"", 4, 34},
        {"CREATE TABLE t (id int", 5, 1, "syntax error at end of input", 5, 23},
    };
    sql_script sc;
    sw_error err = {0};
    assert_int_equal(sql_script_parse(&sc, "bad.sql", script, sizeof script - 1, SQL_POSTGRES, &err),
                     SW_OK);
    assert_int_equal(sc.count, sizeof expected / sizeof expected[0]);
    assert_int_equal(sql_script_errors(&sc), 3);
    for (size_t i = 0; i < sc.count; i++) {
        const sql_statement *s = &sc.statements[i];
        if (strcmp(s->text, expected[i].text) != 0)
            fail_msg("statement %zu is [%s], expected [%s]", i + 1, s->text, expected[i].text);
        if (s->line != expected[i].line || s->column != expected[i].column)
            fail_msg("[%s] at %d:%d, expected %d:%d", s->text, s->line, s->column, expected[i].line,
                     expected[i].column);
        if (!expected[i].error) {
            if (!s->analysed)
                fail_msg("[%s] not analysed: %s", s->text, s->error ? s->error : "");
            assert_string_equal(s->kind, "ALTER TABLE");
            assert_int_equal(s->nlocks, 1);
            assert_string_equal(s->locks[0].relation, "orders");
            assert_int_equal(s->locks[0].mode, LOCK_ACCESS_EXCLUSIVE);
            continue;
        }
        if (s->analysed)
            fail_msg("[%s] analysed, expected the error [%s]", s->text, expected[i].error);
        if (!s->error || !strstr(s->error, expected[i].error))
            fail_msg("[%s]: error [%s], expected [%s]", s->text, s->error ? s->error : "(none)",
                     expected[i].error);
        if (s->error_line != expected[i].error_line || s->error_column != expected[i].error_column)
            fail_msg("[%s]: error at %d:%d, expected %d:%d", s->text, s->error_line, s->error_column,
                     expected[i].error_line, expected[i].error_column);
        if (s->nlocks != 0)
            fail_msg("[%s]: %zu locks predicted for a statement that does not parse", s->text,
                     s->nlocks);
        assert_int_equal(sql_statement_strongest_lock(s), LOCK_NONE);
    }
    sql_script_free(&sc);
}

int main(void)
{
    static struct CMUnitTest tests[NCASES + 1];
    for (size_t i = 0; i < NCASES; i++)
        tests[i] = (struct CMUnitTest){cases[i].sql, test_case, NULL, NULL, (void *)&cases[i]};
    tests[NCASES] = (struct CMUnitTest){"statements that do not parse", test_parse_errors, NULL, NULL,
                                        NULL};
    return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
