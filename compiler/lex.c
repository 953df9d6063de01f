/* lex.c: tokens of .vim models (see compiler/lex.h).
 *
 * Comments are `//` and `#` to the end of the line and `/ * ... * /`.
 * Numbers: digits, optional fraction, optional exponent (`1e-3`, `.5`, `2.`);
 * integers must fit in a 32-bit int. Identifiers: [A-Za-z][A-Za-z0-9_]*.
 * Columns are 1-based byte offsets within the line. */
#include "lex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kw_names[VI_KW__COUNT] = {
    [VI_KW_NONE] = NULL,
    [VI_KW_FUNCTIONS] = "functions", [VI_KW_DATA] = "data",
    [VI_KW_TRANSFORMED] = "transformed", [VI_KW_PARAMETERS] = "parameters",
    [VI_KW_MODEL] = "model", [VI_KW_GENERATED] = "generated",
    [VI_KW_QUANTITIES] = "quantities", [VI_KW_INT] = "int", [VI_KW_REAL] = "real",
    [VI_KW_VECTOR] = "vector", [VI_KW_ROW_VECTOR] = "row_vector", [VI_KW_MATRIX] = "matrix",
    [VI_KW_SIMPLEX] = "simplex", [VI_KW_UNIT_VECTOR] = "unit_vector",
    [VI_KW_ORDERED] = "ordered", [VI_KW_POSITIVE_ORDERED] = "positive_ordered",
    [VI_KW_CHOLESKY_FACTOR_CORR] = "cholesky_factor_corr",
    [VI_KW_CHOLESKY_FACTOR_COV] = "cholesky_factor_cov", [VI_KW_CORR_MATRIX] = "corr_matrix",
    [VI_KW_COV_MATRIX] = "cov_matrix", [VI_KW_SUM_TO_ZERO_VECTOR] = "sum_to_zero_vector",
    [VI_KW_ARRAY] = "array", [VI_KW_VOID] = "void",
    [VI_KW_FOR] = "for", [VI_KW_IN] = "in", [VI_KW_WHILE] = "while", [VI_KW_IF] = "if",
    [VI_KW_ELSE] = "else", [VI_KW_RETURN] = "return", [VI_KW_BREAK] = "break",
    [VI_KW_CONTINUE] = "continue", [VI_KW_TARGET] = "target", [VI_KW_PRINT] = "print",
    [VI_KW_REJECT] = "reject", [VI_KW_FATAL_ERROR] = "fatal_error",
    [VI_KW_LOWER] = "lower", [VI_KW_UPPER] = "upper", [VI_KW_OFFSET] = "offset",
    [VI_KW_MULTIPLIER] = "multiplier",
};

static const char *const tok_names[VI_TK__COUNT] = {
    [VI_TK_EOF] = "end of file", [VI_TK_IDENT] = "identifier", [VI_TK_INT] = "integer",
    [VI_TK_REAL] = "real number", [VI_TK_STRING] = "string",
    [VI_TK_LPAREN] = "'('", [VI_TK_RPAREN] = "')'", [VI_TK_LBRACK] = "'['",
    [VI_TK_RBRACK] = "']'", [VI_TK_LBRACE] = "'{'", [VI_TK_RBRACE] = "'}'",
    [VI_TK_COMMA] = "','", [VI_TK_SEMI] = "';'", [VI_TK_COLON] = "':'",
    [VI_TK_QUESTION] = "'?'", [VI_TK_TILDE] = "'~'", [VI_TK_QUOTE] = "'''",
    [VI_TK_BAR] = "'|'", [VI_TK_PLUS] = "'+'", [VI_TK_MINUS] = "'-'", [VI_TK_STAR] = "'*'",
    [VI_TK_AT] = "'@'",
    [VI_TK_SLASH] = "'/'", [VI_TK_PERCENT] = "'%'", [VI_TK_BACKSLASH] = "'\\'",
    [VI_TK_HAT] = "'^'", [VI_TK_DOTSTAR] = "'.*'", [VI_TK_DOTSLASH] = "'./'",
    [VI_TK_DOTHAT] = "'.^'", [VI_TK_IDIV] = "'%/%'", [VI_TK_BANG] = "'!'",
    [VI_TK_AND] = "'&&'", [VI_TK_OR] = "'||'", [VI_TK_EQ] = "'=='", [VI_TK_NE] = "'!='",
    [VI_TK_LT] = "'<'", [VI_TK_LE] = "'<='", [VI_TK_GT] = "'>'", [VI_TK_GE] = "'>='",
    [VI_TK_ASSIGN] = "'='", [VI_TK_PLUS_EQ] = "'+='", [VI_TK_MINUS_EQ] = "'-='",
    [VI_TK_STAR_EQ] = "'*='", [VI_TK_SLASH_EQ] = "'/='", [VI_TK_DOTSTAR_EQ] = "'.*='",
    [VI_TK_DOTSLASH_EQ] = "'./='",
};

const char *vi_tok_kind_name(int kind) {
  if (kind < 0 || kind >= VI_TK__COUNT) return "token";
  return tok_names[kind];
}

const char *vi_kw_name(int kw) {
  if (kw <= VI_KW_NONE || kw >= VI_KW__COUNT) return NULL;
  return kw_names[kw];
}

void vi_lex_init(struct vi_lexer *lx, struct vi_arena *a, const char *file, const char *src,
                 size_t len) {
  memset(lx, 0, sizeof *lx);
  lx->arena = a;
  lx->file = file;
  lx->src = src ? src : "";
  lx->len = src ? len : 0;
  lx->line = 1;
}

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_ident(int c) { return is_alpha(c) || is_digit(c) || c == '_'; }

/* Byte at pos+k, or -1 past the end. */
static int peekc(const struct vi_lexer *lx, size_t k) {
  return lx->pos + k < lx->len ? (unsigned char)lx->src[lx->pos + k] : -1;
}

static struct vi_srcloc here(const struct vi_lexer *lx) {
  struct vi_srcloc l = {lx->file, lx->line, (int)(lx->pos - lx->line_start + 1)};
  return l;
}

/* Advances one byte, keeping line/column up to date. */
static void bump(struct vi_lexer *lx) {
  if (lx->pos >= lx->len) return;
  if (lx->src[lx->pos] == '\n') {
    lx->line++;
    lx->line_start = lx->pos + 1;
  }
  lx->pos++;
}

/* Records a lexical error for the token being built (first one wins). */
static void lex_error(struct vi_lexer *lx, struct vi_token *t, struct vi_srcloc loc,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void lex_error(struct vi_lexer *lx, struct vi_token *t, struct vi_srcloc loc,
                      const char *fmt, ...) {
  if (t->err) return;
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *m = vi_arena_strdup(lx->arena, buf);
  t->err = m ? m : "invalid input";
  t->err_loc = loc;
}

/* Skips whitespace and comments; reports an unterminated block comment. */
static void skip_space(struct vi_lexer *lx, struct vi_token *t) {
  for (;;) {
    int c = peekc(lx, 0);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      bump(lx);
    } else if (c == '#' || (c == '/' && peekc(lx, 1) == '/')) {
      if (c == '#' && lx->len - lx->pos >= 8 && memcmp(lx->src + lx->pos, "#include", 8) == 0) {
        lex_error(lx, t, here(lx), "#include is not supported (paste the included file into the model; "
                                   "see docs/unsupported.md)");
        return;
      }
      while (lx->pos < lx->len && lx->src[lx->pos] != '\n') bump(lx);
    } else if (c == '/' && peekc(lx, 1) == '*') {
      struct vi_srcloc start = here(lx);
      bump(lx);
      bump(lx);
      for (;;) {
        if (lx->pos >= lx->len) {
          lex_error(lx, t, start, "unterminated comment ('/*' without '*/')");
          return;
        }
        if (peekc(lx, 0) == '*' && peekc(lx, 1) == '/') {
          bump(lx);
          bump(lx);
          break;
        }
        bump(lx);
      }
    } else {
      return;
    }
  }
}

static int lookup_kw(const char *s, size_t n) {
  if (n < 2 || n > 20 || s[0] < 'a' || s[0] > 'w') return VI_KW_NONE;
  for (int k = VI_KW_NONE + 1; k < VI_KW__COUNT; k++)
    if (kw_names[k][0] == s[0] && strncmp(kw_names[k], s, n) == 0 && kw_names[k][n] == 0)
      return k;
  return VI_KW_NONE;
}

static void lex_number(struct vi_lexer *lx, struct vi_token *t) {
  size_t start = lx->pos;
  int is_real = 0;
  while (is_digit(peekc(lx, 0))) bump(lx);
  if (peekc(lx, 0) == '.' && peekc(lx, 1) != '*' && peekc(lx, 1) != '/' &&
      peekc(lx, 1) != '^') {
    is_real = 1;
    bump(lx);
    while (is_digit(peekc(lx, 0))) bump(lx);
  }
  int bad = 0;
  if (peekc(lx, 0) == 'e' || peekc(lx, 0) == 'E') {
    is_real = 1;
    bump(lx);
    if (peekc(lx, 0) == '+' || peekc(lx, 0) == '-') bump(lx);
    if (!is_digit(peekc(lx, 0))) bad = 1;
    while (is_digit(peekc(lx, 0))) bump(lx);
  }
  /* `2x`, `1.2.3`: one malformed token (a '.' of `.*`, `./`, `.^` is not part of it) */
  while (is_ident(peekc(lx, 0)) || (peekc(lx, 0) == '.' && is_digit(peekc(lx, 1)))) {
    bad = 1;
    bump(lx);
  }
  t->off = start;
  t->len = lx->pos - start;
  int shown = t->len > 40 ? 40 : (int)t->len;
  const char *more = t->len > 40 ? "..." : "";
  if (bad) {
    lex_error(lx, t, t->loc, "malformed number '%.*s%s'", shown, lx->src + start, more);
    t->kind = VI_TK_REAL;
    return;
  }
  if (t->len > VI_LEX_MAX_LITERAL) {
    lex_error(lx, t, t->loc, "number literal too long (limit %d characters)",
              VI_LEX_MAX_LITERAL);
    t->kind = is_real ? VI_TK_REAL : VI_TK_INT;
    return;
  }
  char buf[VI_LEX_MAX_LITERAL + 1];
  memcpy(buf, lx->src + start, t->len);
  buf[t->len] = 0;
  if (is_real) {
    t->kind = VI_TK_REAL;
    errno = 0;
    t->rval = strtod(buf, NULL);
    if (errno == ERANGE && (t->rval > 1.0 || t->rval < -1.0))
      lex_error(lx, t, t->loc, "real literal '%.*s%s' is out of range", shown, buf, more);
  } else {
    t->kind = VI_TK_INT;
    long long v = 0;
    for (size_t i = 0; i < t->len; i++) {
      v = v * 10 + (buf[i] - '0');
      if (v > 2147483647LL) {
        lex_error(lx, t, t->loc,
                  "integer literal '%.*s%s' is too large (the largest int is 2147483647)",
                  shown, buf, more);
        v = 0;
        break;
      }
    }
    t->ival = v;
  }
}

static void lex_string(struct vi_lexer *lx, struct vi_token *t) {
  size_t start = lx->pos;
  bump(lx);
  for (;;) {
    int c = peekc(lx, 0);
    if (c < 0 || c == '\n') {
      lex_error(lx, t, t->loc, "unterminated string (missing closing '\"')");
      break;
    }
    bump(lx);
    if (c == '"') break;
    if (c == '\\' && peekc(lx, 0) >= 0 && peekc(lx, 0) != '\n') bump(lx);
  }
  t->kind = VI_TK_STRING;
  t->off = start;
  t->len = lx->pos - start;
  if (t->len > VI_LEX_MAX_LITERAL)
    lex_error(lx, t, t->loc, "string literal too long (limit %d characters)",
              VI_LEX_MAX_LITERAL);
}

/* Operators and punctuation, longest first. */
static const struct {
  const char *s;
  unsigned char kind;
} ops[] = {
    {"%/%", VI_TK_IDIV},       {".*=", VI_TK_DOTSTAR_EQ}, {"./=", VI_TK_DOTSLASH_EQ},
    {".*", VI_TK_DOTSTAR},     {"./", VI_TK_DOTSLASH},    {".^", VI_TK_DOTHAT},
    {"&&", VI_TK_AND},         {"||", VI_TK_OR},          {"==", VI_TK_EQ},
    {"!=", VI_TK_NE},          {"<=", VI_TK_LE},          {">=", VI_TK_GE},
    {"+=", VI_TK_PLUS_EQ},     {"-=", VI_TK_MINUS_EQ},    {"*=", VI_TK_STAR_EQ},
    {"/=", VI_TK_SLASH_EQ},    {"(", VI_TK_LPAREN},       {")", VI_TK_RPAREN},
    {"[", VI_TK_LBRACK},       {"]", VI_TK_RBRACK},       {"{", VI_TK_LBRACE},
    {"}", VI_TK_RBRACE},       {",", VI_TK_COMMA},        {";", VI_TK_SEMI},
    {":", VI_TK_COLON},        {"?", VI_TK_QUESTION},     {"~", VI_TK_TILDE},
    {"'", VI_TK_QUOTE},        {"|", VI_TK_BAR},          {"+", VI_TK_PLUS},
    {"-", VI_TK_MINUS},        {"*", VI_TK_STAR},         {"/", VI_TK_SLASH},
    {"%", VI_TK_PERCENT},      {"\\", VI_TK_BACKSLASH},   {"^", VI_TK_HAT},
    {"!", VI_TK_BANG},         {"<", VI_TK_LT},           {">", VI_TK_GT},
    {"=", VI_TK_ASSIGN},
};

struct vi_token vi_lex_next(struct vi_lexer *lx) {
  struct vi_token t;
  memset(&t, 0, sizeof t);
  for (;;) {
    skip_space(lx, &t);
    t.loc = here(lx);
    t.off = lx->pos;
    int c = peekc(lx, 0);
    if (c < 0) {
      t.kind = VI_TK_EOF;
      return t;
    }
    if (is_alpha(c) || (c == '_' && is_ident(peekc(lx, 1)))) {
      while (is_ident(peekc(lx, 0))) bump(lx);
      t.kind = VI_TK_IDENT;
      t.len = lx->pos - t.off;
      if (c == '_')
        lex_error(lx, &t, t.loc, "identifier '%.*s' must start with a letter",
                  t.len > 40 ? 40 : (int)t.len, lx->src + t.off);
      if (t.len > VI_LEX_MAX_IDENT) {
        lex_error(lx, &t, t.loc, "identifier too long (limit %d characters)",
                  VI_LEX_MAX_IDENT);
        t.len = VI_LEX_MAX_IDENT;
      }
      t.kw = (unsigned char)lookup_kw(lx->src + t.off, t.len);
      return t;
    }
    if (is_digit(c) || (c == '.' && is_digit(peekc(lx, 1)))) {
      lex_number(lx, &t);
      return t;
    }
    if (c == '"') {
      lex_string(lx, &t);
      return t;
    }
    if (c == '@' && is_alpha(peekc(lx, 1))) { /* an annotation: '@' then its name */
      bump(lx);
      t.kind = VI_TK_AT;
      t.len = 1;
      return t;
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
      if (ops[i].s[0] != c) continue;
      size_t n = strlen(ops[i].s);
      if (lx->pos + n <= lx->len && memcmp(lx->src + lx->pos, ops[i].s, n) == 0) {
        for (size_t k = 0; k < n; k++) bump(lx);
        t.kind = ops[i].kind;
        t.len = n;
        return t;
      }
    }
    /* a stray byte: report it, skip it and any that follow, and go on */
    if (c == 0)
      lex_error(lx, &t, t.loc, "stray NUL byte in the program");
    else if (c >= 0x20 && c < 0x7f)
      lex_error(lx, &t, t.loc, "stray character '%c' in the program", c);
    else
      lex_error(lx, &t, t.loc, "stray byte 0x%02x in the program (only ASCII is allowed "
                "outside comments and strings)", (unsigned)c);
    bump(lx);
  }
}
