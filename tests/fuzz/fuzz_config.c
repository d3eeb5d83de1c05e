/* libFuzzer harness: the experiment config reader (as_config_read: the
 * file layer, then libconfig and every key's validation). */
#include "fuzz_input.h"

#include "as_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  as_config *c = NULL;
  as_err err;
  if (as_config_read(fuzz_input_path(data, size), &c, &err) == AS_OK)
    as_config_free(c);
  return 0;
}
