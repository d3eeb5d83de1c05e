/* as_metrics.h — exact evaluation metrics of a learned policy (SPEC §4).
 *
 * All are computed in log space from the K×V log-probability tables and
 * averaged over x ~ ρ.  A policy may hold -inf entries (a method that
 * really produces zeros); then KL(π*‖π̂) = +inf and is reported as such. */
#ifndef AS_METRICS_H
#define AS_METRICS_H

#include <stddef.h>

#include "as_error.h"
#include "as_instance.h"

/* Per-context divergences between two log-probability rows of length V. */
double as_kl(const double *logp, const double *logq, size_t V);  /* KL(p‖q) */
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

/* Evaluates log_pi (K×V) against the instance with BT temperature beta.
 * reward (K×V) may be NULL. */
int as_metrics_compute(const as_instance *inst, double beta,
                       const double *log_pi, const double *reward,
                       as_metrics *out, as_err *err);

#endif
