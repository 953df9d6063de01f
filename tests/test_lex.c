/* test_lex.c: the lexer (compiler/lex.c): token kinds, values, locations,
 * comments, longest-match operators and lexical errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "../compiler/lex.h"

struct lexed {
  struct vi_arena a;
  struct vi_lexer lx;
  struct vi_token t[64];
  int n;
};

/* Lexes src up to and including EOF (at most 64 tokens). */
static void lex_all(struct lexed *L, const char *src) {
  vi_arena_init(&L->a);
  vi_lex_init(&L->lx, &L->a, "t.vim", src, strlen(src));
  L->n = 0;
  do {
    L->t[L->n] = vi_lex_next(&L->lx);
  } while (L->t[L->n++].kind != VI_TK_EOF && L->n < 64);
}

Test(lex, operators_use_the_longest_match) {
  struct lexed L;
  lex_all(&L, "a .*= b ./ c %/% d .^ e != f <= g && h || !i += 1 -= 2 ' | ~ \\");
  static const int want[] = {
      VI_TK_IDENT, VI_TK_DOTSTAR_EQ, VI_TK_IDENT, VI_TK_DOTSLASH, VI_TK_IDENT, VI_TK_IDIV,
      VI_TK_IDENT, VI_TK_DOTHAT, VI_TK_IDENT, VI_TK_NE, VI_TK_IDENT, VI_TK_LE, VI_TK_IDENT,
      VI_TK_AND, VI_TK_IDENT, VI_TK_OR, VI_TK_BANG, VI_TK_IDENT, VI_TK_PLUS_EQ, VI_TK_INT,
      VI_TK_MINUS_EQ, VI_TK_INT, VI_TK_QUOTE, VI_TK_BAR, VI_TK_TILDE, VI_TK_BACKSLASH,
      VI_TK_EOF};
  cr_assert_eq(L.n, (int)(sizeof want / sizeof want[0]));
  for (int i = 0; i < L.n; i++) cr_assert_eq(L.t[i].kind, want[i], "token %d", i);
  vi_arena_free(&L.a);
}

Test(lex, numbers_have_values) {
  struct lexed L;
  lex_all(&L, "42 1e-3 .5 2. 1E+10 2147483647 3.25");
  cr_assert_eq(L.t[0].kind, VI_TK_INT);
  cr_assert_eq(L.t[0].ival, 42);
  cr_assert_eq(L.t[1].kind, VI_TK_REAL);
  cr_assert_float_eq(L.t[1].rval, 1e-3, 1e-18);
  cr_assert_float_eq(L.t[2].rval, 0.5, 1e-15);
  cr_assert_eq(L.t[3].kind, VI_TK_REAL);
  cr_assert_float_eq(L.t[3].rval, 2.0, 1e-15);
  cr_assert_float_eq(L.t[4].rval, 1e10, 1e-3);
  cr_assert_eq(L.t[5].ival, 2147483647);
  cr_assert_float_eq(L.t[6].rval, 3.25, 1e-15);
  for (int i = 0; i < L.n; i++) cr_assert_null(L.t[i].err);
  vi_arena_free(&L.a);
}

Test(lex, int_before_elementwise_operator_stays_int) {
  struct lexed L;
  lex_all(&L, "2.*x");
  cr_assert_eq(L.t[0].kind, VI_TK_INT);
  cr_assert_eq(L.t[1].kind, VI_TK_DOTSTAR);
  cr_assert_eq(L.t[2].kind, VI_TK_IDENT);
  vi_arena_free(&L.a);
}

Test(lex, keywords_are_recognised_and_identifiers_are_not) {
  struct lexed L;
  lex_all(&L, "real reals cholesky_factor_cov target x_1 in");
  cr_assert_eq(L.t[0].kw, VI_KW_REAL);
  cr_assert_eq(L.t[1].kw, VI_KW_NONE);
  cr_assert_eq(L.t[2].kw, VI_KW_CHOLESKY_FACTOR_COV);
  cr_assert_eq(L.t[3].kw, VI_KW_TARGET);
  cr_assert_eq(L.t[4].kw, VI_KW_NONE);
  cr_assert_eq(L.t[4].len, 3);
  cr_assert_eq(L.t[5].kw, VI_KW_IN);
  vi_arena_free(&L.a);
}

Test(lex, comments_are_skipped_and_locations_count_lines_and_bytes) {
  struct lexed L;
  lex_all(&L, "// line\n# hash\n  /* block\n spans */ x\n\ty = 1;");
  cr_assert_eq(L.t[0].kind, VI_TK_IDENT);
  cr_assert_eq(L.t[0].loc.line, 4);
  cr_assert_eq(L.t[0].loc.col, 11);
  cr_assert_eq(L.t[1].loc.line, 5);
  cr_assert_eq(L.t[1].loc.col, 2); /* a tab is one byte */
  cr_assert_eq(L.t[3].loc.col, 6);
  cr_assert_str_eq(L.t[0].loc.file, "t.vim");
  vi_arena_free(&L.a);
}

Test(lex, strings_keep_quotes_in_their_range) {
  struct lexed L;
  const char *src = "print(\"a \\\"b\\\" c\")";
  lex_all(&L, src);
  cr_assert_eq(L.t[2].kind, VI_TK_STRING);
  cr_assert_eq(L.t[2].len, strlen("\"a \\\"b\\\" c\""));
  cr_assert_eq(L.t[3].kind, VI_TK_RPAREN);
  vi_arena_free(&L.a);
}

Test(lex, lexical_errors_are_attached_to_the_next_token) {
  struct lexed L;
  lex_all(&L, "x @ y\n/* open");
  cr_assert_eq(L.n, 3);
  cr_assert_null(L.t[0].err);
  cr_assert_str_eq(L.t[1].err, "stray character '@' in the program");
  cr_assert_eq(L.t[1].err_loc.col, 3);
  cr_assert_eq(L.t[2].kind, VI_TK_EOF);
  cr_assert(strstr(L.t[2].err, "unterminated comment"));
  cr_assert_eq(L.t[2].err_loc.line, 2);
  cr_assert_eq(L.t[2].err_loc.col, 1);
  vi_arena_free(&L.a);
}

Test(lex, bad_literals_are_errors) {
  struct lexed L;
  lex_all(&L, "2147483648 1e 3x \"open");
  cr_assert(strstr(L.t[0].err, "too large"));
  cr_assert(strstr(L.t[1].err, "malformed number '1e'"));
  cr_assert(strstr(L.t[2].err, "malformed number '3x'"));
  cr_assert(strstr(L.t[3].err, "unterminated string"));
  cr_assert_eq(L.t[4].kind, VI_TK_EOF);
  vi_arena_free(&L.a);
}

Test(lex, nul_bytes_and_long_identifiers_do_not_stop_the_lexer) {
  struct vi_arena a;
  struct vi_lexer lx;
  vi_arena_init(&a);
  const char src[] = "a\0b";
  vi_lex_init(&lx, &a, "t.vim", src, 3);
  struct vi_token t = vi_lex_next(&lx);
  cr_assert_eq(t.kind, VI_TK_IDENT);
  t = vi_lex_next(&lx);
  cr_assert_eq(t.kind, VI_TK_IDENT);
  cr_assert_str_eq(t.err, "stray NUL byte in the program");
  cr_assert_eq(vi_lex_next(&lx).kind, VI_TK_EOF);
  char big[400];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = 0;
  vi_lex_init(&lx, &a, "t.vim", big, strlen(big));
  t = vi_lex_next(&lx);
  cr_assert(strstr(t.err, "identifier too long"));
  cr_assert_eq(vi_lex_next(&lx).kind, VI_TK_EOF);
  vi_arena_free(&a);
}
