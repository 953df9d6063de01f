/* flow.h: normalizing flows on the unconstrained space, on top of a Gaussian
 * base fit. A draw is
 *
 *   theta = mu + L f(eta),   f = f_K o ... o f_1,   eta ~ N(0, I_d),
 *
 * with (mu, L) the best Gaussian fit (held fixed; L lower triangular, or a
 * diagonal) and each layer an elementwise affine map whose log scale and
 * shift depend on the other coordinates through a masked one-hidden-layer
 * network:
 *
 *   h_k  = tanh(b1_k + sum_j Min_kj W1_kj x_j)                  (H hidden units)
 *   ls_i = om_i SMAX tanh((bs_i + sum_k Mout_ik Ws_ik h_k + sum_j S_ij Vs_ij x_j) / SMAX)
 *   t_i  = om_i (bt_i + sum_k Mout_ik Wt_ik h_k)
 *   y_i  = x_i exp(ls_i) + t_i,       log |det dy/dx| = sum_i ls_i
 *
 * The masks come from degrees: input j has degree din_j, hidden unit k
 * degree dh_k; Min_kj = [din_j <= dh_k], Mout_ik = [din_i > dh_k], so ls_i
 * and t_i depend only on inputs of lower degree and the Jacobian is
 * triangular (in degree order) with diagonal exp(ls). S_ij = [din_j < din_i]
 * is a linear skip into the log scale (dim <= VI_FLOW_SKIP_MAX_DIM; else
 * Vs is absent): tanh units saturate, and without it a layer's log scale
 * is constant far out, so it cannot follow a conditional scale that keeps
 * shrinking (beta | alpha of the banana, x | v of the funnel).
 *   VI_FLOW_COUPLING (RealNVP, Dinh et al. 2017): din is 0 on the half of the
 *     coordinates that condition (om = 0: passed through) and 1 on the half
 *     that is transformed; dh = 0. Layers come in pairs over a random
 *     permutation: the second of a pair transforms the first's conditioning
 *     half.
 *   VI_FLOW_IAF (inverse autoregressive, Kingma et al. 2016, with a MADE
 *     conditioner, Germain et al. 2015): din is a random ordering 1..d
 *     (reversed on every other layer), dh_k cycles through 1..d-1; om = 1.
 * The log scale is bounded (SMAX tanh(./SMAX), SMAX = VI_FLOW_SMAX) so a
 * layer cannot blow up in one step, and with the output weights and biases
 * zero (the initial state) every layer is the identity: the flow starts as
 * the Gaussian fit.
 *
 * Why not a vi_family row: a family's log_det does not depend on eta
 * (vi_family.log_det takes only q), and the fixed-draw L-BFGS fits the
 * families serve do not suit a network. The flow keeps its own small
 * interface beside the families: draw, log q at a draw and at any theta
 * (through the inverse), and the pullback of d log p / d theta to the
 * flow's parameters (reparameterised, or sticking the landing).
 *
 * phi layout, per layer (P = 3 d H + H + 2 d (+ d^2) values, layers one after the
 * other): W1[H][d], b1[H], Ws[d][H], bs[d], Wt[d][H], bt[d], then Vs[d][d]
 * with the skip (row-major).
 * Masked entries are stored but never used (their gradient is 0).
 */
#ifndef VI_FLOW_H
#define VI_FLOW_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vi/advi.h"
#include "vi/arena.h"

#define VI_FLOW_SMAX 3.0
#define VI_FLOW_SKIP_MAX_DIM 100

enum vi_flow_kind { VI_FLOW_COUPLING = 0, VI_FLOW_IAF };

struct vi_flow {
  enum vi_flow_kind kind;
  size_t dim, layers, hidden;
  size_t npar;          /* length of phi */
  const double *mu;     /* dim: base mean */
  const double *L;      /* dim*dim row-major lower-triangular base factor, or NULL ... */
  const double *sd;     /* ... dim: a diagonal base factor (when L is NULL) */
  double log_det_base;  /* log |det L| */
  double *phi;          /* npar */
  int *din;             /* layers*dim: input degrees */
  int *dh;              /* layers*hidden: hidden degrees */
  int depth;            /* largest input degree: passes of the inverse */
};

/* Per-draw scratch (caches of one forward pass); one per concurrent draw. */
struct vi_flow_work {
  double *x;   /* (layers+1)*dim: the input of each layer, then f(eta) */
  double *h;   /* layers*hidden */
  double *s;   /* layers*dim: pre-bound log scales */
  double *ls;  /* layers*dim */
  double *c, *u, *v, *w, *z; /* dim each */
  double *ch;  /* hidden */
};

/* "coupling" / "iaf", and the reverse (0, or -1 for an unknown name). */
const char *vi_flow_kind_name(enum vi_flow_kind k);
int vi_flow_kind_parse(const char *name, enum vi_flow_kind *out);

/* Parameters per flow; (size_t)-1 on overflow. */
size_t vi_flow_nparams(size_t dim, size_t layers, size_t hidden);

/* Sets up f over base (mu, L or sd) with arrays from `arena`: masks from the
 * seed, W1 ~ N(0, 1 / fan-in), b1 ~ N(0, 1/4), output weights and biases 0
 * (the identity). The base arrays are borrowed. Returns 0, or -1 when out of
 * memory or a size overflows. */
int vi_flow_init(struct vi_flow *f, enum vi_flow_kind kind, size_t dim, size_t layers,
                 size_t hidden, const double *mu, const double *L, const double *sd,
                 uint64_t seed, struct vi_arena *arena);

/* Scratch for one draw from `arena`; 0 or -1 (out of memory). */
int vi_flow_work_init(const struct vi_flow *f, struct vi_flow_work *w, struct vi_arena *arena);

/* theta = mu + L f(eta); returns log q(theta) (normalised), and leaves the
 * pass's caches in w for vi_flow_pull. */
double vi_flow_draw(const struct vi_flow *f, struct vi_flow_work *w, const double *eta,
                    double *theta);

/* Sum over layers of log |det df_k/dx| at the last draw in w. */
double vi_flow_log_det_layers(const struct vi_flow *f, const struct vi_flow_work *w);

/* x = f^{-1}(y) (standardised coordinates; y and x may not alias; w's
 * caches are overwritten). Returns
 * sum of the layers' log |det| at the inverse points. */
double vi_flow_inverse(const struct vi_flow *f, struct vi_flow_work *w, const double *y, double *x);

/* log q(theta) at any theta, through the inverse (it overwrites w's caches:
 * vi_flow_pull needs a fresh vi_flow_draw after it). */
double vi_flow_log_q(const struct vi_flow *f, struct vi_flow_work *w, const double *theta);

/* After vi_flow_draw(eta) in w, with g = d log p / d theta at that theta:
 *   stl = 0: acc += d/dphi [log p(T(eta; phi)) + sum of layers' log det],
 *            the reparameterised gradient of the ELBO's per-draw term;
 *   stl = 1: acc += d/dphi [log p(T(eta; phi)) - log q_{phi'}(T(eta; phi))]
 *            at phi' = phi held fixed: sticking the landing (Roeder, Wu &
 *            Duvenaud 2017), zero when q = p. Uses grad_theta log q, computed
 *            layer by layer from the triangular Jacobians (a few passes of
 *            the conditioner's reverse sweep per layer; d of them for iaf).
 * g is not modified. */
void vi_flow_pull(const struct vi_flow *f, struct vi_flow_work *w, const double *g, int stl,
                  double *acc);

/* Writes the flow's parameters as CSV rows "flow[l].NAME[i;j],value" after a
 * comment line naming the kind, layers and hidden units. VI_OK or VI_ERR_IO. */
int vi_flow_fprint(FILE *out, const struct vi_flow *f);

/* ---- the fit (flowfit.c) ----------------------------------------------
 * vi_flowfit_run: `--algorithm flow`. Runs the default Gaussian fit (auto:
 * dadvi, then full rank or low rank), puts a flow of o->flow_kind over its
 * standardised coordinates (the identity at the start), and fits the flow's
 * parameters with Adam on sticking-the-landing gradients from FLOW_DRAWS
 * fresh draws per step: first a short step-size search (a few candidates,
 * each run briefly from the identity with common random numbers, scored on
 * one fixed set of draws), then the best candidate continued at a fixed
 * step of a third of its size, with iterate averaging, until the smoothed
 * objective (the mean of the per-step ELBO estimates over a window of
 * steps) stops rising. The result's ELBO and importance-weighted ELBO come
 * from fresh evaluation draws with their Monte Carlo standard errors. The
 * flow lives in `arena` (res->flow). Errors as vi_advi_fit. */
enum vi_advi_stop vi_flowfit_run(const struct vi_density *den, const struct vi_advi_options *o,
                                 struct vi_arena *arena, struct vi_advi_result *res,
                                 struct vi_diags *d);

/* Output draws of a flow fit, as vi_advi_draw (which calls this when
 * res->flow is set): independent draws, log_q exact, log_p from one batch. */
enum vi_status vi_flowfit_draw(const struct vi_flow *f, const struct vi_density *den,
                               uint64_t seed, size_t S, double *theta, double *log_p,
                               double *log_q, struct vi_diags *d);

#endif
