/*
 * client_upnp: UPnP IGD through libminiupnpc. Discovery prefers the IGD
 * served from the gateway's own address. An IGD whose external address
 * miniupnpc calls reserved (documentation or private ranges) is used
 * anyway, like `upnpc -i`, with a warning: behind a second NAT the mapping
 * will not be reachable from the Internet.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include "phc.h"

#define UPNP_ERR_NO_SUCH_ENTRY		714
#define UPNP_ERR_CONFLICT		718
#define UPNP_ERR_ONLY_PERMANENT		725
#define UPNP_ERR_NOT_AUTHORIZED		606
#define UPNP_ERR_PINHOLE_NO_SUCH_ENTRY	704	/* WANIPv6FirewallControl:1 */
#define PINHOLE_LEASE_MAX		86400	/* its LeaseTime's range */

struct phc_upnp {
	struct UPNPUrls	urls;
	struct IGDdatas	data;
	char		lanaddr[INET6_ADDRSTRLEN];
};

static void
forget(struct phc_upnp **u)
{
	if (*u == NULL)
		return;
	FreeUPNPUrls(&(*u)->urls);
	free(*u);
	*u = NULL;
}

static void
upnp_fini(struct porthole *ph)
{
	forget(&ph->upnp);
	forget(&ph->upnp6);
}

/*
 * The host of an "http://HOST:port/" URL as an address of family: dotted
 * IPv4, or IPv6 in brackets (a zone, "%25eth0", is left out).
 */
static bool
url_host(const char *url, int family, void *addr)
{
	char host[INET6_ADDRSTRLEN];
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return false;
	url += 7;
	if (family == AF_INET6 && *url++ != '[')
		return false;
	n = strcspn(url, family == AF_INET6 ? "%]" : ":/");
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, url, n);
	host[n] = '\0';
	return inet_pton(family, host, addr) == 1;
}

/*
 * Fetches the IGD described at d into u when it is the gateway's. Over
 * IPv4 the URL must name the gateway's address, checked before anything
 * is fetched. Over IPv6 LOCATION names the router's global address while
 * we may know it by its link-local one: the fetch puts that address in
 * the neighbour table, which then says whether it is the same router.
 */
static int
take_igd(struct porthole *ph, int family, const struct UPNPDev *d, struct phc_upnp *u)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (family == AF_INET ? !url_host(d->descURL, AF_INET, &a4) ||
	    a4.s_addr != ph->gw.s_addr : !url_host(d->descURL, AF_INET6, &a6))
		return 0;
	if (!UPNP_GetIGDFromUrl(d->descURL, &u->urls, &u->data, u->lanaddr, sizeof(u->lanaddr)))
		return 0;
	if (family == AF_INET6 && phc_is_gateway6(ph, &a6, 0) != 1) {
		phc_log(ph, LOG_DEBUG, "UPnP: %s is not the IPv6 gateway's: not used", d->descURL);
		FreeUPNPUrls(&u->urls);
		memset(&u->urls, 0, sizeof(u->urls));
		return 0;
	}
	return 1;
}

static bool
igd_answer(const struct UPNPDev *d)
{
	return strstr(d->st, "InternetGatewayDevice") != NULL ||
	    strstr(d->st, "FirewallControl") != NULL;
}

/*
 * One search round for st, over IPv4 (239.255.255.250) or IPv6 (ff02::c);
 * the IGD served from the gateway's address into *slot.
 */
static int
discover(struct porthole *ph, int family, const char *st, struct phc_upnp **slot)
{
	struct UPNPDev *devs = NULL, *d;
	struct phc_upnp *u;
	char mif[INET6_ADDRSTRLEN > IF_NAMESIZE ? INET6_ADDRSTRLEN : IF_NAMESIZE];
	int err = 0, ok = 0;

	if (*slot != NULL)
		return 0;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return PORTHOLE_ERR_SYSTEM;
	/*
	 * Sent from the address facing the gateway: a router asking the one
	 * in front would otherwise search wherever its multicast route
	 * points, its own LAN. Over IPv6 miniupnpc takes the interface's name.
	 */
	if (family == AF_INET6) {
		if (if_indextoname(ph->gw6_oif, mif) != NULL)
			devs = upnpDiscoverDevice(st, ph->o.timeout_ms, mif, NULL,
			    UPNP_LOCAL_PORT_ANY, 1, 2, &err);
	} else {
		inet_ntop(AF_INET, &ph->local, mif, sizeof(mif));
		devs = upnpDiscoverDevice(st, ph->o.timeout_ms, ph->local.s_addr ? mif : NULL,
		    NULL, UPNP_LOCAL_PORT_ANY, 0, 2, &err);
	}
	/* The answers for the IGD or its firewall first, then the others. */
	for (d = devs; d != NULL && !ok; d = d->pNext)
		if (igd_answer(d))
			ok = take_igd(ph, family, d, u);
	for (d = devs; d != NULL && !ok; d = d->pNext)
		if (!igd_answer(d))
			ok = take_igd(ph, family, d, u);
	freeUPNPDevlist(devs);
	if (!ok || u->urls.controlURL == NULL || u->urls.controlURL[0] == '\0') {
		if (ok)
			FreeUPNPUrls(&u->urls);
		free(u);
		return PORTHOLE_ERR_UNSUPPORTED;
	}
	*slot = u;
	return 0;
}

/*
 * One search round: IGD:2 devices answer a search for IGD:1 too, whereas
 * upnpDiscover() waits out one round per device type.
 */
static int
upnp_discover(struct porthole *ph)
{
	if (ph->gw.s_addr == 0)
		return PORTHOLE_ERR_UNSUPPORTED;	/* no IPv4 gateway to search for */
	return discover(ph, AF_INET, "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
	    &ph->upnp);
}

/* family: the gateway's address named (the one asked over IPv4, or the IPv6 router). */
static int
upnp_fail(struct porthole *ph, int family, int rc, const char *what, int code)
{
	char gw[INET6_ADDRSTRLEN + 2];

	phc_gw_text(ph, family, gw, sizeof(gw));
	if (rc == PORTHOLE_ERR_UNSUPPORTED)
		return phc_fail(ph, rc, "%s: no UPnP IGD answered from gateway %s within %d ms: "
		    "is UPnP enabled on the router?", what, gw, ph->o.timeout_ms);
	if (code != 0)
		return phc_fail(ph, rc, "%s: gateway %s (UPnP) said %d %s: %s", what, gw, code,
		    strupnperror(code) != NULL ? strupnperror(code) : "", porthole_strerror(rc));
	return phc_fail(ph, rc, "%s: gateway %s (UPnP): %s", what, gw, porthole_strerror(rc));
}

static int
upnp_probe(struct porthole *ph)
{
	char ext[40] = "", status[64] = "", lasterr[64] = "";
	unsigned uptime = 0;
	struct in_addr a;
	int r;

	if (upnp_discover(ph) != 0)
		return upnp_fail(ph, AF_INET, PORTHOLE_ERR_UNSUPPORTED, "discovery", 0);
	r = UPNP_GetExternalIPAddress(ph->upnp->urls.controlURL,
	    ph->upnp->data.first.servicetype, ext);
	if (r != 0 || inet_pton(AF_INET, ext, &a) != 1) {
		upnp_fini(ph);	/* discover again next time: it may have restarted */
		return upnp_fail(ph, AF_INET, r < 0 ? PORTHOLE_ERR_TIMEOUT : PORTHOLE_ERR_PROTOCOL,
		    "external address", r > 0 ? r : 0);
	}
	if (a.s_addr == 0)
		return upnp_fail(ph, AF_INET, PORTHOLE_ERR_NETWORK, "external address", 0);
	ph->ext = a;
	UPNP_GetStatusInfo(ph->upnp->urls.controlURL, ph->upnp->data.first.servicetype,
	    status, &uptime, lasterr);
	ph->warn_reserved = phc_addr_reserved(a) || strcmp(status, "Connected") != 0;
	return 0;
}

static int
upnp_code(int r)
{
	switch (r) {
	case UPNPCOMMAND_SUCCESS:
		return 0;
	case UPNP_ERR_CONFLICT:
		return PORTHOLE_ERR_TAKEN;
	case UPNP_ERR_NOT_AUTHORIZED:
		return PORTHOLE_ERR_DENIED;
	case UPNP_ERR_NO_SUCH_ENTRY:
	case UPNP_ERR_PINHOLE_NO_SUCH_ENTRY:
		return PORTHOLE_ERR_NOTMAPPED;
	case 728:
		return PORTHOLE_ERR_NORESOURCES;
	case UPNPCOMMAND_HTTP_ERROR:
	case UPNPCOMMAND_UNKNOWN_ERROR:
		return PORTHOLE_ERR_TIMEOUT;
	}
	return PORTHOLE_ERR_PROTOCOL;
}

/* Who holds ext port: the internal client, or 0 when nobody. */
static int
upnp_lookup(struct porthole *ph, const struct porthole_mapping *m, struct in_addr *client,
    uint32_t *lease)
{
	char port[8], iclient[40] = "", iport[8] = "", desc[80], enabled[4], dur[16] = "";
	int r;

	snprintf(port, sizeof(port), "%u", m->internal_port);
	r = UPNP_GetSpecificPortMappingEntry(ph->upnp->urls.controlURL,
	    ph->upnp->data.first.servicetype, port, m->proto == IPPROTO_UDP ? "UDP" : "TCP",
	    NULL, iclient, iport, desc, enabled, dur);
	if (r != 0)
		return r;
	if (inet_pton(AF_INET, iclient, client) != 1)
		client->s_addr = 0;
	*lease = (uint32_t)strtoul(dur, NULL, 10);
	return 0;
}

static int
upnp_add(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	char port[8], lease[16], client[INET_ADDRSTRLEN];
	const char *proto = m->proto == IPPROTO_UDP ? "UDP" : "TCP";
	int r;

	snprintf(port, sizeof(port), "%u", m->internal_port);
	snprintf(lease, sizeof(lease), "%u", lifetime);
	inet_ntop(AF_INET, &ph->local, client, sizeof(client));
	r = UPNP_AddPortMapping(ph->upnp->urls.controlURL, ph->upnp->data.first.servicetype,
	    port, port, client, ph->desc, proto, NULL, lease);
	if (r == UPNP_ERR_ONLY_PERMANENT) {
		lifetime = 0;
		r = UPNP_AddPortMapping(ph->upnp->urls.controlURL,
		    ph->upnp->data.first.servicetype, port, port, client, ph->desc, proto,
		    NULL, "0");
	}
	if (r != 0)
		return r;
	m->external_addr = ph->ext;
	m->external_port = m->internal_port;
	m->lifetime = lifetime;
	m->epoch = 0;
	return 0;
}

/*
 * IPv6 pinholes through an IGD's WANIPv6FirewallControl:1. Offered only
 * when it says inbound pinholes are allowed.
 */
static bool
has_6fc(const struct phc_upnp *u)
{
	return u != NULL && u->urls.controlURL_6FC != NULL && u->urls.controlURL_6FC[0] != '\0' &&
	    u->data.IPv6FC.servicetype[0] != '\0';
}

/*
 * The IGD with the firewall service: the one already found for IPv4 when
 * its description has it; else a search for the service itself over IPv6
 * (ff02::c, answered from the router we route through, as the pinholes
 * are for this IPv6 address), then over IPv4 (the gateway decides by its
 * neighbour table that our IPv6 address is ours; an IGD:2 answers a search
 * for IGD:1 with its IGD:1 tree, which has none, as portholed does); else
 * the IGD:1 search after all.
 */
static const struct phc_upnp *
fc6(struct porthole *ph)
{
	static const char st[] = "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1";

	if (has_6fc(ph->upnp))
		return ph->upnp;
	if (ph->has6 && discover(ph, AF_INET6, st, &ph->upnp6) == 0 && has_6fc(ph->upnp6))
		return ph->upnp6;
	if (ph->gw.s_addr == 0)
		return NULL;
	if (discover(ph, AF_INET, st, &ph->upnp6) == 0 && has_6fc(ph->upnp6))
		return ph->upnp6;
	return upnp_discover(ph) == 0 && has_6fc(ph->upnp) ? ph->upnp : NULL;
}

static int
upnp_probe6(struct porthole *ph)
{
	const struct phc_upnp *u = fc6(ph);
	int enabled = 0, allowed = 0, r;

	if (u == NULL)
		return phc_fail(ph, PORTHOLE_ERR_UNSUPPORTED, "no UPnP IGD with a "
		    "WANIPv6FirewallControl service answered: the router opens no IPv6 pinholes "
		    "over UPnP");
	r = UPNP_GetFirewallStatus(u->urls.controlURL_6FC, u->data.IPv6FC.servicetype, &enabled,
	    &allowed);
	if (r != 0) {
		upnp_fini(ph);	/* discover again next time: it may have restarted */
		return upnp_fail(ph, AF_INET6, r < 0 ? PORTHOLE_ERR_TIMEOUT : upnp_code(r),
		    "IPv6 firewall status", r > 0 ? r : 0);
	}
	if (!allowed)
		return phc_fail(ph, PORTHOLE_ERR_UNSUPPORTED, "the router's UPnP IGD says it "
		    "allows no inbound IPv6 pinholes (InboundPinholeAllowed=0)");
	return 0;
}

static int
pinhole_add(const struct phc_upnp *u, struct porthole_mapping *m, const char *lease)
{
	char port[8], client[INET6_ADDRSTRLEN], uid[16] = "", proto[4];
	unsigned long id;
	char *end;
	int r;

	snprintf(port, sizeof(port), "%u", m->internal_port);
	snprintf(proto, sizeof(proto), "%u", m->proto);
	inet_ntop(AF_INET6, &m->address6, client, sizeof(client));
	/* Any remote host and port: "" is how miniupnpc's own tools say the wildcard. */
	r = UPNP_AddPinhole(u->urls.controlURL_6FC, u->data.IPv6FC.servicetype, "", "0", client,
	    port, proto, lease, uid);
	if (r != 0)
		return r;
	id = strtoul(uid, &end, 10);
	if (uid[0] == '\0' || *end != '\0' || id > 65535)
		return UPNPCOMMAND_INVALID_RESPONSE;
	m->pinhole_id = (uint32_t)id;
	return 0;
}

/* A renewal updates the UniqueID it has; a pinhole the router forgot is added again. */
static int
pinhole_map(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	const struct phc_upnp *u = fc6(ph);
	const char *ctl = u->urls.controlURL_6FC, *st = u->data.IPv6FC.servicetype;
	char label[16], lease[16], uid[16];
	int r;

	phc_port_label(label, sizeof(label), m);
	snprintf(uid, sizeof(uid), "%u", m->pinhole_id);
	if (lifetime == 0) {
		r = UPNP_DeletePinhole(ctl, st, uid);
		return r == 0 || r == UPNP_ERR_PINHOLE_NO_SUCH_ENTRY ? 0 :
		    upnp_fail(ph, AF_INET6, upnp_code(r), label, r > 0 ? r : 0);
	}
	if (lifetime > PINHOLE_LEASE_MAX)
		lifetime = PINHOLE_LEASE_MAX;
	snprintf(lease, sizeof(lease), "%u", lifetime);
	r = m->external_port != 0 ? UPNP_UpdatePinhole(ctl, st, uid, lease) :
	    UPNP_ERR_PINHOLE_NO_SUCH_ENTRY;
	if (r == UPNP_ERR_PINHOLE_NO_SUCH_ENTRY)
		r = pinhole_add(u, m, lease);
	if (r != 0)
		return upnp_fail(ph, AF_INET6, upnp_code(r), label, r > 0 ? r : 0);
	m->external_port = m->internal_port;
	m->lifetime = lifetime;
	m->epoch = 0;
	return 0;
}

static int
upnp_map(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	char label[16], port[8], holder[INET_ADDRSTRLEN];
	struct in_addr who;
	uint32_t left;
	int r, rc;

	phc_port_label(label, sizeof(label), m);
	if (m->family == AF_INET6)
		return (rc = upnp_probe6(ph)) != 0 ? rc : pinhole_map(ph, m, lifetime);
	if ((rc = upnp_probe(ph)) != 0)
		return rc;
	if (lifetime == 0) {
		snprintf(port, sizeof(port), "%u", m->external_port);
		r = UPNP_DeletePortMapping(ph->upnp->urls.controlURL,
		    ph->upnp->data.first.servicetype, port,
		    m->proto == IPPROTO_UDP ? "UDP" : "TCP", NULL);
		/* Already gone is as good as deleted. */
		return r == 0 || r == UPNP_ERR_NO_SUCH_ENTRY ? 0 :
		    upnp_fail(ph, AF_INET, upnp_code(r), label, r);
	}
	r = upnp_add(ph, m, lifetime);
	if (r == UPNP_ERR_CONFLICT && upnp_lookup(ph, m, &who, &left) == 0) {
		m->holder = who;
		inet_ntop(AF_INET, &who, holder, sizeof(holder));
		return phc_fail(ph, PORTHOLE_ERR_TAKEN, "%s: the external port is held by %s "
		    "on the LAN: free it there or remove that mapping in the router", label,
		    holder);
	}
	if (r != 0)
		return upnp_fail(ph, AF_INET, upnp_code(r), label, r > 0 ? r : 0);
	/* IGDv2 may shorten the lease; the entry says what it granted. */
	if (lifetime != 0 && upnp_lookup(ph, m, &who, &left) == 0 && left > 0 &&
	    left < m->lifetime)
		m->lifetime = left;
	return 0;
}

/* A pinhole stands while the router still counts packets for its UniqueID. */
static int
pinhole_query(struct porthole *ph, struct porthole_mapping *m, const char *label)
{
	const struct phc_upnp *u;
	char uid[16];
	int packets = 0, r, rc;

	if ((rc = upnp_probe6(ph)) != 0)
		return rc;
	u = fc6(ph);
	snprintf(uid, sizeof(uid), "%u", m->pinhole_id);
	r = UPNP_GetPinholePackets(u->urls.controlURL_6FC, u->data.IPv6FC.servicetype, uid,
	    &packets);
	if (r == UPNP_ERR_PINHOLE_NO_SUCH_ENTRY)
		return phc_fail(ph, PORTHOLE_ERR_LOST, "%s: the gateway no longer has this IPv6 "
		    "pinhole (restarted, or removed by hand): map again", label);
	return r == 0 ? 0 : upnp_fail(ph, AF_INET6, upnp_code(r), label, r > 0 ? r : 0);
}

/* The entry must still exist and still point at us. */
static int
upnp_query(struct porthole *ph, struct porthole_mapping *m)
{
	char label[16], holder[INET_ADDRSTRLEN];
	struct in_addr who;
	uint32_t left;
	int r, rc;

	phc_port_label(label, sizeof(label), m);
	if (m->family == AF_INET6)
		return pinhole_query(ph, m, label);
	if ((rc = upnp_probe(ph)) != 0)
		return rc;
	r = upnp_lookup(ph, m, &who, &left);
	if (r == UPNP_ERR_NO_SUCH_ENTRY)
		return phc_fail(ph, PORTHOLE_ERR_LOST, "%s: the gateway no longer has this "
		    "mapping (restarted, or removed by hand): map again", label);
	if (r != 0)
		return upnp_fail(ph, AF_INET, upnp_code(r), label, r > 0 ? r : 0);
	if (who.s_addr != m->internal_addr.s_addr) {
		m->holder = who;
		inet_ntop(AF_INET, &who, holder, sizeof(holder));
		return phc_fail(ph, PORTHOLE_ERR_TAKEN, "%s: now held by %s", label, holder);
	}
	return 0;
}

/*
 * Who holds m's port on the gateway, asked over UPnP whatever protocol we
 * map with (the lease table behind it is one): 0 with *holder (0.0.0.0 when
 * nobody) and *lease (seconds left, 0 = permanent; lease may be NULL), or
 * an error when there is no IGD to ask.
 */
int
phc_upnp_holder(struct porthole *ph, const struct porthole_mapping *m, struct in_addr *holder,
    uint32_t *lease)
{
	uint32_t left = 0;
	int r;

	if (ph->upnp_absent)
		return PORTHOLE_ERR_UNSUPPORTED;
	if (upnp_discover(ph) != 0) {
		ph->upnp_absent = true;
		return PORTHOLE_ERR_UNSUPPORTED;
	}
	r = upnp_lookup(ph, m, holder, &left);
	if (r == UPNP_ERR_NO_SUCH_ENTRY) {
		holder->s_addr = 0;
		r = 0;
	}
	if (lease != NULL)
		*lease = left;
	return r == 0 ? 0 : upnp_code(r);
}

const struct phc_method phc_upnp = {
	.id = PORTHOLE_UPNP,
	.probe = upnp_probe,
	.probe6 = upnp_probe6,
	.map = upnp_map,
	.query = upnp_query,
	.fini = upnp_fini,
};
