/*
 * pcp_pinhole: PCP (RFC 6887) over IPv6, where this router translates
 * nothing and is a firewall (§11.3, "IPv6 firewall" cases): a MAP opens a
 * pinhole to the internal address and port, and the answer names them as
 * the external ones.
 *
 * Choices, and why:
 *  - The internal address must be inside one of the LAN's IPv6 prefixes
 *    (lan6.c) and not the gateway's own; a request from a link-local source
 *    names no reachable address and gets NOT_AUTHORIZED.
 *  - The IPv6 permission rules decide (policy_check6); THIRD_PARTY is
 *    honoured only under a `third-party` rule, or when the neighbour table
 *    says the named address is the requester's own (same link-layer address,
 *    e.g. a privacy address asking for the stable one). While the table does
 *    not know an address the request goes unanswered (neigh.c probes it).
 *  - FILTER: one remote prefix (1..128 bits of the IPv6 form, §13.3, maybe
 *    a port) per pinhole, as the kernel sets hold it; the prefix is kept
 *    with its host bits cleared. Two different filters are
 *    EXCESSIVE_REMOTE_PEERS, as is a prefix of the unspecified address (::/1
 *    would read as "any"): never a silently widened filter. Prefix 0
 *    removes the filter.
 *  - PEER (§12.3) opens the pinhole for the one remote peer, or extends it:
 *    the internal address and port limited to the peer's address and port,
 *    which is the firewall's form of a dynamic mapping (the external end is
 *    the internal one, so any other suggestion is CANNOT_PROVIDE_EXTERNAL).
 *    As over IPv4 PEER never shortens (§15): lifetime 0 only queries. A
 *    pinhole that already lets the peer in (no filter, or that one) but is
 *    someone else's or another flow's is reported, not changed; one limited
 *    to another remote peer is NO_RESOURCES, as the table holds one remote
 *    per port.
 *  - NAT-PMP does not exist over IPv6: pcp6.c answers version 0 with nothing.
 */
#include <errno.h>
#include <string.h>

#include "lan6.h"
#include "neigh.h"
#include "pcp_int.h"
#include "pinhole.h"
#include "policy.h"
#include "prefix6.h"

struct ctx6 {
	const struct pcp_env	*env;
	const struct pcp_req	*r;
	struct in6_addr		 src;
	struct in6_addr		 ia;		/* internal address */
	struct pcp_answer	 a;
	uint32_t		 err_lifetime;
};

struct filter6 {
	bool		set;
	struct in6_addr	remote;		/* the prefix, host bits clear */
	uint16_t	port;
	uint8_t		plen;		/* 1..128 */
};

static int
add_error(int rc)
{
	switch (rc) {
	case -EIO:
		return PCP_NETWORK_FAILURE;
	case -EDQUOT:
		return PCP_USER_EX_QUOTA;
	case -EINVAL:
	case -EEXIST:
		return PCP_NOT_AUTHORIZED;
	default:	/* -ENOSPC, -ENOMEM */
		return PCP_NO_RESOURCES;
	}
}

/* §13.3, folded in order: the filter the pinhole ends up with. */
static int
fold_filters(const struct pcp_req *r, struct filter6 *f)
{
	for (size_t i = 0; i < r->n_filters; i++) {
		const struct pcp_filter *pf = &r->filters[i];
		struct filter6 next = { true, { { { 0 } } }, pf->port, pf->plen };
		struct in6_addr addr;

		if (pf->plen == 0) {
			*f = (struct filter6){ 0 };
			continue;
		}
		memcpy(&addr, pf->addr, 16);
		prefix6_mask(&next.remote, &addr, pf->plen);
		if (IN6_IS_ADDR_UNSPECIFIED(&next.remote))
			return PCP_EXCESSIVE_REMOTE_PEERS;
		if (f->set && (memcmp(&f->remote, &next.remote, 16) != 0 || f->port != next.port ||
		    f->plen != next.plen))
			return PCP_EXCESSIVE_REMOTE_PEERS;
		*f = next;
	}
	return 0;
}

/*
 * May the requester open ia:port? 0, the result to answer, or PCP_DROP while
 * the neighbour table does not know one of the two addresses yet (a probe
 * went out; the client's retransmission gets the answer). The table is
 * asked only when a rule would allow the pinhole to the host itself.
 */
static int
permitted(const struct ctx6 *c)
{
	const struct policy *pol = &c->env->cfg->policy;
	bool itself = !c->r->third_party;
	enum policy_verdict v;

	if (!lan6_prefix_of(&c->ia, 0) || lan6_is_own(&c->ia) || !pinhole_addr_ok(&c->ia))
		return PCP_NOT_AUTHORIZED;
	v = policy_check6(pol, c->r->int_port, &c->ia, itself);
	if (v == POLICY_THIRD_PARTY) {
		switch (neigh_compare(&c->src, &c->ia)) {
		case NEIGH_SAME:
			v = policy_check6(pol, c->r->int_port, &c->ia, true);
			break;
		case NEIGH_UNKNOWN:
			return PCP_DROP;
		case NEIGH_OTHER:
			break;
		}
	}
	switch (v) {
	case POLICY_ALLOW:
		return 0;
	case POLICY_THIRD_PARTY:
		return PCP_UNSUPP_OPTION;	/* §13.1: THIRD_PARTY not allowed here */
	default:
		return PCP_NOT_AUTHORIZED;
	}
}

static void
answer(struct ctx6 *c, uint32_t lifetime)
{
	c->a.lifetime = lifetime;
	c->a.ext_port = c->r->int_port;
	c->a.ext_is_v6 = true;
	c->a.ext_ip6 = c->ia;
	c->a.echo_ext = true;
	c->a.echo_filters = true;
}

static int
refuse_nonce(struct ctx6 *c, const struct pinhole *p)
{
	uint32_t left = pinhole_seconds_left(p);

	c->err_lifetime = left ? left : 1;
	return PCP_NOT_AUTHORIZED;
}

/* §15.1: lifetime 0 closes a PCP-made pinhole with the same nonce, only that. */
static int
map_delete(struct ctx6 *c, struct pinhole *p)
{
	c->a.lifetime = 0;
	if (!p)
		return PCP_SUCCESS;
	if (p->owner != OWNER_PCP)
		return PCP_NOT_AUTHORIZED;
	if (memcmp(p->nonce, c->r->nonce, LEASE_NONCE_LEN) != 0)
		return refuse_nonce(c, p);
	pinhole_remove(p, LEASE_REMOVED);
	return PCP_SUCCESS;
}

/* §11.3 item 2: a pinhole someone else (UPnP, the admin) made is reported, not changed. */
static int
map_foreign(struct ctx6 *c, const struct pinhole *p)
{
	if (c->r->n_filters)
		return PCP_EXCESSIVE_REMOTE_PEERS;
	answer(c, p->permanent ? UINT32_MAX : pinhole_seconds_left(p));
	c->a.echo_filters = false;
	return PCP_SUCCESS;
}

static bool
suggestion_ok(const struct ctx6 *c)
{
	const struct pcp_req *r = c->r;

	return (r->ext_port == 0 || r->ext_port == r->int_port) &&
	    (pcp_is_unspecified(r->ext_ip) || memcmp(r->ext_ip, &c->ia, 16) == 0);
}

static int
do_map(struct ctx6 *c)
{
	const struct pcp_req *r = c->r;
	struct pinhole *p = pinhole_find(r->proto, &c->ia, r->int_port);
	struct filter6 f = { 0 };
	int rc;

	if ((r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP) || r->int_port == 0)
		return PCP_UNSUPP_PROTOCOL;
	if ((rc = permitted(c)) != 0)
		return rc;
	if (r->lifetime == 0)
		return map_delete(c, p);
	/* §13.2: the pinhole is the internal end; nothing else can be offered. */
	if (r->prefer_failure && !suggestion_ok(c))
		return PCP_CANNOT_PROVIDE_EXTERNAL;
	if (p && p->owner != OWNER_PCP)
		return map_foreign(c, p);
	if (p && memcmp(p->nonce, r->nonce, LEASE_NONCE_LEN) != 0)
		return refuse_nonce(c, p);
	if (p && !IN6_IS_ADDR_UNSPECIFIED(&p->remote))
		f = (struct filter6){ true, p->remote, p->remote_port, p->remote_plen };
	if ((rc = fold_filters(r, &f)) != 0)
		return rc;
	uint32_t lifetime = map_clamp(c->env->cfg, r->lifetime);
	struct pinhole_req req = {
		.proto = r->proto, .int_addr = c->ia, .int_port = r->int_port,
		.remote = f.remote, .remote_port = f.port, .remote_plen = f.plen, .lifetime = lifetime,
		.owner = OWNER_PCP, .nonce = r->nonce, .desc = MAP_DESC_PCP, .requester = c->src,
	};
	if ((rc = pinhole_add(&req, NULL)) < 0)
		return add_error(rc);
	answer(c, lifetime);
	return PCP_SUCCESS;
}

/* Does p let rem:rport in? */
static bool
admits(const struct pinhole *p, const struct in6_addr *rem, uint16_t rport)
{
	return pinhole_admits_addr(p, rem) && (p->remote_port == 0 || p->remote_port == rport);
}

static int
peer_create(struct ctx6 *c, const struct in6_addr *rem, uint32_t lifetime)
{
	const struct pcp_req *r = c->r;
	struct pinhole_req req = {
		.proto = r->proto, .int_addr = c->ia, .int_port = r->int_port,
		.remote = *rem, .remote_port = r->rem_port, .lifetime = lifetime,
		.owner = OWNER_PCP, .nonce = r->nonce, .desc = MAP_DESC_PEER, .requester = c->src,
	};
	int rc;

	if ((rc = pinhole_add(&req, NULL)) < 0)
		return add_error(rc);
	answer(c, lifetime);
	return PCP_SUCCESS;
}

static int
do_peer(struct ctx6 *c)
{
	const struct pcp_req *r = c->r;
	uint32_t lifetime = map_clamp(c->env->cfg, r->lifetime);
	struct pinhole *p = pinhole_find(r->proto, &c->ia, r->int_port);
	struct in6_addr rem;
	int rc;

	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		return PCP_UNSUPP_PROTOCOL;
	if ((rc = permitted(c)) != 0)
		return rc;
	if (!suggestion_ok(c))
		return PCP_CANNOT_PROVIDE_EXTERNAL;	/* §12.3: PEER suggestions bind */
	memcpy(&rem, r->rem_ip, 16);
	if (!p)
		return peer_create(c, &rem, lifetime);
	if (!admits(p, &rem, r->rem_port))
		return PCP_NO_RESOURCES;
	/* The peer's own pinhole (by PEER, or MAP with its FILTER): extended. */
	if (p->owner == OWNER_PCP && p->remote_plen == 128 && p->remote_port == r->rem_port) {
		if (memcmp(p->nonce, r->nonce, LEASE_NONCE_LEN) != 0)
			return refuse_nonce(c, p);
		if (lifetime < pinhole_seconds_left(p))
			lifetime = pinhole_seconds_left(p);
		pinhole_renew(p, lifetime);
		answer(c, lifetime);
		c->a.echo_filters = false;
		return PCP_SUCCESS;
	}
	answer(c, p->permanent ? UINT32_MAX : pinhole_seconds_left(p));
	c->a.echo_filters = false;
	return PCP_SUCCESS;
}

size_t
pcp6_handle(const struct pcp_env *env, const struct in6_addr *src, const uint8_t *b,
    size_t len, uint8_t *out, size_t outsz)
{
	struct pcp_req r;
	struct ctx6 c;
	int rc = pcp_parse(b, len, src->s6_addr, &r);

	if (rc == PCP_DROP)
		return 0;
	if (rc != 0)
		return pcp_build_error(out, outsz, b, len, rc, pcp_error_lifetime(rc), env->epoch, false);
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.r = &r;
	c.src = *src;
	c.ia = *src;
	if (r.third_party)
		memcpy(&c.ia, r.tp_addr, 16);
	if (r.opcode == PCP_OP_MAP)
		rc = do_map(&c);
	else if (r.opcode == PCP_OP_PEER)
		rc = do_peer(&c);
	if (rc == PCP_DROP)
		return 0;
	if (rc != 0)
		return pcp_build_error(out, outsz, b, len, rc,
		    c.err_lifetime ? c.err_lifetime : pcp_error_lifetime(rc), env->epoch, true);
	return pcp_build_success(out, outsz, &r, &c.a, env->epoch);
}
