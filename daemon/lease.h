/*
 * lease: the one protocol-neutral table of port mappings, and the only
 * caller of the backend. Protocol front-ends (UPnP, NAT-PMP, PCP, the
 * control socket) translate their wire formats into these calls.
 *
 * Keys: (protocol, external port) is unique; a direct-indexed array makes
 * insert, delete and lookup O(1) for all 65,535 ports of each protocol.
 * A hash on (protocol, internal address, internal port) serves NAT-PMP and
 * PCP, which name mappings by their internal end. Leases are also kept in a
 * dense array so UPnP's GetGenericPortMappingEntry(index) is O(1).
 * A disabled lease is kept and listed but never handed to the backend.
 * Expiry is one event-loop timer per lease. A lease is 72 bytes (80 with
 * malloc's header), its description shared with every other lease of the
 * same text (strpool): memory, not lookups, is what grows with the table.
 */
#ifndef PORTHOLE_LEASE_H
#define PORTHOLE_LEASE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct backend_ops;

enum lease_owner {
	OWNER_STATIC = 0,
	OWNER_UPNP,
	OWNER_NATPMP,
	OWNER_PCP,
	OWNER_COUNT
};

enum lease_proto_idx { PIDX_TCP = 0, PIDX_UDP = 1 };

#define LEASE_DESC_MAX	64
#define LEASE_NONCE_LEN	12

struct lease {
	/* table bookkeeping; not for front-ends */
	struct lease	*int_next;	/* hash chain by internal end */
	struct ev_timer	 expiry;	/* armed unless permanent; when_ms = expiry */
	const char	*desc;		/* pooled (strpool), never NULL */
	uint32_t	 dense_idx;
	/* destination, and the optional remote-host filter: 0.0.0.0 = any */
	struct in_addr	 int_addr;
	struct in_addr	 remote;
	uint16_t	 int_port;
	uint16_t	 remote_port;	/* 0 = any */
	/* identity */
	uint16_t	 ext_port;
	uint8_t		 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		 owner : 6;	/* enum lease_owner */
	uint8_t		 permanent : 1;	/* no expiry (lifetime 0) */
	uint8_t		 disabled : 1;	/* listed, not in the kernel (UPnP NewEnabled=0) */
	uint8_t		 nonce[LEASE_NONCE_LEN];	/* PCP only */
};
_Static_assert(sizeof(struct lease) <= 72, "a lease fits malloc's 80-byte chunk");

/* What a front-end asks for. lifetime 0 = permanent (static / UPnP v1). */
struct lease_req {
	uint8_t		 proto;
	uint16_t	 ext_port;
	struct in_addr	 int_addr;
	uint16_t	 int_port;
	struct in_addr	 remote;
	uint16_t	 remote_port;
	uint32_t	 lifetime;
	enum lease_owner owner;
	const uint8_t	*nonce;		/* NULL unless PCP */
	const char	*desc;
	bool		 disabled;	/* keep it listed but not forwarded */
	struct in_addr	 requester;	/* who asked; 0.0.0.0 = int_addr (quotas) */
};

/* Why the table changed: passed to listeners (GENA, lease store, logs). */
enum lease_event { LEASE_ADDED, LEASE_UPDATED, LEASE_REMOVED, LEASE_EXPIRED };
typedef void (*lease_listener)(enum lease_event ev, const struct lease *l, void *arg);

struct lease_limits {
	size_t		 max_leases;	/* whole table; 0 = 131070 */
	size_t		 max_per_host;	/* 0 = unlimited */
	/* The host an address belongs to, for max_per_host: 1 and *key (its
	 * link-layer address) when known, 0 when not. NULL: each address alone. */
	int		(*host_key)(struct in_addr addr, uint64_t *key);
};

int	 lease_init(const struct backend_ops *backend, const struct lease_limits *lim);
/* New limits (SIGHUP); leases already held are kept. */
void	 lease_set_limits(const struct lease_limits *lim);
/* Put every lease back into the backend (after the kernel lost our table). */
int	 lease_reinstall(void);
/*
 * The changes between these two reach the kernel together (one nftables
 * batch, where the backend offers it), e.g. a restore of the lease file. A
 * mapping the kernel refuses then is dropped from the table at the end, with
 * a log line; lease_batch_end() returns how many leases were dropped.
 */
void	 lease_batch_begin(void);
size_t	 lease_batch_end(void);
/* The backend refused sent after the table made it: remove the lease that
 * still is that mapping (true), or find none (false). */
bool	 lease_drop_refused(const struct lease *sent);
/* Remove every lease from the kernel and free the table. */
void	 lease_fini(void);

/*
 * Add, or update when the same internal host already holds (proto, ext_port).
 * Returns 0 and sets *out, or:
 *   -EEXIST  (proto, ext_port) is held by another internal host or a
 *            static mapping the caller is not allowed to replace
 *   -EDQUOT  the host's quota is used up (max_per_host, counted per host:
 *            every address with its link-layer address, and what it asked
 *            for addresses nobody has)
 *   -ENOSPC  the table is full
 *   -EADDRNOTAVAIL  int_addr is not a LAN host's (guard.h)
 *   -EADDRINUSE     the gateway itself uses (proto, ext_port) (guard.h)
 *   -EIO     the backend refused (the table is unchanged)
 */
int	 lease_add(const struct lease_req *req, struct lease **out);
int	 lease_renew(struct lease *l, uint32_t lifetime);
/* Remove; reason is LEASE_REMOVED or LEASE_EXPIRED for listeners. */
void	 lease_remove(struct lease *l, enum lease_event reason);
/* Remove every lease (owner < 0: of any owner). Returns how many. */
size_t	 lease_flush(int owner);

struct lease *lease_find(uint8_t proto, uint16_t ext_port);
/* First lease of this owner (owner < 0: any) for the internal end. */
struct lease *lease_find_internal(uint8_t proto, struct in_addr addr, uint16_t port, int owner);
/* Calls fn for each lease on that internal address and protocol (proto 0: both). */
void	 lease_foreach_host(struct in_addr addr, uint8_t proto,
	    void (*fn)(struct lease *l, void *arg), void *arg);

size_t	 lease_count(void);
/* Leases of this one address (max_per_host counts the whole host's). */
size_t	 lease_count_host(struct in_addr addr);
/*
 * max_per_host is one count per host for its IPv4 mappings and its IPv6
 * pinholes (pinhole.c), the host named by its key (neigh.h: its link-layer
 * address, or an address key while it is unknown). lease_host_load is what
 * the host holds; charge adds n to it (0, or -ENOMEM), release takes n off.
 */
size_t	 lease_host_load(uint64_t key);
int	 lease_host_charge(uint64_t key, size_t n);
void	 lease_host_release(uint64_t key, size_t n);
/* How many leases each owner holds (a walk of the table: for pages, not per request). */
void	 lease_count_owners(size_t n[OWNER_COUNT]);
/* Dense index 0..count-1; order changes when leases are removed. */
struct lease *lease_at(size_t idx);

/*
 * A free external port for (proto): `want` if free, otherwise the nearest
 * free one above it (wrapping past 65535 to 1024). 0 when none is free.
 * UDP 5350, 5351 and 1900 (guard_port_reserved) are never handed out.
 */
uint16_t lease_free_port(uint8_t proto, uint16_t want);

static inline bool
lease_permanent(const struct lease *l)
{
	return l->permanent;
}

/* Seconds left (rounded up); 0 for permanent leases. */
uint32_t lease_seconds_left(const struct lease *l);
/* Every lease's traffic in lease_at() order, read from the kernel in one
 * pass; the caller frees it. NULL when out of memory; zeros where the kernel
 * could not be read (the backend logs why). */
struct lease_traffic {
	uint64_t	 packets, bytes;
};
struct lease_traffic *lease_traffic(void);

/* Listeners are called after every change, in registration order. */
int	 lease_listen(lease_listener fn, void *arg);

/*
 * Addresses. The WAN address (set by the WAN watcher / config) is where the
 * kernel's mappings live. Behind another NAT it is private or shared
 * (RFC 1918, RFC 6598), and the address the Internet sees is learned apart
 * (STUN, the upstream gateway): lease_set_public. lease_external() is the
 * address clients are told: the public one when the WAN address is
 * private or shared and the public one is known, else the WAN address.
 */
int	 lease_set_external(struct in_addr wan);
struct in_addr lease_wan(void);
/* 0.0.0.0 = not known (any more). */
void	 lease_set_public(struct in_addr pub);
struct in_addr lease_public(void);
struct in_addr lease_external(void);
/* Called after the address clients are told changed (announcements, GENA). */
typedef void (*lease_ext_listener)(struct in_addr old_ext, struct in_addr new_ext, void *arg);
int	 lease_listen_external(lease_ext_listener fn, void *arg);

/* A description as every table keeps it (bounded, cleaned, pooled; strpool_put
 * it when done); NULL when out of memory. The pinhole table uses it too. */
const char *lease_desc_pooled(const char *desc);
const char *lease_owner_name(enum lease_owner o);
const char *lease_proto_name(uint8_t proto);
int	 lease_proto_parse(const char *s, uint8_t *proto);

#endif
