/*
 * kernwatch: see kernwatch.h. Only removals of the table, a chain or a
 * set/map in our table count. The daemon's own changes (an element or two
 * per mapping) would arrive as events too, two reads each; a socket filter
 * has the kernel drop them instead: nftables sends each transaction's
 * events in one message batch stamped with the port of the socket that
 * made the change, so the first header tells whose they are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
#include "kernwatch.h"
#include "log.h"
#include "nlwatch.h"

static struct mnl_socket *nl;
static char table_name[64];
static void (*rebuild_cb)(void);
static struct ev_timer settle;

/* The attribute holding the table's name in each message type. */
static int
table_attr(uint16_t msg)
{
	switch (msg) {
	case NFT_MSG_DELTABLE: return NFTA_TABLE_NAME;
	case NFT_MSG_DELCHAIN: return NFTA_CHAIN_TABLE;
	case NFT_MSG_DELSET: return NFTA_SET_TABLE;
	case NFT_MSG_DELRULE: return NFTA_RULE_TABLE;
	default: return -1;
	}
}

int
kernwatch_is_removal(const void *buf, size_t len, const char *table)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlattr *attr;
	int want;

	if (len < sizeof(*nlh) + sizeof(struct nfgenmsg) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < sizeof(*nlh) + sizeof(struct nfgenmsg))
		return 0;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	want = table_attr(NFNL_MSG_TYPE(nlh->nlmsg_type));
	if (want < 0)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != want)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return 0;
		return strcmp(mnl_attr_get_str(attr), table) == 0;
	}
	return 0;
}

static void
drain(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	while (mnl_socket_recvfrom(nl, buf, sizeof(buf)) > 0)
		;
}

static void
settled(struct ev_timer *t)
{
	(void)t;
	log_warnx("nftables: table inet %s was removed or changed by someone else; rebuilding it",
	    table_name);
	rebuild_cb();
	/* The kernel reported our own rebuild (it replaces the table) before the
	 * batch was acknowledged: those events are ours, not news. */
	drain();
}

static void
nl_readable(int fd, short revents, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	(void)fd;
	(void)revents;
	(void)arg;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			if (kernwatch_is_removal(nlh, nlh->nlmsg_len, table_name) &&
			    !ev_timer_armed(&settle))
				/* a ruleset reload comes as a burst: rebuild once it is over */
				ev_timer_in(&settle, 50);
	}
	if (n < 0 && errno == ENOBUFS && !ev_timer_armed(&settle))
		ev_timer_in(&settle, 50);	/* events lost: check by rebuilding */
}

/* Batches whose first header names portid are not queued. Classic BPF
 * reads words big-endian, hence the constant is compared in that order. */
static int
drop_events_of(uint32_t portid)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(portid), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) < 0)
		return -errno;
	return 0;
}

int
kernwatch_init(const char *table, uint32_t own_portid, void (*rebuild)(void))
{
	int rc;

	snprintf(table_name, sizeof(table_name), "%s", table);
	rebuild_cb = rebuild;
	ev_timer_init(&settle, settled);
	rc = nlwatch_open(&nl, NETLINK_NETFILTER, 1 << (NFNLGRP_NFTABLES - 1), nl_readable);
	if (rc < 0)
		return rc;
	/* Without the filter our own events are read and skipped, as before. */
	if (own_portid && (rc = drop_events_of(own_portid)) < 0)
		log_debug("nftables: no socket filter for our own events: %s", strerror(-rc));
	return 0;
}

void
kernwatch_fini(void)
{
	ev_timer_cancel(&settle);
	nlwatch_close(&nl);
}
