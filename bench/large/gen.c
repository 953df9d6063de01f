/* gen.c: the large-data benchmark's data (bench/large/README.md).
 *
 *   gen linear N K SEED > linear.csv     y = X beta + sigma e, sigma = 2
 *   gen logistic N K SEED > logistic.csv y ~ bernoulli(inv_logit(X beta))
 *
 * X has independent standard-normal columns x.1 .. x.K; beta_k =
 * (-1)^k (0.2 + 0.1 k). Values are written with 9 significant digits; the
 * exact posterior (exact.c) is computed from the file as written. A fixed
 * xoshiro256** stream per seed: the same file on every machine. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(void) {
  uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

static double uniform(void) { return ((double)(next() >> 11) + 0.5) * 0x1.0p-53; }

static double normal(void) {
  static int have;
  static double spare;
  if (have) {
    have = 0;
    return spare;
  }
  double u = uniform(), v = uniform(), r = sqrt(-2 * log(u));
  spare = r * sin(2 * M_PI * v);
  have = 1;
  return r * cos(2 * M_PI * v);
}

int main(int argc, char **argv) {
  if (argc != 5 || (strcmp(argv[1], "linear") && strcmp(argv[1], "logistic"))) {
    fprintf(stderr, "usage: gen linear|logistic N K SEED > data.csv\n");
    return 2;
  }
  int logistic = !strcmp(argv[1], "logistic");
  long N = atol(argv[2]), K = atol(argv[3]);
  if (N < 1 || K < 1 || K > 64) {
    fprintf(stderr, "gen: N >= 1 and 1 <= K <= 64\n");
    return 2;
  }
  uint64_t seed = strtoull(argv[4], NULL, 10);
  for (int i = 0; i < 4; i++) { /* splitmix64 */
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    s[i] = z ^ (z >> 31);
  }
  static char buf[1 << 20];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
  for (long k = 1; k <= K; k++) printf("x.%ld,", k);
  printf("y\n");
  double x[64];
  char cell[64];
  for (long n = 0; n < N; n++) {
    double eta = 0;
    for (long k = 0; k < K; k++) {
      snprintf(cell, sizeof cell, "%.9g", normal());
      x[k] = strtod(cell, NULL);
      fputs(cell, stdout);
      putchar(',');
      eta += x[k] * ((k % 2 ? 1 : -1) * (0.2 + 0.1 * (double)(k + 1)));
    }
    if (logistic) printf("%d\n", uniform() < 1 / (1 + exp(-eta)));
    else printf("%.9g\n", eta + 2 * normal());
  }
  return 0;
}
