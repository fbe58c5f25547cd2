/* Unit tests of core/audit: where the file goes, what one line holds,
 * appending (folders 0700, file 0600, one line per event), escaping of
 * what a server sent, and a clear error when the file cannot be written. */
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

#include "core/audit.h"
#include "core/error.h"
#include "core/util.h"

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/stepwise-audit-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return xstrdup(dir);
}

static void remove_tree(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(f);
    return strbuf_detach(&sb);
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        if (*text == '\n')
            n++;
    return n;
}

static void test_default_path(void **state)
{
    (void)state;
    sw_error err = {0};
    char *p = audit_default_path("/state", "/home/alice", &err);
    assert_string_equal(p, "/state/stepwise/audit.jsonl");
    free(p);
    p = audit_default_path(NULL, "/home/alice", &err);
    assert_string_equal(p, "/home/alice/.local/state/stepwise/audit.jsonl");
    free(p);
    /* An empty or relative XDG_STATE_HOME is ignored, as the spec says. */
    p = audit_default_path("", "/home/alice", &err);
    assert_string_equal(p, "/home/alice/.local/state/stepwise/audit.jsonl");
    free(p);
    p = audit_default_path("relative", "/home/alice", &err);
    assert_string_equal(p, "/home/alice/.local/state/stepwise/audit.jsonl");
    free(p);
    p = audit_default_path(NULL, NULL, &err);
    assert_null(p);
    assert_int_equal(err.status, SW_FAILED);
    assert_non_null(strstr(err.message, "HOME"));
}

static void test_format_exact(void **state)
{
    (void)state;
    audit_actor actor = {"alice", "al", "db-admin-1"};
    audit_event ev = {0};
    ev.action = "terminate_backend";
    ev.database = "host=/tmp port=5432 dbname=shop";
    ev.target_pid = 4242;
    ev.target_user = "bob";
    ev.target_query = "select 1";
    ev.outcome = "ok";
    /* 2026-01-02T03:04:05.678Z */
    char *line = audit_format(1767323045678LL, &actor, &ev);
    assert_string_equal(line,
                        "{\"time\":\"2026-01-02T03:04:05.678Z\","
                        "\"actor\":{\"db_user\":\"alice\",\"os_user\":\"al\",\"host\":\"db-admin-1\"},"
                        "\"action\":\"terminate_backend\",\"version\":null,"
                        "\"database\":\"host=/tmp port=5432 dbname=shop\","
                        "\"target_pid\":4242,\"target_user\":\"bob\",\"target_query\":\"select 1\","
                        "\"outcome\":\"ok\",\"detail\":null}");
    free(line);
    /* Milliseconds keep their leading zeros; a missing pid is null. */
    audit_event none = {0};
    none.action = "cancel_backend";
    none.outcome = "refused";
    line = audit_format(1767323045007LL, NULL, &none);
    assert_non_null(strstr(line, "\"time\":\"2026-01-02T03:04:05.007Z\""));
    assert_non_null(strstr(line, "\"target_pid\":null"));
    assert_non_null(strstr(line, "\"db_user\":null"));
    free(line);
}

static void test_append_creates_and_appends(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/state/stepwise/audit.jsonl", dir);
    audit_actor actor = {"alice", NULL, NULL};
    audit_actor_system(&actor);
    assert_non_null(actor.os_user);
    audit_event ev = {0};
    ev.action = "cancel_backend";
    ev.target_pid = 17;
    ev.target_user = "bob";
    ev.target_query = "update t set x = 1";
    ev.outcome = "ok";
    sw_error err = {0};
    assert_int_equal(audit_append(path, &actor, &ev, &err), SW_OK);
    ev.action = "terminate_backend";
    ev.outcome = "failed: the server did not signal pid 17";
    assert_int_equal(audit_append(path, &actor, &ev, &err), SW_OK);

    char *text = read_all(path);
    assert_int_equal(count_lines(text), 2);
    char *second = strchr(text, '\n') + 1;
    assert_true(text[0] == '{');
    assert_true(second[0] == '{');
    assert_true(second[strlen(second) - 2] == '}');
    assert_non_null(strstr(text, "\"action\":\"cancel_backend\""));
    assert_non_null(strstr(second, "\"action\":\"terminate_backend\""));
    assert_non_null(strstr(second, "\"outcome\":\"failed: the server did not signal pid 17\""));
    assert_non_null(strstr(text, "\"db_user\":\"alice\""));
    assert_non_null(strstr(text, "\"target_pid\":17"));
    assert_non_null(strstr(text, "\"target_user\":\"bob\""));
    assert_non_null(strstr(text, "\"target_query\":\"update t set x = 1\""));
    assert_non_null(strstr(text, "Z\",\"actor\""));
    assert_null(strstr(text, "password"));
    free(text);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *folder = xasprintf("%s/state/stepwise", dir);
    assert_int_equal(stat(folder, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(folder);
    folder = xasprintf("%s/state", dir);
    assert_int_equal(stat(folder, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(folder);

    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_control_characters_escaped(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/audit.jsonl", dir);
    audit_actor actor = {"alice", "al", "h"};
    audit_event ev = {0};
    ev.action = "terminate_backend";
    ev.target_pid = 5;
    ev.target_query = "select 1;\n\x1b[2J\"quoted\"\t\\";
    ev.outcome = "ok";
    sw_error err = {0};
    assert_int_equal(audit_append(path, &actor, &ev, &err), SW_OK);
    char *text = read_all(path);
    assert_int_equal(count_lines(text), 1);
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\t'));
    assert_non_null(strstr(text, "select 1;\\n"));
    assert_non_null(strstr(text, "\\u001b[2J"));
    assert_non_null(strstr(text, "\\\"quoted\\\""));
    assert_non_null(strstr(text, "\\t\\\\\""));
    free(text);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_unwritable_path_names_it(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    /* A folder that would have to be made under a regular file: fails even
     * for root. */
    char *file = xasprintf("%s/plain", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char *path = xasprintf("%s/sub/audit.jsonl", file);
    audit_actor actor = {NULL, NULL, NULL};
    audit_event ev = {0};
    ev.action = "cancel_backend";
    ev.outcome = "ok";
    sw_error err = {0};
    assert_int_equal(audit_append(path, &actor, &ev, &err), SW_FAILED);
    assert_int_equal(err.status, SW_FAILED);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "Not a directory"));

    /* The file itself is a folder: the open fails, naming the path. */
    char *folder_path = xasprintf("%s/isdir", dir);
    assert_int_equal(mkdir(folder_path, 0700), 0);
    sw_error err2 = {0};
    assert_int_equal(audit_append(folder_path, &actor, &ev, &err2), SW_FAILED);
    assert_non_null(strstr(err2.message, folder_path));

    sw_error err3 = {0};
    assert_int_equal(audit_append("", &actor, &ev, &err3), SW_FAILED);

    free(folder_path);
    free(path);
    free(file);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_append_creates_and_appends),
        cmocka_unit_test(test_control_characters_escaped),
        cmocka_unit_test(test_unwritable_path_names_it),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
