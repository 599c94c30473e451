/*
 * lan6: see lan6.h. getifaddrs(3) every two seconds costs one netlink dump
 * of a router's handful of addresses, and needs no event socket of its own.
 */
#include "lan6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "event.h"
#include "frontend.h"
#include "log.h"
#include "netif.h"
#include "pinhole.h"

static struct {
	const struct gateway	*gw;
	struct lan6_prefix	 pfx[LAN6_MAX];
	size_t			 n;
	struct in6_addr		 own[LAN6_MAX];	/* every IPv6 address of the gateway */
	size_t			 n_own;
	struct ev_timer		 timer;
	bool			 running;
} l6;

static uint8_t
mask_len6(const struct sockaddr_in6 *m)
{
	uint8_t n = 0;

	for (int i = 0; i < 16; i++)
		n += (uint8_t)__builtin_popcount(m->sin6_addr.s6_addr[i]);
	return n;
}

static unsigned
lan_ifindex(const char *name)
{
	for (int i = 0; i < l6.gw->n_lan; i++)
		if (strcmp(l6.gw->lan[i].ifname, name) == 0)
			return l6.gw->lan[i].ifindex;
	return 0;
}

/* Global and ULA prefixes of LAN interfaces; link-local ones never hold a pinhole. */
static void
note(const struct ifaddrs *i)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)i->ifa_addr;
	unsigned ifindex;

	if ((ifindex = lan_ifindex(i->ifa_name)))
		lan6_add(ifindex, &a->sin6_addr,
		    i->ifa_netmask ? mask_len6((const struct sockaddr_in6 *)i->ifa_netmask) : 128);
	else if (l6.n_own < LAN6_MAX)
		l6.own[l6.n_own++] = a->sin6_addr;
}

void
lan6_add(unsigned ifindex, const struct in6_addr *addr, uint8_t plen)
{
	if (l6.n_own < LAN6_MAX)
		l6.own[l6.n_own++] = *addr;
	if (IN6_IS_ADDR_LINKLOCAL(addr) || IN6_IS_ADDR_LOOPBACK(addr) || l6.n == LAN6_MAX)
		return;
	l6.pfx[l6.n++] = (struct lan6_prefix){ ifindex, *addr, plen };
}

static int
read_addresses(void)
{
	struct ifaddrs *ifa;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	l6.n = l6.n_own = 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6)
			note(i);
	freeifaddrs(ifa);
	return 0;
}

/*
 * Pinholes whose address is in no LAN prefix any more (renumbering). While
 * the LAN has no prefix at all (IPv6 not up yet at boot, a delegation not
 * yet received) nothing is judged: the pinholes restored from the lease
 * file wait for it.
 */
static void
drop_stranded(void)
{
	char a[INET6_ADDRSTRLEN];

	if (l6.n == 0)
		return;
	for (size_t i = pinhole_count(); i-- > 0;) {
		struct pinhole *p = pinhole_at(i);
		if (!p || lan6_prefix_of(&p->int_addr, 0))
			continue;
		log_info("lan6: %s [%s]:%u left the LAN's IPv6 prefixes; pinhole %u removed",
		    lease_proto_name(p->proto), inet_ntop(AF_INET6, &p->int_addr, a, sizeof(a)),
		    p->int_port, p->id);
		pinhole_remove(p, LEASE_REMOVED);
	}
}

void
lan6_refresh(void)
{
	int rc = read_addresses();

	if (rc < 0) {
		log_warnx("lan6: cannot read interface addresses: %s", strerror(-rc));
		return;
	}
	drop_stranded();
}

static void
refresh_due(struct ev_timer *t)
{
	lan6_refresh();
	ev_timer_in(t, LAN6_REFRESH_MS);
}

int
lan6_init(const struct gateway *gw)
{
	char a[INET6_ADDRSTRLEN];
	int rc;

	l6.gw = gw;
	if ((rc = read_addresses()) < 0)
		return rc;
	for (size_t i = 0; i < l6.n; i++)
		log_info("lan6: %s/%u on %s: pinholes may point here",
		    inet_ntop(AF_INET6, &l6.pfx[i].addr, a, sizeof(a)), l6.pfx[i].plen,
		    if_indextoname(l6.pfx[i].ifindex, (char[IF_NAMESIZE]){ 0 }));
	ev_timer_init(&l6.timer, refresh_due);
	ev_timer_in(&l6.timer, LAN6_REFRESH_MS);
	l6.running = true;
	return 0;
}

void
lan6_fini(void)
{
	if (l6.running)
		ev_timer_cancel(&l6.timer);
	l6.running = false;
	l6.n = l6.n_own = 0;
}

const struct lan6_prefix *
lan6_prefix_of(const struct in6_addr *a, unsigned ifindex)
{
	for (size_t i = 0; i < l6.n; i++)
		if ((!ifindex || l6.pfx[i].ifindex == ifindex) &&
		    netif_in_prefix6(a, &l6.pfx[i].addr, l6.pfx[i].plen))
			return &l6.pfx[i];
	return NULL;
}

bool
lan6_is_own(const struct in6_addr *a)
{
	for (size_t i = 0; i < l6.n_own; i++)
		if (memcmp(&l6.own[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

size_t
lan6_count(void)
{
	return l6.n;
}

const struct lan6_prefix *
lan6_at(size_t i)
{
	return i < l6.n ? &l6.pfx[i] : NULL;
}
