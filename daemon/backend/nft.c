/*
 * nft: the nftables backend. The daemon owns one table (family inet, see
 * nft_build.c for its shape) and a mapping is one element of one map:
 *
 *   no remote filter            fwd4   { proto . ext_port }
 *   remote host                 fwd4r  { proto . remote . ext_port }
 *   remote host and port        fwd4rp { proto . remote . remote_port . ext_port }
 *
 * each mapped to int_addr . int_port, plus a counter element { ext_port }
 * in cnt4tcp or cnt4udp (see nft_build.c for why counting is apart). Adding or
 * removing a mapping is one batch of those two elements: one netlink round
 * trip whatever the number of mappings; reading every mapping's counters is
 * one dump of each counter set. Other tables are never touched.
 */
#include "backend/backend.h"
#include "backend/nft_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "lease.h"
#include "log.h"

static char table[64];
static bool opened;

void
nft_elem_of(const struct lease *l, struct nft_elem *e)
{
	uint16_t ext_port = htons(l->ext_port), int_port = htons(l->int_port);
	uint16_t rport = htons(l->remote_port);
	uint8_t *k = e->key;

	memset(e, 0, sizeof(*e));
	k[0] = l->proto;
	k += 4;
	if (l->remote.s_addr == 0) {
		e->map = NFT_MAP_ANY;
	} else {
		e->map = l->remote_port ? NFT_MAP_HOSTPORT : NFT_MAP_HOST;
		memcpy(k, &l->remote.s_addr, 4);
		k += 4;
		if (l->remote_port) {
			memcpy(k, &rport, 2);
			k += 4;
		}
	}
	memcpy(k, &ext_port, 2);
	k += 4;
	e->key_len = (uint32_t)(k - e->key);
	memcpy(e->data, &l->int_addr.s_addr, 4);
	memcpy(e->data + 4, &int_port, 2);
	e->count_set = l->proto == IPPROTO_TCP ? NFT_SET_COUNT_TCP : NFT_SET_COUNT_UDP;
	memcpy(e->count_key, &ext_port, 2);
}

/* A set holding one element (or none), addressed to our table. */
static struct nftnl_set *
set_one(const char *name, const void *key, uint32_t key_len, const void *data,
    uint32_t data_len)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *se;

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	if (!key)
		return s;
	if (!(se = nftnl_set_elem_alloc())) {
		nftnl_set_free(s);
		return NULL;
	}
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, key, key_len);
	if (data)
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, data, data_len);
	nftnl_set_elem_add(s, se);
	return s;
}

static int
queue_elem(uint16_t type, uint16_t flags, const char *set, const void *key, uint32_t key_len,
    const void *data, const char *what)
{
	struct nftnl_set *s = set_one(set, key, key_len, data, 8);

	if (!s)
		return -ENOMEM;
	nftnl_set_elems_nlmsg_build_payload(nft_batch_msg(type, flags, what), s);
	nftnl_set_free(s);
	return 0;
}

/* The mapping's element and its counter, in one batch. */
static int
queue_mapping(uint16_t type, uint16_t flags, const struct nft_elem *e, const char *what)
{
	bool add = type == NFT_MSG_NEWSETELEM;
	int rc;

	if ((rc = queue_elem(type, flags, e->map, e->key, e->key_len, add ? e->data : NULL,
	    what)) < 0)
		return rc;
	return queue_elem(type, flags, e->count_set, e->count_key, sizeof(e->count_key), NULL,
	    what);
}

static void
describe(const struct lease *l, const char *verb, char *buf, size_t len)
{
	char rem[32] = "";

	if (l->remote.s_addr)
		snprintf(rem, sizeof(rem), " from %s:%u", inet_ntoa(l->remote), l->remote_port);
	snprintf(buf, len, "%s %s %u -> %s:%u%s", verb, l->proto == IPPROTO_TCP ? "tcp" : "udp",
	    l->ext_port, inet_ntoa(l->int_addr), l->int_port, rem);
}

/* One element out on its own; an absent element is not an error here. */
static int
del_one(const char *set, const void *key, uint32_t key_len, const char *what)
{
	int rc;

	nft_batch_begin();
	if ((rc = queue_elem(NFT_MSG_DELSETELEM, 0, set, key, key_len, NULL, what)) < 0)
		return rc;
	rc = nft_batch_commit(ENOENT);
	return rc == -ENOENT ? 0 : rc;
}

/* One batch changing a mapping's two elements; *what names it in errors. */
static int
mapping_batch(const struct lease *l, uint16_t type, uint16_t flags, const char *verb,
    struct nft_elem *e, char *what, size_t what_len, int tolerate)
{
	int rc;

	if (!opened)
		return -ENOTCONN;
	if (l->proto != IPPROTO_TCP && l->proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	nft_elem_of(l, e);
	describe(l, verb, what, what_len);
	nft_batch_begin();
	if ((rc = queue_mapping(type, flags, e, what)) < 0)
		return rc;
	return nft_batch_commit(tolerate);
}

static int
add_now(const struct lease *l)
{
	char what[96];
	struct nft_elem e;
	int rc;

	rc = mapping_batch(l, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, "add mapping", &e,
	    what, sizeof(what), EEXIST);
	if (rc != -EEXIST)
		return rc;
	/*
	 * Left-overs with the same key (put there by hand, or a removal
	 * that failed half-way): clear them and try once more.
	 */
	log_debug("nft: %s: replacing an existing element", what);
	if ((rc = del_one(e.map, e.key, e.key_len, what)) < 0 ||
	    (rc = del_one(e.count_set, e.count_key, sizeof(e.count_key), what)) < 0)
		return rc;
	nft_batch_begin();
	if ((rc = queue_mapping(NFT_MSG_NEWSETELEM, NLM_F_CREATE, &e, what)) < 0)
		return rc;
	return nft_batch_commit(0);
}

static int
del_now(const struct lease *l)
{
	char what[96];
	struct nft_elem e;
	int rc;

	rc = mapping_batch(l, NFT_MSG_DELSETELEM, 0, "delete mapping", &e, what, sizeof(what),
	    ENOENT);
	if (rc != -ENOENT)
		return rc;
	/*
	 * One of the two was missing and the batch changed nothing: take
	 * out whichever is there, so no forwarding outlives its lease.
	 */
	if ((rc = del_one(e.count_set, e.count_key, sizeof(e.count_key), what)) < 0)
		return rc;
	nft_batch_begin();
	if ((rc = queue_elem(NFT_MSG_DELSETELEM, 0, e.map, e.key, e.key_len, NULL, what)) < 0)
		return rc;
	if ((rc = nft_batch_commit(ENOENT)) == -ENOENT)
		log_warnx("nft: %s: it was not in the kernel", what);
	return rc;
}

/*
 * Batched changes (backend.h: begin, commit). Each queued change keeps a
 * copy of its lease: if the kernel refuses the batch, every change of it is
 * made again on its own, so one bad element costs only itself.
 */
struct change {
	struct lease	l;
	size_t		index;		/* among the changes since begin */
	bool		add;
};

static struct {
	bool		 on;
	struct change	*chunk;		/* in the open nftables batch */
	size_t		 n, cap;
	size_t		 next_index;
	struct refusal {
		struct lease	l;
		size_t		index;
		int		err;
	}		*refused;
	size_t		 n_refused, refused_cap;
} pend;

static void
note_refused(const struct change *c, int err)
{
	if (pend.n_refused == pend.refused_cap) {
		size_t cap = pend.refused_cap ? 2 * pend.refused_cap : 16;
		struct refusal *r = realloc(pend.refused, cap * sizeof(*r));
		if (!r) {
			log_warnx("nft: out of memory; a refused mapping stays in the table");
			return;
		}
		pend.refused = r;
		pend.refused_cap = cap;
	}
	pend.refused[pend.n_refused++] = (struct refusal){ c->l, c->index, err };
}

/* Send the open batch; if the kernel refuses it, make each change alone. */
static void
flush_chunk(void)
{
	size_t n = pend.n;
	int rc;

	if (n == 0)
		return;
	pend.n = 0;
	if ((rc = nft_batch_commit(-1)) == 0)
		return;
	log_debug("nft: a batch of %zu changes refused (%s); making them one by one", n,
	    strerror(-rc));
	for (size_t i = 0; i < n; i++) {
		const struct change *c = &pend.chunk[i];
		if (c->add && (rc = add_now(&c->l)) < 0)
			note_refused(c, rc);
		else if (!c->add)
			del_now(&c->l);
	}
}

static int
queue_change(const struct lease *l, bool add)
{
	size_t index = pend.next_index++;	/* every call is one change, queued or not */
	struct nft_elem e;
	int rc;

	if (!opened)
		return -ENOTCONN;
	if (l->proto != IPPROTO_TCP && l->proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if (pend.n == pend.cap || (pend.n && !nft_batch_room(2)))
		flush_chunk();
	if (pend.n == pend.cap) {
		size_t cap = pend.cap ? 2 * pend.cap : 64;
		struct change *c = realloc(pend.chunk, cap * sizeof(*c));
		if (!c)
			return add ? add_now(l) : del_now(l);
		pend.chunk = c;
		pend.cap = cap;
	}
	if (pend.n == 0) {
		nft_batch_begin();
		nft_batch_keep(flush_chunk);
	}
	nft_elem_of(l, &e);
	if (add)
		rc = queue_mapping(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, &e,
		    "add mapping (batched)");
	else
		rc = queue_mapping(NFT_MSG_DELSETELEM, 0, &e, "delete mapping (batched)");
	if (rc < 0)
		return rc;
	pend.chunk[pend.n++] = (struct change){ *l, index, add };
	return 0;
}

static int
nft_add(const struct lease *l)
{
	return pend.on ? queue_change(l, true) : add_now(l);
}

static int
nft_del(const struct lease *l)
{
	return pend.on ? queue_change(l, false) : del_now(l);
}

static void
nft_begin(void)
{
	pend.on = true;
	pend.next_index = 0;
}

static size_t
nft_commit(backend_refused_fn fn, void *arg)
{
	size_t n;

	flush_chunk();
	pend.on = false;
	n = pend.n_refused;
	pend.n_refused = 0;
	for (size_t i = 0; i < n && fn; i++)
		fn(&pend.refused[i].l, pend.refused[i].index, pend.refused[i].err, arg);
	return n;
}

struct count_dump {
	uint8_t			 proto;
	backend_counter_fn	 fn;
	void			*arg;
};

/* An element of a counter set: { ext_port } with its counter. */
static void
count_one(const uint8_t *key, uint32_t len, uint64_t packets, uint64_t bytes, void *arg)
{
	const struct count_dump *d = arg;
	struct backend_counters c = { packets, bytes };

	if (len >= 2)
		d->fn(d->proto, (uint16_t)(key[0] << 8 | key[1]), &c, d->arg);
}

static int
count_reply(const struct nlmsghdr *nlh, void *arg)
{
	return nft_counted_elems(nlh, count_one, arg);
}

/* Both counter sets, one dump each, so a listing costs two requests. */
static int
nft_counters(backend_counter_fn fn, void *arg)
{
	static const struct { const char *set; uint8_t proto; } sets[] = {
		{ NFT_SET_COUNT_TCP, IPPROTO_TCP }, { NFT_SET_COUNT_UDP, IPPROTO_UDP },
	};

	if (!opened)
		return -ENOTCONN;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct count_dump d = { sets[i].proto, fn, arg };
		struct nftnl_set *s = set_one(sets[i].set, NULL, 0, NULL, 0);
		int rc;

		if (!s)
			return -ENOMEM;
		nftnl_set_elems_nlmsg_build_payload(nft_dump_msg(NFT_MSG_GETSETELEM), s);
		nftnl_set_free(s);
		if ((rc = nft_request("read mapping counters", count_reply, &d, 0)) < 0)
			return rc;
	}
	return 0;
}

/* The addresses DNAT matches: the WAN one, and behind another NAT the public one. */
static struct in_addr ext_wan, ext_public;

static int
write_external(void)
{
	struct in_addr both[2] = { ext_wan, ext_public };
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	if (!opened)
		return -ENOTCONN;
	nft_batch_begin();
	/* DELSETELEM with no elements flushes the set. */
	if (!(s = set_one(NFT_SET_EXT, NULL, 0, NULL, 0)))
		return -ENOMEM;
	nlh = nft_batch_msg(NFT_MSG_DELSETELEM, 0, "flush external address set");
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	for (int i = 0; i < 2; i++) {
		if (!both[i].s_addr || (i == 1 && both[1].s_addr == both[0].s_addr))
			continue;
		if (!(s = set_one(NFT_SET_EXT, &both[i].s_addr, 4, NULL, 0)))
			return -ENOMEM;
		nlh = nft_batch_msg(NFT_MSG_NEWSETELEM, NLM_F_CREATE, "add external address");
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	}
	return nft_batch_commit(0);
}

static int
nft_set_external(struct in_addr ext)
{
	ext_wan = ext;
	return write_external();
}

static int
nft_set_public(struct in_addr pub)
{
	ext_public = pub;
	return write_external();
}

static int
nft_open(const struct backend_config *cfg)
{
	int rc;

	if (!cfg->table || !cfg->table[0] || strlen(cfg->table) >= sizeof(table)) {
		log_warnx("nft: bad table name");
		return -EINVAL;
	}
	snprintf(table, sizeof(table), "%s", cfg->table);
	if ((rc = nft_nl_open()) < 0)
		return rc;
	nft_batch_begin();
	if ((rc = nft_build_table(cfg)) < 0 || (rc = nft_batch_commit(0)) < 0) {
		log_warnx("nft: cannot create table inet %s: %s", table, strerror(-rc));
		nft_nl_close();
		opened = false;
		return rc;
	}
	if (!opened)
		nft_bridge_check(cfg);
	opened = true;
	log_debug("nft: table inet %s created", table);
	return 0;
}

static void
nft_close(void)
{
	struct nftnl_table *t;

	if (!opened)
		return;
	opened = false;
	if ((t = nftnl_table_alloc())) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
		nft_batch_begin();
		nftnl_table_nlmsg_build_payload(nft_batch_msg(NFT_MSG_DELTABLE, 0,
		    "delete table"), t);
		nftnl_table_free(t);
		/* Already gone (nft flush ruleset) is what we wanted anyway. */
		nft_batch_commit(ENOENT);
	}
	nft_nl_close();
}

uint32_t
backend_nft_portid(void)
{
	return nft_nl_portid();
}

const struct backend_ops backend_nft = {
	.name = "nftables",
	.open = nft_open,
	.close = nft_close,
	.set_external = nft_set_external,
	.set_public = nft_set_public,
	.add = nft_add,
	.del = nft_del,
	.begin = nft_begin,
	.commit = nft_commit,
	.counters = nft_counters,
};
