/* family.c: the rows of the variational-family table (include/vi/family.h).
 * Each row's arithmetic is written once here; the fits only call it. */
#include "vi/family.h"
#include "vi/pool.h"

#include <math.h>
#include <string.h>

/* ---- mean-field: phi = (mu, omega) */

static size_t mf_nparams(size_t d, size_t r) {
  (void)r;
  return d > (size_t)-1 / 2 ? (size_t)-1 : 2 * d;
}

static size_t no_scratch(size_t d, size_t r) {
  (void)d, (void)r;
  return 0;
}

static void mf_reset(struct vi_q *q, const double *mu) {
  memcpy(q->phi, mu, q->dim * sizeof *mu);
  memset(q->phi + q->dim, 0, q->dim * sizeof *mu);
}

static void mf_draw(const struct vi_q *q, const double *eta, double *theta) {
  size_t d = q->dim;
  const double *mu = q->phi, *om = q->phi + d;
  for (size_t i = 0; i < d; i++) theta[i] = mu[i] + exp(om[i]) * eta[i];
}

static void mf_pull_rows(const struct vi_q *q, const double *eta, const double *g, double *acc, size_t i0,
                         size_t i1) {
  size_t d = q->dim;
  for (size_t i = i0; i < i1; i++) acc[i] += g[i];
  for (size_t i = i0; i < i1; i++) acc[d + i] += g[i] * eta[i];
}

/* d/d omega_i: E[g_i eta_i] e^omega_i (chain rule) + 1 (entropy) */
static void mf_finish(const struct vi_q *q, double n, double *acc) {
  size_t d = q->dim;
  const double *om = q->phi + d;
  for (size_t k = 0; k < 2 * d; k++) acc[k] /= n;
  for (size_t k = 0; k < d; k++) acc[d + k] = acc[d + k] * exp(om[k]) + 1;
}

static double mf_log_det(const struct vi_q *q) {
  double h = 0;
  for (size_t i = 0; i < q->dim; i++) h += q->phi[q->dim + i];
  return h;
}

static double mf_entropy(const struct vi_q *q) {
  double h = 0.5 * (double)q->dim * (1 + VI_LOG_2PI);
  for (size_t i = 0; i < q->dim; i++) h += q->phi[q->dim + i];
  return h;
}

/* d log q / d theta = -(theta - mu) / s^2 = -eta / s */
static void mf_score(const struct vi_q *q, const double *eta, double *gq) {
  for (size_t i = 0; i < q->dim; i++) gq[i] = -eta[i] * exp(-q->phi[q->dim + i]);
}

static void mf_entropy_grad_sub(const struct vi_q *q, double *acc) {
  for (size_t i = 0; i < q->dim; i++) acc[q->dim + i] -= 1;
}

/* ---- full rank, Stan's parameterisation: phi = (mu, L[d*d]) */

static size_t fr_nparams(size_t d, size_t r) {
  (void)r;
  if (d && d > ((size_t)-1 - d) / d) return (size_t)-1;
  return d + d * d;
}

static void fr_reset(struct vi_q *q, const double *mu) {
  size_t d = q->dim;
  memcpy(q->phi, mu, d * sizeof *mu);
  memset(q->phi + d, 0, d * d * sizeof *mu);
  for (size_t i = 0; i < d; i++) q->phi[d + i * d + i] = 1;
}

static void fr_draw(const struct vi_q *q, const double *eta, double *theta) {
  size_t d = q->dim;
  const double *L = q->phi + d;
  for (size_t i = 0; i < d; i++) {
    double s = q->phi[i];
    for (size_t j = 0; j <= i; j++) s += L[i * d + j] * eta[j];
    theta[i] = s;
  }
}

static void fr_pull_rows(const struct vi_q *q, const double *eta, const double *g, double *acc, size_t i0,
                         size_t i1) {
  size_t d = q->dim;
  for (size_t k = i0; k < i1; k++) acc[k] += g[k];
  for (size_t r = i0; r < i1; r++)
    for (size_t c = 0; c <= r; c++) acc[d + r * d + c] += g[r] * eta[c];
}

/* d/dL_rc: E[g_r eta_c]; the entropy adds 1 / L_kk on the diagonal */
static void fr_finish(const struct vi_q *q, double n, double *acc) {
  size_t d = q->dim;
  for (size_t k = 0; k < q->npar; k++) acc[k] /= n;
  for (size_t k = 0; k < d; k++) acc[d + k * d + k] += 1 / q->phi[d + k * d + k];
}

static double fr_log_det(const struct vi_q *q) {
  double h = 0;
  for (size_t i = 0; i < q->dim; i++) h += log(fabs(q->phi[q->dim + i * q->dim + i]));
  return h;
}

static double fr_entropy(const struct vi_q *q) {
  double h = 0.5 * (double)q->dim * (1 + VI_LOG_2PI);
  for (size_t i = 0; i < q->dim; i++) h += log(fabs(q->phi[q->dim + i * q->dim + i]));
  return h;
}

/* d log q / d theta = -Sigma^{-1} (theta - mu) = -L^{-T} eta (back substitution) */
static void fr_score(const struct vi_q *q, const double *eta, double *gq) {
  size_t d = q->dim;
  const double *L = q->phi + d;
  for (size_t i = d; i-- > 0;) {
    double t = eta[i];
    for (size_t k = i + 1; k < d; k++) t -= L[k * d + i] * gq[k];
    gq[i] = t / L[i * d + i];
  }
  for (size_t i = 0; i < d; i++) gq[i] = -gq[i];
}

static void fr_entropy_grad_sub(const struct vi_q *q, double *acc) {
  size_t d = q->dim;
  for (size_t k = 0; k < d; k++) acc[d + k * d + k] -= 1 / q->phi[d + k * d + k];
}

/* ---- full rank, log-diagonal Cholesky: phi = (mu, lambda, strict lower
 * triangle); scratch holds the unpacked L (d*d) */

static size_t ch_nparams(size_t d, size_t r) {
  (void)r;
  if (d && d > (size_t)-1 / d) return (size_t)-1;
  return 2 * d + d * (d - (d > 0)) / 2;
}

static size_t ch_nscratch(size_t d, size_t r) {
  (void)r;
  return d && d > (size_t)-1 / d ? (size_t)-1 : d * d;
}

static void ch_reset(struct vi_q *q, const double *mu) {
  memcpy(q->phi, mu, q->dim * sizeof *mu);
  memset(q->phi + q->dim, 0, (q->npar - q->dim) * sizeof *mu);
}

static void ch_prepare(struct vi_q *q) {
  size_t d = q->dim;
  const double *off = q->phi + 2 * d;
  double *L = q->scratch;
  memset(L, 0, d * d * sizeof *L);
  for (size_t i = 0; i < d; i++) {
    for (size_t j = 0; j < i; j++) L[i * d + j] = *off++;
    L[i * d + i] = exp(q->phi[d + i]);
  }
}

static void ch_draw(const struct vi_q *q, const double *eta, double *theta) {
  size_t d = q->dim;
  const double *L = q->scratch;
  for (size_t i = 0; i < d; i++) {
    double t = q->phi[i];
    for (size_t j = 0; j <= i; j++) t += L[i * d + j] * eta[j];
    theta[i] = t;
  }
}

static void ch_pull_rows(const struct vi_q *q, const double *eta, const double *g, double *acc, size_t i0,
                         size_t i1) {
  size_t d = q->dim;
  double *off = acc + 2 * d + (i0 ? i0 * (i0 - 1) / 2 : 0); /* row i's i entries start at i (i - 1) / 2 */
  for (size_t i = i0; i < i1; i++) {
    acc[i] += g[i];
    for (size_t j = 0; j < i; j++) *off++ += g[i] * eta[j];
    acc[d + i] += g[i] * eta[i];
  }
}

/* d/dlambda_i: E[g_i eta_i] L_ii + 1 (entropy) */
static void ch_finish(const struct vi_q *q, double n, double *acc) {
  size_t d = q->dim;
  for (size_t k = 0; k < q->npar; k++) acc[k] /= n;
  for (size_t i = 0; i < d; i++) acc[d + i] = acc[d + i] * q->scratch[i * d + i] + 1;
}

static double ch_log_det(const struct vi_q *q) { return mf_log_det(q); }

static double ch_entropy(const struct vi_q *q) { return mf_entropy(q); }

/* ---- low rank plus diagonal: phi = (mu, omega, B[d*r]); Sigma = D + B B^T,
 * D = diag(s^2), s = exp(omega). With W = D^{-1/2} B and K = I + W^T W
 * (r x r), log det Sigma = 2 sum omega + log det K, Sigma^{-1} B = D^{-1} B
 * K^{-1}, and s_i^2 (Sigma^{-1})_ii = 1 - (W K^{-1} W^T)_ii. scratch: the
 * Cholesky factor of K (r*r), then W K^{-1} (d*r). */

static size_t lr_nparams(size_t d, size_t r) {
  if (r && d > ((size_t)-1 / r - 2)) return (size_t)-1;
  return d * (2 + r);
}

static size_t lr_nscratch(size_t d, size_t r) {
  if (r && d > ((size_t)-1 / r - r)) return (size_t)-1;
  return r * r + d * r;
}

static void lr_reset(struct vi_q *q, const double *mu) {
  memcpy(q->phi, mu, q->dim * sizeof *mu);
  memset(q->phi + q->dim, 0, (q->npar - q->dim) * sizeof *mu);
}

/* K = I + W^T W factored (R R^T, lower), then V = W K^{-1} row by row.
 * With a pool: the weights exp(-2 omega_i) (kept in V's storage until the
 * solves), K's rows and the solves' row blocks run as tasks; every entry is
 * summed over i in the same order, so the bits do not depend on threads. */
enum { LR_ROWS_TASK = 256 };

static void lr_weights_task(void *ctx, size_t t, int worker) {
  (void)worker;
  struct vi_q *q = ctx;
  size_t d = q->dim, i0 = t * LR_ROWS_TASK, i1 = i0 + LR_ROWS_TASK < d ? i0 + LR_ROWS_TASK : d;
  double *w = q->scratch + q->rank * q->rank;
  for (size_t i = i0; i < i1; i++) w[i] = exp(-2 * q->phi[d + i]);
}

static void lr_k_row_task(void *ctx, size_t a, int worker) {
  (void)worker;
  struct vi_q *q = ctx;
  size_t d = q->dim, r = q->rank;
  const double *B = q->phi + 2 * d, *w = q->scratch + r * r;
  double *Ra = q->scratch + a * r;
  for (size_t b = 0; b <= a; b++) Ra[b] = a == b ? 1 : 0;
  for (size_t i = 0; i < d; i++) {
    const double *Bi = B + i * r;
    for (size_t b = 0; b <= a; b++) Ra[b] += Bi[a] * Bi[b] * w[i];
  }
}

static void lr_solve_task(void *ctx, size_t t, int worker) {
  (void)worker;
  struct vi_q *q = ctx;
  size_t d = q->dim, r = q->rank, i0 = t * LR_ROWS_TASK, i1 = i0 + LR_ROWS_TASK < d ? i0 + LR_ROWS_TASK : d;
  const double *om = q->phi + d, *B = q->phi + 2 * d, *R = q->scratch;
  double *V = q->scratch + r * r;
  for (size_t i = i0; i < i1; i++) { /* V_i = K^{-1} W_i: solve R y = W_i, R^T v = y */
    double *v = V + i * r, e = exp(-om[i]);
    for (size_t a = 0; a < r; a++) {
      double t2 = B[i * r + a] * e;
      for (size_t k = 0; k < a; k++) t2 -= R[a * r + k] * v[k];
      v[a] = t2 / R[a * r + a];
    }
    for (size_t a = r; a-- > 0;) {
      double t2 = v[a];
      for (size_t k = a + 1; k < r; k++) t2 -= R[k * r + a] * v[k];
      v[a] = t2 / R[a * r + a];
    }
  }
}

static void lr_run(struct vi_q *q, size_t n, vi_pool_fn fn) {
  if (q->pool && n > 1) vi_pool_run(q->pool, n, fn, q);
  else
    for (size_t t = 0; t < n; t++) fn(q, t, 0);
}

static void lr_prepare(struct vi_q *q) {
  size_t d = q->dim, r = q->rank, blocks = (d + LR_ROWS_TASK - 1) / LR_ROWS_TASK;
  double *R = q->scratch;
  if (!r) return;
  /* the weights need d values of V's d * r: the solves overwrite them after K */
  lr_run(q, blocks, lr_weights_task);
  lr_run(q, r, lr_k_row_task); /* K = I + B^T D^-2 B (lower triangle) */
  for (size_t j = 0; j < r; j++) { /* Cholesky in place (K is >= I: positive definite) */
    double t = R[j * r + j];
    for (size_t k = 0; k < j; k++) t -= R[j * r + k] * R[j * r + k];
    R[j * r + j] = sqrt(t);
    for (size_t i = j + 1; i < r; i++) {
      double u = R[i * r + j];
      for (size_t k = 0; k < j; k++) u -= R[i * r + k] * R[j * r + k];
      R[i * r + j] = u / R[j * r + j];
    }
    for (size_t k = j + 1; k < r; k++) R[j * r + k] = 0;
  }
  lr_run(q, blocks, lr_solve_task);
}

static void lr_draw(const struct vi_q *q, const double *eta, double *theta) {
  size_t d = q->dim, r = q->rank;
  const double *om = q->phi + d, *B = q->phi + 2 * d, *e2 = eta + d;
  for (size_t i = 0; i < d; i++) {
    double t = q->phi[i] + exp(om[i]) * eta[i];
    for (size_t k = 0; k < r; k++) t += B[i * r + k] * e2[k];
    theta[i] = t;
  }
}

static void lr_pull_rows(const struct vi_q *q, const double *eta, const double *g, double *acc, size_t i0,
                         size_t i1) {
  size_t d = q->dim, r = q->rank;
  double *aB = acc + 2 * d;
  for (size_t i = i0; i < i1; i++) {
    acc[i] += g[i];
    acc[d + i] += g[i] * eta[i];
    for (size_t k = 0; k < r; k++) aB[i * r + k] += g[i] * eta[d + k];
  }
}

/* entropy gradient: d/domega_i = 1 - (W K^{-1} W^T)_ii, d/dB = D^{-1} B K^{-1}
 * = D^{-1/2} V */
static void lr_finish(const struct vi_q *q, double n, double *acc) {
  size_t d = q->dim, r = q->rank;
  const double *om = q->phi + d, *B = q->phi + 2 * d, *V = q->scratch + r * r;
  for (size_t k = 0; k < q->npar; k++) acc[k] /= n;
  for (size_t i = 0; i < d; i++) {
    double e = exp(-om[i]), wv = 0;
    for (size_t k = 0; k < r; k++) {
      wv += B[i * r + k] * e * V[i * r + k];
      acc[2 * d + i * r + k] += e * V[i * r + k];
    }
    acc[d + i] = acc[d + i] * exp(om[i]) + 1 - wv;
  }
}

/* log |det Sigma|^{1/2} = sum omega + sum log diag R */
static double lr_log_det(const struct vi_q *q) {
  double h = mf_log_det(q);
  for (size_t a = 0; a < q->rank; a++) h += log(q->scratch[a * q->rank + a]);
  return h;
}

static double lr_entropy(const struct vi_q *q) {
  return 0.5 * (double)q->dim * (1 + VI_LOG_2PI) + lr_log_det(q);
}

double vi_q_lowrank_log_q(const struct vi_q *q, const double *theta, double *x) {
  /* (theta - mu)^T Sigma^{-1} (theta - mu) = |D^{-1/2} x|^2 - |R^{-1} W^T D^{-1/2} x|^2 */
  size_t d = q->dim, r = q->rank;
  const double *om = q->phi + d, *B = q->phi + 2 * d, *R = q->scratch;
  double quad = 0;
  for (size_t i = 0; i < d; i++) {
    x[i] = (theta[i] - q->phi[i]) * exp(-om[i]);
    quad += x[i] * x[i];
  }
  double *t = x + d; /* r more values of the caller's work */
  for (size_t a = 0; a < r; a++) {
    double u = 0;
    for (size_t i = 0; i < d; i++) u += B[i * r + a] * exp(-om[i]) * x[i];
    for (size_t k = 0; k < a; k++) u -= R[a * r + k] * t[k];
    t[a] = u / R[a * r + a];
    quad -= t[a] * t[a];
  }
  return -0.5 * quad - 0.5 * (double)d * VI_LOG_2PI - lr_log_det(q);
}

/* pull of the families that pull row by row: every row */
static void rows_pull(const struct vi_q *q, const double *eta, const double *g, double *acc) {
  q->fam->pull_rows(q, eta, g, acc, 0, q->dim);
}

const struct vi_family vi_families[VI_FAMILY_COUNT] = {
    [VI_FAMILY_MEANFIELD] = {"meanfield", mf_nparams, no_scratch, mf_reset, NULL, mf_draw,
                             rows_pull, mf_finish, mf_log_det, mf_entropy, mf_score,
                             mf_entropy_grad_sub, mf_pull_rows},
    [VI_FAMILY_FULLRANK] = {"fullrank", fr_nparams, no_scratch, fr_reset, NULL, fr_draw,
                            rows_pull, fr_finish, fr_log_det, fr_entropy, fr_score,
                            fr_entropy_grad_sub, fr_pull_rows},
    [VI_FAMILY_CHOLESKY] = {"cholesky", ch_nparams, ch_nscratch, ch_reset, ch_prepare, ch_draw,
                            rows_pull, ch_finish, ch_log_det, ch_entropy, NULL, NULL, ch_pull_rows},
    [VI_FAMILY_LOWRANK] = {"lowrank", lr_nparams, lr_nscratch, lr_reset, lr_prepare, lr_draw,
                           rows_pull, lr_finish, lr_log_det, lr_entropy, NULL, NULL, lr_pull_rows},
};

size_t vi_family_nparams(enum vi_family_id id, size_t dim, size_t rank) {
  return vi_families[id].nparams(dim, rank);
}

size_t vi_family_nscratch(enum vi_family_id id, size_t dim, size_t rank) {
  return vi_families[id].nscratch(dim, rank);
}

void vi_q_init(struct vi_q *q, enum vi_family_id id, size_t dim, size_t rank, double *phi,
               double *scratch) {
  q->fam = &vi_families[id];
  q->dim = dim;
  q->rank = rank;
  q->noise = id == VI_FAMILY_LOWRANK ? dim + rank : dim;
  q->npar = q->fam->nparams(dim, rank);
  q->phi = phi;
  q->scratch = scratch;
  q->pool = NULL;
}

/* ---- batches over a pool ---- */

enum { PULL_ROWS_TASK = 256 }; /* coordinates a pull task handles */

struct qbatch {
  const struct vi_q *q;
  size_t M;
  const double *eta, *g;
  double *out; /* theta (draw) or acc (pull) */
};

static void draw_task(void *ctx, size_t m, int worker) {
  (void)worker;
  const struct qbatch *b = ctx;
  vi_q_draw(b->q, b->eta + m * b->q->noise, b->out + m * b->q->dim);
}

/* rows [t * PULL_ROWS_TASK, ...) of every draw, in draw order */
static void pull_task(void *ctx, size_t t, int worker) {
  (void)worker;
  const struct qbatch *b = ctx;
  size_t d = b->q->dim, i0 = t * PULL_ROWS_TASK, i1 = i0 + PULL_ROWS_TASK < d ? i0 + PULL_ROWS_TASK : d;
  for (size_t m = 0; m < b->M; m++)
    b->q->fam->pull_rows(b->q, b->eta + m * b->q->noise, b->g + m * d, b->out, i0, i1);
}

void vi_q_draw_batch(const struct vi_q *q, struct vi_pool *pool, size_t M, const double *eta, double *theta) {
  struct qbatch b = {q, M, eta, NULL, theta};
  if (pool && M > 1) {
    vi_pool_run(pool, M, draw_task, &b);
    return;
  }
  for (size_t m = 0; m < M; m++) draw_task(&b, m, 0);
}

void vi_q_pull_batch(const struct vi_q *q, struct vi_pool *pool, size_t M, const double *eta, const double *g,
                     double *acc) {
  if (!q->fam->pull_rows) {
    for (size_t m = 0; m < M; m++) vi_q_pull(q, eta + m * q->noise, g + m * q->dim, acc);
    return;
  }
  struct qbatch b = {q, M, eta, g, acc};
  size_t tasks = (q->dim + PULL_ROWS_TASK - 1) / PULL_ROWS_TASK;
  if (pool && tasks > 1) {
    vi_pool_run(pool, tasks, pull_task, &b);
    return;
  }
  for (size_t t = 0; t < tasks; t++) pull_task(&b, t, 0);
}
