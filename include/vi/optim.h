/* optim.h: the optimisers of the variational fits, each over a callback and
 * a flat parameter vector, knowing nothing of families or models.
 *
 *   - L-BFGS (vi_lbfgs_minimize): minimises a deterministic objective (the
 *     fixed-draw ELBO) with a strong-Wolfe line search.
 *   - Stan's adaptive stochastic step (vi_sgd_step) and Adam (vi_adam_step,
 *     Kingma & Ba 2015): one ascent step from a stochastic gradient.
 *   - Stan's stopping rule on the relative ELBO change (vi_relstop_*).
 *
 * Example:
 *   struct vi_lbfgs_problem p = {n, my_eval, my_ctx, NULL, NULL, NULL};
 *   int it = 0;
 *   if (my_eval(my_ctx, x, &fx, gx) == 0)
 *     vi_lbfgs_minimize(&p, x, &fx, gx, 1e-3, 1000, &it, &arena);
 */
#ifndef VI_OPTIM_H
#define VI_OPTIM_H
#include <stddef.h>

#include "vi/arena.h"

/* F(x) and its gradient gx (n values). Returns 0, or nonzero when F cannot be
 * evaluated at x (treated as +inf by the line search). */
typedef int (*vi_optim_eval_fn)(void *ctx, const double *x, double *fx, double *gx);

struct vi_lbfgs_problem {
  size_t n;                /* number of variables */
  vi_optim_eval_fn eval;
  void *ctx;
  /* called after every accepted iteration with the iteration count (the
   * caller's counter), F and its relative decrease; may be NULL */
  void (*on_iter)(void *ctx, int iter, double fx, double rel);
  /* nonzero to stop (checked every iteration); may be NULL */
  int (*cancelled)(void *ctx);
  void *hook_ctx;          /* passed to on_iter and cancelled */
};

enum vi_lbfgs_end {
  VI_LBFGS_OK,      /* max |gx_i| < tol */
  VI_LBFGS_STALLED, /* the line search failed, or F stopped decreasing for 3 iterations */
  VI_LBFGS_MAXIT,   /* max_it iterations */
  VI_LBFGS_CANCEL   /* cancelled() returned nonzero */
};

/* Minimises F from x (updated in place); *fx and gx hold F(x) and its
 * gradient on entry (finite) and on exit. Adds the accepted iterations to
 * *iterations. Scratch comes from `work` (restored on return); out of memory
 * gives VI_LBFGS_STALLED. Deterministic. */
enum vi_lbfgs_end vi_lbfgs_minimize(const struct vi_lbfgs_problem *p, double *x, double *fx,
                                    double *gx, double tol, int max_it, int *iterations,
                                    struct vi_arena *work);

/* Largest |g_i|: the gradient norm L-BFGS tests against tol. */
double vi_optim_gmax(const double *g, size_t n);

/* Stan's adaptive step (CmdStan `variational`): s = s + g^2 on the first
 * iteration, else 0.9 s + 0.1 g^2; x += eta_k g / (1 + sqrt s), an ascent
 * step of size eta_k = eta / sqrt(k). */
void vi_sgd_step(size_t n, double *x, const double *g, double *s, int first, double eta_k);

/* Adam (Kingma & Ba 2015), ascending: m = b1 m + (1 - b1) g,
 * v = b2 v + (1 - b2) g^2, x += lr mhat / (sqrt(vhat) + eps) with the
 * bias-corrected moments at step t (the t-th call since vi_adam_init). */
struct vi_adam {
  size_t n;
  double lr, beta1, beta2, eps; /* defaults 0.001, 0.9, 0.999, 1e-8 */
  long t;
  double *m, *v;                /* n each, owned by the caller's arena */
};

/* Zeroes the moments; a and its arrays must be set up by the caller (lr etc.
 * are left as given; 0 means the default). */
void vi_adam_init(struct vi_adam *a);
void vi_adam_step(struct vi_adam *a, double *x, const double *g);

/* Stan's stopping rule: the relative ELBO changes |(prev - cur) / cur| of
 * the last `size` evaluations in a circular buffer; converged when their
 * mean or (upper) median falls below tol. */
struct vi_relstop {
  int size, n, head;
  double *buf, *tmp; /* size each, the caller's */
};
/* Records one relative change; returns 1 when the mean is below tol, 2 when
 * the median is (and the mean is not), else 0. */
int vi_relstop_push(struct vi_relstop *r, double rel, double tol);

#endif
