/*
 * gateway: the interfaces the daemon serves, resolved once at start.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "frontend.h"
#include "netif.h"

const struct gw_lan *
gateway_lan_of(const struct gateway *gw, struct in_addr addr)
{
	for (int i = 0; i < gw->n_lan; i++)
		if (netif_in_prefix(addr, gw->lan[i].addr, gw->lan[i].plen))
			return &gw->lan[i];
	return NULL;
}

int
gateway_resolve(struct gateway *gw, const struct config *cfg, char *err, size_t errlen)
{
	memset(gw, 0, sizeof(*gw));
	gw->cfg = cfg;
	gw->start_ms = mono_ms();
	gw->ext_ifindex = if_nametoindex(cfg->ext_ifname);
	if (!gw->ext_ifindex) {
		snprintf(err, errlen, "WAN interface %s does not exist (ext_ifname)", cfg->ext_ifname);
		return -ENODEV;
	}
	for (int i = 0; i < cfg->n_lan; i++) {
		struct gw_lan *l = &gw->lan[i];
		snprintf(l->ifname, sizeof(l->ifname), "%s", cfg->lan_ifname[i]);
		l->ifindex = if_nametoindex(l->ifname);
		if (!l->ifindex) {
			snprintf(err, errlen, "LAN interface %s does not exist (lan_ifname)", l->ifname);
			return -ENODEV;
		}
		if (netif_ipv4(l->ifname, &l->addr, &l->plen) < 0) {
			snprintf(err, errlen, "LAN interface %s has no IPv4 address", l->ifname);
			return -EADDRNOTAVAIL;
		}
		gw->n_lan++;
	}
	return 0;
}
