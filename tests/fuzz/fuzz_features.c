/* libFuzzer harness: the feature-map reader (as_features_read), K and V
 * inferred or given as the first byte says. */
#include "fuzz_input.h"

#include "as_features.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t K = (data[0] & 1) ? 2 : 0, V = (data[0] & 2) ? 3 : 0;
  as_features *f = NULL;
  as_err err;
  if (as_features_read(fuzz_input_path(data + 1, size - 1), &K, &V, &f,
                       &err) == AS_OK)
    as_features_free(f);
  return 0;
}
