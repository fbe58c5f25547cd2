/* Each version's state from the folder and the history, and what up,
 * down and goto would run, in order. Pure: no database, no files. */
#ifndef STEPWISE_PLAN_H
#define STEPWISE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/history.h"
#include "core/source.h"

typedef enum mig_state {
    STATE_APPLIED,
    STATE_PENDING,
    STATE_DIRTY,    /* recorded dirty: a no-transaction migration stopped partway */
    STATE_DRIFTED,  /* applied, but the file's checksum differs from the recorded one */
    STATE_MISSING,  /* recorded, but no file has that version any more */
} mig_state;

typedef struct status_entry {
    const char *version;     /* from the file, else from the history */
    const char *name;
    const migration *m;      /* NULL when missing */
    const history_row *h;    /* NULL when not recorded */
    mig_state state;
    bool out_of_order;       /* pending, below the highest applied version */
} status_entry;

typedef struct migration_status {
    status_entry *entries;   /* by version */
    size_t count;
    size_t applied, pending, dirty, drifted, missing, out_of_order;
} migration_status;

void status_build(const migration_source *src, const history_data *hist, migration_status *out);
void status_free(migration_status *s);
const char *mig_state_name(mig_state state);
/* The entry of this version, or NULL. */
const status_entry *status_find(const migration_status *s, const char *version);

typedef struct plan_step {
    const status_entry *e;
    bool down;               /* roll back instead of apply */
} plan_step;

typedef struct plan {
    plan_step *steps;
    size_t count;
} plan;

/* up: pending versions in order (out-of-order ones included, they are
 * pending), up to and including `to` (NULL: all), at most n (n < 0: no
 * limit). */
sw_status plan_up(const migration_status *s, const char *to, long n, plan *out, sw_error *err);
/* down: applied versions newest first; `to` V rolls back everything
 * above V (V stays); else n of them (n < 0 means 1). */
sw_status plan_down(const migration_status *s, const char *to, long n, plan *out, sw_error *err);
/* goto V: down to V when V is applied, else up to V. Version 0 (not in
 * the folder) means before the first migration: everything rolls back. */
sw_status plan_goto(const migration_status *s, const char *to, plan *out, sw_error *err);
void plan_free(plan *p);

#endif
