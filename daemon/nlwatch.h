/*
 * nlwatch: a netlink socket subscribed to event groups and watched by the
 * event loop, for the modules that follow the kernel (wanwatch.c: rtnetlink
 * address changes; kernwatch.c: nftables changes). Non-blocking, so a
 * callback drains with mnl_socket_recvfrom() until it fails with EAGAIN.
 */
#ifndef PORTHOLE_NLWATCH_H
#define PORTHOLE_NLWATCH_H

#include <libmnl/libmnl.h>

#include "event.h"

/* Opens bus (NETLINK_ROUTE, ...), joins groups and watches it: 0 or -errno. */
int	nlwatch_open(struct mnl_socket **nl, int bus, unsigned groups, ev_fd_cb readable);
/* Stops watching and closes *nl; nothing when it is not open. */
void	nlwatch_close(struct mnl_socket **nl);

#endif
