/* Unit tests of --db parsing: which driver a target means, the fallbacks
 * of DESIGN.md §4, what is displayed, and that no password leaks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/db.h"

static void parse_ok(const char *spec, db_target *t)
{
    sw_error err = {0};
    sw_status st = db_target_parse(spec, DB_FROM_OPTION, t, &err);
    if (st != SW_OK)
        fail_msg("'%s' should parse: %s", spec, err.message);
}

static void test_sqlite_forms(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *path;
    } cases[] = {
        {"sqlite:demo.db", "demo.db"},
        {"sqlite:/var/lib/app/data", "/var/lib/app/data"},
        {"sqlite3:relative/file", "relative/file"},
        {"sqlite:///abs/x.db", "/abs/x.db"},
        {"sqlite://rel/x.db", "rel/x.db"},
        {"app.db", "app.db"},
        {"./data/app.SQLITE", "./data/app.SQLITE"},
        {"/tmp/x.sqlite3", "/tmp/x.sqlite3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        db_target t;
        parse_ok(cases[i].spec, &t);
        assert_int_equal(t.kind, DB_SQLITE);
        assert_string_equal(t.path, cases[i].path);
        assert_true(strncmp(t.display, "sqlite:", 7) == 0);
        assert_null(t.conninfo);
        db_target_free(&t);
    }
}

static void test_postgres_forms(void **state)
{
    (void)state;
    db_target t;
    parse_ok("host=db1 port=6432 dbname=shop user=dba", &t);
    assert_int_equal(t.kind, DB_POSTGRES);
    assert_string_equal(t.display, "host=db1 port=6432 dbname=shop user=dba");
    assert_string_equal(t.conninfo, "host=db1 port=6432 dbname=shop user=dba");
    db_target_free(&t);

    parse_ok("postgresql://dba@db1:6432/shop?sslmode=require", &t);
    assert_int_equal(t.kind, DB_POSTGRES);
    assert_string_equal(t.display, "host=db1 port=6432 dbname=shop user=dba");
    db_target_free(&t);

    /* A URI whose database happens to end in .db is still PostgreSQL. */
    parse_ok("postgres://db1/sales.db", &t);
    assert_int_equal(t.kind, DB_POSTGRES);
    assert_string_equal(t.display, "host=db1 dbname=sales.db");
    db_target_free(&t);

    parse_ok("dbname='my shop' host=/run/postgresql", &t);
    assert_string_equal(t.display, "host=/run/postgresql dbname='my shop'");
    db_target_free(&t);
}

static void test_password_never_displayed(void **state)
{
    (void)state;
    db_target t;
    parse_ok("host=db1 user=dba password=s3cr3t dbname=shop", &t);
    assert_null(strstr(t.display, "s3cr3t"));
    assert_string_equal(t.secret, "s3cr3t");
    char *msg = db_target_redact(&t, "FATAL: password s3cr3t rejected");
    assert_string_equal(msg, "FATAL: password *** rejected");
    free(msg);
    db_target_free(&t);

    /* Percent-encoded in a URI: both spellings are scrubbed. */
    parse_ok("postgresql://dba:p%40ss@db1/shop", &t);
    assert_null(strstr(t.display, "p%40ss"));
    assert_null(strstr(t.display, "p@ss"));
    assert_string_equal(t.secret, "p@ss");
    assert_string_equal(t.secret_raw, "p%40ss");
    msg = db_target_redact(&t, "raw p%40ss decoded p@ss");
    assert_string_equal(msg, "raw *** decoded ***");
    free(msg);
    db_target_free(&t);
}

static void test_bad_targets(void **state)
{
    (void)state;
    db_target t;
    sw_error err = {0};

    assert_int_equal(db_target_parse("shop", DB_FROM_OPTION, &t, &err), SW_USAGE);
    assert_non_null(strstr(err.message, "--db: 'shop'"));
    assert_non_null(strstr(err.message, "dbname=shop"));
    assert_non_null(strstr(err.message, "sqlite:shop"));

    assert_int_equal(db_target_parse("mysql://root:topsecret@h/db", DB_FROM_DATABASE_URL, &t, &err),
                     SW_USAGE);
    assert_non_null(strstr(err.message, "DATABASE_URL"));
    assert_null(strstr(err.message, "topsecret"));

    /* libpq rejects the syntax; its message must not carry the password. */
    assert_int_equal(db_target_parse("host=h password=hunter2 bogus=1", DB_FROM_OPTION, &t, &err),
                     SW_USAGE);
    assert_non_null(strstr(err.message, "invalid PostgreSQL connection string"));
    assert_non_null(strstr(err.message, "bogus"));
    assert_null(strstr(err.message, "hunter2"));

    assert_int_equal(db_target_parse("postgresql://u:hunter2@h/db?bogus=1", DB_FROM_OPTION, &t,
                                     &err),
                     SW_USAGE);
    assert_null(strstr(err.message, "hunter2"));

    assert_int_equal(db_target_parse("sqlite:", DB_FROM_OPTION, &t, &err), SW_USAGE);
    assert_non_null(strstr(err.message, "names no SQLite file"));
}

static void test_fallback_order(void **state)
{
    (void)state;
    db_target t;
    sw_error err = {0};

    assert_int_equal(db_target_resolve("sqlite:a.db", "sqlite:b.db", "sqlite:c.db", &t, &err), SW_OK);
    assert_int_equal(t.origin, DB_FROM_OPTION);
    assert_string_equal(t.path, "a.db");
    db_target_free(&t);

    assert_int_equal(db_target_resolve(NULL, "sqlite:b.db", "sqlite:c.db", &t, &err), SW_OK);
    assert_int_equal(t.origin, DB_FROM_STEPWISE_DB);
    assert_string_equal(t.path, "b.db");
    db_target_free(&t);

    assert_int_equal(db_target_resolve(NULL, "", "postgres://h/c", &t, &err), SW_OK);
    assert_int_equal(t.origin, DB_FROM_DATABASE_URL);
    assert_int_equal(t.kind, DB_POSTGRES);
    assert_string_equal(db_origin_name(t.origin), "DATABASE_URL");
    db_target_free(&t);

    assert_int_equal(db_target_resolve(NULL, NULL, NULL, &t, &err), SW_OK);
    assert_int_equal(t.origin, DB_FROM_LIBPQ_ENV);
    assert_int_equal(t.kind, DB_POSTGRES);
    assert_string_equal(t.conninfo, "");
    db_target_free(&t);

    assert_int_equal(db_target_resolve("", NULL, NULL, &t, &err), SW_USAGE);
    assert_non_null(strstr(err.message, "empty target"));
}

static void test_pg_version_text(void **state)
{
    (void)state;
    char *v = db_pg_version_text(150018);
    assert_string_equal(v, "15.18");
    free(v);
    v = db_pg_version_text(90624);
    assert_string_equal(v, "9.6.24");
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_forms),
        cmocka_unit_test(test_postgres_forms),
        cmocka_unit_test(test_password_never_displayed),
        cmocka_unit_test(test_bad_targets),
        cmocka_unit_test(test_fallback_order),
        cmocka_unit_test(test_pg_version_text),
    };
    return cmocka_run_group_tests_name("db_target", tests, NULL, NULL);
}
