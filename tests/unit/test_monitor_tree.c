/* monitor_build_tree on made-up sessions: no server. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/harness/tree_shape.h"
#include "core/monitor.h"
#include "core/util.h"

/* One made-up session: pid and up to 4 blockers (list ends at -1). */
typedef struct spec {
    int pid;
    int blockers[5];
    const char *gid;
} spec;

static void build(monitor_snapshot *s, const spec *specs, size_t n)
{
    memset(s, 0, sizeof *s);
    s->sessions = xcalloc(n, sizeof *s->sessions);
    s->nsessions = n;
    for (size_t i = 0; i < n; i++) {
        monitor_session *m = &s->sessions[i];
        m->pid = specs[i].pid;
        m->gid = specs[i].gid ? xstrdup(specs[i].gid) : NULL;
        m->wait_age = -1;
        m->xact_age = m->query_age = m->state_age = -1;
        size_t k = 0;
        while (k < 4 && specs[i].blockers[k] >= 0)
            k++;
        if (k) {
            m->blockers = xcalloc(k, sizeof *m->blockers);
            memcpy(m->blockers, specs[i].blockers, k * sizeof *m->blockers);
            m->nblockers = k;
            m->waiting = true;
            m->wait_age = (double)(10 * m->pid);
        }
    }
    monitor_build_tree(s);
}


#define NONE {-1}

static void test_chain(void **state)
{
    (void)state;
    /* 10 blocks 20, 20 blocks 30. */
    const spec specs[] = {{30, {20, -1}, NULL}, {10, NONE, NULL}, {20, {10, -1}, NULL}};
    monitor_snapshot s;
    build(&s, specs, 3);
    check_tree(&s, "10:0/1/2 20:1/1/1 30:2/0/0");
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 2);
    assert_true(s.oldest_wait > 299.9 && s.oldest_wait < 300.1);
    monitor_snapshot_free(&s);
}

static void test_two_blockers(void **state)
{
    (void)state;
    /* 30 waits on both 10 and 20: it appears under each. */
    const spec specs[] = {{10, NONE, NULL}, {20, NONE, NULL}, {30, {10, 20, -1}, NULL}};
    monitor_snapshot s;
    build(&s, specs, 3);
    check_tree(&s, "10:0/1/1 30:1/0/0 20:0/1/1 30:1/0/0");
    assert_int_equal(s.roots, 2);
    assert_int_equal(s.waiting, 1);
    monitor_snapshot_free(&s);
}

static void test_cycle_without_root(void **state)
{
    (void)state;
    /* 20 and 10 wait on each other; 30 waits on 20. Start from pid 10. */
    const spec specs[] = {{20, {10, -1}, NULL}, {10, {20, -1}, NULL}, {30, {20, -1}, NULL}};
    monitor_snapshot s;
    build(&s, specs, 3);
    check_tree(&s, "10:0/1/2 20:1/2/2 10:2*/1/2 30:2/0/0");
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 3);
    monitor_snapshot_free(&s);
}

static void test_cycle_below_root(void **state)
{
    (void)state;
    /* 10 blocks 20; 20 and 30 wait on each other. */
    const spec specs[] = {{10, NONE, NULL}, {20, {10, 30, -1}, NULL}, {30, {20, -1}, NULL}};
    monitor_snapshot s;
    build(&s, specs, 3);
    check_tree(&s, "10:0/1/2 20:1/1/1 30:2/1/1 20:3*/1/1");
    assert_int_equal(s.roots, 1);
    monitor_snapshot_free(&s);
}

static void test_three_direct_waiters(void **state)
{
    (void)state;
    const spec specs[] = {{5, NONE, NULL},
                          {7, {5, -1}, NULL},
                          {8, {5, -1}, NULL},
                          {9, {5, -1}, NULL},
                          {11, NONE, NULL}};
    monitor_snapshot s;
    build(&s, specs, 5);
    check_tree(&s, "5:0/3/3 7:1/0/0 8:1/0/0 9:1/0/0");
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 3);
    monitor_snapshot_free(&s);
}

static void test_prepared_root(void **state)
{
    (void)state;
    /* 40 waits on a prepared transaction and 50 waits on 40. */
    const spec specs[] = {{40, {0, -1}, NULL}, {50, {40, -1}, NULL}, {0, NONE, "deploy-7"}};
    monitor_snapshot s;
    build(&s, specs, 3);
    check_tree(&s, "deploy-7:0/1/2 40:1/1/1 50:2/0/0");
    assert_int_equal(s.roots, 1);
    monitor_snapshot_free(&s);
}

static void test_prepared_mapped_by_gid(void **state)
{
    (void)state;
    /* Two prepared transactions: 40's blocker 0 stands for "b" only. */
    const spec specs[] = {{40, {0, -1}, NULL}, {0, NONE, "a"}, {0, NONE, "b"}};
    monitor_snapshot s;
    build(&s, specs, 3);
    /* Without gids a blocker 0 means any prepared transaction. */
    check_tree(&s, "a:0/1/1 40:1/0/0 b:0/1/1 40:1/0/0");
    s.sessions[0].blocker_gids = xcalloc(1, sizeof(char *));
    s.sessions[0].blocker_gids[0] = xstrdup("b");
    monitor_build_tree(&s);
    check_tree(&s, "b:0/1/1 40:1/0/0");
    assert_int_equal(s.roots, 1);
    monitor_snapshot_free(&s);
}

static void test_blocker_outside_snapshot(void **state)
{
    (void)state;
    /* 20 waits on 99, which the snapshot does not hold; 30 waits on 20. */
    const spec specs[] = {{20, {99, -1}, NULL}, {30, {20, -1}, NULL}};
    monitor_snapshot s;
    build(&s, specs, 2);
    check_tree(&s, "20:0/1/1 30:1/0/0");
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 2);
    monitor_snapshot_free(&s);
}

static void test_no_waits_no_nodes(void **state)
{
    (void)state;
    const spec specs[] = {{1, NONE, NULL}, {2, NONE, NULL}, {3, NONE, NULL}};
    monitor_snapshot s;
    build(&s, specs, 3);
    assert_int_equal(s.nnodes, 0);
    assert_null(s.nodes);
    assert_int_equal(s.roots, 0);
    assert_int_equal(s.waiting, 0);
    assert_true(s.oldest_wait < 0);
    assert_ptr_equal(monitor_find(&s, 2), &s.sessions[1]);
    assert_null(monitor_find(&s, 4));
    monitor_snapshot_free(&s);

    build(&s, NULL, 0);
    assert_int_equal(s.nnodes, 0);
    monitor_snapshot_free(&s);
}

/* ---- flags: monitor_session_flags on made-up pg_stat_activity rows ---- */

typedef struct flag_case {
    const char *backend_type, *state, *query, *application;
    bool idle_in_transaction, autovacuum, wraparound, migration;
} flag_case;

static void test_session_flags(void **state)
{
    (void)state;
    static const flag_case cases[] = {
        /* autovacuum workers, as autovac_report_activity words them */
        {"autovacuum worker", "active", "autovacuum: VACUUM public.t (to prevent wraparound)", NULL,
         false, true, true, false},
        {"autovacuum worker", "active",
         "autovacuum: VACUUM ANALYZE public.t (to prevent wraparound)", NULL, false, true, true,
         false},
        {"autovacuum worker", "active", "autovacuum: VACUUM ANALYZE public.t", NULL, false, true,
         false, false},
        {"autovacuum worker", "active", "autovacuum: VACUUM public.t", NULL, false, true, false,
         false},
        {"autovacuum worker", "active", "autovacuum: ANALYZE public.t", NULL, false, true, false,
         false},
        {"autovacuum worker", "active", "autovacuum: BRIN summarize public.t_brin 3", NULL, false,
         true, false, false},
        /* the words inside a table's name, not at the end */
        {"autovacuum worker", "active",
         "autovacuum: VACUUM public.x (to prevent wraparound) y", NULL, false, true, false, false},
        {"autovacuum worker", "active", NULL, NULL, false, true, false, false},
        {"autovacuum worker", NULL, "<insufficient privilege>", NULL, false, true, false, false},
        /* client backends whose text merely contains the words */
        {"client backend", "active", "SELECT '(to prevent wraparound)'", "psql", false, false,
         false, false},
        {"client backend", "active", "autovacuum: VACUUM public.t (to prevent wraparound)", "psql",
         false, false, false, false},
        {"client backend", "idle in transaction",
         "VACUUM (FREEZE) t; -- (to prevent wraparound)", "psql", true, false, false, false},
        {"client backend", "idle in transaction (aborted)", "SELECT 1/0", "psql", true, false,
         false, false},
        {"client backend", "idle", "SELECT 1", "psql", false, false, false, false},
        {"client backend", "active", "idle in transaction", "idle in transaction", false, false,
         false, false},
        /* a stepwise migration session, by its application_name */
        {"client backend", "idle in transaction", "LOCK TABLE t", "stepwise migrate 0007_add_index",
         true, false, false, true},
        {"client backend", "active", "SELECT 1", "stepwise migrate", false, false, false, true},
        {"client backend", "active", "SELECT 1", "stepwise monitor", false, false, false, false},
        {"client backend", "active", "SELECT 1", "my stepwise migrate", false, false, false, false},
        {"client backend", "active", "SELECT 1", NULL, false, false, false, false},
        /* nothing known */
        {NULL, NULL, NULL, NULL, false, false, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const flag_case *c = &cases[i];
        /* every flag set beforehand: the function must clear what is false */
        monitor_session s = {.backend_type = (char *)(uintptr_t)c->backend_type,
                             .state = (char *)(uintptr_t)c->state,
                             .query = (char *)(uintptr_t)c->query,
                             .application = (char *)(uintptr_t)c->application,
                             .idle_in_transaction = true,
                             .autovacuum = true,
                             .wraparound = true,
                             .migration = true};
        monitor_session_flags(&s);
        if (s.idle_in_transaction != c->idle_in_transaction || s.autovacuum != c->autovacuum ||
            s.wraparound != c->wraparound || s.migration != c->migration)
            fail_msg("case %zu (%s, %s, %s, %s): expected idle_in_transaction=%d autovacuum=%d"
                     " wraparound=%d migration=%d, got %d %d %d %d",
                     i, c->backend_type ? c->backend_type : "NULL", c->state ? c->state : "NULL",
                     c->query ? c->query : "NULL", c->application ? c->application : "NULL",
                     c->idle_in_transaction, c->autovacuum, c->wraparound, c->migration,
                     s.idle_in_transaction, s.autovacuum, s.wraparound, s.migration);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_two_blockers),
        cmocka_unit_test(test_cycle_without_root),
        cmocka_unit_test(test_cycle_below_root),
        cmocka_unit_test(test_three_direct_waiters),
        cmocka_unit_test(test_prepared_root),
        cmocka_unit_test(test_prepared_mapped_by_gid),
        cmocka_unit_test(test_blocker_outside_snapshot),
        cmocka_unit_test(test_no_waits_no_nodes),
        cmocka_unit_test(test_session_flags),
    };
    return cmocka_run_group_tests_name("monitor_tree", tests, NULL, NULL);
}
