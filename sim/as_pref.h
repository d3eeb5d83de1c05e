/* as_pref.h — Bradley–Terry preference data as sufficient statistics
 * (docs/reference.md §2).
 *
 * A data set is summarised by counts N[x][a][b] = number of records with
 * winner a and loser b in context x (a == b allowed: equal draws carry no
 * information but count in n).  Unlabelled pairs for distillation use the
 * same structure with M[x][a][b] = number of ordered pairs (a, b). */
#ifndef AS_PREF_H
#define AS_PREF_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "as_error.h"
#include "as_instance.h"

typedef struct as_counts {
  size_t K, V;
  uint64_t n;        /* Σ of all cells                                 */
  uint64_t *N;       /* K*V*V cells, index (x*V + a)*V + b              */
} as_counts;

as_counts *as_counts_new(size_t K, size_t V);   /* all zero; NULL on ENOMEM */
void as_counts_free(as_counts *c);
/* Recomputes c->n from the cells; AS_EINVAL on 64-bit overflow. */
int as_counts_total(as_counts *c, as_err *err);

/* Cell probabilities p(x,a,b) of docs/reference.md §2 (sum to 1), for BT temperature
 * beta, into p[K*V*V]. */
int as_pref_cell_probs(const as_instance *inst, double beta, double *p,
                       as_err *err);

/* The same under label noise (docs/reference.md §2): each label flipped independently
 * with probability flip ∈ [0, ½), so σ(βΔℓ*) becomes P_ε = (1−ε)σ(βΔℓ*) +
 * εσ(−βΔℓ*).  flip = 0 is as_pref_cell_probs exactly. */
int as_pref_cell_probs_flip(const as_instance *inst, double beta, double flip,
                            double *p, as_err *err);

/* The checks of as_pref_cell_probs_flip (β, flip, instance) alone. */
int as_pref_cell_probs_check(const as_instance *inst, double beta,
                             double flip, as_err *err);

/* One context's V×V block of as_pref_cell_probs_flip (inputs already
 * checked): what the streamed runs recompute instead of holding K·V². */
void as_pref_cell_probs_ctx(const as_instance *inst, double beta, double flip,
                            size_t x, double *p);

/* Same for unlabelled ordered pairs: q(x,a,b) = ρ(x) μ'(a|x) μ'(b|x). */
int as_pref_pair_probs(const as_instance *inst, double *q, as_err *err);

/* One context's V×V block of as_pref_pair_probs (instance checked). */
void as_pref_pair_probs_ctx(const as_instance *inst, size_t x, double *q);

/* N ~ Multinomial(n, p) by conditional binomials over the K·V² cells:
 * cost independent of n (gsl_ran_binomial takes an unsigned int, so for
 * n > 2^30 each binomial first halves n by Beta-distributed order
 * statistics: at most 34 extra Beta draws per cell for any 64-bit n),
 * memory O(K·V²).  Counts sum to n exactly.  out must be K×V of the
 * instance; it is overwritten only on success. */
int as_pref_sample_counts(const as_instance *inst, double beta, uint64_t n,
                          gsl_rng *r, as_counts *out, as_err *err);

/* as_pref_sample_counts from the label-noise cell probabilities. */
int as_pref_sample_counts_flip(const as_instance *inst, double beta,
                               double flip, uint64_t n, gsl_rng *r,
                               as_counts *out, as_err *err);

/* The same law drawn record by record (x ~ ρ, y, y' ~ μ(·|x), winner by a
 * Bernoulli): O(n) time, kept as an independent route for tests and for
 * users who want the literal generative process. */
int as_pref_sample_records(const as_instance *inst, double beta, uint64_t n,
                           gsl_rng *r, as_counts *out, as_err *err);

/* The same, reporting progress: progress(done, n, user) is called with
 * done = 0 before the first record, after every AS_PREF_PROGRESS_EVERY
 * records and with done = n after the last (progress may be NULL).  The
 * draws, hence the counts for a given generator state, are those of
 * as_pref_sample_records; drawing on a terminal is the caller's business
 * (the CLI uses as_progress.h), the library does no terminal I/O. */
#define AS_PREF_PROGRESS_EVERY ((uint64_t)1 << 18)
typedef void (*as_pref_progress_fn)(uint64_t done, uint64_t total,
                                    void *user);
int as_pref_sample_records_progress(const as_instance *inst, double beta,
                                    uint64_t n, gsl_rng *r, as_counts *out,
                                    as_pref_progress_fn progress, void *user,
                                    as_err *err);

/* Records with label noise: after a record's label is drawn, a second
 * Bernoulli(flip) (drawn only when flip > 0 and y ≠ y') swaps winner and
 * loser — the literal process of docs/reference.md §2, an independent route to
 * as_pref_cell_probs_flip.  flip = 0 gives the draws of
 * as_pref_sample_records_progress exactly. */
int as_pref_sample_records_flip(const as_instance *inst, double beta,
                                double flip, uint64_t n, gsl_rng *r,
                                as_counts *out, as_pref_progress_fn progress,
                                void *user, as_err *err);

/* out[0..C) ~ Multinomial(n, p / Σp) by conditional binomials, the engine
 * of as_pref_sample_counts and as_pref_sample_unlabelled; p must be finite
 * and ≥ 0 with Σp > 0 (AS_EINVAL otherwise). */
int as_pref_multinomial(gsl_rng *r, uint64_t n, const double *p, size_t C,
                        uint64_t *out, as_err *err);

/* M ~ Multinomial(m, ρ μ' μ') (unlabelled pairs, docs/reference.md §2). */
int as_pref_sample_unlabelled(const as_instance *inst, uint64_t m,
                              gsl_rng *r, as_counts *out, as_err *err);

/* The same multinomials drawn context by context (issue 8): memory O(K +
 * V²) instead of K·V², and exactly the draws of as_pref_sample_counts_flip
 * (pairs = 0) or as_pref_sample_unlabelled (pairs = 1, beta and flip
 * unused) on generator r (borrowed, advanced by each call).  A backward
 * pre-pass computes the suffix mass at every context boundary (K·V²
 * probability evaluations), so the conditional binomials of each context
 * see the whole-table S_i bit for bit. */
typedef struct as_pref_stream as_pref_stream;
int as_pref_stream_new(const as_instance *inst, int pairs, double beta,
                       double flip, uint64_t n, gsl_rng *r,
                       as_pref_stream **out, as_err *err);
/* The next context's V×V counts (contexts 0, 1, … in order). */
int as_pref_stream_next(as_pref_stream *s, uint64_t *N, as_err *err);
void as_pref_stream_free(as_pref_stream *s);

#endif
