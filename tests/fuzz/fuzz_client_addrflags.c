/* libFuzzer harness: libporthole's reading of an rtnetlink address dump. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_addr a = { .s_addr = htonl(0xc0a84d0a) };
	bool dynamic = false, done = false;
	uint8_t *copy = malloc(size ? size : 1);	/* netlink buffers are aligned */

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	phc_addr_dynamic_parse(copy, size, a, &dynamic, &done);
	free(copy);
	return 0;
}
