/*
 * libFuzzer harness: the STUN Binding response parser (stun_parse_response),
 * with the transaction id the input itself carries and with a fixed one,
 * and the stun_server key parser on the same bytes as a string.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stun_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fixed[STUN_TXID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	char spec[300], host[STUN_HOST_MAX], why[128];
	struct in_addr a;
	uint16_t port;

	if (size >= STUN_HDR_LEN)
		stun_parse_response(data, size, data + 8, &a, &port);
	stun_parse_response(data, size, fixed, &a, &port);
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
	memcpy(spec, data, n);
	spec[n] = '\0';
	stun_server_parse(spec, host, &port, why, sizeof(why));
	return 0;
}
