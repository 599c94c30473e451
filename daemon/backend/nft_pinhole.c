/*
 * nft_pinhole: IPv6 pinholes in the daemon's table. A pinhole is one element
 * of one counted set (nft_build.c makes them, and the chain that looks them
 * up):
 *
 *   no remote filter        pin6    { daddr . l4proto . dport }
 *   remote host             pin6r   { daddr . l4proto . dport . saddr }
 *   remote host and port    pin6rp  { daddr . l4proto . dport . saddr . sport }
 *   remote prefix           pin6n   { (pin6r's key, saddr a range) }
 *   remote prefix and port  pin6np  { (pin6rp's key, saddr a range) }
 *
 * A prefix's element is the range from the key with the prefix's first
 * address to the same key with its last (the interval sets' key end).
 * The internal end comes first in all five, so a counter dump names its
 * pinhole by the same 24 bytes whatever the set. Adding or removing is one
 * batch of one element: one netlink round trip whatever the number held.
 */
#include "backend/backend.h"
#include "backend/nft_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "log.h"
#include "pinhole.h"
#include "prefix6.h"

#define PIN_KEY_MAX	(NFT_PIN6_KEY_LEN + 20)

static char table[64];

struct pin_elem {
	const char	*set;
	uint8_t		 key[PIN_KEY_MAX];
	uint8_t		 key_end[PIN_KEY_MAX];	/* a prefix's last address; else unused */
	uint32_t	 key_len;
	bool		 range;
};

/* Each part of the concatenation in whole 32-bit words, zero-padded. */
static void
elem_of(const struct pinhole *p, struct pin_elem *e)
{
	uint16_t port = htons(p->int_port), rport = htons(p->remote_port);

	memset(e, 0, sizeof(*e));
	memcpy(e->key, &p->int_addr, 16);
	e->key[16] = p->proto;
	memcpy(e->key + 20, &port, 2);
	e->key_len = NFT_PIN6_KEY_LEN;
	e->set = NFT_SET_PIN6;
	if (IN6_IS_ADDR_UNSPECIFIED(&p->remote))
		return;
	memcpy(e->key + e->key_len, &p->remote, 16);
	e->key_len += 16;
	e->range = p->remote_plen < 128;
	e->set = e->range ? NFT_SET_PIN6N : NFT_SET_PIN6R;
	if (p->remote_port) {
		memcpy(e->key + e->key_len, &rport, 2);
		e->key_len += 4;
		e->set = e->range ? NFT_SET_PIN6NP : NFT_SET_PIN6RP;
	}
	if (!e->range)
		return;
	memcpy(e->key_end, e->key, sizeof(e->key_end));
	for (unsigned bit = p->remote_plen; bit < 128; bit++)
		e->key_end[NFT_PIN6_KEY_LEN + bit / 8] |= (uint8_t)(0x80 >> bit % 8);
}

static void
describe(const struct pinhole *p, const char *verb, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], r[PREFIX6_STRLEN] = "";

	inet_ntop(AF_INET6, &p->int_addr, a, sizeof(a));
	if (!IN6_IS_ADDR_UNSPECIFIED(&p->remote))
		prefix6_format(&p->remote, p->remote_plen, r, sizeof(r));
	snprintf(buf, len, "%s pinhole %s [%s]:%u%s%s", verb, lease_proto_name(p->proto), a,
	    p->int_port, r[0] ? " from " : "", r);
}

/* A message for our set `name`, with one key-only element or none (a dump). */
static int
queue_set_msg(struct nlmsghdr *nlh, const char *name, const struct pin_elem *e)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *se = NULL;

	if (!s || (e && !(se = nftnl_set_elem_alloc()))) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	if (se) {
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e->key, e->key_len);
		if (e->range)
			nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, e->key_end, e->key_len);
		nftnl_set_elem_add(s, se);
	}
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return 0;
}

static int
elem_batch(uint16_t type, uint16_t flags, const struct pin_elem *e, const char *what,
    int tolerate)
{
	int rc;

	if (!table[0])
		return -ENOTCONN;
	nft_batch_begin();
	if ((rc = queue_set_msg(nft_batch_msg(type, flags, what), e->set, e)) < 0)
		return rc;
	return nft_batch_commit(tolerate);
}

static int
pin_add(const struct pinhole *p)
{
	struct pin_elem e;
	char what[128];
	int rc;

	elem_of(p, &e);
	describe(p, "add", what, sizeof(what));
	rc = elem_batch(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, &e, what, EEXIST);
	if (rc != -EEXIST)
		return rc;
	/* A left-over with the same key: its counter starts again from zero. */
	log_debug("nft: %s: replacing an existing element", what);
	if ((rc = elem_batch(NFT_MSG_DELSETELEM, 0, &e, what, 0)) < 0)
		return rc;
	return elem_batch(NFT_MSG_NEWSETELEM, NLM_F_CREATE, &e, what, 0);
}

static int
pin_del(const struct pinhole *p)
{
	struct pin_elem e;
	char what[128];
	int rc;

	elem_of(p, &e);
	describe(p, "delete", what, sizeof(what));
	if ((rc = elem_batch(NFT_MSG_DELSETELEM, 0, &e, what, ENOENT)) == -ENOENT)
		log_warnx("nft: %s: it was not in the kernel", what);
	return rc == -ENOENT ? 0 : rc;
}

typedef void (*pin_count_fn)(uint8_t proto, const struct in6_addr *addr, uint16_t port,
    uint64_t packets, uint64_t bytes, void *arg);

struct count_dump {
	pin_count_fn	 fn;
	void		*arg;
};

/* An element of a pinhole set: the internal end is its first 24 bytes. */
static void
count_one(const uint8_t *key, uint32_t len, uint64_t packets, uint64_t bytes, void *arg)
{
	const struct count_dump *d = arg;
	struct in6_addr addr;

	if (len < NFT_PIN6_KEY_LEN)
		return;
	memcpy(&addr, key, 16);
	d->fn(key[16], &addr, (uint16_t)(key[20] << 8 | key[21]), packets, bytes, d->arg);
}

static int
count_reply(const struct nlmsghdr *nlh, void *arg)
{
	return nft_counted_elems(nlh, count_one, arg);
}

/* One dump per set: five requests whatever the number of pinholes. */
static int
pin_counters(pin_count_fn fn, void *arg)
{
	static const char *const sets[] = { NFT_SET_PIN6, NFT_SET_PIN6R, NFT_SET_PIN6RP,
	    NFT_SET_PIN6N, NFT_SET_PIN6NP };
	struct count_dump d = { fn, arg };

	if (!table[0])
		return -ENOTCONN;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		int rc;
		if ((rc = queue_set_msg(nft_dump_msg(NFT_MSG_GETSETELEM), sets[i], NULL)) < 0 ||
		    (rc = nft_request("read pinhole counters", count_reply, &d, 0)) < 0)
			return rc;
	}
	return 0;
}

static const struct pinhole_backend ops = {
	.add = pin_add,
	.del = pin_del,
	.counters = pin_counters,
};

const struct pinhole_backend *
backend_nft_pinholes(const char *table_name)
{
	if (!table_name || strlen(table_name) >= sizeof(table))
		return NULL;
	snprintf(table, sizeof(table), "%s", table_name);
	return &ops;
}
