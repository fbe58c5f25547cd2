/* Unit tests of statement splitting: tricky scripts with the exact
 * statements and positions expected, for PostgreSQL (libpg_query) and
 * SQLite (sqlite3_complete), and parse errors with their positions. */
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

typedef struct expected_statement {
    const char *text;
    int line, column;
    const char *error;     /* NULL: analysed; else a piece of the parser message */
    int error_line, error_column;
} expected_statement;

typedef struct split_case {
    const char *name;
    sql_dialect dialect;
    const char *script;
    size_t count;
    expected_statement statements[4];
} split_case;

#define OK(text, line, column) {text, line, column, NULL, 0, 0}
#define BAD(text, line, column, error, eline, ecolumn) {text, line, column, error, eline, ecolumn}

static const split_case cases[] = {
    {"dollar quotes with tags hide ';'", SQL_POSTGRES,
     "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $x$ ; $x$ $body$ LANGUAGE sql;\n"
     "SELECT $$;$$;",
     2,
     {OK("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $x$ ; $x$ $body$ LANGUAGE sql", 1, 1),
      OK("SELECT $$;$$", 2, 1)}},
    {"nested block comments", SQL_POSTGRES,
     "/* outer /* inner; */ still; comment */ SELECT 1; /* a */ /* b */ SELECT 2;", 2,
     {OK("SELECT 1", 1, 41), OK("SELECT 2", 1, 67)}},
    {"E'' strings with escaped quotes", SQL_POSTGRES, "SELECT E'it\\'s; fine';\n  SELECT 'a''b;c';", 2,
     {OK("SELECT E'it\\'s; fine'", 1, 1), OK("SELECT 'a''b;c'", 2, 3)}},
    {"quoted identifiers containing ';'", SQL_POSTGRES,
     "CREATE TABLE \"odd;name\" (\"x;y\" int);\nDROP TABLE \"odd;name\"", 2,
     {OK("CREATE TABLE \"odd;name\" (\"x;y\" int)", 1, 1), OK("DROP TABLE \"odd;name\"", 2, 1)}},
    {"final statement without ';', leading comments skipped", SQL_POSTGRES,
     "-- header comment\n\n   CREATE TABLE t (x int);\n\n-- next one\nALTER TABLE t ADD y int\n", 2,
     {OK("CREATE TABLE t (x int)", 3, 4), OK("ALTER TABLE t ADD y int", 6, 1)}},
    {"columns count characters, not bytes", SQL_POSTGRES, "SELECT '\xc3\xa9t\xc3\xa9'; SELECT 1", 2,
     {OK("SELECT '\xc3\xa9t\xc3\xa9'", 1, 1), OK("SELECT 1", 1, 15)}},
    {"SQL-standard function body with inner ';'", SQL_POSTGRES,
     "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3;",
     2,
     {OK("CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END", 1, 1),
      OK("SELECT 3", 2, 1)}},
    {"CRLF line endings", SQL_POSTGRES, "SELECT 1;\r\n\r\n  SELECT 2;\r\n", 2,
     {OK("SELECT 1", 1, 1), OK("SELECT 2", 3, 3)}},
    {"a syntax error is reported where it is, the rest still analysed", SQL_POSTGRES,
     "SELECT 1;\nCREATE TABLE (x int);\nSELECT 3;", 3,
     {OK("SELECT 1", 1, 1),
      BAD("CREATE TABLE (x int)", 2, 1, "syntax error at or near \"(\"", 2, 14),
      OK("SELECT 3", 3, 1)}},
    {"a misspelt keyword is kept and reported", SQL_POSTGRES, "SELECT 1;\n  SELEC 2;\nSELECT 'x'", 3,
     {OK("SELECT 1", 1, 1), BAD("SELEC 2", 2, 3, "syntax error at or near \"SELEC\"", 2, 3),
      OK("SELECT 'x'", 3, 1)}},
    {"error position after multi-byte characters", SQL_POSTGRES, "SELECT '\xc3\xa9\xc3\xa9' FROM;", 1,
     {BAD("SELECT '\xc3\xa9\xc3\xa9' FROM", 1, 1, "syntax error at end of input", 1, 17)}},
    {"unterminated quote: one statement with the scanner's message", SQL_POSTGRES,
     "SELECT 1;\nSELECT 'open", 1,
     {BAD("SELECT 1;\nSELECT 'open", 1, 1, "unterminated quoted string", 2, 8)}},
    {"unterminated dollar quote", SQL_POSTGRES, "DO $$ BEGIN", 1,
     {BAD("DO $$ BEGIN", 1, 1, "unterminated dollar-quoted string", 1, 4)}},
    {"only comments and blanks: no statement", SQL_POSTGRES, "-- nothing\n/* here */\n  ;\n", 0, {OK(NULL, 0, 0)}},
    {"empty script", SQL_POSTGRES, "", 0, {OK(NULL, 0, 0)}},
    {"SQLite: trigger bodies hold ';'", SQL_SQLITE,
     "CREATE TABLE a (x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = 1;\nEND;\n"
     "DROP TABLE a",
     3,
     {OK("CREATE TABLE a (x)", 1, 1),
      OK("CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = 1;\nEND", 2, 1),
      OK("DROP TABLE a", 5, 1)}},
    {"SQLite: strings, identifiers and comments hold ';'", SQL_SQLITE,
     "-- lead; in comment\nINSERT INTO \"t;1\" VALUES ('a;b', [c;d]); /* x; */ SELECT 1", 2,
     {OK("INSERT INTO \"t;1\" VALUES ('a;b', [c;d])", 2, 1), OK("SELECT 1", 2, 51)}},
};

static void check_case(const split_case *c)
{
    sql_script sc;
    sw_error err = {0};
    if (sql_script_parse(&sc, "case.sql", c->script, strlen(c->script), c->dialect, &err) != SW_OK)
        fail_msg("%s: %s", c->name, err.message);
    if (sc.count != c->count)
        fail_msg("%s: %zu statements, expected %zu", c->name, sc.count, c->count);
    for (size_t i = 0; i < c->count; i++) {
        const sql_statement *s = &sc.statements[i];
        const expected_statement *e = &c->statements[i];
        if (strcmp(s->text, e->text) != 0)
            fail_msg("%s: statement %zu is [%s], expected [%s]", c->name, i + 1, s->text, e->text);
        if (s->line != e->line || s->column != e->column)
            fail_msg("%s: statement %zu at %d:%d, expected %d:%d", c->name, i + 1, s->line, s->column,
                     e->line, e->column);
        /* offset/length point at exactly the text. */
        assert_memory_equal(sc.text + s->offset, s->text, s->length);
        if (e->error) {
            if (!s->error || !strstr(s->error, e->error))
                fail_msg("%s: statement %zu error [%s], expected [%s]", c->name, i + 1,
                         s->error ? s->error : "none", e->error);
            if (s->error_line != e->error_line || s->error_column != e->error_column)
                fail_msg("%s: error at %d:%d, expected %d:%d", c->name, s->error_line, s->error_column,
                         e->error_line, e->error_column);
            assert_false(s->analysed);
        } else if (c->dialect == SQL_POSTGRES) {
            if (!s->analysed)
                fail_msg("%s: statement %zu not analysed: %s", c->name, i + 1, s->error ? s->error : "");
            assert_null(s->error);
        } else {
            assert_null(s->error); /* SQLite syntax is never a PostgreSQL parse error */
        }
    }
    size_t errors = 0;
    for (size_t i = 0; i < c->count; i++)
        errors += c->statements[i].error != NULL;
    assert_int_equal(sql_script_errors(&sc), errors);
    sql_script_free(&sc);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
}

static void test_error_count_and_nul(void **state)
{
    (void)state;
    sql_script sc;
    sw_error err = {0};
    const char *text = "SELEC 1; SELECT 2; DELET FROM t;";
    assert_int_equal(sql_script_parse(&sc, "x.sql", text, strlen(text), SQL_POSTGRES, &err), SW_OK);
    assert_int_equal(sc.count, 3);
    assert_int_equal(sql_script_errors(&sc), 2);
    sql_script_free(&sc);

    static const char with_nul[] = "SELECT 1;\0SELECT 2;";
    assert_int_equal(sql_script_parse(&sc, "bin.sql", with_nul, sizeof with_nul - 1, SQL_POSTGRES, &err),
                     SW_USAGE);
    assert_non_null(strstr(err.message, "bin.sql"));
    assert_non_null(strstr(err.message, "NUL"));
}

static void test_position_helper(void **state)
{
    (void)state;
    int line, column;
    sql_position("ab\ncd\xc3\xa9" "f", 7, &line, &column);
    assert_int_equal(line, 2);
    assert_int_equal(column, 4); /* c, d, é (two bytes), then f */
    sql_position("", 0, &line, &column);
    assert_int_equal(line, 1);
    assert_int_equal(column, 1);
}

static void test_quote_identifier(void **state)
{
    (void)state;
    char *q = sql_quote_identifier("orders");
    assert_string_equal(q, "orders");
    free(q);
    q = sql_quote_identifier("Order Items");
    assert_string_equal(q, "\"Order Items\"");
    free(q);
    q = sql_quote_identifier("say\"hi");
    assert_string_equal(q, "\"say\"\"hi\"");
    free(q);
    q = sql_quote_identifier("1abc");
    assert_string_equal(q, "\"1abc\"");
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_error_count_and_nul),
        cmocka_unit_test(test_position_helper),
        cmocka_unit_test(test_quote_identifier),
    };
    return cmocka_run_group_tests_name("split", tests, NULL, NULL);
}
