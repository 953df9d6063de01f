/* test_containers.c: values and error messages of the container and matrix
 * functions (stdlib/containers.c, stdlib/matrix.c) beyond the table-driven
 * gradient checks: known results, element order, messages with their
 * location, and gradients at the sizes the Gaussian-process models use. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "vi/stdlib.h"
#include "vi/tape.h"

struct env {
  struct vi_arena arena;
  struct vi_tape tape;
  struct vi_diags diags;
  struct vi_ctx ctx;
};

static void env_init(struct env *e, int taped) {
  memset(e, 0, sizeof *e);
  vi_arena_init(&e->arena);
  vi_tape_init(&e->tape);
  vi_diags_init(&e->diags);
  e->ctx.arena = &e->arena;
  e->ctx.tape = taped ? &e->tape : NULL;
  e->ctx.diags = &e->diags;
}

static void env_free(struct env *e) {
  vi_diags_free(&e->diags);
  vi_tape_free(&e->tape);
  vi_arena_free(&e->arena);
}

static const struct vi_srcloc loc = {"model.vim", 3, 7};

static struct vi_val real_val(struct env *e, int base, int r, int c, const double *x) {
  struct vi_val v;
  int d[2] = {r, c};
  struct vi_type t = {(unsigned char)base, 0};
  cr_assert_eq(vi_val_new_real(&e->ctx, &v, t, d), VI_OK);
  if (v.n) memcpy(v.x, x, v.n * sizeof(double));
  return v;
}

static struct vi_val vec(struct env *e, int n, const double *x) { return real_val(e, VI_T_VECTOR, n, 0, x); }
static struct vi_val mat(struct env *e, int r, int c, const double *x) { return real_val(e, VI_T_MATRIX, r, c, x); }
static struct vi_val ival(struct env *e, int i) {
  struct vi_val v;
  cr_assert_eq(vi_val_int_scalar(&e->ctx, &v, i), VI_OK);
  return v;
}

static int call(struct env *e, const char *name, struct vi_val *out, struct vi_val *args, int n) {
  const struct vi_func *f = vi_stdlib_lookup(name);
  cr_assert(f != NULL, "%s is not in the table", name);
  return f->impl(&e->ctx, out, args, n, 0, loc);
}

static void expect_values(const struct vi_val *v, const double *want, size_t n, double tol) {
  cr_assert_eq(v->n, n, "result has %zu elements, want %zu", v->n, n);
  for (size_t i = 0; i < n; i++)
    cr_expect(fabs(vi_val_get(v, i) - want[i]) <= tol * fmax(1, fabs(want[i])),
              "element %zu is %.17g, want %.17g", i, vi_val_get(v, i), want[i]);
}

static void expect_error(struct env *e, int status, const char *msg) {
  cr_assert_neq(status, VI_OK, "the call should fail with '%s'", msg);
  cr_assert(e->diags.buf && strstr(e->diags.buf, msg), "message is '%s', want '%s'",
            e->diags.buf ? e->diags.buf : "(none)", msg);
}

Test(containers, softmax_and_log_softmax_match_known_values) {
  struct env e;
  env_init(&e, 0);
  struct vi_val a[1] = {vec(&e, 3, (double[]){1, 2, 3})}, out;
  cr_assert_eq(call(&e, "softmax", &out, a, 1), VI_OK);
  double want[3] = {0.09003057317038046, 0.24472847105479767, 0.6652409557748219};
  expect_values(&out, want, 3, 1e-15);
  cr_assert_eq(call(&e, "log_softmax", &out, a, 1), VI_OK);
  double lw[3] = {-2.40760596444438, -1.4076059644443801, -0.4076059644443803};
  expect_values(&out, lw, 3, 1e-15);
  env_free(&e);
}

Test(containers, sort_orders_reals_and_ints) {
  struct env e;
  env_init(&e, 0);
  struct vi_val a[1] = {vec(&e, 5, (double[]){3, -1, 2, 7, 0})}, out;
  cr_assert_eq(call(&e, "sort_asc", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){-1, 0, 2, 3, 7}, 5, 0);
  cr_assert_eq(call(&e, "sort_desc", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){7, 3, 2, 0, -1}, 5, 0);
  struct vi_val ia;
  struct vi_type t = {VI_T_INT, 1};
  int d[1] = {4};
  cr_assert_eq(vi_val_new_int(&e.ctx, &ia, t, d), VI_OK);
  memcpy(ia.ix, (int[]){4, 1, 3, 1}, sizeof(int) * 4);
  cr_assert_eq(call(&e, "sort_desc", &out, &ia, 1), VI_OK);
  cr_assert(out.ix != NULL && out.t.base == VI_T_INT, "sorting ints gives ints");
  expect_values(&out, (double[]){4, 3, 1, 1}, 4, 0);
  env_free(&e);
}

Test(containers, reductions_match_known_values) {
  struct env e;
  env_init(&e, 0);
  struct vi_val a[1] = {vec(&e, 4, (double[]){1, 2, 3, 6})}, out;
  cr_assert_eq(call(&e, "variance", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){14.0 / 3}, 1, 1e-15);
  cr_assert_eq(call(&e, "sd", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){sqrt(14.0 / 3)}, 1, 1e-15);
  cr_assert_eq(call(&e, "log_sum_exp", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){log(exp(1) + exp(2) + exp(3) + exp(6))}, 1, 1e-15);
  cr_assert_eq(call(&e, "cumulative_sum", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){1, 3, 6, 12}, 4, 0);
  struct vi_val m[3] = {real_val(&e, VI_T_REAL, 0, 0, (double[]){0.3}),
                        real_val(&e, VI_T_REAL, 0, 0, (double[]){-1}),
                        real_val(&e, VI_T_REAL, 0, 0, (double[]){-2})};
  cr_assert_eq(call(&e, "log_mix", &out, m, 3), VI_OK);
  expect_values(&out, (double[]){log(0.3 * exp(-1) + 0.7 * exp(-2))}, 1, 1e-15);
  env_free(&e);
}

Test(containers, slicing_a_parameter_records_no_node) {
  struct env e;
  env_init(&e, 1);
  double x[4] = {1, 2, 3, 4}, dx[4] = {0};
  struct vi_val v = vec(&e, 4, x);
  v.dx = dx;
  struct vi_val a[3] = {v, ival(&e, 2), ival(&e, 2)}, out;
  cr_assert_eq(call(&e, "segment", &out, a, 3), VI_OK);
  cr_assert_eq(e.tape.n, 0, "segment recorded %zu nodes", e.tape.n);
  expect_values(&out, (double[]){2, 3}, 2, 0);
  cr_assert(vi_val_ref(&out, 0).dx == &v.dx[1], "element 1 refers to the parameter's element 2");
  env_free(&e);
}

Test(containers, to_matrix_fills_by_column_or_by_row) {
  struct env e;
  env_init(&e, 0);
  struct vi_val a[4] = {vec(&e, 6, (double[]){1, 2, 3, 4, 5, 6}), ival(&e, 2), ival(&e, 3),
                        ival(&e, 0)},
                out;
  cr_assert_eq(call(&e, "to_matrix", &out, a, 3), VI_OK);
  expect_values(&out, (double[]){1, 2, 3, 4, 5, 6}, 6, 0);
  cr_assert_eq(call(&e, "to_matrix", &out, a, 4), VI_OK);
  /* row-major fill: M = [1 2 3; 4 5 6], stored column-major */
  expect_values(&out, (double[]){1, 4, 2, 5, 3, 6}, 6, 0);
  env_free(&e);
}

Test(containers, errors_name_the_function_and_the_sizes) {
  struct env e;
  env_init(&e, 0);
  struct vi_val out;
  struct vi_val s[3] = {vec(&e, 6, (double[]){1, 2, 3, 4, 5, 6}), ival(&e, 5), ival(&e, 3)};
  expect_error(&e, call(&e, "segment", &out, s, 3),
               "model.vim:3:7: error: segment: start 5 plus length 3 exceeds the size 6");
  struct vi_val d[2] = {vec(&e, 3, (double[]){1, 2, 3}), vec(&e, 4, (double[]){1, 2, 3, 4})};
  expect_error(&e, call(&e, "dot_product", &out, d, 2),
               "model.vim:3:7: error: dot_product: sizes do not match (3 and 4)");
  struct vi_val h[2] = {vec(&e, 3, (double[]){1, 2, 3}), ival(&e, 4)};
  expect_error(&e, call(&e, "head", &out, h, 2), "head: size 4 exceeds the size 3");
  struct vi_val m[1] = {vec(&e, 0, NULL)};
  expect_error(&e, call(&e, "softmax", &out, m, 1), "softmax: argument is empty");
  env_free(&e);
}

Test(matrix, cholesky_decompose_matches_a_known_factor) {
  struct env e;
  env_init(&e, 0);
  struct vi_val a[1] = {mat(&e, 3, 3, (double[]){4, 12, -16, 12, 37, -43, -16, -43, 98})}, out;
  cr_assert_eq(call(&e, "cholesky_decompose", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){2, 6, -8, 0, 1, 5, 0, 0, 3}, 9, 1e-15);
  env_free(&e);
}

Test(matrix, cholesky_decompose_rejects_bad_matrices) {
  struct env e;
  env_init(&e, 0);
  struct vi_val out;
  struct vi_val a[1] = {mat(&e, 2, 2, (double[]){1, 2, 2, 1})};
  expect_error(&e, call(&e, "cholesky_decompose", &out, a, 1),
               "model.vim:3:7: error: cholesky_decompose: matrix is not positive definite");
  struct vi_val b[1] = {mat(&e, 2, 2, (double[]){1, 0, 0.5, 1})};
  expect_error(&e, call(&e, "cholesky_decompose", &out, b, 1),
               "cholesky_decompose: matrix is not symmetric");
  struct vi_val c[1] = {mat(&e, 2, 3, (double[]){1, 0, 0, 1, 0, 0})};
  expect_error(&e, call(&e, "cholesky_decompose", &out, c, 1),
               "cholesky_decompose: matrix is not square (2 x 3)");
  env_free(&e);
}

Test(matrix, lu_functions_match_known_values) {
  struct env e;
  env_init(&e, 0);
  struct vi_val out;
  struct vi_val a[1] = {mat(&e, 2, 2, (double[]){1, 3, 2, 4})}; /* [1 2; 3 4] */
  cr_assert_eq(call(&e, "log_determinant", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){log(2.0)}, 1, 1e-15);
  cr_assert_eq(call(&e, "determinant", &out, a, 1), VI_OK);
  expect_values(&out, (double[]){-2}, 1, 1e-15);
  struct vi_val b[1] = {mat(&e, 2, 2, (double[]){4, 2, 7, 6})}; /* [4 7; 2 6] */
  cr_assert_eq(call(&e, "inverse", &out, b, 1), VI_OK);
  expect_values(&out, (double[]){0.6, -0.2, -0.7, 0.4}, 4, 1e-15);
  struct vi_val s[2] = {mat(&e, 2, 2, (double[]){2, 1, 1, 3}), vec(&e, 2, (double[]){3, 5})};
  cr_assert_eq(call(&e, "mdivide_left", &out, s, 2), VI_OK);
  expect_values(&out, (double[]){0.8, 1.4}, 2, 1e-15);
  struct vi_val z[1] = {mat(&e, 2, 2, (double[]){1, 2, 2, 4})};
  expect_error(&e, call(&e, "inverse", &out, z, 1), "inverse: matrix is singular");
  env_free(&e);
}

Test(matrix, gp_exp_quad_cov_with_add_diag_matches_the_formula) {
  struct env e;
  env_init(&e, 0);
  struct vi_val x;
  struct vi_type t = {VI_T_REAL, 1};
  int d[1] = {2};
  cr_assert_eq(vi_val_new_real(&e.ctx, &x, t, d), VI_OK);
  x.x[0] = 0;
  x.x[1] = 1;
  struct vi_val a[3] = {x, real_val(&e, VI_T_REAL, 0, 0, (double[]){2}),
                        real_val(&e, VI_T_REAL, 0, 0, (double[]){0.5})},
                k, out;
  cr_assert_eq(call(&e, "gp_exp_quad_cov", &k, a, 3), VI_OK);
  struct vi_val b[2] = {k, real_val(&e, VI_T_REAL, 0, 0, (double[]){0.1})};
  cr_assert_eq(call(&e, "add_diag", &out, b, 2), VI_OK);
  double off = 4 * exp(-2);
  expect_values(&out, (double[]){4.1, off, off, 4.1}, 4, 1e-15);
  a[2] = real_val(&e, VI_T_REAL, 0, 0, (double[]){-1});
  expect_error(&e, call(&e, "gp_exp_quad_cov", &k, a, 3),
               "gp_exp_quad_cov: length scale is -1, must be positive");
  env_free(&e);
}

/* Gradients at the sizes of the benchmark's Gaussian-process models, and on
 * general (non-symmetric) matrices for the LU-based functions. */
Test(matrix, gradients_hold_at_larger_sizes) {
  static const struct {
    const char *name, *spec;
  } cases[] = {
      {"cholesky_decompose", "spd12; spd25"},
      {"gp_exp_quad_cov", "a20[-5,5],r[0.5,2],r[0.5,3]"},
      {"add_diag", "m12x12[-1,1],r[0,1]"},
      {"mdivide_left_tri_low", "chol10,m10x3[-1,1]"},
      {"mdivide_right_tri_low", "m3x10[-1,1],chol10"},
      {"mdivide_left", "spd8,m8x2[-1,1]"},
      {"inverse", "spd8"},
      {"log_determinant", "spd8"},
      {"multiply_lower_tri_self_transpose", "m6x6[-1,1]"},
  };
  static char msg[8192];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct vi_func *f = vi_stdlib_lookup(cases[i].name);
    cr_assert(f != NULL, "%s is not in the table", cases[i].name);
    int nsig = 0;
    int nfail = vi_gradcheck_spec(f, cases[i].spec, &nsig, msg, sizeof msg);
    cr_expect_eq(nfail, 0, "%s", msg);
  }
}

Test(matrix, lu_gradients_hold_for_a_nonsymmetric_matrix) {
  /* [2 1 0; -1 3 1; 0.5 0 -2]: well conditioned, negative determinant */
  static const double A[9] = {2, -1, 0.5, 1, 3, 0, 0, 1, -2};
  struct env e;
  env_init(&e, 1);
  double x[9], dx[9];
  memcpy(x, A, sizeof x);
  const char *names[3] = {"log_determinant", "determinant", "inverse"};
  for (int k = 0; k < 3; k++) {
    vi_tape_clear(&e.tape);
    memset(dx, 0, sizeof dx);
    struct vi_val a = mat(&e, 3, 3, x), out;
    a.dx = dx;
    cr_assert_eq(call(&e, names[k], &out, &a, 1), VI_OK);
    /* d/dA of sum(out) against central differences */
    for (size_t i = 0; i < out.n; i++) out.dx[i] += 1;
    for (size_t i = e.tape.n; i-- > 0;) e.tape.nodes[i]->op->bwd(e.tape.nodes[i]);
    for (int j = 0; j < 9; j++) {
      double s[2];
      for (int sgn = 0; sgn < 2; sgn++) {
        struct env p;
        env_init(&p, 0);
        double y[9];
        memcpy(y, A, sizeof y);
        y[j] += sgn ? -1e-6 : 1e-6;
        struct vi_val b = mat(&p, 3, 3, y), o;
        cr_assert_eq(call(&p, names[k], &o, &b, 1), VI_OK);
        s[sgn] = 0;
        for (size_t i = 0; i < o.n; i++) s[sgn] += vi_val_get(&o, i);
        env_free(&p);
      }
      double fd = (s[0] - s[1]) / 2e-6;
      cr_expect(fabs(fd - dx[j]) <= 1e-6 * fmax(1, fabs(fd)), "%s: d/dA[%d] is %g, finite differences %g",
                names[k], j, dx[j], fd);
    }
  }
  env_free(&e);
}
