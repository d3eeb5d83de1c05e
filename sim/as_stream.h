/* as_stream.h — a tabular unit's data context by context (issue 8).
 *
 * The labelled weights P, the unlabelled weights Q and the held-out sample
 * Pval of unit (cell, replicate), exactly as as_tab_cell_data and
 * as_tab_unit_setup draw them (same streams, same draws, same values bit
 * for bit), handed out one V×V context block at a time: memory O(K + V²)
 * instead of K·V² per table.  Population blocks are recomputed from the
 * instance; sampled ones continue the whole-table multinomial
 * (as_pref_stream).  Internal to the runner. */
#ifndef AS_STREAM_H
#define AS_STREAM_H

#include <stddef.h>

#include "as_config.h"
#include "as_error.h"
#include "as_instance.h"

typedef struct as_stream as_stream;

/* The data of unit (cell, rep) on inst (borrowed) at (beta, n): P always,
 * Q when want_q (*m as as_tab_pairs sets it; NAN without Q), Pval when
 * want_val (the held-out fraction of n, or the population). */
int as_stream_new(const as_config *cfg, size_t cell, long rep,
                  const as_instance *inst, double beta, double n, int want_q,
                  int want_val, as_stream **s, double *m, as_err *err);
/* The next context's blocks (V×V each; Q, Pval unused when not wanted). */
int as_stream_next(as_stream *s, double *P, double *Q, double *Pval,
                   as_err *err);
void as_stream_free(as_stream *s);

#endif
