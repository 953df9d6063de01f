/* test_threads.c: evaluation on several threads gives the same bits as on
 * one, and a failing point reports the same message. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vi/model.h"

static struct vi_model *load(const char *rel, const char *data_rel) {
  char path[1024], data[1024];
  snprintf(path, sizeof path, "%s/%s", env_or("VI_SOURCE_ROOT", ".."), rel);
  snprintf(data, sizeof data, "%s/%s", env_or("VI_SOURCE_ROOT", ".."), data_rel);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  const char *files[1] = {data};
  struct vi_data_inputs in = {.files = files, .nfiles = 1, .seed = 1};
  int r = vi_model_load(path, &m, &d);
  if (!r) r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, 0, "%s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

static void points(double *theta, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    theta[i] = ((double)(seed >> 8) / (double)(1u << 24) - 0.5) * 3.0;
  }
}

Test(threads, a_batch_gives_the_same_bits_on_one_and_on_several_threads) {
  static const char *const models[] = {"tests/models/loops/radon_elements.loop.vim", "tests/models/loops/garch11.loop.vim",
                                       "tests/models/loops/hmm_forward.loop.vim"};
  for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
    struct vi_model *m = load(models[k], "tests/models/loops/data.json");
    size_t d = vi_model_dim(m), K = 37;
    double *theta = malloc(K * d * sizeof *theta), *lp[3], *g[3];
    int *st[3];
    points(theta, K * d, 99u + (unsigned)k);
    for (int t = 0; t < 3; t++) {
      lp[t] = calloc(K, sizeof *lp[t]);
      g[t] = calloc(K * d, sizeof *g[t]);
      st[t] = calloc(K, sizeof *st[t]);
    }
    /* one at a time; then a batch on 1 and on 3 threads */
    for (size_t i = 0; i < K; i++) st[0][i] = vi_model_log_density(m, theta + i * d, &lp[0][i], g[0] + i * d);
    cr_assert_eq(vi_model_set_threads(m, 1), 1);
    vi_model_log_density_batch(m, K, theta, lp[1], g[1], st[1]);
    cr_assert_eq(vi_model_set_threads(m, 3), 3);
    vi_model_log_density_batch(m, K, theta, lp[2], g[2], st[2]);
    for (int t = 1; t < 3; t++) {
      cr_assert(memcmp(st[0], st[t], K * sizeof *st[0]) == 0, "%s: statuses differ", models[k]);
      for (size_t i = 0; i < K; i++) {
        if (st[0][i]) continue;
        cr_assert(memcmp(&lp[0][i], &lp[t][i], sizeof(double)) == 0, "%s point %zu: lp %.17g vs %.17g", models[k], i,
                  lp[0][i], lp[t][i]);
        cr_assert(memcmp(g[0] + i * d, g[t] + i * d, d * sizeof(double)) == 0, "%s point %zu: gradients differ",
                  models[k], i);
      }
    }
    for (int t = 0; t < 3; t++) {
      free(lp[t]);
      free(g[t]);
      free(st[t]);
    }
    free(theta);
    vi_model_free(m);
  }
}

Test(threads, a_failing_point_reports_its_message_whichever_thread_evaluated_it) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  const char *src = "parameters { real mu; }\ntransformed parameters { real<lower=0> s = mu; }\nmodel { mu ~ normal(0, 1); }\n";
  struct vi_data_inputs in = {.seed = 1};
  cr_assert_eq(vi_model_load_string("t.vim", src, strlen(src), &m, &d) || vi_model_bind(m, &in, &d), 0);
  double theta[8] = {1, 2, 3, -4, 5, -6, 7, 8}, lp[8];
  int st[8];
  char first[1024] = "";
  for (int t = 1; t <= 2; t++) {
    vi_model_set_threads(m, t);
    int r = vi_model_log_density_batch(m, 8, theta, lp, NULL, st);
    cr_assert_eq(r, VI_ERR_EVAL);
    for (int i = 0; i < 8; i++) cr_assert_eq(st[i] != 0, theta[i] < 0, "point %d", i);
    if (t == 1) snprintf(first, sizeof first, "%s", vi_model_error(m));
    cr_assert_str_eq(vi_model_error(m), first);
  }
  cr_assert(strstr(first, "transformed parameters s is -4, below the lower bound 0"), "%s", first);
  vi_model_free(m);
  vi_diags_free(&d);
}

/* Runs vi-run on a benchmark case with --threads t, writing the summary and
 * draws to fixed paths (the draws file records its own name); returns the
 * exit status. */
static int run_case(const char *dir, const char *args, int t, const char *sum, const char *draws) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "'%s' '%s/model.vim' '%s/data.csv' %s --threads %d --quiet --summary '%s' --draws '%s' "
           ">/dev/null 2>&1", env_or("VI_RUN", "build/vi-run"), dir, dir, args, t, sum, draws);
  return system(cmd);
}

Test(threads, summaries_and_draws_are_byte_identical_on_one_and_two_threads_for_every_public_case) {
  char root[1024];
  DIR *dp = bench_cases_open(root, sizeof root);
  if (!dp) cr_skip_test("no ../shared/bench beside the source tree");
  struct dirent *de;
  int cases = 0;
  char sum[256], draws[256];
  snprintf(sum, sizeof sum, "/tmp/vi-test-threads-%d-summary.csv", (int)getpid());
  snprintf(draws, sizeof draws, "/tmp/vi-test-threads-%d-draws.csv", (int)getpid());
  while ((de = readdir(dp))) {
    if (de->d_name[0] == '.') continue;
    char dir[2048], argp[2304], args[512] = "";
    snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
    snprintf(argp, sizeof argp, "%s/args", dir);
    char *a = slurp(argp);
    if (a) {
      snprintf(args, sizeof args, "%s", a);
      for (char *p = args; *p; p++)
        if (*p == '\n') *p = ' ';
      free(a);
    }
    char *s[2], *d[2];
    for (int t = 1; t <= 2; t++) {
      cr_assert_eq(run_case(dir, args, t, sum, draws), 0, "%s --threads %d failed", de->d_name, t);
      s[t - 1] = slurp(sum);
      d[t - 1] = slurp(draws);
      cr_assert(s[t - 1] && d[t - 1]);
    }
    cr_expect_str_eq(s[0], s[1], "%s: summaries differ", de->d_name);
    cr_expect_str_eq(d[0], d[1], "%s: draws differ", de->d_name);
    for (int t = 0; t < 2; t++) {
      free(s[t]);
      free(d[t]);
    }
    cases++;
  }
  closedir(dp);
  unlink(sum);
  unlink(draws);
  cr_assert_geq(cases, 28);
}
