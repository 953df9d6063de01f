/* test_point.c: point-estimated parameters (@point, @point(ml), --point,
 * --pin, --em), against exact answers: the type-II maximum likelihood of
 * eight schools (computed here by a 1-D solve over tau) and lme4's lmer fit
 * of sleepstudy (bench/point/sleepstudy.R made the reference values). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vi/model.h"
#include "vi/point.h"

/* Each test runs in a directory of its own (tests use fixed file names). */
static char test_dir[128];
static void enter_dir(void) {
  snprintf(test_dir, sizeof test_dir, "/tmp/vi-point-dir-%d", (int)getpid());
  mkdir(test_dir, 0700);
  cr_assert_eq(chdir(test_dir), 0, "%s", test_dir);
}
static void leave_dir(void) {
  if (chdir("/") == 0) rmdir(test_dir);
}
TestSuite(point, .init = enter_dir, .fini = leave_dir);

static const char es_model[] =
    "data { int<lower=0> J; array[J] real y; array[J] real<lower=0> sigma; }\n"
    "parameters {\n"
    "  @point(ml) real mu;\n"
    "  @point(ml) real<lower=0> tau;\n"
    "  vector[J] eta;\n"
    "}\n"
    "transformed parameters { vector[J] theta = mu + tau * eta; }\n"
    "model {\n"
    "  mu ~ normal(0, 5);\n"
    "  tau ~ cauchy(0, 5);\n"
    "  eta ~ std_normal();\n"
    "  y ~ normal(theta, sigma);\n"
    "}\n";

static const double es_y[8] = {28, 8, -3, 7, -1, 1, 18, 12}, es_s[8] = {15, 10, 16, 11, 9, 11, 10, 18};

/* Profile log likelihood of y_j ~ N(mu, s_j^2 + tau^2) at tau, and mu-hat(tau). */
static double es_profile(double k, double tau, double *mu) {
  double sw = 0, swy = 0, l = 0;
  for (int j = 0; j < 8; j++) {
    double w = 1 / (es_s[j] * es_s[j] + tau * tau);
    sw += w;
    swy += w * k * es_y[j];
  }
  *mu = swy / sw;
  for (int j = 0; j < 8; j++) {
    double v = es_s[j] * es_s[j] + tau * tau, r = k * es_y[j] - *mu;
    l += -0.5 * (log(v) + r * r / v);
  }
  return l;
}

/* The exact maximiser over tau >= 0 by golden-section search on [0, 200]
 * (the profile is unimodal here), then mu-hat at it. */
static void es_exact(double k, double *mu, double *tau) {
  double a = 0, b = 200, g = (sqrt(5) - 1) / 2, m;
  for (int it = 0; it < 200; it++) {
    double c = b - g * (b - a), d = a + g * (b - a);
    if (es_profile(k, c, &m) > es_profile(k, d, &m)) b = d;
    else a = c;
  }
  *tau = 0.5 * (a + b);
  if (es_profile(k, 0, &m) >= es_profile(k, *tau, &m)) *tau = 0;
  es_profile(k, *tau, mu);
}

/* Writes eight schools with y scaled by k to a temporary CSV. */
static void es_data(double k, char *path, size_t n) {
  snprintf(path, n, "/tmp/vi-point-es-%d-%g.csv", (int)getpid(), k);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fprintf(f, "y,sigma\n");
  for (int j = 0; j < 8; j++) fprintf(f, "%.17g,%g\n", k * es_y[j], es_s[j]);
  fclose(f);
}

struct fitted {
  struct vi_model *m;
  struct vi_advi_result res;
  struct vi_arena arena;
  double *out;
  enum vi_advi_stop stop;
};

static double sweeps[1000];
static int nsweeps;
static void on_sweep(void *ctx, int s, double elbo) {
  (void)ctx;
  if (nsweeps < 1000) sweeps[nsweeps++] = elbo;
  cr_assert_eq(s, nsweeps);
}

/* Loads, binds and fits src with point parameters; out = constrained outputs at the fit. */
static void fit(const char *src, const char *const *files, int nfiles, const char *const *assigns, int nassigns,
                enum vi_em em, struct fitted *F) {
  struct vi_diags d;
  vi_diags_init(&d);
  memset(F, 0, sizeof *F);
  cr_assert_eq(vi_model_load_string("point.vim", src, strlen(src), &F->m, &d), VI_OK, "%s", d.buf);
  struct vi_data_inputs in = {files, nfiles, assigns, nassigns, 1};
  cr_assert_eq(vi_model_bind(F->m, &in, &d), VI_OK, "%s", d.buf);
  struct vi_advi_options ao;
  vi_advi_options_default(&ao);
  ao.algorithm = VI_ALGO_AUTO;
  ao.seed = 1;
  ao.init_radius = 0;
  struct vi_point_options po;
  vi_point_options_default(&po, &ao);
  po.em = em;
  po.on_sweep = on_sweep;
  nsweeps = 0;
  vi_arena_init(&F->arena);
  F->stop = vi_point_fit(F->m, &po, &F->arena, &F->res, &d);
  cr_assert_neq(F->stop, VI_ADVI_ERROR, "%s", d.buf);
  F->out = calloc(vi_model_nout(F->m) + 1, sizeof *F->out);
  struct vi_rng r;
  vi_rng_seed(&r, 1, 2);
  cr_assert_eq(vi_model_write(F->m, F->res.mu, F->out, &r), VI_OK);
  vi_diags_free(&d);
}

static double out_value(const struct fitted *F, const char *name) {
  for (size_t i = 0; i < vi_model_nout(F->m); i++)
    if (!strcmp(vi_model_out_name(F->m, i), name)) return F->out[i];
  cr_assert_fail("no output %s", name);
  return NAN;
}

static void fitted_free(struct fitted *F) {
  free(F->out);
  vi_arena_free(&F->arena);
  vi_model_free(F->m);
}

/* The conditional posterior of eta given (mu, tau) is Gaussian and log p is
 * quadratic in eta, so with whitened antithetic draws the fixed-draw ELBO is
 * the exact ELBO, and its maximum over q is the log marginal likelihood:
 * only the optimiser's tolerance separates vi from the exact maximiser. */
Test(point, eight_schools_ml_equals_the_exact_type_ii_maximum_likelihood) {
  const double scales[2] = {1, 3}; /* the data (tau-hat = 0, on the boundary), and y * 3 (interior) */
  for (int c = 0; c < 2; c++) {
    char path[256];
    es_data(scales[c], path, sizeof path);
    const char *files[1] = {path};
    struct fitted F;
    fit(es_model, files, 1, NULL, 0, VI_EM_JOINT, &F);
    double mu = out_value(&F, "mu"), tau = out_value(&F, "tau"), mu_x, tau_x, m;
    es_exact(scales[c], &mu_x, &tau_x);
    double l_vi = es_profile(scales[c], tau, &m), l_x = es_profile(scales[c], tau_x, &m);
    fprintf(stderr, "eight schools y*%g: vi mu %.9g tau %.9g; exact mu %.9g tau %.9g; profile loglik gap %.3g\n",
            scales[c], mu, tau, mu_x, tau_x, l_x - l_vi);
    cr_assert(F.res.converged, "%s", F.res.reason);
    cr_assert(fabs(mu - mu_x) < 1e-5 * (1 + fabs(mu_x)), "mu %.10g vs exact %.10g", mu, mu_x);
    if (tau_x == 0) {
      cr_assert(tau < 0.05, "tau %.10g vs exact 0", tau);
    } else {
      cr_assert(tau_x > 1, "the scaled data must give an interior optimum (tau-hat %g)", tau_x);
      cr_assert(fabs(tau - tau_x) < 1e-5 * tau_x, "tau %.10g vs exact %.10g", tau, tau_x);
    }
    cr_assert(l_x - l_vi < 1e-8, "profile log likelihood %.12g vs exact max %.12g", l_vi, l_x);
    fitted_free(&F);
    unlink(path);
  }
}

static const char ss_model[] =
    "data { int<lower=1> N; int<lower=1> J; vector[N] Reaction; vector[N] Days;\n"
    "       array[N] int<lower=1, upper=J> subject; }\n"
    "parameters {\n"
    "  @point(ml) real beta0;\n"
    "  @point(ml) real beta1;\n"
    "  @point(ml) real<lower=0> sd_int;\n"
    "  @point(ml) real<lower=0> sd_slope;\n"
    "  @point(ml) real<lower=-1, upper=1> rho;\n"
    "  @point(ml) real<lower=0> sigma;\n"
    "  matrix[J, 2] z;\n"
    "}\n"
    "transformed parameters {\n"
    "  vector[J] b0 = sd_int * z[:, 1];\n"
    "  vector[J] b1 = sd_slope * (rho * z[:, 1] + sqrt(1 - square(rho)) * z[:, 2]);\n"
    "}\n"
    "model {\n"
    "  to_vector(z) ~ std_normal();\n"
    "  Reaction ~ normal(beta0 + b0[subject] + (beta1 + b1[subject]) .* Days, sigma);\n"
    "}\n";

static double ref_value(const char *name) {
  char path[1024], line[256];
  snprintf(path, sizeof path, "%s/bench/point/sleepstudy_lmer.csv", env_or("VI_SOURCE_ROOT", "."));
  FILE *f = fopen(path, "r");
  cr_assert(f, "%s", path);
  while (fgets(line, sizeof line, f)) {
    char *c = strchr(line, ',');
    if (!c) continue;
    *c = 0;
    if (!strcmp(line, name)) {
      fclose(f);
      return atof(c + 1);
    }
  }
  fclose(f);
  cr_assert_fail("no reference value %s", name);
  return NAN;
}

static void sleepstudy_check(enum vi_em em, double tol) {
  char path[1024];
  snprintf(path, sizeof path, "%s/bench/point/sleepstudy.csv", env_or("VI_SOURCE_ROOT", "."));
  const char *files[1] = {path}, *assigns[1] = {"J=18"};
  struct fitted F;
  fit(ss_model, files, 1, assigns, 1, em, &F);
  cr_assert(F.res.converged, "%s", F.res.reason);
  const char *names[6] = {"beta0", "beta1", "sd_int", "sd_slope", "rho", "sigma"};
  for (int i = 0; i < 6; i++) {
    double v = out_value(&F, names[i]), r = ref_value(names[i]);
    fprintf(stderr, "sleepstudy (%s): %-8s vi %.9g lmer %.9g relative error %.2g\n",
            em == VI_EM_JOINT ? "joint" : "EM sweeps", names[i], v, r, fabs(v - r) / fabs(r));
    cr_assert(fabs(v - r) <= tol * fabs(r), "%s: vi %.9g, lmer %.9g", names[i], v, r);
  }
  /* the ELBO at the optimum is the log marginal likelihood up to the
   * constants vi drops under '~' (normal: N/2 log 2 pi; std_normal: 2J/2 log 2 pi) */
  double ll = F.res.elbo - 0.5 * (180 + 36) * 1.8378770664093454836;
  fprintf(stderr, "sleepstudy (%s): log likelihood vi %.9g lmer %.9g\n", em == VI_EM_JOINT ? "joint" : "EM sweeps",
          ll, ref_value("loglik"));
  cr_assert(fabs(ll - ref_value("loglik")) < tol * 0.1, "log likelihood %.9g vs lmer %.9g", ll, ref_value("loglik"));
  fitted_free(&F);
}

Test(point, sleepstudy_mixed_model_matches_lmer_ml, .timeout = 300) { sleepstudy_check(VI_EM_JOINT, 1e-3); }

Test(point, em_sweeps_never_decrease_the_elbo_and_reach_the_joint_optimum, .timeout = 300) {
  char path[256];
  es_data(3, path, sizeof path);
  const char *files[1] = {path};
  struct fitted J, E;
  fit(es_model, files, 1, NULL, 0, VI_EM_JOINT, &J);
  fit(es_model, files, 1, NULL, 0, VI_EM_ALTERNATE, &E);
  cr_assert(nsweeps >= 2, "%d sweeps", nsweeps);
  for (int s = 1; s < nsweeps; s++)
    cr_assert(sweeps[s] >= sweeps[s - 1], "sweep %d: ELBO %.17g after %.17g", s + 1, sweeps[s], sweeps[s - 1]);
  cr_assert(fabs(E.res.elbo - J.res.elbo) < 1e-6 * (1 + fabs(J.res.elbo)), "EM %.12g vs joint %.12g", E.res.elbo,
            J.res.elbo);
  fprintf(stderr, "EM: %d sweeps, ELBO %.12g (joint %.12g)\n", nsweeps, E.res.elbo, J.res.elbo);
  fitted_free(&J);
  fitted_free(&E);
  unlink(path);
  /* EM converges linearly (slowly along the variance components): its
   * sweeps stop at a relative gain of 1e-10, short of the joint fit */
  sleepstudy_check(VI_EM_ALTERNATE, 1e-2);
  for (int s = 1; s < nsweeps; s++)
    cr_assert(sweeps[s] >= sweeps[s - 1], "sleepstudy sweep %d: ELBO %.17g after %.17g", s + 1, sweeps[s],
              sweeps[s - 1]);
}

/* ---- vi-run: errors and options ---- */


static int run(const char *args, char **out, char **err) {
  char cmd[4096], o[128], e[128];
  snprintf(o, sizeof o, "/tmp/vi-point-%d.out", (int)getpid());
  snprintf(e, sizeof e, "/tmp/vi-point-%d.err", (int)getpid());
  snprintf(cmd, sizeof cmd, "'%s' %s >%s 2>%s", env_or("VI_RUN", "vi-run"), args, o, e);
  int st = system(cmd);
  take_output(o, e, out, err);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs(text, f);
  fclose(f);
}

static const char *es_csv(void) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/examples/eight_schools.csv", env_or("VI_SOURCE_ROOT", "."));
  return path;
}

Test(point, an_unknown_annotation_is_an_error_at_its_line_and_column) {
  write_file("vi-point-ann.vim", "data { int J; }\nparameters {\n  real mu;\n    @pointt real tau;\n}\n"
                                      "model { mu ~ normal(0, 1); }\n");
  char *out, *err;
  int rc = run("vi-point-ann.vim J=1", &out, &err);
  cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
  cr_assert(strstr(err, "vi-point-ann.vim:4:5: error: unknown annotation '@pointt'"), "%s", err);
  free(out);
  free(err);
  write_file("vi-point-ann.vim", "data { @point int J; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n");
  rc = run("vi-point-ann.vim J=1", &out, &err);
  cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
  cr_assert(strstr(err, "vi-point-ann.vim:1:8: error: '@point' must come before a declaration in the 'parameters'"),
            "%s", err);
  free(out);
  free(err);
  unlink("vi-point-ann.vim");
}

Test(point, a_prior_that_cannot_be_separated_is_an_error_at_its_line) {
  struct {
    const char *model, *where, *what;
  } cases[] = {
      {"parameters { real nu; @point(ml) real mu; }\nmodel {\n  nu ~ normal(0, 1);\n  mu ~ normal(nu, 1);\n}\n",
       ":4:3: error:", "cannot drop the prior of @point(ml) parameter 'mu'"},
      {"parameters { @point(ml) real<lower=0> tau; }\nmodel {\n  log(tau) ~ normal(0, 1);\n}\n", ":3:3: error:",
       "the left side of this '~' is an expression of @point(ml) parameter 'tau'"},
      {"parameters { @point(ml) real mu; }\nmodel {\n  target += -0.5 * square(mu);\n}\n", ":3:18: error:",
       "is not a density call"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_file("vi-point-sep.vim", cases[i].model);
    char *out, *err;
    int rc = run("vi-point-sep.vim", &out, &err);
    cr_assert_eq(rc, 1, "case %zu: exit %d: %s", i, rc, err);
    char want[128];
    snprintf(want, sizeof want, "vi-point-sep.vim%s", cases[i].where);
    cr_assert(strstr(err, want) && strstr(err, cases[i].what), "case %zu: %s", i, err);
    free(out);
    free(err);
  }
  unlink("vi-point-sep.vim");
}

/* --pin holds a parameter at its value; --point makes one a point value. */
Test(point, pin_and_point_from_the_command_line) {
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/eight_schools.vim", env_or("VI_SOURCE_ROOT", "."));
  write_file("vi-point-pin.json", "{\"tau\": 5}");
  char args[4096], *out, *err;
  snprintf(args, sizeof args, "'%s' '%s' --pin vi-point-pin.json --point mu --summary vi-point-s.csv --quiet",
           path, es_csv());
  int rc = run(args, &out, &err);
  cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
  char *s = slurp("vi-point-s.csv");
  cr_assert(s);
  cr_assert(strstr(s, "\ntau,5,0,5,5,5\n"), "%s", s);
  cr_assert(strstr(s, "\nmu,"), "%s", s);
  double mu, sd;
  cr_assert_eq(sscanf(strstr(s, "\nmu,") + 4, "%lf,%lf", &mu, &sd), 2);
  cr_assert_eq(sd, 0, "mu sd %g", sd);
  /* mu is the MAP given tau = 5: with eta integrated out, y_j ~ N(mu, s_j^2 + 25), mu ~ N(0, 5) */
  double sw = 1 / 25.0, swy = 0;
  for (int j = 0; j < 8; j++) {
    sw += 1 / (es_s[j] * es_s[j] + 25);
    swy += es_y[j] / (es_s[j] * es_s[j] + 25);
  }
  cr_assert(fabs(mu - swy / sw) < 1e-4, "mu %.8g vs exact %.8g", mu, swy / sw);
  free(s);
  free(out);
  free(err);
  unlink("vi-point-s.csv");
  struct {
    const char *json, *what;
  } bad[] = {
      {"{\"tua\": 5}", "'tua' is not a parameter of the model"},
      {"{\"tau\": [1, 2]}", "pinned value of 'tau' has 2 values"},
      {"{\"tau\": -1}", "pinned value of 'tau'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_file("vi-point-pin.json", bad[i].json);
    snprintf(args, sizeof args, "'%s' '%s' --pin vi-point-pin.json --summary vi-point-s.csv", path, es_csv());
    rc = run(args, &out, &err);
    cr_assert_eq(rc, 2, "case %zu: exit %d: %s", i, rc, err);
    cr_assert(strstr(err, "vi-point-pin.json:1:") && strstr(err, bad[i].what), "case %zu: %s", i, err);
    cr_assert(access("vi-point-s.csv", F_OK) != 0, "case %zu: no output file after an error", i);
    free(out);
    free(err);
  }
  unlink("vi-point-pin.json");
  snprintf(args, sizeof args, "'%s' '%s' --point mu,tua", path, es_csv());
  rc = run(args, &out, &err);
  cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
  cr_assert(strstr(err, "'tua' is not a parameter of the model"), "%s", err);
  free(out);
  free(err);
}

/* --point is MAP on the constrained scale, as Stan's optimize: no
 * log-Jacobian. For y_i ~ N(0, sigma), sigma ~ exponential(1), the mode of
 * -N log s - S / (2 s^2) - s solves s^3 + N s^2 - S = 0 (with the Jacobian
 * of log s it would be s^3 + (N - 1) s^2 - S = 0). */
Test(point, point_is_the_map_on_the_constrained_scale_without_the_jacobian) {
  write_file("vi-point-map.vim", "data { int N; vector[N] y; }\nparameters { real<lower=0> sigma; real z; }\n"
                                      "model { sigma ~ exponential(1); z ~ normal(0, 1); y ~ normal(0, sigma); }\n");
  write_file("vi-point-map.csv", "y\n1\n2\n3\n-1\n-2\n");
  char *out, *err;
  int rc = run("vi-point-map.vim vi-point-map.csv --point sigma --summary vi-point-map-s.csv --quiet",
               &out, &err);
  cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
  char *s = slurp("vi-point-map-s.csv");
  cr_assert(s && strstr(s, "\nsigma,"), "%s", s ? s : "");
  double sigma = atof(strstr(s, "\nsigma,") + 7), N = 5, S = 19, x = 2;
  for (int it = 0; it < 100; it++) x -= (x * x * x + N * x * x - S) / (3 * x * x + 2 * N * x);
  fprintf(stderr, "MAP sigma: vi %.9g exact %.9g\n", sigma, x);
  cr_assert(fabs(sigma - x) < 1e-5 * x, "sigma %.9g vs exact MAP %.9g", sigma, x);
  free(s);
  free(out);
  free(err);
  unlink("vi-point-map.vim");
  unlink("vi-point-map.csv");
  unlink("vi-point-map-s.csv");
}

/* The prior terms @point(ml) drops, in both forms (a '~' and a lpdf term of
 * a target += sum, inside a loop), and the likelihood it keeps: mu-hat is the
 * mean of y whatever the (strong) prior. With @point the prior is kept. */
Test(point, ml_drops_tilde_and_target_priors_and_keeps_the_likelihood) {
  const char *models[2] = {
      "data { int N; vector[N] y; }\nparameters { @point(ml) vector[2] mu; real z; }\n"
      "model {\n  for (k in 1:2) mu[k] ~ normal(0, 0.5);\n  z ~ normal(0, 1);\n"
      "  target += normal_lpdf(mu[1] | 0, 0.5) + normal_lpdf(y | mu[1], 1) + normal_lpdf(y | mu[2], 2);\n}\n",
      "data { int N; vector[N] y; }\nparameters { @point vector[2] mu; real z; }\n"
      "model {\n  for (k in 1:2) mu[k] ~ normal(0, 0.5);\n  z ~ normal(0, 1);\n"
      "  target += normal_lpdf(mu[1] | 0, 0.5) + normal_lpdf(y | mu[1], 1) + normal_lpdf(y | mu[2], 2);\n}\n"};
  write_file("vi-point-ml.csv", "y\n1\n2\n3\n6\n");
  for (int c = 0; c < 2; c++) {
    write_file("vi-point-ml.vim", models[c]);
    char *out, *err;
    int rc = run("vi-point-ml.vim vi-point-ml.csv --summary vi-point-ml-s.csv --quiet", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    char *s = slurp("vi-point-ml-s.csv");
    cr_assert(s && strstr(s, "\nmu[1],") && strstr(s, "\nmu[2],"), "%s", s ? s : "");
    double m1 = atof(strstr(s, "\nmu[1],") + 7), m2 = atof(strstr(s, "\nmu[2],") + 7);
    /* ml: the mean 3; MAP: mu1 has prior precision 4 + 4 (twice), data 4 x 1:
     * 12 / (8 + 4) = 1; mu2: prior precision 4, data 4 x 1/4: (12 / 4) / 5 */
    double e1 = c == 0 ? 3 : 12.0 / 12, e2 = c == 0 ? 3 : 12.0 / 4 / 5;
    cr_assert(fabs(m1 - e1) < 1e-5 && fabs(m2 - e2) < 1e-5, "case %d: mu %.8g %.8g, exact %.8g %.8g", c, m1, m2, e1,
              e2);
    free(s);
    free(out);
    free(err);
  }
  unlink("vi-point-ml.vim");
  unlink("vi-point-ml.csv");
  unlink("vi-point-ml-s.csv");
}

/* vi-run --em alternate prints one ELBO per sweep, never decreasing. */
Test(point, em_alternate_prints_a_non_decreasing_elbo_per_sweep) {
  char path[1024], args[4096], *out, *err;
  snprintf(path, sizeof path, "%s/examples/eight_schools.vim", env_or("VI_SOURCE_ROOT", "."));
  snprintf(args, sizeof args, "'%s' '%s' --point mu,tau --em alternate", path, es_csv());
  int rc = run(args, &out, &err);
  cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
  int n = 0, k;
  double prev = -INFINITY, v;
  for (const char *p = strstr(err, "EM sweep"); p; p = strstr(p + 1, "EM sweep")) {
    cr_assert_eq(sscanf(p, "EM sweep %d ELBO %lf", &k, &v), 2, "%.60s", p);
    cr_assert_eq(k, n + 1);
    cr_assert(v >= prev, "sweep %d: ELBO %.17g after %.17g", k, v, prev);
    prev = v;
    n++;
  }
  cr_assert(n >= 2, "%s", err);
  cr_assert(strstr(out, "point:       mu, tau (EM sweeps)"), "%s", out);
  free(out);
  free(err);
}

Test(point, em_and_stochastic_optimisers_without_a_point_fit_are_usage_errors) {
  char path[1024], args[4096], *out, *err;
  snprintf(path, sizeof path, "%s/examples/eight_schools.vim", env_or("VI_SOURCE_ROOT", "."));
  snprintf(args, sizeof args, "'%s' '%s' --em alternate", path, es_csv());
  cr_assert_eq(run(args, &out, &err), 4);
  cr_assert(strstr(err, "error: --em alternate needs point parameters"), "%s", err);
  free(out);
  free(err);
  snprintf(args, sizeof args, "'%s' '%s' --point mu --algorithm meanfield --optimizer sgd", path, es_csv());
  cr_assert_eq(run(args, &out, &err), 4);
  cr_assert(strstr(err, "error: --optimizer sgd does not fit point parameters"), "%s", err);
  free(out);
  free(err);
}
