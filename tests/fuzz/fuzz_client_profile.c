/* libFuzzer harness: libporthole's profile file parser (porthole_profile_parse). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "porthole.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct porthole_profile p;
	char err[160];
	size_t i;

	if (porthole_profile_parse((const char *)data, size, &p, err, sizeof(err)) != 0)
		return 0;
	/* What the parser accepts must be a usable profile. */
	if (p.n == 0 || p.n > PORTHOLE_PROFILE_MAX)
		__builtin_trap();
	for (i = 0; i < p.n; i++)
		if (p.port[i].port == 0 || strlen(p.port[i].name) == 0 ||
		    memchr(p.port[i].name, '\0', sizeof(p.port[i].name)) == NULL)
			__builtin_trap();
	return 0;
}
