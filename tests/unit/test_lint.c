/* Unit tests of core/lint: every rule against at least two scripts that
 * trigger it and two close look-alikes that must not, then the
 * "-- stepwise:allow" comments, severities, rejected statements and the
 * positions findings carry. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/lint.h"
#include "core/sqlparse.h"

/* How a case's script runs. */
enum {
    TX = 0,        /* PostgreSQL, in stepwise's transaction */
    NT = 1 << 0,   /* -- stepwise:no-transaction */
    LT = 1 << 1,   /* -- stepwise:lock-timeout given */
    DOWN = 1 << 2, /* a rollback script */
    LITE = 1 << 3, /* SQLite */
};

typedef struct lint_case {
    const char *rule;
    unsigned flags;
    const char *setup;    /* linted first, with the same lint_schema */
    const char *sql;
    bool triggers;
    const char *relation; /* named in the message (triggering cases) */
    const char *lock;     /* lock mode named in the message, if about a lock */
} lint_case;

#define HIT(rule, flags, sql, relation, lock) {rule, flags, NULL, sql, true, relation, lock}
#define MISS(rule, flags, sql) {rule, flags, NULL, sql, false, NULL, NULL}
#define HIT_AFTER(rule, flags, setup, sql, relation, lock) {rule, flags, setup, sql, true, relation, lock}
#define MISS_AFTER(rule, flags, setup, sql) {rule, flags, setup, sql, false, NULL, NULL}

/* The schema of an earlier migration, for ALTER COLUMN TYPE cases. */
#define USERS_V1 "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50), age smallint);"
#define PRICES_V1 "CREATE TABLE prices (id bigint, amount numeric(10,2), code varchar(8));"

static const lint_case cases[] = {
    /* ---- index creation and deletion without CONCURRENTLY */
    HIT("require-concurrent-index-creation", TX,
        "CREATE INDEX orders_user_idx ON orders (user_id);", "orders", "SHARE"),
    HIT("require-concurrent-index-creation", TX,
        "CREATE UNIQUE INDEX users_email_key ON app.users (lower(email));", "app.users", "SHARE"),
    HIT("require-concurrent-index-creation", NT,
        "SET lock_timeout = '2s';\nCREATE INDEX IF NOT EXISTS orders_user_idx ON orders (user_id);",
        "orders", "SHARE"),
    MISS("require-concurrent-index-creation", NT,
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);"),
    MISS("require-concurrent-index-creation", TX,
         "CREATE TABLE orders (id bigint, user_id bigint);\n"
         "CREATE INDEX orders_user_idx ON orders (user_id);"),
    MISS("require-concurrent-index-creation", LITE,
         "CREATE INDEX orders_user_idx ON orders (user_id);"),
    MISS("require-concurrent-index-creation", TX, /* a new table swapped in under the old name */
         "CREATE TABLE users_new (id bigint, email text);\n"
         "ALTER TABLE users_new RENAME TO users;\n"
         "CREATE INDEX users_email_idx ON users (email);"),

    HIT("require-concurrent-index-deletion", TX, "DROP INDEX orders_user_idx;", "orders_user_idx",
        "ACCESS EXCLUSIVE"),
    HIT("require-concurrent-index-deletion", TX, "DROP INDEX IF EXISTS app.orders_user_idx;",
        "app.orders_user_idx", "ACCESS EXCLUSIVE"),
    MISS("require-concurrent-index-deletion", NT,
         "DROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;"),
    MISS("require-concurrent-index-deletion", TX,
         "CREATE INDEX orders_user_idx ON orders (user_id);\nDROP INDEX orders_user_idx;"),
    MISS("require-concurrent-index-deletion", LITE, "DROP INDEX orders_user_idx;"),

    /* ---- REINDEX and DETACH PARTITION without CONCURRENTLY */
    HIT("require-concurrent-reindex", TX, "REINDEX TABLE orders;", "orders", "SHARE"),
    HIT("require-concurrent-reindex", TX, "REINDEX INDEX app.orders_user_idx;",
        "app.orders_user_idx", "ACCESS EXCLUSIVE"),
    MISS("require-concurrent-reindex", NT, "REINDEX TABLE CONCURRENTLY orders;"),
    MISS("require-concurrent-reindex", NT, "REINDEX (CONCURRENTLY) INDEX app.orders_user_idx;"),
    MISS("require-concurrent-reindex", TX,
         "CREATE TABLE orders (id bigint, user_id bigint);\nREINDEX TABLE orders;"),

    HIT("require-concurrent-detach-partition", TX,
        "ALTER TABLE measurements DETACH PARTITION measurements_2023;", "measurements",
        "ACCESS EXCLUSIVE"),
    HIT("require-concurrent-detach-partition", TX,
        "ALTER TABLE app.events DETACH PARTITION app.events_old;", "app.events", "ACCESS EXCLUSIVE"),
    MISS("require-concurrent-detach-partition", NT,
         "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;"),
    MISS("require-concurrent-detach-partition", NT,
         "ALTER TABLE measurements DETACH PARTITION measurements_2023 FINALIZE;"),
    MISS("require-concurrent-detach-partition", TX,
         "ALTER TABLE measurements ATTACH PARTITION measurements_2024 "
         "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"),

    /* ---- statements that cannot run in a transaction; transaction control */
    HIT("non-transactional-statement", TX,
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);", "orders", NULL),
    HIT("non-transactional-statement", TX, "DROP INDEX CONCURRENTLY app.orders_user_idx;",
        "app.orders_user_idx", NULL),
    HIT("non-transactional-statement", TX,
        "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;",
        "measurements_2023", NULL),
    HIT("non-transactional-statement", LITE, "VACUUM;", NULL, NULL),
    HIT("non-transactional-statement", LITE, "VACUUM INTO 'backup.db';", NULL, NULL),
    MISS("non-transactional-statement", NT,
         "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);"),
    MISS("non-transactional-statement", TX, "CREATE INDEX orders_user_idx ON orders (user_id);"),
    MISS("non-transactional-statement", LITE, "ANALYZE;"),

    HIT("transaction-control", TX,
        "BEGIN;\nALTER TABLE users ADD COLUMN plan text;\nCOMMIT;", NULL, NULL),
    HIT("transaction-control", TX, "SAVEPOINT before_backfill;", NULL, NULL),
    HIT("transaction-control", LITE, "BEGIN TRANSACTION;\nCREATE TABLE t (id INTEGER);\nCOMMIT;",
        NULL, NULL),
    HIT("transaction-control", LITE, "BEGIN IMMEDIATE;\nCREATE TABLE t (id INTEGER);", NULL, NULL),
    MISS("transaction-control", TX, "SET LOCAL statement_timeout = '5min';"),
    MISS("transaction-control", TX, "COMMENT ON TABLE users IS 'BEGIN; COMMIT;';"),
    MISS("transaction-control", LITE, "CREATE TABLE commit_log (id INTEGER, begin_at TEXT);"),

    /* ---- CHECK and FOREIGN KEY constraints */
    HIT("constraint-missing-not-valid", TX,
        "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);", "orders",
        "ACCESS EXCLUSIVE"),
    HIT("constraint-missing-not-valid", TX,
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id);",
        "orders", "SHARE ROW EXCLUSIVE"),
    HIT("constraint-missing-not-valid", TX,
        "ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);", "orders",
        "ACCESS EXCLUSIVE"),
    MISS("constraint-missing-not-valid", TX,
         "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;"),
    MISS("constraint-missing-not-valid", TX,
         "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
         "REFERENCES users (id) NOT VALID;"),
    MISS("constraint-missing-not-valid", TX,
         "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;"),
    MISS("constraint-missing-not-valid", TX,
         "CREATE TABLE refunds (id bigint, amount numeric);\n"
         "ALTER TABLE refunds ADD CONSTRAINT refunds_amount_check CHECK (amount > 0);"),

    HIT("adding-foreign-key", TX,
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id);",
        "users", "SHARE ROW EXCLUSIVE"),
    HIT("adding-foreign-key", TX,
        "ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES app.coupons (id);",
        "app.coupons", "SHARE ROW EXCLUSIVE"),
    HIT("adding-foreign-key", TX,
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;",
        "orders", "SHARE ROW EXCLUSIVE"),
    MISS("adding-foreign-key", TX,
         "CREATE TABLE refunds (id bigint, order_id bigint REFERENCES orders (id));"),
    MISS("adding-foreign-key", TX,
         "CREATE TABLE refunds (id bigint, order_id bigint);\n"
         "ALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) "
         "REFERENCES orders (id);"),
    MISS("adding-foreign-key", TX, "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;"),

    /* ---- NOT NULL */
    HIT("setting-not-null", TX, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "users",
        "ACCESS EXCLUSIVE"),
    HIT("setting-not-null", TX,
        "ALTER TABLE app.users ALTER email SET NOT NULL, ALTER name SET NOT NULL;", "app.users",
        "ACCESS EXCLUSIVE"),
    MISS("setting-not-null", TX, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;"),
    MISS("setting-not-null", TX,
         "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;"),
    MISS("setting-not-null", TX,
         "CREATE TABLE users (id bigint, email text);\n"
         "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"),

    HIT("adding-required-field", TX, "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;",
        "users", NULL),
    HIT("adding-required-field", LITE, "ALTER TABLE users ADD COLUMN tenant_id INTEGER NOT NULL;",
        "users", NULL),
    MISS("adding-required-field", TX,
         "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;"),
    MISS("adding-required-field", LITE,
         "ALTER TABLE users ADD COLUMN tenant_id INTEGER NOT NULL DEFAULT 1;"),
    HIT("adding-required-field", TX,
        "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT NULL;", "users", NULL),
    MISS("adding-required-field", TX, "ALTER TABLE users ADD COLUMN tenant_id bigint;"),
    MISS("adding-required-field", TX, "CREATE TABLE tenants (id bigint NOT NULL, name text NOT NULL);"),

    /* ---- ADD COLUMN that rewrites the table */
    HIT("adding-volatile-default", TX,
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();", "users",
        "ACCESS EXCLUSIVE"),
    HIT("adding-volatile-default", TX,
        "ALTER TABLE users ADD COLUMN seen_at timestamptz NOT NULL DEFAULT clock_timestamp();",
        "users", "ACCESS EXCLUSIVE"),
    MISS("adding-volatile-default", TX,
         "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();"),
    MISS("adding-volatile-default", TX, "ALTER TABLE users ADD COLUMN score integer DEFAULT 0;"),
    MISS("adding-volatile-default", TX,
         "ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();"),
    MISS("adding-volatile-default", TX,
         "CREATE TABLE sessions (id bigint, token uuid DEFAULT gen_random_uuid());"),

    HIT("adding-serial-column", TX, "ALTER TABLE events ADD COLUMN seq bigserial;", "events",
        "ACCESS EXCLUSIVE"),
    HIT("adding-serial-column", TX,
        "ALTER TABLE events ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;", "events",
        "ACCESS EXCLUSIVE"),
    MISS("adding-serial-column", TX, "ALTER TABLE events ADD COLUMN seq bigint;"),
    MISS("adding-serial-column", TX,
         "ALTER TABLE events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;"),
    MISS("adding-serial-column", TX, "CREATE TABLE events (id bigserial PRIMARY KEY);"),

    HIT("adding-stored-generated-column", TX,
        "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) STORED;",
        "orders", "ACCESS EXCLUSIVE"),
    HIT("adding-stored-generated-column", TX,
        "ALTER TABLE app.people ADD COLUMN full_name text "
        "GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
        "app.people", "ACCESS EXCLUSIVE"),
    MISS("adding-stored-generated-column", TX, "ALTER TABLE orders ADD COLUMN total_cents bigint;"),
    MISS("adding-stored-generated-column", TX,
         "CREATE TABLE orders (total numeric, "
         "total_cents bigint GENERATED ALWAYS AS (total * 100) STORED);"),

    /* ---- ALTER COLUMN TYPE: binary-coercible changes known from earlier scripts */
    HIT_AFTER("changing-column-type", TX, USERS_V1,
              "ALTER TABLE users ALTER COLUMN email TYPE integer USING 0;", "users",
              "ACCESS EXCLUSIVE"),
    HIT_AFTER("changing-column-type", TX, USERS_V1,
              "ALTER TABLE users ALTER COLUMN email TYPE varchar(20);", "users", "ACCESS EXCLUSIVE"),
    HIT_AFTER("changing-column-type", TX, USERS_V1,
              "ALTER TABLE users ALTER COLUMN age TYPE integer;", "users", "ACCESS EXCLUSIVE"),
    HIT_AFTER("changing-column-type", TX, PRICES_V1,
              "ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,4);", "prices",
              "ACCESS EXCLUSIVE"),
    HIT_AFTER("changing-column-type", TX, USERS_V1,
              "ALTER TABLE users ALTER COLUMN email TYPE text USING lower(email);", "users",
              "ACCESS EXCLUSIVE"),
    HIT("changing-column-type", TX, "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);",
        "users", "ACCESS EXCLUSIVE"),
    MISS_AFTER("changing-column-type", TX, USERS_V1,
               "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);"),
    MISS_AFTER("changing-column-type", TX, USERS_V1,
               "ALTER TABLE users ALTER COLUMN email TYPE text;"),
    MISS_AFTER("changing-column-type", TX, USERS_V1,
               "ALTER TABLE users ALTER COLUMN email TYPE text USING email::text;"),
    MISS_AFTER("changing-column-type", TX, PRICES_V1,
               "ALTER TABLE prices ALTER COLUMN amount TYPE numeric(14,2);"),
    MISS_AFTER("changing-column-type", TX, PRICES_V1,
               "ALTER TABLE prices ALTER COLUMN code TYPE varchar;"),
    MISS("changing-column-type", TX,
         "CREATE TABLE users (id bigint, email varchar(50));\n"
         "ALTER TABLE users ALTER COLUMN email TYPE integer USING 0;"),

    /* ---- unique, primary key and exclusion constraints */
    HIT("adding-unique-constraint", TX,
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);", "users",
        "ACCESS EXCLUSIVE"),
    HIT("adding-unique-constraint", TX, "ALTER TABLE app.users ADD PRIMARY KEY (id);", "app.users",
        "ACCESS EXCLUSIVE"),
    HIT("adding-unique-constraint", TX, "ALTER TABLE users ADD COLUMN handle text UNIQUE;", "users",
        "ACCESS EXCLUSIVE"),
    MISS("adding-unique-constraint", TX,
         "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;"),
    MISS("adding-unique-constraint", TX,
         "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;"),
    MISS("adding-unique-constraint", TX,
         "CREATE TABLE users (id bigint, email text);\n"
         "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"),

    HIT("adding-exclusion-constraint", TX,
        "ALTER TABLE bookings ADD CONSTRAINT no_overlap "
        "EXCLUDE USING gist (room WITH =, during WITH &&);",
        "bookings", "ACCESS EXCLUSIVE"),
    HIT("adding-exclusion-constraint", TX,
        "ALTER TABLE app.bookings ADD EXCLUDE USING gist (during WITH &&);", "app.bookings",
        "ACCESS EXCLUSIVE"),
    MISS("adding-exclusion-constraint", TX,
         "CREATE TABLE bookings (room bigint, during tstzrange, "
         "EXCLUDE USING gist (room WITH =, during WITH &&));"),
    MISS("adding-exclusion-constraint", TX, "ALTER TABLE bookings DROP CONSTRAINT no_overlap;"),

    /* ---- domains with CHECK constraints */
    HIT("domain-check-constraint", TX, "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);",
        "positive_int", NULL),
    HIT("domain-check-constraint", TX,
        "ALTER DOMAIN app.email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
        "app.email", "SHARE"),
    MISS("domain-check-constraint", TX, "CREATE DOMAIN email AS text NOT NULL;"),
    MISS("domain-check-constraint", TX,
         "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;"),
    MISS("domain-check-constraint", TX, "CREATE DOMAIN email AS text;"),

    /* ---- table rewrites: VACUUM FULL, CLUSTER */
    HIT("vacuum-full", NT, "VACUUM FULL orders;", "orders", "ACCESS EXCLUSIVE"),
    HIT("vacuum-full", NT, "VACUUM (FULL, ANALYZE) app.orders;", "app.orders", "ACCESS EXCLUSIVE"),
    MISS("vacuum-full", NT, "VACUUM orders;"),
    MISS("vacuum-full", NT, "VACUUM (ANALYZE, VERBOSE) orders;"),
    MISS("vacuum-full", NT,
         "CREATE TABLE IF NOT EXISTS scratch (id bigint);\nVACUUM FULL scratch;"),

    HIT("cluster", TX, "CLUSTER orders USING orders_user_idx;", "orders", "ACCESS EXCLUSIVE"),
    HIT("cluster", TX, "CLUSTER app.orders;", "app.orders", "ACCESS EXCLUSIVE"),
    MISS("cluster", TX, "ALTER TABLE orders CLUSTER ON orders_user_idx;"),
    MISS("cluster", TX, "ALTER TABLE orders SET WITHOUT CLUSTER;"),
    MISS("cluster", TX,
         "CREATE TABLE scratch (id bigint);\nCREATE INDEX scratch_idx ON scratch (id);\n"
         "CLUSTER scratch USING scratch_idx;"),

    /* ---- renames */
    HIT("renaming-column", TX, "ALTER TABLE users RENAME COLUMN email TO email_address;", "users",
        "ACCESS EXCLUSIVE"),
    HIT("renaming-column", LITE, "ALTER TABLE users RENAME COLUMN email TO email_address;", "users",
        NULL),
    MISS("renaming-column", TX,
         "ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique;"),
    MISS("renaming-column", TX, "ALTER INDEX users_email_idx RENAME TO users_mail_idx;"),
    MISS("renaming-column", LITE,
         "CREATE TABLE users (email TEXT);\nALTER TABLE users RENAME COLUMN email TO mail;"),

    HIT("renaming-table", TX, "ALTER TABLE users RENAME TO accounts;", "users", "ACCESS EXCLUSIVE"),
    HIT("renaming-table", LITE, "ALTER TABLE users RENAME TO accounts;", "users", NULL),
    MISS("renaming-table", TX, "ALTER INDEX users_pkey RENAME TO accounts_pkey;"),
    MISS("renaming-table", TX,
         "CREATE TABLE users_new (id bigint);\nALTER TABLE users_new RENAME TO users_v2;"),
    MISS("renaming-table", LITE, "ALTER TABLE users RENAME COLUMN email TO mail;"),

    /* ---- data loss */
    HIT("dropping-column", TX, "ALTER TABLE users DROP COLUMN legacy_flag;", "users",
        "ACCESS EXCLUSIVE"),
    HIT("dropping-column", LITE, "ALTER TABLE users DROP COLUMN legacy_flag;", "users", NULL),
    MISS("dropping-column", TX, "ALTER TABLE users DROP CONSTRAINT users_legacy_check;"),
    MISS("dropping-column", TX, "ALTER TABLE users ALTER COLUMN legacy_flag DROP DEFAULT;"),
    MISS("dropping-column", LITE,
         "CREATE TABLE scratch (id INTEGER, x TEXT);\nALTER TABLE scratch DROP COLUMN x;"),

    HIT("dropping-table", TX, "DROP TABLE legacy_sessions;", "legacy_sessions", "ACCESS EXCLUSIVE"),
    HIT("dropping-table", LITE, "DROP TABLE IF EXISTS legacy_sessions;", "legacy_sessions", NULL),
    HIT("dropping-table", DOWN, "DROP TABLE app.invoices;", "app.invoices", "ACCESS EXCLUSIVE"),
    MISS("dropping-table", TX, "DROP VIEW legacy_sessions_v;"),
    MISS("dropping-table", TX, "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;"),
    MISS("dropping-table", LITE, "CREATE TABLE scratch (id INTEGER);\nDROP TABLE scratch;"),

    HIT("dropping-database", NT, "DROP DATABASE legacy;", "legacy", NULL),
    HIT("dropping-database", NT, "DROP DATABASE IF EXISTS staging_copy;", "staging_copy", NULL),
    MISS("dropping-database", NT, "DROP SCHEMA IF EXISTS legacy CASCADE;"),
    MISS("dropping-database", TX, "ALTER DATABASE legacy SET work_mem = '64MB';"),

    HIT("truncate-cascade", TX, "TRUNCATE orders CASCADE;", "orders", "ACCESS EXCLUSIVE"),
    HIT("truncate-cascade", TX, "TRUNCATE TABLE app.orders, app.order_items CASCADE;",
        "app.orders", "ACCESS EXCLUSIVE"),
    MISS("truncate-cascade", TX, "TRUNCATE orders;"),
    MISS("truncate-cascade", TX, "TRUNCATE orders RESTRICT;"),
    MISS("truncate-cascade", TX, "DROP TABLE orders CASCADE;"),

    /* ---- a backfill while ACCESS EXCLUSIVE is held */
    HIT("backfill-under-exclusive-lock", TX,
        "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';", "users",
        "ACCESS EXCLUSIVE"),
    HIT("backfill-under-exclusive-lock", TX,
        "ALTER TABLE orders DROP COLUMN note;\nDELETE FROM order_items WHERE qty = 0;", "orders",
        "ACCESS EXCLUSIVE"),
    MISS("backfill-under-exclusive-lock", NT,
         "ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\nUPDATE users SET plan = 'free';"),
    MISS("backfill-under-exclusive-lock", TX,
         "UPDATE users SET plan = 'free';\nALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free';"),
    MISS("backfill-under-exclusive-lock", TX,
         "CREATE INDEX orders_state_idx ON orders (state);\n"
         "UPDATE orders SET state = 'open' WHERE state IS NULL;"),
    MISS("backfill-under-exclusive-lock", TX,
         "CREATE TABLE plans (id bigint, name text);\nALTER TABLE plans ADD COLUMN tier text;\n"
         "UPDATE plans SET tier = 'basic';"),

    /* ---- lock_timeout in no-transaction migrations */
    HIT("missing-lock-timeout", NT,
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);", "orders",
        "SHARE UPDATE EXCLUSIVE"),
    HIT("missing-lock-timeout", NT, "ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;", "users",
        "ACCESS EXCLUSIVE"),
    HIT("missing-lock-timeout", NT,
        "RESET lock_timeout;\nALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;", "users",
        "ACCESS EXCLUSIVE"),
    HIT("missing-lock-timeout", NT, /* SET LOCAL lasts one statement here */
        "SET LOCAL lock_timeout = '2s';\nALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;",
        "users", "ACCESS EXCLUSIVE"),
    HIT("missing-lock-timeout", NT,
        "SET lock_timeout = 0;\nDROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;",
        "orders_user_idx", "SHARE UPDATE EXCLUSIVE"),
    MISS("missing-lock-timeout", NT | LT,
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);"),
    MISS("missing-lock-timeout", NT,
         "SET lock_timeout = '2s';\n"
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);"),
    MISS("missing-lock-timeout", NT,
         "SET lock_timeout TO 5000;\nALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;"),
    MISS("missing-lock-timeout", TX, "ALTER TABLE users ADD COLUMN plan text;"),
    MISS("missing-lock-timeout", NT, "CREATE TABLE IF NOT EXISTS plans (id bigint);"),

    /* ---- hygiene hints */
    HIT("prefer-robust-statements", NT,
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);", "orders_user_idx", NULL),
    HIT("prefer-robust-statements", NT, "DROP INDEX CONCURRENTLY orders_user_idx;",
        "orders_user_idx", NULL),
    HIT("prefer-robust-statements", NT, "ALTER TABLE users ADD COLUMN plan text;", "users", NULL),
    HIT("prefer-robust-statements", NT, "CREATE TABLE plans (id bigint);", "plans", NULL),
    MISS("prefer-robust-statements", NT,
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);"),
    MISS("prefer-robust-statements", NT, "DROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;"),
    /* A DROP ... IF EXISTS of the same index first is the robust form. */
    MISS("prefer-robust-statements", NT,
         "DROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;\n"
         "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);"),
    HIT("prefer-robust-statements", NT,
        "DROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;\n"
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);", "orders_user_idx", NULL),
    MISS("prefer-robust-statements", TX, "CREATE TABLE plans (id bigint);"),

    HIT("prefer-text", TX, "CREATE TABLE users (id bigint, email varchar(255));", "users", NULL),
    HIT("prefer-text", TX, "ALTER TABLE users ADD COLUMN nickname character varying(40);", "users",
        NULL),
    MISS("prefer-text", TX, "CREATE TABLE users (id bigint, email text);"),
    MISS("prefer-text", TX, "CREATE TABLE users (id bigint, email varchar);"),

    HIT("prefer-bigint", TX, "CREATE TABLE users (id integer PRIMARY KEY);", "users", NULL),
    HIT("prefer-bigint", TX, "CREATE TABLE orders (id bigint, user_id int NOT NULL);", "orders",
        NULL),
    HIT("prefer-bigint", TX,
        "CREATE TABLE lines (order_no integer, line smallint, PRIMARY KEY (order_no, line));",
        "lines", NULL),
    MISS("prefer-bigint", TX, "CREATE TABLE users (id bigint PRIMARY KEY);"),
    MISS("prefer-bigint", TX, "CREATE TABLE orders (id bigint, quantity integer NOT NULL);"),

    HIT("prefer-identity", TX, "CREATE TABLE users (id bigserial PRIMARY KEY);", "users", NULL),
    HIT("prefer-identity", TX, "CREATE TABLE tags (id bigint, position serial);", "tags", NULL),
    MISS("prefer-identity", TX,
         "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
    MISS("prefer-identity", TX,
         "CREATE TABLE users (id bigint DEFAULT nextval('users_id_seq') PRIMARY KEY);"),

    HIT("prefer-timestamptz", TX, "CREATE TABLE events (id bigint, happened_at timestamp);",
        "events", NULL),
    HIT("prefer-timestamptz", TX,
        "ALTER TABLE events ADD COLUMN seen_at timestamp(3) without time zone;", "events", NULL),
    MISS("prefer-timestamptz", TX, "CREATE TABLE events (id bigint, happened_at timestamptz);"),
    MISS("prefer-timestamptz", TX,
         "CREATE TABLE events (id bigint, happened_at timestamp with time zone);"),

    HIT("prefer-jsonb", TX, "CREATE TABLE events (id bigint, payload json);", "events", NULL),
    HIT("prefer-jsonb", TX, "ALTER TABLE events ALTER COLUMN payload TYPE json;", "events", NULL),
    MISS("prefer-jsonb", TX, "CREATE TABLE events (id bigint, payload jsonb);"),
    MISS("prefer-jsonb", TX, "CREATE TABLE events (id bigint, payload_json text);"),

    /* ---- -- stepwise:allow comments that cannot be honoured */
    HIT("invalid-allow", TX,
        "-- stepwise:allow dropping-tables retired in 2023\nDROP TABLE legacy_sessions;",
        "dropping-tables", NULL),
    HIT("invalid-allow", LITE, "-- stepwise:allow dropping-table\nDROP TABLE legacy_sessions;",
        "dropping-table", NULL),
    MISS("invalid-allow", TX,
         "-- stepwise:allow dropping-table retired in 2023\nDROP TABLE legacy_sessions;"),
    MISS("invalid-allow", LITE,
         "-- stepwise:allow dropping-table retired in 2023\nDROP TABLE legacy_sessions;"),
    MISS("invalid-allow", TX, "-- allow: dropping-table\nDROP TABLE legacy_sessions;"),
};

#define NCASES (sizeof cases / sizeof cases[0])

/* ------------------------------------------------------------ helpers */

static void parse(sql_script *sc, const char *sql, sql_dialect dialect)
{
    sw_error err = {0};
    if (sql_script_parse(sc, "test.sql", sql, strlen(sql), dialect, &err) != SW_OK)
        fail_msg("cannot split '%s': %s", sql, err.message);
}

static lint_options options_of(unsigned flags)
{
    return (lint_options){.no_transaction = (flags & NT) != 0,
                          .lock_timeout_set = (flags & LT) != 0,
                          .down = (flags & DOWN) != 0};
}

static const lint_finding *find(const lint_findings *f, const char *rule)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].rule->id, rule) == 0)
            return &f->items[i];
    return NULL;
}

/* The first finding of `rule`; fails the test when there is none. */
static const lint_finding *must_find(const lint_findings *f, const char *rule)
{
    const lint_finding *hit = find(f, rule);
    if (!hit) {
        for (size_t i = 0; i < f->count; i++)
            print_message("#   found %s: %s\n", f->items[i].rule->id, f->items[i].message);
        fail_msg("no %s finding", rule);
        abort(); /* not reached: fail_msg jumps out of the test */
    }
    return hit;
}

static size_t count_rule(const lint_findings *f, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        n += strcmp(f->items[i].rule->id, rule) == 0;
    return n;
}

static void print_findings(const lint_findings *f)
{
    for (size_t i = 0; i < f->count; i++)
        print_message("#   [%s %s] %d:%d %s%s%s\n", lint_severity_name(f->items[i].severity),
                      f->items[i].rule->id, f->items[i].line, f->items[i].column,
                      f->items[i].message, f->items[i].allowed ? " allowed: " : "",
                      f->items[i].allowed ? f->items[i].allowed : "");
}

/* Parse and lint `sql` alone (no earlier scripts). */
static void lint_one(const char *sql, sql_dialect dialect, unsigned flags, sql_script *sc,
                     lint_findings *f)
{
    lint_options o = options_of(flags);
    lint_schema schema = {0};
    parse(sc, sql, dialect);
    memset(f, 0, sizeof *f);
    lint_script(sc, &o, &schema, f);
    lint_schema_free(&schema);
}

/* ------------------------------------------------------------ the table */

static bool run_case(const lint_case *k)
{
    sql_dialect dialect = k->flags & LITE ? SQL_SQLITE : SQL_POSTGRES;
    lint_options o = options_of(k->flags);
    lint_schema schema = {0};
    if (k->setup) {
        sql_script setup;
        lint_findings ignored = {0};
        lint_options setup_opts = {0};
        parse(&setup, k->setup, dialect);
        assert_int_equal(sql_script_errors(&setup), 0);
        lint_script(&setup, &setup_opts, &schema, &ignored);
        lint_findings_free(&ignored);
        sql_script_free(&setup);
    }
    sql_script sc;
    lint_findings f = {0};
    parse(&sc, k->sql, dialect);
    bool ok = true;
    const char *why = NULL;
    /* A look-alike the grammar rejects would pass for the wrong reason. */
    for (size_t i = 0; i < sc.count && ok; i++)
        if (sc.statements[i].error || (!k->triggers && !sc.statements[i].analysed)) {
            ok = false;
            why = "a statement was not analysed";
        }
    if (ok) {
        lint_script(&sc, &o, &schema, &f);
        const lint_finding *hit = find(&f, k->rule);
        if (!k->triggers && hit) {
            ok = false;
            why = "the rule triggered on a look-alike";
        } else if (k->triggers && !hit) {
            ok = false;
            why = "the rule did not trigger";
        } else if (k->triggers && k->relation && !strstr(hit->message, k->relation)) {
            ok = false;
            why = "the message does not name the relation";
        } else if (k->triggers && k->lock && !strstr(hit->message, k->lock)) {
            ok = false;
            why = "the message does not name the lock mode";
        } else if (k->triggers && (!hit->hint || !*hit->hint)) {
            ok = false;
            why = "the finding has no hint";
        } else if (k->triggers && hit->allowed) {
            ok = false;
            why = "the finding is silenced";
        }
    }
    if (!ok) {
        print_message("# %s: %s\n#   %s%s%s\n", k->rule, why, k->setup ? k->setup : "",
                      k->setup ? " then " : "", k->sql);
        print_findings(&f);
    }
    lint_findings_free(&f);
    lint_schema_free(&schema);
    sql_script_free(&sc);
    return ok;
}

static void test_rule_cases(void **state)
{
    (void)state;
    size_t failed = 0;
    for (size_t i = 0; i < NCASES; i++)
        if (!run_case(&cases[i]))
            failed++;
    if (failed)
        fail_msg("%zu of %zu cases failed", failed, NCASES);
}

/* Adding a rule without its cases fails here. */
static void test_every_rule_has_cases(void **state)
{
    (void)state;
    size_t nrules;
    const lint_rule *rules = lint_rules(&nrules);
    assert_true(nrules > 0);
    for (size_t i = 0; i < NCASES; i++)
        if (!lint_rule_find(cases[i].rule))
            fail_msg("case %zu names an unknown rule '%s'", i, cases[i].rule);
    size_t missing = 0;
    for (size_t r = 0; r < nrules; r++) {
        size_t hits = 0, misses = 0, sqlite_hits = 0;
        for (size_t i = 0; i < NCASES; i++) {
            if (strcmp(cases[i].rule, rules[r].id) != 0)
                continue;
            if (cases[i].triggers) {
                hits++;
                sqlite_hits += (cases[i].flags & LITE) != 0;
            } else {
                misses++;
            }
        }
        if (hits < 2 || misses < 2) {
            print_message("# %s: %zu triggering and %zu look-alike cases (2 of each needed)\n",
                          rules[r].id, hits, misses);
            missing++;
        }
        if (rules[r].sqlite != (sqlite_hits > 0)) {
            print_message("# %s: %s SQLite, but %zu SQLite cases trigger it\n", rules[r].id,
                          rules[r].sqlite ? "applies to" : "does not apply to", sqlite_hits);
            missing++;
        }
    }
    if (missing)
        fail_msg("%zu rules lack cases", missing);
}

/* Rule ids are unique, findable, and every rule says what it is about. */
static void test_rule_list(void **state)
{
    (void)state;
    size_t n;
    const lint_rule *rules = lint_rules(&n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(lint_rule_find(rules[i].id), &rules[i]);
        assert_true(strlen(rules[i].summary) > 10);
        for (size_t k = i + 1; k < n; k++)
            assert_string_not_equal(rules[i].id, rules[k].id);
    }
    assert_null(lint_rule_find("no-such-rule"));
    assert_null(lint_rule_find(""));
    assert_string_equal(lint_severity_name(LINT_HINT), "hint");
    assert_string_equal(lint_severity_name(LINT_WARNING), "warning");
    assert_string_equal(lint_severity_name(LINT_ERROR), "error");
}

/* ------------------------------------------------------------ allow */

static void test_allow_silences_that_rule(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    /* The foreign key triggers adding-foreign-key and constraint-missing-not-valid. */
    lint_one("ALTER TABLE users ADD COLUMN plan text;\n"
             "-- stepwise:allow adding-foreign-key   orders is tiny and idle at night  \n"
             "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
             "REFERENCES users (id);\n",
             SQL_POSTGRES, TX, &sc, &f);
    const lint_finding *fk = must_find(&f, "adding-foreign-key");
    assert_int_equal(fk->statement, 1);
    assert_non_null(fk->allowed);
    assert_string_equal(fk->allowed, "orders is tiny and idle at night");
    const lint_finding *nv = must_find(&f, "constraint-missing-not-valid");
    assert_null(nv->allowed);
    assert_null(find(&f, "invalid-allow"));
    assert_int_equal(f.count, 2);
    assert_int_equal(lint_count(&f, LINT_HINT), 1);
    assert_int_equal(lint_count(&f, LINT_WARNING), 1);
    lint_findings_free(&f);
    sql_script_free(&sc);

    /* Two allows stacked above one statement silence both rules. */
    lint_one("-- stepwise:allow adding-foreign-key ticket 42\n"
             "-- stepwise:allow constraint-missing-not-valid ticket 42\n"
             "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
             "REFERENCES users (id);",
             SQL_POSTGRES, TX, &sc, &f);
    assert_int_equal(f.count, 2);
    assert_string_equal(must_find(&f, "adding-foreign-key")->allowed, "ticket 42");
    assert_string_equal(must_find(&f, "constraint-missing-not-valid")->allowed, "ticket 42");
    assert_int_equal(lint_count(&f, LINT_HINT), 0);
    lint_findings_free(&f);
    sql_script_free(&sc);

    /* SQLite scripts honour allows too. */
    lint_one("-- stepwise:allow dropping-table replaced by sessions_v2\nDROP TABLE sessions;",
             SQL_SQLITE, TX, &sc, &f);
    assert_int_equal(f.count, 1);
    assert_string_equal(f.items[0].rule->id, "dropping-table");
    assert_string_equal(f.items[0].allowed, "replaced by sessions_v2");
    assert_int_equal(lint_count(&f, LINT_HINT), 0);
    lint_findings_free(&f);
    sql_script_free(&sc);
}

static void test_invalid_allow_silences_nothing(void **state)
{
    (void)state;
    static const char *const scripts[] = {
        "-- stepwise:allow dropping-tables retired\nDROP TABLE legacy;", /* unknown rule */
        "-- stepwise:allow dropping-table\nDROP TABLE legacy;",          /* no reason */
        "-- stepwise:allow dropping-table   \nDROP TABLE legacy;",       /* blank reason */
        "-- stepwise:allow\nDROP TABLE legacy;",                        /* nothing */
    };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        sql_script sc;
        lint_findings f;
        lint_one(scripts[i], SQL_POSTGRES, TX, &sc, &f);
        const lint_finding *drop = must_find(&f, "dropping-table");
        const lint_finding *bad = must_find(&f, "invalid-allow");
        if (drop->allowed || bad->allowed || count_rule(&f, "invalid-allow") != 1) {
            print_findings(&f);
            fail_msg("'%s': expected dropping-table unsilenced and one invalid-allow", scripts[i]);
        }
        assert_int_equal(bad->statement, 0);
        assert_int_equal(bad->severity, LINT_WARNING);
        assert_int_equal(lint_count(&f, LINT_WARNING), 2);
        lint_findings_free(&f);
        sql_script_free(&sc);
    }
}

static void test_allow_above_another_statement(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    /* The allow stands above the CREATE TABLE, not the DROP. */
    lint_one("-- stepwise:allow dropping-table retired\n"
             "CREATE TABLE audit (id bigint);\n"
             "DROP TABLE legacy;",
             SQL_POSTGRES, TX, &sc, &f);
    const lint_finding *drop = must_find(&f, "dropping-table");
    assert_int_equal(drop->statement, 1);
    assert_null(drop->allowed);
    assert_int_equal(lint_count(&f, LINT_WARNING), 1);
    lint_findings_free(&f);
    sql_script_free(&sc);

    /* Nor does it reach past the statement right below it. */
    lint_one("-- stepwise:allow dropping-table retired\n"
             "DROP TABLE legacy;\n"
             "DROP TABLE legacy_archive;",
             SQL_POSTGRES, TX, &sc, &f);
    assert_int_equal(count_rule(&f, "dropping-table"), 2);
    assert_int_equal(f.items[0].statement, 0);
    assert_string_equal(f.items[0].allowed, "retired");
    assert_int_equal(f.items[1].statement, 1);
    assert_null(f.items[1].allowed);
    assert_int_equal(lint_count(&f, LINT_WARNING), 1);
    lint_findings_free(&f);
    sql_script_free(&sc);

    /* An allow for a rule the statement does not trigger silences nothing. */
    lint_one("-- stepwise:allow renaming-table old name kept as a view\nDROP TABLE legacy;",
             SQL_POSTGRES, TX, &sc, &f);
    assert_int_equal(f.count, 1);
    assert_null(f.items[0].allowed);
    assert_int_equal(lint_count(&f, LINT_WARNING), 1);
    lint_findings_free(&f);
    sql_script_free(&sc);
}

/* ------------------------------------------------------------ severity */

static lint_severity severity_of(const char *sql, unsigned flags, const char *rule)
{
    sql_script sc;
    lint_findings f;
    lint_one(sql, flags & LITE ? SQL_SQLITE : SQL_POSTGRES, flags, &sc, &f);
    const lint_finding *hit = find(&f, rule);
    if (!hit) {
        print_findings(&f);
        fail_msg("'%s' does not trigger %s", sql, rule);
        abort(); /* not reached */
    }
    lint_severity s = hit->severity;
    lint_findings_free(&f);
    sql_script_free(&sc);
    return s;
}

static void test_severities(void **state)
{
    (void)state;
    const char *fk = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
                     "REFERENCES users (id)";
    char *fk_not_valid = xasprintf("%s NOT VALID;", fk);
    assert_int_equal(severity_of(fk, TX, "adding-foreign-key"), LINT_WARNING);
    assert_int_equal(severity_of(fk_not_valid, TX, "adding-foreign-key"), LINT_HINT);
    free(fk_not_valid);

    assert_int_equal(severity_of("DROP TABLE invoices;", TX, "dropping-table"), LINT_WARNING);
    assert_int_equal(severity_of("DROP TABLE invoices;", DOWN, "dropping-table"), LINT_HINT);
    assert_int_equal(severity_of("DROP TABLE invoices;", LITE | DOWN, "dropping-table"), LINT_HINT);
    assert_int_equal(severity_of("ALTER TABLE users DROP COLUMN plan;", TX, "dropping-column"),
                     LINT_WARNING);
    assert_int_equal(severity_of("ALTER TABLE users DROP COLUMN plan;", DOWN, "dropping-column"),
                     LINT_HINT);

    /* A known volatile default rewrites: a warning; an unknown function: a hint. */
    assert_int_equal(severity_of("ALTER TABLE users ADD COLUMN r float8 DEFAULT random();", TX,
                                 "adding-volatile-default"),
                     LINT_WARNING);
    assert_int_equal(severity_of("ALTER TABLE users ADD COLUMN r text DEFAULT my_func();", TX,
                                 "adding-volatile-default"),
                     LINT_HINT);

    assert_int_equal(severity_of("DROP DATABASE legacy;", NT, "dropping-database"), LINT_ERROR);
    assert_int_equal(severity_of("COMMIT;", TX, "transaction-control"), LINT_ERROR);
    assert_int_equal(severity_of("CREATE TABLE t (id serial PRIMARY KEY);", TX, "prefer-identity"),
                     LINT_HINT);
}

static void test_rollback_message(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    lint_one("DROP TABLE invoices;", SQL_POSTGRES, DOWN, &sc, &f);
    const lint_finding *hit = must_find(&f, "dropping-table");
    assert_non_null(strstr(hit->message, "rollback"));
    lint_findings_free(&f);
    sql_script_free(&sc);
    lint_one("DROP TABLE invoices;", SQL_POSTGRES, TX, &sc, &f);
    hit = must_find(&f, "dropping-table");
    assert_null(strstr(hit->message, "rollback"));
    lint_findings_free(&f);
    sql_script_free(&sc);
}

static void test_count_by_severity(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    lint_one("ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;\n"     /* error */
             "ALTER TABLE users RENAME COLUMN email TO mail;\n"              /* warning */
             "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n"          /* warning */
             "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
             "REFERENCES users (id) NOT VALID;\n"                           /* hint */
             "-- stepwise:allow renaming-table the app uses both names\n"
             "ALTER TABLE users RENAME TO accounts;\n",                     /* silenced */
             SQL_POSTGRES, TX, &sc, &f);
    if (f.count != 5)
        print_findings(&f);
    assert_int_equal(f.count, 5);
    assert_int_equal(lint_count(&f, LINT_ERROR), 1);
    assert_int_equal(lint_count(&f, LINT_WARNING), 3);
    assert_int_equal(lint_count(&f, LINT_HINT), 4);
    lint_findings_free(&f);
    assert_int_equal(f.count, 0);
    assert_int_equal(lint_count(&f, LINT_HINT), 0);
    sql_script_free(&sc);
}

/* ------------------------------------------------------------ parsing */

static void test_rejected_statements(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    lint_one("ALTER TABLE users ADD COLUMN;\n"
             "DROP TABLE legacy;\n"
             "-- stepwise:allow no-such-rule\n"
             "CREAT INDEX orders_idx ON orders (user_id);\n"
             "ALTER TABLE users RENAME TO;",
             SQL_POSTGRES, TX, &sc, &f);
    assert_int_equal(sc.count, 4);
    assert_int_equal(sql_script_errors(&sc), 3);
    assert_int_equal(f.count, 1);
    assert_string_equal(f.items[0].rule->id, "dropping-table");
    assert_int_equal(f.items[0].statement, 1);
    lint_findings_free(&f);
    sql_script_free(&sc);

    static const char *const garbage[] = {
        "this is not sql at all",
        "UPDATE users SET name = 'unterminated;\nDROP TABLE legacy;",
        "/* never closed\nDROP TABLE legacy;",
        "ALTER TABLE users ALTER COLUMN email TYPE;",
        ";;;",
        "",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        lint_one(garbage[i], SQL_POSTGRES, NT, &sc, &f);
        if (f.count != 0) {
            print_findings(&f);
            fail_msg("'%s' is rejected, yet has findings", garbage[i]);
        }
        lint_findings_free(&f);
        sql_script_free(&sc);
    }
}

/* SQLite syntax the PostgreSQL grammar does not know is no error, and
 * gets only the rules its keywords can tell. */
static void test_sqlite_only_syntax(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    lint_one("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT) WITHOUT ROWID;\n"
             "INSERT OR REPLACE INTO t (id, v) VALUES (1, 'x');\n"
             "BEGIN EXCLUSIVE;\n"
             "VACUUM INTO 'copy.db';",
             SQL_SQLITE, TX, &sc, &f);
    assert_int_equal(sc.count, 4);
    assert_int_equal(sql_script_errors(&sc), 0);
    for (size_t i = 0; i < sc.count; i++)
        assert_false(sc.statements[i].analysed);
    if (f.count != 2)
        print_findings(&f);
    assert_int_equal(f.count, 2);
    assert_string_equal(f.items[0].rule->id, "transaction-control");
    assert_int_equal(f.items[0].statement, 2);
    assert_string_equal(f.items[1].rule->id, "non-transactional-statement");
    assert_int_equal(f.items[1].statement, 3);
    lint_findings_free(&f);
    sql_script_free(&sc);

    /* In a no-transaction migration VACUUM INTO is fine. */
    lint_one("VACUUM INTO 'copy.db';", SQL_SQLITE, NT, &sc, &f);
    assert_int_equal(f.count, 0);
    lint_findings_free(&f);
    sql_script_free(&sc);
}

/* One finding per problem: a key column is reported once, however the
 * key is declared. */
static void test_one_finding_per_problem(void **state)
{
    (void)state;
    static const struct {
        const char *sql;
        const char *rule;
        size_t count;
    } checks[] = {
        {"CREATE TABLE t (id integer, PRIMARY KEY (id));", "prefer-bigint", 1},
        {"CREATE TABLE t (id integer PRIMARY KEY);", "prefer-bigint", 1},
        {"CREATE TABLE t (code serial, PRIMARY KEY (code));", "prefer-bigint", 1},
        {"CREATE TABLE t (a integer, b smallint, note text, PRIMARY KEY (a, b));", "prefer-bigint",
         2},
        {"ALTER TABLE a RENAME TO b;\nALTER TABLE c RENAME TO d;", "renaming-table", 2},
        {"SET lock_timeout = 0;\nALTER TABLE a ADD COLUMN IF NOT EXISTS x text;\n"
         "ALTER TABLE b ADD COLUMN IF NOT EXISTS y text;",
         "missing-lock-timeout", 1},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        sql_script sc;
        lint_findings f;
        lint_one(checks[i].sql, SQL_POSTGRES, strstr(checks[i].sql, "lock_timeout") ? NT : TX, &sc,
                 &f);
        size_t n = count_rule(&f, checks[i].rule);
        if (n != checks[i].count) {
            print_findings(&f);
            fail_msg("'%s': %zu %s findings, expected %zu", checks[i].sql, n, checks[i].rule,
                     checks[i].count);
        }
        lint_findings_free(&f);
        sql_script_free(&sc);
    }
}

/* ------------------------------------------------------------ positions */

static void test_positions(void **state)
{
    (void)state;
    sql_script sc;
    lint_findings f;
    lint_one("-- positions count from 1\n"
             "\n"
             "   DROP TABLE legacy;\n"
             "SELECT 'é'; \tALTER TABLE users\n"
             "  RENAME TO accounts;\n"
             "ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0);",
             SQL_POSTGRES, TX, &sc, &f);
    assert_int_equal(f.count, 3);
    for (size_t i = 0; i < f.count; i++) {
        const sql_statement *s = &sc.statements[f.items[i].statement];
        assert_int_equal(f.items[i].line, s->line);
        assert_int_equal(f.items[i].column, s->column);
    }
    assert_string_equal(f.items[0].rule->id, "dropping-table");
    assert_int_equal(f.items[0].line, 3);
    assert_int_equal(f.items[0].column, 4);
    assert_string_equal(f.items[1].rule->id, "renaming-table");
    assert_int_equal(f.items[1].line, 4);
    assert_int_equal(f.items[1].column, 14); /* characters, not bytes */
    assert_string_equal(f.items[2].rule->id, "constraint-missing-not-valid");
    assert_int_equal(f.items[2].statement, 3);
    assert_int_equal(f.items[2].line, 6);
    assert_int_equal(f.items[2].column, 1);
    lint_findings_free(&f);
    sql_script_free(&sc);
}

/* ------------------------------------------------------------ schema */

/* Column types carry over from script to script through one lint_schema. */
static void test_schema_across_scripts(void **state)
{
    (void)state;
    static const struct {
        const char *sql;
        bool rewrite;
    } steps[] = {
        {"CREATE TABLE users (id bigint, email varchar(50));", false},
        {"ALTER TABLE users ALTER COLUMN email TYPE varchar(100);", false},
        {"ALTER TABLE users ALTER COLUMN email TYPE varchar(80);", true}, /* shorter than 100 */
        {"ALTER TABLE users ALTER COLUMN email TYPE text;", false},
        {"DROP TABLE users;", false},
        {"ALTER TABLE users ALTER COLUMN email TYPE text;", true}, /* type forgotten */
    };
    lint_schema schema = {0};
    lint_options o = {0};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sql_script sc;
        lint_findings f = {0};
        parse(&sc, steps[i].sql, SQL_POSTGRES);
        lint_script(&sc, &o, &schema, &f);
        if ((find(&f, "changing-column-type") != NULL) != steps[i].rewrite) {
            print_findings(&f);
            fail_msg("step %zu '%s': expected %s", i, steps[i].sql,
                     steps[i].rewrite ? "a rewrite warning" : "none");
        }
        if (i == 1) {
            const strmap *columns = strmap_get(&schema.tables, "users");
            assert_non_null(columns);
            assert_int_equal(columns->count, 2);
            assert_string_equal(strmap_get(columns, "email"), "varchar(100)");
            assert_string_equal(strmap_get(columns, "id"), "bigint");
        }
        lint_findings_free(&f);
        sql_script_free(&sc);
    }
    lint_schema_free(&schema);
    assert_int_equal(schema.tables.count, 0);
    assert_null(schema.tables.keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_cases),
        cmocka_unit_test(test_every_rule_has_cases),
        cmocka_unit_test(test_rule_list),
        cmocka_unit_test(test_allow_silences_that_rule),
        cmocka_unit_test(test_invalid_allow_silences_nothing),
        cmocka_unit_test(test_allow_above_another_statement),
        cmocka_unit_test(test_severities),
        cmocka_unit_test(test_rollback_message),
        cmocka_unit_test(test_count_by_severity),
        cmocka_unit_test(test_rejected_statements),
        cmocka_unit_test(test_sqlite_only_syntax),
        cmocka_unit_test(test_one_finding_per_problem),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_schema_across_scripts),
    };
    return cmocka_run_group_tests_name("lint", tests, NULL, NULL);
}
