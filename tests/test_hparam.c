/* test_hparam.c — the hyperparameter declarations (as_hparam.h).  A
 * test-only method "toy", declared here with one hyperparameter stored in
 * as_fit_opts.user[0], is appended to the library's table; with no other
 * code it appears in the --help block, parses (with range errors naming
 * it), resolves to its default, and round-trips through manifest lines.
 * The library's own declarations are checked for what the CLI and the
 * fits rely on: every method name is one as_fit knows, flags start with
 * "--", defaults lie in their ranges, and a flag shared by two methods
 * refers to one field of one type. */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_fit.h"
#include "as_hparam.h"
#include "as_objective.h"
#include "toy_method.h"



static char *help_text(const as_hparam_table *t)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  as_hparam_print_help(f, t);
  fclose(f);
  return buf;
}

START_TEST(test_toy_in_help)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, NULL);
  char *h = help_text(&t);
  ck_assert_msg(strstr(h, "  toy ") != NULL, "help:\n%s", h);
  ck_assert_msg(strstr(h, "--toy-weight X  [0.25; in (0, 1]]") != NULL,
                "help:\n%s", h);
  ck_assert_msg(strstr(h, "weight of the toy term") != NULL, "help:\n%s", h);
  free(h);
  /* and not in the library's own */
  h = help_text(as_hparam_table_default());
  ck_assert(strstr(h, "toy") == NULL);
  free(h);
}
END_TEST

START_TEST(test_toy_parses)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, NULL);
  as_fit_opts o;
  as_fit_opts_default(&o);
  as_hparam_unset(&t, &o);
  ck_assert(isnan(o.user[0]));
  const as_hparam *h = as_hparam_by_flag(&t, "--toy-weight");
  ck_assert_ptr_eq(h, &hp_toy);
  ck_assert_ptr_eq(as_hparam_by_key(&t, "toy_weight"), &hp_toy);
  ck_assert_ptr_null(as_hparam_by_flag(as_hparam_table_default(),
                                       "--toy-weight"));
  as_err e;
  ck_assert_int_eq(as_hparam_parse(h, "0.5", "--toy-weight", &o, &e), AS_OK);
  ck_assert(o.user[0] == 0.5);
  ck_assert_int_eq(as_hparam_parse(h, "0", "x.cfg:3", &o, &e), AS_EINVAL);
  ck_assert_str_eq(e.msg, "x.cfg:3: toy_weight = 0 must be in (0, 1]");
  ck_assert_int_eq(as_hparam_parse(h, "abc", "--toy-weight", &o, &e),
                   AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "not a number") != NULL, "%s", e.msg);
  ck_assert(o.user[0] == 0.5); /* failures leave the value alone */
  /* unset → its default */
  o.user[0] = NAN;
  const as_method_decl *d = as_hparam_find(&t, "toy");
  ck_assert_ptr_eq(d, &d_toy);
  ck_assert_int_eq(as_hparam_resolve_check(d, &o, &e), AS_OK);
  ck_assert(o.user[0] == 0.25);
  ck_assert(as_hparam_used_by(d, h));
  ck_assert(!as_hparam_used_by(as_hparam_find(&t, "ipo"), h));
}
END_TEST

/* Manifest lines, read back line by line through the same table. */
START_TEST(test_toy_manifest_roundtrip)
{
  const as_method_decl *st[64];
  as_hparam_table t = toy_table(st, NULL);
  as_fit_opts o, back;
  as_fit_opts_default(&o);
  as_hparam_unset(&t, &o);
  back = o;
  o.user[0] = 0.1 + 0.2; /* a value %g would not round-trip */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  as_hparam_write_manifest(f, &d_toy, &o);
  fclose(f);
  char key[64], val[64];
  ck_assert_int_eq(sscanf(buf, "%63s = %63s", key, val), 2);
  ck_assert_str_eq(key, "toy_weight");
  const as_hparam *h = as_hparam_by_key(&t, key);
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(as_hparam_parse(h, val, "manifest", &back, NULL), AS_OK);
  ck_assert(back.user[0] == o.user[0]);
  free(buf);
  /* a choice round-trips by name, a shared option's NAN default by its
   * word (beta_dpo = beta) */
  as_fit_opts_default(&o);
  o.gpo_loss = AS_GPO_TQUAD;
  o.dpo_lr = 0.1 + 0.2;
  buf = NULL;
  f = open_memstream(&buf, &len);
  as_hparam_write_manifest(f, as_hparam_find(&t, "gpo"), &o);
  fclose(f);
  ck_assert_str_eq(buf, "loss = tquad\nbeta_dpo = beta\ndpo_steps = 0\n"
                        "dpo_lr = 0.30000000000000004\n");
  as_fit_opts_default(&back);
  back.beta_dpo = 2.0;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    ck_assert_int_eq(sscanf(line, "%63s = %63s", key, val), 2);
    ck_assert_int_eq(as_hparam_parse(as_hparam_by_key(&t, key), val,
                                     "manifest", &back, NULL), AS_OK);
  }
  ck_assert(back.gpo_loss == AS_GPO_TQUAD && isnan(back.beta_dpo));
  ck_assert(back.dpo_steps == 0 && back.dpo_lr == o.dpo_lr);
  free(buf);
}
END_TEST

START_TEST(test_library_declarations)
{
  const as_hparam_table *t = as_hparam_table_default();
  for (size_t i = 0; i < t->n; i++) {
    const as_method_decl *d = t->decl[i];
    as_method m;
    ck_assert_msg(as_method_parse(d->method, &m) == AS_OK &&
                      (int)m == d->id, "%s", d->method);
    for (const as_hparam *const *h = d->hp; *h; h++) {
      ck_assert(strncmp((*h)->flag, "--", 2) == 0);
      as_fit_opts o;
      as_fit_opts_default(&o);
      if ((*h)->flags & AS_HP_SHARED) { /* as_fit_opts_default holds it */
        double v = as_hparam_get(*h, &o);
        ck_assert_msg(v == (*h)->def || (isnan(v) && isnan((*h)->def) &&
                                         (*h)->rule != NULL),
                      "%s: default %g declared %g", (*h)->key, v,
                      (*h)->def);
      } else {
        ck_assert_msg(as_hparam_is_unset(*h, &o), "%s unset by default",
                      (*h)->key);
      }
      as_hparam_resolve(d, &o);
      if (!isnan((*h)->def))
        ck_assert_msg(as_hparam_check(*h, "decl", &o, NULL) == AS_OK,
                      "%s: default outside its range", (*h)->key);
      const as_hparam *same = as_hparam_by_flag(t, (*h)->flag);
      ck_assert(same->offset == (*h)->offset && same->type == (*h)->type);
    }
  }
}
END_TEST

static Suite *hparam_suite(void)
{
  Suite *s = suite_create("hparam");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_toy_in_help);
  tcase_add_test(tc, test_toy_parses);
  tcase_add_test(tc, test_toy_manifest_roundtrip);
  tcase_add_test(tc, test_library_declarations);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(hparam_suite());
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
