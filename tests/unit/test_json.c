/* Unit tests of core/json: nesting, commas, escaping, pretty layout. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/json.h"

static void test_compact_document(void **state)
{
    (void)state;
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, false);
    json_begin_object(&w);
    json_key(&w, "version");
    json_string(&w, "0003");
    json_key(&w, "steps");
    json_int(&w, -12);
    json_key(&w, "dirty");
    json_bool(&w, false);
    json_key(&w, "user");
    json_string(&w, NULL);
    json_key(&w, "locks");
    json_begin_array(&w);
    json_string(&w, "ACCESS EXCLUSIVE");
    json_string(&w, "SHARE");
    json_end_array(&w);
    json_key(&w, "empty");
    json_begin_object(&w);
    json_end_object(&w);
    json_end_object(&w);
    assert_string_equal(strbuf_str(&sb),
                        "{\"version\":\"0003\",\"steps\":-12,\"dirty\":false,\"user\":null,"
                        "\"locks\":[\"ACCESS EXCLUSIVE\",\"SHARE\"],\"empty\":{}}");
    strbuf_free(&sb);
}

static void test_pretty_document(void **state)
{
    (void)state;
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, true);
    json_begin_object(&w);
    json_key(&w, "a");
    json_int(&w, 1);
    json_key(&w, "b");
    json_begin_array(&w);
    json_null(&w);
    json_end_array(&w);
    json_key(&w, "c");
    json_begin_array(&w);
    json_end_array(&w);
    json_end_object(&w);
    assert_string_equal(strbuf_str(&sb), "{\n  \"a\": 1,\n  \"b\": [\n    null\n  ],\n  \"c\": []\n}");
    strbuf_free(&sb);
}

static void test_string_escapes(void **state)
{
    (void)state;
    strbuf sb = {0};
    json_append_quoted(&sb, "say \"hi\"\\\n\t\x01\x1b caf\xc3\xa9 \xff");
    assert_string_equal(strbuf_str(&sb),
                        "\"say \\\"hi\\\"\\\\\\n\\t\\u0001\\u001b caf\xc3\xa9 \\ufffd\"");
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_document),
        cmocka_unit_test(test_pretty_document),
        cmocka_unit_test(test_string_escapes),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
