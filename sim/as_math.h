/* as_math.h — numerically stable log-space primitives shared by every
 * module (docs/reference.md §1: every probability is kept in log space).  Nothing else
 * in the project re-implements these. */
#ifndef AS_MATH_H
#define AS_MATH_H

#include <stddef.h>

/* log Σ_i exp(x_i), stable; returns -INFINITY for n == 0 or all -inf. */
double as_logsumexp(const double *x, size_t n);

/* out_i = x_i − logsumexp(x); out may alias x. */
void as_log_softmax(const double *x, size_t n, double *out);

/* log σ(t) = −log(1 + e^{−t}), accurate for all t (no overflow, no
 * cancellation for large |t|). */
double as_log_sigmoid(double t);

/* σ(t), accurate for all t. */
double as_sigmoid(double t);

/* log(1 − exp(x)) for x ≤ 0 (Mächler 2012), used for log(1 − σ). */
double as_log1mexp(double x);

#endif
