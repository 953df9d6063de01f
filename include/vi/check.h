/* check.h: the checker resolves names to storage slots, types every
 * expression, resolves functions against the standard library, and enforces
 * the block rules (what may be assigned where, _rng only where allowed, ...). */
#ifndef VI_CHECK_H
#define VI_CHECK_H
#include "vi/ast.h"

/* What the checker learnt about the program's variables. Every declaration
 * (global or local) and every loop variable has its own slot. */
struct vi_symtab {
  int nslots;
  struct vi_decl **decl;  /* per slot: its declaration, or NULL for loop variables */
  struct vi_type *type;   /* per slot */
  uint8_t *block;         /* per slot: enum vi_block where it was declared */
};

/* Checks p (types, names, blocks), filling the checker fields of the AST and
 * *st (arena-allocated). Reports every error found to d; returns VI_OK or
 * VI_ERR_TYPE. */
int vi_check(struct vi_program *p, struct vi_arena *a, struct vi_symtab *st, struct vi_diags *d);

/* Type of a[ix...] given the type of a; {VI_T_ERROR} when there are too many
 * indices. multi[k] says whether index k keeps its dimension (range or
 * multi-index) or drops it (single int). */
struct vi_type vi_index_type(struct vi_type t, int nix, const uint8_t *keep);

#endif
