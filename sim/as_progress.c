/* as_progress.c — see as_progress.h. */
#include "as_progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define BAR 40

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* M:SS, or H:MM:SS from an hour on. */
static void format_duration(char *buf, size_t len, double s)
{
  long t = s < 0 ? 0 : (long)(s + 0.5);
  if (t >= 3600)
    snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

int as_progress_format(char *buf, size_t len, size_t done, size_t total,
                       double elapsed)
{
  char el[32], eta[32];
  format_duration(el, sizeof el, elapsed);
  if (done >= total)
    return snprintf(buf, len, "%zu/%zu units, %s elapsed", done, total, el);
  if (done == 0)
    snprintf(eta, sizeof eta, "--:--");
  else
    format_duration(eta, sizeof eta,
                    elapsed * (double)(total - done) / (double)done);
  return snprintf(buf, len, "%zu/%zu units, %s elapsed, ETA %s", done, total,
                  el, eta);
}

void as_progress_start(as_progress *p, const char *label, size_t total,
                       int enabled)
{
  p->total = total;
  p->enabled = enabled && isatty(2);
  p->last_width = -1;
  p->last_sec = -1;
  p->t0 = now();
  p->label = label;
  as_progress_update(p, 0);
}

void as_progress_update(as_progress *p, size_t done)
{
  if (!p->enabled || p->total == 0)
    return;
  double el = now() - p->t0;
  int w = (int)(BAR * done / p->total);
  if (w == p->last_width && (long)el == p->last_sec && done != p->total)
    return;
  p->last_width = w;
  p->last_sec = (long)el;
  char tail[128];
  as_progress_format(tail, sizeof tail, done, p->total, el);
  fprintf(stderr, "\r%s [", p->label);
  for (int i = 0; i < BAR; i++)
    fputc(i < w ? '#' : ' ', stderr);
  /* trailing blanks wipe a longer previous tail (the ETA shrinks) */
  fprintf(stderr, "] %s   ", tail);
  fflush(stderr);
}

void as_progress_finish(as_progress *p)
{
  if (!p->enabled)
    return;
  as_progress_update(p, p->total);
  fputc('\n', stderr);
}
