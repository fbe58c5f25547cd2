/* Unit tests of core/plan: each version's state from a folder and a
 * history made up here, out-of-order detection, and what up, down and
 * goto would run, in which order. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/plan.h"

/* A folder of versions, each with checksum "c<version>". */
static void make_source(migration_source *s, const char *const *versions, size_t n)
{
    memset(s, 0, sizeof *s);
    s->migrations = xcalloc(n + 1, sizeof *s->migrations);
    for (size_t i = 0; i < n; i++) {
        migration *m = &s->migrations[s->count++];
        m->version = xstrdup(versions[i]);
        m->name = xasprintf("m%s", versions[i]);
        snprintf(m->checksum, sizeof m->checksum, "c%s", versions[i]);
    }
}

static void free_source(migration_source *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->migrations[i].version);
        free(s->migrations[i].name);
    }
    free(s->migrations);
}

/* History rows "version:checksum[:dirty]". */
static void make_history(history_data *h, const char *const *rows, size_t n)
{
    memset(h, 0, sizeof *h);
    h->exists = true;
    h->rows = xcalloc(n + 1, sizeof *h->rows);
    for (size_t i = 0; i < n; i++) {
        history_row *r = &h->rows[h->count++];
        const char *colon = strchr(rows[i], ':');
        r->version = xstrndup(rows[i], (size_t)(colon - rows[i]));
        const char *sum = colon + 1;
        const char *dirty = strchr(sum, ':');
        r->checksum = dirty ? xstrndup(sum, (size_t)(dirty - sum)) : xstrdup(sum);
        r->dirty = dirty != NULL;
        r->name = xstrdup("");
        r->applied_at = xstrdup("");
        r->applied_by = xstrdup("");
        r->duration_ms = -1;
    }
}

static char *states(const migration_status *s)
{
    strbuf sb = {0};
    for (size_t i = 0; i < s->count; i++)
        strbuf_appendf(&sb, "%s%s=%s%s", i ? " " : "", s->entries[i].version,
                       mig_state_name(s->entries[i].state), s->entries[i].out_of_order ? "*" : "");
    return strbuf_detach(&sb);
}

static char *steps(const plan *p)
{
    strbuf sb = {0};
    for (size_t i = 0; i < p->count; i++)
        strbuf_appendf(&sb, "%s%s%s", i ? " " : "", p->steps[i].down ? "-" : "+",
                       p->steps[i].e->version);
    return strbuf_detach(&sb);
}

typedef struct fixture {
    migration_source src;
    history_data hist;
    migration_status st;
} fixture;

static void setup(fixture *f, const char *const *files, size_t nfiles, const char *const *rows,
                  size_t nrows)
{
    make_source(&f->src, files, nfiles);
    make_history(&f->hist, rows, nrows);
    status_build(&f->src, &f->hist, &f->st);
}

static void teardown(fixture *f)
{
    status_free(&f->st);
    history_free(&f->hist);
    free_source(&f->src);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_states(void **state)
{
    (void)state;
    static const char *const files[] = {"1", "2", "3", "5", "10"};
    static const char *const rows[] = {"1:c1", "2:changed", "4:c4", "5:c5:dirty", "10:c10"};
    fixture f;
    setup(&f, files, N(files), rows, N(rows));
    char *got = states(&f.st);
    assert_string_equal(got, "1=applied 2=drifted 3=pending* 4=missing 5=dirty 10=applied");
    assert_int_equal(f.st.applied, 2);
    assert_int_equal(f.st.drifted, 1);
    assert_int_equal(f.st.pending, 1);
    assert_int_equal(f.st.missing, 1);
    assert_int_equal(f.st.dirty, 1);
    assert_int_equal(f.st.out_of_order, 1);
    free(got);
    teardown(&f);
}

static void test_numeric_merge(void **state)
{
    (void)state;
    /* The history holds "02" for file "2": the same version. */
    static const char *const files[] = {"1.2", "1.10", "2", "10"};
    static const char *const rows[] = {"1.2:c1.2", "02:c2"};
    fixture f;
    setup(&f, files, N(files), rows, N(rows));
    char *got = states(&f.st);
    /* 1.10 sorts after 1.2 and is below the highest applied (2). */
    assert_string_equal(got, "1.2=applied 1.10=pending* 2=applied 10=pending");
    free(got);
    teardown(&f);
}

static void test_plan_up(void **state)
{
    (void)state;
    static const char *const files[] = {"1", "2", "3", "4", "5"};
    static const char *const rows[] = {"1:c1", "3:c3"};
    fixture f;
    setup(&f, files, N(files), rows, N(rows));
    plan p;
    sw_error err = {0};
    assert_int_equal(plan_up(&f.st, NULL, -1, &p, &err), SW_OK);
    char *got = steps(&p);
    assert_string_equal(got, "+2 +4 +5");
    free(got);
    plan_free(&p);
    assert_int_equal(plan_up(&f.st, NULL, 2, &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "+2 +4");
    free(got);
    plan_free(&p);
    assert_int_equal(plan_up(&f.st, "4", -1, &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "+2 +4");
    free(got);
    plan_free(&p);
    assert_int_equal(plan_up(&f.st, "7", -1, &p, &err), SW_USAGE);
    assert_non_null(strstr(err.message, "version 7 is neither"));
    assert_int_equal(plan_up(&f.st, "x1", -1, &p, &err), SW_USAGE);
    assert_non_null(strstr(err.message, "'x1' is not a version"));
    teardown(&f);
}

static void test_plan_down_and_goto(void **state)
{
    (void)state;
    static const char *const files[] = {"1", "2", "3", "4"};
    static const char *const rows[] = {"1:c1", "2:c2", "3:c3"};
    fixture f;
    setup(&f, files, N(files), rows, N(rows));
    plan p;
    sw_error err = {0};
    assert_int_equal(plan_down(&f.st, NULL, -1, &p, &err), SW_OK);
    char *got = steps(&p);
    assert_string_equal(got, "-3"); /* one by default */
    free(got);
    plan_free(&p);
    assert_int_equal(plan_down(&f.st, NULL, 2, &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "-3 -2");
    free(got);
    plan_free(&p);
    assert_int_equal(plan_down(&f.st, "1", -1, &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "-3 -2"); /* 1 stays */
    free(got);
    plan_free(&p);
    assert_int_equal(plan_goto(&f.st, "0", &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "-3 -2 -1");
    free(got);
    plan_free(&p);
    assert_int_equal(plan_goto(&f.st, "4", &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "+4");
    free(got);
    plan_free(&p);
    assert_int_equal(plan_goto(&f.st, "2", &p, &err), SW_OK);
    got = steps(&p);
    assert_string_equal(got, "-3");
    free(got);
    plan_free(&p);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_numeric_merge),
        cmocka_unit_test(test_plan_up),
        cmocka_unit_test(test_plan_down_and_goto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
