/* Unit tests of core/diff: the edit script of hand-written pairs, its
 * shortness against an LCS computed by dynamic programming on thousands
 * of random pairs, unified output as GNU diff -u prints it (expected texts
 * written down from diff -u), and schema diffs of hand-made snapshots. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/diff.h"
#include "core/error.h"
#include "core/util.h"

/* ------------------------------------------------------------ helpers */

static text_diff diff_of(const char *a, const char *b)
{
    text_diff d;
    sw_error err = {0};
    assert_int_equal(text_diff_compute(a, strlen(a), b, strlen(b), &d, &err), SW_OK);
    return d;
}

/* Rebuild one side's text from the script (the lines that are not
 * `other`), checking that its line numbers run 1, 2, 3. */
static void check_side(const text_diff *d, diff_op other, bool old_side, const char *text,
                       size_t length)
{
    strbuf sb = {0};
    size_t number = 0;
    for (size_t i = 0; i < d->count; i++) {
        const diff_line *l = &d->lines[i];
        size_t line = old_side ? l->old_line : l->new_line;
        if (l->op == other) {
            assert_int_equal(line, 0);
            continue;
        }
        assert_int_equal(line, ++number);
        strbuf_append_len(&sb, l->text, l->length);
        if (!l->no_newline)
            strbuf_append_char(&sb, '\n');
    }
    assert_int_equal(sb.len, length);
    assert_memory_equal(strbuf_str(&sb), length ? text : "", length);
    strbuf_free(&sb);
}

/* Both texts rebuilt from the script, the counts right; the number of
 * edits. */
static size_t check_script(const text_diff *d, const char *a, size_t alen, const char *b,
                           size_t blen)
{
    check_side(d, DIFF_ADDED, true, a, alen);
    check_side(d, DIFF_REMOVED, false, b, blen);
    size_t added = 0, removed = 0;
    for (size_t i = 0; i < d->count; i++) {
        added += d->lines[i].op == DIFF_ADDED;
        removed += d->lines[i].op == DIFF_REMOVED;
    }
    assert_int_equal(d->added, added);
    assert_int_equal(d->removed, removed);
    return added + removed;
}

static void assert_line(const diff_line *l, diff_op op, const char *text, size_t old_line,
                        size_t new_line)
{
    assert_int_equal(l->op, op);
    assert_int_equal(l->length, strlen(text));
    assert_memory_equal(l->text, text, l->length);
    assert_int_equal(l->old_line, old_line);
    assert_int_equal(l->new_line, new_line);
}

static void assert_unified(const char *a, const char *b, int context, const char *expected)
{
    text_diff d = diff_of(a, b);
    check_script(&d, a, strlen(a), b, strlen(b));
    char *u = text_diff_unified(&d, "old", "new", context);
    assert_string_equal(u, expected);
    free(u);
    text_diff_free(&d);
}

/* ------------------------------------------------------------ hand-written */

static void test_empty_and_identical(void **state)
{
    (void)state;
    text_diff d = diff_of("", "");
    assert_int_equal(d.count, 0);
    assert_int_equal(d.added + d.removed, 0);
    text_diff_free(&d);
    assert_null(d.lines);
    assert_unified("", "", 3, "");

    const char *t = "one\ntwo\nthree";
    d = diff_of(t, t);
    assert_int_equal(d.count, 3);
    assert_int_equal(check_script(&d, t, strlen(t), t, strlen(t)), 0);
    assert_line(&d.lines[2], DIFF_SAME, "three", 3, 3);
    assert_true(d.lines[2].no_newline);
    assert_false(d.lines[1].no_newline);
    text_diff_free(&d);
    assert_unified(t, t, 3, "");
}

static void test_one_side_empty(void **state)
{
    (void)state;
    text_diff d = diff_of("", "x\ny\n");
    assert_int_equal(d.count, 2);
    assert_int_equal(d.added, 2);
    assert_line(&d.lines[0], DIFF_ADDED, "x", 0, 1);
    assert_line(&d.lines[1], DIFF_ADDED, "y", 0, 2);
    text_diff_free(&d);

    d = diff_of("x\ny", "");
    assert_int_equal(d.count, 2);
    assert_int_equal(d.removed, 2);
    assert_line(&d.lines[0], DIFF_REMOVED, "x", 1, 0);
    assert_line(&d.lines[1], DIFF_REMOVED, "y", 2, 0);
    assert_true(d.lines[1].no_newline);
    text_diff_free(&d);

    assert_unified("", "x\ny\n", 3, "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    assert_unified("x\ny\n", "", 3, "--- old\n+++ new\n@@ -1,2 +0,0 @@\n-x\n-y\n");
}

static void test_trailing_newline_matters(void **state)
{
    (void)state;
    /* "a" and "a\n" are different lines, as diff -u shows them. */
    text_diff d = diff_of("a", "a\n");
    assert_int_equal(d.count, 2);
    assert_line(&d.lines[0], DIFF_REMOVED, "a", 1, 0);
    assert_true(d.lines[0].no_newline);
    assert_line(&d.lines[1], DIFF_ADDED, "a", 0, 1);
    assert_false(d.lines[1].no_newline);
    text_diff_free(&d);

    assert_unified("a", "a\n", 3,
                   "--- old\n+++ new\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
    assert_unified("a\nb", "a\nc", 3,
                   "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n"
                   "\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
    /* Unchanged last lines without a newline: the mark follows the context line. */
    assert_unified("a\nb", "x\nb", 3,
                   "--- old\n+++ new\n@@ -1,2 +1,2 @@\n-a\n+x\n b\n"
                   "\\ No newline at end of file\n");
    assert_unified("a\nb\nc\n", "a\nb\nc\nz", 1,
                   "--- old\n+++ new\n@@ -3 +3,2 @@\n c\n+z\n\\ No newline at end of file\n");
}

static void test_insert_at_start_and_end(void **state)
{
    (void)state;
    const char *a = "b\nc\n", *start = "a\nb\nc\n", *end = "b\nc\nd\ne\n";
    text_diff d = diff_of(a, start);
    assert_int_equal(check_script(&d, a, strlen(a), start, strlen(start)), 1);
    assert_line(&d.lines[0], DIFF_ADDED, "a", 0, 1);
    assert_line(&d.lines[1], DIFF_SAME, "b", 1, 2);
    text_diff_free(&d);

    d = diff_of(a, end);
    assert_int_equal(check_script(&d, a, strlen(a), end, strlen(end)), 2);
    assert_line(&d.lines[2], DIFF_ADDED, "d", 0, 3);
    assert_line(&d.lines[3], DIFF_ADDED, "e", 0, 4);
    text_diff_free(&d);

    assert_unified("a\nb\nc\n", "x\na\nb\nc\n", 1, "--- old\n+++ new\n@@ -1 +1,2 @@\n+x\n a\n");
}

static void test_replace_block(void **state)
{
    (void)state;
    const char *a = "keep 1\nold 1\nold 2\nold 3\nkeep 2\n";
    const char *b = "keep 1\nnew 1\nnew 2\nkeep 2\n";
    text_diff d = diff_of(a, b);
    assert_int_equal(check_script(&d, a, strlen(a), b, strlen(b)), 5);
    assert_int_equal(d.count, 7);
    /* Within a change, the removed lines come before the added ones. */
    assert_line(&d.lines[0], DIFF_SAME, "keep 1", 1, 1);
    assert_line(&d.lines[1], DIFF_REMOVED, "old 1", 2, 0);
    assert_line(&d.lines[3], DIFF_REMOVED, "old 3", 4, 0);
    assert_line(&d.lines[4], DIFF_ADDED, "new 1", 0, 2);
    assert_line(&d.lines[5], DIFF_ADDED, "new 2", 0, 3);
    assert_line(&d.lines[6], DIFF_SAME, "keep 2", 5, 4);
    text_diff_free(&d);
}

static void test_repeated_lines(void **state)
{
    (void)state;
    const char *a = "a\na\na\n", *b = "a\na\n";
    text_diff d = diff_of(a, b);
    assert_int_equal(check_script(&d, a, strlen(a), b, strlen(b)), 1);
    assert_int_equal(d.removed, 1);
    text_diff_free(&d);

    /* LCS "aba" (or "aab"): one line out, one in. */
    a = "a\na\nb\na\na\n";
    b = "a\nb\na\nb\na\n";
    d = diff_of(a, b);
    assert_int_equal(check_script(&d, a, strlen(a), b, strlen(b)), 2);
    text_diff_free(&d);

    /* Blank lines and a line that is only spaces are lines too: LCS 3. */
    a = "\n\n \n\n";
    b = "\n \n\n\n\n";
    d = diff_of(a, b);
    assert_int_equal(check_script(&d, a, strlen(a), b, strlen(b)), 3);
    text_diff_free(&d);
}

/* ------------------------------------------------------------ shortest */

static uint32_t rng_state;

static uint32_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Lines drawn from a few words, so that equal lines abound. */
static const char *const words[] = {"alpha", "beta", "gamma", "delta", "", "  beta"};

static char *random_text(size_t max_lines, uint32_t alphabet)
{
    strbuf sb = {0};
    size_t n = rng_next() % (max_lines + 1);
    for (size_t i = 0; i < n; i++) {
        strbuf_append(&sb, words[rng_next() % alphabet]);
        if (i + 1 < n || rng_next() % 4 != 0)
            strbuf_append_char(&sb, '\n');
    }
    return strbuf_detach(&sb);
}

/* A near copy of `a`: a few lines left out, a few put in. */
static char *random_edits(const char *a, uint32_t alphabet)
{
    strbuf sb = {0};
    for (const char *p = a; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        uint32_t r = rng_next() % 10;
        if (r == 0)
            strbuf_appendf(&sb, "%s\n", words[rng_next() % alphabet]);
        if (r != 1)
            strbuf_append_len(&sb, p, len);
        if (r == 2)
            strbuf_appendf(&sb, "%s\n", words[rng_next() % alphabet]);
        p += len;
    }
    return strbuf_detach(&sb);
}

typedef struct test_line {
    const char *text;
    size_t length;
    bool newline;
} test_line;

static test_line *test_lines(const char *s, size_t *count)
{
    test_line *lines = xcalloc(strlen(s) + 1, sizeof *lines);
    size_t n = 0;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        lines[n++] = (test_line){s, len, nl != NULL};
        s += len + (nl != NULL);
    }
    *count = n;
    return lines;
}

static bool test_line_equal(const test_line *x, const test_line *y)
{
    return x->length == y->length && x->newline == y->newline &&
           memcmp(x->text, y->text, x->length) == 0;
}

/* The length of a longest common subsequence of lines, row by row. */
static size_t lcs_length(const char *a, const char *b)
{
    size_t n, m;
    test_line *la = test_lines(a, &n), *lb = test_lines(b, &m);
    size_t *prev = xcalloc(m + 1, sizeof *prev), *row = xcalloc(m + 1, sizeof *row);
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            if (test_line_equal(&la[i - 1], &lb[j - 1]))
                row[j] = prev[j - 1] + 1;
            else
                row[j] = prev[j] > row[j - 1] ? prev[j] : row[j - 1];
        }
        size_t *t = prev;
        prev = row;
        row = t;
    }
    size_t result = prev[m];
    free(prev);
    free(row);
    free(la);
    free(lb);
    return result;
}

static size_t line_count(const char *s)
{
    size_t n;
    free(test_lines(s, &n));
    return n;
}

static void check_shortest(const char *a, const char *b)
{
    text_diff d = diff_of(a, b);
    size_t edits = check_script(&d, a, strlen(a), b, strlen(b));
    assert_int_equal(edits, line_count(a) + line_count(b) - 2 * lcs_length(a, b));
    text_diff_free(&d);
}

static void test_random_pairs_shortest(void **state)
{
    (void)state;
    rng_state = 20261121;
    for (int i = 0; i < 4000; i++) {
        char *a = random_text(14, 2 + (uint32_t)i % 5);
        char *b = random_text(14, 2 + (uint32_t)i % 5);
        check_shortest(a, b);
        char *near = random_edits(a, 2 + (uint32_t)i % 5);
        check_shortest(a, near);
        free(a);
        free(b);
        free(near);
    }
    /* Longer pairs with many equal lines: a deep search and recursion. */
    for (int i = 0; i < 6; i++) {
        char *a = random_text(1500, 3);
        char *b = random_text(1500, 3);
        check_shortest(a, b);
        free(a);
        free(b);
    }
}

/* 20,000 distinct lines, 200 replaced, 100 removed, 100 inserted: the
 * shortest script has exactly 600 edits. */
static void test_large_texts(void **state)
{
    (void)state;
    strbuf a = {0}, b = {0};
    for (int i = 0; i < 20000; i++) {
        strbuf_appendf(&a, "line %d of the old text\n", i);
        if (i % 200 == 7 || i % 200 == 61) {
            strbuf_appendf(&b, "replaced line %d\n", i);
        } else if (i % 200 == 33) {
            continue;
        } else {
            if (i % 200 == 150)
                strbuf_appendf(&b, "inserted before %d\n", i);
            strbuf_appendf(&b, "line %d of the old text\n", i);
        }
    }
    text_diff d;
    sw_error err = {0};
    assert_int_equal(text_diff_compute(a.data, a.len, b.data, b.len, &d, &err), SW_OK);
    assert_int_equal(check_script(&d, a.data, a.len, b.data, b.len), 600);
    assert_int_equal(d.removed, 300);
    assert_int_equal(d.added, 300);
    text_diff_free(&d);

    /* Nothing in common at all: every line out and in. */
    strbuf_reset(&b);
    for (int i = 0; i < 20000; i++)
        strbuf_appendf(&b, "other %d\n", i);
    assert_int_equal(text_diff_compute(a.data, a.len, b.data, b.len, &d, &err), SW_OK);
    assert_int_equal(check_script(&d, a.data, a.len, b.data, b.len), 40000);
    text_diff_free(&d);
    strbuf_free(&a);
    strbuf_free(&b);
}

/* ------------------------------------------------------------ unified */

static void test_unified_hunks(void **state)
{
    (void)state;
    /* Changes 2 * 3 unchanged lines apart share a hunk... */
    assert_unified("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nB\nc\nd\ne\nf\ng\nh\nI\nj\n", 3,
                   "--- old\n+++ new\n@@ -1,10 +1,10 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n"
                   " h\n-i\n+I\n j\n");
    /* ...one more and they do not. */
    assert_unified("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "a\nB\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n", 3,
                   "--- old\n+++ new\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n"
                   "@@ -7,5 +7,5 @@\n g\n h\n i\n-j\n+J\n k\n");
    /* Without context: an empty range names the line before it. */
    assert_unified("a\nb\n", "a\nx\nb\n", 0, "--- old\n+++ new\n@@ -1,0 +2 @@\n+x\n");
    assert_unified("a\nb\nc\n", "a\nc\n", 0, "--- old\n+++ new\n@@ -2 +1,0 @@\n-b\n");
    /* Context wider than the texts; a negative context counts as none. */
    assert_unified("a\nb\n", "a\nc\n", 50, "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
    assert_unified("a\nb\n", "a\nc\n", -1, "--- old\n+++ new\n@@ -2 +2 @@\n-b\n+c\n");
    /* A schema block, labelled as schema_diff_text labels it. */
    const char *before = "table public.books\n  owner app\n  column id bigint not null\n"
                         "  column title text\n";
    const char *after = "table public.books\n  owner app\n  column id bigint not null\n"
                        "  column title text not null\n  column author_id bigint\n";
    text_diff d = diff_of(before, after);
    char *u = text_diff_unified(&d, "before", "after", 3);
    assert_string_equal(u, "--- before\n+++ after\n@@ -1,4 +1,5 @@\n table public.books\n"
                           "   owner app\n   column id bigint not null\n-  column title text\n"
                           "+  column title text not null\n+  column author_id bigint\n");
    free(u);
    text_diff_free(&d);
}

/* ------------------------------------------------------------ schema */

static void add_object(schema_snapshot *s, int rank, const char *kind, const char *name,
                       const char *text)
{
    s->objects = array_grow(s->objects, &s->cap, s->count + 1, sizeof *s->objects);
    s->objects[s->count++] = (schema_object){
        .rank = rank,
        .kind = xstrdup(kind),
        .name = xstrdup(name),
        .text = xstrdup(text),
    };
}

static void free_snapshot(schema_snapshot *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->objects[i].kind);
        free(s->objects[i].name);
        free(s->objects[i].text);
    }
    free(s->objects);
    memset(s, 0, sizeof *s);
}

/* Two hand-made snapshots and their diff, for each schema test. */
typedef struct sample {
    schema_snapshot before, after;
    schema_diff diff;
} sample;

static const char books_before[] = "table public.books\n  owner app\n"
                                   "  column id bigint not null\n  column title text\n";
static const char books_after[] = "table public.books\n  owner app\n"
                                  "  column id bigint not null\n  column title text not null\n"
                                  "  column author_id bigint\n";

static int sample_diff(void **state, sample *s)
{
    sw_error err = {0};
    *state = s;
    return schema_diff_compute(&s->before, &s->after, &s->diff, &err) == SW_OK ? 0 : -1;
}

static int sample_setup(void **state)
{
    sample *s = xcalloc(1, sizeof *s);
    const char *schema = "schema public\n  owner app\n";
    const char *authors = "table public.authors\n  owner app\n  column id bigint not null\n";
    add_object(&s->before, 0, "schema", "public", schema);
    add_object(&s->before, 1, "table", "public.authors", authors);
    add_object(&s->before, 1, "table", "public.books", books_before);
    add_object(&s->before, 2, "index", "public.books_title_idx",
               "index public.books_title_idx\n"
               "  CREATE INDEX books_title_idx ON public.books USING btree (title)\n");
    add_object(&s->before, 3, "function", "public.f()",
               "function public.f()\n  CREATE FUNCTION public.f() ...\n");
    add_object(&s->after, 0, "schema", "public", schema);
    add_object(&s->after, 1, "table", "public.authors", authors);
    add_object(&s->after, 1, "table", "public.books", books_after);
    add_object(&s->after, 1, "table", "public.customers",
               "table public.customers\n  owner app\n  column id bigint not null\n");
    add_object(&s->after, 2, "index", "public.authors_name_idx",
               "index public.authors_name_idx\n"
               "  CREATE INDEX authors_name_idx ON public.authors USING btree (name)\n");
    /* The same name as another kind: matched by kind and name, so a change
     * of kind is one object removed and one added. */
    add_object(&s->after, 3, "procedure", "public.f()",
               "procedure public.f()\n  CREATE PROCEDURE public.f() ...\n");
    return sample_diff(state, s);
}

/* A changed table, and an added comment with a control character in it. */
static int sample_setup_small(void **state)
{
    sample *s = xcalloc(1, sizeof *s);
    add_object(&s->before, 1, "table", "public.books", books_before);
    add_object(&s->after, 1, "table", "public.books", books_after);
    add_object(&s->after, 5, "comment", "public.books", "comment public.books\n  \"hi\"\x1b[2J\n");
    return sample_diff(state, s);
}

static int sample_teardown(void **state)
{
    sample *s = *state;
    schema_diff_free(&s->diff);
    free_snapshot(&s->before);
    free_snapshot(&s->after);
    free(s);
    return 0;
}

static void test_schema_diff_objects(void **state)
{
    sample *s = *state;
    schema_diff *d = &s->diff;
    assert_int_equal(d->count, 6);
    assert_int_equal(d->added, 3);
    assert_int_equal(d->removed, 2);
    assert_int_equal(d->changed, 1);
    /* In snapshot order; the unchanged schema and table are left out. */
    const struct {
        schema_change_kind change;
        const char *name;
    } expected[] = {
        {SCHEMA_CHANGED, "public.books"},           {SCHEMA_ADDED, "public.customers"},
        {SCHEMA_ADDED, "public.authors_name_idx"},  {SCHEMA_REMOVED, "public.books_title_idx"},
        {SCHEMA_REMOVED, "public.f()"},             {SCHEMA_ADDED, "public.f()"},
    };
    for (size_t i = 0; i < d->count; i++) {
        const schema_change *c = &d->changes[i];
        assert_int_equal(c->change, expected[i].change);
        const schema_object *o = c->after ? c->after : c->before;
        assert_string_equal(o->name, expected[i].name);
        assert_true((c->before == NULL) == (c->change == SCHEMA_ADDED));
        assert_true((c->after == NULL) == (c->change == SCHEMA_REMOVED));
    }
    assert_ptr_equal(d->changes[0].before, &s->before.objects[2]);
    assert_ptr_equal(d->changes[0].after, &s->after.objects[2]);
    assert_int_equal(d->changes[0].lines.removed, 1);
    assert_int_equal(d->changes[0].lines.added, 2);
    assert_string_equal(d->changes[4].before->kind, "function");
    assert_string_equal(d->changes[5].after->kind, "procedure");
    assert_int_equal(d->changes[5].lines.count, 0);
}

static void test_schema_diff_text(void **state)
{
    sample *s = *state;
    char *text = schema_diff_text(&s->diff);
    assert_string_equal(text, "~ table public.books\n"
                              "--- before\n"
                              "+++ after\n"
                              "@@ -1,4 +1,5 @@\n"
                              " table public.books\n"
                              "   owner app\n"
                              "   column id bigint not null\n"
                              "-  column title text\n"
                              "+  column title text not null\n"
                              "+  column author_id bigint\n"
                              "\n"
                              "+ table public.customers\n"
                              "+   owner app\n"
                              "+   column id bigint not null\n"
                              "\n"
                              "+ index public.authors_name_idx\n"
                              "+   CREATE INDEX authors_name_idx ON public.authors USING btree (name)\n"
                              "\n"
                              "- index public.books_title_idx\n"
                              "-   CREATE INDEX books_title_idx ON public.books USING btree (title)\n"
                              "\n"
                              "- function public.f()\n"
                              "-   CREATE FUNCTION public.f() ...\n"
                              "\n"
                              "+ procedure public.f()\n"
                              "+   CREATE PROCEDURE public.f() ...\n"
                              "\n"
                              "6 objects differ: 3 added, 2 removed, 1 changed\n");
    free(text);

    /* Swapped: everything the other way round, counted the other way. */
    schema_diff d;
    sw_error err = {0};
    assert_int_equal(schema_diff_compute(&s->after, &s->before, &d, &err), SW_OK);
    text = schema_diff_text(&d);
    assert_non_null(strstr(text, "- table public.customers\n-   owner app\n"));
    assert_non_null(strstr(text, "-  column author_id bigint\n"));
    assert_non_null(strstr(text, "\n6 objects differ: 2 added, 3 removed, 1 changed\n"));
    free(text);
    schema_diff_free(&d);
}

static void test_schema_diff_json(void **state)
{
    sample *s = *state;
    char *json = schema_diff_json(&s->diff);
    assert_string_equal(json,
                        "{\n"
                        "  \"added\": 1,\n"
                        "  \"removed\": 0,\n"
                        "  \"changed\": 1,\n"
                        "  \"changes\": [\n"
                        "    {\n"
                        "      \"change\": \"changed\",\n"
                        "      \"kind\": \"table\",\n"
                        "      \"name\": \"public.books\",\n"
                        "      \"diff\": \"--- before\\n+++ after\\n@@ -1,4 +1,5 @@\\n"
                        " table public.books\\n   owner app\\n   column id bigint not null\\n"
                        "-  column title text\\n+  column title text not null\\n"
                        "+  column author_id bigint\\n\"\n"
                        "    },\n"
                        "    {\n"
                        "      \"change\": \"added\",\n"
                        "      \"kind\": \"comment\",\n"
                        "      \"name\": \"public.books\",\n"
                        "      \"lines\": [\n"
                        "        \"\\\"hi\\\"\\u001b[2J\"\n"
                        "      ]\n"
                        "    }\n"
                        "  ]\n"
                        "}");
    free(json);
    /* The text form keeps it as it is: the front end escapes for terminals. */
    char *text = schema_diff_text(&s->diff);
    assert_non_null(strstr(text, "+ comment public.books\n+   \"hi\"\x1b[2J\n"));
    assert_non_null(strstr(text, "\n2 objects differ: 1 added, 1 changed\n"));
    free(text);
}

static void test_schema_diff_empty_and_unsorted(void **state)
{
    sample *s = *state;
    schema_diff d;
    sw_error err = {0};
    assert_int_equal(schema_diff_compute(&s->after, &s->after, &d, &err), SW_OK);
    assert_int_equal(d.count, 0);
    char *text = schema_diff_text(&d);
    assert_string_equal(text, "no schema changes\n");
    free(text);
    char *json = schema_diff_json(&d);
    assert_string_equal(json, "{\n  \"added\": 0,\n  \"removed\": 0,\n  \"changed\": 0,\n"
                              "  \"changes\": []\n}");
    free(json);
    schema_diff_free(&d);

    /* An empty snapshot on one side: every object added. */
    schema_snapshot none = {0};
    assert_int_equal(schema_diff_compute(&none, &s->before, &d, &err), SW_OK);
    assert_int_equal(d.added, s->before.count);
    text = schema_diff_text(&d);
    assert_non_null(strstr(text, "\n5 objects differ: 5 added\n"));
    free(text);
    schema_diff_free(&d);

    /* Out of order: refused, naming the object, never a wrong diff. */
    schema_object t = s->before.objects[1];
    s->before.objects[1] = s->before.objects[2];
    s->before.objects[2] = t;
    assert_int_equal(schema_diff_compute(&s->before, &s->after, &d, &err), SW_FAILED);
    assert_string_equal(err.message, "the before snapshot is not in snapshot order at table "
                                     "public.authors (object 3): sort it with "
                                     "schema_object_compare");
    assert_int_equal(d.count, 0);
    schema_diff_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_identical),
        cmocka_unit_test(test_one_side_empty),
        cmocka_unit_test(test_trailing_newline_matters),
        cmocka_unit_test(test_insert_at_start_and_end),
        cmocka_unit_test(test_replace_block),
        cmocka_unit_test(test_repeated_lines),
        cmocka_unit_test(test_random_pairs_shortest),
        cmocka_unit_test(test_large_texts),
        cmocka_unit_test(test_unified_hunks),
        cmocka_unit_test_setup_teardown(test_schema_diff_objects, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_schema_diff_text, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_schema_diff_json, sample_setup_small,
                                        sample_teardown),
        cmocka_unit_test_setup_teardown(test_schema_diff_empty_and_unsorted, sample_setup,
                                        sample_teardown),
    };
    return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
