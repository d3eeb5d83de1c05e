/* obj_terms.h — private helpers shared by the obj_*.c files. */
#ifndef OBJ_TERMS_H
#define OBJ_TERMS_H

#include <math.h>
#include <stddef.h>

/* A pairwise term w·φ(c·(θ_a − θ_b) − s): given φ'(t) = d1 and φ''(t) = d2
 * at the current point, adds its gradient w·c·d1·(e_a − e_b) and Hessian
 * w·c²·d2·(e_a − e_b)(e_a − e_b)ᵀ. */
static inline void obj_pair_accum(size_t V, size_t a, size_t b, double w,
                                  double c, double d1, double d2, double *g,
                                  double *H)
{
  if (a == b)
    return;
  if (g != NULL) {
    g[a] += w * c * d1;
    g[b] -= w * c * d1;
  }
  if (H != NULL) {
    double h = w * c * c * d2;
    H[a * V + a] += h;
    H[b * V + b] += h;
    H[a * V + b] -= h;
    H[b * V + a] -= h;
  }
}

/* Zeroes the outputs an eval fills. */
static inline void obj_zero(size_t V, double *f, double *g, double *H)
{
  *f = 0.0;
  if (g != NULL)
    for (size_t i = 0; i < V; i++)
      g[i] = 0.0;
  if (H != NULL)
    for (size_t i = 0; i < V * V; i++)
      H[i] = 0.0;
}

/* 1 if every entry of x[V] is finite. */
static inline int obj_all_finite(const double *x, size_t V)
{
  for (size_t i = 0; i < V; i++)
    if (!isfinite(x[i]))
      return 0;
  return 1;
}

#endif
