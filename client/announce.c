/*
 * announce: the gateway's unsolicited packets to 224.0.0.1:5350 after a
 * restart or an external address change: NAT-PMP address replies (RFC 6886
 * §3.2.1), PCP ANNOUNCE (RFC 6887 §14.1.3) and PCP MAP replies (§14.2).
 * Only the parser lives here, without I/O, so it can be fuzzed; the keeper
 * owns the socket and checks the sender.
 */
#include <string.h>

#include "phc.h"

#define NATPMP_ADDR_REPLY_LEN	12
#define PCP_HEADER_LEN		24
#define PCP_MAP_REPLY_LEN	60
#define PCP_OP_ANNOUNCE_R	0x80
#define PCP_OP_MAP_R		0x81

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
phc_announce_parse(const uint8_t *buf, size_t len, struct phc_announce *a)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(a, 0, sizeof(*a));
	if (len < 2)
		return -1;
	if (buf[0] == 0) {
		/* NAT-PMP: version 0, op 128, result 0 (a failure carries no news). */
		if (len != NATPMP_ADDR_REPLY_LEN || buf[1] != 128 || buf[2] != 0 || buf[3] != 0)
			return -1;
		a->epoch = be32(buf + 4);
		memcpy(&a->ext.s_addr, buf + 8, 4);
		a->has_ext = a->ext.s_addr != 0;
		return 0;
	}
	if (buf[0] != 2 || len < PCP_HEADER_LEN || len > 1100 || len % 4 != 0 || buf[3] != 0)
		return -1;
	if (buf[1] == PCP_OP_ANNOUNCE_R) {
		a->epoch = be32(buf + 8);
		return 0;
	}
	if (buf[1] != PCP_OP_MAP_R || len < PCP_MAP_REPLY_LEN)
		return -1;
	a->epoch = be32(buf + 8);
	if (memcmp(buf + 44, v4mapped, sizeof(v4mapped)) == 0) {
		memcpy(&a->ext.s_addr, buf + 56, 4);
		a->has_ext = a->ext.s_addr != 0;
	}
	return 0;
}
