/* test_lower.c: the lowering stage and what every evaluation checks.
 *
 * - The loop-style corpus (tests/models/loops): each NAME.loop.vim, lowered
 *   and as written (VI_LOWER=0), has the log density and gradient of its
 *   vectorised rewrite NAME.vec.vim to 1e-12, at 5 points.
 * - Checks that depend on parameter values hold on every evaluation, with
 *   the message of a first evaluation, whatever was evaluated before.
 * - Recording a looped model is linear in its rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vi/model.h"

static void source_path(char *out, size_t n, const char *rel) {
  snprintf(out, n, "%s/%s", env_or("VI_SOURCE_ROOT", ".."), rel);
}

/* Loads and binds a model file: lower 0 as written (VI_LOWER=0), 1 lowered,
 * 2 lowered with even short loops in their whole-range form. */
static struct vi_model *load(const char *path, const char *data, int lower) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  if (lower != 1) setenv("VI_LOWER", lower ? "always" : "0", 1);
  int r = vi_model_load(path, &m, &d);
  unsetenv("VI_LOWER");
  const char *files[1] = {data};
  struct vi_data_inputs in = {.files = files, .nfiles = data ? 1 : 0, .seed = 1};
  if (!r) r = vi_model_bind(m, &in, &d);
  if (r) cr_log_error("%s: %s", path, d.buf ? d.buf : "");
  cr_assert_eq(r, 0, "%s does not load", path);
  vi_diags_free(&d);
  return m;
}

static struct vi_model *load_string(const char *src) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  struct vi_data_inputs in = {.seed = 1};
  int r = vi_model_load_string("check.vim", src, strlen(src), &m, &d);
  if (!r) r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, 0, "%s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

static int close_rel(double a, double b, double tol) {
  return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

struct corpus_case {
  const char *name;
  int lowered; /* loops the lowering stage must rewrite in NAME.loop.vim */
};

/* Every model of tests/models/loops: the count says which loops vectorise
 * (recursions and the HMM's outer loops carry dependencies and stay loops). */
static const struct corpus_case corpus[] = {
    {"linreg_rows", 1},         {"logistic_dot", 1},     {"radon_elements", 1},   {"varying_slopes", 1},
    {"poisson_local", 1},       {"target_lpdf", 1},      {"noncentred_tparams", 2}, {"ar1_recursion", 1},
    {"garch11", 1},                 {"hmm_forward", 1},      {"irt_nested", 1},       {"array_of_vectors", 1},
    {"cumulative", 0},          {"logit_elementwise", 1}, {"compound_assign", 1}, {"power_law_arrays", 1},
    {"array_tparam", 1},        {"matrix_columns_partial", 1}, {"mixed_loop_vector", 1},
    {"old_value_local", 0},     {"matrix_rows_written", 1}, {"ar_k_reduction", 2},
};

Test(lower, loop_models_match_their_vectorised_rewrites) {
  char data[1024];
  source_path(data, sizeof data, "tests/models/loops/data.json");
  for (size_t c = 0; c < sizeof corpus / sizeof corpus[0]; c++) {
    char lp_path[1024], vec_path[1024], rel[256];
    snprintf(rel, sizeof rel, "tests/models/loops/%s.loop.vim", corpus[c].name);
    source_path(lp_path, sizeof lp_path, rel);
    snprintf(rel, sizeof rel, "tests/models/loops/%s.vec.vim", corpus[c].name);
    source_path(vec_path, sizeof vec_path, rel);
    struct vi_model *ms[4] = {load(lp_path, data, 1), load(lp_path, data, 2), load(lp_path, data, 0),
                              load(vec_path, data, 1)};
    static const char *const form[3] = {"lowered", "lowered, whole-range always", "as written"};
    cr_expect_eq(vi_model_lowered_loops(ms[0]), corpus[c].lowered, "%s: %d loops lowered, expected %d", corpus[c].name,
                 vi_model_lowered_loops(ms[0]), corpus[c].lowered);
    cr_assert_eq(vi_model_lowered_loops(ms[2]), 0);
    size_t dim = vi_model_dim(ms[0]);
    cr_assert_eq(dim, vi_model_dim(ms[3]), "%s: dimensions differ", corpus[c].name);
    double *theta = calloc(dim, sizeof *theta), *g[4];
    for (int k = 0; k < 4; k++) g[k] = calloc(dim, sizeof *g[k]);
    unsigned s = 12345u + (unsigned)c;
    for (int pt = 0; pt < 5; pt++) {
      for (size_t i = 0; i < dim; i++) {
        s = s * 1103515245u + 12345u;
        theta[i] = ((double)(s >> 8) / (double)(1u << 24) - 0.5) * 2.0;
      }
      double lp[4];
      for (int k = 0; k < 4; k++)
        cr_assert_eq(vi_model_log_density(ms[k], theta, &lp[k], g[k]), 0, "%s (%d) at point %d: %s", corpus[c].name, k,
                     pt, vi_model_error(ms[k]));
      for (int k = 0; k < 3; k++) {
        cr_expect(close_rel(lp[k], lp[3], 1e-12), "%s point %d: lp %.17g (%s) vs %.17g vectorised", corpus[c].name, pt,
                  lp[k], form[k], lp[3]);
        for (size_t i = 0; i < dim; i++)
          cr_expect(close_rel(g[k][i], g[3][i], 1e-12), "%s point %d: grad[%zu] %.17g (%s) vs %.17g", corpus[c].name,
                    pt, i, g[k][i], form[k], g[3][i]);
      }
    }
    free(theta);
    for (int k = 0; k < 4; k++) {
      free(g[k]);
      vi_model_free(ms[k]);
    }
  }
}

/* Evaluates at the scalar x; returns the status and copies the message. */
static int eval_at(struct vi_model *m, double x, double *lp, double *grad, char *msg, size_t n) {
  int r = vi_model_log_density(m, &x, lp, grad);
  snprintf(msg, n, "%s", r ? vi_model_error(m) : "");
  return r;
}

/* A model with one parameter evaluated at a then b, and at b then a: each
 * point gets the same answer (status, message, value) in both orders. */
static void same_in_both_orders(const char *src, double a, double b, int a_ok, int b_ok, const char *b_msg) {
  char m1[1024], m2[1024], m3[1024], m4[1024];
  double lp1 = 0, lp2 = 0, lp3 = 0, lp4 = 0, g1, g2, g3, g4;
  struct vi_model *m = load_string(src);
  int r1 = eval_at(m, a, &lp1, &g1, m1, sizeof m1), r2 = eval_at(m, b, &lp2, &g2, m2, sizeof m2);
  vi_model_free(m);
  m = load_string(src);
  int r3 = eval_at(m, b, &lp3, &g3, m3, sizeof m3), r4 = eval_at(m, a, &lp4, &g4, m4, sizeof m4);
  vi_model_free(m);
  cr_assert_eq(!r1, a_ok, "first point, first order: %s", m1);
  cr_assert_eq(!r4, a_ok, "first point, second order: %s", m4);
  cr_assert_eq(!r2, b_ok, "second point, first order: %s", m2);
  cr_assert_eq(!r3, b_ok, "second point, second order: %s", m3);
  cr_assert_str_eq(m2, m3);
  cr_assert_str_eq(m1, m4);
  if (b_msg) cr_assert(strstr(m2, b_msg), "message '%s' lacks '%s'", m2, b_msg);
  if (a_ok) cr_assert(lp1 == lp4 && g1 == g4);
  if (b_ok) cr_assert(lp2 == lp3 && g2 == g3);
}

Test(lower, transformed_parameter_constraints_are_checked_on_every_evaluation) {
  same_in_both_orders("parameters { real mu; }\ntransformed parameters { real<lower=0> s = mu; }\n"
                      "model { mu ~ normal(0, 1); }\n",
                      1, -1, 1, 0, "check.vim:2:40: error: transformed parameters s is -1, below the lower bound 0");
}

Test(lower, distribution_argument_checks_hold_on_replay) {
  same_in_both_orders("parameters { real mu; }\nmodel { 1 ~ normal(0, mu); }\n", 0.5, -0.5, 1, 0,
                      "check.vim:2:13: error: normal_lpdf: scale parameter is -0.5, must be positive");
}

Test(lower, reject_that_depends_on_a_parameter_holds_on_every_evaluation) {
  same_in_both_orders("parameters { real mu; }\nmodel { if (mu > 2) reject(\"mu too large: \", mu); mu ~ normal(0, 1); }\n",
                      1, 3, 1, 0, "reject: mu too large: 3");
}

Test(lower, control_flow_that_depends_on_parameters_is_followed_at_each_point) {
  struct vi_model *m = load_string("parameters { real mu; }\nmodel {\n  if (mu > 0) target += -mu; else target += 2 * mu;\n"
                                   "  { vector[2] w = [1, 3]'; int k = 1; if (mu > 1) k = 2; target += w[k] * mu; }\n}\n");
  const double xs[] = {0.5, -1, 2, -3, 1.5, 0.25};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i], lp, g;
    cr_assert_eq(vi_model_log_density(m, &x, &lp, &g), 0);
    double want = (x > 0 ? -x : 2 * x) + (x > 1 ? 3 : 1) * x;
    double want_g = (x > 0 ? -1 : 2) + (x > 1 ? 3 : 1);
    cr_assert_float_eq(lp, want, 1e-15, "at %g: %g, expected %g", x, lp, want);
    cr_assert_float_eq(g, want_g, 1e-15, "at %g: gradient %g, expected %g", x, g, want_g);
  }
  vi_model_free(m);
}

/* Writes a CSV of n rows (columns y, g) for the recording tests. */
static void write_rows(const char *path, int n) {
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fprintf(f, "y,g\n");
  for (int i = 0; i < n; i++) fprintf(f, "%.4f,%d\n", sin(0.1 * i), 1 + i % 10);
  fclose(f);
}

static size_t tape_bytes(const char *src, const char *data, int lower) {
  char path[256];
  snprintf(path, sizeof path, "/tmp/vi-test-lower-%d.vim", (int)getpid());
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs(src, f);
  fclose(f);
  struct vi_model *m = load(path, data, lower);
  unlink(path);
  size_t dim = vi_model_dim(m);
  double *theta = calloc(dim, sizeof *theta), *grad = calloc(dim, sizeof *grad), lp;
  for (size_t i = 0; i < dim; i++) theta[i] = 0.1;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, grad), 0, "%s", vi_model_error(m));
  size_t b = vi_model_tape_bytes(m);
  free(theta);
  free(grad);
  vi_model_free(m);
  return b;
}

Test(lower, recording_a_looped_model_is_linear_in_its_rows) {
  /* element writes read back (radon style) as written, and an AR recursion */
  static const char *const srcs[] = {
      "data { int N; vector[N] y; array[N] int g; }\nparameters { vector[10] a; real<lower=0> s; }\n"
      "model { vector[N] mu; for (n in 1:N) { mu[n] = a[g[n]] * 2; y[n] ~ normal(mu[n], s); } }\n",
      "data { int N; vector[N] y; array[N] int g; }\nparameters { real b; real<lower=0> s; }\n"
      "model { vector[N] e; e[1] = 0; for (n in 2:N) { e[n] = y[n] - b * y[n - 1] + 0.1 * e[n - 1]; }\n"
      "  y ~ normal(e, s); }\n",
      /* an HMM-style recursion that reads the previous row whole */
      "data { int N; vector[N] y; array[N] int g; }\nparameters { real b; real<lower=0> s; }\n"
      "model { array[N, 2] real gam; gam[1, 1] = 0; gam[1, 2] = 0;\n"
      "  for (t in 2:N) for (k in 1:2) gam[t, k] = log_sum_exp(gam[t - 1]) + normal_lpdf(y[t] | k * b, s);\n"
      "  target += log_sum_exp(gam[N]); }\n"};
  char d1[128], d4[128];
  snprintf(d1, sizeof d1, "/tmp/vi-test-lower-%d-1.csv", (int)getpid());
  snprintf(d4, sizeof d4, "/tmp/vi-test-lower-%d-4.csv", (int)getpid());
  write_rows(d1, 5000);
  write_rows(d4, 20000);
  for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++)
    for (int lower = 0; lower <= 1; lower++) {
      size_t b1 = tape_bytes(srcs[i], d1, lower), b4 = tape_bytes(srcs[i], d4, lower);
      double ratio = (double)b4 / (double)b1;
      cr_expect(ratio > 3.5 && ratio < 4.5, "model %zu (lower=%d): %zu bytes at N, %zu at 4N (ratio %.2f)", i, lower,
                b1, b4, ratio);
    }
  unlink(d1);
  unlink(d4);
}

Test(lower, check_says_which_loops_vectorise_and_why_the_others_do_not) {
  char path[1024], data[1024];
  source_path(path, sizeof path, "tests/models/loops/garch11.loop.vim");
  source_path(data, sizeof data, "tests/models/loops/data.json");
  struct vi_model *m = load(path, data, 1);
  FILE *f = tmpfile();
  cr_assert(f);
  vi_model_print_layout(m, f);
  rewind(f);
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  cr_assert(strstr(buf, "garch11.loop.vim:5:3: runs as a loop of scalar operations: it reads 'sigma' at another index "
                        "than the one it writes (a dependency between iterations)"),
            "%s", buf);
  cr_assert(strstr(buf, "garch11.loop.vim:6:3: runs as whole-vector operations"), "%s", buf);
  vi_model_free(m);
}

Test(lower, loops_that_read_or_change_the_target_stay_loops) {
  static const char *const srcs[] = {
      "transformed data { int N = 5; vector[N] y = [1, 2, 3, 4, 5]'; }\nparameters { real m; }\n"
      "model { for (n in 1:N) y[n] ~ normal(m + 0.01 * target(), 1); }\n",
      "functions { void add_lp(real x) { target += -x * x; } }\n"
      "transformed data { int N = 5; vector[N] y = [1, 2, 3, 4, 5]'; }\nparameters { real m; }\n"
      "model { for (n in 1:N) { add_lp(m - y[n]); } }\n"};
  for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
    struct vi_model *m = load_string(srcs[i]);
    cr_expect_eq(vi_model_lowered_loops(m), 0, "case %zu was lowered", i);
    double x = 0.5, lp, g;
    cr_assert_eq(vi_model_log_density(m, &x, &lp, &g), 0, "%s", vi_model_error(m));
    vi_model_free(m);
    setenv("VI_LOWER", "0", 1);
    m = load_string(srcs[i]);
    unsetenv("VI_LOWER");
    double lp0, g0;
    cr_assert_eq(vi_model_log_density(m, &x, &lp0, &g0), 0);
    cr_expect(lp == lp0 && g == g0, "case %zu: %.17g vs %.17g as written", i, lp, lp0);
    vi_model_free(m);
  }
}

Test(lower, chained_index_assignment_writes_the_element) {
  struct vi_model *m = load_string(
      "parameters { real m; }\nmodel { array[2, 3] real a; array[2] vector[3] v; matrix[2, 2] M;\n"
      "  for (i in 1:2) for (j in 1:3) { a[i][j] = m * i + j; v[i][j] = m * j; }\n"
      "  M[1][2] = m; M[2][1] = 2 * m; M[1][1] = 1; M[2][2] = 1;\n"
      "  target += -square(a[2][3]) - dot_self(v[2]) - M[2, 1] * M[1, 2]; }\n");
  double x = 0.5, lp, g;
  cr_assert_eq(vi_model_log_density(m, &x, &lp, &g), 0, "%s", vi_model_error(m));
  /* a[2][3] = 2m + 3, v[2] = (m, 2m, 3m), M[2,1] M[1,2] = 2 m^2 */
  cr_assert_float_eq(lp, -(2 * x + 3) * (2 * x + 3) - 14 * x * x - 2 * x * x, 1e-12, "lp %.17g", lp);
  cr_assert_float_eq(g, -4 * (2 * x + 3) - 28 * x - 4 * x, 1e-12, "gradient %.17g", g);
  vi_model_free(m);
  struct vi_diags d;
  vi_diags_init(&d);
  const char *src = "parameters { real m; }\nmodel { array[3, 2] real a = rep_array(0.0, 3, 2);\n"
                    "  a[2:3][1] = {m, m}; target += a[1, 1]; }\n";
  struct vi_data_inputs in = {.seed = 1};
  struct vi_model *m2 = NULL;
  cr_assert_eq(vi_model_load_string("chain.vim", src, strlen(src), &m2, &d) || vi_model_bind(m2, &in, &d), 0);
  cr_assert_neq(vi_model_log_density(m2, &x, &lp, &g), 0);
  cr_assert(strstr(vi_model_error(m2), "chain.vim:3:5: error: assignment through a range or multi-index"),
            "%s", vi_model_error(m2));
  vi_model_free(m2);
  vi_diags_free(&d);
}
