/* as_metrics.h — exact evaluation metrics of a learned policy (docs/reference.md §4).
 *
 * All are computed in log space from the K×V log-probability tables and
 * averaged over x ~ ρ.  A policy may hold -inf entries (a method that
 * really produces zeros); then KL(π*‖π̂) = +inf and is reported as such.
 *
 * Normalisation is not a precondition: every function normalises each row
 * itself (subtracts its logsumexp), so a row stands for the distribution
 * it is proportional to — logits θ can be passed as they are, and adding a
 * constant to a row changes nothing.  A row with a NaN or +inf entry, or
 * with no mass (all -inf), is not a distribution: the per-row functions
 * return NaN for it and as_metrics_compute returns AS_EINVAL.  Conventions:
 * 0·log 0 = 0; KL(p‖q) = +inf when q has a zero where p has mass. */
#ifndef AS_METRICS_H
#define AS_METRICS_H

#include <stddef.h>

#include "as_error.h"
#include "as_instance.h"

/* Per-context divergences between two log-probability rows of length V. */
double as_kl(const double *logp, const double *logq, size_t V);  /* KL(p‖q) */
/* as_kl against one p many times (a root search along a ray, say): p's
 * side prepared once — a[V], p[V] and the returned normaliser zp — then
 * as_kl_prepared(logp, zp, a, p, logq, V) is as_kl(logp, logq, V) bit for
 * bit at about half its exponentials. */
double as_kl_prepare(const double *logp, size_t V, double *a, double *p);
double as_kl_prepared(const double *logp, double zp, const double *a,
                      const double *p, const double *logq, size_t V);
double as_tv(const double *logp, const double *logq, size_t V);
double as_hellinger2(const double *logp, const double *logq, size_t V); /* 1 − Σ√(pq) */
double as_entropy(const double *logp, size_t V);

typedef struct as_metrics {
  double fwd_kl;       /* E_ρ KL(π* ‖ π̂)                                   */
  double rev_kl;       /* E_ρ KL(π̂ ‖ π*)                                   */
  double tv;           /* E_ρ TV(π*, π̂)                                    */
  double hellinger2;   /* E_ρ H²(π*, π̂) = 1 − Σ √(π* π̂)                   */
  double entropy;      /* E_ρ H(π̂)                                         */
  double kl_ref;       /* E_ρ KL(π̂ ‖ π_ref)                                */
  double true_reward;  /* E_ρ E_{y~π̂} β log π*(y|x)                        */
  double win_rate;     /* E_ρ E_{y~π̂, y'~π_ref} σ(β(ℓ*_y − ℓ*_y'))          */
  double reward_score; /* E_ρ E_{y~π̂} r̂(x,y), NaN when no reward is given   */
} as_metrics;

/* Names of the fields above in order, for CSV headers and `name value`
 * output; AS_METRICS_COUNT of them. */
#define AS_METRICS_COUNT 9
extern const char *const as_metrics_names[AS_METRICS_COUNT];
/* The fields as an array in the order of as_metrics_names. */
void as_metrics_to_array(const as_metrics *m, double out[AS_METRICS_COUNT]);

/* Evaluates log_pi (K×V; logits are fine, rows are normalised inside)
 * against the instance with BT temperature beta > 0.  reward (K×V) may be
 * NULL (then reward_score = NaN); otherwise it must be finite.  AS_EINVAL
 * for a row that is not a distribution, a zero of π* (docs/reference.md §1: full
 * support), or a non-finite reward.  Contexts with ρ(x) = 0 are skipped, so
 * an infinite KL there does not make the average NaN.  Cost O(K·V²) (the
 * win-rate's double sum). */
int as_metrics_compute(const as_instance *inst, double beta,
                       const double *log_pi, const double *reward,
                       as_metrics *out, as_err *err);

/* The win rate's inner sum E_{y'~π_ref} P*(y ≻ y') for every (x, y) into
 * w (K·V): the O(K·V²) part of as_metrics_compute, which does not depend
 * on π̂, so a unit computes it once for all its candidates. */
int as_metrics_win_ref(const as_instance *inst, double beta, double *w,
                       as_err *err);
/* as_metrics_compute with that sum given (win from as_metrics_win_ref at
 * the same β; NULL: computed here): the same values bit for bit. */
int as_metrics_compute_win(const as_instance *inst, double beta,
                           const double *log_pi, const double *reward,
                           const double *win, as_metrics *out, as_err *err);

/* E_ρ KL(π* ‖ π̂) alone, bit-identical to as_metrics_compute's fwd_kl and
 * with its checks (except the reward's): what oracle tuning over a λ grid
 * needs per candidate (the other metrics only for the chosen λ). */
int as_metrics_fwd_kl(const as_instance *inst, double beta,
                      const double *log_pi, double *fwd_kl, as_err *err);

/* as_metrics_fwd_kl's sum, context by context: sum plus context x's term
 * (row: its log-policy, checked by the caller; zrho = as_logsumexp of
 * inst->log_rho).  Summed from 0.0 over x = 0 … K − 1 it is
 * as_metrics_fwd_kl's value bit for bit, and it only grows once above
 * AS_METRICS_FWD_KL_GROWS: each term ρ·KL is ≥ 0 as computed (as_kl
 * adds p φ(d) ≥ 0 term by term) except in the subnormal range, where
 * one can round below 0 by less than 2^-1010 — added to a sum ≥ 2^-900
 * it rounds away.  So a partial sum above a value ≥ that bound proves
 * the whole sum above it (oracle tuning's early exits). */
double as_metrics_fwd_kl_add(const as_instance *inst, double zrho, size_t x,
                             const double *row, double sum);
#define AS_METRICS_FWD_KL_GROWS 0x1p-900

/* ---- Screening a λ grid by its forward KL
 *
 * Oracle tuning needs the candidate of least forward KL, and the value of
 * that one only.  A target prepares π*'s side once per instance (each
 * row's normaliser, log-probabilities and probabilities); for a candidate,
 * as_metrics_fwd_kl_screen returns the cross-entropy form
 * est = E_ρ Σ_y π*(y)(log π*(y) − log π̂(y)) and a bound with
 * |est − as_metrics_fwd_kl| ≤ bound (the derivation is in as_metrics.c).
 * It costs V exponentials per row where as_metrics_fwd_kl costs about 4V
 * and a Taylor series; a caller computes the exact value only where the
 * bounds cannot rule a candidate out (as_tab_run_grid), so the choice and
 * every reported number are those of the exact values. */
typedef struct as_metrics_target as_metrics_target;

/* The target of inst (borrowed: it must outlive the target) at β;
 * AS_EINVAL for β not positive and finite, AS_ENOMEM. */
int as_metrics_target_new(const as_instance *inst, double beta,
                          as_metrics_target **out, as_err *err);
void as_metrics_target_free(as_metrics_target *t);
/* Whether t was prepared from this instance at this β. */
int as_metrics_target_is(const as_metrics_target *t, const as_instance *inst,
                         double beta);

/* The estimate and its bound for log_pi (K×V); AS_EINVAL, with
 * as_metrics_fwd_kl's message, for a policy row that is not a
 * distribution.  *est = +inf with *bound = 0 when π̂ has a zero where π*
 * has mass (the exact value is +inf too); NaN for both when π* has a row
 * the screen cannot use (a zero or a non-finite entry): compute exactly. */
int as_metrics_fwd_kl_screen(const as_metrics_target *t,
                             const double *log_pi, double *est,
                             double *bound, as_err *err);
/* The same for the policy whose rows are as_log_softmax(ξ) of logits ξ
 * (K×V), without forming them: one exponential per entry where forming
 * the rows and screening them costs two (a closed form's candidates keep
 * ξ and form rows only where the screen cannot rule them out). */
/* Either screen (logits: the rows are logits ξ), stopped as soon as the
 * rows screened so far prove the forward KL above cap: then *above = 1,
 * *est is a floor above cap, *bound NaN, and the later rows are neither
 * screened nor checked (give only rows known to be distributions, e.g. a
 * converged fit's).  cap below 2^-900 or NaN: never stopped, *above = 0
 * and the screen's estimate and bound. */
int as_metrics_fwd_kl_screen_above(const as_metrics_target *t,
                                   const double *rows, int logits,
                                   double cap, double *est, double *bound,
                                   int *above, as_err *err);
int as_metrics_fwd_kl_screen_logits(const as_metrics_target *t,
                                    const double *xi, double *est,
                                    double *bound, as_err *err);

#endif
