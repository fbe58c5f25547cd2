/* Dry runs: see dryrun.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dryrun.h"
#include "core/sqlparse.h"
#include "core/util.h"

/* A relation the analysis names for a statement, resolved by the server
 * through the session's own search_path, as the statement resolves it. */
typedef struct predicted_lock {
    const sql_lock *lock;
    unsigned oid;
} predicted_lock;

struct dry_run {
    db *d;
    const history_table *t;
    migration_run *runs;
    size_t nruns, focus;
    migration_run *undo;      /* committed: the put-back runs, after runs[] */
    size_t nundo;
    bool committed;
    bool in_transaction;      /* committed: a transactional migration's, open */
    char *lock_timeout;       /* the setting, e.g. "1s" */
    bool have_start, have_before, have_after;
    bool pg;
    size_t mi, si;            /* the statement running now */
    bool busy, cancel_sent;
    double started, stmt_started;
    dry_lock *held;           /* the session's locks after the last statement */
    size_t nheld;
    predicted_lock *pred;     /* of the statement running now */
    size_t npred;
    dry_run_result res;
    bool ended;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *lock_verdict_name(lock_verdict v)
{
    static const char *const names[] = {"as predicted", "already held", "weaker than predicted",
                                        "stronger than predicted", "not predicted"};
    return (size_t)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static void dry_lock_free(dry_lock *l)
{
    free(l->locktype);
    free(l->object);
    free(l->relkind);
}

static void locks_free(dry_lock *locks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dry_lock_free(&locks[i]);
    free(locks);
}

static const char *relkind_name(const char *k)
{
    static const char *const kinds[][2] = {
        {"r", "table"},    {"p", "partitioned table"}, {"i", "index"},
        {"I", "partitioned index"}, {"S", "sequence"}, {"v", "view"},
        {"m", "materialized view"}, {"t", "TOAST table"}, {"f", "foreign table"},
        {"c", "composite type"}};
    for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(k, kinds[i][0]) == 0)
            return kinds[i][1];
    return NULL;
}

/* Tables and their kin, whose locks the analysis predicts; indexes,
 * sequences and TOAST tables are shown but not judged. */
static bool table_like(const dry_lock *l)
{
    return l->relkind && (strcmp(l->relkind, "table") == 0 ||
                          strcmp(l->relkind, "partitioned table") == 0 ||
                          strcmp(l->relkind, "view") == 0 ||
                          strcmp(l->relkind, "materialized view") == 0 ||
                          strcmp(l->relkind, "foreign table") == 0);
}

/* The session's own locks, catalogs and transaction ids left out. */
static sw_status read_locks(dry_run *dr, dry_lock **out, size_t *n, sw_error *err)
{
    *out = NULL;
    *n = 0;
    db_result *r = NULL;
    sw_status st = db_query(
        dr->d,
        "SELECT l.locktype, l.mode, l.granted, coalesce(l.relation, 0)::text, "
        "CASE WHEN l.relation IS NULL THEN NULL "
        "WHEN c.oid IS NULL THEN 'relation ' || l.relation || ' (dropped)' "
        "ELSE pg_catalog.format('%I.%I', n.nspname, c.relname) END, c.relkind::text, "
        "CASE WHEN l.locktype = 'object' THEN "
        "coalesce(pg_catalog.pg_describe_object(l.classid, l.objid, l.objsubid), "
        "l.classid::pg_catalog.regclass || ' ' || l.objid || ' (dropped)') "
        "WHEN l.locktype = 'advisory' THEN 'advisory lock ' || l.classid || ':' || l.objid "
        "ELSE l.locktype END "
        "FROM pg_catalog.pg_locks l "
        "LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE l.pid = pg_catalog.pg_backend_pid() "
        "AND l.locktype NOT IN ('virtualxid', 'transactionid') "
        "AND (n.nspname IS NULL OR n.nspname NOT IN ('pg_catalog', 'information_schema')) "
        "AND (l.locktype <> 'object' OR l.database <> 0) "
        "ORDER BY 5, 7, 2",
        0, NULL, &r, err);
    if (st != SW_OK)
        return st;
    *out = xcalloc((size_t)r->nrows + 1, sizeof **out);
    for (int i = 0; i < r->nrows; i++) {
        dry_lock *l = &(*out)[(*n)++];
        const char *rel = db_result_value(r, i, 4);
        l->locktype = xstrdup(db_result_value(r, i, 0));
        l->mode = lock_mode_from_name(db_result_value(r, i, 1));
        l->granted = strcmp(db_result_value(r, i, 2), "t") == 0;
        l->oid = (unsigned)strtoul(db_result_value(r, i, 3), NULL, 10);
        const char *what = rel ? rel : db_result_value(r, i, 6);
        l->object = xstrdup(what ? what : l->locktype);
        const char *kind = relkind_name(db_result_value(r, i, 5));
        l->relkind = kind ? xstrdup(kind) : NULL;
    }
    db_result_free(r);
    return SW_OK;
}

static lock_mode strongest_on(const dry_lock *locks, size_t n, unsigned oid)
{
    lock_mode m = LOCK_NONE;
    for (size_t i = 0; i < n; i++)
        if (locks[i].oid == oid && locks[i].mode > m)
            m = locks[i].mode;
    return m;
}

static bool held_before(const dry_lock *locks, size_t n, const dry_lock *l)
{
    for (size_t i = 0; i < n; i++)
        if (locks[i].mode == l->mode && strcmp(locks[i].locktype, l->locktype) == 0 &&
            locks[i].oid == l->oid && strcmp(locks[i].object, l->object) == 0)
            return true;
    return false;
}

/* The analysis' relations of the statement, as regclass text. */
static char *regclass_text(const char *relation)
{
    const char *dot = strchr(relation, '.');
    if (!dot)
        return sql_quote_identifier(relation);
    char *schema = xstrndup(relation, (size_t)(dot - relation));
    char *qs = sql_quote_identifier(schema);
    char *qn = sql_quote_identifier(dot + 1);
    char *out = xasprintf("%s.%s", qs, qn);
    free(schema);
    free(qs);
    free(qn);
    return out;
}

/* Resolve the predicted relations still without an OID (before the
 * statement: the ones that exist; after it: the ones it created). */
static sw_status resolve_predicted(dry_run *dr, sw_error *err)
{
    for (size_t i = 0; i < dr->npred; i++) {
        if (dr->pred[i].oid)
            continue;
        char *name = regclass_text(dr->pred[i].lock->relation);
        const char *params[] = {name};
        db_result *r = NULL;
        sw_status st = db_query(dr->d, "SELECT coalesce(pg_catalog.to_regclass($1)::oid, 0)",
                                1, params, &r, err);
        free(name);
        if (st != SW_OK)
            return st;
        dr->pred[i].oid = (unsigned)strtoul(db_result_value(r, 0, 0), NULL, 10);
        db_result_free(r);
    }
    return SW_OK;
}

static void add_check(dry_statement *ds, const char *relation, lock_mode predicted,
                      lock_mode taken, lock_verdict v)
{
    ds->checks = xrealloc(ds->checks, (ds->nchecks + 1) * sizeof *ds->checks);
    dry_lock_check *c = &ds->checks[ds->nchecks++];
    c->relation = xstrdup(relation);
    c->predicted = predicted;
    c->taken = taken;
    c->verdict = v;
    c->mismatch = v == LOCK_WEAKER || v == LOCK_STRONGER || v == LOCK_UNPREDICTED;
}

static const char *name_of(const dry_lock *locks, size_t n, unsigned oid, const char *fallback)
{
    for (size_t i = 0; i < n; i++)
        if (locks[i].oid == oid)
            return locks[i].object;
    return fallback;
}

/* Judge the predicted locks of the statement that just ran against the
 * locks held before (dr->held) and after it (now). */
static void judge(dry_run *dr, dry_statement *ds, const dry_lock *now, size_t nnow)
{
    for (size_t i = 0; i < dr->npred; i++) {
        const predicted_lock *p = &dr->pred[i];
        if (p->lock->index || !p->oid)
            continue; /* an index, or a name the server does not know */
        lock_mode taken = strongest_on(now, nnow, p->oid);
        lock_mode before = strongest_on(dr->held, dr->nheld, p->oid);
        lock_mode want = p->lock->mode;
        lock_verdict v;
        if (before >= want && before >= taken)
            v = LOCK_ALREADY_HELD;
        else if (taken == want)
            v = LOCK_AS_PREDICTED;
        else
            v = taken < want ? LOCK_WEAKER : LOCK_STRONGER;
        add_check(ds, name_of(now, nnow, p->oid, p->lock->relation), want, taken, v);
    }
    for (size_t i = 0; i < ds->ntaken; i++) {
        const dry_lock *l = &ds->taken[i];
        if (!table_like(l) || l->mode <= strongest_on(dr->held, dr->nheld, l->oid))
            continue;
        bool named = false;
        for (size_t k = 0; k < dr->npred && !named; k++)
            named = dr->pred[k].oid == l->oid;
        for (size_t k = 0; k < ds->nchecks && !named; k++)
            named = strcmp(ds->checks[k].relation, l->object) == 0;
        if (!named)
            add_check(ds, l->object, LOCK_NONE, strongest_on(now, nnow, l->oid),
                      LOCK_UNPREDICTED);
    }
}

static dry_statement *current_statement(dry_run *dr)
{
    dr->res.statements = xrealloc(dr->res.statements,
                                  (dr->res.count + 1) * sizeof *dr->res.statements);
    dry_statement *ds = &dr->res.statements[dr->res.count++];
    memset(ds, 0, sizeof *ds);
    ds->migration = dr->mi;
    ds->index = dr->si;
    return ds;
}

/* After a statement: its locks, judged; the held set moves on. */
static sw_status note_locks(dry_run *dr, dry_statement *ds, sw_error *err)
{
    dry_lock *now = NULL;
    size_t nnow = 0;
    sw_status st = resolve_predicted(dr, err);
    if (st == SW_OK)
        st = read_locks(dr, &now, &nnow, err);
    if (st != SW_OK)
        return st;
    ds->taken = xcalloc(nnow + 1, sizeof *ds->taken);
    for (size_t i = 0; i < nnow; i++) {
        if (held_before(dr->held, dr->nheld, &now[i]))
            continue;
        /* Per relation, what matters is the strongest mode, and only when
         * the statement made it stronger than what was held before it. */
        if (now[i].oid && (now[i].mode < strongest_on(now, nnow, now[i].oid) ||
                           now[i].mode <= strongest_on(dr->held, dr->nheld, now[i].oid)))
            continue;
        dry_lock *l = &ds->taken[ds->ntaken++];
        *l = now[i];
        l->locktype = xstrdup(now[i].locktype);
        l->object = xstrdup(now[i].object);
        l->relkind = now[i].relkind ? xstrdup(now[i].relkind) : NULL;
    }
    judge(dr, ds, now, nnow);
    locks_free(dr->held, dr->nheld);
    dr->held = now;
    dr->nheld = nnow;
    return SW_OK;
}

static sw_status snapshot(dry_run *dr, schema_snapshot *s, sw_error *err)
{
    schema_snapshot_free(s);
    return schema_snapshot_take(dr->d, dr->t, s, err);
}

static void stop(dry_run *dr, const char *message)
{
    if (!dr->res.message)
        dr->res.message = xstrdup(message);
    dr->res.ok = false;
    dr->ended = true;
}

/* Migration i of the dry run: runs[], then undo[]. */
static migration_run *run_at(dry_run *dr, size_t i)
{
    return i < dr->nruns ? &dr->runs[i] : &dr->undo[i - dr->nruns];
}

/* Before a migration's first statement: its timeouts, and (committed)
 * its own transaction, or autocommit for a no-transaction one. */
static sw_status open_migration(dry_run *dr, const migration_run *run, sw_error *err)
{
    const char *stmt = run->statement_timeout ? run->statement_timeout : "0";
    char *sql = NULL;
    if (!dr->committed)
        sql = dr->pg ? xasprintf("SET LOCAL statement_timeout = '%s'", stmt) : NULL;
    else if (run->transactional)
        sql = dr->pg ? xasprintf("BEGIN; SET LOCAL lock_timeout = '%s'; "
                                 "SET LOCAL statement_timeout = '%s'",
                                 dr->lock_timeout, stmt)
                     : xstrdup("BEGIN IMMEDIATE");
    else
        sql = dr->pg ? xasprintf("SET lock_timeout = '%s'; SET statement_timeout = '%s'",
                                 dr->lock_timeout, stmt)
                     : NULL;
    sw_status st = sql ? db_exec(dr->d, sql, err) : SW_OK;
    free(sql);
    if (st == SW_OK && dr->committed && run->transactional)
        dr->in_transaction = true;
    return st;
}

/* After a migration's last statement (committed): its transaction
 * commits, and the session holds none of its locks any more. */
static sw_status close_migration(dry_run *dr, sw_error *err)
{
    if (!dr->in_transaction)
        return SW_OK;
    dr->in_transaction = false;
    sw_status st = db_exec(dr->d, "COMMIT", err);
    if (st == SW_OK && dr->pg) {
        locks_free(dr->held, dr->nheld);
        dr->held = NULL;
        dr->nheld = 0;
        st = read_locks(dr, &dr->held, &dr->nheld, err);
    }
    return st;
}

/* Set up the statement dr->si of migration dr->mi and send it. */
static sw_status send_next(dry_run *dr, sw_error *err)
{
    migration_run *run = run_at(dr, dr->mi);
    sw_status st = SW_OK;
    if (dr->si == 0)
        st = open_migration(dr, run, err);
    const sql_statement *s = &run->parsed.statements[dr->si];
    free(dr->pred);
    dr->pred = xcalloc(s->nlocks + 1, sizeof *dr->pred);
    dr->npred = s->nlocks;
    for (size_t i = 0; i < s->nlocks; i++)
        dr->pred[i].lock = &s->locks[i];
    if (st == SW_OK && dr->pg)
        st = resolve_predicted(dr, err);
    if (st == SW_OK) {
        dr->stmt_started = now_seconds();
        st = db_send(dr->d, s->text, err);
    }
    dr->busy = st == SW_OK;
    return st;
}

/* Move past empty scripts; false when every statement has run. */
static bool next_position(dry_run *dr)
{
    size_t total = dr->nruns + dr->nundo;
    while (dr->mi < total && dr->si >= run_at(dr, dr->mi)->parsed.count) {
        dr->mi++;
        dr->si = 0;
    }
    return dr->mi < total;
}

/* On to the next statement, snapshotting the schema as the focus begins
 * and as runs[] ends; the dry run ends when nothing is left. */
static void proceed(dry_run *dr)
{
    sw_error e = {0};
    bool more = next_position(dr);
    size_t at = more ? dr->mi : dr->nruns + dr->nundo;
    if (!dr->have_before && at >= dr->focus) {
        if (snapshot(dr, &dr->res.before, &e) != SW_OK) {
            stop(dr, e.message);
            return;
        }
        dr->have_before = true;
    }
    if (!dr->have_after && at >= dr->nruns) {
        if (snapshot(dr, &dr->res.after, &e) != SW_OK) {
            stop(dr, e.message);
            return;
        }
        dr->have_after = true;
    }
    if (!more) {
        dr->res.undo_ran = dr->nundo; /* empty scripts at the end count as run */
        dr->res.ok = true;
        dr->ended = true;
        return;
    }
    if (dr->mi >= dr->nruns && dr->si == 0)
        dr->res.undo_ran = dr->mi - dr->nruns + 1;
    if (send_next(dr, &e) != SW_OK)
        stop(dr, e.message);
}

static void statement_done(dry_run *dr)
{
    sw_error err = {0};
    db_outcome o = {0};
    dr->busy = false;
    sw_status st = db_finish(dr->d, &o, &err);
    migration_run *run = run_at(dr, dr->mi);
    if (st != SW_OK || !o.ok) {
        dr->res.lock_timeout = strcmp(o.sqlstate, "55P03") == 0;
        dr->res.cancelled = dr->cancel_sent && strcmp(o.sqlstate, "57014") == 0;
        char *where = migration_run_locate(run, dr->si, dr->pg ? o.position : 0, err.message);
        stop(dr, where);
        free(where);
        return;
    }
    dry_statement *ds = current_statement(dr);
    ds->seconds = now_seconds() - dr->stmt_started;
    ds->rows = o.rows;
    ds->locks_observed = dr->pg && (!dr->committed || dr->in_transaction);
    if (ds->locks_observed && note_locks(dr, ds, &err) != SW_OK) {
        stop(dr, err.message);
        return;
    }
    dr->si++;
    if (dr->si >= run->parsed.count && close_migration(dr, &err) != SW_OK) {
        char *where = xasprintf("%s: COMMIT: %s", run->script->path, err.message);
        stop(dr, where);
        free(where);
        return;
    }
    proceed(dr);
}

static sw_status refuse_untransactional(migration_run *runs, size_t nruns, sw_error *err)
{
    for (size_t i = 0; i < nruns; i++)
        if (!runs[i].transactional)
            return sw_error_set(err, SW_USAGE,
                                "%s (%s) is a no-transaction migration: it cannot run inside a "
                                "transaction that is rolled back, so it cannot be dry-run on "
                                "the target; nothing was run. Dry-run it on a staging copy "
                                "with --shadow DB: there it runs for real, then its down "
                                "script puts the copy back",
                                runs[i].m->version, runs[i].script->path);
    return SW_OK;
}

static sw_status begin(dry_run *dr, sw_error *err)
{
    if (dr->committed)
        return SW_OK; /* each migration opens its own */
    if (!dr->pg)
        return db_exec(dr->d, "BEGIN IMMEDIATE", err);
    char *sql = xasprintf("BEGIN; SET LOCAL lock_timeout = '%s'", dr->lock_timeout);
    sw_status st = db_exec(dr->d, sql, err);
    free(sql);
    return st;
}

static sw_status start(db *d, const history_table *t, migration_run *runs, size_t nruns,
                       size_t focus, bool committed, migration_run *undo, size_t nundo,
                       const char *lock_timeout, dry_run **out, sw_error *err)
{
    *out = NULL;
    char *lt = duration_setting(lock_timeout ? lock_timeout : DRY_RUN_DEFAULT_LOCK_TIMEOUT);
    if (!lt)
        return sw_error_set(err, SW_USAGE, "--lock-timeout wants a duration (500ms, 1s), got '%s'",
                            lock_timeout);
    dry_run *dr = xcalloc(1, sizeof *dr);
    dr->d = d;
    dr->t = t;
    dr->runs = runs;
    dr->nruns = nruns;
    dr->undo = undo;
    dr->nundo = undo ? nundo : 0;
    dr->committed = dr->res.committed = committed;
    dr->lock_timeout = lt;
    dr->focus = focus < nruns ? focus : 0;
    dr->pg = db_get_kind(d) == DB_POSTGRES;
    dr->started = now_seconds();
    sw_status st = begin(dr, err);
    if (st != SW_OK) {
        free(dr->lock_timeout);
        free(dr);
        return st;
    }
    *out = dr;
    sw_error e = {0};
    if (dr->pg && read_locks(dr, &dr->held, &dr->nheld, &e) != SW_OK)
        stop(dr, e.message);
    else if (dr->committed && dr->focus > 0 &&
             !(dr->have_start = snapshot(dr, &dr->res.start, &e) == SW_OK))
        stop(dr, e.message);
    else
        proceed(dr);
    return SW_OK;
}

sw_status dry_run_start(db *d, const history_table *t, migration_run *runs, size_t nruns,
                        size_t focus, const char *lock_timeout, dry_run **out, sw_error *err)
{
    *out = NULL;
    sw_status st = refuse_untransactional(runs, nruns, err);
    if (st != SW_OK)
        return st;
    return start(d, t, runs, nruns, focus, false, NULL, 0, lock_timeout, out, err);
}

sw_status dry_run_start_committed(db *d, const history_table *t, migration_run *runs,
                                  size_t nruns, size_t focus, migration_run *undo, size_t nundo,
                                  const char *lock_timeout, dry_run **out, sw_error *err)
{
    return start(d, t, runs, nruns, focus, true, undo, nundo, lock_timeout, out, err);
}

sw_status dry_run_poll(dry_run *dr, int timeout_ms, bool *done, sw_error *err)
{
    *done = false;
    double deadline = now_seconds() + timeout_ms / 1000.0;
    while (!dr->ended) {
        double left = deadline - now_seconds();
        bool ready = false;
        sw_status st = db_poll(dr->d, left > 0 ? (int)(left * 1000) : 0, &ready, err);
        if (st != SW_OK) {
            stop(dr, err->message);
            break;
        }
        if (!ready)
            return SW_OK;
        statement_done(dr);
        if (now_seconds() >= deadline && !dr->ended)
            return SW_OK;
    }
    *done = true;
    return SW_OK;
}

void dry_run_progress(const dry_run *dr, size_t *run, size_t *statement, double *elapsed)
{
    *run = dr->mi;
    *statement = dr->si;
    *elapsed = dr->busy ? now_seconds() - dr->stmt_started : 0;
}

void dry_run_cancel(dry_run *dr)
{
    if (!dr->busy)
        return;
    sw_error e = {0};
    dr->cancel_sent = db_cancel(dr->d, &e) == SW_OK;
}

/* After the rollback: the relations that are gone were created by the
 * dry run; their locks were not the analysis' business. */
static void mark_new_relations(dry_run *dr)
{
    strbuf sb = {0};
    strbuf_append(&sb, "{");
    for (size_t i = 0; i < dr->res.count; i++)
        for (size_t k = 0; k < dr->res.statements[i].ntaken; k++)
            if (dr->res.statements[i].taken[k].oid)
                strbuf_appendf(&sb, "%s%u", sb.len > 1 ? "," : "",
                               dr->res.statements[i].taken[k].oid);
    strbuf_append(&sb, "}");
    const char *params[] = {strbuf_str(&sb)};
    db_result *r = NULL;
    sw_error e = {0};
    if (db_query(dr->d,
                 "SELECT o::text FROM unnest($1::oid[]) o "
                 "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = o)",
                 1, params, &r, &e) == SW_OK) {
        for (int j = 0; j < r->nrows; j++) {
            unsigned oid = (unsigned)strtoul(db_result_value(r, j, 0), NULL, 10);
            for (size_t i = 0; i < dr->res.count; i++) {
                dry_statement *ds = &dr->res.statements[i];
                for (size_t k = 0; k < ds->ntaken; k++)
                    if (ds->taken[k].oid == oid)
                        ds->taken[k].new_relation = true;
            }
        }
    }
    db_result_free(r);
    strbuf_free(&sb);
}

/* Unpredicted locks on relations the dry run created are no mismatch. */
static void settle_checks(dry_run *dr)
{
    for (size_t i = 0; i < dr->res.count; i++) {
        dry_statement *ds = &dr->res.statements[i];
        for (size_t c = 0; c < ds->nchecks; c++) {
            dry_lock_check *k = &ds->checks[c];
            for (size_t t = 0; t < ds->ntaken && k->verdict == LOCK_UNPREDICTED; t++)
                if (ds->taken[t].new_relation && strcmp(ds->taken[t].object, k->relation) == 0)
                    k->mismatch = false;
            dr->res.mismatches += k->mismatch;
        }
    }
}

/* Committed: the schema now against the one the shadow began with. */
static void compare_with_start(dry_run *dr)
{
    sw_error e = {0};
    if (dr->in_transaction)
        db_exec(dr->d, "ROLLBACK", NULL); /* what failed in it goes */
    dr->in_transaction = false;
    if (dr->pg)
        db_exec(dr->d, "RESET lock_timeout; RESET statement_timeout", NULL);
    const schema_snapshot *start = dr->focus ? &dr->res.start : &dr->res.before;
    const schema_snapshot *end = &dr->res.after;
    if (dr->res.undo_ran || !dr->have_after) {
        if (snapshot(dr, &dr->res.end, &e) != SW_OK)
            return;
        end = &dr->res.end;
    }
    if ((dr->focus ? dr->have_start : dr->have_before) &&
        schema_diff_compute(start, end, &dr->res.remains, &e) == SW_OK) {
        dr->res.have_remains = true;
        dr->res.restored = dr->res.remains.count == 0;
    }
}

void dry_run_finish(dry_run *dr, dry_run_result *out)
{
    sw_error e = {0};
    if (dr->committed)
        compare_with_start(dr);
    else if (db_exec(dr->d, "ROLLBACK", &e) != SW_OK && dr->res.ok)
        stop(dr, e.message);
    if (dr->pg)
        mark_new_relations(dr);
    settle_checks(dr);
    if (dr->have_before && dr->have_after &&
        schema_diff_compute(&dr->res.before, &dr->res.after, &dr->res.diff, &e) == SW_OK)
        dr->res.have_diff = true;
    dr->res.seconds = now_seconds() - dr->started;
    *out = dr->res;
    locks_free(dr->held, dr->nheld);
    free(dr->pred);
    free(dr->lock_timeout);
    free(dr);
}

void dry_run_result_free(dry_run_result *res)
{
    for (size_t i = 0; i < res->count; i++) {
        dry_statement *ds = &res->statements[i];
        locks_free(ds->taken, ds->ntaken);
        for (size_t c = 0; c < ds->nchecks; c++)
            free(ds->checks[c].relation);
        free(ds->checks);
    }
    free(res->statements);
    free(res->message);
    if (res->have_diff)
        schema_diff_free(&res->diff);
    if (res->have_remains)
        schema_diff_free(&res->remains);
    schema_snapshot_free(&res->before);
    schema_snapshot_free(&res->after);
    schema_snapshot_free(&res->start);
    schema_snapshot_free(&res->end);
    memset(res, 0, sizeof *res);
}

const char *dry_run_outcome(const dry_run_result *res)
{
    return res->ok             ? "ok"
           : res->cancelled    ? "aborted"
           : res->lock_timeout ? "lock_timeout"
                               : "failed";
}

void dry_run_summary(strbuf *sb, size_t migrations, const dry_run_result *res)
{
    strbuf_appendf(sb, "%zu migration%s, %zu statement%s, %zu lock mismatch%s", migrations,
                   migrations == 1 ? "" : "s", res->count, res->count == 1 ? "" : "s",
                   res->mismatches, res->mismatches == 1 ? "" : "es");
    if (res->have_diff)
        strbuf_appendf(sb, "; schema: %zu added, %zu removed, %zu changed", res->diff.added,
                       res->diff.removed, res->diff.changed);
}
