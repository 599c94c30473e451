/*
 * neigh: which link-layer address an IPv4 address has, from the kernel's
 * neighbour table at the moment of the question (one RTM_GETNEIGH). The
 * addresses of one host (aliases, a host speaking for itself under several
 * addresses) share it, which is what per-host quotas count by.
 *
 * The same test for IPv6 pinholes: two IPv6 addresses with the same
 * link-layer address belong to one host (a privacy address and the stable
 * one, RFC 8981), so a request sent from one may open a pinhole to the other
 * without a `third-party` rule. An IPv4 requester (a UPnP control point) is
 * asked for as ::ffff:a.b.c.d and found in the IPv4 table: the same host
 * over either family.
 */
#ifndef PORTHOLE_NEIGH_H
#define PORTHOLE_NEIGH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * 0 and the address's link-layer address folded into *key (the same for each
 * IPv4 and IPv6 address of one host); -ENOENT when the neighbour table has no
 * usable entry for it on ifindex (the LAN interface it is on; 0: none);
 * -errno otherwise. addr is IPv4 as ::ffff:a.b.c.d, or IPv6.
 */
int	neigh_key(const struct in6_addr *addr, unsigned ifindex, uint64_t *key);
/* Keys for hosts the table does not know, apart from each other and from
 * every link-layer key: one address alone (IPv4 as ::ffff:a.b.c.d), or an
 * IPv6 address's whole /64. */
uint64_t neigh_addr_key(const struct in6_addr *addr);
uint64_t neigh_prefix64_key(const struct in6_addr *addr);
/* Is key a link-layer address's (not one of the two above)? */
bool	neigh_key_is_lladdr(uint64_t key);
enum neigh_verdict {
	NEIGH_SAME,		/* both known, same link-layer address */
	NEIGH_OTHER,		/* both known, different hosts */
	NEIGH_UNKNOWN,		/* one is not in the table (yet): a probe was sent */
};

/* Does `other` have the link-layer address of `requester`? Never for
 * addresses the table does not know: that would trust anyone. */
enum neigh_verdict neigh_compare(const struct in6_addr *requester, const struct in6_addr *other);
void	neigh_fini(void);

#endif
