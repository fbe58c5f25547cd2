/* The error struct every core function fills instead of printing: a status
 * that is also the program's exit code, and one line fit for a person. */
#ifndef STEPWISE_ERROR_H
#define STEPWISE_ERROR_H

#include "core/util.h"

/* Exit statuses, documented in stepwise.1 (EXIT STATUS). */
typedef enum sw_status {
    SW_OK = 0,          /* success */
    SW_FAILED = 1,      /* the operation ran and failed (SQL error, ...) */
    SW_USAGE = 2,       /* bad command line: unknown command, option, --db form */
    SW_CONNECT = 3,     /* the database could not be reached or opened */
    SW_LOCKED = 3,      /* the migration lock was not acquired, or lock_timeout */
    SW_DIRTY = 4,       /* a migration is dirty: an operator must resume or force */
    SW_ABORTED = 130,   /* the operator stopped the run (Ctrl-C) */
} sw_status;

typedef struct sw_error {
    sw_status status;
    char message[1024];
} sw_error;

/* Record an error and return its status, so callers can write
 * `return sw_error_set(err, SW_FAILED, "...")`. `err` may be NULL. */
sw_status sw_error_set(sw_error *err, sw_status status, const char *fmt, ...) SW_PRINTF(3, 4);
void sw_error_clear(sw_error *err);

#endif
