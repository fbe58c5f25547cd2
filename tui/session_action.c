/* Live sessions shown and acted on, shared by `stepwise locks` and the
 * console's locks and activity views: see session_action.h. The signal
 * runs on the monitor's worker (its connection), the audit on the
 * database worker (the events table), never on the screen's thread. */
#include "config.h"

#include "tui/session_action.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "tui/console.h"

bool session_utf8(void)
{
    const char *codeset = nl_langinfo(CODESET);
    return codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

void session_age_text(char *buf, size_t size, double secs)
{
    if (secs < 0) {
        snprintf(buf, size, "-");
    } else if (secs < 59.95) {
        long tenths = (long)(secs * 10.0 + 0.5);
        snprintf(buf, size, "%ld.%lds", tenths / 10, tenths % 10);
    } else if (secs < 3600) {
        long s = (long)secs;
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
    } else {
        long m = (long)(secs / 60);
        snprintf(buf, size, "%ldh%02ldm", m / 60, m % 60);
    }
}

size_t session_tree_prefix(strbuf *sb, const monitor_snapshot *s, const bool *visible, size_t i,
                           bool *last, size_t nlast, bool utf8)
{
    const char *tee = utf8 ? "\xe2\x94\x9c\xe2\x94\x80 " : "|- ";
    const char *elbow = utf8 ? "\xe2\x94\x94\xe2\x94\x80 " : "`- ";
    const char *bar = utf8 ? "\xe2\x94\x82  " : "|  ";
    size_t maxd = nlast - 1;
    size_t d = s->nodes[i].depth;
    /* Is this the last visible child of its parent? */
    bool is_last = true;
    for (size_t j = i + 1; j < s->nnodes; j++) {
        if (s->nodes[j].depth < d)
            break;
        if (s->nodes[j].depth == d && (!visible || visible[j])) {
            is_last = false;
            break;
        }
    }
    if (d <= maxd)
        last[d] = is_last;
    size_t cols = 0;
    for (size_t k = 1; k < d; k++) {
        strbuf_append(sb, k <= maxd && last[k] ? "   " : bar);
        cols += 3;
    }
    if (d > 0) {
        strbuf_append(sb, is_last ? elbow : tee);
        cols += 3;
    }
    return cols;
}

char *session_blocks_text(const monitor_snapshot *s, const monitor_session *ses)
{
    size_t index = (size_t)(ses - s->sessions);
    for (size_t i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].session != index)
            continue;
        if (s->nodes[i].blocked_total == 0)
            return NULL;
        /* Its subtree follows it in display order; a session under two
         * blockers shows twice, named once here. */
        strbuf sb = {0};
        strbuf_appendf(&sb, "%zu session%s:", s->nodes[i].blocked_total,
                       s->nodes[i].blocked_total == 1 ? "" : "s");
        bool *named = xcalloc(s->nsessions + 1, sizeof *named);
        size_t count = 0;
        for (size_t j = i + 1; j < s->nnodes && s->nodes[j].depth > s->nodes[i].depth; j++) {
            size_t k = s->nodes[j].session;
            if (named[k] || k == index)
                continue;
            named[k] = true;
            const monitor_session *w = &s->sessions[k];
            if (w->pid)
                strbuf_appendf(&sb, "%s pid %d", count++ ? "," : "", w->pid);
            else
                strbuf_appendf(&sb, "%s prepared %s", count++ ? "," : "", w->gid ? w->gid : "?");
        }
        free(named);
        return strbuf_detach(&sb);
    }
    return NULL;
}

sw_status session_audit(db *d, const history_table *t, const char *database, const char *action,
                        int pid, const char *user, const char *query, const char *outcome,
                        const char *detail, char **event_note, sw_error *err)
{
    *event_note = NULL;
    char *db_user = NULL;
    db_result *r = NULL;
    sw_error e = {0};
    if (d && db_query(d, "select current_user", 0, NULL, &r, &e) == SW_OK && r->nrows == 1 &&
        db_result_value(r, 0, 0))
        db_user = xstrdup(db_result_value(r, 0, 0));
    db_result_free(r);
    r = NULL;
    sw_error_clear(&e);

    audit_actor actor = {.db_user = db_user};
    audit_actor_system(&actor);
    audit_event ev = {.action = action,
                      .database = database,
                      .target_pid = pid,
                      .target_user = user,
                      .target_query = query,
                      .outcome = outcome,
                      .detail = detail};
    sw_status st = SW_FAILED;
    char *path = audit_default_path(getenv("XDG_STATE_HOME"), getenv("HOME"), err);
    if (path)
        st = audit_append(path, &actor, &ev, err);
    free(path);

    /* The events table, when there is one: it has no columns for the
     * session, so the detail names it. */
    if (d && t && t->events_sql && db_get_kind(d) == DB_POSTGRES) {
        const char *params[] = {t->events_sql};
        bool exists = false;
        if (db_query(d, "SELECT to_regclass($1) IS NOT NULL", 1, params, &r, &e) == SW_OK)
            exists = r->nrows == 1 && db_result_value(r, 0, 0) &&
                     strcmp(db_result_value(r, 0, 0), "t") == 0;
        else
            *event_note = xasprintf("not recorded in the events table: %s", e.message);
        db_result_free(r);
        sw_error_clear(&e);
        if (exists) {
            char *who = history_actor_text(&actor);
            char *what = xasprintf("pid %d, user %s: %s%s%s", pid, user ? user : "-",
                                   query && *query ? query : "-", detail ? "; " : "",
                                   detail ? detail : "");
            if (history_event(d, t, who, action, NULL, outcome, what, &e) != SW_OK)
                *event_note = xasprintf("not recorded in the events table: %s", e.message);
            sw_error_clear(&e);
            free(who);
            free(what);
        }
    }
    free(db_user);
    return st;
}

/* ---- the console ------------------------------------------------------- */

bool sessions_live(console *c)
{
    return c->target_ok && c->target.kind == DB_POSTGRES;
}

const char *session_state_text(const monitor_session *s)
{
    if (!s->state)
        return "-";
    if (strcmp(s->state, "idle in transaction") == 0)
        return "idle in tx";
    if (strcmp(s->state, "idle in transaction (aborted)") == 0)
        return "idle in tx (aborted)";
    return s->state;
}

void sessions_layout(int cols, int n, const int *min, const int *preferred, int *width)
{
    int used = n - 1;
    for (int i = 0; i < n; i++)
        used += width[i] = min[i];
    int extra = cols - used;
    int give = extra < 10 ? extra : 10;
    if (give > 0) {
        width[n - 1] += give;
        extra -= give;
    }
    for (int i = 0; i < n - 1 && extra > 0; i++) {
        int more = preferred[i] - width[i];
        if (more > extra)
            more = extra;
        if (more > 0) {
            width[i] += more;
            extra -= more;
        }
    }
    if (extra > 0)
        width[n - 1] += extra;
    if (width[n - 1] < 1)
        width[n - 1] = 1;
}

void sessions_cell(strbuf *line, const char *text, int width, bool right, bool last)
{
    char *cell = text_fit(text ? text : "", width, right);
    strbuf_append(line, cell);
    free(cell);
    if (!last)
        strbuf_append_char(line, ' ');
}

void sessions_column_titles(WINDOW *w, int y, int cols, int n, const char *const *titles,
                            const int *width, int right)
{
    strbuf line = {0};
    for (int i = 0; i < n; i++)
        sessions_cell(&line, titles[i], width[i], i == right, i == n - 1);
    draw_fill(w, y, 0, cols, STYLE_TITLE);
    draw_text(w, y, 0, cols, strbuf_str(&line), STYLE_TITLE);
    strbuf_free(&line);
}

bool sessions_placeholder(console *c, WINDOW *w, int rows, int cols)
{
    (void)rows;
    if (!c->target_ok) {
        draw_textf(w, 0, 0, cols, STYLE_WARNING, "No database: %s",
                   c->target_error ? c->target_error : "no target");
        draw_text(w, 1, 0, cols, "Start stepwise with --db, or set STEPWISE_DB or DATABASE_URL.",
                  STYLE_NORMAL);
        return true;
    }
    if (c->target.kind != DB_POSTGRES) {
        draw_text(w, 0, 0, cols, "The lock monitor needs PostgreSQL.", STYLE_WARNING);
        draw_textf(w, 1, 0, cols, STYLE_NORMAL,
                   "%s is a SQLite database, which has no sessions or lock waits to show.",
                   c->target.display);
        return true;
    }
    if (c->have_snapshot)
        return false;
    if (c->monitor_error) {
        draw_textf(w, 0, 0, cols, STYLE_ERROR, "The lock monitor cannot read the server: %s",
                   c->monitor_error);
        draw_textf(w, 1, 0, cols, STYLE_NORMAL, "It tries again every %.1f s (+ and - change it).",
                   c->settings.refresh);
        draw_text(w, 2, 0, cols,
                  "Check that the server answers and that this role may read pg_stat_activity "
                  "and pg_locks (grant pg_monitor).",
                  STYLE_NORMAL);
        return true;
    }
    if (c->paused)
        draw_text(w, 0, 0, cols, "paused before the first read: Space resumes", STYLE_INFO);
    else
        draw_text(w, 0, 0, cols, "reading pg_stat_activity...", STYLE_INFO);
    return true;
}

void sessions_refresh_text(console *c, strbuf *sb)
{
    if (c->paused)
        strbuf_append(sb, " | paused (Space resumes)");
    else
        strbuf_appendf(sb, " | every %.1f s", c->settings.refresh);
    if (c->have_snapshot) {
        char age[32];
        session_age_text(age, sizeof age, clock_now() - c->snapshot_at);
        strbuf_appendf(sb, " | taken %s ago", age);
    }
    if (c->monitor_error)
        strbuf_appendf(sb, " | refresh failed: %s", c->monitor_error);
}

/* What a person needs to recognise a session, one fact a line. */
static void describe(strbuf *sb, const monitor_snapshot *snap, const monitor_session *s,
                     const char *indent)
{
    char xact[32], query_age[32], wait[32];
    session_age_text(xact, sizeof xact, s->xact_age);
    session_age_text(query_age, sizeof query_age, s->query_age);
    session_age_text(wait, sizeof wait, s->wait_age);
    strbuf_appendf(sb, "%suser %s, application %s, database %s\n", indent, s->user ? s->user : "-",
                   s->application && *s->application ? s->application : "-",
                   s->database ? s->database : "-");
    strbuf_appendf(sb, "%sstate %s, transaction %s, query %s\n", indent,
                   s->state ? s->state : "-", xact, query_age);
    if (s->waiting)
        strbuf_appendf(sb, "%swaits %s for %s on %s\n", indent, wait,
                       s->wanted_mode ? s->wanted_mode : "a lock",
                       s->relation ? s->relation : s->target ? s->target : "-");
    char *blocks = session_blocks_text(snap, s);
    strbuf_appendf(sb, "%sblocks %s\n", indent, blocks ? blocks : "nobody");
    free(blocks);
}

typedef struct detail_job {
    monitor *m;
    int pid;
    char *title;
    char *head;
    monitor_lock *locks;
    size_t nlocks;
    bool ok;
    sw_error err;
} detail_job;

static void detail_run(void *arg)
{
    detail_job *j = arg;
    j->ok = monitor_session_locks(j->m, j->pid, &j->locks, &j->nlocks, &j->err) == SW_OK;
}

static void detail_done(void *context, void *arg)
{
    console *c = context;
    detail_job *j = arg;
    if (c) {
        strbuf sb = {0};
        strbuf_append(&sb, j->head);
        if (!j->ok) {
            strbuf_appendf(&sb, "\nLocks: cannot read pg_locks: %s\n", j->err.message);
        } else {
            strbuf_appendf(&sb, "\nLocks (%zu, what it waits for first):\n", j->nlocks);
            for (size_t i = 0; i < j->nlocks; i++) {
                const monitor_lock *l = &j->locks[i];
                strbuf_appendf(&sb, "  %-8s %-24s %-14s %s%s\n", l->granted ? "held" : "WAITS",
                               l->mode, l->locktype, l->object, l->fastpath ? " (fast path)" : "");
            }
            if (j->nlocks == 0)
                strbuf_append(&sb, "  none (the session has ended, or holds nothing)\n");
        }
        console_show_text(c, j->title, strbuf_detach(&sb));
    }
    monitor_locks_free(j->locks, j->nlocks);
    sw_error_clear(&j->err);
    free(j->title);
    free(j->head);
    free(j);
}

void session_show_detail(console *c, const monitor_session *s)
{
    const monitor_snapshot *snap = &c->snapshot;
    strbuf sb = {0};
    char *title = s->pid ? xasprintf("Session %d", s->pid)
                         : xasprintf("Prepared transaction %s", s->gid ? s->gid : "?");
    strbuf_appendf(&sb, "%s\n", title);
    describe(&sb, snap, s, "  ");
    strbuf_appendf(&sb, "  client %s, backend %s", s->client ? s->client : "local",
                   s->backend_type ? s->backend_type : "-");
    if (s->backend_xid)
        strbuf_appendf(&sb, ", xid %s", s->backend_xid);
    if (s->backend_xmin)
        strbuf_appendf(&sb, ", xmin %s", s->backend_xmin);
    strbuf_append(&sb, "\n");
    if (s->wait_event_type)
        strbuf_appendf(&sb, "  wait event %s/%s\n", s->wait_event_type,
                       s->wait_event ? s->wait_event : "-");
    if (s->nblockers) {
        strbuf_append(&sb, "  blocked by");
        for (size_t i = 0; i < s->nblockers; i++)
            strbuf_appendf(&sb, "%s pid %d", i ? "," : "", s->blockers[i]);
        strbuf_append(&sb, "\n");
    }
    if (s->migration)
        strbuf_append(&sb, "  this is a stepwise migration's session\n");
    strbuf_appendf(&sb, "\nQuery:\n%s\n", s->query && *s->query ? s->query : "-");
    if (s->pid == 0 || !c->monitor_open) {
        strbuf_append(&sb, "\nA prepared transaction has no backend: COMMIT PREPARED or ROLLBACK "
                           "PREPARED ends it.\n");
        console_show_text(c, title, strbuf_detach(&sb));
        free(title);
        return;
    }
    detail_job *j = xcalloc(1, sizeof *j);
    j->m = c->monitor;
    j->pid = s->pid;
    j->title = title;
    j->head = strbuf_detach(&sb);
    worker_post(c->monitor_worker, "reading pg_locks", detail_run, detail_done, j);
}

/* A cancel or terminate from the dialog to the audit. */
typedef struct signal_job {
    console *c;             /* for c->conn and c->table, in the audit job */
    monitor *m;
    int pid;
    bool terminate;
    char *user, *query, *database;
    char *outcome, *detail;
    char *result;           /* what the person is told */
    style result_style;
    bool done;
    sw_status st;
    sw_error err;
    /* The audit's outcome. */
    sw_status audit_st;
    sw_error audit_err;
    char *event_note;
} signal_job;

static void signal_job_free(signal_job *j)
{
    free(j->user);
    free(j->query);
    free(j->database);
    free(j->outcome);
    free(j->detail);
    free(j->result);
    free(j->event_note);
    sw_error_clear(&j->err);
    sw_error_clear(&j->audit_err);
    free(j);
}

static void audit_run(void *arg)
{
    signal_job *j = arg;
    db *d = j->c->conn;
    j->audit_st = session_audit(d, d ? &j->c->table : NULL, j->database,
                                j->terminate ? "terminate_backend" : "cancel_backend", j->pid,
                                j->user, j->query, j->outcome, j->detail, &j->event_note,
                                &j->audit_err);
}

static void audit_done(void *context, void *arg)
{
    console *c = context;
    signal_job *j = arg;
    if (c) {
        if (j->audit_st != SW_OK)
            console_message(c, STYLE_ERROR, "%s; not audited: %s", j->result, j->audit_err.message);
        else if (j->event_note)
            console_message(c, STYLE_WARNING, "%s; audited in the local file only (%s)", j->result,
                            j->event_note);
        else
            console_message(c, j->result_style, "%s (audited)", j->result);
        console_reload_events(c);
    }
    signal_job_free(j);
}

static void post_audit(console *c, signal_job *j)
{
    console_post(c, "recording the audit event", audit_run, audit_done, j);
}

static void signal_run(void *arg)
{
    signal_job *j = arg;
    j->st = monitor_signal(j->m, j->pid, j->terminate, &j->done, &j->err);
}

static void signal_done(void *context, void *arg)
{
    console *c = context;
    signal_job *j = arg;
    if (!c) {
        signal_job_free(j);
        return;
    }
    if (j->st != SW_OK) {
        j->outcome = xasprintf("failed: %s", j->err.message);
        j->result = xasprintf("pid %d: %s", j->pid, j->err.message);
        j->result_style = STYLE_ERROR;
    } else if (!j->done) {
        j->outcome = xasprintf("failed: the server did not signal pid %d", j->pid);
        j->result = xasprintf("the server did not signal pid %d (has it ended?)", j->pid);
        j->result_style = STYLE_ERROR;
    } else {
        j->outcome = xstrdup("ok");
        console_walkthrough_note(c, WALK_SESSION_ENDED);
        j->result = xasprintf("%s pid %d: done",
                              j->terminate ? "Terminated" : "Cancelled the query of", j->pid);
        j->result_style = STYLE_INFO;
    }
    console_message(c, j->result_style, "%s", j->result);
    c->next_refresh = 0; /* show the session as it is now */
    post_audit(c, j);
}

static void signal_answer(console *c, void *arg, bool yes)
{
    signal_job *j = arg;
    if (!yes) {
        j->outcome = xstrdup("refused");
        j->detail = xstrdup("declined at the confirmation");
        j->result = xasprintf("Nothing done to pid %d", j->pid);
        j->result_style = STYLE_INFO;
        console_message(c, STYLE_INFO, "%s", j->result);
        post_audit(c, j);
        return;
    }
    worker_post(c->monitor_worker, j->terminate ? "terminating a session" : "cancelling a query",
                signal_run, signal_done, j);
}

static signal_job *signal_job_new(console *c, const monitor_session *s, bool terminate)
{
    signal_job *j = xcalloc(1, sizeof *j);
    j->c = c;
    j->m = c->monitor;
    j->pid = s->pid;
    j->terminate = terminate;
    j->user = s->user ? xstrdup(s->user) : NULL;
    j->query = s->query ? xstrdup(s->query) : NULL;
    j->database = xstrdup(c->target.display);
    return j;
}

void session_signal_now(console *c, const monitor_session *s, bool terminate)
{
    if (s->pid == 0 || !c->monitor_open) {
        console_message(c, STYLE_WARNING, "pid %d cannot be signalled from here", s->pid);
        return;
    }
    signal_job *j = signal_job_new(c, s, terminate);
    worker_post(c->monitor_worker, terminate ? "terminating a session" : "cancelling a query",
                signal_run, signal_done, j);
}

void session_ask_signal(console *c, const monitor_session *s, bool terminate)
{
    if (s->pid == 0) {
        console_message(c, STYLE_WARNING,
                        "a prepared transaction has no backend to signal: use COMMIT PREPARED "
                        "or ROLLBACK PREPARED");
        return;
    }
    if (!c->monitor_open) {
        console_message(c, STYLE_WARNING, "the lock monitor is not connected");
        return;
    }
    signal_job *j = signal_job_new(c, s, terminate);
    strbuf body = {0};
    describe(&body, &c->snapshot, s, "");
    /* The query on one line, cut: the whole of it is on Enter's page. */
    const char *q = s->query && *s->query ? s->query : "-";
    strbuf_appendf(&body, "query: %.*s%s\n", 160, q, strlen(q) > 160 ? "..." : "");
    strbuf_append(&body, terminate ? "Its connection is closed; an open transaction rolls back.\n"
                                   : "Its running statement stops with an error.\n");
    strbuf_append(&body, "Audited either way.");
    char *title = terminate ? xasprintf("Terminate pid %d?", s->pid)
                            : xasprintf("Cancel the query of pid %d?", s->pid);
    console_ask(c, title, strbuf_str(&body), "y", signal_answer, j);
    free(title);
    strbuf_free(&body);
}

bool session_request(console *c, const monitor_session *s, request req)
{
    switch (req) {
    case REQ_ENTER:
        session_show_detail(c, s);
        return true;
    case REQ_CANCEL_SESSION:
    case REQ_TERMINATE_SESSION:
        session_ask_signal(c, s, req == REQ_TERMINATE_SESSION);
        return true;
    default:
        return false;
    }
}
