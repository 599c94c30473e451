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
	uint16_t	result;
	uint16_t	ext_port;
	uint32_t	lifetime;
};

static uint16_t
lease_error(int rc)
{
	switch (rc) {
	case -EACCES:
	case -EPERM:
		return NATPMP_NOT_AUTHORIZED;
	case -EIO:
		return NATPMP_NETWORK_FAILURE;
	default:	/* -EDQUOT, -ENOSPC, -EEXIST (lost a race), -ENOMEM */
		return NATPMP_NO_RESOURCES;
	}
}

static void
do_map(const struct pcp_env *env, struct in_addr src, uint8_t proto,
    const struct natpmp_req *r, struct map_result *res)
{
	uint32_t lifetime = r->lifetime;
	struct lease *l;
	uint16_t port, want;
	int rc;

	if (!lease_external().s_addr) {
		res->result = NATPMP_NETWORK_FAILURE;
		return;
	}
	if (r->int_port == 0) {		/* "all ports" exists only for deletes */
		res->result = NATPMP_NOT_AUTHORIZED;
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
	if (rc == 0) {
		struct lease_req req = {
			.proto = proto, .ext_port = port, .int_addr = src, .int_port = r->int_port,
			.lifetime = lifetime, .owner = OWNER_NATPMP, .desc = MAP_DESC_NATPMP,
		};
		rc = lease_add(&req, NULL);
	}
	if (rc < 0) {
		res->result = lease_error(rc);
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
		res->result = d.refused ? NATPMP_NOT_AUTHORIZED : NATPMP_SUCCESS;
		return;
	}
	l = map_find(proto, src, r->int_port, MAP_INBOUND, (struct in_addr){ 0 }, 0);
	if (!l)
		return;			/* deleting nothing succeeds (§3.4) */
	if (l->owner != OWNER_NATPMP) {
		res->result = NATPMP_NOT_AUTHORIZED;
		return;
	}
	lease_remove(l, LEASE_REMOVED);
}

/* One request in, one reply out (its length), or 0: send nothing. */
size_t
natpmp_handle(const struct pcp_env *env, struct in_addr src,
    const uint8_t *b, size_t len, uint8_t *out, size_t outsz)
{
	struct map_result res = { 0, 0, 0 };
	struct natpmp_req r;
	struct in_addr ext;
	uint8_t proto;

	if (outsz < NATPMP_MAP_RESP_LEN)
		return 0;
	switch (natpmp_parse(b, len, &r)) {
	case 0:
		break;
	case NATPMP_UNSUPP_VERSION:
		return natpmp_build_unsupp_version(out, env->epoch);
	case NATPMP_UNSUPP_OPCODE:
		return natpmp_build_unsupp_opcode(out, outsz, b, len);
	default:
		return 0;
	}
	if (r.op == NATPMP_OP_EXTADDR) {
		ext = lease_external();
		return natpmp_build_extaddr(out, ext.s_addr ? NATPMP_SUCCESS : NATPMP_NETWORK_FAILURE,
		    env->epoch, ext);
	}
	proto = r.op == NATPMP_OP_MAP_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	if (r.lifetime)
		do_map(env, src, proto, &r, &res);
	else
		do_delete(src, proto, &r, &res);
	if (res.result)
		res.ext_port = res.lifetime = 0;
	return natpmp_build_map(out, r.op, res.result, env->epoch, r.int_port, res.ext_port,
	    res.lifetime);
}
