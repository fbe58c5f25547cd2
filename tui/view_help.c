/* The help view, generated from the key table (keys.c) and the request
 * list, so that it can never disagree with the keys. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/console.h"

typedef struct help_state {
    char **lines;
    size_t count, cap;
    long top;
    int rows;
} help_state;

static void add_line(help_state *h, char *line)
{
    h->lines = array_grow(h->lines, &h->cap, h->count + 1, sizeof *h->lines);
    h->lines[h->count++] = line;
}

/* One section: every binding of scope view (NULL: everywhere), keys of
 * the same request on one line. */
static void add_section(help_state *h, const char *title, const char *view)
{
    add_line(h, xstrdup(title));
    bool done[REQ_COUNT] = {false};
    for (size_t i = 0; i < key_binding_count; i++) {
        const key_binding *b = &key_bindings[i];
        bool here = view ? b->view && strcmp(b->view, view) == 0 : !b->view;
        if (!here || done[b->req])
            continue;
        done[b->req] = true;
        strbuf keys = {0};
        for (size_t k = i; k < key_binding_count; k++) {
            const key_binding *o = &key_bindings[k];
            bool same = view ? o->view && strcmp(o->view, view) == 0 : !o->view;
            if (!same || o->req != b->req || (keys.len && strstr(strbuf_str(&keys), o->label)))
                continue;
            strbuf_appendf(&keys, "%s%s", keys.len ? ", " : "", o->label);
        }
        add_line(h, xasprintf("  %-16s %-15s %s", strbuf_str(&keys), request_name(b->req),
                              request_help(b->req)));
        strbuf_free(&keys);
    }
    add_line(h, xstrdup(""));
}

static void *help_open(console *c)
{
    (void)c;
    help_state *h = xcalloc(1, sizeof *h);
    add_line(h, xstrdup("Keys, their : command names, and what they do. "
                        "Esc or q goes back."));
    add_line(h, xstrdup(""));
    add_section(h, "Everywhere", NULL);
    add_section(h, "Migrations view (1)", "migrations");
    add_section(h, "Locks view (2)", "locks");
    add_section(h, "Activity view (3)", "activity");
    add_section(h, "History view (4)", "history");
    add_section(h, "Apply view (A): the supervised apply, each key in its step", "apply");
    add_line(h, xstrdup("The : prompt"));
    add_line(h, xstrdup("  Any command of the command line, with the console's --db and --dir:"));
    add_line(h, xstrdup("  :status  :plan  :lint  :up  :down 2  :goto 42  :history  :locks"));
    add_line(h, xstrdup("  :up, :up --to V, :up -n 1, :down, :goto V and :resume open the Apply view."));
    add_line(h, xstrdup("  :set lock-timeout 2s   :set statement-timeout 1min   :set refresh 1s"));
    add_line(h, xstrdup("  :psql opens psql on the target (PostgreSQL), then comes back here."));
    add_line(h, xstrdup("  :q quits. A key's name above also works: :help, :locks, :reload."));
    add_line(h, xstrdup("  Up and Down recall earlier lines (kept between runs); Tab completes"));
    add_line(h, xstrdup("  commands, options and versions; Esc cancels."));
    return h;
}

static void help_draw(void *state, console *c, WINDOW *w, int rows, int cols)
{
    (void)c;
    help_state *h = state;
    h->rows = rows;
    for (int y = 0; y < rows && h->top + y < (long)h->count; y++) {
        const char *line = h->lines[h->top + y];
        draw_text(w, y, 0, cols, line, line[0] && line[0] != ' ' ? STYLE_TITLE : STYLE_NORMAL);
    }
}

static bool help_request(void *state, console *c, request req)
{
    (void)c;
    help_state *h = state;
    return page_scroll_request(&h->top, req, (long)h->count, h->rows);
}

static void help_done(void *state)
{
    help_state *h = state;
    for (size_t i = 0; i < h->count; i++)
        free(h->lines[i]);
    free(h->lines);
    free(h);
}

const view_ops view_help_ops = {
    .name = "help",
    .title = "Help",
    .open = help_open,
    .draw = help_draw,
    .request = help_request,
    .done = help_done,
};
