/* The console's loop: one poll over the keyboard and the workers' pipes,
 * keys mapped to requests (keys.c) and given to the view, then the
 * console; the bars, the status line, dialogs and the line editor; and
 * the shared data, loaded in the background so the screen never waits. */
#include "config.h"

#include "tui/console.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "core/util.h"
#include "tui/commands.h"
#include "tui/linehistory.h"

static const view_ops *const view_table[VIEW_COUNT] = {
    [VIEW_MIGRATIONS] = &view_migrations_ops,
    [VIEW_LOCKS] = &view_locks_ops,
    [VIEW_ACTIVITY] = &view_activity_ops,
    [VIEW_HISTORY] = &view_history_ops,
    [VIEW_HELP] = &view_help_ops,
    [VIEW_TEXT] = &view_text_ops,
    [VIEW_APPLY] = &view_apply_ops,
};

/* A job still running after this long is named on the status line. */
#define WAIT_SHOWN_AFTER 0.3
/* How long a message stays. */
#define MESSAGE_SECONDS 6.0

/* The line editor of the status line: the `:` prompt and filters. */
typedef struct input_line {
    bool active;
    bool prompt;         /* the `:` prompt: history and completion */
    char *label;
    wchar_t *text;
    size_t length, cap, cursor;
    long history_index;  /* -1: the line being edited */
    char *edited;        /* the line being edited, while browsing history */
    console_input_fn done;
    void *arg;
} input_line;

typedef struct dialog {
    bool active;
    char *title, *body, *expect;
    bool typed;          /* expect is a word typed then Enter */
    input_line answer;
    console_answer_fn done;
    void *arg;
} dialog;

/* What the console keeps that views do not see. */
typedef struct console_private {
    console pub;
    WINDOW *top, *body, *hint, *status, *bar;
    input_line input;
    dialog ask;
    line_history *history;
} console_private;

static console_private *private_of(console *c)
{
    return (console_private *)c;
}

/* ---------------------------------------------------------------- data */

static void load(console *c, bool folder_too);

typedef struct connect_job {
    db_target *target;
    const char *table_spec;
    db *conn;
    history_table table;
    db_server_info info;
    sw_error err;
    bool ok;
} connect_job;

static void connect_run(void *arg)
{
    connect_job *j = arg;
    if (db_open(j->target, DB_OPEN_EXISTING, &j->conn, &j->err) != SW_OK)
        return;
    if (db_server_info_get(j->conn, &j->info, &j->err) != SW_OK ||
        history_table_init(j->conn, j->table_spec, &j->table, &j->err) != SW_OK) {
        db_close(j->conn);
        j->conn = NULL;
        return;
    }
    j->ok = true;
}

static void connect_done(void *context, void *arg)
{
    console *c = context;
    connect_job *j = arg;
    if (c && j->ok) {
        c->conn = j->conn;
        c->table = j->table;
        c->server = j->info;
        c->connected = true;
        load(c, false); /* the folder was read at start */
    } else {
        if (c) {
            free(c->connect_error);
            c->connect_error = xstrdup(j->err.message[0] ? j->err.message : "cannot connect");
        }
        if (j->conn)
            db_close(j->conn);
        history_table_free(&j->table);
        db_server_info_free(&j->info);
    }
    if (c)
        console_data_changed(c, DATA_SERVER);
    sw_error_clear(&j->err);
    free(j);
}

typedef struct history_job {
    console *c;          /* only for c->conn and c->table */
    bool folder_too;     /* read the folder again as well */
    history_data data;
    sw_error err;
    bool ok;
} history_job;

static void history_run(void *arg)
{
    history_job *j = arg;
    j->ok = history_read(j->c->conn, &j->c->table, &j->data, &j->err) == SW_OK;
}

/* The folder is read here, on the console thread: it is local, and the
 * status must pair the folder and the history read together. */
static void read_folder(console *c)
{
    source_free(&c->source);
    memset(&c->source, 0, sizeof c->source);
    free(c->dir_error);
    c->dir_error = NULL;
    if (!c->dir) {
        sw_error err = {0};
        if (source_find_dir(c->opts.dir, NULL, &c->dir, &err) != SW_OK) {
            c->dir_error = xstrdup(err.message);
            sw_error_clear(&err);
            return;
        }
    }
    sw_error err = {0};
    if (source_read(c->dir, &c->source, &err) != SW_OK) {
        c->dir_error = xstrdup(err.message);
        sw_error_clear(&err);
    }
}

static void rebuild_status(console *c)
{
    status_free(&c->status);
    memset(&c->status, 0, sizeof c->status);
    status_build(&c->source, &c->history, &c->status);
    c->status_ready = true;
    c->generation++;
    console_data_changed(c, DATA_MIGRATIONS);
}

static void history_done(void *context, void *arg)
{
    console *c = context;
    history_job *j = arg;
    if (!c) {
        history_free(&j->data);
    } else {
        free(c->history_error);
        c->history_error = NULL;
        c->history_known = j->ok;
        if (j->ok) {
            history_free(&c->history);
            c->history = j->data;
        } else {
            c->history_error = xstrdup(j->err.message);
            history_free(&j->data);
        }
        if (j->folder_too)
            read_folder(c);
        rebuild_status(c);
    }
    sw_error_clear(&j->err);
    free(j);
}

/* The history (and the folder when asked) read again, then the status. */
static void load(console *c, bool folder_too)
{
    if (!c->connected) {
        if (folder_too)
            read_folder(c);
        rebuild_status(c);
        return;
    }
    history_job *j = xcalloc(1, sizeof *j);
    j->c = c;
    j->folder_too = folder_too;
    console_post(c, "reading the history", history_run, history_done, j);
    console_reload_events(c);
}

void console_reload(console *c)
{
    load(c, true);
}

typedef struct events_job {
    console *c;
    db_result *events;
    sw_error err;
} events_job;

static void events_run(void *arg)
{
    events_job *j = arg;
    history_events_read(j->c->conn, &j->c->table, 1000, &j->events, &j->err);
}

static void events_done(void *context, void *arg)
{
    console *c = context;
    events_job *j = arg;
    if (c) {
        /* The old result goes after the views have rebuilt: they may
         * look at it to keep their selection. */
        db_result *old = c->events;
        c->events = j->events;
        free(c->events_error);
        c->events_error = j->events ? NULL : xstrdup(j->err.message);
        console_data_changed(c, DATA_EVENTS);
        db_result_free(old);
    } else {
        db_result_free(j->events);
    }
    sw_error_clear(&j->err);
    free(j);
}

void console_reload_events(console *c)
{
    if (!c->connected)
        return;
    events_job *j = xcalloc(1, sizeof *j);
    j->c = c;
    console_post(c, "reading the audit events", events_run, events_done, j);
}

void console_post(console *c, const char *what, worker_run_fn run, worker_done_fn done, void *arg)
{
    worker_post(c->database, what, run, done, arg);
}

/* ------------------------------------------------------------- monitor */

typedef struct monitor_job {
    console *c;
    bool open;           /* open the monitor first */
    bool want_relation_locks;
    monitor *opened;
    monitor_snapshot snap;
    bool ok;
    sw_error err;
} monitor_job;

static void monitor_run(void *arg)
{
    monitor_job *j = arg;
    monitor *m = j->c->monitor;
    if (j->open) {
        if (monitor_open(&j->c->target, &j->opened, &j->err) != SW_OK)
            return;
        m = j->opened;
    }
    monitor_want_relation_locks(m, j->want_relation_locks);
    j->ok = monitor_refresh(m, &j->snap, &j->err) == SW_OK;
}

static void monitor_done(void *context, void *arg)
{
    console *c = context;
    monitor_job *j = arg;
    if (!c) {
        if (j->opened)
            monitor_close(j->opened);
        if (j->ok)
            monitor_snapshot_free(&j->snap);
    } else {
        if (j->opened) {
            c->monitor = j->opened;
            c->monitor_open = true;
        }
        free(c->monitor_error);
        c->monitor_error = NULL;
        if (j->ok) {
            if (c->have_snapshot)
                monitor_snapshot_free(&c->snapshot);
            c->snapshot = j->snap;
            c->have_snapshot = true;
            c->snapshot_at = clock_now();
        } else {
            c->monitor_error = xstrdup(j->err.message[0] ? j->err.message : "refresh failed");
        }
        c->refresh_running = false;
        /* While a migration runs, its panel follows the locks closely. */
        double every = c->settings.refresh;
        if (c->apply_busy && every > 1.0)
            every = 1.0;
        c->next_refresh = clock_now() + every;
        console_data_changed(c, DATA_MONITOR);
    }
    sw_error_clear(&j->err);
    free(j);
}

static bool view_is_live(console *c)
{
    const view_ops *ops = view_table[c->view];
    return ops->live && c->view_state[c->view] && ops->live(c->view_state[c->view], c);
}

/* Refresh the monitor when a live view shows and the time has come. */
static void monitor_tick(console *c, double now)
{
    if (!c->target_ok || c->target.kind != DB_POSTGRES || c->paused || c->refresh_running ||
        !view_is_live(c) || now < c->next_refresh)
        return;
    if (!c->monitor_worker)
        c->monitor_worker = worker_start("monitor");
    monitor_job *j = xcalloc(1, sizeof *j);
    j->c = c;
    j->open = !c->monitor_open;
    j->want_relation_locks = c->want_relation_locks;
    c->refresh_running = true;
    worker_post(c->monitor_worker, j->open ? "opening the lock monitor" : "reading pg_stat_activity",
                monitor_run, monitor_done, j);
}

/* ------------------------------------------------------------ services */

void console_message(console *c, style s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(c->message);
    c->message = xvasprintf(fmt, ap);
    va_end(ap);
    c->message_style = s;
    c->message_until = clock_now() + MESSAGE_SECONDS;
}

static void *view_state(console *c, int view)
{
    if (!c->view_state[view])
        c->view_state[view] = view_table[view]->open(c);
    return c->view_state[view];
}

void console_show(console *c, int view)
{
    if (view < 0 || view >= VIEW_COUNT)
        return;
    if (c->view != VIEW_HELP && c->view != VIEW_TEXT)
        c->last_list_view = c->view;
    /* Others add events too (another operator's run, the lab's sessions). */
    if (view == VIEW_HISTORY && c->view != VIEW_HISTORY)
        console_reload_events(c);
    c->view = view;
    view_state(c, view);
    if (view_is_live(c) && !c->have_snapshot)
        c->next_refresh = 0;
}

void console_data_changed(console *c, unsigned what)
{
    for (int i = 0; i < VIEW_COUNT; i++)
        if (c->view_state[i] && view_table[i]->data_changed)
            view_table[i]->data_changed(c->view_state[i], c, what);
}

/* view_text.c's entry point. */
void view_text_set(void *state, const char *title, char *text);

void console_show_text(console *c, const char *title, char *text)
{
    view_text_set(view_state(c, VIEW_TEXT), title, text);
    console_show(c, VIEW_TEXT);
}

static void input_reset(input_line *in)
{
    free(in->label);
    free(in->text);
    free(in->edited);
    memset(in, 0, sizeof *in);
}

static void input_set_text(input_line *in, const char *text)
{
    size_t n = strlen(text);
    in->text = array_grow(in->text, &in->cap, n + 1, sizeof *in->text);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *s = text;
    size_t count = mbsrtowcs(in->text, &s, n + 1, &st);
    if (count == (size_t)-1) {
        for (count = 0; count < n; count++)
            in->text[count] = (unsigned char)text[count] < 0x80 ? (wchar_t)text[count] : L'?';
    }
    in->text[count] = 0;
    in->length = count;
    in->cursor = count;
}

static char *input_text(const input_line *in)
{
    strbuf sb = {0};
    for (size_t i = 0; i < in->length; i++) {
        char mb[MB_LEN_MAX];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t len = wcrtomb(mb, in->text[i], &st);
        if (len != (size_t)-1)
            strbuf_append_len(&sb, mb, len);
    }
    strbuf_append(&sb, "");
    return strbuf_detach(&sb);
}

static void input_start(input_line *in, const char *label, const char *initial)
{
    input_reset(in);
    in->active = true;
    in->label = xstrdup(label);
    in->history_index = -1;
    input_set_text(in, initial ? initial : "");
}

void console_input(console *c, const char *label, const char *initial, console_input_fn done,
                   void *arg)
{
    input_line *in = &private_of(c)->input;
    input_start(in, label, initial);
    in->done = done;
    in->arg = arg;
}

void console_ask(console *c, const char *title, const char *body, const char *expect,
                 console_answer_fn answer, void *arg)
{
    dialog *d = &private_of(c)->ask;
    free(d->title);
    free(d->body);
    free(d->expect);
    input_reset(&d->answer);
    d->active = true;
    d->title = xstrdup(title);
    d->body = xstrdup(body);
    d->expect = xstrdup(expect);
    d->typed = strlen(expect) > 1;
    if (d->typed)
        input_start(&d->answer, "> ", "");
    d->done = answer;
    d->arg = arg;
}

void console_suspend(console *c)
{
    (void)c;
    def_prog_mode();
    endwin();
}

void console_resume(console *c)
{
    reset_prog_mode();
    clearok(curscr, TRUE);
    refresh();
    console_reload(c);
}

/* -------------------------------------------------------------- drawing */

static void layout(console_private *p)
{
    if (p->top) {
        delwin(p->top);
        delwin(p->body);
        delwin(p->hint);
        delwin(p->status);
        delwin(p->bar);
    }
    int rows = LINES < 5 ? 5 : LINES, cols = COLS < 1 ? 1 : COLS;
    /* The walkthrough's hint takes the body's last line. */
    int hint = p->pub.walkthrough_shown ? 1 : 0;
    p->top = newwin(1, cols, 0, 0);
    p->body = newwin(rows - 3 - hint, cols, 1, 0);
    p->hint = newwin(1, cols, rows - 3, 0);
    p->status = newwin(1, cols, rows - 2, 0);
    p->bar = newwin(1, cols, rows - 1, 0);
    keypad(p->body, TRUE);
}

static void draw_top(console_private *p)
{
    console *c = &p->pub;
    WINDOW *w = p->top;
    int cols = getmaxx(w);
    draw_fill(w, 0, 0, cols, STYLE_BAR);
    char clock[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(clock, sizeof clock, "%H:%M:%S", &tm);

    strbuf sb = {0};
    strbuf_appendf(&sb, " %s", view_table[c->view]->title);
    if (view_table[c->view]->where && c->view_state[c->view]) {
        char *where = view_table[c->view]->where(c->view_state[c->view], c);
        if (where)
            strbuf_appendf(&sb, " %s", where);
        free(where);
    }
    /* The target goes last: it is the part that can be long, and the
     * bar cuts at the clock. */
    if (c->connected && c->target.kind == DB_SQLITE)
        strbuf_appendf(&sb, " | SQLite %s", c->server.version);
    else if (c->connected)
        strbuf_appendf(&sb, " | PostgreSQL %s %s", c->server.version ? c->server.version : "",
                       c->server.in_recovery ? "replica" : "primary");
    if (c->connected)
        strbuf_append(&sb, c->migration_lock ? " | lock: held" : " | lock: not held");
    else if (c->connect_error)
        strbuf_append(&sb, " | not connected");
    else if (c->target_ok)
        strbuf_append(&sb, " | connecting...");
    if (!c->target_ok)
        strbuf_append(&sb, " | no database");
    else if (c->target.kind == DB_SQLITE)
        strbuf_appendf(&sb, " | %s", c->target.path);
    else if (c->connected)
        strbuf_appendf(&sb, " | %s@%s:%s/%s", c->server.user ? c->server.user : "?",
                       c->server.host ? c->server.host : "local", c->server.port ? c->server.port : "",
                       c->server.database ? c->server.database : "");
    else
        strbuf_appendf(&sb, " | %s", c->target.display);
    int clock_cols = (int)strlen(clock) + 1;
    draw_text(w, 0, 0, cols - clock_cols - 1, strbuf_str(&sb), STYLE_BAR);
    draw_text(w, 0, cols - clock_cols, clock_cols, clock, STYLE_BAR);
    strbuf_free(&sb);
}

static void draw_input(WINDOW *w, int y, int x, int width, const input_line *in)
{
    int used = draw_text(w, y, x, width, in->label, STYLE_NORMAL);
    x += used;
    width -= used;
    if (width <= 1)
        return;
    /* Scroll so that the cursor shows. */
    size_t start = 0;
    int cursor_cols = 0;
    for (size_t i = 0; i < in->cursor; i++)
        cursor_cols += wcwidth(in->text[i]) > 0 ? wcwidth(in->text[i]) : 1;
    while (cursor_cols >= width - 1 && start < in->cursor) {
        cursor_cols -= wcwidth(in->text[start]) > 0 ? wcwidth(in->text[start]) : 1;
        start++;
    }
    int col = 0;
    for (size_t i = start; i < in->length; i++) {
        int cw = wcwidth(in->text[i]) > 0 ? wcwidth(in->text[i]) : 1;
        if (col + cw > width)
            break;
        wchar_t one[2] = {in->text[i], 0};
        if (in->text[i] < 0x20 || in->text[i] == 0x7f)
            one[0] = L'?';
        mvwaddnwstr(w, y, x + col, one, 1);
        col += cw;
    }
    wmove(w, y, x + cursor_cols);
}

static void draw_status(console_private *p, double now)
{
    console *c = &p->pub;
    WINDOW *w = p->status;
    int cols = getmaxx(w);
    werase(w);
    if (p->input.active) {
        draw_input(w, 0, 0, cols, &p->input);
        return;
    }
    double since = 0;
    const char *what = worker_current(c->database, &since);
    const char *mwhat = NULL;
    double msince = 0;
    if (c->monitor_worker)
        mwhat = worker_current(c->monitor_worker, &msince);
    if (c->message && now < c->message_until) {
        draw_text(w, 0, 0, cols, c->message, c->message_style);
    } else if (what && now - since > WAIT_SHOWN_AFTER) {
        draw_textf(w, 0, 0, cols, STYLE_WARNING, "waiting for the server: %s (%.1f s)", what,
                   now - since);
    } else if (mwhat && now - msince > 1.0) {
        draw_textf(w, 0, 0, cols, STYLE_WARNING, "waiting for the server: %s (%.1f s)", mwhat,
                   now - msince);
    } else if (c->command_pid && c->command_worker &&
               (what = worker_current(c->command_worker, &since)) != NULL) {
        draw_textf(w, 0, 0, cols, STYLE_WARNING, "running %s (%.1f s); Esc stops it", what,
                   now - since);
    } else if (c->connect_error) {
        draw_textf(w, 0, 0, cols, STYLE_ERROR, "%s", c->connect_error);
    } else if (!c->target_ok && c->target_error) {
        draw_textf(w, 0, 0, cols, STYLE_ERROR, "%s", c->target_error);
    }
}

static void draw_bar(console_private *p)
{
    console *c = &p->pub;
    WINDOW *w = p->bar;
    int cols = getmaxx(w);
    draw_fill(w, 0, 0, cols, STYLE_BAR);
    /* While a line is typed it fills the status line: a message (Tab's
     * choices) shows here instead of the keys. */
    if (p->input.active && c->message && clock_now() < c->message_until) {
        draw_text(w, 0, 0, cols, c->message, c->message_style);
        return;
    }
    const char *view = view_table[c->view]->name;
    int x = 0;
    const char *shown[32];
    size_t nshown = 0;
    for (size_t i = 0; i < key_binding_count && x < cols; i++) {
        const key_binding *b = &key_bindings[i];
        if (!b->bar || (b->view && strcmp(b->view, view) != 0))
            continue;
        bool seen = false;
        for (size_t k = 0; k < nshown; k++)
            seen = seen || strcmp(shown[k], b->label) == 0;
        /* A key shown for this view hides the same key's global meaning. */
        if (seen || key_request(b->key, view) != b->req)
            continue;
        if (nshown < 32)
            shown[nshown++] = b->label;
        x += draw_text(w, 0, x, cols - x, b->label, STYLE_BAR_KEY);
        x += draw_text(w, 0, x, cols - x, b->bar, STYLE_BAR);
        x += draw_text(w, 0, x, cols - x, " ", STYLE_BAR);
    }
}

/* ---------------------------------------------------------- walkthrough */

volatile sig_atomic_t console_stop_signal;

void console_walkthrough_note(console *c, int step)
{
    if (step >= 0 && step < WALK_COUNT)
        c->walkthrough_done |= 1u << step;
}

/* The guide's first step not done, its count when all are. */
static int walk_current(const console *c)
{
    int step = 0;
    while (step < c->guide->count && (c->walkthrough_done & (1u << c->guide->steps[step].event)))
        step++;
    return step;
}

static void draw_hint(console_private *p)
{
    console *c = &p->pub;
    WINDOW *w = p->hint;
    int cols = getmaxx(w);
    werase(w);
    int step = walk_current(c);
    if (step == c->guide->count) {
        draw_textf(w, 0, 0, cols, STYLE_APPLIED, "%s done. t hides this line; ? lists every key.",
                   c->guide->title);
        return;
    }
    int x = draw_textf(w, 0, 0, cols, STYLE_TITLE, "Step %d/%d: ", step + 1, c->guide->count);
    draw_text(w, 0, x, cols - x, c->guide->steps[step].hint, STYLE_INFO);
}

/* Steps done by a key in the list views (the apply view notes its own). */
static void walk_request(console *c, int view_before, request req)
{
    if (view_before == VIEW_MIGRATIONS) {
        if (req >= REQ_MOVE_UP && req <= REQ_MOVE_LAST)
            console_walkthrough_note(c, WALK_SELECT);
        else if (req == REQ_ENTER)
            console_walkthrough_note(c, WALK_PREVIEW);
        else if (req == REQ_TAB_LINT || req == REQ_TAB_NEXT)
            console_walkthrough_note(c, WALK_LINT);
        else if (req == REQ_DRY_RUN)
            console_walkthrough_note(c, WALK_DRY_RUN);
    }
    if (c->view == VIEW_HISTORY)
        console_walkthrough_note(c, WALK_HISTORY);
    else if (c->view == VIEW_LOCKS)
        console_walkthrough_note(c, WALK_LOCKS_VIEW);
    else if (c->view == VIEW_ACTIVITY)
        console_walkthrough_note(c, WALK_ACTIVITY);
}

/* Split s into lines (pointers into a copy). */
static size_t split_lines(char *s, char **lines, size_t max)
{
    size_t n = 0;
    while (s && n < max) {
        lines[n++] = s;
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    return n;
}

static void draw_dialog(console_private *p)
{
    dialog *d = &p->ask;
    int cols = COLS, rows = LINES - 3;
    char *copy = xstrdup(d->body);
    char *lines[64];
    size_t n = split_lines(copy, lines, 64);
    int width = 20;
    for (size_t i = 0; i < n; i++)
        if (text_columns(lines[i]) + 4 > width)
            width = text_columns(lines[i]) + 4;
    if (text_columns(d->title) + 6 > width)
        width = text_columns(d->title) + 6;
    if (width < 50)
        width = 50;
    if (width > cols - 2)
        width = cols - 2;
    int height = (int)n + 5;
    if (height > rows)
        height = rows;
    int y0 = 1 + (rows - height) / 2, x0 = (cols - width) / 2;
    WINDOW *w = newwin(height, width, y0, x0);
    wbkgd(w, style_attr(STYLE_DIALOG));
    werase(w);
    box(w, 0, 0);
    draw_textf(w, 0, 2, width - 4, STYLE_DIALOG, " %s ", d->title);
    for (size_t i = 0; i < n && (int)i < height - 4; i++)
        draw_text(w, 1 + (int)i, 2, width - 4, lines[i], STYLE_DIALOG);
    if (d->typed) {
        draw_textf(w, height - 3, 2, width - 4, STYLE_DIALOG, "Type %s and Enter to go on; Esc cancels.",
                   d->expect);
        draw_input(w, height - 2, 2, width - 4, &d->answer);
    } else {
        draw_textf(w, height - 2, 2, width - 4, STYLE_DIALOG,
                   "Press %s to go on; any other key cancels.", d->expect);
    }
    wnoutrefresh(w);
    delwin(w);
    free(copy);
}

static void draw_too_small(void)
{
    erase();
    const char *msg = "terminal too small (need 60x15)";
    int len = (int)strlen(msg);
    int y = LINES / 2, x = COLS > len ? (COLS - len) / 2 : 0;
    mvaddnstr(y, x, msg, COLS);
    wnoutrefresh(stdscr);
}

static void draw(console_private *p)
{
    console *c = &p->pub;
    double now = clock_now();
    c->too_small = COLS < DISPLAY_MIN_COLS || LINES < DISPLAY_MIN_ROWS;
    if (c->too_small) {
        curs_set(0);
        draw_too_small();
        doupdate();
        return;
    }
    draw_top(p);
    werase(p->body);
    int rows, cols;
    getmaxyx(p->body, rows, cols);
    view_table[c->view]->draw(view_state(c, c->view), c, p->body, rows, cols);
    draw_bar(p);
    wnoutrefresh(p->top);
    wnoutrefresh(p->body);
    if (c->walkthrough_shown) {
        draw_hint(p);
        wnoutrefresh(p->hint);
    }
    wnoutrefresh(p->bar);
    draw_status(p, now);
    wnoutrefresh(p->status);
    if (p->ask.active)
        draw_dialog(p);
    /* The cursor shows only while typing. */
    bool typing = p->input.active || (p->ask.active && p->ask.typed);
    curs_set(typing ? 1 : 0);
    if (p->input.active)
        wnoutrefresh(p->status); /* leaves the cursor in the input */
    doupdate();
}

/* ---------------------------------------------------------------- keys */

static void complete(console_private *p, input_line *in)
{
    char *line = input_text(in);
    size_t start = 0;
    char **list = NULL;
    size_t n = command_complete(p->pub.status_ready ? &p->pub.status : NULL, line, &start, &list);
    if (n == 1) {
        char *done = xasprintf("%.*s%s ", (int)start, line, list[0]);
        input_set_text(in, done);
        free(done);
    } else if (n > 1) {
        /* The longest common prefix, and the choices on the message line. */
        size_t common = command_common_prefix(list, n);
        char *done = xasprintf("%.*s%.*s", (int)start, line, (int)common, list[0]);
        input_set_text(in, done);
        free(done);
        strbuf sb = {0};
        for (size_t i = 0; i < n && i < 40; i++)
            strbuf_appendf(&sb, "%s%s", i ? " " : "", list[i]);
        if (n > 40)
            strbuf_appendf(&sb, " ... (%zu)", n);
        console_message(&p->pub, STYLE_INFO, "%s", strbuf_str(&sb));
        strbuf_free(&sb);
    }
    command_candidates_free(list, n);
    free(line);
}

static void history_move(console_private *p, input_line *in, long delta)
{
    long count = (long)line_history_count(p->history);
    long next = in->history_index + delta;
    if (next < -1 || next >= count)
        return;
    if (in->history_index == -1) {
        free(in->edited);
        in->edited = input_text(in);
    }
    in->history_index = next;
    if (next == -1)
        input_set_text(in, in->edited ? in->edited : "");
    else
        input_set_text(in, line_history_get(p->history, (size_t)next));
}

/* Edit a line; returns 1 on Enter, -1 on Esc, 0 otherwise. */
static int input_key(console_private *p, input_line *in, int key, bool is_char)
{
    if (is_char && (key == '\n' || key == '\r'))
        return 1;
    if (!is_char && key == KEY_ENTER)
        return 1;
    if (is_char && key == 27)
        return -1;
    if (is_char && key == ('c' & 0x1f))
        return -1;
    if ((!is_char && key == KEY_BACKSPACE) || (is_char && (key == 127 || key == 8))) {
        if (in->cursor == 0) {
            if (in->length == 0)
                return -1; /* backspace on an empty line leaves, as in vim */
            return 0;
        }
        memmove(in->text + in->cursor - 1, in->text + in->cursor,
                (in->length - in->cursor + 1) * sizeof *in->text);
        in->cursor--;
        in->length--;
    } else if ((!is_char && key == KEY_DC) || (is_char && key == ('d' & 0x1f))) {
        if (in->cursor < in->length) {
            memmove(in->text + in->cursor, in->text + in->cursor + 1,
                    (in->length - in->cursor) * sizeof *in->text);
            in->length--;
        }
    } else if ((!is_char && key == KEY_LEFT) || (is_char && key == ('b' & 0x1f))) {
        if (in->cursor > 0)
            in->cursor--;
    } else if ((!is_char && key == KEY_RIGHT) || (is_char && key == ('f' & 0x1f))) {
        if (in->cursor < in->length)
            in->cursor++;
    } else if ((!is_char && key == KEY_HOME) || (is_char && key == ('a' & 0x1f))) {
        in->cursor = 0;
    } else if ((!is_char && key == KEY_END) || (is_char && key == ('e' & 0x1f))) {
        in->cursor = in->length;
    } else if (is_char && key == ('u' & 0x1f)) {
        memmove(in->text, in->text + in->cursor, (in->length - in->cursor + 1) * sizeof *in->text);
        in->length -= in->cursor;
        in->cursor = 0;
    } else if (is_char && key == ('k' & 0x1f)) {
        in->length = in->cursor;
        in->text[in->length] = 0;
    } else if (is_char && key == ('w' & 0x1f)) {
        size_t end = in->cursor, start = end;
        while (start > 0 && in->text[start - 1] == L' ')
            start--;
        while (start > 0 && in->text[start - 1] != L' ')
            start--;
        memmove(in->text + start, in->text + end, (in->length - end + 1) * sizeof *in->text);
        in->length -= end - start;
        in->cursor = start;
    } else if (in->prompt && ((!is_char && key == KEY_UP) || (is_char && key == ('p' & 0x1f)))) {
        history_move(p, in, 1);
    } else if (in->prompt && ((!is_char && key == KEY_DOWN) || (is_char && key == ('n' & 0x1f)))) {
        history_move(p, in, -1);
    } else if (in->prompt && is_char && key == '\t') {
        in->cursor = in->length;
        complete(p, in);
    } else if (is_char && key >= 0x20 && key != 0x7f) {
        in->text = array_grow(in->text, &in->cap, in->length + 2, sizeof *in->text);
        memmove(in->text + in->cursor + 1, in->text + in->cursor,
                (in->length - in->cursor + 1) * sizeof *in->text);
        in->text[in->cursor++] = (wchar_t)key;
        in->length++;
    }
    return 0;
}

static void prompt_done(console *c, void *arg, const char *text)
{
    (void)arg;
    if (!text)
        return;
    line_history_add(private_of(c)->history, text);
    console_command(c, text);
}

static void dialog_key(console_private *p, int key, bool is_char)
{
    dialog *d = &p->ask;
    bool yes;
    if (d->typed) {
        int r = input_key(p, &d->answer, key, is_char);
        if (r == 0)
            return;
        char *typed = input_text(&d->answer);
        yes = r > 0 && strcmp(typed, d->expect) == 0;
        free(typed);
    } else {
        yes = is_char && key == (unsigned char)d->expect[0];
    }
    d->active = false;
    console_answer_fn done = d->done;
    void *arg = d->arg;
    if (done)
        done(&p->pub, arg, yes);
}

static void quit_answer(console *c, void *arg, bool yes)
{
    (void)arg;
    if (yes)
        c->quit = true;
}

/* What the console does with a request no view took. */
static void console_request(console *c, request req)
{
    switch (req) {
    case REQ_QUIT:
        if (c->view == VIEW_HELP || c->view == VIEW_TEXT) {
            console_show(c, c->last_list_view);
        } else if (c->transaction_open) {
            console_ask(c, "Quit?", "A migration's transaction is open: quitting rolls it back.", "y",
                        quit_answer, NULL);
        } else {
            c->quit = true;
        }
        break;
    case REQ_BACK:
        if (c->view == VIEW_HELP || c->view == VIEW_TEXT)
            console_show(c, c->last_list_view);
        break;
    case REQ_HELP:
        console_show(c, c->view == VIEW_HELP ? c->last_list_view : VIEW_HELP);
        break;
    case REQ_VIEW_MIGRATIONS:
        console_show(c, VIEW_MIGRATIONS);
        break;
    case REQ_VIEW_LOCKS:
        console_show(c, VIEW_LOCKS);
        break;
    case REQ_VIEW_ACTIVITY:
        console_show(c, VIEW_ACTIVITY);
        break;
    case REQ_VIEW_HISTORY:
        console_show(c, VIEW_HISTORY);
        break;
    case REQ_VIEW_APPLY:
        console_show(c, VIEW_APPLY);
        break;
    case REQ_VIEW_NEXT:
    case REQ_VIEW_PREVIOUS: {
        int from = c->view >= VIEW_HELP ? c->last_list_view : c->view;
        if (from >= VIEW_HELP) /* from the apply view: the first or last list */
            from = req == REQ_VIEW_NEXT ? VIEW_HELP - 1 : 0;
        int next = (from + (req == REQ_VIEW_NEXT ? 1 : VIEW_HELP - 1)) % VIEW_HELP;
        console_show(c, next);
        break;
    }
    case REQ_PROMPT: {
        console_private *p = private_of(c);
        input_start(&p->input, ":", "");
        p->input.prompt = true;
        p->input.done = prompt_done;
        break;
    }
    case REQ_REFRESH_FASTER:
    case REQ_REFRESH_SLOWER: {
        double r = c->settings.refresh;
        r = req == REQ_REFRESH_FASTER ? (r > 1.0 ? r - 1.0 : r / 2) : (r < 1.0 ? r * 2 : r + 1.0);
        if (r < LIVE_MIN_INTERVAL)
            r = LIVE_MIN_INTERVAL;
        if (r > LIVE_MAX_INTERVAL)
            r = LIVE_MAX_INTERVAL;
        c->settings.refresh = r;
        c->next_refresh = clock_now() + r;
        console_message(c, STYLE_INFO, "refresh every %.1f s", r);
        break;
    }
    case REQ_PAUSE:
        c->paused = !c->paused;
        if (!c->paused)
            c->next_refresh = 0;
        console_message(c, STYLE_INFO, c->paused ? "paused: Space resumes the refresh"
                                                 : "refresh resumed");
        break;
    case REQ_REDRAW:
        clearok(curscr, TRUE);
        break;
    case REQ_WALKTHROUGH:
        c->walkthrough_shown = !c->walkthrough_shown;
        layout(private_of(c));
        clearok(curscr, TRUE);
        break;
    case REQ_RELOAD:
        console_reload(c);
        break;
    default:
        break;
    }
}

bool console_target_is_remote(const console *c)
{
    const char *dbname = c->server.database ? c->server.database : "";
    return c->target.kind == DB_POSTGRES && !db_host_is_local(c->server.host) &&
           !(c->opts.confirm_db && strcmp(c->opts.confirm_db, dbname) == 0);
}

void console_do(console *c, request req)
{
    const view_ops *ops = view_table[c->view];
    if (ops->request && ops->request(view_state(c, c->view), c, req))
        return;
    console_request(c, req);
}

static void handle_key(console_private *p, int key, bool is_char)
{
    console *c = &p->pub;
    if (!is_char && key == KEY_RESIZE) {
        layout(p);
        clearok(curscr, TRUE);
        return;
    }
    if (p->ask.active) {
        dialog_key(p, key, is_char);
        return;
    }
    if (p->input.active) {
        int r = input_key(p, &p->input, key, is_char);
        if (r == 0)
            return;
        char *text = r > 0 ? input_text(&p->input) : NULL;
        console_input_fn done = p->input.done;
        void *arg = p->input.arg;
        input_reset(&p->input);
        if (done)
            done(c, arg, text);
        free(text);
        return;
    }
    if (c->too_small && !(is_char && key == 'q'))
        return;
    /* Esc or Ctrl-C stops a running `:` command before anything else. */
    if (is_char && (key == 27 || key == ('c' & 0x1f)) && console_command_cancel(c))
        return;
    request req = key_request(key, view_table[c->view]->name);
    if (req == REQ_NONE)
        return;
    int view_before = c->view;
    const view_ops *ops = view_table[c->view];
    if (!ops->request || !ops->request(view_state(c, c->view), c, req))
        console_request(c, req);
    walk_request(c, view_before, req);
}

static void read_keys(console_private *p)
{
    for (;;) {
        wint_t ch;
        int r = wget_wch(stdscr, &ch);
        if (r == ERR)
            break;
        handle_key(p, (int)ch, r == OK);
        if (p->pub.quit)
            break;
    }
}

/* -------------------------------------------------------------- the loop */

static void console_init(console_private *p, const cli_options *opts)
{
    console *c = &p->pub;
    c->opts = *opts;
    c->settings.refresh = LIVE_DEFAULT_INTERVAL;
    c->settings.max_hold = MAX_HOLD_DEFAULT;
    if (opts->max_hold)
        duration_parse(opts->max_hold, &c->settings.max_hold); /* checked in console_main */
    if (opts->lock_timeout)
        c->settings.lock_timeout = xstrdup(opts->lock_timeout);
    if (opts->statement_timeout)
        c->settings.statement_timeout = xstrdup(opts->statement_timeout);
    c->view = VIEW_MIGRATIONS;
    c->last_list_view = VIEW_MIGRATIONS;
    c->guide = guide_find(opts->walkthrough ? opts->scenario : NULL);
    if (!c->guide)
        c->guide = guide_find(NULL);
    c->walkthrough_shown = opts->walkthrough;
    c->database = worker_start("database");
    sw_error err = {0};
    if (db_target_resolve(opts->db, getenv("STEPWISE_DB"), getenv("DATABASE_URL"), &c->target,
                          &err) == SW_OK) {
        c->target_ok = true;
        connect_job *j = xcalloc(1, sizeof *j);
        j->target = &c->target;
        j->table_spec = opts->table;
        worker_post(c->database, "connecting", connect_run, connect_done, j);
    } else {
        c->target_error = xstrdup(err.message);
        sw_error_clear(&err);
    }
    read_folder(c);
    rebuild_status(c);
    p->history = line_history_open();
}

static void close_db_run(void *arg)
{
    console *c = arg;
    if (c->conn)
        db_close(c->conn);
    c->conn = NULL;
}

static void close_monitor_run(void *arg)
{
    console *c = arg;
    if (c->monitor)
        monitor_close(c->monitor);
    c->monitor = NULL;
}

/* A console whose workers did not stop (see console_free). */
static console_private *console_left_behind;

/* worker_stop drops a close job its worker has not picked up yet: its
 * done() then closes (that worker is idle by then); after a run, nothing
 * is left to close. */
static void close_db_done(void *context, void *arg)
{
    (void)context;
    close_db_run(arg);
}

static void close_monitor_done(void *context, void *arg)
{
    (void)context;
    close_monitor_run(arg);
}

static void console_free(console_private *p)
{
    console *c = &p->pub;
    console_apply_stop(c); /* before the views go: it reads the apply view's state */
    for (int i = 0; i < VIEW_COUNT; i++)
        if (c->view_state[i] && view_table[i]->done)
            view_table[i]->done(c->view_state[i]);
    /* Close the connections on their own threads; a server that does not
     * answer keeps its thread, which the exit ends. */
    bool db_stopped = true, monitor_stopped = true;
    console_command_stop(c);
    if (c->monitor_worker) {
        worker_post(c->monitor_worker, "closing the monitor", close_monitor_run, close_monitor_done, c);
        monitor_stopped = worker_stop(c->monitor_worker, NULL, 1000);
    }
    worker_post(c->database, "closing the connection", close_db_run, close_db_done, c);
    db_stopped = worker_stop(c->database, NULL, 1000);
    if (!db_stopped || !monitor_stopped) {
        /* Their data may still be in use: kept, and reachable, until the
         * exit that follows. */
        console_left_behind = p;
        return;
    }
    if (c->have_snapshot)
        monitor_snapshot_free(&c->snapshot);
    status_free(&c->status);
    source_free(&c->source);
    history_free(&c->history);
    if (c->connected) {
        history_table_free(&c->table);
        db_server_info_free(&c->server);
    }
    db_result_free(c->events);
    if (c->target_ok)
        db_target_free(&c->target);
    free(c->target_error);
    free(c->connect_error);
    free(c->dir);
    free(c->dir_error);
    free(c->history_error);
    free(c->events_error);
    free(c->monitor_error);
    free(c->message);
    free(c->settings.lock_timeout);
    free(c->settings.statement_timeout);
    input_reset(&p->input);
    input_reset(&p->ask.answer);
    free(p->ask.title);
    free(p->ask.body);
    free(p->ask.expect);
    free(p);
}

static int poll_timeout(console *c, double now)
{
    double wait = 1.0 - (now - (double)(long long)now); /* the clock's next second */
    if (view_is_live(c) && !c->paused && !c->refresh_running && c->target_ok &&
        c->target.kind == DB_POSTGRES) {
        double due = c->next_refresh - now;
        if (due < wait)
            wait = due;
    }
    if (worker_pending(c->database) || (c->monitor_worker && worker_pending(c->monitor_worker)) ||
        c->command_pid || (c->apply_worker && worker_pending(c->apply_worker)) || c->apply_busy)
        wait = wait < 0.1 ? wait : 0.1; /* the "waiting for" timer */
    if (c->message && c->message_until > now && c->message_until - now < wait)
        wait = c->message_until - now;
    if (wait < 0)
        wait = 0;
    return (int)(wait * 1000) + 1;
}

static int console_run(const cli_options *opts)
{
    console_private *p = xcalloc(1, sizeof *p);
    console *c = &p->pub;
    console_init(p, opts);
    if (!display_start(getenv("NO_COLOR") && *getenv("NO_COLOR"))) {
        line_history_close(p->history);
        console_free(p);
        return -1;
    }
    nodelay(stdscr, TRUE);
    layout(p);
    view_state(c, c->view);
    if (opts->briefing)
        console_show_text(c, opts->briefing_title ? opts->briefing_title : "Briefing",
                          xstrdup(opts->briefing));
    while (!c->quit && !console_stop_signal) {
        double now = clock_now();
        monitor_tick(c, now);
        draw(p);
        struct pollfd fds[5] = {
            {.fd = 0, .events = POLLIN},
            {.fd = worker_fd(c->database), .events = POLLIN},
            {.fd = c->monitor_worker ? worker_fd(c->monitor_worker) : -1, .events = POLLIN},
            {.fd = c->command_worker ? worker_fd(c->command_worker) : -1, .events = POLLIN},
            {.fd = c->apply_worker ? worker_fd(c->apply_worker) : -1, .events = POLLIN},
        };
        int n = poll(fds, 5, poll_timeout(c, now));
        if (n < 0 && errno != EINTR)
            break;
        /* EINTR is usually SIGWINCH: curses then has a KEY_RESIZE. */
        read_keys(p);
        worker_collect(c->database, c);
        if (c->monitor_worker)
            worker_collect(c->monitor_worker, c);
        if (c->command_worker)
            worker_collect(c->command_worker, c);
        if (c->apply_worker)
            worker_collect(c->apply_worker, c);
    }
    display_stop();
    line_history_close(p->history);
    console_free(p);
    if (console_left_behind)
        fprintf(stderr, "stepwise: the server did not answer within 1 s; "
                        "left without closing the connection\n");
    return SW_OK;
}

int console_main(const cli_options *opts)
{
    double hold = 0;
    if (opts->max_hold && (!duration_parse(opts->max_hold, &hold) || hold <= 0))
        return usage_error(NULL, "--max-hold wants a duration above zero (30s, 2min), not '%s'",
                           opts->max_hold);
    const char *term = getenv("TERM");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return shell_main(opts, "standard input or output is not a terminal");
    if (!term || !*term || strcmp(term, "dumb") == 0)
        return shell_main(opts, "the terminal type (TERM) cannot draw the console");
    int rc = console_run(opts);
    if (rc < 0)
        return shell_main(opts, "curses cannot use this terminal type");
    return rc;
}
