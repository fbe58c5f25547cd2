/* Lock-safety and hygiene rules over analysed scripts (squawk's and
 * strong_migrations' rules, with the relation and lock mode named). */
#ifndef STEPWISE_LINT_H
#define STEPWISE_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sqlparse.h"

typedef enum lint_severity {
    LINT_HINT,
    LINT_WARNING,
    LINT_ERROR,
} lint_severity;

typedef struct lint_rule {
    const char *id;
    lint_severity severity; /* the usual severity; a finding may differ */
    bool sqlite;            /* also applies to SQLite scripts */
    const char *summary;
} lint_rule;

/* Every rule, in a stable order (for --help, the man page and tests). */
const lint_rule *lint_rules(size_t *count);
const lint_rule *lint_rule_find(const char *id);
const char *lint_severity_name(lint_severity severity);

typedef struct lint_finding {
    const lint_rule *rule;
    lint_severity severity;
    size_t statement;     /* index into the script's statements */
    int line, column;
    char *message;        /* names the relation and the lock mode */
    char *hint;           /* the safer way */
    char *allowed;        /* silenced by "-- stepwise:allow": the reason */
} lint_finding;

typedef struct lint_findings {
    lint_finding *items;
    size_t count;
    size_t cap;
} lint_findings;

typedef struct lint_options {
    bool no_transaction;   /* the migration runs outside a transaction */
    bool lock_timeout_set; /* a -- stepwise:lock-timeout directive exists */
    bool down;             /* a rollback script */
} lint_options;

/* Column types seen in the scripts linted so far, in order, so that a
 * later ALTER COLUMN TYPE can be judged binary-coercible or not: table ->
 * (column -> type). A dropped table keeps an empty column map. */
typedef struct lint_schema {
    strmap tables;
} lint_schema;

/* Append the findings for one script (statements the grammar rejected
 * produce none: they are reported by the caller as parse errors). */
void lint_script(const sql_script *script, const lint_options *opts, lint_schema *schema,
                 lint_findings *out);
void lint_findings_free(lint_findings *f);
void lint_schema_free(lint_schema *schema);

/* Findings at or above `severity` that were not silenced. */
size_t lint_count(const lint_findings *f, lint_severity severity);

#endif
