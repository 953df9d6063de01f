/* lr.c: Lanczos and conjugate gradients over a Hessian-vector product, for
 * linear-response covariances of models too large for a dense Hessian (see
 * include/vi/lr.h). */
#include "vi/lr.h"

#include <math.h>
#include <string.h>

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

void vi_lr_sym_eigen(double *T, size_t k, double *w, double *Q) {
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) Q[i * k + j] = i == j;
  double scale = 0;
  for (size_t i = 0; i < k * k; i++) scale += T[i] * T[i];
  for (int sweep = 0; sweep < 60; sweep++) {
    double off = 0;
    for (size_t p = 0; p < k; p++)
      for (size_t q = p + 1; q < k; q++) off += T[p * k + q] * T[p * k + q];
    if (off <= 1e-30 * scale) break;
    for (size_t p = 0; p < k; p++)
      for (size_t q = p + 1; q < k; q++) {
        double apq = T[p * k + q];
        if (fabs(apq) < 1e-300) continue;
        /* the rotation that zeroes T[p][q]: tan of the angle t solves
         * t^2 + 2 theta t - 1 = 0, theta = (a_qq - a_pp) / (2 a_pq), the
         * smaller root */
        double theta = (T[q * k + q] - T[p * k + p]) / (2 * apq);
        double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        double c = 1 / sqrt(t * t + 1), s = t * c;
        for (size_t r = 0; r < k; r++) { /* T = T G (columns p, q) */
          double a = T[r * k + p], b = T[r * k + q];
          T[r * k + p] = c * a - s * b;
          T[r * k + q] = s * a + c * b;
        }
        for (size_t r = 0; r < k; r++) { /* T = G^T T (rows p, q) */
          double a = T[p * k + r], b = T[q * k + r];
          T[p * k + r] = c * a - s * b;
          T[q * k + r] = s * a + c * b;
        }
        for (size_t r = 0; r < k; r++) {
          double a = Q[r * k + p], b = Q[r * k + q];
          Q[r * k + p] = c * a - s * b;
          Q[r * k + q] = s * a + c * b;
        }
      }
  }
  for (size_t i = 0; i < k; i++) w[i] = T[i * k + i];
  /* ascending, eigenvectors alongside (selection sort: k is small) */
  for (size_t i = 0; i < k; i++) {
    size_t m = i;
    for (size_t j = i + 1; j < k; j++)
      if (w[j] < w[m]) m = j;
    if (m == i) continue;
    double t = w[i];
    w[i] = w[m];
    w[m] = t;
    for (size_t r = 0; r < k; r++) {
      t = Q[r * k + i];
      Q[r * k + i] = Q[r * k + m];
      Q[r * k + m] = t;
    }
  }
}

int vi_lr_lanczos(size_t d, vi_lr_apply_fn apply, void *ctx, const double *v0, int kmax,
                  double rtol, double gap, double *lam, double *U, int *nout,
                  struct vi_arena *work) {
  *nout = 0;
  if (d == 0 || kmax <= 0) return 0;
  if ((size_t)kmax > d) kmax = (int)d;
  size_t K = (size_t)kmax;
  struct vi_arena_mark mk = vi_arena_save(work);
  double *V = vi_arena_array(work, (K + 1) * d, sizeof *V); /* Lanczos vectors, row j at V + j d */
  double *alpha = vi_arena_array(work, K, sizeof *alpha);
  double *beta = vi_arena_array(work, K + 1, sizeof *beta);
  double *T = vi_arena_array(work, K * K, sizeof *T);
  double *Q = vi_arena_array(work, K * K, sizeof *Q);
  double *w = vi_arena_array(work, K, sizeof *w);
  int applied = 0;
  if (!V || !alpha || !beta || !T || !Q || !w) goto fail;
  double n0 = sqrt(dot(v0, v0, d));
  if (!(n0 > 0) || !isfinite(n0)) goto fail;
  for (size_t i = 0; i < d; i++) V[i] = v0[i] / n0;
  size_t k = 0;
  for (; k < K; k++) {
    double *q = V + k * d, *r = V + (k + 1) * d;
    if (apply(ctx, q, r) != 0) goto fail;
    applied++;
    alpha[k] = dot(q, r, d);
    if (!isfinite(alpha[k])) goto fail;
    /* full reorthogonalisation, twice (Gram-Schmidt against every vector) */
    for (int pass = 0; pass < 2; pass++)
      for (size_t j = 0; j <= k; j++) {
        const double *vj = V + j * d;
        double c = dot(vj, r, d);
        for (size_t i = 0; i < d; i++) r[i] -= c * vj[i];
      }
    beta[k + 1] = sqrt(dot(r, r, d));
    if (!(beta[k + 1] > 1e-10 * (fabs(alpha[k]) + 1e-300))) {
      k++; /* an invariant subspace: the Ritz pairs are exact */
      beta[k] = 0;
      break;
    }
    for (size_t i = 0; i < d; i++) r[i] /= beta[k + 1];
  }
  if (k > K) k = K;
  memset(T, 0, k * k * sizeof *T);
  for (size_t i = 0; i < k; i++) {
    T[i * k + i] = alpha[i];
    if (i + 1 < k) T[i * k + i + 1] = T[(i + 1) * k + i] = beta[i + 1];
  }
  vi_lr_sym_eigen(T, k, w, Q);
  int n = 0;
  for (size_t i = 0; i < k; i++) {
    double res = fabs(beta[k] * Q[(k - 1) * k + i]); /* |A y - theta y| */
    if (!(w[i] > 0) || !(w[i] < 1 - gap) || !(res <= rtol * (1 - w[i]))) continue;
    lam[n] = w[i];
    for (size_t j = 0; j < d; j++) {
      double s = 0;
      for (size_t l = 0; l < k; l++) s += V[l * d + j] * Q[l * k + i];
      U[j * K + (size_t)n] = s;
    }
    n++;
  }
  *nout = n;
  vi_arena_restore(work, mk);
  return applied;
fail:
  vi_arena_restore(work, mk);
  return -1;
}

int vi_lr_cg(size_t d, vi_lr_apply_fn apply, void *ctx, const double *b, double *x, double tol,
             int maxit, struct vi_arena *work) {
  struct vi_arena_mark mk = vi_arena_save(work);
  double *r = vi_arena_array(work, d ? d : 1, sizeof *r);
  double *p = vi_arena_array(work, d ? d : 1, sizeof *p);
  double *ap = vi_arena_array(work, d ? d : 1, sizeof *ap);
  int it = -1;
  if (!r || !p || !ap) goto out;
  memset(x, 0, d * sizeof *x);
  memcpy(r, b, d * sizeof *r);
  memcpy(p, b, d * sizeof *p);
  double rr = dot(r, r, d), stop = tol * tol * rr;
  for (it = 0; it < maxit && rr > stop; it++) {
    if (apply(ctx, p, ap) != 0) {
      it = -1;
      goto out;
    }
    double pap = dot(p, ap, d);
    if (!(pap > 0)) break; /* not positive definite along p: stop with what we have */
    double a = rr / pap;
    for (size_t i = 0; i < d; i++) {
      x[i] += a * p[i];
      r[i] -= a * ap[i];
    }
    double rr2 = dot(r, r, d);
    for (size_t i = 0; i < d; i++) p[i] = r[i] + rr2 / rr * p[i];
    rr = rr2;
  }
out:
  vi_arena_restore(work, mk);
  return it;
}
