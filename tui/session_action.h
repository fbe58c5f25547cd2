/* Live PostgreSQL sessions as `stepwise locks` and the console's locks and
 * activity views show them and act on them: ages, the tree's prefix,
 * what a session blocks, the audit of a cancel or terminate (the local
 * file and the events table), and the console's detail page and dialogs. */
#ifndef STEPWISE_SESSION_ACTION_H
#define STEPWISE_SESSION_ACTION_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/db.h"
#include "core/history.h"
#include "core/monitor.h"
#include "core/util.h"
#include "tui/keys.h"

typedef struct console console;

/* Whether the locale draws UTF-8 (the tree's box characters). */
bool session_utf8(void);

/* "3.2s", "4m05s", "2h03m"; "-" when secs < 0 (unknown). */
void session_age_text(char *buf, size_t size, double secs);

/* The pstree-like prefix of tree node i ("|- ", "   `- ", or with box
 * characters when utf8), appended to sb; returns its columns. Call for
 * the nodes in order: last[] (nlast entries, zeroed by the caller before
 * the first node) remembers which ancestors were last children. visible:
 * per node, NULL for all. */
size_t session_tree_prefix(strbuf *sb, const monitor_snapshot *s, const bool *visible, size_t i,
                           bool *last, size_t nlast, bool utf8);

/* "2 sessions: pids 51, 52" (directly or through others), or NULL when
 * the session blocks nobody. Newly allocated. */
char *session_blocks_text(const monitor_snapshot *s, const monitor_session *ses);

/* Audit a cancel or terminate of `pid` (action "cancel_backend" or
 * "terminate_backend"): a line in the local audit file, and, when d is
 * given and the events table exists, an event there (its detail names
 * the pid, user and query, which the table has no columns for). The
 * actor's database user is current_user on d. A failed event is not an
 * error (the file holds the record): *event_note then says why (newly
 * allocated, else NULL). Fails only when the local line cannot be
 * written. */
sw_status session_audit(db *d, const history_table *t, const char *database, const char *action,
                        int pid, const char *user, const char *query, const char *outcome,
                        const char *detail, char **event_note, sw_error *err);

/* ---- the console (locks and activity views) ---- */

/* The state as a column shows it ("idle in transaction" is long). */
const char *session_state_text(const monitor_session *s);
/* Column widths for cols screen columns, the last column being the
 * query: each its min first, then the query up to 10 more, then each its
 * preferred width, then the query the rest. One space between. */
void sessions_layout(int cols, int n, const int *min, const int *preferred, int *width);
/* The titles of n columns on row y, the one numbered `right` aligned
 * right (a figure's column). */
void sessions_column_titles(WINDOW *w, int y, int cols, int n, const char *const *titles,
                            const int *width, int right);
/* text (escaped) cut or padded to width, then a space unless last. */
void sessions_cell(strbuf *line, const char *text, int width, bool right, bool last);

/* Draw what stands instead of the sessions when there are none to show:
 * SQLite, no target, the monitor's error, the first read. True when it
 * drew (the view then draws nothing else). */
bool sessions_placeholder(console *c, WINDOW *w, int rows, int cols);
/* " | every 2.0 s | taken 0.3 s ago" or " | paused | taken 12 s ago". */
void sessions_refresh_text(console *c, strbuf *sb);
/* Whether the live views read the monitor: a PostgreSQL target. */
bool sessions_live(console *c);
/* Enter: the session's full query and its locks (read on the monitor's
 * worker) in the text view. */
void session_show_detail(console *c, const monitor_session *s);
/* c and K: a dialog showing what will be acted on; y signals it (on the
 * monitor's worker) and audits it, as `stepwise locks` does. */
void session_ask_signal(console *c, const monitor_session *s, bool terminate);
/* Signal it at once, audited: for a caller that asked its own questions
 * (the apply view's two confirmations). */
void session_signal_now(console *c, const monitor_session *s, bool terminate);
/* What both views do with the selected session: Enter, c and K; false
 * for any other request. */
bool session_request(console *c, const monitor_session *s, request req);

#endif
