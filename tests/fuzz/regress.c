/* Drive the fuzz target over the seed corpus and every input that ever
 * crashed it, without libFuzzer, as a TAP test of `make check`:
 *
 *     1..N
 *     ok 1 - corpus/alter_table.sql
 *     ...
 *     ok N - crashes/nul_byte
 *
 * Folders: $top_srcdir/tests/fuzz/corpus and $top_srcdir/tests/fuzz/crashes
 * (top_srcdir defaults to "."). A missing or empty folder is a failure, so
 * the test cannot pass while testing nothing. An input that crashes the
 * target kills the process: the sanitizer report, or the line written by
 * the signal handler below, names it, and the TAP driver reports the
 * missing results as an error. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Provided by the sanitizer runtime when there is one (build-sanitize). */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

typedef struct input {
    char *label; /* "corpus/name", as printed */
    char *path;
} input;

static const char *current_label = "";
static int current_number;

/* Name the input that killed the process: "not ok K - corpus/x". It may
 * run in a signal handler: no stdio stream is touched (every result line
 * was flushed already), the line goes out with write(). */
static void report_death(void)
{
    char line[600];
    int n = snprintf(line, sizeof line, "not ok %d - %s (the fuzz target crashed)\nBail out!\n",
                     current_number, current_label);
    if (n > 0) {
        ssize_t w = write(STDOUT_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
}

static void on_signal(int sig)
{
    report_death();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int compare_inputs(const void *a, const void *b)
{
    return strcmp(((const input *)a)->label, ((const input *)b)->label);
}

/* Append the regular files of `dir` (hidden ones skipped) to `list`.
 * Returns how many, or -1 when the folder cannot be read. */
static int list_folder(const char *dir, const char *name, input **list, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int found = 0;
    size_t first = *n;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        *list = array_grow(*list, cap, *n + 1, sizeof **list);
        (*list)[*n].label = xasprintf("%s/%s", name, e->d_name);
        (*list)[*n].path = xasprintf("%s/%s", dir, e->d_name);
        (*n)++;
        found++;
    }
    closedir(d);
    qsort(*list + first, *n - first, sizeof **list, compare_inputs);
    return found;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        data = array_grow(data, &cap, len + 65536, 1);
        size_t got = fread(data + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(fp) != 0;
    fclose(fp);
    if (failed) {
        free(data);
        return NULL;
    }
    *size = len;
    return data;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    if (!top || !*top)
        top = ".";

    static const char *const folders[] = {"corpus", "crashes"};
    input *inputs = NULL;
    size_t ninputs = 0, cap = 0;
    char *problems[2] = {NULL, NULL};
    int nproblems = 0;
    for (size_t i = 0; i < 2; i++) {
        char *dir = xasprintf("%s/tests/fuzz/%s", top, folders[i]);
        int errno_saved = 0;
        int found = list_folder(dir, folders[i], &inputs, &ninputs, &cap);
        if (found < 0)
            errno_saved = errno;
        if (found <= 0)
            problems[nproblems++] =
                found < 0 ? xasprintf("%s: cannot read the folder: %s", dir, strerror(errno_saved))
                          : xasprintf("%s: no inputs in the folder", dir);
        free(dir);
    }

    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(report_death);
    } else {
        signal(SIGSEGV, on_signal);
        signal(SIGBUS, on_signal);
        signal(SIGABRT, on_signal);
        signal(SIGFPE, on_signal);
        signal(SIGILL, on_signal);
    }

    printf("1..%zu\n", ninputs + (size_t)nproblems);
    fflush(stdout);
    int number = 0, failed = 0;
    for (int i = 0; i < nproblems; i++) {
        printf("not ok %d - %s\n", ++number, problems[i]);
        failed++;
        free(problems[i]);
    }
    for (size_t i = 0; i < ninputs; i++) {
        size_t size = 0;
        unsigned char *data = read_file(inputs[i].path, &size);
        number++;
        if (!data) {
            printf("not ok %d - %s (cannot read: %s)\n", number, inputs[i].label, strerror(errno));
            failed++;
        } else {
            current_label = inputs[i].label;
            current_number = number;
            LLVMFuzzerTestOneInput(data, size);
            current_label = "";
            printf("ok %d - %s\n", number, inputs[i].label);
            free(data);
        }
        fflush(stdout);
        free(inputs[i].label);
        free(inputs[i].path);
    }
    free(inputs);
    return failed ? 1 : 0;
}
