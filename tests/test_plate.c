/* test_plate.c: the row-plate analysis (compiler/plate.c), one case per kind
 * of row term it recognises and per kind of coupling it refuses, through
 * the layout --check prints and vi_rows_new's refusal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/minibatch.h"
#include "vi/model.h"

static const char *csv_path(void) {
  static char path[64];
  if (path[0]) return path;
  snprintf(path, sizeof path, "/tmp/vi_plate_%d.csv", (int)getpid());
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fprintf(f, "y,x,t,c,g,X.1,X.2\n");
  for (int n = 0; n < 20; n++)
    fprintf(f, "%g,%g,%g,%d,%d,%g,%g\n", 0.1 * n - 1, 0.05 * n, 1.0 + n, n % 7, 1 + n % 3, 0.5 * n, 1.0 / (n + 1));
  fclose(f);
  return path;
}

/* The plate layout of src bound to the test table (J=3 given). */
static char *plate_of(const char *src) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("m.vim", src, strlen(src), &m, &d);
  cr_assert_eq(r, VI_OK, "%s", d.buf ? d.buf : "");
  const char *files[1] = {csv_path()};
  const char *assigns[1] = {"J=3"};
  int needs_j = strstr(src, "int J;") != NULL;
  struct vi_data_inputs in = {files, 1, assigns, needs_j, 1};
  r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, VI_OK, "%s", d.buf ? d.buf : "");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert_eq(vi_rows_print_plate(m, f), VI_OK);
  fclose(f);
  vi_model_free(m);
  vi_diags_free(&d);
  return buf;
}

#define DATA "data {\n  int N;\n  vector[N] y;\n  vector[N] x;\n}\n"
#define PARS "parameters {\n  real a;\n  real b;\n  real<lower=0> s;\n}\n"

static void expect(const char *src, const char *want) {
  char *out = plate_of(src);
  cr_assert(strstr(out, want), "wanted '%s' in:\n%s\nfor:\n%s", want, out, src);
  free(out);
}

Test(plate, table_and_n_are_named) {
  expect(DATA PARS "model {\n  y ~ normal(a + b * x, s);\n}\n", "table          /tmp/vi_plate_");
  expect(DATA PARS "model {\n  y ~ normal(a + b * x, s);\n}\n", "N = 20 rows");
}

Test(plate, loop_over_rows_with_tilde) {
  expect(DATA PARS "model {\n  s ~ exponential(1);\n  for (n in 1:N)\n    y[n] ~ normal(a + b * x[n], s);\n}\n",
         "row terms      13:3\n  global terms   12:3\n");
}

Test(plate, vectorised_tilde_over_columns) {
  expect(DATA PARS "model {\n  a ~ normal(0, 1);\n  y ~ normal(a + b * x, s);\n}\n",
         "row terms      13:3\n  global terms   12:3\n");
}

Test(plate, matrix_times_global_vector) {
  expect("data {\n  int N;\n  vector[N] y;\n  matrix[N, 2] X;\n}\n"
         "parameters {\n  vector[2] b;\n  real<lower=0> s;\n}\n"
         "model {\n  b ~ normal(0, 1);\n  y ~ normal(X * b, s);\n}\n",
         "row terms      12:3\n  global terms   11:3\n");
}

Test(plate, target_plus_density_lpdf) {
  expect(DATA PARS "model {\n  target += normal_lpdf(y | a + b * x, s);\n  target += -s;\n}\n",
         "row terms      12:3\n  global terms   13:3\n");
}

Test(plate, target_plus_sum_of_a_row_local_filled_in_a_loop) {
  expect(DATA PARS "model {\n  vector[N] ll;\n  for (n in 1:N)\n    ll[n] = normal_lpdf(y[n] | a, s);\n"
                   "  target += sum(ll);\n}\n",
         "row terms      15:3\n");
}

Test(plate, target_plus_inside_the_row_loop) {
  expect(DATA PARS "model {\n  for (n in 1:N)\n    target += normal_lpdf(y[n] | a + b * x[n], s);\n}\n",
         "row terms      12:3\n");
}

Test(plate, group_index_of_a_global_vector) {
  static const char head[] = "data {\n  int N;\n  int J;\n  array[N] int<lower=1, upper=J> g;\n  vector[N] y;\n}\n"
                             "parameters {\n  vector[J] a;\n  real<lower=0> s;\n}\n";
  char src[1024];
  snprintf(src, sizeof src, "%smodel {\n  a ~ normal(0, 1);\n  y ~ normal(a[g], s);\n}\n", head);
  expect(src, "row terms      13:3\n  global terms   12:3\n");
  snprintf(src, sizeof src, "%smodel {\n  for (n in 1:N)\n    y[n] ~ normal(a[g[n]], s);\n}\n", head);
  expect(src, "row terms      12:3\n");
}

Test(plate, elementwise_function_of_a_column) {
  expect("data {\n  int N;\n  array[N] int c;\n  vector[N] t;\n}\nparameters {\n  real a;\n}\n"
         "model {\n  c ~ poisson_log(log(t) + a);\n}\n",
         "row terms      10:3\n");
}

Test(plate, transformed_data_over_rows) {
  expect(DATA "transformed data {\n  vector[N] lx = log1p(x);\n}\n" PARS "model {\n  y ~ normal(b * lx, s);\n}\n",
         "row terms      15:3\n");
}

Test(plate, transformed_parameter_over_rows) {
  expect(DATA PARS "transformed parameters {\n  vector[N] mu = a + b * x;\n}\nmodel {\n  y ~ normal(mu, s);\n}\n",
         "row terms      15:3\n");
}

Test(plate, local_scalar_in_the_row_loop) {
  expect(DATA PARS "model {\n  for (n in 1:N) {\n    real e = a + b * x[n];\n    y[n] ~ normal(e, s);\n  }\n}\n",
         "row terms      12:3\n");
}

Test(plate, per_row_parameters_are_listed_and_taken_by_row_views) {
  static const char src[] = DATA "parameters {\n  vector[N] z;\n  real<lower=0> s;\n}\n"
                                 "model {\n  z ~ normal(0, 1);\n  y ~ normal(z, s);\n}\n";
  expect(src, "per-row params z\n");
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  cr_assert_eq(vi_model_load_string("m.vim", src, strlen(src), &m, &d), VI_OK);
  const char *files[1] = {csv_path()};
  struct vi_data_inputs in = {files, 1, NULL, 0, 1};
  cr_assert_eq(vi_model_bind(m, &in, &d), VI_OK, "%s", d.buf);
  struct vi_rows *r = NULL;
  cr_assert_eq(vi_rows_new(m, 1, 8, &r, &d), VI_OK, "%s", d.buf ? d.buf : "");
  vi_rows_free(r);
  vi_model_free(m);
  vi_diags_free(&d); /* its sources named the freed model's text */
  vi_diags_init(&d);
  /* a matrix[N, K] per-row parameter: refused at its place, with what works */
  static const char msrc[] = DATA "parameters {\n  matrix[N, 2] z;\n  real<lower=0> s;\n}\n"
                                  "model {\n  to_vector(z) ~ normal(0, 1);\n  y ~ normal(z[:, 1], s);\n}\n";
  m = NULL;
  cr_assert_eq(vi_model_load_string("m.vim", msrc, strlen(msrc), &m, &d), VI_OK);
  cr_assert_eq(vi_model_bind(m, &in, &d), VI_OK, "%s", d.buf);
  r = NULL;
  int rc = vi_rows_new(m, 1, 8, &r, &d);
  cr_assert_eq(rc, VI_ERR_USAGE);
  cr_assert(d.buf && strstr(d.buf, "m.vim:7:") && strstr(d.buf, "per-row parameter 'z' is a matrix[N, K]; declare it as array[N] vector[K]"), "%s", d.buf ? d.buf : "");
  vi_model_free(m);
  vi_diags_free(&d);
}

/* couplings: the place and the reason */
Test(plate, previous_row_couples) {
  expect(DATA PARS "model {\n  for (n in 2:N)\n    y[n] ~ normal(a + b * y[n - 1], s);\n}\n",
         "coupled        13:27: reads 'y' at another row");
}

Test(plate, part_of_the_rows_couples) {
  expect(DATA PARS "model {\n  y[1:10] ~ normal(a, s);\n}\n", "coupled        12:3: reads part of the rows of 'y'");
}

Test(plate, a_reduction_over_rows_couples) {
  expect(DATA PARS "model {\n  a ~ normal(mean(y), 1);\n  y ~ normal(a, s);\n}\n",
         "coupled        12:14: 'mean' of vectors over the rows is not elementwise");
}

Test(plate, cumulative_sum_couples) {
  expect(DATA PARS "model {\n  y ~ normal(cumulative_sum(x) * b, s);\n}\n",
         "coupled        12:14: 'cumulative_sum' of vectors over the rows is not elementwise");
}

Test(plate, a_gp_over_rows_couples) {
  expect("data {\n  int N;\n  array[N] real x;\n  vector[N] y;\n}\nparameters {\n  real<lower=0> l;\n}\n"
         "model {\n  matrix[N, N] K = add_diag(gp_exp_quad_cov(x, 1.0, l), 1.0);\n"
         "  y ~ multi_normal(rep_vector(0, N), K);\n}\n",
         "coupled        10:29: 'gp_exp_quad_cov' of vectors over the rows is not elementwise");
}

Test(plate, the_row_number_as_a_value_couples) {
  expect(DATA PARS "model {\n  for (n in 1:N)\n    y[n] ~ normal(b * n, s);\n}\n",
         "coupled        13:23: uses the row number 'n' as a value");
}

Test(plate, the_row_count_as_a_value_couples) {
  expect(DATA PARS "model {\n  target += -N * log(s);\n  y ~ normal(a, s);\n}\n",
         "coupled        12:14: uses the row count 'N' as a value");
  /* as a size it is fine */
  expect(DATA PARS "model {\n  vector[N] m = rep_vector(a, N) + b * x;\n  y ~ normal(m, s);\n}\n",
         "row terms      13:3\n");
}

Test(plate, a_model_without_a_table_has_no_plate) {
  struct vi_diags d;
  vi_diags_init(&d);
  static const char src[] = "data {\n  real m;\n}\nparameters {\n  real a;\n}\nmodel {\n  a ~ normal(m, 1);\n}\n";
  struct vi_model *m = NULL;
  cr_assert_eq(vi_model_load_string("m.vim", src, strlen(src), &m, &d), VI_OK);
  const char *assigns[1] = {"m=1"};
  struct vi_data_inputs in = {NULL, 0, assigns, 1, 1};
  cr_assert_eq(vi_model_bind(m, &in, &d), VI_OK);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  vi_rows_print_plate(m, f);
  fclose(f);
  cr_assert(strstr(buf, "no table of rows"), "%s", buf);
  free(buf);
  vi_model_free(m);
  vi_diags_free(&d);
}
