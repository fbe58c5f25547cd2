/* A page of text: a command's output, a session's detail. Scrolls; Esc or
 * q goes back to the view it was opened from. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/console.h"

typedef struct text_state {
    char *title;
    char *text;
    char **lines;
    size_t count, cap;
    list_cursor cursor;
    int rows;
} text_state;

void view_text_set(void *state, const char *title, char *text);

void view_text_set(void *state, const char *title, char *text)
{
    text_state *t = state;
    free(t->title);
    free(t->text);
    t->title = xstrdup(title);
    t->text = text ? text : xstrdup("");
    t->count = 0;
    char *s = t->text;
    while (*s || t->count == 0) {
        t->lines = array_grow(t->lines, &t->cap, t->count + 1, sizeof *t->lines);
        t->lines[t->count++] = s;
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    t->cursor.selected = t->cursor.top = 0;
}

static void *text_open(console *c)
{
    (void)c;
    text_state *t = xcalloc(1, sizeof *t);
    view_text_set(t, "Text", NULL);
    return t;
}

/* Tabs become spaces up to the next multiple of 8; other control
 * characters are escaped by draw_text. */
static char *expand_tabs(const char *line)
{
    strbuf sb = {0};
    size_t col = 0;
    for (const char *s = line; *s; s++) {
        if (*s == '\t') {
            do
                strbuf_append_char(&sb, ' ');
            while (++col % 8);
        } else {
            strbuf_append_char(&sb, *s);
            col++;
        }
    }
    strbuf_append(&sb, "");
    return strbuf_detach(&sb);
}

static void text_draw(void *state, console *c, WINDOW *w, int rows, int cols)
{
    (void)c;
    text_state *t = state;
    t->rows = rows - 1;
    draw_fill(w, 0, 0, cols, STYLE_TITLE);
    draw_text(w, 0, 0, cols, t->title, STYLE_TITLE);
    /* The text scrolls by its top line; the selection is the top. */
    long top = t->cursor.top;
    for (int y = 1; y < rows && top + y - 1 < (long)t->count; y++) {
        const char *line = t->lines[top + y - 1];
        style s = STYLE_NORMAL;
        if (line[0] == '+' && line[1] != '+')
            s = STYLE_DIFF_ADD;
        else if (line[0] == '-' && line[1] != '-')
            s = STYLE_DIFF_REMOVE;
        else if (strncmp(line, "@@", 2) == 0)
            s = STYLE_DIFF_HUNK;
        char *shown = expand_tabs(line);
        draw_text(w, y, 0, cols, shown, s);
        free(shown);
    }
}

static bool text_request(void *state, console *c, request req)
{
    (void)c;
    text_state *t = state;
    return page_scroll_request(&t->cursor.top, req, (long)t->count, t->rows);
}

static char *text_where(void *state, console *c)
{
    (void)c;
    text_state *t = state;
    return xasprintf("%s (line %ld of %zu)", t->title, t->cursor.top + 1, t->count);
}

static void text_done(void *state)
{
    text_state *t = state;
    free(t->title);
    free(t->text);
    free(t->lines);
    free(t);
}

const view_ops view_text_ops = {
    .name = "text",
    .title = "Text",
    .open = text_open,
    .draw = text_draw,
    .request = text_request,
    .where = text_where,
    .done = text_done,
};
