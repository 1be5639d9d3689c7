/*
 * pool.h -- the worker threads of the matrix products (lib/core/pool.c).
 */
#ifndef TP_POOL_H
#define TP_POOL_H

#include "internal.h"

/* One task of a job: task index t of [0, ntasks), the running thread's
 * scratch, and its own flags word. */
typedef void (*tpi_task_fn)(void *arg, size_t t, tpi_ws *ws, unsigned *flags);

/* Runs fn for every task on the calling thread and up to nthreads - 1 idle
 * workers (fewer if they are busy with other calls or cannot be started; the
 * caller then does more of the work).  Tasks are claimed in any order; the
 * flags of every thread are ORed into *flags.  Never fails. */
TPI_HIDDEN void tpi_pool_run(unsigned nthreads, size_t ntasks, tpi_task_fn fn, void *arg,
                             unsigned *flags);
/* The thread count a call with threads == 0 uses. */
TPI_HIDDEN unsigned tpi_pool_default(void);
/* Scratch for the calling thread (from a small lock-free cache) and its return. */
TPI_HIDDEN tpi_ws *tpi_ws_acquire(void);
TPI_HIDDEN void tpi_ws_release(tpi_ws *ws);

#endif /* TP_POOL_H */
