/* objective.c: batch evaluation of the model for the fits (see
 * include/vi/objective.h). Sequential; it stops at the first draw that
 * cannot be evaluated, since the fixed-draw objective is then +inf. */
#include "vi/objective.h"

#include <math.h>
#include <stdlib.h>

#include "vi/pool.h"

/* st[m] becomes nonzero when point m's value or gradient is not finite */
struct finite_job {
  int *st;
  const double *lp, *grad;
  size_t d;
};

static void finite_task(void *ctx, size_t m, int worker) {
  (void)worker;
  struct finite_job *j = ctx;
  int bad = j->st[m] != 0 || !isfinite(j->lp[m]);
  for (size_t i = 0; j->grad && !bad && i < j->d; i++) bad = !isfinite(j->grad[m * j->d + i]);
  j->st[m] = bad;
}

int vi_objective_batch(const struct vi_density *den, size_t M, const double *theta, double *lp,
                       double *grad, long *evals) {
  size_t d = den->dim;
  if (den->logp_grad_batch && M > 1) {
    int *st = malloc(M * sizeof *st);
    if (!st) return -1;
    den->logp_grad_batch(den->ctx, M, theta, lp, grad, st);
    *evals += (long)M;
    struct finite_job j = {st, lp, grad, d};
    vi_pool_run(den->pool, M, finite_task, &j); /* NULL pool: in order here */
    int bad = 0;
    for (size_t m = 0; m < M && !bad; m++) bad = st[m] != 0;
    free(st);
    return bad ? -1 : 0;
  }
  for (size_t m = 0; m < M; m++) {
    double *g = grad ? grad + m * d : NULL;
    ++*evals;
    if (den->logp_grad(den->ctx, theta + m * d, lp + m, g) != 0 || !isfinite(lp[m])) return -1;
    if (g)
      for (size_t i = 0; i < d; i++)
        if (!isfinite(g[i])) return -1;
  }
  return 0;
}
