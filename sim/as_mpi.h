/* as_mpi.h — `alignsim run` under mpirun (or srun): the run's units are
 * shared among the ranks with dynamic load balancing, and rank 0 writes
 * exactly the outputs a single process writes.
 *
 * Scheme: rank 0 is the master.  Its main thread hands out units one at a
 * time, in increasing unit order, to whichever thread asks next — its own
 * `--threads` compute threads (directly) and every other rank's (by an MPI
 * request) — and gathers the finished units' rows (as_unitrec.h), which it
 * journals (as_journal.h) as they arrive.  Units differ in cost by orders of
 * magnitude (n = 10² against n = 10⁷), so no static split balances them;
 * one unit at a time does, at one round trip per unit.  Rows are stored by
 * unit index and written in unit order, so the outputs are byte-identical
 * to a one-process run whatever the number of ranks and threads.
 *
 * MPI is started only when the environment says the process was launched
 * by an MPI starter (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE is set):
 * run by hand, the binary behaves as without MPI.  A build without MPI
 * (meson option mpi=disabled, or Open MPI absent) refuses to run as one of
 * several ranks, since each would compute the whole run.  A rank that dies
 * ends the whole job (Open MPI's default): rank 0 never reaches its
 * outputs, so none are written, and its journal allows --resume. */
#ifndef AS_MPI_H
#define AS_MPI_H

#include "as_error.h"
#include "as_experiment.h"

/* Starts MPI when launched by an MPI starter.  *active = 1 and d filled in
 * when the job has more than one rank; 0 otherwise (d untouched).  Call
 * as_mpi_stop at the end in every case. */
int as_mpi_start(int *argc, char ***argv, as_run_dist *d, int *active,
                 as_err *err);
void as_mpi_stop(void);

/* 1 when this build has MPI. */
int as_mpi_built(void);

#endif
