/* Dry runs (issue 6 §3): run migrations' statements one by one inside a
 * transaction that is rolled back, and note after each statement its
 * duration, the rows it touched and the locks the session then holds
 * (PostgreSQL), beside the locks the analysis predicted; snapshot the
 * schema before and after, and diff. Nothing is written: the history,
 * the schema and the data are as before when the dry run ends.
 *
 * A no-transaction migration cannot be rolled back: on a shadow database
 * (a staging copy) it is run for real instead, then put back with its
 * down script, and the schema compared with the one the shadow began with
 * (dry_run_start_committed).
 *
 * Like the runner, it is a step interface (start, poll with a timeout,
 * cancel, finish) so that a screen can keep drawing while a statement
 * runs; the catalog reads between statements (locks, snapshots) are
 * short synchronous queries. */
#ifndef STEPWISE_DRYRUN_H
#define STEPWISE_DRYRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/apply.h"
#include "core/db.h"
#include "core/diff.h"
#include "core/error.h"
#include "core/history.h"
#include "core/locks.h"
#include "core/schema.h"
#include "core/util.h"

#define DRY_RUN_DEFAULT_LOCK_TIMEOUT "1s"

/* One lock the session held after a statement (pg_locks of its own pid,
 * virtualxid and transactionid entries and the catalogs left out). */
typedef struct dry_lock {
    char *locktype;       /* "relation", "object", "advisory", ... */
    char *object;         /* "public.orders"; for other lock types the
                             object described; "relation 16384 (dropped)" */
    char *relkind;        /* "table", "index", "sequence", ...; NULL when not a relation */
    unsigned oid;         /* the relation's OID, 0 when not a relation */
    lock_mode mode;
    bool granted;
    bool new_relation;    /* created during the dry run (gone after the rollback) */
} dry_lock;

/* The analysis against what happened, per relation a statement locks. */
typedef enum lock_verdict {
    LOCK_AS_PREDICTED,    /* the predicted mode is the one taken */
    LOCK_ALREADY_HELD,    /* predicted, and an earlier statement already held it */
    LOCK_WEAKER,          /* taken in a weaker mode than predicted (or not at all) */
    LOCK_STRONGER,        /* taken in a stronger mode than predicted */
    LOCK_UNPREDICTED,     /* a table the analysis did not name */
} lock_verdict;

typedef struct dry_lock_check {
    char *relation;       /* qualified, as the server names it */
    lock_mode predicted;  /* LOCK_NONE when the analysis did not name it */
    lock_mode taken;      /* strongest mode held after the statement */
    lock_verdict verdict;
    bool mismatch;        /* the verdict is a disagreement worth a flag */
} dry_lock_check;

typedef struct dry_statement {
    size_t migration;     /* index of its migration in the dry run: runs[i], then
                             (committed) undo[k] as nruns + k */
    size_t index;         /* 0-based statement of that migration's script */
    double seconds;
    long long rows;
    bool locks_observed;  /* false on SQLite, and for a statement run in autocommit
                             (committed): it released its locks as it ended, so only
                             the analysis' prediction can be shown */
    dry_lock *taken;      /* locks first held after this statement */
    size_t ntaken;
    dry_lock_check *checks;
    size_t nchecks;
} dry_statement;

typedef struct dry_run_result {
    bool ok;              /* every statement ran (then all was rolled back) */
    bool lock_timeout;    /* a statement gave up waiting for a lock */
    bool cancelled;
    char *message;        /* the failure, located: "file:line:col: ERROR: ..." */
    dry_statement *statements;
    size_t count;
    size_t mismatches;    /* lock checks that disagree with the analysis */
    bool have_diff;       /* the snapshots were taken (ok, or committed and past runs[]) */
    schema_snapshot before, after;
    schema_diff diff;     /* before the focused migration .. after the last */
    /* Committed (dry_run_start_committed) only: */
    bool committed;       /* the migrations ran for real: the shadow was changed */
    size_t undo_ran;      /* put-back migrations started (undo[0..undo_ran)) */
    bool have_remains;    /* the schema at the end was compared with the start */
    schema_snapshot start, end; /* start: when focus > 0 (else `before` is the start);
                                   end: when anything ran after `after` */
    schema_diff remains;  /* the start .. the end: what was not put back */
    bool restored;        /* have_remains and nothing remains */
    double seconds;       /* the whole dry run */
} dry_run_result;

typedef struct dry_run dry_run;

/* Start a dry run of `runs` (prepared with migration_run_prepare, in
 * order) on `d`, which must be outside any transaction. The migrations
 * before `focus` run first, so that the one in focus sees the schema it
 * will really meet; the diff covers runs[focus..]. Every run must be
 * transactional: a no-transaction migration cannot be rolled back, which
 * is SW_USAGE here, naming it and --shadow, with nothing run.
 * `lock_timeout` NULL: 1 s. */
sw_status dry_run_start(db *d, const history_table *t, migration_run *runs, size_t nruns,
                        size_t focus, const char *lock_timeout, dry_run **out, sw_error *err);
/* The dry run of migrations that cannot all be rolled back, for a shadow
 * database only (a staging copy, never the target): they run for real,
 * each transactional one in a transaction of its own that is committed,
 * each no-transaction one statement by statement in autocommit, as the
 * real run does; the diff covers runs[focus..] as above. Then `undo`
 * (prepared, in order: the reverse scripts of runs[] from the last one
 * back) runs the same way to put the shadow back, and the schema at the
 * end is compared with the one it began with (remains, restored). The
 * history is never written: the shadow does not record the migrations as
 * applied. After a failure nothing more runs (a down script expects its
 * migration whole); the comparison then shows what was left. */
sw_status dry_run_start_committed(db *d, const history_table *t, migration_run *runs,
                                  size_t nruns, size_t focus, migration_run *undo, size_t nundo,
                                  const char *lock_timeout, dry_run **out, sw_error *err);
/* Wait up to timeout_ms; *done when the dry run has ended (rolled back). */
sw_status dry_run_poll(dry_run *dr, int timeout_ms, bool *done, sw_error *err);
/* The statement running now and since when (for a progress line); `run`
 * counts on into undo[] as dry_statement.migration does. */
void dry_run_progress(const dry_run *dr, size_t *run, size_t *statement, double *elapsed);
/* Ask the server to cancel the running statement; the dry run then ends
 * rolled back (committed: nothing more runs) with `cancelled`. */
void dry_run_cancel(dry_run *dr);
/* After *done: the result (moved out), and the dry run freed. */
void dry_run_finish(dry_run *dr, dry_run_result *out);
void dry_run_result_free(dry_run_result *res);

/* The audit event of a dry run (action dry_run): its outcome ("ok",
 * "aborted", "lock_timeout", "failed") and the head of its detail
 * ("2 migrations, 5 statements, 0 lock mismatches; schema: ..."), the same
 * from the command line and the console. */
const char *dry_run_outcome(const dry_run_result *res);
void dry_run_summary(strbuf *sb, size_t migrations, const dry_run_result *res);

const char *lock_verdict_name(lock_verdict v);

#endif
