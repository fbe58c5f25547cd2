/* Unit tests of core/util: string buffer, arrays, escaping of untrusted
 * text, one-line messages and password redaction. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/util.h"

static void test_strbuf_builds_and_detaches(void **state)
{
    (void)state;
    strbuf sb = {0};
    assert_string_equal(strbuf_str(&sb), "");
    strbuf_append(&sb, "lock ");
    strbuf_appendf(&sb, "%s on %d tables", "SHARE", 3);
    strbuf_append_char(&sb, '!');
    assert_string_equal(strbuf_str(&sb), "lock SHARE on 3 tables!");
    assert_int_equal(sb.len, strlen("lock SHARE on 3 tables!"));
    char *s = strbuf_detach(&sb);
    assert_string_equal(s, "lock SHARE on 3 tables!");
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    free(s);
    /* A long append crosses several doublings and stays intact. */
    for (int i = 0; i < 1000; i++)
        strbuf_appendf(&sb, "%03d", i);
    assert_int_equal(sb.len, 3000);
    assert_memory_equal(sb.data + 2997, "999", 3);
    strbuf_reset(&sb);
    assert_string_equal(strbuf_str(&sb), "");
    strbuf_free(&sb);
}

static void test_array_grow_doubles(void **state)
{
    (void)state;
    size_t cap = 0;
    int *a = NULL;
    for (int i = 0; i < 100; i++) {
        a = array_grow(a, &cap, (size_t)i + 1, sizeof *a);
        a[i] = i * i;
    }
    assert_true(cap >= 100);
    assert_int_equal(cap, 128); /* 8, 16, ..., 128: doubling */
    assert_int_equal(a[99], 9801);
    size_t before = cap;
    a = array_grow(a, &cap, 50, sizeof *a); /* already big enough */
    assert_int_equal(cap, before);
    free(a);
}

static void test_escape_control_characters(void **state)
{
    (void)state;
    /* An ANSI colour sequence and a bell from a server must arrive inert. */
    char *s = text_escaped("select 1\x1b[31m\a;\tdone\nnext\x7f");
    assert_string_equal(s, "select 1\\x1B[31m\\x07;\\tdone\\nnext\\x7F");
    free(s);

    strbuf sb = {0};
    text_escape_control(&sb, "line one\nline two\r", true);
    assert_string_equal(strbuf_str(&sb), "line one\nline two\\r");
    strbuf_free(&sb);
}

static void test_escape_utf8_and_c1(void **state)
{
    (void)state;
    /* Valid UTF-8 passes; C1 CSI (U+009B) and broken bytes are escaped. */
    char *s = text_escaped("caf\xc3\xa9 \xe2\x9c\x93 \xc2\x9b" "2J \xff end \xc3");
    assert_string_equal(s, "caf\xc3\xa9 \xe2\x9c\x93 \\u009B2J \\xFF end \\xC3");
    free(s);
    /* Overlong encoding of '/' and a UTF-16 surrogate are not valid. */
    s = text_escaped("\xc0\xaf \xed\xa0\x80");
    assert_string_equal(s, "\\xC0\\xAF \\xED\\xA0\\x80");
    free(s);
}

static void test_one_line(void **state)
{
    (void)state;
    char *s = text_one_line("connection to server failed: No such file\n"
                            "\tIs the server running locally?\n");
    assert_string_equal(s, "connection to server failed: No such file Is the server running "
                           "locally?");
    free(s);
    s = text_one_line("\n\n");
    assert_string_equal(s, "");
    free(s);
}

static void test_redact(void **state)
{
    (void)state;
    char *s = text_redact("password=hunter2 and again hunter2!", "hunter2");
    assert_string_equal(s, "password=*** and again ***!");
    free(s);
    s = text_redact("nothing to hide", NULL);
    assert_string_equal(s, "nothing to hide");
    free(s);
    s = text_redact("nothing to hide", "");
    assert_string_equal(s, "nothing to hide");
    free(s);
}

static void test_error_set_truncates_on_character(void **state)
{
    (void)state;
    sw_error err = {0};
    assert_int_equal(sw_error_set(&err, SW_CONNECT, "port %d", 5432), SW_CONNECT);
    assert_string_equal(err.message, "port 5432");
    assert_int_equal(err.status, SW_CONNECT);

    /* 600 two-byte characters do not fit: the cut must not split one. */
    strbuf sb = {0};
    for (int i = 0; i < 600; i++)
        strbuf_append(&sb, "\xc3\xa9");
    sw_error_set(&err, SW_FAILED, "%s", strbuf_str(&sb));
    size_t len = strlen(err.message);
    assert_true(len < sizeof err.message);
    assert_string_equal(err.message + len - 3, "...");
    char *escaped = text_escaped(err.message);
    assert_null(strstr(escaped, "\\x")); /* still valid UTF-8 */
    free(escaped);
    strbuf_free(&sb);
    sw_error_clear(&err);
    assert_int_equal(err.status, SW_OK);
    assert_string_equal(err.message, "");
}

static void test_prefix_suffix(void **state)
{
    (void)state;
    assert_true(str_has_prefix("sqlite:x.db", "sqlite:"));
    assert_false(str_has_prefix("sql", "sqlite:"));
    assert_true(str_has_suffix("demo.sqlite3", ".sqlite3"));
    assert_false(str_has_suffix("3", ".sqlite3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_builds_and_detaches),
        cmocka_unit_test(test_array_grow_doubles),
        cmocka_unit_test(test_escape_control_characters),
        cmocka_unit_test(test_escape_utf8_and_c1),
        cmocka_unit_test(test_one_line),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_error_set_truncates_on_character),
        cmocka_unit_test(test_prefix_suffix),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
