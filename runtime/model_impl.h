/* model_impl.h: the model object, shared by model.c and bind.c. Private. */
#ifndef VI_MODEL_IMPL_H
#define VI_MODEL_IMPL_H
#include "interp.h"
#include "vi/data.h"
#include "vi/model.h"
#include "vi/pool.h"
#include "vi/rng.h"

struct vi_plate;

struct vi_param {
  const struct vi_decl *decl;
  int kind;          /* enum vi_transform_kind */
  int dims[VI_MAXDIMS];
  size_t count;      /* array elements */
  int rows, cols;    /* of one element */
  size_t off, size;  /* in theta */
  uint8_t point;     /* enum vi_point_kind: optimised or pinned, no log-Jacobian (runtime/point.c) */
};

struct vi_outvar {
  int slot;
  int block;
  int dims[VI_MAXDIMS];
  struct vi_type t;
  size_t off, n;     /* in the output vector */
  size_t *offs;      /* element k (Stan's order) is at offs[k] in our layout (made with the names) */
};

struct vi_model {
  char *file, *src;
  size_t srclen;
  struct vi_arena ast;      /* AST, symbols, names */
  struct vi_arena data;     /* data and transformed data values */
  struct vi_arena eval;     /* one evaluation: values, nodes */
  struct vi_arena scratch;  /* vi_model_write */
  struct vi_program *prog;
  struct vi_symtab st;
  struct vi_interp I;
  struct vi_table **tables;
  int ntables;
  struct vi_json **jsons;
  int njsons;
  struct vi_param *params;
  int nparams;
  size_t dim;
  double *theta, *grad;     /* the tape reads theta and writes grad */
  struct vi_tape tape;
  int recorded;             /* tape holds a replayable recording */
  int evals_printed;        /* evaluations run with print() on: the first, then failed ones (at most 6) */
  int dynamic;              /* control flow depends on parameters: re-record every time */
  int nlowered;             /* loops rewritten as whole-range statements (vi_lower) */
  struct vi_diags ediag;    /* evaluation errors */
  char errmsg[1024];
  struct vi_outvar *outs;
  int nouts;
  size_t nout;
  char **out_names;
  char **coord_names;
  char **out_labels;        /* names with text levels in place of indices ("a[Aitkin]") */
  const char *const **levels; /* per slot: text levels of an int size inferred from a text column */
  size_t *nlevels;
  int bound;
  /* threads (vi_model_set_threads): evaluator k > 0 is evals[k - 1], a
   * clone sharing everything but one evaluation's state */
  const struct vi_model *parent; /* set in a clone: it owns only that state */
  struct vi_model **evals;
  int nevals;
  struct vi_pool *pool;
  /* row plates (runtime/minibatch.c): when set, target terms are weighed */
  const struct vi_plate *plate;
  double row_w, glob_w;
  double *termw;
  size_t ntermw;
  const char *cache_dir;    /* vi_model_set_cache_dir */
};

/* One evaluator sharing m's program, data and layout (threads, row views);
 * m must outlive it. NULL when out of memory. */
struct vi_model *vi_model_clone_evaluator(const struct vi_model *m);
void vi_model_free_evaluator(struct vi_model *e);

int vi_bind_data(struct vi_model *m, const struct vi_data_inputs *in, struct vi_diags *d);
int vi_bind_param_json(struct vi_model *m, const char *path, const char *what, double radius, unsigned long long seed,
                       double *theta, unsigned char *given, struct vi_diags *d);

#endif
