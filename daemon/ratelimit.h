/*
 * ratelimit: a token bucket per LAN host, so one host's flood of requests
 * cannot starve the others. Front-ends ask before doing any work.
 */
#ifndef PORTHOLE_RATELIMIT_H
#define PORTHOLE_RATELIMIT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* rate = requests per second allowed per host (burst of the same size); 0 = off. */
void	ratelimit_set(uint32_t rate);
bool	ratelimit_allow(struct in_addr host, uint64_t now_ms);
/* An IPv6 host is limited by its /64: it can take any address in it. */
bool	ratelimit_allow6(const struct in6_addr *host, uint64_t now_ms);
void	ratelimit_fini(void);

#endif
