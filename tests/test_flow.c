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

#include "vi/advi.h"
#include "vi/flow.h"
#include "vi/rng.h"

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
