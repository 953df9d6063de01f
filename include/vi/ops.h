/* ops.h: the op table generated from include/vi/ops.def.
 *
 * Every kind of tape node is one row of ops.def: the standard library's,
 * the transforms', and the evaluator's (gathers, target sums, fused
 * programs and densities, scalar-tape segments, recorded checks). This
 * header turns the rows into
 *   enum vi_opcode      VI_OPCODE_NONE, then VI_OPCODE_<CODE> for each row
 *                       (VI_OP_* is taken by the AST's operators);
 *   vi_ops[code]        the row's struct vi_opdef (name and kernels);
 *   vi_op_arity[code]   number of operands, -1 when it varies by call;
 *   prototypes of every row's kernels.
 * Nodes carry the enum: n->op points at vi_ops[code], and vi_node_op(n)
 * gives code back. The one node kind outside the table is runtime/ffi.c's
 * foreign call (VI_OPCODE_NONE): its kernels are the user's library, checked
 * against finite differences by tests/test_ffi.c. */
#ifndef VI_OPS_H
#define VI_OPS_H
#include <stdint.h>

#include "vi/tape.h"

enum vi_opcode {
  VI_OPCODE_NONE, /* not a row of the table */
#define VI_OP(CODE, name, arity, fwd, bwd) VI_OPCODE_##CODE,
#include "vi/ops.def"
#undef VI_OP
  VI_OPCODE_COUNT
};

/* The number of rows in ops.def: bump it when adding one. */
enum { VI_OPS_ROWS = 214 };
_Static_assert(VI_OPCODE_COUNT == VI_OPS_ROWS + 1, "include/vi/ops.def rows and VI_OPS_ROWS disagree");

#define VI_OP(CODE, name, arity, fwd, bwd) \
  int fwd(struct vi_node *n);              \
  void bwd(struct vi_node *n);
#include "vi/ops.def"
#undef VI_OP

/* Indexed by enum vi_opcode; row 0 (VI_OPCODE_NONE) has no name and no kernels. */
extern const struct vi_opdef vi_ops[VI_OPCODE_COUNT];
extern const signed char vi_op_arity[VI_OPCODE_COUNT];

/* &vi_ops[VI_OPCODE_<CODE>], for vi_node_new. */
#define VI_OPDEF(CODE) (&vi_ops[VI_OPCODE_##CODE])

/* The row of op, or VI_OPCODE_NONE when op is not in the table. */
static inline enum vi_opcode vi_op_code(const struct vi_opdef *op) {
  uintptr_t p = (uintptr_t)op, lo = (uintptr_t)&vi_ops[0], hi = (uintptr_t)&vi_ops[VI_OPCODE_COUNT];
  if (p < lo || p >= hi) return VI_OPCODE_NONE;
  return (enum vi_opcode)((p - lo) / sizeof vi_ops[0]);
}
static inline enum vi_opcode vi_node_op(const struct vi_node *n) { return vi_op_code(n->op); }

#endif
