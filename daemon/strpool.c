/*
 * strpool: one hash table of counted strings. The table doubles when it
 * holds as many strings as it has buckets, so a lookup costs the same with
 * ten descriptions as with sixty thousand.
 */
#include "strpool.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry	*next;
	uint32_t	 refs;
	uint32_t	 hash;
	char		 text[];
};

static struct entry	**buckets;
static size_t		  n_buckets, n_entries;

static uint32_t
hash_text(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
grow(void)
{
	size_t n = n_buckets ? n_buckets * 2 : 64;
	struct entry **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < n_buckets; i++)
		while (buckets[i]) {
			struct entry *e = buckets[i];
			buckets[i] = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(buckets);
	buckets = nb;
	n_buckets = n;
}

const char *
strpool_get(const char *s)
{
	uint32_t h = hash_text(s);
	struct entry *e;
	size_t len;

	if (n_entries >= n_buckets)
		grow();
	if (!buckets)
		return NULL;
	for (e = buckets[h & (n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->text, s) == 0) {
			e->refs++;
			return e->text;
		}
	len = strlen(s) + 1;
	if (!(e = malloc(offsetof(struct entry, text) + len)))
		return NULL;
	memcpy(e->text, s, len);
	e->refs = 1;
	e->hash = h;
	e->next = buckets[h & (n_buckets - 1)];
	buckets[h & (n_buckets - 1)] = e;
	n_entries++;
	return e->text;
}

void
strpool_put(const char *s)
{
	struct entry *e, **pp;

	if (!s)
		return;
	e = (struct entry *)(s - offsetof(struct entry, text));
	if (--e->refs)
		return;
	for (pp = &buckets[e->hash & (n_buckets - 1)]; *pp != e; pp = &(*pp)->next)
		;
	*pp = e->next;
	n_entries--;
	free(e);
	if (!n_entries) {
		free(buckets);
		buckets = NULL;
		n_buckets = 0;
	}
}
