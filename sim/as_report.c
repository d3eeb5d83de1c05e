/* as_report.c — see as_report.h.
 *
 * Hand-written HTML: the page is a handful of tables and inlined SVG, and a
 * template library would be a dependency for one file.  The CSV files read
 * here are the ones as_results.c writes (no quoting: no field contains a
 * comma). */
#include "as_report.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_hparam.h"
#include "as_io.h"

/* ------------------------------------------------------------ files */

/* The whole file DIR/NAME, NUL-terminated, in *out (caller frees); *out is
 * NULL and AS_OK returned for a missing optional file. */
static int slurp(const char *dir, const char *name, int optional, char **out,
                 as_err *err)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    if (optional)
      return AS_OK;
    return as_err_set(err, AS_EIO, "%s: cannot read (is %s a directory "
                      "written by 'alignsim run'?)", path, dir);
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    len += fread(buf + len, 1, cap - len - 1, f);
    if (len < cap - 1)
      break;
    char *nb = realloc(buf, cap *= 2);
    if (nb == NULL)
      free(buf);
    buf = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (buf == NULL)
    return as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
  if (bad) {
    free(buf);
    return as_err_set(err, AS_EIO, "%s: read error", path);
  }
  buf[len] = '\0';
  *out = buf;
  return AS_OK;
}

/* ------------------------------------------------------------ CSV */

typedef struct csv {
  char *text;    /* the file, cut into fields in place */
  char **field;  /* nrow × ncol, row 0 the header */
  size_t nrow, ncol;
} csv;

static void csv_free(csv *t)
{
  free(t->text);
  free(t->field);
  memset(t, 0, sizeof *t);
}

static size_t count_fields(const char *line)
{
  size_t n = 1;
  for (; *line != '\0'; line++)
    n += *line == ',';
  return n;
}

static int csv_read(const char *dir, const char *name, csv *t, as_err *err)
{
  memset(t, 0, sizeof *t);
  int rc = slurp(dir, name, 0, &t->text, err);
  if (rc != AS_OK)
    return rc;
  size_t lines = 0;
  for (const char *p = t->text; *p != '\0'; p++)
    lines += *p == '\n';
  char *save = NULL, *line = strtok_r(t->text, "\n", &save);
  if (line == NULL) {
    csv_free(t);
    return as_err_set(err, AS_EPARSE, "%s/%s:1: empty file", dir, name);
  }
  t->ncol = count_fields(line);
  t->field = malloc((lines + 1) * t->ncol * sizeof *t->field);
  if (t->field == NULL) {
    csv_free(t);
    return as_err_set(err, AS_ENOMEM, "%s/%s: out of memory", dir, name);
  }
  for (; line != NULL; line = strtok_r(NULL, "\n", &save)) {
    if (count_fields(line) != t->ncol) {
      as_err_set(err, AS_EPARSE, "%s/%s:%zu: %zu fields where the header "
                 "has %zu", dir, name, t->nrow + 1, count_fields(line),
                 t->ncol);
      csv_free(t);
      return AS_EPARSE;
    }
    char **row = t->field + t->nrow * t->ncol;
    for (size_t c = 0; c < t->ncol; c++) {
      row[c] = line;
      char *comma = strchr(line, ',');
      if (comma != NULL) {
        *comma = '\0';
        line = comma + 1;
      }
    }
    t->nrow++;
  }
  return AS_OK;
}

static long csv_col(const csv *t, const char *name)
{
  for (size_t c = 0; c < t->ncol; c++)
    if (strcmp(t->field[c], name) == 0)
      return (long)c;
  return -1;
}

static const char *csv_str(const csv *t, size_t r, long c)
{
  return c < 0 ? "" : t->field[r * t->ncol + (size_t)c];
}

/* The number in row r, column NAME; NAN when the column is missing or the
 * field is empty or not a number. */
static double csv_num(const csv *t, size_t r, const char *name)
{
  const char *s = csv_str(t, r, csv_col(t, name));
  char *end;
  double v = strtod(s, &end);
  return s[0] == '\0' || *end != '\0' ? NAN : v;
}

/* The summary column "<aux>_median" of the kind-specific column, the last
 * of results.csv (experiments/README.md: `aux`, `dpo_step`, ...). */
static void aux_median_name(const csv *res, char *out, size_t len)
{
  snprintf(out, len, "%s_median", res->field[res->ncol - 1]);
}

/* The value of the top-level setting `KEY = VALUE;` of the manifest (the
 * configuration as parsed, as_config_write: one setting a line), without
 * its quotes, in out; 0 when the manifest has no such setting. */
static int manifest_value(const char *manifest, const char *key, char *out,
                          size_t len)
{
  out[0] = '\0';
  size_t klen = strlen(key);
  for (const char *p = manifest; p != NULL && *p != '\0';) {
    if (strncmp(p, key, klen) == 0 && strncmp(p + klen, " = ", 3) == 0) {
      const char *v = p + klen + 3;
      size_t n = strcspn(v, ";\n");
      if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
      }
      snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
      return 1;
    }
    p = strchr(p, '\n');
    p = p != NULL ? p + 1 : NULL;
  }
  return 0;
}

/* The manifest's number KEY, or dflt when it has no such setting (the
 * configuration's default), NAN when the value is not a number. */
static double manifest_number(const char *manifest, const char *key,
                              double dflt)
{
  char v[128], *end;
  if (!manifest_value(manifest, key, v, sizeof v))
    return dflt;
  double x = strtod(v, &end);
  return v[0] == '\0' || *end != '\0' ? NAN : x;
}

/* ------------------------------------------------------------ HTML */

static void put_escaped(FILE *f, const char *s, size_t n)
{
  for (size_t i = 0; i < n && s[i] != '\0'; i++) {
    switch (s[i]) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(s[i], f);
    }
  }
}

static void put_text(FILE *f, const char *s)
{
  put_escaped(f, s, strlen(s));
}

/* A number as people read it: 6 significant digits, "na" for NaN (a
 * metric the method does not have, docs/reference.md §4). */
static void put_num(FILE *f, double v)
{
  if (isnan(v))
    fputs("na", f);
  else
    fprintf(f, "%.6g", v);
}

static void put_pre(FILE *f, const char *title, const char *text)
{
  fprintf(f, "<h2>%s</h2>\n<pre>", title);
  put_text(f, text);
  fputs("</pre>\n", f);
}

/* ------------------------------------------------------------ claims */

typedef struct claims {
  FILE *f;
  const char *manifest;  /* the configuration as parsed (label_flip, ...) */
  int n, held;
} claims;

static void claim(claims *c, int held, const char *what, const char *fmt,
                  ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void claim(claims *c, int held, const char *what, const char *fmt,
                  ...)
{
  char numbers[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(numbers, sizeof numbers, fmt, ap);
  va_end(ap);
  fprintf(c->f, "<tr class=\"%s\"><td>", held ? "held" : "not-held");
  put_text(c->f, what);
  fputs("</td><td>", c->f);
  put_text(c->f, numbers);
  fprintf(c->f, "</td><td>%s</td></tr>\n", held ? "held" : "not held");
  c->n++;
  c->held += held;
}

/* Row index of summary row kind ("stat"/"rate") for method at n (n_str
 * NULL: any), or -1. */
static long sum_row(const csv *s, const char *kind, const char *method,
                    const char *n_str)
{
  long ck = csv_col(s, "row"), cm = csv_col(s, "method"),
       cn = csv_col(s, "n");
  for (size_t r = 1; r < s->nrow; r++)
    if (strcmp(csv_str(s, r, ck), kind) == 0
        && strcmp(csv_str(s, r, cm), method) == 0
        && (n_str == NULL || strcmp(csv_str(s, r, cn), n_str) == 0))
      return (long)r;
  return -1;
}

/* The largest finite n among method's stat rows (its row, or -1). */
static long sum_row_largest_n(const csv *s, const char *method)
{
  long best = -1, ck = csv_col(s, "row"), cm = csv_col(s, "method");
  double bn = -1;
  for (size_t r = 1; r < s->nrow; r++) {
    double n = csv_num(s, r, "n");
    if (strcmp(csv_str(s, r, ck), "stat") == 0
        && strcmp(csv_str(s, r, cm), method) == 0 && isfinite(n) && n > bn) {
      bn = n;
      best = (long)r;
    }
  }
  return best;
}

/* The rate fit of method has slope within tol of -1 (the O(1/n) rate). */
static void claim_rate(claims *c, const csv *s, const char *method,
                       double tol)
{
  char what[160];
  snprintf(what, sizeof what, "%s: forward KL falls like 1/n (log-log slope "
           "of the median within %.2g of -1)", method, tol);
  long r = sum_row(s, "rate", method, NULL);
  if (r < 0) {
    claim(c, 0, what, "no rate row for %s in summary.csv", method);
    return;
  }
  double k = csv_num(s, (size_t)r, "slope");
  claim(c, fabs(k + 1) <= tol, what, "slope %.4g, 95%% CI [%.4g, %.4g], "
        "fitted on n >= %s", k, csv_num(s, (size_t)r, "slope_ci_lo"),
        csv_num(s, (size_t)r, "slope_ci_hi"), csv_str(s, (size_t)r,
                                                       csv_col(s, "n")));
}

/* Every row's COL is at most bound (or, col2 given, at most row's col2). */
static void claim_rows_below(claims *c, const csv *res, const char *col,
                             const char *col2, double bound,
                             const char *what)
{
  size_t bad = 0, seen = 0;
  double worst = -INFINITY;
  for (size_t r = 1; r < res->nrow; r++) {
    double v = csv_num(res, r, col);
    double b = col2 != NULL ? csv_num(res, r, col2) : bound;
    if (isnan(v) || isnan(b))
      continue;
    seen++;
    bad += v > b;
    if (col2 == NULL && v > worst)
      worst = v;
  }
  if (col2 != NULL)
    claim(c, seen > 0 && bad == 0, what, "%zu of %zu rows have %s > %s",
          bad, seen, col, col2);
  else
    claim(c, seen > 0 && bad == 0, what, "largest %s %.3g over %zu rows "
          "(limit %.3g)", col, worst, seen, bound);
}

static void claims_e1(claims *c, const csv *s, const csv *res)
{
  (void)res;
  claim_rate(c, s, "rkl", 0.05);
  long r = sum_row_largest_n(s, "rlhf");
  if (r < 0) {
    claim(c, 0, "RLHF saturates at its floor F_RLHF", "no RLHF rows");
    return;
  }
  double kl = csv_num(s, (size_t)r, "fwd_kl_median");
  double fl = csv_num(s, (size_t)r, "rlhf_floor_median");
  claim(c, fabs(kl / fl - 1) <= 0.05, "RLHF saturates: its median forward "
        "KL at the largest n is within 5% of the median F_RLHF", "n = %s: "
        "RLHF median %.4g, F_RLHF median %.4g (ratio %.4f)",
        csv_str(s, (size_t)r, csv_col(s, "n")), kl, fl, kl / fl);
  long k = sum_row_largest_n(s, "rkl");
  if (k >= 0) {
    double rk = csv_num(s, (size_t)k, "fwd_kl_median");
    claim(c, rk < fl, "RKL goes below the RLHF floor", "RKL median %.4g at "
          "n = %s against F_RLHF %.4g", rk, csv_str(s, (size_t)k,
                                                   csv_col(s, "n")), fl);
  }
}

static void claims_e2(claims *c, const csv *s, const csv *res)
{
  (void)res;
  static const char *const consistent[] = {"pmle", "distill", "rkl",
                                           "rebel"};
  for (size_t i = 0; i < sizeof consistent / sizeof consistent[0]; i++)
    if (sum_row(s, "stat", consistent[i], NULL) >= 0)
      claim_rate(c, s, consistent[i], 0.1);
}

static void claims_e3(claims *c, const csv *s, const csv *res)
{
  (void)s;
  claim_rows_below(c, res, "fwd_kl", "bound_instance", 0,
                   "no replicate's forward KL exceeds its explicit bound "
                   "(Theorem 4, instance form)");
}

/* E4: over the λ sweep RLHF's median forward KL has its minimum near
 * F_RLHF, and its entropy collapses as λ → 0. */
static void claims_e4(claims *c, const csv *s, const csv *res)
{
  (void)res;
  long ck = csv_col(s, "row"), cm = csv_col(s, "method");
  long best = -1, lo = -1;
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "stat") != 0
        || strcmp(csv_str(s, r, cm), "rlhf") != 0)
      continue;
    if (best < 0 || csv_num(s, r, "fwd_kl_median")
                        < csv_num(s, (size_t)best, "fwd_kl_median"))
      best = (long)r;
    if (lo < 0 || csv_num(s, r, "lambda") < csv_num(s, (size_t)lo, "lambda"))
      lo = (long)r;
  }
  if (best < 0) {
    claim(c, 0, "RLHF's error is U-shaped in lambda", "no RLHF rows");
    return;
  }
  double kl = csv_num(s, (size_t)best, "fwd_kl_median");
  double fl = csv_num(s, (size_t)best, "rlhf_floor_median");
  /* within, not above: with finite n the fitted reward's noise can put a
   * replicate below its floor (docs/reference.md §6, E1) */
  claim(c, fabs(kl / fl - 1) <= 0.1, "the minimum over lambda of RLHF's "
        "median forward KL is within 10% of F_RLHF",
        "minimum %.4g at lambda = %.4g; F_RLHF median %.4g", kl,
        csv_num(s, (size_t)best, "lambda"), fl);
  double h = csv_num(s, (size_t)lo, "entropy_median");
  claim(c, h < 0.01, "RLHF's entropy collapses as lambda -> 0",
        "median entropy %.3g nats at the smallest lambda %.3g", h,
        csv_num(s, (size_t)lo, "lambda"));
}

static void claims_e7(claims *c, const csv *s, const csv *res)
{
  (void)s;
  claim_rows_below(c, res, "prop15_ratio", NULL, 1.0,
                   "Proposition 15 holds on every fitted policy (ratio <= 1)");
}

static void claims_e8(claims *c, const csv *s, const csv *res)
{
  (void)s;
  claim_rows_below(c, res, "max_abs_logpi_diff", NULL, 1e-9,
                   "RKL equals RLHF with the smoothed prior (Appendix B): "
                   "largest |difference in log pi| below 1e-9");
}

/* E10: methods that learn the distribution have a smaller mean forward KL
 * than RLHF and DPO. */
static void claims_e10(claims *c, const csv *s, const csv *res)
{
  (void)res;
  static const char *const good[] = {"pmle", "distill", "rebel", "rkl"};
  static const char *const bad[] = {"rlhf", "dpo"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    long g = sum_row(s, "stat", good[i], NULL);
    for (size_t j = 0; g >= 0 && j < sizeof bad / sizeof bad[0]; j++) {
      long b = sum_row(s, "stat", bad[j], NULL);
      if (b < 0)
        continue;
      double vg = csv_num(s, (size_t)g, "fwd_kl_mean");
      double vb = csv_num(s, (size_t)b, "fwd_kl_mean");
      char what[128];
      snprintf(what, sizeof what, "%s has a smaller forward KL than %s",
               good[i], bad[j]);
      claim(c, vg < vb, what, "mean %.4g against %.4g", vg, vb);
    }
  }
}

/* E5: RKL (feature reward class) below PMLE (tabular) in every cell. */
static void claims_e5(claims *c, const csv *s, const csv *res)
{
  (void)res;
  long ck = csv_col(s, "row"), cm = csv_col(s, "method"),
       cc = csv_col(s, "cell");
  size_t cells = 0, below = 0;
  double worst = 0;
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "stat") != 0
        || strcmp(csv_str(s, r, cm), "pmle") != 0)
      continue;
    for (size_t q = 1; q < s->nrow; q++)
      if (strcmp(csv_str(s, q, ck), "stat") == 0
          && strcmp(csv_str(s, q, cm), "rkl") == 0
          && strcmp(csv_str(s, q, cc), csv_str(s, r, cc)) == 0) {
        double ratio = csv_num(s, q, "fwd_kl_median")
                       / csv_num(s, r, "fwd_kl_median");
        cells++;
        below += ratio < 1;
        worst = ratio > worst ? ratio : worst;
      }
  }
  claim(c, cells > 0 && below == cells, "RKL (feature reward class) has a "
        "smaller median forward KL than PMLE (tabular) in every cell",
        "%zu of %zu cells; largest ratio RKL/PMLE %.3g", below, cells, worst);
}

/* E6: DPO's forward KL grows along training at every beta. */
static void claims_e6(claims *c, const csv *s, const csv *res)
{
  char step[128];
  aux_median_name(res, step, sizeof step);
  long ck = csv_col(s, "row"), cm = csv_col(s, "method"),
       cb = csv_col(s, "beta");
  size_t betas = 0, grew = 0;
  char detail[400] = "";
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "stat") != 0
        || strcmp(csv_str(s, r, cm), "dpo") != 0)
      continue;
    int seen = 0; /* the first dpo row of this beta handles it */
    for (size_t q = 1; q < r && !seen; q++)
      seen = strcmp(csv_str(s, q, ck), "stat") == 0
             && strcmp(csv_str(s, q, cm), "dpo") == 0
             && strcmp(csv_str(s, q, cb), csv_str(s, r, cb)) == 0;
    if (seen)
      continue;
    size_t first = r, last = r;
    for (size_t q = r; q < s->nrow; q++) {
      if (strcmp(csv_str(s, q, ck), "stat") != 0
          || strcmp(csv_str(s, q, cm), "dpo") != 0
          || strcmp(csv_str(s, q, cb), csv_str(s, r, cb)) != 0)
        continue;
      if (csv_num(s, q, step) < csv_num(s, first, step))
        first = q;
      if (csv_num(s, q, step) > csv_num(s, last, step))
        last = q;
    }
    double a = csv_num(s, first, "fwd_kl_median"),
           b = csv_num(s, last, "fwd_kl_median");
    betas++;
    grew += b > a;
    size_t len = strlen(detail);
    snprintf(detail + len, sizeof detail - len, "%sbeta %s: %.3g -> %.3g",
             len ? "; " : "", csv_str(s, r, cb), a, b);
  }
  claim(c, betas > 0 && grew == betas, "DPO runs away: its median forward "
        "KL at the last recorded step exceeds the first, at every beta",
        "%s", detail);
}

/* E9: DPO has the largest median forward KL at every beta. */
static void claims_e9(claims *c, const csv *s, const csv *res)
{
  (void)res;
  long ck = csv_col(s, "row"), cm = csv_col(s, "method"),
       cc = csv_col(s, "cell");
  size_t cells = 0, worst = 0;
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "stat") != 0
        || strcmp(csv_str(s, r, cm), "dpo") != 0)
      continue;
    int is_max = 1;
    for (size_t q = 1; q < s->nrow; q++)
      if (q != r && strcmp(csv_str(s, q, ck), "stat") == 0
          && strcmp(csv_str(s, q, cc), csv_str(s, r, cc)) == 0
          && csv_num(s, q, "fwd_kl_median") > csv_num(s, r, "fwd_kl_median"))
        is_max = 0;
    cells++;
    worst += (size_t)is_max;
  }
  claim(c, cells > 0 && worst == cells, "DPO has the largest median forward "
        "KL of all methods at every beta", "largest in %zu of %zu cells",
        worst, cells);
}

/* E3-distill: every form of the bound holds (docs/reference.md §5.1).  Per
 * replicate against its own sharp instance-form bound (results.csv, as
 * E3); per summary row (μ', m, n, theorem) the (1−δ)-quantile of the
 * forward KL against the smallest bound over the replicates in the paper
 * theorem, sharp theorem and sharp instance forms; the class-exact form
 * by its violations (claim_violations_within). */
static void claim_quantile_below(claims *c, const csv *s, const char *form,
                                 const char *what)
{
  char bcol[64];
  snprintf(bcol, sizeof bcol, "bound_%s", form);
  long cmu = csv_col(s, "mu2"), cm = csv_col(s, "m"), cn = csv_col(s, "n"),
       ct = csv_col(s, "theorem");
  size_t rows = 0, above = 0, least = 0;
  double slack = INFINITY;
  for (size_t r = 1; r < s->nrow; r++) {
    double q = csv_num(s, r, "kl_quantile"), b = csv_num(s, r, bcol);
    if (isnan(q) || isnan(b))
      continue;
    rows++;
    above += q > b;
    if (least == 0 || b / q < slack) {
      slack = b / q;
      least = r;
    }
  }
  if (rows == 0) {
    claim(c, 0, what, "no row of summary.csv has kl_quantile and %s", bcol);
    return;
  }
  claim(c, above == 0, what, "%zu of %zu rows have kl_quantile > %s; least "
        "slack %.4g (mu' = %s, m = %s, n = %s, %s)", above, rows, bcol,
        slack, csv_str(s, least, cmu), csv_str(s, least, cm),
        csv_str(s, least, cn), csv_str(s, least, ct));
}

/* The class-exact form varies from replicate to replicate much more than
 * the others (it is a ratio over the replicate's own class), so the
 * smallest over the replicates can sit below the quantile while every
 * replicate keeps its own bound: judged by what the theorem says, at most
 * a δ fraction of the replicates above their own bound, in every row. */
static void claim_violations_within(claims *c, const csv *s, const char *form,
                                    const char *what)
{
  char vcol[64], bcol[64];
  snprintf(vcol, sizeof vcol, "violations_%s", form);
  snprintf(bcol, sizeof bcol, "bound_%s", form);
  size_t rows = 0, over = 0, above_min = 0;
  double worst = 0;
  for (size_t r = 1; r < s->nrow; r++) {
    double v = csv_num(s, r, vcol), reps = csv_num(s, r, "replicates"),
           d = csv_num(s, r, "delta");
    if (isnan(v) || isnan(reps) || isnan(d))
      continue;
    rows++;
    over += v > d * reps;
    worst = v / reps > worst ? v / reps : worst;
    above_min += csv_num(s, r, "kl_quantile") > csv_num(s, r, bcol);
  }
  claim(c, rows > 0 && over == 0, what, "%zu of %zu rows have more than "
        "delta * replicates above their own bound (largest fraction %.3g); "
        "in %zu rows kl_quantile exceeds the smallest %s over the "
        "replicates", over, rows, worst, above_min, bcol);
}

static void claims_e3_distill(claims *c, const csv *s, const csv *res)
{
  static const struct {
    const char *form, *what;
  } forms[] = {
    {"paper", "the (1-delta)-quantile of the forward KL is below the bound, "
              "paper theorem form, in every (mu', m, n, theorem) row"},
    {"thm_sharp", "the (1-delta)-quantile is below the sharp theorem form "
                  "in every row"},
    {"sharp", "the (1-delta)-quantile is below the sharp instance form in "
              "every row"},
  };
  claim_rows_below(c, res, "fwd_kl", "bound_sharp_instance", 0,
                   "no replicate's forward KL exceeds its own bound "
                   "(Theorem 14 for distillation, Theorem 7 for RKL, sharp "
                   "instance form)");
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
    claim_quantile_below(c, s, forms[i].form, forms[i].what);
  claim_violations_within(c, s, "class", "the class-exact form holds with "
                          "probability 1-delta: in every row at most "
                          "delta * replicates exceed their own bound");
}

/* E11, the objective atlas (docs/reference.md §3.2): the population row
 * (n = inf) of a method holds its floor F_method on the replicate's
 * instance; as_floors.h calls a floor <= 1e-9 zero (verdict
 * "consistent"). */
#define ATLAS_ZERO_FLOOR 1e-9

typedef struct atlas_pop {
  size_t rows;        /* population rows of the method                  */
  size_t finite;      /* ... with a finite floor                        */
  size_t zero;        /* ... with floor <= ATLAS_ZERO_FLOOR             */
  size_t nan_ok;      /* rows without a floor whose status is "ok"      */
  double max_floor;   /* the largest finite floor                       */
  const char *status; /* the status of a row without a floor            */
} atlas_pop;

/* 1 when row r of results.csv (cm, cn: its method and n columns) is
 * method m's population row (n = inf). */
static int atlas_pop_row(const csv *res, size_t r, long cm, long cn,
                         const char *m)
{
  return strcmp(csv_str(res, r, cm), m) == 0
         && strcmp(csv_str(res, r, cn), "inf") == 0;
}

static atlas_pop atlas_population(const csv *res, const char *method)
{
  atlas_pop p = {0, 0, 0, 0, -INFINITY, ""};
  long cm = csv_col(res, "method"), cn = csv_col(res, "n"),
       cs = csv_col(res, "status");
  for (size_t r = 1; r < res->nrow; r++) {
    if (!atlas_pop_row(res, r, cm, cn, method))
      continue;
    double v = csv_num(res, r, "fwd_kl");
    p.rows++;
    if (isfinite(v)) {
      p.finite++;
      p.zero += v <= ATLAS_ZERO_FLOOR;
      p.max_floor = v > p.max_floor ? v : p.max_floor;
    } else {
      p.status = csv_str(res, r, cs);
      p.nan_ok += strcmp(p.status, "ok") == 0;
    }
  }
  return p;
}

/* A consistent method (every floor zero) learns π*: the oracle-tuned
 * forward KL falls like 1/n. */
static void atlas_claim_consistent(claims *c, const csv *s, const char *m,
                                   const atlas_pop *p)
{
  char what[200];
  snprintf(what, sizeof what, "%s (verdict consistent: floor <= 1e-9 in %zu "
           "of %zu replicates, largest %.3g) learns pi*: log-log slope of "
           "its median forward KL within 0.1 of -1", m, p->zero, p->rows,
           p->max_floor);
  long r = sum_row(s, "rate", m, NULL);
  if (r < 0) {
    claim(c, 0, what, "no rate row for %s in summary.csv", m);
    return;
  }
  double k = csv_num(s, (size_t)r, "slope");
  claim(c, fabs(k + 1) <= 0.1, what, "slope %.4g, 95%% CI [%.4g, %.4g], "
        "fitted on n >= %s", k, csv_num(s, (size_t)r, "slope_ci_lo"),
        csv_num(s, (size_t)r, "slope_ci_hi"),
        csv_str(s, (size_t)r, csv_col(s, "n")));
}

/* An inconsistent method levels off at or above its floor: the median
 * forward KL at the largest n is not below the median F_method (5 % for
 * the median of two different quantities) and no longer falls like a
 * power of n (slope above -0.5). */
static void atlas_claim_floor(claims *c, const csv *s, const csv *res,
                              const char *m, size_t pop_row,
                              const atlas_pop *p)
{
  char tuned[128]; /* the kind column: the tuned value (as_kind_atlas.c) */
  aux_median_name(res, tuned, sizeof tuned);
  double fl = csv_num(s, pop_row, "fwd_kl_median");
  char what[240];
  snprintf(what, sizeof what, "%s (verdict floor: F_method > 1e-9 in %zu of "
           "%zu replicates, median %.4g) levels off at or above its floor: "
           "median forward KL at the largest n >= 0.95 F_method, log-log "
           "slope above -0.5", m, p->finite - p->zero, p->rows, fl);
  long r = sum_row_largest_n(s, m), k = sum_row(s, "rate", m, NULL);
  if (r < 0 || k < 0) {
    claim(c, 0, what, "no finite-n %s row for %s in summary.csv",
          r < 0 ? "stat" : "rate", m);
    return;
  }
  double kl = csv_num(s, (size_t)r, "fwd_kl_median");
  double slope = csv_num(s, (size_t)k, "slope");
  claim(c, kl >= 0.95 * fl && slope > -0.5, what, "n = %s: median %.4g, "
        "F_method median %.4g (ratio %.4f, tuned value %.4g); slope %.4g",
        csv_str(s, (size_t)r, csv_col(s, "n")), kl, fl, kl / fl,
        csv_num(s, pop_row, tuned), slope);
}

/* A method hyperparameter's value as the run used it: the manifest's,
 * or its declared default (as_hparam.c) when the manifest has none. */
static double manifest_hparam(const char *manifest, const char *key)
{
  const as_hparam *h = as_hparam_by_key(as_hparam_table_default(), key);
  return manifest_number(manifest, key, h != NULL ? h->def : NAN);
}

/* The methods docs/reference.md §3.2 calls consistent, each under the
 * setting it needs: RKL with gamma = "beta" (the default), SimPO with
 * margin 0. */
static const struct {
  const char *method, *key, *text;
  double number;
} atlas_consistent[] = {
  {"pmle", NULL, NULL, 0},        {"distill", NULL, NULL, 0},
  {"rebel", NULL, NULL, 0},       {"rkl", "gamma", "beta", 0},
  {"simpo", "margin", NULL, 0.0},
};

static int atlas_expected_consistent(const char *manifest, const char *m)
{
  char v[64];
  for (size_t i = 0; i < sizeof atlas_consistent / sizeof atlas_consistent[0];
       i++) {
    if (strcmp(atlas_consistent[i].method, m) != 0)
      continue;
    if (atlas_consistent[i].key == NULL)
      return 1;
    if (atlas_consistent[i].text != NULL)
      return !manifest_value(manifest, atlas_consistent[i].key, v, sizeof v)
             || strcmp(v, atlas_consistent[i].text) == 0;
    return manifest_hparam(manifest, atlas_consistent[i].key)
           == atlas_consistent[i].number;
  }
  return 0;
}

/* A method's floor equals F_RLHF on every instance (relative 1e-9: both
 * are minima refined by Brent, flat to second order there). */
static void atlas_claim_rlhf_floor(claims *c, const csv *res, const char *m,
                                   const char *what)
{
  long cm = csv_col(res, "method"), cn = csv_col(res, "n");
  size_t seen = 0;
  double worst = 0;
  for (size_t r = 1; r < res->nrow; r++) {
    if (!atlas_pop_row(res, r, cm, cn, m))
      continue;
    double d = fabs(csv_num(res, r, "fwd_kl") / csv_num(res, r, "rlhf_floor")
                    - 1);
    seen++;
    worst = isnan(d) || d > worst ? d : worst;
  }
  if (seen > 0)
    claim(c, worst <= 1e-9, what, "largest |F_%s / F_RLHF - 1| = %.3g over "
          "%zu replicates", m, worst, seen);
}

static void claims_e11(claims *c, const csv *s, const csv *res)
{
  long ck = csv_col(s, "row"), cm = csv_col(s, "method"),
       cn = csv_col(s, "n");
  char seen_c[512] = "", want_c[512] = "";
  size_t methods = 0;
  int agree = 1;
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "stat") != 0
        || strcmp(csv_str(s, r, cn), "inf") != 0)
      continue;
    const char *m = csv_str(s, r, cm);
    atlas_pop p = atlas_population(res, m);
    methods++;
    if (p.finite < p.rows)
      claim(c, p.nan_ok == 0, "a population loss without a minimiser is "
            "reported (status not ok, metrics nan), never returned as a "
            "point (docs/reference.md §3.2)", "%s: %zu of %zu replicates "
            "without a floor, status %s", m, p.rows - p.finite, p.rows,
            p.status);
    if (p.finite > 0 && p.zero == p.finite)
      atlas_claim_consistent(c, s, m, &p);
    else if (p.finite > 0)
      atlas_claim_floor(c, s, res, m, r, &p);
    int is = p.finite > 0 && p.zero == p.finite;
    int want = atlas_expected_consistent(c->manifest, m);
    agree &= is == want;
    if (is)
      snprintf(seen_c + strlen(seen_c), sizeof seen_c - strlen(seen_c),
               " %s", m);
    if (want)
      snprintf(want_c + strlen(want_c), sizeof want_c - strlen(want_c),
               " %s", m);
  }
  if (methods == 0) {
    claim(c, 0, "every method has a floor F_method", "no population rows "
          "(n = inf) in summary.csv: the run needs population = true");
    return;
  }
  double flip = manifest_number(c->manifest, "label_flip", 0.0);
  if (flip == 0.0) {
    claim(c, agree, "with clean labels the consistent methods are exactly "
          "those docs/reference.md §3.2 names", "measured:%s; docs/"
          "reference.md §3.2:%s", seen_c[0] ? seen_c : " none",
          want_c[0] ? want_c : " none");
    atlas_claim_rlhf_floor(c, res, "dpo", "DPO tuned over beta_d has floor "
                           "F_RLHF (docs/reference.md §3.2)");
  } else if (manifest_hparam(c->manifest, "flip") == flip) {
    atlas_claim_rlhf_floor(c, res, "rdpo", "rDPO assuming the true flip rate "
                           "repairs the label noise: its floor is DPO's "
                           "clean-label floor F_RLHF");
  }
}

static const struct {
  const char *experiment;
  void (*check)(claims *, const csv *, const csv *);
} claim_table[] = {
  {"e1", claims_e1}, {"e2", claims_e2}, {"e3", claims_e3},
  {"e4", claims_e4}, {"e5", claims_e5}, {"e6", claims_e6},
  {"e7", claims_e7}, {"e8", claims_e8}, {"e9", claims_e9},
  {"e10", claims_e10}, {"e11", claims_e11}, {"e11-flip", claims_e11},
  {"e3-distill", claims_e3_distill},
};

/* How the fits ended: "N rows: K ok, J diverged, ..." (not a claim: some
 * experiments, E2's and E6's DPO, are about fits that cannot converge). */
static void write_status_counts(FILE *f, const csv *res)
{
  long cs = csv_col(res, "status");
  const char *name[16];
  size_t count[16], n = 0, other = 0;
  for (size_t r = 1; r < res->nrow; r++) {
    const char *st = csv_str(res, r, cs);
    size_t i = 0;
    while (i < n && strcmp(name[i], st) != 0)
      i++;
    if (i == n && n < 16) {
      name[n] = st;
      count[n++] = 0;
    }
    if (i < n)
      count[i]++;
    else
      other++;
  }
  fprintf(f, "<p id=\"status\">Fit status over the %zu rows of "
          "results.csv:", res->nrow - 1);
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%s %zu ", i ? "," : "", count[i]);
    put_text(f, name[i]);
  }
  if (other > 0)
    fprintf(f, ", %zu other", other);
  fputs(" (the status column is described in experiments/README.md).</p>\n",
        f);
}

static void write_claims(FILE *f, const char *experiment,
                         const char *manifest, const csv *s, const csv *res)
{
  claims c = {f, manifest, 0, 0};
  fputs("<h2 id=\"claims\">Claims</h2>\n<table class=\"claims\">\n"
        "<tr><th>claim</th><th>numbers</th><th>verdict</th></tr>\n", f);
  for (size_t i = 0; i < sizeof claim_table / sizeof claim_table[0]; i++)
    if (strcmp(experiment, claim_table[i].experiment) == 0)
      claim_table[i].check(&c, s, res);
  fprintf(f, "</table>\n<p>%d of %d claims held.", c.held, c.n);
  if (c.n == 0)
    fputs(" This experiment has no automated claim: read its figure "
          "against docs/reference.md §6.", f);
  fputs("</p>\n", f);
  write_status_counts(f, res);
}

/* ------------------------------------------------------------ sections */

/* The SVG of a gnuplot file, without its XML prolog and DOCTYPE (not
 * allowed inside HTML); a <script> element, should one appear, is dropped
 * so the page stays script-free. */
static void put_svg(FILE *f, const char *svg)
{
  const char *p = strstr(svg, "<svg");
  if (p == NULL)
    return;
  for (;;) {
    const char *s = strstr(p, "<script");
    if (s == NULL) {
      fputs(p, f);
      return;
    }
    fwrite(p, 1, (size_t)(s - p), f);
    const char *e = strstr(s, "</script>");
    if (e == NULL)
      return;
    p = e + strlen("</script>");
  }
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int write_figures(FILE *f, const char *dir, as_err *err)
{
  fputs("<h2 id=\"figures\">Figures</h2>\n", f);
  DIR *d = opendir(dir);
  if (d == NULL)
    return as_err_set(err, AS_EIO, "%s: cannot list the directory", dir);
  char *names[64];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64) {
    size_t len = strlen(e->d_name);
    if (len > 4 && strcmp(e->d_name + len - 4, ".svg") == 0
        && (names[n] = strdup(e->d_name)) != NULL)
      n++;
  }
  closedir(d);
  qsort(names, n, sizeof names[0], name_cmp);
  int rc = AS_OK;
  for (size_t i = 0; i < n; i++) {
    char *svg = NULL;
    if (rc == AS_OK && (rc = slurp(dir, names[i], 0, &svg, err)) == AS_OK) {
      fputs("<figure class=\"fig\">\n", f);
      put_svg(f, svg);
      fputs("\n<figcaption>", f);
      put_text(f, names[i]);
      fputs("</figcaption></figure>\n", f);
    }
    free(svg);
    free(names[i]);
  }
  if (n == 0)
    fputs("<p>No figures (the run used --no-plots).</p>\n", f);
  return rc;
}

static void put_cell_num(FILE *f, const csv *t, size_t r, const char *col)
{
  fprintf(f, "<td data-col=\"%s\">", col);
  put_num(f, csv_num(t, r, col));
  fputs("</td>", f);
}

static void put_cell_str(FILE *f, const csv *t, size_t r, const char *col)
{
  fprintf(f, "<td data-col=\"%s\">", col);
  put_text(f, csv_str(t, r, csv_col(t, col)));
  fputs("</td>", f);
}

/* A summary.csv in a kind's own layout (no `row` column: E3's bound table,
 * E7's per-mu' table): every column, numbers to 6 digits. */
static void write_summary_verbatim(FILE *f, const csv *s)
{
  fputs("<h2 id=\"summary\">Summary (summary.csv)</h2>\n<div class=\"wide\">"
        "<table id=\"summary-table\">\n<tr>", f);
  for (size_t c = 0; c < s->ncol; c++) {
    fputs("<th>", f);
    put_text(f, s->field[c]);
    fputs("</th>", f);
  }
  fputs("</tr>\n", f);
  for (size_t r = 1; r < s->nrow; r++) {
    fputs("<tr>", f);
    for (size_t c = 0; c < s->ncol; c++) {
      double v = csv_num(s, r, s->field[c]);
      if (isnan(v) && strcmp(csv_str(s, r, (long)c), "nan") != 0)
        put_cell_str(f, s, r, s->field[c]);
      else
        put_cell_num(f, s, r, s->field[c]);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table></div>\n", f);
}

static void write_summary(FILE *f, const csv *s, const char *aux)
{
  if (csv_col(s, "row") < 0) {
    write_summary_verbatim(f, s);
    return;
  }
  static const char *const keys[] = {"method", "n", "beta", "lambda",
                                     "count", "not_converged"};
  static const char *const stats[] = {
      "fwd_kl_median", "fwd_kl_q10", "fwd_kl_q90", "rev_kl_median",
      "entropy_median", "kl_ref_median", "win_rate_median",
      "reward_score_median", "rlhf_floor_median"};
  fputs("<h2 id=\"summary\">Summary (medians over replicates)</h2>\n"
        "<table id=\"summary-table\">\n<tr>", f);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    fprintf(f, "<th>%s</th>", keys[i]);
  for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
    fprintf(f, "<th>%s</th>", stats[i]);
  fputs("<th>", f);
  put_text(f, aux);
  fputs("</th></tr>\n", f);
  long ck = csv_col(s, "row");
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "stat") != 0)
      continue;
    fputs("<tr>", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
      put_cell_str(f, s, r, keys[i]);
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
      put_cell_num(f, s, r, stats[i]);
    put_cell_num(f, s, r, aux);
    fputs("</tr>\n", f);
  }
  fputs("</table>\n<p>na: a metric the method does not have (no reward "
        "model: no reward score), or a column this kind does not fill.</p>\n",
        f);
  fputs("<h2 id=\"rates\">Rate fits</h2>\n<table id=\"rate-table\">\n<tr>"
        "<th>method</th><th>fitted on n &gt;=</th><th>slope</th>"
        "<th>s.e.</th><th>95% CI low</th><th>95% CI high</th>"
        "<th>points</th><th>not converged</th></tr>\n", f);
  int any = 0;
  for (size_t r = 1; r < s->nrow; r++) {
    if (strcmp(csv_str(s, r, ck), "rate") != 0)
      continue;
    any = 1;
    fputs("<tr>", f);
    put_cell_str(f, s, r, "method");
    put_cell_str(f, s, r, "n");
    put_cell_num(f, s, r, "slope");
    put_cell_num(f, s, r, "slope_se");
    put_cell_num(f, s, r, "slope_ci_lo");
    put_cell_num(f, s, r, "slope_ci_hi");
    put_cell_num(f, s, r, "rate_points");
    put_cell_num(f, s, r, "not_converged");
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
  if (!any)
    fputs("<p>No rate fit (the experiment does not sweep n).</p>\n", f);
}

/* The first rows of results.csv, every column, exactly as read (the test
 * compares one of them with the file). */
static void write_results_head(FILE *f, const csv *res)
{
  size_t show = res->nrow - 1 < 12 ? res->nrow - 1 : 12;
  fprintf(f, "<h2 id=\"results\">results.csv (%zu rows; the first %zu)</h2>\n"
          "<div class=\"wide\"><table id=\"results-head\">\n<tr>",
          res->nrow - 1, show);
  for (size_t c = 0; c < res->ncol; c++) {
    fputs("<th>", f);
    put_text(f, res->field[c]);
    fputs("</th>", f);
  }
  fputs("</tr>\n", f);
  for (size_t r = 1; r <= show; r++) {
    fputs("<tr>", f);
    for (size_t c = 0; c < res->ncol; c++) {
      fprintf(f, "<td data-col=\"%s\">", res->field[c]);
      put_text(f, res->field[r * res->ncol + c]);
      fputs("</td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table></div>\n", f);
}

/* The manifest's value of `experiment = "eN";` (or "" when absent). */
static void manifest_experiment(const char *manifest, char *out, size_t len)
{
  manifest_value(manifest, "experiment", out, len);
}

/* The manifest: its '#' header (how the run was made) and its body (the
 * configuration as parsed), shown as two sections. */
static void write_manifest(FILE *f, const char *manifest)
{
  fputs("<h2 id=\"config\">Configuration (as parsed)</h2>\n<pre>", f);
  for (const char *p = manifest; *p != '\0';) {
    size_t n = strcspn(p, "\n");
    if (p[0] != '#') {
      put_escaped(f, p, n);
      fputc('\n', f);
    }
    p += n + (p[n] == '\n');
  }
  fputs("</pre>\n<h2 id=\"manifest\">Manifest</h2>\n<pre>", f);
  for (const char *p = manifest; *p != '\0';) {
    size_t n = strcspn(p, "\n");
    if (p[0] == '#') {
      put_escaped(f, p, n);
      fputc('\n', f);
    }
    p += n + (p[n] == '\n');
  }
  fputs("</pre>\n", f);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:70em;"
    "padding:0 1em;color:#222}\n"
    "table{border-collapse:collapse;margin:0.5em 0;font-size:0.9em}\n"
    "td,th{border:1px solid #bbb;padding:0.2em 0.5em;text-align:right}\n"
    "td:first-child,th:first-child{text-align:left}\n"
    "tr.held td:last-child{background:#d8f0d8}\n"
    "tr.not-held td:last-child{background:#f6d0d0}\n"
    "table.claims td{text-align:left}\n"
    ".wide{overflow-x:auto}\n"
    "figure.fig svg{max-width:100%;height:auto;border:1px solid #ddd}\n"
    "pre{background:#f6f6f6;padding:0.6em;overflow-x:auto}\n";

static int write_page(FILE *f, const char *dir, const char *manifest,
                      const csv *s, const csv *res, const char *table,
                      as_err *err)
{
  char exp[64];
  manifest_experiment(manifest, exp, sizeof exp);
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8"
        "\">\n<title>alignsim report: ", f);
  put_text(f, exp);
  fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
  put_text(f, exp);
  fputs(" — alignsim report</h1>\n<p>Run directory: <code>", f);
  put_text(f, dir);
  fputs("</code>. The experiment is described in docs/reference.md §6; the "
        "files in experiments/README.md.</p>\n", f);
  write_claims(f, exp, manifest, s, res);
  int rc = write_figures(f, dir, err);
  if (rc != AS_OK)
    return rc;
  char aux[128];
  aux_median_name(res, aux, sizeof aux);
  write_summary(f, s, aux);
  write_results_head(f, res);
  if (table != NULL)
    put_pre(f, "table.txt (mean ± s.e.)", table);
  write_manifest(f, manifest);
  fputs("</body>\n</html>\n", f);
  return AS_OK;
}

int as_report_write(const char *dir, as_err *err)
{
  char *manifest = NULL, *table = NULL;
  csv s, res;
  memset(&s, 0, sizeof s);
  memset(&res, 0, sizeof res);
  int rc = slurp(dir, "manifest", 0, &manifest, err);
  if (rc == AS_OK)
    rc = csv_read(dir, "summary.csv", &s, err);
  if (rc == AS_OK)
    rc = csv_read(dir, "results.csv", &res, err);
  if (rc == AS_OK)
    rc = slurp(dir, "table.txt", 1, &table, err);
  if (rc == AS_OK) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/report.html", dir);
    FILE *f = as_io_open_tmp(path, tmp, sizeof tmp, err);
    if (f == NULL) {
      rc = AS_EIO;
    } else {
      rc = write_page(f, dir, manifest, &s, &res, table, err);
      int crc = as_io_commit(f, tmp, path, rc == AS_OK,
                             rc == AS_OK ? err : NULL);
      if (rc == AS_OK)
        rc = crc;
    }
  }
  free(manifest);
  free(table);
  csv_free(&s);
  csv_free(&res);
  return rc;
}
