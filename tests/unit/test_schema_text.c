/* Unit tests of the schema snapshot's text form (core/schema_text.c) and
 * of SQLite's SQL spacing (core/schema_sqlite.c): lines and their
 * indentation, the order of objects, text and JSON, reading a text back
 * (the golden snapshots round-trip; errors name the line). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/schema_build.h"
#include "tests/harness/read_text.h"

static void test_lines(void **state)
{
    (void)state;
    strbuf b = {0};
    schema_line(&b, "owner app");
    schema_line(&b, "as\n SELECT a,\n\n    b\n");
    schema_line(&b, "comment 'tab\there, escape \x1b[2J'");
    schema_lines(&b, "grant SELECT to a\ngrant INSERT to b");
    schema_lines(&b, NULL);
    schema_linef(&b, "max %d", 7);
    assert_string_equal(strbuf_str(&b), "  owner app\n"
                                        "  as\n"
                                        "     SELECT a,\n"
                                        "    \n"
                                        "        b\n"
                                        "  comment 'tab\\there, escape \\x1B[2J'\n"
                                        "  grant SELECT to a\n"
                                        "  grant INSERT to b\n"
                                        "  max 7\n");
    strbuf_free(&b);
}

static void test_kinds(void **state)
{
    (void)state;
    assert_true(schema_kind_rank("schema") < schema_kind_rank("type"));
    assert_true(schema_kind_rank("type") < schema_kind_rank("table"));
    assert_true(schema_kind_rank("table") < schema_kind_rank("index"));
    assert_true(schema_kind_rank("index") < schema_kind_rank("function"));
    assert_int_equal(schema_kind_rank("tables"), -1);
    assert_int_equal(schema_kind_rank(""), -1);
}

/* Objects added in any order come out by rank, then name, then kind. */
static void test_order(void **state)
{
    (void)state;
    schema_snapshot s = {0};
    schema_snapshot_add(&s, "index", "public.a_idx", "  CREATE INDEX a_idx\n");
    schema_snapshot_add(&s, "table", "public.b", "  owner x\n");
    schema_snapshot_add(&s, "function", "public.f()", "  owner y\n");
    schema_snapshot_add(&s, "table", "public.a", "  owner x\n");
    schema_snapshot_add(&s, "schema", "public", "  owner z\n");
    schema_snapshot_add(&s, "function", "public.f()", "  owner a\n");
    schema_snapshot_add(&s, "table", "public.\x1b", "");
    schema_snapshot_sort(&s);
    char *text = schema_snapshot_text(&s);
    assert_string_equal(text, "schema public\n  owner z\n\n"
                              "table public.\\x1B\n\n"
                              "table public.a\n  owner x\n\n"
                              "table public.b\n  owner x\n\n"
                              "index public.a_idx\n  CREATE INDEX a_idx\n\n"
                              "function public.f()\n  owner a\n\n"
                              "function public.f()\n  owner y\n");
    assert_string_equal(s.objects[1].name, "public.\\x1B"); /* escaped, as in its header */
    free(text);
    schema_snapshot_free(&s);
}

static void test_json(void **state)
{
    (void)state;
    schema_snapshot s = {0};
    s.product = xstrdup("SQLite");
    schema_snapshot_add(&s, "view", "v", "  CREATE VIEW v AS\n    SELECT \"x\"\n");
    schema_snapshot_add(&s, "table", "t", "");
    schema_snapshot_sort(&s);
    char *json = schema_snapshot_json(&s);
    assert_string_equal(json, "{\n"
                              "  \"product\": \"SQLite\",\n"
                              "  \"objects\": [\n"
                              "    {\n"
                              "      \"kind\": \"table\",\n"
                              "      \"name\": \"t\",\n"
                              "      \"lines\": []\n"
                              "    },\n"
                              "    {\n"
                              "      \"kind\": \"view\",\n"
                              "      \"name\": \"v\",\n"
                              "      \"lines\": [\n"
                              "        \"CREATE VIEW v AS\",\n"
                              "        \"  SELECT \\\"x\\\"\"\n"
                              "      ]\n"
                              "    }\n"
                              "  ]\n"
                              "}\n");
    free(json);
    schema_snapshot_free(&s);
}

static void assert_round_trip(const char *text)
{
    schema_snapshot s;
    sw_error err = {0};
    sw_status st = schema_snapshot_parse(text, strlen(text), &s, &err);
    if (st != SW_OK)
        fail_msg("parse: %s", err.message);
    assert_null(s.product);
    char *again = schema_snapshot_text(&s);
    assert_string_equal(again, text);
    free(again);
    schema_snapshot_free(&s);
}

static void test_round_trip(void **state)
{
    (void)state;
    assert_round_trip("");
    assert_round_trip("schema public\n");
    assert_round_trip("schema public\n  owner a\n\ntable public.t\n  as\n    \n    x\n  \n");
    const char *top = getenv("top_srcdir");
    if (!top)
        top = ".";
    const char *goldens[] = {"tests/schema/every_kind_pg.schema",
                             "tests/schema/every_kind_sqlite.schema"};
    for (size_t i = 0; i < 2; i++) {
        char *path = xasprintf("%s/%s", top, goldens[i]);
        char *text = read_text(path);
        if (!text)
            fail_msg("cannot read %s", path);
        assert_true(strlen(text) > 100);
        assert_round_trip(text);
        free(text);
        free(path);
    }
}

/* Reading back sorts: a text in another order gives the canonical one. */
static void test_parse_sorts(void **state)
{
    (void)state;
    const char *text = "index i\n  x\n\ntable b\n\ntable a\n  y\n";
    schema_snapshot s;
    sw_error err = {0};
    assert_int_equal(schema_snapshot_parse(text, strlen(text), &s, &err), SW_OK);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.objects[0].name, "a");
    assert_string_equal(s.objects[0].kind, "table");
    assert_string_equal(s.objects[0].text, "table a\n  y\n");
    assert_int_equal(s.objects[2].rank, schema_kind_rank("index"));
    char *again = schema_snapshot_text(&s);
    assert_string_equal(again, "table a\n  y\n\ntable b\n\nindex i\n  x\n");
    free(again);
    schema_snapshot_free(&s);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"table t\n  x", "line 2: the text does not end with a newline"},
        {"\ntable t\n", "line 1: an empty line before the first block"},
        {"table t\n\n\ntable u\n", "line 3: two empty lines in a row"},
        {"table t\n\n", "line 2: the text ends with an empty line"},
        {"table t\ntable u\n", "line 2: an empty line must come before a new block"},
        {"  owner x\n", "line 1: an indented line outside a block"},
        {"table t\n owner x\n", "line 2: detail lines are indented by two spaces"},
        {"table\n", "line 1: a block begins with a line \"<kind> <name>\""},
        {"table \n", "line 1: a block begins with a line \"<kind> <name>\""},
        {"CREATE TABLE t (a int);\n", "line 1: 'CREATE' is not a kind of object"},
        {"table t\n  a\tb\n", "line 2: a control character (the text form writes them escaped)"},
        {"table t\r\n", "line 1: a carriage return (the text form has \\n line ends)"},
        {"table t\n  \xff\n", "line 2: bytes that are not UTF-8"},
        {"table t\n  \xc2\x9b\n", "line 2: a control character (the text form writes them escaped)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        schema_snapshot s;
        sw_error err = {0};
        sw_status st = schema_snapshot_parse(cases[i].text, strlen(cases[i].text), &s, &err);
        assert_int_equal(st, SW_USAGE);
        assert_string_equal(err.message, cases[i].message);
        assert_int_equal(s.count, 0);
        assert_null(s.objects);
    }
    /* A NUL byte inside the given length is not text either. */
    schema_snapshot s;
    sw_error err = {0};
    static const char nul[] = "table t\n  a\0b\n";
    assert_int_equal(schema_snapshot_parse(nul, sizeof nul - 1, &s, &err), SW_USAGE);
    assert_string_equal(err.message,
                        "line 2: a control character (the text form writes them escaped)");
}

static void test_sqlite_spacing(void **state)
{
    (void)state;
    static const struct {
        const char *sql, *want;
    } cases[] = {
        {"CREATE TABLE t (a INT ,b TEXT )", "CREATE TABLE t(a INT, b TEXT)"},
        {"  CREATE\tTABLE\n\nt(a)  ;  ", "CREATE TABLE t(a);"},
        {"CHECK ( x  >  0 )", "CHECK(x > 0)"},
        {"a = (1)", "a = (1)"},
        {"DEFAULT 'two  spaces'", "DEFAULT 'two  spaces'"},
        {"DEFAULT 'it''s  x'  ,  y", "DEFAULT 'it''s  x', y"},
        {"\"a  b\" [c  d] `e  f`", "\"a  b\" [c  d] `e  f`"},
        {"\"a\"\" b\"  x", "\"a\"\" b\" x"},
        {"a -- note  here\n   b", "a -- note  here\nb"},
        {"a /* x\n  y */   b", "a /* x\n  y */ b"},
        {"a - -1", "a - -1"},
        {"f( a,b ,c)", "f(a, b, c)"},
        {"'unterminated  ", "'unterminated  "},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = schema_sqlite_normalise(cases[i].sql);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),         cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_order),         cmocka_unit_test(test_json),
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_parse_sorts),
        cmocka_unit_test(test_parse_errors),  cmocka_unit_test(test_sqlite_spacing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
