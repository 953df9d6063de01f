/* optable.c: the op table, one struct vi_opdef per row of include/vi/ops.def. */
#include "vi/ops.h"

const struct vi_opdef vi_ops[VI_OPCODE_COUNT] = {
    [VI_OPCODE_NONE] = {NULL, NULL, NULL},
#define VI_OP(CODE, name, arity, fwd, bwd) [VI_OPCODE_##CODE] = {name, fwd, bwd},
#include "vi/ops.def"
#undef VI_OP
};

const signed char vi_op_arity[VI_OPCODE_COUNT] = {
    [VI_OPCODE_NONE] = 0,
#define VI_OP(CODE, name, arity, fwd, bwd) [VI_OPCODE_##CODE] = arity,
#include "vi/ops.def"
#undef VI_OP
};
