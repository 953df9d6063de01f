/* test_functions.c: user-defined functions and truncation (compiler/check.c,
 * runtime/interp.c), through the public model API.
 *
 * (a) A model written with user functions gives the same log density and
 *     gradient as the same model written inline (to 1e-12), at two points
 *     (the first records the tape, the second replays it);
 * (b) recursion, mutual recursion, void functions with print, _lpdf user
 *     densities under `~`, `target +=` and _lupdf, _lp and _rng functions;
 * (c) checker errors with their line and column, and the recursion limit;
 * (d) truncation against hand-computed values;
 * (e) five models against Stan's log density and gradient (rstan 2.21) at
 *     five points each: tests/models/functions/NAME.{vim,data.csv,points.csv,
 *     stan.csv}, run through vi-run --log-density. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/model.h"
#include "testutil.h"

/* Writes text to a fresh temp file named `name`; returns its path in buf. */
static void write_temp(char *buf, size_t size, const char *name, const char *text) {
  char dir[] = "/tmp/vi_test_functions_XXXXXX";
  cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
  snprintf(buf, size, "%s/%s", dir, name);
  FILE *f = fopen(buf, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static const char *DATA_CSV = "x,y\n0.5,1.2\n-1.0,0.3\n2.0,2.9\n0.1,0.4\n1.5,2.2\n";

/* Loads src and binds the small x,y table (when the model has data). */
static struct vi_model *load(const char *src) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("model.vim", src, strlen(src), &m, &d);
  cr_assert_eq(r, 0, "load failed: %s", d.buf ? d.buf : "");
  char path[256];
  write_temp(path, sizeof path, "data.csv", DATA_CSV);
  const char *files[1] = {path};
  struct vi_data_inputs in = {files, 1, NULL, 0, 7};
  r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, 0, "bind failed: %s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

/* The diagnostics of a model that must fail to load. */
static char *load_error(const char *src) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("model.vim", src, strlen(src), &m, &d);
  cr_assert_neq(r, 0, "the model loaded");
  cr_assert_null(m);
  char *msg = strdup(d.buf ? d.buf : "");
  vi_diags_free(&d);
  return msg;
}

static void expect_load_error(const char *src, const char *want) {
  char *msg = load_error(src);
  cr_assert(strstr(msg, want) != NULL, "want\n  %s\ngot\n%s", want, msg);
  free(msg);
}

static void fill_theta(double *theta, size_t dim, double shift) {
  for (size_t i = 0; i < dim; i++) theta[i] = 0.4 * sin(1.3 * (double)i + 0.2) + shift;
}

static int close_enough(double a, double b, double tol) {
  return fabs(a - b) <= tol * fmax(fmax(fabs(a), fabs(b)), 1.0);
}

/* Same log density and gradient at two points, to 1e-12. */
static void expect_same(const char *with_functions, const char *inline_src) {
  struct vi_model *a = load(with_functions), *b = load(inline_src);
  size_t dim = vi_model_dim(a);
  cr_assert_eq(dim, vi_model_dim(b));
  cr_assert_gt(dim, 0);
  double *theta = calloc(dim, sizeof *theta), *ga = calloc(dim, sizeof *ga), *gb = calloc(dim, sizeof *gb);
  for (int round = 0; round < 3; round++) {
    fill_theta(theta, dim, 0.2 * round);
    double la, lb;
    cr_assert_eq(vi_model_log_density(a, theta, &la, ga), 0, "functions: %s", vi_model_error(a));
    cr_assert_eq(vi_model_log_density(b, theta, &lb, gb), 0, "inline: %s", vi_model_error(b));
    cr_assert(close_enough(la, lb, 1e-12), "round %d: lp %.17g vs %.17g", round, la, lb);
    for (size_t i = 0; i < dim; i++)
      cr_assert(close_enough(ga[i], gb[i], 1e-12), "round %d: grad[%zu] %.17g vs %.17g", round, i, ga[i], gb[i]);
  }
  free(theta);
  free(ga);
  free(gb);
  vi_model_free(a);
  vi_model_free(b);
}

/* lp and gradient of src at theta. */
static double lp_at(const char *src, const double *theta, double *grad) {
  struct vi_model *m = load(src);
  double lp;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, grad), 0, "%s", vi_model_error(m));
  vi_model_free(m);
  return lp;
}

/* ---- (a) functions against inline code ---- */

Test(functions, a_regression_through_functions_matches_the_inline_model) {
  expect_same("functions {\n"
              "  real line(real a, real b, real x) { return a + b * x; }\n"
              "  vector predict(vector x, real a, real b) {\n"
              "    vector[rows(x)] mu;\n"
              "    for (n in 1:rows(x)) mu[n] = line(a, b, x[n]);\n"
              "    return mu;\n"
              "  }\n"
              "  real sq(real s) { return s * s; }\n"
              "}\n"
              "data { int N; vector[N] x; vector[N] y; }\n"
              "parameters { real a; real b; real<lower=0> sigma; }\n"
              "model {\n"
              "  a ~ normal(0, sq(2));\n"
              "  b ~ normal(0, 3);\n"
              "  sigma ~ exponential(1);\n"
              "  y ~ normal(predict(x, a, b), sigma);\n"
              "}\n",
              "data { int N; vector[N] x; vector[N] y; }\n"
              "parameters { real a; real b; real<lower=0> sigma; }\n"
              "model {\n"
              "  vector[N] mu;\n"
              "  for (n in 1:N) mu[n] = a + b * x[n];\n"
              "  a ~ normal(0, 4);\n"
              "  b ~ normal(0, 3);\n"
              "  sigma ~ exponential(1);\n"
              "  y ~ normal(mu, sigma);\n"
              "}\n");
}

Test(functions, element_assignment_inside_a_function_leaves_the_callers_variable_alone) {
  /* f writes into its local copy of v; z must keep its values */
  expect_same("functions {\n"
              "  vector zero_first(vector v) {\n"
              "    vector[rows(v)] w = v;\n"
              "    w[1] = 0;\n"
              "    return w;\n"
              "  }\n"
              "}\n"
              "parameters { vector[3] z; }\n"
              "model {\n"
              "  vector[3] q = zero_first(z);\n"
              "  target += -0.5 * dot_self(z) - 0.25 * dot_self(q) + z[1];\n"
              "}\n",
              "parameters { vector[3] z; }\n"
              "model {\n"
              "  vector[3] q = z;\n"
              "  q[1] = 0;\n"
              "  target += -0.5 * dot_self(z) - 0.25 * dot_self(q) + z[1];\n"
              "}\n");
}

Test(functions, recursion_over_parameters_matches_the_inline_sum) {
  /* Horner's rule by recursion, with a forward declaration */
  expect_same("functions {\n"
              "  real horner(vector c, real x, int k);\n"
              "  real horner(vector c, real x, int k) {\n"
              "    if (k == rows(c)) return c[k];\n"
              "    return c[k] + x * horner(c, x, k + 1);\n"
              "  }\n"
              "}\n"
              "data { int N; vector[N] x; vector[N] y; }\n"
              "parameters { vector[3] c; }\n"
              "model {\n"
              "  c ~ normal(0, 1);\n"
              "  for (n in 1:N) y[n] ~ normal(horner(c, x[n], 1), 1);\n"
              "}\n",
              "data { int N; vector[N] x; vector[N] y; }\n"
              "parameters { vector[3] c; }\n"
              "model {\n"
              "  c ~ normal(0, 1);\n"
              "  for (n in 1:N) y[n] ~ normal(c[1] + x[n] * (c[2] + x[n] * c[3]), 1);\n"
              "}\n");
}

Test(functions, int_arguments_promote_to_real_and_arrays_pass_by_value) {
  expect_same("functions {\n"
              "  real wsum(array[] real w, real s) { real t = 0; for (i in 1:size(w)) t += w[i] * s; return t; }\n"
              "}\n"
              "parameters { real s; }\n"
              "model {\n"
              "  array[3] int k = {1, 2, 3};\n"
              "  target += -square(wsum(k, s) - 1) - wsum({0.5, 0.25}, 2);\n"
              "}\n",
              "parameters { real s; }\n"
              "model {\n"
              "  target += -square(6 * s - 1) - 1.5;\n"
              "}\n");
}

/* ---- (b) recursion, void, densities ---- */

/* The generated quantities of src at theta = 0 (dim may be 0). */
static void outputs(const char *src, double *out, size_t nout) {
  struct vi_model *m = load(src);
  cr_assert_eq(vi_model_nout(m), nout);
  double theta[4] = {0};
  struct vi_rng rng;
  vi_rng_seed(&rng, 11, 0);
  cr_assert_eq(vi_model_write(m, theta, out, &rng), 0, "%s", vi_model_error(m));
  vi_model_free(m);
}

Test(functions, fib_and_mutual_recursion_compute_in_every_block) {
  double out[4];
  outputs("functions {\n"
          "  int fib(int n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }\n"
          "  int is_odd(int n);\n"
          "  int is_even(int n) { if (n == 0) return 1; return is_odd(n - 1); }\n"
          "  int is_odd(int n) { if (n == 0) return 0; return is_even(n - 1); }\n"
          "}\n"
          "transformed data { int f15 = fib(15); }\n"
          "parameters { real mu; }\n"
          "model { mu ~ normal(fib(5), 1); }\n"
          "generated quantities { int a = f15; int b = fib(20); int c = is_even(37); }\n",
          out, 4);
  cr_assert_float_eq(out[1], 610, 0);
  cr_assert_float_eq(out[2], 6765, 0);
  cr_assert_float_eq(out[3], 0, 0);
}

Test(functions, void_functions_print_from_generated_quantities, .init = cr_redirect_stderr) {
  double out[2];
  outputs("functions {\n"
          "  void show(real x, int k) {\n"
          "    if (k > 2) return;\n"
          "    print(\"show \", x, \" \", k);\n"
          "  }\n"
          "}\n"
          "parameters { real mu; }\n"
          "model { mu ~ normal(0, 1); }\n"
          "generated quantities { real y = 2.5; show(y, 1); show(y, 3); }\n",
          out, 2);
  fflush(stderr);
  cr_assert_stderr_eq_str("show 2.5 1\n");
}

static const double TH2[2] = {0.3, -0.4};

Test(functions, a_user_density_under_tilde_and_target_matches_the_builtin) {
  double g1[2], g2[2], g3[2];
  /* full density through target +=: identical to normal_lpdf */
  double a = lp_at("functions { real mynorm_lpdf(real y, real m, real s) { return normal_lpdf(y | m, s); } }\n"
                   "data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) target += mynorm_lpdf(y[n] | mu, s); }\n",
                   TH2, g1);
  double b = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) target += normal_lpdf(y[n] | mu, s); }\n",
                   TH2, g2);
  cr_assert(close_enough(a, b, 1e-12), "%.17g vs %.17g", a, b);
  /* under ~ (and as _lupdf) the body's normal_lupdf drops its constants */
  double c = lp_at("functions { real mynorm_lpdf(real y, real m, real s) { return normal_lupdf(y | m, s); } }\n"
                   "data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N - 1) y[n] ~ mynorm(mu, s); target += mynorm_lupdf(y[N] | mu, s); }\n",
                   TH2, g3);
  double d = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { y ~ normal(mu, s); }\n",
                   TH2, g2);
  cr_assert(close_enough(c, d, 1e-12), "%.17g vs %.17g", c, d);
  for (int i = 0; i < 2; i++) {
    cr_assert(close_enough(g1[i], g3[i], 1e-12), "grad[%d] %.17g vs %.17g", i, g1[i], g3[i]);
    cr_assert(close_enough(g2[i], g3[i], 1e-12), "grad[%d] %.17g vs %.17g", i, g2[i], g3[i]);
  }
  /* called as _lpdf, the same body keeps every constant: 5 * log(sqrt(2 pi)) more */
  double e = lp_at("functions { real mynorm_lpdf(real y, real m, real s) { return normal_lupdf(y | m, s); } }\n"
                   "data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) target += mynorm_lpdf(y[n] | mu, s); }\n",
                   TH2, g3);
  cr_assert(close_enough(e, a, 1e-12), "%.17g vs %.17g", e, a);
}

Test(functions, lp_functions_add_to_the_target) {
  double g1[2], g2[2];
  double a = lp_at("functions {\n"
                   "  real centred_lp(real x, real s) { x ~ normal(0, s); target += -s; return x + 1; }\n"
                   "}\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "transformed parameters { real t = centred_lp(mu, s); }\n"
                   "model { target += -square(t); }\n",
                   TH2, g1);
  double b = lp_at("parameters { real mu; real<lower=0> s; }\n"
                   "model { mu ~ normal(0, s); target += -s - square(mu + 1); }\n",
                   TH2, g2);
  cr_assert(close_enough(a, b, 1e-12), "%.17g vs %.17g", a, b);
  for (int i = 0; i < 2; i++) cr_assert(close_enough(g1[i], g2[i], 1e-12), "grad[%d]", i);
}

Test(functions, rng_functions_run_in_generated_quantities) {
  double out[3];
  outputs("functions {\n"
          "  real shifted_rng(real m) { return m + uniform_rng(0, 1); }\n"
          "}\n"
          "parameters { real mu; }\n"
          "model { mu ~ normal(0, 1); }\n"
          "generated quantities { real a = shifted_rng(10); real b = shifted_rng(-10); }\n",
          out, 3);
  cr_assert(out[1] >= 10 && out[1] <= 11, "a = %g", out[1]);
  cr_assert(out[2] >= -10 && out[2] <= -9, "b = %g", out[2]);
}

/* ---- (c) errors ---- */

Test(functions, data_arguments_must_not_depend_on_parameters) {
  expect_load_error("functions { real scale(data real s, real x) { return s * x; } }\n"
                    "parameters { real mu; }\n"
                    "model { mu ~ normal(scale(mu, 2), 1); }\n",
                    "model.vim:3:27: error: argument 1 of 'scale' ('s') is declared data, but this value can depend on "
                    "parameters");
  /* data is fine */
  struct vi_model *m = load("functions { real scale(data real s, real x) { return s * x; } }\n"
                            "data { int N; vector[N] x; vector[N] y; }\n"
                            "parameters { real mu; }\n"
                            "model { mu ~ normal(scale(y[1], mu), 1); }\n");
  vi_model_free(m);
}

Test(functions, a_missing_return_is_an_error_at_the_function) {
  expect_load_error("functions {\n  real f(real x) {\n    if (x > 0) return 1;\n    else if (x < -1) return 2;\n  }\n}\n"
                    "parameters { real mu; }\nmodel { mu ~ normal(f(1), 1); }\n",
                    "model.vim:2:8: error: 'f' can reach the end of its body without returning a value");
}

Test(functions, wrong_argument_types_name_the_signature) {
  expect_load_error("functions { real total(vector v, int k) { return sum(v) * k; } }\n"
                    "parameters { real mu; }\n"
                    "model { mu ~ normal(total([1, 2]', 1.5), 1); }\n",
                    "model.vim:3:21: error: no signature of 'total' takes (vector, real); it takes (vector, int) => real");
  expect_load_error("functions { real two(real a, real b) { return a + b; } }\n"
                    "parameters { real mu; }\n"
                    "model { mu ~ normal(two(1), 1); }\n",
                    "model.vim:3:21: error: no signature of 'two' takes (int); it takes (real, real) => real");
}

Test(functions, runaway_recursion_stops_at_the_depth_limit) {
  struct vi_model *m = load("functions { real down(real x) { return down(x - 1); } }\n"
                            "parameters { real mu; }\n"
                            "model { mu ~ normal(down(0), 1); }\n");
  double theta[1] = {0}, lp, g[1];
  cr_assert_neq(vi_model_log_density(m, theta, &lp, g), 0);
  /* the call limit (1000), or the C stack limit first where frames are large (sanitizer builds) */
  cr_assert(strstr(vi_model_error(m), "recursion too deep in 'down'") != NULL, "%s", vi_model_error(m));
  cr_assert(strstr(vi_model_error(m), "limit") != NULL, "%s", vi_model_error(m));
  vi_model_free(m);
}

/* ---- (d) truncation ---- */

Test(functions, lower_truncation_equals_lpdf_minus_lccdf) {
  double g1[2], g2[2];
  double a = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) y[n] ~ normal(mu, s) T[0, ]; }\n",
                   TH2, g1);
  double b = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) target += normal_lupdf(y[n] | mu, s) - normal_lccdf(0 | mu, s); }\n",
                   TH2, g2);
  cr_assert(close_enough(a, b, 1e-12), "%.17g vs %.17g", a, b);
  for (int i = 0; i < 2; i++) cr_assert(close_enough(g1[i], g2[i], 1e-12), "grad[%d] %.17g vs %.17g", i, g1[i], g2[i]);
  /* upper only: minus lcdf */
  a = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
            "parameters { real mu; real<lower=0> s; }\n"
            "model { for (n in 1:N) y[n] ~ normal(mu, s) T[, 4]; }\n",
            TH2, g1);
  b = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
            "parameters { real mu; real<lower=0> s; }\n"
            "model { for (n in 1:N) target += normal_lupdf(y[n] | mu, s) - normal_lcdf(4 | mu, s); }\n",
            TH2, g2);
  cr_assert(close_enough(a, b, 1e-12), "%.17g vs %.17g", a, b);
  for (int i = 0; i < 2; i++) cr_assert(close_enough(g1[i], g2[i], 1e-12), "grad[%d]", i);
}

Test(functions, two_sided_truncation_matches_a_hand_computed_value) {
  /* R: -0.5 * ((1.5 - mu) / 2)^2 - log(pnorm(3, mu, 2) - pnorm(0, mu, 2)) at mu = 0.7,
   * and its derivative (y - mu) / s^2 + (dnorm(b) - dnorm(a)) / (s Z) */
  const double theta[1] = {0.7};
  double g[1];
  double lp = lp_at("parameters { real mu; }\nmodel { 1.5 ~ normal(mu, 2) T[0, 3]; }\n", theta, g);
  cr_assert(close_enough(lp, 0.58990202373384371, 1e-13), "lp %.17g", lp);
  cr_assert(close_enough(g[0], 0.034586033362594915, 1e-12), "grad %.17g", g[0]);
}

Test(functions, a_variate_outside_the_truncation_makes_the_density_minus_infinity) {
  const double theta[1] = {0.7};
  double g[1];
  double lp = lp_at("parameters { real mu; }\nmodel { 3.5 ~ normal(mu, 2) T[0, 3]; }\n", theta, g);
  cr_assert(isinf(lp) && lp < 0, "lp = %g", lp);
  lp = lp_at("parameters { real mu; }\nmodel { -0.1 ~ normal(mu, 2) T[0, ]; }\n", theta, g);
  cr_assert(isinf(lp) && lp < 0, "lp = %g", lp);
}

Test(functions, truncation_of_a_user_density_uses_the_user_cdfs) {
  double g1[2], g2[2];
  double a = lp_at("functions {\n"
                   "  real my_lpdf(real y, real m, real s) { return normal_lpdf(y | m, s); }\n"
                   "  real my_lcdf(real y, real m, real s) { return normal_lcdf(y | m, s); }\n"
                   "}\n"
                   "data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) y[n] ~ my(mu, s) T[-1, 5]; }\n",
                   TH2, g1);
  double b = lp_at("data { int N; vector[N] x; vector[N] y; }\n"
                   "parameters { real mu; real<lower=0> s; }\n"
                   "model { for (n in 1:N) target += normal_lpdf(y[n] | mu, s)\n"
                   "  - log_diff_exp(normal_lcdf(5 | mu, s), normal_lcdf(-1 | mu, s)); }\n",
                   TH2, g2);
  cr_assert(close_enough(a, b, 1e-12), "%.17g vs %.17g", a, b);
  for (int i = 0; i < 2; i++) cr_assert(close_enough(g1[i], g2[i], 1e-12), "grad[%d]", i);
}

Test(functions, truncation_needs_a_cdf_and_a_univariate_variate) {
  expect_load_error("data { int N; array[N] int y; }\nparameters { real<lower=0> l; }\n"
                    "model { for (n in 1:N) y[n] ~ poisson(l) T[0, 10]; }\n",
                    "model.vim:3:31: error: truncation T[L, U] needs 'poisson_lcdf' for these arguments");
  expect_load_error("data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { y ~ normal(mu, 1) T[0, ]; }\n",
                    "model.vim:3:9: error: truncation T[,] needs a univariate variate (int or real), not vector");
}

/* ---- (e) against Stan ---- */

static void against_stan(const char *name) {
  const char *root = getenv("VI_SOURCE_ROOT"), *vi = getenv("VI_RUN");
  cr_assert(root && vi, "VI_SOURCE_ROOT and VI_RUN must be set (tests/meson.build)");
  char dir[1024], cmd[4096], path[1200];
  snprintf(dir, sizeof dir, "%s/tests/models/functions", root);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s.vim %s.data.csv --log-density %s.points.csv 2>&1", dir, vi, name,
           name, name);
  FILE *pp = popen(cmd, "r");
  cr_assert_not_null(pp);
  static char got_text[65536];
  size_t n = fread(got_text, 1, sizeof got_text - 1, pp);
  got_text[n] = 0;
  cr_assert_eq(pclose(pp), 0, "%s failed:\n%s", name, got_text);
  snprintf(path, sizeof path, "%s/%s.stan.csv", dir, name);
  char *want_text = slurp(path);
  cr_assert_not_null(want_text, "cannot read %s", path);
  static double got[8][32], want[8][32];
  int gc, wc;
  int gn = csv_rows(got_text, got[0], 8, 32, &gc), wn = csv_rows(want_text, want[0], 8, 32, &wc);
  cr_assert_eq(wn, 5, "%s: %d reference rows", name, wn);
  cr_assert_eq(gn, wn, "%s: %d rows, want %d:\n%s", name, gn, wn, got_text);
  cr_assert_eq(gc, wc, "%s: %d columns, want %d", name, gc, wc);
  for (int i = 0; i < wn; i++) {
    /* lp up to the constants Stan drops: compare differences from the first point */
    double dg = got[i][0] - got[0][0], dw = want[i][0] - want[0][0];
    cr_assert(fabs(dg - dw) <= 1e-8 * fmax(1, fabs(dw)), "%s point %d: lp difference %.17g, Stan %.17g", name, i + 1,
              dg, dw);
    for (int j = 1; j < wc; j++)
      cr_assert(fabs(got[i][j] - want[i][j]) <= 1e-8 * fmax(1, fabs(want[i][j])),
                "%s point %d: grad[%d] %.17g, Stan %.17g", name, i + 1, j, got[i][j], want[i][j]);
  }
  free(want_text);
}

Test(functions, truncated_regression_matches_stan) { against_stan("trunc_reg"); }
Test(functions, recursive_skew_density_matches_stan) { against_stan("skew_poly"); }
Test(functions, lkj_model_matches_stan) { against_stan("lkj_mvn"); }
/* dims, quad_form_diag, eigenvalues_sym, eigenvectors_sym, von_mises,
 * beta_proportion, wishart, multi_normal_prec, inverse_spd, singular_values */
Test(functions, new_stdlib_functions_match_stan) { against_stan("stdlib_new"); }
/* csr_matrix_times_vector, matrix_exp, singular_values, ordered_probit,
 * inv_wishart, multi_gp_cholesky, quad_form_diag */
Test(functions, more_new_stdlib_functions_match_stan) { against_stan("stdlib_new2"); }
