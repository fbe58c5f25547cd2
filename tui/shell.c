/* `stepwise shell`: a line-mode console over the `:` commands (commands.c)
 * with libedit, the prompt's history file and Tab completion; for slow
 * links and screen readers. Without a terminal on stdin it reads a script
 * line by line, without prompts, as psql does. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/source.h"
#include "core/util.h"
#include "tui/commands.h"
#include "tui/linehistory.h"

typedef struct shell {
    cli_options opts;
    console_settings settings;
    bool interactive;
    line_history *history;
    /* The folder's versions, for completion; read at the first Tab that
     * needs them and again after each command (`new` adds one). */
    bool folder_read;
    bool have_status;
    migration_source source;
    migration_status status;
} shell;

static void shell_forget_folder(shell *sh)
{
    if (sh->have_status) {
        status_free(&sh->status);
        source_free(&sh->source);
    }
    memset(&sh->status, 0, sizeof sh->status);
    memset(&sh->source, 0, sizeof sh->source);
    sh->folder_read = false;
    sh->have_status = false;
}

static const migration_status *shell_status(shell *sh)
{
    if (!sh->folder_read) {
        sh->folder_read = true;
        char *dir = NULL;
        sw_error err = {0};
        if (source_find_dir(sh->opts.dir, NULL, &dir, &err) == SW_OK &&
            source_read(dir, &sh->source, &err) == SW_OK) {
            history_data none;
            memset(&none, 0, sizeof none);
            status_build(&sh->source, &none, &sh->status);
            sh->have_status = true;
        }
        free(dir);
        sw_error_clear(&err);
    }
    return sh->have_status ? &sh->status : NULL;
}

static void shell_help(void)
{
    printf("The shell runs the commands of the command line, typed without 'stepwise'\n"
           "(see stepwise --help), with the options the shell was started with:\n"
           "  status plan up down goto redo resume preflight lint diff schema locks\n"
           "  history force adopt new info\n"
           "  set                      show the settings\n"
           "  set lock-timeout D       --lock-timeout D for the commands run from here\n"
           "  set statement-timeout D  --statement-timeout D likewise ('default' resets)\n"
           "  help                     this text\n"
           "  quit, exit, Ctrl-D       leave\n"
           "Words are split as a shell splits them ('...', \"...\", backslash). Tab\n"
           "completes commands, options and versions; Up and Down recall earlier\n"
           "lines, shared with the console's : prompt.\n");
}

/* Run one line; returns its exit status. */
static int shell_line(shell *sh, const char *line, int last, bool *quit)
{
    char **words = NULL, *error = NULL;
    size_t count = 0;
    if (!command_split(line, &words, &count, &error)) {
        fprintf(stderr, "stepwise: %s\n", error);
        free(error);
        return SW_USAGE;
    }
    int rc = SW_OK;
    const char *name = count ? words[0] : "";
    if (count == 0) {
        rc = last; /* a blank line changes nothing */
    } else if (strcmp(name, "q") == 0 || strcmp(name, "quit") == 0 || strcmp(name, "exit") == 0) {
        *quit = true;
        rc = last;
    } else if (strcmp(name, "set") == 0) {
        char *message = NULL;
        bool ok = command_set(&sh->settings, false, count, words, &message);
        char *shown = text_escaped(message);
        fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "stepwise: ", shown);
        free(shown);
        free(message);
        rc = ok ? SW_OK : SW_USAGE;
    } else if (strcmp(name, "help") == 0) {
        shell_help();
    } else if (command_is_cli(name)) {
        size_t argc = 0;
        char **argv = command_child_argv(&sh->opts, &sh->settings, count, words, &argc);
        /* A script's child must not read the script: its stdin is empty. */
        int null_fd = sh->interactive ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
        fflush(NULL);
        char *spawn_error = NULL;
        pid_t pid = command_spawn(argv, null_fd, -1, &spawn_error);
        if (null_fd >= 0)
            close(null_fd);
        if (pid < 0) {
            fprintf(stderr, "stepwise: %s\n", spawn_error);
            free(spawn_error);
            rc = SW_USAGE;
        } else {
            rc = command_wait_on_terminal(pid);
            if (rc != 0)
                fprintf(stderr, "stepwise: %s: exit status %d\n", name, rc);
        }
        command_candidates_free(argv, argc);
        shell_forget_folder(sh);
    } else if (request_by_name(name) != REQ_NONE) {
        char *shown = text_escaped(name);
        fprintf(stderr,
                "stepwise: '%s' belongs to the curses console; the shell runs the commands "
                "of the command line ('help' lists them)\n",
                shown);
        free(shown);
        rc = SW_USAGE;
    } else {
        char *message = command_unknown(name, false);
        fprintf(stderr, "stepwise: %s\n", message);
        free(message);
        rc = SW_USAGE;
    }
    command_candidates_free(words, count);
    return rc;
}

/* ------------------------------------------------------------- libedit */

static char prompt_text[] = "stepwise> ";

static char *shell_prompt(EditLine *el)
{
    (void)el;
    return prompt_text;
}

/* Tab: one candidate is put in with a blank after it; several put in
 * what they share, or are listed below the line when they share no
 * more than what is typed. */
static unsigned char shell_complete(EditLine *el, int ch)
{
    (void)ch;
    shell *sh = NULL;
    el_get(el, EL_CLIENTDATA, &sh);
    const LineInfo *li = el_line(el);
    char *line = xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
    size_t start = 0;
    char **list = NULL;
    size_t n = command_complete_words(shell_status(sh), line, false, &start, &list);
    size_t typed = strlen(line) - start;
    unsigned char result = CC_REFRESH;
    if (n == 0) {
        result = CC_REFRESH_BEEP;
    } else if (n == 1) {
        el_deletestr(el, (int)typed);
        el_insertstr(el, list[0]);
        el_insertstr(el, " ");
    } else {
        size_t common = command_common_prefix(list, n);
        if (common > typed) {
            char *shared = xstrndup(list[0], common);
            el_deletestr(el, (int)typed);
            el_insertstr(el, shared);
            free(shared);
        } else {
            fputc('\n', stdout);
            for (size_t i = 0; i < n; i++)
                printf("%s%s", i ? "  " : "", list[i]);
            fputc('\n', stdout);
            fflush(stdout);
            result = CC_REDISPLAY;
        }
    }
    command_candidates_free(list, n);
    free(line);
    return result;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int shell_interactive(shell *sh)
{
    EditLine *el = el_init("stepwise", stdin, stdout, stderr);
    if (!el) {
        fprintf(stderr, "stepwise: libedit cannot use this terminal\n");
        return SW_USAGE;
    }
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, shell_prompt);
    el_set(el, EL_HIST, history, line_history_libedit(sh->history));
    el_set(el, EL_CLIENTDATA, sh);
    /* The wide call keeps these strings as they are; the narrow one
     * copies them and never frees the copies. */
    el_wset(el, EL_ADDFN, L"stepwise-complete", L"complete a command, an option or a version",
            shell_complete);
    el_set(el, EL_BIND, "^I", "stepwise-complete", NULL);
    el_source(el, NULL); /* ~/.editrc, as other libedit programs read it */

    /* Ctrl-C at the prompt drops the line being typed, as in psql; it
     * must interrupt the read, hence no SA_RESTART. */
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);

    int last = SW_OK;
    bool quit = false;
    while (!quit) {
        interrupted = 0;
        int count = 0;
        const char *got = el_gets(el, &count);
        if (!got) {
            if (interrupted || (count < 0 && errno == EINTR)) {
                fputc('\n', stdout);
                el_reset(el);
                continue;
            }
            fputc('\n', stdout); /* Ctrl-D: the shell's prompt starts a line */
            break;
        }
        char *line = xstrdup(got);
        line[strcspn(line, "\r\n")] = '\0';
        line_history_add(sh->history, line);
        last = shell_line(sh, line, last, &quit);
        free(line);
    }
    sigaction(SIGINT, &old, NULL);
    el_end(el);
    return last;
}

/* A script on stdin: no prompt, no history, stop at the end. */
static int shell_script(shell *sh)
{
    int last = SW_OK;
    bool quit = false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (!quit && (n = getline(&line, &cap, stdin)) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        last = shell_line(sh, line, last, &quit);
    }
    free(line);
    return last;
}

int shell_main(const cli_options *opts, const char *why)
{
    shell sh;
    memset(&sh, 0, sizeof sh);
    sh.opts = *opts;
    if (opts->lock_timeout)
        sh.settings.lock_timeout = xstrdup(opts->lock_timeout);
    if (opts->statement_timeout)
        sh.settings.statement_timeout = xstrdup(opts->statement_timeout);
    sh.settings.refresh = LIVE_DEFAULT_INTERVAL;
    sh.interactive = isatty(STDIN_FILENO);
    int rc;
    if (sh.interactive) {
        if (why)
            printf("stepwise: %s; line mode instead.\n", why);
        printf("stepwise shell: 'help' lists the commands; Ctrl-D leaves.\n");
        sh.history = line_history_open();
        rc = shell_interactive(&sh);
        line_history_close(sh.history);
    } else {
        rc = shell_script(&sh);
    }
    shell_forget_folder(&sh);
    free(sh.settings.lock_timeout);
    free(sh.settings.statement_timeout);
    return rc;
}
