/* A small JSON writer for --json output and the audit file: it tracks
 * nesting and commas, escapes strings, and writes into a strbuf. */
#ifndef STEPWISE_JSON_H
#define STEPWISE_JSON_H

#include <stdbool.h>

#include "core/util.h"

#define JSON_MAX_DEPTH 32

typedef struct json_writer {
    strbuf *out;
    bool pretty;               /* indent by two spaces, one member a line */
    int depth;
    bool first[JSON_MAX_DEPTH]; /* nothing written yet at this depth */
    bool after_key;
} json_writer;

void json_init(json_writer *w, strbuf *out, bool pretty);
void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s); /* NULL writes null */
void json_int(json_writer *w, long long v);
void json_bool(json_writer *w, bool v);
void json_null(json_writer *w);
/* A value already encoded as JSON (another writer's output), as it is. */
void json_raw(json_writer *w, const char *encoded);

/* Append s as a quoted JSON string; invalid UTF-8 bytes become U+FFFD. */
void json_append_quoted(strbuf *out, const char *s);

#endif
