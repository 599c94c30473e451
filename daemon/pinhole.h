/*
 * pinhole: the IPv6 half of the lease table. On IPv6 nothing is translated:
 * a pinhole lets connections from outside reach a LAN host's own address and
 * port, optionally only from one remote host (and port). It is a lease of
 * address family 6: same owners, same expiry timers, same listeners, same
 * lease file, shown beside the IPv4 mappings.
 *
 * Key: (internal address, protocol, internal port) is unique; a hash on it
 * makes insert, delete and lookup O(1), as does the UniqueID (UPnP names
 * pinholes by it). A dense array serves listings.
 */
#ifndef PORTHOLE_PINHOLE_H
#define PORTHOLE_PINHOLE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "lease.h"

struct pinhole {
	/* table bookkeeping; not for front-ends */
	struct pinhole	*key_next;	/* hash chain by internal end */
	struct ev_timer	 expiry;
	const char	*desc;		/* pooled (strpool), never NULL */
	uint32_t	 dense_idx;
	/* what the kernel lets through */
	struct in6_addr	 int_addr;
	struct in6_addr	 remote;	/* :: = any remote host */
	uint16_t	 int_port;
	uint16_t	 remote_port;	/* 0 = any */
	uint8_t		 remote_plen;	/* remote's prefix: 1..128 (128 one host); 0 = any */
	uint8_t		 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		 owner : 7;	/* enum lease_owner */
	uint8_t		 permanent : 1;
	uint16_t	 id;		/* 1..65535, unique while the pinhole lives */
	uint8_t		 nonce[LEASE_NONCE_LEN];	/* PCP only */
};

struct pinhole_req {
	uint8_t		 proto;
	struct in6_addr	 int_addr;
	uint16_t	 int_port;
	struct in6_addr	 remote;	/* :: = any; no bits set past remote_plen */
	uint16_t	 remote_port;
	uint8_t		 remote_plen;	/* 1..128; 0 with a remote = 128 (one host) */
	uint32_t	 lifetime;	/* seconds; 0 = permanent */
	enum lease_owner owner;
	struct in6_addr	 requester;	/* who asked (IPv4 as ::ffff:a.b.c.d); :: = int_addr */
	uint16_t	 id;		/* 0 = pick one; restores ask for theirs */
	const uint8_t	*nonce;		/* NULL unless PCP */
	const char	*desc;
};

typedef void (*pinhole_listener)(enum lease_event ev, const struct pinhole *p, void *arg);

/* The kernel side; NULL hooks (or no backend at all) keep nothing. */
struct pinhole_backend {
	int	(*add)(const struct pinhole *p);
	int	(*del)(const struct pinhole *p);
	/* fn once per pinhole the kernel counts, named by its key */
	int	(*counters)(void (*fn)(uint8_t proto, const struct in6_addr *addr, uint16_t port,
		    uint64_t packets, uint64_t bytes, void *arg), void *arg);
};

#define PINHOLE_MAX_DEFAULT	4096
/*
 * Pinholes filtered to a remote prefix (wider than one host) at the most,
 * gateway-wide: the kernel holds them in an interval set, where a change
 * costs more the more it holds (tests/bench/RESULTS.md: 3 ms per add and
 * delete at 100, 21 ms at 1,000). The bound keeps a change's cost bounded;
 * one-host filters and unfiltered pinholes (hash sets) are not counted.
 */
#define PINHOLE_PREFIX_MAX	64

int	 pinhole_init(const struct pinhole_backend *be, size_t max_pinholes);
/* Pinholes held now whose filter is a remote prefix (PINHOLE_PREFIX_MAX). */
size_t	 pinhole_prefix_count(void);
void	 pinhole_fini(void);
/* Put every pinhole back into the kernel (after our table was rebuilt). */
int	 pinhole_reinstall(void);

/*
 * Add, or update when (proto, int_addr, int_port) is already held by the
 * same owner. Returns 0 and sets *out (may be NULL), or:
 *   -EINVAL  bad protocol, port 0, an address that cannot be a LAN host's, or
 *            a remote prefix over 128 or with bits set past its length
 *   -EEXIST  held by another owner (or a static pinhole)
 *   -EDQUOT  the host holds its quota already (max_per_host, with its IPv4
 *            mappings; not for static ones)
 *   -ENOSPC  the table is full;  -EIO  the kernel refused (nothing changed)
 */
int	 pinhole_add(const struct pinhole_req *req, struct pinhole **out);
int	 pinhole_renew(struct pinhole *p, uint32_t lifetime);
void	 pinhole_remove(struct pinhole *p, enum lease_event reason);
size_t	 pinhole_flush(int owner);

/* New limits (start, SIGHUP): the table's size (0 = PINHOLE_MAX_DEFAULT) and
 * max_per_host (0 = no limit), one count per host with its IPv4 mappings
 * (lease.h). key_of names the host an address belongs to: 1 and *key (its
 * link-layer address, neigh.h) when known, 0 when not; IPv4 requesters are
 * asked as ::ffff:a.b.c.d. NULL: each address alone. Pinholes already held
 * are kept. */
void	 pinhole_set_limits(size_t max, size_t per_host,
	    int (*key_of)(const struct in6_addr *addr, uint64_t *key));
/* What addr's host holds against max_per_host: its mappings and pinholes. */
size_t	 pinhole_count_host(const struct in6_addr *addr);

struct pinhole *pinhole_find(uint8_t proto, const struct in6_addr *addr, uint16_t port);
struct pinhole *pinhole_find_id(uint16_t id);
struct pinhole *pinhole_at(size_t idx);
size_t	 pinhole_count(void);
uint32_t pinhole_seconds_left(const struct pinhole *p);
/* Called after every change; asking again with the same fn and arg changes nothing. */
int	 pinhole_listen(pinhole_listener fn, void *arg);

/* Every pinhole's inbound traffic in pinhole_at() order; the caller frees it. */
struct lease_traffic *pinhole_traffic(void);

/* p's remote filter as text, "addr" for one host, "addr/len" for a prefix;
 * "any" without a filter. Needs PREFIX6_STRLEN bytes. */
void	 pinhole_remote_text(const struct pinhole *p, char *buf, size_t len);
/* Does p let connections from addr in (its remote filter, the port aside)? */
bool	 pinhole_admits_addr(const struct pinhole *p, const struct in6_addr *addr);

/* Could addr be a LAN host's pinhole target? Not ::, loopback, multicast,
 * link-local or IPv4-mapped: nothing outside can reach those. */
bool	 pinhole_addr_ok(const struct in6_addr *addr);

#endif
