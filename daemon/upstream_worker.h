/*
 * upstream_worker: the one thread that talks to the gateway on the WAN
 * side, through libporthole (PCP, then NAT-PMP, then UPnP). libporthole's
 * API is synchronous (a request waits up to its timeout), and the event
 * loop must never wait on the network, so the calls run here, one at a
 * time, and the answers come back to the loop over a pipe.
 *
 * Bounded and coalesced: each (protocol, port) is queued at most once;
 * a newer wish for a queued port replaces the older one, so a flood of
 * local requests becomes at most one upstream request per port in flight.
 * Every 2 s the worker also asks the gateway for its address and whether
 * it still holds our mappings (epoch, UPnP entry); after a restart it
 * maps everything again and says so. An announcement from the gateway
 * (upstream_announce.c) makes it ask at once (upw_check_now). It renews
 * what it made at half the granted lifetime until told to remove it.
 */
#ifndef PORTHOLE_UPSTREAM_WORKER_H
#define PORTHOLE_UPSTREAM_WORKER_H

#include <netinet/in.h>
#include <stdint.h>

#include "porthole.h"

#define UPW_DESC_MAX	64
#define UPW_CHECK_MS	2000	/* PORTHOLED_UPSTREAM_CHECK_MS overrides it, for tests */

enum upw_kind {
	UPW_MAPPED,		/* proto/port now mapped upstream (ext, lifetime, method) */
	UPW_REFUSED,		/* the gateway refused or failed: err, why */
	UPW_UNMAPPED,		/* removed upstream (err 0) or could not be (err) */
	UPW_ADDRESS,		/* the gateway's external address (ext), or err */
	UPW_RESTARTED,		/* the gateway lost our mappings; they are being restored */
};

struct upw_result {
	enum upw_kind		 kind;
	uint8_t			 proto;
	uint16_t		 port;
	int			 err;		/* PORTHOLE_ERR_*; 0 = done */
	uint32_t		 lifetime;	/* granted (MAPPED) */
	struct in_addr		 ext;		/* MAPPED, ADDRESS */
	enum porthole_method	 method;
	char			 why[160];	/* porthole_last_error, for the log */
};

/* Starts the thread; *fd becomes readable with struct upw_result records. 0 or -errno. */
int	upw_start(enum porthole_method method, int *fd);
/* Map (lifetime > 0) or unmap (lifetime 0) proto/port on the gateway; desc may be NULL. */
int	upw_want(uint8_t proto, uint16_t port, uint32_t lifetime, const char *desc);
/* Unmaps nothing (mappings lapse upstream by their lifetime); joins the thread. */
void	upw_stop(void);
/* Jobs waiting (not counting the one under way). */
size_t	upw_queued(void);
/* Ask the gateway at once whether it restarted or changed its address. */
void	upw_check_now(void);
/* The gateway the worker talks to (found at upw_start). */
struct in_addr upw_gateway(void);

#endif
