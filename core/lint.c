/* Lint rules over analysed PostgreSQL statements. Each finding names the
 * relation and the lock mode, and says what to do instead. Statements on
 * a table created earlier in the same script get no lock, scan or rewrite
 * warnings: the table is new and empty. */
#include "config.h"

#include "core/lint.h"
#include "core/parsetree.h"

#include <ctype.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef PgQuery__Node Node;

static const lint_rule rules[] = {
    {"require-concurrent-index-creation", LINT_WARNING, false,
     "CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build"},
    {"require-concurrent-index-deletion", LINT_WARNING, false,
     "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table"},
    {"require-concurrent-reindex", LINT_WARNING, false, "REINDEX without CONCURRENTLY blocks writes"},
    {"require-concurrent-detach-partition", LINT_WARNING, false,
     "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table"},
    {"non-transactional-statement", LINT_ERROR, true,
     "a statement that cannot run in a transaction block, in a migration that runs in one"},
    {"transaction-control", LINT_ERROR, true,
     "BEGIN, COMMIT, ROLLBACK or SAVEPOINT inside a migration: stepwise owns the transaction"},
    {"constraint-missing-not-valid", LINT_WARNING, false,
     "ADD CHECK or FOREIGN KEY without NOT VALID scans the table under a lock"},
    {"adding-foreign-key", LINT_WARNING, false,
     "a foreign key takes SHARE ROW EXCLUSIVE on both tables"},
    {"setting-not-null", LINT_WARNING, false,
     "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE"},
    {"adding-required-field", LINT_ERROR, true,
     "ADD COLUMN ... NOT NULL without a default fails on a table with rows"},
    {"adding-volatile-default", LINT_WARNING, false,
     "ADD COLUMN with a volatile default rewrites the table under ACCESS EXCLUSIVE"},
    {"adding-serial-column", LINT_WARNING, false,
     "adding a serial or identity column rewrites the table under ACCESS EXCLUSIVE"},
    {"adding-stored-generated-column", LINT_WARNING, false,
     "adding a stored generated column rewrites the table under ACCESS EXCLUSIVE"},
    {"changing-column-type", LINT_WARNING, false,
     "ALTER COLUMN TYPE rewrites the table under ACCESS EXCLUSIVE unless binary-coercible"},
    {"adding-unique-constraint", LINT_WARNING, false,
     "ADD UNIQUE or PRIMARY KEY builds an index under ACCESS EXCLUSIVE"},
    {"adding-exclusion-constraint", LINT_WARNING, false,
     "ADD EXCLUDE builds an index and checks every row under ACCESS EXCLUSIVE"},
    {"domain-check-constraint", LINT_WARNING, false,
     "CHECK constraints on domains are checked against every column using the domain"},
    {"vacuum-full", LINT_WARNING, false, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE"},
    {"cluster", LINT_WARNING, false, "CLUSTER rewrites the table under ACCESS EXCLUSIVE"},
    {"renaming-column", LINT_WARNING, true,
     "renaming a column breaks the application code that still uses the old name"},
    {"renaming-table", LINT_WARNING, true,
     "renaming a table breaks the application code that still uses the old name"},
    {"dropping-column", LINT_WARNING, true, "dropping a column loses its data for good"},
    {"dropping-table", LINT_WARNING, true, "dropping a table loses its data for good"},
    {"dropping-database", LINT_ERROR, false, "DROP DATABASE in a migration"},
    {"truncate-cascade", LINT_WARNING, false, "TRUNCATE ... CASCADE empties every referencing table too"},
    {"backfill-under-exclusive-lock", LINT_WARNING, false,
     "UPDATE or DELETE in the same transaction as a statement holding ACCESS EXCLUSIVE"},
    {"missing-lock-timeout", LINT_WARNING, false,
     "a migration running without a transaction sets no lock_timeout before taking locks"},
    {"prefer-robust-statements", LINT_HINT, false,
     "missing IF [NOT] EXISTS in a migration that runs without a transaction"},
    {"prefer-text", LINT_HINT, false, "varchar(n) where text (with a CHECK if needed) is more flexible"},
    {"prefer-bigint", LINT_HINT, false, "int or smallint for a key column, which may run out"},
    {"prefer-identity", LINT_HINT, false, "serial where an identity column is the standard"},
    {"prefer-timestamptz", LINT_HINT, false, "timestamp without time zone"},
    {"prefer-jsonb", LINT_HINT, false, "json where jsonb is indexable and compact"},
    {"invalid-allow", LINT_WARNING, true,
     "a -- stepwise:allow comment with an unknown rule or without a reason"},
};

const lint_rule *lint_rules(size_t *count)
{
    *count = sizeof rules / sizeof rules[0];
    return rules;
}

const lint_rule *lint_rule_find(const char *id)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}

const char *lint_severity_name(lint_severity severity)
{
    switch (severity) {
    case LINT_ERROR:
        return "error";
    case LINT_WARNING:
        return "warning";
    case LINT_HINT:
        return "hint";
    default:
        return "?";
    }
}

/* ------------------------------------------------------------ context */

typedef struct lint_ctx {
    const sql_script *script;
    const lint_options *opts;
    lint_schema *schema;
    lint_findings *out;
    size_t stmt;          /* statement being linted */
    strmap created;       /* relations created earlier in this script */
    strmap cleared;       /* indexes dropped IF EXISTS earlier in this script */
    size_t exclusive_stmt; /* first statement holding ACCESS EXCLUSIVE on an existing table */
    const char *exclusive_relation;
    bool lock_timeout_seen;
    bool lock_timeout_reported;
} lint_ctx;

static void report(lint_ctx *c, const char *rule_id, int severity, const char *hint,
                   const char *fmt, ...) SW_PRINTF(5, 6);
static void report(lint_ctx *c, const char *rule_id, int severity, const char *hint,
                   const char *fmt, ...)
{
    const lint_rule *rule = lint_rule_find(rule_id);
    if (!rule || (c->script->dialect == SQL_SQLITE && !rule->sqlite))
        return;
    const sql_statement *s = &c->script->statements[c->stmt];
    va_list ap;
    va_start(ap, fmt);
    char *message = xvasprintf(fmt, ap);
    va_end(ap);
    lint_findings *f = c->out;
    f->items = array_grow(f->items, &f->cap, f->count + 1, sizeof *f->items);
    f->items[f->count++] = (lint_finding){
        .rule = rule,
        .severity = severity < 0 ? rule->severity : (lint_severity)severity,
        .statement = c->stmt,
        .line = s->line,
        .column = s->column,
        .message = message,
        .hint = hint ? xstrdup(hint) : NULL,
    };
}

/* " (ACCESS EXCLUSIVE on t)" on PostgreSQL; nothing on SQLite, which
 * locks the whole file for any write. */
static char *lock_note(const lint_ctx *c, const char *relation)
{
    if (c->script->dialect == SQL_SQLITE)
        return xstrdup("");
    return xasprintf(" (ACCESS EXCLUSIVE on %s)", relation);
}

/* Down scripts undo their up script: dropping what the up created is the
 * point, so the data-loss rules say so as hints. */
static int loss_severity(const lint_ctx *c)
{
    return c->opts->down ? (int)LINT_HINT : -1;
}

static bool is_new(const lint_ctx *c, const char *relation)
{
    return strmap_get(&c->created, relation) != NULL;
}

static void mark_created(lint_ctx *c, const char *relation)
{
    static char present;
    strmap_put(&c->created, relation, &present);
}

/* ------------------------------------------------------------ types */

/* A column type as people write it: "integer", "varchar(50)", "text[]". */
static char *type_text(const PgQuery__TypeName *t)
{
    static const struct {
        const char *internal, *shown;
    } aliases[] = {
        {"int4", "integer"},  {"int8", "bigint"},    {"int2", "smallint"},
        {"bpchar", "char"},   {"bool", "boolean"},   {"float8", "double precision"},
        {"float4", "real"},   {"serial4", "serial"}, {"serial8", "bigserial"},
        {"serial2", "smallserial"},
    };
    if (!t || t->n_names == 0)
        return xstrdup("?");
    const Node *last = t->names[t->n_names - 1];
    const char *name = last && last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : "?";
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].internal) == 0)
            name = aliases[i].shown;
    strbuf sb = {0};
    strbuf_append(&sb, name);
    if (t->n_typmods > 0) {
        strbuf_append_char(&sb, '(');
        for (size_t i = 0; i < t->n_typmods; i++) {
            const Node *m = t->typmods[i];
            if (i)
                strbuf_append_char(&sb, ',');
            if (m && m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
                m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
                strbuf_appendf(&sb, "%d", m->a_const->ival->ival);
            else
                strbuf_append_char(&sb, '?');
        }
        strbuf_append_char(&sb, ')');
    }
    for (size_t i = 0; i < t->n_array_bounds; i++)
        strbuf_append(&sb, "[]");
    return strbuf_detach(&sb);
}

/* "varchar(50)" -> base "varchar", mods {50}; returns the number of mods. */
static int type_parts(const char *type, char *base, size_t base_size, int mods[2])
{
    size_t n = strcspn(type, "(");
    if (n >= base_size)
        n = base_size - 1;
    memcpy(base, type, n);
    base[n] = '\0';
    if (type[n] != '(')
        return strchr(type, '[') ? -1 : 0;
    int count = sscanf(type + n, "(%d,%d)", &mods[0], &mods[1]);
    return count < 0 ? 0 : count;
}

/* Type changes PostgreSQL makes without rewriting the table or its
 * indexes (binary-coercible, with a wider or no length limit). */
static bool binary_coercible(const char *from, const char *to)
{
    if (strcmp(from, to) == 0)
        return true;
    char fb[64], tb[64];
    int fm[2] = {0, 0}, tm[2] = {0, 0};
    int fn = type_parts(from, fb, sizeof fb, fm);
    int tn = type_parts(to, tb, sizeof tb, tm);
    if (fn < 0 || tn < 0)
        return false; /* arrays: leave them to the rewrite warning */
    bool from_varchar = strcmp(fb, "varchar") == 0, to_varchar = strcmp(tb, "varchar") == 0;
    if ((from_varchar || strcmp(fb, "text") == 0) && strcmp(tb, "text") == 0)
        return true;
    if ((from_varchar || strcmp(fb, "text") == 0) && to_varchar && tn == 0)
        return true;
    if (from_varchar && to_varchar && fn == 1 && tn == 1 && tm[0] >= fm[0])
        return true;
    if (strcmp(fb, "numeric") == 0 && strcmp(tb, "numeric") == 0)
        return tn == 0 || (fn >= 1 && tm[0] >= fm[0] && (fn == 2 ? fm[1] : 0) == (tn == 2 ? tm[1] : 0));
    if (strcmp(fb, "varbit") == 0 && strcmp(tb, "varbit") == 0)
        return tn == 0 || (fn == 1 && tm[0] >= fm[0]);
    if (strcmp(fb, "cidr") == 0 && strcmp(tb, "inet") == 0)
        return true;
    return false;
}

static const char *schema_type(const lint_schema *schema, const char *table, const char *column)
{
    const strmap *columns = strmap_get(&schema->tables, table);
    return columns ? strmap_get(columns, column) : NULL;
}

static void schema_set(lint_schema *schema, const char *table, const char *column, const char *type)
{
    strmap *columns = strmap_get(&schema->tables, table);
    if (!columns) {
        columns = xcalloc(1, sizeof *columns);
        strmap_put(&schema->tables, table, columns);
    }
    free(strmap_put(columns, column, xstrdup(type)));
}

static void schema_drop_table(lint_schema *schema, const char *table)
{
    strmap *columns = strmap_get(&schema->tables, table);
    if (columns)
        strmap_free(columns, free);
}

static bool type_is(const char *type, const char *base)
{
    size_t n = strlen(base);
    return strncmp(type, base, n) == 0 && (type[n] == '\0' || type[n] == '(');
}

static bool is_serial(const char *type)
{
    return type_is(type, "serial") || type_is(type, "bigserial") || type_is(type, "smallserial");
}

static bool looks_like_key(const char *column)
{
    return strcmp(column, "id") == 0 || str_has_suffix(column, "_id");
}

/* Hygiene hints on a column's type. */
static void type_hints(lint_ctx *c, const char *table, const char *column, const char *type,
                       bool primary_key)
{
    if (type_is(type, "varchar") && strchr(type, '('))
        report(c, "prefer-text", -1,
               "use text, with CHECK (length(col) <= n) if the limit matters: raising a CHECK "
               "limit later needs no rewrite",
               "column %s.%s is %s", table, column, type);
    if ((type_is(type, "integer") || type_is(type, "smallint") || type_is(type, "serial") ||
         type_is(type, "smallserial")) &&
        (primary_key || looks_like_key(column)))
        report(c, "prefer-bigint", -1,
               "use bigint (or bigint GENERATED ALWAYS AS IDENTITY): changing the type of a "
               "key later rewrites the table and every referencing one",
               "key column %s.%s is %s, which may run out of values", table, column, type);
    if (is_serial(type))
        report(c, "prefer-identity", -1,
               "use GENERATED ALWAYS AS IDENTITY: the SQL standard, and the sequence belongs "
               "to the column",
               "column %s.%s is %s", table, column, type);
    if (type_is(type, "timestamp"))
        report(c, "prefer-timestamptz", -1,
               "use timestamptz: it stores an instant, whatever the session's time zone",
               "column %s.%s is timestamp without time zone", table, column);
    if (type_is(type, "json"))
        report(c, "prefer-jsonb", -1, "use jsonb: indexable, compact, no duplicate keys",
               "column %s.%s is json", table, column);
}

/* ------------------------------------------------------------ expressions */

typedef struct volatility {
    const char *volatile_call; /* a known volatile function */
    const char *unknown_call;  /* a function we cannot judge */
} volatility;

static void find_calls(const void *message, void *arg)
{
    const ProtobufCMessage *m = message;
    static const char *const volatile_functions[] = {
        "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
        "clock_timestamp", "timeofday", "nextval", "setseed", "random_normal", NULL};
    static const char *const stable_functions[] = {
        "now", "statement_timestamp", "transaction_timestamp", "current_setting", "lower",
        "upper", "length", "concat", "concat_ws", "to_char", "to_timestamp", "to_date",
        "jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array",
        "array_fill", "make_date", "make_timestamp", "make_timestamptz", "make_interval",
        "date_trunc", "timezone", "abs", "round", "coalesce", "md5", "format", NULL};
    volatility *v = arg;
    if (m->descriptor != &pg_query__func_call__descriptor)
        return;
    const PgQuery__FuncCall *call = (const PgQuery__FuncCall *)m;
    if (call->n_funcname == 0)
        return;
    const Node *last = call->funcname[call->n_funcname - 1];
    if (!last || last->node_case != PG_QUERY__NODE__NODE_STRING)
        return;
    const char *name = last->string->sval;
    for (size_t i = 0; volatile_functions[i]; i++)
        if (strcmp(name, volatile_functions[i]) == 0) {
            v->volatile_call = volatile_functions[i];
            return;
        }
    for (size_t i = 0; stable_functions[i]; i++)
        if (strcmp(name, stable_functions[i]) == 0)
            return;
    v->unknown_call = name;
}

/* ------------------------------------------------------------ rules */

static const PgQuery__Constraint *constraint_of(const Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT ? n->constraint : NULL;
}

/* NULL, or NULL::type. */
static bool is_null_constant(const Node *n)
{
    if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
        n = n->type_cast->arg;
    return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull;
}

static void lint_foreign_key(lint_ctx *c, const char *table, const PgQuery__Constraint *k)
{
    char *ref = k->pktable ? parsetree_range_var_name(k->pktable) : xstrdup("?");
    if (k->skip_validation)
        report(c, "adding-foreign-key", LINT_HINT,
               "make sure no long transaction is open on either table when this runs; with "
               "lock_timeout it gives up instead of queueing everyone",
               "foreign key on %s takes SHARE ROW EXCLUSIVE on %s and %s (blocks writes to "
               "both) briefly: NOT VALID skips the scan",
               table, table, ref);
    else
        report(c, "adding-foreign-key", -1,
               "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID here, then VALIDATE CONSTRAINT in "
               "a later migration (SHARE UPDATE EXCLUSIVE: writes go on)",
               "foreign key on %s takes SHARE ROW EXCLUSIVE on %s and %s (blocks writes to "
               "both) while every row of %s is checked",
               table, table, ref, table);
    if (!k->skip_validation)
        report(c, "constraint-missing-not-valid", -1,
               "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a separate "
               "migration",
               "FOREIGN KEY on %s is validated at once: every row is checked while SHARE ROW "
               "EXCLUSIVE is held on %s and %s",
               table, table, ref);
    free(ref);
}

static void lint_column_def(lint_ctx *c, const char *table, const PgQuery__ColumnDef *col,
                            bool existing_table, bool if_not_exists, bool table_key)
{
    char *type = type_text(col->type_name);
    bool primary = table_key, not_null = col->is_not_null, has_default = col->raw_default != NULL;
    const PgQuery__Constraint *identity = NULL, *generated = NULL, *default_constraint = NULL;
    for (size_t i = 0; i < col->n_constraints; i++) {
        const PgQuery__Constraint *k = constraint_of(col->constraints[i]);
        if (!k)
            continue;
        switch (k->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
            primary = true;
            not_null = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
            not_null = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
            has_default = !is_null_constant(k->raw_expr); /* DEFAULT NULL is none */
            default_constraint = k;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
            identity = k;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
            generated = k;
            break;
        default:
            break;
        }
    }
    type_hints(c, table, col->colname, type, primary);
    schema_set(c->schema, table, col->colname, type);
    if (!existing_table) {
        free(type);
        return;
    }
    if (c->opts->no_transaction && !if_not_exists)
        report(c, "prefer-robust-statements", -1,
               "ADD COLUMN IF NOT EXISTS: a retried no-transaction migration re-runs its "
               "statements",
               "ADD COLUMN %s.%s has no IF NOT EXISTS", table, col->colname);
    if (is_serial(type) || identity)
        report(c, "adding-serial-column", -1,
               "add a plain nullable bigint column, fill it in batches, then attach the "
               "sequence or identity in a later migration",
               "adding %s column %s.%s rewrites %s under ACCESS EXCLUSIVE (blocks reads and "
               "writes) to fill every row",
               identity ? "an identity" : type, table, col->colname, table);
    else if (generated)
        report(c, "adding-stored-generated-column", -1,
               "add a plain column filled by a trigger and a batched backfill, or compute it "
               "in a view",
               "adding stored generated column %s.%s rewrites %s under ACCESS EXCLUSIVE "
               "(blocks reads and writes)",
               table, col->colname, table);
    else if (not_null && !has_default)
        report(c, "adding-required-field", -1,
               "add it nullable, backfill, then add the NOT NULL in the safe order (CHECK NOT "
               "VALID, VALIDATE, SET NOT NULL); or give it a constant DEFAULT",
               "ADD COLUMN %s.%s NOT NULL without a DEFAULT fails as soon as %s has a row",
               table, col->colname, table);
    const Node *def = col->raw_default ? col->raw_default
                                       : default_constraint ? default_constraint->raw_expr : NULL;
    if (def) {
        volatility v = {0};
        sql_tree_walk(def, find_calls, &v);
        if (v.volatile_call)
            report(c, "adding-volatile-default", -1,
                   "add the column without a default (or with a constant one), set the default "
                   "afterwards, and backfill in batches",
                   "the default %s() of %s.%s is volatile: %s is rewritten under ACCESS "
                   "EXCLUSIVE (blocks reads and writes)",
                   v.volatile_call, table, col->colname, table);
        else if (v.unknown_call)
            report(c, "adding-volatile-default", LINT_HINT,
                   "if it is volatile, add the column without a default, set the default "
                   "afterwards, and backfill in batches",
                   "stepwise cannot tell whether the default %s() of %s.%s is volatile; if it "
                   "is, %s is rewritten under ACCESS EXCLUSIVE",
                   v.unknown_call, table, col->colname, table);
    }
    for (size_t i = 0; i < col->n_constraints; i++) {
        const PgQuery__Constraint *k = constraint_of(col->constraints[i]);
        if (!k)
            continue;
        if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
            lint_foreign_key(c, table, k);
        else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
                 k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
            report(c, "adding-unique-constraint", -1,
                   "add the column first, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT "
                   "... USING INDEX",
                   "%s on new column %s.%s builds its index under ACCESS EXCLUSIVE on %s",
                   k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
                   table, col->colname, table);
        else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
            report(c, "constraint-missing-not-valid", -1,
                   "add the column, then ADD CONSTRAINT ... CHECK (...) NOT VALID and VALIDATE "
                   "it in a later migration",
                   "CHECK on new column %s.%s is checked against every row of %s under ACCESS "
                   "EXCLUSIVE",
                   table, col->colname, table);
    }
    free(type);
}

static void lint_add_constraint(lint_ctx *c, const char *table, const PgQuery__Constraint *k)
{
    switch (k->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        if (!k->skip_validation)
            report(c, "constraint-missing-not-valid", -1,
                   "ADD CONSTRAINT ... CHECK (...) NOT VALID here, then VALIDATE CONSTRAINT in a "
                   "later migration (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
                   "CHECK constraint on %s is validated at once: every row is read under "
                   "ACCESS EXCLUSIVE (blocks reads and writes)",
                   table);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        lint_foreign_key(c, table, k);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        if (!k->indexname || !*k->indexname)
            report(c, "adding-unique-constraint", -1,
                   "CREATE UNIQUE INDEX CONCURRENTLY first (no-transaction migration), then ADD "
                   "CONSTRAINT ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)",
                   "ADD %s on %s builds its index under ACCESS EXCLUSIVE (blocks reads and "
                   "writes)",
                   k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
                   table);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
        report(c, "adding-exclusion-constraint", -1,
               "there is no concurrent form: run it in a quiet window with a short "
               "lock_timeout, or enforce the rule in the application first",
               "ADD EXCLUDE on %s builds an index and checks every row under ACCESS EXCLUSIVE "
               "(blocks reads and writes)",
               table);
        break;
    default:
        break;
    }
}

/* No USING, or a USING that only reads the column (cast or not): the
 * values are not recomputed, so the change can still skip the rewrite. */
static bool using_is_the_column(const Node *using, const char *column)
{
    if (!using)
        return true;
    if (using->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
        using = using->type_cast->arg;
    if (!using || using->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
        using->column_ref->n_fields == 0)
        return false;
    const Node *last = using->column_ref->fields[using->column_ref->n_fields - 1];
    return last && last->node_case == PG_QUERY__NODE__NODE_STRING && column &&
           strcmp(last->string->sval, column) == 0;
}

static void lint_alter_column_type(lint_ctx *c, const char *table, const PgQuery__AlterTableCmd *cmd,
                                   bool existing)
{
    if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
        return;
    char *to = type_text(cmd->def->column_def->type_name);
    const char *from = schema_type(c->schema, table, cmd->name);
    type_hints(c, table, cmd->name, to, false);
    bool coercible = from && binary_coercible(from, to) &&
                     using_is_the_column(cmd->def->column_def->raw_default, cmd->name);
    if (existing && !coercible) {
        if (from)
            report(c, "changing-column-type", -1,
                   "add a new column, backfill it in batches, switch the application, then drop "
                   "the old one",
                   "%s.%s from %s to %s rewrites %s and its indexes under ACCESS EXCLUSIVE "
                   "(blocks reads and writes)",
                   table, cmd->name, from, to, table);
        else
            report(c, "changing-column-type", -1,
                   "no rewrite only for binary-coercible changes (varchar(n) to a larger n or "
                   "to text, numeric to more precision); otherwise add a new column and "
                   "backfill",
                   "%s.%s to %s rewrites %s and its indexes under ACCESS EXCLUSIVE (blocks "
                   "reads and writes) unless the change is binary-coercible; the current type "
                   "is not known from these scripts",
                   table, cmd->name, to, table);
    }
    schema_set(c->schema, table, cmd->name, to);
    free(to);
}

static void lint_alter_table(lint_ctx *c, const PgQuery__AlterTableStmt *a)
{
    if (!a->relation)
        return;
    char *table = parsetree_range_var_name(a->relation);
    bool existing = !is_new(c, table);
    for (size_t i = 0; i < a->n_cmds; i++) {
        const Node *n = a->cmds[i];
        if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
            continue;
        const PgQuery__AlterTableCmd *cmd = n->alter_table_cmd;
        switch (cmd->subtype) {
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
            if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
                lint_column_def(c, table, cmd->def->column_def, existing, cmd->missing_ok, false);
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
            if (existing) {
                char *note = lock_note(c, table);
                report(c, "dropping-column", loss_severity(c),
                       "first stop the application from reading and writing the column (and "
                       "drop it from ORMs' caches), then drop it in a later release",
                       "%sDROP COLUMN %s.%s loses the column's data for good%s",
                       c->opts->down ? "rollback: " : "", table, cmd->name, note);
                free(note);
            }
            if (c->opts->no_transaction && !cmd->missing_ok)
                report(c, "prefer-robust-statements", -1,
                       "DROP COLUMN IF EXISTS: a retried no-transaction migration re-runs its "
                       "statements",
                       "DROP COLUMN %s.%s has no IF EXISTS", table, cmd->name);
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
            if (existing)
                report(c, "setting-not-null", -1,
                       "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a "
                       "later migration, then SET NOT NULL (PostgreSQL 12+ skips the scan) and "
                       "drop the CHECK",
                       "SET NOT NULL on %s.%s reads every row of %s under ACCESS EXCLUSIVE "
                       "(blocks reads and writes)",
                       table, cmd->name, table);
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
            lint_alter_column_type(c, table, cmd, existing);
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
            if (existing && cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
                lint_add_constraint(c, table, cmd->def->constraint);
            break;
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
            if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
                !cmd->def->partition_cmd->concurrent && existing) {
                char *part = cmd->def->partition_cmd->name ? parsetree_range_var_name(cmd->def->partition_cmd->name)
                                                           : xstrdup("?");
                report(c, "require-concurrent-detach-partition", -1,
                       "DETACH PARTITION ... CONCURRENTLY in a -- stepwise:no-transaction "
                       "migration (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
                       "DETACH PARTITION %s takes ACCESS EXCLUSIVE on %s (blocks reads and "
                       "writes on every partition)",
                       part, table);
                free(part);
            }
            break;
        default:
            break;
        }
    }
    free(table);
}

static void lint_create_table(lint_ctx *c, const PgQuery__CreateStmt *cs)
{
    if (!cs->relation)
        return;
    char *table = parsetree_range_var_name(cs->relation);
    if (c->opts->no_transaction && !cs->if_not_exists)
        report(c, "prefer-robust-statements", -1,
               "CREATE TABLE IF NOT EXISTS: a retried no-transaction migration re-runs its "
               "statements",
               "CREATE TABLE %s has no IF NOT EXISTS", table);
    schema_drop_table(c->schema, table);
    /* Table-level PRIMARY KEY (a, b) makes those columns keys. */
    for (size_t i = 0; i < cs->n_table_elts; i++) {
        const Node *e = cs->table_elts[i];
        if (!e || e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
            continue;
        const PgQuery__ColumnDef *col = e->column_def;
        bool key = false;
        for (size_t k = 0; k < cs->n_table_elts && !key; k++) {
            const PgQuery__Constraint *pk = constraint_of(cs->table_elts[k]);
            if (!pk || pk->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
                continue;
            for (size_t j = 0; j < pk->n_keys; j++)
                if (pk->keys[j] && pk->keys[j]->node_case == PG_QUERY__NODE__NODE_STRING &&
                    strcmp(pk->keys[j]->string->sval, col->colname) == 0)
                    key = true;
        }
        lint_column_def(c, table, col, false, true, key);
    }
    mark_created(c, table);
    free(table);
}

static void lint_index(lint_ctx *c, const PgQuery__IndexStmt *ix)
{
    if (!ix->relation)
        return;
    char *table = parsetree_range_var_name(ix->relation);
    const char *name = ix->idxname && *ix->idxname ? ix->idxname : "(unnamed)";
    if (!ix->concurrent && !is_new(c, table))
        report(c, "require-concurrent-index-creation", -1,
               "CREATE INDEX CONCURRENTLY in a -- stepwise:no-transaction migration of its own "
               "(SHARE UPDATE EXCLUSIVE: reads and writes go on)",
               "CREATE INDEX %s takes SHARE on %s for the whole build: blocks writes (INSERT, "
               "UPDATE, DELETE), not reads",
               name, table);
    char *index = parsetree_index_name(ix);
    /* DROP INDEX ... IF EXISTS of the same name before it is the robust
     * form the hint asks for: a re-run drops the INVALID leftover first. */
    bool cleared = index && strmap_get(&c->cleared, index) != NULL;
    if (ix->concurrent && c->opts->no_transaction && !ix->if_not_exists && !cleared)
        report(c, "prefer-robust-statements", -1,
               "a failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: precede it "
               "with DROP INDEX CONCURRENTLY IF EXISTS, or use IF NOT EXISTS",
               "CREATE INDEX CONCURRENTLY %s has no IF NOT EXISTS", name);
    if (index) {
        mark_created(c, index);
        free(index);
    }
    free(table);
}

static void lint_drop(lint_ctx *c, const PgQuery__DropStmt *d)
{
    for (size_t i = 0; i < d->n_objects; i++) {
        char *name = parsetree_list_name(d->objects[i], 0);
        if (!name)
            continue;
        bool new_object = is_new(c, name);
        if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && !d->concurrent && !new_object)
            report(c, "require-concurrent-index-deletion", -1,
                   "DROP INDEX CONCURRENTLY in a -- stepwise:no-transaction migration (SHARE "
                   "UPDATE EXCLUSIVE: reads and writes go on)",
                   "DROP INDEX %s takes ACCESS EXCLUSIVE on the index and its table (blocks "
                   "reads and writes)",
                   name);
        if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !new_object) {
            char *note = lock_note(c, name);
            report(c, "dropping-table", loss_severity(c),
                   "make sure nothing reads or writes it any more (rename it first and wait, or "
                   "revoke access); keep a dump",
                   "%sDROP TABLE %s loses all its rows for good%s", c->opts->down ? "rollback: " : "",
                   name, note);
            free(note);
        }
        if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
            schema_drop_table(c->schema, name);
        if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && d->missing_ok) {
            static char cleared_mark;
            strmap_put(&c->cleared, name, &cleared_mark);
        }
        free(name);
    }
    if (c->opts->no_transaction && !d->missing_ok) {
        char *name = d->n_objects ? parsetree_list_name(d->objects[0], 0) : NULL;
        report(c, "prefer-robust-statements", -1,
               "DROP ... IF EXISTS: a retried no-transaction migration re-runs its statements",
               "%s%s%s has no IF EXISTS, in a migration that runs without a transaction",
               c->script->statements[c->stmt].kind, name ? " " : "", name ? name : "");
        free(name);
    }
}

static void lint_rename(lint_ctx *c, const PgQuery__RenameStmt *r)
{
    if (!r->relation)
        return;
    char *table = parsetree_range_var_name(r->relation);
    char *note = lock_note(c, table);
    if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && is_new(c, table) && r->newname) {
        PgQuery__RangeVar renamed = *r->relation;
        renamed.relname = r->newname;
        char *new_name = parsetree_range_var_name(&renamed);
        mark_created(c, new_name);
        free(new_name);
    }
    if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !is_new(c, table))
        report(c, "renaming-table", -1,
               "create the new name as a view (or the old one as a view after renaming), move "
               "the application over, then remove the alias",
               "renaming %s to %s breaks every query that still uses %s%s", table, r->newname,
               table, note);
    if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN && !is_new(c, table))
        report(c, "renaming-column", -1,
               "add the new column, write to both, backfill, move reads, then drop the old one",
               "renaming %s.%s to %s breaks every query that still uses %s%s", table, r->subname,
               r->newname, r->subname, note);
    free(note);
    free(table);
}

/* The first lock, stronger than a read, on a relation that already exists. */
static const sql_lock *first_real_lock(const lint_ctx *c, const sql_statement *s)
{
    for (size_t i = 0; i < s->nlocks; i++)
        if (!s->locks[i].created && s->locks[i].mode > LOCK_ACCESS_SHARE &&
            !is_new(c, s->locks[i].relation))
            return &s->locks[i];
    return NULL;
}

/* Every relation the statement takes a lock on and does not create:
 * " on a, b", or "" when there is none. */
static char *locked_relations(const sql_statement *s)
{
    strbuf sb = {0};
    for (size_t i = 0; i < s->nlocks; i++)
        if (!s->locks[i].created)
            strbuf_appendf(&sb, "%s%s", sb.len ? ", " : " on ", s->locks[i].relation);
    return sb.len ? strbuf_detach(&sb) : xstrdup("");
}

/* Every relation the statement locks was created earlier in this script
 * (and it locks at least one). */
static bool only_new_relations(const lint_ctx *c, const sql_statement *s)
{
    for (size_t i = 0; i < s->nlocks; i++)
        if (!s->locks[i].created && !is_new(c, s->locks[i].relation))
            return false;
    return s->nlocks > 0;
}

/* SET lock_timeout to a value other than 0, for the rest of the session
 * (SET LOCAL ends with the statement's own transaction). */
static bool sets_lock_timeout(const PgQuery__VariableSetStmt *v)
{
    if (v->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || v->is_local || v->n_args != 1 ||
        !v->args[0] || v->args[0]->node_case != PG_QUERY__NODE__NODE_A_CONST)
        return false;
    const PgQuery__AConst *k = v->args[0]->a_const;
    switch (k->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
        return k->ival->ival != 0;
    case PG_QUERY__A__CONST__VAL_FVAL:
        return strtod(k->fval->fval, NULL) > 0;
    case PG_QUERY__A__CONST__VAL_SVAL:
        return strtod(k->sval->sval, NULL) > 0;
    default:
        return false;
    }
}

static void lint_statement(lint_ctx *c, const sql_statement *s)
{
    const Node *n = s->tree;
    if (!s->transactional && !c->opts->no_transaction) {
        char *on = locked_relations(s);
        report(c, "non-transactional-statement", -1,
               "put it in a migration of its own marked -- stepwise:no-transaction",
               "%s%s%s%s cannot run inside a transaction block, and this migration runs in one",
               s->kind, s->detail && *s->detail ? " " : "", s->detail ? s->detail : "", on);
        free(on);
    }
    if (s->transaction_control)
        report(c, "transaction-control", -1,
               "remove it: stepwise runs each migration in its own transaction, or statement by "
               "statement with -- stepwise:no-transaction",
               "%s inside a migration script", s->kind);
    if (!n)
        return; /* a SQLite statement the PostgreSQL grammar does not know */

    if (c->opts->no_transaction && !c->opts->lock_timeout_set && !c->lock_timeout_seen &&
        !c->lock_timeout_reported) {
        const sql_lock *l = first_real_lock(c, s);
        if (l) {
            report(c, "missing-lock-timeout", -1,
                   "SET lock_timeout = '2s' first (or a -- stepwise:lock-timeout directive), so "
                   "that a blocked statement gives up instead of queueing every session behind "
                   "it",
                   "%s waits for %s on %s without a lock_timeout: while it waits, everyone else "
                   "queues behind it",
                   s->kind, lock_mode_name(l->mode), l->relation);
            c->lock_timeout_reported = true;
        }
    }

    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        if (n->variable_set_stmt->name && strcmp(n->variable_set_stmt->name, "lock_timeout") == 0)
            c->lock_timeout_seen = sets_lock_timeout(n->variable_set_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        lint_create_table(c, n->create_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        if (n->create_table_as_stmt->into && n->create_table_as_stmt->into->rel) {
            char *t = parsetree_range_var_name(n->create_table_as_stmt->into->rel);
            mark_created(c, t);
            free(t);
        }
        break;
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        lint_alter_table(c, n->alter_table_stmt);
        break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        lint_index(c, n->index_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        lint_drop(c, n->drop_stmt);
        break;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        if (strstr(s->kind, "CONCURRENTLY") == NULL && !only_new_relations(c, s))
            report(c, "require-concurrent-reindex", -1,
                   "REINDEX ... CONCURRENTLY in a -- stepwise:no-transaction migration (SHARE "
                   "UPDATE EXCLUSIVE)",
                   "%s takes SHARE on the table (blocks writes) and ACCESS EXCLUSIVE on each "
                   "index (blocks reads that use it)%s%s",
                   s->kind, s->nlocks ? ": " : "", s->nlocks ? s->locks[0].relation : "");
        break;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        lint_rename(c, n->rename_stmt);
        break;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        if (n->truncate_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
            report(c, "truncate-cascade", -1,
                   "name every table to empty explicitly, without CASCADE",
                   "TRUNCATE %s CASCADE also empties every table with a foreign key to it, "
                   "under ACCESS EXCLUSIVE",
                   s->nlocks ? s->locks[0].relation : "");
        break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        if (strcmp(s->kind, "VACUUM FULL") == 0 && !only_new_relations(c, s))
            report(c, "vacuum-full", -1,
                   "plain VACUUM (SHARE UPDATE EXCLUSIVE) for dead rows; pg_repack or pg_squeeze "
                   "to shrink online",
                   "VACUUM FULL rewrites %s under ACCESS EXCLUSIVE (blocks reads and writes)",
                   s->nlocks ? s->locks[0].relation : "every table");
        break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        if (!only_new_relations(c, s))
            report(c, "cluster", -1, "pg_repack can reorder a table online",
                   "CLUSTER rewrites %s under ACCESS EXCLUSIVE (blocks reads and writes)",
                   s->nlocks ? s->locks[0].relation : "every clustered table");
        break;
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
        report(c, "dropping-database", -1, "drop databases by hand, never from a migration",
               "DROP DATABASE %s in a migration", n->dropdb_stmt->dbname);
        break;
    case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
        for (size_t i = 0; i < n->create_domain_stmt->n_constraints; i++) {
            const PgQuery__Constraint *k = constraint_of(n->create_domain_stmt->constraints[i]);
            if (k && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
                char *domain = parsetree_names(n->create_domain_stmt->domainname,
                                               n->create_domain_stmt->n_domainname);
                report(c, "domain-check-constraint", -1,
                       "put the CHECK on the columns (table constraints can be added NOT VALID "
                       "and validated online)",
                       "domain %s has a CHECK: changing the check later validates every column "
                       "of every table that uses the domain, under lock",
                       domain ? domain : "?");
                free(domain);
                break;
            }
        }
        break;
    case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT: {
        const PgQuery__AlterDomainStmt *ad = n->alter_domain_stmt;
        const PgQuery__Constraint *k = constraint_of(ad->def);
        if (ad->subtype && strcmp(ad->subtype, "C") == 0 && k && !k->skip_validation) {
            char *domain = parsetree_names(ad->type_name, ad->n_type_name);
            report(c, "domain-check-constraint", -1,
                   "ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT later",
                   "ALTER DOMAIN %s ADD CONSTRAINT checks every column of every table that uses "
                   "the domain, under SHARE lock on each table",
                   domain ? domain : "?");
            free(domain);
        }
        break;
    }
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        if (!c->opts->no_transaction && c->exclusive_relation) {
            const sql_statement *held = &c->script->statements[c->exclusive_stmt];
            char *hint = xasprintf("move the %s into a migration of its own, after this one, and "
                                   "run it in batches",
                                   s->kind);
            report(c, "backfill-under-exclusive-lock", -1, hint,
                   "%s on %s runs in the same transaction as %s on line %d, which holds ACCESS "
                   "EXCLUSIVE on %s until COMMIT: every query on it waits for the whole %s",
                   s->kind, s->nlocks ? s->locks[0].relation : "?", held->kind, held->line,
                   c->exclusive_relation, s->kind);
            free(hint);
        }
        break;
    default:
        break;
    }

    if (!c->exclusive_relation)
        for (size_t i = 0; i < s->nlocks; i++)
            if (s->locks[i].mode == LOCK_ACCESS_EXCLUSIVE && !s->locks[i].created &&
                !is_new(c, s->locks[i].relation)) {
                c->exclusive_stmt = c->stmt;
                c->exclusive_relation = s->locks[i].relation;
                break;
            }
}

/* ------------------------------------------------------------ allow */

/* Apply the "-- stepwise:allow <rule> <reason>" comments that stand in
 * the gap between statement `i` and the one before it. */
static void apply_allows(lint_ctx *c, size_t i, size_t first_finding)
{
    const sql_script *sc = c->script;
    const sql_statement *s = &sc->statements[i];
    size_t gap_start = i == 0 ? 0 : sc->statements[i - 1].offset + sc->statements[i - 1].length;
    const char *p = sc->text + gap_start;
    const char *end = sc->text + s->offset;
    static const char marker[] = "stepwise:allow";
    while (p < end) {
        /* memmem, not strstr: the search must stop at this gap, or a
         * script without allow comments is searched to its end for
         * every statement. */
        const char *hit = memmem(p, (size_t)(end - p), marker, strlen(marker));
        if (!hit || hit >= end)
            break;
        const char *eol = memchr(hit, '\n', (size_t)(end - hit));
        if (!eol)
            eol = end;
        const char *q = hit + strlen(marker);
        while (q < eol && (*q == ' ' || *q == '\t'))
            q++;
        const char *id_end = q;
        while (id_end < eol && !isspace((unsigned char)*id_end))
            id_end++;
        char *id = xstrndup(q, (size_t)(id_end - q));
        const char *r = id_end;
        while (r < eol && isspace((unsigned char)*r))
            r++;
        const char *r_end = eol;
        while (r_end > r && isspace((unsigned char)r_end[-1]))
            r_end--;
        char *reason = r_end > r ? xstrndup(r, (size_t)(r_end - r)) : NULL;
        size_t saved = c->stmt;
        c->stmt = i;
        if (!lint_rule_find(id)) {
            report(c, "invalid-allow", -1, "write -- stepwise:allow <rule-id> <reason>; "
                                           "`stepwise lint --rules` lists the rule ids",
                   "stepwise:allow names an unknown rule '%s'", id);
        } else if (!reason) {
            report(c, "invalid-allow", -1,
                   "write the reason after the rule id: it is shown in every lint report",
                   "stepwise:allow %s gives no reason, so it silences nothing", id);
        } else {
            for (size_t k = first_finding; k < c->out->count; k++) {
                lint_finding *f = &c->out->items[k];
                if (f->statement == i && strcmp(f->rule->id, id) == 0 && !f->allowed)
                    f->allowed = xstrdup(reason);
            }
        }
        c->stmt = saved;
        free(id);
        free(reason);
        p = eol;
    }
}

void lint_script(const sql_script *script, const lint_options *opts, lint_schema *schema,
                 lint_findings *out)
{
    lint_ctx c = {.script = script, .opts = opts, .schema = schema, .out = out};
    for (size_t i = 0; i < script->count; i++) {
        const sql_statement *s = &script->statements[i];
        /* Rejected by the grammar: the caller reports it. A SQLite
         * statement the PostgreSQL grammar does not know is no error: its
         * keywords still tell transaction control and VACUUM. */
        if (s->error || (!s->analysed && script->dialect != SQL_SQLITE))
            continue;
        size_t first = out->count;
        c.stmt = i;
        lint_statement(&c, s);
        apply_allows(&c, i, first);
    }
    strmap_free(&c.created, NULL);
    strmap_free(&c.cleared, NULL);
}

void lint_findings_free(lint_findings *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].message);
        free(f->items[i].hint);
        free(f->items[i].allowed);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

static void free_columns(void *columns)
{
    strmap_free(columns, free);
    free(columns);
}

void lint_schema_free(lint_schema *schema)
{
    strmap_free(&schema->tables, free_columns);
}

size_t lint_count(const lint_findings *f, lint_severity severity)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        if (!f->items[i].allowed && f->items[i].severity >= severity)
            n++;
    return n;
}
