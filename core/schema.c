/* Schema snapshots (core/schema.h) of PostgreSQL: one set-based catalog
 * query per kind of object, the rows assembled here into blocks.
 *
 * The names and definitions come from the server's own deparsers
 * (pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
 * pg_get_functiondef, pg_get_triggerdef, pg_get_expr, format_type). Their
 * output depends on search_path (a name is qualified unless visible) and,
 * for constants, on DateStyle, IntervalStyle, extra_float_digits and
 * bytea_output, so while the queries run these are pinned (search_path empty: everything outside pg_catalog
 * qualified) and afterwards put back as they were. Sub-objects are sorted
 * by name in the queries (COLLATE "C", bytewise like strcmp), never by
 * OID; columns keep their real order (attnum), put in it here. */
#include "config.h"

#include "core/schema_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schemas a snapshot covers: not the system's, not temporary ones
 * (PostgreSQL reserves names beginning with pg_). */
#define NSP_OK(n) n ".nspname !~ '^pg_' AND " n ".nspname <> 'information_schema'"

/* An object (of catalog `cat`, OID `oid`) that belongs to an extension,
 * or that PostgreSQL made along with another one (deptype 'i': the array
 * type of a type, the constructors of a range type). */
#define IMPLICIT(cat, oid)                                                                     \
    "EXISTS (SELECT FROM pg_depend x WHERE x.classid = '" cat "'::regclass AND x.objid = " oid \
    " AND x.deptype IN ('e', 'i'))"

/* A relation `c` (of namespace `n`) the snapshot covers: in such a schema,
 * not stepwise's history or events table ($1, $2), nor anything that
 * depends on those (their sequences), nor an extension's. */
#define REL_OK                                                                                 \
    NSP_OK("n") " AND c.oid NOT IN ($1::oid, $2::oid) AND NOT EXISTS (SELECT FROM pg_depend x" \
                " WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND (x.deptype = "  \
                "'e' OR (x.refclassid = 'pg_class'::regclass AND x.refobjid IN ($1::oid, "       \
                "$2::oid))))"

/* The relations (not sequences) of the schemas covered, for the queries
 * of their columns, constraints, indexes, triggers and policies. REL_OK is
 * tested once, by the relations' own query: rows of a relation that has no
 * block from it (an extension's, stepwise's) are dropped here in C, which
 * costs less than testing REL_OK again in every query. */
#define RELATIONS_IN_SCHEMAS                                                                   \
    "(SELECT c.oid, c.relkind, c.relowner FROM pg_class c"                                     \
    " JOIN pg_namespace n ON n.oid = c.relnamespace"                                           \
    " WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND " NSP_OK("n") ")"

#define COMMENT_JOIN(cat, oid, sub)                                                            \
    " LEFT JOIN pg_description d ON d.classoid = '" cat "'::regclass AND d.objoid = " oid      \
    " AND d.objsubid = " sub " "

#define OWNER(col) "quote_ident(pg_get_userbyid(" col "))"

/* A collation's name, qualified unless it is one of pg_catalog's. */
#define COLLATION(oid)                                                                         \
    "(SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN '' ELSE quote_ident(cn.nspname) || '.' " \
    "END || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = "   \
    "co.collnamespace WHERE co.oid = " oid ")"

/* The grants of an ACL as lines "grant P, Q[ (column)] to ROLE[ with grant
 * option][ granted by R]", sorted; NULL for a NULL (default) ACL, without
 * running the subquery (most ACLs are NULL). `column` is SQL text
 * appended to the privileges ('' for none). */
static char *acl_sql(const char *acl, const char *owner, const char *column)
{
    return xasprintf(
        "CASE WHEN %s IS NOT NULL THEN"
        " (SELECT string_agg(g.line, E'\\n' ORDER BY g.line COLLATE \"C\") FROM (SELECT 'grant ' "
        "|| string_agg(x.privilege_type, ', ' ORDER BY x.privilege_type COLLATE \"C\") || %s || "
        "' to ' || CASE x.grantee WHEN 0 THEN 'PUBLIC' ELSE "
        "quote_ident(pg_get_userbyid(x.grantee)) END || CASE WHEN x.is_grantable THEN ' with "
        "grant option' ELSE '' END || CASE WHEN x.grantor <> %s THEN ' granted by ' || "
        "quote_ident(pg_get_userbyid(x.grantor)) ELSE '' END AS line FROM aclexplode(%s) x "
        "GROUP BY x.grantee, x.grantor, x.is_grantable) g) END",
        acl, column, owner, acl);
}

typedef struct pg_snap {
    db *d;
    int version;              /* server_version_num */
    char excluded[2][24];     /* OIDs of the history and events tables, "0" if absent */
    const char *params[2];
    schema_blocks blocks;     /* keys "c<pg_class oid>", "t<pg_type oid>" */
    schema_snapshot *out;
} pg_snap;

typedef void (*row_fn)(pg_snap *p, const char *const *v);

static bool is_true(const char *v)
{
    return v && v[0] == 't';
}

static void add_comment(strbuf *sb, const char *label, const char *name, const char *comment)
{
    if (!comment)
        return;
    char *quoted = text_quote(comment, '\'');
    if (name)
        schema_linef(sb, "%s %s %s", label, name, quoted);
    else
        schema_linef(sb, "%s %s", label, quoted);
    free(quoted);
}

/* A row and where it goes: (relation OID, position) from its last two
 * columns. */
typedef struct placed_row {
    unsigned long relation;
    long position;
    const char *const *v;
} placed_row;

static int compare_placed(const void *a, const void *b)
{
    const placed_row *x = a, *y = b;
    if (x->relation != y->relation)
        return x->relation < y->relation ? -1 : 1;
    return x->position < y->position ? -1 : x->position > y->position;
}

/* Hand the rows to `fn` in the order of their last two columns. */
static void each_row_placed(pg_snap *p, const db_result *r, row_fn fn)
{
    size_t n = (size_t)r->nrows, ncols = (size_t)r->ncols;
    placed_row *rows = xcalloc(n ? n : 1, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        const char *const *v = (const char *const *)&r->values[i * ncols];
        rows[i] = (placed_row){strtoul(v[ncols - 2], NULL, 10), strtol(v[ncols - 1], NULL, 10), v};
    }
    qsort(rows, n, sizeof *rows, compare_placed);
    for (size_t i = 0; i < n; i++)
        fn(p, rows[i].v);
    free(rows);
}

/* Run one query ($1, $2: the excluded relations when nparams is 2) and
 * hand each row to `fn`, in the order the server sent them, or when
 * `placed` in the order of their last two columns. */
static sw_status run(pg_snap *p, const char *sql, int nparams, bool placed, row_fn fn,
                     sw_error *err)
{
    db_result *r = NULL;
    sw_status st = db_query(p->d, sql, nparams, p->params, &r, err);
    if (st != SW_OK)
        return st;
    if (placed)
        each_row_placed(p, r, fn);
    else
        for (int i = 0; i < r->nrows; i++)
            fn(p, (const char *const *)&r->values[(size_t)i * (size_t)r->ncols]);
    db_result_free(r);
    return SW_OK;
}

/* ------------------------------------------------------------ extensions, schemas */

static const char extensions_sql[] =
    "SELECT quote_ident(e.extname), e.extversion, quote_ident(n.nspname), d.description"
    " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    COMMENT_JOIN("pg_extension", "e.oid", "0");

static void on_extension(pg_snap *p, const char *const *v)
{
    strbuf b = {0};
    schema_linef(&b, "version %s", v[1]);
    schema_linef(&b, "schema %s", v[2]);
    add_comment(&b, "comment", NULL, v[3]);
    schema_snapshot_add(p->out, "extension", v[0], strbuf_str(&b));
    strbuf_free(&b);
}

static char *schemas_sql(void)
{
    char *acl = acl_sql("n.nspacl", "n.nspowner", "''");
    char *sql = xasprintf("SELECT quote_ident(n.nspname), " OWNER("n.nspowner") ", %s,"
                          "  d.description"
                          " FROM pg_namespace n" COMMENT_JOIN("pg_namespace", "n.oid", "0")
                          " WHERE " NSP_OK("n") " AND NOT " IMPLICIT("pg_namespace", "n.oid"),
                          acl);
    free(acl);
    return sql;
}

static void on_schema(pg_snap *p, const char *const *v)
{
    strbuf b = {0};
    schema_linef(&b, "owner %s", v[1]);
    add_comment(&b, "comment", NULL, v[3]);
    schema_lines(&b, v[2]);
    schema_snapshot_add(p->out, "schema", v[0], strbuf_str(&b));
    strbuf_free(&b);
}

/* ------------------------------------------------------------ types */

/* Enums, composites, domains, ranges and base types; not the array and
 * multirange types PostgreSQL makes by itself (IMPLICIT), nor the row
 * types of relations. */
static char *types_sql(void)
{
    char *acl = acl_sql("t.typacl", "t.typowner", "''");
    char *sql = xasprintf(
        "SELECT 't' || t.oid, CASE WHEN t.typtype = 'c' THEN 'c' || t.typrelid END,"
        "  quote_ident(n.nspname) || '.' || quote_ident(t.typname), t.typtype,"
        "  " OWNER("t.typowner") ", %s, d.description,"
        "  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,"
        "  t.typnotnull, pg_get_expr(t.typdefaultbin, 0),"
        "  CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation"
        "    THEN " COLLATION("t.typcollation") " END,"
        "  format_type(r.rngsubtype, NULL),"
        "  CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END,"
        "  CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::regproc::text END,"
        "  CASE WHEN t.typtype = 'b' THEN t.typinput::regproc::text END,"
        "  CASE WHEN t.typtype = 'b' THEN t.typoutput::regproc::text END"
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
        " LEFT JOIN pg_type bt ON bt.oid = t.typbasetype"
        " LEFT JOIN pg_range r ON r.rngtypid = t.oid"
        " LEFT JOIN pg_class tc ON tc.oid = t.typrelid"
        COMMENT_JOIN("pg_type", "t.oid", "0")
        " WHERE " NSP_OK("n") " AND NOT " IMPLICIT("pg_type", "t.oid")
        "  AND (t.typtype IN ('e', 'd', 'r', 'b') OR (t.typtype = 'c' AND tc.relkind = 'c'))",
        acl);
    free(acl);
    return sql;
}

/* Columns of on_type's rows. */
enum {
    T_KEY, T_RELATION_KEY, T_NAME, T_TYPTYPE, T_OWNER, T_ACL, T_COMMENT, T_BASE, T_NOTNULL,
    T_DEFAULT, T_COLLATION, T_SUBTYPE, T_SUBTYPE_DIFF, T_CANONICAL, T_INPUT, T_OUTPUT,
};

static void type_head(strbuf *b, const char *const *v)
{
    switch (v[T_TYPTYPE][0]) {
    case 'e':
        schema_line(b, "as enum");
        break;
    case 'c':
        schema_line(b, "as composite");
        break;
    case 'r':
        schema_line(b, "as range");
        schema_linef(b, "subtype %s", v[T_SUBTYPE]);
        if (v[T_SUBTYPE_DIFF])
            schema_linef(b, "subtype_diff %s", v[T_SUBTYPE_DIFF]);
        if (v[T_CANONICAL])
            schema_linef(b, "canonical %s", v[T_CANONICAL]);
        break;
    case 'd':
        schema_linef(b, "as %s", v[T_BASE]);
        if (v[T_COLLATION])
            schema_linef(b, "collate %s", v[T_COLLATION]);
        if (is_true(v[T_NOTNULL]))
            schema_line(b, "not null");
        if (v[T_DEFAULT])
            schema_linef(b, "default %s", v[T_DEFAULT]);
        break;
    default:
        schema_line(b, "as base");
        schema_linef(b, "input %s", v[T_INPUT] ? v[T_INPUT] : "-");
        schema_linef(b, "output %s", v[T_OUTPUT] ? v[T_OUTPUT] : "-");
        break;
    }
}

static void on_type(pg_snap *p, const char *const *v)
{
    const char *kind = v[T_TYPTYPE][0] == 'd' ? "domain" : "type";
    schema_block *b = schema_block_new(&p->blocks, v[T_KEY], kind, v[T_NAME]);
    if (v[T_RELATION_KEY]) /* a composite's attributes come by its relation */
        strmap_put(&p->blocks.by_key, v[T_RELATION_KEY], b);
    schema_linef(&b->part[PART_HEAD], "owner %s", v[T_OWNER]);
    type_head(&b->part[PART_HEAD], v);
    add_comment(&b->part[PART_HEAD], "comment", NULL, v[T_COMMENT]);
    schema_lines(&b->part[PART_GRANTS], v[T_ACL]);
}

static const char enum_labels_sql[] =
    "SELECT 't' || e.enumtypid, quote_literal(e.enumlabel) FROM pg_enum e"
    " JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace"
    " WHERE " NSP_OK("n") " ORDER BY e.enumtypid, e.enumsortorder";

static void on_enum_label(pg_snap *p, const char *const *v)
{
    schema_block *b = schema_block_find(&p->blocks, v[0]);
    if (b)
        schema_linef(&b->part[PART_MEMBERS], "label %s", v[1]);
}

/* ------------------------------------------------------------ relations */

static char *relations_sql(void)
{
    char *acl = acl_sql("c.relacl", "c.relowner", "''");
    char *sql = xasprintf(
        "SELECT 'c' || c.oid, c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname),"
        "  " OWNER("c.relowner") ", %s, d.description,"
        "  c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,"
        "  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,"
        "  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,"
        "  (SELECT string_agg(quote_ident(pn.nspname) || '.' || quote_ident(pc.relname), ', '"
        "      ORDER BY i.inhseqno)"
        "    FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent"
        "    JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid),"
        "  nullif(array_to_string(ARRAY(SELECT o FROM unnest(c.reloptions) o"
        "    ORDER BY o COLLATE \"C\"), ', '), ''),"
        "  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, c.relispopulated,"
        "  format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,"
        "  s.seqcache, s.seqcycle,"
        "  (SELECT CASE o.deptype WHEN 'i' THEN 'identity of ' ELSE 'owned by ' END"
        "      || quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) || '.'"
        "      || quote_ident(a.attname)"
        "    FROM pg_depend o JOIN pg_class tc ON tc.oid = o.refobjid"
        "    JOIN pg_namespace tn ON tn.oid = tc.relnamespace"
        "    JOIN pg_attribute a ON a.attrelid = o.refobjid AND a.attnum = o.refobjsubid"
        "    WHERE c.relkind = 'S' AND o.classid = 'pg_class'::regclass AND o.objid = c.oid"
        "      AND o.refclassid = 'pg_class'::regclass AND o.deptype IN ('a', 'i')"
        "      AND o.refobjsubid > 0 LIMIT 1),"
        "  quote_ident(fs.srvname), nullif(array_to_string(ARRAY(SELECT o"
        "    FROM unnest(ft.ftoptions) o ORDER BY o COLLATE \"C\"), ', '), '')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_sequence s ON s.seqrelid = c.oid"
        " LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid"
        " LEFT JOIN pg_foreign_server fs ON fs.oid = ft.ftserver"
        COMMENT_JOIN("pg_class", "c.oid", "0")
        " WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND " REL_OK,
        acl);
    free(acl);
    return sql;
}

/* Columns of on_relation's rows. */
enum {
    R_KEY, R_KIND, R_NAME, R_OWNER, R_ACL, R_COMMENT, R_PERSISTENCE, R_RLS, R_FORCE_RLS,
    R_BOUND, R_PARTKEY, R_PARENTS, R_OPTIONS, R_VIEWDEF, R_POPULATED, R_SEQTYPE, R_START,
    R_INCREMENT, R_MIN, R_MAX, R_CACHE, R_CYCLE, R_OWNED_BY, R_SERVER, R_FTOPTIONS,
};

static void table_head(strbuf *b, const char *const *v)
{
    if (v[R_BOUND])
        schema_linef(b, "partition of %s %s", v[R_PARENTS] ? v[R_PARENTS] : "?", v[R_BOUND]);
    else if (v[R_PARENTS])
        schema_linef(b, "inherits %s", v[R_PARENTS]);
    if (v[R_PARTKEY])
        schema_linef(b, "partition by %s", v[R_PARTKEY]);
    if (v[R_PERSISTENCE][0] == 'u')
        schema_line(b, "unlogged");
    if (v[R_SERVER])
        schema_linef(b, "server %s", v[R_SERVER]);
    if (v[R_FTOPTIONS])
        schema_linef(b, "options (%s)", v[R_FTOPTIONS]);
}

static void sequence_head(strbuf *b, const char *const *v)
{
    schema_linef(b, "type %s", v[R_SEQTYPE]);
    schema_linef(b, "start %s", v[R_START]);
    schema_linef(b, "increment %s", v[R_INCREMENT]);
    schema_linef(b, "min %s", v[R_MIN]);
    schema_linef(b, "max %s", v[R_MAX]);
    schema_linef(b, "cache %s", v[R_CACHE]);
    schema_line(b, is_true(v[R_CYCLE]) ? "cycle" : "no cycle");
    if (v[R_OWNED_BY])
        schema_line(b, v[R_OWNED_BY]);
}

static const char *relation_kind(char relkind)
{
    switch (relkind) {
    case 'S':
        return "sequence";
    case 'v':
        return "view";
    case 'm':
        return "matview";
    case 'f':
        return "foreign_table";
    default:
        return "table";
    }
}

static void on_relation(pg_snap *p, const char *const *v)
{
    char relkind = v[R_KIND][0];
    schema_block *b = schema_block_new(&p->blocks, v[R_KEY], relation_kind(relkind), v[R_NAME]);
    strbuf *head = &b->part[PART_HEAD];
    schema_linef(head, "owner %s", v[R_OWNER]);
    if (relkind == 'S' && v[R_SEQTYPE])
        sequence_head(head, v);
    else if (relkind != 'v' && relkind != 'm')
        table_head(head, v);
    if (v[R_OPTIONS])
        schema_linef(head, "with (%s)", v[R_OPTIONS]);
    if (relkind == 'm' && !is_true(v[R_POPULATED]))
        schema_line(head, "not populated");
    add_comment(head, "comment", NULL, v[R_COMMENT]);
    if (is_true(v[R_RLS]) || is_true(v[R_FORCE_RLS]))
        schema_linef(&b->part[PART_POLICIES], "row level security %s%s",
                     is_true(v[R_RLS]) ? "enabled" : "disabled",
                     is_true(v[R_FORCE_RLS]) ? ", forced" : "");
    schema_lines(&b->part[PART_GRANTS], v[R_ACL]);
    if (v[R_VIEWDEF]) {
        char *body = xasprintf("as\n%s", v[R_VIEWDEF]);
        schema_line(&b->part[PART_BODY], body);
        free(body);
    }
}

/* ------------------------------------------------------------ columns */

/* Columns of tables, attributes of composite types; of views only
 * comments and grants. `generated` is the expression for attgenerated
 * (PostgreSQL 12). A default cannot refer to columns, so it is deparsed
 * without its relation (pg_get_expr with 0 does not open the relation,
 * which costs more than the rest of the row); a generation expression
 * does refer to them. Put in order (relation, attnum) in C: sorting the
 * wide rows on the server costs more. */
static char *columns_sql(const char *generated)
{
    char *acl = acl_sql("a.attacl", "c.relowner", "' (' || quote_ident(a.attname) || ')'");
    char *sql = xasprintf(
        "SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        "  CASE WHEN a.atthasdef THEN (SELECT pg_get_expr(ad.adbin,"
        "      CASE WHEN %s = '' THEN 0 ELSE ad.adrelid END)"
        "    FROM pg_attrdef ad WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END,"
        "  a.attidentity, %s,"
        "  CASE WHEN a.attcollation <> t.typcollation THEN " COLLATION("a.attcollation") " END,"
        "  d.description, %s, a.attrelid, a.attnum"
        " FROM pg_attribute a JOIN " RELATIONS_IN_SCHEMAS " c ON c.oid = a.attrelid"
        " JOIN pg_type t ON t.oid = a.atttypid"
        COMMENT_JOIN("pg_class", "a.attrelid", "a.attnum")
        " WHERE a.attnum > 0 AND NOT a.attisdropped AND (c.relkind IN ('r', 'p', 'f', 'c')"
        "   OR (c.relkind IN ('v', 'm') AND (d.description IS NOT NULL OR a.attacl IS NOT NULL)))",
        generated, generated, acl);
    free(acl);
    return sql;
}

enum { C_NAME, C_TYPE, C_NOTNULL, C_DEFAULT, C_IDENTITY, C_GENERATED, C_COLLATION, C_COMMENT,
       C_ACL, C_RELID, C_ATTNUM };

/* "column NAME TYPE[ collate C][ not null][ default E | generated always
 * as (E) stored][ generated ... as identity]" (appends: this runs for
 * every column of the database). */
static void column_line(strbuf *b, const char *const *v)
{
    strbuf line = {0};
    strbuf_append(&line, "column ");
    strbuf_append(&line, v[C_NAME]);
    strbuf_append_char(&line, ' ');
    strbuf_append(&line, v[C_TYPE]);
    if (v[C_COLLATION]) {
        strbuf_append(&line, " collate ");
        strbuf_append(&line, v[C_COLLATION]);
    }
    if (is_true(v[C_NOTNULL]))
        strbuf_append(&line, " not null");
    bool stored = v[C_GENERATED] && v[C_GENERATED][0] == 's';
    if (v[C_DEFAULT]) {
        strbuf_append(&line, stored ? " generated always as (" : " default ");
        strbuf_append(&line, v[C_DEFAULT]);
        strbuf_append(&line, stored ? ") stored" : "");
    }
    if (v[C_IDENTITY] && v[C_IDENTITY][0] == 'a')
        strbuf_append(&line, " generated always as identity");
    else if (v[C_IDENTITY] && v[C_IDENTITY][0] == 'd')
        strbuf_append(&line, " generated by default as identity");
    schema_line(b, strbuf_str(&line));
    strbuf_free(&line);
}

static void on_column(pg_snap *p, const char *const *v)
{
    char key[32];
    snprintf(key, sizeof key, "c%s", v[C_RELID]);
    schema_block *b = schema_block_find(&p->blocks, key);
    if (!b)
        return;
    strbuf *members = &b->part[PART_MEMBERS];
    if (strcmp(b->kind, "type") == 0) { /* a composite type's attribute */
        if (v[C_COLLATION])
            schema_linef(members, "attribute %s %s collate %s", v[C_NAME], v[C_TYPE],
                         v[C_COLLATION]);
        else
            schema_linef(members, "attribute %s %s", v[C_NAME], v[C_TYPE]);
    } else if (strcmp(b->kind, "view") != 0 && strcmp(b->kind, "matview") != 0) {
        column_line(members, v);
    }
    add_comment(members, "comment on column", v[C_NAME], v[C_COMMENT]);
    schema_lines(members, v[C_ACL]);
}

/* ------------------------------------------------------------ constraints, indexes */

/* Constraints of tables and of domains, by name within each. */
static const char constraints_sql[] =
    "SELECT * FROM ("
    "SELECT 'c' || co.conrelid AS key, quote_ident(co.conname) AS name,"
    "  pg_get_constraintdef(co.oid), co.conislocal, d.description"
    " FROM pg_constraint co JOIN " RELATIONS_IN_SCHEMAS " c ON c.oid = co.conrelid"
    COMMENT_JOIN("pg_constraint", "co.oid", "0")
    " UNION ALL "
    "SELECT 't' || co.contypid, quote_ident(co.conname), pg_get_constraintdef(co.oid), true,"
    "  d.description"
    " FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace"
    COMMENT_JOIN("pg_constraint", "co.oid", "0")
    " WHERE co.contypid <> 0 AND " NSP_OK("n")
    ") k ORDER BY key, name COLLATE \"C\"";

static void on_constraint(pg_snap *p, const char *const *v)
{
    schema_block *b = schema_block_find(&p->blocks, v[0]);
    if (!b)
        return;
    strbuf *part = &b->part[PART_CONSTRAINTS];
    schema_linef(part, "constraint %s %s%s", v[1], v[2], is_true(v[3]) ? "" : " (inherited)");
    add_comment(part, "comment on constraint", v[1], v[4]);
}

/* Indexes, except those of primary key, unique and exclusion constraints
 * (the constraint's line shows them). */
static const char indexes_sql[] =
    "SELECT 'c' || i.indrelid, quote_ident(n.nspname) || '.' || quote_ident(ic.relname),"
    "  pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisclustered, d.description"
    " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
    " JOIN " RELATIONS_IN_SCHEMAS " c ON c.oid = i.indrelid"
    " JOIN pg_namespace n ON n.oid = ic.relnamespace"
    COMMENT_JOIN("pg_class", "i.indexrelid", "0")
    " WHERE NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid"
    "    AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))";

static void on_index(pg_snap *p, const char *const *v)
{
    if (!schema_block_find(&p->blocks, v[0]))
        return; /* an index of a relation left out */
    strbuf b = {0};
    schema_line(&b, v[2]);
    if (!is_true(v[3]))
        schema_line(&b, "invalid");
    if (is_true(v[4]))
        schema_line(&b, "clustered");
    add_comment(&b, "comment", NULL, v[5]);
    schema_snapshot_add(p->out, "index", v[1], strbuf_str(&b));
    strbuf_free(&b);
}

/* ------------------------------------------------------------ triggers, policies */

/* User triggers; not those a partition inherits from its parent
 * (internal up to PostgreSQL 12, tgparentid from 13). */
static char *triggers_sql(int version)
{
    return xasprintf("SELECT 'c' || t.tgrelid AS key, quote_ident(t.tgname),"
                     "  pg_get_triggerdef(t.oid), t.tgenabled, d.description"
                     " FROM pg_trigger t JOIN " RELATIONS_IN_SCHEMAS " c ON c.oid = t.tgrelid"
                     COMMENT_JOIN("pg_trigger", "t.oid", "0")
                     " WHERE NOT t.tgisinternal%s"
                     " ORDER BY key, t.tgname COLLATE \"C\"",
                     version >= 130000 ? " AND t.tgparentid = 0" : "");
}

static void on_trigger(pg_snap *p, const char *const *v)
{
    schema_block *b = schema_block_find(&p->blocks, v[0]);
    if (!b)
        return;
    const char *def = v[2];
    const char *label = "";
    if (str_has_prefix(def, "CREATE TRIGGER ")) {
        def += strlen("CREATE TRIGGER ");
        label = "trigger ";
    } else if (str_has_prefix(def, "CREATE CONSTRAINT TRIGGER ")) {
        def += strlen("CREATE CONSTRAINT TRIGGER ");
        label = "constraint trigger ";
    }
    const char *state = v[3][0] == 'D'   ? " (disabled)"
                        : v[3][0] == 'R' ? " (enabled replica)"
                        : v[3][0] == 'A' ? " (enabled always)"
                                         : "";
    strbuf *part = &b->part[PART_TRIGGERS];
    schema_linef(part, "%s%s%s", label, def, state);
    add_comment(part, "comment on trigger", v[1], v[4]);
}

static const char policies_sql[] =
    "SELECT 'c' || p.polrelid AS key, quote_ident(p.polname), p.polpermissive, p.polcmd,"
    "  (SELECT string_agg(x.role, ', ' ORDER BY x.role COLLATE \"C\") FROM (SELECT CASE r"
    "     WHEN 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END AS role"
    "     FROM unnest(p.polroles) r) x),"
    "  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), d.description"
    " FROM pg_policy p JOIN " RELATIONS_IN_SCHEMAS " c ON c.oid = p.polrelid"
    COMMENT_JOIN("pg_policy", "p.oid", "0")
    " ORDER BY key, p.polname COLLATE \"C\"";

static const char *policy_command(char cmd)
{
    switch (cmd) {
    case 'r':
        return "SELECT";
    case 'a':
        return "INSERT";
    case 'w':
        return "UPDATE";
    case 'd':
        return "DELETE";
    default:
        return "ALL";
    }
}

static void on_policy(pg_snap *p, const char *const *v)
{
    schema_block *b = schema_block_find(&p->blocks, v[0]);
    if (!b)
        return;
    strbuf line = {0};
    strbuf_appendf(&line, "policy %s AS %s FOR %s TO %s", v[1],
                   is_true(v[2]) ? "PERMISSIVE" : "RESTRICTIVE", policy_command(v[3][0]),
                   v[4] ? v[4] : "PUBLIC");
    if (v[5])
        strbuf_appendf(&line, " USING (%s)", v[5]);
    if (v[6])
        strbuf_appendf(&line, " WITH CHECK (%s)", v[6]);
    strbuf *part = &b->part[PART_POLICIES];
    schema_line(part, strbuf_str(&line));
    strbuf_free(&line);
    add_comment(part, "comment on policy", v[1], v[7]);
}

/* ------------------------------------------------------------ routines */

/* Functions and procedures with their whole definition; aggregates by
 * signature and state. `prokind` is the expression for it (PostgreSQL
 * 11). */
static char *functions_sql(const char *prokind)
{
    char *acl = acl_sql("p.proacl", "p.proowner", "''");
    char *sql = xasprintf(
        "SELECT k.kind, quote_ident(n.nspname) || '.' || quote_ident(p.proname)"
        "    || '(' || oidvectortypes(p.proargtypes) || ')',"
        "  " OWNER("p.proowner") ", %s, d.description,"
        "  CASE WHEN k.kind <> 'a' THEN pg_get_functiondef(p.oid) END,"
        "  a.aggtransfn::text, format_type(a.aggtranstype, NULL),"
        "  CASE WHEN a.aggfinalfn <> 0 THEN a.aggfinalfn::text END,"
        "  CASE WHEN a.aggcombinefn <> 0 THEN a.aggcombinefn::text END, a.agginitval"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " CROSS JOIN LATERAL (SELECT %s AS kind) k"
        " LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid"
        COMMENT_JOIN("pg_proc", "p.oid", "0")
        " WHERE " NSP_OK("n") " AND NOT " IMPLICIT("pg_proc", "p.oid"),
        acl, prokind);
    free(acl);
    return sql;
}

static void on_function(pg_snap *p, const char *const *v)
{
    char kind = v[0][0];
    strbuf b = {0};
    schema_linef(&b, "owner %s", v[2]);
    if (kind == 'a') {
        schema_linef(&b, "sfunc %s", v[6]);
        schema_linef(&b, "stype %s", v[7]);
        if (v[8])
            schema_linef(&b, "finalfunc %s", v[8]);
        if (v[9])
            schema_linef(&b, "combinefunc %s", v[9]);
        if (v[10]) {
            char *quoted = text_quote(v[10], '\'');
            schema_linef(&b, "initcond %s", quoted);
            free(quoted);
        }
    }
    add_comment(&b, "comment", NULL, v[4]);
    schema_lines(&b, v[3]);
    if (v[5])
        schema_line(&b, v[5]);
    schema_snapshot_add(p->out, kind == 'a' ? "aggregate" : kind == 'p' ? "procedure" : "function",
                        v[1], strbuf_str(&b));
    strbuf_free(&b);
}

/* ------------------------------------------------------------ the snapshot */

/* The settings pinned while the queries run (the order of pg_begin's and
 * pg_end's queries). */
enum { SAVED_SEARCH_PATH, SAVED_DATESTYLE, SAVED_INTERVALSTYLE, SAVED_FLOAT_DIGITS,
       SAVED_BYTEA_OUTPUT, N_SAVED };

/* The server's version, the excluded relations, and the settings that
 * shape the deparsers' output, saved and then pinned. */
static sw_status pg_begin(pg_snap *p, const history_table *exclude, char **saved, sw_error *err)
{
    const char *names[2] = {exclude->history_sql, exclude->events_sql};
    db_result *r = NULL;
    sw_status st = db_query(p->d,
                            "SELECT current_setting('server_version_num'),"
                            "  coalesce(to_regclass($1)::oid, 0),"
                            "  coalesce(to_regclass($2)::oid, 0),"
                            "  current_setting('search_path'), current_setting('DateStyle'),"
                            "  current_setting('IntervalStyle'),"
                            "  current_setting('extra_float_digits'),"
                            "  current_setting('bytea_output')",
                            2, names, &r, err);
    if (st != SW_OK)
        return st;
    p->version = atoi(db_result_value(r, 0, 0));
    for (int i = 0; i < 2; i++) {
        snprintf(p->excluded[i], sizeof p->excluded[i], "%s", db_result_value(r, 0, 1 + i));
        p->params[i] = p->excluded[i];
    }
    for (int i = 0; i < N_SAVED; i++)
        saved[i] = xstrdup(db_result_value(r, 0, 3 + i));
    db_result_free(r);
    if (p->version < 100000) {
        char *shown = db_pg_version_text(p->version);
        sw_error_set(err, SW_FAILED,
                     "schema snapshots need PostgreSQL 10 or later (the server is %s)", shown);
        free(shown);
        return SW_FAILED;
    }
    st = db_query(p->d,
                  "SELECT set_config('search_path', '', false),"
                  "  set_config('DateStyle', 'ISO, MDY', false),"
                  "  set_config('IntervalStyle', 'postgres', false),"
                  "  set_config('extra_float_digits', '3', false),"
                  "  set_config('bytea_output', 'hex', false)",
                  0, NULL, &r, err);
    db_result_free(st == SW_OK ? r : NULL);
    return st;
}

/* Put the settings back. After a failure inside a transaction this
 * cannot run (the transaction is aborted), and need not: rolling it back
 * undoes the change of settings too. */
static sw_status pg_end(pg_snap *p, char **saved, sw_error *err)
{
    db_result *r = NULL;
    sw_status st = db_query(p->d,
                            "SELECT set_config('search_path', $1, false),"
                            "  set_config('DateStyle', $2, false),"
                            "  set_config('IntervalStyle', $3, false),"
                            "  set_config('extra_float_digits', $4, false),"
                            "  set_config('bytea_output', $5, false)",
                            N_SAVED, (const char *const *)saved, &r, err);
    db_result_free(st == SW_OK ? r : NULL);
    return st;
}

static sw_status pg_queries(pg_snap *p, sw_error *err)
{
    bool v12 = p->version >= 120000, v11 = p->version >= 110000;
    const char *prokind = v11 ? "p.prokind"
                              : "CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' "
                                "ELSE 'f' END";
    struct {
        char *sql;
        int nparams;
        bool placed;
        row_fn fn;
    } queries[] = {
        {xstrdup(extensions_sql), 0, false, on_extension},
        {schemas_sql(), 0, false, on_schema},
        {types_sql(), 0, false, on_type},
        {xstrdup(enum_labels_sql), 0, false, on_enum_label},
        {relations_sql(), 2, false, on_relation},
        {columns_sql(v12 ? "a.attgenerated" : "''"), 0, true, on_column},
        {xstrdup(constraints_sql), 0, false, on_constraint},
        {xstrdup(indexes_sql), 0, false, on_index},
        {triggers_sql(p->version), 0, false, on_trigger},
        {xstrdup(policies_sql), 0, false, on_policy},
        {functions_sql(prokind), 0, false, on_function},
    };
    size_t n = sizeof queries / sizeof queries[0];
    sw_status st = SW_OK;
    for (size_t i = 0; i < n; i++) {
        if (st == SW_OK)
            st = run(p, queries[i].sql, queries[i].nparams, queries[i].placed, queries[i].fn,
                     err);
        free(queries[i].sql);
    }
    return st;
}

sw_status schema_take_pg(db *d, const history_table *exclude, schema_snapshot *out,
                         sw_error *err)
{
    pg_snap p = {.d = d, .out = out};
    char *saved[N_SAVED] = {NULL};
    out->product = xstrdup("PostgreSQL");
    sw_status st = pg_begin(&p, exclude, saved, err);
    if (saved[0]) {
        if (st == SW_OK)
            st = pg_queries(&p, err);
        sw_error ignored = {0};
        sw_status restored = pg_end(&p, saved, st == SW_OK ? err : &ignored);
        if (st == SW_OK)
            st = restored;
    }
    for (int i = 0; i < N_SAVED; i++)
        free(saved[i]);
    schema_blocks_done(&p.blocks, st == SW_OK ? out : NULL);
    return st;
}

sw_status schema_snapshot_take(db *d, const history_table *exclude, schema_snapshot *out,
                               sw_error *err)
{
    memset(out, 0, sizeof *out);
    history_table defaults = {0};
    sw_status st = SW_OK;
    if (!exclude) {
        st = history_table_init(d, NULL, &defaults, err);
        exclude = &defaults;
    }
    if (st == SW_OK)
        st = db_get_kind(d) == DB_POSTGRES ? schema_take_pg(d, exclude, out, err)
                                           : schema_take_sqlite(d, exclude, out, err);
    history_table_free(&defaults);
    if (st != SW_OK) {
        schema_snapshot_free(out);
        return st;
    }
    schema_snapshot_sort(out);
    return SW_OK;
}
