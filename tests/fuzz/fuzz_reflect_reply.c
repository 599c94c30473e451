/*
 * libFuzzer harness: libporthole's parser of a reflector's reply (another
 * party on the network): whatever it accepts is bounded and printable.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phc_reflect_result res[PHC_REFLECT_PORTS_MAX];
	size_t n = PHC_REFLECT_PORTS_MAX, i, j;
	struct in_addr seen;
	char msg[200];

	phc_reflect_error_parse((const char *)data, size, msg, sizeof(msg));
	if (phc_reflect_reply_parse((const char *)data, size, AF_INET, &seen, res, &n) != 0)
		return 0;
	if (n > PHC_REFLECT_PORTS_MAX)
		__builtin_trap();
	for (i = 0; i < n; i++)
		for (j = 0; res[i].greeting[j] != '\0'; j++)
			if (j >= sizeof(res[i].greeting) || res[i].greeting[j] < 0x20 ||
			    res[i].greeting[j] > 0x7e)
				__builtin_trap();
	return 0;
}
