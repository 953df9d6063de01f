/* diag.h: source locations and diagnostics.
 *
 * Every token, AST node and data cell carries a struct vi_srcloc. Errors in a
 * user's model or data are collected here (several per phase) and printed as
 *   model.vim:12:7: error: unknown distribution 'nromal' (did you mean 'normal'?)
 *       y ~ nromal(mu, sigma);
 *           ^
 * The source line and caret are shown when the diagnostics know the text of
 * the file the location names (vi_diags_add_source). */
#ifndef VI_DIAG_H
#define VI_DIAG_H
#include <stdarg.h>
#include <stddef.h>

struct vi_srcloc {
  const char *file; /* borrowed; NULL when there is no file (command line) */
  int line, col;    /* 1-based; 0 when unknown */
};

enum vi_status {
  VI_OK = 0,
  VI_ERR_SYNTAX,  /* the model does not parse */
  VI_ERR_TYPE,    /* the model parses but is not well-formed */
  VI_ERR_DATA,    /* data missing, malformed or out of bounds */
  VI_ERR_EVAL,    /* evaluation failed (bad argument, reject, non-finite) */
  VI_ERR_LIMIT,   /* a resource limit was hit */
  VI_ERR_NOMEM,
  VI_ERR_IO,
  VI_ERR_USAGE
};

enum { VI_DIAG_MAX_SOURCES = 8 };

struct vi_diags {
  char *buf;            /* all messages, formatted, NUL-terminated */
  size_t len, cap;
  int nerrors, nwarnings;
  int max_errors;       /* stop recording after this many errors (default 20) */
  struct { const char *file, *text; } src[VI_DIAG_MAX_SOURCES]; /* borrowed */
  int nsrc;
};

void vi_diags_init(struct vi_diags *d);
void vi_diags_free(struct vi_diags *d); /* NULL-safe */
void vi_diags_clear(struct vi_diags *d);
/* Registers the text of a file so messages at locations in it show the
 * source line and a caret. Both pointers are borrowed. */
void vi_diags_add_source(struct vi_diags *d, const char *file, const char *text);
/* Records "file:line:col: error: message" (location parts omitted when
 * unknown) plus the source line and caret. */
void vi_error(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vi_verror(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, va_list ap);
void vi_warning(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A "note:" line attached to the previous message. */
void vi_note(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Levenshtein distance between a and b, capped at cap+1 (for "did you mean"). */
int vi_edit_distance(const char *a, const char *b, int cap);

#endif
