/* Unit tests of the console's parts that need no terminal: the background
 * worker (order, done() on the caller's thread, a stuck job left behind),
 * list scrolling, the `:` history file, and the key table's consistency
 * (every request has a name and help; no key bound twice in one view). */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "tui/keys.h"
#include "tui/linehistory.h"
#include "tui/view.h"
#include "tui/worker.h"

typedef struct record {
    int order[8];
    int count;
    pthread_t done_threads[8];
    int done_count;
} record;

typedef struct step_arg {
    record *rec;
    int number;
    int sleep_ms;
} step_arg;

static void step_run(void *arg)
{
    step_arg *s = arg;
    if (s->sleep_ms) {
        struct timespec ts = {0, (long)s->sleep_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    s->rec->order[s->rec->count++] = s->number; /* one job at a time: no race */
}

static void step_done(void *context, void *arg)
{
    step_arg *s = arg;
    record *rec = context ? context : s->rec;
    rec->done_threads[rec->done_count++] = pthread_self();
    free(s);
}

static step_arg *step(record *rec, int number, int sleep_ms)
{
    step_arg *s = calloc(1, sizeof *s);
    s->rec = rec;
    s->number = number;
    s->sleep_ms = sleep_ms;
    return s;
}

static void test_worker_runs_in_order_and_reports_on_caller(void **state)
{
    (void)state;
    record rec = {0};
    worker *w = worker_start("test");
    worker_post(w, "first", step_run, step_done, step(&rec, 1, 20));
    worker_post(w, "second", step_run, step_done, step(&rec, 2, 0));
    worker_post(w, "third", step_run, step_done, step(&rec, 3, 0));
    assert_true(worker_pending(w) >= 1);
    /* Wait on the pipe as the loop does. */
    int collected = 0;
    double deadline = clock_now() + 5;
    while (collected < 3 && clock_now() < deadline) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(worker_fd(w), &fds);
        struct timeval tv = {0, 100000};
        select(worker_fd(w) + 1, &fds, NULL, NULL, &tv);
        collected += worker_collect(w, &rec);
    }
    assert_int_equal(collected, 3);
    assert_int_equal(rec.count, 3);
    assert_int_equal(rec.order[0], 1);
    assert_int_equal(rec.order[1], 2);
    assert_int_equal(rec.order[2], 3);
    for (int i = 0; i < rec.done_count; i++)
        assert_true(pthread_equal(rec.done_threads[i], pthread_self()));
    assert_int_equal(worker_pending(w), 0);
    assert_null(worker_current(w, NULL));
    assert_true(worker_stop(w, &rec, 1000));
}

static void test_worker_names_the_running_job(void **state)
{
    (void)state;
    record rec = {0};
    worker *w = worker_start("test");
    worker_post(w, "reading the history", step_run, step_done, step(&rec, 1, 300));
    const char *what = NULL;
    double since = 0;
    for (int i = 0; i < 100 && !what; i++) {
        what = worker_current(w, &since);
        if (!what)
            usleep(2000);
    }
    assert_non_null(what);
    assert_string_equal(what, "reading the history");
    assert_true(since > 0 && since <= clock_now());
    assert_true(worker_stop(w, &rec, 2000));
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.done_count, 1);
}

/* A job that does not finish in time is left behind, and the queued ones
 * are dropped with their done() still called (to free their arguments). */
static void test_worker_stop_leaves_a_stuck_job(void **state)
{
    (void)state;
    static record rec; /* the stuck job still writes to it after the test */
    memset(&rec, 0, sizeof rec);
    worker *w = worker_start("test");
    worker_post(w, "stuck", step_run, step_done, step(&rec, 1, 600));
    worker_post(w, "queued", step_run, step_done, step(&rec, 2, 0));
    usleep(50000);
    double start = clock_now();
    assert_false(worker_stop(w, &rec, 100));
    assert_true(clock_now() - start < 0.5);
    assert_int_equal(rec.done_count, 1); /* the queued job, dropped */
    usleep(700000); /* the stuck one ends, and frees itself and its job */
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.done_count, 2);
}

static void test_list_cursor_moves_and_clamps(void **state)
{
    (void)state;
    list_cursor lc = {0};
    assert_true(list_cursor_request(&lc, REQ_MOVE_DOWN, 100, 10));
    assert_int_equal(lc.selected, 1);
    assert_int_equal(lc.top, 0);
    list_cursor_request(&lc, REQ_PAGE_DOWN, 100, 10);
    assert_int_equal(lc.selected, 10);
    assert_true(lc.selected >= lc.top && lc.selected < lc.top + 10);
    list_cursor_request(&lc, REQ_MOVE_LAST, 100, 10);
    assert_int_equal(lc.selected, 99);
    assert_int_equal(lc.top, 90);
    list_cursor_request(&lc, REQ_MOVE_DOWN, 100, 10);
    assert_int_equal(lc.selected, 99);
    list_cursor_request(&lc, REQ_MOVE_FIRST, 100, 10);
    assert_int_equal(lc.selected, 0);
    assert_int_equal(lc.top, 0);
    list_cursor_request(&lc, REQ_MOVE_UP, 100, 10);
    assert_int_equal(lc.selected, 0);
    assert_false(list_cursor_request(&lc, REQ_QUIT, 100, 10));
    /* A list that shrank under the selection. */
    lc.selected = 50;
    lc.top = 45;
    list_cursor_clamp(&lc, 5, 10);
    assert_int_equal(lc.selected, 4);
    assert_int_equal(lc.top, 0);
    list_cursor_clamp(&lc, 0, 10);
    assert_int_equal(lc.selected, 0);
    assert_int_equal(lc.top, 0);
}

static void test_page_scrolls_within_its_text(void **state)
{
    (void)state;
    long top = 0;
    assert_true(page_scroll_request(&top, REQ_MOVE_UP, 100, 10));
    assert_int_equal(top, 0);
    page_scroll_request(&top, REQ_PAGE_DOWN, 100, 10);
    assert_int_equal(top, 9);
    page_scroll_request(&top, REQ_MOVE_LAST, 100, 10);
    assert_int_equal(top, 90); /* the last line at the bottom, not at the top */
    page_scroll_request(&top, REQ_MOVE_DOWN, 100, 10);
    assert_int_equal(top, 90);
    page_scroll_request(&top, REQ_MOVE_FIRST, 100, 10);
    assert_int_equal(top, 0);
    /* Shorter than the screen: nothing to scroll. */
    page_scroll_request(&top, REQ_PAGE_DOWN, 5, 10);
    assert_int_equal(top, 0);
    assert_false(page_scroll_request(&top, REQ_ENTER, 100, 10));
}

static void test_line_history_is_kept_and_merged(void **state)
{
    (void)state;
    char dir[] = "/tmp/swhistXXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/sub/history", dir);
    setenv("STEPWISE_HISTORY", path, 1);

    line_history *a = line_history_open();
    assert_string_equal(line_history_path(a), path);
    assert_int_equal(line_history_count(a), 0);
    line_history_add(a, "status");
    line_history_add(a, "status"); /* the same twice in a row: once */
    line_history_add(a, "   ");    /* blank: never */
    line_history_add(a, "goto 0003");
    assert_int_equal(line_history_count(a), 2);
    assert_string_equal(line_history_get(a, 0), "goto 0003");
    assert_string_equal(line_history_get(a, 1), "status");
    assert_null(line_history_get(a, 2));

    /* A second session opened meanwhile: both sessions' lines are kept. */
    line_history *b = line_history_open();
    line_history_add(b, "lint");
    line_history_close(a);
    line_history_close(b);

    line_history *c = line_history_open();
    assert_int_equal(line_history_count(c), 3);
    assert_string_equal(line_history_get(c, 0), "lint");
    assert_string_equal(line_history_get(c, 1), "goto 0003");
    assert_string_equal(line_history_get(c, 2), "status");
    line_history_close(c);

    unsetenv("STEPWISE_HISTORY");
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
}

static void test_key_table_is_consistent(void **state)
{
    (void)state;
    static const char *const views[] = {"migrations", "locks", "activity", "history", "apply"};
    for (int r = REQ_NONE + 1; r < REQ_COUNT; r++) {
        assert_true(strlen(request_name((request)r)) > 0);
        assert_true(strlen(request_help((request)r)) > 0);
        assert_int_equal(request_by_name(request_name((request)r)), r);
    }
    assert_int_equal(request_by_name("no-such-request"), REQ_NONE);
    for (size_t i = 0; i < key_binding_count; i++) {
        const key_binding *b = &key_bindings[i];
        assert_true(b->req > REQ_NONE && b->req < REQ_COUNT);
        assert_true(b->label && *b->label);
        if (b->view) {
            bool known = false;
            for (size_t v = 0; v < sizeof views / sizeof views[0]; v++)
                known = known || strcmp(views[v], b->view) == 0;
            assert_true(known);
        }
        /* No key twice in the same scope: the second could never fire. */
        for (size_t k = i + 1; k < key_binding_count; k++) {
            const key_binding *o = &key_bindings[k];
            bool same_scope = (!b->view && !o->view) ||
                              (b->view && o->view && strcmp(b->view, o->view) == 0);
            if (same_scope && b->key == o->key)
                fail_msg("key %s bound twice (%s, %s)", b->label, request_name(b->req),
                         request_name(o->req));
        }
    }
    /* A view's own binding wins over the global one. */
    assert_int_equal(key_request('/', "migrations"), REQ_FILTER);
    assert_int_equal(key_request('q', "locks"), REQ_QUIT);
    assert_int_equal(key_request('c', "locks"), REQ_CANCEL_SESSION);
    assert_int_equal(key_request('c', "migrations"), REQ_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_runs_in_order_and_reports_on_caller),
        cmocka_unit_test(test_worker_names_the_running_job),
        cmocka_unit_test(test_worker_stop_leaves_a_stuck_job),
        cmocka_unit_test(test_list_cursor_moves_and_clamps),
        cmocka_unit_test(test_page_scrolls_within_its_text),
        cmocka_unit_test(test_line_history_is_kept_and_merged),
        cmocka_unit_test(test_key_table_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
