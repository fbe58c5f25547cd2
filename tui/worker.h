/* A background thread that runs database work for the console, one job at
 * a time, so that the screen never waits on the network: the loop polls
 * worker_fd() with the keyboard and collects finished jobs. */
#ifndef STEPWISE_WORKER_H
#define STEPWISE_WORKER_H

#include <stdbool.h>

typedef struct worker worker;

/* run() is called on the worker thread; done() on the thread that calls
 * worker_collect(), with the same argument, once run() has returned. A job
 * owns its argument: done() frees it. */
typedef void (*worker_run_fn)(void *arg);
typedef void (*worker_done_fn)(void *context, void *arg);

/* Start a thread named for the screen ("monitor", "database"). */
worker *worker_start(const char *name);
/* Queue a job; what says what it does, for "waiting for the server:
 * <what> (3.2 s)". */
void worker_post(worker *w, const char *what, worker_run_fn run, worker_done_fn done, void *arg);
/* Readable when a job has finished. */
int worker_fd(const worker *w);
/* Call done() for every finished job; returns how many. */
int worker_collect(worker *w, void *context);
/* The job running now (NULL when idle) and since when (monotonic seconds). */
const char *worker_current(worker *w, double *since);
/* Jobs queued or running. */
int worker_pending(worker *w);
/* Stop: drops queued jobs (their done() is called so they can free their
 * arguments), waits up to wait_ms for the running job, and joins the
 * thread. If the job does not finish in time (a server that does not
 * answer), the thread is left behind and false is returned: the program
 * is about to exit anyway, and waiting would freeze it. */
bool worker_stop(worker *w, void *context, int wait_ms);

/* Monotonic clock in seconds. */
double clock_now(void);

#endif
