/* libFuzzer target: the whole analysis `stepwise lint` runs on a script
 * (directives, splitting and classification in both dialects, every lint
 * rule with a schema model shared across scripts), then everything freed,
 * so that a leak or a double free shows too.
 *
 * The input is the script itself, byte for byte, so that the seed corpus
 * is plain migration files. The options that are not in the script are
 * derived from its first byte and length; each script is also linted a
 * second time as a rollback script with the directives' options flipped,
 * so both sides of every option are reached whatever the input.
 *
 * Built two ways: with tests/fuzz/regress.c into the check program
 * tests/fuzz/fuzz_regress (gcc, the project's warnings), and by
 * tests/fuzz/build-fuzzer.sh into the real libFuzzer binary (clang). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/directives.h"
#include "core/error.h"
#include "core/lint.h"
#include "core/locks.h"
#include "core/sqlparse.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read everything a front end would read, so that a finding or a lock
 * with a dangling or unterminated string is caught by the sanitizers. */
static size_t touch_results(const sql_script *sc, const lint_findings *f)
{
    size_t sum = sql_script_errors(sc);
    for (size_t i = 0; i < sc->count; i++) {
        const sql_statement *s = &sc->statements[i];
        sum += strlen(s->text) + (s->kind ? strlen(s->kind) : 0) +
               (s->detail ? strlen(s->detail) : 0) + (s->error ? strlen(s->error) : 0);
        lock_mode strongest = sql_statement_strongest_lock(s);
        sum += strlen(lock_mode_name(strongest));
        if (s->offset > sc->length || s->length > sc->length - s->offset)
            abort(); /* a statement outside its script */
        for (size_t k = 0; k < s->nlocks; k++) {
            char *quoted = sql_quote_identifier(s->locks[k].relation);
            sum += strlen(quoted) + strlen(lock_mode_name(s->locks[k].mode)) +
                   (s->locks[k].why ? strlen(s->locks[k].why) : 0);
            free(quoted);
        }
    }
    for (size_t i = 0; i < f->count; i++) {
        const lint_finding *x = &f->items[i];
        if (x->statement >= sc->count || lint_rule_find(x->rule->id) != x->rule)
            abort(); /* a finding on no statement, or of no known rule */
        sum += strlen(x->message) + strlen(lint_severity_name(x->severity)) +
               (x->hint ? strlen(x->hint) : 0) + (x->allowed ? strlen(x->allowed) : 0);
    }
    return sum + lint_count(f, LINT_HINT);
}

/* One dialect: parse, lint as an up script feeding `schema`, lint again
 * as a down script on a scratch schema, free. */
static void analyse(const char *text, size_t size, sql_dialect dialect,
                    const script_directives *d, bool flip, lint_schema *schema)
{
    sql_script sc;
    sw_error err = {0};
    if (sql_script_parse(&sc, "fuzz.sql", text, size, dialect, &err) != SW_OK) {
        /* Only input with a NUL byte is refused. */
        if (!memchr(text, '\0', size) || err.message[0] == '\0')
            abort();
        sql_script_free(&sc);
        return;
    }

    lint_options up = {.no_transaction = d->no_transaction != flip,
                       .lock_timeout_set = d->lock_timeout != NULL,
                       .down = false};
    lint_findings f = {0};
    lint_script(&sc, &up, schema, &f);
    volatile size_t sink = touch_results(&sc, &f);
    lint_findings_free(&f);

    lint_options down = {.no_transaction = !up.no_transaction,
                         .lock_timeout_set = !up.lock_timeout_set,
                         .down = true};
    lint_schema scratch = {0};
    lint_script(&sc, &down, &scratch, &f);
    sink += touch_results(&sc, &f);
    (void)sink;
    lint_findings_free(&f);
    lint_schema_free(&scratch);
    sql_script_free(&sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The directive reader takes a C string, as cmd_lint gives it: it
     * stops at a NUL byte, which the parser then refuses. */
    char *text = xmalloc(size + 1);
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';

    script_directives d;
    script_directives_read(text, &d);

    /* First byte, bit 0: the options of the first lint pass flipped. Bits
     * 1-2: the dialects: 0 PostgreSQL, SQLite, PostgreSQL again; 1 only
     * PostgreSQL; 2 only SQLite; 3 SQLite, then PostgreSQL. */
    unsigned sel = size ? data[0] : 0;
    bool flip = (sel & 1) != 0;
    unsigned which = (sel >> 1) & 3;

    /* One schema model across both dialects and a second pass, as across
     * the files of one `stepwise lint` run: the second pass sees every
     * column the first one recorded. */
    lint_schema schema = {0};
    if (which == 0 || which == 1)
        analyse(text, size, SQL_POSTGRES, &d, flip, &schema);
    if (which != 1)
        analyse(text, size, SQL_SQLITE, &d, flip, &schema);
    if (which == 3 || which == 0)
        analyse(text, size, SQL_POSTGRES, &d, !flip, &schema);
    lint_schema_free(&schema);

    script_directives_free(&d);
    free(text);
    return 0;
}
