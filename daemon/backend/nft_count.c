/*
 * nft_count: reading a counted set's dump. The IPv4 counter sets and the
 * pinhole sets keep a counter on every element; a dump message lists some
 * of them, and this hands each one's key and counter to the caller, who
 * knows what the key means.
 */
#include "backend/nft_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/set.h>

struct sums {
	uint64_t	packets, bytes;
};

static int
counter_cb(struct nftnl_expr *e, void *arg)
{
	struct sums *s = arg;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0) {
		s->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		s->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

int
nft_counted_elems(const struct nlmsghdr *nlh, nft_counted_fn fn, void *arg)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *se;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		rc = -EBADMSG;
	} else if ((it = nftnl_set_elems_iter_create(s))) {
		while ((se = nftnl_set_elems_iter_next(it))) {
			struct sums c = { 0, 0 };
			uint32_t len = 0;
			const uint8_t *key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &len);
			if (!key)
				continue;
			nftnl_set_elem_expr_foreach(se, counter_cb, &c);
			fn(key, len, c.packets, c.bytes, arg);
		}
		nftnl_set_elems_iter_destroy(it);
	}
	nftnl_set_free(s);
	return rc;
}
