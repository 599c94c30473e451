/*
 * soap_pinhole: UPnP IGD:2 WANIPv6FirewallControl:1 over the pinhole table.
 *
 *   GetFirewallStatus           FirewallEnabled=1, InboundPinholeAllowed=1
 *   GetOutboundPinholeTimeout   the kernel's conntrack timeout for the protocol
 *   AddPinhole                  a pinhole; the same five values again renew it
 *   UpdatePinhole, DeletePinhole, GetPinholePackets, CheckPinholeWorking  by UniqueID
 *
 * Errors as the service's tables give them: 402 for arguments that do not
 * parse or a LeaseTime outside 1..86400, 606 when the caller may not open or
 * touch that pinhole, 701 table full, 704 no such UniqueID, 705 a protocol
 * other than TCP (6) or UDP (17), 706 internal port 0, 707 protocol 65535,
 * 708 an empty (wildcard) InternalClient, 709 no packet through the pinhole.
 *
 * Who may open what: with secure_mode (the default) the caller must be the
 * internal client's own host, which the neighbour table decides (the same
 * link-layer address; the caller may speak IPv4 and name its IPv6 address),
 * or a `third-party` rule must allow it; then the IPv6 rules decide as for
 * PCP. UpdatePinhole and DeletePinhole follow the same test for the
 * pinhole's address; a static pinhole is the admin's and stays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lan6.h"
#include "neigh.h"
#include "pinhole.h"
#include "policy.h"
#include "upnp.h"

#define LEASE_MAX	86400
#define PROTO_ANY	65535
#define DESC_UPNP6	"UPnP pinhole"

struct call {
	const struct soap_req	*rq;
	const char		*type;
	struct in6_addr		 peer;		/* IPv4 peers as ::ffff:a.b.c.d */
	struct soap_wait	*wait;		/* NULL: the answer cannot wait */
	struct sbuf		*out;
};

static int
arg_num(const struct call *c, const char *name, unsigned long max, unsigned long *v)
{
	const char *s = soap_arg(c->rq, name);
	char *end;

	if (!s || *s < '0' || *s > '9' || strlen(s) > 10)
		return 402;
	*v = strtoul(s, &end, 10);
	return *end || *v > max ? 402 : 0;
}

/* "" or a wildcard = any; otherwise one IPv6 address. */
static int
arg_addr(const struct call *c, const char *name, bool *any, struct in6_addr *a)
{
	const char *s = soap_arg(c->rq, name);

	if (!s)
		return 402;
	*any = s[0] == '\0' || strcmp(s, "*") == 0;
	*a = in6addr_any;
	return *any || inet_pton(AF_INET6, s, a) == 1 ? 0 : 402;
}

/* Is the caller the host of addr (or is secure_mode off)? NEIGH_UNKNOWN
 * while the table is still resolving it and the answer may wait. */
static enum neigh_verdict
same_host(const struct call *c, const struct in6_addr *addr)
{
	if (!upnp_st.cfg->secure_mode || memcmp(&c->peer, addr, sizeof(*addr)) == 0)
		return NEIGH_SAME;
	return soap_neigh(&c->peer, addr, c->wait);
}

static int
authorize(const struct call *c, const struct in6_addr *addr, uint16_t port)
{
	enum neigh_verdict v;

	if (!lan6_prefix_of(addr, 0) || lan6_is_own(addr) || !pinhole_addr_ok(addr))
		return 606;
	if ((v = same_host(c, addr)) == NEIGH_UNKNOWN)
		return SOAP_WAIT;	/* nothing changed yet: asked again shortly */
	switch (policy_check6(&upnp_st.cfg->policy, port, addr, v == NEIGH_SAME)) {
	case POLICY_ALLOW:
		return 0;
	default:
		return 606;
	}
}

static int
add_error(int rc)
{
	switch (rc) {
	case -ENOSPC:
	case -EDQUOT:		/* the host's share of the space is used up */
		return 701;
	case -EEXIST:
	case -EINVAL:
		return 606;
	default:
		return 501;
	}
}

static void
reply_begin(struct call *c)
{
	soap_begin(c->out, c->rq->action, c->type);
}

static void
reply_end(struct call *c)
{
	soap_end(c->out, c->rq->action);
}

static int
get_status(struct call *c)
{
	reply_begin(c);
	soap_add(c->out, "FirewallEnabled", "1");
	soap_add(c->out, "InboundPinholeAllowed", "1");
	reply_end(c);
	return 0;
}

/* The five values that name a pinhole's flow, checked in the spec's order. */
struct flow {
	bool		 remote_any, client_any;
	struct in6_addr	 remote, client;
	unsigned long	 rport, iport, proto;
};

static int
read_flow(const struct call *c, struct flow *f)
{
	int rc;

	if ((rc = arg_addr(c, "RemoteHost", &f->remote_any, &f->remote)) ||
	    (rc = arg_num(c, "RemotePort", 65535, &f->rport)) ||
	    (rc = arg_addr(c, "InternalClient", &f->client_any, &f->client)) ||
	    (rc = arg_num(c, "InternalPort", 65535, &f->iport)) ||
	    (rc = arg_num(c, "Protocol", 65535, &f->proto)))
		return rc;
	if (f->client_any)
		return 708;
	if (f->proto == PROTO_ANY)
		return 707;
	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return 705;
	if (f->iport == 0)
		return 706;
	return 0;
}

/* What the kernel keeps an idle outbound flow for (conntrack's own timeouts). */
static unsigned long
conntrack_timeout(unsigned long proto)
{
	const char *path = proto == IPPROTO_TCP ?
	    "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established" :
	    "/proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream";
	unsigned long v = proto == IPPROTO_TCP ? 432000 : 120;	/* the kernel's defaults */
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = proto == IPPROTO_TCP ? 432000 : 120;
		fclose(f);
	}
	return v;
}

static int
get_outbound_timeout(struct call *c)
{
	struct flow f;
	int rc;

	if ((rc = read_flow(c, &f)) != 0)
		return rc;
	reply_begin(c);
	soap_addu(c->out, "OutboundPinholeTimeout", conntrack_timeout(f.proto));
	reply_end(c);
	return 0;
}

static int
add_pinhole(struct call *c)
{
	struct flow f;
	unsigned long lease;
	struct pinhole *p;
	int rc;

	if ((rc = read_flow(c, &f)) != 0 || (rc = arg_num(c, "LeaseTime", LEASE_MAX, &lease)))
		return rc;
	if (lease == 0)
		return 402;
	if ((rc = authorize(c, &f.client, (uint16_t)f.iport)) != 0)
		return rc;
	p = pinhole_find((uint8_t)f.proto, &f.client, (uint16_t)f.iport);
	if (p && (p->owner != OWNER_UPNP || memcmp(&p->remote, &f.remote, 16) != 0 ||
	    p->remote_port != f.rport))
		return 606;	/* held by PCP or the admin, or with another filter */
	struct pinhole_req req = {
		.proto = (uint8_t)f.proto, .int_addr = f.client, .int_port = (uint16_t)f.iport,
		.remote = f.remote, .remote_port = (uint16_t)f.rport, .lifetime = (uint32_t)lease,
		.owner = OWNER_UPNP, .desc = DESC_UPNP6, .requester = c->peer,
	};
	if ((rc = pinhole_add(&req, &p)) < 0)
		return add_error(rc);
	reply_begin(c);
	soap_addu(c->out, "UniqueID", p->id);
	reply_end(c);
	return 0;
}

/* The pinhole UniqueID names, if the caller may touch it: 0, 704, 606 or SOAP_WAIT. */
static int
by_id(const struct call *c, struct pinhole **out)
{
	unsigned long id;
	int rc;

	if ((rc = arg_num(c, "UniqueID", 65535, &id)) != 0)
		return rc;
	if (!(*out = pinhole_find_id((uint16_t)id)))
		return 704;
	if ((*out)->owner == OWNER_STATIC)
		return 606;
	switch (same_host(c, &(*out)->int_addr)) {
	case NEIGH_SAME:
		return 0;
	case NEIGH_UNKNOWN:
		return SOAP_WAIT;
	default:
		return 606;
	}
}

static int
update_pinhole(struct call *c)
{
	struct pinhole *p;
	unsigned long lease;
	int rc;

	if ((rc = by_id(c, &p)) != 0 || (rc = arg_num(c, "NewLeaseTime", LEASE_MAX, &lease)))
		return rc;
	if (lease == 0)
		return 402;
	pinhole_renew(p, (uint32_t)lease);
	reply_begin(c);
	reply_end(c);
	return 0;
}

static int
delete_pinhole(struct call *c)
{
	struct pinhole *p;
	int rc;

	if ((rc = by_id(c, &p)) != 0)
		return rc;
	pinhole_remove(p, LEASE_REMOVED);
	reply_begin(c);
	reply_end(c);
	return 0;
}

/* Inbound packets the kernel counted for p (one dump of the counter sets). */
static unsigned long
packets_of(const struct pinhole *p)
{
	struct lease_traffic *t = pinhole_traffic();
	unsigned long n = t ? (unsigned long)t[p->dense_idx].packets : 0;

	free(t);
	return n > 0xffffffffUL ? 0xffffffffUL : n;
}

static int
get_packets(struct call *c)
{
	struct pinhole *p;
	int rc;

	if ((rc = by_id(c, &p)) != 0)
		return rc;
	reply_begin(c);
	soap_addu(c->out, "PinholePackets", packets_of(p));
	reply_end(c);
	return 0;
}

/* Working = packets went through it; none yet is 709, as the service says. */
static int
check_working(struct call *c)
{
	struct pinhole *p;
	int rc;

	if ((rc = by_id(c, &p)) != 0)
		return rc;
	if (packets_of(p) == 0)
		return 709;
	reply_begin(c);
	soap_add(c->out, "IsWorking", "1");
	reply_end(c);
	return 0;
}

int
soap_pinhole_action(const struct soap_req *rq, const char *svc_type, const struct in6_addr *peer,
    struct soap_wait *w, struct sbuf *out)
{
	static const struct { const char *name; int (*fn)(struct call *c); } actions[] = {
		{ "GetFirewallStatus", get_status },
		{ "GetOutboundPinholeTimeout", get_outbound_timeout },
		{ "AddPinhole", add_pinhole },
		{ "UpdatePinhole", update_pinhole },
		{ "DeletePinhole", delete_pinhole },
		{ "GetPinholePackets", get_packets },
		{ "CheckPinholeWorking", check_working },
	};
	struct call c = { rq, svc_type, *peer, w, out };

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, rq->action) == 0)
			return actions[i].fn(&c);
	return 401;
}
