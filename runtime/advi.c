/* advi.c: the driver of the variational fits (see include/vi/advi.h):
 * options, initial values, and the fits with fixed draws and L-BFGS:
 * deterministic ADVI (dadvi) with its linear-response covariance (dense up
 * to 200 parameters, by Lanczos over Hessian-vector products above), full
 * rank and low rank plus diagonal, sharing one stage driver (stage_drive).
 * The rest are modules of their own:
 *   fit.h        the state one fit shares between these files (private)
 *   sgd.c        CmdStan-compatible stochastic ADVI and Adam
 *   auto.c       the default's policy: which fits run and which is reported
 *   family.h     the variational families (one table row each)
 *   objective.h  the model at a batch of draws (the one evaluation point)
 *   optim.h      L-BFGS, Stan's stochastic step, Adam, Stan's stopping rule
 *   lr.h         Lanczos and conjugate gradients over an operator
 *   draws.h      fixed standard-normal draws; output draws (draws.c)
 *   dense.h      Cholesky factors
 *   psis.c       Pareto k-hat and the verdict */
#include "vi/advi.h"

#include <float.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/dense.h"
#include "vi/draws.h"
#include "fit.h"
#include "vi/family.h"
#include "vi/flow.h"
#include "vi/lr.h"
#include "vi/objective.h"
#include "vi/optim.h"
#include "vi/rng.h"

#define LOG_2PI VI_LOG_2PI

enum { INIT_TRIES = 100 };

void vi_advi_options_default(struct vi_advi_options *o) {
  memset(o, 0, sizeof *o);
  o->algorithm = VI_ALGO_AUTO;
  o->iter = 10000;
  o->grad_samples = 1;
  o->elbo_samples = 100;
  o->eval_elbo = 100;
  o->eta = 1.0;
  o->adapt_engaged = 1;
  o->adapt_iter = 50;
  o->tol_rel_obj = 0.01;
  o->lr = 0.001;
  o->output_samples = 1000;
  o->init_radius = 2.0;
  o->draws_start = 16;
  o->draws_max = 2048;
  o->mc_tol = 0.05;
  o->grad_tol = 1e-3;
  o->lr_max_dim = 200;
  o->lr_draws = 1;
}

static const char *const algo_names[] = {"dadvi", "meanfield", "fullrank", "auto", "lowrank",
                                         "flow"};
static const char *const opt_names[] = {"auto", "sgd", "lbfgs", "adam"};

/* Index of name in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

const char *vi_algo_name(enum vi_algo a) {
  return (unsigned)a < 6 ? algo_names[a] : "unknown";
}

int vi_algo_parse(const char *name, enum vi_algo *out) {
  int i = name_index(algo_names, 6, name);
  if (i >= 0) *out = (enum vi_algo)i;
  return i >= 0 ? 0 : -1;
}

const char *vi_optimizer_name(enum vi_optimizer a) {
  return (unsigned)a < 4 ? opt_names[a] : "unknown";
}

int vi_optimizer_parse(const char *name, enum vi_optimizer *out) {
  int i = name_index(opt_names, 4, name);
  if (i >= 0) *out = (enum vi_optimizer)i;
  return i >= 0 ? 0 : -1;
}

enum vi_optimizer vi_optimizer_of(const struct vi_advi_options *o) {
  if (o->optimizer != VI_OPT_AUTO) return o->optimizer;
  if (o->algorithm == VI_ALGO_FLOW) return VI_OPT_ADAM;
  return o->algorithm == VI_ALGO_MEANFIELD ? VI_OPT_SGD : VI_OPT_LBFGS;
}

void vi_fit_trace_push(struct vi_fit *f, int iter, double elbo, int m, enum vi_algo which) {
  struct vi_advi_trace *t = f->trace;
  if (!t || !t->iter) return;
  if (iter <= t->last) t->offset += t->last;
  t->last = iter;
  if (t->calls++ % t->stride) return;
  if (t->n == VI_ADVI_TRACE_MAX) { /* full: keep every other point, record every other call */
    for (size_t i = 0; i < t->n / 2; i++) {
      t->iter[i] = t->iter[2 * i];
      t->elbo[i] = t->elbo[2 * i];
      t->draws[i] = t->draws[2 * i];
      t->fit[i] = t->fit[2 * i];
    }
    t->n /= 2;
    t->stride *= 2;
  }
  t->iter[t->n] = t->offset + iter;
  t->elbo[t->n] = elbo;
  t->draws[t->n] = m;
  t->fit[t->n++] = (unsigned char)which;
}

/* at the last iteration: the final doubling of the draws may end without one */
void vi_fit_trace_end(struct vi_fit *f) {
  struct vi_advi_trace *t = f->trace;
  if (!t || !t->iter || !t->n || !isfinite(f->res->elbo)) return;
  size_t i = t->n < VI_ADVI_TRACE_MAX ? t->n++ : t->n - 1;
  t->iter[i] = t->iter[i > 0 ? i - 1 : 0];
  t->elbo[i] = f->res->elbo;
  t->draws[i] = f->res->draws_m;
  t->fit[i] = (unsigned char)f->res->algorithm;
}

/* The log density alone (no reverse sweep); 0 when it is finite. */
int vi_fit_density_value(struct vi_fit *f, const double *theta, double *lp) {
  f->res->grad_evals++;
  if (f->den->logp_grad(f->den->ctx, theta, lp, NULL) != 0) return -1;
  return isfinite(*lp) ? 0 : -1;
}

/* One density evaluation; 0 when lp and every partial are finite. */
int vi_fit_density(struct vi_fit *f, const double *theta, double *lp, double *grad) {
  f->res->grad_evals++;
  if (f->den->logp_grad(f->den->ctx, theta, lp, grad) != 0) return -1;
  if (!isfinite(*lp)) return -1;
  for (size_t i = 0; i < f->dim; i++)
    if (!isfinite(grad[i])) return -1;
  return 0;
}

void vi_fit_reason(struct vi_advi_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

/* Appends ", " and the formatted text to res->fits (auto's list of fits). */
void vi_fit_fits_add(struct vi_advi_result *r, const char *fmt, ...) {
  size_t n = strlen(r->fits);
  if (n + 2 >= sizeof r->fits) return;
  if (n) {
    memcpy(r->fits + n, ", ", 3);
    n += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->fits + n, sizeof r->fits - n, fmt, ap);
  va_end(ap);
}

/* Chooses the initial mu: the user's values, zeros, or uniform(-R, R) retried
 * (as Stan) until the density and its gradient are finite. */
static int choose_init(struct vi_fit *f) {
  const struct vi_advi_options *o = f->o;
  struct vi_rng r;
  vi_rng_seed(&r, o->seed, f->restart ? STREAM_RESTART + (unsigned)f->restart : STREAM_INIT);
  int tries = (o->init || o->init_radius == 0) ? 1 : INIT_TRIES;
  for (int t = 0; t < tries; t++) {
    for (size_t i = 0; i < f->dim; i++) {
      if (o->init) f->init[i] = o->init[i];
      else if (o->init_radius == 0) f->init[i] = 0;
      else f->init[i] = o->init_radius * (2 * vi_rng_uniform(&r) - 1);
    }
    double lp;
    if (vi_fit_density(f, f->init, &lp, f->g) == 0) return 0;
  }
  if (tries == 1)
    vi_error(f->d, vi_fit_noloc(), "the log density cannot be evaluated at the initial values");
  else
    vi_error(f->d, vi_fit_noloc(),
             "the log density cannot be evaluated at %d random initial values "
             "drawn uniformly from (-%g, %g) on the unconstrained scale",
             tries, o->init_radius, o->init_radius);
  vi_fit_reason(f->res, "cannot evaluate the log density at the initial values");
  return -1;
}

/* ---------------------------------------------------------------------------
 * Deterministic ADVI: F(mu, omega) = -(1/M sum_m log p(mu + e^omega z_m) + sum omega),
 * minimised by L-BFGS.
 *
 * Regression posteriors are often strongly correlated (unscaled predictors),
 * which makes F badly conditioned in mu. So mu is optimised in preconditioned
 * coordinates u, mu = a + P u, where P is the Cholesky factor of the inverse
 * of the Hessian of F with respect to mu (the linear-response covariance of
 * Giordano, Broderick & Jordan 2018), or, when that is unavailable (a large
 * dimension, a Hessian that is not positive definite), the diagonal of the
 * mean-field sds. In u coordinates a unit step is about one posterior sd, so
 * the gradient and the Monte Carlo stopping rule are both measured in posterior
 * sds rather than in the (much smaller) mean-field sds. */

enum { DADVI_ROUND_ITER = 30, HESS_DRAWS = 8, PRE_DRAWS = 4, PRE_ITER = 100,
       PRE_ROUND_ITER = 10 };
#define PRE_TOL 0.1   /* gradient tolerance of the few-draw phase */
#define LR_REUSE 0.3  /* reuse a Hessian within this many sds / log sds */
#define LR_FINAL 0.02 /* ... but report one computed this close */

struct dadvi {
  struct vi_fit *f;
  size_t dim, n;    /* n optimisation variables: 2 dim (u, omega), or the Cholesky family's count */
  const double *z;  /* M x dim fixed draws */
  int m;
  double *a;        /* dim: anchor, mu = a + P u */
  const double *P;  /* dim x dim lower-triangular row-major preconditioner, or NULL */
  double *pd;       /* dim: diagonal preconditioner used when P is NULL */
  double *mu, *gmu; /* dim and 2 dim scratch */
  struct frk *fr;   /* non-NULL: the full-rank objective (fr_eval) instead */
  struct lrk *lk;   /* non-NULL: the low-rank objective (lk_eval) instead */
  struct vi_q q;    /* the family at the current point (phi: scratch) */
  double *bth, *blp, *bg; /* the batch: draws, log densities, gradients (bcap rows) */
  size_t bcap;
  double *zbuf;     /* the fixed draws, writable (stage_drive appends to them) */
  double *gram, *rg; /* scratch of the draws' whitening */
};

static int fr_eval(struct dadvi *p, const double *x, double *fx, double *gx);
static int lk_eval(struct dadvi *p, const double *x, double *fx, double *gx);

/* Batch buffers for up to `rows` draws of dimension d, from the fit's
 * scratch arena. 0, or -1 when out of memory. */
static int batch_alloc(struct dadvi *p, size_t rows) {
  size_t d = p->dim ? p->dim : 1;
  if (rows > ((size_t)-1 / sizeof(double)) / d) return -1;
  p->bth = vi_arena_array(p->f->work, rows * d, sizeof *p->bth);
  p->bg = vi_arena_array(p->f->work, rows * d, sizeof *p->bg);
  p->blp = vi_arena_array(p->f->work, rows, sizeof *p->blp);
  p->bcap = rows;
  return p->bth && p->bg && p->blp ? 0 : -1;
}

/* The model at the first K rows of the batch (vi_objective_batch). */
static int batch_eval(struct dadvi *p, size_t K) {
  return vi_objective_batch(p->f->den, K, p->bth, p->blp, p->bg, &p->f->res->grad_evals);
}

/* mu = a + P u for the optimisation variables x = (u, omega). */
static void dadvi_mu(const struct dadvi *p, const double *x, double *mu) {
  size_t d = p->dim;
  for (size_t i = 0; i < d; i++) {
    double v = p->a[i];
    if (p->P) {
      for (size_t j = 0; j <= i; j++) v += p->P[i * d + j] * x[j];
    } else {
      v += p->pd[i] * x[i];
    }
    mu[i] = v;
  }
}

/* The mean-field family at x: phi = (mu, omega). */
static void dadvi_q(struct dadvi *p, const double *x) {
  dadvi_mu(p, x, p->q.phi);
  memcpy(p->q.phi + p->dim, x + p->dim, p->dim * sizeof *x);
}

/* F and its gradient (with respect to u and omega) at x; returns -1
 * (F = +inf) when a draw cannot be evaluated. */
static int dadvi_eval(struct dadvi *p, const double *x, double *fx, double *gx) {
  if (p->fr) return fr_eval(p, x, fx, gx);
  if (p->lk) return lk_eval(p, x, fx, gx);
  size_t d = p->dim, M = (size_t)p->m;
  double *acc = p->gmu; /* 2 dim: d ELBO / d (mu, omega) */
  double sum = 0;
  dadvi_q(p, x);
  vi_q_draw_batch(&p->q, p->f->den->pool, M, p->z, p->bth);
  if (batch_eval(p, M) != 0) {
    *fx = INFINITY;
    return -1;
  }
  memset(acc, 0, 2 * d * sizeof *acc);
  for (size_t m = 0; m < M; m++) sum += p->blp[m];
  vi_q_pull_batch(&p->q, p->f->den->pool, M, p->z, p->bg, acc);
  vi_q_finish(&p->q, (double)M, acc);
  for (size_t i = 0; i < d; i++) gx[d + i] = -acc[d + i];
  /* dF/du = P^T dF/dmu */
  for (size_t j = 0; j < d; j++) {
    if (p->P) {
      double s = 0;
      for (size_t i = j; i < d; i++) s += p->P[i * d + j] * -acc[i];
      gx[j] = s;
    } else {
      gx[j] = p->pd[j] * -acc[j];
    }
  }
  *fx = -(sum / p->m + p->q.fam->log_det(&p->q));
  return isfinite(*fx) ? 0 : -1;
}

/* Largest gradient component: in u coordinates a unit is about one
 * posterior sd, so this is |dF/dmu| in sd units and |dF/domega|. */
static double dadvi_gnorm(const struct dadvi *p, const double *g) {
  return vi_optim_gmax(g, p->n);
}

static int lbfgs_eval(void *ctx, const double *x, double *fx, double *gx) {
  return dadvi_eval(ctx, x, fx, gx);
}

static double anchor_logdet(const struct dadvi *p);

static void lbfgs_progress(void *ctx, int iter, double fx, double rel) {
  struct dadvi *p = ctx;
  const struct vi_advi_options *o = p->f->o;
  if (o->progress)
    o->progress(o->progress_ctx, iter, 0.5 * (double)p->dim * (1 + LOG_2PI) - fx, rel);
  /* the trace holds the ELBO itself: the full- and low-rank objectives are
   * in coordinates scaled by their anchor, whose log determinant F leaves out */
  double e = 0.5 * (double)p->dim * (1 + LOG_2PI) - fx;
  e += anchor_logdet(p);
  vi_fit_trace_push(p->f, iter, e, p->m,
                    p->fr ? VI_ALGO_FULLRANK : p->lk ? VI_ALGO_LOWRANK
                    : o->algorithm == VI_ALGO_MEANFIELD ? VI_ALGO_MEANFIELD : VI_ALGO_DADVI);
}

/* The user's cancel, or the fit's budget of gradient evaluations spent. */
static int lbfgs_cancelled(void *ctx) {
  const struct vi_fit *f = ((struct dadvi *)ctx)->f;
  return vi_fit_cancelled(f) || (f->eval_budget > 0 && f->res->grad_evals > f->eval_budget);
}

/* Minimises F from x with L-BFGS (optim.h), counting iterations into the
 * result. */
static enum vi_lbfgs_end lbfgs(struct dadvi *p, double *x, double *fx, double *gx, double tol,
                               int max_it) {
  struct vi_lbfgs_problem pr = {p->n, lbfgs_eval, p, lbfgs_progress, lbfgs_cancelled, p};
  return vi_lbfgs_minimize(&pr, x, fx, gx, tol, max_it, &p->f->res->iterations, p->f->work);
}

/* Hessian of F with respect to mu at x, by forward differences of dF/dmu =
 * -(1/K) sum_k grad log p(mu + e^omega z_k) over the first K fixed draws
 * (K + K dim gradients), symmetrised. Exact up to rounding for a Gaussian
 * density. Returns -1 when a shifted draw cannot be evaluated. */
static int dadvi_hessian(struct dadvi *p, const double *x, int K, double *H, double *g0,
                         double *gj) {
  size_t d = p->dim;
  const double *om = x + d;
  dadvi_q(p, x);
  const double *mu = p->q.phi;
  for (size_t c = 0; c <= d; c++) { /* c == 0: the base point; c > 0: shift coordinate c - 1 */
    double *out = c == 0 ? g0 : gj, h = 0;
    if (c > 0) {
      double m0 = mu[c - 1];
      h = (m0 + 1e-4 * exp(om[c - 1])) - m0;
      if (!(h > 0)) return -1;
    }
    for (int k = 0; k < K; k++) {
      double *t = p->bth + (size_t)k * d;
      vi_q_draw(&p->q, p->z + (size_t)k * d, t);
      if (c > 0) t[c - 1] += h;
    }
    if (batch_eval(p, (size_t)K) != 0) return -1;
    memset(out, 0, d * sizeof *out);
    for (int k = 0; k < K; k++)
      for (size_t i = 0; i < d; i++) out[i] += p->bg[(size_t)k * d + i];
    if (c > 0)
      for (size_t i = 0; i < d; i++) H[i * d + (c - 1)] = -(gj[i] - g0[i]) / (h * K);
  }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < i; j++) {
      double s = 0.5 * (H[i * d + j] + H[j * d + i]);
      H[i * d + j] = s;
      H[j * d + i] = s;
    }
  return 0;
}

/* Scratch and results of the linear-response step. */
struct dadvi_lr {
  int full;           /* the dimension allows Hessians */
  int ok;             /* L holds the LR factor computed at (at_mu, at_om) with k draws */
  int k;
  double *H, *R, *L;  /* d x d: Hessian, scratch, Cholesky factor of H^{-1} */
  double *g0, *gj;    /* d scratch */
  double *sd;         /* d: marginal sds implied by the preconditioner */
  double *at_mu, *at_om; /* d: where H was computed */
};

/* Distance of (mu, omega) from where the Hessian was computed: mean moves in
 * sds and log-sd moves, the largest. */
static double lr_distance(const struct dadvi_lr *lr, size_t d, const double *mu,
                          const double *om) {
  double ch = 0;
  for (size_t i = 0; i < d; i++) {
    ch = fmax(ch, fabs(mu[i] - lr->at_mu[i]) / lr->sd[i]);
    ch = fmax(ch, fabs(om[i] - lr->at_om[i]));
  }
  return ch;
}

/* Re-anchors at the current mu (u = 0) with a preconditioner: the LR factor
 * (lr->ok = 1) when possible, else the mean-field sds. The Hessian is reused
 * when it was computed with as many draws within `reuse` (sds, log sds) of
 * the current point. F's value is unchanged; its gradient in the new
 * coordinates must be re-evaluated. */
static void dadvi_precondition(struct dadvi *p, double *x, struct dadvi_lr *lr, double reuse) {
  size_t d = p->dim;
  int K = p->m < HESS_DRAWS ? p->m : HESS_DRAWS;
  dadvi_mu(p, x, p->mu);
  if (lr->ok && lr->k == K && lr_distance(lr, d, p->mu, x + d) < reuse) {
    memcpy(p->a, p->mu, d * sizeof *p->a);
    memset(x, 0, d * sizeof *x);
    p->P = lr->L;
    return;
  }
  lr->ok = lr->full && dadvi_hessian(p, x, K, lr->H, lr->g0, lr->gj) == 0;
  memcpy(p->a, p->mu, d * sizeof *p->a);
  memset(x, 0, d * sizeof *x);
  if (lr->ok) lr->ok = vi_dense_inverse_factor(lr->H, lr->R, lr->L, d) == 0;
  if (lr->ok) {
    p->P = lr->L;
    lr->k = K;
    memcpy(lr->at_mu, p->a, d * sizeof *p->a);
    memcpy(lr->at_om, x + d, d * sizeof *x);
    for (size_t i = 0; i < d; i++) {
      double s = 0;
      for (size_t j = 0; j <= i; j++) s += lr->L[i * d + j] * lr->L[i * d + j];
      lr->sd[i] = sqrt(s);
    }
  } else {
    p->P = NULL;
    for (size_t i = 0; i < d; i++) p->pd[i] = lr->sd[i] = exp(x[d + i]);
  }
}

/* L-BFGS in rounds of DADVI_ROUND_ITER iterations, re-preconditioned in
 * between, until the gradient is below tol or max_it iterations in all. */
static enum vi_lbfgs_end dadvi_rounds(struct dadvi *p, double *x, double *fx, double *gx,
                                   struct dadvi_lr *lr, double tol, int max_it, int round) {
  enum vi_lbfgs_end e;
  int used = 0;
  for (;;) {
    int cap = max_it - used, before = p->f->res->iterations;
    if (cap > round) cap = round;
    e = lbfgs(p, x, fx, gx, tol, cap);
    used += p->f->res->iterations - before;
    if (e != VI_LBFGS_MAXIT || used >= max_it) return e;
    dadvi_precondition(p, x, lr, 0);
    if (dadvi_eval(p, x, fx, gx) != 0) return VI_LBFGS_STALLED;
  }
}

/* Whether N(mu, Sigma_LR) has a larger ELBO than the mean-field fit (F at
 * x), both estimated with the same fixed draws. The LR covariance is exact
 * for a Gaussian density, but can be far too wide where the density is not
 * close to one (funnels), so it is reported only when it fits better. */
static int lr_beats_meanfield(struct dadvi *p, const double *x, double fx,
                              const struct dadvi_lr *lr, double *elbo_out) {
  size_t d = p->dim, M = (size_t)p->m;
  double sum = 0, h = 0;
  dadvi_mu(p, x, p->mu);
  for (size_t m = 0; m < M; m++) { /* theta = mu + L_LR z */
    const double *z = p->z + m * d;
    for (size_t i = 0; i < d; i++) {
      double v = p->mu[i];
      for (size_t j = 0; j <= i; j++) v += lr->L[i * d + j] * z[j];
      p->bth[m * d + i] = v;
    }
  }
  if (batch_eval(p, M) != 0) return 0;
  for (size_t m = 0; m < M; m++) sum += p->blp[m];
  for (size_t i = 0; i < d; i++) h += log(lr->L[i * d + i]);
  double elbo_lr = sum / p->m + h, elbo_mf = -fx;
  *elbo_out = 0.5 * (double)d * (1 + LOG_2PI) + elbo_lr;
  return elbo_lr > elbo_mf;
}

/* ---------------------------------------------------------------------------
 * Linear response above the dense limit (lr.h): the Hessian of F in mu only
 * through products, A v = S H S v with S the mean-field sds, by forward
 * differences of the batch gradient over the first K fixed draws; Lanczos
 * finds the directions where A is far below 1 (variances mean-field
 * underestimates), and the covariance becomes diag(S^2) + B B^T. */

enum { LRL_MAX_STEPS = 40, LRL_MIN_DIM = 4 };
#define LRL_MAX_NUMBERS 4e6 /* Lanczos vectors: steps x dim at most */
#define LRL_RTOL 0.1        /* keep Ritz pairs with residual < 0.1 (1 - lambda) */
#define LRL_GAP 0.02        /* ... and lambda < 0.98 */

struct lrl {
  struct dadvi *p;
  int K;
  const double *s;  /* dim: mean-field sds */
  double *g0;       /* K x dim: gradients at the base draws */
  double h;
};

/* Base draws theta_k = mu + s z_k into p->bth (K rows). */
static void lrl_base(struct lrl *c) {
  struct dadvi *p = c->p;
  size_t d = p->dim;
  for (int k = 0; k < c->K; k++) {
    const double *z = p->z + (size_t)k * d;
    double *t = p->bth + (size_t)k * d;
    for (size_t i = 0; i < d; i++) t[i] = p->mu[i] + c->s[i] * z[i];
  }
}

static int lrl_apply(void *ctx, const double *v, double *out) {
  struct lrl *c = ctx;
  struct dadvi *p = c->p;
  size_t d = p->dim;
  lrl_base(c);
  for (int k = 0; k < c->K; k++) {
    double *t = p->bth + (size_t)k * d;
    for (size_t i = 0; i < d; i++) t[i] += c->h * c->s[i] * v[i];
  }
  if (batch_eval(p, (size_t)c->K) != 0) return -1;
  memset(out, 0, d * sizeof *out);
  for (int k = 0; k < c->K; k++) {
    const double *g = p->bg + (size_t)k * d, *g0 = c->g0 + (size_t)k * d;
    for (size_t i = 0; i < d; i++) out[i] -= g[i] - g0[i];
  }
  for (size_t i = 0; i < d; i++) out[i] *= c->s[i] / (c->h * c->K);
  return 0;
}

/* The ELBO of N(mu, diag(s^2) + B B^T) on the fixed draws z_m (and r more
 * standard normals per draw from their own stream), to compare with the
 * mean-field fit on the same z. NAN when a draw fails. */
static double lowrank_elbo_fixed(struct dadvi *p, const double *mu, const double *om,
                                 const double *B, size_t r, double *phi, double *scr,
                                 double *eta) {
  size_t d = p->dim, M = (size_t)p->m;
  struct vi_q q;
  vi_q_init(&q, VI_FAMILY_LOWRANK, d, r, phi, scr);
  q.pool = p->f->den->pool;
  memcpy(phi, mu, d * sizeof *phi);
  memcpy(phi + d, om, d * sizeof *phi);
  memcpy(phi + 2 * d, B, d * r * sizeof *phi);
  vi_q_prepare(&q);
  struct vi_rng rng;
  vi_rng_seed(&rng, p->f->o->seed, 2);
  for (size_t m = 0; m < M; m++) {
    memcpy(eta, p->z + m * d, d * sizeof *eta);
    for (size_t j = 0; j < r; j++) eta[d + j] = vi_rng_normal(&rng);
    vi_q_draw(&q, eta, p->bth + m * d);
  }
  if (batch_eval(p, M) != 0) return NAN;
  double sum = 0;
  for (size_t m = 0; m < M; m++) sum += p->blp[m];
  return sum / (double)M + q.fam->log_det(&q);
}

/* For a mean-field fit at x too large for a dense Hessian: the low rank
 * plus diagonal linear-response covariance into res (B, rank, lr_cov,
 * lr_elbo) when its ELBO on the fixed draws beats the mean-field one (-fx). */
static void lr_lanczos_result(struct dadvi *p, const double *x, double fx) {
  struct vi_fit *f = p->f;
  struct vi_advi_result *res = f->res;
  size_t d = p->dim;
  int K = p->m < HESS_DRAWS ? p->m : HESS_DRAWS;
  int kmax = LRL_MAX_STEPS;
  if ((double)kmax * (double)d > LRL_MAX_NUMBERS) kmax = (int)(LRL_MAX_NUMBERS / (double)d);
  if ((size_t)kmax > d) kmax = (int)d;
  if (d < LRL_MIN_DIM || kmax < 2) return;
  struct vi_arena_mark mk = vi_arena_save(f->work);
  double *s = vi_arena_array(f->work, d, sizeof *s);
  double *g0 = vi_arena_array(f->work, (size_t)K * d, sizeof *g0);
  double *v0 = vi_arena_array(f->work, d, sizeof *v0);
  double *lam = vi_arena_array(f->work, (size_t)kmax, sizeof *lam);
  double *U = vi_arena_array(f->work, (size_t)kmax * d, sizeof *U);
  if (!s || !g0 || !v0 || !lam || !U) goto out;
  dadvi_mu(p, x, p->mu);
  for (size_t i = 0; i < d; i++) s[i] = exp(x[d + i]);
  struct lrl c = {p, K, s, g0, 1e-4};
  lrl_base(&c);
  if (batch_eval(p, (size_t)K) != 0) goto out;
  memcpy(g0, p->bg, (size_t)K * d * sizeof *g0);
  struct vi_rng rng;
  vi_rng_seed(&rng, f->o->seed, 3);
  for (size_t i = 0; i < d; i++) v0[i] = vi_rng_normal(&rng);
  int n = 0;
  if (vi_lr_lanczos(d, lrl_apply, &c, v0, kmax, LRL_RTOL, LRL_GAP, lam, U, &n, f->work) < 0 ||
      n == 0)
    goto out;
  size_t r = (size_t)n;
  double *B = vi_arena_array(f->arena, d * r, sizeof *B);
  double *om = vi_arena_array(f->arena, d, sizeof *om);
  double *phi = vi_arena_array(f->work, d * (2 + r), sizeof *phi);
  double *scr = vi_arena_array(f->work, r * r + d * r, sizeof *scr);
  double *eta = vi_arena_array(f->work, d + r, sizeof *eta);
  if (!B || !om || !phi || !scr || !eta) goto out;
  for (size_t i = 0; i < d; i++) {
    om[i] = x[d + i];
    for (size_t j = 0; j < r; j++)
      B[i * r + j] = s[i] * U[i * (size_t)kmax + j] * sqrt(1 / lam[j] - 1);
  }
  double e = lowrank_elbo_fixed(p, p->mu, om, B, r, phi, scr, eta);
  if (!(e > -fx)) goto out;
  res->B = B;
  res->rank = (int)r;
  res->lr_cov = 1;
  res->lr_elbo = 0.5 * (double)d * (1 + LOG_2PI) + e;
out:
  vi_arena_restore(f->work, mk);
}

/* Helpers for the stage loops of vi_fit_dadvi and vi_fit_fullrank: optimise at M
 * draws, check how far doubling M moved the fit, double. */

/* Whether an L-BFGS stage reached the optimum; if not, says why in res. */
static int stage_optimal(struct vi_advi_result *res, enum vi_lbfgs_end e, double gn, int m) {
  if (e == VI_LBFGS_OK || (e == VI_LBFGS_STALLED && gn < 1e-3)) return 1;
  vi_fit_reason(res,
             e == VI_LBFGS_MAXIT ? "L-BFGS reached %d iterations with M = %d draws (gradient %.2g)"
                              : "L-BFGS stalled after %d iterations with M = %d draws (gradient %.2g)",
             res->iterations, m, gn);
  return 0;
}

/* The Monte Carlo rule after a stage at M = m whose fit moved by `change`
 * (sds, log sds; NAN for the first stage) from the previous one: 1 when
 * converged (res->stop set), -1 when M cannot double again, 0 to go on. */
static int mc_rule(struct vi_advi_result *res, double change, double gn, int m, int mmax,
                   double tol) {
  if (!isnan(change)) {
    res->mc_change = change;
    if (change < tol) {
      res->stop = VI_ADVI_CONVERGED;
      vi_fit_reason(res,
                 "converged: gradient %.2g; doubling the draws to M = %d moved the fit by "
                 "%.3g sd (< %g)",
                 gn, m, change, tol);
      return 1;
    }
  }
  if (2 * m > mmax) {
    vi_fit_reason(res,
               "Monte Carlo error above tolerance: the fit still moved %.3g sd (>= %g) "
               "when the draws doubled to M = %d",
               res->mc_change, tol, m);
    return -1;
  }
  return 0;
}

/* The first evaluation: scales (log sds x[dim..2 dim)) at 0, shrunk while
 * some draws fall where the density fails. 0, or -1 with the error recorded. */
static int eval_at_start(struct dadvi *p, double *x, double *fx, double *gx) {
  int ok = 0;
  for (int t = 0; t < 12 && !ok; t++) {
    for (size_t i = 0; i < p->dim; i++) x[p->dim + i] = -(double)t;
    ok = dadvi_eval(p, x, fx, gx) == 0;
  }
  if (ok) return 0;
  vi_error(p->f->d, vi_fit_noloc(),
           "cannot evaluate the ELBO near the initial approximation: the log density fails "
           "at draws around it; the model may be ill-conditioned or misspecified");
  vi_fit_reason(p->f->res, "cannot evaluate the ELBO at the initial approximation");
  return -1;
}

/* After new draws: when one falls where the density fails, shrinks the
 * scales (log sds x[dim..2 dim)) until the objective evaluates. 0, or -1
 * with the error recorded. */
static int eval_after_doubling(struct dadvi *p, double *x, double *fx, double *gx) {
  int ok = dadvi_eval(p, x, fx, gx) == 0;
  for (int t = 0; t < 12 && !ok; t++) {
    for (size_t i = 0; i < p->dim; i++) x[p->dim + i] -= 1;
    ok = dadvi_eval(p, x, fx, gx) == 0;
  }
  if (ok) return 0;
  vi_error(p->f->d, vi_fit_noloc(), "the ELBO cannot be evaluated with M = %d draws", p->m);
  vi_fit_reason(p->f->res, "cannot evaluate the ELBO");
  return -1;
}

/* The stage loop of the fixed-draw families (full rank, low rank): L-BFGS
 * at M draws, then how far the fit moved since the previous stage (means in
 * sds, log sds), then M doubles, until the Monte Carlo rule holds, M cannot
 * double, or a stage does not reach the optimum. The family's part comes in
 * through two callbacks. */
struct stage_ops {
  /* the fit at x on the theta scale into res (means, covariance) and the
   * marginal sds; may re-anchor (change x without changing q) */
  void (*result)(struct dadvi *p, double *x, double *sd);
  /* appends draws m .. 2m to p->zbuf */
  void (*more_draws)(struct dadvi *p);
};

/* Runs the stages from x (F and its gradient in fx, gx). pmu, psd, sd:
 * dim scratch. Returns res->stop's new value, or VI_ADVI_ERROR (recorded). */
static enum vi_advi_stop stage_drive(struct dadvi *p, const struct stage_ops *ops, double *x,
                                     double *fx, double *gx, int mmax, double *sd, double *pmu,
                                     double *psd) {
  struct vi_fit *f = p->f;
  struct vi_advi_result *res = f->res;
  size_t d = p->dim;
  res->stop = VI_ADVI_MAX_ITER;
  for (int stage = 0;; stage++) {
    enum vi_lbfgs_end e = lbfgs(p, x, fx, gx, f->o->grad_tol, f->o->iter);
    res->draws_m = p->m;
    double gn = dadvi_gnorm(p, gx);
    if (e == VI_LBFGS_CANCEL) {
      res->stop = VI_ADVI_INTERRUPTED;
      vi_fit_reason(res, "interrupted at iteration %d (M = %d draws)", res->iterations, p->m);
      break;
    }
    if (!stage_optimal(res, e, gn, p->m)) break;
    ops->result(p, x, sd);
    double ch = NAN;
    if (stage > 0) {
      ch = 0;
      for (size_t i = 0; i < d; i++) {
        ch = fmax(ch, fabs(res->mu[i] - pmu[i]) / sd[i]);
        ch = fmax(ch, fabs(log(sd[i] / psd[i])));
      }
    }
    if (mc_rule(res, ch, gn, p->m, mmax, f->o->mc_tol) != 0) break;
    memcpy(pmu, res->mu, d * sizeof *pmu);
    memcpy(psd, sd, d * sizeof *psd);
    ops->more_draws(p);
    p->m *= 2;
    if (eval_after_doubling(p, x, fx, gx) != 0) return VI_ADVI_ERROR;
  }
  return res->stop;
}

enum vi_advi_stop vi_fit_dadvi(struct vi_fit *f) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  int m = o->draws_start + (o->draws_start & 1);
  int mmax = o->draws_max;
  if (mmax < m) mmax = m;
  if ((size_t)mmax > ((size_t)-1 / sizeof(double)) / (d ? d : 1)) goto nomem;
  struct dadvi_lr lr = {0};
  lr.full = o->lr_max_dim > 0 && d <= (size_t)o->lr_max_dim;
  /* enough draws for an identity second moment (dim antithetic pairs) */
  if (lr.full && (size_t)m < 2 * d && 2 * d <= (size_t)mmax) m = (int)(2 * d);
  size_t dd = lr.full ? d * d : 1;
  double *z = vi_arena_array(f->work, (size_t)mmax * d, sizeof *z);
  double *x = vi_arena_array(f->work, 2 * d, sizeof *x);
  double *gx = vi_arena_array(f->work, 2 * d, sizeof *gx);
  double *xprev = vi_arena_array(f->work, 2 * d, sizeof *xprev);
  double *a = vi_arena_array(f->work, d, sizeof *a);
  double *pd = vi_arena_array(f->work, d, sizeof *pd);
  double *mu = vi_arena_array(f->work, d, sizeof *mu);
  double *gmu = vi_arena_array(f->work, 2 * d, sizeof *gmu);
  double *phi = vi_arena_array(f->work, 2 * d, sizeof *phi);
  lr.H = vi_arena_array(f->work, dd, sizeof *lr.H);
  lr.R = vi_arena_array(f->work, dd, sizeof *lr.R);
  lr.L = vi_arena_array(f->work, dd, sizeof *lr.L);
  lr.g0 = vi_arena_array(f->work, d, sizeof *lr.g0);
  lr.gj = vi_arena_array(f->work, d, sizeof *lr.gj);
  lr.sd = vi_arena_array(f->work, d, sizeof *lr.sd);
  lr.at_mu = vi_arena_array(f->work, d, sizeof *lr.at_mu);
  lr.at_om = vi_arena_array(f->work, d, sizeof *lr.at_om);
  if (!lr.at_mu || !lr.at_om || !z || !x || !gx || !xprev || !a || !pd || !mu || !gmu || !phi ||
      !lr.H || !lr.R || !lr.L || !lr.g0 || !lr.gj || !lr.sd)
    goto nomem;
  vi_rng_seed(&f->rng, o->seed, STREAM_FIT);
  vi_draws_standard(&f->rng, z, d, 0, m, lr.full ? lr.R : NULL);
  struct dadvi p = {.f = f, .dim = d, .n = 2 * d, .z = z, .m = m, .a = a, .pd = pd, .mu = mu,
                    .gmu = gmu};
  vi_q_init(&p.q, VI_FAMILY_MEANFIELD, d, 0, phi, NULL);
  if (batch_alloc(&p, (size_t)mmax) != 0) goto nomem;
  memcpy(a, f->init, d * sizeof *a);
  for (size_t i = 0; i < d; i++) {
    pd[i] = 1;
    x[i] = 0;
  }
  double fx;
  if (eval_at_start(&p, x, &fx, gx) != 0) return VI_ADVI_ERROR;
  /* travel towards the optimum with a few draws (cheap iterations), then
   * move each sd to its mean-field value for a Gaussian with the Hessian
   * there (1 / sqrt(H_ii)) when that evaluates */
  int m_full = p.m;
  p.m = m_full < PRE_DRAWS ? m_full : PRE_DRAWS;
  if (dadvi_eval(&p, x, &fx, gx) == 0) {
    if (lr.full) {
      dadvi_precondition(&p, x, &lr, 0);
      if (dadvi_eval(&p, x, &fx, gx) != 0) goto badinit;
    }
    enum vi_lbfgs_end e0 = dadvi_rounds(&p, x, &fx, gx, &lr, PRE_TOL, PRE_ITER, PRE_ROUND_ITER);
    if (e0 == VI_LBFGS_CANCEL) {
      res->stop = VI_ADVI_INTERRUPTED;
      vi_fit_reason(res, "interrupted at iteration %d", res->iterations);
      goto done;
    }
  }
  p.m = m_full;
  if (dadvi_eval(&p, x, &fx, gx) != 0) {
    int fixed = 0;
    for (int t = 0; t < 12 && !fixed; t++) {
      for (size_t i = 0; i < d; i++) x[d + i] -= 1;
      fixed = dadvi_eval(&p, x, &fx, gx) == 0;
    }
    if (!fixed) goto badinit;
  }
  if (lr.full) {
    dadvi_precondition(&p, x, &lr, 0);
    int evaluated = 0;
    if (lr.ok) {
      memcpy(xprev, x, 2 * d * sizeof *x);
      for (size_t i = 0; i < d; i++) x[d + i] = -0.5 * log(lr.H[i * d + i]);
      evaluated = dadvi_eval(&p, x, &fx, gx) == 0;
      if (!evaluated) memcpy(x, xprev, 2 * d * sizeof *x);
    }
    if (!evaluated && dadvi_eval(&p, x, &fx, gx) != 0) goto badinit;
  }
  res->stop = VI_ADVI_MAX_ITER;
  for (int stage = 0;; stage++) {
    enum vi_lbfgs_end e = dadvi_rounds(&p, x, &fx, gx, &lr, o->grad_tol, o->iter, DADVI_ROUND_ITER);
    res->draws_m = p.m;
    double gn = dadvi_gnorm(&p, gx);
    if (e == VI_LBFGS_CANCEL) {
      res->stop = VI_ADVI_INTERRUPTED;
      vi_fit_reason(res, "interrupted at iteration %d (M = %d draws)", res->iterations, p.m);
      break;
    }
    if (!stage_optimal(res, e, gn, p.m)) break;
    /* the LR covariance near the optimum: the sd units of the stopping rule
     * and the next stage's preconditioner */
    dadvi_precondition(&p, x, &lr, LR_REUSE);
    double ch = NAN;
    if (stage > 0) {
      ch = 0;
      for (size_t i = 0; i < d; i++) {
        ch = fmax(ch, fabs(a[i] - xprev[i]) / lr.sd[i]);
        ch = fmax(ch, fabs(x[d + i] - xprev[d + i]));
      }
    }
    if (mc_rule(res, ch, gn, p.m, mmax, o->mc_tol) != 0) break;
    memcpy(xprev, a, d * sizeof *x);
    memcpy(xprev + d, x + d, d * sizeof *x);
    vi_draws_standard(&f->rng, z, d, p.m, p.m, lr.full ? lr.R : NULL);
    p.m *= 2;
    if (eval_after_doubling(&p, x, &fx, gx) != 0) return VI_ADVI_ERROR;
  }
done:
  dadvi_mu(&p, x, res->mu);
  memcpy(res->omega, x + d, d * sizeof *x);
  res->elbo = 0.5 * (double)d * (1 + LOG_2PI) - fx;
  if (lr.ok && o->lr_draws && res->stop != VI_ADVI_INTERRUPTED) {
    /* the reported covariance: computed at the returned point */
    dadvi_mu(&p, x, mu);
    if (lr_distance(&lr, d, mu, x + d) > LR_FINAL) {
      lr.ok = 0;
      dadvi_precondition(&p, x, &lr, 0);
    }
  } else {
    lr.ok = 0;
  }
  if (o->lr_max_dim > 0 && !lr.full && o->lr_draws && res->stop != VI_ADVI_INTERRUPTED && !vi_fit_cancelled(f))
    lr_lanczos_result(&p, x, fx);
  if (lr.ok && o->lr_draws) lr.ok = lr_beats_meanfield(&p, x, fx, &lr, &res->lr_elbo);
  if (lr.ok && o->lr_draws) {
    res->L = vi_arena_array(f->arena, dd, sizeof *res->L);
    if (res->L) {
      memcpy(res->L, lr.L, dd * sizeof *res->L);
      res->lr_cov = 1;
    }
  }
  return res->stop;
badinit:
  vi_error(f->d, vi_fit_noloc(), "cannot evaluate the ELBO at the initial approximation");
  vi_fit_reason(res, "cannot evaluate the ELBO at the initial approximation");
  return VI_ADVI_ERROR;
nomem:
  vi_error(f->d, vi_fit_noloc(), "out of memory for the fixed draws (dimension %zu)", d);
  vi_fit_reason(res, "out of memory");
  return VI_ADVI_ERROR;
}

/* ---------------------------------------------------------------------------
 * Deterministic full-rank ADVI (the default optimiser for --algorithm fullrank).
 *
 * The same fixed-draw objective for the full-rank family: with theta =
 * a + C w, w = u + Lw z, and Lw lower-triangular with diagonal exp(lambda),
 *   F(u, lambda, Lw_offdiag) = -(1/M sum_m log p(a + C (u + Lw z_m)) + sum lambda),
 * minimised by the same L-BFGS. The family is closed under the affine map, so
 * the optimum is the full-rank ELBO's optimum on the fixed draws; a and C
 * (the anchor) only condition the problem: they start as the mean and the
 * linear-response Cholesky factor of a deterministic mean-field pilot fit
 * (vi_fit_dadvi), so the optimisation starts at u = 0, Lw = I with the posterior
 * close to N(0, I) in w, and are moved to the current fit before each doubling
 * of the draws. Draws are antithetic and whitened (dadvi_draws), which makes F
 * exact for a Gaussian density once M >= 2 dim. M doubles until the means move
 * less than mc_tol sds and the log sds less than mc_tol. */

enum { FR_MIN_DRAWS = 64, FR_MAX_DIM = 1000 };
struct frk {
  double *a, *C;       /* anchor: dim, dim x dim lower-triangular row-major */
  double *w, *h;       /* dim scratch */
};

/* The full-rank family in w coordinates at x = (u, lambda, Lw below the
 * diagonal): the Cholesky row of the family table, phi = x. */
static void fr_q(struct dadvi *p, const double *x) {
  memcpy(p->q.phi, x, p->n * sizeof *x);
  vi_q_prepare(&p->q);
}

/* theta = a + C v */
static void fr_map(const struct frk *r, size_t d, const double *v, double *theta) {
  for (size_t i = 0; i < d; i++) {
    double t = r->a[i];
    for (size_t j = 0; j <= i; j++) t += r->C[i * d + j] * v[j];
    theta[i] = t;
  }
}

static int fr_eval(struct dadvi *p, const double *x, double *fx, double *gx) {
  struct frk *r = p->fr;
  size_t d = p->dim, M = (size_t)p->m;
  double *w = r->w, *h = r->h, sum = 0;
  fr_q(p, x);
  for (size_t m = 0; m < M; m++) {
    vi_q_draw(&p->q, p->z + m * d, w);
    fr_map(r, d, w, p->bth + m * d);
  }
  if (batch_eval(p, M) != 0) {
    *fx = INFINITY;
    return -1;
  }
  memset(gx, 0, p->n * sizeof *gx);
  for (size_t m = 0; m < M; m++) {
    const double *g = p->bg + m * d;
    sum += p->blp[m];
    for (size_t j = 0; j < d; j++) { /* h = C^T g: the gradient in w */
      double t = 0;
      for (size_t i = j; i < d; i++) t += r->C[i * d + j] * g[i];
      h[j] = t;
    }
    vi_q_pull(&p->q, p->z + m * d, h, gx);
  }
  vi_q_finish(&p->q, (double)M, gx);
  for (size_t k = 0; k < p->n; k++) gx[k] = -gx[k];
  *fx = -(sum / p->m + p->q.fam->log_det(&p->q));
  return isfinite(*fx) ? 0 : -1;
}

/* The fit in original coordinates: mu = a + C u, Lfull = C Lw; and each
 * coordinate's sd. */
static void fr_result(struct dadvi *p, const double *x, double *mu, double *Lfull, double *sd) {
  const struct frk *r = p->fr;
  size_t d = p->dim;
  fr_map(r, d, x, mu);
  fr_q(p, x);
  const double *Lw = p->q.scratch;
  for (size_t i = 0; i < d; i++) {
    double ss = 0;
    for (size_t j = 0; j <= i; j++) {
      double v = 0;
      for (size_t k = j; k <= i; k++) v += r->C[i * d + k] * Lw[k * d + j];
      Lfull[i * d + j] = v;
      ss += v * v;
    }
    for (size_t j = i + 1; j < d; j++) Lfull[i * d + j] = 0;
    sd[i] = sqrt(ss);
  }
}

/* stage_drive's callbacks for full rank: the result, with the anchor moved
 * to the current fit (x = 0 is the same distribution), and more draws */
static void fr_stage_result(struct dadvi *p, double *x, double *sd) {
  struct vi_advi_result *res = p->f->res;
  struct frk *r = p->fr;
  size_t d = p->dim;
  fr_result(p, x, res->mu, res->L, sd);
  memcpy(r->a, res->mu, d * sizeof *res->mu);
  memcpy(r->C, res->L, d * d * sizeof *res->L);
  memset(x, 0, p->n * sizeof *x);
}

static void fr_more_draws(struct dadvi *p) {
  vi_draws_standard(&p->f->rng, p->zbuf, p->dim, p->m, p->m, p->gram);
}

/* The deterministic mean-field pilot (vi_fit_dadvi) into *pr (arrays from the
 * fit's scratch). Returns -1 when it failed. */
static int run_pilot(struct vi_fit *f, struct vi_advi_result *pr) {
  size_t d = f->dim;
  struct vi_advi_options po = *f->o;
  po.algorithm = VI_ALGO_DADVI;
  memset(pr, 0, sizeof *pr);
  pr->mu = vi_arena_array(f->work, d, sizeof *pr->mu);
  pr->omega = vi_arena_array(f->work, d, sizeof *pr->omega);
  if (!pr->mu || !pr->omega) return -1;
  struct vi_diags quiet;
  vi_diags_init(&quiet);
  struct vi_fit pf = *f;
  pf.o = &po;
  pf.res = pr;
  pf.d = &quiet;
  pf.arena = f->work;
  enum vi_advi_stop st = vi_fit_dadvi(&pf);
  vi_diags_free(&quiet);
  f->res->grad_evals += pr->grad_evals;
  f->res->iterations += pr->iterations;
  if (st == VI_ADVI_ERROR || st == VI_ADVI_INTERRUPTED || !vi_fit_all_finite(pr->mu, d) ||
      !vi_fit_all_finite(pr->omega, d))
    return -1;
  if (pr->lr_cov && pr->B) { /* the low-rank linear response (Lanczos) */
    if (!vi_fit_all_finite(pr->B, d * (size_t)pr->rank)) pr->lr_cov = 0;
  } else if (pr->lr_cov && (!pr->L || !vi_fit_all_finite(pr->L, d * d))) {
    pr->lr_cov = 0;
  }
  return 0;
}

/* C = the Cholesky factor of the covariance a dadvi fit reports: its dense
 * linear-response factor, the factor of its low-rank linear response
 * diag(exp(2 omega)) + B B^T, or its mean-field sds. */
void vi_fit_dadvi_factor(const struct vi_advi_result *pr, size_t d, double *C) {
  memset(C, 0, d * d * sizeof *C);
  if (pr->lr_cov && pr->L) {
    memcpy(C, pr->L, d * d * sizeof *C);
    return;
  }
  if (pr->lr_cov && pr->B) {
    size_t r = (size_t)pr->rank;
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j <= i; j++) {
        double v = i == j ? exp(2 * pr->omega[i]) : 0;
        for (size_t k = 0; k < r; k++) v += pr->B[i * r + k] * pr->B[j * r + k];
        C[i * d + j] = C[j * d + i] = v;
      }
    if (vi_dense_cholesky(C, d) == 0) return;
    memset(C, 0, d * d * sizeof *C);
  }
  for (size_t i = 0; i < d; i++) C[i * d + i] = exp(pr->omega[i]);
}

/* The pilot's mean and the Cholesky factor of its covariance (vi_fit_dadvi_factor).
 * Returns -1 when it failed. */
static int fr_pilot(struct vi_fit *f, double *a, double *C) {
  size_t d = f->dim;
  struct vi_advi_result pr;
  if (run_pilot(f, &pr) != 0) return -1;
  memcpy(a, pr.mu, d * sizeof *a);
  vi_fit_dadvi_factor(&pr, d, C);
  return 0;
}

/* a0, C0: a mean-field fit to start from (its means and the Cholesky factor
 * of its covariance), or NULL to run the pilot here. */
enum vi_advi_stop vi_fit_fullrank(struct vi_fit *f, const double *a0, const double *C0) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  size_t n = vi_family_nparams(VI_FAMILY_CHOLESKY, d, 0);
  /* at least FR_MIN_DRAWS: with fewer, the full-rank fit can widen along
   * directions the draws leave unexplored (on eight schools the sds of tau
   * came out 20-50% too large with M = 20-40 and within 10% with M = 64) */
  int m = o->draws_start + (o->draws_start & 1);
  if (m < FR_MIN_DRAWS) m = FR_MIN_DRAWS;
  if ((size_t)m < 2 * d) m = (int)(2 * d);
  int mmax = o->draws_max < m ? m : o->draws_max;
  if (d > FR_MAX_DIM) {
    /* M > dim draws are needed (else the objective is unbounded), so each
     * evaluation costs O(dim^3) */
    vi_error(f->d, vi_fit_noloc(),
             "fullrank with the lbfgs optimiser is limited to %d unconstrained parameters "
             "(this model has %zu): use the default algorithm, or --optimizer sgd",
             FR_MAX_DIM, d);
    vi_fit_reason(res, "too many parameters for fullrank with lbfgs");
    return VI_ADVI_ERROR;
  }
  if ((size_t)mmax > ((size_t)-1 / sizeof(double)) / (d ? d : 1)) goto nomem;
  double *z = vi_arena_array(f->work, (size_t)mmax * d, sizeof *z);
  double *x = vi_arena_array(f->work, n, sizeof *x);
  double *gx = vi_arena_array(f->work, n, sizeof *gx);
  double *a = vi_arena_array(f->work, d, sizeof *a);
  double *C = vi_arena_array(f->work, d * d, sizeof *C);
  double *gram = vi_arena_array(f->work, d * d, sizeof *gram);
  double *Lw = vi_arena_array(f->work, d * d, sizeof *Lw);
  double *phi = vi_arena_array(f->work, n, sizeof *phi);
  double *w = vi_arena_array(f->work, d, sizeof *w);
  double *h = vi_arena_array(f->work, d, sizeof *h);
  double *sd = vi_arena_array(f->work, d, sizeof *sd);
  double *pmu = vi_arena_array(f->work, d, sizeof *pmu);
  double *psd = vi_arena_array(f->work, d, sizeof *psd);
  if (!z || !x || !gx || !a || !C || !gram || !Lw || !phi || !w || !h || !sd || !pmu || !psd) goto nomem;
  if (a0) {
    memcpy(a, a0, d * sizeof *a);
    memcpy(C, C0, d * d * sizeof *C);
  } else if (fr_pilot(f, a, C) != 0) {
    if (vi_fit_cancelled(f)) {
      memcpy(res->mu, f->init, d * sizeof *res->mu);
      memset(res->L, 0, d * d * sizeof *res->L);
      for (size_t i = 0; i < d; i++) res->L[i * d + i] = 1;
      vi_fit_reason(res, "interrupted in the mean-field pilot fit");
      return VI_ADVI_INTERRUPTED;
    }
    /* no pilot: start from the initial values with unit scales */
    memcpy(a, f->init, d * sizeof *a);
    memset(C, 0, d * d * sizeof *C);
    for (size_t i = 0; i < d; i++) C[i * d + i] = 1;
  }
  struct frk r = {a, C, w, h};
  vi_rng_seed(&f->rng, o->seed, STREAM_FIT);
  vi_draws_standard(&f->rng, z, d, 0, m, gram);
  struct dadvi p = {.f = f, .dim = d, .n = n, .z = z, .m = m, .fr = &r};
  vi_q_init(&p.q, VI_FAMILY_CHOLESKY, d, 0, phi, Lw);
  if (batch_alloc(&p, (size_t)mmax) != 0) goto nomem;
  memset(x, 0, n * sizeof *x);
  double fx;
  if (eval_at_start(&p, x, &fx, gx) != 0) return VI_ADVI_ERROR;
  static const struct stage_ops fr_ops = {fr_stage_result, fr_more_draws};
  p.zbuf = z;
  p.gram = gram;
  if (stage_drive(&p, &fr_ops, x, &fx, gx, mmax, sd, pmu, psd) == VI_ADVI_ERROR)
    return VI_ADVI_ERROR;
  fr_result(&p, x, res->mu, res->L, sd);
  double logdet = 0;
  for (size_t i = 0; i < d; i++) logdet += log(fabs(C[i * d + i]));
  res->elbo = 0.5 * (double)d * (1 + LOG_2PI) - fx + logdet;
  return res->stop;
nomem:
  vi_error(f->d, vi_fit_noloc(), "out of memory for a full-rank fit of dimension %zu", d);
  vi_fit_reason(res, "out of memory");
  return VI_ADVI_ERROR;
}

/* ---------------------------------------------------------------------------
 * Deterministic low-rank plus diagonal ADVI (`--algorithm lowrank`).
 *
 * theta = a + s * w (elementwise) with a and s the mean and sds of a dadvi
 * pilot (its linear-response sds when it has them), and in w the low-rank
 * family of the table, w = u + exp(lambda) * eta + B xi: covariance
 * diag(s^2 exp(2 lambda)) + (s B)(s B)^T. The fixed-draw objective
 *   F(u, lambda, B) = -(1/M sum_m log p(theta_m) + entropy)
 * is minimised by L-BFGS, draws doubled until the means move < mc_tol sds and
 * the log sds < mc_tol, as for full rank. Each evaluation costs M gradients
 * plus O(M d r + d r^2), so it reaches models far beyond full rank's 1000
 * parameters; the rank R columns capture the directions (hierarchical scales
 * against their group effects) that mean-field sds miss. B starts small and
 * random: B = 0 is a stationary point of the objective. */

enum { LOWRANK_MAX_RANK = 10, LOWRANK_MIN_DRAWS = 64 };
#define LOWRANK_MAX_DRAW_DOUBLES 8388608.0 /* M x dim per buffer: 64 MB */

struct lrk {
  const double *s; /* dim: theta = mu + s * w, mu = a + P u (struct dadvi) */
};

/* log |det| of the full- or low-rank objective's anchor scaling (0 for dadvi):
 * the ELBO is 0.5 d (1 + log 2 pi) - F + this. */
static double anchor_logdet(const struct dadvi *p) {
  double s = 0;
  for (size_t i = 0; p->fr && i < p->dim; i++) s += log(fabs(p->fr->C[i * p->dim + i]));
  for (size_t i = 0; p->lk && i < p->dim; i++) s += log(p->lk->s[i]);
  return s;
}

/* The rank: the user's, else by cost: the family's d r multiply-adds per
 * draw at most the model's own work per gradient, within [2, 10]; at most d. */
size_t vi_advi_lowrank_rank(size_t dim, int requested, size_t work) {
  size_t r = requested > 0 ? (size_t)requested : LOWRANK_MAX_RANK;
  if (requested <= 0 && work > 0 && dim > 0) {
    r = work / dim;
    if (r < 2) r = 2;
    if (r > LOWRANK_MAX_RANK) r = LOWRANK_MAX_RANK;
  }
  if (r > dim) r = dim;
  return r;
}

static int lk_eval(struct dadvi *p, const double *x, double *fx, double *gx) {
  const struct lrk *k = p->lk;
  size_t d = p->dim, M = (size_t)p->m;
  double sum = 0;
  dadvi_mu(p, x, p->mu);
  memcpy(p->q.phi, x, p->n * sizeof *x);
  memset(p->q.phi, 0, d * sizeof *x); /* the family's mean: theta's is p->mu */
  vi_q_prepare(&p->q);
  vi_q_draw_batch(&p->q, p->f->den->pool, M, p->z, p->bth);
  for (size_t m = 0; m < M; m++) {
    double *t = p->bth + m * d;
    for (size_t i = 0; i < d; i++) t[i] = p->mu[i] + k->s[i] * t[i];
  }
  if (batch_eval(p, M) != 0) {
    *fx = INFINITY;
    return -1;
  }
  memset(gx, 0, p->n * sizeof *gx);
  memset(p->gmu, 0, d * sizeof *p->gmu);
  for (size_t m = 0; m < M; m++) {
    double *g = p->bg + m * d; /* becomes the gradient in w */
    sum += p->blp[m];
    for (size_t i = 0; i < d; i++) {
      p->gmu[i] += g[i];
      g[i] *= k->s[i];
    }
  }
  vi_q_pull_batch(&p->q, p->f->den->pool, M, p->z, p->bg, gx);
  vi_q_finish(&p->q, (double)M, gx);
  for (size_t i = d; i < p->n; i++) gx[i] = -gx[i];
  for (size_t j = 0; j < d; j++) { /* dF/du = -P^T (1/M sum g) */
    if (p->P) {
      double t = 0;
      for (size_t i = j; i < d; i++) t += p->P[i * d + j] * p->gmu[i];
      gx[j] = -t / (double)M;
    } else {
      gx[j] = -p->pd[j] * p->gmu[j] / (double)M;
    }
  }
  *fx = -(sum / p->m + p->q.fam->log_det(&p->q));
  return isfinite(*fx) ? 0 : -1;
}

/* The fit on the theta scale: mu, omega (log sd of the diagonal part), B
 * (d x r), and the marginal sds. */
static void lk_result(const struct dadvi *p, const double *x, double *mu, double *om, double *B,
                      double *sd) {
  const struct lrk *k = p->lk;
  size_t d = p->dim, r = p->q.rank;
  dadvi_mu(p, x, mu);
  for (size_t i = 0; i < d; i++) {
    om[i] = log(k->s[i]) + x[d + i];
    double v = exp(2 * om[i]);
    for (size_t j = 0; j < r; j++) {
      B[i * r + j] = k->s[i] * x[2 * d + i * r + j];
      v += B[i * r + j] * B[i * r + j];
    }
    sd[i] = sqrt(v);
  }
}

/* pilot: a dadvi fit to start from, or NULL to run one here. */
/* New fixed draws for lowrank, rows first..first+count of z (nz = d + r
 * values each): whitened as a whole when there are enough (gram given),
 * else antithetic and scaled per coordinate, with the factor's r columns
 * then whitened among themselves (an r x r second moment, rg scratch), so
 * the directions B spans are sampled exactly to second order. */
static void lk_draws(struct vi_rng *rng, double *z, size_t d, size_t r, int first, int count,
                     double *gram, double *rg) {
  size_t nz = d + r;
  vi_draws_standard(rng, z, nz, first, count, (size_t)count >= 2 * nz ? gram : NULL);
  if ((size_t)count >= 2 * nz || (size_t)count < 2 * r || r == 0) return;
  double *blk = z + (size_t)first * nz;
  if (count % 4 == 0) {
    /* quadruples (eta, xi), (-eta, -xi), (eta, -xi), (-eta, xi): the sample
     * cross moment of eta and xi is then exactly 0. Without that, its
     * O(1/sqrt M) entries enter the objective linearly in B (through
     * tr(H S E[eta xi^T] B^T) for a Gaussian) and pull B towards noise, by
     * more the larger d is; the low-rank fit of a 2005-parameter model then
     * still moved 0.27 sd at M = 2048 */
    for (int k = 0; k + 3 < count; k += 4) {
      const double *v = blk + (size_t)k * nz;
      double *w2 = blk + (size_t)(k + 2) * nz, *w3 = blk + (size_t)(k + 3) * nz;
      for (size_t i = 0; i < nz; i++) {
        w2[i] = i < d ? v[i] : -v[i];
        w3[i] = -w2[i];
      }
    }
    for (size_t i = 0; i < nz; i++) { /* unit mean square per coordinate again */
      double ss = 0;
      for (int k = 0; k < count; k++) ss += blk[(size_t)k * nz + i] * blk[(size_t)k * nz + i];
      double sc = ss > 0 ? sqrt(count / ss) : 1;
      for (int k = 0; k < count; k++) blk[(size_t)k * nz + i] *= sc;
    }
  }
  memset(rg, 0, r * r * sizeof *rg);
  for (int k = 0; k < count; k++) {
    const double *v = blk + (size_t)k * nz + d;
    for (size_t i = 0; i < r; i++)
      for (size_t j = 0; j <= i; j++) rg[i * r + j] += v[i] * v[j];
  }
  for (size_t i = 0; i < r; i++)
    for (size_t j = 0; j <= i; j++) rg[j * r + i] = rg[i * r + j] /= count;
  if (vi_dense_cholesky(rg, r) != 0) return;
  for (int k = 0; k < count; k++) {
    double *v = blk + (size_t)k * nz + d;
    for (size_t i = 0; i < r; i++) {
      double t = v[i];
      for (size_t j = 0; j < i; j++) t -= rg[i * r + j] * v[j];
      v[i] = t / rg[i * r + i];
    }
  }
}

/* stage_drive's callbacks for low rank */
static void lk_stage_result(struct dadvi *p, double *x, double *sd) {
  struct vi_advi_result *res = p->f->res;
  lk_result(p, x, res->mu, res->omega, res->B, sd);
}

static void lk_more_draws(struct dadvi *p) {
  lk_draws(&p->f->rng, p->zbuf, p->dim, p->q.rank, p->m, p->m, p->gram, p->rg);
}

enum vi_advi_stop vi_fit_lowrank(struct vi_fit *f, const struct vi_advi_result *pilot) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  size_t r = vi_advi_lowrank_rank(d, o->rank, o->work ? o->work(o->work_ctx) : 0);
  size_t n = vi_family_nparams(VI_FAMILY_LOWRANK, d, r);
  size_t ns = vi_family_nscratch(VI_FAMILY_LOWRANK, d, r);
  if (n == (size_t)-1 || ns == (size_t)-1) goto nomem;
  size_t nz = d + r;
  int m = o->draws_start + (o->draws_start & 1);
  if (m < LOWRANK_MIN_DRAWS) m = LOWRANK_MIN_DRAWS;
  /* small models: enough draws to whiten the noise (2 (d + r)), which keeps
   * the objective bounded along directions few draws leave unexplored */
  if (nz <= DADVI_WHITEN_MAX_DIM && (size_t)m < 2 * nz) m = (int)(2 * nz);
  int mmax = o->draws_max < m ? m : o->draws_max;
  while (mmax > m && (double)mmax * (double)nz > LOWRANK_MAX_DRAW_DOUBLES) mmax /= 2;
  if (mmax < m) mmax = m;
  int whiten = nz <= DADVI_WHITEN_MAX_DIM;
  double *z = vi_arena_array(f->work, (size_t)mmax * nz, sizeof *z);
  double *x = vi_arena_array(f->work, n, sizeof *x);
  double *gx = vi_arena_array(f->work, n, sizeof *gx);
  double *phi = vi_arena_array(f->work, n, sizeof *phi);
  double *scr = vi_arena_array(f->work, ns ? ns : 1, sizeof *scr);
  double *a = vi_arena_array(f->work, d, sizeof *a);
  double *sc = vi_arena_array(f->work, d, sizeof *sc);
  double *sd = vi_arena_array(f->work, d, sizeof *sd);
  double *pmu = vi_arena_array(f->work, d, sizeof *pmu);
  double *psd = vi_arena_array(f->work, d, sizeof *psd);
  double *pmu2 = vi_arena_array(f->work, d, sizeof *pmu2);
  double *gmu = vi_arena_array(f->work, d, sizeof *gmu);
  double *gram = whiten ? vi_arena_array(f->work, nz * nz, sizeof *gram) : NULL;
  double *rg = vi_arena_array(f->work, r * r + 1, sizeof *rg);
  res->B = vi_arena_array(f->arena, d * r > 0 ? d * r : 1, sizeof *res->B);
  if (!z || !x || !gx || !phi || !scr || !a || !sc || !sd || !pmu || !psd ||
      !pmu2 || !gmu || !rg ||
      (whiten && !gram) || !res->B)
    goto nomem;
  res->rank = (int)r;
  struct vi_advi_result pr;
  const double *P = NULL; /* the means' preconditioner: the pilot's LR factor */
  const double *pilot_B = NULL; /* the pilot's low-rank linear response, if any */
  size_t pilot_rank = 0;
  if (pilot) pr = *pilot;
  if (pilot || run_pilot(f, &pr) == 0) {
    memcpy(a, pr.mu, d * sizeof *a);
    if (pr.lr_cov && pr.L) P = pr.L;
    if (pr.lr_cov && pr.B) {
      pilot_B = pr.B;
      pilot_rank = (size_t)pr.rank;
    }
    for (size_t i = 0; i < d; i++) sc[i] = exp(pr.omega[i]);
  } else {
    if (vi_fit_cancelled(f)) {
      memcpy(res->mu, f->init, d * sizeof *res->mu);
      memset(res->omega, 0, d * sizeof *res->omega);
      memset(res->B, 0, d * r * sizeof *res->B);
      vi_fit_reason(res, "interrupted in the mean-field pilot fit");
      return VI_ADVI_INTERRUPTED;
    }
    memcpy(a, f->init, d * sizeof *a);
    for (size_t i = 0; i < d; i++) sc[i] = 1;
  }
  struct lrk k = {sc};
  vi_rng_seed(&f->rng, o->seed, STREAM_FIT);
  lk_draws(&f->rng, z, d, r, 0, m, gram, rg);
  struct dadvi p = {.f = f, .dim = d, .n = n, .z = z, .m = m, .a = a, .P = P, .pd = sc,
                    .mu = pmu2, .gmu = gmu, .lk = &k};
  vi_q_init(&p.q, VI_FAMILY_LOWRANK, d, r, phi, scr);
  p.q.pool = f->den->pool;
  if (batch_alloc(&p, (size_t)mmax) != 0) goto nomem;
  /* u = 0, lambda = log(1/sqrt 2) and B with columns of norm ~ 1/sqrt 2: the
   * pilot's variances, split between the diagonal and the factor */
  memset(x, 0, n * sizeof *x);
  for (size_t i = 0; i < d * r; i++)
    x[2 * d + i] = 0.1 * vi_rng_normal(&f->rng) / sqrt((double)r);
  if (P == NULL && pilot_B) /* start B at the pilot's linear response (in pilot sd units) */
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < r && j < pilot_rank; j++)
        x[2 * d + i * r + j] = pilot_B[i * pilot_rank + j] / sc[i];
  double fx;
  if (dadvi_eval(&p, x, &fx, gx) != 0 && eval_after_doubling(&p, x, &fx, gx) != 0)
    return VI_ADVI_ERROR;
  static const struct stage_ops lk_ops = {lk_stage_result, lk_more_draws};
  p.zbuf = z;
  p.gram = gram;
  p.rg = rg;
  if (stage_drive(&p, &lk_ops, x, &fx, gx, mmax, sd, pmu, psd) == VI_ADVI_ERROR)
    return VI_ADVI_ERROR;
  lk_result(&p, x, res->mu, res->omega, res->B, sd);
  double logs = 0;
  for (size_t i = 0; i < d; i++) logs += log(sc[i]);
  res->elbo = 0.5 * (double)d * (1 + LOG_2PI) - fx + logs;
  return res->stop;
nomem:
  vi_error(f->d, vi_fit_noloc(), "out of memory for a low-rank fit of dimension %zu", d);
  vi_fit_reason(res, "out of memory");
  return VI_ADVI_ERROR;
}

static int check_options(const struct vi_density *den, const struct vi_advi_options *o,
                         struct vi_diags *d) {
  const char *bad = NULL;
  if (!den || !den->logp_grad) bad = "no density";
  else if ((unsigned)o->algorithm > VI_ALGO_LOWRANK) bad = "unknown algorithm";
  else if (o->algorithm == VI_ALGO_LOWRANK && o->optimizer != VI_OPT_AUTO &&
           o->optimizer != VI_OPT_LBFGS)
    bad = "lowrank is fitted with fixed draws and L-BFGS (--optimizer lbfgs)";
  else if (o->rank < 0) bad = "rank must be >= 1";
  else if ((unsigned)o->estimator > VI_EST_STL) bad = "unknown estimator";
  else if (o->estimator == VI_EST_STL && vi_optimizer_of(o) != VI_OPT_SGD &&
           vi_optimizer_of(o) != VI_OPT_ADAM)
    bad = "the sticking-the-landing estimator is for the stochastic optimisers (sgd, adam)";
  else if ((unsigned)o->optimizer > VI_OPT_ADAM) bad = "unknown optimizer";
  else if ((o->algorithm == VI_ALGO_DADVI || o->algorithm == VI_ALGO_AUTO) &&
           (o->optimizer == VI_OPT_SGD || o->optimizer == VI_OPT_ADAM))
    bad = "dadvi is deterministic (L-BFGS); for stochastic gradient ascent (sgd, adam) use "
          "--algorithm meanfield or fullrank";
  else if (o->optimizer == VI_OPT_ADAM && (!(o->lr > 0) || !isfinite(o->lr)))
    bad = "lr must be positive";
  else if (o->iter <= 0) bad = "iter must be positive";
  else if (o->grad_samples <= 0) bad = "grad_samples must be positive";
  else if (o->elbo_samples <= 0) bad = "elbo_samples must be positive";
  else if (o->eval_elbo <= 0) bad = "eval_elbo must be positive";
  else if (!(o->eta > 0) || !isfinite(o->eta)) bad = "eta must be positive";
  else if (o->adapt_engaged && o->adapt_iter <= 0) bad = "adapt_iter must be positive";
  else if (!(o->tol_rel_obj > 0)) bad = "tol_rel_obj must be positive";
  else if (!(o->init_radius >= 0) || !isfinite(o->init_radius)) bad = "init radius must be >= 0";
  else if (o->draws_start < 2 || o->draws_max < 2) bad = "the number of draws must be >= 2";
  else if (!(o->mc_tol > 0) || !(o->grad_tol > 0)) bad = "tolerances must be positive";
  if (!bad) return 0;
  vi_error(d, vi_fit_noloc(), "variational options: %s", bad);
  return -1;
}

static enum vi_advi_stop fit_once(const struct vi_density *den, const struct vi_advi_options *o,
                                  struct vi_arena *arena, struct vi_advi_result *res, struct vi_diags *d,
                                  int restart);

/* auto on a small model whose fit did not converge from its random initial
 * values starts again from others, up to AUTO_RESTARTS times, and keeps the
 * first that converges, else the highest ELBO (an ODE model's optimiser can
 * stall far from the posterior: posteriordb's Lotka-Volterra on seed 2) */
enum { AUTO_RESTARTS = 3, AUTO_RESTART_MAX_DIM = 100 };

enum vi_advi_stop vi_advi_fit(const struct vi_density *den, const struct vi_advi_options *o,
                              struct vi_arena *arena, struct vi_advi_result *res,
                              struct vi_diags *d) {
  enum vi_advi_stop st = fit_once(den, o, arena, res, d, 0);
  if (o->algorithm != VI_ALGO_AUTO || st != VI_ADVI_MAX_ITER || o->init || o->init_radius == 0 ||
      den->dim > AUTO_RESTART_MAX_DIM)
    return st;
  long evals = res->grad_evals;
  int kept = 0;
  for (int k = 1; k <= AUTO_RESTARTS && !(o->cancel && *o->cancel); k++) {
    struct vi_advi_result r;
    struct vi_diags d2;
    vi_diags_init(&d2);
    enum vi_advi_stop s2 = fit_once(den, o, arena, &r, &d2, k);
    vi_diags_free(&d2);
    evals += r.grad_evals;
    if (s2 == VI_ADVI_INTERRUPTED) {
      st = s2;
      break;
    }
    if ((s2 == VI_ADVI_CONVERGED || s2 == VI_ADVI_MAX_ITER) && (s2 == VI_ADVI_CONVERGED || r.elbo > res->elbo)) {
      *res = r;
      st = s2;
      kept = k;
    }
    if (st == VI_ADVI_CONVERGED) break;
  }
  res->grad_evals = evals;
  size_t n = strlen(res->fits);
  if (kept)
    snprintf(res->fits + n, sizeof res->fits - n,
             " (from restart %d: the fit from the first initial values did not converge)", kept);
  else
    snprintf(res->fits + n, sizeof res->fits - n, " (%d restarts from other initial values did no better)",
             AUTO_RESTARTS);
  res->stop = st;
  res->converged = st == VI_ADVI_CONVERGED;
  return st;
}

static enum vi_advi_stop fit_once(const struct vi_density *den, const struct vi_advi_options *o,
                                  struct vi_arena *arena, struct vi_advi_result *res, struct vi_diags *d,
                                  int restart) {
  if (o->algorithm == VI_ALGO_FLOW) return vi_flowfit_run(den, o, arena, res, d); /* flowfit.c */
  memset(res, 0, sizeof *res);
  res->algorithm = o->algorithm;
  res->optimizer = vi_optimizer_of(o);
  res->stop = VI_ADVI_ERROR;
  res->mc_change = NAN;
  if (check_options(den, o, d) != 0) {
    vi_fit_reason(res, "invalid options");
    return VI_ADVI_ERROR;
  }
  size_t dim = den->dim;
  res->dim = dim;
  res->mu = vi_arena_array(arena, dim, sizeof(double));
  if (o->algorithm == VI_ALGO_FULLRANK) {
    if (dim && dim > ((size_t)-1 / sizeof(double)) / dim) res->L = NULL;
    else res->L = vi_arena_array(arena, dim * dim, sizeof(double));
  } else {
    res->omega = vi_arena_array(arena, dim, sizeof(double));
  }
  struct vi_advi_trace *t = &res->trace;
  t->iter = vi_arena_array(arena, VI_ADVI_TRACE_MAX, sizeof *t->iter);
  t->elbo = vi_arena_array(arena, VI_ADVI_TRACE_MAX, sizeof *t->elbo);
  t->draws = vi_arena_array(arena, VI_ADVI_TRACE_MAX, sizeof *t->draws);
  t->fit = vi_arena_array(arena, VI_ADVI_TRACE_MAX, sizeof *t->fit);
  t->stride = 1;
  if (!t->iter || !t->elbo || !t->draws || !t->fit) t->iter = NULL; /* no trace */
  struct vi_arena work;
  vi_arena_init(&work);
  struct vi_fit f = {.den = den, .o = o, .res = res, .d = d, .arena = arena, .work = &work, .dim = dim,
                     .trace = &res->trace, .restart = restart};
  f.init = vi_arena_array(&work, dim, sizeof(double));
  f.zeta = vi_arena_array(&work, dim, sizeof(double));
  f.eta = vi_arena_array(&work, dim, sizeof(double));
  f.g = vi_arena_array(&work, dim, sizeof(double));
  f.gq = vi_arena_array(&work, dim, sizeof(double));
  enum vi_advi_stop st = VI_ADVI_ERROR;
  if (!res->mu || !(res->L || res->omega) || !f.init || !f.zeta || !f.eta || !f.g || !f.gq) {
    vi_error(d, vi_fit_noloc(), "out of memory for a fit of dimension %zu", dim);
    vi_fit_reason(res, "out of memory");
  } else if (choose_init(&f) != 0) {
    /* recorded: the density cannot be evaluated at the initial values */
  } else if (dim == 0) {
    /* nothing to fit: q is the empty point, the ELBO the log density */
    double lp = 0;
    vi_fit_density(&f, f.init, &lp, f.g);
    res->elbo = lp;
    res->algorithm = o->algorithm == VI_ALGO_AUTO ? VI_ALGO_DADVI : o->algorithm;
    vi_fit_reason(res, "the model has no parameters: nothing to fit");
    st = VI_ADVI_CONVERGED;
  } else {
    struct vi_advi_options mo = *o; /* meanfield with L-BFGS: dadvi without LR */
    mo.lr_draws = 0;
    if (o->algorithm == VI_ALGO_AUTO) st = vi_fit_auto(&f);
    else if (o->algorithm == VI_ALGO_LOWRANK) st = vi_fit_lowrank(&f, NULL);
    else if (o->algorithm == VI_ALGO_DADVI) st = vi_fit_dadvi(&f);
    else if (res->optimizer == VI_OPT_SGD || res->optimizer == VI_OPT_ADAM) st = vi_fit_stan(&f);
    else if (o->algorithm == VI_ALGO_FULLRANK) st = vi_fit_fullrank(&f, NULL, NULL);
    else {
      f.o = &mo;
      st = vi_fit_dadvi(&f);
    }
  }
  if (st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER) vi_fit_trace_end(&f);
  vi_arena_free(&work);
  res->stop = st;
  res->converged = st == VI_ADVI_CONVERGED;
  return st;
}

