/*
 * hostaddr: see hostaddr.h. The kernel answers a route lookup with the
 * route's type: RTN_LOCAL for the gateway's own addresses (loopback
 * included), RTN_BROADCAST for a broadcast address it serves.
 */
#include "hostaddr.h"

#include <errno.h>
#include <linux/rtnetlink.h>

#include "nlquery.h"

static struct nlquery q = { NETLINK_ROUTE, NULL };

int
hostaddr_is_local(struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlmsghdr *answer;
	const struct rtmsg *rt;
	struct rtmsg *rtm;
	int err;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, addr.s_addr);
	answer = nlquery_ask(&q, nlh, buf, sizeof(buf), &err);
	if (!answer)	/* no route at all: certainly not ours */
		return err == -ENETUNREACH || err == -EHOSTUNREACH ? 0 : err;
	if (answer->nlmsg_type != RTM_NEWROUTE ||
	    answer->nlmsg_len < mnl_nlmsg_size(sizeof(struct rtmsg)))
		return -EPROTO;
	rt = mnl_nlmsg_get_payload(answer);
	return rt->rtm_type == RTN_LOCAL || rt->rtm_type == RTN_BROADCAST;
}

void
hostaddr_fini(void)
{
	nlquery_close(&q);
}
