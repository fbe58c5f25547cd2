/* The lock monitor against the throwaway server of tests/harness/with-pg:
 * helper sessions (plain libpq, application_name "mt-...") take locks and
 * queue behind each other, and the monitor's snapshot must show exactly
 * that tree. Every scenario ends by terminating its helpers and rolling
 * back prepared transactions, so scenarios do not depend on each other. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/db.h"
#include "tests/harness/tree_shape.h"
#include "core/monitor.h"
#include "core/util.h"

#define MAX_HELPERS 8

typedef struct fixture {
    PGconn *admin;
    PGconn *helpers[MAX_HELPERS];
    size_t nhelpers;
    db_target target;
    monitor *m;
} fixture;

static const char *test_conninfo(void)
{
    const char *c = getenv("STEPWISE_TEST_PG");
    if (!c || !*c)
        fail_msg("STEPWISE_TEST_PG is not set: run this test through tests/harness/with-pg");
    return c;
}

/* A connection of the test's own; user and dbname NULL: the harness's. */
static PGconn *connect_as(const char *app, const char *user, const char *dbname)
{
    char *ci = xasprintf("%s application_name='%s'%s%s%s%s", test_conninfo(), app,
                         user ? " user=" : "", user ? user : "", dbname ? " dbname=" : "",
                         dbname ? dbname : "");
    PGconn *c = PQconnectdb(ci);
    free(ci);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect helper %s: %s", app, PQerrorMessage(c));
    return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("expected \"%s\" to succeed: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

static int int_query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("expected one row from \"%s\": %s", sql, PQerrorMessage(c));
    int v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static PGconn *helper(fixture *f, const char *app)
{
    assert_true(f->nhelpers < MAX_HELPERS);
    PGconn *c = connect_as(app, NULL, NULL);
    f->helpers[f->nhelpers++] = c;
    return c;
}

/* Send a statement that is expected to wait. */
static void send_waiting(PGconn *c, const char *sql)
{
    if (!PQsendQuery(c, sql))
        fail_msg("cannot send \"%s\": %s", sql, PQerrorMessage(c));
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll until the count query `sql` gives `want` (5 s deadline); on
 * failure the message is `what` and the last count. Frees sql and what. */
static void wait_until_count(fixture *f, char *sql, int want, char *what)
{
    double deadline = now_seconds() + 5;
    int got;
    while ((got = int_query(f->admin, sql)) != want) {
        if (now_seconds() > deadline)
            fail_msg("%s within 5 s (count %d, wanted %d)", what, got, want);
        sleep_ms(10);
    }
    free(sql);
    free(what);
}

/* Poll until backend `pid` waits on a heavyweight lock. */
static void wait_until_waiting(fixture *f, int pid)
{
    wait_until_count(f,
                     xasprintf("SELECT count(*) FROM pg_stat_activity WHERE pid = %d"
                               " AND wait_event_type = 'Lock'",
                               pid),
                     1, xasprintf("backend %d did not start waiting on a lock", pid));
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sw_error err = {0};
    f->admin = connect_as("mt-admin", NULL, NULL);
    exec_ok(f->admin, "SET client_min_messages = warning");
    exec_ok(f->admin, "DROP TABLE IF EXISTS t, t2;"
                      "CREATE TABLE t (id int PRIMARY KEY, v int);"
                      "CREATE TABLE t2 (id int);"
                      "INSERT INTO t SELECT g, g FROM generate_series(1, 5) g");
    if (db_target_parse(test_conninfo(), DB_FROM_OPTION, &f->target, &err) != SW_OK ||
        monitor_open(&f->target, &f->m, &err) != SW_OK) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    /* End every helper session, then forget prepared transactions. */
    exec_ok(f->admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE application_name LIKE 'mt-%' AND application_name <> 'mt-admin'"
                      "  OR application_name LIKE 'stepwise migrate%'");
    for (size_t i = 0; i < f->nhelpers; i++)
        PQfinish(f->helpers[i]);
    PGresult *r = PQexec(f->admin, "SELECT gid FROM pg_prepared_xacts");
    for (int i = 0; i < PQntuples(r); i++) {
        char *sql = xasprintf("ROLLBACK PREPARED '%s'", PQgetvalue(r, i, 0));
        exec_ok(f->admin, sql);
        free(sql);
    }
    PQclear(r);
    double deadline = now_seconds() + 5;
    while (int_query(f->admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                               " LIKE 'mt-%' AND application_name <> 'mt-admin'") != 0 &&
           now_seconds() < deadline)
        sleep_ms(10);
    monitor_close(f->m);
    db_target_free(&f->target);
    PQfinish(f->admin);
    free(f);
    return 0;
}

static void refresh(fixture *f, monitor_snapshot *s)
{
    sw_error err = {0};
    if (monitor_refresh(f->m, s, &err) != SW_OK)
        fail_msg("monitor_refresh failed: %s", err.message);
    assert_null(monitor_find(s, monitor_pid(f->m)));
}


static const monitor_session *must_find(const monitor_snapshot *s, int pid)
{
    const monitor_session *m = monitor_find(s, pid);
    if (!m)
        fail_msg("expected backend %d in the snapshot", pid);
    return m;
}

static void check_wait(const monitor_snapshot *s, int pid, const char *type, const char *mode,
                       const char *relation, const char *target)
{
    const monitor_session *m = must_find(s, pid);
    if (!m->waiting)
        fail_msg("expected backend %d to be waiting", pid);
    if (!m->lock_type || strcmp(m->lock_type, type) != 0)
        fail_msg("backend %d: expected lock type %s, got %s", pid, type,
                 m->lock_type ? m->lock_type : "NULL");
    if (!m->wanted_mode || strcmp(m->wanted_mode, mode) != 0)
        fail_msg("backend %d: expected mode %s, got %s", pid, mode,
                 m->wanted_mode ? m->wanted_mode : "NULL");
    if (relation ? !m->relation || strcmp(m->relation, relation) != 0 : m->relation != NULL)
        fail_msg("backend %d: expected relation %s, got %s", pid, relation ? relation : "NULL",
                 m->relation ? m->relation : "NULL");
    if (target ? !m->target || strcmp(m->target, target) != 0 : m->target != NULL)
        fail_msg("backend %d: expected target %s, got %s", pid, target ? target : "NULL",
                 m->target ? m->target : "NULL");
    if (!(m->wait_age >= 0 && m->wait_age < 10))
        fail_msg("backend %d: expected a wait age in [0, 10) s, got %f", pid, m->wait_age);
}

static int lower(int a, int b)
{
    return a < b ? a : b;
}

static int higher(int a, int b)
{
    return a < b ? b : a;
}

/* ---- golden text of `stepwise locks` ------------------------------------
 * While a scenario's waits exist, run the real program
 *   COLUMNS=200 LC_ALL=C "$STEPWISE" locks --db "$STEPWISE_TEST_PG"
 * (ASCII tree; wide enough that no query is cut, since where a query is
 * cut depends on how many digits the pids have), mask what changes from run to run, and compare
 * with tests/integration/monitor/<scenario>.txt. Masking rules, applied to
 * whole numbers only (a digit run not touching a letter, digit or '_'):
 *   - a duration as the program prints it ("3.2s", "4m05s", "2h03m")
 *     becomes AGE;
 *   - the number after "transaction " (an xid) becomes XID;
 *   - the pid of a session the scenario knows becomes its label (HOLDER,
 *     WAITER, ...); the fixture's own connections become ADMIN and MONITOR;
 *   - any other number in the pid column (first word after the tree
 *     prefix) becomes PID;
 *   - lines of autovacuum workers outside the tree are dropped and the
 *     "sessions:" count of the summary lowered to match (they come and go
 *     on their own);
 *   - the query text of the ADMIN and MONITOR lines (the fixture's polling
 *     and the monitor's own catalog queries, which carry pids and are cut
 *     at a width that depends on the pid's digits) becomes QUERY.
 * Siblings in the tree and the sessions outside it are listed by pid, so
 * the goldens assume helpers get increasing pids in the order they connect,
 * which holds on a fresh server unless the pid counter wraps mid-test.
 * With STEPWISE_GOLDEN_UPDATE=1 a golden file that differs (or is missing)
 * is rewritten with the masked text and the check fails, so that an
 * update never passes unseen. */

/* Wide enough that no scenario's line is cut (checked below). */
#define GOLDEN_COLUMNS 200

typedef struct pid_label {
    int pid;
    const char *label;
} pid_label;

static bool is_word_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of a duration at p ("3.2s", "4m05s", "2h03m"), or 0. */
static size_t duration_len(const char *p)
{
    size_t n = 0;
    while (is_digit(p[n]))
        n++;
    if (n == 0)
        return 0;
    if (p[n] == '.' && is_digit(p[n + 1]) && p[n + 2] == 's' && !is_word_char(p[n + 3]))
        return n + 3;
    if ((p[n] == 'm' || p[n] == 'h') && is_digit(p[n + 1]) && is_digit(p[n + 2]) &&
        p[n + 3] == (p[n] == 'm' ? 's' : 'm') && !is_word_char(p[n + 4]))
        return n + 4;
    return 0;
}

static void mask_line(strbuf *out, const char *line, size_t len, const pid_label *labels,
                      size_t nlabels)
{
    size_t start = out->len;
    /* The pid column starts after the tree prefix ("|  ", "|- ", "`- "). */
    size_t pid_col = 0;
    while (pid_col + 3 <= len && (line[pid_col] == '|' || line[pid_col] == '`' ||
                                  (line[pid_col] == ' ' && line[pid_col + 1] == ' ')))
        pid_col += 3;
    const char *label_at_col = NULL;
    for (size_t i = 0; i < len;) {
        if (!is_digit(line[i]) || (i > 0 && (is_word_char(line[i - 1]) || line[i - 1] == '.'))) {
            strbuf_append_char(out, line[i++]);
            continue;
        }
        size_t d = duration_len(line + i);
        if (d) {
            strbuf_append(out, "AGE");
            i += d;
            continue;
        }
        size_t n = 0;
        while (i + n < len && is_digit(line[i + n]))
            n++;
        if (i + n < len && is_word_char(line[i + n])) {
            strbuf_append_len(out, line + i, n);
            i += n;
            continue;
        }
        const char *rep = NULL;
        if (i >= 12 && strncmp(line + i - 12, "transaction ", 12) == 0)
            rep = "XID";
        long v = strtol(line + i, NULL, 10);
        for (size_t k = 0; !rep && k < nlabels; k++)
            if (labels[k].pid == v)
                rep = labels[k].label;
        if (!rep && i == pid_col)
            rep = "PID";
        if (i == pid_col)
            label_at_col = rep;
        if (rep)
            strbuf_append(out, rep);
        else
            strbuf_append_len(out, line + i, n);
        i += n;
    }
    if (label_at_col && (strcmp(label_at_col, "ADMIN") == 0 || strcmp(label_at_col, "MONITOR") == 0)) {
        char *colon = strstr(out->data + start, ": ");
        if (colon) {
            out->len = (size_t)(colon - out->data) + 2;
            out->data[out->len] = '\0';
            strbuf_append(out, "QUERY");
        }
    }
}

static char *mask_output(const char *text, const pid_label *labels, size_t nlabels)
{
    /* Autovacuum workers come and go on their own: drop their lines (when
     * outside the tree) and take them out of the session count. */
    size_t autovacuum = 0;
    strbuf body = {0};
    strbuf_append(&body, "");
    const char *first_end = strchr(text, '\n');
    const char *rest = first_end ? first_end + 1 : text + strlen(text);
    while (*rest) {
        const char *nl = strchr(rest, '\n');
        size_t len = nl ? (size_t)(nl - rest) : strlen(rest);
        char *line = xasprintf("%.*s", (int)len, rest);
        if (is_digit(line[0]) && strstr(line, " [autovacuum]"))
            autovacuum++;
        else {
            mask_line(&body, line, len, labels, nlabels);
            strbuf_append_char(&body, '\n');
        }
        free(line);
        rest += len + (nl ? 1 : 0);
    }
    strbuf sb = {0};
    strbuf_append(&sb, "");
    unsigned long sessions = 0;
    int used = 0;
    if (sscanf(text, "sessions: %lu,%n", &sessions, &used) == 1 && used > 0 &&
        (size_t)used <= (size_t)(first_end ? first_end - text : (long)strlen(text))) {
        strbuf_appendf(&sb, "sessions: %lu,", sessions - autovacuum);
        size_t flen = (size_t)(first_end ? first_end - text : (long)strlen(text)) - (size_t)used;
        mask_line(&sb, text + used, flen, labels, nlabels);
    } else {
        mask_line(&sb, text, first_end ? (size_t)(first_end - text) : strlen(text), labels,
                  nlabels);
    }
    strbuf_append_char(&sb, '\n');
    strbuf_append(&sb, strbuf_str(&body));
    strbuf_free(&body);
    return strbuf_detach(&sb);
}

static char *read_whole(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    strbuf sb = {0};
    strbuf_append(&sb, "");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(fp);
    return strbuf_detach(&sb);
}

/* Run `stepwise locks` (as `user` when not NULL) and compare its masked
 * output with the golden file of `scenario`. labels: pid/label pairs,
 * ended by a pair with a NULL label. */
static void check_golden(fixture *f, const char *scenario, const char *user,
                         const pid_label *scenario_labels)
{
    const char *prog = getenv("STEPWISE");
    if (!prog || !*prog)
        fail_msg("STEPWISE is not set: the golden check of \"%s\" needs the stepwise program"
                 " (run through make check, or export STEPWISE=/path/to/stepwise)",
                 scenario);
    const char *srcdir = getenv("top_srcdir");
    if (!srcdir || !*srcdir)
        fail_msg("top_srcdir is not set: the golden check of \"%s\" cannot find its file",
                 scenario);

    pid_label labels[MAX_HELPERS + 3];
    size_t n = 0;
    labels[n++] = (pid_label){PQbackendPID(f->admin), "ADMIN"};
    labels[n++] = (pid_label){monitor_pid(f->m), "MONITOR"};
    for (size_t i = 0; scenario_labels && scenario_labels[i].label; i++) {
        assert_true(n < sizeof labels / sizeof labels[0]);
        labels[n++] = scenario_labels[i];
    }

    char *cmd = xasprintf("COLUMNS=%d LC_ALL=C '%s' locks --db '%s%s%s' 2>&1", GOLDEN_COLUMNS, prog,
                          test_conninfo(), user ? " user=" : "", user ? user : "");
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("cannot run %s", cmd);
    strbuf sb = {0};
    strbuf_append(&sb, "");
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0)
        strbuf_append_len(&sb, buf, got);
    int status = pclose(p);
    char *raw = strbuf_detach(&sb);
    if (status != 0)
        fail_msg("\"%s\" exited with status %d:\n%s", cmd, status, raw);
    char *masked = mask_output(raw, labels, n);

    /* A query cut at the width would be cut at a place that depends on
     * the number of digits in the pids, which masking cannot undo. */
    if (strstr(raw, "...\n"))
        fail_msg("`stepwise locks` cut a line at %d columns; shorten the scenario's"
                 " queries or widen GOLDEN_COLUMNS:\n%s",
                 GOLDEN_COLUMNS, raw);
    char *path = xasprintf("%s/tests/integration/monitor/%s.txt", srcdir, scenario);
    const char *update = getenv("STEPWISE_GOLDEN_UPDATE");
    char *expected = read_whole(path);
    if (update && strcmp(update, "1") == 0 && (!expected || strcmp(expected, masked) != 0)) {
        FILE *fp = fopen(path, "w");
        if (!fp || fputs(masked, fp) < 0 || fclose(fp) != 0)
            fail_msg("cannot write %s", path);
        fail_msg("wrote %s (STEPWISE_GOLDEN_UPDATE=1): check it by eye, then run again"
                 " without STEPWISE_GOLDEN_UPDATE",
                 path);
    }
    if (!expected)
        fail_msg("cannot read the golden file %s; the masked output was:\n%s", path, masked);
    if (strcmp(expected, masked) != 0) {
        /* cmocka cuts long messages: the texts go to stderr in full. */
        fprintf(stderr, "--- expected (%s)\n%s--- got (masked)\n%s--- got (raw)\n%s", path,
                expected, masked, raw);
        fail_msg("`stepwise locks` output differs from %s (both texts on stderr)", path);
    }
    free(expected);
    free(path);
    free(masked);
    free(raw);
    free(cmd);
}

static void test_nobody_waits_one_query(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-idle");
    exec_ok(h, "SELECT 1");
    monitor_snapshot s;
    refresh(f, &s);
    assert_int_equal(s.queries, 1);
    assert_int_equal(s.nnodes, 0);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.roots, 0);
    assert_true(s.oldest_wait < 0);
    assert_false(s.hidden);
    const monitor_session *m = must_find(&s, PQbackendPID(h));
    assert_string_equal(m->application, "mt-idle");
    assert_string_equal(m->user, "stepwise");
    assert_string_equal(m->database, "postgres");
    assert_string_equal(m->state, "idle");
    assert_string_equal(m->backend_type, "client backend");
    assert_string_equal(m->query, "SELECT 1");
    assert_false(m->idle_in_transaction);
    assert_false(m->migration);
    assert_false(m->waiting);
    assert_int_equal(m->nblockers, 0);
    assert_true(m->xact_age < 0);
    monitor_snapshot_free(&s);
}

/* (a) an idle-in-transaction LOCK TABLE with a reader and a writer queued. */
static void test_idle_holder_two_waiters(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-holder"), *r = helper(f, "mt-reader"), *w = helper(f, "mt-writer");
    exec_ok(h, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    send_waiting(r, "SELECT * FROM t");
    send_waiting(w, "INSERT INTO t VALUES (100, 1)");
    int hp = PQbackendPID(h), rp = PQbackendPID(r), wp = PQbackendPID(w);
    wait_until_waiting(f, rp);
    wait_until_waiting(f, wp);
    check_golden(f, "idle_holder_two_waiters", NULL,
                 (pid_label[]){{hp, "HOLDER"}, {rp, "READER"}, {wp, "WRITER"}, {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    assert_int_equal(s.queries, 2);
    char *expected = xasprintf("%d:0/2/2 %d:1/0/0 %d:1/0/0", hp, lower(rp, wp), higher(rp, wp));
    check_tree(&s, expected);
    free(expected);
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 2);
    assert_true(s.oldest_wait >= 0);
    const monitor_session *hs = must_find(&s, hp);
    assert_true(hs->idle_in_transaction);
    assert_string_equal(hs->state, "idle in transaction");
    assert_false(hs->waiting);
    assert_true(hs->xact_age >= 0);
    /* The ages come in whole milliseconds: they must agree with what the
     * server says, in seconds, to well within the time between queries. */
    char *sql = xasprintf("SELECT extract(epoch from now() - xact_start),"
                          " extract(epoch from now() - state_change)"
                          " FROM pg_stat_activity WHERE pid = %d", hp);
    PGresult *ages = PQexec(f->admin, sql);
    free(sql);
    assert_int_equal(PQresultStatus(ages), PGRES_TUPLES_OK);
    double server_xact = strtod(PQgetvalue(ages, 0, 0), NULL);
    double server_state = strtod(PQgetvalue(ages, 0, 1), NULL);
    PQclear(ages);
    if (hs->xact_age > server_xact + 0.001 || hs->xact_age < server_xact - 0.5)
        fail_msg("xact_age %.3f s, the server says %.3f s", hs->xact_age, server_xact);
    if (hs->state_age > server_state + 0.001 || hs->state_age < server_state - 0.5)
        fail_msg("state_age %.3f s, the server says %.3f s", hs->state_age, server_state);
    check_wait(&s, rp, "relation", "AccessShareLock", "public.t", NULL);
    check_wait(&s, wp, "relation", "RowExclusiveLock", "public.t", NULL);
    assert_int_equal(must_find(&s, rp)->nblockers, 1);
    assert_int_equal(must_find(&s, rp)->blockers[0], hp);
    assert_int_equal(must_find(&s, wp)->blockers[0], hp);
    monitor_snapshot_free(&s);
}

/* (b) a reader's transaction, an ALTER queued behind it, two SELECTs
 * queued behind the ALTER. */
static void test_chain_behind_alter(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-reader-tx"), *a = helper(f, "mt-alter"), *s1 = helper(f, "mt-s1"),
           *s2 = helper(f, "mt-s2");
    exec_ok(h, "BEGIN; SELECT count(*) FROM t");
    send_waiting(a, "ALTER TABLE t ADD COLUMN c int");
    wait_until_waiting(f, PQbackendPID(a));
    send_waiting(s1, "SELECT * FROM t");
    send_waiting(s2, "SELECT * FROM t");
    int p1 = PQbackendPID(s1), p2 = PQbackendPID(s2);
    wait_until_waiting(f, p1);
    wait_until_waiting(f, p2);
    check_golden(f, "chain_behind_alter", NULL,
                 (pid_label[]){{PQbackendPID(h), "READER_TX"},
                               {PQbackendPID(a), "ALTER"},
                               {p1, "SELECT1"},
                               {p2, "SELECT2"},
                               {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    char *expected = xasprintf("%d:0/1/3 %d:1/2/2 %d:2/0/0 %d:2/0/0", PQbackendPID(h),
                               PQbackendPID(a), lower(p1, p2), higher(p1, p2));
    check_tree(&s, expected);
    free(expected);
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 3);
    check_wait(&s, PQbackendPID(a), "relation", "AccessExclusiveLock", "public.t", NULL);
    check_wait(&s, p1, "relation", "AccessShareLock", "public.t", NULL);
    monitor_snapshot_free(&s);
}

/* (c) one waiter behind two readers. */
static void test_two_blockers(void **state)
{
    fixture *f = *state;
    PGconn *h1 = helper(f, "mt-r1"), *h2 = helper(f, "mt-r2"), *w = helper(f, "mt-lock");
    exec_ok(h1, "BEGIN; SELECT count(*) FROM t");
    exec_ok(h2, "BEGIN; SELECT count(*) FROM t");
    send_waiting(w, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    int p1 = PQbackendPID(h1), p2 = PQbackendPID(h2), wp = PQbackendPID(w);
    wait_until_waiting(f, wp);
    check_golden(f, "two_blockers", NULL,
                 (pid_label[]){{p1, "READER1"}, {p2, "READER2"}, {wp, "LOCKER"}, {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    char *expected = xasprintf("%d:0/1/1 %d:1/0/0 %d:0/1/1 %d:1/0/0", lower(p1, p2), wp,
                               higher(p1, p2), wp);
    check_tree(&s, expected);
    free(expected);
    assert_int_equal(s.roots, 2);
    assert_int_equal(must_find(&s, wp)->nblockers, 2);
    monitor_snapshot_free(&s);
}

/* (d) two UPDATEs of the same row: the second waits on the first's xid. */
static void test_row_wait(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-upd1"), *w = helper(f, "mt-upd2");
    exec_ok(h, "BEGIN; UPDATE t SET v = v + 1 WHERE id = 1");
    int xid = int_query(h, "SELECT pg_current_xact_id()::text::bigint");
    send_waiting(w, "UPDATE t SET v = v + 1 WHERE id = 1");
    wait_until_waiting(f, PQbackendPID(w));
    check_golden(f, "row_wait", NULL,
                 (pid_label[]){{PQbackendPID(h), "UPDATER1"},
                               {PQbackendPID(w), "UPDATER2"},
                               {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    char *target = xasprintf("transaction %d", xid);
    check_wait(&s, PQbackendPID(w), "transactionid", "ShareLock", NULL, target);
    free(target);
    char *xid_text = xasprintf("%d", xid);
    assert_string_equal(must_find(&s, PQbackendPID(h))->backend_xid, xid_text);
    free(xid_text);
    char *expected = xasprintf("%d:0/1/1 %d:1/0/0", PQbackendPID(h), PQbackendPID(w));
    check_tree(&s, expected);
    free(expected);
    monitor_snapshot_free(&s);
}

/* (e) an advisory lock. */
static void test_advisory_wait(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-adv1"), *w = helper(f, "mt-adv2");
    exec_ok(h, "SELECT pg_advisory_lock(42)");
    send_waiting(w, "SELECT pg_advisory_lock(42)");
    wait_until_waiting(f, PQbackendPID(w));
    check_golden(f, "advisory_wait", NULL,
                 (pid_label[]){{PQbackendPID(h), "HOLDER"}, {PQbackendPID(w), "WAITER"}, {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    check_wait(&s, PQbackendPID(w), "advisory", "ExclusiveLock", NULL, "advisory lock 42");
    char *expected = xasprintf("%d:0/1/1 %d:1/0/0", PQbackendPID(h), PQbackendPID(w));
    check_tree(&s, expected);
    free(expected);
    assert_false(must_find(&s, PQbackendPID(h))->idle_in_transaction);
    monitor_snapshot_free(&s);
}

/* (e2) a foreign-key check: the parent row is being deleted by an open
 * transaction, and an INSERT into the child table must wait for it. The
 * RI check locks the parent row FOR KEY SHARE; it finds the row's xmax is
 * the deleter's transaction, takes the tuple lock and then waits on that
 * transaction id in ShareLock mode (pg_locks shows only that wait). */
static void test_foreign_key_wait(void **state)
{
    fixture *f = *state;
    exec_ok(f->admin, "DROP TABLE IF EXISTS fk_child, fk_parent;"
                      "CREATE TABLE fk_parent (id int PRIMARY KEY);"
                      "CREATE TABLE fk_child (parent_id int REFERENCES fk_parent);"
                      "INSERT INTO fk_parent VALUES (1), (2)");
    PGconn *h = helper(f, "mt-fk-delete"), *w = helper(f, "mt-fk-insert");
    exec_ok(h, "BEGIN; DELETE FROM fk_parent WHERE id = 1");
    int xid = int_query(h, "SELECT pg_current_xact_id()::text::bigint");
    send_waiting(w, "INSERT INTO fk_child VALUES (1)");
    int hp = PQbackendPID(h), wp = PQbackendPID(w);
    wait_until_waiting(f, wp);
    check_golden(f, "foreign_key_wait", NULL,
                 (pid_label[]){{hp, "DELETER"}, {wp, "INSERTER"}, {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    assert_int_equal(s.queries, 2);
    char *expected = xasprintf("%d:0/1/1 %d:1/0/0", hp, wp);
    check_tree(&s, expected);
    free(expected);
    assert_int_equal(s.roots, 1);
    assert_int_equal(s.waiting, 1);
    char *target = xasprintf("transaction %d", xid);
    check_wait(&s, wp, "transactionid", "ShareLock", NULL, target);
    free(target);
    const monitor_session *ws = must_find(&s, wp);
    assert_int_equal(ws->nblockers, 1);
    assert_int_equal(ws->blockers[0], hp);
    assert_string_equal(ws->wait_event, "transactionid");
    const monitor_session *hs = must_find(&s, hp);
    assert_true(hs->idle_in_transaction);
    assert_false(hs->waiting);
    monitor_snapshot_free(&s);
}

/* (f) a prepared transaction holds the lock; another one, holding a lock
 * on t2 only, must not be shown as a blocker. */
static void test_prepared_blocker(void **state)
{
    fixture *f = *state;
    PGconn *p = helper(f, "mt-prep"), *w = helper(f, "mt-prep-waiter");
    exec_ok(p, "BEGIN; LOCK TABLE t2 IN ACCESS EXCLUSIVE MODE; PREPARE TRANSACTION 'mt-other'");
    exec_ok(p, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; PREPARE TRANSACTION 'mt-gid'");
    send_waiting(w, "SELECT * FROM t");
    wait_until_waiting(f, PQbackendPID(w));
    check_golden(f, "prepared_blocker", NULL,
                 (pid_label[]){{PQbackendPID(p), "PREPARER"}, {PQbackendPID(w), "WAITER"}, {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    assert_int_equal(s.queries, 2);
    char *expected = xasprintf("mt-gid:0/1/1 %d:1/0/0", PQbackendPID(w));
    check_tree(&s, expected);
    free(expected);
    const monitor_session *ws = must_find(&s, PQbackendPID(w));
    assert_int_equal(ws->nblockers, 1);
    assert_int_equal(ws->blockers[0], 0);
    check_wait(&s, PQbackendPID(w), "relation", "AccessShareLock", "public.t", NULL);
    const monitor_session *root = &s.sessions[s.nodes[0].session];
    assert_int_equal(root->pid, 0);
    assert_string_equal(root->gid, "mt-gid");
    assert_string_equal(root->user, "stepwise");
    assert_string_equal(root->database, "postgres");
    assert_true(root->xact_age >= 0);
    size_t prepared = 0;
    for (size_t i = 0; i < s.nsessions; i++)
        prepared += s.sessions[i].pid == 0;
    assert_int_equal(prepared, 2);
    monitor_snapshot_free(&s);
}

/* (g) a stepwise migration session is flagged. */
static void test_migration_flag(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, MONITOR_MIGRATION_PREFIX " 0007_add_index");
    PGconn *w = helper(f, "mt-behind-migration");
    exec_ok(h, "BEGIN; LOCK TABLE t IN SHARE MODE");
    send_waiting(w, "UPDATE t SET v = 0");
    wait_until_waiting(f, PQbackendPID(w));
    check_golden(f, "migration_flag", NULL,
                 (pid_label[]){{PQbackendPID(h), "MIGRATION"}, {PQbackendPID(w), "WAITER"}, {0, NULL}});
    monitor_snapshot s;
    refresh(f, &s);
    const monitor_session *hs = must_find(&s, PQbackendPID(h));
    assert_true(hs->migration);
    assert_string_equal(hs->application, MONITOR_MIGRATION_PREFIX " 0007_add_index");
    assert_false(must_find(&s, PQbackendPID(w))->migration);
    check_wait(&s, PQbackendPID(w), "relation", "RowExclusiveLock", "public.t", NULL);
    char *expected = xasprintf("%d:0/1/1 %d:1/0/0", PQbackendPID(h), PQbackendPID(w));
    check_tree(&s, expected);
    free(expected);
    monitor_snapshot_free(&s);
}

/* (h) terminate the blocker: the waiter goes through. */
static void test_signal_terminate(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-victim"), *w = helper(f, "mt-freed");
    exec_ok(h, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    send_waiting(w, "SELECT count(*) FROM t");
    int hp = PQbackendPID(h);
    wait_until_waiting(f, PQbackendPID(w));
    check_golden(f, "signal_terminate", NULL,
                 (pid_label[]){{hp, "VICTIM"}, {PQbackendPID(w), "FREED"}, {0, NULL}});
    sw_error err = {0};
    bool done = true;
    assert_int_equal(monitor_signal(f->m, monitor_pid(f->m), true, &done, &err), SW_USAGE);
    assert_string_equal(err.message, "refusing to signal the monitor's own connection");
    assert_false(done);
    assert_int_equal(monitor_signal(f->m, 1, false, &done, &err), SW_OK);
    assert_false(done);
    assert_int_equal(monitor_signal(f->m, hp, true, &done, &err), SW_OK);
    assert_true(done);
    PGresult *r = PQgetResult(w);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    while ((r = PQgetResult(w)) != NULL)
        PQclear(r);
    double deadline = now_seconds() + 5;
    for (;;) {
        monitor_snapshot s;
        refresh(f, &s);
        bool gone = monitor_find(&s, hp) == NULL;
        size_t waiting = s.waiting, nodes = s.nnodes;
        int queries = s.queries;
        monitor_snapshot_free(&s);
        if (gone) {
            assert_int_equal(waiting, 0);
            assert_int_equal(nodes, 0);
            assert_int_equal(queries, 1);
            break;
        }
        if (now_seconds() > deadline)
            fail_msg("backend %d still in pg_stat_activity 5 s after pg_terminate_backend", hp);
        sleep_ms(10);
    }
}

/* (i) a member of pg_monitor sees the same tree; a plain user sees that
 * rows are hidden. */
static void test_privileges(void **state)
{
    fixture *f = *state;
    exec_ok(f->admin, "DROP ROLE IF EXISTS mt_watcher; DROP ROLE IF EXISTS mt_plain;"
                      "CREATE ROLE mt_watcher LOGIN IN ROLE pg_monitor;"
                      "CREATE ROLE mt_plain LOGIN");
    PGconn *h = helper(f, "mt-priv-holder"), *w = helper(f, "mt-priv-waiter");
    exec_ok(h, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    send_waiting(w, "SELECT * FROM t");
    wait_until_waiting(f, PQbackendPID(w));
    char *expected = xasprintf("%d:0/1/1 %d:1/0/0", PQbackendPID(h), PQbackendPID(w));
    pid_label labels[] = {{PQbackendPID(h), "HOLDER"}, {PQbackendPID(w), "WAITER"}, {0, NULL}};
    check_golden(f, "privileges_superuser", NULL, labels);
    check_golden(f, "privileges_pg_monitor", "mt_watcher", labels);

    const char *users[] = {"mt_watcher", "mt_plain"};
    for (size_t u = 0; u < 2; u++) {
        char *ci = xasprintf("%s user=%s", test_conninfo(), users[u]);
        db_target t;
        monitor *m = NULL;
        sw_error err = {0};
        assert_int_equal(db_target_parse(ci, DB_FROM_OPTION, &t, &err), SW_OK);
        if (monitor_open(&t, &m, &err) != SW_OK)
            fail_msg("monitor_open as %s: %s", users[u], err.message);
        monitor_snapshot s;
        if (monitor_refresh(m, &s, &err) != SW_OK)
            fail_msg("monitor_refresh as %s: %s", users[u], err.message);
        assert_null(monitor_find(&s, monitor_pid(m)));
        if (u == 0) {
            assert_false(s.hidden);
            assert_int_equal(s.queries, 2);
            check_tree(&s, expected);
            check_wait(&s, PQbackendPID(w), "relation", "AccessShareLock", "public.t", NULL);
        } else {
            /* Other users' rows keep their pid but hide state and waits. */
            assert_true(s.hidden);
            const monitor_session *hs = must_find(&s, PQbackendPID(h));
            assert_string_equal(hs->query, "<insufficient privilege>");
            assert_false(must_find(&s, PQbackendPID(w))->waiting);
            assert_int_equal(s.nnodes, 0);
            assert_int_equal(s.queries, 1);
        }
        monitor_snapshot_free(&s);
        monitor_close(m);
        db_target_free(&t);
        free(ci);
    }
    free(expected);
}

/* Servers before PostgreSQL 14 have no pg_locks.waitstart. A monitor
 * opened as for 13 runs the query written for them against this server:
 * the same tree, the same locks, and wait ages unknown. A prepared
 * transaction is among the blockers, so both forms of the lock query (with
 * and without prepared transactions) run. */
static void test_before_14(void **state)
{
    fixture *f = *state;
    PGconn *p = helper(f, "mt-old-prep"), *h = helper(f, "mt-old-holder"),
           *r = helper(f, "mt-old-reader"), *a = helper(f, "mt-old-alter"),
           *w = helper(f, "mt-old-prep-waiter");
    exec_ok(p, "BEGIN; LOCK TABLE t2 IN ACCESS EXCLUSIVE MODE; PREPARE TRANSACTION 'mt-old-gid'");
    exec_ok(h, "BEGIN; LOCK TABLE t IN SHARE MODE");
    send_waiting(a, "ALTER TABLE t ADD COLUMN old int");
    wait_until_waiting(f, PQbackendPID(a));
    send_waiting(r, "SELECT * FROM t");
    send_waiting(w, "SELECT * FROM t2");
    int hp = PQbackendPID(h), ap = PQbackendPID(a), rp = PQbackendPID(r), wp = PQbackendPID(w);
    wait_until_waiting(f, rp);
    wait_until_waiting(f, wp);

    monitor *old = NULL;
    sw_error err = {0};
    if (monitor_open_as_version(&f->target, 130000, &old, &err) != SW_OK)
        fail_msg("monitor_open_as_version(13): %s", err.message);
    monitor_snapshot now, before;
    refresh(f, &now);
    if (monitor_refresh(old, &before, &err) != SW_OK)
        fail_msg("monitor_refresh with the query for 13: %s", err.message);

    char *expected = xasprintf("%d:0/1/2 %d:1/1/1 %d:2/0/0 mt-old-gid:0/1/1 %d:1/0/0", hp, ap, rp,
                               wp);
    check_tree(&now, expected);
    check_tree(&before, expected);
    free(expected);
    assert_int_equal(before.queries, 2);
    assert_int_equal(before.waiting, 3);
    assert_int_equal(before.roots, now.roots);
    assert_true(now.oldest_wait >= 0);
    assert_true(before.oldest_wait < 0);
    const int waiters[] = {ap, rp, wp};
    for (size_t i = 0; i < 3; i++) {
        const monitor_session *n = must_find(&now, waiters[i]);
        const monitor_session *b = must_find(&before, waiters[i]);
        assert_true(b->waiting);
        assert_string_equal(b->lock_type, n->lock_type);
        assert_string_equal(b->wanted_mode, n->wanted_mode);
        assert_string_equal(b->relation, n->relation);
        assert_int_equal(b->nblockers, n->nblockers);
        for (size_t k = 0; k < b->nblockers; k++)
            assert_int_equal(b->blockers[k], n->blockers[k]);
        if (!(n->wait_age >= 0))
            fail_msg("backend %d: expected a known wait age from 15, got %f", waiters[i],
                     n->wait_age);
        if (!(b->wait_age < 0))
            fail_msg("backend %d: expected an unknown wait age from the query for 13, got %f",
                     waiters[i], b->wait_age);
    }
    check_wait(&now, ap, "relation", "AccessExclusiveLock", "public.t", NULL);
    check_wait(&now, wp, "relation", "AccessShareLock", "public.t2", NULL);
    monitor_snapshot_free(&before);
    monitor_snapshot_free(&now);
    monitor_close(old);
}

static void wait_until_no_sessions_in(fixture *f, const char *dbname)
{
    wait_until_count(f,
                     xasprintf("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'",
                               dbname),
                     0, xasprintf("sessions in %s did not end", dbname));
}

/* The session in a snapshot of the one connection c, checked by name. */
static void check_database_of(fixture *f, PGconn *c, const char *dbname, int queries)
{
    monitor_snapshot s;
    refresh(f, &s);
    const monitor_session *m = must_find(&s, PQbackendPID(c));
    if (!m->database || strcmp(m->database, dbname) != 0)
        fail_msg("expected database %s, got %s", dbname, m->database ? m->database : "NULL");
    assert_int_equal(s.queries, queries);
    monitor_snapshot_free(&s);
}

/* Database names come from the monitor's own cache. A database created
 * after the monitor opened, and one renamed, are named right at the next
 * refresh, which reads the names again (one more round trip, that once). */
static void test_database_names(void **state)
{
    fixture *f = *state;
    exec_ok(f->admin, "DROP DATABASE IF EXISTS mt_db_new WITH (FORCE)");
    exec_ok(f->admin, "DROP DATABASE IF EXISTS mt_db_renamed WITH (FORCE)");
    monitor_snapshot s;
    refresh(f, &s);
    assert_int_equal(s.queries, 1);
    monitor_snapshot_free(&s);

    exec_ok(f->admin, "CREATE DATABASE mt_db_new");
    PGconn *c = connect_as("mt-db", NULL, "mt_db_new");
    check_database_of(f, c, "mt_db_new", 2);
    check_database_of(f, c, "mt_db_new", 1);
    PQfinish(c);
    wait_until_no_sessions_in(f, "mt_db_new");

    exec_ok(f->admin, "ALTER DATABASE mt_db_new RENAME TO mt_db_renamed");
    c = connect_as("mt-db", NULL, "mt_db_renamed");
    check_database_of(f, c, "mt_db_renamed", 2);
    check_database_of(f, c, "mt_db_renamed", 1);
    PQfinish(c);
    exec_ok(f->admin, "DROP DATABASE mt_db_renamed WITH (FORCE)");
}

/* A refresh that cannot get a catalog lock gives up after lock_timeout
 * with its own message; the next refresh works again. The monitor's
 * statements are prepared, so only a catalog its execution reads can
 * block it: the activity query reads pg_database for the stamp of the
 * monitor's cache of database names. */
static void test_refresh_timeout(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-catalog-lock");
    exec_ok(h, "BEGIN; LOCK TABLE pg_catalog.pg_database IN ACCESS EXCLUSIVE MODE");
    monitor_snapshot s;
    sw_error err = {0};
    double start = now_seconds();
    assert_int_equal(monitor_refresh(f->m, &s, &err), SW_FAILED);
    double took = now_seconds() - start;
    assert_string_equal(err.message, "the refresh timed out after 500 ms (the server is busy);"
                                     " next refresh at the next tick");
    if (took > 1.0)
        fail_msg("expected the refresh to give up within 1 s, it took %.3f s", took);
    assert_null(s.sessions);
    assert_int_equal(s.nsessions, 0);
    exec_ok(h, "ROLLBACK");
    refresh(f, &s);
    assert_int_equal(s.queries, 1);
    assert_non_null(must_find(&s, PQbackendPID(h)));
    monitor_snapshot_free(&s);
}

/* The relation locks of every session, on request only: one more round
 * trip then, none by default; the holder's granted lock and the waiter's
 * wanted one, both on public.t. */
static const monitor_relation_lock *find_relation_lock(const monitor_snapshot *s, int pid,
                                                       const char *relation)
{
    for (size_t i = 0; i < s->nrelation_locks; i++)
        if (s->relation_locks[i].pid == pid && strcmp(s->relation_locks[i].relation, relation) == 0)
            return &s->relation_locks[i];
    return NULL;
}

static void test_relation_locks(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-rl-holder"), *w = helper(f, "mt-rl-waiter");
    exec_ok(h, "BEGIN; LOCK TABLE t IN SHARE MODE");
    send_waiting(w, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    int hp = PQbackendPID(h), wp = PQbackendPID(w);
    wait_until_waiting(f, wp);

    monitor_snapshot s;
    refresh(f, &s);
    assert_int_equal(s.queries, 2); /* the default path: activity and waiters */
    assert_false(s.have_relation_locks);
    assert_int_equal(s.nrelation_locks, 0);
    monitor_snapshot_free(&s);

    monitor_want_relation_locks(f->m, true);
    refresh(f, &s);
    assert_int_equal(s.queries, 3);
    assert_true(s.have_relation_locks);
    const monitor_relation_lock *held = find_relation_lock(&s, hp, "public.t");
    const monitor_relation_lock *wanted = find_relation_lock(&s, wp, "public.t");
    if (!held || !wanted)
        fail_msg("expected the holder's and the waiter's locks on public.t");
    assert_string_equal(held->mode, "ShareLock");
    assert_true(held->granted);
    assert_string_equal(wanted->mode, "AccessExclusiveLock");
    assert_false(wanted->granted);
    /* Sorted by pid, then relation; the monitor's own locks are not there. */
    for (size_t i = 0; i < s.nrelation_locks; i++) {
        assert_int_not_equal(s.relation_locks[i].pid, monitor_pid(f->m));
        if (i > 0)
            assert_true(s.relation_locks[i - 1].pid <= s.relation_locks[i].pid);
    }
    monitor_snapshot_free(&s);

    monitor_want_relation_locks(f->m, false);
    refresh(f, &s);
    assert_int_equal(s.queries, 2);
    assert_false(s.have_relation_locks);
    monitor_snapshot_free(&s);
}

/* One session's locks: what it waits for first, then what it holds, with
 * the relation named. */
static void test_session_locks(void **state)
{
    fixture *f = *state;
    PGconn *h = helper(f, "mt-sl-holder"), *w = helper(f, "mt-sl-waiter");
    exec_ok(h, "BEGIN; LOCK TABLE t IN SHARE MODE; SELECT pg_advisory_xact_lock(42)");
    send_waiting(w, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    int hp = PQbackendPID(h), wp = PQbackendPID(w);
    wait_until_waiting(f, wp);
    sw_error err = {0};
    monitor_lock *locks = NULL;
    size_t n = 0;
    if (monitor_session_locks(f->m, wp, &locks, &n, &err) != SW_OK)
        fail_msg("monitor_session_locks: %s", err.message);
    assert_true(n >= 2);
    assert_false(locks[0].granted);
    assert_string_equal(locks[0].locktype, "relation");
    assert_string_equal(locks[0].mode, "AccessExclusiveLock");
    assert_string_equal(locks[0].object, "public.t");
    for (size_t i = 1; i < n; i++)
        assert_true(locks[i].granted);
    monitor_locks_free(locks, n);

    if (monitor_session_locks(f->m, hp, &locks, &n, &err) != SW_OK)
        fail_msg("monitor_session_locks: %s", err.message);
    bool share = false, advisory = false, vxid = false;
    for (size_t i = 0; i < n; i++) {
        assert_true(locks[i].granted);
        share = share || (strcmp(locks[i].object, "public.t") == 0 &&
                          strcmp(locks[i].mode, "ShareLock") == 0);
        advisory = advisory || strcmp(locks[i].object, "advisory lock 42") == 0;
        vxid = vxid || strncmp(locks[i].object, "virtual transaction ", 20) == 0;
    }
    assert_true(share);
    assert_true(advisory);
    assert_true(vxid);
    monitor_locks_free(locks, n);

    /* A pid with no session: no locks, no error. */
    if (monitor_session_locks(f->m, 999999, &locks, &n, &err) != SW_OK)
        fail_msg("monitor_session_locks: %s", err.message);
    assert_int_equal(n, 0);
    monitor_locks_free(locks, n);
}

static void test_sqlite_refused(void **state)
{
    (void)state;
    db_target t;
    monitor *m = NULL;
    sw_error err = {0};
    assert_int_equal(db_target_parse("sqlite:/nonexistent/x.db", DB_FROM_OPTION, &t, &err), SW_OK);
    assert_int_equal(monitor_open(&t, &m, &err), SW_USAGE);
    assert_string_equal(err.message, "locks are a PostgreSQL feature");
    assert_null(m);
    db_target_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nobody_waits_one_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_holder_two_waiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_behind_alter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_blockers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advisory_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_blocker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_terminate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_privileges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_before_14, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_locks, setup, teardown),
        cmocka_unit_test(test_sqlite_refused),
    };
    return cmocka_run_group_tests_name("monitor_pg", tests, NULL, NULL);
}
