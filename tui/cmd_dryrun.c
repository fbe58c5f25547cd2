/* Dry runs on the command line: `stepwise diff VERSION [--down]` and
 * `stepwise plan [up|down|goto V] --dry-run`, optionally on a staging
 * copy (`--shadow DB`). The work is core/dryrun.c's; this file chooses the
 * migrations, asks the production guard, shows progress, prints the
 * statements with their locks, the schema diff, and records the event. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dryrun.h"
#include "core/json.h"
#include "core/util.h"
#include "core/version.h"
#include "tui/migrate.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* diff VERSION: the migrations to run, the one in focus last. */
static int plan_for_version(const cli_options *opts, const context *c, const char *version,
                            plan *p, size_t *focus)
{
    const status_entry *e = status_find(&c->status, version);
    if (!e)
        return usage_error("See the versions with 'stepwise status'.",
                           "no migration has version '%s' in %s", version, c->dir);
    bool applied = e->state == STATE_APPLIED || e->state == STATE_DRIFTED;
    sw_error err = {0};
    sw_status st;
    if (opts->down) {
        if (!applied)
            return usage_error(NULL, "version %s is %s, not applied: there is no rollback to "
                                     "dry-run (without --down, the dry run applies it)",
                               version, mig_state_name(e->state));
        long n = 0; /* roll back everything above it, then it */
        for (size_t i = 0; i < c->status.count; i++) {
            const status_entry *o = &c->status.entries[i];
            if ((o->state == STATE_APPLIED || o->state == STATE_DRIFTED) &&
                version_compare(o->version, version) >= 0)
                n++;
        }
        st = plan_down(&c->status, NULL, n, p, &err);
    } else {
        if (applied || e->state == STATE_DIRTY)
            return usage_error(NULL, "version %s is %s: dry-run its rollback with --down",
                               version, mig_state_name(e->state));
        st = plan_up(&c->status, version, -1, p, &err);
    }
    if (st != SW_OK)
        return usage_error(NULL, "%s", err.message);
    *focus = p->count ? p->count - 1 : 0;
    return SW_OK;
}

static char *first_line(const char *text, size_t max)
{
    size_t n = strcspn(text, "\n");
    char *line = xstrndup(text, n < max ? n : max);
    char *e = text_escaped(line);
    free(line);
    if (text[n] || n > max) {
        char *more = xasprintf("%s ...", e);
        free(e);
        return more;
    }
    return e;
}

static void print_statement(const migration_run *run, const dry_statement *ds, bool pg)
{
    const sql_statement *st = &run->parsed.statements[ds->index];
    char *text = first_line(st->text, 100);
    printf("  [%zu] line %d  %s  %.1f ms, %lld row%s\n      %s\n", ds->index + 1,
           run->script->line + st->line - 1, st->kind ? st->kind : "statement",
           ds->seconds * 1000, ds->rows, ds->rows == 1 ? "" : "s", text);
    free(text);
    if (!pg)
        return;
    size_t shown = 0, on_dropped = 0;
    for (size_t i = 0; i < ds->ntaken; i++) {
        const dry_lock *l = &ds->taken[i];
        if (strcmp(l->locktype, "object") == 0 && str_has_suffix(l->object, " (dropped)")) {
            on_dropped++; /* the constraint's own triggers and the like */
            continue;
        }
        shown++;
        char *obj = text_escaped(l->object);
        printf("      took   %-24s %s%s%s%s%s\n", lock_mode_pg_name(l->mode), obj,
               l->relkind ? " (" : "", l->relkind ? l->relkind : "", l->relkind ? ")" : "",
               l->new_relation ? ", new" : l->granted ? "" : ", NOT GRANTED");
        free(obj);
    }
    if (on_dropped)
        printf("      took   %zu lock%s on catalog objects the statement dropped\n", on_dropped,
               on_dropped == 1 ? "" : "s");
    else if (!shown)
        printf("      took   no new lock\n");
    for (size_t i = 0; i < ds->nchecks; i++) {
        const dry_lock_check *k = &ds->checks[i];
        char *rel = text_escaped(k->relation);
        printf("      %s %s: predicted %s, held %s: %s\n", k->mismatch ? "MISMATCH" : "check ",
               rel, k->predicted ? lock_mode_name(k->predicted) : "nothing",
               k->taken ? lock_mode_name(k->taken) : "nothing", lock_verdict_name(k->verdict));
        free(rel);
    }
}

static void print_text(const context *c, const plan *p, const migration_run *runs, size_t focus,
                       const dry_run_result *res)
{
    bool pg = c->target.kind == DB_POSTGRES;
    size_t next = 0;
    for (size_t m = 0; m < p->count; m++) {
        const status_entry *e = p->steps[m].e;
        printf("%s %s %s (%s)%s\n", runs[m].down ? "roll back" : "apply", e->version, e->name,
               runs[m].script->path, m < focus ? ", run first: the one in focus needs it" : "");
        for (; next < res->count && res->statements[next].migration == m; next++)
            print_statement(&runs[m], &res->statements[next], pg);
    }
    if (!pg)
        printf("(SQLite takes one lock on the whole file: no locks per relation to show)\n");
    if (res->have_diff) {
        char *d = schema_diff_text(&res->diff);
        printf("\nschema diff%s:\n", focus ? " of the version in focus" : "");
        print_sql(d);
        free(d);
    }
    if (!res->ok) {
        char *msg = text_escaped(res->message ? res->message : "failed");
        fprintf(stderr, "stepwise: %s\n", msg);
        free(msg);
        fprintf(stderr, "  the dry run stopped there%s and was rolled back; nothing was kept\n",
                res->lock_timeout ? " (lock timeout: another session holds a lock it needs)"
                : res->cancelled ? " (cancelled)" : "");
    }
    printf("\nrolled back after %.0f ms: %zu statement%s run, %zu lock mismatch%s with the "
           "analysis; nothing was kept\n",
           res->seconds * 1000, res->count, res->count == 1 ? "" : "s", res->mismatches,
           res->mismatches == 1 ? "" : "es");
}

static void json_statement(json_writer *w, const migration_run *run, const dry_statement *ds)
{
    const sql_statement *st = &run->parsed.statements[ds->index];
    json_begin_object(w);
    json_key(w, "line");
    json_int(w, run->script->line + st->line - 1);
    json_key(w, "kind");
    json_string(w, st->kind);
    json_key(w, "sql");
    json_string(w, st->text);
    json_key(w, "ms");
    json_int(w, (long long)(ds->seconds * 1000 + 0.5));
    json_key(w, "rows");
    json_int(w, ds->rows);
    json_key(w, "locks_taken");
    json_begin_array(w);
    for (size_t i = 0; i < ds->ntaken; i++) {
        const dry_lock *l = &ds->taken[i];
        json_begin_object(w);
        json_key(w, "locktype");
        json_string(w, l->locktype);
        json_key(w, "object");
        json_string(w, l->object);
        json_key(w, "relkind");
        json_string(w, l->relkind);
        json_key(w, "mode");
        json_string(w, lock_mode_pg_name(l->mode));
        json_key(w, "granted");
        json_bool(w, l->granted);
        json_key(w, "new_relation");
        json_bool(w, l->new_relation);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "checks");
    json_begin_array(w);
    for (size_t i = 0; i < ds->nchecks; i++) {
        const dry_lock_check *k = &ds->checks[i];
        json_begin_object(w);
        json_key(w, "relation");
        json_string(w, k->relation);
        json_key(w, "predicted");
        json_string(w, k->predicted ? lock_mode_pg_name(k->predicted) : NULL);
        json_key(w, "taken");
        json_string(w, k->taken ? lock_mode_pg_name(k->taken) : NULL);
        json_key(w, "verdict");
        json_string(w, lock_verdict_name(k->verdict));
        json_key(w, "mismatch");
        json_bool(w, k->mismatch);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}

static void print_json(const context *c, const plan *p, const migration_run *runs, size_t focus,
                       const dry_run_result *res)
{
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, true);
    json_begin_object(&w);
    json_key(&w, "target");
    json_string(&w, c->target.display);
    json_key(&w, "ok");
    json_bool(&w, res->ok);
    json_key(&w, "error");
    json_string(&w, res->message);
    json_key(&w, "lock_timeout");
    json_bool(&w, res->lock_timeout);
    json_key(&w, "ms");
    json_int(&w, (long long)(res->seconds * 1000 + 0.5));
    json_key(&w, "lock_mismatches");
    json_int(&w, (long long)res->mismatches);
    json_key(&w, "migrations");
    json_begin_array(&w);
    size_t next = 0;
    for (size_t m = 0; m < p->count; m++) {
        json_begin_object(&w);
        json_key(&w, "version");
        json_string(&w, p->steps[m].e->version);
        json_key(&w, "name");
        json_string(&w, p->steps[m].e->name);
        json_key(&w, "direction");
        json_string(&w, runs[m].down ? "down" : "up");
        json_key(&w, "file");
        json_string(&w, runs[m].script->path);
        json_key(&w, "in_focus");
        json_bool(&w, m >= focus);
        json_key(&w, "statements");
        json_begin_array(&w);
        for (; next < res->count && res->statements[next].migration == m; next++)
            json_statement(&w, &runs[m], &res->statements[next]);
        json_end_array(&w);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_key(&w, "diff");
    if (res->have_diff) {
        char *d = schema_diff_json(&res->diff);
        json_raw(&w, d);
        free(d);
    } else {
        json_null(&w);
    }
    json_end_object(&w);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

/* Run the dry run to its end, Ctrl-C cancelling the statement. */
static bool run_dry(context *c, migration_run *runs, size_t nruns, size_t focus,
                    const cli_options *opts, dry_run_result *res, int *rc)
{
    sw_error err = {0};
    dry_run *dr = NULL;
    memset(res, 0, sizeof *res);
    if (dry_run_start(runner_db(c->run), runner_table(c->run), runs, nruns, focus,
                      opts->lock_timeout, &dr, &err) != SW_OK) {
        *rc = fail_with(&err);
        return false;
    }
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    bool done = false, cancelled = false;
    while (!done) {
        if (interrupted && !cancelled) {
            dry_run_cancel(dr);
            cancelled = true;
        }
        if (dry_run_poll(dr, 100, &done, &err) != SW_OK)
            break;
    }
    sigaction(SIGINT, &old, NULL);
    interrupted = 0;
    dry_run_finish(dr, res);
    *rc = res->ok ? SW_OK : res->cancelled ? SW_ABORTED : res->lock_timeout ? SW_LOCKED
                                                                          : SW_FAILED;
    return true;
}

static void audit_dry_run(context *c, const plan *p, size_t focus, const dry_run_result *res,
                          const cli_options *opts)
{
    strbuf sb = {0};
    strbuf_appendf(&sb, "%zu migration%s, %zu statement%s, %zu lock mismatch%s", p->count,
                   p->count == 1 ? "" : "s", res->count, res->count == 1 ? "" : "s",
                   res->mismatches, res->mismatches == 1 ? "" : "es");
    if (res->have_diff)
        strbuf_appendf(&sb, "; schema: %zu added, %zu removed, %zu changed", res->diff.added,
                       res->diff.removed, res->diff.changed);
    if (opts->shadow)
        strbuf_append(&sb, "; on a shadow database");
    if (res->message)
        strbuf_appendf(&sb, "; %s", res->message);
    sw_error err = {0};
    const char *outcome = res->ok ? "ok" : res->cancelled ? "aborted"
                                       : res->lock_timeout ? "lock_timeout" : "failed";
    const char *version = p->count ? p->steps[focus].e->version : NULL;
    sw_status st = c->hist.events_exist
                       ? runner_audit(c->run, "dry_run", version, outcome, strbuf_str(&sb), &err)
                       : runner_audit_local(c->run, "dry_run", version, outcome, strbuf_str(&sb),
                                            &err);
    if (st != SW_OK)
        fprintf(stderr, "stepwise: warning: the dry run was not recorded: %s\n", err.message);
    strbuf_free(&sb);
}

static int check_args(const cli_options *opts, int argc, char **argv, bool *is_diff)
{
    *is_diff = strcmp(argv[0], "diff") == 0;
    if (*is_diff && argc != 2)
        return usage_error("Usage: stepwise diff VERSION [--down] [--shadow DB]",
                           "diff needs one VERSION (the pending migration to dry-run, or with "
                           "--down the applied one to roll back)");
    if (!*is_diff && opts->down)
        return usage_error(NULL, "--down belongs to diff; for plans say 'plan down --dry-run'");
    return SW_OK;
}

static int prepare_all(context *c, const plan *p, const run_settings *rs, migration_run *runs,
                       size_t *prepared)
{
    sw_error err = {0};
    for (*prepared = 0; *prepared < p->count; (*prepared)++)
        if (migration_run_prepare(runner_db(c->run), runner_table(c->run), rs,
                                  &p->steps[*prepared], runner_actor(c->run), &runs[*prepared],
                                  &err) != SW_OK)
            return usage_error(NULL, "%s; nothing was run", err.message);
    return SW_OK;
}

int cmd_diff(const cli_options *opts, int argc, char **argv)
{
    bool is_diff;
    int rc = check_args(opts, argc, argv, &is_diff);
    context c = {0};
    run_settings rs = {0};
    bool ok = true;
    sw_error err = {0};
    if (rc == SW_OK)
        rc = load_source(opts, &c);
    if (rc == SW_OK) {
        rs = settings_from(opts, &err, &ok);
        rc = ok ? open_runner(opts, &c, &rs, opts->shadow, false)
                : usage_error(NULL, "%s", err.message);
    }
    plan p = {0};
    size_t focus = 0;
    if (rc == SW_OK)
        rc = is_diff ? plan_for_version(opts, &c, argv[1], &p, &focus)
                     : make_plan(opts, &c, argc, argv, &p);
    migration_run *runs = xcalloc(p.count + 1, sizeof *runs);
    size_t prepared = 0;
    if (rc == SW_OK)
        rc = prepare_all(&c, &p, &rs, runs, &prepared);
    bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (rc == SW_OK && p.count)
        rc = confirm_target(opts, runner_db(c.run), &c.target, tty,
                            "dry-run migrations there: a dry run takes the same locks as "
                            "the real run, for as long as it runs");
    if (rc == SW_OK && p.count == 0)
        printf("nothing to dry-run: %zu applied, %zu pending\n", c.status.applied,
               c.status.pending);
    else if (rc == SW_OK) {
        dry_run_result res;
        if (run_dry(&c, runs, p.count, focus, opts, &res, &rc)) {
            if (opts->json)
                print_json(&c, &p, runs, focus, &res);
            else
                print_text(&c, &p, runs, focus, &res);
            audit_dry_run(&c, &p, focus, &res, opts);
        }
        dry_run_result_free(&res);
    }
    for (size_t i = 0; i < prepared; i++)
        migration_run_free(&runs[i]);
    free(runs);
    plan_free(&p);
    if (ok)
        settings_free(&rs);
    context_free(&c);
    return rc;
}
