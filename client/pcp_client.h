/*
 * pcp_client: PCP (RFC 6887) from the client's side, for libporthole and
 * the test tools. Builds ANNOUNCE, MAP and PEER requests with any options
 * (THIRD_PARTY, PREFER_FAILURE, FILTER, DESCRIPTION, or raw ones for testing servers),
 * parses responses, and runs a blocking request/response exchange with the
 * retransmission schedule of §8.1.1. Internal to libporthole (hidden
 * symbols); the public API is porthole.h. The wire definitions it shares
 * with the daemon are in common/pcp_wire.h.
 */
#ifndef PORTHOLE_PCP_CLIENT_H
#define PORTHOLE_PCP_CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcp_wire.h"

/* How many FILTER options a message of ours holds (the server decides its own limit). */
#define PCPC_MAX_FILTERS	8

struct pcpc_filter {
	uint8_t		plen;		/* 96 + IPv4 prefix length; 0 = drop all filters */
	uint16_t	port;		/* 0 = any */
	uint8_t		addr[16];	/* IPv4-mapped */
};

/*
 * One message, request or response. Addresses are in wire form (16 bytes,
 * IPv4 as ::ffff:a.b.c.d); pcp_v4mapped()/pcp_is_v4mapped() (pcp_wire.h) convert.
 */
struct pcpc_msg {
	uint8_t		version;	/* PCP_VERSION; 0 = a NAT-PMP-only server answered */
	uint8_t		opcode;		/* without the R bit */
	bool		response;
	uint8_t		result;		/* responses */
	uint32_t	lifetime;
	uint32_t	epoch;		/* responses */
	uint8_t		client_ip[16];	/* requests; all zeros = filled in by pcpc_request */
	uint8_t		nonce[PCP_NONCE_LEN];
	uint8_t		proto;
	uint16_t	int_port;
	uint16_t	ext_port;
	uint8_t		ext_ip[16];
	uint16_t	rem_port;	/* PEER */
	uint8_t		rem_ip[16];
	bool		third_party;
	uint8_t		tp_addr[16];
	bool		prefer_failure;
	size_t		n_filters;
	struct pcpc_filter filters[PCPC_MAX_FILTERS];
	char		description[PCP_DESC_MAX + 1];	/* RFC 7220; "" = none */
	size_t		n_unknown;	/* options in a response we did not understand */
};

/* Where and how patiently to ask (§8.1.1: IRT 3 s, MRT 1024 s). */
struct pcpc_xfer {
	struct in_addr	server;
	bool		v6;		/* ask server6 instead (PCP over IPv6) */
	struct in6_addr	server6;
	uint32_t	scope_id;	/* server6's interface, when link-local */
	struct in6_addr	source6;	/* send from this address; :: = the kernel's choice */
	uint16_t	port;		/* 0 = 5351 */
	unsigned	irt_ms;		/* first wait; 0 = 3000 */
	unsigned	mrc;		/* transmissions at most; 0 = no limit */
	unsigned	mrd_ms;		/* give up after; 0 = no limit (then mrc must be set) */
	uint16_t	local_port;	/* 0 = any; else bind it (to hear later updates there) */
};

/* A fresh random mapping nonce (§11.2). 0, or -errno. */
int	pcpc_nonce(uint8_t nonce[PCP_NONCE_LEN]);

/* Request bytes for m into buf; the length, or 0 when it does not fit. */
size_t	pcpc_build(const struct pcpc_msg *m, uint8_t *buf, size_t cap);
/* Appends one raw option (padded) to a built message; 0 or -ENOSPC. */
int	pcpc_append_option(uint8_t *buf, size_t *len, size_t cap, uint8_t code,
	    const void *data, uint16_t dlen);
/*
 * Parses a response (§8.3 checks: R set, 24..1100 bytes, a multiple of 4;
 * or NAT-PMP's 8-byte UNSUPP_VERSION). 0, or -EINVAL for anything else.
 */
int	pcpc_parse(const uint8_t *buf, size_t len, struct pcpc_msg *m);
/* Is resp the answer to req (§11.4, §12.4: opcode, nonce, protocol, ports)? */
bool	pcpc_matches(const struct pcpc_msg *req, const struct pcpc_msg *resp);

/* Our address toward server (what goes into the client IP field). */
int	pcpc_local_addr(struct in_addr server, struct in_addr *local);
/* The same over IPv6: the source address the kernel picks toward server6. */
int	pcpc_local_addr6(const struct in6_addr *server, uint32_t scope_id, struct in6_addr *local);
/*
 * Sends len bytes to the server and waits, retransmitting, for the first
 * datagram from it; only the server's address and port are accepted
 * (connected socket). Returns its length, or -ETIMEDOUT, -ECONNREFUSED
 * (nothing listens), -errno.
 */
ssize_t	pcpc_exchange(const struct pcpc_xfer *x, const uint8_t *req, size_t len,
	    uint8_t *resp, size_t cap);
/*
 * Builds req (filling client_ip when it is all zeros), exchanges it and
 * waits for a matching response, ignoring others. 0 with *resp (whatever
 * its result code), or -ETIMEDOUT, -ECONNREFUSED, -EINVAL, -errno.
 */
int	pcpc_request(const struct pcpc_xfer *x, const struct pcpc_msg *req, struct pcpc_msg *resp);

#endif
