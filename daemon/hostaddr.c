/*
 * hostaddr: see hostaddr.h. The kernel answers a route lookup with the
 * route's type: RTN_LOCAL for the gateway's own addresses (loopback
 * included), RTN_BROADCAST for a broadcast address it serves.
 *
 * A lookup is two system calls and a route lookup in the kernel, as dear as
 * the rest of a mapping together, and the answer only changes when an
 * address, a route, a rule or a link does. So answers are kept (a small
 * table, one slot per address hash: the cost is the same whatever the
 * number of hosts or mappings) and all forgotten on any rtnetlink event of
 * those kinds. The event socket is subscribed before the first lookup and
 * read right before each use, not only when the event loop gets to it: a
 * change the kernel has made by then is always seen, as the lookup would
 * have seen it. Lost events (ENOBUFS) or no event socket at all mean no
 * answer is kept.
 */
#include "hostaddr.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "nlquery.h"
#include "nlwatch.h"

#define CACHE_SLOTS	64
#define WATCHED		(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV4_RULE)

static struct nlquery q = { NETLINK_ROUTE, NULL };
static struct mnl_socket *events;
static bool watch_failed;	/* then every question goes to the kernel */
static unsigned long lookups;
static struct {
	struct in_addr	addr;
	bool		valid;
	bool		local;
}			cache[CACHE_SLOTS];

static void
forget_all(void)
{
	memset(cache, 0, sizeof(cache));
}

/* Reads every queued event (only that there was one matters, so the buffer
 * is small and a longer message is cut); any event, or lost ones, make
 * every kept answer stale. True when answers may be kept. */
static bool
drain_events(void)
{
	char buf[64];
	ssize_t n;

	if (!events)
		return false;
	for (;;) {
		n = recv(mnl_socket_get_fd(events), buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && (errno == ENOBUFS || errno == EINTR))) {
			forget_all();
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		forget_all();
		return false;
	}
}

static void
events_readable(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	(void)arg;
	drain_events();
}

/* Subscribed once, before the first lookup whose answer is kept. */
static void
watch(void)
{
	if (events || watch_failed)
		return;
	watch_failed = nlwatch_open(&events, NETLINK_ROUTE, WATCHED, events_readable) < 0;
}

static unsigned
slot_of(struct in_addr addr)
{
	uint32_t h = addr.s_addr * 2654435761u;	/* Knuth's multiplicative hash */

	return h >> 26;	/* 64 slots */
}

/* The kernel's answer: 1, 0 or -errno. */
static int
ask_kernel(struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlmsghdr *answer;
	const struct rtmsg *rt;
	struct rtmsg *rtm;
	int err;

	lookups++;
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

int
hostaddr_is_local(struct in_addr addr)
{
	unsigned s = slot_of(addr);
	bool keep;
	int rc;

	watch();
	keep = drain_events();
	if (keep && cache[s].valid && cache[s].addr.s_addr == addr.s_addr)
		return cache[s].local;
	rc = ask_kernel(addr);
	if (rc >= 0 && keep) {
		cache[s].addr = addr;
		cache[s].local = rc == 1;
		cache[s].valid = true;
	}
	return rc;
}

unsigned long
hostaddr_lookups(void)
{
	return lookups;
}

void
hostaddr_fini(void)
{
	nlwatch_close(&events);
	watch_failed = false;
	forget_all();
	nlquery_close(&q);
}
