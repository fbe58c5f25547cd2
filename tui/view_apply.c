/* The supervised apply (DESIGN.md §7): a plan screen with preflight, a
 * confirmation per migration (run, step through, dry run first, stop), a
 * live panel while a statement runs (what it waits for, who holds it, who
 * queues behind the migration), a lock-timeout dialog and a commit gate
 * shown from inside the still-open transaction.
 *
 * The runner lives on a worker thread of its own ("apply"), which drives
 * the engine's step interface (runner_start_ex, runner_poll in short
 * slices, runner_continue, runner_commit, runner_stop); this thread only
 * decides, draws and reads the lock monitor's snapshots, so the screen
 * never waits on the server. One job runs at a time; `cancel` is the only
 * thing this side writes while a job runs. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply.h"
#include "core/audit.h"
#include "core/backup.h"
#include "core/diff.h"
#include "core/dryrun.h"
#include "core/lint.h"
#include "core/preflight.h"
#include "tui/console.h"
#include "tui/session_action.h"

enum step_state {
    STEP_WAITING,     /* not reached yet */
    STEP_ASKING,      /* its confirmation is on screen */
    STEP_RUNNING,
    STEP_PAUSED,      /* stepping: the next statement waits for y */
    STEP_GATE,
    STEP_DONE,
    STEP_SKIPPED,     /* SQLite: another run did it meanwhile */
    STEP_ROLLED_BACK, /* cancelled, refused at the gate, lock timeout */
    STEP_FAILED,
    STEP_DIRTY,       /* no-transaction, stopped part way */
    STEP_NOT_RUN,     /* the plan stopped before it */
};

static const char *const step_words[] = {"", "next", "running", "stepping", "commit gate", "done",
                                         "already done", "rolled back", "failed", "dirty",
                                         "not run"};

typedef struct apply_step {
    plan_step ps;
    migration_run run;
    bool prepared;
    const char *lint;      /* worst finding: "error", "warning", "hint", "clean" */
    char *lock;            /* strongest predicted lock, or "" */
    int state;
    double seconds;
    size_t attempts;       /* lock-timeout retries so far */
    char *dry;             /* the dry run's result, when asked */
} apply_step;

enum phase {
    PH_OPENING,
    PH_BLOCKED,       /* preflight FAILs: o overrides what allows it */
    PH_CONFIRM,       /* y / s / d / n for steps[current] */
    PH_BUSY,          /* a short job: dry run, commit, roll back, audit */
    PH_RUNNING,
    PH_PAUSED,
    PH_GATE,
    PH_LOCK_TIMEOUT,  /* t / p / a */
    PH_RETRY_WAIT,
    PH_FINISHED,
};

/* Everything the jobs touch; see the comment at the top for who writes
 * what when. */
typedef struct flow {
    const db_target *target;  /* the console's, alive until it ends */
    char *table_spec, *dir;
    int kind;
    char *version;
    run_settings rs;
    char *lock_timeout, *statement_timeout, *audit_path;
    preflight_options po;

    runner *r;
    migration_source src;
    history_data hist;
    migration_status status;
    apply_step *steps;
    size_t nsteps;
    preflight pf;
    bool have_pf;
    size_t resume_from;
    bool started;             /* history tables created, schema saved */
    char *snapshot_path;

    /* A job's outcome, read by its done(). */
    char *error;
    char *note;
    run_result res;
    bool have_res, paused, held;
    char *gate_diff, *gate_with, *gate_locks;

    /* This thread's own: jobs posted and not yet done, and whether the
     * view has let go of the flow (freed when both say so). */
    int pending;
    bool orphaned, closing;

    pthread_mutex_t mu;       /* guards the live fields below */
    double elapsed;
    size_t statement, statements;
    bool waiting;
    char *blockers;
    atomic_bool cancel;
} flow;

typedef struct apply_state {
    flow *f;
    int phase;
    size_t current;
    unsigned flags;           /* of the current migration's run */
    double phase_since;
    double queue_since;       /* gate: when sessions were first seen queued; 0: none */
    size_t queued;
    double retry_at;
    char *title;
    char *outcome;            /* the run's end, for FINISHED */
    style outcome_style;
    char *detail;             /* the failure's message and what remains */
    long top;                 /* plan table scroll */
} apply_state;

enum op {
    OP_OPEN,
    OP_PREFLIGHT,
    OP_START,
    OP_CONTINUE,
    OP_COMMIT,
    OP_STOP,
    OP_DRY,
    OP_AUDIT,
    OP_FORCE,
    OP_CLOSE,
};

typedef struct flow_job {
    flow *f;
    int op;
    size_t index;
    unsigned flags;
    char *why;               /* OP_STOP */
    char *action, *outcome, *detail; /* OP_AUDIT, and the decision of OP_START */
} flow_job;

static apply_state *state_of(console *c);
static void after_job(console *c, flow_job *j);

/* ------------------------------------------------------------ the flow */

static void flow_free(flow *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nsteps; i++) {
        if (f->steps[i].prepared)
            migration_run_free(&f->steps[i].run);
        free(f->steps[i].lock);
        free(f->steps[i].dry);
    }
    free(f->steps);
    if (f->have_pf)
        preflight_free(&f->pf);
    runner_close(f->r);
    status_free(&f->status);
    history_free(&f->hist);
    source_free(&f->src);
    run_result_free(&f->res);
    free(f->table_spec);
    free(f->dir);
    free(f->version);
    free(f->lock_timeout);
    free(f->statement_timeout);
    free(f->audit_path);
    free(f->snapshot_path);
    free(f->error);
    free(f->note);
    free(f->gate_diff);
    free(f->gate_with);
    free(f->gate_locks);
    free(f->blockers);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static void fail_job(flow *f, const char *fmt, ...) SW_PRINTF(2, 3);
static void fail_job(flow *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(f->error);
    f->error = xvasprintf(fmt, ap);
    va_end(ap);
}

/* Worst lint finding of a script linted on its own, in one word. */
static const char *lint_word_of(const migration_run *run, bool down)
{
    lint_options lo = {.no_transaction = !run->transactional,
                       .lock_timeout_set = run->script->directives.lock_timeout != NULL,
                       .down = down};
    lint_schema scratch = {0};
    lint_findings f = {0};
    lint_script(&run->parsed, &lo, &scratch, &f);
    lint_schema_free(&scratch);
    const char *word = sql_script_errors(&run->parsed) ? "not analysed"
                       : lint_count(&f, LINT_ERROR)    ? "error"
                       : lint_count(&f, LINT_WARNING)  ? "warning"
                       : lint_count(&f, LINT_HINT)     ? "hint"
                                                       : "clean";
    lint_findings_free(&f);
    return word;
}

static char *strongest_lock(const migration_run *run, bool pg)
{
    if (!pg)
        return xstrdup("database file (write)");
    const sql_lock *best = NULL;
    for (size_t i = 0; i < run->parsed.count; i++) {
        const sql_statement *st = &run->parsed.statements[i];
        for (size_t k = 0; k < st->nlocks; k++)
            if (!st->locks[k].created && (!best || st->locks[k].mode > best->mode))
                best = &st->locks[k];
    }
    return best ? xasprintf("%s on %s", lock_mode_pg_name(best->mode), best->relation)
                : xstrdup("only new objects");
}

static bool make_plan(flow *f, plan *p, sw_error *err)
{
    switch (f->kind) {
    case APPLY_KIND_NEXT:
        return plan_up(&f->status, NULL, 1, p, err) == SW_OK;
    case APPLY_KIND_UP_TO:
        return plan_up(&f->status, f->version, -1, p, err) == SW_OK;
    case APPLY_KIND_ALL:
        return plan_up(&f->status, NULL, -1, p, err) == SW_OK;
    case APPLY_KIND_DOWN:
        return plan_down(&f->status, NULL, 1, p, err) == SW_OK;
    case APPLY_KIND_GOTO:
        return plan_goto(&f->status, f->version, p, err) == SW_OK;
    case APPLY_KIND_RESUME:
        for (size_t i = 0; i < f->status.count; i++) {
            const status_entry *e = &f->status.entries[i];
            if (e->state != STATE_DIRTY)
                continue;
            if (!e->m) {
                sw_error_set(err, SW_USAGE, "dirty version %s has no file; restore it or force it",
                             e->version);
                return false;
            }
            p->steps = xcalloc(1, sizeof *p->steps);
            p->steps[0].e = e;
            p->steps[0].down = e->h->dirty_down;
            p->count = 1;
            f->resume_from = (size_t)e->h->steps_done;
            return true;
        }
        sw_error_set(err, SW_USAGE, "nothing to resume: no version is dirty");
        return false;
    default:
        sw_error_set(err, SW_USAGE, "unknown plan");
        return false;
    }
}

static void run_preflight(flow *f)
{
    if (f->have_pf)
        preflight_free(&f->pf);
    preflight_run(runner_db(f->r), &f->status, &f->po, &f->pf);
    f->have_pf = true;
}

/* Open the runner (its connections and the migration lock), read the
 * folder and the history under that lock, and prepare every step: all
 * checked before anything runs. */
static void open_run(flow *f)
{
    sw_error err = {0};
    if (runner_open(f->target, f->table_spec, &f->rs, false, &f->r, &err) != SW_OK) {
        fail_job(f, "%s", err.message);
        return;
    }
    if (source_read(f->dir, &f->src, &err) != SW_OK) {
        fail_job(f, "%s", err.message);
        return;
    }
    if (f->src.errors) {
        for (size_t i = 0; i < f->src.nproblems; i++)
            if (f->src.problems[i].severity == SOURCE_ERROR) {
                char *t = source_problem_text(&f->src, &f->src.problems[i]);
                fail_job(f, "%s (%zu error%s in the folder; nothing was run)", t, f->src.errors,
                         f->src.errors == 1 ? "" : "s");
                free(t);
                return;
            }
    }
    if (history_read(runner_db(f->r), runner_table(f->r), &f->hist, &err) != SW_OK) {
        fail_job(f, "%s", err.message);
        return;
    }
    status_build(&f->src, &f->hist, &f->status);
    if (f->kind == APPLY_KIND_FORCE)
        return;
    plan p = {0};
    if (!make_plan(f, &p, &err)) {
        fail_job(f, "%s", err.message);
        plan_free(&p);
        return;
    }
    bool pg = db_get_kind(runner_db(f->r)) == DB_POSTGRES;
    f->steps = xcalloc(p.count + 1, sizeof *f->steps);
    f->nsteps = p.count;
    for (size_t i = 0; i < p.count; i++) {
        apply_step *s = &f->steps[i];
        s->ps = p.steps[i];
        if (migration_run_prepare(runner_db(f->r), runner_table(f->r), &f->rs, &s->ps,
                                  runner_actor(f->r), &s->run, &err) != SW_OK) {
            fail_job(f, "%s; nothing was run", err.message);
            break;
        }
        s->prepared = true;
        s->lint = lint_word_of(&s->run, s->ps.down);
        s->lock = strongest_lock(&s->run, pg);
    }
    plan_free(&p);
    if (!f->error && f->kind != APPLY_KIND_RESUME)
        run_preflight(f);
}

/* Publish the runner's progress for the screen. */
static void publish(flow *f, const run_progress *pr)
{
    pthread_mutex_lock(&f->mu);
    f->elapsed = pr->elapsed;
    f->statement = pr->statement;
    f->statements = pr->statements;
    f->waiting = pr->waiting;
    free(f->blockers);
    f->blockers = pr->blockers ? xstrdup(pr->blockers) : NULL;
    pthread_mutex_unlock(&f->mu);
}

static void gate_info(flow *f)
{
    sw_error err = {0};
    free(f->gate_diff);
    free(f->gate_with);
    free(f->gate_locks);
    f->gate_diff = f->gate_with = f->gate_locks = NULL;
    if (runner_gate_diff(f->r, &f->gate_diff, &f->gate_with, &err) != SW_OK)
        f->gate_diff = xasprintf("(the schema could not be compared: %s)", err.message);
    sw_error_clear(&err);
    if (runner_held_locks(f->r, &f->gate_locks, &err) != SW_OK)
        f->gate_locks = xasprintf("(the locks could not be read: %s)", err.message);
    sw_error_clear(&err);
}

/* Poll the runner until the migration ends, pauses before a statement,
 * or holds at the gate; a cancel asked for meanwhile goes to the server. */
static void drive(flow *f)
{
    bool cancel_sent = false;
    sw_error err = {0};
    f->have_res = f->paused = f->held = false;
    for (;;) {
        if (atomic_load(&f->cancel) && !cancel_sent) {
            runner_cancel(f->r);
            cancel_sent = true;
        }
        bool done = false;
        run_progress pr;
        if (runner_poll(f->r, 100, &done, &pr, &err) != SW_OK) {
            fail_job(f, "%s", err.message);
            run_progress_free(&pr);
            return;
        }
        publish(f, &pr);
        bool paused = pr.paused, held = pr.held;
        run_progress_free(&pr);
        if (done) {
            run_result_free(&f->res);
            runner_result(f->r, &f->res);
            f->have_res = true;
            return;
        }
        if ((paused || held) && atomic_load(&f->cancel)) {
            /* x was pressed as the statement ended: the cancel stands. */
            if (runner_stop(f->r, "cancelled by the operator", &err) != SW_OK) {
                fail_job(f, "%s", err.message);
                return;
            }
            continue;
        }
        if (paused || held) {
            f->paused = paused;
            f->held = held;
            if (held)
                gate_info(f);
            return;
        }
    }
}

static void audit(flow *f, const char *action, const char *version, const char *outcome,
                  const char *detail)
{
    sw_error err = {0};
    if (runner_audit(f->r, action, version, outcome, detail, &err) != SW_OK) {
        free(f->note);
        f->note = xasprintf("the decision was not recorded: %s", err.message);
    }
    sw_error_clear(&err);
}

/* Before the first migration: the history tables, then the schema saved
 * (the snapshot each later comparison starts from). */
static bool begin_run(flow *f)
{
    sw_error err = {0};
    if (runner_create_history(f->r, &err) != SW_OK) {
        fail_job(f, "%s; nothing was run", err.message);
        return false;
    }
    char *dir = snapshot_dir(getenv("XDG_STATE_HOME"), getenv("HOME"), &err);
    if (!dir || runner_backup(f->r, dir, &f->snapshot_path, &err) != SW_OK) {
        fail_job(f, "%s; nothing was run: stepwise saves the schema before every run (set "
                    "XDG_STATE_HOME to a writable folder)",
                 err.message);
        free(dir);
        return false;
    }
    free(dir);
    f->started = true;
    return true;
}

static void dry_run_step(flow *f, apply_step *s)
{
    sw_error err = {0};
    free(s->dry);
    s->dry = NULL;
    if (!s->run.transactional) {
        s->dry = xasprintf("%s runs outside a transaction, so it cannot be dry-run here and "
                           "rolled back; 'stepwise diff %s --shadow DB' runs it on a copy",
                           s->run.script->path, s->ps.e->version);
        return;
    }
    dry_run *dr = NULL;
    if (dry_run_start(runner_db(f->r), runner_table(f->r), &s->run, 1, 0, f->lock_timeout, &dr,
                      &err) != SW_OK) {
        s->dry = xasprintf("the dry run could not start: %s", err.message);
        return;
    }
    bool done = false, cancelled = false;
    while (!done) {
        if (atomic_load(&f->cancel) && !cancelled) {
            dry_run_cancel(dr);
            cancelled = true;
        }
        if (dry_run_poll(dr, 100, &done, &err) != SW_OK)
            break;
    }
    dry_run_result res;
    memset(&res, 0, sizeof res);
    dry_run_finish(dr, &res);
    strbuf sb = {0};
    dry_run_summary(&sb, 1, &res);
    strbuf_append(&sb, "; from the console's apply");
    if (res.message)
        strbuf_appendf(&sb, "; %s", res.message);
    audit(f, "dry_run", s->ps.e->version, dry_run_outcome(&res), strbuf_str(&sb));
    strbuf_reset(&sb);
    strbuf_appendf(&sb, "dry run of %s: %s after %.0f ms; nothing was kept\n", s->ps.e->version,
                   res.ok ? "every statement ran, rolled back" : "stopped, rolled back",
                   res.seconds * 1000);
    if (res.message)
        strbuf_appendf(&sb, "%s\n", res.message);
    for (size_t i = 0; i < res.count; i++) {
        const dry_statement *ds = &res.statements[i];
        for (size_t k = 0; k < ds->nchecks; k++) {
            const dry_lock_check *lc = &ds->checks[k];
            strbuf_appendf(&sb, "  [%zu] %s: took %s%s\n", ds->index + 1, lc->relation,
                           lc->taken ? lock_mode_pg_name(lc->taken) : "nothing",
                           lc->mismatch ? " (NOT as predicted)" : "");
        }
    }
    if (res.have_diff) {
        char *d = schema_diff_text(&res.diff);
        strbuf_appendf(&sb, "schema diff:\n%s", *d ? d : "  (no change)\n");
        free(d);
    }
    s->dry = strbuf_detach(&sb);
    dry_run_result_free(&res);
}

static void job_run(void *arg)
{
    flow_job *j = arg;
    flow *f = j->f;
    sw_error err = {0};
    free(f->error);
    f->error = NULL;
    switch (j->op) {
    case OP_OPEN:
        open_run(f);
        break;
    case OP_PREFLIGHT:
        run_preflight(f);
        if (j->detail)
            audit(f, "override", NULL, "preflight", j->detail);
        break;
    case OP_START: {
        apply_step *s = &f->steps[j->index];
        if (!f->started && !begin_run(f))
            break;
        if (j->action)
            audit(f, j->action, s->ps.e->version, j->outcome, j->detail);
        atomic_store(&f->cancel, false);
        size_t from = j->index == 0 && s->attempts == 0 ? f->resume_from : 0;
        if (runner_start_ex(f->r, &s->run, from, j->flags, &err) != SW_OK) {
            fail_job(f, "%s", err.message);
            break;
        }
        drive(f);
        break;
    }
    case OP_CONTINUE:
        if (runner_continue(f->r, &err) != SW_OK)
            fail_job(f, "%s", err.message);
        else
            drive(f);
        break;
    case OP_COMMIT:
        if (j->detail)
            audit(f, "commit_gate", f->steps[j->index].ps.e->version, "commit", j->detail);
        if (runner_commit(f->r, &err) != SW_OK)
            fail_job(f, "%s", err.message);
        else
            drive(f);
        break;
    case OP_STOP:
        /* The decision is recorded after the rollback: on SQLite the
         * event would otherwise go inside the transaction it ends. */
        if (runner_stop(f->r, j->why, &err) != SW_OK) {
            fail_job(f, "%s", err.message);
            break;
        }
        if (j->action)
            audit(f, j->action, f->steps[j->index].ps.e->version, j->outcome, j->detail);
        drive(f);
        break;
    case OP_DRY:
        if (j->action)
            audit(f, j->action, f->steps[j->index].ps.e->version, j->outcome, j->detail);
        atomic_store(&f->cancel, false);
        dry_run_step(f, &f->steps[j->index]);
        break;
    case OP_AUDIT:
        audit(f, j->action, f->nsteps > j->index ? f->steps[j->index].ps.e->version : f->version,
              j->outcome, j->detail);
        break;
    case OP_FORCE: {
        open_run(f);
        const status_entry *e = f->error ? NULL : status_find(&f->status, f->version);
        if (f->error)
            break;
        if (!e || !e->m)
            fail_job(f, "version %s has no file here: nothing to force", f->version);
        else if (runner_force(f->r, e, false, &err) != SW_OK)
            fail_job(f, "%s", err.message);
        break;
    }
    case OP_CLOSE:
        runner_close(f->r);
        f->r = NULL;
        break;
    default:
        break;
    }
    sw_error_clear(&err);
}

static void job_free(flow_job *j)
{
    free(j->why);
    free(j->action);
    free(j->outcome);
    free(j->detail);
    free(j);
}

static void job_done(void *context, void *arg)
{
    flow_job *j = arg;
    console *c = context;
    flow *f = j->f;
    f->pending--;
    if (c && !f->orphaned)
        after_job(c, j);
    else if (f->orphaned && f->pending == 0)
        flow_free(f);
    job_free(j);
}

static const char *const op_words[] = {
    "opening the run: connecting, taking the migration lock, reading the history",
    "running the preflight checks",
    "running the migration",
    "running the next statement",
    "committing",
    "rolling back",
    "dry-running the migration",
    "recording the decision",
    "forcing the version's record",
    "closing the run",
};

static flow_job *job_new(int op, size_t index);

static void post_for(console *c, flow *f, flow_job *j)
{
    if (!c->apply_worker)
        c->apply_worker = worker_start("apply");
    j->f = f;
    f->pending++;
    if (j->op == OP_CLOSE)
        f->closing = true;
    worker_post(c->apply_worker, op_words[j->op], job_run, job_done, j);
}

static void post(console *c, apply_state *st, flow_job *j)
{
    post_for(c, st->f, j);
}

/* The view lets go of a flow: its connections closed on the worker, then
 * freed when its last job is done. */
static void let_go(console *c, flow *f)
{
    if (!f)
        return;
    f->orphaned = true;
    if (!f->closing && c->apply_worker)
        post_for(c, f, job_new(OP_CLOSE, 0));
    else if (f->pending == 0)
        flow_free(f);
}

static bool busy(const apply_state *st)
{
    return st->f && st->f->pending > 0;
}

static flow_job *job_new(int op, size_t index)
{
    flow_job *j = xcalloc(1, sizeof *j);
    j->op = op;
    j->index = index;
    return j;
}

/* ----------------------------------------------------------- decisions */

static void set_phase(apply_state *st, int phase)
{
    st->phase = phase;
    st->phase_since = clock_now();
}

static apply_step *current(apply_state *st)
{
    return st->f && st->current < st->f->nsteps ? &st->f->steps[st->current] : NULL;
}

static void finish(console *c, apply_state *st, style s, const char *fmt, ...) SW_PRINTF(4, 5);
static void finish(console *c, apply_state *st, style s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(st->outcome);
    st->outcome = xvasprintf(fmt, ap);
    va_end(ap);
    st->outcome_style = s;
    if (st->f)
        for (size_t i = 0; i < st->f->nsteps; i++)
            if (st->f->steps[i].state == STEP_WAITING || st->f->steps[i].state == STEP_ASKING)
                st->f->steps[i].state = STEP_NOT_RUN;
    set_phase(st, PH_FINISHED);
    c->transaction_open = false;
    c->apply_busy = false;
    c->migration_lock = false;
    /* The migration lock goes with the runner: other runs may go on. */
    if (st->f && !st->f->closing)
        post(c, st, job_new(OP_CLOSE, 0));
    console_reload(c);
}

static size_t count_state(const flow *f, int state)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nsteps; i++)
        n += f->steps[i].state == state;
    return n;
}

static void ask_next(console *c, apply_state *st)
{
    flow *f = st->f;
    while (st->current < f->nsteps && f->steps[st->current].state != STEP_WAITING)
        st->current++;
    if (st->current >= f->nsteps) {
        size_t done = count_state(f, STEP_DONE) + count_state(f, STEP_SKIPPED);
        finish(c, st, STYLE_APPLIED, "Done: %zu migration%s %s.", done, done == 1 ? "" : "s",
               f->nsteps && f->steps[0].ps.down ? "rolled back" : "applied");
        return;
    }
    f->steps[st->current].state = STEP_ASKING;
    set_phase(st, PH_CONFIRM);
}

static void stopped_before(console *c, apply_state *st, const char *why)
{
    apply_step *s = current(st);
    size_t done = count_state(st->f, STEP_DONE);
    finish(c, st, STYLE_WARNING, "Stopped before %s (%s)%s.", s ? s->ps.e->version : "the end",
           why, done ? "; the migrations before it are committed" : "; nothing was run");
}

/* The remains of a failure, for the finished screen. */
static void describe_failure(apply_state *st, const apply_step *s, const run_result *res)
{
    strbuf sb = {0};
    if (res->message)
        strbuf_appendf(&sb, "%s\n", res->message);
    if (res->blockers)
        strbuf_appendf(&sb, "blocked by:\n%s", res->blockers);
    if (res->hint)
        strbuf_appendf(&sb, "hint: %s\n", res->hint);
    if (res->schema_checked && res->compared_with)
        strbuf_appendf(&sb, "schema compared with %s%s%s\n", res->compared_with,
                       res->remains ? ": changed since by the migrations this run committed: "
                                    : ": no difference",
                       res->remains ? res->remains : "");
    else if (res->schema_checked)
        strbuf_appendf(&sb, "schema compared with the snapshot taken before it: %s%s\n",
                       res->remains ? "what remains:\n" : "nothing remains",
                       res->remains ? res->remains : "");
    if (s->run.transactional)
        strbuf_appendf(&sb, "version %s was rolled back; the database is as before it\n",
                       s->ps.e->version);
    else
        strbuf_appendf(&sb, "version %s is dirty after %zu of %zu statements: fix the cause, "
                            "then in the list r resumes it and F forces its record\n",
                       s->ps.e->version, res->steps_done, s->run.parsed.count);
    free(st->detail);
    st->detail = strbuf_detach(&sb);
}

static void run_ended(console *c, apply_state *st)
{
    flow *f = st->f;
    apply_step *s = current(st);
    if (!s)
        return;
    run_result *res = &f->res;
    s->seconds = res->seconds;
    c->transaction_open = false;
    switch (res->outcome) {
    case RUN_OK:
    case RUN_SKIPPED:
        s->state = res->outcome == RUN_OK ? STEP_DONE : STEP_SKIPPED;
        if (res->outcome == RUN_OK)
            console_walkthrough_note(c, s->ps.down ? WALK_ROLLBACK : WALK_GATE);
        if (res->outcome == RUN_OK && f->kind == APPLY_KIND_RESUME)
            console_walkthrough_note(c, WALK_RESUMED);
        console_message(c, STYLE_INFO, "%s %s: %s (%.0f ms)", s->ps.down ? "rolled back" : "applied",
                        s->ps.e->version, res->outcome == RUN_OK ? "done" : "already done",
                        res->seconds * 1000);
        console_reload(c);
        ask_next(c, st);
        return;
    case RUN_LOCK_TIMEOUT:
        console_walkthrough_note(c, WALK_LOCK_TIMEOUT);
        if (s->run.transactional) {
            s->state = STEP_ROLLED_BACK;
            describe_failure(st, s, res);
            set_phase(st, PH_LOCK_TIMEOUT);
            return;
        }
        break;
    default:
        break;
    }
    /* A no-transaction migration wrote its dirty row before anything. */
    s->state = !s->run.transactional           ? STEP_DIRTY
               : res->outcome == RUN_FAILED   ? STEP_FAILED
                                              : STEP_ROLLED_BACK;
    describe_failure(st, s, res);
    if (s->state == STEP_DIRTY)
        console_walkthrough_note(c, WALK_FAILED);
    const char *what = res->outcome == RUN_ABORTED ? "stopped" : "failed";
    finish(c, st, STYLE_ERROR, "%s %s: %s. The plan stops here%s.", s->ps.down ? "Rollback of" :
           "Apply of", s->ps.e->version, what,
           count_state(f, STEP_DONE) ? "; the migrations before it are committed" : "");
}

static void after_job(console *c, flow_job *j)
{
    apply_state *st = state_of(c);
    flow *f = st->f;
    if (j->op == OP_CLOSE)
        return;
    if (f->note) {
        console_message(c, STYLE_WARNING, "%s", f->note);
        free(f->note);
        f->note = NULL;
    }
    if (f->error) {
        apply_step *s = current(st);
        if (s && (s->state == STEP_RUNNING || s->state == STEP_PAUSED || s->state == STEP_GATE))
            s->state = s->run.transactional ? STEP_FAILED : STEP_DIRTY;
        free(st->detail);
        st->detail = xstrdup(f->error);
        finish(c, st, STYLE_ERROR, "%s", j->op == OP_OPEN ? "The run could not begin; nothing was run."
                                                          : "The run stopped on an error.");
        return;
    }
    switch (j->op) {
    case OP_OPEN:
        c->migration_lock = db_get_kind(runner_db(f->r)) == DB_POSTGRES;
        c->apply_pid = runner_work_pid(f->r);
        if (!f->nsteps) {
            finish(c, st, STYLE_INFO, "Nothing to do: %zu applied, %zu pending.",
                   f->status.applied, f->status.pending);
            return;
        }
        if (f->have_pf && f->pf.fails) {
            set_phase(st, PH_BLOCKED);
            return;
        }
        ask_next(c, st);
        return;
    case OP_PREFLIGHT:
        if (f->pf.fails)
            set_phase(st, PH_BLOCKED);
        else
            ask_next(c, st);
        return;
    case OP_FORCE:
        finish(c, st, STYLE_APPLIED, "Version %s is now recorded applied and clean (audited).",
               f->version);
        return;
    case OP_DRY:
        set_phase(st, PH_CONFIRM);
        return;
    case OP_AUDIT:
        return;
    default:
        break;
    }
    /* START, CONTINUE, COMMIT, STOP: where the migration is now. */
    apply_step *s = current(st);
    if (f->have_res) {
        run_ended(c, st);
    } else if (f->held) {
        s->state = STEP_GATE;
        st->queue_since = 0;
        set_phase(st, PH_GATE);
    } else if (f->paused) {
        s->state = STEP_PAUSED;
        set_phase(st, PH_PAUSED);
    }
}

/* ------------------------------------------------------------ the keys */

static void start_step(console *c, apply_state *st, unsigned flags, const char *decision)
{
    apply_step *s = current(st);
    if (!s)
        return;
    /* A no-transaction migration cannot be rolled back: each of its
     * statements is confirmed, whichever key started it. */
    if (!s->run.transactional)
        flags |= RUN_STEP;
    flow_job *j = job_new(OP_START, st->current);
    st->flags = flags;
    j->flags = flags | RUN_HOLD;
    if (decision) {
        j->action = xstrdup("confirm");
        j->outcome = xstrdup(decision);
        j->detail = xasprintf("%s %s from the console%s", s->ps.down ? "roll back" : "apply",
                              s->ps.e->name, flags & RUN_STEP ? ", confirming each statement" : "");
    }
    s->state = STEP_RUNNING;
    c->transaction_open = s->run.transactional;
    c->apply_busy = true;
    set_phase(st, PH_RUNNING);
    post(c, st, j);
}

static void kill_answer_second(console *c, void *arg, bool yes);

typedef struct kill_ask {
    int pid;
} kill_ask;

static const monitor_session *find_session(console *c, int pid)
{
    if (!c->have_snapshot)
        return NULL;
    return monitor_find(&c->snapshot, pid);
}

static void kill_answer_first(console *c, void *arg, bool yes)
{
    kill_ask *k = arg;
    if (!yes) {
        console_message(c, STYLE_INFO, "nothing done to pid %d", k->pid);
        free(k);
        return;
    }
    char pid[16];
    snprintf(pid, sizeof pid, "%d", k->pid);
    char *body = xasprintf("Second confirmation: pid %d's connection will be closed and its\n"
                           "transaction rolled back; its application sees an error.",
                           k->pid);
    console_ask(c, "Terminate the blocker?", body, pid, kill_answer_second, k);
    free(body);
}

static void kill_answer_second(console *c, void *arg, bool yes)
{
    kill_ask *k = arg;
    const monitor_session *s = find_session(c, k->pid);
    if (!yes || !s) {
        console_message(c, STYLE_INFO, yes ? "pid %d is gone: nothing to do"
                                           : "nothing done to pid %d (the pid typed differs)",
                        k->pid);
        free(k);
        return;
    }
    session_signal_now(c, s, true);
    free(k);
}

static void kill_blocker(console *c, apply_state *st)
{
    const monitor_session *me = find_session(c, c->apply_pid);
    if (st->phase != PH_RUNNING || !me || !me->waiting || !me->nblockers) {
        console_message(c, STYLE_INFO, "the migration is not waiting for a lock: no blocker");
        return;
    }
    const monitor_session *b = find_session(c, me->blockers[0]);
    if (!b || b->pid == 0) {
        console_message(c, STYLE_WARNING, "the blocker is not a session that can be terminated");
        return;
    }
    kill_ask *k = xcalloc(1, sizeof *k);
    k->pid = b->pid;
    char age[16];
    session_age_text(age, sizeof age, b->xact_age);
    const char *q = b->query && *b->query ? b->query : "-";
    char *body = xasprintf("pid %d, user %s, %s, transaction %s\nquery: %.*s%s\n"
                           "It blocks the migration (and whoever queues behind it).\n"
                           "Terminating ends its connection; audited either way.",
                           b->pid, b->user ? b->user : "?", session_state_text(b), age, 120, q,
                           strlen(q) > 120 ? "..." : "");
    char *title = xasprintf("Terminate pid %d?", b->pid);
    console_ask(c, title, body, "y", kill_answer_first, k);
    free(title);
    free(body);
}

static void override_answer(console *c, void *arg, bool yes)
{
    (void)arg;
    apply_state *st = state_of(c);
    if (!yes || st->phase != PH_BLOCKED) {
        console_message(c, STYLE_INFO, "nothing overridden");
        return;
    }
    flow *f = st->f;
    strbuf sb = {0};
    for (size_t i = 0; i < f->pf.count; i++) {
        const preflight_check *k = &f->pf.checks[i];
        if (k->level != CHECK_FAIL || k->overridden)
            continue;
        if (strcmp(k->name, "drift") == 0)
            f->po.allow_drift = true;
        else if (strcmp(k->name, "out of order") == 0)
            f->po.allow_out_of_order = true;
        else
            continue;
        strbuf_appendf(&sb, "%s%s: %s", sb.len ? "; " : "", k->name, k->reason);
    }
    flow_job *j = job_new(OP_PREFLIGHT, 0);
    j->detail = xasprintf("overridden from the console: %s", strbuf_str(&sb));
    strbuf_free(&sb);
    set_phase(st, PH_BUSY);
    post(c, st, j);
}

static void ask_override(console *c, apply_state *st)
{
    strbuf body = {0};
    size_t can = 0;
    for (size_t i = 0; i < st->f->pf.count; i++) {
        const preflight_check *k = &st->f->pf.checks[i];
        if (k->level != CHECK_FAIL || k->overridden)
            continue;
        bool allows = strcmp(k->name, "drift") == 0 || strcmp(k->name, "out of order") == 0;
        can += allows;
        strbuf_appendf(&body, "%s %s: %.100s\n", allows ? "override" : "cannot override", k->name,
                       k->reason);
    }
    if (!can) {
        console_message(c, STYLE_ERROR, "no failed check here can be overridden: fix the cause");
        strbuf_free(&body);
        return;
    }
    strbuf_append(&body, "The run then goes on as with --allow-drift / --allow-out-of-order.");
    console_ask(c, "Override the preflight?", strbuf_str(&body), "override", override_answer, NULL);
    strbuf_free(&body);
}

static void audit_decision(console *c, apply_state *st, const char *action, const char *outcome,
                           const char *detail)
{
    flow_job *j = job_new(OP_AUDIT, st->current);
    j->action = xstrdup(action);
    j->outcome = xstrdup(outcome);
    j->detail = detail ? xstrdup(detail) : NULL;
    post(c, st, j);
}

static void retry(console *c, apply_state *st, const char *how)
{
    apply_step *s = current(st);
    if (!s)
        return;
    s->attempts++;
    char *detail = xasprintf("attempt %zu, %s, from the console", s->attempts + 1, how);
    flow_job *j = job_new(OP_START, st->current);
    j->flags = st->flags | RUN_HOLD;
    j->action = xstrdup("retry");
    j->outcome = xstrdup("now");
    j->detail = detail;
    s->state = STEP_RUNNING;
    c->transaction_open = true;
    set_phase(st, PH_RUNNING);
    post(c, st, j);
}

static double pause_for(const apply_step *s)
{
    size_t n = s->attempts < 5 ? s->attempts : 5;
    return (double)(2u << n);
}

/* Stop the paused or held migration; a decision at the gate (outcome)
 * is recorded as a commit_gate event first. */
static void stop_job(console *c, apply_state *st, const char *why, const char *outcome,
                     const char *detail)
{
    flow_job *j = job_new(OP_STOP, st->current);
    j->why = xstrdup(why);
    if (outcome) {
        j->action = xstrdup("commit_gate");
        j->outcome = xstrdup(outcome);
        j->detail = xstrdup(detail ? detail : why);
    }
    set_phase(st, PH_BUSY);
    post(c, st, j);
}

static bool apply_request(void *state, console *c, request req)
{
    apply_state *st = state;
    apply_step *s = current(st);
    if (busy(st) && req >= REQ_APPLY_YES && req <= REQ_APPLY_OVERRIDE &&
        req != REQ_APPLY_CANCEL && req != REQ_APPLY_KILL_BLOCKER && req != REQ_APPLY_WAIT) {
        console_message(c, STYLE_INFO, "wait: %s", st->phase == PH_RUNNING ? "the migration runs"
                                                                           : "the server works");
        return true;
    }
    switch (req) {
    case REQ_APPLY_YES:
        if (st->phase == PH_CONFIRM) {
            start_step(c, st, 0, "run");
            console_walkthrough_note(c, WALK_APPLY);
        } else if (st->phase == PH_PAUSED) {
            s->state = STEP_RUNNING;
            set_phase(st, PH_RUNNING);
            post(c, st, job_new(OP_CONTINUE, st->current));
        }
        return true;
    case REQ_APPLY_STEP:
        if (st->phase == PH_CONFIRM) {
            start_step(c, st, RUN_STEP, "step");
            console_walkthrough_note(c, WALK_STEP);
        }
        return true;
    case REQ_APPLY_DRY:
        if (st->phase == PH_CONFIRM) {
            flow_job *j = job_new(OP_DRY, st->current);
            j->action = xstrdup("confirm");
            j->outcome = xstrdup("dry_run");
            j->detail = xasprintf("dry run of %s first, from the console", s->ps.e->name);
            set_phase(st, PH_BUSY);
            post(c, st, j);
        }
        return true;
    case REQ_APPLY_NO:
        if (st->phase == PH_CONFIRM) {
            audit_decision(c, st, "confirm", "stop", "stopped here from the console");
            s->state = STEP_NOT_RUN;
            stopped_before(c, st, "n");
        } else if (st->phase == PH_PAUSED) {
            char *why = xasprintf("stopped by the operator before statement %zu of %zu",
                                  st->f->statement + 1, s->run.parsed.count);
            stop_job(c, st, why, NULL, NULL);
            free(why);
        } else if (st->phase == PH_BLOCKED) {
            stopped_before(c, st, "preflight failed");
        }
        return true;
    case REQ_APPLY_CANCEL:
        if (st->phase == PH_RUNNING) {
            atomic_store(&st->f->cancel, true);
            console_message(c, STYLE_WARNING, "cancelling the running statement: %s rolls back",
                            s->ps.e->version);
        }
        return true;
    case REQ_APPLY_KILL_BLOCKER:
        kill_blocker(c, st);
        return true;
    case REQ_APPLY_WAIT:
        if (st->phase == PH_RUNNING)
            console_message(c, STYLE_INFO, "waiting on: lock_timeout %s ends the wait by itself",
                            s->run.lock_timeout);
        return true;
    case REQ_APPLY_COMMIT:
        if (st->phase == PH_GATE) {
            /* A cancel pressed twice must not become a commit: the gate
             * takes c only once it has been on screen a moment. */
            if (clock_now() - st->phase_since < 1.0) {
                console_message(c, STYLE_WARNING, "the commit gate just opened: read it, then c");
                return true;
            }
            flow_job *j = job_new(OP_COMMIT, st->current);
            j->detail = xasprintf("committed at the commit gate after %.1f s; %zu session%s "
                                  "queued behind",
                                  clock_now() - st->phase_since, st->queued,
                                  st->queued == 1 ? "" : "s");
            set_phase(st, PH_BUSY);
            post(c, st, j);
        }
        return true;
    case REQ_APPLY_ROLLBACK:
        if (st->phase == PH_GATE) {
            char *detail = xasprintf("rolled back at the commit gate after %.1f s; %zu "
                                     "session%s queued behind",
                                     clock_now() - st->phase_since, st->queued,
                                     st->queued == 1 ? "" : "s");
            stop_job(c, st, "rolled back at the commit gate by the operator", "rollback", detail);
            free(detail);
        }
        return true;
    case REQ_APPLY_RETRY:
        if (st->phase == PH_LOCK_TIMEOUT || st->phase == PH_RETRY_WAIT)
            retry(c, st, "retried at once");
        return true;
    case REQ_APPLY_RETRY_LATER:
        if (st->phase == PH_LOCK_TIMEOUT) {
            st->retry_at = clock_now() + pause_for(s);
            char *detail = xasprintf("attempt %zu after %.0f s, from the console", s->attempts + 2,
                                     pause_for(s));
            audit_decision(c, st, "retry", "scheduled", detail);
            free(detail);
            set_phase(st, PH_RETRY_WAIT);
        }
        return true;
    case REQ_APPLY_ABORT:
        if (st->phase == PH_LOCK_TIMEOUT || st->phase == PH_RETRY_WAIT) {
            audit_decision(c, st, "operator_abort", "aborted",
                           "gave up after a lock timeout, from the console");
            finish(c, st, STYLE_WARNING, "Aborted after a lock timeout: %s was rolled back%s.",
                   s->ps.e->version,
                   count_state(st->f, STEP_DONE) ? "; the migrations before it are committed"
                                                 : "");
        }
        return true;
    case REQ_APPLY_OVERRIDE:
        if (st->phase == PH_BLOCKED)
            ask_override(c, st);
        return true;
    case REQ_MOVE_UP:
    case REQ_MOVE_DOWN:
    case REQ_PAGE_UP:
    case REQ_PAGE_DOWN:
    case REQ_MOVE_FIRST:
    case REQ_MOVE_LAST:
        return page_scroll_request(&st->top, req, st->f ? (long)st->f->nsteps : 0, 5);
    case REQ_BACK:
    case REQ_QUIT:
        if (st->phase == PH_FINISHED || !st->f) {
            console_show(c, VIEW_MIGRATIONS);
            return true;
        }
        if (req == REQ_BACK) {
            console_show(c, VIEW_MIGRATIONS);
            console_message(c, STYLE_INFO, "the run goes on: A comes back to it");
            return true;
        }
        return false; /* q: the console asks while a transaction is open */
    default:
        return false;
    }
}

/* ------------------------------------------------------------ drawing */

/* Sessions queued behind the migration's session (directly or not) and
 * the longest of their waits, from the monitor's latest snapshot. */
static void queue_behind(console *c, size_t *count, double *longest)
{
    *count = 0;
    *longest = -1;
    if (!c->have_snapshot || !c->apply_pid)
        return;
    const monitor_snapshot *s = &c->snapshot;
    for (size_t i = 0; i < s->nnodes; i++) {
        if (s->sessions[s->nodes[i].session].pid != c->apply_pid)
            continue;
        *count = s->nodes[i].blocked_total;
        for (size_t k = i + 1; k < s->nnodes && s->nodes[k].depth > s->nodes[i].depth; k++) {
            double age = s->sessions[s->nodes[k].session].wait_age;
            if (age > *longest)
                *longest = age;
        }
        return;
    }
}

typedef struct painter {
    WINDOW *w;
    int y, rows, cols;
} painter;

static void line(painter *p, style s, const char *fmt, ...) SW_PRINTF(3, 4);
static void line(painter *p, style s, const char *fmt, ...)
{
    if (p->y >= p->rows)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    draw_text(p->w, p->y++, 0, p->cols, text, s);
    free(text);
}

/* Each line of text, indented, at most max lines (then "..."); a long
 * message line wraps at a space, indented further. */
static void lines(painter *p, style s, const char *text, int max)
{
    const char *t = text ? text : "";
    int shown = 0;
    while (*t && p->y < p->rows) {
        size_t n = strcspn(t, "\n");
        if (shown == max) {
            line(p, STYLE_DIM, "  ...");
            return;
        }
        style ls = s;
        if (s == STYLE_NORMAL && t[0] == '+')
            ls = STYLE_DIFF_ADD;
        else if (s == STYLE_NORMAL && t[0] == '-')
            ls = STYLE_DIFF_REMOVE;
        /* Messages wrap at a space; SQL and diff lines are cut. */
        size_t width = p->cols > 16 ? (size_t)p->cols - 6 : 10;
        size_t take = n;
        if (ls == STYLE_NORMAL && n > width) {
            take = width;
            while (take > width / 2 && t[take] != ' ')
                take--;
            if (t[take] != ' ')
                take = width;
        }
        line(p, ls, "%s%.*s", t == text || t[-1] == '\n' ? "  " : "      ", (int)take, t);
        shown++;
        t += take;
        if (take < n) {
            while (*t == ' ')
                t++;
            continue;
        }
        t += t[0] == '\n' ? 1 : 0;
    }
}

/* The keys that work now, on the body's last row (kept free). */
static void keys_line(painter *p, const char *text)
{
    draw_text(p->w, p->rows, 0, p->cols, text, STYLE_TITLE);
}

static void draw_plan(apply_state *st, painter *p)
{
    flow *f = st->f;
    line(p, STYLE_TITLE, "%-3s %-14s %-18s %-16s %-5s %-8s %s", "#", "VERSION", "NAME", "STATE",
         "MODE", "LINT", "STRONGEST LOCK");
    int room = p->rows / 3 < 3 ? 3 : p->rows / 3;
    if ((long)st->current < st->top)
        st->top = (long)st->current;
    if ((long)st->current >= st->top + room)
        st->top = (long)st->current - room + 1;
    for (size_t i = (size_t)st->top; i < f->nsteps && (int)(i - (size_t)st->top) < room; i++) {
        const apply_step *s = &f->steps[i];
        char state[64];
        if (s->state == STEP_DONE || s->state == STEP_SKIPPED)
            snprintf(state, sizeof state, "%s (%lld ms)", step_words[s->state],
                     (long long)(s->seconds < 1e6 ? s->seconds * 1000 : 1e9));
        else
            snprintf(state, sizeof state, "%s", step_words[s->state]);
        style ls = s->state == STEP_DONE                                     ? STYLE_APPLIED
                   : s->state == STEP_FAILED || s->state == STEP_DIRTY        ? STYLE_ERROR
                   : s->state == STEP_ROLLED_BACK                             ? STYLE_WARNING
                   : s->state == STEP_ASKING || s->state == STEP_RUNNING ||
                           s->state == STEP_PAUSED || s->state == STEP_GATE ? STYLE_SELECTED
                                                                              : STYLE_NORMAL;
        line(p, ls, "%-3zu %-14s %-18.18s %-16s %-5s %-8s %s", i + 1, s->ps.e->version,
             s->ps.e->name, state, s->run.transactional ? "tx" : "no-tx", s->lint ? s->lint : "",
             s->lock ? s->lock : "");
    }
    if (f->nsteps > (size_t)room)
        line(p, STYLE_DIM, "    (%zu migrations; Up/Down scroll)", f->nsteps);
    if (!f->have_pf)
        return;
    size_t pass = 0, warn = 0, fail = 0;
    for (size_t i = 0; i < f->pf.count; i++) {
        const preflight_check *k = &f->pf.checks[i];
        pass += k->level == CHECK_PASS;
        warn += k->level == CHECK_WARN || (k->level == CHECK_FAIL && k->overridden);
        fail += k->level == CHECK_FAIL && !k->overridden;
    }
    line(p, fail ? STYLE_ERROR : warn ? STYLE_WARNING : STYLE_APPLIED,
         "Preflight: %zu pass, %zu warn, %zu fail", pass, warn, fail);
    for (size_t i = 0; i < f->pf.count; i++) {
        const preflight_check *k = &f->pf.checks[i];
        if (k->level == CHECK_PASS)
            continue;
        line(p, k->level == CHECK_FAIL && !k->overridden ? STYLE_ERROR : STYLE_WARNING,
             "  %s %s: %s%s", preflight_level_name(k->level), k->name, k->reason,
             k->overridden ? " (overridden)" : "");
    }
}

static void draw_statement(painter *p, const apply_step *s, size_t index)
{
    if (index >= s->run.parsed.count)
        return;
    const sql_statement *stmt = &s->run.parsed.statements[index];
    line(p, STYLE_DIM, "  %s:%d", s->run.script->path, s->run.script->line + stmt->line - 1);
    lines(p, STYLE_KEYWORD, stmt->text, 6);
}

static void draw_waiting(console *c, painter *p)
{
    const monitor_session *me = find_session(c, c->apply_pid);
    if (!me || !me->waiting)
        return;
    char age[16];
    session_age_text(age, sizeof age, me->wait_age);
    line(p, STYLE_WAITING, "WAITING for %s on %s for %s", me->wanted_mode ? me->wanted_mode : "a lock",
         me->relation ? me->relation : me->target ? me->target : "?", age);
    for (size_t i = 0; i < me->nblockers; i++) {
        const monitor_session *b = find_session(c, me->blockers[i]);
        if (!b) {
            line(p, STYLE_NORMAL, "  held by pid %d (not visible to this user)", me->blockers[i]);
            continue;
        }
        char xact[16];
        session_age_text(xact, sizeof xact, b->xact_age);
        line(p, b->idle_in_transaction ? STYLE_IDLE_TX : STYLE_NORMAL,
             "  held by pid %d, user %s, %s, transaction %s: %s", b->pid, b->user ? b->user : "?",
             session_state_text(b), xact, b->query ? b->query : "");
    }
}

static void draw_queue(console *c, painter *p, const char *behind)
{
    size_t n;
    double longest;
    queue_behind(c, &n, &longest);
    char age[16];
    session_age_text(age, sizeof age, longest);
    if (n)
        line(p, STYLE_WARNING, "Queued behind %s: %zu session%s, the longest for %s", behind, n,
             n == 1 ? "" : "s", age);
    else if (c->have_snapshot)
        line(p, STYLE_DIM, "Queued behind %s: nobody", behind);
}

static void draw_running(apply_state *st, console *c, painter *p)
{
    flow *f = st->f;
    apply_step *s = current(st);
    if (!s)
        return;
    pthread_mutex_lock(&f->mu);
    double elapsed = f->elapsed;
    size_t statement = f->statement, statements = f->statements;
    bool waiting = f->waiting;
    pthread_mutex_unlock(&f->mu);
    if (!statements)
        statements = s->run.parsed.count;
    line(p, STYLE_TITLE, "%s %s %s: statement %zu of %zu, %.1f s", s->ps.down ? "Rolling back" :
         "Applying", s->ps.e->version, s->ps.e->name, statement < statements ? statement + 1 :
         statements, statements, elapsed);
    draw_statement(p, s, statement);
    const monitor_session *me = find_session(c, c->apply_pid);
    if ((me && me->waiting) || waiting) {
        console_walkthrough_note(c, WALK_WAITED);
        draw_waiting(c, p);
        if (!me || !me->waiting)
            line(p, STYLE_WAITING, "WAITING for a lock (the monitor's view follows)");
        line(p, STYLE_DIM, "  lock_timeout %s ends the wait by itself; then you may retry",
             s->run.lock_timeout ? s->run.lock_timeout : "");
    } else {
        line(p, STYLE_NORMAL, "running, not waiting for a lock");
    }
    if (c->target.kind == DB_POSTGRES)
        draw_queue(c, p, "the migration");
    keys_line(p, "x cancel this statement (the migration rolls back)   K terminate the blocker "
                 "(asks twice)   w keep waiting");
}

/* The diff at the gate, short: what changed, without the unified
 * diff's headers, hunk marks, unchanged context and blank lines. */
static char *compact_diff(const char *text)
{
    strbuf sb = {0};
    for (const char *t = text; *t;) {
        size_t n = strcspn(t, "\n");
        bool skip = n == 0 || t[0] == ' ' || strncmp(t, "--- ", 4) == 0 ||
                    strncmp(t, "+++ ", 4) == 0 || strncmp(t, "@@", 2) == 0;
        if (!skip)
            strbuf_appendf(&sb, "%.*s\n", (int)n, t);
        t += n + (t[n] ? 1 : 0);
    }
    strbuf_append(&sb, "");
    return strbuf_detach(&sb);
}

static void draw_gate(apply_state *st, console *c, painter *p)
{
    flow *f = st->f;
    apply_step *s = current(st);
    if (!s)
        return;
    double now = clock_now();
    line(p, STYLE_TITLE, "Commit gate: %s %s: every statement done; the transaction is open "
                         "(%.0f s)",
         s->ps.e->version, s->ps.e->name, now - st->phase_since);
    /* The queue and the countdown first: a short screen cuts the diff or
     * the locks, never these. */
    if (c->target.kind == DB_POSTGRES) {
        draw_queue(c, p, "the open transaction");
        if (st->queue_since > 0) {
            double left = c->settings.max_hold - (now - st->queue_since);
            line(p, STYLE_ERROR, "Rolls back by itself in %.0f s (--max-hold %.0f s) unless you "
                                 "decide",
                 left > 0 ? left : 0, c->settings.max_hold);
        }
    }
    line(p, STYLE_NORMAL, "Schema diff, seen from inside the transaction%s%s:",
         f->gate_with ? ", compared with " : "", f->gate_with ? f->gate_with : "");
    int nlocks = 1;
    for (const char *l = f->gate_locks; l && *l; l++)
        nlocks += *l == '\n' && l[1];
    /* The diff gets the room the locks leave: its "...", their header and lines. */
    int room = p->rows - p->y - 2 - (nlocks < 7 ? nlocks : 7);
    if (f->gate_diff && *f->gate_diff) {
        char *shown = compact_diff(f->gate_diff);
        lines(p, STYLE_NORMAL, shown, room < 3 ? 3 : room);
        free(shown);
    } else
        line(p, STYLE_DIM, "  (no change to the schema)");
    line(p, STYLE_NORMAL, "Locks held:");
    if (f->gate_locks && *f->gate_locks)
        lines(p, STYLE_NORMAL, f->gate_locks, 6);
    else
        line(p, STYLE_DIM, "  (none)");
    keys_line(p, "c commit   r roll back");
}

/* The gate's countdown: started when sessions queue behind the open
 * transaction, dropped when they are gone, and at the end a rollback. */
static void gate_tick(apply_state *st, console *c)
{
    if (st->phase != PH_GATE || c->target.kind != DB_POSTGRES || busy(st))
        return;
    size_t n;
    double longest;
    queue_behind(c, &n, &longest);
    st->queued = n;
    double now = clock_now();
    if (!n) {
        st->queue_since = 0;
        return;
    }
    if (st->queue_since <= 0)
        st->queue_since = now;
    if (now - st->queue_since >= c->settings.max_hold) {
        char *why = xasprintf("rolled back automatically: %zu session%s queued behind the open "
                              "transaction and nobody decided within --max-hold %.0f s",
                              n, n == 1 ? "" : "s", c->settings.max_hold);
        console_message(c, STYLE_WARNING, "%s", why);
        stop_job(c, st, why, "auto_rollback", why);
        free(why);
    }
}

static void retry_tick(apply_state *st, console *c)
{
    if (st->phase == PH_RETRY_WAIT && !busy(st) && clock_now() >= st->retry_at)
        retry(c, st, "after the pause");
}

static void apply_draw(void *state, console *c, WINDOW *w, int rows, int cols)
{
    apply_state *st = state;
    gate_tick(st, c);
    retry_tick(st, c);
    painter p = {w, 0, rows - 1, cols};
    if (!st->f) {
        line(&p, STYLE_DIM, "No run yet. In the migrations view: u applies the next pending "
                            "migration, U up to the selected one,");
        line(&p, STYLE_DIM, "b rolls back the latest, T goes to the selected version, r resumes "
                            "a dirty one.");
        return;
    }
    line(&p, STYLE_TITLE, "%s", st->title);
    if (st->f->nsteps)
        draw_plan(st, &p);
    p.y++;
    apply_step *s = current(st);
    double now = clock_now();
    switch (st->phase) {
    case PH_OPENING:
        line(&p, STYLE_WARNING, "%s (%.1f s)", op_words[OP_OPEN], now - st->phase_since);
        break;
    case PH_BLOCKED:
        line(&p, STYLE_ERROR, "The preflight failed: nothing runs until each failure is fixed or "
                              "overridden.");
        keys_line(&p, "o override those that allow it (asks first)   n or Esc leave; nothing was "
                      "run");
        break;
    case PH_CONFIRM:
        line(&p, STYLE_TITLE, "Next: %s %s %s (%s%s%s)", s->ps.down ? "roll back" : "apply",
             s->ps.e->version, s->ps.e->name,
             s->run.transactional ? "in a transaction" : "no transaction: statement by statement",
             c->target.kind == DB_POSTGRES ? ", lock_timeout " : "",
             c->target.kind == DB_POSTGRES && s->run.lock_timeout ? s->run.lock_timeout : "");
        if (st->current == 0 && st->f->resume_from)
            line(&p, STYLE_WARNING, "Resuming: statements 1 to %zu are done; it goes on from "
                                    "statement %zu of %zu.",
                 st->f->resume_from, st->f->resume_from + 1, s->run.parsed.count);
        if (s->dry)
            lines(&p, STYLE_NORMAL, s->dry, p.rows - p.y - 2);
        else
            lines(&p, STYLE_KEYWORD, s->run.sql, p.rows - p.y - 2);
        keys_line(&p, s->run.transactional
                          ? "y run it   s step: confirm each statement   d dry run first   "
                            "n stop here"
                          : "y or s run it, confirming each statement (no transaction)   "
                            "n stop here");
        break;
    case PH_BUSY:
    case PH_RUNNING:
        if (st->phase == PH_RUNNING) {
            draw_running(st, c, &p);
        } else {
            double since = 0;
            const char *what = c->apply_worker ? worker_current(c->apply_worker, &since) : NULL;
            line(&p, STYLE_WARNING, "%s (%.1f s)", what ? what : "working", what ? now - since : 0);
        }
        break;
    case PH_PAUSED:
        line(&p, STYLE_TITLE, "Stepping through %s %s: statement %zu of %zu is next",
             s->ps.e->version, s->ps.e->name, st->f->statement + 1, s->run.parsed.count);
        for (size_t i = 0; i < st->f->statement && i < s->run.parsed.count; i++) {
            const sql_statement *done = &s->run.parsed.statements[i];
            line(&p, STYLE_APPLIED, "  done [%zu] %.*s", i + 1, (int)strcspn(done->text, "\n"),
                 done->text);
        }
        draw_statement(&p, s, st->f->statement);
        keys_line(&p, s->run.transactional
                          ? "y run this statement   n stop here (the transaction rolls back)"
                          : "y run this statement   n stop here (the statements done stay; the "
                            "version stays dirty)");
        break;
    case PH_GATE:
        draw_gate(st, c, &p);
        break;
    case PH_LOCK_TIMEOUT:
    case PH_RETRY_WAIT:
        line(&p, STYLE_ERROR, "%s %s hit lock_timeout (%s) and was rolled back: nothing of it "
                              "remains.",
             s->ps.e->version, s->ps.e->name, s->run.lock_timeout ? s->run.lock_timeout : "");
        lines(&p, STYLE_NORMAL, st->detail, 8);
        if (st->phase == PH_RETRY_WAIT) {
            line(&p, STYLE_WARNING, "Retrying in %.0f s (attempt %zu).", st->retry_at - now + 0.5,
                 s->attempts + 2);
            keys_line(&p, "t retry now   a abort: stop here");
        } else {
            keys_line(&p, "t retry now   p retry after a pause   a abort: stop here");
        }
        break;
    case PH_FINISHED:
        line(&p, st->outcome_style, "%s", st->outcome ? st->outcome : "");
        if (st->detail)
            lines(&p, STYLE_NORMAL, st->detail, p.rows - p.y - 2);
        keys_line(&p, "Esc back to the list (the states there are read again)");
        break;
    default:
        break;
    }
}

static bool apply_live(void *state, console *c)
{
    apply_state *st = state;
    return c->target.kind == DB_POSTGRES &&
           (st->phase == PH_RUNNING || st->phase == PH_GATE || st->phase == PH_PAUSED ||
            st->phase == PH_BUSY);
}

static char *apply_where(void *state, console *c)
{
    (void)c;
    apply_state *st = state;
    if (!st->f || !st->f->nsteps)
        return NULL;
    return xasprintf("%zu/%zu", st->current < st->f->nsteps ? st->current + 1 : st->f->nsteps,
                     st->f->nsteps);
}

static void *apply_open(console *c)
{
    (void)c;
    return xcalloc(1, sizeof(apply_state));
}

static void apply_done(void *state)
{
    apply_state *st = state;
    /* The flow goes with the worker's last job (see console_apply_stop). */
    free(st->title);
    free(st->outcome);
    free(st->detail);
    free(st);
}

const view_ops view_apply_ops = {
    .name = "apply",
    .title = "Apply",
    .open = apply_open,
    .draw = apply_draw,
    .request = apply_request,
    .live = apply_live,
    .where = apply_where,
    .done = apply_done,
};

/* ------------------------------------------------------------- entry */

static apply_state *state_of(console *c)
{
    if (!c->view_state[VIEW_APPLY])
        c->view_state[VIEW_APPLY] = view_apply_ops.open(c);
    return c->view_state[VIEW_APPLY];
}

bool console_apply_idle(console *c)
{
    apply_state *st = c->view_state[VIEW_APPLY];
    return !st || !st->f || st->phase == PH_FINISHED;
}

static const char *kind_words(int kind)
{
    switch (kind) {
    case APPLY_KIND_NEXT:
        return "Apply the next pending migration";
    case APPLY_KIND_UP_TO:
        return "Apply up to";
    case APPLY_KIND_ALL:
        return "Apply every pending migration";
    case APPLY_KIND_DOWN:
        return "Roll back the latest migration";
    case APPLY_KIND_GOTO:
        return "Go to";
    case APPLY_KIND_RESUME:
        return "Resume the dirty migration";
    default:
        return "Force the record of";
    }
}

static void begin(console *c, int kind, const char *version)
{
    apply_state *st = state_of(c);
    flow *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    atomic_init(&f->cancel, false);
    f->target = &c->target;
    f->table_spec = c->opts.table ? xstrdup(c->opts.table) : NULL;
    f->dir = xstrdup(c->dir);
    f->kind = kind;
    f->version = version ? xstrdup(version) : NULL;
    f->lock_timeout = c->settings.lock_timeout ? xstrdup(c->settings.lock_timeout) : NULL;
    f->statement_timeout =
        c->settings.statement_timeout ? xstrdup(c->settings.statement_timeout) : NULL;
    sw_error err = {0};
    f->audit_path = audit_default_path(getenv("XDG_STATE_HOME"), getenv("HOME"), &err);
    sw_error_clear(&err);
    f->rs.lock_timeout = f->lock_timeout;
    f->rs.statement_timeout = f->statement_timeout;
    f->rs.audit_path = f->audit_path;
    f->rs.snapshot_each = true; /* a person confirms each: the gate diffs against it */
    audit_actor_system(&f->rs.actor);
    f->po.allow_drift = c->opts.allow_drift;
    f->po.allow_out_of_order = c->opts.allow_out_of_order;
    let_go(c, st->f);
    st->f = f;
    st->current = 0;
    st->top = 0;
    free(st->outcome);
    free(st->detail);
    st->outcome = st->detail = NULL;
    free(st->title);
    st->title = xasprintf("%s%s%s on %s", kind_words(kind), version ? " " : "",
                          version ? version : "", c->target.display);
    set_phase(st, PH_OPENING);
    console_show(c, VIEW_APPLY);
    post(c, st, job_new(kind == APPLY_KIND_FORCE ? OP_FORCE : OP_OPEN, 0));
}

typedef struct begin_args {
    int kind;
    char *version;
} begin_args;

static void remote_answer(console *c, void *arg, bool yes)
{
    begin_args *a = arg;
    if (yes) {
        c->target_confirmed = true;
        begin(c, a->kind, a->version);
    } else {
        console_message(c, STYLE_WARNING, "the name typed does not match '%s'; nothing was run",
                        c->server.database ? c->server.database : "");
    }
    free(a->version);
    free(a);
}

void console_apply(console *c, int kind, const char *version)
{
    if (!console_apply_idle(c)) {
        console_show(c, VIEW_APPLY);
        console_message(c, STYLE_WARNING, "a run is under way: finish it first");
        return;
    }
    if (!c->connected || !c->dir) {
        console_message(c, STYLE_ERROR, "%s", !c->dir ? "no migrations folder"
                                                      : "not connected: the run needs the database");
        return;
    }
    const char *dbname = c->server.database ? c->server.database : "";
    if (!c->target_confirmed && console_target_is_remote(c)) {
        begin_args *a = xcalloc(1, sizeof *a);
        a->kind = kind;
        a->version = version ? xstrdup(version) : NULL;
        char *body = xasprintf("%s\nis not a local server (host %s).\n"
                               "Migrations will change it for real. Asked once a session.",
                               c->target.display, c->server.host);
        console_ask(c, "Change a remote database?", body, dbname, remote_answer, a);
        free(body);
        return;
    }
    begin(c, kind, version);
}

/* At exit: end the run (closing its connections rolls back an open
 * transaction) and stop the worker. */
void console_apply_stop(console *c)
{
    apply_state *st = c->view_state[VIEW_APPLY];
    if (st && st->f) {
        let_go(c, st->f);
        st->f = NULL;
    }
    /* Jobs it drops get their done() (freeing the flow); one that does
     * not end in time is left behind with its thread: the exit ends it. */
    if (c->apply_worker)
        worker_stop(c->apply_worker, NULL, 1000);
    c->apply_worker = NULL;
}
