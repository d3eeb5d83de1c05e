/* as_progress.c — see as_progress.h. */
#include "as_progress.h"

#include <stdio.h>
#include <unistd.h>

#define BAR 40

void as_progress_start(as_progress *p, const char *label, size_t total,
                       int enabled)
{
  p->total = total;
  p->enabled = enabled && isatty(2);
  p->last_width = -1;
  p->label = label;
  as_progress_update(p, 0);
}

void as_progress_update(as_progress *p, size_t done)
{
  if (!p->enabled || p->total == 0)
    return;
  int w = (int)(BAR * done / p->total);
  if (w == p->last_width && done != p->total)
    return;
  p->last_width = w;
  fprintf(stderr, "\r%s [", p->label);
  for (int i = 0; i < BAR; i++)
    fputc(i < w ? '#' : ' ', stderr);
  fprintf(stderr, "] %zu/%zu units", done, p->total);
  fflush(stderr);
}

void as_progress_finish(as_progress *p)
{
  if (!p->enabled)
    return;
  as_progress_update(p, p->total);
  fputc('\n', stderr);
}
