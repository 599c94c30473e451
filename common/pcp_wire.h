/*
 * pcp_wire.h: the PCP (RFC 6887) and NAT-PMP (RFC 6886) wire definitions,
 * defined once for the daemon's front-end (daemon/pcp) and the client
 * library (client/pcp_client.c, client/announce.c): ports, sizes, opcodes,
 * result and option codes, and the IPv4-mapped address form every PCP
 * address field uses. Byte order helpers are in wire.h.
 *
 *   pcp_wire.c   the address helpers and the names of codes
 */
#ifndef PORTHOLE_PCP_WIRE_H
#define PORTHOLE_PCP_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCP_SERVER_PORT		5351
#define PCP_CLIENT_PORT		5350	/* where announcements go */
#define PCP_MAX_MSG		1100
#define PCP_HDR_LEN		24
#define PCP_MAP_LEN		60
#define PCP_PEER_LEN		80
#define PCP_OPT_HDR_LEN		4
#define PCP_VERSION		2
#define PCP_NONCE_LEN		12
#define PCP_RESPONSE_BIT	0x80	/* byte 1: R */

enum pcp_opcode { PCP_OP_ANNOUNCE = 0, PCP_OP_MAP = 1, PCP_OP_PEER = 2, PCP_OP_AUTH = 3 };

enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION,
	PCP_NOT_AUTHORIZED,
	PCP_MALFORMED_REQUEST,
	PCP_UNSUPP_OPCODE,
	PCP_UNSUPP_OPTION,
	PCP_MALFORMED_OPTION,
	PCP_NETWORK_FAILURE,
	PCP_NO_RESOURCES,
	PCP_UNSUPP_PROTOCOL,
	PCP_USER_EX_QUOTA,
	PCP_CANNOT_PROVIDE_EXTERNAL,
	PCP_ADDRESS_MISMATCH,
	PCP_EXCESSIVE_REMOTE_PEERS,
};

/* Codes below 128 are mandatory to understand, 128 and up optional (§7.3). */
enum pcp_option {
	PCP_OPT_THIRD_PARTY = 1,
	PCP_OPT_PREFER_FAILURE = 2,
	PCP_OPT_FILTER = 3,
	PCP_OPT_DESCRIPTION = 128,	/* RFC 7220: UTF-8 text, MAP and PEER, at most once */
};
/* RFC 7220 §3: the longest description a server is advised to keep. */
#define PCP_DESC_MAX		128

enum natpmp_op { NATPMP_OP_EXTADDR = 0, NATPMP_OP_MAP_UDP = 1, NATPMP_OP_MAP_TCP = 2 };

enum natpmp_result {
	NATPMP_SUCCESS = 0,
	NATPMP_UNSUPP_VERSION,
	NATPMP_NOT_AUTHORIZED,
	NATPMP_NETWORK_FAILURE,
	NATPMP_NO_RESOURCES,
	NATPMP_UNSUPP_OPCODE,
};

#define NATPMP_RESPONSE_OP	128	/* added to the request's opcode */
#define NATPMP_EXTADDR_LEN	12
#define NATPMP_MAP_REQ_LEN	12
#define NATPMP_MAP_RESP_LEN	16
#define NATPMP_BADVERS_LEN	8

/* An option's data length rounded up to the 4-byte boundary (§7.3). */
static inline size_t
pcp_option_padded(size_t len)
{
	return (len + 3) & ~(size_t)3;
}

void	pcp_v4mapped(struct in_addr a, uint8_t out[16]);
/* True when ip is ::ffff:a.b.c.d; *out (if not NULL) gets a.b.c.d. */
bool	pcp_is_v4mapped(const uint8_t ip[16], struct in_addr *out);
/* "No preference": the IPv6 or the IPv4-mapped all-zeros address (§5). */
bool	pcp_is_unspecified(const uint8_t ip[16]);
/* The fixed size of each opcode this project speaks; 0 = another opcode. */
size_t	pcp_opcode_len(uint8_t op);
/*
 * A DESCRIPTION's text made safe to keep and show: at most cap - 1 bytes,
 * cut only between characters, NUL-terminated; bytes that are not UTF-8
 * and control characters become '?', so no log or listing line can be
 * forged. Returns the length written.
 */
size_t	pcp_desc_clean(char *dst, size_t cap, const uint8_t *src, size_t len);
const char *pcp_result_name(int result);
const char *pcp_opcode_name(int opcode);

#endif
