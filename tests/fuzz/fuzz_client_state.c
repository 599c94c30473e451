/* libFuzzer harness: libporthole's state file parser, and format(parse(x)) round trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct porthole_mapping m[PORTHOLE_MAPPING_MAX], again[PORTHOLE_MAPPING_MAX];
	size_t n = PORTHOLE_MAPPING_MAX, n2 = PORTHOLE_MAPPING_MAX;
	static char buf[PORTHOLE_MAPPING_MAX * 512];
	int len;

	if (phc_state_parse((const char *)data, size, m, &n) != 0)
		return 0;
	/* Anything accepted must write back out and read back the same. */
	len = phc_state_format(buf, sizeof(buf), m, n);
	if (len < 0 || phc_state_parse(buf, (size_t)len, again, &n2) != 0 || n2 != n)
		__builtin_trap();
	return 0;
}
