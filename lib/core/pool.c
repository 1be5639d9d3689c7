/*
 * pool.c -- worker threads for GEMM and GEMV, and per-thread scratch.
 *
 * Workers are started on demand (never more than the online processors
 * minus one: the calling thread always works too) and then sleep on their
 * own condition variable.  A call claims idle workers one by one with a
 * compare-and-swap on each worker's state, hands them a job that lives on
 * the caller's stack, and runs tasks itself; tasks are taken from the job
 * with an atomic counter.  Nothing global is locked while a product runs:
 * the only mutexes are the claimed worker's (to wake it) and the job's (to
 * report completion).  A worker that is busy with another call is simply
 * not claimed, so concurrent calls share the workers without waiting.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

#define MAX_WORKERS 255
#define WS_CACHE 16

enum { W_IDLE = 0, W_CLAIMED = 1, W_BUSY = 2 };

typedef struct job {
    tpi_task_fn fn;
    void *arg;
    size_t ntasks;
    atomic_size_t next;
    pthread_mutex_t mu;
    pthread_cond_t done;
    unsigned pending; /* workers still running (under mu) */
    unsigned flags;   /* ORed worker flags (under mu) */
} job;

typedef struct worker {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_int state;
    job *j;     /* under mu */
    tpi_ws ws;  /* the worker's own scratch, kept */
} worker;

static worker workers[MAX_WORKERS];
static atomic_uint n_started;    /* workers [0, n_started) exist */
static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER; /* only to start workers */
static atomic_uint user_threads; /* tp_set_num_threads; 0 = default */
static _Atomic(tpi_ws *) ws_cache[WS_CACHE];

static unsigned online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : (unsigned)n;
}

void *tpi_ws_get(tpi_ws *ws, size_t bytes)
{
    if (ws == NULL)
        return NULL;
    if (ws->cap >= bytes && ws->p != NULL)
        return ws->p;
    if (bytes > SIZE_MAX - 63)
        return NULL;
    size_t cap = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, cap == 0 ? 64 : cap);
    if (p == NULL)
        return NULL;
    free(ws->p);
    ws->p = p;
    ws->cap = cap;
    return p;
}

tpi_ws *tpi_ws_acquire(void)
{
    for (int i = 0; i < WS_CACHE; i++) {
        tpi_ws *w = atomic_exchange(&ws_cache[i], NULL);
        if (w != NULL)
            return w;
    }
    tpi_ws *w = malloc(sizeof *w);
    if (w != NULL)
        memset(w, 0, sizeof *w);
    return w; /* NULL: kernels run without scratch (tpi_ws_get gives NULL) */
}

void tpi_ws_release(tpi_ws *ws)
{
    if (ws == NULL)
        return;
    for (int i = 0; i < WS_CACHE; i++) {
        tpi_ws *expect = NULL;
        if (atomic_compare_exchange_strong(&ws_cache[i], &expect, ws))
            return;
    }
    free(ws->p);
    free(ws);
}

static void run_tasks(job *j, tpi_ws *ws, unsigned *flags)
{
    for (;;) {
        size_t t = atomic_fetch_add(&j->next, 1);
        if (t >= j->ntasks)
            return;
        j->fn(j->arg, t, ws, flags);
    }
}

static void *worker_main(void *p)
{
    worker *w = p;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->j == NULL)
            pthread_cond_wait(&w->wake, &w->mu);
        job *j = w->j;
        w->j = NULL;
        pthread_mutex_unlock(&w->mu);
        unsigned f = 0;
        run_tasks(j, &w->ws, &f);
        atomic_store(&w->state, W_IDLE); /* before the job may vanish */
        pthread_mutex_lock(&j->mu);
        j->flags |= f;
        if (--j->pending == 0)
            pthread_cond_signal(&j->done);
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

/* Makes sure `want` workers exist (fewer if threads cannot be created). */
static unsigned ensure_workers(unsigned want)
{
    unsigned have = atomic_load(&n_started);
    if (have >= want)
        return have;
    pthread_mutex_lock(&start_mu);
    have = atomic_load(&n_started);
    while (have < want) {
        worker *w = &workers[have];
        memset(&w->ws, 0, sizeof w->ws);
        w->j = NULL;
        atomic_store(&w->state, W_CLAIMED); /* not claimable until started */
        if (pthread_mutex_init(&w->mu, NULL) != 0)
            break;
        if (pthread_cond_init(&w->wake, NULL) != 0) {
            pthread_mutex_destroy(&w->mu);
            break;
        }
        pthread_attr_t at;
        int ok = pthread_attr_init(&at) == 0;
        if (ok) {
            pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
            ok = pthread_create(&w->th, &at, worker_main, w) == 0;
            pthread_attr_destroy(&at);
        }
        if (!ok) {
            pthread_cond_destroy(&w->wake);
            pthread_mutex_destroy(&w->mu);
            break;
        }
        atomic_store(&w->state, W_IDLE);
        have++;
        atomic_store(&n_started, have);
    }
    pthread_mutex_unlock(&start_mu);
    return have;
}

static unsigned env_threads(void)
{
    const char *s = getenv("TP_NUM_THREADS");
    if (s == NULL || *s == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0)
        return 0;
    return v > 4096 ? 4096 : (unsigned)v;
}

unsigned tpi_pool_default(void)
{
    unsigned n = atomic_load(&user_threads);
    if (n == 0)
        n = env_threads();
    unsigned max = online();
    if (n == 0 || n > max)
        n = max;
    return n;
}

tp_status tp_set_num_threads(unsigned n)
{
    atomic_store(&user_threads, n);
    return TP_OK;
}

unsigned tp_get_num_threads(void)
{
    return tpi_pool_default();
}

void tpi_pool_run(unsigned nthreads, size_t ntasks, tpi_task_fn fn, void *arg, unsigned *flags)
{
    unsigned max = online();
    if (nthreads > max)
        nthreads = max;
    if ((size_t)nthreads > ntasks)
        nthreads = (unsigned)ntasks;
    job j;
    j.fn = fn;
    j.arg = arg;
    j.ntasks = ntasks;
    atomic_init(&j.next, 0);
    j.pending = 0;
    j.flags = 0;
    int sync = 0;
    if (nthreads > 1 && pthread_mutex_init(&j.mu, NULL) == 0) {
        if (pthread_cond_init(&j.done, NULL) == 0)
            sync = 1;
        else
            pthread_mutex_destroy(&j.mu);
    }
    if (sync) {
        unsigned have = ensure_workers(nthreads - 1);
        unsigned claimed = 0;
        pthread_mutex_lock(&j.mu);
        for (unsigned i = 0; i < have && claimed < nthreads - 1; i++) {
            worker *w = &workers[i];
            int expect = W_IDLE;
            if (!atomic_compare_exchange_strong(&w->state, &expect, W_BUSY))
                continue;
            j.pending++;
            claimed++;
            pthread_mutex_lock(&w->mu);
            w->j = &j;
            pthread_cond_signal(&w->wake);
            pthread_mutex_unlock(&w->mu);
        }
        pthread_mutex_unlock(&j.mu);
    }
    tpi_ws *ws = tpi_ws_acquire();
    unsigned f = 0;
    run_tasks(&j, ws, &f);
    tpi_ws_release(ws);
    if (sync) {
        pthread_mutex_lock(&j.mu);
        while (j.pending != 0)
            pthread_cond_wait(&j.done, &j.mu);
        f |= j.flags;
        pthread_mutex_unlock(&j.mu);
        pthread_cond_destroy(&j.done);
        pthread_mutex_destroy(&j.mu);
    }
    *flags |= f;
}
