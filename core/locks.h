/* PostgreSQL's eight table-level lock modes, their conflict matrix (PG 15
 * "Explicit Locking", table 13.2) and names, shared by the analysis, the
 * lock monitor and the console. */
#ifndef STEPWISE_LOCKS_H
#define STEPWISE_LOCKS_H

#include <stdbool.h>

/* Numbered as the server numbers them (storage/lockdefs.h), so a higher
 * number is a stronger mode. */
typedef enum lock_mode {
    LOCK_NONE = 0,
    LOCK_ACCESS_SHARE = 1,
    LOCK_ROW_SHARE = 2,
    LOCK_ROW_EXCLUSIVE = 3,
    LOCK_SHARE_UPDATE_EXCLUSIVE = 4,
    LOCK_SHARE = 5,
    LOCK_SHARE_ROW_EXCLUSIVE = 6,
    LOCK_EXCLUSIVE = 7,
    LOCK_ACCESS_EXCLUSIVE = 8,
} lock_mode;

#define LOCK_MODE_COUNT 9

/* "ACCESS EXCLUSIVE", as in LOCK TABLE and the documentation. */
const char *lock_mode_name(lock_mode mode);
/* "AccessExclusiveLock", as in pg_locks.mode. */
const char *lock_mode_pg_name(lock_mode mode);
/* Either spelling, case-insensitive; LOCK_NONE when unknown. */
lock_mode lock_mode_from_name(const char *name);

/* True when a lock in mode `held` makes a request for `wanted` wait. */
bool lock_modes_conflict(lock_mode held, lock_mode wanted);

/* What a lock in this mode stops other sessions from doing, in words a
 * DBA reads at a glance: "blocks reads and writes", "blocks writes". */
const char *lock_mode_effect(lock_mode mode);

#endif
