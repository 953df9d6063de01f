/* ast.c: names of operators, blocks and types for messages (see include/vi/ast.h). */
#include <stdio.h>
#include <string.h>

#include "vi/ast.h"

static const char *const op_names[VI_OP__COUNT] = {
    [VI_OP_ADD] = "+",   [VI_OP_SUB] = "-",   [VI_OP_MUL] = "*",    [VI_OP_DIV] = "/",
    [VI_OP_IDIV] = "%/%", [VI_OP_MOD] = "%",  [VI_OP_LDIV] = "\\",  [VI_OP_POW] = "^",
    [VI_OP_EMUL] = ".*", [VI_OP_EDIV] = "./", [VI_OP_EPOW] = ".^",  [VI_OP_LT] = "<",
    [VI_OP_LE] = "<=",   [VI_OP_GT] = ">",    [VI_OP_GE] = ">=",    [VI_OP_EQ] = "==",
    [VI_OP_NE] = "!=",   [VI_OP_AND] = "&&",  [VI_OP_OR] = "||",    [VI_OP_NEG] = "-",
    [VI_OP_NOT] = "!",   [VI_OP_PLUS] = "+",  [VI_OP_TRANSPOSE] = "'",
};

const char *vi_op_name(int op) {
  if (op < 0 || op >= VI_OP__COUNT || !op_names[op]) return "?";
  return op_names[op];
}

static const char *const block_names[VI_BLK__COUNT] = {
    [VI_BLK_FUNCTIONS] = "functions",
    [VI_BLK_DATA] = "data",
    [VI_BLK_TDATA] = "transformed data",
    [VI_BLK_PARAMS] = "parameters",
    [VI_BLK_TPARAMS] = "transformed parameters",
    [VI_BLK_MODEL] = "model",
    [VI_BLK_GQ] = "generated quantities",
};

const char *vi_block_name(int block) {
  if (block < 0 || block >= VI_BLK__COUNT) return "?";
  return block_names[block];
}

static const char *base_name(int base) {
  switch (base) {
  case VI_T_ERROR: return "<error>";
  case VI_T_VOID: return "void";
  case VI_T_INT: return "int";
  case VI_T_REAL: return "real";
  case VI_T_VECTOR: return "vector";
  case VI_T_ROW_VECTOR: return "row_vector";
  case VI_T_MATRIX: return "matrix";
  case VI_T_STRING: return "string";
  default: return "?";
  }
}

char *vi_type_str(struct vi_type t, char *buf) {
  /* buf holds at least 64 bytes: "array[" + up to 40 commas + "] " + name, or
   * "array[<n> dims] name" when there are more dimensions than fit */
  const char *name = base_name(t.base);
  if (t.ndims == 0) {
    snprintf(buf, 64, "%s", name);
  } else if (t.ndims <= 41) {
    char commas[41];
    memset(commas, ',', (size_t)(t.ndims - 1));
    commas[t.ndims - 1] = 0;
    snprintf(buf, 64, "array[%s] %s", commas, name);
  } else {
    snprintf(buf, 64, "array[%d dims] %s", t.ndims, name);
  }
  return buf;
}
