/* `stepwise lab` (the PostgreSQL lock lab): the scratch database, the data
 * that makes locks matter, and the background sessions that play an
 * application while a trainee runs migrations (tui/cmd_lab.c drives it). */
#ifndef STEPWISE_LAB_H
#define STEPWISE_LAB_H

#include <stdbool.h>

#include "core/db.h"
#include "core/error.h"
#include "core/history.h"

enum lab_scenario {
    LAB_BLOCKER,      /* an idle-in-transaction session holds orders */
    LAB_LOCK_TIMEOUT, /* long reports on orders: the migration times out */
    LAB_FAILED_INDEX, /* the concurrent unique index fails on a duplicate */
    LAB_DEADLOCK,     /* two application sessions deadlock now and then */
    LAB_SCENARIO_COUNT
};

/* Every scratch database's name begins so; --cleanup looks for them. */
#define LAB_DB_PREFIX "stepwise_lab_"
/* COMMENT ON DATABASE of a scratch database begins so: --cleanup drops a
 * database only when both its name and its comment say it is the lab's. */
#define LAB_DB_COMMENT "stepwise lab scratch database"
/* The default number of orders loaded. */
#define LAB_DEFAULT_ORDERS 200000L

const char *lab_scenario_name(int scenario);
/* One line: what the scenario plays. */
const char *lab_scenario_summary(int scenario);
/* -1 when the name is not a scenario. */
int lab_scenario_find(const char *name);
/* The version the history is loaded up to before the trainee starts. */
const char *lab_scenario_start(int scenario);
/* The version after which the data is loaded (the tables exist). */
#define LAB_LOAD_AFTER "0005"

/* A fresh name: stepwise_lab_ and 8 hex digits. Newly allocated. */
char *lab_database_name(void);

/* The target's conninfo (keyword string, URI or "" for libpq's
 * environment) with the database replaced: a keyword string that libpq
 * reads the same way. NULL, with SW_USAGE, when libpq cannot parse it. */
char *lab_conninfo_for(const char *conninfo, const char *dbname, sw_error *err);

/* On a connection to another database of the server: create the scratch
 * database and mark it with LAB_DB_COMMENT (who made it, when). */
sw_status lab_create(db *maint, const char *name, const char *made_by, sw_error *err);
/* End every session on it, then drop it (IF EXISTS). */
sw_status lab_drop(db *maint, const char *name, sw_error *err);
/* The lab's databases on the server: columns name, comment, sessions
 * (how many sessions are connected to it now). */
sw_status lab_list(db *maint, db_result **out, sw_error *err);

/* Load the bookshop's data on the scratch database once the tables of
 * migrations 0001-0005 exist: authors, books, customers (with a few
 * emails that differ only in case, for the failed-index scenario),
 * `orders` orders and their lines; then ANALYZE. */
sw_status lab_load(db *d, long orders, sw_error *err);

/* The application: background sessions on the scratch database, each a
 * thread with its own connection (application_name "lab: ..."):
 * two steady small writers on orders in every scenario, and the
 * scenario's own sessions. Deadlocks the server breaks are recorded in
 * the events table of `table` with action lab_deadlock. */
typedef struct lab_app lab_app;
typedef struct lab_app_config {
    const char *conninfo;     /* the scratch database (lab_conninfo_for) */
    int scenario;
    long orders;              /* rows loaded: the writers pick ids below it */
    const history_table *table; /* its events table; outlives the app */
    const char *actor;        /* the events' actor */
    double report_seconds;    /* lock-timeout: each report's length */
    double report_pause;      /* lock-timeout: the gap between reports */
    double deadlock_every;    /* deadlock: seconds between deadlocks */
} lab_app_config;

sw_status lab_app_start(const lab_app_config *cfg, lab_app **out, sw_error *err);
/* One line: the sessions and what they did ("writers 2: 1,234 writes, ..."). */
char *lab_app_status(lab_app *a);
/* Whether the scenario's own session is set up (the blocker holds its
 * lock, the first report runs): the lab waits for it before the console. */
bool lab_app_ready(lab_app *a);
/* Stop every session: cancel what runs, close the connections. */
void lab_app_stop(lab_app *a);

#endif
