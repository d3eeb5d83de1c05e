/* as_quantile.h — the inverse-CDF (1−δ)-quantile of a cell's replicates
 * and the replicate that attains it (docs/reference.md §6 E3: "the (1−δ)-quantile of KL
 * over replicates"), shared by the kinds 'finite' and 'finite-distill',
 * whose slack budgets are measured on that replicate. */
#ifndef AS_QUANTILE_H
#define AS_QUANTILE_H

#include <stddef.h>

typedef struct as_rep_value {
  double value;
  long rep;
} as_rep_value;

/* Sorts v[0..k) by value, ties by replicate index (so the quantile's
 * replicate does not depend on the order of the rows). */
void as_quantile_sort(as_rep_value *v, size_t k);

/* ⌈q·k⌉, the 1-based rank of the inverse-CDF quantile ("value ≤ quantile"
 * holds in at least a fraction q of k values), clipped to [1, k]; k ≥ 1. */
size_t as_quantile_rank(size_t k, double q);

#endif
