/* The audit trail (see audit.h). */
#include "config.h"

#include "core/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/util.h"

void audit_actor_system(audit_actor *actor)
{
    static char user[256];
    static char host[256];
    const struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_name) {
        strncpy(user, pw->pw_name, sizeof user - 1);
        user[sizeof user - 1] = '\0';
    } else {
        snprintf(user, sizeof user, "uid %ld", (long)getuid());
    }
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    actor->os_user = user;
    actor->host = host[0] ? host : NULL;
}

char *audit_default_path(const char *xdg_state_home, const char *home, sw_error *err)
{
    if (xdg_state_home && xdg_state_home[0] == '/')
        return xasprintf("%s/stepwise/audit.jsonl", xdg_state_home);
    if (home && home[0] == '/')
        return xasprintf("%s/.local/state/stepwise/audit.jsonl", home);
    sw_error_set(err, SW_FAILED,
                 "no place for the audit file: neither XDG_STATE_HOME nor HOME is an absolute path");
    return NULL;
}

char *audit_format(long long epoch_ms, const audit_actor *actor, const audit_event *event)
{
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char stamp[64];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03dZ", (int)(epoch_ms % 1000));

    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, false);
    json_begin_object(&w);
    json_key(&w, "time");
    json_string(&w, stamp);
    json_key(&w, "actor");
    json_begin_object(&w);
    json_key(&w, "db_user");
    json_string(&w, actor ? actor->db_user : NULL);
    json_key(&w, "os_user");
    json_string(&w, actor ? actor->os_user : NULL);
    json_key(&w, "host");
    json_string(&w, actor ? actor->host : NULL);
    json_end_object(&w);
    json_key(&w, "action");
    json_string(&w, event->action);
    json_key(&w, "version");
    json_string(&w, event->version);
    json_key(&w, "database");
    json_string(&w, event->database);
    json_key(&w, "target_pid");
    if (event->target_pid)
        json_int(&w, event->target_pid);
    else
        json_null(&w);
    json_key(&w, "target_user");
    json_string(&w, event->target_user);
    json_key(&w, "target_query");
    json_string(&w, event->target_query);
    json_key(&w, "outcome");
    json_string(&w, event->outcome);
    json_key(&w, "detail");
    json_string(&w, event->detail);
    json_end_object(&w);
    return strbuf_detach(&sb);
}

/* mkdir -p of the folders above path, each new one 0700. */
static sw_status make_parents(const char *path, sw_error *err)
{
    char *dir = NULL;
    int e = mkdir_parents(path, &dir);
    if (e)
        sw_error_set(err, SW_FAILED, "cannot write the audit file %s: creating %s: %s", path, dir,
                     strerror(e));
    free(dir);
    return e ? SW_FAILED : SW_OK;
}

struct audit_log {
    char *path;
    int fd;
};

sw_status audit_log_open(const char *path, audit_log **out, sw_error *err)
{
    *out = NULL;
    if (!path || !path[0])
        return sw_error_set(err, SW_FAILED, "no audit file path");
    if (make_parents(path, err) != SW_OK)
        return SW_FAILED;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        return sw_error_set(err, SW_FAILED, "cannot write the audit file %s: %s", path,
                            strerror(e));
    }
    audit_log *l = xcalloc(1, sizeof *l);
    l->path = xstrdup(path);
    l->fd = fd;
    *out = l;
    return SW_OK;
}

sw_status audit_log_write(audit_log *l, const audit_actor *actor, const audit_event *event,
                          sw_error *err)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    char *line = audit_format(ms, actor, event);
    size_t len = strlen(line);
    line = xrealloc(line, len + 2);
    line[len++] = '\n';
    line[len] = '\0';
    ssize_t wrote;
    do
        wrote = write(l->fd, line, len);
    while (wrote < 0 && errno == EINTR);
    int e = errno;
    free(line);
    if (wrote < 0 || (size_t)wrote != len)
        return sw_error_set(err, SW_FAILED, "cannot write the audit file %s: %s", l->path,
                            wrote < 0 ? strerror(e) : "short write");
    return SW_OK;
}

sw_status audit_log_close(audit_log *l, sw_error *err)
{
    if (!l)
        return SW_OK;
    sw_status st = SW_OK;
    (void)fsync(l->fd);
    if (close(l->fd) != 0) {
        int e = errno;
        st = sw_error_set(err, SW_FAILED, "cannot write the audit file %s: %s", l->path,
                          strerror(e));
    }
    free(l->path);
    free(l);
    return st;
}

sw_status audit_append(const char *path, const audit_actor *actor, const audit_event *event,
                       sw_error *err)
{
    audit_log *l;
    if (audit_log_open(path, &l, err) != SW_OK)
        return SW_FAILED;
    sw_status st = audit_log_write(l, actor, event, err);
    sw_error close_err = {0};
    if (audit_log_close(l, &close_err) != SW_OK && st == SW_OK) {
        if (err)
            *err = close_err;
        st = SW_FAILED;
    }
    return st;
}
