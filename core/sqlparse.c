/* Statement split and classification. PostgreSQL scripts go through
 * libpg_query (the server's own grammar) once as a whole; each statement
 * is then classified from its protobuf parse tree. SQLite scripts are
 * split with sqlite3_complete. Lock modes follow PostgreSQL 15's
 * "Explicit Locking" chapter and AlterTableGetLockLevel(). */
#include "config.h"

#include "core/sqlparse.h"
#include "core/parsetree.h"

#include <ctype.h>
#include <pg_query.h>
#include <stddef.h>
#include <pg_query/pg_query.pb-c.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef PgQuery__Node Node;

/* ------------------------------------------------------------ positions */

void sql_position(const char *text, size_t offset, int *line, int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++; /* count characters: UTF-8 continuation bytes add nothing */
        }
    }
    *line = l;
    *column = c;
}

/* sql_position for a byte offset of the script, moving on from the last
 * one: statements come in order, so a whole script costs one pass. */
static void script_position(sql_script *sc, size_t offset, int *line, int *column)
{
    if (sc->cursor_line == 0 || offset < sc->cursor_offset) {
        sc->cursor_offset = 0;
        sc->cursor_line = 1;
        sc->cursor_column = 1;
    }
    for (size_t i = sc->cursor_offset; i < offset && sc->text[i]; i++) {
        unsigned char ch = (unsigned char)sc->text[i];
        if (ch == '\n') {
            sc->cursor_line++;
            sc->cursor_column = 1;
        } else if ((ch & 0xC0) != 0x80) {
            sc->cursor_column++;
        }
    }
    sc->cursor_offset = offset;
    *line = sc->cursor_line;
    *column = sc->cursor_column;
}

/* Byte offset of the 1-based character position `chars` from `start`. */
static size_t char_to_byte(const char *text, size_t start, int chars)
{
    size_t i = start;
    for (int n = 1; n < chars && text[i]; n++) {
        i++;
        while (((unsigned char)text[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Skip blanks and comments (-- to end of line, nested block comments) from
 * `i`: statements as libpg_query reports them start right after the
 * previous ';', but a person wants the position of the first word. */
static size_t skip_blanks_and_comments(const char *text, size_t i, size_t end)
{
    while (i < end) {
        if (isspace((unsigned char)text[i])) {
            i++;
        } else if (text[i] == '-' && i + 1 < end && text[i + 1] == '-') {
            while (i < end && text[i] != '\n')
                i++;
        } else if (text[i] == '/' && i + 1 < end && text[i + 1] == '*') {
            int depth = 1;
            i += 2;
            while (i < end && depth > 0) {
                if (text[i] == '/' && i + 1 < end && text[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (text[i] == '*' && i + 1 < end && text[i + 1] == '/') {
                    depth--;
                    i += 2;
                } else {
                    i++;
                }
            }
        } else {
            break;
        }
    }
    return i;
}

/* Trailing blanks go; the ';' is never part of [start, end). */
static size_t trim_end(const char *text, size_t start, size_t end)
{
    while (end > start && isspace((unsigned char)text[end - 1]))
        end--;
    return end;
}

/* ------------------------------------------------------------ names */

char *sql_quote_identifier(const char *name)
{
    bool plain = *name && (islower((unsigned char)*name) || *name == '_');
    for (const char *p = name; *p && plain; p++)
        plain = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '$' ||
                ((unsigned char)*p & 0x80);
    if (plain)
        return xstrdup(name);
    strbuf sb = {0};
    strbuf_append_char(&sb, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            strbuf_append_char(&sb, '"');
        strbuf_append_char(&sb, *p);
    }
    strbuf_append_char(&sb, '"');
    return strbuf_detach(&sb);
}

static void append_name_part(strbuf *sb, const char *part)
{
    if (sb->len)
        strbuf_append_char(sb, '.');
    char *q = sql_quote_identifier(part);
    strbuf_append(sb, q);
    free(q);
}

char *parsetree_range_var_name(const PgQuery__RangeVar *rv)
{
    strbuf sb = {0};
    if (rv->catalogname && *rv->catalogname)
        append_name_part(&sb, rv->catalogname);
    if (rv->schemaname && *rv->schemaname)
        append_name_part(&sb, rv->schemaname);
    append_name_part(&sb, rv->relname ? rv->relname : "?");
    return strbuf_detach(&sb);
}

static char *string_list_name(Node *const *items, size_t n, size_t drop_last)
{
    strbuf sb = {0};
    for (size_t i = 0; i + drop_last < n; i++)
        if (items[i] && items[i]->node_case == PG_QUERY__NODE__NODE_STRING)
            append_name_part(&sb, items[i]->string->sval);
    if (sb.len == 0) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

char *parsetree_names(Node *const *items, size_t n)
{
    return string_list_name(items, n, 0);
}

char *parsetree_list_name(const Node *node, size_t drop_last)
{
    if (!node)
        return NULL;
    if (node->node_case == PG_QUERY__NODE__NODE_LIST)
        return string_list_name(node->list->items, node->list->n_items, drop_last);
    if (node->node_case == PG_QUERY__NODE__NODE_STRING && drop_last == 0)
        return sql_quote_identifier(node->string->sval);
    return NULL;
}

/* ------------------------------------------------------------ statements */

static void add_lock_owned(sql_statement *s, char *relation, lock_mode mode, const char *why,
                           bool created, bool index)
{
    for (size_t i = 0; i < s->nlocks; i++) {
        sql_lock *l = &s->locks[i];
        if (strcmp(l->relation, relation) != 0)
            continue;
        if (mode > l->mode) {
            l->mode = mode;
            l->why = why;
        }
        l->created = l->created || created;
        free(relation);
        return;
    }
    s->locks = array_grow(s->locks, &s->locks_cap, s->nlocks + 1, sizeof *s->locks);
    s->locks[s->nlocks++] = (sql_lock){relation, mode, created, index, why};
}

static void add_lock(sql_statement *s, const PgQuery__RangeVar *rv, lock_mode mode, const char *why)
{
    if (rv)
        add_lock_owned(s, parsetree_range_var_name(rv), mode, why, false, false);
}

lock_mode sql_statement_strongest_lock(const sql_statement *stmt)
{
    lock_mode m = LOCK_NONE;
    for (size_t i = 0; i < stmt->nlocks; i++)
        if (stmt->locks[i].mode > m)
            m = stmt->locks[i].mode;
    return m;
}

static void set_kind(sql_statement *s, const char *kind)
{
    free(s->kind);
    s->kind = xstrdup(kind);
}

/* -------------------------------------------- walking any parse tree */

/* Visit every message below `m` through protobuf-c's reflection, so that
 * relations inside sub-selects, CTEs and expressions are all found
 * whatever node types hold them. Depth is bounded: the server's grammar
 * accepts very deep expressions, and this must not exhaust the stack. */
static void walk(const ProtobufCMessage *m, sql_tree_visit fn, void *arg, int depth)
{
    if (!m || depth > 1000)
        return;
    fn(m, arg);
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    if (d == &pg_query__node__descriptor) {
        /* Node is a oneof of some 250 node types and most of the tree is
         * made of it: go straight to the member that is set (its field
         * id is the case) instead of looking at every field. */
        const PgQuery__Node *n = (const PgQuery__Node *)m;
        const ProtobufCFieldDescriptor *f =
            n->node_case ? protobuf_c_message_descriptor_get_field(d, (unsigned)n->node_case) : NULL;
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *sub;
            memcpy(&sub, base + f->offset, sizeof sub);
            walk(sub, fn, arg, depth + 1);
        }
        return;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            ProtobufCMessage *const *items;
            memcpy(&n, base + f->quantifier_offset, sizeof n);
            memcpy(&items, base + f->offset, sizeof items);
            for (size_t j = 0; j < n; j++)
                walk(items[j], fn, arg, depth + 1);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof which);
            if (which != f->id)
                continue;
        }
        const ProtobufCMessage *sub;
        memcpy(&sub, base + f->offset, sizeof sub);
        walk(sub, fn, arg, depth + 1);
    }
}

void sql_tree_walk(const void *tree, sql_tree_visit visit, void *arg)
{
    walk(tree, visit, arg, 0);
}

typedef struct read_walk {
    sql_statement *stmt;
    char **ctes;
    size_t nctes, ctes_cap;
    /* The names after FOR UPDATE/SHARE OF: they refer to FROM items (often
     * by alias), they are not relations to lock on their own. */
    const PgQuery__RangeVar **of_names;
    size_t nof, of_cap;
    /* While walking the FROM clause of a SELECT with FOR UPDATE/SHARE OF:
     * that SELECT, whose OF list says which FROM items get ROW SHARE; NULL
     * when every table in that FROM clause does. */
    const PgQuery__SelectStmt *locking;
} read_walk;

static void collect_names(const void *message, void *arg)
{
    const ProtobufCMessage *m = message;
    read_walk *w = arg;
    if (m->descriptor == &pg_query__common_table_expr__descriptor) {
        const PgQuery__CommonTableExpr *cte = (const PgQuery__CommonTableExpr *)m;
        w->ctes = array_grow(w->ctes, &w->ctes_cap, w->nctes + 1, sizeof *w->ctes);
        w->ctes[w->nctes++] = cte->ctename;
    } else if (m->descriptor == &pg_query__locking_clause__descriptor) {
        const PgQuery__LockingClause *lc = (const PgQuery__LockingClause *)m;
        for (size_t i = 0; i < lc->n_locked_rels; i++) {
            const Node *r = lc->locked_rels[i];
            if (!r || r->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
                continue;
            w->of_names = array_grow(w->of_names, &w->of_cap, w->nof + 1, sizeof *w->of_names);
            w->of_names[w->nof++] = r->range_var;
        }
    }
}

/* False for a name that is a CTE or the target of FOR UPDATE OF. */
static bool names_relation(const read_walk *w, const PgQuery__RangeVar *rv)
{
    for (size_t i = 0; i < w->nof; i++)
        if (w->of_names[i] == rv)
            return false;
    if (!rv->schemaname || !*rv->schemaname)
        for (size_t i = 0; i < w->nctes; i++)
            if (strcmp(w->ctes[i], rv->relname) == 0)
                return false; /* a CTE, not a relation */
    return true;
}

static void collect_read(const void *message, void *arg)
{
    const ProtobufCMessage *m = message;
    read_walk *w = arg;
    if (m->descriptor != &pg_query__range_var__descriptor)
        return;
    const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
    if (names_relation(w, rv))
        add_lock(w->stmt, rv, LOCK_ACCESS_SHARE, "read");
}

/* INSERT, UPDATE, DELETE and MERGE wherever they are, the statement itself
 * or a data-modifying WITH: ROW EXCLUSIVE on their target. */
static void collect_write(const void *message, void *arg)
{
    const ProtobufCMessage *m = message;
    read_walk *w = arg;
    const PgQuery__RangeVar *target;
    bool where = true;
    if (m->descriptor == &pg_query__insert_stmt__descriptor) {
        target = ((const PgQuery__InsertStmt *)m)->relation;
    } else if (m->descriptor == &pg_query__update_stmt__descriptor) {
        target = ((const PgQuery__UpdateStmt *)m)->relation;
        where = ((const PgQuery__UpdateStmt *)m)->where_clause != NULL;
    } else if (m->descriptor == &pg_query__delete_stmt__descriptor) {
        target = ((const PgQuery__DeleteStmt *)m)->relation;
        where = ((const PgQuery__DeleteStmt *)m)->where_clause != NULL;
    } else if (m->descriptor == &pg_query__merge_stmt__descriptor) {
        target = ((const PgQuery__MergeStmt *)m)->relation;
    } else {
        return;
    }
    if (!where)
        w->stmt->destructive = true;
    add_lock(w->stmt, target, LOCK_ROW_EXCLUSIVE, "data-modifying WITH");
}

/* Does the FOR UPDATE/SHARE OF list of `sel` name the FROM item `name`
 * (its alias, or the table's own name when it has none)? */
static bool locking_names(const PgQuery__SelectStmt *sel, const char *name)
{
    for (size_t i = 0; i < sel->n_locking_clause; i++) {
        const Node *c = sel->locking_clause[i];
        if (!c || c->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE)
            continue;
        for (size_t k = 0; k < c->locking_clause->n_locked_rels; k++) {
            const Node *r = c->locking_clause->locked_rels[k];
            if (r && r->node_case == PG_QUERY__NODE__NODE_RANGE_VAR &&
                strcmp(r->range_var->relname, name) == 0)
                return true;
        }
    }
    return false;
}

static void collect_locked(const void *message, void *arg)
{
    const ProtobufCMessage *m = message;
    read_walk *w = arg;
    if (m->descriptor == &pg_query__range_var__descriptor) {
        const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
        const char *name = rv->alias && rv->alias->aliasname && *rv->alias->aliasname
                               ? rv->alias->aliasname
                               : rv->relname;
        if (names_relation(w, rv) && (!w->locking || locking_names(w->locking, name)))
            add_lock(w->stmt, rv, LOCK_ROW_SHARE, "SELECT ... FOR UPDATE/SHARE");
    } else if (m->descriptor == &pg_query__range_subselect__descriptor && w->locking) {
        /* FOR UPDATE OF a sub-select's alias locks every table in it */
        const PgQuery__RangeSubselect *sub = (const PgQuery__RangeSubselect *)m;
        if (sub->alias && sub->alias->aliasname && sub->subquery &&
            locking_names(w->locking, sub->alias->aliasname)) {
            read_walk all = *w;
            all.locking = NULL;
            walk(&sub->subquery->base, collect_locked, &all, 0);
        }
    }
}

/* SELECT ... FOR UPDATE/SHARE/NO KEY UPDATE/KEY SHARE, at any level: ROW
 * SHARE on the tables of its FROM clause, or on those its OF list names. */
static void collect_row_share(const void *message, void *arg)
{
    const ProtobufCMessage *m = message;
    const read_walk *w = arg;
    if (m->descriptor != &pg_query__select_stmt__descriptor)
        return;
    const PgQuery__SelectStmt *sel = (const PgQuery__SelectStmt *)m;
    if (sel->n_locking_clause == 0)
        return;
    read_walk sub = *w;
    sub.locking = NULL;
    for (size_t i = 0; i < sel->n_locking_clause; i++) {
        const Node *c = sel->locking_clause[i];
        if (c && c->node_case == PG_QUERY__NODE__NODE_LOCKING_CLAUSE &&
            c->locking_clause->n_locked_rels > 0)
            sub.locking = sel;
    }
    for (size_t i = 0; i < sel->n_locking_clause && sub.locking; i++) {
        const Node *c = sel->locking_clause[i];
        if (c && c->node_case == PG_QUERY__NODE__NODE_LOCKING_CLAUSE &&
            c->locking_clause->n_locked_rels == 0)
            sub.locking = NULL; /* a clause without OF: every table */
    }
    for (size_t i = 0; i < sel->n_from_clause; i++)
        if (sel->from_clause[i])
            walk(&sel->from_clause[i]->base, collect_locked, &sub, 0);
}

/* One pass for all three: the lock kept per relation is the strongest,
 * whichever visitor sees it first. */
static void collect_locks(const void *message, void *arg)
{
    collect_write(message, arg);
    collect_row_share(message, arg);
    collect_read(message, arg);
}

/* Every relation named anywhere below `tree` that has no lock yet: the
 * targets of INSERT/UPDATE/DELETE/MERGE (also inside WITH) take ROW
 * EXCLUSIVE, the tables under FOR UPDATE/SHARE ROW SHARE, the rest is read
 * (ACCESS SHARE). CTE names and FOR UPDATE OF names are not relations. */
static void add_reads(sql_statement *s, const ProtobufCMessage *tree)
{
    read_walk w = {.stmt = s};
    walk(tree, collect_names, &w, 0); /* first: they decide what is a relation */
    walk(tree, collect_locks, &w, 0);
    free(w.ctes);
    free(w.of_names);
}

/* ------------------------------------------------------ classification */

static bool def_elem_named(Node *const *items, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (items[i] && items[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
            strcasecmp(items[i]->def_elem->defname, name) == 0) {
            const Node *arg = items[i]->def_elem->arg;
            /* "(concurrently false)" is written out rarely but means no */
            if (arg && arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
                arg->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
                return arg->a_const->boolval->boolval;
            if (arg && arg->node_case == PG_QUERY__NODE__NODE_STRING)
                return strcasecmp(arg->string->sval, "false") != 0 &&
                       strcasecmp(arg->string->sval, "off") != 0;
            return true;
        }
    return false;
}

static const PgQuery__Constraint *as_constraint(const Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT ? n->constraint : NULL;
}

static void add_foreign_key_lock(sql_statement *s, const PgQuery__Constraint *c, const char *self)
{
    if (!c || c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || !c->pktable)
        return;
    char *name = parsetree_range_var_name(c->pktable);
    if (self && strcmp(name, self) == 0) {
        free(name); /* a table referring to itself: already locked */
        return;
    }
    add_lock_owned(s, name, LOCK_SHARE_ROW_EXCLUSIVE, "referenced by a foreign key", false, false);
}

static const char *constraint_kind(const PgQuery__Constraint *c)
{
    switch (c->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        return "CHECK";
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        return "PRIMARY KEY";
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        return "UNIQUE";
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
        return "EXCLUDE";
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        return "FOREIGN KEY";
    case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
        return "NOT NULL";
    default:
        return "CONSTRAINT";
    }
}

/* Table-level options of ALTER TABLE SET (...) that take only SHARE UPDATE
 * EXCLUSIVE (reloptions.c); any other option takes ACCESS EXCLUSIVE. */
static lock_mode reloptions_lock(const Node *def)
{
    static const char *const light[] = {
        "fillfactor", "parallel_workers", "toast_tuple_target", "vacuum_index_cleanup",
        "vacuum_truncate", "log_autovacuum_min_duration",
        /* B-tree index options */
        "deduplicate_items", "vacuum_cleanup_index_scale_factor", NULL};
    if (!def || def->node_case != PG_QUERY__NODE__NODE_LIST)
        return LOCK_ACCESS_EXCLUSIVE;
    lock_mode mode = LOCK_NONE;
    for (size_t i = 0; i < def->list->n_items; i++) {
        const Node *item = def->list->items[i];
        if (!item || item->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
            continue;
        const char *name = item->def_elem->defname;
        bool is_light = str_has_prefix(name, "autovacuum_");
        for (size_t k = 0; light[k] && !is_light; k++)
            is_light = strcmp(name, light[k]) == 0;
        lock_mode m = is_light ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE;
        if (m > mode)
            mode = m;
    }
    return mode == LOCK_NONE ? LOCK_ACCESS_EXCLUSIVE : mode;
}

/* One ALTER TABLE sub-command: its name for people and its lock level
 * (PostgreSQL 15 AlterTableGetLockLevel). */
static lock_mode alter_table_cmd(sql_statement *s, const PgQuery__AlterTableCmd *cmd,
                                 const char *table, strbuf *detail)
{
    const char *what;
    lock_mode mode = LOCK_ACCESS_EXCLUSIVE;
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnToView:
        what = "ADD COLUMN";
        if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            for (size_t i = 0; i < cmd->def->column_def->n_constraints; i++)
                add_foreign_key_lock(s, as_constraint(cmd->def->column_def->constraints[i]), table);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
        what = "DROP COLUMN";
        s->destructive = true;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_CookedColumnDefault:
        what = cmd->def ? "ALTER COLUMN SET DEFAULT" : "ALTER COLUMN DROP DEFAULT";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        what = "ALTER COLUMN DROP NOT NULL";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
        what = "ALTER COLUMN SET NOT NULL";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression:
        what = "ALTER COLUMN DROP EXPRESSION";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
        what = "ALTER COLUMN SET STATISTICS";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
        what = "ALTER COLUMN SET/RESET (options)";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
        what = "ALTER COLUMN SET STORAGE";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression:
        what = "ALTER COLUMN SET COMPRESSION";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndex:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddIndex:
        what = "ADD INDEX";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddDomainConstraint: {
        const PgQuery__Constraint *c = as_constraint(cmd->def);
        what = "ADD CONSTRAINT";
        if (c) {
            char *text = xasprintf("ADD %s%s", constraint_kind(c),
                                   c->skip_validation ? " NOT VALID" : "");
            if (detail->len)
                strbuf_append(detail, ", ");
            strbuf_append(detail, text);
            free(text);
            what = NULL;
            if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
                mode = LOCK_SHARE_ROW_EXCLUSIVE;
                add_foreign_key_lock(s, c, table);
            }
        }
        break;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint:
        what = "ALTER CONSTRAINT";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
        what = "VALIDATE CONSTRAINT";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint:
        what = "ADD CONSTRAINT USING INDEX";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
        what = "DROP CONSTRAINT";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        what = "ALTER COLUMN TYPE";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnGenericOptions:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_GenericOptions:
        what = "OPTIONS";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner:
        what = "OWNER TO";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
        what = "CLUSTER ON";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
        what = "SET WITHOUT CLUSTER";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
        what = "SET LOGGED";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
        what = "SET UNLOGGED";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropOids:
        what = "SET WITHOUT OIDS";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
        what = "SET ACCESS METHOD";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
        what = "SET TABLESPACE";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
        what = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions ? "SET (storage options)"
                                                                            : "RESET (storage options)";
        mode = reloptions_lock(cmd->def);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplaceRelOptions:
        what = "REPLACE (options)";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
        what = "ENABLE TRIGGER";
        mode = LOCK_SHARE_ROW_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
        what = "DISABLE TRIGGER";
        mode = LOCK_SHARE_ROW_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRule:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysRule:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaRule:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRule:
        what = "ENABLE/DISABLE RULE";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
        what = "INHERIT";
        if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            add_lock(s, cmd->def->range_var, LOCK_SHARE_UPDATE_EXCLUSIVE, "INHERIT parent");
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit:
        what = "NO INHERIT";
        if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            add_lock(s, cmd->def->range_var, LOCK_ACCESS_SHARE, "NO INHERIT parent");
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddOf:
        what = "OF type";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropOf:
        what = "NOT OF";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity:
        what = "REPLICA IDENTITY";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRowSecurity:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ForceRowSecurity:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_NoForceRowSecurity:
        what = "ROW LEVEL SECURITY";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition: {
        what = "ATTACH PARTITION";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        const Node *d = cmd->def;
        if (d && d->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD)
            add_lock(s, d->partition_cmd->name, LOCK_ACCESS_EXCLUSIVE, "the partition attached");
        break;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition: {
        const Node *d = cmd->def;
        bool concurrent = d && d->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
                          d->partition_cmd->concurrent;
        what = concurrent ? "DETACH PARTITION CONCURRENTLY" : "DETACH PARTITION";
        mode = concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE;
        if (concurrent)
            s->transactional = false;
        if (d && d->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD)
            add_lock(s, d->partition_cmd->name, mode, "the partition detached");
        break;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize:
        what = "DETACH PARTITION FINALIZE";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
        what = "ALTER COLUMN ADD GENERATED AS IDENTITY";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity:
        what = "ALTER COLUMN SET (identity)";
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
        what = "ALTER COLUMN DROP IDENTITY";
        break;
    default:
        what = "(sub-command)";
        break;
    }
    if (what) {
        if (detail->len)
            strbuf_append(detail, ", ");
        strbuf_append(detail, what);
    }
    return mode;
}

static const char *alter_object_name(PgQuery__ObjectType type)
{
    switch (type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        return "ALTER INDEX";
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        return "ALTER VIEW";
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        return "ALTER MATERIALIZED VIEW";
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        return "ALTER SEQUENCE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        return "ALTER FOREIGN TABLE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
        return "ALTER TYPE";
    default:
        return "ALTER TABLE";
    }
}

static void classify_alter_table(sql_statement *s, const PgQuery__AlterTableStmt *a)
{
    set_kind(s, alter_object_name(a->objtype));
    if (!a->relation)
        return;
    char *table = parsetree_range_var_name(a->relation);
    strbuf detail = {0};
    lock_mode mode = LOCK_NONE;
    for (size_t i = 0; i < a->n_cmds; i++) {
        const Node *n = a->cmds[i];
        if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
            continue;
        lock_mode m = alter_table_cmd(s, n->alter_table_cmd, table, &detail);
        if (m > mode)
            mode = m; /* several sub-commands: the strongest wins */
    }
    s->detail = strbuf_detach(&detail);
    add_lock_owned(s, table, mode == LOCK_NONE ? LOCK_ACCESS_EXCLUSIVE : mode, s->kind, false,
                   a->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX);
}

static void classify_create(sql_statement *s, const PgQuery__CreateStmt *c)
{
    set_kind(s, c->partbound ? "CREATE TABLE PARTITION OF" : "CREATE TABLE");
    char *table = parsetree_range_var_name(c->relation);
    for (size_t i = 0; i < c->n_inh_relations; i++) {
        const Node *n = c->inh_relations[i];
        if (n && n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            add_lock(s, n->range_var, c->partbound ? LOCK_ACCESS_EXCLUSIVE : LOCK_SHARE_UPDATE_EXCLUSIVE,
                     c->partbound ? "the partitioned table" : "INHERITS parent");
    }
    for (size_t i = 0; i < c->n_constraints; i++)
        add_foreign_key_lock(s, as_constraint(c->constraints[i]), table);
    for (size_t i = 0; i < c->n_table_elts; i++) {
        const Node *e = c->table_elts[i];
        if (!e)
            continue;
        if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            add_foreign_key_lock(s, e->constraint, table);
        else if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            for (size_t k = 0; k < e->column_def->n_constraints; k++)
                add_foreign_key_lock(s, as_constraint(e->column_def->constraints[k]), table);
        else if (e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE)
            add_lock(s, e->table_like_clause->relation, LOCK_ACCESS_SHARE, "LIKE source");
    }
    add_lock_owned(s, table, LOCK_ACCESS_EXCLUSIVE, "created", true, false);
}

static const char *object_type_name(PgQuery__ObjectType t)
{
    switch (t) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        return "TABLE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        return "INDEX";
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        return "VIEW";
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        return "MATERIALIZED VIEW";
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        return "SEQUENCE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        return "FOREIGN TABLE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        return "SCHEMA";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
        return "TYPE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
        return "DOMAIN";
    case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
        return "FUNCTION";
    case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
        return "PROCEDURE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
        return "TRIGGER";
    case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
        return "RULE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
        return "POLICY";
    case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
        return "EXTENSION";
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
        return "COLUMN";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
        return "CONSTRAINT";
    case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
        return "DATABASE";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE:
        return "TABLESPACE";
    default:
        return "OBJECT";
    }
}

static bool object_is_relation(PgQuery__ObjectType t)
{
    return t == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || t == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW || t == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ||
           t == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE;
}

static void classify_drop(sql_statement *s, const PgQuery__DropStmt *d)
{
    char *kind = xasprintf("DROP %s%s", object_type_name(d->remove_type),
                           d->concurrent ? " CONCURRENTLY" : "");
    set_kind(s, kind);
    free(kind);
    bool is_index = d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
    if (d->concurrent)
        s->transactional = false;
    bool on_table = d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER ||
                    d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_RULE ||
                    d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_POLICY;
    for (size_t i = 0; i < d->n_objects; i++) {
        char *name = NULL;
        if (object_is_relation(d->remove_type))
            name = parsetree_list_name(d->objects[i], 0);
        else if (on_table)
            name = parsetree_list_name(d->objects[i], 1); /* [schema.]table.trigger */
        if (name)
            add_lock_owned(s, name, d->concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE,
                           s->kind, false, is_index);
    }
    switch (d->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        s->destructive = true;
        break;
    default:
        s->destructive = d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
        break;
    }
}

static void classify_index(sql_statement *s, const PgQuery__IndexStmt *ix)
{
    char *kind = xasprintf("CREATE %sINDEX%s", ix->unique ? "UNIQUE " : "",
                           ix->concurrent ? " CONCURRENTLY" : "");
    set_kind(s, kind);
    free(kind);
    if (ix->concurrent)
        s->transactional = false;
    add_lock(s, ix->relation, ix->concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE, s->kind);
    char *index = parsetree_index_name(ix);
    if (index)
        add_lock_owned(s, index, LOCK_ACCESS_EXCLUSIVE, "created", true, true);
}

char *parsetree_index_name(const PgQuery__IndexStmt *ix)
{
    if (!ix->idxname || !*ix->idxname)
        return NULL;
    strbuf sb = {0};
    if (ix->relation && ix->relation->schemaname && *ix->relation->schemaname)
        append_name_part(&sb, ix->relation->schemaname);
    append_name_part(&sb, ix->idxname);
    return strbuf_detach(&sb);
}

static void classify_reindex(sql_statement *s, const PgQuery__ReindexStmt *r)
{
    bool concurrent = def_elem_named(r->params, r->n_params, "concurrently");
    const char *what = "REINDEX";
    switch (r->kind) {
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
        what = "REINDEX INDEX";
        if (r->relation)
            add_lock_owned(s, parsetree_range_var_name(r->relation),
                           concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE, "REINDEX",
                           false, true);
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
        what = "REINDEX TABLE";
        add_lock(s, r->relation, concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE, "REINDEX");
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA:
        what = "REINDEX SCHEMA";
        s->transactional = false;
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM:
        what = "REINDEX SYSTEM";
        s->transactional = false;
        break;
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE:
        what = "REINDEX DATABASE";
        s->transactional = false;
        break;
    default:
        break;
    }
    char *kind = xasprintf("%s%s", what, concurrent ? " CONCURRENTLY" : "");
    set_kind(s, kind);
    free(kind);
    if (concurrent)
        s->transactional = false;
}

static void classify_vacuum(sql_statement *s, const PgQuery__VacuumStmt *v)
{
    bool full = def_elem_named(v->options, v->n_options, "full");
    bool analyze = def_elem_named(v->options, v->n_options, "analyze");
    if (v->is_vacuumcmd) {
        set_kind(s, full ? "VACUUM FULL" : analyze ? "VACUUM ANALYZE" : "VACUUM");
        s->transactional = false;
    } else {
        set_kind(s, "ANALYZE");
    }
    lock_mode mode = full ? LOCK_ACCESS_EXCLUSIVE : LOCK_SHARE_UPDATE_EXCLUSIVE;
    for (size_t i = 0; i < v->n_rels; i++) {
        const Node *n = v->rels[i];
        if (n && n->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION)
            add_lock(s, n->vacuum_relation->relation, mode, s->kind);
    }
}

static void classify_rename(sql_statement *s, const PgQuery__RenameStmt *r)
{
    lock_mode mode = LOCK_ACCESS_EXCLUSIVE;
    bool index = false;
    const char *kind;
    switch (r->rename_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
        kind = "ALTER TABLE RENAME COLUMN";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
        kind = "ALTER TABLE RENAME CONSTRAINT";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
        kind = "ALTER TRIGGER RENAME";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        kind = "ALTER INDEX RENAME";
        mode = LOCK_SHARE_UPDATE_EXCLUSIVE; /* since PostgreSQL 12 */
        index = true;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        kind = "ALTER TABLE RENAME";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        kind = "ALTER VIEW RENAME";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        kind = "ALTER MATERIALIZED VIEW RENAME";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        kind = "ALTER SEQUENCE RENAME";
        break;
    default:
        kind = "RENAME";
        break;
    }
    set_kind(s, kind);
    if (r->relation)
        add_lock_owned(s, parsetree_range_var_name(r->relation), mode, kind, false, index);
}

static void classify_comment(sql_statement *s, const PgQuery__CommentStmt *c)
{
    char *kind = xasprintf("COMMENT ON %s", object_type_name(c->objtype));
    set_kind(s, kind);
    free(kind);
    char *name = NULL;
    if (object_is_relation(c->objtype))
        name = parsetree_list_name(c->object, 0);
    else if (c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN)
        name = parsetree_list_name(c->object, 1);
    else if (c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT ||
             c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER ||
             c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_RULE ||
             c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_POLICY) {
        /* an object of a table: the table is only opened, ACCESS SHARE
         * (objectaddress.c, get_object_address_relobject) */
        name = parsetree_list_name(c->object, 1);
        if (name)
            add_lock_owned(s, name, LOCK_ACCESS_SHARE, s->kind, false, false);
        return;
    }
    if (name)
        add_lock_owned(s, name, LOCK_SHARE_UPDATE_EXCLUSIVE, s->kind, false,
                       c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX);
}

static void classify_dml(sql_statement *s, const Node *n)
{
    const PgQuery__RangeVar *target = NULL;
    bool where = true;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        set_kind(s, "INSERT");
        target = n->insert_stmt->relation;
        break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        set_kind(s, "UPDATE");
        target = n->update_stmt->relation;
        where = n->update_stmt->where_clause != NULL;
        break;
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        set_kind(s, "DELETE");
        target = n->delete_stmt->relation;
        where = n->delete_stmt->where_clause != NULL;
        break;
    case PG_QUERY__NODE__NODE_MERGE_STMT:
        set_kind(s, "MERGE");
        target = n->merge_stmt->relation;
        break;
    default:
        break;
    }
    if (!where)
        s->destructive = true;
    add_lock(s, target, LOCK_ROW_EXCLUSIVE, s->kind);
    add_reads(s, &n->base);
}

static void classify_select(sql_statement *s, const Node *n)
{
    const PgQuery__IntoClause *into = n->select_stmt->into_clause;
    set_kind(s, into ? "SELECT INTO" : "SELECT");
    if (into && into->rel) /* SELECT INTO creates its table, as CREATE TABLE AS */
        add_lock_owned(s, parsetree_range_var_name(into->rel), LOCK_ACCESS_EXCLUSIVE, "created", true, false);
    add_reads(s, &n->base);
}

static void classify_lock(sql_statement *s, const PgQuery__LockStmt *l)
{
    lock_mode mode = l->mode >= LOCK_ACCESS_SHARE && l->mode <= LOCK_ACCESS_EXCLUSIVE
                         ? (lock_mode)l->mode
                         : LOCK_ACCESS_EXCLUSIVE;
    set_kind(s, "LOCK TABLE");
    for (size_t i = 0; i < l->n_relations; i++)
        if (l->relations[i] && l->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
            add_lock(s, l->relations[i]->range_var, mode, "LOCK TABLE");
}

/* The tables of CREATE/ALTER PUBLICATION ... TABLE: SHARE UPDATE EXCLUSIVE
 * (publicationcmds.c, OpenTableList). */
static void add_publication_tables(sql_statement *s, Node *const *objects, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Node *o = objects[i];
        if (o && o->node_case == PG_QUERY__NODE__NODE_PUBLICATION_OBJ_SPEC &&
            o->publication_obj_spec->pubtable)
            add_lock(s, o->publication_obj_spec->pubtable->relation, LOCK_SHARE_UPDATE_EXCLUSIVE,
                     s->kind);
    }
}

static void classify_transaction(sql_statement *s, const PgQuery__TransactionStmt *t)
{
    static const char *const names[] = {
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN] = "BEGIN",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START] = "START TRANSACTION",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT] = "COMMIT",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK] = "ROLLBACK",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT] = "SAVEPOINT",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE] = "RELEASE SAVEPOINT",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE] = "PREPARE TRANSACTION",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED] = "COMMIT PREPARED",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED] = "ROLLBACK PREPARED",
    };
    unsigned k = (unsigned)t->kind;
    set_kind(s, k < sizeof names / sizeof names[0] && names[k] ? names[k] : "TRANSACTION");
    s->transaction_control = true;
    if (t->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED ||
        t->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED)
        s->transactional = false;
}

/* "create_function_stmt" -> "CREATE FUNCTION": the name protobuf gives
 * every node type, for statements without a classifier of their own. */
static char *kind_from_node_name(const Node *n)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, n->node_case);
    if (!f)
        return xstrdup("statement");
    strbuf sb = {0};
    const char *name = f->name;
    size_t len = strlen(name);
    if (str_has_suffix(name, "_stmt"))
        len -= 5;
    for (size_t i = 0; i < len; i++)
        strbuf_append_char(&sb, name[i] == '_' ? ' ' : (char)toupper((unsigned char)name[i]));
    return strbuf_detach(&sb);
}

/* Statements that lock no named relation: a kind, and whether they can run
 * in a transaction block or destroy data. */
static void classify_simple(sql_statement *s, const Node *n)
{
    static const struct {
        PgQuery__Node__NodeCase node;
        const char *kind;
        bool transactional, destructive;
    } simple[] = {
        {PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT, "SHOW", true, false},
        {PG_QUERY__NODE__NODE_CREATEDB_STMT, "CREATE DATABASE", false, false},
        {PG_QUERY__NODE__NODE_DROPDB_STMT, "DROP DATABASE", false, true},
        {PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT, "ALTER SYSTEM", false, false},
        {PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT, "CREATE TABLESPACE", false, false},
        {PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT, "DROP TABLESPACE", false, false},
        /* create_slot defaults to true; dropping one drops the remote slot */
        {PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT, "CREATE SUBSCRIPTION", false, false},
        {PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT, "DROP SUBSCRIPTION", false, false},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (simple[i].node == n->node_case) {
            set_kind(s, simple[i].kind);
            s->transactional = simple[i].transactional;
            s->destructive = simple[i].destructive;
            return;
        }
    char *kind = kind_from_node_name(n);
    set_kind(s, kind);
    free(kind);
}

static void classify(sql_statement *s, const Node *n)
{
    s->transactional = true;
    s->tree = n;
    if (!n)
        return;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        classify_create(s, n->create_stmt);
        break;
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        classify_alter_table(s, n->alter_table_stmt);
        break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        classify_index(s, n->index_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        classify_drop(s, n->drop_stmt);
        break;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        set_kind(s, "TRUNCATE");
        s->destructive = true;
        for (size_t i = 0; i < n->truncate_stmt->n_relations; i++) {
            const Node *r = n->truncate_stmt->relations[i];
            if (r && r->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
                add_lock(s, r->range_var, LOCK_ACCESS_EXCLUSIVE, "TRUNCATE");
        }
        break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        classify_vacuum(s, n->vacuum_stmt);
        break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        set_kind(s, "CLUSTER");
        if (n->cluster_stmt->relation)
            add_lock(s, n->cluster_stmt->relation, LOCK_ACCESS_EXCLUSIVE, "CLUSTER");
        else
            s->transactional = false; /* every clustered table */
        break;
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT: {
        bool concurrent = n->refresh_mat_view_stmt->concurrent;
        set_kind(s, concurrent ? "REFRESH MATERIALIZED VIEW CONCURRENTLY" : "REFRESH MATERIALIZED VIEW");
        add_lock(s, n->refresh_mat_view_stmt->relation,
                 concurrent ? LOCK_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE, s->kind);
        break;
    }
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        classify_reindex(s, n->reindex_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
        set_kind(s, "CREATE TRIGGER");
        add_lock(s, n->create_trig_stmt->relation, LOCK_SHARE_ROW_EXCLUSIVE, "CREATE TRIGGER");
        break;
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT: /* policy.c: AccessExclusiveLock */
        set_kind(s, "CREATE POLICY");
        add_lock(s, n->create_policy_stmt->table, LOCK_ACCESS_EXCLUSIVE, "CREATE POLICY");
        break;
    case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
        set_kind(s, "ALTER POLICY");
        add_lock(s, n->alter_policy_stmt->table, LOCK_ACCESS_EXCLUSIVE, "ALTER POLICY");
        break;
    case PG_QUERY__NODE__NODE_RULE_STMT: /* rewriteDefine.c: AccessExclusiveLock */
        set_kind(s, n->rule_stmt->replace ? "CREATE OR REPLACE RULE" : "CREATE RULE");
        add_lock(s, n->rule_stmt->relation, LOCK_ACCESS_EXCLUSIVE, "CREATE RULE");
        break;
    case PG_QUERY__NODE__NODE_CREATE_STATS_STMT: /* statscmds.c: ShareUpdateExclusiveLock */
        set_kind(s, "CREATE STATISTICS");
        for (size_t i = 0; i < n->create_stats_stmt->n_relations; i++) {
            const Node *r = n->create_stats_stmt->relations[i];
            if (r && r->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
                add_lock(s, r->range_var, LOCK_SHARE_UPDATE_EXCLUSIVE, "CREATE STATISTICS");
        }
        break;
    case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
        set_kind(s, "CREATE PUBLICATION");
        add_publication_tables(s, n->create_publication_stmt->pubobjects,
                               n->create_publication_stmt->n_pubobjects);
        break;
    case PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT:
        set_kind(s, "ALTER PUBLICATION");
        add_publication_tables(s, n->alter_publication_stmt->pubobjects,
                               n->alter_publication_stmt->n_pubobjects);
        break;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        classify_rename(s, n->rename_stmt);
        break;
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
        set_kind(s, "ALTER ... SET SCHEMA");
        add_lock(s, n->alter_object_schema_stmt->relation, LOCK_ACCESS_EXCLUSIVE, "SET SCHEMA");
        break;
    case PG_QUERY__NODE__NODE_COMMENT_STMT:
        classify_comment(s, n->comment_stmt);
        break;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
    case PG_QUERY__NODE__NODE_DELETE_STMT:
    case PG_QUERY__NODE__NODE_MERGE_STMT:
        classify_dml(s, n);
        break;
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        classify_select(s, n);
        break;
    case PG_QUERY__NODE__NODE_LOCK_STMT:
        classify_lock(s, n->lock_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
        const PgQuery__CreateTableAsStmt *c = n->create_table_as_stmt;
        set_kind(s, c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ? "CREATE MATERIALIZED VIEW"
                                                                       : "CREATE TABLE AS");
        if (c->into && c->into->rel)
            add_lock_owned(s, parsetree_range_var_name(c->into->rel), LOCK_ACCESS_EXCLUSIVE, "created", true,
                           false);
        add_reads(s, c->query ? &c->query->base : NULL);
        break;
    }
    case PG_QUERY__NODE__NODE_VIEW_STMT: {
        const PgQuery__ViewStmt *v = n->view_stmt;
        set_kind(s, v->replace ? "CREATE OR REPLACE VIEW" : "CREATE VIEW");
        if (v->view)
            add_lock_owned(s, parsetree_range_var_name(v->view), LOCK_ACCESS_EXCLUSIVE,
                           v->replace ? "CREATE OR REPLACE VIEW" : "created", !v->replace, false);
        add_reads(s, v->query ? &v->query->base : NULL);
        break;
    }
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        set_kind(s, "CREATE SEQUENCE");
        if (n->create_seq_stmt->sequence)
            add_lock_owned(s, parsetree_range_var_name(n->create_seq_stmt->sequence), LOCK_ACCESS_EXCLUSIVE,
                           "created", true, false);
        break;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        set_kind(s, n->variable_set_stmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET ||
                            n->variable_set_stmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL
                        ? "RESET"
                        : "SET");
        break;
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        classify_transaction(s, n->transaction_stmt);
        break;
    case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
        set_kind(s, "ALTER DATABASE");
        /* Only SET TABLESPACE moves files and refuses a transaction block. */
        s->transactional = !def_elem_named(n->alter_database_stmt->options,
                                           n->alter_database_stmt->n_options, "tablespace");
        break;
    default:
        classify_simple(s, n);
        break;
    }
    if (!s->kind)
        set_kind(s, "statement");
}

/* ------------------------------------------------------------ scripts */

static sql_statement *new_statement(sql_script *sc, size_t start, size_t end)
{
    sc->statements = array_grow(sc->statements, &sc->cap, sc->count + 1, sizeof *sc->statements);
    sql_statement *s = &sc->statements[sc->count++];
    memset(s, 0, sizeof *s);
    start = skip_blanks_and_comments(sc->text, start, end);
    end = trim_end(sc->text, start, end);
    s->offset = start;
    s->length = end - start;
    s->text = xstrndup(sc->text + start, s->length);
    script_position(sc, start, &s->line, &s->column);
    s->transactional = true;
    return s;
}

static void statement_free(sql_statement *s)
{
    for (size_t k = 0; k < s->nlocks; k++)
        free(s->locks[k].relation);
    free(s->locks);
    free(s->text);
    free(s->kind);
    free(s->detail);
    free(s->error);
    memset(s, 0, sizeof *s);
}

/* Parse trees are unpacked into an arena owned by the script: a tree is
 * tens of thousands of small messages, and freeing them one by one cost
 * as much as unpacking them. The arena goes in one piece with the script. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

static void *arena_alloc(void *data, size_t size)
{
    arena_block **head = data;
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    arena_block *b = *head;
    if (!b || b->size - b->used < size) {
        size_t want = size > (1u << 20) ? size : (1u << 20);
        b = xmalloc(sizeof *b + want);
        b->next = *head;
        b->used = 0;
        b->size = want;
        *head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

static void arena_free(void *data, void *pointer)
{
    (void)data;
    (void)pointer; /* everything goes with the arena */
}

static PgQuery__ParseResult *unpack_tree(sql_script *sc, const PgQueryProtobuf *tree)
{
    ProtobufCAllocator allocator = {arena_alloc, arena_free, &sc->arena};
    return pg_query__parse_result__unpack(&allocator, tree->len, (const uint8_t *)tree->data);
}

/* Statements of a script the grammar accepts as a whole. */
static bool split_parsed(sql_script *sc, const PgQuery__ParseResult *pr)
{
    for (size_t i = 0; i < pr->n_stmts; i++) {
        const PgQuery__RawStmt *raw = pr->stmts[i];
        size_t start = (size_t)raw->stmt_location;
        size_t end = raw->stmt_len ? start + (size_t)raw->stmt_len : sc->length;
        if (start > sc->length || end > sc->length)
            return false;
        sql_statement *s = new_statement(sc, start, end);
        s->analysed = true;
        classify(s, raw->stmt);
    }
    return true;
}

/* The script as a whole does not parse: find the statement boundaries with
 * the scanner (it knows quotes, dollar quotes and comments, not the
 * grammar) and parse each piece on its own, so that the good statements
 * are still analysed and the bad one is reported at its own position.
 * libpg_query's own scanner split is not used: it drops statements that
 * start with an unknown word, which is exactly the typo to report. */
static void parse_piece(sql_script *sc, size_t start, size_t end)
{
    if (skip_blanks_and_comments(sc->text, start, end) >= end)
        return;
    char *piece = xstrndup(sc->text + start, end - start);
    sql_statement *s = new_statement(sc, start, end);
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(piece);
    PgQuery__ParseResult *pr = NULL;
    if (!r.error)
        pr = unpack_tree(sc, &r.parse_tree);
    if (pr && pr->n_stmts >= 1) {
        s->analysed = true;
        classify(s, pr->stmts[0]->stmt);
    } else {
        s->error = xstrdup(r.error ? r.error->message : "the parse tree could not be read");
        size_t at = r.error && r.error->cursorpos > 0 ? char_to_byte(sc->text, start, r.error->cursorpos)
                                                     : s->offset;
        script_position(sc, at, &s->error_line, &s->error_column);
    }
    pg_query_free_protobuf_parse_result(r);
    free(piece);
}

static void split_scanned(sql_script *sc)
{
    PgQueryScanResult r = pg_query_scan(sc->text);
    PgQuery__ScanResult *scan = NULL;
    if (!r.error)
        scan = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    if (!scan) {
        /* Not even the scanner gets through (an unterminated quote or
         * comment): one statement, reported where the scanner stopped. */
        if (skip_blanks_and_comments(sc->text, 0, sc->length) < sc->length) {
            sql_statement *s = new_statement(sc, 0, sc->length);
            s->error = xstrdup(r.error ? r.error->message : "cannot split this script");
            size_t at = r.error && r.error->cursorpos > 0 ? char_to_byte(sc->text, 0, r.error->cursorpos)
                                                         : s->offset;
            script_position(sc, at, &s->error_line, &s->error_column);
        }
        pg_query_free_scan_result(r);
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < scan->n_tokens; i++) {
        const PgQuery__ScanToken *t = scan->tokens[i];
        if (t->token != PG_QUERY__TOKEN__ASCII_59 || (size_t)t->start > sc->length)
            continue;
        parse_piece(sc, start, (size_t)t->start);
        start = (size_t)t->start + 1;
    }
    if (start < sc->length)
        parse_piece(sc, start, sc->length);
    pg_query__scan_result__free_unpacked(scan, NULL);
    pg_query_free_scan_result(r);
}

static void parse_postgres(sql_script *sc)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sc->text);
    PgQuery__ParseResult *pr = NULL;
    if (!r.error)
        pr = unpack_tree(sc, &r.parse_tree);
    pg_query_free_protobuf_parse_result(r);
    if (pr) {
        if (split_parsed(sc, pr))
            return;
        for (size_t i = 0; i < sc->count; i++)
            statement_free(&sc->statements[i]);
        sc->count = 0;
    }
    split_scanned(sc);
}

/* ------------------------------------------------------------ SQLite */

/* The upper-cased words of a SQLite statement, skipping comments and
 * quoted text, for its kind and for "has a WHERE clause". */
static void sqlite_words(const char *p, const char *end, char words[][16], size_t max, size_t *n,
                         bool *has_where)
{
    *n = 0;
    *has_where = false;
    while (p < end) {
        if (isspace((unsigned char)*p)) {
            p++;
        } else if (*p == '-' && p + 1 < end && p[1] == '-') {
            while (p < end && *p != '\n')
                p++;
        } else if (*p == '/' && p + 1 < end && p[1] == '*') {
            p += 2;
            while (p + 1 < end && !(*p == '*' && p[1] == '/'))
                p++;
            p += 2;
        } else if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
            char close = *p == '[' ? ']' : *p;
            p++;
            while (p < end && *p != close)
                p++;
            p++;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            char word[16];
            size_t len = 0;
            while (p < end && (isalnum((unsigned char)*p) || *p == '_')) {
                if (len < sizeof word - 1)
                    word[len++] = (char)toupper((unsigned char)*p);
                p++;
            }
            word[len] = '\0';
            if (strcmp(word, "WHERE") == 0)
                *has_where = true;
            if (*n < max)
                memcpy(words[(*n)++], word, len + 1);
        } else {
            p++;
        }
    }
}

static void classify_sqlite(sql_statement *s)
{
    char words[6][16];
    size_t n;
    bool has_where;
    sqlite_words(s->text, s->text + s->length, words, 6, &n, &has_where);
    strbuf kind = {0};
    /* CREATE [UNIQUE|TEMP] TABLE/INDEX/VIEW/TRIGGER, ALTER TABLE, DROP X, ... */
    size_t take = n == 0 ? 0 : (strcmp(words[0], "CREATE") == 0 || strcmp(words[0], "DROP") == 0 ||
                                strcmp(words[0], "ALTER") == 0)
                                   ? 2
                                   : 1;
    if (take == 2 && n > 2 &&
        (strcmp(words[1], "UNIQUE") == 0 || strcmp(words[1], "TEMP") == 0 ||
         strcmp(words[1], "TEMPORARY") == 0 || strcmp(words[1], "VIRTUAL") == 0))
        take = 3;
    for (size_t i = 0; i < take && i < n; i++) {
        if (i)
            strbuf_append_char(&kind, ' ');
        strbuf_append(&kind, words[i]);
    }
    s->kind = kind.len ? strbuf_detach(&kind) : xstrdup("statement");
    strbuf_free(&kind);
    if (strcmp(s->kind, "ALTER TABLE") == 0) {
        for (size_t i = 2; i + 1 < n; i++) {
            if (strcmp(words[i], "RENAME") == 0) {
                s->detail = xstrdup(strcmp(words[i + 1], "TO") == 0 ? "RENAME TO" : "RENAME COLUMN");
                break;
            }
            if (strcmp(words[i], "ADD") == 0 || strcmp(words[i], "DROP") == 0) {
                s->detail = xasprintf("%s COLUMN", words[i]);
                s->destructive = strcmp(words[i], "DROP") == 0;
                break;
            }
        }
    }
    if (str_has_prefix(s->kind, "DROP TABLE") ||
        ((strcmp(s->kind, "DELETE") == 0 || strcmp(s->kind, "UPDATE") == 0) && !has_where))
        s->destructive = true;
    s->transaction_control = strcmp(s->kind, "BEGIN") == 0 || strcmp(s->kind, "COMMIT") == 0 ||
                             strcmp(s->kind, "END") == 0 || strcmp(s->kind, "ROLLBACK") == 0 ||
                             strcmp(s->kind, "SAVEPOINT") == 0 || strcmp(s->kind, "RELEASE") == 0;
    s->transactional = strcmp(s->kind, "VACUUM") != 0;
}

/* Much SQLite DDL is also valid PostgreSQL: when the PostgreSQL grammar
 * takes the statement, its parse tree gives the kind and feeds the lint
 * rules that apply to SQLite; the locks do not (SQLite locks the whole
 * file). Otherwise the statement is classified from its keywords, and
 * that is not an error: it is SQLite, not PostgreSQL. */
static void classify_sqlite_statement(sql_script *sc, sql_statement *s)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(s->text);
    PgQuery__ParseResult *pr = NULL;
    if (!r.error)
        pr = unpack_tree(sc, &r.parse_tree);
    pg_query_free_protobuf_parse_result(r);
    if (pr && pr->n_stmts == 1) {
        s->analysed = true;
        classify(s, pr->stmts[0]->stmt);
        for (size_t k = 0; k < s->nlocks; k++)
            free(s->locks[k].relation);
        s->nlocks = 0;
        return;
    }
    classify_sqlite(s);
}

static void parse_sqlite(sql_script *sc)
{
    size_t start = 0;
    char *buf = xmalloc(sc->length + 1);
    for (size_t i = 0; i <= sc->length; i++) {
        bool at_end = i == sc->length;
        if (!at_end && sc->text[i] != ';')
            continue;
        /* sqlite3_complete knows quotes, comments and CREATE TRIGGER
         * bodies: only a ';' that ends a statement completes one. */
        size_t n = (at_end ? i : i + 1) - start;
        memcpy(buf, sc->text + start, n);
        buf[n] = '\0';
        if (!at_end && !sqlite3_complete(buf))
            continue;
        if (skip_blanks_and_comments(sc->text, start, i) < i)
            classify_sqlite_statement(sc, new_statement(sc, start, i));
        start = i + 1;
    }
    free(buf);
}

sw_status sql_script_parse(sql_script *out, const char *path, const char *text, size_t length,
                           sql_dialect dialect, sw_error *err)
{
    memset(out, 0, sizeof *out);
    if (memchr(text, '\0', length))
        return sw_error_set(err, SW_USAGE, "%s: contains a NUL byte; not an SQL script", path);
    out->path = xstrdup(path);
    out->text = xstrndup(text, length);
    out->length = length;
    out->dialect = dialect;
    if (dialect == SQL_SQLITE)
        parse_sqlite(out);
    else
        parse_postgres(out);
    return SW_OK;
}

size_t sql_script_errors(const sql_script *script)
{
    size_t n = 0;
    for (size_t i = 0; i < script->count; i++)
        n += script->statements[i].error != NULL;
    return n;
}

void sql_script_free(sql_script *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->count; i++)
        statement_free(&sc->statements[i]);
    free(sc->statements);
    for (arena_block *b = sc->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(sc->path);
    free(sc->text);
    memset(sc, 0, sizeof *sc);
}
