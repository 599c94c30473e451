/* libFuzzer harness: the keeper's parser for gateway announcements (224.0.0.1:5350). */
#include <stddef.h>
#include <stdint.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phc_announce a;

	if (phc_announce_parse(data, size, &a) == 0 && a.has_ext && a.ext.s_addr == 0)
		__builtin_trap();
	return 0;
}
