/* pool.c: worker threads (include/vi/pool.h). */
#define _GNU_SOURCE
#include "vi/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

/* A thread that finished a run polls for the next one (or for the others to
 * finish) this many times before it sleeps: the fits' runs come back to back,
 * and waking a sleeping thread costs tens of microseconds, which the caller
 * spends taking tasks alone. About 100 us on this machine's cores. */
enum { POOL_SPIN = 2000 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

struct vi_pool;

struct worker {
  struct vi_pool *pool;
  int id;
};

struct vi_pool {
  int n;                  /* workers, the caller included */
  int started;            /* threads actually started (n - 1 unless creation failed) */
  pthread_t *threads;
  struct worker *workers;
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  _Atomic unsigned long long gen; /* bumped for every run (under mu) */
  _Atomic int stop;
  _Atomic int busy;       /* threads still in the current run */
  vi_pool_fn fn;          /* the current run */
  void *ctx;
  size_t ntasks, next;
};

/* Takes tasks until none is left. */
static void drain(struct vi_pool *p, int worker) {
  for (;;) {
    pthread_mutex_lock(&p->mu);
    size_t t = p->next < p->ntasks ? p->next++ : p->ntasks;
    pthread_mutex_unlock(&p->mu);
    if (t >= p->ntasks) return;
    p->fn(p->ctx, t, worker);
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct vi_pool *p = w->pool;
  unsigned long long seen = 0;
  for (;;) {
    for (int i = 0; i < POOL_SPIN && atomic_load(&p->gen) == seen && !atomic_load(&p->stop); i++) cpu_relax();
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->gen == seen) pthread_cond_wait(&p->wake, &p->mu);
    if (p->stop) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    seen = p->gen;
    pthread_mutex_unlock(&p->mu);
    drain(p, w->id);
    if (atomic_fetch_sub(&p->busy, 1) == 1) { /* the last: the caller may be asleep */
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

struct vi_pool *vi_pool_new(int n) {
  if (n < 1) n = 1;
  struct vi_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->n = n;
  p->threads = calloc((size_t)n, sizeof *p->threads);
  p->workers = calloc((size_t)n, sizeof *p->workers);
  if (!p->threads || !p->workers) {
    free(p->threads);
    free(p->workers);
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  for (int i = 1; i < n; i++) {
    p->workers[i] = (struct worker){p, i};
    if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i])) break;
    p->started++;
  }
  return p;
}

void vi_pool_free(struct vi_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i <= p->started; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  free(p->threads);
  free(p->workers);
  free(p);
}

int vi_pool_size(const struct vi_pool *p) { return p ? p->started + 1 : 1; }

void vi_pool_run(struct vi_pool *p, size_t ntasks, vi_pool_fn fn, void *ctx) {
  if (!p || p->started == 0 || ntasks < 2) {
    for (size_t t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->ntasks = ntasks;
  p->next = 0;
  p->busy = p->started;
  p->gen++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  drain(p, 0);
  for (int i = 0; i < POOL_SPIN && atomic_load(&p->busy); i++) cpu_relax();
  pthread_mutex_lock(&p->mu);
  while (atomic_load(&p->busy)) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

int vi_pool_cores(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}
