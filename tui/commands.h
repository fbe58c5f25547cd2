/* The `:` commands of the console and the lines of `stepwise shell`: the
 * same commands as the command line, plus view switching and `set`. */
#ifndef STEPWISE_COMMANDS_H
#define STEPWISE_COMMANDS_H

#include <stddef.h>

#include "core/plan.h"
#include "tui/cli.h"

/* Candidates to complete the word that ends line (commands first word,
 * then options and versions): returns how many, sets *start to the byte
 * offset where that word begins, and *out to newly allocated strings. */
size_t command_complete(const migration_status *status, const char *line, size_t *start,
                        char ***out);
void command_candidates_free(char **list, size_t count);

/* `stepwise shell`, and the console's fallback without a usable terminal:
 * a line-mode console with libedit; why is said once at the start when
 * it is a fallback (NULL for `stepwise shell`). Returns the exit status. */
int shell_main(const cli_options *opts, const char *why);

#endif
