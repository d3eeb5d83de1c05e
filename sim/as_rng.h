/* as_rng.h — PCG random number generators as GSL generator types.
 *
 * as_rng_pcg32 is O'Neill's pcg32 (XSH-RR, 64-bit state, 32-bit output) and
 * as_rng_pcg64 is pcg64 (XSL-RR, 128-bit state, 64-bit output), each wrapped
 * as a gsl_rng_type so that every GSL sampler (gsl_ran_binomial,
 * gsl_ran_gaussian, ...) draws from PCG.  Raw outputs (gsl_rng_get) equal
 * those of the reference implementation (pcg_random.hpp) for the same
 * (initstate, initseq) pair; tests/test_rng_ref.cpp checks this.
 *
 * Seeding.  gsl_rng_type.set takes one unsigned long, so a plain
 * gsl_rng_set(r, s) means (initstate = s, initseq = AS_RNG_DEFAULT_STREAM).
 * as_rng_seed() sets both numbers of the reference API; as in the
 * reference, the stream is inc = 2·initseq + 1, so for pcg32 initseq and
 * initseq + 2^63 name the same stream (pcg64 takes the 64-bit initseq
 * zero-extended to 128 bits: all 2^64 values differ).  Unlike some GSL
 * generators, seed 0 is not replaced by a default: every unsigned long is
 * its own seed.  gsl_rng_uniform is x/2^32 (pcg32) or (x >> 11)·2^-53
 * (pcg64), in [0, 1); gsl_rng_get returns the raw output.
 *
 * Independent streams.  as_rng_derive() maps (base seed, cell, replicate)
 * to a (seed, stream) pair by a fixed hash, so every simulation unit owns
 * its own generator and results never depend on how units are split over
 * threads or processes. */
#ifndef AS_RNG_H
#define AS_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#define AS_RNG_DEFAULT_STREAM 54u

extern const gsl_rng_type *as_rng_pcg32;
extern const gsl_rng_type *as_rng_pcg64;

/* (Re)seeds r, which must be of type as_rng_pcg32 or as_rng_pcg64, exactly as
 * pcg32_srandom_r(initstate, initseq) / pcg64 rng(initstate, initseq) do. */
void as_rng_seed(gsl_rng *r, uint64_t initstate, uint64_t initseq);

/* A new pcg32 generator seeded with (initstate, initseq); NULL on ENOMEM.
 * Free with gsl_rng_free. */
gsl_rng *as_rng_new(uint64_t initstate, uint64_t initseq);

/* A new generator of type T (as_rng_pcg32 or as_rng_pcg64) seeded with
 * (initstate, initseq); NULL on ENOMEM or another T.  Free with
 * gsl_rng_free. */
gsl_rng *as_rng_alloc(const gsl_rng_type *T, uint64_t initstate,
                      uint64_t initseq);

/* Deterministic (seed, stream) for unit (cell, replicate) of a run with
 * base seed `base`.  Distinct (cell, replicate) give distinct streams
 * (guaranteed for cell < 2^31 and replicate < 2^32; beyond that collisions
 * are only hash-improbable).  The rule, with m64 the splitmix64 finaliser
 * and m63 the same rounds taken mod 2^63 (a bijection of [0, 2^63)):
 *   key       = m64(base ^ 0x9e3779b97f4a7c15)
 *   u         = (cell·2^32 + replicate) mod 2^63
 *   initseq   = m63(u ^ (key mod 2^63))
 *   initstate = m64(key + m64(u + 0x9e3779b97f4a7c15)
 *                   + ⌊cell/2^31⌋·0xd1b54a32d192ed03
 *                   + ⌊replicate/2^32⌋·0xda942042e4dd58b5)   (mod 2^64) */
void as_rng_derive(uint64_t base, uint64_t cell, uint64_t replicate,
                   uint64_t *initstate, uint64_t *initseq);

#endif
