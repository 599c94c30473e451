/*
 * netif: interface addresses through getifaddrs(3), and what an address
 * looks like where a request names one (HTTP Host).
 */
#include "netif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <string.h>

static uint8_t
mask_len(struct in_addr mask)
{
	return (uint8_t)__builtin_popcount(mask.s_addr);
}

int
netif_ipv4(const char *ifname, struct in_addr *addr, uint8_t *plen)
{
	struct ifaddrs *ifa, *i;
	int rc = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (strcmp(i->ifa_name, ifname) != 0)
			continue;
		*addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		if (plen)
			*plen = i->ifa_netmask ?
			    mask_len(((struct sockaddr_in *)i->ifa_netmask)->sin_addr) : 32;
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

int
netif_in_prefix(struct in_addr addr, struct in_addr net, uint8_t plen)
{
	uint32_t mask = plen ? htonl(~0u << (32 - plen)) : 0;

	return (addr.s_addr & mask) == (net.s_addr & mask);
}

int
netif_in_prefix6(const struct in6_addr *a, const struct in6_addr *net, uint8_t plen)
{
	unsigned full = plen > 128 ? 16 : plen / 8, rest = plen > 128 ? 0 : plen % 8;

	if (memcmp(a->s6_addr, net->s6_addr, full) != 0)
		return 0;
	return rest == 0 ||
	    ((a->s6_addr[full] ^ net->s6_addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int
netif_is_private(struct in_addr addr)
{
	static const struct { const char *net; uint8_t plen; } reserved[] = {
		{ "0.0.0.0", 8 }, { "10.0.0.0", 8 }, { "100.64.0.0", 10 },
		{ "127.0.0.0", 8 }, { "169.254.0.0", 16 }, { "172.16.0.0", 12 },
		{ "192.168.0.0", 16 },
	};

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct in_addr net;
		inet_pton(AF_INET, reserved[i].net, &net);
		if (netif_in_prefix(addr, net, reserved[i].plen))
			return 1;
	}
	return 0;
}

/* "[v6]" or "[v6]:port"; a zone ("%eth0", "%25eth0") is the client's, not checked. */
static bool
host_is_v6_literal(const char *host)
{
	char buf[INET6_ADDRSTRLEN];
	const char *end = strchr(host, ']');
	struct in6_addr a;
	size_t n;

	if (!end || (end[1] != '\0' && end[1] != ':'))
		return false;
	n = strcspn(host + 1, "%]");
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, host + 1, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

bool
netif_host_is_address(const char *host)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	if (!host)
		return true;
	if (host[0] == '[')
		return host_is_v6_literal(host);
	n = strcspn(host, ":");
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}
