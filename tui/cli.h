/* The command line: global options, the subcommand table that also drives
 * --help, and the commands that print rather than open the console. */
#ifndef STEPWISE_CLI_H
#define STEPWISE_CLI_H

/* Parse argv, run the command, return the exit status (stepwise.1). */
int cli_main(int argc, char **argv);

#endif
