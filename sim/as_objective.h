/* as_objective.h — the objectives of SPEC §3 as values.
 *
 * Every objective decouples over contexts (SPEC §3: θ_x enters only the
 * terms of context x), so an objective is described by its per-context term
 * f_x(θ_x), θ_x ∈ R^V, together with its exact gradient and Hessian.  The
 * total objective is Σ_x f_x(θ_x).  Solvers (as_solve.h) and the
 * log-linear feature class (θ_x = Φ_x w, chain rule) work on this interface
 * only, so a new method is one new file plus one table entry.
 *
 * Conventions.  P and Q are the per-context blocks (V×V, row-major, winner
 * a = row, loser b = column) of the normalised labelled counts N/n and of
 * the unlabelled pair weights M/m (or their population limits p and
 * ρμ'μ'); their sum over all contexts is 1, so ρ is already inside them.
 * Terms written E_ρ[...] in SPEC §3 are weighted by rho = ρ(x). */
#ifndef AS_OBJECTIVE_H
#define AS_OBJECTIVE_H

#include <stddef.h>

typedef struct as_ctx_data {
  size_t V;
  double rho;               /* ρ(x)                                        */
  const double *P;          /* V×V labelled weights (N/n), or NULL          */
  const double *Q;          /* V×V unlabelled weights (M/m), or NULL        */
  const double *log_ref;    /* V, log π_ref(·|x)                            */
  const double *reward;     /* V, r̂(x,·) (distill, rebel, rlhf, rkl)        */
  const double *theta_prev; /* V, θ_t for one iterative-REBEL step          */
  double beta;              /* BT temperature β                              */
  double beta_dpo;          /* DPO's β_d                                     */
  double lambda;            /* KL_ref weight λ                               */
  double gamma;             /* RKL entropy weight γ                          */
  double ridge;             /* reward model's η_r                            */
  double eta;               /* iterative REBEL step η                        */
} as_ctx_data;

typedef struct as_objective_type {
  const char *name;
  /* Value f, gradient g[V] and Hessian H[V*V] of f_x at theta[V]; g and/or
   * H may be NULL when not wanted.  Returns AS_OK, or AS_EINVAL when the
   * data it needs (P, Q, reward, ...) is missing. */
  int (*eval)(const as_ctx_data *d, const double *theta, double *f,
              double *g, double *H);
} as_objective_type;

#endif
