/* diag.c: formatting and collecting diagnostics (see include/vi/diag.h). */
#include "vi/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vi_diags_init(struct vi_diags *d) {
  memset(d, 0, sizeof *d);
  d->max_errors = 20;
}

void vi_diags_free(struct vi_diags *d) {
  if (!d) return;
  free(d->buf);
  d->buf = NULL;
  d->len = d->cap = 0;
}

void vi_diags_clear(struct vi_diags *d) {
  d->len = 0;
  if (d->buf) d->buf[0] = 0;
  d->nerrors = d->nwarnings = 0;
}

void vi_diags_add_source(struct vi_diags *d, const char *file, const char *text) {
  if (d->nsrc == VI_DIAG_MAX_SOURCES) return;
  d->src[d->nsrc].file = file;
  d->src[d->nsrc].text = text;
  d->nsrc++;
}

static void put(struct vi_diags *d, const char *s, size_t n) {
  if (d->len + n + 1 > d->cap) {
    size_t cap = d->cap ? d->cap : 256;
    while (cap < d->len + n + 1) cap *= 2;
    char *b = realloc(d->buf, cap);
    if (!b) return;
    d->buf = b;
    d->cap = cap;
  }
  memcpy(d->buf + d->len, s, n);
  d->len += n;
  d->buf[d->len] = 0;
}

static void vput(struct vi_diags *d, const char *fmt, va_list ap) {
  char small[512];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) {
    va_end(ap2);
    return;
  }
  if ((size_t)n < sizeof small) {
    put(d, small, (size_t)n);
  } else {
    char *big = malloc((size_t)n + 1);
    if (big) {
      vsnprintf(big, (size_t)n + 1, fmt, ap2);
      put(d, big, (size_t)n);
      free(big);
    }
  }
  va_end(ap2);
}

static void putf(struct vi_diags *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vput(d, fmt, ap);
  va_end(ap);
}

static const char *find_source(const struct vi_diags *d, const char *file) {
  if (!file) return NULL;
  for (int i = 0; i < d->nsrc; i++)
    if (d->src[i].file && strcmp(d->src[i].file, file) == 0) return d->src[i].text;
  return NULL;
}

static void emit(struct vi_diags *d, const char *kind, struct vi_srcloc loc, const char *fmt,
                 va_list ap) {
  if (loc.file) {
    if (loc.line > 0 && loc.col > 0)
      putf(d, "%s:%d:%d: ", loc.file, loc.line, loc.col);
    else if (loc.line > 0)
      putf(d, "%s:%d: ", loc.file, loc.line);
    else
      putf(d, "%s: ", loc.file);
  }
  putf(d, "%s: ", kind);
  vput(d, fmt, ap);
  put(d, "\n", 1);
  const char *text = find_source(d, loc.file);
  if (!text || loc.line <= 0) return;
  const char *p = text;
  for (int l = 1; l < loc.line && *p; p++)
    if (*p == '\n') l++;
  const char *e = p;
  while (*e && *e != '\n' && *e != '\r') e++;
  if (e - p > 300) return; /* do not echo absurdly long lines */
  put(d, "    ", 4);
  put(d, p, (size_t)(e - p));
  put(d, "\n    ", 5);
  for (int c = 1; c < loc.col && p + c - 1 < e; c++) put(d, p[c - 1] == '\t' ? "\t" : " ", 1);
  put(d, "^\n", 2);
}

void vi_verror(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, va_list ap) {
  d->nerrors++;
  if (d->nerrors > d->max_errors) {
    if (d->nerrors == d->max_errors + 1) put(d, "too many errors; stopping\n", 26);
    return;
  }
  emit(d, "error", loc, fmt, ap);
}

void vi_error(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vi_verror(d, loc, fmt, ap);
  va_end(ap);
}

void vi_warning(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  d->nwarnings++;
  emit(d, "warning", loc, fmt, ap);
  va_end(ap);
}

void vi_note(struct vi_diags *d, struct vi_srcloc loc, const char *fmt, ...) {
  if (d->nerrors > d->max_errors) return;
  va_list ap;
  va_start(ap, fmt);
  emit(d, "note", loc, fmt, ap);
  va_end(ap);
}

int vi_edit_distance(const char *a, const char *b, int cap) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return cap + 1;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0], best = row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cur = row[j];
      int v = prev + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < v) v = row[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      prev = cur;
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
  }
  return row[lb];
}
