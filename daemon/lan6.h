/*
 * lan6: the IPv6 side of the LAN interfaces (lan_ifname), read from the
 * kernel: their on-link prefixes (global and ULA), which pinholes may point
 * into, and the gateway's own addresses, which they never may. Re-read every
 * LAN6_REFRESH_MS; when a prefix is gone (the ISP delegated another one),
 * the pinholes into it are removed and logged, those still inside are kept.
 */
#ifndef PORTHOLE_LAN6_H
#define PORTHOLE_LAN6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define LAN6_MAX		32	/* prefixes and addresses kept */
#define LAN6_REFRESH_MS		2000

struct gateway;

struct lan6_prefix {
	unsigned	ifindex;
	struct in6_addr	addr;		/* the gateway's own address in it */
	uint8_t		plen;
};

int	lan6_init(const struct gateway *gw);
void	lan6_fini(void);
/* Read the addresses again now; removes pinholes that left every prefix. */
void	lan6_refresh(void);
/* The LAN prefix (on ifindex, or any LAN interface when 0) holding a; NULL if none. */
const struct lan6_prefix *lan6_prefix_of(const struct in6_addr *a, unsigned ifindex);
/* Is a one of the gateway's own addresses (on any interface)? */
bool	lan6_is_own(const struct in6_addr *a);
/* Note one address of a LAN interface (lan6_refresh does; tests may). */
void	lan6_add(unsigned ifindex, const struct in6_addr *addr, uint8_t plen);
size_t	lan6_count(void);
const struct lan6_prefix *lan6_at(size_t i);

#endif
