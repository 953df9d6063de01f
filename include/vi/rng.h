/* rng.h: the random number generator (xoshiro256**, seeded with splitmix64).
 * Explicit state, so two fits never share a stream. */
#ifndef VI_RNG_H
#define VI_RNG_H
#include <stdint.h>

struct vi_rng {
  uint64_t s[4];
  int has_spare;   /* vi_rng_normal keeps the second Box-Muller/polar value */
  double spare;
};

void vi_rng_seed(struct vi_rng *r, uint64_t seed, uint64_t stream);
uint64_t vi_rng_next(struct vi_rng *r);
double vi_rng_uniform(struct vi_rng *r);  /* in (0, 1), never 0 or 1 */
double vi_rng_normal(struct vi_rng *r);   /* standard normal */
double vi_rng_gamma(struct vi_rng *r, double shape); /* Gamma(shape, 1), shape > 0 (Marsaglia-Tsang) */
double vi_rng_exponential(struct vi_rng *r); /* Exp(1) */

#endif
