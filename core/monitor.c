/* The lock monitor: see monitor.h. Two round trips at most per refresh
 * (one more, once, after a database is created, dropped or renamed):
 * pg_stat_activity (with pg_blocking_pids() for waiters only), then, only
 * when someone waits, the ungranted pg_locks rows together with the
 * prepared transactions and the locks they hold. */
#include "config.h"

#include "core/monitor.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/locks.h"
#include "core/util.h"

struct monitor {
    db *d;
    int pid;
    int version_num;     /* server_version_num, or the one a test forced */
    /* Database names by oid, read once and again only when the activity
     * query's stamp of pg_database changes or an unknown oid shows up. */
    char **db_oids, **db_names;
    size_t ndbs;
    char *db_stamp;
    bool want_relation_locks;
    bool relation_locks_prepared;
};

#define TIMEOUT_MESSAGE                                                                            \
    "the refresh timed out after 500 ms (the server is busy); next refresh at the next tick"

/* A tree larger than this is cut: a session under several blockers is
 * repeated, and a pathological graph must not eat the memory. */
#define MAX_NODES 100000

/* What changes in pg_database when a database is created, dropped or
 * renamed: every row's oid and xmin (an update writes a new row version;
 * the in-place updates of datfrozenxid keep xmin). A few rows. */
#define DB_STAMP "(SELECT string_agg(oid::text || '/' || xmin::text, ',') FROM pg_database)"

/* Only user and database ids: the view's joins of pg_authid and
 * pg_database are then removed by the planner, which was a fifth of the
 * query's server time (bench/monitor). The user's name comes from the
 * server's role cache (pg_get_userbyid); database names from the monitor's
 * own cache, checked against the stamp at every refresh. */
static const char activity_sql[] =
    "SELECT pid, pg_get_userbyid(usesysid), datid::text, application_name, client_addr::text,"
    " backend_type, state,"
    " coalesce((date_part('epoch', now() - xact_start) * 1000)::int8, -1),"
    " coalesce((date_part('epoch', now() - query_start) * 1000)::int8, -1),"
    " coalesce((date_part('epoch', now() - state_change) * 1000)::int8, -1),"
    " wait_event_type, wait_event, backend_xid::text, backend_xmin::text, query,"
    " CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END, " DB_STAMP
    " FROM pg_stat_activity"
    " WHERE pid <> pg_backend_pid()"
    "  AND (backend_type IS NULL OR backend_type IN ('client backend', 'autovacuum worker',"
    "       'background worker', 'parallel worker', 'walsender'))";

static const char databases_sql[] = "SELECT oid::text, datname, " DB_STAMP " FROM pg_database";

/* The identity of a lock, the same for the waiter's row and the holder's. */
#define LOCK_KEY                                                                                   \
    "concat_ws('/', l.locktype, coalesce(l.database::text, ''), coalesce(l.relation::text, ''),"   \
    " coalesce(l.page::text, ''), coalesce(l.tuple::text, ''), coalesce(l.virtualxid, ''),"        \
    " coalesce(l.transactionid::text, ''), coalesce(l.classid::text, ''),"                         \
    " coalesce(l.objid::text, ''), coalesce(l.objsubid::text, ''))"

/* How long a waiter has waited: pg_locks.waitstart, new in PostgreSQL 14;
 * before that, unknown. */
#define WAIT_AGE "coalesce(extract(epoch from now() - l.waitstart), -1)::float8::text"
#define WAIT_AGE_UNKNOWN "'-1'"
#define WAITSTART_VERSION 140000

/* Columns: kind, pid, locktype, mode, relation, transactionid, page, tuple,
 * classid, objid, objsubid, wait age, key, relation oid, gid, owner,
 * database, prepared xid, prepared age. kind 'w' = a waiter's ungranted
 * lock, 'h' = a lock held by a prepared transaction, 'p' = a prepared
 * transaction. The statement is locks_head, the wait age, ", ", the key
 * (only needed to match prepared transactions' locks, NULL otherwise),
 * locks_tail, and prepared_sql when some blocker is a prepared
 * transaction. Relation names come from regclass (the server's relation
 * cache, not a scan of pg_class per row); the monitor's connection runs
 * with an empty search_path, so they are schema-qualified (those of
 * pg_catalog, always visible, excepted). */
static const char locks_head[] =
    "SELECT 'w', l.pid::text, l.locktype, l.mode,"
    " CASE WHEN l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    "  THEN l.relation::regclass::text END,"
    " l.transactionid::text, l.page::text, l.tuple::text, l.classid::regclass::text,"
    " l.objid::text, l.objsubid::text, ";

static const char locks_tail[] = ", l.relation::text, NULL, NULL, NULL, NULL, NULL"
                                 " FROM pg_locks l"
                                 " WHERE NOT l.granted";

static const char prepared_sql[] =
    " UNION ALL"
    " SELECT 'h', NULL, l.locktype, l.mode, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " " LOCK_KEY ", l.relation::text, NULL, NULL, NULL, x.transactionid::text, NULL"
    " FROM pg_locks l JOIN pg_locks x ON x.pid IS NULL AND x.granted"
    "  AND x.locktype = 'transactionid' AND x.mode = 'ExclusiveLock'"
    "  AND x.virtualtransaction = l.virtualtransaction"
    " WHERE l.pid IS NULL AND l.granted"
    " UNION ALL"
    " SELECT 'p', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " gid, owner, database, transaction::text,"
    " extract(epoch from now() - prepared)::float8::text"
    " FROM pg_prepared_xacts";

static void forget_databases(monitor *m)
{
    for (size_t i = 0; i < m->ndbs; i++) {
        free(m->db_oids[i]);
        free(m->db_names[i]);
    }
    free(m->db_oids);
    free(m->db_names);
    free(m->db_stamp);
    m->db_oids = m->db_names = NULL;
    m->db_stamp = NULL;
    m->ndbs = 0;
}

static sw_status query_failed(sw_status st, sw_error *err);

/* (Re)read the database names. */
static sw_status load_databases(monitor *m, sw_error *err)
{
    db_result *r = NULL;
    sw_status st = db_query(m->d, databases_sql, 0, NULL, &r, err);
    if (st != SW_OK)
        return query_failed(st, err);
    forget_databases(m);
    size_t n = r->nrows > 0 ? (size_t)r->nrows : 0;
    m->db_oids = xcalloc(n + 1, sizeof *m->db_oids);
    m->db_names = xcalloc(n + 1, sizeof *m->db_names);
    for (int row = 0; row < r->nrows; row++) {
        const char *oid = db_result_value(r, row, 0), *name = db_result_value(r, row, 1);
        if (!oid || !name)
            continue;
        m->db_oids[m->ndbs] = xstrdup(oid);
        m->db_names[m->ndbs++] = xstrdup(name);
    }
    const char *stamp = r->nrows > 0 ? db_result_value(r, 0, 2) : NULL;
    m->db_stamp = xstrdup(stamp ? stamp : "");
    db_result_free(r);
    return SW_OK;
}

/* The name of database `oid`, or NULL (no database: "0"; or not known). */
static const char *database_name(const monitor *m, const char *oid)
{
    if (!oid || strcmp(oid, "0") == 0)
        return NULL;
    for (size_t i = 0; i < m->ndbs; i++)
        if (strcmp(m->db_oids[i], oid) == 0)
            return m->db_names[i];
    return NULL;
}

static sw_status prepare_locks(monitor *m, sw_error *err)
{
    const char *age = m->version_num >= WAITSTART_VERSION ? WAIT_AGE : WAIT_AGE_UNKNOWN;
    char *plain = xasprintf("%s%s, NULL%s", locks_head, age, locks_tail);
    char *with_prepared =
        xasprintf("%s%s, %s%s%s", locks_head, age, LOCK_KEY, locks_tail, prepared_sql);
    sw_status st = db_prepare(m->d, "stepwise_locks", plain, err);
    if (st == SW_OK)
        st = db_prepare(m->d, "stepwise_locks_prepared", with_prepared, err);
    free(plain);
    free(with_prepared);
    return st;
}

sw_status monitor_open(const db_target *target, monitor **out, sw_error *err)
{
    return monitor_open_as_version(target, 0, out, err);
}

sw_status monitor_open_as_version(const db_target *target, int version_num, monitor **out,
                                  sw_error *err)
{
    *out = NULL;
    if (target->kind != DB_POSTGRES)
        return sw_error_set(err, SW_USAGE, "locks are a PostgreSQL feature");
    db *d = NULL;
    sw_status st = db_open(target, DB_OPEN_EXISTING, &d, err);
    if (st != SW_OK)
        return st;
    /* An empty search_path: nothing a user creates can stand in for the
     * catalogs the queries read, and regclass names every relation with
     * its schema. */
    st = db_exec(d,
                 "SET application_name = '" MONITOR_APPLICATION "';"
                 "SET statement_timeout = '500ms';"
                 "SET lock_timeout = '100ms';"
                 "SET search_path = ''",
                 err);
    db_result *r = NULL;
    if (st == SW_OK)
        st = db_query(d,
                      "SELECT pg_backend_pid(), current_setting('server_version_num')::int",
                      0, NULL, &r, err);
    if (st != SW_OK) {
        db_close(d);
        return st;
    }
    monitor *m = xcalloc(1, sizeof *m);
    m->d = d;
    const char *v = db_result_value(r, 0, 0);
    m->pid = v ? atoi(v) : 0;
    v = db_result_value(r, 0, 1);
    m->version_num = version_num > 0 ? version_num : v ? atoi(v) : 0;
    db_result_free(r);
    /* Planned once here, not at every tick: planning was a fifth of the
     * server time of a refresh (bench/monitor). */
    st = db_prepare(d, "stepwise_activity", activity_sql, err);
    if (st == SW_OK)
        st = prepare_locks(m, err);
    if (st == SW_OK)
        st = load_databases(m, err);
    if (st != SW_OK) {
        monitor_close(m);
        return st;
    }
    *out = m;
    return SW_OK;
}

void monitor_close(monitor *m)
{
    if (!m)
        return;
    db_close(m->d);
    forget_databases(m);
    free(m);
}

int monitor_pid(const monitor *m)
{
    return m->pid;
}

static void session_free(monitor_session *s)
{
    free(s->gid);
    free(s->user);
    free(s->database);
    free(s->application);
    free(s->client);
    free(s->backend_type);
    free(s->state);
    free(s->wait_event_type);
    free(s->wait_event);
    free(s->backend_xid);
    free(s->backend_xmin);
    free(s->query);
    free(s->lock_type);
    free(s->wanted_mode);
    free(s->relation);
    free(s->target);
    if (s->blocker_gids)
        for (size_t i = 0; i < s->nblockers; i++)
            free(s->blocker_gids[i]);
    free(s->blocker_gids);
    free(s->blockers);
}

void monitor_snapshot_free(monitor_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsessions; i++)
        session_free(&s->sessions[i]);
    free(s->sessions);
    free(s->nodes);
    for (size_t i = 0; i < s->nrelation_locks; i++) {
        free(s->relation_locks[i].relation);
        free(s->relation_locks[i].mode);
    }
    free(s->relation_locks);
    memset(s, 0, sizeof *s);
}

const monitor_session *monitor_find(const monitor_snapshot *s, int pid)
{
    for (size_t i = 0; i < s->nsessions; i++)
        if (s->sessions[i].pid == pid)
            return &s->sessions[i];
    return NULL;
}

/* ---- the tree ---------------------------------------------------------- */

typedef struct tree {
    monitor_snapshot *s;
    size_t n;
    size_t **children; /* children[b]: waiters that b blocks, session order */
    size_t *nchildren;
    bool *on_path;
    bool *emitted;
    size_t *total;
    size_t cap;
} tree;

static bool blocker_matches(const monitor_session *w, size_t i, const monitor_session *b)
{
    if (w->blockers[i] != b->pid)
        return false;
    if (b->pid != 0)
        return true;
    const char *gid = w->blocker_gids ? w->blocker_gids[i] : NULL;
    return !gid || (b->gid && strcmp(gid, b->gid) == 0);
}

/* True when session w waits on session b. */
static bool waits_on(const monitor_session *w, const monitor_session *b)
{
    for (size_t i = 0; i < w->nblockers; i++)
        if (blocker_matches(w, i, b))
            return true;
    return false;
}

/* Number of sessions reachable from `from` through blocked-by edges, not
 * counting `from`; *self tells whether `from` reaches itself (a cycle). */
static size_t reach(const tree *t, size_t from, bool *self)
{
    bool *seen = xcalloc(t->n ? t->n : 1, sizeof *seen);
    size_t *stack = xmalloc((t->n + 1) * sizeof *stack);
    size_t top = 0, count = 0;
    *self = false;
    stack[top++] = from;
    while (top) {
        size_t v = stack[--top];
        for (size_t k = 0; k < t->nchildren[v]; k++) {
            size_t c = t->children[v][k];
            if (c == from)
                *self = true;
            if (seen[c])
                continue;
            seen[c] = true;
            if (c != from)
                count++;
            stack[top++] = c;
        }
    }
    free(stack);
    free(seen);
    return count;
}

static void emit(tree *t, size_t session, size_t depth, bool cycle)
{
    monitor_snapshot *s = t->s;
    if (s->nnodes >= MAX_NODES)
        return;
    s->nodes = array_grow(s->nodes, &t->cap, s->nnodes + 1, sizeof *s->nodes);
    monitor_node *node = &s->nodes[s->nnodes++];
    node->session = session;
    node->depth = depth;
    node->cycle = cycle;
    node->blocked_direct = t->nchildren[session];
    node->blocked_total = t->total[session];
    t->emitted[session] = true;
}

static void descend(tree *t, size_t session, size_t depth)
{
    emit(t, session, depth, false);
    t->on_path[session] = true;
    for (size_t k = 0; k < t->nchildren[session]; k++) {
        size_t c = t->children[session][k];
        if (t->on_path[c])
            emit(t, c, depth + 1, true);
        else
            descend(t, c, depth + 1);
    }
    t->on_path[session] = false;
}

void monitor_build_tree(monitor_snapshot *s)
{
    free(s->nodes);
    s->nodes = NULL;
    s->nnodes = 0;
    s->roots = 0;
    s->waiting = 0;
    s->oldest_wait = -1;

    tree t = {.s = s, .n = s->nsessions};
    size_t n = t.n ? t.n : 1;
    t.children = xcalloc(n, sizeof *t.children);
    t.nchildren = xcalloc(n, sizeof *t.nchildren);
    t.on_path = xcalloc(n, sizeof *t.on_path);
    t.emitted = xcalloc(n, sizeof *t.emitted);
    t.total = xcalloc(n, sizeof *t.total);
    bool *has_blocker = xcalloc(n, sizeof *has_blocker);

    for (size_t w = 0; w < t.n; w++) {
        const monitor_session *ws = &s->sessions[w];
        if (ws->waiting) {
            s->waiting++;
            if (ws->wait_age > s->oldest_wait)
                s->oldest_wait = ws->wait_age;
        }
    }
    for (size_t b = 0; b < t.n; b++) {
        size_t cap = 0;
        for (size_t w = 0; w < t.n; w++) {
            if (!waits_on(&s->sessions[w], &s->sessions[b]))
                continue;
            t.children[b] = array_grow(t.children[b], &cap, t.nchildren[b] + 1,
                                       sizeof *t.children[b]);
            t.children[b][t.nchildren[b]++] = w;
            has_blocker[w] = true;
        }
    }
    bool *in_cycle = xcalloc(n, sizeof *in_cycle);
    for (size_t i = 0; i < t.n; i++)
        t.total[i] = reach(&t, i, &in_cycle[i]);

    /* Roots: block someone, wait on nobody in the snapshot. */
    for (size_t i = 0; i < t.n; i++) {
        if (t.nchildren[i] == 0 || has_blocker[i])
            continue;
        s->roots++;
        descend(&t, i, 0);
    }
    /* Cycles that no root reaches: start from the lowest pid in each. */
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < t.n; i++)
            if (in_cycle[i] && !t.emitted[i] &&
                (best == SIZE_MAX || s->sessions[i].pid < s->sessions[best].pid))
                best = i;
        if (best == SIZE_MAX)
            break;
        s->roots++;
        descend(&t, best, 0);
    }

    for (size_t i = 0; i < t.n; i++)
        free(t.children[i]);
    free(t.children);
    free(t.nchildren);
    free(t.on_path);
    free(t.emitted);
    free(t.total);
    free(has_blocker);
    free(in_cycle);
}

/* ---- the refresh ------------------------------------------------------- */

static char *dup_or_null(const char *v)
{
    return v ? xstrdup(v) : NULL;
}

static double age_value(const char *v)
{
    return v ? strtod(v, NULL) : -1;
}

/* Ages of the activity query come as whole milliseconds: integers cost
 * the server less to compute (date_part, not extract's numeric) and to
 * print than floats, on every row of every refresh. */
static double age_ms_value(const char *v)
{
    if (!v || strcmp(v, "-1") == 0)
        return -1;
    long long ms = strtoll(v, NULL, 10);
    return (double)ms / 1000.0;
}

/* "{12,34}" from pg_blocking_pids() as text. */
static void parse_pids(const char *text, monitor_session *s)
{
    size_t cap = 0;
    if (!text)
        return;
    const char *p = text;
    while (*p) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno == 0 && v >= 0 && v <= INT_MAX) {
            s->blockers = array_grow(s->blockers, &cap, s->nblockers + 1, sizeof *s->blockers);
            s->blockers[s->nblockers++] = (int)v;
        }
        p = end;
    }
}

static sw_status query_failed(sw_status st, sw_error *err)
{
    if (err && (strstr(err->message, "SQLSTATE 57014") || strstr(err->message, "SQLSTATE 55P03")))
        return sw_error_set(err, SW_FAILED, TIMEOUT_MESSAGE);
    return st;
}


enum {
    L_KIND,
    L_PID,
    L_LOCKTYPE,
    L_MODE,
    L_RELATION,
    L_XID,
    L_PAGE,
    L_TUPLE,
    L_CLASSID,
    L_OBJID,
    L_OBJSUBID,
    L_AGE,
    L_KEY,
    L_RELOID,
    L_GID,
    L_OWNER,
    L_DATABASE,
    L_PXID,
    L_PREPARED_AGE,
};

static monitor_session *session_by_pid(monitor_snapshot *s, int pid)
{
    for (size_t i = 0; i < s->nsessions; i++)
        if (s->sessions[i].pid == pid && pid != 0)
            return &s->sessions[i];
    return NULL;
}

/* regclass prints a bare oid for a relation that no longer exists (a
 * name of digits alone would be quoted): no name then. */
static char *relation_name(const char *v)
{
    if (!v || !*v || strspn(v, "0123456789") == strlen(v))
        return NULL;
    return xstrdup(v);
}

/* What a lock is on, in words; rel: the relation's name or NULL. */
static char *lock_target(const db_result *r, int row, const char *rel)
{
    const char *type = db_result_value(r, row, L_LOCKTYPE);
    const char *relname = rel ? rel : "a relation of another database";
    const char *xid = db_result_value(r, row, L_XID);
    const char *page = db_result_value(r, row, L_PAGE);
    const char *tuple = db_result_value(r, row, L_TUPLE);
    const char *classid = db_result_value(r, row, L_CLASSID);
    const char *objid = db_result_value(r, row, L_OBJID);
    const char *objsubid = db_result_value(r, row, L_OBJSUBID);
    if (!type)
        return NULL;
    if (strcmp(type, "transactionid") == 0 && xid)
        return xasprintf("transaction %s", xid);
    if (strcmp(type, "tuple") == 0 && page && tuple)
        return xasprintf("tuple (%s,%s) of %s", page, tuple, relname);
    if (strcmp(type, "page") == 0 && page)
        return xasprintf("page %s of %s", page, relname);
    if (strcmp(type, "extend") == 0)
        return xasprintf("extension of %s", relname);
    if (strcmp(type, "advisory") == 0 && objid) {
        /* classid, objid, objsubid as text; classid came through ::regclass,
         * which prints a bare oid when no such relation exists. */
        unsigned long long hi = classid ? strtoull(classid, NULL, 10) : 0;
        unsigned long long lo = strtoull(objid, NULL, 10);
        if (objsubid && strcmp(objsubid, "2") == 0)
            return xasprintf("advisory lock (%llu, %llu)", hi, lo);
        return xasprintf("advisory lock %lld", (long long)((hi << 32) | lo));
    }
    if (strcmp(type, "object") == 0)
        return xasprintf("object %s %s/%s", classid ? classid : "?", objid ? objid : "?",
                         objsubid ? objsubid : "0");
    if (strcmp(type, "virtualxid") == 0)
        return xstrdup("a virtual transaction");
    return NULL;
}

/* The prepared transactions a waiter's blocker 0 stands for. Locks held
 * by prepared transactions have no pid; their virtualtransaction was
 * "-1/xid" in older releases and is a plain vxid ("3/4") in 15, so the
 * query ties each one to its transaction through the transactionid lock
 * the prepared transaction holds under the same virtualtransaction. The
 * waiter's wanted lock is matched against the locks each prepared transaction holds:
 * first on the lock's identity with a conflicting mode, else on the same
 * relation in any mode; when nothing matches (the holder's row is gone, or
 * the lock is not one we can compare), every prepared transaction is
 * attached, which shows too many blockers rather than none. */
static void map_prepared(monitor_session *w, const db_result *r, int want_row)
{
    const char *key = want_row >= 0 ? db_result_value(r, want_row, L_KEY) : NULL;
    const char *reloid = want_row >= 0 ? db_result_value(r, want_row, L_RELOID) : NULL;
    lock_mode wanted = w->wanted_mode ? lock_mode_from_name(w->wanted_mode) : LOCK_NONE;
    char **gids = NULL;
    size_t ngids = 0, cap = 0;
    for (int pass = 0; pass < 3 && ngids == 0; pass++) {
        for (int p = 0; p < r->nrows; p++) {
            const char *kind = db_result_value(r, p, L_KIND);
            if (!kind || strcmp(kind, "p") != 0)
                continue;
            const char *pxid = db_result_value(r, p, L_PXID);
            bool match = pass == 2;
            for (int h = 0; h < r->nrows && !match; h++) {
                const char *hk = db_result_value(r, h, L_KIND);
                const char *hx = db_result_value(r, h, L_PXID);
                if (!hk || strcmp(hk, "h") != 0 || !hx || !pxid || strcmp(hx, pxid) != 0)
                    continue;
                if (pass == 0) {
                    const char *hkey = db_result_value(r, h, L_KEY);
                    const char *hmode = db_result_value(r, h, L_MODE);
                    match = key && hkey && strcmp(key, hkey) == 0 &&
                            (wanted == LOCK_NONE ||
                             lock_modes_conflict(hmode ? lock_mode_from_name(hmode) : LOCK_NONE,
                                                 wanted));
                    /* transactionid/advisory modes are outside the table
                     * conflict matrix when unknown: identity is enough */
                    if (!match && key && hkey && strcmp(key, hkey) == 0 && hmode &&
                        lock_mode_from_name(hmode) == LOCK_NONE)
                        match = true;
                } else {
                    const char *hrel = db_result_value(r, h, L_RELOID);
                    match = reloid && hrel && strcmp(reloid, hrel) == 0;
                }
            }
            if (match) {
                gids = array_grow(gids, &cap, ngids + 1, sizeof *gids);
                gids[ngids++] = dup_or_null(db_result_value(r, p, L_GID));
            }
        }
    }
    /* Rebuild the blockers: the non-zero pids, then one 0 per prepared
     * transaction found. */
    size_t keep = 0;
    for (size_t i = 0; i < w->nblockers; i++)
        if (w->blockers[i] != 0)
            w->blockers[keep++] = w->blockers[i];
    w->blockers = xrealloc(w->blockers, (keep + ngids + 1) * sizeof *w->blockers);
    w->blocker_gids = xcalloc(keep + ngids + 1, sizeof *w->blocker_gids);
    for (size_t g = 0; g < ngids; g++) {
        w->blockers[keep + g] = 0;
        w->blocker_gids[keep + g] = gids[g];
    }
    w->nblockers = keep + ngids;
    free(gids);
}

static sw_status refresh_locks(monitor *m, monitor_snapshot *out, bool prepared, sw_error *err)
{
    db_result *r = NULL;
    sw_status st = db_query_prepared(m->d, prepared ? "stepwise_locks_prepared" : "stepwise_locks", 0,
                                     NULL, &r, err);
    if (st != SW_OK)
        return query_failed(st, err);
    out->queries++;

    for (int row = 0; row < r->nrows; row++) {
        const char *kind = db_result_value(r, row, L_KIND);
        const char *pid = db_result_value(r, row, L_PID);
        if (!kind || strcmp(kind, "w") != 0 || !pid)
            continue;
        monitor_session *s = session_by_pid(out, atoi(pid));
        if (!s || s->lock_type) /* one wanted lock per waiter: the first */
            continue;
        s->lock_type = dup_or_null(db_result_value(r, row, L_LOCKTYPE));
        s->wanted_mode = dup_or_null(db_result_value(r, row, L_MODE));
        s->relation = relation_name(db_result_value(r, row, L_RELATION));
        s->target = lock_target(r, row, s->relation);
        s->wait_age = age_value(db_result_value(r, row, L_AGE));
    }

    if (prepared) {
        size_t original = out->nsessions;
        size_t cap = out->nsessions;
        for (int row = 0; row < r->nrows; row++) {
            const char *kind = db_result_value(r, row, L_KIND);
            if (!kind || strcmp(kind, "p") != 0)
                continue;
            out->sessions = array_grow(out->sessions, &cap, out->nsessions + 1,
                                       sizeof *out->sessions);
            monitor_session *s = &out->sessions[out->nsessions++];
            memset(s, 0, sizeof *s);
            s->pid = 0;
            s->gid = text_escaped(db_result_value(r, row, L_GID) ? db_result_value(r, row, L_GID)
                                                                 : "");
            s->user = dup_or_null(db_result_value(r, row, L_OWNER));
            s->database = dup_or_null(db_result_value(r, row, L_DATABASE));
            s->backend_type = xstrdup("prepared transaction");
            s->state = xstrdup("prepared");
            s->backend_xid = dup_or_null(db_result_value(r, row, L_PXID));
            s->xact_age = age_value(db_result_value(r, row, L_PREPARED_AGE));
            s->query_age = -1;
            s->state_age = s->xact_age;
            s->wait_age = -1;
        }
        for (size_t i = 0; i < original; i++) {
            monitor_session *w = &out->sessions[i];
            bool zero = false;
            for (size_t b = 0; b < w->nblockers; b++)
                zero = zero || w->blockers[b] == 0;
            if (!zero)
                continue;
            int want = -1;
            for (int row = 0; row < r->nrows && want < 0; row++) {
                const char *kind = db_result_value(r, row, L_KIND);
                const char *pid = db_result_value(r, row, L_PID);
                if (kind && strcmp(kind, "w") == 0 && pid && atoi(pid) == w->pid)
                    want = row;
            }
            map_prepared(w, r, want);
            /* the gids were escaped for display; match them the same way */
            for (size_t b = 0; b < w->nblockers; b++)
                if (w->blocker_gids[b]) {
                    char *e = text_escaped(w->blocker_gids[b]);
                    free(w->blocker_gids[b]);
                    w->blocker_gids[b] = e;
                }
        }
    }
    db_result_free(r);
    return SW_OK;
}

enum {
    A_PID,
    A_USER,
    A_DATABASE,
    A_APPLICATION,
    A_CLIENT,
    A_BACKEND_TYPE,
    A_STATE,
    A_XACT_AGE,
    A_QUERY_AGE,
    A_STATE_AGE,
    A_WAIT_EVENT_TYPE,
    A_WAIT_EVENT,
    A_XID,
    A_XMIN,
    A_QUERY,
    A_BLOCKERS,
    A_DB_STAMP,
};

/* What autovacuum reports as its query (autovac_report_activity):
 * "autovacuum: VACUUM public.t", with " ANALYZE" after VACUUM when it also
 * analyzes, and " (to prevent wraparound)" at the end for a vacuum the
 * server forces to freeze old transaction ids. */
#define AUTOVACUUM_VACUUM "autovacuum: VACUUM "
#define WRAPAROUND_SUFFIX " (to prevent wraparound)"

void monitor_session_flags(monitor_session *s)
{
    s->idle_in_transaction = s->state && str_has_prefix(s->state, "idle in transaction");
    s->autovacuum = s->backend_type && strcmp(s->backend_type, "autovacuum worker") == 0;
    size_t qlen = s->query ? strlen(s->query) : 0, slen = strlen(WRAPAROUND_SUFFIX);
    s->wraparound = s->autovacuum && s->query && str_has_prefix(s->query, AUTOVACUUM_VACUUM) &&
                    qlen > slen && strcmp(s->query + qlen - slen, WRAPAROUND_SUFFIX) == 0;
    s->migration = s->application && str_has_prefix(s->application, MONITOR_MIGRATION_PREFIX);
}

static char *escaped_or_null(const char *v)
{
    return v ? text_escaped(v) : NULL;
}

static int compare_pid(const void *a, const void *b)
{
    int x = ((const monitor_session *)a)->pid, y = ((const monitor_session *)b)->pid;
    return (x > y) - (x < y);
}

/* Every session's relation locks in this database (the monitor's own
 * excepted), for the console's predicted-locks tab: which live sessions
 * hold or wait on the relations a migration will lock. */
static const char relation_locks_sql[] =
    "SELECT l.pid, l.relation::regclass::text, l.mode, l.granted"
    " FROM pg_locks l"
    " WHERE l.locktype = 'relation' AND l.pid IS NOT NULL AND l.pid <> pg_backend_pid()"
    "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

void monitor_want_relation_locks(monitor *m, bool on)
{
    m->want_relation_locks = on;
}

static int compare_relation_lock(const void *a, const void *b)
{
    const monitor_relation_lock *x = a, *y = b;
    if (x->pid != y->pid)
        return (x->pid > y->pid) - (x->pid < y->pid);
    int c = strcmp(x->relation, y->relation);
    return c ? c : strcmp(x->mode, y->mode);
}

static sw_status refresh_relation_locks(monitor *m, monitor_snapshot *out, sw_error *err)
{
    /* Planned on first use only: a monitor that never shows this tab pays
     * nothing for it. */
    if (!m->relation_locks_prepared) {
        sw_status st = db_prepare(m->d, "stepwise_relation_locks", relation_locks_sql, err);
        if (st != SW_OK)
            return query_failed(st, err);
        m->relation_locks_prepared = true;
    }
    db_result *r = NULL;
    sw_status st = db_query_prepared(m->d, "stepwise_relation_locks", 0, NULL, &r, err);
    if (st != SW_OK)
        return query_failed(st, err);
    out->queries++;
    out->relation_locks = xcalloc(r->nrows ? (size_t)r->nrows : 1, sizeof *out->relation_locks);
    for (int row = 0; row < r->nrows; row++) {
        const char *pid = db_result_value(r, row, 0), *mode = db_result_value(r, row, 2);
        char *rel = relation_name(db_result_value(r, row, 1));
        if (!pid || !mode || !rel) {
            free(rel); /* a relation dropped meanwhile has no name left */
            continue;
        }
        monitor_relation_lock *l = &out->relation_locks[out->nrelation_locks++];
        l->pid = atoi(pid);
        l->relation = rel;
        l->mode = xstrdup(mode);
        const char *granted = db_result_value(r, row, 3);
        l->granted = granted && strcmp(granted, "t") == 0;
    }
    db_result_free(r);
    qsort(out->relation_locks, out->nrelation_locks, sizeof *out->relation_locks,
          compare_relation_lock);
    out->have_relation_locks = true;
    return SW_OK;
}

sw_status monitor_refresh(monitor *m, monitor_snapshot *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    out->oldest_wait = -1;
    db_result *r = NULL;
    sw_status st = db_query_prepared(m->d, "stepwise_activity", 0, NULL, &r, err);
    if (st != SW_OK)
        return query_failed(st, err);
    out->queries = 1;
    out->sessions = xcalloc(r->nrows ? (size_t)r->nrows : 1, sizeof *out->sessions);
    bool any_waiter = false, any_prepared = false, unknown_database = false;
    /* The stamp of pg_database, the same on every row. */
    const char *stamp = r->nrows > 0 ? db_result_value(r, 0, A_DB_STAMP) : NULL;
    bool stale = stamp && (!m->db_stamp || strcmp(stamp, m->db_stamp) != 0);
    for (int row = 0; row < r->nrows; row++) {
        const char *pid = db_result_value(r, row, A_PID);
        if (!pid || atoi(pid) == m->pid)
            continue;
        monitor_session *s = &out->sessions[out->nsessions++];
        s->pid = atoi(pid);
        s->user = escaped_or_null(db_result_value(r, row, A_USER));
        const char *datid = db_result_value(r, row, A_DATABASE);
        if (datid && strcmp(datid, "0") != 0 && !database_name(m, datid))
            unknown_database = true;
        s->application = escaped_or_null(db_result_value(r, row, A_APPLICATION));
        s->client = dup_or_null(db_result_value(r, row, A_CLIENT));
        s->backend_type = dup_or_null(db_result_value(r, row, A_BACKEND_TYPE));
        s->state = dup_or_null(db_result_value(r, row, A_STATE));
        s->xact_age = age_ms_value(db_result_value(r, row, A_XACT_AGE));
        s->query_age = age_ms_value(db_result_value(r, row, A_QUERY_AGE));
        s->state_age = age_ms_value(db_result_value(r, row, A_STATE_AGE));
        s->wait_event_type = dup_or_null(db_result_value(r, row, A_WAIT_EVENT_TYPE));
        s->wait_event = dup_or_null(db_result_value(r, row, A_WAIT_EVENT));
        s->backend_xid = dup_or_null(db_result_value(r, row, A_XID));
        s->backend_xmin = dup_or_null(db_result_value(r, row, A_XMIN));
        const char *query = db_result_value(r, row, A_QUERY);
        s->query = escaped_or_null(query);
        s->wait_age = -1;
        if (query && strcmp(query, "<insufficient privilege>") == 0)
            out->hidden = true;
        monitor_session_flags(s);
        s->waiting = s->wait_event_type && strcmp(s->wait_event_type, "Lock") == 0;
        parse_pids(db_result_value(r, row, A_BLOCKERS), s);
        any_waiter = any_waiter || s->waiting;
        for (size_t b = 0; b < s->nblockers; b++)
            any_prepared = any_prepared || s->blockers[b] == 0;
    }
    /* Database names: from the cache, read again (one more round trip,
     * once) when a database was created, dropped or renamed since. */
    if (stale || unknown_database) {
        st = load_databases(m, err);
        if (st != SW_OK) {
            db_result_free(r);
            monitor_snapshot_free(out);
            return st;
        }
        out->queries++;
    }
    for (int row = 0, i = 0; row < r->nrows; row++) {
        const char *pid = db_result_value(r, row, A_PID);
        if (!pid || atoi(pid) == m->pid)
            continue;
        out->sessions[i++].database =
            escaped_or_null(database_name(m, db_result_value(r, row, A_DATABASE)));
    }
    db_result_free(r);
    /* By pid, as people read them; sorted here, not by the server, which
     * would spend a sort on every refresh of a busy cluster. */
    qsort(out->sessions, out->nsessions, sizeof *out->sessions, compare_pid);

    if (any_waiter) {
        st = refresh_locks(m, out, any_prepared, err);
        if (st != SW_OK) {
            monitor_snapshot_free(out);
            return st;
        }
    }
    monitor_build_tree(out);
    if (m->want_relation_locks) {
        st = refresh_relation_locks(m, out, err);
        if (st != SW_OK) {
            monitor_snapshot_free(out);
            return st;
        }
    }
    return SW_OK;
}

sw_status monitor_signal(monitor *m, int pid, bool terminate, bool *done, sw_error *err)
{
    *done = false;
    if (pid == m->pid)
        return sw_error_set(err, SW_USAGE, "refusing to signal the monitor's own connection");
    if (pid <= 0)
        return sw_error_set(err, SW_USAGE,
                            "a prepared transaction has no backend to signal: "
                            "use COMMIT PREPARED or ROLLBACK PREPARED");
    char buf[16];
    snprintf(buf, sizeof buf, "%d", pid);
    const char *params[] = {buf};
    db_result *r = NULL;
    sw_status st = db_query(m->d,
                            terminate ? "SELECT pg_terminate_backend($1::int)"
                                      : "SELECT pg_cancel_backend($1::int)",
                            1, params, &r, err);
    if (st != SW_OK)
        return query_failed(st, err);
    const char *v = db_result_value(r, 0, 0);
    *done = v && strcmp(v, "t") == 0;
    db_result_free(r);
    return SW_OK;
}

/* The same columns as the waiters' query (so lock_target reads them),
 * then granted, fastpath and virtualxid. */
static const char session_locks_sql[] =
    "SELECT 'w', l.pid::text, l.locktype, l.mode,"
    " CASE WHEN l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    "  THEN l.relation::regclass::text END,"
    " l.transactionid::text, l.page::text, l.tuple::text, l.classid::regclass::text,"
    " l.objid::text, l.objsubid::text, NULL, NULL, l.relation::text,"
    " NULL, NULL, NULL, NULL, NULL, l.granted, l.fastpath, l.virtualxid"
    " FROM pg_locks l WHERE l.pid = $1::int";

enum { L_GRANTED = L_PREPARED_AGE + 1, L_FASTPATH, L_VIRTUALXID };

static int compare_lock(const void *a, const void *b)
{
    const monitor_lock *x = a, *y = b;
    if (x->granted != y->granted)
        return x->granted ? 1 : -1; /* what it waits for first */
    int c = strcmp(x->locktype, y->locktype);
    if (c)
        return c;
    c = strcmp(x->object, y->object);
    return c ? c : strcmp(x->mode, y->mode);
}

sw_status monitor_session_locks(monitor *m, int pid, monitor_lock **out, size_t *count,
                                sw_error *err)
{
    *out = NULL;
    *count = 0;
    char buf[16];
    snprintf(buf, sizeof buf, "%d", pid);
    const char *params[] = {buf};
    db_result *r = NULL;
    sw_status st = db_query(m->d, session_locks_sql, 1, params, &r, err);
    if (st != SW_OK)
        return query_failed(st, err);
    monitor_lock *locks = xcalloc(r->nrows ? (size_t)r->nrows : 1, sizeof *locks);
    size_t n = 0;
    for (int row = 0; row < r->nrows; row++) {
        const char *type = db_result_value(r, row, L_LOCKTYPE);
        const char *mode = db_result_value(r, row, L_MODE);
        if (!type || !mode)
            continue;
        monitor_lock *l = &locks[n++];
        l->locktype = xstrdup(type);
        l->mode = xstrdup(mode);
        const char *granted = db_result_value(r, row, L_GRANTED);
        const char *fastpath = db_result_value(r, row, L_FASTPATH);
        l->granted = granted && strcmp(granted, "t") == 0;
        l->fastpath = fastpath && strcmp(fastpath, "t") == 0;
        char *rel = relation_name(db_result_value(r, row, L_RELATION));
        char *object;
        if (strcmp(type, "relation") == 0)
            object = xstrdup(rel ? rel : "a relation of another database");
        else if (strcmp(type, "virtualxid") == 0 && db_result_value(r, row, L_VIRTUALXID))
            object = xasprintf("virtual transaction %s", db_result_value(r, row, L_VIRTUALXID));
        else
            object = lock_target(r, row, rel);
        l->object = text_escaped(object ? object : type);
        free(object);
        free(rel);
    }
    db_result_free(r);
    qsort(locks, n, sizeof *locks, compare_lock);
    *out = locks;
    *count = n;
    return SW_OK;
}

void monitor_locks_free(monitor_lock *locks, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(locks[i].locktype);
        free(locks[i].mode);
        free(locks[i].object);
    }
    free(locks);
}
