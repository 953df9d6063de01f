/* test_csv.c: the CSV table reader (runtime/csv.c): dialect, values, levels,
 * cell locations, every error message with its line and column, number
 * parsing against strtod, and random inputs that must never crash. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/data.h"

/* Parses text (a C string) as "t.csv"; returns the table or NULL, with the
 * diagnostics text copied into err. */
static struct vi_table *parse_n(const char *text, size_t len, char *err, size_t errcap) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  int st = vi_csv_parse("t.csv", text, len, &t, &d);
  snprintf(err, errcap, "%s", d.buf ? d.buf : "");
  cr_assert((st == VI_OK) == (t != NULL), "status %d and table %p disagree", st, (void *)t);
  cr_assert(st == VI_OK || d.nerrors > 0, "failure without a message");
  vi_diags_free(&d);
  return t;
}

static struct vi_table *parse(const char *text) {
  char err[1024];
  struct vi_table *t = parse_n(text, strlen(text), err, sizeof err);
  cr_assert(t, "unexpected error: %s", err);
  return t;
}

/* The first line of the error message for text, which must fail. */
static void expect_error(const char *text, size_t len, const char *msg) {
  char err[1024];
  struct vi_table *t = parse_n(text, len, err, sizeof err);
  cr_assert_null(t, "expected an error for \"%s\"", text);
  char *nl = strchr(err, '\n');
  if (nl) *nl = 0;
  cr_assert_str_eq(err, msg);
}

static void expect_loc(const struct vi_table *t, size_t row, size_t col, int line, int c) {
  struct vi_srcloc l = vi_table_loc(t, row, col);
  cr_assert_str_eq(l.file, "t.csv");
  cr_assert(l.line == line && l.col == c, "cell (%zu,%zu): got %d:%d, want %d:%d", row, col, l.line,
            l.col, line, c);
}

static void expect_cell(const struct vi_table *t, size_t row, size_t col, const char *text) {
  char buf[128];
  cr_assert_str_eq(vi_table_cell(t, row, col, buf, sizeof buf), text);
}

static double num(const struct vi_table *t, size_t row, size_t col) {
  struct vi_column c;
  vi_table_column(t, col, &c);
  cr_assert_lt(row, c.n);
  return c.num[row];
}

/* ---- dialect -------------------------------------------------------- */

Test(csv, comma_table_has_columns_rows_and_values) {
  struct vi_table *t = parse("a,b,c\n1,2,3\n4,5,6\n");
  cr_assert_eq(vi_table_nrows(t), 2);
  cr_assert_eq(vi_table_ncols(t), 3);
  cr_assert_eq(vi_table_find(t, "b"), 1);
  cr_assert_eq(vi_table_find(t, "d"), -1);
  cr_assert_str_eq(vi_table_colname(t, 2), "c");
  cr_assert_str_eq(vi_table_file(t), "t.csv");
  cr_assert_eq(num(t, 1, 2), 6.0);
  vi_table_free(t);
}

Test(csv, delimiter_is_detected_from_the_header) {
  struct vi_table *t = parse("a\tb\tc\n1\t2,5\t3\n");
  cr_assert_eq(vi_table_ncols(t), 3);
  expect_cell(t, 0, 1, "2,5");
  vi_table_free(t);
  t = parse("a;b\n1.5;2,5\n");
  cr_assert_eq(vi_table_ncols(t), 2);
  cr_assert_eq(num(t, 0, 0), 1.5);
  cr_assert_eq(num(t, 0, 1), 2.5, "a decimal comma is accepted with ';'");
  vi_table_free(t);
  /* Delimiters inside quotes do not count. */
  t = parse("\"x;y;z\",w\n1,2\n");
  cr_assert_eq(vi_table_ncols(t), 2);
  cr_assert_str_eq(vi_table_colname(t, 0), "x;y;z");
  vi_table_free(t);
  /* One column: no delimiter at all. */
  t = parse("y\n1\n2\n");
  cr_assert_eq(vi_table_ncols(t), 1);
  cr_assert_eq(vi_table_nrows(t), 2);
  vi_table_free(t);
}

Test(csv, decimal_comma_is_text_with_comma_delimiter_quoted) {
  struct vi_table *t = parse("a,b\n\"1,5\",2\n");
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n_text, 1);
  vi_table_free(t);
}

Test(csv, quoted_fields_hold_delimiters_quotes_and_newlines) {
  struct vi_table *t = parse("name,v\n\"a, b\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n");
  cr_assert_eq(vi_table_nrows(t), 3);
  expect_cell(t, 0, 0, "a, b");
  expect_cell(t, 1, 0, "say \"hi\"");
  expect_cell(t, 2, 0, "two\nlines");
  cr_assert_eq(num(t, 2, 1), 3.0);
  vi_table_free(t);
}

Test(csv, quoted_numbers_are_numbers_and_spaces_around_quotes_are_allowed) {
  struct vi_table *t = parse("a,b\n\"1.5\" , \" 2 \"\n");
  cr_assert_eq(num(t, 0, 0), 1.5);
  cr_assert_eq(num(t, 0, 1), 2.0);
  vi_table_free(t);
}

Test(csv, crlf_bom_and_missing_final_newline) {
  struct vi_table *t = parse("\xEF\xBB\xBFx;y\r\n1;2\r\n3;4");
  cr_assert_str_eq(vi_table_colname(t, 0), "x", "the BOM is not part of the first name");
  cr_assert_eq(vi_table_nrows(t), 2);
  cr_assert_eq(num(t, 1, 1), 4.0);
  expect_cell(t, 0, 1, "2");
  expect_loc(t, (size_t)-1, 0, 1, 1);
  expect_loc(t, 1, 1, 3, 3);
  vi_table_free(t);
}

Test(csv, old_mac_cr_line_ends) {
  struct vi_table *t = parse("a,b\r1,2\r3,4\r");
  cr_assert_eq(vi_table_nrows(t), 2);
  cr_assert_eq(num(t, 1, 0), 3.0);
  expect_loc(t, 1, 1, 3, 3);
  vi_table_free(t);
}

Test(csv, blank_lines_are_skipped_and_trailing_ones_ignored) {
  struct vi_table *t = parse("\n\na,b\n1,2\n\n  \n3,4\n\n\r\n  \n");
  cr_assert_eq(vi_table_nrows(t), 2);
  expect_loc(t, (size_t)-1, 1, 3, 3);
  expect_loc(t, 1, 0, 7, 1);
  vi_table_free(t);
  /* With one column an interior blank line is a missing value. */
  t = parse("y\n1\n\n3\n\n");
  cr_assert_eq(vi_table_nrows(t), 3);
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n_missing, 1);
  cr_assert_eq(c.first_missing, 1);
  vi_table_free(t);
}

Test(csv, header_only_is_an_empty_table) {
  struct vi_table *t = parse("a,b\n");
  cr_assert_eq(vi_table_nrows(t), 0);
  cr_assert_eq(vi_table_ncols(t), 2);
  struct vi_column c;
  vi_table_column(t, 1, &c);
  cr_assert_eq(c.n, 0);
  cr_assert_eq(c.n_missing + c.n_text + c.n_nonint, 0);
  vi_table_free(t);
}

Test(csv, names_and_cells_are_trimmed) {
  struct vi_table *t = parse(" a , b \n 1 , x y \n");
  cr_assert_eq(vi_table_find(t, "a"), 0);
  cr_assert_eq(vi_table_find(t, "b"), 1);
  expect_cell(t, 0, 1, "x y");
  cr_assert_eq(num(t, 0, 0), 1.0);
  vi_table_free(t);
}

/* ---- values --------------------------------------------------------- */

Test(csv, missing_values_are_empty_na_and_nan) {
  struct vi_table *t = parse("y,z\n1,\nNA,2\n,\"\"\nNaN,nan\n\"NA\",5\n");
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n, 5);
  cr_assert_eq(c.n_missing, 4);
  cr_assert_eq(c.first_missing, 1);
  cr_assert_eq(c.n_text, 0);
  cr_assert_null(c.codes);
  cr_assert(isnan(c.num[1]) && isnan(c.num[4]));
  vi_table_column(t, 1, &c);
  cr_assert_eq(c.n_missing, 3);
  cr_assert_eq(c.first_missing, 0);
  vi_table_free(t);
}

Test(csv, infinities_and_signed_numbers) {
  struct vi_table *t = parse("x\nInf\n-Inf\n+infinity\n-0\n+3.5e-1\n .5 \n5.\n1E+2\n");
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n_text, 0);
  cr_assert(isinf(c.num[0]) && c.num[0] > 0);
  cr_assert(isinf(c.num[1]) && c.num[1] < 0);
  cr_assert(isinf(c.num[2]) && c.num[2] > 0);
  cr_assert(c.num[3] == 0 && signbit(c.num[3]));
  cr_assert_eq(c.num[4], 0.35);
  cr_assert_eq(c.num[5], 0.5);
  cr_assert_eq(c.num[6], 5.0);
  cr_assert_eq(c.num[7], 100.0);
  cr_assert_eq(c.n_nonint, 5, "Inf, -Inf, +infinity, 0.35 and 0.5 are not integers");
  cr_assert_eq(c.first_nonint, 0);
  vi_table_free(t);
}

Test(csv, integers_are_detected_by_value) {
  struct vi_table *t = parse("k,j\n1,1\n2.0,2.5\n-3,1e3\n4,7\n");
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n_nonint, 0);
  cr_assert_eq(c.first_nonint, 4, "first_nonint is n when there is none");
  vi_table_column(t, 1, &c);
  cr_assert_eq(c.n_nonint, 1);
  cr_assert_eq(c.first_nonint, 1);
  vi_table_free(t);
}

Test(csv, text_that_looks_almost_numeric_is_text) {
  static const char *const cells[] = {"1.2.3", "0x10", "1e", "e5", "--1", "1 2", "12abc",
                                      ".",     "-",    "+", "1e+", "inf1", "nan(1)", "１"};
  for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
    char text[64];
    snprintf(text, sizeof text, "v\n%s\n", cells[i]);
    struct vi_table *t = parse(text);
    struct vi_column c;
    vi_table_column(t, 0, &c);
    cr_assert_eq(c.n_text, 1, "'%s' should be text", cells[i]);
    cr_assert(isnan(c.num[0]));
    vi_table_free(t);
  }
}

Test(csv, text_columns_are_coded_by_first_appearance) {
  struct vi_table *t = parse("county,y\nAitkin,1\n\"Anoka\",2\nAitkin,3\n,4\n Blue Earth ,5\nAnoka,6\n7,7\n");
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n_text, 5);
  cr_assert_eq(c.first_text, 0);
  cr_assert_eq(c.n_missing, 1);
  cr_assert_eq(c.nlevels, 4);
  cr_assert_str_eq(c.levels[0], "Aitkin");
  cr_assert_str_eq(c.levels[1], "Anoka");
  cr_assert_str_eq(c.levels[2], "Blue Earth");
  cr_assert_str_eq(c.levels[3], "7", "a number in a text column is a level too");
  static const int want[] = {1, 2, 1, 0, 3, 2, 4};
  for (size_t r = 0; r < 7; r++) cr_assert_eq(c.codes[r], want[r], "row %zu", r);
  vi_table_column(t, 1, &c);
  cr_assert_null(c.codes);
  cr_assert_eq(c.nlevels, 0);
  vi_table_free(t);
}

Test(csv, many_levels_are_coded_consistently) {
  size_t n = 5000;
  char *text = malloc(n * 16 + 16);
  size_t w = (size_t)sprintf(text, "g\n");
  for (size_t i = 0; i < n; i++) w += (size_t)sprintf(text + w, "L%zu\n", (i * 7919) % 1000);
  struct vi_table *t = parse(text);
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.nlevels, 1000);
  for (size_t r = 0; r < n; r++) {
    char want[16];
    snprintf(want, sizeof want, "L%zu", (r * 7919) % 1000);
    cr_assert_str_eq(c.levels[c.codes[r] - 1], want);
  }
  vi_table_free(t);
  free(text);
}

/* ---- locations and cells ------------------------------------------- */

Test(csv, cell_locations_follow_quoted_newlines_and_crlf) {
  struct vi_table *t = parse("a,b,c\r\n1,\"x\r\ny\",3\r\n44,\"p\nq\nr\",6\r\n7,8,9");
  expect_loc(t, (size_t)-1, 2, 1, 5);
  expect_loc(t, 0, 0, 2, 1);
  expect_loc(t, 0, 1, 2, 3);
  expect_loc(t, 0, 2, 3, 4);
  expect_loc(t, 1, 0, 4, 1);
  expect_loc(t, 1, 2, 6, 4);
  expect_loc(t, 2, 2, 7, 5);
  struct vi_srcloc l = vi_table_loc(t, 3, 0);
  cr_assert_eq(l.line, 0, "out of range gives no line");
  l = vi_table_loc(t, 0, 3);
  cr_assert_eq(l.line, 0);
  vi_table_free(t);
}

Test(csv, cell_text_is_truncated_with_an_ellipsis) {
  struct vi_table *t = parse("a\nabcdefghij\n");
  char buf[8];
  cr_assert_str_eq(vi_table_cell(t, 0, 0, buf, sizeof buf), "abcd...");
  cr_assert_str_eq(vi_table_cell(t, (size_t)-1, 0, buf, sizeof buf), "a");
  cr_assert_str_eq(vi_table_cell(t, 5, 0, buf, sizeof buf), "");
  vi_table_free(t);
}

/* ---- errors --------------------------------------------------------- */

Test(csv, ragged_rows_are_errors_at_the_row) {
  static const char *const cases[][2] = {
      {"a,b,c\n1,2,3\n4,5\n", "t.csv:3:4: error: row has 2 fields but the header has 3"},
      {"a,b,c\n1,2,3\n4,5,6,7,8\n", "t.csv:3:7: error: row has 5 fields but the header has 3"},
      {"a,b\r\n\"x\ny\",2,3\r\n", "t.csv:3:6: error: row has 3 fields but the header has 2"},
      {"a\tb\n1\n", "t.csv:2:2: error: row has 1 field but the header has 2"},
      {"a,b\n1,2\n\n3,4,\n", "t.csv:4:5: error: row has 3 fields but the header has 2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    expect_error(cases[i][0], strlen(cases[i][0]), cases[i][1]);
}

Test(csv, unterminated_quote_is_reported_at_the_opening_quote) {
  const char *s = "a,b\n1,2\n3, \"abc\n4,5\n";
  expect_error(s, strlen(s),
               "t.csv:3:4: error: unterminated quoted field (no closing '\"' before the end of the file)");
  s = "\"a,b\n";
  expect_error(s, strlen(s),
               "t.csv:1:1: error: unterminated quoted field (no closing '\"' before the end of the file)");
}

Test(csv, text_after_a_closing_quote_is_an_error) {
  const char *s = "a,b\n1,\"x\"y\n";
  expect_error(s, strlen(s),
               "t.csv:2:6: error: unexpected character 'y' after the closing quote of a field "
               "(write a quote inside a quoted field as \"\")");
}

Test(csv, empty_files_are_errors) {
  expect_error("", 0, "t.csv:1:1: error: empty file (expected a header row of column names)");
  expect_error("\xEF\xBB\xBF\r\n\n  \n", 8,
               "t.csv:1:1: error: empty file (expected a header row of column names)");
}

Test(csv, bad_headers_are_errors_naming_the_columns) {
  const char *s = "a,b,,d\n1,2,3,4\n";
  expect_error(s, strlen(s), "t.csv:1:5: error: empty column name in the header (column 3)");
  s = "y,x,\"y\"\n1,2,3\n";
  expect_error(s, strlen(s), "t.csv:1:5: error: duplicate column name 'y' (columns 1 and 3)");
  s = "y,x, x \n1,2,3\n";
  expect_error(s, strlen(s), "t.csv:1:5: error: duplicate column name 'x' (columns 2 and 3)");
}

Test(csv, a_nul_byte_is_an_error_at_its_position) {
  expect_error("a,b\n1,2\n3,\0004\n", 13,
               "t.csv:3:3: error: NUL byte in the file (is it a binary file, or UTF-16?)");
  /* UTF-16 text is full of NULs. */
  expect_error("a\0,\0b\0", 6, "t.csv:1:2: error: NUL byte in the file (is it a binary file, or UTF-16?)");
}

Test(csv, too_many_columns_is_a_limit_error) {
  size_t n = VI_CSV_MAX_COLS + 1;
  char *s = malloc(2 * n + 1);
  for (size_t i = 0; i < n; i++) {
    s[2 * i] = 'a';
    s[2 * i + 1] = ',';
  }
  s[2 * n - 1] = '\n';
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  int st = vi_csv_parse("t.csv", s, 2 * n, &t, &d);
  cr_assert_eq(st, VI_ERR_LIMIT);
  cr_assert_null(t);
  cr_assert(strstr(d.buf, "t.csv:1:200001: error: the header has more than 100000 columns"),
            "%s", d.buf);
  vi_diags_free(&d);
  free(s);
}

Test(csv, a_missing_file_names_the_file_and_the_reason) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  int st = vi_csv_read("/nonexistent/dir/data.csv", &t, &d);
  cr_assert_eq(st, VI_ERR_IO);
  cr_assert_null(t);
  cr_assert_str_eq(d.buf, "/nonexistent/dir/data.csv: error: cannot open file: No such file or directory\n");
  vi_diags_free(&d);
}

Test(csv, a_directory_is_not_readable) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  int st = vi_csv_read("/tmp", &t, &d);
  cr_assert_eq(st, VI_ERR_IO);
  cr_assert(strstr(d.buf, "/tmp: error: cannot"), "%s", d.buf);
  vi_diags_free(&d);
}

/* ---- files in tests/data/good --------------------------------------- */

static struct vi_table *read_fixture(const char *name) {
  const char *root = getenv("VI_SOURCE_ROOT");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/good/%s", root ? root : ".", name);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  int st = vi_csv_read(path, &t, &d);
  cr_assert_eq(st, VI_OK, "%s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return t;
}

Test(csv, fixture_with_bom_crlf_and_semicolons) {
  struct vi_table *t = read_fixture("bom_crlf_semicolon.csv");
  cr_assert_eq(vi_table_ncols(t), 3);
  cr_assert_eq(vi_table_nrows(t), 4);
  cr_assert_eq(vi_table_find(t, "N_obs"), -1);
  cr_assert_eq(vi_table_find(t, "x"), 0);
  cr_assert_eq(num(t, 0, 1), 1.25);
  cr_assert_eq(num(t, 3, 1), -0.5);
  struct vi_column c;
  vi_table_column(t, 2, &c);
  cr_assert_eq(c.n_nonint, 0);
  cr_assert_eq(c.n_text, 0);
  vi_table_free(t);
}

Test(csv, fixture_with_tabs) {
  struct vi_table *t = read_fixture("tab.tsv");
  cr_assert_eq(vi_table_ncols(t), 3);
  cr_assert_eq(vi_table_nrows(t), 5);
  struct vi_column c;
  vi_table_column(t, 2, &c);
  cr_assert_eq(c.n_missing, 1);
  cr_assert_eq(c.first_missing, 3);
  vi_table_free(t);
}

Test(csv, fixture_with_quoted_text_levels) {
  struct vi_table *t = read_fixture("levels.csv");
  long g = vi_table_find(t, "county");
  cr_assert_geq(g, 0);
  struct vi_column c;
  vi_table_column(t, (size_t)g, &c);
  cr_assert_eq(c.nlevels, 3);
  cr_assert_str_eq(c.levels[0], "Lac qui Parle");
  cr_assert_str_eq(c.levels[1], "St. Louis, MN");
  cr_assert_str_eq(c.levels[2], "O'Brien \"OB\"");
  cr_assert_eq(c.codes[3], 2);
  vi_table_free(t);
}

/* ---- number parsing ------------------------------------------------- */

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* A random decimal: sign, 0-25 integer digits, optional fraction of 0-25
 * digits, optional exponent in [-330, 330]. */
static size_t random_number(uint64_t *s, char *buf) {
  size_t w = 0;
  uint64_t r = rng_next(s);
  if (r & 1) buf[w++] = (r & 2) ? '-' : '+';
  size_t ni = (rng_next(s) % 4 == 0) ? rng_next(s) % 26 : rng_next(s) % 8;
  size_t nf = (rng_next(s) % 3 == 0) ? 0 : ((rng_next(s) % 4 == 0) ? rng_next(s) % 26 : rng_next(s) % 10);
  if (ni == 0 && nf == 0) ni = 1;
  for (size_t i = 0; i < ni; i++) buf[w++] = (char)('0' + rng_next(s) % 10);
  if (nf || rng_next(s) % 5 == 0) {
    buf[w++] = '.';
    for (size_t i = 0; i < nf; i++) buf[w++] = (char)('0' + rng_next(s) % 10);
  }
  if (rng_next(s) % 3 == 0) {
    buf[w++] = (rng_next(s) & 1) ? 'e' : 'E';
    int ev = (int)(rng_next(s) % 661) - 330;
    if (rng_next(s) % 4 == 0) ev = (int)(rng_next(s) % 45) - 22;
    w += (size_t)sprintf(buf + w, "%s%d", ev >= 0 && (rng_next(s) & 1) ? "+" : "", ev);
  }
  buf[w] = 0;
  return w;
}

Test(csv, numbers_match_strtod_bit_for_bit) {
  enum { N = 100000 };
  char *text = malloc((size_t)N * 96 + 8);
  char **cells = malloc(N * sizeof *cells);
  size_t w = (size_t)sprintf(text, "x\n");
  uint64_t s = 0x9E3779B97F4A7C15u;
  char buf[96];
  for (size_t i = 0; i < N; i++) {
    size_t n;
    if (i % 4 == 0) { /* the shapes printf writes: %.17g and %.6f */
      double v = ldexp((double)(rng_next(&s) >> 11), (int)(rng_next(&s) % 200) - 150);
      n = (size_t)snprintf(buf, sizeof buf, i % 8 ? "%.17g" : "%.6f", v);
    } else {
      n = random_number(&s, buf);
    }
    cells[i] = text + w;
    memcpy(text + w, buf, n);
    w += n;
    text[w++] = '\n';
  }
  text[w] = 0;
  char err[256];
  struct vi_table *t = parse_n(text, w, err, sizeof err);
  cr_assert(t, "%s", err);
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_assert_eq(c.n, N);
  cr_assert_eq(c.n_text, 0);
  for (size_t i = 0; i < N; i++) {
    char *e = strchr(cells[i], '\n');
    *e = 0;
    double want = strtod(cells[i], NULL);
    cr_assert(memcmp(&want, &c.num[i], sizeof want) == 0, "'%s': got %.17g, strtod %.17g", cells[i],
              c.num[i], want);
    *e = '\n';
  }
  vi_table_free(t);
  free(cells);
  free(text);
}

/* ---- robustness ----------------------------------------------------- */

/* Every cell of a parsed table has a location inside the text and a value
 * consistent with its classification. */
static void check_invariants(const struct vi_table *t) {
  for (size_t c = 0; c < vi_table_ncols(t); c++) {
    struct vi_column col;
    vi_table_column(t, c, &col);
    cr_assert_leq(col.n_missing + col.n_text, col.n);
    for (size_t r = 0; r < col.n; r++) {
      struct vi_srcloc l = vi_table_loc(t, r, c);
      cr_assert(l.line >= 2 && l.col >= 1, "cell %zu,%zu at %d:%d", r, c, l.line, l.col);
      if (col.codes) cr_assert(col.codes[r] >= 0 && (size_t)col.codes[r] <= col.nlevels);
    }
  }
}

Test(csv, random_bytes_and_truncations_never_crash) {
  static const char *const seeds[] = {
      "a,b,c\n1,2,3\n\"x\ny\",\"p\"\"q\",NA\n",
      "\xEF\xBB\xBFx;y\r\n1,5;2\r\n\"a;b\";\r\n",
      "g\tv\nA\t1\nB\t2.5e3\n\"C\"\t-inf\n",
  };
  static const char alphabet[] = "ab,;\t\"\r\n 0123456789.eE+-NA\xEF\xBB\xBF";
  uint64_t s = 12345;
  char buf[128];
  for (size_t iter = 0; iter < 20000; iter++) {
    const char *seed = seeds[iter % 3];
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    size_t kind = rng_next(&s) % 3;
    if (kind == 0) {
      len = rng_next(&s) % (len + 1); /* truncation */
    } else if (kind == 1) {
      size_t k = 1 + rng_next(&s) % 4; /* mutations */
      for (size_t i = 0; i < k && len; i++)
        buf[rng_next(&s) % len] = alphabet[rng_next(&s) % (sizeof alphabet - 1)];
    } else {
      len = rng_next(&s) % 64; /* random bytes, NUL included */
      for (size_t i = 0; i < len; i++) buf[i] = (char)(rng_next(&s) & 0xff);
    }
    char err[1024];
    struct vi_table *t = parse_n(buf, len, err, sizeof err);
    if (t) {
      check_invariants(t);
      vi_table_free(t);
    } else {
      cr_assert(strncmp(err, "t.csv:", 6) == 0, "message without the file: %s", err);
    }
  }
}

/* kB of a /proc/self/status field (VmRSS, VmHWM), or -1. */
static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, n) && line[n] == ':') kb = atol(line + n + 1);
  fclose(f);
  return kb;
}

/* A numeric file is read into its doubles without keeping its text: the
 * memory the read adds stays under 1.5 times the file (mapped pages are
 * handed back as the parser passes them). */
Test(csv, a_large_numeric_file_takes_less_memory_than_one_and_a_half_times_its_size) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/vi-csv-big-%d.csv", (int)getpid());
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs("a,b,c,d\n", f);
  enum { ROWS = 600000 };
  for (long r = 0; r < ROWS; r++) fprintf(f, "%ld.25,%ld,-%ld.5e-3,0.%06ld\n", r, r % 97, r % 13, r % 1000000);
  long size = ftell(f);
  fclose(f);
  long before = status_kb("VmRSS");
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  cr_assert_eq(vi_csv_read(path, &t, &d), VI_OK, "%s", d.buf ? d.buf : "");
  long peak = status_kb("VmHWM");
  cr_assert_eq(vi_table_nrows(t), (size_t)ROWS);
  struct vi_column c;
  vi_table_column(t, 0, &c);
  cr_expect_eq(c.num[ROWS - 1], (double)(ROWS - 1) + 0.25);
  vi_table_column(t, 2, &c);
  cr_expect_eq(c.num[14], -1.5e-3);
  struct vi_srcloc l = vi_table_loc(t, ROWS - 1, 3);
  cr_expect_eq(l.line, ROWS + 1);
  char cell[32];
  cr_expect_str_eq(vi_table_cell(t, 12345, 1, cell, sizeof cell), "26");
  if (before > 0 && peak > 0)
    cr_expect(peak - before < size / 1024 * 3 / 2, "the read added %ld kB for a file of %ld kB", peak - before,
              size / 1024);
  vi_table_free(t);
  vi_diags_free(&d);
  unlink(path);
}

/* Rows are found again from every 64th row: blank lines and quoted line
 * breaks between them still give the right line and cell. */
Test(csv, cell_locations_far_from_the_kept_row_starts) {
  char *buf = malloc(1 << 16);
  cr_assert(buf);
  size_t n = (size_t)sprintf(buf, "id,note\n");
  int line = 2, want_line[200];
  for (int r = 0; r < 200; r++) {
    if (r % 10 == 3) {
      n += (size_t)sprintf(buf + n, "\n");
      line++;
    }
    want_line[r] = line;
    if (r % 7 == 5) {
      n += (size_t)sprintf(buf + n, "%d,\"two\nlines\"\n", r);
      line += 2;
    } else {
      n += (size_t)sprintf(buf + n, "%d,n%d\r\n", r, r);
      line++;
    }
  }
  char err[512];
  struct vi_table *t = parse_n(buf, n, err, sizeof err);
  cr_assert(t, "%s", err);
  cr_assert_eq(vi_table_nrows(t), 200);
  for (int r = 0; r < 200; r++) {
    struct vi_srcloc l = vi_table_loc(t, (size_t)r, 1);
    cr_expect_eq(l.line, want_line[r], "row %d: line %d, want %d", r, l.line, want_line[r]);
    char cell[32], want[32];
    snprintf(want, sizeof want, r % 7 == 5 ? "two\nlines" : "n%d", r);
    cr_expect_str_eq(vi_table_cell(t, (size_t)r, 1, cell, sizeof cell), want);
  }
  struct vi_column c;
  vi_table_column(t, 1, &c);
  cr_expect_eq(c.nlevels, 173, "levels %zu", c.nlevels); /* 28 rows share "two\nlines": 200 - 28 + 1 */
  cr_expect_eq(c.codes[5], c.codes[12], "the same text has the same code");
  vi_table_free(t);
  free(buf);
}
