/*
 * neigh: see neigh.h. Entries the kernel is still resolving, or failed to,
 * name no host: they count as no entry.
 *
 * The pinhole test (neigh_compare) reads one RTM_GETNEIGH dump of the IPv6
 * table per question, asked only for THIRD_PARTY-style requests (a router's
 * table is small). An address the table does not know gets a probe datagram
 * (to the discard port), which makes the kernel solicit it; the client's
 * retransmission then finds it.
 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nlquery.h"

static struct nlquery q = { NETLINK_ROUTE, NULL };

int
neigh_key(struct in_addr addr, unsigned ifindex, uint64_t *key)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlmsghdr *answer;
	const struct ndmsg *nd;
	const struct nlattr *a;
	struct ndmsg *ndm;
	int err;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, addr.s_addr);
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

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)) || nd->ndm_family != AF_INET6 ||
	    !(nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*nd)) {
		if (mnl_attr_get_type(a) == NDA_DST && mnl_attr_get_payload_len(a) == 16)
			dst = a;
		else if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) <= LLADDR_MAX)
			ll = a;
	}
	if (!dst || !ll || mnl_attr_get_payload_len(ll) == 0)
		return MNL_CB_OK;
	for (int i = 0; i < 2; i++)
		if (memcmp(mnl_attr_get_payload(dst), lk->want[i], 16) == 0) {
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
	nd->ndm_family = AF_INET6;
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
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9),
	    .sin6_addr = *addr };
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	(void)sendto(s, "", 0, 0, (struct sockaddr *)&sin6, sizeof(sin6));
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
