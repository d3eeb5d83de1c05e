/* as_kind_tabular.c — the tabular experiment kind (E1, E2, E4, E9, E10):
 * every configured method fitted on the unrestricted tabular class over the
 * λ grid, λ chosen per unit by the configured rule (docs/reference.md §6).
 *
 * A unit runs context by context (issue 8): its data blocks come from
 * as_stream.h, the reward and every candidate are fitted on each context
 * by as_fit_stream before the next, and only K·V rows per candidate are
 * kept — the rows of whole K·V² tables bit for bit.  A method that cannot
 * be streamed (DPO's total-loss gradient steps) sends the unit back to
 * whole tables (as_tab_unit_setup).
 *
 * Per unit the reward model is fitted once (as_reward_fit) and reused over
 * the whole λ grid and by every reward-based method; RLHF and RKL then use
 * their exact closed form π ∝ π_ref^{λ/(λ+γ)} exp(r̂/(λ+γ)) (docs/reference.md §3),
 * distillation and REBEL the Newton solver through as_fit_with_reward.
 *
 * With `bounds = "theorem4-constant"` (E9) every row's aux column is the
 * unit's Theorem-4 constant on the tabular class (as_tab_bound_constant:
 * C_tab, R_max({π*}) at the cell's β), headed AS_TAB_BOUND_COLUMN so it is
 * not mistaken for a bound: it multiplies log(|Π|/δ)/n, which is infinite
 * for this class.  Without the key aux stays NaN, headed "aux". */
#include "as_tabular.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_experiment.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_stream.h"

/* ---- the kind */

#define AS_TAB_BOUND_COLUMN "thm4_const_Ctab_Rmax_pistar"

/* One candidate (a method at one λ) of a streamed unit, fitted context by
 * context. */
typedef struct tab_slot {
  as_method m;
  double lambda;      /* NAN: a method without λ                          */
  as_fit_stream *fs;  /* NULL: rlhf / rkl, the closed form                */
  double *log_pi;     /* the closed form's rows, or logits (closed_rows)  */
  double score;       /* held-out log-likelihood, summed as it streams    */
  int taken;          /* handed to as_tab_run_grid                        */
} tab_slot;

/* The unit and what the kind adds to its rows. */
typedef struct tab_ctx {
  as_tab_unit u;
  double bound;    /* the Theorem-4 constant, NAN when not asked for    */
  tab_slot *slot;  /* streamed unit: every candidate; NULL: dense unit */
  size_t n_slot;
  int heldout;     /* the streamed unit scores on a held-out sample     */
  double *win;     /* as_metrics_win_ref (K·V), shared by the candidates */
} tab_ctx;

/* The reward fit's failures are the policy's too (never silent). */
static void merge_reward(const as_tab_unit *u, as_method m,
                         as_fit_result *res)
{
  if (!as_tab_method_needs_reward(m))
    return;
  res->status = as_tab_worst_status(res->status, u->rinfo.status);
  if (u->rinfo.contexts_not_converged > res->contexts_not_converged)
    res->contexts_not_converged = u->rinfo.contexts_not_converged;
}

/* A solve through as_fit.h, reusing the unit's reward where the method
 * needs one. */
static int fit_tab(const as_tab_unit *u, const as_fit_opts *o,
                   as_fit_result *res, as_err *err)
{
  if (!as_tab_method_needs_reward(o->method))
    return as_fit(o, &u->d, res, err);
  int rc = as_fit_with_reward(o, &u->d, u->reward, res, err);
  if (rc == AS_OK)
    merge_reward(u, o->method, res);
  return rc;
}

/* Context block Pval's term of the validation preference log-likelihood
 * per record, docs/reference.md §6 tuning "heldout": s + Σ_ab Pval_ab
 * log σ(β (log π̂_a − log π̂_b)) — summed in the order of the whole table,
 * so a streamed unit carries the same sum. */
static double heldout_add(size_t V, double beta, const double *Pval,
                          const double *lp, double s)
{
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      double w = Pval[a * V + b];
      if (w > 0)
        s += w * as_log_sigmoid(beta * (lp[a] - lp[b]));
    }
  return s;
}

static double heldout_score(const as_tab_unit *u, const double *log_pi)
{
  size_t K = u->d.K, V = u->d.V;
  double s = 0;
  for (size_t x = 0; x < K; x++)
    s = heldout_add(V, u->beta, u->Pval + x * V * V, log_pi + x * V, s);
  return s;
}

/* Whether candidate (m, λ) of a closed form is kept as its logits ξ
 * (as_tab_cand_defers; λ + γ = 0 has no logits, only its limit). */
static int closed_defers(const as_tab_unit *u, as_method m, double lambda)
{
  double gamma = m == AS_METHOD_RLHF ? 0.0 : u->gamma;
  return as_tab_cand_defers(u->cfg, m) && lambda + gamma > 0.0;
}

/* Context rows x0.. of candidate (m, λ)'s closed form into out: its
 * logits when it defers, else its rows. */
static void closed_rows(const as_tab_unit *u, as_method m, double lambda,
                        size_t x0, size_t nx, const double *r, double *out)
{
  size_t V = u->d.V;
  double gamma = m == AS_METHOD_RLHF ? 0.0 : u->gamma;
  const double *lr = u->inst->log_pi_ref + x0 * V;
  if (closed_defers(u, m, lambda))
    as_rkl_closed_logits(nx, V, lr, r, lambda, gamma, out);
  else
    as_rkl_closed_form(nx, V, lr, r, lambda, gamma, out);
}

/* Candidate c of rlhf / rkl from closed_rows' output rows (c owns them
 * from now on). */
static void cand_closed(const as_tab_unit *u, as_method m, double *rows,
                        as_tab_cand *c)
{
  double gamma = m == AS_METHOD_RLHF ? 0.0 : u->gamma;
  if (closed_defers(u, m, c->lambda))
    c->logits = rows;
  else
    c->log_pi = rows;
  c->reward = u->reward;
  c->status = u->rinfo.status;
  c->not_converged = (long)u->rinfo.contexts_not_converged;
  c->iterations = u->rinfo.iterations;
  c->no_mle = (long)u->rinfo.reward_no_mle;
  c->theta_norm = NAN;
  if (c->lambda + gamma == 0.0) { /* no minimiser: the argmax limit */
    c->status = AS_EDIVERGE;
    c->not_converged = (long)u->d.K;
  }
}

/* Candidate c from a fit's result (res is consumed) and its metrics. */
static int cand_fitted(const as_tab_unit *u, const double *win, as_method m,
                       as_fit_result *res, as_tab_cand *c, as_err *err)
{
  c->log_pi = res->log_pi;
  res->log_pi = NULL;
  c->reward = as_tab_method_needs_reward(m) ? u->reward : NULL;
  c->status = res->status;
  c->not_converged = (long)res->contexts_not_converged;
  c->iterations = res->iterations;
  c->no_mle = (long)(as_tab_method_needs_reward(m) ? u->rinfo.reward_no_mle
                                                   : res->reward_no_mle);
  c->theta_norm = res->theta_norm;
  int rc;
  if (m == AS_METHOD_REWARD) /* its own reward lives in res */
    rc = as_metrics_compute_win(u->inst, u->beta, c->log_pi, res->reward,
                                win, &c->met, err);
  else
    rc = as_tab_cand_metrics_win(u->cfg, m, u->inst, u->beta, c->reward, win,
                                 c, err);
  as_fit_result_free(res);
  return rc;
}

static int is_closed_form(as_method m)
{
  return m == AS_METHOD_RLHF || m == AS_METHOD_RKL;
}

/* The dense unit's fit of candidate (m, λ). */
static int fit_dense(const tab_ctx *t, as_method m, as_tab_cand *c,
                     as_err *err)
{
  const as_tab_unit *u = &t->u;
  size_t K = u->d.K, V = u->d.V;
  if (is_closed_form(m)) {
    double *lp = malloc(K * V * sizeof(double));
    if (lp == NULL)
      return as_err_set(err, AS_ENOMEM, "out of memory");
    closed_rows(u, m, c->lambda, 0, K, u->reward, lp);
    cand_closed(u, m, lp, c);
    return as_tab_cand_metrics_win(u->cfg, m, u->inst, u->beta, c->reward,
                                   t->win, c, err);
  }
  as_fit_opts o;
  as_tab_fit_opts(u, m, c->lambda, &o);
  as_fit_result res;
  as_err ferr;
  as_err_clear(&ferr);
  int rc = fit_tab(u, &o, &res, &ferr);
  if (rc != AS_OK) {
    if (err != NULL)
      *err = ferr;
    return rc;
  }
  return cand_fitted(u, t->win, m, &res, c, err);
}

/* The streamed unit's candidate (m, λ): the first slot not yet taken. */
static int fit_streamed(const tab_ctx *t, as_method m, as_tab_cand *c,
                        as_err *err)
{
  tab_slot *s = NULL;
  for (size_t i = 0; i < t->n_slot && s == NULL; i++)
    if (!t->slot[i].taken && t->slot[i].m == m &&
        (t->slot[i].lambda == c->lambda ||
         (isnan(t->slot[i].lambda) && isnan(c->lambda))))
      s = &t->slot[i];
  if (s == NULL)
    return as_err_set(err, AS_EINVAL, "%s: no streamed candidate",
                      as_method_name(m));
  s->taken = 1;
  if (t->heldout)
    c->score = s->score;
  if (s->fs == NULL) {
    cand_closed(&t->u, m, s->log_pi, c);
    s->log_pi = NULL;
    return as_tab_cand_metrics_win(t->u.cfg, m, t->u.inst, t->u.beta,
                                   c->reward, t->win, c, err);
  }
  as_fit_result res;
  int rc = as_fit_stream_finish(s->fs, &res, err);
  if (rc != AS_OK)
    return rc;
  merge_reward(&t->u, m, &res);
  return cand_fitted(&t->u, t->win, m, &res, c, err);
}

static int fit_candidate(const void *ctx, as_method m, double lambda,
                         as_tab_cand *c, as_err *err)
{
  const tab_ctx *t = ctx;
  memset(c, 0, sizeof *c);
  c->lambda = lambda;
  c->score = NAN;
  int rc = t->slot != NULL ? fit_streamed(t, m, c, err)
                           : fit_dense(t, m, c, err);
  if (rc == AS_OK && t->u.Pval != NULL)
    c->score = heldout_score(&t->u, c->log_pi);
  return rc;
}

static void fill_row(const void *ctx, as_method m, const as_tab_cand *c,
                     int has_lambda, as_result_row *row)
{
  const tab_ctx *t = ctx;
  const as_tab_unit *u = &t->u;
  as_tab_cand_row(c, u->cell, u->replicate, as_method_name(m), u->n, u->beta,
                  has_lambda, row);
  if (as_tab_method_needs_q(m))
    row->m = u->m;
  if (m == AS_METHOD_RKL)
    row->gamma = u->gamma;
  else if (m == AS_METHOD_RLHF)
    row->gamma = 0;
  if (m == AS_METHOD_DPO)
    row->beta_dpo = u->beta_dpo;
  row->rlhf_floor = u->floor.floor;
  row->rlhf_floor_lambda = u->floor.lambda;
  if (u->cfg->bounds == AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB)
    row->aux = t->bound;
}

static int need_of(const as_config *cfg)
{
  int need = 0;
  for (size_t i = 0; i < cfg->n_methods; i++) {
    if (as_tab_method_needs_reward(cfg->methods[i]))
      need |= AS_TAB_NEED_REWARD;
    if (as_tab_method_needs_q(cfg->methods[i]))
      need |= AS_TAB_NEED_Q;
  }
  if (cfg->tuning == AS_TUNING_HELDOUT)
    need |= AS_TAB_NEED_HELDOUT;
  return need;
}

static void slots_free(tab_ctx *t)
{
  for (size_t i = 0; i < t->n_slot; i++) {
    as_fit_stream_free(t->slot[i].fs);
    free(t->slot[i].log_pi);
  }
  free(t->slot);
  t->slot = NULL;
  t->n_slot = 0;
}

/* Slot s of candidate (m, λ): a fit stream, or rows for the closed form;
 * AS_ENOTSUP when the method is not fitted context by context. */
static int slot_init(const as_tab_unit *u, as_method m, double lambda,
                     tab_slot *s, as_err *err)
{
  s->m = m;
  s->lambda = lambda;
  if (is_closed_form(m)) {
    s->log_pi = malloc(u->d.K * u->d.V * sizeof(double));
    return s->log_pi == NULL ? as_err_set(err, AS_ENOMEM, "out of memory")
                             : AS_OK;
  }
  as_fit_opts o;
  as_tab_fit_opts(u, m, lambda, &o);
  return as_fit_stream_new(&o, &u->d, as_tab_method_needs_reward(m), &s->fs,
                           err);
}

/* Every candidate of the grid, in as_tab_run_grid's order. */
static int slots_new(tab_ctx *t, as_err *err)
{
  const as_config *cfg = t->u.cfg;
  size_t n = 0;
  for (size_t mi = 0; mi < cfg->n_methods; mi++)
    n += as_tab_method_has_lambda(cfg->methods[mi]) ? cfg->n_lambda : 1;
  if ((t->slot = calloc(n, sizeof *t->slot)) == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  int rc = AS_OK;
  for (size_t mi = 0; mi < cfg->n_methods && rc == AS_OK; mi++) {
    as_method m = cfg->methods[mi];
    int has = as_tab_method_has_lambda(m);
    for (size_t li = 0; li < (has ? cfg->n_lambda : 1) && rc == AS_OK; li++)
      rc = slot_init(&t->u, m, has ? cfg->lambda[li] : NAN,
                     &t->slot[t->n_slot++], err);
  }
  return rc;
}

/* Context x of candidate s: its fit (or closed form) and its held-out
 * term; rrow: the context's reward row (NULL without one). */
static int slot_context(const as_tab_unit *u, tab_slot *s,
                        const as_fit_block *b, const double *rrow,
                        const double *Pval, as_err *err)
{
  size_t x = b->x;
  size_t V = u->d.V;
  const double *row;
  if (s->fs == NULL) {
    closed_rows(u, s->m, s->lambda, x, 1, rrow, s->log_pi + x * V);
    row = s->log_pi + x * V; /* rows, not logits, when Pval is given */
  } else {
    int rc = as_fit_stream_block(s->fs, b,
                                 as_tab_method_needs_reward(s->m) ? rrow
                                                                  : NULL,
                                 err);
    if (rc != AS_OK)
      return rc;
    row = as_fit_stream_log_pi(s->fs, x);
  }
  if (Pval != NULL)
    s->score = heldout_add(V, u->beta, Pval, row, s->score);
  return AS_OK;
}

/* The reward stream's result as the dense unit holds it. */
static int reward_take(as_tab_unit *u, as_fit_stream *rs, as_err *err)
{
  as_fit_result res;
  as_err rerr;
  as_err_clear(&rerr);
  int rc = as_fit_stream_finish(rs, &res, &rerr);
  if (rc != AS_OK) {
    if (err != NULL)
      *err = rerr;
    return rc;
  }
  u->reward = res.reward;
  res.reward = NULL;
  as_fit_result_free(&res);
  u->rinfo = res;
  return AS_OK;
}

/* Every context in turn: its blocks, the reward row, every candidate. */
static int stream_contexts(tab_ctx *t, as_stream *ds, as_fit_stream *rs,
                           double *blk, as_err *err)
{
  as_tab_unit *u = &t->u;
  size_t K = u->d.K, C = u->d.V * u->d.V;
  double *P = blk, *Q = blk + C, *Pval = blk + 2 * C;
  int rc = AS_OK;
  as_fit_block b[2]; /* this context's and the previous one's */
  for (size_t x = 0; x < K && rc == AS_OK; x++) {
    as_fit_block *cur = &b[x % 2];
    rc = as_stream_next(ds, P, Q, Pval, err);
    if (rc == AS_OK) /* checked once for every stream */
      rc = as_fit_block_check(u->d.V, x > 0 ? &b[(x + 1) % 2] : NULL, P,
                              isnan(u->m) ? NULL : Q, cur, err);
    const double *rrow = NULL;
    if (rc == AS_OK && rs != NULL) {
      as_err rerr;
      as_err_clear(&rerr);
      if ((rc = as_fit_stream_block(rs, cur, NULL, &rerr)) != AS_OK &&
          err != NULL)
        *err = rerr;
      rrow = as_fit_stream_reward(rs, x);
    }
    for (size_t i = 0; i < t->n_slot && rc == AS_OK; i++)
      rc = slot_context(u, &t->slot[i], cur, rrow, t->heldout ? Pval : NULL,
                        err);
  }
  if (rc == AS_OK && rs != NULL)
    rc = reward_take(u, rs, err);
  return rc;
}

/* The data, the reward and every candidate of a streamed unit, context by
 * context (memory O(V²) blocks plus K·V rows per candidate). */
static int stream_unit(tab_ctx *t, int need, as_err *err)
{
  as_tab_unit *u = &t->u;
  as_stream *ds = NULL;
  as_fit_stream *rs = NULL;
  size_t C = u->d.V * u->d.V;
  double *blk = malloc(3 * C * sizeof *blk);
  int rc = blk == NULL ? as_err_set(err, AS_ENOMEM, "out of memory") : AS_OK;
  t->heldout = (need & AS_TAB_NEED_HELDOUT) != 0;
  if (rc == AS_OK)
    rc = as_stream_new(u->cfg, u->cell, u->replicate, u->inst, u->beta, u->n,
                       need & AS_TAB_NEED_Q, t->heldout, &ds, &u->m, err);
  if (rc == AS_OK && (need & AS_TAB_NEED_REWARD))
    rc = as_fit_stream_new_reward(&u->d, as_tab_ridge(u->cfg, u->n), &rs,
                                  err);
  if (rc == AS_OK)
    rc = stream_contexts(t, ds, rs, blk, err);
  if (rc == AS_OK)
    rc = as_dilemma_floor(u->inst, u->beta, &u->floor, err);
  as_fit_stream_free(rs);
  as_stream_free(ds);
  free(blk);
  return rc;
}

/* The unit fitted context by context (as_tab_run_unit_streamed) or on
 * whole tables; *streamed says which ran. */
static int run_unit(const as_config *cfg, size_t cell, long rep,
                    int allow_stream, as_rows *out, int *streamed,
                    as_err *err)
{
  tab_ctx t = {.bound = NAN};
  int need = need_of(cfg), rc = AS_ENOTSUP;
  *streamed = 0;
  if (allow_stream) {
    if ((rc = as_tab_unit_begin(cfg, cell, rep, &t.u, err)) != AS_OK)
      goto done;
    rc = slots_new(&t, err);
    if (rc == AS_ENOTSUP) { /* e.g. dpo_steps: whole tables */
      slots_free(&t);
      as_tab_unit_free(&t.u);
    } else if (rc == AS_OK) {
      *streamed = 1;
      rc = stream_unit(&t, need, err);
    }
  }
  if (rc == AS_ENOTSUP)
    rc = as_tab_unit_setup(cfg, cell, rep, need, &t.u, err);
  if (rc != AS_OK)
    goto done;
  if (cfg->bounds == AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB) {
    as_tab_bound b;
    if ((rc = as_tab_bound_constant(t.u.inst, t.u.beta, &b, err)) != AS_OK)
      goto done;
    t.bound = b.constant;
  }
  if ((t.win = malloc(t.u.d.K * t.u.d.V * sizeof *t.win)) == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = as_metrics_win_ref(t.u.inst, t.u.beta, t.win, err)) != AS_OK)
    goto done;
  rc = as_tab_run_grid(cfg, fit_candidate, fill_row, &t, out, err);
done:
  free(t.win);
  slots_free(&t);
  as_tab_unit_free(&t.u);
  return rc;
}

int as_tab_run_unit_dense(const as_config *cfg, size_t cell, long rep,
                          as_rows *out, as_err *err)
{
  int streamed;
  return run_unit(cfg, cell, rep, 0, out, &streamed, err);
}

int as_tab_run_unit_streamed(const as_config *cfg, size_t cell, long rep,
                             as_rows *out, int *streamed, as_err *err)
{
  return run_unit(cfg, cell, rep, 1, out, streamed, err);
}

static int tabular_run_unit(const as_config *cfg, size_t cell, long rep,
                            as_rows *out, as_err *err)
{
  int streamed;
  return run_unit(cfg, cell, rep, 1, out, &streamed, err);
}

static int tabular_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_TABULAR)
    return as_err_set(err, AS_ENOTSUP, "%s:%d: kind 'tabular' runs the "
                      "tabular class only (class.type = \"%s\")", cfg->path,
                      cfg->cls.line, as_class_type_name(cfg->cls.type));
  for (size_t i = 0; i < cfg->n_methods; i++)
    if (cfg->methods[i] == AS_METHOD_REBEL_ITER && cfg->lambda[0] == 0.0)
      return as_err_set(err, AS_EINVAL, "%s: method rebel-iter needs every "
                        "lambda > 0 (it converges only for 0 < eta*lambda "
                        "< 2, eta = 1/lambda); the grid starts at 0",
                        cfg->path);
  return AS_OK;
}

static const char *tabular_aux_label(const as_config *cfg)
{
  return cfg->bounds == AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB
             ? AS_TAB_BOUND_COLUMN : "aux";
}

const as_experiment_kind as_kind_tabular = {
  .name = "tabular",
  .aux_name = "aux",
  .check = tabular_check,
  .n_cells = as_tab_n_cells,
  .run_unit = tabular_run_unit,
  .aux_label = tabular_aux_label,
};
