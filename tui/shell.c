/* PLACEHOLDER: stepwise shell; being written. */
#include "config.h"

#include <stdio.h>

#include "tui/commands.h"

int shell_main(const cli_options *opts, const char *why)
{
    (void)opts;
    fprintf(stderr, "stepwise: %s\n", why ? why : "shell");
    return SW_USAGE;
}
