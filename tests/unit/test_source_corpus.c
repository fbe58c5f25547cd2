/* The corpus of broken migration folders: each tests/source/broken/NAME
 * is read as the path "tests/source/broken/NAME" from $top_srcdir, and
 * its problems, one source_problem_text line each, must equal the file
 * NAME/expected. One TAP test per folder; a mismatch shows a unified diff.
 * STEPWISE_GOLDEN_UPDATE=1 rewrites the expected files instead. */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/source.h"
#include "core/util.h"
#include "tests/harness/read_text.h"

#define CORPUS "tests/source/broken"
/* The corpus must not shrink unnoticed. */
#define CORPUS_MIN 20

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* `diff -u` of the expected file against what was read, as TAP comments. */
static void show_diff(const char *expected_path, const char *got)
{
    char tmpl[] = "/tmp/stepwise-corpus-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    size_t len = strlen(got);
    assert_int_equal(write(fd, got, len), (ssize_t)len);
    close(fd);
    char *cmd = xasprintf("diff -u '%s' '%s' | sed 's/^/# /'", expected_path, tmpl);
    fflush(stdout);
    if (system(cmd) == -1)
        print_error("cannot run diff\n");
    fflush(stdout);
    free(cmd);
    unlink(tmpl);
}

static void test_folder(void **state)
{
    const char *name = *state;
    char *dir = xasprintf("%s/%s", CORPUS, name);
    char *expected_path = xasprintf("%s/expected", dir);
    migration_source s;
    sw_error err = {0};
    assert_int_equal(source_read(dir, &s, &err), SW_OK);
    strbuf got = {0};
    for (size_t i = 0; i < s.nproblems; i++) {
        /* the expectation itself is a file of the folder: its "ignored"
         * warning is left out of the comparison */
        if (strcmp(s.problems[i].file, "expected") == 0 && s.problems[i].severity == SOURCE_WARNING)
            continue;
        char *line = source_problem_text(&s, &s.problems[i]);
        strbuf_appendf(&got, "%s\n", line);
        free(line);
    }
    source_free(&s);
    const char *update = getenv("STEPWISE_GOLDEN_UPDATE");
    if (update && strcmp(update, "1") == 0) {
        write_text(expected_path, strbuf_str(&got));
    } else {
        char *expected = read_text(expected_path);
        if (!expected)
            fail_msg("%s is missing (STEPWISE_GOLDEN_UPDATE=1 writes it)", expected_path);
        if (strcmp(expected, strbuf_str(&got)) != 0) {
            show_diff(expected_path, strbuf_str(&got));
            free(expected);
            fail_msg("%s: the problems differ from %s (diff above)", dir, expected_path);
        }
        free(expected);
    }
    /* a folder of the corpus has something to report */
    assert_true(got.len > 0);
    strbuf_free(&got);
    free(expected_path);
    free(dir);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    if (top && chdir(top) != 0) {
        printf("Bail out! cannot change to top_srcdir %s\n", top);
        return 99;
    }
    DIR *d = opendir(CORPUS);
    if (!d) {
        printf("Bail out! no %s folder (run from the source tree or set top_srcdir)\n", CORPUS);
        return 99;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = array_grow(names, &cap, n + 1, sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_strings);
    if (n < CORPUS_MIN) {
        printf("Bail out! only %zu folders in %s, expected at least %d\n", n, CORPUS, CORPUS_MIN);
        return 99;
    }
    struct CMUnitTest *tests = xcalloc(n, sizeof *tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = test_folder;
        tests[i].initial_state = names[i];
    }
    int rc = _cmocka_run_group_tests("source corpus", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return rc;
}
