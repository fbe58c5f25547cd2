/* Checks before an apply (issue: preflight): each PASS, WARN or FAIL with
 * its reason; a FAIL stops the run unless its override flag is given. */
#ifndef STEPWISE_PREFLIGHT_H
#define STEPWISE_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/db.h"
#include "core/plan.h"

typedef enum check_level { CHECK_PASS, CHECK_WARN, CHECK_FAIL } check_level;

typedef struct preflight_check {
    check_level level;
    char *name;         /* "server", "replica", "dirty", "drift", ... */
    char *reason;       /* one line, or several joined by "; " */
    bool overridden;    /* a FAIL let through by its flag (counted as WARN) */
} preflight_check;

typedef struct preflight {
    preflight_check *checks;
    size_t count;
    size_t cap;
    size_t fails;       /* FAILs not overridden */
    size_t warns;
} preflight;

typedef struct preflight_options {
    bool allow_drift;        /* drifted or missing files */
    bool allow_out_of_order; /* pending versions below the highest applied */
} preflight_options;

void preflight_run(db *d, const migration_status *s, const preflight_options *o, preflight *out);
void preflight_free(preflight *p);
const char *preflight_level_name(check_level level);

#endif
