/* libFuzzer harness: the finite-class reader (as_finite_read), K and V
 * inferred or given as the first byte says. */
#include "fuzz_input.h"

#include "as_finite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t K = (data[0] & 1) ? 2 : 0, V = (data[0] & 2) ? 3 : 0;
  as_finite_class *c = NULL;
  as_err err;
  if (as_finite_read(fuzz_input_path(data + 1, size - 1), &K, &V, &c,
                     &err) == AS_OK)
    as_finite_free(c);
  return 0;
}
