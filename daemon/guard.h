/*
 * guard: what no mapping may ever do, whoever asks (UPnP, NAT-PMP, PCP,
 * a third-party rule, secure_mode=no, the admin, the lease file):
 *
 *  - send traffic to the gateway itself or past the LAN: the internal
 *    address must be a host inside a LAN prefix, not one of the gateway's
 *    own addresses (as the kernel has them at the moment of the request:
 *    hostaddr.h), and
 *    not the prefix's network or broadcast address;
 *  - shadow the gateway's own services: never udp 5350, 5351 or 1900, nor
 *    a port on which a socket of the gateway's would receive what the WAN
 *    sends (sshd on the WAN address, WireGuard, ...), asked of the kernel
 *    at the moment of the request.
 *
 * The guard keeps its own copy of the LAN prefixes and reads nothing else
 * of the daemon's state, so the side that talks to the kernel can run these
 * checks on its own, whatever the side that parses requests says. Until
 * guard_configure() names the LAN prefixes (unit tests), only the checks
 * that need no prefix are made.
 */
#ifndef PORTHOLE_GUARD_H
#define PORTHOLE_GUARD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define GUARD_MAX_LAN	8

struct guard_lan {
	struct in_addr	net;	/* any address inside the prefix */
	uint8_t		plen;
};

/* The LAN prefixes mappings may point into, and the WAN interface. */
int	guard_configure(const struct guard_lan *lans, int n, unsigned wan_ifindex);

/* 0, or -EADDRNOTAVAIL when no mapping may point at addr. */
int	guard_target(struct in_addr addr);
/* udp 5350, 5351 and 1900: the gateway's own protocols, never handed out. */
bool	guard_port_reserved(uint8_t proto, uint16_t port);
/* 0, or -EADDRINUSE when the port is reserved or a socket of the gateway's
 * on ext (the WAN address) would receive what the mapping would take. */
int	guard_ext_port(uint8_t proto, uint16_t port, struct in_addr ext);

void	guard_fini(void);

#endif
