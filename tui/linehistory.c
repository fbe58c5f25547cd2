/* See linehistory.h. libedit keeps the lines; the file is read at start
 * and this run's lines are appended at the end (after re-reading the file,
 * so that another session's lines are kept), then trimmed to the size. */
#include "config.h"

#include "tui/linehistory.h"

#include <histedit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define HISTORY_SIZE 1000

struct line_history {
    History *lines;   /* the file's and this run's */
    char **added;     /* this run's, oldest first */
    size_t nadded, cap;
    size_t count;
    char *path;
};

static char *history_file(void)
{
    const char *named = getenv("STEPWISE_HISTORY");
    if (named && *named)
        return xstrdup(named);
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state)
        return xasprintf("%s/stepwise/history", state);
    const char *home = getenv("HOME");
    if (home && *home)
        return xasprintf("%s/.local/state/stepwise/history", home);
    return NULL;
}

line_history *line_history_open(void)
{
    line_history *h = xcalloc(1, sizeof *h);
    HistEvent ev;
    h->lines = history_init();
    history(h->lines, &ev, H_SETSIZE, HISTORY_SIZE);
    history(h->lines, &ev, H_SETUNIQUE, 1);
    h->path = history_file();
    if (h->path)
        history(h->lines, &ev, H_LOAD, h->path);
    if (history(h->lines, &ev, H_GETSIZE) == 0)
        h->count = (size_t)ev.num;
    return h;
}

void line_history_add(line_history *h, const char *line)
{
    if (!line || !*line || strspn(line, " \t") == strlen(line))
        return;
    const char *last = line_history_get(h, 0);
    if (last && strcmp(last, line) == 0)
        return;
    HistEvent ev;
    history(h->lines, &ev, H_ENTER, line);
    if (history(h->lines, &ev, H_GETSIZE) == 0)
        h->count = (size_t)ev.num;
    h->added = array_grow(h->added, &h->cap, h->nadded + 1, sizeof *h->added);
    h->added[h->nadded++] = xstrdup(line);
}

const char *line_history_get(line_history *h, size_t index)
{
    HistEvent ev;
    if (history(h->lines, &ev, H_FIRST) != 0)
        return NULL;
    for (size_t i = 0; i < index; i++)
        if (history(h->lines, &ev, H_NEXT) != 0)
            return NULL;
    return ev.str;
}

size_t line_history_count(const line_history *h)
{
    return h->count;
}

const char *line_history_path(const line_history *h)
{
    return h->path;
}

struct history *line_history_libedit(line_history *h)
{
    return h->lines;
}

void line_history_close(line_history *h)
{
    if (!h)
        return;
    HistEvent ev;
    if (h->path && h->nadded) {
        /* Another session may have written since we read: start again
         * from the file as it is now, add ours, save. */
        History *fresh = history_init();
        history(fresh, &ev, H_SETSIZE, HISTORY_SIZE);
        char *failed = NULL;
        mkdir_parents(h->path, &failed);
        free(failed);
        history(fresh, &ev, H_LOAD, h->path);
        for (size_t i = 0; i < h->nadded; i++)
            history(fresh, &ev, H_ENTER, h->added[i]);
        history(fresh, &ev, H_SAVE, h->path);
        history_end(fresh);
    }
    for (size_t i = 0; i < h->nadded; i++)
        free(h->added[i]);
    free(h->added);
    free(h->path);
    history_end(h->lines);
    free(h);
}
