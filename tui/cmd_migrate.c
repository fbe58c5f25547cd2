/* The migration commands of the command line: status, plan, up, down,
 * goto, redo, resume, force, history, preflight. Everything is computed
 * in core/ (source, history, plan, apply, preflight); this file reads the
 * options, asks for confirmation, shows progress and maps outcomes to
 * exit statuses (stepwise.1). */
#include "config.h"

#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply.h"
#include "core/backup.h"
#include "core/json.h"
#include "core/plan.h"
#include "core/preflight.h"
#include "core/source.h"
#include "core/util.h"
#include "tui/cli.h"
#include "tui/migrate.h"

static const char *foreign_name(history_foreign f)
{
    return f == FOREIGN_GOLANG_MIGRATE ? "golang-migrate" : "dbmate";
}

static void status_json(const context *c)
{
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, true);
    json_begin_object(&w);
    json_key(&w, "folder");
    json_string(&w, c->dir);
    json_key(&w, "layout");
    json_string(&w, source_layout_name(c->src.layout));
    json_key(&w, "target");
    json_string(&w, c->target.display);
    json_key(&w, "history_table");
    json_string(&w, c->table.display);
    json_key(&w, "history_exists");
    json_bool(&w, c->hist.exists);
    if (c->hist.foreign != FOREIGN_NONE) {
        json_key(&w, "adoptable_from");
        json_string(&w, foreign_name(c->hist.foreign));
    }
    json_key(&w, "migrations");
    json_begin_array(&w);
    for (size_t i = 0; i < c->status.count; i++) {
        const status_entry *e = &c->status.entries[i];
        json_begin_object(&w);
        json_key(&w, "version");
        json_string(&w, e->version);
        json_key(&w, "name");
        json_string(&w, e->name);
        json_key(&w, "state");
        json_string(&w, mig_state_name(e->state));
        json_key(&w, "out_of_order");
        json_bool(&w, e->out_of_order);
        json_key(&w, "applied_at");
        json_string(&w, e->h ? e->h->applied_at : NULL);
        json_key(&w, "duration_ms");
        if (e->h && e->h->duration_ms >= 0)
            json_int(&w, e->h->duration_ms);
        else
            json_null(&w);
        json_key(&w, "transactional");
        if (e->m)
            json_bool(&w, !e->m->up.directives.no_transaction);
        else
            json_null(&w);
        if (e->h && e->h->dirty) {
            json_key(&w, "steps_done");
            json_int(&w, e->h->steps_done);
            json_key(&w, "failure");
            json_string(&w, e->h->failure);
            json_key(&w, "dirty_direction");
            json_string(&w, e->h->dirty_down ? "down" : "up");
        }
        json_key(&w, "file");
        json_string(&w, e->m ? e->m->up.path : NULL);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_key(&w, "summary");
    json_begin_object(&w);
    json_key(&w, "applied");
    json_int(&w, (long long)c->status.applied);
    json_key(&w, "pending");
    json_int(&w, (long long)c->status.pending);
    json_key(&w, "dirty");
    json_int(&w, (long long)c->status.dirty);
    json_key(&w, "drifted");
    json_int(&w, (long long)c->status.drifted);
    json_key(&w, "missing");
    json_int(&w, (long long)c->status.missing);
    json_key(&w, "out_of_order");
    json_int(&w, (long long)c->status.out_of_order);
    json_end_object(&w);
    json_end_object(&w);
    fputs(strbuf_str(&sb), stdout);
    fputc('\n', stdout);
    strbuf_free(&sb);
}

static void status_text(const context *c)
{
    printf("folder %s (%s, %zu migration%s), database %s, history %s%s\n", c->dir,
           source_layout_name(c->src.layout), c->src.count, c->src.count == 1 ? "" : "s",
           c->target.display, c->table.display, c->hist.exists ? "" : " (not created yet)");
    if (c->hist.foreign != FOREIGN_NONE)
        printf("note: this database has %s's schema_migrations table (%zu version%s%s) and no "
               "stepwise history; 'stepwise adopt --from %s' records them\n",
               foreign_name(c->hist.foreign), c->hist.nforeign, c->hist.nforeign == 1 ? "" : "s",
               c->hist.foreign_dirty ? ", dirty" : "", foreign_name(c->hist.foreign));
    int vw = 7, nw = 4;
    for (size_t i = 0; i < c->status.count; i++) {
        int v = (int)strlen(c->status.entries[i].version);
        int n = (int)strlen(c->status.entries[i].name);
        vw = v > vw ? v : vw;
        nw = n > nw ? (n > 40 ? 40 : n) : nw;
    }
    printf("%-*s  %-*s  %-12s  %-20s  %8s  %s\n", vw, "VERSION", nw, "NAME", "STATE",
           "APPLIED AT", "DURATION", "TX");
    for (size_t i = 0; i < c->status.count; i++) {
        const status_entry *e = &c->status.entries[i];
        char state[32];
        snprintf(state, sizeof state, "%s%s", mig_state_name(e->state),
                 e->out_of_order ? "*" : "");
        char dur[32] = "";
        if (e->h && e->h->duration_ms >= 0)
            snprintf(dur, sizeof dur, "%lld ms", e->h->duration_ms);
        char *name = text_escaped(e->name);
        printf("%-*s  %-*.*s  %-12s  %-20s  %8s  %s", vw, e->version, nw, nw, name, state,
               e->h ? e->h->applied_at : "", dur,
               !e->m ? "-" : e->m->up.directives.no_transaction ? "no" : "yes");
        free(name);
        if (e->state == STATE_DIRTY) {
            printf("  (%s stopped after statement %d; 'stepwise resume' or 'stepwise force "
                   "%s')",
                   e->h->dirty_down ? "rollback" : "apply", e->h->steps_done, e->version);
            if (e->h->failure) {
                fputs("\n    failed: ", stdout);
                print_escaped(e->h->failure);
            }
        }
        else if (e->state == STATE_DRIFTED)
            printf("  (file changed since applied)");
        else if (e->state == STATE_MISSING)
            printf("  (no file)");
        fputc('\n', stdout);
    }
    const migration_status *s = &c->status;
    printf("%zu applied, %zu pending, %zu dirty, %zu drifted, %zu missing", s->applied,
           s->pending, s->dirty, s->drifted, s->missing);
    if (s->out_of_order)
        printf(", %zu out of order (*: pending below the highest applied version)",
               s->out_of_order);
    fputc('\n', stdout);
}

int cmd_status(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise status [--dir DIR] [--db TARGET] [--json]",
                           "status takes no arguments (got '%s')", argv[1]);
    context c = {0};
    int rc = load_read(opts, &c);
    if (rc == SW_OK) {
        if (opts->json)
            status_json(&c);
        else
            status_text(&c);
        rc = c.status.dirty ? SW_DIRTY : SW_OK;
    }
    context_free(&c);
    return rc;
}

/* ------------------------------------------------------------ plans */

int cmd_plan(const cli_options *opts, int argc, char **argv)
{
    if (opts->dry_run)
        return cmd_diff(opts, argc, argv);
    if (opts->shadow)
        return usage_error(NULL, "--shadow goes with --dry-run: 'stepwise plan --dry-run "
                                 "--shadow DB'");
    context c = {0};
    int rc = load_read(opts, &c);
    plan p = {0};
    if (rc == SW_OK)
        rc = make_plan(opts, &c, argc, argv, &p);
    sw_error err = {0};
    bool ok = true;
    run_settings rs = settings_from(opts, &err, &ok);
    if (rc == SW_OK && !ok)
        rc = usage_error(NULL, "%s", err.message);
    strbuf sb = {0};
    json_writer w;
    if (opts->json) {
        json_init(&w, &sb, true);
        json_begin_object(&w);
        json_key(&w, "steps");
        json_begin_array(&w);
    }
    audit_actor actor = rs.actor;
    actor.db_user = NULL;
    char *actor_text = NULL;
    bool measured = false; /* a SQLite history row with :duration_ms */
    if (rc == SW_OK) {
        db_server_info info;
        char *user = NULL;
        if (db_server_info_get(c.d, &info, &err) == SW_OK) {
            user = info.user ? xstrdup(info.user) : NULL;
            db_server_info_free(&info);
        }
        actor.db_user = user;
        actor_text = history_actor_text(&actor);
        free(user);
    }
    for (size_t i = 0; rc == SW_OK && i < p.count; i++) {
        migration_run run;
        if (migration_run_prepare(c.d, &c.table, &rs, &p.steps[i], actor_text, &run, &err) !=
            SW_OK) {
            rc = usage_error(NULL, "%s", err.message);
            break;
        }
        const status_entry *e = p.steps[i].e;
        if (opts->json) {
            json_begin_object(&w);
            json_key(&w, "version");
            json_string(&w, e->version);
            json_key(&w, "name");
            json_string(&w, e->name);
            json_key(&w, "direction");
            json_string(&w, run.down ? "down" : "up");
            json_key(&w, "transactional");
            json_bool(&w, run.transactional);
            json_key(&w, "file");
            json_string(&w, run.script->path);
            json_key(&w, "sql");
            json_string(&w, run.sql);
            json_end_object(&w);
        } else {
            printf("-- %s %s %s (%s, %s)\n", run.down ? "roll back" : "apply", e->version,
                   e->name, run.script->path, run.transactional ? "in a transaction"
                                                                : "no transaction");
            print_sql(run.sql);
            fputc('\n', stdout);
            measured |= strstr(run.sql, ":duration_ms") != NULL;
        }
        migration_run_free(&run);
    }
    if (opts->json) {
        json_end_array(&w);
        json_end_object(&w);
        if (rc == SW_OK)
            printf("%s\n", strbuf_str(&sb));
    } else if (rc == SW_OK && p.count == 0) {
        printf("nothing to do: %zu applied, %zu pending\n", c.status.applied, c.status.pending);
    }
    if (rc == SW_OK && measured && !opts->json)
        printf("-- SQLite: :duration_ms is the measured time, written when the migration "
               "commits\n");
    strbuf_free(&sb);
    free(actor_text);
    settings_free(&rs);
    plan_free(&p);
    context_free(&c);
    return rc;
}

/* ------------------------------------------------------- changing */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void print_blockers(const char *label, const char *text)
{
    if (!text)
        return;
    fprintf(stderr, "%s\n", label);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char *line = xstrndup(p, n);
        char *e = text_escaped(line);
        fprintf(stderr, "  %s\n", e);
        free(e);
        free(line);
        p += n + (eol ? 1 : 0);
    }
}

/* Run one prepared migration to its end, keeping Ctrl-C live. */
static run_outcome run_one(context *c, migration_run *run, size_t resume_from, run_result *res)
{
    sw_error err = {0};
    memset(res, 0, sizeof *res);
    if (runner_start(c->run, run, resume_from, &err) != SW_OK) {
        res->outcome = RUN_FAILED;
        res->message = xstrdup(err.message);
        return RUN_FAILED;
    }
    bool done = false, said_waiting = false, cancel_sent = false;
    while (!done) {
        run_progress pr;
        if (runner_poll(c->run, 200, &done, &pr, &err) != SW_OK) {
            res->outcome = RUN_FAILED;
            res->message = xstrdup(err.message);
            run_progress_free(&pr);
            return RUN_FAILED;
        }
        if (interrupted && !cancel_sent) {
            fprintf(stderr, "stepwise: interrupted: cancelling the running statement...\n");
            runner_cancel(c->run);
            cancel_sent = true;
        }
        if (pr.waiting && !said_waiting && isatty(STDERR_FILENO)) {
            print_blockers("  waiting for a lock held by:", pr.blockers);
            said_waiting = true;
        }
        run_progress_free(&pr);
    }
    runner_result(c->run, res);
    return res->outcome;
}

static bool confirm_step(const migration_run *run, const status_entry *e, bool *quit)
{
    print_sql(run->sql);
    char *prompt = xasprintf("%s %s_%s? [y/N/q] ", run->down ? "Roll back" : "Apply", e->version,
                             e->name);
    char *answer = ask(prompt);
    free(prompt);
    bool yes = answer && (strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 ||
                          strcmp(answer, "yes") == 0);
    *quit = !answer || strcmp(answer, "q") == 0 || strcmp(answer, "Q") == 0;
    free(answer);
    return yes;
}

static int preflight_gate(const cli_options *opts, context *c)
{
    preflight_options po = {.allow_drift = opts->allow_drift,
                            .allow_out_of_order = opts->allow_out_of_order};
    preflight pf;
    preflight_run(runner_db(c->run), &c->status, &po, &pf);
    int rc = SW_OK;
    for (size_t i = 0; i < pf.count; i++) {
        const preflight_check *k = &pf.checks[i];
        if (k->level == CHECK_PASS)
            continue;
        char *reason = text_escaped(k->reason);
        fprintf(stderr, "preflight %s: %s: %s%s\n", preflight_level_name(k->level), k->name,
                reason, k->overridden ? " (overridden)" : "");
        free(reason);
    }
    if (pf.fails) {
        fprintf(stderr, "stepwise: preflight failed (%zu check%s); nothing was run\n", pf.fails,
                pf.fails == 1 ? "" : "s");
        rc = SW_USAGE;
    }
    preflight_free(&pf);
    return rc;
}

static int exit_for(run_outcome o)
{
    switch (o) {
    case RUN_OK:
    case RUN_SKIPPED:
        return SW_OK;
    case RUN_LOCK_TIMEOUT:
        return SW_LOCKED;
    case RUN_ABORTED:
        return SW_ABORTED;
    case RUN_FAILED:
    default:
        return SW_FAILED;
    }
}

/* The production guard, then the history tables: nothing is written
 * before the operator has confirmed the target. */
static int ready_to_change(const cli_options *opts, context *c, bool tty, const char *why)
{
    int rc = confirm_target(opts, runner_db(c->run), &c->target, tty, why);
    sw_error err = {0};
    if (rc == SW_OK && runner_create_history(c->run, &err) != SW_OK)
        rc = report_error(&err);
    return rc;
}

/* The schema before the run, saved in the state folder (a backup that
 * does not depend on pg_dump); the path is in the audit trail too. */
static int save_schema(context *c)
{
    sw_error err = {0};
    char *dir = snapshot_dir(getenv("XDG_STATE_HOME"), getenv("HOME"), &err);
    char *path = NULL;
    if (!dir || runner_backup(c->run, dir, &path, &err) != SW_OK) {
        fprintf(stderr, "stepwise: %s\n  nothing was run: stepwise saves the schema before "
                        "every run; set XDG_STATE_HOME to a writable folder\n",
                err.message);
        free(dir);
        return SW_FAILED;
    }
    printf("schema before the run saved to %s\n", path);
    free(path);
    free(dir);
    return SW_OK;
}

/* Lines of a text on stderr, each indented, control characters escaped. */
static void print_indented(const char *text)
{
    strbuf sb = {0};
    text_escape_control(&sb, text, true);
    const char *p = strbuf_str(&sb);
    while (*p) {
        size_t n = strcspn(p, "\n");
        fprintf(stderr, "%s%.*s\n", n ? "    " : "", (int)n, p);
        p += n + (p[n] ? 1 : 0);
    }
    strbuf_free(&sb);
}

/* After a failure: whether the schema is as before the migration, or,
 * without a snapshot of its own, what changed since an older one. */
static void print_remains(const run_result *res, const char *version)
{
    if (!res->schema_checked) {
        fprintf(stderr, "  schema not compared: no snapshot of it could be taken\n");
        return;
    }
    if (res->compared_with) {
        char *with = text_escaped(res->compared_with);
        if (res->remains) {
            fprintf(stderr, "  schema compared with %s: changed since by the migrations this "
                            "run committed (%s):\n",
                    with, res->committed_since);
            print_indented(res->remains);
        } else {
            fprintf(stderr, "  schema compared with %s: no difference, so nothing of %s "
                            "remains\n",
                    with, version);
        }
        free(with);
        return;
    }
    if (!res->remains) {
        fprintf(stderr, "  schema compared with the snapshot taken before it: nothing remains\n");
        return;
    }
    fprintf(stderr, "  schema compared with the snapshot taken before it; what remains:\n");
    print_indented(res->remains);
}

/* up, down, goto, redo and resume share this: plan, preflight, confirm
 * and run each migration, retrying on lock timeout when asked. */
static int run_plan(const cli_options *opts, context *c, plan *p, const run_settings *rs,
                    size_t resume_from)
{
    bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (p->count && !opts->yes && !tty)
        return usage_error(NULL, "standard input is not a terminal: pass --yes to %s the %zu "
                                 "migration%s planned (see them with 'stepwise plan')",
                           p->steps[0].down ? "roll back" : "apply", p->count,
                           p->count == 1 ? "" : "s");
    long retries = 0;
    if (opts->lock_retries && !parse_count(opts->lock_retries, &retries))
        return usage_error(NULL, "--lock-retries wants a number (got '%s')", opts->lock_retries);
    sw_error err = {0};
    /* Everything is checked before anything runs. */
    migration_run *runs = xcalloc(p->count + 1, sizeof *runs);
    size_t prepared = 0;
    int rc = SW_OK;
    for (; prepared < p->count; prepared++) {
        if (migration_run_prepare(runner_db(c->run), runner_table(c->run), rs,
                                  &p->steps[prepared], runner_actor(c->run), &runs[prepared],
                                  &err) != SW_OK) {
            rc = usage_error(NULL, "%s; nothing was run", err.message);
            break;
        }
    }
    if (rc == SW_OK && p->count)
        rc = ready_to_change(opts, c, tty,
                             p->steps[0].down ? "roll back migrations" : "apply migrations");
    if (rc == SW_OK && p->count)
        rc = save_schema(c);
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    size_t done = 0;
    for (size_t i = 0; rc == SW_OK && i < p->count && !interrupted; i++) {
        const status_entry *e = p->steps[i].e;
        if (!opts->yes) {
            bool quit = false;
            if (!confirm_step(&runs[i], e, &quit)) {
                printf("stopped before %s%s\n", e->version,
                       done ? "; the migrations before it are committed" : "");
                break;
            }
        }
        for (long attempt = 0;; attempt++) {
            run_result res;
            printf("%s %s %s ... ", runs[i].down ? "rolling back" : "applying", e->version,
                   e->name);
            if (tty)
                fflush(stdout); /* a person sees what runs; a pipe need not wait */
            run_outcome o = run_one(c, &runs[i], i == 0 ? resume_from : 0, &res);
            if (o == RUN_OK || o == RUN_SKIPPED) {
                printf("%s (%.0f ms)\n", o == RUN_OK ? "done" : "already done by another run",
                       res.seconds * 1000);
                done++;
                run_result_free(&res);
                break;
            }
            printf("%s\n", o == RUN_LOCK_TIMEOUT ? "lock timeout" : o == RUN_ABORTED ? "aborted"
                                                                                     : "failed");
            fflush(stdout);
            char *msg = text_escaped(res.message ? res.message : "");
            fprintf(stderr, "stepwise: %s\n", msg);
            free(msg);
            print_blockers("  blocked by:", res.blockers);
            if (res.hint)
                fprintf(stderr, "  hint: %s\n", res.hint);
            print_remains(&res, e->version);
            if (runs[i].transactional)
                fprintf(stderr, "  version %s was rolled back; the database is as before it\n",
                        e->version);
            else
                fprintf(stderr,
                        "  version %s is dirty after %zu of %zu statements; fix the cause, "
                        "then 'stepwise resume' (or 'stepwise force %s')\n",
                        e->version, res.steps_done, runs[i].parsed.count, e->version);
            if (o == RUN_LOCK_TIMEOUT && attempt < retries && runs[i].transactional) {
                unsigned pause = 2u << attempt;
                fprintf(stderr, "  retry %ld of %ld in %u s\n", attempt + 1, retries, pause);
                char *detail = xasprintf("attempt %ld of %ld after %u s", attempt + 2,
                                         retries + 1, pause);
                sw_error e2 = {0};
                runner_audit(c->run, "retry", e->version, "scheduled", detail, &e2);
                free(detail);
                run_result_free(&res);
                for (unsigned s = 0; s < pause * 10 && !interrupted; s++)
                    usleep(100 * 1000);
                if (interrupted)
                    break;
                continue;
            }
            rc = exit_for(o);
            run_result_free(&res);
            break;
        }
    }
    if (interrupted && rc == SW_OK)
        rc = SW_ABORTED;
    sigaction(SIGINT, &old, NULL);
    interrupted = 0;
    for (size_t i = 0; i < prepared; i++)
        migration_run_free(&runs[i]);
    free(runs);
    if (rc == SW_OK && p->count == 0)
        printf("nothing to do: %zu applied, %zu pending\n", c->status.applied,
               c->status.pending);
    return rc;
}

/* What every changing command does first: the folder, the settings, the
 * runner (connections, migration lock, history tables, states). */
static int open_changing(const cli_options *opts, context *c, run_settings *rs)
{
    int rc = load_source(opts, c);
    sw_error err = {0};
    bool ok = true;
    *rs = settings_from(opts, &err, &ok);
    if (rc == SW_OK && !ok)
        rc = usage_error(NULL, "%s", err.message);
    if (rc == SW_OK)
        rc = open_runner(opts, c, rs, NULL, true);
    return rc;
}

static int changing(const cli_options *opts, int argc, char **argv)
{
    context c = {0};
    run_settings rs;
    int rc = open_changing(opts, &c, &rs);
    if (rc == SW_OK) {
        const char *cmd = argv[0];
        bool redo = strcmp(cmd, "redo") == 0;
        bool resume = strcmp(cmd, "resume") == 0;
        plan p = {0};
        size_t resume_from = 0;
        if (redo || resume) {
            if (argc > 1)
                rc = usage_error(NULL, "%s takes no arguments (got '%s')", cmd, argv[1]);
        }
        if (rc == SW_OK && resume) {
            const status_entry *dirty = NULL;
            for (size_t i = 0; i < c.status.count; i++)
                if (c.status.entries[i].state == STATE_DIRTY)
                    dirty = &c.status.entries[i];
            if (!dirty) {
                printf("nothing to resume: no version is dirty\n");
            } else if (!dirty->m) {
                rc = usage_error(NULL, "dirty version %s has no file; restore it or force it",
                                 dirty->version);
            } else {
                p.steps = xcalloc(1, sizeof *p.steps);
                p.steps[0].e = dirty;
                p.steps[0].down = dirty->h->dirty_down;
                p.count = 1;
                resume_from = (size_t)dirty->h->steps_done;
                printf("resuming the %s of %s after statement %zu\n",
                       dirty->h->dirty_down ? "rollback" : "apply", dirty->version, resume_from);
            }
        } else if (rc == SW_OK && redo) {
            char down_word[] = "down";
            char *down_args[] = {down_word, NULL};
            rc = make_plan(opts, &c, 1, down_args, &p);
            if (rc == SW_OK && p.count == 1) {
                p.steps = xrealloc(p.steps, 2 * sizeof *p.steps);
                p.steps[1].e = p.steps[0].e;
                p.steps[1].down = false;
                p.count = 2;
            }
        } else if (rc == SW_OK) {
            rc = make_plan(opts, &c, argc, argv, &p);
        }
        if (rc == SW_OK && !resume)
            rc = preflight_gate(opts, &c);
        if (rc == SW_OK)
            rc = run_plan(opts, &c, &p, &rs, resume_from);
        plan_free(&p);
    }
    settings_free(&rs);
    context_free(&c);
    return rc;
}

int cmd_up(const cli_options *opts, int argc, char **argv)
{
    return changing(opts, argc, argv);
}

int cmd_force(const cli_options *opts, int argc, char **argv)
{
    if (argc != 2)
        return usage_error("Usage: stepwise force VERSION [--unapplied]",
                           "force needs one VERSION");
    context c = {0};
    run_settings rs;
    int rc = open_changing(opts, &c, &rs);
    sw_error err = {0};
    const status_entry *e = rc == SW_OK ? status_find(&c.status, argv[1]) : NULL;
    if (rc == SW_OK && !e)
        rc = usage_error(NULL, "version %s is neither in the folder nor in the history", argv[1]);
    if (rc == SW_OK && opts->unapplied && !e->h)
        rc = usage_error(NULL, "version %s is not recorded: nothing to remove", argv[1]);
    if (rc == SW_OK) {
        bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
        printf("force %s: %s (now %s)\n", e->version,
               opts->unapplied ? "remove its history row (as if never applied)"
                               : "record it as applied and clean, without running anything",
               mig_state_name(e->state));
        if (opts->yes && opts->confirm_version) {
            if (strcmp(opts->confirm_version, e->version) != 0)
                rc = usage_error(NULL, "--confirm-version '%s' is not %s", opts->confirm_version,
                                 e->version);
        } else if (!tty) {
            rc = usage_error(NULL, "force changes the history without running anything: on a "
                                   "terminal type the version; otherwise pass --yes "
                                   "--confirm-version %s",
                             e->version);
        } else {
            char *answer = ask("Type the version to confirm: ");
            if (!answer || strcmp(answer, e->version) != 0)
                rc = usage_error(NULL, "not confirmed; nothing changed");
            free(answer);
        }
    }
    if (rc == SW_OK)
        rc = ready_to_change(opts, &c, isatty(STDIN_FILENO) && isatty(STDOUT_FILENO),
                             "change its history by hand");
    if (rc == SW_OK) {
        if (runner_force(c.run, e, opts->unapplied, &err) != SW_OK)
            rc = report_error(&err);
        else
            printf("done\n");
    }
    settings_free(&rs);
    context_free(&c);
    return rc;
}

int cmd_history(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise history [-n N] [--json]",
                           "history takes no arguments (got '%s')", argv[1]);
    long n = 0;
    if (opts->count && !parse_count(opts->count, &n))
        return usage_error(NULL, "-n wants a number of events (got '%s')", opts->count);
    sw_error err = {0};
    db_target target;
    db *d = NULL;
    history_table t;
    db_result *r = NULL;
    if (open_target(opts, DB_OPEN_EXISTING, &target, &d, &err) != SW_OK) {
        if (err.status != SW_USAGE)
            db_target_free(&target);
        return fail_with(&err);
    }
    int rc = SW_OK;
    if (history_table_init(d, opts->table, &t, &err) != SW_OK) {
        rc = fail_with(&err);
    } else {
        if (history_events_read(d, &t, n, &r, &err) != SW_OK)
            rc = report_error(&err);
        history_table_free(&t);
    }
    if (rc == SW_OK && opts->json) {
        strbuf sb = {0};
        json_writer w;
        json_init(&w, &sb, true);
        json_begin_array(&w);
        for (int i = 0; i < r->nrows; i++) {
            json_begin_object(&w);
            for (int col = 0; col < r->ncols; col++) {
                json_key(&w, r->names[col]);
                const char *v = db_result_value(r, i, col);
                if (col == 0 && v)
                    json_int(&w, atoll(v));
                else
                    json_string(&w, v);
            }
            json_end_object(&w);
        }
        json_end_array(&w);
        printf("%s\n", strbuf_str(&sb));
        strbuf_free(&sb);
    } else if (rc == SW_OK) {
        for (int i = 0; i < r->nrows; i++) {
            const char *detail = db_result_value(r, i, 6);
            printf("%-24s  %-16s  %-10s  %-12s  ", db_result_value(r, i, 1),
                   db_result_value(r, i, 3), db_result_value(r, i, 4) ? db_result_value(r, i, 4)
                                                                      : "-",
                   db_result_value(r, i, 5) ? db_result_value(r, i, 5) : "");
            print_escaped(db_result_value(r, i, 2));
            if (detail) {
                fputs("  ", stdout);
                print_escaped(detail);
            }
            fputc('\n', stdout);
        }
        if (r->nrows == 0)
            printf("no events recorded yet\n");
    }
    db_result_free(r);
    db_close(d);
    db_target_free(&target);
    return rc;
}

int cmd_preflight(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise preflight [--allow-drift] [--allow-out-of-order]",
                           "preflight takes no arguments (got '%s')", argv[1]);
    context c = {0};
    int rc = load_read(opts, &c);
    if (rc == SW_OK) {
        preflight_options po = {.allow_drift = opts->allow_drift,
                                .allow_out_of_order = opts->allow_out_of_order};
        preflight pf;
        preflight_run(c.d, &c.status, &po, &pf);
        for (size_t i = 0; i < pf.count; i++) {
            const preflight_check *k = &pf.checks[i];
            printf("%-4s  %-22s  ", preflight_level_name(k->level), k->name);
            print_escaped(k->reason);
            printf("%s\n", k->overridden ? " (overridden)" : "");
        }
        rc = pf.fails ? SW_USAGE : SW_OK;
        preflight_free(&pf);
    }
    context_free(&c);
    return rc;
}

int cmd_adopt(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise adopt --from golang-migrate|dbmate",
                           "adopt takes no arguments (got '%s')", argv[1]);
    if (!opts->from || (strcmp(opts->from, "golang-migrate") != 0 &&
                        strcmp(opts->from, "dbmate") != 0))
        return usage_error("Usage: stepwise adopt --from golang-migrate|dbmate",
                           "adopt needs --from golang-migrate or --from dbmate");
    context c = {0};
    run_settings rs;
    int rc = open_changing(opts, &c, &rs);
    sw_error err = {0};
    if (rc == SW_OK && c.hist.foreign != FOREIGN_NONE &&
        strcmp(foreign_name(c.hist.foreign), opts->from) != 0)
        rc = usage_error(NULL, "this database has %s's schema_migrations, not %s's",
                         foreign_name(c.hist.foreign), opts->from);
    if (rc == SW_OK && c.hist.foreign != FOREIGN_NONE) {
        printf("adopt from %s: %zu version%s in schema_migrations%s; matching files in %s are "
               "recorded as applied, nothing is run\n",
               opts->from, c.hist.nforeign, c.hist.nforeign == 1 ? "" : "s",
               c.hist.foreign_dirty ? " (dirty)" : "", c.dir);
        bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
        if (!opts->yes && !tty) {
            rc = usage_error(NULL, "standard input is not a terminal: pass --yes to adopt");
        } else if (!opts->yes) {
            char *answer = ask("Adopt? [y/N] ");
            if (!answer || (strcmp(answer, "y") != 0 && strcmp(answer, "yes") != 0))
                rc = usage_error(NULL, "not confirmed; nothing changed");
            free(answer);
        }
    }
    if (rc == SW_OK)
        rc = ready_to_change(opts, &c, isatty(STDIN_FILENO) && isatty(STDOUT_FILENO),
                             "record another tool's versions in its history");
    if (rc == SW_OK) {
        size_t adopted = 0;
        char *skipped = NULL;
        if (runner_adopt(c.run, &c.src, &c.hist, &adopted, &skipped, &err) != SW_OK)
            rc = fail_with(&err);
        else {
            printf("adopted %zu version%s\n", adopted, adopted == 1 ? "" : "s");
            if (*skipped)
                fprintf(stderr, "stepwise: warning: no file for version %s: not recorded\n",
                        skipped);
        }
        free(skipped);
    }
    settings_free(&rs);
    context_free(&c);
    return rc;
}
