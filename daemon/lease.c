/*
 * lease: the table of port mappings (see lease.h for the shape and costs).
 * Every change goes to the backend first; the table changes only when the
 * kernel accepted it, so the two never disagree after an error.
 */
#include "lease.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/backend.h"
#include "guard.h"
#include "log.h"
#include "netif.h"
#include "strpool.h"
#include "utf8.h"

#define PORTS		65536
#define INT_BUCKETS	16384		/* power of two */
#define HOST_BUCKETS	1024		/* power of two */
#define MAX_LISTENERS	8

/*
 * Quotas count per host, not per address: the addresses of one host (the
 * same link-layer address, limits.host_key) share a group. An address the
 * neighbour table did not know yet (a first UDP request races the
 * gateway's ARP) joins its host's group, leases and all, as soon as it is
 * known.
 */
struct host_group {
	uint64_t		 key;
	size_t			 n;
	struct host_group	*next;
};

struct host_count {
	struct in_addr		 addr;
	size_t			 n;
	struct host_group	*group;
	struct host_count	*next;
};

/* A group key that is an address, apart from every link-layer key. */
#define ADDR_KEY(a)	(0xffff000000000000ull | ntohl((a).s_addr))

struct listener {
	lease_listener	fn;
	void		*arg;
};

struct ext_listener {
	lease_ext_listener	fn;
	void			*arg;
};

static const struct backend_ops *backend;
static struct lease_limits	 limits;
static struct lease		*by_port[2][PORTS];
static struct lease		*by_internal[INT_BUCKETS];
static struct host_count	*hosts[HOST_BUCKETS];
static struct host_group	*groups[HOST_BUCKETS];
static struct lease		**dense;
static size_t			 n_leases, dense_cap;
static struct listener		 listeners[MAX_LISTENERS];
static size_t			 n_listeners;
static struct ext_listener	 ext_listeners[MAX_LISTENERS];
static size_t			 n_ext_listeners;
static struct in_addr		 wan, public_addr, external;	/* external: what clients are told */

static int
pidx(uint8_t proto)
{
	return proto == IPPROTO_UDP ? PIDX_UDP : PIDX_TCP;
}

static int
proto_ok(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static size_t
int_hash(uint8_t proto, struct in_addr addr, uint16_t port)
{
	uint32_t h = ntohl(addr.s_addr) * 2654435761u;

	h ^= (uint32_t)port * 40503u + proto;
	h ^= h >> 15;
	return h & (INT_BUCKETS - 1);
}

static struct host_count **
host_slot(struct in_addr addr)
{
	uint32_t h = ntohl(addr.s_addr) * 2654435761u;
	struct host_count **pp = &hosts[(h >> 16) & (HOST_BUCKETS - 1)];

	while (*pp && (*pp)->addr.s_addr != addr.s_addr)
		pp = &(*pp)->next;
	return pp;
}

size_t
lease_count_host(struct in_addr addr)
{
	struct host_count *h = *host_slot(addr);

	return h ? h->n : 0;
}

static struct host_group **
group_slot(uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	struct host_group **pp = &groups[(h >> 40) & (HOST_BUCKETS - 1)];

	while (*pp && (*pp)->key != key)
		pp = &(*pp)->next;
	return pp;
}

static size_t
group_count(uint64_t key)
{
	struct host_group *g = *group_slot(key);

	return g ? g->n : 0;
}

static bool
is_addr_key(uint64_t key)
{
	return (key >> 48) == 0xffff;
}

static struct host_group *
group_get(uint64_t key)
{
	struct host_group **gp = group_slot(key);

	if (!*gp && (*gp = calloc(1, sizeof(**gp))))
		(*gp)->key = key;
	return *gp;
}

static void
group_put(struct host_group *g)
{
	if (--g->n == 0) {
		struct host_group **pp = group_slot(g->key);
		*pp = g->next;
		free(g);
	}
}

size_t
lease_host_load(uint64_t key)
{
	return group_count(key);
}

int
lease_host_charge(uint64_t key, size_t n)
{
	struct host_group *g = group_get(key);

	if (!g)
		return -ENOMEM;
	g->n += n;
	return 0;
}

void
lease_host_release(uint64_t key, size_t n)
{
	struct host_group *g = *group_slot(key);

	if (!g || n == 0)
		return;
	g->n -= n < g->n ? n - 1 : g->n - 1;
	group_put(g);		/* the last one, which frees it at 0 */
}

/* An address counted apart until now joins its host's group, leases and all. */
static void
regroup(struct host_count *h, uint64_t key)
{
	struct host_group *old = h->group, *g = group_get(key);

	if (!g)
		return;		/* out of memory: counted apart a while longer */
	g->n += h->n;
	old->n -= h->n - 1;	/* the last through group_put, which frees it */
	group_put(old);
	h->group = g;
}

/*
 * The group a new lease for addr is charged to: its host's (by link-layer
 * address); else the group addr is in; else, for an address the neighbour
 * table does not know, whoever asked for it, so a third party cannot
 * multiply its quota over addresses that are nobody's. The neighbour table
 * is asked only while addr is not known to be a host's.
 */
static uint64_t
charge_key(struct in_addr addr, struct in_addr requester)
{
	struct host_count *h = *host_slot(addr);
	uint64_t key;

	if (h && !is_addr_key(h->group->key))
		return h->group->key;
	if (limits.host_key && limits.host_key(addr, &key) == 1) {
		if (h)
			regroup(h, key);
		return key;
	}
	if (h)
		return h->group->key;
	if (requester.s_addr && requester.s_addr != addr.s_addr)
		return charge_key(requester, requester);
	return ADDR_KEY(addr);
}

/* One lease more for addr, charged to group key (a new address joins it). */
static int
host_add(struct in_addr addr, uint64_t key)
{
	struct host_count **pp = host_slot(addr), *h = *pp;
	struct host_group *g = h ? h->group : group_get(key);

	if (!g)
		return -ENOMEM;
	if (!h) {
		if (!(h = *pp = calloc(1, sizeof(*h)))) {
			g->n++;
			group_put(g);	/* frees it if it was made for this lease */
			return -ENOMEM;
		}
		h->addr = addr;
		h->group = g;
	}
	h->n++;
	g->n++;
	return 0;
}

static void
host_del(struct in_addr addr)
{
	struct host_count **pp = host_slot(addr), *h = *pp;

	if (!h)
		return;
	group_put(h->group);
	if (--h->n == 0) {
		*pp = h->next;
		free(h);
	}
}

static void
notify(enum lease_event ev, const struct lease *l)
{
	for (size_t i = 0; i < n_listeners; i++)
		listeners[i].fn(ev, l, listeners[i].arg);
}

int
lease_listen(lease_listener fn, void *arg)
{
	if (n_listeners == MAX_LISTENERS)
		return -ENOSPC;
	listeners[n_listeners++] = (struct listener){ fn, arg };
	return 0;
}

int
lease_listen_external(lease_ext_listener fn, void *arg)
{
	if (n_ext_listeners == MAX_LISTENERS)
		return -ENOSPC;
	ext_listeners[n_ext_listeners++] = (struct ext_listener){ fn, arg };
	return 0;
}

static void
expiry_fired(struct ev_timer *t)
{
	struct lease *l = (struct lease *)((char *)t - offsetof(struct lease, expiry));

	lease_remove(l, LEASE_EXPIRED);
}

void
lease_set_limits(const struct lease_limits *lim)
{
	limits = lim ? *lim : (struct lease_limits){ 0 };
	if (!limits.max_leases || limits.max_leases > 2 * (PORTS - 1))
		limits.max_leases = 2 * (PORTS - 1);
}

/* The kernel holds only the enabled leases; a disabled one is the table's alone. */
static int
kernel_add(const struct lease *l)
{
	return l->disabled ? 0 : backend->add(l);
}

static int
kernel_del(const struct lease *l)
{
	return l->disabled ? 0 : backend->del(l);
}

bool
lease_drop_refused(const struct lease *sent)
{
	struct lease *l = lease_find(sent->proto, sent->ext_port);

	if (!l || l->int_addr.s_addr != sent->int_addr.s_addr || l->int_port != sent->int_port ||
	    l->remote.s_addr != sent->remote.s_addr || l->remote_port != sent->remote_port)
		return false;
	/* A removal too: the same mapping may have been made again since, and taken. */
	lease_remove(l, LEASE_REMOVED);
	return true;
}

void
lease_batch_begin(void)
{
	if (backend->begin)
		backend->begin();
}

static void
batch_refused(const struct lease *sent, size_t index, int err, void *arg)
{
	char a[INET_ADDRSTRLEN];
	bool dropped = lease_drop_refused(sent);
	size_t *n_dropped = arg;

	(void)index;
	*n_dropped += dropped;
	log_warnx("lease: the kernel refused mapping %s %u -> %s:%u: %s; %s",
	    lease_proto_name(sent->proto), sent->ext_port,
	    inet_ntop(AF_INET, &sent->int_addr, a, sizeof(a)), sent->int_port, strerror(-err),
	    dropped ? "the lease is dropped" : "no such lease any more");
}

size_t
lease_batch_end(void)
{
	size_t dropped = 0;

	if (backend->commit)
		backend->commit(batch_refused, &dropped);
	return dropped;
}

int
lease_reinstall(void)
{
	int rc = backend->set_external(wan), failed = 0;

	if (rc == 0 && backend->set_public && external.s_addr != wan.s_addr)
		rc = backend->set_public(external);

	lease_batch_begin();
	for (size_t i = 0; i < n_leases; i++)
		if (kernel_add(dense[i]) < 0)
			failed++;
	failed += (int)lease_batch_end();
	if (failed)
		log_warnx("lease: %d mappings could not be put back into the kernel", failed);
	return rc < 0 ? rc : failed ? -EIO : 0;
}

int
lease_init(const struct backend_ops *be, const struct lease_limits *lim)
{
	backend = be;
	lease_set_limits(lim);
	n_listeners = 0;
	n_ext_listeners = 0;
	wan.s_addr = public_addr.s_addr = external.s_addr = 0;
	return 0;
}

static void
unlink_lease(struct lease *l)
{
	struct lease **pp = &by_internal[int_hash(l->proto, l->int_addr, l->int_port)];

	while (*pp && *pp != l)
		pp = &(*pp)->int_next;
	if (*pp)
		*pp = l->int_next;
	by_port[pidx(l->proto)][l->ext_port] = NULL;
	dense[l->dense_idx] = dense[--n_leases];
	dense[l->dense_idx]->dense_idx = l->dense_idx;
	host_del(l->int_addr);
	ev_timer_cancel(&l->expiry);
}

static void
free_lease(struct lease *l)
{
	strpool_put(l->desc);
	free(l);
}

static void
link_internal(struct lease *l)
{
	struct lease **head = &by_internal[int_hash(l->proto, l->int_addr, l->int_port)];

	l->int_next = *head;
	*head = l;
}

void
lease_fini(void)
{
	while (n_leases) {
		struct lease *l = dense[n_leases - 1];
		unlink_lease(l);
		free_lease(l);
	}
	free(dense);
	dense = NULL;
	dense_cap = 0;
}

static void
set_lifetime(struct lease *l, uint32_t lifetime)
{
	l->permanent = lifetime == 0;
	if (lifetime == 0)
		ev_timer_cancel(&l->expiry);
	else
		ev_timer_at(&l->expiry, mono_ms() + (uint64_t)lifetime * 1000);
}

/* The request's description as the table keeps it: at most LEASE_DESC_MAX - 1
 * bytes of whole UTF-8 characters, pooled. Descriptions come from LAN hosts
 * and end up in logs, the lease file, XML and JSON: no control characters
 * (no forged lines) and nothing that is not valid UTF-8 (utf8.h). */
static const char *
pooled_desc(const char *desc)
{
	char clean[LEASE_DESC_MAX];

	utf8_clean_copy(clean, sizeof(clean), desc ? desc : "");
	return strpool_get(clean);
}

/* Everything but the description, which the caller swaps in. */
static void
fill_from_req(struct lease *l, const struct lease_req *req)
{
	l->proto = req->proto;
	l->ext_port = req->ext_port;
	l->int_addr = req->int_addr;
	l->int_port = req->int_port;
	l->remote = req->remote;
	l->remote_port = req->remote_port;
	l->owner = req->owner;
	l->disabled = req->disabled;
	if (req->nonce)
		memcpy(l->nonce, req->nonce, LEASE_NONCE_LEN);
}

static void
set_desc(struct lease *l, const char *pooled)
{
	strpool_put(l->desc);
	l->desc = pooled;
}

/* The same host asks again for a port it holds: change it in place. */
static int
update_lease(struct lease *l, const struct lease_req *req)
{
	bool rekernel = l->int_port != req->int_port ||
	    l->remote.s_addr != req->remote.s_addr || l->remote_port != req->remote_port ||
	    l->disabled != req->disabled;
	const char *desc = pooled_desc(req->desc);

	if (!desc)
		return -ENOMEM;
	if (rekernel) {
		struct lease next = *l;
		fill_from_req(&next, req);
		next.desc = desc;
		kernel_del(l);
		if (kernel_add(&next) < 0) {
			kernel_add(l);
			strpool_put(desc);
			return -EIO;
		}
		struct lease **pp = &by_internal[int_hash(l->proto, l->int_addr, l->int_port)];
		while (*pp && *pp != l)
			pp = &(*pp)->int_next;
		if (*pp)
			*pp = l->int_next;
		fill_from_req(l, req);
		link_internal(l);
	} else {
		fill_from_req(l, req);
	}
	set_desc(l, desc);
	set_lifetime(l, req->lifetime);
	notify(LEASE_UPDATED, l);
	return 0;
}

int
lease_add(const struct lease_req *req, struct lease **out)
{
	struct lease *l;

	if (!proto_ok(req->proto) || req->ext_port == 0 || req->int_port == 0 ||
	    req->owner >= OWNER_COUNT)
		return -EINVAL;
	l = by_port[pidx(req->proto)][req->ext_port];
	if (l) {
		if (l->int_addr.s_addr != req->int_addr.s_addr ||
		    (l->owner == OWNER_STATIC && req->owner != OWNER_STATIC))
			return -EEXIST;
		int rc = update_lease(l, req);
		if (rc == 0 && out)
			*out = l;
		return rc;
	}
	if (guard_target(req->int_addr) < 0)
		return -EADDRNOTAVAIL;
	if (guard_ext_port(req->proto, req->ext_port, external) < 0)
		return -EADDRINUSE;
	uint64_t charged = charge_key(req->int_addr, req->requester);
	if (req->owner != OWNER_STATIC && limits.max_per_host &&
	    group_count(charged) >= limits.max_per_host)
		return -EDQUOT;
	if (n_leases >= limits.max_leases)
		return -ENOSPC;
	if (n_leases == dense_cap) {
		size_t ncap = dense_cap ? dense_cap * 2 : 256;
		struct lease **nd = realloc(dense, ncap * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		dense = nd;
		dense_cap = ncap;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	fill_from_req(l, req);
	if (!(l->desc = pooled_desc(req->desc)) || host_add(l->int_addr, charged) < 0) {
		free_lease(l);
		return -ENOMEM;
	}
	if (kernel_add(l) < 0) {
		host_del(l->int_addr);
		free_lease(l);
		return -EIO;
	}
	ev_timer_init(&l->expiry, expiry_fired);
	by_port[pidx(l->proto)][l->ext_port] = l;
	link_internal(l);
	l->dense_idx = (uint32_t)n_leases;
	dense[n_leases++] = l;
	set_lifetime(l, req->lifetime);
	notify(LEASE_ADDED, l);
	if (out)
		*out = l;
	return 0;
}

int
lease_renew(struct lease *l, uint32_t lifetime)
{
	set_lifetime(l, lifetime);
	notify(LEASE_UPDATED, l);
	return 0;
}

void
lease_remove(struct lease *l, enum lease_event reason)
{
	if (kernel_del(l) < 0)
		log_warnx("lease: kernel refused to remove %s %u; dropping it anyway",
		    lease_proto_name(l->proto), l->ext_port);
	unlink_lease(l);
	notify(reason, l);
	free_lease(l);
}

size_t
lease_flush(int owner)
{
	size_t removed = 0;

	for (size_t i = n_leases; i-- > 0;) {
		if (i >= n_leases)
			continue;
		struct lease *l = dense[i];
		if (owner >= 0 && l->owner != (enum lease_owner)owner)
			continue;
		lease_remove(l, LEASE_REMOVED);
		removed++;
	}
	return removed;
}

struct lease *
lease_find(uint8_t proto, uint16_t ext_port)
{
	if (!proto_ok(proto))
		return NULL;
	return by_port[pidx(proto)][ext_port];
}

struct lease *
lease_find_internal(uint8_t proto, struct in_addr addr, uint16_t port, int owner)
{
	struct lease *l = by_internal[int_hash(proto, addr, port)];

	for (; l; l = l->int_next)
		if (l->proto == proto && l->int_addr.s_addr == addr.s_addr &&
		    l->int_port == port && (owner < 0 || l->owner == (enum lease_owner)owner))
			return l;
	return NULL;
}

void
lease_foreach_host(struct in_addr addr, uint8_t proto,
    void (*fn)(struct lease *l, void *arg), void *arg)
{
	/* Walk backwards so fn may remove the lease it is given. */
	for (size_t i = n_leases; i-- > 0;) {
		if (i >= n_leases)
			continue;
		struct lease *l = dense[i];
		if (l->int_addr.s_addr == addr.s_addr && (!proto || l->proto == proto))
			fn(l, arg);
	}
}

size_t
lease_count(void)
{
	return n_leases;
}

void
lease_count_owners(size_t n[OWNER_COUNT])
{
	for (int o = 0; o < OWNER_COUNT; o++)
		n[o] = 0;
	for (size_t i = 0; i < n_leases; i++)
		n[dense[i]->owner]++;
}

struct lease *
lease_at(size_t idx)
{
	return idx < n_leases ? dense[idx] : NULL;
}

static bool
port_usable(uint8_t proto, uint32_t port)
{
	if (guard_port_reserved(proto, (uint16_t)port))
		return false;
	return by_port[pidx(proto)][port] == NULL;
}

uint16_t
lease_free_port(uint8_t proto, uint16_t want)
{
	if (!proto_ok(proto))
		return 0;
	if (want && port_usable(proto, want))
		return want;
	uint32_t start = want >= 1024 ? want + 1u : 1024;
	for (uint32_t p = start; p < PORTS; p++)
		if (port_usable(proto, p))
			return (uint16_t)p;
	for (uint32_t p = 1024; p < start; p++)
		if (port_usable(proto, p))
			return (uint16_t)p;
	return 0;
}

uint32_t
lease_seconds_left(const struct lease *l)
{
	uint64_t now = mono_ms(), expires = l->expiry.when_ms;

	if (lease_permanent(l) || expires <= now)
		return 0;
	return (uint32_t)((expires - now + 999) / 1000);
}

static void
traffic_of(uint8_t proto, uint16_t ext_port, const struct backend_counters *c, void *arg)
{
	struct lease_traffic *t = arg;
	const struct lease *l = lease_find(proto, ext_port);

	if (l)
		t[l->dense_idx] = (struct lease_traffic){ c->packets, c->bytes };
}

struct lease_traffic *
lease_traffic(void)
{
	struct lease_traffic *t = calloc(n_leases ? n_leases : 1, sizeof(*t));

	if (t && backend->counters)
		backend->counters(traffic_of, t);
	return t;
}

/* What clients are told follows from the WAN and public addresses; the
 * kernel maps the told one too, so the LAN reaches mappings through it. */
static void
advertise(void)
{
	struct in_addr old = external;

	external = wan.s_addr && public_addr.s_addr && netif_is_private(wan) ? public_addr : wan;
	if (old.s_addr == external.s_addr)
		return;
	if (backend->set_public && backend->set_public(external.s_addr != wan.s_addr ?
	    external : (struct in_addr){ 0 }) < 0)
		log_warnx("lease: the kernel refused the public address for hairpin");
	for (size_t i = 0; i < n_ext_listeners; i++)
		ext_listeners[i].fn(old, external, ext_listeners[i].arg);
}

int
lease_set_external(struct in_addr next)
{
	int rc;

	if (wan.s_addr == next.s_addr)
		return 0;
	rc = backend->set_external(next);
	if (rc < 0)
		return rc;
	wan = next;
	advertise();
	return 0;
}

void
lease_set_public(struct in_addr pub)
{
	public_addr = pub;
	advertise();
}

struct in_addr
lease_wan(void)
{
	return wan;
}

struct in_addr
lease_public(void)
{
	return public_addr;
}

struct in_addr
lease_external(void)
{
	return external;
}

const char *
lease_desc_pooled(const char *desc)
{
	return pooled_desc(desc);
}

const char *
lease_owner_name(enum lease_owner o)
{
	static const char *names[OWNER_COUNT] = {
		[OWNER_STATIC] = "static", [OWNER_UPNP] = "upnp",
		[OWNER_NATPMP] = "natpmp", [OWNER_PCP] = "pcp",
	};

	return o < OWNER_COUNT ? names[o] : "?";
}

const char *
lease_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

int
lease_proto_parse(const char *s, uint8_t *proto)
{
	if (strcasecmp(s, "tcp") == 0)
		*proto = IPPROTO_TCP;
	else if (strcasecmp(s, "udp") == 0)
		*proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}
