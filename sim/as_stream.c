/* as_stream.c — a tabular unit's data context by context (see
 * as_stream.h). */
#include "as_stream.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "as_experiment.h"
#include "as_pref.h"
#include "as_tabular.h"

/* One table: the population probabilities (scale = 0) or counts / scale
 * from a multinomial drawn context by context. */
typedef struct stream_src {
  int pairs;            /* ρμ'μ' (Q) rather than the labelled cells     */
  double scale;         /* n or m; 0: the population                   */
  gsl_rng *r;
  as_pref_stream *ps;
} stream_src;

struct as_stream {
  const as_instance *inst;
  double beta, flip;
  size_t x;             /* next context                                */
  stream_src P, Q, val;
  int want_q, want_val;
  uint64_t *N;          /* V² counts                                   */
};

static void src_free(stream_src *s)
{
  as_pref_stream_free(s->ps);
  gsl_rng_free(s->r);
}

void as_stream_free(as_stream *s)
{
  if (s == NULL)
    return;
  src_free(&s->P);
  src_free(&s->Q);
  src_free(&s->val);
  free(s->N);
  free(s);
}

/* A sampled table of `count` records from stream `stream`. */
static int src_sampled(as_stream *s, const as_config *cfg, uint64_t stream,
                       long rep, int pairs, double count, stream_src *src,
                       as_err *err)
{
  src->pairs = pairs;
  src->scale = count;
  if ((src->r = as_tab_stream(cfg, stream, rep)) == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  return as_pref_stream_new(s->inst, pairs, s->beta, s->flip,
                            (uint64_t)count, src->r, &src->ps, err);
}

/* P, or Pval: the population when n = ∞, else n records. */
static int src_labelled(as_stream *s, const as_config *cfg, uint64_t stream,
                        long rep, double n, stream_src *src, as_err *err)
{
  if (isinf(n)) /* as_pref_cell_probs_flip's checks, once */
    return as_pref_cell_probs_check(s->inst, s->beta, s->flip, err);
  return src_sampled(s, cfg, stream, rep, 0, n, src, err);
}

int as_stream_new(const as_config *cfg, size_t cell, long rep,
                  const as_instance *inst, double beta, double n, int want_q,
                  int want_val, as_stream **out, double *m, as_err *err)
{
  *out = NULL;
  *m = NAN;
  as_stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  *s = (as_stream){.inst = inst, .beta = beta, .flip = cfg->label_flip,
                   .want_q = want_q, .want_val = want_val};
  s->N = malloc(inst->V * inst->V * sizeof *s->N);
  int rc = s->N == NULL ? as_err_set(err, AS_ENOMEM, "out of memory")
                        : AS_OK;
  if (rc == AS_OK)
    rc = src_labelled(s, cfg, as_experiment_stream(cell, AS_STREAM_DATA),
                      rep, n, &s->P, err);
  if (rc == AS_OK && want_q) {
    s->Q.pairs = 1;
    *m = INFINITY;
    if (!cfg->m_population && isfinite(n)) {
      rc = src_sampled(s, cfg, as_experiment_stream(cell,
                                                    AS_STREAM_UNLABELLED),
                       rep, 1, (double)cfg->m, &s->Q, err);
      *m = (double)cfg->m;
    }
  }
  if (rc == AS_OK && want_val) {
    double nval = isinf(n) ? INFINITY : ceil(cfg->heldout_fraction * n);
    rc = src_labelled(s, cfg, as_experiment_stream(cell, AS_STREAM_HELDOUT),
                      rep, nval, &s->val, err);
  }
  if (rc != AS_OK) {
    as_stream_free(s);
    return rc;
  }
  *out = s;
  return AS_OK;
}

/* Context x's block of one table. */
static int src_block(as_stream *s, stream_src *src, size_t x, double *out,
                     as_err *err)
{
  size_t C = s->inst->V * s->inst->V;
  if (src->ps == NULL) {
    if (src->pairs)
      as_pref_pair_probs_ctx(s->inst, x, out);
    else
      as_pref_cell_probs_ctx(s->inst, s->beta, s->flip, x, out);
    return AS_OK;
  }
  int rc = as_pref_stream_next(src->ps, s->N, err);
  if (rc != AS_OK)
    return rc;
  for (size_t i = 0; i < C; i++)
    out[i] = (double)s->N[i] / src->scale;
  return AS_OK;
}

int as_stream_next(as_stream *s, double *P, double *Q, double *Pval,
                   as_err *err)
{
  if (s->x >= s->inst->K)
    return as_err_set(err, AS_EINVAL, "data stream: all %zu contexts drawn",
                      s->inst->K);
  size_t x = s->x++;
  int rc = src_block(s, &s->P, x, P, err);
  if (rc == AS_OK && s->want_q)
    rc = src_block(s, &s->Q, x, Q, err);
  if (rc == AS_OK && s->want_val)
    rc = src_block(s, &s->val, x, Pval, err);
  return rc;
}
