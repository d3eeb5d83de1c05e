/* as_features.h — the log-linear feature class (docs/reference.md §3.1).
 *
 * A feature map φ(x, y) ∈ R^d, stored as K·V rows of length d (row
 * x*V + y), defines the policy class π_w(y|x) ∝ exp(w·φ(x,y)) and the
 * reward class r_w(x,y) = w·φ(x,y); in both the logits of context x are
 * θ_x = Φ_x w with Φ_x the V×d block of context x.
 *
 * Objectives are the per-context ones of as_objective.h, unchanged
 * (docs/reference.md §3.1): F(w) = Σ_x f_x(Φ_x w), so by the chain rule
 *   ∇F = Σ_x Φ_xᵀ g_x(Φ_x w),   ∇²F = Σ_x Φ_xᵀ H_x(Φ_x w) Φ_x.
 * In particular the reward model's ridge (η_r/2)‖r_x‖² stays a ridge on
 * the rewards r = Φw (an N(0, 1/(nη_r)) prior on each reward), not on w.
 *
 * Instances.  Realizable: π* = π_{w*} with w* ~ N(0, (s²/d) I), so that
 * with N(0,1) features each logit w*·φ(x,y) is N(0, s²) as in the tabular
 * draw of docs/reference.md §1.1 (as_features_draw_instance).  Misspecified: π* from
 * the tabular draw (as_instance_draw), which a d < K(V−1) class contains
 * with probability 0.
 *
 * Cost: one evaluation is O(K·(V²·d + V·d²)), independent of n. */
#ifndef AS_FEATURES_H
#define AS_FEATURES_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "as_error.h"
#include "as_fit.h"
#include "as_instance.h"
#include "as_objective.h"

typedef struct as_features {
  size_t K, V, d;
  double *phi; /* K*V*d: φ(x,y)_j at phi[(x*V + y)*d + j] */
} as_features;

/* All-zero features; NULL on ENOMEM or a zero size. */
as_features *as_features_new(size_t K, size_t V, size_t d);
void as_features_free(as_features *f);

/* φ(x,y)_j ~ N(0,1) iid, drawn in storage order (x, then y, then j). */
int as_features_draw(as_features *f, gsl_rng *r, as_err *err);

/* θ = Φ w (K×V logits) and log π_w = row-wise log_softmax(Φ w). */
void as_features_logits(const as_features *f, const double *w, double *theta);
void as_features_log_policy(const as_features *f, const double *w,
                            double *log_pi);

/* Realizable instance: w* (length f->d, written to w_star) ~ N(0, s²/d I),
 * z_x = Φ_x w*, π* = softmax(z_x), then π_ref, μ, μ' and ρ exactly as
 * as_instance_draw builds them from z (docs/reference.md §1.1).  Draw order: the d
 * entries of w*, then per context ξ_x (V), ξ'_x (V, only for a drawn μ),
 * ξ''_x (V, only for a drawn μ'), then ρ (K exponentials, only when not
 * uniform).  inst must be K×V of the features. */
int as_features_draw_instance(as_instance *inst, const as_instance_params *p,
                              const as_features *f, gsl_rng *r,
                              double *w_star, as_err *err);

/* F(w) = Σ_x obj(ctx[x], Φ_x w) with gradient grad[d] and Hessian
 * hess[d*d] (each may be NULL).  ctx has f->K entries, ctx[x].V = f->V.
 * AS_EINVAL when obj rejects a context's data. */
int as_features_eval(const as_features *f, const as_objective_type *obj,
                     const as_ctx_data *ctx, const double *w, double *val,
                     double *grad, double *hess, as_err *err);

typedef struct as_features_opts {
  double tol;    /* stop when the Newton decrement λ²/2 ≤ tol (1e-20)   */
  long max_iter; /* Newton iteration cap (200)                          */
} as_features_opts;

void as_features_opts_default(as_features_opts *o);

typedef struct as_features_info {
  int status;       /* AS_OK, AS_ENOCONV or AS_EDIVERGE                 */
  long iterations;
  double criterion; /* final λ²/2 = −gᵀp/2                               */
  double f;         /* final F(w)                                        */
  size_t dropped;   /* Hessian directions treated as flat at the end     */
  /* Set by as_features_fit for the BT-type objectives without regulariser
   * (pmle at λ = 0, dpo, reward at ridge 0), 0 otherwise: 1 when the
   * separation test (as_features_separation) found no finite minimiser,
   * and its relative margin (0 when not separated or not tested). */
  int no_mle;
  double separation;
  /* 1 when the decrement met tol but a dropped (flat) Hessian direction
   * changes the policy: its logits are too improbable for the solver to
   * see (docs/reference.md §3 trap), so status is AS_ENOCONV, not AS_OK. */
  int blind;
  /* Multi-start record, set by as_features_fit (a single run elsewhere:
   * starts = 1, local_minima = 1 when it converged, 0 otherwise).  The
   * objectives that are not convex in w (see as_features_fit) run several
   * deterministic starts and keep the lowest F; this says what was seen.
   * It is evidence, not a certificate: no set of starts proves a
   * non-convex F's global minimum. */
  int starts;        /* Newton runs made                                 */
  int starts_failed; /* runs that ended AS_ENOCONV / AS_EDIVERGE         */
  int local_minima;  /* distinct end points among the converged runs:
                        F differing by more than 1e-9·max(1,|F|) AND a
                        policy differing (max |Δ log π| > 1e-6)          */
  int best_hits;     /* converged runs that reached the kept (lowest) F  */
  double minima_gap; /* highest − lowest F over the converged runs (0)   */
} as_features_info;

/* Damped Newton on F from w (overwritten).  The step is −H⁺g computed from
 * the eigen-decomposition of ∇²F: eigenvalues with |λ_i| ≤ 1e-12·max|λ|
 * are dropped (gauge or unused directions, e.g. when d ≥ K·V), negative
 * ones are replaced by |λ_i| (the KL term makes PMLE non-convex; |λ_i|
 * keeps the step a descent direction).  Backtracking (Armijo) line search;
 * the stop is the Newton decrement λ²/2 = −gᵀp/2, affine-invariant and
 * scale-free (docs/reference.md §3: never the raw gradient norm), plus, for each
 * dropped direction, (v_iᵀg)²/(2·1e-12·max|λ|): a gradient along a flat
 * direction (no minimiser) is never taken for convergence.
 * A dropped direction that changes the policy (max over contexts of the
 * spread of Φ_x v over responses above 1e-3 of its scale; gauge
 * directions give 0) is not taken for convergence either: that is the
 * docs/reference.md §3 trap (logits of tiny probability, RLHF at small λ), reported
 * as AS_ENOCONV with info->blind = 1.  A loss that only tends to its
 * infimum (ridge-free reward model on separated data) still lets the decrement fall with the loss: the iterate then stops far
 * out: this routine cannot tell (as_features_fit runs the exact existence
 * test as_features_separation first and reports AS_EDIVERGE).  Returns the status
 * (also in info), or AS_EINVAL / AS_ENOMEM with w unchanged. */
int as_features_minimize(const as_features *f, const as_objective_type *obj,
                         const as_ctx_data *ctx, const as_features_opts *o,
                         double *w, as_features_info *info, as_err *err);

/* Existence of a finite minimiser for the BT-type objectives without
 * regulariser (pmle at λ = 0, dpo, reward at ridge 0) over the feature
 * class.  Every observed record (P_xab > 0, a ≠ b) gives
 * z = φ(x,a) − φ(x,b) (β > 0 and DPO's offset Δℓref do not matter); the
 * infimum of −Σ P log σ(β z·w + c) is attained iff no direction u has
 * z·u ≥ 0 for every record and z·u > 0 for one (no complete or
 * quasi-complete separation: Albert & Anderson 1984).  Unlike the
 * per-context win graph (as_graph.h) this sees how w couples contexts.
 * Decided by the LP  max Σ z·u  s.t.  z·u ≥ 0 for every record,
 * −1 ≤ u_j ≤ 1, reduced exactly before it is solved: a record inside a
 * strongly connected component of its context's win graph lies on a
 * directed cycle whose z's telescope to 0, so z·u = 0 is forced there —
 * the LP keeps, per context, equalities tying each component's φ·u and one
 * inequality per ordered pair of components joined by an edge (without
 * any, e.g. every pair seen both ways, nothing can separate and no LP is
 * solved).  Hence a context that passes the win-graph criterion never
 * contributes to a separation; contexts that fail it may still be pinned
 * by the others through w.  Solved with GLPK's simplex; the answer is then
 * recomputed from the data: separated iff every row is within
 * 1e-9·‖z‖₁ of its bound and *margin = Σ z·u / Σ‖z‖₁ over the inequality
 * rows (∈ [0, 1]) exceeds 1e-9 (scale-free; rounding of φ leaves ~1e-16 on
 * non-separated data, and *margin is 0 then).  Cost: O(K·V³) for the
 * components plus an LP with at most K·V(V+1)/2 rows and d columns.
 * dir (length f->d, may be NULL) receives u when
 * separated (else 0): along w + t·u no BT term increases (up to that
 * rounding) and at least one falls to 0, so F decreases to its infimum
 * as t → ∞.  P is K·V·V as in as_fit.h.  AS_EINVAL
 * on bad arguments, AS_ENOCONV when GLPK reports no optimum or its
 * direction violates a record (inconclusive).  Uses GLPK and ends with
 * glp_free_env() (GLPK's per-thread environment would otherwise leak in
 * threads that exit): a caller must not hold GLPK objects of its own in
 * the calling thread across this call.  Thread-safe otherwise. */
int as_features_separation(const as_features *f, const double *P,
                           int *separated, double *margin, double *dir,
                           as_err *err);

/* Seed of the random starts of as_features_fit (fixed, so a fit is a
 * deterministic function of its inputs), and their default number. */
#define AS_FEATURES_START_SEED 20261126UL
#define AS_FEATURES_RANDOM_STARTS 4

/* Fits method o->method over the feature class from data d (P, Q,
 * log_rho, log_ref as in as_fit.h), starting from w (length f->d,
 * overwritten).  Supported: pmle, dpo (solved, not stepped: dpo_steps must
 * be 0), reward (w parametrises r_w; ridge NaN means 1/n, 0 in the
 * population), distill, rebel (paper form), rlhf, rkl.  Methods that use a
 * reward take it in `reward` (K×V, e.g. from as_features_fit_reward or
 * as_reward_fit); it must be NULL for pmle, dpo and reward.  rebel-iter is
 * AS_ENOTSUP.  Optimisation tolerances: o->tol (> 0) and o->max_iter (> 0)
 * when set, otherwise the defaults above.
 * Existence (docs/reference.md §3 "It says when it failed to converge"): for pmle at
 * λ = 0, dpo and reward at ridge 0 the separation test runs first; on
 * separation the Newton run is capped at 50 steps (as the tabular fit does),
 * w holds its last iterate, info->no_mle = 1 and the status is AS_EDIVERGE
 * with the direction in the message.  A ridge > 0 makes F coercive on the
 * rewards, so it needs no test; pmle at λ > 0 is not tested either, as in
 * the tabular fit — see as_features.c for why that is not a guarantee.
 * Local minima.  The objectives are convex in the logits θ where they are
 * built from BT log-likelihood, cross-entropy or squared terms of Δθ —
 * pmle, dpo, distill and rebel at λ = 0, and the reward model (its ridge
 * is a convex quadratic in Φw) — and θ = Φw is linear, so they are convex
 * in w: one Newton run suffices.  KL(π_θ‖π_ref) is not convex in θ, nor
 * is −E_{π_θ} r̂ (linear in π, not in θ), so rlhf and rkl (every λ) and
 * pmle, distill and rebel at λ > 0 can have several local minima in
 * w-space, even where the tabular problem has one (a reduced class Π_w is
 * not a convex set of distributions).  For those the fit runs
 * deterministic starts: the caller's w; w = 0 if that differs; the least-
 * squares projection (centred per context) of the TABULAR solution's
 * logits onto span(Φ) — as_rkl_closed_form for rlhf/rkl, the tabular
 * as_fit_with_reward / as_fit for the others; skipped when not finite —
 * then o->random_starts (0: AS_FEATURES_RANDOM_STARTS, < 0: none) draws
 * w ~ N(0, s²/d I) from GSL's mt19937 seeded AS_FEATURES_START_SEED,
 * alternating s = 1 and s = the projection's RMS logit.  The run with the
 * lowest F is kept (ties within the tolerance above prefer AS_OK), with
 * its status, iterations and criterion; info records what the rest found
 * (starts, starts_failed, local_minima, best_hits, minima_gap).  Cost:
 * up to 3 + random_starts Newton runs and one tabular fit. */
int as_features_fit(const as_features *f, const as_fit_opts *o,
                    const as_data *d, const double *reward, double *w,
                    as_features_info *info, as_err *err);

/* The reward model (eq. 9) over the feature reward class: w (length f->d)
 * and reward = Φ w (K×V).  E5 (docs/reference.md §3.1 "Why classes matter") then fits
 * a TABULAR policy to this reward with as_fit_with_reward (RKL,
 * distillation) or as_rkl_closed_form. */
int as_features_fit_reward(const as_features *f, const as_data *d,
                           double ridge, double *w, double *reward,
                           as_features_info *info, as_err *err);

/* Feature table file: one record a line, `context response f_1 ... f_d`
 * (blank- or tab-separated; '#' starts a comment; blank lines are skipped;
 * an optional header line, none of whose fields is a number — as_io.h
 * as_io_fields_are_header — so a typo in the first data row is an error,
 * not a skipped header).  d ≥ 1 is
 * inferred from the first data row and every row must have 2 + d fields;
 * context and response are 0-based integers below 2^24, every feature a
 * finite number.  Every (x, y) of a K×V grid must appear exactly once (a
 * duplicate is reported at its second line, a missing pair at the file's
 * last line); K and V are inferred as 1 + the largest index when *K / *V
 * are 0 on entry (and set on return), otherwise an index out of range is an
 * error.  Errors are AS_EPARSE "FILE:LINE: what (the value)", AS_EIO for a
 * file that cannot be opened.  *out is a new object (caller frees). */
int as_features_read(const char *path, size_t *K, size_t *V,
                     as_features **out, as_err *err);

#endif
