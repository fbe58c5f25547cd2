/* Applying and rolling back migrations (DESIGN.md §4): the SQL each one
 * sends, the checks made before anything runs, the migration lock, and
 * a step interface (start, poll with a timeout, cancel, result) so that a
 * caller can keep drawing and watching locks while the server works. */
#ifndef STEPWISE_APPLY_H
#define STEPWISE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/error.h"
#include "core/history.h"
#include "core/plan.h"
#include "core/sqlparse.h"

#define APPLY_DEFAULT_LOCK_TIMEOUT "3s"

typedef struct run_settings {
    const char *lock_timeout;      /* NULL: APPLY_DEFAULT_LOCK_TIMEOUT; a file's directive wins */
    const char *statement_timeout; /* NULL: none set */
    double wait_lock;              /* seconds to wait for the migration lock; 0: fail at once */
    const char *audit_path;        /* the local JSON-lines file; NULL: none */
    audit_actor actor;             /* os user and host; db_user filled by runner_open */
    bool snapshot_each;            /* after runner_backup: a snapshot before every migration,
                                      not only before no-transaction ones (15 to 25 ms each:
                                      for runs a person watches, not for 1000 light ones) */
} run_settings;

/* What one migration sends, prepared and checked before anything runs. */
typedef struct migration_run {
    const migration *m;
    const migration_script *script; /* up or down */
    bool down;
    bool transactional;
    char *lock_timeout;       /* as set, e.g. "3s" (PostgreSQL only) */
    char *statement_timeout;  /* NULL when none */
    sql_script parsed;        /* the script's statements */
    /* The text of DESIGN.md §4, exactly as sent. Transactional: the whole
     * transaction. No-transaction: the statements, each sent on its own,
     * between the history writes shown as comments. */
    char *sql;
    size_t script_offset;     /* where the script begins inside sql */
    size_t prefix_statements; /* statements sent with the script, before it (PostgreSQL:
                                 BEGIN, SET ...; SQLite: none, the script goes alone) */
    size_t history_offset;    /* transactional: where the history and events rows begin
                                 inside sql (after the script) */
    size_t commit_offset;     /* transactional: where the final "COMMIT;\n" begins */
} migration_run;

/* Prepare one step: refuses (SW_USAGE, nothing run) a script that does
 * not parse (file:line:col), BEGIN/COMMIT in a transactional script, a
 * statement that cannot run in a transaction without the no-transaction
 * directive, a rollback without a down script, a missing file. */
sw_status migration_run_prepare(db *d, const history_table *t, const run_settings *rs,
                                const plan_step *step, const char *actor_text, migration_run *out,
                                sw_error *err);
void migration_run_free(migration_run *r);

/* "file:line:col: message" for statement `statement` of the script, at the
 * 1-based character `position` of the statement's own text as the server
 * reported it (0: the statement's start). Newly allocated. */
char *migration_run_locate(const migration_run *run, size_t statement, int position,
                           const char *message);

typedef struct runner runner;

/* Open the work connection to `t` (kept by pointer: it must outlive the
 * runner) (application_name "stepwise migrate" on
 * PostgreSQL, so the lock monitor knows it), take the migration lock
 * (PostgreSQL: pg_try_advisory_lock on a connection of its own, held
 * until runner_close; a holder is named with pid, user, host and since
 * when; SQLite: each migration's BEGIN IMMEDIATE). With `create`, a
 * SQLite file that does not exist is created (tables are not: see
 * runner_create_history). SW_LOCKED when the lock is held. */
sw_status runner_open(const db_target *t, const char *table, const run_settings *rs, bool create,
                      runner **out, sw_error *err);
void runner_close(runner *r);
/* Create the history and events tables if they are not there: the first
 * change, made only once the operator has confirmed it. */
sw_status runner_create_history(runner *r, sw_error *err);
db *runner_db(runner *r);
const history_table *runner_table(runner *r);
const char *runner_actor(runner *r);

typedef enum run_outcome {
    RUN_OK,
    RUN_FAILED,        /* an error: rolled back (transactional) or left dirty */
    RUN_LOCK_TIMEOUT,  /* lock_timeout: rolled back */
    RUN_ABORTED,       /* cancelled by the operator: rolled back */
    RUN_SKIPPED,       /* SQLite: another runner applied it meanwhile */
} run_outcome;

typedef struct run_progress {
    double elapsed;         /* seconds since the migration started */
    size_t statement;       /* 0-based statement of the script being run */
    size_t statements;      /* how many the script has */
    bool waiting;           /* the work session waits on a lock right now */
    char *blockers;         /* who it waits for, one line per session, or NULL */
    bool paused;            /* RUN_STEP: `statement` is next, nothing runs until
                               runner_continue (or runner_stop) */
    bool held;              /* RUN_HOLD: every statement and the history rows are
                               done, the transaction is open, nothing runs until
                               runner_commit (or runner_stop) */
} run_progress;

typedef struct run_result {
    run_outcome outcome;
    double seconds;
    char *message;          /* the error, located: "file:line:col: ERROR: ..." */
    char *blockers;         /* lock timeout: who blocked, as seen at that moment */
    long long rows;         /* rows affected by the last statement */
    size_t steps_done;      /* no-transaction: statements done */
    char *hint;             /* e.g. the DROP INDEX CONCURRENTLY for an invalid index */
    bool schema_checked;    /* after a failure: the schema was compared with the
                               latest snapshot of the run */
    char *compared_with;    /* NULL: that snapshot was taken just before the migration.
                               Otherwise it is older and this names it: "the snapshot
                               taken before the run (PATH), not with one taken just
                               before 0005" */
    char *committed_since;  /* ... and the migrations this run committed after it:
                               "0004" or "0003..0004, 2 migrations" */
    char *remains;          /* what differs (schema_diff_text), NULL when nothing does;
                               with compared_with, the committed migrations' changes too */
} run_result;

/* Start one migration (prepared); the work runs on the server. */
sw_status runner_start(runner *r, migration_run *run, size_t resume_from, sw_error *err);

/* How runner_start_ex runs a migration: an or of these (0: as runner_start). */
enum run_flags {
    /* Transactional: stop before COMMIT, with the statements and the history
     * and events rows done inside the still-open transaction (the commit
     * gate); runner_commit or runner_stop ends it. A snapshot is taken just
     * before the migration (after runner_backup), as with snapshot_each, so
     * that runner_gate_diff shows this migration's changes alone. No effect
     * on a no-transaction migration. */
    RUN_HOLD = 1,
    /* Pause before each statement of the script until runner_continue.
     * Transactional: BEGIN and the SETs are sent first, then each statement
     * on its own, then the history rows (then COMMIT, or the hold).
     * No-transaction: the dirty marker is written first, as always. */
    RUN_STEP = 2,
};
sw_status runner_start_ex(runner *r, migration_run *run, size_t resume_from, unsigned flags,
                          sw_error *err);
/* RUN_STEP, while paused: send the next statement. SW_USAGE (nothing done)
 * when not paused; a statement that cannot be sent (the connection is
 * gone) ends the migration RUN_FAILED, which the next runner_poll says. */
sw_status runner_continue(runner *r, sw_error *err);
/* RUN_HOLD, while held: send COMMIT. runner_poll says done once the
 * server has answered (on SQLite, at the next runner_poll), and
 * runner_result gives RUN_OK (RUN_FAILED with the server's message if the
 * commit itself failed). SW_USAGE (nothing done) when not held. */
sw_status runner_commit(runner *r, sw_error *err);
/* While paused or held, end the migration without going on: a
 * transactional one is rolled back; a no-transaction one keeps the
 * statements done and stays dirty (steps_done says how far). The next
 * runner_poll says done and runner_result gives RUN_ABORTED with `why`
 * as its message (e.g. "rolled back at the commit gate by the operator"),
 * audited as operator_abort, with the schema checked as after a failure
 * (run_result.remains). SW_USAGE (nothing done) when neither paused nor
 * held: a running statement is stopped with runner_cancel. */
sw_status runner_stop(runner *r, const char *why, sw_error *err);
/* The work session's backend pid (PostgreSQL; 0 on SQLite): how the lock
 * monitor's snapshot finds the migration. */
int runner_work_pid(runner *r);
/* While held (or paused): the schema as the open transaction sees it,
 * compared with the latest snapshot (runner_backup; with RUN_HOLD or
 * snapshot_each, one taken just before this migration). *diff:
 * schema_diff_text's lines, "" when nothing differs. *compared_with: NULL
 * when that snapshot was taken just before this migration, else which one
 * it was (as in run_result). Read inside a savepoint on PostgreSQL, so
 * that a failed read (a statement_timeout) leaves the transaction whole.
 * SW_USAGE when no snapshot was taken (runner_backup first), or while a
 * statement runs. */
sw_status runner_gate_diff(runner *r, char **diff, char **compared_with, sw_error *err);
/* The locks the work session holds now, one line each, strongest first:
 * "AccessExclusiveLock on public.books" (other lock types as the monitor
 * names their objects); its own transaction ids and the system catalogs
 * are left out, as in a dry run. Read on the lock connection, so it can
 * be asked while a statement runs. SQLite: one line saying the database
 * file is write-locked, while a transactional migration runs, is paused
 * or held. "" when none. */
sw_status runner_held_locks(runner *r, char **text, sw_error *err);
/* Wait up to timeout_ms for progress; *done when the migration has
 * finished one way or the other. Looks at the locks through the lock
 * monitor every half second while a statement runs (PostgreSQL). */
sw_status runner_poll(runner *r, int timeout_ms, bool *done, run_progress *progress,
                      sw_error *err);
/* Ask the server to cancel the running statement (the migration then
 * rolls back and ends RUN_ABORTED). While paused or held, where nothing
 * runs, it is runner_stop with "cancelled by the operator". */
void runner_cancel(runner *r);
/* After *done: the outcome; the events row and the local audit line are
 * written here (after any rollback, so that they survive). */
void runner_result(runner *r, run_result *out);
void run_result_free(run_result *res);
void run_progress_free(run_progress *p);

/* Record an event (events table when possible, and the local audit
 * file); failures to record are returned for the caller to show. */
sw_status runner_audit(runner *r, const char *action, const char *version, const char *outcome,
                       const char *detail, sw_error *err);
/* The local audit file only: for a database without the events table,
 * which reading commands (a dry run) do not create. */
sw_status runner_audit_local(runner *r, const char *action, const char *version,
                             const char *outcome, const char *detail, sw_error *err);

/* Save the schema as it is now (snapshot_save into `dir`) and record an
 * audit event (action snapshot) naming the file. From then on a snapshot
 * is taken before each no-transaction migration (before every migration
 * with run_settings.snapshot_each), so that after a failure the runner can
 * say whether anything of it remains (run_result.remains); without one of
 * its own, a migration is compared with the latest snapshot and the result
 * says so (run_result.compared_with). */
sw_status runner_backup(runner *r, const char *dir, char **path, sw_error *err);

/* force V: mark applied and clean (a row from the file's checksum), or
 * with `unapplied`, remove the row. Audited. */
sw_status runner_force(runner *r, const status_entry *e, bool unapplied, sw_error *err);

/* adopt: record as applied the files that golang-migrate's or dbmate's
 * schema_migrations says are applied (checksums from the files,
 * applied_by saying adopted); golang-migrate's dirty version is recorded
 * dirty. Refused when the stepwise history already has rows. Versions
 * recorded there without a file are listed in *skipped (newly allocated,
 * "" when none). Audited. */
sw_status runner_adopt(runner *r, const migration_source *src, const history_data *h,
                       size_t *adopted, char **skipped, sw_error *err);

#endif
