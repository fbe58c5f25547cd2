/* Lock modes and the conflict matrix of PostgreSQL 15, table 13.2. */
#include "config.h"

#include "core/locks.h"

#include <stddef.h>
#include <strings.h>

static const struct {
    const char *name;
    const char *pg_name;
    const char *effect;
    /* Bit m set: conflicts with mode m. */
    unsigned conflicts;
} modes[LOCK_MODE_COUNT] = {
#define BIT(m) (1u << (m))
    [LOCK_NONE] = {"NONE", "", "blocks nothing", 0},
    [LOCK_ACCESS_SHARE] = {"ACCESS SHARE", "AccessShareLock",
                           "blocks only ACCESS EXCLUSIVE (DDL that rewrites or drops)",
                           BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_ROW_SHARE] = {"ROW SHARE", "RowShareLock", "blocks EXCLUSIVE and ACCESS EXCLUSIVE",
                        BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_ROW_EXCLUSIVE] = {"ROW EXCLUSIVE", "RowExclusiveLock",
                            "blocks SHARE and stronger (index builds, most DDL)",
                            BIT(LOCK_SHARE) | BIT(LOCK_SHARE_ROW_EXCLUSIVE) |
                                BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_SHARE_UPDATE_EXCLUSIVE] = {"SHARE UPDATE EXCLUSIVE", "ShareUpdateExclusiveLock",
                                     "blocks other schema changes and VACUUM, not reads or writes",
                                     BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) | BIT(LOCK_SHARE) |
                                         BIT(LOCK_SHARE_ROW_EXCLUSIVE) | BIT(LOCK_EXCLUSIVE) |
                                         BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_SHARE] = {"SHARE", "ShareLock", "blocks writes (INSERT, UPDATE, DELETE), not reads",
                    BIT(LOCK_ROW_EXCLUSIVE) | BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) |
                        BIT(LOCK_SHARE_ROW_EXCLUSIVE) | BIT(LOCK_EXCLUSIVE) |
                        BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_SHARE_ROW_EXCLUSIVE] = {"SHARE ROW EXCLUSIVE", "ShareRowExclusiveLock",
                                  "blocks writes and other schema changes, not reads",
                                  BIT(LOCK_ROW_EXCLUSIVE) | BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) |
                                      BIT(LOCK_SHARE) | BIT(LOCK_SHARE_ROW_EXCLUSIVE) |
                                      BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_EXCLUSIVE] = {"EXCLUSIVE", "ExclusiveLock", "blocks writes and row locks; plain reads go on",
                        BIT(LOCK_ROW_SHARE) | BIT(LOCK_ROW_EXCLUSIVE) |
                            BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) | BIT(LOCK_SHARE) |
                            BIT(LOCK_SHARE_ROW_EXCLUSIVE) | BIT(LOCK_EXCLUSIVE) |
                            BIT(LOCK_ACCESS_EXCLUSIVE)},
    [LOCK_ACCESS_EXCLUSIVE] = {"ACCESS EXCLUSIVE", "AccessExclusiveLock",
                               "blocks everything, even SELECT",
                               BIT(LOCK_ACCESS_SHARE) | BIT(LOCK_ROW_SHARE) |
                                   BIT(LOCK_ROW_EXCLUSIVE) | BIT(LOCK_SHARE_UPDATE_EXCLUSIVE) |
                                   BIT(LOCK_SHARE) | BIT(LOCK_SHARE_ROW_EXCLUSIVE) |
                                   BIT(LOCK_EXCLUSIVE) | BIT(LOCK_ACCESS_EXCLUSIVE)},
#undef BIT
};

static bool valid(lock_mode mode)
{
    return (unsigned)mode < LOCK_MODE_COUNT;
}

const char *lock_mode_name(lock_mode mode)
{
    return valid(mode) ? modes[mode].name : "?";
}

const char *lock_mode_pg_name(lock_mode mode)
{
    return valid(mode) ? modes[mode].pg_name : "?";
}

const char *lock_mode_effect(lock_mode mode)
{
    return valid(mode) ? modes[mode].effect : "?";
}

lock_mode lock_mode_from_name(const char *name)
{
    for (int m = LOCK_ACCESS_SHARE; m < LOCK_MODE_COUNT; m++)
        if (strcasecmp(name, modes[m].name) == 0 || strcasecmp(name, modes[m].pg_name) == 0)
            return (lock_mode)m;
    return LOCK_NONE;
}

bool lock_modes_conflict(lock_mode held, lock_mode wanted)
{
    if (!valid(held) || !valid(wanted))
        return false;
    return (modes[held].conflicts >> wanted) & 1u;
}
