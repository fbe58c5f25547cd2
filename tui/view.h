/* One interface for every view of the console (tig's view_ops): a view is
 * one file that fills a view_ops and one line in console.c's table. */
#ifndef STEPWISE_VIEW_H
#define STEPWISE_VIEW_H

#include <curses.h>
#include <stdbool.h>

#include "tui/keys.h"

typedef struct console console;

/* What changed in the console's shared data (console_data_changed). */
enum view_data {
    DATA_MIGRATIONS = 1, /* folder, history and status (re)loaded */
    DATA_MONITOR = 2,    /* a new monitor snapshot (or its error) */
    DATA_EVENTS = 4,     /* the audit events (re)read */
    DATA_SERVER = 8,     /* connected: server info, or the connection failed */
};

typedef struct view_ops {
    const char *name;   /* key table scope and `:` command: "locks" */
    const char *title;  /* shown in the top bar: "Locks" */
    /* Create the view's state; called once, the first time it is shown. */
    void *(*open)(console *c);
    /* Draw the body: rows x cols at the top left of w, only what shows. */
    void (*draw)(void *state, console *c, WINDOW *w, int rows, int cols);
    /* Handle a request; false: not handled here (the console tries). */
    bool (*request)(void *state, console *c, request req);
    /* The shared data changed (an or of view_data); may be NULL. */
    void (*data_changed)(void *state, console *c, unsigned what);
    /* Whether the view shows live monitor data right now (the console
     * refreshes the monitor only then); NULL: never. */
    bool (*live)(void *state, console *c);
    /* A short position text for the top bar ("12/10000"); may be NULL. */
    char *(*where)(void *state, console *c);
    void (*done)(void *state);
} view_ops;

extern const view_ops view_migrations_ops;
extern const view_ops view_locks_ops;
extern const view_ops view_activity_ops;
extern const view_ops view_history_ops;
extern const view_ops view_help_ops;
extern const view_ops view_text_ops;
extern const view_ops view_apply_ops;

/* Selection and scrolling of a list, shared by the list views. */
typedef struct list_cursor {
    long selected;
    long top;
} list_cursor;

/* Move the cursor for a movement request over count lines with rows
 * visible; true when req was a movement. */
bool list_cursor_request(list_cursor *lc, request req, long count, int rows);
/* Keep the selection inside count and visible in rows. */
void list_cursor_clamp(list_cursor *lc, long count, int rows);

/* Scroll a page of count lines (no selection: *top is the first line
 * shown) for a movement request with rows visible; true when req was a
 * movement. */
bool page_scroll_request(long *top, request req, long count, int rows);

#endif
