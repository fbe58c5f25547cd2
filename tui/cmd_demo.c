/* `stepwise demo`: a fresh SQLite database for the bookshop migrations in
 * stepwise's state folder, nothing applied (the trainee applies), and the
 * console on it with the walkthrough's hints. Nothing is written outside
 * the state folder (or the --db file named). */
#include "config.h"

#include "tui/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/db.h"
#include "core/util.h"
#include "tui/console.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *sample_dir(const cli_options *opts, const char *which, strbuf *tried)
{
    if (opts->dir) {
        if (is_dir(opts->dir))
            return xstrdup(opts->dir);
        strbuf_appendf(tried, " %s", opts->dir);
        return NULL;
    }
    char *candidates[] = {
#ifdef STEPWISE_PKGDATADIR
        xasprintf("%s/migrations/%s", STEPWISE_PKGDATADIR, which),
#endif
        xasprintf("migrations/%s", which),
#ifdef STEPWISE_SRCDIR
        xasprintf("%s/migrations/%s", STEPWISE_SRCDIR, which),
#endif
    };
    size_t n = sizeof candidates / sizeof candidates[0];
    char *found = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!found && is_dir(candidates[i]))
            found = xstrdup(candidates[i]);
        else if (!found)
            strbuf_appendf(tried, " %s", candidates[i]);
        free(candidates[i]);
    }
    return found;
}

/* The database file: --db (sqlite:PATH or a path), else the state folder's. */
static char *demo_path(const cli_options *opts, bool *own, sw_error *err)
{
    *own = !opts->db;
    if (opts->db) {
        db_target t = {0};
        char *path = NULL;
        if (db_target_parse(opts->db, DB_FROM_OPTION, &t, err) == SW_OK) {
            if (t.kind == DB_SQLITE)
                path = xstrdup(t.path);
            else
                sw_error_set(err, SW_USAGE, "the demo runs on a SQLite file (sqlite:PATH or "
                                            "a path ending in .db), not %s", t.display);
        }
        db_target_free(&t);
        return path;
    }
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (state && state[0] == '/')
        return xasprintf("%s/stepwise/demo.db", state);
    if (home && *home)
        return xasprintf("%s/.local/state/stepwise/demo.db", home);
    sw_error_set(err, SW_USAGE, "neither XDG_STATE_HOME nor HOME is set: name a file with --db");
    return NULL;
}

/* Remove the state folder's earlier demo database and its journals. */
static bool remove_old(const char *path, sw_error *err)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *p = xasprintf("%s%s", path, suffixes[i]);
        int r = unlink(p);
        int e = errno;
        if (r != 0 && e != ENOENT) {
            sw_error_set(err, SW_FAILED, "cannot remove the old demo database %s: %s", p,
                         strerror(e));
            free(p);
            return false;
        }
        free(p);
    }
    return true;
}

static bool create_db(const char *path, bool own, sw_error *err)
{
    char *failed = NULL;
    int e = mkdir_parents(path, &failed);
    if (e) {
        sw_error_set(err, SW_FAILED, "cannot create the folder %s: %s", failed, strerror(e));
        free(failed);
        return false;
    }
    if (own ? !remove_old(path, err) : access(path, F_OK) == 0) {
        if (!own)
            sw_error_set(err, SW_USAGE, "%s exists: the demo makes a fresh database, "
                                        "name a new file with --db", path);
        return false;
    }
    char *spec = xasprintf("sqlite:%s", path);
    db_target t = {0};
    db *d = NULL;
    sw_status rc = db_target_parse(spec, DB_FROM_OPTION, &t, err);
    if (rc == SW_OK)
        rc = db_open(&t, DB_OPEN_CREATE, &d, err);
    if (d)
        db_close(d);
    db_target_free(&t);
    free(spec);
    return rc == SW_OK;
}

int cmd_demo(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise demo [--db FILE] [--dir DIR]",
                           "demo takes no arguments (got '%s')", argv[1]);
    strbuf tried = {0};
    char *dir = sample_dir(opts, "demo", &tried);
    if (!dir) {
        int rc = usage_error("Name it with --dir DIR.", "no demo migrations folder; tried:%s",
                             strbuf_str(&tried));
        strbuf_free(&tried);
        return rc;
    }
    strbuf_free(&tried);
    sw_error err = {0};
    bool own = false;
    char *path = demo_path(opts, &own, &err);
    int rc = SW_OK;
    if (!path || !create_db(path, own, &err)) {
        rc = report_error(&err);
    } else if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        printf("created %s, nothing applied (the migrations: %s)\n"
               "open it: stepwise --db 'sqlite:%s' --dir '%s'\n"
               "  (t shows the walkthrough's hints; on a terminal, stepwise demo\n"
               "  makes the database afresh and opens the console on it)\n",
               path, dir, path, dir);
    } else {
        cli_options o = *opts;
        char *spec = xasprintf("sqlite:%s", path);
        o.db = spec;
        o.dir = dir;
        o.walkthrough = true;
        rc = console_main(&o);
        free(spec);
    }
    sw_error_clear(&err);
    free(path);
    free(dir);
    return rc;
}
