/* The `:` commands of the console and the lines of `stepwise shell`: the
 * same commands as the command line, plus view switching and `set`. One
 * table serves both; the console's half is in commands.c, the line-mode
 * loop in shell.c. */
#ifndef STEPWISE_COMMANDS_H
#define STEPWISE_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/plan.h"
#include "tui/cli.h"
#include "tui/console.h"

/* Candidates to complete the word that ends line (commands first word,
 * then options and versions): returns how many, sets *start to the byte
 * offset where that word begins, and *out to newly allocated strings.
 * The console's words (views, requests) are offered too. */
size_t command_complete(const migration_status *status, const char *line, size_t *start,
                        char ***out);
/* The same; in_console false leaves out the words only the console has. */
size_t command_complete_words(const migration_status *status, const char *line, bool in_console,
                              size_t *start, char ***out);
void command_candidates_free(char **list, size_t count);
/* How many leading bytes all candidates share (count > 0). */
size_t command_common_prefix(char *const *list, size_t count);

/* Split a line into words as a shell does: blanks separate, '...' keeps
 * everything, "..." and a backslash escape. False with *error (newly
 * allocated) on an unterminated quote or a trailing backslash. */
bool command_split(const char *line, char ***words, size_t *count, char **error);

/* A command of the command line that the prompt runs as a child. */
bool command_is_cli(const char *name);
/* Whether that command, with these arguments, may change the database or
 * ask a question (then it runs on the terminal, not captured). */
bool command_changes(size_t argc, char **argv);
/* "unknown command 'x'", with a "did you mean" when a word is close.
 * Newly allocated. */
char *command_unknown(const char *name, bool in_console);

/* `set` (argc 1: show), `set NAME`, `set NAME VALUE`: true with a line to
 * show in *message, false with the error there (newly allocated). The
 * refresh interval is a console setting only. */
bool command_set(console_settings *s, bool in_console, size_t argc, char **argv, char **message);

/* The program again, with the global options (--db, --dir, --table, the
 * `set` timeouts) and the typed words; NULL-terminated, free with
 * command_candidates_free(argv, count). */
char **command_child_argv(const cli_options *opts, const console_settings *s, size_t argc,
                          char **words, size_t *count);
/* Start argv; stdin_fd and output_fd (stdout and stderr) -1 inherit ours.
 * Returns the pid, or -1 with *error set (newly allocated). */
pid_t command_spawn(char **argv, int stdin_fd, int output_fd, char **error);
/* Wait for a child that has the terminal: Ctrl-C reaches it, not us.
 * Returns its exit status (128 + the signal when one ended it). */
int command_wait_on_terminal(pid_t pid);
/* A waitpid() status as an exit status. */
int command_exit_status(int wait_status);

/* Levenshtein distance (tui/cli.c), for "did you mean". */
size_t edit_distance(const char *a, const char *b);

/* `stepwise shell`, and the console's fallback without a usable terminal:
 * a line-mode console with libedit; why is said once at the start when
 * it is a fallback (NULL for `stepwise shell`). Returns the exit status. */
int shell_main(const cli_options *opts, const char *why);

#endif
