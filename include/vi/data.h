/* data.h: readers for data files (CSV tables and CmdStan JSON).
 *
 * The binder (bind.c) matches the model's `data` declarations to what these
 * readers return; the readers know nothing of the model. They only check the
 * structure of a file (quoting, ragged rows, duplicate names, JSON syntax) and
 * classify every value, so that the binder can report the exact cell of a bad
 * value: file:line:col come from vi_table_loc.
 *
 * CSV dialect (LANGUAGE.md section 6):
 *   - a header row of column names, then one row per observation;
 *   - delimiter ',' '\t' or ';': whichever occurs most often in the header
 *     line outside quotes (ties: comma, tab, semicolon); comma when none;
 *   - RFC 4180 quoting ("a ""b"", c"), with embedded delimiters and newlines;
 *     spaces around a quoted field are allowed; a quote inside an unquoted
 *     field is an ordinary character;
 *   - line ends LF, CRLF or CR; a UTF-8 BOM; optional final newline; blank
 *     lines (only spaces/tabs) are skipped when the table has more than one
 *     column, and trailing blank lines are always ignored (with one column an
 *     interior blank line is a missing value);
 *   - cells are trimmed of surrounding spaces (and tabs unless tab is the
 *     delimiter); column names likewise;
 *   - missing: an empty cell, NA, NaN (any case); numbers: decimal with
 *     optional sign, fraction and exponent, Inf/Infinity (any case, signed);
 *     with ';' as delimiter a decimal comma is accepted too ("1,5" = 1.5);
 *   - limits: at most VI_CSV_MAX_COLS columns and VI_CSV_MAX_ROWS rows; a NUL
 *     byte anywhere is an error (binary file).
 * Errors are reported as "file:line:col: error: ..." (line 1 is the header;
 * columns count bytes from 1, the BOM excluded) and nothing is returned. */
#ifndef VI_DATA_H
#define VI_DATA_H
#include <stddef.h>

#include "vi/diag.h"

enum {
  VI_CSV_MAX_COLS = 100000,
  VI_CSV_MAX_ROWS = 2147483647 /* 2^31 - 1 */
};

/* Reads the whole file at path into a malloc'd, NUL-terminated buffer
 * (*text, *len excludes the NUL; the caller frees *text). On failure reports
 * "path: error: cannot open file: <strerror>" (or "cannot read file") and
 * returns VI_ERR_IO (VI_ERR_NOMEM when out of memory); *text is then NULL. */
int vi_data_read_file(const char *path, char **text, size_t *len, struct vi_diags *d);

struct vi_table; /* one CSV file (a regular file is mapped, not copied: see csv.c) */

/* Reads the CSV file at path into *out (which the caller frees with
 * vi_table_free). Messages name the file as path is written. Returns VI_OK,
 * or VI_ERR_IO (cannot open/read: "path: error: cannot open: strerror"),
 * VI_ERR_DATA (malformed), VI_ERR_LIMIT or VI_ERR_NOMEM; then *out is NULL
 * and the reason is in d. */
int vi_csv_read(const char *path, struct vi_table **out, struct vi_diags *d);
/* Same, from the len bytes at buf (copied; need not be NUL-terminated);
 * name is used in messages and by vi_table_file. For tests and fuzzing. */
int vi_csv_parse(const char *name, const char *buf, size_t len, struct vi_table **out,
                 struct vi_diags *d);
void vi_table_free(struct vi_table *t); /* NULL-safe */

/* The binary column cache (runtime/cache.c): reads the CSV at path through
 * a cache in dir. The cache file is used only when the CSV's size,
 * modification time and a hash of its whole content equal those it was
 * made from; otherwise the CSV is parsed (with vi_csv_read's messages) and
 * the cache rewritten (when every cell is a number: tables with missing or
 * text cells are not cached). A cached table's cell places and texts
 * (vi_table_loc, vi_table_cell) come from the CSV, parsed on demand.
 * *status_out (may be NULL) says what happened: 0 read from the cache, 1
 * parsed and cached, 2 parsed and not cached. */
int vi_csv_read_cached(const char *path, const char *dir, struct vi_table **out, int *status_out,
                       struct vi_diags *d);
/* For the cache: a table over ncols columns of nrows numbers that live in
 * a mapping (map, maplen: unmapped by vi_table_free), every cell numeric
 * and present; n_nonint / first_nonint per column. */
int vi_table_from_cache(const char *file, size_t nrows, size_t ncols, const char *const *names, double *const *num,
                        const size_t *n_nonint, const size_t *first_nonint, void *map, size_t maplen,
                        struct vi_table **out, struct vi_diags *d);
/* The name the table was read under (as given to vi_csv_read/_parse). */
const char *vi_table_file(const struct vi_table *t);
size_t vi_table_nrows(const struct vi_table *t); /* data rows, header excluded */
size_t vi_table_ncols(const struct vi_table *t);
/* Index of the column whose header is exactly name, or -1. */
long vi_table_find(const struct vi_table *t, const char *name);
/* Name of column col (< ncols); borrowed from t. */
const char *vi_table_colname(const struct vi_table *t, size_t col);

struct vi_column {
  const char *name;
  size_t n;                        /* rows */
  const double *num;               /* value per row; NaN where missing or not numeric */
  size_t n_missing, first_missing; /* empty / NA / NaN cells; row index (0-based) of the first */
  size_t n_text, first_text;       /* non-missing cells that are not numbers */
  size_t n_nonint, first_nonint;   /* numeric cells that are not integers (Inf included) */
  const int *codes;          /* when n_text > 0: every non-missing cell coded 1..L by first
                                appearance (0 for missing); NULL when n_text == 0 */
  const char *const *levels; /* the L level strings (cell text, trimmed), in code order */
  size_t nlevels;
};
/* Fills *c with a view of column col (< ncols). Every pointer is borrowed from
 * t and lives as long as t. A first_* field is meaningful only when its count
 * is non-zero (it is n otherwise). */
void vi_table_column(const struct vi_table *t, size_t col, struct vi_column *c);
/* file:line:col of a cell (row 0-based, header is line 1; correct across
 * quoted newlines and CRLF). The column is the cell's first byte (its opening
 * quote when quoted). row == (size_t)-1 means the header. Out of range: a
 * location with the file only (line 0). file is borrowed from t. */
struct vi_srcloc vi_table_loc(const struct vi_table *t, size_t row, size_t col);
/* The text of a cell (unquoted, "" unescaped, trimmed) copied into buf and
 * NUL-terminated; when it does not fit it is cut and ends with "...".
 * row == (size_t)-1 means the header. Returns buf ("" when out of range). */
const char *vi_table_cell(const struct vi_table *t, size_t row, size_t col, char *buf,
                          size_t bufsize);

struct vi_json; /* a CmdStan JSON data file */

/* Reads a CmdStan JSON data file: a top-level object whose values are
 * numbers, rectangular nested arrays of numbers (possibly empty), or the
 * strings "inf", "+inf", "-inf", "Infinity", "-Infinity", "NaN" (any case).
 * Every variable is checked when the file is read. Errors:
 *   data.json:3:5: error: <jansson's message>           (syntax)
 *   data.json:1:1: error: top level is not an object ...
 *   data.json:L:C: error: variable 'X': ragged array: row 2 has 3 elements, row 1 has 4
 *   data.json:L:C: error: variable 'X': element [2] is not a number (found string "a")
 *   data.json:L:C: error: variable 'X': arrays nested deeper than 8 levels
 * where L:C is the position of the variable's key. Returns VI_OK,
 * VI_ERR_IO, VI_ERR_DATA or VI_ERR_NOMEM; *out is NULL on failure. */
int vi_json_read(const char *path, struct vi_json **out, struct vi_diags *d);
/* Same, from len bytes at buf (copied); name is used in messages. */
int vi_json_parse(const char *name, const char *buf, size_t len, struct vi_json **out,
                  struct vi_diags *d);
void vi_json_free(struct vi_json *j); /* NULL-safe */
/* The name the file was read under. */
const char *vi_json_file(const struct vi_json *j);
/* Number of variables and the name of variable i (file order). */
size_t vi_json_nvars(const struct vi_json *j);
const char *vi_json_name(const struct vi_json *j, size_t i);

struct vi_jvar {
  const char *name;
  int ndims;      /* 0 for a scalar */
  size_t dims[8];
  size_t n;       /* product of dims */
  const double *x; /* values, row-major over the JSON nesting (outermost index slowest) */
  int all_int;    /* every value is an integer (written without fraction/exponent or integral) */
};
/* 0 and *v filled if name is present, else -1. Pointers are borrowed from j.
 * An empty array `[]` is ndims 1, dims[0] 0, whatever the declared shape. */
int vi_json_find(const struct vi_json *j, const char *name, struct vi_jvar *v);
/* file:line:col of the key of variable name (line 0 when unknown). */
struct vi_srcloc vi_json_loc(const struct vi_json *j, const char *name);

#endif
