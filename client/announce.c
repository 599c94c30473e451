/*
 * announce: the gateway's unsolicited packets to 224.0.0.1:5350 after a
 * restart or an external address change: NAT-PMP address replies (RFC 6886
 * §3.2.1), PCP ANNOUNCE (RFC 6887 §14.1.3) and PCP MAP replies (§14.2);
 * and to [ff02::1]:5350, where only PCP's ANNOUNCE has anything to say.
 * Only the parser lives here, without I/O, so it can be fuzzed; the keeper
 * owns the socket and checks the sender.
 */
#include <string.h>

#include "pcp_wire.h"
#include "phc.h"
#include "wire.h"

#define PCP_ANNOUNCE_RESPONSE	(PCP_RESPONSE_BIT | PCP_OP_ANNOUNCE)
#define PCP_MAP_RESPONSE	(PCP_RESPONSE_BIT | PCP_OP_MAP)

int
phc_announce_parse(const uint8_t *buf, size_t len, struct phc_announce *a)
{
	memset(a, 0, sizeof(*a));
	if (len < 2)
		return -1;
	if (buf[0] == 0) {
		/* NAT-PMP: version 0, op 128, result 0 (a failure carries no news). */
		if (len != NATPMP_EXTADDR_LEN || buf[1] != NATPMP_RESPONSE_OP + NATPMP_OP_EXTADDR ||
		    buf[2] != 0 || buf[3] != 0)
			return -1;
		a->epoch = get32(buf + 4);
		memcpy(&a->ext.s_addr, buf + 8, 4);
		a->has_ext = a->ext.s_addr != 0;
		return 0;
	}
	if (buf[0] != PCP_VERSION || len < PCP_HDR_LEN || len > PCP_MAX_MSG || len % 4 != 0 ||
	    buf[3] != 0)
		return -1;
	if (buf[1] == PCP_ANNOUNCE_RESPONSE) {
		a->epoch = get32(buf + 8);
		return 0;
	}
	if (buf[1] != PCP_MAP_RESPONSE || len < PCP_MAP_LEN)
		return -1;
	a->epoch = get32(buf + 8);
	if (pcp_is_v4mapped(buf + 44, &a->ext))
		a->has_ext = a->ext.s_addr != 0;
	return 0;
}

/*
 * Over IPv6 only a PCP ANNOUNCE response is news: NAT-PMP has no IPv6, and
 * a pinhole has no external address for a MAP update to change.
 */
int
phc_announce6_parse(const uint8_t *buf, size_t len, struct phc_announce *a)
{
	if (len < 2 || buf[0] != PCP_VERSION || buf[1] != PCP_ANNOUNCE_RESPONSE)
		return -1;
	return phc_announce_parse(buf, len, a);
}
