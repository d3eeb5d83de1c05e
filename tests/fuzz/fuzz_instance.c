/* libFuzzer harness: the instance reader (as_io_read_instance, docs/reference.md §7). */
#include "fuzz_input.h"

#include "as_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  as_instance *inst = NULL;
  as_err err;
  if (as_io_read_instance(fuzz_input_path(data, size), &inst, &err) == AS_OK)
    as_instance_free(inst);
  return 0;
}
