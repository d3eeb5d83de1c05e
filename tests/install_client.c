/* install_client.c — a C program built against the *installed* libalignsim
 * by tests/test_install.sh (`pkg-config --cflags --libs libalignsim`, then
 * #include <as_NAME.h>): draws the default instance and checks that its
 * cell probabilities sum to 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <as_instance.h>
#include <as_pref.h>
#include <as_rng.h>

int main(void)
{
  as_instance_params p;
  as_instance_params_default(&p);
  as_instance *inst = as_instance_new(p.K, p.V);
  gsl_rng *r = as_rng_new(42, 54);
  double *cell = malloc(p.K * p.V * p.V * sizeof *cell);
  as_err err;
  as_err_clear(&err);
  if (inst == NULL || r == NULL || cell == NULL
      || as_instance_draw(inst, &p, r, &err) != AS_OK
      || as_pref_cell_probs(inst, 1.0, cell, &err) != AS_OK) {
    fprintf(stderr, "install_client: %s\n", err.msg);
    return 1;
  }
  double s = 0;
  for (size_t i = 0; i < p.K * p.V * p.V; i++)
    s += cell[i];
  printf("install_client: K = %zu, V = %zu, sum of p(x,a,b) = %.17g\n", p.K,
         p.V, s);
  free(cell);
  gsl_rng_free(r);
  as_instance_free(inst);
  return fabs(s - 1) < 1e-12 ? 0 : 1;
}
