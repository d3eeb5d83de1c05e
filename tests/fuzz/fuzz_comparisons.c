/* libFuzzer harness: the comparisons reader (as_io_read_comparisons),
 * K and V inferred or given as the first byte says. */
#define FUZZ_MEM_LIMIT "1M" /* see fuzz_input.h */
#include "fuzz_input.h"

#include "as_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t K = (data[0] & 1) ? 3 : 0, V = (data[0] & 2) ? 4 : 0;
  as_counts *c = NULL;
  as_err err;
  if (as_io_read_comparisons(fuzz_input_path(data + 1, size - 1), K, V, &c,
                             &err) == AS_OK)
    as_counts_free(c);
  return 0;
}
