/* test_config.c — experiment configuration files (as_config.h).  Bad
 * configs are written by the test; each must fail with the right code and
 * the right "NAME:LINE:" prefix.  Good configs are checked field by field
 * and must survive a write → read round trip unchanged. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_config.h"

static const char *good_e1 =
  "# Figure 1\n"
  "experiment = \"e1\";\n"
  "description = \"forward KL vs n\";\n"
  "instance = { K = 10; V = 10; logit_scale = 1.0; ref_sharpness = 0.5;\n"
  "             ref_noise = 0.5; rho = \"uniform\"; mu = \"ref\"; };\n"
  "beta = 1.0;\n"
  "n = { from = 100; to = 1e7; points = 11; };\n"
  "lambda = { from = 1e-4; to = 1e4; points = 33; };\n"
  "gamma = \"beta\";\n"
  "methods = [\"rlhf\", \"rkl\"];\n"
  "replicates = 20;\n"
  "seed = 20260101;\n"
  "tuning = \"oracle\";\n"
  "figures = [\"e1\"];\n"
  "rate_fit_min_n = 1e4;\n";

START_TEST(test_good_e1)
{
  as_config *c;
  as_err e;
  int rc = as_config_parse_string(good_e1, "e1.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "rc %d: %s", rc, e.msg);
  ck_assert_str_eq(c->experiment, "e1");
  ck_assert_str_eq(c->kind, "tabular");
  ck_assert_uint_eq(c->instance.K, 10);
  ck_assert_uint_eq(c->instance.V, 10);
  ck_assert(c->instance.ref_sharpness == 0.5);
  ck_assert_uint_eq(c->n_n, 11);
  /* log-spaced 10^2..10^7 in 11 points: 10^(2 + i/2), rounded */
  const uint64_t want[] = {100, 316, 1000, 3162, 10000, 31623, 100000,
                           316228, 1000000, 3162278, 10000000};
  for (size_t i = 0; i < 11; i++)
    ck_assert_msg(c->n[i] == want[i], "n[%zu] = %llu, want %llu", i,
                  (unsigned long long)c->n[i], (unsigned long long)want[i]);
  ck_assert_uint_eq(c->n_lambda, 33);
  ck_assert(c->lambda[0] == 1e-4 && c->lambda[32] == 1e4);
  ck_assert_msg(fabs(c->lambda[16] - 1.0) < 1e-12, "mid %g", c->lambda[16]);
  ck_assert_uint_eq(c->n_beta, 1);
  ck_assert(c->beta[0] == 1.0);
  ck_assert(isnan(c->hp.gamma)); /* "beta" */
  ck_assert_uint_eq(c->n_methods, 2);
  ck_assert_int_eq(c->methods[0], AS_METHOD_RLHF);
  ck_assert_int_eq(c->methods[1], AS_METHOD_RKL);
  ck_assert_int_eq(c->replicates, 20);
  ck_assert(c->seed == 20260101u);
  ck_assert_int_eq(c->tuning, AS_TUNING_ORACLE);
  ck_assert(c->m_population);
  ck_assert_int_eq(c->bounds, AS_CONFIG_BOUNDS_NONE); /* default */
  ck_assert_uint_eq(c->n_figures, 1);
  ck_assert_str_eq(c->figures[0], "e1");
  ck_assert(c->rate_fit_min_n == 1e4);
  ck_assert(c->heldout_fraction == 0.2); /* default */
  ck_assert(c->cls.type == AS_CLASS_TABULAR && c->cls.line == 0);
  as_config_free(c);
}
END_TEST

START_TEST(test_good_other_forms)
{
  const char *txt =
    "experiment = \"x9\";\n"
    "instance = { mu = { sharpness = 0.8; noise = 0.1; }; mu2 = \"star\";\n"
    "             rho = \"dirichlet\"; K = 3; V = 4; };\n"
    "beta = (0.5, 1, 2.0);\n"
    "n = (10, 100L, 1e3);\n"
    "population = true;\n"
    "lambda = (0, 0.5, 1);\n"
    "gamma = 0.25; beta_dpo = 2;\n"
    "m = 5000;\n"
    "methods = (\"pmle\", \"dpo\", \"rebel\");\n"
    "replicates = 1; tuning = \"heldout\"; heldout_fraction = 0.5;\n"
    "metrics = [\"fwd_kl\", \"win_rate\"];\n"
    "ridge = 0.001; dpo_steps = 100; dpo_lr = 0.1;\n"
    "class = { type = \"finite\"; size = 17; distances = [0.1, 0.2];\n"
    "          realizable = true; };\n";
  as_config *c;
  as_err e;
  int rc = as_config_parse_string(txt, "x.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "rc %d: %s", rc, e.msg);
  ck_assert_int_eq(c->instance.mu, AS_MU_DRAWN);
  ck_assert(c->instance.mu_sharpness == 0.8 && c->instance.mu_noise == 0.1);
  ck_assert_int_eq(c->instance.mu2, AS_MU_STAR);
  ck_assert_int_eq(c->instance.rho_uniform, 0);
  ck_assert_uint_eq(c->n_beta, 3);
  ck_assert(c->beta[1] == 1.0);
  ck_assert(c->n_n == 3 && c->n[1] == 100 && c->n[2] == 1000);
  ck_assert(c->population);
  ck_assert(c->lambda[0] == 0);
  ck_assert(c->hp.gamma == 0.25);
  ck_assert(c->hp.beta_dpo == 2);
  ck_assert(!c->m_population && c->m == 5000);
  ck_assert_int_eq(c->methods[1], AS_METHOD_DPO);
  ck_assert_int_eq(c->tuning, AS_TUNING_HELDOUT);
  ck_assert(c->heldout_fraction == 0.5);
  ck_assert(as_config_wants_metric(c, "win_rate"));
  ck_assert(!as_config_wants_metric(c, "tv"));
  ck_assert(c->hp.ridge == 0.001 && c->hp.dpo_steps == 100 &&
            c->hp.dpo_lr == 0.1);
  ck_assert_int_eq(c->cls.type, AS_CLASS_FINITE);
  ck_assert_int_eq(c->cls.size, 17);
  ck_assert(c->cls.n_distances == 2 && c->cls.distances[1] == 0.2);
  ck_assert_int_eq(c->cls.realizable, 1);
  ck_assert_int_eq(c->cls.line, 14);
  ck_assert_str_eq(c->kind, "finite");
  as_config_free(c);
}
END_TEST

/* Writes c, reads it back and compares every field. */
static void roundtrip(const char *txt)
{
  as_config *a, *b;
  as_err e;
  int rc0 = as_config_parse_string(txt, "a.cfg", &a, &e);
  ck_assert_msg(rc0 == AS_OK, "%s", e.msg);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(as_config_write(f, a), AS_OK);
  fclose(f);
  int rc = as_config_parse_string(buf, "b.cfg", &b, &e);
  ck_assert_msg(rc == AS_OK, "re-read failed: %s\n%s", e.msg, buf);
  ck_assert_str_eq(a->experiment, b->experiment);
  ck_assert_str_eq(a->description, b->description);
  ck_assert_str_eq(a->kind, b->kind);
  ck_assert(memcmp(&a->instance, &b->instance, sizeof a->instance) == 0);
  ck_assert(a->n_beta == b->n_beta && a->n_n == b->n_n
            && a->n_lambda == b->n_lambda && a->n_methods == b->n_methods);
  for (size_t i = 0; i < a->n_beta; i++)
    ck_assert(a->beta[i] == b->beta[i]);
  for (size_t i = 0; i < a->n_n; i++)
    ck_assert(a->n[i] == b->n[i]);
  for (size_t i = 0; i < a->n_lambda; i++)
    ck_assert_msg(a->lambda[i] == b->lambda[i], "lambda[%zu] %.17g %.17g", i,
                  a->lambda[i], b->lambda[i]);
  for (size_t i = 0; i < a->n_methods; i++)
    ck_assert(a->methods[i] == b->methods[i]);
  ck_assert(a->population == b->population && a->replicates == b->replicates
            && a->seed == b->seed && a->tuning == b->tuning
            && a->m_population == b->m_population && a->m == b->m
            && a->heldout_fraction == b->heldout_fraction
            && a->rate_fit_min_n == b->rate_fit_min_n
            && a->hp.dpo_steps == b->hp.dpo_steps && a->bounds == b->bounds
            && a->label_flip == b->label_flip
            && ((isnan(a->hp.tau) && isnan(b->hp.tau)) || a->hp.tau == b->hp.tau)
            && a->hp.gpo_loss == b->hp.gpo_loss
            && a->hp.iterations == b->hp.iterations);
  /* the shared hyperparameters, NAN standing for their word */
  const double av[] = {a->hp.gamma, a->hp.beta_dpo, a->hp.ridge, a->hp.dpo_lr};
  const double bv[] = {b->hp.gamma, b->hp.beta_dpo, b->hp.ridge, b->hp.dpo_lr};
  for (size_t i = 0; i < sizeof av / sizeof av[0]; i++)
    ck_assert_msg((isnan(av[i]) && isnan(bv[i])) || av[i] == bv[i],
                  "shared hyperparameter %zu: %g %g", i, av[i], bv[i]);
  ck_assert(a->n_figures == b->n_figures && a->n_metrics == b->n_metrics);
  ck_assert(a->cls.type == b->cls.type && a->cls.size == b->cls.size
            && a->cls.n_distances == b->cls.n_distances
            && a->cls.realizable == b->cls.realizable);
  free(buf);
  as_config_free(a);
  as_config_free(b);
}

START_TEST(test_roundtrip)
{
  roundtrip(good_e1);
  roundtrip("experiment = \"r\"; beta = [0.3, 1.7]; n = (1, 3000000000L);\n"
            "lambda = (0, 0.1); gamma = 0.5; m = 7; methods = [\"distill\"];\n"
            "replicates = 2; seed = 0; tuning = \"fixed\"; ridge = 0;\n"
            "description = \"quote \\\" here\";\n"
            "instance = { mu2 = { sharpness = -1; noise = 2; }; };\n"
            "class = { type = \"features\"; d = 4; realizable = false; };\n");
  roundtrip("experiment = \"e9\"; beta = [0.5, 2.0]; n = [100];\n"
            "lambda = [0.1]; methods = [\"pmle\"]; replicates = 1;\n"
            "bounds = \"theorem4-constant\";\n");
  roundtrip("experiment = \"e9\"; beta = 1; n = [100];\n"
            "lambda = [0.1]; methods = [\"pmle\"]; replicates = 1;\n"
            "bounds = \"none\";\n");
  roundtrip("experiment = \"e11\"; beta = 1; n = [100];\n"
            "lambda = [0.1]; methods = [\"dpo\"]; replicates = 1;\n"
            "label_flip = 0.1;\n");
  /* hyperparameters declared by the methods (as_hparam.c) */
  roundtrip("experiment = \"e11\"; beta = 1; n = [100];\n"
            "lambda = [0.1]; methods = [\"ipo\", \"gpo\"]; replicates = 1;\n"
            "tau = 0.3; loss = \"exp\"; iterations = 7;\n");
}
END_TEST

/* `bounds` (E9): parsed to its enum, named back, and absent from the
 * written configuration when "none" (so a manifest is unchanged by it). */
START_TEST(test_bounds_key)
{
  as_config *c;
  as_err e;
  int rc = as_config_parse_string("experiment = \"e9\"; beta = 1; n = [10];\n"
                                  "lambda = [0.1]; methods = [\"pmle\"];\n"
                                  "replicates = 1;\n"
                                  "bounds = \"theorem4-constant\";\n",
                                  "k.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert_int_eq(c->bounds, AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB);
  ck_assert_str_eq(as_config_bounds_name(c->bounds), "theorem4-constant");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(as_config_write(f, c), AS_OK);
  fclose(f);
  ck_assert_msg(strstr(buf, "bounds = \"theorem4-constant\";") != NULL,
                "written config lacks the key:\n%s", buf);
  free(buf);
  c->bounds = AS_CONFIG_BOUNDS_NONE;
  buf = NULL;
  f = open_memstream(&buf, &len);
  ck_assert_int_eq(as_config_write(f, c), AS_OK);
  fclose(f);
  ck_assert_msg(strstr(buf, "bounds") == NULL, "\"none\" was written:\n%s",
                buf);
  free(buf);
  as_config_free(c);
}
END_TEST

/* A bad config and the message it must produce. */
typedef struct bad_case {
  const char *text;
  const char *prefix; /* "bad.cfg:LINE:" */
  const char *needle; /* a word the message must contain */
} bad_case;

#define HEAD "experiment = \"b\";\nbeta = 1.0;\nn = [100];\n" \
             "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n"
/* HEAD is 6 lines; the first added line is line 7. */
static const bad_case bad[] = {
  {HEAD "colour = \"blue\";\n", "bad.cfg:7:", "unknown key 'colour'"},
  {HEAD "label_flip = 0.5;\n", "bad.cfg:7:", "'label_flip'"},
  {HEAD "tau = 0;\n", "bad.cfg:7:", "tau = 0 must be in (0, 1e+12]"},
  {HEAD "smoothing = 0.5;\n", "bad.cfg:7:", "smoothing"},
  {HEAD "loss = \"cubic\";\n", "bad.cfg:7:", "cubic"},
  {HEAD "iterations = 2.5;\n", "bad.cfg:7:", "integer"},
  {HEAD "label_flip = -0.01;\n", "bad.cfg:7:", "-0.01"},
  {HEAD "instance = { K = 3;\n  V = 1; };\n", "bad.cfg:8:", "'V'"},
  {HEAD "instance = { W = 3; };\n", "bad.cfg:7:", "unknown key 'W'"},
  {HEAD "instance = { K = \"ten\"; };\n", "bad.cfg:7:", "integer"},
  {HEAD "instance = { mu = \"better\"; };\n", "bad.cfg:7:", "better"},
  {HEAD "instance = { mu = \"same\"; };\n", "bad.cfg:7:", "same"},
  {HEAD "instance = { ref_noise = -0.5; };\n", "bad.cfg:7:", "-0.5"},
  {"experiment = \"b\";\nbeta = [1.0,\n  -2.0];\nn = [100];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:3:", "-2"},
  {"experiment = \"b\";\nbeta = 0;\nn = [100];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:2:", "> 0"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [100];\n"
   "lambda = [0.1, -1.0];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:4:", "-1"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [100];\nlambda = [0.1];\n"
   "methods = [\"rkl\"];\nreplicates = 0;\n", "bad.cfg:6:", "replicates"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = { from = 10; to = 100;\n"
   "  points = 0; };\nlambda = [0.1];\nmethods = [\"rkl\"];\n"
   "replicates = 2;\n", "bad.cfg:4:", "points"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = { from = 1000;\n  to = 100;\n"
   "  points = 3; };\nlambda = [0.1];\nmethods = [\"rkl\"];\n"
   "replicates = 2;\n", "bad.cfg:4:", "from > to"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = { from = 10; to = 100; pts = 3; };\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:3:", "pts"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [100, 50];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:3:", "increasing"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [100.5];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:3:", "100.5"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:3:", "empty"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [100];\nlambda = [0.1];\n"
   "methods = [\"rkl\",\n \"ppo\"];\nreplicates = 2;\n", "bad.cfg:6:", "ppo"},
  {"experiment = \"b\";\nbeta = \"one\";\nn = [100];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:2:", "number"},
  {HEAD "tuning = \"best\";\n", "bad.cfg:7:", "best"},
  {HEAD "gamma = \"alpha\";\n", "bad.cfg:7:", "alpha"},
  {HEAD "gamma = -1;\n", "bad.cfg:7:", "gamma = -1 must be in [0, 1e+12]"},
  {HEAD "m = 0;\n", "bad.cfg:7:", "m"},
  {HEAD "heldout_fraction = 1.5;\n", "bad.cfg:7:", "1.5"},
  {HEAD "seed = -3;\n", "bad.cfg:7:", "seed"},
  {HEAD "metrics = [\"accuracy\"];\n", "bad.cfg:7:", "accuracy"},
  {HEAD "figures = [\"../x\"];\n", "bad.cfg:7:", "../x"},
  {HEAD "\nclass = { type = \"neural\"; };\n", "bad.cfg:8:", "neural"},
  {HEAD "class = { type = \"finite\";\n  size = 0; };\n", "bad.cfg:8:",
   "size"},
  {HEAD "class = { size = 3; };\n", "bad.cfg:7:", "type"},
  {HEAD "population = 1;\n", "bad.cfg:7:", "true or false"},
  {HEAD "ridge = -1e-3;\n", "bad.cfg:7:", "ridge"},
  {HEAD "bounds = \"theorem4\";\n", "bad.cfg:7:", "theorem4-constant"},
  {HEAD "\nbounds = true;\n", "bad.cfg:8:", "'bounds' must be a string"},
  /* syntax error: libconfig's own message with its line */
  {HEAD "\nbeta_dpo = ;\n", "bad.cfg:8:", "syntax"},
  /* duplicate key: libconfig rejects it at parse time */
  {HEAD "beta = 2.0;\n", "bad.cfg:7:", "duplicate"},
  /* integers beyond 32 bits without L: libconfig 1.5 wraps them silently
   * (5000000000 -> 705032704), so they are rejected with their line */
  {HEAD "seed = 5000000000;\n", "bad.cfg:7:", "5000000000L"},
  {"experiment = \"b\";\nbeta = 1.0;\nn = [100,\n 5000000000];\n"
   "lambda = [0.1];\nmethods = [\"rkl\"];\nreplicates = 2;\n",
   "bad.cfg:4:", "32 bits"},
  {HEAD "\ninstance = { K = 4294967299; };\n", "bad.cfg:8:", "4294967299"},
  {HEAD "seed = 0x80000000;\n", "bad.cfg:7:", "0x80000000"},
};

START_TEST(test_bad_configs)
{
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    as_config *c = (as_config *)1;
    as_err e;
    as_err_clear(&e);
    int rc = as_config_parse_string(bad[i].text, "bad.cfg", &c, &e);
    ck_assert_msg(rc == AS_EPARSE, "case %zu: rc %d (msg '%s')", i, rc,
                  e.msg);
    ck_assert_msg(c == NULL, "case %zu: output not NULL", i);
    ck_assert_msg(strncmp(e.msg, bad[i].prefix, strlen(bad[i].prefix)) == 0,
                  "case %zu: message '%s' does not start with '%s'", i, e.msg,
                  bad[i].prefix);
    ck_assert_msg(strstr(e.msg, bad[i].needle) != NULL,
                  "case %zu: message '%s' lacks '%s'", i, e.msg,
                  bad[i].needle);
  }
}
END_TEST

/* The 32-bit check of integer literals reads only integers outside
 * comments and strings: 64-bit literals (L), floats, names with digits,
 * digit runs in comments and strings, and the largest 32-bit values pass
 * with their exact values. */
START_TEST(test_wide_integers_accepted)
{
  const char *txt =
    "experiment = \"b\"; # 99999999999 in a comment\n"
    "/* 123456789012345\n   over two lines */ description = \"run 77777777777\";\n"
    "beta = 1.0;\nn = { from = 1e2; to = 1e10; points = 3; };\n"
    "lambda = [0.1, 2.5e9, 1E12];\nmethods = [\"rkl\"];\n"
    "replicates = 2147483647;\nseed = 5000000000L;\n"
    "instance = { K = 0x7fffffff; }; // 88888888888\n";
  as_config *c;
  as_err e;
  as_err_clear(&e);
  int rc = as_config_parse_string(txt, "wide.cfg", &c, &e);
  /* K = 2^31 - 1 is out of K's own range: the error must be the range
   * check of line 10, not the literal check */
  ck_assert_int_eq(rc, AS_EPARSE);
  ck_assert_msg(strstr(e.msg, "wide.cfg:10: 'K'") == e.msg, "%s", e.msg);
  const char *txt2 =
    "experiment = \"b\"; # 99999999999 in a comment\n"
    "/* 123456789012345\n   over two lines */ description = \"run 77777777777\";\n"
    "beta = 1.0;\nn = { from = 1e2; to = 1e10; points = 3; };\n"
    "lambda = [0.1, 2.5e9, 1E12];\nmethods = [\"rkl\"];\n"
    "replicates = 2;\nseed = 5000000000L;\n";
  rc = as_config_parse_string(txt2, "wide.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  ck_assert(c->seed == 5000000000ULL);
  ck_assert_uint_eq(c->n_n, 3);
  ck_assert(c->n[2] == 10000000000ULL);
  ck_assert(c->lambda[1] == 2.5e9 && c->lambda[2] == 1e12);
  ck_assert_str_eq(c->description, "run 77777777777");
  as_config_free(c);
}
END_TEST

START_TEST(test_missing_required_keys)
{
  const char *keys[] = {"experiment", "beta", "n", "lambda", "methods",
                        "replicates"};
  const char *lines[] = {"experiment = \"b\";\n", "beta = 1.0;\n",
                         "n = [100];\n", "lambda = [0.1];\n",
                         "methods = [\"rkl\"];\n", "replicates = 2;\n"};
  for (size_t skip = 0; skip < 6; skip++) {
    char txt[512] = "";
    for (size_t i = 0; i < 6; i++)
      if (i != skip)
        strcat(txt, lines[i]);
    as_config *c;
    as_err e;
    ck_assert_int_eq(as_config_parse_string(txt, "m.cfg", &c, &e), AS_EPARSE);
    char want[128];
    snprintf(want, sizeof want, "m.cfg: missing required key '%s'",
             keys[skip]);
    ck_assert_msg(strcmp(e.msg, want) == 0, "got '%s', want '%s'", e.msg,
                  want);
  }
}
END_TEST

START_TEST(test_read_file)
{
  char path[] = "/tmp/test_config_XXXXXX";
  int fd = mkstemp(path);
  ck_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs(HEAD "\n\nbogus = 1;\n", f);
  fclose(f);
  as_config *c;
  as_err e;
  ck_assert_int_eq(as_config_read(path, &c, &e), AS_EPARSE);
  char want[128];
  snprintf(want, sizeof want, "%s:9:", path);
  ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);
  unlink(path);
  ck_assert_int_eq(as_config_read(path, &c, &e), AS_EIO);
  ck_assert_msg(strstr(e.msg, path) != NULL, "%s", e.msg);
}
END_TEST

/* Memory a configuration asks for is checked before anything runs
 * (as_limits.h): K = V = 1000 (three 8 GB count tables) and a finite class
 * of 10^8 members are refused at the key's line with the figure; E1 itself
 * fits in 64 MiB. */
START_TEST(test_memory_limit)
{
  as_config *c = NULL;
  as_err e;
  setenv("ALIGNSIM_MEM_LIMIT", "64M", 1);
  int rc = as_config_parse_string(good_e1, "e1.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "rc %d: %s", rc, e.msg);
  as_config_free(c);
  const char *kv =
    "experiment = \"x\";\ninstance = {\n  K = 1000;\n  V = 1000; };\n"
    "beta = 1.0;\nn = [100];\nlambda = [1.0];\nmethods = [\"rkl\"];\n"
    "replicates = 1;\n";
  ck_assert_int_eq(as_config_parse_string(kv, "kv.cfg", &c, &e), AS_EPARSE);
  ck_assert_msg(strncmp(e.msg, "kv.cfg:2: K = 1000, V = 1000", 28) == 0 &&
                strstr(e.msg, "memory limit of 67108864") != NULL, "%s",
                e.msg);
  const char *cls =
    "experiment = \"x\";\ninstance = { K = 10; V = 10; };\nbeta = 1.0;\n"
    "n = [100];\nlambda = [1.0];\nmethods = [\"pmle\"];\nreplicates = 1;\n"
    "class = { type = \"finite\";\n  distances = [0.1]; size = 100000000; };\n";
  ck_assert_int_eq(as_config_parse_string(cls, "c.cfg", &c, &e), AS_EPARSE);
  ck_assert_msg(strncmp(e.msg, "c.cfg:8: a finite class of 100000000", 36)
                == 0, "%s", e.msg);
  unsetenv("ALIGNSIM_MEM_LIMIT");
}
END_TEST

/* A NUL byte in a config is an error at its line. */
START_TEST(test_nul_byte)
{
  char path[] = "/tmp/test_config_nul.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  static const char text[] = "experiment = \"x\";\n# c\nkind\0 = 1;\n";
  ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)sizeof text - 1);
  close(fd);
  as_config *c = NULL;
  as_err e;
  ck_assert_int_eq(as_config_read(path, &c, &e), AS_EPARSE);
  char want[64];
  snprintf(want, sizeof want, "%s:3: NUL byte", path);
  ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);
  unlink(path);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_good_e1);
  tcase_add_test(tc, test_good_other_forms);
  tcase_add_test(tc, test_roundtrip);
  tcase_add_test(tc, test_bounds_key);
  tcase_add_test(tc, test_bad_configs);
  tcase_add_test(tc, test_wide_integers_accepted);
  tcase_add_test(tc, test_missing_required_keys);
  tcase_add_test(tc, test_read_file);
  tcase_add_test(tc, test_memory_limit);
  tcase_add_test(tc, test_nul_byte);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
