/* exact.c: the exact posterior of the linear benchmark (bench/large/README.md):
 * y ~ normal(X beta, sigma) with sigma known and a flat prior on beta is
 * N((X'X)^-1 X'y, sigma^2 (X'X)^-1). X'X and X'y are accumulated in long
 * double from the CSV as written (strtod, as vi reads it) and solved by
 * Cholesky in long double.
 *
 *   exact linear.csv SIGMA > exact.csv      (param,mean,sd) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KMAX = 64 };

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: exact data.csv SIGMA\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  double sigma = atof(argv[2]);
  static char line[1 << 16];
  if (!fgets(line, sizeof line, f)) return 1;
  int K = 0;
  for (char *p = line; *p; p++) K += *p == ',';
  if (K < 1 || K > KMAX) {
    fprintf(stderr, "%s: expected x.1..x.K,y with K <= %d\n", argv[1], KMAX);
    return 1;
  }
  static long double A[KMAX][KMAX], b[KMAX], L[KMAX][KMAX];
  double x[KMAX + 1];
  long n = 0;
  while (fgets(line, sizeof line, f)) {
    char *p = line;
    for (int k = 0; k <= K; k++) {
      x[k] = strtod(p, &p);
      if (*p == ',') p++;
    }
    for (int i = 0; i < K; i++) {
      b[i] += (long double)x[i] * x[K];
      for (int j = 0; j <= i; j++) A[i][j] += (long double)x[i] * x[j];
    }
    n++;
  }
  fclose(f);
  for (int j = 0; j < K; j++) { /* A = L L' */
    long double v = A[j][j];
    for (int k = 0; k < j; k++) v -= L[j][k] * L[j][k];
    L[j][j] = sqrtl(v);
    for (int i = j + 1; i < K; i++) {
      long double w = A[i][j];
      for (int k = 0; k < j; k++) w -= L[i][k] * L[j][k];
      L[i][j] = w / L[j][j];
    }
  }
  /* mean: solve L L' m = b; covariance column by column: solve A c = e_k */
  long double m[KMAX], c[KMAX];
  for (int i = 0; i < K; i++) {
    long double w = b[i];
    for (int k = 0; k < i; k++) w -= L[i][k] * m[k];
    m[i] = w / L[i][i];
  }
  for (int i = K; i-- > 0;) {
    long double w = m[i];
    for (int k = i + 1; k < K; k++) w -= L[k][i] * m[k];
    m[i] = w / L[i][i];
  }
  printf("param,mean,sd\n");
  for (int e = 0; e < K; e++) {
    for (int i = 0; i < K; i++) {
      long double w = i == e;
      for (int k = 0; k < i; k++) w -= L[i][k] * c[k];
      c[i] = w / L[i][i];
    }
    for (int i = K; i-- > 0;) {
      long double w = c[i];
      for (int k = i + 1; k < K; k++) w -= L[k][i] * c[k];
      c[i] = w / L[i][i];
    }
    printf("beta[%d],%.12Lg,%.12Lg\n", e + 1, m[e], sigma * sqrtl(c[e]));
  }
  fprintf(stderr, "%ld rows, %d columns\n", n, K);
  return 0;
}
