/* What the migration commands share (cmd_migrate.c, cmd_dryrun.c):
 * reading the folder and the history, plans, run settings, and asking
 * the person at the terminal. */
#include "config.h"

#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "tui/migrate.h"

void context_free(context *c)
{
    status_free(&c->status);
    history_free(&c->hist);
    if (c->have_table)
        history_table_free(&c->table);
    runner_close(c->run);
    db_close(c->d);
    if (c->have_target)
        db_target_free(&c->target);
    source_free(&c->src);
    free(c->dir);
    memset(c, 0, sizeof *c);
}

/* Read the folder; problems go to stderr, errors stop with exit 2. */
int load_source(const cli_options *opts, context *c)
{
    sw_error err = {0};
    if (source_find_dir(opts->dir, NULL, &c->dir, &err) != SW_OK ||
        source_read(c->dir, &c->src, &err) != SW_OK)
        return usage_error("Give the folder with --dir DIR.", "%s", err.message);
    for (size_t i = 0; i < c->src.nproblems; i++) {
        char *line = source_problem_text(&c->src, &c->src.problems[i]);
        fprintf(stderr, "%s\n", line);
        free(line);
    }
    if (c->src.errors) {
        fprintf(stderr, "stepwise: %zu problem%s in %s; nothing was run. Fix %s first.\n",
                c->src.errors, c->src.errors == 1 ? "" : "s", c->dir,
                c->src.errors == 1 ? "it" : "them");
        return SW_USAGE;
    }
    return SW_OK;
}

int fail_with(const sw_error *err)
{
    return err->status == SW_USAGE ? usage_error(NULL, "%s", err->message) : report_error(err);
}

/* Folder, target, history and states, on a reading connection. */
int load_read(const cli_options *opts, context *c)
{
    int rc = load_source(opts, c);
    if (rc != SW_OK)
        return rc;
    sw_error err = {0};
    if (open_target(opts, DB_OPEN_EXISTING, &c->target, &c->d, &err) != SW_OK) {
        c->have_target = err.status != SW_USAGE;
        return fail_with(&err);
    }
    c->have_target = true;
    if (history_table_init(c->d, opts->table, &c->table, &err) != SW_OK)
        return fail_with(&err);
    c->have_table = true;
    if (history_read(c->d, &c->table, &c->hist, &err) != SW_OK)
        return report_error(&err);
    status_build(&c->src, &c->hist, &c->status);
    return SW_OK;
}


void print_escaped(const char *s)
{
    char *e = text_escaped(s ? s : "");
    fputs(e, stdout);
    free(e);
}

/* A script or generated SQL: lines kept, every other control character
 * escaped. */
void print_sql(const char *s)
{
    strbuf sb = {0};
    text_escape_control(&sb, s ? s : "", true);
    fputs(strbuf_str(&sb), stdout);
    strbuf_free(&sb);
}


bool parse_count(const char *text, long *out)
{
    if (!text)
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < 0)
        return false;
    *out = v;
    return true;
}


/* The plan a changing command asks for; argv[0] is the command. */
int make_plan(const cli_options *opts, const context *c, int argc, char **argv, plan *p)
{
    const char *cmd = argv[0];
    long n = -1;
    if (opts->count && !parse_count(opts->count, &n))
        return usage_error(NULL, "-n wants a number of migrations (got '%s')", opts->count);
    sw_error err = {0};
    sw_status st;
    if (strcmp(cmd, "plan") == 0 && argc > 1) {
        cmd = argv[1];
        argc--;
        argv++;
    }
    if (strcmp(cmd, "goto") == 0) {
        if (argc != 2)
            return usage_error("Usage: stepwise goto VERSION", "goto needs one VERSION");
        st = plan_goto(&c->status, argv[1], p, &err);
    } else if (strcmp(cmd, "down") == 0) {
        if (argc > 1)
            return usage_error("Usage: stepwise down [-n N | --to VERSION]",
                               "down takes no arguments (got '%s')", argv[1]);
        st = plan_down(&c->status, opts->to, n, p, &err);
    } else if (strcmp(cmd, "up") == 0 || strcmp(cmd, "plan") == 0) {
        if (argc > 1)
            return usage_error("Usage: stepwise up [-n N | --to VERSION]",
                               "up takes no arguments (got '%s')", argv[1]);
        st = plan_up(&c->status, opts->to, n, p, &err);
    } else {
        return usage_error("Usage: stepwise plan [up|down|goto VERSION]",
                           "plan: '%s' is not up, down or goto", cmd);
    }
    return st == SW_OK ? SW_OK : usage_error(NULL, "%s", err.message);
}


/* The audit file's path lives here, so run_settings can point at it. */
static char *audit_path_owned;

run_settings settings_from(const cli_options *opts, sw_error *err, bool *ok)
{
    run_settings rs = {0};
    *ok = true;
    rs.lock_timeout = opts->lock_timeout;
    rs.statement_timeout = opts->statement_timeout;
    if (opts->wait_lock && !duration_parse(opts->wait_lock, &rs.wait_lock)) {
        sw_error_set(err, SW_USAGE, "--wait-lock wants a duration (500ms, 10s, 1min), got '%s'",
                     opts->wait_lock);
        *ok = false;
    }
    const char *checks[] = {opts->lock_timeout, opts->statement_timeout};
    for (size_t i = 0; i < 2 && *ok; i++) {
        char *s = checks[i] ? duration_setting(checks[i]) : NULL;
        if (checks[i] && !s) {
            sw_error_set(err, SW_USAGE, "--%s wants a duration (500ms, 3s, 1min), got '%s'",
                         i ? "statement-timeout" : "lock-timeout", checks[i]);
            *ok = false;
        }
        free(s);
    }
    /* A snapshot before every migration when a person confirms each one
     * anyway (it costs 15 to 25 ms), or when asked. */
    rs.snapshot_each = opts->snapshot_each ||
                       (!opts->yes && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
    audit_actor_system(&rs.actor);
    sw_error e = {0};
    free(audit_path_owned);
    audit_path_owned = audit_default_path(getenv("XDG_STATE_HOME"), getenv("HOME"), &e);
    rs.audit_path = audit_path_owned;
    return rs;
}

void settings_free(run_settings *rs)
{
    free(audit_path_owned);
    audit_path_owned = NULL;
    rs->audit_path = NULL;
}


static char prompt_text[512];

static char *prompt_fn(EditLine *el)
{
    (void)el;
    return prompt_text;
}

/* One answer from the terminal through libedit; NULL on end of input. */
char *ask(const char *prompt)
{
    EditLine *el = el_init("stepwise", stdin, stdout, stderr);
    if (!el)
        return NULL;
    snprintf(prompt_text, sizeof prompt_text, "%s", prompt);
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_EDITOR, "emacs");
    int count = 0;
    const char *line = el_gets(el, &count);
    if (!line)
        fputc('\n', stdout); /* Ctrl-D or Ctrl-C: what follows starts a line */
    char *answer = NULL;
    if (line && count > 0) {
        answer = xstrdup(line);
        answer[strcspn(answer, "\r\n")] = '\0';
    }
    el_end(el);
    return answer;
}

/* A local socket folder or a loopback name: not a production guard case. */
int open_runner(const cli_options *opts, context *c, const run_settings *rs, const char *shadow,
                bool create)
{
    sw_error err = {0};
    sw_status st = shadow ? db_target_parse(shadow, DB_FROM_OPTION, &c->target, &err)
                          : db_target_resolve(opts->db, getenv("STEPWISE_DB"),
                                              getenv("DATABASE_URL"), &c->target, &err);
    if (st != SW_OK)
        return usage_error(NULL, "%s%s", shadow ? "--shadow: " : "", err.message);
    c->have_target = true;
    if (runner_open(&c->target, opts->table, rs, create, &c->run, &err) != SW_OK)
        return fail_with(&err);
    /* Read the history under the lock, so that the plan is current. */
    if (history_read(runner_db(c->run), runner_table(c->run), &c->hist, &err) != SW_OK)
        return report_error(&err);
    status_build(&c->src, &c->hist, &c->status);
    return SW_OK;
}

/* The production guard: a change (or a dry run, which takes the same
 * locks) on a PostgreSQL target that is not a local socket or a loopback
 * address wants its database name typed, or --confirm-db. `why` says
 * what is about to happen there. */
int confirm_target(const cli_options *opts, db *d, const db_target *target, bool tty,
                   const char *why)
{
    if (target->kind == DB_SQLITE)
        return SW_OK;
    db_server_info info;
    sw_error err = {0};
    if (db_server_info_get(d, &info, &err) != SW_OK)
        return report_error(&err);
    if (db_host_is_local(info.host)) {
        db_server_info_free(&info);
        return SW_OK;
    }
    int rc = SW_OK;
    if (opts->confirm_db) {
        if (strcmp(opts->confirm_db, info.database) != 0)
            rc = usage_error(NULL, "--confirm-db '%s' does not match the database '%s' on %s",
                             opts->confirm_db, info.database, info.host);
    } else if (!tty) {
        rc = usage_error(NULL,
                         "%s is not a local server: pass --confirm-db %s to %s without a "
                         "terminal",
                         target->display, info.database, why);
    } else {
        printf("%s is not a local server (host %s); about to %s.\n", target->display, info.host,
               why);
        char *prompt = xasprintf("Type the database name (%s) to go on: ", info.database);
        char *answer = ask(prompt);
        free(prompt);
        if (!answer || strcmp(answer, info.database) != 0)
            rc = usage_error(NULL, "the name typed does not match '%s'; nothing was run",
                             info.database);
        free(answer);
    }
    db_server_info_free(&info);
    return rc;
}
