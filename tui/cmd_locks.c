/* stepwise locks: the lock monitor on the command line. The blocking tree
 * once (or every few seconds with --watch), pstree-like, a summary line
 * first; --json for machines; --cancel/--terminate PID after a
 * confirmation that shows the session as it is at that moment, audited. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"
#include "core/history.h"
#include "core/json.h"
#include "core/monitor.h"
#include "core/util.h"
#include "tui/cli.h"
#include "tui/session_action.h"

#define LOCKS_USAGE                                                                         \
    "Usage: stepwise locks [--db TARGET] [--json] [--watch[=S]] [--min-wait DUR] "          \
    "[--dbname NAME]\n"                                                                     \
    "       stepwise locks [--db TARGET] --cancel PID | --terminate PID [--yes]"

typedef struct locks_view {
    bool json;
    bool utf8;
    int width;
    double min_wait; /* seconds; < 0 when not filtering */
    const char *dbname;
    bool hidden_told;
} locks_view;

static bool parse_pid(const char *text, int *out)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end != '\0' || errno != 0 || v <= 0 || v > 0x7fffffffL)
        return false;
    *out = (int)v;
    return true;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    if (columns && *columns) {
        char *end = NULL;
        long v = strtol(columns, &end, 10);
        if (*end == '\0' && v >= 20 && v <= 10000)
            return (int)v;
    }
    return isatty(STDOUT_FILENO) ? 80 : 160;
}

/* Characters shown, counting each UTF-8 sequence once. */
static size_t text_columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Append at most `room` characters of s, ending with an ellipsis when cut. */
static void append_shortened(strbuf *sb, const char *s, size_t room, bool utf8)
{
    if (text_columns(s) <= room) {
        strbuf_append(sb, s);
        return;
    }
    const char *ellipsis = utf8 ? "\xe2\x80\xa6" : "...";
    size_t ell = utf8 ? 1 : 3;
    if (room <= ell) {
        strbuf_append(sb, utf8 ? ellipsis : "...");
        return;
    }
    size_t keep = room - ell, cols = 0;
    const char *p = s;
    while (*p && cols < keep) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80)
            p++;
        cols++;
    }
    strbuf_append_len(sb, s, (size_t)(p - s));
    strbuf_append(sb, ellipsis);
}

static void append_escaped(strbuf *sb, const char *s)
{
    text_escape_control(sb, s && *s ? s : "-", false);
}

static bool session_db_ok(const locks_view *v, const monitor_session *s)
{
    return !v->dbname || (s->database && strcmp(s->database, v->dbname) == 0);
}

static double session_wait(const monitor_session *s)
{
    return s->wait_age >= 0 ? s->wait_age : s->state_age;
}

/* Which tree nodes and which sessions to show. */
typedef struct visibility {
    bool *node;    /* per node */
    bool *session; /* per session */
    bool *in_tree; /* the session appears in the tree */
} visibility;

static void compute_visibility(const locks_view *v, const monitor_snapshot *s, visibility *vis)
{
    vis->node = xcalloc(s->nnodes + 1, sizeof(bool));
    vis->session = xcalloc(s->nsessions + 1, sizeof(bool));
    vis->in_tree = xcalloc(s->nsessions + 1, sizeof(bool));
    /* A node is kept by itself; then every node above a kept one is kept. */
    for (size_t i = 0; i < s->nnodes; i++) {
        const monitor_session *ses = &s->sessions[s->nodes[i].session];
        vis->in_tree[s->nodes[i].session] = true;
        bool keep = session_db_ok(v, ses);
        if (keep && v->min_wait >= 0)
            keep = ses->waiting && session_wait(ses) >= v->min_wait;
        vis->node[i] = keep;
    }
    for (size_t i = s->nnodes; i-- > 0;) {
        if (!vis->node[i])
            continue;
        size_t depth = s->nodes[i].depth;
        for (size_t j = i; j-- > 0 && depth > 0;) {
            if (s->nodes[j].depth < depth) {
                vis->node[j] = true;
                depth = s->nodes[j].depth;
            }
        }
    }
    for (size_t i = 0; i < s->nnodes; i++)
        if (vis->node[i])
            vis->session[s->nodes[i].session] = true;
    for (size_t i = 0; i < s->nsessions; i++) {
        if (vis->in_tree[i])
            continue;
        const monitor_session *ses = &s->sessions[i];
        bool keep = session_db_ok(v, ses);
        if (keep && v->min_wait >= 0)
            keep = ses->waiting && session_wait(ses) >= v->min_wait;
        vis->session[i] = keep;
    }
}

static void visibility_free(visibility *vis)
{
    free(vis->node);
    free(vis->session);
    free(vis->in_tree);
}

typedef struct summary {
    size_t sessions, waiting, roots;
    double oldest;
} summary;

static summary summarise(const monitor_snapshot *s, const visibility *vis)
{
    summary sum = {0, 0, 0, -1};
    for (size_t i = 0; i < s->nsessions; i++) {
        if (!vis->session[i])
            continue;
        sum.sessions++;
        if (s->sessions[i].waiting) {
            sum.waiting++;
            if (s->sessions[i].wait_age > sum.oldest)
                sum.oldest = s->sessions[i].wait_age;
        }
    }
    for (size_t i = 0; i < s->nnodes; i++)
        if (vis->node[i] && s->nodes[i].depth == 0 && s->nodes[i].blocked_direct > 0)
            sum.roots++;
    return sum;
}

/* One session line after its tree prefix. */
static void session_line(const locks_view *v, strbuf *line, size_t prefix_cols,
                         const monitor_session *s, const monitor_node *node)
{
    size_t start = line->len;
    if (s->pid == 0) {
        strbuf_append(line, "prepared ");
        append_escaped(line, s->gid);
    } else {
        strbuf_appendf(line, "%d", s->pid);
    }
    strbuf_append_char(line, ' ');
    append_escaped(line, s->user);
    strbuf_append_char(line, ' ');
    append_escaped(line, s->application);
    strbuf_append_char(line, ' ');
    append_escaped(line, s->state);
    if (s->waiting) {
        char age[32];
        session_age_text(age, sizeof age, s->wait_age);
        strbuf_appendf(line, " waits %s for ", age);
        append_escaped(line, s->wanted_mode);
        if (s->relation && *s->relation) {
            strbuf_append(line, " on ");
            append_escaped(line, s->relation);
        } else if (s->target && *s->target) {
            strbuf_append(line, " on ");
            append_escaped(line, s->target);
        }
    }
    if (node && node->blocked_total > 0)
        strbuf_appendf(line, " blocks %zu", node->blocked_total);
    if (s->migration)
        strbuf_append(line, " [migration]");
    if (s->idle_in_transaction)
        strbuf_append(line, " [idle in transaction]");
    if (s->autovacuum)
        strbuf_append(line, " [autovacuum]");
    if (s->wraparound)
        strbuf_append(line, " [wraparound]");
    if (node && node->cycle)
        strbuf_append(line, " [cycle]");
    if (s->query && *s->query) {
        strbuf_append(line, ": ");
        size_t used = prefix_cols + text_columns(line->data + start);
        size_t room = (size_t)v->width > used + 10 ? (size_t)v->width - used : 10;
        /* the query is already escaped by the monitor */
        append_shortened(line, s->query, room, v->utf8);
    }
}

static void print_text(locks_view *v, const monitor_snapshot *s)
{
    visibility vis;
    compute_visibility(v, s, &vis);
    summary sum = summarise(s, &vis);
    char oldest[32];
    session_age_text(oldest, sizeof oldest, sum.oldest);
    printf("sessions: %zu, waiting: %zu, root blockers: %zu, oldest wait: %s\n", sum.sessions,
           sum.waiting, sum.roots, oldest);
    if (s->hidden && !v->hidden_told) {
        printf("some sessions are hidden: grant pg_monitor to see them\n");
        v->hidden_told = true;
    }

    /* last[k]: the visible node last printed at depth k is the last child. */
    bool last[JSON_MAX_DEPTH * 4] = {false};
    strbuf line = {0};
    for (size_t i = 0; i < s->nnodes; i++) {
        if (!vis.node[i])
            continue;
        strbuf_reset(&line);
        size_t cols = session_tree_prefix(&line, s, vis.node, i, last,
                                          sizeof last / sizeof last[0], v->utf8);
        session_line(v, &line, cols, &s->sessions[s->nodes[i].session], &s->nodes[i]);
        printf("%s\n", strbuf_str(&line));
    }
    for (size_t i = 0; i < s->nsessions; i++) {
        if (vis.in_tree[i] || !vis.session[i])
            continue;
        strbuf_reset(&line);
        session_line(v, &line, 0, &s->sessions[i], NULL);
        printf("%s\n", strbuf_str(&line));
    }
    strbuf_free(&line);
    visibility_free(&vis);
}

static void json_age_ms(json_writer *w, const char *key, double secs)
{
    json_key(w, key);
    if (secs < 0)
        json_null(w);
    else
        json_int(w, (long long)(secs * 1000.0 + 0.5));
}

static void print_json(const locks_view *v, const monitor_snapshot *s, bool pretty)
{
    visibility vis;
    compute_visibility(v, s, &vis);
    summary sum = summarise(s, &vis);
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, pretty);
    json_begin_object(&w);
    json_key(&w, "sessions");
    json_int(&w, (long long)sum.sessions);
    json_key(&w, "waiting");
    json_int(&w, (long long)sum.waiting);
    json_key(&w, "root_blockers");
    json_int(&w, (long long)sum.roots);
    json_age_ms(&w, "oldest_wait_ms", sum.oldest);
    json_key(&w, "hidden");
    json_bool(&w, s->hidden);
    json_key(&w, "tree");
    json_begin_array(&w);
    for (size_t i = 0; i < s->nnodes; i++) {
        if (!vis.node[i])
            continue;
        const monitor_node *n = &s->nodes[i];
        const monitor_session *ses = &s->sessions[n->session];
        json_begin_object(&w);
        json_key(&w, "pid");
        json_int(&w, ses->pid);
        json_key(&w, "gid");
        json_string(&w, ses->gid);
        json_key(&w, "depth");
        json_int(&w, (long long)n->depth);
        json_key(&w, "cycle");
        json_bool(&w, n->cycle);
        json_key(&w, "blocked_direct");
        json_int(&w, (long long)n->blocked_direct);
        json_key(&w, "blocked_total");
        json_int(&w, (long long)n->blocked_total);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_key(&w, "session_list");
    json_begin_array(&w);
    for (size_t i = 0; i < s->nsessions; i++) {
        if (!vis.session[i])
            continue;
        const monitor_session *ses = &s->sessions[i];
        json_begin_object(&w);
        json_key(&w, "pid");
        json_int(&w, ses->pid);
        json_key(&w, "gid");
        json_string(&w, ses->gid);
        json_key(&w, "user");
        json_string(&w, ses->user);
        json_key(&w, "database");
        json_string(&w, ses->database);
        json_key(&w, "application");
        json_string(&w, ses->application);
        json_key(&w, "client");
        json_string(&w, ses->client);
        json_key(&w, "backend_type");
        json_string(&w, ses->backend_type);
        json_key(&w, "state");
        json_string(&w, ses->state);
        json_age_ms(&w, "xact_age_ms", ses->xact_age);
        json_age_ms(&w, "query_age_ms", ses->query_age);
        json_age_ms(&w, "state_age_ms", ses->state_age);
        json_key(&w, "wait_event_type");
        json_string(&w, ses->wait_event_type);
        json_key(&w, "wait_event");
        json_string(&w, ses->wait_event);
        json_key(&w, "waiting");
        json_bool(&w, ses->waiting);
        json_key(&w, "lock_type");
        json_string(&w, ses->lock_type);
        json_key(&w, "wanted_mode");
        json_string(&w, ses->wanted_mode);
        json_key(&w, "relation");
        json_string(&w, ses->relation);
        json_key(&w, "target");
        json_string(&w, ses->target);
        json_age_ms(&w, "wait_age_ms", ses->waiting ? ses->wait_age : -1);
        json_key(&w, "blockers");
        json_begin_array(&w);
        for (size_t b = 0; b < ses->nblockers; b++)
            json_int(&w, ses->blockers[b]);
        json_end_array(&w);
        json_key(&w, "idle_in_transaction");
        json_bool(&w, ses->idle_in_transaction);
        json_key(&w, "autovacuum");
        json_bool(&w, ses->autovacuum);
        json_key(&w, "wraparound");
        json_bool(&w, ses->wraparound);
        json_key(&w, "migration");
        json_bool(&w, ses->migration);
        json_key(&w, "query");
        json_string(&w, ses->query);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
    visibility_free(&vis);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Sleep up to secs, waking early on Ctrl-C. */
static void nap(double secs)
{
    while (secs > 0 && !interrupted) {
        double step = secs > 0.1 ? 0.1 : secs;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
        secs -= step;
    }
}

static int run_watch(locks_view *v, monitor *m, double interval)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool first = true;
    while (!interrupted) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        if (!v->json)
            printf("%s--- %s ---\n", first ? "" : "\n", stamp);
        first = false;
        monitor_snapshot snap;
        memset(&snap, 0, sizeof snap);
        sw_error err = {0};
        if (monitor_refresh(m, &snap, &err) == SW_OK) {
            if (v->json)
                print_json(v, &snap, false);
            else
                print_text(v, &snap);
            monitor_snapshot_free(&snap);
        } else {
            report_error(&err);
        }
        fflush(stdout);
        nap(interval);
    }
    return SW_OK;
}

/* The audit of a cancel or terminate, as the console's views write it:
 * the local file, and the events table when there is one. */
static int record(const cli_options *opts, const db_target *target, const char *action, int pid,
                  const monitor_session *s, const char *outcome, const char *detail)
{
    db *d = NULL;
    history_table table = {0};
    bool have_table = false;
    sw_error err = {0};
    if (db_open(target, DB_OPEN_EXISTING, &d, &err) == SW_OK)
        have_table = history_table_init(d, opts->table, &table, &err) == SW_OK;
    sw_error_clear(&err);
    char *note = NULL;
    int rc = SW_OK;
    if (session_audit(d, have_table ? &table : NULL, target->display, action, pid,
                      s ? s->user : NULL, s ? s->query : NULL, outcome, detail, &note,
                      &err) != SW_OK) {
        char *shown = text_escaped(err.message);
        fprintf(stderr, "stepwise: not audited: %s\n", shown);
        free(shown);
        rc = SW_FAILED;
    }
    if (note) {
        char *shown = text_escaped(note);
        fprintf(stderr, "stepwise: %s\n", shown);
        free(shown);
        free(note);
    }
    sw_error_clear(&err);
    if (have_table)
        history_table_free(&table);
    if (d)
        db_close(d);
    return rc;
}

static bool confirm(const char *verb, const monitor_session *s)
{
    char age[32];
    session_age_text(age, sizeof age, s->xact_age);
    strbuf q = {0};
    strbuf_appendf(&q, "%s pid %d (", verb, s->pid);
    append_escaped(&q, s->user);
    strbuf_append(&q, ", ");
    append_escaped(&q, s->application);
    strbuf_append(&q, ", ");
    append_escaped(&q, s->state);
    strbuf_appendf(&q, ", transaction %s)?\n  query: ", age);
    strbuf_append(&q, s->query && *s->query ? s->query : "-");
    strbuf_append(&q, "\n[y/N] ");
    fputs(strbuf_str(&q), stdout);
    fflush(stdout);
    strbuf_free(&q);
    char answer[64];
    if (!fgets(answer, sizeof answer, stdin))
        return false;
    return answer[0] == 'y' || answer[0] == 'Y';
}

static int run_signal(const cli_options *opts, const db_target *target, monitor *m, int pid,
                      bool terminate)
{
    const char *action = terminate ? "terminate_backend" : "cancel_backend";
    const char *verb = terminate ? "Terminate" : "Cancel the query of";
    sw_error err = {0};
    if (pid == monitor_pid(m)) {
        fprintf(stderr, "stepwise: pid %d is the monitor's own connection; refused\n", pid);
        record(opts, target, action, pid, NULL, "refused", "the monitor's own connection");
        return SW_FAILED;
    }
    monitor_snapshot snap;
    memset(&snap, 0, sizeof snap);
    if (monitor_refresh(m, &snap, &err) != SW_OK)
        return report_error(&err);
    const monitor_session *s = monitor_find(&snap, pid);
    if (!s) {
        fprintf(stderr, "stepwise: no session with pid %d%s\n", pid,
                snap.hidden ? " (some sessions are hidden: grant pg_monitor to see them)" : "");
        monitor_snapshot_free(&snap);
        return SW_FAILED;
    }
    if (!opts->yes) {
        if (!confirm(verb, s)) {
            printf("Nothing done.\n");
            record(opts, target, action, pid, s, "refused", "declined at the confirmation");
            monitor_snapshot_free(&snap);
            return SW_FAILED;
        }
    }
    bool done = false;
    sw_status st = monitor_signal(m, pid, terminate, &done, &err);
    char *outcome;
    int rc;
    if (st != SW_OK) {
        outcome = xasprintf("failed: %s", err.message);
        report_error(&err);
        rc = SW_FAILED;
    } else if (!done) {
        outcome = xasprintf("failed: the server did not signal pid %d", pid);
        fprintf(stderr, "stepwise: the server did not signal pid %d (has it ended?)\n", pid);
        rc = SW_FAILED;
    } else {
        outcome = xstrdup("ok");
        printf("%s pid %d: done\n", terminate ? "Terminated" : "Cancelled the query of", pid);
        rc = SW_OK;
    }
    if (record(opts, target, action, pid, s, outcome, NULL) != SW_OK && rc == SW_OK)
        rc = SW_FAILED;
    free(outcome);
    monitor_snapshot_free(&snap);
    return rc;
}

int cmd_locks(const cli_options *opts, int argc, char **argv)
{
    double interval = 2;
    const char *interval_text = opts->watch;
    if (argc > 1 && opts->watch && !*opts->watch && argc == 2)
        interval_text = argv[1]; /* --watch 5 */
    else if (argc > 1)
        return usage_error(LOCKS_USAGE, "locks takes no arguments (got '%s')", argv[1]);
    if (interval_text && *interval_text &&
        (!duration_parse(interval_text, &interval) || interval < 0.1))
        return usage_error(LOCKS_USAGE, "--watch wants a number of seconds (got '%s')",
                           interval_text);

    locks_view v = {0};
    v.json = opts->json;
    v.min_wait = -1;
    v.dbname = opts->dbname;
    if (opts->min_wait && !duration_parse(opts->min_wait, &v.min_wait))
        return usage_error(LOCKS_USAGE,
                           "--min-wait wants a duration such as 500ms, 2s, 1min or 1h (got '%s')",
                           opts->min_wait);
    if (opts->cancel && opts->terminate)
        return usage_error(LOCKS_USAGE, "--cancel and --terminate cannot be used together");
    const char *pid_text = opts->cancel ? opts->cancel : opts->terminate;
    int pid = 0;
    if (pid_text && !parse_pid(pid_text, &pid))
        return usage_error(LOCKS_USAGE, "%s wants a process id (got '%s')",
                           opts->cancel ? "--cancel" : "--terminate", pid_text);
    if (pid_text && opts->watch)
        return usage_error(LOCKS_USAGE, "--watch cannot be used with %s",
                           opts->cancel ? "--cancel" : "--terminate");

    sw_error err = {0};
    db_target target;
    if (db_target_resolve(opts->db, getenv("STEPWISE_DB"), getenv("DATABASE_URL"), &target,
                          &err) != SW_OK)
        return err.status == SW_USAGE ? usage_error(NULL, "%s", err.message) : report_error(&err);
    if (target.kind == DB_SQLITE) {
        char *shown = text_escaped(target.display);
        fprintf(stderr,
                "stepwise: locks are a PostgreSQL feature; %s is a SQLite database, which has "
                "no sessions or lock waits to show\n",
                shown);
        free(shown);
        db_target_free(&target);
        return SW_USAGE;
    }
    if (pid_text && !opts->yes && !isatty(STDIN_FILENO)) {
        fprintf(stderr,
                "stepwise: %s pid %d needs a confirmation and standard input is not a "
                "terminal: pass --yes to do it without asking\n",
                opts->cancel ? "cancelling the query of" : "terminating", pid);
        db_target_free(&target);
        return SW_USAGE;
    }

    monitor *m = NULL;
    if (monitor_open(&target, &m, &err) != SW_OK) {
        db_target_free(&target);
        return report_error(&err);
    }
    v.utf8 = session_utf8();
    v.width = terminal_width();
    int rc;
    if (pid_text) {
        rc = run_signal(opts, &target, m, pid, opts->terminate != NULL);
    } else if (opts->watch) {
        rc = run_watch(&v, m, interval);
    } else {
        monitor_snapshot snap;
        memset(&snap, 0, sizeof snap);
        if (monitor_refresh(m, &snap, &err) != SW_OK) {
            rc = report_error(&err);
        } else {
            if (v.json)
                print_json(&v, &snap, true);
            else
                print_text(&v, &snap);
            monitor_snapshot_free(&snap);
            rc = SW_OK;
        }
    }
    monitor_close(m);
    db_target_free(&target);
    return rc;
}
