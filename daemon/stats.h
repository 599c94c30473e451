/*
 * stats: what the operator reads about the daemon's work: one log line per
 * mapping added, removed or refused (with the reason), and counters for the
 * Prometheus metrics endpoint: mappings by protocol, requests and errors by
 * protocol, refusals by reason.
 */
#ifndef PORTHOLE_STATS_H
#define PORTHOLE_STATS_H

#include <netinet/in.h>
#include <stdint.h>

#include "lease.h"

enum refusal {
	REFUSED_POLICY = 0,	/* no allow rule */
	REFUSED_THIRD_PARTY,	/* for another host, not allowed */
	REFUSED_CONFLICT,	/* port held by another host or a static mapping */
	REFUSED_QUOTA,		/* max_per_host */
	REFUSED_FULL,		/* max_leases or no free port */
	REFUSED_RATE,		/* rate_limit */
	REFUSED_MALFORMED,	/* bad packet or request */
	REFUSED_KERNEL,		/* the backend failed */
	REFUSED_COUNT
};

int	 stats_init(void);
/* A request handled by a front-end; ok = answered with success. */
void	 stats_request(enum lease_owner proto, int ok);
/* A mapping request refused: counted, and logged with the reason. */
void	 stats_refused(enum lease_owner proto, enum refusal why, uint8_t l4proto,
	    uint16_t ext_port, struct in_addr client);
/* The reason for lease_add's negative result. */
enum refusal stats_refusal_of(int lease_add_rc);
const char *stats_refusal_name(enum refusal why);

/* Prometheus text exposition format; returns a malloc'd string. */
char	*stats_prometheus(void);

#endif
