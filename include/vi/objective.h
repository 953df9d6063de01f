/* objective.h: the one place where the fits evaluate the model at a batch
 * of draws, (model, draws[M][D]) -> (lp[M], grad[M][D]). Every fixed-draw
 * objective (dadvi, full rank, the linear-response Hessian) goes through
 * vi_objective_batch, so evaluating a batch in parallel changes this file
 * only. */
#ifndef VI_OBJECTIVE_H
#define VI_OBJECTIVE_H
#include <stddef.h>

#include "vi/advi.h"

/* Evaluates den at the M draws theta[m*dim .. (m+1)*dim) into lp[m] and
 * grad[m*dim ..] (grad may be NULL for values only). Returns 0 when every lp
 * and partial is finite, else -1 (the batch may stop at the first failure;
 * the other outputs are then unspecified). Adds the number of evaluations
 * made to *evals. */
int vi_objective_batch(const struct vi_density *den, size_t M, const double *theta, double *lp,
                       double *grad, long *evals);

#endif
