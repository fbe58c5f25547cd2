/* PLACEHOLDER: the `:` commands and completion; being written. */
#include "config.h"

#include "tui/commands.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tui/console.h"

size_t command_complete(const migration_status *status, const char *line, size_t *start,
                        char ***out)
{
    (void)status;
    (void)line;
    *start = 0;
    *out = NULL;
    return 0;
}

void command_candidates_free(char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

void console_command(console *c, const char *line)
{
    if (strcmp(line, "q") == 0 || strcmp(line, "quit") == 0) {
        c->quit = true;
        return;
    }
    console_message(c, STYLE_ERROR, "unknown command: %s", line);
}
