/*
 * shared: what every module of the UPnP front-end uses: its state
 * (upnp_st, filled by upnp.c at start), which LAN a host is on, the
 * per-host request budget, which host an address is, the services offered,
 * and UUIDs. A leaf: it calls no other module of the front-end but
 * ssdp_msg.c's pure tables.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "event.h"
#include "neigh.h"
#include "netif.h"
#include "ratelimit.h"
#include "upnp.h"

struct upnp_state upnp_st;

const struct gw_lan *
upnp_lan_of(struct in_addr addr)
{
	for (int i = 0; i < upnp_st.gw.n_lan; i++) {
		const struct gw_lan *l = &upnp_st.gw.lan[i];
		if (netif_in_prefix(addr, l->addr, l->plen))
			return l;
	}
	return NULL;
}

bool
upnp_rate_ok(struct in_addr host)
{
	return ratelimit_allow(host, mono_ms());
}

bool
upnp_rate_ok6(const struct in6_addr *host, unsigned ifindex)
{
	return ratelimit_allow6(host, ifindex, mono_ms());
}

uint64_t
upnp_host_key(const struct in6_addr *addr, unsigned ifindex)
{
	uint64_t key;

	if (IN6_IS_ADDR_V4MAPPED(addr)) {
		struct in_addr v4;
		const struct gw_lan *lan;
		memcpy(&v4, &addr->s6_addr[12], 4);
		if (!(lan = upnp_lan_of(v4)))
			return neigh_addr_key(addr);
		ifindex = lan->ifindex;
	}
	if (neigh_key(addr, ifindex, &key) == 0)
		return key;
	return IN6_IS_ADDR_V4MAPPED(addr) ? neigh_addr_key(addr) : neigh_prefix64_key(addr);
}

bool
upnp_svc_enabled(enum upnp_svc svc)
{
	const struct upnp_tree *p = upnp_tree(upnp_st.primary);
	const struct upnp_tree *v1 = upnp_tree(1);

	/* IGD:2 mode also serves the IGD:1 tree to clients that ask for it. */
	return (p->svc_mask | v1->svc_mask) & (1u << svc);
}

void
upnp_uuid_format(const uint8_t b[16], char *out)
{
	snprintf(out, UPNP_UUID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], (b[6] & 0x0f) | 0x40, b[7],
	    (b[8] & 0x3f) | 0x80, b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void
upnp_uuid_random(char *out)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* Only uniqueness matters for a SID; the clock is a fallback. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts, sizeof(b) < sizeof(ts) ? sizeof(b) : sizeof(ts));
	}
	upnp_uuid_format(b, out);
}
