/*
 * sockdiag: see sockdiag.h. The request is an exact lookup
 * (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP): the kernel runs the same socket
 * lookup an arriving packet gets, so wildcard and dual-stack listeners are
 * found as the packet would find them. The kernel reads the TCP request's
 * "src" as the local end and the UDP request's "dst" as the local end (a
 * historical swap in udp_diag); both are filled in accordingly.
 */
#include "sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <string.h>

#include "nlquery.h"

static struct nlquery q = { NETLINK_SOCK_DIAG, NULL };

static void
fill_request(struct inet_diag_req_v2 *r, uint8_t proto, struct in_addr local, uint16_t port,
    unsigned ifindex)
{
	memset(r, 0, sizeof(*r));
	r->sdiag_family = AF_INET;
	r->sdiag_protocol = proto;
	r->idiag_states = ~0u;
	r->id.idiag_if = ifindex;
	r->id.idiag_cookie[0] = r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (proto == IPPROTO_TCP) {
		r->id.idiag_src[0] = local.s_addr;
		r->id.idiag_sport = htons(port);
	} else {
		r->id.idiag_dst[0] = local.s_addr;
		r->id.idiag_dport = htons(port);
	}
}

int
sockdiag_bound(uint8_t proto, struct in_addr local, uint16_t port, unsigned ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlmsghdr *answer;
	int err;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	fill_request(mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_req_v2)), proto,
	    local, port, ifindex);
	/* The answer is the socket found, or ENOENT: none. */
	answer = nlquery_ask(&q, nlh, buf, sizeof(buf), &err);
	if (answer)
		return answer->nlmsg_type == SOCK_DIAG_BY_FAMILY ? 1 : -EPROTO;
	return err == -ENOENT ? 0 : err;
}

void
sockdiag_fini(void)
{
	nlquery_close(&q);
}
