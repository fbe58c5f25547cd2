/* The console's background threads: a queue of jobs, a condition variable
 * to wake the thread, and a pipe that tells the loop a job is done. */
#include "config.h"

#include "tui/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

typedef struct job {
    char *what;
    worker_run_fn run;
    worker_done_fn done;
    void *arg;
    struct job *next;
} job;

struct worker {
    char *name;
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    job *queue, *queue_tail; /* waiting to run */
    job *running;
    double running_since;
    job *finished, *finished_tail;
    bool stopping;
    bool detached;  /* left behind by worker_stop: frees itself */
    int pipe_fds[2];
};

double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void push(job **head, job **tail, job *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static void worker_free(worker *w)
{
    close(w->pipe_fds[0]);
    close(w->pipe_fds[1]);
    pthread_mutex_destroy(&w->mutex);
    pthread_cond_destroy(&w->wake);
    free(w->name);
    free(w);
}

static void *worker_main(void *data)
{
    worker *w = data;
    pthread_mutex_lock(&w->mutex);
    for (;;) {
        while (!w->queue && !w->stopping)
            pthread_cond_wait(&w->wake, &w->mutex);
        if (w->stopping)
            break;
        job *j = w->queue;
        w->queue = j->next;
        if (!w->queue)
            w->queue_tail = NULL;
        w->running = j;
        w->running_since = clock_now();
        pthread_mutex_unlock(&w->mutex);
        j->run(j->arg);
        pthread_mutex_lock(&w->mutex);
        w->running = NULL;
        if (w->detached) {
            /* Nobody collects any more: free the job and ourselves. */
            pthread_mutex_unlock(&w->mutex);
            if (j->done)
                j->done(NULL, j->arg);
            free(j->what);
            free(j);
            worker_free(w);
            return NULL;
        }
        push(&w->finished, &w->finished_tail, j);
        char byte = 1;
        ssize_t n;
        do
            n = write(w->pipe_fds[1], &byte, 1);
        while (n < 0 && errno == EINTR);
    }
    pthread_mutex_unlock(&w->mutex);
    return NULL;
}

worker *worker_start(const char *name)
{
    worker *w = xcalloc(1, sizeof *w);
    w->name = xstrdup(name);
    pthread_mutex_init(&w->mutex, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pipe(w->pipe_fds) != 0)
        abort();
    for (int i = 0; i < 2; i++) {
        fcntl(w->pipe_fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(w->pipe_fds[i], F_SETFL, O_NONBLOCK);
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        abort();
    return w;
}

void worker_post(worker *w, const char *what, worker_run_fn run, worker_done_fn done, void *arg)
{
    job *j = xcalloc(1, sizeof *j);
    j->what = xstrdup(what);
    j->run = run;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&w->mutex);
    push(&w->queue, &w->queue_tail, j);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mutex);
}

int worker_fd(const worker *w)
{
    return w->pipe_fds[0];
}

static void finish(job *j, void *context)
{
    if (j->done)
        j->done(context, j->arg);
    free(j->what);
    free(j);
}

int worker_collect(worker *w, void *context)
{
    char buf[64];
    while (read(w->pipe_fds[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&w->mutex);
    job *list = w->finished;
    w->finished = w->finished_tail = NULL;
    pthread_mutex_unlock(&w->mutex);
    int count = 0;
    while (list) {
        job *next = list->next;
        finish(list, context);
        list = next;
        count++;
    }
    return count;
}

const char *worker_current(worker *w, double *since)
{
    pthread_mutex_lock(&w->mutex);
    const char *what = w->running ? w->running->what : NULL;
    if (since)
        *since = w->running ? w->running_since : 0;
    pthread_mutex_unlock(&w->mutex);
    return what; /* stays valid until the job is collected on this thread */
}

int worker_pending(worker *w)
{
    pthread_mutex_lock(&w->mutex);
    int n = w->running ? 1 : 0;
    for (job *j = w->queue; j; j = j->next)
        n++;
    for (job *j = w->finished; j; j = j->next)
        n++;
    pthread_mutex_unlock(&w->mutex);
    return n;
}

bool worker_stop(worker *w, void *context, int wait_ms)
{
    pthread_mutex_lock(&w->mutex);
    w->stopping = true;
    job *dropped = w->queue;
    w->queue = w->queue_tail = NULL;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mutex);
    while (dropped) {
        job *next = dropped->next;
        finish(dropped, context);
        dropped = next;
    }
    double deadline = clock_now() + wait_ms / 1000.0;
    for (;;) {
        pthread_mutex_lock(&w->mutex);
        bool busy = w->running != NULL;
        if (busy && clock_now() >= deadline) {
            /* Left behind (see worker.h): it frees itself if it ends. */
            w->detached = true;
            pthread_mutex_unlock(&w->mutex);
            pthread_detach(w->thread);
            return false;
        }
        pthread_mutex_unlock(&w->mutex);
        if (!busy)
            break;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    pthread_join(w->thread, NULL);
    worker_collect(w, context);
    worker_free(w);
    return true;
}
