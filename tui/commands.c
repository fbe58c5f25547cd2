/* The words the `:` prompt and `stepwise shell` accept (one table), the
 * shell-like splitting of a line, `set`, completion, and running a command
 * of the command line again as a child: captured on a worker when it only
 * reads, on the terminal when it changes the database or asks. */
#include "config.h"

#include "tui/commands.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

/* The commands of the command line the prompt runs, with the options
 * Tab offers after them and whether their first argument is a version. */
typedef struct command_spec {
    const char *name;
    bool changes;          /* changes the database or asks a question */
    bool version_argument; /* goto V, diff V, force V */
    const char *const *options;
} command_spec;

#define RUN_OPTIONS                                                                            \
    "--lock-timeout", "--statement-timeout", "--lock-retries", "--wait-lock", "--confirm-db",  \
        "--allow-drift", "--allow-out-of-order", "--snapshot-each", "--yes"

static const char *const status_options[] = {"--json", NULL};
static const char *const plan_options[] = {"--dry-run", "--shadow", "--json", "-n", "--to",
                                           "--lock-timeout", NULL};
static const char *const up_options[] = {"-n", "--to", RUN_OPTIONS, NULL};
static const char *const run_options[] = {RUN_OPTIONS, NULL};
static const char *const preflight_options[] = {"--json", "--allow-drift", "--allow-out-of-order",
                                                NULL};
static const char *const lint_options[] = {"--locks", "--strict", "--rules", "--json", NULL};
static const char *const diff_options[] = {"--down", "--shadow", "--json", "--lock-timeout",
                                           "--confirm-db", NULL};
static const char *const locks_options[] = {"--watch", "--min-wait", "--dbname", "--cancel",
                                            "--terminate", "--json", NULL};
static const char *const history_options[] = {"-n", "--json", NULL};
static const char *const force_options[] = {"--unapplied", "--confirm-version", "--confirm-db",
                                            NULL};
static const char *const adopt_options[] = {"--from", "--yes", "--confirm-db", NULL};
static const char *const no_options[] = {NULL};

static const command_spec command_specs[] = {
    {"status", false, false, status_options},
    {"plan", false, false, plan_options},
    {"up", true, false, up_options},
    {"down", true, false, up_options},
    {"goto", true, true, run_options},
    {"redo", true, false, run_options},
    {"resume", true, false, run_options},
    {"preflight", false, false, preflight_options},
    {"lint", false, false, lint_options},
    {"diff", true, true, diff_options},
    {"schema", false, false, status_options},
    {"locks", false, false, locks_options},
    {"history", false, false, history_options},
    {"force", true, true, force_options},
    {"adopt", true, false, adopt_options},
    {"new", true, false, no_options},
    {"info", false, false, status_options},
};
#define N_SPECS (sizeof command_specs / sizeof command_specs[0])

/* The words of the prompt itself; the console adds the request names. */
static const char *const own_words[] = {"set", "help", "quit", "exit"};
static const char *const setting_names[] = {"lock-timeout", "statement-timeout", "refresh"};

static const command_spec *spec_find(const char *name)
{
    for (size_t i = 0; i < N_SPECS; i++)
        if (strcmp(command_specs[i].name, name) == 0)
            return &command_specs[i];
    return NULL;
}

bool command_is_cli(const char *name)
{
    return spec_find(name) != NULL;
}

static bool is_quit(const char *word)
{
    return strcmp(word, "q") == 0 || strcmp(word, "quit") == 0 || strcmp(word, "exit") == 0;
}

/* An option given as "--cancel 5" or "--cancel=5". */
static bool has_option(size_t argc, char **argv, const char *option)
{
    size_t n = strlen(option);
    for (size_t i = 1; i < argc; i++)
        if (strncmp(argv[i], option, n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '='))
            return true;
    return false;
}

bool command_changes(size_t argc, char **argv)
{
    const command_spec *spec = spec_find(argv[0]);
    if (!spec)
        return false;
    if (strcmp(spec->name, "plan") == 0)
        return has_option(argc, argv, "--dry-run");
    /* --watch redraws until Ctrl-C: it needs the terminal too. */
    if (strcmp(spec->name, "locks") == 0)
        return has_option(argc, argv, "--cancel") || has_option(argc, argv, "--terminate") ||
               has_option(argc, argv, "--watch");
    return spec->changes;
}

/* ------------------------------------------------------------- splitting */

static void words_add(char ***words, size_t *count, size_t *cap, strbuf *word)
{
    *words = array_grow(*words, cap, *count + 2, sizeof **words);
    strbuf_append(word, ""); /* an empty quoted word is still a word */
    (*words)[(*count)++] = strbuf_detach(word);
    (*words)[*count] = NULL;
}

bool command_split(const char *line, char ***words, size_t *count, char **error)
{
    *words = NULL;
    *count = 0;
    *error = NULL;
    size_t cap = 0;
    strbuf word = {0};
    bool in_word = false;
    const char *s = line;
    while (*s) {
        if (isspace((unsigned char)*s)) {
            if (in_word)
                words_add(words, count, &cap, &word);
            in_word = false;
            s++;
            continue;
        }
        in_word = true;
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (!end) {
                *error = xstrdup("unterminated ' quote: close it with another '");
                break;
            }
            strbuf_append_len(&word, s + 1, (size_t)(end - s - 1));
            s = end + 1;
        } else if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                /* Inside double quotes a backslash escapes only these. */
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    s++;
                strbuf_append_char(&word, *s++);
            }
            if (!*s) {
                *error = xstrdup("unterminated \" quote: close it with another \"");
                break;
            }
            s++;
        } else if (*s == '\\') {
            if (!s[1]) {
                *error = xstrdup("a backslash ends the line: nothing follows it to escape");
                break;
            }
            strbuf_append_char(&word, s[1]);
            s += 2;
        } else {
            strbuf_append_char(&word, *s++);
        }
    }
    if (*error) {
        strbuf_free(&word);
        command_candidates_free(*words, *count);
        *words = NULL;
        *count = 0;
        return false;
    }
    if (in_word)
        words_add(words, count, &cap, &word);
    strbuf_free(&word);
    return true;
}

/* ---------------------------------------------------------------- words */

/* Every word the prompt knows as a first word, in no particular order. */
static size_t first_words(bool in_console, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < N_SPECS && n < max; i++)
        out[n++] = command_specs[i].name;
    for (size_t i = 0; i < sizeof own_words / sizeof own_words[0] && n < max; i++)
        out[n++] = own_words[i];
    if (in_console && n < max)
        out[n++] = "psql";
    if (in_console)
        for (int r = REQ_NONE + 1; r < REQ_COUNT && n < max; r++)
            out[n++] = request_name((request)r);
    return n;
}

char *command_unknown(const char *name, bool in_console)
{
    const char *words[N_SPECS + 8 + REQ_COUNT];
    size_t n = first_words(in_console, words, sizeof words / sizeof words[0]);
    const char *best = NULL;
    size_t best_distance = 3; /* suggest only close matches, as the command line does */
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(name, words[i]);
        if (d < best_distance) {
            best_distance = d;
            best = words[i];
        }
    }
    char *shown = text_escaped(name);
    char *msg = best ? xasprintf("unknown command '%s': did you mean '%s'?", shown, best)
                     : xasprintf("unknown command '%s': 'help' lists the commands", shown);
    free(shown);
    return msg;
}

/* ------------------------------------------------------------------ set */

static char *settings_text(const console_settings *s, bool in_console)
{
    strbuf sb = {0};
    strbuf_appendf(&sb, "lock-timeout %s, statement-timeout %s",
                   s->lock_timeout ? s->lock_timeout : "default",
                   s->statement_timeout ? s->statement_timeout : "default");
    if (in_console)
        strbuf_appendf(&sb, ", refresh %.1f s", s->refresh);
    return strbuf_detach(&sb);
}

bool command_set(console_settings *s, bool in_console, size_t argc, char **argv, char **message)
{
    if (argc == 1) {
        *message = settings_text(s, in_console);
        return true;
    }
    const char *name = argv[1];
    bool timeout = strcmp(name, "lock-timeout") == 0 || strcmp(name, "statement-timeout") == 0;
    bool refresh = strcmp(name, "refresh") == 0;
    if (refresh && !in_console) {
        *message = xstrdup("refresh is the console's live refresh interval: the shell has none");
        return false;
    }
    if (!timeout && !refresh) {
        char *shown = text_escaped(name);
        *message = xasprintf("no setting '%s' (lock-timeout, statement-timeout%s)", shown,
                             in_console ? ", refresh" : "");
        free(shown);
        return false;
    }
    if (argc > 3) {
        *message = xasprintf("set %s takes one value", name);
        return false;
    }
    char **slot = strcmp(name, "lock-timeout") == 0 ? &s->lock_timeout : &s->statement_timeout;
    if (argc == 2) {
        if (refresh)
            *message = xasprintf("refresh %.1f s", s->refresh);
        else
            *message = xasprintf("%s %s", name, *slot ? *slot : "default");
        return true;
    }
    const char *value = argv[2];
    double seconds = 0;
    if (timeout && strcmp(value, "default") == 0) {
        free(*slot);
        *slot = NULL;
        *message = xasprintf("%s: back to the default", name);
        return true;
    }
    if (!duration_parse(value, &seconds)) {
        char *shown = text_escaped(value);
        *message = xasprintf("set %s: '%s' is not a duration (500ms, 2s, 1min%s)", name, shown,
                             timeout ? ", or default" : "");
        free(shown);
        return false;
    }
    if (refresh) {
        if (seconds < LIVE_MIN_INTERVAL || seconds > LIVE_MAX_INTERVAL) {
            *message = xasprintf("set refresh: between %.1f and %.0f seconds", LIVE_MIN_INTERVAL,
                                 LIVE_MAX_INTERVAL);
            return false;
        }
        s->refresh = seconds;
        *message = xasprintf("refresh every %.1f s", seconds);
        return true;
    }
    free(*slot);
    *slot = xstrdup(value);
    *message = xasprintf("%s %s for the commands run from here", name, value);
    return true;
}

/* ----------------------------------------------------------- completion */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct candidates {
    char **list;
    size_t count, cap;
    const char *prefix;
} candidates;

static void candidate_add(candidates *cs, const char *word)
{
    if (!str_has_prefix(word, cs->prefix))
        return;
    cs->list = array_grow(cs->list, &cs->cap, cs->count + 1, sizeof *cs->list);
    cs->list[cs->count++] = xstrdup(word);
}

static void candidates_versions(candidates *cs, const migration_status *status)
{
    if (!status)
        return;
    for (size_t i = 0; i < status->count; i++)
        candidate_add(cs, status->entries[i].version);
}

size_t command_complete_words(const migration_status *status, const char *line, bool in_console,
                              size_t *start, char ***out)
{
    size_t len = strlen(line);
    size_t s = len;
    while (s > 0 && !isspace((unsigned char)line[s - 1]))
        s--;
    *start = s;
    *out = NULL;
    candidates cs = {.prefix = line + s};

    char *head = xstrndup(line, s);
    char **words = NULL, *error = NULL;
    size_t nwords = 0;
    bool ok = command_split(head, &words, &nwords, &error);
    free(head);
    free(error);
    if (!ok)
        return 0;

    if (nwords == 0) {
        const char *firsts[N_SPECS + 8 + REQ_COUNT];
        size_t n = first_words(in_console, firsts, sizeof firsts / sizeof firsts[0]);
        for (size_t i = 0; i < n; i++)
            candidate_add(&cs, firsts[i]);
    } else if (strcmp(words[0], "set") == 0) {
        if (nwords == 1)
            for (size_t i = 0; i < sizeof setting_names / sizeof setting_names[0]; i++)
                if (in_console || strcmp(setting_names[i], "refresh") != 0)
                    candidate_add(&cs, setting_names[i]);
    } else {
        const command_spec *spec = spec_find(words[0]);
        const char *previous = words[nwords - 1];
        if (!spec) {
            /* a view or a request: no arguments */
        } else if (cs.prefix[0] == '-') {
            for (const char *const *o = spec->options; *o; o++)
                candidate_add(&cs, *o);
        } else if (strcmp(previous, "--to") == 0 || (spec->version_argument && nwords == 1) ||
                   (strcmp(spec->name, "plan") == 0 && strcmp(previous, "goto") == 0)) {
            candidates_versions(&cs, status);
        } else if (strcmp(spec->name, "plan") == 0 && nwords == 1) {
            candidate_add(&cs, "up");
            candidate_add(&cs, "down");
            candidate_add(&cs, "goto");
        }
    }
    command_candidates_free(words, nwords);

    /* Sorted, each once (locks and history are both commands and views). */
    if (cs.count > 1)
        qsort(cs.list, cs.count, sizeof *cs.list, compare_strings);
    size_t kept = 0;
    for (size_t i = 0; i < cs.count; i++) {
        if (kept && strcmp(cs.list[kept - 1], cs.list[i]) == 0)
            free(cs.list[i]);
        else
            cs.list[kept++] = cs.list[i];
    }
    if (kept == 0) {
        free(cs.list);
        cs.list = NULL;
    }
    *out = cs.list;
    return kept;
}

size_t command_complete(const migration_status *status, const char *line, size_t *start,
                        char ***out)
{
    return command_complete_words(status, line, true, start, out);
}

size_t command_common_prefix(char *const *list, size_t count)
{
    size_t common = strlen(list[0]);
    for (size_t i = 1; i < count; i++) {
        size_t k = 0;
        while (k < common && list[i][k] == list[0][k])
            k++;
        common = k;
    }
    return common;
}

void command_candidates_free(char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

/* ------------------------------------------------------------- children */

/* This program's file: /proc/self/exe (a rebuilt binary is named
 * "PATH (deleted)": the new one at PATH is meant), else argv[0]. */
static char *self_path(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return xstrdup(program_invocation_name);
    path[n] = '\0';
    const char *deleted = " (deleted)";
    if (str_has_suffix(path, deleted))
        path[n - (ssize_t)strlen(deleted)] = '\0';
    return xstrdup(path);
}

char **command_child_argv(const cli_options *opts, const console_settings *s, size_t argc,
                          char **words, size_t *count)
{
    char **argv = xcalloc(argc + 12, sizeof *argv);
    size_t n = 0;
    argv[n++] = self_path();
    const char *pairs[][2] = {
        {"--db", opts->db},
        {"--dir", opts->dir},
        {"--table", opts->table},
        {"--lock-timeout", s->lock_timeout},
        {"--statement-timeout", s->statement_timeout},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (!pairs[i][1])
            continue;
        argv[n++] = xstrdup(pairs[i][0]);
        argv[n++] = xstrdup(pairs[i][1]);
    }
    for (size_t i = 0; i < argc; i++)
        argv[n++] = xstrdup(words[i]);
    argv[n] = NULL;
    *count = n;
    return argv;
}

pid_t command_spawn(char **argv, int stdin_fd, int output_fd, char **error)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    if (stdin_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
    if (output_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
    }
    /* The child gets the signals a program started from a shell has,
     * whatever we ignore while it runs. */
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        *error = xasprintf("cannot start %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

int command_exit_status(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 1;
}

int command_wait_on_terminal(pid_t pid)
{
    /* As system() does: the terminal's Ctrl-C is the child's to handle. */
    struct sigaction ignore = {0}, old_int, old_quit;
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        continue;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return command_exit_status(st);
}

/* ----------------------------------------------------- the console's half */

/* Output kept of a captured command; the rest is read and dropped. */
#define CAPTURE_MAX (8u << 20)

typedef struct capture_job {
    pid_t pid;
    int fd;
    char *title;
    strbuf out;
    bool cut;
} capture_job;

/* On the command worker: read the child's output to its end, then wait
 * for it to exit without reaping it, so that its pid stays ours until
 * done() reaps it on the console thread (where Esc may signal it). */
static void capture_run(void *arg)
{
    capture_job *j = arg;
    char buf[65536];
    for (;;) {
        ssize_t n = read(j->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (j->out.len + (size_t)n <= CAPTURE_MAX)
            strbuf_append_len(&j->out, buf, (size_t)n);
        else
            j->cut = true;
    }
    siginfo_t info;
    while (waitid(P_PID, (id_t)j->pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        continue;
}

static void capture_done(void *context, void *arg)
{
    console *c = context;
    capture_job *j = arg;
    int st = 0;
    while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
        continue;
    close(j->fd);
    if (c) {
        bool stopped = c->command_signals > 0;
        c->command_pid = 0;
        c->command_signals = 0;
        int rc = command_exit_status(st);
        strbuf_append(&j->out, "");
        if (j->cut)
            strbuf_appendf(&j->out, "\n[output cut at %u MiB]\n", CAPTURE_MAX >> 20);
        if (stopped)
            strbuf_append(&j->out, "\n[stopped with Esc]\n");
        else if (rc != 0)
            strbuf_appendf(&j->out, "\n[exit status %d]\n", rc);
        console_show_text(c, j->title, strbuf_detach(&j->out));
        if (stopped)
            console_message(c, STYLE_WARNING, "%s: stopped", j->title);
        else if (rc != 0)
            console_message(c, STYLE_ERROR, "%s: exit status %d", j->title, rc);
    }
    strbuf_free(&j->out);
    free(j->title);
    free(j);
}

/* A reading command: its output (stdout and stderr) into the text view,
 * read on the command worker so that keys still work meanwhile. */
static void run_captured(console *c, const char *line, char **argv)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        console_message(c, STYLE_ERROR, "cannot run %s: pipe: %s", line, strerror(errno));
        return;
    }
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char *error = NULL;
    pid_t pid = command_spawn(argv, null_fd, fds[1], &error);
    if (null_fd >= 0)
        close(null_fd);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        console_message(c, STYLE_ERROR, "%s", error);
        free(error);
        return;
    }
    if (!c->command_worker)
        c->command_worker = worker_start("command");
    capture_job *j = xcalloc(1, sizeof *j);
    j->pid = pid;
    j->fd = fds[0];
    j->title = xasprintf(":%s", line);
    c->command_pid = pid;
    c->command_signals = 0;
    c->message_until = 0; /* the status line now says what runs */
    char *what = xasprintf("stepwise %s", line);
    worker_post(c->command_worker, what, capture_run, capture_done, j);
    free(what);
}

/* A changing or asking command: on the terminal, as on the command line,
 * then back to the console, which reads the folder and history again. */
static int run_on_terminal(console *c, const char *program, const char *line, char **argv)
{
    console_suspend(c);
    printf("\n$ %s %s\n", program, line);
    fflush(stdout);
    char *error = NULL;
    pid_t pid = command_spawn(argv, -1, -1, &error);
    int rc;
    if (pid < 0) {
        fprintf(stderr, "stepwise: %s\n", error);
        free(error);
        rc = SW_USAGE;
    } else {
        rc = command_wait_on_terminal(pid);
    }
    if (rc != 0)
        printf("\n[exit status %d] ", rc);
    else
        printf("\n");
    printf("Press Enter to return to the console.");
    fflush(stdout);
    char ch;
    while (read(STDIN_FILENO, &ch, 1) == 1 && ch != '\n')
        continue;
    console_resume(c);
    if (rc != 0)
        console_message(c, STYLE_ERROR, "%s: exit status %d", line, rc);
    else
        console_message(c, STYLE_INFO, "%s: done", line);
    return rc;
}

/* `:psql`: psql on the target, on the terminal (the lab's failed-index
 * scenario fixes data and drops an index there), then back. */
static void run_psql(console *c, size_t count)
{
    if (count > 1) {
        console_message(c, STYLE_ERROR, ":psql takes no arguments");
        return;
    }
    if (!c->target_ok || c->target.kind != DB_POSTGRES) {
        console_message(c, STYLE_ERROR, ":psql needs a PostgreSQL target");
        return;
    }
    char program[] = "psql", option[] = "-d";
    char *argv[] = {program, option, c->target.conninfo, NULL};
    if (!*c->target.conninfo)
        argv[1] = NULL; /* libpq's environment, as stepwise uses it */
    char *shown = xasprintf("-d %s", c->target.display);
    int rc = run_on_terminal(c, "psql", *c->target.conninfo ? shown : "", argv);
    free(shown);
    if (rc == 0)
        console_walkthrough_note(c, WALK_PSQL);
}

static void quit_answer(console *c, void *arg, bool yes)
{
    (void)arg;
    if (yes)
        c->quit = true;
}

bool console_command_cancel(console *c)
{
    if (!c->command_pid)
        return false;
    /* Esc asks it to stop; a second Esc ends it whatever it is doing. */
    kill(c->command_pid, c->command_signals ? SIGKILL : SIGTERM);
    c->command_signals++;
    console_message(c, STYLE_WARNING, "stopping the command%s",
                    c->command_signals == 1 ? "; Esc again kills it" : "");
    return true;
}

void console_command_stop(console *c)
{
    if (!c->command_worker)
        return;
    if (c->command_pid)
        kill(c->command_pid, SIGKILL);
    worker_stop(c->command_worker, NULL, 1000);
    c->command_worker = NULL;
    c->command_pid = 0;
}

/* The plans the console runs itself, supervised (view_apply.c): `up`,
 * `up --to V`, `up -n 1`, `down`, `goto V`, `resume`. Other forms (more
 * options) still run as on the command line. */
static bool supervised(console *c, size_t count, char **words)
{
    const char *name = words[0];
    if (strcmp(name, "up") == 0 && count == 1)
        console_apply(c, APPLY_KIND_ALL, NULL);
    else if (strcmp(name, "up") == 0 && count == 3 && strcmp(words[1], "--to") == 0)
        console_apply(c, APPLY_KIND_UP_TO, words[2]);
    else if (strcmp(name, "up") == 0 && count == 3 && strcmp(words[1], "-n") == 0 &&
             strcmp(words[2], "1") == 0)
        console_apply(c, APPLY_KIND_NEXT, NULL);
    else if (strcmp(name, "down") == 0 && count == 1)
        console_apply(c, APPLY_KIND_DOWN, NULL);
    else if (strcmp(name, "goto") == 0 && count == 2)
        console_apply(c, APPLY_KIND_GOTO, words[1]);
    else if (strcmp(name, "resume") == 0 && count == 1)
        console_apply(c, APPLY_KIND_RESUME, NULL);
    else
        return false;
    return true;
}

void console_command(console *c, const char *line)
{
    char **words = NULL, *error = NULL;
    size_t count = 0;
    if (!command_split(line, &words, &count, &error)) {
        console_message(c, STYLE_ERROR, "%s", error);
        free(error);
        return;
    }
    if (count == 0) {
        free(words);
        return;
    }
    const char *name = words[0];
    request req = request_by_name(name);
    bool view_word = req != REQ_NONE && (!command_is_cli(name) || count == 1);
    if (is_quit(name)) {
        if (c->transaction_open)
            console_ask(c, "Quit?", "A migration's transaction is open: quitting rolls it back.",
                        "y", quit_answer, NULL);
        else
            c->quit = true;
    } else if (strcmp(name, "psql") == 0) {
        run_psql(c, count);
    } else if (strcmp(name, "set") == 0) {
        char *message = NULL;
        bool ok = command_set(&c->settings, true, count, words, &message);
        console_message(c, ok ? STYLE_INFO : STYLE_ERROR, "%s", message);
        if (ok && count == 3 && strcmp(words[1], "refresh") == 0)
            c->next_refresh = clock_now() + c->settings.refresh;
        free(message);
    } else if (view_word) {
        /* `:locks` and `:history` alone are the views; with arguments,
         * the commands of the command line. */
        if (count > 1)
            console_message(c, STYLE_ERROR, ":%s takes no arguments", name);
        else
            console_do(c, req);
    } else if (supervised(c, count, words)) {
        /* the apply view took it */
    } else if (command_is_cli(name)) {
        if (c->command_pid) {
            console_message(c, STYLE_WARNING,
                            "a command is still running (Esc stops it): one at a time");
        } else {
            size_t argc = 0;
            char **argv = command_child_argv(&c->opts, &c->settings, count, words, &argc);
            if (command_changes(count, words))
                run_on_terminal(c, "stepwise", line, argv);
            else
                run_captured(c, line, argv);
            command_candidates_free(argv, argc);
        }
    } else {
        char *message = command_unknown(name, true);
        console_message(c, STYLE_ERROR, "%s", message);
        free(message);
    }
    command_candidates_free(words, count);
}
