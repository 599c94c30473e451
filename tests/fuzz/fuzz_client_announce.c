/*
 * libFuzzer harness: the keeper's parsers for gateway announcements
 * (224.0.0.1:5350 and [ff02::1]:5350).
 */
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
	/* Over IPv6: a PCP ANNOUNCE response or nothing, never an address. */
	if (phc_announce6_parse(data, size, &a) == 0 &&
	    (a.has_ext || size < 24 || data[0] != 2 || data[1] != 0x80))
		__builtin_trap();
	return 0;
}
