/* libFuzzer harness: one line of the lease file (leasestore_parse_line, and
 * for pinholes leasestore6_parse and leasestore6_parse_removal). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lease.h"
#include "leasestore.h"
#include "leasestore6.h"
#include "pinhole.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[300], desc[LEASE_DESC_MAX];
	unsigned char nonce[LEASE_NONCE_LEN];
	struct lease_req req;
	struct pinhole_req preq;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	leasestore_parse_line(line, 1000, &req, desc, sizeof(desc), nonce);
	if (leasestore6_parse(line, 1000, &preq, desc, sizeof(desc), nonce) == 0 &&
	    (preq.int_port == 0 || preq.id == 0 || strlen(desc) >= sizeof(desc) ||
	    preq.remote_plen < 1 || preq.remote_plen > 128))
		__builtin_trap();	/* a line read back as a pinhole names a real one */
	leasestore6_parse_removal(line, &preq);
	return 0;
}
