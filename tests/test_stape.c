/* test_stape.c: every operation of the compact scalar tape (runtime/stape.c)
 * against central finite differences, driven over the whole enum so that a
 * new operation cannot go untested. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "vi/tape.h"

/* Arity and a point inside the domain of each operation. */
static const struct {
  int op, nargs, flags;
  double at[3];
} cases[] = {
    {VI_SOP_ADD, 2, 0, {0.7, -1.3}},
    {VI_SOP_SUB, 2, 0, {0.7, -1.3}},
    {VI_SOP_MUL, 2, 0, {0.7, -1.3}},
    {VI_SOP_DIV, 2, 0, {0.7, -1.3}},
    {VI_SOP_NEG, 1, 0, {0.7}},
    {VI_SOP_EXP, 1, 0, {0.7}},
    {VI_SOP_LOG, 1, 0, {0.7}},
    {VI_SOP_SQUARE, 1, 0, {-0.7}},
    {VI_SOP_SQRT, 1, 0, {0.7}},
    {VI_SOP_INV_LOGIT, 1, 0, {-0.7}},
    {VI_SOP_LOG1P_EXP, 1, 0, {0.7}},
    {VI_SOP_NORMAL, 3, VI_SOP_KEEP_LOG_SCALE | VI_SOP_KEEP_CONST, {0.3, -0.4, 1.7}},
    {VI_SOP_LOG_SUM_EXP, 3, 0, {0.3, -1.4, 2.1}},
};
_Static_assert(sizeof cases / sizeof cases[0] == VI_SOP__COUNT, "a gradient case for every scalar operation");

/* Value of op at x (a fresh tape each time), and its gradient into g. */
static double run(int op, int nargs, int flags, const double *x, double *g) {
  struct vi_arena a;
  struct vi_tape t;
  struct vi_diags d;
  vi_arena_init(&a);
  vi_tape_init(&t);
  vi_diags_init(&d);
  struct vi_ctx c = {.arena = &a, .tape = &t, .diags = &d};
  double xs[3], dxs[3] = {0, 0, 0};
  struct vi_ref refs[3];
  for (int i = 0; i < nargs; i++) {
    xs[i] = x[i];
    refs[i] = (struct vi_ref){&xs[i], &dxs[i]};
  }
  struct vi_val out;
  cr_assert_eq(vi_tape_scalar(&c, op, refs, nargs, flags, &out, (struct vi_srcloc){0}), 0);
  double v = out.x[0];
  cr_assert_eq(vi_tape_add_term(&t, (struct vi_ref){out.x, out.dx}), 0);
  /* replay gives the recorded value, then one reverse sweep */
  cr_assert_eq(vi_tape_forward(&t), 0);
  cr_assert_eq(vi_tape_target(&t), v);
  vi_tape_reverse(&t, NULL, NULL, 0);
  for (int i = 0; i < nargs; i++) g[i] = dxs[i];
  cr_assert_eq(out.dx[0], 0, "the reverse sweep leaves the output's adjoint cleared");
  vi_tape_free(&t);
  vi_arena_free(&a);
  vi_diags_free(&d);
  return v;
}

Test(stape, every_operation_matches_finite_differences) {
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    cr_assert_eq(cases[k].op, (int)k, "cases are in enum order");
    for (int keep = 0; keep < (cases[k].op == VI_SOP_NORMAL ? 4 : 1); keep++) {
      int flags = cases[k].op == VI_SOP_NORMAL ? keep : cases[k].flags, n = cases[k].nargs;
      double g[3], gp[3], x[3];
      memcpy(x, cases[k].at, sizeof x);
      run(cases[k].op, n, flags, x, g);
      for (int i = 0; i < n; i++) {
        const double h = 1e-6;
        double xp[3], xm[3];
        memcpy(xp, x, sizeof xp);
        memcpy(xm, x, sizeof xm);
        xp[i] += h;
        xm[i] -= h;
        double fd = (run(cases[k].op, n, flags, xp, gp) - run(cases[k].op, n, flags, xm, gp)) / (2 * h);
        double scale = fabs(g[i]) > 1e-3 ? fabs(g[i]) : 1e-3;
        cr_expect(fabs(fd - g[i]) <= 1e-7 * scale + 1e-9, "op %zu flags %d: d/dx%d = %.12g, finite difference %.12g",
                  k, flags, i, g[i], fd);
      }
    }
  }
}

Test(stape, normal_values_match_the_density) {
  double x[3] = {0.3, -0.4, 1.7}, g[3];
  double z = (0.3 + 0.4) / 1.7;
  cr_assert_float_eq(run(VI_SOP_NORMAL, 3, VI_SOP_KEEP_LOG_SCALE | VI_SOP_KEEP_CONST, x, g),
                     -0.5 * z * z - log(1.7) - 0.5 * log(2 * M_PI), 1e-15);
  cr_assert_float_eq(run(VI_SOP_NORMAL, 3, 0, x, g), -0.5 * z * z, 1e-15);
}

Test(stape, log_sum_exp_values) {
  double x[3] = {0.3, -1.4, 2.1}, g[3];
  cr_assert_float_eq(run(VI_SOP_LOG_SUM_EXP, 3, 0, x, g), log(exp(0.3) + exp(-1.4) + exp(2.1)), 1e-15);
  double big[2] = {1000, 1000};
  cr_assert_float_eq(run(VI_SOP_LOG_SUM_EXP, 2, 0, big, g), 1000 + log(2.0), 1e-12);
  cr_assert_float_eq(g[0], 0.5, 1e-12, "gradient %.17g", g[0]); /* y = 1000 + log 2 is rounded */
}

Test(stape, normal_refuses_what_the_stdlib_refuses) {
  static const double bad[][3] = {{0, 0, 0}, {0, 0, -1}, {NAN, 0, 1}, {0, INFINITY, 1}, {0, 0, INFINITY}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct vi_arena a;
    struct vi_tape t;
    vi_arena_init(&a);
    vi_tape_init(&t);
    struct vi_ctx c = {.arena = &a, .tape = &t};
    double xs[3], dxs[3] = {0};
    struct vi_ref refs[3];
    for (int k = 0; k < 3; k++) {
      xs[k] = bad[i][k];
      refs[k] = (struct vi_ref){&xs[k], &dxs[k]};
    }
    struct vi_val out;
    cr_expect_eq(vi_tape_scalar(&c, VI_SOP_NORMAL, refs, 3, 0, &out, (struct vi_srcloc){0}), VI_ERR_EVAL, "case %zu", i);
    cr_expect_eq(t.n, 0, "nothing recorded for case %zu", i);
    vi_tape_free(&t);
    vi_arena_free(&a);
  }
}
