/* as_hparam.c — the hyperparameter declarations of the atlas methods
 * (docs/reference.md §3.2) and the functions that derive everything from them; see
 * as_hparam.h. */
#include "as_hparam.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "as_fit.h"
#include "as_objective.h"

#define OFF(field) offsetof(as_fit_opts, field)

static const char *const gpo_losses[] = {"logistic", "square", "exp",
                                         "tquad", "hinge", NULL};

static const as_hparam hp_smoothing = {
    "smoothing", "--smoothing", AS_HP_REAL, 0.1, 0.0, 0.5, 0, 1, NULL,
    "label smoothing eps of cDPO (eps = 0 is DPO)",
    OFF(smoothing), NULL, 0, NULL, NULL};
static const as_hparam hp_flip = {
    "flip", "--flip", AS_HP_REAL, 0.1, 0.0, 0.5, 0, 1, NULL,
    "flip rate eps rDPO assumes (its repair is exact at the true rate)",
    OFF(flip), NULL, 0, NULL, NULL};
static const as_hparam hp_tau = {
    "tau", "--tau", AS_HP_REAL, 0.1, 0.0, AS_HP_MAX_SCALE, 1, 0, NULL,
    "IPO's tau: target margin 1/(2 tau) of t = h_w - h_l",
    OFF(tau), NULL, 0, NULL, NULL};
static const as_hparam hp_loss = {
    "loss", "--loss", AS_HP_CHOICE, AS_GPO_LOGISTIC, 0, AS_GPO_COUNT - 1, 0,
    0, gpo_losses, "GPO's convex f of beta_d t (hinge: an exact LP)",
    OFF(gpo_loss), NULL, 0, NULL, NULL};
static const as_hparam hp_margin = {
    "margin", "--margin", AS_HP_REAL, 0.0, 0.0, AS_HP_MAX_SCALE, 0, 0, NULL,
    "SimPO's target margin gamma_s (reference-free)",
    OFF(margin), NULL, 0, NULL, NULL};
static const as_hparam hp_alpha = {
    "alpha", "--alpha", AS_HP_REAL, 0.1, 0.0, AS_HP_MAX_SCALE, 0, 0, NULL,
    "ORPO's odds-ratio weight (alpha = 0: SFT on winners)",
    OFF(alpha), NULL, 0, NULL, NULL};
static const as_hparam hp_sppo_eta = {
    "eta", "--eta", AS_HP_REAL, 1.0, 0.0, AS_HP_MAX_SCALE, 1, 0, NULL,
    "SPPO's step eta of each self-play round", OFF(eta), NULL, 0, NULL, NULL};
static const as_hparam hp_sppo_rounds = {
    "iterations", "--iterations", AS_HP_INT, 10, 1, 1e8, 0, 0, NULL,
    "SPPO's number of rounds T (T plays lambda's role)",
    OFF(iterations), NULL, 0, NULL, NULL};
static const as_hparam hp_rebel_eta = {
    "eta", "--eta", AS_HP_REAL, NAN, 0.0, AS_HP_MAX_SCALE, 1, 0, NULL,
    "iterative REBEL step (default 1/lambda; needs 0 < eta*lambda < 2)",
    OFF(eta), "1/lambda", 0, NULL, NULL};
static const as_hparam hp_rebel_iter = {
    "iterations", "--iterations", AS_HP_INT, 1000, 1, 1e8, 0, 0, NULL,
    "iterative REBEL: cap on outer steps",
    OFF(iterations), NULL, 0, NULL, NULL};

/* The options the methods share (AS_HP_SHARED; as_hparam.h). */
#define SCALE_WHY "beyond it the closed forms and KL terms overflow"
static const as_hparam hp_lambda = {
    "lambda", "--lambda", AS_HP_REAL, 0.0, 0.0, AS_HP_MAX_SCALE, 0, 0, NULL,
    "KL_ref weight", OFF(lambda), NULL, AS_HP_SHARED | AS_HP_GRID, NULL,
    SCALE_WHY};
static const as_hparam hp_gamma = {
    "gamma", "--gamma", AS_HP_REAL, NAN, 0.0, AS_HP_MAX_SCALE, 0, 0, NULL,
    "RKL entropy weight", OFF(gamma), "beta", AS_HP_SHARED, "beta",
    SCALE_WHY};
static const as_hparam hp_beta_dpo = {
    "beta_dpo", "--beta-dpo", AS_HP_REAL, NAN, 0.0, AS_HP_MAX_TEMP, 1, 0,
    NULL, "DPO-family temperature", OFF(beta_dpo), "beta", AS_HP_SHARED,
    "beta", AS_HP_TEMP_WHY};
static const as_hparam hp_ridge = {
    "ridge", "--ridge", AS_HP_REAL, NAN, 0.0, AS_HP_MAX_SCALE, 0, 0, NULL,
    "ridge eta_r of the reward model", OFF(ridge), "1/n", AS_HP_SHARED,
    "default", SCALE_WHY};
static const as_hparam hp_steps = {
    "dpo_steps", "--steps", AS_HP_INT, 0, 0, 1e8, 0, 0, NULL,
    "gradient steps from log pi_ref (0: solve)", OFF(dpo_steps), NULL,
    AS_HP_SHARED, NULL, NULL};
static const as_hparam hp_lr = {
    "dpo_lr", "--lr", AS_HP_REAL, 0.1, 0.0, 1e6, 1, 0, NULL,
    "step size of the gradient steps", OFF(dpo_lr), NULL, AS_HP_SHARED, NULL,
    "a larger step overflows theta"};

/* The methods of docs/reference.md §3 (their options: the `uses` block of
 * --help), then the atlas of §3.2 (the summary block). */
static const as_method_decl d_pmle = {
    "pmle", AS_METHOD_PMLE, NULL, {&hp_lambda, NULL},
    "--lambda (KL_ref weight, default 0)"};
static const as_method_decl d_dpo = {
    "dpo", AS_METHOD_DPO, NULL, {&hp_beta_dpo, &hp_steps, &hp_lr, NULL},
    "--beta-dpo (default beta); --steps S --lr A: S gradient\n"
    "              steps from log pi_ref instead of solving "
    "(docs/reference.md §6 (E6); tabular;\n"
    "              also cdpo rdpo ipo gpo simpo orpo chipo)"};
static const as_method_decl d_reward = {
    "reward", AS_METHOD_REWARD, NULL, {&hp_ridge, NULL},
    "--ridge (eta_r, default 1/n: a N(0,1) prior per reward)"};
static const as_method_decl d_distill = {
    "distill", AS_METHOD_DISTILL, NULL, {&hp_lambda, &hp_ridge, NULL},
    "--lambda --ridge --mu2/--unlabelled (reward model, then\n"
    "              distillation)"};
static const as_method_decl d_rebel = {
    "rebel", AS_METHOD_REBEL, NULL, {&hp_lambda, &hp_ridge, NULL},
    "--lambda --ridge --mu2/--unlabelled (paper form, eq. 10)"};
static const as_method_decl d_rlhf = {
    "rlhf", AS_METHOD_RLHF, NULL, {&hp_lambda, &hp_ridge, NULL},
    "--lambda --ridge   (closed form with the fitted reward)"};
static const as_method_decl d_rkl = {
    "rkl", AS_METHOD_RKL, NULL, {&hp_lambda, &hp_gamma, &hp_ridge, NULL},
    "--lambda --gamma (entropy weight, default beta) --ridge"};
static const as_method_decl d_rebel_iter = {
    "rebel-iter", AS_METHOD_REBEL_ITER,
    "iterative on-policy REBEL (also --lambda --ridge)",
    {&hp_rebel_eta, &hp_rebel_iter, &hp_lambda, &hp_ridge, NULL}, NULL};
static const as_method_decl d_cdpo = {
    "cdpo", AS_METHOD_CDPO, "conservative DPO (label smoothing; --beta-dpo)",
    {&hp_smoothing, &hp_beta_dpo, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_rdpo = {
    "rdpo", AS_METHOD_RDPO, "robust DPO for a known flip rate (--beta-dpo)",
    {&hp_flip, &hp_beta_dpo, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_ipo = {
    "ipo", AS_METHOD_IPO, "identity preference optimisation",
    {&hp_tau, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_gpo = {
    "gpo", AS_METHOD_GPO, "generalised preference optimisation (--beta-dpo)",
    {&hp_loss, &hp_beta_dpo, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_slic = {
    "slic", AS_METHOD_SLIC, "SLiC-HF: GPO hinge, exact LP (--beta-dpo)",
    {&hp_beta_dpo, NULL}, NULL};
static const as_method_decl d_simpo = {
    "simpo", AS_METHOD_SIMPO, "SimPO, reference-free (--beta-dpo)",
    {&hp_margin, &hp_beta_dpo, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_orpo = {
    "orpo", AS_METHOD_ORPO, "ORPO: SFT on winners + odds ratio",
    {&hp_alpha, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_chipo = {
    "chipo", AS_METHOD_CHIPO, "chi-PO, unclipped (--beta-dpo)",
    {&hp_beta_dpo, &hp_steps, &hp_lr, NULL}, NULL};
static const as_method_decl d_sppo = {
    "sppo", AS_METHOD_SPPO,
    "self-play on the fitted reward's preferences (--ridge)",
    {&hp_sppo_eta, &hp_sppo_rounds, &hp_ridge, NULL}, NULL};
static const as_method_decl d_nash = {
    "nash", AS_METHOD_NASH,
    "KL-regularised self-play equilibrium (--lambda > 0, --ridge)",
    {&hp_lambda, &hp_ridge, NULL}, NULL};

static const as_method_decl *const decls[] = {
    &d_pmle, &d_dpo, &d_reward, &d_distill, &d_rebel, &d_rlhf, &d_rkl,
    &d_rebel_iter, &d_cdpo, &d_rdpo, &d_ipo, &d_gpo, &d_slic,
    &d_simpo, &d_orpo, &d_chipo, &d_sppo, &d_nash};
static const as_hparam_table table = {decls, sizeof decls / sizeof decls[0]};

const as_hparam_table *as_hparam_table_default(void) { return &table; }

const as_method_decl *as_hparam_find(const as_hparam_table *t,
                                     const char *name)
{
  for (size_t i = 0; i < t->n; i++)
    if (name != NULL && strcmp(t->decl[i]->method, name) == 0)
      return t->decl[i];
  return NULL;
}

const as_hparam *as_hparam_by_flag(const as_hparam_table *t, const char *flag)
{
  for (size_t i = 0; i < t->n; i++)
    for (const as_hparam *const *h = t->decl[i]->hp; *h; h++)
      if (strcmp((*h)->flag, flag) == 0)
        return *h;
  return NULL;
}

const as_hparam *as_hparam_by_key(const as_hparam_table *t, const char *key)
{
  for (size_t i = 0; i < t->n; i++)
    for (const as_hparam *const *h = t->decl[i]->hp; *h; h++)
      if (strcmp((*h)->key, key) == 0)
        return *h;
  return NULL;
}

int as_hparam_used_by(const as_method_decl *m, const as_hparam *h)
{
  return as_hparam_of_method(m, h) != NULL;
}

static void *field(const as_hparam *h, const as_fit_opts *o)
{
  return (char *)(uintptr_t)o + h->offset;
}

double as_hparam_get(const as_hparam *h, const as_fit_opts *o)
{
  switch (h->type) {
  case AS_HP_REAL: return *(double *)field(h, o);
  case AS_HP_INT: return (double)*(long *)field(h, o);
  default: return (double)*(int *)field(h, o);
  }
}

static void put(const as_hparam *h, as_fit_opts *o, double v)
{
  switch (h->type) {
  case AS_HP_REAL: *(double *)field(h, o) = v; break;
  case AS_HP_INT: *(long *)field(h, o) = (long)v; break;
  default: *(int *)field(h, o) = (int)v; break;
  }
}

static int shared(const as_hparam *h)
{
  return (h->flags & AS_HP_SHARED) != 0;
}

void as_hparam_unset(const as_hparam_table *t, as_fit_opts *o)
{
  for (size_t i = 0; i < t->n; i++)
    for (const as_hparam *const *h = t->decl[i]->hp; *h; h++)
      if (!shared(*h))
        put(*h, o, (*h)->type == AS_HP_REAL ? NAN
                 : (*h)->type == AS_HP_INT ? 0.0 : -1.0);
}

int as_hparam_is_unset(const as_hparam *h, const as_fit_opts *o)
{
  double v = as_hparam_get(h, o);
  return h->type == AS_HP_REAL ? isnan(v) : h->type == AS_HP_INT ? v == 0
                                                                 : v < 0;
}

void as_hparam_copy_set(const as_hparam_table *t, const as_fit_opts *src,
                        as_fit_opts *dst)
{
  for (size_t i = 0; i < t->n; i++)
    for (const as_hparam *const *h = t->decl[i]->hp; *h; h++)
      if (!shared(*h) && !as_hparam_is_unset(*h, src))
        put(*h, dst, as_hparam_get(*h, src));
}

void as_hparam_resolve(const as_method_decl *m, as_fit_opts *o)
{
  for (const as_hparam *const *h = m->hp; *h; h++)
    if (!shared(*h) && as_hparam_is_unset(*h, o))
      put(*h, o, (*h)->def);
}

static int in_range(const as_hparam *h, double v)
{
  if (isnan(v))
    return 0;
  if (h->lo_open ? !(v > h->lo) : !(v >= h->lo))
    return 0;
  return h->hi_open ? v < h->hi : v <= h->hi;
}

static void range_text(const as_hparam *h, char *buf, size_t size)
{
  if (h->type == AS_HP_CHOICE) {
    size_t len = 0;
    buf[0] = '\0';
    for (const char *const *c = h->choices; *c && len < size; c++)
      len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                              *c);
    return;
  }
  if (isinf(h->hi))
    snprintf(buf, size, "%s %g", h->lo_open ? ">" : ">=", h->lo);
  else
    snprintf(buf, size, "in %c%g, %g%c", h->lo_open ? '(' : '[', h->lo, h->hi,
             h->hi_open ? ')' : ']');
}

/* v, read from text (or, text NULL, given as a number), into h's field. */
static int set_text(const as_hparam *h, double v, const char *text,
                    const char *where, as_fit_opts *o, as_err *err)
{
  char r[96], shown[32];
  range_text(h, r, sizeof r);
  if (text == NULL)
    snprintf(shown, sizeof shown, "%.17g", v);
  if (!in_range(h, v) || (h->type != AS_HP_REAL && v != floor(v)))
    return as_err_set(err, AS_EINVAL, "%s: %s = %s must be %s%s%s%s", where,
                      h->key, text ? text : shown,
                      h->type == AS_HP_INT ? "an integer " : "", r,
                      h->why ? ": " : "", h->why ? h->why : "");
  put(h, o, v);
  return AS_OK;
}

int as_hparam_set(const as_hparam *h, double v, const char *where,
                  as_fit_opts *o, as_err *err)
{
  return set_text(h, v, NULL, where, o, err);
}

int as_hparam_set_word(const as_hparam *h, const char *word,
                       const char *where, as_fit_opts *o, as_err *err)
{
  if (h->word == NULL || strcmp(word, h->word) != 0)
    return as_err_set(err, AS_EINVAL, "%s: %s = '%s' must be %s%s%s", where,
                      h->key, word, h->word ? "\"" : "a number",
                      h->word ? h->word : "",
                      h->word ? "\" or a number" : "");
  put(h, o, NAN);
  return AS_OK;
}

int as_hparam_parse(const as_hparam *h, const char *text, const char *where,
                    as_fit_opts *o, as_err *err)
{
  if (h->type == AS_HP_CHOICE) {
    for (int i = 0; h->choices[i]; i++)
      if (strcmp(text, h->choices[i]) == 0)
        return as_hparam_set(h, i, where, o, err);
    char r[96];
    range_text(h, r, sizeof r);
    return as_err_set(err, AS_EINVAL, "%s: %s = '%s' is not one of %s", where,
                      h->key, text, r);
  }
  if (h->word != NULL && strcmp(text, h->word) == 0)
    return as_hparam_set_word(h, text, where, o, err);
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE)
    return as_err_set(err, AS_EINVAL, "%s: %s = '%s' is not a number", where,
                      h->key, text);
  return set_text(h, v, text, where, o, err);
}

int as_hparam_check(const as_hparam *h, const char *where,
                    const as_fit_opts *o, as_err *err)
{
  double v = as_hparam_get(h, o);
  if (h->type == AS_HP_REAL && isnan(v) && isnan(h->def))
    return AS_OK; /* a documented "default" (e.g. 1/lambda) */
  as_fit_opts tmp = *o;
  return as_hparam_set(h, v, where, &tmp, err);
}

int as_hparam_resolve_check(const as_method_decl *m, as_fit_opts *o,
                            as_err *err)
{
  as_hparam_resolve(m, o);
  char where[64];
  snprintf(where, sizeof where, "method %s", m->method);
  for (const as_hparam *const *h = m->hp; *h; h++) {
    if (shared(*h))
      continue; /* checked where it is read; its NAN means its rule */
    int rc = as_hparam_check(*h, where, o, err);
    if (rc != AS_OK)
      return rc;
  }
  return AS_OK;
}

void as_hparam_format(const as_hparam *h, const as_fit_opts *o, char *buf,
                      size_t size)
{
  double v = as_hparam_get(h, o);
  if (h->type == AS_HP_CHOICE) {
    int i = (int)v, n = 0;
    while (h->choices[n])
      n++;
    snprintf(buf, size, "%s", i >= 0 && i < n ? h->choices[i] : "unset");
  } else if (h->type == AS_HP_INT) {
    snprintf(buf, size, "%ld", (long)v);
  } else if (isnan(v) && h->word != NULL) {
    snprintf(buf, size, "%s", h->word); /* reads back as NAN */
  } else {
    snprintf(buf, size, "%.17g", v);
  }
}

/* "FLAG X  [default; range]" and the help line, as --help shows them. */
static void print_one(FILE *f, const as_hparam *h)
{
  char r[96], d[48];
  range_text(h, r, sizeof r);
  if (h->type == AS_HP_CHOICE)
    snprintf(d, sizeof d, "%s", h->choices[(int)h->def]);
  else
    snprintf(d, sizeof d, "%g", h->def);
  fprintf(f, "              %s %s  [%s; %s]\n                %s\n", h->flag,
          h->type == AS_HP_CHOICE ? "F" : "X", isnan(h->def) ? h->rule : d,
          r, h->help);
}

void as_hparam_print_help(FILE *f, const as_hparam_table *t)
{
  for (size_t i = 0; i < t->n; i++) {
    const as_method_decl *m = t->decl[i];
    if (m->summary == NULL)
      continue;
    fprintf(f, "  %-11s %s\n", m->method, m->summary);
    for (const as_hparam *const *h = m->hp; *h; h++)
      if (!shared(*h))
        print_one(f, *h);
  }
}

void as_hparam_print_shared(FILE *f, const as_hparam_table *t)
{
  const as_hparam *list[64];
  size_t n = as_hparam_list(t, list, sizeof list / sizeof list[0]);
  for (size_t i = 0; i < n; i++)
    if (shared(list[i]))
      print_one(f, list[i]);
}

void as_hparam_print_uses(FILE *f, const as_hparam_table *t)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->decl[i]->uses != NULL)
      fprintf(f, "  %-11s %s\n", t->decl[i]->method, t->decl[i]->uses);
}

size_t as_hparam_list(const as_hparam_table *t, const as_hparam **out,
                      size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < t->n; i++)
    for (const as_hparam *const *h = t->decl[i]->hp; *h; h++) {
      size_t k = 0;
      while (k < n && strcmp(out[k]->flag, (*h)->flag) != 0)
        k++;
      if (k < n || n == max)
        continue;
      /* insert in field order: the manifests list them so */
      for (k = n++; k > 0 && out[k - 1]->offset > (*h)->offset; k--)
        out[k] = out[k - 1];
      out[k] = *h;
    }
  return n;
}

const as_hparam *as_hparam_of_method(const as_method_decl *m,
                                     const as_hparam *h)
{
  for (const as_hparam *const *p = m ? m->hp : NULL; p && *p; p++)
    if (strcmp((*p)->flag, h->flag) == 0)
      return *p;
  return NULL;
}

void as_hparam_write_manifest(FILE *f, const as_method_decl *m,
                              const as_fit_opts *o)
{
  for (const as_hparam *const *h = m->hp; *h; h++) {
    char buf[64];
    as_hparam_format(*h, o, buf, sizeof buf);
    fprintf(f, "%s = %s\n", (*h)->key, buf);
  }
}
