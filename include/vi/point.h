/* point.h: point-estimated parameters (variational EM).
 *
 * A parameter annotated `@point` (or named by `--point NAME`) is optimised,
 * not given a variational distribution: the fit maximises
 *   F(phi, u) = E_{q_phi}[log p(z, u)] + H(q_phi)
 * jointly over the family's parameters phi (the other parameters z) and the
 * point parameters u (unconstrained coordinates, but no log-Jacobian for
 * them, so the optimum is the MAP on the constrained scale as Stan's
 * optimize finds it). `@point(ml)` also drops the parameter's prior terms
 * (vi_point_drop_priors), so F is maximised towards the type-II maximum
 * likelihood. A pinned parameter (`--pin FILE.json`) is held at a given value.
 *
 * With fixed, antithetic, whitened draws, F is deterministic: L-BFGS fits
 * (phi, u) jointly (VI_EM_JOINT), or classic EM sweeps alternate between
 * phi with u fixed and u with phi fixed (VI_EM_ALTERNATE), each sweep
 * non-decreasing in F on the same draws.
 *
 * Example:
 *   vi_model_set_point(m, "tau", VI_POINT_MAP, &d);   // or @point in the model
 *   struct vi_point_options po;  vi_point_options_default(&po);
 *   vi_point_fit(m, &po, &arena, &res, &d);           // res: a vi_advi_result
 *   vi_point_draw(&res, m, seed, S, theta, log_p, log_q, &d);
 */
#ifndef VI_POINT_H
#define VI_POINT_H
#include <stddef.h>
#include <stdint.h>

#include "vi/advi.h"
#include "vi/ast.h"
#include "vi/check.h"

struct vi_model;

/* Removes the prior terms of every @point(ml) parameter P from the model
 * block (called by the loader after checking, before lowering). A prior term
 * is a `P ~ dist(...)` (P bare or indexed by data) or a `dist_lpdf(P | ...)`
 * term of a `target +=` sum, whose other arguments are data. Errors (at the
 * statement) where the prior cannot be separated: such a statement whose
 * arguments depend on parameters; a `~` whose left side is an expression of
 * P or a variable computed from parameters; a `target +=` term that depends
 * on P and is not an lpdf/lpmf call; a call of a user `_lp` function with an
 * argument that depends on parameters. VI_OK or VI_ERR_TYPE. */
int vi_point_drop_priors(struct vi_program *p, const struct vi_symtab *st, struct vi_diags *d);

/* Marks parameter `name` as a point parameter (VI_POINT_MAP; --point) or
 * pinned (VI_POINT_PIN). Before the first evaluation. VI_OK, or VI_ERR_USAGE
 * (unknown name, recorded in d with the names the model has). */
int vi_model_set_point(struct vi_model *m, const char *name, int kind, struct vi_diags *d);

/* Reads constrained values by name from a JSON file (--pin), marks those
 * parameters VI_POINT_PIN and writes their unconstrained values into
 * theta[dim] (other coordinates untouched). Errors name the file and the key
 * (unknown names, wrong shapes, values outside the support or on its
 * boundary): VI_ERR_DATA, VI_ERR_IO or VI_ERR_NOMEM. */
int vi_model_pin_json(struct vi_model *m, const char *path, double *theta, struct vi_diags *d);

/* Per unconstrained coordinate: its enum vi_point_kind (kind[dim]). Returns
 * the number of coordinates that are not VI_POINT_NONE. */
size_t vi_model_point_kinds(const struct vi_model *m, uint8_t *kind);

enum vi_em { VI_EM_JOINT = 0, VI_EM_ALTERNATE };

/* Called after every EM sweep with its number (from 1) and F. */
typedef void (*vi_point_sweep_fn)(void *ctx, int sweep, double elbo);

struct vi_point_options {
  const struct vi_advi_options *advi; /* algorithm (meanfield/dadvi: mean-field q; fullrank, or
                                         auto with <= 100 q coordinates: full rank), iter (L-BFGS
                                         iterations per stage), seed, init, init_radius, draws_start,
                                         draws_max, mc_tol */
  enum vi_em em;
  int max_sweeps;                     /* alternate: at most this many sweeps (500) */
  double grad_tol;                    /* L-BFGS: max |dF/dx| (1e-6) */
  const double *pinned;               /* dim values: unconstrained values of pinned coordinates */
  vi_point_sweep_fn on_sweep;         /* may be NULL */
  void *sweep_ctx;
};
void vi_point_options_default(struct vi_point_options *o, const struct vi_advi_options *advi);

/* Fits q and the point parameters of m. res as vi_advi_fit fills it:
 * algorithm VI_ALGO_MEANFIELD (omega = log sd; -inf at point and pinned
 * coordinates) or VI_ALGO_FULLRANK (L; zero rows and columns there),
 * optimizer lbfgs, mu = the means and the point values, elbo = F.
 * VI_ADVI_ERROR with d on failure. Deterministic given the seed. */
enum vi_advi_stop vi_point_fit(struct vi_model *m, const struct vi_point_options *o, struct vi_arena *arena,
                               struct vi_advi_result *res, struct vi_diags *d);

/* S draws from q with the point coordinates at their values (theta S x dim);
 * log_q is q's log density over the other coordinates, log_p the model's
 * (either may be NULL). VI_OK or VI_ERR_NOMEM. */
int vi_point_draw(const struct vi_advi_result *res, const struct vi_model *m, struct vi_model *eval, uint64_t seed,
                  size_t S, double *theta, double *log_p, double *log_q, struct vi_diags *d);

#endif
