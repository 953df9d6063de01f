/* test_advi.c: variational fits on analytic densities whose answer is known,
 * reproducibility, cancellation, and the Pareto k-hat diagnostic. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "vi/advi.h"
#include "vi/family.h"
#include "vi/lr.h"
#include "vi/rng.h"

#define PI 3.14159265358979323846

/* ---- analytic targets --------------------------------------------------- */

/* Gaussian with mean m and precision matrix Lam (dense, d x d). */
struct gauss {
  size_t d;
  const double *m, *lam;
};

static int gauss_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  const struct gauss *p = ctx;
  double s = 0;
  for (size_t i = 0; i < p->d; i++) {
    double gi = 0;
    for (size_t j = 0; j < p->d; j++) gi -= p->lam[i * p->d + j] * (t[j] - p->m[j]);
    g[i] = gi;
    s += 0.5 * gi * (t[i] - p->m[i]);
  }
  *lp = s;
  return 0;
}

/* Diagonal Gaussian with means m and sds s (cheap for large d). */
struct diag {
  size_t d;
  const double *m, *s;
};

static int diag_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  const struct diag *p = ctx;
  double s = 0;
  for (size_t i = 0; i < p->d; i++) {
    double z = (t[i] - p->m[i]) / p->s[i];
    s -= 0.5 * z * z;
    g[i] = -z / p->s[i];
  }
  *lp = s;
  return 0;
}

/* y = log x with x ~ Gamma(a, b): log p(y) = a y - b e^y. The Gaussian
 * ELBO a m - b e^(m + s^2/2) + log s peaks at s^2 = 1/a, m = log(a/b) - 1/(2a). */
struct lgamma_t {
  double a, b;
};

static int lgamma_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  const struct lgamma_t *p = ctx;
  double e = exp(t[0]);
  *lp = p->a * t[0] - p->b * e;
  g[0] = p->a - p->b * e;
  return 0;
}

/* Independent Student-t(nu) coordinates: heavier tails than any Gaussian. */
static int student_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  const size_t *d = ctx;
  const double nu = 2;
  double s = 0;
  for (size_t i = 0; i < *d; i++) {
    double u = 1 + t[i] * t[i] / nu;
    s -= 0.5 * (nu + 1) * log(u);
    g[i] = -(nu + 1) * t[i] / (nu * u);
  }
  *lp = s;
  return 0;
}

static struct vi_arena arena;
static struct vi_diags diags;

static void setup(void) {
  vi_arena_init(&arena);
  vi_diags_init(&diags);
}
static void teardown(void) {
  vi_arena_free(&arena);
  vi_diags_free(&diags);
}

TestSuite(advi, .init = setup, .fini = teardown);

static struct vi_advi_options opts(enum vi_algo a, uint64_t seed) {
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  o.algorithm = a;
  o.seed = seed;
  return o;
}

static double sd_of(const struct vi_advi_result *r, size_t i) { return exp(r->omega[i]); }

/* ---- diagonal Gaussian ------------------------------------------------------ */

static const double dm[3] = {1, -2, 3}, ds[3] = {0.5, 2, 10};

Test(advi, dadvi_recovers_exact_means_and_sds_of_a_diagonal_gaussian) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 7);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert(r.converged);
  for (size_t i = 0; i < 3; i++) {
    cr_assert_float_eq(r.mu[i], dm[i], 1e-6 * ds[i], "mu[%zu] = %g", i, r.mu[i]);
    cr_assert_float_eq(sd_of(&r, i), ds[i], 1e-6 * ds[i], "sd[%zu] = %g", i, sd_of(&r, i));
  }
  /* log Z of the unnormalised target = sum log(s sqrt(2 pi)) = ELBO at the exact fit */
  double logz = 0;
  for (int i = 0; i < 3; i++) logz += log(ds[i] * sqrt(2 * PI));
  cr_assert_float_eq(r.elbo, logz, 1e-9);
  cr_assert(r.grad_evals < 3000, "gradient evaluations %ld", r.grad_evals);
}

Test(advi, stan_meanfield_lands_near_the_diagonal_gaussian) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 11);
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", diags.buf);
  cr_assert(r.eta > 0);
  for (size_t i = 0; i < 3; i++) {
    cr_assert(fabs(r.mu[i] - dm[i]) < 0.25 * ds[i], "mu[%zu] = %g", i, r.mu[i]);
    cr_assert(fabs(r.omega[i] - log(ds[i])) < 0.25, "sd[%zu] = %g", i, sd_of(&r, i));
  }
}

Test(advi, stan_meanfield_reports_non_convergence_when_the_iteration_cap_is_hit) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 11);
  o.iter = 300;
  o.tol_rel_obj = 1e-9;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_MAX_ITER);
  cr_assert_not(r.converged);
  cr_assert_eq(r.iterations, 300);
  cr_assert(strstr(r.reason, "maximum of 300 iterations"), "%s", r.reason);
}

/* A unit Gaussian whose unnormalised log density carries the constant -1000,
 * so the ELBO is far from 0 and relative changes become small. */
static int offset_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  (void)ctx;
  *lp = -1000 - 0.5 * (t[0] * t[0] + t[1] * t[1]);
  g[0] = -t[0], g[1] = -t[1];
  return 0;
}

Test(advi, stan_meanfield_converges_by_relative_elbo_change) {
  struct vi_density den = {2, NULL, offset_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 3);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert(r.converged);
  /* relative changes: 1 at the first evaluation, then tiny: the (upper)
   * median of the circular buffer drops below 0.01 at the third evaluation */
  cr_assert_eq(r.iterations, 300, "%d", r.iterations);
  cr_assert(strstr(r.reason, "median relative ELBO change below tol_rel_obj = 0.01"), "%s",
            r.reason);
  cr_assert(fabs(r.elbo - (-1000 + log(2 * PI))) < 0.5, "ELBO %g", r.elbo);
}

/* ---- correlated 2-D Gaussian ----------------------------------------------- */

/* sds 1 and 2, correlation 0.8: Sigma = [1 1.6; 1.6 4]. */
static const double cm[2] = {1, -1};
static const double csig[4] = {1, 1.6, 1.6, 4};
static double clam[4];

static struct gauss corr2(void) {
  double det = csig[0] * csig[3] - csig[1] * csig[2];
  clam[0] = csig[3] / det, clam[1] = -csig[1] / det;
  clam[2] = -csig[2] / det, clam[3] = csig[0] / det;
  return (struct gauss){2, cm, clam};
}

Test(advi, dadvi_meanfield_matches_the_known_meanfield_solution_of_a_correlated_gaussian) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 5);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  for (size_t i = 0; i < 2; i++) {
    double sd = 1 / sqrt(clam[i * 2 + i]); /* 0.6 and 1.2 */
    cr_assert_float_eq(r.mu[i], cm[i], 1e-6, "mu[%zu] = %g", i, r.mu[i]);
    /* whitened draws make the fixed-draw objective exact for a Gaussian */
    cr_assert(fabs(sd_of(&r, i) / sd - 1) < 1e-6, "sd[%zu] = %g, want %g", i, sd_of(&r, i), sd);
  }
  /* the maximised objective is the mean-field ELBO: log Z - KL, with
   * KL = (sum log Lam_ii - log det Lam) / 2 */
  double ldlam = log(clam[0] * clam[3] - clam[1] * clam[2]);
  double logz = log(2 * PI) - 0.5 * ldlam;
  double kl = 0.5 * (log(clam[0]) + log(clam[3]) - ldlam);
  cr_assert_float_eq(r.elbo, logz - kl, 1e-8, "ELBO %.12g, want %.12g", r.elbo, logz - kl);
}

/* Sigma = L L^T for a row-major lower-triangular d x d L. */
static double cov_of(const double *L, size_t d, size_t i, size_t j) {
  double s = 0;
  for (size_t k = 0; k < d; k++) s += L[i * d + k] * L[j * d + k];
  return s;
}

Test(advi, dadvi_linear_response_recovers_the_exact_covariance_of_a_correlated_gaussian) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 5);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.lr_cov, 1);
  cr_assert_not_null(r.L);
  cr_assert_eq(r.L[0 * 2 + 1], 0.0, "L is lower triangular");
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 2; j++)
      cr_assert_float_eq(cov_of(r.L, 2, i, j), csig[i * 2 + j], 1e-6, "Sigma[%zu][%zu] = %g", i,
                         j, cov_of(r.L, 2, i, j));
  /* omega keeps the mean-field solution */
  cr_assert_float_eq(sd_of(&r, 0), 0.6, 1e-6);
  cr_assert_float_eq(sd_of(&r, 1), 1.2, 1e-6);
}

/* Like earnings ~ height: unscaled, correlation -0.999, sds 10000 and 150
 * (mean-field sds 33 times smaller). */
static const double um[2] = {-60000, 1300};
static const double usig[4] = {1e8, -0.999 * 1e4 * 150, -0.999 * 1e4 * 150, 22500};
static double ulam[4];

Test(advi, dadvi_is_fast_and_exact_on_an_unscaled_strongly_correlated_gaussian) {
  double det = usig[0] * usig[3] - usig[1] * usig[2];
  ulam[0] = usig[3] / det, ulam[1] = -usig[1] / det;
  ulam[2] = -usig[2] / det, ulam[3] = usig[0] / det;
  struct gauss p = {2, um, ulam};
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 3);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.draws_m, 2 * o.draws_start, "M = %d", r.draws_m);
  cr_assert(r.grad_evals < 1500, "gradient evaluations %ld", r.grad_evals);
  for (size_t i = 0; i < 2; i++) {
    double sd = sqrt(usig[i * 2 + i]);
    cr_assert(fabs(r.mu[i] - um[i]) < 1e-3 * sd, "mu[%zu] = %.9g", i, r.mu[i]);
    cr_assert(fabs(sqrt(cov_of(r.L, 2, i, i)) / sd - 1) < 1e-6, "LR sd[%zu] = %g", i,
              sqrt(cov_of(r.L, 2, i, i)));
    cr_assert(fabs(sd_of(&r, i) * sqrt(ulam[i * 2 + i]) - 1) < 1e-6, "mean-field sd[%zu] = %g",
              i, sd_of(&r, i));
  }
}

Test(advi, dadvi_draws_from_the_linear_response_gaussian_with_its_log_density) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 8);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  enum { S = 20000 };
  static double th[S * 2], lp[S], lq[S];
  cr_assert_eq(vi_advi_draw(&r, &den, 8, S, th, lp, lq, &diags), VI_OK);
  double m0 = 0, m1 = 0, c00 = 0, c01 = 0, c11 = 0;
  for (size_t s = 0; s < S; s++) {
    double a = th[2 * s] - cm[0], b = th[2 * s + 1] - cm[1];
    m0 += a, m1 += b, c00 += a * a, c01 += a * b, c11 += b * b;
    /* q is N(cm, csig), so log q = log p - log Z exactly */
    double logz = log(2 * PI) + 0.5 * log(csig[0] * csig[3] - csig[1] * csig[2]);
    cr_assert_float_eq(lq[s], lp[s] - logz, 1e-6, "log q %g at draw %zu", lq[s], s);
  }
  cr_assert(fabs(m0 / S) < 0.03 && fabs(m1 / S) < 0.06, "mean offsets %g %g", m0 / S, m1 / S);
  cr_assert(fabs(c00 / S / csig[0] - 1) < 0.05, "var0 %g", c00 / S);
  cr_assert(fabs(c11 / S / csig[3] - 1) < 0.05, "var1 %g", c11 / S);
  cr_assert(fabs(c01 / S / csig[1] - 1) < 0.05, "cov01 %g", c01 / S);
  /* and the Pareto k of an exact approximation is small */
  cr_assert(vi_psis_khat(lp, lq, S) < 0.5);
}

Test(advi, dadvi_without_lr_draws_reports_the_meanfield_gaussian) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 5);
  o.lr_draws = 0;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.lr_cov, 0);
  cr_assert_null(r.L);
  double th[2], lq;
  cr_assert_eq(vi_advi_draw(&r, &den, 1, 1, th, NULL, &lq, &diags), VI_OK);
  double z0 = (th[0] - r.mu[0]) / 0.6, z1 = (th[1] - r.mu[1]) / 1.2;
  cr_assert_float_eq(lq, -0.5 * (z0 * z0 + z1 * z1) - log(2 * PI * 0.6 * 1.2), 1e-6);
}

/* Neal's funnel in 2-D: y ~ N(0, 3), x ~ N(0, e^(y/2)). */
static int funnel_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  (void)ctx;
  double y = t[0], x = t[1], e = exp(-t[0]);
  *lp = -y * y / 18 - 0.5 * x * x * e - 0.5 * y;
  g[0] = -y / 9 + 0.5 * x * x * e - 0.5;
  g[1] = -x * e;
  return 0;
}

Test(advi, dadvi_reports_meanfield_draws_where_lr_fits_worse) {
  struct vi_density den = {2, NULL, funnel_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 4);
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", r.reason);
  cr_assert_eq(r.lr_cov, 0, "LR chosen on a funnel");
  cr_assert_null(r.L);
}

Test(advi, stan_fullrank_recovers_the_covariance_of_a_correlated_gaussian) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_FULLRANK, 2024);
  o.optimizer = VI_OPT_SGD;
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", diags.buf);
  cr_assert_null(r.omega);
  const double *L = r.L;
  cr_assert_eq(L[0 * 2 + 1], 0.0, "L is lower triangular");
  double s11 = L[0] * L[0], s21 = L[2] * L[0], s22 = L[2] * L[2] + L[3] * L[3];
  cr_assert(fabs(s11 / csig[0] - 1) < 0.25, "Sigma11 %g", s11);
  cr_assert(fabs(s22 / csig[3] - 1) < 0.25, "Sigma22 %g", s22);
  double rho = s21 / sqrt(s11 * s22);
  cr_assert(fabs(rho - 0.8) < 0.1, "correlation %g", rho);
  cr_assert(fabs(r.mu[0] - cm[0]) < 0.25 && fabs(r.mu[1] - cm[1]) < 0.5, "mu %g %g", r.mu[0],
            r.mu[1]);
}

Test(advi, fullrank_lbfgs_is_exact_on_a_correlated_gaussian) {
  /* whitened fixed draws make the full-rank objective exact for a Gaussian,
   * so mean and covariance come out to optimiser precision */
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_FULLRANK, 5);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.optimizer, VI_OPT_LBFGS);
  const double *L = r.L;
  cr_assert_eq(L[1], 0.0, "L is lower triangular");
  double s11 = L[0] * L[0], s21 = L[2] * L[0], s22 = L[2] * L[2] + L[3] * L[3];
  cr_assert(fabs(s11 / csig[0] - 1) < 1e-3, "Sigma11 %g vs %g", s11, csig[0]);
  cr_assert(fabs(s22 / csig[3] - 1) < 1e-3, "Sigma22 %g vs %g", s22, csig[3]);
  cr_assert(fabs(s21 / csig[1] - 1) < 1e-3, "Sigma21 %g vs %g", s21, csig[1]);
  cr_assert(fabs(r.mu[0] - cm[0]) < 1e-3 * sqrt(csig[0]), "mu1 %g", r.mu[0]);
  cr_assert(fabs(r.mu[1] - cm[1]) < 1e-3 * sqrt(csig[3]), "mu2 %g", r.mu[1]);
  /* the ELBO of the exact Gaussian is log Z = log(2 pi) + 0.5 log det Sigma
   * for an unnormalised N(mu, Sigma) density exp(-0.5 (x-mu)' P (x-mu)) */
  double logZ = log(2 * M_PI) + 0.5 * log(csig[0] * csig[3] - csig[1] * csig[1]);
  cr_assert(fabs(r.elbo - logZ) < 1e-6, "ELBO %.10g vs log Z %.10g", r.elbo, logZ);
}

/* y0 = log x with x ~ Gamma(a, b), and y1 ~ N(y0, 0.5^2). The best
 * full-rank Gaussian: y0 as for lgamma (var 1/a, mean log(a/b) - 1/(2a)),
 * y1 = y0 + independent N(0, 0.25), so var y1 = 1/a + 0.25, cov = 1/a. */
static int lgamma2_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[2];
  if (!g) g = gbuf;
  double r = (t[1] - t[0]) / 0.25;
  lgamma_lp(ctx, t, lp, g);
  *lp -= 0.5 * r * (t[1] - t[0]);
  g[0] += r;
  g[1] = -r;
  return 0;
}

Test(advi, fullrank_lbfgs_finds_the_best_gaussian_for_a_skewed_target) {
  struct lgamma_t p = {3, 2};
  struct vi_density den = {2, &p, lgamma2_lp, NULL, NULL};
  double v0 = 1 / p.a, m0 = log(p.a / p.b) - 0.5 / p.a;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_advi_options o = opts(VI_ALGO_FULLRANK, seed);
    struct vi_advi_result r;
    cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
    const double *L = r.L;
    double s00 = L[0] * L[0], s10 = L[2] * L[0], s11 = L[2] * L[2] + L[3] * L[3];
    cr_assert(fabs(sqrt(s00 / v0) - 1) < 0.05, "sd0 %g vs %g", sqrt(s00), sqrt(v0));
    cr_assert(fabs(sqrt(s11 / (v0 + 0.25)) - 1) < 0.05, "sd1 %g", sqrt(s11));
    cr_assert(fabs(s10 / v0 - 1) < 0.1, "cov %g vs %g", s10, v0);
    cr_assert(fabs(r.mu[0] - m0) < 0.1 * sqrt(v0), "mu0 %g vs %g", r.mu[0], m0);
    cr_assert(fabs(r.mu[1] - m0) < 0.1 * sqrt(v0), "mu1 %g vs %g", r.mu[1], m0);
  }
}

Test(advi, fullrank_lbfgs_refuses_more_than_1000_parameters_with_advice) {
  enum { D = 1001 };
  static double m[D], sd[D];
  for (int i = 0; i < D; i++) m[i] = 0, sd[i] = 1;
  struct diag p = {D, m, sd};
  struct vi_density den = {D, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_FULLRANK, 1);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
  cr_assert(strstr(diags.buf, "limited to 1000 unconstrained parameters (this model has 1001)") &&
                strstr(diags.buf, "--optimizer sgd"),
            "%s", diags.buf);
}

static size_t work_small(void *ctx) { return *(const size_t *)ctx; }

Test(advi, the_default_refines_small_cheap_models_to_full_rank) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  cr_assert_eq(o.algorithm, VI_ALGO_AUTO);
  size_t work = 1000;
  o.work = work_small, o.work_ctx = &work;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.algorithm, VI_ALGO_FULLRANK);
  cr_assert_not(r.lr_cov);
  double s21 = r.L[2] * r.L[0];
  cr_assert(fabs(s21 / csig[1] - 1) < 1e-3, "Sigma21 %g vs %g", s21, csig[1]);
  /* an expensive model keeps the dadvi answer */
  work = 10 * 1000 * 1000;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.algorithm, VI_ALGO_DADVI);
  cr_assert(r.lr_cov, "dadvi reports the LR covariance of a correlated Gaussian");
}

Test(advi, the_default_refines_to_full_rank_up_to_300_cheap_parameters) {
  enum { D = 101 };
  static double m[D], sd[D];
  for (int i = 0; i < D; i++) m[i] = i, sd[i] = 1 + i / 100.0;
  struct diag p = {D, m, sd};
  struct vi_density den = {D, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_AUTO, 2);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.algorithm, VI_ALGO_FULLRANK, "%s", r.fits);
  cr_assert(!strcmp(r.fits, "dadvi, fullrank"), "%s", r.fits);
  for (int i = 0; i < D; i += 25) {
    double s2 = 0;
    for (int j = 0; j <= i; j++) s2 += r.L[i * D + j] * r.L[i * D + j];
    cr_assert(fabs(sqrt(s2) / sd[i] - 1) < 0.02, "sd[%d] %g vs %g", i, sqrt(s2), sd[i]);
  }
  /* a costly model (10^7 numbers per gradient) keeps dadvi: above 100
   * parameters it would go to low rank, which cannot beat an exact fit */
  size_t work = 10 * 1000 * 1000;
  o.work = work_small, o.work_ctx = &work;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_neq(r.algorithm, VI_ALGO_FULLRANK, "%s", r.fits);
}

Test(advi, a_model_without_parameters_is_fitted_by_every_algorithm_at_once) {
  struct diag p = {0, NULL, NULL};
  struct vi_density den = {0, &p, diag_lp, NULL, NULL};
  for (int a = 0; a <= VI_ALGO_AUTO; a++) {
    struct vi_advi_options o = opts((enum vi_algo)a, 1);
    struct vi_advi_result r;
    cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s %s",
                 vi_algo_name((enum vi_algo)a), diags.buf ? diags.buf : "");
    cr_assert_str_eq(r.reason, "the model has no parameters: nothing to fit");
    cr_assert_eq(r.iterations, 0);
  }
}

Test(advi, dadvi_refuses_the_stochastic_optimiser) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 1);
  o.optimizer = VI_OPT_SGD;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
  cr_assert(strstr(diags.buf, "dadvi is deterministic"), "%s", diags.buf);
}

Test(advi, meanfield_with_lbfgs_is_the_deterministic_meanfield_fit) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 3);
  o.optimizer = VI_OPT_LBFGS;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_null(r.L);
  for (int i = 0; i < 3; i++) {
    cr_assert(fabs(r.mu[i] - dm[i]) < 1e-3 * ds[i], "mu %d %g", i, r.mu[i]);
    cr_assert(fabs(exp(r.omega[i]) / ds[i] - 1) < 1e-3, "sd %d %g", i, exp(r.omega[i]));
  }
}

/* ---- 100 dimensions ---------------------------------------------------------- */

Test(advi, dadvi_fits_a_100_dimensional_gaussian) {
  enum { D = 100 };
  double m[D], s[D];
  for (int i = 0; i < D; i++) m[i] = i / 10.0 - 5, s[i] = 0.1 + i / 50.0;
  struct diag p = {D, m, s};
  struct vi_density den = {D, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 1);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  for (int i = 0; i < D; i++) {
    cr_assert_float_eq(r.mu[i], m[i], 1e-5 * s[i], "mu[%d] = %g", i, r.mu[i]);
    cr_assert_float_eq(sd_of(&r, i), s[i], 1e-5 * s[i], "sd[%d] = %g", i, sd_of(&r, i));
  }
}

/* ---- non-Gaussian target ------------------------------------------------------ */

Test(advi, dadvi_converges_on_a_log_gamma_target_to_the_gaussian_elbo_optimum) {
  struct lgamma_t p = {3, 2};
  struct vi_density den = {1, &p, lgamma_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 99);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  double s = 1 / sqrt(p.a), m = log(p.a / p.b) - 0.5 / p.a;
  cr_assert(fabs(r.mu[0] - m) < 0.05 * s, "mu %g, want %g", r.mu[0], m);
  cr_assert(fabs(r.omega[0] - log(s)) < 0.05, "sd %g, want %g", sd_of(&r, 0), s);
  cr_assert(r.mc_change < o.mc_tol);
}

Test(advi, stan_meanfield_lands_near_the_log_gamma_optimum) {
  struct lgamma_t p = {3, 2};
  struct vi_density den = {1, &p, lgamma_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 99);
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", diags.buf);
  double s = 1 / sqrt(p.a), m = log(p.a / p.b) - 0.5 / p.a;
  cr_assert(fabs(r.mu[0] - m) < 0.3 * s, "mu %g, want %g", r.mu[0], m);
  cr_assert(fabs(r.omega[0] - log(s)) < 0.3, "sd %g, want %g", sd_of(&r, 0), s);
}

/* ---- failures of the density --------------------------------------------------- */

/* Defined only for theta > 0 (as a model whose support the transform missed). */
static int halfline_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  (void)ctx;
  if (t[0] <= 0) return 1;
  *lp = -0.5 * (t[0] - 3) * (t[0] - 3);
  g[0] = -(t[0] - 3);
  return 0;
}

Test(advi, dadvi_shrinks_away_from_draws_where_the_density_fails) {
  struct vi_density den = {1, NULL, halfline_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 4);
  double init = 3;
  o.init = &init;
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", r.reason);
  /* every fixed draw must land in theta > 0 */
  cr_assert(r.mu[0] > 0 && sd_of(&r, 0) < r.mu[0], "mu %g sd %g", r.mu[0], sd_of(&r, 0));
}

static int never_lp(void *ctx, const double *t, double *lp, double *g) {
  double gbuf[1024]; /* the density may be asked for the value only */
  if (!g) g = gbuf;
  (void)ctx, (void)t, (void)lp, (void)g;
  return 1;
}

Test(advi, a_density_that_never_evaluates_is_an_error_with_a_message) {
  struct vi_density den = {2, NULL, never_lp, NULL, NULL};
  for (int a = 0; a < 3; a++) {
    struct vi_advi_options o = opts((enum vi_algo)a, 1);
    struct vi_advi_result r;
    vi_diags_clear(&diags);
    cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
    cr_assert_not(r.converged);
    cr_assert(strstr(diags.buf, "error: the log density cannot be evaluated at 100 random "
                                "initial values"),
              "%s", diags.buf);
  }
}

Test(advi, bad_options_are_reported) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 1);
  o.tol_rel_obj = 0;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
  cr_assert(strstr(diags.buf, "variational options: tol_rel_obj must be positive"), "%s",
            diags.buf);
}

/* ---- reproducibility ---------------------------------------------------------- */

static void fit_twice_identical(enum vi_algo a) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(a, 12345);
  struct vi_advi_result r1, r2;
  vi_advi_fit(&den, &o, &arena, &r1, &diags);
  vi_advi_fit(&den, &o, &arena, &r2, &diags);
  size_t n = a == VI_ALGO_FULLRANK ? 4 : 2;
  cr_assert_eq(memcmp(r1.mu, r2.mu, 2 * sizeof(double)), 0);
  cr_assert_eq(memcmp(a == VI_ALGO_FULLRANK ? r1.L : r1.omega,
                      a == VI_ALGO_FULLRANK ? r2.L : r2.omega, n * sizeof(double)),
               0);
  cr_assert_eq(r1.grad_evals, r2.grad_evals);
  if (a == VI_ALGO_LOWRANK) cr_assert_eq(memcmp(r1.B, r2.B, 2 * sizeof(double)), 0);
  double t1[20], t2[20], lp1[10], lp2[10], lq1[10], lq2[10];
  vi_advi_draw(&r1, &den, 9, 10, t1, lp1, lq1, &diags);
  vi_advi_draw(&r2, &den, 9, 10, t2, lp2, lq2, &diags);
  cr_assert_eq(memcmp(t1, t2, sizeof t1), 0);
  cr_assert_eq(memcmp(lq1, lq2, sizeof lq1), 0);
  /* another seed gives another fit */
  o.seed = 54321;
  struct vi_advi_result r3;
  vi_advi_fit(&den, &o, &arena, &r3, &diags);
  cr_assert_neq(memcmp(r1.mu, r3.mu, 2 * sizeof(double)), 0);
}

Test(advi, every_algorithm_is_reproducible_bit_for_bit_given_the_seed) {
  fit_twice_identical(VI_ALGO_DADVI);
  fit_twice_identical(VI_ALGO_MEANFIELD);
  fit_twice_identical(VI_ALGO_FULLRANK);
  fit_twice_identical(VI_ALGO_LOWRANK);
}

Test(advi, init_zero_starts_every_coordinate_at_zero) {
  /* with iter 1 and no adaptation, Stan's first step moves mu by at most eta */
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 1);
  o.init_radius = 0, o.adapt_engaged = 0, o.iter = 1, o.eta = 1e-9;
  struct vi_advi_result r;
  vi_advi_fit(&den, &o, &arena, &r, &diags);
  for (int i = 0; i < 3; i++) {
    cr_assert(fabs(r.mu[i]) < 1e-8, "mu[%d] = %g", i, r.mu[i]);
    cr_assert(fabs(r.omega[i]) < 1e-8, "omega[%d] = %g", i, r.omega[i]);
  }
}

/* ---- cancellation -------------------------------------------------------------- */

struct cancel_ctx {
  volatile sig_atomic_t flag;
  int calls;
};

static void cancel_on_first(void *ctx, int iter, double elbo, double rel) {
  struct cancel_ctx *c = ctx;
  (void)iter, (void)elbo, (void)rel;
  c->calls++;
  c->flag = 1;
}

Test(advi, the_cancel_flag_stops_a_fit_cleanly) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  for (int a = 0; a <= VI_ALGO_AUTO; a++) {
    struct cancel_ctx c = {0, 0};
    struct vi_advi_options o = opts((enum vi_algo)a, 1);
    o.progress = cancel_on_first, o.progress_ctx = &c, o.cancel = &c.flag;
    struct vi_advi_result r;
    cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_INTERRUPTED, "%s",
                 r.reason);
    cr_assert_eq(c.calls, 1);
    cr_assert_not(r.converged);
    cr_assert(strstr(r.reason, "interrupted"), "%s", r.reason);
    cr_assert_eq(r.iterations, a == VI_ALGO_MEANFIELD ? 100 : 1);
    cr_assert(isfinite(r.mu[0]));
  }
}

Test(advi, a_cancel_flag_set_before_the_fit_returns_the_initial_point) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  volatile sig_atomic_t flag = 1;
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 1);
  o.cancel = &flag, o.init_radius = 0;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_INTERRUPTED);
  cr_assert_eq(r.iterations, 0);
  cr_assert_eq(r.mu[0], 0.0);
}

/* ---- progress ---------------------------------------------------------------------- */

struct prog {
  int n, last_iter;
};

static void count_progress(void *ctx, int iter, double elbo, double rel) {
  struct prog *p = ctx;
  cr_assert(isfinite(elbo) && rel >= 0);
  cr_assert(iter > p->last_iter);
  p->n++;
  p->last_iter = iter;
}

Test(advi, stan_progress_is_reported_every_eval_elbo_iterations) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct prog pr = {0, 0};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 1);
  o.iter = 1000, o.eval_elbo = 50, o.tol_rel_obj = 1e-12;
  o.progress = count_progress, o.progress_ctx = &pr;
  struct vi_advi_result r;
  vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert_eq(pr.n, 20);
  cr_assert_eq(pr.last_iter, 1000);
}

/* ---- draws and Pareto k ---------------------------------------------------------- */

Test(advi, draws_follow_the_fitted_approximation_with_its_log_density) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 2);
  struct vi_advi_result r;
  vi_advi_fit(&den, &o, &arena, &r, &diags);
  enum { S = 4000 };
  static double th[S * 3], lp[S], lq[S];
  cr_assert_eq(vi_advi_draw(&r, &den, 5, S, th, lp, lq, &diags), VI_OK);
  for (int i = 0; i < 3; i++) {
    double s = 0, ss = 0;
    for (int k = 0; k < S; k++) s += th[k * 3 + i];
    s /= S;
    for (int k = 0; k < S; k++) ss += (th[k * 3 + i] - s) * (th[k * 3 + i] - s);
    double sd = sqrt(ss / (S - 1));
    cr_assert(fabs(s - dm[i]) < 4 * ds[i] / sqrt(S), "mean[%d] %g", i, s);
    cr_assert(fabs(sd / ds[i] - 1) < 0.05, "sd[%d] %g", i, sd);
  }
  /* exact fit: log p - log q is the constant log Z at every draw */
  double logz = 0;
  for (int i = 0; i < 3; i++) logz += log(ds[i] * sqrt(2 * PI));
  for (int k = 0; k < S; k++) cr_assert_float_eq(lp[k] - lq[k], logz, 1e-6);
}

/* log ratios whose exponentials have a Pareto tail with shape k */
static void pareto_ratios(double k, size_t S, double *lp, double *lq, uint64_t seed) {
  struct vi_rng r;
  vi_rng_seed(&r, seed, 0);
  for (size_t s = 0; s < S; s++) {
    lp[s] = -k * log(vi_rng_uniform(&r));
    lq[s] = 0;
  }
}

Test(advi, pareto_khat_recovers_the_shape_of_a_pareto_tail) {
  enum { S = 4000 };
  static double lp[S], lq[S];
  const double ks[3] = {0.2, 0.6, 1.0};
  for (int i = 0; i < 3; i++) {
    pareto_ratios(ks[i], S, lp, lq, 17 + (uint64_t)i);
    double k = vi_psis_khat(lp, lq, S);
    cr_assert(fabs(k - ks[i]) < 0.12, "k = %g, want %g", k, ks[i]);
  }
}

Test(advi, pareto_khat_is_small_for_a_well_matched_approximation) {
  /* target N(0, I), approximation N(0, 1.2^2 I): bounded weights */
  size_t d = 4;
  double m[4] = {0}, s[4] = {1, 1, 1, 1}, om[4], mu[4] = {0};
  for (int i = 0; i < 4; i++) om[i] = log(1.2);
  struct diag p = {d, m, s};
  struct vi_density den = {d, &p, diag_lp, NULL, NULL};
  struct vi_advi_result r = {.algorithm = VI_ALGO_DADVI, .dim = d, .mu = mu, .omega = om};
  enum { S = 1000 };
  static double th[S * 4], lp[S], lq[S];
  vi_advi_draw(&r, &den, 3, S, th, lp, lq, &diags);
  double k = vi_psis_khat(lp, lq, S);
  cr_assert(k < 0.5, "k = %g", k);
  cr_assert_str_eq(vi_psis_verdict(k), "good");
}

Test(advi, pareto_khat_flags_a_gaussian_fit_to_a_heavy_tailed_target) {
  size_t d = 1;
  struct vi_density den = {d, &d, student_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 8);
  struct vi_advi_result r;
  vi_advi_fit(&den, &o, &arena, &r, &diags);
  enum { S = 1000 };
  static double th[S], lp[S], lq[S];
  vi_advi_draw(&r, &den, 3, S, th, lp, lq, &diags);
  double k = vi_psis_khat(lp, lq, S);
  cr_assert(k > 0.7, "k = %g", k);
  cr_assert(strstr(vi_psis_verdict(k), "unreliable"), "%s", vi_psis_verdict(k));
}

Test(advi, pareto_verdicts_follow_the_thresholds) {
  cr_assert_str_eq(vi_psis_verdict(0.3), "good");
  cr_assert_str_eq(vi_psis_verdict(0.6), "ok");
  cr_assert_str_eq(vi_psis_verdict(0.71),
                   "unreliable: the approximation is poor");
  double lp[10] = {0}, lq[10] = {0};
  cr_assert(isnan(vi_psis_khat(lp, lq, 10)));
}

Test(advi, algorithm_names_round_trip) {
  enum vi_algo a;
  cr_assert_eq(vi_algo_parse("fullrank", &a), 0);
  cr_assert_eq(a, VI_ALGO_FULLRANK);
  cr_assert_str_eq(vi_algo_name(VI_ALGO_DADVI), "dadvi");
  cr_assert_eq(vi_algo_parse("nuts", &a), -1);
}

/* ---- Adam ------------------------------------------------------------------------ */

Test(advi, adam_meanfield_lands_near_the_log_gamma_optimum) {
  /* the Gaussian ELBO optimum of the log-gamma target is known (above);
   * Adam's last iterate carries the noise of one-draw gradients */
  struct lgamma_t p = {3, 2};
  struct vi_density den = {1, &p, lgamma_lp, NULL, NULL};
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, seed);
    o.optimizer = VI_OPT_ADAM;
    o.lr = 0.01;
    o.init_radius = 0;
    struct vi_advi_result r;
    enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
    cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", diags.buf);
    cr_assert_eq(r.optimizer, VI_OPT_ADAM);
    cr_assert_float_eq(r.eta, 0.01, 1e-15, "the step size used is reported");
    double s = 1 / sqrt(p.a), m = log(p.a / p.b) - 0.5 / p.a;
    cr_assert(fabs(r.mu[0] - m) < 0.2 * s, "seed %d: mu %g, want %g", (int)seed, r.mu[0], m);
    cr_assert(fabs(r.omega[0] - log(s)) < 0.2, "seed %d: sd %g, want %g", (int)seed,
              sd_of(&r, 0), s);
  }
}

Test(advi, adam_fullrank_recovers_the_covariance_of_a_correlated_gaussian) {
  struct gauss p = corr2();
  struct vi_density den = {2, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_FULLRANK, 2024);
  o.optimizer = VI_OPT_ADAM;
  o.lr = 0.01;
  o.init_radius = 0;
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", diags.buf);
  const double *L = r.L;
  double s11 = L[0] * L[0], s21 = L[2] * L[0], s22 = L[2] * L[2] + L[3] * L[3];
  cr_assert(fabs(s11 / csig[0] - 1) < 0.25, "Sigma11 %g", s11);
  cr_assert(fabs(s22 / csig[3] - 1) < 0.25, "Sigma22 %g", s22);
  cr_assert(fabs(s21 / sqrt(s11 * s22) - 0.8) < 0.1, "correlation %g", s21 / sqrt(s11 * s22));
  cr_assert(fabs(r.mu[0] - cm[0]) < 0.25 && fabs(r.mu[1] - cm[1]) < 0.5, "mu %g %g", r.mu[0],
            r.mu[1]);
}

Test(advi, adam_is_refused_for_the_deterministic_algorithms_and_needs_a_positive_lr) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 1);
  o.optimizer = VI_OPT_ADAM;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
  cr_assert(strstr(diags.buf, "--algorithm meanfield or fullrank"), "%s", diags.buf);
  o = opts(VI_ALGO_MEANFIELD, 1);
  o.optimizer = VI_OPT_ADAM;
  o.lr = 0;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
  cr_assert(strstr(diags.buf, "lr must be positive"), "%s", diags.buf);
  cr_assert_str_eq(vi_optimizer_name(VI_OPT_ADAM), "adam");
  enum vi_optimizer op;
  cr_assert_eq(vi_optimizer_parse("adam", &op), 0);
  cr_assert_eq(op, VI_OPT_ADAM);
}

/* ---- the family table: pullbacks against finite differences --------------------- */

/* f(theta) = sum_i (a_i theta_i - exp(theta_i) / 2) + theta_0 theta_1: smooth, not Gaussian */
static double fam_f(const double *t, size_t d, double *g) {
  double s = 0;
  for (size_t i = 0; i < d; i++) {
    double a = 0.3 * (double)(i + 1);
    s += a * t[i] - 0.5 * exp(t[i]);
    if (g) g[i] = a - 0.5 * exp(t[i]);
  }
  s += t[0] * t[1];
  if (g) g[0] += t[1], g[1] += t[0];
  return s;
}

/* J(phi) = 1/M sum_m f(T(eta_m; phi)) + entropy(phi) */
static double fam_J(struct vi_q *q, const double *eta, int M, double *th) {
  vi_q_prepare(q);
  double s = 0;
  for (int m = 0; m < M; m++) {
    vi_q_draw(q, eta + (size_t)m * q->noise, th);
    s += fam_f(th, q->dim, NULL);
  }
  return s / M + q->fam->entropy(q);
}

Test(advi, every_family_pulls_gradients_back_to_its_parameters) {
  enum { D = 4, R = 2, M = 5 };
  for (int id = 0; id < VI_FAMILY_COUNT; id++) {
    size_t np = vi_family_nparams(id, D, R), ns = vi_family_nscratch(id, D, R);
    double phi[64], scratch[64], acc[64], eta[M * (D + R)], th[D], g[D];
    cr_assert(np <= 64 && ns <= 64);
    struct vi_q q;
    vi_q_init(&q, id, D, R, phi, scratch);
    struct vi_rng r;
    vi_rng_seed(&r, 77, (uint64_t)id);
    for (size_t k = 0; k < np; k++) phi[k] = 0.3 * vi_rng_normal(&r);
    if (id == VI_FAMILY_FULLRANK) /* Stan's raw diagonal: keep it away from 0 */
      for (size_t i = 0; i < D; i++) phi[D + i * D + i] = 0.8 + 0.1 * (double)i;
    for (size_t k = 0; k < (size_t)M * q.noise; k++) eta[k] = vi_rng_normal(&r);
    vi_q_prepare(&q);
    memset(acc, 0, sizeof acc);
    for (int m = 0; m < M; m++) {
      vi_q_draw(&q, eta + (size_t)m * q.noise, th);
      fam_f(th, D, g);
      vi_q_pull(&q, eta + (size_t)m * q.noise, g, acc);
    }
    vi_q_finish(&q, M, acc);
    for (size_t k = 0; k < np; k++) {
      if (id == VI_FAMILY_FULLRANK && k >= D && (k - D) % D > (k - D) / D) continue; /* upper */
      double h = 1e-6, keep = phi[k];
      phi[k] = keep + h;
      double jp = fam_J(&q, eta, M, th);
      phi[k] = keep - h;
      double jm = fam_J(&q, eta, M, th);
      phi[k] = keep;
      double fd = (jp - jm) / (2 * h);
      cr_assert(fabs(fd - acc[k]) < 1e-6 * fmax(1, fabs(fd)), "%s: d/dphi[%zu] %.10g vs fd %.10g",
                vi_families[id].name, k, acc[k], fd);
    }
  }
}

Test(advi, lowrank_log_q_is_the_gaussian_density_with_the_low_rank_covariance) {
  enum { D = 3, R = 1 };
  double phi[D * (2 + R)] = {0.5, -1, 2, 0.1, -0.3, 0.2, 0.7, -0.4, 1.1};
  double scratch[R * R + D * R], work[D + R];
  struct vi_q q;
  vi_q_init(&q, VI_FAMILY_LOWRANK, D, R, phi, scratch);
  vi_q_prepare(&q);
  /* Sigma = diag(exp(2 omega)) + b b^T: its inverse and determinant by hand (3 x 3) */
  double S[9], b[3] = {0.7, -0.4, 1.1};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) S[i * 3 + j] = b[i] * b[j] + (i == j ? exp(2 * phi[3 + i]) : 0);
  double det = S[0] * (S[4] * S[8] - S[5] * S[7]) - S[1] * (S[3] * S[8] - S[5] * S[6]) +
               S[2] * (S[3] * S[7] - S[4] * S[6]);
  double th[3] = {1.0, -0.5, 2.5}, x[3];
  for (int i = 0; i < 3; i++) x[i] = th[i] - phi[i];
  /* solve S y = x by Cramer's rule */
  double y[3];
  for (int c = 0; c < 3; c++) {
    double T[9];
    memcpy(T, S, sizeof T);
    for (int i = 0; i < 3; i++) T[i * 3 + c] = x[i];
    y[c] = (T[0] * (T[4] * T[8] - T[5] * T[7]) - T[1] * (T[3] * T[8] - T[5] * T[6]) +
            T[2] * (T[3] * T[7] - T[4] * T[6])) / det;
  }
  double quad = x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
  double want = -0.5 * quad - 1.5 * log(2 * PI) - 0.5 * log(det);
  cr_assert_float_eq(vi_q_lowrank_log_q(&q, th, work), want, 1e-12);
  cr_assert_float_eq(q.fam->log_det(&q), 0.5 * log(det), 1e-12);
}

/* ---- low rank plus diagonal ---------------------------------------------------- */

Test(advi, lowrank_is_exact_on_a_gaussian_with_low_rank_plus_diagonal_covariance) {
  /* Sigma = diag(s^2) + b b^T: in the family, and with whitened fixed draws the
   * objective is exact for a Gaussian, so the fit is the target */
  enum { D = 6 };
  static double m[D] = {1, -2, 0.5, 3, 0, -1}, lam[D * D];
  double sg[D * D], s2[D] = {0.5, 1, 2, 0.3, 1.5, 0.8}, b[D] = {1, -0.5, 2, 0.2, 1, -1};
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) sg[i * D + j] = b[i] * b[j] + (i == j ? s2[i] : 0);
  /* precision by Gauss-Jordan */
  double a[D * 2 * D];
  for (int i = 0; i < D; i++)
    for (int j = 0; j < 2 * D; j++) a[i * 2 * D + j] = j < D ? sg[i * D + j] : (j - D == i);
  for (int c = 0; c < D; c++) {
    double pv = a[c * 2 * D + c];
    for (int j = 0; j < 2 * D; j++) a[c * 2 * D + j] /= pv;
    for (int i = 0; i < D; i++)
      if (i != c) {
        double fct = a[i * 2 * D + c];
        for (int j = 0; j < 2 * D; j++) a[i * 2 * D + j] -= fct * a[c * 2 * D + j];
      }
  }
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) lam[i * D + j] = a[i * 2 * D + D + j];
  struct gauss p = {D, m, lam};
  struct vi_density den = {D, &p, gauss_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_LOWRANK, 3);
  o.rank = 1;
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert_eq(r.algorithm, VI_ALGO_LOWRANK);
  cr_assert_eq(r.rank, 1);
  for (int i = 0; i < D; i++) {
    cr_assert(fabs(r.mu[i] - m[i]) < 1e-3 * sqrt(sg[i * D + i]), "mu[%d] %g", i, r.mu[i]);
    for (int j = 0; j <= i; j++) {
      double c = r.B[i] * r.B[j] + (i == j ? exp(2 * r.omega[i]) : 0);
      cr_assert(fabs(c - sg[i * D + j]) < 2e-3 * sqrt(sg[i * D + i] * sg[j * D + j]),
                "Sigma[%d][%d] %g vs %g", i, j, c, sg[i * D + j]);
    }
  }
  /* the draws follow the fitted Gaussian, and log q is its density */
  enum { S = 4000 };
  static double th[S * D], lp[S], lq[S];
  cr_assert_eq(vi_advi_draw(&r, &den, 4, S, th, lp, lq, &diags), VI_OK);
  double mean0 = 0;
  for (int s = 0; s < S; s++) mean0 += th[s * D + 2] / S;
  cr_assert(fabs(mean0 - m[2]) < 4 * sqrt(sg[2 * D + 2] / S), "draw mean %g", mean0);
  /* exact fit: log p - log q is (nearly) the constant log Z for every draw */
  for (int s = 1; s < S; s++)
    cr_assert(fabs((lp[s] - lq[s]) - (lp[0] - lq[0])) < 0.02, "log ratio %g vs %g", lp[s] - lq[s],
              lp[0] - lq[0]);
}

Test(advi, lowrank_rank_by_cost_and_its_limits) {
  cr_assert_eq(vi_advi_lowrank_rank(1000, 0, 3000), 3);
  cr_assert_eq(vi_advi_lowrank_rank(1000, 0, 10), 2);
  cr_assert_eq(vi_advi_lowrank_rank(1000, 0, 1000000), 10);
  cr_assert_eq(vi_advi_lowrank_rank(1000, 0, 0), 10);
  cr_assert_eq(vi_advi_lowrank_rank(4, 0, 1000000), 4);
  cr_assert_eq(vi_advi_lowrank_rank(50, 7, 1), 7);
  cr_assert_str_eq(vi_algo_name(VI_ALGO_LOWRANK), "lowrank");
}

/* ---- verdicts: importance-sampling shifts next to k-hat -------------------------- */

/* Fits with the default algorithm and checks S = 1000 draws of it. */
static struct vi_psis_check check_fit(const struct vi_density *den, uint64_t seed,
                                      struct vi_advi_result *r) {
  struct vi_advi_options o = opts(VI_ALGO_AUTO, seed);
  enum vi_advi_stop st = vi_advi_fit(den, &o, &arena, r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", r->reason);
  enum { S = 1000 };
  static double th[S * 16], lp[S], lq[S];
  cr_assert(den->dim <= 16);
  cr_assert_eq(vi_advi_draw(r, den, seed, S, th, lp, lq, &diags), VI_OK);
  struct vi_psis_check c;
  cr_assert_eq(vi_psis_check(th, S, den->dim, lp, lq, &c), VI_OK);
  return c;
}

/* Poisson regression with an offset: y_i ~ Poisson(E_i exp(a + b x_i)),
 * a, b ~ normal(0, 5). */
enum { POIS_N = 20 };
struct pois {
  double x[POIS_N], logE[POIS_N], y[POIS_N];
};

static int pois_lp(void *ctx, const double *t, double *lp, double *g) {
  const struct pois *p = ctx;
  double s = -(t[0] * t[0] + t[1] * t[1]) / 50, g0 = -t[0] / 25, g1 = -t[1] / 25;
  for (int i = 0; i < POIS_N; i++) {
    double eta = p->logE[i] + t[0] + t[1] * p->x[i], mu = exp(eta);
    s += p->y[i] * eta - mu;
    g0 += p->y[i] - mu;
    g1 += (p->y[i] - mu) * p->x[i];
  }
  *lp = s;
  if (g) g[0] = g0, g[1] = g1;
  return 0;
}

static struct pois pois_data(void) {
  struct pois p;
  struct vi_rng r;
  vi_rng_seed(&r, 2026, 0);
  for (int i = 0; i < POIS_N; i++) {
    p.x[i] = (i - 10) / 5.0;
    p.logE[i] = log(0.5 + 0.25 * i);
    double mu = exp(p.logE[i] - 1 + 0.5 * p.x[i]), u = vi_rng_uniform(&r), c = exp(-mu), f = c;
    int k = 0;
    while (u > f && k < 1000) c *= mu / ++k, f += c; /* inversion */
    p.y[i] = k;
  }
  return p;
}

/* Change point: counts y_t ~ Poisson(l1) for t < tau, Poisson(l2) from tau,
 * tau uniform on 1..T (summed out), l ~ gamma(2, 1); on u = log l. */
enum { CP_T = 40 };
static double cp_y[CP_T];

static int cp_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  double e1 = exp(t[0]), e2 = exp(t[1]), lt[CP_T], mx = -INFINITY;
  double pre[CP_T + 1] = {0}, tot = 0; /* pre[k] = sum of y over t < k */
  for (int k = 0; k < CP_T; k++) pre[k + 1] = pre[k] + cp_y[k];
  tot = pre[CP_T];
  for (int k = 0; k < CP_T; k++) { /* tau = k: the first k counts from l1 */
    lt[k] = pre[k] * t[0] - k * e1 + (tot - pre[k]) * t[1] - (CP_T - k) * e2;
    mx = fmax(mx, lt[k]);
  }
  double z = 0, a0 = 0, a1 = 0;
  for (int k = 0; k < CP_T; k++) {
    double w = exp(lt[k] - mx);
    z += w;
    a0 += w * (pre[k] - k * e1);
    a1 += w * ((tot - pre[k]) - (CP_T - k) * e2);
  }
  *lp = mx + log(z) + 2 * t[0] - e1 + 2 * t[1] - e2;
  if (g) g[0] = a0 / z + 2 - e1, g[1] = a1 / z + 2 - e2;
  return 0;
}

static void cp_data(void) {
  struct vi_rng r;
  vi_rng_seed(&r, 1851, 0);
  for (int k = 0; k < CP_T; k++) {
    double mu = k < 22 ? 3.5 : 1.2, u = vi_rng_uniform(&r), c = exp(-mu), f = c;
    int n = 0;
    while (u > f && n < 1000) c *= mu / ++n, f += c;
    cp_y[k] = n;
  }
}

/* Posterior means and sds of a 2-D density by a 600 x 600 grid on [lo, hi]^2. */
static void grid2(const struct vi_density *den, const double lo[2], const double hi[2],
                  double mean[2], double sd[2]) {
  enum { G = 600 };
  double mx = -INFINITY, t[2], lp;
  static double v[G * G];
  for (int i = 0; i < G; i++)
    for (int j = 0; j < G; j++) {
      t[0] = lo[0] + (hi[0] - lo[0]) * (i + 0.5) / G;
      t[1] = lo[1] + (hi[1] - lo[1]) * (j + 0.5) / G;
      den->logp_grad(den->ctx, t, &lp, NULL);
      v[i * G + j] = lp;
      mx = fmax(mx, lp);
    }
  double z = 0, m[2] = {0}, s[2] = {0};
  for (int i = 0; i < G; i++)
    for (int j = 0; j < G; j++) {
      double w = exp(v[i * G + j] - mx);
      double a = lo[0] + (hi[0] - lo[0]) * (i + 0.5) / G, b = lo[1] + (hi[1] - lo[1]) * (j + 0.5) / G;
      z += w, m[0] += w * a, m[1] += w * b, s[0] += w * a * a, s[1] += w * b * b;
    }
  for (int k = 0; k < 2; k++) {
    mean[k] = m[k] / z;
    sd[k] = sqrt(s[k] / z - mean[k] * mean[k]);
  }
}

static void exact_fit_is_not_called_unreliable(const struct vi_density *den, const double lo[2],
                                               const double hi[2], const char *what) {
  double gm[2], gs[2];
  grid2(den, lo, hi, gm, gs);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_advi_result r;
    struct vi_psis_check c = check_fit(den, seed, &r);
    for (int k = 0; k < 2; k++) { /* the fit is right: the grid's means and sds */
      double sd = r.L ? sqrt(r.L[k * 2] * r.L[k * 2] + r.L[k * 2 + 1] * r.L[k * 2 + 1])
                      : exp(r.omega[k]);
      cr_assert(fabs(r.mu[k] - gm[k]) < 0.1 * gs[k], "%s seed %d: mean %g vs grid %g (sd %g)",
                what, (int)seed, r.mu[k], gm[k], gs[k]);
      cr_assert(fabs(sd / gs[k] - 1) < 0.1, "%s seed %d: sd %g vs grid %g", what, (int)seed, sd,
                gs[k]);
    }
    cr_assert_neq(c.verdict, VI_VERDICT_UNRELIABLE,
                  "%s seed %d: k %.2f, mean shift %.3f, sd shift %.3f", what, (int)seed, c.khat,
                  c.mean_shift, c.sd_shift);
    cr_log_info("%s seed %d: k %.2f shifts %.3f %.3f: %s", what, (int)seed, c.khat,
                c.mean_shift, c.sd_shift, vi_verdict_name(c.verdict));
  }
}

Test(advi, verdict_does_not_call_an_exact_poisson_regression_with_offset_unreliable) {
  struct pois p = pois_data();
  struct vi_density den = {2, &p, pois_lp, NULL, NULL};
  exact_fit_is_not_called_unreliable(&den, (double[]){-3, -1.5}, (double[]){1, 2.5}, "poisson");
}

Test(advi, verdict_does_not_call_an_exact_change_point_fit_unreliable) {
  cp_data();
  struct vi_density den = {2, NULL, cp_lp, NULL, NULL};
  exact_fit_is_not_called_unreliable(&den, (double[]){0, -1.5}, (double[]){2.5, 1.5}, "change point");
}

Test(advi, verdict_flags_a_gaussian_fit_to_a_student_t2) {
  size_t d = 1;
  struct vi_density den = {d, &d, student_lp, NULL, NULL};
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_advi_result r;
    struct vi_psis_check c = check_fit(&den, seed, &r);
    cr_assert_eq(c.verdict, VI_VERDICT_UNRELIABLE, "seed %d: k %.2f, shifts %.3f %.3f",
                 (int)seed, c.khat, c.mean_shift, c.sd_shift);
    cr_log_info("seed %d: k %.2f shifts %.3f %.3f", (int)seed, c.khat, c.mean_shift, c.sd_shift);
  }
}

/* Neal's funnel in 10-D: v ~ N(0, 3), x_i ~ N(0, e^(v/2)), i = 1..9. */
static int funnel10_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  double v = t[0], e = exp(-v), s = -v * v / 18 - 4.5 * v, gv = -v / 9 - 4.5;
  for (int i = 1; i < 10; i++) {
    s -= 0.5 * t[i] * t[i] * e;
    gv += 0.5 * t[i] * t[i] * e;
    if (g) g[i] = -t[i] * e;
  }
  *lp = s;
  if (g) g[0] = gv;
  return 0;
}

Test(advi, verdict_flags_a_gaussian_fit_to_neals_funnel) {
  struct vi_density den = {10, NULL, funnel10_lp, NULL, NULL};
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_advi_result r;
    struct vi_psis_check c = check_fit(&den, seed, &r);
    cr_assert_eq(c.verdict, VI_VERDICT_UNRELIABLE, "seed %d: k %.2f, shifts %.3f %.3f",
                 (int)seed, c.khat, c.mean_shift, c.sd_shift);
    cr_log_info("seed %d: k %.2f shifts %.3f %.3f", (int)seed, c.khat, c.mean_shift, c.sd_shift);
  }
}

Test(advi, verdict_is_good_for_a_well_matched_approximation) {
  double m[4] = {0}, s[4] = {1, 1, 1, 1}, om[4], mu[4] = {0};
  for (int i = 0; i < 4; i++) om[i] = log(1.2);
  struct diag p = {4, m, s};
  struct vi_density den = {4, &p, diag_lp, NULL, NULL};
  struct vi_advi_result r = {.algorithm = VI_ALGO_DADVI, .dim = 4, .mu = mu, .omega = om};
  enum { S = 1000 };
  static double th[S * 4], lp[S], lq[S];
  vi_advi_draw(&r, &den, 3, S, th, lp, lq, &diags);
  struct vi_psis_check c;
  cr_assert_eq(vi_psis_check(th, S, 4, lp, lq, &c), VI_OK);
  cr_assert_eq(c.verdict, VI_VERDICT_GOOD);
  cr_assert_str_eq(vi_verdict_name(c.verdict), "good");
  /* too few draws: unknown */
  cr_assert_eq(vi_psis_check(th, 10, 4, lp, lq, &c), VI_OK);
  cr_assert_eq(c.verdict, VI_VERDICT_UNKNOWN);
}

/* ---- sticking the landing ---------------------------------------------------------- */

Test(advi, stl_gradient_vanishes_for_every_draw_when_q_is_the_target) {
  /* q = p: grad log p(theta) = grad log q(theta) at every draw, so the path
   * derivative of log p - log q is exactly zero (plain reparameterisation
   * gradients are zero only on average) */
  enum { D = 3 };
  struct diag p = {D, dm, ds};
  for (int id = VI_FAMILY_MEANFIELD; id <= VI_FAMILY_FULLRANK; id++) {
    double phi[D + D * D] = {0}, acc[D + D * D] = {0}, eta[D], th[D], g[D], gq[D], lp;
    struct vi_q q;
    vi_q_init(&q, id, D, 0, phi, NULL);
    q.fam->reset(&q, dm);
    for (size_t i = 0; i < D; i++) {
      if (id == VI_FAMILY_MEANFIELD) phi[D + i] = log(ds[i]);
      else phi[D + i * D + i] = ds[i];
    }
    struct vi_rng r;
    vi_rng_seed(&r, 3, 0);
    for (int m = 0; m < 5; m++) {
      for (size_t i = 0; i < D; i++) eta[i] = vi_rng_normal(&r);
      vi_q_draw(&q, eta, th);
      diag_lp(&p, th, &lp, g);
      q.fam->score(&q, eta, gq);
      for (size_t i = 0; i < D; i++) g[i] -= gq[i];
      vi_q_pull(&q, eta, g, acc);
    }
    vi_q_finish(&q, 5, acc);
    q.fam->entropy_grad_sub(&q, acc);
    for (size_t k = 0; k < q.npar; k++)
      cr_assert(fabs(acc[k]) < 1e-12, "%s: component %zu = %g", q.fam->name, k, acc[k]);
  }
}

Test(advi, adam_with_stl_lands_on_the_exact_gaussian) {
  struct diag p = {3, dm, ds};
  struct vi_density den = {3, &p, diag_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_MEANFIELD, 5);
  o.optimizer = VI_OPT_ADAM;
  o.estimator = VI_EST_STL;
  o.lr = 0.05;
  o.init_radius = 0;
  o.tol_rel_obj = 1e-4;
  struct vi_advi_result r;
  enum vi_advi_stop st = vi_advi_fit(&den, &o, &arena, &r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", diags.buf);
  for (size_t i = 0; i < 3; i++) {
    cr_assert(fabs(r.mu[i] - dm[i]) < 0.05 * ds[i], "mu[%zu] = %g", i, r.mu[i]);
    cr_assert(fabs(r.omega[i] - log(ds[i])) < 0.05, "sd[%zu] = %g", i, sd_of(&r, i));
  }
  o = opts(VI_ALGO_DADVI, 1);
  o.estimator = VI_EST_STL;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_ERROR);
  cr_assert(strstr(diags.buf, "sticking-the-landing"), "%s", diags.buf);
}

/* ---- linear response by Hessian-vector products (lr.h) -------------------- */

/* A = I - 0.9 u1 u1^T - 0.5 u2 u2^T with u1, u2 orthonormal */
struct lowop {
  size_t d;
  const double *u1, *u2;
};

static int lowop_apply(void *ctx, const double *v, double *out) {
  const struct lowop *a = ctx;
  double c1 = 0, c2 = 0;
  for (size_t i = 0; i < a->d; i++) c1 += a->u1[i] * v[i], c2 += a->u2[i] * v[i];
  for (size_t i = 0; i < a->d; i++) out[i] = v[i] - 0.9 * c1 * a->u1[i] - 0.5 * c2 * a->u2[i];
  return 0;
}

Test(advi, lanczos_finds_the_directions_where_the_preconditioned_hessian_is_below_one) {
  enum { D = 300, K = 20 };
  static double u1[D], u2[D], v0[D], lam[K], U[D * K];
  for (int i = 0; i < D; i++) {
    u1[i] = 1 / sqrt((double)D);
    u2[i] = (i % 2 ? 1 : -1) / sqrt((double)D);
    v0[i] = sin(i + 1.0);
  }
  struct lowop a = {D, u1, u2};
  int n = 0;
  cr_assert(vi_lr_lanczos(D, lowop_apply, &a, v0, K, 0.1, 0.02, lam, U, &n, &arena) > 0);
  cr_assert_eq(n, 2);
  cr_assert(fabs(lam[0] - 0.1) < 1e-10 && fabs(lam[1] - 0.5) < 1e-10, "%g %g", lam[0], lam[1]);
  double c1 = 0, c2 = 0;
  for (int i = 0; i < D; i++) c1 += U[i * K] * u1[i], c2 += U[i * K + 1] * u2[i];
  cr_assert(fabs(fabs(c1) - 1) < 1e-8 && fabs(fabs(c2) - 1) < 1e-8, "%g %g", c1, c2);
  /* conjugate gradients: A x = u1 has x = u1 / 0.1 */
  static double x[D];
  cr_assert(vi_lr_cg(D, lowop_apply, &a, u1, x, 1e-12, 50, &arena) >= 0);
  for (int i = 0; i < D; i++) cr_assert(fabs(x[i] - u1[i] / 0.1) < 1e-9, "x[%d] %g", i, x[i]);
}

Test(advi, symmetric_eigen_decomposes_a_small_matrix) {
  double T[9] = {2, 1, 0, 1, 2, 1, 0, 1, 2}, w[3], Q[9];
  vi_lr_sym_eigen(T, 3, w, Q);
  double r2 = sqrt(2.0);
  cr_assert(fabs(w[0] - (2 - r2)) < 1e-12 && fabs(w[1] - 2) < 1e-12 && fabs(w[2] - (2 + r2)) < 1e-12,
            "%g %g %g", w[0], w[1], w[2]);
  /* first eigenvector (1, -sqrt 2, 1) / 2, up to sign */
  double s = Q[0] > 0 ? 1 : -1;
  cr_assert(fabs(s * Q[0] - 0.5) < 1e-10 && fabs(s * Q[3] + r2 / 2) < 1e-10 && fabs(s * Q[6] - 0.5) < 1e-10);
}

/* Varying intercepts with known scales: mu ~ N(0, 5^2), a_j ~ N(mu, tau^2),
 * n draws per group with mean ybar_j and unit sd. Exactly Gaussian, and mu
 * is correlated with every a_j (mean-field's sd of mu is far too small). */
struct known {
  int J;
  double tau, n;
  const double *ybar;
};

static int known_lp(void *ctx, const double *t, double *lp, double *g) {
  static double gbuf[4096];
  if (!g) g = gbuf;
  const struct known *p = ctx;
  double mu = t[0], s = -mu * mu / 50;
  g[0] = -mu / 25;
  for (int j = 0; j < p->J; j++) {
    double a = t[1 + j], e = (a - mu) / p->tau, f = a - p->ybar[j];
    s -= 0.5 * e * e + 0.5 * p->n * f * f;
    g[0] += e / p->tau;
    g[1 + j] = -e / p->tau - p->n * f;
  }
  *lp = s;
  return 0;
}

Test(advi, dadvi_above_200_parameters_reports_the_linear_response_by_lanczos) {
  enum { J = 400 };
  static double ybar[J];
  for (int j = 0; j < J; j++) ybar[j] = 1 + 0.4 * sin(3.0 * j);
  struct known p = {J, 0.3, 4, ybar};
  struct vi_density den = {J + 1, &p, known_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_DADVI, 1);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  cr_assert(r.lr_cov && r.B && r.rank >= 1, "lr_cov %d rank %d", r.lr_cov, r.rank);
  double v = p.tau * p.tau + 1 / p.n, var_mu = 1 / (1.0 / 25 + J / v);
  double k = 1 / (p.n + 1 / (p.tau * p.tau)), var_a = k + pow(k / (p.tau * p.tau), 2) * var_mu;
  for (int i = 0; i <= 3; i++) {
    double c = exp(2 * r.omega[i]);
    for (int j = 0; j < r.rank; j++) c += r.B[i * r.rank + j] * r.B[i * r.rank + j];
    double want = i == 0 ? var_mu : var_a;
    cr_assert(fabs(sqrt(c / want) - 1) < 0.03, "sd[%d] %g vs %g (mean-field %g)", i, sqrt(c),
              sqrt(want), exp(r.omega[i]));
  }
  /* mean-field alone is far off for mu: the test can fail */
  cr_assert(exp(r.omega[0]) < 0.7 * sqrt(var_mu), "mean-field sd %g", exp(r.omega[0]));
}

Test(advi, fullrank_above_200_parameters_starts_from_the_lanczos_pilot) {
  /* the pilot's covariance is then low rank plus diagonal, not a dense factor */
  enum { J = 210 };
  static double ybar[J];
  for (int j = 0; j < J; j++) ybar[j] = 1 + 0.4 * sin(3.0 * j);
  struct known p = {J, 0.3, 4, ybar};
  struct vi_density den = {J + 1, &p, known_lp, NULL, NULL};
  struct vi_advi_options o = opts(VI_ALGO_FULLRANK, 1);
  struct vi_advi_result r;
  cr_assert_eq(vi_advi_fit(&den, &o, &arena, &r, &diags), VI_ADVI_CONVERGED, "%s", r.reason);
  double v = p.tau * p.tau + 1 / p.n, var_mu = 1 / (1.0 / 25 + J / v);
  cr_assert(fabs(r.L[0] / sqrt(var_mu) - 1) < 0.03, "sd(mu) %g vs %g", r.L[0], sqrt(var_mu));
}
