/* Library versions as the running program sees them (run-time, not the
 * headers it was built with, where the library can tell). */
#include "config.h"

#include "core/version.h"

#include <libpq-fe.h>
#include <pg_query.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "core/db.h"
#include "core/util.h"

char *version_libraries(void)
{
    char *pq = db_pg_version_text(PQlibVersion());
    char *s = xasprintf("libpq %s, SQLite %s, libpg_query (PostgreSQL %s parser)", pq,
                        sqlite3_libversion(), PG_VERSION);
    free(pq);
    return s;
}
