/* as_graph.h — the win-graph criterion for Bradley–Terry maximum
 * likelihood (docs/reference.md §3, notes).
 *
 * In one context the win graph has an edge a → b when a beat b at least
 * once (P_ab > 0, a ≠ b).  The ridge-free MLE of −Σ P_ab log σ(r_a − r_b)
 * exists iff every weakly connected component is strongly connected
 * (equivalently: every edge lies on a directed cycle, i.e. both ends are in
 * the same strongly connected component); the rewards are identified (up to
 * the gauge) iff, in addition, the graph is connected.  The same criterion
 * governs DPO's and PMLE-at-λ=0's finite minimiser. */
#ifndef AS_GRAPH_H
#define AS_GRAPH_H

#include <stddef.h>

#include "as_error.h"

typedef struct as_graph_bt {
  int mle_exists;   /* 1 iff every weak component is strongly connected   */
  int identified;   /* 1 iff mle_exists and the graph is connected         */
  size_t components;/* number of strongly connected components             */
} as_graph_bt;

/* Classifies the V×V weight block P (row = winner).  Needs 3V size_t of
 * scratch, allocated inside; AS_ENOMEM on failure. */
int as_graph_bt_check(size_t V, const double *P, as_graph_bt *out,
                      as_err *err);

#endif
