/* Schema snapshots kept on disk (issue 6 §4): before every run that
 * changes anything, the schema as it was is saved in the state folder,
 * so that it can always be read back (schema_snapshot_parse) and
 * compared, without depending on pg_dump. */
#ifndef STEPWISE_BACKUP_H
#define STEPWISE_BACKUP_H

#include <time.h>

#include "core/error.h"
#include "core/schema.h"

/* $XDG_STATE_HOME/stepwise/snapshots, else ~/.local/state/stepwise/snapshots
 * (newly allocated); NULL with SW_FAILED when neither is absolute. */
char *snapshot_dir(const char *xdg_state_home, const char *home, sw_error *err);

/* Save `s` as DIR/<database>-<YYYYMMDD-HHMMSS>.schema (UTC; "-2", "-3"...
 * added when that name is taken), mode 0600, the folder made as needed.
 * `database` is reduced to letters, digits, '.', '_' and '-'. The path
 * written is returned in *path (newly allocated). */
sw_status snapshot_save(const schema_snapshot *s, const char *dir, const char *database,
                        time_t when, char **path, sw_error *err);

#endif
