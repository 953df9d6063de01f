/* json.c: the CmdStan JSON data reader (see include/vi/data.h).
 *
 * jansson parses the text; this file checks that it is CmdStan data (a
 * top-level object of numbers, special-value strings and rectangular nested
 * arrays) and flattens every variable row-major into doubles. jansson keeps no
 * positions for values, so a small scan of the raw text finds where each
 * top-level key is written, for messages about a variable. CmdStan also
 * accepts the bare tokens NaN, Infinity and -Infinity (JSON5-style, as Python
 * writes them); they are quoted before jansson sees the text, and error
 * positions are mapped back to the original text. */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/arena.h"
#include "vi/data.h"

enum { JSON_MAXDIMS = 8 };

struct json_var {
  const char *name;
  int ndims;
  size_t dims[JSON_MAXDIMS];
  size_t n;
  double *x;
  int all_int;
  int line, col; /* of the key; 0 when unknown */
};

struct vi_json {
  char *file;
  struct json_var *vars;
  size_t nvars;
  struct vi_arena arena; /* names and values */
};

/* The text as jansson sees it, and how to map positions back. */
struct json_text {
  const char *orig;   /* original text (BOM skipped) */
  size_t orig_len;
  char *text;         /* with bare NaN/Infinity quoted; == orig when none */
  size_t len;
  size_t *ins;        /* original offsets before which a '"' was inserted (sorted) */
  size_t nins;
};

/* A key of the top-level object, as written. */
struct json_key {
  const char *s; /* raw content between the quotes */
  size_t n;
  int escaped;   /* holds a backslash: not compared */
  size_t off;    /* offset of the opening quote in orig */
};

/* ------------------------------------------------------------------------ */
/* Raw-text helpers                                                         */

static int lower_eq(const char *s, size_t n, const char *word) {
  size_t i = 0;
  for (; i < n && word[i]; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != word[i]) return 0;
  }
  return i == n && word[i] == 0;
}

static struct vi_srcloc loc_at(const char *file, const char *text, size_t len, size_t off) {
  if (off > len) off = len;
  size_t line = 1, ls = 0;
  for (size_t i = 0; i < off; i++)
    if (text[i] == '\n') {
      line++;
      ls = i + 1;
    }
  size_t col = off - ls + 1;
  return (struct vi_srcloc){file, line > INT_MAX ? INT_MAX : (int)line,
                            col > INT_MAX ? INT_MAX : (int)col};
}

static int ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.';
}

/* Length of a bare NaN / Infinity / -Infinity / +Infinity token at p, or 0. */
static size_t bare_special(const char *p, const char *end) {
  static const char *const words[] = {"NaN", "Infinity", "-Infinity", "+Infinity"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0 && (p + n == end || !ident_char(p[n])))
      return n;
  }
  return 0;
}

/* Scans the text once: collects the top-level keys and the bare special
 * tokens outside strings. Tolerates malformed text (jansson reports it). */
static int scan_text(struct json_text *jt, struct json_key **keys, size_t *nkeys) {
  const char *p = jt->orig, *end = jt->orig + jt->orig_len;
  size_t cap = 0, n = 0, ncap = 0, nspec = 0;
  size_t *spec = NULL; /* offsets of special tokens */
  struct json_key *k = NULL;
  int depth = 0;
  while (p < end) {
    char c = *p;
    if (c == '"') {
      const char *s = ++p;
      int esc = 0;
      while (p < end && *p != '"') {
        if (*p == '\\') {
          esc = 1;
          p++;
        }
        p++;
      }
      const char *e = p < end ? p : end;
      if (p < end) p++;
      const char *q = p;
      while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
      if (depth == 1 && q < end && *q == ':') {
        if (n == cap) {
          cap = cap ? cap * 2 : 16;
          struct json_key *nk = realloc(k, cap * sizeof *nk);
          if (!nk) goto nomem;
          k = nk;
        }
        k[n++] = (struct json_key){s, (size_t)(e - s), esc, (size_t)(s - 1 - jt->orig)};
      }
      continue;
    }
    if (c == '{' || c == '[') depth++;
    else if (c == '}' || c == ']') depth--;
    else if (c == 'N' || c == 'I' || c == '-' || c == '+') {
      size_t m = bare_special(p, end);
      if (m && (p == jt->orig || !ident_char(p[-1]))) {
        if (nspec == ncap) {
          ncap = ncap ? ncap * 2 : 8;
          size_t *ns = realloc(spec, ncap * sizeof *ns);
          if (!ns) goto nomem;
          spec = ns;
        }
        spec[nspec++] = (size_t)(p - jt->orig);
        p += m;
        continue;
      }
    }
    p++;
  }
  *keys = k;
  *nkeys = n;
  jt->text = (char *)jt->orig;
  jt->len = jt->orig_len;
  if (nspec) {
    /* Quote each special token: two inserted bytes per token. */
    jt->ins = malloc(2 * nspec * sizeof *jt->ins);
    jt->text = malloc(jt->orig_len + 2 * nspec + 1);
    if (!jt->ins || !jt->text) {
      jt->text = (char *)jt->orig;
      goto nomem;
    }
    size_t o = 0, w = 0;
    for (size_t i = 0; i < nspec; i++) {
      size_t at = spec[i], m = bare_special(jt->orig + at, end);
      memcpy(jt->text + w, jt->orig + o, at - o);
      w += at - o;
      jt->text[w++] = '"';
      jt->ins[jt->nins++] = at;
      memcpy(jt->text + w, jt->orig + at, m);
      w += m;
      jt->text[w++] = '"';
      jt->ins[jt->nins++] = at + m;
      o = at + m;
    }
    memcpy(jt->text + w, jt->orig + o, jt->orig_len - o);
    w += jt->orig_len - o;
    jt->text[w] = 0;
    jt->len = w;
  }
  free(spec);
  return VI_OK;
nomem:
  free(spec);
  free(k);
  *keys = NULL;
  *nkeys = 0;
  return VI_ERR_NOMEM;
}

/* Maps an offset in jt->text back to the original text. */
static size_t orig_offset(const struct json_text *jt, size_t pos) {
  size_t shift = 0;
  for (size_t i = 0; i < jt->nins; i++)
    if (jt->ins[i] + i < pos) shift++;
  return pos - shift;
}

/* ------------------------------------------------------------------------ */
/* Variables                                                                */

struct conv {
  struct vi_json *j;
  struct vi_diags *d;
  struct vi_srcloc loc; /* of the key */
  const char *name;
  struct json_var *v;
  size_t k;         /* next value to write */
  size_t idx[JSON_MAXDIMS]; /* 1-based path to the current array */
};

/* Writes "[i,j,...]" for the first depth indices of c->idx into buf. */
static const char *path_str(const struct conv *c, int depth, char *buf, size_t cap) {
  size_t w = 0;
  buf[0] = 0;
  for (int i = 0; i < depth && w < cap; i++) {
    int m = snprintf(buf + w, cap - w, "%s%zu", i ? "," : "[", c->idx[i]);
    if (m < 0) break;
    w += (size_t)m;
  }
  if (w + 2 < cap) {
    buf[w] = ']';
    buf[w + 1] = 0;
  }
  return buf;
}

static const char *type_name(const json_t *x) {
  switch (json_typeof(x)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  case JSON_NULL: return "null";
  default: return "a number";
  }
}

/* The value of a leaf, or -1 with an error reported. */
static int leaf(struct conv *c, const json_t *x, int depth, double *out, int *is_int) {
  char where[128], what[96];
  *is_int = 0;
  if (json_is_integer(x)) {
    *out = (double)json_integer_value(x);
    *is_int = 1;
    return 0;
  }
  if (json_is_real(x)) {
    *out = json_real_value(x);
    *is_int = *out == floor(*out) && isfinite(*out);
    return 0;
  }
  if (json_is_string(x)) {
    const char *s = json_string_value(x);
    size_t n = json_string_length(x);
    const char *t = s;
    int neg = 0;
    if (n && (*t == '+' || *t == '-')) neg = *t++ == '-';
    size_t m = n - (size_t)(t - s);
    if (lower_eq(t, m, "inf") || lower_eq(t, m, "infinity")) {
      *out = neg ? -HUGE_VAL : HUGE_VAL;
      return 0;
    }
    if (t == s && lower_eq(t, m, "nan")) {
      *out = NAN;
      return 0;
    }
    snprintf(what, sizeof what, "found the string \"%.40s%s\"", s, n > 40 ? "..." : "");
  } else {
    snprintf(what, sizeof what, "found %s", type_name(x));
  }
  if (depth == 0)
    vi_error(c->d, c->loc, "variable '%s' is not a number (%s)", c->name, what);
  else
    vi_error(c->d, c->loc, "variable '%s': element %s is not a number (%s)", c->name,
             path_str(c, depth, where, sizeof where), what);
  return -1;
}

/* "[1,1,...]": the path of the first element at this depth. */
static const char *first_path(const struct conv *c, int depth, char *buf, size_t cap) {
  struct conv ones = *c;
  for (int i = 0; i < depth; i++) ones.idx[i] = 1;
  return path_str(&ones, depth, buf, cap);
}

/* Walks x (an array at nesting depth, or a leaf at depth ndims), checking the
 * shape against v->dims and writing the values in order. */
static int walk(struct conv *c, const json_t *x, int depth) {
  struct json_var *v = c->v;
  char a[128], b[128];
  if (depth == v->ndims) {
    if (json_is_array(x)) {
      vi_error(c->d, c->loc,
               "variable '%s': ragged array: element %s is an array, but element %s is a number",
               c->name, path_str(c, depth, a, sizeof a), first_path(c, depth, b, sizeof b));
      return -1;
    }
    int is_int;
    double val;
    if (leaf(c, x, depth, &val, &is_int)) return -1;
    v->x[c->k++] = val;
    v->all_int &= is_int;
    return 0;
  }
  if (!json_is_array(x)) {
    if (json_is_number(x) || json_is_string(x))
      vi_error(c->d, c->loc,
               "variable '%s': ragged array: element %s is a number, but element %s is an array",
               c->name, path_str(c, depth, a, sizeof a), first_path(c, depth, b, sizeof b));
    else
      vi_error(c->d, c->loc, "variable '%s': element %s is not a number (found %s)", c->name,
               path_str(c, depth, a, sizeof a), type_name(x));
    return -1;
  }
  size_t n = json_array_size(x);
  if (n != v->dims[depth]) {
    /* depth >= 1 here: dims[0] is the size of the top array itself. */
    if (depth == 1)
      vi_error(c->d, c->loc, "variable '%s': ragged array: row %zu has %zu elements, row 1 has %zu",
               c->name, c->idx[0], n, v->dims[depth]);
    else
      vi_error(c->d, c->loc,
               "variable '%s': ragged array: element %s has %zu elements, element %s has %zu",
               c->name, path_str(c, depth, a, sizeof a), n, first_path(c, depth, b, sizeof b),
               v->dims[depth]);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    c->idx[depth] = i + 1;
    if (walk(c, json_array_get(x, i), depth + 1)) return -1;
  }
  return 0;
}

static int convert_var(struct vi_json *j, struct vi_diags *d, const char *name, const json_t *x,
                       struct json_var *v) {
  struct conv c = {j, d, {j->file, v->line, v->col}, name, v, 0, {0}};
  /* Shape from the first element at each level. */
  const json_t *p = x;
  v->ndims = 0;
  while (json_is_array(p)) {
    if (v->ndims == JSON_MAXDIMS) {
      vi_error(d, c.loc, "variable '%s': arrays nested deeper than %d levels", name, JSON_MAXDIMS);
      return VI_ERR_DATA;
    }
    v->dims[v->ndims++] = json_array_size(p);
    if (json_array_size(p) == 0) break;
    p = json_array_get(p, 0);
  }
  size_t n = 1;
  for (int i = 0; i < v->ndims; i++) {
    if (v->dims[i] && n > SIZE_MAX / sizeof(double) / v->dims[i]) {
      vi_error(d, c.loc, "variable '%s' is too large", name);
      return VI_ERR_LIMIT;
    }
    n *= v->dims[i];
  }
  v->n = n;
  v->all_int = 1;
  v->x = vi_arena_array(&j->arena, n ? n : 1, sizeof(double));
  if (!v->x) {
    vi_error(d, c.loc, "out of memory for variable '%s'", name);
    return VI_ERR_NOMEM;
  }
  if (n == 0) {
    /* Still check the shape: [[], [1]] is ragged. */
    if (v->ndims >= 1 && json_is_array(x)) {
      for (size_t i = 0; i < json_array_size(x); i++) {
        c.idx[0] = i + 1;
        if (v->ndims > 1 && walk(&c, json_array_get(x, i), 1)) return VI_ERR_DATA;
      }
    }
    return VI_OK;
  }
  return walk(&c, x, 0) ? VI_ERR_DATA : VI_OK;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

static int json_parse_text(const char *name, const char *buf, size_t len, struct vi_json **out,
                           struct vi_diags *d) {
  *out = NULL;
  struct vi_srcloc floc = {name, 0, 0};
  struct json_text jt = {0};
  size_t bom = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  jt.orig = buf + bom;
  jt.orig_len = len - bom;
  struct json_key *keys = NULL;
  size_t nkeys = 0;
  struct vi_json *j = calloc(1, sizeof *j);
  int status = j ? scan_text(&jt, &keys, &nkeys) : VI_ERR_NOMEM;
  if (j) vi_arena_init(&j->arena);
  if (!status && !(j->file = vi_arena_strdup(&j->arena, name))) status = VI_ERR_NOMEM;
  if (status) {
    vi_error(d, floc, "out of memory");
    goto fail;
  }
  json_error_t err;
  json_t *root = json_loadb(jt.text, jt.len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
  if (!root) {
    /* Point at the start of the offending token when jansson names it. */
    size_t pos = err.position > 0 ? (size_t)err.position : 0;
    const char *near = strstr(err.text, "near '");
    if (near) {
      size_t tl = strlen(near + 6);
      if (tl > 0 && near[6 + tl - 1] == '\'') tl--;
      if (tl > 0 && tl <= pos && memcmp(jt.text + pos - tl, near + 6, tl) == 0) pos -= tl;
      else if (pos > 0) pos--;
    } else if (pos > 0 && pos >= jt.len) {
      pos = jt.len; /* end of file: point just past the last byte */
    } else if (pos > 0) {
      pos--;
    }
    size_t op = orig_offset(&jt, pos);
    vi_error(d, loc_at(name, jt.orig, jt.orig_len, op), "%s", err.text);
    status = VI_ERR_DATA;
    goto fail;
  }
  if (!json_is_object(root)) {
    size_t o = 0;
    while (o < jt.orig_len && strchr(" \t\r\n", jt.orig[o])) o++;
    vi_error(d, loc_at(name, jt.orig, jt.orig_len, o),
             "top level is %s, not an object (CmdStan JSON data is an object "
             "{\"name\": value, ...})",
             type_name(root));
    json_decref(root);
    status = VI_ERR_DATA;
    goto fail;
  }
  size_t nv = json_object_size(root);
  j->vars = vi_arena_array(&j->arena, nv ? nv : 1, sizeof *j->vars);
  if (!j->vars) {
    vi_error(d, floc, "out of memory");
    json_decref(root);
    status = VI_ERR_NOMEM;
    goto fail;
  }
  const char *key;
  json_t *val;
  int nerr = 0;
  json_object_foreach(root, key, val) {
    struct json_var *v = &j->vars[j->nvars++];
    v->name = vi_arena_strdup(&j->arena, key);
    if (!v->name) {
      status = VI_ERR_NOMEM;
      vi_error(d, floc, "out of memory");
      break;
    }
    size_t kl = strlen(key);
    for (size_t i = 0; i < nkeys; i++)
      if (!keys[i].escaped && keys[i].n == kl && memcmp(keys[i].s, key, kl) == 0) {
        struct vi_srcloc l = loc_at(name, jt.orig, jt.orig_len, keys[i].off);
        v->line = l.line;
        v->col = l.col;
        break;
      }
    int st = convert_var(j, d, v->name, val, v);
    if (st) {
      status = st;
      if (st != VI_ERR_DATA || ++nerr >= 10) break;
    }
  }
  json_decref(root);
  if (status) goto fail;
  free(keys);
  if (jt.text != jt.orig) free(jt.text);
  free(jt.ins);
  *out = j;
  return VI_OK;
fail:
  free(keys);
  if (jt.text != jt.orig) free(jt.text);
  free(jt.ins);
  vi_json_free(j);
  return status;
}

int vi_json_parse(const char *name, const char *buf, size_t len, struct vi_json **out,
                  struct vi_diags *d) {
  return json_parse_text(name, buf, len, out, d);
}

int vi_json_read(const char *path, struct vi_json **out, struct vi_diags *d) {
  *out = NULL;
  char *text;
  size_t len;
  int status = vi_data_read_file(path, &text, &len, d);
  if (status) return status;
  status = json_parse_text(path, text, len, out, d);
  free(text);
  return status;
}

void vi_json_free(struct vi_json *j) {
  if (!j) return;
  vi_arena_free(&j->arena);
  free(j);
}

const char *vi_json_file(const struct vi_json *j) { return j->file; }
size_t vi_json_nvars(const struct vi_json *j) { return j->nvars; }
const char *vi_json_name(const struct vi_json *j, size_t i) {
  return i < j->nvars ? j->vars[i].name : NULL;
}

static const struct json_var *find(const struct vi_json *j, const char *name) {
  for (size_t i = 0; i < j->nvars; i++)
    if (strcmp(j->vars[i].name, name) == 0) return &j->vars[i];
  return NULL;
}

int vi_json_find(const struct vi_json *j, const char *name, struct vi_jvar *v) {
  const struct json_var *s = find(j, name);
  if (!s) return -1;
  memset(v, 0, sizeof *v);
  v->name = s->name;
  v->ndims = s->ndims;
  memcpy(v->dims, s->dims, sizeof v->dims);
  v->n = s->n;
  v->x = s->x;
  v->all_int = s->all_int;
  return 0;
}

struct vi_srcloc vi_json_loc(const struct vi_json *j, const char *name) {
  const struct json_var *s = find(j, name);
  return (struct vi_srcloc){j->file, s ? s->line : 0, s ? s->col : 0};
}
