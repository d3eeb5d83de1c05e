/* as_solve.h — exact-gradient damped Newton for one context's objective
 * (docs/reference.md §3, "Exact gradient").
 *
 * Minimises f_x(θ), θ ∈ R^V, given by an as_objective_type, with Newton
 * steps on the exact Hessian and a backtracking (Armijo) line search.
 *
 * Gauge.  Most objectives satisfy f(θ + c·1) = f(θ), so the Hessian is
 * singular along 1.  With opts.gauge = 1 the solver pins the coordinate of
 * largest logit (step 0 there; any step can be shifted along 1) and
 * centres the step, which is the pseudo-inverse step −H⁺g when 1 is the
 * only null direction.  The reduced system is scaled to unit diagonal
 * before its Cholesky factorisation, so logits of tiny probability keep
 * their full Newton step.  A response no term touches keeps step 0;
 * indefinite Hessians (PMLE's KL term is not convex in θ) get the smallest
 * shift τI (scaled units) that lets the factorisation succeed.
 *
 * Stopping (docs/reference.md §3, "Exact gradient").  Both must hold:
 *  - the Newton decrement λ²/2 = gᵀH⁻¹g/2 ≤ tol: affine- and
 *    gauge-invariant, ≈ f − f* in the units of f (as_fit makes f O(1) per
 *    context by dividing each context's terms by its weight);
 *  - the largest component of the (centred) Newton step ≤ step_tol, in
 *    nats of logit: gauge-free and independent of f's scale.
 * Why both: the reference's (docs/reference.md) trap — on a logit of tiny probability the gradient AND
 * the decrement vanish (both carry a factor π_y) while the logit is still
 * hundreds of nats from its optimum and the forward KL far off (RLHF at
 * λ = 0.05 stopped with the forward KL off by 14.7; the decrement alone
 * reproduces that, see tests/test_solve.c).  The Newton step of such a
 * logit stays O(1) until it arrives, so the second test catches it.  Far
 * from the optimum Newton moves such a logit ~1 nat per iteration (the
 * curvature is exponential), hence the generous iteration cap.
 * A step changes no logit by more than 30 nats (f cannot see a logit of
 * tiny probability, so an oversized step there would pass the line search
 * and could push it into underflow).
 * Large V (opts.large_v): the direction −H⁺g of the same reduced, scaled
 * system by conjugate gradients (O(V²) per product instead of O(V³)), to
 * a relative residual min(1e-2, ‖b‖) floored at 1e-11, b the scaled
 * gradient (inexact Newton: loose far from the optimum, as tight as the
 * factorisation where the stopping rule reads the decrement and the
 * step; tests/test_large_v.c compares the two).
 * Limit: a probability below ~e^-745 underflows to 0 in double, its
 * gradient and curvature are exactly 0 and the logit is invisible to any
 * gradient method; RLHF at λ → 0 gets there (log π_λ ∝ r̂/λ). */
#ifndef AS_SOLVE_H
#define AS_SOLVE_H

#include <stddef.h>

#include "as_error.h"
#include "as_objective.h"

typedef struct as_solve_opts {
  double tol;    /* stop when λ²/2 ≤ tol ...              (default 1e-20) */
  long max_iter; /* Newton iteration cap                    (default 5000) */
  int gauge;     /* 1: f is invariant under θ + c·1         (default 1)   */
  double step_tol; /* ... and max |Newton step| ≤ step_tol nats (1e-9)   */
  /* θ are the logits of a policy whose entries below e^logp_floor cannot
   * be vouched for (the caller's rule): stop as soon as an entry is below
   * it, or is predicted to end below it, and the Newton step still lowers
   * it — AS_EDIVERGE when the entry's tail has no root ahead (it runs
   * off), else AS_ENOCONV (a minimiser beyond double range).  Far from
   * the optimum such an entry moves ~1 nat per step and never comes back
   * ("Stopping" above), so running on spends hundreds of steps to reach
   * the verdict the caller gives anyway.  −INFINITY: off (default). */
  double logp_floor;
  /* From V = large_v on (default AS_SOLVE_LARGE_V): the objective is
   * prepared once per solve (as_obj_prepare) and the Newton direction is
   * solved by conjugate gradients (as_cg.h), the dense factorisation
   * being the fallback where CG meets non-positive curvature.  Same
   * direction, same stopping rule; SIZE_MAX: always dense (tests compare
   * the two).  Below large_v an objective with an exact prepared form
   * (as_obj_prepare_exact: distill) uses it — the same bits, less work. */
  size_t large_v;
} as_solve_opts;

/* Why 128: every experiment of the gallery has V ≤ 10 and stays
 * bit-identical; from V ≈ 100 on CG is the faster direction (bench_solve,
 * bench/README.md). */
#define AS_SOLVE_LARGE_V 128

void as_solve_opts_default(as_solve_opts *o);

typedef struct as_solve_info {
  int status;       /* AS_OK, AS_ENOCONV or AS_EDIVERGE                   */
  long iterations;  /* Newton steps taken                                 */
  double criterion; /* final λ²/2                                         */
  double f;         /* final objective value                              */
  double step;      /* final largest |Newton step component| (nats)       */
  long hv_products; /* Hessian–vector products of the CG directions       */
  long factorisations; /* dense Cholesky factorisations (shift ladder)     */
  long evals;       /* objective evaluations                              */
} as_solve_info;

/* Minimises obj on d starting from theta[V] (overwritten with the result;
 * with opts.gauge = 1 it is returned centred, Σθ = 0).
 * Returns info->status (AS_OK, AS_ENOCONV when the cap or a failed line
 * search stopped it, AS_EDIVERGE when θ or f stopped being finite), or
 * AS_EINVAL / AS_ENOMEM (θ unchanged) with a message.  info may be NULL.
 * d->prep NULL: the solve prepares obj on d itself (as_solve_prepare);
 * else it must be as_solve_prepare's for this very data and o. */
int as_solve_newton(const as_objective_type *obj, const as_ctx_data *d,
                    const as_solve_opts *o, double *theta,
                    as_solve_info *info, as_err *err);

/* *out = the prepared form of obj on d that as_solve_newton uses under o
 * (NULL: none, or d's data are invalid and the evaluation reports them;
 * o NULL: the defaults), to be put in a copy of d as .prep and freed with
 * as_obj_prep_free.  Why: the prepared form depends on the data, not on
 * λ, ρ or the start, so solves over a λ grid can share one (E7: 19 λ per
 * context); AS_OK or AS_ENOMEM. */
int as_solve_prepare(const as_objective_type *obj, const as_ctx_data *d,
                     const as_solve_opts *o, as_obj_prep **out);

#endif
