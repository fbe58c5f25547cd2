/* Snapshots of a database's schema (issue 6 §1): canonical text, one block
 * per object, in a deterministic order that depends neither on OIDs nor on
 * the order objects were created in, so that two snapshots of the same
 * schema are byte-identical and two different ones diff cleanly.
 *
 * The text form, which is also what a saved .schema file holds:
 *
 *   table public.orders
 *     owner app
 *     column id bigint not null generated always as identity
 *     constraint orders_pkey PRIMARY KEY (id)
 *
 *   index public.orders_email_idx
 *     CREATE INDEX orders_email_idx ON public.orders USING btree (email)
 *
 * A block is a header line "<kind> <name>" (no leading space) followed by
 * detail lines indented by two spaces; blocks are separated by one empty
 * line; the text ends with a newline. Text from the catalog that spans
 * several lines (a function body, a view definition) keeps its lines, each
 * indented by two more spaces, so a block never contains an empty line and
 * never a line that begins without indentation. */
#ifndef STEPWISE_SCHEMA_H
#define STEPWISE_SCHEMA_H

#include <stddef.h>
#include <string.h>

#include "core/db.h"
#include "core/error.h"
#include "core/history.h"

typedef struct schema_object {
    int rank;     /* order of kinds: a lower rank comes first */
    char *kind;   /* "schema", "table", "index", "function", ... */
    char *name;   /* "public.orders", "public.f(integer, text)" */
    char *text;   /* the whole block: header line, detail lines, each ending
                     in "\n"; no separating empty line */
} schema_object;

typedef struct schema_snapshot {
    char *product;          /* "PostgreSQL" or "SQLite"; NULL when read back from text */
    schema_object *objects; /* sorted with schema_object_compare */
    size_t count;
    size_t cap;
} schema_snapshot;

/* The snapshot order: rank, then name bytewise, then kind bytewise. */
static inline int schema_object_compare(const schema_object *a, const schema_object *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->kind, b->kind);
}

/* Take a snapshot through `d` (PostgreSQL or SQLite), inside whatever
 * transaction the connection is in (a dry run snapshots its own
 * uncommitted changes). Objects of the stepwise history and events tables
 * of `exclude` are left out (NULL: the default table names). A handful of
 * set-based catalog queries, never one query per object. */
sw_status schema_snapshot_take(db *d, const history_table *exclude, schema_snapshot *out,
                               sw_error *err);

/* The canonical text (newly allocated). */
char *schema_snapshot_text(const schema_snapshot *s);
/* JSON: {"objects":[{"kind":..,"name":..,"lines":[..detail lines, unindented once..]}]} */
char *schema_snapshot_json(const schema_snapshot *s);
/* Read back a canonical text (a saved .schema file). SW_USAGE naming the
 * line when the text is not in the form above. */
sw_status schema_snapshot_parse(const char *text, size_t length, schema_snapshot *out,
                                sw_error *err);
void schema_snapshot_free(schema_snapshot *s);

#endif
