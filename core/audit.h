/* The audit trail: one JSON line per event (a backend cancelled or
 * terminated, and later migrations) appended to
 * $XDG_STATE_HOME/stepwise/audit.jsonl, so that who did what to which
 * session, and how it went, is on record. Core never reads the
 * environment: the caller passes XDG_STATE_HOME and HOME. */
#ifndef STEPWISE_AUDIT_H
#define STEPWISE_AUDIT_H

#include "core/error.h"

/* Who acted. No password is ever part of it. */
typedef struct audit_actor {
    const char *db_user;  /* current_user on the server, or NULL */
    const char *os_user;  /* from getpwuid(getuid()), or NULL */
    const char *host;     /* gethostname(), or NULL */
} audit_actor;

/* What happened. Strings may be NULL (written as null). */
typedef struct audit_event {
    const char *action;       /* "cancel_backend", "terminate_backend", ... */
    const char *version;      /* a migration's version; NULL here */
    const char *database;     /* the target's display form, never a password */
    int target_pid;           /* 0 when none */
    const char *target_user;  /* the pid's user at that moment */
    const char *target_query; /* the pid's query at that moment */
    const char *outcome;      /* "ok", "refused", "failed: ..." */
    const char *detail;       /* anything else worth keeping */
} audit_event;

/* Fill os_user and host from the system; the strings point into static
 * storage owned by this module (valid until the next call). */
void audit_actor_system(audit_actor *actor);

/* $XDG_STATE_HOME/stepwise/audit.jsonl when xdg_state_home is set and
 * absolute, else $HOME/.local/state/stepwise/audit.jsonl; NULL (with an
 * error) when neither can be used. Newly allocated. */
char *audit_default_path(const char *xdg_state_home, const char *home, sw_error *err);

/* The line audit_append writes (without the newline), time given as
 * milliseconds since the epoch. Newly allocated. */
char *audit_format(long long epoch_ms, const audit_actor *actor, const audit_event *event);

/* Append one line: folders created with mode 0700, the file opened with
 * O_APPEND|O_CREAT and mode 0600, the whole line in a single write().
 * Failure is SW_FAILED with a message naming the path. */
sw_status audit_append(const char *path, const audit_actor *actor, const audit_event *event,
                       sw_error *err);

/* The same file kept open for a run of events (a migration run): created
 * once, each line one write() (on disk for other readers at once, and
 * safe from the process being killed), one fsync at close; the events
 * table holds the durable copy meanwhile. */
typedef struct audit_log audit_log;
sw_status audit_log_open(const char *path, audit_log **out, sw_error *err);
sw_status audit_log_write(audit_log *l, const audit_actor *actor, const audit_event *event,
                          sw_error *err);
/* fsync and close; NULL is fine. */
sw_status audit_log_close(audit_log *l, sw_error *err);

#endif
