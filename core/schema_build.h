/* Inside core only: what the snapshot builders (core/schema.c for
 * PostgreSQL, core/schema_sqlite.c) and the text form (core/schema_text.c)
 * share: the kinds and their order, the way a block's lines are written,
 * and adding objects to a snapshot. */
#ifndef STEPWISE_SCHEMA_BUILD_H
#define STEPWISE_SCHEMA_BUILD_H

#include "core/schema.h"
#include "core/util.h"

/* The rank of a kind of object (schema_object.rank), -1 for a word that
 * is not one. Extensions, schemas and types come first, then relations,
 * indexes, routines and (SQLite) triggers. */
int schema_kind_rank(const char *kind);

/* Append one detail line to a block: two spaces, `text` with control
 * characters escaped (text_escape_control, newlines kept); each further
 * line of a multi-line text is indented by two more spaces; trailing
 * newlines are dropped. */
void schema_line(strbuf *block, const char *text);
void schema_linef(strbuf *block, const char *fmt, ...) SW_PRINTF(2, 3);
/* Each line of `text` (lines separated by '\n') as a detail line of its
 * own; nothing for NULL or "". */
void schema_lines(strbuf *block, const char *text);

/* An object whose lines come from several queries (a table: its columns,
 * constraints, triggers...), gathered in parts written in this order. */
enum schema_part {
    PART_HEAD,        /* owner, kind-specific lines, comment */
    PART_MEMBERS,     /* columns, attributes, enum labels, index keys */
    PART_CONSTRAINTS,
    PART_TRIGGERS,
    PART_POLICIES,    /* row-level security and policies */
    PART_GRANTS,
    PART_BODY,        /* a definition: view query, CREATE statement */
    PART_COUNT
};

typedef struct schema_block {
    const char *kind;
    char *name;
    strbuf part[PART_COUNT];
} schema_block;

/* The blocks of one snapshot, found by a key of the builder's choosing. */
typedef struct schema_blocks {
    schema_block **items;
    size_t count, cap;
    strmap by_key;
} schema_blocks;

/* A new block, found under `key` (another key may be added with
 * strmap_put on by_key). */
schema_block *schema_block_new(schema_blocks *set, const char *key, const char *kind,
                               const char *name);
/* NULL for a NULL key or one without a block. */
schema_block *schema_block_find(const schema_blocks *set, const char *key);
/* Each block becomes an object of `out` (NULL: dropped); the set is freed. */
void schema_blocks_done(schema_blocks *set, schema_snapshot *out);

/* Add an object: its header "<kind> <name>" (the name's control characters
 * escaped) followed by `details`, lines made with schema_line. */
void schema_snapshot_add(schema_snapshot *s, const char *kind, const char *name,
                         const char *details);
/* Sort into the snapshot order; objects equal in rank, name and kind are
 * ordered by their text, so that the order is total. */
void schema_snapshot_sort(schema_snapshot *s);

sw_status schema_take_pg(db *d, const history_table *exclude, schema_snapshot *out,
                         sw_error *err);
sw_status schema_take_sqlite(db *d, const history_table *exclude, schema_snapshot *out,
                             sw_error *err);

/* SQLite's SQL text in a canonical spacing (see core/schema_sqlite.c). */
char *schema_sqlite_normalise(const char *sql);

#endif
