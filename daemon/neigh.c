/*
 * neigh: see neigh.h. Entries the kernel is still resolving, or failed to,
 * name no host: they count as no entry.
 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

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

void
neigh_fini(void)
{
	nlquery_close(&q);
}
