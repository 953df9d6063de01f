/* draws.c: fixed standard-normal draws (antithetic, whitened) and the output
 * draws of a fitted approximation with their log densities. */
#include "vi/draws.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vi/advi.h"
#include "vi/dense.h"
#include "vi/family.h"
#include "vi/flow.h"
#include "vi/pool.h"

enum { STREAM_DRAWS = 2, DRAW_BALANCE_MAX_DIM = 200 };

static struct vi_srcloc noloc(void) { return (struct vi_srcloc){NULL, 0, 0}; }

void vi_draws_standard(struct vi_rng *r, double *z, size_t dim, int first, int count,
                        double *gram) {
  int half = count / 2;
  double *blk = z + (size_t)first * dim;
  for (int k = 0; k < half; k++)
    for (size_t i = 0; i < dim; i++) {
      double u = vi_rng_normal(r);
      blk[(size_t)(2 * k) * dim + i] = u;
      blk[(size_t)(2 * k + 1) * dim + i] = -u;
    }
  if (gram && (size_t)half >= dim && dim > 0) {
    memset(gram, 0, dim * dim * sizeof *gram);
    for (int k = 0; k < count; k++) {
      const double *v = blk + (size_t)k * dim;
      for (size_t i = 0; i < dim; i++)
        for (size_t j = 0; j <= i; j++) gram[i * dim + j] += v[i] * v[j];
    }
    for (size_t i = 0; i < dim; i++)
      for (size_t j = 0; j <= i; j++) gram[j * dim + i] = gram[i * dim + j] /= count;
    if (vi_dense_cholesky(gram, dim) == 0) {
      for (int k = 0; k < count; k++) { /* forward substitution R w = v, in place */
        double *v = blk + (size_t)k * dim;
        for (size_t i = 0; i < dim; i++) {
          double t = v[i];
          for (size_t j = 0; j < i; j++) t -= gram[i * dim + j] * v[j];
          v[i] = t / gram[i * dim + i];
        }
      }
      return;
    }
  }
  for (size_t i = 0; i < dim; i++) {
    double ss = 0;
    for (int k = 0; k < count; k++) ss += blk[(size_t)k * dim + i] * blk[(size_t)k * dim + i];
    double sc = ss > 0 ? sqrt(count / ss) : 1;
    for (int k = 0; k < count; k++) blk[(size_t)k * dim + i] *= sc;
  }
}

/* The model's log density (values only) at S draws in one batch, -inf
 * where it cannot be evaluated. VI_OK or VI_ERR_NOMEM. */
static int batch_log_p(const struct vi_density *den, size_t S, const double *theta, double *log_p) {
  if (!S) return VI_OK;
  int *st = malloc(S * sizeof *st);
  if (!st) return VI_ERR_NOMEM;
  den->logp_grad_batch(den->ctx, S, theta, log_p, NULL, st);
  for (size_t s = 0; s < S; s++)
    if (st[s] || isnan(log_p[s])) log_p[s] = -INFINITY;
  free(st);
  return VI_OK;
}

struct lrdraws {
  const struct vi_q *q;
  const double *noise; /* S x nz */
  size_t nz;
  double *theta, *log_q, *works;
  size_t nwork;
};

static void lr_draw_task(void *ctx, size_t s, int worker) {
  const struct lrdraws *j = ctx;
  double *t = j->theta + s * j->q->dim;
  vi_q_draw(j->q, j->noise + s * j->nz, t);
  if (j->log_q) j->log_q[s] = vi_q_lowrank_log_q(j->q, t, j->works + (size_t)worker * j->nwork);
}

/* theta row s: standard noise -> mu + L eta (rows from the last, each
 * reading only the noise above it) or mu + exp(omega) eta */
struct gdraws {
  const struct vi_advi_result *res;
  double *theta;
};

static void gauss_draw_task(void *ctx, size_t s, int worker) {
  (void)worker;
  const struct gdraws *j = ctx;
  const struct vi_advi_result *res = j->res;
  size_t dim = res->dim;
  double *t = j->theta + s * dim;
  if (res->L) {
    for (size_t i = dim; i-- > 0;) {
      const double *Li = res->L + i * dim;
      double v = res->mu[i];
      for (size_t k = 0; k <= i; k++) v += Li[k] * t[k];
      t[i] = v;
    }
  } else {
    for (size_t i = 0; i < dim; i++) t[i] = res->mu[i] + exp(res->omega[i]) * t[i];
  }
}

enum vi_status vi_advi_draw(const struct vi_advi_result *res, const struct vi_density *den,
                            uint64_t seed, size_t S, double *theta, double *log_p,
                            double *log_q, struct vi_diags *d) {
  if (res->flow) return vi_flowfit_draw(res->flow, den, seed, S, theta, log_p, log_q, d);
  size_t dim = res->dim;
  struct vi_arena a;
  vi_arena_init(&a);
  int lowrank = res->B != NULL;
  size_t rk = lowrank ? (size_t)res->rank : 0;
  int balanced = !lowrank && dim > 0 && dim <= DRAW_BALANCE_MAX_DIM && S >= 2 * dim && S % 2 == 0 &&
                 S <= (size_t)INT_MAX;
  double *eta = vi_arena_array(&a, dim + rk, sizeof *eta);
  double *phi = lowrank ? vi_arena_array(&a, dim * (2 + rk), sizeof *phi) : NULL;
  double *scr = lowrank ? vi_arena_array(&a, rk * rk + dim * rk, sizeof *scr) : NULL;
  double *gram = balanced ? vi_arena_array(&a, dim * dim, sizeof *gram) : NULL;
  if (!eta || (balanced && !gram) || (lowrank && (!phi || !scr))) {
    vi_arena_free(&a);
    vi_error(d, noloc(), "out of memory while drawing from the approximation");
    return VI_ERR_NOMEM;
  }
  struct vi_rng r;
  vi_rng_seed(&r, seed, STREAM_DRAWS);
  if (balanced) {
    /* antithetic pairs whitened to an exact zero mean and identity second
     * moment (as the fixed draws of dadvi), in random order: summaries of
     * the approximation then carry much less Monte Carlo noise */
    vi_draws_standard(&r, theta, dim, 0, (int)S, gram);
    for (size_t s = S - 1; s > 0; s--) {
      size_t k = (size_t)(vi_rng_uniform(&r) * (double)(s + 1));
      if (k > s) k = s;
      if (k == s) continue;
      memcpy(eta, theta + s * dim, dim * sizeof *eta);
      memcpy(theta + s * dim, theta + k * dim, dim * sizeof *eta);
      memcpy(theta + k * dim, eta, dim * sizeof *eta);
    }
  }
  struct vi_q q;
  if (lowrank) { /* the family's own draw and log q */
    memcpy(phi, res->mu, dim * sizeof *phi);
    memcpy(phi + dim, res->omega, dim * sizeof *phi);
    memcpy(phi + 2 * dim, res->B, dim * rk * sizeof *phi);
    vi_q_init(&q, VI_FAMILY_LOWRANK, dim, rk, phi, scr);
    q.pool = den->pool;
    vi_q_prepare(&q);
    /* noise of dim + rk values: balanced (antithetic, whitened, shuffled) as
     * for the other families when it is small enough */
    size_t nz = dim + rk;
    int bal = nz <= DRAW_BALANCE_MAX_DIM && S >= 2 * nz && S % 2 == 0 && S <= (size_t)INT_MAX;
    double *noise = bal ? vi_arena_array(&a, S * nz, sizeof *noise) : NULL;
    double *g2 = bal ? vi_arena_array(&a, nz * nz, sizeof *g2) : NULL;
    if (bal && (!noise || !g2)) bal = 0;
    if (bal) {
      vi_draws_standard(&r, noise, nz, 0, (int)S, g2);
      for (size_t s = S - 1; s > 0; s--) {
        size_t k = (size_t)(vi_rng_uniform(&r) * (double)(s + 1));
        if (k > s) k = s;
        if (k == s) continue;
        memcpy(eta, noise + s * nz, nz * sizeof *eta);
        memcpy(noise + s * nz, noise + k * nz, nz * sizeof *eta);
        memcpy(noise + k * nz, eta, nz * sizeof *eta);
      }
    }
    /* the noise in draw order (one stream), then each draw's transform and
     * log q on the threads: the same bits for any number of threads */
    double *all = bal ? noise : vi_arena_array(&a, S * nz, sizeof *all);
    int nw = den->pool ? vi_pool_size(den->pool) : 1;
    double *works = vi_arena_array(&a, (size_t)nw * (dim + rk), sizeof *works);
    if (!all || !works) {
      vi_arena_free(&a);
      vi_error(d, noloc(), "out of memory while drawing from the approximation");
      return VI_ERR_NOMEM;
    }
    if (!bal)
      for (size_t k = 0; k < S * nz; k++) all[k] = vi_rng_normal(&r);
    struct lrdraws job = {&q, all, nz, theta, log_q, works, dim + rk};
    if (den->pool && S > 1) vi_pool_run(den->pool, S, lr_draw_task, &job);
    else
      for (size_t s = 0; s < S; s++) lr_draw_task(&job, s, 0);
    for (size_t s = 0; log_p && !den->logp_grad_batch && s < S; s++) {
      double lp;
      if (den->logp_grad(den->ctx, theta + s * dim, &lp, NULL) != 0 || isnan(lp)) lp = -INFINITY;
      log_p[s] = lp;
    }
    int st = log_p && den->logp_grad_batch ? batch_log_p(den, S, theta, log_p) : VI_OK;
    vi_arena_free(&a);
    return st;
  }
  double logdet = 0;
  for (size_t i = 0; i < dim; i++)
    logdet += res->L ? log(fabs(res->L[i * dim + i])) : res->omega[i];
  struct gdraws gj = {res, theta};
  /* the noise in draw order into theta, then each draw's transform (in
   * place) on the threads */
  for (size_t s = 0; s < S; s++) {
    double *t = theta + s * dim, ss = 0;
    for (size_t i = 0; i < dim; i++) {
      if (!balanced) t[i] = vi_rng_normal(&r);
      ss += t[i] * t[i];
    }
    if (log_q) log_q[s] = -0.5 * ss - 0.5 * (double)dim * VI_LOG_2PI - logdet;
  }
  if (den->pool && S > 1) vi_pool_run(den->pool, S, gauss_draw_task, &gj);
  else
    for (size_t s = 0; s < S; s++) gauss_draw_task(&gj, s, 0);
  for (size_t s = 0; log_p && !den->logp_grad_batch && s < S; s++) {
    double lp;
    if (den->logp_grad(den->ctx, theta + s * dim, &lp, NULL) != 0 || isnan(lp)) lp = -INFINITY; /* value only */
    log_p[s] = lp;
  }
  if (log_p && den->logp_grad_batch && batch_log_p(den, S, theta, log_p)) {
    vi_arena_free(&a);
    return VI_ERR_NOMEM;
  }
  vi_arena_free(&a);
  return VI_OK;
}
