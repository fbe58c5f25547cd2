/* Reading the directive comments at the top of a script. Only the leading
 * block of comments and blank lines counts: a directive further down
 * would be easy to miss in review, so it is not one. */
#include "config.h"

#include "core/directives.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* The value after a directive word: up to the end of the line, trimmed. */
static char *directive_value(const char *p, const char *eol)
{
    while (p < eol && isspace((unsigned char)*p))
        p++;
    while (eol > p && isspace((unsigned char)eol[-1]))
        eol--;
    return eol > p ? xstrndup(p, (size_t)(eol - p)) : NULL;
}

static void read_comment(const char *p, const char *eol, script_directives *out)
{
    while (p < eol && isspace((unsigned char)*p))
        p++;
    if (str_has_prefix(p, "stepwise:no-transaction")) {
        out->no_transaction = true;
    } else if (str_has_prefix(p, "stepwise:lock-timeout")) {
        free(out->lock_timeout);
        out->lock_timeout = directive_value(p + strlen("stepwise:lock-timeout"), eol);
    } else if (str_has_prefix(p, "stepwise:statement-timeout")) {
        free(out->statement_timeout);
        out->statement_timeout = directive_value(p + strlen("stepwise:statement-timeout"), eol);
    } else if (str_has_prefix(p, "migrate:up")) {
        /* dbmate: "-- migrate:up transaction:false" */
        const char *t = strstr(p, "transaction:false");
        if (t && t < eol)
            out->no_transaction = true;
    }
}

void script_directives_read(const char *text, script_directives *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        const char *q = p;
        while (q < eol && isspace((unsigned char)*q))
            q++;
        if (q < eol) {
            if (eol - q < 2 || q[0] != '-' || q[1] != '-')
                break; /* the first statement: directives end here */
            read_comment(q + 2, eol, out);
        }
        p = *eol ? eol + 1 : eol;
    }
}

void script_directives_free(script_directives *d)
{
    free(d->lock_timeout);
    free(d->statement_timeout);
    memset(d, 0, sizeof *d);
}
