/*
 * libFuzzer harness: the reading of a DNS answer (MX, A, AAAA, PTR) for the
 * --domain checkup; the answer comes from the network.
 */
#include <arpa/nameser.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { ns_t_mx, ns_t_a, ns_t_aaaa, ns_t_ptr };
	static char out[8][PHC_DNS_REC_LEN];
	size_t t;
	int n, i;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		n = phc_dns_answer_parse(data, size, types[t], out, 8);
		if (n > 8)
			__builtin_trap();
		for (i = 0; i < n; i++)
			if (memchr(out[i], '\0', PHC_DNS_REC_LEN) == NULL)
				__builtin_trap();
	}
	return 0;
}
