/*
 * pinhole: the table of IPv6 pinholes (see pinhole.h for its shape). As in
 * lease.c every change goes to the kernel first and the table changes only
 * when the kernel took it, so the two never disagree after an error.
 *
 * max_per_host counts per host, with the host's IPv4 mappings (lease.h,
 * lease_host_*): each pinhole address is charged to its host's key, the
 * link-layer address the neighbour table gives it. An address the table does
 * not know yet is charged to the host that asked for it (a third party),
 * else counted on its own, as lease.c does for IPv4; it joins its host, with
 * the pinholes it holds, at its next pinhole once the table knows it.
 */
#include "pinhole.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "neigh.h"
#include "prefix6.h"
#include "strpool.h"

#define KEY_BUCKETS	16384		/* power of two; 4 a chain at 60,000 pinholes */
#define HOST_BUCKETS	1024		/* power of two */
#define MAX_LISTENERS	8
#define MAX_IDS		65535
#define ID_WORDS	((MAX_IDS + 1) / 64)

struct listener {
	pinhole_listener fn;
	void		*arg;
};

/* Pinholes per address, and the host key they are charged to. */
struct host6 {
	struct in6_addr	 addr;
	size_t		 n;
	uint64_t	 key;
	struct host6	*next;
};

static const struct pinhole_backend *backend;
static size_t			 max_pinholes, max_per_host;
static int			(*host_key)(const struct in6_addr *addr, uint64_t *key);
static struct host6		*hosts[HOST_BUCKETS];
static struct pinhole		*by_key[KEY_BUCKETS];
/* By UniqueID, one slot each (pages only become resident as ids are used),
 * and a bit per id in use, so the next free one is found a word at a time. */
static struct pinhole		*by_id[MAX_IDS + 1];
static uint64_t			 id_used[ID_WORDS];
static struct pinhole		**dense;
static size_t			 n_pinholes, dense_cap;
static size_t			 n_prefix;	/* of them filtered to a prefix */
static uint16_t			 last_id;
static struct listener		 listeners[MAX_LISTENERS];
static size_t			 n_listeners;

static size_t
key_hash(uint8_t proto, const struct in6_addr *a, uint16_t port)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->s6_addr[i]) * 16777619u;
	h = (h ^ port) * 16777619u;
	h = (h ^ proto) * 16777619u;
	return (h ^ h >> 16) & (KEY_BUCKETS - 1);
}

static struct host6 **
host_slot(const struct in6_addr *a)
{
	uint32_t h = 2166136261u;
	struct host6 **pp;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->s6_addr[i]) * 16777619u;
	pp = &hosts[(h ^ h >> 16) & (HOST_BUCKETS - 1)];
	while (*pp && memcmp(&(*pp)->addr, a, sizeof(*a)) != 0)
		pp = &(*pp)->next;
	return pp;
}

size_t
pinhole_count_host(const struct in6_addr *a)
{
	struct host6 *h = *host_slot(a);

	return h ? lease_host_load(h->key) : 0;
}

/* The key of whoever addr (or, unknown, the requester) belongs to; an
 * address counted apart until now joins its host, pinholes and all. */
static uint64_t
charge_key(const struct in6_addr *addr, const struct in6_addr *requester)
{
	struct host6 *h = *host_slot(addr);
	uint64_t key;

	if (h && neigh_key_is_lladdr(h->key))
		return h->key;
	if (host_key && host_key(addr, &key) == 1) {
		if (h && lease_host_charge(key, h->n) == 0) {
			lease_host_release(h->key, h->n);
			h->key = key;
		}
		return key;
	}
	if (h)
		return h->key;
	if (!IN6_IS_ADDR_UNSPECIFIED(requester) && memcmp(requester, addr, sizeof(*addr)) != 0 &&
	    host_key && host_key(requester, &key) == 1)
		return key;
	return neigh_addr_key(addr);
}

/* One pinhole more (+1) or less (-1) for addr, charged to key when new. */
static int
host_adjust(const struct in6_addr *a, uint64_t key, int delta)
{
	struct host6 **pp = host_slot(a), *h = *pp;

	if (!h) {
		if (delta < 0)
			return 0;
		if (!(h = *pp = calloc(1, sizeof(*h))))
			return -ENOMEM;
		h->addr = *a;
		h->key = key;
	}
	if (delta > 0 && lease_host_charge(h->key, 1) < 0) {
		if (h->n == 0) {
			*pp = h->next;
			free(h);
		}
		return -ENOMEM;
	}
	if (delta < 0)
		lease_host_release(h->key, 1);
	h->n += delta;
	if (h->n == 0) {
		*pp = h->next;
		free(h);
	}
	return 0;
}

void
pinhole_set_limits(size_t max, size_t per_host,
    int (*key_of)(const struct in6_addr *addr, uint64_t *key))
{
	max_pinholes = max && max <= MAX_IDS ? max : PINHOLE_MAX_DEFAULT;
	max_per_host = per_host;
	host_key = key_of;
}

static void
id_mark(uint16_t id, struct pinhole *p)
{
	by_id[id] = p;
	if (p)
		id_used[id / 64] |= 1ull << (id % 64);
	else
		id_used[id / 64] &= ~(1ull << (id % 64));
}

bool
pinhole_addr_ok(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	    !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_LINKLOCAL(a) &&
	    !IN6_IS_ADDR_V4MAPPED(a) && !IN6_IS_ADDR_V4COMPAT(a);
}

static bool
proto_ok(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static int
be_add(const struct pinhole *p)
{
	return backend && backend->add ? backend->add(p) : 0;
}

static int
be_del(const struct pinhole *p)
{
	return backend && backend->del ? backend->del(p) : 0;
}

static void
notify(enum lease_event ev, const struct pinhole *p)
{
	for (size_t i = 0; i < n_listeners; i++)
		listeners[i].fn(ev, p, listeners[i].arg);
}

int
pinhole_listen(pinhole_listener fn, void *arg)
{
	/* Once is enough: a module started again (the lease file) asks again. */
	for (size_t i = 0; i < n_listeners; i++)
		if (listeners[i].fn == fn && listeners[i].arg == arg)
			return 0;
	if (n_listeners == MAX_LISTENERS)
		return -ENOSPC;
	listeners[n_listeners++] = (struct listener){ fn, arg };
	return 0;
}

static void
expiry_fired(struct ev_timer *t)
{
	struct pinhole *p = (struct pinhole *)((char *)t - offsetof(struct pinhole, expiry));

	pinhole_remove(p, LEASE_EXPIRED);
}

int
pinhole_init(const struct pinhole_backend *be, size_t max)
{
	backend = be;
	pinhole_set_limits(max, 0, NULL);
	n_listeners = 0;
	last_id = 0;
	return 0;
}

int
pinhole_reinstall(void)
{
	int failed = 0;

	for (size_t i = 0; i < n_pinholes; i++)
		if (be_add(dense[i]) < 0)
			failed++;
	if (failed)
		log_warnx("pinhole: %d pinholes could not be put back into the kernel", failed);
	return failed ? -EIO : 0;
}

/* Filtered to a remote prefix wider than one host (an interval set's). */
static bool
is_prefix(uint8_t plen)
{
	return plen > 0 && plen < 128;
}

static void
unlink_pinhole(struct pinhole *p)
{
	struct pinhole **pp = &by_key[key_hash(p->proto, &p->int_addr, p->int_port)];

	while (*pp && *pp != p)
		pp = &(*pp)->key_next;
	if (*pp)
		*pp = p->key_next;
	if (by_id[p->id] == p)
		id_mark(p->id, NULL);
	dense[p->dense_idx] = dense[--n_pinholes];
	dense[p->dense_idx]->dense_idx = p->dense_idx;
	n_prefix -= is_prefix(p->remote_plen);
	host_adjust(&p->int_addr, 0, -1);
	ev_timer_cancel(&p->expiry);
}

static void
free_pinhole(struct pinhole *p)
{
	strpool_put(p->desc);
	free(p);
}

void
pinhole_fini(void)
{
	while (n_pinholes) {
		struct pinhole *p = dense[n_pinholes - 1];
		unlink_pinhole(p);
		free_pinhole(p);
	}
	free(dense);
	dense = NULL;
	dense_cap = 0;
	backend = NULL;
}

static void
set_lifetime(struct pinhole *p, uint32_t lifetime)
{
	p->permanent = lifetime == 0;
	if (lifetime == 0)
		ev_timer_cancel(&p->expiry);
	else
		ev_timer_at(&p->expiry, mono_ms() + (uint64_t)lifetime * 1000);
}

static uint8_t
remote_plen_of(const struct pinhole_req *req)
{
	if (IN6_IS_ADDR_UNSPECIFIED(&req->remote))
		return 0;
	return req->remote_plen ? req->remote_plen : 128;
}

/* Room for one more prefix filter, when the change makes one. */
static bool
prefix_room(uint8_t old_plen, const struct pinhole_req *req)
{
	return !is_prefix(remote_plen_of(req)) || is_prefix(old_plen) ||
	    n_prefix < PINHOLE_PREFIX_MAX;
}

void
pinhole_remote_text(const struct pinhole *p, char *buf, size_t len)
{
	if (IN6_IS_ADDR_UNSPECIFIED(&p->remote))
		snprintf(buf, len, "any");
	else
		prefix6_format(&p->remote, p->remote_plen, buf, len);
}

static bool
host_bits_clear(const struct in6_addr *a, unsigned plen)
{
	struct in6_addr masked = { { { 0 } } };

	prefix6_mask(&masked, a, plen);
	return memcmp(&masked, a, sizeof(masked)) == 0;
}

bool
pinhole_admits_addr(const struct pinhole *p, const struct in6_addr *addr)
{
	return IN6_IS_ADDR_UNSPECIFIED(&p->remote) || prefix6_same(&p->remote, addr, p->remote_plen);
}

static void
fill_from_req(struct pinhole *p, const struct pinhole_req *req)
{
	p->proto = req->proto;
	p->int_addr = req->int_addr;
	p->int_port = req->int_port;
	p->remote = req->remote;
	p->remote_port = req->remote_port;
	p->remote_plen = remote_plen_of(req);
	p->owner = req->owner;
	if (req->nonce)
		memcpy(p->nonce, req->nonce, LEASE_NONCE_LEN);
}

/* The same owner asks again: a new filter goes to the kernel first. */
static int
update_pinhole(struct pinhole *p, const struct pinhole_req *req)
{
	bool moved = memcmp(&p->remote, &req->remote, sizeof(p->remote)) ||
	    p->remote_port != req->remote_port || p->remote_plen != remote_plen_of(req);
	const char *desc = lease_desc_pooled(req->desc);

	if (!desc)
		return -ENOMEM;
	if (!prefix_room(p->remote_plen, req)) {
		strpool_put(desc);
		return -ENOSPC;
	}
	if (moved) {
		struct pinhole next = *p;
		fill_from_req(&next, req);
		be_del(p);
		if (be_add(&next) < 0) {
			be_add(p);
			strpool_put(desc);
			return -EIO;
		}
	}
	n_prefix += is_prefix(remote_plen_of(req));
	n_prefix -= is_prefix(p->remote_plen);
	fill_from_req(p, req);
	strpool_put(p->desc);
	p->desc = desc;
	set_lifetime(p, req->lifetime);
	notify(LEASE_UPDATED, p);
	return 0;
}

/* The next free id after the last one given (ids are reused only after
 * 65,535 others, so a client holding an old id rarely names a new pinhole).
 * At most ID_WORDS words are looked at, however full the table is. */
static uint16_t
free_id(uint16_t want)
{
	uint32_t from = (last_id + 1u) & MAX_IDS;

	if (want && !by_id[want])
		return want;
	/* ID_WORDS + 1 words: the last is the first again, for its bits below from. */
	for (uint32_t n = 0; n <= ID_WORDS; n++) {
		uint32_t w = (from / 64 + n) % ID_WORDS;
		uint64_t bits = ~id_used[w];

		if (n == 0)
			bits &= ~0ull << (from % 64);
		if (w == 0)
			bits &= ~1ull;		/* 0 is no id */
		if (bits) {
			last_id = (uint16_t)(w * 64 + (uint32_t)__builtin_ctzll(bits));
			return last_id;
		}
	}
	return 0;
}

static int
valid_req(const struct pinhole_req *req)
{
	if (!proto_ok(req->proto) || req->int_port == 0 || req->owner >= OWNER_COUNT ||
	    !pinhole_addr_ok(&req->int_addr))
		return -EINVAL;
	if (!IN6_IS_ADDR_UNSPECIFIED(&req->remote) && (IN6_IS_ADDR_MULTICAST(&req->remote) ||
	    IN6_IS_ADDR_LOOPBACK(&req->remote) || IN6_IS_ADDR_V4MAPPED(&req->remote)))
		return -EINVAL;
	/* The kernel holds remote/plen as a range from remote: no host bits. */
	if (req->remote_plen > 128 || !host_bits_clear(&req->remote, remote_plen_of(req)))
		return -EINVAL;
	return 0;
}

static int
grow_dense(void)
{
	size_t ncap = dense_cap ? dense_cap * 2 : 64;
	struct pinhole **nd = realloc(dense, ncap * sizeof(*nd));

	if (!nd)
		return -ENOMEM;
	dense = nd;
	dense_cap = ncap;
	return 0;
}

int
pinhole_add(const struct pinhole_req *req, struct pinhole **out)
{
	struct pinhole *p;
	uint64_t key;
	int rc;

	if ((rc = valid_req(req)) < 0)
		return rc;
	if ((p = pinhole_find(req->proto, &req->int_addr, req->int_port))) {
		if (p->owner != req->owner || p->owner == OWNER_STATIC)
			return -EEXIST;
		if ((rc = update_pinhole(p, req)) == 0 && out)
			*out = p;
		return rc;
	}
	key = charge_key(&req->int_addr, &req->requester);
	if (req->owner != OWNER_STATIC && max_per_host && lease_host_load(key) >= max_per_host)
		return -EDQUOT;
	if (n_pinholes >= max_pinholes || !prefix_room(0, req))
		return -ENOSPC;
	if (n_pinholes == dense_cap && grow_dense() < 0)
		return -ENOMEM;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	fill_from_req(p, req);
	if (!(p->id = free_id(req->id)) || !(p->desc = lease_desc_pooled(req->desc))) {
		rc = p->id ? -ENOMEM : -ENOSPC;
		free_pinhole(p);
		return rc;
	}
	if (host_adjust(&p->int_addr, key, +1) < 0) {
		free_pinhole(p);
		return -ENOMEM;
	}
	if (be_add(p) < 0) {
		host_adjust(&p->int_addr, 0, -1);
		free_pinhole(p);
		return -EIO;
	}
	ev_timer_init(&p->expiry, expiry_fired);
	struct pinhole **head = &by_key[key_hash(p->proto, &p->int_addr, p->int_port)];
	p->key_next = *head;
	*head = p;
	id_mark(p->id, p);
	p->dense_idx = (uint32_t)n_pinholes;
	dense[n_pinholes++] = p;
	n_prefix += is_prefix(p->remote_plen);
	set_lifetime(p, req->lifetime);
	notify(LEASE_ADDED, p);
	if (out)
		*out = p;
	return 0;
}

int
pinhole_renew(struct pinhole *p, uint32_t lifetime)
{
	set_lifetime(p, lifetime);
	notify(LEASE_UPDATED, p);
	return 0;
}

void
pinhole_remove(struct pinhole *p, enum lease_event reason)
{
	if (be_del(p) < 0)
		log_warnx("pinhole: kernel refused to remove pinhole %u; dropping it anyway", p->id);
	unlink_pinhole(p);
	notify(reason, p);
	free_pinhole(p);
}

size_t
pinhole_flush(int owner)
{
	size_t removed = 0;

	for (size_t i = n_pinholes; i-- > 0;) {
		if (i >= n_pinholes)
			continue;
		if (owner >= 0 && dense[i]->owner != (enum lease_owner)owner)
			continue;
		pinhole_remove(dense[i], LEASE_REMOVED);
		removed++;
	}
	return removed;
}

struct pinhole *
pinhole_find(uint8_t proto, const struct in6_addr *addr, uint16_t port)
{
	struct pinhole *p = by_key[key_hash(proto, addr, port)];

	for (; p; p = p->key_next)
		if (p->proto == proto && p->int_port == port &&
		    memcmp(&p->int_addr, addr, sizeof(*addr)) == 0)
			return p;
	return NULL;
}

struct pinhole *
pinhole_find_id(uint16_t id)
{
	return by_id[id];
}

struct pinhole *
pinhole_at(size_t idx)
{
	return idx < n_pinholes ? dense[idx] : NULL;
}

size_t
pinhole_prefix_count(void)
{
	return n_prefix;
}

size_t
pinhole_count(void)
{
	return n_pinholes;
}

uint32_t
pinhole_seconds_left(const struct pinhole *p)
{
	uint64_t now = mono_ms(), expires = p->expiry.when_ms;

	if (p->permanent || expires <= now)
		return 0;
	return (uint32_t)((expires - now + 999) / 1000);
}

static void
traffic_of(uint8_t proto, const struct in6_addr *addr, uint16_t port, uint64_t packets,
    uint64_t bytes, void *arg)
{
	struct lease_traffic *t = arg;
	const struct pinhole *p = pinhole_find(proto, addr, port);

	if (p)
		t[p->dense_idx] = (struct lease_traffic){ packets, bytes };
}

struct lease_traffic *
pinhole_traffic(void)
{
	struct lease_traffic *t = calloc(n_pinholes ? n_pinholes : 1, sizeof(*t));

	if (t && backend && backend->counters)
		backend->counters(traffic_of, t);
	return t;
}
