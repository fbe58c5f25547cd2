/* Integration tests of the supervised apply (runner_start_ex with RUN_HOLD
 * and RUN_STEP, runner_continue, runner_commit, runner_stop, the gate's
 * diff and locks) on real databases: a SQLite file, and with
 * STEPWISE_TEST_PG set (tests/harness/with-pg), a database of its own on
 * the throwaway PostgreSQL for each test. What the runner did is checked
 * on a second connection: the history, the events, the schema. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/apply.h"
#include "core/db.h"
#include "core/history.h"
#include "core/plan.h"
#include "core/source.h"
#include "tests/harness/read_text.h"

typedef struct fixture {
    bool pg;
    char dir[64];
    char *migrations, *snapshots, *audit;
    char *dbname;          /* PostgreSQL: the test's own database */
    db_target target;
    db *observer;          /* a connection of the test's own */
    run_settings rs;
    runner *r;
    migration_source src;
    history_data hist;
    migration_status status;
    plan p;
    migration_run run;
    bool prepared;
} fixture;

static char *path_in(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = path_in(dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    free(path);
}

static void exec_ok(db *d, const char *sql)
{
    sw_error err = {0};
    if (db_exec(d, sql, &err) != SW_OK)
        fail_msg("%s: %s", sql, err.message);
}

/* The first column of the first row, or NULL when there is no row. */
static char *one_value(db *d, const char *sql)
{
    db_result *r = NULL;
    sw_error err = {0};
    if (db_query(d, sql, 0, NULL, &r, &err) != SW_OK)
        fail_msg("%s: %s", sql, err.message);
    const char *v = r->nrows ? db_result_value(r, 0, 0) : NULL;
    char *copy = v ? xstrdup(v) : NULL;
    db_result_free(r);
    return copy;
}

static void open_db(const char *spec, unsigned flags, db_target *t, db **out)
{
    sw_error err = {0};
    if (db_target_parse(spec, DB_FROM_OPTION, t, &err) != SW_OK ||
        db_open(t, flags, out, &err) != SW_OK)
        fail_msg("open %s: %s", spec, err.message);
}

static int setup(void **state, bool pg)
{
    static int serial;
    fixture *f = xcalloc(1, sizeof *f);
    f->pg = pg;
    strcpy(f->dir, "/tmp/stepwise-steps-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->migrations = path_in(f->dir, "migrations");
    f->snapshots = path_in(f->dir, "snapshots");
    f->audit = path_in(f->dir, "audit.jsonl");
    mkdir(f->migrations, 0700);
    char *spec;
    if (pg) {
        const char *conninfo = getenv("STEPWISE_TEST_PG");
        db_target admin_t;
        db *admin = NULL;
        open_db(conninfo, DB_OPEN_EXISTING, &admin_t, &admin);
        f->dbname = xasprintf("steps_%d_%d", (int)getpid(), ++serial);
        char *create = xasprintf("CREATE DATABASE %s", f->dbname);
        exec_ok(admin, create);
        free(create);
        db_close(admin);
        db_target_free(&admin_t);
        spec = xasprintf("%s dbname=%s", conninfo, f->dbname);
    } else {
        spec = xasprintf("sqlite:%s/test.db", f->dir);
    }
    open_db(spec, DB_OPEN_CREATE, &f->target, &f->observer);
    free(spec);
    f->rs.audit_path = f->audit;
    f->rs.lock_timeout = "30s";
    audit_actor_system(&f->rs.actor);
    *state = f;
    return 0;
}

static int setup_sqlite(void **state)
{
    return setup(state, false);
}

static int setup_pg(void **state)
{
    return setup(state, true);
}

static void release_run(fixture *f)
{
    if (f->prepared)
        migration_run_free(&f->run);
    f->prepared = false;
    plan_free(&f->p);
    status_free(&f->status);
    history_free(&f->hist);
    source_free(&f->src);
    memset(&f->p, 0, sizeof f->p);
    memset(&f->status, 0, sizeof f->status);
    memset(&f->hist, 0, sizeof f->hist);
    memset(&f->src, 0, sizeof f->src);
}

static int teardown(void **state)
{
    fixture *f = *state;
    release_run(f);
    runner_close(f->r);
    db_close(f->observer);
    if (f->pg) {
        db_target admin_t;
        db *admin = NULL;
        open_db(getenv("STEPWISE_TEST_PG"), DB_OPEN_EXISTING, &admin_t, &admin);
        char *drop = xasprintf("DROP DATABASE %s WITH (FORCE)", f->dbname);
        exec_ok(admin, drop);
        free(drop);
        db_close(admin);
        db_target_free(&admin_t);
    }
    db_target_free(&f->target);
    char *rm = xasprintf("rm -rf '%s'", f->dir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(rm);
    free(f->migrations);
    free(f->snapshots);
    free(f->audit);
    free(f->dbname);
    free(f);
    return 0;
}

/* The runner, the history tables and the run's schema snapshot, as the
 * command line and the console set them up. */
static void open_runner(fixture *f)
{
    sw_error err = {0};
    if (runner_open(&f->target, NULL, &f->rs, false, &f->r, &err) != SW_OK)
        fail_msg("runner_open: %s", err.message);
    if (runner_create_history(f->r, &err) != SW_OK)
        fail_msg("history: %s", err.message);
    char *path = NULL;
    if (runner_backup(f->r, f->snapshots, &path, &err) != SW_OK)
        fail_msg("backup: %s", err.message);
    free(path);
}

/* Prepare the next pending migration. */
static void prepare_next(fixture *f)
{
    release_run(f);
    sw_error err = {0};
    if (source_read(f->migrations, &f->src, &err) != SW_OK || f->src.errors)
        fail_msg("source: %s", f->src.errors ? "problems in the folder" : err.message);
    if (history_read(runner_db(f->r), runner_table(f->r), &f->hist, &err) != SW_OK)
        fail_msg("history: %s", err.message);
    status_build(&f->src, &f->hist, &f->status);
    if (plan_up(&f->status, NULL, 1, &f->p, &err) != SW_OK || f->p.count != 1)
        fail_msg("plan: %s", err.message);
    if (migration_run_prepare(runner_db(f->r), runner_table(f->r), &f->rs, &f->p.steps[0],
                              runner_actor(f->r), &f->run, &err) != SW_OK)
        fail_msg("prepare: %s", err.message);
    f->prepared = true;
}

static void start(fixture *f, unsigned flags)
{
    sw_error err = {0};
    if (runner_start_ex(f->r, &f->run, 0, flags, &err) != SW_OK)
        fail_msg("start: %s", err.message);
}

/* Poll until the migration ends, pauses or is held (10 s at most). */
static bool wait_step(fixture *f, run_progress *pr)
{
    sw_error err = {0};
    bool done = false;
    for (int i = 0; i < 200; i++) {
        if (runner_poll(f->r, 50, &done, pr, &err) != SW_OK)
            fail_msg("poll: %s", err.message);
        if (done || pr->paused || pr->held)
            return done;
        run_progress_free(pr);
    }
    fail_msg("the migration neither ended nor paused in 10 s");
    return false;
}

static void expect_done(fixture *f, run_outcome outcome, run_result *res)
{
    run_progress pr;
    bool done = wait_step(f, &pr);
    assert_true(done);
    assert_false(pr.paused);
    assert_false(pr.held);
    run_progress_free(&pr);
    runner_result(f->r, res);
    if (res->outcome != outcome)
        fail_msg("outcome %d, expected %d: %s", res->outcome, outcome,
                 res->message ? res->message : "(no message)");
}

/* Poll until paused before statement `statement` of `statements`. */
static void expect_paused(fixture *f, size_t statement, size_t statements)
{
    run_progress pr;
    assert_false(wait_step(f, &pr));
    assert_true(pr.paused);
    assert_false(pr.held);
    assert_int_equal(pr.statement, statement);
    assert_int_equal(pr.statements, statements);
    run_progress_free(&pr);
}

/* Poll until held at the commit gate. */
static void expect_held(fixture *f, size_t statements)
{
    run_progress pr;
    assert_false(wait_step(f, &pr));
    assert_true(pr.held);
    assert_false(pr.paused);
    assert_int_equal(pr.statements, statements);
    run_progress_free(&pr);
}

/* Paused or held, a poll answers at once, whatever its timeout. */
static void expect_poll_at_once(fixture *f, bool held)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_progress pr;
    bool done = true;
    sw_error err = {0};
    assert_int_equal(runner_poll(f->r, 2000, &done, &pr, &err), SW_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_false(done);
    assert_true(held ? pr.held : pr.paused);
    run_progress_free(&pr);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(seconds < 0.5);
}

/* Apply the next pending migration as the command line does. */
static void apply_plain(fixture *f)
{
    prepare_next(f);
    sw_error err = {0};
    if (runner_start(f->r, &f->run, 0, &err) != SW_OK)
        fail_msg("start: %s", err.message);
    run_result res;
    expect_done(f, RUN_OK, &res);
    run_result_free(&res);
}

static const char books_up[] = "CREATE TABLE books (id integer PRIMARY KEY, title text);\n";
static const char books_down[] = "DROP TABLE books;\n";
static const char isbn_up[] = "ALTER TABLE books ADD COLUMN isbn text;\n"
                              "CREATE TABLE shelves (id integer PRIMARY KEY);\n"
                              "INSERT INTO books (id, title) VALUES (1, 'Dune');\n";
static const char isbn_down[] = "DROP TABLE shelves;\nALTER TABLE books DROP COLUMN isbn;\n";

/* 0001 applied the plain way, 0002 (three statements) pending. */
static void books_then_isbn(fixture *f)
{
    write_file(f->migrations, "0001_books.up.sql", books_up);
    write_file(f->migrations, "0001_books.down.sql", books_down);
    write_file(f->migrations, "0002_isbn.up.sql", isbn_up);
    write_file(f->migrations, "0002_isbn.down.sql", isbn_down);
    open_runner(f);
    apply_plain(f);
    prepare_next(f);
}

/* "version|dirty|steps_done" of a history row, or NULL. */
static char *history_row_of(fixture *f, const char *version)
{
    char *sql = xasprintf("SELECT version || '|' || CASE WHEN dirty THEN 'dirty' ELSE 'clean' "
                          "END || '|' || steps_done FROM stepwise_history WHERE version = '%s'",
                          version);
    char *v = one_value(f->observer, sql);
    free(sql);
    return v;
}

/* Whether `table` has a column `column`, as the observer sees it. */
static bool has_column(fixture *f, const char *table, const char *column)
{
    char *sql = f->pg ? xasprintf("SELECT count(*) FROM information_schema.columns WHERE "
                                  "table_schema = 'public' AND table_name = '%s' AND "
                                  "column_name = '%s'",
                                  table, column)
                      : xasprintf("SELECT count(*) FROM pragma_table_info('%s') WHERE name = "
                                  "'%s'",
                                  table, column);
    char *n = one_value(f->observer, sql);
    bool yes = strcmp(n, "0") != 0;
    free(n);
    free(sql);
    return yes;
}

static bool has_table(fixture *f, const char *table)
{
    char *sql = xasprintf(f->pg ? "SELECT count(*) FROM pg_class WHERE relname = '%s'"
                                : "SELECT count(*) FROM sqlite_master WHERE name = '%s'",
                          table);
    char *n = one_value(f->observer, sql);
    bool yes = strcmp(n, "0") != 0;
    free(n);
    free(sql);
    return yes;
}

/* The newest event: "action|version|outcome|detail". */
static char *last_event(fixture *f)
{
    return one_value(f->observer, "SELECT action || '|' || coalesce(version, '') || '|' || "
                                  "outcome || '|' || coalesce(detail, '') FROM stepwise_events "
                                  "ORDER BY id DESC LIMIT 1");
}

static void assert_contains(const char *text, const char *part)
{
    if (!text || !strstr(text, part))
        fail_msg("expected '%s' in:\n%s", part, text ? text : "(null)");
}

/* The migration's transaction is over: the work session is idle
 * (PostgreSQL), another writer can take the write lock (SQLite). */
static void assert_work_released(fixture *f)
{
    if (f->pg) {
        char *sql = xasprintf("SELECT state FROM pg_stat_activity WHERE pid = %d",
                              runner_work_pid(f->r));
        char *state = one_value(f->observer, sql);
        assert_string_equal(state, "idle");
        free(state);
        free(sql);
    } else {
        exec_ok(f->observer, "BEGIN IMMEDIATE; ROLLBACK");
    }
}

static void assert_lacks(const char *text, const char *part)
{
    if (text && strstr(text, part))
        fail_msg("did not expect '%s' in:\n%s", part, text);
}

/* ------------------------------------------------------------- the gate */

static void check_gate(fixture *f)
{
    sw_error err = {0};
    char *diff = NULL, *with = NULL;
    assert_int_equal(runner_gate_diff(f->r, &diff, &with, &err), SW_OK);
    assert_null(with); /* a snapshot taken just before 0002 */
    assert_contains(diff, "shelves");
    assert_contains(diff, "+ table");
    assert_contains(diff, "~ table");
    assert_contains(diff, "isbn");
    free(diff);
    char *locks = NULL;
    assert_int_equal(runner_held_locks(f->r, &locks, &err), SW_OK);
    if (f->pg) {
        /* The strongest first: the ALTER's lock on books leads. */
        assert_true(strncmp(locks, "AccessExclusiveLock on ", 23) == 0);
        assert_contains(locks, "AccessExclusiveLock on public.books\n");
        assert_contains(locks, "AccessExclusiveLock on public.shelves\n");
        assert_true(runner_work_pid(f->r) > 0);
    } else {
        assert_contains(locks, "write lock on the database file ");
        assert_int_equal(runner_work_pid(f->r), 0);
    }
    free(locks);
}

static void test_hold_commit(void **state)
{
    fixture *f = *state;
    books_then_isbn(f);
    start(f, RUN_HOLD);
    expect_held(f, 3);
    check_gate(f);
    /* Held: polling answers at once, and nothing is committed yet. */
    expect_poll_at_once(f, true);
    sw_error err = {0};
    assert_null(history_row_of(f, "0002"));
    assert_false(has_column(f, "books", "isbn"));
    assert_int_equal(runner_continue(f->r, &err), SW_USAGE);

    assert_int_equal(runner_commit(f->r, &err), SW_OK);
    run_result res;
    expect_done(f, RUN_OK, &res);
    run_result_free(&res);
    assert_work_released(f);
    char *row = history_row_of(f, "0002");
    assert_string_equal(row, "0002|clean|3");
    free(row);
    assert_true(has_column(f, "books", "isbn"));
    char *ev = last_event(f);
    assert_contains(ev, "apply|0002|ok|");
    free(ev);
    char *n = one_value(f->observer, "SELECT count(*) FROM shelves");
    assert_string_equal(n, "0");
    free(n);
}

static void test_hold_stop(void **state)
{
    fixture *f = *state;
    books_then_isbn(f);
    start(f, RUN_HOLD);
    expect_held(f, 3);
    sw_error err = {0};
    assert_int_equal(runner_stop(f->r, "rolled back at the commit gate by the operator", &err),
                     SW_OK);
    run_result res;
    expect_done(f, RUN_ABORTED, &res);
    assert_string_equal(res.message, "rolled back at the commit gate by the operator");
    assert_work_released(f);
    assert_true(res.schema_checked);
    assert_null(res.remains);
    run_result_free(&res);
    assert_null(history_row_of(f, "0002"));
    assert_false(has_column(f, "books", "isbn"));
    assert_false(has_table(f, "shelves"));
    char *ev = last_event(f);
    assert_contains(ev, "operator_abort|0002|aborted|rolled back at the commit gate by the "
                        "operator");
    assert_contains(ev, "schema as before the migration");
    free(ev);
    char *audit = read_text(f->audit);
    assert_contains(audit, "\"operator_abort\"");
    free(audit);
}

/* Pause before each statement: `statement` counts up, the schema moves
 * only inside the transaction, COMMIT (or the hold) after the last. */
static void step_through(fixture *f, bool hold)
{
    books_then_isbn(f);
    start(f, RUN_STEP | (hold ? RUN_HOLD : 0));
    sw_error err = {0};
    for (size_t i = 0; i < 3; i++) {
        expect_paused(f, i, 3);
        if (i == 0) {
            /* Paused: polling answers at once; a commit is refused. */
            expect_poll_at_once(f, false);
            assert_int_equal(runner_commit(f->r, &err), SW_USAGE);
        }
        assert_int_equal(runner_continue(f->r, &err), SW_OK);
    }
    if (hold) {
        expect_held(f, 3);
        check_gate(f);
        assert_null(history_row_of(f, "0002"));
        assert_int_equal(runner_commit(f->r, &err), SW_OK);
    }
    run_result res;
    expect_done(f, RUN_OK, &res);
    assert_int_equal(res.rows, 1); /* the INSERT, the last statement */
    assert_work_released(f);
    run_result_free(&res);
    char *row = history_row_of(f, "0002");
    assert_string_equal(row, "0002|clean|3");
    free(row);
    assert_true(has_column(f, "books", "isbn"));
    char *n = one_value(f->observer, "SELECT title FROM books WHERE id = 1");
    assert_string_equal(n, "Dune");
    free(n);
}

static void test_step_commit(void **state)
{
    step_through(*state, false);
}

static void test_step_hold_commit(void **state)
{
    step_through(*state, true);
}

static void test_step_stop(void **state)
{
    fixture *f = *state;
    books_then_isbn(f);
    start(f, RUN_STEP);
    sw_error err = {0};
    expect_paused(f, 0, 3);
    assert_int_equal(runner_continue(f->r, &err), SW_OK); /* the ALTER */
    expect_paused(f, 1, 3);
    char *diff = NULL, *with = NULL;
    assert_int_equal(runner_gate_diff(f->r, &diff, &with, &err), SW_OK);
    assert_contains(diff, "isbn"); /* the transaction sees its ALTER */
    free(diff);
    free(with);
    assert_int_equal(runner_stop(f->r, "stopped before statement 2", &err), SW_OK);
    assert_int_equal(runner_stop(f->r, "twice", &err), SW_USAGE);
    run_result res;
    expect_done(f, RUN_ABORTED, &res);
    assert_string_equal(res.message, "stopped before statement 2");
    assert_work_released(f);
    /* Without a hold, no snapshot just before 0002: the run's, with 0001 in
     * the difference, and nothing of 0002. */
    assert_true(res.schema_checked);
    assert_contains(res.compared_with, "the snapshot taken before the run");
    assert_string_equal(res.committed_since, "0001");
    assert_lacks(res.remains, "isbn");
    run_result_free(&res);
    assert_null(history_row_of(f, "0002"));
    assert_false(has_column(f, "books", "isbn"));
    char *ev = last_event(f);
    assert_contains(ev, "operator_abort|0002|aborted|stopped before statement 2");
    free(ev);
}

/* A statement that fails in step mode is located in its file: line 4 of
 * the script (col 8 where PostgreSQL points at the column; SQLite gives
 * the statement's start). */
static void test_step_failure_located(void **state)
{
    fixture *f = *state;
    write_file(f->migrations, "0001_books.up.sql", books_up);
    write_file(f->migrations, "0002_bad.up.sql",
               "ALTER TABLE books ADD COLUMN note text;\n"
               "CREATE TABLE shelves (id integer);\n\n"
               "SELECT nosuchcol FROM books;\n");
    open_runner(f);
    apply_plain(f);
    prepare_next(f);
    start(f, RUN_STEP);
    sw_error err = {0};
    for (size_t i = 0; i < 3; i++) {
        expect_paused(f, i, 3);
        assert_int_equal(runner_continue(f->r, &err), SW_OK);
    }
    run_result res;
    expect_done(f, RUN_FAILED, &res);
    char *where = xasprintf("%s/0002_bad.up.sql:4:%d: ", f->migrations, f->pg ? 8 : 1);
    if (strncmp(res.message, where, strlen(where)) != 0)
        fail_msg("expected '%s...', got '%s'", where, res.message);
    assert_contains(res.message, "nosuchcol");
    assert_work_released(f);
    free(where);
    assert_true(res.schema_checked);
    assert_lacks(res.remains, "note");
    assert_lacks(res.remains, "shelves");
    run_result_free(&res);
    assert_false(has_column(f, "books", "note"));
    assert_null(history_row_of(f, "0002"));
}

/* No transaction: the dirty row comes first; stopped after one statement,
 * it stays dirty with steps_done 1, and the first table stays. */
static void test_notx_step_stop(void **state)
{
    fixture *f = *state;
    write_file(f->migrations, "0001_books.up.sql", books_up);
    write_file(f->migrations, "0002_more.up.sql",
               "-- stepwise:no-transaction\n"
               "CREATE TABLE authors (id integer);\n"
               "CREATE TABLE prizes (id integer);\n");
    open_runner(f);
    apply_plain(f);
    prepare_next(f);
    start(f, RUN_STEP | RUN_HOLD); /* the hold has no effect without a transaction */
    sw_error err = {0};
    expect_paused(f, 0, 2);
    char *row = history_row_of(f, "0002");
    assert_string_equal(row, "0002|dirty|0");
    free(row);
    assert_int_equal(runner_continue(f->r, &err), SW_OK);
    expect_paused(f, 1, 2);
    char *locks = NULL;
    assert_int_equal(runner_held_locks(f->r, &locks, &err), SW_OK);
    assert_string_equal(locks, ""); /* autocommit: nothing is held between statements */
    free(locks);
    assert_int_equal(runner_stop(f->r, "stopped by the test", &err), SW_OK);
    run_result res;
    expect_done(f, RUN_ABORTED, &res);
    assert_int_equal(res.steps_done, 1);
    assert_string_equal(res.message, "stopped by the test");
    assert_work_released(f);
    assert_contains(res.remains, "authors"); /* what the statement done left */
    run_result_free(&res);
    row = history_row_of(f, "0002");
    assert_string_equal(row, "0002|dirty|1");
    free(row);
    char *ev = last_event(f);
    assert_contains(ev, "operator_abort|0002|aborted|stopped by the test");
    assert_contains(ev, "steps_done 1 of 2");
    free(ev);
    assert_true(has_table(f, "authors"));
    assert_false(has_table(f, "prizes"));
}

/* The plain run is unchanged beside them: it never pauses or holds. */
static void test_plain_never_pauses(void **state)
{
    fixture *f = *state;
    books_then_isbn(f);
    sw_error err = {0};
    assert_int_equal(runner_start(f->r, &f->run, 0, &err), SW_OK);
    run_result res;
    expect_done(f, RUN_OK, &res);
    run_result_free(&res);
    assert_true(has_column(f, "books", "isbn"));
    assert_int_equal(runner_stop(f->r, "late", &err), SW_USAGE);
    char *diff = NULL, *with = NULL;
    assert_int_equal(runner_gate_diff(f->r, &diff, &with, &err), SW_USAGE);
}

/* ------------------------------------------------- PostgreSQL only */

/* Cancel a statement sent in step mode while it waits for a lock that
 * the test holds: the migration rolls back, RUN_ABORTED. */
static void test_pg_step_cancel_waiting(void **state)
{
    fixture *f = *state;
    books_then_isbn(f);
    exec_ok(f->observer, "BEGIN; LOCK TABLE books IN ACCESS SHARE MODE");
    start(f, RUN_STEP);
    sw_error err = {0};
    expect_paused(f, 0, 3);
    assert_int_equal(runner_continue(f->r, &err), SW_OK); /* the ALTER waits */
    run_progress pr;
    bool waiting = false, done = false;
    for (int i = 0; i < 100 && !waiting && !done; i++) {
        assert_int_equal(runner_poll(f->r, 100, &done, &pr, &err), SW_OK);
        waiting = pr.waiting;
        run_progress_free(&pr);
    }
    assert_true(waiting);
    char *locks = NULL;
    assert_int_equal(runner_held_locks(f->r, &locks, &err), SW_OK);
    assert_lacks(locks, "on public.books"); /* asked for, not granted */
    free(locks);
    runner_cancel(f->r);
    run_result res;
    expect_done(f, RUN_ABORTED, &res);
    assert_contains(res.message, "0002_isbn.up.sql:1:1: ");
    assert_work_released(f);
    run_result_free(&res);
    exec_ok(f->observer, "ROLLBACK");
    assert_false(has_column(f, "books", "isbn"));
    assert_null(history_row_of(f, "0002"));
}

/* The work session is gone at the gate: the COMMIT fails, RUN_FAILED
 * with the message, and nothing of the migration is there. */
static void test_pg_commit_fails(void **state)
{
    fixture *f = *state;
    books_then_isbn(f);
    start(f, RUN_HOLD);
    expect_held(f, 3);
    char *sql = xasprintf("SELECT pg_terminate_backend(%d)", runner_work_pid(f->r));
    char *t = one_value(f->observer, sql);
    assert_string_equal(t, "t");
    free(t);
    free(sql);
    /* Wait until the server has ended it, so the COMMIT meets a dead session. */
    for (int i = 0; i < 100; i++) {
        char *q = xasprintf("SELECT count(*) FROM pg_stat_activity WHERE pid = %d",
                            runner_work_pid(f->r));
        char *n = one_value(f->observer, q);
        bool gone = strcmp(n, "0") == 0;
        free(n);
        free(q);
        if (gone)
            break;
        usleep(50 * 1000);
    }
    sw_error err = {0};
    assert_int_equal(runner_commit(f->r, &err), SW_OK);
    run_result res;
    expect_done(f, RUN_FAILED, &res);
    assert_contains(res.message, "0002_isbn.up.sql: COMMIT failed: ");
    assert_true(res.schema_checked);
    assert_null(res.remains);
    run_result_free(&res);
    assert_null(history_row_of(f, "0002"));
    assert_false(has_column(f, "books", "isbn"));
    char *ev = last_event(f);
    assert_contains(ev, "apply|0002|failed|");
    free(ev);
}

#define BOTH(name)                                                                                \
    cmocka_unit_test_setup_teardown(name, setup_sqlite, teardown)
#define PG(name) cmocka_unit_test_setup_teardown(name, setup_pg, teardown)

int main(void)
{
    const char *pg = getenv("STEPWISE_TEST_PG");
    if (!pg || !*pg) {
        const struct CMUnitTest tests[] = {
            BOTH(test_hold_commit),     BOTH(test_hold_stop),
            BOTH(test_step_commit),     BOTH(test_step_hold_commit),
            BOTH(test_step_stop),       BOTH(test_step_failure_located),
            BOTH(test_notx_step_stop),  BOTH(test_plain_never_pauses),
        };
        return cmocka_run_group_tests_name("apply_steps_sqlite", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        PG(test_hold_commit),          PG(test_hold_stop),
        PG(test_step_commit),          PG(test_step_hold_commit),
        PG(test_step_stop),            PG(test_step_failure_located),
        PG(test_notx_step_stop),       PG(test_plain_never_pauses),
        PG(test_pg_step_cancel_waiting), PG(test_pg_commit_fails),
    };
    return cmocka_run_group_tests_name("apply_steps_pg", tests, NULL, NULL);
}
