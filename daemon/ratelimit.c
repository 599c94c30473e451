/*
 * ratelimit: see ratelimit.h. A fixed-size table indexed by a hash of the
 * host: a collision makes two hosts share a bucket, which only ever errs on
 * the side of limiting, and memory stays bounded whatever a flood spoofs.
 */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <string.h>

#include "neigh.h"
#include "pcp_wire.h"

#define BUCKETS 4096	/* power of two */

struct bucket {
	uint64_t	host;
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

static bool
allow_key(uint64_t h, uint64_t now_ms)
{
	struct bucket *b;
	uint64_t cap, refill;

	buckets_used = true;
	b = &buckets[(h * 0x9e3779b97f4a7c15ull) >> 52 & (BUCKETS - 1)];
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

bool
ratelimit_allow(struct in_addr host, uint64_t now_ms)
{
	struct in6_addr a;

	if (!rate_per_s)
		return true;
	pcp_v4mapped(host, a.s6_addr);
	return allow_key(neigh_addr_key(&a), now_ms);
}

/* The neighbour table is asked only while a limit is set. */
bool
ratelimit_allow6(const struct in6_addr *host, unsigned ifindex, uint64_t now_ms)
{
	uint64_t key;

	if (!rate_per_s)
		return true;
	if (neigh_key(host, ifindex, &key) < 0)
		key = neigh_prefix64_key(host);
	return allow_key(key, now_ms);
}

void
ratelimit_fini(void)
{
	rate_per_s = 0;
}
