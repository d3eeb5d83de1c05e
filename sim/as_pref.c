/* as_pref.c — Bradley–Terry preference data as counts (docs/reference.md §2). */
#include "as_pref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "as_math.h"

/* gsl_ran_binomial takes an unsigned int n and its BTPE branch does int
 * arithmetic on n, so it is only ever called with n ≤ 2^30. */
#define AS_BINOMIAL_CHUNK (1u << 30)

as_counts *as_counts_new(size_t K, size_t V)
{
  if (K == 0 || V == 0 || V > SIZE_MAX / V || K > SIZE_MAX / (V * V)
      || K * V * V > SIZE_MAX / sizeof(uint64_t))
    return NULL;
  as_counts *c = malloc(sizeof *c);
  if (c == NULL)
    return NULL;
  c->K = K;
  c->V = V;
  c->n = 0;
  c->N = calloc(K * V * V, sizeof(uint64_t));
  if (c->N == NULL) {
    free(c);
    return NULL;
  }
  return c;
}

void as_counts_free(as_counts *c)
{
  if (c == NULL)
    return;
  free(c->N);
  free(c);
}

int as_counts_total(as_counts *c, as_err *err)
{
  size_t cells = c->K * c->V * c->V;
  uint64_t n = 0;
  for (size_t i = 0; i < cells; i++) {
    if (c->N[i] > UINT64_MAX - n)
      return as_err_set(err, AS_EINVAL,
                        "counts: total exceeds 2^64 - 1 at cell %zu "
                        "(count %llu)",
                        i, (unsigned long long)c->N[i]);
    n += c->N[i];
  }
  c->n = n;
  return AS_OK;
}

/* ------------------------------------------------------- probabilities */

static int check_beta(double beta, as_err *err)
{
  if (!isfinite(beta) || !(beta > 0.0))
    return as_err_set(err, AS_EINVAL,
                      "preferences: beta = %g must be finite and > 0", beta);
  return AS_OK;
}

static int check_flip(double flip, as_err *err)
{
  if (!(flip >= 0.0 && flip < 0.5))
    return as_err_set(err, AS_EINVAL,
                      "preferences: label flip rate %g must be in [0, 0.5)",
                      flip);
  return AS_OK;
}

/* as_log_sigmoid(t) and as_log_sigmoid(−t) with one log1p(e^{−|t|}):
 * as_math.c's branches and operations, hence its bits, at a third fewer
 * transcendental calls per cell (K·V² of them per table). */
static void log_sigmoid_pair(double t, double *pos, double *neg)
{
  if (t >= 0.0) {
    double L = log1p(exp(-t));
    *pos = -L;
    *neg = -t >= 0.0 ? -L : -t - L; /* t = 0: −log1p(e^0) both ways */
  } else if (t < 0.0) {
    double L = log1p(exp(t));
    *pos = t - L;
    *neg = -L;
  } else { /* NaN */
    *pos = *neg = as_log_sigmoid(t);
  }
}

/* log P_ε(a ≻ b) of docs/reference.md §2, (1−ε)σ(βΔ) + εσ(−βΔ) in log
 * space, from lw = log σ(βΔ) and ll = log σ(−βΔ). */
static double log_win_flip(double flip, double lw, double ll)
{
  if (flip == 0.0)
    return lw;
  double hi = fmax(lw + log1p(-flip), ll + log(flip));
  double lo = fmin(lw + log1p(-flip), ll + log(flip));
  return hi + log1p(exp(lo - hi));
}

int as_pref_cell_probs(const as_instance *inst, double beta, double *p,
                       as_err *err)
{
  return as_pref_cell_probs_flip(inst, beta, 0.0, p, err);
}

int as_pref_cell_probs_check(const as_instance *inst, double beta,
                             double flip, as_err *err)
{
  int rc;
  if ((rc = check_beta(beta, err)) != AS_OK
      || (rc = check_flip(flip, err)) != AS_OK)
    return rc;
  return as_instance_check(inst, err);
}

int as_pref_cell_probs_flip(const as_instance *inst, double beta, double flip,
                            double *p, as_err *err)
{
  int rc = as_pref_cell_probs_check(inst, beta, flip, err);
  if (rc != AS_OK)
    return rc;
  size_t V = inst->V;
  for (size_t x = 0; x < inst->K; x++)
    as_pref_cell_probs_ctx(inst, beta, flip, x, p + x * V * V);
  return AS_OK;
}

void as_pref_cell_probs_ctx(const as_instance *inst, double beta, double flip,
                            size_t x, double *p)
{
  size_t V = inst->V;
  const double *lmu = inst->log_mu + x * V;
  const double *ls = inst->log_pi_star + x * V;
  double lr = inst->log_rho[x];
  /* docs/reference.md §2: ρμ_a² on the diagonal; 2ρμ_aμ_b P_ε(a ≻ b) off it
   * (both orders of drawing (y, y') give winner a, loser b).  Cells (a, b)
   * and (b, a) share their sigmoids: β(ℓ*_b − ℓ*_a) = −β(ℓ*_a − ℓ*_b)
   * exactly. */
  for (size_t a = 0; a < V; a++) {
    p[a * V + a] = exp(lr + 2.0 * lmu[a]);
    for (size_t b = a + 1; b < V; b++) {
      double pos, neg;
      log_sigmoid_pair(beta * (ls[a] - ls[b]), &pos, &neg);
      p[a * V + b] = exp(M_LN2 + lr + lmu[a] + lmu[b]
                         + log_win_flip(flip, pos, neg));
      p[b * V + a] = exp(M_LN2 + lr + lmu[b] + lmu[a]
                         + log_win_flip(flip, neg, pos));
    }
  }
}

int as_pref_pair_probs(const as_instance *inst, double *q, as_err *err)
{
  int rc = as_instance_check(inst, err);
  if (rc != AS_OK)
    return rc;
  size_t V = inst->V;
  for (size_t x = 0; x < inst->K; x++)
    as_pref_pair_probs_ctx(inst, x, q + x * V * V);
  return AS_OK;
}

void as_pref_pair_probs_ctx(const as_instance *inst, size_t x, double *q)
{
  size_t V = inst->V;
  const double *lm = inst->log_mu2 + x * V;
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++)
      q[a * V + b] = exp(inst->log_rho[x] + lm[a] + lm[b]);
}

/* ------------------------------------------------------------ sampling */

/* Bin(n, q) for 64-bit n, exact in law, in O(log(n / 2^30)) draws.
 *
 * Bin(n, q) counts the U_i < q among n iid uniforms.  The a-th smallest of
 * them, X, is Beta(a, n − a + 1); given X the a − 1 below it are iid
 * U(0, X) and the n − a above it iid U(X, 1) (Knuth, TAOCP 3.4.1; the old
 * GSL randist/binomial.c).  So the count is
 *   Bin(a − 1, q / X)                    if q ≤ X,
 *   a + Bin(n − a, (q − X) / (1 − X))    otherwise.
 * With a = ⌈n/2⌉ every step at least halves n; once n ≤ 2^30,
 * gsl_ran_binomial finishes.  At most 34 Beta draws for n < 2^64, which
 * keeps the cost of N ~ Multinomial(n, p) essentially independent of n. */
static uint64_t binomial_u64(gsl_rng *r, double q, uint64_t n)
{
  uint64_t k = 0;
  while (n > AS_BINOMIAL_CHUNK) {
    if (q <= 0.0)
      return k;
    if (q >= 1.0)
      return k + n;
    uint64_t a = n / 2 + n % 2;
    double X = gsl_ran_beta(r, (double)a, (double)(n - a + 1));
    if (q <= X) {
      q /= X;
      n = a - 1;
    } else {
      k += a;
      q = (q - X) / (1.0 - X);
      n -= a;
    }
  }
  if (q <= 0.0 || n == 0)
    return k;
  if (q >= 1.0)
    return k + n;
  return k + gsl_ran_binomial(r, q, (unsigned int)n);
}

/* N_i | N_0..N_{i-1} ~ Bin(left − Σ_{j<i} N_j, p_i / S_i) for the C cells
 * of one block, S[0..C] its suffix masses (S[C]: the mass after it);
 * *left is what remains to be drawn. */
static void draw_block(gsl_rng *r, const double *p, const double *S, size_t C,
                       uint64_t *left, uint64_t *out)
{
  for (size_t i = 0; i < C; i++) {
    if (*left == 0 || p[i] == 0.0) {
      out[i] = 0;
    } else if (S[i + 1] == 0.0) {
      out[i] = *left; /* last cell with mass: the remainder, sum is n */
    } else {
      out[i] = binomial_u64(r, p[i] / S[i], *left);
    }
    *left -= out[i];
  }
}

/* S[i] = p[i] + S[i+1] backwards from S[C] = tail: a block of the
 * whole-table sums, the same additions in the same order. */
static void suffix_block(const double *p, size_t C, double tail, double *S)
{
  S[C] = tail;
  for (size_t i = C; i-- > 0;)
    S[i] = p[i] + S[i + 1];
}

int as_pref_multinomial(gsl_rng *r, uint64_t n, const double *p, size_t C,
                        uint64_t *out, as_err *err)
{
  if (C == 0)
    return as_err_set(err, AS_EINVAL, "multinomial: no cells");
  for (size_t i = 0; i < C; i++)
    if (!isfinite(p[i]) || p[i] < 0.0)
      return as_err_set(err, AS_EINVAL,
                        "multinomial: probability p[%zu] = %g is not finite "
                        "and >= 0", i, p[i]);
  /* Suffix masses S_i = Σ_{j≥i} p_j summed backwards: a sum of
   * non-negative terms, so no cancellation, and fl(p_i + S_{i+1}) ≥ p_i
   * makes p_i / S_i ≤ 1 without any clamping. */
  double *S = malloc((C + 1) * sizeof(double));
  if (S == NULL)
    return as_err_set(err, AS_ENOMEM, "multinomial: out of memory (%zu cells)",
                      C);
  suffix_block(p, C, 0.0, S);
  if (!(S[0] > 0.0) || !isfinite(S[0])) {
    double total = S[0];
    free(S);
    return as_err_set(err, AS_EINVAL,
                      "multinomial: total probability %g is not positive and "
                      "finite", total);
  }
  uint64_t left = n;
  draw_block(r, p, S, C, &left, out);
  free(S);
  return AS_OK;
}

static int check_out(const as_instance *inst, const as_counts *out,
                     const char *who, as_err *err)
{
  if (out == NULL || out->N == NULL)
    return as_err_set(err, AS_EINVAL, "%s: NULL output counts", who);
  if (out->K != inst->K || out->V != inst->V)
    return as_err_set(err, AS_EINVAL,
                      "%s: counts are %zu x %zu but the instance is K = %zu, "
                      "V = %zu",
                      who, out->K, out->V, inst->K, inst->V);
  return AS_OK;
}

/* Multinomial(n, probs(inst)) into out; probs is cell_probs or pair_probs. */
static int sample_multinomial(const as_instance *inst, double beta,
                              double flip, int pairs, uint64_t n, gsl_rng *r,
                              as_counts *out, as_err *err)
{
  const char *who = pairs ? "as_pref_sample_unlabelled"
                          : "as_pref_sample_counts";
  int rc = as_instance_check(inst, err);
  if (rc != AS_OK || (rc = check_out(inst, out, who, err)) != AS_OK)
    return rc;
  size_t C = inst->K * inst->V * inst->V;
  double *p = malloc(C * sizeof(double));
  uint64_t *N = malloc(C * sizeof(uint64_t));
  if (p == NULL || N == NULL) {
    free(p);
    free(N);
    return as_err_set(err, AS_ENOMEM, "%s: out of memory (%zu cells)", who,
                      C);
  }
  rc = pairs ? as_pref_pair_probs(inst, p, err)
             : as_pref_cell_probs_flip(inst, beta, flip, p, err);
  if (rc == AS_OK)
    rc = as_pref_multinomial(r, n, p, C, N, err);
  if (rc == AS_OK) {
    /* out is written only on success. */
    memcpy(out->N, N, C * sizeof(uint64_t));
    out->n = n;
  }
  free(p);
  free(N);
  return rc;
}

int as_pref_sample_counts(const as_instance *inst, double beta, uint64_t n,
                          gsl_rng *r, as_counts *out, as_err *err)
{
  return sample_multinomial(inst, beta, 0.0, 0, n, r, out, err);
}

int as_pref_sample_counts_flip(const as_instance *inst, double beta,
                               double flip, uint64_t n, gsl_rng *r,
                               as_counts *out, as_err *err)
{
  return sample_multinomial(inst, beta, flip, 0, n, r, out, err);
}

int as_pref_sample_unlabelled(const as_instance *inst, uint64_t m,
                              gsl_rng *r, as_counts *out, as_err *err)
{
  return sample_multinomial(inst, 1.0, 0.0, 1, m, r, out, err);
}

/* The literal process of docs/reference.md §2, one record at a time.  Draws per record,
 * in order: x ~ ρ, y ~ μ(·|x), y' ~ μ(·|x) (gsl_ran_discrete), then, only if
 * y ≠ y', one Bernoulli(σ(β(ℓ*_y − ℓ*_y'))) deciding whether y wins. */
int as_pref_sample_records(const as_instance *inst, double beta, uint64_t n,
                           gsl_rng *r, as_counts *out, as_err *err)
{
  return as_pref_sample_records_progress(inst, beta, n, r, out, NULL, NULL,
                                         err);
}

int as_pref_sample_records_progress(const as_instance *inst, double beta,
                                    uint64_t n, gsl_rng *r, as_counts *out,
                                    as_pref_progress_fn progress, void *user,
                                    as_err *err)
{
  return as_pref_sample_records_flip(inst, beta, 0.0, n, r, out, progress,
                                     user, err);
}

int as_pref_sample_records_flip(const as_instance *inst, double beta,
                                double flip, uint64_t n, gsl_rng *r,
                                as_counts *out, as_pref_progress_fn progress,
                                void *user, as_err *err)
{
  int rc;
  if ((rc = check_beta(beta, err)) != AS_OK
      || (rc = check_flip(flip, err)) != AS_OK
      || (rc = as_instance_check(inst, err)) != AS_OK
      || (rc = check_out(inst, out, "as_pref_sample_records", err)) != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V, C = K * V * V;
  gsl_ran_discrete_t **tab = calloc(K + 1, sizeof *tab);
  double *w = malloc((K > V ? K : V) * sizeof(double));
  double *pwin = malloc(C * sizeof(double));
  uint64_t *N = calloc(C, sizeof(uint64_t));
  rc = AS_OK;
  if (tab == NULL || w == NULL || pwin == NULL || N == NULL)
    rc = AS_ENOMEM;
  /* Tables built once per context (tab[K] is ρ), not per record. */
  for (size_t x = 0; rc == AS_OK && x <= K; x++) {
    size_t len = x < K ? V : K;
    const double *lw = x < K ? inst->log_mu + x * V : inst->log_rho;
    for (size_t i = 0; i < len; i++)
      w[i] = exp(lw[i]);
    if ((tab[x] = gsl_ran_discrete_preproc(len, w)) == NULL)
      rc = AS_ENOMEM;
  }
  if (rc == AS_OK) {
    for (size_t x = 0; x < K; x++) {
      const double *ls = inst->log_pi_star + x * V;
      for (size_t a = 0; a < V; a++)
        for (size_t b = 0; b < V; b++)
          pwin[(x * V + a) * V + b] = as_sigmoid(beta * (ls[a] - ls[b]));
    }
    /* Chunks of AS_PREF_PROGRESS_EVERY records: the draws do not depend
     * on the chunking, only the progress calls do. */
    for (uint64_t i = 0; i < n;) {
      if (progress != NULL)
        progress(i, n, user);
      uint64_t end = n - i > AS_PREF_PROGRESS_EVERY
                         ? i + AS_PREF_PROGRESS_EVERY : n;
      for (; i < end; i++) {
        size_t x = gsl_ran_discrete(r, tab[K]);
        size_t y = gsl_ran_discrete(r, tab[x]);
        size_t y2 = gsl_ran_discrete(r, tab[x]);
        size_t cell = (x * V + y) * V + y2;
        /* The annotator's label, then (ε > 0 only, so ε = 0 keeps the
         * draws of the noiseless process) an independent flip of it. */
        int swap = y != y2 && !gsl_ran_bernoulli(r, pwin[cell]);
        if (y != y2 && flip > 0.0 && gsl_ran_bernoulli(r, flip))
          swap = !swap;
        if (swap)
          cell = (x * V + y2) * V + y; /* y' won */
        N[cell]++;
      }
    }
    if (progress != NULL)
      progress(n, n, user);
    memcpy(out->N, N, C * sizeof(uint64_t));
    out->n = n;
  }
  if (tab != NULL)
    for (size_t x = 0; x <= K; x++)
      if (tab[x] != NULL)
        gsl_ran_discrete_free(tab[x]);
  free(tab);
  free(w);
  free(pwin);
  free(N);
  if (rc == AS_ENOMEM)
    return as_err_set(err, AS_ENOMEM,
                      "as_pref_sample_records: out of memory (K = %zu, V = %zu)",
                      K, V);
  return rc;
}

/* ------------------------------------------- sampling context by context */

struct as_pref_stream {
  const as_instance *inst;
  int pairs;
  double beta, flip;
  gsl_rng *r;    /* borrowed */
  uint64_t left; /* records not yet drawn */
  size_t x;      /* next context */
  double *S_at;  /* K + 1 suffix masses at the context boundaries */
  double *p, *S; /* one context's probabilities and suffix masses */
};

static void stream_probs(const as_pref_stream *s, size_t x)
{
  if (s->pairs)
    as_pref_pair_probs_ctx(s->inst, x, s->p);
  else
    as_pref_cell_probs_ctx(s->inst, s->beta, s->flip, x, s->p);
}

void as_pref_stream_free(as_pref_stream *s)
{
  if (s == NULL)
    return;
  free(s->S_at);
  free(s->p);
  free(s->S);
  free(s);
}

/* The backward pre-pass: S_at[x] = mass of contexts x.., summed cell by
 * cell from the end exactly as as_pref_multinomial sums the whole table. */
static int stream_boundaries(as_pref_stream *s, as_err *err)
{
  size_t K = s->inst->K, C = s->inst->V * s->inst->V;
  s->S_at[K] = 0.0;
  for (size_t x = K; x-- > 0;) {
    stream_probs(s, x);
    for (size_t i = 0; i < C; i++)
      if (!isfinite(s->p[i]) || s->p[i] < 0.0)
        return as_err_set(err, AS_EINVAL, "multinomial: probability p[%zu] "
                          "= %g is not finite and >= 0", x * C + i, s->p[i]);
    suffix_block(s->p, C, s->S_at[x + 1], s->S);
    s->S_at[x] = s->S[0];
  }
  if (!(s->S_at[0] > 0.0) || !isfinite(s->S_at[0]))
    return as_err_set(err, AS_EINVAL, "multinomial: total probability %g is "
                      "not positive and finite", s->S_at[0]);
  return AS_OK;
}

int as_pref_stream_new(const as_instance *inst, int pairs, double beta,
                       double flip, uint64_t n, gsl_rng *r,
                       as_pref_stream **out, as_err *err)
{
  *out = NULL;
  int rc = pairs ? as_instance_check(inst, err)
                : as_pref_cell_probs_check(inst, beta, flip, err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, C = inst->V * inst->V;
  as_pref_stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return as_err_set(err, AS_ENOMEM, "pref stream: out of memory");
  *s = (as_pref_stream){.inst = inst, .pairs = pairs, .beta = beta,
                        .flip = flip, .r = r, .left = n};
  s->S_at = malloc((K + 1) * sizeof *s->S_at);
  s->p = malloc(C * sizeof *s->p);
  s->S = malloc((C + 1) * sizeof *s->S);
  if (s->S_at == NULL || s->p == NULL || s->S == NULL)
    rc = as_err_set(err, AS_ENOMEM, "pref stream: out of memory (V = %zu)",
                    inst->V);
  else
    rc = stream_boundaries(s, err);
  if (rc != AS_OK) {
    as_pref_stream_free(s);
    return rc;
  }
  *out = s;
  return AS_OK;
}

int as_pref_stream_next(as_pref_stream *s, uint64_t *N, as_err *err)
{
  size_t C = s->inst->V * s->inst->V;
  if (s->x >= s->inst->K)
    return as_err_set(err, AS_EINVAL, "pref stream: all %zu contexts drawn",
                      s->inst->K);
  stream_probs(s, s->x);
  suffix_block(s->p, C, s->S_at[s->x + 1], s->S);
  draw_block(s->r, s->p, s->S, C, &s->left, N);
  s->x++;
  return AS_OK;
}
