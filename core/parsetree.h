/* Names read from libpg_query parse trees, spelt the way stepwise prints
 * relations (quoted only where needed). Internal to core/: sqlparse.c
 * implements them, lint.c uses them, so both name a relation alike. */
#ifndef STEPWISE_PARSETREE_H
#define STEPWISE_PARSETREE_H

#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

/* [catalog.][schema.]relation as written. */
char *parsetree_range_var_name(const PgQuery__RangeVar *rv);
/* A qualified name given as a List of String nodes (or one String);
 * `drop_last` leaves out the last parts (the column of COMMENT ON COLUMN,
 * the trigger of DROP TRIGGER). NULL when there is no name. */
char *parsetree_list_name(const PgQuery__Node *node, size_t drop_last);
/* The same from an array of String nodes (a domain's or type's name). */
char *parsetree_names(PgQuery__Node *const *items, size_t n);
/* The index CREATE INDEX makes, in its table's schema; NULL if unnamed. */
char *parsetree_index_name(const PgQuery__IndexStmt *ix);

#endif
