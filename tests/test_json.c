/* test_json.c: the CmdStan JSON data reader (runtime/json.c): shapes,
 * special values, integer detection, key locations, every error message with
 * its line and column, and random inputs that must never crash. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/data.h"

static struct vi_json *parse_n(const char *text, size_t len, char *err, size_t errcap) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_json *j = NULL;
  int st = vi_json_parse("d.json", text, len, &j, &d);
  snprintf(err, errcap, "%s", d.buf ? d.buf : "");
  cr_assert((st == VI_OK) == (j != NULL), "status %d and result disagree", st);
  cr_assert(st == VI_OK || d.nerrors > 0, "failure without a message");
  vi_diags_free(&d);
  return j;
}

static struct vi_json *parse(const char *text) {
  char err[1024];
  struct vi_json *j = parse_n(text, strlen(text), err, sizeof err);
  cr_assert(j, "unexpected error: %s", err);
  return j;
}

static void expect_error(const char *text, const char *msg) {
  char err[1024];
  struct vi_json *j = parse_n(text, strlen(text), err, sizeof err);
  cr_assert_null(j, "expected an error for %s", text);
  char *nl = strchr(err, '\n');
  if (nl) *nl = 0;
  cr_assert_str_eq(err, msg);
}

static struct vi_jvar get(const struct vi_json *j, const char *name) {
  struct vi_jvar v;
  cr_assert_eq(vi_json_find(j, name, &v), 0, "no variable %s", name);
  cr_assert_str_eq(v.name, name);
  return v;
}

Test(json, scalars_and_integer_detection) {
  struct vi_json *j = parse("{\"N\": 3, \"sigma\": 2.5, \"k\": 4.0, \"big\": 1e3, \"neg\": -7}");
  cr_assert_eq(vi_json_nvars(j), 5);
  cr_assert_str_eq(vi_json_name(j, 1), "sigma");
  struct vi_jvar v = get(j, "N");
  cr_assert_eq(v.ndims, 0);
  cr_assert_eq(v.n, 1);
  cr_assert_eq(v.x[0], 3.0);
  cr_assert(v.all_int);
  v = get(j, "sigma");
  cr_assert_eq(v.x[0], 2.5);
  cr_assert(!v.all_int);
  cr_assert(get(j, "k").all_int, "an integral real counts as an integer");
  cr_assert(get(j, "big").all_int);
  cr_assert_eq(get(j, "neg").x[0], -7.0);
  struct vi_jvar none;
  cr_assert_eq(vi_json_find(j, "M", &none), -1);
  vi_json_free(j);
}

Test(json, arrays_are_flattened_row_major) {
  struct vi_json *j = parse("{\"y\": [1.5, 2, 3],\n \"X\": [[1, 2, 3], [4, 5, 6]],\n"
                            " \"A\": [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]}");
  struct vi_jvar v = get(j, "y");
  cr_assert_eq(v.ndims, 1);
  cr_assert_eq(v.dims[0], 3);
  cr_assert(!v.all_int);
  v = get(j, "X");
  cr_assert_eq(v.ndims, 2);
  cr_assert(v.dims[0] == 2 && v.dims[1] == 3);
  cr_assert_eq(v.n, 6);
  for (size_t i = 0; i < 6; i++) cr_assert_eq(v.x[i], (double)(i + 1));
  cr_assert(v.all_int);
  v = get(j, "A");
  cr_assert_eq(v.ndims, 3);
  cr_assert(v.dims[0] == 3 && v.dims[1] == 2 && v.dims[2] == 2);
  cr_assert_eq(v.x[6], 7.0, "A[2][2][1] is 7");
  vi_json_free(j);
}

Test(json, empty_arrays_have_zero_size) {
  struct vi_json *j = parse("{\"e\": [], \"f\": [[], []]}");
  struct vi_jvar v = get(j, "e");
  cr_assert_eq(v.ndims, 1);
  cr_assert_eq(v.dims[0], 0);
  cr_assert_eq(v.n, 0);
  cr_assert(v.all_int);
  v = get(j, "f");
  cr_assert_eq(v.ndims, 2);
  cr_assert(v.dims[0] == 2 && v.dims[1] == 0);
  cr_assert_eq(v.n, 0);
  vi_json_free(j);
}

Test(json, special_values_as_strings_and_bare_tokens) {
  struct vi_json *j = parse("{\"a\": [\"inf\", \"+Inf\", \"-INF\", \"Infinity\", \"-infinity\", \"NaN\"],"
                            " \"b\": [NaN, Infinity, -Infinity, 1]}");
  struct vi_jvar v = get(j, "a");
  cr_assert_eq(v.n, 6);
  cr_assert(isinf(v.x[0]) && v.x[0] > 0);
  cr_assert(isinf(v.x[1]) && v.x[1] > 0);
  cr_assert(isinf(v.x[2]) && v.x[2] < 0);
  cr_assert(isinf(v.x[3]) && v.x[3] > 0);
  cr_assert(isinf(v.x[4]) && v.x[4] < 0);
  cr_assert(isnan(v.x[5]));
  cr_assert(!v.all_int);
  v = get(j, "b");
  cr_assert(isnan(v.x[0]) && isinf(v.x[1]) && isinf(v.x[2]) && v.x[2] < 0 && v.x[3] == 1.0);
  vi_json_free(j);
}

Test(json, strings_holding_special_words_stay_strings) {
  /* Quoting bare tokens must not touch the inside of strings. */
  struct vi_json *j = parse("{\"note NaN Infinity\": 1, \"x\": [\"Infinity\"]}");
  cr_assert_eq(get(j, "note NaN Infinity").x[0], 1.0);
  vi_json_free(j);
}

Test(json, key_locations_and_bom) {
  struct vi_json *j = parse("\xEF\xBB\xBF{\n  \"N\": 2,\n  \"y\": [1, 2]\n}\n");
  struct vi_srcloc l = vi_json_loc(j, "y");
  cr_assert_str_eq(l.file, "d.json");
  cr_assert(l.line == 3 && l.col == 3, "got %d:%d", l.line, l.col);
  l = vi_json_loc(j, "nope");
  cr_assert_eq(l.line, 0);
  cr_assert_str_eq(vi_json_file(j), "d.json");
  vi_json_free(j);
}

/* ---- errors --------------------------------------------------------- */

Test(json, syntax_errors_have_line_and_column) {
  expect_error("{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}", "d.json:3:14: error: unexpected token near ','");
  expect_error("{\"a\": 1, \"b\": tru}", "d.json:1:15: error: invalid token near 'tru'");
  expect_error("{\"a\": 1", "d.json:1:8: error: '}' expected near end of file");
  expect_error("", "d.json:1:1: error: unexpected token near end of file");
  /* Positions after a quoted bare token still refer to the original text. */
  expect_error("{\"a\": [NaN, NaN, x]}", "d.json:1:18: error: invalid token near 'x'");
}

Test(json, duplicate_keys_are_errors) {
  expect_error("{\"a\": 1,\n \"a\": 2}", "d.json:2:2: error: duplicate object key near '\"a\"'");
}

Test(json, top_level_must_be_an_object) {
  expect_error("  [1, 2]",
               "d.json:1:3: error: top level is an array, not an object (CmdStan JSON data is an "
               "object {\"name\": value, ...})");
  expect_error("3", "d.json:1:1: error: top level is a number, not an object (CmdStan JSON data is "
                    "an object {\"name\": value, ...})");
}

Test(json, ragged_arrays_name_the_rows) {
  expect_error("{\"N\": 1,\n \"X\": [[1, 2, 3, 4], [1, 2, 3]]}",
               "d.json:2:2: error: variable 'X': ragged array: row 2 has 3 elements, row 1 has 4");
  expect_error("{\"A\": [[[1, 2], [3, 4]], [[5, 6], [7]]]}",
               "d.json:1:2: error: variable 'A': ragged array: element [2,2] has 1 elements, "
               "element [1,1] has 2");
  expect_error("{\"X\": [1, [2]]}",
               "d.json:1:2: error: variable 'X': ragged array: element [2] is an array, but "
               "element [1] is a number");
  expect_error("{\"X\": [[1], 2]}",
               "d.json:1:2: error: variable 'X': ragged array: element [2] is a number, but "
               "element [1] is an array");
  expect_error("{\"X\": [[], [1]]}",
               "d.json:1:2: error: variable 'X': ragged array: row 2 has 1 elements, row 1 has 0");
}

Test(json, non_numeric_values_name_the_variable) {
  expect_error("{\"a\": 1,\n  \"y\": [1, \"abc\"]}",
               "d.json:2:3: error: variable 'y': element [2] is not a number (found the string \"abc\")");
  expect_error("{\"flag\": true}", "d.json:1:2: error: variable 'flag' is not a number (found true)");
  expect_error("{\"y\": [[1, null]]}",
               "d.json:1:2: error: variable 'y': element [1,2] is not a number (found null)");
  expect_error("{\"o\": {\"a\": 1}}",
               "d.json:1:2: error: variable 'o' is not a number (found an object)");
  expect_error("{\"s\": \"-nan\"}",
               "d.json:1:2: error: variable 's' is not a number (found the string \"-nan\")");
}

Test(json, nesting_deeper_than_eight_is_an_error) {
  expect_error("{\"d\": [[[[[[[[[1]]]]]]]]]}",
               "d.json:1:2: error: variable 'd': arrays nested deeper than 8 levels");
  struct vi_json *j = parse("{\"d\": [[[[[[[[1]]]]]]]]}");
  cr_assert_eq(get(j, "d").ndims, 8);
  vi_json_free(j);
}

Test(json, several_bad_variables_are_all_reported) {
  char err[1024];
  const char *text = "{\"a\": \"x\", \"b\": [1, [2]], \"c\": 3}";
  struct vi_json *j = parse_n(text, strlen(text), err, sizeof err);
  cr_assert_null(j);
  cr_assert(strstr(err, "variable 'a'") && strstr(err, "variable 'b'"), "%s", err);
}

Test(json, a_missing_file_names_the_file) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_json *j = NULL;
  cr_assert_eq(vi_json_read("/nonexistent/d.json", &j, &d), VI_ERR_IO);
  cr_assert_null(j);
  cr_assert_str_eq(d.buf, "/nonexistent/d.json: error: cannot open file: No such file or directory\n");
  vi_diags_free(&d);
}

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

Test(json, random_bytes_and_truncations_never_crash) {
  static const char seed[] =
      "{\"N\": 2, \"y\": [1.5, \"inf\", NaN], \"X\": [[1, 2], [3, -Infinity]], \"e\": []}";
  static const char alphabet[] = "{}[],:\"0123456789.eE+-NaInfity \n\\";
  uint64_t s = 99;
  char buf[160];
  for (size_t iter = 0; iter < 20000; iter++) {
    size_t len = sizeof seed - 1;
    memcpy(buf, seed, len);
    size_t kind = rng_next(&s) % 3;
    if (kind == 0) {
      len = rng_next(&s) % (len + 1);
    } else if (kind == 1) {
      size_t k = 1 + rng_next(&s) % 4;
      for (size_t i = 0; i < k; i++) buf[rng_next(&s) % len] = alphabet[rng_next(&s) % (sizeof alphabet - 1)];
    } else {
      len = rng_next(&s) % 64;
      for (size_t i = 0; i < len; i++) buf[i] = (char)(rng_next(&s) & 0xff);
    }
    char err[1024];
    struct vi_json *j = parse_n(buf, len, err, sizeof err);
    if (j) {
      for (size_t i = 0; i < vi_json_nvars(j); i++) {
        struct vi_jvar v;
        cr_assert_eq(vi_json_find(j, vi_json_name(j, i), &v), 0);
        size_t n = 1;
        for (int k = 0; k < v.ndims; k++) n *= v.dims[k];
        cr_assert_eq(n, v.n);
      }
      vi_json_free(j);
    } else {
      cr_assert(strncmp(err, "d.json", 6) == 0, "message without the file: %s", err);
    }
  }
}
