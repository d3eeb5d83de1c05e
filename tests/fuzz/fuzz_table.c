/* libFuzzer harness: the policy / value table reader (as_io_read_table),
 * normalised or not as the first byte says, K and V inferred or given. */
#include "fuzz_input.h"

#include "as_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int normalised = data[0] & 1;
  size_t K = (data[0] & 2) ? 3 : 0, V = (data[0] & 4) ? 4 : 0;
  double *values = NULL;
  as_err err;
  if (as_io_read_table(fuzz_input_path(data + 1, size - 1), &K, &V, &values,
                       normalised, &err) == AS_OK)
    free(values);
  return 0;
}
