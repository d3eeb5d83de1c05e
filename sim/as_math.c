/* as_math.c — see as_math.h. */
#include "as_math.h"

#include <math.h>

double as_logsumexp(const double *x, size_t n)
{
  double m = -INFINITY, s = 0.0;
  for (size_t i = 0; i < n; i++)
    if (x[i] > m)
      m = x[i];
  if (m == -INFINITY)
    return -INFINITY;
  if (m == INFINITY)
    return INFINITY;
  for (size_t i = 0; i < n; i++)
    s += exp(x[i] - m);
  return m + log(s);
}

void as_log_softmax(const double *x, size_t n, double *out)
{
  double z = as_logsumexp(x, n);
  for (size_t i = 0; i < n; i++)
    out[i] = x[i] - z;
}

double as_log_sigmoid(double t)
{
  /* For t ≥ 0, −log1p(e^{−t}); for t < 0, t − log1p(e^{t}): both avoid
   * overflow and keep relative accuracy in the tails. */
  return t >= 0.0 ? -log1p(exp(-t)) : t - log1p(exp(t));
}

double as_sigmoid(double t)
{
  if (t >= 0.0)
    return 1.0 / (1.0 + exp(-t));
  double e = exp(t);
  return e / (1.0 + e);
}

double as_log1mexp(double x)
{
  return x > -M_LN2 ? log(-expm1(x)) : log1p(-exp(x));
}
