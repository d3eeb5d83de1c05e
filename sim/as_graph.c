/* as_graph.c — strongly connected components of a win graph (Kosaraju on
 * the adjacency matrix, O(V²), iterative so deep graphs do not overflow the
 * stack).  See as_graph.h. */
#include "as_graph.h"

#include <stdlib.h>

static int edge(const double *P, size_t V, size_t a, size_t b)
{
  return a != b && P[a * V + b] > 0.0;
}

/* Depth-first search from s along edges (reverse: along b → a), appending
 * vertices to order[] at finish time (pass 1) or labelling comp[] (pass 2). */
static void dfs(size_t V, const double *P, int reverse, size_t s,
                size_t *mark, size_t label, size_t *stack, size_t *next,
                size_t *order, size_t *norder)
{
  size_t top = 0;
  stack[top] = s;
  next[top] = 0;
  top++;
  mark[s] = label;
  while (top > 0) {
    size_t u = stack[top - 1];
    size_t v = next[top - 1];
    while (v < V && (mark[v] != 0 ||
                     !(reverse ? edge(P, V, v, u) : edge(P, V, u, v))))
      v++;
    if (v < V) {
      next[top - 1] = v + 1;
      mark[v] = label;
      stack[top] = v;
      next[top] = 0;
      top++;
    } else {
      top--;
      if (order != NULL)
        order[(*norder)++] = u;
    }
  }
}

int as_graph_bt_check(size_t V, const double *P, as_graph_bt *out,
                      as_err *err)
{
  size_t *buf = calloc(5 * V + 1, sizeof *buf);
  if (buf == NULL)
    return as_err_set(err, AS_ENOMEM, "as_graph_bt_check: out of memory");
  size_t *mark = buf, *comp = buf + V, *order = buf + 2 * V,
         *stack = buf + 3 * V, *next = buf + 4 * V;
  size_t norder = 0;
  for (size_t s = 0; s < V; s++)
    if (mark[s] == 0)
      dfs(V, P, 0, s, mark, 1, stack, next, order, &norder);
  size_t ncomp = 0;
  for (size_t i = V; i-- > 0;) {
    size_t s = order[i];
    if (comp[s] == 0)
      dfs(V, P, 1, s, comp, ++ncomp, stack, next, NULL, NULL);
  }
  int exists = 1;
  for (size_t a = 0; a < V && exists; a++)
    for (size_t b = 0; b < V; b++)
      if (edge(P, V, a, b) && comp[a] != comp[b]) {
        exists = 0;
        break;
      }
  out->mle_exists = exists;
  out->components = ncomp;
  out->identified = exists && ncomp == 1;
  free(buf);
  return AS_OK;
}
