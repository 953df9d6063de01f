/* test_dist_values.c: the distributions' values against 50-digit references
 * (computed with mpmath from the Stan Functions Reference formulas and
 * R-equivalent densities), every non-_rng row of the standard-library table
 * against R (tests/reference/make_values.R writes tests/reference/values.txt,
 * make_values2.R values2.txt;
 * 12 significant digits; a row without a reference value fails), propto
 * dropping exactly the constant terms, argument checks with their messages,
 * and _rng draws (types, ranges, moments). Gradients are checked table-wide
 * by test_stdlib_grad.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/rng.h"
#include "vi/stdlib.h"
#include "vi/tape.h"

struct env {
  struct vi_arena arena;
  struct vi_diags diags;
  struct vi_tape tape;
  struct vi_rng rng;
  struct vi_ctx c;
};

static void env_init(struct env *e, int with_tape) {
  memset(e, 0, sizeof *e);
  vi_arena_init(&e->arena);
  vi_diags_init(&e->diags);
  vi_tape_init(&e->tape);
  vi_rng_seed(&e->rng, 12345, 0);
  e->c.arena = &e->arena;
  e->c.diags = &e->diags;
  e->c.tape = with_tape ? &e->tape : NULL;
  e->c.rng = &e->rng;
}

static void env_free(struct env *e) {
  vi_tape_free(&e->tape);
  vi_diags_free(&e->diags);
  vi_arena_free(&e->arena);
}

/* Parses one argument: "r0.7" real, "i3" int, "v:0.1:-1.2" vector,
 * "ia:1:0:1" int array, "a:..." real array, "m2x2:..." matrix (column-major),
 * "A2:..." array of vectors of size 2, "w:..." row vector.
 * A leading '*' makes a real argument differentiable (adjoints zeroed). */
static void parse_arg(struct env *e, const char *s, struct vi_val *v) {
  memset(v, 0, sizeof *v);
  int var = *s == '*';
  if (var) s++;
  double buf[64];
  int n = 0, rows = 0, cols = 0;
  struct vi_type t = {VI_T_REAL, 0};
  if ((s[0] == 'r' || (s[0] == 'i' && s[1] != 'a')) && s[1] != 'v') {
    t.base = s[0] == 'r' ? VI_T_REAL : VI_T_INT;
    buf[n++] = strtod(s + 1, NULL);
  } else {
    if (s[0] == 'A') t.base = VI_T_VECTOR, t.ndims = 1, rows = (int)strtol(s + 1, NULL, 10);
    if (s[0] == 'v') t.base = VI_T_VECTOR;
    else if (s[0] == 'w') t.base = VI_T_ROW_VECTOR;
    else if (s[0] == 'i') t.base = VI_T_INT, t.ndims = 1;
    else if (s[0] == 'a') t.ndims = 1;
    if (s[0] == 'm') {
      t.base = VI_T_MATRIX;
      rows = (int)strtol(s + 1, NULL, 10);
      cols = (int)strtol(strchr(s, 'x') + 1, NULL, 10);
    }
    for (const char *p = strchr(s, ':'); p; p = strchr(p + 1, ':')) buf[n++] = strtod(p + 1, NULL);
  }
  int dims[2] = {n, 0};
  if (t.base == VI_T_MATRIX) dims[0] = rows, dims[1] = cols;
  if (s[0] == 'A') dims[0] = n / rows, dims[1] = rows;
  if (t.base == VI_T_INT) {
    cr_assert_eq(vi_val_new_int(&e->c, v, t, dims), VI_OK);
    for (int i = 0; i < n; i++) v->ix[i] = (int)buf[i];
    return;
  }
  cr_assert_eq(vi_val_new_real(&e->c, v, t, dims), VI_OK);
  for (int i = 0; i < n; i++) v->x[i] = buf[i];
  if (var) v->dx = vi_arena_array(&e->arena, (size_t)n, sizeof(double));
}

/* Calls fn on the ';'-free, ','-separated argument list; returns the status,
 * the value in *y. */
static int call(struct env *e, const char *fn, const char *args, int flags, double *y) {
  const struct vi_func *f = vi_stdlib_lookup(fn);
  cr_assert(f != NULL, "no row %s", fn);
  struct vi_val a[8], out;
  int na = 0;
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", args);
  for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    parse_arg(e, tok, &a[na++]);
  struct vi_srcloc loc = {"model.vim", 3, 5};
  int r = f->impl(&e->c, &out, a, na, flags, loc);
  if (r == VI_OK && y) *y = out.x ? out.x[0] : out.ix[0];
  return r;
}

static double value_of(const char *fn, const char *args, int flags) {
  struct env e;
  env_init(&e, 1);
  double y = NAN;
  int r = call(&e, fn, args, flags, &y);
  cr_assert_eq(r, VI_OK, "%s(%s) failed: %s", fn, args, e.diags.buf ? e.diags.buf : "");
  env_free(&e);
  return y;
}

struct vcase {
  const char *fn, *args;
  double want;
};

/* references: mpmath at 50 digits */
static const struct vcase value_cases[] = {
    {"normal_lpdf", "r0.7,r-0.3,r1.9", -1.6992965745017212574},
    {"normal_lpdf", "v:0.1:-1.2:2.5,v:0.3:0.4:-0.2,r1.7", -6.0597730171603910057},
    {"normal_lpdf", "v:0.1:-1.2:2.5,*v:0.3:0.4:-0.2,*r1.7", -6.0597730171603910057},
    {"normal_lpdf", "a:0.1:-1.2:2.5,v:0.3:0.4:-0.2,v:1.7:1.7:1.7", -6.0597730171603910057},
    {"std_normal_lpdf", "r-1.3", -1.7639385332046727418},
    {"student_t_lpdf", "r1.1,r3.5,r0.4,r2.2", -1.8420900848168198431},
    {"cauchy_lpdf", "r1.3,r-0.5,r0.8", -2.7237085907987920028},
    {"double_exponential_lpdf", "r0.2,r1.1,r1.4", -1.6724765600383010971},
    {"logistic_lpdf", "r0.9,r0.2,r1.3", -1.720284711006581354},
    {"lognormal_lpdf", "r2.1,r0.3,r0.6", -1.4213122217603544836},
    {"exponential_lpdf", "r1.7,r0.8", -1.5831435513142097558},
    {"gamma_lpdf", "r1.4,r2.5,r1.6", -0.84496544242676087975},
    {"inv_gamma_lpdf", "r1.4,r2.5,r1.6", -1.4301837683899683894},
    {"beta_lpdf", "r0.3,r2.2,r3.1", 0.56152877153972346704},
    {"uniform_lpdf", "r0.5,r-1,r2.5", -1.2527629684953679957},
    {"chi_square_lpdf", "r2.3,r3.4", -1.6495061234902683567},
    {"inv_chi_square_lpdf", "r0.8,r3.4", -1.1050549209964748209},
    {"scaled_inv_chi_square_lpdf", "r0.8,r3.4,r1.2", -0.83974339413943239219},
    {"weibull_lpdf", "r1.3,r2.2,r1.7", -0.61831476237760078499},
    {"pareto_lpdf", "r2.7,r1.2,r2.5", -2.1042865816769502349},
    {"gumbel_lpdf", "r1.1,r0.4,r1.5", -1.4992208600478871768},
    {"skew_normal_lpdf", "r0.9,r0.2,r1.4,r-1.5", -2.1717118191855966549},
    {"bernoulli_lpmf", "i1,r0.35", -1.0498221244986776883},
    {"bernoulli_logit_lpmf", "ia:1:0:1,v:0.4:-2.2:-30", -30.618098572168742117},
    {"bernoulli_logit_lpmf", "ia:1:0:1,*v:0.4:-2.2:-30", -30.618098572168742117},
    {"binomial_lpmf", "i3,i10,r0.42", -1.6281001884238274122},
    {"binomial_logit_lpmf", "i3,i10,r-0.7", -1.3443687460725329377},
    {"beta_binomial_lpmf", "i3,i10,r2.2,r3.1", -1.9426340792968023928},
    {"poisson_lpmf", "i4,r2.7", -1.905046738306812059},
    {"poisson_log_lpmf", "i4,r0.9", -2.0376569415048952834},
    {"neg_binomial_lpmf", "i4,r2.5,r1.3", -2.5581732788731716648},
    {"neg_binomial_2_lpmf", "i4,r3.3,r2.5", -2.1598344014790261238},
    {"neg_binomial_2_log_lpmf", "i4,r1.2,r2.5", -2.1580300951106979543},
    {"normal_lcdf", "r0.7,r-0.3,r1.9", -0.35572454874861023956},
    {"normal_lccdf", "r0.7,r-0.3,r1.9", -1.2061939120642276311},
    {"normal_lcdf", "r-30,r0,r1", -454.32124395634319711},
    {"lognormal_lcdf", "r2.1,r0.3,r0.6", -0.26226686187175168476},
    {"lognormal_lccdf", "r2.1,r0.3,r0.6", -1.4666618126487595038},
    {"exponential_lcdf", "r1.7,r0.8", -0.29660277984660558894},
    {"exponential_lccdf", "r1.7,r0.8", -1.36},
    {"cauchy_lcdf", "r1.3,r-0.5,r0.8", -0.14286041725424792367},
    {"cauchy_lccdf", "r1.3,r-0.5,r0.8", -2.0164672026300532613},
    {"logistic_lcdf", "r0.9,r0.2,r1.3", -0.45972945403877592021},
    {"logistic_lccdf", "r0.9,r0.2,r1.3", -0.99819099250031438174},
    {"weibull_lcdf", "r1.3,r2.2,r1.7", -0.85452826397468842761},
    {"weibull_lccdf", "r1.3,r2.2,r1.7", -0.55422708776608534518},
    {"gumbel_lcdf", "r1.1,r0.4,r1.5", -0.6270890852730561282},
    {"gumbel_lccdf", "r1.1,r0.4,r1.5", -0.76387954040809624329},
    {"pareto_lcdf", "r2.7,r1.2,r2.5", -0.14120330986448196123},
    {"pareto_lccdf", "r2.7,r1.2,r2.5", -2.0273255405408219099},
    {"uniform_lcdf", "r0.5,r-1,r2.5", -0.84729786038720361371},
    {"uniform_lccdf", "r0.5,r-1,r2.5", -0.55961578793542268627},
    {"double_exponential_lcdf", "r0.2,r1.1,r1.4", -1.3360043234170881666},
    {"double_exponential_lccdf", "r0.2,r1.1,r1.4", -0.3050235873805860506},
    {"multi_normal_lpdf", "v:0.4:-0.9,v:0.1:0.2,m2x2:2:0.3:0.3:1.5", -2.8449776619838639257},
    {"multi_normal_cholesky_lpdf", "v:0.4:-0.9,v:0.1:0.2,m2x2:1.4142135623730951:0.21213203435596426:0:1.2062338081814819",
     -2.8449776619838639257},
    {"multi_normal_lpdf", "A2:0.4:-0.9:1:0.5,v:0.1:0.2,m2x2:2:0.3:0.3:1.5", -5.42878693908800276551826509419},
    {"multi_normal_cholesky_lpdf",
     "A2:0.4:-0.9:1:0.5,v:0.1:0.2,m2x2:1.4142135623730951:0.21213203435596426:0:1.2062338081814819",
     -5.42878693908800276551826509419},
    {"multi_student_t_lpdf", "v:0.4:-0.9,r4.5,v:0.1:0.2,m2x2:2:0.3:0.3:1.5", -2.9920953091699134644},
    {"dirichlet_lpdf", "v:0.2:0.5:0.3,v:1.5:2:0.7", 0.77179633258495381805},
    {"lkj_corr_lpdf", "m2x2:1:0.35:0.35:1,r1.7", -0.47108460527647676969},
    {"lkj_corr_cholesky_lpdf", "m2x2:1:0.35:0:0.93674969975975964,r1.7", -0.47108460527647676969},
    {"normal_id_glm_lpdf", "v:0.3:-0.5:1.1,m3x2:0.5:-1:0.3:1.2:0.4:-0.7,r0.2,v:0.8:-0.6,r1.3",
     -3.6473403456792132749},
    {"bernoulli_logit_glm_lpmf", "ia:1:0:1,m3x2:0.5:-1:0.3:1.2:0.4:-0.7,r0.2,v:0.8:-0.6",
     -1.4666972157169287194},
    {"poisson_log_glm_lpmf", "ia:2:0:5,m3x2:0.5:-1:0.3:1.2:0.4:-0.7,r0.2,v:0.8:-0.6", -5.1024305771940234604},
    {"categorical_lpmf", "ia:2:1:2,v:0.2:0.5:0.3", -2.9957322735539909934},
    {"categorical_logit_lpmf", "ia:2:3:3,v:0.3:-1.1:0.8", -3.5892850917815572808},
    {"ordered_logistic_lpmf", "ia:1:2:4,r0.2,v:-0.5:0.4:1.3", -4.0136817351766607329},
};

Test(dist_values, every_distribution_matches_its_reference) {
  for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
    const struct vcase *k = &value_cases[i];
    double got = value_of(k->fn, k->args, 0);
    double err = fabs(got - k->want) / fmax(1, fabs(k->want));
    cr_expect(err < 1e-13, "%s(%s) = %.17g, want %.17g", k->fn, k->args, got, k->want);
  }
}

/* ---- every row against R (tests/reference/values.txt) ---- */

/* Splits line at '|' into at most 4 fields (in place); returns the count. */
static int split_fields(char *line, char **f) {
  int n = 0;
  f[n++] = line;
  for (char *p = line; *p && n < 4; p++)
    if (*p == '|') *p = 0, f[n++] = p + 1;
  return n;
}

/* Relative agreement to 12 significant digits (exact for ints, NaN, Inf). */
static int agrees(double got, double want) {
  if (isnan(want)) return isnan(got);
  if (isinf(want) || want == 0) return got == want || fabs(got) < 1e-300;
  return fabs(got - want) <= 1e-12 * fabs(want);
}

/* Checks every line of one reference file; marks the rows it covers. */
static int check_reference_file(const char *name, int *covered) {
  const char *root = getenv("VI_SOURCE_ROOT");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/reference/%s", root ? root : ".", name);
  FILE *fp = fopen(path, "r");
  cr_assert(fp != NULL, "cannot open %s (run from the source root or set VI_SOURCE_ROOT)", path);
  size_t nrows = vi_stdlib_count();
  char line[4096];
  int nlines = 0;
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0]) continue;
    char *f[4];
    cr_assert_eq(split_fields(line, f), 4, "%s: malformed reference line %d", name, nlines + 1);
    nlines++;
    for (size_t k = 0; k < nrows; k++)
      if (strcmp(vi_stdlib_at(k)->name, f[0]) == 0) covered[k] = 1;
    const struct vi_func *fn = vi_stdlib_lookup(f[0]);
    cr_assert(fn != NULL, "no row %s", f[0]);
    struct env e;
    env_init(&e, 1);
    struct vi_val a[8], out;
    int na = 0;
    char args[4096];
    snprintf(args, sizeof args, "%s", f[1]);
    for (char *save = NULL, *tok = strtok_r(args, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
      parse_arg(&e, tok, &a[na++]);
    struct vi_srcloc loc = {"model.vim", 1, 1};
    int r = fn->impl(&e.c, &out, a, na, atoi(f[2]), loc);
    cr_expect_eq(r, VI_OK, "%s(%s) failed: %s", f[0], f[1], e.diags.buf ? e.diags.buf : "");
    if (r == VI_OK) {
      size_t i = 0;
      for (char *save = NULL, *tok = strtok_r(f[3], ":", &save); tok; tok = strtok_r(NULL, ":", &save), i++) {
        double want = strtod(tok, NULL);
        cr_expect(i < out.n, "%s(%s): result has %zu elements, the reference more", f[0], f[1], out.n);
        if (i >= out.n) break;
        double got = vi_val_get(&out, i);
        cr_expect(agrees(got, want), "%s(%s)[%zu] = %.17g, R says %.17g", f[0], f[1], i + 1, got, want);
      }
      cr_expect_eq(i, out.n, "%s(%s): result has %zu elements, the reference %zu", f[0], f[1], out.n, i);
    }
    env_free(&e);
  }
  fclose(fp);
  return nlines;
}

/* values.txt comes from make_values.R (needs mvtnorm), values2.txt from
 * make_values2.R (base R: the functions added after it). */
Test(dist_values, every_row_matches_the_r_reference_values) {
  size_t nrows = vi_stdlib_count();
  int *covered = calloc(nrows, sizeof(int));
  int nlines = check_reference_file("values.txt", covered);
  int nlines2 = check_reference_file("values2.txt", covered);
  /* every row except random number generators has a reference value */
  int missing = 0;
  for (size_t k = 0; k < nrows; k++) {
    const struct vi_func *fn = vi_stdlib_at(k);
    if (fn->flags & VI_FN_RNG) continue;
    cr_expect(covered[k], "row %s has no reference value in tests/reference/values*.txt", fn->name);
    missing += !covered[k];
  }
  free(covered);
  cr_assert_gt(nlines, 250);
  cr_assert_gt(nlines2, 0);
  cr_assert_eq(missing, 0);
}

Test(dist_values, lkj_cholesky_is_lkj_corr_plus_jacobian_for_k3) {
  /* L = cholesky of R = [[1, .3, -.2], [.3, 1, .4], [-.2, .4, 1]]; Jacobian sum_i (K - i) log L_ii */
  double l21 = 0.3, l31 = -0.2, l22 = sqrt(1 - 0.09), l32 = (0.4 - l31 * l21) / l22;
  double l33 = sqrt(1 - l31 * l31 - l32 * l32);
  char a[256], b[256];
  snprintf(a, sizeof a, "m3x3:1:%.17g:%.17g:0:%.17g:%.17g:0:0:%.17g,r2.3", l21, l31, l22, l32, l33);
  snprintf(b, sizeof b, "m3x3:1:0.3:-0.2:0.3:1:0.4:-0.2:0.4:1,r2.3");
  double lc = value_of("lkj_corr_cholesky_lpdf", a, 0), lr = value_of("lkj_corr_lpdf", b, 0);
  cr_assert_float_eq(lc, lr + log(l22), 1e-12);
}

Test(dist_values, lkj_constant_gives_the_volume_of_3x3_correlation_matrices) {
  /* with eta = 1 the density is 1 / volume, volume = pi^2 / 2 */
  double lr = value_of("lkj_corr_lpdf", "m3x3:1:0.3:-0.2:0.3:1:0.4:-0.2:0.4:1,r1", 0);
  cr_assert_float_eq(lr, -log(M_PI * M_PI / 2), 1e-13);
}

/* Reverse sweep of a single call; returns the adjoints of argument k (in the env's arena). */
static double *grad_of(struct env *e, const char *fn, const char *args, int k) {
  const struct vi_func *f = vi_stdlib_lookup(fn);
  struct vi_val a[8], out;
  int na = 0;
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", args);
  for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    parse_arg(e, tok, &a[na++]);
  struct vi_srcloc loc = {"model.vim", 1, 1};
  vi_tape_clear(&e->tape);
  cr_assert_eq(f->impl(&e->c, &out, a, na, 0, loc), VI_OK);
  cr_assert_eq(vi_tape_add_term(&e->tape, vi_val_ref(&out, 0)), VI_OK);
  vi_tape_reverse(&e->tape, NULL, NULL, 0);
  return a[k].dx;
}

Test(dist_values, arrays_of_vectors_sum_their_gradients) {
  struct env e;
  env_init(&e, 1);
  const char *L = "*m2x2:1.4142135623730951:0.21213203435596426:0:1.2062338081814819";
  char both[256], one[256], two[256];
  snprintf(both, sizeof both, "*A2:0.4:-0.9:1:0.5,*v:0.1:0.2,%s", L);
  snprintf(one, sizeof one, "*v:0.4:-0.9,*v:0.1:0.2,%s", L);
  snprintf(two, sizeof two, "*v:1:0.5,*v:0.1:0.2,%s", L);
  for (int k = 1; k <= 2; k++) {
    double *g = grad_of(&e, "multi_normal_cholesky_lpdf", both, k);
    double *g1 = grad_of(&e, "multi_normal_cholesky_lpdf", one, k);
    double *g2 = grad_of(&e, "multi_normal_cholesky_lpdf", two, k);
    for (int i = 0; i < (k == 1 ? 2 : 4); i++)
      cr_expect_float_eq(g[i], g1[i] + g2[i], 1e-12, "argument %d element %d", k + 1, i);
  }
  double *gy = grad_of(&e, "multi_normal_cholesky_lpdf", both, 0);
  double *gy2 = grad_of(&e, "multi_normal_cholesky_lpdf", two, 0);
  cr_expect_float_eq(gy[2], gy2[0], 1e-12);
  cr_expect_float_eq(gy[3], gy2[1], 1e-12);
  env_free(&e);
}

/* ---- propto ---- */

Test(dist_values, propto_drops_constants_of_constant_arguments) {
  /* normal: mu differentiable, sigma constant: drops -log sigma - 0.5 log(2 pi) per element */
  double full = value_of("normal_lpdf", "v:0.1:-1.2:2.5,*v:0.3:0.4:-0.2,r1.7", 0);
  double prop = value_of("normal_lpdf", "v:0.1:-1.2:2.5,*v:0.3:0.4:-0.2,r1.7", VI_CALL_PROPTO);
  cr_assert_float_eq(prop, full + 3 * (log(1.7) + 0.5 * log(2 * M_PI)), 1e-12);
  /* sigma differentiable too: keeps -log sigma */
  double prop2 = value_of("normal_lpdf", "v:0.1:-1.2:2.5,*v:0.3:0.4:-0.2,*r1.7", VI_CALL_PROPTO);
  cr_assert_float_eq(prop2, full + 3 * 0.5 * log(2 * M_PI), 1e-12);
  /* the same through the generic path (vector sigma) */
  double prop3 = value_of("normal_lpdf", "v:0.1:-1.2:2.5,*v:0.3:0.4:-0.2,v:1.7:1.7:1.7", VI_CALL_PROPTO);
  cr_assert_float_eq(prop3, prop, 1e-12);
  /* everything constant: 0 */
  cr_assert_eq(value_of("normal_lpdf", "v:0.1:-1.2:2.5,v:0.3:0.4:-0.2,r1.7", VI_CALL_PROPTO), 0.0);
  /* poisson drops -lgamma(n + 1) */
  double pf = value_of("poisson_lpmf", "i4,*r2.7", 0), pp = value_of("poisson_lpmf", "i4,*r2.7", VI_CALL_PROPTO);
  cr_assert_float_eq(pp, pf + lgamma(5), 1e-12);
  /* gamma with only y differentiable drops alpha log beta - lgamma(alpha) */
  double gf = value_of("gamma_lpdf", "*r1.4,r2.5,r1.6", 0), gp = value_of("gamma_lpdf", "*r1.4,r2.5,r1.6", VI_CALL_PROPTO);
  cr_assert_float_eq(gp, gf - (2.5 * log(1.6) - lgamma(2.5)), 1e-12);
  /* multi_normal_cholesky with a constant L drops -sum log L_ii - K/2 log(2 pi) */
  const char *mnc = "*v:0.4:-0.9,v:0.1:0.2,m2x2:1.4142135623730951:0.21213203435596426:0:1.2062338081814819";
  double mf = value_of("multi_normal_cholesky_lpdf", mnc, 0), mp = value_of("multi_normal_cholesky_lpdf", mnc, VI_CALL_PROPTO);
  cr_assert_float_eq(mp, mf + log(1.4142135623730951) + log(1.2062338081814819) + log(2 * M_PI), 1e-12);
}

/* ---- argument checks ---- */

static void expect_error(const char *fn, const char *args, const char *msg) {
  struct env e;
  env_init(&e, 1);
  int r = call(&e, fn, args, 0, NULL);
  cr_expect_neq(r, VI_OK, "%s(%s) should fail", fn, args);
  cr_expect(e.diags.buf && strstr(e.diags.buf, msg), "%s(%s): got '%s', want '%s'", fn, args,
            e.diags.buf ? e.diags.buf : "", msg);
  cr_expect(e.diags.buf && strstr(e.diags.buf, "model.vim:3:5: error: "), "location missing: %s",
            e.diags.buf ? e.diags.buf : "");
  env_free(&e);
}

Test(dist_values, bad_arguments_are_named) {
  expect_error("normal_lpdf", "r1,r0,r0", "normal_lpdf: scale parameter is 0, must be positive");
  expect_error("normal_lpdf", "r1,*r0,*r-2", "normal_lpdf: scale parameter is -2, must be positive");
  expect_error("normal_lpdf", "v:1:2:3:4,v:0:0:0,r1", "normal_lpdf: size of location (3) does not match size of the variate (4)");
  expect_error("normal_lpdf", "v:1:2:3,*v:0:inf:0,*r1", "normal_lpdf: location parameter[2] is inf, must be finite");
  expect_error("normal_lpdf", "v:1:nan:3,*v:0:0:0,*r1", "normal_lpdf: random variable[2] is nan, must not be nan");
  expect_error("poisson_lpmf", "i-1,r2", "poisson_lpmf: count variate is -1, must be nonnegative");
  expect_error("bernoulli_logit_lpmf", "i2,r0.5", "bernoulli_logit_lpmf: n is 2, must be 0 or 1");
  expect_error("bernoulli_logit_lpmf", "ia:0:1:0,*v:0:nan:1", "logit probability parameter[2] is nan, must not be nan");
  expect_error("binomial_lpmf", "i11,i10,r0.5", "binomial_lpmf: successes variable is 11, must be in the interval [0, 10]");
  expect_error("beta_lpdf", "r1.5,r1,r1", "beta_lpdf: random variable is 1.5, must be in the interval [0, 1]");
  expect_error("uniform_lpdf", "r0,r1,r-1", "uniform_lpdf: upper bound parameter is -1, must be greater than the lower bound 1");
  expect_error("gamma_lpdf", "r1,r-1,r1", "gamma_lpdf: shape parameter is -1, must be positive finite");
  expect_error("neg_binomial_2_lpmf", "i3,r0,r1", "neg_binomial_2_lpmf: location parameter is 0, must be positive finite");
  expect_error("multi_normal_lpdf", "v:0:0,v:0:0,m2x2:1:2:2:1", "multi_normal_lpdf: covariance matrix is not positive definite");
  expect_error("multi_normal_lpdf", "v:0:0,v:0:0,m2x2:1:0.2:0.3:1", "multi_normal_lpdf: covariance matrix is not symmetric");
  expect_error("dirichlet_lpdf", "v:0.5:0.6,v:1:1", "dirichlet_lpdf: probabilities is not a valid simplex");
  expect_error("categorical_lpmf", "i4,v:0.2:0.5:0.3", "categorical_lpmf: outcome is 4, must be in the interval [1, 3]");
  expect_error("ordered_logistic_lpmf", "i1,r0,v:1:0", "ordered_logistic_lpmf: cut-points is not a valid ordered vector");
  expect_error("normal_rng", "r0,r-1", "normal_rng: scale parameter is -1, must be positive finite");
  expect_error("poisson_rng", "v:1:-2", "poisson_rng: rate parameter[2] is -2, must be nonnegative");
}

Test(dist_values, outside_the_support_is_negative_infinity) {
  cr_assert(isinf(value_of("uniform_lpdf", "r3,r-1,r2.5", 0)));
  cr_assert(isinf(value_of("gamma_lpdf", "r-1,r2,r1", 0)));
  cr_assert(isinf(value_of("pareto_lpdf", "r1,r1.2,r2", 0)));
  cr_assert(isinf(value_of("lognormal_lpdf", "r0,r0,r1", 0)));
  cr_assert_eq(value_of("poisson_lpmf", "i0,r0", 0), 0.0);
}

Test(dist_values, empty_vectors_give_zero) {
  cr_assert_eq(value_of("normal_lpdf", "v,r0,r1", 0), 0.0);
  cr_assert_eq(value_of("poisson_lpmf", "ia,r2", 0), 0.0);
}

Test(dist_values, replay_recomputes_with_new_parameter_values) {
  struct env e;
  env_init(&e, 1);
  const struct vi_func *f = vi_stdlib_lookup("normal_lpdf");
  struct vi_val a[3], out;
  parse_arg(&e, "v:0.1:-1.2:2.5", &a[0]);
  parse_arg(&e, "*v:0.3:0.4:-0.2", &a[1]);
  parse_arg(&e, "*r1.7", &a[2]);
  struct vi_srcloc loc = {"model.vim", 1, 1};
  cr_assert_eq(f->impl(&e.c, &out, a, 3, 0, loc), VI_OK);
  a[2].x[0] = -1; /* the replay must check again */
  cr_assert_eq(vi_tape_forward(&e.tape), VI_ERR_EVAL);
  cr_assert(strstr(e.tape.err.msg, "normal_lpdf: scale parameter is -1, must be positive"), "%s", e.tape.err.msg);
  a[2].x[0] = 1.7;
  cr_assert_eq(vi_tape_forward(&e.tape), VI_OK);
  cr_assert_float_eq(out.x[0], -6.0597730171603910057, 1e-13);
  env_free(&e);
}

/* ---- random numbers ---- */

static void draw_stats(const char *fn, const char *args, int n, double *mean, double *var) {
  struct env e;
  env_init(&e, 0);
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) {
    double y;
    struct vi_arena_mark m = vi_arena_save(&e.arena);
    cr_assert_eq(call(&e, fn, args, 0, &y), VI_OK, "%s: %s", fn, e.diags.buf ? e.diags.buf : "");
    vi_arena_restore(&e.arena, m);
    s += y;
    s2 += y * y;
  }
  *mean = s / n;
  *var = s2 / n - *mean * *mean;
  env_free(&e);
}

struct rcase {
  const char *fn, *args;
  double mean, var;
};

Test(dist_values, rng_draws_have_the_right_moments) {
  static const struct rcase rc[] = {
      {"normal_rng", "r1.5,r2", 1.5, 4},
      {"gamma_rng", "r2.5,r2", 1.25, 0.625},
      {"beta_rng", "r2,r3", 0.4, 0.04},
      {"beta_rng", "r0.3,r0.4", 3.0 / 7, 0.12 / (0.49 * 1.7)},
      {"exponential_rng", "r2", 0.5, 0.25},
      {"uniform_rng", "r-1,r3", 1, 16.0 / 12},
      {"student_t_rng", "r5,r1,r2", 1, 4 * 5.0 / 3},
      {"lognormal_rng", "r0.1,r0.5", 1.2523227, 0.4454405},
      {"weibull_rng", "r2,r1.5", 1.3293404, 0.4828},
      {"gumbel_rng", "r1,r2", 1 + 2 * 0.5772156649, 6.5797362674},
      {"double_exponential_rng", "r1,r2", 1, 8},
      {"logistic_rng", "r1,r2", 1, 13.159472535},
      {"chi_square_rng", "r3", 3, 6},
      {"inv_gamma_rng", "r5,r2", 0.5, 0.0833333333},
      {"skew_normal_rng", "r0,r1,r3", 0.7569397566, 0.4270423},
      {"bernoulli_rng", "r0.3", 0.3, 0.21},
      {"bernoulli_logit_rng", "r0", 0.5, 0.25},
      {"binomial_rng", "i10,r0.3", 3, 2.1},
      {"binomial_rng", "i1000,r0.3", 300, 210},
      {"poisson_rng", "r3.5", 3.5, 3.5},
      {"poisson_rng", "r250", 250, 250},
      {"poisson_log_rng", "r1", 2.718281828, 2.718281828},
      {"neg_binomial_2_rng", "r4,r2", 4, 12},
      {"neg_binomial_rng", "r3,r0.5", 6, 18},
      {"beta_binomial_rng", "i10,r2,r3", 4, 6},
      {"categorical_rng", "v:0.2:0.5:0.3", 2.1, 0.49},
      {"categorical_logit_rng", "v:0:0", 1.5, 0.25},
  };
  enum { N = 40000 };
  for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++) {
    double m, v;
    draw_stats(rc[i].fn, rc[i].args, N, &m, &v);
    double se = sqrt(rc[i].var / N);
    cr_expect(fabs(m - rc[i].mean) < 5 * se, "%s(%s): mean %g, want %g", rc[i].fn, rc[i].args, m, rc[i].mean);
    cr_expect(fabs(v - rc[i].var) < 0.1 * rc[i].var, "%s(%s): variance %g, want %g", rc[i].fn, rc[i].args, v, rc[i].var);
  }
}

Test(dist_values, vectorised_rng_returns_an_array) {
  struct env e;
  env_init(&e, 0);
  const struct vi_func *f = vi_stdlib_lookup("normal_rng");
  struct vi_val a[2], out;
  parse_arg(&e, "v:0:100:200", &a[0]);
  parse_arg(&e, "r0.001", &a[1]);
  struct vi_srcloc loc = {"model.vim", 1, 1};
  cr_assert_eq(f->impl(&e.c, &out, a, 2, 0, loc), VI_OK);
  cr_assert_eq(out.t.base, VI_T_REAL);
  cr_assert_eq(out.t.ndims, 1);
  cr_assert_eq(out.n, 3);
  cr_assert_float_eq(out.x[2], 200, 0.01);
  struct vi_type ta[2] = {{VI_T_VECTOR, 0}, {VI_T_REAL, 0}};
  struct vi_type rt = f->rule(ta, 2);
  cr_assert(rt.base == VI_T_REAL && rt.ndims == 1);
  struct vi_type ts[2] = {{VI_T_REAL, 0}, {VI_T_INT, 0}};
  rt = f->rule(ts, 2);
  cr_assert(rt.base == VI_T_REAL && rt.ndims == 0);
  env_free(&e);
}

Test(dist_values, multivariate_rng_have_the_right_shape_and_moments) {
  struct env e;
  env_init(&e, 0);
  struct vi_val a[2], out;
  struct vi_srcloc loc = {"model.vim", 1, 1};
  parse_arg(&e, "v:1:-1", &a[0]);
  parse_arg(&e, "m2x2:2:0.6:0.6:1", &a[1]);
  const struct vi_func *f = vi_stdlib_lookup("multi_normal_rng");
  double s0 = 0, s01 = 0;
  enum { N = 20000 };
  for (int i = 0; i < N; i++) {
    cr_assert_eq(f->impl(&e.c, &out, a, 2, 0, loc), VI_OK);
    s0 += out.x[0];
    s01 += (out.x[0] - 1) * (out.x[1] + 1);
  }
  cr_assert_eq(out.t.base, VI_T_VECTOR);
  cr_assert_eq(out.n, 2);
  cr_expect(fabs(s0 / N - 1) < 0.05, "mean %g", s0 / N);
  cr_expect(fabs(s01 / N - 0.6) < 0.06, "covariance %g", s01 / N);
  /* LKJ(1) correlation draws: unit diagonal, symmetric, off-diagonal mean 0 */
  f = vi_stdlib_lookup("lkj_corr_rng");
  parse_arg(&e, "i3", &a[0]);
  parse_arg(&e, "r1", &a[1]);
  double off = 0;
  for (int i = 0; i < 2000; i++) {
    cr_assert_eq(f->impl(&e.c, &out, a, 2, 0, loc), VI_OK);
    cr_assert_eq(out.x[0], 1.0);
    cr_assert_float_eq(out.x[1], out.x[3], 1e-15);
    off += out.x[1];
  }
  cr_expect(fabs(off / 2000) < 0.05, "mean correlation %g", off / 2000);
  f = vi_stdlib_lookup("dirichlet_rng");
  parse_arg(&e, "v:0.01:0.02:0.03", &a[0]);
  cr_assert_eq(f->impl(&e.c, &out, a, 1, 0, loc), VI_OK);
  cr_assert_float_eq(out.x[0] + out.x[1] + out.x[2], 1, 1e-12);
  env_free(&e);
}

Test(dist_values, rng_without_a_generator_is_an_error) {
  struct env e;
  env_init(&e, 0);
  e.c.rng = NULL;
  int r = call(&e, "normal_rng", "r0,r1", 0, NULL);
  cr_assert_neq(r, VI_OK);
  cr_assert(strstr(e.diags.buf, "normal_rng: random numbers are only available in transformed data and generated quantities"));
  env_free(&e);
}

Test(dist_values, to_int_takes_data_only_and_names_bad_values) {
  struct env e;
  env_init(&e, 1);
  double y = 0;
  cr_assert_eq(call(&e, "to_int", "r-2.7", 0, &y), VI_OK);
  cr_assert_eq(y, -2);
  cr_assert_neq(call(&e, "to_int", "*r1.5", 0, &y), VI_OK);
  cr_assert(e.diags.buf && strstr(e.diags.buf, "to_int: argument must be data"), "%s", e.diags.buf);
  vi_diags_clear(&e.diags);
  cr_assert_neq(call(&e, "to_int", "a:1:nan", 0, &y), VI_OK);
  cr_assert(e.diags.buf && strstr(e.diags.buf, "to_int: argument[2] is nan"), "%s", e.diags.buf);
  env_free(&e);
}

Test(dist_values, far_tails_of_the_cdfs_stay_finite) {
  /* log P(150, 1.3 * 0.001): the probability underflows a double, its log does not */
  double lp = value_of("gamma_lcdf", "r0.001,r150,r1.3", 0);
  cr_assert(isfinite(lp) && lp < -1500, "gamma_lcdf = %g", lp);
  double lt = value_of("student_t_lcdf", "r-40,r10000,r0,r1", 0);
  cr_assert(isfinite(lt) && lt < -700, "student_t_lcdf = %g", lt);
  double ls = value_of("skew_normal_lcdf", "r-2.5,r0,r1,r4", 0);
  cr_assert(isfinite(ls) && ls < -60, "skew_normal_lcdf = %g", ls);
}
