/* Dry runs on the command line: `stepwise diff VERSION [--down]` and
 * `stepwise plan [up|down|goto V] --dry-run`, optionally on a staging
 * copy (`--shadow DB`), where no-transaction migrations run for real and
 * are put back with their down scripts. The work is core/dryrun.c's; this
 * file chooses the migrations, asks the production guard, shows progress,
 * prints the statements with their locks, the schema diff, and records
 * the event. */
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

/* What one dry run covers: the migrations, and on a shadow where they run
 * for real, the ones that put it back. */
typedef struct dry_set {
    migration_run *runs;
    size_t nruns, focus;
    bool committed;           /* on the shadow, for real */
    migration_run *undo;      /* committed: the reverse scripts, last migration first */
    size_t nundo;
    const char *no_down;      /* the version whose missing down script stops the put-back */
} dry_set;

static const migration_run *set_run(const dry_set *ds, size_t i)
{
    return i < ds->nruns ? &ds->runs[i] : &ds->undo[i - ds->nruns];
}

/* An autocommit statement's locks are gone when it ends: the prediction,
 * and why nothing taken can be shown. */
static void print_predicted(const sql_statement *st)
{
    for (size_t i = 0; i < st->nlocks; i++) {
        char *rel = text_escaped(st->locks[i].relation);
        printf("      predicted %-24s %s%s\n", lock_mode_pg_name(st->locks[i].mode), rel,
               st->locks[i].index ? " (index)" : st->locks[i].created ? " (new)" : "");
        free(rel);
    }
    if (!st->nlocks)
        printf("      predicted no lock\n");
    printf("      took      cannot be observed: in autocommit the statement released its locks "
           "as it ended\n");
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
    if (!ds->locks_observed) {
        print_predicted(st);
        return;
    }
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

static void print_migration_line(const migration_run *run, const char *note)
{
    printf("%s %s %s (%s)%s\n", run->down ? "roll back" : "apply", run->m->version, run->m->name,
           run->script->path, note);
}

/* The statements of migrations [from, to) of the set, each under its line. */
static size_t print_runs(const dry_set *set, const dry_run_result *res, size_t from, size_t to,
                         size_t next, bool pg)
{
    for (size_t m = from; m < to; m++) {
        const migration_run *run = set_run(set, m);
        print_migration_line(run, m < set->focus ? ", run first: the one in focus needs it" : "");
        for (; next < res->count && res->statements[next].migration == m; next++)
            print_statement(run, &res->statements[next], pg);
    }
    return next;
}

static void print_diff(const schema_diff *d)
{
    char *text = schema_diff_text(d);
    print_sql(text);
    free(text);
}

/* Why the shadow is not as it began (newly allocated). */
static char *not_back_reason(const dry_set *set, const dry_run_result *res)
{
    if (!res->ok && res->undo_ran)
        return xstrdup("putting it back stopped at the failure");
    if (!res->ok)
        return xstrdup("the dry run stopped, so the down scripts did not run: they expect "
                       "their migration whole");
    if (set->no_down)
        return xasprintf("%s has no down script", set->no_down);
    return xstrdup("the down scripts did not undo all the migrations did");
}

static void print_committed_end(const context *c, const dry_set *set, const dry_run_result *res)
{
    char *where = text_escaped(c->target.display);
    if (res->restored && res->ok)
        printf("\nthe shadow database %s was changed, then put back: its schema is as it began\n",
               where);
    else if (res->restored)
        printf("\nthe shadow database %s is as it began: nothing remains of what ran\n", where);
    else if (!res->have_remains)
        printf("\nthe shadow database %s was changed; its schema could not be compared with the "
               "one it began with\n",
               where);
    else {
        char *why = not_back_reason(set, res);
        printf("\nthe shadow database %s was changed and is not as it began (%s); what remains "
               "on it:\n",
               where, why);
        free(why);
        print_diff(&res->remains);
        fprintf(stderr, "stepwise: warning: the shadow database %s is not as it began: %s\n",
                where, "see what remains on it");
    }
    free(where);
    printf("%.0f ms: %zu statement%s run, %zu lock mismatch%s with the analysis; the history "
           "was not written\n",
           res->seconds * 1000, res->count, res->count == 1 ? "" : "s", res->mismatches,
           res->mismatches == 1 ? "" : "es");
}

static void print_failure(const dry_run_result *res, bool committed)
{
    char *msg = text_escaped(res->message ? res->message : "failed");
    fprintf(stderr, "stepwise: %s\n", msg);
    free(msg);
    const char *why = res->lock_timeout ? " (lock timeout: another session holds a lock it needs)"
                      : res->cancelled  ? " (cancelled)"
                                        : "";
    if (committed)
        fprintf(stderr, "  the dry run stopped there%s; what ran before it on the shadow "
                        "stays (see below)\n",
                why);
    else
        fprintf(stderr, "  the dry run stopped there%s and was rolled back; nothing was kept\n",
                why);
}

static void print_text(const context *c, const dry_set *set, const dry_run_result *res)
{
    bool pg = c->target.kind == DB_POSTGRES;
    if (set->committed) {
        const migration_run *first = set->runs;
        while (first->transactional)
            first++;
        char *where = text_escaped(c->target.display);
        printf("on the shadow database %s, for real: %s is a no-transaction migration, which "
               "cannot be rolled back; ",
               where, first->m->version);
        if (set->no_down)
            printf("the shadow is changed and not put back: %s has no down script\n",
                   set->no_down);
        else
            printf("the shadow is changed, then put back with the down scripts\n");
        free(where);
    }
    size_t next = print_runs(set, res, 0, set->nruns, 0, pg);
    if (!pg)
        printf("(SQLite takes one lock on the whole file: no locks per relation to show)\n");
    if (res->have_diff) {
        printf("\nschema diff%s:\n", set->focus ? " of the version in focus" : "");
        print_diff(&res->diff);
    }
    if (set->committed && res->undo_ran) {
        printf("\nput back:\n");
        print_runs(set, res, set->nruns, set->nruns + res->undo_ran, next, pg);
    }
    if (!res->ok)
        print_failure(res, set->committed);
    if (set->committed) {
        print_committed_end(c, set, res);
        return;
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
    json_key(w, "locks_observed");
    json_bool(w, ds->locks_observed);
    json_key(w, "locks_predicted");
    json_begin_array(w);
    for (size_t i = 0; i < st->nlocks; i++) {
        json_begin_object(w);
        json_key(w, "relation");
        json_string(w, st->locks[i].relation);
        json_key(w, "mode");
        json_string(w, lock_mode_pg_name(st->locks[i].mode));
        json_key(w, "index");
        json_bool(w, st->locks[i].index);
        json_end_object(w);
    }
    json_end_array(w);
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

static void json_runs(json_writer *w, const dry_set *set, const dry_run_result *res,
                      size_t from, size_t to)
{
    json_begin_array(w);
    for (size_t m = from; m < to; m++) {
        const migration_run *run = set_run(set, m);
        json_begin_object(w);
        json_key(w, "version");
        json_string(w, run->m->version);
        json_key(w, "name");
        json_string(w, run->m->name);
        json_key(w, "direction");
        json_string(w, run->down ? "down" : "up");
        json_key(w, "transactional");
        json_bool(w, run->transactional);
        json_key(w, "file");
        json_string(w, run->script->path);
        json_key(w, "in_focus");
        json_bool(w, m >= set->focus && m < set->nruns);
        json_key(w, "statements");
        json_begin_array(w);
        for (size_t i = 0; i < res->count; i++)
            if (res->statements[i].migration == m)
                json_statement(w, run, &res->statements[i]);
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);
}

static void json_diff(json_writer *w, bool have, const schema_diff *d)
{
    if (!have) {
        json_null(w);
        return;
    }
    char *text = schema_diff_json(d);
    json_raw(w, text);
    free(text);
}

static void print_json(const context *c, const dry_set *set, const dry_run_result *res)
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
    json_key(&w, "committed");
    json_bool(&w, set->committed);
    json_key(&w, "migrations");
    json_runs(&w, set, res, 0, set->nruns);
    json_key(&w, "diff");
    json_diff(&w, res->have_diff, &res->diff);
    if (set->committed) {
        json_key(&w, "put_back");
        json_runs(&w, set, res, set->nruns, set->nruns + res->undo_ran);
        json_key(&w, "no_down_script");
        json_string(&w, set->no_down);
        json_key(&w, "restored");
        if (res->have_remains)
            json_bool(&w, res->restored);
        else
            json_null(&w);
        json_key(&w, "remains");
        json_diff(&w, res->have_remains, &res->remains);
    }
    json_end_object(&w);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

/* Run the dry run to its end, Ctrl-C cancelling the statement. */
static bool run_dry(context *c, dry_set *set, const cli_options *opts, dry_run_result *res,
                    int *rc)
{
    sw_error err = {0};
    dry_run *dr = NULL;
    memset(res, 0, sizeof *res);
    sw_status st = set->committed
                       ? dry_run_start_committed(runner_db(c->run), runner_table(c->run),
                                                 set->runs, set->nruns, set->focus, set->undo,
                                                 set->nundo, opts->lock_timeout, &dr, &err)
                       : dry_run_start(runner_db(c->run), runner_table(c->run), set->runs,
                                       set->nruns, set->focus, opts->lock_timeout, &dr, &err);
    if (st != SW_OK) {
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

static void audit_dry_run(context *c, const dry_set *set, const dry_run_result *res,
                          const cli_options *opts)
{
    strbuf sb = {0};
    dry_run_summary(&sb, set->nruns, res);
    if (set->committed) {
        strbuf_append(&sb, "; run for real on a shadow database (no-transaction), history not "
                           "written");
        if (res->restored)
            strbuf_append(&sb, res->ok ? ", put back: schema as it began"
                                       : ", schema as it began: nothing remains of what ran");
        else if (res->have_remains) {
            char *why = not_back_reason(set, res);
            strbuf_appendf(&sb, ", not put back (%s): %zu added, %zu removed, %zu changed since "
                                "it began",
                           why, res->remains.added, res->remains.removed,
                           res->remains.changed);
            free(why);
        }
    } else if (opts->shadow) {
        strbuf_append(&sb, "; on a shadow database");
    }
    if (res->message)
        strbuf_appendf(&sb, "; %s", res->message);
    sw_error err = {0};
    const char *outcome = dry_run_outcome(res);
    const char *version = set->nruns ? set->runs[set->focus].m->version : NULL;
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

/* On the shadow, for real: the reverse script of each migration, the last
 * one first, up to the first that has none (what ran before it cannot be
 * put back either). A reverse script that does not prepare stops
 * everything before anything runs. */
static int prepare_undo(context *c, const plan *p, const run_settings *rs, dry_set *set)
{
    set->undo = xcalloc(p->count + 1, sizeof *set->undo);
    sw_error err = {0};
    for (size_t i = p->count; i-- > 0;) {
        plan_step back = {.e = p->steps[i].e, .down = !p->steps[i].down};
        if (back.down && !back.e->m->has_down) {
            set->no_down = back.e->version;
            break;
        }
        if (migration_run_prepare(runner_db(c->run), runner_table(c->run), rs, &back,
                                  runner_actor(c->run), &set->undo[set->nundo], &err) != SW_OK)
            return usage_error(NULL, "%s; it would put the shadow back after the dry run; "
                                     "nothing was run",
                               err.message);
        set->nundo++;
    }
    return SW_OK;
}

/* The identity of a database: its server (port and start time: another
 * server never shares them) and name, or a SQLite file's path. */
static char *database_identity(db *d)
{
    db_server_info info;
    sw_error err = {0};
    if (db_server_info_get(d, &info, &err) != SW_OK)
        return NULL;
    char *id = NULL;
    if (db_get_kind(d) == DB_SQLITE) {
        id = xasprintf("sqlite %s", info.database);
    } else {
        db_result *r = NULL;
        if (db_query(d, "SELECT pg_catalog.pg_postmaster_start_time()::text", 0, NULL, &r,
                     &err) == SW_OK)
            id = xasprintf("postgres %s %s %s", info.port ? info.port : "",
                           db_result_value(r, 0, 0), info.database);
        db_result_free(r);
    }
    db_server_info_free(&info);
    return id;
}

/* A shadow where migrations run for real must not be the target itself.
 * Without a target to compare with (none given, or not reachable), there
 * is nothing to check. */
static int shadow_not_target(const cli_options *opts, context *c)
{
    db_target t;
    db *d = NULL;
    sw_error err = {0};
    if (open_target(opts, DB_OPEN_EXISTING, &t, &d, &err) != SW_OK) {
        if (err.status != SW_USAGE)
            db_target_free(&t);
        return SW_OK;
    }
    char *target = database_identity(d), *shadow = database_identity(runner_db(c->run));
    int rc = SW_OK;
    if (target && shadow && strcmp(target, shadow) == 0)
        rc = usage_error(NULL, "--shadow %s is the target database itself: a no-transaction "
                               "migration runs for real on the shadow; name a staging copy",
                         c->target.display);
    free(target);
    free(shadow);
    db_close(d);
    db_target_free(&t);
    return rc;
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
    dry_set set = {0};
    if (rc == SW_OK)
        rc = is_diff ? plan_for_version(opts, &c, argv[1], &p, &set.focus)
                     : make_plan(opts, &c, argc, argv, &p);
    set.runs = xcalloc(p.count + 1, sizeof *set.runs);
    size_t prepared = 0;
    if (rc == SW_OK)
        rc = prepare_all(&c, &p, &rs, set.runs, &prepared);
    set.nruns = p.count;
    for (size_t i = 0; rc == SW_OK && opts->shadow && i < p.count; i++)
        set.committed |= !set.runs[i].transactional;
    if (rc == SW_OK && set.committed)
        rc = prepare_undo(&c, &p, &rs, &set);
    if (rc == SW_OK && set.committed)
        rc = shadow_not_target(opts, &c);
    bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (rc == SW_OK && p.count)
        rc = confirm_target(opts, runner_db(c.run), &c.target, tty,
                            set.committed
                                ? "run migrations there for real (a no-transaction migration "
                                  "cannot be rolled back), then put it back with their down "
                                  "scripts"
                                : "dry-run migrations there: a dry run takes the same locks as "
                                  "the real run, for as long as it runs");
    if (rc == SW_OK && p.count == 0)
        printf("nothing to dry-run: %zu applied, %zu pending\n", c.status.applied,
               c.status.pending);
    else if (rc == SW_OK) {
        dry_run_result res;
        if (run_dry(&c, &set, opts, &res, &rc)) {
            if (opts->json)
                print_json(&c, &set, &res);
            else
                print_text(&c, &set, &res);
            audit_dry_run(&c, &set, &res, opts);
        }
        dry_run_result_free(&res);
    }
    for (size_t i = 0; i < prepared; i++)
        migration_run_free(&set.runs[i]);
    for (size_t i = 0; i < set.nundo; i++)
        migration_run_free(&set.undo[i]);
    free(set.runs);
    free(set.undo);
    plan_free(&p);
    if (ok)
        settings_free(&rs);
    context_free(&c);
    return rc;
}
