/* dist_util.h: the fused univariate density driver shared by dist_cont.c,
 * dist_disc.c and dist_multi.c, plus type rules and small helpers.
 *
 * A univariate distribution (normal, gamma, poisson, ...) is described by one
 * struct vi_udist: its op (name and kernels), its arguments (name, size name,
 * value check) and an element function that computes the log density of one
 * element and its partials. vi_udist_call turns a call into ONE node over all
 * arguments (Stan's vectorisation: scalars broadcast, every non-scalar argument
 * has the same length); the node's output is the summed log density and its
 * aux holds the partial for every differentiable operand element:
 *   aux layout: for each differentiable operand k in order, a[k].n doubles
 *   (one, accumulated over all elements, for a broadcast scalar).
 * vi_udist_bwd then does a[k].dx[i] += dy * aux[...].
 *
 * Integer arguments (count variates, trial counts) are converted to constant
 * reals (exact), so an element function sees every argument as a double.
 *
 * Propto (VI_CALL_PROPTO, the `~` statement): the element function receives
 * `inc`, a bit mask: bit k set means "terms depending on argument k are
 * kept"; VI_DINC_CONST means "terms depending on no argument are kept". Without
 * propto inc is all ones; with propto it is the set of differentiable operands,
 * and a call with no differentiable operand returns 0 after the checks. */
#ifndef VI_STDLIB_DIST_UTIL_H
#define VI_STDLIB_DIST_UTIL_H
#include <stddef.h>

#include "lib.h"

enum { VI_DIST_MAXARGS = 5 };

#define VI_DINC_CONST 0x80000000u /* inc bit: keep terms that depend on no argument */
#define VI_DB(k) (1u << (k))      /* inc/var bit of argument k */

/* Value checks of one argument, applied to every element (in the forward
 * kernel, so they run on every replay). Messages as
 * "normal_lpdf: scale parameter is 0, must be positive" (with "[i]", 1-based,
 * for a container argument). */
enum vi_dchk {
  VI_DCHK_NONE,
  VI_DCHK_NOT_NAN,    /* not NaN */
  VI_DCHK_FINITE,     /* finite */
  VI_DCHK_POS,        /* > 0 (+Inf allowed) */
  VI_DCHK_POS_FINITE, /* > 0 and finite */
  VI_DCHK_NONNEG,     /* >= 0 (+Inf allowed), not NaN */
  VI_DCHK_PROB,       /* in [0, 1] */
  VI_DCHK_BOOL        /* 0 or 1 (int variates) */
};

struct vi_darg {
  const char *name; /* in value messages: "scale parameter" */
  const char *what; /* in size messages: "scale" ("size of scale (3) does not match ...") */
  unsigned char chk; /* enum vi_dchk */
};

/* Log density of element i: v[k] the k-th argument's value, g[k] receives
 * d lp / d v[k] for every k with (var & VI_DB(k)) (others may be written too;
 * g is zeroed before each call). inc: see the file comment. */
typedef double (*vi_delem_fn)(const double *v, double *g, unsigned inc, unsigned var);
/* Cross-argument check of element i (e.g. binomial n <= N); returns 0, or
 * calls vi_node_fail and returns 1. */
typedef int (*vi_dxcheck_fn)(struct vi_node *n, const double *v, size_t i);

struct vi_udist {
  int code; /* its row in the op table (include/vi/ops.def); nodes find the description in n->p */
  int nargs;
  struct vi_darg arg[VI_DIST_MAXARGS];
  vi_delem_fn elem;
  vi_dxcheck_fn xcheck; /* or NULL */
};

/* Evaluates d over args[0..nargs) as one node: checks the number of
 * arguments and their sizes (errors at loc, e.g. "normal_lpdf: size of
 * location (3) does not match size of the variate (4)"), converts ints to
 * reals, sets out to the real scalar log density, records the node when an
 * argument is differentiable. flags: VI_CALL_PROPTO. Returns VI_OK or an error
 * status (reported through c). */
int vi_udist_call(const struct vi_udist *d, struct vi_ctx *c, struct vi_val *out,
                  struct vi_val *args, int nargs, int flags, struct vi_srcloc loc);

/* The generic kernels (the fwd / bwd of a vi_udist's row in include/vi/ops.def;
 * vi_udist_call sets n->p to the vi_udist). A custom fwd must keep
 * the aux layout above and may call vi_udist_checks and vi_udist_fwd. */
int vi_udist_fwd(struct vi_node *n);
void vi_udist_bwd(struct vi_node *n);
/* Runs every argument check and the cross check; 0 or 1 (failed, reported). */
int vi_udist_checks(struct vi_node *n);
/* Length of the vectorised call (0 if any argument is empty, 1 if all are scalars). */
size_t vi_udist_len(const struct vi_node *n);
/* inc mask for the node (see the file comment); 0 means "return 0". */
unsigned vi_udist_inc(const struct vi_node *n);

/* Defines `static int fn(ctx, out, args, nargs, flags, loc)` calling
 * vi_udist_call with the description d. */
#define VI_UDIST_IMPL(fn, d)                                                                   \
  static int fn(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags, \
                struct vi_srcloc loc) {                                                        \
    return vi_udist_call(&(d), c, out, args, nargs, flags, loc);                               \
  }

/* ---- custom density nodes (multivariate, GLMs, categorical) ---- */

/* Makes args contiguous and a node of op over them with output length 1,
 * i[0] = flags, and aux = (partials layout above) + scratch doubles.
 * NULL on error (reported). The caller sets n->i[1..] and calls
 * vi_dist_node_run. The node's bwd may be vi_udist_bwd. */
struct vi_node *vi_dist_node_new(struct vi_ctx *c, const struct vi_opdef *op, struct vi_val *args,
                                 int nargs, int flags, size_t scratch, struct vi_srcloc loc);
/* Sets out to the real scalar result and runs/records the node. */
int vi_dist_node_run(struct vi_ctx *c, struct vi_node *n, struct vi_val *out);
/* Points p[k] at operand k's partials in aux (NULL if constant), zeroed;
 * returns the scratch space after them. */
double *vi_dist_parts(struct vi_node *n, double **p);

/* Generalised linear models, one node: eta = x * beta + alpha (x N x P
 * column-major, alpha scalar or length N, beta length P).
 * VI_GLM_NORMAL: args (y, x, alpha, beta, sigma), sigma scalar or length N;
 * VI_GLM_BERNOULLI_LOGIT, VI_GLM_POISSON_LOG: args (y ints, x, alpha, beta);
 * VI_GLM_BINOMIAL_LOGIT: args (n ints, N ints, x, alpha, beta);
 * VI_GLM_NEG_BINOMIAL_2_LOG: args (y ints, x, alpha, beta, phi), phi scalar or length N. */
enum { VI_GLM_NORMAL, VI_GLM_BERNOULLI_LOGIT, VI_GLM_POISSON_LOG, VI_GLM_BINOMIAL_LOGIT, VI_GLM_NEG_BINOMIAL_2_LOG };
int vi_glm_call(int family, struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                int flags, struct vi_srcloc loc);
/* (reals-or-ints y, matrix or row_vector x, real or vector alpha, vector beta[, real or vector sigma]) */
struct vi_type vi_drule_glm(const struct vi_type *a, int n, int int_y, int has_sigma);

/* ---- type rules ---- */

/* Densities with a real variate and k - 1 real parameters, all "reals". */
struct vi_type vi_drule_reals1(const struct vi_type *a, int n);
struct vi_type vi_drule_reals2(const struct vi_type *a, int n);
struct vi_type vi_drule_reals3(const struct vi_type *a, int n);
struct vi_type vi_drule_reals4(const struct vi_type *a, int n);
/* Mass functions: "ints" variate then k - 1 "reals". */
struct vi_type vi_drule_ints_reals2(const struct vi_type *a, int n);
struct vi_type vi_drule_ints_reals3(const struct vi_type *a, int n);
/* Mass functions: "ints" variate, "ints" trial count, then k - 2 "reals". */
struct vi_type vi_drule_ints2_reals3(const struct vi_type *a, int n);
struct vi_type vi_drule_ints2_reals4(const struct vi_type *a, int n);
/* _rng of a real distribution with k "reals" parameters: real when every
 * argument is a scalar, else array[] real. */
struct vi_type vi_drule_rng_real1(const struct vi_type *a, int n);
struct vi_type vi_drule_rng_real2(const struct vi_type *a, int n);
struct vi_type vi_drule_rng_real3(const struct vi_type *a, int n);
/* _rng of a discrete distribution: int, or array[] int. */
struct vi_type vi_drule_rng_int1(const struct vi_type *a, int n);
struct vi_type vi_drule_rng_int2(const struct vi_type *a, int n);
struct vi_type vi_drule_rng_int3(const struct vi_type *a, int n);
/* _rng with int first argument (binomial(N, theta), beta_binomial(N, a, b)). */
struct vi_type vi_drule_rng_int_n2(const struct vi_type *a, int n);
struct vi_type vi_drule_rng_int_n3(const struct vi_type *a, int n);

/* ---- vectorised _rng ---- */

/* Draws one element from parameter values p[0..np). Returns the draw, or NaN
 * after writing a message ("must be positive") into msg for bad parameters. */
typedef double (*vi_drng_fn)(struct vi_rng *r, const double *p, char *msg, size_t nmsg);

struct vi_drng {
  const char *name;       /* "normal_rng" */
  int np;                 /* number of parameters */
  int is_int;             /* result is int / array[] int */
  struct vi_darg arg[VI_DIST_MAXARGS];
  vi_drng_fn draw;
};

/* Evaluates a vectorised _rng: checks sizes and parameter values (named
 * messages at loc), draws with c->rng (error if NULL: "normal_rng: random
 * numbers are only available in transformed data and generated quantities").
 * out: a scalar when every argument is a scalar, else a 1-D array. */
int vi_drng_call(const struct vi_drng *d, struct vi_ctx *c, struct vi_val *out,
                 struct vi_val *args, int nargs, struct vi_srcloc loc);

#define VI_DRNG_IMPL(fn, d)                                                                    \
  static int fn(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags, \
                struct vi_srcloc loc) {                                                        \
    (void)flags;                                                                               \
    return vi_drng_call(&(d), c, out, args, nargs, loc);                                       \
  }

/* Random draws used by several _rng functions (exact algorithms). */
double vi_dist_rng_beta(struct vi_rng *r, double a, double b);
double vi_dist_rng_poisson(struct vi_rng *r, double lambda);   /* lambda < 2^30 */
double vi_dist_rng_binomial(struct vi_rng *r, double n, double p);

#endif
