/*
 * wanif: what WANCommonInterfaceConfig reports about the WAN interface:
 * byte and packet counters, link state and speed. getifaddrs reads the
 * network namespace the daemon runs in, where a /sys mounted elsewhere
 * might describe another interface of the same name.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "upnp.h"

int
upnp_wan_stats(const char *ifname, uint64_t *rx_bytes, uint64_t *tx_bytes,
    uint64_t *rx_packets, uint64_t *tx_packets)
{
	struct ifaddrs *ifa;
	int rc = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET || !i->ifa_data ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		const struct rtnl_link_stats *st = i->ifa_data;
		*rx_bytes = st->rx_bytes;
		*tx_bytes = st->tx_bytes;
		*rx_packets = st->rx_packets;
		*tx_packets = st->tx_packets;
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

bool
upnp_wan_up(const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);
	struct ifaddrs *ifa;
	bool up = false;

	if (!idx || getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (strcmp(i->ifa_name, ifname) == 0 &&
		    (i->ifa_flags & IFF_RUNNING))
			up = true;
	freeifaddrs(ifa);
	return up;
}

unsigned long
upnp_wan_bitrate(const char *ifname)
{
	char path[128];
	unsigned long mbit = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/speed", ifname);
	if ((f = fopen(path, "re"))) {
		if (fscanf(f, "%lu", &mbit) != 1)
			mbit = 0;
		fclose(f);
	}
	if (mbit == 0 || mbit > 4294)	/* unknown, or more than a ui4 holds */
		return mbit ? 4294967295ul : 1000000000ul;
	return mbit * 1000000ul;
}
