/* `stepwise lab`: the PostgreSQL lock lab. After confirmation, a scratch
 * database on the server the user names, the lab migrations applied up to
 * the scenario's starting point with enough data that locks matter, the
 * application's sessions in the background, and the console with the
 * scenario's briefing and hints. On the way out (q, Ctrl-C, SIGTERM,
 * SIGHUP, a lost connection) the sessions end and the database is
 * dropped; `stepwise lab --cleanup` drops what a crashed run left. */
#include "config.h"

#include "tui/cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/history.h"
#include "core/lab.h"
#include "core/util.h"
#include "tui/console.h"
#include "tui/migrate.h"

#define LAB_USAGE "Usage: stepwise lab [--db TARGET] [--scenario NAME] [--orders N] [--yes]\n" \
                  "       stepwise lab --cleanup [--db TARGET] [--yes]"

static volatile sig_atomic_t lab_signal;

static void on_signal(int sig)
{
    lab_signal = sig;
    console_stop_signal = 1;
}

static void catch_signals(bool on)
{
    struct sigaction sa = {0};
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* The server: --db, else libpq's environment. $STEPWISE_DB and
 * $DATABASE_URL are not used: they name the application's database, and
 * the lab makes and drops databases on that server. */
static sw_status lab_target(const cli_options *opts, db_target *t, sw_error *err)
{
    sw_status rc = db_target_resolve(opts->db, NULL, NULL, t, err);
    if (rc == SW_OK && t->kind != DB_POSTGRES)
        rc = sw_error_set(err, SW_USAGE,
                          "the lab needs a PostgreSQL server, not %s (stepwise demo runs on SQLite)",
                          t->display);
    return rc;
}

static bool yes_answer(const char *prompt)
{
    char *answer = ask(prompt);
    bool yes = answer && (strcmp(answer, "y") == 0 || strcmp(answer, "yes") == 0);
    free(answer);
    return yes;
}

static char *made_by(db *d)
{
    audit_actor actor = {0};
    audit_actor_system(&actor);
    db_server_info info = {0};
    sw_error err = {0};
    if (db_server_info_get(d, &info, &err) == SW_OK)
        actor.db_user = info.user;
    sw_error_clear(&err);
    char *text = history_actor_text(&actor);
    char *out = xasprintf("%s pid=%d", text, (int)getpid());
    free(text);
    db_server_info_free(&info);
    return out;
}

/* ---------------------------------------------------------------- cleanup */

static int cleanup(const cli_options *opts)
{
    db_target t = {0};
    db *d = NULL;
    sw_error err = {0};
    db_result *r = NULL;
    int rc = SW_OK;
    if (lab_target(opts, &t, &err) != SW_OK || db_open(&t, DB_OPEN_EXISTING, &d, &err) != SW_OK ||
        lab_list(d, &r, &err) != SW_OK) {
        rc = report_error(&err);
        goto out;
    }
    size_t mine = 0;
    char **drop = xcalloc((size_t)r->nrows + 1, sizeof *drop);
    for (int i = 0; i < r->nrows; i++) {
        const char *name = db_result_value(r, i, 0), *comment = db_result_value(r, i, 1);
        long sessions = atol(db_result_value(r, i, 2));
        if (strncmp(comment, LAB_DB_COMMENT, strlen(LAB_DB_COMMENT)) != 0) {
            printf("%s: left alone, its comment does not say stepwise lab made it\n", name);
        } else if (sessions > 0) {
            printf("%s: left alone, %ld session%s connected (a lab still running?)\n", name,
                   sessions, sessions == 1 ? " is" : "s are");
            rc = SW_FAILED;
        } else {
            printf("%s: %s\n", name, comment);
            drop[mine++] = xstrdup(name);
        }
    }
    if (mine == 0) {
        printf("no scratch database of stepwise lab to drop on %s\n", t.display);
    } else if (!opts->yes && !isatty(STDIN_FILENO)) {
        rc = usage_error("Give --yes to drop them without a terminal.",
                         "stepwise lab --cleanup asks before dropping %zu database%s", mine,
                         mine == 1 ? "" : "s");
    } else if (!opts->yes &&
               !yes_answer(mine == 1 ? "Drop it? [y/N] " : "Drop them? [y/N] ")) {
        printf("nothing dropped\n");
    } else {
        for (size_t i = 0; i < mine; i++) {
            if (lab_drop(d, drop[i], &err) == SW_OK) {
                printf("dropped %s\n", drop[i]);
            } else {
                report_error(&err);
                sw_error_clear(&err);
                rc = SW_FAILED;
            }
        }
    }
    for (size_t i = 0; i < mine; i++)
        free(drop[i]);
    free(drop);
out:
    db_result_free(r);
    if (d)
        db_close(d);
    db_target_free(&t);
    sw_error_clear(&err);
    return rc;
}

/* ------------------------------------------------------------- briefings */

static const char *const briefings[LAB_SCENARIO_COUNT] = {
    [LAB_BLOCKER] =
        "Scenario blocker: a forgotten transaction\n"
        "\n"
        "The bookshop is live: sessions named 'lab: ...' write orders and read\n"
        "them all the time. One of them, 'lab: forgotten tx', began a\n"
        "transaction, updated an order and never finished: it is idle in\n"
        "transaction, holding a lock on orders.\n"
        "\n"
        "The next migration, 0006, adds a column to orders. ALTER TABLE wants an\n"
        "ACCESS EXCLUSIVE lock: it waits for the forgotten transaction, and\n"
        "every query on orders that comes after it waits behind the migration.\n"
        "That queue is the outage.\n"
        "\n"
        "1. u plans 0006; read the plan, y runs it. The apply view shows what it\n"
        "   waits for, who holds it, and the sessions queued behind it.\n"
        "2. 2 opens the locks view: the blocking tree, the migration marked.\n"
        "3. Select the root blocker (g: the first line) and K terminates it\n"
        "   after you answer y. In the apply view, K does the same for the\n"
        "   session it waits on (y, then its pid typed); x would cancel the\n"
        "   migration instead and let the queue go.\n"
        "4. Back in the apply view (A), the migration has its lock: c commits.\n"
        "5. 4 opens the history: every step is on record.\n"
        "\n"
        "The hint line at the bottom follows you (t hides it). q leaves the lab:\n"
        "its sessions end and its database is dropped.\n"
        "\n"
        "Esc closes this page.",
    [LAB_LOCK_TIMEOUT] =
        "Scenario lock-timeout: a long report\n"
        "\n"
        "The bookshop is live, and 'lab: report' reads every order: a\n"
        "query that holds a lock on orders for about 20 seconds, then pauses\n"
        "for about 10 before the next.\n"
        "\n"
        "The next migration, 0006, adds a column to orders; the lab runs the\n"
        "console with lock_timeout 2s. The migration's ALTER TABLE cannot get\n"
        "its lock while the report runs: after 2 s it gives up and rolls back,\n"
        "so the queue behind it lasts 2 s, not 20.\n"
        "\n"
        "1. u plans 0006, y runs it: it hits the lock timeout.\n"
        "2. 3 opens the activity view: the report, running for long. (The\n"
        "   locks view, 2, shows only waits: nobody waits now.)\n"
        "3. A: in the apply view, t retries now, p retries after a pause. Once\n"
        "   the report is over the retry gets its lock: c commits at the gate.\n"
        "4. 4 opens the history: the timeout and the retry.\n"
        "\n"
        "The hint line at the bottom follows you (t hides it). q leaves the lab:\n"
        "its sessions end and its database is dropped.\n"
        "\n"
        "Esc closes this page.",
    [LAB_FAILED_INDEX] =
        "Scenario failed-index: a concurrent index that fails\n"
        "\n"
        "0014 makes customers' emails unique whatever their case, with CREATE\n"
        "UNIQUE INDEX CONCURRENTLY: no transaction, no long lock. But two pairs\n"
        "of customers share an email up to case. The build fails and leaves an\n"
        "INVALID index behind, and the migration dirty.\n"
        "\n"
        "1. u plans 0014; it runs outside a transaction, so you confirm each\n"
        "   statement with y. The second one fails: 0014 is dirty.\n"
        "2. :psql opens psql on the lab's database. Find the duplicates:\n"
        "     SELECT lower(email), array_agg(id) FROM customers\n"
        "     GROUP BY 1 HAVING count(*) > 1;\n"
        "   give one of each pair another email, e.g.\n"
        "     UPDATE customers SET email = 'ann.lee+2@example.com'\n"
        "     WHERE email = 'ann.lee@example.com';\n"
        "   drop the invalid index, then leave psql (\\q):\n"
        "     DROP INDEX CONCURRENTLY customers_email_lower_key;\n"
        "3. 1 goes to the migrations list, where r resumes 0014 at the\n"
        "   statement that failed: y, and it is done.\n"
        "4. 4 opens the history: the failure, then the resume.\n"
        "\n"
        "The hint line at the bottom follows you (t hides it). q leaves the lab:\n"
        "its sessions end and its database is dropped.\n"
        "\n"
        "Esc closes this page.",
    [LAB_DEADLOCK] =
        "Scenario deadlock: two sessions wait on each other\n"
        "\n"
        "Every 20 seconds 'lab: deadlock A' updates order 2 then order 3, and\n"
        "'lab: deadlock B' order 3 then order 2, at the same moment. Each holds\n"
        "what the other wants. After deadlock_timeout (1 s by default) the\n"
        "server's deadlock detector ends one of the two transactions; the\n"
        "other goes on. The lab records each in the history (lab_deadlock),\n"
        "with the server's message naming both processes.\n"
        "\n"
        "1. 3 opens the activity view: catch A and B waiting.\n"
        "2. 4 opens the history: the deadlocks the server broke.\n"
        "3. Migrations still run: u plans 0006; y, then c at the gate. It may\n"
        "   wait a moment behind a deadlocked pair, never longer.\n"
        "\n"
        "The hint line at the bottom follows you (t hides it). q leaves the lab:\n"
        "its sessions end and its database is dropped.\n"
        "\n"
        "Esc closes this page.",
};

/* ----------------------------------------------------------------- setup */

typedef struct lab_run {
    const cli_options *opts;
    int scenario;
    long orders;
    char *dir;
    db_target target;  /* the server, as the user named it */
    char *name;        /* the scratch database */
    char *conninfo;    /* ... and how to reach it */
    bool created;
    lab_app *app;
    history_table table;
    bool have_table;
    db *d;             /* the lab's own connection to the scratch database,
                          while it is set up */
} lab_run;

static bool interrupted(void)
{
    if (!lab_signal)
        return false;
    fprintf(stderr, "stepwise: lab stopped by signal %d while setting up\n", (int)lab_signal);
    return true;
}

/* `stepwise up --to VERSION --yes` on the scratch database. */
static int apply_to(lab_run *lr, const char *version)
{
    cli_options o = *lr->opts;
    o.db = lr->conninfo;
    o.dir = lr->dir;
    o.to = version;
    o.count = NULL;
    o.yes = true;
    o.confirm_db = lr->name;
    o.json = false;
    char up[] = "up";
    char *argv[] = {up, NULL};
    printf("applying the lab's migrations up to %s:\n", version);
    fflush(stdout);
    int rc = cmd_up(&o, 1, argv);
    catch_signals(true); /* up puts back the SIGINT handler it found */
    return rc;
}

static int set_up(lab_run *lr)
{
    sw_error err = {0};
    db *maint = NULL;
    if (db_open(&lr->target, DB_OPEN_EXISTING, &maint, &err) != SW_OK)
        return report_error(&err);
    char *by = made_by(maint);
    sw_status st = lab_create(maint, lr->name, by, &err);
    free(by);
    db_close(maint);
    if (st != SW_OK) {
        fprintf(stderr, "stepwise: cannot create the lab's database %s: %s\n", lr->name,
                err.message);
        fprintf(stderr, "The lab needs a role that may create databases (CREATEDB).\n");
        sw_error_clear(&err);
        return SW_FAILED;
    }
    lr->created = true;
    printf("created the database %s\n", lr->name);
    lr->conninfo = lab_conninfo_for(lr->target.conninfo, lr->name, &err);
    if (!lr->conninfo)
        return report_error(&err);
    int rc = apply_to(lr, LAB_LOAD_AFTER);
    if (rc != SW_OK || interrupted())
        return rc ? rc : SW_ABORTED;

    db_target t = {0};
    if (db_target_parse(lr->conninfo, DB_FROM_OPTION, &t, &err) != SW_OK ||
        db_open(&t, DB_OPEN_EXISTING, &lr->d, &err) != SW_OK) {
        db_target_free(&t);
        return report_error(&err);
    }
    db_target_free(&t);
    printf("loading %ld orders ... ", lr->orders);
    fflush(stdout);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (lab_load(lr->d, lr->orders, &err) != SW_OK) {
        printf("failed\n");
        return report_error(&err);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("done (%.1f s)\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (interrupted())
        return SW_ABORTED;
    const char *start = lab_scenario_start(lr->scenario);
    if (strcmp(start, LAB_LOAD_AFTER) != 0) {
        rc = apply_to(lr, start);
        if (rc != SW_OK || interrupted())
            return rc ? rc : SW_ABORTED;
    }
    if (history_table_init(lr->d, lr->opts->table, &lr->table, &err) != SW_OK)
        return report_error(&err);
    lr->have_table = true;

    audit_actor actor = {0};
    audit_actor_system(&actor);
    char *actor_text = history_actor_text(&actor);
    lab_app_config cfg = {
        .conninfo = lr->conninfo,
        .scenario = lr->scenario,
        .orders = lr->orders,
        .table = &lr->table,
        .actor = actor_text,
    };
    st = lab_app_start(&cfg, &lr->app, &err);
    if (st == SW_OK) {
        char *detail = xasprintf("scenario %s: %s", lab_scenario_name(lr->scenario),
                                 lab_scenario_summary(lr->scenario));
        history_event(lr->d, &lr->table, actor_text, "lab_start", NULL, "ok", detail, &err);
        free(detail);
        sw_error_clear(&err);
    }
    free(actor_text);
    /* The lab's own connection has done its work: the activity view shows
     * the application's sessions and the console's, nothing idle of ours. */
    db_close(lr->d);
    lr->d = NULL;
    if (st != SW_OK)
        return report_error(&err);
    /* The scenario's sessions hold their locks before the trainee looks. */
    for (int i = 0; i < 100 && !lab_app_ready(lr->app) && !lab_signal; i++)
        usleep(100 * 1000);
    if (!lab_app_ready(lr->app))
        fprintf(stderr, "stepwise: the scenario's sessions are not set up yet; going on\n");
    return interrupted() ? SW_ABORTED : SW_OK;
}

/* End the sessions, drop the database; false when it could not be
 * dropped (then --cleanup is the way). */
static bool tear_down(lab_run *lr)
{
    if (lr->app) {
        char *status = lab_app_status(lr->app);
        lab_app_stop(lr->app);
        lr->app = NULL;
        printf("the lab's sessions ended (%s)\n", status);
        free(status);
    }
    if (lr->d)
        db_close(lr->d);
    lr->d = NULL;
    if (!lr->created)
        return true;
    sw_error err = {0};
    db *maint = NULL;
    bool ok = false;
    /* A fresh connection: the first may be gone with the server. Two
     * tries, a second apart, for a server that is coming back. */
    for (int attempt = 0; attempt < 2 && !ok; attempt++) {
        if (attempt)
            sleep(1);
        sw_error_clear(&err);
        if (maint)
            db_close(maint);
        maint = NULL;
        ok = db_open(&lr->target, DB_OPEN_EXISTING, &maint, &err) == SW_OK &&
             lab_drop(maint, lr->name, &err) == SW_OK;
    }
    if (maint)
        db_close(maint);
    if (ok) {
        printf("dropped the database %s\n", lr->name);
    } else {
        fprintf(stderr,
                "stepwise: could not drop the lab's database %s: %s\n"
                "Once the server is reachable: stepwise lab --cleanup%s%s\n",
                lr->name, err.message, lr->opts->db ? " --db " : "",
                lr->opts->db ? "TARGET" : "");
    }
    sw_error_clear(&err);
    return ok;
}

static void lab_run_free(lab_run *lr)
{
    if (lr->have_table)
        history_table_free(&lr->table);
    db_target_free(&lr->target);
    free(lr->name);
    free(lr->conninfo);
    free(lr->dir);
}

static bool parse_orders(const char *text, long *out)
{
    char *end = NULL;
    long n = text ? strtol(text, &end, 10) : LAB_DEFAULT_ORDERS;
    if (text && (end == text || *end || n < 100 || n > 50000000))
        return false;
    *out = n;
    return true;
}

static bool confirm(const lab_run *lr, const db_server_info *info)
{
    printf("stepwise lab, scenario %s: %s\n"
           "\n"
           "On %s (PostgreSQL %s) it will:\n"
           "  - create the database %s\n"
           "  - apply the lab's migrations up to %s, with %ld orders loaded after %s\n"
           "  - run sessions named 'lab: ...' that play the bookshop's application\n"
           "  - open the console on it; when you leave, end the sessions and drop\n"
           "    the database (stepwise lab --cleanup drops what a crash left)\n"
           "\n",
           lab_scenario_name(lr->scenario), lab_scenario_summary(lr->scenario), lr->target.display,
           info->version ? info->version : "?", lr->name, lab_scenario_start(lr->scenario),
           lr->orders, LAB_LOAD_AFTER);
    if (lr->opts->yes)
        return true;
    return yes_answer("Go on? [y/N] ");
}

int cmd_lab(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error(LAB_USAGE, "lab takes no arguments (got '%s')", argv[1]);
    if (opts->cleanup)
        return cleanup(opts);
    lab_run lr = {.opts = opts};
    lr.scenario = opts->scenario ? lab_scenario_find(opts->scenario) : LAB_BLOCKER;
    if (lr.scenario < 0)
        return usage_error("Scenarios: blocker, lock-timeout, failed-index, deadlock.",
                           "no lab scenario '%s'", opts->scenario);
    if (!parse_orders(opts->orders, &lr.orders))
        return usage_error(LAB_USAGE, "--orders wants a whole number from 100 to 50000000, "
                                      "not '%s'", opts->orders);
    strbuf tried = {0};
    lr.dir = sample_dir(opts, "lab", &tried);
    if (!lr.dir) {
        int rc = usage_error("Name it with --dir DIR.", "no lab migrations folder; tried:%s",
                             strbuf_str(&tried));
        strbuf_free(&tried);
        return rc;
    }
    strbuf_free(&tried);
    if (!opts->yes && !isatty(STDIN_FILENO)) {
        lab_run_free(&lr);
        return usage_error("Give --yes to go on without a terminal.",
                           "stepwise lab asks before it creates a database");
    }
    sw_error err = {0};
    db *d = NULL;
    db_server_info info = {0};
    if (lab_target(opts, &lr.target, &err) != SW_OK ||
        db_open(&lr.target, DB_OPEN_EXISTING, &d, &err) != SW_OK ||
        db_server_info_get(d, &info, &err) != SW_OK) {
        if (d)
            db_close(d);
        int rc = report_error(&err);
        sw_error_clear(&err);
        lab_run_free(&lr);
        return rc;
    }
    db_close(d);
    if (info.in_recovery) {
        db_server_info_free(&info);
        int rc = usage_error("Name a primary with --db.", "%s is a replica (in recovery): the "
                                                         "lab creates a database",
                             lr.target.display);
        lab_run_free(&lr);
        return rc;
    }
    lr.name = lab_database_name();
    bool go = confirm(&lr, &info);
    db_server_info_free(&info);
    if (!go) {
        printf("nothing done\n");
        lab_run_free(&lr);
        return SW_OK;
    }

    catch_signals(true);
    int rc = set_up(&lr);
    if (rc == SW_OK) {
        cli_options o = *opts;
        o.db = lr.conninfo;
        o.dir = lr.dir;
        o.confirm_db = lr.name;
        o.walkthrough = true;
        o.scenario = lab_scenario_name(lr.scenario);
        o.briefing = briefings[lr.scenario];
        o.briefing_title = "Lab briefing";
        /* The blocker is watched while the migration waits; the report
         * outlasts a short lock_timeout. An option given wins. */
        if (!opts->lock_timeout)
            o.lock_timeout = lr.scenario == LAB_BLOCKER       ? "10min"
                             : lr.scenario == LAB_LOCK_TIMEOUT ? "2s"
                                                               : NULL;
        rc = console_main(&o);
    }
    if (!tear_down(&lr) && rc == SW_OK)
        rc = SW_FAILED;
    if (lab_signal && rc == SW_OK)
        rc = SW_ABORTED;
    catch_signals(false);
    lab_run_free(&lr);
    return rc;
}
