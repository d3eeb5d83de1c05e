/* as_fit.h — estimators: fit a policy (or reward) to preference data.
 *
 * This is the layer the command-line tool and the experiment runner call:
 * it chooses the objective (as_objective.h), solves every context with an
 * exact-gradient second-order method (as_solve.h) and reports honestly
 * whether the solve converged (docs/reference.md §3). */
#ifndef AS_FIT_H
#define AS_FIT_H

#include <stddef.h>

#include "as_error.h"
#include "as_graph.h"

typedef enum {
  AS_METHOD_PMLE = 0,
  AS_METHOD_DPO,
  AS_METHOD_REWARD,      /* BT reward model; its policy is π_r = softmax(r/β) */
  AS_METHOD_DISTILL,
  AS_METHOD_REBEL,       /* paper form, eq. 10                                */
  AS_METHOD_REBEL_ITER,  /* iterative on-policy form                          */
  AS_METHOD_RLHF,
  AS_METHOD_RKL,
  /* the objective atlas (docs/reference.md §3.2) */
  AS_METHOD_CDPO,
  AS_METHOD_RDPO,
  AS_METHOD_IPO,
  AS_METHOD_GPO,
  AS_METHOD_SLIC,        /* GPO with the hinge (SLiC-HF), an exact LP         */
  AS_METHOD_SIMPO,
  AS_METHOD_ORPO,
  AS_METHOD_CHIPO,
  AS_METHOD_SPPO,        /* self-play on the fitted reward's preferences      */
  AS_METHOD_NASH,
  AS_METHOD_COUNT
} as_method;

/* "pmle", "dpo", "reward", "distill", "rebel", "rebel-iter", "rlhf", "rkl",
 * "cdpo", "rdpo", "ipo", "gpo", "slic", "simpo", "orpo", "chipo", "sppo",
 * "nash". */
const char *as_method_name(as_method m);
int as_method_parse(const char *name, as_method *m); /* AS_EINVAL if unknown */

/* What the learner sees.  All arrays row-major; P and Q have K*V*V cells
 * indexed (x*V + a)*V + b and each sums to 1 (or Q is NULL). */
typedef struct as_data {
  size_t K, V;
  double n;              /* labelled records behind P (INFINITY: population) */
  const double *P;       /* N/n, or the population p(x,a,b)                  */
  const double *Q;       /* M/m, or ρμ'μ'; NULL if the method needs none     */
  const double *log_rho; /* K; NULL means uniform                            */
  const double *log_ref; /* K*V; NULL means uniform                          */
} as_data;

typedef struct as_fit_opts {
  as_method method;
  double beta;        /* BT temperature (default 1)                          */
  double lambda;      /* KL_ref weight (default 0)                           */
  double gamma;       /* RKL entropy weight; NAN (default) means γ = β        */
  double beta_dpo;    /* NAN (default) means β_d = β                         */
  double ridge;       /* η_r; NAN (default) means 1/n, 0 in the population   */
  double eta;         /* iterative REBEL step; NAN (default) means 1/λ.
                         SPPO's step η (NAN: its declared default)          */
  long iterations;    /* iterative REBEL: cap on outer steps (0: default).
                         SPPO's rounds T (0: its declared default)          */
  /* objective atlas (docs/reference.md §3.2; declared with ranges and defaults in
   * as_hparam.c, the one place a method's options are defined) */
  double smoothing;   /* cDPO ε (default 0.1)                               */
  double flip;        /* rDPO's assumed flip rate ε (default 0.1)           */
  double tau;         /* IPO τ (default 0.1)                                */
  int gpo_loss;       /* GPO f, an as_gpo_loss (default logistic)           */
  double margin;      /* SimPO γ_s (default 0)                              */
  double alpha;       /* ORPO α (default 0.1)                               */
  /* after the atlas fields: the manifests list the declared options in
   * field order (as_hparam_list) */
  long dpo_steps;     /* DPO as used in practice: gradient steps (0: solve)  */
  double dpo_lr;      /* DPO learning rate                                   */
  double user[2];     /* hyperparameters of methods declared outside the
                         library (as_hparam.h; tests)                       */
  double tol;         /* stopping tolerance of the scale-free criterion      */
  long max_iter;      /* per-context Newton iteration cap                    */
  /* Feature class, objectives not convex in w (as_features.h): seeded
   * random starts on top of the deterministic ones (0: the default,
   * AS_FEATURES_RANDOM_STARTS; negative: none).  Unused elsewhere. */
  long random_starts;
  /* DPO gradient-step mode only (dpo_steps > 0): called with step 0 (the
   * start, θ = log π_ref) and after every step, with the K*V log-policy and
   * ‖θ‖ (Frobenius norm of θ centred per context, gauge-free).  A nonzero
   * return stops the run (status stays AS_OK).  NULL: no trace. */
  int (*trace)(long step, size_t K, size_t V, const double *log_pi,
               double theta_norm, void *user);
  void *trace_user;
  /* DPO gradient-step mode only: a run continued in pieces (E6's recorded
   * steps, issue 8).  dpo_theta (K*V, or NULL) receives θ after the steps;
   * with dpo_resume nonzero the steps start from it instead of log π_ref.
   * Pieces of s1 and s2 steps give the bits of one run of s1 + s2 steps
   * (iterations counts the piece's steps). */
  double *dpo_theta;
  int dpo_resume;
  /* Per-context fits (as_fit, as_fit_with_reward[_checked]; not DPO's
   * gradient steps, the closed forms or the streamed fit): called after
   * context x is fitted, with its log-policy row and status.  A nonzero
   * return gives the fit up there (issue 8: a tuning rule that will
   * discard it): the later contexts are not fitted (as_fit_result.
   * given_up), their rows are NaN and they count as not converged, so
   * the fit's status is AS_ENOCONV.  NULL: every context is fitted. */
  int (*ctx_done)(size_t x, const double *log_pi_row, int status,
                  void *user);
  void *ctx_user;
} as_fit_opts;

void as_fit_opts_default(as_fit_opts *o);

typedef struct as_fit_result {
  size_t K, V;
  double *log_pi;        /* K*V learned log-policy (owned)                   */
  double *reward;        /* K*V learned reward, or NULL (owned)              */
  int status;            /* AS_OK, AS_ENOCONV, AS_EDIVERGE or AS_ENONFINITE  */
  long iterations;       /* largest per-context iteration count              */
  double criterion;      /* largest final stopping criterion over contexts   */
  size_t contexts_not_converged;
  size_t reward_no_mle;      /* contexts whose ridge-free BT MLE does not exist */
  size_t reward_unidentified;/* contexts whose win graph is not connected      */
  double theta_norm;     /* ‖θ‖ (Frobenius), for DPO's run-away               */
  /* distill and rebel (paper form) at λ = 0: contexts whose unlabelled
   * pair graph (an edge a–b when Q_ab + Q_ba > 0, a ≠ b) is not connected.
   * Those terms fix only Δθ within a component, so the policy there is not
   * identified (the offsets between components keep the start θ = log
   * π_ref; a response never drawn into M keeps its start logit).  0 for
   * every other method and for λ > 0 (KL_ref pins every logit). */
  size_t pairs_unidentified;
  /* objective atlas: slic contexts whose LP minimiser is not unique; rdpo
   * contexts whose loss is unbounded below (log_pi NaN there, status
   * AS_EDIVERGE); sppo contexts collapsed onto one response (status
   * AS_EDIVERGE) */
  size_t not_unique, unbounded, collapsed;
  size_t pmle_escapes;   /* PMLE, λ > 0: contexts where a point with a lower
                            objective was found by sending a set of responses
                            towards probability 0 (not the minimiser;
                            reported as not converged) */
  size_t given_up;       /* contexts not fitted (as_fit_opts.ctx_done,
                            as_fit_stream_skip): NaN rows, counted as not
                            converged, left out of ‖θ‖; a fit with any is
                            AS_ENOCONV, its rows not checked for finiteness */
} as_fit_result;

void as_fit_result_free(as_fit_result *res); /* frees arrays, keeps struct */

/* Non-finite is never ok: makes res->status AS_ENONFINITE (the worst
 * status) when a log-probability is NaN or +inf, or -inf where π_ref
 * (log_ref, K·V; NULL = uniform) has support — a zero the method cannot
 * produce, e.g. the overflow of `rkl --lambda 1e308` — or a reward or ‖θ‖
 * (theta_norm; NaN meaning "not computed" is allowed) is NaN or infinite.
 * A declared divergence (AS_EDIVERGE, whose limit may have zeros and
 * ‖θ‖ = ∞) becomes non-finite only through a NaN or +inf.
 * The message goes to err (may be NULL).  Returns res->status.  as_fit
 * applies it to every result. */
int as_fit_finite_status(as_fit_result *res, const double *log_ref,
                         as_err *err);

/* Semantics of the result (tabular class, sim/as_fit.c):
 * - log_pi is always filled; reward holds the learned reward for `reward`
 *   and the fitted r̂ for the reward-based methods (NULL for pmle, dpo).
 * - status is the worst over contexts (and over the reward fit feeding a
 *   two-stage method); contexts_not_converged counts the contexts that
 *   are not AS_OK (for as_fit's two stages: the contexts where the
 *   reward fit OR the policy solve is not AS_OK, each counted once).
 *   It is never AS_OK silently: a context whose BT-type objective has no finite minimiser (dpo solve, pmle at λ = 0, reward at
 *   ridge 0 — win graph fails the as_graph.h criterion) is AS_EDIVERGE
 *   after a bounded run, and a policy entry below e^-700 (edge of double
 *   underflow, where gradients vanish exactly) makes a context AS_ENOCONV.
 * - reward_no_mle / reward_unidentified are the win-graph counts of d->P,
 *   filled for every method that has P (the same criterion governs DPO's
 *   and PMLE-at-λ=0's minimiser); per-context classification: call
 *   as_graph_bt_check on d->P + x·V·V.
 * - KL(π_θ‖π_ref) is not convex in θ, so PMLE, distill and rebel at
 *   λ > 0 are not convex: AS_OK certifies a local minimiser (Newton
 *   criteria met), not a global one.  With β < 1 on a context failing the win-graph
 *   criterion the BT gain (∝ π_b^β) beats the KL cost (∝ π_b log π_b) as
 *   a loser's π_b → 0, so the infimum may lie at infinity while a finite
 *   local minimiser exists (V = 2, one "0 beats 1", uniform π_ref, β = 0.5,
 *   λ = 0.8: AS_OK at Δθ ≈ 1.26, F − F(∞) ≈ +0.0044 there and > 0 for
 *   every Δθ, so the infimum is only approached as Δθ → ∞).
 *   For PMLE at λ > 0 every converged context is then tested one-sidedly:
 *   for each response y the set S of y and everything y beat
 *   (transitively) is shifted down (θ_S − T); a lower objective there
 *   exhibits a better point, and the context is reported AS_ENOCONV and
 *   counted in pmle_escapes.  Escapes of other sets are not tested, so
 *   AS_OK still means "local minimiser, no lower point found along those
 *   rays"; runs that do escape by themselves are reported too
 *   (AS_ENOCONV/AS_EDIVERGE: the step never vanishes, or a probability
 *   falls below e^-700).
 * - A context without data at λ = 0 (or a response no term touches) is
 *   not identified: it keeps the start value θ = log π_ref (reward: 0) and
 *   is counted in reward_unidentified.  For distill and rebel at λ = 0
 *   the same holds for the unlabelled pairs Q (finite m): see
 *   pairs_unidentified.
 * - theta_norm is the Frobenius norm of θ centred per context (gauge-free);
 *   criterion is the largest final Newton decrement λ²/2 (as_solve.h),
 *   0 for the closed forms (rlhf, rkl) and NaN for dpo_steps mode.
 * - rlhf and rkl use the exact closed form (as_rkl_closed_form); the Newton
 *   route reaches the same policy (tests/test_solve.c) but cannot represent
 *   log π below ≈ −745, which small λ reaches.  λ + γ = 0 returns the
 *   limit (uniform on argmax r̂) with status AS_EDIVERGE.
 * - rebel-iter: η defaults to 1/λ (one exact step); 0 < ηλ < 2 is required
 *   (AS_EINVAL otherwise, docs/reference.md §3); λ = 0 needs an explicit η and runs
 *   `iterations` steps (default 1000), reported AS_ENOCONV/AS_EDIVERGE
 *   (drift to argmax r̂).  Outer stop: the RLHF objective's Newton
 *   criterion at θ_t.
 * - dpo_steps > 0: gradient descent on the total loss −(1/n) Σ N log σ(·)
 *   from θ = log π_ref with step dpo_lr, reported through opts->trace. */

/* Fits o->method to d.  Methods that need a reward (distill, rebel,
 * rebel-iter, rlhf, rkl) first fit the BT reward model from d->P. */
int as_fit(const as_fit_opts *o, const as_data *d, as_fit_result *res,
           as_err *err);

/* Same with a reward already fitted (K*V), so a λ grid reuses one reward. */
int as_fit_with_reward(const as_fit_opts *o, const as_data *d,
                       const double *reward, as_fit_result *res,
                       as_err *err);

/* What as_fit checks and classifies in its data before any solve — P and
 * Q (when given) finite, ≥ 0 and of mass 1, the rows of log ρ and log
 * π_ref normalised, and P's per-context win-graph verdicts — done once by
 * as_fit_check for a caller that fits the same data many times (a λ
 * grid: ~K·V² work per fit otherwise, as much as a fit's solves at
 * V = 10). */
typedef struct as_fit_checked {
  const as_data *d;            /* the data checked; must stay unchanged   */
  int *no_mle;                 /* K: P's ridge-free BT MLE does not exist */
  size_t reward_no_mle;        /* as in as_fit_result                     */
  size_t reward_unidentified;
  /* as_fit_check_prepare's objectives (K, or NULL) and what they were
   * made for: a fit of another method, β or reward does not use them */
  struct as_obj_prep **prep;
  as_method prep_method;
  double prep_beta;
  const double *prep_reward;
} as_fit_checked;

/* Checks d into *chk (which keeps the pointer d); AS_OK, AS_EINVAL with
 * as_fit's message, or AS_ENOMEM.  Free with as_fit_checked_free. */
int as_fit_check(const as_data *d, as_fit_checked *chk, as_err *err);
void as_fit_checked_free(as_fit_checked *chk);

/* Prepares, into chk, the objective of every context of chk->d for fits
 * with o's method and β and this reward (which must stay unchanged, as
 * the data must): what each Newton solve would otherwise prepare itself
 * (as_solve_prepare) — the prepared form depends on neither λ nor the
 * start, so a λ grid prepares once per context instead of once per λ
 * (E7: 19 per context).  Fits with another method, β or reward prepare
 * their own as before.  The same results bit for bit; AS_OK, AS_EINVAL
 * (o or the reward invalid, as the fit reports them; chk prepared
 * already) or AS_ENOMEM, chk's checks kept either way. */
int as_fit_check_prepare(as_fit_checked *chk, const as_fit_opts *o,
                         const double *reward, as_err *err);

/* as_fit_with_reward on chk->d without repeating those checks: the same
 * results bit for bit. */
int as_fit_with_reward_checked(const as_fit_opts *o,
                               const as_fit_checked *chk,
                               const double *reward, as_fit_result *res,
                               as_err *err);

/* BT reward model (eq. 9) with ridge; r gets K*V values (gauge: Σ_y r = 0
 * per context).  info (may be NULL) receives status and the
 * existence/identification counts. */
int as_reward_fit(const as_data *d, double ridge, double *r,
                  as_fit_result *info, as_err *err);

/* The same with the solver's stopping tolerance and Newton cap (as
 * as_fit_opts tol / max_iter; as_reward_fit uses as_solve_opts_default's).
 * as_fit uses the caller's o->tol / o->max_iter for its reward stage too.
 * AS_EINVAL for tol < 0 or max_iter < 1. */
int as_reward_fit_tol(const as_data *d, double ridge, double tol,
                      long max_iter, double *r, as_fit_result *info,
                      as_err *err);

/* Per-context win-graph classification of d->P (as_graph.h): mle_exists[x]
 * and identified[x] (K entries each, either may be NULL). */
int as_reward_graph_report(const as_data *d, int *mle_exists,
                           int *identified, as_err *err);

/* ---- the same fits context by context (issue 8)
 *
 * Contexts decouple (each context's terms are divided by its own weight
 * and solved alone), so a fit can take its data one context at a time:
 * memory O(V²) for the blocks plus the K·V rows it returns, instead of
 * K·V² tables.  Results (rows, status, counts, ‖θ‖) are those of
 * as_fit_with_reward (with_reward = 1; as_fit for a method without a
 * reward) and of as_reward_fit, bit for bit: the same per-context code,
 * the same running sums in the same order.  d gives K, V, n, ρ and π_ref
 * (d->P, d->Q are ignored).  Not streamed (AS_ENOTSUP): rlhf and rkl
 * (closed form: as_rkl_closed_form) and dpo_steps > 0 (total-loss
 * gradient steps). */
typedef struct as_fit_stream as_fit_stream;
int as_fit_stream_new(const as_fit_opts *o, const as_data *d,
                      int with_reward, as_fit_stream **s, as_err *err);
/* as_reward_fit's stream (its default solver options). */
int as_fit_stream_new_reward(const as_data *d, double ridge,
                             as_fit_stream **s, as_err *err);
/* The next context (0, 1, … in order): its V×V blocks P and Q (NULL when
 * the method has none) and its reward row (V; NULL when none). */
int as_fit_stream_context(as_fit_stream *s, const double *P, const double *Q,
                          const double *reward, as_err *err);
/* One context's blocks checked once for every stream of a unit: cells
 * finite and ≥ 0, the running sums of all cells of contexts 0..x in
 * check_block's order (prev: context x − 1's block, NULL for x = 0), and
 * P's win-graph verdict (as_graph.h).  P or Q may be NULL. */
typedef struct as_fit_sum {
  double s, c; /* a compensated (Neumaier) sum: s + c */
} as_fit_sum;
typedef struct as_fit_block {
  size_t x;
  const double *P, *Q;
  as_fit_sum sum_P, sum_Q;
  as_graph_bt graph;
} as_fit_block;
int as_fit_block_check(size_t V, const as_fit_block *prev, const double *P,
                       const double *Q, as_fit_block *b, as_err *err);
/* as_fit_stream_context on a checked block (b->x must be the next
 * context); a stream without Q ignores b->Q. */
int as_fit_stream_block(as_fit_stream *s, const as_fit_block *b,
                        const double *reward, as_err *err);
/* The same in two steps, so that contexts can be solved on several
 * threads (issue 8): as_fit_stream_solve fits context b->x into part pt
 * (its rows go to the stream's arrays, its report to pt) and only reads
 * s, so concurrent calls on distinct contexts, each with its own part,
 * are safe; as_fit_stream_merge then adds pt's report, in context order
 * (b->x the next context), to the running sums — the result is
 * as_fit_stream_block's bit for bit.  A part holds a context's report
 * and θ row (V) until its merge, and uses a solver scratch of
 * AS_FIT_PART_SCRATCH(V) doubles: its own, or with scratch given, the
 * caller's (parts sharing one must be solved one at a time; it must
 * outlive them).  A part can be reused once merged.  NULL: out of
 * memory. */
#define AS_FIT_PART_SCRATCH(V) (2 * (V) * (V) + (V))
typedef struct as_fit_part as_fit_part;
as_fit_part *as_fit_part_new(size_t V, double *scratch);
void as_fit_part_free(as_fit_part *pt);
int as_fit_stream_solve(const as_fit_stream *s, const as_fit_block *b,
                        const double *reward, as_fit_part *pt, as_err *err);
int as_fit_stream_merge(as_fit_stream *s, const as_fit_block *b,
                        const as_fit_part *pt, as_err *err);
/* The reward row part pt solved (before its merge; NULL without one). */
/* Context b->x of s given up instead of solved (a tuning rule that will
 * discard the fit, issue 8): pt records it as not converged, with NaN
 * rows and ‖θ‖, so the finished fit is not AS_OK.  As thread-safe as
 * as_fit_stream_solve, merged the same way; AS_EINVAL for the reward's
 * stream (its rows feed other fits). */
int as_fit_stream_skip(const as_fit_stream *s, const as_fit_block *b,
                       as_fit_part *pt, as_err *err);
/* 1 when part pt's context ended with a status other than AS_OK. */
int as_fit_part_failed(const as_fit_part *pt);
const double *as_fit_stream_solved_reward(const as_fit_stream *s,
                                          const as_fit_part *pt);
/* Rows of a context already fitted (NULL otherwise): log π (none for the
 * reward stream) and the reward. */
const double *as_fit_stream_log_pi(const as_fit_stream *s, size_t x);
const double *as_fit_stream_reward(const as_fit_stream *s, size_t x);
/* After the K-th context: the result (the caller frees it with
 * as_fit_result_free); AS_EINVAL when contexts are missing or P, Q do not
 * sum to 1. */
int as_fit_stream_finish(as_fit_stream *s, as_fit_result *res, as_err *err);
void as_fit_stream_free(as_fit_stream *s);

/* Closed-form RKL/RLHF solution π ∝ π_ref^{λ/(λ+γ)} exp(r/(λ+γ)) per
 * context (γ = 0 is RLHF).  λ + γ = 0 gives the uniform mixture over
 * argmax r (other entries -inf). */
void as_rkl_closed_form(size_t K, size_t V, const double *log_ref,
                        const double *r, double lambda, double gamma,
                        double *log_pi);
/* Its logits ξ = (r + λ log π_ref)/(λ + γ) for λ + γ > 0 (K×V): the rows
 * as_log_softmax(ξ) are as_rkl_closed_form's bit for bit, so a caller may
 * keep ξ and form the rows only if it needs them (oracle tuning). */
void as_rkl_closed_logits(size_t K, size_t V, const double *log_ref,
                          const double *r, double lambda, double gamma,
                          double *xi);

#endif
