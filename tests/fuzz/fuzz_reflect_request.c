/*
 * libFuzzer harness: the reflector's request parser (the part of `porthole
 * reflect` that reads what the Internet sends), and format(parse(x))
 * giving the same ports back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t ports[PHC_REFLECT_PORTS_MAX], again[PHC_REFLECT_PORTS_MAX];
	size_t n = 0, n2 = 0;
	char err[200], buf[256];
	int len;

	if (phc_reflect_request_parse((const char *)data, size, ports, &n, err, sizeof(err)) != 0)
		return 0;
	if (n == 0 || n > PHC_REFLECT_PORTS_MAX)
		__builtin_trap();
	len = phc_reflect_request_format(buf, sizeof(buf), ports, n);
	if (len < 0 || phc_reflect_request_parse(buf, (size_t)len, again, &n2, err,
	    sizeof(err)) != 0 || n2 != n || memcmp(ports, again, n * sizeof(ports[0])) != 0)
		__builtin_trap();
	return 0;
}
