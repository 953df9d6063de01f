/* test_flow.c: the normalizing flows (include/vi/flow.h). The algebra
 * against finite differences (log |det J| from a finite-difference Jacobian,
 * inverse(forward(x)), the pullback of both estimators to the flow's
 * parameters), then `--algorithm flow` on exact targets (the banana and
 * Neal's funnel, moments and log Z by quadrature here), and the verdicts of
 * the default fit on exact and on heavy-tailed targets. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vi/advi.h"
#include "vi/flow.h"
#include "vi/rng.h"
#include "testutil.h"

#define LOG_2PI 1.8378770664093454836

/* ---- the algebra ------------------------------------------------------- */

struct setup {
  struct vi_arena a;
  struct vi_flow f;
  struct vi_flow_work w;
  double *mu, *L;
};

/* A flow of the kind over a random base with every parameter random (so no
 * layer is the identity). */
static void setup_flow(struct setup *s, enum vi_flow_kind kind, size_t d, size_t layers,
                       size_t hidden, uint64_t seed, int diag) {
  vi_arena_init(&s->a);
  s->mu = vi_arena_array(&s->a, d, sizeof *s->mu);
  s->L = vi_arena_array(&s->a, d * d, sizeof *s->L);
  struct vi_rng r;
  vi_rng_seed(&r, seed, 7);
  for (size_t i = 0; i < d; i++) {
    s->mu[i] = vi_rng_normal(&r);
    for (size_t j = 0; j < d; j++)
      s->L[i * d + j] = j < i ? 0.3 * vi_rng_normal(&r) : j == i ? 0.5 + vi_rng_uniform(&r) : 0;
  }
  double *sd = NULL;
  if (diag) {
    sd = vi_arena_array(&s->a, d, sizeof *sd);
    for (size_t i = 0; i < d; i++) sd[i] = s->L[i * d + i];
  }
  cr_assert_eq(vi_flow_init(&s->f, kind, d, layers, hidden, s->mu, diag ? NULL : s->L, sd, seed,
                            &s->a), 0);
  for (size_t k = 0; k < s->f.npar; k++)
    if (s->f.phi[k] == 0) s->f.phi[k] = 0.4 * vi_rng_normal(&r);
  cr_assert_eq(vi_flow_work_init(&s->f, &s->w, &s->a), 0);
}

/* log |det A| of a d x d matrix (row-major, destroyed) by Gaussian
 * elimination with partial pivoting. */
static double log_abs_det(double *A, size_t d) {
  double ld = 0;
  for (size_t c = 0; c < d; c++) {
    size_t p = c;
    for (size_t i = c + 1; i < d; i++)
      if (fabs(A[i * d + c]) > fabs(A[p * d + c])) p = i;
    if (p != c)
      for (size_t j = 0; j < d; j++) {
        double t = A[c * d + j];
        A[c * d + j] = A[p * d + j];
        A[p * d + j] = t;
      }
    ld += log(fabs(A[c * d + c]));
    for (size_t i = c + 1; i < d; i++) {
      double m = A[i * d + c] / A[c * d + c];
      for (size_t j = c; j < d; j++) A[i * d + j] -= m * A[c * d + j];
    }
  }
  return ld;
}

static const struct {
  enum vi_flow_kind kind;
  size_t dim, layers, hidden;
  int diag;
} cases[] = {
    {VI_FLOW_COUPLING, 1, 1, 3, 0}, {VI_FLOW_COUPLING, 2, 1, 4, 0}, {VI_FLOW_COUPLING, 3, 1, 5, 1},
    {VI_FLOW_COUPLING, 6, 1, 7, 0}, {VI_FLOW_COUPLING, 5, 4, 6, 0}, {VI_FLOW_IAF, 1, 1, 3, 0},
    {VI_FLOW_IAF, 2, 1, 4, 0},      {VI_FLOW_IAF, 4, 1, 6, 1},      {VI_FLOW_IAF, 6, 1, 7, 0},
    {VI_FLOW_IAF, 5, 3, 8, 0},
};
#define NCASES (sizeof cases / sizeof *cases)

Test(flow, log_det_of_each_layer_type_matches_a_finite_difference_jacobian) {
  for (size_t c = 0; c < NCASES; c++) {
    size_t d = cases[c].dim;
    struct setup s;
    setup_flow(&s, cases[c].kind, d, cases[c].layers, cases[c].hidden, 11 + c, cases[c].diag);
    double eta[6], ep[6], th[6], tp[6], tm[6], J[36];
    struct vi_rng r;
    vi_rng_seed(&r, c, 3);
    for (size_t i = 0; i < d; i++) eta[i] = vi_rng_normal(&r);
    double lq = vi_flow_draw(&s.f, &s.w, eta, th), ss = 0;
    for (size_t i = 0; i < d; i++) ss += eta[i] * eta[i];
    /* log q = log N(eta) - log |det dtheta/deta| */
    double ld = -lq - 0.5 * ss - 0.5 * (double)d * LOG_2PI;
    const double h = 1e-5;
    for (size_t j = 0; j < d; j++) {
      memcpy(ep, eta, d * sizeof *ep);
      ep[j] = eta[j] + h;
      vi_flow_draw(&s.f, &s.w, ep, tp);
      ep[j] = eta[j] - h;
      vi_flow_draw(&s.f, &s.w, ep, tm);
      for (size_t i = 0; i < d; i++) J[i * d + j] = (tp[i] - tm[i]) / (2 * h);
    }
    double fd = log_abs_det(J, d);
    cr_expect(fabs(ld - fd) < 1e-7 * fmax(1, fabs(fd)), "%s d=%zu layers=%zu: log det %.12g, FD %.12g",
              vi_flow_kind_name(cases[c].kind), d, cases[c].layers, ld, fd);
    vi_arena_free(&s.a);
  }
}

Test(flow, inverse_of_forward_is_the_identity_and_log_q_agrees) {
  for (size_t c = 0; c < NCASES; c++) {
    size_t d = cases[c].dim;
    struct setup s;
    setup_flow(&s, cases[c].kind, d, cases[c].layers, cases[c].hidden, 31 + c, cases[c].diag);
    struct vi_rng r;
    vi_rng_seed(&r, c, 5);
    for (int rep = 0; rep < 20; rep++) {
      double eta[6], th[6], y[6], back[6];
      for (size_t i = 0; i < d; i++) eta[i] = 1.5 * vi_rng_normal(&r);
      double lq = vi_flow_draw(&s.f, &s.w, eta, th);
      double ldl = vi_flow_log_det_layers(&s.f, &s.w);
      memcpy(y, s.w.x + s.f.layers * d, d * sizeof *y);
      double ldi = vi_flow_inverse(&s.f, &s.w, y, back);
      for (size_t i = 0; i < d; i++)
        cr_expect(fabs(back[i] - eta[i]) < 1e-10, "%s d=%zu: x[%zu] %.15g back %.15g",
                  vi_flow_kind_name(cases[c].kind), d, i, eta[i], back[i]);
      cr_expect(fabs(ldi - ldl) < 1e-10, "log det forward %.15g, at the inverse %.15g", ldl, ldi);
      double lq2 = vi_flow_log_q(&s.f, &s.w, th);
      cr_expect(fabs(lq2 - lq) < 1e-9 * fmax(1, fabs(lq)), "log q at the draw %.15g, through the inverse %.15g",
                lq, lq2);
    }
    vi_arena_free(&s.a);
  }
}

/* A smooth test log density h(theta) and its gradient. */
static double test_h(const double *t, size_t d, double *g) {
  double v = 0;
  for (size_t i = 0; i < d; i++) {
    double c = 0.3 * (double)i - 0.5, sc = 1 + 0.2 * (double)i;
    v += -0.5 * (t[i] - c) * (t[i] - c) / (sc * sc) + 0.3 * sin(t[i] * (i + 1) * 0.7);
    if (g) g[i] = -(t[i] - c) / (sc * sc) + 0.3 * 0.7 * (double)(i + 1) * cos(t[i] * (i + 1) * 0.7);
  }
  for (size_t i = 1; i < d; i++) {
    v += 0.2 * t[i] * t[i - 1];
    if (g) g[i] += 0.2 * t[i - 1], g[i - 1] += 0.2 * t[i];
  }
  return v;
}

/* Per-draw objective at the flow's current phi: reparameterised,
 * h(T(eta)) + sum of layers' log det; STL, h(T(eta)) - log q_{phi0}(T(eta))
 * with phi0 the parameters of `frozen`. */
static double objective(struct setup *s, struct vi_flow *frozen, struct vi_flow_work *fw,
                        const double *eta, int stl) {
  double th[6];
  vi_flow_draw(&s->f, &s->w, eta, th);
  double v = test_h(th, s->f.dim, NULL);
  if (!stl) return v + vi_flow_log_det_layers(&s->f, &s->w);
  return v - vi_flow_log_q(frozen, fw, th);
}

Test(flow, pullback_to_the_parameters_matches_finite_differences_for_both_estimators) {
  for (size_t c = 0; c < NCASES; c++) {
    for (int stl = 0; stl <= 1; stl++) {
      size_t d = cases[c].dim;
      struct setup s;
      setup_flow(&s, cases[c].kind, d, cases[c].layers, cases[c].hidden, 51 + c, cases[c].diag);
      size_t np = s.f.npar;
      struct vi_flow frozen = s.f;
      frozen.phi = vi_arena_array(&s.a, np, sizeof *frozen.phi);
      memcpy(frozen.phi, s.f.phi, np * sizeof *frozen.phi);
      struct vi_flow_work fw;
      cr_assert_eq(vi_flow_work_init(&frozen, &fw, &s.a), 0);
      double *acc = calloc(np, sizeof *acc), eta[6], th[6], g[6];
      struct vi_rng r;
      vi_rng_seed(&r, c, 9);
      for (size_t i = 0; i < d; i++) eta[i] = vi_rng_normal(&r);
      vi_flow_draw(&s.f, &s.w, eta, th);
      test_h(th, d, g);
      vi_flow_pull(&s.f, &s.w, g, stl, acc);
      const double h = 1e-6;
      double worst = 0;
      size_t nonzero = 0;
      for (size_t k = 0; k < np; k++) {
        double p0 = s.f.phi[k];
        s.f.phi[k] = p0 + h;
        double fp = objective(&s, &frozen, &fw, eta, stl);
        s.f.phi[k] = p0 - h;
        double fm = objective(&s, &frozen, &fw, eta, stl);
        s.f.phi[k] = p0;
        double fd = (fp - fm) / (2 * h);
        double err = fabs(fd - acc[k]) / fmax(1e-3, fabs(fd));
        nonzero += fabs(fd) > 1e-6;
        if (err > worst) worst = err;
        cr_expect(fabs(fd - acc[k]) < 1e-5 * fmax(1, fabs(fd)), "%s d=%zu %s: dphi[%zu] %.10g, FD %.10g",
                  vi_flow_kind_name(cases[c].kind), d, stl ? "stl" : "reparam", k, acc[k], fd);
      }
      cr_expect(nonzero > np / 4, "too few parameters matter (%zu of %zu)", nonzero, np);
      free(acc);
      vi_arena_free(&s.a);
    }
  }
}

Test(flow, identity_at_the_start_reproduces_the_gaussian_base) {
  struct vi_arena a;
  vi_arena_init(&a);
  double mu[3] = {1, -2, 0.5}, L[9] = {2, 0, 0, 0.5, 1, 0, -0.3, 0.2, 0.7};
  for (int kind = 0; kind <= 1; kind++) {
    struct vi_flow f;
    struct vi_flow_work w;
    cr_assert_eq(vi_flow_init(&f, (enum vi_flow_kind)kind, 3, 4, 8, mu, L, NULL, 1, &a), 0);
    cr_assert_eq(vi_flow_work_init(&f, &w, &a), 0);
    double eta[3] = {0.3, -1.2, 2.0}, th[3];
    double lq = vi_flow_draw(&f, &w, eta, th);
    double want[3] = {1 + 2 * 0.3, -2 + 0.5 * 0.3 - 1.2, 0.5 - 0.3 * 0.3 + 0.2 * -1.2 + 0.7 * 2.0};
    double lqw = -0.5 * (0.09 + 1.44 + 4) - 1.5 * LOG_2PI - log(2 * 1 * 0.7);
    for (int i = 0; i < 3; i++) cr_expect(fabs(th[i] - want[i]) < 1e-14, "theta[%d] %.17g", i, th[i]);
    cr_expect(fabs(lq - lqw) < 1e-13, "log q %.17g, want %.17g", lq, lqw);
  }
  vi_arena_free(&a);
}

/* ---- `--algorithm flow` on exact targets --------------------------------- */

static struct vi_diags diags;

/* The banana on the unconstrained scale (a = log alpha, beta), every
 * constant kept so that log Z is the log evidence:
 * alpha ~ lognormal(0, 1), beta ~ normal(0, 10), 3 ~ normal(alpha beta, 1). */
static int banana_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  double a = t[0], b = t[1], al = exp(a), r = 3 - al * b;
  *lp = -0.5 * a * a - b * b / 200 - log(10.0) - 0.5 * r * r - 1.5 * LOG_2PI;
  if (g) {
    g[0] = -a + r * al * b;
    g[1] = -b / 100 + r * al;
  }
  return 0;
}

/* Exact banana moments by quadrature over a, with beta integrated out
 * analytically: beta | alpha ~ N(300 alpha / v, 100 / v), v = 1 + 100 alpha^2,
 * and p(a) = N(a; 0, 1) N(3; 0, v). */
struct banana_exact {
  double logz, ma, sa, mal, sal, mb, sb;
};

static struct banana_exact banana_quadrature(void) {
  const int n = 200001;
  const double lo = -12, hi = 10, h = (hi - lo) / (n - 1);
  double z = 0, s1 = 0, s2 = 0, t1 = 0, t2 = 0, b1 = 0, b2 = 0;
  for (int k = 0; k < n; k++) {
    double a = lo + h * k, al = exp(a), v = 1 + 100 * al * al;
    double w = exp(-0.5 * a * a - 0.5 * LOG_2PI - 0.5 * log(2 * M_PI * v) - 4.5 / v);
    if (k == 0 || k == n - 1) w *= 0.5;
    double mb = 300 * al / v, vb = 100 / v;
    z += w;
    s1 += w * a, s2 += w * a * a;
    t1 += w * al, t2 += w * al * al;
    b1 += w * mb, b2 += w * (vb + mb * mb);
  }
  struct banana_exact e;
  e.logz = log(z * h);
  e.ma = s1 / z, e.sa = sqrt(s2 / z - e.ma * e.ma);
  e.mal = t1 / z, e.sal = sqrt(t2 / z - e.mal * e.mal);
  e.mb = b1 / z, e.sb = sqrt(b2 / z - e.mb * e.mb);
  return e;
}

/* Neal's funnel in 10-D with its constants (log Z = 0): v ~ N(0, 3),
 * x_i ~ N(0, e^(v/2)), i = 1..9. */
static int funnel_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  double v = t[0], e = exp(-v), s = -v * v / 18 - log(3.0) - 0.5 * LOG_2PI - 4.5 * v, gv = -v / 9 - 4.5;
  for (int i = 1; i < 10; i++) {
    s -= 0.5 * t[i] * t[i] * e + 0.5 * LOG_2PI;
    gv += 0.5 * t[i] * t[i] * e;
    if (g) g[i] = -t[i] * e;
  }
  *lp = s;
  if (g) g[0] = gv;
  return 0;
}

/* Mean and sd of coordinate i of S draws (optionally of exp of it). */
static void moments(const double *th, size_t S, size_t d, size_t i, int expo, double *m, double *sd) {
  double s1 = 0, s2 = 0;
  for (size_t s = 0; s < S; s++) {
    double x = expo ? exp(th[s * d + i]) : th[s * d + i];
    s1 += x;
    s2 += x * x;
  }
  *m = s1 / (double)S;
  *sd = sqrt(fmax(s2 / (double)S - *m * *m, 0));
}

enum { OUT_DRAWS = 10000 };

/* A flow fit (default options but the seed) and OUT_DRAWS draws. */
static void flow_fit(const struct vi_density *den, uint64_t seed, struct vi_arena *a,
                     struct vi_advi_result *r, double *th) {
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  o.algorithm = VI_ALGO_FLOW;
  o.seed = seed;
  enum vi_advi_stop st = vi_advi_fit(den, &o, a, r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "seed %d: %s", (int)seed, r->reason);
  cr_assert(r->flow != NULL && r->algorithm == VI_ALGO_FLOW);
  cr_assert_eq(vi_advi_draw(r, den, seed, OUT_DRAWS, th, NULL, NULL, &diags), VI_OK);
}

Test(flow, banana_means_sds_and_log_evidence_match_quadrature, .timeout = 600) {
  struct banana_exact e = banana_quadrature();
  /* the quadrature itself, against values computed independently (numpy) */
  cr_assert(fabs(e.logz - -3.2139778) < 1e-6 && fabs(e.sal - 0.92438) < 1e-4, "quadrature %g %g",
            e.logz, e.sal);
  struct vi_density den = {2, NULL, banana_lp, NULL, NULL};
  static double th[OUT_DRAWS * 2];
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_arena a;
    vi_arena_init(&a);
    struct vi_advi_result r;
    flow_fit(&den, seed, &a, &r, th);
    double m, sd, mal, sal;
    moments(th, OUT_DRAWS, 2, 0, 0, &m, &sd);
    moments(th, OUT_DRAWS, 2, 0, 1, &mal, &sal);
    cr_log_info("banana seed %d: log alpha %.4f (%.4f) sd %.4f (%.4f); alpha %.4f (%.4f) sd %.4f "
                "(%.4f); IW-ELBO %.4f se %.4f, ELBO %.4f, log Z %.4f",
                (int)seed, m, e.ma, sd, e.sa, mal, e.mal, sal, e.sal, r.iw_elbo, r.iw_elbo_se,
                r.elbo, e.logz);
    cr_expect(fabs(m - e.ma) < 0.3 * e.sa, "seed %d: mean of log alpha %g, exact %g", (int)seed, m, e.ma);
    cr_expect(fabs(sd / e.sa - 1) < 0.25, "seed %d: sd of log alpha %g, exact %g", (int)seed, sd, e.sa);
    cr_expect(fabs(mal - e.mal) < 0.3 * e.sal, "seed %d: mean of alpha %g, exact %g", (int)seed, mal, e.mal);
    cr_expect(fabs(sal / e.sal - 1) < 0.25, "seed %d: sd of alpha %g, exact %g", (int)seed, sal, e.sal);
    moments(th, OUT_DRAWS, 2, 1, 0, &m, &sd);
    cr_log_info("banana seed %d: beta %.4f (%.4f) sd %.4f (%.4f)", (int)seed, m, e.mb, sd, e.sb);
    cr_expect(fabs(m - e.mb) < 0.3 * e.sb, "seed %d: mean of beta %g, exact %g", (int)seed, m, e.mb);
    cr_expect(fabs(sd / e.sb - 1) < 0.25, "seed %d: sd of beta %g, exact %g", (int)seed, sd, e.sb);
    cr_expect(fabs(r.iw_elbo - e.logz) < 0.1, "seed %d: IW-ELBO %g, log Z %g", (int)seed, r.iw_elbo,
              e.logz);
    cr_expect(r.elbo <= e.logz + 3 * r.elbo_se, "seed %d: ELBO %g above log Z %g", (int)seed,
              r.elbo, e.logz);
    vi_arena_free(&a);
  }
}

Test(flow, funnel_v_matches_its_exact_mean_and_sd, .timeout = 600) {
  struct vi_density den = {10, NULL, funnel_lp, NULL, NULL};
  static double th[OUT_DRAWS * 10];
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_arena a;
    vi_arena_init(&a);
    struct vi_advi_result r;
    flow_fit(&den, seed, &a, &r, th);
    double m, sd;
    moments(th, OUT_DRAWS, 10, 0, 0, &m, &sd);
    cr_log_info("funnel seed %d: v %.4f sd %.4f (exact 0, 3); IW-ELBO %.4f se %.4f (log Z 0)",
                (int)seed, m, sd, r.iw_elbo, r.iw_elbo_se);
    cr_expect(fabs(m) < 0.3 * 3, "seed %d: mean of v %g, exact 0", (int)seed, m);
    cr_expect(fabs(sd / 3 - 1) < 0.25, "seed %d: sd of v %g, exact 3", (int)seed, sd);
    vi_arena_free(&a);
  }
}

Test(flow, a_flow_fit_is_reproducible_bit_for_bit) {
  struct vi_density den = {2, NULL, banana_lp, NULL, NULL};
  struct vi_arena a1, a2;
  vi_arena_init(&a1);
  vi_arena_init(&a2);
  struct vi_advi_result r1, r2;
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  o.algorithm = VI_ALGO_FLOW;
  o.flow_kind = VI_FLOW_IAF;
  o.flow_layers = 2;
  o.seed = 4;
  vi_advi_fit(&den, &o, &a1, &r1, &diags);
  vi_advi_fit(&den, &o, &a2, &r2, &diags);
  cr_assert_eq(r1.flow->npar, r2.flow->npar);
  cr_expect(memcmp(r1.flow->phi, r2.flow->phi, r1.flow->npar * sizeof(double)) == 0);
  cr_expect_eq(r1.elbo, r2.elbo);
  vi_arena_free(&a1);
  vi_arena_free(&a2);
}

/* vi-run in tests/fit with args, stdout to out; the exit status. */
static int run_cli(const char *args, const char *out) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s/tests/fit' && '%s' %s > '%s' 2>/dev/null",
           getenv("VI_SOURCE_ROOT") ? getenv("VI_SOURCE_ROOT") : ".",
           getenv("VI_RUN") ? getenv("VI_RUN") : "build/vi-run", args, out);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

Test(flow, cli_flow_output_does_not_depend_on_threads_and_prints_the_iw_elbo, .timeout = 300) {
  char o1[128], o2[128], d1[128], d2[128], p1[128], args[1024];
  int pid = (int)getpid();
  snprintf(o1, sizeof o1, "/tmp/vi-flow-%d-1.txt", pid);
  snprintf(o2, sizeof o2, "/tmp/vi-flow-%d-2.txt", pid);
  snprintf(d1, sizeof d1, "/tmp/vi-flow-%d-1.csv", pid);
  snprintf(d2, sizeof d2, "/tmp/vi-flow-%d-2.csv", pid);
  snprintf(p1, sizeof p1, "/tmp/vi-flow-%d-p.csv", pid);
  snprintf(args, sizeof args, "flow_banana.vim --algorithm flow --flow iaf --flow-layers 3 --seed 2 "
           "--threads 1 --resample --summary %s --params %s", d1, p1);
  cr_assert_eq(run_cli(args, o1), 0);
  snprintf(args, sizeof args, "flow_banana.vim --algorithm flow --flow iaf --flow-layers 3 --seed 2 "
           "--threads 2 --resample --summary %s", d2);
  cr_assert_eq(run_cli(args, o2), 0);
  char *s1 = slurp(d1), *s2 = slurp(d2), *h = slurp(o1), *pf = slurp(p1);
  cr_assert(s1 && s2 && h && pf, "an output file of vi-run is missing");
  cr_expect_str_eq(s1, s2, "summaries differ between --threads 1 and 2");
  cr_expect(strstr(h, "algorithm:   flow (adam)") != NULL, "%s", h);
  cr_expect(strstr(h, "flow:        iaf, 3 layers of 16 hidden units") != NULL, "%s", h);
  cr_expect(strstr(h, "IW-ELBO:") != NULL && strstr(h, "Monte Carlo se") != NULL, "%s", h);
  cr_expect(strstr(h, "draws:       resampled by Pareto-smoothed importance weights") != NULL, "%s", h);
  /* the params file: the Gaussian base, then every flow parameter */
  cr_expect(strncmp(pf, "param,mean,L_1,L_2\n", 19) == 0, "%.60s", pf);
  cr_expect(strstr(pf, "# flow: iaf, 3 layers, 16 hidden units") != NULL);
  cr_expect(strstr(pf, "flow[3].bt[2],") != NULL);
  free(s1), free(s2), free(h), free(pf);
  unlink(o1), unlink(o2), unlink(d1), unlink(d2), unlink(p1);
}

Test(flow, cli_rejects_an_unknown_flow_and_a_non_adam_optimizer) {
  char o[128];
  snprintf(o, sizeof o, "/tmp/vi-flow-%d-e.txt", (int)getpid());
  cr_expect_eq(run_cli("flow_banana.vim --algorithm flow --flow maf", o), 4);
  cr_expect_eq(run_cli("flow_banana.vim --algorithm flow --optimizer sgd", o), 4);
  cr_expect_eq(run_cli("flow_banana.vim --algorithm flow --flow-layers 0", o), 4);
  unlink(o);
}

/* ---- verdicts of the default fit (issue 12 item 6) ----------------------- */

/* A Poisson regression with an offset: y_i ~ Poisson(E_i exp(b0 + b1 x_i)),
 * b0, b1 ~ normal(0, 5); small counts (data simulated once, b0 0.3, b1 0.8). */
static const int pois_y[30] = {0, 1, 0, 0, 0, 0, 0, 2, 1, 1, 0, 2, 0, 4, 4,
                               2, 0, 1, 0, 4, 0, 5, 3, 8, 7, 4, 2, 2, 9, 11};

static int poisson_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  double s = -(t[0] * t[0] + t[1] * t[1]) / 50, g0 = -t[0] / 25, g1 = -t[1] / 25;
  for (int i = 0; i < 30; i++) {
    double x = -1.5 + 3.0 * i / 29, E = 0.5 + (i % 5) * 0.4, eta = log(E) + t[0] + t[1] * x;
    double mu = exp(eta);
    s += pois_y[i] * eta - mu;
    g0 += pois_y[i] - mu;
    g1 += (pois_y[i] - mu) * x;
  }
  *lp = s;
  if (g) g[0] = g0, g[1] = g1;
  return 0;
}

/* A change-point model (Stan's users' guide): y_t ~ Poisson(t < tau ? e : l),
 * tau uniform on 1..T and summed out, e, l ~ exponential(r) with r = 1 /
 * mean(y); parameters on the log scale (Jacobian included). */
static const int cp_y[30] = {2, 0, 3, 6, 2, 2, 1, 4, 4, 2, 2, 4, 0, 2, 1,
                             1, 1, 0, 0, 0, 0, 2, 1, 1, 0, 2, 0, 0, 1, 0};

static int changepoint_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  enum { T = 30 };
  double e = exp(t[0]), l = exp(t[1]), sum = 0;
  for (int k = 0; k < T; k++) sum += cp_y[k];
  double r = T / sum;
  /* lt[tau] = sum_{t < tau} log Poisson(y_t | e) + sum_{t >= tau} log Poisson(y_t | l), tau = 0..T-1 */
  double lt[T], de[T], dl[T], mx = -INFINITY;
  for (int tau = 0; tau < T; tau++) {
    double v = 0, a = 0, b = 0;
    for (int k = 0; k < T; k++) {
      if (k < tau) v += cp_y[k] * t[0] - e, a += cp_y[k] - e;
      else v += cp_y[k] * t[1] - l, b += cp_y[k] - l;
    }
    lt[tau] = v, de[tau] = a, dl[tau] = b;
    mx = fmax(mx, v);
  }
  double z = 0, ga = 0, gb = 0;
  for (int tau = 0; tau < T; tau++) {
    double w = exp(lt[tau] - mx);
    z += w, ga += w * de[tau], gb += w * dl[tau];
  }
  *lp = mx + log(z) - log((double)T) - r * e - r * l + t[0] + t[1];
  if (g) g[0] = ga / z - r * e + 1, g[1] = gb / z - r * l + 1;
  return 0;
}

/* Means and sds of the two unconstrained coordinates by a grid around the
 * given centre (+-width on each axis). */
static void grid_moments(int (*lp)(void *, const double *, double *, double *), const double *c,
                         const double *width, double *m, double *sd) {
  const int n = 401;
  double v[2], z = 0, s1[2] = {0, 0}, s2[2] = {0, 0}, top = -INFINITY, val;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        v[0] = c[0] + width[0] * (2.0 * i / (n - 1) - 1);
        v[1] = c[1] + width[1] * (2.0 * j / (n - 1) - 1);
        lp(NULL, v, &val, NULL);
        if (pass == 0) {
          top = fmax(top, val);
          continue;
        }
        double w = exp(val - top);
        z += w;
        for (int k = 0; k < 2; k++) s1[k] += w * v[k], s2[k] += w * v[k] * v[k];
      }
  for (int k = 0; k < 2; k++) {
    m[k] = s1[k] / z;
    sd[k] = sqrt(s2[k] / z - m[k] * m[k]);
  }
}

/* The default fit (auto) and the verdict on its 1000 output draws, as vi-run
 * computes them. */
static struct vi_psis_check default_verdict(const struct vi_density *den, uint64_t seed,
                                            double *th, struct vi_advi_result *r, struct vi_arena *a) {
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  o.seed = seed;
  enum vi_advi_stop st = vi_advi_fit(den, &o, a, r, &diags);
  cr_assert(st == VI_ADVI_CONVERGED || st == VI_ADVI_MAX_ITER, "%s", r->reason);
  enum { S = 1000 };
  static double lp[S], lq[S];
  cr_assert_eq(vi_advi_draw(r, den, seed, S, th, lp, lq, &diags), VI_OK);
  struct vi_psis_check c;
  cr_assert_eq(vi_psis_check(th, S, den->dim, lp, lq, &c), VI_OK);
  return c;
}

static void exact_fit_not_unreliable(const char *name, int (*lp)(void *, const double *, double *, double *)) {
  struct vi_density den = {2, NULL, lp, NULL, NULL};
  static double th[1000 * 2];
  double m[2], sd[2], m0[2], sd0[2];
  for (uint64_t seed = 1; seed <= 3; seed++) {
    struct vi_arena a;
    vi_arena_init(&a);
    struct vi_advi_result r;
    struct vi_psis_check c = default_verdict(&den, seed, th, &r, &a);
    if (seed == 1) { /* the exact answer: a grid of +-8 fitted sds around the fit */
      double w[2];
      for (int k = 0; k < 2; k++) moments(th, 1000, 2, (size_t)k, 0, &m0[k], &sd0[k]), w[k] = 8 * sd0[k];
      grid_moments(lp, m0, w, m, sd);
    }
    double fm[2], fs[2];
    for (int k = 0; k < 2; k++) moments(th, 1000, 2, (size_t)k, 0, &fm[k], &fs[k]);
    cr_log_info("%s seed %d (%s): k %.2f, shifts %.3f sd %.3f, verdict %s; means %.4f %.4f (grid %.4f "
                "%.4f), sds %.4f %.4f (grid %.4f %.4f)",
                name, (int)seed, vi_algo_name(r.algorithm), c.khat, c.mean_shift, c.sd_shift,
                vi_verdict_name(c.verdict), fm[0], fm[1], m[0], m[1], fs[0], fs[1], sd[0], sd[1]);
    for (int k = 0; k < 2; k++) {
      cr_expect(fabs(fm[k] - m[k]) < 0.1 * sd[k], "%s seed %d: mean[%d] %g, grid %g", name, (int)seed, k, fm[k], m[k]);
      cr_expect(fabs(fs[k] / sd[k] - 1) < 0.1, "%s seed %d: sd[%d] %g, grid %g", name, (int)seed, k, fs[k], sd[k]);
    }
    cr_expect(c.verdict != VI_VERDICT_UNRELIABLE, "%s seed %d: called unreliable (k %.2f, shifts %.3f %.3f)",
              name, (int)seed, c.khat, c.mean_shift, c.sd_shift);
    vi_arena_free(&a);
  }
}

Test(verdict, poisson_regression_with_an_offset_is_not_called_unreliable) {
  exact_fit_not_unreliable("poisson", poisson_lp);
}

Test(verdict, change_point_model_is_not_called_unreliable) {
  exact_fit_not_unreliable("changepoint", changepoint_lp);
}

/* Student-t(2) in one coordinate, and the 10-D funnel: a Gaussian cannot
 * fit them, and the verdict must say so. */
static int student2_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  *lp = -1.5 * log1p(t[0] * t[0] / 2);
  if (g) g[0] = -1.5 * t[0] / (1 + t[0] * t[0] / 2);
  return 0;
}

Test(verdict, student_t2_and_the_funnel_are_still_flagged) {
  struct vi_density dens[2] = {{1, NULL, student2_lp, NULL, NULL}, {10, NULL, funnel_lp, NULL, NULL}};
  static double th[1000 * 10];
  for (int k = 0; k < 2; k++)
    for (uint64_t seed = 1; seed <= 3; seed++) {
      struct vi_arena a;
      vi_arena_init(&a);
      struct vi_advi_result r;
      struct vi_psis_check c = default_verdict(&dens[k], seed, th, &r, &a);
      cr_log_info("%s seed %d: k %.2f, shifts %.3f %.3f", k ? "funnel" : "student-t(2)", (int)seed,
                  c.khat, c.mean_shift, c.sd_shift);
      cr_expect_eq(c.verdict, VI_VERDICT_UNRELIABLE, "%s seed %d: k %.2f, shifts %.3f %.3f",
                   k ? "funnel" : "student-t(2)", (int)seed, c.khat, c.mean_shift, c.sd_shift);
      vi_arena_free(&a);
    }
}

/* N(m, s^2) in 3 coordinates, independent. */
static int gauss3_lp(void *ctx, const double *t, double *lp, double *g) {
  (void)ctx;
  static const double m[3] = {1, -2, 0.5}, s[3] = {0.5, 2, 1};
  double v = 0;
  for (int i = 0; i < 3; i++) {
    double z = (t[i] - m[i]) / s[i];
    v += -0.5 * z * z - log(s[i]) - 0.5 * LOG_2PI;
    if (g) g[i] = -z / s[i];
  }
  *lp = v;
  return 0;
}

Test(flow, an_exact_gaussian_stays_exact_and_converged) {
  struct vi_density den = {3, NULL, gauss3_lp, NULL, NULL};
  static double th[OUT_DRAWS * 3];
  static const double m[3] = {1, -2, 0.5}, s[3] = {0.5, 2, 1};
  struct vi_arena a;
  vi_arena_init(&a);
  struct vi_advi_result r;
  flow_fit(&den, 1, &a, &r, th);
  cr_expect(r.converged, "%s", r.reason);
  cr_expect(fabs(r.iw_elbo) < 0.01 && fabs(r.elbo) < 0.01, "ELBO %g, IW-ELBO %g, log Z 0", r.elbo, r.iw_elbo);
  for (size_t i = 0; i < 3; i++) {
    double mm, sd;
    moments(th, OUT_DRAWS, 3, i, 0, &mm, &sd);
    cr_expect(fabs(mm - m[i]) < 0.05 * s[i] && fabs(sd / s[i] - 1) < 0.05, "coordinate %zu: %g %g", i, mm, sd);
  }
  vi_arena_free(&a);
}
