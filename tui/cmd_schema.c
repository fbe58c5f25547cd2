/* stepwise schema: a snapshot of the target database's schema in the
 * canonical text of core/schema.h, or as JSON. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/history.h"
#include "core/schema.h"
#include "core/util.h"
#include "tui/cli.h"

/* One consistent view of the catalog: the snapshot's queries run in a
 * read-only transaction (REPEATABLE READ on PostgreSQL, one read
 * transaction on SQLite). The server's deparsers open each table for a
 * moment; behind a migration's ACCESS EXCLUSIVE lock that would wait, so
 * a lock_timeout ends the wait (exit 3, as for any lock timeout). */
static sw_status take(db *d, const history_table *table, schema_snapshot *snap, sw_error *err)
{
    bool postgres = db_get_kind(d) == DB_POSTGRES;
    sw_status st = db_exec(d,
                           postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
                                      " SET LOCAL lock_timeout = '5s'"
                                    : "BEGIN",
                           err);
    if (st != SW_OK)
        return st;
    st = schema_snapshot_take(d, table, snap, err);
    if (st == SW_FAILED && strstr(err->message, "SQLSTATE 55P03")) {
        char *server = xstrdup(err->message);
        st = sw_error_set(err, SW_LOCKED,
                          "another session holds a lock the snapshot waited 5 s for: %s", server);
        free(server);
    }
    sw_error ignored = {0};
    sw_status end = db_exec(d, st == SW_OK ? "COMMIT" : "ROLLBACK", st == SW_OK ? err : &ignored);
    if (st == SW_OK && end != SW_OK) {
        schema_snapshot_free(snap);
        st = end;
    }
    return st;
}

int cmd_schema(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise schema [--db TARGET] [--table NAME] [--json]",
                           "schema takes no arguments (got '%s')", argv[1]);
    sw_error err = {0};
    db_target target;
    db *d = NULL;
    history_table table = {0};
    schema_snapshot snap = {0};
    sw_status st = open_target(opts, DB_OPEN_EXISTING, &target, &d, &err);
    if (st == SW_OK)
        st = history_table_init(d, opts->table, &table, &err);
    if (st == SW_OK)
        st = take(d, &table, &snap, &err);
    history_table_free(&table);
    db_close(d);
    db_target_free(&target);
    if (st != SW_OK)
        return st == SW_USAGE ? usage_error(NULL, "%s", err.message) : report_error(&err);
    char *text = opts->json ? schema_snapshot_json(&snap) : schema_snapshot_text(&snap);
    fputs(text, stdout);
    free(text);
    schema_snapshot_free(&snap);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "stepwise: cannot write the snapshot to standard output\n");
        return SW_FAILED;
    }
    return SW_OK;
}
