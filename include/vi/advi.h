/* advi.h: variational fits of a Gaussian approximation on the unconstrained
 * space, against an abstract log density.
 *
 * Algorithms:
 *   - VI_ALGO_DADVI (`--algorithm dadvi`; the first stage of the default): deterministic ADVI
 *     (Giordano, Ingram & Broderick 2024). A fixed set of M standard-normal
 *     draws (antithetic pairs; each block of new draws is whitened to an
 *     exact identity second moment when it has at least dim pairs, else
 *     scaled per coordinate) makes the mean-field ELBO a deterministic
 *     function of (mu, omega = log sd); it is maximised with L-BFGS
 *     (strong-Wolfe line search), first with 4 draws to travel cheaply, then
 *     with M = max(draws_start, 2 dim) draws. For dim <= lr_max_dim, mu is
 *     optimised in coordinates preconditioned by the linear-response (LR)
 *     covariance Sigma_LR = (d^2 F / d mu^2)^{-1} (Giordano, Broderick &
 *     Jordan 2018; the Hessian by forward differences of the gradient over
 *     the fixed draws), so gradients and moves are measured in posterior sds.
 *     M then doubles (the new draw set contains the old one) until the means
 *     move by less than mc_tol LR sds and the log sds by less than mc_tol,
 *     which estimates the Monte Carlo error of the returned fit. The
 *     maximised objective is always the mean-field ELBO; output draws come
 *     from N(mu, Sigma_LR) when it is available and has the larger ELBO on
 *     the fixed draws (res->lr_cov), else from the mean-field Gaussian.
 *   - VI_ALGO_MEANFIELD / VI_ALGO_FULLRANK with VI_OPT_SGD: stochastic-
 *     gradient ADVI as CmdStan 2.x `variational` (Kucukelbir et al. 2017):
 *     eta adaptation, adaptive step sizes, the relative-ELBO-change stopping
 *     rule. The default optimiser for meanfield. With VI_OPT_ADAM the same
 *     gradients, ELBO estimates and stopping rule, with Adam steps of size
 *     o->lr instead of Stan's adaptive steps (no eta adaptation).
 *   - VI_ALGO_FULLRANK with VI_OPT_LBFGS (its default): the full-rank family
 *     fitted like dadvi: fixed whitened draws, L-BFGS over (mu, L) in
 *     coordinates standardised by a dadvi pilot fit, M doubled until the
 *     means move < mc_tol sds and the log sds < mc_tol. Stan's stochastic
 *     optimiser does not reach the optimum on strongly correlated posteriors
 *     (unscaled regressions) in its 10000 iterations; this does.
 *   - VI_ALGO_MEANFIELD with VI_OPT_LBFGS: dadvi's mean-field fit, reported
 *     as the mean-field Gaussian (no linear-response covariance).
 *   - VI_ALGO_LOWRANK: N(mu, diag(exp(2 omega)) + B B^T) with B of rank R,
 *     fitted as fullrank (fixed draws, L-BFGS, M doubled) in coordinates
 *     standardised by a dadvi pilot; for 100 to 100,000 parameters.
 *   - VI_ALGO_AUTO (the default): dadvi; then, when dim <= 100 and the model
 *     touches at most 200,000 numbers per gradient (o->work), the full-rank
 *     fit started from it, reported when it converges (res->algorithm then
 *     says VI_ALGO_FULLRANK); above 100 parameters the low-rank fit started
 *     from it, within 2e9 numbers touched (gradients times o->work), 2048
 *     draws and 300 L-BFGS iterations per stage, reported when its ELBO is
 *     higher than dadvi's (then VI_ADVI_MAX_ITER when it did not converge).
 *     res->fits lists the fits that ran.
 *   - VI_ALGO_FLOW (`--algorithm flow`): auto's Gaussian fit, then a
 *     normalizing flow over its standardised coordinates (flow.h; the driver
 *     is flowfit.c): res->flow, res->iw_elbo; mu and L/omega/B stay the base.
 *
 * Example:
 *   struct vi_advi_options o;
 *   vi_advi_options_default(&o);
 *   struct vi_advi_result r;
 *   enum vi_advi_stop st = vi_advi_fit(&density, &o, &arena, &r, &diags);
 *   if (st == VI_ADVI_ERROR) ... print diags ...
 *   vi_advi_draw(&r, &density, o.seed, S, theta, log_p, log_q, &diags);
 *   double k = vi_psis_khat(log_p, log_q, S);
 */
#ifndef VI_ADVI_H
#define VI_ADVI_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "vi/arena.h"
#include "vi/diag.h"

struct vi_flow;

/* The model as the fitting code sees it. */
struct vi_pool;
struct vi_density {
  size_t dim; /* unconstrained dimension */
  void *ctx;
  /* log density (Jacobian included; constants may be dropped) and its
   * gradient at theta; grad may be NULL when only the value is wanted (the
   * draws for Pareto k). Returns 0, or nonzero when it cannot be evaluated
   * at theta (treated as -inf: such draws are dropped and redrawn). */
  int (*logp_grad)(void *ctx, const double *theta, double *lp, double *grad);
  /* optional: the same at M points (theta M x dim; grad M x dim or NULL),
   * status[m] 0 or nonzero per point, with results that do not depend on
   * how the points are spread over threads; NULL: logp_grad point by point */
  int (*logp_grad_batch)(void *ctx, size_t M, const double *theta, double *lp, double *grad, int *status);
  /* optional: the threads the fits may spread per-draw family work over
   * (draws, pulls; results do not depend on it); NULL: this thread */
  struct vi_pool *pool;
};

enum vi_algo {
  VI_ALGO_DADVI = 0, /* deterministic mean-field ADVI with L-BFGS (default) */
  VI_ALGO_MEANFIELD, /* CmdStan's stochastic meanfield ADVI */
  VI_ALGO_FULLRANK,  /* the full-rank family (L-BFGS by default, or CmdStan's sgd) */
  VI_ALGO_AUTO,      /* the default: dadvi, refined to full rank for small, cheap models */
  VI_ALGO_LOWRANK,   /* low rank plus diagonal Gaussian, fixed draws + L-BFGS */
  VI_ALGO_FLOW       /* a normalizing flow on top of auto's Gaussian fit (flow.h, flowfit.c) */
};

/* How the ELBO is maximised. */
enum vi_optimizer {
  VI_OPT_AUTO = 0, /* the algorithm's default: sgd for meanfield, lbfgs otherwise */
  VI_OPT_SGD,      /* CmdStan's stochastic gradient ascent (meanfield, fullrank) */
  VI_OPT_LBFGS,    /* fixed draws + L-BFGS, draws doubled until the fit is stable */
  VI_OPT_ADAM      /* Adam (Kingma & Ba 2015) on Stan's stochastic gradients (meanfield,
                      fullrank): step lr, no eta adaptation, Stan's stopping rule */
};

/* The stochastic gradient estimator (sgd, adam). */
enum vi_estimator {
  VI_EST_REPARAM = 0, /* reparameterised: E[dT/dphi^T grad log p] + grad entropy (Stan's) */
  VI_EST_STL          /* sticking the landing (Roeder, Wu & Duvenaud 2017): the path
                         derivative of log p - log q; zero variance when q = p */
};

/* How a fit ended. */
enum vi_advi_stop {
  VI_ADVI_CONVERGED = 0, /* stopping rule met; result usable */
  VI_ADVI_MAX_ITER,      /* iteration/draw budget exhausted; result usable, not converged */
  VI_ADVI_INTERRUPTED,   /* *cancel became nonzero; result holds the last iterate */
  VI_ADVI_ERROR          /* bad options, out of memory, or the density failed; see diags */
};

/* Called every eval_elbo iterations (Stan algorithms) or every L-BFGS
 * iteration (dadvi) with the iteration number, the ELBO and its relative
 * change since the previous call (the value Stan's rule uses). */
typedef void (*vi_advi_progress_fn)(void *ctx, int iter, double elbo, double rel_change);

struct vi_advi_options {
  enum vi_algo algorithm;       /* default VI_ALGO_AUTO */
  enum vi_optimizer optimizer;  /* default VI_OPT_AUTO */
  int iter;                     /* max iterations (Stan: 10000; dadvi: L-BFGS iterations per stage) */
  int grad_samples;             /* Stan: draws per gradient (1) */
  int elbo_samples;             /* Stan: draws per ELBO estimate (100) */
  int eval_elbo;                /* Stan: evaluate ELBO every eval_elbo iterations (100) */
  double eta;                   /* Stan: step-size scale when adaptation is off (1.0) */
  int adapt_engaged;            /* Stan: choose eta from {100,10,1,0.1,0.01} (1) */
  int adapt_iter;               /* Stan: iterations per eta candidate (50) */
  double tol_rel_obj;           /* Stan: relative ELBO change tolerance (0.01) */
  enum vi_estimator estimator;  /* sgd, adam: VI_EST_REPARAM (default) or VI_EST_STL */
  double lr;                    /* adam: step size (0.001, Kingma and Ba's default); beta1 0.9,
                                   beta2 0.999, epsilon 1e-8 */
  int output_samples;           /* draws the caller should write (1000); not used by the fit */
  uint64_t seed;                /* everything is deterministic given the seed */
  const double *init;           /* initial mu (dim values), or NULL for random */
  double init_radius;           /* random init uniform(-R, R) (2); 0 = all zeros */
  /* dadvi only */
  int draws_start;              /* first M (16; rounded up to even; raised to 2 dim when LR is used) */
  int draws_max;                /* largest M tried (2048) */
  double mc_tol;                /* accept when the fit moves < mc_tol sds (LR sds when available) and
                                   log sds when M doubles (0.05) */
  double grad_tol;              /* L-BFGS stops when every |dF/du_i| and |dF/domega_i| < grad_tol (1e-3),
                                   u = mu in sd units (LR sds, or mean-field sds without LR) */
  int lr_max_dim;               /* use linear-response covariances (preconditioning, sd units, draws)
                                   when dim <= this (200); 0 = never */
  int lr_draws;                 /* report draws from N(mu, Sigma_LR) when it is available (1) */
  int rank;                     /* lowrank: the rank R of the factor; 0 = by cost
                                   (vi_advi_lowrank_rank) */
  /* auto only: numbers the model touches per gradient (vi_model_work),
   * asked after the dadvi stage; NULL = unknown (treated as cheap) */
  size_t (*work)(void *ctx);
  void *work_ctx;
  /* flow only (flow.h): the layer type (0 coupling, 1 iaf), layers and
   * hidden units per conditioner (0 = defaults: 8 layers, clamp(2 dim, 16, 64)) */
  int flow_kind;
  int flow_layers;
  int flow_hidden;
  /* hooks */
  vi_advi_progress_fn progress; /* may be NULL */
  void *progress_ctx;
  volatile sig_atomic_t *cancel; /* checked every iteration; may be NULL */
};

/* The objective's trace (for the report): one point per progress call
 * (every eval_elbo iterations for sgd/adam, every L-BFGS iteration for the
 * fixed-draw fits, pilot and refinements included), at most
 * VI_ADVI_TRACE_MAX points: when full, every other point is dropped and
 * only every 2nd (4th, ...) later call is kept. Arrays from the fit's arena
 * (iter NULL when out of memory: no trace). */
enum { VI_ADVI_TRACE_MAX = 2048 };
struct vi_advi_trace {
  size_t n;               /* points recorded */
  int *iter;              /* iteration number (counting on over stages and fits) */
  double *elbo;           /* the ELBO there (dadvi, fullrank, lowrank: on the fixed draws) */
  int *draws;             /* fixed draws M (0 for sgd/adam) */
  unsigned char *fit;     /* enum vi_algo of the fit that ran (DADVI, MEANFIELD, FULLRANK, LOWRANK) */
  long calls, stride;     /* progress calls seen; keep one call in stride */
  int last, offset;       /* the last raw iteration number; added to a restarted counter */
};

struct vi_advi_result {
  enum vi_algo algorithm;      /* what was fitted and is reported: for VI_ALGO_AUTO,
                                  VI_ALGO_DADVI or VI_ALGO_FULLRANK */
  enum vi_optimizer optimizer; /* the one used (never AUTO) */
  enum vi_advi_stop stop;
  int converged;          /* 1 iff stop == VI_ADVI_CONVERGED */
  char reason[256];       /* human-readable why it stopped */
  char fits[192];         /* auto: the fits that ran, in order ("dadvi, fullrank"); else "" */
  size_t dim;
  int iterations;         /* Stan: SGD iterations of the main loop; dadvi: L-BFGS iterations, all stages */
  long grad_evals;        /* calls of logp_grad, all phases (init, adaptation, ELBO estimates) */
  double elbo;            /* final ELBO (includes the entropy's constant 0.5 d (1 + log 2 pi)) */
  double eta;             /* Stan sgd: the step-size scale used; adam: lr; dadvi: 0 */
  int draws_m;            /* dadvi: final number of fixed draws M; Stan: 0 */
  double mc_change;       /* dadvi: last change (in sds / log sds) when M doubled; else NAN */
  double *mu;             /* dim: mean on the unconstrained scale */
  double *omega;          /* dim: log sd (dadvi, meanfield); NULL for fullrank */
  double *L;              /* dim*dim: fullrank Cholesky factor, ROW-MAJOR, L[i*dim+j],
                             zero above the diagonal; fullrank, or dadvi with lr_cov;
                             NULL otherwise */
  double *B;              /* lowrank: dim x rank factor, row-major: covariance
                             diag(exp(2 omega)) + B B^T; NULL otherwise */
  int rank;               /* lowrank: the rank used */
  double lr_elbo;         /* dadvi with lr_cov: the ELBO of N(mu, Sigma_LR) on the fixed draws */
  int lr_cov;             /* dadvi: 1 when L is the Cholesky factor of the linear-response
                             covariance (draws and log_q use it); omega still holds the
                             mean-field log sds */
  struct vi_advi_trace trace; /* the objective over the iterations of every fit that ran */
  /* flow: the fitted flow (draws and log_q use it; mu, L/omega/B above are
   * its Gaussian base, base_algorithm says which fit), the ELBO's Monte
   * Carlo standard error and the importance-weighted ELBO (log mean p/q over
   * the evaluation draws: an estimate of log evidence) with its standard
   * error (delta method); NULL / NAN otherwise */
  const struct vi_flow *flow;
  enum vi_algo base_algorithm;
  double elbo_se, iw_elbo, iw_elbo_se;
  int eval_draws;         /* flow: draws behind elbo and iw_elbo */
};

/* CmdStan's defaults (iter 10000, grad_samples 1, elbo_samples 100,
 * eval_elbo 100, eta 1, adapt on with adapt_iter 50, tol_rel_obj 0.01,
 * output_samples 1000, init radius 2) plus the dadvi defaults above;
 * algorithm = VI_ALGO_DADVI, seed 0. */
void vi_advi_options_default(struct vi_advi_options *o);

/* The rank lowrank uses for `dim` parameters: `requested` when > 0, else by
 * cost, work / dim (the model's numbers per gradient over dim: the family's
 * d R per draw then costs at most the model's gradient) within [2, 10];
 * never above dim. */
size_t vi_advi_lowrank_rank(size_t dim, int requested, size_t work);

/* Name of an algorithm ("dadvi", "meanfield", "fullrank", "auto", "lowrank", "flow"), and the reverse
 * (returns 0 and sets *out, or -1 for an unknown name). */
const char *vi_algo_name(enum vi_algo a);
int vi_algo_parse(const char *name, enum vi_algo *out);

/* Name of an optimiser ("auto", "sgd", "lbfgs", "adam"), and the reverse. */
const char *vi_optimizer_name(enum vi_optimizer a);
int vi_optimizer_parse(const char *name, enum vi_optimizer *out);

/* The optimiser a fit with these options uses (never VI_OPT_AUTO). */
enum vi_optimizer vi_optimizer_of(const struct vi_advi_options *o);

/* Fits the approximation. The arrays of *res come from `arena` (borrowed;
 * they live as long as it). Errors (options out of range, out of memory, a
 * density that cannot be evaluated at the init or keeps failing) are recorded
 * in `d` and give VI_ADVI_ERROR; res->reason then holds the short reason. On
 * VI_ADVI_INTERRUPTED the result holds the last iterate (usable, not
 * converged). Deterministic given o->seed (and o->init). */
enum vi_advi_stop vi_advi_fit(const struct vi_density *den, const struct vi_advi_options *o,
                              struct vi_arena *arena, struct vi_advi_result *res,
                              struct vi_diags *d);

/* Draws S unconstrained samples from the fitted approximation into
 * theta (S x dim, row-major), with log_q[s] the normalised log density of the
 * approximation at the draw and log_p[s] the model's log density (-INFINITY
 * where the density cannot be evaluated). log_p/log_q may be NULL to skip.
 * Deterministic given seed. Returns VI_OK or VI_ERR_NOMEM (recorded in d). */
enum vi_status vi_advi_draw(const struct vi_advi_result *res, const struct vi_density *den,
                            uint64_t seed, size_t S, double *theta, double *log_p,
                            double *log_q, struct vi_diags *d);

/* Pareto k-hat of the importance ratios log_p - log_q over S draws (PSIS,
 * Yao et al. 2018): a generalized Pareto fitted (Zhang & Stephens 2009, with
 * loo's weakly informative prior adjustment) to the largest
 * min(S/5, 3 sqrt(S)) ratios. Returns NAN when S < 25 or the ratios are
 * all non-finite; INFINITY when the tail is degenerate in the bad direction. */
double vi_psis_khat(const double *log_p, const double *log_q, size_t S);

/* Pareto-smoothed log importance weights (Vehtari et al. 2024): log_w[s] =
 * log_p[s] - log_q[s], with the largest min(S/5, 3 sqrt(S)) replaced by the
 * quantiles of the generalized Pareto fitted to them (never above the
 * largest raw weight); unnormalised. S < 25: the raw log ratios. VI_OK or
 * VI_ERR_NOMEM. */
enum vi_status vi_psis_smooth(const double *log_p, const double *log_q, size_t S, double *log_w);

/* Plain-language verdict for a k-hat: "good" (k < 0.5), "ok" (0.5..0.7),
 * "unreliable: the approximation is poor" (k > 0.7), or "unknown" (NaN). Static string. */
const char *vi_psis_verdict(double khat);

/* What importance sampling says about a fit, from S draws of q (theta,
 * S x dim), their log_p and log_q: Pareto k-hat, and how far reweighting the
 * draws by p/q would move each coordinate's mean and sd. Weights are
 * truncated at sqrt(S) times their mean (truncated importance sampling,
 * Ionides 2008) so that one draw cannot dominate. mean_shift is the largest
 * |mean_w - mean_q| / sd_q, sd_shift the largest |log(sd_w / sd_q)|, over
 * the coordinates (worst_* say which). The verdict:
 *   VI_VERDICT_GOOD         k-hat <= 0.7
 *   VI_VERDICT_LIGHT_TAILS  0.7 < k-hat <= 1 + se and both shifts <= VI_SHIFT_TOL
 *                           (se = (1 + k-hat) / sqrt(M), M the tail size above:
 *                           k-hat's standard error, 0.2 at S = 1000):
 *                           the posterior has heavier tails than q in some
 *                           direction, yet the weights do not move the means
 *                           or sds (by more than VI_SHIFT_TOL sd)
 *   VI_VERDICT_UNRELIABLE   k-hat > 0.7 and a shift above VI_SHIFT_TOL, or
 *                           k-hat > 1 + se (the ratios then have no finite mean,
 *                           so no shift estimate can be trusted)
 *   VI_VERDICT_UNKNOWN      k-hat could not be computed (S < 25, no finite
 *                           log_p)
 * Returns VI_OK or VI_ERR_NOMEM. */
#define VI_SHIFT_TOL 0.1
enum vi_verdict { VI_VERDICT_GOOD, VI_VERDICT_LIGHT_TAILS, VI_VERDICT_UNRELIABLE,
                  VI_VERDICT_UNKNOWN };
struct vi_psis_check {
  double khat;
  double mean_shift, sd_shift; /* in q's sds; log ratio of sds */
  size_t worst_mean, worst_sd; /* coordinates */
  enum vi_verdict verdict;
};
enum vi_status vi_psis_check(const double *theta, size_t S, size_t dim, const double *log_p,
                             const double *log_q, struct vi_psis_check *out);

/* The verdict in words: "good", "tails lighter than the posterior, but means
 * and sds agree within 0.1 sd", "unreliable", "unknown". Static string. */
const char *vi_verdict_name(enum vi_verdict v);

#endif
