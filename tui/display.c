/* Curses start and stop, the style table, and escaped text drawing. */
#include "config.h"

#include "tui/display.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static bool use_colors;

typedef struct style_def {
    short fg, bg;
    attr_t color_attr; /* added to the colour pair */
    attr_t mono_attr;  /* without colour */
} style_def;

/* -1: the terminal's default colour. */
static const style_def styles[STYLE_COUNT] = {
    [STYLE_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
    [STYLE_BAR] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    [STYLE_BAR_KEY] = {COLOR_WHITE, COLOR_BLACK, A_BOLD, A_BOLD},
    [STYLE_TITLE] = {-1, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [STYLE_SELECTED] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE},
    [STYLE_DIM] = {COLOR_BLUE, -1, A_NORMAL, A_DIM},
    [STYLE_APPLIED] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
    [STYLE_PENDING] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
    [STYLE_DIRTY] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [STYLE_DRIFTED] = {COLOR_MAGENTA, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [STYLE_MISSING] = {COLOR_RED, -1, A_NORMAL, A_UNDERLINE},
    [STYLE_INFO] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
    [STYLE_WARNING] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [STYLE_ERROR] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [STYLE_KEYWORD] = {COLOR_BLUE, -1, A_BOLD, A_BOLD},
    [STYLE_STRING] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
    [STYLE_COMMENT] = {COLOR_CYAN, -1, A_NORMAL, A_DIM},
    [STYLE_DIFF_ADD] = {COLOR_GREEN, -1, A_NORMAL, A_BOLD},
    [STYLE_DIFF_REMOVE] = {COLOR_RED, -1, A_NORMAL, A_DIM},
    [STYLE_DIFF_HUNK] = {COLOR_MAGENTA, -1, A_NORMAL, A_UNDERLINE},
    [STYLE_OWN] = {COLOR_BLACK, COLOR_GREEN, A_BOLD, A_BOLD | A_REVERSE},
    [STYLE_IDLE_TX] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [STYLE_WAITING] = {COLOR_RED, -1, A_NORMAL, A_UNDERLINE},
    [STYLE_DIALOG] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE},
};

bool display_start(bool no_color)
{
    if (!newterm(NULL, stdout, stdin))
        return false;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    use_colors = !no_color && has_colors();
    if (use_colors) {
        start_color();
        use_default_colors();
        for (int i = 1; i < STYLE_COUNT; i++)
            init_pair((short)i, styles[i].fg, styles[i].bg);
    }
    return true;
}

void display_stop(void)
{
    endwin();
}

bool display_colors(void)
{
    return use_colors;
}

attr_t style_attr(style s)
{
    if (s <= STYLE_NORMAL || s >= STYLE_COUNT)
        return A_NORMAL;
    if (!use_colors)
        return styles[s].mono_attr;
    return (attr_t)COLOR_PAIR(s) | styles[s].color_attr;
}

/* The text with control characters escaped, as wide characters. */
static wchar_t *wide_escaped(const char *text, size_t *length)
{
    strbuf sb = {0};
    text_escape_control(&sb, text ? text : "", false);
    const char *s = strbuf_str(&sb);
    size_t n = strlen(s);
    wchar_t *out = xcalloc(n + 1, sizeof *out);
    mbstate_t state;
    memset(&state, 0, sizeof state);
    size_t count = 0;
    while (*s) {
        wchar_t wc;
        size_t used = mbrtowc(&wc, s, strlen(s), &state);
        if (used == (size_t)-1 || used == (size_t)-2 || used == 0) {
            wc = L'?';
            used = 1;
            memset(&state, 0, sizeof state);
        }
        out[count++] = wc;
        s += used;
    }
    out[count] = L'\0';
    strbuf_free(&sb);
    *length = count;
    return out;
}

static int wide_width(wchar_t wc)
{
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

int draw_text(WINDOW *w, int y, int x, int width, const char *text, style s)
{
    if (width <= 0)
        return 0;
    size_t n;
    wchar_t *wide = wide_escaped(text, &n);
    int used = 0;
    size_t end = 0;
    while (end < n) {
        int cw = wide_width(wide[end]);
        if (used + cw > width)
            break;
        used += cw;
        end++;
    }
    attr_t attr = style_attr(s);
    wattron(w, attr);
    mvwaddnwstr(w, y, x, wide, (int)end);
    wattroff(w, attr);
    free(wide);
    return used;
}

int draw_textf(WINDOW *w, int y, int x, int width, style s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    int used = draw_text(w, y, x, width, text, s);
    free(text);
    return used;
}

void draw_fill(WINDOW *w, int y, int x, int width, style s)
{
    if (width <= 0)
        return;
    attr_t attr = style_attr(s);
    wattron(w, attr);
    mvwhline(w, y, x, ' ', width);
    wattroff(w, attr);
}

int text_columns(const char *text)
{
    size_t n;
    wchar_t *wide = wide_escaped(text, &n);
    int cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += wide_width(wide[i]);
    free(wide);
    return cols;
}

char *text_fit(const char *text, int width, bool right_align)
{
    size_t n;
    wchar_t *wide = wide_escaped(text, &n);
    int used = 0;
    size_t end = 0;
    while (end < n) {
        int cw = wide_width(wide[end]);
        if (used + cw > width)
            break;
        used += cw;
        end++;
    }
    strbuf sb = {0};
    if (right_align)
        for (int i = used; i < width; i++)
            strbuf_append_char(&sb, ' ');
    for (size_t i = 0; i < end; i++) {
        char mb[MB_LEN_MAX];
        mbstate_t state;
        memset(&state, 0, sizeof state);
        size_t len = wcrtomb(mb, wide[i], &state);
        if (len != (size_t)-1)
            strbuf_append_len(&sb, mb, len);
    }
    if (!right_align)
        for (int i = used; i < width; i++)
            strbuf_append_char(&sb, ' ');
    free(wide);
    return strbuf_detach(&sb);
}
