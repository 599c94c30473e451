/*
 * soap_actions: the WANIPConnection:1/2, WANCommonInterfaceConfig:1 and
 * Layer3Forwarding:1 actions, translated into lease-table calls.
 *
 * The control URL decides the rules: WANIPConnection:1 keeps v1 leases
 * (0 = permanent), WANIPConnection:2 applies IGD2's (0 -> 604800, at most
 * 604800) and its errors (601, 606, 732, 733). Mappings are listed whoever
 * made them (NAT-PMP, PCP, static), because the lease table is one.
 *
 * A control point on IPv6 has no IPv4 address of its own here; the
 * neighbour table says which IPv4 addresses are its host's (the same
 * link-layer address, neigh.h), and those it may map and manage as a
 * control point on IPv4 does its own. Any other is a third party.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "event.h"
#include "lease.h"
#include "log.h"
#include "neigh.h"
#include "pcp_wire.h"
#include "policy.h"
#include "stats.h"
#include "upnp.h"
#include "upstream.h"

#define V2_MAX_LEASE	604800
#define LIST_MAX	1000	/* entries in one GetListOfPortMappings answer */

struct act {
	enum upnp_svc		 svc;
	int			 ver;		/* WANIPConnection version */
	const struct soap_req	*rq;
	const char		*soapaction;	/* the header, NULL when absent */
	struct in_addr		 peer;		/* 0.0.0.0 for a peer on IPv6 */
	const struct in6_addr	*peer6;		/* IPv4 as ::ffff:a.b.c.d */
	struct in_addr		 requester;	/* for the rules and quotas: peer, or
						   its IPv4 address (peer on IPv6) */
	struct in_addr		 asked;		/* the last address is_callers() */
	bool			 asked_same;	/* looked up, and its answer */
	struct soap_wait	*wait;		/* NULL: the answer cannot wait */
	struct sbuf		*out;
	char			 type[128];	/* service type echoed back */
	struct request_result	 res;		/* for the operator: what was refused, why */
};

/* A mapping refused: the error code, and the reason decided with it. */
static int
refuse(struct act *a, int code, enum refusal why)
{
	return request_refuse(&a->res, code, why);
}

/* --- arguments ------------------------------------------------------------ */

static int
arg_ulong(const struct act *a, const char *name, unsigned long max, unsigned long *v)
{
	const char *s = soap_arg(a->rq, name);
	unsigned long n = 0;

	if (!s)
		return UPNP_INVALID_ARGS;
	while (*s == ' ')
		s++;
	if (!*s)
		return UPNP_INVALID_ARGS;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > max)
			return a->ver == 2 ? UPNP_ARG_OUT_OF_RANGE : UPNP_INVALID_ARGS;
	}
	while (*s == ' ')
		s++;
	if (*s)
		return UPNP_INVALID_ARGS;
	*v = n;
	return 0;
}

static int
arg_port(const struct act *a, const char *name, uint16_t *port)
{
	unsigned long v;
	int rc = arg_ulong(a, name, 65535, &v);

	if (rc == 0)
		*port = (uint16_t)v;
	return rc;
}

static int
arg_proto(const struct act *a, uint8_t *proto)
{
	const char *s = soap_arg(a->rq, "NewProtocol");

	if (!s)
		return UPNP_INVALID_ARGS;
	if (strcasecmp(s, "TCP") == 0)
		*proto = IPPROTO_TCP;
	else if (strcasecmp(s, "UDP") == 0)
		*proto = IPPROTO_UDP;
	else
		return a->ver == 2 ? UPNP_ARG_OUT_OF_RANGE : UPNP_INVALID_ARGS;
	return 0;
}

static int
arg_bool(const struct act *a, const char *name, bool *v)
{
	const char *s = soap_arg(a->rq, name);

	if (!s)
		return UPNP_INVALID_ARGS;
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes"))
		*v = true;
	else if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no"))
		*v = false;
	else
		return UPNP_INVALID_ARGS;
	return 0;
}

/* NewRemoteHost: empty (or absent) is the wildcard. */
static int
arg_remote(const struct act *a, struct in_addr *r, bool *given)
{
	const char *s = soap_arg(a->rq, "NewRemoteHost");

	r->s_addr = INADDR_ANY;
	*given = false;
	if (!s || !*s || !strcmp(s, "*") || !strcmp(s, "0.0.0.0"))
		return 0;
	if (inet_pton(AF_INET, s, r) != 1)
		return UPNP_INVALID_ARGS;
	*given = true;
	return 0;
}

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

/* --- output helpers ------------------------------------------------------- */

static void
begin(struct act *a)
{
	soap_begin(a->out, a->rq->action, a->type);
}

static void
end(struct act *a)
{
	soap_end(a->out, a->rq->action);
}

static void
add_addr(struct act *a, const char *name, struct in_addr addr, bool empty_if_any)
{
	char s[INET_ADDRSTRLEN] = "";

	if (!(empty_if_any && addr.s_addr == INADDR_ANY))
		inet_ntop(AF_INET, &addr, s, sizeof(s));
	soap_add(a->out, name, s);
}

static void
add_entry(struct act *a, const struct lease *l, bool with_key)
{
	if (with_key) {
		add_addr(a, "NewRemoteHost", l->remote, true);
		soap_addu(a->out, "NewExternalPort", l->ext_port);
		soap_add(a->out, "NewProtocol", l->proto == IPPROTO_TCP ? "TCP" : "UDP");
	}
	soap_addu(a->out, "NewInternalPort", l->int_port);
	add_addr(a, "NewInternalClient", l->int_addr, false);
	soap_add(a->out, "NewEnabled", l->disabled ? "0" : "1");
	soap_add(a->out, "NewPortMappingDescription", l->desc);
	soap_addu(a->out, "NewLeaseDuration", lease_seconds_left(l));
}

/*
 * Is addr the caller's own address? A caller on IPv6 has none here: addr is
 * its own when the neighbour table gives it the caller's link-layer address.
 * wait: an address the table does not know yet may be waited for (for the
 * one address a mapping is asked for; a walk of the table does not wait):
 * then -1, and the action answers SOAP_WAIT (soap_neigh). Else 1 or 0.
 */
static int
is_callers(struct act *a, struct in_addr addr, bool wait)
{
	enum neigh_verdict v;
	struct in6_addr m;

	if (IN6_IS_ADDR_V4MAPPED(a->peer6) || addr.s_addr == INADDR_ANY)
		return addr.s_addr == a->peer.s_addr;
	if (addr.s_addr != a->asked.s_addr) {
		pcp_v4mapped(addr, m.s6_addr);
		v = soap_neigh(a->peer6, &m, wait ? a->wait : NULL);
		if (v == NEIGH_UNKNOWN)
			return -1;
		a->asked = addr;
		a->asked_same = v == NEIGH_SAME;
	}
	return a->asked_same;
}

/* May this requester change or remove the lease? */
static bool
may_touch(struct act *a, const struct lease *l)
{
	if (l->owner == OWNER_STATIC)
		return false;
	return !upnp_st.cfg->secure_mode || is_callers(a, l->int_addr, false) == 1;
}

/* --- adding --------------------------------------------------------------- */

struct add_args {
	struct in_addr	remote, client;
	bool		remote_given, enabled;
	uint16_t	ext, intp;
	uint8_t		proto;
	uint32_t	lifetime;
	const char	*desc;
};

static int
parse_add(const struct act *a, struct add_args *x)
{
	const char *client = soap_arg(a->rq, "NewInternalClient");
	unsigned long lease;

	TRY(arg_remote(a, &x->remote, &x->remote_given));
	TRY(arg_port(a, "NewExternalPort", &x->ext));
	TRY(arg_proto(a, &x->proto));
	TRY(arg_port(a, "NewInternalPort", &x->intp));
	TRY(arg_bool(a, "NewEnabled", &x->enabled));
	TRY(arg_ulong(a, "NewLeaseDuration", UINT32_MAX, &lease));
	x->desc = soap_arg(a->rq, "NewPortMappingDescription");
	if (!client || !x->desc)
		return UPNP_INVALID_ARGS;
	if (x->intp == 0)
		return a->ver == 2 ? UPNP_WILDCARD_INT_PORT : UPNP_INVALID_ARGS;
	if (!*client)
		return UPNP_WILDCARD_SRC_IP;
	if (inet_pton(AF_INET, client, &x->client) != 1 || x->client.s_addr == INADDR_ANY)
		return UPNP_INVALID_ARGS;
	if (a->ver == 2)
		x->lifetime = lease == 0 || lease > V2_MAX_LEASE ? V2_MAX_LEASE : (uint32_t)lease;
	else
		x->lifetime = (uint32_t)lease;
	return 0;
}

/*
 * Who may map what: IGD2 §2.5.16 for unauthenticated control points.
 * The part that does not depend on the external port comes first, so
 * AddAnyPortMapping does not hunt for a port that could never be allowed.
 */
static int
authorize_client(struct act *a, const struct add_args *x)
{
	bool secure = upnp_st.cfg->secure_mode;

	a->res.l4proto = x->proto;
	a->res.ext_port = x->ext;
	a->res.client = x->client;
	if (!IN6_IS_ADDR_V4MAPPED(a->peer6)) {	/* else requester = peer (soap_dispatch) */
		int mine = is_callers(a, x->client, true);
		if (mine < 0)
			return SOAP_WAIT;	/* nothing changed yet: asked again shortly */
		a->requester = mine ? x->client : a->peer;
	}
	if (secure && x->client.s_addr != a->requester.s_addr)
		return refuse(a, a->ver == 2 ? UPNP_NOT_AUTHORIZED : UPNP_CONFLICT,
		    REFUSED_THIRD_PARTY);
	if (secure && a->ver == 2 && x->intp < 1024)
		return refuse(a, UPNP_NOT_AUTHORIZED, REFUSED_POLICY);
	return 0;
}

static int
authorize_port(struct act *a, const struct add_args *x, uint16_t ext)
{
	int deny = a->ver == 2 ? UPNP_NOT_AUTHORIZED : UPNP_CONFLICT;

	if (upnp_st.cfg->secure_mode && a->ver == 2 && ext < 1024)
		return refuse(a, UPNP_NOT_AUTHORIZED, REFUSED_POLICY);
	switch (policy_check(&upnp_st.cfg->policy, ext, x->client, x->intp, a->requester)) {
	case POLICY_ALLOW:
		return 0;
	case POLICY_THIRD_PARTY:
		return refuse(a, deny, REFUSED_THIRD_PARTY);
	case POLICY_DENY:
	default:
		return refuse(a, deny, REFUSED_POLICY);
	}
}

/*
 * Behind another NAT (upstream.h) the mapping just made here is asked for
 * at the gateway in front too. Until that answers, the reply waits
 * (SOAP_WAIT, upnp.h); a refusal there is this action's error, with the
 * code a client knows for it, and the mapping here goes, as it does when
 * the wait is over without an answer: a mapping that cannot work is not
 * granted.
 */
static int
upstream_code(const struct act *a, enum upstream_verdict v)
{
	switch (v) {
	case UPSTREAM_DENIED: return a->ver == 2 ? UPNP_NOT_AUTHORIZED : UPNP_CONFLICT;
	case UPSTREAM_TAKEN: return UPNP_CONFLICT;
	case UPSTREAM_NO_RESOURCES: return UPNP_NO_PORT_MAPS;
	case UPSTREAM_FAILED: return UPNP_ACTION_FAILED;
	default: return 0;
	}
}

static int
upstream_outcome(struct act *a, struct lease *l)
{
	enum upstream_verdict v;
	struct in_addr ext;
	uint32_t lifetime = UINT32_MAX;
	int code;

	v = upstream_answer(l->proto, l->ext_port, &ext, &lifetime);
	if (v == UPSTREAM_PENDING && a->wait && a->wait->may_wait) {
		a->wait->proto = l->proto;
		a->wait->port = l->ext_port;
		return SOAP_WAIT;
	}
	if (v == UPSTREAM_PENDING) {
		log_warnx("upnp: %s %u: the gateway in front did not answer within %d ms; refused",
		    lease_proto_name(l->proto), l->ext_port, SOAP_HOLD_MS);
		v = UPSTREAM_FAILED;
	}
	if (!(code = upstream_code(a, v)))
		return 0;
	lease_remove(l, LEASE_REMOVED);
	return refuse(a, code, REFUSED_UPSTREAM);
}

static int
add_lease(struct act *a, const struct add_args *x, uint16_t ext)
{
	struct lease_req req = {
		.proto = x->proto, .ext_port = ext, .int_addr = x->client,
		.int_port = x->intp, .remote = x->remote, .lifetime = x->lifetime,
		.owner = OWNER_UPNP, .desc = x->desc, .disabled = !x->enabled,
		.requester = a->requester,
	};
	struct lease *l;
	int rc;

	/* Refused in front a moment ago (this request's own wait, or another
	 * client's): said again without a mapping made here and undone. */
	if (!lease_find(x->proto, ext) &&
	    (rc = upstream_code(a, upstream_refusal(x->proto, ext))))
		return refuse(a, rc, REFUSED_UPSTREAM);
	rc = lease_add(&req, &l);

	switch (rc) {
	case 0:
		return upstream_outcome(a, l);
	case -EEXIST:
	case -EADDRINUSE:	/* the gateway's own port */
		return refuse(a, UPNP_CONFLICT, stats_refusal_of(rc));
	case -EADDRNOTAVAIL:	/* not a LAN host: the gateway, network or broadcast */
		return refuse(a, UPNP_INVALID_ARGS, stats_refusal_of(rc));
	case -EDQUOT:
	case -ENOSPC:
		return refuse(a, UPNP_NO_PORT_MAPS, stats_refusal_of(rc));
	default:
		return refuse(a, UPNP_ACTION_FAILED, stats_refusal_of(rc));
	}
}

static int
do_add(struct act *a)
{
	struct add_args x;

	TRY(parse_add(a, &x));
	if (x.ext == 0)
		return UPNP_WILDCARD_EXT_PORT;
	TRY(authorize_client(a, &x));
	TRY(authorize_port(a, &x, x.ext));
	TRY(add_lease(a, &x, x.ext));
	begin(a);
	end(a);
	return 0;
}

static bool
same_host_mapping(const struct lease *l, const struct add_args *x)
{
	return l && l->int_addr.s_addr == x->client.s_addr && l->int_port == x->intp;
}

static int
do_add_any(struct act *a)
{
	struct add_args x;
	uint16_t want, again, port = 0;
	int rc = UPNP_NO_PORT_MAPS;

	TRY(parse_add(a, &x));
	TRY(authorize_client(a, &x));
	want = x.ext ? x.ext : x.intp;
	/* The same host asking again keeps what it has (renewal is idempotent),
	 * and so does this request asked again after its wait (upnp.h). */
	again = a->wait && a->wait->held_port ? a->wait->held_port : x.ext;
	if (again && same_host_mapping(lease_find(x.proto, again), &x) &&
	    authorize_port(a, &x, again) == 0) {
		port = again;
		if ((rc = add_lease(a, &x, port)) == SOAP_WAIT)
			return rc;
	}
	/* Otherwise the nearest free port the policy allows, within a bounded hunt. */
	for (int tries = 0; rc && tries < 64; tries++) {
		port = lease_free_port(x.proto, want);
		if (port == 0)
			return refuse(a, UPNP_NO_PORT_MAPS, REFUSED_FULL);
		rc = authorize_port(a, &x, port);
		if (rc == 0)
			rc = add_lease(a, &x, port);
		if (rc == 0)
			break;
		if (rc != UPNP_NOT_AUTHORIZED && rc != UPNP_CONFLICT)
			return rc;
		rc = UPNP_NO_PORT_MAPS;
		want = port < 1024 ? 1024 : port == 65535 ? 1024 : (uint16_t)(port + 1);
	}
	if (rc)
		return refuse(a, UPNP_NO_PORT_MAPS, REFUSED_FULL);
	begin(a);
	soap_addu(a->out, "NewReservedPort", port);
	end(a);
	return 0;
}

/* --- looking up and deleting ---------------------------------------------- */

static int
find_key(const struct act *a, struct lease **out)
{
	struct in_addr remote;
	bool given;
	uint16_t ext;
	uint8_t proto;
	struct lease *l;

	TRY(arg_remote(a, &remote, &given));
	TRY(arg_port(a, "NewExternalPort", &ext));
	TRY(arg_proto(a, &proto));
	l = lease_find(proto, ext);
	if (!l || (given && l->remote.s_addr != remote.s_addr))
		return UPNP_NO_SUCH_ENTRY;
	*out = l;
	return 0;
}

static int
do_delete(struct act *a)
{
	struct lease *l;

	TRY(find_key(a, &l));
	if (!may_touch(a, l))
		return UPNP_NOT_AUTHORIZED;
	lease_remove(l, LEASE_REMOVED);
	begin(a);
	end(a);
	return 0;
}

static int
do_get_specific(struct act *a)
{
	struct lease *l;

	TRY(find_key(a, &l));
	begin(a);
	add_entry(a, l, false);
	end(a);
	return 0;
}

static int
do_get_generic(struct act *a)
{
	unsigned long idx;
	struct lease *l;

	TRY(arg_ulong(a, "NewPortMappingIndex", UINT32_MAX, &idx));
	if (idx >= lease_count() || !(l = lease_at(idx)))
		return UPNP_BAD_ARRAY_INDEX;
	begin(a);
	add_entry(a, l, true);
	end(a);
	return 0;
}

struct range {
	uint16_t	start, end;
	uint8_t		proto;
	bool		manage;
};

static int
parse_range(const struct act *a, struct range *r)
{
	TRY(arg_port(a, "NewStartPort", &r->start));
	TRY(arg_port(a, "NewEndPort", &r->end));
	TRY(arg_proto(a, &r->proto));
	TRY(arg_bool(a, "NewManage", &r->manage));
	return r->start > r->end ? UPNP_INCONSISTENT_PARAMS : 0;
}

static int
do_delete_range(struct act *a)
{
	struct range r;
	size_t n = 0;

	TRY(parse_range(a, &r));
	for (unsigned p = r.start; p <= r.end; p++) {
		struct lease *l = lease_find(r.proto, (uint16_t)p);
		if (!l || !may_touch(a, l))
			continue;
		/* NewManage=0, or no right to manage others: the caller's own only. */
		if ((!r.manage || upnp_st.cfg->secure_mode) && is_callers(a, l->int_addr, false) != 1)
			continue;
		lease_remove(l, LEASE_REMOVED);
		n++;
	}
	if (n == 0)
		return UPNP_MAPPING_NOT_FOUND;
	begin(a);
	end(a);
	return 0;
}

static void
list_entry(struct sbuf *b, const struct lease *l)
{
	char rh[INET_ADDRSTRLEN] = "", ic[INET_ADDRSTRLEN];

	if (l->remote.s_addr != INADDR_ANY)
		inet_ntop(AF_INET, &l->remote, rh, sizeof(rh));
	inet_ntop(AF_INET, &l->int_addr, ic, sizeof(ic));
	sbuf_printf(b, "<p:PortMappingEntry><p:NewRemoteHost>%s</p:NewRemoteHost>"
	    "<p:NewExternalPort>%u</p:NewExternalPort><p:NewProtocol>%s</p:NewProtocol>"
	    "<p:NewInternalPort>%u</p:NewInternalPort><p:NewInternalClient>%s</p:NewInternalClient>"
	    "<p:NewEnabled>%d</p:NewEnabled><p:NewDescription>",
	    rh, l->ext_port, l->proto == IPPROTO_TCP ? "TCP" : "UDP", l->int_port, ic,
	    !l->disabled);
	sbuf_xml(b, l->desc);
	sbuf_printf(b, "</p:NewDescription><p:NewLeaseTime>%u</p:NewLeaseTime>"
	    "</p:PortMappingEntry>", lease_seconds_left(l));
}

static int
do_get_list(struct act *a)
{
	struct range r;
	unsigned long want;
	struct sbuf list;
	size_t n = 0;
	char *s;

	TRY(parse_range(a, &r));
	TRY(arg_ulong(a, "NewNumberOfPorts", 65535, &want));
	if (want == 0 || want > LIST_MAX)
		want = LIST_MAX;
	sbuf_init(&list);
	sbuf_add(&list, "<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "xsi:schemaLocation=\"urn:schemas-upnp-org:gw:WANIPConnection "
	    "http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd\">");
	for (unsigned p = r.start; p <= r.end && n < want; p++) {
		struct lease *l = lease_find(r.proto, (uint16_t)p);
		if (!l || (!r.manage && is_callers(a, l->int_addr, false) != 1))
			continue;
		list_entry(&list, l);
		n++;
	}
	sbuf_add(&list, "</p:PortMappingList>");
	s = sbuf_take(&list, NULL);
	if (!s)
		return UPNP_ACTION_FAILED;
	if (n == 0) {
		free(s);
		return UPNP_MAPPING_NOT_FOUND;
	}
	/*
	 * The list is XML inside a string argument. CDATA keeps it readable to
	 * miniupnpc, whose reply parser does not decode entities; the list
	 * cannot hold "]]>" because every value in it is already escaped.
	 */
	begin(a);
	sbuf_printf(a->out, "<NewPortListing><![CDATA[%s]]></NewPortListing>", s);
	end(a);
	free(s);
	return 0;
}

/* --- connection state ----------------------------------------------------- */

static int
do_external_ip(struct act *a)
{
	begin(a);
	add_addr(a, "NewExternalIPAddress", lease_external(), false);
	end(a);
	return 0;
}

static int
do_status(struct act *a)
{
	uint64_t up = (mono_ms() - upnp_st.gw.start_ms) / 1000;

	begin(a);
	soap_add(a->out, "NewConnectionStatus",
	    lease_external().s_addr != INADDR_ANY ? "Connected" : "Disconnected");
	soap_add(a->out, "NewLastConnectionError", "ERROR_NONE");
	soap_addu(a->out, "NewUptime", (unsigned long)up);
	end(a);
	return 0;
}

static int
do_conn_type(struct act *a)
{
	begin(a);
	soap_add(a->out, "NewConnectionType", "IP_Routed");
	soap_add(a->out, "NewPossibleConnectionTypes", "IP_Routed");
	end(a);
	return 0;
}

static int
do_set_conn_type(struct act *a)
{
	const char *t = soap_arg(a->rq, "NewConnectionType");

	if (!t || strcmp(t, "IP_Routed") != 0)
		return UPNP_INVALID_ARGS;
	begin(a);
	end(a);
	return 0;
}

static int
do_empty(struct act *a)
{
	begin(a);
	end(a);
	return 0;
}

/* A LAN host may not take the gateway's WAN link down. */
static int
do_force_termination(struct act *a)
{
	(void)a;
	return UPNP_NOT_AUTHORIZED;
}

static int
do_nat_rsip(struct act *a)
{
	begin(a);
	soap_add(a->out, "NewRSIPAvailable", "0");
	soap_add(a->out, "NewNATEnabled", "1");
	end(a);
	return 0;
}

/* --- WANCommonInterfaceConfig and Layer3Forwarding -------------------------- */

static int
do_link_props(struct act *a)
{
	unsigned long rate = upnp_wan_bitrate(upnp_st.cfg->ext_ifname);

	begin(a);
	soap_add(a->out, "NewWANAccessType", "Ethernet");
	soap_addu(a->out, "NewLayer1UpstreamMaxBitRate", rate);
	soap_addu(a->out, "NewLayer1DownstreamMaxBitRate", rate);
	soap_add(a->out, "NewPhysicalLinkStatus", upnp_wan_up(upnp_st.cfg->ext_ifname) ? "Up" : "Down");
	end(a);
	return 0;
}

static int
do_totals(struct act *a)
{
	uint64_t v[4] = { 0 };	/* rx bytes, tx bytes, rx packets, tx packets */
	static const struct { const char *action, *arg; int i; } map[] = {
		{ "GetTotalBytesSent", "NewTotalBytesSent", 1 },
		{ "GetTotalBytesReceived", "NewTotalBytesReceived", 0 },
		{ "GetTotalPacketsSent", "NewTotalPacketsSent", 3 },
		{ "GetTotalPacketsReceived", "NewTotalPacketsReceived", 2 },
	};

	if (upnp_wan_stats(upnp_st.cfg->ext_ifname, &v[0], &v[1], &v[2], &v[3]) < 0)
		return UPNP_ACTION_FAILED;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(a->rq->action, map[i].action) != 0)
			continue;
		begin(a);
		/* ui4 in the SCPD: the counter modulo 2^32, as clients expect. */
		soap_addu(a->out, map[i].arg, (unsigned long)(v[map[i].i] & 0xffffffffu));
		end(a);
		return 0;
	}
	return UPNP_INVALID_ACTION;
}

static int
do_enabled_for_internet(struct act *a)
{
	begin(a);
	soap_add(a->out, "NewEnabledForInternet", "1");
	end(a);
	return 0;
}

static void
default_conn_service(char *buf, size_t len)
{
	snprintf(buf, len, "uuid:%s:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1",
	    upnp_st.uuid[UPNP_DEV_CONN]);
}

static int
do_get_default_conn(struct act *a)
{
	char s[160];

	default_conn_service(s, sizeof(s));
	begin(a);
	soap_add(a->out, "NewDefaultConnectionService", s);
	end(a);
	return 0;
}

static int
do_set_default_conn(struct act *a)
{
	const char *v = soap_arg(a->rq, "NewDefaultConnectionService");
	char s[160];

	default_conn_service(s, sizeof(s));
	if (!v || strcmp(v, s) != 0)
		return UPNP_INVALID_ARGS;
	begin(a);
	end(a);
	return 0;
}

/* --- dispatch ------------------------------------------------------------- */

#define IPC	(1u << SVC_WANIPC1 | 1u << SVC_WANIPC2)
#define IPC2	(1u << SVC_WANIPC2)
#define CIC	(1u << SVC_WANCIC1)
#define L3F	(1u << SVC_L3F1)

static const struct {
	const char	*name;
	unsigned	 svcs;
	int		(*fn)(struct act *a);
} actions[] = {
	{ "AddPortMapping", IPC, do_add },
	{ "AddAnyPortMapping", IPC2, do_add_any },
	{ "DeletePortMapping", IPC, do_delete },
	{ "DeletePortMappingRange", IPC2, do_delete_range },
	{ "GetGenericPortMappingEntry", IPC, do_get_generic },
	{ "GetSpecificPortMappingEntry", IPC, do_get_specific },
	{ "GetListOfPortMappings", IPC2, do_get_list },
	{ "GetExternalIPAddress", IPC, do_external_ip },
	{ "GetStatusInfo", IPC, do_status },
	{ "GetConnectionTypeInfo", IPC, do_conn_type },
	{ "SetConnectionType", IPC, do_set_conn_type },
	{ "RequestConnection", IPC, do_empty },
	{ "ForceTermination", IPC, do_force_termination },
	{ "GetNATRSIPStatus", IPC, do_nat_rsip },
	{ "GetCommonLinkProperties", CIC, do_link_props },
	{ "GetTotalBytesSent", CIC, do_totals },
	{ "GetTotalBytesReceived", CIC, do_totals },
	{ "GetTotalPacketsSent", CIC, do_totals },
	{ "GetTotalPacketsReceived", CIC, do_totals },
	{ "GetEnabledForInternet", CIC, do_enabled_for_internet },
	{ "GetDefaultConnectionService", L3F, do_get_default_conn },
	{ "SetDefaultConnectionService", L3F, do_set_default_conn },
};

void
upnp_service_type(enum upnp_svc svc, char *buf, size_t len)
{
	const struct upnp_service *s = upnp_service(svc);

	snprintf(buf, len, "urn:schemas-upnp-org:service:%s:%u", s->name, s->ver);
}

/* The body's service must be ours at this URL, at our version or lower. */
static bool
service_ok(enum upnp_svc svc, const char *ns)
{
	const struct upnp_service *s = upnp_service(svc);
	char pfx[96];
	size_t pl;

	pl = (size_t)snprintf(pfx, sizeof(pfx), "urn:schemas-upnp-org:service:%s:", s->name);
	if (strncmp(ns, pfx, pl) != 0)
		return false;
	ns += pl;
	return ns[0] >= '1' && ns[0] <= '0' + s->ver && ns[1] == '\0';
}

/* SOAPACTION: "urn:...:service:NAME:V#Action", quotes optional. */
static bool
soapaction_ok(const char *hdr, const char *action)
{
	const char *hash;
	size_t al = strlen(action);

	if (!hdr)
		return true;
	hash = strrchr(hdr, '#');
	if (!hash || strncmp(hash + 1, action, al) != 0)
		return false;
	return hash[1 + al] == '\0' || (hash[1 + al] == '"' && hash[2 + al] == '\0');
}

static int
run_action(struct act *a)
{
	if (!service_ok(a->svc, a->rq->service) || !soapaction_ok(a->soapaction, a->rq->action))
		return UPNP_INVALID_ACTION;
	/* Answer in the namespace asked in: a v1 client may call a v2 service. */
	snprintf(a->type, sizeof(a->type), "%s", a->rq->service);
	if (a->svc == SVC_V6FC1)
		return soap_pinhole_action(a->rq, a->type, a->peer6, a->wait, a->out);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if ((actions[i].svcs & 1u << a->svc) && strcmp(actions[i].name, a->rq->action) == 0)
			return actions[i].fn(a);
	return UPNP_INVALID_ACTION;
}

int
soap_dispatch(enum upnp_svc svc, const char *soapaction, const struct soap_req *rq,
    const struct in6_addr *peer, struct soap_wait *w, struct sbuf *out,
    struct request_result *res)
{
	struct in_addr v4 = { INADDR_ANY };
	struct act a;

	if (IN6_IS_ADDR_V4MAPPED(peer))
		memcpy(&v4, &peer->s6_addr[12], 4);
	a = (struct act){ .svc = svc, .ver = upnp_service(svc)->ver, .rq = rq,
			  .soapaction = soapaction, .peer = v4, .peer6 = peer, .requester = v4, .wait = w,
			  .out = out, .res = { .client = v4 } };
	bool adding = strncmp(rq->action, "Add", 3) == 0;
	int code = run_action(&a);

	if (code == SOAP_WAIT)
		return code;	/* nothing answered yet, so nothing counted */

	/* Only a mapping that was asked for and not made is a refusal; an
	 * AddAnyPortMapping that found a port after refusals made one. */
	if (code == 0 || !adding)
		a.res.refused = false;
	else if (!a.res.refused)
		request_refuse(&a.res, code, REFUSED_MALFORMED);
	a.res.wire = code;
	if (res)
		*res = a.res;
	return code;
}
