/* test_stdlib_grad.c: every row of the standard-library table against its
 * test spec (tests/gradcheck.h): values with and without the tape, result
 * types against the rule, reverse-mode gradients against finite
 * differences, tape replay; plus reference values of the special functions
 * (stdlib/special.h) computed with mpmath at 50 digits. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../stdlib/special.h"
#include "gradcheck.h"
#include "vi/ops.h"
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
