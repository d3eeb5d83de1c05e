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
 * as_rng_seed() sets both numbers of the reference API.
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

/* Deterministic (seed, stream) for unit (cell, replicate) of a run with
 * base seed `base`.  Distinct (cell, replicate) give distinct streams. */
void as_rng_derive(uint64_t base, uint64_t cell, uint64_t replicate,
                   uint64_t *initstate, uint64_t *initseq);

#endif
