/* test_parse.c: the parser (compiler/parse.c) and AST helpers (compiler/ast.c).
 *
 * Parses every benchmark model, checks AST shapes for tricky precedence,
 * node locations, declarations and statements, and runs the syntax-error
 * corpus tests/models/bad_syntax/ (first line of each file:
 * `// expect: LINE:COL: substring of the first message`). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/ast.h"

struct fixture {
  struct vi_arena a;
  struct vi_diags d;
};

static struct vi_program *parse(struct fixture *f, const char *src) {
  vi_arena_init(&f->a);
  vi_diags_init(&f->d);
  return vi_parse(&f->a, "m.vim", src, strlen(src), &f->d);
}

static void done(struct fixture *f) {
  vi_diags_free(&f->d);
  vi_arena_free(&f->a);
}

/* Reads a whole file; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(fp);
  *len = n;
  return buf;
}

/* A directory under the source tree: $VI_SOURCE_ROOT/rel, else rel from the
 * current directory. */
static void source_path(char *out, size_t n, const char *rel) {
  const char *root = getenv("VI_SOURCE_ROOT");
  if (root && *root)
    snprintf(out, n, "%s/%s", root, rel);
  else
    snprintf(out, n, "%s", rel);
}

/* S-expression of an expression, for shape tests. */
static void sx(const struct vi_expr *e, char *buf, size_t n) {
  size_t l = strlen(buf);
  char *o = buf + l;
  size_t r = n - l;
  switch (e->kind) {
  case VI_E_INT: snprintf(o, r, "%lld", e->u.ival); break;
  case VI_E_REAL: snprintf(o, r, "%g", e->u.rval); break;
  case VI_E_STRING: snprintf(o, r, "\"%s\"", e->u.str); break;
  case VI_E_VAR: snprintf(o, r, "%s", e->u.var.name); break;
  case VI_E_BINARY:
    snprintf(o, r, "(%s ", vi_op_name(e->u.bin.op));
    sx(e->u.bin.a, buf, n);
    strncat(buf, " ", n - strlen(buf) - 1);
    sx(e->u.bin.b, buf, n);
    strncat(buf, ")", n - strlen(buf) - 1);
    break;
  case VI_E_UNARY:
  case VI_E_PAREN:
    snprintf(o, r, "(%s ", e->kind == VI_E_PAREN ? "()" : vi_op_name(e->u.un.op));
    sx(e->u.un.a, buf, n);
    strncat(buf, ")", n - strlen(buf) - 1);
    break;
  case VI_E_COND:
    snprintf(o, r, "(? ");
    sx(e->u.cond.c, buf, n);
    strncat(buf, " ", n - strlen(buf) - 1);
    sx(e->u.cond.a, buf, n);
    strncat(buf, " ", n - strlen(buf) - 1);
    sx(e->u.cond.b, buf, n);
    strncat(buf, ")", n - strlen(buf) - 1);
    break;
  case VI_E_CALL:
    snprintf(o, r, "(%s%s", e->u.call.name, e->u.call.bar ? "|" : "");
    for (int i = 0; i < e->u.call.nargs; i++) {
      strncat(buf, " ", n - strlen(buf) - 1);
      sx(e->u.call.args[i], buf, n);
    }
    strncat(buf, ")", n - strlen(buf) - 1);
    break;
  case VI_E_INDEX:
    snprintf(o, r, "([] ");
    sx(e->u.index.a, buf, n);
    for (int i = 0; i < e->u.index.nix; i++) {
      const struct vi_index *ix = &e->u.index.ix[i];
      strncat(buf, " ", n - strlen(buf) - 1);
      if (ix->lo) sx(ix->lo, buf, n);
      if (ix->kind != VI_IX_SINGLE) strncat(buf, ":", n - strlen(buf) - 1);
      if (ix->hi) sx(ix->hi, buf, n);
    }
    strncat(buf, ")", n - strlen(buf) - 1);
    break;
  case VI_E_ARRAY:
  case VI_E_ROWVEC:
    snprintf(o, r, "%s", e->kind == VI_E_ARRAY ? "{" : "[");
    for (int i = 0; i < e->u.list.n; i++) {
      if (i) strncat(buf, " ", n - strlen(buf) - 1);
      sx(e->u.list.elems[i], buf, n);
    }
    strncat(buf, e->kind == VI_E_ARRAY ? "}" : "]", n - strlen(buf) - 1);
    break;
  }
}

/* Parses `transformed data { real x__ = EXPR; }`-like text and returns the
 * S-expression of the initialiser. */
static void expr_shape(const char *expr, char *out, size_t n) {
  char src[512];
  snprintf(src, sizeof src, "transformed data {\n  real v = %s;\n}\n", expr);
  struct fixture f;
  struct vi_program *p = parse(&f, src);
  out[0] = 0;
  cr_assert(p, "'%s' should parse: %s", expr, f.d.buf ? f.d.buf : "");
  cr_assert_eq(p->nbody[VI_BLK_TDATA], 1);
  sx(p->body[VI_BLK_TDATA][0]->u.decl->init, out, n);
  done(&f);
}

static const struct {
  const char *in, *shape;
} shapes[] = {
    {"-a^b", "(- (^ a b))"},
    {"a^-b", "(^ a (- b))"},
    {"a^b^c", "(^ a (^ b c))"},
    {"a ? b : c ? d : e", "(? a b (? c d e))"},
    {"x'*y", "(* (' x) y)"},
    {"a[i][j]", "([] ([] a i) j)"},
    {"X[:, k]", "([] X : k)"},
    {"a[lo:hi, lo:, :hi, :]", "([] a lo:hi lo: :hi :)"},
    {"a - b - c", "(- (- a b) c)"},
    {"a + b * c", "(+ a (* b c))"},
    {"a * b .* c", "(* a (.* b c))"},
    {"A \\ b * c", "(* (\\ A b) c)"},
    {"n %/% 2 % 3", "(% (%/% n 2) 3)"},
    {"!a && b || c == d < e", "(|| (&& (! a) b) (== c (< d e)))"},
    {"-x .^ 2", "(- (.^ x 2))"},
    {"(a + b)'", "(' (() (+ a b)))"},
    {"normal_lpdf(y | mu, 2.5)", "(normal_lpdf| y mu 2.5)"},
    {"f()", "(f)"},
    {"target()", "(target)"},
    {"{1, 2}", "{1 2}"},
    {"[[1, 2], [3, 4]]", "[[1 2] [3 4]]"},
    {"1e-3 + .5 + 2. + 1E+10", "(+ (+ (+ 0.001 0.5) 2) 1e+10)"},
    {"2147483647", "2147483647"},
};

Test(parse, precedence_and_associativity_follow_stan) {
  char out[512];
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    expr_shape(shapes[i].in, out, sizeof out);
    cr_assert_str_eq(out, shapes[i].shape, "%s", shapes[i].in);
  }
}

static int parse_dir_models(const char *dir, const char *suffix_file) {
  DIR *dp = opendir(dir);
  if (!dp) cr_skip_test("no %s: ../shared/bench is not beside the source tree", dir);
  struct dirent *de;
  int count = 0;
  while ((de = readdir(dp))) {
    if (de->d_name[0] == '.') continue;
    char path[1600];
    if (suffix_file) {
      snprintf(path, sizeof path, "%s/%s/%s", dir, de->d_name, suffix_file);
    } else {
      size_t l = strlen(de->d_name);
      if (l < 4 || strcmp(de->d_name + l - 4, ".vim")) continue;
      snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    }
    size_t len;
    char *src = slurp(path, &len);
    if (!src) continue;
    struct vi_arena a;
    struct vi_diags d;
    vi_arena_init(&a);
    vi_diags_init(&d);
    struct vi_program *p = vi_parse(&a, path, src, len, &d);
    cr_assert(p, "%s does not parse:\n%s", path, d.buf ? d.buf : "");
    cr_assert_eq(d.nerrors, 0);
    cr_assert(p->present[VI_BLK_MODEL], "%s has a model block", path);
    count++;
    vi_diags_free(&d);
    vi_arena_free(&a);
    free(src);
  }
  closedir(dp);
  return count;
}

static void bench_dir(char *out, size_t n, const char *sub) {
  const char *root = getenv("VI_SOURCE_ROOT");
  if (root && *root)
    snprintf(out, n, "%s/../shared/bench/%s", root, sub);
  else
    snprintf(out, n, "../shared/bench/%s", sub);
}

Test(parse, every_benchmark_model_parses) {
  char dir[1024];
  bench_dir(dir, sizeof dir, "cases");
  cr_assert_eq(parse_dir_models(dir, "model.vim"), 28);
  bench_dir(dir, sizeof dir, "perf");
  cr_assert_geq(parse_dir_models(dir, NULL), 3);
}

Test(parse, syntax_error_corpus_reports_first_error_at_expected_place) {
  char dir[1024];
  source_path(dir, sizeof dir, "tests/models/bad_syntax");
  DIR *dp = opendir(dir);
  cr_assert(dp, "cannot open %s", dir);
  struct dirent *de;
  int count = 0;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l < 4 || strcmp(de->d_name + l - 4, ".vim")) continue;
    char path[1600];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t len;
    char *src = slurp(path, &len);
    cr_assert(src, "cannot read %s", path);
    int line = 0, col = 0;
    char want[256] = "";
    char first[400];
    size_t fl = 0;
    while (fl < len && fl < sizeof first - 1 && src[fl] != '\n') {
      first[fl] = src[fl];
      fl++;
    }
    first[fl] = 0;
    cr_assert_eq(sscanf(first, "// expect: %d:%d: %255[^\n]", &line, &col, want), 3,
                 "%s: bad expect line", path);
    struct vi_arena a;
    struct vi_diags d;
    vi_arena_init(&a);
    vi_diags_init(&d);
    struct vi_program *p = vi_parse(&a, de->d_name, src, len, &d);
    cr_assert_null(p, "%s should not parse", de->d_name);
    cr_assert(d.nerrors >= 1);
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s:%d:%d: error: ", de->d_name, line, col);
    cr_assert(strncmp(d.buf, prefix, strlen(prefix)) == 0, "%s: want '%s...', got:\n%s",
              de->d_name, prefix, d.buf);
    const char *eol = strchr(d.buf, '\n');
    char msg[600];
    snprintf(msg, sizeof msg, "%.*s", (int)(eol - d.buf), d.buf);
    cr_assert(strstr(msg, want), "%s: message '%s' lacks '%s'", de->d_name, msg, want);
    count++;
    vi_diags_free(&d);
    vi_arena_free(&a);
    free(src);
  }
  closedir(dp);
  cr_assert_geq(count, 30);
}

Test(parse, node_locations_are_one_based_line_and_byte_column) {
  struct fixture f;
  struct vi_program *p = parse(&f, "data {\n  vector[N] y;\n}\nmodel {\n  y ~ normal(mu + 1, s);\n}\n");
  cr_assert(p);
  cr_assert_eq(p->block_loc[VI_BLK_MODEL].line, 4);
  cr_assert_eq(p->block_loc[VI_BLK_MODEL].col, 1);
  struct vi_decl *d = p->body[VI_BLK_DATA][0]->u.decl;
  cr_assert_eq(d->loc.line, 2);
  cr_assert_eq(d->loc.col, 13);
  cr_assert_eq(d->rows->loc.col, 10);
  struct vi_stmt *s = p->body[VI_BLK_MODEL][0];
  cr_assert_eq(s->kind, VI_S_TILDE);
  cr_assert_eq(s->loc.line, 5);
  cr_assert_eq(s->loc.col, 3);
  cr_assert_str_eq(s->u.tilde.dist, "normal");
  cr_assert_eq(s->u.tilde.dist_loc.col, 7);
  cr_assert_eq(s->u.tilde.nargs, 2);
  struct vi_expr *sum = s->u.tilde.args[0];
  cr_assert_eq(sum->kind, VI_E_BINARY);
  cr_assert_eq(sum->loc.col, 17); /* binary nodes sit at their operator */
  cr_assert_eq(sum->u.bin.a->loc.col, 14);
  cr_assert_eq(s->u.tilde.args[1]->loc.col, 22);
  cr_assert_str_eq(s->loc.file, "m.vim");
  done(&f);
}

Test(parse, declarations_fill_types_sizes_and_constraints) {
  struct fixture f;
  struct vi_program *p = parse(&f,
      "data {\n  int<lower=0> N;\n  array[N, 2] real<lower=0, upper=1> a, b = 1;\n}\n"
      "parameters {\n  vector<lower=0>[N] x;\n  cov_matrix[N] S;\n  cholesky_factor_cov[N, 2] L;\n"
      "  simplex[N] th;\n  matrix<offset=1, multiplier=2>[N, 3] Z;\n}\n"
      "model {\n  real t;\n  { vector[N] u; }\n}\n");
  cr_assert(p, "%s", f.d.buf);
  cr_assert_eq(p->nbody[VI_BLK_DATA], 3);
  struct vi_decl *n = p->body[VI_BLK_DATA][0]->u.decl;
  cr_assert_str_eq(n->name, "N");
  cr_assert_eq(n->type.base, VI_T_INT);
  cr_assert_eq(n->lower->u.ival, 0);
  cr_assert_null(n->upper);
  cr_assert_eq(n->block, VI_BLK_DATA);
  cr_assert_eq(n->is_local, 0);
  struct vi_decl *a = p->body[VI_BLK_DATA][1]->u.decl, *b = p->body[VI_BLK_DATA][2]->u.decl;
  cr_assert_str_eq(a->name, "a");
  cr_assert_str_eq(b->name, "b");
  cr_assert_eq(a->type.ndims, 2);
  cr_assert_eq(a->type.base, VI_T_REAL);
  cr_assert_str_eq(a->dims[0]->u.var.name, "N");
  cr_assert_eq(a->dims[1]->u.ival, 2);
  cr_assert_eq(b->upper->u.ival, 1);
  cr_assert_null(a->init);
  cr_assert_eq(b->init->u.ival, 1);
  struct vi_decl *x = p->body[VI_BLK_PARAMS][0]->u.decl;
  cr_assert_eq(x->type.base, VI_T_VECTOR);
  cr_assert_eq(x->cons, VI_C_NONE);
  cr_assert_str_eq(x->rows->u.var.name, "N");
  cr_assert_eq(x->block, VI_BLK_PARAMS);
  struct vi_decl *S = p->body[VI_BLK_PARAMS][1]->u.decl;
  cr_assert_eq(S->type.base, VI_T_MATRIX);
  cr_assert_eq(S->cons, VI_C_COV);
  cr_assert_eq(S->rows, S->cols);
  struct vi_decl *L = p->body[VI_BLK_PARAMS][2]->u.decl;
  cr_assert_eq(L->cons, VI_C_CHOL_COV);
  cr_assert_eq(L->cols->u.ival, 2);
  struct vi_decl *th = p->body[VI_BLK_PARAMS][3]->u.decl;
  cr_assert_eq(th->cons, VI_C_SIMPLEX);
  cr_assert_eq(th->type.base, VI_T_VECTOR);
  struct vi_decl *Z = p->body[VI_BLK_PARAMS][4]->u.decl;
  cr_assert_eq(Z->cons, VI_C_OFFSET_MULT);
  cr_assert_eq(Z->offset->u.ival, 1);
  cr_assert_eq(Z->multiplier->u.ival, 2);
  cr_assert_eq(Z->cols->u.ival, 3);
  struct vi_decl *t = p->body[VI_BLK_MODEL][0]->u.decl;
  cr_assert_eq(t->is_local, 1);
  cr_assert_eq(t->block, VI_BLK_MODEL);
  struct vi_stmt *blk = p->body[VI_BLK_MODEL][1];
  cr_assert_eq(blk->kind, VI_S_BLOCK);
  cr_assert_eq(blk->u.block.stmts[0]->u.decl->is_local, 1);
  done(&f);
}

Test(parse, bound_expressions_stop_at_the_closing_angle) {
  struct fixture f;
  struct vi_program *p = parse(&f, "parameters {\n  real<lower=0, upper=(1 - a)> b;\n"
                                   "  real<lower=-1, upper=N - 1> c;\n}\n");
  cr_assert(p, "%s", f.d.buf);
  char out[128] = "";
  sx(p->body[VI_BLK_PARAMS][1]->u.decl->upper, out, sizeof out);
  cr_assert_str_eq(out, "(- N 1)");
  out[0] = 0;
  sx(p->body[VI_BLK_PARAMS][0]->u.decl->upper, out, sizeof out);
  cr_assert_str_eq(out, "(() (- 1 a))");
  done(&f);
}

Test(parse, statements_of_every_kind) {
  struct fixture f;
  struct vi_program *p = parse(&f,
      "model {\n"
      "  for (i in 1:N) { if (i > 2) break; else if (i < 0) continue; else x[i] += 1; }\n"
      "  for (v in xs) target += v;\n"
      "  while (k < 3) k *= 2;\n"
      "  y ~ normal(0, 1) T[, 5];\n"
      "  z ~ normal(0, 1) T[0, ];\n"
      "  print(\"x = \", x);\n"
      "  reject(\"bad\");\n"
      "  foo(1);\n"
      "  ;\n"
      "  m[1, 2] ./= 3;\n"
      "}\n");
  cr_assert(p, "%s", f.d.buf);
  struct vi_stmt **s = p->body[VI_BLK_MODEL];
  cr_assert_eq(p->nbody[VI_BLK_MODEL], 10);
  cr_assert_eq(s[0]->kind, VI_S_FOR);
  cr_assert_str_eq(s[0]->u.loop.var, "i");
  cr_assert_eq(s[0]->u.loop.var_loc.col, 8);
  struct vi_stmt *ifs = s[0]->u.loop.body->u.block.stmts[0];
  cr_assert_eq(ifs->kind, VI_S_IF);
  cr_assert_eq(ifs->u.ifs.then->kind, VI_S_BREAK);
  cr_assert_eq(ifs->u.ifs.els->kind, VI_S_IF);
  cr_assert_eq(ifs->u.ifs.els->u.ifs.els->kind, VI_S_ASSIGN);
  cr_assert_eq(ifs->u.ifs.els->u.ifs.els->u.assign.op, VI_AS_ADD);
  cr_assert_eq(s[1]->kind, VI_S_FOREACH);
  cr_assert_null(s[1]->u.loop.hi);
  cr_assert_eq(s[1]->u.loop.body->kind, VI_S_TARGET);
  cr_assert_eq(s[2]->kind, VI_S_WHILE);
  cr_assert_eq(s[2]->u.loop.body->u.assign.op, VI_AS_MUL);
  cr_assert(s[3]->u.tilde.has_trunc);
  cr_assert_null(s[3]->u.tilde.trunc_lo);
  cr_assert_eq(s[3]->u.tilde.trunc_hi->u.ival, 5);
  cr_assert_eq(s[4]->u.tilde.trunc_lo->u.ival, 0);
  cr_assert_null(s[4]->u.tilde.trunc_hi);
  cr_assert_eq(s[5]->kind, VI_S_PRINT);
  cr_assert_eq(s[5]->u.print.n, 2);
  cr_assert_str_eq(s[5]->u.print.args[0]->u.str, "x = ");
  cr_assert_eq(s[6]->kind, VI_S_REJECT);
  cr_assert_eq(s[7]->kind, VI_S_EXPR);
  cr_assert_eq(s[8]->kind, VI_S_EMPTY);
  cr_assert_eq(s[9]->u.assign.op, VI_AS_EDIV);
  cr_assert_eq(s[9]->u.assign.lhs->kind, VI_E_INDEX);
  cr_assert_eq(s[9]->u.assign.op_loc.col, 11);
  done(&f);
}

Test(parse, functions_block_definitions_forward_and_extern) {
  struct fixture f;
  struct vi_program *p = parse(&f,
      "functions {\n"
      "  real foo(real x, data vector y, array[] int z);\n"
      "  array[,] real bar(matrix m) { return {{1.0}}; }\n"
      "  void baz() { print(1); return; }\n"
      "  real hill(real x, real k) = extern(\"libpharma.so\", \"hill\", grad = \"hill_grad\");\n"
      "  real h2(real x) = extern(\"lib.so\", \"h2\");\n"
      "}\nmodel {}\n");
  cr_assert(p, "%s", f.d.buf);
  cr_assert_eq(p->nfuns, 5);
  struct vi_fundef *foo = p->funs[0];
  cr_assert_str_eq(foo->name, "foo");
  cr_assert_null(foo->body);
  cr_assert_eq(foo->nparams, 3);
  cr_assert(foo->params[1].data_only);
  cr_assert_eq(foo->params[1].type.base, VI_T_VECTOR);
  cr_assert_eq(foo->params[2].type.ndims, 1);
  cr_assert_eq(foo->params[2].type.base, VI_T_INT);
  cr_assert_eq(p->funs[1]->ret.ndims, 2);
  cr_assert_eq(p->funs[1]->body->kind, VI_S_BLOCK);
  cr_assert_eq(p->funs[2]->ret.base, VI_T_VOID);
  cr_assert_str_eq(p->funs[3]->ext_lib, "libpharma.so");
  cr_assert_str_eq(p->funs[3]->ext_sym, "hill");
  cr_assert_str_eq(p->funs[3]->ext_grad, "hill_grad");
  cr_assert_eq(p->funs[3]->ext_loc.line, 5);
  cr_assert_null(p->funs[4]->ext_grad);
  done(&f);
}

Test(parse, several_errors_are_reported_in_one_run) {
  struct fixture f;
  struct vi_program *p = parse(&f, "model {\n  x = ;\n  y ~ normal(0, 1)\n  z = 1;\n  w = (2;\n}\n");
  cr_assert_null(p);
  cr_assert_eq(f.d.nerrors, 3, "%s", f.d.buf);
  cr_assert(strstr(f.d.buf, "m.vim:2:7: error: expected an expression, found ';'"), "%s", f.d.buf);
  cr_assert(strstr(f.d.buf, "m.vim:4:3: error: expected ';' after the statement, found 'z'"));
  cr_assert(strstr(f.d.buf, "m.vim:5:9: error: expected ')'"));
  done(&f);
}

Test(parse, error_count_is_capped_by_max_errors) {
  struct fixture f;
  char src[4096] = "model {\n";
  for (int i = 0; i < 100; i++) strcat(src, " x = ;\n");
  strcat(src, "}\n");
  struct vi_program *p = parse(&f, src);
  cr_assert_null(p);
  cr_assert(strstr(f.d.buf, "too many errors"));
  cr_assert_leq(f.d.nerrors, f.d.max_errors + 1);
  done(&f);
}

Test(parse, empty_program_is_valid) {
  struct fixture f;
  struct vi_program *p = parse(&f, "  // nothing\n");
  cr_assert(p);
  for (int b = 0; b < VI_BLK__COUNT; b++) cr_assert_eq(p->present[b], 0);
  done(&f);
}

Test(parse, arbitrary_bytes_never_crash) {
  char src[4096];
  unsigned x = 12345;
  for (int round = 0; round < 200; round++) {
    size_t n = (size_t)(round * 20) % sizeof src;
    for (size_t i = 0; i < n; i++) {
      x = x * 1103515245u + 12345u;
      src[i] = (char)(x >> 16);
    }
    struct vi_arena a;
    struct vi_diags d;
    vi_arena_init(&a);
    vi_diags_init(&d);
    struct vi_program *p = vi_parse(&a, "r.vim", src, n, &d);
    cr_assert(p ? d.nerrors == 0 : d.nerrors > 0);
    vi_diags_free(&d);
    vi_arena_free(&a);
  }
}

Test(ast, names_of_operators_blocks_and_types) {
  cr_assert_str_eq(vi_op_name(VI_OP_EMUL), ".*");
  cr_assert_str_eq(vi_op_name(VI_OP_TRANSPOSE), "'");
  cr_assert_str_eq(vi_op_name(VI_OP_IDIV), "%/%");
  cr_assert_str_eq(vi_op_name(VI_OP_LDIV), "\\");
  cr_assert_str_eq(vi_block_name(VI_BLK_TDATA), "transformed data");
  cr_assert_str_eq(vi_block_name(VI_BLK_GQ), "generated quantities");
  char buf[64];
  struct vi_type t = {VI_T_VECTOR, 2};
  cr_assert_str_eq(vi_type_str(t, buf), "array[,] vector");
  struct vi_type r = {VI_T_REAL, 0};
  cr_assert_str_eq(vi_type_str(r, buf), "real");
  struct vi_type big = {VI_T_ROW_VECTOR, 200};
  cr_assert(strlen(vi_type_str(big, buf)) < 64);
}
