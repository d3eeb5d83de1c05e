/* fuzz_input.h — hands libFuzzer's bytes to a reader that takes a path.
 *
 * The readers open files by name, so each input is written to one
 * memory-backed file (memfd_create) and the reader is given
 * "/dev/fd/N": no disk traffic, no temporary file left behind, and the
 * reader still goes through fopen/getline exactly as on a real file. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#define _GNU_SOURCE /* memfd_create */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The harnesses run under libFuzzer's -malloc_limit_mb=2048: the readers'
 * own memory limit (as_limits.h) is set far below it, so an input that
 * asks for too much must be refused by the reader, cleanly, and a reader
 * that allocates before checking is caught as an out-of-memory.  16 MiB
 * also keeps each input fast (a 256 MiB limit let the comparisons harness
 * spend its time zeroing 200 MB count tables: 120 executions/s).  The
 * comparisons harness sets FUZZ_MEM_LIMIT to 1M: its corpus drifts to
 * inputs whose count table sits just under the limit, and faulting in and
 * copying 16 MB tables held it at ~500 executions/s; its refusal and
 * growth paths are the same at any limit. */
#ifndef FUZZ_MEM_LIMIT
#define FUZZ_MEM_LIMIT "16M"
#endif
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  setenv("ALIGNSIM_MEM_LIMIT", FUZZ_MEM_LIMIT, 1);
  return 0;
}

/* Writes data to the harness's memfd and returns its path (static buffer:
 * the harness runs one input at a time). */
static const char *fuzz_input_path(const uint8_t *data, size_t size)
{
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("alignsim-fuzz", 0);
    if (fd < 0) {
      perror("memfd_create");
      abort();
    }
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
    perror("fuzz input");
    abort();
  }
  return path;
}

#endif
