/* stepwise lint: analyse migration scripts, print findings the way
 * compilers do (file:line:col: severity[rule]: message), the predicted
 * locks per statement with --locks, JSON with --json; with --db, the
 * live size of every table a finding or a lock names. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/directives.h"
#include "core/json.h"
#include "core/lint.h"
#include "core/source.h"
#include "core/sqlparse.h"
#include "core/util.h"
#include "tui/cli.h"

typedef struct lint_file {
    char *path;
    bool down; /* a rollback script: it does not feed the schema model */
    script_directives directives;
    sql_script script;
    lint_findings findings;
} lint_file;

typedef struct relation_size {
    char *relation;
    bool exists;
    long long rows; /* -1: never analysed */
    long long bytes;
} relation_size;

typedef struct lint_run {
    const cli_options *opts;
    lint_file *files;
    size_t nfiles, files_cap;
    db *catalog; /* --db: live sizes */
    relation_size *sizes;
    size_t nsizes, sizes_cap;
} lint_run;

static bool is_down_script(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return str_has_suffix(base, ".down.sql") || (base[0] == 'U' && isdigit((unsigned char)base[1]));
}


static char *read_whole_file(const char *path, size_t *length, sw_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sw_error_set(err, SW_USAGE, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    strbuf sb = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        strbuf_append_len(&sb, buf, n);
    bool failed = ferror(fp) != 0;
    fclose(fp);
    if (failed) {
        strbuf_free(&sb);
        sw_error_set(err, SW_USAGE, "%s: read error", path);
        return NULL;
    }
    *length = sb.len;
    return strbuf_detach(&sb);
}

/* The dialect from the target, without connecting: SQLite targets lint
 * SQLite scripts, everything else is PostgreSQL. */
static sql_dialect target_dialect(const cli_options *opts)
{
    db_target t;
    sw_error err = {0};
    sql_dialect dialect = SQL_POSTGRES;
    const char *env_db = getenv("STEPWISE_DB"), *env_url = getenv("DATABASE_URL");
    if ((opts->db || (env_db && *env_db) || (env_url && *env_url)) &&
        db_target_resolve(opts->db, env_db, env_url, &t, &err) == SW_OK) {
        if (t.kind == DB_SQLITE)
            dialect = SQL_SQLITE;
        db_target_free(&t);
    }
    return dialect;
}

/* ------------------------------------------------------------ sizes */

static const relation_size *relation_size_of(lint_run *run, const char *relation)
{
    if (!run->catalog)
        return NULL;
    for (size_t i = 0; i < run->nsizes; i++)
        if (strcmp(run->sizes[i].relation, relation) == 0)
            return &run->sizes[i];
    relation_size rs = {.relation = xstrdup(relation), .rows = -1};
    db_result *r = NULL;
    sw_error err = {0};
    const char *params[] = {relation};
    if (db_query(run->catalog,
                 "SELECT c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
                 "WHERE c.oid = to_regclass($1)",
                 1, params, &r, &err) == SW_OK &&
        r->nrows == 1) {
        rs.exists = true;
        rs.rows = strtoll(db_result_value(r, 0, 0), NULL, 10);
        rs.bytes = strtoll(db_result_value(r, 0, 1), NULL, 10);
    }
    db_result_free(r);
    run->sizes = array_grow(run->sizes, &run->sizes_cap, run->nsizes + 1, sizeof *run->sizes);
    run->sizes[run->nsizes] = rs;
    return &run->sizes[run->nsizes++];
}

static char *human_count(long long n)
{
    if (n >= 1000000000)
        return xasprintf("%.1fG", (double)n / 1e9);
    if (n >= 1000000)
        return xasprintf("%.1fM", (double)n / 1e6);
    if (n >= 10000)
        return xasprintf("%.0fk", (double)n / 1e3);
    return xasprintf("%lld", n);
}

static char *human_bytes(long long n)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    return u == 0 ? xasprintf("%lld B", n) : xasprintf("%.1f %s", v, units[u]);
}

static char *size_text(const relation_size *rs)
{
    if (!rs->exists)
        return xstrdup("does not exist yet");
    char *bytes = human_bytes(rs->bytes);
    char *text;
    if (rs->rows < 0) {
        text = xasprintf("exists, never analysed, %s", bytes);
    } else {
        char *rows = human_count(rs->rows);
        text = xasprintf("exists, ~%s rows, %s", rows, bytes);
        free(rows);
    }
    free(bytes);
    return text;
}

/* ------------------------------------------------------------ text output */

static void print_escaped(const char *prefix, const char *text)
{
    char *shown = text_escaped(text);
    printf("%s%s\n", prefix, shown);
    free(shown);
}

static void print_statement_sizes(lint_run *run, const sql_statement *s)
{
    for (size_t k = 0; k < s->nlocks; k++) {
        if (s->locks[k].created || s->locks[k].mode <= LOCK_ACCESS_SHARE)
            continue;
        const relation_size *rs = relation_size_of(run, s->locks[k].relation);
        if (!rs)
            return;
        char *size = size_text(rs);
        char *line = xasprintf("%s: %s", s->locks[k].relation, size);
        print_escaped("    table: ", line);
        free(line);
        free(size);
    }
}

static void print_locks(lint_run *run, const lint_file *f)
{
    for (size_t i = 0; i < f->script.count; i++) {
        const sql_statement *s = &f->script.statements[i];
        if (s->error)
            continue;
        char *head = xasprintf("%s:%d:%d: locks: %s%s%s%s%s", f->path, s->line, s->column,
                               s->kind ? s->kind : "statement", s->detail ? " (" : "",
                               s->detail ? s->detail : "", s->detail ? ")" : "",
                               s->transactional ? "" : " [cannot run in a transaction]");
        print_escaped("", head);
        free(head);
        if (f->script.dialect == SQL_SQLITE)
            printf("    the whole database (SQLite locks the file for writing)\n");
        else if (s->nlocks == 0)
            printf("    no table locks\n");
        for (size_t k = 0; k < s->nlocks; k++) {
            const sql_lock *l = &s->locks[k];
            char *line = xasprintf("%-23s %s%s", lock_mode_name(l->mode), l->relation,
                                   l->created && l->index ? " (new index)"
                                   : l->created           ? " (new)"
                                   : l->index             ? " (index)"
                                                          : "");
            if (run->catalog && !l->created && l->mode > LOCK_ACCESS_SHARE) {
                char *size = size_text(relation_size_of(run, l->relation));
                char *longer = xasprintf("%s  [%s]", line, size);
                free(line);
                free(size);
                line = longer;
            }
            print_escaped("    ", line);
            free(line);
        }
    }
}

static void print_text(lint_run *run)
{
    for (size_t fi = 0; fi < run->nfiles; fi++) {
        lint_file *f = &run->files[fi];
        for (size_t i = 0; i < f->script.count; i++) {
            const sql_statement *s = &f->script.statements[i];
            if (!s->error)
                continue;
            char *line = xasprintf("%s:%d:%d: error: %s", f->path, s->error_line, s->error_column,
                                   s->error);
            print_escaped("", line);
            free(line);
            char *first = xstrndup(s->text, strcspn(s->text, "\n"));
            print_escaped("    not analysed: ", first);
            free(first);
        }
        for (size_t i = 0; i < f->findings.count; i++) {
            const lint_finding *x = &f->findings.items[i];
            char *line = xasprintf("%s:%d:%d: %s%s[%s]: %s", f->path, x->line, x->column,
                                   x->allowed ? "allowed " : "", lint_severity_name(x->severity),
                                   x->rule->id, x->message);
            print_escaped("", line);
            free(line);
            if (x->allowed)
                print_escaped("    allowed: ", x->allowed);
            else if (x->hint)
                print_escaped("    hint: ", x->hint);
            if (!x->allowed)
                print_statement_sizes(run, &f->script.statements[x->statement]);
        }
        if (run->opts->locks)
            print_locks(run, f);
    }
}

/* ------------------------------------------------------------ JSON */

static void json_locks(lint_run *run, json_writer *w, const sql_statement *s)
{
    json_key(w, "locks");
    json_begin_array(w);
    for (size_t k = 0; k < s->nlocks; k++) {
        const sql_lock *l = &s->locks[k];
        json_begin_object(w);
        json_key(w, "relation");
        json_string(w, l->relation);
        json_key(w, "mode");
        json_string(w, lock_mode_name(l->mode));
        json_key(w, "created");
        json_bool(w, l->created);
        json_key(w, "index");
        json_bool(w, l->index);
        const relation_size *rs = l->created ? NULL : relation_size_of(run, l->relation);
        if (rs) {
            json_key(w, "exists");
            json_bool(w, rs->exists);
            json_key(w, "estimated_rows");
            if (rs->exists && rs->rows >= 0)
                json_int(w, rs->rows);
            else
                json_null(w);
            json_key(w, "total_bytes");
            if (rs->exists)
                json_int(w, rs->bytes);
            else
                json_null(w);
        }
        json_end_object(w);
    }
    json_end_array(w);
}

static void print_json(lint_run *run, size_t errors, size_t warnings, size_t hints)
{
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, true);
    json_begin_object(&w);
    json_key(&w, "files");
    json_begin_array(&w);
    for (size_t fi = 0; fi < run->nfiles; fi++) {
        lint_file *f = &run->files[fi];
        json_begin_object(&w);
        json_key(&w, "path");
        json_string(&w, f->path);
        json_key(&w, "dialect");
        json_string(&w, f->script.dialect == SQL_SQLITE ? "sqlite" : "postgresql");
        json_key(&w, "no_transaction");
        json_bool(&w, f->directives.no_transaction);
        json_key(&w, "statements");
        json_begin_array(&w);
        for (size_t i = 0; i < f->script.count; i++) {
            const sql_statement *s = &f->script.statements[i];
            json_begin_object(&w);
            json_key(&w, "line");
            json_int(&w, s->line);
            json_key(&w, "column");
            json_int(&w, s->column);
            json_key(&w, "kind");
            json_string(&w, s->kind);
            json_key(&w, "detail");
            json_string(&w, s->detail);
            json_key(&w, "analysed");
            json_bool(&w, s->analysed);
            if (s->error) {
                json_key(&w, "error");
                json_string(&w, s->error);
                json_key(&w, "error_line");
                json_int(&w, s->error_line);
                json_key(&w, "error_column");
                json_int(&w, s->error_column);
            }
            json_key(&w, "transactional");
            json_bool(&w, s->transactional);
            json_key(&w, "destructive");
            json_bool(&w, s->destructive);
            json_locks(run, &w, s);
            json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "findings");
        json_begin_array(&w);
        for (size_t i = 0; i < f->findings.count; i++) {
            const lint_finding *x = &f->findings.items[i];
            json_begin_object(&w);
            json_key(&w, "rule");
            json_string(&w, x->rule->id);
            json_key(&w, "severity");
            json_string(&w, lint_severity_name(x->severity));
            json_key(&w, "line");
            json_int(&w, x->line);
            json_key(&w, "column");
            json_int(&w, x->column);
            json_key(&w, "message");
            json_string(&w, x->message);
            json_key(&w, "hint");
            json_string(&w, x->hint);
            json_key(&w, "allowed");
            json_string(&w, x->allowed);
            json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_key(&w, "errors");
    json_int(&w, (long long)errors);
    json_key(&w, "warnings");
    json_int(&w, (long long)warnings);
    json_key(&w, "hints");
    json_int(&w, (long long)hints);
    json_end_object(&w);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static void print_rules(void)
{
    size_t n;
    const lint_rule *r = lint_rules(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-36s %-8s %s\n", r[i].id, lint_severity_name(r[i].severity), r[i].summary);
}

/* ------------------------------------------------------------ command */

static void lint_run_free(lint_run *run)
{
    for (size_t i = 0; i < run->nfiles; i++) {
        free(run->files[i].path);
        script_directives_free(&run->files[i].directives);
        sql_script_free(&run->files[i].script);
        lint_findings_free(&run->files[i].findings);
    }
    free(run->files);
    for (size_t i = 0; i < run->nsizes; i++)
        free(run->sizes[i].relation);
    free(run->sizes);
    db_close(run->catalog);
}


/* One script to lint: a file named on the command line, or a migration's
 * up or down script read through the folder reader. */
typedef struct lint_input {
    const char *path;
    char *text;         /* owned; a migration's is read when its turn comes */
    size_t length;
    bool down;
    const migration_script *script;      /* a migration's, or NULL: a file named */
    const script_directives *directives; /* the folder's, or NULL: read them */
} lint_input;

/* A migration's script, read again from its file (the folder keeps no
 * text). A dbmate section is preceded by as many newlines as lines come
 * before it in its file, so positions stay those of the file. */
static sw_status script_input_text(lint_input *in, sw_error *err)
{
    strbuf sb = {0};
    for (int l = 1; l < in->script->line; l++)
        strbuf_append_char(&sb, '\n');
    sw_status st = migration_script_text(in->script, &sb, err);
    if (st != SW_OK) {
        strbuf_free(&sb);
        return st;
    }
    in->length = sb.len;
    in->text = strbuf_detach(&sb);
    return SW_OK;
}

/* The migrations folder through core/source: every problem shown, each
 * version's up script then its down script, with the directives the
 * runner will use. */
static int folder_inputs(const cli_options *opts, migration_source *src, lint_input **out,
                         size_t *n)
{
    char *dir = NULL;
    sw_error err = {0};
    if (source_find_dir(opts->dir, NULL, &dir, &err) != SW_OK)
        return usage_error("Give files, or --dir DIR.", "%s", err.message);
    sw_status st = source_read(dir, src, &err);
    free(dir);
    if (st != SW_OK)
        return usage_error(NULL, "%s", err.message);
    for (size_t i = 0; i < src->nproblems; i++) {
        char *line = source_problem_text(src, &src->problems[i]);
        fprintf(stderr, "%s\n", line);
        free(line);
    }
    if (src->errors)
        return usage_error(NULL, "%zu problem%s in the migrations folder; fix %s first",
                           src->errors, src->errors == 1 ? "" : "s",
                           src->errors == 1 ? "it" : "them");
    if (src->count == 0)
        return usage_error(NULL, "%s: no migrations to lint", src->dir);
    lint_input *in = xcalloc(2 * src->count, sizeof *in);
    size_t k = 0;
    for (size_t i = 0; i < src->count; i++) {
        const migration *m = &src->migrations[i];
        for (int down = 0; down <= (m->has_down ? 1 : 0); down++) {
            const migration_script *sc = down ? &m->down : &m->up;
            in[k].script = sc;
            in[k].path = sc->path;
            in[k].down = down;
            in[k].directives = &sc->directives;
            k++;
        }
    }
    *out = in;
    *n = k;
    return SW_OK;
}

int cmd_lint(const cli_options *opts, int argc, char **argv)
{
    if (opts->rules) {
        print_rules();
        return SW_OK;
    }
    if (argc > 1 && opts->dir)
        return usage_error("Usage: stepwise lint [FILE... | --dir DIR]",
                           "give files or --dir, not both");
    lint_input *inputs = NULL;
    size_t ninputs = 0;
    migration_source src = {0};
    int status = SW_OK;
    if (argc > 1) {
        inputs = xcalloc((size_t)argc, sizeof *inputs);
        for (int i = 1; i < argc; i++) {
            sw_error err = {0};
            lint_input *in = &inputs[ninputs];
            in->text = read_whole_file(argv[i], &in->length, &err);
            if (!in->text) {
                status = report_error(&err);
                continue;
            }
            in->path = argv[i];
            in->down = is_down_script(argv[i]);
            ninputs++;
        }
    } else {
        int rc = folder_inputs(opts, &src, &inputs, &ninputs);
        if (rc != SW_OK) {
            source_free(&src);
            return rc;
        }
    }

    lint_run run = {.opts = opts};
    sql_dialect dialect = target_dialect(opts);
    lint_schema schema = {0};
    for (size_t i = 0; i < ninputs; i++) {
        sw_error err = {0};
        lint_input *in = &inputs[i];
        if (in->script && script_input_text(in, &err) != SW_OK) {
            status = report_error(&err);
            continue;
        }
        lint_file f = {.path = xstrdup(in->path), .down = in->down};
        if (sql_script_parse(&f.script, f.path, in->text, in->length, dialect, &err) != SW_OK) {
            status = report_error(&err);
            free(in->text);
            free(f.path);
            continue;
        }
        if (in->directives) {
            f.directives.no_transaction = in->directives->no_transaction;
            f.directives.lock_timeout =
                in->directives->lock_timeout ? xstrdup(in->directives->lock_timeout) : NULL;
            f.directives.statement_timeout = in->directives->statement_timeout
                                                 ? xstrdup(in->directives->statement_timeout)
                                                 : NULL;
        } else {
            script_directives_read(f.script.text, &f.directives);
        }
        lint_options lo = {.no_transaction = f.directives.no_transaction,
                           .lock_timeout_set = f.directives.lock_timeout != NULL,
                           .down = f.down};
        lint_schema scratch = {0};
        lint_script(&f.script, &lo, f.down ? &scratch : &schema, &f.findings);
        lint_schema_free(&scratch);
        free(in->text);
        run.files = array_grow(run.files, &run.files_cap, run.nfiles + 1, sizeof *run.files);
        run.files[run.nfiles++] = f;
    }
    lint_schema_free(&schema);
    free(inputs);
    source_free(&src);

    if (opts->db && dialect == SQL_POSTGRES) {
        db_target target;
        sw_error err = {0};
        if (open_target(opts, DB_OPEN_EXISTING, &target, &run.catalog, &err) != SW_OK) {
            db_target_free(&target);
            lint_run_free(&run);
            return report_error(&err);
        }
        db_target_free(&target);
    }

    size_t errors = 0, warnings = 0, hints = 0, allowed = 0, parse_errors = 0, statements = 0;
    for (size_t i = 0; i < run.nfiles; i++) {
        const lint_findings *fs = &run.files[i].findings;
        errors += lint_count(fs, LINT_ERROR);
        warnings += lint_count(fs, LINT_WARNING) - lint_count(fs, LINT_ERROR);
        hints += lint_count(fs, LINT_HINT) - lint_count(fs, LINT_WARNING);
        for (size_t k = 0; k < fs->count; k++)
            allowed += fs->items[k].allowed != NULL;
        parse_errors += sql_script_errors(&run.files[i].script);
        statements += run.files[i].script.count;
    }
    if (opts->json) {
        print_json(&run, errors + parse_errors, warnings, hints);
    } else {
        print_text(&run);
        printf("%zu file%s, %zu statement%s: %zu error%s, %zu warning%s, %zu hint%s",
               run.nfiles, run.nfiles == 1 ? "" : "s", statements, statements == 1 ? "" : "s",
               errors + parse_errors, errors + parse_errors == 1 ? "" : "s", warnings,
               warnings == 1 ? "" : "s", hints, hints == 1 ? "" : "s");
        if (allowed)
            printf(" (%zu allowed)", allowed);
        printf("\n");
    }
    lint_run_free(&run);
    if (status != SW_OK || parse_errors > 0)
        return SW_USAGE; /* input that cannot be read or parsed */
    if (errors > 0 || (opts->strict && warnings > 0))
        return SW_FAILED;
    return SW_OK;
}
