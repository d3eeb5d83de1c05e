/* as_mpi_none.c — as_mpi.h in a build without MPI: one process only. */
#include "as_mpi.h"

#include <stdlib.h>

/* The job size an MPI starter announced, 1 when there is none. */
static long launched_size(void)
{
  const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v != NULL && atol(v) > 1)
      return atol(v);
  }
  return 1;
}

int as_mpi_start(int *argc, char ***argv, as_run_dist *d, int *active,
                 as_err *err)
{
  (void)argc;
  (void)argv;
  (void)d;
  *active = 0;
  long n = launched_size();
  if (n > 1)
    return as_err_set(err, AS_ENOTSUP, "started as one of %ld MPI ranks, "
                      "but this alignsim was built without MPI (install "
                      "libopenmpi-dev and rebuild; meson option mpi): every "
                      "rank would compute the whole run", n);
  return AS_OK;
}

void as_mpi_stop(void) {}

int as_mpi_built(void) { return 0; }
