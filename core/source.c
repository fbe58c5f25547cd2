/* Reading a migrations folder (DESIGN.md §3). One pass over the sorted
 * file names reads each file once (open, fstat, read), checks its bytes
 * and records what it is; one sort by version then groups the up and down
 * scripts and finds duplicates in linear time. Every problem is kept and
 * nothing stops early, so that one run shows all that needs fixing. */
#include "config.h"

#include "core/source.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/util.h"

/* ------------------------------------------------------------ versions */

bool version_valid(const char *version)
{
    const char *p = version;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            return false; /* empty string or empty segment */
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '\0')
            return true;
        if (*p != '.')
            return false;
        p++;
    }
}

/* One numeric segment at *p (leading zeros skipped): its digits start at
 * *digits and there are *n of them; *p moves past the segment and its dot. */
static void version_segment(const char **p, const char **digits, size_t *n)
{
    const char *s = *p;
    while (*s == '0' && isdigit((unsigned char)s[1]))
        s++;
    const char *e = s;
    while (isdigit((unsigned char)*e))
        e++;
    *digits = s;
    *n = (size_t)(e - s);
    *p = *e == '.' ? e + 1 : e;
}

int version_compare(const char *a, const char *b)
{
    while (*a && *b) {
        const char *da, *db;
        size_t na, nb;
        version_segment(&a, &da, &na);
        version_segment(&b, &db, &nb);
        if (na != nb)
            return na < nb ? -1 : 1;
        int c = memcmp(da, db, na);
        if (c != 0)
            return c < 0 ? -1 : 1;
    }
    /* "1" < "1.0": the one with segments left is the larger. */
    return (*a != '\0') - (*b != '\0');
}

const char *source_layout_name(source_layout layout)
{
    switch (layout) {
    case LAYOUT_PAIRS:
        return "pairs";
    case LAYOUT_DBMATE:
        return "dbmate";
    case LAYOUT_FLYWAY:
        return "flyway";
    case LAYOUT_NONE:
    default:
        return "none";
    }
}

/* ------------------------------------------------------------ checksum */

void source_sha256_hex(const void *data, size_t length, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, length, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        /* Only a broken libcrypto gets here; an empty checksum never
         * matches a recorded one, so drift shows rather than hides. */
        out[0] = '\0';
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

/* ------------------------------------------------------------ problems */

static void add_problem(migration_source *s, source_severity severity, const char *file, int line,
                        const char *fmt, ...) SW_PRINTF(5, 6);

static void add_problem(migration_source *s, source_severity severity, const char *file, int line,
                        const char *fmt, ...)
{
    s->problems = array_grow(s->problems, &s->problems_cap, s->nproblems + 1, sizeof *s->problems);
    source_problem *p = &s->problems[s->nproblems++];
    p->severity = severity;
    p->file = xstrdup(file);
    p->line = line;
    va_list ap;
    va_start(ap, fmt);
    p->message = xvasprintf(fmt, ap);
    va_end(ap);
    if (severity == SOURCE_ERROR)
        s->errors++;
}

char *source_problem_text(const migration_source *s, const source_problem *p)
{
    strbuf sb = {0};
    const char *dir = s->dir ? s->dir : ".";
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    strbuf_append_len(&sb, dir, dlen);
    if (p->file[0]) {
        strbuf_append_char(&sb, '/');
        strbuf_append(&sb, p->file);
    }
    if (p->line > 0)
        strbuf_appendf(&sb, ":%d", p->line);
    strbuf_appendf(&sb, ": %s: %s", p->severity == SOURCE_ERROR ? "error" : "warning", p->message);
    strbuf shown = {0};
    text_escape_control(&shown, strbuf_str(&sb), false);
    strbuf_free(&sb);
    return strbuf_detach(&shown);
}

/* ------------------------------------------------------------ file names */

typedef enum file_kind {
    KIND_UP,     /* pairs: VERSION_title.up.sql */
    KIND_DOWN,   /* pairs: VERSION_title.down.sql */
    KIND_DBMATE, /* VERSION_title.sql, both sections */
    KIND_FLY_V,  /* V<version>__desc.sql */
    KIND_FLY_U,  /* U<version>__desc.sql */
} file_kind;

static bool kind_is_down(file_kind k)
{
    return k == KIND_DOWN || k == KIND_FLY_U;
}

static source_layout kind_layout(file_kind k)
{
    switch (k) {
    case KIND_UP:
    case KIND_DOWN:
        return LAYOUT_PAIRS;
    case KIND_DBMATE:
        return LAYOUT_DBMATE;
    case KIND_FLY_V:
    case KIND_FLY_U:
    default:
        return LAYOUT_FLYWAY;
    }
}

/* ".sql" in any case: "X.SQL" is meant as a script, so it is an error
 * when it matches no layout, not an unrelated file. */
static bool has_sql_suffix(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcasecmp(name + n - 4, ".sql") == 0;
}

/* Length of the version at the start of `p`: digits, then more digit runs
 * each after one dot. 0 when p does not start with a digit. */
static size_t version_span(const char *p)
{
    size_t n = 0;
    if (!isdigit((unsigned char)p[0]))
        return 0;
    for (;;) {
        while (isdigit((unsigned char)p[n]))
            n++;
        if (p[n] == '.' && isdigit((unsigned char)p[n + 1]))
            n++;
        else
            return n;
    }
}

typedef struct parsed_name {
    file_kind kind;
    char *version;
    char *title;
} parsed_name;

/* Which layout a file name belongs to; false when none. */
static bool parse_name(const char *name, parsed_name *out)
{
    size_t len = strlen(name);
    if (!str_has_suffix(name, ".sql"))
        return false;
    const char *start = name;
    const char *sep = "_"; /* between version and title */
    size_t suffix = 4;
    if ((name[0] == 'V' || name[0] == 'U') && isdigit((unsigned char)name[1])) {
        out->kind = name[0] == 'V' ? KIND_FLY_V : KIND_FLY_U;
        start = name + 1;
        sep = "__";
    } else if (str_has_suffix(name, ".up.sql")) {
        out->kind = KIND_UP;
        suffix = 7;
    } else if (str_has_suffix(name, ".down.sql")) {
        out->kind = KIND_DOWN;
        suffix = 9;
    } else {
        out->kind = KIND_DBMATE;
    }
    size_t vlen = version_span(start);
    if (vlen == 0)
        return false;
    const char *rest = start + vlen;
    const char *end = name + len - suffix;
    if (rest > end)
        return false;
    if (rest < end) {
        /* Flyway needs its "__desc"; the others take an optional "_title". */
        size_t slen = strlen(sep);
        if ((size_t)(end - rest) < slen || strncmp(rest, sep, slen) != 0)
            return false;
        rest += slen;
    } else if (out->kind == KIND_FLY_V || out->kind == KIND_FLY_U) {
        return false;
    }
    /* "0003_c.UP.sql" or "0003_c.Down.sql" is a pair misspelled, not a
     * dbmate file: dbmate titles take no dot. */
    if (out->kind == KIND_DBMATE && memchr(rest, '.', (size_t)(end - rest)))
        return false;
    out->version = xstrndup(start, vlen);
    out->title = xstrndup(rest, (size_t)(end - rest));
    return true;
}

/* ------------------------------------------------------------ file text */

/* Line (from 1) of offset `at` in text. */
static int line_of(const char *text, size_t at)
{
    int line = 1;
    for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + at - p))) != NULL; p++)
        line++;
    return line;
}

/* Whether a script holds anything but white space and comments (line
 * comments and PostgreSQL's nesting block comments). */
static bool script_has_code(const char *p, const char *end)
{
    while (p < end) {
        if (isspace((unsigned char)*p)) {
            p++;
        } else if (p + 1 < end && p[0] == '-' && p[1] == '-') {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            p = eol ? eol + 1 : end;
        } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
            int depth = 0;
            while (p < end) {
                if (p + 1 < end && p[0] == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (p + 1 < end && p[0] == '*' && p[1] == '/') {
                    p += 2;
                    if (--depth == 0)
                        break;
                } else {
                    p++;
                }
            }
        } else {
            return true;
        }
    }
    return false;
}

/* Offset of the first byte that is not valid UTF-8, or `length`. */
static size_t utf8_first_invalid(const char *text, size_t length)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < length) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_valid_length(p + i);
        if (n == 0 || n > length - i)
            return i;
        i += n;
    }
    return length;
}

typedef struct file_entry {
    char *name;
    parsed_name parsed;
    size_t order;           /* position in name order: ties in sorting */
    bool failed;            /* not read or not text: no content checks */
    migration_script script; /* up or down; dbmate: the up section */
    bool has_down;          /* dbmate: a down section */
    migration_script down;  /* dbmate's down section */
    bool used;              /* moved into a migration */
} file_entry;

static void script_free(migration_script *m)
{
    free(m->path);
    free(m->text);
    script_directives_free(&m->directives);
    memset(m, 0, sizeof *m);
}

/* The problem of an open that failed: a symlink loop, a dangling link
 * (the name was listed, so ENOENT means its target is gone), or another
 * reason from the system. */
static void open_problem(migration_source *s, int dfd, const char *name, int e)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(dfd, name, target, sizeof target - 1);
    if (n >= 0)
        target[n] = '\0';
    if (e == ELOOP)
        add_problem(s, SOURCE_ERROR, name, 0,
                    "symlink loop (it points to %s, which leads back around); point it at "
                    "a real file or remove it",
                    n >= 0 ? target : "?");
    else if (e == ENOENT && n >= 0)
        add_problem(s, SOURCE_ERROR, name, 0,
                    "dangling symlink: %s does not exist; point the link at a real file or "
                    "remove it",
                    target);
    else
        add_problem(s, SOURCE_ERROR, name, 0, "cannot read: %s", strerror(e));
}

/* The bytes of `name` in the folder, or NULL with the problem recorded.
 * A folder of thousands of migrations is read in a few system calls a
 * file: when readdir already said the entry is a regular file, no fstat;
 * a read shorter than asked is the end of a regular file, so a small
 * script takes one read. */
static char *read_file_at(migration_source *s, int dfd, const char *name, bool regular,
                          size_t *length)
{
    int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        open_problem(s, dfd, name, errno);
        return NULL;
    }
    struct stat st;
    if (!regular && fstat(fd, &st) != 0) {
        add_problem(s, SOURCE_ERROR, name, 0, "cannot read: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    if (!regular && !S_ISREG(st.st_mode)) {
        add_problem(s, SOURCE_ERROR, name, 0, "not a regular file; replace it with a file or remove it");
        close(fd);
        return NULL;
    }
    char chunk[65536];
    strbuf sb = {0};
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            add_problem(s, SOURCE_ERROR, name, 0, "cannot read: %s", strerror(errno));
            strbuf_free(&sb);
            close(fd);
            return NULL;
        }
        if (n > 0)
            strbuf_append_len(&sb, chunk, (size_t)n);
        if ((size_t)n < sizeof chunk)
            break;
    }
    close(fd);
    *length = sb.len;
    return strbuf_detach(&sb);
}

/* NUL bytes and invalid UTF-8: false (and the problem) when the text is
 * not a script at all. */
static bool text_is_script(migration_source *s, const char *name, const char *text, size_t length)
{
    const char *nul = memchr(text, '\0', length);
    if (nul) {
        add_problem(s, SOURCE_ERROR, name, line_of(text, (size_t)(nul - text)),
                    "NUL byte: this is not a text file; save the script as UTF-8 text");
        return false;
    }
    size_t bad = utf8_first_invalid(text, length);
    if (bad < length) {
        add_problem(s, SOURCE_ERROR, name, line_of(text, bad),
                    "invalid UTF-8 (byte 0x%02X); save the file as UTF-8",
                    (unsigned)(unsigned char)text[bad]);
        return false;
    }
    return true;
}

static void script_set(migration_script *m, const char *dir, const char *name, char *text,
                       size_t length, int line)
{
    m->path = xasprintf("%s/%s", dir, name);
    m->text = text;
    m->length = length;
    m->line = line;
    script_directives_read(text, &m->directives);
}

/* A dbmate marker line: "--", optional blanks, then `word`. */
static bool is_marker(const char *line, const char *eol, const char *word)
{
    const char *p = line;
    if (eol - p < 2 || p[0] != '-' || p[1] != '-')
        return false;
    p += 2;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    size_t n = strlen(word);
    return (size_t)(eol - p) >= n && memcmp(p, word, n) == 0 &&
           (p + n == eol || isspace((unsigned char)p[n]));
}

/* Split a dbmate file into its sections (DESIGN.md §3). */
static void read_dbmate(migration_source *s, file_entry *f, char *text, size_t length)
{
    const char *up = NULL, *up_eol = NULL, *down = NULL, *down_eol = NULL;
    int up_line = 0, down_line = 0, line = 1;
    bool ok = true;
    for (const char *p = text; p < text + length; line++) {
        const char *eol = memchr(p, '\n', (size_t)(text + length - p));
        if (!eol)
            eol = text + length;
        if (is_marker(p, eol, "migrate:up")) {
            if (up) {
                add_problem(s, SOURCE_ERROR, f->name, line,
                            "second -- migrate:up (the first is on line %d); a file has one up "
                            "section",
                            up_line);
                ok = false;
            } else {
                up = p, up_eol = eol, up_line = line;
            }
        } else if (is_marker(p, eol, "migrate:down")) {
            if (down) {
                add_problem(s, SOURCE_ERROR, f->name, line,
                            "second -- migrate:down (the first is on line %d); a file has one "
                            "down section",
                            down_line);
                ok = false;
            } else {
                down = p, down_eol = eol, down_line = line;
            }
        }
        p = eol + 1;
    }
    if (!up) {
        add_problem(s, SOURCE_ERROR, f->name, 0,
                    "no -- migrate:up line; a dbmate file starts its script with -- migrate:up "
                    "(then optionally -- migrate:down and the rollback)");
        ok = false;
    } else if (down && down < up) {
        add_problem(s, SOURCE_ERROR, f->name, down_line,
                    "-- migrate:down comes before -- migrate:up (line %d); put the up section "
                    "first",
                    up_line);
        ok = false;
    }
    if (!ok) {
        f->failed = true;
        free(text);
        return;
    }
    const char *end = text + length;
    const char *up_start = *up_eol ? up_eol + 1 : up_eol;
    const char *up_end = down ? down : end;
    script_set(&f->script, s->dir, f->name, xstrndup(up_start, (size_t)(up_end - up_start)),
               (size_t)(up_end - up_start), up_line + 1);
    /* `-- migrate:up transaction:false`: the marker line is read as a
     * directive line too, through the same reader. */
    char *marker = xstrndup(up, (size_t)(up_eol - up));
    script_directives marker_directives;
    script_directives_read(marker, &marker_directives);
    if (marker_directives.no_transaction)
        f->script.directives.no_transaction = true;
    script_directives_free(&marker_directives);
    free(marker);
    if (down) {
        const char *down_start = *down_eol ? down_eol + 1 : down_eol;
        f->has_down = true;
        script_set(&f->down, s->dir, f->name, xstrndup(down_start, (size_t)(end - down_start)),
                   (size_t)(end - down_start), down_line + 1);
        /* dbmate accepts the same option on the down marker. */
        const char *t = memmem(down, (size_t)(down_eol - down), "transaction:false", 17);
        if (t)
            f->down.directives.no_transaction = true;
    }
    free(text);
}

/* Read and check one file whose name matched a layout. */
static void read_entry(migration_source *s, int dfd, file_entry *f, bool regular)
{
    size_t length = 0;
    char *text = read_file_at(s, dfd, f->name, regular, &length);
    if (!text || !text_is_script(s, f->name, text, length)) {
        free(text);
        f->failed = true;
        return;
    }
    if (f->parsed.kind == KIND_DBMATE)
        read_dbmate(s, f, text, length);
    else
        script_set(&f->script, s->dir, f->name, text, length, 1);
}

/* An up script with nothing to run is an error: applying it would record
 * a version that changed nothing, almost always a file not yet written.
 * An empty down script is only a warning: golang-migrate's `create` makes
 * empty down files and many projects keep them for changes they never
 * roll back; refusing the whole folder for them would make those projects
 * unusable, while the warning still says what rolling back would do. */
static void check_empty(migration_source *s, const file_entry *f, const migration_script *m,
                        bool down)
{
    if (script_has_code(m->text, m->text + m->length))
        return;
    const char *what = m->text[strspn(m->text, " \t\r\n")] ? "it holds only comments" : "it is blank";
    int line = f->parsed.kind == KIND_DBMATE ? m->line - 1 : 0;
    if (!down)
        add_problem(s, SOURCE_ERROR, f->name, line, "empty up script (%s); write the migration",
                    what);
    else
        add_problem(s, SOURCE_WARNING, f->name, line,
                    "empty down script (%s): rolling back version %s would change nothing; "
                    "write it, or remove it to make the version irreversible",
                    what, f->parsed.version);
}

/* ------------------------------------------------------------ grouping */

typedef struct dir_name {
    char *name;
    unsigned char type; /* d_type: DT_UNKNOWN when the file system does not say */
} dir_name;

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const dir_name *)a)->name, ((const dir_name *)b)->name);
}

/* By version, then up before down, then by name: the first up of a
 * version is the one kept, the others are its duplicates. */
static int compare_entries(const void *a, const void *b)
{
    const file_entry *x = *(const file_entry *const *)a;
    const file_entry *y = *(const file_entry *const *)b;
    int c = version_compare(x->parsed.version, y->parsed.version);
    if (c != 0)
        return c;
    bool dx = kind_is_down(x->parsed.kind), dy = kind_is_down(y->parsed.kind);
    if (dx != dy)
        return dx ? 1 : -1;
    return x->order < y->order ? -1 : x->order > y->order;
}

typedef struct numbered_problem {
    source_problem p;
    size_t index;
} numbered_problem;

static int compare_problems(const void *a, const void *b)
{
    const numbered_problem *x = a, *y = b;
    int c = strcmp(x->p.file, y->p.file);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Problems in file-name order, and in the order found within a file. */
static void sort_problems(migration_source *s)
{
    numbered_problem *n = xcalloc(s->nproblems ? s->nproblems : 1, sizeof *n);
    for (size_t i = 0; i < s->nproblems; i++)
        n[i] = (numbered_problem){s->problems[i], i};
    qsort(n, s->nproblems, sizeof *n, compare_problems);
    for (size_t i = 0; i < s->nproblems; i++)
        s->problems[i] = n[i].p;
    free(n);
}

/* The up file a lone down script needs. */
static char *expected_up_name(const file_entry *f)
{
    if (f->parsed.kind == KIND_FLY_U)
        return xasprintf("V%s", f->name + 1);
    size_t n = strlen(f->name) - strlen(".down.sql");
    return xasprintf("%.*s.up.sql", (int)n, f->name);
}

static void check_transactions(migration_source *s, const char *file, int line,
                               const migration_script *up, const migration_script *down)
{
    bool up_alone = up->directives.no_transaction;
    if (up_alone == down->directives.no_transaction)
        return;
    add_problem(s, SOURCE_WARNING, file, line,
                "the %s script runs without a transaction (no-transaction) but the %s script "
                "runs in one",
                up_alone ? "up" : "down", up_alone ? "down" : "up");
}

/* One version's files (sorted: ups first): keep the first up and the
 * first down, report the rest. */
static void take_group(migration_source *s, file_entry **g, size_t n)
{
    file_entry *up = kind_is_down(g[0]->parsed.kind) ? NULL : g[0];
    file_entry *down = NULL;
    for (size_t i = 0; i < n; i++) {
        file_entry *f = g[i];
        bool is_down = kind_is_down(f->parsed.kind);
        file_entry *first = is_down ? down : (f == up ? NULL : up);
        if (first) {
            add_problem(s, SOURCE_ERROR, f->name, 0,
                        "duplicate version %s: also in %s; renumber one of them",
                        f->parsed.version, first->name);
        } else if (is_down && !up) {
            char *want = expected_up_name(f);
            add_problem(s, SOURCE_ERROR, f->name, 0,
                        "down script without an up script for version %s; add %s or remove "
                        "this file",
                        f->parsed.version, want);
            free(want);
            down = f;
        } else if (is_down) {
            down = f;
        }
    }
    if (!up)
        return;
    if (!up->failed)
        check_empty(s, up, &up->script, false);
    if (up->parsed.kind == KIND_DBMATE && up->has_down) {
        check_empty(s, up, &up->down, true);
        check_transactions(s, up->name, up->down.line - 1, &up->script, &up->down);
    } else if (down && !down->failed) {
        check_empty(s, down, &down->script, true);
        if (strcmp(down->parsed.title, up->parsed.title) != 0)
            add_problem(s, SOURCE_WARNING, down->name, 0,
                        "title differs from the up script's (%s); rename one so that they match",
                        up->name);
        if (!up->failed)
            check_transactions(s, down->name, 0, &up->script, &down->script);
    }

    s->migrations = array_grow(s->migrations, &s->cap, s->count + 1, sizeof *s->migrations);
    migration *m = &s->migrations[s->count++];
    memset(m, 0, sizeof *m);
    m->version = up->parsed.version;
    m->name = up->parsed.title;
    up->parsed.version = up->parsed.title = NULL;
    up->used = true;
    if (up->failed) {
        m->up.path = xasprintf("%s/%s", s->dir, up->name);
        m->up.text = xstrdup("");
        m->up.line = 1;
    } else {
        m->up = up->script;
        memset(&up->script, 0, sizeof up->script);
    }
    source_sha256_hex(m->up.text, m->up.length, m->checksum);
    if (up->parsed.kind == KIND_DBMATE && up->has_down) {
        m->has_down = true;
        m->down = up->down;
        memset(&up->down, 0, sizeof up->down);
        up->has_down = false;
    } else if (down && !down->failed) {
        m->has_down = true;
        m->down = down->script;
        memset(&down->script, 0, sizeof down->script);
    }
}

/* Mixed layouts: one problem for the folder, naming a few files of each. */
static void check_layouts(migration_source *s, file_entry *files, size_t n)
{
    size_t count[LAYOUT_FLYWAY + 1] = {0};
    for (size_t i = 0; i < n; i++)
        count[kind_layout(files[i].parsed.kind)]++;
    source_layout best = LAYOUT_NONE;
    int kinds = 0;
    for (int l = LAYOUT_PAIRS; l <= LAYOUT_FLYWAY; l++)
        if (count[l]) {
            kinds++;
            if (best == LAYOUT_NONE || count[l] > count[best])
                best = (source_layout)l;
        }
    s->layout = best;
    if (kinds < 2)
        return;
    strbuf sb = {0};
    for (int l = LAYOUT_PAIRS; l <= LAYOUT_FLYWAY; l++) {
        if (!count[l])
            continue;
        strbuf_appendf(&sb, "%s%s (", sb.len ? ", " : "", source_layout_name((source_layout)l));
        size_t shown = 0;
        for (size_t i = 0; i < n && shown < 3; i++)
            if (kind_layout(files[i].parsed.kind) == (source_layout)l)
                strbuf_appendf(&sb, "%s%s", shown++ ? ", " : "", files[i].name);
        if (count[l] > shown)
            strbuf_appendf(&sb, " and %zu more", count[l] - shown);
        strbuf_append_char(&sb, ')');
    }
    add_problem(s, SOURCE_ERROR, "", 0, "mixed layouts: %s; keep one layout per folder",
                strbuf_str(&sb));
    strbuf_free(&sb);
}

/* YYYYMMDDHHMMSS with a plausible date and time. */
static bool looks_like_timestamp(const char *v)
{
    if (strlen(v) != 14 || strspn(v, "0123456789") != 14)
        return false;
    int f[6];
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    const char *p = v;
    for (int i = 0; i < 6; i++) {
        f[i] = 0;
        for (int j = 0; j < width[i]; j++)
            f[i] = f[i] * 10 + (*p++ - '0');
    }
    return f[0] >= 1970 && f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= 31 && f[3] <= 23 &&
           f[4] <= 59 && f[5] <= 60;
}

static void numbering_style(migration_source *s)
{
    bool stamps = s->count > 0;
    int width = 0;
    for (size_t i = 0; i < s->count; i++) {
        const char *v = s->migrations[i].version;
        if (!looks_like_timestamp(v))
            stamps = false;
        if (!width && v[0] == '0' && v[1] != '\0' && !strchr(v, '.'))
            width = (int)strlen(v);
    }
    s->timestamps = stamps;
    s->width = stamps ? 0 : width;
}

sw_status source_read(const char *dir, migration_source *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    out->dir = xstrdup(dir);
    DIR *d = opendir(dir);
    if (!d)
        return sw_error_set(err, SW_USAGE, "cannot read the migrations folder %s: %s", dir,
                            strerror(errno));
    dir_name *names = NULL;
    size_t nnames = 0, names_cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* hidden files (.gitkeep, editors' swap files): silently */
        names = array_grow(names, &names_cap, nnames + 1, sizeof *names);
        names[nnames].name = xstrdup(e->d_name);
        names[nnames++].type = e->d_type;
    }
    if (nnames)
        qsort(names, nnames, sizeof *names, compare_names);

    int dfd = dirfd(d);
    file_entry *files = xcalloc(nnames ? nnames : 1, sizeof *files);
    size_t nfiles = 0;
    for (size_t i = 0; i < nnames; i++) {
        char *name = names[i].name;
        unsigned char type = names[i].type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                type = DT_DIR;
        }
        file_entry *f = &files[nfiles];
        if (type == DT_DIR) {
            add_problem(out, SOURCE_WARNING, name, 0,
                        "ignored: a subfolder (only the files of %s itself are read)", dir);
        } else if (!has_sql_suffix(name)) {
            add_problem(out, SOURCE_WARNING, name, 0, "ignored: not a migration file");
        } else if (parse_name(name, &f->parsed)) {
            f->name = name;
            names[i].name = NULL;
            f->order = nfiles++;
            read_entry(out, dfd, f, type == DT_REG);
        } else if (name[0] == 'R' && name[1] == '_' && name[2] == '_') {
            add_problem(out, SOURCE_ERROR, name, 0,
                        "repeatable Flyway migrations (R__) are not supported; move it out of "
                        "the folder");
        } else {
            add_problem(out, SOURCE_ERROR, name, 0,
                        "the name matches no layout (VERSION_title.up.sql and .down.sql, "
                        "VERSION_title.sql for dbmate, V<version>__desc.sql and U<version>__desc.sql "
                        "for Flyway); rename it or move it out of the folder");
        }
        free(names[i].name);
    }
    free(names);
    closedir(d);

    check_layouts(out, files, nfiles);
    file_entry **sorted = xcalloc(nfiles ? nfiles : 1, sizeof *sorted);
    for (size_t i = 0; i < nfiles; i++)
        sorted[i] = &files[i];
    qsort(sorted, nfiles, sizeof *sorted, compare_entries);
    for (size_t i = 0; i < nfiles;) {
        size_t j = i + 1;
        while (j < nfiles && version_compare(sorted[i]->parsed.version, sorted[j]->parsed.version) == 0)
            j++;
        take_group(out, sorted + i, j - i);
        i = j;
    }
    free(sorted);
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].name);
        free(files[i].parsed.version);
        free(files[i].parsed.title);
        script_free(&files[i].script);
        script_free(&files[i].down);
    }
    free(files);
    numbering_style(out);
    sort_problems(out);
    return SW_OK;
}

void source_free(migration_source *s)
{
    for (size_t i = 0; i < s->count; i++) {
        migration *m = &s->migrations[i];
        free(m->version);
        free(m->name);
        script_free(&m->up);
        script_free(&m->down);
    }
    free(s->migrations);
    for (size_t i = 0; i < s->nproblems; i++) {
        free(s->problems[i].file);
        free(s->problems[i].message);
    }
    free(s->problems);
    free(s->dir);
    memset(s, 0, sizeof *s);
}

const void *version_bsearch(const void *array, size_t count, size_t size, const char *version)
{
    const char *base = array;
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *const *key = (const char *const *)(const void *)(base + mid * size);
        int c = version_compare(*key, version);
        if (c == 0)
            return base + mid * size;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const migration *source_find(const migration_source *s, const char *version)
{
    return version_bsearch(s->migrations, s->count, sizeof *s->migrations, version);
}

/* ------------------------------------------------------------ folder */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *joined(const char *cwd, const char *path)
{
    if (!cwd || path[0] == '/')
        return xstrdup(path);
    return xasprintf("%s/%s", cwd, path);
}

sw_status source_find_dir(const char *option, const char *cwd, char **out, sw_error *err)
{
    *out = NULL;
    if (option) {
        char *path = joined(cwd, option);
        struct stat st;
        if (stat(path, &st) != 0) {
            sw_error_set(err, SW_USAGE, "--dir %s: %s", option, strerror(errno));
            free(path);
            return SW_USAGE;
        }
        if (!S_ISDIR(st.st_mode)) {
            sw_error_set(err, SW_USAGE, "--dir %s is not a folder", option);
            free(path);
            return SW_USAGE;
        }
        *out = path;
        return SW_OK;
    }
    static const char *const tried[] = {"migrations", "db/migrations"};
    for (size_t i = 0; i < 2; i++) {
        char *path = joined(cwd, tried[i]);
        if (is_dir(path)) {
            *out = path;
            return SW_OK;
        }
        free(path);
    }
    return sw_error_set(err, SW_USAGE,
                        "no migrations folder here (looked for ./migrations and ./db/migrations); "
                        "create one or give --dir DIR");
}

/* ------------------------------------------------------------ new */

/* `version` with its last numeric segment plus one, keeping that
 * segment's width ("0009" -> "0010", "1.2.9" -> "1.2.10", "99" -> "100"). */
static char *version_next(const char *version)
{
    size_t len = strlen(version);
    char *out = xmalloc(len + 2);
    out[0] = '.'; /* stops the carry: a new leading digit goes here */
    memcpy(out + 1, version, len + 1);
    char *p = out + len; /* the last digit, in out[1..len] */
    while (*p == '9') {
        *p = '0';
        p--;
    }
    if (isdigit((unsigned char)*p)) {
        (*p)++;
        memmove(out, out + 1, len + 1);
    } else {
        /* every digit of the last segment was 9: one more digit in front */
        memmove(out, out + 1, (size_t)(p - out));
        out[p - out] = '1';
    }
    return out;
}

/* The highest version of the folder, or NULL when it has none. */
static const char *last_version(const migration_source *s)
{
    return s->count ? s->migrations[s->count - 1].version : NULL;
}

/* Timestamp folders get the current time in UTC, as dbmate and
 * golang-migrate (-format 20060102150405 with UTC) write them, so that two
 * developers in different zones still number in the order they worked;
 * when the clock says a time not after the last version (a clock behind,
 * or two calls in one second), one second after the last version. */
static char *timestamp_next(const migration_source *s, time_t now)
{
    char stamp[32];
    struct tm tm;
    const char *last = last_version(s);
    if (last && gmtime_r(&now, &tm) && strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm) &&
        version_compare(stamp, last) <= 0) {
        memset(&tm, 0, sizeof tm);
        sscanf(last, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        now = timegm(&tm) + 1;
    }
    if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm))
        return NULL;
    return xstrdup(stamp);
}

bool source_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static sw_status create_file(const char *path, const char *text, sw_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return sw_error_set(err, SW_USAGE, "cannot create %s: %s%s", path, strerror(errno),
                            errno == EEXIST ? " (nothing was changed)" : "");
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(path);
            return sw_error_set(err, SW_FAILED, "cannot write %s: %s", path, strerror(e));
        }
        done += (size_t)n;
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(path);
        return sw_error_set(err, SW_FAILED, "cannot write %s: %s", path, strerror(e));
    }
    return SW_OK;
}

sw_status source_new(const migration_source *s, const char *name, time_t now, char *paths[2],
                     size_t *npaths, sw_error *err)
{
    paths[0] = paths[1] = NULL;
    *npaths = 0;
    if (!source_name_valid(name))
        return sw_error_set(err, SW_USAGE,
                            "'%s' is not a valid migration name: use letters, digits and "
                            "underscores only (at most 200), e.g. add_email_to_users",
                            name);
    if (s->errors)
        return sw_error_set(err, SW_USAGE, "%s has %zu error%s; fix %s first", s->dir, s->errors,
                            s->errors == 1 ? "" : "s", s->errors == 1 ? "it" : "them");
    const char *last = last_version(s);
    char *version;
    if (s->timestamps)
        version = timestamp_next(s, now);
    else if (last)
        version = version_next(last);
    else
        version = xstrdup("0001");
    if (!version)
        return sw_error_set(err, SW_FAILED, "the clock gives no usable time for a version");
    source_layout layout = s->layout == LAYOUT_NONE ? LAYOUT_PAIRS : s->layout;
    char *text[2] = {NULL, NULL};
    switch (layout) {
    case LAYOUT_DBMATE:
        paths[0] = xasprintf("%s/%s_%s.sql", s->dir, version, name);
        text[0] = xasprintf("-- migrate:up\n\n\n-- migrate:down\n\n");
        break;
    case LAYOUT_FLYWAY:
        paths[0] = xasprintf("%s/V%s__%s.sql", s->dir, version, name);
        paths[1] = xasprintf("%s/U%s__%s.sql", s->dir, version, name);
        text[0] = xasprintf("-- %s\n\n", name);
        text[1] = xasprintf("-- Undo %s: what V%s__%s.sql did, in reverse.\n\n", name, version, name);
        break;
    case LAYOUT_PAIRS:
    case LAYOUT_NONE:
    default:
        paths[0] = xasprintf("%s/%s_%s.up.sql", s->dir, version, name);
        paths[1] = xasprintf("%s/%s_%s.down.sql", s->dir, version, name);
        text[0] = xasprintf("-- %s\n\n", name);
        text[1] = xasprintf("-- Roll back %s: what %s_%s.up.sql did, in reverse.\n\n", name,
                            version, name);
        break;
    }
    free(version);
    sw_status st = SW_OK;
    size_t made = 0;
    for (size_t i = 0; i < 2 && paths[i] && st == SW_OK; i++)
        if ((st = create_file(paths[i], text[i], err)) == SW_OK)
            made++;
    free(text[0]);
    free(text[1]);
    if (st != SW_OK) {
        /* all or nothing: an up file without its down would be half a migration */
        for (size_t i = 0; i < made; i++)
            unlink(paths[i]);
        free(paths[0]);
        free(paths[1]);
        paths[0] = paths[1] = NULL;
        return st;
    }
    *npaths = made;
    return SW_OK;
}
