/*
 * stun_msg: see stun_msg.h. Layout (RFC 5389 §6): type (2), length of the
 * attributes (2, a multiple of 4), magic cookie 0x2112A442 (4), transaction
 * id (12); then attributes: type (2), length (2), value padded to 4.
 */
#include "stun_msg.h"
#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STUN_COOKIE		0x2112A442u
#define STUN_BINDING_REQ	0x0001
#define STUN_BINDING_OK		0x0101
#define STUN_BINDING_ERR	0x0111
#define ATTR_MAPPED		0x0001
#define ATTR_XOR_MAPPED		0x0020
#define FAMILY_IPV4		0x01

size_t
stun_build_request(uint8_t out[STUN_HDR_LEN], const uint8_t txid[STUN_TXID_LEN])
{
	put16(out, STUN_BINDING_REQ);
	put16(out + 2, 0);
	put32(out + 4, STUN_COOKIE);
	memcpy(out + 8, txid, STUN_TXID_LEN);
	return STUN_HDR_LEN;
}

/* An address attribute's value: reserved, family, port, IPv4 (8 bytes). */
static int
read_address(const uint8_t *v, size_t vlen, int xored, struct in_addr *addr, uint16_t *port)
{
	uint32_t a;
	uint16_t p;

	if (vlen != 8 || v[1] != FAMILY_IPV4)
		return STUN_NO_ADDRESS;		/* IPv6 (20 bytes) or malformed: not ours */
	p = get16(v + 2);
	a = get32(v + 4);
	if (xored) {
		p ^= (uint16_t)(STUN_COOKIE >> 16);
		a ^= STUN_COOKIE;
	}
	addr->s_addr = htonl(a);
	*port = p;
	return STUN_OK;
}

int
stun_parse_response(const uint8_t *b, size_t len, const uint8_t txid[STUN_TXID_LEN],
    struct in_addr *addr, uint16_t *port)
{
	int have_xor = 0, have_plain = 0;
	struct in_addr xa = { 0 }, pa = { 0 };
	uint16_t xp = 0, pp = 0, type;
	size_t body, off;

	if (len < STUN_HDR_LEN || len > STUN_MAX_MSG)
		return STUN_NOT_STUN;
	type = get16(b);
	body = get16(b + 2);
	if ((b[0] & 0xc0) || body % 4 || STUN_HDR_LEN + body != len || get32(b + 4) != STUN_COOKIE)
		return STUN_NOT_STUN;
	if (memcmp(b + 8, txid, STUN_TXID_LEN) != 0)
		return STUN_OTHER_TX;
	if (type == STUN_BINDING_ERR)
		return STUN_ERROR_RESP;
	if (type != STUN_BINDING_OK)
		return STUN_NOT_STUN;
	for (off = STUN_HDR_LEN; off < len;) {
		size_t alen, padded;
		uint16_t atype;

		if (len - off < 4)
			return STUN_BAD_ATTR;
		atype = get16(b + off);
		alen = get16(b + off + 2);
		padded = (alen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return STUN_BAD_ATTR;
		if (atype == ATTR_XOR_MAPPED && !have_xor)
			have_xor = read_address(b + off + 4, alen, 1, &xa, &xp) == STUN_OK;
		else if (atype == ATTR_MAPPED && !have_plain)
			have_plain = read_address(b + off + 4, alen, 0, &pa, &pp) == STUN_OK;
		off += 4 + padded;
	}
	if (!have_xor && !have_plain)
		return STUN_NO_ADDRESS;
	*addr = have_xor ? xa : pa;
	*port = have_xor ? xp : pp;
	return STUN_OK;
}

const char *
stun_verdict_name(int verdict)
{
	switch (verdict) {
	case STUN_OK: return "ok";
	case STUN_NOT_STUN: return "not a STUN message";
	case STUN_OTHER_TX: return "another transaction";
	case STUN_ERROR_RESP: return "Binding error response";
	case STUN_NO_ADDRESS: return "no IPv4 mapped address";
	case STUN_BAD_ATTR: return "attribute runs past the message";
	}
	return "?";
}

int
stun_server_parse(const char *spec, char host[STUN_HOST_MAX], uint16_t *port,
    char *why, size_t whylen)
{
	const char *colon = strchr(spec, ':');
	size_t hlen = colon ? (size_t)(colon - spec) : strlen(spec);

	if (hlen == 0 || hlen >= STUN_HOST_MAX) {
		snprintf(why, whylen, "'%s' is not host or host:port", spec);
		return -1;
	}
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)spec[i]) && spec[i] != '.' && spec[i] != '-') {
			snprintf(why, whylen, "'%.*s' is not a host name or IPv4 address",
			    (int)hlen, spec);
			return -1;
		}
	*port = STUN_DEFAULT_PORT;
	if (colon) {
		char *end;
		unsigned long p;

		if (!isdigit((unsigned char)colon[1]) ||
		    (p = strtoul(colon + 1, &end, 10)) == 0 || p > 65535 || *end) {
			snprintf(why, whylen, "'%s' has no port from 1 to 65535 after ':'", spec);
			return -1;
		}
		*port = (uint16_t)p;
	}
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	return 0;
}
