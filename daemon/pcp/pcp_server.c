/*
 * pcp_server: PCP (RFC 6887) semantics over the lease table: ANNOUNCE,
 * MAP and PEER with THIRD_PARTY, PREFER_FAILURE and FILTER, and the
 * DESCRIPTION option of RFC 7220 for MAP.
 *
 * Choices the RFC leaves open, and what we do:
 *  - Wildcard and DMZ requests (protocol 0, internal port 0, or a protocol
 *    other than TCP/UDP) get UNSUPP_PROTOCOL, deletes included.
 *  - THIRD_PARTY is honoured only where an allow rule carries the
 *    `third-party` flag; otherwise UNSUPP_OPTION (§13.1).
 *  - One filter per mapping, as a lease holds one remote host (and maybe
 *    its port): prefix 128, or 96 with port 0 (everyone, i.e. no filter).
 *    Anything wider or more is EXCESSIVE_REMOTE_PEERS, never a silently
 *    widened filter.
 *  - A MAP for an internal end that a static, UPnP or NAT-PMP mapping
 *    already serves returns that mapping (§11.3 item 2) without touching
 *    it; FILTER cannot be put on someone else's mapping.
 *  - PEER makes a lease limited to the remote peer; PEER never shortens a
 *    lease (§15), so lifetime 0 only queries.
 */
#include <errno.h>
#include <string.h>

#include "pcp_int.h"
#include "policy.h"

struct ctx {
	const struct pcp_env	*env;
	const struct pcp_req	*r;
	struct in_addr		 src;		/* requester */
	struct in_addr		 ia;		/* internal address */
	struct in_addr		 ext;
	struct pcp_answer	 a;
	uint32_t		 err_lifetime;	/* 0 = the result's default */
	struct request_result	 res;		/* what we answered, and why we refused */
};

/* Filter state while FILTER options are folded in order (§13.3). */
enum fstate { F_NONE, F_ALL, F_ONE };
struct filter_fold {
	enum fstate	s;
	struct in_addr	remote;
	uint16_t	port;
};

static int
refuse(struct ctx *c, int result, enum refusal why)
{
	return request_refuse(&c->res, result, why);
}

/* lease_add() said no: the result code, and the table's own reason. */
static int
add_failed(struct ctx *c, int rc)
{
	switch (rc) {
	case -EDQUOT:
		return refuse(c, PCP_USER_EX_QUOTA, stats_refusal_of(rc));
	case -EADDRNOTAVAIL:	/* not a LAN host (guard.h) */
		return refuse(c, PCP_NOT_AUTHORIZED, stats_refusal_of(rc));
	case -EADDRINUSE:	/* the gateway's own port */
		return refuse(c, PCP_CANNOT_PROVIDE_EXTERNAL, stats_refusal_of(rc));
	case -EIO:
		return refuse(c, PCP_NETWORK_FAILURE, stats_refusal_of(rc));
	default:	/* -ENOSPC, -ENOMEM, -EEXIST (lost a race) */
		return refuse(c, PCP_NO_RESOURCES, stats_refusal_of(rc));
	}
}

static bool
proto_supported(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static int
fold_filters(const struct pcp_req *r, struct filter_fold *f)
{
	for (size_t i = 0; i < r->n_filters; i++) {
		const struct pcp_filter *pf = &r->filters[i];
		struct in_addr a;

		if (pf->plen == 0) {
			*f = (struct filter_fold){ F_NONE, { 0 }, 0 };
			continue;
		}
		if (pf->plen == 96 && pf->port == 0) {
			f->s = F_ALL;		/* the union with "everyone" is everyone */
			continue;
		}
		/* A lease filters on one host (and maybe its port), nothing wider. */
		if (pf->plen != 128)
			return PCP_EXCESSIVE_REMOTE_PEERS;
		pcp_is_v4mapped(pf->addr, &a);
		if (f->s == F_ALL)
			continue;
		if (f->s == F_ONE && (f->remote.s_addr != a.s_addr || f->port != pf->port))
			return PCP_EXCESSIVE_REMOTE_PEERS;
		*f = (struct filter_fold){ F_ONE, a, pf->port };
	}
	if (f->s != F_ONE)
		f->remote.s_addr = 0, f->port = 0;
	return 0;
}

/* THIRD_PARTY: only when a rule allows this requester to act for ia. */
static int
third_party_check(struct ctx *c, uint16_t ext_port)
{
	if (!c->r->third_party)
		return 0;
	if (policy_check(&c->env->cfg->policy, ext_port, c->ia, c->r->int_port, c->src) ==
	    POLICY_THIRD_PARTY)
		return refuse(c, PCP_UNSUPP_OPTION, REFUSED_THIRD_PARTY);
	return 0;
}

static bool
suggested_ip_ok(const struct ctx *c)
{
	struct in_addr s;

	if (pcp_is_unspecified(c->r->ext_ip))
		return true;
	return pcp_is_v4mapped(c->r->ext_ip, &s) && s.s_addr == c->ext.s_addr;
}

static bool
nonce_matches(const struct lease *l, const struct pcp_req *r)
{
	return memcmp(l->nonce, r->nonce, LEASE_NONCE_LEN) == 0;
}

static int
refuse_nonce(struct ctx *c, const struct lease *l)
{
	uint32_t left = lease_seconds_left(l);

	c->err_lifetime = left ? left : 1;
	return refuse(c, PCP_NOT_AUTHORIZED, REFUSED_POLICY);
}

/*
 * The description a MAP lease takes from the request (RFC 7220), or NULL to
 * keep the one it has. PEER leases are known by MAP_DESC_PEER (mapping.c),
 * so a MAP may not take that text, and PEER requests keep theirs.
 */
static const char *
map_desc(const struct pcp_req *r)
{
	if (r->opcode != PCP_OP_MAP || !r->has_desc || !r->desc[0] ||
	    strcmp(r->desc, MAP_DESC_PEER) == 0)
		return NULL;
	return r->desc;
}

static void
answer(struct ctx *c, uint16_t ext_port, uint32_t lifetime)
{
	c->a.ext_port = ext_port;
	c->a.ext_ip = c->ext;
	c->a.lifetime = lifetime;
	c->a.echo_ext = true;
}

/* §15.1: lifetime 0 deletes a MAP-made mapping, and only that. */
static int
map_delete(struct ctx *c)
{
	const struct pcp_req *r = c->r;
	struct lease *l = map_find(r->proto, c->ia, r->int_port, MAP_INBOUND, (struct in_addr){ 0 }, 0);
	int rc;

	if ((rc = third_party_check(c, l ? l->ext_port : r->int_port)) != 0)
		return rc;
	c->a.lifetime = 0;
	if (!l)		/* only a PEER (outbound) lease may be left, and MAP can't touch it */
		return lease_find_internal(r->proto, c->ia, r->int_port, OWNER_PCP) ?
		    refuse(c, PCP_NOT_AUTHORIZED, REFUSED_POLICY) : PCP_SUCCESS;
	if (l->owner != OWNER_PCP)
		return refuse(c, PCP_NOT_AUTHORIZED, REFUSED_POLICY);
	if (!nonce_matches(l, r))
		return refuse_nonce(c, l);
	pcp_clients_forget(l->proto, l->ext_port);
	lease_remove(l, LEASE_REMOVED);
	return PCP_SUCCESS;
}

/* §11.3: a mapping already serves this internal end. */
static int
map_existing(struct ctx *c, struct lease *l, uint32_t lifetime)
{
	const struct pcp_req *r = c->r;
	struct filter_fold f = { F_NONE, l->remote, l->remote_port };
	int rc;

	if ((rc = third_party_check(c, l->ext_port)) != 0)
		return rc;
	if (r->prefer_failure && (r->ext_port != l->ext_port || !suggested_ip_ok(c)))
		return refuse(c, PCP_CANNOT_PROVIDE_EXTERNAL, REFUSED_CONFLICT);
	if (l->owner != OWNER_PCP) {
		if (r->n_filters)
			return PCP_EXCESSIVE_REMOTE_PEERS;
		answer(c, l->ext_port, l->owner == OWNER_STATIC ? UINT32_MAX : map_lifetime_left(l));
		return PCP_SUCCESS;
	}
	if (!nonce_matches(l, r))
		return refuse_nonce(c, l);
	if (l->remote.s_addr || l->remote_port)
		f.s = F_ONE;
	if ((rc = fold_filters(r, &f)) != 0)
		return rc;
	const char *desc = map_desc(r) ? map_desc(r) : l->desc;
	if (f.remote.s_addr != l->remote.s_addr || f.port != l->remote_port ||
	    strcmp(desc, l->desc) != 0) {
		struct lease_req req = {
			.proto = l->proto, .ext_port = l->ext_port, .int_addr = l->int_addr,
			.int_port = l->int_port, .remote = f.remote, .remote_port = f.port,
			.lifetime = lifetime, .owner = OWNER_PCP, .nonce = r->nonce,
			.desc = desc,
		};
		if ((rc = lease_add(&req, NULL)) < 0)
			return add_failed(c, rc);
	} else {
		lease_renew(l, lifetime);
	}
	answer(c, l->ext_port, lifetime);
	c->a.echo_filters = true;
	c->a.echo_desc = map_desc(r) != NULL;
	return PCP_SUCCESS;
}

/* The external port for a new MAP: the suggestion, or any, per PREFER_FAILURE. */
static int
map_port(struct ctx *c, uint16_t *port)
{
	const struct pcp_req *r = c->r;
	int rc;

	if (r->prefer_failure) {
		if (!suggested_ip_ok(c))
			return refuse(c, PCP_CANNOT_PROVIDE_EXTERNAL, REFUSED_CONFLICT);
		rc = map_port_usable(c->env->cfg, r->proto, r->ext_port, c->ia, r->int_port, c->src);
		*port = r->ext_port;
	} else {
		rc = map_pick_port(c->env->cfg, r->proto, r->ext_port, c->ia, r->int_port, c->src, port);
	}
	switch (rc) {
	case 0:
		return PCP_SUCCESS;
	case -EPERM:
		return refuse(c, PCP_UNSUPP_OPTION, REFUSED_THIRD_PARTY);
	case -EACCES:
		return refuse(c, r->prefer_failure ? PCP_CANNOT_PROVIDE_EXTERNAL : PCP_NOT_AUTHORIZED,
		    REFUSED_POLICY);
	case -ENOSPC:
		return refuse(c, PCP_NO_RESOURCES, REFUSED_FULL);
	default:
		return refuse(c, PCP_CANNOT_PROVIDE_EXTERNAL, REFUSED_CONFLICT);
	}
}

/* The gateway in front's verdict as this request's result code. */
static int
refused_upstream(struct ctx *c, enum upstream_verdict v)
{
	int rc;

	switch (v) {
	case UPSTREAM_LOCAL:
	case UPSTREAM_MAPPED:
	case UPSTREAM_KEPT_LOCAL:
	case UPSTREAM_PENDING:
		return PCP_SUCCESS;
	case UPSTREAM_DENIED:
		rc = PCP_NOT_AUTHORIZED;
		break;
	case UPSTREAM_TAKEN:
		rc = PCP_CANNOT_PROVIDE_EXTERNAL;
		break;
	case UPSTREAM_NO_RESOURCES:
		rc = PCP_NO_RESOURCES;
		break;
	default:
		rc = PCP_NETWORK_FAILURE;
		break;
	}
	return refuse(c, rc, REFUSED_UPSTREAM);
}

static int
map_create(struct ctx *c)
{
	const struct pcp_req *r = c->r;
	uint32_t lifetime = map_clamp(c->env->cfg, r->lifetime);
	struct filter_fold f = { F_NONE, { 0 }, 0 };
	struct lease *l;
	uint16_t port;
	int rc;

	l = map_find(r->proto, c->ia, r->int_port, MAP_INBOUND, (struct in_addr){ 0 }, 0);
	if (l)
		return map_existing(c, l, lifetime);
	if ((rc = fold_filters(r, &f)) != 0 || (rc = map_port(c, &port)) != 0)
		return rc;
	/* Refused in front a moment ago: said again without a mapping made
	 * here and undone. */
	if ((rc = refused_upstream(c, upstream_refusal(r->proto, port))) != 0)
		return rc;
	struct lease_req req = {
		.proto = r->proto, .ext_port = port, .int_addr = c->ia, .int_port = r->int_port,
		.remote = f.remote, .remote_port = f.port, .lifetime = lifetime,
		.owner = OWNER_PCP, .nonce = r->nonce,
		.desc = map_desc(r) ? map_desc(r) : MAP_DESC_PCP, .requester = c->src,
	};
	if ((rc = lease_add(&req, NULL)) < 0)
		return add_failed(c, rc);
	answer(c, port, lifetime);
	c->a.echo_filters = true;
	c->a.echo_desc = map_desc(r) != NULL;
	return PCP_SUCCESS;
}

static int
do_map(struct ctx *c)
{
	if (!proto_supported(c->r->proto) || c->r->int_port == 0)
		return PCP_UNSUPP_PROTOCOL;
	if (c->r->lifetime == 0)
		return map_delete(c);
	if (!c->ext.s_addr)
		return refuse(c, PCP_NETWORK_FAILURE, REFUSED_KERNEL);
	return map_create(c);
}

/* §12.3: PEER suggestions are binding for a new mapping. */
static int
peer_create(struct ctx *c, struct in_addr rem, uint32_t lifetime)
{
	const struct pcp_req *r = c->r;
	uint16_t port = r->ext_port;
	int rc;

	if (!suggested_ip_ok(c))
		return refuse(c, PCP_CANNOT_PROVIDE_EXTERNAL, REFUSED_CONFLICT);
	if (port)
		rc = map_port_usable(c->env->cfg, r->proto, port, c->ia, r->int_port, c->src);
	else
		rc = map_pick_port(c->env->cfg, r->proto, 0, c->ia, r->int_port, c->src, &port);
	if (rc == -EPERM)
		return refuse(c, PCP_UNSUPP_OPTION, REFUSED_THIRD_PARTY);
	if (rc == -ENOSPC)
		return refuse(c, PCP_NO_RESOURCES, REFUSED_FULL);
	if (rc < 0)
		return r->ext_port ? refuse(c, PCP_CANNOT_PROVIDE_EXTERNAL, REFUSED_CONFLICT) :
		    refuse(c, PCP_NOT_AUTHORIZED, REFUSED_POLICY);
	if ((rc = refused_upstream(c, upstream_refusal(r->proto, port))) != 0)
		return rc;
	struct lease_req req = {
		.proto = r->proto, .ext_port = port, .int_addr = c->ia, .int_port = r->int_port,
		.remote = rem, .remote_port = r->rem_port, .lifetime = lifetime,
		.owner = OWNER_PCP, .nonce = r->nonce, .desc = MAP_DESC_PEER, .requester = c->src,
	};
	if ((rc = lease_add(&req, NULL)) < 0)
		return add_failed(c, rc);
	answer(c, port, lifetime);
	return PCP_SUCCESS;
}

static int
do_peer(struct ctx *c)
{
	const struct pcp_req *r = c->r;
	uint32_t lifetime = map_clamp(c->env->cfg, r->lifetime);
	struct in_addr rem;
	struct lease *l;
	int rc;

	if (!proto_supported(r->proto))
		return PCP_UNSUPP_PROTOCOL;
	if (!c->ext.s_addr)
		return refuse(c, PCP_NETWORK_FAILURE, REFUSED_KERNEL);
	pcp_is_v4mapped(r->rem_ip, &rem);
	l = map_find(r->proto, c->ia, r->int_port, MAP_PEER, rem, r->rem_port);
	if ((rc = third_party_check(c, l ? l->ext_port : r->int_port)) != 0)
		return rc;
	if (!l)
		return peer_create(c, rem, lifetime);
	if (!nonce_matches(l, r))
		return refuse_nonce(c, l);
	uint32_t left = lease_seconds_left(l);
	if (lifetime < left)
		lifetime = left;
	lease_renew(l, lifetime);
	answer(c, l->ext_port, lifetime);
	return PCP_SUCCESS;
}

#define PCP_WAIT	(-2)	/* no reply yet: the gateway in front is asked */

/* Behind another NAT: the gateway in front has its say (RFC 7648 §4). */
static int
via_upstream(struct ctx *c)
{
	enum upstream_verdict v;

	v = map_upstream(c->env, c->r->proto, c->a.ext_port, OWNER_PCP, &c->a.ext_ip, &c->a.lifetime);
	return v == UPSTREAM_PENDING ? PCP_WAIT : refused_upstream(c, v);
}

size_t
pcp_handle(const struct pcp_env *env, struct in_addr src, uint16_t sport,
    const uint8_t *b, size_t len, uint8_t *out, size_t outsz)
{
	struct pcp_req r;
	struct ctx c;
	uint8_t src16[16];
	size_t n;
	int rc;

	pcp_v4mapped(src, src16);
	rc = pcp_parse(b, len, src16, &r);
	if (rc == PCP_DROP)
		return 0;
	if (rc != 0) {
		struct request_result res = { .client = src };
		request_refuse(&res, rc, REFUSED_MALFORMED);
		pcp_report(env, &res);
		return pcp_build_error(out, outsz, b, len, rc, pcp_error_lifetime(rc), env->epoch, false);
	}
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.r = &r;
	c.src = src;
	c.ia = src;
	c.ext = lease_external();
	if (r.third_party)
		pcp_is_v4mapped(r.tp_addr, &c.ia);
	c.res = (struct request_result){ .l4proto = r.proto, .ext_port = r.ext_port, .client = c.ia };
	if (r.opcode == PCP_OP_MAP)
		rc = do_map(&c);
	else if (r.opcode == PCP_OP_PEER)
		rc = do_peer(&c);
	if (rc == 0 && c.a.echo_ext && (rc = via_upstream(&c)) == PCP_WAIT)
		return 0;
	if (rc != 0 && !c.res.refused)
		request_refuse(&c.res, rc, REFUSED_MALFORMED);
	pcp_report(env, &c.res);
	if (rc != 0)
		return pcp_build_error(out, outsz, b, len, rc,
		    c.err_lifetime ? c.err_lifetime : pcp_error_lifetime(rc), env->epoch, true);
	n = pcp_build_success(out, outsz, &r, &c.a, env->epoch);
	if (n && c.a.echo_ext)
		pcp_clients_note(r.proto, c.a.ext_port, src, sport, r.third_party);
	return n;
}
