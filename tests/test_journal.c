/* test_journal.c — unit records (as_unitrec.h) and the journal
 * (as_journal.h).
 *
 * Independent routes: decoded rows are compared field by field (doubles by
 * their bits, so NaN payloads, signs and -0 count) with the rows encoded;
 * every possible torn tail of the last record (each cut length) and every
 * single-byte corruption of it is shown to be detected — CRC-32 detects any
 * error burst of at most 32 bits, so none may slip through — and to leave
 * exactly the records before it; a journal is refused for another config,
 * seed, version or shard. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_config.h"
#include "as_experiment.h"
#include "as_journal.h"
#include "as_unitrec.h"

static double bits(uint64_t v)
{
  double x;
  memcpy(&x, &v, sizeof x);
  return x;
}

static uint64_t u64(double x)
{
  uint64_t v;
  memcpy(&v, &x, sizeof v);
  return v;
}

/* Rows with awkward values: a NaN with a payload, a negative NaN, -0,
 * infinities, the largest long, a long method name. */
static void make_rows(as_rows *rows, size_t unit)
{
  memset(rows, 0, sizeof *rows);
  const char *names[3] = {"pmle", "rkl", "a-much-longer-method-name"};
  for (int k = 0; k < 3; k++) {
    as_result_row r;
    as_result_row_init(&r, unit / 4, (long)(unit % 4), names[k],
                       k == 2 ? INFINITY : 100.0 * (double)(unit + 1), 0.5);
    r.lambda = k == 0 ? bits(0x7ff8000000000abcull) : -0.0;
    r.gamma = bits(0xfff8000000000001ull);
    for (int i = 0; i < AS_METRICS_COUNT; i++)
      r.metrics[i] = 1.0 / (double)(i + 1 + k) + (double)unit;
    r.reward_no_mle = 2147483647L;
    r.not_converged = -3;
    r.iterations = 1L << 40;
    r.status = k == 1 ? 5 : 0;
    r.aux = -INFINITY;
    ck_assert_int_eq(as_rows_push(rows, &r), AS_OK);
  }
}

static void assert_same_rows(const as_rows *a, const as_rows *b)
{
  ck_assert_uint_eq(a->count, b->count);
  for (size_t i = 0; i < a->count; i++) {
    const as_result_row *x = &a->row[i], *y = &b->row[i];
    ck_assert_str_eq(x->method, y->method);
    as_result_row cx = *x, cy = *y;
    cx.method = cy.method = NULL; /* pointers differ, names compared */
    ck_assert_msg(memcmp(&cx, &cy, sizeof cx) == 0, "row %zu differs", i);
  }
}

START_TEST(test_unitrec_round_trip)
{
  as_rows rows, back = {0};
  make_rows(&rows, 7);
  as_buf b = {0};
  ck_assert_int_eq(as_unitrec_encode(&b, 7, 0.25, &rows), AS_OK);
  as_names names = {0};
  uint64_t unit;
  double sec;
  as_err e;
  ck_assert_int_eq(as_unitrec_decode(b.p, b.len, &unit, &sec, &back, &names,
                                     &e), AS_OK);
  ck_assert_uint_eq(unit, 7);
  ck_assert(sec == 0.25);
  assert_same_rows(&rows, &back);
  ck_assert_uint_eq(u64(back.row[0].lambda), 0x7ff8000000000abcull);
  ck_assert_uint_eq(u64(back.row[1].lambda), u64(-0.0));
  ck_assert_uint_eq(names.count, 3); /* each name interned once */
  /* every proper prefix and one byte too many are refused */
  for (size_t cut = 0; cut < b.len; cut++) {
    as_rows tmp = {0};
    ck_assert_int_eq(as_unitrec_decode(b.p, cut, &unit, &sec, &tmp, &names,
                                       &e), AS_EPARSE);
    as_rows_clear(&tmp);
  }
  unsigned char z = 0;
  as_buf_put(&b, &z, 1);
  as_rows tmp = {0};
  ck_assert_int_eq(as_unitrec_decode(b.p, b.len, &unit, &sec, &tmp, &names,
                                     &e), AS_EPARSE);
  as_rows_clear(&tmp);
  as_rows_clear(&rows);
  as_rows_clear(&back);
  as_names_free(&names);
  as_buf_free(&b);
}
END_TEST

static as_config *cfg_with(const char *extra)
{
  char path[] = "/tmp/test_journal_cfg_XXXXXX";
  int fd = mkstemp(path);
  ck_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "experiment = \"j\";\ninstance = { K = 3; V = 4; };\n"
             "beta = 1.0;\nn = [100, 1000];\nlambda = [0.1, 1.0];\n"
             "methods = [\"rkl\"];\nreplicates = 4;\n%s",
          extra);
  fclose(f);
  as_config *cfg;
  as_err e;
  ck_assert_msg(as_config_read(path, &cfg, &e) == AS_OK, "%s", e.msg);
  unlink(path);
  return cfg;
}

static int count_unit(void *ctx, const unsigned char *p, size_t len,
                      as_err *err)
{
  (void)p, (void)len, (void)err;
  ++*(size_t *)ctx;
  return AS_OK;
}

/* A journal of three units; returns the offset of the last record. */
static long write_journal(const char *path, const as_journal_id *id)
{
  as_journal *j;
  as_err e;
  ck_assert_int_eq(as_journal_create(&j, path, id, &e), AS_OK);
  long last = 0;
  for (size_t u = 0; u < 3; u++) {
    as_rows rows;
    make_rows(&rows, u);
    as_buf b = {0};
    ck_assert_int_eq(as_unitrec_encode(&b, u, 0.1, &rows), AS_OK);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    last = ftell(f);
    fclose(f);
    ck_assert_int_eq(as_journal_append(j, b.p, b.len, &e), AS_OK);
    as_buf_free(&b);
    as_rows_clear(&rows);
  }
  ck_assert_int_eq(as_journal_close(j, &e), AS_OK);
  return last;
}

static unsigned char *slurp(const char *path, long *len)
{
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  rewind(f);
  unsigned char *p = malloc((size_t)*len);
  ck_assert_uint_eq(fread(p, 1, (size_t)*len, f), (size_t)*len);
  fclose(f);
  return p;
}

static void spit(const char *path, const unsigned char *p, long len)
{
  FILE *f = fopen(path, "wb");
  fwrite(p, 1, (size_t)len, f);
  fclose(f);
}

START_TEST(test_journal_torn_and_corrupt_tail)
{
  as_config *cfg = cfg_with("seed = 5;\n");
  as_journal_id id, have;
  as_err e;
  ck_assert_int_eq(as_journal_id_make(&id, cfg, "1.0", 8, 1, 1, &e), AS_OK);
  char path[] = "/tmp/test_journal_XXXXXX";
  close(mkstemp(path));
  long last = write_journal(path, &id);
  long len;
  unsigned char *whole = slurp(path, &len);
  size_t n = 0;
  uint64_t good;
  ck_assert_int_eq(as_journal_read(path, &have, count_unit, &n, 1, &good,
                                   &e), AS_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert_uint_eq(good, (uint64_t)len);
  ck_assert_int_eq(as_journal_id_match(path, &id, &have, 0, &e), AS_OK);
  as_journal_id_free(&have);
  /* every torn tail: the intact part is the first two records */
  for (long cut = last; cut < len; cut++) {
    spit(path, whole, cut);
    n = 0;
    ck_assert_int_eq(as_journal_read(path, &have, count_unit, &n, 0, &good,
                                     &e), AS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq((long)good, last);
    as_journal_id_free(&have);
    if (cut > last) { /* a strict reader (merge) refuses it */
      ck_assert_int_eq(as_journal_read(path, &have, count_unit, &n, 1, NULL,
                                       &e), AS_EPARSE);
      ck_assert_ptr_nonnull(strstr(e.msg, "cut short"));
    }
  }
  /* every single corrupted byte of the last record */
  for (long at = last; at < len; at++) {
    whole[at] ^= 0x5a;
    spit(path, whole, len);
    n = 0;
    ck_assert_int_eq(as_journal_read(path, &have, count_unit, &n, 0, &good,
                                     &e), AS_OK);
    ck_assert_msg(n == 2 && (long)good == last, "byte %ld not detected",
                  at - last);
    as_journal_id_free(&have);
    whole[at] ^= 0x5a;
  }
  /* resuming: cut the damaged tail, append, read three units again */
  spit(path, whole, len - 3);
  as_journal *j;
  ck_assert_int_eq(as_journal_reopen(&j, path, (uint64_t)last, &e), AS_OK);
  ck_assert_int_eq(as_journal_append(j, whole + last + 9,
                                     (size_t)(len - last - 13), &e), AS_OK);
  ck_assert_int_eq(as_journal_close(j, &e), AS_OK);
  long len2;
  unsigned char *again = slurp(path, &len2);
  ck_assert_int_eq(len2, len);
  ck_assert(memcmp(again, whole, (size_t)len) == 0);
  free(again);
  free(whole);
  unlink(path);
  as_journal_id_free(&id);
  as_config_free(cfg);
}
END_TEST

START_TEST(test_journal_identity)
{
  as_config *a = cfg_with("seed = 5;\n"), *b = cfg_with("seed = 6;\n");
  as_journal_id ia, ib, iv, is;
  as_err e;
  ck_assert_int_eq(as_journal_id_make(&ia, a, "1.0", 8, 1, 1, &e), AS_OK);
  ck_assert_int_eq(as_journal_id_make(&ib, b, "1.0", 8, 1, 1, &e), AS_OK);
  ck_assert_int_eq(as_journal_id_make(&iv, a, "1.1", 8, 1, 1, &e), AS_OK);
  ck_assert_int_eq(as_journal_id_make(&is, a, "1.0", 8, 2, 3, &e), AS_OK);
  ck_assert_int_eq(as_journal_id_match("J", &ia, &ib, 0, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "seed = 5") && strstr(e.msg, "seed = 6"),
                "%s", e.msg);
  ck_assert_int_eq(as_journal_id_match("J", &ia, &iv, 0, &e), AS_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "1.1"));
  ck_assert_int_eq(as_journal_id_match("J", &ia, &is, 0, &e), AS_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "shard 2/3"));
  ck_assert_int_eq(as_journal_id_match("J", &ia, &is, 1, &e), AS_OK);
  /* the header survives the file: read back, it matches itself only */
  char path[] = "/tmp/test_journal_XXXXXX";
  close(mkstemp(path));
  as_journal *j;
  ck_assert_int_eq(as_journal_create(&j, path, &is, &e), AS_OK);
  ck_assert_int_eq(as_journal_close(j, &e), AS_OK);
  as_journal_id have;
  size_t n = 0;
  ck_assert_int_eq(as_journal_read(path, &have, count_unit, &n, 1, NULL, &e),
                   AS_OK);
  ck_assert_int_eq(as_journal_id_match(path, &is, &have, 0, &e), AS_OK);
  ck_assert_int_eq(as_journal_id_match(path, &ia, &have, 0, &e), AS_EINVAL);
  as_journal_id_free(&have);
  /* a second writer of the same journal is refused (lock) */
  as_journal *j1, *j2;
  ck_assert_int_eq(as_journal_reopen(&j1, path, 0, &e), AS_OK);
  ck_assert_int_eq(as_journal_reopen(&j2, path, 0, &e), AS_EIO);
  ck_assert_ptr_nonnull(strstr(e.msg, "another alignsim run"));
  as_journal_close(j1, NULL);
  spit(path, (const unsigned char *)"hello\n", 6);
  ck_assert_int_eq(as_journal_read(path, &have, count_unit, &n, 0, NULL, &e),
                   AS_EPARSE);
  unlink(path);
  as_journal_id_free(&ia);
  as_journal_id_free(&ib);
  as_journal_id_free(&iv);
  as_journal_id_free(&is);
  as_config_free(a);
  as_config_free(b);
}
END_TEST

START_TEST(test_units_share)
{
  as_config *cfg = cfg_with("seed = 5;\n");
  as_units u;
  as_err e;
  ck_assert_int_eq(as_units_init(&u, cfg, 2, 3, &e), AS_OK);
  ck_assert_uint_eq(u.total, 8); /* 2 cells × 4 replicates */
  ck_assert_uint_eq(as_units_missing(&u), 3); /* units 1, 4, 7 */
  as_rows rows;
  make_rows(&rows, 1);
  ck_assert_int_eq(as_units_set(&u, 0, 0.0, &rows, &e), AS_EINVAL);
  ck_assert_int_eq(as_units_set(&u, 4, 0.0, &rows, &e), AS_OK);
  ck_assert_int_eq(as_units_set(&u, 4, 0.0, &rows, &e), AS_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "twice"));
  ck_assert_uint_eq(as_units_missing(&u), 2);
  as_rows_clear(&rows);
  as_units_free(&u);
  ck_assert_int_eq(as_units_init(&u, cfg, 1, 9, &e), AS_EINVAL);
  /* the threaded run of a share computes exactly its units */
  ck_assert_int_eq(as_units_init(&u, cfg, 3, 3, &e), AS_OK);
  ck_assert_int_eq(as_units_compute(&u, cfg, 2, 0, NULL, &e), AS_OK);
  for (size_t i = 0; i < u.total; i++)
    ck_assert_int_eq(u.have[i], i % 3 == 2);
  as_units_free(&u);
  as_config_free(cfg);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("journal");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_unitrec_round_trip);
  tcase_add_test(tc, test_journal_torn_and_corrupt_tail);
  tcase_add_test(tc, test_journal_identity);
  tcase_add_test(tc, test_units_share);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
