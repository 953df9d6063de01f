/* par.c: the helper thread of vi_par_run (see include/vi/par.h). */
#include "vi/par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_job = PTHREAD_COND_INITIALIZER, cv_done = PTHREAD_COND_INITIALIZER;
static int have_helper;
static atomic_flag busy = ATOMIC_FLAG_INIT;

/* the job in hand; guarded by mu */
static vi_par_fn job_fn;
static void *job_ctx;
static size_t job_lo, job_hi;
static int job_posted, job_done;

static void *helper(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (!job_posted) pthread_cond_wait(&cv_job, &mu);
    job_posted = 0;
    vi_par_fn fn = job_fn;
    void *ctx = job_ctx;
    size_t lo = job_lo, hi = job_hi;
    pthread_mutex_unlock(&mu);
    fn(ctx, lo, hi);
    pthread_mutex_lock(&mu);
    job_done = 1;
    pthread_cond_signal(&cv_done);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void start(void) {
  const char *env = getenv("VI_THREADS");
  if (env && atoi(env) == 1) return;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) return;
  pthread_attr_t at;
  if (pthread_attr_init(&at) != 0) return;
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  have_helper = pthread_create(&t, &at, helper, NULL) == 0;
  pthread_attr_destroy(&at);
}

void vi_par_run(size_t n, vi_par_fn fn, void *ctx) {
  size_t mid = n / 2;
  pthread_once(&once, start);
  if (!have_helper || mid == 0 || atomic_flag_test_and_set(&busy)) {
    fn(ctx, 0, mid);
    fn(ctx, mid, n);
    return;
  }
  pthread_mutex_lock(&mu);
  job_fn = fn, job_ctx = ctx, job_lo = mid, job_hi = n;
  job_done = 0;
  job_posted = 1;
  pthread_cond_signal(&cv_job);
  pthread_mutex_unlock(&mu);
  fn(ctx, 0, mid);
  pthread_mutex_lock(&mu);
  while (!job_done) pthread_cond_wait(&cv_done, &mu);
  pthread_mutex_unlock(&mu);
  atomic_flag_clear(&busy);
}
