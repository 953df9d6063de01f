/* parse.c: recursive-descent parser from tokens to the AST (include/vi/ast.h).
 *
 * One static function per grammar rule, its EBNF in the comment above it.
 * Binary operators use precedence climbing over binops[] (Stan's table).
 *
 * Locations: statements and declarations-as-statements carry the location of
 * their first token; a vi_decl the location of its name; binary, conditional
 * and postfix nodes the location of their operator (`+`, `?`, `'`, the `[` of
 * an index); prefix nodes, literals, variables and calls their first token.
 * Errors are reported at the start of the offending token (a missing ';' is
 * reported at the token found in its place).
 *
 * Recovery: a statement that fails to parse reports one error, then tokens
 * are skipped up to the next ';' or the '}' that closes the enclosing block
 * (balanced braces are skipped whole), and parsing goes on. Nesting of
 * statements and expressions is limited to VI_PARSE_MAX_DEPTH. */
#include <stdio.h>
#include <string.h>

#include "lex.h"
#include "vi/ast.h"

enum { VI_PARSE_MAX_DEPTH = 256 };

struct vec {
  void **v;
  int n, cap;
};

struct parser {
  struct vi_arena *a;
  struct vi_diags *d;
  const char *file, *src;
  size_t len;
  struct vi_lexer lx;
  struct vi_token tok[3]; /* tok[0] is the current token, then two of lookahead */
  size_t prev_end;        /* byte offset just past the previous token */
  int depth;              /* nesting of statements and expressions */
  int nerr;               /* errors reported by this parse */
  struct vi_srcloc last_err;
  int abort;              /* stop: nesting limit, out of memory, too many errors */
  int block;              /* enum vi_block being parsed */
  int local;              /* > 0 inside a statement block (model block counts) */
  int loops;              /* enclosing loops, for break/continue */
  int in_fun;             /* inside a function body */
  int gparams, guide;     /* inside 'guide parameters' / 'guide' */
};

/* ---- errors and tokens ---- */

static void error(struct parser *p, struct vi_srcloc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void error(struct parser *p, struct vi_srcloc loc, const char *fmt, ...) {
  if (p->nerr && p->last_err.line == loc.line && p->last_err.col == loc.col) return;
  if (p->tok[0].kind == VI_TK_AT && p->tok[0].loc.line == loc.line && p->tok[0].loc.col == loc.col) {
    /* an '@' where no annotation can be: a stray character, as before annotations existed */
    vi_error(p->d, loc, "stray character '@' in the program (annotations such as @point go before a "
             "parameter declaration)");
  } else {
    va_list ap;
    va_start(ap, fmt);
    vi_verror(p->d, loc, fmt, ap);
    va_end(ap);
  }
  p->nerr++;
  p->last_err = loc;
  if (p->d->nerrors > p->d->max_errors) p->abort = 1;
}

/* Reports the lexical error attached to the current token, if any. */
static void report_lex(struct parser *p) {
  struct vi_token *t = &p->tok[0];
  if (t->err) {
    error(p, t->err_loc, "%s", t->err);
    t->err = NULL;
  }
}

static void advance(struct parser *p) {
  if (p->tok[0].kind == VI_TK_EOF) return;
  p->prev_end = p->tok[0].off + p->tok[0].len;
  p->tok[0] = p->tok[1];
  p->tok[1] = p->tok[2];
  p->tok[2] = p->tok[1].kind == VI_TK_EOF ? p->tok[1] : vi_lex_next(&p->lx);
  if (p->tok[1].kind == VI_TK_EOF) p->tok[2].err = NULL;
  report_lex(p);
}

static int at(const struct parser *p, int kind) { return p->tok[0].kind == kind; }
static int at_kw(const struct parser *p, int kw) {
  return p->tok[0].kind == VI_TK_IDENT && p->tok[0].kw == kw;
}
static struct vi_srcloc loc0(const struct parser *p) { return p->tok[0].loc; }

/* Describes a token for "found X": 'name', '+', end of file. */
static const char *describe(const struct parser *p, const struct vi_token *t, char *buf,
                            size_t n) {
  switch (t->kind) {
  case VI_TK_IDENT:
  case VI_TK_INT:
  case VI_TK_REAL:
    snprintf(buf, n, "'%.*s%s'", t->len > 40 ? 40 : (int)t->len, p->src + t->off,
             t->len > 40 ? "..." : "");
    return buf;
  case VI_TK_STRING: return "a string";
  default: return vi_tok_kind_name(t->kind);
  }
}

#define FOUND(p) describe((p), &(p)->tok[0], found_buf, sizeof found_buf)

/* Consumes a token of the given kind or reports "expected WHAT, found X". */
static int expect(struct parser *p, int kind, const char *what) {
  if (at(p, kind)) {
    advance(p);
    return 1;
  }
  char found_buf[64];
  error(p, loc0(p), "expected %s, found %s", what, FOUND(p));
  return 0;
}

/* ---- memory ---- */

static void *alloc(struct parser *p, size_t size) {
  void *m = vi_arena_alloc(p->a, size);
  if (!m && !p->abort) {
    error(p, loc0(p), "out of memory while parsing");
    p->abort = 1;
  }
  return m;
}

static int vec_push(struct parser *p, struct vec *v, void *x) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 4;
    if (cap > (1 << 28)) {
      error(p, loc0(p), "too many items in one list");
      p->abort = 1;
      return 0;
    }
    void **nv = alloc(p, (size_t)cap * sizeof *nv);
    if (!nv) return 0;
    if (v->n) memcpy(nv, v->v, (size_t)v->n * sizeof *nv);
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = x;
  return 1;
}

static const char *tok_str(struct parser *p, const struct vi_token *t) {
  char *s = vi_arena_strndup(p->a, p->src + t->off, t->len);
  if (!s && !p->abort) {
    error(p, t->loc, "out of memory while parsing");
    p->abort = 1;
  }
  return s;
}

/* The text of a string token without its quotes. */
static const char *string_value(struct parser *p, const struct vi_token *t) {
  size_t n = t->len >= 2 && p->src[t->off + t->len - 1] == '"' ? t->len - 2 : t->len - 1;
  char *s = vi_arena_strndup(p->a, p->src + t->off + 1, n);
  if (!s && !p->abort) {
    error(p, t->loc, "out of memory while parsing");
    p->abort = 1;
  }
  return s;
}

static int enter(struct parser *p) {
  if (p->abort) return 0;
  if (++p->depth > VI_PARSE_MAX_DEPTH) {
    error(p, loc0(p), "nesting too deep (limit %d)", VI_PARSE_MAX_DEPTH);
    p->abort = 1;
    return 0;
  }
  return 1;
}
static void leave(struct parser *p) { p->depth--; }

/* ---- recovery ---- */

/* Skips to just after the next ';' or to the '}' closing the current block,
 * skipping balanced braces whole. */
static void sync(struct parser *p) {
  int depth = 0;
  while (!at(p, VI_TK_EOF) && !p->abort) {
    if (at(p, VI_TK_SEMI) && depth == 0) {
      advance(p);
      return;
    }
    if (at(p, VI_TK_LBRACE)) depth++;
    if (at(p, VI_TK_RBRACE)) {
      if (depth == 0) return;
      if (--depth == 0) {
        advance(p);
        return;
      }
    }
    advance(p);
  }
}

static int is_block_kw(const struct vi_token *t) {
  if (t->kind != VI_TK_IDENT) return 0;
  switch (t->kw) {
  case VI_KW_FUNCTIONS: case VI_KW_DATA: case VI_KW_TRANSFORMED: case VI_KW_PARAMETERS:
  case VI_KW_MODEL: case VI_KW_GENERATED: return 1;
  default: return 0;
  }
}

/* Skips to the next block keyword outside braces (top-level recovery). */
static void skip_to_block(struct parser *p) {
  int depth = 0;
  while (!at(p, VI_TK_EOF) && !p->abort) {
    if (depth == 0 && is_block_kw(&p->tok[0])) return;
    if (at(p, VI_TK_LBRACE)) depth++;
    if (at(p, VI_TK_RBRACE) && depth > 0) depth--;
    advance(p);
  }
}

/* ---- names ---- */

static const char *const type_words[] = {
    "int", "real", "vector", "row_vector", "matrix", "simplex", "unit_vector", "ordered",
    "positive_ordered", "cholesky_factor_corr", "cholesky_factor_cov", "corr_matrix",
    "cov_matrix", "sum_to_zero_vector", "array"};

/* The closest of n words to s within edit distance 2, or NULL. */
static const char *closest(const char *s, const char *const *words, int n) {
  const char *best = NULL;
  int bd = 3;
  for (int i = 0; i < n; i++) {
    int dd = vi_edit_distance(s, words[i], 2);
    if (dd < bd) {
      bd = dd;
      best = words[i];
    }
  }
  return best;
}

/* Stan types vi does not have (docs/unsupported.md). */
static const char *const unsupported_types[] = {
    "complex", "complex_vector", "complex_row_vector", "complex_matrix", "tuple",
    "column_stochastic_matrix", "row_stochastic_matrix", "sum_to_zero_matrix", NULL};

static int is_unsupported_type(const char *w) {
  for (int i = 0; unsupported_types[i]; i++)
    if (!strcmp(w, unsupported_types[i])) return 1;
  return 0;
}

/* "did you mean" for an unknown type name among the first n type_words;
 * C's float/double/long suggest Stan's real/int. */
static const char *type_suggestion(const char *w, int n) {
  static const char *const c_words[] = {"float", "double", "integer", "long"};
  static const char *const c_sugg[] = {"real", "real", "int", "int"};
  for (int i = 0; i < 4; i++)
    if (vi_edit_distance(w, c_words[i], 2) <= 2) return c_sugg[i];
  return closest(w, type_words, n);
}

/* Checks that the current identifier token may name a variable or function;
 * reports and returns 0 if not. what: "variable", "function", ... */
static int check_name(struct parser *p, const char *what) {
  const struct vi_token *t = &p->tok[0];
  char found_buf[64];
  if (t->kind != VI_TK_IDENT) {
    error(p, t->loc, "expected a %s name, found %s", what, FOUND(p));
    return 0;
  }
  if (t->kw != VI_KW_NONE) {
    error(p, t->loc, "'%s' is a reserved word and cannot be used as a %s name",
          vi_kw_name(t->kw), what);
    return 0;
  }
  if (t->len >= 2 && p->src[t->off + t->len - 1] == '_' && p->src[t->off + t->len - 2] == '_') {
    error(p, t->loc, "the name '%.*s' is reserved (names ending in '__' are for internal use)",
          (int)t->len, p->src + t->off);
    return 0;
  }
  return 1;
}

static int is_type_kw(int kw) {
  return (kw >= VI_KW_INT && kw <= VI_KW_ARRAY);
}

static int at_decl_start(const struct parser *p) {
  return p->tok[0].kind == VI_TK_IDENT && is_type_kw(p->tok[0].kw);
}

/* ---- expressions ---- */

static struct vi_expr *parse_expr(struct parser *p);
static struct vi_expr *parse_binary(struct parser *p, int min_prec);

enum { PREC_OR = 1, PREC_AND, PREC_EQ, PREC_CMP, PREC_ADD, PREC_MUL, PREC_LDIV, PREC_EMUL };

/* Binary operators, loosest first (Stan's precedence: `\` binds tighter than
 * `*`, and `.*`, `./` tighter still). All are left associative. */
static const struct {
  unsigned char tok, op, prec;
} binops[] = {
    {VI_TK_OR, VI_OP_OR, PREC_OR},        {VI_TK_AND, VI_OP_AND, PREC_AND},
    {VI_TK_EQ, VI_OP_EQ, PREC_EQ},        {VI_TK_NE, VI_OP_NE, PREC_EQ},
    {VI_TK_LT, VI_OP_LT, PREC_CMP},       {VI_TK_LE, VI_OP_LE, PREC_CMP},
    {VI_TK_GT, VI_OP_GT, PREC_CMP},       {VI_TK_GE, VI_OP_GE, PREC_CMP},
    {VI_TK_PLUS, VI_OP_ADD, PREC_ADD},    {VI_TK_MINUS, VI_OP_SUB, PREC_ADD},
    {VI_TK_STAR, VI_OP_MUL, PREC_MUL},    {VI_TK_SLASH, VI_OP_DIV, PREC_MUL},
    {VI_TK_PERCENT, VI_OP_MOD, PREC_MUL}, {VI_TK_IDIV, VI_OP_IDIV, PREC_MUL},
    {VI_TK_BACKSLASH, VI_OP_LDIV, PREC_LDIV},
    {VI_TK_DOTSTAR, VI_OP_EMUL, PREC_EMUL}, {VI_TK_DOTSLASH, VI_OP_EDIV, PREC_EMUL},
};

static struct vi_expr *new_expr(struct parser *p, int kind, struct vi_srcloc loc) {
  struct vi_expr *e = alloc(p, sizeof *e);
  if (e) {
    e->kind = (uint8_t)kind;
    e->loc = loc;
    e->depth = 1;
  }
  return e;
}

/* Makes e at least one taller than child; refuses trees past the limit. */
static int grow(struct parser *p, struct vi_expr *e, const struct vi_expr *child) {
  if (!e || !child) return 1;
  if (child->depth + 1 > e->depth) e->depth = (uint16_t)(child->depth + 1);
  if (e->depth > VI_MAX_EXPR_DEPTH) {
    error(p, e->loc, "expression too deep: more than %d nested operations (limit %d)", VI_MAX_EXPR_DEPTH,
          VI_MAX_EXPR_DEPTH);
    p->abort = 1;
    return 0;
  }
  return 1;
}

static struct vi_expr *new_bin(struct parser *p, int op, struct vi_srcloc loc,
                               struct vi_expr *a, struct vi_expr *b) {
  struct vi_expr *e = new_expr(p, VI_E_BINARY, loc);
  if (e) {
    e->u.bin.op = (uint8_t)op;
    e->u.bin.a = a;
    e->u.bin.b = b;
    if (!grow(p, e, a) || !grow(p, e, b)) return NULL;
  }
  return e;
}

static struct vi_expr *new_un(struct parser *p, int kind, int op, struct vi_srcloc loc,
                              struct vi_expr *a) {
  struct vi_expr *e = new_expr(p, kind, loc);
  if (e) {
    e->u.un.op = (uint8_t)op;
    e->u.un.a = a;
    if (!grow(p, e, a)) return NULL;
  }
  return e;
}

/* Location of the first character of an expression. */
static struct vi_srcloc expr_start(const struct vi_expr *e) {
  for (;;) {
    switch (e->kind) {
    case VI_E_BINARY: e = e->u.bin.a; break;
    case VI_E_COND: e = e->u.cond.c; break;
    case VI_E_INDEX: e = e->u.index.a; break;
    case VI_E_UNARY:
      if (e->u.un.op != VI_OP_TRANSPOSE) return e->loc;
      e = e->u.un.a;
      break;
    default: return e->loc;
    }
  }
}

/* args := [ arg { (',' | '|') arg } ]  ')'   with arg := STRING | expr;
 * the '|' only after the first argument. The '(' is already consumed. */
static int parse_args(struct parser *p, struct vec *args, uint8_t *bar, int strings,
                      const char *what) {
  char found_buf[64];
  if (at(p, VI_TK_RPAREN)) {
    advance(p);
    return 1;
  }
  for (;;) {
    struct vi_expr *e;
    if (at(p, VI_TK_STRING) && strings) {
      e = new_expr(p, VI_E_STRING, loc0(p));
      if (!e) return 0;
      e->u.str = string_value(p, &p->tok[0]);
      advance(p);
    } else {
      e = parse_expr(p);
    }
    if (!e || !vec_push(p, args, e)) return 0;
    if (at(p, VI_TK_RPAREN)) {
      advance(p);
      return 1;
    }
    if (at(p, VI_TK_BAR)) {
      if (args->n != 1 || !bar || *bar) {
        error(p, loc0(p), "'|' can only follow the first argument of a call");
        return 0;
      }
      *bar = 1;
      advance(p);
      continue;
    }
    if (!at(p, VI_TK_COMMA)) {
      error(p, loc0(p), "expected ',' or ')' in the arguments of %s, found %s", what,
            FOUND(p));
      return 0;
    }
    advance(p);
  }
}

/* index := [ expr ] [ ':' [ expr ] ]   (empty index or ':' alone: all) */
static int parse_index(struct parser *p, struct vi_index *ix) {
#define INDEX_END (at(p, VI_TK_COMMA) || at(p, VI_TK_RBRACK))
  if (INDEX_END) {
    ix->kind = VI_IX_ALL;
    return 1;
  }
  if (at(p, VI_TK_COLON)) {
    advance(p);
    if (INDEX_END) {
      ix->kind = VI_IX_ALL;
      return 1;
    }
    ix->kind = VI_IX_UPPER;
    ix->hi = parse_expr(p);
    return ix->hi != NULL;
  }
  ix->lo = parse_expr(p);
  if (!ix->lo) return 0;
  if (!at(p, VI_TK_COLON)) {
    ix->kind = VI_IX_SINGLE;
    return 1;
  }
  advance(p);
  if (INDEX_END) {
    ix->kind = VI_IX_LOWER;
    return 1;
  }
  ix->kind = VI_IX_RANGE;
  ix->hi = parse_expr(p);
  return ix->hi != NULL;
#undef INDEX_END
}

/* indexing := '[' index { ',' index } ']'   ('[' already current) */
static struct vi_expr *parse_indexing(struct parser *p, struct vi_expr *base) {
  char found_buf[64];
  struct vi_srcloc loc = loc0(p);
  advance(p);
  struct vi_index *ix = NULL;
  int n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      int ncap = cap ? cap * 2 : 2;
      if (ncap > (1 << 20)) {
        error(p, loc0(p), "too many indices");
        return NULL;
      }
      struct vi_index *nix = alloc(p, (size_t)ncap * sizeof *nix);
      if (!nix) return NULL;
      if (n) memcpy(nix, ix, (size_t)n * sizeof *nix);
      ix = nix;
      cap = ncap;
    }
    if (!parse_index(p, &ix[n])) return NULL;
    n++;
    if (at(p, VI_TK_RBRACK)) {
      advance(p);
      break;
    }
    if (!at(p, VI_TK_COMMA)) {
      error(p, loc0(p), "expected ',' or ']' in the index, found %s", FOUND(p));
      return NULL;
    }
    advance(p);
  }
  struct vi_expr *e = new_expr(p, VI_E_INDEX, loc);
  if (!e) return NULL;
  e->u.index.a = base;
  e->u.index.ix = ix;
  e->u.index.nix = n;
  if (!grow(p, e, base)) return NULL;
  for (int i = 0; i < n; i++)
    if ((ix[i].lo && !grow(p, e, ix[i].lo)) || (ix[i].hi && !grow(p, e, ix[i].hi))) return NULL;
  return e;
}

/* list := open expr { ',' expr } close   (for { } arrays and [ ] row vectors) */
static struct vi_expr *parse_list(struct parser *p, int kind, int close, const char *what) {
  char found_buf[64];
  struct vi_srcloc loc = loc0(p);
  advance(p);
  struct vec v = {0};
  for (;;) {
    struct vi_expr *x = parse_expr(p);
    if (!x || !vec_push(p, &v, x)) return NULL;
    if (at(p, close)) {
      advance(p);
      break;
    }
    if (!at(p, VI_TK_COMMA)) {
      error(p, loc0(p), "expected ',' or %s in the %s, found %s", vi_tok_kind_name(close), what,
            FOUND(p));
      return NULL;
    }
    advance(p);
  }
  struct vi_expr *e = new_expr(p, kind, loc);
  if (!e) return NULL;
  e->u.list.elems = (struct vi_expr **)v.v;
  e->u.list.n = v.n;
  for (int i = 0; i < v.n; i++)
    if (!grow(p, e, e->u.list.elems[i])) return NULL;
  return e;
}

/* primary := INT | REAL | IDENT | IDENT '(' args | '(' expr ')'
 *          | '{' expr { ',' expr } '}' | '[' expr { ',' expr } ']' */
static struct vi_expr *parse_primary(struct parser *p) {
  char found_buf[64];
  struct vi_token t = p->tok[0];
  struct vi_expr *e;
  switch (t.kind) {
  case VI_TK_INT:
    e = new_expr(p, VI_E_INT, t.loc);
    if (e) e->u.ival = t.ival;
    advance(p);
    return e;
  case VI_TK_REAL:
    e = new_expr(p, VI_E_REAL, t.loc);
    if (e) e->u.rval = t.rval;
    advance(p);
    return e;
  case VI_TK_STRING:
    error(p, t.loc, "a string literal can only be an argument of a function or print");
    return NULL;
  case VI_TK_IDENT:
    if (p->tok[1].kind == VI_TK_LPAREN) {
      if (t.kw != VI_KW_NONE && t.kw != VI_KW_TARGET) {
        error(p, t.loc, "expected an expression, found %s", FOUND(p));
        return NULL;
      }
      advance(p);
      advance(p);
      struct vec args = {0};
      uint8_t bar = 0;
      char what[64];
      snprintf(what, sizeof what, "'%.*s'", t.len > 40 ? 40 : (int)t.len, p->src + t.off);
      if (!parse_args(p, &args, &bar, 1, what)) return NULL;
      e = new_expr(p, VI_E_CALL, t.loc);
      if (!e) return NULL;
      e->u.call.name = tok_str(p, &t);
      e->u.call.args = (struct vi_expr **)args.v;
      e->u.call.nargs = args.n;
      e->u.call.bar = bar;
      for (int i = 0; i < args.n; i++)
        if (!grow(p, e, e->u.call.args[i])) return NULL;
      return e;
    }
    if (t.kw == VI_KW_TARGET) {
      error(p, t.loc, "'target' can only be used as 'target += ...' or 'target()'");
      return NULL;
    }
    if (t.kw != VI_KW_NONE) {
      error(p, t.loc, "expected an expression, found %s", FOUND(p));
      return NULL;
    }
    e = new_expr(p, VI_E_VAR, t.loc);
    if (e) e->u.var.name = tok_str(p, &t);
    advance(p);
    return e;
  case VI_TK_LPAREN: {
    advance(p);
    struct vi_expr *a = parse_expr(p);
    if (!a) return NULL;
    if (!at(p, VI_TK_RPAREN)) {
      error(p, loc0(p), "expected ')' to close the '(' at line %d, found %s", t.loc.line,
            FOUND(p));
      return NULL;
    }
    advance(p);
    return new_un(p, VI_E_PAREN, 0, t.loc, a);
  }
  case VI_TK_LBRACE: return parse_list(p, VI_E_ARRAY, VI_TK_RBRACE, "array expression");
  case VI_TK_LBRACK: return parse_list(p, VI_E_ROWVEC, VI_TK_RBRACK, "row vector expression");
  default:
    error(p, t.loc, "expected an expression, found %s", FOUND(p));
    return NULL;
  }
}

/* postfix := primary { indexing | '\'' } */
static struct vi_expr *parse_postfix(struct parser *p) {
  struct vi_expr *e = parse_primary(p);
  while (e) {
    if (at(p, VI_TK_LBRACK)) {
      e = parse_indexing(p, e);
    } else if (at(p, VI_TK_QUOTE)) {
      e = new_un(p, VI_E_UNARY, VI_OP_TRANSPOSE, loc0(p), e);
      advance(p);
    } else {
      break;
    }
  }
  return e;
}

static struct vi_expr *parse_unary(struct parser *p);

/* power := postfix [ ('^' | '.^') unary ]   (right associative) */
static struct vi_expr *parse_power(struct parser *p) {
  struct vi_expr *e = parse_postfix(p);
  if (!e || !(at(p, VI_TK_HAT) || at(p, VI_TK_DOTHAT))) return e;
  int op = at(p, VI_TK_HAT) ? VI_OP_POW : VI_OP_EPOW;
  struct vi_srcloc loc = loc0(p);
  advance(p);
  if (!enter(p)) return NULL;
  struct vi_expr *b = parse_unary(p);
  leave(p);
  return b ? new_bin(p, op, loc, e, b) : NULL;
}

/* unary := ('-' | '!' | '+') unary | power */
static struct vi_expr *parse_unary(struct parser *p) {
  int op;
  switch (p->tok[0].kind) {
  case VI_TK_MINUS: op = VI_OP_NEG; break;
  case VI_TK_BANG: op = VI_OP_NOT; break;
  case VI_TK_PLUS: op = VI_OP_PLUS; break;
  default: return parse_power(p);
  }
  struct vi_srcloc loc = loc0(p);
  advance(p);
  if (!enter(p)) return NULL;
  struct vi_expr *a = parse_unary(p);
  leave(p);
  return a ? new_un(p, VI_E_UNARY, op, loc, a) : NULL;
}

/* binary(k) := unary { OP binary(prec(OP) + 1) }  for operators with prec >= k */
static struct vi_expr *parse_binary(struct parser *p, int min_prec) {
  struct vi_expr *lhs = parse_unary(p);
  while (lhs) {
    int i, n = (int)(sizeof binops / sizeof binops[0]);
    for (i = 0; i < n; i++)
      if (binops[i].tok == p->tok[0].kind && binops[i].prec >= min_prec) break;
    if (i == n) break;
    struct vi_srcloc loc = loc0(p);
    advance(p);
    struct vi_expr *rhs = parse_binary(p, binops[i].prec + 1);
    if (!rhs) return NULL;
    lhs = new_bin(p, binops[i].op, loc, lhs, rhs);
  }
  return lhs;
}

/* expr := binary(PREC_OR) [ '?' expr ':' expr ]   (right associative) */
static struct vi_expr *parse_expr(struct parser *p) {
  if (!enter(p)) return NULL;
  struct vi_expr *c = parse_binary(p, PREC_OR);
  if (c && at(p, VI_TK_QUESTION)) {
    struct vi_srcloc loc = loc0(p);
    advance(p);
    struct vi_expr *a = parse_expr(p), *b = NULL;
    if (a && expect(p, VI_TK_COLON, "':' in the conditional expression")) b = parse_expr(p);
    if (!b) {
      c = NULL;
    } else {
      struct vi_expr *e = new_expr(p, VI_E_COND, loc);
      if (e) {
        e->u.cond.c = c;
        e->u.cond.a = a;
        e->u.cond.b = b;
        if (!grow(p, e, c) || !grow(p, e, a) || !grow(p, e, b)) e = NULL;
      }
      c = e;
    }
  }
  leave(p);
  return c;
}

/* ---- declarations ---- */

struct dtype {
  struct vi_decl d;     /* type fields filled, name/init not */
  struct vi_srcloc loc; /* first token of the type */
  size_t off, end;      /* source range of the type */
  int constrained;      /* has <...> or is a constrained type */
};

/* range := '<' key '=' binary(PREC_ADD) { ',' key '=' binary(PREC_ADD) } '>'
 * with key one of lower upper (int, real, vectors, matrix) offset multiplier
 * (real, vectors, matrix). */
static int parse_constraint(struct parser *p, struct vi_decl *d, int is_int) {
  static const char *const keys[] = {"lower", "upper", "offset", "multiplier"};
  char found_buf[64];
  advance(p); /* '<' */
  for (;;) {
    struct vi_token k = p->tok[0];
    if (k.kind != VI_TK_IDENT || k.kw < VI_KW_LOWER || k.kw > VI_KW_MULTIPLIER) {
      const char *sug = NULL;
      if (k.kind == VI_TK_IDENT && k.len < 64) {
        char w[64];
        memcpy(w, p->src + k.off, k.len);
        w[k.len] = 0;
        sug = closest(w, keys, 4);
      }
      if (sug)
        error(p, k.loc, "unknown constraint %s (did you mean '%s'?)", FOUND(p), sug);
      else
        error(p, k.loc, "expected 'lower', 'upper', 'offset' or 'multiplier' in the "
              "constraint, found %s", FOUND(p));
      return 0;
    }
    struct vi_expr **slot = k.kw == VI_KW_LOWER ? &d->lower
                            : k.kw == VI_KW_UPPER ? &d->upper
                            : k.kw == VI_KW_OFFSET ? &d->offset : &d->multiplier;
    int affine = k.kw == VI_KW_OFFSET || k.kw == VI_KW_MULTIPLIER;
    if (affine && is_int) {
      error(p, k.loc, "'%s' is not allowed on an int", vi_kw_name(k.kw));
      return 0;
    }
    if (*slot) {
      error(p, k.loc, "duplicate '%s' in the constraint", vi_kw_name(k.kw));
      return 0;
    }
    if ((affine && (d->lower || d->upper)) || (!affine && (d->offset || d->multiplier))) {
      error(p, k.loc, "'lower'/'upper' cannot be combined with 'offset'/'multiplier'");
      return 0;
    }
    advance(p);
    if (!at(p, VI_TK_ASSIGN)) {
      error(p, loc0(p), "expected '=' after '%s', found %s", vi_kw_name(k.kw), FOUND(p));
      return 0;
    }
    advance(p);
    if (!enter(p)) return 0;
    *slot = parse_binary(p, PREC_ADD);
    leave(p);
    if (!*slot) return 0;
    if (affine) d->cons = VI_C_OFFSET_MULT;
    if (at(p, VI_TK_COMMA)) {
      advance(p);
      continue;
    }
    if (at(p, VI_TK_GT)) {
      advance(p);
      return 1;
    }
    error(p, loc0(p), "expected ',' or '>' in the constraint, found %s", FOUND(p));
    return 0;
  }
}

/* sizes := '[' expr { ',' expr } ']' with between min and max expressions. */
static int parse_sizes(struct parser *p, const char *type, int min, int max,
                       struct vi_expr **out) {
  char found_buf[64];
  if (!at(p, VI_TK_LBRACK)) {
    error(p, loc0(p), "expected '[' with the size of the %s, found %s", type, FOUND(p));
    return 0;
  }
  advance(p);
  int n = 0;
  for (;;) {
    struct vi_expr *e = parse_expr(p);
    if (!e) return 0;
    if (n == max) {
      error(p, expr_start(e), "too many sizes for %s (at most %d)", type, max);
      return 0;
    }
    out[n++] = e;
    if (at(p, VI_TK_COMMA)) {
      advance(p);
      continue;
    }
    if (at(p, VI_TK_RBRACK)) break;
    error(p, loc0(p), "expected ',' or ']' after the size, found %s", FOUND(p));
    return 0;
  }
  if (n < min) {
    error(p, loc0(p), "%s needs %d sizes, found %d", type, min, n);
    return 0;
  }
  advance(p);
  return n;
}

/* type := [ 'array' '[' expr { ',' expr } ']' ] elemtype
 * elemtype := ('int' | 'real') [range]
 *           | ('vector' | 'row_vector') [range] '[' expr ']'
 *           | 'matrix' [range] '[' expr ',' expr ']'
 *           | ('simplex' | 'unit_vector' | 'ordered' | 'positive_ordered'
 *              | 'cholesky_factor_corr' | 'corr_matrix' | 'cov_matrix') '[' expr ']'
 *           | 'cholesky_factor_cov' '[' expr [ ',' expr ] ']' */
static int parse_type(struct parser *p, struct dtype *t) {
  char found_buf[64];
  memset(t, 0, sizeof *t);
  t->loc = loc0(p);
  t->off = p->tok[0].off;
  struct vi_decl *d = &t->d;
  if (at_kw(p, VI_KW_ARRAY)) {
    advance(p);
    if (!at(p, VI_TK_LBRACK)) {
      error(p, loc0(p), "expected '[' with the sizes after 'array', found %s", FOUND(p));
      return 0;
    }
    advance(p);
    struct vec dims = {0};
    for (;;) {
      struct vi_expr *e = parse_expr(p);
      if (!e || !vec_push(p, &dims, e)) return 0;
      if (at(p, VI_TK_RBRACK)) break;
      if (!expect(p, VI_TK_COMMA, "',' or ']' after the array size")) return 0;
    }
    advance(p);
    if (dims.n > 255) {
      error(p, t->loc, "too many array dimensions (limit 255)");
      return 0;
    }
    d->dims = (struct vi_expr **)dims.v;
    d->type.ndims = (uint8_t)dims.n;
    if (at_kw(p, VI_KW_ARRAY)) {
      error(p, loc0(p), "an array of arrays is written with one 'array': "
            "array[d1, d2] T");
      return 0;
    }
  }
  struct vi_token k = p->tok[0];
  if (k.kind != VI_TK_IDENT || !is_type_kw(k.kw)) {
    const char *sug = NULL;
    char w[64] = "";
    if (k.kind == VI_TK_IDENT && k.len < 64) {
      memcpy(w, p->src + k.off, k.len);
      w[k.len] = 0;
      sug = type_suggestion(w, 14);
    }
    if (is_unsupported_type(w))
      error(p, k.loc, "the Stan type '%s' is not supported by vi (see docs/unsupported.md)", w);
    else if (k.kind == VI_TK_IDENT && k.kw == VI_KW_NONE)
      error(p, k.loc, "unknown type %s%s%s%s", FOUND(p), sug ? " (did you mean '" : "",
            sug ? sug : "", sug ? "'?)" : "");
    else
      error(p, k.loc, "expected a type such as 'real' or 'vector[N]', found %s", FOUND(p));
    return 0;
  }
  advance(p);
  struct vi_expr *sz[2] = {NULL, NULL};
  int n;
  switch (k.kw) {
  case VI_KW_INT:
  case VI_KW_REAL:
    d->type.base = k.kw == VI_KW_INT ? VI_T_INT : VI_T_REAL;
    if (at(p, VI_TK_LT)) {
      t->constrained = 1;
      if (!parse_constraint(p, d, k.kw == VI_KW_INT)) return 0;
    }
    break;
  case VI_KW_VECTOR:
  case VI_KW_ROW_VECTOR:
  case VI_KW_MATRIX:
    d->type.base = k.kw == VI_KW_VECTOR ? VI_T_VECTOR
                   : k.kw == VI_KW_ROW_VECTOR ? VI_T_ROW_VECTOR : VI_T_MATRIX;
    if (at(p, VI_TK_LT)) {
      t->constrained = 1;
      if (!parse_constraint(p, d, 0)) return 0;
    }
    n = k.kw == VI_KW_MATRIX ? 2 : 1;
    if (!parse_sizes(p, vi_kw_name(k.kw), n, n, sz)) return 0;
    d->rows = sz[0];
    d->cols = sz[1];
    break;
  case VI_KW_SIMPLEX:
  case VI_KW_UNIT_VECTOR:
  case VI_KW_ORDERED:
  case VI_KW_POSITIVE_ORDERED:
  case VI_KW_SUM_TO_ZERO_VECTOR:
    t->constrained = 1;
    d->type.base = VI_T_VECTOR;
    d->cons = k.kw == VI_KW_SIMPLEX ? VI_C_SIMPLEX
              : k.kw == VI_KW_UNIT_VECTOR ? VI_C_UNIT_VECTOR
              : k.kw == VI_KW_ORDERED ? VI_C_ORDERED
              : k.kw == VI_KW_POSITIVE_ORDERED ? VI_C_POS_ORDERED : VI_C_SUM_TO_ZERO;
    if (!parse_sizes(p, vi_kw_name(k.kw), 1, 1, sz)) return 0;
    d->rows = sz[0];
    break;
  case VI_KW_CHOLESKY_FACTOR_CORR:
  case VI_KW_CHOLESKY_FACTOR_COV:
  case VI_KW_CORR_MATRIX:
  case VI_KW_COV_MATRIX:
    t->constrained = 1;
    d->type.base = VI_T_MATRIX;
    d->cons = k.kw == VI_KW_CHOLESKY_FACTOR_CORR ? VI_C_CHOL_CORR
              : k.kw == VI_KW_CHOLESKY_FACTOR_COV ? VI_C_CHOL_COV
              : k.kw == VI_KW_CORR_MATRIX ? VI_C_CORR : VI_C_COV;
    n = parse_sizes(p, vi_kw_name(k.kw), 1, k.kw == VI_KW_CHOLESKY_FACTOR_COV ? 2 : 1, sz);
    if (!n) return 0;
    d->rows = sz[0];
    d->cols = n == 2 ? sz[1] : sz[0];
    break;
  default:
    error(p, k.loc, "expected a variable type, found %s", FOUND(p));
    return 0;
  }
  t->end = p->prev_end;
  return 1;
}

static struct vi_stmt *new_stmt(struct parser *p, int kind, struct vi_srcloc loc) {
  struct vi_stmt *s = alloc(p, sizeof *s);
  if (s) {
    s->kind = (uint8_t)kind;
    s->loc = loc;
  }
  return s;
}

/* Reports `real y[N];` with the modern spelling. The '[' is current. */
static void old_array_error(struct parser *p, const struct dtype *t, const struct vi_token *name) {
  struct vi_srcloc loc = loc0(p);
  advance(p);
  size_t dims_off = p->tok[0].off, dims_end = dims_off;
  int depth = 0;
  while (!at(p, VI_TK_EOF) && !at(p, VI_TK_SEMI) && !p->abort) {
    if (at(p, VI_TK_LBRACK)) depth++;
    if (at(p, VI_TK_RBRACK) && depth-- == 0) break;
    dims_end = p->tok[0].off + p->tok[0].len;
    advance(p);
  }
  int tl = (int)(t->end - t->off), dl = (int)(dims_end - dims_off);
  if (tl > 60 || dl > 60 || dims_end < dims_off)
    error(p, loc, "old array syntax; write 'array[...] %s' with the sizes in 'array[...]'",
          "type name");
  else
    error(p, loc, "old array syntax; write 'array[%.*s] %.*s %.*s'", dl, p->src + dims_off, tl,
          p->src + t->off, (int)name->len, p->src + name->off);
}

/* decl := type declarator { ',' declarator } ';'
 * declarator := IDENT [ '=' expr ]
 * Appends one VI_S_DECL per declarator to out. */
static int parse_decl(struct parser *p, struct vec *out) {
  char found_buf[64];
  struct dtype t;
  if (!parse_type(p, &t)) return 0;
  int is_local = p->local > 0;
  if (is_local && t.constrained) {
    error(p, t.loc, "local variables cannot have constraints or constrained types");
    return 0;
  }
  for (;;) {
    if (!at(p, VI_TK_IDENT)) {
      error(p, loc0(p), "expected a variable name after the type, found %s", FOUND(p));
      return 0;
    }
    if (!check_name(p, "variable")) return 0;
    struct vi_token name = p->tok[0];
    advance(p);
    if (at(p, VI_TK_LBRACK)) {
      old_array_error(p, &t, &name);
      return 0;
    }
    struct vi_decl *d = alloc(p, sizeof *d);
    struct vi_stmt *s = new_stmt(p, VI_S_DECL, t.loc);
    if (!d || !s) return 0;
    *d = t.d;
    d->name = tok_str(p, &name);
    d->loc = name.loc;
    d->block = (uint8_t)p->block;
    d->is_local = (uint8_t)is_local;
    s->u.decl = d;
    if (at(p, VI_TK_ASSIGN)) {
      advance(p);
      d->init = parse_expr(p);
      if (!d->init) return 0;
    }
    if (!vec_push(p, out, s)) return 0;
    if (at(p, VI_TK_COMMA)) {
      advance(p);
      continue;
    }
    if (at(p, VI_TK_SEMI)) {
      advance(p);
      return 1;
    }
    error(p, loc0(p), "expected ';' after the declaration, found %s", FOUND(p));
    return 0;
  }
}

/* ---- statements ---- */

static struct vi_stmt *parse_stmt(struct parser *p);
static int parse_decl_or_stmt(struct parser *p, struct vec *out);

static int expect_semi(struct parser *p) {
  char found_buf[64];
  if (at(p, VI_TK_SEMI)) {
    advance(p);
    return 1;
  }
  error(p, loc0(p), "expected ';' after the statement, found %s", FOUND(p));
  return 0;
}

/* block := '{' { decl | stmt } '}'   ('{' current) */
static struct vi_stmt *parse_block(struct parser *p) {
  char found_buf[64];
  struct vi_srcloc loc = loc0(p);
  advance(p);
  p->local++;
  struct vec v = {0};
  while (!at(p, VI_TK_RBRACE) && !at(p, VI_TK_EOF) && !p->abort)
    if (!parse_decl_or_stmt(p, &v)) sync(p);
  p->local--;
  if (p->abort) return NULL;
  if (!at(p, VI_TK_RBRACE)) {
    error(p, loc0(p), "expected '}' to close the '{' at line %d, found %s", loc.line, FOUND(p));
    return NULL;
  }
  advance(p);
  struct vi_stmt *s = new_stmt(p, VI_S_BLOCK, loc);
  if (s) {
    s->u.block.stmts = (struct vi_stmt **)v.v;
    s->u.block.n = v.n;
  }
  return s;
}

static int is_lvalue(const struct vi_expr *e) {
  while (e->kind == VI_E_INDEX) e = e->u.index.a;
  return e->kind == VI_E_VAR;
}

/* tilde := expr '~' IDENT '(' [ expr { ',' expr } ] ')' [ 'T' '[' [expr] ',' [expr] ']' ] ';' */
static struct vi_stmt *parse_tilde(struct parser *p, struct vi_expr *lhs, struct vi_srcloc loc) {
  char found_buf[64];
  advance(p); /* '~' */
  if (!at(p, VI_TK_IDENT) || p->tok[0].kw != VI_KW_NONE) {
    error(p, loc0(p), "expected a distribution name after '~', found %s", FOUND(p));
    return NULL;
  }
  struct vi_token dist = p->tok[0];
  advance(p);
  if (!at(p, VI_TK_LPAREN)) {
    error(p, loc0(p), "expected '(' after the distribution name '%.*s', found %s",
          (int)dist.len, p->src + dist.off, FOUND(p));
    return NULL;
  }
  advance(p);
  struct vec args = {0};
  char what[64];
  snprintf(what, sizeof what, "'%.*s'", dist.len > 40 ? 40 : (int)dist.len, p->src + dist.off);
  if (!parse_args(p, &args, NULL, 0, what)) return NULL;
  struct vi_stmt *s = new_stmt(p, VI_S_TILDE, loc);
  if (!s) return NULL;
  s->u.tilde.lhs = lhs;
  s->u.tilde.dist = tok_str(p, &dist);
  s->u.tilde.dist_loc = dist.loc;
  s->u.tilde.args = (struct vi_expr **)args.v;
  s->u.tilde.nargs = args.n;
  if (at(p, VI_TK_IDENT) && p->tok[0].len == 1 && p->src[p->tok[0].off] == 'T' &&
      p->tok[1].kind == VI_TK_LBRACK) {
    advance(p);
    advance(p);
    s->u.tilde.has_trunc = 1;
    if (!at(p, VI_TK_COMMA)) {
      if (at(p, VI_TK_RBRACK)) {
        error(p, loc0(p), "expected a bound in the truncation T[lower, upper], found ']'");
        return NULL;
      }
      if (!(s->u.tilde.trunc_lo = parse_expr(p))) return NULL;
    }
    if (!at(p, VI_TK_COMMA)) {
      error(p, loc0(p), "expected ',' in the truncation T[lower, upper], found %s", FOUND(p));
      return NULL;
    }
    advance(p);
    if (!at(p, VI_TK_RBRACK) && !(s->u.tilde.trunc_hi = parse_expr(p))) return NULL;
    if (!at(p, VI_TK_RBRACK)) {
      error(p, loc0(p), "expected ']' to close the truncation T[lower, upper], found %s",
            FOUND(p));
      return NULL;
    }
    advance(p);
  }
  return expect_semi(p) ? s : NULL;
}

/* simple := expr ( '~' tilde | ASSIGNOP expr ';' | ';' )   (expr alone: a call) */
static struct vi_stmt *parse_simple(struct parser *p) {
  char found_buf[64];
  struct vi_srcloc loc = loc0(p);
  struct vi_expr *e = parse_expr(p);
  if (!e) return NULL;
  if (at(p, VI_TK_TILDE)) return parse_tilde(p, e, loc);
  int op;
  switch (p->tok[0].kind) {
  case VI_TK_ASSIGN: op = VI_AS_SET; break;
  case VI_TK_PLUS_EQ: op = VI_AS_ADD; break;
  case VI_TK_MINUS_EQ: op = VI_AS_SUB; break;
  case VI_TK_STAR_EQ: op = VI_AS_MUL; break;
  case VI_TK_SLASH_EQ: op = VI_AS_DIV; break;
  case VI_TK_DOTSTAR_EQ: op = VI_AS_EMUL; break;
  case VI_TK_DOTSLASH_EQ: op = VI_AS_EDIV; break;
  case VI_TK_SEMI:
    if (e->kind != VI_E_CALL) {
      error(p, expr_start(e), "this expression is not a statement (only a function call can "
            "stand alone; did you mean '=' or '~'?)");
      return NULL;
    }
    advance(p);
    struct vi_stmt *s = new_stmt(p, VI_S_EXPR, loc);
    if (s) s->u.expr = e;
    return s;
  default:
    if (e->kind == VI_E_CALL)
      error(p, loc0(p), "expected ';' after the statement, found %s", FOUND(p));
    else
      error(p, loc0(p), "expected '=', '~' or another assignment after the expression, "
            "found %s", FOUND(p));
    return NULL;
  }
  if (!is_lvalue(e)) {
    error(p, expr_start(e), "cannot assign to this expression (the left side of %s must be "
          "a variable or an indexed variable)", vi_tok_kind_name(p->tok[0].kind));
    return NULL;
  }
  struct vi_srcloc op_loc = loc0(p);
  advance(p);
  struct vi_expr *rhs = parse_expr(p);
  if (!rhs || !expect_semi(p)) return NULL;
  struct vi_stmt *s = new_stmt(p, VI_S_ASSIGN, loc);
  if (!s) return NULL;
  s->u.assign.lhs = e;
  s->u.assign.op = (uint8_t)op;
  s->u.assign.rhs = rhs;
  s->u.assign.op_loc = op_loc;
  return s;
}

/* cond_head := '(' expr ')'   after if/while */
static struct vi_expr *parse_paren_cond(struct parser *p, const char *kw) {
  char found_buf[64];
  if (!at(p, VI_TK_LPAREN)) {
    error(p, loc0(p), "expected '(' after '%s', found %s", kw, FOUND(p));
    return NULL;
  }
  advance(p);
  struct vi_expr *c = parse_expr(p);
  if (!c) return NULL;
  if (!at(p, VI_TK_RPAREN)) {
    error(p, loc0(p), "expected ')' after the condition of '%s', found %s", kw, FOUND(p));
    return NULL;
  }
  advance(p);
  return c;
}

/* for := 'for' '(' IDENT 'in' expr [ ':' expr ] ')' stmt */
static struct vi_stmt *parse_for(struct parser *p) {
  char found_buf[64];
  struct vi_srcloc loc = loc0(p);
  advance(p);
  if (!expect(p, VI_TK_LPAREN, "'(' after 'for'")) return NULL;
  if (!check_name(p, "loop variable")) return NULL;
  struct vi_token var = p->tok[0];
  advance(p);
  if (!at_kw(p, VI_KW_IN)) {
    error(p, loc0(p), "expected 'in' after the loop variable, found %s", FOUND(p));
    return NULL;
  }
  advance(p);
  struct vi_expr *lo = parse_expr(p), *hi = NULL;
  if (!lo) return NULL;
  if (at(p, VI_TK_COLON)) {
    advance(p);
    if (!(hi = parse_expr(p))) return NULL;
  }
  if (!at(p, VI_TK_RPAREN)) {
    error(p, loc0(p), "expected ')' after the loop range, found %s", FOUND(p));
    return NULL;
  }
  advance(p);
  p->loops++;
  struct vi_stmt *body = parse_stmt(p);
  p->loops--;
  if (!body) return NULL;
  struct vi_stmt *s = new_stmt(p, hi ? VI_S_FOR : VI_S_FOREACH, loc);
  if (!s) return NULL;
  s->u.loop.var = tok_str(p, &var);
  s->u.loop.var_loc = var.loc;
  s->u.loop.lo = lo;
  s->u.loop.hi = hi;
  s->u.loop.body = body;
  return s;
}

/* output := ('print' | 'reject' | 'fatal_error') '(' args ')' ';' */
static struct vi_stmt *parse_output(struct parser *p, int kind) {
  struct vi_srcloc loc = loc0(p);
  const char *name = vi_kw_name(p->tok[0].kw);
  advance(p);
  char what[40];
  snprintf(what, sizeof what, "'%s'", name);
  char exp[64];
  snprintf(exp, sizeof exp, "'(' after '%s'", name);
  if (!expect(p, VI_TK_LPAREN, exp)) return NULL;
  struct vec args = {0};
  if (!parse_args(p, &args, NULL, 1, what) || !expect_semi(p)) return NULL;
  struct vi_stmt *s = new_stmt(p, kind, loc);
  if (s) {
    s->u.print.args = (struct vi_expr **)args.v;
    s->u.print.n = args.n;
  }
  return s;
}

/* stmt := block | ';' | for | while | if | print | reject | fatal_error
 *       | 'break' ';' | 'continue' ';' | 'return' [expr] ';'
 *       | 'target' '+=' expr ';' | simple */
/* Whether the current identifier token is the word w. */
static int tok_is(const struct parser *p, const char *w) {
  const struct vi_token *t = &p->tok[0];
  return t->kind == VI_TK_IDENT && t->len == strlen(w) && memcmp(p->src + t->off, w, t->len) == 0;
}

/* profile := 'profile' '(' string ')' block
 * Stan's timing blocks: the body runs as a block; the name is not kept. */
static struct vi_stmt *parse_profile(struct parser *p) {
  char found_buf[64];
  advance(p);
  advance(p); /* '(' */
  if (!at(p, VI_TK_STRING)) {
    error(p, loc0(p), "expected the profile name as a string, found %s", FOUND(p));
    return NULL;
  }
  advance(p);
  if (!expect(p, VI_TK_RPAREN, "')' after the profile name")) return NULL;
  if (!at(p, VI_TK_LBRACE)) {
    error(p, loc0(p), "expected '{' to open the profile block, found %s", FOUND(p));
    return NULL;
  }
  return parse_block(p);
}

static struct vi_stmt *parse_stmt_inner(struct parser *p) {
  char found_buf[64];
  struct vi_srcloc loc = loc0(p);
  struct vi_stmt *s;
  struct vi_expr *c;
  if (at(p, VI_TK_LBRACE)) return parse_block(p);
  if (at(p, VI_TK_SEMI)) {
    advance(p);
    return new_stmt(p, VI_S_EMPTY, loc);
  }
  if (!at(p, VI_TK_IDENT)) return parse_simple(p);
  switch (p->tok[0].kw) {
  case VI_KW_FOR: return parse_for(p);
  case VI_KW_WHILE:
    advance(p);
    if (!(c = parse_paren_cond(p, "while"))) return NULL;
    p->loops++;
    struct vi_stmt *body = parse_stmt(p);
    p->loops--;
    if (!body || !(s = new_stmt(p, VI_S_WHILE, loc))) return NULL;
    s->u.loop.lo = c;
    s->u.loop.body = body;
    return s;
  case VI_KW_IF: {
    advance(p);
    if (!(c = parse_paren_cond(p, "if"))) return NULL;
    struct vi_stmt *then = parse_stmt(p), *els = NULL;
    if (!then) return NULL;
    if (at_kw(p, VI_KW_ELSE)) {
      advance(p);
      if (!(els = parse_stmt(p))) return NULL;
    }
    if (!(s = new_stmt(p, VI_S_IF, loc))) return NULL;
    s->u.ifs.cond = c;
    s->u.ifs.then = then;
    s->u.ifs.els = els;
    return s;
  }
  case VI_KW_PRINT: return parse_output(p, VI_S_PRINT);
  case VI_KW_REJECT: return parse_output(p, VI_S_REJECT);
  case VI_KW_FATAL_ERROR: return parse_output(p, VI_S_FATAL);
  case VI_KW_BREAK:
  case VI_KW_CONTINUE: {
    int brk = p->tok[0].kw == VI_KW_BREAK;
    if (!p->loops) {
      error(p, loc, "'%s' outside of a loop", brk ? "break" : "continue");
      return NULL;
    }
    advance(p);
    if (!expect_semi(p)) return NULL;
    return new_stmt(p, brk ? VI_S_BREAK : VI_S_CONTINUE, loc);
  }
  case VI_KW_RETURN: {
    if (!p->in_fun) {
      error(p, loc, "'return' is only allowed inside a function");
      return NULL;
    }
    advance(p);
    struct vi_expr *e = NULL;
    if (!at(p, VI_TK_SEMI) && !(e = parse_expr(p))) return NULL;
    if (!expect_semi(p) || !(s = new_stmt(p, VI_S_RETURN, loc))) return NULL;
    s->u.expr = e;
    return s;
  }
  case VI_KW_TARGET:
    if (p->tok[1].kind != VI_TK_PLUS_EQ) break;
    advance(p);
    advance(p);
    if (!(c = parse_expr(p)) || !expect_semi(p) || !(s = new_stmt(p, VI_S_TARGET, loc)))
      return NULL;
    s->u.expr = c;
    return s;
  case VI_KW_ELSE:
    error(p, loc, "'else' without a matching 'if'");
    return NULL;
  default:
    if (is_type_kw(p->tok[0].kw)) {
      error(p, loc, "a declaration cannot stand here; put it inside braces { ... }");
      return NULL;
    }
    if (p->tok[0].kw == VI_KW_NONE && p->tok[1].kind == VI_TK_LPAREN && tok_is(p, "profile"))
      return parse_profile(p);
    if (p->tok[0].kw == VI_KW_NONE && p->tok[1].kind == VI_TK_PLUS_EQ && tok_is(p, "jacobian")) {
      error(p, loc, "'jacobian +=' is not supported by vi (see docs/unsupported.md)");
      return NULL;
    }
    break;
  }
  (void)found_buf;
  return parse_simple(p);
}

static struct vi_stmt *parse_stmt(struct parser *p) {
  if (!enter(p)) return NULL;
  struct vi_stmt *s = parse_stmt_inner(p);
  leave(p);
  return s;
}

/* True for `name name ;`-like input: an unknown type at the start of a
 * declaration. */
static int looks_like_bad_decl(const struct parser *p) {
  if (p->tok[0].kind != VI_TK_IDENT || p->tok[0].kw != VI_KW_NONE) return 0;
  if (p->tok[0].len < 64) {
    char w[64];
    memcpy(w, p->src + p->tok[0].off, p->tok[0].len);
    w[p->tok[0].len] = 0;
    if (is_unsupported_type(w)) return 1;
  }
  if (p->tok[1].kind != VI_TK_IDENT) return 0;
  int k = p->tok[2].kind;
  return k == VI_TK_SEMI || k == VI_TK_ASSIGN || k == VI_TK_COMMA || k == VI_TK_LBRACK;
}

/* decl_or_stmt := decl | stmt; appends to out, returns 0 after an error. */
static int parse_decl_or_stmt(struct parser *p, struct vec *out) {
  if (at_decl_start(p) || looks_like_bad_decl(p)) {
    if (!enter(p)) return 0;
    int ok = parse_decl(p, out);
    leave(p);
    return ok;
  }
  struct vi_stmt *s = parse_stmt(p);
  return s && vec_push(p, out, s);
}

/* ---- functions ---- */

/* argtype := [ 'array' '[' { ',' } ']' ] ('int' | 'real' | 'vector' | 'row_vector' | 'matrix')
 * rettype := 'void' | argtype */
static int parse_fun_type(struct parser *p, struct vi_type *t, int allow_void) {
  char found_buf[64];
  memset(t, 0, sizeof *t);
  if (allow_void && at_kw(p, VI_KW_VOID)) {
    t->base = VI_T_VOID;
    advance(p);
    return 1;
  }
  if (at_kw(p, VI_KW_ARRAY)) {
    advance(p);
    if (!expect(p, VI_TK_LBRACK, "'[' after 'array'")) return 0;
    int n = 1;
    while (at(p, VI_TK_COMMA) && n < 255) {
      n++;
      advance(p);
    }
    if (!at(p, VI_TK_RBRACK)) {
      error(p, loc0(p), "expected ']' in a function argument type (sizes are not written: "
            "array[] real, array[,] real), found %s", FOUND(p));
      return 0;
    }
    advance(p);
    t->ndims = (uint8_t)n;
  }
  switch (p->tok[0].kind == VI_TK_IDENT ? p->tok[0].kw : -1) {
  case VI_KW_INT: t->base = VI_T_INT; break;
  case VI_KW_REAL: t->base = VI_T_REAL; break;
  case VI_KW_VECTOR: t->base = VI_T_VECTOR; break;
  case VI_KW_ROW_VECTOR: t->base = VI_T_ROW_VECTOR; break;
  case VI_KW_MATRIX: t->base = VI_T_MATRIX; break;
  default: {
    const char *sug = NULL;
    const struct vi_token *k = &p->tok[0];
    if (k->kind == VI_TK_IDENT && k->kw == VI_KW_NONE && k->len < 64) {
      char w[64];
      memcpy(w, p->src + k->off, k->len);
      w[k->len] = 0;
      sug = type_suggestion(w, 5);
    }
    if (sug)
      error(p, k->loc, "unknown type %s (did you mean '%s'?)", FOUND(p), sug);
    else
      error(p, k->loc, "expected a type (int, real, vector, row_vector, matrix%s), found %s",
            allow_void ? ", void" : "", FOUND(p));
    return 0;
  }
  }
  advance(p);
  if (at(p, VI_TK_LBRACK) || at(p, VI_TK_LT)) {
    error(p, loc0(p), "function argument and return types have no sizes or constraints");
    return 0;
  }
  return 1;
}

/* fundef := rettype IDENT '(' [ param { ',' param } ] ')'
 *           ( block | ';' | '=' 'extern' '(' STRING ',' STRING [ ',' 'grad' '=' STRING ] ')' ';' )
 * param := [ 'data' ] argtype IDENT */
static struct vi_fundef *parse_fundef(struct parser *p) {
  char found_buf[64];
  struct vi_fundef *f = alloc(p, sizeof *f);
  if (!f || !parse_fun_type(p, &f->ret, 1) || !check_name(p, "function")) return NULL;
  f->name = tok_str(p, &p->tok[0]);
  f->loc = loc0(p);
  advance(p);
  if (!expect(p, VI_TK_LPAREN, "'(' after the function name")) return NULL;
  struct vi_fparam *ps = NULL;
  int n = 0, cap = 0;
  while (!at(p, VI_TK_RPAREN)) {
    if (n) {
      if (!at(p, VI_TK_COMMA)) {
        error(p, loc0(p), "expected ',' or ')' in the function arguments, found %s", FOUND(p));
        return NULL;
      }
      advance(p);
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      if (cap > 4096) {
        error(p, loc0(p), "too many function arguments");
        return NULL;
      }
      struct vi_fparam *np = alloc(p, (size_t)cap * sizeof *np);
      if (!np) return NULL;
      if (n) memcpy(np, ps, (size_t)n * sizeof *np);
      ps = np;
    }
    struct vi_fparam *a = &ps[n];
    if (at_kw(p, VI_KW_DATA)) {
      a->data_only = 1;
      advance(p);
    }
    if (!parse_fun_type(p, &a->type, 0) || !check_name(p, "argument")) return NULL;
    a->name = tok_str(p, &p->tok[0]);
    a->loc = loc0(p);
    advance(p);
    n++;
  }
  advance(p);
  f->params = ps;
  f->nparams = n;
  if (at(p, VI_TK_SEMI)) {
    advance(p);
    return f;
  }
  if (at(p, VI_TK_LBRACE)) {
    p->in_fun = 1;
    int loops = p->loops;
    p->loops = 0;
    f->body = parse_block(p);
    p->loops = loops;
    p->in_fun = 0;
    return f->body ? f : NULL;
  }
  if (!at(p, VI_TK_ASSIGN)) {
    error(p, loc0(p), "expected '{', ';' or '= extern(...)' after the function signature, "
          "found %s", FOUND(p));
    return NULL;
  }
  advance(p);
  f->ext_loc = loc0(p);
  if (!at(p, VI_TK_IDENT) || p->tok[0].len != 6 || memcmp(p->src + p->tok[0].off, "extern", 6)) {
    error(p, loc0(p), "expected 'extern' after '=' in a function declaration, found %s",
          FOUND(p));
    return NULL;
  }
  advance(p);
  if (!expect(p, VI_TK_LPAREN, "'(' after 'extern'")) return NULL;
  if (!at(p, VI_TK_STRING)) {
    error(p, loc0(p), "expected the library name as a string, found %s", FOUND(p));
    return NULL;
  }
  f->ext_lib = string_value(p, &p->tok[0]);
  advance(p);
  if (!expect(p, VI_TK_COMMA, "',' after the library name")) return NULL;
  if (!at(p, VI_TK_STRING)) {
    error(p, loc0(p), "expected the symbol name as a string, found %s", FOUND(p));
    return NULL;
  }
  f->ext_sym = string_value(p, &p->tok[0]);
  advance(p);
  if (at(p, VI_TK_COMMA)) {
    advance(p);
    if (!at(p, VI_TK_IDENT) || p->tok[0].len != 4 || memcmp(p->src + p->tok[0].off, "grad", 4)) {
      error(p, loc0(p), "expected 'grad = \"symbol\"', found %s", FOUND(p));
      return NULL;
    }
    advance(p);
    if (!expect(p, VI_TK_ASSIGN, "'=' after 'grad'")) return NULL;
    if (!at(p, VI_TK_STRING)) {
      error(p, loc0(p), "expected the gradient symbol as a string, found %s", FOUND(p));
      return NULL;
    }
    f->ext_grad = string_value(p, &p->tok[0]);
    advance(p);
  }
  if (!expect(p, VI_TK_RPAREN, "')' to close 'extern('") || !expect_semi(p)) return NULL;
  return f;
}

/* ---- program ---- */

static const char *const block_words[] = {"functions", "data", "parameters", "model",
                                          "transformed", "generated"};
static const char *const block_sugg[] = {"functions", "data", "parameters", "model",
                                         "transformed data", "generated quantities"};

/* The guide blocks (amortised inference): not in enum vi_block; the rewrite
 * (compiler/guide.c) moves their statements into the ordinary blocks. */
enum { PB_GPARAMS = 100, PB_GUIDE = 101 };

/* Position in the block order, doubled: guide parameters after transformed
 * parameters, guide after model. */
static int block_order(int blk) {
  if (blk == PB_GPARAMS) return 2 * VI_BLK_TPARAMS + 1;
  if (blk == PB_GUIDE) return 2 * VI_BLK_MODEL + 1;
  return 2 * blk;
}

static const char *pblock_name(int blk) {
  if (blk == PB_GPARAMS) return "guide parameters";
  if (blk == PB_GUIDE) return "guide";
  return vi_block_name(blk);
}

/* Reads a block name at the current token; returns enum vi_block or -1
 * after reporting. */
static int parse_block_name(struct parser *p) {
  char found_buf[64];
  const struct vi_token *t = &p->tok[0];
  if (t->kind == VI_TK_IDENT) {
    switch (t->kw) {
    case VI_KW_FUNCTIONS: advance(p); return VI_BLK_FUNCTIONS;
    case VI_KW_DATA: advance(p); return VI_BLK_DATA;
    case VI_KW_PARAMETERS: advance(p); return VI_BLK_PARAMS;
    case VI_KW_MODEL: advance(p); return VI_BLK_MODEL;
    case VI_KW_TRANSFORMED:
      advance(p);
      if (at_kw(p, VI_KW_DATA)) {
        advance(p);
        return VI_BLK_TDATA;
      }
      if (at_kw(p, VI_KW_PARAMETERS)) {
        advance(p);
        return VI_BLK_TPARAMS;
      }
      error(p, loc0(p), "expected 'data' or 'parameters' after 'transformed', found %s",
            FOUND(p));
      return -1;
    case VI_KW_GENERATED:
      advance(p);
      if (at_kw(p, VI_KW_QUANTITIES)) {
        advance(p);
        return VI_BLK_GQ;
      }
      error(p, loc0(p), "expected 'quantities' after 'generated', found %s", FOUND(p));
      return -1;
    default: break;
    }
    if (t->len == 5 && !memcmp(p->src + t->off, "guide", 5) &&
        (p->tok[1].kind == VI_TK_LBRACE || (p->tok[1].kind == VI_TK_IDENT && p->tok[1].kw == VI_KW_PARAMETERS))) {
      advance(p);
      if (at_kw(p, VI_KW_PARAMETERS)) {
        advance(p);
        return PB_GPARAMS;
      }
      return PB_GUIDE;
    }
    const char *sug = NULL;
    if (t->len < 64) {
      char w[64];
      memcpy(w, p->src + t->off, t->len);
      w[t->len] = 0;
      for (int i = 0, bd = 3; i < 6; i++) {
        int dd = vi_edit_distance(w, block_words[i], 2);
        if (dd < bd) {
          bd = dd;
          sug = block_sugg[i];
        }
      }
    }
    if (sug)
      error(p, t->loc, "unknown block %s (did you mean '%s'?)", FOUND(p), sug);
    else if (p->tok[1].kind != VI_TK_LBRACE)
      error(p, t->loc, "expected a block such as 'data', 'parameters' or 'model', found %s",
            FOUND(p));
    else
      error(p, t->loc, "unknown block %s (blocks are functions, data, transformed data, "
            "parameters, transformed parameters, model, generated quantities)", FOUND(p));
    return -1;
  }
  if (t->kind == VI_TK_RBRACE)
    error(p, t->loc, "unbalanced '}' (no block is open here)");
  else
    error(p, t->loc, "expected a block such as 'data', 'parameters' or 'model', found %s",
          FOUND(p));
  return -1;
}

/* annotation := '@' IDENT [ '(' IDENT ')' ]   (Stan's proposed syntax)
 * annotations := annotation { annotation } decl
 * Known: @point and @point(ml), before a declaration in 'parameters'. Sets
 * *kind and *loc; returns 0 after an error. */
static int parse_annotations(struct parser *p, int blk, uint8_t *kind, struct vi_srcloc *loc, uint8_t *local,
                             struct vi_srcloc *lloc) {
  char found_buf[64];
  while (at(p, VI_TK_AT)) {
    struct vi_srcloc at_loc = loc0(p);
    advance(p);
    if (!at(p, VI_TK_IDENT)) {
      error(p, loc0(p), "expected an annotation name after '@', found %s", FOUND(p));
      return 0;
    }
    struct vi_token name = p->tok[0];
    int is_point = name.len == 5 && !memcmp(p->src + name.off, "point", 5);
    int is_local = name.len == 5 && !memcmp(p->src + name.off, "local", 5);
    if (is_local || is_point) {
      if (p->gparams) {
        error(p, at_loc, "a guide parameter cannot be '@%s': guide parameters are encoder weights, always "
              "optimised (declare latents in 'parameters')", is_local ? "local" : "point");
        return 0;
      }
    }
    if (is_local) {
      advance(p);
      if (blk != VI_BLK_PARAMS) {
        error(p, at_loc, "'@local' must come before a declaration in the 'parameters' block, not in the '%s' block",
              vi_block_name(blk));
        return 0;
      }
      if (*local) {
        error(p, at_loc, "a second '@local' annotation on the same declaration");
        return 0;
      }
      if (*kind) {
        error(p, at_loc, "a parameter cannot be both '@point' and '@local'");
        return 0;
      }
      *local = 1;
      *lloc = at_loc;
      continue;
    }
    if (!is_point) {
      error(p, at_loc, "unknown annotation '@%.*s' (vi knows @point, @point(ml) and @local)",
            name.len > 40 ? 40 : (int)name.len, p->src + name.off);
      return 0;
    }
    advance(p);
    uint8_t k = VI_POINT_MAP;
    if (at(p, VI_TK_LPAREN)) {
      advance(p);
      if (!at(p, VI_TK_IDENT) || p->tok[0].len != 2 || memcmp(p->src + p->tok[0].off, "ml", 2)) {
        error(p, loc0(p), "expected 'ml' in '@point(...)', found %s", FOUND(p));
        return 0;
      }
      advance(p);
      if (!expect(p, VI_TK_RPAREN, "')' after '@point(ml'")) return 0;
      k = VI_POINT_ML;
    }
    if (blk != VI_BLK_PARAMS) {
      error(p, at_loc, "'@point' must come before a declaration in the 'parameters' block, not in the '%s' block",
            vi_block_name(blk));
      return 0;
    }
    if (*kind) {
      error(p, at_loc, "a second '@point' annotation on the same declaration");
      return 0;
    }
    if (*local) {
      error(p, at_loc, "a parameter cannot be both '@point' and '@local'");
      return 0;
    }
    *kind = k;
    *loc = at_loc;
  }
  if (!at_decl_start(p)) {
    error(p, loc0(p), "expected a parameter declaration after the annotation, found %s", FOUND(p));
    return 0;
  }
  return 1;
}

/* The statements of one block up to its '}' (the '{' consumed). */
static void parse_block_body(struct parser *p, int blk, struct vec *body, struct vec *funs) {
  char found_buf[64];
  p->block = blk;
  p->local = blk == VI_BLK_MODEL;
  while (!at(p, VI_TK_RBRACE) && !at(p, VI_TK_EOF) && !p->abort) {
    int ok;
    if (blk == VI_BLK_FUNCTIONS) {
      p->local = 1;
      struct vi_fundef *f = parse_fundef(p);
      ok = f && vec_push(p, funs, f);
    } else if (at(p, VI_TK_AT)) {
      uint8_t kind = 0, local = 0;
      struct vi_srcloc loc = loc0(p), lloc = loc0(p);
      int first = body->n;
      ok = parse_annotations(p, blk, &kind, &loc, &local, &lloc) && parse_decl_or_stmt(p, body);
      for (int i = first; ok && i < body->n; i++) {
        struct vi_stmt *s = ((struct vi_stmt **)body->v)[i];
        if (s->kind == VI_S_DECL) {
          s->u.decl->point = kind;
          s->u.decl->point_loc = loc;
          s->u.decl->local = local;
          s->u.decl->local_loc = lloc;
        }
      }
    } else if ((blk == VI_BLK_DATA || blk == VI_BLK_PARAMS) && !at_decl_start(p) &&
               !looks_like_bad_decl(p)) {
      error(p, loc0(p), "only declarations are allowed in the '%s' block, found %s",
            vi_block_name(blk), FOUND(p));
      ok = 0;
    } else {
      ok = parse_decl_or_stmt(p, body);
    }
    if (!ok) sync(p);
  }
  p->local = 0;
}

/* program := [ 'functions' '{' { fundef } '}' ] [ 'data' '{' { decl } '}' ]
 *            [ 'transformed' 'data' '{' { decl | stmt } '}' ] ...  (Stan's block order) */
static struct vi_program *parse_program(struct parser *p) {
  char found_buf[64];
  struct vi_program *prog = alloc(p, sizeof *prog);
  if (!prog) return NULL;
  prog->file = p->file;
  prog->src = p->src;
  struct vec funs = {0};
  int last = -1, lastblk = 0;
  while (!at(p, VI_TK_EOF) && !p->abort) {
    struct vi_srcloc loc = loc0(p);
    int blk = parse_block_name(p);
    if (blk < 0) {
      if (at(p, VI_TK_LBRACE)) {
        advance(p);
        sync(p); /* stops at the closing '}' */
        if (at(p, VI_TK_RBRACE)) advance(p);
      } else if (at(p, VI_TK_RBRACE) || !is_block_kw(&p->tok[0])) {
        advance(p);
      }
      skip_to_block(p);
      continue;
    }
    int keep = 1;
    int guideblk = blk == PB_GPARAMS || blk == PB_GUIDE;
    uint8_t *present = blk == PB_GPARAMS ? &prog->has_gparams
                       : blk == PB_GUIDE ? &prog->has_guide_block : &prog->present[blk];
    struct vi_srcloc *bloc = blk == PB_GPARAMS ? &prog->gparams_loc
                             : blk == PB_GUIDE ? &prog->guide_loc : &prog->block_loc[blk];
    if (*present) {
      error(p, loc, "duplicate '%s' block (the first one is at line %d)", pblock_name(blk), bloc->line);
      keep = 0;
    } else if (block_order(blk) < last) {
      if (guideblk)
        error(p, loc, "the '%s' block must come %s (found after the '%s' block)", pblock_name(blk),
              blk == PB_GPARAMS ? "after 'parameters' and 'transformed parameters', before 'model'"
                                : "after 'model', before 'generated quantities'",
              pblock_name(lastblk));
      else
        error(p, loc, "the '%s' block must come before the '%s' block", pblock_name(blk), pblock_name(lastblk));
    }
    if (!at(p, VI_TK_LBRACE)) {
      error(p, loc0(p), "expected '{' after '%s', found %s", pblock_name(blk), FOUND(p));
      skip_to_block(p);
      continue;
    }
    advance(p);
    if (keep) {
      *present = 1;
      *bloc = loc;
    }
    if (block_order(blk) > last) {
      last = block_order(blk);
      lastblk = blk;
    }
    struct vec body = {0};
    p->gparams = blk == PB_GPARAMS;
    p->guide = blk == PB_GUIDE;
    parse_block_body(p, blk == PB_GPARAMS ? VI_BLK_PARAMS : blk == PB_GUIDE ? VI_BLK_MODEL : blk, &body, &funs);
    p->gparams = p->guide = 0;
    if (p->abort) break;
    if (!at(p, VI_TK_RBRACE)) {
      error(p, loc0(p), "expected '}' to close the '%s' block (opened at line %d), found %s",
            pblock_name(blk), loc.line, FOUND(p));
      break;
    }
    advance(p);
    if (keep) {
      if (blk == PB_GPARAMS) {
        prog->gparams = (struct vi_stmt **)body.v;
        prog->ngparams = body.n;
      } else if (blk == PB_GUIDE) {
        prog->guide = (struct vi_stmt **)body.v;
        prog->nguide = body.n;
      } else {
        prog->body[blk] = (struct vi_stmt **)body.v;
        prog->nbody[blk] = body.n;
      }
    }
  }
  prog->funs = (struct vi_fundef **)funs.v;
  prog->nfuns = funs.n;
  return prog;
}

struct vi_program *vi_parse(struct vi_arena *a, const char *file, const char *src, size_t len,
                            struct vi_diags *d) {
  struct parser p;
  memset(&p, 0, sizeof p);
  p.a = a;
  p.d = d;
  p.file = file;
  if (!src) len = 0;
  /* a NUL-terminated copy, so diagnostics can echo source lines safely */
  char *copy = vi_arena_strndup(a, src ? src : "", len);
  if (!copy) {
    struct vi_srcloc nowhere = {file, 0, 0};
    vi_error(d, nowhere, "out of memory while reading the model");
    return NULL;
  }
  p.src = copy;
  p.len = len;
  int known = 0;
  for (int i = 0; i < d->nsrc; i++)
    if (d->src[i].file && file && strcmp(d->src[i].file, file) == 0) known = 1;
  if (!known && file) vi_diags_add_source(d, file, copy);
  vi_lex_init(&p.lx, a, file, copy, len);
  p.tok[0] = vi_lex_next(&p.lx);
  p.tok[1] = p.tok[0].kind == VI_TK_EOF ? p.tok[0] : vi_lex_next(&p.lx);
  p.tok[2] = p.tok[1].kind == VI_TK_EOF ? p.tok[1] : vi_lex_next(&p.lx);
  if (p.tok[0].kind == VI_TK_EOF) p.tok[1].err = p.tok[2].err = NULL;
  if (p.tok[1].kind == VI_TK_EOF) p.tok[2].err = NULL;
  report_lex(&p);
  struct vi_program *prog = parse_program(&p);
  return p.nerr ? NULL : prog;
}
