/* test_transform.c: Stan's constraint transforms (runtime/transform.c).
 *
 * Over a table of cases covering every kind: round trip u -> y -> u,
 * constrained values pass vi_transform_check, the log-Jacobian equals
 * log|det J| from central finite differences of the transform, and the
 * reverse-mode gradient of sum(w .* y) + logJ with respect to u and the bounds
 * equals central finite differences. For the non-square transforms the
 * Jacobian is taken in Stan's reduced coordinates:
 *   simplex[K]: the first K-1 elements;
 *   cholesky_factor_corr[K]: the strict lower triangle of L;
 *   corr_matrix[K]: the strict lower triangle of the matrix;
 *   cholesky_factor_cov[M,N]: the lower trapezoid (with the diagonal);
 *   cov_matrix[K]: the lower triangle (with the diagonal);
 *   unit_vector: no Jacobian (Stan's -|u|^2/2 is a normal prior, checked as a value).
 * Plus hand-computed values, Stan's element order, and the messages a user sees. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "vi/transform.h"

enum { MAXN = 64 };

struct tcase {
  const char *name;
  int kind, count, rows, cols;
  double lo[MAXN];
  int nlo; /* 0 absent, 1 scalar, else one per constrained element */
  double hi[MAXN];
  int nhi;
  int nojac; /* no log|det J| check (unit_vector) */
};

static const struct tcase cases[] = {
    {"identity", VI_TR_IDENTITY, 3, 1, 1, {0}, 0, {0}, 0, 0},
    {"lower scalar", VI_TR_LOWER, 3, 1, 1, {1.5}, 1, {0}, 0, 0},
    {"lower vector", VI_TR_LOWER, 1, 3, 1, {-1, 0.5, 2}, 3, {0}, 0, 0},
    {"lower -inf", VI_TR_LOWER, 2, 1, 1, {-INFINITY}, 1, {0}, 0, 0},
    {"upper scalar", VI_TR_UPPER, 2, 1, 1, {0}, 0, {-2}, 1, 0},
    {"upper matrix", VI_TR_UPPER, 1, 2, 2, {0}, 0, {1, 2, 3, 4}, 4, 0},
    {"lower_upper scalar", VI_TR_LOWER_UPPER, 3, 1, 1, {0}, 1, {1}, 1, 0},
    {"lower_upper vector", VI_TR_LOWER_UPPER, 1, 3, 1, {-1, 0, 2}, 3, {1, 0.5, 7}, 3, 0},
    {"lower_upper -inf lower", VI_TR_LOWER_UPPER, 2, 1, 1, {-INFINITY}, 1, {3}, 1, 0},
    {"lower_upper +inf upper", VI_TR_LOWER_UPPER, 2, 1, 1, {-3}, 1, {INFINITY}, 1, 0},
    {"lower_upper upper only", VI_TR_LOWER_UPPER, 2, 1, 1, {0}, 0, {3}, 1, 0},
    {"offset_multiplier scalar", VI_TR_OFFSET_MULT, 3, 1, 1, {2}, 1, {3}, 1, 0},
    {"offset_multiplier vector", VI_TR_OFFSET_MULT, 1, 3, 1, {1, 2, 3}, 3, {0.5, 2, 4}, 3, 0},
    {"multiplier only", VI_TR_OFFSET_MULT, 1, 2, 1, {0}, 0, {0.25}, 1, 0},
    {"ordered", VI_TR_ORDERED, 2, 4, 1, {0}, 0, {0}, 0, 0},
    {"positive_ordered", VI_TR_POS_ORDERED, 2, 3, 1, {0}, 0, {0}, 0, 0},
    {"simplex", VI_TR_SIMPLEX, 2, 4, 1, {0}, 0, {0}, 0, 0},
    {"simplex 2", VI_TR_SIMPLEX, 1, 2, 1, {0}, 0, {0}, 0, 0},
    {"unit_vector", VI_TR_UNIT_VECTOR, 2, 3, 1, {0}, 0, {0}, 0, 1},
    {"cholesky_factor_corr 2", VI_TR_CHOL_CORR, 1, 2, 2, {0}, 0, {0}, 0, 0},
    {"cholesky_factor_corr 4", VI_TR_CHOL_CORR, 2, 4, 4, {0}, 0, {0}, 0, 0},
    {"cholesky_factor_cov 3x3", VI_TR_CHOL_COV, 1, 3, 3, {0}, 0, {0}, 0, 0},
    {"cholesky_factor_cov 4x2", VI_TR_CHOL_COV, 2, 4, 2, {0}, 0, {0}, 0, 0},
    {"corr_matrix 3", VI_TR_CORR, 1, 3, 3, {0}, 0, {0}, 0, 0},
    {"corr_matrix 4", VI_TR_CORR, 2, 4, 4, {0}, 0, {0}, 0, 0},
    {"cov_matrix 1", VI_TR_COV, 1, 1, 1, {0}, 0, {0}, 0, 0},
    {"cov_matrix 3", VI_TR_COV, 2, 3, 3, {0}, 0, {0}, 0, 0},
    /* an isometry onto the sum-zero plane: Stan's log|J| is 0, not the
     * determinant in the first K-1 coordinates */
    {"sum_to_zero_vector 4", VI_TR_SUM_TO_ZERO, 2, 4, 1, {0}, 0, {0}, 0, 1},
    {"sum_to_zero_vector 2", VI_TR_SUM_TO_ZERO, 1, 2, 1, {0}, 0, {0}, 0, 1},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

struct fix {
  struct vi_arena arena;
  struct vi_tape tape;
  struct vi_diags diags;
  struct vi_ctx c;
};

static void fix_init(struct fix *f, int with_tape) {
  memset(f, 0, sizeof *f);
  vi_arena_init(&f->arena);
  vi_tape_init(&f->tape);
  vi_diags_init(&f->diags);
  f->c.arena = &f->arena;
  f->c.tape = with_tape ? &f->tape : NULL;
  f->c.diags = &f->diags;
}

static void fix_free(struct fix *f) {
  vi_arena_free(&f->arena);
  vi_tape_free(&f->tape);
  vi_diags_free(&f->diags);
}

static const struct vi_srcloc here = {"m.vim", 3, 5};

static size_t out_n(const struct tcase *t) { return (size_t)t->count * (size_t)t->rows * (size_t)t->cols; }
static size_t u_n(const struct tcase *t) {
  return (size_t)t->count * vi_transform_size(t->kind, t->rows, t->cols);
}

/* A bound value: scalar or vector of n, differentiable (dx set) if var. */
static void make_bound(struct fix *f, struct vi_val *v, const double *x, int n, int var) {
  struct vi_type t = {n == 1 ? VI_T_REAL : VI_T_VECTOR, 0};
  int dims[1] = {n};
  cr_assert_eq(vi_val_new_real(&f->c, v, t, dims), VI_OK);
  memcpy(v->x, x, (size_t)n * sizeof *x);
  if (var) v->dx = vi_arena_array(&f->arena, (size_t)n, sizeof(double));
}

static void make_out(struct vi_val *out, const struct tcase *t) {
  memset(out, 0, sizeof *out);
  struct vi_type ty = {VI_T_MATRIX, 1};
  int dims[3] = {t->count, t->rows, t->cols};
  cr_assert_eq(vi_val_set_shape(out, ty, dims), VI_OK);
}

/* Plain evaluation: y and logJ at u with the given bounds; the status. */
static int eval(const struct tcase *t, const double *u, const double *lo, const double *hi, double *y,
                double *lj) {
  struct fix f;
  fix_init(&f, 0);
  struct vi_val vlo, vhi, out, logj;
  if (t->nlo) make_bound(&f, &vlo, lo, t->nlo, 0);
  if (t->nhi) make_bound(&f, &vhi, hi, t->nhi, 0);
  make_out(&out, t);
  int r = vi_transform_constrain(&f.c, t->kind, u, NULL, (size_t)t->count, t->rows, t->cols,
                                 t->nlo ? &vlo : NULL, t->nhi ? &vhi : NULL, &out, &logj, here);
  if (!r) {
    cr_assert_null(out.dx, "%s: constant input gives a constant output", t->name);
    cr_assert_null(logj.dx);
    memcpy(y, out.x, out.n * sizeof *y);
    *lj = logj.x[0];
  }
  fix_free(&f);
  return r;
}

static double weight(size_t i) { return 0.7 - 0.37 * (double)(i % 5) + 0.11 * (double)i; }

static double objective(const struct tcase *t, const double *u, const double *lo, const double *hi) {
  double y[MAXN], lj;
  cr_assert_eq(eval(t, u, lo, hi, y, &lj), VI_OK, "%s", t->name);
  double s = lj;
  for (size_t i = 0; i < out_n(t); i++) s += weight(i) * y[i];
  return s;
}

/* Reverse mode: gradient of sum(w .* y) + logJ with respect to u, lo, hi. */
static void gradient(const struct tcase *t, const double *u, const double *lo, const double *hi, double *gu,
                     double *glo, double *ghi) {
  struct fix f;
  fix_init(&f, 1);
  struct vi_val vlo, vhi, out, logj;
  if (t->nlo) make_bound(&f, &vlo, lo, t->nlo, 1);
  if (t->nhi) make_bound(&f, &vhi, hi, t->nhi, 1);
  make_out(&out, t);
  size_t nu = u_n(t);
  double *du = vi_arena_array(&f.arena, nu ? nu : 1, sizeof(double));
  int r = vi_transform_constrain(&f.c, t->kind, u, du, (size_t)t->count, t->rows, t->cols, t->nlo ? &vlo : NULL,
                                 t->nhi ? &vhi : NULL, &out, &logj, here);
  cr_assert_eq(r, VI_OK, "%s: %s", t->name, f.diags.buf ? f.diags.buf : "");
  cr_assert_not_null(out.dx);
  cr_assert_not_null(logj.dx);
  for (size_t i = 0; i < f.tape.n; i++) memset(f.tape.nodes[i]->dy, 0, f.tape.nodes[i]->n * sizeof(double));
  for (size_t i = 0; i < out.n; i++) out.dx[i] = weight(i);
  logj.dx[0] += 1;
  for (size_t i = f.tape.n; i-- > 0;) f.tape.nodes[i]->op->bwd(f.tape.nodes[i]);
  memcpy(gu, du, nu * sizeof *gu);
  if (t->nlo) memcpy(glo, vlo.dx, (size_t)t->nlo * sizeof *glo);
  if (t->nhi) memcpy(ghi, vhi.dx, (size_t)t->nhi * sizeof *ghi);
  fix_free(&f);
}

static void test_point(const struct tcase *t, size_t i, double *u) {
  /* moderate values so every constraint is well inside its domain */
  for (size_t k = 0; k < u_n(t); k++) u[k] = 0.9 * sin(1.3 * (double)(k + i) + 0.4 * (double)t->kind) + 0.1;
}

static void assert_close(double got, double want, double rel, double abso, const char *what, const char *name,
                         size_t k) {
  double tol = fmax(rel * fabs(want), abso);
  cr_assert(fabs(got - want) <= tol, "%s: %s[%zu] = %.17g, expected %.17g", name, what, k, got, want);
}

Test(transform, round_trip_recovers_the_unconstrained_point) {
  for (size_t i = 0; i < NCASES; i++) {
    const struct tcase *t = &cases[i];
    double u[MAXN], y[MAXN], lj, back[MAXN];
    char err[256] = "";
    test_point(t, i, u);
    cr_assert_eq(eval(t, u, t->lo, t->hi, y, &lj), VI_OK, "%s", t->name);
    int r = vi_transform_unconstrain(t->kind, y, (size_t)t->count, t->rows, t->cols, t->lo, (size_t)t->nlo, t->hi,
                                     (size_t)t->nhi, back, err, sizeof err);
    cr_assert_eq(r, 0, "%s: %s", t->name, err);
    if (t->kind == VI_TR_UNIT_VECTOR) /* many-to-one: the inverse gives the point on the sphere */
      for (size_t e = 0; e < (size_t)t->count; e++) {
        double *ue = u + e * (size_t)t->rows, ss = 0;
        for (int k = 0; k < t->rows; k++) ss += ue[k] * ue[k];
        for (int k = 0; k < t->rows; k++) ue[k] /= sqrt(ss);
      }
    for (size_t k = 0; k < u_n(t); k++) assert_close(back[k], u[k], 1e-10, 1e-10, "u", t->name, k);
  }
}

Test(transform, constrained_values_satisfy_the_constraint) {
  for (size_t i = 0; i < NCASES; i++) {
    const struct tcase *t = &cases[i];
    double u[MAXN], y[MAXN], lj;
    char err[256] = "";
    test_point(t, i, u);
    cr_assert_eq(eval(t, u, t->lo, t->hi, y, &lj), VI_OK, "%s", t->name);
    long r = vi_transform_check(t->kind, y, (size_t)t->count, t->rows, t->cols, t->lo, (size_t)t->nlo, t->hi,
                                (size_t)t->nhi, err, sizeof err);
    cr_assert_eq(r, -1, "%s: element %ld %s", t->name, r, err);
  }
}

/* Reduced coordinates of y (see the header comment); returns their number. */
static size_t reduce(const struct tcase *t, const double *y, double *r) {
  size_t n = 0, M = (size_t)t->rows, N = (size_t)t->cols, per = M * N;
  for (size_t e = 0; e < (size_t)t->count; e++) {
    const double *ye = y + e * per;
    switch (t->kind) {
    case VI_TR_SIMPLEX:
      for (size_t k = 0; k + 1 < per; k++) r[n++] = ye[k];
      break;
    case VI_TR_CHOL_CORR:
    case VI_TR_CORR:
    case VI_TR_CHOL_COV:
    case VI_TR_COV: {
      int strict = t->kind == VI_TR_CHOL_CORR || t->kind == VI_TR_CORR;
      for (size_t c = 0; c < N; c++)
        for (size_t i = c + (size_t)strict; i < M; i++) r[n++] = ye[i + c * M];
      break;
    }
    default:
      for (size_t k = 0; k < per; k++) r[n++] = ye[k];
    }
  }
  return n;
}

/* log|det A| of the n x n row-major A by Gaussian elimination with pivoting. */
static double log_abs_det(double *A, size_t n) {
  double s = 0;
  for (size_t c = 0; c < n; c++) {
    size_t p = c;
    for (size_t i = c + 1; i < n; i++)
      if (fabs(A[i * n + c]) > fabs(A[p * n + c])) p = i;
    if (p != c)
      for (size_t j = 0; j < n; j++) {
        double tmp = A[c * n + j];
        A[c * n + j] = A[p * n + j];
        A[p * n + j] = tmp;
      }
    s += log(fabs(A[c * n + c]));
    for (size_t i = c + 1; i < n; i++) {
      double m = A[i * n + c] / A[c * n + c];
      for (size_t j = c; j < n; j++) A[i * n + j] -= m * A[c * n + j];
    }
  }
  return s;
}

Test(transform, log_jacobian_equals_finite_difference_log_determinant) {
  for (size_t i = 0; i < NCASES; i++) {
    const struct tcase *t = &cases[i];
    if (t->nojac) continue;
    double u[MAXN], y[MAXN], lj, yp[MAXN], ym[MAXN], rp[MAXN], rm[MAXN], ljx;
    static double J[MAXN * MAXN];
    test_point(t, i, u);
    cr_assert_eq(eval(t, u, t->lo, t->hi, y, &lj), VI_OK);
    size_t nu = u_n(t);
    for (size_t k = 0; k < nu; k++) {
      double h = 1e-6, keep = u[k];
      u[k] = keep + h;
      eval(t, u, t->lo, t->hi, yp, &ljx);
      u[k] = keep - h;
      eval(t, u, t->lo, t->hi, ym, &ljx);
      u[k] = keep;
      size_t nr = reduce(t, yp, rp);
      cr_assert_eq(reduce(t, ym, rm), nr);
      cr_assert_eq(nr, nu, "%s: %zu reduced coordinates for %zu unconstrained", t->name, nr, nu);
      for (size_t j = 0; j < nr; j++) J[j * nu + k] = (rp[j] - rm[j]) / (2 * h);
    }
    double want = nu ? log_abs_det(J, nu) : 0;
    assert_close(lj, want, 1e-6, 1e-6, "logJ", t->name, 0);
  }
}

Test(transform, gradient_matches_finite_differences_for_u_and_bounds) {
  for (size_t i = 0; i < NCASES; i++) {
    const struct tcase *t = &cases[i];
    double u[MAXN], lo[MAXN], hi[MAXN], gu[MAXN], glo[MAXN], ghi[MAXN];
    test_point(t, i, u);
    memcpy(lo, t->lo, sizeof lo);
    memcpy(hi, t->hi, sizeof hi);
    gradient(t, u, lo, hi, gu, glo, ghi);
    for (size_t k = 0; k < u_n(t); k++) {
      double keep = u[k], h = 1e-6;
      u[k] = keep + h;
      double fp = objective(t, u, lo, hi);
      u[k] = keep - h;
      double fm = objective(t, u, lo, hi);
      u[k] = keep;
      assert_close(gu[k], (fp - fm) / (2 * h), 1e-6, 1e-6, "d/du", t->name, k);
    }
    double *b[2] = {lo, hi}, *g[2] = {glo, ghi};
    int nb[2] = {t->nlo, t->nhi};
    for (int s = 0; s < 2; s++)
      for (int k = 0; k < nb[s]; k++) {
        double keep = b[s][k], h = 1e-6;
        if (!isfinite(keep)) continue;
        b[s][k] = keep + h;
        double fp = objective(t, u, lo, hi);
        b[s][k] = keep - h;
        double fm = objective(t, u, lo, hi);
        b[s][k] = keep;
        assert_close(g[s][k], (fp - fm) / (2 * h), 1e-6, 1e-6, s ? "d/dhi" : "d/dlo", t->name, (size_t)k);
      }
  }
}

/* ---- values computed by hand ---- */

static const struct tcase *find(const char *name) {
  for (size_t i = 0; i < NCASES; i++)
    if (!strcmp(cases[i].name, name)) return &cases[i];
  cr_assert_fail("no case %s", name);
  return NULL;
}

Test(transform, scalar_bounds_match_hand_values) {
  double y[MAXN], lj;
  double u[3] = {0, log(2.0), -1};
  /* lower 1.5: 1.5 + exp(u), logJ = sum u */
  cr_assert_eq(eval(find("lower scalar"), u, (double[]){1.5}, NULL, y, &lj), VI_OK);
  cr_assert_float_eq(y[0], 2.5, 1e-15);
  cr_assert_float_eq(y[1], 3.5, 1e-15);
  cr_assert_float_eq(lj, log(2.0) - 1, 1e-15);
  /* lower 0 upper 1 at u = 0: 0.5, logJ = log(1/4); at u = log 2: 2/3 */
  cr_assert_eq(eval(find("lower_upper scalar"), u, (double[]){0}, (double[]){1}, y, &lj), VI_OK);
  cr_assert_float_eq(y[0], 0.5, 1e-15);
  cr_assert_float_eq(y[1], 2.0 / 3, 1e-15);
  cr_assert_float_eq(y[2], 1 / (1 + exp(1.0)), 1e-15);
  double e = exp(-1.0) / (1 + exp(-1.0));
  cr_assert_float_eq(lj, log(0.25) + log(2.0 / 9) + log(e * (1 - e)), 1e-14);
  /* upper 3 with an infinite lower bound: 3 - exp(u) */
  cr_assert_eq(eval(find("lower_upper -inf lower"), u, (double[]){-INFINITY}, (double[]){3}, y, &lj), VI_OK);
  cr_assert_float_eq(y[1], 1.0, 1e-15);
  cr_assert_float_eq(lj, log(2.0), 1e-15);
  /* offset 2 multiplier 3: 2 + 3u, logJ = 3 log 3 */
  cr_assert_eq(eval(find("offset_multiplier scalar"), u, (double[]){2}, (double[]){3}, y, &lj), VI_OK);
  cr_assert_float_eq(y[2], -1.0, 1e-15);
  cr_assert_float_eq(lj, 3 * log(3.0), 1e-14);
}

Test(transform, lower_upper_keeps_stans_clamp_away_from_the_upper_bound) {
  /* inv_logit(40) rounds to 1; Stan uses 1 - 1e-15 so y stays below ub */
  struct tcase t = {"lu", VI_TR_LOWER_UPPER, 1, 1, 1, {0}, 1, {1}, 1, 0};
  double u[1] = {40}, y[1], lj, gu[1], glo[1], ghi[1];
  cr_assert_eq(eval(&t, u, t.lo, t.hi, y, &lj), VI_OK);
  cr_assert_float_eq(y[0], 1 - 1e-15, 1e-17);
  cr_assert(y[0] < 1);
  cr_assert_float_eq(lj, -40 - 2 * log1p(exp(-40.0)), 1e-13);
  gradient(&t, u, t.lo, t.hi, gu, glo, ghi);
  /* dy/du = 0 (the clamped value is constant); dlogJ/du = 1 - 2 inv_logit(40) = -1 */
  cr_assert_float_eq(gu[0], -1.0, 1e-15);
}

Test(transform, simplex_is_stan_2_21_stick_breaking) {
  /* u = 0: every z_k = 1/(K-k+1) of the rest, so all elements are 1/K */
  struct tcase t = {"s", VI_TR_SIMPLEX, 1, 3, 1, {0}, 0, {0}, 0, 0};
  double u[2] = {0, 0}, y[3], lj;
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  for (int k = 0; k < 3; k++) cr_assert_float_eq(y[k], 1.0 / 3, 1e-15);
  /* log(1/3) + log(2/3) + [log(2/3) + log(1/2) + log(1/2)] */
  cr_assert_float_eq(lj, log(1.0 / 3) + 2 * log(2.0 / 3) + 2 * log(0.5), 1e-14);
  /* u = (1, -0.5): z1 = inv_logit(1 - log 2), z2 = inv_logit(-0.5) (R: plogis) */
  double v[2] = {1, -0.5};
  cr_assert_eq(eval(&t, v, NULL, NULL, y, &lj), VI_OK);
  double z1 = 1 / (1 + exp(-(1 - log(2.0)))), z2 = 1 / (1 + exp(0.5));
  cr_assert_float_eq(y[0], z1, 1e-15);
  cr_assert_float_eq(y[1], (1 - z1) * z2, 1e-15);
  cr_assert_float_eq(y[2], (1 - z1) * (1 - z2), 1e-15);
  cr_assert_float_eq(lj, log(z1 * (1 - z1)) + log(1 - z1) + log(z2 * (1 - z2)), 1e-14);
}

Test(transform, ordered_and_positive_ordered_values) {
  struct tcase t = {"o", VI_TR_ORDERED, 1, 3, 1, {0}, 0, {0}, 0, 0};
  double u[3] = {-1, 0, log(3.0)}, y[3], lj;
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  cr_assert_float_eq(y[0], -1.0, 1e-15);
  cr_assert_float_eq(y[1], 0.0, 1e-15);
  cr_assert_float_eq(y[2], 3.0, 1e-15);
  cr_assert_float_eq(lj, log(3.0), 1e-15);
  t.kind = VI_TR_POS_ORDERED;
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  cr_assert_float_eq(y[0], exp(-1.0), 1e-15);
  cr_assert_float_eq(y[2], exp(-1.0) + 4, 1e-14);
  cr_assert_float_eq(lj, -1 + log(3.0), 1e-15);
}

Test(transform, unit_vector_value_and_prior_term) {
  struct tcase t = {"u", VI_TR_UNIT_VECTOR, 1, 2, 1, {0}, 0, {0}, 0, 1};
  double u[2] = {3, 4}, y[2], lj;
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  cr_assert_float_eq(y[0], 0.6, 1e-15);
  cr_assert_float_eq(y[1], 0.8, 1e-15);
  cr_assert_float_eq(lj, -12.5, 1e-15);
}

Test(transform, cov_matrix_reads_rows_with_log_diagonal) {
  /* u = (0, 0.5, log 2): L = [1 0; 0.5 2], Sigma = [1 0.5; 0.5 4.25],
   * logJ = 2 log 2 + 3*0 + 2 log 2 */
  struct tcase t = {"c", VI_TR_COV, 1, 2, 2, {0}, 0, {0}, 0, 0};
  double u[3] = {0, 0.5, log(2.0)}, y[4], lj;
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  double want[4] = {1, 0.5, 0.5, 4.25};
  for (int k = 0; k < 4; k++) cr_assert_float_eq(y[k], want[k], 1e-15);
  cr_assert_float_eq(lj, 4 * log(2.0), 1e-15);
  /* cholesky_factor_cov[3,2]: rows (u1 exp), (u2, exp u3), (u4, u5) */
  struct tcase f = {"f", VI_TR_CHOL_COV, 1, 3, 2, {0}, 0, {0}, 0, 0};
  double v[5] = {0, 7, log(3.0), 8, 9}, L[6];
  cr_assert_eq(eval(&f, v, NULL, NULL, L, &lj), VI_OK);
  double wantL[6] = {1, 7, 8, 0, 3, 9};
  for (int k = 0; k < 6; k++) cr_assert_float_eq(L[k], wantL[k], 1e-15);
  cr_assert_float_eq(lj, log(3.0), 1e-15);
}

Test(transform, correlation_transforms_use_stans_two_orders) {
  /* K = 4 with u_3 = atanh(0.5), the rest 0: cholesky_factor_corr reads the
   * strict lower triangle by rows, so z_3 is L(3,2) (1-based); corr_matrix by
   * columns, so z_3 is the partial correlation of (4,1). */
  double u[6] = {0, 0, atanh(0.5), 0, 0, 0}, y[16], lj;
  struct tcase t = {"cc", VI_TR_CHOL_CORR, 1, 4, 4, {0}, 0, {0}, 0, 0};
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  cr_assert_float_eq(y[2 + 1 * 4], 0.5, 1e-15);
  cr_assert_float_eq(y[2 + 2 * 4], sqrt(0.75), 1e-15);
  cr_assert_float_eq(y[3 + 0 * 4], 0.0, 1e-15);
  /* weight 1 + (i-1-c)/2 with i = 2, c = 1 (0-based): 1 */
  cr_assert_float_eq(lj, log(0.75), 1e-14);
  t.kind = VI_TR_CORR;
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  cr_assert_float_eq(y[3 + 0 * 4], 0.5, 1e-15);
  cr_assert_float_eq(y[0 + 3 * 4], 0.5, 1e-15);
  cr_assert_float_eq(y[2 + 1 * 4], 0.0, 1e-15);
  /* Stan's read_corr_L: weight (K-k-1)/2 for column k = 1 (1-based): 1 */
  cr_assert_float_eq(lj, log(0.75) * 2, 1e-14);
  /* K = 3, CPCs 0.5, 0.2, 0.3 (R: L %*% t(L)) */
  double v[3] = {atanh(0.5), atanh(0.2), atanh(0.3)}, c[9];
  struct tcase k3 = {"k3", VI_TR_CORR, 1, 3, 3, {0}, 0, {0}, 0, 0};
  cr_assert_eq(eval(&k3, v, NULL, NULL, c, &lj), VI_OK);
  cr_assert_float_eq(c[1], 0.5, 1e-15);
  cr_assert_float_eq(c[2], 0.2, 1e-15);
  cr_assert_float_eq(c[5], 0.5 * 0.2 + sqrt(0.75) * 0.3 * sqrt(0.96), 1e-15);
  cr_assert_float_eq(c[8], 1.0, 1e-15);
  cr_assert_float_eq(lj, log(0.75) + log(0.96) + log(0.91) + 0.5 * (log(0.75) + log(0.96)), 1e-14);
}

/* ---- failures a user sees ---- */

Test(transform, bounds_in_the_wrong_order_fail_with_a_message) {
  const struct tcase *t = find("lower_upper scalar");
  struct fix f;
  fix_init(&f, 1);
  struct vi_val lo, hi, out, logj;
  make_bound(&f, &lo, (double[]){3}, 1, 1);
  make_bound(&f, &hi, (double[]){1}, 1, 0);
  make_out(&out, t);
  double u[3] = {0, 0, 0}, du[3];
  int r = vi_transform_constrain(&f.c, t->kind, u, du, 3, 1, 1, &lo, &hi, &out, &logj, here);
  cr_assert_eq(r, VI_ERR_EVAL);
  cr_assert(strstr(f.diags.buf, "m.vim:3:5: error: lower bound 3 is not below upper bound 1"), "%s", f.diags.buf);
  fix_free(&f);
}

Test(transform, bounds_that_depend_on_parameters_are_rechecked_on_replay) {
  const struct tcase *t = find("lower_upper scalar");
  struct fix f;
  fix_init(&f, 1);
  struct vi_val lo, hi, out, logj;
  make_bound(&f, &lo, (double[]){0}, 1, 1);
  make_bound(&f, &hi, (double[]){1}, 1, 1);
  make_out(&out, t);
  double u[3] = {0, 0, 0}, du[3];
  cr_assert_eq(vi_transform_constrain(&f.c, t->kind, u, du, 3, 1, 1, &lo, &hi, &out, &logj, here), VI_OK);
  cr_assert_eq(f.tape.n, 1);
  lo.x[0] = 0.25; /* a new parameter value: still valid */
  cr_assert_eq(vi_tape_forward(&f.tape), VI_OK);
  cr_assert_float_eq(out.x[0], 0.625, 1e-15);
  cr_assert_float_eq(logj.x[0], 3 * (log(0.75) + log(0.25)), 1e-14);
  lo.x[0] = 2.5;
  cr_assert_eq(vi_tape_forward(&f.tape), VI_ERR_EVAL);
  cr_assert_str_eq(f.tape.err.msg, "lower bound 2.5 is not below upper bound 1");
  cr_assert_eq(f.tape.err.loc.line, 3);
  fix_free(&f);
}

Test(transform, bad_multiplier_and_zero_unit_vector_fail) {
  struct fix f;
  fix_init(&f, 0);
  const struct tcase *t = find("offset_multiplier scalar");
  struct vi_val lo, hi, out, logj;
  make_bound(&f, &lo, (double[]){0}, 1, 0);
  make_bound(&f, &hi, (double[]){-2}, 1, 0);
  make_out(&out, t);
  double u[3] = {0, 0, 0};
  cr_assert_eq(vi_transform_constrain(&f.c, t->kind, u, NULL, 3, 1, 1, &lo, &hi, &out, &logj, here), VI_ERR_EVAL);
  cr_assert(strstr(f.diags.buf, "multiplier is -2, must be positive and finite"), "%s", f.diags.buf);
  struct tcase uv = {"uv", VI_TR_UNIT_VECTOR, 1, 3, 1, {0}, 0, {0}, 0, 1};
  make_out(&out, &uv);
  cr_assert_eq(vi_transform_constrain(&f.c, uv.kind, u, NULL, 1, 3, 1, NULL, NULL, &out, &logj, here), VI_ERR_EVAL);
  cr_assert(strstr(f.diags.buf, "unit_vector: the unconstrained vector has squared norm 0"), "%s", f.diags.buf);
  fix_free(&f);
}

Test(transform, check_reports_the_offending_element) {
  char err[256];
  double y[4] = {0.5, -1, 2, 3};
  cr_assert_eq(vi_transform_check(VI_TR_LOWER, y, 4, 1, 1, (double[]){0}, 1, NULL, 0, err, sizeof err), 1);
  cr_assert_str_eq(err, "is -1, below the lower bound 0");
  cr_assert_eq(vi_transform_check(VI_TR_UPPER, y, 4, 1, 1, NULL, 0, (double[]){2.5}, 1, err, sizeof err), 3);
  cr_assert_str_eq(err, "is 3, above the upper bound 2.5");
  cr_assert_eq(vi_transform_check(VI_TR_LOWER_UPPER, y, 4, 1, 1, (double[]){0, -2, 0, 0}, 4, (double[]){1, 1, 1, 4},
                                  4, err, sizeof err),
               2);
  cr_assert_eq(vi_transform_check(VI_TR_ORDERED, y, 1, 4, 1, NULL, 0, NULL, 0, err, sizeof err), 1);
  cr_assert_str_eq(err, "is not a valid ordered vector: element 2 is -1, not above element 1 (0.5)");
  double s[3] = {0.5, 0.5, 0.2};
  cr_assert_eq(vi_transform_check(VI_TR_SIMPLEX, s, 1, 3, 1, NULL, 0, NULL, 0, err, sizeof err), 0);
  cr_assert_str_eq(err, "is not a valid simplex: elements sum to 1.2");
  double s2[6] = {0.5, 0.5, 0, 1.25, -0.25, 0};
  cr_assert_eq(vi_transform_check(VI_TR_SIMPLEX, s2, 2, 3, 1, NULL, 0, NULL, 0, err, sizeof err), 4);
  cr_assert_str_eq(err, "is not a valid simplex: element 2 is -0.25, below 0");
  double c[4] = {1, 0.5, 0.4, 1};
  cr_assert_eq(vi_transform_check(VI_TR_CORR, c, 1, 2, 2, NULL, 0, NULL, 0, err, sizeof err), 2);
  cr_assert_str_eq(err, "is not a valid correlation matrix: element [1,2] is 0.4 but element [2,1] is 0.5");
  double npd[4] = {1, 2, 2, 1};
  cr_assert_eq(vi_transform_check(VI_TR_COV, npd, 1, 2, 2, NULL, 0, NULL, 0, err, sizeof err), 0);
  cr_assert_str_eq(err, "is not a valid covariance matrix: it is not positive definite");
  double L[4] = {1, 0.6, 0, 0.7};
  cr_assert_eq(vi_transform_check(VI_TR_CHOL_CORR, L, 1, 2, 2, NULL, 0, NULL, 0, err, sizeof err), 1);
  cr_assert_str_eq(err, "is not a valid Cholesky factor of a correlation matrix: row 2 has squared norm 0.85, must be 1");
}

Test(transform, unconstrain_rejects_values_outside_the_constraint) {
  char err[256];
  double u[4];
  double s[3] = {0.5, 0.5, 0.2};
  cr_assert_eq(vi_transform_unconstrain(VI_TR_SIMPLEX, s, 1, 3, 1, NULL, 0, NULL, 0, u, err, sizeof err), -1);
  cr_assert_str_eq(err, "is not a valid simplex: elements sum to 1.2");
  double y = 0.5;
  cr_assert_eq(vi_transform_unconstrain(VI_TR_LOWER_UPPER, &y, 1, 1, 1, (double[]){3}, 1, (double[]){1}, 1, u, err,
                                        sizeof err),
               -1);
  cr_assert_str_eq(err, "lower bound 3 is not below upper bound 1");
  /* on the boundary: the unconstrained value is infinite, as in Stan */
  double z = 0;
  cr_assert_eq(vi_transform_unconstrain(VI_TR_LOWER, &z, 1, 1, 1, (double[]){0}, 1, NULL, 0, u, err, sizeof err), 0);
  cr_assert(isinf(u[0]) && u[0] < 0);
}

Test(transform, sizes_follow_stan) {
  cr_assert_eq(vi_transform_size(VI_TR_LOWER, 3, 2), 6);
  cr_assert_eq(vi_transform_size(VI_TR_SIMPLEX, 4, 1), 3);
  cr_assert_eq(vi_transform_size(VI_TR_ORDERED, 4, 1), 4);
  cr_assert_eq(vi_transform_size(VI_TR_CHOL_CORR, 4, 4), 6);
  cr_assert_eq(vi_transform_size(VI_TR_CORR, 4, 4), 6);
  cr_assert_eq(vi_transform_size(VI_TR_CHOL_COV, 5, 3), 6 + 6);
  cr_assert_eq(vi_transform_size(VI_TR_COV, 3, 3), 6);
}

Test(transform, sum_to_zero_vector_is_stans_isometric_transform) {
  const struct tcase t = {"stz", VI_TR_SUM_TO_ZERO, 1, 3, 1, {0}, 0, {0}, 0, 1};
  double y[3], lj;
  const double e1[2] = {1, 0}, e2[2] = {0, 1};
  cr_assert_eq(eval(&t, e1, NULL, NULL, y, &lj), VI_OK);
  cr_expect(fabs(y[0] - 1 / sqrt(2.0)) < 1e-15 && fabs(y[1] + 1 / sqrt(2.0)) < 1e-15 && fabs(y[2]) < 1e-15,
            "%g %g %g", y[0], y[1], y[2]);
  cr_expect_eq(lj, 0);
  cr_assert_eq(eval(&t, e2, NULL, NULL, y, &lj), VI_OK);
  cr_expect(fabs(y[0] - 1 / sqrt(6.0)) < 1e-15 && fabs(y[1] - 1 / sqrt(6.0)) < 1e-15 &&
                fabs(y[2] + 2 / sqrt(6.0)) < 1e-15,
            "%g %g %g", y[0], y[1], y[2]);
  /* orthonormal columns: |y| = |u| for any u */
  const double u[2] = {0.3, -1.7};
  cr_assert_eq(eval(&t, u, NULL, NULL, y, &lj), VI_OK);
  cr_expect(fabs(y[0] * y[0] + y[1] * y[1] + y[2] * y[2] - (0.09 + 2.89)) < 1e-14);
  cr_expect(fabs(y[0] + y[1] + y[2]) < 1e-15);
  char err[256];
  const double bad[3] = {1, 1, -1};
  cr_expect_eq(vi_transform_check(VI_TR_SUM_TO_ZERO, bad, 1, 3, 1, NULL, 0, NULL, 0, err, sizeof err), 0);
  cr_expect_str_eq(err, "is not a valid sum_to_zero_vector: elements sum to 1");
  cr_expect_eq(vi_transform_size(VI_TR_SUM_TO_ZERO, 5, 1), 4);
}
