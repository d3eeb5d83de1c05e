/* as_rates.h — convergence-rate fits (docs/reference.md §6, E1/E2): the log-log slope
 * of the median error against n, by least squares (GSL gsl_fit_linear,
 * whose covariance gives the standard error) and a percentile bootstrap
 * over replicates.  Replicates are paired across n (the same instance per
 * replicate, as_experiment.h), so a bootstrap sample draws replicate
 * indices once and uses them at every n. */
#ifndef AS_RATES_H
#define AS_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "as_error.h"

typedef struct as_rate_fit {
  double slope, intercept; /* log median = intercept + slope · log n        */
  double slope_se;         /* from gsl_fit_linear's covariance (residual σ)  */
  double ci_lo, ci_hi;     /* 2.5 % and 97.5 % bootstrap quantiles           */
  size_t points;           /* n values used (n ≥ min_n, finite, median > 0)  */
  long boot;               /* bootstrap resamples that gave a slope          */
} as_rate_fit;

/* Median of v[0..k) ignoring NaN (sorts a copy); NAN when none. */
double as_rate_median(const double *v, size_t k);

/* vals is npts × R row-major: vals[i*R + r] is replicate r's error at n[i]
 * (NAN when missing).  Uses the points with min_n ≤ n[i] < ∞; needs at
 * least two (AS_EINVAL otherwise).  n_boot resamples (≥ 0) drawn from a
 * pcg32 generator seeded with `seed` — a fixed seed gives a fixed CI. */
int as_rate_fit_medians(const double *n, size_t npts, const double *vals,
                        size_t R, double min_n, long n_boot, uint64_t seed,
                        as_rate_fit *out, as_err *err);

#endif
