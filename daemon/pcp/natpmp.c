/*
 * natpmp: NAT-PMP (RFC 6886) semantics over the lease table.
 *
 * A mapping is named by (client address, protocol, internal port); the
 * internal address is always the packet's source (§3.3). Any existing
 * mapping of that internal end, whoever made it, is returned as is, so
 * retransmits and renewals are idempotent; only NAT-PMP's own leases are
 * renewed or deleted by it. Lifetimes are never raised above the request
 * (§3.3: the gateway may only reduce them), only capped by max_lifetime.
 *
 * "Delete all" (internal port 0, lifetime 0) removes this client's NAT-PMP
 * mappings of that protocol; if the client also has a static mapping of
 * that protocol, which NAT-PMP may not touch, the reply says 2 (§3.4).
 * UPnP and PCP mappings belong to other protocols and are left alone.
 */
#include <errno.h>
#include <string.h>

#include "pcp_int.h"

struct map_result {
	uint16_t		ext_port;
	uint32_t		lifetime;
	bool			wait;	/* the gateway in front has not answered yet */
	struct request_result	res;	/* res.wire is the result code */
};

/* Choosing a port or adding the lease said no: the result code and why. */
static void
add_failed(struct map_result *mr, int rc)
{
	switch (rc) {
	case -EACCES:
	case -EPERM:
	case -EADDRNOTAVAIL:	/* not a LAN host (guard.h) */
		request_refuse(&mr->res, NATPMP_NOT_AUTHORIZED, REFUSED_POLICY);
		break;
	case -EIO:
		request_refuse(&mr->res, NATPMP_NETWORK_FAILURE, REFUSED_KERNEL);
		break;
	default:	/* -EDQUOT, -ENOSPC, -EEXIST (lost a race), -ENOMEM */
		request_refuse(&mr->res, NATPMP_NO_RESOURCES, stats_refusal_of(rc));
		break;
	}
}

/* The gateway in front's verdict as this request's result (none: no refusal). */
static void
refused_upstream(struct map_result *mr, enum upstream_verdict v)
{
	switch (v) {
	case UPSTREAM_DENIED:
		request_refuse(&mr->res, NATPMP_NOT_AUTHORIZED, REFUSED_UPSTREAM);
		return;
	case UPSTREAM_FAILED:
		request_refuse(&mr->res, NATPMP_NETWORK_FAILURE, REFUSED_UPSTREAM);
		return;
	case UPSTREAM_TAKEN:
	case UPSTREAM_NO_RESOURCES:
		request_refuse(&mr->res, NATPMP_NO_RESOURCES, REFUSED_UPSTREAM);
		return;
	default:
		return;
	}
}

static void
do_map(const struct pcp_env *env, struct in_addr src, uint8_t proto,
    const struct natpmp_req *r, struct map_result *res)
{
	uint32_t lifetime = r->lifetime;
	enum upstream_verdict standing;
	struct lease *l;
	uint16_t port, want;
	int rc;

	if (!lease_external().s_addr) {
		request_refuse(&res->res, NATPMP_NETWORK_FAILURE, REFUSED_KERNEL);
		return;
	}
	if (r->int_port == 0) {		/* "all ports" exists only for deletes */
		request_refuse(&res->res, NATPMP_NOT_AUTHORIZED, REFUSED_POLICY);
		return;
	}
	if (env->cfg->max_lifetime && lifetime > env->cfg->max_lifetime)
		lifetime = env->cfg->max_lifetime;
	l = map_find(proto, src, r->int_port, MAP_INBOUND, (struct in_addr){ 0 }, 0);
	if (l) {
		if (l->owner == OWNER_NATPMP) {
			lease_renew(l, lifetime);
		} else {
			uint32_t left = map_lifetime_left(l);
			lifetime = left < lifetime ? left : lifetime;
		}
		res->ext_port = l->ext_port;
		res->lifetime = lifetime;
		return;
	}
	/* §3.3: no suggestion asks for "a high-numbered port of the gateway's choosing". */
	want = r->ext_port ? r->ext_port : r->int_port >= 1024 ? r->int_port : 1024;
	rc = map_pick_port(env->cfg, proto, want, src, r->int_port, src, &port);
	/* Refused in front a moment ago: said again without a mapping made
	 * here and undone. */
	if (rc == 0 && (standing = upstream_refusal(proto, port)) != UPSTREAM_LOCAL) {
		res->ext_port = port;
		refused_upstream(res, standing);
		return;
	}
	if (rc == 0) {
		struct lease_req req = {
			.proto = proto, .ext_port = port, .int_addr = src, .int_port = r->int_port,
			.lifetime = lifetime, .owner = OWNER_NATPMP, .desc = MAP_DESC_NATPMP,
		};
		rc = lease_add(&req, NULL);
	}
	if (rc < 0) {
		add_failed(res, rc);
		return;
	}
	res->ext_port = port;
	res->lifetime = lifetime;
}

struct delete_all {
	bool	refused;
};

static void
delete_one(struct lease *l, void *arg)
{
	struct delete_all *d = arg;

	if (l->owner == OWNER_NATPMP)
		lease_remove(l, LEASE_REMOVED);
	else if (l->owner == OWNER_STATIC)
		d->refused = true;
}

static void
do_delete(struct in_addr src, uint8_t proto, const struct natpmp_req *r, struct map_result *res)
{
	struct lease *l;

	if (r->int_port == 0) {
		struct delete_all d = { false };
		lease_foreach_host(src, proto, delete_one, &d);
		if (d.refused)
			request_refuse(&res->res, NATPMP_NOT_AUTHORIZED, REFUSED_POLICY);
		return;
	}
	l = map_find(proto, src, r->int_port, MAP_INBOUND, (struct in_addr){ 0 }, 0);
	if (!l)
		return;			/* deleting nothing succeeds (§3.4) */
	if (l->owner != OWNER_NATPMP) {
		request_refuse(&res->res, NATPMP_NOT_AUTHORIZED, REFUSED_POLICY);
		return;
	}
	lease_remove(l, LEASE_REMOVED);
}

/* Behind another NAT: the gateway in front has its say (RFC 7648 §4). */
static void
via_upstream(const struct pcp_env *env, uint8_t proto, struct map_result *mr)
{
	struct in_addr ext;
	enum upstream_verdict v;

	v = map_upstream(env, proto, mr->ext_port, OWNER_NATPMP, &ext, &mr->lifetime);
	if (v == UPSTREAM_PENDING)
		mr->wait = true;
	else
		refused_upstream(mr, v);
}

/* One request in, one reply out (its length), or 0: send nothing. */
size_t
natpmp_handle(const struct pcp_env *env, struct in_addr src,
    const uint8_t *b, size_t len, uint8_t *out, size_t outsz)
{
	struct map_result mr = { .res.client = src };
	struct natpmp_req r;
	struct in_addr ext;
	uint8_t proto;
	int rc;

	if (outsz < NATPMP_MAP_RESP_LEN)
		return 0;
	switch ((rc = natpmp_parse(b, len, &r))) {
	case 0:
		break;
	case NATPMP_UNSUPP_VERSION:
	case NATPMP_UNSUPP_OPCODE:
		request_refuse(&mr.res, rc, REFUSED_MALFORMED);
		pcp_report(env, &mr.res);
		return rc == NATPMP_UNSUPP_VERSION ? natpmp_build_unsupp_version(out, env->epoch) :
		    natpmp_build_unsupp_opcode(out, outsz, b, len);
	default:
		return 0;
	}
	if (r.op == NATPMP_OP_EXTADDR) {
		ext = lease_external();
		if (!ext.s_addr)	/* an error, but no mapping was refused */
			mr.res.wire = NATPMP_NETWORK_FAILURE;
		pcp_report(env, &mr.res);
		return natpmp_build_extaddr(out, (uint16_t)mr.res.wire, env->epoch, ext);
	}
	proto = r.op == NATPMP_OP_MAP_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	mr.res.l4proto = proto;
	mr.res.ext_port = r.ext_port;
	if (r.lifetime) {
		do_map(env, src, proto, &r, &mr);
		if (!mr.res.wire)
			via_upstream(env, proto, &mr);
		if (mr.wait)
			return 0;
	} else {
		do_delete(src, proto, &r, &mr);
	}
	if (mr.res.wire)
		mr.ext_port = mr.lifetime = 0;
	pcp_report(env, &mr.res);
	return natpmp_build_map(out, r.op, (uint16_t)mr.res.wire, env->epoch, r.int_port,
	    mr.ext_port, mr.lifetime);
}
