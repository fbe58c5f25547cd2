/* PostgreSQL driver over libpq: connecting with sensible defaults,
 * one-line error messages with SQLSTATE, notices kept, not printed. */
#include "config.h"

#include "core/db_driver.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static PGconn *conn_of(db *d)
{
    return d->handle;
}

static void keep_notice(void *arg, const PGresult *res)
{
    db *d = arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    char *line = xasprintf("%s: %s", severity ? severity : "NOTICE", primary ? primary : "");
    db_notice_add(d, line);
    free(line);
}

static sw_status pg_open(db *d, const db_target *t, unsigned flags, sw_error *err)
{
    (void)flags;
    /* Keywords are applied in order and the dbname entry expands the
     * user's conninfo: what precedes it is a default the user may
     * override, what follows it is ours. Without a connect_timeout a
     * black-holed host would hang the console for minutes. */
    const char *keys[5], *vals[5];
    int n = 0;
    const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
    if (!env_timeout || !*env_timeout) {
        keys[n] = "connect_timeout";
        vals[n++] = "10";
    }
    keys[n] = "dbname";
    vals[n++] = t->conninfo;
    keys[n] = "fallback_application_name";
    vals[n++] = "stepwise";
    keys[n] = "client_encoding";
    vals[n++] = "UTF8";
    keys[n] = NULL;
    vals[n] = NULL;

    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn)
        return sw_error_set(err, SW_CONNECT, "cannot connect to %s: out of memory", t->display);
    d->handle = conn;
    if (PQstatus(conn) != CONNECTION_OK) {
        char *line = text_one_line(PQerrorMessage(conn));
        sw_error_set(err, SW_CONNECT, "cannot connect to %s: %s", t->display, line);
        free(line);
        return SW_CONNECT;
    }
    PQsetNoticeReceiver(conn, keep_notice, d);
    return SW_OK;
}

static void pg_close(db *d)
{
    PQfinish(conn_of(d));
    d->handle = NULL;
}

/* One line from a failed result: severity, message, detail, hint, SQLSTATE. */
static sw_status pg_result_error(db *d, const PGresult *res, sw_error *err)
{
    if (!res) {
        char *line = text_one_line(PQerrorMessage(conn_of(d)));
        sw_error_set(err, SW_FAILED, "%s", *line ? line : "no result from the server");
        free(line);
        return SW_FAILED;
    }
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    strbuf sb = {0};
    if (primary) {
        strbuf_appendf(&sb, "%s: %s", severity ? severity : "ERROR", primary);
        if (detail)
            strbuf_appendf(&sb, " DETAIL: %s", detail);
        if (hint)
            strbuf_appendf(&sb, " HINT: %s", hint);
        if (sqlstate)
            strbuf_appendf(&sb, " (SQLSTATE %s)", sqlstate);
    } else {
        strbuf_append(&sb, PQresultErrorMessage(res));
    }
    char *line = text_one_line(strbuf_str(&sb));
    sw_error_set(err, SW_FAILED, "%s", line);
    free(line);
    strbuf_free(&sb);
    return SW_FAILED;
}

static bool pg_result_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static sw_status pg_exec(db *d, const char *sql, sw_error *err)
{
    PGresult *res = PQexec(conn_of(d), sql);
    sw_status st = pg_result_ok(res) ? SW_OK : pg_result_error(d, res, err);
    PQclear(res);
    return st;
}

/* Rows of a finished query as a db_result; takes over `res`. */
static sw_status pg_collect(db *d, PGresult *res, db_result **out, sw_error *err)
{
    if (!pg_result_ok(res)) {
        sw_status st = pg_result_error(d, res, err);
        PQclear(res);
        return st;
    }
    int ncols = PQnfields(res);
    db_result *r = db_result_new(ncols);
    for (int c = 0; c < ncols; c++)
        db_result_set_name(r, c, PQfname(res, c));
    const char **row = xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *row);
    for (int i = 0; i < PQntuples(res); i++) {
        for (int c = 0; c < ncols; c++)
            row[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
        db_result_add_row(r, row);
    }
    free(row);
    PQclear(res);
    *out = r;
    return SW_OK;
}

static sw_status pg_query(db *d, const char *sql, int nparams, const char *const *params,
                          db_result **out, sw_error *err)
{
    return pg_collect(d, PQexecParams(conn_of(d), sql, nparams, NULL, params, NULL, NULL, 0), out,
                      err);
}

static sw_status pg_prepare(db *d, const char *name, const char *sql, sw_error *err)
{
    PGresult *res = PQprepare(conn_of(d), name, sql, 0, NULL);
    sw_status st = pg_result_ok(res) ? SW_OK : pg_result_error(d, res, err);
    PQclear(res);
    if (st == SW_OK) {
        static char server_side; /* the server keeps it: nothing to hold here */
        strmap_put(&d->prepared, name, &server_side);
    }
    return st;
}

static sw_status pg_query_prepared(db *d, const char *name, int nparams, const char *const *params,
                                   db_result **out, sw_error *err)
{
    return pg_collect(d, PQexecPrepared(conn_of(d), name, nparams, params, NULL, NULL, 0), out, err);
}

static sw_status pg_server_info(db *d, db_server_info *out, sw_error *err)
{
    db_result *r;
    sw_status st = pg_query(d,
                            "SELECT current_setting('server_version_num')::int,"
                            " current_database(), current_user, pg_is_in_recovery(),"
                            " current_setting('transaction_read_only') = 'on'",
                            0, NULL, &r, err);
    if (st != SW_OK)
        return st;
    PGconn *conn = conn_of(d);
    out->product = xstrdup("PostgreSQL");
    out->version_num = PQserverVersion(conn);
    out->version = db_pg_version_text(out->version_num);
    out->database = xstrdup(db_result_value(r, 0, 1));
    out->user = xstrdup(db_result_value(r, 0, 2));
    out->in_recovery = strcmp(db_result_value(r, 0, 3), "t") == 0;
    out->read_only = strcmp(db_result_value(r, 0, 4), "t") == 0;
    const char *host = PQhost(conn);
    out->host = xstrdup(host && *host ? host : "localhost");
    out->port = xstrdup(PQport(conn) ? PQport(conn) : "");
    db_result_free(r);
    return SW_OK;
}

const db_driver db_driver_postgres = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .server_info = pg_server_info,
    .prepare = pg_prepare,
    .query_prepared = pg_query_prepared,
};
