/*
 * pcp_wire: see pcp_wire.h. Pure functions over addresses and codes.
 */
#include <string.h>

#include "pcp_wire.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void
pcp_v4mapped(struct in_addr a, uint8_t out[16])
{
	memcpy(out, v4mapped_prefix, 12);
	memcpy(out + 12, &a, 4);
}

bool
pcp_is_v4mapped(const uint8_t ip[16], struct in_addr *out)
{
	if (memcmp(ip, v4mapped_prefix, 12) != 0)
		return false;
	if (out)
		memcpy(out, ip + 12, 4);
	return true;
}

bool
pcp_is_unspecified(const uint8_t ip[16])
{
	static const uint8_t zero[16];

	return memcmp(ip, zero, 16) == 0 ||
	    (memcmp(ip, v4mapped_prefix, 12) == 0 && memcmp(ip + 12, zero, 4) == 0);
}

size_t
pcp_opcode_len(uint8_t op)
{
	switch (op) {
	case PCP_OP_ANNOUNCE:
		return PCP_HDR_LEN;
	case PCP_OP_MAP:
		return PCP_MAP_LEN;
	case PCP_OP_PEER:
		return PCP_PEER_LEN;
	default:
		return 0;
	}
}

const char *
pcp_result_name(int result)
{
	static const char *const names[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED", "MALFORMED_REQUEST",
		"UNSUPP_OPCODE", "UNSUPP_OPTION", "MALFORMED_OPTION", "NETWORK_FAILURE",
		"NO_RESOURCES", "UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	if (result < 0 || (size_t)result >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[result];
}

const char *
pcp_opcode_name(int opcode)
{
	switch (opcode) {
	case PCP_OP_ANNOUNCE:
		return "ANNOUNCE";
	case PCP_OP_MAP:
		return "MAP";
	case PCP_OP_PEER:
		return "PEER";
	default:
		return "UNKNOWN";
	}
}
