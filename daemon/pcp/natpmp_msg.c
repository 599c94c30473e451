/*
 * natpmp_msg: the NAT-PMP (RFC 6886) wire format. Pure functions over byte
 * buffers, no state and no I/O, so the fuzzer can drive them directly.
 *
 * Request sizes are exact: 2 bytes for the external-address request and 12
 * for a mapping request. Anything shorter or longer cannot be a well-formed
 * request of that opcode and RFC 6886 defines no error for it, so it is
 * dropped, which changes nothing and tells a confused sender nothing.
 */
#include <string.h>

#include "pcp_int.h"
#include "wire.h"

/*
 * Returns 0 with *r filled, NATPMP_DROP, NATPMP_UNSUPP_VERSION (byte 0 is
 * not 0) or NATPMP_UNSUPP_OPCODE (an opcode below 128 we do not know).
 */
int
natpmp_parse(const uint8_t *b, size_t len, struct natpmp_req *r)
{
	if (len < 2 || b[1] & 0x80)
		return NATPMP_DROP;		/* too short, or a response */
	if (b[0] != 0)
		return NATPMP_UNSUPP_VERSION;
	memset(r, 0, sizeof(*r));
	r->op = b[1];
	switch (r->op) {
	case NATPMP_OP_EXTADDR:
		return len == 2 ? 0 : NATPMP_DROP;
	case NATPMP_OP_MAP_UDP:
	case NATPMP_OP_MAP_TCP:
		if (len != NATPMP_MAP_REQ_LEN)
			return NATPMP_DROP;
		r->int_port = get16(b + 4);
		r->ext_port = get16(b + 6);
		r->lifetime = get32(b + 8);
		return 0;
	default:
		return NATPMP_UNSUPP_OPCODE;
	}
}

size_t
natpmp_build_extaddr(uint8_t *out, uint16_t result, uint32_t epoch, struct in_addr ext)
{
	out[0] = 0;
	out[1] = NATPMP_RESPONSE_OP + NATPMP_OP_EXTADDR;
	put16(out + 2, result);
	put32(out + 4, epoch);
	/* RFC 6886 §3.2: the address is zero on any error. */
	memcpy(out + 8, result ? &(struct in_addr){ 0 } : &ext, 4);
	return NATPMP_EXTADDR_LEN;
}

size_t
natpmp_build_map(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch,
    uint16_t int_port, uint16_t ext_port, uint32_t lifetime)
{
	out[0] = 0;
	out[1] = (uint8_t)(NATPMP_RESPONSE_OP + op);
	put16(out + 2, result);
	put32(out + 4, epoch);
	put16(out + 8, int_port);
	put16(out + 10, ext_port);
	put32(out + 12, lifetime);
	return NATPMP_MAP_RESP_LEN;
}

/*
 * Exactly 8 bytes with opcode 128, as errata 3618 corrects RFC 6886 §3.5:
 * clients (Bitcoin Core, libnatpmp) take len 8, byte 0 = 0 and result 1 as
 * "this gateway speaks NAT-PMP only".
 */
size_t
natpmp_build_unsupp_version(uint8_t *out, uint32_t epoch)
{
	out[0] = 0;
	out[1] = NATPMP_RESPONSE_OP;
	put16(out + 2, NATPMP_UNSUPP_VERSION);
	put32(out + 4, epoch);
	return NATPMP_BADVERS_LEN;
}

/*
 * RFC 6886 §3.5: the whole request comes back with the top bit of the
 * opcode set and result 5. A request too short to hold the result field is
 * padded with zeros so the result can be read.
 */
size_t
natpmp_build_unsupp_opcode(uint8_t *out, size_t outsz, const uint8_t *req, size_t len)
{
	size_t n = len < outsz ? len : outsz;

	if (outsz < 4)
		return 0;
	memcpy(out, req, n);
	if (n < 4) {
		memset(out + n, 0, 4 - n);
		n = 4;
	}
	out[1] |= 0x80;
	put16(out + 2, NATPMP_UNSUPP_OPCODE);
	return n;
}
