/* lex.h: the lexer of .vim models (private to compiler/).
 *
 * The lexer turns (src, len) into tokens on demand. It never reads past len,
 * accepts any bytes (NUL, invalid UTF-8) and never fails: a malformed piece of
 * input (stray character, unterminated comment or string, bad number, integer
 * overflow, over-long identifier) produces an error message that is attached
 * to the next token (tok.err), so the parser can report it in source order
 * when that token becomes current. Only the first lexical error before a
 * token is kept. */
#ifndef VI_LEX_H
#define VI_LEX_H
#include <stddef.h>

#include "vi/arena.h"
#include "vi/diag.h"

enum { VI_LEX_MAX_IDENT = 255, VI_LEX_MAX_LITERAL = 1000 };

enum vi_tok_kind {
  VI_TK_EOF,
  VI_TK_IDENT,  /* identifier or keyword (see kw) */
  VI_TK_INT,    /* ival */
  VI_TK_REAL,   /* rval */
  VI_TK_STRING, /* text/len include the quotes */
  /* punctuation */
  VI_TK_LPAREN, VI_TK_RPAREN, VI_TK_LBRACK, VI_TK_RBRACK, VI_TK_LBRACE, VI_TK_RBRACE,
  VI_TK_COMMA, VI_TK_SEMI, VI_TK_COLON, VI_TK_QUESTION, VI_TK_TILDE, VI_TK_QUOTE, VI_TK_BAR,
  VI_TK_AT, /* '@' opening an annotation (@point) */
  /* operators */
  VI_TK_PLUS, VI_TK_MINUS, VI_TK_STAR, VI_TK_SLASH, VI_TK_PERCENT, VI_TK_BACKSLASH,
  VI_TK_HAT, VI_TK_DOTSTAR, VI_TK_DOTSLASH, VI_TK_DOTHAT, VI_TK_IDIV, VI_TK_BANG,
  VI_TK_AND, VI_TK_OR, VI_TK_EQ, VI_TK_NE, VI_TK_LT, VI_TK_LE, VI_TK_GT, VI_TK_GE,
  /* assignment */
  VI_TK_ASSIGN, VI_TK_PLUS_EQ, VI_TK_MINUS_EQ, VI_TK_STAR_EQ, VI_TK_SLASH_EQ,
  VI_TK_DOTSTAR_EQ, VI_TK_DOTSLASH_EQ,
  VI_TK__COUNT
};

/* Reserved words. VI_KW_NONE for an ordinary identifier. */
enum vi_kw {
  VI_KW_NONE,
  /* blocks */
  VI_KW_FUNCTIONS, VI_KW_DATA, VI_KW_TRANSFORMED, VI_KW_PARAMETERS, VI_KW_MODEL,
  VI_KW_GENERATED, VI_KW_QUANTITIES,
  /* types */
  VI_KW_INT, VI_KW_REAL, VI_KW_VECTOR, VI_KW_ROW_VECTOR, VI_KW_MATRIX, VI_KW_SIMPLEX,
  VI_KW_UNIT_VECTOR, VI_KW_ORDERED, VI_KW_POSITIVE_ORDERED, VI_KW_CHOLESKY_FACTOR_CORR,
  VI_KW_CHOLESKY_FACTOR_COV, VI_KW_CORR_MATRIX, VI_KW_COV_MATRIX, VI_KW_SUM_TO_ZERO_VECTOR, VI_KW_ARRAY,
  VI_KW_VOID,
  /* statements */
  VI_KW_FOR, VI_KW_IN, VI_KW_WHILE, VI_KW_IF, VI_KW_ELSE, VI_KW_RETURN, VI_KW_BREAK,
  VI_KW_CONTINUE, VI_KW_TARGET, VI_KW_PRINT, VI_KW_REJECT, VI_KW_FATAL_ERROR,
  /* constraints */
  VI_KW_LOWER, VI_KW_UPPER, VI_KW_OFFSET, VI_KW_MULTIPLIER,
  VI_KW__COUNT
};

struct vi_token {
  unsigned char kind;  /* enum vi_tok_kind */
  unsigned char kw;    /* enum vi_kw for VI_TK_IDENT */
  struct vi_srcloc loc;
  size_t off, len;     /* byte range in the source */
  long long ival;
  double rval;
  const char *err;     /* lexical error found before/in this token, or NULL */
  struct vi_srcloc err_loc;
};

struct vi_lexer {
  struct vi_arena *arena; /* error messages */
  const char *file, *src;
  size_t len, pos;
  int line;
  size_t line_start;      /* offset of the current line's first byte */
};

/* Starts lexing src[0..len). file, src are borrowed; messages go to a. */
void vi_lex_init(struct vi_lexer *lx, struct vi_arena *a, const char *file, const char *src,
                 size_t len);
/* The next token (VI_TK_EOF forever at the end). */
struct vi_token vi_lex_next(struct vi_lexer *lx);
/* Spelling of a token kind for messages: "';'", "identifier", "end of file". */
const char *vi_tok_kind_name(int kind);
/* Keyword spelling ("real"), or NULL for VI_KW_NONE. */
const char *vi_kw_name(int kw);

#endif
