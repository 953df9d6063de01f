/* ast.h: the abstract syntax tree of a .vim model.
 *
 * The parser (compiler/parse.c) builds it in an arena; every node carries its
 * source location. Fields marked "checker" are zero after parsing and are
 * filled by compiler/check.c (types, variable slots, resolved functions). */
#ifndef VI_AST_H
#define VI_AST_H
#include <stdint.h>

#include "vi/arena.h"
#include "vi/diag.h"

/* ---- types ---- */

enum vi_base {
  VI_T_ERROR = 0, /* checker: the expression already failed to type */
  VI_T_VOID,      /* function return only */
  VI_T_INT,
  VI_T_REAL,
  VI_T_VECTOR,
  VI_T_ROW_VECTOR,
  VI_T_MATRIX,
  VI_T_STRING     /* string literal: print/reject/columns() arguments only */
};

/* The static type of a value: base type plus number of array dimensions.
 * `array[N, M] vector[K]` is {VI_T_VECTOR, 2}. Sizes are run-time values. */
struct vi_type {
  uint8_t base;  /* enum vi_base */
  uint8_t ndims; /* array dimensions, 0 for a non-array */
};

/* ---- expressions ---- */

/* The tallest expression tree a model may hold. Chains such as 1 + 1 + ...
 * are parsed by loops, but the checker and the interpreter walk trees
 * recursively, so their height is bounded here. */
enum { VI_MAX_EXPR_DEPTH = 1000 };

enum vi_expr_kind {
  VI_E_INT,       /* integer literal: ival */
  VI_E_REAL,      /* real literal: rval */
  VI_E_STRING,    /* string literal: str (without quotes, escapes kept as written) */
  VI_E_VAR,       /* variable reference: var */
  VI_E_BINARY,    /* binary operator: bin */
  VI_E_UNARY,     /* prefix operator or postfix transpose: un */
  VI_E_COND,      /* c ? a : b: cond */
  VI_E_CALL,      /* function call: call (also f(y | theta) distribution calls) */
  VI_E_INDEX,     /* a[i, j:k, ...]: index */
  VI_E_ARRAY,     /* { e1, e2, ... } array expression: list */
  VI_E_ROWVEC,    /* [ e1, e2, ... ] row vector (or matrix of row vectors): list */
  VI_E_PAREN      /* ( e ): un.a, kept so printing/diagnostics see the parentheses */
};

enum vi_op {
  /* binary */
  VI_OP_ADD, VI_OP_SUB, VI_OP_MUL, VI_OP_DIV, VI_OP_IDIV /* %/% */, VI_OP_MOD,
  VI_OP_LDIV /* \ */, VI_OP_POW, VI_OP_EMUL /* .* */, VI_OP_EDIV /* ./ */,
  VI_OP_EPOW /* .^ */, VI_OP_LT, VI_OP_LE, VI_OP_GT, VI_OP_GE, VI_OP_EQ, VI_OP_NE,
  VI_OP_AND, VI_OP_OR,
  /* unary */
  VI_OP_NEG, VI_OP_NOT, VI_OP_PLUS, VI_OP_TRANSPOSE,
  VI_OP__COUNT
};

enum vi_index_kind {
  VI_IX_SINGLE, /* a[i]: lo (single int, or int array = multi-index; the checker tells) */
  VI_IX_RANGE,  /* a[lo:hi] */
  VI_IX_LOWER,  /* a[lo:] */
  VI_IX_UPPER,  /* a[:hi] */
  VI_IX_ALL     /* a[:] or a[] */
};

struct vi_index {
  uint8_t kind;  /* enum vi_index_kind */
  uint8_t multi; /* checker: VI_IX_SINGLE whose lo is an int array */
  struct vi_expr *lo, *hi;
};

struct vi_expr {
  uint8_t kind; /* enum vi_expr_kind */
  struct vi_srcloc loc;
  struct vi_type type; /* checker */
  uint8_t is_data;     /* checker: depends only on data and transformed data */
  uint16_t depth;      /* height of the tree below (1 for a leaf), at most VI_MAX_EXPR_DEPTH */
  union {
    long long ival;
    double rval;
    const char *str;
    struct {
      const char *name;
      int slot;        /* checker: index of the variable's storage */
      uint8_t scope;   /* checker: enum vi_scope */
    } var;
    struct {
      uint8_t op; /* enum vi_op */
      struct vi_expr *a, *b;
    } bin;
    struct {
      uint8_t op; /* enum vi_op (NEG, NOT, PLUS, TRANSPOSE); VI_E_PAREN ignores it */
      struct vi_expr *a;
    } un;
    struct {
      struct vi_expr *c, *a, *b;
    } cond;
    struct {
      const char *name;
      struct vi_expr **args;
      int nargs;
      uint8_t bar;            /* written as name(args[0] | args[1], ...) */
      const void *fn;         /* checker: const struct vi_func * or user function */
      struct vi_fundef *user; /* checker: user-defined function, else NULL */
      struct vi_fundef *fnarg; /* checker: an ODE solver call: the user function of args[0] (then a VI_E_STRING) */
      uint8_t ode;            /* checker: enum vi_ode_kind + 1 for an ODE solver call, else 0 */
    } call;
    struct {
      struct vi_expr *a;
      struct vi_index *ix;
      int nix;
    } index;
    struct {
      struct vi_expr **elems;
      int n;
    } list;
  } u;
};

/* ---- declarations ---- */

enum vi_cons {
  VI_C_NONE,          /* no constraint, or only lower/upper (see vi_decl.lower/upper) */
  VI_C_OFFSET_MULT,   /* <offset=, multiplier=> (either may be absent) */
  VI_C_SIMPLEX,       /* simplex[K] (vector) */
  VI_C_UNIT_VECTOR,   /* unit_vector[K] (vector) */
  VI_C_ORDERED,       /* ordered[K] (vector) */
  VI_C_POS_ORDERED,   /* positive_ordered[K] (vector) */
  VI_C_CHOL_CORR,     /* cholesky_factor_corr[K] (matrix K x K) */
  VI_C_CHOL_COV,      /* cholesky_factor_cov[M] or [M, N] (matrix M x N) */
  VI_C_CORR,          /* corr_matrix[K] (matrix K x K) */
  VI_C_COV,           /* cov_matrix[K] (matrix K x K) */
  VI_C_SUM_TO_ZERO    /* sum_to_zero_vector[K] (vector) */
};

/* One declared variable: `array[d1, d2] vector<lower=0>[n] name = init;`.
 * For constrained types the base is VI_T_VECTOR or VI_T_MATRIX and rows/cols
 * carry the sizes (cov_matrix[K]: rows = cols = the K expression). */
struct vi_decl {
  const char *name;
  struct vi_srcloc loc;      /* of the name */
  struct vi_type type;       /* base and number of array dims */
  struct vi_expr **dims;     /* array dimension sizes, type.ndims of them */
  struct vi_expr *rows;      /* vector/row_vector size, matrix rows; else NULL */
  struct vi_expr *cols;      /* matrix cols; else NULL */
  uint8_t cons;              /* enum vi_cons */
  struct vi_expr *lower, *upper;         /* <lower=, upper=>, NULL if absent */
  struct vi_expr *offset, *multiplier;   /* VI_C_OFFSET_MULT, NULL if absent */
  struct vi_expr *init;      /* initialiser or NULL */
  uint8_t block;             /* enum vi_block it is declared in (local: the enclosing block) */
  uint8_t is_local;          /* declared inside a statement block, not at block top level */
  int slot;                  /* checker */
  uint8_t point;             /* enum vi_point_kind: an @point annotation (parameters only) */
  struct vi_srcloc point_loc; /* of the '@' */
  uint8_t local;             /* @local (parser); after the guide rewrite: a per-row latent, its
                                __mean_/__sd_ (transformed parameters, not in the draws output) */
  struct vi_srcloc local_loc; /* of the '@' of @local */
  uint8_t guide;             /* a guide parameter (encoder weight), rewritten to a point parameter */
  uint8_t noise;             /* __eps_ data: not read from the data, filled with standard normals */
};

/* Annotations of a parameter (Stan's proposed `@name` syntax). */
enum vi_point_kind {
  VI_POINT_NONE = 0,
  VI_POINT_MAP,  /* @point: optimised, prior kept (MAP on the constrained scale) */
  VI_POINT_ML,   /* @point(ml): optimised, its prior terms dropped (runtime/point.c) */
  VI_POINT_PIN   /* runtime only (--pin): held at a given value */
};

/* ---- statements ---- */

enum vi_stmt_kind {
  VI_S_DECL,     /* decl */
  VI_S_ASSIGN,   /* assign */
  VI_S_TILDE,    /* tilde */
  VI_S_TARGET,   /* target += e: expr */
  VI_S_FOR,      /* for (var in lo:hi) body: loop */
  VI_S_FOREACH,  /* for (var in container) body: loop (lo = container, hi = NULL) */
  VI_S_WHILE,    /* while (cond) body: loop (lo = cond) */
  VI_S_IF,       /* ifs */
  VI_S_BLOCK,    /* { stmts }: list */
  VI_S_PRINT,    /* print(args): list of exprs in print */
  VI_S_REJECT,   /* reject(args) */
  VI_S_FATAL,    /* fatal_error(args) */
  VI_S_BREAK,
  VI_S_CONTINUE,
  VI_S_RETURN,   /* return e; (expr, NULL for a void return) */
  VI_S_EXPR,     /* a function call used as a statement: expr */
  VI_S_EMPTY,    /* ; */
  VI_S_VLOOP     /* lowering: a loop and its whole-range form: vloop (compiler/lower.c) */
};

enum vi_assign_op {
  VI_AS_SET, VI_AS_ADD, VI_AS_SUB, VI_AS_MUL, VI_AS_DIV, VI_AS_EMUL, VI_AS_EDIV
};

struct vi_stmt {
  uint8_t kind; /* enum vi_stmt_kind */
  struct vi_srcloc loc;
  union {
    struct vi_decl *decl;
    struct {
      struct vi_expr *lhs; /* VI_E_VAR or VI_E_INDEX of a VI_E_VAR */
      uint8_t op;          /* enum vi_assign_op */
      struct vi_expr *rhs;
      struct vi_srcloc op_loc;
    } assign;
    struct {
      struct vi_expr *lhs;
      const char *dist;           /* distribution name as written, e.g. "normal" */
      struct vi_srcloc dist_loc;
      struct vi_expr **args;
      int nargs;
      struct vi_expr *trunc_lo, *trunc_hi; /* T[lo, hi]; either may be NULL */
      uint8_t has_trunc;
      const void *fn;             /* checker */
      struct vi_fundef *user;     /* checker: user-defined foo_lpdf */
    } tilde;
    struct vi_expr *expr;
    struct {
      const char *var;
      struct vi_srcloc var_loc;
      struct vi_expr *lo, *hi;
      struct vi_stmt *body;
      int slot; /* checker: loop variable's storage */
    } loop;
    struct {
      struct vi_expr *cond;
      struct vi_stmt *then, *els; /* els may be NULL */
    } ifs;
    struct {
      struct vi_stmt *loop;  /* the VI_S_FOR as written */
      struct vi_stmt *whole; /* the same as whole-range statements (VI_S_BLOCK) */
    } vloop;
    struct {
      struct vi_stmt **stmts;
      int n;
    } block;
    struct {
      struct vi_expr **args;
      int n;
    } print;
  } u;
};

/* ---- program ---- */

enum vi_block {
  VI_BLK_FUNCTIONS,
  VI_BLK_DATA,
  VI_BLK_TDATA,
  VI_BLK_PARAMS,
  VI_BLK_TPARAMS,
  VI_BLK_MODEL,
  VI_BLK_GQ,
  VI_BLK__COUNT
};

struct vi_fparam {
  const char *name;
  struct vi_srcloc loc;
  struct vi_type type;  /* array dims from `array[,]` (ndims = commas + 1) */
  uint8_t data_only;    /* declared with the `data` qualifier */
  int slot;             /* checker */
};

struct vi_ffi_fn;

/* A user function: `real foo(real x, data vector v) { ... }`, or a foreign
 * function: `real hill(real x) = extern("lib.so", "hill", grad = "hill_grad");` */
struct vi_fundef {
  const char *name;
  struct vi_srcloc loc;
  struct vi_type ret;        /* VI_T_VOID for void */
  struct vi_fparam *params;
  int nparams;
  struct vi_stmt *body;      /* VI_S_BLOCK, or NULL for a forward declaration / extern */
  const char *ext_lib, *ext_sym, *ext_grad; /* extern: library, symbol, gradient symbol (or NULL) */
  struct vi_srcloc ext_loc;
  const struct vi_ffi_fn *ext_fn; /* runtime: the opened foreign function (vi_ffi_open) */
  int nslots;                /* checker: local storage size */
};

/* What the lowering stage made of one `for` loop (compiler/lower.c). */
struct vi_loop_note {
  struct vi_srcloc loc;
  const char *why_not; /* NULL: rewritten as whole-range statements; else why it runs as a loop */
  const struct vi_stmt *vloop; /* the VI_S_VLOOP it became, when why_not is NULL */
};

/* One @local after the guide rewrite (compiler/guide.c). */
struct vi_guide_local {
  struct vi_decl *z, *mean, *sd, *eps;
  struct vi_stmt *sample; /* the guide's `z[n] ~ normal(...)` */
};

struct vi_program {
  const char *file;          /* model file name, for messages */
  const char *src;           /* model text */
  struct vi_fundef **funs;
  int nfuns;
  struct vi_stmt **body[VI_BLK__COUNT]; /* top-level statements of each block */
  int nbody[VI_BLK__COUNT];
  uint8_t present[VI_BLK__COUNT];       /* the block was written */
  struct vi_srcloc block_loc[VI_BLK__COUNT];
  struct vi_loop_note *loops; /* lowering: loops of the transformed parameters and model blocks */
  int nloops, caploops;
  /* amortised inference (compiler/guide.c): the parsed `guide parameters` and
   * `guide` blocks; vi_guide_rewrite moves them into the blocks above */
  struct vi_stmt **gparams, **guide;
  int ngparams, nguide;
  uint8_t has_gparams, has_guide_block;
  struct vi_srcloc gparams_loc, guide_loc;
  struct vi_guide_local *locals;
  int nlocals;
  uint8_t has_guide; /* rewritten: locals sampled by the guide */
};

/* ---- parsing (compiler/lex.c, compiler/parse.c) ---- */

/* Parses a model. All nodes live in `a`; strings point into `a` too.
 * Returns NULL when there were syntax errors (each reported to d, several per
 * run where recovery allows); never aborts on any input. `file` is borrowed
 * and used in every location. */
struct vi_program *vi_parse(struct vi_arena *a, const char *file, const char *src, size_t len,
                            struct vi_diags *d);

/* Human-readable names, for messages. */
const char *vi_op_name(int op);          /* "+", ".*", "'" ... */
const char *vi_block_name(int block);    /* "transformed data" ... */
/* Writes e.g. "array[,] vector" into buf (size >= 64); returns buf. */
char *vi_type_str(struct vi_type t, char *buf);

#endif
