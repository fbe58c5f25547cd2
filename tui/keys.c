/* The request names and help texts (from REQUEST_LIST) and the one key
 * table; see keys.h. */
#include "config.h"

#include "tui/keys.h"

#include <curses.h>
#include <string.h>

static const char *const names[REQ_COUNT] = {
    [REQ_NONE] = "",
#define R(e, name, help) [REQ_##e] = name,
    REQUEST_LIST(R)
#undef R
};

static const char *const helps[REQ_COUNT] = {
    [REQ_NONE] = "",
#define R(e, name, help) [REQ_##e] = help,
    REQUEST_LIST(R)
#undef R
};

const char *request_name(request req)
{
    return req > REQ_NONE && req < REQ_COUNT ? names[req] : "";
}

const char *request_help(request req)
{
    return req > REQ_NONE && req < REQ_COUNT ? helps[req] : "";
}

request request_by_name(const char *name)
{
    for (int i = REQ_NONE + 1; i < REQ_COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return (request)i;
    return REQ_NONE;
}

#define CTRL(c) ((c) & 0x1f)

/* View-specific bindings come before the global ones of the same key. */
const key_binding key_bindings[] = {
    /* migrations */
    {']', "]", REQ_TAB_NEXT, "migrations", "Tab"},
    {'[', "[", REQ_TAB_PREVIOUS, "migrations", NULL},
    {'S', "S", REQ_TAB_SQL, "migrations", NULL},
    {'L', "L", REQ_TAB_LINT, "migrations", NULL},
    {'O', "O", REQ_TAB_LOCKS, "migrations", NULL},
    {'D', "D", REQ_TAB_DIFF, "migrations", NULL},
    {'H', "H", REQ_TAB_HISTORY, "migrations", NULL},
    {'d', "d", REQ_DRY_RUN, "migrations", "Dry run"},
    {'/', "/", REQ_FILTER, "migrations", "Filter"},
    {'R', "R", REQ_RELOAD, "migrations", "Reload"},
    {'u', "u", REQ_APPLY_NEXT, "migrations", "Up"},
    {'U', "U", REQ_APPLY_TO, "migrations", NULL},
    {'b', "b", REQ_ROLLBACK_LATEST, "migrations", "Back"},
    {'T', "T", REQ_GOTO_SELECTED, "migrations", NULL},
    {'r', "r", REQ_RESUME_DIRTY, "migrations", NULL},
    {'F', "F", REQ_FORCE_SELECTED, "migrations", NULL},
    /* apply */
    {'y', "y", REQ_APPLY_YES, "apply", "Run"},
    {'s', "s", REQ_APPLY_STEP, "apply", "Step"},
    {'d', "d", REQ_APPLY_DRY, "apply", "Dry"},
    {'n', "n", REQ_APPLY_NO, "apply", "Stop"},
    {'x', "x", REQ_APPLY_CANCEL, "apply", "Cancel"},
    {'K', "K", REQ_APPLY_KILL_BLOCKER, "apply", "Kill"},
    {'w', "w", REQ_APPLY_WAIT, "apply", "Wait"},
    {'c', "c", REQ_APPLY_COMMIT, "apply", "Commit"},
    {'r', "r", REQ_APPLY_ROLLBACK, "apply", "Rollback"},
    {'t', "t", REQ_APPLY_RETRY, "apply", "Retry"},
    {'p', "p", REQ_APPLY_RETRY_LATER, "apply", NULL},
    {'a', "a", REQ_APPLY_ABORT, "apply", NULL},
    {'o', "o", REQ_APPLY_OVERRIDE, "apply", NULL},
    /* locks */
    {'+', "+", REQ_REFRESH_FASTER, "locks", NULL},
    {'-', "-", REQ_REFRESH_SLOWER, "locks", NULL},
    {' ', "Space", REQ_PAUSE, "locks", "Pause"},
    {'c', "c", REQ_CANCEL_SESSION, "locks", "Cancel"},
    {'K', "K", REQ_TERMINATE_SESSION, "locks", "Kill"},
    /* activity */
    {'+', "+", REQ_REFRESH_FASTER, "activity", NULL},
    {'-', "-", REQ_REFRESH_SLOWER, "activity", NULL},
    {' ', "Space", REQ_PAUSE, "activity", "Pause"},
    {'/', "/", REQ_FILTER, "activity", "Filter"},
    {'c', "c", REQ_CANCEL_SESSION, "activity", "Cancel"},
    {'K', "K", REQ_TERMINATE_SESSION, "activity", "Kill"},
    /* history */
    {'R', "R", REQ_RELOAD, "history", "Reload"},
    {'/', "/", REQ_FILTER, "history", "Filter"},
    /* everywhere */
    {'?', "?", REQ_HELP, NULL, "Help"},
    {KEY_F(1), "F1", REQ_HELP, NULL, NULL},
    {':', ":", REQ_PROMPT, NULL, "Cmd"},
    {'1', "1", REQ_VIEW_MIGRATIONS, NULL, NULL},
    {'2', "2", REQ_VIEW_LOCKS, NULL, NULL},
    {'3', "3", REQ_VIEW_ACTIVITY, NULL, NULL},
    {'4', "4", REQ_VIEW_HISTORY, NULL, NULL},
    {'5', "5", REQ_HELP, NULL, NULL},
    {'A', "A", REQ_VIEW_APPLY, NULL, NULL},
    {'\t', "Tab", REQ_VIEW_NEXT, NULL, "View"},
    {KEY_BTAB, "S-Tab", REQ_VIEW_PREVIOUS, NULL, NULL},
    {KEY_UP, "Up", REQ_MOVE_UP, NULL, NULL},
    {'k', "k", REQ_MOVE_UP, NULL, NULL},
    {KEY_DOWN, "Down", REQ_MOVE_DOWN, NULL, NULL},
    {'j', "j", REQ_MOVE_DOWN, NULL, NULL},
    {KEY_PPAGE, "PgUp", REQ_PAGE_UP, NULL, NULL},
    {KEY_NPAGE, "PgDn", REQ_PAGE_DOWN, NULL, NULL},
    {KEY_HOME, "Home", REQ_MOVE_FIRST, NULL, NULL},
    {'g', "g", REQ_MOVE_FIRST, NULL, NULL},
    {KEY_END, "End", REQ_MOVE_LAST, NULL, NULL},
    {'G', "G", REQ_MOVE_LAST, NULL, NULL},
    {'\n', "Enter", REQ_ENTER, NULL, "Open"},
    {'\r', "Enter", REQ_ENTER, NULL, NULL},
    {KEY_ENTER, "Enter", REQ_ENTER, NULL, NULL},
    {27, "Esc", REQ_BACK, NULL, NULL},
    {KEY_LEFT, "Left", REQ_BACK, NULL, NULL},
    {'t', "t", REQ_WALKTHROUGH, NULL, NULL},
    {CTRL('l'), "C-l", REQ_REDRAW, NULL, NULL},
    {CTRL('c'), "C-c", REQ_QUIT, NULL, NULL},
    {'q', "q", REQ_QUIT, NULL, "Quit"},
};
const size_t key_binding_count = sizeof key_bindings / sizeof key_bindings[0];

request key_request(int key, const char *view)
{
    for (size_t i = 0; i < key_binding_count; i++) {
        const key_binding *b = &key_bindings[i];
        if (b->key == key && (!b->view || (view && strcmp(b->view, view) == 0)))
            return b->req;
    }
    return REQ_NONE;
}
