/* obj_pairs.h — the shared engine of the objective atlas (docs/reference.md §3.2),
 * private to the obj_*.c files.
 *
 * Every loss of §3.2 except ORPO's SFT term is Σ_ab P_ab φ(u_a − u_b − s0)
 * for a scalar link φ, a per-response score u_y(θ) and a shift s0: the
 * DPO family has u = β_d(θ − log π_ref) (IPO: β_d = 1), SimPO u = β_d θ
 * with s0 = γ_s, χPO u = β_d ϕ(π_θ/π_ref), ORPO u = log odds_θ.  Writing
 * c_y = Σ_b [P_yb φ'(s_yb) − P_by φ'(s_by)], the exact derivatives are
 *   ∇ = Σ_y c_y ∇u_y,
 *   ∇² = Σ_ab P_ab φ''(s_ab)(∇u_a − ∇u_b)(∇u_a − ∇u_b)ᵀ + Σ_y c_y ∇²u_y;
 * obj_add_pairs adds all but the last sum and returns c, and the caller
 * adds Σ c_y ∇²u_y for a non-linear u.  Diagonal records a = b add their
 * constant φ(−s0) to the value (docs/reference.md §3.2: ties are records). */
#ifndef OBJ_PAIRS_H
#define OBJ_PAIRS_H

#include <stddef.h>

/* The links φ(s) of docs/reference.md §3.2. */
typedef enum {
  OBJ_PHI_LOGISTIC = 0, /* −log σ(s)                                  */
  OBJ_PHI_CDPO,         /* −(1−ε) log σ(s) − ε log σ(−s)              */
  OBJ_PHI_RDPO,         /* [(1−ε)(−log σ(s)) − ε(−log σ(−s))]/(1−2ε)  */
  OBJ_PHI_SQUARE,       /* (s − c)²  (GPO square: c = 1; IPO: c = 1/(2τ)) */
  OBJ_PHI_EXP,          /* e^{−s}                                     */
  OBJ_PHI_TQUAD,        /* max(0, 1 − s)²                             */
  OBJ_PHI_HINGE         /* max(0, 1 − s); φ'' = 0, φ'(1) = 0 (a subgradient) */
} obj_phi_kind;

typedef struct obj_phi {
  obj_phi_kind kind;
  double a; /* ε for CDPO/RDPO, c for SQUARE */
} obj_phi;

/* φ(s); *d1 = φ'(s), *d2 = φ''(s). */
double obj_phi_eval(const obj_phi *phi, double s, double *d1, double *d2);

typedef struct obj_pairs {
  size_t V;
  const double *P;   /* V×V weights (winner row)                        */
  obj_phi phi;
  double weight;     /* multiplies every term                            */
  double shift;      /* s0                                               */
  const double *u;   /* V scores                                         */
  const double *Du;  /* V×V, row y = ∇u_y; NULL: ∇u_y = scale·e_y        */
  double scale;
} obj_pairs;

/* Adds to *f, g, H (g, H may be NULL) as above; c (V, may be NULL)
 * receives c_y (times weight).  AS_EINVAL for a negative or NaN weight. */
int obj_add_pairs(const obj_pairs *pp, double *f, double *g, double *H,
                  double *c);

/* H += w · (diag π − ππᵀ) (the Hessian of log Σ e^θ). */
void obj_add_softmax_cov(size_t V, const double *pi, double w, double *H);

/* H += w · vvᵀ. */
void obj_add_outer(size_t V, const double *v, double w, double *H);

/* The losses with a linear score (as_obj_cdpo, rdpo, ipo, gpo, simpo):
 * f = Σ P_ab φ(u_a − u_b − shift), u = c·(θ − log π_ref) (use_ref = 0:
 * u = c·θ), with the checks on d; fills f, g, H (not adding). */
struct as_ctx_data;
int obj_eval_linear(const struct as_ctx_data *d, const obj_phi *phi, double c,
                    double shift, int use_ref, const double *th, double *f,
                    double *g, double *H);
#define obj_eval_dpo_family(d, phi, c, th, f, g, H) \
  obj_eval_linear((d), (phi), (c), 0.0, 1, (th), (f), (g), (H))

#endif
