/*
 * netif: what the daemon needs to know about its interfaces.
 */
#ifndef PORTHOLE_NETIF_H
#define PORTHOLE_NETIF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* First IPv4 address and prefix length of ifname; -ENOENT when it has none. */
int	netif_ipv4(const char *ifname, struct in_addr *addr, uint8_t *plen);
/* Is addr inside net/plen? */
int	netif_in_prefix(struct in_addr addr, struct in_addr net, uint8_t plen);
/* Is addr inside net/plen (IPv6, plen 0..128)? */
int	netif_in_prefix6(const struct in6_addr *addr, const struct in6_addr *net, uint8_t plen);
/* RFC 1918, 100.64.0.0/10 (shared), loopback, link-local: not a public address. */
int	netif_is_private(struct in_addr addr);
/*
 * An HTTP Host header ("A.B.C.D", "A.B.C.D:PORT", "[V6]" or "[V6]:PORT") that names the gateway
 * by address, or no Host at all (which no browser sends). A name is what
 * DNS rebinding looks like: a LAN browser's page whose name resolves to us.
 */
bool	netif_host_is_address(const char *host);

#endif
