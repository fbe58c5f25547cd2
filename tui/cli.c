/* Global options, the subcommand table (one list drives dispatch, --help
 * and the unknown-command hint), and the line-output commands. */
#include "config.h"

#include "tui/cli.h"

#include <curses.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tui/commands.h"
#include "tui/console.h"
#include "core/version.h"

typedef int (*command_fn)(const cli_options *opts, int argc, char **argv);

typedef struct command {
    const char *name;
    const char *args;
    const char *summary;
    command_fn run;
} command;

static int cmd_shell(const cli_options *opts, int argc, char **argv);

static const command commands[] = {
    {"status", "", "list applied, pending, dirty and drifted versions", cmd_status},
    {"plan", "[up|down|goto V]", "the SQL they would send", cmd_plan},
    {"up", "", "apply pending migrations (-n N, --to V)", cmd_up},
    {"down", "", "roll back applied migrations (default one)", cmd_up},
    {"goto", "VERSION", "apply or roll back to VERSION", cmd_up},
    {"redo", "", "roll back the latest migration and apply it again", cmd_up},
    {"resume", "", "finish a dirty no-transaction migration", cmd_up},
    {"preflight", "", "the checks made before up, down and goto", cmd_preflight},
    {"lint", "[FILE...]", "lock-safety findings, predicted locks", cmd_lint},
    {"diff", "VERSION", "dry run: schema diff, locks taken (--down)", cmd_diff},
    {"schema", "", "the schema as canonical text (--json)", cmd_schema},
    {"locks", "", "lock waits and the blocking tree", cmd_locks},
    {"history", "", "the audit trail, newest first (-n N)", cmd_history},
    {"force", "VERSION", "record VERSION applied and clean (--unapplied: remove)", cmd_force},
    {"adopt", "", "take over golang-migrate's or dbmate's history", cmd_adopt},
    {"new", "NAME", "create the next migration file", cmd_new},
    {"demo", "", "the console on a fresh SQLite demo, with a walkthrough", cmd_demo},
    {"lab", "", "a PostgreSQL lock lab (--scenario NAME, --cleanup)", cmd_lab},
    {"info", "", "the target database, how it was chosen, its server", cmd_info},
    {"shell", "", "the console in line mode (libedit), same commands", cmd_shell},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int cmd_shell(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise shell", "shell takes no arguments ('%s')", argv[1]);
    return shell_main(opts, NULL);
}

static void print_version(void)
{
    char *libs = version_libraries();
    printf("stepwise %s\n%s, %s\n", PACKAGE_VERSION, libs, curses_version());
    free(libs);
}

static void print_help(void)
{
    printf("stepwise %s: supervised database schema migrations\n"
           "\n"
           "Usage: stepwise [OPTION...] [COMMAND [ARG...]]\n"
           "\n"
           "Without a command, stepwise opens the console.\n"
           "\n"
           "Commands:\n",
           PACKAGE_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char *left = xasprintf("%s %s", commands[i].name, commands[i].args);
        printf("  %-22s %s\n", left, commands[i].summary);
        free(left);
    }
    printf("\n"
           "Options:\n"
           "  -d, --db TARGET   PostgreSQL conninfo or URI, sqlite:PATH, or a file\n"
           "                    ending in .db, .sqlite or .sqlite3; default\n"
           "                    $STEPWISE_DB, then $DATABASE_URL, then libpq's\n"
           "                    environment (PGHOST, PGDATABASE, service, .pgpass)\n"
           "      --dir DIR     migrations folder (default ./migrations, else\n"
           "                    ./db/migrations)\n"
           "      --table NAME  history table (default stepwise_history)\n"
           "      --json        machine-readable output from reading commands\n"
           "  -y, --yes         do not ask; required to change a database\n"
           "                    when standard input is not a terminal\n"
           "      --locks       lint: the locks each statement takes\n"
           "      --strict      lint: warnings fail too (exit 1)\n"
           "      --rules       lint: list the rules\n"
           "      --watch[=S]   locks: refresh every S seconds (default 2)\n"
           "      --min-wait D  locks: only waits longer than D (500ms, 2s, 1min)\n"
           "      --dbname N    locks: only sessions of database N\n"
           "      --cancel PID, --terminate PID\n"
           "                    locks: cancel the query of, or end, session PID\n"
           "  -n N              up, down: at most N migrations; history: N events\n"
           "      --to V        up: up to V; down: roll back everything above V\n"
           "      --lock-timeout D       per migration (default 3s; a file's\n"
           "                             -- stepwise:lock-timeout wins);\n"
           "                             per statement of a dry run (default 1s)\n"
           "      --statement-timeout D  per migration (default none)\n"
           "      --lock-retries N       retry a migration that hit lock_timeout\n"
           "                             N times, pausing 2 s, 4 s, 8 s...\n"
           "      --wait-lock D          wait up to D for another run's migration lock\n"
           "      --confirm-db NAME      the database name, for a target that is\n"
           "                             not local (asked on a terminal otherwise)\n"
           "      --allow-drift, --allow-out-of-order\n"
           "                    let those preflight failures through\n"
           "      --unapplied   force: remove the history row instead\n"
           "      --confirm-version V    force: the version, without a terminal\n"
           "      --from TOOL   adopt: golang-migrate or dbmate\n"
           "      --down        diff: dry-run the rollback of VERSION\n"
           "      --dry-run     plan: run the plan in a transaction that is rolled\n"
           "                    back; show the schema diff and the locks taken\n"
           "      --shadow DB   diff, plan --dry-run: on DB (a staging copy) instead\n"
           "      --snapshot-each        up, down, goto: a schema snapshot before\n"
           "                             every migration (default when each is asked)\n"
           "      --max-hold D  console: with sessions queued behind a migration's\n"
           "                    open transaction, the commit gate rolls back by\n"
           "                    itself after D if nobody decides (default 30s)\n"
           "      --scenario S  lab: blocker, lock-timeout, failed-index or deadlock\n"
           "                    (default blocker)\n"
           "      --orders N    lab: orders loaded (default 200000)\n"
           "      --cleanup     lab: drop the scratch databases a crashed lab left\n"
           "  -h, --help        this help\n"
           "  -V, --version     versions of stepwise and its libraries\n"
           "\n"
           "Exit status: 0 success; 1 a migration failed and was rolled back (or a\n"
           "command failed); 2 usage or bad input, nothing ran; 3 cannot reach the\n"
           "database, migration lock held, or lock timeout; 4 a migration is dirty;\n"
           "130 stopped by the operator (Ctrl-C). See stepwise(1).\n");
}

/* Edit distance, for "did you mean" on a mistyped command (also the
 * prompt's, commands.h). */
size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(b);
    size_t *row = xcalloc(n + 1, sizeof *row);
    for (size_t j = 0; j <= n; j++)
        row[j] = j;
    for (size_t i = 1; *a; a++, i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t above = row[j];
            size_t cost = diagonal + (*a == b[j - 1] ? 0 : 1);
            size_t best = above + 1 < row[j - 1] + 1 ? above + 1 : row[j - 1] + 1;
            row[j] = cost < best ? cost : best;
            diagonal = above;
        }
    }
    size_t d = row[n];
    free(row);
    return d;
}

int usage_error(const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    char *shown = text_escaped(msg);
    fprintf(stderr, "stepwise: %s\n%s\n", shown, hint ? hint : "Try 'stepwise --help'.");
    free(shown);
    free(msg);
    return SW_USAGE;
}

static int unknown_command(const char *name)
{
    const command *best = NULL;
    size_t best_distance = 3; /* suggest only close matches */
    for (size_t i = 0; i < N_COMMANDS; i++) {
        size_t d = edit_distance(name, commands[i].name);
        if (d < best_distance) {
            best_distance = d;
            best = &commands[i];
        }
    }
    if (best) {
        char *hint = xasprintf("Did you mean 'stepwise %s'? See 'stepwise --help'.", best->name);
        int rc = usage_error(hint, "unknown command '%s'", name);
        free(hint);
        return rc;
    }
    return usage_error("Try 'stepwise --help' for the list of commands.", "unknown command '%s'",
                       name);
}

int report_error(const sw_error *err)
{
    char *shown = text_escaped(err->message);
    fprintf(stderr, "stepwise: %s\n", shown);
    free(shown);
    return err->status;
}

sw_status open_target(const cli_options *opts, unsigned flags, db_target *target, db **out,
                             sw_error *err)
{
    sw_status st = db_target_resolve(opts->db, getenv("STEPWISE_DB"), getenv("DATABASE_URL"),
                                     target, err);
    if (st != SW_OK)
        return st;
    return db_open(target, flags, out, err);
}

enum {
    OPT_DIR = 256,
    OPT_TABLE,
    OPT_JSON,
    OPT_LOCKS,
    OPT_STRICT,
    OPT_RULES,
    OPT_WATCH,
    OPT_MIN_WAIT,
    OPT_DBNAME,
    OPT_CANCEL,
    OPT_TERMINATE,
    OPT_TO,
    OPT_LOCK_TIMEOUT,
    OPT_STATEMENT_TIMEOUT,
    OPT_LOCK_RETRIES,
    OPT_WAIT_LOCK,
    OPT_CONFIRM_DB,
    OPT_CONFIRM_VERSION,
    OPT_ALLOW_DRIFT,
    OPT_ALLOW_OUT_OF_ORDER,
    OPT_UNAPPLIED,
    OPT_FROM,
    OPT_DOWN,
    OPT_DRY_RUN,
    OPT_SHADOW,
    OPT_SNAPSHOT_EACH,
    OPT_MAX_HOLD,
    OPT_SCENARIO,
    OPT_ORDERS,
    OPT_CLEANUP,
};

int cli_main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"db", required_argument, NULL, 'd'},
        {"dir", required_argument, NULL, OPT_DIR},
        {"table", required_argument, NULL, OPT_TABLE},
        {"json", no_argument, NULL, OPT_JSON},
        {"locks", no_argument, NULL, OPT_LOCKS},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"rules", no_argument, NULL, OPT_RULES},
        {"watch", optional_argument, NULL, OPT_WATCH},
        {"min-wait", required_argument, NULL, OPT_MIN_WAIT},
        {"dbname", required_argument, NULL, OPT_DBNAME},
        {"cancel", required_argument, NULL, OPT_CANCEL},
        {"terminate", required_argument, NULL, OPT_TERMINATE},
        {"to", required_argument, NULL, OPT_TO},
        {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
        {"statement-timeout", required_argument, NULL, OPT_STATEMENT_TIMEOUT},
        {"lock-retries", required_argument, NULL, OPT_LOCK_RETRIES},
        {"wait-lock", required_argument, NULL, OPT_WAIT_LOCK},
        {"confirm-db", required_argument, NULL, OPT_CONFIRM_DB},
        {"confirm-version", required_argument, NULL, OPT_CONFIRM_VERSION},
        {"allow-drift", no_argument, NULL, OPT_ALLOW_DRIFT},
        {"allow-out-of-order", no_argument, NULL, OPT_ALLOW_OUT_OF_ORDER},
        {"unapplied", no_argument, NULL, OPT_UNAPPLIED},
        {"from", required_argument, NULL, OPT_FROM},
        {"down", no_argument, NULL, OPT_DOWN},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"shadow", required_argument, NULL, OPT_SHADOW},
        {"snapshot-each", no_argument, NULL, OPT_SNAPSHOT_EACH},
        {"max-hold", required_argument, NULL, OPT_MAX_HOLD},
        {"scenario", required_argument, NULL, OPT_SCENARIO},
        {"orders", required_argument, NULL, OPT_ORDERS},
        {"cleanup", no_argument, NULL, OPT_CLEANUP},
        {"yes", no_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    cli_options opts = {0};
    opterr = 0; /* our own one-line messages, not getopt's */
    int c;
    while ((c = getopt_long(argc, argv, ":d:n:yhV", long_options, NULL)) != -1) {
        switch (c) {
        case 'n':
            opts.count = optarg;
            break;
        case OPT_TO:
            opts.to = optarg;
            break;
        case OPT_LOCK_TIMEOUT:
            opts.lock_timeout = optarg;
            break;
        case OPT_STATEMENT_TIMEOUT:
            opts.statement_timeout = optarg;
            break;
        case OPT_LOCK_RETRIES:
            opts.lock_retries = optarg;
            break;
        case OPT_WAIT_LOCK:
            opts.wait_lock = optarg;
            break;
        case OPT_CONFIRM_DB:
            opts.confirm_db = optarg;
            break;
        case OPT_CONFIRM_VERSION:
            opts.confirm_version = optarg;
            break;
        case OPT_ALLOW_DRIFT:
            opts.allow_drift = true;
            break;
        case OPT_ALLOW_OUT_OF_ORDER:
            opts.allow_out_of_order = true;
            break;
        case OPT_UNAPPLIED:
            opts.unapplied = true;
            break;
        case OPT_FROM:
            opts.from = optarg;
            break;
        case OPT_DOWN:
            opts.down = true;
            break;
        case OPT_DRY_RUN:
            opts.dry_run = true;
            break;
        case OPT_SHADOW:
            opts.shadow = optarg;
            break;
        case OPT_SNAPSHOT_EACH:
            opts.snapshot_each = true;
            break;
        case OPT_MAX_HOLD:
            opts.max_hold = optarg;
            break;
        case OPT_SCENARIO:
            opts.scenario = optarg;
            break;
        case OPT_ORDERS:
            opts.orders = optarg;
            break;
        case OPT_CLEANUP:
            opts.cleanup = true;
            break;
        case 'd':
            opts.db = optarg;
            break;
        case OPT_DIR:
            opts.dir = optarg;
            break;
        case OPT_TABLE:
            opts.table = optarg;
            break;
        case OPT_JSON:
            opts.json = true;
            break;
        case OPT_LOCKS:
            opts.locks = true;
            break;
        case OPT_STRICT:
            opts.strict = true;
            break;
        case OPT_RULES:
            opts.rules = true;
            break;
        case OPT_WATCH:
            opts.watch = optarg ? optarg : "";
            break;
        case OPT_MIN_WAIT:
            opts.min_wait = optarg;
            break;
        case OPT_DBNAME:
            opts.dbname = optarg;
            break;
        case OPT_CANCEL:
            opts.cancel = optarg;
            break;
        case OPT_TERMINATE:
            opts.terminate = optarg;
            break;
        case 'y':
            opts.yes = true;
            break;
        case 'h':
            print_help();
            return SW_OK;
        case 'V':
            print_version();
            return SW_OK;
        case ':':
            return usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
        case '?':
        default:
            if (optopt && optopt < 256)
                return usage_error(NULL, "unknown option '-%c'", optopt);
            return usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
        }
    }

    if (optind >= argc)
        return console_main(&opts);
    const char *name = argv[optind];
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        return commands[i].run(&opts, argc - optind, argv + optind);
    }
    return unknown_command(name);
}
