/* as_kind_tabular.c — the tabular experiment kind (E1, E2, E4, E9, E10):
 * every configured method fitted on the unrestricted tabular class over the
 * λ grid, λ chosen per unit by the configured rule (docs/reference.md §6).
 *
 * A unit runs context by context (issue 8): its data blocks come from
 * as_stream.h, the reward and every candidate are fitted on each context
 * by as_fit_stream, and only K·V rows per candidate are kept — the rows
 * of whole K·V² tables bit for bit.  Idle threads of the run's pool may
 * join the unit (as_team_open): contexts are then drawn in order, fitted
 * on any thread and merged in order (the pipeline below), with the same
 * rows.  A method that cannot be streamed (DPO's total-loss gradient
 * steps) sends the unit back to whole tables (as_tab_unit_setup).
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
#include <pthread.h>
#include <stdatomic.h>
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
  /* Oracle tuning over a grid discards a fit with a failed context, so
   * once one has failed the slot's later contexts are skipped
   * (as_fit_stream_skip): set by whichever thread fitted the failure,
   * read by the others, hence atomic.  Which later contexts see it
   * depends on timing; the rows do not (as_tab_cand.abandoned). */
  int may_abandon;
  atomic_int abandoned;
} tab_slot;

/* The unit and what the kind adds to its rows. */
typedef struct tab_ctx {
  as_tab_unit u;
  double bound;    /* the Theorem-4 constant, NAN when not asked for    */
  tab_slot *slot;  /* streamed unit: every candidate; NULL: dense unit */
  size_t n_slot;
  int heldout;     /* the streamed unit scores on a held-out sample     */
  int abandon;     /* failed fits may be given up (tab_slot)            */
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
  c->abandoned = atomic_load(&s->abandoned);
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
                     int abandon, tab_slot *s, as_err *err)
{
  s->m = m;
  s->lambda = lambda;
  s->may_abandon = abandon && as_tab_cand_defers(u->cfg, m);
  atomic_init(&s->abandoned, 0);
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
      rc = slot_init(&t->u, m, has ? cfg->lambda[li] : NAN, t->abandon,
                     &t->slot[t->n_slot++], err);
  }
  return rc;
}

/* ---- a streamed unit's contexts on a team of threads (issue 8)
 *
 * Each context goes through three steps: drawn (its data blocks: the
 * sampled ones continue one multinomial chain, so contexts are drawn one
 * at a time and in order), fitted (the reward, then every candidate —
 * independent of the other contexts given the blocks), merged (each fit
 * stream's report, ‖θ‖² and the held-out sums, in context order).  Any
 * thread of the unit's team takes whichever step is ready — merge first
 * (it frees a job), then the next draw (the chain is the one sequential
 * step), then the oldest drawn context's fits — so the rows are the
 * one-thread rows bit for bit whatever the team's size.  Memory: one job
 * (3 V² blocks and a 2 V² solver scratch shared by its fits) per context
 * in flight, at most one more than the threads working on the unit at
 * the time (one drawn while each fits; pipe_free_job), allocated as first
 * needed. */

enum { JOB_FREE, JOB_DRAWING, JOB_DRAWN, JOB_FITTING, JOB_FITTED };

typedef struct tab_job {
  int state;
  size_t x;
  double *blk;        /* P, Q, Pval (V² each), the fits' scratch   */
  as_fit_block b;
  as_fit_part *rpart; /* the reward stream's                      */
  as_fit_part **part; /* per slot (NULL: a closed form)            */
  int rc;             /* the context's first failure               */
  as_err err;
} tab_job;

typedef struct tab_pipe {
  tab_ctx *t;
  as_stream *ds;
  as_fit_stream *rs;    /* NULL: no reward                          */
  size_t K, n_job;
  tab_job *job;
  pthread_mutex_t lock;
  pthread_cond_t cond;  /* a step finished                          */
  size_t next_draw, next_merge, limit; /* limit: no draw from here */
  size_t inside;        /* threads in pipe_run                      */
  int drawing, merging, over;
  as_fit_block prev;    /* the last block drawn (its running sums)  */
  int rc;               /* the first failure, in context order      */
  as_err err;
} tab_pipe;

/* The job's buffers, on first use. */
static int job_alloc(const tab_pipe *pp, tab_job *j)
{
  const tab_ctx *t = pp->t;
  size_t V = t->u.d.V;
  if (j->blk != NULL)
    return AS_OK;
  /* One block: a context's fits run one after the other and share one
   * scratch.  (Why one block: glibc serves a thread's allocations from
   * heaps of at most 64 MB; at V = 1000 separate blocks and scratch
   * filled the first, and every solve's own buffers then made and
   * unmapped a fresh heap — 10× the page faults.  A block this size is
   * mapped on its own.) */
  j->blk = malloc((3 * V * V + AS_FIT_PART_SCRATCH(V)) * sizeof *j->blk);
  j->part = calloc(t->n_slot, sizeof *j->part);
  if (j->blk == NULL || j->part == NULL)
    return AS_ENOMEM;
  double *scratch = j->blk + 3 * V * V;
  if (pp->rs != NULL && (j->rpart = as_fit_part_new(V, scratch)) == NULL)
    return AS_ENOMEM;
  for (size_t i = 0; i < t->n_slot; i++)
    if (t->slot[i].fs != NULL &&
        (j->part[i] = as_fit_part_new(V, scratch)) == NULL)
      return AS_ENOMEM;
  return AS_OK;
}

static void job_free(const tab_pipe *pp, tab_job *j)
{
  if (j->part != NULL)
    for (size_t i = 0; i < pp->t->n_slot; i++)
      as_fit_part_free(j->part[i]);
  free(j->part);
  as_fit_part_free(j->rpart);
  free(j->blk);
}

/* Draws context j->x: its blocks, checked once for every stream (runs
 * alone: the chain and pp->prev are the drawing thread's). */
static int pipe_draw(tab_pipe *pp, tab_job *j)
{
  const as_tab_unit *u = &pp->t->u;
  size_t C = u->d.V * u->d.V;
  if (job_alloc(pp, j) != AS_OK)
    return as_err_set(&j->err, AS_ENOMEM, "out of memory");
  double *P = j->blk, *Q = j->blk + C, *Pval = j->blk + 2 * C;
  int rc = as_stream_next(pp->ds, P, Q, Pval, &j->err);
  if (rc == AS_OK)
    rc = as_fit_block_check(u->d.V, j->x > 0 ? &pp->prev : NULL, P,
                            isnan(u->m) ? NULL : Q, &j->b, &j->err);
  if (rc == AS_OK)
    pp->prev = j->b;
  return rc;
}

/* Context j->x's reward row and every candidate's fit or closed form
 * (thread-safe: rows of context x only, reports into the job's parts). */
static int pipe_fit(const tab_pipe *pp, tab_job *j)
{
  const tab_ctx *t = pp->t;
  const as_tab_unit *u = &t->u;
  size_t x = j->x, V = u->d.V;
  const double *rrow = NULL;
  if (pp->rs != NULL) {
    as_err rerr;
    as_err_clear(&rerr);
    int rc = as_fit_stream_solve(pp->rs, &j->b, NULL, j->rpart, &rerr);
    if (rc != AS_OK) {
      j->err = rerr;
      return rc;
    }
    rrow = as_fit_stream_solved_reward(pp->rs, j->rpart);
  }
  for (size_t i = 0; i < t->n_slot; i++) {
    const tab_slot *s = &t->slot[i];
    if (s->fs == NULL) {
      closed_rows(u, s->m, s->lambda, x, 1, rrow, s->log_pi + x * V);
      continue;
    }
    tab_slot *w = &t->slot[i]; /* the flag only: written by any thread */
    if (atomic_load_explicit(&w->abandoned, memory_order_relaxed)) {
      int rc = as_fit_stream_skip(s->fs, &j->b, j->part[i], &j->err);
      if (rc != AS_OK)
        return rc;
      continue;
    }
    int rc = as_fit_stream_solve(s->fs, &j->b,
                                 as_tab_method_needs_reward(s->m) ? rrow
                                                                  : NULL,
                                 j->part[i], &j->err);
    if (rc != AS_OK)
      return rc;
    if (s->may_abandon && as_fit_part_failed(j->part[i]))
      atomic_store_explicit(&w->abandoned, 1, memory_order_relaxed);
  }
  return AS_OK;
}

/* Context j->x's reports into the streams and its held-out terms (in
 * context order: the running sums are the one-thread sums). */
static int pipe_merge(tab_pipe *pp, tab_job *j)
{
  tab_ctx *t = pp->t;
  const as_tab_unit *u = &t->u;
  size_t x = j->x, V = u->d.V;
  const double *Pval = j->blk + 2 * V * V;
  if (pp->rs != NULL) {
    int rc = as_fit_stream_merge(pp->rs, &j->b, j->rpart, &j->err);
    if (rc != AS_OK)
      return rc;
  }
  for (size_t i = 0; i < t->n_slot; i++) {
    tab_slot *s = &t->slot[i];
    /* rows, not logits, when Pval is given */
    const double *row = s->log_pi != NULL ? s->log_pi + x * V : NULL;
    if (s->fs != NULL) {
      int rc = as_fit_stream_merge(s->fs, &j->b, j->part[i], &j->err);
      if (rc != AS_OK)
        return rc;
      row = as_fit_stream_log_pi(s->fs, x);
    }
    if (t->heldout)
      s->score = heldout_add(V, u->beta, Pval, row, s->score);
  }
  return AS_OK;
}

/* The job holding context x in state `state`, or NULL. */
static tab_job *pipe_find(const tab_pipe *pp, size_t x, int state)
{
  for (size_t i = 0; i < pp->n_job; i++)
    if (pp->job[i].state == state && (x == SIZE_MAX || pp->job[i].x == x))
      return &pp->job[i];
  return NULL;
}

/* The oldest drawn context's job, or NULL. */
static tab_job *pipe_oldest_drawn(const tab_pipe *pp)
{
  tab_job *best = NULL;
  for (size_t i = 0; i < pp->n_job; i++)
    if (pp->job[i].state == JOB_DRAWN && (best == NULL ||
                                          pp->job[i].x < best->x))
      best = &pp->job[i];
  return best;
}

/* A free job for the next draw, one already allocated if any. */
static tab_job *pipe_free_job(const tab_pipe *pp)
{
  /* Contexts in flight: at most one more than the threads inside (one
   * drawn while each fits), so a unit that no helper joined holds two
   * jobs, not the pool's size + 1 (T units at once would hold T(T + 1)
   * V² blocks: ~25 GB at V = 1000 and --threads 32). */
  size_t in_use = 0;
  for (size_t i = 0; i < pp->n_job; i++)
    in_use += pp->job[i].state != JOB_FREE;
  if (in_use >= pp->inside + 1)
    return NULL;
  tab_job *any = NULL;
  for (size_t i = 0; i < pp->n_job; i++)
    if (pp->job[i].state == JOB_FREE) {
      if (pp->job[i].blk != NULL)
        return &pp->job[i];
      if (any == NULL)
        any = &pp->job[i];
    }
  return any;
}

/* Merges job j (its context is the next one), under the lock on entry
 * and exit. */
static void pipe_step_merge(tab_pipe *pp, tab_job *j)
{
  pp->merging = 1;
  pthread_mutex_unlock(&pp->lock);
  int rc = j->rc != AS_OK ? j->rc : pipe_merge(pp, j);
  pthread_mutex_lock(&pp->lock);
  pp->merging = 0;
  if (rc != AS_OK) { /* the unit's error: the earliest context's */
    pp->rc = rc;
    pp->err = j->err;
    pp->over = 1;
  }
  j->state = JOB_FREE;
  if (++pp->next_merge == pp->K)
    pp->over = 1;
}

/* Draws the next context into free job j (under the lock on entry and
 * exit). */
static void pipe_step_draw(tab_pipe *pp, tab_job *j)
{
  j->x = pp->next_draw++;
  j->state = JOB_DRAWING;
  j->rc = AS_OK;
  as_err_clear(&j->err);
  pp->drawing = 1;
  pthread_mutex_unlock(&pp->lock);
  int rc = pipe_draw(pp, j);
  pthread_mutex_lock(&pp->lock);
  pp->drawing = 0;
  j->rc = rc;
  j->state = rc == AS_OK ? JOB_DRAWN : JOB_FITTED; /* failure: to merge */
  if (rc != AS_OK && pp->limit > j->x + 1)
    pp->limit = j->x + 1;
}

/* Fits drawn job j (under the lock on entry and exit). */
static void pipe_step_fit(tab_pipe *pp, tab_job *j)
{
  j->state = JOB_FITTING;
  pthread_mutex_unlock(&pp->lock);
  int rc = pipe_fit(pp, j);
  pthread_mutex_lock(&pp->lock);
  j->rc = rc;
  j->state = JOB_FITTED;
  if (rc != AS_OK && pp->limit > j->x + 1)
    pp->limit = j->x + 1; /* later contexts cannot matter */
}

/* One ready step, under the lock; 0 when none is. */
static int pipe_step(tab_pipe *pp)
{
  tab_job *j;
  if (!pp->merging &&
      (j = pipe_find(pp, pp->next_merge, JOB_FITTED)) != NULL)
    pipe_step_merge(pp, j);
  else if (!pp->drawing && pp->next_draw < pp->limit &&
           (j = pipe_free_job(pp)) != NULL)
    pipe_step_draw(pp, j);
  else if ((j = pipe_oldest_drawn(pp)) != NULL)
    pipe_step_fit(pp, j);
  else
    return 0;
  return 1;
}

/* A thread's share of the unit's steps.  The unit's own thread (owner)
 * stays to the end; a helper leaves once no step is left to take (every
 * context drawn and its fit taken), so it can go back to the pool. */
static void pipe_run(tab_pipe *pp, int owner)
{
  pthread_mutex_lock(&pp->lock);
  pp->inside++;
  while (!pp->over) {
    if (pipe_step(pp)) {
      pthread_cond_broadcast(&pp->cond);
      continue;
    }
    if (!owner && pp->next_draw >= pp->limit)
      break;
    pthread_cond_wait(&pp->cond, &pp->lock);
  }
  pp->inside--;
  pthread_mutex_unlock(&pp->lock);
}

static void pipe_help(void *ctx)
{
  pipe_run(ctx, 0);
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

/* Every context of the unit, on its team: the reward's and each
 * candidate's streams filled in context order. */
static int stream_contexts(tab_ctx *t, as_stream *ds, as_fit_stream *rs,
                           as_team *team, as_err *err)
{
  int threads = as_team_threads(team);
  tab_pipe pp = {.t = t, .ds = ds, .rs = rs, .K = t->u.d.K,
                 .n_job = (size_t)threads + (threads > 1),
                 .limit = t->u.d.K};
  if ((pp.job = calloc(pp.n_job, sizeof *pp.job)) == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  pthread_mutex_init(&pp.lock, NULL);
  pthread_cond_init(&pp.cond, NULL);
  as_team_open(team, pipe_help, &pp);
  pipe_run(&pp, 1);
  as_team_close(team);
  pthread_cond_destroy(&pp.cond);
  pthread_mutex_destroy(&pp.lock);
  for (size_t i = 0; i < pp.n_job; i++)
    job_free(&pp, &pp.job[i]);
  free(pp.job);
  if (pp.rc != AS_OK) {
    if (err != NULL)
      *err = pp.err;
    return pp.rc;
  }
  return rs != NULL ? reward_take(&t->u, rs, err) : AS_OK;
}

/* The data, the reward and every candidate of a streamed unit, context by
 * context (memory O(V²) blocks plus K·V rows per candidate). */
static int stream_unit(tab_ctx *t, int need, as_team *team, as_err *err)
{
  as_tab_unit *u = &t->u;
  as_stream *ds = NULL;
  as_fit_stream *rs = NULL;
  t->heldout = (need & AS_TAB_NEED_HELDOUT) != 0;
  int rc = as_stream_new(u->cfg, u->cell, u->replicate, u->inst, u->beta, u->n,
                       need & AS_TAB_NEED_Q, t->heldout, &ds, &u->m, err);
  if (rc == AS_OK && (need & AS_TAB_NEED_REWARD))
    rc = as_fit_stream_new_reward(&u->d, as_tab_ridge(u->cfg, u->n), &rs,
                                  err);
  if (rc == AS_OK)
    rc = stream_contexts(t, ds, rs, team, err);
  if (rc == AS_OK)
    rc = as_dilemma_floor(u->inst, u->beta, &u->floor, err);
  as_fit_stream_free(rs);
  as_stream_free(ds);
  return rc;
}

/* The unit fitted context by context (as_tab_run_unit_streamed; on team,
 * which may be NULL) or on whole tables; *streamed says which ran;
 * abandon: failed fits may be given up (AS_ERETRY when that mattered). */
static int run_unit_once(const as_config *cfg, size_t cell, long rep,
                         int allow_stream, int abandon, as_team *team,
                         as_rows *out, int *streamed, as_err *err)
{
  tab_ctx t = {.bound = NAN, .abandon = abandon};
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
      rc = stream_unit(&t, need, team, err);
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

/* run_unit_once giving up failed fits, and again without where no
 * candidate of a grid converged (as_tab_cand.abandoned): the rows of a
 * run that fits every candidate in full. */
static int run_unit(const as_config *cfg, size_t cell, long rep,
                    int allow_stream, as_team *team, as_rows *out,
                    int *streamed, as_err *err)
{
  size_t n0 = out->count;
  int rc = run_unit_once(cfg, cell, rep, allow_stream, 1, team, out,
                         streamed, err);
  if (rc != AS_ERETRY)
    return rc;
  out->count = n0; /* the rows of the methods before it, made again */
  return run_unit_once(cfg, cell, rep, allow_stream, 0, team, out, streamed,
                       err);
}

int as_tab_run_unit_dense(const as_config *cfg, size_t cell, long rep,
                          as_rows *out, as_err *err)
{
  int streamed;
  return run_unit(cfg, cell, rep, 0, NULL, out, &streamed, err);
}

int as_tab_run_unit_streamed(const as_config *cfg, size_t cell, long rep,
                             as_rows *out, int *streamed, as_err *err)
{
  return run_unit(cfg, cell, rep, 1, NULL, out, streamed, err);
}

static int tabular_run_unit(const as_config *cfg, size_t cell, long rep,
                            as_rows *out, as_err *err)
{
  int streamed;
  return run_unit(cfg, cell, rep, 1, NULL, out, &streamed, err);
}

static int tabular_run_unit_team(const as_config *cfg, size_t cell,
                                 long rep, as_team *team, as_rows *out,
                                 as_err *err)
{
  int streamed;
  return run_unit(cfg, cell, rep, 1, team, out, &streamed, err);
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
  .run_unit_team = tabular_run_unit_team,
  .aux_label = tabular_aux_label,
};
