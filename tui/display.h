/* Curses set-up and drawing for the console: styles that read in colour
 * and in monochrome (none at all under NO_COLOR), and text drawn with its
 * control characters escaped, cut to a width in screen columns. */
#ifndef STEPWISE_DISPLAY_H
#define STEPWISE_DISPLAY_H

#include <curses.h>
#include <stdbool.h>

#include "core/util.h"

/* The smallest screen the console draws on; below it, a plain message. */
#define DISPLAY_MIN_COLS 60
#define DISPLAY_MIN_ROWS 15

typedef enum style {
    STYLE_NORMAL,
    STYLE_BAR,        /* top and bottom bars */
    STYLE_BAR_KEY,    /* a key in the bottom bar */
    STYLE_TITLE,      /* column headers, pane titles */
    STYLE_SELECTED,   /* the selected line */
    STYLE_DIM,        /* secondary text */
    STYLE_APPLIED,
    STYLE_PENDING,
    STYLE_DIRTY,
    STYLE_DRIFTED,
    STYLE_MISSING,
    STYLE_INFO,
    STYLE_WARNING,
    STYLE_ERROR,
    STYLE_KEYWORD,    /* SQL */
    STYLE_STRING,
    STYLE_COMMENT,
    STYLE_DIFF_ADD,
    STYLE_DIFF_REMOVE,
    STYLE_DIFF_HUNK,
    STYLE_OWN,        /* the migration's own session */
    STYLE_IDLE_TX,    /* idle in transaction */
    STYLE_WAITING,    /* waiting on a lock */
    STYLE_DIALOG,
    STYLE_COUNT
} style;

/* Start curses (raw keys, no echo, keypad, the cursor hidden); colours
 * unless no_color. Returns false when the terminal cannot be used. */
bool display_start(bool no_color);
void display_stop(void);
bool display_colors(void);
/* The attributes for a style, in colour or monochrome. */
attr_t style_attr(style s);

/* Draw text at (y, x) in at most width columns, control characters
 * escaped, in style s; returns the columns used. */
int draw_text(WINDOW *w, int y, int x, int width, const char *text, style s);
int draw_textf(WINDOW *w, int y, int x, int width, style s, const char *fmt, ...) SW_PRINTF(6, 7);
/* Blank width columns from (y, x) in style s. */
void draw_fill(WINDOW *w, int y, int x, int width, style s);
/* Columns the text takes once escaped. */
int text_columns(const char *text);
/* The text escaped and cut or padded to exactly width columns (newly
 * allocated), for tables. */
char *text_fit(const char *text, int width, bool right_align);

#endif
