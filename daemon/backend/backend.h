/*
 * backend: where the lease table's decisions become kernel state.
 * The lease table calls these hooks and knows nothing of nftables, so it can
 * be unit-tested with the null backend and no root.
 */
#ifndef PORTHOLE_BACKEND_H
#define PORTHOLE_BACKEND_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"	/* CONFIG_MAX_LAN */

struct lease;

struct backend_config {
	const char	*table;		/* nftables table name, family inet */
	const char	*ext_ifname;	/* WAN interface */
	const char	*lan_ifnames[CONFIG_MAX_LAN];	/* LAN interfaces, n_lan of them */
	struct in_addr	 lan_net[CONFIG_MAX_LAN];	/* LAN prefixes, for hairpin SNAT */
	uint8_t		 lan_plen[CONFIG_MAX_LAN];
	int		 n_lan;
};

struct backend_counters {
	uint64_t	packets;
	uint64_t	bytes;
};

/* Called once per mapping the kernel counts, by its (proto, ext_port). */
typedef void (*backend_counter_fn)(uint8_t proto, uint16_t ext_port,
    const struct backend_counters *c, void *arg);

/* An add the kernel would not take in a batch (backend_ops.commit): the lease
 * as it was given, its place among the batch's changes (0 = the first add or
 * removal after begin), and -errno. */
typedef void (*backend_refused_fn)(const struct lease *l, size_t index, int err, void *arg);

struct backend_ops {
	const char *name;
	/* Create the daemon's own table from scratch (replacing a stale one). */
	int  (*open)(const struct backend_config *cfg);
	/* Remove the daemon's table; other tables are never touched. */
	void (*close)(void);
	/* The WAN address(es) that DNAT matches; 0.0.0.0 = none known. */
	int  (*set_external)(struct in_addr ext);
	/*
	 * Optional (NULL: not offered): behind another NAT, the public address
	 * DNAT matches as well, so LAN hosts reach mappings through it even when
	 * the NAT in front does not hairpin. 0.0.0.0 = none.
	 */
	int  (*set_public)(struct in_addr pub);
	int  (*add)(const struct lease *l);
	int  (*del)(const struct lease *l);
	/*
	 * Optional (NULL: each change is sent on its own): the adds and removals
	 * between begin and commit reach the kernel together, one nftables
	 * transaction for up to a few hundred, instead of one each. add and del
	 * then return 0 once the change is queued; commit sends the rest, and if
	 * the kernel refuses a batch, makes each of its changes alone, so a bad
	 * one costs only itself. fn is called (after the last is sent) for each
	 * add refused; commit returns how many were.
	 */
	void (*begin)(void);
	size_t (*commit)(backend_refused_fn fn, void *arg);
	/* Every mapping's counters in one pass (one request, whatever their number). */
	int  (*counters)(backend_counter_fn fn, void *arg);
};

extern const struct backend_ops backend_nft;
/* The netlink port nftables changes are sent from (0: none open), so that
 * a watcher of nftables' events can tell the daemon's own apart. */
uint32_t backend_nft_portid(void);
/* IPv6 pinholes in the same table (nft_pinhole.c); NULL if the name is too long. */
struct pinhole_backend;
const struct pinhole_backend *backend_nft_pinholes(const char *table);
extern const struct backend_ops backend_null;

#endif
