/* Integration tests of the PostgreSQL driver against the throwaway server
 * that tests/harness/with-pg starts (STEPWISE_TEST_PG holds its conninfo). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/db.h"

typedef struct fixture {
    db_target target;
    db *d;
} fixture;

static const char *test_conninfo(void)
{
    const char *c = getenv("STEPWISE_TEST_PG");
    if (!c || !*c)
        fail_msg("STEPWISE_TEST_PG is not set: run this test through tests/harness/with-pg");
    return c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sw_error err = {0};
    if (db_target_parse(test_conninfo(), DB_FROM_OPTION, &f->target, &err) != SW_OK ||
        db_open(&f->target, DB_OPEN_EXISTING, &f->d, &err) != SW_OK) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    db_close(f->d);
    db_target_free(&f->target);
    free(f);
    return 0;
}

static char *query_one(db *d, const char *sql)
{
    sw_error err = {0};
    db_result *r = NULL;
    if (db_query(d, sql, 0, NULL, &r, &err) != SW_OK)
        fail_msg("%s: %s", sql, err.message);
    const char *v = db_result_value(r, 0, 0);
    char *copy = v ? xstrdup(v) : NULL;
    db_result_free(r);
    return copy;
}

static void test_server_info(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_server_info info;
    assert_int_equal(db_get_kind(f->d), DB_POSTGRES);
    assert_int_equal(db_server_info_get(f->d, &info, &err), SW_OK);
    assert_string_equal(info.product, "PostgreSQL");
    char *num = query_one(f->d, "SHOW server_version_num");
    assert_int_equal(info.version_num, atoi(num));
    assert_true(info.version_num >= 150000);
    free(num);
    assert_string_equal(info.database, "postgres");
    assert_string_equal(info.user, "stepwise");
    assert_string_equal(info.host, getenv("PGHOST"));
    assert_string_equal(info.port, "5432");
    assert_false(info.in_recovery);
    assert_false(info.read_only);
    db_server_info_free(&info);
}

static void test_session_settings(void **state)
{
    fixture *f = *state;
    char *v = query_one(f->d, "SELECT application_name FROM pg_stat_activity "
                              "WHERE pid = pg_backend_pid()");
    assert_string_equal(v, "stepwise");
    free(v);
    v = query_one(f->d, "SHOW client_encoding");
    assert_string_equal(v, "UTF8");
    free(v);

    /* The user's own application_name wins over stepwise's fallback. */
    char *spec = xasprintf("%s application_name=deploy-42", test_conninfo());
    db_target t;
    db *d = NULL;
    sw_error err = {0};
    assert_int_equal(db_target_parse(spec, DB_FROM_OPTION, &t, &err), SW_OK);
    assert_int_equal(db_open(&t, DB_OPEN_EXISTING, &d, &err), SW_OK);
    v = query_one(d, "SHOW application_name");
    assert_string_equal(v, "deploy-42");
    free(v);
    db_close(d);
    db_target_free(&t);
    free(spec);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_result *r = NULL;
    assert_int_equal(db_exec(f->d,
                             "DROP TABLE IF EXISTS trip;"
                             "CREATE TABLE trip (id int GENERATED ALWAYS AS IDENTITY, name text,"
                             " note text);"
                             "INSERT INTO trip (name, note) VALUES ('first', NULL)",
                             &err),
                     SW_OK);
    const char *params[] = {"caf\xc3\xa9 \xe2\x9c\x93", NULL};
    assert_int_equal(
        db_query(f->d, "INSERT INTO trip (name, note) VALUES ($1, $2) RETURNING id", 2, params, &r,
                 &err),
        SW_OK);
    assert_string_equal(db_result_value(r, 0, 0), "2");
    db_result_free(r);
    assert_int_equal(db_query(f->d, "SELECT id, name, note FROM trip ORDER BY id", 0, NULL, &r, &err),
                     SW_OK);
    assert_int_equal(r->nrows, 2);
    assert_int_equal(r->ncols, 3);
    assert_int_equal(db_result_column(r, "note"), 2);
    assert_string_equal(db_result_value(r, 1, 1), "caf\xc3\xa9 \xe2\x9c\x93");
    assert_null(db_result_value(r, 0, 2));
    db_result_free(r);
    assert_int_equal(db_exec(f->d, "DROP TABLE trip", &err), SW_OK);
}

static void test_prepared(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_result *r = NULL;
    assert_int_equal(db_prepare(f->d, "square", "SELECT $1::int * $1::int", &err), SW_OK);
    /* The server really holds it: pg_prepared_statements lists it. */
    char *v = query_one(f->d, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'square'");
    assert_string_equal(v, "1");
    free(v);
    static const char *const in[] = {"3", "12", "-5"};
    static const char *const sq[] = {"9", "144", "25"};
    for (size_t i = 0; i < 3; i++) {
        const char *params[] = {in[i]};
        assert_int_equal(db_query_prepared(f->d, "square", 1, params, &r, &err), SW_OK);
        assert_string_equal(db_result_value(r, 0, 0), sq[i]);
        db_result_free(r);
    }
    const char *bad[] = {"x"};
    assert_int_equal(db_query_prepared(f->d, "square", 1, bad, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "invalid input syntax for type integer"));
    assert_int_equal(db_prepare(f->d, "square", "SELECT 1", &err), SW_FAILED);
    assert_non_null(strstr(err.message, "already prepared"));
    assert_int_equal(db_prepare(f->d, "broken", "SELEC 1", &err), SW_FAILED);
    assert_non_null(strstr(err.message, "SQLSTATE 42601"));
    assert_int_equal(db_query_prepared(f->d, "broken", 0, NULL, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "never prepared"));
}

static void test_sql_error_is_one_line_with_sqlstate(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_result *r = NULL;
    assert_int_equal(db_exec(f->d, "CREATE TABLE (", &err), SW_FAILED);
    assert_non_null(strstr(err.message, "ERROR: syntax error"));
    assert_non_null(strstr(err.message, "SQLSTATE 42601"));
    assert_null(strchr(err.message, '\n'));
    assert_int_equal(db_query(f->d, "SELECT * FROM missing_table", 0, NULL, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "relation \"missing_table\" does not exist"));
    assert_non_null(strstr(err.message, "42P01"));
    assert_null(r);
    /* The connection is still usable after an error. */
    char *v = query_one(f->d, "SELECT 40 + 2");
    assert_string_equal(v, "42");
    free(v);
}

static void test_notices_are_kept_not_printed(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_notices_clear(f->d);
    assert_int_equal(db_exec(f->d, "DO $$ BEGIN RAISE NOTICE 'hello %', 42; "
                                   "RAISE WARNING 'careful'; END $$",
                             &err),
                     SW_OK);
    assert_int_equal(db_notice_count(f->d), 2);
    assert_string_equal(db_notice(f->d, 0), "NOTICE: hello 42");
    assert_string_equal(db_notice(f->d, 1), "WARNING: careful");
    assert_null(db_notice(f->d, 2));
    db_notices_clear(f->d);
    assert_int_equal(db_notice_count(f->d), 0);
}

static void test_connection_errors_hide_password(void **state)
{
    (void)state;
    static const char *const specs[] = {
        /* no server at that socket */
        "host=/nonexistent/socket/dir port=5432 user=stepwise password=hunter2",
        /* a role that does not exist on the real server */
        NULL,
    };
    char *second = xasprintf("%s user=nobody_here password=hunter2", test_conninfo());
    for (size_t i = 0; i < 2; i++) {
        const char *spec = specs[i] ? specs[i] : second;
        db_target t;
        db *d = NULL;
        sw_error err = {0};
        assert_int_equal(db_target_parse(spec, DB_FROM_OPTION, &t, &err), SW_OK);
        assert_int_equal(db_open(&t, DB_OPEN_EXISTING, &d, &err), SW_CONNECT);
        assert_null(d);
        assert_non_null(strstr(err.message, "cannot connect to "));
        assert_null(strstr(err.message, "hunter2"));
        assert_null(strchr(err.message, '\n'));
        if (i == 0)
            assert_non_null(strstr(err.message, "/nonexistent/socket/dir"));
        else
            assert_non_null(strstr(err.message, "role \"nobody_here\" does not exist"));
        db_target_free(&t);
    }
    free(second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sql_error_is_one_line_with_sqlstate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notices_are_kept_not_printed, setup, teardown),
        cmocka_unit_test(test_connection_errors_hide_password),
    };
    return cmocka_run_group_tests_name("db_pg", tests, NULL, NULL);
}
