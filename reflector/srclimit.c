/*
 * srclimit: how often one source address may ask the reflector. Each
 * request makes up to 16 connections, so a source gets `per_minute`
 * requests as a bucket that refills evenly over a minute (an IPv6 source
 * counts by its /64: the caller's key). The table is
 * bounded: when full, the source seen longest ago is forgotten (it had the
 * fullest bucket anyway, so forgetting it loses little). A mutex guards it,
 * as the HTTP server runs a thread per connection.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "reflect.h"

struct source {
	uint8_t		addr[16];
	double		tokens;
	int64_t		last_ms;
	bool		used;
};

struct srclimit {
	pthread_mutex_t	 mu;
	double		 per_ms;	/* tokens added per millisecond */
	double		 burst;
	size_t		 n;
	struct source	*src;
};

struct srclimit *
srclimit_new(unsigned per_minute, size_t max_sources)
{
	struct srclimit *l;

	if (per_minute == 0 || max_sources == 0 || (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->src = calloc(max_sources, sizeof(*l->src))) == NULL) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->n = max_sources;
	l->burst = per_minute;
	l->per_ms = per_minute / 60000.0;
	return l;
}

/* The entry for addr, or a free or the stalest one made fresh for it. */
static struct source *
lookup(struct srclimit *l, const uint8_t addr[16])
{
	struct source *oldest = &l->src[0];
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct source *s = &l->src[i];

		if (s->used && memcmp(s->addr, addr, 16) == 0)
			return s;
		if (!s->used || (oldest->used && s->last_ms < oldest->last_ms))
			oldest = s;
	}
	memcpy(oldest->addr, addr, 16);
	oldest->tokens = l->burst;
	oldest->last_ms = -1;
	oldest->used = true;
	return oldest;
}

bool
srclimit_allow(struct srclimit *l, const uint8_t addr[16], int64_t now_ms)
{
	struct source *s;
	bool ok;

	pthread_mutex_lock(&l->mu);
	s = lookup(l, addr);
	if (s->last_ms >= 0 && now_ms > s->last_ms)
		s->tokens += (double)(now_ms - s->last_ms) * l->per_ms;
	if (s->tokens > l->burst)
		s->tokens = l->burst;
	s->last_ms = now_ms;
	if ((ok = s->tokens >= 1.0))
		s->tokens -= 1.0;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void
srclimit_free(struct srclimit *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->src);
	free(l);
}
