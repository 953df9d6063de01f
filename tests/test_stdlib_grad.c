/* test_stdlib_grad.c: every row of the standard-library table against its
 * test spec (tests/gradcheck.h): values with and without the tape, result
 * types against the rule, reverse-mode gradients against finite
 * differences, tape replay; the runtime rows of the op table through
 * test-only rows (runtime_cases); plus reference values of the special functions
 * (stdlib/special.h) computed with mpmath at 50 digits. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../stdlib/special.h"
#include "gradcheck.h"
#include "vi/model.h"
#include "vi/ops.h"
#include "vi/transform.h"
#include "vi/stdlib.h"

enum { MSGCAP = 8192 };

static void free_params(struct criterion_test_params *p) { cr_free(p->params); }

ParameterizedTestParameters(stdlib_grad, row_matches_finite_differences) {
  size_t n = vi_stdlib_count();
  size_t *ks = cr_malloc(sizeof *ks * (n ? n : 1));
  for (size_t i = 0; i < n; i++) ks[i] = i;
  return cr_make_param_array(size_t, ks, n, free_params);
}

ParameterizedTest(size_t *k, stdlib_grad, row_matches_finite_differences) {
  const struct vi_func *f = vi_stdlib_at(*k);
  cr_assert(f != NULL, "row %zu missing", *k);
  static char msg[MSGCAP];
  int nsig = 0;
  int nfail = vi_gradcheck_row(f, &nsig, msg, sizeof msg);
  cr_assert_eq(nfail, 0, "%s: %d of %d signatures fail:\n%s", f->name, nfail, nsig, msg);
}

/* ---- gradient cases of the runtime rows of the op table ----
 * Test-only function rows that record the runtime ops, checked by the same
 * gradcheck as the stdlib rows (include/vi/ops.def, "Adding a row").
 *
 * transform(kind, u, lo, hi, rows, cols): one constrained element of the
 * kind followed by its log-Jacobian (the node's whole output), so the check
 * covers both. */
static int case_transform(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                          struct vi_srcloc loc) {
  (void)nargs, (void)flags;
  int kind = args[0].ix[0], rows = args[4].ix[0], cols = args[5].ix[0];
  if (vi_val_contig(c, &args[1], loc)) return VI_ERR_EVAL;
  if (args[1].n != vi_transform_size(kind, rows, cols))
    return vi_ctx_error(c, loc, "transform case: u has %zu values, the kind wants %zu", args[1].n,
                        vi_transform_size(kind, rows, cols));
  int d = rows * cols;
  memset(out, 0, sizeof *out);
  vi_val_set_shape(out, (struct vi_type){VI_T_VECTOR, 0}, &d);
  struct vi_val lj;
  int r = vi_transform_constrain(c, kind, args[1].x, args[1].dx, 1, rows, cols, &args[2], &args[3], out, &lj, loc);
  if (r) return r;
  d++; /* the log-Jacobian follows the values in the node's output */
  double *x = out->x, *dx = out->dx;
  vi_val_set_shape(out, (struct vi_type){VI_T_VECTOR, 0}, &d);
  out->x = x;
  out->dx = dx;
  return VI_OK;
}
static struct vi_type rule_case_transform(const struct vi_type *a, int n) {
  int ok = n == 6 && a[0].base == VI_T_INT && a[1].base == VI_T_VECTOR && a[4].base == VI_T_INT;
  return (struct vi_type){ok ? VI_T_VECTOR : VI_T_ERROR, 0};
}
#define TR_CASE(kind, u, rows, cols) "d:i[" #kind "," #kind "]," u ",r[-2,-1],r[1,2],d:i[" #rows "," #rows "],d:i[" #cols "," #cols "]"
static const struct vi_func runtime_cases[] = {
    {"transform", rule_case_transform, case_transform, "(kind, u, lo, hi, rows, cols) => vector", 0,
     /* VI_TR_LOWER 1, UPPER 2, LOWER_UPPER 3, OFFSET_MULT 4 (multiplier r[1,2] > 0) */
     TR_CASE(1, "v3[-2,2]", 3, 1) ";" TR_CASE(2, "v3[-2,2]", 3, 1) ";" TR_CASE(3, "v4[-3,3]", 4, 1) ";"
     TR_CASE(4, "v2[-2,2]", 2, 1) ";"
     /* ORDERED 5, POS_ORDERED 6, SIMPLEX 7, UNIT_VECTOR 8 */
     TR_CASE(5, "v4[-1,1]", 4, 1) ";" TR_CASE(6, "v3[-1,1]", 3, 1) ";" TR_CASE(7, "v3[-1,1]", 4, 1) ";"
     TR_CASE(7, "v1[-1,1]", 2, 1) ";" TR_CASE(8, "v3[0.5,2]", 3, 1) ";"
     /* CHOL_CORR 9, CHOL_COV 10, CORR 11, COV 12 */
     TR_CASE(9, "v3[-1,1]", 3, 3) ";" TR_CASE(10, "v6[-1,1]", 3, 3) ";" TR_CASE(10, "v5[-1,1]", 3, 2) ";"
     TR_CASE(11, "v3[-1,1]", 3, 3) ";" TR_CASE(12, "v6[-1,1]", 3, 3) ";" TR_CASE(12, "v1[-1,1]", 1, 1) ";"
     /* SUM_TO_ZERO 13 */
     TR_CASE(13, "v3[-1,1]", 4, 1) ";" TR_CASE(13, "v1[-1,1]", 2, 1)},
};

Test(stdlib_grad, runtime_op_cases_match_finite_differences) {
  static char msg[MSGCAP];
  for (size_t k = 0; k < sizeof runtime_cases / sizeof runtime_cases[0]; k++) {
    int nsig = 0, nfail = vi_gradcheck_row(&runtime_cases[k], &nsig, msg, sizeof msg);
    cr_expect_eq(nfail, 0, "%s: %d of %d signatures fail:\n%s", runtime_cases[k].name, nfail, nsig, msg);
  }
}

/* ---- evaluation ops, through whole models ----
 * The ops that only the evaluator makes (gathers, target sums, target(),
 * fused programs and densities, scalar-tape segments, recorded constraint
 * checks) are checked on the log density of small models: the gradient
 * against central finite differences at three points, every op on the
 * model's tape credited when it passes. Data come from transformed data. */
#define TD_ROWS                                                                                              \
  "transformed data { int N = 40; array[N] int g; vector[N] x; vector[N] y; array[N] int z;\n"              \
  "  for (n in 1:N) { g[n] = 1 + n % 5; x[n] = sin(n); y[n] = cos(0.7 * n); z[n] = n % 3 == 0; } }\n"
static const char *const model_cases[] = {
    /* gather, fused expression and fused normal, target sum */
    TD_ROWS "parameters { vector[5] a; vector[5] b; real<lower=0> s; }\n"
            "model { y ~ normal(a[g] + b[g] .* x - a[g] ./ (1 + s), s); target += a[g] .* x - b[g] .* y; "
            "target += -square(a) - b .* b; target += 0.1 * sum(a[g]); }\n",
    /* fused bernoulli_logit */
    TD_ROWS "parameters { vector[5] a; vector[5] b; }\nmodel { a ~ normal(0, 1); z ~ bernoulli_logit(a[g] + b[g] .* x); }\n",
    /* the scalar tape: every kind of scalar operation, and a recursion */
    TD_ROWS "parameters { real<lower=0> s; real m; }\n"
            "model { real acc = 0; for (n in 1:N) acc = acc * 0.5 + (y[n] - m) / s - m * x[n];\n"
            "  target += -square(acc) / N - s + sqrt(s) - exp(-m) + log(s) + inv_logit(m) - log1p_exp(m);\n"
            "  target += normal_lpdf(m | 0, s); m ~ normal(-m * 0.1, s); }\n",
    /* a recorded constraint check and target() */
    "parameters { real mu; real<lower=0> s; }\ntransformed parameters { real<lower=0> t = s * exp(mu); }\n"
    "model { mu ~ normal(0, 1); s ~ exponential(1); target += 0.1 * target() - t; }\n",
    /* an ODE solution (stdlib/ode.c): parameters in y0, the trailing arguments, the times and t0 */
    "functions { vector f(real t, vector y, real k, vector c) { return [y[2], -k * y[1] - c[1] * y[2]]'; }\n"
    "  array[] real g(real t, array[] real y, array[] real th, array[] real xr, array[] int xi) {\n"
    "    return {y[2], -th[1] * y[1] - th[2] * y[2]}; } }\n"
    "parameters { real<lower=0> k; vector[2] y0; vector<lower=0>[1] c; real<lower=0, upper=1> u; }\n"
    "transformed parameters {\n"
    "  array[2] vector[2] a = ode_rk45_tol(f, y0, 0, {0.5, 1 + u}, 1e-12, 1e-12, 100000, k, c);\n"
    "  array[2] vector[2] b = ode_bdf_tol(f, y0, 0, {0.5, 1 + u}, 1e-12, 1e-12, 100000, k, c);\n"
    "  array[2, 2] real e = integrate_ode_rk45(g, to_array_1d(y0), u - 1, {0.5, 1.5}, {k, c[1]}, {0.0}, {0}, 1e-12, 1e-12, 1e5);\n"
    "}\n"
    "model { for (i in 1:2) { a[i] ~ normal(0.2, 1); b[i] ~ normal(-0.1, 1); to_vector(e[i]) ~ normal(0, 2); } }\n",
};

static double model_lp(struct vi_model *m, const double *theta) {
  double lp;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, NULL), 0, "%s", vi_model_error(m));
  return lp;
}

/* Gradient-checks every model case; returns the number of failures. */
static int model_cases_cover(unsigned *cover, char *msg, size_t cap) {
  int fails = 0;
  (void)msg;
  (void)cap;
  for (size_t k = 0; k < sizeof model_cases / sizeof model_cases[0]; k++) {
    struct vi_diags d;
    vi_diags_init(&d);
    struct vi_model *m = NULL;
    struct vi_data_inputs in = {.seed = 1};
    int r = vi_model_load_string("case.vim", model_cases[k], strlen(model_cases[k]), &m, &d);
    if (!r) r = vi_model_bind(m, &in, &d);
    cr_assert_eq(r, 0, "model case %zu: %s", k, d.buf ? d.buf : "");
    vi_diags_free(&d);
    size_t dim = vi_model_dim(m);
    double theta[16], g[16], lp;
    cr_assert(dim <= 16);
    int bad = 0;
    for (int pt = 0; pt < 3; pt++) {
      for (size_t i = 0; i < dim; i++) theta[i] = 0.3 * sin(1.7 * (double)(i + 1) + 2.1 * pt);
      cr_assert_eq(vi_model_log_density(m, theta, &lp, g), 0, "%s", vi_model_error(m));
      for (size_t i = 0; i < dim; i++) {
        double h = 1e-6, t0 = theta[i];
        theta[i] = t0 + h;
        double fp = model_lp(m, theta);
        theta[i] = t0 - h;
        double fm = model_lp(m, theta);
        theta[i] = t0;
        double fd = (fp - fm) / (2 * h), tol = 1e-6 * fmax(1.0, fabs(g[i]));
        if (fabs(fd - g[i]) > tol) {
          fprintf(stderr, "model case %zu point %d: d/dtheta[%zu] %.12g, finite difference %.12g\n", k, pt, i, g[i], fd);
          bad = 1;
        }
      }
    }
    vi_model_log_density(m, theta, &lp, g); /* the tape of the last point */
    if (!bad) vi_model_tape_opcodes(m, cover);
    fails += bad;
    vi_model_free(m);
  }
  return fails;
}

/* Runs the whole function table once and checks, from the tapes it
 * recorded, that every row of the op table (include/vi/ops.def) took part
 * in a passing gradient check: a new op without a test case fails here. */
Test(stdlib_grad, whole_table_passes_and_checks_every_op_row) {
  size_t n = vi_stdlib_count(), rows = 0, fails = 0;
  long sigs = 0;
  static char msg[MSGCAP];
  static unsigned cover[VI_OPCODE_COUNT];
  for (size_t k = 0; k < n; k++) {
    const struct vi_func *f = vi_stdlib_at(k);
    cr_assert(f && f->name && f->impl, "row %zu has no name or impl", k);
    if (!f->test) continue;
    int nsig = 0;
    int nfail = vi_gradcheck_row_cover(f, cover, &nsig, msg, sizeof msg);
    if (nfail) fprintf(stderr, "%s", msg);
    fails += (size_t)nfail;
    sigs += nsig;
    rows++;
  }
  for (size_t k = 0; k < sizeof runtime_cases / sizeof runtime_cases[0]; k++) {
    int nsig = 0;
    fails += (size_t)vi_gradcheck_row_cover(&runtime_cases[k], cover, &nsig, msg, sizeof msg);
    sigs += nsig;
  }
  fails += (size_t)model_cases_cover(cover, msg, sizeof msg);
  printf("gradient-checked %zu rows, %ld signatures (%zu rows without a spec)\n", rows, sigs, n - rows);
  cr_assert_eq(fails, 0, "%zu signatures fail (details above)", fails);
  int missing = 0;
  for (int c = 1; c < VI_OPCODE_COUNT; c++) {
    if (cover[c]) continue;
    fprintf(stderr, "op %s (VI_OPCODE row %d of include/vi/ops.def) has no passing gradient test case\n",
            vi_ops[c].name, c);
    missing++;
  }
  printf("op table: %d rows, %d without a gradient case\n", VI_OPCODE_COUNT - 1, missing);
  cr_assert_eq(missing, 0, "%d op rows are not gradient-checked (listed above)", missing);
}

Test(stdlib_grad, op_table_rows_are_complete) {
  for (int c = 1; c < VI_OPCODE_COUNT; c++) {
    cr_expect(vi_ops[c].name && vi_ops[c].fwd && vi_ops[c].bwd, "op row %d lacks a name or kernel", c);
    cr_expect(vi_op_code(&vi_ops[c]) == (enum vi_opcode)c, "op row %d does not map back to its code", c);
  }
  static const struct vi_opdef outside = {"outside", NULL, NULL};
  cr_expect(vi_op_code(&outside) == VI_OPCODE_NONE, "an opdef outside the table has no code");
}

/* ---- special functions against 50-digit references ---- */

struct sref {
  const char *what;
  double got, want, tol; /* relative tolerance */
};

static void check_refs(const struct sref *r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double err = fabs(r[i].got - r[i].want);
    if (r[i].want != 0) err /= fabs(r[i].want);
    cr_expect(err <= r[i].tol, "%s = %.17g, want %.17g (relative error %.2g)", r[i].what, r[i].got,
              r[i].want, err);
  }
}

Test(special, gamma_family_matches_references) {
  const struct sref r[] = {
      {"digamma(-2.5)", vi_digamma(-2.5), 1.1031566406452431, 1e-15},
      {"digamma(0.3)", vi_digamma(0.3), -3.5025242222001332, 1e-15},
      {"digamma(1)", vi_digamma(1), -0.57721566490153287, 1e-15},
      {"digamma(123.4)", vi_digamma(123.4), 4.8113737751162775, 1e-15},
      {"trigamma(-2.5)", vi_trigamma(-2.5), 9.5392466449891238, 1e-15},
      {"trigamma(0.3)", vi_trigamma(0.3), 12.24536454610773, 1e-15},
      {"trigamma(15.5)", vi_trigamma(15.5), 0.066642013583275969, 1e-15},
      {"lgamma(-2.5)", vi_lgamma(-2.5), -0.056243716497674054, 1e-14},
      {"lgamma(123.4)", vi_lgamma(123.4), 469.33609744219058, 1e-15},
      {"lbeta(0.5, 0.7)", vi_lbeta(0.5, 0.7), 0.91860627945968243, 1e-15},
      {"lbeta(3, 40)", vi_lbeta(3, 40), -10.446973958541667, 1e-15},
      {"lbeta(25, 1000)", vi_lbeta(25, 1000), -118.20673214275658, 1e-15},
      {"lbeta(200, 300)", vi_lbeta(200, 300), -337.98011306546465, 1e-15},
      {"lbeta(1e8, 0.5)", vi_lbeta(1e8, 0.5), -8.6379754278014822, 1e-15},
      {"lchoose(40, 3)", vi_lchoose(40, 3), 9.1982677907419141, 1e-15},
      {"lchoose(300, 200)", vi_lchoose(300, 200), 187.93448719709903, 1e-15},
      {"gamma_p(0.5, 0.2)", vi_gamma_p(0.5, 0.2), 0.47291074313446191, 1e-14},
      {"gamma_p(50, 45)", vi_gamma_p(50, 45), 0.24680203440017026, 1e-13},
      {"gamma_q(3, 10)", vi_gamma_q(3, 10), 0.0027693957155115758, 1e-14},
      {"gamma_q(0.1, 5)", vi_gamma_q(0.1, 5), 0.00014393896584673397, 1e-14},
      {"inc_beta(0.5, 0.7, 0.2)", vi_inc_beta(0.5, 0.7, 0.2), 0.36470920861186557, 1e-14},
      {"inc_beta(20, 30, 0.4)", vi_inc_beta(20, 30, 0.4), 0.5077001996576479, 1e-14},
      {"inc_beta(2, 0.3, 0.01)", vi_inc_beta(2, 0.3, 0.01), 1.9591584334358528e-05, 1e-14},
  };
  check_refs(r, sizeof r / sizeof r[0]);
  cr_expect(isnan(vi_digamma(-3)), "digamma has poles at the non-positive integers");
  cr_expect(isinf(vi_trigamma(0)), "trigamma(0) is +Inf");
}

Test(special, normal_and_logistic_match_references) {
  const struct sref r[] = {
      {"Phi(-10)", vi_Phi(-10), 7.6198530241605255e-24, 1e-14},
      {"Phi(1.5)", vi_Phi(1.5), 0.93319279873114191, 1e-15},
      {"log_Phi(-40)", vi_log_Phi(-40), -804.6084420137538, 1e-15},
      {"log_Phi(-1)", vi_log_Phi(-1), -1.8410216450092636, 1e-15},
      {"log_Phi(9)", vi_log_Phi(9), -1.1285884059538405e-19, 1e-14},
      {"inv_Phi(1e-20)", vi_inv_Phi(1e-20), -9.262340089798407, 1e-15},
      {"inv_Phi(0.001)", vi_inv_Phi(0.001), -3.0902323061678136, 1e-15},
      {"inv_Phi(0.3)", vi_inv_Phi(0.3), -0.52440051270804078, 1e-15},
      {"inv_Phi(0.999)", vi_inv_Phi(0.999), 3.0902323061678136, 1e-14},
      {"logit(0.3)", vi_logit(0.3), -0.84729786038720356, 1e-15},
      {"logit(1e-5)", vi_logit(1e-5), -11.512915464920228, 1e-15},
      {"log1m_exp(-0.3)", vi_log1m_exp(-0.3), -1.3502256128148467, 1e-15},
      {"log1m_exp(-1e-5)", vi_log1m_exp(-1e-5), -11.512930464966061, 1e-15},
      {"log1p_exp(45.001)", vi_log1p_exp(45.001), 45.000999999999998, 1e-15},
      {"log1p_exp(-29.999)", vi_log1p_exp(-29.999), 9.3669852721800542e-14, 1e-14},
      {"log_diff_exp(0, -1)", vi_log_diff_exp(0, -1), -0.45867514538708187, 1e-15},
      {"log_sum_exp2(1000, 1000)", vi_log_sum_exp2(1000, 1000), 1000.6931471805599, 1e-15},
      {"inv_logit(-40)", vi_inv_logit(-40), 4.2483542552915889e-18, 1e-15},
  };
  check_refs(r, sizeof r / sizeof r[0]);
  cr_expect(vi_inv_Phi(0) == -INFINITY && vi_inv_Phi(1) == INFINITY, "inv_Phi maps 0, 1 to -Inf, +Inf");
  cr_expect(isnan(vi_inv_Phi(1.5)), "inv_Phi is NaN outside [0, 1]");
  cr_expect(vi_log1m_exp(0) == -INFINITY && isnan(vi_log1m_exp(0.1)), "log1m_exp at 0 and above");
  cr_expect(isnan(vi_log_diff_exp(-1, 0)), "log_diff_exp(a, b) is NaN for a < b");
}
