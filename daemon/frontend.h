/*
 * frontend: a front-end as main sees it: the protocols (NAT-PMP+PCP, UPnP)
 * and the operator's status listener. Each only translates its wire format
 * into lease-table calls (lease.h) after asking policy (policy.h), or reads
 * the table; it never calls the backend or another front-end (tests/layers.sh
 * checks the protocols). main starts them in order and stops them in reverse.
 */
#ifndef PORTHOLE_FRONTEND_H
#define PORTHOLE_FRONTEND_H

#include <netinet/in.h>
#include <stdint.h>

#include "config.h"

/* One LAN interface the gateway serves, resolved at start. */
struct gw_lan {
	char		ifname[CONFIG_NAME_MAX];
	unsigned	ifindex;
	struct in_addr	addr;		/* the gateway's address on it */
	uint8_t		plen;
};

struct gateway {
	const struct config	*cfg;		/* the running one; see reconfigure */
	struct gw_lan		 lan[CONFIG_MAX_LAN];
	int			 n_lan;
	unsigned		 ext_ifindex;
	uint64_t		 start_ms;	/* monotonic, when the daemon started */
};

/*
 * The configuration a front-end reads is the one it was last handed, by
 * init (gw->cfg) or by reconfigure; it is never changed in place. On
 * SIGHUP main hands each running front-end the new one through reconfigure
 * and frees the old one afterwards, so a front-end keeps no pointer into
 * the old one (BIRD's reconfigure hook). Keys that need a restart
 * (config.c's directive table) already hold their running values in it.
 */
struct frontend {
	const char	*name;
	int		(*init)(const struct gateway *gw);	/* 0 or -errno */
	void		(*reconfigure)(const struct config *cfg);
	void		(*fini)(void);
};

/* The LAN interface whose prefix contains addr, or NULL (not from the LAN). */
const struct gw_lan *gateway_lan_of(const struct gateway *gw, struct in_addr addr);
/* Fill gw from cfg: interface indexes and LAN addresses. 0, or -errno with err set. */
int	gateway_resolve(struct gateway *gw, const struct config *cfg, char *err, size_t errlen);

extern const struct frontend frontend_pcp;	/* daemon/pcp/: NAT-PMP and PCP, udp/5351 */
extern const struct frontend frontend_pcp6;	/* daemon/pcp/pcp6.c: PCP over IPv6, udp/5351 */
extern const struct frontend frontend_upnp;	/* daemon/upnp/: SSDP, HTTP, SOAP, GENA */
extern const struct frontend frontend_status;	/* status_http.c: the operator's pages */

#endif
