/* test_reference.c: docs/reference.md cannot go stale: every row of the
 * standard-library table must appear in it with its signatures, and every
 * entry of LANGUAGE.md section 5 (each function; each distribution's
 * _lpdf/_lpmf, its _rng where Stan has one, and _lcdf/_lccdf for the
 * univariate continuous ones) must be a row of the table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "vi/stdlib.h"

/* Whole file into a malloc'ed string, or NULL. */
static char *source_file(const char *rel) {
  const char *root = getenv("VI_SOURCE_ROOT");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", root ? root : ".", rel);
  return slurp(path);
}

Test(reference, every_table_row_is_documented_with_its_signatures) {
  char *doc = source_file("docs/reference.md");
  cr_assert(doc != NULL, "docs/reference.md not found (set VI_SOURCE_ROOT)");
  int missing = 0;
  for (size_t k = 0; k < vi_stdlib_count(); k++) {
    const struct vi_func *f = vi_stdlib_at(k);
    char want[1024];
    int n = snprintf(want, sizeof want, "| `%s` | ", f->name);
    for (const char *p = f->sig ? f->sig : ""; *p && n < (int)sizeof want - 3; p++) {
      if (*p == '|') want[n++] = '\\';
      want[n++] = *p;
    }
    want[n] = 0;
    int found = strstr(doc, want) != NULL;
    cr_expect(found, "docs/reference.md lacks row %s with signatures \"%s\" (regenerate: ninja reference)",
              f->name, f->sig ? f->sig : "");
    missing += !found;
  }
  free(doc);
  cr_assert_eq(missing, 0);
}

/* Copies the backtick-quoted words of s[0..len) into names (space-separated
 * tokens; "pi()" counts as "pi"); returns how many. */
static int words(const char *s, size_t len, char names[][48], int cap) {
  int n = 0, in = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '`') {
      in = !in;
      continue;
    }
    if (!in) continue;
    if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
        (s[i] >= '0' && s[i] <= '9')) {
      size_t j = i;
      while (j < len && s[j] != ' ' && s[j] != '\n' && s[j] != '`' && s[j] != '(') j++;
      if (n < cap && s[i] != '_' && j - i < 48) {
        memcpy(names[n], s + i, j - i);
        names[n][j - i] = 0;
        n++;
      }
      i = j - 1;
    }
  }
  return n;
}

static int has(const char *name, const char *suffix) {
  char buf[96];
  snprintf(buf, sizeof buf, "%.60s%.30s", name, suffix);
  return vi_stdlib_lookup(buf) != NULL;
}

Test(reference, every_language_md_section_5_entry_is_in_the_table) {
  char *md = source_file("../shared/LANGUAGE.md");
  if (!md) cr_skip_test("LANGUAGE.md is not next to the source tree");
  char *s5 = strstr(md, "## 5."), *s6 = s5 ? strstr(s5, "## 6.") : NULL;
  cr_assert(s5 && s6, "LANGUAGE.md has no section 5");
  char *dist = strstr(s5, "Distributions");
  cr_assert(dist && dist < s6);
  static char names[512][48];
  int total = 0, covered = 0;
  /* functions: everything quoted before "Distributions" */
  int nf = words(s5, (size_t)(dist - s5), names, 512);
  for (int i = 0; i < nf; i++) {
    total++;
    int ok = vi_stdlib_lookup(names[i]) != NULL;
    covered += ok;
    cr_expect(ok, "LANGUAGE.md function %s has no table row", names[i]);
  }
  /* distributions, by kind */
  static const char *kinds[] = {"continuous", "discrete", "multivariate"};
  static const char *no_rng[] = {"normal_id_glm", "bernoulli_logit_glm", "poisson_log_glm"};
  for (int k = 0; k < 3; k++) {
    char *p = strstr(dist, kinds[k]);
    cr_assert(p && p < s6, "LANGUAGE.md lists no %s distributions", kinds[k]);
    char *a = strchr(p, '`'), *b = a ? strchr(a + 1, '`') : NULL;
    cr_assert(b && b < s6);
    int nd = words(a, (size_t)(b - a + 1), names, 512);
    for (int i = 0; i < nd; i++) {
      const char *d = names[i];
      int rng = 1, cdf = k == 0 && strcmp(d, "normal_id_glm") != 0;
      for (size_t j = 0; j < sizeof no_rng / sizeof no_rng[0]; j++) rng &= strcmp(d, no_rng[j]) != 0;
      const char *want[4] = {k == 1 ? "_lpmf" : "_lpdf", rng ? "_rng" : NULL, cdf ? "_lcdf" : NULL,
                             cdf ? "_lccdf" : NULL};
      for (int w = 0; w < 4; w++) {
        if (!want[w]) continue;
        total++;
        int ok = has(d, want[w]);
        covered += ok;
        cr_expect(ok, "LANGUAGE.md distribution %s has no %s row", d, want[w]);
      }
    }
  }
  fprintf(stderr, "LANGUAGE.md section 5: %d of %d entries are table rows (%zu rows in the table)\n", covered,
          total, vi_stdlib_count());
  free(md);
  cr_assert_gt(total, 200);
  cr_assert_eq(covered, total);
}
