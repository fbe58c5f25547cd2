/* Directives: comments at the top of a migration script that change how
 * stepwise runs it (DESIGN.md §3). */
#ifndef STEPWISE_DIRECTIVES_H
#define STEPWISE_DIRECTIVES_H

#include <stdbool.h>

typedef struct script_directives {
    bool no_transaction;     /* -- stepwise:no-transaction, dbmate's transaction:false */
    char *lock_timeout;      /* -- stepwise:lock-timeout 2s */
    char *statement_timeout; /* -- stepwise:statement-timeout 5min */
} script_directives;

/* Read the comment lines before the first statement of `text`. */
void script_directives_read(const char *text, script_directives *out);
void script_directives_free(script_directives *d);

#endif
