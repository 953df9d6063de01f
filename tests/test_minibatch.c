/* test_minibatch.c: row-restricted evaluation (include/vi/minibatch.h):
 * minibatch gradients are unbiased exactly, chunked full-data densities
 * equal the model's own, threads do not change a bit, and --batch-size
 * fits reach the full-batch answer. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vi/data.h"
#include "vi/minibatch.h"
#include "vi/model.h"
#include "vi/rng.h"

static const char hier_src[] =
    "data {\n"
    "  int N;\n"
    "  int J;\n"
    "  array[N] int<lower=1, upper=J> g;\n"
    "  matrix[N, 2] x;\n"
    "  vector[N] y;\n"
    "}\n"
    "transformed data {\n"
    "  vector[N] lx = log1p(square(y));\n"
    "}\n"
    "parameters {\n"
    "  real mu;\n"
    "  real<lower=0> tau;\n"
    "  vector[J] a;\n"
    "  vector[2] beta;\n"
    "  real<lower=0> sigma;\n"
    "}\n"
    "model {\n"
    "  vector[N] m = a[g] + x * beta;\n"
    "  mu ~ normal(0, 5);\n"
    "  tau ~ normal(0, 2);\n"
    "  a ~ normal(mu, tau);\n"
    "  sigma ~ exponential(1);\n"
    "  y ~ normal(m, sigma);\n"
    "  for (n in 1:N)\n"
    "    target += -0.01 * lx[n] * square(beta[1] + mu);\n"
    "}\n";

/* Writes a CSV of N rows with J groups; returns the path (static buffer). */
static const char *write_data(size_t N, int J, unsigned seed) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/vi_mb_%d_%zu.csv", (int)getpid(), N);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  struct vi_rng r;
  vi_rng_seed(&r, seed, 1);
  fprintf(f, "g,x.1,x.2,y\n");
  for (size_t n = 0; n < N; n++) {
    int g = 1 + (int)(vi_rng_uniform(&r) * J);
    double x1 = vi_rng_normal(&r), x2 = vi_rng_normal(&r);
    fprintf(f, "%d,%.17g,%.17g,%.17g\n", g, x1, x2, 0.3 * g + x1 - 0.5 * x2 + 0.7 * vi_rng_normal(&r));
  }
  fclose(f);
  return path;
}

static struct vi_model *load(const char *src, const char *csv, const char *assign) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("hier.vim", src, strlen(src), &m, &d);
  cr_assert_eq(r, VI_OK, "%s", d.buf ? d.buf : "");
  const char *files[1] = {csv};
  const char *assigns[1] = {assign};
  struct vi_data_inputs in = {files, 1, assigns, assign ? 1 : 0, 1};
  r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, VI_OK, "%s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

static int close_rel(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b))); }

/* Per-row parameters (one latent per row: vector[N], array[N] vector[2] with
 * a constraint): each unit evaluates only its rows' coordinates. */
static const char rows_src[] =
    "data {\n"
    "  int N;\n"
    "  array[N] int g;\n"
    "  matrix[N, 2] x;\n"
    "  vector[N] y;\n"
    "}\n"
    "parameters {\n"
    "  real mu;\n"
    "  vector[N] z;\n"
    "  array[N] vector<lower=0>[2] w;\n"
    "  real<lower=0> sigma;\n"
    "}\n"
    "model {\n"
    "  mu ~ normal(0, 5);\n"
    "  sigma ~ exponential(1);\n"
    "  z ~ normal(mu, 1);\n"
    "  for (n in 1:N) {\n"
    "    w[n] ~ exponential(2);\n"
    "    y[n] ~ normal(z[n] + x[n] * w[n], sigma);\n"
    "  }\n"
    "}\n";

static void check_unbiased(const char *src, const char *assign) {
  size_t N = 96, B = 8;
  const char *csv = write_data(N, 4, 3);
  struct vi_model *m = load(src, csv, assign);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_rows *rows;
  cr_assert_eq(vi_rows_new(m, 1, 5, &rows, &d), VI_OK, "%s", d.buf ? d.buf : "");
  size_t dim = vi_model_dim(m), M = 3;
  double *theta = malloc(M * dim * sizeof *theta), *gfull = malloc(M * dim * sizeof *gfull);
  double *gb = malloc(M * dim * sizeof *gb), *gsum = calloc(M * dim, sizeof *gsum);
  double lfull[3], lb[3], lsum[3] = {0, 0, 0};
  int st[3];
  struct vi_rng r;
  vi_rng_seed(&r, 11, 2);
  for (size_t i = 0; i < M * dim; i++) theta[i] = 0.5 * vi_rng_normal(&r);
  cr_assert_eq(vi_rows_full(rows, M, theta, lfull, gfull, st), 0);
  for (size_t k = 0; k < M; k++) cr_assert_eq(st[k], 0);
  /* the chunked full data is the model's own log density */
  for (size_t k = 0; k < M; k++) {
    double lp, *g = malloc(dim * sizeof *g);
    cr_assert_eq(vi_model_log_density(m, theta + k * dim, &lp, g), VI_OK);
    cr_assert(close_rel(lp, lfull[k], 1e-12), "lp %.17g vs chunked %.17g", lp, lfull[k]);
    for (size_t i = 0; i < dim; i++)
      cr_assert(close_rel(g[i], gfull[k * dim + i], 1e-12), "grad[%zu] %.17g vs %.17g", i, g[i], gfull[k * dim + i]);
    free(g);
  }
  /* one reshuffled epoch */
  uint32_t *perm = malloc(N * sizeof *perm);
  for (size_t i = 0; i < N; i++) perm[i] = (uint32_t)i;
  for (size_t i = N; i > 1; i--) {
    size_t j = (size_t)(vi_rng_uniform(&r) * (double)i);
    uint32_t t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
  for (size_t b = 0; b < N / B; b++) {
    cr_assert_eq(vi_rows_batch(rows, perm + b * B, B, M, theta, lb, gb, st), 0);
    for (size_t k = 0; k < M; k++) {
      cr_assert_eq(st[k], 0);
      lsum[k] += (double)B / (double)N * lb[k];
      for (size_t i = 0; i < dim; i++) gsum[k * dim + i] += (double)B / (double)N * gb[k * dim + i];
    }
  }
  for (size_t k = 0; k < M; k++) {
    cr_assert(close_rel(lsum[k], lfull[k], 1e-12), "lp %.17g vs %.17g", lsum[k], lfull[k]);
    for (size_t i = 0; i < dim; i++)
      cr_assert(close_rel(gsum[k * dim + i], gfull[k * dim + i], 1e-12), "point %zu grad[%zu]: %.17g vs %.17g", k,
                i, gsum[k * dim + i], gfull[k * dim + i]);
  }
  /* a single batch is not the full gradient: the estimate is scaled, not copied */
  cr_assert_eq(vi_rows_batch(rows, perm, B, M, theta, lb, gb, st), 0);
  cr_assert(!close_rel(lb[0], lfull[0], 1e-3));
  free(perm);
  free(theta);
  free(gfull);
  free(gb);
  free(gsum);
  vi_rows_free(rows);
  vi_model_free(m);
  vi_diags_free(&d);
  unlink(csv);
}

Test(minibatch, batch_gradients_over_a_reshuffled_epoch_sum_to_the_full_data_gradient) {
  check_unbiased(hier_src, "J=4");
}

Test(minibatch, with_per_row_parameters_batch_gradients_over_an_epoch_sum_to_the_full_data_gradient) {
  check_unbiased(rows_src, NULL);
}

static void check_threads(const char *src, const char *assign) {
  size_t N = 200;
  const char *csv = write_data(N, 5, 4);
  struct vi_model *m = load(src, csv, assign);
  struct vi_diags d;
  vi_diags_init(&d);
  size_t dim = vi_model_dim(m), M = 4;
  double *theta = malloc(M * dim * sizeof *theta);
  struct vi_rng r;
  vi_rng_seed(&r, 5, 2);
  for (size_t i = 0; i < M * dim; i++) theta[i] = 0.3 * vi_rng_normal(&r);
  double lp[2][4], *g[2];
  uint32_t rows_b[50];
  for (size_t i = 0; i < 50; i++) rows_b[i] = (uint32_t)((i * 37) % N);
  double lpb[2][4], *gb[2];
  int st[4];
  for (int t = 0; t < 2; t++) {
    struct vi_rows *rows;
    cr_assert_eq(vi_rows_new(m, t ? 3 : 1, 16, &rows, &d), VI_OK);
    g[t] = malloc(M * dim * sizeof *g[t]);
    gb[t] = malloc(M * dim * sizeof *gb[t]);
    cr_assert_eq(vi_rows_full(rows, M, theta, lp[t], g[t], st), 0);
    cr_assert_eq(vi_rows_batch(rows, rows_b, 50, M, theta, lpb[t], gb[t], st), 0);
    vi_rows_free(rows);
  }
  cr_assert_eq(memcmp(lp[0], lp[1], sizeof lp[0]), 0);
  cr_assert_eq(memcmp(g[0], g[1], M * dim * sizeof *g[0]), 0);
  cr_assert_eq(memcmp(lpb[0], lpb[1], sizeof lpb[0]), 0);
  cr_assert_eq(memcmp(gb[0], gb[1], M * dim * sizeof *gb[0]), 0);
  for (int t = 0; t < 2; t++) {
    free(g[t]);
    free(gb[t]);
  }
  free(theta);
  vi_model_free(m);
  vi_diags_free(&d);
  unlink(csv);
}

Test(minibatch, chunked_results_are_the_same_bits_for_any_number_of_threads) { check_threads(hier_src, "J=5"); }

Test(minibatch, with_per_row_parameters_results_are_the_same_bits_for_any_number_of_threads) {
  check_threads(rows_src, NULL);
}

Test(minibatch, a_model_that_couples_rows_is_refused_with_its_place) {
  static const char src[] = "data {\n  int N;\n  vector[N] y;\n}\nparameters {\n  real b;\n  real<lower=0> s;\n}\n"
                            "model {\n  for (n in 2:N)\n    y[n] ~ normal(b * y[n - 1], s);\n}\n";
  const char *csv = write_data(40, 2, 1);
  struct vi_model *m = load(src, csv, NULL);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_rows *rows = NULL;
  cr_assert_eq(vi_rows_new(m, 1, 8, &rows, &d), VI_ERR_USAGE);
  cr_assert_null(rows);
  cr_assert(d.buf && strstr(d.buf, "hier.vim:11:23: error: --batch-size: reads 'y' at another row"), "%s", d.buf);
  vi_model_free(m);
  vi_diags_free(&d);
  unlink(csv);
}

/* End to end: vi-run --batch-size on the hierarchical model reaches the
 * full-batch fit's means within 0.1 sd (same mean-field family). */
static char *run(const char *args) {
  char cmd[2048], out[64];
  snprintf(out, sizeof out, "/tmp/vi_mb_out_%d.txt", (int)getpid());
  snprintf(cmd, sizeof cmd, "(%s %s) > %s 2>&1", env_or("VI_RUN", "vi-run"), args, out);
  int rc = system(cmd);
  (void)rc;
  char *s = slurp(out);
  unlink(out);
  return s;
}

static int read_summary(const char *path, char names[][32], double *mean, double *sd, int max) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[512];
  int n = 0;
  if (!fgets(line, sizeof line, f)) n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    char *c1 = strchr(line, ',');
    if (!c1) break;
    *c1 = 0;
    snprintf(names[n], 32, "%.31s", line);
    mean[n] = strtod(c1 + 1, &c1);
    sd[n] = strtod(c1 + 1, NULL);
    n++;
  }
  fclose(f);
  return n;
}

Test(minibatch, batch_size_fit_reaches_the_full_batch_meanfield_fit) {
  const char *csv = write_data(3000, 4, 7);
  char mpath[64], s0[64], s1[64], args[1024];
  snprintf(mpath, sizeof mpath, "/tmp/vi_mb_%d.vim", (int)getpid());
  snprintf(s0, sizeof s0, "/tmp/vi_mb_s0_%d.csv", (int)getpid());
  snprintf(s1, sizeof s1, "/tmp/vi_mb_s1_%d.csv", (int)getpid());
  FILE *f = fopen(mpath, "w");
  fputs(hier_src, f);
  fclose(f);
  snprintf(args, sizeof args, "%s %s J=4 --algorithm dadvi --summary %s --output-samples 4000", mpath, csv, s0);
  free(run(args));
  snprintf(args, sizeof args, "%s %s J=4 --batch-size 100 --summary %s --output-samples 4000", mpath, csv, s1);
  char *out = run(args);
  cr_assert(strstr(out, "minibatch:   100 of 3000 rows, row terms scaled by N/B = 30"), "%s", out);
  cr_assert(strstr(out, "converged:   yes"), "%s", out);
  free(out);
  char n0[16][32], n1[16][32];
  double m0[16], sd0[16], m1[16], sd1[16];
  int k0 = read_summary(s0, n0, m0, sd0, 16), k1 = read_summary(s1, n1, m1, sd1, 16);
  cr_assert_eq(k0, k1);
  cr_assert_gt(k0, 5);
  for (int i = 0; i < k0; i++) {
    cr_assert_str_eq(n0[i], n1[i]);
    /* dadvi reports linear-response sds; compare means in its sds */
    cr_assert(fabs(m0[i] - m1[i]) < 0.1 * sd0[i], "%s: %g vs %g (sd %g)", n0[i], m0[i], m1[i], sd0[i]);
  }
  /* a batch larger than the table: a usage error, and no output file */
  unlink(s1);
  snprintf(args, sizeof args, "%s %s J=4 --batch-size 3001 --summary %s; echo rc=$?", mpath, csv, s1);
  out = run(args);
  cr_assert(strstr(out, "error: --batch-size 3001 is more than the table's 3000 rows"), "%s", out);
  cr_assert(strstr(out, "rc=4"), "%s", out);
  cr_assert_eq(access(s1, F_OK), -1);
  free(out);
  unlink(mpath);
  unlink(s0);
  unlink(csv);
}

/* @point under --batch-size: the point coordinate has a value only (no q,
 * no log-Jacobian) and moves by the same Adam / SVRG steps; the fit equals
 * the full-batch point fit (runtime/point.c, L-BFGS) to optimiser tolerance,
 * and two threads give the same summary bytes. */
Test(minibatch, point_parameters_under_batch_size_match_the_full_batch_point_fit) {
  static const char src[] = "data {\n  int N;\n  array[N] int g;\n  matrix[N, 2] x;\n  vector[N] y;\n}\n"
                            "parameters {\n  real a;\n  vector[2] beta;\n  @point real<lower=0> sigma;\n}\n"
                            "model {\n  a ~ normal(0, 5);\n  beta ~ normal(0, 5);\n"
                            "  y ~ normal(a + x * beta, sigma);\n}\n";
  const char *csv = write_data(3000, 4, 11);
  char mpath[64], s0[64], s1[64], s2[64], args[1024];
  snprintf(mpath, sizeof mpath, "/tmp/vi_mbp_%d.vim", (int)getpid());
  snprintf(s0, sizeof s0, "/tmp/vi_mbp_s0_%d.csv", (int)getpid());
  snprintf(s1, sizeof s1, "/tmp/vi_mbp_s1_%d.csv", (int)getpid());
  snprintf(s2, sizeof s2, "/tmp/vi_mbp_s2_%d.csv", (int)getpid());
  FILE *f = fopen(mpath, "w");
  fputs(src, f);
  fclose(f);
  snprintf(args, sizeof args, "%s %s --summary %s --output-samples 4000", mpath, csv, s0);
  free(run(args));
  snprintf(args, sizeof args, "%s %s --batch-size 100 --epochs 100 --summary %s --output-samples 4000 --threads 1",
           mpath, csv, s1);
  char *out = run(args);
  cr_assert(strstr(out, "point:       sigma"), "%s", out);
  cr_assert(strstr(out, "minibatch:   100 of 3000 rows"), "%s", out);
  cr_assert(strstr(out, "converged:   yes"), "%s", out);
  free(out);
  snprintf(args, sizeof args, "%s %s --batch-size 100 --epochs 100 --summary %s --output-samples 4000 --threads 2",
           mpath, csv, s2);
  free(run(args));
  char *b1 = slurp(s1), *b2 = slurp(s2);
  cr_assert(b1 && b2 && !strcmp(b1, b2), "threads 1 and 2 differ:\n%s\n%s", b1, b2);
  free(b1);
  free(b2);
  char n0[8][32], n1[8][32];
  double m0[8], sd0[8], m1[8], sd1[8];
  int k0 = read_summary(s0, n0, m0, sd0, 8), k1 = read_summary(s1, n1, m1, sd1, 8);
  cr_assert_eq(k0, 4);
  cr_assert_eq(k1, 4);
  for (int i = 0; i < 4; i++) {
    cr_assert_str_eq(n0[i], n1[i]);
    if (!strcmp(n0[i], "sigma")) {
      cr_assert_eq(sd1[i], 0);
      cr_assert(fabs(m1[i] / m0[i] - 1) < 1e-3, "sigma %.9g vs %.9g", m1[i], m0[i]);
    } else {
      cr_assert(fabs(m0[i] - m1[i]) < 0.05 * sd0[i], "%s: %g vs %g (sd %g)", n0[i], m0[i], m1[i], sd0[i]);
      cr_assert(fabs(sd1[i] / sd0[i] - 1) < 0.05, "%s: sd %g vs %g", n0[i], sd1[i], sd0[i]);
    }
  }
  unlink(mpath);
  unlink(s0);
  unlink(s1);
  unlink(s2);
  unlink(csv);
}

/* A per-row latent model against its exact posterior: y_n ~ normal(z_n, 1),
 * z_n ~ normal(mu, 1), @point mu (flat prior). The optimum has mu = mean(y)
 * and q(z_n) = N((y_n + mu) / 2, 1/2) exactly (mean field is exact here).
 * --batch-size 100 of 2000 rows: every per-row mean within 0.1 sd, every
 * sd within 10% (the fitted q in --params, free of sampling noise), and
 * --threads 2 gives the same summary and params bytes. */
Test(minibatch, per_row_latents_under_batch_size_reach_their_exact_posterior) {
  size_t N = 2000;
  char csv[64], mpath[64], p1[64], p2[64], s1[64], s2[64], args[1024];
  snprintf(csv, sizeof csv, "/tmp/vi_mbr_%d.csv", (int)getpid());
  snprintf(mpath, sizeof mpath, "/tmp/vi_mbr_%d.vim", (int)getpid());
  snprintf(p1, sizeof p1, "/tmp/vi_mbr_p1_%d.csv", (int)getpid());
  snprintf(p2, sizeof p2, "/tmp/vi_mbr_p2_%d.csv", (int)getpid());
  snprintf(s1, sizeof s1, "/tmp/vi_mbr_s1_%d.csv", (int)getpid());
  snprintf(s2, sizeof s2, "/tmp/vi_mbr_s2_%d.csv", (int)getpid());
  double *y = malloc(N * sizeof *y), ybar = 0;
  struct vi_rng r;
  vi_rng_seed(&r, 21, 1);
  FILE *f = fopen(csv, "w");
  fprintf(f, "y\n");
  for (size_t n = 0; n < N; n++) {
    y[n] = 1.5 + vi_rng_normal(&r) + vi_rng_normal(&r);
    fprintf(f, "%.17g\n", y[n]);
    ybar += y[n] / (double)N;
  }
  fclose(f);
  f = fopen(mpath, "w");
  fputs("data {\n  int N;\n  vector[N] y;\n}\nparameters {\n  @point real mu;\n  vector[N] z;\n}\n"
        "model {\n  z ~ normal(mu, 1);\n  y ~ normal(z, 1);\n}\n", f);
  fclose(f);
  for (int t = 1; t <= 2; t++) {
    snprintf(args, sizeof args, "%s %s --batch-size 100 --epochs 200 --threads %d --params %s --summary %s", mpath,
             csv, t, t == 1 ? p1 : p2, t == 1 ? s1 : s2);
    char *out = run(args);
    cr_assert(strstr(out, "minibatch:   100 of 2000 rows"), "%s", out);
    cr_assert(strstr(out, "converged:   yes"), "%s", out);
    free(out);
  }
  char *a = slurp(p1), *b = slurp(p2);
  cr_assert(a && b && !strcmp(a, b), "threads 1 and 2: the params differ");
  free(a);
  free(b);
  a = slurp(s1);
  b = slurp(s2);
  cr_assert(a && b && !strcmp(a, b), "threads 1 and 2: the summaries differ");
  free(a);
  free(b);
  static char names[2001][32];
  static double mean[2001], omega[2001];
  int k = read_summary(p1, names, mean, omega, 2001);
  cr_assert_eq(k, 2001);
  cr_assert_str_eq(names[0], "mu");
  /* mu: within 0.15 of its standard error sqrt(2/N) (measured: 0.104) */
  cr_assert(fabs(mean[0] - ybar) < 0.15 * sqrt(2.0 / (double)N), "mu %.9g vs mean(y) %.9g", mean[0], ybar);
  double sd = sqrt(0.5);
  for (size_t n = 0; n < N; n++) {
    cr_assert(fabs(mean[n + 1] - (y[n] + ybar) / 2) < 0.1 * sd, "%s: %g vs exact %g", names[n + 1], mean[n + 1],
              (y[n] + ybar) / 2);
    cr_assert(fabs(exp(omega[n + 1]) / sd - 1) < 0.1, "%s: sd %g vs exact %g", names[n + 1], exp(omega[n + 1]), sd);
  }
  free(y);
  unlink(csv);
  unlink(mpath);
  unlink(p1);
  unlink(p2);
  unlink(s1);
  unlink(s2);
}

/* ---- the binary column cache (runtime/cache.c) ---- */


static double first_value(const struct vi_table *t, size_t col) {
  struct vi_column c;
  vi_table_column(t, col, &c);
  return c.num[0];
}

Test(cache, a_changed_or_touched_csv_is_never_read_from_a_stale_cache) {
  char csv[64], dir[64], cmd[160];
  snprintf(csv, sizeof csv, "/tmp/vi_cache_%d.csv", (int)getpid());
  snprintf(dir, sizeof dir, "/tmp/vi_cache_%d.d", (int)getpid());
  FILE *f = fopen(csv, "w");
  fprintf(f, "a,b\n1.5,2\n3,4\n");
  fclose(f);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t;
  int how;
  cr_assert_eq(vi_csv_read_cached(csv, dir, &t, &how, &d), VI_OK);
  cr_assert_eq(how, 1, "first read parses and writes the cache");
  vi_table_free(t);
  cr_assert_eq(vi_csv_read_cached(csv, dir, &t, &how, &d), VI_OK);
  cr_assert_eq(how, 0, "second read comes from the cache");
  cr_assert_eq(vi_table_nrows(t), 2);
  cr_assert_eq(first_value(t, 0), 1.5);
  struct vi_column c;
  vi_table_column(t, 1, &c);
  cr_assert_eq(c.num[1], 4.0);
  /* a cached table still names cells by their place in the CSV */
  struct vi_srcloc l = vi_table_loc(t, 1, 1);
  cr_assert_eq(l.line, 3);
  cr_assert_eq(l.col, 3);
  vi_table_free(t);
  /* touched: new mtime, same content: parsed again */
  struct stat st;
  stat(csv, &st);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  ts[1].tv_sec += 10;
  cr_assert_eq(utimensat(AT_FDCWD, csv, ts, 0), 0);
  cr_assert_eq(vi_csv_read_cached(csv, dir, &t, &how, &d), VI_OK);
  cr_assert_eq(how, 1);
  vi_table_free(t);
  /* changed with the same size and mtime: the content hash tells */
  stat(csv, &st);
  struct timespec keep[2] = {st.st_atim, st.st_mtim};
  f = fopen(csv, "w");
  fprintf(f, "a,b\n7.5,2\n3,4\n");
  fclose(f);
  cr_assert_eq(utimensat(AT_FDCWD, csv, keep, 0), 0);
  stat(csv, &st);
  cr_assert_eq(st.st_mtim.tv_nsec, keep[1].tv_nsec);
  cr_assert_eq(vi_csv_read_cached(csv, dir, &t, &how, &d), VI_OK);
  cr_assert_eq(how, 1, "same size and time but new content: not from the cache");
  cr_assert_eq(first_value(t, 0), 7.5);
  vi_table_free(t);
  cr_assert_eq(vi_csv_read_cached(csv, dir, &t, &how, &d), VI_OK);
  cr_assert_eq(how, 0);
  cr_assert_eq(first_value(t, 0), 7.5);
  vi_table_free(t);
  /* a table with text is not cached */
  f = fopen(csv, "w");
  fprintf(f, "a,b\nx,2\ny,4\n");
  fclose(f);
  cr_assert_eq(vi_csv_read_cached(csv, dir, &t, &how, &d), VI_OK);
  cr_assert_eq(how, 2);
  vi_table_free(t);
  vi_diags_free(&d);
  unlink(csv);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}
