/*
 * client: the handle and the protocol order. A mapping
 * request goes to the protocol that answered before; the first time, PCP,
 * NAT-PMP and UPnP are probed in turn (or only the forced one). Every
 * failure leaves a sentence in ph->err (message.c) saying what went wrong
 * and what to do about it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phc.h"

PORTHOLE_API void
porthole_opts_init(struct porthole_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->method = PORTHOLE_AUTO;
	o->lifetime = PHC_DEFAULT_LIFETIME;
	o->timeout_ms = PHC_DEFAULT_TIMEOUT;
}

/* The IPv4 gateway, given or the default route's, and our address toward it. */
static int
open4(struct porthole *ph, const struct porthole_opts *o)
{
	int rc;

	if (o->gateway != NULL) {
		if (inet_pton(AF_INET, o->gateway, &ph->gw) != 1)
			return PORTHOLE_ERR_INVAL;
	} else if ((rc = phc_default_gateway(&ph->gw)) != 0) {
		return rc;
	}
	return phc_local_addr(ph->gw, &ph->local);
}

PORTHOLE_API int
porthole_open(struct porthole **out, const struct porthole_opts *o)
{
	struct porthole *ph;
	struct porthole_opts def;
	int rc = 0;

	*out = NULL;
	if (o == NULL) {
		porthole_opts_init(&def);
		o = &def;
	}
	if (o->method < PORTHOLE_AUTO || o->method > PORTHOLE_UPNP)
		return PORTHOLE_ERR_INVAL;
	if ((ph = calloc(1, sizeof(*ph))) == NULL)
		return PORTHOLE_ERR_SYSTEM;
	ph->o = *o;
	if (ph->o.lifetime == 0)
		ph->o.lifetime = PHC_DEFAULT_LIFETIME;
	if (ph->o.timeout_ms <= 0)
		ph->o.timeout_ms = PHC_DEFAULT_TIMEOUT;
	ph->desc = strdup(o->description != NULL ? o->description : "porthole");
	ph->o.description = ph->desc;
	ph->o.gateway = NULL;	/* the caller's string need not outlive us */
	if (ph->desc == NULL) {
		free(ph);
		return PORTHOLE_ERR_SYSTEM;
	}
	if (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6) {
		porthole_close(ph);
		return PORTHOLE_ERR_INVAL;
	}
	/*
	 * The IPv4 gateway is looked for even for IPv6 alone: its UPnP IGD,
	 * found over IPv4, is the second way to open pinholes.
	 */
	if ((rc = open4(ph, o)) != 0 && o->family != AF_INET6 &&
	    (o->family == AF_INET || rc != PORTHOLE_ERR_NOGATEWAY)) {
		porthole_close(ph);
		return rc;
	}
	ph->has4 = o->family != AF_INET6 && rc == 0;
	ph->o.gateway6 = NULL;
	if (o->gateway6 != NULL && (ph->gateway6 = strdup(o->gateway6)) == NULL) {
		porthole_close(ph);
		return PORTHOLE_ERR_SYSTEM;
	}
	/*
	 * Without a stable global address (or a route) IPv6 is simply not
	 * used; nor when NAT-PMP, which has no IPv6, is forced for both.
	 */
	if (o->family == AF_UNSPEC && o->method == PORTHOLE_NATPMP && ph->has4) {
		*out = ph;
		return 0;
	}
	if (o->family != AF_INET &&
	    (rc = phc_gateway6(o->gateway6, &ph->gw6, &ph->gw6_scope, &ph->gw6_oif,
	    &ph->local6)) != 0 &&
	    (o->family == AF_INET6 || rc == PORTHOLE_ERR_INVAL || !ph->has4)) {
		porthole_close(ph);
		return rc;
	}
	ph->has6 = o->family != AF_INET && rc == 0;
	*out = ph;
	return 0;
}

PORTHOLE_API void
porthole_close(struct porthole *ph)
{
	if (ph == NULL)
		return;
	phc_upnp.fini(ph);
	free(ph->gateway6);
	free(ph->reflector);
	free(ph->reflector_token);
	free(ph->domain);
	free(ph->desc);
	free(ph);
}

PORTHOLE_API const char *
porthole_last_error(const struct porthole *ph)
{
	return ph != NULL && ph->err[0] != '\0' ? ph->err : "no error";
}

PORTHOLE_API struct in_addr
porthole_gateway(const struct porthole *ph)
{
	return ph->gw;
}

PORTHOLE_API int
porthole_families(const struct porthole *ph, struct in6_addr *addr6, struct in6_addr *gw6)
{
	if (ph->has6 && addr6 != NULL)
		*addr6 = ph->local6;
	if (ph->has6 && gw6 != NULL)
		*gw6 = ph->gw6;
	return ph->has4 && ph->has6 ? AF_UNSPEC : ph->has6 ? AF_INET6 : AF_INET;
}

PORTHOLE_API enum porthole_method
porthole_method_used(const struct porthole *ph)
{
	return ph->method;
}

PORTHOLE_API const char *
porthole_method_name(enum porthole_method m)
{
	switch (m) {
	case PORTHOLE_AUTO:
		return "auto";
	case PORTHOLE_PCP:
		return "pcp";
	case PORTHOLE_NATPMP:
		return "natpmp";
	case PORTHOLE_UPNP:
		return "upnp";
	}
	return "?";
}

PORTHOLE_API int
porthole_method_parse(const char *s, enum porthole_method *m)
{
	enum porthole_method i;

	if (s != NULL && strcmp(s, "nat-pmp") == 0)
		s = "natpmp";
	for (i = PORTHOLE_AUTO; s != NULL && i <= PORTHOLE_UPNP; i++)
		if (strcmp(s, porthole_method_name(i)) == 0) {
			*m = i;
			return 0;
		}
	return PORTHOLE_ERR_INVAL;
}

const struct phc_method *
phc_method_ops(enum porthole_method m)
{
	switch (m) {
	case PORTHOLE_PCP:
		return &phc_pcp;
	case PORTHOLE_NATPMP:
		return &phc_natpmp;
	case PORTHOLE_UPNP:
		return &phc_upnp;
	case PORTHOLE_AUTO:
		break;
	}
	return NULL;
}

/*
 * Picks the protocol: the one forced, or the first of PCP, NAT-PMP, UPnP
 * that answers. A definite answer that is not a protocol error (e.g. the
 * WAN is down) stops the search: another protocol would say the same.
 */
int
phc_select(struct porthole *ph)
{
	static const enum porthole_method order[] = { PORTHOLE_PCP, PORTHOLE_NATPMP,
	    PORTHOLE_UPNP };
	char gw[INET_ADDRSTRLEN];
	size_t i;
	int rc, silent = 0;

	if (ph->method != PORTHOLE_AUTO)
		return 0;
	inet_ntop(AF_INET, &ph->gw, gw, sizeof(gw));
	ph->probe_refused = false;
	if (ph->o.method != PORTHOLE_AUTO) {
		if ((rc = phc_method_ops(ph->o.method)->probe(ph)) == 0)
			ph->method = ph->o.method;
		return rc;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		rc = phc_method_ops(order[i])->probe(ph);
		silent += rc == PORTHOLE_ERR_TIMEOUT;
		if (rc == 0) {
			ph->method = order[i];
			phc_log(ph, LOG_DEBUG, "gateway %s speaks %s", gw,
			    porthole_method_name(order[i]));
			return 0;
		}
		if (rc == PORTHOLE_ERR_NETWORK || rc == PORTHOLE_ERR_SYSTEM)
			return rc;
	}
	/* PCP and NAT-PMP both unanswered, not even refused: nobody is there. */
	if (silent >= 2)
		return phc_fail(ph, PORTHOLE_ERR_NOPROTO, "gateway %s does not answer at all "
		    "(no reply to PCP or NAT-PMP, no UPnP IGD): is it up, and is it the "
		    "router? (--gateway names another)", gw);
	return phc_fail(ph, PORTHOLE_ERR_NOPROTO, "gateway %s answers neither PCP, NAT-PMP "
	    "nor UPnP: is port mapping enabled on the router?", gw);
}

/*
 * The same for IPv6 pinholes: PCP over IPv6, then UPnP's
 * WANIPv6FirewallControl. NAT-PMP has no IPv6.
 */
int
phc_select6(struct porthole *ph)
{
	static const enum porthole_method order[] = { PORTHOLE_PCP, PORTHOLE_UPNP };
	const struct phc_method *ops;
	char gw[INET6_ADDRSTRLEN + 2];
	size_t i;
	int rc;

	if (!ph->has6)
		return phc_fail(ph, PORTHOLE_ERR_NOGATEWAY, "no IPv6 here: this host has no "
		    "stable global IPv6 address with an IPv6 default route");
	if (ph->method6 != PORTHOLE_AUTO)
		return 0;
	phc_gw_text(ph, AF_INET6, gw, sizeof(gw));
	if (ph->o.method != PORTHOLE_AUTO) {
		ops = phc_method_ops(ph->o.method);
		if (ops->probe6 == NULL)
			return phc_fail(ph, PORTHOLE_ERR_UNSUPPORTED, "%s has no IPv6: IPv6 "
			    "pinholes are opened with pcp or upnp (or use -4)",
			    porthole_method_name(ph->o.method));
		if ((rc = ops->probe6(ph)) == 0)
			ph->method6 = ph->o.method;
		return rc;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		rc = phc_method_ops(order[i])->probe6(ph);
		if (rc == 0) {
			ph->method6 = order[i];
			phc_log(ph, LOG_DEBUG, "gateway %s opens IPv6 pinholes with %s", gw,
			    porthole_method_name(order[i]));
			return 0;
		}
		if (rc == PORTHOLE_ERR_SYSTEM)
			return rc;
		phc_log(ph, LOG_DEBUG, "%s", ph->err);
	}
	return phc_fail(ph, PORTHOLE_ERR_NOPROTO, "gateway %s opens no IPv6 pinholes: neither "
	    "PCP over IPv6 nor UPnP (WANIPv6FirewallControl) answered: is it enabled on the "
	    "router? (-4 maps IPv4 only)", gw);
}

/*
 * Looks again for the router over IPv6 and this host's stable address (a
 * new prefix, a changed default route). True when the address changed:
 * pinholes must then be opened for the new one.
 */
bool
phc_refresh6(struct porthole *ph, struct in6_addr *was)
{
	struct in6_addr gw, local;
	uint32_t scope, oif;

	if (!ph->has6 || phc_gateway6(ph->gateway6, &gw, &scope, &oif, &local) != 0)
		return false;
	if (memcmp(&gw, &ph->gw6, sizeof(gw)) != 0 || scope != ph->gw6_scope ||
	    oif != ph->gw6_oif) {
		ph->gw6 = gw;
		ph->gw6_scope = scope;
		ph->gw6_oif = oif;
		ph->method6 = ph->o.method == PORTHOLE_AUTO ? PORTHOLE_AUTO : ph->method6;
	}
	if (memcmp(&local, &ph->local6, sizeof(local)) == 0)
		return false;
	*was = ph->local6;
	ph->local6 = local;
	return true;
}

/* A gateway that stopped answering may come back speaking another protocol. */
static void
forget_method(struct porthole *ph, int family, int rc)
{
	if (ph->o.method != PORTHOLE_AUTO ||
	    (rc != PORTHOLE_ERR_TIMEOUT && rc != PORTHOLE_ERR_UNSUPPORTED))
		return;
	if (family == AF_INET6)
		ph->method6 = PORTHOLE_AUTO;
	else
		ph->method = PORTHOLE_AUTO;
}

PORTHOLE_API int
porthole_external_address(struct porthole *ph, struct in_addr *out)
{
	int rc;

	if (ph->method == PORTHOLE_AUTO) {
		if ((rc = phc_select(ph)) != 0)
			return rc;
	} else if ((rc = phc_method_ops(ph->method)->probe(ph)) != 0) {
		forget_method(ph, AF_INET, rc);
		return rc;
	}
	*out = ph->ext;
	return 0;
}

/*
 * PCP and NAT-PMP hand out another external port when ours is held by
 * another host. A server's well-known port elsewhere is no use to its
 * clients, so the stand-in is released and the port reported as taken.
 */
static int
give_back(struct porthole *ph, struct porthole_mapping *m)
{
	char gw[INET6_ADDRSTRLEN + 2], label[16];
	uint16_t got = m->external_port;

	phc_method_ops(m->method)->map(ph, m, 0);
	m->external_port = 0;
	m->lifetime = 0;
	phc_gw_text(ph, m->family, gw, sizeof(gw));
	phc_port_label(label, sizeof(label), m);
	return phc_fail(ph, PORTHOLE_ERR_TAKEN, "%s: gateway %s offered external port %u "
	    "instead: another host holds %u; free it there or remove that mapping in the "
	    "router", label, gw, got, m->internal_port);
}

/*
 * The router refused the port or offered another one: PCP and NAT-PMP do
 * not say why, and UPnP's 718 does not say who. The router's UPnP side
 * lists every mapping, whoever made it, so it is asked who holds the
 * port: another host, a static mapping, or nobody (its rules refuse it).
 */
static int
explain_refusal(struct porthole *ph, struct porthole_mapping *m, int rc)
{
	char who[INET_ADDRSTRLEN], label[16];
	struct in_addr holder;
	uint32_t lease;

	if ((rc != PORTHOLE_ERR_DENIED && rc != PORTHOLE_ERR_TAKEN) ||
	    phc_upnp_holder(ph, m, &holder, &lease) != 0)
		return rc;
	phc_port_label(label, sizeof(label), m);
	inet_ntop(AF_INET, &holder, who, sizeof(who));
	if (holder.s_addr == 0)
		return phc_fail(ph, PORTHOLE_ERR_DENIED, "%s: refused by the router's rules "
		    "(nobody holds port %u): allow this host and port in its port-mapping "
		    "settings", label, m->internal_port);
	m->holder = holder;
	if (lease == 0)
		return phc_fail(ph, PORTHOLE_ERR_STATIC, "%s: held by %s (a static mapping): "
		    "remove it on the router, or use it as it is", label, who);
	if (holder.s_addr == ph->local.s_addr)
		return rc;	/* ours, made by another program: what was said stands */
	return phc_fail(ph, PORTHOLE_ERR_TAKEN, "%s: held by %s on the LAN: free it there, "
	    "or remove that mapping in the router", label, who);
}

/* A mapping behind a second NAT opens nothing to the Internet: say so, once. */
static void
warn_address(struct porthole *ph, struct in_addr ext)
{
	char a[INET_ADDRSTRLEN];

	if (ph->warned)
		return;
	inet_ntop(AF_INET, &ext, a, sizeof(a));
	if (phc_addr_private(ext))
		phc_log(ph, LOG_WARNING, "the router's external address %s is private or shared "
		    "(RFC 1918, 100.64.0.0/10): another NAT sits in front of it, so these "
		    "mappings are not reachable from the Internet; ask the ISP for a public "
		    "address", a);
	else if (ph->warn_reserved)
		phc_log(ph, LOG_WARNING, "the router's UPnP IGD reports a reserved external "
		    "address (%s) or says it is not connected; used anyway", a);
	else
		return;
	ph->warned = true;
}

/*
 * The protocol in use went silent for this one port (miniupnpd never
 * answers a PCP MAP its rules deny): the others are asked for it, in
 * order. The handle keeps its protocol for the other ports. The answer
 * that says most (a refusal over a silence) is the one kept.
 */
static int
map_next_protocols(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime, int rc)
{
	static const enum porthole_method order[] = { PORTHOLE_PCP, PORTHOLE_NATPMP,
	    PORTHOLE_UPNP };
	char label[16], said[PORTHOLE_MSG_MAX];
	enum porthole_method silent = m->method;
	const struct phc_method *ops;
	int (*probe)(struct porthole *);
	size_t i;
	int r;

	phc_port_label(label, sizeof(label), m);
	snprintf(said, sizeof(said), "%s", ph->err);
	phc_log(ph, LOG_INFO, "%s: no answer over %s for this port; trying the other "
	    "protocols", label, porthole_method_name(silent));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] <= silent)
			continue;
		ops = phc_method_ops(order[i]);
		if ((probe = m->family == AF_INET6 ? ops->probe6 : ops->probe) == NULL)
			continue;
		phc_log(ph, LOG_DEBUG, "%s: trying %s", label, porthole_method_name(order[i]));
		m->method = order[i];
		if ((r = probe(ph)) == 0 && (r = ops->map(ph, m, lifetime)) == 0)
			return 0;
		if (r != PORTHOLE_ERR_TIMEOUT && r != PORTHOLE_ERR_UNSUPPORTED) {
			rc = r;
			snprintf(said, sizeof(said), "%s", ph->err);
		}
	}
	m->method = silent;
	snprintf(ph->err, sizeof(ph->err), "%s", said);
	return rc;
}

/* Where the mapping points: this host's address in m's family. */
static void
point_here(const struct porthole *ph, struct porthole_mapping *m)
{
	if (m->family == AF_INET6)
		m->address6 = ph->local6;
	else
		m->internal_addr = ph->local;
}

static int
map_with(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	bool v6 = m->family == AF_INET6;
	int rc;

	if ((rc = v6 ? phc_select6(ph) : phc_select(ph)) != 0)
		return m->error = rc;
	m->method = v6 ? ph->method6 : ph->method;
	point_here(ph, m);
	rc = phc_method_ops(m->method)->map(ph, m, lifetime);
	if (rc == PORTHOLE_ERR_TIMEOUT && lifetime != 0 && ph->o.method == PORTHOLE_AUTO)
		rc = map_next_protocols(ph, m, lifetime, rc);
	if (rc == 0) {
		m->obtained = (int64_t)time(NULL);
		m->epoch = v6 ? ph->epoch6 : ph->epoch;
	}
	if (rc == 0 && m->external_port != m->internal_port)
		rc = give_back(ph, m);
	if (rc == 0 && !v6)
		warn_address(ph, m->external_addr);
	else if (rc != 0 && !v6)
		rc = explain_refusal(ph, m, rc);
	forget_method(ph, m->family, rc);
	return m->error = rc;
}

PORTHOLE_API int
porthole_set_request(struct porthole *ph, uint32_t lifetime, const char *description)
{
	char *d;

	if (ph == NULL)
		return PORTHOLE_ERR_INVAL;
	if (description != NULL) {
		if ((d = strdup(description)) == NULL)
			return PORTHOLE_ERR_SYSTEM;
		free(ph->desc);
		ph->desc = d;
		ph->o.description = d;
	}
	ph->o.lifetime = lifetime ? lifetime : PHC_DEFAULT_LIFETIME;
	return 0;
}

PORTHOLE_API int
porthole_map_family(struct porthole *ph, const struct porthole_port *port, int family,
    struct porthole_mapping *m)
{
	if (ph == NULL || port == NULL || m == NULL || port->port == 0 ||
	    (port->proto != IPPROTO_TCP && port->proto != IPPROTO_UDP) ||
	    (family != AF_INET && family != AF_INET6))
		return PORTHOLE_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", port->name);
	m->proto = port->proto;
	m->internal_port = port->port;
	m->family = family;
	return map_with(ph, m, ph->o.lifetime);
}

PORTHOLE_API int
porthole_map(struct porthole *ph, const struct porthole_port *port, struct porthole_mapping *m)
{
	if (ph == NULL)
		return PORTHOLE_ERR_INVAL;
	return porthole_map_family(ph, port, ph->has4 ? AF_INET : AF_INET6, m);
}

/* Every enabled port of p in each family, port by port; the protocol order per family. */
PORTHOLE_API int
porthole_map_profile(struct porthole *ph, const struct porthole_profile *p,
    struct porthole_mapping *out, size_t *n)
{
	int fam[2], dead[2] = { 0, 0 }, rc, first = 0;
	size_t i, f, nf = 0, used = 0;

	if (ph == NULL || p == NULL || out == NULL || n == NULL)
		return PORTHOLE_ERR_INVAL;
	if (ph->has4)
		fam[nf++] = AF_INET;
	if (ph->has6)
		fam[nf++] = AF_INET6;
	for (i = 0; i < p->n; i++)
		used += p->port[i].enabled * nf;
	if (used > *n)
		return PORTHOLE_ERR_INVAL;	/* checked before any request goes out */
	used = 0;
	for (i = 0; i < p->n; i++) {
		if (!p->port[i].enabled)
			continue;
		for (f = 0; f < nf; f++) {
			struct porthole_mapping *m = &out[used++];

			/* No gateway or no protocol: the family's other ports would fail alike. */
			if (dead[f] != 0) {
				memset(m, 0, sizeof(*m));
				snprintf(m->name, sizeof(m->name), "%s", p->port[i].name);
				m->proto = p->port[i].proto;
				m->internal_port = p->port[i].port;
				m->family = fam[f];
				m->error = dead[f];
				continue;
			}
			rc = porthole_map_family(ph, &p->port[i], fam[f], m);
			if (rc != 0 && first == 0)
				first = rc;
			if (rc == PORTHOLE_ERR_NOPROTO || rc == PORTHOLE_ERR_NOGATEWAY)
				dead[f] = rc;
		}
	}
	*n = used;
	return first;
}

/*
 * A standing mapping is renewed with the protocol that made it (the PCP
 * nonce, the UPnP entry are that protocol's); only when that protocol is
 * gone does the protocol order start again.
 */
PORTHOLE_API int
porthole_renew(struct porthole *ph, struct porthole_mapping *m)
{
	const struct phc_method *ops;
	int rc;

	if (ph == NULL || m == NULL || m->internal_port == 0)
		return PORTHOLE_ERR_INVAL;
	ops = phc_method_ops(m->method);
	if (ops == NULL || m->external_port == 0 ||
	    (ph->o.method != PORTHOLE_AUTO && ph->o.method != m->method))
		return map_with(ph, m, ph->o.lifetime);
	/*
	 * This host's IPv6 address changed (a new prefix): the old pinhole is
	 * removed where the router lets us (UPnP by its UniqueID; PCP cannot
	 * send from an address that is gone, so it expires), a new one opened.
	 */
	if (m->family == AF_INET6 && memcmp(&m->address6, &ph->local6, sizeof(ph->local6)) != 0) {
		ops->map(ph, m, 0);
		m->external_port = 0;
		m->pinhole_id = 0;
		return map_with(ph, m, ph->o.lifetime);
	}
	point_here(ph, m);
	rc = ops->map(ph, m, ph->o.lifetime);
	if (rc == PORTHOLE_ERR_TIMEOUT || rc == PORTHOLE_ERR_UNSUPPORTED) {
		if ((m->family == AF_INET6 ? ph->method6 : ph->method) == m->method)
			forget_method(ph, m->family, rc);
		return map_with(ph, m, ph->o.lifetime);
	}
	if (rc == 0) {
		m->obtained = (int64_t)time(NULL);
		m->epoch = m->family == AF_INET6 ? ph->epoch6 : ph->epoch;
		if (m->external_port != m->internal_port)
			rc = give_back(ph, m);
	}
	return m->error = m->family == AF_INET6 ? rc : explain_refusal(ph, m, rc);
}

PORTHOLE_API int
porthole_unmap(struct porthole *ph, struct porthole_mapping *m)
{
	const struct phc_method *ops;
	int rc;

	if (ph == NULL || m == NULL || m->internal_port == 0)
		return PORTHOLE_ERR_INVAL;
	if (m->external_port == 0 || (ops = phc_method_ops(m->method)) == NULL)
		return PORTHOLE_ERR_NOTMAPPED;
	rc = ops->map(ph, m, 0);
	if (rc == 0) {
		m->external_port = 0;
		m->lifetime = 0;
	}
	return rc;
}

PORTHOLE_API int
porthole_query(struct porthole *ph, struct porthole_mapping *m)
{
	const struct phc_method *ops;

	if (ph == NULL || m == NULL)
		return PORTHOLE_ERR_INVAL;
	if (m->external_port == 0 || (ops = phc_method_ops(m->method)) == NULL)
		return PORTHOLE_ERR_NOTMAPPED;
	return ops->query(ph, m);
}

PORTHOLE_API int64_t
porthole_lease_left(const struct porthole_mapping *m, int64_t now)
{
	int64_t end;

	if (m->external_port == 0)
		return 0;
	if (m->lifetime == 0)
		return -1;
	end = m->obtained + m->lifetime;
	return end > now ? end - now : 0;
}
