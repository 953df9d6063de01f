/* test_fuse.c: fused elementwise expressions and fused densities
 * (runtime/fuse.c), through the public model API: a model whose vector
 * expression or `normal` location is fused must give the same log density,
 * gradient and error messages as an equivalent model written so that nothing
 * fuses (a loop over elements, or the location computed element by element). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/model.h"

enum { N = 200, J = 5 };

/* Writes the data (N, J, x, y, w, g, yb with one g out of range when bad_g) as
 * JSON into a fresh temp dir; returns the file's path (static buffer per call). */
static void write_data(char *path, size_t size, int bad_g) {
  char dir[] = "/tmp/vi_test_fuse_XXXXXX";
  cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
  snprintf(path, size, "%s/data.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fprintf(f, "{\"N\": %d, \"J\": %d,\n\"x\": [", N, J);
  for (int i = 0; i < N; i++) fprintf(f, "%s%.17g", i ? "," : "", 2 * sin(i + 1.0));
  fprintf(f, "],\n\"y\": [");
  for (int i = 0; i < N; i++) fprintf(f, "%s%.17g", i ? "," : "", 3 * cos(0.7 * i) + 0.5);
  fprintf(f, "],\n\"w\": [");
  for (int i = 0; i < N; i++) fprintf(f, "%s%.17g", i ? "," : "", 0.5 + 0.25 * (i % 3));
  fprintf(f, "],\n\"g\": [");
  for (int i = 0; i < N; i++) fprintf(f, "%s%d", i ? "," : "", bad_g && i == 6 ? J + 1 : 1 + (i * 7) % J);
  fprintf(f, "],\n\"yb\": [");
  for (int i = 0; i < N; i++) fprintf(f, "%s%d", i ? "," : "", sin(3.0 * i) > 0.2);
  fprintf(f, "]}\n");
  fclose(f);
}

static const char *DATA = "data {\n  int N;\n  int J;\n  vector[N] x;\n  vector[N] y;\n  vector[N] w;\n"
                          "  array[N] int g;\n  array[N] int yb;\n}\n";

/* Loads "DATA + rest" and binds the data file. */
static struct vi_model *load(const char *rest, const char *datafile) {
  char src[4096];
  snprintf(src, sizeof src, "%s%s", DATA, rest);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("model.vim", src, strlen(src), &m, &d);
  cr_assert_eq(r, 0, "load failed: %s", d.buf ? d.buf : "");
  const char *files[1] = {datafile};
  struct vi_data_inputs in = {files, 1, NULL, 0, 1};
  r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, 0, "bind failed: %s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

static void fill_theta(double *theta, size_t dim, double shift) {
  for (size_t i = 0; i < dim; i++) theta[i] = 0.3 * sin(1.7 * (double)i + 0.4) + shift;
}

static int close_enough(double a, double b, double scale) {
  return fabs(a - b) <= 1e-12 * fmax(fmax(fabs(a), fabs(b)), scale);
}

/* Same log density and gradient at two points (the first records the tape,
 * the second replays it). */
static void expect_same(const char *fused, const char *plain) {
  char path[256];
  write_data(path, sizeof path, 0);
  struct vi_model *a = load(fused, path), *b = load(plain, path);
  size_t dim = vi_model_dim(a);
  cr_assert_eq(dim, vi_model_dim(b));
  double *theta = calloc(dim, sizeof *theta), *ga = calloc(dim, sizeof *ga), *gb = calloc(dim, sizeof *gb);
  for (int round = 0; round < 2; round++) {
    fill_theta(theta, dim, 0.1 * round);
    double la, lb;
    cr_assert_eq(vi_model_log_density(a, theta, &la, ga), 0, "fused: %s", vi_model_error(a));
    cr_assert_eq(vi_model_log_density(b, theta, &lb, gb), 0, "plain: %s", vi_model_error(b));
    cr_assert(close_enough(la, lb, 1), "log density %.17g vs %.17g", la, lb);
    double gs = 1e-3;
    for (size_t i = 0; i < dim; i++) gs = fmax(gs, fabs(gb[i]));
    for (size_t i = 0; i < dim; i++)
      cr_assert(close_enough(ga[i], gb[i], gs * 1e-2), "gradient[%zu] (%s): %.17g vs %.17g", i,
                vi_model_coord_name(a, i), ga[i], gb[i]);
  }
  cr_assert(vi_model_is_static(a), "the fused model should replay its tape");
  free(theta);
  free(ga);
  free(gb);
  vi_model_free(a);
  vi_model_free(b);
}

#define PARAMS "parameters {\n  vector[J] a;\n  vector[J] b;\n  real<lower=0> sigma;\n}\n"

Test(fuse, normal_with_gathered_location_and_scalar_scale_matches_loop) {
  expect_same(PARAMS "model {\n  y ~ normal(a[g] + b[g] .* x, sigma);\n}\n",
              PARAMS "model {\n  for (n in 1:N) y[n] ~ normal(a[g[n]] + b[g[n]] * x[n], sigma);\n}\n");
}

Test(fuse, normal_with_vector_scale_matches_loop) {
  expect_same(PARAMS "model {\n  y ~ normal(a[g] + b[g] .* x, sigma * w);\n}\n",
              PARAMS "model {\n  for (n in 1:N) y[n] ~ normal(a[g[n]] + b[g[n]] * x[n], sigma * w[n]);\n}\n");
}

Test(fuse, normal_lpdf_keeps_constants_like_the_loop) {
  expect_same(PARAMS "model {\n  target += normal_lpdf(y | a[g] + b[g] .* x, sigma);\n}\n",
              PARAMS "model {\n  for (n in 1:N) target += normal_lpdf(y[n] | a[g[n]] + b[g[n]] * x[n], sigma);\n}\n");
  expect_same(PARAMS "model {\n  target += normal_lpdf(y | a[g] + b[g] .* x, sigma * w);\n}\n",
              PARAMS "model {\n  for (n in 1:N) target += normal_lpdf(y[n] | a[g[n]] + b[g[n]] * x[n], sigma * w[n]);\n}\n");
}

Test(fuse, constant_scale_under_tilde_drops_log_sigma_like_the_loop) {
  expect_same(PARAMS "model {\n  sigma ~ normal(0, 1);\n  y ~ normal(a[g] - b[g], 1.5);\n  y ~ normal(x .* a[g], w);\n}\n",
              PARAMS "model {\n  sigma ~ normal(0, 1);\n  for (n in 1:N) {\n    y[n] ~ normal(a[g[n]] - b[g[n]], 1.5);\n"
                     "    y[n] ~ normal(x[n] * a[g[n]], w[n]);\n  }\n}\n");
}

Test(fuse, bernoulli_logit_with_gathered_location_matches_loop) {
  expect_same(PARAMS "model {\n  yb ~ bernoulli_logit(a[g] + b[g] .* x);\n}\n",
              PARAMS "model {\n  for (n in 1:N) yb[n] ~ bernoulli_logit(a[g[n]] + b[g[n]] * x[n]);\n}\n");
  expect_same(PARAMS "model {\n  target += bernoulli_logit_lpmf(yb | sigma * (x - a[g]));\n}\n",
              PARAMS "model {\n  for (n in 1:N) target += bernoulli_logit_lpmf(yb[n] | sigma * (x[n] - a[g[n]]));\n}\n");
}

#define PARAMS2 "parameters {\n  vector[J] a;\n  vector[J] b;\n  real m;\n  vector[N] v;\n  real<lower=0> sigma;\n}\n"

Test(fuse, every_operator_and_leaf_kind_matches_loop) {
  /* -, unary minus, scalar * and /, ./, an int scalar, a scalar and a vector parameter, parentheses */
  expect_same(PARAMS2 "model {\n  y ~ normal(m + -(a[g] - 2 * x) ./ (2 + b[g] .* b[g]) / 3 + v * m - v, sigma);\n"
                      "  v ~ normal(0, 1);\n}\n",
              PARAMS2 "model {\n  for (n in 1:N)\n    y[n] ~ normal(m + -(a[g[n]] - 2 * x[n]) / (2 + b[g[n]] * b[g[n]]) / 3 + v[n] * m - v[n], sigma);\n"
                      "  v ~ normal(0, 1);\n}\n");
}

Test(fuse, fused_vector_expression_matches_elementwise_assignment) {
  /* the expression is fused on its own (not inside a density); the variate is a parameter */
  expect_same(PARAMS2 "model {\n  vector[N] mu = (a[g] + b[g] .* x) * m - w ./ (1 + b[g] .* b[g]);\n"
                      "  v ~ normal(mu, sigma);\n  m ~ normal(0, 1);\n}\n",
              PARAMS2 "model {\n  vector[N] mu;\n  for (n in 1:N) mu[n] = (a[g[n]] + b[g[n]] * x[n]) * m - w[n] / (1 + b[g[n]] * b[g[n]]);\n"
                      "  v ~ normal(mu, sigma);\n  m ~ normal(0, 1);\n}\n");
}

/* Evaluates a model at a good point (recording) and then at theta with the
 * last coordinate set to bad; returns the error message (static). */
static const char *error_at(const char *model, double bad) {
  static char msg[1024];
  char path[256];
  write_data(path, sizeof path, 0);
  struct vi_model *m = load(model, path);
  size_t dim = vi_model_dim(m);
  double *theta = calloc(dim, sizeof *theta), *g = calloc(dim, sizeof *g), lp;
  fill_theta(theta, dim, 0);
  theta[dim - 1] = 0.5;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, g), 0, "%s", vi_model_error(m));
  theta[dim - 1] = bad;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, g), VI_ERR_EVAL, "no error for %g", bad);
  snprintf(msg, sizeof msg, "%s", vi_model_error(m));
  char *nl = strchr(msg, '\n'); /* its first line: the source excerpt follows */
  if (nl) *nl = 0;
  free(theta);
  free(g);
  vi_model_free(m);
  return msg;
}

#define PARAMS3 "parameters {\n  vector[J] a;\n  vector[J] b;\n  real sigma;\n}\n"

Test(fuse, bad_scale_at_replay_fails_with_the_stdlib_message) {
  char fused[1024];
  snprintf(fused, sizeof fused, "%s", error_at(PARAMS3 "model {\n  y ~ normal(a[g] + b[g] .* x, sigma);\n}\n", -1));
  const char *plain = error_at(PARAMS3 "model {\n  vector[N] mu;\n  for (n in 1:N) mu[n] = a[g[n]] + b[g[n]] * x[n];\n"
                                       "  y ~ normal(mu, sigma);\n}\n", -1);
  cr_assert_str_eq(fused, "model.vim:16:7: error: normal_lpdf: scale parameter is -1, must be positive");
  cr_assert(strstr(plain, "normal_lpdf: scale parameter is -1, must be positive") != NULL, "plain: %s", plain);
  snprintf(fused, sizeof fused, "%s", error_at(PARAMS3 "model {\n  y ~ normal(a[g] + b[g] .* x, sigma * w);\n}\n", 0));
  cr_assert_str_eq(fused, "model.vim:16:7: error: normal_lpdf: scale parameter[1] is 0, must be positive");
}

Test(fuse, infinite_location_at_replay_names_the_element) {
  const char *msg = error_at("parameters {\n  vector[J] a;\n  real<lower=0> sigma;\n  real t;\n}\n"
                             "model {\n  y ~ normal(a[g] + x / t, sigma);\n}\n", 0);
  /* x[1] / 0 is +-inf: the first element of the location */
  cr_assert_str_eq(msg, "model.vim:16:7: error: normal_lpdf: location parameter[1] is inf, must be finite");
}

Test(fuse, out_of_range_multi_index_is_reported_like_the_interpreter) {
  char path[256];
  write_data(path, sizeof path, 1);
  struct vi_model *m = load(PARAMS "model {\n  y ~ normal(a[g] + b[g] .* x, sigma);\n}\n", path);
  size_t dim = vi_model_dim(m);
  double *theta = calloc(dim, sizeof *theta), lp;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, NULL), VI_ERR_EVAL);
  const char *msg = vi_model_error(m);
  cr_assert(strstr(msg, "model.vim:16:16: error: index 6 out of range: a has size 5 at this position "
                        "(element 7 of the multi-index)") != NULL, "got: %s", msg);
  free(theta);
  vi_model_free(m);
}

Test(fuse, mismatched_sizes_are_reported_like_the_stdlib) {
  char path[256];
  write_data(path, sizeof path, 0);
  struct vi_model *m = load(PARAMS "model {\n  y ~ normal(a[g] + b[g] .* x[1:N - 1], sigma);\n}\n", path);
  size_t dim = vi_model_dim(m);
  double *theta = calloc(dim, sizeof *theta), lp;
  cr_assert_eq(vi_model_log_density(m, theta, &lp, NULL), VI_ERR_EVAL);
  const char *msg = vi_model_error(m);
  cr_assert(strstr(msg, "model.vim:16:26: error: elt_multiply: sizes do not match (200 and 199 elements)") != NULL,
            "got: %s", msg);
  free(theta);
  vi_model_free(m);
}
