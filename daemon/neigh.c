/*
 * neigh: see neigh.h. Entries the kernel is still resolving, or failed to,
 * name no host: they count as no entry.
 *
 * The pinhole test (neigh_compare) reads one RTM_GETNEIGH dump (IPv4 and
 * IPv6) per question, asked only for THIRD_PARTY-style requests (a router's
 * table is small). An address the table does not know gets a probe datagram
 * (to the discard port), which makes the kernel solicit it; the client's
 * retransmission then finds it.
 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nlquery.h"

static struct nlquery q = { NETLINK_ROUTE, NULL };

int
neigh_key(const struct in6_addr *addr, unsigned ifindex, uint64_t *key)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlmsghdr *answer;
	const struct ndmsg *nd;
	const struct nlattr *a;
	struct ndmsg *ndm;
	bool v4 = IN6_IS_ADDR_V4MAPPED(addr);
	int err;

	if (!ifindex)
		return -ENOENT;		/* on no LAN interface: nobody's neighbour */
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = v4 ? AF_INET : AF_INET6;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put(nlh, NDA_DST, v4 ? 4 : 16, v4 ? &addr->s6_addr[12] : addr->s6_addr);
	if (!(answer = nlquery_ask(&q, nlh, buf, sizeof(buf), &err)))
		return err;
	if (answer->nlmsg_type != RTM_NEWNEIGH ||
	    answer->nlmsg_len < mnl_nlmsg_size(sizeof(struct ndmsg)))
		return -EPROTO;
	nd = mnl_nlmsg_get_payload(answer);
	if (nd->ndm_state == NUD_NONE || (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)))
		return -ENOENT;
	mnl_attr_for_each(a, answer, sizeof(struct ndmsg)) {
		const uint8_t *ll = mnl_attr_get_payload(a);
		uint16_t len = mnl_attr_get_payload_len(a);
		if (mnl_attr_get_type(a) != NDA_LLADDR || len == 0 || len > 8)
			continue;
		*key = 0;
		for (uint16_t i = 0; i < len; i++)
			*key = *key << 8 | ll[i];
		return 0;
	}
	return -ENOENT;
}

/* The top 16 bits tell the kinds apart; a 6-byte link-layer key has them 0. */
#define KIND_ADDR4	0xffffull	/* as lease.c's keys of an IPv4 address */
#define KIND_ADDR6	0xfffeull
#define KIND_PREFIX64	0xfffdull

static uint64_t
fold48(const uint8_t *b, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return (h ^ h >> 48) & 0xffffffffffffull;
}

uint64_t
neigh_addr_key(const struct in6_addr *addr)
{
	if (IN6_IS_ADDR_V4MAPPED(addr))
		return KIND_ADDR4 << 48 | (uint64_t)addr->s6_addr[12] << 24 |
		    (uint64_t)addr->s6_addr[13] << 16 | (uint64_t)addr->s6_addr[14] << 8 |
		    addr->s6_addr[15];
	return KIND_ADDR6 << 48 | fold48(addr->s6_addr, 16);
}

uint64_t
neigh_prefix64_key(const struct in6_addr *addr)
{
	return KIND_PREFIX64 << 48 | fold48(addr->s6_addr, 8);
}

/* An 8-byte link-layer address starting ff:fd..ff:ff would read as not
 * one: counted apart, which errs on the side of more quota, never less. */
bool
neigh_key_is_lladdr(uint64_t key)
{
	return key >> 48 < KIND_PREFIX64;
}

#define LLADDR_MAX	32

static struct mnl_socket *dump_nl;	/* for the whole-table dumps below */

struct lookup {
	const struct in6_addr	*want[2];
	uint8_t			 ll[2][LLADDR_MAX];
	size_t			 ll_len[2];
};

static int
neigh_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct lookup *lk = arg;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *dst = NULL, *ll = NULL;

	struct in6_addr addr = IN6ADDR_ANY_INIT;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)) ||
	    (nd->ndm_family != AF_INET6 && nd->ndm_family != AF_INET) ||
	    !(nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*nd)) {
		if (mnl_attr_get_type(a) == NDA_DST &&
		    mnl_attr_get_payload_len(a) == (nd->ndm_family == AF_INET6 ? 16u : 4u))
			dst = a;
		else if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) <= LLADDR_MAX)
			ll = a;
	}
	if (!dst || !ll || mnl_attr_get_payload_len(ll) == 0)
		return MNL_CB_OK;
	if (nd->ndm_family == AF_INET6) {
		memcpy(&addr, mnl_attr_get_payload(dst), 16);
	} else {	/* IPv4 as ::ffff:a.b.c.d, the form callers ask in */
		addr.s6_addr[10] = addr.s6_addr[11] = 0xff;
		memcpy(&addr.s6_addr[12], mnl_attr_get_payload(dst), 4);
	}
	for (int i = 0; i < 2; i++)
		if (memcmp(&addr, lk->want[i], 16) == 0) {
			lk->ll_len[i] = mnl_attr_get_payload_len(ll);
			memcpy(lk->ll[i], mnl_attr_get_payload(ll), lk->ll_len[i]);
		}
	return MNL_CB_OK;
}

static int
dump(struct lookup *lk)
{
	static char buf[32768];	/* a dump message is at most a page or two */
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int rc;

	if (!dump_nl) {
		if (!(dump_nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)))
			return -errno;
		if (mnl_socket_bind(dump_nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			rc = -errno;
			mnl_socket_close(dump_nl);
			dump_nl = NULL;
			return rc;
		}
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_UNSPEC;
	if (mnl_socket_sendto(dump_nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		if ((n = mnl_socket_recvfrom(dump_nl, buf, sizeof(buf))) < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(dump_nl), neigh_cb, lk);
	} while (rc > MNL_CB_STOP);
	return rc < 0 ? -errno : 0;
}

/* Make the kernel solicit addr: any datagram to it starts neighbour discovery. */
static void
probe(const struct in6_addr *addr)
{
	union { struct sockaddr sa; struct sockaddr_in v4; struct sockaddr_in6 v6; } to;
	bool v4 = IN6_IS_ADDR_V4MAPPED(addr);
	int s = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&to, 0, sizeof(to));
	if (v4) {
		to.v4.sin_family = AF_INET;
		to.v4.sin_port = htons(9);
		memcpy(&to.v4.sin_addr, &addr->s6_addr[12], 4);
	} else {
		to.v6.sin6_family = AF_INET6;
		to.v6.sin6_port = htons(9);
		to.v6.sin6_addr = *addr;
	}
	(void)sendto(s, "", 0, 0, &to.sa, v4 ? sizeof(to.v4) : sizeof(to.v6));
	close(s);
}

enum neigh_verdict
neigh_compare(const struct in6_addr *requester, const struct in6_addr *other)
{
	struct lookup lk = { { requester, other }, { { 0 } }, { 0, 0 } };
	int rc;

	if ((rc = dump(&lk)) < 0) {
		log_warnx("neigh: cannot read the neighbour table: %s", strerror(-rc));
		return NEIGH_OTHER;
	}
	if (!lk.ll_len[0] || !lk.ll_len[1]) {
		for (int i = 0; i < 2; i++)
			if (!lk.ll_len[i])
				probe(lk.want[i]);
		return NEIGH_UNKNOWN;
	}
	return lk.ll_len[0] == lk.ll_len[1] && memcmp(lk.ll[0], lk.ll[1], lk.ll_len[0]) == 0 ?
	    NEIGH_SAME : NEIGH_OTHER;
}

void
neigh_fini(void)
{
	nlquery_close(&q);
	if (dump_nl)
		mnl_socket_close(dump_nl);
	dump_nl = NULL;
}
