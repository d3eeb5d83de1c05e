/* as_config.c — experiment configuration files read with libconfig
 * (schema: experiments/README.md).  Every setting is looked up by a table
 * of known keys so that an unknown key, a wrong type or an impossible value
 * is reported with its source line. */
#include "as_config.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "as_hparam.h"
#include "as_limits.h"
#include "as_metrics.h"

typedef struct parser {
  const char *name; /* file name for messages */
  as_err *err;
  const as_hparam_table *hpt; /* the hyperparameter declarations */
} parser;

static int line_of(const config_setting_t *s)
{
  return s == NULL ? 0 : (int)config_setting_source_line(s);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(const parser *p, const config_setting_t *s, const char *fmt,
                ...)
{
  char buf[AS_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  int line = line_of(s);
  if (line > 0)
    return as_err_set(p->err, AS_EPARSE, "%s:%d: %s", p->name, line, buf);
  return as_err_set(p->err, AS_EPARSE, "%s: %s", p->name, buf);
}

static char *dup_str(const char *s)
{
  size_t len = strlen(s) + 1;
  char *d = malloc(len);
  if (d != NULL)
    memcpy(d, s, len);
  return d;
}

static const char *type_name(int t)
{
  switch (t) {
  case CONFIG_TYPE_INT:
  case CONFIG_TYPE_INT64: return "an integer";
  case CONFIG_TYPE_FLOAT: return "a number";
  case CONFIG_TYPE_STRING: return "a string";
  case CONFIG_TYPE_BOOL: return "a boolean";
  case CONFIG_TYPE_GROUP: return "a group";
  case CONFIG_TYPE_ARRAY: return "an array";
  case CONFIG_TYPE_LIST: return "a list";
  default: return "an unknown type";
  }
}

static int is_number(const config_setting_t *s)
{
  int t = config_setting_type(s);
  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64
         || t == CONFIG_TYPE_FLOAT;
}

static double number_of(const config_setting_t *s)
{
  int t = config_setting_type(s);
  if (t == CONFIG_TYPE_FLOAT)
    return config_setting_get_float(s);
  return (double)config_setting_get_int64(s);
}

/* A number (integer or float), finite. */
static int get_double(const parser *p, const config_setting_t *s,
                      const char *key, double *out)
{
  if (!is_number(s))
    return fail(p, s, "'%s' must be a number, not %s", key,
                type_name(config_setting_type(s)));
  double v = number_of(s);
  if (!isfinite(v))
    return fail(p, s, "'%s' must be finite (%g)", key, v);
  *out = v;
  return AS_OK;
}

/* An integer; a float that is an exact integer is accepted (1e7). */
static int get_int64(const parser *p, const config_setting_t *s,
                     const char *key, int64_t *out)
{
  int t = config_setting_type(s);
  if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
    *out = (int64_t)config_setting_get_int64(s);
    return AS_OK;
  }
  if (t == CONFIG_TYPE_FLOAT) {
    double v = config_setting_get_float(s);
    if (isfinite(v) && v == floor(v) && fabs(v) < 9.2e18) {
      *out = (int64_t)v;
      return AS_OK;
    }
    return fail(p, s, "'%s' must be an integer (%.17g)", key, v);
  }
  return fail(p, s, "'%s' must be an integer, not %s", key, type_name(t));
}

static int get_string(const parser *p, const config_setting_t *s,
                      const char *key, const char **out)
{
  if (config_setting_type(s) != CONFIG_TYPE_STRING)
    return fail(p, s, "'%s' must be a string, not %s", key,
                type_name(config_setting_type(s)));
  *out = config_setting_get_string(s);
  return AS_OK;
}

static int is_seq(const config_setting_t *s)
{
  int t = config_setting_type(s);
  return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

/* Rejects every member of group g whose name is not in keys (NULL-ended). */
static int check_keys(const parser *p, const config_setting_t *g,
                      const char *const *keys, const char *where)
{
  int len = config_setting_length(g);
  for (int i = 0; i < len; i++) {
    const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
    const char *name = config_setting_name(m);
    int known = 0;
    for (size_t k = 0; keys[k] != NULL && !known; k++)
      known = name != NULL && strcmp(name, keys[k]) == 0;
    if (!known)
      return fail(p, m, "unknown key '%s'%s%s", name ? name : "(unnamed)",
                  where[0] ? " in " : "", where);
  }
  return AS_OK;
}

/* ---- grids: a number, a list, or a log-range group {from; to; points} */

static int parse_grid(const parser *p, const config_setting_t *s,
                      const char *key, double **out, size_t *count)
{
  *out = NULL;
  *count = 0;
  if (is_number(s)) {
    double v;
    int rc = get_double(p, s, key, &v);
    if (rc != AS_OK)
      return rc;
    if ((*out = malloc(sizeof(double))) == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    (*out)[0] = v;
    *count = 1;
    return AS_OK;
  }
  if (is_seq(s)) {
    int len = config_setting_length(s);
    if (len < 1)
      return fail(p, s, "'%s' is an empty list", key);
    double *v = malloc((size_t)len * sizeof(double));
    if (v == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    for (int i = 0; i < len; i++) {
      const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
      int rc = get_double(p, e, key, &v[i]);
      if (rc != AS_OK) {
        free(v);
        return rc;
      }
    }
    *out = v;
    *count = (size_t)len;
    return AS_OK;
  }
  if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
    static const char *const keys[] = {"from", "to", "points", NULL};
    int rc = check_keys(p, s, keys, key);
    if (rc != AS_OK)
      return rc;
    const config_setting_t *f = config_setting_get_member(s, "from");
    const config_setting_t *t = config_setting_get_member(s, "to");
    const config_setting_t *n = config_setting_get_member(s, "points");
    if (f == NULL || t == NULL || n == NULL)
      return fail(p, s, "log-range '%s' needs 'from', 'to' and 'points'",
                  key);
    double from, to;
    int64_t points;
    if ((rc = get_double(p, f, "from", &from)) != AS_OK
        || (rc = get_double(p, t, "to", &to)) != AS_OK
        || (rc = get_int64(p, n, "points", &points)) != AS_OK)
      return rc;
    if (points < 1)
      return fail(p, n, "'%s': points must be >= 1 (%lld)", key,
                  (long long)points);
    if (points > 100000)
      return fail(p, n, "'%s': points must be <= 100000 (%lld)", key,
                  (long long)points);
    if (!(from > 0))
      return fail(p, f, "'%s': a log-range needs from > 0 (%.17g)", key, from);
    if (from > to)
      return fail(p, t, "'%s': empty range, from > to (%.17g > %.17g)", key,
                  from, to);
    if (points == 1 && from != to)
      return fail(p, n, "'%s': one point but from != to (%.17g, %.17g)", key,
                  from, to);
    double *v = malloc((size_t)points * sizeof(double));
    if (v == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    double lf = log(from), lt = log(to);
    for (int64_t i = 0; i < points; i++)
      v[i] = points == 1 ? from
                         : exp(lf + (lt - lf) * (double)i / (double)(points - 1));
    v[0] = from; /* exact end points, free of exp/log round-off */
    v[points - 1] = to;
    *out = v;
    *count = (size_t)points;
    return AS_OK;
  }
  return fail(p, s, "'%s' must be a number, a list or a group {from; to; "
              "points}, not %s", key, type_name(config_setting_type(s)));
}

/* Element line for a message about element i of a grid (list or range). */
static const config_setting_t *elem_or_self(const config_setting_t *s,
                                            size_t i)
{
  if (is_seq(s)) {
    const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
    if (e != NULL)
      return e;
  }
  return s;
}

/* ---- instance group */

static int parse_mu(const parser *p, const config_setting_t *s,
                    const char *key, int allow_same, as_mu_kind *kind,
                    double *sharp, double *noise)
{
  if (config_setting_type(s) == CONFIG_TYPE_STRING) {
    const char *v = config_setting_get_string(s);
    if (strcmp(v, "ref") == 0)
      *kind = AS_MU_REF;
    else if (strcmp(v, "uniform") == 0)
      *kind = AS_MU_UNIFORM;
    else if (strcmp(v, "star") == 0)
      *kind = AS_MU_STAR;
    else if (allow_same && strcmp(v, "same") == 0)
      *kind = AS_MU_SAME;
    else
      return fail(p, s, "'%s' must be %s\"ref\", \"uniform\", \"star\" or a "
                  "group {sharpness; noise} (\"%s\")", key,
                  allow_same ? "\"same\", " : "", v);
    return AS_OK;
  }
  if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
    static const char *const keys[] = {"sharpness", "noise", NULL};
    int rc = check_keys(p, s, keys, key);
    if (rc != AS_OK)
      return rc;
    const config_setting_t *a = config_setting_get_member(s, "sharpness");
    const config_setting_t *t = config_setting_get_member(s, "noise");
    if (a == NULL || t == NULL)
      return fail(p, s, "'%s' group needs 'sharpness' and 'noise'", key);
    if ((rc = get_double(p, a, "sharpness", sharp)) != AS_OK
        || (rc = get_double(p, t, "noise", noise)) != AS_OK)
      return rc;
    if (*noise < 0)
      return fail(p, t, "'%s.noise' must be >= 0 (%.17g)", key, *noise);
    *kind = AS_MU_DRAWN;
    return AS_OK;
  }
  return fail(p, s, "'%s' must be a string or a group, not %s", key,
              type_name(config_setting_type(s)));
}

static int parse_instance(const parser *p, const config_setting_t *g,
                          as_instance_params *ip)
{
  static const char *const keys[] = {"K", "V", "logit_scale",
    "ref_sharpness", "ref_noise", "rho", "mu", "mu2", NULL};
  if (config_setting_type(g) != CONFIG_TYPE_GROUP)
    return fail(p, g, "'instance' must be a group, not %s",
                type_name(config_setting_type(g)));
  int rc = check_keys(p, g, keys, "instance");
  if (rc != AS_OK)
    return rc;
  const config_setting_t *s;
  int64_t iv;
  if ((s = config_setting_get_member(g, "K")) != NULL) {
    if ((rc = get_int64(p, s, "K", &iv)) != AS_OK)
      return rc;
    if (iv < 1 || iv > 1000000)
      return fail(p, s, "'K' must be in [1, 1000000] (%lld)", (long long)iv);
    ip->K = (size_t)iv;
  }
  if ((s = config_setting_get_member(g, "V")) != NULL) {
    if ((rc = get_int64(p, s, "V", &iv)) != AS_OK)
      return rc;
    if (iv < 2 || iv > 100000)
      return fail(p, s, "'V' must be in [2, 100000] (%lld)", (long long)iv);
    ip->V = (size_t)iv;
  }
  struct { const char *key; double *dst; int nonneg; } nums[] = {
    {"logit_scale", &ip->logit_scale, 1},
    {"ref_sharpness", &ip->ref_sharpness, 0},
    {"ref_noise", &ip->ref_noise, 1},
  };
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    if ((s = config_setting_get_member(g, nums[i].key)) == NULL)
      continue;
    if ((rc = get_double(p, s, nums[i].key, nums[i].dst)) != AS_OK)
      return rc;
    if (nums[i].nonneg && *nums[i].dst < 0)
      return fail(p, s, "'%s' must be >= 0 (%.17g)", nums[i].key,
                  *nums[i].dst);
  }
  if ((s = config_setting_get_member(g, "rho")) != NULL) {
    const char *v = NULL;
    if ((rc = get_string(p, s, "rho", &v)) != AS_OK)
      return rc;
    if (strcmp(v, "uniform") == 0)
      ip->rho_uniform = 1;
    else if (strcmp(v, "dirichlet") == 0)
      ip->rho_uniform = 0;
    else
      return fail(p, s, "'rho' must be \"uniform\" or \"dirichlet\" (\"%s\")",
                  v);
  }
  if ((s = config_setting_get_member(g, "mu")) != NULL
      && (rc = parse_mu(p, s, "mu", 0, &ip->mu, &ip->mu_sharpness,
                        &ip->mu_noise)) != AS_OK)
    return rc;
  if ((s = config_setting_get_member(g, "mu2")) != NULL
      && (rc = parse_mu(p, s, "mu2", 1, &ip->mu2, &ip->mu2_sharpness,
                        &ip->mu2_noise)) != AS_OK)
    return rc;
  as_err e2;
  if (as_instance_params_check(ip, &e2) != AS_OK)
    return fail(p, g, "instance: %s", e2.msg);
  return AS_OK;
}

/* ---- class group */

static int parse_class(const parser *p, const config_setting_t *g,
                       as_config_class *c)
{
  static const char *const keys[] = {"type", "size", "distances", "d",
                                     "realizable", "file", "sizes", NULL};
  if (config_setting_type(g) != CONFIG_TYPE_GROUP)
    return fail(p, g, "'class' must be a group, not %s",
                type_name(config_setting_type(g)));
  int rc = check_keys(p, g, keys, "class");
  if (rc != AS_OK)
    return rc;
  c->line = line_of(g);
  const config_setting_t *s = config_setting_get_member(g, "type");
  if (s == NULL)
    return fail(p, g, "'class' needs a 'type' (\"tabular\", \"finite\" or "
                "\"features\")");
  const char *v = NULL;
  if ((rc = get_string(p, s, "type", &v)) != AS_OK)
    return rc;
  if (strcmp(v, "tabular") == 0)
    c->type = AS_CLASS_TABULAR;
  else if (strcmp(v, "finite") == 0)
    c->type = AS_CLASS_FINITE;
  else if (strcmp(v, "features") == 0)
    c->type = AS_CLASS_FEATURES;
  else
    return fail(p, s, "'class.type' must be \"tabular\", \"finite\" or "
                "\"features\" (\"%s\")", v);
  int64_t iv;
  if ((s = config_setting_get_member(g, "size")) != NULL) {
    if ((rc = get_int64(p, s, "size", &iv)) != AS_OK)
      return rc;
    if (iv < 1 || iv > 100000000)
      return fail(p, s, "'class.size' must be in [1, 1e8] (%lld)",
                  (long long)iv);
    c->size = (long)iv;
  }
  if ((s = config_setting_get_member(g, "d")) != NULL) {
    if ((rc = get_int64(p, s, "d", &iv)) != AS_OK)
      return rc;
    if (iv < 1 || iv > 100000)
      return fail(p, s, "'class.d' must be in [1, 100000] (%lld)",
                  (long long)iv);
    c->d = (long)iv;
  }
  if ((s = config_setting_get_member(g, "realizable")) != NULL) {
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
      return fail(p, s, "'class.realizable' must be true or false, not %s",
                  type_name(config_setting_type(s)));
    c->realizable = config_setting_get_bool(s) ? 1 : 0;
  }
  if ((s = config_setting_get_member(g, "file")) != NULL) {
    if ((rc = get_string(p, s, "file", &v)) != AS_OK)
      return rc;
    if ((c->file = dup_str(v)) == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
  }
  if ((s = config_setting_get_member(g, "distances")) != NULL) {
    if ((rc = parse_grid(p, s, "class.distances", &c->distances,
                         &c->n_distances)) != AS_OK)
      return rc;
    for (size_t i = 0; i < c->n_distances; i++)
      if (!(c->distances[i] > 0))
        return fail(p, elem_or_self(s, i),
                    "'class.distances' must be > 0 (%.17g)", c->distances[i]);
  }
  if ((s = config_setting_get_member(g, "sizes")) != NULL) {
    if (!is_seq(s) || config_setting_length(s) < 1)
      return fail(p, s, "'class.sizes' must be a non-empty list of integers");
    int len = config_setting_length(s);
    if ((c->sizes = malloc((size_t)len * sizeof *c->sizes)) == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    c->n_sizes = (size_t)len;
    for (int i = 0; i < len; i++) {
      const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
      if ((rc = get_int64(p, e, "class.sizes", &iv)) != AS_OK)
        return rc;
      if (iv < 1 || iv > 100000000 || (i > 0 && iv <= c->sizes[i - 1]))
        return fail(p, e, "'class.sizes' must be increasing integers in "
                    "[1, 1e8] (%lld)", (long long)iv);
      c->sizes[i] = (long)iv;
    }
  }
  /* a generated class is π* plus k ≥ 1 members per distance
   * (as_finite_generate), so its size is 1 + k·#distances */
  if (c->n_distances > 0) {
    size_t nd = c->n_distances;
    for (size_t i = 0; i <= c->n_sizes; i++) {
      long sz = i < c->n_sizes ? c->sizes[i] : c->size;
      if (i == c->n_sizes && sz == 0)
        break; /* `size` not given */
      if (sz < 2 || (size_t)(sz - 1) % nd != 0)
        return fail(p, config_setting_get_member(g, i < c->n_sizes ? "sizes"
                                                                   : "size"),
                    "%s = %ld must be 1 + k * %zu (pi* plus k >= 1 members "
                    "per distance)",
                    i < c->n_sizes ? "an entry of class.sizes" : "class.size",
                    sz, nd);
    }
  }
  return AS_OK;
}

/* ---- string lists */

static int parse_names(const parser *p, const config_setting_t *s,
                       const char *key, char ***out, size_t *count)
{
  if (!is_seq(s))
    return fail(p, s, "'%s' must be a list of strings, not %s", key,
                type_name(config_setting_type(s)));
  int len = config_setting_length(s);
  if (len < 1)
    return fail(p, s, "'%s' is an empty list", key);
  char **v = calloc((size_t)len, sizeof *v);
  if (v == NULL)
    return as_err_set(p->err, AS_ENOMEM, "out of memory");
  *out = v;
  *count = (size_t)len;
  for (int i = 0; i < len; i++) {
    const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
    const char *str = NULL;
    int rc = get_string(p, e, key, &str);
    if (rc != AS_OK)
      return rc;
    if ((v[i] = dup_str(str)) == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
  }
  return AS_OK;
}

static int valid_stem(const char *s)
{
  if (s[0] == '\0')
    return 0;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'
          || *c == '-'))
      return 0;
  return 1;
}

/* ---- top level */

static const char *const top_keys[] = {
  "experiment", "description", "kind", "instance", "beta", "n", "population",
  "m", "methods", "replicates", "seed", "tuning", "heldout_fraction",
  "metrics", "figures", "rate_fit_min_n", "class", "delta", "m_sweep",
  "mu2_sweep", "mu_power", "bounds", "label_flip", NULL};

static const config_setting_t *required(const parser *p,
                                        const config_setting_t *root,
                                        const char *key, int *rc)
{
  const config_setting_t *s = config_setting_get_member(root, key);
  if (s == NULL)
    *rc = as_err_set(p->err, AS_EPARSE, "%s: missing required key '%s'",
                     p->name, key);
  return s;
}

/* One declared hyperparameter's setting m: a number, or a string that is
 * a choice's name or the word standing for the default (gamma = "beta");
 * range and type errors as the declaration states them, at FILE:LINE. */
static int parse_hparam(const parser *p, const config_setting_t *m,
                        const as_hparam *h, as_config *c)
{
  char where[AS_ERR_MSG_MAX / 2];
  snprintf(where, sizeof where, "%s:%d", p->name, line_of(m));
  int type = config_setting_type(m);
  if (type == CONFIG_TYPE_STRING && h->type == AS_HP_CHOICE)
    return as_hparam_parse(h, config_setting_get_string(m), where, &c->hp,
                           p->err);
  if (type == CONFIG_TYPE_STRING && h->word != NULL)
    return as_hparam_set_word(h, config_setting_get_string(m), where, &c->hp,
                              p->err);
  if (type == CONFIG_TYPE_FLOAT && h->type != AS_HP_CHOICE)
    return as_hparam_set(h, config_setting_get_float(m), where, &c->hp,
                         p->err);
  if ((type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) &&
      h->type != AS_HP_CHOICE)
    return as_hparam_set(h, (double)config_setting_get_int64(m), where,
                         &c->hp, p->err);
  return as_err_set(p->err, AS_EINVAL, "%s: '%s' must be %s%s%s%s, not %s",
                    where, h->key,
                    h->type == AS_HP_CHOICE ? "a name" : "a number",
                    h->word ? " or \"" : "", h->word ? h->word : "",
                    h->word ? "\"" : "", type_name(type));
}

/* The methods' hyperparameters (docs/reference.md §3, §3.2): top-level
 * keys declared in as_hparam.c (but a sweep axis, AS_HP_GRID), read into
 * c->hp. */
static int parse_hparams(const parser *p, const config_setting_t *root,
                         as_config *c)
{
  const as_hparam_table *t = p->hpt;
  int len = config_setting_length(root);
  for (int i = 0; i < len; i++) {
    const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
    const char *name = config_setting_name(m);
    const as_hparam *h = name ? as_hparam_by_key(t, name) : NULL;
    if (h == NULL || (h->flags & AS_HP_GRID))
      continue;
    int rc = parse_hparam(p, m, h, c);
    if (rc != AS_OK) { /* a bad value in a file is a parse error */
      if (p->err != NULL)
        p->err->code = AS_EPARSE;
      return AS_EPARSE;
    }
  }
  return AS_OK;
}

/* Unknown keys: neither in top_keys nor declared by a method. */
static int check_root_keys(const parser *p, const config_setting_t *root)
{
  int len = config_setting_length(root);
  for (int i = 0; i < len; i++) {
    const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
    const char *name = config_setting_name(m);
    int known = name != NULL &&
                as_hparam_by_key(p->hpt, name) != NULL;
    for (size_t k = 0; top_keys[k] != NULL && !known; k++)
      known = name != NULL && strcmp(name, top_keys[k]) == 0;
    if (!known)
      return fail(p, m, "unknown key '%s'", name ? name : "(unnamed)");
  }
  return AS_OK;
}

static int parse_root(const parser *p, const config_setting_t *root,
                      as_config *c)
{
  int rc = check_root_keys(p, root);
  if (rc == AS_OK)
    rc = parse_hparams(p, root, c);
  if (rc != AS_OK)
    return rc;
  const config_setting_t *s;
  const char *str = NULL;

  /* required keys, in the order a reader expects to be told */
  if ((s = required(p, root, "experiment", &rc)) == NULL)
    return rc;
  if ((rc = get_string(p, s, "experiment", &str)) != AS_OK)
    return rc;
  if (!valid_stem(str))
    return fail(p, s, "'experiment' must be a short id of [a-z0-9_-] "
                "(\"%s\")", str);
  if ((c->experiment = dup_str(str)) == NULL)
    return as_err_set(p->err, AS_ENOMEM, "out of memory");

  const config_setting_t *sb = required(p, root, "beta", &rc);
  if (sb == NULL)
    return rc;
  const config_setting_t *sn = required(p, root, "n", &rc);
  if (sn == NULL)
    return rc;
  const config_setting_t *sl = required(p, root, "lambda", &rc);
  if (sl == NULL)
    return rc;
  const config_setting_t *sm = required(p, root, "methods", &rc);
  if (sm == NULL)
    return rc;
  const config_setting_t *sr = required(p, root, "replicates", &rc);
  if (sr == NULL)
    return rc;

  if ((s = config_setting_get_member(root, "description")) != NULL) {
    if ((rc = get_string(p, s, "description", &str)) != AS_OK)
      return rc;
  } else {
    str = "";
  }
  if ((c->description = dup_str(str)) == NULL)
    return as_err_set(p->err, AS_ENOMEM, "out of memory");

  if ((s = config_setting_get_member(root, "instance")) != NULL
      && (rc = parse_instance(p, s, &c->instance)) != AS_OK)
    return rc;

  /* β */
  if ((rc = parse_grid(p, sb, "beta", &c->beta, &c->n_beta)) != AS_OK)
    return rc;
  for (size_t i = 0; i < c->n_beta; i++)
    if (!(c->beta[i] > 0))
      return fail(p, elem_or_self(sb, i), "'beta' must be > 0 (%.17g)",
                  c->beta[i]);

  /* n: integers ≥ 1, strictly increasing (a log-range is rounded) */
  double *nv;
  size_t nn;
  if ((rc = parse_grid(p, sn, "n", &nv, &nn)) != AS_OK)
    return rc;
  c->n = malloc(nn * sizeof(uint64_t));
  if (c->n == NULL) {
    free(nv);
    return as_err_set(p->err, AS_ENOMEM, "out of memory");
  }
  c->n_n = nn;
  for (size_t i = 0; i < nn; i++) {
    const config_setting_t *e = elem_or_self(sn, i);
    double v = config_setting_type(sn) == CONFIG_TYPE_GROUP ? nearbyint(nv[i])
                                                             : nv[i];
    if (!(v >= 1) || v > 1e18 || v != floor(v)) {
      free(nv);
      return fail(p, e, "'n' must be an integer in [1, 1e18] (%.17g)", v);
    }
    c->n[i] = (uint64_t)v;
    if (i > 0 && c->n[i] <= c->n[i - 1]) {
      free(nv);
      return fail(p, e, "'n' must be strictly increasing (%llu after %llu)%s",
                  (unsigned long long)c->n[i],
                  (unsigned long long)c->n[i - 1],
                  config_setting_type(sn) == CONFIG_TYPE_GROUP
                      ? "; too many points for the range after rounding"
                      : "");
    }
  }
  free(nv);

  /* λ: ≥ 0, strictly increasing */
  if ((rc = parse_grid(p, sl, "lambda", &c->lambda, &c->n_lambda)) != AS_OK)
    return rc;
  for (size_t i = 0; i < c->n_lambda; i++) {
    if (!(c->lambda[i] >= 0))
      return fail(p, elem_or_self(sl, i), "'lambda' must be >= 0 (%.17g)",
                  c->lambda[i]);
    if (i > 0 && !(c->lambda[i] > c->lambda[i - 1]))
      return fail(p, elem_or_self(sl, i),
                  "'lambda' must be strictly increasing (%.17g after %.17g)",
                  c->lambda[i], c->lambda[i - 1]);
  }

  /* methods */
  if (!is_seq(sm))
    return fail(p, sm, "'methods' must be a list of strings, not %s",
                type_name(config_setting_type(sm)));
  int len = config_setting_length(sm);
  if (len < 1)
    return fail(p, sm, "'methods' is an empty list");
  if ((c->methods = malloc((size_t)len * sizeof(as_method))) == NULL)
    return as_err_set(p->err, AS_ENOMEM, "out of memory");
  c->n_methods = (size_t)len;
  for (int i = 0; i < len; i++) {
    const config_setting_t *e = config_setting_get_elem(sm, (unsigned)i);
    if ((rc = get_string(p, e, "methods", &str)) != AS_OK)
      return rc;
    if (as_method_parse(str, &c->methods[i]) != AS_OK)
      return fail(p, e, "unknown method \"%s\" (pmle, dpo, reward, distill, "
                  "rebel, rebel-iter, rlhf, rkl)", str);
    for (int j = 0; j < i; j++)
      if (c->methods[j] == c->methods[i])
        return fail(p, e, "method \"%s\" is listed twice", str);
  }

  int64_t iv;
  if ((rc = get_int64(p, sr, "replicates", &iv)) != AS_OK)
    return rc;
  if (iv < 1 || iv > 10000000)
    return fail(p, sr, "'replicates' must be in [1, 1e7] (%lld)",
                (long long)iv);
  c->replicates = (long)iv;

  if ((s = config_setting_get_member(root, "seed")) != NULL) {
    if ((rc = get_int64(p, s, "seed", &iv)) != AS_OK)
      return rc;
    if (iv < 0)
      return fail(p, s, "'seed' must be >= 0 (%lld)", (long long)iv);
    c->seed = (uint64_t)iv;
  }

  if ((s = config_setting_get_member(root, "population")) != NULL) {
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
      return fail(p, s, "'population' must be true or false, not %s",
                  type_name(config_setting_type(s)));
    c->population = config_setting_get_bool(s) ? 1 : 0;
  }

  if ((s = config_setting_get_member(root, "m")) != NULL) {
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
      str = config_setting_get_string(s);
      if (strcmp(str, "population") != 0)
        return fail(p, s, "'m' must be \"population\" or an integer >= 1 "
                    "(\"%s\")", str);
      c->m_population = 1;
    } else {
      if ((rc = get_int64(p, s, "m", &iv)) != AS_OK)
        return rc;
      if (iv < 1)
        return fail(p, s, "'m' must be \"population\" or an integer >= 1 "
                    "(%lld)", (long long)iv);
      c->m_population = 0;
      c->m = (uint64_t)iv;
    }
  }

  if ((s = config_setting_get_member(root, "tuning")) != NULL) {
    if ((rc = get_string(p, s, "tuning", &str)) != AS_OK)
      return rc;
    if (strcmp(str, "oracle") == 0)
      c->tuning = AS_TUNING_ORACLE;
    else if (strcmp(str, "heldout") == 0)
      c->tuning = AS_TUNING_HELDOUT;
    else if (strcmp(str, "fixed") == 0)
      c->tuning = AS_TUNING_FIXED;
    else
      return fail(p, s, "'tuning' must be \"oracle\", \"heldout\" or "
                  "\"fixed\" (\"%s\")", str);
  }
  if ((s = config_setting_get_member(root, "heldout_fraction")) != NULL) {
    if ((rc = get_double(p, s, "heldout_fraction", &c->heldout_fraction))
        != AS_OK)
      return rc;
    if (!(c->heldout_fraction > 0 && c->heldout_fraction <= 1))
      return fail(p, s, "'heldout_fraction' must be in (0, 1] (%.17g)",
                  c->heldout_fraction);
  }
  if ((s = config_setting_get_member(root, "rate_fit_min_n")) != NULL) {
    if ((rc = get_double(p, s, "rate_fit_min_n", &c->rate_fit_min_n))
        != AS_OK)
      return rc;
    if (!(c->rate_fit_min_n >= 1))
      return fail(p, s, "'rate_fit_min_n' must be >= 1 (%.17g)",
                  c->rate_fit_min_n);
  }
  if ((s = config_setting_get_member(root, "label_flip")) != NULL) {
    if ((rc = get_double(p, s, "label_flip", &c->label_flip)) != AS_OK)
      return rc;
    if (!(c->label_flip >= 0 && c->label_flip < 0.5))
      return fail(p, s, "'label_flip' must be in [0, 0.5) (%.17g)",
                  c->label_flip);
  }

  if ((s = config_setting_get_member(root, "metrics")) != NULL) {
    if ((rc = parse_names(p, s, "metrics", &c->metrics, &c->n_metrics))
        != AS_OK)
      return rc;
    for (size_t i = 0; i < c->n_metrics; i++) {
      int known = 0;
      for (size_t k = 0; k < AS_METRICS_COUNT && !known; k++)
        known = strcmp(c->metrics[i], as_metrics_names[k]) == 0;
      if (!known)
        return fail(p, config_setting_get_elem(s, (unsigned)i),
                    "unknown metric \"%s\" (see as_metrics.h)", c->metrics[i]);
    }
  }
  if ((s = config_setting_get_member(root, "figures")) != NULL) {
    if ((rc = parse_names(p, s, "figures", &c->figures, &c->n_figures))
        != AS_OK)
      return rc;
    c->figures_line = line_of(s);
    for (size_t i = 0; i < c->n_figures; i++)
      if (!valid_stem(c->figures[i]))
        return fail(p, config_setting_get_elem(s, (unsigned)i),
                    "figure names are plot script stems of [a-z0-9_-] "
                    "(\"%s\")", c->figures[i]);
  }

  if ((s = config_setting_get_member(root, "class")) != NULL
      && (rc = parse_class(p, s, &c->cls)) != AS_OK)
    return rc;

  /* theory experiments: δ, the m sweep and the μ' sweep (E3, E7) */
  if ((s = config_setting_get_member(root, "delta")) != NULL) {
    if ((rc = get_double(p, s, "delta", &c->delta)) != AS_OK)
      return rc;
    if (!(c->delta > 0 && c->delta < 1))
      return fail(p, s, "'delta' must be in (0, 1) (%.17g)", c->delta);
  }
  if ((s = config_setting_get_member(root, "m_sweep")) != NULL) {
    if (!is_seq(s) || config_setting_length(s) < 1)
      return fail(p, s, "'m_sweep' must be a non-empty list of integers");
    int len = config_setting_length(s);
    if ((c->m_sweep = malloc((size_t)len * sizeof *c->m_sweep)) == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    c->n_m_sweep = (size_t)len;
    for (int i = 0; i < len; i++) {
      const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
      if ((rc = get_int64(p, e, "m_sweep", &iv)) != AS_OK)
        return rc;
      if (iv < 1 || (i > 0 && (uint64_t)iv <= c->m_sweep[i - 1]))
        return fail(p, e, "'m_sweep' must be increasing integers >= 1 "
                    "(%lld)", (long long)iv);
      c->m_sweep[i] = (uint64_t)iv;
    }
  }
  if ((s = config_setting_get_member(root, "mu2_sweep")) != NULL) {
    if (!is_seq(s) || config_setting_length(s) < 1)
      return fail(p, s, "'mu2_sweep' must be a non-empty list of strings");
    int len = config_setting_length(s);
    c->mu2_sweep = malloc((size_t)len * sizeof *c->mu2_sweep);
    if (c->mu2_sweep == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    c->n_mu2_sweep = (size_t)len;
    for (int i = 0; i < len; i++) {
      const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
      if ((rc = get_string(p, e, "mu2_sweep", &str)) != AS_OK)
        return rc;
      static const char *const mk[] = {"ref", "uniform", "star", NULL,
                                       "same"}; /* by as_mu_kind */
      int found = 0;
      for (int k = 0; k < 5 && !found; k++)
        if (mk[k] != NULL && strcmp(str, mk[k]) == 0) {
          c->mu2_sweep[i] = (as_mu_kind)k;
          found = 1;
        }
      if (!found)
        return fail(p, e, "'mu2_sweep' entries must be \"same\", \"ref\", "
                    "\"uniform\" or \"star\" (\"%s\")", str);
    }
  }
  /* E5: the μ ∝ π*^t sweep (as_kind_coverage.c) */
  if ((s = config_setting_get_member(root, "mu_power")) != NULL) {
    if (!is_seq(s) || config_setting_length(s) < 1)
      return fail(p, s, "'mu_power' must be a non-empty list of numbers");
    int len = config_setting_length(s);
    c->mu_power = malloc((size_t)len * sizeof *c->mu_power);
    if (c->mu_power == NULL)
      return as_err_set(p->err, AS_ENOMEM, "out of memory");
    c->n_mu_power = (size_t)len;
    for (int i = 0; i < len; i++)
      if ((rc = get_double(p, config_setting_get_elem(s, (unsigned)i),
                           "mu_power", &c->mu_power[i])) != AS_OK)
        return rc;
  }
  /* E9: the bound quantity of the tabular kind (as_kind_tabular.c) */
  if ((s = config_setting_get_member(root, "bounds")) != NULL) {
    if ((rc = get_string(p, s, "bounds", &str)) != AS_OK)
      return rc;
    if (strcmp(str, "none") == 0)
      c->bounds = AS_CONFIG_BOUNDS_NONE;
    else if (strcmp(str, "theorem4-constant") == 0)
      c->bounds = AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB;
    else
      return fail(p, s, "'bounds' must be \"none\" or \"theorem4-constant\" "
                  "(\"%s\")", str);
  }

  if ((s = config_setting_get_member(root, "kind")) != NULL) {
    if ((rc = get_string(p, s, "kind", &str)) != AS_OK)
      return rc;
    if (!valid_stem(str))
      return fail(p, s, "'kind' must be a name of [a-z0-9_-] (\"%s\")", str);
    c->kind_line = line_of(s);
  } else {
    str = as_class_type_name(c->cls.type);
  }
  if ((c->kind = dup_str(str)) == NULL)
    return as_err_set(p->err, AS_ENOMEM, "out of memory");
  return AS_OK;
}

/* ---- memory: what the configuration will ask for, refused before any
 * computation when over the limit (as_limits.h).  The figures are lower
 * bounds on one worker's tables (docs/reference.md §2: the counts N and M and the cell
 * probabilities p are K·V² each; policies and instance rows are K·V), so a
 * refusal is never a false alarm; a class `size` of 1e8 or K = V = 1000
 * used to be found out only by allocating. */
static int check_need(const parser *p, const config_setting_t *s,
                      const char *what, double bytes)
{
  char where[AS_ERR_MSG_MAX];
  int line = line_of(s);
  if (line > 0)
    snprintf(where, sizeof where, "%s:%d", p->name, line);
  else
    snprintf(where, sizeof where, "%s", p->name);
  return as_limits_check(where, what, bytes, p->err);
}

static int check_memory(const parser *p, const config_setting_t *root,
                        const as_config *c)
{
  const config_setting_t *inst = config_setting_get_member(root, "instance");
  const config_setting_t *cls = config_setting_get_member(root, "class");
  double K = (double)c->instance.K, V = (double)c->instance.V;
  char what[160];
  /* the tabular kind streams its tables context by context (as_stream.h)
   * unless DPO runs gradient steps on the total loss */
  int streamed = c->kind != NULL && strcmp(c->kind, "tabular") == 0 &&
                 c->hp.dpo_steps == 0;
  double tables = streamed ? 3.0 * V * V : 3.0 * K * V * V;
  snprintf(what, sizeof what, streamed ? "K = %.0f, V = %.0f (3 context "
           "blocks of V*V, streamed)" : "K = %.0f, V = %.0f (3 count tables "
           "of K*V*V)", K, V);
  int rc = check_need(p, inst, what, 8.0 * (tables + 16.0 * K * V));
  if (rc != AS_OK)
    return rc;
  double members = (double)c->cls.size;
  for (size_t i = 0; i < c->cls.n_sizes; i++)
    members = (double)c->cls.sizes[i] > members ? (double)c->cls.sizes[i]
                                                : members;
  if (c->cls.type == AS_CLASS_FINITE) {
    snprintf(what, sizeof what, "a finite class of %.0f members x K x V",
             members);
    if ((rc = check_need(p, cls, what, 8.0 * members * K * V)) != AS_OK)
      return rc;
  }
  if (c->cls.type == AS_CLASS_FEATURES) {
    snprintf(what, sizeof what, "a feature map of K x V x d = %.0f x %.0f x "
             "%ld", K, V, c->cls.d);
    if ((rc = check_need(p, cls, what, 8.0 * K * V * (double)c->cls.d))
        != AS_OK)
      return rc;
  }
  /* One result row (≈ 256 bytes kept until the summary) per cell. */
  double rows = (double)c->n_beta * (double)(c->n_n + (c->population != 0))
                * (double)(c->n_lambda ? c->n_lambda : 1)
                * (double)(c->n_methods ? c->n_methods : 1)
                * (double)c->replicates
                * (double)(c->cls.n_sizes ? c->cls.n_sizes : 1)
                * (double)(c->n_m_sweep ? c->n_m_sweep : 1)
                * (double)(c->n_mu2_sweep ? c->n_mu2_sweep : 1)
                * (double)(c->n_mu_power ? c->n_mu_power : 1);
  snprintf(what, sizeof what, "the grid of %.4g result rows", rows);
  return check_need(p, config_setting_get_member(root, "replicates"), what,
                    256.0 * rows);
}

static as_config *config_new(const char *name)
{
  as_config *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  if ((c->path = dup_str(name)) == NULL) {
    free(c);
    return NULL;
  }
  as_instance_params_default(&c->instance);
  c->m_population = 1;
  c->seed = 1;
  c->tuning = AS_TUNING_ORACLE;
  c->heldout_fraction = 0.2;
  c->delta = 0.05;
  c->rate_fit_min_n = 1e4;
  c->cls.type = AS_CLASS_TABULAR;
  c->cls.realizable = -1;
  as_fit_opts_default(&c->hp);
  c->hp.dpo_lr = NAN; /* not given: the dpo kind asks for it */
  c->hpt = as_hparam_table_default();
  return c;
}

/* libconfig 1.5 (Debian's libconfig9) reads a decimal or hex integer
 * literal without the L suffix as a 32-bit int and silently wraps it:
 * `n = [5000000000];` became n = 705032704 and `seed = 5000000000;` seed
 * 705032704.  Nothing in the parsed tree shows it, so the text is scanned
 * first (outside strings and comments, skipping names and floats) and such
 * a literal is an error with its line. */
static int check_int_literals(const char *t, const char *name, as_err *err)
{
  int line = 1;
  size_t i = 0;
  while (t[i] != '\0') {
    char ch = t[i];
    if (ch == '\n') {
      line++;
      i++;
    } else if (ch == '#' || (ch == '/' && t[i + 1] == '/')) {
      while (t[i] != '\0' && t[i] != '\n')
        i++;
    } else if (ch == '/' && t[i + 1] == '*') {
      for (i += 2; t[i] != '\0' && !(t[i] == '*' && t[i + 1] == '/'); i++)
        line += t[i] == '\n';
      if (t[i] != '\0')
        i += 2;
    } else if (ch == '"') {
      for (i++; t[i] != '\0' && t[i] != '"'; i++) {
        if (t[i] == '\\' && t[i + 1] != '\0')
          i++;
        line += t[i] == '\n';
      }
      if (t[i] != '\0')
        i++;
    } else if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
               || ch == '*') { /* a name (may hold digits, as in K2) */
      while (t[i] == '-' || t[i] == '_' || t[i] == '*'
             || (t[i] >= '0' && t[i] <= '9') || (t[i] >= 'A' && t[i] <= 'Z')
             || (t[i] >= 'a' && t[i] <= 'z'))
        i++;
    } else if ((ch >= '0' && ch <= '9') || ch == '.') {
      size_t start = i;
      int neg = start > 0 && t[start - 1] == '-';
      int hex = ch == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X');
      i += hex ? 2 : 0;
      while ((t[i] >= '0' && t[i] <= '9')
             || (hex && ((t[i] >= 'a' && t[i] <= 'f')
                         || (t[i] >= 'A' && t[i] <= 'F'))))
        i++;
      if (!hex && (t[i] == '.' || t[i] == 'e' || t[i] == 'E')) {
        /* a float: the rest of its digits, point and exponent */
        while ((t[i] >= '0' && t[i] <= '9') || t[i] == '.' || t[i] == 'e'
               || t[i] == 'E'
               || ((t[i] == '-' || t[i] == '+')
                   && (t[i - 1] == 'e' || t[i - 1] == 'E')))
          i++;
        continue;
      }
      if (t[i] == 'L')
        continue; /* a 64-bit literal: read as such */
      /* value of the literal, saturated (only "too big" matters) */
      unsigned long long v = 0, lim = hex ? 0x7fffffffULL
                                          : neg ? 2147483648ULL
                                                : 2147483647ULL;
      int big = 0;
      for (size_t k = start + (hex ? 2 : 0); k < i && !big; k++) {
        unsigned d = t[k] <= '9' ? (unsigned)(t[k] - '0')
                     : t[k] <= 'F' ? (unsigned)(t[k] - 'A' + 10)
                                   : (unsigned)(t[k] - 'a' + 10);
        v = v * (hex ? 16u : 10u) + d;
        big = v > lim;
      }
      if (big)
        return as_err_set(err, AS_EPARSE, "%s:%d: integer %s%.*s does not "
                          "fit in 32 bits: write it with the 64-bit suffix "
                          "L (%s%.*sL), or as a float (libconfig would "
                          "silently wrap it)", name, line, neg ? "-" : "",
                          (int)(i - start), t + start, neg ? "-" : "",
                          (int)(i - start), t + start);
    } else {
      i++;
    }
  }
  return AS_OK;
}

int as_config_parse_string(const char *text, const char *name,
                           as_config **out, as_err *err)
{
  return as_config_parse_string_table(text, name, as_hparam_table_default(),
                                      out, err);
}

int as_config_parse_string_table(const char *text, const char *name,
                                 const as_hparam_table *t, as_config **out,
                                 as_err *err)
{
  *out = NULL;
  if (text == NULL || name == NULL || t == NULL)
    return as_err_set(err, AS_EINVAL, "as_config_parse_string: NULL input");
  int rc0 = check_int_literals(text, name, err);
  if (rc0 != AS_OK)
    return rc0;
  parser p = {name, err, t};
  config_t cf;
  config_init(&cf);
  if (config_read_string(&cf, text) != CONFIG_TRUE) {
    int rc = as_err_set(err, AS_EPARSE, "%s:%d: %s", name,
                        config_error_line(&cf), config_error_text(&cf));
    config_destroy(&cf);
    return rc;
  }
  as_config *c = config_new(name);
  if (c == NULL) {
    config_destroy(&cf);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  c->hpt = t;
  as_hparam_unset(t, &c->hp); /* t's own methods' fields too */
  int rc = parse_root(&p, config_root_setting(&cf), c);
  if (rc == AS_OK)
    rc = check_memory(&p, config_root_setting(&cf), c);
  config_destroy(&cf);
  if (rc != AS_OK) {
    as_config_free(c);
    return rc;
  }
  *out = c;
  return AS_OK;
}

int as_config_read(const char *path, as_config **out, as_err *err)
{
  *out = NULL;
  FILE *f = as_limits_open_input(path, err);   /* "-": standard input */
  if (f == NULL)
    return AS_EIO;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL) {
    as_limits_close_input(f);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  for (;;) {
    if (len + 1 >= cap) {
      if (cap > ((size_t)64 << 20)) {
        free(buf);
        as_limits_close_input(f);
        return as_err_set(err, AS_EPARSE, "%s: larger than 64 MiB", path);
      }
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        as_limits_close_input(f);
        return as_err_set(err, AS_ENOMEM, "out of memory");
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - 1 - len, f);
    len += got;
    if (got == 0)
      break;
  }
  int bad = ferror(f);
  as_limits_close_input(f);
  if (bad) {
    free(buf);
    return as_err_set(err, AS_EIO, "%s: read error", path);
  }
  buf[len] = '\0';
  size_t nul = strlen(buf);
  if (nul != len) {
    int line = 1;
    for (size_t i = 0; i < nul; i++)
      line += buf[i] == '\n';
    free(buf);
    return as_err_set(err, AS_EPARSE, "%s:%d: NUL byte in line", path, line);
  }
  int rc = as_config_parse_string(buf, path, out, err);
  free(buf);
  return rc;
}

void as_config_free(as_config *c)
{
  if (c == NULL)
    return;
  free(c->path);
  free(c->experiment);
  free(c->description);
  free(c->kind);
  free(c->beta);
  free(c->n);
  free(c->lambda);
  free(c->methods);
  for (size_t i = 0; i < c->n_metrics; i++)
    free(c->metrics[i]);
  free(c->metrics);
  for (size_t i = 0; i < c->n_figures; i++)
    free(c->figures[i]);
  free(c->figures);
  free(c->cls.distances);
  free(c->cls.file);
  free(c->cls.sizes);
  free(c->m_sweep);
  free(c->mu2_sweep);
  free(c->mu_power);
  free(c);
}

const char *as_tuning_name(as_tuning t)
{
  switch (t) {
  case AS_TUNING_ORACLE: return "oracle";
  case AS_TUNING_HELDOUT: return "heldout";
  case AS_TUNING_FIXED: return "fixed";
  }
  return "?";
}

const char *as_config_bounds_name(as_config_bounds b)
{
  switch (b) {
  case AS_CONFIG_BOUNDS_NONE: return "none";
  case AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB: return "theorem4-constant";
  }
  return "?";
}

const char *as_class_type_name(as_class_type t)
{
  switch (t) {
  case AS_CLASS_TABULAR: return "tabular";
  case AS_CLASS_FINITE: return "finite";
  case AS_CLASS_FEATURES: return "features";
  }
  return "?";
}

int as_config_wants_metric(const as_config *cfg, const char *name)
{
  if (cfg->n_metrics == 0)
    return 1;
  for (size_t i = 0; i < cfg->n_metrics; i++)
    if (strcmp(cfg->metrics[i], name) == 0)
      return 1;
  return 0;
}

/* ---- writer */

static void write_string(FILE *f, const char *s)
{
  fputc('"', f);
  for (const char *c = s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fputc('\\', f);
    if (*c == '\n')
      fputs("\\n", f);
    else
      fputc(*c, f);
  }
  fputc('"', f);
}

/* %.17g, with a decimal point so libconfig reads a float back. */
static void write_double(FILE *f, double v)
{
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", v);
  fputs(buf, f);
  if (strpbrk(buf, ".eEn") == NULL)
    fputs(".0", f);
}

/* `KEY = VALUE;` of the declared hyperparameter KEY (as_hparam.h) in c->hp:
 * a choice's name or the word of a NAN default in quotes, an integer, a
 * real as write_double; nothing for a NAN without a word (not given). */
static void write_hparam(FILE *f, const char *key, const as_config *c)
{
  const as_hparam *h = as_hparam_by_key(c->hpt, key);
  double v = as_hparam_get(h, &c->hp);
  if (h->type == AS_HP_REAL && isnan(v) && h->word == NULL)
    return;
  fprintf(f, "%s = ", key);
  if (h->type == AS_HP_REAL && !isnan(v)) {
    write_double(f, v);
  } else {
    char buf[64];
    as_hparam_format(h, &c->hp, buf, sizeof buf);
    fprintf(f, h->type == AS_HP_INT ? "%s" : "\"%s\"", buf);
  }
  fputs(";\n", f);
}

static void write_doubles(FILE *f, const char *key, const double *v, size_t n)
{
  fprintf(f, "%s = [", key);
  for (size_t i = 0; i < n; i++) {
    if (i)
      fputs(", ", f);
    write_double(f, v[i]);
  }
  fputs("];\n", f);
}

static void write_mu(FILE *f, const char *key, as_mu_kind k, double a,
                     double t)
{
  fprintf(f, "  %s = ", key);
  switch (k) {
  case AS_MU_REF: fputs("\"ref\"", f); break;
  case AS_MU_UNIFORM: fputs("\"uniform\"", f); break;
  case AS_MU_STAR: fputs("\"star\"", f); break;
  case AS_MU_SAME: fputs("\"same\"", f); break;
  case AS_MU_DRAWN:
    fputs("{ sharpness = ", f);
    write_double(f, a);
    fputs("; noise = ", f);
    write_double(f, t);
    fputs("; }", f);
    break;
  }
  fputs(";\n", f);
}

int as_config_write(FILE *f, const as_config *c)
{
  fputs("experiment = ", f);
  write_string(f, c->experiment);
  fputs(";\ndescription = ", f);
  write_string(f, c->description);
  fputs(";\nkind = ", f);
  write_string(f, c->kind);
  fputs(";\ninstance = {\n", f);
  const as_instance_params *ip = &c->instance;
  fprintf(f, "  K = %zu;\n  V = %zu;\n", ip->K, ip->V);
  fputs("  logit_scale = ", f);
  write_double(f, ip->logit_scale);
  fputs(";\n  ref_sharpness = ", f);
  write_double(f, ip->ref_sharpness);
  fputs(";\n  ref_noise = ", f);
  write_double(f, ip->ref_noise);
  fprintf(f, ";\n  rho = \"%s\";\n", ip->rho_uniform ? "uniform" : "dirichlet");
  write_mu(f, "mu", ip->mu, ip->mu_sharpness, ip->mu_noise);
  write_mu(f, "mu2", ip->mu2, ip->mu2_sharpness, ip->mu2_noise);
  fputs("};\n", f);
  write_doubles(f, "beta", c->beta, c->n_beta);
  fputs("n = [", f);
  for (size_t i = 0; i < c->n_n; i++)
    fprintf(f, "%s%lluL", i ? ", " : "", (unsigned long long)c->n[i]);
  fputs("];\n", f);
  fprintf(f, "population = %s;\n", c->population ? "true" : "false");
  write_doubles(f, "lambda", c->lambda, c->n_lambda);
  write_hparam(f, "gamma", c);
  write_hparam(f, "beta_dpo", c);
  fputs("m = ", f);
  if (c->m_population)
    fputs("\"population\"", f);
  else
    fprintf(f, "%lluL", (unsigned long long)c->m);
  fputs(";\nmethods = [", f);
  for (size_t i = 0; i < c->n_methods; i++)
    fprintf(f, "%s\"%s\"", i ? ", " : "", as_method_name(c->methods[i]));
  fprintf(f, "];\nreplicates = %ld;\nseed = %lluL;\ntuning = \"%s\";\n",
          c->replicates, (unsigned long long)c->seed,
          as_tuning_name(c->tuning));
  fputs("heldout_fraction = ", f);
  write_double(f, c->heldout_fraction);
  fputs(";\nrate_fit_min_n = ", f);
  write_double(f, c->rate_fit_min_n);
  fputs(";\n", f);
  write_hparam(f, "ridge", c);
  write_hparam(f, "dpo_steps", c);
  write_hparam(f, "dpo_lr", c);
  if (c->n_metrics > 0) {
    fputs("metrics = [", f);
    for (size_t i = 0; i < c->n_metrics; i++) {
      fputs(i ? ", " : "", f);
      write_string(f, c->metrics[i]);
    }
    fputs("];\n", f);
  }
  if (c->n_figures > 0) {
    fputs("figures = [", f);
    for (size_t i = 0; i < c->n_figures; i++) {
      fputs(i ? ", " : "", f);
      write_string(f, c->figures[i]);
    }
    fputs("];\n", f);
  }
  fprintf(f, "class = {\n  type = \"%s\";\n", as_class_type_name(c->cls.type));
  if (c->cls.size > 0)
    fprintf(f, "  size = %ld;\n", c->cls.size);
  if (c->cls.n_distances > 0) {
    fputs("  ", f);
    write_doubles(f, "distances", c->cls.distances, c->cls.n_distances);
  }
  if (c->cls.d > 0)
    fprintf(f, "  d = %ld;\n", c->cls.d);
  if (c->cls.realizable >= 0)
    fprintf(f, "  realizable = %s;\n", c->cls.realizable ? "true" : "false");
  if (c->cls.file != NULL) {
    fputs("  file = ", f);
    write_string(f, c->cls.file);
    fputs(";\n", f);
  }
  if (c->cls.n_sizes > 0) {
    fputs("  sizes = [", f);
    for (size_t i = 0; i < c->cls.n_sizes; i++)
      fprintf(f, "%s%ld", i ? ", " : "", c->cls.sizes[i]);
    fputs("];\n", f);
  }
  fputs("};\n", f);
  fputs("delta = ", f);
  write_double(f, c->delta);
  fputs(";\n", f);
  if (c->n_m_sweep > 0) {
    fputs("m_sweep = [", f);
    for (size_t i = 0; i < c->n_m_sweep; i++)
      fprintf(f, "%s%lluL", i ? ", " : "", (unsigned long long)c->m_sweep[i]);
    fputs("];\n", f);
  }
  if (c->n_mu2_sweep > 0) {
    static const char *const mk[] = {"ref", "uniform", "star", "drawn",
                                     "same"};
    fputs("mu2_sweep = [", f);
    for (size_t i = 0; i < c->n_mu2_sweep; i++)
      fprintf(f, "%s\"%s\"", i ? ", " : "", mk[c->mu2_sweep[i]]);
    fputs("];\n", f);
  }
  if (c->n_mu_power > 0)
    write_doubles(f, "mu_power", c->mu_power, c->n_mu_power);
  /* written only when set, so the manifest of a run without it is
   * unchanged (re-reading gives the default "none") */
  if (c->bounds != AS_CONFIG_BOUNDS_NONE)
    fprintf(f, "bounds = \"%s\";\n", as_config_bounds_name(c->bounds));
  {
    /* the methods' declared hyperparameters that were set */
    const as_hparam_table *t = c->hpt;
    for (size_t i = 0; i < t->n; i++)
      for (const as_hparam *const *h = t->decl[i]->hp; *h; h++) {
        if (((*h)->flags & AS_HP_SHARED) || as_hparam_is_unset(*h, &c->hp) ||
            as_hparam_by_key(t, (*h)->key) != *h)
          continue; /* above, unset, or written under its first declaration */
        write_hparam(f, (*h)->key, c);
      }
  }
  if (c->label_flip > 0.0) { /* likewise */
    fputs("label_flip = ", f);
    write_double(f, c->label_flip);
    fputs(";\n", f);
  }
  return ferror(f) ? AS_EIO : AS_OK;
}
