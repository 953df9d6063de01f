/* auto.c: the default algorithm's policy (`auto`): which fits run, within
 * which budget, and which is reported (see docs/fitting.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit.h"

/* the default refines to full rank up to this many parameters and numbers
 * touched per gradient (vi_advi_options.work) */
enum { AUTO_FR_MAX_DIM = 100, AUTO_FR_MAX_DRAWS = 512, AUTO_FR_MAX_ITER = 500 };
#define AUTO_FR_MAX_WORK 200000
/* ... and above AUTO_FR_MAX_DIM, to low rank within this budget */
enum { AUTO_LR_MAX_DRAWS = 2048, AUTO_LR_MAX_ITER = 300 };
#define AUTO_LR_MAX_NUMBERS 2e9
/* ... and when the verdict says the Gaussian is poor, escalate to full rank
 * up to this many parameters and numbers per gradient; the verdict from
 * AUTO_CHECK_DRAWS draws */
enum { AUTO_ESC_FR_MAX_DIM = 300, AUTO_ESC_FR_MAX_DRAWS = 1024, AUTO_CHECK_DRAWS = 256 };
#define AUTO_ESC_FR_MAX_WORK 1000000

/* ---------------------------------------------------------------------------
 * The default (`auto`): dadvi, then, for a small and cheap model, the
 * full-rank family started from it (vi_fit_fullrank), reported when it
 * converged. The full-rank Gaussian contains the mean-field one, so its ELBO
 * is at least as large; it corrects the mean-field bias of the means of
 * correlated, non-Gaussian posteriors (latent Gaussian processes, hidden
 * Markov models), and costs a few thousand more gradients. */

/* auto above AUTO_FR_MAX_DIM parameters: the low-rank family started from
 * the dadvi fit in *f->res, within a budget of AUTO_LR_MAX_NUMBERS numbers
 * touched (gradient evaluations times the model's work per gradient), at
 * most AUTO_LR_MAX_DRAWS draws and AUTO_LR_MAX_ITER L-BFGS iterations per
 * stage. Reported when it converged with an ELBO above dadvi's. */
static enum vi_advi_stop auto_lowrank(struct vi_fit *f, enum vi_advi_stop st, size_t work) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  double per = (double)(work > d ? work : d);
  struct vi_advi_result lr;
  memset(&lr, 0, sizeof lr);
  lr.mu = vi_arena_array(f->arena, d, sizeof *lr.mu);
  lr.omega = vi_arena_array(f->arena, d, sizeof *lr.omega);
  lr.mc_change = NAN;
  lr.iterations = res->iterations;
  if (!lr.mu || !lr.omega) return st;
  struct vi_advi_options lo = *o;
  lo.algorithm = VI_ALGO_LOWRANK;
  /* the draws: AUTO_LR_MAX_DRAWS, or for small models two doublings beyond
   * the first (whitened) set */
  size_t nz = d + vi_advi_lowrank_rank(d, o->rank, work);
  int cap = nz <= DADVI_WHITEN_MAX_DIM ? (int)(4 * nz) : AUTO_LR_MAX_DRAWS;
  if (cap < AUTO_LR_MAX_DRAWS) cap = AUTO_LR_MAX_DRAWS;
  if (lo.draws_max > cap) lo.draws_max = cap;
  if (lo.iter > AUTO_LR_MAX_ITER) lo.iter = AUTO_LR_MAX_ITER;
  struct vi_diags quiet;
  vi_diags_init(&quiet);
  struct vi_fit lf = *f;
  lf.o = &lo;
  lf.res = &lr;
  lf.d = &quiet;
  lf.eval_budget = (long)fmax(1, AUTO_LR_MAX_NUMBERS / per);
  enum vi_advi_stop lst = vi_fit_lowrank(&lf, res);
  vi_diags_free(&quiet);
  res->grad_evals += lr.grad_evals;
  res->iterations = lr.iterations;
  if (lst == VI_ADVI_INTERRUPTED && vi_fit_cancelled(f)) {
    vi_fit_reason(res, "interrupted while refining to the low-rank family (the mean-field fit "
                    "is reported)");
    return VI_ADVI_INTERRUPTED;
  }
  /* reported when it converged with a higher ELBO than the Gaussian dadvi
   * reports. dadvi's is its linear-response covariance when that fits
   * better than mean-field (dense up to 200 parameters, Lanczos above), so
   * an unconverged low-rank fit (its Monte Carlo rule not met, or stopped
   * at the budget) is not needed to correct the sds, and a converged
   * dadvi answer is not traded for one that did not converge; a mean-field
   * dadvi answer (no usable linear response) is still replaced by an
   * unconverged low-rank fit with a higher ELBO, the header saying so */
  double elbo0 = res->lr_cov ? res->lr_elbo : res->elbo; /* of the q dadvi reports */
  int usable = lst == VI_ADVI_CONVERGED ||
               (!res->lr_cov && (lst == VI_ADVI_MAX_ITER || lst == VI_ADVI_INTERRUPTED));
  int higher = vi_fit_all_finite(lr.mu, d) && vi_fit_all_finite(lr.omega, d) && isfinite(lr.elbo) &&
               lr.elbo > elbo0;
  int ok = usable && higher;
  vi_fit_fits_add(res, "lowrank (rank %d%s%s)", lr.rank,
           lst == VI_ADVI_INTERRUPTED ? ", stopped at its budget"
           : lst != VI_ADVI_CONVERGED ? ", not converged"
                                      : "",
           ok ? "" : !higher ? ", lower ELBO" : ", not reported");
  if (!ok) return st;
  res->algorithm = VI_ALGO_LOWRANK;
  res->mu = lr.mu;
  res->omega = lr.omega;
  res->B = lr.B;
  res->rank = lr.rank;
  res->L = NULL;
  res->lr_cov = 0;
  res->elbo = lr.elbo;
  res->draws_m = lr.draws_m;
  res->mc_change = lr.mc_change;
  if (lst == VI_ADVI_INTERRUPTED)
    snprintf(res->reason, sizeof res->reason,
             "the low-rank fit stopped at auto's budget of %.0e numbers touched (%ld gradients) "
             "with a higher ELBO than dadvi's; run --algorithm lowrank to let it finish",
             AUTO_LR_MAX_NUMBERS, lr.grad_evals);
  else
    snprintf(res->reason, sizeof res->reason, "%s", lr.reason);
  return lst == VI_ADVI_CONVERGED ? VI_ADVI_CONVERGED : VI_ADVI_MAX_ITER;
}

/* The full-rank family started from the Gaussian *f->res reports, within
 * max_draws draws and max_iter L-BFGS iterations per stage; reported when
 * it converged (and, for an escalation, with a higher ELBO). why: what led to it for res->fits, or
 * NULL. */
static enum vi_advi_stop auto_fullrank(struct vi_fit *f, enum vi_advi_stop st, int max_draws,
                                       int max_iter, const char *why) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  double *C = vi_arena_array(f->work, d * d, sizeof *C);
  struct vi_advi_result fr;
  memset(&fr, 0, sizeof fr);
  fr.mu = vi_arena_array(f->arena, d, sizeof *fr.mu);
  fr.L = vi_arena_array(f->arena, d * d, sizeof *fr.L);
  fr.mc_change = NAN;
  fr.iterations = res->iterations; /* the progress line counts on */
  if (!C || !fr.mu || !fr.L) return st; /* keep the answer we have */
  vi_fit_dadvi_factor(res, d, C);
  if (res->L && !res->lr_cov) memcpy(C, res->L, d * d * sizeof *C); /* a full-rank fit */
  struct vi_advi_options fo = *o;
  fo.algorithm = VI_ALGO_FULLRANK;
  if (fo.draws_max > max_draws) fo.draws_max = max_draws;
  if (fo.iter > max_iter) fo.iter = max_iter;
  struct vi_diags quiet;
  vi_diags_init(&quiet);
  struct vi_fit ff = *f;
  ff.o = &fo;
  ff.res = &fr;
  ff.d = &quiet;
  enum vi_advi_stop fst = vi_fit_fullrank(&ff, res->mu, C);
  vi_diags_free(&quiet);
  res->grad_evals += fr.grad_evals;
  res->iterations = fr.iterations;
  if (fst == VI_ADVI_INTERRUPTED) {
    vi_fit_reason(res, "interrupted while refining to the full-rank family (the %s fit is "
                    "reported)", vi_algo_name(res->algorithm));
    return VI_ADVI_INTERRUPTED;
  }
  double elbo0 = res->lr_cov ? res->lr_elbo : res->elbo;
  /* the first refinement (why NULL) is reported whenever it converged, as
   * full rank contains the Gaussian dadvi reports (their ELBOs differ only
   * by the fixed draws'); an escalation must also do better */
  int higher = vi_fit_all_finite(fr.mu, d) && vi_fit_all_finite(fr.L, d * d) && isfinite(fr.elbo) &&
               (!why || fr.elbo > elbo0);
  int ok = fst == VI_ADVI_CONVERGED && higher;
  const char *how = fst != VI_ADVI_CONVERGED ? "not converged within its budget"
                    : !higher                ? "lower ELBO"
                                             : NULL;
  if (why && how) vi_fit_fits_add(res, "fullrank (%s; %s)", why, how);
  else if (why || how) vi_fit_fits_add(res, "fullrank (%s)", why ? why : how);
  else vi_fit_fits_add(res, "fullrank");
  if (!ok) return st;
  res->algorithm = VI_ALGO_FULLRANK;
  res->mu = fr.mu;
  res->L = fr.L;
  res->B = NULL;
  res->lr_cov = 0;
  res->elbo = fr.elbo;
  res->draws_m = fr.draws_m;
  res->mc_change = fr.mc_change;
  snprintf(res->reason, sizeof res->reason, "%s", fr.reason);
  return VI_ADVI_CONVERGED;
}

/* The verdict (psis.c) on AUTO_CHECK_DRAWS draws of the Gaussian *f->res
 * reports. */
static enum vi_verdict auto_verdict(struct vi_fit *f) {
  size_t d = f->dim, S = AUTO_CHECK_DRAWS;
  struct vi_arena_mark mk = vi_arena_save(f->work);
  double *th = vi_arena_array(f->work, S * d, sizeof *th);
  double *lp = vi_arena_array(f->work, S, sizeof *lp);
  double *lq = vi_arena_array(f->work, S, sizeof *lq);
  struct vi_psis_check chk = {.verdict = VI_VERDICT_UNKNOWN};
  struct vi_diags quiet;
  vi_diags_init(&quiet);
  if (th && lp && lq && vi_advi_draw(f->res, f->den, f->o->seed + 1, S, th, lp, lq, &quiet) == VI_OK)
    vi_psis_check(th, S, d, lp, lq, &chk);
  vi_diags_free(&quiet);
  f->res->grad_evals += (long)S;
  vi_arena_restore(f->work, mk);
  return chk.verdict;
}

/* The escalation ladder: when the verdict on the reported Gaussian is
 * "unreliable", auto runs the next richer fit that the model affords, in
 * order, each reported only when it converged with a higher ELBO. A flow
 * (--algorithm flow, started from the best Gaussian) is one more row after
 * fullrank: its `affords` says when it fits auto's budget, its `run` fits it
 * from *f->res and replaces the reported fit as auto_fullrank does. */
struct auto_step {
  const char *name;
  int (*affords)(const struct vi_fit *f, size_t work);
  enum vi_advi_stop (*run)(struct vi_fit *f, enum vi_advi_stop st);
};

static int esc_fullrank_affords(const struct vi_fit *f, size_t work) {
  return !strstr(f->res->fits, "fullrank") && f->dim <= AUTO_ESC_FR_MAX_DIM &&
         work <= AUTO_ESC_FR_MAX_WORK;
}

static enum vi_advi_stop esc_fullrank(struct vi_fit *f, enum vi_advi_stop st) {
  return auto_fullrank(f, st, AUTO_ESC_FR_MAX_DRAWS, AUTO_FR_MAX_ITER, "verdict unreliable");
}

static const struct auto_step auto_ladder[] = {
    {"fullrank", esc_fullrank_affords, esc_fullrank},
};

/* The default: dadvi (with its linear-response covariance), then the
 * richest Gaussian the model affords: full rank up to AUTO_FR_MAX_DIM
 * parameters and AUTO_FR_MAX_WORK numbers per gradient, or with more draws
 * up to AUTO_ESC_FR_MAX_DIM and AUTO_ESC_FR_MAX_WORK (on the bench/hard
 * cases of 100-300 parameters it was as accurate as low rank and faster),
 * else low rank plus diagonal above AUTO_FR_MAX_DIM; then the ladder while
 * the verdict says the Gaussian is poor. res->fits lists every fit that
 * ran. */
enum vi_advi_stop vi_fit_auto(struct vi_fit *f) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  enum vi_advi_stop st = vi_fit_dadvi(f);
  res->algorithm = VI_ALGO_DADVI;
  snprintf(res->fits, sizeof res->fits, "dadvi");
  if (st != VI_ADVI_CONVERGED && st != VI_ADVI_MAX_ITER) return st;
  if (d == 0 || !vi_fit_all_finite(res->mu, d)) return st;
  size_t work = o->work ? o->work(o->work_ctx) : 0;
  if (d <= AUTO_FR_MAX_DIM && work <= AUTO_FR_MAX_WORK)
    st = auto_fullrank(f, st, AUTO_FR_MAX_DRAWS, AUTO_FR_MAX_ITER, NULL);
  else if (d <= AUTO_ESC_FR_MAX_DIM && work <= AUTO_ESC_FR_MAX_WORK)
    st = auto_fullrank(f, st, AUTO_ESC_FR_MAX_DRAWS, AUTO_FR_MAX_ITER, NULL);
  /* above AUTO_FR_MAX_DIM, low rank when full rank did not run or did not
   * converge within its budget (bench/hard/irt2pl: dadvi's max z 1.4,
   * low rank's 0.4) */
  if (d > AUTO_FR_MAX_DIM && res->algorithm == VI_ALGO_DADVI && st != VI_ADVI_INTERRUPTED)
    st = auto_lowrank(f, st, work);
  for (size_t i = 0; i < sizeof auto_ladder / sizeof *auto_ladder; i++) {
    if (st == VI_ADVI_INTERRUPTED || st == VI_ADVI_ERROR || vi_fit_cancelled(f)) break;
    if (!auto_ladder[i].affords(f, work)) continue;
    enum vi_verdict v = auto_verdict(f);
    if (v != VI_VERDICT_UNRELIABLE) break;
    st = auto_ladder[i].run(f, st);
  }
  return st;
}

