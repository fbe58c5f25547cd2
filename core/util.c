/* Memory and string helpers: the one place that allocates raw memory,
 * grows arrays and builds strings, so no other file hand-rolls them. */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    /* The only output core/ ever produces: there is nobody left to return
     * an error to when memory is gone. */
    fprintf(stderr, "stepwise: out of memory (wanted %zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        out_of_memory(0);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void *array_grow(void *array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return array;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            out_of_memory(SIZE_MAX);
        n *= 2;
    }
    if (elem && n > SIZE_MAX / elem)
        out_of_memory(SIZE_MAX);
    array = xrealloc(array, n * elem);
    *cap = n;
    return array;
}

void strbuf_append_len(strbuf *sb, const char *s, size_t n)
{
    sb->data = array_grow(sb->data, &sb->cap, sb->len + n + 1, 1);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_append(strbuf *sb, const char *s)
{
    strbuf_append_len(sb, s, strlen(s));
}

void strbuf_append_char(strbuf *sb, char c)
{
    strbuf_append_len(sb, &c, 1);
}

void strbuf_vappendf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    sb->data = array_grow(sb->data, &sb->cap, sb->len + (size_t)n + 1, 1);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void strbuf_appendf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vappendf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_reset(strbuf *sb)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

char *strbuf_detach(strbuf *sb)
{
    char *s = sb->data ? sb->data : xstrdup("");
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

const char *strbuf_str(const strbuf *sb)
{
    return sb->data ? sb->data : "";
}

/* FNV-1a: short keys (relation and column names), good spread. */
static size_t strmap_hash(const char *key)
{
    uint64_t h = 1469598103934665603u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211u;
    }
    return (size_t)h;
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t strmap_slot(char *const *keys, size_t cap, const char *key)
{
    size_t i = strmap_hash(key) & (cap - 1);
    while (keys[i] && strcmp(keys[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

void *strmap_get(const strmap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = strmap_slot(m->keys, m->cap, key);
    return m->keys[i] ? m->values[i] : NULL;
}

void *strmap_put(strmap *m, const char *key, void *value)
{
    if ((m->count + 1) * 4 > m->cap * 3) { /* keep the load under 3/4 */
        size_t cap = m->cap ? m->cap * 2 : 16;
        char **keys = xcalloc(cap, sizeof *keys);
        void **values = xcalloc(cap, sizeof *values);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = strmap_slot(keys, cap, m->keys[i]);
                keys[j] = m->keys[i];
                values[j] = m->values[i];
            }
        free(m->keys);
        free(m->values);
        m->keys = keys;
        m->values = values;
        m->cap = cap;
    }
    size_t i = strmap_slot(m->keys, m->cap, key);
    if (m->keys[i]) {
        void *old = m->values[i];
        m->values[i] = value;
        return old;
    }
    m->keys[i] = xstrdup(key);
    m->values[i] = value;
    m->count++;
    return NULL;
}

void strmap_free(strmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            free(m->keys[i]);
            if (free_value && m->values[i])
                free_value(m->values[i]);
        }
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof *m);
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if invalid.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t utf8_valid_length(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void text_escape_control(strbuf *out, const char *text, bool keep_newlines)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        unsigned char c = *s;
        if (c == '\n' && keep_newlines) {
            strbuf_append_char(out, '\n');
            s++;
        } else if (c == '\n') {
            strbuf_append(out, "\\n");
            s++;
        } else if (c == '\t') {
            strbuf_append(out, "\\t");
            s++;
        } else if (c == '\r') {
            strbuf_append(out, "\\r");
            s++;
        } else if (c < 0x20 || c == 0x7F) {
            strbuf_appendf(out, "\\x%02X", c);
            s++;
        } else if (c < 0x80) {
            strbuf_append_char(out, (char)c);
            s++;
        } else {
            size_t len = utf8_valid_length(s);
            if (len == 0) {
                strbuf_appendf(out, "\\x%02X", c);
                s++;
            } else if (len == 2 && c == 0xC2 && s[1] < 0xA0) {
                /* C1 controls (U+0080..U+009F): CSI is among them. */
                strbuf_appendf(out, "\\u%04X", (unsigned)s[1]);
                s += 2;
            } else {
                strbuf_append_len(out, (const char *)s, len);
                s += len;
            }
        }
    }
}

char *text_escaped(const char *text)
{
    strbuf sb = {0};
    text_escape_control(&sb, text, false);
    return strbuf_detach(&sb);
}

char *text_one_line(const char *text)
{
    strbuf sb = {0};
    bool pending_space = false;
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            pending_space = sb.len > 0;
            continue;
        }
        if (pending_space)
            strbuf_append_char(&sb, ' ');
        pending_space = false;
        strbuf_append_char(&sb, *p);
    }
    return strbuf_detach(&sb);
}

char *text_redact(const char *text, const char *secret)
{
    strbuf sb = {0};
    size_t slen = secret ? strlen(secret) : 0;
    const char *p = text;
    if (slen > 0) {
        const char *hit;
        while ((hit = strstr(p, secret)) != NULL) {
            strbuf_append_len(&sb, p, (size_t)(hit - p));
            strbuf_append(&sb, "***");
            p = hit + slen;
        }
    }
    strbuf_append(&sb, p);
    return strbuf_detach(&sb);
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *text_quote(const char *text, char quote)
{
    strbuf sb = {0};
    strbuf_append_char(&sb, quote);
    for (const char *p = text; *p; p++) {
        if (*p == quote)
            strbuf_append_char(&sb, quote);
        strbuf_append_char(&sb, *p);
    }
    strbuf_append_char(&sb, quote);
    return strbuf_detach(&sb);
}

bool duration_parse(const char *text, double *seconds)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno != 0 || !(v >= 0) || v > 1e9)
        return false;
    double scale;
    if (*end == '\0' || strcmp(end, "s") == 0)
        scale = 1;
    else if (strcmp(end, "ms") == 0)
        scale = 0.001;
    else if (strcmp(end, "min") == 0 || strcmp(end, "m") == 0)
        scale = 60;
    else if (strcmp(end, "h") == 0)
        scale = 3600;
    else
        return false;
    *seconds = v * scale;
    return true;
}

char *duration_setting(const char *text)
{
    double seconds;
    if (!duration_parse(text, &seconds))
        return NULL;
    size_t digits = strspn(text, "0123456789.");
    const char *unit = text + digits;
    if (*unit == '\0')
        return xasprintf("%ss", text);
    if (strcmp(unit, "m") == 0)
        return xasprintf("%.*smin", (int)digits, text);
    return xstrdup(text);
}

int mkdir_parents(const char *path, char **failed)
{
    *failed = NULL;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        free(dir);
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            *failed = dir;
            return e;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(dir);
    return 0;
}
