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

/* The length of the valid UTF-8 sequence at s (RFC 3629 §4), or 0. */
static size_t
utf8_len(const uint8_t *s, size_t n)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t
pcp_desc_clean(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	size_t in = 0, out = 0;

	if (cap == 0)
		return 0;
	while (in < len) {
		size_t n = utf8_len(src + in, len - in);
		if (n == 0 || src[in] < 0x20 || src[in] == 0x7f) {
			if (out + 1 > cap - 1)
				break;
			dst[out++] = '?';
			in++;
			continue;
		}
		if (out + n > cap - 1)
			break;
		memcpy(dst + out, src + in, n);
		out += n;
		in += n;
	}
	dst[out] = '\0';
	return out;
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
