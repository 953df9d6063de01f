/* pool.h: a fixed set of worker threads for data-parallel work.
 *
 *   struct vi_pool *p = vi_pool_new(4);   (NULL: out of memory or no threads)
 *   vi_pool_run(p, ntasks, fn, ctx);      fn(ctx, task, worker) for every task
 *   vi_pool_free(p);
 *
 * The calling thread is worker 0 and takes part; workers 1..n-1 are threads
 * that sleep between runs. Tasks are handed out in increasing order to
 * whichever worker is free, so a task must depend only on its own index:
 * results written per task, and reduced afterwards in task order, are the
 * same for every number of workers. */
#ifndef VI_POOL_H
#define VI_POOL_H
#include <stddef.h>

struct vi_pool;

typedef void (*vi_pool_fn)(void *ctx, size_t task, int worker);

/* A pool of n workers (n >= 1; n == 1 starts no thread). */
struct vi_pool *vi_pool_new(int n);
void vi_pool_free(struct vi_pool *p); /* NULL-safe; joins the threads */
int vi_pool_size(const struct vi_pool *p);
/* Runs fn for tasks 0..ntasks-1 and returns when all are done. */
void vi_pool_run(struct vi_pool *p, size_t ntasks, vi_pool_fn fn, void *ctx);
/* Cores this process may run on (sched_getaffinity), at least 1. */
int vi_pool_cores(void);

#endif
