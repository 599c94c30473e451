/*
 * addrflags: is this host's address a DHCP lease? The kernel marks an
 * address a DHCP client (or anyone) added with a valid lifetime as not
 * IFA_F_PERMANENT; a mapping that points at such an address breaks when
 * the lease moves. One RTM_GETADDR dump over rtnetlink; the answer is
 * parsed by phc_addr_dynamic_parse, which does no I/O and takes the bytes
 * as hostile (exact lengths, bounded walk).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "phc.h"

#define DUMP_BUF	(32 * 1024)

/* The flags of addr in one RTM_NEWADDR message: IFA_FLAGS when present (32 bits). */
static int
msg_flags(const struct nlmsghdr *nh, struct in_addr addr, uint32_t *flags)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const struct rtattr *rta;
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	bool match = false;
	uint32_t f;

	if (len < 0 || ifa->ifa_family != AF_INET)
		return -1;
	f = ifa->ifa_flags;
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) == 4)
			match = memcmp(RTA_DATA(rta), &addr, 4) == 0;
		else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) == 4)
			memcpy(&f, RTA_DATA(rta), 4);
	}
	if (!match)
		return -1;
	*flags = f;
	return 0;
}

int
phc_addr_dynamic_parse(const uint8_t *buf, size_t len, struct in_addr addr, bool *dynamic,
    bool *done)
{
	const struct nlmsghdr *nh;
	int rest = len > DUMP_BUF ? DUMP_BUF : (int)len;
	uint32_t flags;
	int found = -1;

	for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, rest); nh = NLMSG_NEXT(nh, rest)) {
		if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
			*done = true;
			break;
		}
		if (nh->nlmsg_type == RTM_NEWADDR && msg_flags(nh, addr, &flags) == 0) {
			*dynamic = !(flags & IFA_F_PERMANENT);
			found = 0;
		}
	}
	return found;
}

int
phc_addr_dynamic(struct in_addr addr, bool *dynamic)
{
	struct {
		struct nlmsghdr		nh;
		struct ifaddrmsg	ifa;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETADDR,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifa = { .ifa_family = AF_INET },
	};
	static _Thread_local uint8_t buf[DUMP_BUF] __attribute__((aligned(4)));
	bool done = false;
	ssize_t r;
	int s, found = -1;

	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) == -1)
		return PORTHOLE_ERR_SYSTEM;
	if (send(s, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		close(s);
		return PORTHOLE_ERR_SYSTEM;
	}
	/* A few hundred addresses at most on a server: a bounded number of reads. */
	for (int i = 0; i < 64 && !done; i++) {
		if ((r = recv(s, buf, sizeof(buf), 0)) <= 0)
			break;
		if (phc_addr_dynamic_parse(buf, (size_t)r, addr, dynamic, &done) == 0)
			found = 0;
	}
	close(s);
	return found == 0 ? 0 : PORTHOLE_ERR_SYSTEM;
}
