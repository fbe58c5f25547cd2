/* The hint line's guides: the demo's walkthrough and the lab's scenarios
 * (stepwise lab). Each step is done when its event happens (views call
 * console_walkthrough_note where it does); a hint fits an 80-column line
 * after its "Step N/M: ". */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "tui/console.h"

#define GUIDE(title, steps) {title, steps, (int)(sizeof steps / sizeof steps[0])}

static const guide_step demo_steps[] = {
    {WALK_SELECT, "Down/Up (j/k) select a migration; > marks a pending one"},
    {WALK_PREVIEW, "Enter opens it: the SQL tab shows exactly what will be sent"},
    {WALK_LINT, "L shows the Lint tab: what could lock or break (S: back to SQL)"},
    {WALK_DRY_RUN, "d dry-runs it in a transaction rolled back: diff and locks taken"},
    {WALK_APPLY, "u plans the next pending migration; read the plan, then y runs it"},
    {WALK_GATE, "The commit gate: still in the transaction; read the diff, c commits"},
    {WALK_STEP, "u again, then s runs it statement by statement (y each, c at the gate)"},
    {WALK_ROLLBACK, "Esc, then b rolls back the latest migration (y, then c at the gate)"},
    {WALK_HISTORY, "4 opens the history view: every decision you made, newest first"},
};

static const guide_step blocker_steps[] = {
    {WALK_WAITED, "u plans 0006 (ALTER TABLE orders); y runs it: watch it wait"},
    {WALK_LOCKS_VIEW, "2 opens the locks view: the migration, its blocker, the queue"},
    {WALK_SESSION_ENDED, "Select the root blocker (g: the first line); K ends it (y)"},
    {WALK_GATE, "A: back to the apply view; at the commit gate c commits"},
    {WALK_HISTORY, "4 opens the history: the wait, the kill and the commit"},
};

static const guide_step lock_timeout_steps[] = {
    {WALK_LOCK_TIMEOUT, "u plans 0006, y runs it: a report holds orders, it times out"},
    {WALK_ACTIVITY, "3 opens the activity view: lab: report runs long on orders"},
    {WALK_GATE, "A, then t retries once the report is over; c commits at the gate"},
    {WALK_HISTORY, "4 opens the history: the lock timeout, then the retry"},
};

static const guide_step failed_index_steps[] = {
    {WALK_FAILED, "u plans 0014 (a unique index, CONCURRENTLY); y each: it fails"},
    {WALK_PSQL, ":psql, fix the duplicate emails and drop the invalid index"},
    {WALK_RESUMED, "1: the list, where r resumes 0014 where it stopped (y each)"},
    {WALK_HISTORY, "4 opens the history: the failure and the resume"},
};

static const guide_step deadlock_steps[] = {
    {WALK_ACTIVITY, "3 opens the activity view: lab: deadlock A and B, now and then"},
    {WALK_HISTORY, "4 opens the history: each deadlock the server broke"},
    {WALK_GATE, "u plans 0006; y runs it, c commits: it waits a moment at most"},
};

static const struct {
    const char *scenario;
    guide g;
} guides[] = {
    {NULL, GUIDE("Walkthrough", demo_steps)},
    {"blocker", GUIDE("Lab: blocker", blocker_steps)},
    {"lock-timeout", GUIDE("Lab: lock-timeout", lock_timeout_steps)},
    {"failed-index", GUIDE("Lab: failed-index", failed_index_steps)},
    {"deadlock", GUIDE("Lab: deadlock", deadlock_steps)},
};

const guide *guide_find(const char *scenario)
{
    for (size_t i = 0; i < sizeof guides / sizeof guides[0]; i++) {
        const char *s = guides[i].scenario;
        if ((!s && !scenario) || (s && scenario && strcmp(s, scenario) == 0))
            return &guides[i].g;
    }
    return NULL;
}
