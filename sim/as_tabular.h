/* as_tabular.h — the work unit shared by the experiment kinds
 * (as_kind_*.c; implemented in as_tabular.c): one replicate's instance
 * drawn from its derived stream, its data at one cell (β, n), the reward
 * fitted once and reused over the λ grid, the RLHF floor, and the λ-grid
 * loop with its tuning rule (oracle / held-out / fixed, docs/reference.md §6).  Each
 * kind file keeps only what is specific to it.  Internal to the runner. */
#ifndef AS_TABULAR_H
#define AS_TABULAR_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "as_config.h"
#include "as_dilemma.h"
#include "as_error.h"
#include "as_experiment.h"
#include "as_finite.h"
#include "as_fit.h"
#include "as_instance.h"
#include "as_metrics.h"

/* ---- streams and data (the seed rule of as_experiment.h) */

/* The generator of stream `stream` (AS_STREAM_INSTANCE, or
 * as_experiment_stream(cell, which)) of replicate rep; NULL: no memory. */
gsl_rng *as_tab_stream(const as_config *cfg, uint64_t stream, long rep);

/* Draws replicate rep's instance (*inst, the caller's to free) from its
 * instance stream — the same in every cell, so curves are paired.  With
 * r_out != NULL the generator is handed back (the caller frees it) for
 * what continues on that stream; on failure nothing is returned. */
int as_tab_draw_instance(const as_config *cfg, long rep, as_instance **inst,
                         gsl_rng **r_out, as_err *err);
/* The same followed by the finite class of `size` members (π* and
 * perturbations at class.distances, as_finite_generate) drawn on the same
 * generator: exactly what `alignsim bounds --replicate R` draws. */
int as_tab_draw_instance_class(const as_config *cfg, long rep, long size,
                               as_instance **inst, as_finite_class **Pi,
                               as_err *err);

/* Labelled weights (K·V·V): P = N/n, N ~ Multinomial(n, p) drawn from
 * stream `stream` of replicate rep, or the population p when n = ∞. */
int as_tab_labelled(const as_config *cfg, uint64_t stream, long rep,
                    const as_instance *inst, double beta, double n,
                    double *P, as_err *err);
/* Unlabelled weights (K·V·V): Q = M/m, M ~ Multinomial(m, ρμ'μ') drawn
 * from stream `stream` of replicate rep. */
int as_tab_unlabelled(const as_config *cfg, uint64_t stream, long rep,
                      const as_instance *inst, uint64_t m, double *Q,
                      as_err *err);
/* A cell's data, allocated (*P, and *Q when want_q; the caller frees
 * them, also on failure): labelled weights from the cell's data stream
 * (as_tab_labelled), unlabelled weights by as_tab_pairs (*m; NAN without
 * Q). */
int as_tab_cell_data(const as_config *cfg, size_t cell, long rep,
                     const as_instance *inst, double beta, double n,
                     int want_q, double **P, double **Q, double *m,
                     as_err *err);
/* Q of a cell by the config's rule: the population ρμ'μ' (*m = ∞) when
 * `m = "population"` or n = ∞, else cfg->m pairs from the cell's
 * unlabelled stream (*m = cfg->m). */
int as_tab_pairs(const as_config *cfg, size_t cell, long rep,
                 const as_instance *inst, double n, double *Q, double *m,
                 as_err *err);
/* as_data over the instance's ρ and π_ref. */
void as_tab_data_init(as_data *d, const as_instance *inst, double n,
                      const double *P, const double *Q);
/* The reward-model ridge: the config's, else as_fit.h's default (1/n, 0 in
 * the population). */
double as_tab_ridge(const as_config *cfg, double n);
/* RKL's entropy weight γ and the DPO-family temperature β_d at data
 * temperature beta: the config's value, or beta where it says "beta" (NAN
 * in cfg->hp). */
double as_tab_gamma(const as_config *cfg, double beta);
double as_tab_beta_dpo(const as_config *cfg, double beta);
/* Worst status first: EDIVERGE > ENOCONV > OK. */
int as_tab_worst_status(int a, int b);

/* Cells of a tabular kind: β-major, then n (the population limit last when
 * `population = true`). */
size_t as_tab_n_cells(const as_config *cfg);
void as_tab_cell(const as_config *cfg, size_t cell, double *beta, double *n);

typedef struct as_tab_unit {
  const as_config *cfg;
  size_t cell;
  long replicate;
  double beta, n, m;     /* n, m = INFINITY: population limits             */
  double gamma, beta_dpo;
  as_instance *inst;
  double *P, *Q, *Pval;  /* K·V·V weights; Q, Pval NULL when not wanted     */
  as_data d;
  double *reward;        /* K·V, NULL when no method needs it               */
  as_fit_result rinfo;   /* status and graph counts of the reward fit       */
  as_dilemma floor;
} as_tab_unit;

enum { AS_TAB_NEED_REWARD = 1, AS_TAB_NEED_Q = 2, AS_TAB_NEED_HELDOUT = 4 };

/* Draws the instance, data and (by `need`) reward, Q and held-out sample of
 * unit (cell, replicate) from the streams of as_experiment.h. */
int as_tab_unit_setup(const as_config *cfg, size_t cell, long replicate,
                      int need, as_tab_unit *u, as_err *err);
void as_tab_unit_free(as_tab_unit *u);
/* The unit without its data (P, Q, Pval, reward NULL; u->d over the
 * instance only): what a streamed unit starts from (as_stream.h). */
int as_tab_unit_begin(const as_config *cfg, size_t cell, long replicate,
                      as_tab_unit *u, as_err *err);

/* as_fit options of the configuration at the unit's β (λ = NAN: a method
 * without λ). */
void as_tab_fit_opts(const as_tab_unit *u, as_method m, double lambda,
                     as_fit_opts *o);
void as_tab_fit_opts_cfg(const as_config *cfg, double beta, as_method m,
                         double lambda, as_fit_opts *o);

/* Does method m have a λ (KL_ref weight)?  DPO and the reward model's
 * policy do not. */
int as_tab_method_has_lambda(as_method m);
int as_tab_method_needs_reward(as_method m);
int as_tab_method_needs_q(as_method m);

/* The tabular kind's unit (cell, rep) (as_kind_tabular.c): streamed —
 * data drawn, reward and every candidate fitted context by context
 * (as_stream.h, as_fit_stream), memory O(V²) + K·V per candidate — unless
 * a method cannot be (as_fit_stream_new's AS_ENOTSUP: dpo_steps), then on
 * whole K·V² tables; *streamed says which.  Rows are the same bit for bit
 * either way; as_tab_run_unit_dense always uses whole tables (tests). */
int as_tab_run_unit_streamed(const as_config *cfg, size_t cell, long rep,
                             as_rows *out, int *streamed, as_err *err);
int as_tab_run_unit_dense(const as_config *cfg, size_t cell, long rep,
                          as_rows *out, as_err *err);

/* ---- E9: the bound quantity of config key `bounds` */

/* The tabular class is infinite, so Theorem 4 has no literal value on it
 * (log|Π| = ∞).  What E9 reports instead (proofs/README.md, "E9: the
 * bound's β-dependence on the tabular class") is Theorem 4's constant —
 * the factor multiplying log(|Π|/δ)/n —
 *   constant = C_tab · φ(2R_max/β) · c₁ / (2 β² κ(2R_max)²),
 * evaluated with the theorem's worst-case ranges B_σ = 2R_max,
 * B_v = 2R_max/β, C_tab the closed-form coverage of the tabular class
 * (as_coverage.h) and R_max = R_max({π*}) = max_{x: ρ(x)>0, y}
 * |β log π*(y|x) − E_μ β log π*(·|x)|: the range π* itself forces, a lower
 * bound on R_max of any class containing π*.  R_max = β·D with D free of β,
 * so B_v = 2D does not move with β while B_σ = 2βD does. */
typedef struct as_tab_bound {
  double R_max;    /* R_max({π*}) at β                                    */
  double C_tab;    /* Definition 3 coverage of the tabular class          */
  double constant; /* the Theorem-4 constant above                         */
} as_tab_bound;

/* AS_EINVAL (with a message) when β is not positive and finite, when π* is
 * not finite where ρ > 0, or when μ lacks full support (C_tab = ∞). */
int as_tab_bound_constant(const as_instance *inst, double beta,
                          as_tab_bound *out, as_err *err);

/* ---- the λ grid and its tuning rule */

/* One fitted candidate (a method at one λ). */
typedef struct as_tab_cand {
  double lambda;
  double *log_pi;       /* owned; NULL while only logits are held       */
  double *logits;       /* owned, may be NULL: rows whose as_log_softmax
                         * is the policy (a closed form's ξ), formed into
                         * log_pi when needed (as_tab_cand_policy)       */
  const double *reward; /* borrowed, for the reward score */
  int status;
  long not_converged, iterations, no_mle;
  double theta_norm;
  as_metrics met;
  double score;         /* held-out log-likelihood per record, or NAN */
  /* Set by as_tab_cand_metrics: met holds only what the tuning rule reads
   * (partial = 1); as_tab_run_grid completes the chosen candidate from
   * these (borrowed). */
  int partial;
  const as_instance *met_inst;
  double met_beta;
  const double *met_reward;
  const double *met_win; /* as_metrics_win_ref of the unit, or NULL */
  /* Given up before all its contexts were fitted, one of them having
   * failed (as_fit_stream_skip): not AS_OK, rows incomplete, no forward
   * KL.  Oracle tuning excludes it as it would the whole fit; where no
   * candidate of the grid converged, as_tab_run_grid returns AS_ERETRY
   * so that the unit is fitted again without giving up. */
  int abandoned;
} as_tab_cand;

/* The metrics of candidate c of method m (as_metrics_compute on c->log_pi
 * with reward met_reward, may be NULL) — all of them when every candidate
 * gets a row (tuning "fixed", or a method without λ), else only the
 * forward KL (docs/reference.md §6 tuning reads the forward KL or the held-out score):
 * the chosen candidate is completed by as_tab_run_grid, so rows are the
 * same, bit for bit, and a grid of k λ costs one full evaluation. */
int as_tab_cand_metrics(const as_config *cfg, as_method m,
                        const as_instance *inst, double beta,
                        const double *met_reward, as_tab_cand *c,
                        as_err *err);

/* The same with the unit's as_metrics_win_ref (K·V, may be NULL), which a
 * unit computes once for all its candidates: the same values. */
int as_tab_cand_metrics_win(const as_config *cfg, as_method m,
                            const as_instance *inst, double beta,
                            const double *met_reward, const double *win,
                            as_tab_cand *c, as_err *err);

/* Whether a kind may hand candidates of method m over as logits (the
 * closed forms' ξ) rather than rows: under oracle tuning over a grid,
 * where only the chosen candidate's rows and the screen's doubtful ones
 * are ever formed. */
int as_tab_cand_defers(const as_config *cfg, as_method m);

/* Forms c->log_pi from c->logits (row by row as_log_softmax: the rows a
 * closed form would have written) if it is not there yet. */
int as_tab_cand_policy(as_tab_cand *c, as_err *err);

/* The row of candidate c (as_result_row_init, then λ when has_lambda, the
 * metrics, the held-out score, the counts and the status); the kind sets
 * what is its own (m, γ, β_d, the RLHF floor, aux). */
void as_tab_cand_row(const as_tab_cand *c, size_t cell, long rep,
                     const char *method, double n, double beta,
                     int has_lambda, as_result_row *row);

/* The tuned candidate: oracle = least forward KL, heldout = largest
 * validation likelihood; among converged fits when there is one. */
size_t as_tab_choose(const as_tab_cand *c, size_t k, as_tuning t);

/* Oracle tuning's forward KLs of k partial candidates (as_tab_cand_metrics
 * leaves them NaN), as much as the rule needs: the exact value
 * (as_metrics_fwd_kl) where the candidate's interval est ± bound
 * (as_metrics_fwd_kl_screen) reaches below the least upper end among the
 * converged candidates, the estimate elsewhere.  as_tab_choose then picks
 * exactly what it picks from exact values, for about a third of their
 * cost (V exponentials per row instead of ~4V and a Taylor series). */
int as_tab_screen_fwd_kl(as_tab_cand *c, size_t k, as_err *err);

/* A kind's fit of method m at λ (NAN for a method without λ) into c, and
 * its row of candidate c; ctx is the kind's unit. */
typedef int (*as_tab_fit_fn)(const void *ctx, as_method m, double lambda,
                             as_tab_cand *c, as_err *err);
typedef void (*as_tab_row_fn)(const void *ctx, as_method m,
                              const as_tab_cand *c, int has_lambda,
                              as_result_row *row);
/* For every configured method: fits every λ of the grid (one fit for a
 * method without λ) and pushes one row per λ under tuning "fixed", else
 * the row of the tuned candidate. */
int as_tab_run_grid(const as_config *cfg, as_tab_fit_fn fit,
                    as_tab_row_fn row, const void *ctx, as_rows *out,
                    as_err *err);

#endif
