/* PLACEHOLDER: the migrations view; being written. */
#include "config.h"

#include <stdlib.h>

#include "tui/console.h"

static void *open_view(console *c)
{
    (void)c;
    return xcalloc(1, 1);
}

static void draw_view(void *state, console *c, WINDOW *w, int rows, int cols)
{
    (void)state;
    (void)c;
    (void)rows;
    draw_text(w, 0, 0, cols, "migrations", STYLE_NORMAL);
}

static void done_view(void *state)
{
    free(state);
}

const view_ops view_migrations_ops = {
    .name = "migrations",
    .title = "Migrations",
    .open = open_view,
    .draw = draw_view,
    .done = done_view,
};
