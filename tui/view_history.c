/* The history view: the audit events (the events table), newest first, one
 * line each with its outcome coloured; Enter shows an event whole, `/`
 * filters, R reads them again. The events are read by the console. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/console.h"

/* The columns of history_events_read, in the order shown. */
enum event_column { COL_AT, COL_ACTION, COL_VERSION, COL_OUTCOME, COL_ACTOR, COL_DETAIL, COL_ID,
                    COL_COUNT };

static const char *const column_names[COL_COUNT] = {
    [COL_AT] = "at", [COL_ACTION] = "action", [COL_VERSION] = "version",
    [COL_OUTCOME] = "outcome", [COL_ACTOR] = "actor", [COL_DETAIL] = "detail", [COL_ID] = "id",
};

/* The widest a column gets, so that detail keeps room. */
static const int column_caps[COL_COUNT] = {
    [COL_AT] = 19, [COL_ACTION] = 16, [COL_VERSION] = 16, [COL_OUTCOME] = 14, [COL_ACTOR] = 32,
};

typedef struct history_state {
    const db_result *events; /* the result the index below was built from */
    int columns[COL_COUNT];  /* result column of each, -1 when absent */
    int widths[COL_COUNT];   /* widest value (capped), header included */
    int *shown;              /* rows of events that pass the filter */
    size_t nshown, cap;
    char *filter;            /* NULL: every event */
    list_cursor cursor;
    int rows;                /* list rows visible at the last draw */
} history_state;

static const char *cell(const history_state *h, int row, int column)
{
    if (h->columns[column] < 0)
        return NULL;
    return db_result_value(h->events, row, h->columns[column]);
}

static const char *event_id(const history_state *h, int row)
{
    const char *id = cell(h, row, COL_ID);
    return id ? id : "";
}

/* "2024-05-01T12:00:03.123Z" shown as "2024-05-01 12:00:03": the list has
 * room for the second; Enter shows the stored text. */
static char *short_time(const char *at)
{
    char *shown = xstrndup(at ? at : "", 19);
    if (shown[0] && shown[10] == 'T')
        shown[10] = ' ';
    return shown;
}

static bool contains_folded(const char *text, const char *needle)
{
    return text && strcasestr(text, needle);
}

static bool row_matches(const history_state *h, int row)
{
    if (!h->filter)
        return true;
    for (int col = 0; col < COL_COUNT; col++)
        if (contains_folded(cell(h, row, col), h->filter))
            return true;
    return false;
}

/* Rebuild the filtered index and the column widths, keeping the selected
 * event selected when it is still shown. */
static void rebuild(history_state *h, console *c)
{
    char *selected_id = NULL;
    if (h->events && h->nshown > 0 && h->cursor.selected < (long)h->nshown)
        selected_id = xstrdup(event_id(h, h->shown[h->cursor.selected]));
    h->events = c->events;
    h->nshown = 0;
    for (int col = 0; col < COL_COUNT; col++) {
        h->columns[col] = h->events ? db_result_column(h->events, column_names[col]) : -1;
        h->widths[col] = (int)strlen(column_names[col]);
    }
    h->widths[COL_AT] = column_caps[COL_AT];
    long keep = 0;
    for (int row = 0; h->events && row < h->events->nrows; row++) {
        if (!row_matches(h, row))
            continue;
        if (selected_id && strcmp(event_id(h, row), selected_id) == 0)
            keep = (long)h->nshown;
        h->shown = array_grow(h->shown, &h->cap, h->nshown + 1, sizeof *h->shown);
        h->shown[h->nshown++] = row;
        for (int col = COL_ACTION; col <= COL_ACTOR; col++) {
            const char *value = cell(h, row, col);
            int width = value ? text_columns(value) : 0;
            if (width > column_caps[col])
                width = column_caps[col];
            if (width > h->widths[col])
                h->widths[col] = width;
        }
    }
    h->cursor.selected = keep;
    list_cursor_clamp(&h->cursor, (long)h->nshown, h->rows > 0 ? h->rows : 1);
    free(selected_id);
}

static void *history_open(console *c)
{
    history_state *h = xcalloc(1, sizeof *h);
    rebuild(h, c);
    return h;
}

static style outcome_style(const char *outcome)
{
    if (!outcome)
        return STYLE_DIM;
    if (strcmp(outcome, "ok") == 0)
        return STYLE_APPLIED;
    if (strcmp(outcome, "failed") == 0 || strcmp(outcome, "error") == 0 ||
        strcmp(outcome, "lock_timeout") == 0)
        return STYLE_ERROR;
    if (strcmp(outcome, "aborted") == 0 || strcmp(outcome, "operator_abort") == 0 ||
        strcmp(outcome, "refused") == 0 || strcmp(outcome, "skipped") == 0)
        return STYLE_WARNING;
    if (strcmp(outcome, "started") == 0 || strcmp(outcome, "resumed") == 0)
        return STYLE_PENDING;
    return STYLE_NORMAL;
}

/* A few lines saying why there is no list: the headline, then `more`
 * wrapped at spaces (an error message can be long). */
static void draw_notice(WINDOW *w, int rows, int cols, style s, const char *headline,
                        const char *more)
{
    int width = cols - 4;
    draw_text(w, 1, 2, width, headline, s);
    char *rest = more ? text_one_line(more) : NULL;
    const char *line = rest;
    for (int y = 3; line && *line && y < rows; y++) {
        size_t cut = strlen(line);
        char *piece = xstrdup(line);
        while (cut > 1 && text_columns(piece) > width) {
            /* Cut at the last space that lets the line fit, else hard. */
            char *space = strrchr(piece, ' ');
            cut = space && space > piece ? (size_t)(space - piece) : cut - 1;
            piece[cut] = '\0';
        }
        draw_text(w, y, 2, width, piece, STYLE_NORMAL);
        free(piece);
        line += cut;
        while (*line == ' ')
            line++;
    }
    free(rest);
}

/* Nothing to list: say why. True when a notice was drawn. */
static bool draw_empty(history_state *h, console *c, WINDOW *w, int rows, int cols)
{
    if (!c->target_ok) {
        draw_notice(w, rows, cols, STYLE_ERROR, "No database, so no audit events.",
                    c->target_error);
    } else if (c->connect_error) {
        draw_notice(w, rows, cols, STYLE_ERROR, "Not connected: no audit events to show.",
                    c->connect_error);
    } else if (!c->connected) {
        draw_notice(w, rows, cols, STYLE_DIM, "Connecting...", NULL);
    } else if (c->events_error) {
        char *more = xasprintf("%s (R reads them again)", c->events_error);
        draw_notice(w, rows, cols, STYLE_ERROR, "The audit events could not be read.", more);
        free(more);
    } else if (!h->events) {
        draw_notice(w, rows, cols, STYLE_DIM, "Reading the audit events...", NULL);
    } else if (h->events->nrows == 0 && c->status_ready && !c->history.events_exist) {
        char *headline = xasprintf("No events table yet (%s).", c->table.events_name);
        draw_notice(w, rows, cols, STYLE_INFO, headline,
                    "It is created with the history table by the first up, down or goto; "
                    "until then events go to the local audit file.");
        free(headline);
    } else if (h->events->nrows == 0) {
        draw_notice(w, rows, cols, STYLE_INFO, "No audit events yet.", NULL);
    } else if (h->nshown == 0) {
        char *headline = xasprintf("No event matches \"%s\" (/ then Enter on an empty line "
                                   "shows all).",
                                   h->filter);
        draw_notice(w, rows, cols, STYLE_INFO, headline, NULL);
        free(headline);
    } else {
        return false;
    }
    return true;
}

/* Detail keeps at least this many columns; actor gives way first. */
#define DETAIL_MIN_COLS 20
#define ACTOR_MIN_COLS 8

/* The columns shown at this width and their widths: actor is cut, or
 * left out, so that detail keeps room. */
static int layout_columns(const history_state *h, int cols, int *shown_cols, int *widths)
{
    int n = 0, used = 0;
    for (int col = COL_AT; col <= COL_ACTOR; col++) {
        int width = h->widths[col];
        if (col == COL_ACTOR) {
            int room = cols - used - 1 - DETAIL_MIN_COLS;
            if (room < ACTOR_MIN_COLS)
                continue;
            if (width > room)
                width = room;
        }
        shown_cols[n] = col;
        widths[n++] = width;
        used += width + 1;
    }
    shown_cols[n] = COL_DETAIL;
    widths[n++] = cols - used;
    return n;
}

static void history_draw(void *state, console *c, WINDOW *w, int rows, int cols)
{
    history_state *h = state;
    if (h->events != c->events)
        rebuild(h, c);
    h->rows = rows - 1;
    if (draw_empty(h, c, w, rows, cols))
        return;
    list_cursor_clamp(&h->cursor, (long)h->nshown, h->rows);

    int shown_cols[COL_COUNT], widths[COL_COUNT];
    int n = layout_columns(h, cols, shown_cols, widths);
    draw_fill(w, 0, 0, cols, STYLE_TITLE);
    int x = 0;
    for (int i = 0; i < n && x < cols; i++) {
        int col = shown_cols[i];
        const char *header = col == COL_AT ? "at (UTC)" : column_names[col];
        draw_text(w, 0, x, cols - x, header, STYLE_TITLE);
        x += widths[i] + 1;
    }

    /* Only the visible rows are drawn. */
    for (int y = 1; y < rows && h->cursor.top + y - 1 < (long)h->nshown; y++) {
        long index = h->cursor.top + y - 1;
        int row = h->shown[index];
        bool selected = index == h->cursor.selected;
        if (selected)
            draw_fill(w, y, 0, cols, STYLE_SELECTED);
        x = 0;
        for (int i = 0; i < n && x < cols; i++) {
            int col = shown_cols[i];
            const char *value = cell(h, row, col);
            style s = selected ? STYLE_SELECTED : STYLE_NORMAL;
            if (!selected && col == COL_OUTCOME)
                s = outcome_style(value);
            else if (!selected && col == COL_AT)
                s = STYLE_DIM;
            int width = widths[i];
            if (width > cols - x)
                width = cols - x;
            if (col == COL_AT) {
                char *at = short_time(value);
                draw_text(w, y, x, width, at, s);
                free(at);
            } else {
                draw_text(w, y, x, width, value ? value : "", s);
            }
            x += width + 1;
        }
    }
}

/* The whole event, every field on its own line(s), for the text view. */
static char *event_text(const history_state *h, int row)
{
    strbuf sb = {0};
    static const int order[] = {COL_ID, COL_AT, COL_ACTION, COL_VERSION, COL_OUTCOME, COL_ACTOR};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *value = cell(h, row, order[i]);
        strbuf_appendf(&sb, "%-8s %s\n", column_names[order[i]], value ? value : "(none)");
    }
    const char *detail = cell(h, row, COL_DETAIL);
    strbuf_appendf(&sb, "detail%s\n", detail ? ":" : "   (none)");
    if (detail)
        strbuf_append(&sb, detail);
    return strbuf_detach(&sb);
}

static void filter_done(console *c, void *arg, const char *text)
{
    history_state *h = arg;
    if (!text)
        return; /* Esc: the filter stays as it was */
    free(h->filter);
    h->filter = text[0] ? xstrdup(text) : NULL;
    h->cursor.selected = h->cursor.top = 0;
    h->events = NULL; /* keep no selection across a new filter */
    rebuild(h, c);
    if (h->filter)
        console_message(c, STYLE_INFO, "%zu of %d events match \"%s\"", h->nshown,
                        c->events ? c->events->nrows : 0, h->filter);
}

static bool history_request(void *state, console *c, request req)
{
    history_state *h = state;
    if (list_cursor_request(&h->cursor, req, (long)h->nshown, h->rows > 0 ? h->rows : 1))
        return true;
    switch (req) {
    case REQ_ENTER:
        if (h->nshown == 0)
            return true;
        {
            int row = h->shown[h->cursor.selected];
            char *title = xasprintf("Event %s", event_id(h, row));
            console_show_text(c, title, event_text(h, row));
            free(title);
        }
        return true;
    case REQ_FILTER:
        console_input(c, "/", h->filter ? h->filter : "", filter_done, h);
        return true;
    case REQ_RELOAD:
        /* As the help says for R: the folder and the history too, which
         * console_reload reads with the events. */
        if (!c->connected)
            console_message(c, STYLE_WARNING, "not connected: no audit events to read");
        else
            console_reload(c);
        return true;
    default:
        return false;
    }
}

static void history_data_changed(void *state, console *c, unsigned what)
{
    if (what & DATA_EVENTS)
        rebuild(state, c);
}

static char *history_where(void *state, console *c)
{
    history_state *h = state;
    if (!c->events || h->nshown == 0)
        return NULL;
    if (h->filter)
        return xasprintf("%ld/%zu of %d, /%s", h->cursor.selected + 1, h->nshown,
                         c->events->nrows, h->filter);
    return xasprintf("%ld/%zu", h->cursor.selected + 1, h->nshown);
}

static void history_done(void *state)
{
    history_state *h = state;
    free(h->shown);
    free(h->filter);
    free(h);
}

const view_ops view_history_ops = {
    .name = "history",
    .title = "History",
    .open = history_open,
    .draw = history_draw,
    .request = history_request,
    .data_changed = history_data_changed,
    .where = history_where,
    .done = history_done,
};
