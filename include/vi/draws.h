/* draws.h: standard-normal noise for the fits and the output draws
 * (vi_advi_draw, declared in advi.h, lives with these in runtime/draws.c). */
#ifndef VI_DRAWS_H
#define VI_DRAWS_H
#include <stddef.h>

#include "vi/rng.h"

/* Appends `count` draws at row `first` of z: antithetic pairs (so the block
 * mean is exactly 0) whose second moment is then made exactly the identity,
 * z <- R^{-1} z with R R^T the block's second-moment matrix, when the block
 * has at least dim pairs and `gram` (dim x dim scratch) is given; otherwise
 * each coordinate is scaled to unit mean square. With an identity second
 * moment the fixed-draw objective is exact for a Gaussian density, so the
 * mean-field sds of correlated coordinates do not pick up the spurious
 * sample correlations of the draws. */
void vi_draws_standard(struct vi_rng *r, double *z, size_t dim, int first, int count,
                       double *gram);

#endif
