/*
 * hostaddr: is an address the gateway's own? Asked of the kernel's routing
 * table at the moment of the question (one RTM_GETROUTE), so addresses
 * added or changed at any time, on any interface, are seen at once.
 */
#ifndef PORTHOLE_HOSTADDR_H
#define PORTHOLE_HOSTADDR_H

#include <netinet/in.h>

/* 1 when a packet to addr would be delivered to the gateway itself (a local
 * or broadcast route), 0 when it would be forwarded, -errno on failure. */
int	hostaddr_is_local(struct in_addr addr);
void	hostaddr_fini(void);

#endif
