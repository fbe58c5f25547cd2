/* Schema snapshots kept on disk: see backup.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/backup.h"
#include "core/util.h"

char *snapshot_dir(const char *xdg_state_home, const char *home, sw_error *err)
{
    if (xdg_state_home && xdg_state_home[0] == '/')
        return xasprintf("%s/stepwise/snapshots", xdg_state_home);
    if (home && home[0] == '/')
        return xasprintf("%s/.local/state/stepwise/snapshots", home);
    sw_error_set(err, SW_FAILED, "no place for schema snapshots: neither XDG_STATE_HOME nor "
                                 "HOME is an absolute path");
    return NULL;
}

/* A file name part from a database name or path: its last component,
 * anything but [A-Za-z0-9._-] made '_'. */
static char *file_part(const char *database)
{
    const char *slash = strrchr(database, '/');
    char *s = xstrdup(slash && slash[1] ? slash + 1 : database);
    for (char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            *p = '_';
    }
    if (!s[0] || s[0] == '.') {
        char *t = xasprintf("db%s", s);
        free(s);
        s = t;
    }
    return s;
}

static sw_status write_all(int fd, const char *text, size_t n, const char *path, sw_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, text, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return sw_error_set(err, SW_FAILED, "cannot write the schema snapshot %s: %s", path,
                                strerror(errno));
        text += w;
        n -= (size_t)w;
    }
    return SW_OK;
}

sw_status snapshot_save(const schema_snapshot *s, const char *dir, const char *database,
                        time_t when, char **path, sw_error *err)
{
    *path = NULL;
    struct tm tm;
    gmtime_r(&when, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char *part = file_part(database);
    char *p = xasprintf("%s/%s-%s.schema", dir, part, stamp);
    char *failed = NULL;
    int e = mkdir_parents(p, &failed);
    if (e) {
        sw_error_set(err, SW_FAILED, "cannot save the schema snapshot in %s: creating %s: %s",
                     dir, failed, strerror(e));
        free(failed);
        free(part);
        free(p);
        return SW_FAILED;
    }
    int fd = -1;
    for (int n = 2; (fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 &&
                    errno == EEXIST && n < 1000;
         n++) {
        free(p);
        p = xasprintf("%s/%s-%s-%d.schema", dir, part, stamp, n);
    }
    free(part);
    if (fd < 0) {
        sw_error_set(err, SW_FAILED, "cannot save the schema snapshot %s: %s", p, strerror(errno));
        free(p);
        return SW_FAILED;
    }
    char *text = schema_snapshot_text(s);
    sw_status st = write_all(fd, text, strlen(text), p, err);
    free(text);
    if (st == SW_OK && fsync(fd) != 0)
        st = sw_error_set(err, SW_FAILED, "cannot save the schema snapshot %s: %s", p,
                          strerror(errno));
    if (close(fd) != 0 && st == SW_OK)
        st = sw_error_set(err, SW_FAILED, "cannot save the schema snapshot %s: %s", p,
                          strerror(errno));
    if (st != SW_OK) {
        unlink(p);
        free(p);
        return st;
    }
    *path = p;
    return SW_OK;
}
