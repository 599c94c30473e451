/*
 * report: the checkup ("are my ports open on the router?") and its two
 * renderings. The checkup asks the gateway about each mapping, then makes
 * a real connection to the external endpoint; the verdict and the advice
 * are derived from those facts alone (phc_verdict is pure, for the tests).
 * The JSON field names are an interface: porthole(1) documents them, and
 * they only ever gain fields.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "phc.h"

PORTHOLE_API const char *
porthole_port_state_name(enum porthole_port_state s)
{
	static const char *const names[] = { "mapped", "not_mapped", "taken", "lost",
	    "expired", "failed" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

PORTHOLE_API const char *
porthole_reach_name(enum porthole_reach r)
{
	static const char *const names[] = { "open", "refused", "timeout", "untested" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

PORTHOLE_API const char *
porthole_verdict_name(enum porthole_verdict v)
{
	static const char *const names[] = { "open", "partial", "closed", "no_gateway",
	    "untested" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* Advice for an IPv6 pinhole: there is no hairpin and no second NAT to blame. */
static void
pinhole_advice(struct porthole_port_check *c)
{
	char ep[PORTHOLE_ENDPOINT_LEN];

	porthole_endpoint(&c->m, ep, sizeof(ep));
	if (c->listening == 0 && c->outside != PORTHOLE_REACH_OPEN)
		snprintf(c->advice, sizeof(c->advice), "pinhole open, but nothing listens on %s "
		    "on this host: start the service (on IPv6 too)", ep);
	else if (c->outside == PORTHOLE_REACH_REFUSED)
		snprintf(c->advice, sizeof(c->advice), "refused from outside at %s: a firewall on "
		    "the way (this host's own?) rejects it", ep);
	else if (c->outside == PORTHOLE_REACH_TIMEOUT)
		snprintf(c->advice, sizeof(c->advice), "no answer from outside at %s: a firewall "
		    "drops it (the router's own, or the ISP's)", ep);
	else if (c->outside == PORTHOLE_REACH_UNTESTED && c->m.proto == IPPROTO_TCP)
		snprintf(c->advice, sizeof(c->advice), "not tested from outside over IPv6: give a "
		    "reflector reachable over IPv6 (--reflector)");
}

/* Advice for a port the router has mapped, from the facts about it. */
static void
mapped_advice(const struct porthole_report *r, struct porthole_port_check *c)
{
	char ext[INET_ADDRSTRLEN], pub[INET_ADDRSTRLEN];
	const char *proto = phc_proto_name(c->m.proto);

	inet_ntop(AF_INET, &c->m.external_addr, ext, sizeof(ext));
	/* Where the reflector knocked: the public address, past any second NAT. */
	inet_ntop(AF_INET, r->public_addr.s_addr != 0 ? &r->public_addr : &c->m.external_addr,
	    pub, sizeof(pub));
	if (c->listening == 0 && c->outside != PORTHOLE_REACH_OPEN) {
		snprintf(c->advice, sizeof(c->advice), "mapped, but nothing listens on %s/%u on "
		    "this host: start the service", proto, c->m.internal_port);
	} else if (c->outside == PORTHOLE_REACH_OPEN) {
		if (c->m.proto == IPPROTO_TCP && c->reach != PORTHOLE_REACH_OPEN)
			snprintf(c->advice, sizeof(c->advice), "open from outside, not through %s "
			    "from inside: colleagues cannot use the public name; get NAT loopback "
			    "on the router, or split DNS", ext);
	} else if (c->outside != PORTHOLE_REACH_UNTESTED && r->double_nat) {
		snprintf(c->advice, sizeof(c->advice), "%s from outside at %s:%u: a second NAT in "
		    "front stops it: forward the port there too, or ask the ISP for a public "
		    "address", c->outside == PORTHOLE_REACH_REFUSED ? "refused" : "no answer", pub,
		    c->m.external_port);
	} else if (c->outside == PORTHOLE_REACH_REFUSED) {
		snprintf(c->advice, sizeof(c->advice), "refused from outside at %s:%u although the "
		    "service answers here: a firewall on the way rejects it", pub,
		    c->m.external_port);
	} else if (c->outside == PORTHOLE_REACH_TIMEOUT) {
		snprintf(c->advice, sizeof(c->advice), "no answer from outside at %s:%u: the ISP "
		    "or a firewall in front blocks it: ask the ISP to open it", pub,
		    c->m.external_port);
	} else if (r->public_addr.s_addr != 0) {
		snprintf(c->advice, sizeof(c->advice), "not tested from outside: the reflector "
		    "%s", c->m.proto == IPPROTO_TCP ? "does not test this port (its "
		    "--allow-ports)" : "tests TCP only");
	} else if (c->reach == PORTHOLE_REACH_REFUSED) {
		snprintf(c->advice, sizeof(c->advice), "mapped, but the router itself refused "
		    "%s:%u (no hairpin NAT); the service answers here: test from outside", ext,
		    c->m.external_port);
	} else if (c->reach == PORTHOLE_REACH_TIMEOUT) {
		snprintf(c->advice, sizeof(c->advice), "mapped, but %s:%u did not answer: the "
		    "router may not hairpin; test from outside", ext, c->m.external_port);
	}
}

static void
port_advice(const struct porthole_report *r, struct porthole_port_check *c)
{
	char who[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->m.holder, who, sizeof(who));
	c->advice[0] = '\0';
	switch (c->state) {
	case PORTHOLE_PORT_MAPPED:
		if (c->m.family == AF_INET6)
			pinhole_advice(c);
		else
			mapped_advice(r, c);
		break;
	case PORTHOLE_PORT_NOT_MAPPED:
		snprintf(c->advice, sizeof(c->advice), "%s: run `porthole map`",
		    c->m.external_port != 0 ? "the router no longer has this mapping (removed "
		    "there?)" : "not mapped");
		break;
	case PORTHOLE_PORT_TAKEN:
		if (c->m.error == PORTHOLE_ERR_STATIC)
			snprintf(c->advice, sizeof(c->advice), "held by %s (a static mapping): "
			    "remove it on the router, or use it as it is", who);
		else
			snprintf(c->advice, sizeof(c->advice), "held by %s: free it there, or "
			    "remove that mapping in the router", c->m.holder.s_addr != 0 ? who :
			    "another host on the LAN");
		break;
	case PORTHOLE_PORT_LOST:
		snprintf(c->advice, sizeof(c->advice), "the router restarted and forgot it: "
		    "run `porthole map` (`porthole keep` does it by itself)");
		break;
	case PORTHOLE_PORT_EXPIRED:
		snprintf(c->advice, sizeof(c->advice), "the lease ran out: run `porthole map`, "
		    "or `porthole keep` to renew it");
		break;
	case PORTHOLE_PORT_FAILED:
		snprintf(c->advice, sizeof(c->advice), "%s", porthole_strerror(c->m.error));
		break;
	}
}

/* Open means one thing: reached from outside. */
static bool
port_good(const struct porthole_port_check *c)
{
	return c->state == PORTHOLE_PORT_MAPPED && c->outside == PORTHOLE_REACH_OPEN;
}

/* Where the ports are reached: the external address, this host's IPv6 one, or both. */
static void
where(const struct porthole_report *r, char *buf, size_t len)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	bool has4 = r->external_addr.s_addr != 0, has6 = false;
	size_t i;

	for (i = 0; i < r->n; i++)
		has6 |= r->port[i].m.family == AF_INET6;
	inet_ntop(AF_INET, &r->external_addr, a4, sizeof(a4));
	inet_ntop(AF_INET6, &r->local_addr6, a6, sizeof(a6));
	if (has6 && !IN6_IS_ADDR_UNSPECIFIED(&r->local_addr6))
		snprintf(buf, len, "%s%s[%s]", has4 ? a4 : "", has4 ? " and " : "", a6);
	else
		snprintf(buf, len, "%s", has4 ? a4 : "an unknown address");
}

static void
summarise(struct porthole_report *r, size_t good, size_t mapped, size_t tested)
{
	char ext[INET_ADDRSTRLEN + INET6_ADDRSTRLEN + 8];

	where(r, ext, sizeof(ext));
	if (r->n == 0) {
		r->verdict = PORTHOLE_VERDICT_CLOSED;
		snprintf(r->summary, sizeof(r->summary), "no mappings known: run `porthole map`");
	} else if (good == r->n) {
		r->verdict = PORTHOLE_VERDICT_OPEN;
		snprintf(r->summary, sizeof(r->summary), "all %zu ports open from outside at %s",
		    r->n, ext);
	} else if (mapped == 0) {
		r->verdict = PORTHOLE_VERDICT_CLOSED;
		snprintf(r->summary, sizeof(r->summary), "none of %zu ports is mapped", r->n);
	} else if (mapped == r->n && tested == 0) {
		r->verdict = PORTHOLE_VERDICT_UNTESTED;
		snprintf(r->summary, sizeof(r->summary), "%zu ports mapped at %s, but not tested "
		    "from outside: run `porthole status --reflector URL` with a `porthole "
		    "reflect` outside this network", r->n, ext);
	} else {
		r->verdict = PORTHOLE_VERDICT_PARTIAL;
		snprintf(r->summary, sizeof(r->summary), "%zu of %zu ports open from outside at "
		    "%s; %zu need attention (see advice)", good, r->n, ext, r->n - good);
	}
}

void
phc_verdict(struct porthole_report *r)
{
	size_t i, good = 0, mapped = 0, tested = 0;
	size_t used;

	for (i = 0; i < r->n; i++) {
		port_advice(r, &r->port[i]);
		good += port_good(&r->port[i]);
		mapped += r->port[i].state == PORTHOLE_PORT_MAPPED;
		tested += r->port[i].state == PORTHOLE_PORT_MAPPED &&
		    r->port[i].outside != PORTHOLE_REACH_UNTESTED;
	}
	if (r->verdict == PORTHOLE_VERDICT_NO_GATEWAY)
		return;
	summarise(r, good, mapped, tested);
	used = strlen(r->summary);
	if (r->double_nat && r->verdict == PORTHOLE_VERDICT_OPEN)
		snprintf(r->summary + used, sizeof(r->summary) - used, " (through a second NAT "
		    "that forwards too)");
	else if (r->double_nat && r->verdict != PORTHOLE_VERDICT_CLOSED)
		snprintf(r->summary + used, sizeof(r->summary) - used, "; double NAT: another NAT "
		    "in front of the router");
}

/*
 * An unmapped port may be held by another host; PCP and NAT-PMP cannot
 * say, but the gateway's UPnP side lists every mapping, so ask it.
 */
static void
find_holder(struct porthole *ph, struct porthole_port_check *c)
{
	struct in_addr who;

	if (c->state != PORTHOLE_PORT_TAKEN && c->state != PORTHOLE_PORT_NOT_MAPPED)
		return;
	if (c->m.family == AF_INET6 || c->m.holder.s_addr != 0 ||
	    phc_upnp_holder(ph, &c->m, &who, NULL) != 0 ||
	    who.s_addr == 0 || who.s_addr == ph->local.s_addr)
		return;
	c->m.holder = who;
	c->state = PORTHOLE_PORT_TAKEN;
}

/*
 * PCP and NAT-PMP cannot list mappings, and their epoch does not change
 * when the router's admin removes one; the router's UPnP side lists every
 * mapping, whoever made it, so ask it when it is there.
 */
static bool
gone_from_router(struct porthole *ph, struct porthole_port_check *c)
{
	struct in_addr who;

	if (c->m.family == AF_INET6 || c->m.method == PORTHOLE_UPNP ||
	    phc_upnp_holder(ph, &c->m, &who, NULL) != 0)
		return false;
	if (who.s_addr == ph->local.s_addr)
		return false;
	c->m.holder = who;
	c->m.error = who.s_addr == 0 ? PORTHOLE_ERR_NOTMAPPED : PORTHOLE_ERR_TAKEN;
	c->state = who.s_addr == 0 ? PORTHOLE_PORT_NOT_MAPPED : PORTHOLE_PORT_TAKEN;
	return true;
}

static void
check_one(struct porthole *ph, struct porthole_port_check *c, int timeout_ms, int64_t now)
{
	enum porthole_reach local;
	int rc;

	c->lease_left = porthole_lease_left(&c->m, now);
	if (c->m.external_port == 0) {
		c->state = c->m.error == PORTHOLE_ERR_TAKEN || c->m.error == PORTHOLE_ERR_STATIC ?
		    PORTHOLE_PORT_TAKEN :
		    c->m.error == 0 || c->m.error == PORTHOLE_ERR_NOTMAPPED ?
		    PORTHOLE_PORT_NOT_MAPPED : PORTHOLE_PORT_FAILED;
		find_holder(ph, c);
		return;
	}
	if (c->lease_left == 0) {
		c->state = PORTHOLE_PORT_EXPIRED;
		return;
	}
	rc = porthole_query(ph, &c->m);
	/*
	 * The epoch went back: the router restarted, or its external address
	 * changed (RFC 6887 §8.5 resets it then too). Renewing, with the same
	 * nonce, tells which, and leaves the mapping as it should be.
	 */
	if (rc == PORTHOLE_ERR_LOST && c->m.method != PORTHOLE_UPNP &&
	    porthole_renew(ph, &c->m) == 0) {
		c->renewed = true;
		rc = 0;
	}
	c->m.error = rc;
	if (rc == 0 && !c->renewed && gone_from_router(ph, c))
		return;
	if (rc == PORTHOLE_ERR_LOST || rc == PORTHOLE_ERR_TAKEN) {
		c->state = rc == PORTHOLE_ERR_LOST ? PORTHOLE_PORT_LOST : PORTHOLE_PORT_TAKEN;
		return;
	}
	if (rc != 0) {
		c->state = PORTHOLE_PORT_FAILED;
		return;
	}
	c->state = PORTHOLE_PORT_MAPPED;
	if (c->m.proto != IPPROTO_TCP)
		return;
	/* Nothing translated on IPv6: no hairpin to test, only the service here. */
	if (c->m.family == AF_INET6) {
		phc_tcp_probe6(&c->m.address6, c->m.internal_port, timeout_ms, &local);
		c->listening = local == PORTHOLE_REACH_OPEN;
		return;
	}
	c->connect_ms = phc_tcp_probe(c->m.external_addr, c->m.external_port, timeout_ms,
	    &c->reach);
	phc_tcp_probe(ph->local, c->m.internal_port, timeout_ms, &local);
	c->listening = local == PORTHOLE_REACH_OPEN;
}

/*
 * The test from outside: the mapped TCP ports of one family (up to the
 * reflector's 16) go to the reflector, which connects back to the address
 * it sees: over IPv4 the public address, over IPv6 this host's own.
 */
static void
check_outside(struct porthole *ph, struct porthole_report *r, int family)
{
	struct phc_reflect_result res[PHC_REFLECT_PORTS_MAX];
	struct porthole_port_check *asked[PHC_REFLECT_PORTS_MAX];
	uint16_t ports[PHC_REFLECT_PORTS_MAX];
	size_t i, j, n = 0, got = PHC_REFLECT_PORTS_MAX, used;
	void *seen = family == AF_INET6 ? (void *)&r->public_addr6 : (void *)&r->public_addr;

	for (i = 0; i < r->n && n < PHC_REFLECT_PORTS_MAX; i++)
		if (r->port[i].state == PORTHOLE_PORT_MAPPED && r->port[i].m.proto == IPPROTO_TCP &&
		    (r->port[i].m.family == AF_INET6) == (family == AF_INET6)) {
			asked[n] = &r->port[i];
			ports[n++] = r->port[i].m.external_port;
		}
	if (n == 0)
		return;
	if (phc_reflect_query(ph, family, ports, n, seen, res, &got) != 0) {
		used = strlen(r->reflector_error);
		snprintf(r->reflector_error + used, sizeof(r->reflector_error) - used, "%s%s",
		    used ? "; " : "", ph->err);
		return;
	}
	for (i = 0; i < got; i++)
		for (j = 0; j < n; j++)
			if (res[i].port == ports[j] && res[i].allowed) {
				asked[j]->outside = res[i].result;
				asked[j]->outside_ms = res[i].ms;
				snprintf(asked[j]->greeting, sizeof(asked[j]->greeting), "%s",
				    res[i].greeting);
			}
}

static void
report_init(struct porthole *ph, const struct porthole_mapping *m, size_t n,
    struct porthole_report *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->gateway = ph->gw;
	if (ph->has6) {
		r->gateway6 = ph->gw6;
		r->local_addr6 = ph->local6;
	}
	r->n = n;
	for (i = 0; i < n; i++) {
		struct porthole_port_check *c = &r->port[i];

		c->m = m[i];
		c->reach = PORTHOLE_REACH_UNTESTED;
		c->outside = PORTHOLE_REACH_UNTESTED;
		c->connect_ms = -1;
		c->outside_ms = -1;
		c->listening = -1;
	}
}

static void
address_warning(struct porthole *ph, struct porthole_report *r)
{
	char ext[INET_ADDRSTRLEN], pub[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &r->external_addr, ext, sizeof(ext));
	inet_ntop(AF_INET, &r->public_addr, pub, sizeof(pub));
	if (r->public_addr.s_addr != 0 && r->external_addr.s_addr != 0 &&
	    r->public_addr.s_addr != r->external_addr.s_addr) {
		r->double_nat = true;
		snprintf(r->warning, sizeof(r->warning), "the reflector saw this network as %s, "
		    "but the router's external address is %s: another NAT sits in front of it",
		    pub, ext);
	} else if (r->double_nat) {
		snprintf(r->warning, sizeof(r->warning), "the router's external address %s is "
		    "private or shared (RFC 1918, 100.64.0.0/10): another NAT sits in front of "
		    "it; ask the ISP for a public address", ext);
	} else if (ph->warn_reserved) {
		snprintf(r->warning, sizeof(r->warning), "the router's UPnP IGD reports a "
		    "reserved external address (%s) or says it is not connected; used anyway",
		    ext);
	}
}

PORTHOLE_API int
porthole_checkup(struct porthole *ph, const struct porthole_mapping *m, size_t n,
    int connect_timeout_ms, struct porthole_report *r)
{
	int64_t now = (int64_t)time(NULL);
	bool dynamic;
	size_t i;
	int rc;

	if (ph == NULL || r == NULL || n > PORTHOLE_MAPPING_MAX || (n > 0 && m == NULL))
		return PORTHOLE_ERR_INVAL;
	report_init(ph, m, n, r);
	if (connect_timeout_ms <= 0)
		connect_timeout_ms = PHC_DEFAULT_TIMEOUT;
	/* The gateway must answer in the first family; IPv6 alone when there is no IPv4. */
	rc = ph->has4 ? porthole_external_address(ph, &r->external_addr) : phc_select6(ph);
	if (rc != 0) {
		r->verdict = PORTHOLE_VERDICT_NO_GATEWAY;
		snprintf(r->summary, sizeof(r->summary), "%s", porthole_last_error(ph));
		for (i = 0; i < n; i++) {
			r->port[i].state = PORTHOLE_PORT_FAILED;
			r->port[i].m.error = rc;
		}
		phc_verdict(r);
		return rc;
	}
	r->method = ph->method;
	if (ph->has6 && phc_select6(ph) == 0)
		r->method6 = ph->method6;
	/* A PCP-only gateway tells its address only in MAP replies. */
	for (i = 0; i < n && r->external_addr.s_addr == 0; i++)
		r->external_addr = m[i].external_addr;
	r->double_nat = phc_addr_private(r->external_addr);
	r->local_addr = ph->local;
	r->local_dynamic = -1;
	if (phc_addr_dynamic(ph->local, &dynamic) == 0)
		r->local_dynamic = dynamic;
	for (i = 0; i < n; i++)
		check_one(ph, &r->port[i], connect_timeout_ms, now);
	if (ph->reflector != NULL && ph->has4)
		check_outside(ph, r, AF_INET);
	if (ph->reflector != NULL && ph->has6)
		check_outside(ph, r, AF_INET6);
	address_warning(ph, r);
	if (ph->domain != NULL)
		phc_dns_check(ph->domain, r->public_addr.s_addr != 0 ? r->public_addr :
		    r->double_nat ? (struct in_addr){ 0 } : r->external_addr, &r->dns);
	phc_verdict(r);
	return 0;
}

static void
fmt_lease(char *buf, size_t len, const struct porthole_port_check *c)
{
	int64_t s = c->lease_left;

	if (c->state != PORTHOLE_PORT_MAPPED)
		snprintf(buf, len, "-");
	else if (s < 0)
		snprintf(buf, len, "permanent");
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
}

static void
fmt_reach(char *buf, size_t len, enum porthole_reach r, int ms)
{
	if (ms >= 0)
		snprintf(buf, len, "%s (%d ms)", porthole_reach_name(r), ms);
	else
		snprintf(buf, len, "%s", porthole_reach_name(r));
}

/* The IPv6 line of the table's head: where pinholes point, and what the reflector saw. */
/* The IPv4 line, when a port was looked at over IPv4 (not with -6 alone). */
static void
table_ipv4(const struct porthole_report *r, FILE *out)
{
	char gw[INET_ADDRSTRLEN], ext[INET_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < r->n && r->port[i].m.family == AF_INET6; i++)
		;
	if (i == r->n && r->n > 0)
		return;
	inet_ntop(AF_INET, &r->gateway, gw, sizeof(gw));
	inet_ntop(AF_INET, &r->external_addr, ext, sizeof(ext));
	fprintf(out, "gateway %s, protocol %s, external address %s",
	    r->gateway.s_addr != 0 ? gw : "unknown",
	    porthole_method_name(r->method), r->external_addr.s_addr != 0 ? ext : "unknown");
	inet_ntop(AF_INET, &r->public_addr, ext, sizeof(ext));
	fprintf(out, ", seen from outside as %s\n", r->public_addr.s_addr != 0 ? ext :
	    "(not tested)");
}

static void
table_ipv6(const struct porthole_report *r, FILE *out)
{
	char a[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN], pub[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_UNSPECIFIED(&r->local_addr6))
		return;
	inet_ntop(AF_INET6, &r->local_addr6, a, sizeof(a));
	inet_ntop(AF_INET6, &r->gateway6, gw, sizeof(gw));
	inet_ntop(AF_INET6, &r->public_addr6, pub, sizeof(pub));
	fprintf(out, "IPv6: pinholes for %s, gateway %s, protocol %s, seen from outside as %s\n",
	    a, gw, porthole_method_name(r->method6),
	    IN6_IS_ADDR_UNSPECIFIED(&r->public_addr6) ? "(not tested)" : pub);
}

PORTHOLE_API int
porthole_report_table(const struct porthole_report *r, FILE *out)
{
	char ext[INET_ADDRSTRLEN], ep[PORTHOLE_ENDPOINT_LEN], port[16];
	char lease[24], reach[32], outside[32];
	size_t i;

	table_ipv4(r, out);
	table_ipv6(r, out);
	if (r->warning[0] != '\0')
		fprintf(out, "warning: %s\n", r->warning);
	if (r->reflector_error[0] != '\0')
		fprintf(out, "warning: %s\n", r->reflector_error);
	inet_ntop(AF_INET, &r->local_addr, ext, sizeof(ext));
	if (r->local_dynamic == 1)
		fprintf(out, "warning: this host's address %s is a DHCP lease: the mappings point "
		    "at it and break when the lease moves; use a static address outside the "
		    "DHCP scope\n", ext);
	fprintf(out, "%-14s %-10s %-10s %-7s %-21s %-10s %-18s %s\n", "NAME", "PORT", "STATE",
	    "VIA", "EXTERNAL", "LEASE", "OUTSIDE", "HAIRPIN");
	for (i = 0; i < r->n; i++) {
		const struct porthole_port_check *c = &r->port[i];

		phc_port_label(port, sizeof(port), &c->m);
		if (c->state == PORTHOLE_PORT_MAPPED)
			porthole_endpoint(&c->m, ep, sizeof(ep));
		else
			snprintf(ep, sizeof(ep), c->m.family == AF_INET6 ? "- (IPv6)" : "-");
		fmt_lease(lease, sizeof(lease), c);
		fmt_reach(reach, sizeof(reach), c->reach, c->connect_ms);
		fmt_reach(outside, sizeof(outside), c->outside, c->outside_ms);
		fprintf(out, "%-14s %-10s %-10s %-7s %-21s %-10s %-18s %s\n", c->m.name, port,
		    porthole_port_state_name(c->state), c->state == PORTHOLE_PORT_MAPPED ?
		    porthole_method_name(c->m.method) : "-", ep, lease, outside, reach);
	}
	for (i = 0; i < r->n; i++) {
		phc_port_label(port, sizeof(port), &r->port[i].m);
		if (r->port[i].greeting[0] != '\0')
			fprintf(out, "  %s %s greets: %s\n", r->port[i].m.name, port,
			    r->port[i].greeting);
		if (r->port[i].renewed)
			fprintf(out, "  %s %s: renewed: the router's epoch went back (a restart or "
			    "a new external address); the mapping stands\n", r->port[i].m.name, port);
		if (r->port[i].advice[0] != '\0')
			fprintf(out, "  %s %s: %s\n", r->port[i].m.name, port, r->port[i].advice);
	}
	phc_dns_table(&r->dns, out);
	fprintf(out, "verdict: %s: %s\n", porthole_verdict_name(r->verdict), r->summary);
	return ferror(out) ? PORTHOLE_ERR_SYSTEM : 0;
}

static void
json_port(FILE *out, const struct porthole_port_check *c)
{
	char ext[INET6_ADDRSTRLEN];
	bool mapped = c->state == PORTHOLE_PORT_MAPPED;

	if (c->m.family == AF_INET6)
		inet_ntop(AF_INET6, &c->m.address6, ext, sizeof(ext));
	else
		inet_ntop(AF_INET, &c->m.external_addr, ext, sizeof(ext));
	fputs("{\"name\": ", out);
	phc_json_str(out, c->m.name);
	fprintf(out, ", \"protocol\": \"%s\", \"port\": %u, \"state\": \"%s\", \"method\": ",
	    phc_proto_name(c->m.proto), c->m.internal_port, porthole_port_state_name(c->state));
	phc_json_str(out, mapped ? porthole_method_name(c->m.method) : NULL);
	fputs(", \"external_address\": ", out);
	phc_json_str(out, mapped ? ext : NULL);
	if (mapped)
		fprintf(out, ", \"external_port\": %u, \"lease_left\": %lld", c->m.external_port,
		    (long long)c->lease_left);
	else
		fputs(", \"external_port\": null, \"lease_left\": null", out);
	fprintf(out, ", \"reachable\": \"%s\", \"connect_ms\": ", porthole_reach_name(c->reach));
	if (c->connect_ms >= 0)
		fprintf(out, "%d", c->connect_ms);
	else
		fputs("null", out);
	fputs(", \"advice\": ", out);
	phc_json_str(out, c->advice);
	fprintf(out, ", \"listening\": %s", c->listening < 0 ? "null" : c->listening ? "true" :
	    "false");
	fprintf(out, ", \"outside\": \"%s\", \"outside_ms\": ", porthole_reach_name(c->outside));
	if (c->outside_ms >= 0)
		fprintf(out, "%d", c->outside_ms);
	else
		fputs("null", out);
	fputs(", \"greeting\": ", out);
	phc_json_str(out, c->greeting);
	fprintf(out, ", \"renewed\": %s, \"family\": %d}", c->renewed ? "true" : "false",
	    c->m.family == AF_INET6 ? 6 : 4);
}

static void
json_addr6(FILE *out, const char *key, const struct in6_addr *a)
{
	char t[INET6_ADDRSTRLEN];

	fprintf(out, ", \"%s\": ", key);
	phc_json_str(out, IN6_IS_ADDR_UNSPECIFIED(a) ? NULL :
	    inet_ntop(AF_INET6, a, t, sizeof(t)));
}

static void
json_ipv6(const struct porthole_report *r, FILE *out)
{
	json_addr6(out, "gateway6", &r->gateway6);
	fputs(", \"method6\": ", out);
	phc_json_str(out, r->method6 != PORTHOLE_AUTO ? porthole_method_name(r->method6) : NULL);
	json_addr6(out, "local_address6", &r->local_addr6);
	json_addr6(out, "public_address6", &r->public_addr6);
}

PORTHOLE_API int
porthole_report_json(const struct porthole_report *r, FILE *out)
{
	char gw[INET_ADDRSTRLEN], ext[INET_ADDRSTRLEN];
	size_t i;

	inet_ntop(AF_INET, &r->gateway, gw, sizeof(gw));
	inet_ntop(AF_INET, &r->external_addr, ext, sizeof(ext));
	fputs("{\"version\": 1, \"gateway\": ", out);
	phc_json_str(out, r->gateway.s_addr != 0 ? gw : NULL);
	fputs(", \"method\": ", out);
	phc_json_str(out, r->method != PORTHOLE_AUTO ? porthole_method_name(r->method) : NULL);
	fputs(", \"external_address\": ", out);
	phc_json_str(out, r->external_addr.s_addr != 0 ? ext : NULL);
	fprintf(out, ", \"double_nat\": %s, \"verdict\": \"%s\", \"summary\": ",
	    r->double_nat ? "true" : "false", porthole_verdict_name(r->verdict));
	phc_json_str(out, r->summary);
	fputs(", \"warning\": ", out);
	phc_json_str(out, r->warning);
	inet_ntop(AF_INET, &r->public_addr, ext, sizeof(ext));
	fputs(", \"public_address\": ", out);
	phc_json_str(out, r->public_addr.s_addr != 0 ? ext : NULL);
	fputs(", \"reflector_error\": ", out);
	phc_json_str(out, r->reflector_error);
	inet_ntop(AF_INET, &r->local_addr, ext, sizeof(ext));
	fputs(", \"local_address\": ", out);
	phc_json_str(out, r->local_addr.s_addr != 0 ? ext : NULL);
	fprintf(out, ", \"local_address_dynamic\": %s", r->local_dynamic < 0 ? "null" :
	    r->local_dynamic ? "true" : "false");
	fputs(", \"domain\": ", out);
	phc_dns_json(&r->dns, out);
	fputs(", \"ports\": [", out);
	for (i = 0; i < r->n; i++) {
		fputs(i == 0 ? "\n  " : ",\n  ", out);
		json_port(out, &r->port[i]);
	}
	fputs("\n]", out);
	json_ipv6(r, out);
	fputs("}\n", out);
	return ferror(out) ? PORTHOLE_ERR_SYSTEM : 0;
}
