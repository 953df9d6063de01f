/* family.h: variational families on the unconstrained space, one table row
 * each. A family maps standard-normal noise eta (dim values) to
 * theta = T(eta; phi) for its flat parameter vector phi, pulls a gradient
 * d log p / d theta back to phi, and knows its log-determinant (so entropy
 * and log q). The fits (advi.c) and the optimisers (optim.h) see only this.
 *
 * Rows:
 *   VI_FAMILY_MEANFIELD  phi = (mu[d], omega[d]), theta = mu + exp(omega) * eta
 *   VI_FAMILY_FULLRANK   phi = (mu[d], L[d*d] row-major, zero above the
 *                        diagonal), theta = mu + L eta (Stan's parameterisation)
 *   VI_FAMILY_CHOLESKY   phi = (mu[d], lambda[d], the strict lower triangle of
 *                        L row by row), diag L = exp(lambda): the full-rank
 *                        family as the deterministic fit optimises it
 *   VI_FAMILY_LOWRANK    phi = (mu[d], omega[d], B[d*r] row-major),
 *                        theta = mu + exp(omega) * eta[0..d) + B eta[d..d+r):
 *                        covariance diag(exp(2 omega)) + B B^T; its noise has
 *                        dim + rank values (vi_q.noise); scratch (r*r + d*r)
 *                        holds the Woodbury factors that prepare computes
 * A new family (a flow) is one more row.
 *
 * Example (one reparameterised ELBO gradient from S draws):
 *   struct vi_q q;  vi_q_init(&q, VI_FAMILY_MEANFIELD, d, 0, phi, scratch);
 *   memset(acc, 0, nparams * sizeof *acc);
 *   for each draw: eta ~ N(0, I); vi_q_draw(&q, eta, theta);
 *                  g = grad log p(theta); vi_q_pull(&q, eta, g, acc);
 *   vi_q_finish(&q, S, acc);   // acc = d ELBO / d phi
 */
#ifndef VI_FAMILY_H
#define VI_FAMILY_H
#include <stddef.h>

enum vi_family_id {
  VI_FAMILY_MEANFIELD = 0,
  VI_FAMILY_FULLRANK,
  VI_FAMILY_CHOLESKY,
  VI_FAMILY_LOWRANK,
  VI_FAMILY_COUNT
};

struct vi_q;

struct vi_family {
  const char *name;
  /* length of phi and of the scratch a vi_q needs (prepare's caches) */
  size_t (*nparams)(size_t dim, size_t rank);
  size_t (*nscratch)(size_t dim, size_t rank);
  /* phi = mean mu, unit scale (omega 0, L = I, B = 0) */
  void (*reset)(struct vi_q *q, const double *mu);
  /* refresh caches after phi changed; may be NULL */
  void (*prepare)(struct vi_q *q);
  /* theta = T(eta; phi) */
  void (*draw)(const struct vi_q *q, const double *eta, double *theta);
  /* acc += the per-draw terms of d E[log p] / d phi (before finish) */
  void (*pull)(const struct vi_q *q, const double *eta, const double *g, double *acc);
  /* acc = acc / n chained to phi, plus the gradient of the entropy:
   * acc becomes d ELBO / d phi */
  void (*finish)(const struct vi_q *q, double n, double *acc);
  /* log |det dT/deta| (log q(T(eta)) = -|eta|^2/2 - noise/2 log 2 pi - log_det) */
  double (*log_det)(const struct vi_q *q);
  /* entropy, constants included, summed as Stan does */
  double (*entropy)(const struct vi_q *q);
  /* for sticking-the-landing gradients (Roeder et al. 2017), may be NULL:
   * gq = d log q(theta) / d theta at theta = T(eta), and acc -= the
   * entropy's gradient (undoing what finish added) */
  void (*score)(const struct vi_q *q, const double *eta, double *gq);
  void (*entropy_grad_sub)(const struct vi_q *q, double *acc);
  /* may be NULL: pull restricted to the rows i0 <= i < i1 of g, touching
   * only the entries of acc that those rows feed (so row ranges can be
   * pulled in parallel); pull is then the whole range */
  void (*pull_rows)(const struct vi_q *q, const double *eta, const double *g, double *acc, size_t i0,
                    size_t i1);
};

struct vi_q {
  const struct vi_family *fam;
  size_t dim, rank, noise; /* noise: length of eta (dim, or dim + rank) */
  size_t npar;
  double *phi;             /* npar: the caller's */
  double *scratch;         /* nscratch: the caller's (may be NULL when 0) */
  struct vi_pool *pool;    /* NULL, or threads prepare may use (vi_q_init: NULL) */
};

extern const struct vi_family vi_families[VI_FAMILY_COUNT];

/* Sets up q over the caller's phi and scratch (sizes from the family). */
void vi_q_init(struct vi_q *q, enum vi_family_id id, size_t dim, size_t rank, double *phi,
               double *scratch);
/* Sizes of phi and scratch; (size_t)-1 on overflow. */
size_t vi_family_nparams(enum vi_family_id id, size_t dim, size_t rank);
size_t vi_family_nscratch(enum vi_family_id id, size_t dim, size_t rank);

/* Low rank: log q(theta) of N(mu, D + B B^T) after prepare; work_d holds
 * dim + rank doubles of scratch. */
double vi_q_lowrank_log_q(const struct vi_q *q, const double *theta, double *work_d);

static inline void vi_q_prepare(struct vi_q *q) {
  if (q->fam->prepare) q->fam->prepare(q);
}
static inline void vi_q_draw(const struct vi_q *q, const double *eta, double *theta) {
  q->fam->draw(q, eta, theta);
}
static inline void vi_q_pull(const struct vi_q *q, const double *eta, const double *g,
                             double *acc) {
  q->fam->pull(q, eta, g, acc);
}
static inline void vi_q_finish(const struct vi_q *q, double n, double *acc) {
  q->fam->finish(q, n, acc);
}

struct vi_pool;
/* theta[m*dim ..] = T(eta[m*noise ..]) for m < M, draws spread over the pool
 * (NULL: this thread). */
void vi_q_draw_batch(const struct vi_q *q, struct vi_pool *pool, size_t M, const double *eta, double *theta);
/* acc += the per-draw terms of the M draws (g: M x dim), every entry summed
 * in draw order whatever the pool: rows are spread over the pool when the
 * family pulls row by row. */
void vi_q_pull_batch(const struct vi_q *q, struct vi_pool *pool, size_t M, const double *eta, const double *g,
                     double *acc);

#define VI_LOG_2PI 1.8378770664093454836

#endif
