/* What a driver provides to core/db.c; not for use outside core/db*.c.
 * db.c owns the db struct and puts every driver error through the
 * target's password redaction before the caller sees it. */
#ifndef STEPWISE_DB_DRIVER_H
#define STEPWISE_DB_DRIVER_H

#include "core/db.h"

typedef struct db_driver {
    const char *name;
    sw_status (*open)(db *d, const db_target *t, unsigned flags, sw_error *err);
    void (*close)(db *d);
    sw_status (*exec)(db *d, const char *sql, sw_error *err);
    sw_status (*query)(db *d, const char *sql, int nparams, const char *const *params,
                       db_result **out, sw_error *err);
    sw_status (*server_info)(db *d, db_server_info *out, sw_error *err);
    sw_status (*prepare)(db *d, const char *name, const char *sql, sw_error *err);
    sw_status (*query_prepared)(db *d, const char *name, int nparams, const char *const *params,
                                db_result **out, sw_error *err);
    char *(*quote_ident)(db *d, const char *name);
    char *(*quote_literal)(db *d, const char *text);
    int (*backend_pid)(db *d);
    sw_status (*send)(db *d, const char *sql, sw_error *err);
    sw_status (*poll)(db *d, int timeout_ms, bool *done, sw_error *err);
    sw_status (*finish)(db *d, db_outcome *out, sw_error *err);
    sw_status (*cancel)(db *d, sw_error *err);
    int (*socket)(db *d);
} db_driver;

struct db {
    const db_driver *driver;
    void *handle; /* PGconn * or sqlite3 * */
    char *display;
    strmap prepared; /* name -> driver data (SQLite: its sqlite3_stmt) */
    char **notices;
    size_t notice_count;
    size_t notice_cap;
    /* Asynchronous work (db_send ... db_finish): */
    bool busy;            /* sent, not finished */
    db_outcome outcome;   /* SQLite: the outcome of the work run at db_send */
    char *failure;        /* its error message, NULL when it succeeded */
};

extern const db_driver db_driver_postgres;
extern const db_driver db_driver_sqlite;

/* Building results, shared by both drivers. */
db_result *db_result_new(int ncols);
void db_result_set_name(db_result *r, int col, const char *name);
/* Append a row; values are copied, NULL stays NULL. */
void db_result_add_row(db_result *r, const char *const *values);

void db_notice_add(db *d, const char *message);

#endif
