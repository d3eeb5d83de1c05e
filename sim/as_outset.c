/* as_outset.c — output sets that appear whole or not at all (as_io.h,
 * "Output sets"), temporary files removed on SIGINT/SIGTERM, stale
 * staging directories of killed runs cleaned up, and the up-front check
 * of an output location.
 *
 * Why a staging directory: a run writes results.csv, summary.csv, curves
 * and a manifest; renaming them one by one let a kill between two renames
 * leave the new results.csv beside the previous run's summary.csv.  The
 * set is written into DIR's sibling .NAME.staging.PID and swapped in by
 * one rename (DIR absent or empty) or one renameat2(RENAME_EXCHANGE) (DIR
 * holds the previous set), so a reader of DIR sees the old set or the new
 * one.  Files given without a directory (`fit --out FILE` and its
 * FILE.manifest, siblings of anything) cannot be swapped as one: there the
 * manifest seals the set (see commit_files). */
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE */
#include "as_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ------------------------------------------------------- signal cleanup */

/* Paths to remove when SIGINT/SIGTERM/SIGHUP arrives.  The one piece of
 * process-global mutable state of the library: a signal handler can reach
 * nothing else.  Slots are claimed and released with signals blocked, and
 * the handler only calls unlink/rmdir (async-signal-safe). */
#define TRACK_SLOTS 64
#define TRACK_PATH 4096
static char track_path[TRACK_SLOTS][TRACK_PATH];
static volatile sig_atomic_t track_kind[TRACK_SLOTS]; /* 0 free, 1 file, 2 dir */

static void track_block(sigset_t *old)
{
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, old);
}

static void track_set(const char *path, int kind)
{
  sigset_t old;
  track_block(&old);
  for (int i = 0; i < TRACK_SLOTS; i++)
    if (track_kind[i] == 0 && strlen(path) < TRACK_PATH) {
      memcpy(track_path[i], path, strlen(path) + 1);
      track_kind[i] = kind;
      break;
    }
  sigprocmask(SIG_SETMASK, &old, NULL);
}

static void track_clear(const char *path)
{
  sigset_t old;
  track_block(&old);
  for (int i = 0; i < TRACK_SLOTS; i++)
    if (track_kind[i] != 0 && strcmp(track_path[i], path) == 0) {
      track_kind[i] = 0;
      break;
    }
  sigprocmask(SIG_SETMASK, &old, NULL);
}

void as_io_track_tmp(const char *path) { track_set(path, 1); }
void as_io_untrack_tmp(const char *path) { track_clear(path); }

static void on_signal(int sig)
{
  for (int i = 0; i < TRACK_SLOTS; i++)   /* files first, then their dirs */
    if (track_kind[i] == 1)
      unlink(track_path[i]);
  for (int i = 0; i < TRACK_SLOTS; i++)
    if (track_kind[i] == 2)
      rmdir(track_path[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

void as_io_cleanup_on_signals(void)
{
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction sa, old;
    if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
      continue;                    /* e.g. nohup: keep ignoring SIGHUP */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, NULL);
  }
}

/* ------------------------------------------------------------- helpers */

static char *path_join(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  char *p = malloc(la + lb + 2);
  if (p != NULL) {
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
  }
  return p;
}

/* DIR's parent ("." for a bare name) and last component, malloc'd. */
static int split_dir(const char *dir, char **parent, char **base)
{
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/')
    len--;
  size_t cut = len;
  while (cut > 0 && dir[cut - 1] != '/')
    cut--;
  *base = strndup(dir + cut, len - cut);
  if (cut == 0)
    *parent = strdup(".");
  else
    *parent = strndup(dir, cut > 1 ? cut - 1 : 1);
  if (*parent == NULL || *base == NULL) {
    free(*parent);
    free(*base);
    return -1;
  }
  return 0;
}

/* rm -r of a directory this module made (a staging directory, or DIR's
 * previous set after an exchange): regular files, symlinks and, one level
 * at a time, subdirectories.  Best effort. */
static void remove_tree(const char *dir)
{
  DIR *d = opendir(dir);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      char *p = path_join(dir, e->d_name);
      if (p == NULL)
        continue;
      struct stat st;
      if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
        remove_tree(p);
      else
        unlink(p);
      free(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

static int pid_alive(long pid)
{
  return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Name ".BASE.staging.PID" / ".BASE.old.PID": the PID, or 0. */
static long stale_pid(const char *name, const char *base, const char *what)
{
  size_t lb = strlen(base), lw = strlen(what);
  if (name[0] != '.' || strncmp(name + 1, base, lb) != 0 ||
      strncmp(name + 1 + lb, what, lw) != 0)
    return 0;
  const char *s = name + 1 + lb + lw;
  char *end;
  long pid = strtol(s, &end, 10);
  return *s != '\0' && *end == '\0' ? pid : 0;
}

/* A killed run leaves PARENT/.BASE.staging.PID (never swapped in: the
 * target still holds the old set) and, on file systems without
 * RENAME_EXCHANGE, possibly PARENT/.BASE.old.PID (the previous set, moved
 * aside just before the new one was renamed in).  Staging directories of
 * dead processes are removed; an .old directory is renamed back when the
 * target is missing or empty (the kill fell between the two renames),
 * else removed. */
static void clean_stale(const char *parent, const char *base,
                        const char *target)
{
  DIR *d = opendir(parent);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    long ps = stale_pid(e->d_name, base, ".staging.");
    long po = stale_pid(e->d_name, base, ".old.");
    long pid = ps ? ps : po;
    if (pid == 0 || pid == (long)getpid() || pid_alive(pid))
      continue;
    char *p = path_join(parent, e->d_name);
    if (p == NULL)
      continue;
    /* the target may be missing or an empty directory a caller made */
    if (po && (rmdir(target) == 0 || errno == ENOENT))
      rename(p, target);
    else
      remove_tree(p);
    free(p);
  }
  closedir(d);
}

/* Files of a set without a directory: PATH.tmp.PID and PATH.old.PID left
 * by a killed commit (dead PID) are removed when PATH is written again. */
static void clean_stale_files(const char *path)
{
  char *parent = NULL, *base = NULL;
  if (split_dir(path, &parent, &base) != 0)
    return;
  DIR *d = opendir(parent);
  size_t lb = strlen(base);
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    const char *n = e->d_name, *tail = NULL;
    if (strncmp(n, base, lb) != 0)
      continue;
    if (strncmp(n + lb, ".tmp.", 5) == 0 || strncmp(n + lb, ".old.", 5) == 0)
      tail = n + lb + 5;
    char *end;
    long pid = tail != NULL ? strtol(tail, &end, 10) : 0;
    if (pid <= 0 || *end != '\0' || pid == (long)getpid() || pid_alive(pid))
      continue;
    char *p = path_join(parent, n);
    if (p != NULL)
      unlink(p);
    free(p);
  }
  if (d != NULL)
    closedir(d);
  free(parent);
  free(base);
}

/* The names only alignsim writes: a set's manifest, or the journal of a
 * run in progress or killed (as_journal.h: DIR/journal, kept for
 * `run --resume`). */
static const char *const set_markers[] = {"manifest", "journal"};

/* 1 when DIR is empty or holds an alignsim output set (a marker above), so
 * replacing it loses nothing the user made; 0 otherwise. */
static int dir_replaceable(const char *dir)
{
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  int empty = 1, manifest = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    empty = 0;
    for (size_t i = 0; i < sizeof set_markers / sizeof set_markers[0]; i++)
      manifest |= strcmp(e->d_name, set_markers[i]) == 0;
  }
  closedir(d);
  return empty || manifest;
}

/* ---------------------------------------------------- up-front checks */

int as_io_check_output(const char *path, int is_dir, double bytes,
                       as_err *err)
{
  struct stat st;
  int exists = stat(path, &st) == 0;
  if (exists && is_dir && !S_ISDIR(st.st_mode))
    return as_err_set(err, AS_EINVAL, "%s: exists and is not a directory",
                      path);
  if (exists && !is_dir && S_ISDIR(st.st_mode))
    return as_err_set(err, AS_EINVAL, "%s: is a directory", path);
  if (exists && is_dir && access(path, W_OK | X_OK) != 0)
    return as_err_set(err, AS_EINVAL, "%s: cannot write in it: %s", path,
                      strerror(errno));
  if (exists && is_dir && !dir_replaceable(path))
    return as_err_set(err, AS_EINVAL, "%s: exists, is not empty and holds no "
                      "alignsim manifest: refusing to replace it (choose a "
                      "new or empty directory)", path);
  char *parent = NULL, *base = NULL;
  if (split_dir(path, &parent, &base) != 0)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  /* The nearest existing ancestor must take new entries (the staging
   * directory or temp file goes beside PATH, directories between are
   * created). */
  char *anc = strdup(parent);
  while (anc != NULL && stat(anc, &st) != 0) {
    char *p2 = NULL, *b2 = NULL;
    if (split_dir(anc, &p2, &b2) != 0 || strcmp(p2, anc) == 0) {
      free(p2);
      free(b2);
      break;
    }
    free(anc);
    free(b2);
    anc = p2;
  }
  int rc = AS_OK;
  if (anc == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  else if (stat(anc, &st) != 0 || !S_ISDIR(st.st_mode))
    rc = as_err_set(err, AS_EINVAL, "%s: %s is not a directory", path, anc);
  else if (access(anc, W_OK | X_OK) != 0)
    rc = as_err_set(err, AS_EINVAL, "%s: cannot write in %s: %s", path, anc,
                    strerror(errno));
  if (rc == AS_OK) {
    struct statvfs vfs;
    if (statvfs(anc, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
      rc = as_err_set(err, AS_EINVAL, "%s: %s is on a read-only file system",
                      path, anc);
    else if (statvfs(anc, &vfs) == 0 && bytes > 0 &&
             (double)vfs.f_bavail * (double)vfs.f_frsize < bytes)
      rc = as_err_set(err, AS_EINVAL, "%s: no space left on device: about "
                      "%.3g bytes needed, %.3g available in %s", path, bytes,
                      (double)vfs.f_bavail * (double)vfs.f_frsize, anc);
  }
  free(anc);
  free(parent);
  free(base);
  return rc;
}

/* ---------------------------------------------------------------- outset */

/* The staging directory of a set written into DIR, made on first use. */
static int outset_stage(as_io_outset *s, const char *dir, as_err *err)
{
  if (s->stage != NULL) {
    if (strcmp(s->target, dir) != 0)
      return as_err_set(err, AS_EINVAL, "%s: one output set, one directory "
                        "(already writing into %s)", dir, s->target);
    return AS_OK;
  }
  int rc = as_io_check_output(dir, 1, 0.0, err);
  if (rc != AS_OK)
    return rc;
  char *parent = NULL, *base = NULL;
  if (split_dir(dir, &parent, &base) != 0)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  if ((rc = as_io_mkdir_p(parent, &s->created, err)) != AS_OK) {
    free(parent);
    free(base);
    return rc;
  }
  clean_stale(parent, base, dir);
  size_t n = strlen(parent) + strlen(base) + 48;
  s->stage = malloc(n);
  s->target = strdup(dir);
  s->parent = parent;
  s->base = base;
  if (s->stage == NULL || s->target == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  snprintf(s->stage, n, "%s/.%s.staging.%ld", parent, base, (long)getpid());
  if (mkdir(s->stage, 0777) != 0 && errno != EEXIST) {
    int e = errno;
    free(s->stage);
    s->stage = NULL;
    return as_err_set(err, AS_EIO, "%s: cannot create its staging directory "
                      "in %s: %s", dir, parent, strerror(e));
  }
  track_set(s->stage, 2);
  return AS_OK;
}

static int outset_grow(as_io_outset *s, as_err *err)
{
  if (s->count < s->cap)
    return AS_OK;
  size_t cap = s->cap ? 2 * s->cap : 16;
  char **t = realloc(s->tmp, cap * sizeof *t);
  if (t == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  s->tmp = t;
  char **p = realloc(s->path, cap * sizeof *p);
  if (p == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  s->path = p;
  s->cap = cap;
  return AS_OK;
}

FILE *as_io_outset_open(as_io_outset *s, const char *dir, const char *name,
                        as_err *err)
{
  if (outset_grow(s, err) != AS_OK)
    return NULL;
  if (dir != NULL && outset_stage(s, dir, err) != AS_OK)
    return NULL;
  char *path = dir != NULL ? path_join(dir, name) : strdup(name);
  size_t tmp_size = (dir != NULL ? strlen(s->stage) : strlen(name)) +
                    strlen(name) + 64;
  char *tmp = malloc(tmp_size);
  if (path == NULL || tmp == NULL) {
    free(path);
    free(tmp);
    as_err_set(err, AS_ENOMEM, "out of memory");
    return NULL;
  }
  FILE *f;
  if (dir != NULL) {           /* inside the staging directory */
    snprintf(tmp, tmp_size, "%s/%s", s->stage, name);
    char *slash = strrchr(tmp, '/');
    if (strchr(name, '/') != NULL) {  /* NAME in a subdirectory of the set */
      *slash = '\0';
      as_io_mkdir_p(tmp, NULL, NULL);
      *slash = '/';
    }
    if ((f = fopen(tmp, "w")) == NULL)
      as_err_set(err, AS_EIO, "%s: cannot open for writing: %s", tmp,
                 strerror(errno));
    else
      track_set(tmp, 1);
  } else {
    clean_stale_files(path);
    f = as_io_open_tmp(path, tmp, tmp_size, err);
  }
  if (f == NULL) {
    free(path);
    free(tmp);
    return NULL;
  }
  s->tmp[s->count] = tmp;
  s->path[s->count] = path;
  s->count++;
  return f;
}

int as_io_outset_link(as_io_outset *s, const char *dir, const char *name,
                      const char *src, as_err *err)
{
  if (outset_grow(s, err) != AS_OK || outset_stage(s, dir, err) != AS_OK)
    return err != NULL ? err->code : AS_EIO;
  char *path = path_join(dir, name);
  char *tmp = path_join(s->stage, name);
  if (path == NULL || tmp == NULL) {
    free(path);
    free(tmp);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  /* A hard link, not a copy or a move: SRC stays where it is until the
   * commit replaces DIR, and a failed commit leaves it untouched. */
  if (link(src, tmp) != 0) {
    int e = errno;
    free(path);
    free(tmp);
    return as_err_set(err, AS_EIO, "%s: cannot link it into the output set "
                      "%s: %s", src, dir, strerror(e));
  }
  track_set(tmp, 1);
  s->tmp[s->count] = tmp;
  s->path[s->count] = path;
  s->count++;
  return AS_OK;
}

int as_io_outset_close(as_io_outset *s, FILE *f, as_err *err)
{
  int rc = as_io_finish_tmp(f, s->tmp[s->count - 1], err);
  if (rc != AS_OK) { /* as_io_finish_tmp removed it */
    s->count--;
    free(s->tmp[s->count]);
    free(s->path[s->count]);
  }
  return rc;
}

/* Test hook (fault tests, tests/test_outset.sh): ALIGNSIM_FAULT names a
 * commit step, counted over the renames of one commit from 1; at it the
 * process sends itself SIGKILL ("kill:2") or SIGTERM ("term:1"), or the
 * rename fails with EIO ("fail:1").  "noexchange" makes the file system
 * look as if it had no RENAME_EXCHANGE (the two-rename fallback), and may
 * be combined: "noexchange,kill:2".  Read here only: production runs pay
 * one getenv per rename. */
static int fault_at(int step)
{
  const char *f = getenv("ALIGNSIM_FAULT");
  if (f == NULL)
    return 0;
  if (strncmp(f, "noexchange,", 11) == 0)
    f += 11;
  static const struct { const char *name; int sig; } acts[] = {
    {"kill:", SIGKILL}, {"term:", SIGTERM}, {"fail:", 0}};
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    if (strncmp(f, acts[i].name, 5) != 0 || atoi(f + 5) != step)
      continue;
    if (acts[i].sig != 0)
      raise(acts[i].sig);
    errno = EIO;
    return 1;
  }
  return 0;
}

static int fault_noexchange(void)
{
  const char *f = getenv("ALIGNSIM_FAULT");
  return f != NULL && strncmp(f, "noexchange", 10) == 0;
}

static int do_rename(int step, const char *from, const char *to,
                     unsigned flags)
{
  if (fault_at(step))
    return -1;
  return flags ? renameat2(AT_FDCWD, from, AT_FDCWD, to, flags)
               : rename(from, to);
}

/* Directory sets: one rename (target absent or empty) or one exchange. */
static int commit_dir(as_io_outset *s, as_err *err)
{
  const char *t = s->target;
  struct stat st;
  int exists = lstat(t, &st) == 0;
  if (exists && !S_ISDIR(st.st_mode))
    return as_err_set(err, AS_EIO, "%s: exists and is not a directory", t);
  if (exists && !dir_replaceable(t))
    return as_err_set(err, AS_EIO, "%s: is not empty and holds no alignsim "
                      "manifest: not replaced", t);
  /* rename(2) replaces an empty directory in one step. */
  if (do_rename(1, s->stage, t, 0) == 0)
    goto done;
  if (errno != ENOTEMPTY && errno != EEXIST)
    return as_err_set(err, AS_EIO, "%s: cannot rename %s onto it: %s", t,
                      s->stage, strerror(errno));
  if (fault_noexchange())
    errno = EINVAL;
  else if (do_rename(1, s->stage, t, RENAME_EXCHANGE) == 0) {
    remove_tree(s->stage);       /* now the previous set */
    goto done;
  }
  if (errno != EINVAL && errno != ENOSYS)
    return as_err_set(err, AS_EIO, "%s: cannot exchange %s with it: %s", t,
                      s->stage, strerror(errno));
  /* No RENAME_EXCHANGE here: move the old set aside, then rename the new
   * one in; a kill between leaves .BASE.old.PID, which the next run into
   * the same place renames back (clean_stale). */
  char *old = malloc(strlen(s->parent) + strlen(s->base) + 48);
  if (old == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  sprintf(old, "%s/.%s.old.%ld", s->parent, s->base, (long)getpid());
  if (do_rename(1, t, old, 0) != 0) {
    int e = errno;
    free(old);
    return as_err_set(err, AS_EIO, "%s: cannot move the previous set aside: "
                      "%s", t, strerror(e));
  }
  if (do_rename(2, s->stage, t, 0) != 0) {
    int e = errno;
    rename(old, t);              /* put the previous set back */
    free(old);
    return as_err_set(err, AS_EIO, "%s: cannot rename %s onto it: %s", t,
                      s->stage, strerror(e));
  }
  remove_tree(old);
  free(old);
done:
  /* (until here a signal removed the staged files: after an exchange the
   * staging path holds the previous set, which goes anyway) */
  for (size_t i = 0; i < s->count; i++)
    track_clear(s->tmp[i]);
  track_clear(s->stage);
  free(s->stage);
  s->stage = NULL;
  for (size_t i = 0; i < s->count; i++)
    s->tmp[i][0] = '\0';
  free(s->created);              /* the parents stay: they hold the set */
  s->created = NULL;
  return AS_OK;
}

/* Files without a directory of their own: the last file of the set (a
 * manifest) seals it.  Order: (1) the old seal is moved aside, (2) every
 * other file is renamed in (its old version kept as a hard link .old.PID),
 * (3) the new seal is renamed in, (4) the .old.PID copies are removed.
 * A kill at any point leaves either the old complete set, or files without
 * their manifest — never a manifest beside files it does not describe; a
 * failed rename puts every old file back. */
static int commit_files(as_io_outset *s, as_err *err)
{
  size_t n = s->count, seal = n - 1;
  char **old = calloc(n, sizeof *old);
  int *had = calloc(n, sizeof *had);
  int rc = AS_OK, step = 0;
  size_t done = 0;
  if (old == NULL || had == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  for (size_t i = 0; i < n && rc == AS_OK; i++) {
    size_t len = strlen(s->path[i]) + 32;
    if ((old[i] = malloc(len)) == NULL)
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
    else
      snprintf(old[i], len, "%s.old.%ld", s->path[i], (long)getpid());
  }
  /* (0) keep every old file but the seal as a hard link, or stop here */
  for (size_t k = 0; k < seal && rc == AS_OK; k++)
    if (access(s->path[k], F_OK) == 0) {
      unlink(old[k]);
      if (link(s->path[k], old[k]) != 0)
        rc = as_err_set(err, AS_EIO, "%s: cannot keep the previous version "
                        "while replacing it: %s", s->path[k], strerror(errno));
      else
        had[k] = 1;
    }
  /* (1) the old seal aside */
  if (rc == AS_OK && access(s->path[seal], F_OK) == 0) {
    if (do_rename(++step, s->path[seal], old[seal], 0) != 0)
      rc = as_err_set(err, AS_EIO, "%s: cannot move it aside: %s",
                      s->path[seal], strerror(errno));
    else
      had[seal] = 1;
  }
  /* (2), (3) the new files, the seal last */
  for (size_t k = 0; k < n && rc == AS_OK; k++) {
    if (do_rename(++step, s->tmp[k], s->path[k], 0) != 0) {
      rc = as_err_set(err, AS_EIO, "%s: cannot rename %s onto it: %s",
                      s->path[k], s->tmp[k], strerror(errno));
      break;
    }
    as_io_untrack_tmp(s->tmp[k]);
    s->tmp[k][0] = '\0';
    done = k + 1;
  }
  for (size_t k = 0; old != NULL && had != NULL && k < n; k++) {
    /* replaced: file k was renamed over (the seal: moved aside) */
    int replaced = k < done || k == seal;
    if (rc != AS_OK && had[k] && replaced)
      rename(old[k], s->path[k]);     /* roll back: the old file returns */
    else if (rc != AS_OK && k < done)
      unlink(s->path[k]);             /* it had no old version */
    else if (had[k])
      unlink(old[k]);                 /* (4) committed, or never replaced */
  }
  for (size_t k = 0; old != NULL && k < n; k++)
    free(old[k]);
  free(old);
  free(had);
  return rc;
}

int as_io_outset_commit(as_io_outset *s, as_err *err)
{
  if (s->count == 0 && s->stage == NULL)
    return AS_OK;
  return s->stage != NULL ? commit_dir(s, err) : commit_files(s, err);
}

void as_io_outset_free(as_io_outset *s)
{
  for (size_t i = 0; i < s->count; i++) {
    if (s->tmp[i][0] != '\0') {
      remove(s->tmp[i]);
      as_io_untrack_tmp(s->tmp[i]);
    }
    free(s->tmp[i]);
    free(s->path[i]);
  }
  if (s->stage != NULL) {        /* never committed */
    remove_tree(s->stage);
    track_clear(s->stage);
    if (s->parent != NULL)
      as_io_rmdir_created(s->parent, s->created);
  }
  free(s->stage);
  free(s->target);
  free(s->parent);
  free(s->base);
  free(s->created);
  free(s->tmp);
  free(s->path);
  memset(s, 0, sizeof *s);
}
