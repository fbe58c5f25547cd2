/* What the migration commands share (cmd_migrate.c, cmd_dryrun.c). */
#ifndef STEPWISE_TUI_MIGRATE_H
#define STEPWISE_TUI_MIGRATE_H

#include <stdbool.h>

#include "core/apply.h"
#include "core/history.h"
#include "core/plan.h"
#include "core/source.h"
#include "tui/cli.h"

/* What every migration command reads first. */
typedef struct context {
    char *dir;
    migration_source src;
    db_target target;
    bool have_target;
    db *d;                 /* reading connection (status, plan, history) */
    runner *run;           /* changing commands: work + lock connections */
    history_table table;   /* for reading commands */
    bool have_table;
    history_data hist;
    migration_status status;
} context;

void context_free(context *c);
/* Read the folder; problems go to stderr, errors stop with exit 2. */
int load_source(const cli_options *opts, context *c);
/* Folder, target, history and states, on a reading connection. */
int load_read(const cli_options *opts, context *c);
/* The runner (work and lock connections, the migration lock) on the
 * target, or on `shadow` (a staging copy) when given, and the history and
 * states read under the lock. `create`: a SQLite file may be created. */
int open_runner(const cli_options *opts, context *c, const run_settings *rs, const char *shadow,
                bool create);
/* An error's message on stderr with its exit status (usage: 2). */
int fail_with(const sw_error *err);

/* On stdout, control characters escaped (print_sql keeps the lines). */
void print_escaped(const char *s);
void print_sql(const char *s);

bool parse_count(const char *text, long *out);
/* The plan a changing command asks for; argv[0] is the command ("plan"
 * followed by up, down or goto VERSION, or one of those). */
int make_plan(const cli_options *opts, const context *c, int argc, char **argv, plan *p);

/* Timeouts and waits from the options, the OS actor and the audit file. */
run_settings settings_from(const cli_options *opts, sw_error *err, bool *ok);
void settings_free(run_settings *rs);

/* One answer from the terminal through libedit; NULL on end of input. */
char *ask(const char *prompt);
/* The production guard (see migrate.c). */
int confirm_target(const cli_options *opts, db *d, const db_target *target, bool tty,
                   const char *why);

#endif
