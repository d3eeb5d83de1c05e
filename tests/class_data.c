/* class_data.c — data for the class tests of test_cli_fit.sh:
 *   class_data DIR K V D N SEED
 * writes, in the existing directory DIR:
 *   features.tsv    context response f_1 ... f_D  (φ ~ N(0,1), as_features_draw)
 *   instance.tsv    a REALIZABLE instance, π* = π_{w*} (as_features_draw_instance,
 *                   defaults of docs/reference.md §1.1: π_ref = softmax(a z + τ ξ), μ = π_ref)
 *   w_star.tsv      the D entries of w*, one a line
 *   comparisons.tsv N ~ Multinomial(N, p) at β = 1 (as_pref_sample_counts)
 *   class.tsv       a finite class: π* (member 0) and 2 perturbations at each
 *                   of the distances 0.05 and 0.2 (as_finite_generate)
 * One generator (seed SEED, default stream) in that order.  The fit under
 * test never sees w* or the class's layout: the tests compare its output
 * with the instance.  Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>

#include "as_features.h"
#include "as_finite.h"
#include "as_instance.h"
#include "as_io.h"
#include "as_pref.h"
#include "as_rng.h"

static int write_features(const char *path, const as_features *f)
{
  FILE *o = fopen(path, "w");
  if (o == NULL)
    return -1;
  fprintf(o, "context\tresponse");
  for (size_t j = 0; j < f->d; j++)
    fprintf(o, "\tf_%zu", j + 1);
  fprintf(o, "\n");
  for (size_t i = 0; i < f->K * f->V; i++) {
    fprintf(o, "%zu\t%zu", i / f->V, i % f->V);
    for (size_t j = 0; j < f->d; j++)
      fprintf(o, "\t%.17g", f->phi[i * f->d + j]);
    fprintf(o, "\n");
  }
  return fclose(o) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
  if (argc != 7) {
    fprintf(stderr, "usage: class_data DIR K V D N SEED\n");
    return 1;
  }
  const char *dir = argv[1];
  size_t K = strtoul(argv[2], NULL, 10), V = strtoul(argv[3], NULL, 10);
  size_t D = strtoul(argv[4], NULL, 10);
  uint64_t n = strtoull(argv[5], NULL, 10);
  uint64_t seed = strtoull(argv[6], NULL, 10);
  as_err e;
  as_err_clear(&e);
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = K;
  p.V = V;
  as_features *f = as_features_new(K, V, D);
  as_instance *inst = as_instance_new(K, V);
  as_counts *cnt = as_counts_new(K, V);
  double *w = malloc(D * sizeof *w);
  gsl_rng *r = as_rng_new(seed, AS_RNG_DEFAULT_STREAM);
  as_finite_class *c = NULL;
  int rc = 1;
  if (f == NULL || inst == NULL || cnt == NULL || w == NULL || r == NULL) {
    fprintf(stderr, "class_data: out of memory\n");
    goto out;
  }
  const double dist[2] = {0.05, 0.2};
  char path[4096];
  if (as_features_draw(f, r, &e) != AS_OK
      || as_features_draw_instance(inst, &p, f, r, w, &e) != AS_OK
      || as_pref_sample_counts(inst, 1.0, n, r, cnt, &e) != AS_OK
      || as_finite_generate(inst, dist, 2, 2, r, &c, &e) != AS_OK) {
    fprintf(stderr, "class_data: %s\n", e.msg);
    goto out;
  }
  snprintf(path, sizeof path, "%s/features.tsv", dir);
  if (write_features(path, f) != 0) {
    fprintf(stderr, "class_data: cannot write %s\n", path);
    goto out;
  }
  snprintf(path, sizeof path, "%s/w_star.tsv", dir);
  FILE *o = fopen(path, "w");
  if (o == NULL) {
    fprintf(stderr, "class_data: cannot write %s\n", path);
    goto out;
  }
  for (size_t j = 0; j < D; j++)
    fprintf(o, "%.17g\n", w[j]);
  if (fclose(o) != 0)
    goto out;
  snprintf(path, sizeof path, "%s/instance.tsv", dir);
  if (as_io_write_instance(path, inst, &e) != AS_OK)
    goto fail;
  snprintf(path, sizeof path, "%s/comparisons.tsv", dir);
  if (as_io_write_comparisons(path, cnt, &e) != AS_OK)
    goto fail;
  snprintf(path, sizeof path, "%s/class.tsv", dir);
  if (as_finite_write(path, c, &e) != AS_OK)
    goto fail;
  rc = 0;
  goto out;
fail:
  fprintf(stderr, "class_data: %s\n", e.msg);
out:
  as_finite_free(c);
  as_features_free(f);
  as_instance_free(inst);
  as_counts_free(cnt);
  free(w);
  if (r != NULL)
    gsl_rng_free(r);
  return rc;
}
