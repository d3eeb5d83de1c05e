/* obj_btw.h — Bradley–Terry cross-entropy on weights prepared once per
 * solve (the large-V form of pmle, the reward model and distill).
 *
 * All three are, up to a constant, f(θ) = −Σ_ab W_ab log σ(c(θ_a − θ_b))
 * over the ordered pairs of one context: pmle W = P (c = β), the reward
 * model W = P (c = 1), distill W_ab = (Q_ab + Q_ba) p_ab with
 * p_ab = σ(r̂_a − r̂_b) and the constant Σ_ab Q_ab (p_ab log p_ab +
 * p_ba log p_ba) (KL = cross-entropy − entropy).  Why prepared: distill's
 * soft weights and the transposed copy Wᵀ (rows of both are read
 * contiguously) cost V² once per solve instead of once per evaluation.
 *
 * Arithmetic (why it is fast and exact): with z = cθ − max cθ and
 * e = e^z (V exponentials), σ(t_ab) = e_a/(e_a + e_b) and σ(t_ba) =
 * e_b/(e_a + e_b) — one division per ordered pair, no branch, in loops
 * the compiler vectorises; −log σ(t_ab) = log(e_a + e_b) − z_a, one log
 * per unordered pair and only when the value is asked for.  Exact
 * (relative precision of every σ) as long as every e_y is a normal
 * number, i.e. the logit spread c·(max θ − min θ) stays below ~708
 * nats; beyond it obj_btw_eval reports 0 and the caller uses the
 * per-pair form (obj_add_bt_nll, distill's pair loop), which handles any
 * gap. */
#ifndef OBJ_BTW_H
#define OBJ_BTW_H

#include <stddef.h>

#include "as_objective.h"

/* The pair {a, b} of distill's exact prepared form (as_obj_prepare_exact):
 * its weight w = Q_ab + Q_ba > 0 and the reward side p = σ(r̂_a − r̂_b),
 * q = σ(r̂_b − r̂_a), lp = log p, lq = log q, computed as the per-pair
 * evaluation computes them. */
typedef struct obj_distill_pair {
  size_t a, b;
  double w, p, q, lp, lq;
} obj_distill_pair;

struct as_obj_prep {
  size_t V;
  double c;     /* temperature of the logit gap                         */
  double *W;    /* V×V weights, winner row (NULL in the exact form)     */
  double *Wt;   /* V×V, Wᵀ                                              */
  double *R;    /* V, R_a = Σ_{b≠a} W_ab                                */
  double cst;   /* constant part of f: Σ_a W_aa log 2 + the caller's    */
  /* distill's exact form instead (W NULL): its pairs in the order the
   * per-pair evaluation visits them */
  obj_distill_pair *dp;
  size_t ndp;
};

/* A prepared set at temperature c whose weights the caller writes into
 * ->W (V×V) before obj_btw_finish; NULL when out of memory.  Why in two
 * steps: distill writes its soft weights in place (no V×V copy). */
as_obj_prep *obj_btw_alloc(size_t V, double c);

/* Completes it from ->W: Wᵀ, R and the constant (cst plus the ties'
 * Σ_a W_aa log 2). */
void obj_btw_finish(as_obj_prep *p, double cst);

/* Sets f, g, H (g, H may be NULL; f may be NULL: derivatives only) to
 * those of −Σ_ab W_ab log σ(c(θ_a − θ_b)) + cst (setting, not adding,
 * saves a pass over the V×V Hessian).  Returns 1 when done, 0 when the
 * logit spread is too wide for the fast form (nothing written), −1 when
 * out of memory. */
int obj_btw_eval(const as_obj_prep *pp, const double *th, double *f,
                double *g, double *H);

/* Distill's soft weights W_ab = (Q_ab + Q_ba) p_ab into W[V×V] and its
 * constant Σ_ab Q_ab (p_ab log p_ab + p_ba log p_ba) into *cst, with d
 * checked (obj_reward_pairs_ok, Q ≥ 0); AS_OK or AS_ENOMEM.  In
 * obj_distill.c. */
int obj_distill_weights(const as_ctx_data *d, double *W, double *cst);

#endif
