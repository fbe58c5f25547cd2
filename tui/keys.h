/* Every action a person can ask of the console is a request. One list
 * gives the enum, the name typed at the `:` prompt and the help text; one
 * table binds keys to requests, per view or everywhere. The help view and
 * the bottom bar are generated from the same table, so keys, commands and
 * help can never disagree. */
#ifndef STEPWISE_KEYS_H
#define STEPWISE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* R(ENUM, ":name", "what it does") */
#define REQUEST_LIST(R)                                                                       \
    R(QUIT, "quit", "quit stepwise (asks first while a transaction is open)")                 \
    R(HELP, "help", "this help: every key and what it does")                                  \
    R(VIEW_NEXT, "next-view", "the next view")                                                \
    R(VIEW_PREVIOUS, "previous-view", "the previous view")                                    \
    R(VIEW_MIGRATIONS, "migrations", "the migrations view")                                   \
    R(VIEW_LOCKS, "locks", "the locks view: the blocking tree")                               \
    R(VIEW_ACTIVITY, "activity", "the activity view: every session")                          \
    R(VIEW_HISTORY, "history", "the history view: the audit events")                          \
    R(PROMPT, "prompt", "the : prompt (same commands as the command line)")                   \
    R(MOVE_UP, "move-up", "select the line above")                                            \
    R(MOVE_DOWN, "move-down", "select the line below")                                        \
    R(PAGE_UP, "page-up", "one screen up")                                                    \
    R(PAGE_DOWN, "page-down", "one screen down")                                              \
    R(MOVE_FIRST, "first", "the first line")                                                  \
    R(MOVE_LAST, "last", "the last line")                                                     \
    R(ENTER, "enter", "open the selected line")                                               \
    R(BACK, "back", "close the open pane or dialog")                                          \
    R(FILTER, "filter", "filter the list (empty: show all)")                                  \
    R(TAB_NEXT, "next-tab", "the next tab of the detail pane")                                \
    R(TAB_PREVIOUS, "previous-tab", "the previous tab of the detail pane")                    \
    R(TAB_SQL, "sql", "detail: the SQL exactly as it will be sent")                           \
    R(TAB_LINT, "lint-tab", "detail: lint findings with hints")                               \
    R(TAB_LOCKS, "locks-tab", "detail: predicted locks and the live sessions on them")        \
    R(TAB_DIFF, "diff-tab", "detail: the dry run's schema diff and locks taken")              \
    R(TAB_HISTORY, "history-tab", "detail: this version's audit events")                      \
    R(DRY_RUN, "dry-run", "dry-run the selected migration (asks first on a remote target)")   \
    R(RELOAD, "reload", "read the folder and the history again")                              \
    R(REFRESH_FASTER, "faster", "refresh more often (down to every 0.5 s)")                   \
    R(REFRESH_SLOWER, "slower", "refresh less often (up to every 10 s)")                      \
    R(PAUSE, "pause", "pause or resume the live refresh")                                     \
    R(CANCEL_SESSION, "cancel", "cancel the selected session's query (asks first)")           \
    R(TERMINATE_SESSION, "terminate", "terminate the selected session (asks first)")          \
    R(APPLY_NEXT, "apply-next", "apply the next pending migration (plan, then confirm each)")   \
    R(APPLY_TO, "apply-to", "apply every pending migration up to the selected one")           \
    R(ROLLBACK_LATEST, "rollback-latest", "roll back the latest applied migration")           \
    R(GOTO_SELECTED, "goto-selected", "go to the selected version (up or down)")              \
    R(RESUME_DIRTY, "resume-dirty", "resume the dirty migration where it stopped")            \
    R(FORCE_SELECTED, "force-selected", "force the selected version's record (asks first)")   \
    R(VIEW_APPLY, "apply", "the apply view: the run in progress or the last one")             \
    R(APPLY_YES, "run", "run this migration, or this statement when stepping")               \
    R(APPLY_STEP, "step", "run this migration confirming each statement")                     \
    R(APPLY_DRY, "dry-first", "dry-run this migration first (rolled back)")                   \
    R(APPLY_NO, "stop", "stop here: the migrations before stay as they are")                  \
    R(APPLY_CANCEL, "cancel-statement", "cancel the running statement (rolls back)")       \
    R(APPLY_KILL_BLOCKER, "kill-blocker", "terminate the session the migration waits for")   \
    R(APPLY_WAIT, "wait", "keep waiting for the lock")                                        \
    R(APPLY_COMMIT, "commit", "commit, at the commit gate")                                   \
    R(APPLY_ROLLBACK, "rollback", "roll back, at the commit gate")                            \
    R(APPLY_RETRY, "retry", "after a lock timeout: retry now")                                \
    R(APPLY_RETRY_LATER, "retry-later", "after a lock timeout: retry after a pause")          \
    R(APPLY_ABORT, "abort", "after a lock timeout: give up, stop here")                       \
    R(APPLY_OVERRIDE, "override", "let failed preflight checks through (those that allow it)") \
    R(WALKTHROUGH, "walkthrough", "show or hide the hint line (stepwise demo and lab)")        \
    R(REDRAW, "redraw", "redraw the screen")

typedef enum request {
    REQ_NONE = 0,
#define R(e, name, help) REQ_##e,
    REQUEST_LIST(R)
#undef R
        REQ_COUNT
} request;

const char *request_name(request req);
const char *request_help(request req);
/* The request a `:` command names, or REQ_NONE. */
request request_by_name(const char *name);

/* Where a key works: everywhere, or in one view (by view name). */
typedef struct key_binding {
    int key;             /* a curses key code or a character */
    const char *label;   /* as written in help and the bottom bar */
    request req;
    const char *view;    /* NULL: every view */
    const char *bar;     /* short text for the bottom bar, NULL: not shown */
} key_binding;

extern const key_binding key_bindings[];
extern const size_t key_binding_count;

/* The request bound to key in view (the view's own bindings first). */
request key_request(int key, const char *view);

#endif
