/* fuse.h: fused elementwise expressions. A vector expression built from
 * + - .* ./, scalar * vector, unary minus, multi-indexing v[idx] and leaves
 * is computed by ONE node in one blocked pass (backward recomputes the
 * intermediates), and `y ~ normal(expr, sigma)` can fold the density into
 * the same pass. Private to the runtime. */
#ifndef VI_FUSE_H
#define VI_FUSE_H
#include "vi/stdlib.h"
#include "vi/tape.h"

enum { VI_FUSE_NO = 1000 }; /* not fusable here: evaluate normally */

/* How fusion reaches the values of the expression's leaves: the evaluator
 * that calls it passes itself (fusion never calls back into a module). */
struct vi_fuse_env {
  void *ctx;
  /* evaluates e into *out (VI_OK or an error reported through c) */
  int (*eval)(void *ctx, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out);
  /* number of elements of variable slot's current value */
  size_t (*var_len)(void *ctx, int slot);
};

/* Evaluates e (a vector-valued VI_E_BINARY/VI_E_UNARY tree) as one fused
 * node when profitable and a tape is recording; VI_FUSE_NO otherwise. */
int vi_fuse_expr(const struct vi_fuse_env *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out);
/* For `lhs ~ dist(args)` (flags = VI_CALL_PROPTO) and `dist_lpdf(lhs | args)`
 * calls: computes the density with its location argument fused, into *out
 * (a real scalar); VI_FUSE_NO when the pattern does not apply. */
int vi_fuse_density(const struct vi_fuse_env *I, struct vi_ctx *c, const struct vi_func *f, const struct vi_expr *lhs,
                    struct vi_expr *const *args, int nargs, int flags, struct vi_srcloc loc, struct vi_val *out);

#endif
