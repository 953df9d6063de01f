/* fit.h (private to runtime/): the state one variational fit shares
 * between its modules, advi.c (options, initial values, the fixed-draw
 * fits: dadvi, full rank, low rank, linear response), sgd.c (Stan's
 * stochastic ADVI and Adam) and auto.c (the default's policy). */
#ifndef VI_FIT_H
#define VI_FIT_H
#include <math.h>
#include <stddef.h>

#include "vi/advi.h"
#include "vi/rng.h"

enum { STREAM_INIT = 0, STREAM_FIT = 1, STREAM_RESTART = 100 }; /* rng streams of the fits (restart k: 100 + k) */
enum { DADVI_WHITEN_MAX_DIM = 200 }; /* whiten the fixed draws (a dim x dim factor) up to this */

/* State shared by every phase of one fit. */
struct vi_fit {
  const struct vi_density *den;
  const struct vi_advi_options *o;
  struct vi_advi_result *res;
  struct vi_diags *d;
  struct vi_arena *arena; /* the caller's: arrays of the result */
  struct vi_arena *work; /* temporaries, freed when the fit returns */
  struct vi_rng rng;
  size_t dim;
  double *init;          /* dim: initial mu */
  double *zeta, *eta, *g, *gq; /* dim scratch */
  long eval_budget;       /* > 0: L-BFGS stops (as cancelled) after this many evaluations */
  struct vi_advi_trace *trace; /* the caller's result's, shared by pilot and refinement fits */
  int restart;            /* auto's restarts from other initial values: 0 the first fit */
};

static inline struct vi_srcloc vi_fit_noloc(void) { return (struct vi_srcloc){NULL, 0, 0}; }

static inline int vi_fit_cancelled(const struct vi_fit *f) { return f->o->cancel && *f->o->cancel; }

static inline int vi_fit_all_finite(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* Records one point of the objective's trace (advi.h: struct vi_advi_trace);
 * a fit whose counter starts again (a pilot's) is placed after the last. */
void vi_fit_trace_push(struct vi_fit *f, int iter, double elbo, int m, enum vi_algo which);
/* The reported fit's final ELBO as the trace's last point. */
void vi_fit_trace_end(struct vi_fit *f);
/* The log density alone (no reverse sweep); 0 when it is finite. */
int vi_fit_density_value(struct vi_fit *f, const double *theta, double *lp);
/* One density evaluation; 0 when lp and every partial are finite. */
int vi_fit_density(struct vi_fit *f, const double *theta, double *lp, double *grad);
/* printf into res->reason; append ", " and the text to res->fits */
void vi_fit_reason(struct vi_advi_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vi_fit_fits_add(struct vi_advi_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* C = the Cholesky factor of the covariance a dadvi fit reports */
void vi_fit_dadvi_factor(const struct vi_advi_result *pr, size_t d, double *C);

/* The fits, each into f->res (see advi.c, sgd.c, auto.c). fullrank: a0, C0
 * a fit to start from (mean, Cholesky factor) or NULL for a dadvi pilot;
 * lowrank: pilot a dadvi fit to start from, or NULL. */
enum vi_advi_stop vi_fit_dadvi(struct vi_fit *f);
enum vi_advi_stop vi_fit_fullrank(struct vi_fit *f, const double *a0, const double *C0);
enum vi_advi_stop vi_fit_lowrank(struct vi_fit *f, const struct vi_advi_result *pilot);
enum vi_advi_stop vi_fit_stan(struct vi_fit *f);
enum vi_advi_stop vi_fit_auto(struct vi_fit *f);

#endif
