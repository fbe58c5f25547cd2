/* The text form of a schema snapshot (core/schema.h): writing blocks,
 * the order of objects, the canonical text, JSON, and reading a saved
 * text back. */
#include "config.h"

#include "core/schema_build.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"

static const struct {
    const char *kind;
    int rank;
} kinds[] = {
    {"extension", 10}, {"schema", 20},      {"type", 30},          {"domain", 31},
    {"sequence", 40},  {"table", 50},       {"foreign_table", 51}, {"view", 60},
    {"matview", 61},   {"index", 70},       {"function", 80},      {"procedure", 81},
    {"aggregate", 82}, {"trigger", 90},
};

int schema_kind_rank(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].rank;
    return -1;
}

/* Whether text_escape_control (newlines kept) would change `text`: only
 * printable ASCII and newlines pass as they are. */
static bool needs_escaping(const char *text)
{
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        if ((*s < 0x20 && *s != '\n') || *s >= 0x7F)
            return true;
    return false;
}

void schema_line(strbuf *block, const char *text)
{
    strbuf escaped = {0};
    if (needs_escaping(text))
        text_escape_control(&escaped, text, true);
    const char *p = escaped.data ? escaped.data : text;
    size_t len = escaped.data ? escaped.len : strlen(text);
    while (len > 0 && p[len - 1] == '\n')
        len--;
    const char *end = p + len;
    const char *indent = "  ";
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        strbuf_append(block, indent);
        strbuf_append_len(block, p, (size_t)((nl ? nl : end) - p));
        strbuf_append_char(block, '\n');
        if (!nl)
            break;
        p = nl + 1;
        indent = "    ";
    }
    strbuf_free(&escaped);
}

void schema_linef(strbuf *block, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    schema_line(block, text);
    free(text);
}

void schema_lines(strbuf *block, const char *text)
{
    if (!text)
        return;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = xstrndup(p, n);
        schema_line(block, line);
        free(line);
        p += n + (nl ? 1 : 0);
    }
}

static schema_object *new_object(schema_snapshot *s)
{
    s->objects = array_grow(s->objects, &s->cap, s->count + 1, sizeof *s->objects);
    schema_object *o = &s->objects[s->count++];
    memset(o, 0, sizeof *o);
    return o;
}

/* Add an object whose text is "<kind> <name>\n" and then the parts
 * (NULL-terminated), the name's control characters escaped. */
static void add_object(schema_snapshot *s, const char *kind, const char *name,
                       const char *const *parts)
{
    schema_object *o = new_object(s);
    o->rank = schema_kind_rank(kind);
    o->kind = xstrdup(kind);
    o->name = needs_escaping(name) || strchr(name, '\n') ? text_escaped(name) : xstrdup(name);
    strbuf sb = {0};
    strbuf_append(&sb, o->kind);
    strbuf_append_char(&sb, ' ');
    strbuf_append(&sb, o->name);
    strbuf_append_char(&sb, '\n');
    for (size_t i = 0; parts[i]; i++)
        strbuf_append(&sb, parts[i]);
    o->text = strbuf_detach(&sb);
}

void schema_snapshot_add(schema_snapshot *s, const char *kind, const char *name,
                         const char *details)
{
    const char *parts[] = {details ? details : "", NULL};
    add_object(s, kind, name, parts);
}

schema_block *schema_block_new(schema_blocks *set, const char *key, const char *kind,
                               const char *name)
{
    schema_block *b = xcalloc(1, sizeof *b);
    b->kind = kind;
    b->name = xstrdup(name);
    set->items = array_grow(set->items, &set->cap, set->count + 1, sizeof *set->items);
    set->items[set->count++] = b;
    strmap_put(&set->by_key, key, b);
    return b;
}

schema_block *schema_block_find(const schema_blocks *set, const char *key)
{
    return key ? strmap_get(&set->by_key, key) : NULL;
}

void schema_blocks_done(schema_blocks *set, schema_snapshot *out)
{
    for (size_t i = 0; i < set->count; i++) {
        schema_block *b = set->items[i];
        const char *parts[PART_COUNT + 1];
        for (int k = 0; k < PART_COUNT; k++)
            parts[k] = strbuf_str(&b->part[k]);
        parts[PART_COUNT] = NULL;
        if (out)
            add_object(out, b->kind, b->name, parts);
        for (int k = 0; k < PART_COUNT; k++)
            strbuf_free(&b->part[k]);
        free(b->name);
        free(b);
    }
    free(set->items);
    strmap_free(&set->by_key, NULL);
    memset(set, 0, sizeof *set);
}

static int compare_objects(const void *a, const void *b)
{
    const schema_object *x = a, *y = b;
    int c = schema_object_compare(x, y);
    return c ? c : strcmp(x->text, y->text);
}

void schema_snapshot_sort(schema_snapshot *s)
{
    if (s->count > 1)
        qsort(s->objects, s->count, sizeof *s->objects, compare_objects);
}

char *schema_snapshot_text(const schema_snapshot *s)
{
    strbuf sb = {0};
    for (size_t i = 0; i < s->count; i++) {
        if (i > 0)
            strbuf_append_char(&sb, '\n');
        strbuf_append(&sb, s->objects[i].text);
    }
    return strbuf_detach(&sb);
}

/* The detail lines of a block, each without its first two spaces. */
static void json_lines(json_writer *w, const char *text)
{
    json_begin_array(w);
    const char *p = strchr(text, '\n');
    p = p ? p + 1 : text + strlen(text);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t skip = n >= 2 ? 2 : n;
        char *line = xstrndup(p + skip, n - skip);
        json_string(w, line);
        free(line);
        p += n + (nl ? 1 : 0);
    }
    json_end_array(w);
}

char *schema_snapshot_json(const schema_snapshot *s)
{
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, true);
    json_begin_object(&w);
    json_key(&w, "product");
    json_string(&w, s->product);
    json_key(&w, "objects");
    json_begin_array(&w);
    for (size_t i = 0; i < s->count; i++) {
        const schema_object *o = &s->objects[i];
        json_begin_object(&w);
        json_key(&w, "kind");
        json_string(&w, o->kind);
        json_key(&w, "name");
        json_string(&w, o->name);
        json_key(&w, "lines");
        json_lines(&w, o->text);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    strbuf_append_char(&sb, '\n');
    return strbuf_detach(&sb);
}

void schema_snapshot_free(schema_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->objects[i].kind);
        free(s->objects[i].name);
        free(s->objects[i].text);
    }
    free(s->objects);
    free(s->product);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ reading back */

typedef struct text_reader {
    schema_snapshot *out;
    strbuf block;        /* the block being read, header included */
    schema_object *open; /* its object, NULL between blocks */
    bool after_blank;    /* the previous line was the empty separator */
    int line;
    sw_error *err;
} text_reader;

static sw_status text_error(text_reader *r, const char *what)
{
    return sw_error_set(r->err, SW_USAGE, "line %d: %s", r->line, what);
}

/* What is wrong with the bytes of one line, NULL when nothing: the text
 * form holds no control characters (they are written escaped) and only
 * valid UTF-8. */
static const char *bad_bytes(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p, *end = s + n;
    while (s < end) {
        if (*s < 0x20 || *s == 0x7F)
            return *s == '\r' ? "a carriage return (the text form has \\n line ends)"
                              : "a control character (the text form writes them escaped)";
        if (*s < 0x80) {
            s++;
            continue;
        }
        size_t len = utf8_valid_length(s);
        if (len == 0 || s + len > end)
            return "bytes that are not UTF-8";
        if (len == 2 && s[0] == 0xC2 && s[1] < 0xA0)
            return "a control character (the text form writes them escaped)";
        s += len;
    }
    return NULL;
}

static void close_block(text_reader *r)
{
    if (r->open)
        r->open->text = strbuf_detach(&r->block);
    r->open = NULL;
}

static sw_status read_header(text_reader *r, const char *line, size_t n)
{
    if (r->open) /* blocks are closed by the empty line between them */
        return text_error(r, "an empty line must come before a new block");
    const char *space = memchr(line, ' ', n);
    if (!space || space + 1 == line + n)
        return text_error(r, "a block begins with a line \"<kind> <name>\"");
    char *kind = xstrndup(line, (size_t)(space - line));
    int rank = schema_kind_rank(kind);
    if (rank < 0) {
        char *what = xasprintf("'%s' is not a kind of object", kind);
        free(kind);
        sw_status st = text_error(r, what);
        free(what);
        return st;
    }
    schema_object *o = new_object(r->out);
    o->rank = rank;
    o->kind = kind;
    o->name = xstrndup(space + 1, (size_t)(line + n - space - 1));
    r->open = o;
    strbuf_append_len(&r->block, line, n);
    strbuf_append_char(&r->block, '\n');
    return SW_OK;
}

static sw_status read_line(text_reader *r, const char *line, size_t n)
{
    const char *bad = bad_bytes(line, n);
    if (bad)
        return text_error(r, bad);
    if (n == 0) {
        if (!r->open)
            return text_error(r, r->after_blank ? "two empty lines in a row"
                                                : "an empty line before the first block");
        close_block(r);
        r->after_blank = true;
        return SW_OK;
    }
    if (line[0] != ' ') {
        sw_status st = read_header(r, line, n);
        r->after_blank = false;
        return st;
    }
    if (!r->open)
        return text_error(r, "an indented line outside a block");
    if (n < 2 || line[1] != ' ')
        return text_error(r, "detail lines are indented by two spaces");
    strbuf_append_len(&r->block, line, n);
    strbuf_append_char(&r->block, '\n');
    return SW_OK;
}

static sw_status read_all(text_reader *r, const char *text, size_t length)
{
    const char *p = text, *end = text + length;
    while (p < end) {
        r->line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return text_error(r, "the text does not end with a newline");
        sw_status st = read_line(r, p, (size_t)(nl - p));
        if (st != SW_OK)
            return st;
        p = nl + 1;
    }
    if (r->after_blank && !r->open)
        return text_error(r, "the text ends with an empty line");
    close_block(r);
    return SW_OK;
}

sw_status schema_snapshot_parse(const char *text, size_t length, schema_snapshot *out,
                                sw_error *err)
{
    memset(out, 0, sizeof *out);
    text_reader r = {.out = out, .err = err};
    sw_status st = read_all(&r, text, length);
    if (st != SW_OK) {
        if (r.open)
            r.open->text = strbuf_detach(&r.block);
        strbuf_free(&r.block);
        schema_snapshot_free(out);
        return st;
    }
    strbuf_free(&r.block);
    schema_snapshot_sort(out);
    return SW_OK;
}
