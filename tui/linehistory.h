/* The history of `:` commands, shared by the console's prompt and
 * `stepwise shell`, kept between runs with libedit's history functions in
 * $XDG_STATE_HOME/stepwise/history (else ~/.local/state/stepwise/history;
 * $STEPWISE_HISTORY names another file). Lines typed in this run are
 * appended at exit, so that two sessions do not overwrite each other. */
#ifndef STEPWISE_LINEHISTORY_H
#define STEPWISE_LINEHISTORY_H

#include <stddef.h>

typedef struct line_history line_history;

line_history *line_history_open(void);
/* Remember a line (not blank, not the same as the one before). */
void line_history_add(line_history *h, const char *line);
/* Lines, newest first: index 0 is the last one entered. NULL past the end. */
const char *line_history_get(line_history *h, size_t index);
size_t line_history_count(const line_history *h);
/* The file, or NULL when there is none (no home folder). */
const char *line_history_path(const line_history *h);
/* libedit's History underneath, for el_set(EL_HIST) in the shell. */
struct history;
struct history *line_history_libedit(line_history *h);
/* Append this run's lines to the file and free everything. */
void line_history_close(line_history *h);

#endif
