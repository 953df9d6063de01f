/* guide.h: amortised inference, the compiler side (compiler/guide.c).
 *
 * A program with `@local` parameters and a `guide { }` block (and optional
 * `guide parameters { }`) is checked against the guide rules and rewritten
 * into one program of point parameters (decoder theta, encoder phi) plus
 * noise data __eps_*, whose log density at (theta, phi; eps) is one
 * reparameterised sample of the ELBO: log p(x, z) + H[q(z | x)] with
 * z = __mean_z + __sd_z .* __eps_z (docs/amortised.md).
 *
 *   prog = vi_parse(...);
 *   if (vi_guide_rewrite(prog, arena, diags)) ...   (errors with line:column)
 *   vi_check(prog, ...);
 *
 * Without a guide block nothing is rewritten (locals stay parameters). */
#ifndef VI_GUIDE_H
#define VI_GUIDE_H
#include "vi/arena.h"
#include "vi/ast.h"
#include "vi/diag.h"

/* VI_OK, VI_ERR_TYPE (a broken rule, reported to d) or VI_ERR_NOMEM. */
int vi_guide_rewrite(struct vi_program *p, struct vi_arena *a, struct vi_diags *d);

#endif
