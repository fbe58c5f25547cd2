/* The history and events tables (DESIGN.md §4): naming them from
 * --table, creating them on first use, reading them (never needing
 * write access), the SQL that records a migration, and audit events. */
#ifndef STEPWISE_HISTORY_H
#define STEPWISE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/error.h"

#define HISTORY_DEFAULT_TABLE "stepwise_history"

typedef struct history_table {
    char *display;      /* as the user wrote it: "ops.schema_history" */
    char *schema;       /* NULL when not qualified */
    char *name;         /* "stepwise_history" */
    char *events_name;  /* "stepwise_events": _history becomes _events, else + "_events" */
    char *history_sql;  /* quoted by the driver: "ops"."stepwise_history" */
    char *events_sql;
    long long lock_key; /* the advisory lock key of runs on this table */
} history_table;

/* Understand `spec` ([schema.]name; NULL: the default) and quote it
 * through the connection's driver. SW_USAGE for an empty part, more than
 * one dot, or a name longer than PostgreSQL's 63 bytes. */
sw_status history_table_init(db *d, const char *spec, history_table *out, sw_error *err);
void history_table_free(history_table *t);

typedef struct history_row {
    char *version, *name, *checksum, *applied_at, *applied_by;
    long long duration_ms;  /* -1 when NULL */
    bool dirty;
    int steps_done;
    char *failure;          /* dirty rows: the detail of the version's last
                               event that did not end ok (which statement
                               failed and why), else NULL */
    bool dirty_down;        /* dirty rows: left by a rollback (a no-transaction
                               down script that stopped part way), so that
                               resume goes on rolling back */
} history_row;

/* A table another tool left, found when there is no stepwise history. */
typedef enum history_foreign {
    FOREIGN_NONE,
    FOREIGN_GOLANG_MIGRATE, /* schema_migrations(version bigint, dirty boolean) */
    FOREIGN_DBMATE,         /* schema_migrations(version varchar) */
} history_foreign;

typedef struct history {
    bool exists;            /* the history table is there */
    bool events_exist;
    history_row *rows;      /* sorted by version_compare */
    size_t count;
    size_t cap;
    history_foreign foreign;
    char **foreign_versions; /* their versions, sorted */
    size_t nforeign;
    bool foreign_dirty;     /* golang-migrate's dirty flag */
} history_data;

/* Read the history (never creates anything). */
sw_status history_read(db *d, const history_table *t, history_data *out, sw_error *err);
void history_free(history_data *h);
const history_row *history_find(const history_data *h, const char *version);

/* CREATE TABLE IF NOT EXISTS for both tables. */
sw_status history_create(db *d, const history_table *t, sw_error *err);

/* "dbuser@database os=alice host=build-1": who applies, for applied_by
 * and the events' actor. Newly allocated. */
char *history_actor_text(const audit_actor *actor);

/* Append one event to the events table (when it exists and the database
 * is writable; a failure is returned, the caller decides) with the
 * server's clock. */
sw_status history_event(db *d, const history_table *t, const char *actor, const char *action,
                        const char *version, const char *outcome, const char *detail,
                        sw_error *err);

/* The SQL text of the same event insert, for inclusion in a migration's
 * transaction (so that a committed migration and its event commit
 * together). Ends with ";\n". */
char *history_event_sql(db *d, const history_table *t, const char *actor, const char *action,
                        const char *version, const char *outcome, const char *detail);

/* Events newest first (columns id, at, actor, action, version, outcome,
 * detail); limit <= 0: all. An absent table gives no rows. */
sw_status history_events_read(db *d, const history_table *t, long limit, db_result **out,
                              sw_error *err);

#endif
