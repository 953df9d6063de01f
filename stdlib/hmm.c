/* hmm.c: hidden Markov models: hmm_marginal, the log marginal density of
 * N observations summed over the hidden states by the forward algorithm.
 *
 * hmm_marginal(log_omega, Gamma, rho): log_omega (K x N) holds
 * log p(y_n | state k), Gamma (K x K) the transition probabilities (row i:
 * from state i, a simplex), rho (K) the initial distribution (a simplex).
 * Forward, scaled: a_1 = w_1 o rho, a_n = w_n o (Gamma' â_{n-1}),
 * s_n = sum a_n, â_n = a_n / s_n, with w_n = exp(log_omega_n - max log_omega_n);
 * y = sum_n (log s_n + max log_omega_n).
 * Backward (scaled): b_N = 1, b_n = Gamma (w_{n+1} o b_{n+1}) / s_{n+1};
 *   d log_omega_kn += ȳ â_kn b_kn   (the posterior state probabilities)
 *   dGamma_ij += ȳ sum_{n>=2} â_{i,n-1} w_jn b_jn / s_n
 *   drho_k += ȳ w_k1 b_k1 / s_1 */
#include <math.h>
#include <string.h>

#include "lib.h"

/* i[0] = K, i[1] = N; aux: â (K N), w (K N), s (N), b (2 K) scratch. */
int vi_k_hmm_fwd(struct vi_node *n) {
  int K = n->i[0], N = n->i[1];
  const double *lo = n->a[0].x, *G = n->a[1].x, *rho = n->a[2].x;
  /* the simplex checks (Stan's tolerance 1e-8) */
  for (int i = 0; i < K; i++) {
    double t = 0;
    for (int j = 0; j < K; j++) {
      double g = G[i + (size_t)j * K];
      if (!(g >= 0)) return vi_node_fail(n, "Gamma[%d, %d] is %.17g, must be nonnegative", i + 1, j + 1, g);
      t += g;
    }
    if (!(fabs(t - 1) <= 1e-8)) return vi_node_fail(n, "Gamma[%d] is not a valid simplex: sum is %.17g", i + 1, t);
  }
  double t = 0;
  for (int k = 0; k < K; k++) {
    if (!(rho[k] >= 0)) return vi_node_fail(n, "rho[%d] is %.17g, must be nonnegative", k + 1, rho[k]);
    t += rho[k];
  }
  if (!(fabs(t - 1) <= 1e-8)) return vi_node_fail(n, "rho is not a valid simplex: sum is %.17g", t);
  if (N == 0) {
    n->y[0] = 0;
    return 0;
  }
  size_t KN = (size_t)K * N;
  double *ah = n->aux, *w = ah + KN, *s = w + KN;
  double lp = 0;
  for (int c = 0; c < N; c++) {
    const double *l = lo + (size_t)c * K;
    double m = -INFINITY;
    for (int k = 0; k < K; k++) {
      if (isnan(l[k]) || l[k] == INFINITY)
        return vi_node_fail(n, "log_omega[%d, %d] is %.17g, must be finite or -inf", k + 1, c + 1, l[k]);
      m = fmax(m, l[k]);
    }
    if (m == -INFINITY) {
      n->y[0] = -INFINITY; /* an observation impossible in every state */
      return 0;
    }
    double *wc = w + (size_t)c * K, *a = ah + (size_t)c * K, sum = 0;
    for (int k = 0; k < K; k++) wc[k] = exp(l[k] - m);
    for (int k = 0; k < K; k++) {
      double p = 0;
      if (c == 0) p = rho[k];
      else
        for (int i = 0; i < K; i++) p += G[i + (size_t)k * K] * ah[(size_t)(c - 1) * K + i];
      a[k] = wc[k] * p;
      sum += a[k];
    }
    s[c] = sum;
    if (!(sum > 0)) {
      n->y[0] = -INFINITY;
      return 0;
    }
    for (int k = 0; k < K; k++) a[k] /= sum;
    lp += log(sum) + m;
  }
  n->y[0] = lp;
  return 0;
}

void vi_k_hmm_bwd(struct vi_node *n) {
  int K = n->i[0], N = n->i[1];
  if (N == 0 || !isfinite(n->y[0])) return;
  size_t KN = (size_t)K * N;
  const double *G = n->a[1].x, *ah = n->aux, *w = ah + KN, *s = w + KN;
  double *b = n->aux + 2 * KN + N, *bn = b + K, g = n->dy[0];
  double *dlo = n->a[0].dx, *dG = n->a[1].dx, *drho = n->a[2].dx;
  for (int k = 0; k < K; k++) b[k] = 1;
  for (int c = N - 1; c >= 0; c--) {
    const double *wc = w + (size_t)c * K, *a = ah + (size_t)c * K;
    if (dlo)
      for (int k = 0; k < K; k++) dlo[(size_t)c * K + k] += g * a[k] * b[k];
    if (c == 0) {
      if (drho)
        for (int k = 0; k < K; k++) drho[k] += g * wc[k] * b[k] / s[0];
      break;
    }
    const double *ap = ah + (size_t)(c - 1) * K;
    if (dG)
      for (int j = 0; j < K; j++)
        for (int i = 0; i < K; i++) dG[i + (size_t)j * K] += g * ap[i] * wc[j] * b[j] / s[c];
    for (int i = 0; i < K; i++) {
      double t = 0;
      for (int j = 0; j < K; j++) t += G[i + (size_t)j * K] * wc[j] * b[j];
      bn[i] = t / s[c];
    }
    memcpy(b, bn, (size_t)K * sizeof *b);
  }
}

static int fn_hmm_marginal(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                           struct vi_srcloc loc) {
  const char *f = "hmm_marginal";
  for (int k = 0; k < 3; k++)
    if (vi_val_contig(c, &args[k], loc)) return VI_ERR_EVAL;
  int K = vi_val_rows(&args[0]), N = vi_val_cols(&args[0]);
  if (vi_val_rows(&args[1]) != K || vi_val_cols(&args[1]) != K)
    return vi_ctx_error(c, loc, "%s: Gamma must be %d x %d (the rows of log_omega), not %d x %d", f, K, K,
                        vi_val_rows(&args[1]), vi_val_cols(&args[1]));
  if (args[2].n != (size_t)K)
    return vi_ctx_error(c, loc, "%s: size of rho (%zu) does not match the rows of log_omega (%d)", f, args[2].n, K);
  memset(out, 0, sizeof *out);
  vi_val_set_shape(out, vi_ty(VI_T_REAL, 0), NULL);
  struct vi_node *n = vi_node_new(c, VI_OPDEF(HMM_MARGINAL), 3, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  n->fname = f;
  n->i[0] = K;
  n->i[1] = N;
  for (int k = 0; k < 3; k++) vi_node_arg(n, k, &args[k]);
  if (vi_node_aux(c, n, 2 * (size_t)K * N + (size_t)N + 2 * (size_t)K)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

VI_RULE(hmm_marginal, {3, {M_, M_, V_}, R_})

/* The hidden Markov model functions. */
const struct vi_func vi_stdlib_hmm[] = {
    {"hmm_marginal", rule_hmm_marginal, fn_hmm_marginal, "(matrix, matrix, vector) => real", 0,
     "m3x5[-3,1],stoch3,simplex3; m2x1[-2,0],stoch2,simplex2; m4x6[-4,0],d:stoch4,simplex4; m2x7[-2,1],stoch2,d:simplex2;"
     "!m3x4[-2,0],m3x3[0.1,0.2],simplex3; !m3x4[-2,0],stoch2,simplex2"},
};
const size_t vi_stdlib_hmm_n = VI_COUNTOF(vi_stdlib_hmm);
