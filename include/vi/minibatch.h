/* minibatch.h: row-restricted evaluation of a model with a row plate
 * (include/vi/plate.h), and stochastic VI on minibatches of rows
 * (runtime/minibatch.c).
 *
 * A unit of work is a set of rows of the plate's table: the model is
 * evaluated on those rows gathered into contiguous scratch (each row data
 * variable's leading size, and N, become the unit's row count), with the
 * row terms weighed by row_w and the global terms by glob_w. The full-data
 * log density is the sum over fixed chunks of chunk_rows rows (the first
 * chunk carries the global terms) reduced in chunk order; a minibatch of B
 * rows is split into groups of at most chunk_rows rows in batch order, with
 * row_w = N/B and the global terms on the first group. Units are spread
 * over threads (and MPI ranks, runtime/mpi.c) and their results reduced in
 * unit order, so every result is the same bits for any number of threads
 * and ranks.
 *
 *   struct vi_rows *r;
 *   if (vi_rows_new(model, threads, 4096, &r, &diags)) ... (no plate, coupled rows)
 *   vi_rows_full(r, M, theta, lp, grad, status);
 *   vi_rows_batch(r, rows, B, M, theta, lp, grad, status);
 */
#ifndef VI_MINIBATCH_H
#define VI_MINIBATCH_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "vi/advi.h"
#include "vi/diag.h"
#include "vi/model.h"
#include "vi/plate.h"

struct vi_rows;

/* Analyses the plate of a bound model and makes T evaluators for units of
 * at most chunk_rows rows. VI_ERR_USAGE with a message in d when the model
 * has no table of rows, couples rows (the message names the place), or has
 * a per-row parameter declared matrix[N, K] (not yet); VI_ERR_NOMEM.
 * Per-row parameters (leading size N: vector[N], array[N] T) keep theta's
 * layout in the calls below; a unit's evaluator has its own layout with the
 * unit's rows of them only (gathered from theta, gradients scattered back),
 * and their log-Jacobians are row terms. */
int vi_rows_new(struct vi_model *m, int threads, size_t chunk_rows, struct vi_rows **out, struct vi_diags *d);
void vi_rows_free(struct vi_rows *r); /* NULL-safe */
/* The plate analysis of m (N rows, the size variable's name, terms); after
 * vi_rows_new, or from vi_rows_plate_of for --check (no evaluators). */
const struct vi_plate *vi_rows_plate(const struct vi_rows *r);
size_t vi_rows_n(const struct vi_rows *r);
size_t vi_rows_chunk(const struct vi_rows *r);
/* Prints the plate layout of a bound model (--check). */
int vi_rows_print_plate(struct vi_model *m, FILE *f);

/* Full-data log density and gradient at M points (theta M x dim): the sum
 * over chunks. status[m] 0 or nonzero. Returns 0 or -1 (out of memory). */
int vi_rows_full(struct vi_rows *r, size_t M, const double *theta, double *lp, double *grad, int *status);
/* The minibatch estimate over rows[0..B) (0-based row numbers): global terms
 * + N/B times the row terms of those rows. */
int vi_rows_batch(struct vi_rows *r, const uint32_t *rows, size_t B, size_t M, const double *theta, double *lp,
                  double *grad, int *status);

/* Work units can be spread over MPI ranks: rank `rank` of `size` evaluates
 * units [u*rank/size ...) and share() makes every rank's results known to
 * all (runtime/mpi.c). size 1: everything local. */
struct vi_rows_share {
  int rank, size;
  /* buf holds nunits blocks of `block` doubles; block k was filled by the
   * rank that owns unit k; on return every rank has all of them */
  int (*share)(void *ctx, double *buf, size_t nunits, size_t block);
  void *ctx;
};
void vi_rows_set_share(struct vi_rows *r, const struct vi_rows_share *s);

/* MPI (runtime/mpi.c; without -Dmpi=enabled: one process, rank 0 of 1).
 * vi_mpi_start initialises MPI when it is not yet (0, or -1 on failure);
 * vi_rows_use_mpi spreads r's units over the ranks. */
int vi_mpi_start(int *argc, char ***argv);
void vi_mpi_end(void);
void vi_mpi_abort(int code); /* ends every rank (P > 1) */
int vi_mpi_rank(void);
int vi_mpi_size(void);
void vi_rows_use_mpi(struct vi_rows *r);

struct vi_minibatch_options {
  size_t batch;      /* rows per minibatch */
  int epochs;        /* at most this many passes over the rows (--epochs) */
  double lr;         /* Adam's step size at the start (--lr) */
  int grad_samples;  /* variational draws per step */
  int elbo_draws;    /* fixed draws of the full-data ELBO at epoch ends */
  uint64_t seed;
  const double *init;
  double init_radius;
  vi_advi_progress_fn progress;
  void *progress_ctx;
  volatile sig_atomic_t *cancel;
};

/* Mean-field Gaussian fit by Adam on minibatch gradients over random
 * reshuffles of the rows (one reshuffle per epoch, from seed and epoch).
 * At every epoch end the full-data ELBO is evaluated at the epoch's average
 * iterate on fixed draws; a step that does not raise it halves lr; the fit
 * stops when an epoch raises it by less than 0.01 per parameter. res is
 * filled as a meanfield/adam result (mu, omega from arena). */
enum vi_advi_stop vi_minibatch_fit(struct vi_rows *r, const struct vi_minibatch_options *o, struct vi_arena *arena,
                                   struct vi_advi_result *res, struct vi_diags *d);

#endif
