/* The apply engine. A transactional migration on PostgreSQL is one
 * simple-query message (BEGIN, SET LOCAL, the script, the history and
 * event rows, COMMIT): one round trip, and the server stops at the first
 * error with the transaction aborted, so nothing of it remains after the
 * ROLLBACK that follows. A no-transaction migration is sent statement by
 * statement in autocommit between history writes that keep it dirty
 * until the end. SQLite runs the same shapes synchronously.
 *
 * Supervised (RUN_HOLD, RUN_STEP), the same text is cut where a person
 * decides: before COMMIT (the commit gate), and before each statement,
 * which then goes on its own (the prefix, each statement, the history
 * rows). Nothing is sent while paused or held. */
#include "config.h"

#include "core/apply.h"
#include "core/backup.h"
#include "core/diff.h"
#include "core/locks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/monitor.h"

/* ------------------------------------------------------------ preparing */

static const char *first_word_end(const char *s)
{
    while (isalpha((unsigned char)*s))
        s++;
    return s;
}

/* SQLite statements the PostgreSQL grammar may not read: the keyword. */
static bool sqlite_transaction_control(const sql_statement *st)
{
    if (st->transaction_control)
        return true;
    const char *p = st->text;
    size_t n = (size_t)(first_word_end(p) - p);
    static const char *const words[] = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT",
                                        "RELEASE"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (n == strlen(words[i]) && strncasecmp(p, words[i], n) == 0)
            return true;
    return false;
}

static bool sqlite_needs_autocommit(const sql_statement *st)
{
    const char *p = st->text;
    size_t n = (size_t)(first_word_end(p) - p);
    return n == 6 && strncasecmp(p, "VACUUM", 6) == 0;
}

/* A script's own line for a statement's line. */
static int file_line(const migration_script *s, int line)
{
    return s->line + line - 1;
}

static void append_script(strbuf *sb, const migration_run *r)
{
    const sql_script *p = &r->parsed;
    strbuf_append(sb, p->text);
    if (p->length == 0 || p->text[p->length - 1] != '\n')
        strbuf_append_char(sb, '\n');
    if (p->count == 0)
        return;
    /* The server must see the last statement end where the file ends it;
     * a final statement without ';' gets one, or the history write would
     * become part of it. */
    const sql_statement *last = &p->statements[p->count - 1];
    const char *q = p->text + last->offset + last->length;
    while (*q && isspace((unsigned char)*q))
        q++;
    if (*q != ';')
        strbuf_append(sb, ";\n");
}

static char *history_write_sql(db *d, const history_table *t, const migration_run *r,
                               const char *actor, bool dirty, size_t steps)
{
    char *v = db_quote_literal(d, r->m->version);
    char *sql;
    if (r->down && !dirty) {
        sql = xasprintf("DELETE FROM %s WHERE version = %s;\n", t->history_sql, v);
    } else {
        bool pg = db_get_kind(d) == DB_POSTGRES;
        char *n = db_quote_literal(d, r->m->name), *c = db_quote_literal(d, r->m->checksum),
             *a = db_quote_literal(d, actor);
        sql = xasprintf(
            "INSERT INTO %s (version, name, checksum, applied_at, applied_by, duration_ms, "
            "dirty, steps_done)\n  VALUES (%s, %s, %s, %s, %s, %s, %s, %zu);\n",
            t->history_sql, v, n, c,
            pg ? "now()" : "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", a,
            dirty ? "NULL"
            : pg  ? "(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer"
                  : ":duration_ms",
            dirty ? (pg ? "true" : "1") : (pg ? "false" : "0"), steps);
        free(n);
        free(c);
        free(a);
    }
    free(v);
    return sql;
}

static sw_status refuse(migration_run *r, const sql_statement *st, sw_error *err, const char *what,
                        const char *hint)
{
    return sw_error_set(err, SW_USAGE, "%s:%d:%d: error: %s; %s", r->script->path,
                        file_line(r->script, st->line), st->column, what, hint);
}

static sw_status check_statements(migration_run *r, bool sqlite, sw_error *err)
{
    const sql_script *p = &r->parsed;
    for (size_t i = 0; i < p->count; i++) {
        const sql_statement *st = &p->statements[i];
        if (!sqlite && st->error)
            return sw_error_set(err, SW_USAGE, "%s:%d:%d: error: %s", r->script->path,
                                file_line(r->script, st->error_line), st->error_column,
                                st->error);
        if (!r->transactional)
            continue;
        bool control = sqlite ? sqlite_transaction_control(st) : st->transaction_control;
        if (control)
            return refuse(r, st, err, "the script controls its own transaction",
                          "stepwise wraps each migration in one: remove it, or add "
                          "'-- stepwise:no-transaction' at the top and run it statement by "
                          "statement");
        if (sqlite ? sqlite_needs_autocommit(st) : (st->analysed && !st->transactional))
            return sw_error_set(err, SW_USAGE,
                                "%s:%d:%d: error: %s cannot run inside a transaction block; add "
                                "'-- stepwise:no-transaction' at the top of the script (and a "
                                "lock_timeout of its own)",
                                r->script->path, file_line(r->script, st->line), st->column,
                                st->kind ? st->kind : "this statement");
    }
    return SW_OK;
}

static sw_status timeout_setting(const migration_run *r, const char *given, const char *what,
                                 char **out, sw_error *err)
{
    *out = NULL;
    if (!given)
        return SW_OK;
    *out = duration_setting(given);
    if (!*out)
        return sw_error_set(err, SW_USAGE,
                            "%s: %s '%s' is not a duration (e.g. 500ms, 3s, 1min)",
                            r->script->path, what, given);
    return SW_OK;
}

static void compose(db *d, const history_table *t, migration_run *r, const char *actor)
{
    bool pg = db_get_kind(d) == DB_POSTGRES;
    strbuf sb = {0};
    const char *action = r->down ? "rollback" : "apply";
    if (r->transactional) {
        strbuf_append(&sb, pg ? "BEGIN;\n" : "BEGIN IMMEDIATE;\n");
        /* PostgreSQL gets this whole text as one query, so its results
         * count BEGIN and the SETs; SQLite is sent the bare script. */
        r->prefix_statements = pg ? 1 : 0;
        if (!pg) {
            /* Sent on its own under the write lock: another run may have
             * done this version meanwhile. */
            char *v = db_quote_literal(d, r->m->version);
            strbuf_appendf(&sb, "SELECT count(*) FROM %s WHERE version = %s;\n", t->history_sql,
                           v);
            free(v);
        }
        if (pg) {
            strbuf_appendf(&sb, "SET LOCAL lock_timeout = '%s';\n", r->lock_timeout);
            r->prefix_statements++;
            if (r->statement_timeout) {
                strbuf_appendf(&sb, "SET LOCAL statement_timeout = '%s';\n",
                               r->statement_timeout);
                r->prefix_statements++;
            }
        }
        r->script_offset = sb.len;
        append_script(&sb, r);
        char *h = history_write_sql(d, t, r, actor, false, r->parsed.count);
        char *e = history_event_sql(d, t, actor, action, r->m->version, "ok", NULL);
        r->history_offset = sb.len;
        strbuf_append(&sb, h);
        strbuf_append(&sb, e);
        r->commit_offset = sb.len;
        strbuf_append(&sb, "COMMIT;\n");
        free(h);
        free(e);
    } else {
        strbuf_append(&sb, "-- no-transaction: each statement is sent on its own, in autocommit\n");
        if (pg) {
            strbuf_appendf(&sb, "SET lock_timeout = '%s';\n", r->lock_timeout);
            if (r->statement_timeout)
                strbuf_appendf(&sb, "SET statement_timeout = '%s';\n", r->statement_timeout);
        }
        if (r->down)
            strbuf_appendf(&sb, "UPDATE %s SET dirty = %s, steps_done = 0 WHERE version = "
                                "'%s';\n",
                           t->history_sql, pg ? "true" : "1", r->m->version);
        else {
            char *h = history_write_sql(d, t, r, actor, true, 0);
            strbuf_append(&sb, h);
            free(h);
        }
        r->script_offset = sb.len;
        for (size_t i = 0; i < r->parsed.count; i++)
            strbuf_appendf(&sb, "%s;\n-- then: UPDATE %s SET steps_done = %zu\n",
                           r->parsed.statements[i].text, t->history_sql, i + 1);
        if (r->down)
            strbuf_appendf(&sb, "DELETE FROM %s WHERE version = '%s';\n", t->history_sql,
                           r->m->version);
        else
            strbuf_appendf(&sb, "UPDATE %s SET dirty = %s, duration_ms = <elapsed> WHERE "
                                "version = '%s';\n",
                           t->history_sql, pg ? "false" : "0", r->m->version);
        char *e = history_event_sql(d, t, actor, action, r->m->version, "ok", NULL);
        strbuf_append(&sb, e);
        free(e);
        if (pg)
            strbuf_append(&sb, "RESET lock_timeout;\nRESET statement_timeout;\n");
    }
    r->sql = strbuf_detach(&sb);
}

sw_status migration_run_prepare(db *d, const history_table *t, const run_settings *rs,
                                const plan_step *step, const char *actor_text, migration_run *out,
                                sw_error *err)
{
    memset(out, 0, sizeof *out);
    const status_entry *e = step->e;
    if (!e->m)
        return sw_error_set(err, SW_USAGE,
                            "version %s is recorded but no file has it; restore the file, or "
                            "remove the record with 'stepwise force %s --unapplied'",
                            e->version, e->version);
    out->m = e->m;
    out->down = step->down;
    if (step->down && !e->m->has_down)
        return sw_error_set(err, SW_USAGE,
                            "version %s (%s) has no down script, so it cannot be rolled back; "
                            "write one, or remove the record with 'stepwise force %s "
                            "--unapplied'",
                            e->version, e->m->up.path, e->version);
    out->script = step->down ? &e->m->down : &e->m->up;
    out->transactional = !out->script->directives.no_transaction;
    bool sqlite = db_get_kind(d) == DB_SQLITE;
    strbuf text = {0};
    sw_status st = migration_script_text(out->script, &text, err);
    if (st == SW_OK)
        st = sql_script_parse(&out->parsed, out->script->path, strbuf_str(&text), text.len,
                              sqlite ? SQL_SQLITE : SQL_POSTGRES, err);
    strbuf_free(&text);
    if (st == SW_OK)
        st = check_statements(out, sqlite, err);
    const char *lock = out->script->directives.lock_timeout
                           ? out->script->directives.lock_timeout
                           : rs->lock_timeout ? rs->lock_timeout : APPLY_DEFAULT_LOCK_TIMEOUT;
    const char *stmt = out->script->directives.statement_timeout
                           ? out->script->directives.statement_timeout
                           : rs->statement_timeout;
    if (st == SW_OK)
        st = timeout_setting(out, lock, "lock timeout", &out->lock_timeout, err);
    if (st == SW_OK)
        st = timeout_setting(out, stmt, "statement timeout", &out->statement_timeout, err);
    if (st != SW_OK) {
        migration_run_free(out);
        return st;
    }
    compose(d, t, out, actor_text);
    return SW_OK;
}

void migration_run_free(migration_run *r)
{
    sql_script_free(&r->parsed);
    free(r->lock_timeout);
    free(r->statement_timeout);
    free(r->sql);
    memset(r, 0, sizeof *r);
}

/* -------------------------------------------------------------- running */

/* What the work connection was sent last, so that its end leads on. */
typedef enum run_piece {
    PIECE_NONE,
    PIECE_WHOLE,     /* transactional: the whole text (PostgreSQL), the script (SQLite) */
    PIECE_PREFIX,    /* RUN_STEP, PostgreSQL: BEGIN and the SETs */
    PIECE_STATEMENT, /* statement `next` of the script, on its own */
    PIECE_TAIL,      /* RUN_STEP, PostgreSQL: the history rows (and COMMIT) */
    PIECE_COMMIT,    /* runner_commit's COMMIT */
} run_piece;

struct runner {
    const db_target *target; /* the caller's, alive until runner_close */
    db *work;
    db *lockconn;          /* PostgreSQL: holds the advisory lock */
    monitor *mon;          /* opened when a statement runs long enough */
    history_table table;
    run_settings settings;
    char *actor;
    char *db_user;
    char *audit_path;
    audit_log *audit;      /* opened at the first event, closed with the runner */

    /* The migration in progress: */
    migration_run *run;
    bool active;
    bool finished;
    bool cancelled;
    unsigned flags;        /* RUN_HOLD (transactional only), RUN_STEP */
    run_piece piece;
    bool paused;           /* RUN_STEP: before statement `next`, nothing sent */
    bool held;             /* RUN_HOLD: at the commit gate, nothing sent */
    size_t next;           /* statement being run (no-transaction, RUN_STEP) */
    double started;
    double next_look;      /* when to ask the monitor again */
    char *blockers;        /* last seen */
    bool waiting;
    run_result result;

    /* After runner_backup: the latest snapshot of the run, where it was
     * taken, and the migrations committed since (first..last, how many). */
    bool snapshots;
    schema_snapshot before;
    char *backup_path;     /* the run's snapshot, saved */
    char *before_version;  /* NULL: `before` is the run's; else taken before this version */
    char *since_first, *since_last;
    size_t since;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

db *runner_db(runner *r)
{
    return r->work;
}

const history_table *runner_table(runner *r)
{
    return &r->table;
}

const char *runner_actor(runner *r)
{
    return r->actor;
}

/* The session holding the migration lock, for the message. */
static char *lock_holder(runner *r)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", r->table.lock_key);
    const char *params[] = {key};
    db_result *res = NULL;
    sw_error e = {0};
    char *who = NULL;
    if (db_query(r->lockconn,
                 "SELECT a.pid, a.usename, coalesce(a.client_hostname, host(a.client_addr), "
                 "'local socket'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), "
                 "date_part('epoch', now() - a.backend_start)::bigint, a.application_name "
                 "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                 "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                 "AND l.classid = ($1::bigint >> 32)::oid "
                 "AND l.objid = ($1::bigint & 4294967295)::oid",
                 1, params, &res, &e) == SW_OK &&
        res->nrows > 0) {
        char *app = text_escaped(db_result_value(res, 0, 5) ? db_result_value(res, 0, 5) : "");
        who = xasprintf("pid %s, user %s, host %s, application '%s', since %s (%s s)",
                        db_result_value(res, 0, 0), db_result_value(res, 0, 1),
                        db_result_value(res, 0, 2), app, db_result_value(res, 0, 3),
                        db_result_value(res, 0, 4));
        free(app);
    }
    db_result_free(res);
    return who ? who : xstrdup("a session this user cannot see (no pg_read_all_stats?)");
}

static sw_status take_lock(runner *r, sw_error *err)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", r->table.lock_key);
    const char *params[] = {key};
    double deadline = now_seconds() + r->settings.wait_lock;
    for (;;) {
        db_result *res = NULL;
        sw_status st = db_query(r->lockconn, "SELECT pg_try_advisory_lock($1::bigint)", 1,
                                params, &res, err);
        if (st != SW_OK)
            return st;
        bool got = strcmp(db_result_value(res, 0, 0), "t") == 0;
        db_result_free(res);
        if (got)
            return SW_OK;
        if (now_seconds() >= deadline) {
            char *who = lock_holder(r);
            sw_error_set(err, SW_LOCKED,
                         "another stepwise run holds the migration lock of %s: %s; wait for it "
                         "to finish%s",
                         r->table.display, who,
                         r->settings.wait_lock > 0 ? "" : ", or pass --wait-lock DURATION");
            free(who);
            return SW_LOCKED;
        }
        usleep(200 * 1000);
    }
}

sw_status runner_open(const db_target *t, const char *table, const run_settings *rs, bool create,
                      runner **out, sw_error *err)
{
    *out = NULL;
    runner *r = xcalloc(1, sizeof *r);
    r->settings = *rs;
    r->audit_path = rs->audit_path ? xstrdup(rs->audit_path) : NULL;
    r->settings.audit_path = r->audit_path;
    r->target = t;
    sw_status st = SW_OK;
    if (st == SW_OK)
        st = db_open(t, create ? DB_OPEN_CREATE : DB_OPEN_EXISTING, &r->work, err);
    if (st == SW_OK)
        st = history_table_init(r->work, table, &r->table, err);
    if (st == SW_OK && t->kind == DB_POSTGRES) {
        st = db_exec(r->work, "SET application_name = '" MONITOR_MIGRATION_PREFIX "'", err);
        if (st == SW_OK)
            st = db_open(t, DB_OPEN_EXISTING, &r->lockconn, err);
        if (st == SW_OK)
            st = db_exec(r->lockconn, "SET application_name = 'stepwise run lock'", err);
        if (st == SW_OK)
            st = take_lock(r, err);
    }
    if (st == SW_OK) {
        db_server_info info;
        if (db_server_info_get(r->work, &info, err) == SW_OK) {
            r->db_user = info.user ? xstrdup(info.user) : NULL;
            db_server_info_free(&info);
        }
        r->settings.actor.db_user = r->db_user;
        r->actor = history_actor_text(&r->settings.actor);
    }
    if (st != SW_OK) {
        runner_close(r);
        return st;
    }
    *out = r;
    return SW_OK;
}

void runner_close(runner *r)
{
    if (!r)
        return;
    monitor_close(r->mon);
    audit_log_close(r->audit, NULL);
    db_close(r->lockconn); /* ends the session: the advisory lock goes with it */
    db_close(r->work);
    history_table_free(&r->table);
    free(r->actor);
    free(r->db_user);
    free(r->audit_path);
    free(r->blockers);
    run_result_free(&r->result);
    schema_snapshot_free(&r->before);
    free(r->backup_path);
    free(r->before_version);
    free(r->since_first);
    free(r->since_last);
    free(r);
}

/* The connection to record events on after a failure: the lock
 * connection survives a terminated work session. */
static db *event_db(runner *r)
{
    return r->lockconn ? r->lockconn : r->work;
}

/* `before` was just taken (before `version`, NULL: before the run). */
static void forget_since(runner *r, const char *version)
{
    free(r->before_version);
    r->before_version = version ? xstrdup(version) : NULL;
    free(r->since_first);
    free(r->since_last);
    r->since_first = r->since_last = NULL;
    r->since = 0;
}

sw_status runner_create_history(runner *r, sw_error *err)
{
    return history_create(r->work, &r->table, err);
}

sw_status runner_backup(runner *r, const char *dir, char **path, sw_error *err)
{
    *path = NULL;
    schema_snapshot_free(&r->before);
    sw_status st = schema_snapshot_take(r->work, &r->table, &r->before, err);
    if (st != SW_OK)
        return st;
    db_server_info info;
    const char *name = r->target->path ? r->target->path : "database";
    bool have_info = db_server_info_get(r->work, &info, err) == SW_OK;
    if (have_info && info.database)
        name = info.database;
    st = snapshot_save(&r->before, dir, name, time(NULL), path, err);
    if (have_info)
        db_server_info_free(&info);
    if (st != SW_OK)
        return st;
    r->snapshots = true;
    free(r->backup_path);
    r->backup_path = xstrdup(*path);
    forget_since(r, NULL);
    char *detail = xasprintf("schema before the run saved to %s (%zu objects)", *path,
                             r->before.count);
    sw_error e = {0};
    runner_audit(r, "snapshot", NULL, "ok", detail, &e);
    free(detail);
    return SW_OK;
}

/* Before a migration: the schema as it is, for the check after a
 * failure. The latest snapshot serves while nothing was committed since
 * it; a no-transaction migration, which can leave half its work behind,
 * gets a fresh one, and so does every migration with snapshot_each. A
 * transactional one after others committed is otherwise not snapshotted:
 * a snapshot costs more than a light migration (bench/apply), and the
 * server's rollback is what keeps it whole; its failure is compared with
 * the latest snapshot, saying so. At a commit gate (RUN_HOLD) a person
 * looks at the diff: it gets one too, so the diff is this migration's. */
static void snapshot_before(runner *r, const migration_run *run)
{
    bool each = r->settings.snapshot_each || (r->flags & RUN_HOLD);
    if (!r->snapshots || !r->since || (run->transactional && !each))
        return;
    schema_snapshot now = {0};
    sw_error e = {0};
    if (schema_snapshot_take(r->work, &r->table, &now, &e) != SW_OK) {
        schema_snapshot_free(&now);
        return; /* the older one still serves, named as such */
    }
    schema_snapshot_free(&r->before);
    r->before = now;
    forget_since(r, run->m->version);
}

/* A migration committed: `before` no longer shows the schema as it is. */
static void committed_since(runner *r, const char *version)
{
    if (!r->snapshots)
        return;
    if (!r->since_first)
        r->since_first = xstrdup(version);
    free(r->since_last);
    r->since_last = xstrdup(version);
    r->since++;
}

/* NULL when `before` shows the schema just before this migration (nothing
 * was committed since it was taken); else which snapshot it is. */
static char *compared_text(runner *r)
{
    if (!r->since)
        return NULL;
    char *taken = r->before_version ? xasprintf("before %s", r->before_version)
                                    : xasprintf("before the run (%s)", r->backup_path);
    char *text = xasprintf("the snapshot taken %s, not with one taken just before %s", taken,
                           r->run->m->version);
    free(taken);
    return text;
}

/* After a failure: does anything of the migration remain? */
static void check_remains(runner *r)
{
    if (!r->snapshots)
        return;
    schema_snapshot now = {0};
    schema_diff d = {0};
    sw_error e = {0};
    if (schema_snapshot_take(event_db(r), &r->table, &now, &e) == SW_OK &&
        schema_diff_compute(&r->before, &now, &d, &e) == SW_OK) {
        r->result.schema_checked = true;
        r->result.remains = d.count ? schema_diff_text(&d) : NULL;
        schema_diff_free(&d);
        r->result.compared_with = compared_text(r);
        if (r->since) {
            r->result.committed_since =
                r->since == 1 ? xstrdup(r->since_first)
                              : xasprintf("%s..%s, %zu migrations", r->since_first,
                                          r->since_last, r->since);
        }
    }
    schema_snapshot_free(&now);
}

/* One line in the local audit file, through the run's open log. */
static sw_status audit_line(runner *r, const audit_event *ev, sw_error *err)
{
    if (!r->settings.audit_path)
        return SW_OK;
    if (!r->audit && audit_log_open(r->settings.audit_path, &r->audit, err) != SW_OK)
        return SW_FAILED;
    return audit_log_write(r->audit, &r->settings.actor, ev, err);
}

sw_status runner_audit_local(runner *r, const char *action, const char *version,
                             const char *outcome, const char *detail, sw_error *err)
{
    audit_event ev = {.action = action,
                      .version = version,
                      .database = r->target->display,
                      .outcome = outcome,
                      .detail = detail};
    return audit_line(r, &ev, err);
}

sw_status runner_audit(runner *r, const char *action, const char *version, const char *outcome,
                       const char *detail, sw_error *err)
{
    sw_status st = history_event(event_db(r), &r->table, r->actor, action, version, outcome,
                                 detail, err);
    sw_error e2 = {0};
    if (runner_audit_local(r, action, version, outcome, detail, &e2) != SW_OK && st == SW_OK) {
        *err = e2;
        st = e2.status;
    }
    return st;
}

static sw_status exec_history(runner *r, const char *sql, sw_error *err)
{
    return db_exec(r->work, sql, err);
}

static sw_status send_statement(runner *r, sw_error *err)
{
    const sql_statement *st = &r->run->parsed.statements[r->next];
    r->piece = PIECE_STATEMENT;
    return db_send(r->work, st->text, err);
}

/* Send the migration's text from `from` to `to` as one piece. */
static sw_status send_part(runner *r, run_piece piece, size_t from, size_t to, sw_error *err)
{
    char *sql = xstrndup(r->run->sql + from, to - from);
    r->piece = piece;
    sw_status st = db_send(r->work, sql, err);
    free(sql);
    return st;
}

/* When to look at the locks first: soon enough to see a wait before
 * lock_timeout ends it, so that a timeout can name who blocked. */
static double first_look(const migration_run *run)
{
    double lt = 3;
    duration_parse(run->lock_timeout, &lt);
    return now_seconds() + (lt / 2 < 0.25 ? lt / 2 : 0.25);
}

static void fail(runner *r, run_outcome outcome, const char *fmt, ...) SW_PRINTF(3, 4);
static void fail(runner *r, run_outcome outcome, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(r->result.message);
    r->result.message = xvasprintf(fmt, ap);
    va_end(ap);
    r->result.outcome = outcome;
    r->finished = true;
}

static void sqlite_record(runner *r, bool commit);

/* Transactional, RUN_STEP: a pause before the next statement; once the
 * script is done, the history rows, then COMMIT or the hold. */
static sw_status script_next(runner *r, sw_error *err)
{
    migration_run *run = r->run;
    if (r->next < run->parsed.count) {
        r->paused = true;
        return SW_OK;
    }
    bool hold = r->flags & RUN_HOLD;
    if (db_get_kind(r->work) == DB_SQLITE) {
        sqlite_record(r, !hold);
        return SW_OK;
    }
    return send_part(r, PIECE_TAIL, run->history_offset,
                     hold ? run->commit_offset : strlen(run->sql), err);
}

sw_status runner_start(runner *r, migration_run *run, size_t resume_from, sw_error *err)
{
    return runner_start_ex(r, run, resume_from, 0, err);
}

sw_status runner_start_ex(runner *r, migration_run *run, size_t resume_from, unsigned flags,
                          sw_error *err)
{
    run_result_free(&r->result);
    free(r->blockers);
    r->blockers = NULL;
    r->flags = run->transactional ? flags : flags & ~(unsigned)RUN_HOLD;
    r->piece = PIECE_NONE;
    r->paused = r->held = false;
    snapshot_before(r, run);
    r->run = run;
    r->active = true;
    r->finished = false;
    r->cancelled = false;
    r->waiting = false;
    r->next = resume_from;
    r->result.steps_done = resume_from; /* a resume that fails at once still says how far */
    r->started = now_seconds();
    r->next_look = first_look(run);
    bool pg = db_get_kind(r->work) == DB_POSTGRES;
    bool step = r->flags & RUN_STEP;
    sw_status st = SW_OK;
    if (run->transactional && pg) {
        if (step)
            return send_part(r, PIECE_PREFIX, 0, run->script_offset, err);
        return send_part(r, PIECE_WHOLE, 0,
                         r->flags & RUN_HOLD ? run->commit_offset : strlen(run->sql), err);
    }
    if (run->transactional) {
        /* SQLite: take the write lock, then look again at the history:
         * another runner may have applied this version meanwhile. */
        st = db_exec(r->work, "BEGIN IMMEDIATE", err);
        if (st != SW_OK) {
            fail(r, RUN_FAILED, "cannot begin: %s", err->message);
            return SW_OK;
        }
        char *sql = xasprintf("SELECT count(*) FROM %s WHERE version = ?1", r->table.history_sql);
        const char *params[] = {run->m->version};
        db_result *res = NULL;
        st = db_query(r->work, sql, 1, params, &res, err);
        free(sql);
        bool recorded = st == SW_OK && strcmp(db_result_value(res, 0, 0), "0") != 0;
        db_result_free(res);
        if (st != SW_OK || recorded == !run->down) {
            db_exec(r->work, "ROLLBACK", NULL);
            if (st != SW_OK)
                fail(r, RUN_FAILED, "cannot read the history: %s", err->message);
            else {
                r->result.outcome = RUN_SKIPPED;
                r->finished = true;
            }
            return SW_OK;
        }
        if (step)
            return script_next(r, err);
        strbuf sb = {0};
        append_script(&sb, run);
        r->piece = PIECE_WHOLE;
        st = db_send(r->work, strbuf_str(&sb), err);
        strbuf_free(&sb);
        return st;
    }
    /* No transaction: the history row says dirty before anything runs. */
    if (pg) {
        char *set = xasprintf("SET lock_timeout = '%s'; SET statement_timeout = '%s'",
                              run->lock_timeout,
                              run->statement_timeout ? run->statement_timeout : "0");
        st = db_exec(r->work, set, err);
        free(set);
    }
    if (st == SW_OK && resume_from == 0) {
        char *sql;
        if (run->down)
            sql = xasprintf("UPDATE %s SET dirty = %s, steps_done = 0 WHERE version = '%s'",
                            r->table.history_sql, pg ? "true" : "1", run->m->version);
        else
            sql = history_write_sql(r->work, &r->table, run, r->actor, true, 0);
        st = exec_history(r, sql, err);
        free(sql);
    }
    if (st != SW_OK) {
        fail(r, RUN_FAILED, "cannot mark version %s dirty before running it: %s",
             run->m->version, err->message);
        return SW_OK;
    }
    /* Which way this dirty row is going, for resume and for the record. */
    char *detail = xasprintf("no transaction: %s %zu statements, from statement %zu",
                             run->down ? "rolling back" : "applying", run->parsed.count,
                             resume_from + 1);
    sw_error e = {0};
    runner_audit(r, run->down ? "rollback" : "apply", run->m->version,
                 resume_from ? "resumed" : "started", detail, &e);
    free(detail);
    r->piece = PIECE_STATEMENT;
    if (r->next >= run->parsed.count)
        return SW_OK;
    if (step) {
        r->paused = true;
        return SW_OK;
    }
    return send_statement(r, err);
}

/* One line per blocker of the work session, from the lock monitor. */
static void look_at_locks(runner *r)
{
    if (!r->mon) {
        sw_error e = {0};
        if (monitor_open(r->target, &r->mon, &e) != SW_OK) {
            r->next_look = now_seconds() + 5; /* not again soon */
            return;
        }
    }
    monitor_snapshot snap;
    sw_error e = {0};
    if (monitor_refresh(r->mon, &snap, &e) != SW_OK)
        return;
    const monitor_session *me = monitor_find(&snap, db_backend_pid(r->work));
    r->waiting = me && me->waiting;
    if (r->waiting) {
        strbuf sb = {0};
        for (size_t i = 0; i < me->nblockers; i++) {
            const monitor_session *b = monitor_find(&snap, me->blockers[i]);
            if (!b) {
                strbuf_appendf(&sb, "pid %d (not visible)\n", me->blockers[i]);
                continue;
            }
            char *q = b->query ? xstrdup(b->query) : xstrdup("");
            if (strlen(q) > 200)
                strcpy(q + 197, "...");
            strbuf_appendf(&sb, "pid %d, user %s, application '%s', %s, transaction %.0f s: %s\n",
                           b->pid, b->user ? b->user : "?", b->application ? b->application : "",
                           b->state ? b->state : "?", b->xact_age >= 0 ? b->xact_age : 0.0, q);
            free(q);
        }
        free(r->blockers);
        r->blockers = strbuf_detach(&sb);
    }
    monitor_snapshot_free(&snap);
}

char *migration_run_locate(const migration_run *run, size_t statement, int position,
                           const char *message)
{
    if (statement >= run->parsed.count)
        return xasprintf("%s: %s", run->script->path, message);
    const sql_statement *st = &run->parsed.statements[statement];
    int line = file_line(run->script, st->line), col = st->column;
    if (position > 0) {
        /* A character position in the statement's text: walk to it. */
        const char *p = st->text;
        for (int chars = 1; *p && chars < position; chars++) {
            size_t n = utf8_valid_length((const unsigned char *)p);
            p += n ? n : 1; /* an invalid byte counts as one character */
        }
        sql_position(run->parsed.text, st->offset + (size_t)(p - st->text), &line, &col);
        line = file_line(run->script, line);
    }
    return xasprintf("%s:%d:%d: %s", run->script->path, line, col, message);
}

/* Where in its file the failed statement is, for the message. */
static char *locate(runner *r, const db_outcome *o, const char *message)
{
    migration_run *run = r->run;
    bool pg = db_get_kind(r->work) == DB_POSTGRES;
    if (r->piece == PIECE_STATEMENT)
        return migration_run_locate(run, r->next, pg ? o->position : 0, message);
    if (r->piece == PIECE_COMMIT)
        return xasprintf("%s: COMMIT failed: %s", run->script->path, message);
    const sql_statement *st = NULL;
    int line = 0, col = 0;
    if (r->piece == PIECE_WHOLE) {
        /* Statements count from the prefix; a position from the text's start. */
        size_t done = (size_t)o->completed;
        size_t prefix = run->prefix_statements;
        if (done >= prefix && done - prefix < run->parsed.count)
            st = &run->parsed.statements[done - prefix];
        if (o->position > 0 && pg) {
            /* A character position in the text sent: walk to it. */
            const char *p = run->sql;
            int chars = 1;
            while (*p && chars < o->position) {
                size_t n = utf8_valid_length((const unsigned char *)p);
                p += n ? n : 1; /* an invalid byte counts as one character */
                chars++;
            }
            size_t off = (size_t)(p - run->sql);
            if (off >= run->script_offset && off - run->script_offset <= run->script->length) {
                sql_position(run->parsed.text, off - run->script_offset, &line, &col);
                line = file_line(run->script, line);
            }
        }
    }
    if (!line && st) {
        line = file_line(run->script, st->line);
        col = st->column;
    }
    if (line)
        return xasprintf("%s:%d:%d: %s", run->script->path, line, col, message);
    return xasprintf("%s: %s", run->script->path, message);
}

static void invalid_index_hint(runner *r)
{
    const sql_statement *st = &r->run->parsed.statements[r->next];
    if (!st->kind || !strstr(st->kind, "CREATE") || !strstr(st->kind, "INDEX") ||
        !strstr(st->kind, "CONCURRENTLY"))
        return;
    for (size_t i = 0; i < st->nlocks; i++) {
        if (st->locks[i].index)
            continue;
        const char *params[] = {st->locks[i].relation};
        db_result *res = NULL;
        if (db_query(event_db(r),
                     "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
                     "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE NOT i.indisvalid AND i.indrelid = to_regclass($1) ORDER BY 1",
                     1, params, &res, NULL) == SW_OK) {
            strbuf sb = {0};
            for (int k = 0; k < res->nrows; k++)
                strbuf_appendf(&sb, "%sDROP INDEX CONCURRENTLY %s;", k ? " " : "",
                               db_result_value(res, k, 0));
            if (sb.len) {
                r->result.hint = xasprintf("the failed build left an invalid index; drop it "
                                           "before resuming: %s",
                                           strbuf_str(&sb));
            }
            strbuf_free(&sb);
        }
        db_result_free(res);
    }
}

static void finish_failure(runner *r, const db_outcome *o, const char *message)
{
    bool lock = strcmp(o->sqlstate, "55P03") == 0;
    run_outcome outcome = r->cancelled ? RUN_ABORTED : lock ? RUN_LOCK_TIMEOUT : RUN_FAILED;
    char *where = locate(r, o, message);
    fail(r, outcome, "%s", where);
    free(where);
    if (r->run->transactional)
        db_exec(r->work, "ROLLBACK", NULL); /* harmless when the connection is gone */
    else if (db_get_kind(r->work) == DB_POSTGRES)
        invalid_index_hint(r);
    if (lock && r->blockers)
        r->result.blockers = xstrdup(r->blockers);
    check_remains(r);
}

/* Sending failed (the connection is gone): the migration ends there. */
static void send_failed(runner *r, const char *message)
{
    db_outcome none = {0};
    finish_failure(r, &none, message);
}

/* No-transaction: after each statement, the history says how far. */
static sw_status advance(runner *r, sw_error *err)
{
    migration_run *run = r->run;
    bool pg = db_get_kind(r->work) == DB_POSTGRES;
    r->next++;
    r->result.steps_done = r->next;
    char *sql = xasprintf("UPDATE %s SET steps_done = %zu WHERE version = '%s'",
                          r->table.history_sql, r->next, run->m->version);
    sw_status st = exec_history(r, sql, err);
    free(sql);
    if (st != SW_OK)
        return st;
    if (r->next < run->parsed.count && (r->flags & RUN_STEP)) {
        r->paused = true;
        return SW_OK;
    }
    if (r->next < run->parsed.count)
        return send_statement(r, err);
    long long ms = (long long)((now_seconds() - r->started) * 1000);
    if (run->down)
        sql = xasprintf("DELETE FROM %s WHERE version = '%s'", r->table.history_sql,
                        run->m->version);
    else
        sql = xasprintf("UPDATE %s SET dirty = %s, duration_ms = %lld, applied_at = %s WHERE "
                        "version = '%s'",
                        r->table.history_sql, pg ? "false" : "0", ms,
                        pg ? "now()" : "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", run->m->version);
    st = exec_history(r, sql, err);
    free(sql);
    if (st == SW_OK && pg)
        st = db_exec(r->work, "RESET lock_timeout; RESET statement_timeout", err);
    r->finished = true;
    r->result.outcome = RUN_OK;
    return st;
}

/* SQLite transactional: the script ran; write the history, then commit
 * (or, without `commit`, hold at the gate: RUN_HOLD). */
static void sqlite_record(runner *r, bool commit)
{
    migration_run *run = r->run;
    sw_error e = {0};
    char *h = history_write_sql(r->work, &r->table, run, r->actor, false, run->parsed.count);
    char *ms = strstr(h, ":duration_ms");
    if (ms) {
        char *with = xasprintf("%.*s%lld%s", (int)(ms - h),
                               h, (long long)((now_seconds() - r->started) * 1000),
                               ms + strlen(":duration_ms"));
        free(h);
        h = with;
    }
    char *ev = history_event_sql(r->work, &r->table, r->actor, run->down ? "rollback" : "apply",
                                 run->m->version, "ok", NULL);
    strbuf sb = {0};
    strbuf_append(&sb, h);
    strbuf_append(&sb, ev);
    if (commit)
        strbuf_append(&sb, "COMMIT;");
    if (db_exec(r->work, strbuf_str(&sb), &e) != SW_OK) {
        db_exec(r->work, "ROLLBACK", NULL);
        fail(r, RUN_FAILED, "%s: recording the migration failed, rolled back: %s",
             run->script->path, e.message);
    } else if (commit) {
        r->result.outcome = RUN_OK;
        r->finished = true;
    } else {
        r->held = true;
    }
    strbuf_free(&sb);
    free(h);
    free(ev);
}

/* The end of a whole transactional text, or of its history rows: done,
 * or (RUN_HOLD) at the commit gate. */
static void end_or_hold(runner *r)
{
    if (r->flags & RUN_HOLD) {
        r->held = true;
        return;
    }
    r->result.outcome = RUN_OK;
    r->finished = true;
}

/* The piece sent has ended well: what comes next. */
static sw_status piece_done(runner *r, const db_outcome *o, sw_error *err)
{
    run_piece piece = r->piece;
    r->piece = PIECE_NONE;
    switch (piece) {
    case PIECE_STATEMENT:
        r->result.rows = o->rows;
        if (!r->run->transactional)
            return advance(r, err);
        r->next++;
        return script_next(r, err);
    case PIECE_PREFIX:
        return script_next(r, err);
    case PIECE_WHOLE:
        r->result.rows = o->rows;
        if (db_get_kind(r->work) == DB_SQLITE)
            sqlite_record(r, !(r->flags & RUN_HOLD));
        else
            end_or_hold(r);
        return SW_OK;
    case PIECE_TAIL:
        end_or_hold(r);
        return SW_OK;
    default: /* PIECE_COMMIT */
        break;
    }
    r->result.outcome = RUN_OK;
    r->finished = true;
    return SW_OK;
}

sw_status runner_poll(runner *r, int timeout_ms, bool *done, run_progress *progress, sw_error *err)
{
    *done = false;
    if (progress)
        memset(progress, 0, sizeof *progress);
    /* Paused or held, nothing runs: the answer is now, and no lock is
     * looked at. */
    while (!r->finished && !r->paused && !r->held) {
        bool ready = false;
        int slice = timeout_ms > 100 ? 100 : timeout_ms;
        if (db_poll(r->work, slice, &ready, err) != SW_OK)
            return SW_FAILED;
        if (!ready) {
            double now = now_seconds();
            if (db_get_kind(r->work) == DB_POSTGRES && now >= r->next_look) {
                look_at_locks(r);
                r->next_look = now_seconds() + 0.5;
            }
            timeout_ms -= slice;
            if (timeout_ms <= 0)
                break;
            continue;
        }
        db_outcome o;
        sw_error e = {0};
        if (db_finish(r->work, &o, &e) != SW_OK) {
            finish_failure(r, &o, e.message);
            break;
        }
        if (piece_done(r, &o, &e) != SW_OK) {
            if (r->run->transactional)
                send_failed(r, e.message); /* RUN_STEP: the history rows not sent */
            else
                fail(r, RUN_FAILED, "%s: %s", r->run->script->path, e.message);
        }
        r->waiting = false;
        r->next_look = now_seconds() + 0.25;
    }
    if (progress) {
        progress->elapsed = now_seconds() - r->started;
        progress->statement = r->next;
        progress->statements = r->run->parsed.count;
        progress->waiting = r->waiting;
        progress->blockers = r->blockers ? xstrdup(r->blockers) : NULL;
        progress->paused = r->paused;
        progress->held = r->held;
    }
    *done = r->finished;
    return SW_OK;
}

void runner_cancel(runner *r)
{
    if (r->active && !r->finished && (r->paused || r->held)) {
        sw_error e = {0};
        runner_stop(r, "cancelled by the operator", &e);
        return;
    }
    r->cancelled = true;
    db_cancel(r->work, NULL);
}

sw_status runner_continue(runner *r, sw_error *err)
{
    if (!r->active || r->finished || !r->paused)
        return sw_error_set(err, SW_USAGE, "no migration is paused before a statement");
    r->paused = false;
    r->waiting = false;
    free(r->blockers);
    r->blockers = NULL;
    r->next_look = first_look(r->run);
    sw_error e = {0};
    if (send_statement(r, &e) != SW_OK)
        send_failed(r, e.message);
    return SW_OK;
}

sw_status runner_commit(runner *r, sw_error *err)
{
    if (!r->active || r->finished || !r->held)
        return sw_error_set(err, SW_USAGE, "no migration is waiting at the commit gate");
    r->held = false;
    r->piece = PIECE_COMMIT;
    sw_error e = {0};
    if (db_send(r->work, "COMMIT", &e) != SW_OK)
        send_failed(r, e.message);
    return SW_OK;
}

sw_status runner_stop(runner *r, const char *why, sw_error *err)
{
    if (!r->active || r->finished || (!r->paused && !r->held))
        return sw_error_set(err, SW_USAGE,
                            "no migration is paused or held (a running statement is "
                            "cancelled instead)");
    migration_run *run = r->run;
    r->paused = r->held = false;
    r->piece = PIECE_NONE;
    if (run->transactional) {
        db_exec(r->work, "ROLLBACK", NULL); /* harmless when the connection is gone */
    } else {
        r->result.steps_done = r->next;
        if (db_get_kind(r->work) == DB_POSTGRES)
            db_exec(r->work, "RESET lock_timeout; RESET statement_timeout", NULL);
    }
    fail(r, RUN_ABORTED, "%s", why && *why ? why : "stopped by the operator");
    check_remains(r);
    return SW_OK;
}

int runner_work_pid(runner *r)
{
    return db_backend_pid(r->work);
}

/* The migration's transaction is open on the work connection, which waits
 * (paused or held): reads there see what the migration did. */
static bool waiting_in_transaction(const runner *r)
{
    return r->active && !r->finished && (r->paused || r->held) && r->run->transactional;
}

/* A read on the work connection inside the migration's transaction goes
 * in a savepoint: a failed read (a statement_timeout of the migration's)
 * must not abort the transaction the operator is about to commit. */
static bool savepoint_needed(runner *r, db *d)
{
    return d == r->work && db_get_kind(d) == DB_POSTGRES && waiting_in_transaction(r);
}

static void savepoint_end(db *d, bool ok)
{
    db_exec(d, ok ? "RELEASE SAVEPOINT stepwise_read"
                  : "ROLLBACK TO SAVEPOINT stepwise_read; RELEASE SAVEPOINT stepwise_read",
            NULL);
}

sw_status runner_gate_diff(runner *r, char **diff, char **compared_with, sw_error *err)
{
    *diff = NULL;
    *compared_with = NULL;
    if (!r->snapshots)
        return sw_error_set(err, SW_USAGE,
                            "no snapshot of the schema was taken before the run: nothing to "
                            "compare with");
    if (!r->active || r->finished || (!r->paused && !r->held))
        return sw_error_set(err, SW_USAGE,
                            "the schema is read only while the migration is paused or held, "
                            "not while a statement runs");
    bool savepoint = savepoint_needed(r, r->work);
    if (savepoint && db_exec(r->work, "SAVEPOINT stepwise_read", err) != SW_OK)
        return SW_FAILED;
    schema_snapshot now = {0};
    sw_status st = schema_snapshot_take(r->work, &r->table, &now, err);
    if (savepoint)
        savepoint_end(r->work, st == SW_OK);
    schema_diff d = {0};
    if (st == SW_OK)
        st = schema_diff_compute(&r->before, &now, &d, err);
    if (st == SW_OK) {
        *diff = d.count ? schema_diff_text(&d) : xstrdup("");
        *compared_with = compared_text(r);
    }
    schema_diff_free(&d);
    schema_snapshot_free(&now);
    return st;
}

/* The granted locks of `pid`, as "mode<TAB>object" rows by object. A
 * relation the reading session cannot see is the migration's own: new
 * (read from another session) or dropped (read inside its transaction). */
static sw_status read_held_locks(db *d, int pid, bool inside, db_result **out, sw_error *err)
{
    char spid[16];
    snprintf(spid, sizeof spid, "%d", pid);
    const char *params[] = {spid, inside ? "dropped" : "created by the migration, not committed"};
    return db_query(
        d,
        "SELECT l.mode, CASE "
        "WHEN l.relation IS NOT NULL AND c.oid IS NULL "
        "THEN 'relation ' || l.relation || ' (' || $2 || ')' "
        "WHEN l.locktype = 'relation' THEN pg_catalog.format('%I.%I', n.nspname, c.relname) "
        "WHEN l.locktype = 'tuple' THEN pg_catalog.format('tuple (%s,%s) of %I.%I', l.page, "
        "l.tuple, n.nspname, c.relname) "
        "WHEN l.locktype = 'page' THEN pg_catalog.format('page %s of %I.%I', l.page, "
        "n.nspname, c.relname) "
        "WHEN l.locktype = 'extend' THEN pg_catalog.format('extension of %I.%I', n.nspname, "
        "c.relname) "
        "WHEN l.locktype = 'object' THEN "
        "coalesce(pg_catalog.pg_describe_object(l.classid, l.objid, l.objsubid), "
        "l.classid::pg_catalog.regclass || ' ' || l.objid) "
        "WHEN l.locktype = 'advisory' THEN 'advisory lock ' || l.classid || ':' || l.objid "
        "ELSE l.locktype END "
        "FROM pg_catalog.pg_locks l "
        "LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE l.pid = $1::int AND l.granted "
        "AND l.locktype NOT IN ('virtualxid', 'transactionid') "
        "AND (n.nspname IS NULL OR n.nspname NOT IN ('pg_catalog', 'information_schema')) "
        "AND (l.locktype <> 'object' OR l.database <> 0) "
        "ORDER BY 2, 1",
        2, params, out, err);
}

sw_status runner_held_locks(runner *r, char **text, sw_error *err)
{
    *text = NULL;
    if (db_get_kind(r->work) == DB_SQLITE) {
        /* BEGIN IMMEDIATE took the write lock; it goes with COMMIT or ROLLBACK. */
        bool locked = r->active && !r->finished && r->run->transactional &&
                      r->piece != PIECE_COMMIT;
        *text = locked ? xasprintf("write lock on the database file %s (BEGIN IMMEDIATE): "
                                   "other writers wait until the migration ends\n",
                                   r->target->path)
                       : xstrdup("");
        return SW_OK;
    }
    /* Inside the waiting transaction the migration's new relations have
     * names; while a statement runs, the lock connection is free. */
    db *d = waiting_in_transaction(r) ? r->work : event_db(r);
    bool savepoint = savepoint_needed(r, d);
    if (savepoint && db_exec(d, "SAVEPOINT stepwise_read", err) != SW_OK)
        return SW_FAILED;
    db_result *res = NULL;
    sw_status st = read_held_locks(d, db_backend_pid(r->work), d == r->work, &res, err);
    if (savepoint)
        savepoint_end(d, st == SW_OK);
    if (st != SW_OK)
        return st;
    /* Strongest first; a mode the eight table modes do not name (e.g.
     * SIReadLock) last. */
    strbuf sb = {0};
    for (int mode = LOCK_ACCESS_EXCLUSIVE; mode >= LOCK_NONE; mode--)
        for (int i = 0; i < res->nrows; i++) {
            const char *name = db_result_value(res, i, 0);
            lock_mode m = lock_mode_from_name(name);
            if ((int)m != mode)
                continue;
            const char *what = db_result_value(res, i, 1);
            char *object = text_escaped(what ? what : "?");
            strbuf_appendf(&sb, "%s on %s\n", name, object);
            free(object);
        }
    db_result_free(res);
    *text = strbuf_detach(&sb);
    return SW_OK;
}

static const char *outcome_word(run_outcome o)
{
    static const char *const words[] = {"ok", "failed", "lock_timeout", "aborted", "skipped"};
    return (size_t)o < sizeof words / sizeof words[0] ? words[o] : "?";
}

void runner_result(runner *r, run_result *out)
{
    r->result.seconds = now_seconds() - r->started;
    *out = r->result;
    memset(&r->result, 0, sizeof r->result);
    migration_run *run = r->run;
    const char *action = run->down ? "rollback" : "apply";
    if (out->outcome == RUN_ABORTED)
        action = "operator_abort";
    else if (out->outcome == RUN_LOCK_TIMEOUT)
        action = "lock_timeout";
    strbuf detail = {0};
    if (out->message)
        strbuf_append(&detail, out->message);
    if (out->blockers) {
        char *who = text_one_line(out->blockers);
        strbuf_appendf(&detail, "%sblocked by: %s", detail.len ? "; " : "", who);
        free(who);
    }
    if (!run->transactional)
        strbuf_appendf(&detail, "%ssteps_done %zu of %zu", detail.len ? "; " : "",
                       out->steps_done, run->parsed.count);
    if (out->schema_checked && out->compared_with) {
        char *what = out->remains ? text_one_line(out->remains) : NULL;
        strbuf_appendf(&detail, "%sschema compared with %s: ", detail.len ? "; " : "",
                       out->compared_with);
        if (what)
            strbuf_appendf(&detail, "changed since by the migrations this run committed (%s): %s",
                           out->committed_since, what);
        else
            strbuf_append(&detail, "no difference, so nothing of the migration remains");
        free(what);
    } else if (out->schema_checked && !out->remains) {
        strbuf_appendf(&detail, "%sschema as before the migration", detail.len ? "; " : "");
    } else if (out->schema_checked) {
        char *what = text_one_line(out->remains);
        strbuf_appendf(&detail, "%sschema changed by the migration: %s", detail.len ? "; " : "",
                       what);
        free(what);
    }
    /* What the latest snapshot no longer shows: a committed migration, or
     * whatever a no-transaction one did before it stopped. */
    if (out->outcome == RUN_OK || out->outcome == RUN_SKIPPED || !run->transactional)
        committed_since(r, run->m->version);
    sw_error e = {0};
    if (out->outcome == RUN_OK && run->transactional) {
        /* The events row went in with the migration's own transaction;
         * the local file gets its line. */
        audit_event ev = {.action = action,
                          .version = run->m->version,
                          .database = r->target->display,
                          .outcome = "ok"};
        audit_line(r, &ev, &e);
    } else if (out->outcome == RUN_OK && !run->transactional) {
        runner_audit(r, action, run->m->version, "ok", detail.len ? strbuf_str(&detail) : NULL,
                     &e);
    } else if (out->outcome != RUN_SKIPPED) {
        runner_audit(r, action, run->m->version, outcome_word(out->outcome),
                     strbuf_str(&detail), &e);
    }
    strbuf_free(&detail);
    r->active = false;
}

void run_result_free(run_result *res)
{
    free(res->message);
    free(res->blockers);
    free(res->hint);
    free(res->compared_with);
    free(res->committed_since);
    free(res->remains);
    memset(res, 0, sizeof *res);
}

void run_progress_free(run_progress *p)
{
    free(p->blockers);
    memset(p, 0, sizeof *p);
}

sw_status runner_force(runner *r, const status_entry *e, bool unapplied, sw_error *err)
{
    bool pg = db_get_kind(r->work) == DB_POSTGRES;
    char *v = db_quote_literal(r->work, e->version);
    char *sql;
    if (unapplied) {
        sql = xasprintf("DELETE FROM %s WHERE version = %s", r->table.history_sql, v);
    } else {
        if (!e->m) {
            free(v);
            return sw_error_set(err, SW_USAGE,
                                "version %s has no file: it can only be forced --unapplied",
                                e->version);
        }
        char *n = db_quote_literal(r->work, e->m->name), *c = db_quote_literal(r->work, e->m->checksum),
             *a = db_quote_literal(r->work, r->actor);
        const char *f = pg ? "false" : "0";
        const char *at = pg ? "now()" : "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";
        sql = xasprintf("DELETE FROM %s WHERE version = %s; INSERT INTO %s (version, name, "
                        "checksum, applied_at, applied_by, duration_ms, dirty, steps_done) VALUES "
                        "(%s, %s, %s, %s, %s, NULL, %s, %d)",
                        r->table.history_sql, v, r->table.history_sql, v, n, c, at, a, f,
                        e->h ? e->h->steps_done : 0);
        free(n);
        free(c);
        free(a);
    }
    char *script = xasprintf("BEGIN; %s; COMMIT", sql);
    sw_status st = db_exec(r->work, script, err);
    if (st != SW_OK)
        db_exec(r->work, "ROLLBACK", NULL);
    free(script);
    free(sql);
    free(v);
    char *detail = xasprintf("%s (was %s)", unapplied ? "removed the record" : "marked applied, clean",
                             mig_state_name(e->state));
    sw_error e2 = {0};
    runner_audit(r, "force", e->version, st == SW_OK ? "ok" : "failed", detail, &e2);
    free(detail);
    return st;
}

sw_status runner_adopt(runner *r, const migration_source *src, const history_data *h,
                       size_t *adopted, char **skipped, sw_error *err)
{
    *adopted = 0;
    *skipped = NULL;
    if (h->count)
        return sw_error_set(err, SW_USAGE, "%s already records %zu version%s: nothing to adopt",
                            r->table.display, h->count, h->count == 1 ? "" : "s");
    if (h->foreign == FOREIGN_NONE || h->nforeign == 0)
        return sw_error_set(err, SW_USAGE,
                            "no golang-migrate or dbmate schema_migrations table with versions "
                            "was found");
    bool golang = h->foreign == FOREIGN_GOLANG_MIGRATE;
    const char *tool = golang ? "golang-migrate" : "dbmate";
    bool pg = db_get_kind(r->work) == DB_POSTGRES;
    /* golang-migrate keeps only the latest version: everything up to it
     * is applied. dbmate keeps one row per version. */
    const char *latest = h->foreign_versions[h->nforeign - 1];
    strbuf sql = {0}, miss = {0};
    strbuf_append(&sql, "BEGIN;\n");
    char *by = xasprintf("adopted from %s by %s", tool, r->actor);
    char *qby = db_quote_literal(r->work, by);
    for (size_t i = 0; i < src->count; i++) {
        const migration *m = &src->migrations[i];
        bool applied = false;
        if (golang)
            applied = version_compare(m->version, latest) <= 0;
        else
            for (size_t k = 0; k < h->nforeign && !applied; k++)
                applied = version_compare(m->version, h->foreign_versions[k]) == 0;
        if (!applied)
            continue;
        bool dirty = golang && h->foreign_dirty && version_compare(m->version, latest) == 0;
        char *v = db_quote_literal(r->work, m->version), *n = db_quote_literal(r->work, m->name),
             *c = db_quote_literal(r->work, m->checksum);
        strbuf_appendf(&sql,
                       "INSERT INTO %s (version, name, checksum, applied_at, applied_by, "
                       "duration_ms, dirty, steps_done) VALUES (%s, %s, %s, %s, %s, NULL, %s, 0);\n",
                       r->table.history_sql, v, n, c,
                       pg ? "now()" : "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", qby,
                       dirty ? (pg ? "true" : "1") : (pg ? "false" : "0"));
        free(v);
        free(n);
        free(c);
        (*adopted)++;
    }
    for (size_t k = 0; k < h->nforeign; k++)
        if (!source_find(src, h->foreign_versions[k]) && (!golang || k == h->nforeign - 1))
            strbuf_appendf(&miss, "%s%s", miss.len ? ", " : "", h->foreign_versions[k]);
    char *detail = xasprintf("%zu version%s from %s's schema_migrations%s%s", *adopted,
                             *adopted == 1 ? "" : "s", tool, miss.len ? "; no file for " : "",
                             strbuf_str(&miss));
    char *ev = history_event_sql(r->work, &r->table, r->actor, "adopt", NULL, "ok", detail);
    strbuf_append(&sql, ev);
    strbuf_append(&sql, "COMMIT;");
    sw_status st = db_exec(r->work, strbuf_str(&sql), err);
    if (st != SW_OK)
        db_exec(r->work, "ROLLBACK", NULL);
    if (st == SW_OK) {
        audit_event aev = {.action = "adopt", .database = r->target->display, .outcome = "ok",
                           .detail = detail};
        sw_error e2 = {0};
        audit_line(r, &aev, &e2);
    }
    *skipped = strbuf_detach(&miss);
    free(ev);
    free(detail);
    free(by);
    free(qby);
    strbuf_free(&sql);
    return st;
}
