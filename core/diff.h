/* Line diffs (Myers' O(ND) algorithm) of any two texts, and schema diffs
 * between two snapshots: objects added, removed and changed, each changed
 * one with a unified line diff (issue 6 §2). */
#ifndef STEPWISE_DIFF_H
#define STEPWISE_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/schema.h"

typedef enum diff_op {
    DIFF_SAME,
    DIFF_REMOVED,
    DIFF_ADDED,
} diff_op;

typedef struct diff_line {
    diff_op op;
    const char *text;   /* points into the compared text; not NUL-terminated */
    size_t length;      /* without the newline */
    size_t old_line;    /* 1-based line in the old text; 0 for DIFF_ADDED */
    size_t new_line;    /* 1-based line in the new text; 0 for DIFF_REMOVED */
    bool no_newline;    /* the last line of its text, without a final "\n"
                           ("a" and "a\n" are different lines) */
} diff_line;

typedef struct text_diff {
    diff_line *lines;   /* the whole edit script, in order */
    size_t count;
    size_t added, removed;
} text_diff;

/* A shortest edit script between the lines of `a` and `b` (a final line
 * without a newline counts as a line). The texts must outlive the result. */
sw_status text_diff_compute(const char *a, size_t alen, const char *b, size_t blen,
                            text_diff *out, sw_error *err);
void text_diff_free(text_diff *d);
/* Unified format with `context` lines around each change ("--- old_label",
 * "+++ new_label", "@@ -l,n +l,n @@" hunks, as diff -u prints them);
 * "" when the texts are equal. Newly allocated. */
char *text_diff_unified(const text_diff *d, const char *old_label, const char *new_label,
                        int context);

typedef enum schema_change_kind {
    SCHEMA_ADDED,
    SCHEMA_REMOVED,
    SCHEMA_CHANGED,
} schema_change_kind;

typedef struct schema_change {
    schema_change_kind change;
    const schema_object *before;  /* NULL when added */
    const schema_object *after;   /* NULL when removed */
    text_diff lines;              /* changed: the diff of the two blocks */
} schema_change;

typedef struct schema_diff {
    schema_change *changes;       /* in snapshot order (schema_object_compare) */
    size_t count;
    size_t added, removed, changed;
} schema_diff;

/* Compare two snapshots (both sorted with schema_object_compare); they must
 * outlive the diff. */
sw_status schema_diff_compute(const schema_snapshot *before, const schema_snapshot *after,
                              schema_diff *out, sw_error *err);
void schema_diff_free(schema_diff *d);
/* For people: "+ table public.orders" / "- index public.x" / "~ table public.y"
 * with the block (added/removed, each line prefixed) or the unified diff
 * (changed); "no schema changes\n" when empty. Newly allocated. Text from
 * the catalog is copied as it is, control characters included: a front end
 * escapes it (text_escape_control) before it reaches a terminal. */
char *schema_diff_text(const schema_diff *d);
/* {"added":N,"removed":N,"changed":N,"changes":[{"change":"added"|"removed"|"changed",
 *   "kind":..,"name":..,"lines":[...] | "diff":"<unified>"}]}; "lines" holds
 * the detail lines unindented once, as schema_snapshot_json does. */
char *schema_diff_json(const schema_diff *d);

#endif
