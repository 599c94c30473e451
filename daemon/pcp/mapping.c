/*
 * mapping: what NAT-PMP and PCP share when they turn a request into a
 * lease: finding the mapping a request names, choosing an external port,
 * and clamping lifetimes.
 *
 * Companion ports (RFC 6886 §3.3, item 9 of CONFORMANCE): when a port is
 * chosen for a host, a port whose other-protocol twin is held by a
 * different host is skipped, so while A holds TCP p nobody else is given
 * UDP p and A can still map it. Nothing is created for the twin: that
 * would be the unrequested mapping RFC 6887 §11.3 forbids.
 */
#include <errno.h>
#include <string.h>

#include "guard.h"
#include "pcp_int.h"
#include "policy.h"

#define PICK_TRIES	4096

bool
map_is_peer(const struct lease *l)
{
	return l->owner == OWNER_PCP && strcmp(l->desc, MAP_DESC_PEER) == 0;
}

static bool
acceptable(const struct lease *l, enum map_kind kind, struct in_addr remote, uint16_t rport)
{
	if (kind == MAP_INBOUND)
		return !map_is_peer(l);
	return map_is_peer(l) && l->remote.s_addr == remote.s_addr && l->remote_port == rport;
}

struct scan {
	uint16_t	 port;
	enum map_kind	 kind;
	struct in_addr	 remote;
	uint16_t	 rport;
	struct lease	*found;
};

static void
scan_one(struct lease *l, void *arg)
{
	struct scan *s = arg;

	if (l->int_port != s->port || !acceptable(l, s->kind, s->remote, s->rport))
		return;
	/* Prefer a PCP-made lease, then the lowest owner, as the hash lookup does. */
	if (!s->found || (l->owner == OWNER_PCP && s->found->owner != OWNER_PCP))
		s->found = l;
}

/*
 * The mapping a request names: for MAP_INBOUND any non-PEER lease of the
 * internal end (whoever made it, RFC 6886 §3.3 and RFC 6887 §11.3), for
 * MAP_PEER the PCP PEER lease of that five-tuple. The hash lookup answers
 * the common case; a full scan of the host's leases only runs when a PEER
 * lease shadows the one we want.
 */
struct lease *
map_find(uint8_t proto, struct in_addr addr, uint16_t port, enum map_kind kind,
    struct in_addr remote, uint16_t remote_port)
{
	static const enum lease_owner order[] = { OWNER_PCP, OWNER_NATPMP, OWNER_STATIC, OWNER_UPNP };
	bool shadowed = false;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct lease *l = lease_find_internal(proto, addr, port, (int)order[i]);
		if (!l)
			continue;
		if (acceptable(l, kind, remote, remote_port))
			return l;
		shadowed = true;
		if (kind == MAP_PEER)
			break;
	}
	if (!shadowed)
		return NULL;
	struct scan s = { port, kind, remote, remote_port, NULL };
	lease_foreach_host(addr, proto, scan_one, &s);
	return s.found;
}

uint32_t
map_clamp(const struct config *cfg, uint32_t lifetime)
{
	if (lifetime < cfg->min_lifetime)
		lifetime = cfg->min_lifetime;
	if (cfg->max_lifetime && lifetime > cfg->max_lifetime)
		lifetime = cfg->max_lifetime;
	return lifetime;
}

/* Seconds a lease has left; a permanent one reports 2^32-1 (RFC 6887 §11.3). */
uint32_t
map_lifetime_left(const struct lease *l)
{
	return lease_permanent(l) ? UINT32_MAX : lease_seconds_left(l);
}

/*
 * May (proto, port) be given to int_addr:int_port at requester's request?
 * 0, or -EINVAL (never handed out), -EEXIST (held), -EADDRINUSE (the
 * companion is another host's, or the gateway's own service has the port),
 * -EACCES (policy), -EPERM (third party).
 */
int
map_port_usable(const struct config *cfg, uint8_t proto, uint16_t port,
    struct in_addr int_addr, uint16_t int_port, struct in_addr requester)
{
	uint8_t other = proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
	const struct lease *twin;

	if (port == 0 || guard_port_reserved(proto, port))
		return -EINVAL;
	if (lease_find(proto, port))
		return -EEXIST;
	twin = lease_find(other, port);
	if (twin && twin->int_addr.s_addr != int_addr.s_addr)
		return -EADDRINUSE;
	switch (policy_check(&cfg->policy, port, int_addr, int_port, requester)) {
	case POLICY_ALLOW:
		/* Last: it asks the kernel whether the gateway's own service has the port. */
		return guard_ext_port(proto, port, lease_external()) < 0 ? -EADDRINUSE : 0;
	case POLICY_THIRD_PARTY:
		return -EPERM;
	default:
		return -EACCES;
	}
}

/*
 * A port for a new mapping: want (or int_port when want is 0) if usable,
 * else the next usable one. 0 and *out, or -ENOSPC (none free), -EACCES
 * (the rules allow no port for this internal end), -EPERM (third party).
 */
int
map_pick_port(const struct config *cfg, uint8_t proto, uint16_t want,
    struct in_addr int_addr, uint16_t int_port, struct in_addr requester, uint16_t *out)
{
	uint16_t p = want ? want : int_port;
	bool denied = false;

	for (int tries = 0; tries < PICK_TRIES; tries++) {
		p = lease_free_port(proto, p);
		if (p == 0)
			return -ENOSPC;
		int rc = map_port_usable(cfg, proto, p, int_addr, int_port, requester);
		if (rc == 0) {
			*out = p;
			return 0;
		}
		if (rc == -EPERM)
			return rc;
		if (rc == -EACCES) {
			denied = true;
			/* Rules usually keep the system ports; don't crawl through them. */
			if (p < 1024)
				p = 1023;
		}
		p = p == 65535 ? 1024 : (uint16_t)(p + 1);
	}
	return denied ? -EACCES : -ENOSPC;
}

enum upstream_verdict
map_upstream(const struct pcp_env *env, uint8_t proto, uint16_t port, enum lease_owner owner,
    struct in_addr *ext, uint32_t *lifetime)
{
	enum upstream_verdict v = upstream_answer(proto, port, ext, lifetime);
	struct lease *l;

	switch (v) {
	case UPSTREAM_LOCAL:
	case UPSTREAM_MAPPED:
		return v;
	case UPSTREAM_KEPT_LOCAL:
		*ext = lease_wan();	/* only reachable on this router's own WAN */
		return v;
	case UPSTREAM_PENDING:
		if (!env->wait)
			return UPSTREAM_FAILED;
		*env->wait = (struct pcp_wait){ true, proto, port };
		return v;
	default:
		/* Refused in front: a mapping here alone would be a lie. */
		if ((l = lease_find(proto, port)) && l->owner == owner)
			lease_remove(l, LEASE_REMOVED);
		return v;
	}
}
