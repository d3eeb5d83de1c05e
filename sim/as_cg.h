/* as_cg.h — conjugate gradients for the Newton direction at large V
 * (as_solve.c).
 *
 * Solves A y = b for the reduced, unit-diagonal system of the Newton
 * direction, A = S H_II S (I = idx[0..n), S = diag s), with products by
 * the dense symmetric V×V Hessian only (its upper triangle is read): O(V²) per iteration instead of the O(V³)
 * factorisation (at V = 1000 a product is ~0.6 ms, a hand-written
 * Cholesky ~0.3 s).  The unit-diagonal scaling is the Jacobi
 * preconditioner.  Why not a shift on failure: CG meeting non-positive
 * curvature means A is not clearly positive definite, and the dense path
 * (its factorisation with the smallest working shift) is the rule there,
 * so the caller falls back to it and the direction stays the same
 * whichever path computed it. */
#ifndef AS_CG_H
#define AS_CG_H

#include <stddef.h>

/* y[n] with ‖A y − b‖ ≤ rtol ‖b‖, starting from y = 0; *iters = products
 * used.  Returns 0, or −1 when some direction p has pᵀAp ≤ 1e-13 pᵀp (the
 * dense path's pivot threshold), when bᵀy ≤ 0, or after maxit products.
 * work: 2V + 3n doubles. */
int as_cg_solve(size_t V, const double *H, size_t n, const size_t *idx,
                const double *s, const double *b, double rtol, long maxit,
                double *y, double *work, long *iters);

#endif
