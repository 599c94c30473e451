/*
 * pubaddr: the gateway's addresses as operators see them (portholectl
 * status, the status page, /metrics): the WAN address, the public one
 * learned behind another NAT and where it came from, and what clients
 * are told. One place, so the three views never disagree.
 */
#ifndef PORTHOLE_PUBADDR_H
#define PORTHOLE_PUBADDR_H

#include <arpa/inet.h>

struct pubaddr {
	char	wan[INET_ADDRSTRLEN];		/* "none" when unknown */
	char	public_[INET_ADDRSTRLEN];	/* "none" when not learned */
	char	external[INET_ADDRSTRLEN];	/* what clients are told; "none" */
	char	source[96];			/* "stun:A.B.C.D:PORT", "none" (no spaces) */
	int	behind_nat;			/* the WAN address is private or shared */
};

void	pubaddr_describe(struct pubaddr *p);

#endif
