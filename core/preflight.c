/* Preflight: the server, the history's state, and the sessions that
 * would make a migration wait or would wait behind it. */
#include "config.h"

#include "core/preflight.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *preflight_level_name(check_level level)
{
    return level == CHECK_PASS ? "PASS" : level == CHECK_WARN ? "WARN" : "FAIL";
}

static void add(preflight *p, check_level level, bool override, const char *name,
                const char *fmt, ...) SW_PRINTF(5, 6);
static void add(preflight *p, check_level level, bool override, const char *name,
                const char *fmt, ...)
{
    p->checks = array_grow(p->checks, &p->cap, p->count + 1, sizeof *p->checks);
    preflight_check *c = &p->checks[p->count++];
    va_list ap;
    va_start(ap, fmt);
    c->reason = xvasprintf(fmt, ap);
    va_end(ap);
    c->name = xstrdup(name);
    c->level = level;
    c->overridden = level == CHECK_FAIL && override;
    if (level == CHECK_FAIL && !override)
        p->fails++;
    else if (level != CHECK_PASS)
        p->warns++;
}

/* Versions of entries in `state` (or out of order), "3, 7, 12". */
static char *versions(const migration_status *s, int state, bool out_of_order)
{
    strbuf sb = {0};
    for (size_t i = 0; i < s->count; i++) {
        const status_entry *e = &s->entries[i];
        if (out_of_order ? e->out_of_order : (int)e->state == state)
            strbuf_appendf(&sb, "%s%s", sb.len ? ", " : "", e->version);
    }
    return strbuf_detach(&sb);
}

static void sessions(db *d, preflight *p)
{
    db_result *r = NULL;
    sw_error err = {0};
    if (db_query(d,
                 "SELECT pid, usename, coalesce(state, ''), "
                 "coalesce(date_part('epoch', now() - xact_start)::bigint, 0), "
                 "coalesce(date_part('epoch', now() - state_change)::bigint, 0), "
                 "coalesce(wait_event_type, ''), left(coalesce(query, ''), 120) "
                 "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                 "AND backend_type = 'client backend' "
                 "AND application_name NOT LIKE 'stepwise %' "
                 "AND (xact_start < now() - interval '1 minute' "
                 "  OR (state = 'idle in transaction' AND state_change < now() - interval '10 "
                 "seconds') OR wait_event_type = 'Lock') ORDER BY pid",
                 0, NULL, &r, &err) != SW_OK) {
        add(p, CHECK_WARN, false, "sessions", "cannot read pg_stat_activity: %s", err.message);
        return;
    }
    strbuf old = {0}, idle = {0}, waiting = {0};
    for (int i = 0; i < r->nrows; i++) {
        const char *pid = db_result_value(r, i, 0), *user = db_result_value(r, i, 1);
        const char *state = db_result_value(r, i, 2);
        long long xage = atoll(db_result_value(r, i, 3)), sage = atoll(db_result_value(r, i, 4));
        char *q = text_one_line(db_result_value(r, i, 6));
        if (xage >= 60)
            strbuf_appendf(&old, "%spid %s (%s, %s, transaction %lld s): %s", old.len ? "; " : "",
                           pid, user ? user : "?", state, xage, q);
        if (strcmp(state, "idle in transaction") == 0 && sage >= 10)
            strbuf_appendf(&idle, "%spid %s (%s, idle in transaction %lld s)", idle.len ? "; " : "",
                           pid, user ? user : "?", sage);
        if (strcmp(db_result_value(r, i, 5), "Lock") == 0)
            strbuf_appendf(&waiting, "%spid %s (%s): %s", waiting.len ? "; " : "", pid,
                           user ? user : "?", q);
        free(q);
    }
    db_result_free(r);
    if (old.len)
        add(p, CHECK_WARN, false, "long transactions", "older than 1 minute: %s", strbuf_str(&old));
    else
        add(p, CHECK_PASS, false, "long transactions", "none older than 1 minute");
    if (idle.len)
        add(p, CHECK_WARN, false, "idle in transaction", "%s", strbuf_str(&idle));
    else
        add(p, CHECK_PASS, false, "idle in transaction", "none for more than 10 s");
    if (waiting.len)
        add(p, CHECK_WARN, false, "lock waits", "waiting on a lock now: %s",
            strbuf_str(&waiting));
    else
        add(p, CHECK_PASS, false, "lock waits", "nobody waits on a lock");
    strbuf_free(&old);
    strbuf_free(&idle);
    strbuf_free(&waiting);
}

void preflight_run(db *d, const migration_status *s, const preflight_options *o, preflight *out)
{
    memset(out, 0, sizeof *out);
    db_server_info info;
    sw_error err = {0};
    bool pg = db_get_kind(d) == DB_POSTGRES;
    if (db_server_info_get(d, &info, &err) != SW_OK) {
        add(out, CHECK_FAIL, false, "server", "not reachable: %s", err.message);
    } else {
        add(out, CHECK_PASS, false, "server", "%s %s", info.product, info.version);
        if (info.in_recovery)
            add(out, CHECK_FAIL, false, "replica",
                "the target is a replica (in recovery): migrate the primary");
        else if (info.read_only)
            add(out, CHECK_FAIL, false, "read-only", "the target is read-only");
        else
            add(out, CHECK_PASS, false, "primary", pg ? "not a replica" : "writable file");
        db_server_info_free(&info);
    }
    if (s->dirty) {
        strbuf sb = {0};
        for (size_t i = 0; i < s->count; i++) {
            const status_entry *e = &s->entries[i];
            if (e->state != STATE_DIRTY)
                continue;
            strbuf_appendf(&sb, "%s%s stopped after statement %d", sb.len ? "; " : "",
                           e->version, e->h->steps_done);
            if (e->h->failure) {
                char *why = text_one_line(e->h->failure);
                strbuf_appendf(&sb, " (%s)", why);
                free(why);
            }
        }
        add(out, CHECK_FAIL, false, "dirty",
            "%s; 'stepwise resume' finishes it, 'stepwise force' records it", strbuf_str(&sb));
        strbuf_free(&sb);
    } else {
        add(out, CHECK_PASS, false, "dirty", "nothing dirty");
    }
    char *dr = versions(s, STATE_DRIFTED, false), *mi = versions(s, STATE_MISSING, false);
    if (s->drifted || s->missing)
        add(out, CHECK_FAIL, o->allow_drift, "drift",
            "%s%s%s%s%s (--allow-drift to go on)", s->drifted ? "files changed since applied: " : "",
            dr, s->drifted && s->missing ? "; " : "", s->missing ? "recorded without a file: " : "",
            mi);
    else
        add(out, CHECK_PASS, false, "drift", "every applied file matches its checksum");
    free(dr);
    free(mi);
    char *oo = versions(s, 0, true);
    if (s->out_of_order)
        add(out, CHECK_FAIL, o->allow_out_of_order, "out of order",
            "pending below the highest applied version: %s (--allow-out-of-order to go on)", oo);
    else
        add(out, CHECK_PASS, false, "out of order", "no pending version below an applied one");
    free(oo);
    if (pg)
        sessions(d, out);
}

void preflight_free(preflight *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->checks[i].name);
        free(p->checks[i].reason);
    }
    free(p->checks);
    memset(p, 0, sizeof *p);
}
