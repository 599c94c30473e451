/* libFuzzer harness: the /proc/net/route parser behind gateway discovery. */
#include <stddef.h>
#include <stdint.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_addr gw;

	if (phc_route_parse((const char *)data, size, &gw) == 0 && gw.s_addr == 0)
		__builtin_trap();
	return 0;
}
