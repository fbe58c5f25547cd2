/* PostgreSQL driver over libpq: connecting with sensible defaults,
 * one-line error messages with SQLSTATE, notices kept, not printed. */
#include "config.h"

#include "core/db_driver.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
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

static char *pg_quote(db *d, const char *text, bool ident)
{
    PGconn *conn = conn_of(d);
    size_t len = strlen(text);
    char *q = ident ? PQescapeIdentifier(conn, text, len) : PQescapeLiteral(conn, text, len);
    if (!q) {
        /* Only for text that is not valid in the client encoding: quote
         * it by hand rather than fail (the server then rejects it). */
        return text_quote(text, ident ? '"' : '\'');
    }
    char *copy = xstrdup(q);
    PQfreemem(q);
    return copy;
}

static char *pg_quote_ident(db *d, const char *name)
{
    return pg_quote(d, name, true);
}

static char *pg_quote_literal(db *d, const char *text)
{
    return pg_quote(d, text, false);
}

static int pg_backend_pid(db *d)
{
    return PQbackendPID(conn_of(d));
}

static sw_status pg_send(db *d, const char *sql, sw_error *err)
{
    if (!PQsendQuery(conn_of(d), sql)) {
        char *line = text_one_line(PQerrorMessage(conn_of(d)));
        sw_error_set(err, SW_FAILED, "cannot send to the server: %s", line);
        free(line);
        return SW_FAILED;
    }
    return SW_OK;
}

/* Take every result that has arrived; *done once the last one is in. */
static void pg_drain(db *d, bool *done)
{
    PGconn *conn = conn_of(d);
    *done = false;
    while (!PQisBusy(conn)) {
        PGresult *res = PQgetResult(conn);
        if (!res) {
            *done = true;
            return;
        }
        if (pg_result_ok(res)) {
            if (!d->failure) {
                d->outcome.completed++;
                const char *tuples = PQcmdTuples(res);
                d->outcome.rows = tuples && *tuples ? atoll(tuples) : 0;
            }
        } else if (!d->failure) {
            sw_error e = {0};
            pg_result_error(d, res, &e);
            d->failure = xstrdup(e.message);
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            if (state)
                snprintf(d->outcome.sqlstate, sizeof d->outcome.sqlstate, "%s", state);
            const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
            d->outcome.position = pos ? atoi(pos) : 0;
        }
        PQclear(res);
    }
}

static sw_status pg_consume(db *d, sw_error *err)
{
    if (!PQconsumeInput(conn_of(d))) {
        char *line = text_one_line(PQerrorMessage(conn_of(d)));
        sw_error_set(err, SW_FAILED, "lost the connection to the server: %s", line);
        free(line);
        return SW_FAILED;
    }
    return SW_OK;
}

static sw_status pg_poll(db *d, int timeout_ms, bool *done, sw_error *err)
{
    PGconn *conn = conn_of(d);
    if (pg_consume(d, err) != SW_OK) {
        *done = true;
        d->failure = d->failure ? d->failure : xstrdup(err->message);
        return SW_OK;
    }
    pg_drain(d, done);
    if (*done || timeout_ms <= 0)
        return SW_OK;
    struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
    int n = poll(&pfd, 1, timeout_ms);
    if (n < 0 && errno != EINTR)
        return sw_error_set(err, SW_FAILED, "waiting for the server: %s", strerror(errno));
    if (n > 0) {
        if (pg_consume(d, err) != SW_OK) {
            *done = true;
            d->failure = d->failure ? d->failure : xstrdup(err->message);
            return SW_OK;
        }
        pg_drain(d, done);
    }
    return SW_OK;
}

static sw_status pg_finish(db *d, db_outcome *out, sw_error *err)
{
    bool done = false;
    /* Normally polled to the end already; otherwise wait for it. */
    while (!done) {
        if (pg_poll(d, 1000, &done, err) != SW_OK)
            return SW_FAILED;
    }
    *out = d->outcome;
    if (d->failure) {
        out->ok = false;
        sw_error_set(err, SW_FAILED, "%s", d->failure);
        free(d->failure);
        d->failure = NULL;
        return SW_FAILED;
    }
    out->ok = true;
    return SW_OK;
}

static sw_status pg_cancel(db *d, sw_error *err)
{
    PGcancel *cancel = PQgetCancel(conn_of(d));
    if (!cancel)
        return sw_error_set(err, SW_FAILED, "cannot cancel: no connection");
    char buf[256];
    int ok = PQcancel(cancel, buf, (int)sizeof buf);
    PQfreeCancel(cancel);
    if (!ok) {
        char *line = text_one_line(buf);
        sw_error_set(err, SW_FAILED, "the cancel request failed: %s", line);
        free(line);
        return SW_FAILED;
    }
    return SW_OK;
}

static int pg_socket(db *d)
{
    return PQsocket(conn_of(d));
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
    .quote_ident = pg_quote_ident,
    .quote_literal = pg_quote_literal,
    .backend_pid = pg_backend_pid,
    .send = pg_send,
    .poll = pg_poll,
    .finish = pg_finish,
    .cancel = pg_cancel,
    .socket = pg_socket,
};
