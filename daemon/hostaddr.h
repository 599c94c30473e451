/*
 * hostaddr: is an address the gateway's own? Asked of the kernel's routing
 * table (one RTM_GETROUTE), and the answer kept until rtnetlink reports a
 * change of an address, route, rule or link; the events are read before
 * each answer, so addresses added or changed at any time, on any
 * interface, are seen at once.
 */
#ifndef PORTHOLE_HOSTADDR_H
#define PORTHOLE_HOSTADDR_H

#include <netinet/in.h>

/* 1 when a packet to addr would be delivered to the gateway itself (a local
 * or broadcast route), 0 when it would be forwarded, -errno on failure. */
int	hostaddr_is_local(struct in_addr addr);
/* How many questions went to the kernel, the others were answered from
 * what was kept (for the unit test). */
unsigned long hostaddr_lookups(void);
void	hostaddr_fini(void);

#endif
