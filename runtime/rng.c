/* rng.c: xoshiro256** and derived distributions (include/vi/rng.h). */
#include "vi/rng.h"

#include <math.h>

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void vi_rng_seed(struct vi_rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&x);
  r->has_spare = 0;
  r->spare = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t vi_rng_next(struct vi_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double vi_rng_uniform(struct vi_rng *r) {
  /* 53 random bits, shifted by half an ulp so 0 and 1 never occur */
  return ((double)(vi_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

double vi_rng_normal(struct vi_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u, v, s;
  do {
    u = 2 * vi_rng_uniform(r) - 1;
    v = 2 * vi_rng_uniform(r) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  double f = sqrt(-2 * log(s) / s);
  r->spare = v * f;
  r->has_spare = 1;
  return u * f;
}

double vi_rng_exponential(struct vi_rng *r) { return -log(vi_rng_uniform(r)); }

double vi_rng_gamma(struct vi_rng *r, double shape) {
  if (shape < 1) {
    double u = vi_rng_uniform(r);
    return vi_rng_gamma(r, shape + 1) * pow(u, 1 / shape);
  }
  double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = vi_rng_normal(r);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    double u = vi_rng_uniform(r);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
  }
}
