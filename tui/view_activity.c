/* The activity view: every session of the monitor's snapshot, the
 * longest transaction first, idle-in-transaction and waiting ones marked;
 * `/` filters; Enter, c and K as in the locks view. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/console.h"
#include "tui/session_action.h"

typedef struct activity_state {
    list_cursor cursor;
    int rows;
    int selected_pid;   /* kept across refreshes; -1: none yet */
    char *filter;       /* NULL: every session */
    size_t *order;      /* indexes into snapshot.sessions, shown ones, sorted */
    size_t count;
    const monitor_session *sorted_from; /* the sessions array order was built on */
} activity_state;

enum { COL_PID, COL_USER, COL_APP, COL_STATE, COL_XACT, COL_WAIT, COL_QUERY, COL_COUNT };

static const char *const headers[COL_COUNT] = {"PID",  "USER", "APPLICATION", "STATE",
                                               "XACT", "WAIT", "QUERY"};
static const int min_width[COL_COUNT] = {7, 8, 10, 10, 6, 10, 10};
static const int preferred[COL_COUNT] = {7, 12, 18, 20, 7, 12, 10};

static void *activity_open(console *c)
{
    (void)c;
    activity_state *st = xcalloc(1, sizeof *st);
    st->selected_pid = -1;
    return st;
}

static bool contains_nocase(const char *text, const char *needle)
{
    if (!text)
        return false;
    size_t n = strlen(needle);
    for (const char *p = text; *p; p++) {
        size_t k = 0;
        while (k < n && p[k] &&
               tolower((unsigned char)p[k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return true;
    }
    return n == 0;
}

static bool matches(const monitor_session *s, const char *filter)
{
    if (!filter || !*filter)
        return true;
    char pid[16];
    snprintf(pid, sizeof pid, "%d", s->pid);
    return contains_nocase(pid, filter) || contains_nocase(s->user, filter) ||
           contains_nocase(s->application, filter) || contains_nocase(s->state, filter) ||
           contains_nocase(s->query, filter);
}

static const monitor_session *sort_sessions; /* for the comparison only */

/* The longest transaction first; no transaction last; then by pid. */
static int compare_age(const void *a, const void *b)
{
    const monitor_session *x = &sort_sessions[*(const size_t *)a];
    const monitor_session *y = &sort_sessions[*(const size_t *)b];
    if (x->xact_age < y->xact_age)
        return 1;
    if (x->xact_age > y->xact_age)
        return -1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static void rebuild(activity_state *st, console *c)
{
    const monitor_snapshot *snap = &c->snapshot;
    free(st->order);
    st->order = xcalloc(snap->nsessions + 1, sizeof *st->order);
    st->count = 0;
    for (size_t i = 0; i < snap->nsessions; i++)
        if (matches(&snap->sessions[i], st->filter))
            st->order[st->count++] = i;
    sort_sessions = snap->sessions;
    qsort(st->order, st->count, sizeof *st->order, compare_age);
    st->sorted_from = snap->sessions;
    /* The selection follows its session. */
    for (size_t i = 0; i < st->count; i++)
        if (snap->sessions[st->order[i]].pid == st->selected_pid)
            st->cursor.selected = (long)i;
    list_cursor_clamp(&st->cursor, (long)st->count, st->rows > 0 ? st->rows : 1);
    if (st->count)
        st->selected_pid = snap->sessions[st->order[st->cursor.selected]].pid;
}

static void ensure_order(activity_state *st, console *c)
{
    if (c->have_snapshot && (st->sorted_from != c->snapshot.sessions || !st->order))
        rebuild(st, c);
}

static size_t blocked_by(const monitor_snapshot *snap, size_t index)
{
    for (size_t i = 0; i < snap->nnodes; i++)
        if (snap->nodes[i].session == index)
            return snap->nodes[i].blocked_total;
    return 0;
}

static void activity_draw(void *state, console *c, WINDOW *w, int rows, int cols)
{
    activity_state *st = state;
    if (sessions_placeholder(c, w, rows, cols))
        return;
    ensure_order(st, c);
    const monitor_snapshot *snap = &c->snapshot;
    size_t in_tx = 0, idle_tx = 0;
    for (size_t i = 0; i < snap->nsessions; i++) {
        in_tx += snap->sessions[i].xact_age >= 0;
        idle_tx += snap->sessions[i].idle_in_transaction;
    }
    strbuf head = {0};
    if (st->filter && *st->filter)
        strbuf_appendf(&head, "filter \"%s\": %zu of %zu sessions", st->filter, st->count,
                       snap->nsessions);
    else
        strbuf_appendf(&head, "%zu sessions: %zu in transaction (%zu idle), %zu waiting",
                       snap->nsessions, in_tx, idle_tx, snap->waiting);
    sessions_refresh_text(c, &head);
    draw_text(w, 0, 0, cols, strbuf_str(&head), c->monitor_error ? STYLE_ERROR : STYLE_INFO);
    strbuf_free(&head);

    st->rows = rows - 2;
    int width[COL_COUNT];
    sessions_layout(cols, COL_COUNT, min_width, preferred, width);
    sessions_column_titles(w, 1, cols, COL_COUNT, headers, width, COL_XACT);
    strbuf line = {0};
    if (st->count == 0) {
        draw_text(w, 2, 0, cols,
                  snap->nsessions ? "No session matches the filter (/ and Enter on an empty "
                                    "line shows all)."
                                  : "No other session.",
                  STYLE_DIM);
        strbuf_free(&line);
        return;
    }
    list_cursor_clamp(&st->cursor, (long)st->count, st->rows);
    for (int y = 2; y < rows; y++) {
        long i = st->cursor.top + y - 2;
        if (i >= (long)st->count)
            break;
        size_t index = st->order[i];
        const monitor_session *s = &snap->sessions[index];
        char pid[32], xact[32], wait[48] = "";
        if (s->pid)
            snprintf(pid, sizeof pid, "%d", s->pid);
        else
            snprintf(pid, sizeof pid, "prepared");
        session_age_text(xact, sizeof xact, s->xact_age);
        size_t blocks = blocked_by(snap, index);
        if (s->waiting) {
            char age[32];
            session_age_text(age, sizeof age, s->wait_age);
            snprintf(wait, sizeof wait, "waits %s", age);
        } else if (blocks) {
            snprintf(wait, sizeof wait, "blocks %zu", blocks);
        }
        strbuf_reset(&line);
        sessions_cell(&line, pid, width[COL_PID], false, false);
        sessions_cell(&line, s->user, width[COL_USER], false, false);
        sessions_cell(&line, s->application, width[COL_APP], false, false);
        sessions_cell(&line, session_state_text(s), width[COL_STATE], false, false);
        sessions_cell(&line, xact, width[COL_XACT], true, false);
        sessions_cell(&line, wait, width[COL_WAIT], false, false);
        sessions_cell(&line, s->query, width[COL_QUERY], false, true);
        bool selected = i == st->cursor.selected;
        style sty = selected          ? STYLE_SELECTED
                    : s->migration    ? STYLE_OWN
                    : s->waiting      ? STYLE_WAITING
                    : s->idle_in_transaction ? STYLE_IDLE_TX
                                      : STYLE_NORMAL;
        if (selected)
            draw_fill(w, y, 0, cols, sty);
        draw_text(w, y, 0, cols, strbuf_str(&line), sty);
    }
    strbuf_free(&line);
}

static void filter_done(console *c, void *arg, const char *text)
{
    activity_state *st = arg;
    if (!text)
        return;
    free(st->filter);
    st->filter = *text ? xstrdup(text) : NULL;
    st->cursor.selected = st->cursor.top = 0;
    st->selected_pid = -1;
    if (c->have_snapshot)
        rebuild(st, c);
}

static bool activity_request(void *state, console *c, request req)
{
    activity_state *st = state;
    if (!sessions_live(c))
        return false;
    if (req == REQ_FILTER) {
        console_input(c, "filter (pid, user, application, state, query): ", st->filter,
                      filter_done, st);
        return true;
    }
    if (!c->have_snapshot)
        return false;
    ensure_order(st, c);
    if (st->count == 0)
        return false;
    int rows = st->rows > 0 ? st->rows : 1;
    if (list_cursor_request(&st->cursor, req, (long)st->count, rows)) {
        st->selected_pid = c->snapshot.sessions[st->order[st->cursor.selected]].pid;
        return true;
    }
    list_cursor_clamp(&st->cursor, (long)st->count, rows);
    const monitor_session *s = &c->snapshot.sessions[st->order[st->cursor.selected]];
    return session_request(c, s, req);
}

static void activity_data_changed(void *state, console *c, unsigned what)
{
    activity_state *st = state;
    if ((what & DATA_MONITOR) && c->have_snapshot)
        rebuild(st, c);
}

static bool activity_live(void *state, console *c)
{
    (void)state;
    return sessions_live(c);
}

static char *activity_where(void *state, console *c)
{
    activity_state *st = state;
    if (!c->have_snapshot || st->count == 0)
        return NULL;
    return xasprintf("%ld/%zu", st->cursor.selected + 1, st->count);
}

static void activity_done(void *state)
{
    activity_state *st = state;
    free(st->filter);
    free(st->order);
    free(st);
}

const view_ops view_activity_ops = {
    .name = "activity",
    .title = "Activity",
    .open = activity_open,
    .draw = activity_draw,
    .request = activity_request,
    .data_changed = activity_data_changed,
    .live = activity_live,
    .where = activity_where,
    .done = activity_done,
};
