/* test_io.c — as_io (docs/reference.md §7): round trips are bit-exact, every kind of
 * malformed input is AS_EPARSE with "FILE:LINE: ... (value)" naming the
 * right line, and a failed write leaves nothing under the final name (an
 * invalid object, a missing directory, and a real write error provoked with
 * RLIMIT_FSIZE in the forked test process). */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_instance.h"
#include "as_io.h"
#include "as_limits.h"
#include "as_math.h"
#include "as_pref.h"

static char dir[64];

static void setup(void)
{
  strcpy(dir, "/tmp/test_io.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static const char *path_in(const char *name)
{
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static const char *put(const char *name, const char *text)
{
  const char *p = path_in(name);
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
  return p;
}

static int exists(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0;
}

/* Number of entries in dir (to see that no temp file was left behind). */
static int dir_entries(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
  FILE *f = popen(cmd, "r");
  int n = -1;
  ck_assert_int_eq(fscanf(f, "%d", &n), 1);
  pclose(f);
  return n;
}

/* err must be AS_EPARSE with message "PATH:LINE: ..." containing value. */
static void expect_parse_error(int rc, const as_err *e, const char *path,
                               size_t line, const char *value)
{
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s:%zu: ", path, line);
  ck_assert_msg(rc == AS_EPARSE, "expected AS_EPARSE, got %d (%s)", rc, e->msg);
  ck_assert_msg(strncmp(e->msg, prefix, strlen(prefix)) == 0,
                "message '%s' does not start with '%s'", e->msg, prefix);
  if (value != NULL) {
    char v[128];
    snprintf(v, sizeof v, "(%s)", value);
    ck_assert_msg(strstr(e->msg, v) != NULL, "message '%s' lacks '%s'",
                  e->msg, v);
  }
  ck_assert_msg(strchr(e->msg, '\n') == NULL, "multi-line message '%s'",
                e->msg);
}

static as_instance *drawn_instance(size_t K, size_t V, uint64_t seed)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = K;
  p.V = V;
  p.logit_scale = 3.0;
  as_instance *inst = as_instance_new(K, V);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  as_err e;
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_OK);
  gsl_rng_free(r);
  return inst;
}

START_TEST(test_instance_round_trip)
{
  as_instance *inst = drawn_instance(7, 9, 1);
  /* Extreme but legal values: a zero of μ and of π_ref, a tiny π_ref. */
  inst->log_mu[3] = -INFINITY;
  as_log_softmax(inst->log_mu, 9, inst->log_mu);
  /* μ' = μ: the format has no μ' column (a distinct μ' is refused). */
  memcpy(inst->log_mu2, inst->log_mu, 9 * sizeof(double));
  inst->log_pi_ref[10] = -700.0;
  inst->log_pi_ref[11] = -INFINITY;
  as_log_softmax(inst->log_pi_ref + 9, 9, inst->log_pi_ref + 9);
  as_err e;
  const char *p = path_in("inst.tsv");
  ck_assert_int_eq(as_io_write_instance(p, inst, &e), AS_OK);
  as_instance *back = NULL;
  int rc = as_io_read_instance(p, &back, &e);
  ck_assert_msg(rc == AS_OK, "read back: %s", e.msg);
  ck_assert_uint_eq(back->K, 7);
  ck_assert_uint_eq(back->V, 9);
  size_t kv = 7 * 9 * sizeof(double);
  ck_assert_msg(memcmp(back->log_pi_star, inst->log_pi_star, kv) == 0,
                "pi_star not bit-identical");
  ck_assert_msg(memcmp(back->log_pi_ref, inst->log_pi_ref, kv) == 0,
                "pi_ref not bit-identical");
  ck_assert_msg(memcmp(back->log_mu, inst->log_mu, kv) == 0,
                "mu not bit-identical");
  ck_assert_msg(memcmp(back->log_mu2, inst->log_mu, kv) == 0, "mu2 != mu");
  for (size_t x = 0; x < 7; x++)
    ck_assert_msg(fabs(exp(back->log_rho[x]) - 1.0 / 7) < 1e-15, "rho");
  ck_assert_int_eq(as_instance_check(back, &e), AS_OK);
  ck_assert_int_eq(dir_entries(), 1);
  as_instance_free(back);
  as_instance_free(inst);
}
END_TEST

/* A hand-written file: shuffled rows, blanks and tabs, comments, values
 * with few digits (renormalised on reading). */
START_TEST(test_instance_hand_written)
{
  const char *p = put("hand.tsv",
    "# an instance written by hand\n"
    "context response log_pi_star log_pi_ref log_mu\n"
    "1 1 -0.69314718 -0.69314718 -0.69314718   # rounded to 8 digits\n"
    "0\t0\t-0.28768207\t-1.3862944\t-0.69314718\n"
    "\n"
    "1 0 -0.69314718 -0.69314718 -0.69314718\n"
    "0 1 -1.3862944 -0.28768207 -0.69314718\n");
  as_instance *inst = NULL;
  as_err e;
  int rc = as_io_read_instance(p, &inst, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(inst->K, 2);
  ck_assert_uint_eq(inst->V, 2);
  ck_assert_msg(fabs(exp(inst->log_pi_star[0]) - 0.75) < 1e-7, "pi*(0|0)");
  ck_assert_msg(fabs(exp(inst->log_pi_ref[0]) - 0.25) < 1e-7, "pi_ref(0|0)");
  for (size_t x = 0; x < 2; x++) {
    ck_assert_msg(fabs(as_logsumexp(inst->log_pi_star + 2 * x, 2)) < 1e-15,
                  "pi* row %zu not renormalised", x);
    ck_assert_msg(fabs(as_logsumexp(inst->log_mu + 2 * x, 2)) < 1e-15,
                  "mu row %zu not renormalised", x);
  }
  as_instance_free(inst);
}
END_TEST

static const char *const INST_HEAD =
  "context\tresponse\tlog_pi_star\tlog_pi_ref\tlog_mu\n";

static void inst_case(const char *body, size_t line, const char *value)
{
  char text[2048];
  snprintf(text, sizeof text, "%s%s", INST_HEAD, body);
  const char *p = put("bad_inst.tsv", text);
  as_instance *inst = (as_instance *)1;
  as_err e;
  int rc = as_io_read_instance(p, &inst, &e);
  expect_parse_error(rc, &e, p, line, value);
  ck_assert_ptr_null(inst);
}

#define H "-0.69314718055994529"   /* log ½ */
#define ROW(x, y) #x "\t" #y "\t" H "\t" H "\t" H "\n"

START_TEST(test_instance_malformed)
{
  /* the valid 2×2 body, for reference */
  inst_case(ROW(0, 0) ROW(0, 1) ROW(1, 0) "1\t1\tabc\t" H "\t" H "\n", 5,
            "abc");
  inst_case(ROW(0, 0) "0\t1\tnan\t" H "\t" H "\n" ROW(1, 0) ROW(1, 1), 3,
            "nan");
  inst_case(ROW(0, 0) "0\t1\t" H "\tNaN\t" H "\n" ROW(1, 0) ROW(1, 1), 3,
            "NaN");
  inst_case(ROW(0, 0) "0\t1\t" H "\t" H "\tinf\n" ROW(1, 0) ROW(1, 1), 3,
            "inf");
  /* -inf is a zero probability: legal in μ, not in π* (full support) */
  inst_case("0\t0\t-inf\t" H "\t" H "\n" "0\t1\t0\t" H "\t" H "\n"
            ROW(1, 0) ROW(1, 1), 2, "-inf");
  inst_case(ROW(0, 0) ROW(0, 1) "1\t0\t" H "\t" H "\n" ROW(1, 1), 4,
            "found 4");
  inst_case(ROW(0, 0) ROW(0, 1) ROW(1, 0) "1\t1\t" H "\t" H "\t" H "\t7\n",
            5, "found 6");
  inst_case(ROW(0, 0) ROW(0, 1) "-1\t0\t" H "\t" H "\t" H "\n", 4, "-1");
  inst_case(ROW(0, 0) ROW(0, 1) "x1\t0\t" H "\t" H "\t" H "\n", 4, "x1");
  inst_case(ROW(0, 0) ROW(0, 1) "1.5\t0\t" H "\t" H "\t" H "\n", 4, "1.5");
  inst_case(ROW(0, 0) ROW(0, 1) "99999999999999999999\t0\t" H "\t" H "\t" H
            "\n", 4, "99999999999999999999");
  inst_case(ROW(0, 0) ROW(0, 1) "4294967296\t0\t" H "\t" H "\t" H "\n", 4,
            "4294967296");
  /* duplicate: reported at its second occurrence */
  inst_case(ROW(0, 0) ROW(0, 1) ROW(1, 0) ROW(0, 1) ROW(1, 1), 5,
            "context 0, response 1");
  /* missing: reported at the end of the file (line 5 here; the comment
   * line after the data counts) */
  inst_case(ROW(0, 0) ROW(0, 1) ROW(1, 1) "# end\n", 5,
            "context 1, response 0");
  inst_case(ROW(0, 0) ROW(0, 1) ROW(1, 0), 4, "context 1, response 1");
  /* not normalised: ½ + ¼; reported at the context's first line */
  inst_case(ROW(0, 0) ROW(0, 1) ROW(1, 0)
            "1\t1\t-1.3862943611198906\t" H "\t" H "\n", 4, NULL);
  /* μ only, logsumexp off by 2.6e-6 (tolerance 1e-6) */
  inst_case(ROW(0, 0) ROW(0, 1) "1\t0\t" H "\t" H "\t-0.69314\n" ROW(1, 1),
            4, NULL);
  inst_case("", 1, NULL);
  /* V = 1 */
  inst_case("0\t0\t0\t0\t0\n", 1, NULL);
}
END_TEST

START_TEST(test_comparisons_round_trip)
{
  as_counts *c = as_counts_new(3, 4);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  for (size_t i = 0; i < 48; i++)
    c->N[i] = gsl_rng_uniform(r) < 0.3 ? 0 : gsl_rng_get(r);
  c->N[7] = (uint64_t)1 << 62;
  c->N[47] = 0;                      /* a zero last cell: K, V given back */
  as_err e;
  ck_assert_int_eq(as_counts_total(c, &e), AS_OK);
  const char *p = path_in("cmp.tsv");
  ck_assert_int_eq(as_io_write_comparisons(p, c, &e), AS_OK);
  as_counts *back = NULL;
  int rc = as_io_read_comparisons(p, 3, 4, &back, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_msg(memcmp(back->N, c->N, 48 * sizeof(uint64_t)) == 0,
                "counts differ after round trip");
  ck_assert_uint_eq(back->n, c->n);
  /* the file: a header, then exactly the non-zero cells */
  FILE *f = fopen(p, "r");
  char line[256];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_str_eq(line, "context\twinner\tloser\tcount\n");
  size_t rows = 0, nonzero = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long long cnt;
    ck_assert_int_eq(sscanf(line, "%*u\t%*u\t%*u\t%llu", &cnt), 1);
    ck_assert_msg(cnt > 0, "zero cell written: %s", line);
    rows++;
  }
  fclose(f);
  for (size_t i = 0; i < 48; i++)
    nonzero += c->N[i] != 0;
  ck_assert_uint_eq(rows, nonzero);
  as_counts_free(back);
  gsl_rng_free(r);
  as_counts_free(c);
}
END_TEST

START_TEST(test_comparisons_features)
{
  /* blanks and tabs, comments, header, default count 1, repeats summed,
   * zero counts allowed; K, V inferred. */
  const char *p = put("feat.tsv",
    "# user data\n"
    "context winner loser count\n"
    "0 1 2\n"
    "0\t1\t2\t5   # same cell again\n"
    "\n"
    "  1 0 1 0\n"
    "1\t2\t0\n");
  as_counts *c = NULL;
  as_err e;
  int rc = as_io_read_comparisons(p, 0, 0, &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(c->K, 2);
  ck_assert_uint_eq(c->V, 3);
  ck_assert_uint_eq(c->n, 7);
  ck_assert_uint_eq(c->N[(0 * 3 + 1) * 3 + 2], 6);
  ck_assert_uint_eq(c->N[(1 * 3 + 2) * 3 + 0], 1);
  ck_assert_uint_eq(c->N[(1 * 3 + 0) * 3 + 1], 0);
  as_counts_free(c);
  /* With K, V given larger than the data. */
  rc = as_io_read_comparisons(p, 5, 6, &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(c->K, 5);
  ck_assert_uint_eq(c->V, 6);
  ck_assert_uint_eq(c->n, 7);
  ck_assert_uint_eq(c->N[(0 * 6 + 1) * 6 + 2], 6);
  as_counts_free(c);
  /* Only a header with K, V given: all zero. */
  p = put("empty.tsv", "context\twinner\tloser\tcount\n");
  rc = as_io_read_comparisons(p, 2, 2, &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(c->n, 0);
  as_counts_free(c);
  /* Exactly 2^64 − 1 in total is fine. */
  p = put("max.tsv", "0 0 1 18446744073709551614\n0 1 0 1\n");
  rc = as_io_read_comparisons(p, 0, 0, &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(c->n, UINT64_MAX);
  as_counts_free(c);
}
END_TEST

static void cmp_case(const char *text, size_t K, size_t V, size_t line,
                     const char *value)
{
  const char *p = put("bad_cmp.tsv", text);
  as_counts *c = (as_counts *)1;
  as_err e;
  int rc = as_io_read_comparisons(p, K, V, &c, &e);
  expect_parse_error(rc, &e, p, line, value);
  ck_assert_ptr_null(c);
}

START_TEST(test_comparisons_malformed)
{
  const char *hd = "context\twinner\tloser\tcount\n";
  char t[512];
  snprintf(t, sizeof t, "%s0\t1\t0\t3\n# c\n0\t1\tx\t2\n", hd);
  cmp_case(t, 0, 0, 4, "x");
  snprintf(t, sizeof t, "%s0\t1\t0\t-3\n", hd);
  cmp_case(t, 0, 0, 2, "-3");
  snprintf(t, sizeof t, "%s0\t1\t0\t2.5\n", hd);
  cmp_case(t, 0, 0, 2, "2.5");
  snprintf(t, sizeof t, "%s0\t1\t0\t1e3\n", hd);
  cmp_case(t, 0, 0, 2, "1e3");
  snprintf(t, sizeof t, "%s0\t1\t0\t18446744073709551616\n", hd);
  cmp_case(t, 0, 0, 2, "18446744073709551616");
  snprintf(t, sizeof t, "%s0\t1\t0\t18446744073709551615\n"
           "1\t0\t1\t1\n", hd);           /* total overflows on line 3 */
  cmp_case(t, 0, 0, 3, "1");
  snprintf(t, sizeof t, "%s0\t1\t0\t9223372036854775808\n\n"
           "0\t1\t0\t9223372036854775808\n", hd);   /* one cell overflows */
  cmp_case(t, 0, 0, 4, "9223372036854775808");
  snprintf(t, sizeof t, "%s0\t1\t0\t3\n2\t1\t0\t3\n", hd);
  cmp_case(t, 2, 3, 3, "2");                         /* context ≥ K */
  snprintf(t, sizeof t, "%s0\t1\t0\t3\n1\t1\t3\t3\n", hd);
  cmp_case(t, 2, 3, 3, "3");                         /* loser ≥ V */
  snprintf(t, sizeof t, "%s0\t1\n", hd);
  cmp_case(t, 0, 0, 2, "found 2");                   /* too few columns */
  snprintf(t, sizeof t, "%s0\t1\t0\t1\t1\n", hd);
  cmp_case(t, 0, 0, 2, "found 5");                   /* too many */
  snprintf(t, sizeof t, "%s0\t-1\t0\t1\n", hd);
  cmp_case(t, 0, 0, 2, "-1");
  snprintf(t, sizeof t, "0\t1\t0\t1\ncontext\twinner\tloser\tcount\n");
  cmp_case(t, 0, 0, 2, "context");                   /* header not first */
  snprintf(t, sizeof t, "%s0\t100000000\t0\t1\n", hd);
  cmp_case(t, 0, 0, 2, "100000000");                 /* table too large */
  cmp_case("# nothing\n", 0, 0, 1, NULL);            /* cannot infer K, V */
  cmp_case("0 0 0 4\n", 0, 0, 1, NULL);              /* V = 1 inferred */
}
END_TEST

START_TEST(test_table)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 9);
  double v[4 * 6];
  for (size_t i = 0; i < 24; i++)
    v[i] = gsl_ran_gaussian(r, 10.0);
  for (size_t x = 0; x < 4; x++)
    as_log_softmax(v + 6 * x, 6, v + 6 * x);
  v[5] = -INFINITY;                  /* a policy zero */
  as_log_softmax(v, 6, v);
  as_err e;
  const char *p = path_in("pol.tsv");
  ck_assert_int_eq(as_io_write_table(p, 4, 6, v, "log_prob", &e), AS_OK);
  size_t K = 0, V = 0;
  double *back = NULL;
  int rc = as_io_read_table(p, &K, &V, &back, 1, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(K, 4);
  ck_assert_uint_eq(V, 6);
  ck_assert_msg(memcmp(back, v, sizeof v) == 0, "table not bit-identical");
  free(back);
  /* As a reward table -inf is not allowed (line 2 holds (0, 5)? no: rows
   * are written in order, (0,5) is line 7). */
  K = V = 0;
  rc = as_io_read_table(p, &K, &V, &back, 0, &e);
  expect_parse_error(rc, &e, p, 7, "-inf");
  ck_assert_ptr_null(back);
  /* An unnormalised reward table reads back exactly. */
  for (size_t i = 0; i < 24; i++)
    v[i] = gsl_ran_gaussian(r, 10.0);
  ck_assert_int_eq(as_io_write_table(p, 4, 6, v, "reward", &e), AS_OK);
  K = 4;
  V = 6;
  rc = as_io_read_table(p, &K, &V, &back, 0, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_msg(memcmp(back, v, sizeof v) == 0, "reward not bit-identical");
  free(back);
  /* ... but not as a policy, and not with a smaller K given. */
  K = V = 0;
  rc = as_io_read_table(p, &K, &V, &back, 1, &e);
  expect_parse_error(rc, &e, p, 2, NULL);
  K = 3;
  V = 6;
  rc = as_io_read_table(p, &K, &V, &back, 0, &e);
  expect_parse_error(rc, &e, p, 20, "3");
  /* K given larger than the file: rows missing. */
  K = 5;
  V = 6;
  rc = as_io_read_table(p, &K, &V, &back, 0, &e);
  expect_parse_error(rc, &e, p, 25, "context 4, response 0");
  const char *q = put("t.tsv", "0 0 1.5\n0 1 2.5 # ok\n0 2 3.5 4.5\n");
  K = V = 0;
  rc = as_io_read_table(q, &K, &V, &back, 0, &e);
  expect_parse_error(rc, &e, q, 3, "found 4");
  gsl_rng_free(r);
}
END_TEST

/* Failed writes: nothing under the final name, no temp file left, an
 * existing file under the final name untouched. */
START_TEST(test_failed_write_invalid)
{
  as_instance *inst = drawn_instance(3, 4, 2);
  inst->log_pi_ref[5] = NAN;
  as_err e;
  const char *p = path_in("inst.tsv");
  ck_assert_int_eq(as_io_write_instance(p, inst, &e), AS_EINVAL);
  ck_assert_msg(!exists(p), "file left behind");
  ck_assert_int_eq(dir_entries(), 0);
  put("inst.tsv", "old\n");
  ck_assert_int_eq(as_io_write_instance(p, inst, &e), AS_EINVAL);
  ck_assert_int_eq(dir_entries(), 1);
  FILE *f = fopen(p, "r");
  char buf[16];
  ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
  ck_assert_str_eq(buf, "old\n");
  fclose(f);
  double t[2] = {0.0, INFINITY};
  const char *q = path_in("tab.tsv");
  ck_assert_int_eq(as_io_write_table(q, 1, 2, t, "v", &e), AS_EINVAL);
  ck_assert_msg(!exists(q), "table left behind");
  /* directory that does not exist */
  ck_assert_int_eq(as_io_write_instance(path_in("no/such/x.tsv"), inst, &e),
                   AS_EIO);
  ck_assert_int_eq(dir_entries(), 1);
  as_instance_free(inst);
}
END_TEST

/* A first data row with a typo in its first field ("x1 0 1 5") used to be
 * taken for the optional header and skipped silently (the file read as
 * n = 3, exit 0).  A header is now a first line none of whose fields is a
 * number, so that row is reported as a non-number at line 1; a real header
 * is still skipped.  Failed before the fix (rc AS_OK). */
START_TEST(test_typo_first_row_not_header)
{
  as_err e;
  as_counts *c = NULL;
  const char *p = put("typo.tsv", "x1\t0\t1\t5\n0\t1\t0\t3\n");
  int rc = as_io_read_comparisons(p, 2, 2, &c, &e);
  if (rc == AS_OK)
    ck_abort_msg("typo row skipped as a header: n = %llu",
                 (unsigned long long)c->n);
  expect_parse_error(rc, &e, p, 1, "x1");
  ck_assert_ptr_null(c);
  p = put("typo2.tsv", "# comment\nctx 0 -0.5 -0.5 -0.5\n"
                       "0 1 -0.9 -0.9 -0.9\n");
  as_instance *inst = NULL;
  rc = as_io_read_instance(p, &inst, &e);
  expect_parse_error(rc, &e, p, 2, "ctx");
  ck_assert_ptr_null(inst);
  size_t K = 0, V = 0;
  double *v = NULL;
  p = put("typo3.tsv", "O 0 1.5\n0 1 2.5\n");   /* letter O for zero */
  rc = as_io_read_table(p, &K, &V, &v, 0, &e);
  expect_parse_error(rc, &e, p, 1, "O");
  ck_assert_ptr_null(v);
  /* A real header (no numeric field) is still accepted. */
  p = put("hdr.tsv", "prompt chosen rejected n\n0 1 0 3\n");
  rc = as_io_read_comparisons(p, 2, 2, &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_uint_eq(c->n, 3);
  as_counts_free(c);
}
END_TEST

/* The instance format has no ρ or μ' column (the reader gives ρ uniform,
 * μ' = μ), so an instance with a Dirichlet ρ or a distinct μ' must be
 * refused, not written as a file that reads back as another instance.
 * Before the fix both were written (AS_OK) and read back with ρ uniform. */
START_TEST(test_instance_refuses_lossy_write)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 4;
  p.V = 3;
  p.rho_uniform = 0;                        /* Dirichlet(1) ρ */
  as_instance *inst = as_instance_new(4, 3);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  as_err e;
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_OK);
  const char *q = path_in("inst.tsv");
  int rc = as_io_write_instance(q, inst, &e);
  ck_assert_msg(rc == AS_EINVAL, "non-uniform rho written (rc %d)", rc);
  ck_assert_msg(strstr(e.msg, "rho is not uniform") != NULL, "message: %s",
                e.msg);
  ck_assert_int_eq(dir_entries(), 0);
  /* Uniform ρ again, but μ' drawn apart from μ. */
  p.rho_uniform = 1;
  p.mu2 = AS_MU_DRAWN;
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_OK);
  rc = as_io_write_instance(q, inst, &e);
  ck_assert_msg(rc == AS_EINVAL, "mu' != mu written (rc %d)", rc);
  ck_assert_msg(strstr(e.msg, "mu' differs from mu") != NULL, "message: %s",
                e.msg);
  ck_assert_int_eq(dir_entries(), 0);
  /* μ' = μ and ρ uniform up to rounding (log_softmax of zeros): written. */
  memcpy(inst->log_mu2, inst->log_mu, 12 * sizeof(double));
  double zero[4] = {0, 0, 0, 0};
  as_log_softmax(zero, 4, inst->log_rho);
  ck_assert_msg(as_io_write_instance(q, inst, &e) == AS_OK, "%s", e.msg);
  ck_assert_int_eq(dir_entries(), 1);
  gsl_rng_free(r);
  as_instance_free(inst);
}
END_TEST

/* A real write error: a child process limits its file size (SIGXFSZ
 * ignored, so writes fail with EFBIG) and reports by exit code which check
 * failed; the limit never reaches the other tests (whatever CK_FORK says). */
static int io_error_child(void)
{
  as_instance *inst = drawn_instance(200, 50, 3);   /* ~ 700 KB of text */
  as_counts *c = as_counts_new(40, 40);
  for (size_t i = 0; i < 40 * 40 * 40; i++)
    c->N[i] = 1000000007u + i;
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit rl = {16384, 16384};
  if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
    return 10;
  as_err e;
  const char *p = path_in("big.tsv");
  if (as_io_write_instance(p, inst, &e) != AS_EIO)
    return 11;
  if (exists(p))
    return 12;                 /* partial instance under the final name */
  if (as_io_write_comparisons(p, c, &e) != AS_EIO)
    return 13;
  if (exists(p))
    return 14;
  if (dir_entries() != 0)
    return 15;                 /* a temp file left behind */
  /* the two-phase helpers: finish reports the error, removes the temp */
  char tmp[512];
  FILE *f = as_io_open_tmp(p, tmp, sizeof tmp, &e);
  if (f == NULL)
    return 16;
  as_io_fprint_instance(f, inst, &e);
  if (as_io_finish_tmp(f, tmp, &e) != AS_EIO || dir_entries() != 0)
    return 17;
  as_counts_free(c);
  as_instance_free(inst);
  return 0;
}

START_TEST(test_failed_write_io_error)
{
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(io_error_child());
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                "write-error child failed check %d (see io_error_child)",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
END_TEST

START_TEST(test_commit_helpers)
{
  as_err e;
  const char *p = path_in("a.txt");
  char tmp[512];
  FILE *f = as_io_open_tmp(p, tmp, sizeof tmp, &e);
  ck_assert_ptr_nonnull(f);
  fputs("hello\n", f);
  ck_assert_msg(exists(tmp) && !exists(p), "temp file not where expected");
  ck_assert_int_eq(as_io_commit(f, tmp, p, 0, &e), AS_EIO);  /* abandon */
  ck_assert_msg(strstr(e.msg, "nothing written") != NULL, "%s", e.msg);
  ck_assert_int_eq(dir_entries(), 0);
  f = as_io_open_tmp(p, tmp, sizeof tmp, &e);
  fputs("hello\n", f);
  ck_assert_int_eq(as_io_commit(f, tmp, p, 1, &e), AS_OK);
  ck_assert_msg(exists(p) && !exists(tmp), "commit did not rename");
  ck_assert_int_eq(dir_entries(), 1);
}
END_TEST

/* as_io_mkdir_p makes every missing level and reports the outermost one
 * it made; as_io_rmdir_created removes exactly those; a file in the way is
 * an AS_EIO naming the directory. */
START_TEST(test_mkdir_p)
{
  as_err e;
  char *created = NULL;
  const char *deep = path_in("x/y/z");
  ck_assert_int_eq(as_io_mkdir_p(deep, &created, &e), AS_OK);
  ck_assert_msg(exists(deep), "%s not created", deep);
  ck_assert_ptr_nonnull(created);
  ck_assert_str_eq(created, path_in("x"));
  as_io_rmdir_created(deep, created);
  free(created);
  ck_assert_msg(!exists(path_in("x")), "created directories not removed");
  ck_assert_int_eq(dir_entries(), 0);
  /* an existing directory: nothing created, nothing to remove */
  ck_assert_int_eq(as_io_mkdir_p(dir, &created, &e), AS_OK);
  ck_assert_ptr_null(created);
  const char *file = put("f", "x\n");
  ck_assert_int_eq(as_io_mkdir_p(file, NULL, &e), AS_EIO);
  ck_assert_msg(strstr(e.msg, "not a directory") != NULL, "%s", e.msg);
  ck_assert_int_eq(as_io_mkdir_p(path_in("f/sub"), NULL, &e), AS_EIO);
  ck_assert_msg(strstr(e.msg, "cannot create directory") != NULL, "%s",
                e.msg);
}
END_TEST

/* An as_io_outset shows its files together or not at all: nothing before
 * the commit, every file after it, nothing (and no temp file) when the set
 * is freed uncommitted, and a rename that fails undoes the renames before
 * it (here the second name is a non-empty directory: rename gives EISDIR,
 * also for root). */
/* Output sets (as_io.h): files are staged beside DIR, nothing of the set
 * is visible before the commit, the commit publishes all of them, and a
 * directory that is not a previous alignsim set (no manifest) is refused
 * and left untouched. */
START_TEST(test_outset)
{
  as_err e;
  as_io_outset s;
  memset(&s, 0, sizeof s);
  FILE *f = as_io_outset_open(&s, dir, "a", &e);
  ck_assert_ptr_nonnull(f);
  fputs("a\n", f);
  ck_assert_int_eq(as_io_outset_close(&s, f, &e), AS_OK);
  f = as_io_outset_open(&s, dir, "b", &e);
  ck_assert_ptr_nonnull(f);
  fputs("b\n", f);
  ck_assert_int_eq(as_io_outset_close(&s, f, &e), AS_OK);
  ck_assert_msg(!exists(path_in("a")) && !exists(path_in("b")),
                "files visible before the commit");
  ck_assert_int_eq(dir_entries(), 0);  /* staged beside it */
  ck_assert_msg(exists(s.stage), "no staging directory");
  char stage[4096];
  snprintf(stage, sizeof stage, "%s", s.stage);
  as_io_outset_free(&s);               /* not committed */
  ck_assert_msg(!exists(stage), "staging directory left");
  ck_assert_int_eq(dir_entries(), 0);

  memset(&s, 0, sizeof s);
  const char *names[2] = {"a", "manifest"};
  for (int i = 0; i < 2; i++) {
    f = as_io_outset_open(&s, dir, names[i], &e);
    ck_assert_ptr_nonnull(f);
    fputs(names[i], f);
    ck_assert_int_eq(as_io_outset_close(&s, f, &e), AS_OK);
  }
  ck_assert_int_eq(as_io_outset_commit(&s, &e), AS_OK);
  as_io_outset_free(&s);
  ck_assert_msg(exists(path_in("a")) && exists(path_in("manifest")),
                "commit did not publish");
  ck_assert_int_eq(dir_entries(), 2);

  /* a previous set is replaced as a whole (exchange) */
  memset(&s, 0, sizeof s);
  f = as_io_outset_open(&s, dir, "manifest", &e);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(as_io_outset_close(&s, f, &e), AS_OK);
  ck_assert_int_eq(as_io_outset_commit(&s, &e), AS_OK);
  as_io_outset_free(&s);
  ck_assert_msg(!exists(path_in("a")), "old set's file left in the new set");
  ck_assert_int_eq(dir_entries(), 1);
  ck_assert_int_eq(remove(path_in("manifest")), 0);

  /* a directory holding something else is never replaced */
  put("keep", "k\n");
  memset(&s, 0, sizeof s);
  ck_assert_ptr_null(as_io_outset_open(&s, dir, "a", &e));
  ck_assert_msg(strstr(e.msg, "no alignsim manifest") != NULL, "%s", e.msg);
  as_io_outset_free(&s);
  ck_assert_msg(exists(path_in("keep")), "foreign directory touched");
  ck_assert_int_eq(dir_entries(), 1);
}
END_TEST

/* The one-pass comparisons reader grows its table (re-laying the cells
 * out) as larger indices appear: rows in a random order, with the largest
 * context and response first, last or in between, must give exactly the
 * counts accumulated directly, whether K and V are inferred or given. */
START_TEST(test_comparisons_growth)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12);
  for (int trial = 0; trial < 40; trial++) {
    size_t K = 1 + gsl_rng_uniform_int(r, 9), V = 2 + gsl_rng_uniform_int(r, 9);
    uint64_t *ref = calloc(K * V * V, sizeof *ref), n = 0;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    size_t rows = 1 + gsl_rng_uniform_int(r, 60);
    for (size_t i = 0; i < rows + 2; i++) {
      size_t x = gsl_rng_uniform_int(r, K), a = gsl_rng_uniform_int(r, V),
             b = gsl_rng_uniform_int(r, V);
      if (i == rows) {           /* make sure the largest indices appear */
        x = K - 1;
        a = V - 1;
      } else if (i == rows + 1) {
        b = V - 1;
      }
      uint64_t c = gsl_rng_uniform_int(r, 5);
      fprintf(f, "%zu\t%zu\t%zu\t%" PRIu64 "\n", x, a, b, c);
      ref[(x * V + a) * V + b] += c;
      n += c;
    }
    fclose(f);
    const char *p = put("grow.tsv", text);
    free(text);
    for (int given = 0; given < 2; given++) {
      as_counts *c = NULL;
      as_err e;
      ck_assert_msg(as_io_read_comparisons(p, given ? K : 0, given ? V : 0,
                                           &c, &e) == AS_OK, "%s", e.msg);
      ck_assert_uint_eq(c->K, K);
      ck_assert_uint_eq(c->V, V);
      ck_assert_uint_eq(c->n, n);
      for (size_t i = 0; i < K * V * V; i++)
        ck_assert_uint_eq(c->N[i], ref[i]);
      as_counts_free(c);
    }
    free(ref);
  }
  gsl_rng_free(r);
}
END_TEST

/* The memory limit (as_limits.h): sizes parse with binary suffixes, a
 * malformed ALIGNSIM_MEM_LIMIT is an error (never ignored), and a reader
 * refuses a table over the limit at the line that asks for it. */
START_TEST(test_memory_limit)
{
  uint64_t b;
  ck_assert_int_eq(as_limits_parse_bytes("512M", &b), 0);
  ck_assert_uint_eq(b, (uint64_t)512 << 20);
  ck_assert_int_eq(as_limits_parse_bytes("7", &b), 0);
  ck_assert_uint_eq(b, 7);
  const char *badv[] = {"", "-1", "1.5G", "12x", "0", "1GB",
                        "99999999999999999999", "17179869184G"};
  for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++)
    ck_assert_msg(as_limits_parse_bytes(badv[i], &b) != 0, "%s", badv[i]);
  as_err e;
  setenv("ALIGNSIM_MEM_LIMIT", "1M", 1);
  const char *p = put("big.tsv", "0 1 0\n0 2000 0 3\n");
  as_counts *c = NULL;
  ck_assert_int_eq(as_io_read_comparisons(p, 0, 0, &c, &e), AS_EPARSE);
  expect_parse_error(AS_EPARSE, &e, p, 2, "2000");
  ck_assert_msg(strstr(e.msg, "memory limit of 1048576") != NULL, "%s", e.msg);
  ck_assert_int_eq(as_io_read_comparisons(p, 0, 2001, &c, &e), AS_EPARSE);
  setenv("ALIGNSIM_MEM_LIMIT", "lots", 1);
  ck_assert_int_eq(as_limits_mem(&b, &e), AS_EINVAL);
  ck_assert_int_eq(as_io_read_comparisons(p, 0, 0, &c, &e), AS_EINVAL);
  unsetenv("ALIGNSIM_MEM_LIMIT");
  ck_assert_int_eq(as_limits_mem(&b, &e), AS_OK);
  ck_assert_msg(b > 0, "no default limit");
  ck_assert_int_eq(as_io_read_comparisons(p, 0, 0, &c, &e), AS_OK);
  ck_assert_uint_eq(c->V, 2001);
  as_counts_free(c);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("io");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_instance_round_trip);
  tcase_add_test(tc, test_instance_hand_written);
  tcase_add_test(tc, test_instance_malformed);
  tcase_add_test(tc, test_comparisons_round_trip);
  tcase_add_test(tc, test_comparisons_features);
  tcase_add_test(tc, test_comparisons_malformed);
  tcase_add_test(tc, test_table);
  tcase_add_test(tc, test_failed_write_invalid);
  tcase_add_test(tc, test_instance_refuses_lossy_write);
  tcase_add_test(tc, test_typo_first_row_not_header);
  tcase_add_test(tc, test_failed_write_io_error);
  tcase_add_test(tc, test_commit_helpers);
  tcase_add_test(tc, test_mkdir_p);
  tcase_add_test(tc, test_outset);
  tcase_add_test(tc, test_comparisons_growth);
  tcase_add_test(tc, test_memory_limit);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? 0 : 1;
}
