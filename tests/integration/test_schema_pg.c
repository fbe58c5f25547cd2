/* Integration tests of schema_snapshot_take on PostgreSQL, against the
 * throwaway server of tests/harness/with-pg: inside an open transaction
 * it sees that transaction's own DDL; it leaves the session's settings as
 * they were; it runs in a read-only transaction; the history tables it is
 * given are left out; an aborted transaction fails cleanly; and the number
 * of statements it sends does not grow with the number of objects (the
 * server's statement log counts them). */
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
#include "core/history.h"
#include "core/schema.h"
#include "tests/harness/read_text.h"

static db *open_db(void)
{
    const char *conninfo = getenv("STEPWISE_TEST_PG");
    if (!conninfo || !*conninfo)
        fail_msg("STEPWISE_TEST_PG is not set: run this test through tests/harness/with-pg");
    db_target t;
    db *d = NULL;
    sw_error err = {0};
    if (db_target_parse(conninfo, DB_FROM_OPTION, &t, &err) != SW_OK ||
        db_open(&t, DB_OPEN_EXISTING, &d, &err) != SW_OK)
        fail_msg("connect: %s", err.message);
    db_target_free(&t);
    return d;
}

static void exec_ok(db *d, const char *sql)
{
    sw_error err = {0};
    if (db_exec(d, sql, &err) != SW_OK)
        fail_msg("%s: %s", sql, err.message);
}

static char *one_value(db *d, const char *sql)
{
    db_result *r = NULL;
    sw_error err = {0};
    if (db_query(d, sql, 0, NULL, &r, &err) != SW_OK)
        fail_msg("%s: %s", sql, err.message);
    char *v = xstrdup(db_result_value(r, 0, 0));
    db_result_free(r);
    return v;
}

/* The snapshot's text, taken with `exclude`. */
static char *snapshot(db *d, const history_table *exclude)
{
    schema_snapshot s;
    sw_error err = {0};
    if (schema_snapshot_take(d, exclude, &s, &err) != SW_OK)
        fail_msg("snapshot: %s", err.message);
    assert_string_equal(s.product, "PostgreSQL");
    char *text = schema_snapshot_text(&s);
    schema_snapshot_free(&s);
    return text;
}

static void test_sees_own_transaction(void **state)
{
    (void)state;
    db *d = open_db();
    exec_ok(d, "BEGIN");
    exec_ok(d, "CREATE TABLE tx_only (id int PRIMARY KEY, note text DEFAULT 'x')");
    char *inside = snapshot(d, NULL);
    assert_non_null(strstr(inside, "\ntable public.tx_only\n  owner stepwise\n"
                                   "  column id integer not null\n"));
    exec_ok(d, "CREATE INDEX tx_only_note ON tx_only (note)"); /* the transaction goes on */
    exec_ok(d, "ROLLBACK");
    char *after = snapshot(d, NULL);
    assert_null(strstr(after, "tx_only"));
    free(inside);
    free(after);
    db_close(d);
}

static void test_settings_kept(void **state)
{
    (void)state;
    db *d = open_db();
    exec_ok(d, "SET search_path = pg_catalog, public; SET DateStyle = 'SQL, DMY';"
               "SET extra_float_digits = 0; SET bytea_output = escape");
    const char *show = "SELECT current_setting('search_path') || ' / ' || "
                       "current_setting('DateStyle') || ' / ' || current_setting('IntervalStyle')"
                       " || ' / ' || current_setting('extra_float_digits') || ' / ' ||"
                       " current_setting('bytea_output')";
    char *before = one_value(d, show);
    free(snapshot(d, NULL));
    char *after = one_value(d, show);
    assert_string_equal(after, before);
    exec_ok(d, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    free(snapshot(d, NULL));
    char *inside = one_value(d, show);
    assert_string_equal(inside, before);
    exec_ok(d, "COMMIT");
    free(before);
    free(after);
    free(inside);
    db_close(d);
}

static void test_excludes_given_tables(void **state)
{
    (void)state;
    db *d = open_db();
    exec_ok(d, "CREATE SCHEMA IF NOT EXISTS audit;"
               "CREATE TABLE audit.deploy_history (version text PRIMARY KEY);"
               "CREATE TABLE audit.deploy_events (id bigserial PRIMARY KEY, note text);"
               "CREATE INDEX deploy_events_note ON audit.deploy_events (note);"
               "CREATE TABLE audit.kept (id int)");
    history_table t;
    sw_error err = {0};
    assert_int_equal(history_table_init(d, "audit.deploy_history", &t, &err), SW_OK);
    char *without = snapshot(d, &t);
    assert_null(strstr(without, "deploy_"));
    assert_non_null(strstr(without, "\ntable audit.kept\n"));
    char *with = snapshot(d, NULL);
    assert_non_null(strstr(with, "\ntable audit.deploy_history\n"));
    assert_non_null(strstr(with, "\nsequence audit.deploy_events_id_seq\n"));
    assert_non_null(strstr(with, "\nindex audit.deploy_events_note\n"));
    exec_ok(d, "DROP SCHEMA audit CASCADE");
    history_table_free(&t);
    free(without);
    free(with);
    db_close(d);
}

static void test_aborted_transaction(void **state)
{
    (void)state;
    db *d = open_db();
    exec_ok(d, "BEGIN");
    sw_error err = {0};
    assert_int_not_equal(db_exec(d, "SELECT 1/0", &err), SW_OK);
    schema_snapshot s;
    assert_int_equal(schema_snapshot_take(d, NULL, &s, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "aborted"));
    assert_int_equal(s.count, 0);
    assert_null(s.objects);
    exec_ok(d, "ROLLBACK");
    db_close(d);
}

/* Statements the server logged since `from` bytes of its log. */
static int statements_logged(const char *log, size_t from)
{
    char *text = read_text(log);
    if (!text)
        fail_msg("cannot read the server log %s", log);
    int n = 0;
    for (const char *p = text + from; (p = strstr(p, "LOG:  ")) != NULL; p++)
        n += str_has_prefix(p, "LOG:  statement: ") || str_has_prefix(p, "LOG:  execute ");
    free(text);
    return n;
}

static int statements_of_one_snapshot(db *d)
{
    const char *log = getenv("STEPWISE_TEST_PGLOG");
    if (!log)
        fail_msg("STEPWISE_TEST_PGLOG is not set");
    char *before = read_text(log);
    size_t from = before ? strlen(before) : 0;
    free(before);
    free(snapshot(d, NULL));
    return statements_logged(log, from);
}

static void test_statements_do_not_grow(void **state)
{
    (void)state;
    db *d = open_db();
    exec_ok(d, "SET log_statement = 'all'");
    int few = statements_of_one_snapshot(d);
    exec_ok(d, "DO $$ BEGIN FOR i IN 1..150 LOOP EXECUTE format("
               "'CREATE TABLE many%s (id int PRIMARY KEY, v text CHECK (v <> ''''), w int);"
               " CREATE INDEX many%s_v ON many%s (v); COMMENT ON COLUMN many%s.w IS ''w'';"
               " CREATE VIEW many_v%s AS SELECT * FROM many%s;"
               " CREATE FUNCTION many_f%s() RETURNS int LANGUAGE sql AS ''SELECT 1''',"
               " i, i, i, i, i, i, i); END LOOP; END $$");
    int many = statements_of_one_snapshot(d);
    exec_ok(d, "RESET log_statement");
    assert_int_equal(many, few);
    assert_in_range(few, 10, 16);
    db_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sees_own_transaction),
        cmocka_unit_test(test_settings_kept),
        cmocka_unit_test(test_excludes_given_tables),
        cmocka_unit_test(test_aborted_transaction),
        cmocka_unit_test(test_statements_do_not_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
