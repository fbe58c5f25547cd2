/* The command line: global options, the subcommand table that also drives
 * --help, and what the commands (tui/cmd_*.c) share. */
#ifndef STEPWISE_CLI_H
#define STEPWISE_CLI_H

#include <stdbool.h>

#include "core/db.h"
#include "core/error.h"
#include "core/util.h"

typedef struct cli_options {
    const char *db;
    const char *dir;
    const char *table;
    bool json;
    bool yes;
    bool locks;   /* lint: predicted locks per statement */
    bool strict;  /* lint: warnings fail too */
    bool rules;   /* lint: list the rules */
    const char *watch;     /* locks --watch[=SECONDS]: "" for the default */
    const char *min_wait;  /* locks --min-wait DUR */
    const char *dbname;    /* locks --dbname NAME */
    const char *cancel;    /* locks --cancel PID */
    const char *terminate; /* locks --terminate PID */
    const char *to;        /* up/down --to VERSION */
    const char *count;     /* -n N */
    const char *lock_timeout;      /* --lock-timeout DUR */
    const char *statement_timeout; /* --statement-timeout DUR */
    const char *lock_retries;      /* --lock-retries N */
    const char *wait_lock;         /* --wait-lock DUR */
    const char *confirm_db;        /* --confirm-db NAME */
    const char *confirm_version;   /* force --confirm-version V */
    bool allow_drift;
    bool allow_out_of_order;
    bool unapplied;                /* force --unapplied */
    const char *from;              /* adopt --from golang-migrate|dbmate */
    bool down;                     /* diff --down: the rollback */
    bool dry_run;                  /* plan --dry-run */
    const char *shadow;            /* diff/plan --dry-run --shadow DB */
    bool snapshot_each;            /* up/down/goto: a schema snapshot before every migration */
    const char *max_hold;          /* console: --max-hold DUR at the commit gate */
    bool walkthrough;              /* console: the guide's hints shown from the start */
    const char *scenario;          /* lab --scenario NAME; console: that scenario's hints */
    const char *orders;            /* lab --orders N */
    bool cleanup;                  /* lab --cleanup */
    const char *briefing;          /* console: a text shown first (the lab's briefing) */
    const char *briefing_title;
} cli_options;

/* Parse argv, run the command, return the exit status (stepwise.1). */
int cli_main(int argc, char **argv);

/* "stepwise: <message>" and a hint line on stderr; returns SW_USAGE. */
int usage_error(const char *hint, const char *fmt, ...) SW_PRINTF(2, 3);
/* "stepwise: <message>" on stderr; returns the error's status. */
int report_error(const sw_error *err);
/* The target of --db and its fallbacks, opened. */
sw_status open_target(const cli_options *opts, unsigned flags, db_target *target, db **out,
                      sw_error *err);

int cmd_info(const cli_options *opts, int argc, char **argv);
int cmd_lint(const cli_options *opts, int argc, char **argv);
int cmd_locks(const cli_options *opts, int argc, char **argv);
int cmd_status(const cli_options *opts, int argc, char **argv);
int cmd_plan(const cli_options *opts, int argc, char **argv);
int cmd_up(const cli_options *opts, int argc, char **argv); /* also down, goto, redo, resume */
int cmd_force(const cli_options *opts, int argc, char **argv);
int cmd_history(const cli_options *opts, int argc, char **argv);
int cmd_preflight(const cli_options *opts, int argc, char **argv);
int cmd_adopt(const cli_options *opts, int argc, char **argv);
int cmd_diff(const cli_options *opts, int argc, char **argv); /* also plan --dry-run */
int cmd_new(const cli_options *opts, int argc, char **argv);
int cmd_schema(const cli_options *opts, int argc, char **argv);
/* The sample migrations folder `which` ("demo", "lab"), in this order:
 * --dir; the installed copy (pkgdatadir); ./migrations/WHICH; the source
 * tree's, for a build run uninstalled from elsewhere. NULL, with the
 * folders tried appended to `tried`, when none is there. */
char *sample_dir(const cli_options *opts, const char *which, strbuf *tried);
int cmd_demo(const cli_options *opts, int argc, char **argv);
int cmd_lab(const cli_options *opts, int argc, char **argv);

#endif
