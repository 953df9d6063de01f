/* test_par.c: two-way data parallelism (runtime/par.c) and the matrix
 * products that use it. A product large enough to be split must give the
 * log density and gradient of the same computation written row by row
 * (dot products, which are never split). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/model.h"
#include "vi/par.h"

static void mark(void *ctx, size_t lo, size_t hi) {
  int *seen = ctx;
  for (size_t i = lo; i < hi; i++) seen[i]++;
}

Test(par, every_index_is_visited_exactly_once) {
  static const size_t sizes[] = {0, 1, 2, 3, 1000, 1001};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    size_t n = sizes[s];
    int *seen = calloc(n + 1, sizeof *seen);
    for (int rep = 0; rep < 50; rep++) vi_par_run(n, mark, seen);
    for (size_t i = 0; i < n; i++) cr_assert_eq(seen[i], 50, "n %zu index %zu: %d", n, i, seen[i]);
    free(seen);
  }
}

enum { N = 20000, K = 8, R = 1500, C = 90 };

/* X (N x K), y (N), v (C): enough that X * b, X * B and A * v are split. */
static void write_data(char *path, size_t size) {
  char dir[] = "/tmp/vi_test_par_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, size, "%s/data.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fprintf(f, "{\"N\": %d, \"K\": %d, \"R\": %d, \"C\": %d,\n\"X\": [", N, K, R, C);
  for (int i = 0; i < N; i++) {
    fprintf(f, "%s[", i ? "," : "");
    for (int k = 0; k < K; k++) fprintf(f, "%s%.17g", k ? "," : "", sin(0.37 * i + 1.3 * k));
    fprintf(f, "]");
  }
  fprintf(f, "],\n\"y\": [");
  for (int i = 0; i < N; i++) fprintf(f, "%s%.17g", i ? "," : "", cos(0.11 * i));
  fprintf(f, "],\n\"v\": [");
  for (int j = 0; j < C; j++) fprintf(f, "%s%.17g", j ? "," : "", 0.1 * cos(0.5 * j));
  fprintf(f, "]}\n");
  fclose(f);
}

static const char *DATA =
    "data {\n  int N;\n  int K;\n  int R;\n  int C;\n  matrix[N, K] X;\n  vector[N] y;\n"
    "  vector[C] v;\n}\nparameters {\n  vector[K] b;\n  matrix[K, 2] B;\n  matrix[R, C] A;\n}\n";

static struct vi_model *load(const char *model, const char *datafile) {
  char src[4096];
  snprintf(src, sizeof src, "%s%s", DATA, model);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  cr_assert_eq(vi_model_load_string("model.vim", src, strlen(src), &m, &d), 0, "%s", d.buf);
  const char *files[1] = {datafile};
  struct vi_data_inputs in = {files, 1, NULL, 0, 1};
  cr_assert_eq(vi_model_bind(m, &in, &d), 0, "%s", d.buf);
  vi_diags_free(&d);
  return m;
}

Test(par, split_matrix_products_match_row_by_row_dot_products) {
  char path[256];
  write_data(path, sizeof path);
  struct vi_model *a = load("model {\n  y ~ normal(X * b, 2);\n"
                            "  target += -0.5 * dot_self(to_vector(X * B));\n"
                            "  target += -0.5 * dot_self(A * v);\n}\n",
                            path);
  struct vi_model *b = load("model {\n  for (i in 1:N) {\n"
                            "    y[i] ~ normal(dot_product(X[i], b), 2);\n"
                            "    target += -0.5 * square(dot_product(X[i], col(B, 1)));\n"
                            "    target += -0.5 * square(dot_product(X[i], col(B, 2)));\n  }\n"
                            "  for (r in 1:R) target += -0.5 * square(dot_product(A[r], v));\n}\n",
                            path);
  size_t dim = vi_model_dim(a);
  cr_assert_eq(dim, vi_model_dim(b));
  double *theta = malloc(dim * sizeof *theta), *ga = malloc(dim * sizeof *ga), *gb = malloc(dim * sizeof *gb);
  for (int round = 0; round < 2; round++) { /* record, then replay */
    for (size_t i = 0; i < dim; i++) theta[i] = 0.3 * sin(1.7 * (double)i + 0.4 + round);
    double la, lb;
    cr_assert_eq(vi_model_log_density(a, theta, &la, ga), 0, "%s", vi_model_error(a));
    cr_assert_eq(vi_model_log_density(b, theta, &lb, gb), 0, "%s", vi_model_error(b));
    cr_assert(fabs(la - lb) <= 1e-9 * fabs(lb), "log density %.17g vs %.17g", la, lb);
    double gs = 0;
    for (size_t i = 0; i < dim; i++) gs = fmax(gs, fabs(gb[i]));
    for (size_t i = 0; i < dim; i++)
      cr_assert(fabs(ga[i] - gb[i]) <= 1e-9 * gs, "gradient[%zu] (%s): %.17g vs %.17g", i,
                vi_model_coord_name(a, i), ga[i], gb[i]);
  }
  free(theta);
  free(ga);
  free(gb);
  vi_model_free(a);
  vi_model_free(b);
}
