/*
 * libFuzzer harness: the GENA CALLBACK and TIMEOUT header parsers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upnp/upnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gena_callback cb;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';		/* headers reach us as C strings from libmicrohttpd */
	if (gena_parse_callback(s, &cb) == 0) {
		if (cb.port == 0 || cb.path[0] != '/' || strpbrk(cb.path, " \r\n"))
			__builtin_trap();
	}
	uint32_t t = gena_parse_timeout(s);
	if (t < 1800 || t > 86400)
		__builtin_trap();
	free(s);
	return 0;
}
