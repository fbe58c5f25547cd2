/* Reading a migrations folder (DESIGN.md §3): which layout it uses, each
 * version with its up and down scripts, their directives and checksums,
 * and every problem found, all at once. Nothing runs while a problem of
 * severity error stands. */
#ifndef STEPWISE_SOURCE_H
#define STEPWISE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/directives.h"
#include "core/error.h"
#include "core/util.h"

typedef enum source_layout {
    LAYOUT_NONE,   /* empty folder, or nothing recognisable */
    LAYOUT_PAIRS,  /* VERSION_title.up.sql + VERSION_title.down.sql (golang-migrate) */
    LAYOUT_DBMATE, /* VERSION_title.sql with -- migrate:up / -- migrate:down */
    LAYOUT_FLYWAY, /* V<version>__desc.sql + U<version>__desc.sql */
} source_layout;

/* A script as the folder read it. Its text is not kept (a folder of
 * thousands of migrations would hold every script in memory for the few
 * that are shown or run): migration_script_text reads it again. */
typedef struct migration_script {
    char *path;     /* the file, as opened (dir/name) */
    size_t length;  /* bytes of the script (dbmate: of its section only) */
    script_directives directives;
    int line;       /* line of the file where the script starts (1 unless dbmate) */
    /* The first 12 bytes (96 bits, what fits beside `line` without
     * padding) of the SHA-256 of the whole file as it was read:
     * migration_script_text refuses a file that no longer matches. */
    unsigned char digest[12];
} migration_script;

typedef struct migration {
    char *version;      /* as written: "0003", "20240101120000", "1.2.10" */
    char *name;         /* the title part: "add_email" ("" when none) */
    migration_script up;
    migration_script down;  /* zeroed when !has_down */
    char checksum[65];  /* SHA-256 of the up script's bytes, lowercase hex */
    bool has_down;
} migration;

typedef enum source_severity {
    SOURCE_WARNING, /* shown; does not stop anything */
    SOURCE_ERROR,   /* nothing may run while it stands */
} source_severity;

typedef struct source_problem {
    source_severity severity;
    char *file;     /* the file's name inside the folder ("" for the folder) */
    int line;       /* 0 when not about one line */
    char *message;  /* one line, no file name, no trailing period */
} source_problem;

typedef struct migration_source {
    char *dir;
    source_layout layout;
    migration *migrations;  /* sorted by version_compare */
    size_t count;
    size_t cap;
    source_problem *problems; /* in the order of the files, sorted by name */
    size_t nproblems;
    size_t problems_cap;
    size_t errors;          /* problems of severity SOURCE_ERROR */
    /* Numbering style, for `stepwise new`: */
    bool timestamps;        /* versions are YYYYMMDDHHMMSS */
    int width;              /* zero padding of integer versions (0: none) */
    /* The migrations' versions, names and paths, packed in a few blocks
     * (internal: source_free frees them). */
    struct source_strings *strings;
} migration_source;

/* The folder to use: `option` when given (it must exist), else
 * ./migrations, else ./db/migrations (relative to `cwd`, or the current
 * directory when cwd is NULL). Newly allocated. SW_USAGE when none
 * exists, naming what was tried. */
sw_status source_find_dir(const char *option, const char *cwd, char **out, sw_error *err);

/* Read every file of `dir`. Problems go into out->problems; the call
 * itself fails (SW_USAGE) only when the folder cannot be listed. */
sw_status source_read(const char *dir, migration_source *out, sw_error *err);
void source_free(migration_source *s);

/* Append the text of script `s` (dbmate: its section) to `out`, read
 * again from its file: exactly the bytes the folder read (so the up
 * script's are those of the migration's checksum). A file that can no
 * longer be read, or that changed since the folder was read, is an error
 * naming the file (SW_FAILED), and nothing is appended. Any thread may
 * call it; `s` may be a copy (its path and digest are all it uses). A
 * script of length 0 (also the "" of a file that could not be read as a
 * script) gives "" without reading. */
sw_status migration_script_text(const migration_script *s, strbuf *out, sw_error *err);

/* Binary search by version (version_compare) in an array sorted by it,
 * whose elements each begin with their version string (a `char *` or
 * `const char *` first member): migrations, history rows, status entries. */
const void *version_bsearch(const void *array, size_t count, size_t size, const char *version);

/* The migration with this version (compared numerically), or NULL. */
const migration *source_find(const migration_source *s, const char *version);

/* Digits, optionally dotted ("1.2.3"), no empty segment. */
bool version_valid(const char *version);
/* Numeric segment by segment: "2" < "10", "1.2" < "1.10", "1" < "1.0";
 * leading zeros do not count ("01" == "1"). */
int version_compare(const char *a, const char *b);

const char *source_layout_name(source_layout layout);

/* "DIR/FILE:LINE: error: MESSAGE" (":LINE" only when line > 0;
 * "warning" for warnings), control characters escaped. Newly allocated. */
char *source_problem_text(const migration_source *s, const source_problem *p);

/* SHA-256 of `length` bytes as 64 lowercase hex digits and a NUL. */
void source_sha256_hex(const void *data, size_t length, char out[65]);

/* A name `stepwise new` accepts: 1 to 200 letters, digits and
 * underscores (a created file reads back with exactly this name). */
bool source_name_valid(const char *name);

/* `stepwise new NAME`: create the next migration in the folder's own
 * layout and numbering (LAYOUT_NONE: pairs, 4-digit padding; `now` for
 * timestamp folders). NAME must be letters, digits and underscores (a
 * hyphen or space becomes an underscore is NOT done: it is refused).
 * The created paths (one or two) go to paths[], count to *npaths.
 * Refuses (SW_USAGE) a bad name, a folder with errors, or an existing file. */
sw_status source_new(const migration_source *s, const char *name, time_t now, char *paths[2],
                     size_t *npaths, sw_error *err);

#endif
