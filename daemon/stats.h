/*
 * stats: what the operator reads about the daemon's work: one log line per
 * mapping added, removed or refused (with the reason), and counters for the
 * Prometheus metrics endpoint: mappings by protocol, requests and errors by
 * protocol, refusals by reason.
 */
#ifndef PORTHOLE_STATS_H
#define PORTHOLE_STATS_H

#include <netinet/in.h>
#include <stdbool.h>
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
	REFUSED_UPSTREAM,	/* the gateway in front refused or did not answer */
	REFUSED_COUNT
};

/*
 * What a front-end did with one request, filled in by the layer that
 * decided it (the protocol logic), so logs and metrics never work a reason
 * out backwards from wire codes or request bytes.
 */
struct request_result {
	int		 wire;		/* the result code the client was sent; 0 = success */
	bool		 refused;	/* a refusal to count (and log, unless malformed) */
	enum refusal	 why;
	uint8_t		 l4proto;	/* what was asked for, for the log line */
	uint16_t	 ext_port;
	struct in_addr	 client;
};

/* A refusal: the wire code and the reason, decided together. */
static inline int
request_refuse(struct request_result *r, int wire, enum refusal why)
{
	r->refused = true;
	r->why = why;
	return r->wire = wire;
}

int	 stats_init(void);
/* One request's result: counted, and a refusal logged with its reason. */
void	 stats_result(enum lease_owner proto, const struct request_result *r);
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
