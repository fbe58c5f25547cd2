/* Reading a migrations folder (DESIGN.md §3). The names are listed and
 * parsed once, each version into a sort key, and sorted once by version,
 * which says which files make the migrations; then each file is read once
 * (open, read, close) and its bytes checked, the files shared out among a
 * few threads (the kernel's work of opening and reading thousands of
 * small files is most of the time), each script's length, directives and
 * checksum going straight into its migration; then, on the calling thread
 * and in that order, the problems are recorded and the up and down
 * scripts of each version checked, duplicates found in linear time. Every
 * problem is kept and nothing stops early, so that one run shows all that
 * needs fixing.
 *
 * No script's text is kept: a console on ten thousand migrations would
 * hold them all for the few it shows or runs. migration_script_text reads
 * one again, and refuses it unless the file is still what was read. */
#include "config.h"

#include "core/source.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"
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

/* A digest as 64 lowercase hex digits. */
static void digest_hex(const unsigned char md[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void source_sha256_hex(const void *data, size_t length, char out[65])
{
    unsigned char md[32];
    sha256_digest(data, length, md);
    digest_hex(md, out);
}

/* ------------------------------------------------------------ strings */

/* The migrations' versions, names and paths: tens of thousands of short
 * strings, packed into blocks rather than allocated one by one (whose
 * bookkeeping and rounding would cost about as much as the strings). */
#define STRINGS_BLOCK (64 * 1024 - 64)

struct source_strings {
    struct source_strings *next;
    size_t used, cap;
    char data[];
};

/* `a` (alen bytes) followed by `b` (blen bytes) and a NUL, in s's blocks. */
static char *strings_add(migration_source *s, const char *a, size_t alen, const char *b,
                         size_t blen)
{
    size_t n = alen + blen + 1;
    struct source_strings *block = s->strings;
    if (!block || block->cap - block->used < n) {
        size_t cap = n > STRINGS_BLOCK ? n : STRINGS_BLOCK;
        block = xmalloc(sizeof *block + cap);
        block->next = s->strings;
        block->used = 0;
        block->cap = cap;
        s->strings = block;
    }
    char *p = block->data + block->used;
    memcpy(p, a, alen);
    memcpy(p + alen, b, blen);
    p[n - 1] = '\0';
    block->used += n;
    return p;
}

static void strings_free(migration_source *s)
{
    while (s->strings) {
        struct source_strings *next = s->strings->next;
        free(s->strings);
        s->strings = next;
    }
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

/* What a file name says: its layout and where its version and title are
 * in it (offsets from the name's start). */
typedef struct parsed_name {
    uint16_t version_at, version_len; /* a name has at most NAME_MAX bytes */
    uint16_t title_at, title_len;
    unsigned char kind;               /* file_kind */
} parsed_name;

/* The version's sort key, appended to `pool`; its length. Made once per
 * file so that sorting compares bytes instead of parsing versions again
 * in every comparison: each numeric segment as its digit count (one byte
 * below 255, else 255 and eight bytes, most significant first) then its
 * digits without leading zeros (version_segment's reading). memcmp orders
 * two keys as version_compare orders their versions (a key that is a
 * prefix of the other is the smaller, as "1" < "1.0"), and equal keys are
 * equal versions. */
static size_t version_key(strbuf *pool, const char *version, size_t vlen)
{
    size_t before = pool->len;
    const char *p = version, *end = version + vlen;
    while (p < end) {
        const char *digits;
        size_t n;
        version_segment(&p, &digits, &n);
        unsigned char count[9];
        size_t clen = 0;
        if (n < 255) {
            count[clen++] = (unsigned char)n;
        } else {
            count[clen++] = 255;
            for (int shift = 56; shift >= 0; shift -= 8)
                count[clen++] = (unsigned char)((uint64_t)n >> shift);
        }
        strbuf_append_len(pool, (const char *)count, clen);
        strbuf_append_len(pool, digits, n);
    }
    return pool->len - before;
}

static int key_compare(const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen)
{
    size_t n = xlen < ylen ? xlen : ylen;
    int c = memcmp(x, y, n);
    if (c != 0)
        return c < 0 ? -1 : 1;
    return (xlen > n) - (ylen > n);
}

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
    if (len > UINT16_MAX)
        return false;
    out->version_at = (uint16_t)(start - name);
    out->version_len = (uint16_t)vlen;
    out->title_at = (uint16_t)(rest - name);
    out->title_len = (uint16_t)(end - rest);
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

/* What a script holds besides white space: statements, or only comments. */
typedef enum script_content {
    CONTENT_CODE,
    CONTENT_COMMENTS,
    CONTENT_BLANK,
} script_content;

static unsigned char content_of(const char *text, size_t length)
{
    if (script_has_code(text, text + length))
        return CONTENT_CODE;
    for (size_t i = 0; i < length; i++)
        if (!strchr(" \t\r\n", text[i]))
            return CONTENT_COMMENTS;
    return CONTENT_BLANK;
}

/* What reading a file's bytes gave (read_file), before any check. */
typedef enum read_outcome {
    READ_OK,
    READ_OPEN_FAILED,  /* errno in read_errno */
    READ_STAT_FAILED,
    READ_NOT_REGULAR,
    READ_FAILED,
} read_outcome;

/* A file whose name matched a layout. Twenty thousand of them are alive
 * at once for a folder of ten thousand pairs: only what the checks after
 * the reading need is kept here, the scripts go straight to their
 * migrations, and no file's text outlives its reading (but a dbmate
 * file's, until its sections are split). */
typedef struct file_entry {
    const char *name;          /* in source_read's pool of names */
    const unsigned char *key;  /* the version's sort key (version_key) */
    migration *m;              /* the version's kept up file: its migration, else NULL */
    migration_script *script;  /* a kept up or down file: where its script goes, else NULL */
    char *raw;                 /* a dbmate file's bytes, from read_raw to check_entry */
    size_t raw_length;
    int read_errno;
    int bad_line;              /* where the bytes stop being text (bad): the line */
    parsed_name parsed;
    uint16_t keylen;
    unsigned char type;        /* d_type */
    unsigned char outcome;     /* read_outcome */
    unsigned char bad_byte;    /* the first byte that is not UTF-8 (unless bad_nul) */
    unsigned char content;     /* script_content of its script (dbmate: up section) */
    unsigned char down_content; /* dbmate: of its down section */
    bool down;                 /* kind_is_down */
    bool bad;                  /* a NUL byte or invalid UTF-8, at bad_line */
    bool bad_nul;
    bool failed;               /* not read or not text: no content checks */
    bool has_down;             /* dbmate: a down section */
} file_entry;

/* What is sorted: 16 bytes, so that sorting thousands of them stays in
 * the cache; the first eight bytes of the key decide most comparisons. */
typedef struct sort_item {
    uint64_t prefix;
    file_entry *f;
} sort_item;

/* The first eight bytes of a key, most significant first, zeros past its
 * end: prefixes that differ order as the keys do (a zero past the end of
 * a key that is shorter against a byte of the longer makes it smaller,
 * as key_compare does; a zero against a zero is no difference). */
static uint64_t key_prefix(const unsigned char *key, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | (i < len ? key[i] : 0u);
    return v;
}

/* A script's directives are all it owns: its path is in the folder's
 * strings. */
static void script_clear(migration_script *m)
{
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

/* NUL bytes and invalid UTF-8 (found by read_raw): false (and the
 * problem) when the file's bytes are not a script at all. */
static bool text_is_script(migration_source *s, const file_entry *f)
{
    if (!f->bad)
        return true;
    if (f->bad_nul)
        add_problem(s, SOURCE_ERROR, f->name, f->bad_line,
                    "NUL byte: this is not a text file; save the script as UTF-8 text");
    else
        add_problem(s, SOURCE_ERROR, f->name, f->bad_line,
                    "invalid UTF-8 (byte 0x%02X); save the file as UTF-8", (unsigned)f->bad_byte);
    return false;
}

/* The n bytes at s (no NUL among them) as a string. Not xstrndup: its
 * strnlen is, in this program, libpg_query's own (the library exports
 * one, which takes the place of the C library's), a byte at a time. */
static char *copy_of(const char *s, size_t n)
{
    char *c = xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* A script's length, start and directives, and the digest of the whole
 * file its text came from (its text itself is not kept). */
static void script_set(migration_script *m, const char *text, size_t length, int line,
                       const unsigned char *file_digest)
{
    m->length = length;
    m->line = line;
    script_directives_read(text, &m->directives);
    memcpy(m->digest, file_digest, sizeof m->digest);
}

/* Where a file's bytes stop being text: the offset of the first NUL
 * byte (*nul), else of the first byte that is not UTF-8, else `length`. */
static size_t first_bad_byte(const char *text, size_t length, bool *nul)
{
    const char *p = memchr(text, '\0', length);
    *nul = p != NULL;
    return p ? (size_t)(p - text) : utf8_first_invalid(text, length);
}

/* The bytes of the file `name` (relative to the folder `dfd`, or a path
 * with AT_FDCWD) into `buf`, emptied first and reused from file to file,
 * so that reading thousands of them allocates nothing per file. Three
 * system calls a file (open, read, close) when the caller already knows
 * it is a regular file (readdir said so): no fstat, and a read shorter
 * than asked is the end of a regular file. */
static read_outcome read_file(int dfd, const char *name, bool regular, strbuf *buf, int *error)
{
    strbuf_reset(buf);
    int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *error = errno;
        return READ_OPEN_FAILED;
    }
    read_outcome r = READ_OK;
    size_t want = 65536;
    struct stat st;
    if (!regular && fstat(fd, &st) != 0) {
        *error = errno;
        r = READ_STAT_FAILED;
    } else if (!regular && !S_ISREG(st.st_mode)) {
        r = READ_NOT_REGULAR;
    } else if (!regular && st.st_size >= 0 && (uintmax_t)st.st_size < SIZE_MAX / 2) {
        want = (size_t)st.st_size + 1; /* the size, and one more byte to see the end */
    }
    while (r == READ_OK) {
        buf->data = array_grow(buf->data, &buf->cap, buf->len + want + 1, 1);
        ssize_t n = read(fd, buf->data + buf->len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *error = errno;
            r = READ_FAILED;
            break;
        }
        buf->len += (size_t)n;
        buf->data[buf->len] = '\0';
        if ((size_t)n < want)
            break;
        want = 65536;
    }
    close(fd);
    return r;
}

/* What can be done for one file apart from the others, in any order and
 * on any thread: its bytes, where they stop being text, and, for a kept
 * file that is not a dbmate file (whose sections come with problems of
 * their own), its script's length, directives and digest, and an up
 * script's checksum. No problem is recorded here: check_entry records
 * them afterwards, on the calling thread, so that the folder's problems
 * and their order do not depend on how the files were shared out. */
static void read_raw(int dfd, strbuf *buf, file_entry *f)
{
    int e = 0;
    read_outcome r = read_file(dfd, f->name, f->type == DT_REG, buf, &e);
    f->outcome = (unsigned char)r;
    f->read_errno = e;
    if (f->outcome != READ_OK)
        return;
    size_t bad_at = first_bad_byte(buf->data, buf->len, &f->bad_nul);
    if (bad_at < buf->len) {
        f->bad = true;
        f->bad_line = line_of(buf->data, bad_at);
        f->bad_byte = (unsigned char)buf->data[bad_at];
        return;
    }
    if (f->parsed.kind == KIND_DBMATE) {
        f->raw = copy_of(buf->data, buf->len);
        f->raw_length = buf->len;
    }
    if (!f->script)
        return;
    unsigned char md[32];
    sha256_digest(buf->data, buf->len, md);
    if (f->parsed.kind == KIND_DBMATE) {
        memcpy(f->script->digest, md, sizeof f->script->digest);
        return;
    }
    script_set(f->script, buf->data, buf->len, 1, md);
    f->content = content_of(buf->data, buf->len);
    if (f->m)
        digest_hex(md, f->m->checksum);
}

/* Files per reading thread, at the least: below this a thread costs more
 * than it saves. */
#define FILES_PER_THREAD 128
#define MAX_READ_THREADS 4

typedef struct read_share {
    int dfd;
    const sort_item *order;  /* the files, in order */
    size_t n, first, step;
} read_share;

static void *read_share_run(void *arg)
{
    const read_share *r = arg;
    strbuf buf = {0};
    for (size_t i = r->first; i < r->n; i += r->step)
        read_raw(r->dfd, &buf, r->order[i].f);
    strbuf_free(&buf);
    return NULL;
}

/* read_raw for every file. Most of the time of reading a large folder is
 * the kernel's (finding the name, opening, copying, closing), which runs
 * in parallel on several cores: the files are shared out among up to
 * MAX_READ_THREADS threads (one per online processor), the calling one
 * included; the helpers take no signals (they stay with the caller's
 * thread) and are all joined before this returns. When a thread cannot
 * be started, the calling thread reads its share too. */
static void read_all(int dfd, const sort_item *order, size_t n)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = cpus > 1 ? (size_t)cpus : 1;
    if (nthreads > MAX_READ_THREADS)
        nthreads = MAX_READ_THREADS;
    if (nthreads > n / FILES_PER_THREAD)
        nthreads = n / FILES_PER_THREAD ? n / FILES_PER_THREAD : 1;
    read_share shares[MAX_READ_THREADS];
    pthread_t threads[MAX_READ_THREADS];
    bool started[MAX_READ_THREADS] = {false};
    for (size_t t = 0; t < nthreads; t++)
        shares[t] = (read_share){dfd, order, n, t, nthreads};
    if (nthreads > 1) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        for (size_t t = 1; t < nthreads; t++)
            started[t] = pthread_create(&threads[t], NULL, read_share_run, &shares[t]) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    read_share_run(&shares[0]);
    for (size_t t = 1; t < nthreads; t++) {
        if (started[t])
            pthread_join(threads[t], NULL);
        else
            read_share_run(&shares[t]);
    }
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

/* A kept dbmate file's sections into its migration (DESIGN.md §3): the
 * up section from `up` (the marker line, ending at up_eol) to `down` (or
 * the end), the down section after down's marker line when there is one.
 * Their text is in `text` only as long as this runs. */
static void dbmate_sections(file_entry *f, const char *text, size_t length,
                            const char *up, const char *up_eol, int up_line, const char *down,
                            const char *down_eol, int down_line)
{
    migration *m = f->m;
    unsigned char file_digest[sizeof m->up.digest]; /* read_raw's */
    memcpy(file_digest, m->up.digest, sizeof file_digest);
    const char *end = text + length;
    const char *up_start = *up_eol ? up_eol + 1 : up_eol;
    const char *up_end = down ? down : end;
    char *section = copy_of(up_start, (size_t)(up_end - up_start));
    script_set(&m->up, section, (size_t)(up_end - up_start), up_line + 1, file_digest);
    f->content = content_of(section, m->up.length);
    source_sha256_hex(section, m->up.length, m->checksum);
    free(section);
    /* `-- migrate:up transaction:false`: the marker line is read as a
     * directive line too, through the same reader. */
    char *marker = copy_of(up, (size_t)(up_eol - up));
    script_directives marker_directives;
    script_directives_read(marker, &marker_directives);
    if (marker_directives.no_transaction)
        m->up.directives.no_transaction = true;
    script_directives_free(&marker_directives);
    free(marker);
    if (!down)
        return;
    const char *down_start = *down_eol ? down_eol + 1 : down_eol;
    f->has_down = true;
    /* A down file of the same version (mixed layouts) may have put its
     * script here: the file's own section comes first. */
    script_clear(&m->down);
    section = copy_of(down_start, (size_t)(end - down_start));
    script_set(&m->down, section, (size_t)(end - down_start), down_line + 1, file_digest);
    f->down_content = content_of(section, m->down.length);
    free(section);
    /* dbmate accepts the same option on the down marker. */
    if (memmem(down, (size_t)(down_eol - down), "transaction:false", 17))
        m->down.directives.no_transaction = true;
}

/* Split a dbmate file into its sections (DESIGN.md §3); the problems of
 * its markers are found for every dbmate file, kept or not. */
static void read_dbmate(migration_source *s, file_entry *f)
{
    const char *text = f->raw;
    size_t length = f->raw_length;
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
    if (!ok)
        f->failed = true;
    else if (f->m)
        dbmate_sections(f, text, length, up, up_eol, up_line, down, down_eol, down_line);
    free(f->raw);
    f->raw = NULL;
}

/* Check one file whose name matched a layout, once read_all has read
 * it: the problems of reading it, else of its bytes and its sections. */
static void check_entry(migration_source *s, int dfd, file_entry *f)
{
    switch (f->outcome) {
    case READ_OPEN_FAILED:
        open_problem(s, dfd, f->name, f->read_errno);
        break;
    case READ_NOT_REGULAR:
        add_problem(s, SOURCE_ERROR, f->name, 0,
                    "not a regular file; replace it with a file or remove it");
        break;
    case READ_STAT_FAILED:
    case READ_FAILED:
        add_problem(s, SOURCE_ERROR, f->name, 0, "cannot read: %s", strerror(f->read_errno));
        break;
    case READ_OK:
    default:
        break;
    }
    if (f->outcome != READ_OK || !text_is_script(s, f)) {
        f->failed = true;
        return;
    }
    /* The other layouts' scripts were made by read_raw already. */
    if (f->parsed.kind == KIND_DBMATE)
        read_dbmate(s, f);
}

/* The version of a file's name, for "%.*s". */
#define VERSION_OF(f) (int)(f)->parsed.version_len, (f)->name + (f)->parsed.version_at

/* An up script with nothing to run is an error: applying it would record
 * a version that changed nothing, almost always a file not yet written.
 * An empty down script is only a warning: golang-migrate's `create` makes
 * empty down files and many projects keep them for changes they never
 * roll back; refusing the whole folder for them would make those projects
 * unusable, while the warning still says what rolling back would do. */
static void check_empty(migration_source *s, const file_entry *f, const migration_script *m,
                        unsigned char content, bool down)
{
    if (content == CONTENT_CODE)
        return;
    const char *what = content == CONTENT_COMMENTS ? "it holds only comments" : "it is blank";
    int line = f->parsed.kind == KIND_DBMATE ? m->line - 1 : 0;
    if (!down)
        add_problem(s, SOURCE_ERROR, f->name, line, "empty up script (%s); write the migration",
                    what);
    else
        add_problem(s, SOURCE_WARNING, f->name, line,
                    "empty down script (%s): rolling back version %.*s would change nothing; "
                    "write it, or remove it to make the version irreversible",
                    what, VERSION_OF(f));
}

/* ------------------------------------------------------------ grouping */

typedef struct dir_name {
    size_t at;          /* offset of the name in the pool of names */
    unsigned char type; /* d_type: DT_UNKNOWN when the file system does not say */
} dir_name;

/* By version, then up before down, then by name: the first up of a
 * version is the one kept, the others are its duplicates. The names come
 * in the folder's own order (readdir's); this one sort orders them. */
static int compare_items(const void *a, const void *b)
{
    const sort_item *i = a, *j = b;
    if (i->prefix != j->prefix)
        return i->prefix < j->prefix ? -1 : 1;
    const file_entry *x = i->f, *y = j->f;
    int c = key_compare(x->key, x->keylen, y->key, y->keylen);
    if (c != 0)
        return c;
    if (x->down != y->down)
        return x->down ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The end of the group of files of one version that starts at order[i]. */
static size_t group_end(const sort_item *order, size_t n, size_t i)
{
    const file_entry *first = order[i].f;
    size_t j = i + 1;
    while (j < n &&
           key_compare(first->key, first->keylen, order[j].f->key, order[j].f->keylen) == 0)
        j++;
    return j;
}

/* Before anything is read: the first up file of each version makes a
 * migration, in version order, and the version's first down file gives
 * its down script (or the up file's down section, for dbmate); reading
 * puts their scripts straight there. The other files are only checked. */
static void assign_migrations(migration_source *s, const sort_item *order, size_t n)
{
    size_t versions = 0;
    for (size_t i = 0; i < n; i = group_end(order, n, i))
        versions += !order[i].f->down;
    s->migrations = xcalloc(versions ? versions : 1, sizeof *s->migrations);
    s->cap = versions;
    for (size_t i = 0, j; i < n; i = j) {
        j = group_end(order, n, i);
        file_entry *up = order[i].f;
        if (up->down)
            continue;
        migration *m = &s->migrations[s->count++];
        up->m = m;
        up->script = &m->up;
        for (size_t k = i + 1; k < j; k++)
            if (order[k].f->down) {
                order[k].f->script = &m->down;
                break;
            }
    }
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

static bool same_title(const file_entry *a, const file_entry *b)
{
    return a->parsed.title_len == b->parsed.title_len &&
           memcmp(a->name + a->parsed.title_at, b->name + b->parsed.title_at,
                  a->parsed.title_len) == 0;
}

/* One version's files (sorted: ups first): report the duplicates and a
 * down script without an up script; check the kept up and down scripts;
 * and complete the version's migration (assign_migrations made it, the
 * reading filled in its scripts). `dir_slash`: the folder and a '/'. */
static void take_group(migration_source *s, const sort_item *g, size_t n, const char *dir_slash)
{
    file_entry *up = g[0].f->down ? NULL : g[0].f;
    file_entry *down = NULL;
    for (size_t i = 0; i < n; i++) {
        file_entry *f = g[i].f;
        file_entry *first = f->down ? down : (f == up ? NULL : up);
        if (first) {
            add_problem(s, SOURCE_ERROR, f->name, 0,
                        "duplicate version %.*s: also in %s; renumber one of them", VERSION_OF(f),
                        first->name);
        } else if (f->down && !up) {
            char *want = expected_up_name(f);
            add_problem(s, SOURCE_ERROR, f->name, 0,
                        "down script without an up script for version %.*s; add %s or remove "
                        "this file",
                        VERSION_OF(f), want);
            free(want);
            down = f;
        } else if (f->down) {
            down = f;
        }
    }
    if (!up)
        return;
    migration *m = up->m;
    if (!up->failed)
        check_empty(s, up, &m->up, up->content, false);
    bool dbmate_down = up->parsed.kind == KIND_DBMATE && up->has_down;
    if (dbmate_down) {
        check_empty(s, up, &m->down, up->down_content, true);
        check_transactions(s, up->name, m->down.line - 1, &m->up, &m->down);
    } else if (down && !down->failed) {
        check_empty(s, down, &m->down, down->content, true);
        if (!same_title(down, up))
            add_problem(s, SOURCE_WARNING, down->name, 0,
                        "title differs from the up script's (%s); rename one so that they match",
                        up->name);
        if (!up->failed)
            check_transactions(s, down->name, 0, &m->up, &m->down);
    }

    size_t dlen = strlen(dir_slash);
    m->version = strings_add(s, "", 0, up->name + up->parsed.version_at, up->parsed.version_len);
    m->name = strings_add(s, "", 0, up->name + up->parsed.title_at, up->parsed.title_len);
    char *path = strings_add(s, dir_slash, dlen, up->name, strlen(up->name));
    if (up->failed) {
        /* Not a script: "" in its place (nothing runs while its problem
         * stands). */
        script_clear(&m->up);
        m->up.line = 1;
        source_sha256_hex("", 0, m->checksum);
    }
    m->up.path = path;
    if (dbmate_down) {
        m->has_down = true;
        m->down.path = path;
    } else if (down && !down->failed) {
        m->has_down = true;
        m->down.path = strings_add(s, dir_slash, dlen, down->name, strlen(down->name));
    }
}

/* The first `max` names (in name order) of the files of layout `l`, into
 * out[]; how many there are, at most max. */
static size_t first_names(const file_entry *files, size_t n, source_layout l, const char **out,
                          size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (kind_layout(files[i].parsed.kind) != l)
            continue;
        const char *name = files[i].name;
        if (k == max && strcmp(name, out[max - 1]) >= 0)
            continue;
        size_t at = k < max ? k++ : max - 1; /* when full, the last one goes */
        while (at > 0 && strcmp(name, out[at - 1]) < 0) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = name;
    }
    return k;
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
        const char *first[3];
        size_t shown = first_names(files, n, (source_layout)l, first, 3);
        for (size_t i = 0; i < shown; i++)
            strbuf_appendf(&sb, "%s%s", i ? ", " : "", first[i]);
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
    /* The names, in the folder's order, all in one block. */
    strbuf pool = {0};
    dir_name *names = NULL;
    size_t nnames = 0, names_cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* hidden files (.gitkeep, editors' swap files): silently */
        names = array_grow(names, &names_cap, nnames + 1, sizeof *names);
        names[nnames].at = pool.len;
        names[nnames++].type = e->d_type;
        strbuf_append_len(&pool, e->d_name, strlen(e->d_name) + 1);
    }

    /* Which names are migrations, with their versions' sort keys (all in
     * one block too); the others are reported. */
    int dfd = dirfd(d);
    file_entry *files = xcalloc(nnames ? nnames : 1, sizeof *files);
    size_t *key_at = xcalloc(nnames ? nnames : 1, sizeof *key_at);
    strbuf keys = {0};
    size_t nfiles = 0;
    for (size_t i = 0; i < nnames; i++) {
        const char *name = pool.data + names[i].at;
        unsigned char type = names[i].type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                type = DT_DIR;
        }
        file_entry *it = &files[nfiles];
        if (type == DT_DIR) {
            add_problem(out, SOURCE_WARNING, name, 0,
                        "ignored: a subfolder (only the files of %s itself are read)", dir);
        } else if (!has_sql_suffix(name)) {
            add_problem(out, SOURCE_WARNING, name, 0, "ignored: not a migration file");
        } else if (parse_name(name, &it->parsed)) {
            it->name = name;
            it->type = type;
            it->down = kind_is_down(it->parsed.kind);
            key_at[nfiles] = keys.len;
            it->keylen = (uint16_t)version_key(&keys, name + it->parsed.version_at,
                                               it->parsed.version_len);
            nfiles++;
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
    }
    free(names);
    sort_item *order = xcalloc(nfiles ? nfiles : 1, sizeof *order);
    for (size_t i = 0; i < nfiles; i++) {
        files[i].key = (const unsigned char *)keys.data + key_at[i];
        order[i].prefix = key_prefix(files[i].key, files[i].keylen);
        order[i].f = &files[i];
    }
    free(key_at);
    qsort(order, nfiles, sizeof *order, compare_items);
    assign_migrations(out, order, nfiles);

    /* The files in that order, each read and checked. */
    read_all(dfd, order, nfiles);
    for (size_t i = 0; i < nfiles; i++)
        check_entry(out, dfd, order[i].f);
    closedir(d);

    check_layouts(out, files, nfiles);
    char *dir_slash = xasprintf("%s/", dir);
    for (size_t i = 0, j; i < nfiles; i = j) {
        j = group_end(order, nfiles, i);
        take_group(out, order + i, j - i, dir_slash);
    }
    free(dir_slash);
    free(order);
    free(files);
    strbuf_free(&keys);
    strbuf_free(&pool);
    numbering_style(out);
    sort_problems(out);
    return SW_OK;
}

void source_free(migration_source *s)
{
    for (size_t i = 0; i < s->count; i++) {
        script_directives_free(&s->migrations[i].up.directives);
        script_directives_free(&s->migrations[i].down.directives);
    }
    free(s->migrations);
    strings_free(s);
    for (size_t i = 0; i < s->nproblems; i++) {
        free(s->problems[i].file);
        free(s->problems[i].message);
    }
    free(s->problems);
    free(s->dir);
    memset(s, 0, sizeof *s);
}

sw_status migration_script_text(const migration_script *s, strbuf *out, sw_error *err)
{
    if (s->length == 0) {
        strbuf_append_len(out, "", 0);
        return SW_OK;
    }
    strbuf file = {0};
    int e = 0;
    read_outcome r = read_file(AT_FDCWD, s->path, false, &file, &e);
    if (r != READ_OK) {
        strbuf_free(&file);
        if (r == READ_NOT_REGULAR)
            return sw_error_set(err, SW_FAILED, "%s is no longer a regular file", s->path);
        return sw_error_set(err, SW_FAILED, "cannot read %s: %s", s->path, strerror(e));
    }
    unsigned char md[32];
    sha256_digest(file.data, file.len, md);
    bool same = memcmp(md, s->digest, sizeof s->digest) == 0;
    /* Where the script starts: dbmate's after line - 1 lines. */
    size_t at = 0;
    for (int l = 1; same && l < s->line; l++) {
        const char *nl = memchr(file.data + at, '\n', file.len - at);
        at = nl ? (size_t)(nl - file.data) + 1 : file.len;
    }
    if (!same || s->length > file.len - at) {
        strbuf_free(&file);
        return sw_error_set(err, SW_FAILED,
                            "%s changed after the migrations folder was read; read the folder "
                            "again (run the command again, or R in the console) and check the "
                            "change",
                            s->path);
    }
    strbuf_append_len(out, file.data + at, s->length);
    strbuf_free(&file);
    return SW_OK;
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
