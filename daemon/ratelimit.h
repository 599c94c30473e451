/*
 * ratelimit: a token bucket per LAN host, so one host's flood of requests
 * cannot starve the others. Front-ends ask before doing any work.
 *
 * An IPv4 host is its address. An IPv6 host may take any address of its /64
 * (privacy addresses), and on a LAN with one /64 the prefix is everybody, so
 * an IPv6 source is counted by its link-layer address in the neighbour table
 * (neigh.h); sources the table does not know yet share one bucket per /64,
 * so a flood from made-up addresses gets no more than one host does.
 */
#ifndef PORTHOLE_RATELIMIT_H
#define PORTHOLE_RATELIMIT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* rate = requests per second allowed per host (burst of the same size); 0 = off. */
void	ratelimit_set(uint32_t rate);
bool	ratelimit_allow(struct in_addr host, uint64_t now_ms);
/* ifindex: the LAN interface it came in on (0: unknown, counted by its /64). */
bool	ratelimit_allow6(const struct in6_addr *host, unsigned ifindex, uint64_t now_ms);
void	ratelimit_fini(void);

#endif
