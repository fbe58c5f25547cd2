/* Schema snapshots (core/schema.h) of SQLite: the objects of
 * sqlite_schema with their SQL in a canonical spacing, the columns of
 * each table (PRAGMA table_xinfo) and the keys of its indexes
 * (index_list, index_xinfo), read through the pragmas' table-valued
 * functions: three queries in all, whatever the number of tables. */
#include "config.h"

#include "core/schema_build.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ SQL spacing */

/* The character that closes a quoted part opened by `c`, 0 if `c` opens
 * none: string literals and the three forms of quoted identifiers. */
static char closing_quote(char c)
{
    switch (c) {
    case '\'':
    case '"':
    case '`':
        return c;
    case '[':
        return ']';
    default:
        return 0;
    }
}

static bool is_word_end(char c)
{
    return c == '_' || c == '$' || c == '"' || c == '`' || c == ']' || c == '\'' ||
           (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (unsigned char)c >= 0x80;
}

/* Whether the space of a whitespace run stays between `prev` (the last
 * character written) and `next`. */
static bool keep_space(char prev, char next)
{
    if (prev == '(' || next == ')' || next == ',' || next == ';')
        return false;
    if (next == '(' && is_word_end(prev))
        return false;
    return true;
}

/* Copy a quoted part or a comment starting at `p`; returns the end. */
static const char *copy_quoted(strbuf *out, const char *p)
{
    const char *start = p;
    if (p[0] == '-' && p[1] == '-') {
        p += strcspn(p, "\n");
    } else if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/");
        p = end ? end + 2 : p + strlen(p);
    } else {
        char close = closing_quote(*p);
        p++;
        while (*p) {
            if (*p == close && (close == ']' || p[1] != close)) {
                p++;
                break;
            }
            p += *p == close ? 2 : 1; /* a doubled quote stands for itself */
        }
    }
    strbuf_append_len(out, start, (size_t)(p - start));
    return p;
}

/* SQLite keeps a CREATE statement as it was typed. So that reformatting
 * alone changes nothing while any change of the tokens shows: outside
 * string literals, quoted identifiers and comments, a run of whitespace
 * becomes one space, or none after '(' and before ')', ',', ';' and a '('
 * that follows a word; ',' is followed by one space; a line comment keeps
 * the line end after it; leading and trailing whitespace go. */
char *schema_sqlite_normalise(const char *sql)
{
    strbuf out = {0};
    bool space = false, newline = false;
    const char *p = sql;
    while (*p) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = out.len > 0;
            p++;
            continue;
        }
        if (newline)
            strbuf_append_char(&out, '\n');
        else if (space && keep_space(out.data[out.len - 1], c))
            strbuf_append_char(&out, ' ');
        space = newline = false;
        bool comment = (c == '-' && p[1] == '-') || (c == '/' && p[1] == '*');
        if (comment || closing_quote(c)) {
            p = copy_quoted(&out, p);
            newline = c == '-' && *p == '\n';
            continue;
        }
        strbuf_append_char(&out, c);
        space = c == ',';
        p++;
    }
    return strbuf_detach(&out);
}

/* ------------------------------------------------------------ the snapshot */

/* A name as written in a header or a line: quoted unless it is a plain
 * word. */
static char *sqlite_name(const char *name)
{
    bool plain = name[0] != '\0' && !(name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p && plain; p++)
        plain = *p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= 'a' && *p <= 'z');
    return plain ? xstrdup(name) : text_quote(name, '"');
}

typedef struct lite_snap {
    db *d;
    const char *params[2]; /* the history and events tables' names, "" when elsewhere */
    schema_blocks blocks;  /* by name as stored: members are columns, automatic
                              indexes, an index's key; the body its CREATE statement */
} lite_snap;

/* Objects of the main database that the snapshot covers (`m` is
 * sqlite_schema): not SQLite's own, not stepwise's tables nor their
 * indexes and triggers. */
#define LITE_OK(m)                                                                             \
    m ".name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND lower(" m ".name) NOT IN (lower(?1), "      \
      "lower(?2)) AND lower(" m ".tbl_name) NOT IN (lower(?1), lower(?2))"

/* Tables whose pragmas can be read: not virtual ones (their module may
 * not be loaded here). */
#define LITE_TABLE(m)                                                                          \
    m ".type = 'table' AND upper(substr(" m ".sql, 1, 15)) <> 'CREATE VIRTUAL ' AND " LITE_OK(m)

static sw_status lite_query(lite_snap *s, const char *sql, db_result **r, sw_error *err)
{
    return db_query(s->d, sql, 2, s->params, r, err);
}

static const char *lite_kind(const char *type)
{
    if (strcmp(type, "index") == 0)
        return "index";
    if (strcmp(type, "view") == 0)
        return "view";
    if (strcmp(type, "trigger") == 0)
        return "trigger";
    return "table";
}

static sw_status lite_objects(lite_snap *s, sw_error *err)
{
    db_result *r = NULL;
    sw_status st = lite_query(s,
                              "SELECT m.type, m.name, m.sql FROM main.sqlite_schema m"
                              " WHERE m.type IN ('table', 'index', 'view', 'trigger')"
                              "  AND m.sql IS NOT NULL AND " LITE_OK("m"),
                              &r, err);
    if (st != SW_OK)
        return st;
    for (int i = 0; i < r->nrows; i++) {
        const char *name = db_result_value(r, i, 1);
        char *shown = sqlite_name(name);
        schema_block *b = schema_block_new(&s->blocks, name, lite_kind(db_result_value(r, i, 0)),
                                           shown);
        char *sql = schema_sqlite_normalise(db_result_value(r, i, 2));
        schema_line(&b->part[PART_BODY], sql);
        free(sql);
        free(shown);
    }
    db_result_free(r);
    return SW_OK;
}

static void column_line(strbuf *b, const char *const *v)
{
    enum { TABLE, NAME, TYPE, NOTNULL, DEFAULT, PK, HIDDEN };
    char *name = sqlite_name(v[NAME]);
    strbuf line = {0};
    strbuf_appendf(&line, "column %s", name);
    if (v[TYPE] && v[TYPE][0])
        strbuf_appendf(&line, " %s", v[TYPE]);
    if (strcmp(v[NOTNULL], "0") != 0)
        strbuf_append(&line, " not null");
    if (v[DEFAULT]) {
        char *expr = schema_sqlite_normalise(v[DEFAULT]); /* as typed, like the SQL */
        strbuf_appendf(&line, " default %s", expr);
        free(expr);
    }
    if (strcmp(v[PK], "0") != 0)
        strbuf_appendf(&line, " primary key %s", v[PK]);
    const char *hidden = strcmp(v[HIDDEN], "1") == 0   ? " hidden"
                         : strcmp(v[HIDDEN], "2") == 0 ? " generated virtual"
                         : strcmp(v[HIDDEN], "3") == 0 ? " generated stored"
                                                       : "";
    strbuf_append(&line, hidden);
    schema_line(b, strbuf_str(&line));
    strbuf_free(&line);
    free(name);
}

static sw_status lite_columns(lite_snap *s, sw_error *err)
{
    db_result *r = NULL;
    sw_status st = lite_query(s,
                              "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk,"
                              "  p.hidden"
                              " FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') p"
                              " WHERE " LITE_TABLE("m") " ORDER BY m.name, p.cid",
                              &r, err);
    if (st != SW_OK)
        return st;
    for (int i = 0; i < r->nrows; i++) {
        schema_block *b = schema_block_find(&s->blocks, db_result_value(r, i, 0));
        if (b)
            column_line(&b->part[PART_MEMBERS], (const char *const *)&r->values[(size_t)i * 7]);
    }
    db_result_free(r);
    return SW_OK;
}

/* Columns of one index row of lite_indexes. */
enum { I_TABLE, I_INDEX, I_UNIQUE, I_ORIGIN, I_PARTIAL, I_CID, I_COLUMN, I_DESC, I_COLL };

static void key_part(strbuf *key, const char *const *v)
{
    if (key->len > 0)
        strbuf_append(key, ", ");
    if (v[I_COLUMN]) {
        char *name = sqlite_name(v[I_COLUMN]);
        strbuf_append(key, name);
        free(name);
    } else {
        strbuf_append(key, strcmp(v[I_CID], "-1") == 0 ? "rowid" : "<expression>");
    }
    if (v[I_COLL] && strcmp(v[I_COLL], "BINARY") != 0)
        strbuf_appendf(key, " COLLATE %s", v[I_COLL]);
    if (strcmp(v[I_DESC], "0") != 0)
        strbuf_append(key, " DESC");
}

/* One index, its key complete: a line of the index's own block, or for
 * the automatic index of a UNIQUE or PRIMARY KEY constraint (which has
 * no block) a line of its table's. */
static void index_line(lite_snap *s, const char *const *v, const strbuf *key)
{
    bool unique = strcmp(v[I_UNIQUE], "0") != 0;
    bool partial = strcmp(v[I_PARTIAL], "0") != 0;
    if (strcmp(v[I_ORIGIN], "c") == 0) {
        schema_block *b = schema_block_find(&s->blocks, v[I_INDEX]);
        if (b)
            schema_linef(&b->part[PART_MEMBERS], "%skey (%s)%s", unique ? "unique " : "",
                         strbuf_str(key), partial ? " partial" : "");
        return;
    }
    schema_block *b = schema_block_find(&s->blocks, v[I_TABLE]);
    if (!b)
        return;
    char *name = sqlite_name(v[I_INDEX]);
    schema_linef(&b->part[PART_MEMBERS], "index %s %skey (%s) from %s", name,
                 unique ? "unique " : "", strbuf_str(key),
                 strcmp(v[I_ORIGIN], "pk") == 0 ? "PRIMARY KEY" : "UNIQUE");
    free(name);
}

static sw_status lite_indexes(lite_snap *s, sw_error *err)
{
    db_result *r = NULL;
    sw_status st = lite_query(
        s,
        "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, x.cid, x.name, x.\"desc\","
        "  x.coll"
        " FROM main.sqlite_schema m, pragma_index_list(m.name, 'main') l,"
        "  pragma_index_xinfo(l.name, 'main') x"
        " WHERE x.key = 1 AND " LITE_TABLE("m") " ORDER BY m.name, l.name, x.seqno",
        &r, err);
    if (st != SW_OK)
        return st;
    strbuf key = {0};
    for (int i = 0; i < r->nrows; i++) {
        const char *const *v = (const char *const *)&r->values[(size_t)i * 9];
        key_part(&key, v);
        const char *const *next = i + 1 < r->nrows ? v + 9 : NULL;
        if (next && strcmp(next[I_TABLE], v[I_TABLE]) == 0 &&
            strcmp(next[I_INDEX], v[I_INDEX]) == 0)
            continue;
        index_line(s, v, &key);
        strbuf_reset(&key);
    }
    strbuf_free(&key);
    db_result_free(r);
    return SW_OK;
}

sw_status schema_take_sqlite(db *d, const history_table *exclude, schema_snapshot *out,
                             sw_error *err)
{
    bool here = !exclude->schema || strcasecmp(exclude->schema, "main") == 0;
    lite_snap s = {.d = d};
    s.params[0] = here ? exclude->name : "";
    s.params[1] = here ? exclude->events_name : "";
    out->product = xstrdup("SQLite");
    sw_status st = lite_objects(&s, err);
    if (st == SW_OK)
        st = lite_columns(&s, err);
    if (st == SW_OK)
        st = lite_indexes(&s, err);
    schema_blocks_done(&s.blocks, st == SW_OK ? out : NULL);
    return st;
}
