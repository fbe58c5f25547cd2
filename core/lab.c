/* The lock lab's database work: the scratch database, its data, and the
 * application sessions (one thread and one connection each). */
#include "config.h"

#include "core/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

/* ------------------------------------------------------------ scenarios */

static const struct {
    const char *name, *start, *summary;
} scenarios[LAB_SCENARIO_COUNT] = {
    [LAB_BLOCKER] = {"blocker", "0005",
                     "a session idle in transaction holds orders; 0006 alters orders"},
    [LAB_LOCK_TIMEOUT] = {"lock-timeout", "0005",
                          "long reports read orders; 0006 hits lock_timeout, you retry"},
    [LAB_FAILED_INDEX] = {"failed-index", "0013",
                          "0014's concurrent unique index fails on a duplicate email"},
    [LAB_DEADLOCK] = {"deadlock", "0005",
                      "two application sessions deadlock; the server breaks it"},
};

const char *lab_scenario_name(int scenario)
{
    return scenario >= 0 && scenario < LAB_SCENARIO_COUNT ? scenarios[scenario].name : "?";
}

const char *lab_scenario_summary(int scenario)
{
    return scenario >= 0 && scenario < LAB_SCENARIO_COUNT ? scenarios[scenario].summary : "";
}

const char *lab_scenario_start(int scenario)
{
    return scenario >= 0 && scenario < LAB_SCENARIO_COUNT ? scenarios[scenario].start : NULL;
}

int lab_scenario_find(const char *name)
{
    for (int i = 0; name && i < LAB_SCENARIO_COUNT; i++)
        if (strcmp(name, scenarios[i].name) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------ scratch database */

char *lab_database_name(void)
{
    unsigned int r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool got = fd >= 0 && read(fd, &r, sizeof r) == (ssize_t)sizeof r;
    if (fd >= 0)
        close(fd);
    if (!got) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = (unsigned int)ts.tv_nsec ^ ((unsigned int)getpid() << 16);
    }
    return xasprintf("%s%08x", LAB_DB_PREFIX, r);
}

char *lab_conninfo_for(const char *conninfo, const char *dbname, sw_error *err)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &why);
    if (!opts) {
        char *line = why ? text_one_line(why) : xstrdup("out of memory");
        sw_error_set(err, SW_USAGE, "libpq cannot read the target: %s", line);
        free(line);
        PQfreemem(why);
        return NULL;
    }
    strbuf sb = {0};
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "dbname") != 0)
            db_conninfo_append(&sb, o->keyword, o->val);
    db_conninfo_append(&sb, "dbname", dbname);
    PQconninfoFree(opts);
    return strbuf_detach(&sb);
}

/* Scratch names are ours (LAB_DB_PREFIX and hex), but a name given to
 * --cleanup comes from the server: quote it anyway. */
sw_status lab_create(db *maint, const char *name, const char *made_by, sw_error *err)
{
    char *ident = db_quote_ident(maint, name);
    char *sql = xasprintf("CREATE DATABASE %s", ident);
    sw_status rc = db_exec(maint, sql, err);
    free(sql);
    if (rc == SW_OK) {
        time_t now = time(NULL);
        struct tm tm;
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", localtime_r(&now, &tm));
        char *text = xasprintf("%s, made by %s at %s (stepwise lab --cleanup drops it)",
                               LAB_DB_COMMENT, made_by, when);
        char *literal = db_quote_literal(maint, text);
        sql = xasprintf("COMMENT ON DATABASE %s IS %s", ident, literal);
        rc = db_exec(maint, sql, err);
        free(sql);
        free(literal);
        free(text);
        if (rc != SW_OK) {
            sw_error ignored = {0};
            lab_drop(maint, name, &ignored);
            sw_error_clear(&ignored);
        }
    }
    free(ident);
    return rc;
}

sw_status lab_drop(db *maint, const char *name, sw_error *err)
{
    const char *params[] = {name};
    db_result *r = NULL;
    sw_status rc = db_query(maint,
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = $1 AND pid <> pg_backend_pid()",
                            1, params, &r, err);
    db_result_free(r);
    if (rc != SW_OK)
        return rc;
    /* DROP DATABASE waits up to 5 s for the ended sessions to go. */
    char *ident = db_quote_ident(maint, name);
    char *sql = xasprintf("DROP DATABASE IF EXISTS %s", ident);
    rc = db_exec(maint, sql, err);
    free(sql);
    free(ident);
    return rc;
}

sw_status lab_list(db *maint, db_result **out, sw_error *err)
{
    return db_query(maint,
                    "SELECT d.datname AS name, "
                    "coalesce(shobj_description(d.oid, 'pg_database'), '') AS comment, "
                    "(SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid) "
                    "AS sessions "
                    "FROM pg_database d WHERE d.datname LIKE 'stepwise\\_lab\\_%' "
                    "ORDER BY d.datname",
                    0, NULL, out, err);
}

/* ------------------------------------------------------------------ data */

sw_status lab_load(db *d, long orders, sw_error *err)
{
    /* The tables were made by 0001-0005 in a new database: identities
     * begin at 1. Each order gets one or two lines. Two pairs of
     * customers share an email up to case: 0014's unique index on
     * lower(email) fails on them. */
    char *sql = xasprintf(
        "INSERT INTO authors (name, born) "
        "SELECT 'Author ' || g, 1900 + g %% 100 FROM generate_series(1, 500) AS g;\n"
        "INSERT INTO books (author_id, title, isbn, price_cents) "
        "SELECT 1 + g %% 500, 'Book ' || g, 'isbn-' || lpad(g::text, 9, '0'), "
        "500 + (g * 37) %% 5000 FROM generate_series(1, 5000) AS g;\n"
        "INSERT INTO customers (email, full_name) "
        "SELECT 'customer' || g || '@example.com', 'Customer ' || g "
        "FROM generate_series(1, 20000) AS g;\n"
        "INSERT INTO customers (email, full_name) VALUES "
        "('Ann.Lee@example.com', 'Ann Lee'), ('ann.lee@example.com', 'Ann Lee'), "
        "('Bo.Chen@example.com', 'Bo Chen'), ('bo.chen@Example.com', 'Bo Chen');\n"
        "INSERT INTO orders (customer_id, placed_at, status) "
        "SELECT 1 + (g * 7919) %% 20000, now() - (g %% 5000) * interval '1 hour', "
        "(ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g %% 4] "
        "FROM generate_series(1, %ld) AS g;\n"
        "INSERT INTO order_lines (order_id, book_id, quantity, unit_price) "
        "SELECT o.id, b.id, 1 + o.id %% 3, b.price_cents / 100.0 "
        "FROM orders AS o JOIN books AS b ON b.id = 1 + (o.id * 31) %% 5000;\n"
        "INSERT INTO order_lines (order_id, book_id, quantity, unit_price) "
        "SELECT o.id, b.id, 1, b.price_cents / 100.0 "
        "FROM orders AS o JOIN books AS b ON b.id = 1 + (o.id * 31 + 17) %% 5000 "
        "WHERE o.id %% 2 = 0;\n"
        "ANALYZE;\n",
        orders);
    sw_status rc = db_exec(d, sql, err);
    free(sql);
    return rc;
}

/* ------------------------------------------------------------ the app */

enum role {
    ROLE_INSERT,     /* new orders */
    ROLE_UPDATE,     /* orders paid */
    ROLE_READER,     /* a customer's orders */
    ROLE_BLOCKER,    /* idle in transaction, a row of orders locked */
    ROLE_REPORT,     /* long reports over orders */
    ROLE_DEADLOCK_A, /* rows 2 then 3 */
    ROLE_DEADLOCK_B, /* rows 3 then 2 */
};

static const char *const role_names[] = {
    [ROLE_INSERT] = "lab: new orders",
    [ROLE_UPDATE] = "lab: payments",
    [ROLE_READER] = "lab: order pages",
    [ROLE_BLOCKER] = "lab: forgotten tx",
    [ROLE_REPORT] = "lab: report",
    [ROLE_DEADLOCK_A] = "lab: deadlock A",
    [ROLE_DEADLOCK_B] = "lab: deadlock B",
};

/* The rows the scenario sessions lock; the writers keep off them. */
#define BLOCKER_ROW 1
#define DEADLOCK_ROW_1 2
#define DEADLOCK_ROW_2 3
#define FIRST_FREE_ROW 10

#define MAX_SESSIONS 6

typedef struct lab_session {
    lab_app *app;
    enum role role;
    pthread_t thread;
    bool started;
    db *d;
    unsigned int seed;
    /* Under app->mu. */
    long ok, failed;
    int pid;
    bool ended;      /* the blocker: terminated, it does not come back */
    bool ready_when_sent; /* count the scenario ready when the next script is sent */
} lab_session;

struct lab_app {
    char *conninfo;
    db_target target;
    const history_table *table;
    char *actor;
    int scenario;
    long orders;
    double report_seconds, report_pause, deadlock_every;
    struct timespec t0;
    atomic_bool stop;
    atomic_int ready;     /* scenario sessions set up */
    int need_ready;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    long deadlocks;
    lab_session s[MAX_SESSIONS];
    int n;
};

static double since_start(const lab_app *a)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - a->t0.tv_sec) + (double)(ts.tv_nsec - a->t0.tv_nsec) / 1e9;
}

/* Sleep up to `seconds`; false when the app is stopping. */
static bool nap(lab_app *a, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)(seconds * 1e9);
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&a->mu);
    while (!atomic_load(&a->stop)) {
        if (pthread_cond_timedwait(&a->wake, &a->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&a->mu);
    return !atomic_load(&a->stop);
}

static void count(lab_session *s, bool ok)
{
    pthread_mutex_lock(&s->app->mu);
    if (ok)
        s->ok++;
    else
        s->failed++;
    pthread_mutex_unlock(&s->app->mu);
}

static void disconnect(lab_session *s)
{
    if (s->d)
        db_close(s->d);
    s->d = NULL;
    pthread_mutex_lock(&s->app->mu);
    s->pid = 0;
    pthread_mutex_unlock(&s->app->mu);
}

/* Connect when not connected; false (after a pause) when it cannot. */
static bool connect_session(lab_session *s)
{
    if (s->d)
        return true;
    sw_error err = {0};
    db *d = NULL;
    if (db_open(&s->app->target, DB_OPEN_EXISTING, &d, &err) != SW_OK) {
        if (d)
            db_close(d);
        sw_error_clear(&err);
        nap(s->app, 2.0);
        return false;
    }
    char *name = db_quote_literal(d, role_names[s->role]);
    char *sql = xasprintf("SET application_name = %s", name);
    sw_status rc = db_exec(d, sql, &err);
    free(sql);
    free(name);
    sw_error_clear(&err);
    if (rc != SW_OK) {
        db_close(d);
        nap(s->app, 2.0);
        return false;
    }
    s->d = d;
    pthread_mutex_lock(&s->app->mu);
    s->pid = db_backend_pid(d);
    pthread_mutex_unlock(&s->app->mu);
    return true;
}

/* Whether an error means the connection is gone (terminated, server
 * down, network): then the session connects again. */
static bool connection_gone(const db_outcome *o)
{
    return !o->sqlstate[0] || strncmp(o->sqlstate, "08", 2) == 0 ||
           strncmp(o->sqlstate, "57P", 3) == 0;
}

/* Run a script, cancelling it when the app stops. The error's message in
 * *message (newly allocated) when asked for. */
static bool run(lab_session *s, const char *sql, db_outcome *out, char **message)
{
    sw_error err = {0};
    memset(out, 0, sizeof *out);
    if (db_send(s->d, sql, &err) != SW_OK) {
        if (message)
            *message = xstrdup(err.message);
        sw_error_clear(&err);
        disconnect(s);
        return false;
    }
    if (s->ready_when_sent) {
        s->ready_when_sent = false;
        atomic_fetch_add(&s->app->ready, 1);
    }
    bool done = false, cancelled = false;
    while (!done) {
        if (db_poll(s->d, 200, &done, &err) != SW_OK) {
            sw_error_clear(&err);
            break;
        }
        if (!done && !cancelled && atomic_load(&s->app->stop)) {
            db_cancel(s->d, &err);
            sw_error_clear(&err);
            cancelled = true;
        }
    }
    sw_status rc = db_finish(s->d, out, &err);
    if (rc != SW_OK && message)
        *message = xstrdup(err.message);
    sw_error_clear(&err);
    if (rc != SW_OK && connection_gone(out))
        disconnect(s);
    return rc == SW_OK;
}

static bool has_total(lab_session *s)
{
    db_result *r = NULL;
    sw_error err = {0};
    bool yes = db_query(s->d,
                        "SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' "
                        "AND column_name = 'total_cents' AND table_schema = current_schema()",
                        0, NULL, &r, &err) == SW_OK &&
               r->nrows > 0;
    db_result_free(r);
    sw_error_clear(&err);
    return yes;
}

static long pick_row(lab_session *s)
{
    long span = s->app->orders > FIRST_FREE_ROW ? s->app->orders - FIRST_FREE_ROW : 1;
    return FIRST_FREE_ROW + (long)(rand_r(&s->seed) % (unsigned long)span);
}

/* The steady application: small statements, a few a second each. */
static void play_steady(lab_session *s)
{
    int total = -1; /* orders.total_cents: -1 not known yet */
    while (!atomic_load(&s->app->stop)) {
        if (!connect_session(s))
            continue;
        char *sql;
        if (s->role == ROLE_INSERT) {
            if (total < 0)
                total = has_total(s) ? 1 : 0;
            long customer = 1 + (long)(rand_r(&s->seed) % 20000u);
            sql = total ? xasprintf("INSERT INTO orders (customer_id, status, total_cents) "
                                    "VALUES (%ld, 'new', 0)", customer)
                        : xasprintf("INSERT INTO orders (customer_id, status) VALUES (%ld, 'new')",
                                    customer);
        } else if (s->role == ROLE_UPDATE) {
            sql = xasprintf("UPDATE orders SET status = 'paid' WHERE id = %ld AND status = 'new'",
                            pick_row(s));
        } else {
            sql = xasprintf("SELECT id, placed_at, status FROM orders WHERE customer_id = %ld "
                            "ORDER BY placed_at DESC LIMIT 20",
                            1 + (long)(rand_r(&s->seed) % 20000u));
        }
        db_outcome o;
        bool ok = run(s, sql, &o, NULL);
        free(sql);
        count(s, ok);
        /* A migration changed orders: look at its columns again. */
        if (!ok && s->d)
            total = -1;
        nap(s->app, s->role == ROLE_READER ? 0.5 : 0.25);
    }
}

/* A transaction left open: a row of orders locked, then nothing, until
 * someone ends the session. Its end is seen on the socket. */
static void play_blocker(lab_session *s)
{
    bool counted = false;
    while (!atomic_load(&s->app->stop)) {
        if (!connect_session(s))
            continue;
        db_outcome o;
        char *sql = xasprintf("BEGIN; UPDATE orders SET status = status WHERE id = %d",
                              BLOCKER_ROW);
        bool ok = run(s, sql, &o, NULL);
        free(sql);
        count(s, ok);
        if (!counted) {
            counted = true;
            atomic_fetch_add(&s->app->ready, 1);
        }
        if (!ok) {
            nap(s->app, 1.0);
            continue;
        }
        struct pollfd p = {.fd = db_socket(s->d), .events = POLLIN};
        while (!atomic_load(&s->app->stop)) {
            int n = poll(&p, 1, 200);
            if (n > 0) {
                /* The server spoke first: the session was ended. */
                disconnect(s);
                pthread_mutex_lock(&s->app->mu);
                s->ended = true;
                pthread_mutex_unlock(&s->app->mu);
                return;
            }
        }
    }
}

static void play_report(lab_session *s)
{
    s->ready_when_sent = true; /* the report holds its lock once it runs */
    while (!atomic_load(&s->app->stop)) {
        if (!connect_session(s))
            continue;
        char *sql = xasprintf("SELECT count(*) AS orders, pg_sleep(%.1f) FROM orders",
                              s->app->report_seconds);
        db_outcome o;
        count(s, run(s, sql, &o, NULL));
        free(sql);
        nap(s->app, s->app->report_pause);
    }
}

static void record_deadlock(lab_session *s, const char *message)
{
    pthread_mutex_lock(&s->app->mu);
    s->app->deadlocks++;
    pthread_mutex_unlock(&s->app->mu);
    if (!s->app->table || !s->d)
        return;
    sw_error err = {0};
    history_event(s->d, s->app->table, s->app->actor, "lab_deadlock", NULL,
                  "failed: deadlock detected", message, &err);
    sw_error_clear(&err);
}

/* Each round, at the same moment, A locks row 2 then 3 and B row 3 then
 * 2: each waits for the other, and after deadlock_timeout the server
 * ends one of the two transactions. */
static void play_deadlock(lab_session *s)
{
    bool a = s->role == ROLE_DEADLOCK_A;
    int first = a ? DEADLOCK_ROW_1 : DEADLOCK_ROW_2, second = a ? DEADLOCK_ROW_2 : DEADLOCK_ROW_1;
    long round = 0;
    bool counted = false;
    while (!atomic_load(&s->app->stop)) {
        if (!connect_session(s))
            continue;
        if (!counted) {
            counted = true;
            atomic_fetch_add(&s->app->ready, 1);
        }
        double at = 2.0 + (double)round * s->app->deadlock_every, now = since_start(s->app);
        if (now > at) {
            round = (long)((now - 2.0) / s->app->deadlock_every) + 1;
            continue;
        }
        if (!nap(s->app, at - now))
            break;
        round++;
        db_outcome o;
        char *message = NULL;
        char *sql = xasprintf("BEGIN; UPDATE orders SET status = status WHERE id = %d; "
                              "SELECT pg_sleep(0.5); "
                              "UPDATE orders SET status = status WHERE id = %d; COMMIT",
                              first, second);
        bool ok = run(s, sql, &o, &message);
        free(sql);
        count(s, ok);
        if (!ok && s->d) {
            char *rollback_message = NULL;
            db_outcome r;
            run(s, "ROLLBACK", &r, &rollback_message);
            free(rollback_message);
            if (strcmp(o.sqlstate, "40P01") == 0)
                record_deadlock(s, message);
        }
        free(message);
    }
}

static void *session_main(void *arg)
{
    lab_session *s = arg;
    switch (s->role) {
    case ROLE_BLOCKER:
        play_blocker(s);
        break;
    case ROLE_REPORT:
        play_report(s);
        break;
    case ROLE_DEADLOCK_A:
    case ROLE_DEADLOCK_B:
        play_deadlock(s);
        break;
    default: /* the writers and the reader */
        play_steady(s);
        break;
    }
    disconnect(s);
    return NULL;
}

static void add_session(lab_app *a, enum role role)
{
    lab_session *s = &a->s[a->n++];
    s->app = a;
    s->role = role;
    s->seed = (unsigned int)(a->n * 7919) ^ (unsigned int)getpid();
}

sw_status lab_app_start(const lab_app_config *cfg, lab_app **out, sw_error *err)
{
    *out = NULL;
    lab_app *a = xcalloc(1, sizeof *a);
    if (db_target_parse(cfg->conninfo, DB_FROM_OPTION, &a->target, err) != SW_OK) {
        free(a);
        return err->status;
    }
    a->conninfo = xstrdup(cfg->conninfo);
    a->table = cfg->table;
    a->actor = xstrdup(cfg->actor ? cfg->actor : "stepwise lab");
    a->scenario = cfg->scenario;
    a->orders = cfg->orders;
    a->report_seconds = cfg->report_seconds > 0 ? cfg->report_seconds : 20;
    a->report_pause = cfg->report_pause > 0 ? cfg->report_pause : 10;
    a->deadlock_every = cfg->deadlock_every > 0 ? cfg->deadlock_every : 20;
    clock_gettime(CLOCK_MONOTONIC, &a->t0);
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    add_session(a, ROLE_INSERT);
    add_session(a, ROLE_UPDATE);
    add_session(a, ROLE_READER);
    switch (cfg->scenario) {
    case LAB_BLOCKER:
        add_session(a, ROLE_BLOCKER);
        a->need_ready = 1;
        break;
    case LAB_LOCK_TIMEOUT:
        add_session(a, ROLE_REPORT);
        a->need_ready = 1;
        break;
    case LAB_DEADLOCK:
        add_session(a, ROLE_DEADLOCK_A);
        add_session(a, ROLE_DEADLOCK_B);
        a->need_ready = 2;
        break;
    default:
        break;
    }
    /* The sessions' threads take no signals: the lab's own thread does. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < a->n; i++)
        a->s[i].started = pthread_create(&a->s[i].thread, NULL, session_main, &a->s[i]) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    for (int i = 0; i < a->n; i++) {
        if (!a->s[i].started) {
            lab_app_stop(a);
            return sw_error_set(err, SW_FAILED, "cannot start the lab's application sessions");
        }
    }
    *out = a;
    return SW_OK;
}

bool lab_app_ready(lab_app *a)
{
    return atomic_load(&a->ready) >= a->need_ready;
}

char *lab_app_status(lab_app *a)
{
    strbuf sb = {0};
    pthread_mutex_lock(&a->mu);
    long ok = 0, failed = 0;
    for (int i = 0; i < a->n; i++) {
        lab_session *s = &a->s[i];
        if (s->role == ROLE_INSERT || s->role == ROLE_UPDATE || s->role == ROLE_READER) {
            ok += s->ok;
            failed += s->failed;
        }
    }
    strbuf_appendf(&sb, "application: %ld statements done, %ld failed", ok, failed);
    for (int i = 0; i < a->n; i++) {
        lab_session *s = &a->s[i];
        if (s->role == ROLE_BLOCKER)
            strbuf_appendf(&sb, "; the forgotten transaction %s",
                           s->ended ? "was ended" : "is still open");
        else if (s->role == ROLE_REPORT)
            strbuf_appendf(&sb, "; %ld reports", s->ok);
    }
    if (a->scenario == LAB_DEADLOCK)
        strbuf_appendf(&sb, "; %ld deadlocks broken by the server", a->deadlocks);
    pthread_mutex_unlock(&a->mu);
    return strbuf_detach(&sb);
}

void lab_app_stop(lab_app *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    atomic_store(&a->stop, true);
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < a->n; i++)
        if (a->s[i].started)
            pthread_join(a->s[i].thread, NULL);
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->mu);
    db_target_free(&a->target);
    free(a->conninfo);
    free(a->actor);
    free(a);
}
