/* Memory and string helpers shared by every module: allocation that never
 * returns NULL, one growable-array helper, one string buffer, and escaping
 * of text that came from a database or a file before anyone displays it. */
#ifndef STEPWISE_UTIL_H
#define STEPWISE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define SW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Allocation failure aborts with a message: every caller can rely on a
 * non-NULL result, as htop's xMalloc does. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) SW_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) SW_PRINTF(1, 0);

/* Grow an array so that it holds at least `need` elements of `elem` bytes;
 * *cap is updated. Capacity doubles, so appends are amortised O(1). */
void *array_grow(void *array, size_t *cap, size_t need, size_t elem);

/* A growable NUL-terminated string. Zero-initialise it ({0}) before use. */
typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
} strbuf;

void strbuf_append(strbuf *sb, const char *s);
void strbuf_append_len(strbuf *sb, const char *s, size_t n);
void strbuf_append_char(strbuf *sb, char c);
void strbuf_appendf(strbuf *sb, const char *fmt, ...) SW_PRINTF(2, 3);
void strbuf_vappendf(strbuf *sb, const char *fmt, va_list ap) SW_PRINTF(2, 0);
void strbuf_reset(strbuf *sb);
/* Hand the string over to the caller (never NULL) and empty the buffer. */
char *strbuf_detach(strbuf *sb);
void strbuf_free(strbuf *sb);
/* Always a valid C string, "" when nothing was appended. */
const char *strbuf_str(const strbuf *sb);

/* A map from strings to pointers: open addressing, keys copied, no
 * removal (callers that need to forget something store an empty value).
 * Zero-initialise ({0}) before use. */
typedef struct strmap {
    char **keys;
    void **values;
    size_t cap;   /* a power of two, or 0 */
    size_t count;
} strmap;

void *strmap_get(const strmap *m, const char *key);
/* Set key to value; returns the value it replaces, or NULL. */
void *strmap_put(strmap *m, const char *key, void *value);
/* Free the keys, and each value with free_value unless it is NULL. */
void strmap_free(strmap *m, void (*free_value)(void *));

/* Append `text` with every control character (C0, DEL, C1 and the escape
 * sequences they start) shown as a visible escape, so that nothing read
 * from a server or a file can move the cursor or change the terminal.
 * Tabs become \t and newlines \n unless `keep_newlines` is set. Invalid
 * UTF-8 bytes are shown as \xHH. */
void text_escape_control(strbuf *out, const char *text, bool keep_newlines);
/* Convenience: a newly allocated escaped copy. */
char *text_escaped(const char *text);

/* Collapse a multi-line message (libpq's errors span lines) into one line:
 * newlines and tabs become single spaces, trailing whitespace goes. */
char *text_one_line(const char *text);

/* Replace every occurrence of `secret` in `text` (in place, by "***" on a
 * fresh copy). Returns a new string; an empty secret changes nothing. */
char *text_redact(const char *text, const char *secret);

/* Length of the valid UTF-8 sequence starting at s (1 to 4), 0 if the
 * bytes there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF). */
size_t utf8_valid_length(const unsigned char *s);

/* `text` between two `quote` characters, each quote inside doubled: SQL's
 * quoting of identifiers ('"') and literals ('\''). Newly allocated. */
char *text_quote(const char *text, char quote);

/* "500ms", "2s", "1.5s", "1min" (or "1m"), "1h"; a bare number is
 * seconds. False for anything else, negative or absurdly large. */
bool duration_parse(const char *text, double *seconds);
/* The same duration as PostgreSQL reads it in SET lock_timeout: its own
 * units kept ("2s", "500ms", "1min"), a bare number given "s", "m" as
 * "min". NULL when duration_parse rejects it. Newly allocated. */
char *duration_setting(const char *text);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

/* mkdir -p of the folders above `path` (not path itself), each new one
 * 0700. 0, or the errno with the folder that could not be made in
 * *failed (newly allocated). */
int mkdir_parents(const char *path, char **failed);

#endif
