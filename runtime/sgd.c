/* sgd.c: Stan-compatible stochastic ADVI (CmdStan's `variational`) and
 * Adam on the same reparameterised gradients (see docs/fitting.md). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit.h"
#include "vi/family.h"
#include "vi/optim.h"

enum { STAN_N_RETRIES = 10 };

/* ---------------------------------------------------------------------------
 * Stan-compatible stochastic ADVI: the family's parameters phi (Stan's
 * meanfield or fullrank row of the family table) moved by a stochastic
 * optimiser (optim.h) from reparameterised gradients, with Stan's eta
 * adaptation and stopping rule. */

/* One draw theta = T(eta; phi) with eta standard normal from the fit's rng. */
static void stan_sample(struct vi_fit *f, const struct vi_q *q) {
  for (size_t i = 0; i < q->noise; i++) f->eta[i] = vi_rng_normal(&f->rng);
  vi_q_draw(q, f->eta, f->zeta);
}

/* Monte Carlo ELBO with elbo_samples draws; failed draws are redrawn, and
 * the estimate fails (returns -1) once elbo_samples draws have failed. */
static int stan_elbo(struct vi_fit *f, const struct vi_q *q, double *elbo) {
  int n = f->o->elbo_samples, dropped = 0;
  double sum = 0, lp;
  for (int i = 0; i < n;) {
    stan_sample(f, q);
    if (vi_fit_density_value(f, f->zeta, &lp) == 0) { /* as Stan: the value only */
      sum += lp;
      i++;
    } else if (++dropped >= n) {
      return -1;
    }
  }
  *elbo = sum / n + q->fam->entropy(q);
  return 0;
}

/* Reparameterisation gradient of the ELBO with grad_samples draws; fails
 * (returns -1) after STAN_N_RETRIES * grad_samples failed draws. */
static int stan_grad(struct vi_fit *f, const struct vi_q *q, double *out) {
  int n = f->o->grad_samples, dropped = 0;
  memset(out, 0, q->npar * sizeof *out);
  double lp;
  for (int i = 0; i < n;) {
    stan_sample(f, q);
    if (vi_fit_density(f, f->zeta, &lp, f->g) != 0) {
      if (++dropped >= STAN_N_RETRIES * n) return -1;
      continue;
    }
    if (f->o->estimator == VI_EST_STL) { /* path derivative of log p - log q */
      q->fam->score(q, f->eta, f->gq);
      for (size_t k = 0; k < q->dim; k++) f->g[k] -= f->gq[k];
    }
    vi_q_pull(q, f->eta, f->g, out);
    i++;
  }
  vi_q_finish(q, n, out);
  if (f->o->estimator == VI_EST_STL) q->fam->entropy_grad_sub(q, out);
  return 0;
}

/* Stan's heuristic grid search for eta. Returns 0 and *eta_out, 1 when
 * cancelled, -1 on failure (recorded). */
static int stan_adapt_eta(struct vi_fit *f, struct vi_q *q, double *grad, double *hist,
                          double *eta_out) {
  static const double seq[5] = {100, 10, 1, 0.1, 0.01};
  double elbo_init, elbo = -DBL_MAX, elbo_best = -DBL_MAX, eta_best = 0;
  double *par = q->phi;
  if (stan_elbo(f, q, &elbo_init) != 0) {
    vi_error(f->d, vi_fit_noloc(),
             "cannot compute the ELBO using the initial variational distribution; the "
             "model may be severely ill-conditioned or misspecified");
    vi_fit_reason(f->res, "cannot compute the ELBO at the initial approximation");
    return -1;
  }
  memset(hist, 0, q->npar * sizeof *hist);
  for (int idx = 0; idx < 5; idx++) {
    double eta = seq[idx];
    for (int it = 1; it <= f->o->adapt_iter; it++) {
      if (vi_fit_cancelled(f)) return 1;
      if (stan_grad(f, q, grad) != 0) memset(grad, 0, q->npar * sizeof *grad);
      vi_sgd_step(q->npar, par, grad, hist, it == 1, eta / sqrt((double)it));
    }
    if (!vi_fit_all_finite(par, q->npar) || stan_elbo(f, q, &elbo) != 0) elbo = -DBL_MAX;
    int done = 0;
    if (elbo < elbo_best && elbo_best > elbo_init) {
      done = 1;
    } else if (idx < 4) {
      elbo_best = elbo;
      eta_best = eta;
    } else if (elbo > elbo_init) {
      eta_best = eta;
      done = 1;
    } else {
      vi_error(f->d, vi_fit_noloc(),
               "eta adaptation: all proposed step sizes failed; the model may be severely "
               "ill-conditioned or misspecified");
      vi_fit_reason(f->res, "all proposed step sizes failed during eta adaptation");
      return -1;
    }
    if (!done) memset(hist, 0, q->npar * sizeof *hist);
    q->fam->reset(q, f->init);
    if (done) break;
  }
  *eta_out = eta_best;
  return 0;
}

enum vi_advi_stop vi_fit_stan(struct vi_fit *f) {
  const struct vi_advi_options *o = f->o;
  struct vi_advi_result *res = f->res;
  size_t d = f->dim;
  enum vi_family_id fam =
      o->algorithm == VI_ALGO_FULLRANK ? VI_FAMILY_FULLRANK : VI_FAMILY_MEANFIELD;
  size_t npar = vi_family_nparams(fam, d, 0);
  if (npar == (size_t)-1) goto nomem;
  double *par = vi_arena_array(f->work, npar, sizeof *par);
  double *grad = vi_arena_array(f->work, npar, sizeof *grad);
  double *hist = vi_arena_array(f->work, npar, sizeof *hist);
  double *hist2 = vi_arena_array(f->work, npar, sizeof *hist2);
  int cb_size = (int)fmax(0.1 * o->iter / o->eval_elbo, 2.0);
  double *cb = vi_arena_array(f->work, (size_t)cb_size, sizeof *cb);
  double *cb_tmp = vi_arena_array(f->work, (size_t)cb_size, sizeof *cb);
  if (!par || !grad || !hist || !hist2 || !cb || !cb_tmp) goto nomem;
  int adam = f->res->optimizer == VI_OPT_ADAM;
  struct vi_adam ad = {.n = npar, .lr = o->lr, .m = hist, .v = hist2};
  struct vi_q q;
  vi_q_init(&q, fam, d, 0, par, NULL);
  struct vi_relstop rs = {cb_size, 0, 0, cb, cb_tmp};
  vi_rng_seed(&f->rng, o->seed, STREAM_FIT);
  q.fam->reset(&q, f->init);

  double eta = adam ? o->lr : o->eta;
  if (o->adapt_engaged && !adam) {
    int rc = stan_adapt_eta(f, &q, grad, hist, &eta);
    if (rc < 0) return VI_ADVI_ERROR;
    if (rc > 0) {
      res->stop = VI_ADVI_INTERRUPTED;
      vi_fit_reason(res, "interrupted during eta adaptation");
      goto out;
    }
  }
  res->eta = eta;
  memset(hist, 0, npar * sizeof *hist);
  if (adam) vi_adam_init(&ad);

  double elbo = 0, elbo_best = -DBL_MAX;
  res->stop = VI_ADVI_MAX_ITER;
  for (int it = 1;; it++) {
    if (vi_fit_cancelled(f)) {
      res->stop = VI_ADVI_INTERRUPTED;
      vi_fit_reason(res, "interrupted at iteration %d", it - 1);
      break;
    }
    if (stan_grad(f, &q, grad) != 0) {
      vi_error(f->d, vi_fit_noloc(),
               "iteration %d: the number of dropped evaluations has reached its maximum "
               "(%d); the model may be severely ill-conditioned or misspecified",
               it, STAN_N_RETRIES * o->grad_samples);
      vi_fit_reason(res, "too many draws with a non-finite log density");
      return VI_ADVI_ERROR;
    }
    if (adam) vi_adam_step(&ad, par, grad);
    else vi_sgd_step(npar, par, grad, hist, it == 1, eta / sqrt((double)it));
    res->iterations = it;
    if (!vi_fit_all_finite(par, npar)) {
      vi_error(f->d, vi_fit_noloc(),
               "iteration %d: the variational parameters became non-finite (the "
               "optimisation diverged); try a smaller %s",
               it, adam ? "--lr" : "--eta");
      vi_fit_reason(res, "stochastic gradient ascent diverged");
      return VI_ADVI_ERROR;
    }
    int stop = 0;
    if (it % o->eval_elbo == 0) {
      double prev = elbo;
      if (stan_elbo(f, &q, &elbo) != 0) {
        vi_error(f->d, vi_fit_noloc(),
                 "iteration %d: the number of dropped evaluations in the ELBO has reached "
                 "its maximum (%d); the model may be severely ill-conditioned or "
                 "misspecified",
                 it, o->elbo_samples);
        vi_fit_reason(res, "too many draws with a non-finite log density");
        return VI_ADVI_ERROR;
      }
      if (elbo > elbo_best) elbo_best = elbo;
      double rel = fabs((prev - elbo) / elbo);
      int rule = vi_relstop_push(&rs, rel, o->tol_rel_obj);
      res->elbo = elbo;
      if (o->progress) o->progress(o->progress_ctx, it, elbo, rel);
      vi_fit_trace_push(f, it, elbo, 0, o->algorithm);
      if (rule) {
        stop = 1;
        res->stop = VI_ADVI_CONVERGED;
        int n = snprintf(res->reason, sizeof res->reason,
                         "%s relative ELBO change below tol_rel_obj = %g at iteration %d",
                         rule == 1 ? "mean" : "median", o->tol_rel_obj, it);
        if (fabs((elbo_best - elbo) / elbo_best) > 0.05 && n > 0 &&
            (size_t)n < sizeof res->reason)
          snprintf(res->reason + n, sizeof res->reason - (size_t)n,
                   " (but a previous ELBO was larger: it may not be a good optimum)");
      }
    }
    if (!stop && it >= o->iter) {
      vi_fit_reason(res,
                 "reached the maximum of %d iterations without the relative ELBO change "
                 "falling below tol_rel_obj = %g",
                 o->iter, o->tol_rel_obj);
      stop = 1;
    }
    if (stop) break;
  }
out:
  memcpy(res->mu, par, d * sizeof *par);
  if (fam == VI_FAMILY_FULLRANK) memcpy(res->L, par + d, d * d * sizeof *par);
  else memcpy(res->omega, par + d, d * sizeof *par);
  if (res->stop == VI_ADVI_INTERRUPTED || !isfinite(res->elbo) || res->elbo == 0) {
    double e;
    if (stan_elbo(f, &q, &e) == 0) res->elbo = e;
  }
  return res->stop;
nomem:
  vi_error(f->d, vi_fit_noloc(), "out of memory for the variational parameters (dimension %zu)", d);
  vi_fit_reason(res, "out of memory");
  return VI_ADVI_ERROR;
}

