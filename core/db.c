/* The driver-neutral side of database access: understanding --db values,
 * keeping passwords out of every message, and result sets. */
#include "config.h"

#include "core/db.h"
#include "core/db_driver.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *db_origin_name(db_origin origin)
{
    switch (origin) {
    case DB_FROM_OPTION:
        return "--db";
    case DB_FROM_STEPWISE_DB:
        return "STEPWISE_DB";
    case DB_FROM_DATABASE_URL:
        return "DATABASE_URL";
    case DB_FROM_LIBPQ_ENV:
        return "libpq environment";
    default:
        return "?";
    }
}

/* A password as written in the string, found without a full parse, so that
 * even a malformed target is never echoed with its password: the value of
 * password=..., or the part between ':' and '@' in scheme://user:pass@. */
static char *find_raw_secret(const char *spec)
{
    const char *scheme = strstr(spec, "://");
    if (scheme) {
        const char *auth = scheme + 3;
        size_t auth_len = strcspn(auth, "/?#");
        const char *at = NULL;
        for (const char *p = auth; p < auth + auth_len; p++)
            if (*p == '@')
                at = p; /* the last '@' ends the user information */
        if (at) {
            const char *colon = memchr(auth, ':', (size_t)(at - auth));
            if (colon && at > colon + 1)
                return xstrndup(colon + 1, (size_t)(at - colon - 1));
        }
    }
    const char *p = spec;
    while ((p = strstr(p, "password")) != NULL) {
        const char *v = p + strlen("password");
        while (*v == ' ')
            v++;
        if (*v == '=') {
            v++;
            while (*v == ' ')
                v++;
            size_t n;
            if (*v == '\'') {
                v++;
                n = strcspn(v, "'");
            } else {
                n = strcspn(v, " &\t\n");
            }
            if (n > 0)
                return xstrndup(v, n);
        }
        p = v;
    }
    return NULL;
}

char *db_target_redact(const db_target *t, const char *message)
{
    char *a = text_redact(message, t ? t->secret : NULL);
    char *b = text_redact(a, t ? t->secret_raw : NULL);
    free(a);
    return b;
}

void db_conninfo_append(strbuf *sb, const char *key, const char *value)
{
    if (sb->len)
        strbuf_append_char(sb, ' ');
    strbuf_appendf(sb, "%s=", key);
    bool quote = *value == '\0' || strpbrk(value, " '\\\t\n") != NULL;
    if (!quote) {
        strbuf_append(sb, value);
        return;
    }
    strbuf_append_char(sb, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            strbuf_append_char(sb, '\\');
        strbuf_append_char(sb, *p);
    }
    strbuf_append_char(sb, '\'');
}

/* The parts of a PostgreSQL target a person needs, never the password. */
static char *pg_display(const PQconninfoOption *opts)
{
    static const char *const shown[] = {"service", "host", "hostaddr", "port", "dbname", "user"};
    strbuf sb = {0};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        for (const PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, shown[i]) == 0 && o->val && *o->val)
                db_conninfo_append(&sb, o->keyword, o->val);
    if (sb.len == 0)
        strbuf_append(&sb, "libpq defaults");
    return strbuf_detach(&sb);
}

static bool has_suffix_nocase(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* sqlite:PATH, sqlite3:PATH, also written sqlite://PATH as golang-migrate
 * and dbmate users do: returns PATH or NULL when spec is not of this form. */
static const char *sqlite_prefixed_path(const char *spec)
{
    const char *rest = NULL;
    if (strncasecmp(spec, "sqlite:", 7) == 0)
        rest = spec + 7;
    else if (strncasecmp(spec, "sqlite3:", 8) == 0)
        rest = spec + 8;
    if (rest && str_has_prefix(rest, "//"))
        rest += 2;
    return rest;
}

static bool is_postgres_uri(const char *spec)
{
    return strncasecmp(spec, "postgresql://", 13) == 0 || strncasecmp(spec, "postgres://", 11) == 0;
}

sw_status db_target_parse(const char *spec, db_origin origin, db_target *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    out->origin = origin;
    const char *from = db_origin_name(origin);

    const char *path = sqlite_prefixed_path(spec);
    if (!path && !is_postgres_uri(spec) && !strchr(spec, '=') &&
        (has_suffix_nocase(spec, ".db") || has_suffix_nocase(spec, ".sqlite") ||
         has_suffix_nocase(spec, ".sqlite3")))
        path = spec;
    if (path) {
        if (*path == '\0')
            return sw_error_set(err, SW_USAGE, "%s: '%s' names no SQLite file; write sqlite:PATH",
                                from, spec);
        out->kind = DB_SQLITE;
        out->path = xstrdup(path);
        out->display = xasprintf("sqlite:%s", path);
        return SW_OK;
    }

    char *raw_secret = find_raw_secret(spec);
    db_target shown = {.secret_raw = raw_secret};
    const char *scheme_end = strstr(spec, "://");
    if (!is_postgres_uri(spec) && scheme_end && !strchr(spec, '=')) {
        char *redacted = db_target_redact(&shown, spec);
        sw_error_set(err, SW_USAGE,
                     "%s: '%s': stepwise speaks to PostgreSQL (postgresql://...) and "
                     "SQLite (sqlite:PATH) only",
                     from, redacted);
        free(redacted);
        free(raw_secret);
        return SW_USAGE;
    }
    if (*spec != '\0' && !is_postgres_uri(spec) && !strchr(spec, '=')) {
        char *redacted = db_target_redact(&shown, spec);
        sw_error_set(err, SW_USAGE,
                     "%s: '%s' is neither a PostgreSQL conninfo or URI nor a SQLite path; "
                     "write 'dbname=%s' for PostgreSQL or 'sqlite:%s' for a SQLite file",
                     from, redacted, redacted, redacted);
        free(redacted);
        free(raw_secret);
        return SW_USAGE;
    }

    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(spec, &errmsg);
    if (!opts) {
        char *line = text_one_line(errmsg ? errmsg : "out of memory");
        char *redacted = db_target_redact(&shown, line);
        sw_error_set(err, SW_USAGE, "%s: invalid PostgreSQL connection string: %s", from, redacted);
        free(redacted);
        free(line);
        PQfreemem(errmsg);
        free(raw_secret);
        return SW_USAGE;
    }
    out->kind = DB_POSTGRES;
    out->conninfo = xstrdup(spec);
    out->secret_raw = raw_secret;
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            out->secret = xstrdup(o->val);
    PQconninfoFree(opts);
    /* With nothing written, show what libpq will take from PGHOST, PGPORT,
     * PGDATABASE, PGUSER, PGSERVICE and its built-in defaults. */
    opts = *spec ? PQconninfoParse(spec, NULL) : PQconndefaults();
    out->display = opts ? pg_display(opts) : xstrdup("libpq defaults");
    PQconninfoFree(opts);
    return SW_OK;
}

sw_status db_target_resolve(const char *option, const char *stepwise_db,
                            const char *database_url, db_target *out, sw_error *err)
{
    if (option)
        /* An explicit empty --db is a mistake, not a request for defaults. */
        return *option ? db_target_parse(option, DB_FROM_OPTION, out, err)
                       : sw_error_set(err, SW_USAGE, "--db: empty target; give a conninfo, "
                                                     "a URI or sqlite:PATH");
    if (stepwise_db && *stepwise_db)
        return db_target_parse(stepwise_db, DB_FROM_STEPWISE_DB, out, err);
    if (database_url && *database_url)
        return db_target_parse(database_url, DB_FROM_DATABASE_URL, out, err);
    return db_target_parse("", DB_FROM_LIBPQ_ENV, out, err);
}

void db_target_free(db_target *t)
{
    if (!t)
        return;
    free(t->conninfo);
    free(t->path);
    free(t->display);
    if (t->secret)
        memset(t->secret, 0, strlen(t->secret));
    free(t->secret);
    if (t->secret_raw)
        memset(t->secret_raw, 0, strlen(t->secret_raw));
    free(t->secret_raw);
    memset(t, 0, sizeof *t);
}

sw_status db_open(const db_target *t, unsigned flags, db **out, sw_error *err)
{
    db *d = xcalloc(1, sizeof *d);
    d->driver = t->kind == DB_SQLITE ? &db_driver_sqlite : &db_driver_postgres;
    d->display = xstrdup(t->display);
    sw_status st = d->driver->open(d, t, flags, err);
    if (st != SW_OK) {
        /* Drivers quote server messages; the password must not survive. */
        if (err) {
            char *clean = db_target_redact(t, err->message);
            sw_error_set(err, st, "%s", clean);
            free(clean);
        }
        db_close(d);
        *out = NULL;
        return st;
    }
    *out = d;
    return SW_OK;
}

void db_close(db *d)
{
    if (!d)
        return;
    if (d->handle)
        d->driver->close(d); /* also releases what d->prepared points at */
    strmap_free(&d->prepared, NULL);
    db_notices_clear(d);
    free(d->failure);
    free(d->notices);
    free(d->display);
    free(d);
}

db_kind db_get_kind(const db *d)
{
    return d->driver == &db_driver_sqlite ? DB_SQLITE : DB_POSTGRES;
}

sw_status db_exec(db *d, const char *sql, sw_error *err)
{
    return d->driver->exec(d, sql, err);
}

sw_status db_query(db *d, const char *sql, int nparams, const char *const *params,
                   db_result **out, sw_error *err)
{
    *out = NULL;
    return d->driver->query(d, sql, nparams, params, out, err);
}

sw_status db_prepare(db *d, const char *name, const char *sql, sw_error *err)
{
    if (strmap_get(&d->prepared, name))
        return sw_error_set(err, SW_FAILED, "statement '%s' is already prepared", name);
    return d->driver->prepare(d, name, sql, err);
}

sw_status db_query_prepared(db *d, const char *name, int nparams, const char *const *params,
                            db_result **out, sw_error *err)
{
    *out = NULL;
    if (!strmap_get(&d->prepared, name))
        return sw_error_set(err, SW_FAILED, "statement '%s' was never prepared", name);
    return d->driver->query_prepared(d, name, nparams, params, out, err);
}

char *db_quote_ident(db *d, const char *name)
{
    return d->driver->quote_ident(d, name);
}

char *db_quote_literal(db *d, const char *text)
{
    return d->driver->quote_literal(d, text);
}

int db_backend_pid(db *d)
{
    return d->driver->backend_pid(d);
}

sw_status db_send(db *d, const char *sql, sw_error *err)
{
    if (d->busy)
        return sw_error_set(err, SW_FAILED, "internal: work sent on a busy connection");
    memset(&d->outcome, 0, sizeof d->outcome);
    free(d->failure);
    d->failure = NULL;
    sw_status st = d->driver->send(d, sql, err);
    d->busy = st == SW_OK;
    return st;
}

sw_status db_poll(db *d, int timeout_ms, bool *done, sw_error *err)
{
    if (!d->busy) {
        *done = true;
        return SW_OK;
    }
    return d->driver->poll(d, timeout_ms, done, err);
}

sw_status db_finish(db *d, db_outcome *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    if (!d->busy)
        return sw_error_set(err, SW_FAILED, "internal: nothing was sent");
    d->busy = false;
    return d->driver->finish(d, out, err);
}

sw_status db_cancel(db *d, sw_error *err)
{
    if (!d->busy)
        return SW_OK;
    return d->driver->cancel(d, err);
}

int db_socket(db *d)
{
    return d->driver->socket(d);
}

sw_status db_server_info_get(db *d, db_server_info *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    return d->driver->server_info(d, out, err);
}

void db_server_info_free(db_server_info *info)
{
    free(info->product);
    free(info->version);
    free(info->database);
    free(info->user);
    free(info->host);
    free(info->port);
    memset(info, 0, sizeof *info);
}

char *db_pg_version_text(int num)
{
    if (num >= 100000)
        return xasprintf("%d.%d", num / 10000, num % 10000);
    return xasprintf("%d.%d.%d", num / 10000, num / 100 % 100, num % 100);
}

/* ---- results ---- */

db_result *db_result_new(int ncols)
{
    db_result *r = xcalloc(1, sizeof *r);
    r->ncols = ncols;
    r->names = xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *r->names);
    return r;
}

void db_result_set_name(db_result *r, int col, const char *name)
{
    free(r->names[col]);
    r->names[col] = xstrdup(name ? name : "");
}

void db_result_add_row(db_result *r, const char *const *values)
{
    size_t ncols = (size_t)r->ncols;
    size_t cells = r->cap * ncols;
    r->values = array_grow(r->values, &cells, ((size_t)r->nrows + 1) * ncols, sizeof *r->values);
    r->cap = ncols ? cells / ncols : cells;
    for (size_t c = 0; c < ncols; c++)
        r->values[(size_t)r->nrows * ncols + c] = values[c] ? xstrdup(values[c]) : NULL;
    r->nrows++;
}

const char *db_result_value(const db_result *r, int row, int col)
{
    if (row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return r->values[(size_t)row * (size_t)r->ncols + (size_t)col];
}

int db_result_column(const db_result *r, const char *name)
{
    for (int c = 0; c < r->ncols; c++)
        if (r->names[c] && strcmp(r->names[c], name) == 0)
            return c;
    return -1;
}

void db_result_free(db_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < (size_t)r->nrows * (size_t)r->ncols; i++)
        free(r->values[i]);
    for (int c = 0; c < r->ncols; c++)
        free(r->names[c]);
    free(r->names);
    free(r->values);
    free(r);
}

/* ---- notices ---- */

void db_notice_add(db *d, const char *message)
{
    /* Keep the newest few hundred: a chatty server must not grow us forever. */
    enum { NOTICE_LIMIT = 256 };
    if (d->notice_count == NOTICE_LIMIT) {
        free(d->notices[0]);
        memmove(d->notices, d->notices + 1, (NOTICE_LIMIT - 1) * sizeof *d->notices);
        d->notice_count--;
    }
    d->notices = array_grow(d->notices, &d->notice_cap, d->notice_count + 1, sizeof *d->notices);
    d->notices[d->notice_count++] = text_one_line(message);
}

size_t db_notice_count(const db *d)
{
    return d->notice_count;
}

const char *db_notice(const db *d, size_t i)
{
    return i < d->notice_count ? d->notices[i] : NULL;
}

void db_notices_clear(db *d)
{
    for (size_t i = 0; i < d->notice_count; i++)
        free(d->notices[i]);
    d->notice_count = 0;
}

bool db_host_is_local(const char *host)
{
    return !host || host[0] == '/' || strcmp(host, "localhost") == 0 ||
           strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0;
}
