/* as_floors.h — population solutions, floors and verdicts of the objective
 * atlas (docs/reference.md §3.2, "Verdict"; E11).
 *
 * Each method has one tuned hyperparameter (as_floor_tuning): λ for the
 * KL-anchored methods and Nash, β_d for the DPO family (DPO, cDPO, rDPO,
 * GPO, SLiC, SimPO, χPO), τ for IPO, α for ORPO, T for SPPO; the others
 * keep their declared defaults (as_hparam.c) or the configuration's.  The
 * population solution at a value is as_fit on the population weights
 * (n = ∞: p of docs/reference.md §2 with the label noise, Q = ρμ'μ', ridge 0); the floor
 * F_method = inf over the tuned value of E_ρ KL(π* ‖ π_pop) is found on a
 * log grid (plus the value 0 where it is admissible) refined by GSL's
 * Brent minimiser in log scale between the grid neighbours of the best
 * point.  The verdict is "consistent" when the floor is ≤ 1e-9 (then the
 * argmin is the method's π*-free principled value, e.g. PMLE λ = 0) and
 * "floor" otherwise. */
#ifndef AS_FLOORS_H
#define AS_FLOORS_H

#include <stddef.h>

#include "as_error.h"
#include "as_fit.h"
#include "as_instance.h"

typedef enum {
  AS_TUNE_LAMBDA = 0, AS_TUNE_BETA_DPO, AS_TUNE_TAU, AS_TUNE_ALPHA,
  AS_TUNE_ROUNDS, AS_TUNE_NONE
} as_tune_param;

typedef struct as_floor_tuning {
  as_tune_param param;
  const char *name;   /* "lambda", "beta_dpo", "tau", "alpha", "T"       */
  double lo, hi;      /* log grid range (ignored for λ: the config's)    */
  int with_zero;      /* 0 is also a candidate                           */
  int with_beta;      /* β itself is also a candidate (SimPO β_d = β)    */
} as_floor_tuning;

as_floor_tuning as_floor_tuning_of(as_method m);

/* o's tuned field := v (T rounded to an integer ≥ 1). */
void as_floor_set(as_fit_opts *o, as_method m, double v);

/* The candidate values of m's tuned hyperparameter: `points` log-spaced
 * values over [lo, hi] (λ: the `lambda_grid` given), then 0 / β when the
 * tuning says so; *out (malloc'd) and *count. */
int as_floor_grid(as_method m, double beta, const double *lambda_grid,
                  size_t n_lambda, size_t points, double **out,
                  size_t *count, as_err *err);

typedef struct as_floor {
  double floor;    /* inf E_ρ KL(π*‖π_pop)                                */
  double argmin;   /* the tuned value attaining it                         */
  int consistent;  /* floor ≤ 1e-9                                         */
  size_t evals;    /* population fits spent                                */
} as_floor;

/* Population KL of method m (options base, its tuned field set to v) on
 * inst at temperature beta and label noise flip. */
int as_floor_kl_at(const as_instance *inst, double beta, double flip,
                   const as_fit_opts *base, double v, double *kl,
                   as_err *err);

/* F_method as above (grid of `points` per decade-free range, λ from
 * lambda_grid). */
int as_floor_method(const as_instance *inst, double beta, double flip,
                    const as_fit_opts *base, const double *lambda_grid,
                    size_t n_lambda, size_t points, as_floor *out,
                    as_err *err);

#endif
