/*
 * bench_mufill: puts N mappings straight into miniupnpd's nftables chains,
 * expression for expression as miniupnpd 2.3 writes them (read back with
 * `nft --debug=netlink list table`), so miniupnpd reads them as its own.
 * miniupnpd's cost per mapping grows with the number of mappings, so filling
 * it to 10,000 through its protocols alone would take the best part of an
 * hour; the measured windows still go through its protocols.
 *
 *   bench_mufill TABLE IFNAME PROTO FIRST COUNT INTADDR	(run in the gateway)
 *
 * Mapping i: external port FIRST+i -> INTADDR:FIRST+i, labelled as a NAT-PMP
 * mapping. Prints ops= secs= rate=.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define PER_BATCH	100		/* rule pairs; a batch stays far below sk_sndbuf */

struct fill {
	const char	*table;
	uint32_t	 ifindex;
	uint8_t		 proto;
	struct in_addr	 addr;
};

static void
add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e) {
		fprintf(stderr, "bench_mufill: out of memory\n");
		exit(2);
	}
	nftnl_rule_add_expr(r, e);
}

static void
load_cmp(struct nftnl_rule *r, struct nftnl_expr *load, const void *v, uint32_t len)
{
	struct nftnl_expr *c = nftnl_expr_alloc("cmp");

	add_expr(r, load);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, v, len);
	add_expr(r, c);
}

static struct nftnl_expr *
meta_iif(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_IIF);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *
payload(uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	return e;
}

static void
immediate(struct nftnl_rule *r, uint32_t reg, const void *v, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	if (reg == NFT_REG_VERDICT)
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	else
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, v, len);
	add_expr(r, e);
}

static struct nftnl_rule *
rule_new(const struct fill *f, const char *chain, uint16_t port)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char desc[32];

	if (!r)
		exit(2);
	snprintf(desc, sizeof(desc), "NAT-PMP %u %s", port, f->proto == IPPROTO_TCP ? "tcp" : "udp");
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, f->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, desc, strlen(desc));
	return r;
}

/* prerouting_miniupnpd: iif, l4 protocol, dport -> dnat addr:port */
static struct nftnl_rule *
dnat_rule(const struct fill *f, uint16_t port)
{
	struct nftnl_rule *r = rule_new(f, "prerouting_miniupnpd", port);
	struct nftnl_expr *nat = nftnl_expr_alloc("nat");
	uint16_t nport = htons(port);

	load_cmp(r, meta_iif(), &f->ifindex, 4);
	load_cmp(r, payload(NFT_PAYLOAD_NETWORK_HEADER, 9, 1), &f->proto, 1);
	load_cmp(r, payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), &nport, 2);
	immediate(r, NFT_REG_1, &f->addr, 4);
	immediate(r, NFT_REG_2, &nport, 2);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_2);
	nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FLAGS, 0x3);
	add_expr(r, nat);
	return r;
}

/* miniupnpd (forward): iif, dport, daddr, l4 protocol -> accept */
static struct nftnl_rule *
accept_rule(const struct fill *f, uint16_t port)
{
	struct nftnl_rule *r = rule_new(f, "miniupnpd", port);
	uint16_t nport = htons(port);

	load_cmp(r, meta_iif(), &f->ifindex, 4);
	load_cmp(r, payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), &nport, 2);
	load_cmp(r, payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4), &f->addr, 4);
	load_cmp(r, payload(NFT_PAYLOAD_NETWORK_HEADER, 9, 1), &f->proto, 1);
	immediate(r, NFT_REG_VERDICT, NULL, 0);
	return r;
}

static void
put_rule(struct mnl_nlmsg_batch *b, struct nftnl_rule *r, uint32_t *seq)
{
	struct nlmsghdr *nlh = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_APPEND | NLM_F_CREATE, (*seq)++);

	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(b);
}

/* The kernel answers a batch only with errors: any message back is one. */
static void
check_errors(struct mnl_socket *nl)
{
	char buf[8192];
	ssize_t n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);

	if (n > 0) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			fprintf(stderr, "bench_mufill: kernel refused: %s\n", strerror(-e->error));
			exit(1);
		}
	}
}

int
main(int argc, char **argv)
{
	static char buf[PER_BATCH * 2 * 512 + 4096];
	struct fill f;
	struct mnl_socket *nl;
	struct bench_run r;
	unsigned first, count;
	uint32_t seq = 1;

	if (argc != 7) {
		fprintf(stderr, "usage: bench_mufill TABLE IFNAME PROTO FIRST COUNT INTADDR\n");
		return 2;
	}
	f.table = argv[1];
	f.ifindex = if_nametoindex(argv[2]);
	f.proto = bench_proto(argv[3]);
	first = bench_num(argv[4], 65535, "first port");
	count = bench_num(argv[5], 65535 - first + 1, "count");
	f.addr = bench_addr(argv[6]);
	if (!f.ifindex || !(nl = mnl_socket_open(NETLINK_NETFILTER)) ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("bench_mufill");
		return 2;
	}
	bench_begin(&r, 3600);
	for (unsigned done = 0; done < count;) {
		struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
		unsigned n = count - done < PER_BATCH ? count - done : PER_BATCH;

		nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
		mnl_nlmsg_batch_next(b);
		for (unsigned i = 0; i < n; i++) {
			put_rule(b, dnat_rule(&f, first + done + i), &seq);
			put_rule(b, accept_rule(&f, first + done + i), &seq);
		}
		nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
		mnl_nlmsg_batch_next(b);
		if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
			perror("bench_mufill: send");
			return 1;
		}
		mnl_nlmsg_batch_stop(b);
		check_errors(nl);
		done += n;
		r.ops = done;
	}
	mnl_socket_close(nl);
	bench_report(&r, count, NULL);
	return 0;
}
