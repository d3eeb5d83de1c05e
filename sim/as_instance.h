/* as_instance.h — a tabular alignment problem (docs/reference.md §1).
 *
 * K contexts, V responses.  All distributions are stored as natural logs,
 * row-major K×V (entry x*V + y), each row normalised (logsumexp = 0):
 *   log_rho      ρ(x)           length K
 *   log_pi_star  log π*(y|x)    the target model
 *   log_pi_ref   log π_ref(y|x) the KL anchor
 *   log_mu       log μ(y|x)     generator of labelled pairs
 *   log_mu2      log μ'(y|x)    generator of unlabelled pairs (distillation)
 */
#ifndef AS_INSTANCE_H
#define AS_INSTANCE_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "as_error.h"

typedef struct as_instance {
  size_t K, V;
  double *log_rho;
  double *log_pi_star;
  double *log_pi_ref;
  double *log_mu;
  double *log_mu2;
} as_instance;

/* How μ (or μ') is chosen (docs/reference.md §1.1). */
typedef enum {
  AS_MU_REF = 0,     /* μ = π_ref (default for μ)                         */
  AS_MU_UNIFORM,     /* uniform over the V responses                      */
  AS_MU_STAR,        /* μ = π*                                             */
  AS_MU_DRAWN,       /* softmax(a' z_x + τ' ξ'_x), fresh ξ'               */
  AS_MU_SAME         /* μ' = μ (default for μ'; invalid for μ itself)     */
} as_mu_kind;

typedef struct as_instance_params {
  size_t K, V;
  double logit_scale;   /* s: z_x ~ N(0, s² I)                 */
  double ref_sharpness; /* a: π_ref = softmax(a z + τ ξ)        */
  double ref_noise;     /* τ                                    */
  int rho_uniform;      /* 1: ρ uniform (default); 0: Dirichlet(1) draw */
  as_mu_kind mu;
  double mu_sharpness, mu_noise;   /* a', τ' when mu == AS_MU_DRAWN  */
  as_mu_kind mu2;
  double mu2_sharpness, mu2_noise; /* for μ' when mu2 == AS_MU_DRAWN */
} as_instance_params;

/* Defaults of docs/reference.md §1.1 / E1: K = V = 10, s = 1, a = 0.5, τ = 0.5,
 * ρ uniform, μ = π_ref, μ' = μ. */
void as_instance_params_default(as_instance_params *p);

/* Checks a parameter set (K ≥ 1, V ≥ 2, s, τ ≥ 0 finite, ...). */
int as_instance_params_check(const as_instance_params *p, as_err *err);

/* A new instance with all rows uniform; NULL on ENOMEM. */
as_instance *as_instance_new(size_t K, size_t V);
void as_instance_free(as_instance *inst);
as_instance *as_instance_clone(const as_instance *inst);

/* Draws π*, π_ref, μ, μ' (and ρ if not uniform) from r, in a fixed order
 * so that the same seed gives the same instance on every machine:
 *   for x = 0..K-1:  z_x (V draws gsl_ran_gaussian(r, s)), ξ_x (V draws
 *     N(0,1)), then ξ'_x (V draws) only if mu == AS_MU_DRAWN, then ξ''_x
 *     (V draws) only if mu2 == AS_MU_DRAWN;
 *   then, only if rho_uniform == 0, K draws E_x ~ Exp(1) and ρ = E / ΣE
 *     (= Dirichlet(1, ..., 1)); an E_x that comes out exactly 0 (u = 0 in
 *     gsl_ran_exponential) is redrawn, so every ρ(x) > 0.
 * π* = softmax(z), π_ref = softmax(a z + τ ξ), a drawn μ = softmax(a' z +
 * τ' ξ'), a drawn μ' = softmax(a'' z + τ'' ξ'').  Parameters are checked
 * first; on error nothing is drawn or written. */
int as_instance_draw(as_instance *inst, const as_instance_params *p,
                     gsl_rng *r, as_err *err);

/* The two steps of as_instance_draw after the logits, for instances whose
 * logits z_x come from elsewhere (the feature class, as_features.c), so
 * both follow one rule of docs/reference.md §1.1.  Parameters are not checked (call
 * as_instance_params_check first); inst is p->K × p->V.
 * as_instance_draw_context: context x from its logits z (V values):
 *   π* = softmax(z), then π_ref, μ, μ' drawn from r as in as_instance_draw
 *   (ξ_x, then ξ'_x only for a drawn μ, ξ''_x only for a drawn μ');
 *   tmp is V doubles of scratch.
 * as_instance_draw_rho: ρ uniform, or K draws Exp(1) normalised. */
void as_instance_draw_context(as_instance *inst, const as_instance_params *p,
                              size_t x, const double *z, gsl_rng *r,
                              double *tmp);
void as_instance_draw_rho(as_instance *inst, const as_instance_params *p,
                          gsl_rng *r);

/* Checks every row is finite-or-(-inf), normalised to 1e-9, and that π*
 * has full support. */
int as_instance_check(const as_instance *inst, as_err *err);

#endif
