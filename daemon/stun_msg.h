/*
 * stun_msg: the STUN Binding exchange (RFC 5389 §6, §15.2) as pure
 * functions over byte buffers: build a request, read the mapped address
 * out of its success response. The network is hostile: every length is
 * checked before it is used, and anything that is not the answer to our
 * own transaction is refused.
 */
#ifndef PORTHOLE_STUN_MSG_H
#define PORTHOLE_STUN_MSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define STUN_HDR_LEN		20
#define STUN_TXID_LEN		12
#define STUN_MAX_MSG		548	/* RFC 5389 §7.1: what a path without PMTU knowledge carries */
#define STUN_DEFAULT_PORT	3478

/* Why a datagram was not a usable answer (stun_parse_response). */
enum stun_verdict {
	STUN_OK = 0,
	STUN_NOT_STUN = -1,	/* short, bad header, bad cookie or length */
	STUN_OTHER_TX = -2,	/* not our transaction (stale or forged) */
	STUN_ERROR_RESP = -3,	/* a Binding error response */
	STUN_NO_ADDRESS = -4,	/* success, but no IPv4 (XOR-)MAPPED-ADDRESS */
	STUN_BAD_ATTR = -5,	/* an attribute runs past the message */
};

/* Writes a Binding request with this transaction id; returns its length (20). */
size_t	stun_build_request(uint8_t out[STUN_HDR_LEN], const uint8_t txid[STUN_TXID_LEN]);
/*
 * Reads the response to transaction txid. On STUN_OK, *addr and *port are
 * the reflexive transport address (network byte order address, host order
 * port). XOR-MAPPED-ADDRESS is preferred; MAPPED-ADDRESS (RFC 3489 servers)
 * is taken when it is the only one.
 */
int	stun_parse_response(const uint8_t *b, size_t len, const uint8_t txid[STUN_TXID_LEN],
	    struct in_addr *addr, uint16_t *port);
const char *stun_verdict_name(int verdict);
/*
 * The stun_server key: "host" or "host:port" (IPv4 literal or DNS name,
 * port 1-65535, default 3478). 0, or -1 with the problem in why.
 */
#define STUN_HOST_MAX		254
int	stun_server_parse(const char *spec, char host[STUN_HOST_MAX], uint16_t *port,
	    char *why, size_t whylen);

#endif
