/* SQLite driver: opening a file (never creating one by accident), scripts
 * through sqlite3_exec, single statements with bound text parameters. */
#include "config.h"

#include "core/db_driver.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static sqlite3 *handle_of(db *d)
{
    return d->handle;
}

static sw_status sqlite_open(db *d, const db_target *t, unsigned flags, sw_error *err)
{
    struct stat st;
    if (stat(t->path, &st) != 0) {
        if (errno != ENOENT || !(flags & DB_OPEN_CREATE))
            return sw_error_set(err, SW_CONNECT, "cannot open SQLite database %s: %s%s", t->path,
                                strerror(errno),
                                errno == ENOENT ? " (check the path; reading commands never "
                                                  "create a database)"
                                                : "");
    } else if (S_ISDIR(st.st_mode)) {
        return sw_error_set(err, SW_CONNECT,
                            "cannot open SQLite database %s: it is a directory", t->path);
    }

    int open_flags = SQLITE_OPEN_READWRITE |
                     ((flags & DB_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
    sqlite3 *handle = NULL;
    int rc = sqlite3_open_v2(t->path, &handle, open_flags, NULL);
    d->handle = handle;
    if (rc != SQLITE_OK)
        return sw_error_set(err, SW_CONNECT, "cannot open SQLite database %s: %s", t->path,
                            handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(handle, 1);
    /* Another writer (a second stepwise, the application) gets a few
     * seconds before SQLITE_BUSY is reported. */
    sqlite3_busy_timeout(handle, 5000);

    /* sqlite3_open_v2 is lazy: reading the schema is what tells a text
     * file or a damaged database apart from a real one. */
    rc = sqlite3_exec(handle, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sw_error_set(err, SW_CONNECT, "cannot open SQLite database %s: %s", t->path,
                            sqlite3_errmsg(handle));
    return SW_OK;
}

static void finalize_statement(void *stmt)
{
    sqlite3_finalize(stmt);
}

static void sqlite_close(db *d)
{
    strmap_free(&d->prepared, finalize_statement);
    sqlite3_close_v2(handle_of(d));
    d->handle = NULL;
}

static sw_status sqlite_error(db *d, sw_error *err)
{
    sqlite3 *h = handle_of(d);
    int offset = sqlite3_error_offset(h);
    if (offset >= 0)
        return sw_error_set(err, SW_FAILED, "SQLite error: %s (at byte %d of the statement)",
                            sqlite3_errmsg(h), offset);
    return sw_error_set(err, SW_FAILED, "SQLite error: %s", sqlite3_errmsg(h));
}

static sw_status sqlite_exec_script(db *d, const char *sql, sw_error *err)
{
    return sqlite3_exec(handle_of(d), sql, NULL, NULL, NULL) == SQLITE_OK ? SW_OK
                                                                          : sqlite_error(d, err);
}

/* True when the text after the first statement holds another statement
 * (not just blanks, semicolons and comments). */
static bool has_second_statement(sqlite3 *h, const char *tail)
{
    sqlite3_stmt *next = NULL;
    if (sqlite3_prepare_v2(h, tail, -1, &next, NULL) != SQLITE_OK)
        return true;
    bool found = next != NULL;
    sqlite3_finalize(next);
    return found;
}

/* One statement from `sql`, refusing a second one after it. */
static sw_status sqlite_prepare_one(db *d, const char *sql, sqlite3_stmt **out, sw_error *err)
{
    sqlite3 *h = handle_of(d);
    const char *tail = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, out, &tail) != SQLITE_OK)
        return sqlite_error(d, err);
    if (!*out)
        return sw_error_set(err, SW_FAILED, "SQLite error: the query is empty");
    if (tail && has_second_statement(h, tail)) {
        sqlite3_finalize(*out);
        *out = NULL;
        return sw_error_set(err, SW_FAILED,
                            "SQLite error: a query must be one statement; use a script for more");
    }
    return SW_OK;
}

/* Bind text parameters, step through the rows, leave stmt reset. */
static sw_status sqlite_run(db *d, sqlite3_stmt *stmt, int nparams, const char *const *params,
                            db_result **out, sw_error *err)
{
    if (nparams != sqlite3_bind_parameter_count(stmt))
        return sw_error_set(err, SW_FAILED,
                            "SQLite error: the statement has %d parameters but %d were given",
                            sqlite3_bind_parameter_count(stmt), nparams);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (int i = 0; i < nparams; i++) {
        int rc = params[i] ? sqlite3_bind_text(stmt, i + 1, params[i], -1, SQLITE_TRANSIENT)
                           : sqlite3_bind_null(stmt, i + 1);
        if (rc != SQLITE_OK)
            return sqlite_error(d, err);
    }
    int ncols = sqlite3_column_count(stmt);
    db_result *r = db_result_new(ncols);
    for (int c = 0; c < ncols; c++)
        db_result_set_name(r, c, sqlite3_column_name(stmt, c));
    const char **row = xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *row);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int c = 0; c < ncols; c++)
            row[c] = (const char *)sqlite3_column_text(stmt, c);
        db_result_add_row(r, row);
    }
    free(row);
    sw_status st = rc == SQLITE_DONE ? SW_OK : sqlite_error(d, err);
    sqlite3_reset(stmt);
    if (st != SW_OK) {
        db_result_free(r);
        return st;
    }
    *out = r;
    return SW_OK;
}

static sw_status sqlite_query(db *d, const char *sql, int nparams, const char *const *params,
                              db_result **out, sw_error *err)
{
    sqlite3_stmt *stmt;
    sw_status st = sqlite_prepare_one(d, sql, &stmt, err);
    if (st == SW_OK)
        st = sqlite_run(d, stmt, nparams, params, out, err);
    sqlite3_finalize(stmt);
    return st;
}

static sw_status sqlite_prepare(db *d, const char *name, const char *sql, sw_error *err)
{
    sqlite3_stmt *stmt;
    sw_status st = sqlite_prepare_one(d, sql, &stmt, err);
    if (st == SW_OK)
        strmap_put(&d->prepared, name, stmt);
    return st;
}

static sw_status sqlite_query_prepared(db *d, const char *name, int nparams,
                                       const char *const *params, db_result **out, sw_error *err)
{
    return sqlite_run(d, strmap_get(&d->prepared, name), nparams, params, out, err);
}

static sw_status sqlite_server_info(db *d, db_server_info *out, sw_error *err)
{
    (void)err;
    sqlite3 *h = handle_of(d);
    out->product = xstrdup("SQLite");
    out->version = xstrdup(sqlite3_libversion());
    out->version_num = sqlite3_libversion_number();
    const char *file = sqlite3_db_filename(h, "main");
    out->database = xstrdup(file && *file ? file : d->display);
    out->read_only = sqlite3_db_readonly(h, "main") == 1;
    return SW_OK;
}

static char *sqlite_quote(const char *format, const char *text, char quote)
{
    char *q = sqlite3_mprintf(format, text);
    if (!q)
        return text_quote(text, quote); /* the same quoting, without SQLite's allocator */
    char *copy = xstrdup(q);
    sqlite3_free(q);
    return copy;
}

static char *sqlite_quote_ident(db *d, const char *name)
{
    (void)d;
    return sqlite_quote("\"%w\"", name, '"');
}

static char *sqlite_quote_literal(db *d, const char *text)
{
    (void)d;
    return sqlite_quote("%Q", text, '\'');
}

static int sqlite_backend_pid(db *d)
{
    (void)d;
    return 0;
}

/* The work is local and short: run every statement now, keep the outcome
 * for db_finish. */
static sw_status sqlite_send(db *d, const char *sql, sw_error *err)
{
    (void)err;
    sqlite3 *h = handle_of(d);
    const char *p = sql;
    while (p && *p) {
        sqlite3_stmt *stmt = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(h, p, -1, &stmt, &tail);
        if (rc == SQLITE_OK && !stmt)
            break; /* only blanks and comments are left */
        if (rc == SQLITE_OK) {
            sqlite3_int64 before = sqlite3_total_changes64(h);
            while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                ;
            if (rc == SQLITE_DONE) {
                d->outcome.completed++;
                d->outcome.rows = sqlite3_total_changes64(h) - before;
                sqlite3_finalize(stmt);
                p = tail;
                continue;
            }
        }
        int offset = sqlite3_error_offset(h);
        d->outcome.position = offset >= 0 ? (int)(p - sql) + offset + 1 : 0;
        snprintf(d->outcome.sqlstate, sizeof d->outcome.sqlstate, "%d",
                 sqlite3_extended_errcode(h) & 0xff);
        d->failure = xasprintf("SQLite error: %s", sqlite3_errmsg(h));
        sqlite3_finalize(stmt);
        break;
    }
    return SW_OK;
}

static sw_status sqlite_poll(db *d, int timeout_ms, bool *done, sw_error *err)
{
    (void)d;
    (void)timeout_ms;
    (void)err;
    *done = true;
    return SW_OK;
}

static sw_status sqlite_finish(db *d, db_outcome *out, sw_error *err)
{
    *out = d->outcome;
    out->ok = d->failure == NULL;
    if (d->failure) {
        sw_error_set(err, SW_FAILED, "%s", d->failure);
        free(d->failure);
        d->failure = NULL;
        return SW_FAILED;
    }
    return SW_OK;
}

static sw_status sqlite_cancel(db *d, sw_error *err)
{
    (void)err;
    sqlite3_interrupt(handle_of(d));
    return SW_OK;
}

static int sqlite_socket(db *d)
{
    (void)d;
    return -1;
}

const db_driver db_driver_sqlite = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec_script,
    .query = sqlite_query,
    .server_info = sqlite_server_info,
    .prepare = sqlite_prepare,
    .query_prepared = sqlite_query_prepared,
    .quote_ident = sqlite_quote_ident,
    .quote_literal = sqlite_quote_literal,
    .backend_pid = sqlite_backend_pid,
    .send = sqlite_send,
    .poll = sqlite_poll,
    .finish = sqlite_finish,
    .cancel = sqlite_cancel,
    .socket = sqlite_socket,
};
