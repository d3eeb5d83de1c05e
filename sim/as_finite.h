/* as_finite.h — finite policy classes and exact estimators by enumeration
 * (docs/reference.md §3.1 "finite", paper Assumption 1).
 *
 * A finite class Π holds M policies on the same K×V grid, each a K×V table
 * of natural-log probabilities (row-major, entry x*V + y, every row
 * normalised).  It is built either as
 *   - π* plus perturbations of π* at chosen distances (as_finite_generate):
 *     member 0 is π*, and for each requested distance d_j and each
 *     i < per_distance, member 1 + j*per_distance + i is
 *     softmax(ℓ* + ε g) with g a fresh K×V standard Gaussian direction and
 *     ε > 0 solved so that E_ρ KL(π* ‖ member) = d_j; or
 *   - read from a file (as_finite_read, format below).
 *
 * Estimators over Π are exact argmins by enumeration: every member's
 * objective is evaluated from the normalised counts P = N/n (or Q = M/m),
 * so the cost is O(M·K·V²) whatever n is, and scaling all counts by a
 * constant changes nothing.  Ties are broken by the LOWEST member index
 * (a member replaces the incumbent only when its value is strictly
 * smaller), so the result is deterministic.
 *
 * The reward class induced by Π is {r_π = β log π : π ∈ Π}.  Its BT
 * log-loss −Σ P_xab log σ(r_π(x,a) − r_π(x,b)) is term by term the PMLE
 * loss −Σ P_xab log σ(β Δℓ_π,ab) at λ = 0, so as_finite_reward returns the
 * same member as as_finite_pmle with λ = 0 (tests/test_class.c checks it).
 * No ridge is applied over a finite class: the class itself keeps the fit
 * finite, and a ridge on β log π would depend on the gauge of the table. */
#ifndef AS_FINITE_H
#define AS_FINITE_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "as_error.h"
#include "as_fit.h"
#include "as_instance.h"

typedef struct as_finite_class {
  size_t M, K, V;
  double *log_pi; /* M*K*V; member m's table starts at log_pi + m*K*V */
} as_finite_class;

/* A class of M members, every row uniform; NULL on ENOMEM or a zero size. */
as_finite_class *as_finite_new(size_t M, size_t K, size_t V);
void as_finite_free(as_finite_class *c);

/* Member m's K×V log-table (m < c->M). */
const double *as_finite_member(const as_finite_class *c, size_t m);

/* E_ρ KL(π* ‖ π_m) for member m, with ρ and π* taken from inst. */
double as_finite_distance(const as_instance *inst, const as_finite_class *c,
                          size_t m);

/* Perturbation along a ray.  D(ε) = E_ρ KL(π* ‖ softmax(ℓ* + ε g)) has
 * D(0) = 0, D'(0) = 0 and D''(ε) = E_ρ Var_{π_ε}(g) ≥ 0, so D is convex and
 * nondecreasing on ε ≥ 0, strictly increasing as soon as g is not constant
 * over responses in some context (almost sure for Gaussian g); D(ε) → ∞ as
 * ε → ∞ because π* has full support.  Hence D(ε) = d has exactly one root
 * ε > 0 for every d > 0, bracketed by doubling and found with GSL's Brent
 * solver to |D(ε) − d| ≤ 1e-12·max(1, d).  g constant over responses in
 * every context (D ≡ 0) is reported as AS_EINVAL.
 * log_pi (K×V) receives the member; *eps (may be NULL) the scale. */
int as_finite_perturb(const as_instance *inst, const double *g, double d,
                      double *log_pi, double *eps, as_err *err);

/* π* plus n_dist·per_distance perturbations (layout above).  Draw order:
 * for j < n_dist, for i < per_distance, for x < K, for y < V:
 * g[x][y] = gsl_ran_gaussian(r, 1).  Every distance must be finite and
 * > 0 (d = 0 would duplicate π*).  *out is a new class (caller frees). */
int as_finite_generate(const as_instance *inst, const double *distances,
                       size_t n_dist, size_t per_distance, gsl_rng *r,
                       as_finite_class **out, as_err *err);

/* File format: one record a line, `member context response log_prob`
 * (blank- or tab-separated; '#' starts a comment; blank lines are skipped;
 * an optional header line, none of whose fields is a number — as_io.h
 * as_io_fields_are_header — so a typo in the first data row is an error,
 * not a skipped header).  member,
 * context, response are 0-based integers.  Every (member, x, y) of an
 * M×K×V grid must appear exactly once; M is 1 + the largest member index,
 * K and V are inferred the same way when *K / *V are 0 on entry, otherwise
 * an index out of range is an error.  Each row must be a log-distribution
 * (logsumexp within 1e-6 of 0; -inf is allowed, NaN and +inf are not); it
 * is then normalised exactly.  Errors are AS_EPARSE "FILE:LINE: ...". */
int as_finite_read(const char *path, size_t *K, size_t *V,
                   as_finite_class **out, as_err *err);

/* Writes the class in the format above (header `member context response
 * log_prob`, %.17g), to PATH.tmp.PID first and then renamed. */
int as_finite_write(const char *path, const as_finite_class *c, as_err *err);

/* Index of the first member equal to π* (every entry within tol), or
 * c->M when π* is not in the class (Assumption 1 fails). */
size_t as_finite_find_star(const as_instance *inst, const as_finite_class *c,
                           double tol);

/* ---- exact estimators by enumeration ------------------------------------
 * Each fills values[m] (when values is non-NULL; length c->M) with member
 * m's objective and *argmin with the first minimiser.  d->P (and d->Q for
 * distillation) are the normalised counts of as_fit.h; d->log_rho and
 * d->log_ref may be NULL (uniform).  Members with -inf entries are
 * allowed; their objective may be +inf.  A NaN objective is AS_EINVAL. */

/* PMLE (docs/reference.md §3, eq. 4–5): −Σ P_xab log σ(β Δℓ_ab) + λ E_ρ KL(π ‖ π_ref). */
int as_finite_pmle(const as_finite_class *c, const as_data *d, double beta,
                   double lambda, double *values, size_t *argmin,
                   as_err *err);

/* BT reward model over the reward class {β log π : π ∈ c} (eq. 9, no
 * ridge).  When reward (K×V) is non-NULL it receives β log π_argmin. */
int as_finite_reward(const as_finite_class *c, const as_data *d, double beta,
                     double *values, size_t *argmin, double *reward,
                     as_err *err);

/* Preference distillation (eq. 11–12) with reward r̂ (K×V):
 * Σ Q_xab KL(Bern(σ(r̂_a − r̂_b)) ‖ Bern(σ(β Δℓ_ab))) + λ E_ρ KL(π ‖ π_ref). */
int as_finite_distill(const as_finite_class *c, const as_data *d,
                      const double *reward, double beta, double lambda,
                      double *values, size_t *argmin, as_err *err);

/* Reverse KL (eq. 15) with reward r̂: E_ρ[−E_π r̂ − γ H(π)] + λ E_ρ KL(π‖π_ref).
 * O(M·K·V). */
int as_finite_rkl(const as_finite_class *c, const as_data *d,
                  const double *reward, double lambda, double gamma,
                  double *values, size_t *argmin, as_err *err);

#endif
