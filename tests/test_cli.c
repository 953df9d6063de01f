/* test_cli.c: end-to-end tests of vi-run: malformed models and data give an
 * error naming the place and a non-zero exit (never a crash), every
 * benchmark model checks with its data, the examples fit, and output files
 * are written completely or not at all. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

Test(cli, malformed_data_files_give_located_errors_and_nonzero_exit) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/data/bad", env_or("VI_SOURCE_ROOT", "."));
  DIR *d = opendir(dir);
  cr_assert(d, "cannot open %s", dir);
  struct dirent *e;
  int cases = 0;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, ".expect")) continue;
    char base[256], path[1300], datafile[300], args[600] = "";
    snprintf(base, sizeof base, "%.*s", (int)(strlen(e->d_name) - 7), e->d_name);
    snprintf(path, sizeof path, "%s/%s.json", dir, base);
    snprintf(datafile, sizeof datafile, "%s.%s", base, access(path, F_OK) == 0 ? "json" : "csv");
    snprintf(path, sizeof path, "%s/%s.args", dir, base);
    char *extra = slurp(path);
    if (extra) {
      extra[strcspn(extra, "\n")] = 0;
      snprintf(args, sizeof args, "%s", extra);
      free(extra);
    }
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *expect = slurp(path);
    cr_assert(expect);
    expect[strcspn(expect, "\n")] = 0;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s.vim %s %s --check", base, datafile, args);
    struct shell_run r = run_vi_shell(dir, cmd);
    cr_expect(r.status >= 1 && r.status <= 127, "%s: exit status %d (want 1..127)\n%s", base, r.status, r.err);
    cr_expect(strstr(r.err, expect) != NULL, "%s: stderr lacks\n  %s\ngot:\n%s", base, expect, r.err);
    cr_expect(strstr(r.err, "error:") != NULL, "%s: no 'error:' line", base);
    shell_run_free(&r);
    free(expect);
    cases++;
  }
  closedir(d);
  cr_assert(cases >= 20, "only %d malformed data cases", cases);
}

/* Each file's first line: // expect: LINE:COL: message substring */
static void model_corpus(const char *sub, int min_cases) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/models/%s", env_or("VI_SOURCE_ROOT", "."), sub);
  DIR *d = opendir(dir);
  cr_assert(d, "cannot open %s", dir);
  struct dirent *e;
  int cases = 0;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, ".vim")) continue;
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *src = slurp(path);
    cr_assert(src);
    const char *p = strstr(src, "// expect: ");
    cr_assert(p == src, "%s: first line must be '// expect: L:C: text'", e->d_name);
    p += 11;
    char want[512];
    size_t n = strcspn(p, "\n");
    const char *colon2 = NULL;
    int line = 0, col = 0;
    sscanf(p, "%d:%d:", &line, &col);
    colon2 = strchr(strchr(p, ':') + 1, ':');
    /* want "FILE:L:C: error: text" */
    snprintf(want, sizeof want, "%s:%d:%d: error: %.*s", e->d_name, line, col, (int)(n - (size_t)(colon2 + 2 - p)),
             colon2 + 2);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "'%s' --check", e->d_name);
    struct shell_run r = run_vi_shell(dir, cmd);
    cr_expect(r.status >= 1 && r.status <= 127, "%s: exit status %d", e->d_name, r.status);
    cr_expect(strstr(r.err, want) != NULL, "%s: stderr lacks\n  %s\ngot:\n%s", e->d_name, want, r.err);
    shell_run_free(&r);
    free(src);
    cases++;
  }
  closedir(d);
  cr_assert(cases >= min_cases, "only %d cases in %s", cases, sub);
}

Test(cli, malformed_models_syntax_errors_name_line_and_column) { model_corpus("bad_syntax", 30); }

Test(cli, ill_typed_models_errors_name_line_and_column) { model_corpus("bad_check", 15); }

Test(cli, every_benchmark_model_checks_with_its_data) {
  char dir[1024];
  DIR *d = bench_cases_open(dir, sizeof dir);
  if (!d) cr_skip_test("no ../shared/bench beside the source tree");
  struct dirent *e;
  int cases = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char cdir[1400], path[1500];
    snprintf(cdir, sizeof cdir, "%s/%s", dir, e->d_name);
    snprintf(path, sizeof path, "%s/args", cdir);
    char *args = slurp(path);
    if (!args) continue;
    args[strcspn(args, "\n")] = 0;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "model.vim data.csv %s --check", args);
    struct shell_run r = run_vi_shell(cdir, cmd);
    cr_expect(r.status == 0, "%s: --check exit %d\n%s", e->d_name, r.status, r.err);
    cr_expect(strstr(r.out, "total unconstrained dimension") != NULL, "%s: no layout printed", e->d_name);
    shell_run_free(&r);
    free(args);
    cases++;
  }
  closedir(d);
  cr_assert(cases >= 28, "only %d cases", cases);
}

Test(cli, a_failed_run_leaves_no_output_file_and_keeps_the_old_one) {
  char dir[] = "/tmp/vi-cli-XXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/m.vim", dir);
  FILE *f = fopen(path, "w");
  fputs("parameters { real mu; }\nmodel { mu ~ normal(0, 1); reject(\"always\"); }\n", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/old.csv", dir);
  f = fopen(path, "w");
  fputs("previous\n", f);
  fclose(f);
  struct shell_run r = run_vi_shell(dir, "m.vim --summary new.csv --draws old.csv");
  cr_expect(r.status >= 1 && r.status <= 127, "exit %d", r.status);
  cr_expect(strstr(r.err, "reject: always") != NULL, "stderr: %s", r.err);
  snprintf(path, sizeof path, "%s/new.csv", dir);
  cr_expect(access(path, F_OK) != 0, "new.csv was written by a failed run");
  snprintf(path, sizeof path, "%s/old.csv", dir);
  char *old = slurp(path);
  cr_expect_str_eq(old, "previous\n");
  free(old);
  shell_run_free(&r);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert(system(cmd) == 0);
}

Test(cli, usage_errors_exit_4) {
  struct shell_run r = run_vi_shell(".", "");
  cr_expect_eq(r.status, 4);
  cr_expect(strstr(r.err, "usage:") != NULL);
  shell_run_free(&r);
  r = run_vi_shell(".", "x.vim --iter banana");
  cr_expect_eq(r.status, 4);
  cr_expect(strstr(r.err, "--iter takes an integer") != NULL, "%s", r.err);
  shell_run_free(&r);
  r = run_vi_shell(".", "x.vim --optimizer newton");
  cr_expect_eq(r.status, 4);
  cr_expect(strstr(r.err, "--optimizer takes sgd or lbfgs, not 'newton'") != NULL, "%s", r.err);
  shell_run_free(&r);
  r = run_vi_shell(".", "x.vim --optimizer sgd");
  cr_expect_eq(r.status, 4);
  cr_expect(strstr(r.err, "--optimizer sgd needs --algorithm meanfield or fullrank") != NULL, "%s",
            r.err);
  shell_run_free(&r);
}

Test(cli, missing_model_file_is_reported) {
  struct shell_run r = run_vi_shell(".", "no-such-model.vim --check");
  cr_expect(r.status >= 1 && r.status <= 127);
  cr_expect(strstr(r.err, "no-such-model.vim") != NULL && strstr(r.err, "error:") != NULL, "%s", r.err);
  shell_run_free(&r);
}

Test(cli, text_levels_label_the_elements_they_index) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  struct shell_run r = run_vi_shell(dir, "hierarchical.vim hierarchical.csv --quiet --output-samples 100");
  cr_assert_eq(r.status, 0, "%s", r.err);
  /* counties are coded in order of first appearance: Aitkin first, Carver tenth */
  cr_expect(strstr(r.out, "\na[Aitkin] ") != NULL, "no a[Aitkin] row:\n%s", r.out);
  cr_expect(strstr(r.out, "\na[Carver] ") != NULL, "no a[Carver] row:\n%s", r.out);
  cr_expect(strstr(r.out, "\na_raw[Aitkin] ") != NULL, "no a_raw[Aitkin] row");
  shell_run_free(&r);
}

Test(cli, the_header_says_which_algorithm_was_reported) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  /* 10 parameters, a few dozen numbers per gradient: refined to full rank */
  struct shell_run r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --quiet");
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\nalgorithm:   auto: fullrank (lbfgs), 10 unconstrained parameters") != NULL,
            "%s", r.out);
  shell_run_free(&r);
  r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --quiet --algorithm dadvi");
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\nalgorithm:   dadvi, 10 unconstrained parameters") != NULL, "%s", r.out);
  shell_run_free(&r);
  r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --quiet --algorithm fullrank --optimizer sgd");
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\nalgorithm:   fullrank (sgd), 10 unconstrained parameters") != NULL, "%s",
            r.out);
  shell_run_free(&r);
}

/* ---- issue 11: trust ---- */

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert(f, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

static const char pois_model[] =
    "data { int<lower=0> N; vector[N] x; array[N] int<lower=0> y; }\n"
    "parameters { real alpha; real beta; }\n"
    "model { y ~ poisson_log(alpha + beta * x); }\n";

Test(cli, every_typo_in_a_numeric_column_is_an_error_at_its_cell) {
  write_file("/tmp/vi-trust-typo.vim", pois_model);
  write_file("/tmp/vi-trust-typo.csv", "x,y\n0.1,1\n0.2,2\n0.3,3\n0.4,4o\n0.5,5\n0.6,6\n0.7,7\n0.8,8\n0.9,g\n1.0,10\n");
  struct shell_run r = run_vi_shell("/tmp", "vi-trust-typo.vim vi-trust-typo.csv --quiet");
  cr_expect_eq(r.status, 2, "%s", r.err);
  cr_expect(strstr(r.err, "vi-trust-typo.csv:5:5: error: non-numeric value '4o' in column 'y' (data variable 'y'): "
                          "expected an integer; 8 of the column's 10 cells are numbers") != NULL, "%s", r.err);
  cr_expect(strstr(r.err, "vi-trust-typo.csv:10:5: error: non-numeric value 'g' in column 'y'") != NULL, "%s", r.err);
  cr_expect(strstr(r.out, "alpha") == NULL, "a fit ran:\n%s", r.out);
  shell_run_free(&r);
  /* a column of text is still coded 1..L */
  write_file("/tmp/vi-trust-typo.vim",
             "data { int N; int K; array[N] int<lower=1, upper=K> g; vector[N] y; }\n"
             "parameters { vector[K] a; } model { y ~ normal(a[g], 1); }\n");
  write_file("/tmp/vi-trust-typo.csv", "g,y\nnorth,1\nsouth,2\n3,3\nnorth,4\n");
  r = run_vi_shell("/tmp", "vi-trust-typo.vim vi-trust-typo.csv --check");
  cr_expect_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "vector[3]") != NULL, "K is not the 3 levels:\n%s", r.out);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-typo.vim");
  unlink("/tmp/vi-trust-typo.csv");
}

Test(cli, help_version_and_did_you_mean_for_options) {
  struct shell_run r = run_vi_shell(".", "-h");
  cr_expect_eq(r.status, 0);
  cr_expect(strstr(r.out, "usage: vi-run MODEL.vim") == r.out, "%s", r.out);
  cr_expect(strstr(r.out, "exit codes: 0 success, 1 the model") != NULL, "%s", r.out);
  shell_run_free(&r);
  r = run_vi_shell(".", "--help");
  cr_expect_eq(r.status, 0);
  cr_expect(strstr(r.out, "--draws FILE.csv") != NULL);
  shell_run_free(&r);
  r = run_vi_shell(".", "--version");
  cr_expect_eq(r.status, 0);
  cr_expect(strncmp(r.out, "vi-run ", 7) == 0 && strchr(r.out, '.') != NULL, "%s", r.out);
  shell_run_free(&r);
  r = run_vi_shell(".", "x.vim --iters 5");
  cr_expect_eq(r.status, 4);
  cr_expect(strstr(r.err, "error: unknown option '--iters' (did you mean '--iter'?)") != NULL, "%s", r.err);
  shell_run_free(&r);
  r = run_vi_shell(".", "x.vim --sumary s.csv");
  cr_expect_eq(r.status, 4);
  cr_expect(strstr(r.err, "(did you mean '--summary'?)") != NULL, "%s", r.err);
  shell_run_free(&r);
  r = run_vi_shell(".", "no-such-model.vim data.csv");
  cr_expect_eq(r.status, 1, "a missing model file is a model error, not bad data: %d", r.status);
  cr_expect(strstr(r.err, "no-such-model.vim: error: cannot open file") != NULL, "%s", r.err);
  shell_run_free(&r);
}

Test(cli, an_unwritable_output_path_stops_before_the_fit) {
  char dir[1024], args[2048];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  snprintf(args, sizeof args,
           "eight_schools.vim eight_schools.csv --quiet --summary /tmp/vi-trust-s.csv --draws /nonexistent-dir/d.csv");
  struct shell_run r = run_vi_shell(dir, args);
  cr_expect_eq(r.status, 5, "%s", r.err);
  cr_expect(strstr(r.err, "error: --draws: cannot write '/nonexistent-dir/d.csv': No such file or directory") != NULL,
            "%s", r.err);
  cr_expect(strstr(r.err, "note: nothing was fitted") != NULL, "%s", r.err);
  cr_expect(strstr(r.out, "ELBO") == NULL, "a fit ran:\n%s", r.out);
  cr_expect(access("/tmp/vi-trust-s.csv", F_OK) != 0, "the summary was written");
  shell_run_free(&r);
  r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --quiet --params /tmp");
  cr_expect_eq(r.status, 5, "%s", r.err);
  cr_expect(strstr(r.err, "error: --params: cannot write '/tmp': it is a directory") != NULL, "%s", r.err);
  shell_run_free(&r);
}

Test(cli, json_data_rows_are_shown_in_the_header) {
  write_file("/tmp/vi-trust-es.json",
             "{\"J\": 8, \"y\": [28, 8, -3, 7, -1, 1, 18, 12], \"sigma\": [15, 10, 16, 11, 9, 11, 10, 18]}\n");
  char args[2048];
  snprintf(args, sizeof args, "'%s/examples/eight_schools.vim' vi-trust-es.json --quiet --output-samples 100",
           env_or("VI_SOURCE_ROOT", "."));
  struct shell_run r = run_vi_shell("/tmp", args);
  cr_expect_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\ndata:        vi-trust-es.json (8 rows)\n") != NULL, "%s", r.out);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-es.json");
}

static const char region_model[] =
    "data { int<lower=0> N; int<lower=1> K; array[N] int<lower=1, upper=K> region; vector[N] y; }\n"
    "parameters { vector[K] a; }\n"
    "model { y ~ normal(a[region], 1); }\n";

Test(cli, text_levels_reach_every_output_file_and_survive_a_given_size) {
  write_file("/tmp/vi-trust-reg.vim", region_model);
  write_file("/tmp/vi-trust-reg.csv", "region,y\nnorth,1\nsouth,2\neast,3\nnorth,1.5\n");
  struct shell_run r = run_vi_shell("/tmp", "vi-trust-reg.vim vi-trust-reg.csv K=3 --quiet --output-samples 100 "
                                "--summary vi-trust-s.csv --draws vi-trust-d.csv --params vi-trust-p.csv");
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\na[north] ") != NULL && strstr(r.out, "\na[east] ") != NULL,
            "K=3 on the command line lost the labels:\n%s", r.out);
  char *s = slurp("/tmp/vi-trust-s.csv"), *d = slurp("/tmp/vi-trust-d.csv"), *p = slurp("/tmp/vi-trust-p.csv");
  cr_assert(s && d && p);
  cr_expect(strncmp(s, "param,mean,sd,q5,q50,q95,label\n", 31) == 0, "%s", s);
  cr_expect(strstr(s, "\na[2],") != NULL && strstr(s, ",a[south]\n") != NULL, "%s", s);
  cr_expect(strstr(d, "\n# text levels: the elements indexed by a text column's codes 1..L\n"
                      "#   a.1: a[north]\n#   a.2: a[south]\n#   a.3: a[east]\nlp__,log_p__,log_g__,a.1,a.2,a.3\n") != NULL,
            "%s", d);
  cr_expect(strstr(p, ",label\n") != NULL && strstr(p, "\na[3],") != NULL && strstr(p, ",a[east]\n") != NULL, "%s", p);
  free(s);
  free(d);
  free(p);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-s.csv");
  unlink("/tmp/vi-trust-d.csv");
  unlink("/tmp/vi-trust-p.csv");
  unlink("/tmp/vi-trust-reg.vim");
  unlink("/tmp/vi-trust-reg.csv");
}

/* rstan::read_stan_csv keeps the first 'method' comment, cmdstanr the last
 * one with a single '=': rstan must not see "variational" (its print() then
 * needs Pareto k values it cannot have) and cmdstanr must. */
Test(cli, the_draws_file_reads_in_rstan_and_cmdstanr) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  struct shell_run r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --quiet --output-samples 200 --draws "
                             "/tmp/vi-trust-es.csv");
  cr_assert_eq(r.status, 0, "%s", r.err);
  shell_run_free(&r);
  char *d = slurp("/tmp/vi-trust-es.csv");
  cr_assert(d);
  const char *first = strstr(d, "\n# method = "), *cmd = strstr(d, "\n# method = variational\n");
  cr_expect(first && cmd && first < cmd, "%s", d);
  cr_expect(strncmp(first, "\n# method = draws = ", 20) == 0, "the first method line is %.40s", first);
  free(d);
  if (system("Rscript -e 'suppressMessages(library(rstan))' >/dev/null 2>&1") == 0) {
    int st = system("Rscript -e 'suppressMessages(library(rstan)); f <- read_stan_csv(\"/tmp/vi-trust-es.csv\"); "
                    "print(f); s <- summary(f)$summary; stopifnot(nrow(s) == 21, abs(s[\"mu\", \"mean\"]) < 20)' "
                    ">/tmp/vi-trust-r.out 2>&1");
    char *out = slurp("/tmp/vi-trust-r.out");
    cr_expect_eq(st, 0, "rstan failed:\n%s", out ? out : "");
    cr_expect(out && strstr(out, "theta[8]") && strstr(out, "n_eff Rhat"), "%s", out ? out : "");
    free(out);
    /* cmdstanr is not installable here: its comment-line rule, in base R */
    char rcmd[2048];
    snprintf(rcmd, sizeof rcmd, "Rscript '%s/tests/data/cmdstanr_rule.R' /tmp/vi-trust-es.csv >/tmp/vi-trust-r.out 2>&1",
             env_or("VI_SOURCE_ROOT", "."));
    st = system(rcmd);
    out = slurp("/tmp/vi-trust-r.out");
    cr_expect_eq(st, 0, "%s", out ? out : "");
    cr_expect(out && strstr(out, "method: variational \noutput_samples: 200 \n") && strstr(out, "draws: 200 x 20"), "%s",
              out ? out : "");
    free(out);
    unlink("/tmp/vi-trust-r.out");
  }
  unlink("/tmp/vi-trust-es.csv");
}

Test(cli, log_density_reads_points_by_name_and_keeps_a_headerless_first_point) {
  char dir[1024], args[1024];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  /* one point three ways: positional names, names in another order, no header */
  write_file("/tmp/vi-trust-p1.csv", "u1,u2,u3,u4,u5,u6,u7,u8,u9,u10\n0.5,0.25,0,0,0,0,0,0,0,0\n");
  write_file("/tmp/vi-trust-p2.csv", "tau,mu,eta[1],eta[2],eta[3],eta[4],eta[5],eta[6],eta[7],eta[8]\n"
                                     "0.25,0.5,0,0,0,0,0,0,0,0\n");
  write_file("/tmp/vi-trust-p3.csv", "0.5,0.25,0,0,0,0,0,0,0,0\n0,0,0,0,0,0,0,0,0,0\n");
  char *out[3];
  for (int k = 0; k < 3; k++) {
    snprintf(args, sizeof args, "eight_schools.vim eight_schools.csv --log-density /tmp/vi-trust-p%d.csv", k + 1);
    struct shell_run r = run_vi_shell(dir, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    out[k] = r.out;
    free(r.err);
  }
  cr_expect_str_eq(out[0], out[1]);
  const char *row2 = strchr(strchr(out[2], '\n') + 1, '\n'); /* header-less: two points */
  cr_expect(row2 && strncmp(out[0], out[2], (size_t)(row2 - out[2])) == 0, "%s\n---\n%s", out[0], out[2]);
  for (int k = 0; k < 3; k++) free(out[k]);
  write_file("/tmp/vi-trust-p2.csv", "tau,mu,eta[1],eta[2],eta[3],eta[4],eta[5],eta[6],eta[7],eta[9]\n"
                                     "0.25,0.5,0,0,0,0,0,0,0,0\n");
  struct shell_run r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --log-density /tmp/vi-trust-p2.csv");
  cr_expect_eq(r.status, 2);
  cr_expect(strstr(r.err, "/tmp/vi-trust-p2.csv: error: no column 'eta[8]'") != NULL, "%s", r.err);
  shell_run_free(&r);
  write_file("/tmp/vi-trust-p3.csv", "0,0,0,0,0,0,0,0,0,0\n0.5,x,0,0,0,0,0,0,0,0\n");
  r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --log-density /tmp/vi-trust-p3.csv");
  cr_expect_eq(r.status, 2);
  cr_expect(strstr(r.err, "/tmp/vi-trust-p3.csv:2:5: error: non-numeric value 'x' in column 2") != NULL, "%s", r.err);
  shell_run_free(&r);
  for (int k = 1; k <= 3; k++) {
    snprintf(args, sizeof args, "/tmp/vi-trust-p%d.csv", k);
    unlink(args);
  }
}

Test(cli, a_sum_to_zero_vector_parameter_sums_to_zero) {
  write_file("/tmp/vi-trust-stz.vim", "data { int N; array[N] int<lower=1, upper=3> g; vector[N] y; }\n"
                                      "parameters { real mu; sum_to_zero_vector[3] a; }\n"
                                      "model { a ~ normal(0, 1); y ~ normal(mu + a[g], 1); }\n"
                                      "generated quantities { real s = sum(a); }\n");
  write_file("/tmp/vi-trust-stz.csv", "g,y\n1,1\n2,2\n3,3\n1,1.2\n2,2.1\n3,2.9\n");
  struct shell_run r = run_vi_shell("/tmp", "vi-trust-stz.vim vi-trust-stz.csv --check");
  cr_expect_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "\na                        vector[3]                             2  sum-to-zero\n") != NULL, "%s",
            r.out);
  shell_run_free(&r);
  r = run_vi_shell("/tmp", "vi-trust-stz.vim vi-trust-stz.csv --quiet --summary vi-trust-stz-s.csv");
  cr_expect_eq(r.status, 0, "%s", r.err);
  char *s = slurp("/tmp/vi-trust-stz-s.csv");
  cr_assert(s);
  const char *row = strstr(s, "\ns,");
  double mean = 1, sd = 1;
  cr_assert(row && sscanf(row + 3, "%lf,%lf", &mean, &sd) == 2, "%s", s);
  cr_expect(fabs(mean) < 1e-12 && fabs(sd) < 1e-12, "sum(a): mean %g sd %g", mean, sd);
  free(s);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-stz-s.csv");
  unlink("/tmp/vi-trust-stz.vim");
  unlink("/tmp/vi-trust-stz.csv");
}

Test(cli, profile_blocks_run_their_body) {
  write_file("/tmp/vi-trust-prof.vim", "data { int N; vector[N] y; }\n"
                                       "parameters { real mu; }\n"
                                       "model {\n  profile(\"priors\") { mu ~ normal(0, 10); }\n"
                                       "  profile(\"likelihood\") { real s = 1; y ~ normal(mu, s); }\n}\n");
  write_file("/tmp/vi-trust-prof.csv", "y\n4.9\n5.1\n5.0\n5.2\n4.8\n");
  struct shell_run r = run_vi_shell("/tmp", "vi-trust-prof.vim vi-trust-prof.csv --quiet --summary vi-trust-prof-s.csv");
  cr_expect_eq(r.status, 0, "%s", r.err);
  char *s = slurp("/tmp/vi-trust-prof-s.csv");
  cr_assert(s);
  const char *row = strstr(s, "\nmu,");
  double mean = 0;
  cr_assert(row && sscanf(row + 4, "%lf", &mean) == 1, "%s", s);
  cr_expect(fabs(mean - 5.0) < 0.05, "mu %g: the likelihood inside profile() did not run", mean);
  free(s);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-prof-s.csv");
  unlink("/tmp/vi-trust-prof.vim");
  unlink("/tmp/vi-trust-prof.csv");
}

Test(cli, print_target_and_a_non_finite_density_are_reported) {
  /* print() in the model block runs on the first evaluation; target() is the density so far */
  write_file("/tmp/vi-trust-pr.vim", "parameters { real mu; }\n"
                                     "model {\n  mu ~ normal(0, 1);\n  print(\"after the prior: \", target());\n"
                                     "  real t = target();\n  target += t;\n}\n");
  write_file("/tmp/vi-trust-pr.csv", "mu\n1\n0.5\n");
  struct shell_run r = run_vi_shell("/tmp", "vi-trust-pr.vim --log-density vi-trust-pr.csv");
  cr_expect_eq(r.status, 0, "%s", r.err);
  cr_expect_str_eq(r.out, "lp,grad[1]\n-1,-2\n-0.25,-1\n");
  cr_expect_str_eq(r.err, "after the prior: -0.5\n");
  shell_run_free(&r);
  /* a -inf density names the statement and the values */
  write_file("/tmp/vi-trust-pr.vim", "data { int N; vector[N] y; }\nparameters { real mu; }\n"
                                     "model {\n  mu ~ normal(0, 1);\n  y ~ normal(mu, 0 * mu + 1e-320);\n}\n");
  write_file("/tmp/vi-trust-pr.csv", "y\n1\n2\n3\n");
  r = run_vi_shell("/tmp", "vi-trust-pr.vim vi-trust-pr.csv --quiet");
  cr_expect_eq(r.status, 3, "%s", r.err);
  cr_expect(strstr(r.err, "vi-trust-pr.vim:5:7: error: the log density is -inf: this statement adds -inf "
                          "(normal_lpdf of [1, 2, 3], ") != NULL,
            "%s", r.err);
  shell_run_free(&r);
  /* a reject prints what print() said just before it */
  write_file("/tmp/vi-trust-pr.vim", "parameters { real mu; }\n"
                                     "model {\n  print(\"mu is \", mu);\n  reject(\"always\");\n}\n");
  r = run_vi_shell("/tmp", "vi-trust-pr.vim --quiet");
  cr_expect_eq(r.status, 3, "%s", r.err);
  cr_expect(strstr(r.err, "mu is ") != NULL, "%s", r.err);
  cr_expect(strstr(r.err, "always") != NULL, "%s", r.err);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-pr.vim");
  unlink("/tmp/vi-trust-pr.csv");
}

Test(cli, init_file_in_cmdstans_format_sets_the_starting_point) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  write_file("/tmp/vi-trust-init.json", "{\"mu\": 17.5, \"tau\": 3, \"eta\": [0, 0, 0, 0, 0, 0, 0, 0], \"theta\": [1]}\n");
  /* one step of size 1e-12: the fit stays at the initial values (mean 17.5 for mu) */
  struct shell_run r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --init /tmp/vi-trust-init.json --quiet "
                             "--output-samples 100 --algorithm meanfield --optimizer sgd --iter 1 --eta 1e-12 "
                             "--summary /tmp/vi-trust-init-s.csv");
  cr_expect_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.err, "/tmp/vi-trust-init.json:1:57: warning: 'theta' is not a parameter; its init value is "
                          "ignored") != NULL, "%s", r.err);
  char *s = slurp("/tmp/vi-trust-init-s.csv");
  cr_assert(s);
  cr_expect(strstr(s, "\nmu,17.5,") != NULL, "%s", s);
  free(s);
  shell_run_free(&r);
  write_file("/tmp/vi-trust-init.json", "{\"mu\": 4, \"tau\": -3, \"eta\": [0, 0, 0]}\n");
  r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --init /tmp/vi-trust-init.json --quiet");
  cr_expect_eq(r.status, 2, "%s", r.err);
  cr_expect(strstr(r.err, "/tmp/vi-trust-init.json:1:11: error: init value of 'tau' is -3, below the lower bound 0") !=
                NULL, "%s", r.err);
  cr_expect(strstr(r.err, "/tmp/vi-trust-init.json:1:22: error: init value of 'eta' has 3 values in 1 dimensions, but "
                          "the parameter is vector[8]") != NULL, "%s", r.err);
  cr_expect(strstr(r.out, "ELBO") == NULL, "a fit ran:\n%s", r.out);
  shell_run_free(&r);
  unlink("/tmp/vi-trust-init.json");
  unlink("/tmp/vi-trust-init-s.csv");
}

/* A file-size limit makes the draws file fail at the end, after the fit:
 * the table is still printed, the summary is written, exit 5. */
Test(cli, a_write_that_fails_after_the_fit_still_prints_the_table) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cd '%s/examples' && sh -c \"ulimit -f 16; trap '' XFSZ; exec '%s' eight_schools.vim eight_schools.csv "
           "--quiet --summary /tmp/vi-trust-s9.csv --draws /tmp/vi-trust-d9.csv\" >/tmp/vi-trust-9.out "
           "2>/tmp/vi-trust-9.err",
           env_or("VI_SOURCE_ROOT", "."), env_or("VI_RUN", "build/vi-run"));
  int st = system(cmd);
  char *out, *err;
  take_output("/tmp/vi-trust-9.out", "/tmp/vi-trust-9.err", &out, &err);
  cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 5, "status %d\n%s", st, err);
  cr_expect(strstr(out, "\ntheta[8] ") != NULL, "no table:\n%s", out);
  cr_expect(strstr(err, "error: cannot write '/tmp/vi-trust-d9.csv': File too large") != NULL, "%s", err);
  cr_expect(access("/tmp/vi-trust-d9.csv", F_OK) != 0, "a partial draws file was left");
  cr_expect(access("/tmp/vi-trust-s9.csv", F_OK) == 0, "the summary was not written");
  unlink("/tmp/vi-trust-s9.csv");
  free(out);
  free(err);
}

/* ---- every suggestion in a warning runs on that model ---- */

/* Appends to out (size n) the options a warning in err suggests: each
 * "--algorithm NAME" as written, "(--iter)" as --iter 20000 and "a smaller
 * --tol-rel-obj" as --tol-rel-obj 0.001; returns how many it found. */
static int suggested_options(const char *err, char out[][64], int n) {
  int k = 0;
  for (const char *p = err; (p = strstr(p, "--algorithm ")) && k < n; p += 12) {
    char name[32] = "";
    sscanf(p + 12, "%31[a-z]", name);
    snprintf(out[k++], 64, "--algorithm %s", name);
  }
  if (strstr(err, "(--iter)") && k < n) snprintf(out[k++], 64, "--iter 20000");
  if (strstr(err, "a smaller --tol-rel-obj") && k < n) snprintf(out[k++], 64, "--tol-rel-obj 0.001");
  return k;
}

Test(cli, every_suggestion_in_a_warning_runs_on_that_model) {
  static const char *const runs[] = {
      "funnel.vim K=3", "funnel.vim K=3 --algorithm dadvi", "funnel.vim K=3 --algorithm meanfield",
      "funnel.vim K=1100 --algorithm meanfield"};
  char dir[] = "/tmp/vi-test-suggest-XXXXXX";
  cr_assert(mkdtemp(dir));
  char path[1100];
  snprintf(path, sizeof path, "%s/funnel.vim", dir);
  write_file(path, "data { int K; }\nparameters { real v; vector[K] x; }\n"
                   "model { v ~ normal(0, 3); x ~ normal(0, exp(v / 2)); }\n");
  int tried = 0;
  for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
    char args[1024];
    snprintf(args, sizeof args, "%s --quiet", runs[i]);
    struct shell_run r = run_vi_shell(dir, args);
    cr_assert_eq(r.status, 0, "%s: %s", runs[i], r.err);
    char opts[8][64];
    int n = suggested_options(r.err, opts, 8);
    shell_run_free(&r);
    for (int k = 0; k < n; k++) {
      /* the suggestion replaces the run's own --algorithm */
      char base[256];
      snprintf(base, sizeof base, "%s", runs[i]);
      char *alg = strstr(base, " --algorithm");
      if (alg && !strncmp(opts[k], "--algorithm", 11)) *alg = 0;
      snprintf(args, sizeof args, "%s %s --quiet", base, opts[k]);
      struct shell_run s = run_vi_shell(dir, args);
      cr_expect_eq(s.status, 0, "suggested '%s' after '%s' fails: %s", opts[k], runs[i], s.err);
      cr_expect(!strstr(s.err, "error"), "suggested '%s' after '%s': %s", opts[k], runs[i], s.err);
      shell_run_free(&s);
      tried++;
    }
  }
  /* fullrank, lowrank, --iter and --tol-rel-obj are among them */
  cr_assert(tried >= 4, "only %d suggestions seen", tried);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  cr_assert_eq(system(path), 0);
}

/* posteriordb's Lotka-Volterra, seed 2: the first fit stalls far from the
 * posterior (680 of 1000 draws failed in the ODE solver, NaN summaries);
 * auto starts again from other initial values and reaches the Hudson's Bay
 * posterior (theta[1] about 0.55, ELBO about 18.4). */
Test(cli, auto_restarts_a_small_fit_that_did_not_converge) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/models/ode", env_or("VI_SOURCE_ROOT", "."));
  struct shell_run r = run_vi_shell(dir, "lotka_volterra.vim lotka_volterra.json --seed 2 --quiet");
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "(from restart ") != NULL, "%s", r.out);
  cr_expect(strstr(r.out, "\nconverged:   yes") != NULL, "%s", r.out);
  cr_expect(strstr(r.err, "could not be evaluated") == NULL, "%s", r.err);
  const char *t = strstr(r.out, "\ntheta[1] ");
  cr_assert(t, "%s", r.out);
  double mean = strtod(t + 10, NULL);
  cr_expect(mean > 0.50 && mean < 0.60, "theta[1] mean %g:\n%s", mean, r.out);
  shell_run_free(&r);
}
