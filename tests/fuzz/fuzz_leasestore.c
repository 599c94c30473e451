/* libFuzzer harness: one line of the lease file (leasestore_parse_line). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lease.h"
#include "leasestore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[300], desc[LEASE_DESC_MAX];
	unsigned char nonce[LEASE_NONCE_LEN];
	struct lease_req req;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	leasestore_parse_line(line, 1000, &req, desc, sizeof(desc), nonce);
	return 0;
}
