/*
 * pubaddr: the gateway's addresses as operators see them (portholectl
 * status, the status page, /metrics): the WAN address, the public one
 * learned behind another NAT and where it came from, what clients are
 * told, and whether mappings are forwarded to the gateway in front. One place, so the three views never disagree.
 */
#ifndef PORTHOLE_PUBADDR_H
#define PORTHOLE_PUBADDR_H

#include <arpa/inet.h>

#include "upstream.h"

struct pubaddr {
	char	wan[INET_ADDRSTRLEN];		/* "none" when unknown */
	char	public_[INET_ADDRSTRLEN];	/* "none" when not learned */
	char	external[INET_ADDRSTRLEN];	/* what clients are told; "none" */
	char	source[96];			/* "stun:A.B.C.D:PORT", "upstream:pcp", "none" */
	int	behind_nat;			/* the WAN address is private or shared */
	struct upstream_state up;		/* whether mappings are forwarded in front */
};

void	pubaddr_describe(struct pubaddr *p);

#endif
