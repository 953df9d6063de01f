/* lower.h: the lowering stage between the checker and evaluation.
 *
 * vi_lower rewrites every `for` loop of the transformed parameters and model
 * blocks whose iterations are independent (each writes only element [n] of
 * the variables it writes, reads data, parameters and those elements at
 * [n], and adds to the target) into whole-range statements: gathers for
 * a[g[n]], elementwise vector arithmetic, one vectorised density for
 * y[n] ~ normal(mu[n], sigma), a matrix-vector product for x[n] * beta.
 * The result computes the same log density (sums in another order) and the
 * same values. Loops that do not qualify are left as written. */
#ifndef VI_LOWER_H
#define VI_LOWER_H
#include "vi/ast.h"
#include "vi/check.h"

/* Rewrites p in place (new nodes in a, the AST's arena). Returns the number
 * of loops rewritten, or -1 when out of memory (p is then unchanged in the
 * loops not yet reached, and still correct). */
int vi_lower(struct vi_program *p, const struct vi_symtab *st, struct vi_arena *a);

#endif
