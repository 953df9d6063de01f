/* plate.h: row plates, the part of a model that is a sum over the rows of a
 * data table (compiler/plate.c).
 *
 * A table's rows are counted by an int data variable N (the size the binder
 * inferred from the table); the row data are the data and transformed data
 * declarations whose leading size is N. A model statement is a row term when
 * the log density it adds is a sum over n = 1..N of a quantity that reads
 * only row n of the row data, row n of row-valued locals and transformed
 * parameters, and global quantities:
 *   - a `~` or `target +=` inside `for (n in 1:N)` whose reads of row data
 *     are all at [n] (X[n, k], x[n], g[n] as an index of a global: a[g[n]]);
 *   - a vectorised `~` or `target +=` over whole row vectors combined
 *     elementwise (+ - .* ./ .^, unary elementwise functions, X * beta with
 *     beta global, a global indexed by a row index array: a[g]);
 *   - `target += sum(v)` or a distribution's `_lpdf` of such vectors.
 * Every other statement that adds to the target is a global term. Anything
 * that reads rows other than n (y[n - 1], y[2:N], sum(y) outside a row term,
 * a loop over part of the rows, the row number n used as a value, a
 * function of whole row vectors that is not elementwise, such as a GP
 * covariance) couples the rows: the first such place is recorded.
 *
 * Example:
 *   struct vi_plate pl;
 *   vi_plate_analyse(prog, &st, n_slot, &arena, &pl);
 *   if (pl.coupled) report pl.couple_loc, pl.couple_msg;
 *   vi_plate_is_row_term(&pl, loc);   (a target term added at loc)
 */
#ifndef VI_PLATE_H
#define VI_PLATE_H
#include <stdint.h>
#include <stdio.h>

#include "vi/arena.h"
#include "vi/ast.h"
#include "vi/check.h"

struct vi_plate {
  int size_slot;                 /* the slot of N, or -1: no plate */
  const char *size_name;
  uint8_t *row_slot;             /* per slot: 1 when its leading index is the row (data, tdata,
                                    transformed parameters, model locals) */
  struct vi_srcloc *row_terms;   /* top-level statements that are row terms */
  int nrow_terms;
  struct vi_srcloc *glob_terms;  /* top-level statements that are global terms */
  int nglob_terms;
  struct vi_srcloc *term_locs;   /* every ~ / target += inside a row term (both forms of a
                                    lowered loop): the places whose target terms are scaled */
  int nterm_locs;
  int *row_params;               /* parameters with leading size N (one per row) */
  int nrow_params;
  int coupled;                   /* a statement couples rows */
  struct vi_srcloc couple_loc;
  char couple_msg[256];
};

/* Analyses the transformed parameters and model blocks for the plate whose
 * size is the int data variable in slot size_slot (-1: none). Arrays come
 * from a. VI_OK or VI_ERR_NOMEM. */
int vi_plate_analyse(const struct vi_program *p, const struct vi_symtab *st, int size_slot, struct vi_arena *a,
                     struct vi_plate *out);

/* 1 when a target term added by the statement at loc is a row term. */
int vi_plate_is_row_term(const struct vi_plate *pl, struct vi_srcloc loc);

/* The layout for --check: table, N, row terms, global terms, per-row
 * parameters (table is the file the rows come from, nrows its rows). */
void vi_plate_print(const struct vi_plate *pl, const struct vi_symtab *st, const char *table, size_t nrows,
                    FILE *f);

#endif
