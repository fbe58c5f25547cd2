/* The history and events tables. Every identifier goes through the
 * driver's quoting and every value through a literal quote or a bound
 * parameter: a hostile --table value stays a name. */
#include "config.h"

#include "core/history.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/source.h"

static bool valid_part(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* FNV-1a, 64 bits: a stable key for pg_try_advisory_lock(bigint) that
 * depends only on the table's name as written. */
static long long lock_key_of(const char *text)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)"stepwise:"; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (long long)(h & 0x7fffffffffffffffULL);
}

static char *qualified(db *d, const char *schema, const char *name)
{
    char *qn = db_quote_ident(d, name);
    if (!schema)
        return qn;
    char *qs = db_quote_ident(d, schema);
    char *out = xasprintf("%s.%s", qs, qn);
    free(qs);
    free(qn);
    return out;
}

sw_status history_table_init(db *d, const char *spec, history_table *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec)
        spec = HISTORY_DEFAULT_TABLE;
    const char *dot = strchr(spec, '.');
    const char *name = dot ? dot + 1 : spec;
    if ((dot && (strchr(name, '.') || !valid_part(spec, (size_t)(dot - spec)))) ||
        !valid_part(name, strlen(name))) {
        char *shown = text_escaped(spec);
        sw_error_set(err, SW_USAGE,
                     "--table '%s' is not [schema.]name: each part 1 to 63 bytes, no control "
                     "characters, at most one dot",
                     shown);
        free(shown);
        return SW_USAGE;
    }
    out->display = xstrdup(spec);
    out->schema = dot ? xstrndup(spec, (size_t)(dot - spec)) : NULL;
    out->name = xstrdup(name);
    size_t n = strlen(name);
    if (str_has_suffix(name, "_history"))
        out->events_name = xasprintf("%.*s_events", (int)(n - strlen("_history")), name);
    else
        out->events_name = xasprintf("%s_events", name);
    if (strlen(out->events_name) > 63) {
        sw_error_set(err, SW_USAGE, "--table '%s': the events table name '%s' would be too long",
                     spec, out->events_name);
        history_table_free(out);
        return SW_USAGE;
    }
    out->history_sql = qualified(d, out->schema, out->name);
    out->events_sql = qualified(d, out->schema, out->events_name);
    out->lock_key = lock_key_of(spec);
    return SW_OK;
}

void history_table_free(history_table *t)
{
    free(t->display);
    free(t->schema);
    free(t->name);
    free(t->events_name);
    free(t->history_sql);
    free(t->events_sql);
    memset(t, 0, sizeof *t);
}

/* Whether a table exists, without touching it. */
static sw_status table_exists(db *d, const char *schema, const char *name, const char *quoted,
                              bool *exists, sw_error *err)
{
    db_result *r = NULL;
    sw_status st;
    if (db_get_kind(d) == DB_POSTGRES) {
        const char *params[] = {quoted};
        st = db_query(d, "SELECT to_regclass($1) IS NOT NULL", 1, params, &r, err);
        if (st == SW_OK)
            *exists = strcmp(db_result_value(r, 0, 0), "t") == 0;
    } else {
        char *qs = db_quote_ident(d, schema ? schema : "main");
        char *sql = xasprintf("SELECT count(*) FROM %s.sqlite_schema WHERE type = 'table' AND "
                              "name = ?1",
                              qs);
        const char *params[] = {name};
        st = db_query(d, sql, 1, params, &r, err);
        if (st == SW_OK)
            *exists = strcmp(db_result_value(r, 0, 0), "0") != 0;
        free(sql);
        free(qs);
    }
    db_result_free(r);
    return st;
}

static int row_cmp(const void *a, const void *b)
{
    return version_compare(((const history_row *)a)->version, ((const history_row *)b)->version);
}

static int str_version_cmp(const void *a, const void *b)
{
    return version_compare(*(char *const *)a, *(char *const *)b);
}

/* A value of the result, taken over rather than copied: the result's
 * values are each allocated apart (db_result_add_row) and a taken one is
 * left NULL, which db_result_free skips. Thousands of history rows make
 * five strings each, so copying and freeing them all showed in `status`. */
static char *take_or_empty(db_result *r, int row, int col)
{
    char **cell = &r->values[(size_t)row * (size_t)r->ncols + (size_t)col];
    char *v = *cell;
    *cell = NULL;
    return v ? v : xstrdup("");
}

/* The rows in version order: usually they already are (the history is
 * read in the order it was written, which is mostly the order of the
 * versions), then one pass instead of a sort. */
static void sort_rows(history_data *h)
{
    for (size_t i = 1; i < h->count; i++)
        if (row_cmp(&h->rows[i - 1], &h->rows[i]) > 0) {
            qsort(h->rows, h->count, sizeof *h->rows, row_cmp);
            return;
        }
}

/* golang-migrate's or dbmate's schema_migrations, when present. */
static sw_status read_foreign(db *d, history_data *out, sw_error *err)
{
    bool exists = false;
    sw_status st = table_exists(d, NULL, "schema_migrations", "schema_migrations", &exists, err);
    if (st != SW_OK || !exists)
        return st;
    db_result *r = NULL;
    st = db_query(d,
                  db_get_kind(d) == DB_POSTGRES
                      ? "SELECT attname FROM pg_attribute WHERE attrelid = "
                        "'schema_migrations'::regclass AND attnum > 0 AND NOT attisdropped"
                      : "SELECT name FROM pragma_table_info('schema_migrations')",
                  0, NULL, &r, err);
    if (st != SW_OK)
        return st;
    bool has_dirty = false, has_version = false;
    for (int i = 0; i < r->nrows; i++) {
        has_dirty |= strcmp(db_result_value(r, i, 0), "dirty") == 0;
        has_version |= strcmp(db_result_value(r, i, 0), "version") == 0;
    }
    db_result_free(r);
    if (!has_version)
        return SW_OK;
    out->foreign = has_dirty ? FOREIGN_GOLANG_MIGRATE : FOREIGN_DBMATE;
    st = db_query(d,
                  has_dirty ? (db_get_kind(d) == DB_POSTGRES
                                   ? "SELECT version::text, dirty::text FROM schema_migrations"
                                   : "SELECT CAST(version AS TEXT), CASE WHEN dirty THEN 'true' "
                                     "ELSE 'false' END FROM schema_migrations")
                            : "SELECT CAST(version AS TEXT), 'false' FROM schema_migrations",
                  0, NULL, &r, err);
    if (st != SW_OK)
        return st;
    out->foreign_versions = xcalloc((size_t)r->nrows + 1, sizeof *out->foreign_versions);
    for (int i = 0; i < r->nrows; i++) {
        const char *v = db_result_value(r, i, 0);
        if (!v)
            continue;
        out->foreign_versions[out->nforeign++] = xstrdup(v);
        const char *dirty = db_result_value(r, i, 1);
        out->foreign_dirty |= dirty && (strcmp(dirty, "true") == 0 || strcmp(dirty, "t") == 0);
    }
    db_result_free(r);
    qsort(out->foreign_versions, out->nforeign, sizeof *out->foreign_versions, str_version_cmp);
    return SW_OK;
}

/* For each dirty row, why: the detail of its last event that did not end
 * ok (a no-transaction migration's failure names its statement), and
 * which way it was going: the last apply or rollback event (a
 * no-transaction run records one as it starts). */
static sw_status read_failures(db *d, const history_table *t, history_data *h, sw_error *err)
{
    char *sql = NULL;
    for (size_t i = 0; i < h->count; i++) {
        history_row *row = &h->rows[i];
        if (!row->dirty)
            continue;
        if (!sql)
            sql = xasprintf("SELECT (SELECT detail FROM %1$s WHERE version = %2$s AND outcome "
                            "NOT IN ('ok', 'started', 'resumed') ORDER BY id DESC LIMIT 1), "
                            "(SELECT action FROM %1$s WHERE version = %2$s AND action IN "
                            "('apply', 'rollback') ORDER BY id DESC LIMIT 1)",
                            t->events_sql, db_get_kind(d) == DB_POSTGRES ? "$1" : "?1");
        const char *params[] = {row->version};
        db_result *r = NULL;
        sw_status st = db_query(d, sql, 1, params, &r, err);
        if (st != SW_OK) {
            free(sql);
            return st;
        }
        if (r->nrows > 0 && db_result_value(r, 0, 0))
            row->failure = xstrdup(db_result_value(r, 0, 0));
        const char *action = r->nrows > 0 ? db_result_value(r, 0, 1) : NULL;
        row->dirty_down = action && strcmp(action, "rollback") == 0;
        db_result_free(r);
    }
    free(sql);
    return SW_OK;
}

sw_status history_read(db *d, const history_table *t, history_data *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    sw_status st = table_exists(d, t->schema, t->name, t->history_sql, &out->exists, err);
    if (st == SW_OK)
        st = table_exists(d, t->schema, t->events_name, t->events_sql, &out->events_exist, err);
    if (st != SW_OK)
        return st;
    if (!out->exists)
        return read_foreign(d, out, err);
    bool pg = db_get_kind(d) == DB_POSTGRES;
    char *sql = xasprintf(
        "SELECT version, name, checksum, %s, applied_by, duration_ms, %s, steps_done FROM %s",
        pg ? "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
           : "applied_at",
        pg ? "CASE WHEN dirty THEN 1 ELSE 0 END" : "dirty", t->history_sql);
    db_result *r = NULL;
    st = db_query(d, sql, 0, NULL, &r, err);
    free(sql);
    if (st != SW_OK)
        return st;
    out->rows = xcalloc((size_t)r->nrows + 1, sizeof *out->rows);
    out->cap = (size_t)r->nrows + 1;
    for (int i = 0; i < r->nrows; i++) {
        history_row *row = &out->rows[out->count++];
        row->version = take_or_empty(r, i, 0);
        row->name = take_or_empty(r, i, 1);
        row->checksum = take_or_empty(r, i, 2);
        row->applied_at = take_or_empty(r, i, 3);
        row->applied_by = take_or_empty(r, i, 4);
        const char *ms = db_result_value(r, i, 5);
        row->duration_ms = ms ? atoll(ms) : -1;
        const char *dirty = db_result_value(r, i, 6);
        row->dirty = dirty && strcmp(dirty, "0") != 0;
        const char *steps = db_result_value(r, i, 7);
        row->steps_done = steps ? atoi(steps) : 0;
    }
    db_result_free(r);
    sort_rows(out);
    if (out->events_exist && (st = read_failures(d, t, out, err)) != SW_OK)
        return st;
    /* An empty history (created, nothing recorded yet) can still sit
     * beside another tool's table worth adopting. */
    return out->count == 0 ? read_foreign(d, out, err) : SW_OK;
}

void history_free(history_data *h)
{
    for (size_t i = 0; i < h->count; i++) {
        history_row *r = &h->rows[i];
        free(r->version);
        free(r->name);
        free(r->checksum);
        free(r->applied_at);
        free(r->applied_by);
        free(r->failure);
    }
    free(h->rows);
    for (size_t i = 0; i < h->nforeign; i++)
        free(h->foreign_versions[i]);
    free(h->foreign_versions);
    memset(h, 0, sizeof *h);
}

const history_row *history_find(const history_data *h, const char *version)
{
    return version_bsearch(h->rows, h->count, sizeof *h->rows, version);
}

sw_status history_create(db *d, const history_table *t, sw_error *err)
{
    strbuf sb = {0};
    if (db_get_kind(d) == DB_POSTGRES) {
        if (t->schema) {
            char *qs = db_quote_ident(d, t->schema);
            strbuf_appendf(&sb, "CREATE SCHEMA IF NOT EXISTS %s;\n", qs);
            free(qs);
        }
        strbuf_appendf(&sb,
                       "CREATE TABLE IF NOT EXISTS %s (\n"
                       "  version text PRIMARY KEY,\n"
                       "  name text NOT NULL DEFAULT '',\n"
                       "  checksum text NOT NULL,\n"
                       "  applied_at timestamptz NOT NULL DEFAULT now(),\n"
                       "  applied_by text,\n"
                       "  duration_ms integer,\n"
                       "  dirty boolean NOT NULL DEFAULT false,\n"
                       "  steps_done integer NOT NULL DEFAULT 0);\n"
                       "CREATE TABLE IF NOT EXISTS %s (\n"
                       "  id bigserial PRIMARY KEY,\n"
                       "  at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
                       "  actor text,\n"
                       "  action text NOT NULL,\n"
                       "  version text,\n"
                       "  outcome text,\n"
                       "  detail text)",
                       t->history_sql, t->events_sql);
    } else {
        strbuf_appendf(&sb,
                       "CREATE TABLE IF NOT EXISTS %s (\n"
                       "  version TEXT PRIMARY KEY,\n"
                       "  name TEXT NOT NULL DEFAULT '',\n"
                       "  checksum TEXT NOT NULL,\n"
                       "  applied_at TEXT NOT NULL DEFAULT (strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', "
                       "'now')),\n"
                       "  applied_by TEXT,\n"
                       "  duration_ms INTEGER,\n"
                       "  dirty INTEGER NOT NULL DEFAULT 0,\n"
                       "  steps_done INTEGER NOT NULL DEFAULT 0);\n"
                       "CREATE TABLE IF NOT EXISTS %s (\n"
                       "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                       "  at TEXT NOT NULL DEFAULT (strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now')),\n"
                       "  actor TEXT,\n"
                       "  action TEXT NOT NULL,\n"
                       "  version TEXT,\n"
                       "  outcome TEXT,\n"
                       "  detail TEXT)",
                       t->history_sql, t->events_sql);
    }
    sw_status st = db_exec(d, strbuf_str(&sb), err);
    strbuf_free(&sb);
    if (st != SW_OK) {
        char *why = xstrdup(err->message);
        sw_error_set(err, SW_FAILED, "cannot create the history tables %s and %s: %s",
                     t->history_sql, t->events_sql, why);
        free(why);
    }
    return st;
}

char *history_actor_text(const audit_actor *actor)
{
    return xasprintf("%s%sos=%s host=%s", actor->db_user ? actor->db_user : "",
                     actor->db_user ? " " : "", actor->os_user ? actor->os_user : "?",
                     actor->host ? actor->host : "?");
}

static char *literal_or_null(db *d, const char *s)
{
    return s ? db_quote_literal(d, s) : xstrdup("NULL");
}

char *history_event_sql(db *d, const history_table *t, const char *actor, const char *action,
                        const char *version, const char *outcome, const char *detail)
{
    char *a = literal_or_null(d, actor), *b = literal_or_null(d, action),
         *c = literal_or_null(d, version), *e = literal_or_null(d, outcome),
         *f = literal_or_null(d, detail);
    char *sql = xasprintf("INSERT INTO %s (actor, action, version, outcome, detail) "
                          "VALUES (%s, %s, %s, %s, %s);\n",
                          t->events_sql, a, b, c, e, f);
    free(a);
    free(b);
    free(c);
    free(e);
    free(f);
    return sql;
}

sw_status history_event(db *d, const history_table *t, const char *actor, const char *action,
                        const char *version, const char *outcome, const char *detail,
                        sw_error *err)
{
    char *sql = history_event_sql(d, t, actor, action, version, outcome, detail);
    sw_status st = db_exec(d, sql, err);
    free(sql);
    return st;
}

sw_status history_events_read(db *d, const history_table *t, long limit, db_result **out,
                              sw_error *err)
{
    *out = NULL;
    bool exists = false;
    sw_status st = table_exists(d, t->schema, t->events_name, t->events_sql, &exists, err);
    if (st != SW_OK)
        return st;
    char *sql;
    bool pg = db_get_kind(d) == DB_POSTGRES;
    if (!exists)
        sql = xstrdup("SELECT NULL AS id, NULL AS at, NULL AS actor, NULL AS action, NULL AS "
                      "version, NULL AS outcome, NULL AS detail WHERE 1 = 0");
    else
        sql = xasprintf("SELECT id, %s AS at, actor, action, version, outcome, detail FROM %s "
                        "ORDER BY id DESC%s",
                        pg ? "to_char(at AT TIME ZONE 'UTC', "
                             "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                           : "at",
                        t->events_sql, limit > 0 ? " LIMIT " : "");
    if (exists && limit > 0) {
        char *with = xasprintf("%s%ld", sql, limit);
        free(sql);
        sql = with;
    }
    st = db_query(d, sql, 0, NULL, out, err);
    free(sql);
    return st;
}
