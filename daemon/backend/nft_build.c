/*
 * nft_build: the daemon's table, queued as one batch, equivalent to:
 *
 * table inet porthole {
 *   set ext4   { type ipv4_addr; }
 *   map fwd4   { type inet_proto . inet_service : ipv4_addr . inet_service; }
 *   map fwd4r  { type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service; }
 *   map fwd4rp { type inet_proto . ipv4_addr . inet_service . inet_service
 *                : ipv4_addr . inet_service; }
 *   set cnt4tcp { type inet_service; counter; }
 *   set cnt4udp { type inet_service; counter; }
 *   chain prerouting { type nat hook prerouting priority dstnat;
 *     ip daddr @ext4 dnat ip to meta l4proto . ip saddr . th sport . th dport map @fwd4rp
 *     ip daddr @ext4 dnat ip to meta l4proto . ip saddr . th dport map @fwd4r
 *     ip daddr @ext4 dnat ip to meta l4proto . th dport map @fwd4 }
 *   chain output { type nat hook output priority -100; (the same three rules) }
 *   chain postrouting { type nat hook postrouting priority srcnat;
 *     ct status dnat ip saddr LAN/PLEN ct original ip daddr @ext4
 *       snat ip to ct original ip daddr }      (one rule per LAN prefix)
 *   chain forward { type filter hook forward priority filter;
 *     ct status dnat meta l4proto tcp ct original proto-dst @cnt4tcp
 *     ct status dnat meta l4proto udp ct original proto-dst @cnt4udp
 *     ct status dnat accept }
 * }
 *
 * The most specific map is consulted first; a lookup that misses ends the
 * rule, so a host outside a mapping's remote filter falls through all three
 * and is not translated at all (a filtered mapping is never in fwd4).
 * Hairpin traffic is matched by LAN source prefix, not by interface name:
 * with a bridged LAN and br_netfilter the interfaces seen differ. It is
 * SNATed to the address the client dialled (ct original daddr), so the
 * server sees the external address (RFC 4787 REQ-9, RFC 5382 REQ-8) and the
 * rule needs no change when the external address does.
 *
 * IPv6 pinholes (nothing translated) are elements of five counted sets and
 * one chain that marks what they let in (see nft_pinhole.c):
 *
 *   set pin6   { type ipv6_addr . inet_proto . inet_service; counter; }
 *   set pin6r  { type ipv6_addr . inet_proto . inet_service . ipv6_addr; counter; }
 *   set pin6rp { type ipv6_addr . inet_proto . inet_service . ipv6_addr
 *                . inet_service; counter; }
 *   set pin6n  { (pin6r's type); flags interval; counter; }
 *   set pin6np { (pin6rp's type); flags interval; counter; }
 *   chain pinhole { type filter hook forward priority -200;
 *     meta nfproto ipv4 accept
 *     ip6 daddr . meta l4proto . th dport . ip6 saddr . th sport @pin6rp
 *       meta mark set meta mark | 0x00100000 accept
 *     (the same with @pin6np, with @pin6r and @pin6n without th sport, and
 *      @pin6 without ip6 saddr) }
 *
 * pin6n and pin6np hold the pinholes whose remote filter is a prefix wider
 * than one host (the kernel's pipapo sets, concatenated ranges); one host
 * stays in the hash sets, whose changes cost the same however many are held.
 *
 * The expression lists mirror what `nft --debug=netlink` prints for the
 * rules above (nft 1.0.6).
 */
#include "backend/nft_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>

#include "backend/backend.h"
#include "log.h"

/* nft's datatype numbers, so `nft list` prints our sets with their types. */
#define TYPE_IPADDR		7
#define TYPE_IP6ADDR		8
#define TYPE_INET_PROTOCOL	12
#define TYPE_INET_SERVICE	13
#define CONCAT(a, b)		(((a) << 6) | (b))

/* Where each key part sits: every part takes a 32-bit register. */
#define REG_KEY		NFT_REG_1	/* = NFT_REG32_00 */

static bool oom;
/* The table being built: its name, from the config nft_build_table() was given. */
static const char *table_name;

static struct nftnl_expr *
expr(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		oom = true;
	return e;
}

static void
put(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (r && e)
		nftnl_rule_add_expr(r, e);
	else if (e)
		nftnl_expr_free(e);
}

static void
meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	put(r, e);
}

static void
payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	put(r, e);
}

static void
cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	put(r, e);
}

/* reg1 = reg1 & mask (4 bytes). */
static void
mask(struct nftnl_rule *r, const void *m)
{
	static const uint32_t zero;
	struct nftnl_expr *e = expr("bitwise");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, m, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	}
	put(r, e);
}

/* Look reg1.. up in a set; a map also loads its value into reg1.. */
static void
lookup(struct nftnl_rule *r, const char *set, uint32_t set_id, bool map)
{
	struct nftnl_expr *e = expr("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, REG_KEY);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
		if (map)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
	}
	put(r, e);
}

static void
ct(struct nftnl_rule *r, uint32_t key, bool original, uint32_t dreg)
{
	struct nftnl_expr *e = expr("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
		if (original)
			nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, IP_CT_DIR_ORIGINAL);
	}
	put(r, e);
}

/* Translate to the address in reg1 and, for DNAT, the port in reg 9. */
static void
nat(struct nftnl_rule *r, uint32_t type)
{
	struct nftnl_expr *e = expr("nat");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		if (type == NFT_NAT_DNAT)
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	}
	put(r, e);
}

static void
accept_verdict(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	}
	put(r, e);
}

/* meta nfproto ipv4 (the inet family sees IPv6 too) */
static void
is_ipv4(struct nftnl_rule *r)
{
	uint8_t v4 = NFPROTO_IPV4;

	meta(r, NFT_META_NFPROTO, NFT_REG_1);
	cmp(r, NFT_CMP_EQ, &v4, sizeof(v4));
}

/* meta nfproto ipv6 */
static void
is_ipv6(struct nftnl_rule *r)
{
	uint8_t v6 = NFPROTO_IPV6;

	meta(r, NFT_META_NFPROTO, NFT_REG_1);
	cmp(r, NFT_CMP_EQ, &v6, sizeof(v6));
}

/* ct status dnat */
static void
ct_dnat(struct nftnl_rule *r)
{
	uint32_t bit = IPS_DST_NAT, zero = 0;

	ct(r, NFT_CT_STATUS, false, NFT_REG_1);
	mask(r, &bit);
	cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static struct nftnl_rule *
rule_new(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r) {
		oom = true;
		return NULL;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table_name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static void
rule_queue(struct nftnl_rule *r, const char *what)
{
	if (!r)
		return;
	struct nlmsghdr *nlh = nft_batch_msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
}

enum key_shape { KEY_HOSTPORT, KEY_HOST, KEY_ANY };

/* ip daddr @ext4 dnat ip to meta l4proto [. ip saddr [. th sport]] . th dport map @M */
static void
rule_dnat(const char *chain, enum key_shape shape)
{
	static const struct { const char *map; uint32_t id; } maps[] = {
		[KEY_HOSTPORT] = { NFT_MAP_HOSTPORT, NFT_ID_HOSTPORT },
		[KEY_HOST] = { NFT_MAP_HOST, NFT_ID_HOST },
		[KEY_ANY] = { NFT_MAP_ANY, NFT_ID_ANY },
	};
	struct nftnl_rule *r = rule_new(chain);
	uint32_t reg = NFT_REG32_01;

	is_ipv4(r);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
	lookup(r, NFT_SET_EXT, NFT_ID_EXT, false);
	meta(r, NFT_META_L4PROTO, REG_KEY);
	if (shape != KEY_ANY)
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, reg++);
	if (shape == KEY_HOSTPORT)
		payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, reg++);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg);
	lookup(r, maps[shape].map, maps[shape].id, true);
	nat(r, NFT_NAT_DNAT);
	rule_queue(r, "add dnat rule");
}

/* ct status dnat ip saddr NET/PLEN ct original ip daddr @ext4 snat ip to ct original ip daddr */
static void
rule_hairpin(struct in_addr net, uint8_t plen)
{
	struct nftnl_rule *r = rule_new("postrouting");
	uint32_t m = plen ? htonl(~0u << (32 - plen)) : 0;
	uint32_t n = net.s_addr & m;

	ct_dnat(r);
	is_ipv4(r);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mask(r, &m);
	cmp(r, NFT_CMP_EQ, &n, sizeof(n));
	ct(r, NFT_CT_DST_IP, true, NFT_REG_1);
	lookup(r, NFT_SET_EXT, NFT_ID_EXT, false);
	ct(r, NFT_CT_DST_IP, true, NFT_REG_1);
	nat(r, NFT_NAT_SNAT);
	rule_queue(r, "add hairpin rule");
}

/*
 * ct status dnat meta l4proto P ct original proto-dst @cnt4P
 * A NAT chain sees only a connection's first packet, so the per-mapping
 * counters live here, where every packet of a forwarded connection passes,
 * both ways. (proto, external port) names one mapping whatever its map.
 * One set per protocol, not one concatenation: nft can print a concatenation
 * with ct proto-dst but not read it back, and `nft list ruleset > file; nft
 * -f file` must keep working for the admin.
 */
static void
rule_count(uint8_t proto, const char *set, uint32_t set_id)
{
	struct nftnl_rule *r = rule_new("forward");

	ct_dnat(r);
	meta(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp(r, NFT_CMP_EQ, &proto, sizeof(proto));
	ct(r, NFT_CT_PROTO_DST, true, NFT_REG_1);
	lookup(r, set, set_id, false);
	rule_queue(r, "add counting rule");
}

/* ct status dnat accept */
static void
rule_forward(void)
{
	struct nftnl_rule *r = rule_new("forward");

	ct_dnat(r);
	accept_verdict(r);
	rule_queue(r, "add forward rule");
}

/* meta mark set meta mark | NFT_PINHOLE_MARK (nft's OR: and ~bit, xor bit) */
static void
mark_pinhole(struct nftnl_rule *r)
{
	uint32_t keep = ~NFT_PINHOLE_MARK, set = NFT_PINHOLE_MARK;
	struct nftnl_expr *e;

	meta(r, NFT_META_MARK, NFT_REG_1);
	if ((e = expr("bitwise"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &keep, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &set, 4);
	}
	put(r, e);
	if ((e = expr("meta"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	}
	put(r, e);
}

/* meta nfproto ipv4 accept: an IPv4 packet leaves the pinhole chain after one
 * comparison (accept ends this chain only; every other chain still runs). */
static void
rule_pinhole_skip_ipv4(void)
{
	struct nftnl_rule *r = rule_new("pinhole");

	is_ipv4(r);
	accept_verdict(r);
	rule_queue(r, "add pinhole rule");
}

/* ip6 daddr . meta l4proto . th dport [. ip6 saddr [. th sport]] @SET mark accept */
static void
rule_pinhole(enum key_shape shape, const char *set, uint32_t set_id)
{
	struct nftnl_rule *r = rule_new("pinhole");

	is_ipv6(r);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG32_00);
	meta(r, NFT_META_L4PROTO, NFT_REG32_04);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_05);
	if (shape != KEY_ANY)
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG32_06);
	if (shape == KEY_HOSTPORT)
		payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG32_10);
	lookup(r, set, set_id, false);
	mark_pinhole(r);
	accept_verdict(r);
	rule_queue(r, "add pinhole rule");
}

static void
chain_queue(const char *name, const char *type, uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c) {
		oom = true;
		return;
	}
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table_name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_nlmsg_build_payload(nft_batch_msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain"), c);
	nftnl_chain_free(c);
}

/* A set (data_len 0) or a map; `counted`: a counter on every element. */
static struct nftnl_set *
set_new(const char *name, uint32_t id, uint32_t key_type, uint32_t key_len,
    uint32_t data_type, uint32_t data_len, bool counted)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s) {
		oom = true;
		return NULL;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table_name);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, data_len ? NFT_SET_MAP : 0);
	if (data_len) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, data_len);
	}
	if (counted) {
		struct nftnl_expr *e = expr("counter");
		if (e)
			nftnl_set_add_expr(s, e);
	}
	return s;
}

static void
set_send(struct nftnl_set *s)
{
	if (!s)
		return;
	nftnl_set_nlmsg_build_payload(nft_batch_msg(NFT_MSG_NEWSET, NLM_F_CREATE, "add set"), s);
	nftnl_set_free(s);
}

static void
set_queue(const char *name, uint32_t id, uint32_t key_type, uint32_t key_len,
    uint32_t data_type, uint32_t data_len, bool counted)
{
	set_send(set_new(name, id, key_type, key_len, data_type, data_len, counted));
}

/* A counted set of concatenated ranges; fields: each part's length in bytes. */
static void
interval_set_queue(const char *name, uint32_t id, uint32_t key_type, uint32_t key_len,
    const uint8_t *fields, size_t n_fields)
{
	struct nftnl_set *s = set_new(name, id, key_type, key_len, 0, 0, true);

	if (!s)
		return;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
	nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, (uint32_t)n_fields);
	set_send(s);
}

static void
table_queue(uint16_t type, uint16_t flags, const char *what)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t) {
		oom = true;
		return;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table_name);
	nftnl_table_nlmsg_build_payload(nft_batch_msg(type, flags, what), t);
	nftnl_table_free(t);
}

/* The pinhole sets, their chain, and its five rules, most specific first. */
static void
build_pinholes(void)
{
	const uint32_t end = CONCAT(CONCAT(TYPE_IP6ADDR, TYPE_INET_PROTOCOL), TYPE_INET_SERVICE);
	const uint32_t host = CONCAT(end, TYPE_IP6ADDR), hostport = CONCAT(host, TYPE_INET_SERVICE);
	/* daddr . l4proto . dport . saddr . sport, as the datatypes' sizes */
	static const uint8_t fields[] = { 16, 1, 2, 16, 2 };

	set_queue(NFT_SET_PIN6, NFT_ID_PIN6, end, NFT_PIN6_KEY_LEN, 0, 0, true);
	set_queue(NFT_SET_PIN6R, NFT_ID_PIN6R, host, NFT_PIN6_KEY_LEN + 16, 0, 0, true);
	set_queue(NFT_SET_PIN6RP, NFT_ID_PIN6RP, hostport, NFT_PIN6_KEY_LEN + 20, 0, 0, true);
	interval_set_queue(NFT_SET_PIN6N, NFT_ID_PIN6N, host, NFT_PIN6_KEY_LEN + 16, fields, 4);
	interval_set_queue(NFT_SET_PIN6NP, NFT_ID_PIN6NP, hostport, NFT_PIN6_KEY_LEN + 20,
	    fields, 5);
	chain_queue("pinhole", "filter", NF_INET_FORWARD, NFT_PINHOLE_PRIORITY);
	rule_pinhole_skip_ipv4();
	rule_pinhole(KEY_HOSTPORT, NFT_SET_PIN6RP, NFT_ID_PIN6RP);
	rule_pinhole(KEY_HOSTPORT, NFT_SET_PIN6NP, NFT_ID_PIN6NP);
	rule_pinhole(KEY_HOST, NFT_SET_PIN6R, NFT_ID_PIN6R);
	rule_pinhole(KEY_HOST, NFT_SET_PIN6N, NFT_ID_PIN6N);
	rule_pinhole(KEY_ANY, NFT_SET_PIN6, NFT_ID_PIN6);
}

int
nft_build_table(const struct backend_config *cfg)
{
	static const char *const dnat_chains[] = { "prerouting", "output" };
	const uint32_t addr_port = CONCAT(TYPE_IPADDR, TYPE_INET_SERVICE);
	const uint32_t proto_port = CONCAT(TYPE_INET_PROTOCOL, TYPE_INET_SERVICE);
	const uint32_t proto_host_port = CONCAT(CONCAT(TYPE_INET_PROTOCOL, TYPE_IPADDR),
	    TYPE_INET_SERVICE);
	int hairpins = 0;

	oom = false;
	table_name = cfg->table;
	/* Create-if-absent, delete, create: replaces a stale table in one step. */
	table_queue(NFT_MSG_NEWTABLE, NLM_F_CREATE, "create table");
	table_queue(NFT_MSG_DELTABLE, 0, "delete stale table");
	table_queue(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "create table");

	set_queue(NFT_SET_EXT, NFT_ID_EXT, TYPE_IPADDR, 4, 0, 0, false);
	set_queue(NFT_MAP_ANY, NFT_ID_ANY, proto_port, 8, addr_port, 8, false);
	set_queue(NFT_MAP_HOST, NFT_ID_HOST, proto_host_port, 12, addr_port, 8, false);
	set_queue(NFT_MAP_HOSTPORT, NFT_ID_HOSTPORT, CONCAT(proto_host_port, TYPE_INET_SERVICE),
	    16, addr_port, 8, false);
	set_queue(NFT_SET_COUNT_TCP, NFT_ID_COUNT_TCP, TYPE_INET_SERVICE, 2, 0, 0, true);
	set_queue(NFT_SET_COUNT_UDP, NFT_ID_COUNT_UDP, TYPE_INET_SERVICE, 2, 0, 0, true);

	chain_queue("prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST);
	chain_queue("output", "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST);
	chain_queue("postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);
	chain_queue("forward", "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER);

	for (size_t i = 0; i < sizeof(dnat_chains) / sizeof(dnat_chains[0]); i++) {
		rule_dnat(dnat_chains[i], KEY_HOSTPORT);
		rule_dnat(dnat_chains[i], KEY_HOST);
		rule_dnat(dnat_chains[i], KEY_ANY);
	}
	for (int i = 0; i < cfg->n_lan && i < CONFIG_MAX_LAN; i++) {
		if (cfg->lan_plen[i] == 0 || cfg->lan_plen[i] > 32) {
			/* A /0 "LAN" would SNAT every forwarded connection. */
			log_warnx("nft: LAN prefix /%u ignored for hairpin", cfg->lan_plen[i]);
			continue;
		}
		rule_hairpin(cfg->lan_net[i], cfg->lan_plen[i]);
		hairpins++;
	}
	if (hairpins == 0)
		log_warnx("nft: no LAN prefix: hairpin connections will not be translated");
	build_pinholes();
	rule_count(IPPROTO_TCP, NFT_SET_COUNT_TCP, NFT_ID_COUNT_TCP);
	rule_count(IPPROTO_UDP, NFT_SET_COUNT_UDP, NFT_ID_COUNT_UDP);
	rule_forward();
	return oom ? -ENOMEM : 0;
}
