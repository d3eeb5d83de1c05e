/* as_atlas.h — the per-context solvers of the objective atlas (docs/reference.md §3.2)
 * that are not a Newton solve of an as_objective_type: the hinge (SLiC-HF)
 * as an exact linear programme with a uniqueness test, rDPO's
 * unboundedness test, SPPO's exact self-play rounds and the KL-regularised
 * Nash equilibrium.  as_fit.c calls them per context; the floors
 * (as_floors.h) call them with the population preference matrix.  The
 * two linear programmes end with glp_free_env() (GLPK's per-thread
 * environment would otherwise leak in threads that exit): a caller must
 * not hold GLPK objects of its own in the calling thread across them. */
#ifndef AS_ATLAS_H
#define AS_ATLAS_H

#include <stddef.h>

#include "as_error.h"

/* Hinge / SLiC-HF: minimise Σ_ab P_ab max(0, 1 − c·(h_a − h_b)), h = θ −
 * log π_ref (NULL: uniform), over h ∈ R^V by GLPK's simplex (the loss is
 * piecewise linear; an LP is exact where Newton cannot work).  theta (V)
 * receives log π_ref + h* for one optimal h* (centred).  *unique = 1 when
 * every h_y − h_0 takes a single value over the optimal face (min and max
 * of each over {loss ≤ opt + 1e-9(1 + opt)} agree to 1e-7), else 0 (a
 * response no record touches makes it 0 too).  *value: the optimum. */
int as_atlas_hinge_lp(size_t V, const double *P, const double *log_ref,
                      double c, double *theta, int *unique, double *value,
                      as_err *err);

/* rDPO (assumed flip rate eps, temperature c): the least recession slope
 * of the loss over directions d ∈ [−1, 1]^V (d_0 = 0) — an LP, exact.  The
 * loss is convex (per pair a cross-entropy with target (f−ε)/(1−2ε)); it
 * is unbounded below iff this slope is < 0, which happens only when some
 * pair's win fraction f leaves [ε, 1−ε] (docs/reference.md §3.2). */
int as_atlas_rdpo_recession(size_t V, const double *P, double eps, double c,
                            double *slope, as_err *err);

/* Preference matrix M_yb = σ(r_y − r_b) of a reward (V×V, M_yy = ½). */
void as_atlas_pref_of_reward(size_t V, const double *r, double *M);

/* SPPO (docs/reference.md §3.2): T exact rounds π_{t+1}(y) ∝ π_t(y) exp(η (P(y ≻ π_t)
 * − ½)), P(y ≻ π) = Σ_b M_yb π_b, from π_0 = π_ref (log_ref, NULL:
 * uniform), in log space.  *collapsed = 1 when the result is numerically
 * deterministic (largest π ≥ 1 − 1e-12: the collapse onto the von Neumann
 * winner that T → ∞ gives). */
void as_atlas_sppo(size_t V, const double *M, const double *log_ref,
                   double eta, long T, double *log_pi, int *collapsed);

/* The KL-regularised Nash equilibrium π ∝ π_ref exp(P(y ≻ π)/λ), λ > 0,
 * by Newton on the fixed-point residual R(ℓ) = ℓ − log softmax(log π_ref +
 * M e^ℓ/λ) with a backtracking line search on max|R| and, where Newton
 * stalls, damped fixed-point steps.  Stops when max|R| ≤ tol; AS_ENOCONV
 * after max_iter.  *iters and *resid report the work and the final max|R|. */
int as_atlas_nash(size_t V, const double *M, const double *log_ref,
                  double lambda, double tol, long max_iter, double *log_pi,
                  long *iters, double *resid, as_err *err);

#endif
