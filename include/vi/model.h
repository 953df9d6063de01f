/* model.h: a compiled model bound to its data: the log density and gradient
 * on the unconstrained scale, and the constrained outputs of a draw.
 *
 *   struct vi_diags d; vi_diags_init(&d);
 *   struct vi_model *m;
 *   if (vi_model_load("model.vim", &m, &d) || vi_model_bind(m, &in, &d)) { fputs(d.buf, stderr); ... }
 *   double lp, *grad = malloc(vi_model_dim(m) * sizeof *grad);
 *   vi_model_log_density(m, theta, &lp, grad);
 */
#ifndef VI_MODEL_H
#define VI_MODEL_H
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "vi/diag.h"
#include "vi/rng.h"

struct vi_model;

/* Memory one model may use for its data and for one evaluation (bytes). */
#define VI_MODEL_MEMORY_LIMIT ((size_t)4 << 30)

/* Reads, parses and checks a model file. On error *out is NULL and d holds
 * the diagnostics. */
int vi_model_load(const char *path, struct vi_model **out, struct vi_diags *d);
/* Same from memory (name used in messages); src is copied. */
/* Adds a data table (bound before the data files, as the first of them);
 * the model owns it from then on, also when this fails (VI_ERR_NOMEM). */
struct vi_table;
int vi_model_add_table(struct vi_model *m, struct vi_table *t);
int vi_model_load_string(const char *name, const char *src, size_t len, struct vi_model **out,
                         struct vi_diags *d);
void vi_model_free(struct vi_model *m); /* NULL-safe */

/* Where the data comes from. */
struct vi_data_inputs {
  const char *const *files;   /* .csv (tables) and .json files */
  int nfiles;
  const char *const *assigns; /* "NAME=VALUE" scalars */
  int nassigns;
  unsigned long long seed;    /* for _rng in transformed data */
};

/* CSV tables are read through the binary column cache in dir
 * (vi_csv_read_cached, include/vi/data.h) by vi_model_bind; NULL: not. */
void vi_model_set_cache_dir(struct vi_model *m, const char *dir);

/* Reads the data files, binds the data block (inferring sizes), runs
 * transformed data, and lays out the parameters. */
int vi_model_bind(struct vi_model *m, const struct vi_data_inputs *in, struct vi_diags *d);

/* Initial values from a CmdStan init file (JSON, constrained values by
 * parameter name): fills theta[dim] on the unconstrained scale; parameters
 * the file does not give are drawn uniformly from (-radius, radius), as
 * CmdStan does; names that are not parameters get a warning. Errors (a
 * shape that differs, a value outside the constraint) name the key's place
 * in the file; VI_ERR_DATA, VI_ERR_IO or VI_ERR_NOMEM. After vi_model_bind. */
int vi_model_init_json(struct vi_model *m, const char *path, double radius, unsigned long long seed, double *theta,
                       struct vi_diags *d);

/* Number of unconstrained parameters. */
size_t vi_model_dim(const struct vi_model *m);
/* Rows of the largest data table, or the longest leading dimension of a
 * JSON array (0 without either), for the header. */
size_t vi_model_data_rows(const struct vi_model *m);
const char *vi_model_file(const struct vi_model *m);

/* Log density at theta (unconstrained), Jacobian included, constants of `~`
 * dropped, and its gradient (grad may be NULL). VI_OK or VI_ERR_EVAL; the
 * message is then vi_model_error(m). */
int vi_model_log_density(struct vi_model *m, const double *theta, double *lp, double *grad);
const char *vi_model_error(const struct vi_model *m);

/* Evaluates with t threads from now on (t <= 0: one per core; models with
 * foreign functions stay on one). Each extra thread has its own evaluation
 * state: a tape and its values, about vi_model_tape_bytes() more memory.
 * Returns the number of threads in use. */
int vi_model_set_threads(struct vi_model *m, int t);
struct vi_pool;
int vi_model_threads(const struct vi_model *m);
/* The place of the model's `guide` block (line 0: none). */
struct vi_srcloc vi_model_guide_loc(const struct vi_model *m);
/* The model's worker pool (NULL with one thread), for the fits' per-draw
 * work beside the model's (struct vi_density.pool). */
struct vi_pool *vi_model_pool(const struct vi_model *m);
/* Log densities and gradients at k points (theta: k x dim, row-major; grad
 * k x dim or NULL), spread over the threads. status[i] is VI_OK or
 * VI_ERR_EVAL for point i; the results are the same bits for any number of
 * threads. Returns VI_OK, or the status of the first point that failed, with
 * vi_model_error its message. */
int vi_model_log_density_batch(struct vi_model *m, size_t k, const double *theta, double *lp, double *grad,
                               int *status);
/* Numbers the last evaluation's tape touched (for each node, the longest of
 * its output and operands): a machine-independent measure of the cost of one
 * gradient. 0 before the first evaluation. */
size_t vi_model_work(const struct vi_model *m);
/* Bytes of the last evaluation's tape and values (its arena). */
size_t vi_model_tape_bytes(const struct vi_model *m);
/* Adds to count[code] the nodes of each op-table row (include/vi/ops.h,
 * enum vi_opcode) on the last evaluation's tape. */
void vi_model_tape_opcodes(const struct vi_model *m, unsigned *count);
/* Loops the lowering stage rewrote as whole-range statements (vi_lower). */
int vi_model_lowered_loops(const struct vi_model *m);
/* 1 when the tape is replayed (no control flow depends on parameters). */
int vi_model_is_static(const struct vi_model *m);

/* The unconstrained layout, one line per parameter (name, shape, size, transform). */
void vi_model_print_layout(const struct vi_model *m, FILE *f);
/* Name of unconstrained coordinate i ("beta[1]", "sigma" ...; transformed
 * coordinates of structured types are numbered). */
const char *vi_model_coord_name(const struct vi_model *m, size_t i);

/* Loops in the model stop with an "interrupted" error once *flag is
 * nonzero (a signal handler sets it); NULL turns this off. */
void vi_model_set_cancel(struct vi_model *m, volatile sig_atomic_t *flag);

/* Constrained outputs: parameters, transformed parameters, generated
 * quantities, each flattened with Stan's element names and order. */
size_t vi_model_nout(const struct vi_model *m);
const char *vi_model_out_name(const struct vi_model *m, size_t i);
/* The name with text levels in place of indices where the data had them
 * ("a[Aitkin]"); else the same as vi_model_out_name. */
const char *vi_model_out_label(const struct vi_model *m, size_t i);
/* Which block output i comes from (enum vi_block). */
int vi_model_out_block(const struct vi_model *m, size_t i);
/* Evaluates the outputs at theta in double precision (generated quantities
 * use rng). VI_OK, or VI_ERR_EVAL with vi_model_error set. */
int vi_model_write(struct vi_model *m, const double *theta, double *out, struct vi_rng *rng);

#endif
