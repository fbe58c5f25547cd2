/* stepwise new NAME: the next migration in the folder's own layout and
 * numbering (core/source.c decides both), its path(s) on standard output. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/source.h"
#include "core/util.h"
#include "tui/cli.h"

#define NEW_USAGE "Usage: stepwise new NAME [--dir DIR]   (NAME: letters, digits, underscores)"

/* The folder to write into. Without --dir and with neither ./migrations
 * nor ./db/migrations, ./migrations is created: `new` is how a project
 * starts its first migration. */
static int new_folder(const cli_options *opts, char **dir)
{
    sw_error err = {0};
    if (source_find_dir(opts->dir, NULL, dir, &err) == SW_OK)
        return SW_OK;
    if (opts->dir)
        return usage_error(NEW_USAGE, "%s", err.message);
    if (mkdir("migrations", 0755) != 0) {
        sw_error_set(&err, SW_FAILED, "cannot create the folder ./migrations: %s", strerror(errno));
        return report_error(&err);
    }
    fprintf(stderr, "stepwise: created the folder ./migrations\n");
    *dir = xstrdup("migrations");
    return SW_OK;
}

int cmd_new(const cli_options *opts, int argc, char **argv)
{
    if (argc != 2)
        return usage_error(NEW_USAGE, argc < 2 ? "new needs a NAME for the migration"
                                               : "new takes one NAME (got '%s' too)",
                           argc < 2 ? "" : argv[2]);
    char *dir = NULL;
    int rc = new_folder(opts, &dir);
    if (rc != SW_OK)
        return rc;
    migration_source src;
    sw_error err = {0};
    if (source_read(dir, &src, &err) != SW_OK) {
        source_free(&src);
        free(dir);
        return report_error(&err);
    }
    free(dir);
    /* a bad name is refused on its own, without the folder's problems */
    bool name_ok = source_name_valid(argv[1]);
    for (size_t i = 0; name_ok && i < src.nproblems; i++) {
        char *line = source_problem_text(&src, &src.problems[i]);
        fprintf(stderr, "%s\n", line);
        free(line);
    }
    char *paths[2];
    size_t npaths = 0;
    if (source_new(&src, argv[1], time(NULL), paths, &npaths, &err) != SW_OK) {
        source_free(&src);
        return name_ok ? report_error(&err) : usage_error(NEW_USAGE, "%s", err.message);
    }
    for (size_t i = 0; i < npaths; i++) {
        char *shown = text_escaped(paths[i]);
        printf("%s\n", shown);
        free(shown);
        free(paths[i]);
    }
    source_free(&src);
    return SW_OK;
}
