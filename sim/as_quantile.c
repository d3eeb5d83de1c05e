/* as_quantile.c — see as_quantile.h. */
#include "as_quantile.h"

#include <math.h>
#include <stdlib.h>

static int by_value_then_rep(const void *a, const void *b)
{
  const as_rep_value *x = a, *y = b;
  if (x->value != y->value)
    return x->value < y->value ? -1 : 1;
  return (x->rep > y->rep) - (x->rep < y->rep);
}

void as_quantile_sort(as_rep_value *v, size_t k)
{
  qsort(v, k, sizeof *v, by_value_then_rep);
}

size_t as_quantile_rank(size_t k, double q)
{
  size_t j = (size_t)ceil(q * (double)k - 1e-12);
  return j < 1 ? 1 : (j > k ? k : j);
}
