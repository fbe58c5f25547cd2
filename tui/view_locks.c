/* The locks view: the monitor's blocking tree, live, one session a row
 * under the session that blocks it; Enter shows a session's query and
 * locks, c and K cancel or terminate it after a dialog. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/console.h"
#include "tui/session_action.h"

typedef struct locks_state {
    list_cursor cursor;
    int rows;            /* list rows visible at the last draw */
    int selected_pid;    /* kept across refreshes; -1: none yet */
    bool utf8;
} locks_state;

enum { COL_PID, COL_USER, COL_APP, COL_STATE, COL_WAIT, COL_MODE, COL_RELATION, COL_BLOCKS,
       COL_QUERY, COL_COUNT };

static const char *const headers[COL_COUNT] = {"PID", "USER", "APPLICATION", "STATE", "WAIT",
                                                "MODE", "RELATION", "BLK", "QUERY"};
/* Columns get their least width, then the query some room, then each
 * column up to its preferred width, then the query the rest. */
static const int min_width[COL_COUNT] = {5, 7, 6, 10, 5, 10, 8, 3, 8};
static const int preferred[COL_COUNT] = {5, 10, 14, 12, 6, 16, 20, 3, 8};

static void *locks_open(console *c)
{
    (void)c;
    locks_state *st = xcalloc(1, sizeof *st);
    st->selected_pid = -1;
    st->utf8 = session_utf8();
    return st;
}

static const monitor_session *node_session(console *c, long i)
{
    return &c->snapshot.sessions[c->snapshot.nodes[i].session];
}

static style row_style(const monitor_session *s)
{
    if (s->migration)
        return STYLE_OWN;
    if (s->waiting)
        return STYLE_WAITING;
    if (s->idle_in_transaction)
        return STYLE_IDLE_TX;
    return STYLE_NORMAL;
}

static void locks_draw(void *state, console *c, WINDOW *w, int rows, int cols)
{
    locks_state *st = state;
    if (sessions_placeholder(c, w, rows, cols))
        return;
    const monitor_snapshot *snap = &c->snapshot;
    char oldest[32];
    session_age_text(oldest, sizeof oldest, snap->oldest_wait);
    strbuf head = {0};
    strbuf_appendf(&head, "waiting %zu, root blockers %zu, oldest %s", snap->waiting,
                   snap->roots, oldest);
    sessions_refresh_text(c, &head);
    draw_text(w, 0, 0, cols, strbuf_str(&head), c->monitor_error ? STYLE_ERROR : STYLE_INFO);
    strbuf_free(&head);

    st->rows = rows - 2;
    if (snap->nnodes == 0) {
        draw_text(w, 2, 0, cols, "Nobody waits on a lock.", STYLE_NORMAL);
        draw_text(w, 3, 0, cols, "Every session is in the activity view (3).", STYLE_DIM);
        if (snap->hidden)
            draw_text(w, 4, 0, cols, "Some sessions are hidden: grant pg_monitor to see them.",
                      STYLE_WARNING);
        return;
    }
    list_cursor_clamp(&st->cursor, (long)snap->nnodes, st->rows);

    /* The first column holds the tree's prefix and the pid: as wide as
     * the widest of them shown, up to a quarter of the screen. */
    int pid_width = 5;
    bool last[64] = {false};
    strbuf prefix = {0};
    for (size_t i = 0; i < snap->nnodes; i++) {
        strbuf_reset(&prefix);
        int n = (int)session_tree_prefix(&prefix, snap, NULL, i, last, 64, st->utf8);
        const monitor_session *s = node_session(c, (long)i);
        n += s->pid ? snprintf(NULL, 0, "%d", s->pid) : 9 + text_columns(s->gid ? s->gid : "");
        if (n > pid_width)
            pid_width = n;
    }
    if (pid_width > cols / 4)
        pid_width = cols / 4;
    int mins[COL_COUNT], prefs[COL_COUNT], width[COL_COUNT];
    memcpy(mins, min_width, sizeof mins);
    memcpy(prefs, preferred, sizeof prefs);
    mins[COL_PID] = prefs[COL_PID] = pid_width;
    sessions_layout(cols, COL_COUNT, mins, prefs, width);

    sessions_column_titles(w, 1, cols, COL_COUNT, headers, width, COL_BLOCKS);
    strbuf line = {0};

    memset(last, 0, sizeof last);
    for (size_t i = 0; i < snap->nnodes; i++) {
        /* Every prefix up to the first row shown, for the tree's bars. */
        strbuf_reset(&prefix);
        session_tree_prefix(&prefix, snap, NULL, i, last, 64, st->utf8);
        long y = (long)i - st->cursor.top + 2;
        if (y < 2)
            continue;
        if (y >= rows)
            break;
        const monitor_node *node = &snap->nodes[i];
        const monitor_session *s = &snap->sessions[node->session];
        if (s->pid)
            strbuf_appendf(&prefix, "%d", s->pid);
        else
            strbuf_appendf(&prefix, "prepared %s", s->gid ? s->gid : "?");
        char wait[32] = "", blocks[32] = "";
        if (s->waiting)
            session_age_text(wait, sizeof wait, s->wait_age);
        if (node->blocked_total)
            snprintf(blocks, sizeof blocks, "%zu", node->blocked_total);
        char *mode = NULL;
        if (s->wanted_mode) {
            mode = xstrdup(s->wanted_mode);
            size_t n = strlen(mode);
            if (n > 4 && strcmp(mode + n - 4, "Lock") == 0)
                mode[n - 4] = '\0'; /* every mode ends so */
        }
        strbuf_reset(&line);
        sessions_cell(&line, strbuf_str(&prefix), width[COL_PID], false, false);
        sessions_cell(&line, s->user, width[COL_USER], false, false);
        sessions_cell(&line, s->application, width[COL_APP], false, false);
        sessions_cell(&line, session_state_text(s), width[COL_STATE], false, false);
        sessions_cell(&line, wait, width[COL_WAIT], true, false);
        sessions_cell(&line, mode, width[COL_MODE], false, false);
        sessions_cell(&line, s->relation ? s->relation : s->target, width[COL_RELATION], false,
                    false);
        sessions_cell(&line, blocks, width[COL_BLOCKS], true, false);
        strbuf_append(&line, node->cycle ? "[cycle] " : "");
        sessions_cell(&line, s->query, width[COL_QUERY], false, true);
        free(mode);
        bool selected = (long)i == st->cursor.selected;
        style sty = selected ? STYLE_SELECTED : row_style(s);
        if (selected)
            draw_fill(w, (int)y, 0, cols, sty);
        draw_text(w, (int)y, 0, cols, strbuf_str(&line), sty);
    }
    strbuf_free(&line);
    strbuf_free(&prefix);
}

static bool locks_request(void *state, console *c, request req)
{
    locks_state *st = state;
    if (!c->have_snapshot || c->snapshot.nnodes == 0 || !sessions_live(c))
        return false;
    long count = (long)c->snapshot.nnodes;
    if (list_cursor_request(&st->cursor, req, count, st->rows > 0 ? st->rows : 1)) {
        st->selected_pid = node_session(c, st->cursor.selected)->pid;
        return true;
    }
    list_cursor_clamp(&st->cursor, count, st->rows > 0 ? st->rows : 1);
    const monitor_session *s = node_session(c, st->cursor.selected);
    return session_request(c, s, req);
}

static void locks_data_changed(void *state, console *c, unsigned what)
{
    locks_state *st = state;
    if (!(what & DATA_MONITOR) || !c->have_snapshot)
        return;
    /* The selection follows its session; when it is gone, it stays on
     * the same row. */
    for (size_t i = 0; i < c->snapshot.nnodes; i++) {
        if (node_session(c, (long)i)->pid == st->selected_pid) {
            st->cursor.selected = (long)i;
            break;
        }
    }
    list_cursor_clamp(&st->cursor, (long)c->snapshot.nnodes, st->rows > 0 ? st->rows : 1);
    if (c->snapshot.nnodes)
        st->selected_pid = node_session(c, st->cursor.selected)->pid;
}

static bool locks_live(void *state, console *c)
{
    (void)state;
    return sessions_live(c);
}

static char *locks_where(void *state, console *c)
{
    locks_state *st = state;
    if (!c->have_snapshot || c->snapshot.nnodes == 0)
        return NULL;
    return xasprintf("%ld/%zu", st->cursor.selected + 1, c->snapshot.nnodes);
}

static void locks_done(void *state)
{
    free(state);
}

const view_ops view_locks_ops = {
    .name = "locks",
    .title = "Locks",
    .open = locks_open,
    .draw = locks_draw,
    .request = locks_request,
    .data_changed = locks_data_changed,
    .live = locks_live,
    .where = locks_where,
    .done = locks_done,
};
