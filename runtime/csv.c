/* csv.c: the CSV table reader (see include/vi/data.h for the dialect).
 *
 * A regular file is mapped read-only (a file read from a pipe is read whole
 * into a buffer); the table keeps the mapping, and cells are re-read from it
 * for messages and text levels. One pass splits rows and fields and parses
 * every cell straight into per-column double arrays (sized from the row
 * count that the first 64 KiB suggest, grown by half when that was short),
 * so nothing is allocated per cell. The pass hands the pages it is done with
 * back to the kernel (MADV_DONTNEED: a later look at a cell reads the page
 * again from the page cache), so the memory a large numeric file takes is
 * about its doubles, not its text plus its doubles. Each row's start offset and line number are kept, so the
 * location of any cell is recomputed on demand by rescanning its row.
 * Columns holding text get a third pass that codes their cells 1..L by first
 * appearance. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#endif
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vi/arena.h"
#include "vi/data.h"

struct vi_table_col {
  const char *name;
  double *num;                     /* nrows values (malloc'd, cap of them) */
  size_t n_missing, first_missing; /* see struct vi_column */
  size_t n_text, first_text;
  size_t n_nonint, first_nonint;
  int *codes; /* malloc'd, when n_text > 0 */
  const char **levels; /* malloc'd array of arena strings */
  size_t nlevels;
};

struct vi_table {
  char *file;         /* name for messages (malloc'd copy) */
  char *text;         /* the whole file, NUL-terminated (malloc'd, or mapped) */
  size_t len;         /* bytes in text, excluding the NUL */
  size_t maplen;      /* when text is mapped: the mapping's length (else 0) */
  size_t released;    /* text before this offset has been handed back (mapped) */
  size_t hdr_off;     /* offset of the header row (after BOM and blank lines) */
  size_t hdr_line;    /* its line number */
  char delim;         /* ',' '\t' or ';' */
  unsigned char stop[256]; /* 1 for the bytes that end an unquoted field */
  size_t nrows, ncols;
  size_t *row_off;    /* byte offset of the first byte of data rows 0, CHK, 2 CHK, ... */
  size_t *row_line;   /* line number of that byte */
  size_t cap;         /* rows the arrays below and every column's num hold */
  struct vi_table_col *cols;
  struct vi_arena arena; /* column names and level strings */
  /* a table read from the binary column cache (runtime/cache.c): the
   * columns live in the mapping; the CSV itself is parsed only when a
   * cell's place or text is asked for (shadow) */
  void *cmap;
  size_t cmaplen;
  struct vi_table *shadow;
};

/* Hands the mapped pages of text[t->released, upto) back to the kernel
 * once at least 4 MiB are done with (no-op for a malloc'd text). */
static void release_upto(struct vi_table *t, size_t upto) {
  enum { STEP = 4u << 20 };
  if (!t->maplen || upto < t->released + STEP) return;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t from = t->released / page * page, to = upto / page * page;
  if (to > from) madvise(t->text + from, to - from, MADV_DONTNEED);
  t->released = to;
}

/* ------------------------------------------------------------------------ */
/* Reading files                                                            */

int vi_data_read_file(const char *path, char **text, size_t *len, struct vi_diags *d) {
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  struct vi_srcloc loc = {path, 0, 0};
  if (!f) {
    vi_error(d, loc, "cannot open file: %s", strerror(errno));
    return VI_ERR_IO;
  }
  size_t cap = 1 << 16, n = 0;
  struct stat st;
  if (fstat(fileno(f), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      fclose(f);
      vi_error(d, loc, "cannot read file: %s", strerror(EISDIR));
      return VI_ERR_IO;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (uintmax_t)st.st_size < SIZE_MAX - 1)
      cap = (size_t)st.st_size + 1;
  }
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    vi_error(d, loc, "out of memory reading the file (%zu bytes)", cap);
    return VI_ERR_NOMEM;
  }
  for (;;) {
    if (n == cap - 1) { /* keep one byte for the NUL */
      size_t ncap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
      char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
      if (!nb) {
        free(buf);
        fclose(f);
        vi_error(d, loc, "out of memory reading the file (more than %zu bytes)", cap);
        return VI_ERR_NOMEM;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - 1 - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    int e = errno;
    free(buf);
    fclose(f);
    vi_error(d, loc, "cannot read file: %s", strerror(e ? e : EIO));
    return VI_ERR_IO;
  }
  fclose(f);
  buf[n] = 0;
  *text = buf;
  *len = n;
  return VI_OK;
}

/* ------------------------------------------------------------------------ */
/* Numbers                                                                  */

enum cell_kind { CELL_MISSING, CELL_NUMBER, CELL_TEXT };

/* Exact powers of ten representable in a double (Clinger's fast path). */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int lower_eq(const char *s, size_t n, const char *word) {
  size_t i = 0;
  for (; i < n && word[i]; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != word[i]) return 0;
  }
  return i == n && word[i] == 0;
}

/* Classifies the text [s, e) and, for a number, stores it in *x. The syntax
 * is checked here (so strtod only computes values of strings known to be
 * plain decimals, never hex or "nan(...)"): [+-] digits [. digits] [eE [+-]
 * digits], with at least one digit before the exponent; with comma_ok the
 * separator may also be ','. Values come from Clinger's exact fast path when
 * the significand fits 2^53 and |exp10| <= 22 (one correctly rounded
 * multiply or divide by an exact power of ten), else from strtod, so every
 * result is correctly rounded. */
static enum cell_kind parse_cell(const char *s, const char *e, int comma_ok, double *x) {
  while (s < e && is_space(*s)) s++;
  while (e > s && is_space(e[-1])) e--;
  size_t n = (size_t)(e - s);
  if (n == 0) return CELL_MISSING;
  const char *p = s;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (p < e && (*p < '0' || *p > '9') && *p != '.' && !(comma_ok && *p == ',')) {
    size_t m = (size_t)(e - p);
    if (lower_eq(p, m, "nan") || (p == s && lower_eq(p, m, "na"))) return CELL_MISSING;
    if (lower_eq(p, m, "inf") || lower_eq(p, m, "infinity")) {
      *x = neg ? -HUGE_VAL : HUGE_VAL;
      return CELL_NUMBER;
    }
    return CELL_TEXT;
  }
  /* Up to 19 digits (leading zeros included) fit a uint64_t exactly; more
   * go to strtod. */
  uint64_t mant = 0;
  int ndig = 0, dropped = 0, anydig = 0;
  long exp10 = 0;
  for (; p < e && (unsigned)(*p - '0') < 10; p++) {
    anydig = 1;
    if (ndig < 19) {
      mant = mant * 10 + (uint64_t)(*p - '0');
      ndig++;
    } else {
      dropped = 1;
      exp10++;
    }
  }
  char dec = 0;
  if (p < e && (*p == '.' || (comma_ok && *p == ','))) {
    dec = *p;
    for (p++; p < e && (unsigned)(*p - '0') < 10; p++) {
      anydig = 1;
      if (ndig < 19) {
        mant = mant * 10 + (uint64_t)(*p - '0');
        ndig++;
        exp10--;
      } else {
        dropped = 1;
      }
    }
  }
  if (!anydig) return CELL_TEXT;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = 0;
    if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
    if (p == e || *p < '0' || *p > '9') return CELL_TEXT;
    long ev = 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++)
      if (ev < 100000) ev = ev * 10 + (*p - '0');
    exp10 += eneg ? -ev : ev;
  }
  if (p != e) return CELL_TEXT;
  if (mant == 0 && !dropped) {
    *x = neg ? -0.0 : 0.0;
    return CELL_NUMBER;
  }
  if (!dropped && mant <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
    double v = (double)mant;
    v = exp10 >= 0 ? v * pow10_exact[exp10] : v / pow10_exact[-exp10];
    *x = neg ? -v : v;
    return CELL_NUMBER;
  }
  /* Slow path: strtod on a NUL-terminated copy with '.' as separator. */
  char small[128];
  char *tmp = n < sizeof small ? small : malloc(n + 1);
  if (!tmp) return CELL_TEXT; /* out of memory: reported as a bad cell */
  memcpy(tmp, s, n);
  tmp[n] = 0;
  if (dec == ',') {
    char *c = memchr(tmp, dec, n);
    if (c) *c = '.';
  }
  *x = strtod(tmp, NULL);
  if (tmp != small) free(tmp);
  return CELL_NUMBER;
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                   */

enum field_end { END_DELIM, END_LINE, END_EOF };

struct field {
  const char *start;  /* first byte of the field (leading spaces included) */
  const char *s, *e;  /* content: trimmed when unquoted, inside the quotes when quoted */
  int quoted, escaped; /* escaped: the content holds "" pairs */
  size_t newlines;    /* line breaks inside the quotes */
  enum field_end end;
  const char *term;   /* the terminator (delimiter, line break or end of buffer) */
  const char *next;   /* the byte after the terminator */
};

enum field_err { FIELD_OK, FIELD_UNTERMINATED, FIELD_JUNK, FIELD_NUL };

/* Where every CHK-th row starts is kept (16 bytes per CHK rows); a row in
 * between is found by walking from the one before it. */
enum { CHK = 64 };

static int is_trim(char c, char delim) { return c == ' ' || (c == '\t' && delim != '\t'); }

static int is_break(char c) { return c == '\n' || c == '\r'; }

/* Scans the field that starts at p. end[0] is NUL (a sentinel) and the
 * buffer holds no other NUL. On FIELD_UNTERMINATED *errpos is the opening
 * quote; on FIELD_JUNK the first byte after the closing quote that is not a
 * space, delimiter or line break; on FIELD_NUL a NUL byte before end. */
static enum field_err scan_field(const char *p, const char *end, const struct vi_table *t,
                                 struct field *f, const char **errpos) {
  char delim = t->delim;
  f->start = p;
  f->quoted = f->escaped = 0;
  f->newlines = 0;
  const char *q = p;
  while (is_trim(*q, delim)) q++;
  if (*q == '"') {
    const char *open = q;
    f->quoted = 1;
    f->s = ++q;
    for (;;) {
      if (q >= end) {
        *errpos = open;
        return FIELD_UNTERMINATED;
      }
      char c = *q;
      if (c == 0) {
        *errpos = q;
        return FIELD_NUL;
      }
      if (c == '"') {
        if (q[1] == '"') {
          f->escaped = 1;
          q += 2;
          continue;
        }
        break;
      }
      if (c == '\n' || (c == '\r' && q[1] != '\n')) f->newlines++;
      q++;
    }
    f->e = q++;
    while (is_trim(*q, delim)) q++;
    if (q < end && *q == 0) {
      *errpos = q;
      return FIELD_NUL;
    }
    if (q < end && *q != delim && !is_break(*q)) {
      *errpos = q;
      return FIELD_JUNK;
    }
  } else {
    q = p;
    while (!t->stop[(unsigned char)*q]) q++;
    if (*q == 0 && q < end) {
      *errpos = q;
      return FIELD_NUL;
    }
    const char *s = p, *e = q;
    while (s < e && is_trim(*s, delim)) s++;
    while (e > s && is_trim(e[-1], delim)) e--;
    f->s = s;
    f->e = e;
  }
  f->term = q;
  if (q >= end) {
    f->end = END_EOF;
    f->next = end;
  } else if (*q == delim) {
    f->end = END_DELIM;
    f->next = q + 1;
  } else {
    f->end = END_LINE;
    f->next = q + 1 + (q[0] == '\r' && q[1] == '\n');
  }
  return FIELD_OK;
}

/* Copies the content of f into out (at most cap-1 bytes, NUL-terminated),
 * undoing "" escapes; returns the full unescaped length. */
static size_t field_text(const struct field *f, char *out, size_t cap) {
  size_t n = 0;
  for (const char *p = f->s; p < f->e; p++) {
    if (f->escaped && p[0] == '"' && p + 1 < f->e && p[1] == '"') p++;
    if (n + 1 < cap) out[n] = *p;
    n++;
  }
  if (cap) out[n < cap ? n : cap - 1] = 0;
  return n;
}

static enum cell_kind classify(const struct field *f, char delim, double *x) {
  if (f->escaped) return CELL_TEXT;
  return parse_cell(f->s, f->e, delim == ';', x);
}

/* file:line:col of pos, given that row_start is at line `line`, column 1. */
static struct vi_srcloc loc_in_row(const char *file, const char *row_start, size_t line,
                                   const char *pos) {
  const char *ls = row_start;
  for (const char *p = row_start; p < pos; p++) {
    if (*p == '\n' || (*p == '\r' && p[1] != '\n')) {
      line++;
      ls = p + 1;
    }
  }
  size_t col = (size_t)(pos - ls) + 1;
  struct vi_srcloc loc = {file, line > INT_MAX ? INT_MAX : (int)line,
                          col > INT_MAX ? INT_MAX : (int)col};
  return loc;
}

/* ------------------------------------------------------------------------ */
/* Hashing column names and levels                                          */

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return h;
}

/* An open-addressing set of strings; slots hold index+1 into strs. */
struct strset {
  size_t *slots;
  size_t mask;
  const char **strs;
  size_t n, cap;
};

static void strset_free(struct strset *s) {
  free(s->slots);
  free(s->strs);
  memset(s, 0, sizeof *s);
}

/* Index of str (length n) in s, adding a copy (from arena a) when absent;
 * *added says which. (size_t)-1 when out of memory. */
static size_t strset_intern(struct strset *s, struct vi_arena *a, const char *str, size_t n,
                            int *added) {
  *added = 0;
  if (s->n + 1 > s->cap || !s->slots || (s->n + 1) * 2 > s->mask + 1) {
    size_t ncap = s->cap ? s->cap * 2 : 16;
    const char **ns = realloc(s->strs, ncap * sizeof *ns);
    if (!ns) return (size_t)-1;
    s->strs = ns;
    s->cap = ncap;
    size_t nslots = (s->mask + 1) * 2;
    if (nslots < 2 * ncap) nslots = 2 * ncap;
    size_t *sl = calloc(nslots, sizeof *sl);
    if (!sl) return (size_t)-1;
    for (size_t i = 0; i < s->n; i++) {
      size_t h = (size_t)hash_bytes(s->strs[i], strlen(s->strs[i])) & (nslots - 1);
      while (sl[h]) h = (h + 1) & (nslots - 1);
      sl[h] = i + 1;
    }
    free(s->slots);
    s->slots = sl;
    s->mask = nslots - 1;
  }
  size_t h = (size_t)hash_bytes(str, n) & s->mask;
  while (s->slots[h]) {
    const char *t = s->strs[s->slots[h] - 1];
    if (strncmp(t, str, n) == 0 && t[n] == 0) return s->slots[h] - 1;
    h = (h + 1) & s->mask;
  }
  char *copy = vi_arena_strndup(a, str, n);
  if (!copy) return (size_t)-1;
  s->strs[s->n] = copy;
  s->slots[h] = s->n + 1;
  *added = 1;
  return s->n++;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

struct csv_parser {
  struct vi_table *t;
  struct vi_diags *d;
  const char *buf, *end;
  const char *row_start; /* start of the row being parsed */
  size_t row_line;       /* its line */
};

static void perr(struct csv_parser *ps, const char *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct csv_parser *ps, const char *pos, const char *fmt, ...) {
  struct vi_srcloc loc = loc_in_row(ps->t->file, ps->row_start, ps->row_line, pos);
  va_list ap;
  va_start(ap, fmt);
  vi_verror(ps->d, loc, fmt, ap);
  va_end(ap);
}

static int field_error(struct csv_parser *ps, enum field_err fe, const char *pos) {
  if (fe == FIELD_NUL)
    perr(ps, pos, "NUL byte in the file (is it a binary file, or UTF-16?)");
  else if (fe == FIELD_UNTERMINATED)
    perr(ps, pos, "unterminated quoted field (no closing '\"' before the end of the file)");
  else
    perr(ps, pos,
         "unexpected character '%c' after the closing quote of a field "
         "(write a quote inside a quoted field as \"\")",
         *pos);
  return VI_ERR_DATA;
}

/* Delimiter: the most frequent of , \t ; in the first line outside quotes. */
static char detect_delim(const char *p, const char *end) {
  size_t nc = 0, nt = 0, ns = 0;
  int inq = 0;
  for (; p < end; p++) {
    char c = *p;
    if (c == '"') inq = !inq;
    else if (!inq && (c == '\n' || c == '\r')) break;
    else if (!inq) {
      nc += c == ',';
      nt += c == '\t';
      ns += c == ';';
    }
  }
  if (nt > nc && nt >= ns) return '\t';
  if (ns > nc && ns > nt) return ';';
  return ',';
}

/* Whether the line at p holds only spaces (and tabs unless delim is tab);
 * *next is the next line. */
static int blank_line(const char *p, const char *end, char delim, const char **next) {
  while (p < end && is_trim(*p, delim)) p++;
  if (p < end && !is_break(*p)) return 0;
  if (p < end) p += 1 + (p[0] == '\r' && p[1] == '\n');
  *next = p;
  return 1;
}

static int parse_header(struct csv_parser *ps) {
  struct vi_table *t = ps->t;
  const char *p = ps->row_start;
  t->delim = detect_delim(p, ps->end);
  t->stop[0] = t->stop['\n'] = t->stop['\r'] = 1;
  t->stop[(unsigned char)t->delim] = 1;
  /* Count the fields first, then fill. */
  size_t n = 0;
  struct field f;
  const char *errpos = NULL;
  for (;;) {
    enum field_err fe = scan_field(p, ps->end, t, &f, &errpos);
    if (fe) return field_error(ps, fe, errpos);
    if (++n > VI_CSV_MAX_COLS) {
      perr(ps, f.start, "the header has more than %d columns (the limit)", VI_CSV_MAX_COLS);
      return VI_ERR_LIMIT;
    }
    p = f.next;
    if (f.end != END_DELIM) break;
  }
  t->ncols = n;
  t->cols = calloc(n, sizeof *t->cols);
  if (!t->cols) {
    vi_error(ps->d, (struct vi_srcloc){t->file, 0, 0}, "out of memory");
    return VI_ERR_NOMEM;
  }
  struct strset names = {0};
  char small[256];
  p = ps->row_start;
  int status = VI_OK;
  for (size_t c = 0; c < n; c++) {
    scan_field(p, ps->end, t, &f, &errpos);
    p = f.next;
    size_t len = field_text(&f, small, sizeof small);
    char *name = malloc(len + 1);
    if (!name) {
      status = VI_ERR_NOMEM;
      break;
    }
    field_text(&f, name, len + 1);
    if (len == 0 || memchr(name, 0, len)) {
      perr(ps, f.start, "empty column name in the header (column %zu)", c + 1);
      free(name);
      status = VI_ERR_DATA;
      break;
    }
    int added;
    size_t k = strset_intern(&names, &t->arena, name, len, &added);
    free(name);
    if (k == (size_t)-1) {
      status = VI_ERR_NOMEM;
      break;
    }
    if (!added) {
      perr(ps, f.start, "duplicate column name '%s' (columns %zu and %zu)", names.strs[k], k + 1,
           c + 1);
      status = VI_ERR_DATA;
      break;
    }
    t->cols[c].name = names.strs[k];
  }
  strset_free(&names);
  if (status == VI_ERR_NOMEM) vi_error(ps->d, (struct vi_srcloc){t->file, 0, 0}, "out of memory");
  if (status == VI_OK) {
    ps->row_start = p;
    ps->row_line = t->hdr_line + (f.end == END_LINE) + f.newlines;
    /* newlines of earlier header fields */
    for (const char *q = t->text + t->hdr_off; q < f.start; q++)
      if (*q == '\n' || (*q == '\r' && q[1] != '\n')) ps->row_line++;
  }
  return status;
}

static void note_cell(struct vi_table_col *col, enum cell_kind k, double x, size_t r) {
  if (k == CELL_NUMBER) {
    col->num[r] = x;
    /* below 2^53 a double is an integer when truncation keeps it (a cast,
     * not a libm call); above, every finite double is one */
    int nonint = fabs(x) < 9007199254740992.0 ? (double)(int64_t)x != x : isinf(x);
    if (nonint) {
      if (!col->n_nonint++) col->first_nonint = r;
    }
  } else {
    col->num[r] = NAN;
    if (k == CELL_MISSING) {
      if (!col->n_missing++) col->first_missing = r;
    } else {
      if (!col->n_text++) col->first_text = r;
    }
  }
}

/* Grows the row arrays and every column to hold at least need rows (by
 * half, at least); VI_OK or VI_ERR_NOMEM (reported). */
static int grow_rows(struct csv_parser *ps, size_t need) {
  struct vi_table *t = ps->t;
  size_t cap = t->cap + t->cap / 2 + 1024;
  if (cap < need) cap = need;
  if (cap > (size_t)VI_CSV_MAX_ROWS + 1) cap = (size_t)VI_CSV_MAX_ROWS + 1;
  size_t nchk = cap / CHK + 1;
  size_t *ro = realloc(t->row_off, nchk * sizeof *ro);
  if (ro) t->row_off = ro;
  size_t *rl = ro ? realloc(t->row_line, nchk * sizeof *rl) : NULL;
  if (rl) t->row_line = rl;
  int ok = ro && rl;
  for (size_t c = 0; ok && c < t->ncols; c++) {
    double *x = realloc(t->cols[c].num, cap * sizeof *x);
    if (x) t->cols[c].num = x;
    ok = x != NULL;
  }
  if (!ok) {
    vi_error(ps->d, (struct vi_srcloc){t->file, 0, 0}, "out of memory: a table of %zu rows and %zu columns", cap,
             t->ncols);
    return VI_ERR_NOMEM;
  }
  t->cap = cap;
  return VI_OK;
}

static int parse_rows(struct csv_parser *ps, const char *content_end) {
  struct vi_table *t = ps->t;
  const char *p = ps->row_start, *end = ps->end;
  size_t line = ps->row_line, r = 0, ncols = t->ncols;
  char delim = t->delim;
  const char *errpos = NULL;
  struct field f;
  while (p < content_end) {
    const char *next;
    if (ncols > 1 && blank_line(p, end, delim, &next)) {
      p = next;
      line++;
      continue;
    }
    if (r == VI_CSV_MAX_ROWS) {
      ps->row_start = p;
      ps->row_line = line;
      perr(ps, p, "too many rows (the limit is %d)", VI_CSV_MAX_ROWS);
      return VI_ERR_LIMIT;
    }
    if (r == t->cap) {
      int st = grow_rows(ps, r + 1);
      if (st) return st;
    }
    ps->row_start = p;
    ps->row_line = line;
    if (r % CHK == 0) {
      t->row_off[r / CHK] = (size_t)(p - ps->buf);
      t->row_line[r / CHK] = line;
      release_upto(t, (size_t)(p - ps->buf));
    }
    size_t c = 0;
    for (;;) {
      enum field_err fe = scan_field(p, end, t, &f, &errpos);
      if (fe) return field_error(ps, fe, errpos);
      line += f.newlines;
      if (c == ncols) {
        size_t nf = c + 1;
        const char *q = f.next, *extra = f.start;
        while (f.end == END_DELIM) { /* count the rest for the message */
          if (scan_field(q, end, t, &f, &errpos)) break;
          q = f.next;
          nf++;
        }
        perr(ps, extra, "row has %zu fields but the header has %zu", nf, ncols);
        return VI_ERR_DATA;
      }
      double x = 0;
      enum cell_kind k = classify(&f, delim, &x);
      note_cell(&t->cols[c], k, x, r);
      c++;
      p = f.next;
      if (f.end != END_DELIM) break;
    }
    if (c < ncols) {
      perr(ps, f.term, "row has %zu field%s but the header has %zu", c, c == 1 ? "" : "s",
           ncols);
      return VI_ERR_DATA;
    }
    if (f.end == END_LINE) line++;
    r++;
  }
  t->nrows = r;
  return VI_OK;
}

/* From the start of a row (p, at line *line) to the start of the next one:
 * past its fields and, as parse_rows does, the blank lines after it. The
 * table parsed, so the fields scan. */
static const char *next_row(const struct vi_table *t, const char *p, size_t *line) {
  const char *end = t->text + t->len, *errpos, *next;
  struct field f;
  for (;;) {
    if (scan_field(p, end, t, &f, &errpos)) return end;
    *line += f.newlines;
    p = f.next;
    if (f.end != END_DELIM) break;
  }
  if (f.end == END_LINE) ++*line;
  while (t->ncols > 1 && p < end && blank_line(p, end, t->delim, &next)) {
    p = next;
    ++*line;
  }
  return p;
}

/* Start and line of data row r (< nrows). */
static const char *row_at(const struct vi_table *t, size_t r, size_t *line) {
  const char *p = t->text + t->row_off[r / CHK];
  *line = t->row_line[r / CHK];
  for (size_t k = r / CHK * CHK; k < r; k++) p = next_row(t, p, line);
  return p;
}

/* Codes the cells of every column holding text, by first appearance. */
static int code_levels(struct vi_table *t, struct vi_diags *d) {
  size_t ntext = 0;
  for (size_t c = 0; c < t->ncols; c++) ntext += t->cols[c].n_text > 0;
  if (!ntext) return VI_OK;
  struct strset *sets = calloc(t->ncols, sizeof *sets);
  size_t scap = 256;
  char *scratch = malloc(scap);
  int status = sets && scratch ? VI_OK : VI_ERR_NOMEM;
  for (size_t c = 0; c < t->ncols && status == VI_OK; c++)
    if (t->cols[c].n_text && !(t->cols[c].codes = calloc(t->nrows ? t->nrows : 1, sizeof(int))))
      status = VI_ERR_NOMEM;
  const char *end = t->text + t->len, *errpos;
  struct field f;
  t->released = 0;
  const char *next = t->nrows ? t->text + t->row_off[0] : NULL;
  size_t line = 0;
  for (size_t r = 0; r < t->nrows && status == VI_OK; r++) {
    if (r % CHK == 0) {
      next = t->text + t->row_off[r / CHK];
      release_upto(t, t->row_off[r / CHK]);
    }
    const char *p = next;
    next = r + 1 < t->nrows ? next_row(t, p, &line) : NULL;
    for (size_t c = 0; c < t->ncols; c++) {
      scan_field(p, end, t, &f, &errpos);
      p = f.next;
      struct vi_table_col *col = &t->cols[c];
      if (!col->n_text) continue;
      double x;
      if (classify(&f, t->delim, &x) == CELL_MISSING) continue;
      size_t n = field_text(&f, scratch, scap);
      if (n >= scap) {
        while (scap <= n) scap *= 2;
        char *ns = realloc(scratch, scap);
        if (!ns) {
          status = VI_ERR_NOMEM;
          break;
        }
        scratch = ns;
        field_text(&f, scratch, scap);
      }
      int added;
      size_t k = strset_intern(&sets[c], &t->arena, scratch, n, &added);
      if (k == (size_t)-1 || k >= INT_MAX) {
        status = VI_ERR_NOMEM;
        break;
      }
      col->codes[r] = (int)k + 1;
    }
  }
  for (size_t c = 0; sets && c < t->ncols; c++) {
    if (status == VI_OK && t->cols[c].n_text) {
      t->cols[c].levels = sets[c].strs;
      t->cols[c].nlevels = sets[c].n;
      sets[c].strs = NULL;
    }
    strset_free(&sets[c]);
  }
  free(sets);
  free(scratch);
  if (status) vi_error(d, (struct vi_srcloc){t->file, 0, 0}, "out of memory coding text levels");
  return status;
}

/* Parses t->text (t->len bytes, NUL-terminated, owned by t). */
static int parse_table(struct vi_table *t, struct vi_diags *d) {
  struct csv_parser ps = {t, d, t->text, t->text + t->len, t->text, 1};
  size_t bom = t->len >= 3 && memcmp(t->text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  ps.row_start = t->text + bom;
  /* Trailing blank lines and spaces are ignored. */
  const char *content_end = ps.end;
  while (content_end > ps.row_start && (is_space(content_end[-1]) || is_break(content_end[-1])))
    content_end--;
  if (content_end == ps.row_start) {
    perr(&ps, ps.row_start, "empty file (expected a header row of column names)");
    return VI_ERR_DATA;
  }
  /* Leading blank lines are skipped. */
  const char *next;
  while (blank_line(ps.row_start, ps.end, 0, &next)) {
    ps.row_start = next;
    ps.row_line++;
  }
  t->hdr_off = (size_t)(ps.row_start - t->text);
  t->hdr_line = ps.row_line;
  int status = parse_header(&ps);
  if (status) return status;
  /* The rows the first 64 KiB after the header suggest, a little more. */
  size_t rest = content_end > ps.row_start ? (size_t)(content_end - ps.row_start) : 0;
  size_t win = rest < 65536 ? rest : 65536, nl = 1;
  for (const char *q = ps.row_start; (q = memchr(q, '\n', (size_t)(ps.row_start + win - q))) != NULL; q++) nl++;
  double est = (double)nl * ((double)rest / (double)(win ? win : 1)) * 1.02 + 16;
  size_t cap = est < (double)VI_CSV_MAX_ROWS ? (size_t)est : (size_t)VI_CSV_MAX_ROWS + 1;
  if (cap > SIZE_MAX / sizeof(double)) {
    vi_error(d, (struct vi_srcloc){t->file, 0, 0}, "table too large for memory");
    return VI_ERR_LIMIT;
  }
  if ((status = grow_rows(&ps, cap))) return status;
  status = parse_rows(&ps, content_end);
  if (status) return status;
  for (size_t c = 0; c < t->ncols; c++) {
    struct vi_table_col *col = &t->cols[c];
    if (!col->n_missing) col->first_missing = t->nrows;
    if (!col->n_text) col->first_text = t->nrows;
    if (!col->n_nonint) col->first_nonint = t->nrows;
  }
  return code_levels(t, d);
}

static int table_new(const char *name, struct vi_table **out, struct vi_diags *d) {
  *out = NULL;
  struct vi_table *t = calloc(1, sizeof *t);
  size_t n = strlen(name);
  char *file = malloc(n + 1);
  if (!t || !file) {
    free(t);
    free(file);
    vi_error(d, (struct vi_srcloc){name, 0, 0}, "out of memory");
    return VI_ERR_NOMEM;
  }
  memcpy(file, name, n + 1);
  t->file = file;
  vi_arena_init(&t->arena);
  *out = t;
  return VI_OK;
}

static int finish(struct vi_table *t, struct vi_table **out, struct vi_diags *d) {
  int status = parse_table(t, d);
  if (status) {
    vi_table_free(t);
    return status;
  }
  *out = t;
  return VI_OK;
}

int vi_csv_parse(const char *name, const char *buf, size_t len, struct vi_table **out,
                 struct vi_diags *d) {
  struct vi_table *t;
  int status = table_new(name, &t, d);
  if (status) return status;
  t->text = malloc(len + 1);
  if (!t->text) {
    vi_error(d, (struct vi_srcloc){name, 0, 0}, "out of memory (%zu bytes)", len);
    vi_table_free(t);
    return VI_ERR_NOMEM;
  }
  if (len) memcpy(t->text, buf, len);
  t->text[len] = 0;
  t->len = len;
  return finish(t, out, d);
}

/* Maps the regular file at path read-only with a NUL after its last byte
 * (the mapping is one byte longer than the file: the rest of the last page
 * reads as zeros, and a whole page after a file that fills its last page is
 * anonymous). 0 on success; -1 when it is not a regular non-empty file or
 * cannot be mapped (the caller then reads it). */
static int map_file(const char *path, char **text, size_t *len, size_t *maplen) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (uintmax_t)st.st_size >= SIZE_MAX / 2) {
    close(fd);
    return -1;
  }
  size_t n = (size_t)st.st_size, page = (size_t)sysconf(_SC_PAGESIZE);
  size_t ml = (n + 1 + page - 1) / page * page;
  char *base = mmap(NULL, ml, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    close(fd);
    return -1;
  }
  if (mmap(base, n, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
    munmap(base, ml);
    close(fd);
    return -1;
  }
  close(fd);
  madvise(base, n, MADV_SEQUENTIAL);
  *text = base;
  *len = n;
  *maplen = ml;
  return 0;
}

int vi_csv_read(const char *path, struct vi_table **out, struct vi_diags *d) {
  *out = NULL;
  char *text;
  size_t len, maplen = 0;
  if (map_file(path, &text, &len, &maplen) == 0) {
    struct vi_table *t;
    int status = table_new(path, &t, d);
    if (status) {
      munmap(text, maplen);
      return status;
    }
    t->text = text;
    t->len = len;
    t->maplen = maplen;
    return finish(t, out, d);
  }
  int status = vi_data_read_file(path, &text, &len, d);
  if (status) return status;
  struct vi_table *t;
  status = table_new(path, &t, d);
  if (status) {
    free(text);
    return status;
  }
  t->text = text;
  t->len = len;
  return finish(t, out, d);
}

void vi_table_free(struct vi_table *t) {
  if (!t) return;
  for (size_t c = 0; t->cols && c < t->ncols; c++) {
    if (!t->cmap) free(t->cols[c].num);
    free(t->cols[c].codes);
    free(t->cols[c].levels);
  }
  free(t->cols);
  free(t->row_off);
  free(t->row_line);
  if (t->maplen)
    munmap(t->text, t->maplen);
  else
    free(t->text);
  if (t->cmap) munmap(t->cmap, t->cmaplen);
  vi_table_free(t->shadow);
  free(t->file);
  vi_arena_free(&t->arena);
  free(t);
}

int vi_table_from_cache(const char *file, size_t nrows, size_t ncols, const char *const *names, double *const *num,
                        const size_t *n_nonint, const size_t *first_nonint, void *map, size_t maplen,
                        struct vi_table **out, struct vi_diags *d) {
  struct vi_table *t;
  int status = table_new(file, &t, d);
  if (status) return status;
  t->cols = calloc(ncols ? ncols : 1, sizeof *t->cols);
  if (!t->cols) {
    vi_table_free(t);
    return VI_ERR_NOMEM;
  }
  t->nrows = nrows;
  t->ncols = ncols;
  for (size_t c = 0; c < ncols; c++) {
    size_t n = strlen(names[c]) + 1;
    char *nm = vi_arena_alloc(&t->arena, n);
    if (!nm) {
      vi_table_free(t);
      return VI_ERR_NOMEM;
    }
    memcpy(nm, names[c], n);
    struct vi_table_col *col = &t->cols[c];
    col->name = nm;
    col->num = num[c];
    col->first_missing = col->first_text = nrows;
    col->n_nonint = n_nonint[c];
    col->first_nonint = n_nonint[c] ? first_nonint[c] : nrows;
  }
  t->cmap = map;
  t->cmaplen = maplen;
  *out = t;
  return VI_OK;
}

/* A cached table's CSV, parsed when a cell's place or text is wanted. */
static const struct vi_table *text_of(const struct vi_table *t) {
  if (!t->cmap) return t;
  struct vi_table *m = (struct vi_table *)(uintptr_t)t;
  if (!m->shadow) {
    struct vi_diags d;
    vi_diags_init(&d);
    if (vi_csv_read(t->file, &m->shadow, &d)) m->shadow = NULL;
    vi_diags_free(&d);
  }
  return m->shadow;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */

const char *vi_table_file(const struct vi_table *t) { return t->file; }
size_t vi_table_nrows(const struct vi_table *t) { return t->nrows; }
size_t vi_table_ncols(const struct vi_table *t) { return t->ncols; }

const char *vi_table_colname(const struct vi_table *t, size_t col) {
  return col < t->ncols ? t->cols[col].name : NULL;
}

long vi_table_find(const struct vi_table *t, const char *name) {
  for (size_t c = 0; c < t->ncols; c++)
    if (strcmp(t->cols[c].name, name) == 0) return (long)c;
  return -1;
}

void vi_table_column(const struct vi_table *t, size_t col, struct vi_column *c) {
  memset(c, 0, sizeof *c);
  if (col >= t->ncols) return;
  const struct vi_table_col *tc = &t->cols[col];
  c->name = tc->name;
  c->n = t->nrows;
  c->num = tc->num;
  c->n_missing = tc->n_missing;
  c->first_missing = tc->first_missing;
  c->n_text = tc->n_text;
  c->first_text = tc->first_text;
  c->n_nonint = tc->n_nonint;
  c->first_nonint = tc->first_nonint;
  c->codes = tc->codes;
  c->levels = (const char *const *)tc->levels;
  c->nlevels = tc->nlevels;
}

/* Scans row (or the header when row == (size_t)-1) up to field col; 0 on
 * success with *f, *row_start and *line set. */
static int locate(const struct vi_table *t, size_t row, size_t col, struct field *f,
                  const char **row_start, size_t *line) {
  if (col >= t->ncols || (row != (size_t)-1 && row >= t->nrows)) return -1;
  const char *p;
  if (row == (size_t)-1) {
    p = t->text + t->hdr_off;
    *line = t->hdr_line;
  } else {
    p = row_at(t, row, line);
  }
  *row_start = p;
  const char *errpos, *end = t->text + t->len;
  for (size_t c = 0;; c++) {
    if (scan_field(p, end, t, f, &errpos)) return -1;
    if (c == col) return 0;
    if (f->end != END_DELIM) return -1;
    p = f->next;
  }
}

struct vi_srcloc vi_table_loc(const struct vi_table *t, size_t row, size_t col) {
  if (t->cmap) {
    const struct vi_table *s = text_of(t);
    return s ? vi_table_loc(s, row, col) : (struct vi_srcloc){t->file, 0, 0};
  }
  struct field f;
  const char *rs;
  size_t line;
  if (locate(t, row, col, &f, &rs, &line)) return (struct vi_srcloc){t->file, 0, 0};
  return loc_in_row(t->file, rs, line, f.start);
}

const char *vi_table_cell(const struct vi_table *t, size_t row, size_t col, char *buf,
                          size_t bufsize) {
  struct field f;
  const char *rs;
  size_t line;
  if (!bufsize) return buf;
  buf[0] = 0;
  if (t->cmap) {
    const struct vi_table *s = text_of(t);
    return s ? vi_table_cell(s, row, col, buf, bufsize) : buf;
  }
  if (locate(t, row, col, &f, &rs, &line)) return buf;
  size_t n = field_text(&f, buf, bufsize);
  if (n >= bufsize && bufsize >= 4) memcpy(buf + bufsize - 4, "...", 4);
  return buf;
}
