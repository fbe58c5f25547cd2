/* The console: what the views share (target, folder, history, the
 * monitor's latest snapshot, the background workers) and the services the
 * console gives them (messages, dialogs, a line of input, leaving curses
 * to run a command). The loop itself is in console.c. */
#ifndef STEPWISE_CONSOLE_H
#define STEPWISE_CONSOLE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/db.h"
#include "core/history.h"
#include "core/monitor.h"
#include "core/plan.h"
#include "core/source.h"
#include "tui/cli.h"
#include "tui/display.h"
#include "tui/view.h"
#include "tui/worker.h"

enum console_view {
    VIEW_MIGRATIONS,
    VIEW_LOCKS,
    VIEW_ACTIVITY,
    VIEW_HISTORY,
    VIEW_HELP,
    VIEW_TEXT, /* a page of text: a command's output, a session's detail */
    VIEW_APPLY, /* the supervised apply: plan, confirmations, live panel, gate */
    VIEW_COUNT
};

/* Refresh interval of the live views, seconds. */
#define LIVE_DEFAULT_INTERVAL 2.0
#define LIVE_MIN_INTERVAL 0.5
#define LIVE_MAX_INTERVAL 10.0

typedef struct console_settings {
    char *lock_timeout;      /* `:set lock-timeout 2s`; NULL: the default */
    char *statement_timeout;
    double refresh;          /* live views, seconds */
    double max_hold;         /* commit gate with sessions queued: seconds */
} console_settings;

/* The commit gate's default --max-hold, seconds. */
#define MAX_HOLD_DEFAULT 30.0

/* What the person did, for the hint line of the walkthrough (stepwise
 * demo) and of the lab's scenarios (tui/guide.c): each guide is a list of
 * steps, each done when its event happens, in any order; the hint line
 * shows the first step not done. */
enum walk_step {
    WALK_SELECT,   /* moved in the migrations list */
    WALK_PREVIEW,  /* Enter: the detail pane's SQL */
    WALK_LINT,     /* the Lint tab */
    WALK_DRY_RUN,  /* d in the list */
    WALK_APPLY,    /* y at a migration's confirmation */
    WALK_GATE,     /* a migration committed at the commit gate */
    WALK_STEP,     /* s: a migration run statement by statement */
    WALK_ROLLBACK, /* a rollback committed */
    WALK_HISTORY,  /* the history view */
    WALK_LOCKS_VIEW,     /* the locks view */
    WALK_ACTIVITY,       /* the activity view */
    WALK_WAITED,         /* a migration's statement waited for a lock */
    WALK_SESSION_ENDED,  /* a session was cancelled or terminated from here */
    WALK_LOCK_TIMEOUT,   /* a migration hit lock_timeout */
    WALK_FAILED,         /* a no-transaction migration failed: dirty */
    WALK_PSQL,           /* :psql was used and left */
    WALK_RESUMED,        /* a dirty migration was resumed to the end */
    WALK_COUNT
};
typedef struct guide_step {
    int event;        /* enum walk_step */
    const char *hint;
} guide_step;
typedef struct guide {
    const char *title;       /* "Walkthrough", "Lab: blocker" */
    const guide_step *steps;
    int count;
} guide;
/* The demo's walkthrough (scenario NULL) or a lab scenario's; NULL when
 * the name is not a scenario. */
const guide *guide_find(const char *scenario);
struct console {
    cli_options opts;        /* as given on the command line */
    console_settings settings;

    /* The target. */
    db_target target;
    bool target_ok;
    char *target_error;      /* why there is no target, for the screen */
    bool connected;          /* the database worker has an open connection */
    char *connect_error;
    db_server_info server;   /* valid when connected */
    bool migration_lock;     /* this session holds the migration lock */
    bool transaction_open;   /* a migration's transaction is open (quit asks) */
    bool target_confirmed;   /* a remote target's name was typed (once a session) */
    /* The supervised apply (view_apply.c): its worker owns the runner. */
    worker *apply_worker;
    int apply_pid;           /* the migration's work session, 0: none */
    bool apply_busy;         /* a run is under way: the live refresh is quicker */

    /* The database worker owns these; only its jobs touch them. */
    worker *database;
    db *conn;
    history_table table;

    /* The folder, the history and each version's state, rebuilt together
     * on the console thread when a read finishes. */
    char *dir;               /* NULL when no folder was found */
    char *dir_error;
    migration_source source;
    history_data history;
    migration_status status;
    bool status_ready;
    bool history_known;      /* the history was read: states are real, not
                                "pending" for want of a history */
    char *history_error;
    unsigned long generation; /* bumped on every reload */

    /* The audit events, newest first (history view, detail tab). */
    db_result *events;
    char *events_error;

    /* The lock monitor (PostgreSQL only): its worker owns `monitor`. */
    worker *monitor_worker;
    monitor *monitor;
    bool monitor_open;
    char *monitor_error;
    monitor_snapshot snapshot;
    bool have_snapshot;
    double snapshot_at;      /* clock_now() of the snapshot */
    double next_refresh;     /* when the next refresh is due */
    bool refresh_running;
    bool paused;
    bool want_relation_locks; /* snapshots carry every session's relation locks */

    /* The screen. */
    int view;                /* enum console_view shown now */
    int last_list_view;      /* where Esc from help/text goes back to */
    void *view_state[VIEW_COUNT];
    char *message;
    style message_style;
    double message_until;
    bool quit;
    bool too_small;

    /* The walkthrough (stepwise demo, t) or a lab scenario's hints: the
     * guide, whether its line shows, the events seen. */
    const guide *guide;
    bool walkthrough_shown;
    unsigned walkthrough_done; /* a bit per enum walk_step */

    /* A `:` command's child whose output is captured (commands.c). */
    worker *command_worker;
    pid_t command_pid;       /* 0: none running */
    int command_signals;     /* signals sent to stop it (Esc) */
};

/* The supervised apply (view_apply.c): open the apply view on a plan
 * (see enum apply_kind), unless a run is under way. */
enum apply_kind {
    APPLY_KIND_NEXT,     /* the next pending migration */
    APPLY_KIND_UP_TO,    /* every pending one up to `version` */
    APPLY_KIND_ALL,      /* every pending one */
    APPLY_KIND_DOWN,     /* roll back the latest applied */
    APPLY_KIND_GOTO,     /* up or down to `version` */
    APPLY_KIND_RESUME,   /* the dirty one, from where it stopped */
    APPLY_KIND_FORCE,    /* mark `version` applied and clean (after a dialog) */
};
void console_apply(console *c, int kind, const char *version);
/* Whether no run is under way (a new one may begin). */
bool console_apply_idle(console *c);
/* At exit: end the run (closing its connections rolls back an open
 * transaction) and stop its worker. */
void console_apply_stop(console *c);

void console_walkthrough_note(console *c, int step);

/* Set by a signal handler (stepwise lab: SIGINT, SIGTERM, SIGHUP): the
 * console leaves as soon as it sees it, as q would but without asking
 * (an open migration transaction rolls back). */
extern volatile sig_atomic_t console_stop_signal;

/* Start the console on a terminal; returns the exit status. */
int console_main(const cli_options *opts);

/* A one-line message on the status line for a few seconds. */
void console_message(console *c, style s, const char *fmt, ...) SW_PRINTF(3, 4);

/* Switch to a view (enum console_view). */
void console_show(console *c, int view);
/* Open the text view with this text (taken over) under a title. */
void console_show_text(console *c, const char *title, char *text);

/* Tell every opened view that shared data changed (an or of view_data). */
void console_data_changed(console *c, unsigned what);

/* Read the folder and the history again (in the background). */
void console_reload(console *c);
/* Read the audit events again (in the background), newest first. */
void console_reload_events(console *c);

/* Post database work to the database worker (see worker.h); run() may use
 * c->conn and c->table, nothing else of c. */
void console_post(console *c, const char *what, worker_run_fn run, worker_done_fn done, void *arg);

/* A dialog over the current view. The answer callback gets yes = true
 * when the person typed `expect` (a single key like "y", or a word like
 * the database name, then Enter), false on anything else or Esc. */
typedef void (*console_answer_fn)(console *c, void *arg, bool yes);
void console_ask(console *c, const char *title, const char *body, const char *expect,
                 console_answer_fn answer, void *arg);

/* A line of input on the status line (the `/` filter). done gets the
 * text, or NULL when cancelled with Esc. */
typedef void (*console_input_fn)(console *c, void *arg, const char *text);
void console_input(console *c, const char *label, const char *initial, console_input_fn done,
                   void *arg);

/* Leave curses to run something on the terminal, and come back. */
void console_suspend(console *c);
void console_resume(console *c);

/* The production guard's question: a PostgreSQL target that is not on
 * this host and whose name --confirm-db did not give (then the name is
 * typed before anything runs there). */
bool console_target_is_remote(const console *c);
/* Handle a request as a key would: the view first, then the console. */
void console_do(console *c, request req);

/* `:` commands (commands.c): run one line typed at the prompt. */
void console_command(console *c, const char *line);
/* Stop the running `:` command (Esc); false when there is none. */
bool console_command_cancel(console *c);
/* At exit: end the running `:` command and its worker. */
void console_command_stop(console *c);

#endif
