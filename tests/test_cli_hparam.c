/* test_cli_hparam.c — a method declared outside the library, with an
 * option of its own, reaches every place the hyperparameter declarations
 * feed (as_hparam.h) with no other code: `alignsim fit --help`, the
 * command line (cli_fit.c, run here in-process through cli_fit_main_table),
 * the fit's FILE.manifest, and a configuration file (as_config.c: read,
 * range-checked with FILE:LINE, written and read back).
 *
 * The test-only method "toy" declares --toy-weight (config key and
 * manifest key toy_weight), stored in as_fit_opts.user[0]; no fit knows
 * "toy", so the value's trip through a fit's manifest uses a second
 * declaration that registers the same option with pmle (the fit ignores
 * user[0]; the manifest records it). */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_config.h"
#include "as_fit.h"
#include "as_hparam.h"
#include "as_objective.h"
#include "toy_method.h"
#include "cli.h"

/* pmle with the toy's option registered to it (replaces the library's) */
static const as_method_decl d_pmle_toy = {"pmle", AS_METHOD_PMLE, NULL,
                                          {&hp_toy, NULL}, "--toy-weight"};

static char dir[] = "/tmp/test_cli_hparam.XXXXXX";

static char *path(const char *name)
{
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static char *slurp(const char *p)
{
  FILE *f = fopen(p, "r");
  if (f == NULL)
    return NULL;
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Runs `alignsim fit ARGS...` with table t, stdout and stderr to files;
 * returns the exit status. */
static int run_fit(const as_hparam_table *t, char **argv)
{
  int argc = 0;
  while (argv[argc])
    argc++;
  fflush(stdout);
  fflush(stderr);
  ck_assert_ptr_nonnull(freopen(path("out"), "w", stdout));
  ck_assert_ptr_nonnull(freopen(path("err"), "w", stderr));
  int rc = cli_fit_main_table(t, argc, argv);
  fflush(stdout);
  fflush(stderr);
  return rc;
}

static void write_comparisons(void)
{
  FILE *f = fopen(path("c.tsv"), "w");
  ck_assert_ptr_nonnull(f);
  fputs("0\t0\t1\t3\n0\t1\t0\n", f); /* one context, V = 2 */
  fclose(f);
}

static void setup(void)
{
  ck_assert_ptr_nonnull(mkdtemp(dir));
  write_comparisons();
}

static void teardown(void)
{
  const char *names[] = {"out", "err", "c.tsv", "p.tsv", "p.tsv.manifest"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    unlink(path(names[i]));
  rmdir(dir);
}

START_TEST(test_toy_in_fit_help)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, NULL);
  char *argv[] = {"fit", "--help", NULL};
  ck_assert_int_eq(run_fit(&t, argv), 0);
  char *out = slurp(path("out"));
  ck_assert_msg(strstr(out, "\n  toy         a test-only method\n") != NULL,
                "%s", out);
  ck_assert_msg(strstr(out, "--toy-weight X  [0.25; in (0, 1]]") != NULL,
                "%s", out);
  free(out);
  /* the library's --help does not know it */
  ck_assert_int_eq(run_fit(as_hparam_table_default(), argv), 0);
  out = slurp(path("out"));
  ck_assert(strstr(out, "toy") == NULL);
  free(out);
}
END_TEST

START_TEST(test_toy_flag_parsed)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, NULL);
  char *bad[] = {"fit", "--method", "pmle", "--comparisons", path("c.tsv"),
                 "--toy-weight", "2", "--out", path("p.tsv"), NULL};
  ck_assert_int_eq(run_fit(&t, bad), 2);
  char *err = slurp(path("err"));
  ck_assert_str_eq(err, "alignsim: --toy-weight: toy_weight = 2 must be in "
                        "(0, 1]\n");
  free(err);
  ck_assert(access(path("p.tsv"), F_OK) != 0);
  /* the library's table: an unknown option */
  ck_assert_int_eq(run_fit(as_hparam_table_default(), bad), 2);
  err = slurp(path("err"));
  ck_assert_msg(strstr(err, "unknown option '--toy-weight'") != NULL, "%s",
                err);
  free(err);
  /* a valid value for a method that does not declare it: noted, "-" */
  char *ok[] = {"fit", "--method", "pmle", "--comparisons", path("c.tsv"),
                "--toy-weight", "0.5", "--out", path("p.tsv"), NULL};
  ck_assert_int_eq(run_fit(&t, ok), 0);
  err = slurp(path("err"));
  ck_assert_str_eq(err, "alignsim: fit: note: --toy-weight is not used by "
                        "method pmle (ignored; see 'alignsim fit --help')\n");
  free(err);
  char *man = slurp(path("p.tsv.manifest"));
  ck_assert_msg(strstr(man, "\ntoy_weight = -\n") != NULL, "%s", man);
  free(man);
}
END_TEST

/* `--toy-weight V` → FILE.manifest `toy_weight = V` → as_hparam_parse → V,
 * and the declared default when not given. */
START_TEST(test_toy_manifest_roundtrip)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, &d_pmle_toy);
  char *argv[] = {"fit", "--method", "pmle", "--comparisons", path("c.tsv"),
                  "--toy-weight", "0.30000000000000004", "--out",
                  path("p.tsv"), NULL};
  ck_assert_int_eq(run_fit(&t, argv), 0);
  char *err = slurp(path("err"));
  ck_assert_str_eq(err, "");
  free(err);
  char *man = slurp(path("p.tsv.manifest"));
  const char *line = strstr(man, "\ntoy_weight = ");
  ck_assert_msg(line != NULL, "%s", man);
  char val[64];
  ck_assert_int_eq(sscanf(line, "\ntoy_weight = %63s", val), 1);
  free(man);
  as_fit_opts back;
  as_fit_opts_default(&back);
  const as_hparam *h = as_hparam_by_key(&t, "toy_weight");
  ck_assert_int_eq(as_hparam_parse(h, val, "manifest", &back, NULL), AS_OK);
  ck_assert(back.user[0] == 0.1 + 0.2);
  /* not given: the declared default */
  char *dflt[] = {"fit", "--method", "pmle", "--comparisons", path("c.tsv"),
                  "--out", path("p.tsv"), NULL};
  ck_assert_int_eq(run_fit(&t, dflt), 0);
  man = slurp(path("p.tsv.manifest"));
  ck_assert_msg(strstr(man, "\ntoy_weight = 0.25\n") != NULL, "%s", man);
  free(man);
}
END_TEST

#define CFG_HEAD                                                            \
  "experiment = \"t\";\nbeta = 1.0;\nn = [100];\nlambda = [0.1];\n"         \
  "methods = [\"pmle\"];\nreplicates = 1;\n"

/* A configuration: read (range errors at FILE:LINE), written, read back. */
START_TEST(test_toy_config)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, NULL);
  as_config *c = NULL, *c2 = NULL;
  as_err e;
  ck_assert_int_eq(as_config_parse_string_table(CFG_HEAD "toy_weight = 0.3;\n",
                                                "t.cfg", &t, &c, &e),
                   AS_OK);
  ck_assert(c->hp.user[0] == 0.3);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(as_config_write(f, c), AS_OK);
  fclose(f);
  ck_assert_msg(strstr(buf, "\ntoy_weight = 0.29999999999999999;\n") != NULL,
                "%s", buf);
  ck_assert_int_eq(as_config_parse_string_table(buf, "w.cfg", &t, &c2, &e),
                   AS_OK);
  ck_assert(c2->hp.user[0] == c->hp.user[0]);
  free(buf);
  as_config_free(c);
  as_config_free(c2);
  /* not given: not written */
  ck_assert_int_eq(as_config_parse_string_table(CFG_HEAD, "t.cfg", &t, &c,
                                                &e), AS_OK);
  ck_assert(isnan(c->hp.user[0]));
  buf = NULL;
  f = open_memstream(&buf, &len);
  ck_assert_int_eq(as_config_write(f, c), AS_OK);
  fclose(f);
  ck_assert(strstr(buf, "toy_weight") == NULL);
  free(buf);
  as_config_free(c);
  /* out of range: FILE:LINE and the declared range */
  ck_assert_int_eq(as_config_parse_string_table(CFG_HEAD "toy_weight = 2;\n",
                                                "t.cfg", &t, &c, &e),
                   AS_EPARSE);
  ck_assert_str_eq(e.msg, "t.cfg:7: toy_weight = 2 must be in (0, 1]");
  ck_assert_int_eq(as_config_parse_string_table(
                       CFG_HEAD "toy_weight = \"x\";\n", "t.cfg", &t, &c, &e),
                   AS_EPARSE);
  ck_assert_str_eq(e.msg, "t.cfg:7: 'toy_weight' must be a number, not a "
                          "string");
  /* the library's declarations do not know the key */
  ck_assert_int_eq(as_config_parse_string(CFG_HEAD "toy_weight = 0.3;\n",
                                          "t.cfg", &c, &e),
                   AS_EPARSE);
  ck_assert_msg(strstr(e.msg, "unknown key 'toy_weight'") != NULL, "%s",
                e.msg);
}
END_TEST

static Suite *cli_hparam_suite(void)
{
  Suite *s = suite_create("cli_hparam");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_toy_in_fit_help);
  tcase_add_test(tc, test_toy_flag_parsed);
  tcase_add_test(tc, test_toy_manifest_roundtrip);
  tcase_add_test(tc, test_toy_config);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(cli_hparam_suite());
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
