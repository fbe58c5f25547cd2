/* JSON output: commas and indentation from the nesting state, strings
 * escaped so that any byte sequence yields valid JSON. */
#include "config.h"

#include "core/json.h"

#include <string.h>

void json_init(json_writer *w, strbuf *out, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->pretty = pretty;
    w->first[0] = true;
}

static void newline_indent(json_writer *w)
{
    if (!w->pretty)
        return;
    strbuf_append_char(w->out, '\n');
    for (int i = 0; i < w->depth; i++)
        strbuf_append(w->out, "  ");
}

/* Called before every value and key: separators and layout. */
static void before_item(json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth])
            strbuf_append_char(w->out, ',');
        newline_indent(w);
    }
    w->first[w->depth] = false;
}

static void open_container(json_writer *w, char c)
{
    before_item(w);
    strbuf_append_char(w->out, c);
    if (w->depth + 1 < JSON_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void close_container(json_writer *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty)
        newline_indent(w);
    strbuf_append_char(w->out, c);
}

void json_begin_object(json_writer *w) { open_container(w, '{'); }
void json_end_object(json_writer *w) { close_container(w, '}'); }
void json_begin_array(json_writer *w) { open_container(w, '['); }
void json_end_array(json_writer *w) { close_container(w, ']'); }

void json_key(json_writer *w, const char *key)
{
    before_item(w);
    json_append_quoted(w->out, key);
    strbuf_append(w->out, w->pretty ? ": " : ":");
    w->after_key = true;
}

void json_string(json_writer *w, const char *s)
{
    before_item(w);
    if (s)
        json_append_quoted(w->out, s);
    else
        strbuf_append(w->out, "null");
}

void json_raw(json_writer *w, const char *encoded)
{
    before_item(w);
    strbuf_append(w->out, encoded);
}

void json_int(json_writer *w, long long v)
{
    before_item(w);
    strbuf_appendf(w->out, "%lld", v);
}

void json_bool(json_writer *w, bool v)
{
    before_item(w);
    strbuf_append(w->out, v ? "true" : "false");
}

void json_null(json_writer *w)
{
    before_item(w);
    strbuf_append(w->out, "null");
}

void json_append_quoted(strbuf *out, const char *s)
{
    strbuf_append_char(out, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            strbuf_append_char(out, '\\');
            strbuf_append_char(out, (char)c);
            p++;
        } else if (c == '\n') {
            strbuf_append(out, "\\n");
            p++;
        } else if (c == '\t') {
            strbuf_append(out, "\\t");
            p++;
        } else if (c == '\r') {
            strbuf_append(out, "\\r");
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            strbuf_appendf(out, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            strbuf_append_char(out, (char)c);
            p++;
        } else {
            size_t len = utf8_valid_length(p);
            if (len == 0) {
                strbuf_append(out, "\\ufffd");
                p++;
            } else {
                strbuf_append_len(out, (const char *)p, len);
                p += len;
            }
        }
    }
    strbuf_append_char(out, '"');
}
