/*
 * ratelimit: see ratelimit.h. A fixed-size table indexed by a hash of the
 * host: a collision makes two hosts share a bucket, which only ever errs on
 * the side of limiting, and memory stays bounded whatever a flood spoofs.
 */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <string.h>

#define BUCKETS 4096	/* power of two */

struct bucket {
	uint32_t	host;
	uint32_t	tokens_milli;	/* thousandths of a request */
	uint64_t	last_ms;
};

static struct bucket	buckets[BUCKETS];
static uint32_t		rate_per_s;
static bool		buckets_used;	/* untouched pages stay out of memory */

void
ratelimit_set(uint32_t rate)
{
	rate_per_s = rate;
	if (buckets_used)
		memset(buckets, 0, sizeof(buckets));
	buckets_used = false;
}

bool
ratelimit_allow(struct in_addr host, uint64_t now_ms)
{
	uint32_t h = ntohl(host.s_addr);
	struct bucket *b;
	uint64_t cap, refill;

	if (!rate_per_s)
		return true;
	buckets_used = true;
	b = &buckets[(h * 2654435761u) >> 20 & (BUCKETS - 1)];
	cap = (uint64_t)rate_per_s * 1000;
	if (b->host != h || b->last_ms == 0) {
		b->host = h;
		b->tokens_milli = (uint32_t)cap;
		b->last_ms = now_ms;
	}
	refill = (now_ms - b->last_ms) * rate_per_s;	/* ms * req/s = milli-requests */
	b->last_ms = now_ms;
	b->tokens_milli = (uint32_t)(b->tokens_milli + refill > cap ? cap : b->tokens_milli + refill);
	if (b->tokens_milli < 1000)
		return false;
	b->tokens_milli -= 1000;
	return true;
}

/* The /64 folded into 240.0.0.0/4, where no IPv4 host is, shares the table. */
bool
ratelimit_allow6(const struct in6_addr *host, uint64_t now_ms)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 8; i++)
		h = (h ^ host->s6_addr[i]) * 16777619u;
	return ratelimit_allow((struct in_addr){ htonl(0xf0000000u | (h & 0x0fffffffu)) }, now_ms);
}

void
ratelimit_fini(void)
{
	rate_per_s = 0;
}
