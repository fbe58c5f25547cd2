/* Integration tests of the SQLite driver on real files: open rules, a
 * round trip with parameters and NULLs, errors, and the demo migrations
 * applied and rolled back through the driver. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/db.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    db_target target;
    db *d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/stepwise-sqlite-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
    char *spec = xasprintf("sqlite:%s", f->path);
    sw_error err = {0};
    if (db_target_parse(spec, DB_FROM_OPTION, &f->target, &err) != SW_OK)
        return -1;
    free(spec);
    if (db_open(&f->target, DB_OPEN_CREATE, &f->d, &err) != SW_OK) {
        fprintf(stderr, "%s\n", err.message);
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
    unlink(f->path);
    char *journal = xasprintf("%s-journal", f->path);
    unlink(journal);
    free(journal);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    assert_int_equal(db_get_kind(f->d), DB_SQLITE);
    assert_int_equal(db_exec(f->d,
                             "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT);"
                             "INSERT INTO t (name, note) VALUES ('first', NULL);",
                             &err),
                     SW_OK);
    const char *params[] = {"caf\xc3\xa9", NULL};
    db_result *r = NULL;
    assert_int_equal(db_query(f->d, "INSERT INTO t (name, note) VALUES (?1, ?2)", 2, params, &r, &err),
                     SW_OK);
    db_result_free(r);

    assert_int_equal(db_query(f->d, "SELECT id, name, note FROM t ORDER BY id", 0, NULL, &r, &err),
                     SW_OK);
    assert_int_equal(r->nrows, 2);
    assert_int_equal(r->ncols, 3);
    assert_int_equal(db_result_column(r, "name"), 1);
    assert_int_equal(db_result_column(r, "missing"), -1);
    assert_string_equal(db_result_value(r, 0, 0), "1");
    assert_string_equal(db_result_value(r, 1, 1), "caf\xc3\xa9");
    assert_null(db_result_value(r, 0, 2));
    assert_null(db_result_value(r, 1, 2));
    assert_null(db_result_value(r, 2, 0)); /* out of range */
    db_result_free(r);

    /* The data is really in the file: a second connection sees it. */
    db *other = NULL;
    assert_int_equal(db_open(&f->target, DB_OPEN_EXISTING, &other, &err), SW_OK);
    assert_int_equal(db_query(other, "SELECT count(*) FROM t", 0, NULL, &r, &err), SW_OK);
    assert_string_equal(db_result_value(r, 0, 0), "2");
    db_result_free(r);
    db_close(other);
}

static void test_prepared(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_result *r = NULL;
    assert_int_equal(db_exec(f->d, "CREATE TABLE p (k TEXT, v INTEGER);"
                                   "INSERT INTO p VALUES ('a', 1), ('b', 2), ('c', 3);",
                             &err),
                     SW_OK);
    assert_int_equal(db_prepare(f->d, "by_key", "SELECT v FROM p WHERE k = ?1", &err), SW_OK);
    /* Run it several times with other parameters: the statement is reused. */
    static const char *const keys[] = {"c", "a", "b", "zz"};
    static const char *const values[] = {"3", "1", "2", NULL};
    for (size_t i = 0; i < 4; i++) {
        const char *params[] = {keys[i]};
        assert_int_equal(db_query_prepared(f->d, "by_key", 1, params, &r, &err), SW_OK);
        if (values[i]) {
            assert_int_equal(r->nrows, 1);
            assert_string_equal(db_result_value(r, 0, 0), values[i]);
        } else {
            assert_int_equal(r->nrows, 0);
        }
        db_result_free(r);
    }
    assert_int_equal(db_query_prepared(f->d, "by_key", 0, NULL, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "1 parameters but 0"));
    assert_int_equal(db_query_prepared(f->d, "unknown", 0, NULL, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "'unknown' was never prepared"));
    assert_int_equal(db_prepare(f->d, "by_key", "SELECT 1", &err), SW_FAILED);
    assert_non_null(strstr(err.message, "already prepared"));
    assert_int_equal(db_prepare(f->d, "bad", "SELECT * FROM nowhere", &err), SW_FAILED);
    assert_non_null(strstr(err.message, "no such table"));
}

static void test_many_rows(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_result *r = NULL;
    assert_int_equal(db_query(f->d,
                              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                              "WHERE i < 5000) SELECT i, i * 2 FROM n",
                              0, NULL, &r, &err),
                     SW_OK);
    assert_int_equal(r->nrows, 5000);
    assert_string_equal(db_result_value(r, 4999, 1), "10000");
    db_result_free(r);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_result *r = NULL;
    assert_int_equal(db_exec(f->d, "CREATE TABLE x (;", &err), SW_FAILED);
    assert_non_null(strstr(err.message, "syntax error"));
    assert_int_equal(db_query(f->d, "SELECT * FROM nowhere", 0, NULL, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "no such table: nowhere"));
    assert_null(r);
    assert_int_equal(db_query(f->d, "SELECT 1; SELECT 2", 0, NULL, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "one statement"));
    /* A trailing comment is not a second statement. */
    assert_int_equal(db_query(f->d, "SELECT 1; -- done", 0, NULL, &r, &err), SW_OK);
    db_result_free(r);
    const char *one[] = {"x"};
    assert_int_equal(db_query(f->d, "SELECT ?1, ?2", 1, one, &r, &err), SW_FAILED);
    assert_non_null(strstr(err.message, "2 parameters but 1"));
}

static void test_open_rules(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_target t;
    db *d = NULL;

    /* Reading commands never create a file by accident. */
    char *spec = xasprintf("sqlite:%s/absent.db", f->dir);
    assert_int_equal(db_target_parse(spec, DB_FROM_OPTION, &t, &err), SW_OK);
    assert_int_equal(db_open(&t, DB_OPEN_EXISTING, &d, &err), SW_CONNECT);
    assert_null(d);
    assert_non_null(strstr(err.message, "absent.db"));
    assert_non_null(strstr(err.message, "No such file"));
    struct stat st;
    char *absent = xasprintf("%s/absent.db", f->dir);
    assert_int_not_equal(stat(absent, &st), 0);
    db_target_free(&t);
    free(spec);
    free(absent);

    /* A text file is not a database, and a directory is not a file. */
    char *text = xasprintf("%s/notes.db", f->dir);
    FILE *fp = fopen(text, "w");
    assert_non_null(fp);
    fputs("these are not the tables you are looking for\n", fp);
    fclose(fp);
    spec = xasprintf("sqlite:%s", text);
    assert_int_equal(db_target_parse(spec, DB_FROM_OPTION, &t, &err), SW_OK);
    assert_int_equal(db_open(&t, DB_OPEN_EXISTING, &d, &err), SW_CONNECT);
    assert_non_null(strstr(err.message, "file is not a database"));
    db_target_free(&t);
    free(spec);
    unlink(text);
    free(text);

    spec = xasprintf("sqlite:%s", f->dir);
    assert_int_equal(db_target_parse(spec, DB_FROM_OPTION, &t, &err), SW_OK);
    assert_int_equal(db_open(&t, DB_OPEN_CREATE, &d, &err), SW_CONNECT);
    assert_non_null(strstr(err.message, "is a directory"));
    db_target_free(&t);
    free(spec);
}

static void test_server_info(void **state)
{
    fixture *f = *state;
    sw_error err = {0};
    db_server_info info;
    assert_int_equal(db_server_info_get(f->d, &info, &err), SW_OK);
    assert_string_equal(info.product, "SQLite");
    assert_true(info.version_num >= 3038000);
    assert_string_equal(info.database, f->path);
    assert_null(info.user);
    assert_false(info.read_only);
    db_server_info_free(&info);
}

static char *read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot read %s", path);
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(fp);
    return strbuf_detach(&sb);
}

/* The sample migrations are real SQLite: each applies, and the down
 * scripts in reverse order leave an empty schema. */
static void test_demo_migrations_apply_and_roll_back(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"0001_create_authors", "0002_create_books",
                                        "0003_create_customers"};
    const char *srcdir = getenv("top_srcdir");
    if (!srcdir)
        srcdir = ".";
    sw_error err = {0};
    db_result *r = NULL;
    for (size_t i = 0; i < 3; i++) {
        char *path = xasprintf("%s/migrations/demo/%s.up.sql", srcdir, names[i]);
        char *sql = read_file(path);
        if (db_exec(f->d, sql, &err) != SW_OK)
            fail_msg("%s: %s", path, err.message);
        free(sql);
        free(path);
    }
    assert_int_equal(db_query(f->d,
                              "SELECT group_concat(name, ',') FROM (SELECT name FROM "
                              "sqlite_schema WHERE type IN ('table', 'index') AND name NOT "
                              "LIKE 'sqlite_%' ORDER BY name)",
                              0, NULL, &r, &err),
                     SW_OK);
    assert_string_equal(db_result_value(r, 0, 0), "authors,books,books_author_id,customers");
    db_result_free(r);
    for (size_t i = 3; i-- > 0;) {
        char *path = xasprintf("%s/migrations/demo/%s.down.sql", srcdir, names[i]);
        char *sql = read_file(path);
        if (db_exec(f->d, sql, &err) != SW_OK)
            fail_msg("%s: %s", path, err.message);
        free(sql);
        free(path);
    }
    assert_int_equal(db_query(f->d, "SELECT count(*) FROM sqlite_schema", 0, NULL, &r, &err),
                     SW_OK);
    assert_string_equal(db_result_value(r, 0, 0), "0");
    db_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_migrations_apply_and_roll_back, setup, teardown),
    };
    return cmocka_run_group_tests_name("db_sqlite", tests, NULL, NULL);
}
