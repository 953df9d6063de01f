/* flowfit.c: the driver of `--algorithm flow` (see include/vi/flow.h): the
 * Gaussian base fit, Adam on sticking-the-landing gradients with a short
 * step-size search, iterate averaging and a smoothed-objective stopping
 * rule, the final ELBO and importance-weighted ELBO, and the output draws.
 * Every model evaluation goes through vi_objective_batch (so results do not
 * depend on --threads); the flow algebra is sequential. */
#include "vi/flow.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/dense.h"
#include "vi/family.h"
#include "vi/objective.h"
#include "vi/optim.h"
#include "vi/rng.h"

enum {
  FLOW_DRAWS = 32,          /* draws per gradient step */
  FLOW_WINDOW = 200,        /* steps per window of the smoothed objective */
  FLOW_FLAT = 3,            /* ... in this many windows in a row, or the fit goes on */
  FLOW_SEARCH_STEPS = 100,  /* steps per step-size candidate */
  FLOW_SCORE_DRAWS = 256,   /* fixed draws that score the candidates */
  FLOW_MAX_STEPS = 4000,    /* steps after the search, at most (and at most o->iter) */
  FLOW_EVAL_DRAWS = 4096,   /* fresh draws of the final ELBO and IW-ELBO */
  FLOW_DEFAULT_LAYERS = 8,
  FLOW_DENSE_MAX_DIM = 2000 /* a low-rank base is made dense (Cholesky) up to this */
};
enum { STREAM_FLOW_INIT = 0x71, STREAM_FLOW_FIT = 0x72, STREAM_FLOW_SCORE = 0x73,
       STREAM_FLOW_EVAL = 0x74, STREAM_DRAWS = 2 };
#define FLOW_TOL 0.003 /* nats: a window must raise the smoothed ELBO by more than this ... */
#define FLOW_DIV 3.0   /* the fixed step is the best candidate's over this */

static const double lr_grid[] = {0.03, 0.01, 0.003};
#define N_LR ((int)(sizeof lr_grid / sizeof *lr_grid))

static struct vi_srcloc noloc(void) { return (struct vi_srcloc){NULL, 0, 0}; }

static void set_reason(struct vi_advi_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_reason(struct vi_advi_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

/* State of one flow fit. */
struct ff {
  const struct vi_density *den;
  const struct vi_advi_options *o;
  struct vi_advi_result *res;
  struct vi_flow *f;
  size_t dim, nb;           /* nb: rows of the batch buffers */
  struct vi_flow_work *w;   /* nb */
  double *eta, *theta, *lp, *grad, *lq; /* nb x dim, nb */
  int *ok;                  /* nb: 1 when the draw could be evaluated */
};

static int cancelled(const struct ff *s) { return s->o->cancel && *s->o->cancel; }

/* The model at the first n rows of theta; draws that cannot be evaluated are
 * marked ok = 0 (a failed batch is redone point by point). Returns the
 * number of good draws. */
static size_t evaluate(struct ff *s, size_t n, int with_grad) {
  size_t d = s->dim;
  double *g = with_grad ? s->grad : NULL;
  if (vi_objective_batch(s->den, n, s->theta, s->lp, g, &s->res->grad_evals) == 0) {
    for (size_t m = 0; m < n; m++) s->ok[m] = 1;
    return n;
  }
  size_t good = 0;
  for (size_t m = 0; m < n; m++) {
    s->ok[m] = vi_objective_batch(s->den, 1, s->theta + m * d, s->lp + m, g ? g + m * d : NULL,
                                  &s->res->grad_evals) == 0;
    good += (size_t)s->ok[m];
  }
  return good;
}

/* Draws n rows of eta from r (NULL: keep eta) and maps them through the
 * flow (log q into lq). */
static void draw_rows(struct ff *s, struct vi_rng *r, size_t n) {
  size_t d = s->dim;
  for (size_t m = 0; m < n; m++) {
    double *e = s->eta + m * d;
    if (r)
      for (size_t i = 0; i < d; i++) e[i] = vi_rng_normal(r);
    s->lq[m] = vi_flow_draw(s->f, &s->w[m], e, s->theta + m * d);
  }
}

/* One STL gradient from FLOW_DRAWS fresh draws: g = d ELBO / d phi, *obj
 * the draws' mean log p - log q. -1 when no draw could be evaluated. */
static int flow_grad(struct ff *s, struct vi_rng *r, double *g, double *obj) {
  size_t n = s->nb, d = s->dim;
  draw_rows(s, r, n);
  size_t good = evaluate(s, n, 1);
  if (!good) return -1;
  memset(g, 0, s->f->npar * sizeof *g);
  double sum = 0;
  for (size_t m = 0; m < n; m++) {
    if (!s->ok[m]) continue;
    sum += s->lp[m] - s->lq[m];
    vi_flow_pull(s->f, &s->w[m], s->grad + m * d, 1, g);
  }
  for (size_t k = 0; k < s->f->npar; k++) g[k] /= (double)good;
  *obj = sum / (double)good;
  return 0;
}

/* The mean of log p - log q over the fixed score draws (eta_fixed,
 * FLOW_SCORE_DRAWS rows), in chunks of nb; -inf when a draw fails. */
static double score(struct ff *s, const double *eta_fixed) {
  size_t d = s->dim;
  double sum = 0;
  for (size_t at = 0; at < FLOW_SCORE_DRAWS; at += s->nb) {
    size_t n = FLOW_SCORE_DRAWS - at < s->nb ? FLOW_SCORE_DRAWS - at : s->nb;
    memcpy(s->eta, eta_fixed + at * d, n * d * sizeof *s->eta);
    draw_rows(s, NULL, n);
    if (evaluate(s, n, 0) != n) return -INFINITY;
    for (size_t m = 0; m < n; m++) sum += s->lp[m] - s->lq[m];
  }
  return sum / FLOW_SCORE_DRAWS;
}

static int all_finite(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* The final ELBO and IW-ELBO from FLOW_EVAL_DRAWS fresh draws. */
static void final_estimates(struct ff *s) {
  struct vi_advi_result *res = s->res;
  struct vi_rng r;
  vi_rng_seed(&r, s->o->seed, STREAM_FLOW_EVAL);
  size_t N = FLOW_EVAL_DRAWS, bad = 0;
  double *lw = malloc(N * sizeof *lw);
  if (!lw) {
    res->elbo = res->elbo_se = res->iw_elbo = res->iw_elbo_se = NAN;
    return;
  }
  for (size_t at = 0; at < N; at += s->nb) {
    size_t n = N - at < s->nb ? N - at : s->nb;
    draw_rows(s, &r, n);
    evaluate(s, n, 0);
    for (size_t m = 0; m < n; m++) {
      lw[at + m] = s->ok[m] ? s->lp[m] - s->lq[m] : -INFINITY;
      bad += !s->ok[m];
    }
  }
  double mean = 0, var = 0, mx = -INFINITY;
  size_t good = N - bad;
  for (size_t k = 0; k < N; k++)
    if (isfinite(lw[k])) mean += lw[k], mx = fmax(mx, lw[k]);
  mean = good ? mean / (double)good : -INFINITY;
  for (size_t k = 0; k < N; k++)
    if (isfinite(lw[k])) var += (lw[k] - mean) * (lw[k] - mean);
  res->elbo = bad ? -INFINITY : mean;
  res->elbo_se = good > 1 ? sqrt(var / (double)(good - 1) / (double)good) : NAN;
  /* log mean w and its delta-method se: sd(w) / (sqrt(N) mean(w)) */
  double sw = 0, sw2 = 0;
  for (size_t k = 0; k < N; k++) {
    double e = isfinite(lw[k]) ? exp(lw[k] - mx) : 0;
    sw += e;
    sw2 += e * e;
  }
  double mw = sw / (double)N, vw = sw2 / (double)N - mw * mw;
  res->iw_elbo = isfinite(mx) ? mx + log(mw) : -INFINITY;
  res->iw_elbo_se = mw > 0 ? sqrt(fmax(vw, 0) * (double)N / (double)(N - 1) / (double)N) / mw : NAN;
  res->eval_draws = (int)N;
  free(lw);
}

/* The base factor from the Gaussian fit: its L when it has one, the
 * Cholesky factor of diag(exp(2 omega)) + B B^T for a low-rank fit of at
 * most FLOW_DENSE_MAX_DIM parameters, else diag(exp(omega)). */
static int base_factor(const struct vi_advi_result *g, struct vi_arena *a, double **L,
                       double **sd) {
  size_t d = g->dim;
  *L = *sd = NULL;
  if (g->L && (g->algorithm == VI_ALGO_FULLRANK || g->lr_cov)) {
    *L = vi_arena_array(a, d * d, sizeof **L);
    if (!*L) return -1;
    memcpy(*L, g->L, d * d * sizeof **L);
    return 0;
  }
  if (g->B && d <= FLOW_DENSE_MAX_DIM) {
    size_t r = (size_t)g->rank;
    double *C = vi_arena_array(a, d * d, sizeof *C);
    if (!C) return -1;
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j <= i; j++) {
        double v = i == j ? exp(2 * g->omega[i]) : 0;
        for (size_t k = 0; k < r; k++) v += g->B[i * r + k] * g->B[j * r + k];
        C[i * d + j] = C[j * d + i] = v;
      }
    if (vi_dense_cholesky(C, d) == 0) {
      for (size_t i = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++) C[i * d + j] = 0;
      *L = C;
      return 0;
    }
  }
  *sd = vi_arena_array(a, d, sizeof **sd);
  if (!*sd) return -1;
  for (size_t i = 0; i < d; i++) (*sd)[i] = exp(g->omega[i]);
  return 0;
}

enum vi_advi_stop vi_flowfit_run(const struct vi_density *den, const struct vi_advi_options *o,
                                 struct vi_arena *arena, struct vi_advi_result *res,
                                 struct vi_diags *d) {
  const char *bad = NULL;
  if (o->optimizer != VI_OPT_AUTO && o->optimizer != VI_OPT_ADAM)
    bad = "the flow is fitted with Adam (--optimizer adam, the default for flow)";
  else if ((unsigned)o->flow_kind > VI_FLOW_IAF) bad = "unknown flow (coupling or iaf)";
  else if (o->flow_layers < 0 || o->flow_hidden < 0) bad = "flow layers and hidden units must be >= 1";
  if (bad) {
    memset(res, 0, sizeof *res);
    res->stop = VI_ADVI_ERROR;
    vi_error(d, noloc(), "variational options: %s", bad);
    set_reason(res, "invalid options");
    return VI_ADVI_ERROR;
  }
  struct vi_advi_options go = *o;
  go.algorithm = VI_ALGO_AUTO;
  go.optimizer = VI_OPT_AUTO;
  go.estimator = VI_EST_REPARAM;
  enum vi_advi_stop gst = vi_advi_fit(den, &go, arena, res, d);
  res->base_algorithm = res->algorithm;
  res->elbo_se = res->iw_elbo = res->iw_elbo_se = NAN;
  if (gst == VI_ADVI_ERROR || gst == VI_ADVI_INTERRUPTED || res->dim == 0) return gst;
  size_t dim = res->dim;
  char gauss[192];
  snprintf(gauss, sizeof gauss, "%s", res->fits[0] ? res->fits : vi_algo_name(res->algorithm));
  double gauss_elbo = res->lr_cov ? res->lr_elbo : res->elbo;

  struct vi_flow *f = vi_arena_alloc(arena, sizeof *f);
  double *L = NULL, *sd = NULL;
  size_t layers = o->flow_layers > 0 ? (size_t)o->flow_layers : FLOW_DEFAULT_LAYERS;
  size_t hidden = o->flow_hidden > 0 ? (size_t)o->flow_hidden
                  : 2 * dim < 16 ? 16 : 2 * dim > 64 ? 64 : 2 * dim;
  struct vi_arena work;
  vi_arena_init(&work);
  struct ff s = {.den = den, .o = o, .res = res, .f = f, .dim = dim, .nb = FLOW_DRAWS};
  double *best = NULL, *g = NULL, *m1 = NULL, *v1 = NULL, *avg = NULL, *phi0 = NULL,
         *eta_fixed = NULL;
  enum vi_advi_stop st = VI_ADVI_ERROR;
  if (!f || base_factor(res, arena, &L, &sd) != 0 ||
      vi_flow_init(f, (enum vi_flow_kind)o->flow_kind, dim, layers, hidden, res->mu, L, sd,
                   o->seed ^ (uint64_t)STREAM_FLOW_INIT, arena) != 0)
    goto nomem;
  size_t np = f->npar;
  s.w = vi_arena_array(&work, s.nb, sizeof *s.w);
  s.eta = vi_arena_array(&work, s.nb * dim, sizeof *s.eta);
  s.theta = vi_arena_array(&work, s.nb * dim, sizeof *s.theta);
  s.grad = vi_arena_array(&work, s.nb * dim, sizeof *s.grad);
  s.lp = vi_arena_array(&work, s.nb, sizeof *s.lp);
  s.lq = vi_arena_array(&work, s.nb, sizeof *s.lq);
  s.ok = vi_arena_array(&work, s.nb, sizeof *s.ok);
  best = vi_arena_array(&work, 3 * np, sizeof *best);
  g = vi_arena_array(&work, np, sizeof *g);
  m1 = vi_arena_array(&work, np, sizeof *m1);
  v1 = vi_arena_array(&work, np, sizeof *v1);
  avg = vi_arena_array(&work, np, sizeof *avg);
  phi0 = vi_arena_array(&work, np, sizeof *phi0);
  eta_fixed = vi_arena_array(&work, (size_t)FLOW_SCORE_DRAWS * dim, sizeof *eta_fixed);
  if (!s.w || !s.eta || !s.theta || !s.grad || !s.lp || !s.lq || !s.ok || !best || !g || !m1 ||
      !v1 || !avg || !phi0 || !eta_fixed)
    goto nomem;
  for (size_t m = 0; m < s.nb; m++)
    if (vi_flow_work_init(f, &s.w[m], &work) != 0) goto nomem;
  memcpy(phi0, f->phi, np * sizeof *phi0);
  struct vi_rng r;
  vi_rng_seed(&r, o->seed, STREAM_FLOW_SCORE);
  for (size_t k = 0; k < (size_t)FLOW_SCORE_DRAWS * dim; k++) eta_fixed[k] = vi_rng_normal(&r);

  /* the step-size search: each candidate from the identity, the same draws;
   * best[0..np) its parameters, best[np..3np) its Adam moments */
  double best_score = score(&s, eta_fixed), best_lr = 0, obj = 0;
  int steps = 0;
  struct vi_adam ad = {.n = np, .m = m1, .v = v1};
  long best_t = 0;
  memcpy(best, phi0, np * sizeof *best);
  for (int c = 0; c < N_LR; c++) {
    memcpy(f->phi, phi0, np * sizeof *phi0);
    ad.lr = lr_grid[c];
    vi_adam_init(&ad);
    vi_rng_seed(&r, o->seed, STREAM_FLOW_FIT);
    int okc = 1;
    for (int it = 0; it < FLOW_SEARCH_STEPS && okc; it++) {
      if (cancelled(&s)) goto interrupted;
      if (flow_grad(&s, &r, g, &obj) != 0) okc = 0;
      else vi_adam_step(&ad, f->phi, g);
      okc = okc && all_finite(f->phi, np);
      steps++;
    }
    double sc = okc ? score(&s, eta_fixed) : -INFINITY;
    if (sc > best_score) {
      best_score = sc;
      best_lr = lr_grid[c];
      memcpy(best, f->phi, np * sizeof *best);
      memcpy(best + np, m1, np * sizeof *best);
      memcpy(best + 2 * np, v1, np * sizeof *best);
      best_t = ad.t;
    }
  }
  memcpy(f->phi, best, np * sizeof *best);
  int max_steps = o->iter < FLOW_MAX_STEPS ? o->iter : FLOW_MAX_STEPS;
  int converged = 0, main_steps = 0, fell_back = 0;
  if (best_lr > 0) {
    /* a fixed step of a third of the best candidate's, continuing its
     * moments; iterates averaged over the windows since the smoothed
     * objective last rose by more than FLOW_TOL */
    memcpy(m1, best + np, np * sizeof *m1);
    memcpy(v1, best + 2 * np, np * sizeof *v1);
    ad.t = best_t;
    ad.lr = best_lr / FLOW_DIV;
    double prev = -INFINITY, wsum = 0;
    long navg = 0;
    int flat = 0;
    memset(avg, 0, np * sizeof *avg);
    for (int it = 1; it <= max_steps; it++) {
      if (cancelled(&s)) goto interrupted;
      if (flow_grad(&s, &r, g, &obj) != 0) {
        vi_error(d, noloc(), "flow step %d: no draw of the flow could be evaluated", it);
        set_reason(res, "the flow's draws could not be evaluated");
        goto fail;
      }
      vi_adam_step(&ad, f->phi, g);
      if (!all_finite(f->phi, np)) {
        vi_error(d, noloc(), "flow step %d: the flow's parameters became non-finite", it);
        set_reason(res, "the flow fit diverged");
        goto fail;
      }
      main_steps = it;
      wsum += obj;
      for (size_t k = 0; k < np; k++) avg[k] += f->phi[k];
      navg++;
      if (it % FLOW_WINDOW) continue;
      double win = wsum / FLOW_WINDOW;
      wsum = 0;
      double rise = win - prev;
      if (o->progress) o->progress(o->progress_ctx, res->iterations + steps + it, win, rise);
      prev = win;
      if (rise > FLOW_TOL) {
        flat = 0;
        memset(avg, 0, np * sizeof *avg);
        navg = 0;
      } else if (++flat >= FLOW_FLAT) {
        converged = 1;
        break;
      }
    }
    if (navg > 0) {
      for (size_t k = 0; k < np; k++) avg[k] /= (double)navg;
      memcpy(best, f->phi, np * sizeof *best);
      memcpy(f->phi, avg, np * sizeof *avg);
      /* keep the average unless it scores worse than the last iterate */
      double sa = score(&s, eta_fixed);
      memcpy(f->phi, best, np * sizeof *best);
      double sl = score(&s, eta_fixed);
      if (!(sl > sa)) memcpy(f->phi, avg, np * sizeof *avg);
      /* never worse than the start (the Gaussian): a diverged fit falls back */
      if (!(fmax(sl, sa) >= best_score)) {
        memcpy(f->phi, phi0, np * sizeof *phi0);
        fell_back = 1;
      }
    }
  }
  res->iterations += steps + main_steps;
  final_estimates(&s);
  res->flow = f;
  res->algorithm = VI_ALGO_FLOW;
  res->optimizer = VI_OPT_ADAM;
  res->eta = best_lr / FLOW_DIV;
  snprintf(res->fits, sizeof res->fits, "%.80s, flow", gauss);
  if (fell_back) { /* the Gaussian is the best q found: it is the answer */
    st = VI_ADVI_CONVERGED;
    set_reason(res, "the flow's iterates scored no better than the Gaussian fit (%s, ELBO %.6g) "
                    "they started from: the flow is the identity", gauss, gauss_elbo);
  } else if (best_lr == 0) {
    st = VI_ADVI_CONVERGED; /* nothing beats the Gaussian: it is the flow's answer */
    set_reason(res, "no step size improved on the Gaussian fit (%s, ELBO %.6g): the flow is "
                    "the identity", gauss, gauss_elbo);
  } else if (converged) {
    st = VI_ADVI_CONVERGED;
    set_reason(res, "step size %g, then %d steps at %g: the smoothed ELBO rose by less than "
                    "%g nats in %d windows of %d steps", best_lr, main_steps, best_lr / FLOW_DIV,
               FLOW_TOL, FLOW_FLAT, FLOW_WINDOW);
  } else {
    st = VI_ADVI_MAX_ITER;
    set_reason(res, "%d flow steps without the smoothed ELBO settling", main_steps);
  }
  vi_arena_free(&work);
  res->stop = st;
  res->converged = st == VI_ADVI_CONVERGED;
  return st;
interrupted:
  res->stop = VI_ADVI_INTERRUPTED;
  res->converged = 0;
  set_reason(res, "interrupted while fitting the flow");
  vi_arena_free(&work);
  return VI_ADVI_INTERRUPTED;
nomem:
  vi_error(d, noloc(), "out of memory for a flow of dimension %zu", dim);
  set_reason(res, "out of memory");
fail:
  vi_arena_free(&work);
  res->stop = VI_ADVI_ERROR;
  res->converged = 0;
  return VI_ADVI_ERROR;
}

enum vi_status vi_flowfit_draw(const struct vi_flow *f, const struct vi_density *den,
                               uint64_t seed, size_t S, double *theta, double *log_p,
                               double *log_q, struct vi_diags *d) {
  size_t dim = f->dim;
  struct vi_arena a;
  vi_arena_init(&a);
  struct vi_flow_work w;
  double *eta = vi_arena_array(&a, dim, sizeof *eta);
  int *st = log_p && S ? vi_arena_array(&a, S, sizeof *st) : NULL;
  if (!eta || vi_flow_work_init(f, &w, &a) != 0 || (log_p && S && !st)) {
    vi_arena_free(&a);
    vi_error(d, noloc(), "out of memory while drawing from the flow");
    return VI_ERR_NOMEM;
  }
  struct vi_rng r;
  vi_rng_seed(&r, seed, STREAM_DRAWS);
  for (size_t s = 0; s < S; s++) {
    for (size_t i = 0; i < dim; i++) eta[i] = vi_rng_normal(&r);
    double lq = vi_flow_draw(f, &w, eta, theta + s * dim);
    if (log_q) log_q[s] = lq;
  }
  if (log_p && S) {
    if (den->logp_grad_batch) {
      den->logp_grad_batch(den->ctx, S, theta, log_p, NULL, st);
    } else {
      for (size_t s = 0; s < S; s++) st[s] = den->logp_grad(den->ctx, theta + s * dim, log_p + s, NULL);
    }
    for (size_t s = 0; s < S; s++)
      if (st[s] || isnan(log_p[s])) log_p[s] = -INFINITY;
  }
  vi_arena_free(&a);
  return VI_OK;
}
