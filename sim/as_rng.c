/* as_rng.c — PCG generators as gsl_rng types (see as_rng.h).
 *
 * Shaped like GSL's rng/mt.c: a state struct, static set/get/get_double,
 * one static const gsl_rng_type per generator; the rest of the project sees
 * only gsl_rng_type pointers.  The arithmetic follows O'Neill's reference
 * (pcg_random.hpp; pcg32 = setseq_xsh_rr_64_32, pcg64 = setseq_xsl_rr_128_64):
 *   seeding   inc = (initseq << 1) | 1, state = bump(initstate + inc),
 *             bump(s) = s * MULT + inc (mod 2^64 resp. 2^128);
 *   pcg32     outputs XSH-RR of the state *before* the step
 *             (output_previous = true for 64-bit state);
 *   pcg64     outputs XSL-RR of the state *after* the step
 *             (output_previous = false for 128-bit state). */
#include "as_rng.h"

#include <gsl/gsl_errno.h>

/* -Wpedantic rejects __int128 without __extension__; GCC and Clang have it
 * on every 64-bit target we build on. */
__extension__ typedef unsigned __int128 as_u128;

#define AS_PCG32_MULT 6364136223846793005ULL
#define AS_PCG64_MULT \
  (((as_u128)2549297995355413924ULL << 64) | (as_u128)4865540595714422341ULL)

/* ---------------------------------------------------------------- pcg32 */

typedef struct {
  uint64_t state;
  uint64_t inc;
} pcg32_state_t;

static void pcg32_seed(pcg32_state_t *s, uint64_t initstate, uint64_t initseq)
{
  s->inc = (initseq << 1) | 1u;
  s->state = (initstate + s->inc) * AS_PCG32_MULT + s->inc;
}

static inline uint32_t pcg32_next(pcg32_state_t *s)
{
  uint64_t old = s->state;
  s->state = old * AS_PCG32_MULT + s->inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
  uint32_t rot = (uint32_t)(old >> 59);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

static void pcg32_set(void *vstate, unsigned long int seed)
{
  pcg32_seed(vstate, (uint64_t)seed, AS_RNG_DEFAULT_STREAM);
}

static unsigned long int pcg32_get(void *vstate)
{
  return pcg32_next(vstate);
}

static double pcg32_get_double(void *vstate)
{
  /* x / 2^32: every output value maps to a distinct double in [0, 1). */
  return pcg32_next(vstate) * 0x1p-32;
}

static const gsl_rng_type pcg32_type = {
  "pcg32",
  0xffffffffUL, /* max */
  0,            /* min */
  sizeof(pcg32_state_t),
  &pcg32_set,
  &pcg32_get,
  &pcg32_get_double
};

/* ---------------------------------------------------------------- pcg64 */

typedef struct {
  as_u128 state;
  as_u128 inc;
} pcg64_state_t;

static void pcg64_seed(pcg64_state_t *s, uint64_t initstate, uint64_t initseq)
{
  /* The C++ engine takes 128-bit itype arguments; 64-bit values are
   * zero-extended, as they are here. */
  s->inc = ((as_u128)initseq << 1) | 1u;
  s->state = ((as_u128)initstate + s->inc) * AS_PCG64_MULT + s->inc;
}

static inline uint64_t pcg64_next(pcg64_state_t *s)
{
  s->state = s->state * AS_PCG64_MULT + s->inc;
  uint64_t x = (uint64_t)(s->state >> 64) ^ (uint64_t)s->state;
  unsigned rot = (unsigned)(s->state >> 122);
  return (x >> rot) | (x << ((-rot) & 63u));
}

static void pcg64_set(void *vstate, unsigned long int seed)
{
  pcg64_seed(vstate, (uint64_t)seed, AS_RNG_DEFAULT_STREAM);
}

static unsigned long int pcg64_get(void *vstate)
{
  return (unsigned long int)pcg64_next(vstate);
}

static double pcg64_get_double(void *vstate)
{
  /* Top 53 bits: every double of the form k·2^-53 in [0, 1). */
  return (double)(pcg64_next(vstate) >> 11) * 0x1p-53;
}

/* GSL's max is an unsigned long; the 64-bit output needs it 64 bits wide. */
_Static_assert(sizeof(unsigned long) >= 8,
               "pcg64 as a gsl_rng_type needs a 64-bit unsigned long");

static const gsl_rng_type pcg64_type = {
  "pcg64",
  0xffffffffffffffffUL, /* max */
  0,                    /* min */
  sizeof(pcg64_state_t),
  &pcg64_set,
  &pcg64_get,
  &pcg64_get_double
};

const gsl_rng_type *as_rng_pcg32 = &pcg32_type;
const gsl_rng_type *as_rng_pcg64 = &pcg64_type;

/* ------------------------------------------------------------- seeding */

void as_rng_seed(gsl_rng *r, uint64_t initstate, uint64_t initseq)
{
  if (r->type == &pcg32_type)
    pcg32_seed(r->state, initstate, initseq);
  else if (r->type == &pcg64_type)
    pcg64_seed(r->state, initstate, initseq);
  else
    GSL_ERROR_VOID("as_rng_seed: generator is not as_rng_pcg32/as_rng_pcg64",
                   GSL_EINVAL);
}

gsl_rng *as_rng_alloc(const gsl_rng_type *T, uint64_t initstate,
                      uint64_t initseq)
{
  if (T != &pcg32_type && T != &pcg64_type)
    return NULL;
  gsl_rng *r = gsl_rng_alloc(T);
  if (r != NULL)
    as_rng_seed(r, initstate, initseq);
  return r;
}

gsl_rng *as_rng_new(uint64_t initstate, uint64_t initseq)
{
  return as_rng_alloc(&pcg32_type, initstate, initseq);
}

/* ---------------------------------------------------------- derivation */

#define AS_MASK63 0x7fffffffffffffffULL

/* splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection of 2^64. */
static uint64_t mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The same rounds on 63-bit values: x ^ (x >> k) and multiplication by an
 * odd constant mod 2^63 are both bijections of [0, 2^63). */
static uint64_t mix63(uint64_t z)
{
  z &= AS_MASK63;
  z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL) & AS_MASK63;
  z = ((z ^ (z >> 27)) * 0x94d049bb133111ebULL) & AS_MASK63;
  return z ^ (z >> 31);
}

void as_rng_derive(uint64_t base, uint64_t cell, uint64_t replicate,
                   uint64_t *initstate, uint64_t *initseq)
{
  /* A PCG stream is (initseq mod 2^63): the top bit is shifted out of inc.
   * u = cell·2^32 + replicate (mod 2^63) is injective for cell < 2^31,
   * replicate < 2^32, and mix63(u ^ key) is a bijection for fixed key, so
   * such units get pairwise distinct streams.  Hashing (rather than using u
   * itself) keeps neighbouring units' increments unrelated, and the start
   * states are hashed from all three numbers as well. */
  uint64_t key = mix64(base ^ 0x9e3779b97f4a7c15ULL);
  uint64_t u = ((cell << 32) + replicate) & AS_MASK63;
  *initseq = mix63(u ^ (key & AS_MASK63));
  *initstate = mix64(key + mix64(u + 0x9e3779b97f4a7c15ULL)
                     + (cell >> 31) * 0xd1b54a32d192ed03ULL
                     + (replicate >> 32) * 0xda942042e4dd58b5ULL);
}
