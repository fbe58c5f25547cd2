/* The lock monitor: live sessions from pg_stat_activity, the heavyweight
 * lock each waiting session wants, its blockers from pg_blocking_pids()
 * (asked only for waiting sessions), and the blocking tree built here in
 * C. Works on its own connection with short timeouts so it can never
 * queue behind the locks it watches. */
#ifndef STEPWISE_MONITOR_H
#define STEPWISE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/db.h"
#include "core/error.h"

/* application_name of the monitor's own connection, and the prefix that
 * marks a stepwise session doing a migration. */
#define MONITOR_APPLICATION "stepwise monitor"
#define MONITOR_MIGRATION_PREFIX "stepwise migrate"

typedef struct monitor_session {
    int pid;                /* 0 for a prepared transaction (see gid) */
    char *gid;              /* prepared transaction's gid, else NULL */
    char *user, *database, *application, *client, *backend_type, *state;
    double xact_age;        /* seconds since xact_start; < 0 when none */
    double query_age;       /* seconds since query_start; < 0 when none */
    double state_age;       /* seconds since state_change; < 0 when none */
    char *wait_event_type, *wait_event;
    char *backend_xid, *backend_xmin;
    char *query;            /* control characters already escaped */

    bool idle_in_transaction;
    bool autovacuum;
    bool wraparound;        /* autovacuum "(to prevent wraparound)" */
    bool migration;         /* a stepwise session applying a migration */

    /* When waiting on a heavyweight lock (wait_event_type 'Lock'): */
    bool waiting;
    char *lock_type;        /* relation, transactionid, tuple, advisory, object, ... */
    char *wanted_mode;      /* "AccessExclusiveLock" as in pg_locks.mode */
    char *relation;         /* schema.table, quoted as needed, when a relation */
    char *target;           /* what else is waited for: "transaction 1234",
                               "tuple (0,3) of public.t", "advisory lock 42" */
    double wait_age;        /* seconds since pg_locks.waitstart; < 0 unknown
                               (always before PostgreSQL 14) */
    int *blockers;          /* pids from pg_blocking_pids(); 0 = prepared xact */
    size_t nblockers;
    /* NULL, or one entry per blocker: for a blocker 0, the gid of the
     * prepared transaction it stands for (NULL: any prepared transaction
     * in the snapshot); unused for other blockers. */
    char **blocker_gids;
} monitor_session;

/* One place in the tree: a session under the session that blocks it. A
 * session blocked by two others appears under both. */
typedef struct monitor_node {
    size_t session;         /* index into snapshot.sessions */
    size_t depth;           /* 0 for a root */
    bool cycle;             /* it blocks a session above it: a deadlock the
                               server has not detected yet; not descended */
    size_t blocked_direct;  /* sessions waiting on this one */
    size_t blocked_total;   /* ... directly or through others */
} monitor_node;

/* A relation lock held or wanted by a session (monitor_want_relation_locks). */
typedef struct monitor_relation_lock {
    int pid;
    char *relation;         /* schema.table as in monitor_session.relation */
    char *mode;             /* "AccessExclusiveLock" as in pg_locks.mode */
    bool granted;
} monitor_relation_lock;

typedef struct monitor_snapshot {
    monitor_session *sessions;
    size_t nsessions;
    /* The tree in display order (pre-order): roots, each followed by the
     * sessions under it, with depth. */
    monitor_node *nodes;
    size_t nnodes;
    size_t roots;           /* root blockers */
    size_t waiting;         /* sessions waiting on a lock */
    double oldest_wait;     /* seconds; < 0 when nobody waits */
    bool hidden;            /* some rows showed <insufficient privilege> */
    int queries;            /* round trips this refresh took (1 or 2) */
    /* Every session's relation locks in the current database, by pid then
     * relation; only when asked for with monitor_want_relation_locks. */
    monitor_relation_lock *relation_locks;
    size_t nrelation_locks;
    bool have_relation_locks;
} monitor_snapshot;

/* One lock of one session (monitor_session_locks). */
typedef struct monitor_lock {
    char *locktype;         /* relation, transactionid, virtualxid, ... */
    char *mode;
    char *object;           /* what it is on, in words: "public.t",
                               "transaction 1234", "advisory lock 42" */
    bool granted;
    bool fastpath;
} monitor_lock;

typedef struct monitor monitor;

/* Open the monitor's own connection to a PostgreSQL target: it sets
 * application_name, statement_timeout 500ms and lock_timeout 100ms. */
sw_status monitor_open(const db_target *target, monitor **out, sw_error *err);
/* monitor_open, but choosing the queries for server version version_num
 * (as server_version_num: 130000 for 13) instead of the server's own;
 * 0 means the server's own. For tests: it runs the query for servers
 * before 14, which have no pg_locks.waitstart (wait ages are then
 * unknown, < 0), against a newer server. */
sw_status monitor_open_as_version(const db_target *target, int version_num, monitor **out,
                                  sw_error *err);
void monitor_close(monitor *m);
/* The monitor's own backend pid (excluded from snapshots). */
int monitor_pid(const monitor *m);

/* One refresh: one round trip when nobody waits, two when some do. A
 * refresh that times out fails with a message saying so; the caller tries
 * again at its next tick, never in a loop. */
sw_status monitor_refresh(monitor *m, monitor_snapshot *out, sw_error *err);
void monitor_snapshot_free(monitor_snapshot *s);

/* Whether the next refreshes also read every session's relation locks
 * (one more round trip each; off by default). */
void monitor_want_relation_locks(monitor *m, bool on);

/* The locks backend pid holds or waits for, waited-for first, relation
 * names resolved; text from the server escaped. */
sw_status monitor_session_locks(monitor *m, int pid, monitor_lock **out, size_t *count,
                                sw_error *err);
void monitor_locks_free(monitor_lock *locks, size_t count);

/* Build nodes, roots, counts from sessions (with their blockers). Pure:
 * monitor_refresh calls it, and tests call it on made-up sessions. */
void monitor_build_tree(monitor_snapshot *s);

/* Set a session's flags (idle_in_transaction, autovacuum, wraparound,
 * migration) from its state, backend_type, query and application. Pure:
 * monitor_refresh calls it on every session, tests on made-up ones. */
void monitor_session_flags(monitor_session *s);

/* The session with this pid in a snapshot, or NULL. */
const monitor_session *monitor_find(const monitor_snapshot *s, int pid);

/* pg_cancel_backend / pg_terminate_backend. Refuses the monitor's own
 * pid. *done tells whether the server signalled the backend. */
sw_status monitor_signal(monitor *m, int pid, bool terminate, bool *done, sw_error *err);

#endif
