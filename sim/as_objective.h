/* as_objective.h — the objectives of docs/reference.md §3 as values.
 *
 * Every objective decouples over contexts (docs/reference.md §3: θ_x enters only the
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
 * Terms written E_ρ[...] in docs/reference.md §3 are weighted by rho = ρ(x). */
#ifndef AS_OBJECTIVE_H
#define AS_OBJECTIVE_H

#include <stddef.h>

/* What an objective's evaluations share within one solve at large V (the
 * Bradley–Terry weights and their transpose, distill's soft weights;
 * obj_btw.h), made by as_obj_prepare. */
typedef struct as_obj_prep as_obj_prep;

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
  /* the objective atlas (docs/reference.md §3.2) */
  double eps;               /* cDPO label smoothing / rDPO assumed flip ε    */
  double tau;               /* IPO's τ                                       */
  double margin;            /* SimPO's γ_s                                   */
  double alpha;             /* ORPO's α                                      */
  int loss;                 /* GPO's f: an as_gpo_loss                       */
  /* The prepared form of this very data (as_obj_prepare), or NULL: eval
   * then uses it and reads P, Q, reward only where it falls back. */
  const as_obj_prep *prep;
} as_ctx_data;

/* GPO's convex f (docs/reference.md §3.2). */
typedef enum {
  AS_GPO_LOGISTIC = 0, /* log(1 + e^{−s})  (= DPO)              */
  AS_GPO_SQUARE,       /* (1 − s)²          (= IPO, τ = β_d/2)  */
  AS_GPO_EXP,          /* e^{−s}                                 */
  AS_GPO_TQUAD,        /* max(0, 1 − s)²                         */
  AS_GPO_HINGE,        /* max(0, 1 − s)     (= SLiC-HF)          */
  AS_GPO_COUNT
} as_gpo_loss;

typedef struct as_objective_type {
  const char *name;
  /* Value f, gradient g[V] and Hessian H[V*V] of f_x at theta[V]; g and/or
   * H may be NULL when not wanted.  Returns AS_OK, or AS_EINVAL when the
   * data it needs (P, Q, reward, ...) is missing. */
  int (*eval)(const as_ctx_data *d, const double *theta, double *f,
              double *g, double *H);
} as_objective_type;

/* The objectives of docs/reference.md §3, one file each (obj_*.c).  Every one except
 * as_obj_reward with ridge > 0 is invariant under θ ↦ θ + c·1 (the gauge):
 * its gradient is orthogonal to 1 and its Hessian annihilates 1.
 *
 *   as_obj_pmle     −Σ P_ab log σ(β Δθ_ab) + λ ρ KL(π_θ‖π_ref)
 *   as_obj_dpo      −Σ P_ab log σ(β_d (Δθ_ab − Δℓref_ab))
 *   as_obj_reward   over r: −Σ P_ab log σ(r_a − r_b) + (η_r/2)‖r‖²
 *   as_obj_distill  Σ Q_ab KL(Bern(σ(Δr̂_ab)) ‖ Bern(σ(β Δθ_ab))) + λ ρ KL_ref
 *   as_obj_rebel    Σ Q_ab (β Δθ_ab − Δr̂_ab)² + λ ρ KL_ref     (eq. 10)
 *   as_obj_rebel_step  one iterative-REBEL step about θ_t = theta_prev:
 *                   ρ Σ π_t(a)π_t(b) ((Δθ_ab − Δθ_t,ab)/η − Δr̃_ab)²,
 *                   r̃ = r̂ − λ(log π_t − log π_ref)
 *   as_obj_rkl      ρ [−E_π r̂ − γ H(π_θ) + λ KL(π_θ‖π_ref)]  (γ = 0: RLHF)
 *
 * Sums run over all ordered pairs (a, b), the diagonal included (a
 * constant), so the value is the reference's (docs/reference.md) objective exactly.  KL_ref terms
 * need a finite log_ref when λ > 0 (AS_EINVAL otherwise). */
extern const as_objective_type as_obj_pmle;
extern const as_objective_type as_obj_dpo;
extern const as_objective_type as_obj_reward;
extern const as_objective_type as_obj_distill;
extern const as_objective_type as_obj_rebel;
extern const as_objective_type as_obj_rebel_step;
extern const as_objective_type as_obj_rkl;

/* The objective atlas (docs/reference.md §3.2), one file each; h = θ − log π_ref per
 * context (NULL log_ref: uniform), t_ab = h_a − h_b, β_d = beta_dpo, sums
 * over all ordered pairs weighted by P (ties add constants):
 *   as_obj_cdpo   Σ P_ab [−(1−ε) log σ(β_d t) − ε log σ(−β_d t)]
 *   as_obj_rdpo   Σ P_ab [(1−ε)(−log σ(β_d t)) − ε(−log σ(−β_d t))]/(1−2ε)
 *   as_obj_ipo    Σ P_ab (t − 1/(2τ))²
 *   as_obj_gpo    Σ P_ab f(β_d t), f = loss (hinge: value and a
 *                 subgradient, no Hessian — solved as an LP by as_fit)
 *   as_obj_simpo  Σ P_ab −log σ(β_d (θ_a − θ_b) − γ_s)   (reference-free)
 *   as_obj_orpo   Σ P_ab [−log π_a − α log σ(log odds_a − log odds_b)]
 *   as_obj_chipo  Σ P_ab −log σ(β_d [ϕ(z_a) − ϕ(z_b)]), z = π_θ/π_ref,
 *                 ϕ(z) = z + log z
 * All are gauge-invariant. */
extern const as_objective_type as_obj_cdpo;
extern const as_objective_type as_obj_rdpo;
extern const as_objective_type as_obj_ipo;
extern const as_objective_type as_obj_gpo;
extern const as_objective_type as_obj_simpo;
extern const as_objective_type as_obj_orpo;
extern const as_objective_type as_obj_chipo;

/* *out = the prepared form of obj on d (obj_btw.h: pmle, reward, distill),
 * to be put in a copy of d as .prep; NULL when obj has none or d's data
 * are invalid (eval reports that).  AS_OK or AS_ENOMEM.  Why: at V = 1000
 * an evaluation is V² pair terms, and distill's soft weights and the
 * transposed weights are best made once per solve, not per evaluation. */
int as_obj_prepare(const as_objective_type *obj, const as_ctx_data *d,
                   as_obj_prep **out);
void as_obj_prep_free(as_obj_prep *p);

/* *out = a prepared form of obj on d whose evaluations give the plain
 * evaluation's f, g, H bit for bit (the small-V solves), to be put in a
 * copy of d as .prep; NULL when obj has none or d's data are invalid
 * (eval reports that).  AS_OK or AS_ENOMEM.  Only distill has one: its
 * reward side σ(r̂_a − r̂_b) and logs are constant within a solve, so they
 * are computed once per pair instead of once per pair and evaluation. */
int as_obj_prepare_exact(const as_objective_type *obj, const as_ctx_data *d,
                         as_obj_prep **out);

/* Building blocks, exported so restricted classes (θ_x = Φ_x w) and new
 * objectives reuse the exact derivatives.  Each ADDS to *f, g[V], H[V*V]
 * (g, H may be NULL).
 *
 * as_obj_add_softmax: weight · (Σ_y π_y h_y + α Σ_y π_y log π_y), π =
 * softmax(θ), h = c1·h1 + c2·h2 (a NULL array contributes 0).  With
 * d = h + α log π − E_π[h + α log π] its gradient is weight·π⊙d and its
 * Hessian weight·(diag(π⊙d) − π(π⊙d)ᵀ − (π⊙d)πᵀ + α(diag π − ππᵀ)). */
void as_obj_add_softmax(size_t V, const double *theta, double weight,
                        const double *h1, double c1, const double *h2,
                        double c2, double alpha, double *f, double *g,
                        double *H);

/* λ·ρ·KL(π_θ‖π_ref) = as_obj_add_softmax(weight λρ, h = −log_ref, α = 1). */
void as_obj_add_kl_ref(size_t V, const double *theta, double weight,
                       const double *log_ref, double *f, double *g,
                       double *H);

#endif
