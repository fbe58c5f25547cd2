/* The migrations view: every version with its state, when it was applied,
 * whether it runs in a transaction and its worst lint finding; and a detail
 * pane on the selected one (SQL as sent, lint, locks, dry run, audit events). */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/apply.h"
#include "core/dryrun.h"
#include "core/lint.h"
#include "core/locks.h"
#include "core/util.h"
#include "tui/console.h"

/* ------------------------------------------------------------ pane text */

/* Lines of text, each with a style, and spans that override the style of
 * some bytes (SQL highlighting). Built once, drawn a screen at a time. */
typedef struct pane_line {
    size_t start, end;
    style s;
} pane_line;

typedef struct pane_span {
    size_t start, end;
    style s;
} pane_span;

typedef struct pane_text {
    strbuf text;
    pane_line *lines;
    size_t nlines, lines_cap;
    pane_span *spans;
    size_t nspans, spans_cap;
} pane_text;

static void pane_free(pane_text *p)
{
    strbuf_free(&p->text);
    free(p->lines);
    free(p->spans);
    memset(p, 0, sizeof *p);
}

/* One line per line of text (a final newline ends the last line). */
static void pane_add(pane_text *p, style s, const char *text)
{
    const char *t = text ? text : "";
    for (;;) {
        size_t n = strcspn(t, "\n");
        size_t start = p->text.len;
        strbuf_append_len(&p->text, t, n);
        strbuf_append_char(&p->text, '\n');
        p->lines = array_grow(p->lines, &p->lines_cap, p->nlines + 1, sizeof *p->lines);
        p->lines[p->nlines++] = (pane_line){start, start + n, s};
        if (!t[n] || !t[n + 1])
            break;
        t += n + 1;
    }
}

static void pane_addf(pane_text *p, style s, const char *fmt, ...) SW_PRINTF(3, 4);
static void pane_addf(pane_text *p, style s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    pane_add(p, s, text);
    free(text);
}

static void pane_span_add(pane_text *p, size_t start, size_t end, style s)
{
    p->spans = array_grow(p->spans, &p->spans_cap, p->nspans + 1, sizeof *p->spans);
    p->spans[p->nspans++] = (pane_span){start, end, s};
}

static int keyword_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted: looked up with bsearch. */
static const char *const sql_keywords[] = {
    "ADD",       "ALL",      "ALTER",       "AND",        "AS",           "ASC",
    "BEGIN",     "BETWEEN",  "BIGINT",      "BOOLEAN",    "BY",           "CASCADE",
    "CASE",      "CHECK",    "COLUMN",      "COMMIT",     "CONCURRENTLY", "CONSTRAINT",
    "CREATE",    "DEFAULT",  "DELETE",      "DESC",       "DISTINCT",     "DROP",
    "ELSE",      "END",      "EXCLUSIVE",   "EXISTS",     "EXTENSION",    "FALSE",
    "FOREIGN",   "FROM",     "FUNCTION",    "GRANT",      "GROUP",        "IF",
    "IMMEDIATE", "IN",       "INDEX",       "INSERT",     "INTEGER",      "INTO",
    "IS",        "JOIN",     "KEY",         "LANGUAGE",   "LIKE",         "LIMIT",
    "LOCAL",     "LOCK",     "MODE",        "NOT",        "NULL",         "ON",
    "OR",        "ORDER",    "PRIMARY",     "REFERENCES", "RENAME",       "REPLACE",
    "RESET",     "RESTRICT", "RETURNING",   "RETURNS",    "REVOKE",       "ROLLBACK",
    "SCHEMA",    "SELECT",   "SEQUENCE",    "SET",        "TABLE",        "TEXT",
    "THEN",      "TO",       "TRANSACTION", "TRIGGER",    "TRUE",         "TRUNCATE",
    "TYPE",      "UNIQUE",   "UPDATE",      "USING",      "VALID",        "VALIDATE",
    "VALUES",    "VIEW",     "WHEN",        "WHERE",      "WITH",
};

static bool is_keyword(const char *word, size_t n)
{
    char upper[16];
    if (n >= sizeof upper)
        return false;
    for (size_t i = 0; i < n; i++)
        upper[i] = (char)(word[i] >= 'a' && word[i] <= 'z' ? word[i] - 32 : word[i]);
    upper[n] = '\0';
    const char *key = upper;
    return bsearch(&key, sql_keywords, sizeof sql_keywords / sizeof sql_keywords[0],
                   sizeof sql_keywords[0], keyword_compare) != NULL;
}

static bool word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || (unsigned char)ch >= 0x80;
}

/* Spans for keywords, strings and comments of the SQL in text[from..]. A
 * small tokenizer is enough: it only colours, the server parses. */
static void highlight_sql(pane_text *p, size_t from)
{
    const char *t = p->text.data;
    size_t n = p->text.len, i = from;
    while (i < n) {
        char ch = t[i];
        size_t j = i + 1;
        if (ch == '-' && j < n && t[j] == '-') {
            while (j < n && t[j] != '\n')
                j++;
            pane_span_add(p, i, j, STYLE_COMMENT);
        } else if (ch == '/' && j < n && t[j] == '*') {
            const char *close = strstr(t + i + 2, "*/");
            j = close ? (size_t)(close - t) + 2 : n;
            pane_span_add(p, i, j, STYLE_COMMENT);
        } else if (ch == '\'') {
            while (j < n && !(t[j] == '\'' && (j + 1 >= n || t[j + 1] != '\'')))
                j += t[j] == '\'' ? 2 : 1;
            j = j < n ? j + 1 : n;
            pane_span_add(p, i, j, STYLE_STRING);
        } else if (ch == '"') {
            while (j < n && t[j] != '"')
                j++;
            j = j < n ? j + 1 : n;
        } else if (ch == '$') {
            /* $tag$ ... $tag$ */
            while (j < n && word_char(t[j]) && !(t[j] >= '0' && t[j] <= '9' && j == i + 1))
                j++;
            if (j < n && t[j] == '$') {
                size_t tag = j + 1 - i;
                char *mark = xstrndup(t + i, tag);
                const char *close = strstr(t + j + 1, mark);
                free(mark);
                j = close ? (size_t)(close - t) + tag : n;
                pane_span_add(p, i, j, STYLE_STRING);
            }
        } else if (word_char(ch) && !(ch >= '0' && ch <= '9')) {
            while (j < n && (word_char(t[j]) || t[j] == '$'))
                j++;
            if (is_keyword(t + i, j - i))
                pane_span_add(p, i, j, STYLE_KEYWORD);
        } else if (ch >= '0' && ch <= '9') {
            while (j < n && word_char(t[j]))
                j++;
        }
        i = j;
    }
}

/* SQL lines, highlighted; the text is kept byte for byte. */
static void pane_add_sql(pane_text *p, const char *sql)
{
    size_t from = p->text.len;
    pane_add(p, STYLE_NORMAL, sql);
    highlight_sql(p, from);
}

/* The first span that ends after `offset`. */
static size_t span_from(const pane_text *p, size_t offset)
{
    size_t lo = 0, hi = p->nspans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->spans[mid].end <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Columns a character takes once drawn, escaped as draw_text escapes it
 * (\r, \x1B, \u0085); *len gets its bytes. */
static int char_columns(const char *s, size_t n, size_t *len)
{
    unsigned char ch = (unsigned char)*s;
    *len = 1;
    if (ch == '\r' || ch == '\n')
        return 2;
    if (ch < 0x20 || ch == 0x7f)
        return 4;
    if (ch < 0x80)
        return 1;
    mbstate_t ms;
    memset(&ms, 0, sizeof ms);
    wchar_t wc;
    size_t used = mbrtowc(&wc, s, n, &ms);
    if (used == (size_t)-1 || used == (size_t)-2 || used == 0)
        return 4;
    *len = used;
    if (wc >= 0x80 && wc < 0xa0)
        return 6;
    int cw = wcwidth(wc);
    return cw < 0 ? 1 : cw;
}

static style style_at(const pane_text *p, const pane_line *ln, size_t *k, size_t i)
{
    while (*k < p->nspans && p->spans[*k].end <= i)
        (*k)++;
    return *k < p->nspans && p->spans[*k].start <= i ? p->spans[*k].s : ln->s;
}

static void draw_piece(WINDOW *w, int y, int x, int width, const char *t, size_t start, size_t end,
                       style s)
{
    if (!w || end <= start || t[start] == '\t')
        return;
    char *piece = xstrndup(t + start, end - start);
    draw_text(w, y, x, width, piece, s);
    free(piece);
}

/* One line wrapped at cols, in pieces of one style, tabs to the next
 * multiple of 8; at most max_rows rows drawn (none when w is NULL: it only
 * counts). Returns the rows the line takes. */
static int pane_line_draw(const pane_text *p, const pane_line *ln, WINDOW *w, int y, int x,
                          int cols, int max_rows)
{
    const char *t = p->text.data;
    size_t k = span_from(p, ln->start), i = ln->start, start = i;
    int row = 0, col = 0, start_col = 0;
    style s = ln->s;
    while (i < ln->end) {
        style here = style_at(p, ln, &k, i);
        size_t len = 1;
        int cw = t[i] == '\t' ? 8 - col % 8 : char_columns(t + i, ln->end - i, &len);
        bool wrap = col > 0 && col + cw > cols;
        if (here != s || wrap || t[i] == '\t' || t[start] == '\t') {
            if (row < max_rows)
                draw_piece(w, y + row, x + start_col, cols - start_col, t, start, i, s);
            start = i;
            s = here;
            start_col = col;
        }
        if (wrap) {
            row++;
            col = start_col = 0;
            if (t[i] == '\t')
                cw = 8;
        }
        col += cw;
        if (col > cols)
            col = cols;
        i += len;
    }
    if (row < max_rows)
        draw_piece(w, y + row, x + start_col, cols - start_col, t, start, i, s);
    return row + 1;
}

/* ---------------------------------------------------------- copies */

/* Jobs run on the database worker while the console may reload the
 * folder: they work on their own copies of the migrations. */
static void script_copy(migration_script *to, const migration_script *from)
{
    to->path = xstrdup(from->path ? from->path : "");
    memcpy(to->digest, from->digest, sizeof to->digest);
    to->length = from->length;
    to->line = from->line;
    to->directives.no_transaction = from->directives.no_transaction;
    to->directives.lock_timeout =
        from->directives.lock_timeout ? xstrdup(from->directives.lock_timeout) : NULL;
    to->directives.statement_timeout =
        from->directives.statement_timeout ? xstrdup(from->directives.statement_timeout) : NULL;
}

static void script_copy_free(migration_script *s)
{
    free(s->path);
    script_directives_free(&s->directives);
}

static void migration_copy(migration *to, const migration *from)
{
    memset(to, 0, sizeof *to);
    to->version = xstrdup(from->version);
    to->name = xstrdup(from->name);
    script_copy(&to->up, &from->up);
    to->has_down = from->has_down;
    if (from->has_down)
        script_copy(&to->down, &from->down);
    memcpy(to->checksum, from->checksum, sizeof to->checksum);
}

static void migration_copy_free(migration *m)
{
    free(m->version);
    free(m->name);
    script_copy_free(&m->up);
    if (m->has_down)
        script_copy_free(&m->down);
}

/* Steps of a plan with their own copies of the migrations. */
typedef struct step_copies {
    migration *migrations;
    status_entry *entries;
    plan_step *steps;
    size_t count;
} step_copies;

static void steps_copy(step_copies *to, const plan_step *steps, size_t count)
{
    to->count = count;
    to->migrations = xcalloc(count + 1, sizeof *to->migrations);
    to->entries = xcalloc(count + 1, sizeof *to->entries);
    to->steps = xcalloc(count + 1, sizeof *to->steps);
    for (size_t i = 0; i < count; i++) {
        migration_copy(&to->migrations[i], steps[i].e->m);
        to->entries[i] = *steps[i].e;
        to->entries[i].m = &to->migrations[i];
        to->entries[i].version = to->migrations[i].version;
        to->entries[i].name = to->migrations[i].name;
        to->entries[i].h = NULL;
        to->steps[i].e = &to->entries[i];
        to->steps[i].down = steps[i].down;
    }
}

static void steps_copy_free(step_copies *s)
{
    for (size_t i = 0; i < s->count; i++)
        migration_copy_free(&s->migrations[i]);
    free(s->migrations);
    free(s->entries);
    free(s->steps);
}

/* ------------------------------------------------------------ state */

enum detail_tab { TAB_SQL, TAB_LINT, TAB_LOCKS, TAB_DIFF, TAB_HISTORY, TAB_COUNT };
static const char *const tab_names[TAB_COUNT] = {"SQL", "Lint", "Locks", "Diff", "History"};

/* Worst lint finding per entry: 0 not computed yet. */
enum {
    LINT_UNKNOWN,
    LINT_CLEAN,
    LINT_WORST_HINT,
    LINT_WORST_WARNING,
    LINT_WORST_ERROR,
    LINT_PARSE_ERROR
};

struct dry_job;

typedef struct migrations_state {
    list_cursor cursor;
    size_t *rows; /* indices into c->status.entries, filtered */
    size_t nrows, rows_cap;
    char *filter;
    char *selected_version;   /* kept across reloads */
    unsigned long generation; /* of rows and the lint cache */
    bool built;
    unsigned char *worst; /* per entry */
    int version_width;
    int list_rows;

    bool pane_open, pane_focus;
    int tab;
    long pane_top;
    int pane_rows, pane_cols;
    unsigned long seq; /* bumped when data the pane shows arrives */

    pane_text pane; /* what the pane shows, built for: */
    bool pane_valid;
    int pane_tab;
    char *pane_version;
    unsigned long pane_generation, pane_seq;

    pane_text sql; /* the SQL job's result, for: */
    char *sql_version;
    unsigned long sql_generation;
    bool sql_busy;

    pane_text diff; /* the last dry run's result, for: */
    char *diff_version;
    struct dry_job *dry; /* running */
    char *dry_version;
} migrations_state;

static migrations_state *state_of(console *c)
{
    return c->view_state[VIEW_MIGRATIONS];
}

static const status_entry *selected_entry(const migrations_state *st, const console *c)
{
    if (!st->nrows || st->cursor.selected < 0 || (size_t)st->cursor.selected >= st->nrows)
        return NULL;
    return &c->status.entries[st->rows[st->cursor.selected]];
}

static void remember_selection(migrations_state *st, const console *c)
{
    const status_entry *e = selected_entry(st, c);
    if (e && st->selected_version && strcmp(e->version, st->selected_version) == 0)
        return;
    free(st->selected_version);
    st->selected_version = e ? xstrdup(e->version) : NULL;
}

static bool contains_folded(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && (hay[i] | 0x20) == (needle[i] | 0x20))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* The rows after a reload or a new filter, the selection kept on its
 * version (or the nearest row). */
static void rebuild_rows(migrations_state *st, console *c)
{
    st->nrows = 0;
    const char *f = st->filter && *st->filter ? st->filter : NULL;
    long keep = -1;
    int width = 7;
    for (size_t i = 0; i < c->status.count; i++) {
        const status_entry *e = &c->status.entries[i];
        int len = (int)strlen(e->version);
        if (len > width)
            width = len;
        if (f && !strstr(e->version, f) && !contains_folded(e->name ? e->name : "", f))
            continue;
        if (st->selected_version && keep < 0 &&
            version_compare(e->version, st->selected_version) >= 0)
            keep = (long)st->nrows;
        st->rows = array_grow(st->rows, &st->rows_cap, st->nrows + 1, sizeof *st->rows);
        st->rows[st->nrows++] = i;
    }
    st->version_width = width > 20 ? 20 : width;
    if (keep >= 0)
        st->cursor.selected = keep;
    else if (st->selected_version)
        st->cursor.selected = (long)st->nrows - 1;
    list_cursor_clamp(&st->cursor, (long)st->nrows, st->list_rows > 0 ? st->list_rows : 1);
    free(st->worst);
    st->worst = xcalloc(c->status.count + 1, 1);
    st->generation = c->generation;
    st->built = true;
    remember_selection(st, c);
}

/* ------------------------------------------------------------ lint */

static sql_dialect dialect_of(const console *c)
{
    return c->target_ok && c->target.kind == DB_SQLITE ? SQL_SQLITE : SQL_POSTGRES;
}

/* Parse and lint one script as `stepwise lint` does (a dbmate section
 * preceded by newlines so that positions are those of the file). Each
 * migration is linted on its own: no column types carried from earlier
 * ones. False (and why in *err) when the file cannot be read again, or
 * changed since the folder was read. */
static bool lint_one(const migration_script *sc, bool down, sql_dialect dialect, sql_script *out,
                     lint_findings *findings, sw_error *err)
{
    strbuf sb = {0};
    for (int l = 1; l < sc->line; l++)
        strbuf_append_char(&sb, '\n');
    memset(out, 0, sizeof *out);
    bool ok = migration_script_text(sc, &sb, err) == SW_OK &&
              sql_script_parse(out, sc->path, strbuf_str(&sb), sb.len, dialect, err) == SW_OK;
    strbuf_free(&sb);
    if (!ok)
        return false;
    lint_options lo = {.no_transaction = sc->directives.no_transaction,
                       .lock_timeout_set = sc->directives.lock_timeout != NULL,
                       .down = down};
    lint_schema scratch = {0};
    lint_script(out, &lo, &scratch, findings);
    lint_schema_free(&scratch);
    return true;
}

static unsigned char worst_of(const migration *m, sql_dialect dialect)
{
    unsigned char worst = LINT_CLEAN;
    for (int down = 0; down <= (m->has_down ? 1 : 0); down++) {
        sql_script script;
        lint_findings f = {0};
        sw_error err = {0};
        bool ok = lint_one(down ? &m->down : &m->up, down, dialect, &script, &f, &err);
        sw_error_clear(&err);
        if (!ok)
            return LINT_PARSE_ERROR;
        if (sql_script_errors(&script))
            worst = LINT_PARSE_ERROR;
        for (size_t i = 0; i < f.count && worst != LINT_PARSE_ERROR; i++) {
            if (f.items[i].allowed)
                continue;
            unsigned char w = f.items[i].severity == LINT_ERROR     ? LINT_WORST_ERROR
                              : f.items[i].severity == LINT_WARNING ? LINT_WORST_WARNING
                                                                    : LINT_WORST_HINT;
            if (w > worst)
                worst = w;
        }
        lint_findings_free(&f);
        sql_script_free(&script);
    }
    return worst;
}

/* Computed for the rows drawn only, and kept for this generation. */
static unsigned char entry_worst(migrations_state *st, console *c, size_t index)
{
    const status_entry *e = &c->status.entries[index];
    if (!e->m)
        return LINT_UNKNOWN;
    if (st->worst[index] == LINT_UNKNOWN)
        st->worst[index] = worst_of(e->m, dialect_of(c));
    return st->worst[index];
}

static void lint_lines(pane_text *p, const migration_script *sc, bool down, sql_dialect dialect,
                       size_t *count)
{
    sql_script script;
    lint_findings f = {0};
    sw_error err = {0};
    if (!lint_one(sc, down, dialect, &script, &f, &err)) {
        pane_add(p, STYLE_ERROR, err.message);
        sw_error_clear(&err);
        (*count)++;
        return;
    }
    for (size_t i = 0; i < script.count; i++) {
        const sql_statement *s = &script.statements[i];
        if (!s->error)
            continue;
        pane_addf(p, STYLE_ERROR, "%s:%d:%d: error: %s", sc->path, s->error_line, s->error_column,
                  s->error);
        char *first = xstrndup(s->text, strcspn(s->text, "\n"));
        pane_addf(p, STYLE_DIM, "    not analysed: %s", first);
        free(first);
        (*count)++;
    }
    for (size_t i = 0; i < f.count; i++) {
        const lint_finding *x = &f.items[i];
        style s = x->allowed                    ? STYLE_DIM
                  : x->severity == LINT_ERROR   ? STYLE_ERROR
                  : x->severity == LINT_WARNING ? STYLE_WARNING
                                                : STYLE_INFO;
        pane_addf(p, s, "%s:%d:%d: %s%s[%s]: %s", sc->path, x->line, x->column,
                  x->allowed ? "allowed " : "", lint_severity_name(x->severity), x->rule->id,
                  x->message);
        if (x->allowed)
            pane_addf(p, STYLE_DIM, "    allowed: %s", x->allowed);
        else if (x->hint)
            pane_addf(p, STYLE_NORMAL, "    hint: %s", x->hint);
        (*count)++;
    }
    lint_findings_free(&f);
    sql_script_free(&script);
}

static void build_lint(pane_text *p, const console *c, const status_entry *e)
{
    size_t count = 0;
    lint_lines(p, &e->m->up, false, dialect_of(c), &count);
    if (e->m->has_down)
        lint_lines(p, &e->m->down, true, dialect_of(c), &count);
    if (!count)
        pane_addf(p, STYLE_APPLIED, "no findings in %s%s%s", e->m->up.path,
                  e->m->has_down ? " or " : "", e->m->has_down ? e->m->down.path : "");
    pane_add(p, STYLE_DIM,
             "(linted on its own: `stepwise lint` also follows column types "
             "through the earlier migrations)");
}

/* ------------------------------------------------------------ SQL */

/* What the SQL and dry-run jobs share: copies of what they run, the
 * settings of the moment, and the text they leave for the pane. */
typedef struct job_common {
    console *c; /* see each job for what of it the job may use */
    step_copies steps;
    char *lock_timeout, *statement_timeout;
    char *version;
    pane_text out;
} job_common;

static void job_common_init(job_common *j, console *c, const plan_step *steps, size_t count,
                            const char *version)
{
    j->c = c;
    steps_copy(&j->steps, steps, count);
    j->lock_timeout = c->settings.lock_timeout ? xstrdup(c->settings.lock_timeout) : NULL;
    j->statement_timeout =
        c->settings.statement_timeout ? xstrdup(c->settings.statement_timeout) : NULL;
    j->version = xstrdup(version);
}

static void job_common_free(job_common *j)
{
    steps_copy_free(&j->steps);
    free(j->lock_timeout);
    free(j->statement_timeout);
    free(j->version);
    pane_free(&j->out);
}

typedef struct sql_job {
    job_common base; /* base.c: c->conn and c->table only */
    bool note_resume;
    char *actor_text;
    unsigned long generation;
} sql_job;

static void sql_job_free(sql_job *j)
{
    job_common_free(&j->base);
    free(j->actor_text);
    free(j);
}

/* The same preparation and the same header as `stepwise plan`, so that
 * the text is what the engine sends. */
static void sql_run(void *arg)
{
    sql_job *j = arg;
    run_settings rs = {.lock_timeout = j->base.lock_timeout,
                       .statement_timeout = j->base.statement_timeout};
    bool measured = false;
    for (size_t i = 0; i < j->base.steps.count; i++) {
        const plan_step *step = &j->base.steps.steps[i];
        const status_entry *e = step->e;
        if (j->base.steps.count > 1)
            pane_add(&j->base.out, STYLE_TITLE,
                     step->down ? "Rollback (the down script), as `stepwise down` sends it:"
                                : "The up script, as `stepwise up` sends it (again):");
        migration_run run;
        sw_error err = {0};
        if (migration_run_prepare(j->base.c->conn, &j->base.c->table, &rs, step, j->actor_text,
                                  &run, &err) != SW_OK) {
            pane_add(&j->base.out, STYLE_ERROR, err.message);
            sw_error_clear(&err);
            pane_add(&j->base.out, STYLE_NORMAL, "");
            continue;
        }
        pane_addf(&j->base.out, STYLE_COMMENT, "-- %s %s %s (%s, %s)",
                  run.down ? "roll back" : "apply", e->version, e->name, run.script->path,
                  run.transactional ? "in a transaction" : "no transaction");
        pane_add_sql(&j->base.out, run.sql);
        pane_add(&j->base.out, STYLE_NORMAL, "");
        measured |= strstr(run.sql, ":duration_ms") != NULL;
        migration_run_free(&run);
    }
    if (measured)
        pane_add(&j->base.out, STYLE_COMMENT,
                 "-- SQLite: :duration_ms is the measured time, written when the migration "
                 "commits");
    if (j->note_resume)
        pane_add(&j->base.out, STYLE_DIM,
                 "(dirty: `stepwise resume` goes on from the statement that failed)");
}

static void sql_done(void *context, void *arg)
{
    console *c = context;
    sql_job *j = arg;
    migrations_state *st = c ? state_of(c) : NULL;
    if (st) {
        pane_free(&st->sql);
        st->sql = j->base.out;
        memset(&j->base.out, 0, sizeof j->base.out);
        free(st->sql_version);
        st->sql_version = xstrdup(j->base.version);
        st->sql_generation = j->generation;
        st->sql_busy = false;
        st->seq++;
    }
    sql_job_free(j);
}

static void request_sql(migrations_state *st, console *c, const status_entry *e)
{
    if (st->sql_busy || !c->connected || !e->m)
        return;
    if (st->sql_version && st->sql_generation == c->generation &&
        strcmp(st->sql_version, e->version) == 0)
        return;
    plan_step steps[2];
    size_t n = 0;
    bool applied = e->state == STATE_APPLIED || e->state == STATE_DRIFTED;
    if (applied && e->m->has_down)
        steps[n++] = (plan_step){e, true};
    steps[n++] = (plan_step){e, false};
    sql_job *j = xcalloc(1, sizeof *j);
    job_common_init(&j->base, c, steps, n, e->version);
    j->note_resume = e->state == STATE_DIRTY;
    audit_actor actor;
    audit_actor_system(&actor);
    actor.db_user = c->server.user;
    j->actor_text = history_actor_text(&actor);
    j->generation = c->generation;
    st->sql_busy = true;
    console_post(c, "preparing the SQL", sql_run, sql_done, j);
}

static void build_sql(pane_text *p, migrations_state *st, console *c, const status_entry *e)
{
    if (!e->m) {
        pane_addf(p, STYLE_MISSING,
                  "version %s is recorded but no file has it: there is no SQL to show", e->version);
        return;
    }
    if (!c->connected) {
        pane_add(p, STYLE_WARNING,
                 c->connect_error ? "not connected: the SQL sent depends on the database"
                                  : "connecting: the SQL sent depends on the database...");
        if (c->connect_error)
            pane_add(p, STYLE_ERROR, c->connect_error);
        return;
    }
    if (st->sql_version && st->sql_generation == c->generation &&
        strcmp(st->sql_version, e->version) == 0) {
        /* A copy: the pane is rebuilt, the job's result is kept. */
        for (size_t i = 0; i < st->sql.nlines; i++) {
            const pane_line *ln = &st->sql.lines[i];
            size_t start = p->text.len;
            strbuf_append_len(&p->text, st->sql.text.data + ln->start, ln->end - ln->start);
            strbuf_append_char(&p->text, '\n');
            p->lines = array_grow(p->lines, &p->lines_cap, p->nlines + 1, sizeof *p->lines);
            p->lines[p->nlines++] = (pane_line){start, start + (ln->end - ln->start), ln->s};
        }
        for (size_t i = 0; i < st->sql.nspans; i++)
            pane_span_add(p, st->sql.spans[i].start, st->sql.spans[i].end, st->sql.spans[i].s);
        return;
    }
    request_sql(st, c, e);
    pane_add(p, STYLE_DIM, "preparing the SQL...");
}

/* ------------------------------------------------------------ locks */

/* The script that would run next: the rollback for an applied version. */
static const migration_script *next_script(const status_entry *e, bool *down)
{
    *down = (e->state == STATE_APPLIED || e->state == STATE_DRIFTED) && e->m->has_down;
    return *down ? &e->m->down : &e->m->up;
}

/* "orders" names public.orders and any other schema's orders; a written
 * schema must match. */
static bool same_relation(const char *predicted, const char *live)
{
    if (strcmp(predicted, live) == 0)
        return true;
    if (strchr(predicted, '.'))
        return false;
    const char *dot = strrchr(live, '.');
    return dot && strcmp(dot + 1, predicted) == 0;
}

static void live_sessions(pane_text *p, const console *c, const sql_lock *l)
{
    const monitor_snapshot *s = &c->snapshot;
    size_t shown = 0;
    for (size_t i = 0; i < s->nrelation_locks; i++) {
        const monitor_relation_lock *r = &s->relation_locks[i];
        if (!r->relation || !same_relation(l->relation, r->relation))
            continue;
        lock_mode held = lock_mode_from_name(r->mode);
        bool conflict = r->granted && lock_modes_conflict(held, l->mode);
        const monitor_session *who = monitor_find(s, r->pid);
        /* The relation is the one above, unless another schema's. */
        bool other =
            strcmp(r->relation, l->relation) != 0 &&
            !(strncmp(r->relation, "public.", 7) == 0 && strcmp(r->relation + 7, l->relation) == 0);
        pane_addf(p, conflict ? STYLE_WAITING : STYLE_DIM, "        pid %d%s%s%s %s %s%s%s%s",
                  r->pid, who && who->user ? " (" : "", who && who->user ? who->user : "",
                  who && who->user ? ")" : "", r->granted ? "holds" : "waits for", r->mode,
                  other ? " on " : "", other ? r->relation : "",
                  conflict ? ": the migration would wait" : "");
        shown++;
    }
    if (!shown)
        pane_add(p, STYLE_DIM, "        no live session holds or waits on it");
}

static void build_locks(pane_text *p, const console *c, const status_entry *e)
{
    if (!c->target_ok || c->target.kind != DB_POSTGRES) {
        pane_add(p, STYLE_WARNING,
                 "Locks per relation need PostgreSQL: SQLite locks the whole "
                 "database file for writing while a migration runs.");
        return;
    }
    bool down;
    const migration_script *sc = next_script(e, &down);
    sql_script script;
    memset(&script, 0, sizeof script);
    sw_error err = {0};
    strbuf text = {0};
    sw_status parsed = migration_script_text(sc, &text, &err);
    if (parsed == SW_OK)
        parsed = sql_script_parse(&script, sc->path, strbuf_str(&text), text.len, SQL_POSTGRES,
                                  &err);
    strbuf_free(&text);
    if (parsed != SW_OK) {
        pane_add(p, STYLE_ERROR, err.message);
        sw_error_clear(&err);
        return;
    }
    pane_addf(p, STYLE_TITLE, "Predicted locks of %s (%s)%s", sc->path,
              down ? "the rollback" : "the up script",
              sc->directives.no_transaction ? ", no transaction: each statement's own" : "");
    if (c->monitor_error)
        pane_addf(p, STYLE_ERROR, "monitor: %s", c->monitor_error);
    else if (!c->have_snapshot || !c->snapshot.have_relation_locks)
        pane_add(p, STYLE_DIM, "(reading the live sessions' locks...)");
    for (size_t i = 0; i < script.count; i++) {
        const sql_statement *s = &script.statements[i];
        if (s->error) {
            pane_addf(p, STYLE_ERROR, "[%zu] line %d: not analysed: %s", i + 1,
                      sc->line + s->line - 1, s->error);
            continue;
        }
        pane_addf(p, STYLE_NORMAL, "[%zu] line %d  %s%s%s%s%s", i + 1, sc->line + s->line - 1,
                  s->kind ? s->kind : "statement", s->detail ? " (" : "",
                  s->detail ? s->detail : "", s->detail ? ")" : "",
                  s->transactional ? "" : "  [cannot run in a transaction]");
        if (s->nlocks == 0)
            pane_add(p, STYLE_DIM, "    no table locks");
        for (size_t k = 0; k < s->nlocks; k++) {
            const sql_lock *l = &s->locks[k];
            pane_addf(p, l->mode >= LOCK_SHARE ? STYLE_WARNING : STYLE_NORMAL, "    %-22s %s%s: %s",
                      lock_mode_name(l->mode), l->relation,
                      l->created && l->index ? " (new index)"
                      : l->created           ? " (new)"
                      : l->index             ? " (index)"
                                             : "",
                      lock_mode_effect(l->mode));
            if (c->have_snapshot && c->snapshot.have_relation_locks && !l->created)
                live_sessions(p, c, l);
        }
    }
    sql_script_free(&script);
}

/* ------------------------------------------------------------ history */

static void build_history(pane_text *p, const console *c, const status_entry *e)
{
    if (!c->events) {
        pane_add(p, c->events_error ? STYLE_ERROR : STYLE_DIM,
                 c->events_error ? c->events_error
                 : !c->connected ? "not connected: the audit events are in the database"
                                 : "reading the audit events...");
        return;
    }
    const db_result *r = c->events;
    int at = db_result_column(r, "at"), actor = db_result_column(r, "actor"),
        action = db_result_column(r, "action"), version = db_result_column(r, "version"),
        outcome = db_result_column(r, "outcome"), detail = db_result_column(r, "detail");
    size_t shown = 0;
    for (int i = 0; i < r->nrows && version >= 0; i++) {
        const char *v = db_result_value(r, i, version);
        if (!v || strcmp(v, e->version) != 0)
            continue;
        const char *out = outcome >= 0 ? db_result_value(r, i, outcome) : NULL;
        style s = !out || strcmp(out, "ok") == 0 ? STYLE_NORMAL : STYLE_WARNING;
        pane_addf(p, s, "%s  %s  %s  %s",
                  at >= 0 && db_result_value(r, i, at) ? db_result_value(r, i, at) : "",
                  action >= 0 && db_result_value(r, i, action) ? db_result_value(r, i, action) : "",
                  out ? out : "",
                  actor >= 0 && db_result_value(r, i, actor) ? db_result_value(r, i, actor) : "");
        const char *d = detail >= 0 ? db_result_value(r, i, detail) : NULL;
        if (d && *d)
            pane_addf(p, STYLE_DIM, "    %s", d);
        shown++;
    }
    if (!shown)
        pane_addf(p, STYLE_DIM, "no audit events for version %s (of the latest %d)", e->version,
                  r->nrows);
}

/* ------------------------------------------------------------ dry run */

typedef struct dry_job {
    job_common base; /* base.c: c->target and c->opts.table only */
    size_t focus;
    char *audit_path;
    atomic_bool cancel;
} dry_job;

static void dry_job_free(dry_job *j)
{
    job_common_free(&j->base);
    free(j->audit_path);
    free(j);
}

static void dry_statement_lines(pane_text *p, const migration_run *run, const dry_statement *ds,
                                bool pg)
{
    const sql_statement *st = &run->parsed.statements[ds->index];
    size_t n = strcspn(st->text, "\n");
    pane_addf(p, STYLE_NORMAL, "  [%zu] line %d  %s  %.1f ms, %lld row%s: %.*s%s", ds->index + 1,
              run->script->line + st->line - 1, st->kind ? st->kind : "statement",
              ds->seconds * 1000, ds->rows, ds->rows == 1 ? "" : "s", (int)(n > 60 ? 60 : n),
              st->text, n > 60 || st->text[n] ? " ..." : "");
    if (!pg)
        return;
    if (!ds->locks_observed)
        pane_add(p, STYLE_DIM, "      locks not observed (run in autocommit)");
    for (size_t i = 0; i < ds->nchecks; i++) {
        const dry_lock_check *k = &ds->checks[i];
        if (k->verdict == LOCK_AS_PREDICTED)
            pane_addf(p, STYLE_NORMAL, "      ok %s: %s, as predicted", k->relation,
                      lock_mode_name(k->taken));
        else
            pane_addf(p, k->mismatch ? STYLE_ERROR : STYLE_NORMAL,
                      "      %s %s: predicted %s, taken %s (%s)", k->mismatch ? "MISMATCH" : "ok",
                      k->relation, k->predicted ? lock_mode_name(k->predicted) : "nothing",
                      k->taken ? lock_mode_name(k->taken) : "nothing",
                      lock_verdict_name(k->verdict));
    }
    for (size_t i = 0; i < ds->ntaken; i++) {
        const dry_lock *l = &ds->taken[i];
        if (strcmp(l->locktype, "relation") == 0)
            continue; /* in the checks above */
        pane_addf(p, STYLE_DIM, "      also took %s on %s%s", lock_mode_pg_name(l->mode), l->object,
                  l->granted ? "" : " (NOT GRANTED)");
    }
}

static void dry_result_lines(dry_job *j, const migration_run *runs, const dry_run_result *res,
                             bool pg)
{
    pane_text *p = &j->base.out;
    size_t next = 0;
    for (size_t m = 0; m < j->base.steps.count; m++) {
        const status_entry *e = j->base.steps.steps[m].e;
        pane_addf(p, STYLE_TITLE, "%s %s %s (%s)%s", runs[m].down ? "roll back" : "apply",
                  e->version, e->name, runs[m].script->path,
                  m < j->focus ? ", run first: the one in focus needs it" : "");
        for (; next < res->count && res->statements[next].migration == m; next++)
            dry_statement_lines(p, &runs[m], &res->statements[next], pg);
    }
    if (!pg)
        pane_add(p, STYLE_DIM,
                 "(SQLite takes one lock on the whole file: no locks per relation to show)");
    if (res->have_diff) {
        pane_add(p, STYLE_NORMAL, "");
        pane_addf(p, STYLE_TITLE, "schema diff%s:", j->focus ? " of the version in focus" : "");
        char *d = schema_diff_text(&res->diff);
        for (const char *line = d; *line;) {
            size_t n = strcspn(line, "\n");
            char *one = xstrndup(line, n);
            style s = one[0] == '+' && one[1] != '+'   ? STYLE_DIFF_ADD
                      : one[0] == '-' && one[1] != '-' ? STYLE_DIFF_REMOVE
                      : strncmp(one, "@@", 2) == 0     ? STYLE_DIFF_HUNK
                                                       : STYLE_NORMAL;
            pane_add(p, s, one);
            free(one);
            line += n + (line[n] ? 1 : 0);
        }
        free(d);
    }
    if (!res->ok) {
        pane_add(p, STYLE_ERROR, res->message ? res->message : "failed");
        pane_addf(p, STYLE_ERROR, "the dry run stopped there%s and was rolled back",
                  res->lock_timeout ? " (lock timeout: another session holds a lock it needs)"
                  : res->cancelled  ? " (cancelled)"
                                    : "");
    }
    pane_add(p, STYLE_NORMAL, "");
    pane_addf(p, res->mismatches ? STYLE_WARNING : STYLE_APPLIED,
              "rolled back after %.0f ms: %zu statement%s run, %zu lock mismatch%s with the "
              "analysis; nothing was kept",
              res->seconds * 1000, res->count, res->count == 1 ? "" : "s", res->mismatches,
              res->mismatches == 1 ? "" : "es");
}

/* Recorded as `stepwise diff` records it: action dry_run. */
static void dry_audit(dry_job *j, runner *r, bool events_exist, const dry_run_result *res)
{
    strbuf sb = {0};
    dry_run_summary(&sb, j->base.steps.count, res);
    strbuf_append(&sb, "; from the console");
    if (res->message)
        strbuf_appendf(&sb, "; %s", res->message);
    const char *outcome = dry_run_outcome(res);
    sw_error err = {0};
    sw_status st =
        events_exist
            ? runner_audit(r, "dry_run", j->base.version, outcome, strbuf_str(&sb), &err)
            : runner_audit_local(r, "dry_run", j->base.version, outcome, strbuf_str(&sb), &err);
    if (st != SW_OK)
        pane_addf(&j->base.out, STYLE_WARNING, "warning: the dry run was not recorded: %s",
                  err.message);
    sw_error_clear(&err);
    strbuf_free(&sb);
}

/* The history read again under the migration lock: the plan was made
 * from what the console read before, which may be stale. */
static bool plan_still_holds(dry_job *j, const history_data *h)
{
    for (size_t i = 0; i < j->base.steps.count; i++) {
        const plan_step *s = &j->base.steps.steps[i];
        const history_row *row = history_find(h, s->e->version);
        if (s->down ? !row || row->dirty : row != NULL) {
            pane_addf(&j->base.out, STYLE_ERROR,
                      "version %s changed state since the console read the history: press R "
                      "and dry-run again; nothing was run",
                      s->e->version);
            return false;
        }
    }
    return true;
}

/* The work connection and the migration lock of `stepwise diff`, opened
 * here for the job; the console's own connection stays idle meanwhile. */
static void dry_run_job(void *arg)
{
    dry_job *j = arg;
    run_settings rs = {.lock_timeout = j->base.lock_timeout,
                       .statement_timeout = j->base.statement_timeout,
                       .audit_path = j->audit_path};
    audit_actor_system(&rs.actor);
    runner *r = NULL;
    sw_error err = {0};
    history_data hist = {0};
    migration_run *runs = xcalloc(j->base.steps.count + 1, sizeof *runs);
    size_t prepared = 0;
    bool ok =
        runner_open(&j->base.c->target, j->base.c->opts.table, &rs, false, &r, &err) == SW_OK &&
        history_read(runner_db(r), runner_table(r), &hist, &err) == SW_OK;
    if (ok && !plan_still_holds(j, &hist))
        goto out;
    for (; ok && prepared < j->base.steps.count; prepared++)
        ok = migration_run_prepare(runner_db(r), runner_table(r), &rs,
                                   &j->base.steps.steps[prepared], runner_actor(r), &runs[prepared],
                                   &err) == SW_OK;
    dry_run *dr = NULL;
    if (ok)
        ok = dry_run_start(runner_db(r), runner_table(r), runs, j->base.steps.count, j->focus,
                           j->base.lock_timeout, &dr, &err) == SW_OK;
    if (!ok) {
        pane_addf(&j->base.out, STYLE_ERROR, "%s; nothing was run", err.message);
        goto out;
    }
    bool done = false, cancelled = false;
    while (!done) {
        if (atomic_load(&j->cancel) && !cancelled) {
            dry_run_cancel(dr);
            cancelled = true;
        }
        if (dry_run_poll(dr, 100, &done, &err) != SW_OK)
            break;
    }
    dry_run_result res;
    memset(&res, 0, sizeof res);
    dry_run_finish(dr, &res);
    dry_result_lines(j, runs, &res, db_get_kind(runner_db(r)) == DB_POSTGRES);
    dry_audit(j, r, hist.events_exist, &res);
    dry_run_result_free(&res);
out:
    for (size_t i = 0; i < prepared; i++)
        if (runs[i].sql)
            migration_run_free(&runs[i]);
    free(runs);
    history_free(&hist);
    runner_close(r);
    sw_error_clear(&err);
}

static void dry_done(void *context, void *arg)
{
    console *c = context;
    dry_job *j = arg;
    migrations_state *st = c ? state_of(c) : NULL;
    if (st) {
        pane_free(&st->diff);
        st->diff = j->base.out;
        memset(&j->base.out, 0, sizeof j->base.out);
        free(st->diff_version);
        st->diff_version = xstrdup(j->base.version);
        st->dry = NULL;
        free(st->dry_version);
        st->dry_version = NULL;
        st->seq++;
        console_message(c, STYLE_INFO, "dry run of %s done: see the Diff tab", j->base.version);
        console_reload_events(c);
    }
    dry_job_free(j);
}

static void dry_start(console *c, migrations_state *st, dry_job *j)
{
    st->dry = j;
    free(st->dry_version);
    st->dry_version = xstrdup(j->base.version);
    st->seq++;
    char *what = xasprintf("dry run of %s", j->base.version);
    console_post(c, what, dry_run_job, dry_done, j);
    free(what);
}

static void dry_answer(console *c, void *arg, bool yes)
{
    dry_job *j = arg;
    if (!yes) {
        console_message(c, STYLE_WARNING, "the name typed does not match '%s'; nothing was run",
                        c->server.database ? c->server.database : "");
        dry_job_free(j);
        return;
    }
    dry_start(c, state_of(c), j);
}

/* `d`: the plan of `stepwise diff VERSION` (with --down for an applied
 * version), the production guard, then the job. */
static void dry_request(migrations_state *st, console *c)
{
    const status_entry *e = selected_entry(st, c);
    if (!e)
        return;
    if (st->dry) {
        if (strcmp(st->dry_version, e->version) == 0) {
            atomic_store(&st->dry->cancel, true);
            console_message(c, STYLE_WARNING, "cancelling the dry run of %s", e->version);
        } else {
            console_message(c, STYLE_WARNING, "a dry run of %s is running", st->dry_version);
        }
        return;
    }
    if (!c->connected) {
        console_message(c, STYLE_ERROR, "not connected: a dry run needs the database");
        return;
    }
    bool applied = e->state == STATE_APPLIED || e->state == STATE_DRIFTED;
    if (e->state == STATE_DIRTY || e->state == STATE_MISSING) {
        console_message(c, STYLE_ERROR, "version %s is %s: there is nothing to dry-run", e->version,
                        mig_state_name(e->state));
        return;
    }
    plan p = {0};
    sw_error err = {0};
    sw_status s;
    if (applied) {
        long n = 0; /* everything above it, then it */
        for (size_t i = 0; i < c->status.count; i++) {
            const status_entry *o = &c->status.entries[i];
            if ((o->state == STATE_APPLIED || o->state == STATE_DRIFTED) &&
                version_compare(o->version, e->version) >= 0)
                n++;
        }
        s = plan_down(&c->status, NULL, n, &p, &err);
    } else {
        s = plan_up(&c->status, e->version, -1, &p, &err);
    }
    if (s != SW_OK || !p.count) {
        console_message(c, STYLE_ERROR, "%s", s != SW_OK ? err.message : "nothing to dry-run");
        sw_error_clear(&err);
        plan_free(&p);
        return;
    }
    for (size_t i = 0; i < p.count; i++)
        if (!p.steps[i].e->m) {
            console_message(c, STYLE_ERROR, "version %s has no file: nothing was run",
                            p.steps[i].e->version);
            plan_free(&p);
            return;
        }
    dry_job *j = xcalloc(1, sizeof *j);
    job_common_init(&j->base, c, p.steps, p.count, e->version);
    j->focus = p.count - 1;
    j->audit_path = audit_default_path(getenv("XDG_STATE_HOME"), getenv("HOME"), &err);
    sw_error_clear(&err);
    atomic_init(&j->cancel, false);
    plan_free(&p);
    st->tab = TAB_DIFF;
    st->pane_open = true;
    st->pane_top = 0;
    const char *dbname = c->server.database ? c->server.database : "";
    if (console_target_is_remote(c)) {
        char *body = xasprintf("%s\nis not a local server (host %s).\n"
                               "About to dry-run %zu migration%s there, up to %s:\n"
                               "a dry run takes the same locks as the real run,\n"
                               "for as long as it runs, then rolls back.",
                               c->target.display, c->server.host, j->base.steps.count,
                               j->base.steps.count == 1 ? "" : "s", j->base.version);
        console_ask(c, "Dry run on a remote server", body, dbname, dry_answer, j);
        free(body);
        return;
    }
    dry_start(c, st, j);
}

static void run_request(migrations_state *st, console *c, request req);

static void build_diff(pane_text *p, migrations_state *st, const console *c, const status_entry *e)
{
    if (st->dry && strcmp(st->dry_version, e->version) == 0) {
        pane_addf(p, STYLE_WARNING, "dry run of %s running... (d again cancels it)", e->version);
        return;
    }
    if (st->diff_version && strcmp(st->diff_version, e->version) == 0) {
        for (size_t i = 0; i < st->diff.nlines; i++) {
            const pane_line *ln = &st->diff.lines[i];
            char *one = xstrndup(st->diff.text.data + ln->start, ln->end - ln->start);
            pane_add(p, ln->s, one);
            free(one);
        }
        return;
    }
    bool applied = e->state == STATE_APPLIED || e->state == STATE_DRIFTED;
    if (e->state == STATE_DIRTY || e->state == STATE_MISSING) {
        pane_addf(p, STYLE_DIM, "version %s is %s: there is nothing to dry-run", e->version,
                  mig_state_name(e->state));
        return;
    }
    pane_addf(p, STYLE_NORMAL, "Press d to dry-run %s %s (as `stepwise diff %s%s`):",
              applied ? "the rollback of" : "", e->version, e->version, applied ? " --down" : "");
    pane_add(p, STYLE_DIM, "its statements run one by one in a transaction that is rolled back;");
    pane_add(p, STYLE_DIM, "shown: the schema diff, and per statement the locks taken beside the");
    pane_add(p, STYLE_DIM, "predicted ones. Nothing is kept. A server that is not local asks for");
    pane_add(p, STYLE_DIM, "its database name first, as the command line does.");
    (void)c;
}

/* ------------------------------------------------------------ drawing */

static const char *state_word(const status_entry *e)
{
    if (e->state == STATE_PENDING && e->out_of_order)
        return "out of order";
    return mig_state_name(e->state);
}

/* A symbol per state, so that the list reads without colour. */
static const char *state_marker(const status_entry *e)
{
    switch (e->state) {
    case STATE_APPLIED:
        return "=";
    case STATE_PENDING:
        return e->out_of_order ? "^" : ">";
    case STATE_DIRTY:
        return "!";
    case STATE_DRIFTED:
        return "~";
    case STATE_MISSING:
        return "?";
    default:
        break;
    }
    return " ";
}

static style state_style(const status_entry *e)
{
    switch (e->state) {
    case STATE_APPLIED:
        return STYLE_APPLIED;
    case STATE_PENDING:
        return e->out_of_order ? STYLE_WARNING : STYLE_PENDING;
    case STATE_DIRTY:
        return STYLE_DIRTY;
    case STATE_DRIFTED:
        return STYLE_DRIFTED;
    case STATE_MISSING:
        return STYLE_MISSING;
    default:
        break;
    }
    return STYLE_NORMAL;
}

static void format_duration(char *out, size_t size, long long ms)
{
    if (ms < 0)
        snprintf(out, size, "%s", "");
    else if (ms < 1000)
        snprintf(out, size, "%lld ms", ms);
    else if (ms < 60000)
        snprintf(out, size, "%lld.%lld s", ms / 1000, ms % 1000 / 100);
    else
        snprintf(out, size, "%lldm%02llds", ms / 60000, ms / 1000 % 60);
}

/* "2024-05-01 12:03" (or "05-01 12:03" when narrow) from the history's text. */
static void format_applied(char *out, size_t size, const char *at, bool wide)
{
    out[0] = '\0';
    if (!at || strlen(at) < 16)
        return;
    snprintf(out, size, "%.*s", wide ? 16 : 11, at + (wide ? 0 : 5));
    char *t = strchr(out, 'T');
    if (t)
        *t = ' ';
}

static const char *lint_word(unsigned char worst, style *s)
{
    switch (worst) {
    case LINT_CLEAN:
        *s = STYLE_DIM;
        return "ok";
    case LINT_WORST_HINT:
        *s = STYLE_INFO;
        return "hint";
    case LINT_WORST_WARNING:
        *s = STYLE_WARNING;
        return "warn";
    case LINT_WORST_ERROR:
        *s = STYLE_ERROR;
        return "error";
    case LINT_PARSE_ERROR:
        *s = STYLE_ERROR;
        return "parse";
    default:
        break;
    }
    *s = STYLE_DIM;
    return "";
}

/* Columns: the widths of everything but the name, which takes the rest. */
typedef struct columns {
    int version, name, state, applied, duration, tx, lint;
    bool wide;
} columns;

static columns columns_for(const migrations_state *st, int cols)
{
    columns k = {.version = st->version_width, .state = 12, .duration = 8, .tx = 5, .lint = 5};
    k.wide = cols >= 110;
    k.applied = k.wide ? 16 : 11;
    int fixed =
        2 + k.version + 1 + 1 + k.state + 1 + k.applied + 1 + k.duration + 1 + k.tx + 1 + k.lint;
    k.name = cols - fixed;
    if (k.name < 10) { /* narrow: the duration goes first */
        k.name += k.duration + 1;
        k.duration = 0;
    }
    if (k.name < 6)
        k.name = 6;
    return k;
}

static int draw_cell(WINDOW *w, int y, int x, int limit, int width, const char *text, style s,
                     bool right)
{
    if (width <= 0 || x >= limit)
        return x;
    char *cell = text_fit(text, width, right);
    draw_text(w, y, x, limit - x, cell, s);
    free(cell);
    return x + width + 1;
}

static void draw_row(migrations_state *st, console *c, WINDOW *w, int y, int cols, size_t row,
                     const columns *k)
{
    size_t index = st->rows[row];
    const status_entry *e = &c->status.entries[index];
    bool selected = (long)row == st->cursor.selected;
    if (selected)
        draw_fill(w, y, 0, cols, STYLE_SELECTED);
    style normal = selected ? STYLE_SELECTED : STYLE_NORMAL;
    /* Without a history read, "pending" would be a guess: say unknown. */
    bool known = c->history_known || !c->target_ok;
    style sstyle = selected ? STYLE_SELECTED : known ? state_style(e) : STYLE_DIM;
    int x = draw_cell(w, y, 0, cols, 1, known ? state_marker(e) : "?", sstyle, false);
    x = draw_cell(w, y, x, cols, k->version, e->version, normal, false);
    x = draw_cell(w, y, x, cols, k->name, e->name ? e->name : "", normal, false);
    x = draw_cell(w, y, x, cols, k->state, known ? state_word(e) : "unknown", sstyle, false);
    char applied[24], duration[24];
    format_applied(applied, sizeof applied, e->h ? e->h->applied_at : NULL, k->wide);
    format_duration(duration, sizeof duration, e->h ? e->h->duration_ms : -1);
    x = draw_cell(w, y, x, cols, k->applied, applied, normal, false);
    x = draw_cell(w, y, x, cols, k->duration, duration, normal, true);
    const char *tx = !e->m ? "" : e->m->up.directives.no_transaction ? "no-tx" : "tx";
    x = draw_cell(w, y, x, cols, k->tx, tx,
                  e->m && e->m->up.directives.no_transaction && !selected ? STYLE_WARNING : normal,
                  false);
    style ls;
    const char *lw = lint_word(entry_worst(st, c, index), &ls);
    draw_cell(w, y, x, cols, k->lint, lw, selected ? STYLE_SELECTED : ls, false);
}

static void draw_header(const migrations_state *st, WINDOW *w, int cols, const columns *k)
{
    draw_fill(w, 0, 0, cols, STYLE_TITLE);
    int x = draw_cell(w, 0, 0, cols, 1, " ", STYLE_TITLE, false);
    x = draw_cell(w, 0, x, cols, k->version, "VERSION", STYLE_TITLE, false);
    char *name =
        st->filter && *st->filter ? xasprintf("NAME (filter: %s)", st->filter) : xstrdup("NAME");
    x = draw_cell(w, 0, x, cols, k->name, name, STYLE_TITLE, false);
    free(name);
    x = draw_cell(w, 0, x, cols, k->state, "STATE", STYLE_TITLE, false);
    x = draw_cell(w, 0, x, cols, k->applied, "APPLIED AT", STYLE_TITLE, false);
    x = draw_cell(w, 0, x, cols, k->duration, "DURATION", STYLE_TITLE, true);
    x = draw_cell(w, 0, x, cols, k->tx, "TX", STYLE_TITLE, false);
    draw_cell(w, 0, x, cols, k->lint, "LINT", STYLE_TITLE, false);
}

/* Nothing to list: say why, plainly. */
static void draw_empty(const migrations_state *st, console *c, WINDOW *w, int rows, int cols)
{
    int y = 0;
    if (c->dir_error) {
        draw_textf(w, y++, 0, cols, STYLE_ERROR, "No migrations folder: %s", c->dir_error);
    } else if (c->status.count && st->filter) {
        draw_textf(w, y++, 0, cols, STYLE_WARNING,
                   "No migration matches '%s' (/ then an empty line shows them all).", st->filter);
    } else {
        draw_textf(w, y++, 0, cols, STYLE_WARNING, "No migrations in %s.",
                   c->dir ? c->dir : "the folder");
    }
    const char *errors[] = {c->target_ok ? NULL : c->target_error, c->connect_error,
                            c->history_error};
    for (size_t i = 0; i < 3 && y < rows; i++)
        if (errors[i])
            draw_text(w, y++, 0, cols, errors[i], STYLE_ERROR);
    for (size_t i = 0; i < c->source.nproblems && y < rows; i++) {
        char *line = source_problem_text(&c->source, &c->source.problems[i]);
        draw_text(w, y++, 0, cols, line,
                  c->source.problems[i].severity == SOURCE_ERROR ? STYLE_ERROR : STYLE_WARNING);
        free(line);
    }
}

/* One line under the list when something is wrong with the folder or the
 * history, so that the states are read with that in mind. */
static char *list_notice(const console *c, style *s)
{
    *s = STYLE_ERROR;
    if (c->history_error)
        return xasprintf("history: %s", c->history_error);
    if (c->target_ok && c->connect_error)
        return xasprintf("states unknown, not connected: %s", c->connect_error);
    if (c->target_ok && !c->history_known) {
        *s = STYLE_DIM;
        return xstrdup("states unknown until the history is read...");
    }
    if (c->source.nproblems) {
        *s = c->source.errors ? STYLE_ERROR : STYLE_WARNING;
        char *first = source_problem_text(&c->source, &c->source.problems[0]);
        char *line =
            xasprintf("%zu problem%s in the folder (nothing runs while an error stands): %s",
                      c->source.nproblems, c->source.nproblems == 1 ? "" : "s", first);
        free(first);
        return line;
    }
    return NULL;
}

static void draw_list(migrations_state *st, console *c, WINDOW *w, int rows, int cols)
{
    columns k = columns_for(st, cols);
    style ns;
    char *notice = list_notice(c, &ns);
    int visible = rows - 1 - (notice ? 1 : 0);
    if (visible < 1)
        visible = 1;
    st->list_rows = visible;
    list_cursor_clamp(&st->cursor, (long)st->nrows, visible);
    draw_header(st, w, cols, &k);
    for (int i = 0; i < visible && st->cursor.top + i < (long)st->nrows; i++)
        draw_row(st, c, w, 1 + i, cols, (size_t)(st->cursor.top + i), &k);
    if (notice)
        draw_text(w, rows - 1, 0, cols, notice, ns);
    free(notice);
}

/* The top line that shows the end of the text at the bottom. */
static long pane_last_top(const pane_text *p, int rows, int cols)
{
    long top = (long)p->nlines;
    int used = 0;
    while (top > 0) {
        used += pane_line_draw(p, &p->lines[top - 1], NULL, 0, 0, cols, 0);
        if (used > rows)
            break;
        top--;
    }
    return top;
}

static void build_pane(migrations_state *st, console *c, const status_entry *e)
{
    pane_text *p = &st->pane;
    pane_free(p);
    switch (st->tab) {
    case TAB_SQL:
        build_sql(p, st, c, e);
        break;
    case TAB_LINT:
        if (e->m)
            build_lint(p, c, e);
        else
            pane_addf(p, STYLE_MISSING, "version %s has no file to lint", e->version);
        break;
    case TAB_LOCKS:
        if (e->m)
            build_locks(p, c, e);
        else
            pane_addf(p, STYLE_MISSING, "version %s has no file: no locks to predict", e->version);
        break;
    case TAB_DIFF:
        build_diff(p, st, c, e);
        break;
    default:
        build_history(p, c, e);
        break;
    }
    st->pane_valid = true;
    st->pane_tab = st->tab;
    free(st->pane_version);
    st->pane_version = xstrdup(e->version);
    st->pane_generation = c->generation;
    st->pane_seq = st->seq;
}

static void draw_pane(migrations_state *st, console *c, WINDOW *w, int y0, int x0, int rows,
                      int cols)
{
    const status_entry *e = selected_entry(st, c);
    if (!e || rows < 2)
        return;
    if (!st->pane_valid || st->pane_tab != st->tab || st->pane_generation != c->generation ||
        st->pane_seq != st->seq || strcmp(st->pane_version, e->version) != 0) {
        if (!st->pane_valid || st->pane_tab != st->tab || strcmp(st->pane_version, e->version) != 0)
            st->pane_top = 0;
        build_pane(st, c, e);
    }
    /* The tab bar. */
    draw_fill(w, y0, x0, cols, STYLE_BAR);
    int x = 0;
    for (int t = 0; t < TAB_COUNT && x < cols; t++) {
        x += draw_textf(w, y0, x0 + x, cols - x, t == st->tab ? STYLE_SELECTED : STYLE_BAR, " %s ",
                        tab_names[t]);
    }
    x += draw_textf(
        w, y0, x0 + x, cols - x, STYLE_BAR, " %s %s%s", e->version, e->name ? e->name : "",
        st->pane_focus ? "  [Enter: list, Esc: close]" : "  [Enter: scroll, Esc: close]");
    st->pane_rows = rows - 1;
    st->pane_cols = cols;
    long last = pane_last_top(&st->pane, st->pane_rows, cols);
    if (st->pane_top > last)
        st->pane_top = last;
    if (st->pane_top < 0)
        st->pane_top = 0;
    int y = 0;
    for (long i = st->pane_top; i < (long)st->pane.nlines && y < st->pane_rows; i++)
        y += pane_line_draw(&st->pane, &st->pane.lines[i], w, y0 + 1 + y, x0, cols,
                            st->pane_rows - y);
}

static void sync_rows(migrations_state *st, console *c)
{
    if (!st->built || st->generation != c->generation)
        rebuild_rows(st, c);
}

static void draw_view(void *state, console *c, WINDOW *w, int rows, int cols)
{
    migrations_state *st = state;
    sync_rows(st, c);
    if (!st->nrows) {
        draw_empty(st, c, w, rows, cols);
        return;
    }
    if (!st->pane_open) {
        draw_list(st, c, w, rows, cols);
        return;
    }
    if (cols >= 160) { /* side by side */
        int left = cols / 2;
        draw_list(st, c, w, rows, left);
        for (int y = 0; y < rows; y++)
            mvwaddch(w, y, left, ACS_VLINE);
        draw_pane(st, c, w, 0, left + 1, rows, cols - left - 1);
        return;
    }
    int list = rows / 3 < 5 ? 5 : rows / 3;
    draw_list(st, c, w, list, cols);
    draw_pane(st, c, w, list, 0, rows - list, cols);
}

/* ------------------------------------------------------------ requests */

static void filter_done(console *c, void *arg, const char *text)
{
    (void)arg;
    migrations_state *st = state_of(c);
    if (!text || !st)
        return; /* Esc: the filter stays as it was */
    free(st->filter);
    st->filter = *text ? xstrdup(text) : NULL;
    rebuild_rows(st, c);
}

static void open_tab(migrations_state *st, int tab)
{
    st->tab = (tab + TAB_COUNT) % TAB_COUNT;
    st->pane_open = true;
    st->pane_top = 0;
}

static bool request_view(void *state, console *c, request req)
{
    migrations_state *st = state;
    sync_rows(st, c);
    bool handled = true;
    if (st->pane_open && st->pane_focus &&
        (req == REQ_MOVE_UP || req == REQ_MOVE_DOWN || req == REQ_PAGE_UP || req == REQ_PAGE_DOWN ||
         req == REQ_MOVE_FIRST || req == REQ_MOVE_LAST)) {
        long page = st->pane_rows > 1 ? st->pane_rows - 1 : 1;
        st->pane_top += req == REQ_MOVE_UP      ? -1
                        : req == REQ_MOVE_DOWN  ? 1
                        : req == REQ_PAGE_UP    ? -page
                        : req == REQ_PAGE_DOWN  ? page
                        : req == REQ_MOVE_FIRST ? -st->pane_top
                                                : (long)st->pane.nlines;
        if (st->pane_top < 0)
            st->pane_top = 0; /* the far end is clamped when drawn */
        return true;
    }
    if (list_cursor_request(&st->cursor, req, (long)st->nrows,
                            st->list_rows > 0 ? st->list_rows : 1)) {
        remember_selection(st, c);
        return true;
    }
    switch (req) {
    case REQ_ENTER:
        if (!st->nrows)
            return false;
        if (!st->pane_open) {
            st->pane_open = true;
            st->pane_focus = true;
        } else {
            st->pane_focus = !st->pane_focus;
        }
        break;
    case REQ_BACK:
        if (!st->pane_open)
            return false;
        st->pane_open = false;
        st->pane_focus = false;
        break;
    case REQ_TAB_NEXT:
        open_tab(st, st->pane_open ? st->tab + 1 : st->tab);
        break;
    case REQ_TAB_PREVIOUS:
        open_tab(st, st->pane_open ? st->tab - 1 : st->tab);
        break;
    case REQ_TAB_SQL:
        open_tab(st, TAB_SQL);
        break;
    case REQ_TAB_LINT:
        open_tab(st, TAB_LINT);
        break;
    case REQ_TAB_LOCKS:
        open_tab(st, TAB_LOCKS);
        break;
    case REQ_TAB_DIFF:
        open_tab(st, TAB_DIFF);
        break;
    case REQ_TAB_HISTORY:
        open_tab(st, TAB_HISTORY);
        break;
    case REQ_DRY_RUN:
        dry_request(st, c);
        break;
    case REQ_APPLY_NEXT:
    case REQ_APPLY_TO:
    case REQ_ROLLBACK_LATEST:
    case REQ_GOTO_SELECTED:
    case REQ_RESUME_DIRTY:
    case REQ_FORCE_SELECTED:
        run_request(st, c, req);
        break;
    case REQ_FILTER:
        console_input(c, "/", st->filter ? st->filter : "", filter_done, NULL);
        break;
    default:
        handled = false;
    }
    if (st->pane_open && st->tab == TAB_LOCKS && !c->have_snapshot)
        c->next_refresh = 0; /* the live locks at once */
    return handled;
}

static void force_answer(console *c, void *arg, bool yes)
{
    char *version = arg;
    if (yes)
        console_apply(c, APPLY_KIND_FORCE, version);
    else
        console_message(c, STYLE_INFO, "the version typed differs: nothing was forced");
    free(version);
}

/* u, U, b, T, r and F: the supervised apply (view_apply.c) on a plan. */
static void run_request(migrations_state *st, console *c, request req)
{
    const status_entry *e = selected_entry(st, c);
    if (!c->history_known) {
        console_message(c, STYLE_WARNING, "the history has not been read yet: wait a moment");
        return;
    }
    switch (req) {
    case REQ_APPLY_NEXT:
        console_apply(c, APPLY_KIND_NEXT, NULL);
        break;
    case REQ_ROLLBACK_LATEST:
        console_apply(c, APPLY_KIND_DOWN, NULL);
        break;
    case REQ_APPLY_TO:
    case REQ_GOTO_SELECTED:
        if (!e)
            return;
        if (req == REQ_APPLY_TO && e->state != STATE_PENDING) {
            console_message(c, STYLE_ERROR, "version %s is %s: U applies up to a pending one "
                            "(T goes to any version)", e->version, mig_state_name(e->state));
            return;
        }
        console_apply(c, req == REQ_APPLY_TO ? APPLY_KIND_UP_TO : APPLY_KIND_GOTO, e->version);
        break;
    case REQ_RESUME_DIRTY:
        if (!c->status.dirty) {
            console_message(c, STYLE_INFO, "no version is dirty: nothing to resume");
            return;
        }
        console_apply(c, APPLY_KIND_RESUME, NULL);
        break;
    case REQ_FORCE_SELECTED: {
        if (!e || !e->m) {
            console_message(c, STYLE_ERROR, "force needs a version with a file");
            return;
        }
        if (!console_apply_idle(c)) {
            console_message(c, STYLE_WARNING, "a run is under way: finish it first");
            return;
        }
        char *body = xasprintf("Record %s %s as applied and clean, without running anything.\n"
                               "Do this only when the schema really matches the whole script\n"
                               "(e.g. a dirty migration you finished by hand). Audited.",
                               e->version, e->name);
        console_ask(c, "Force the record?", body, e->version, force_answer, xstrdup(e->version));
        free(body);
        break;
    }
    default:
        break;
    }
}

static void data_changed_view(void *state, console *c, unsigned what)
{
    migrations_state *st = state;
    if (what & DATA_MIGRATIONS)
        rebuild_rows(st, c);
    if (what & (DATA_EVENTS | DATA_MONITOR | DATA_SERVER))
        st->seq++;
}

/* The Locks tab shows the monitor's live sessions: refreshed meanwhile. */
static bool live_view(void *state, console *c)
{
    migrations_state *st = state;
    bool locks =
        st->pane_open && st->tab == TAB_LOCKS && c->target_ok && c->target.kind == DB_POSTGRES;
    c->want_relation_locks = locks;
    return locks;
}

static char *where_view(void *state, console *c)
{
    migrations_state *st = state;
    if (!st->nrows)
        return xasprintf("0/%zu", c->status.count);
    if (st->nrows != c->status.count)
        return xasprintf("%ld/%zu of %zu", st->cursor.selected + 1, st->nrows, c->status.count);
    return xasprintf("%ld/%zu", st->cursor.selected + 1, st->nrows);
}

static void *open_view(console *c)
{
    migrations_state *st = xcalloc(1, sizeof *st);
    st->cursor.selected = 0;
    (void)c;
    return st;
}

/* A job still queued keeps its own copies; its done() finds no state
 * once the console is gone (context NULL). */
static void done_view(void *state)
{
    migrations_state *st = state;
    free(st->rows);
    free(st->filter);
    free(st->selected_version);
    free(st->worst);
    pane_free(&st->pane);
    free(st->pane_version);
    pane_free(&st->sql);
    free(st->sql_version);
    pane_free(&st->diff);
    free(st->diff_version);
    free(st->dry_version);
    free(st);
}

const view_ops view_migrations_ops = {
    .name = "migrations",
    .title = "Migrations",
    .open = open_view,
    .draw = draw_view,
    .request = request_view,
    .data_changed = data_changed_view,
    .live = live_view,
    .where = where_view,
    .done = done_view,
};
