/* objective.c: batch evaluation of the model for the fits (see
 * include/vi/objective.h). Sequential; it stops at the first draw that
 * cannot be evaluated, since the fixed-draw objective is then +inf. */
#include "vi/objective.h"

#include <math.h>

int vi_objective_batch(const struct vi_density *den, size_t M, const double *theta, double *lp,
                       double *grad, long *evals) {
  size_t d = den->dim;
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
