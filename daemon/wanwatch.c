/*
 * wanwatch: see wanwatch.h. Netlink only says "something changed"; the
 * address is then read afresh, so a lost or reordered message costs nothing.
 */
#include "wanwatch.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "lease.h"
#include "log.h"
#include "netif.h"
#include "nlwatch.h"
#include "stun.h"

static struct mnl_socket *nl;
static char ifname[64];

int
wanwatch_poll(void)
{
	struct in_addr now = { 0 }, old = lease_wan();
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	netif_ipv4(ifname, &now, NULL);
	if (now.s_addr == old.s_addr)
		return 0;
	inet_ntop(AF_INET, &old, a, sizeof(a));
	inet_ntop(AF_INET, &now, b, sizeof(b));
	log_info("WAN address of %s changed: %s -> %s", ifname, old.s_addr ? a : "none",
	    now.s_addr ? b : "none");
	if (now.s_addr && netif_is_private(now))
		log_warnx("external address %s is private: this router is behind another NAT "
		    "(double NAT)", b);
	if (lease_set_external(now) < 0)
		log_warnx("WAN address: the kernel refused the new external address");
	stun_refresh();		/* behind another NAT the public address may have moved too */
	return 1;
}

static void
nl_readable(int fd, short revents, void *arg)
{
	char buf[8192];

	(void)fd;
	(void)revents;
	(void)arg;
	/* Drain everything queued, then look once. */
	while (mnl_socket_recvfrom(nl, buf, sizeof(buf)) > 0)
		;
	wanwatch_poll();
}

void
wanwatch_follow(const char *ext_ifname)
{
	snprintf(ifname, sizeof(ifname), "%s", ext_ifname);
}

int
wanwatch_init(const char *ext_ifname)
{
	snprintf(ifname, sizeof(ifname), "%s", ext_ifname);
	return nlwatch_open(&nl, NETLINK_ROUTE, RTMGRP_IPV4_IFADDR | RTMGRP_LINK, nl_readable);
}

void
wanwatch_fini(void)
{
	nlwatch_close(&nl);
}
