/*
 * pcp6: PCP over IPv6 (RFC 6887 §8), the sockets and their announcements.
 *
 * One socket per LAN interface, bound to [::]:5351 on that device
 * (SO_BINDTODEVICE), so it hears the interface's link-local, global and ULA
 * addresses however they change and can never hear the WAN. Each reply
 * leaves from the address the request was sent to (IPV6_PKTINFO), as §8.3
 * clients require. A request must come from a link-local source or one
 * inside a LAN prefix of that interface; anything else, NAT-PMP (versions 0
 * and 1, IPv4 only) and responses are dropped unanswered.
 *
 * At start, and after the epoch was reset (the external address changed:
 * announce.c), each socket sends the ANNOUNCE to [ff02::1]:5350 ten times,
 * 250 ms apart at first and doubling, as announce.c does for IPv4 (§14.1.3).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "frontend.h"
#include "lan6.h"
#include "log.h"
#include "pcp_int.h"
#include "ratelimit.h"
#include "stats.h"

#define RECV_BUF	2048	/* > 1100, so an oversized request is seen as such */
#define BATCH		32
#define BURST_COUNT	10
#define BURST_FIRST_MS	250
#define DROP(reason)	do { why = (reason); goto drop; } while (0)

struct sock6 {
	int		 fd;
	unsigned	 ifindex;
};

static struct {
	const struct gateway	*gw;
	struct sock6		 s[CONFIG_MAX_LAN];
	int			 n;
	struct ev_timer		 burst;
	int			 burst_sent;
	uint64_t		 burst_gap;
	bool			 running;
	bool			 listening;	/* lease_listen_external has no unregister */
} p6;

static int
open_socket(const struct gw_lan *lan)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(PCP_SERVER_PORT),
	    .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, hops = 1, ifindex = (int)lan->ifindex;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, lan->ifname, (socklen_t)strlen(lan->ifname)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		int err = -errno;
		log_warn("pcp6: udp [::]:%d on %s", PCP_SERVER_PORT, lan->ifname);
		close(fd);
		return err;
	}
	pcp_socket_room(fd, "pcp6");
	return fd;
}

static ssize_t
receive(int fd, uint8_t *buf, struct sockaddr_in6 *from, struct in6_pktinfo *to)
{
	union { char b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; } cbuf;
	struct iovec iov = { buf, RECV_BUF };
	struct msghdr mh = {
		.msg_name = from, .msg_namelen = sizeof(*from), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_TRUNC);

	memset(to, 0, sizeof(*to));
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO)
			memcpy(to, CMSG_DATA(cm), sizeof(*to));
	return n;
}

/* Reply from the address the request went to (§8.3), on its interface. */
static void
reply(int fd, const uint8_t *b, size_t n, const struct sockaddr_in6 *to,
    const struct in6_pktinfo *from)
{
	union { char b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; } cbuf;
	struct iovec iov = { (void *)b, n };
	struct msghdr mh = {
		.msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov,
		.msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	char a[INET6_ADDRSTRLEN];

	memset(cbuf.b, 0, sizeof(cbuf.b));
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*from));
	memcpy(CMSG_DATA(cm), from, sizeof(*from));
	if (sendmsg(fd, &mh, 0) < 0)
		log_debug("pcp6: reply to [%s]:%u: %s",
		    inet_ntop(AF_INET6, &to->sin6_addr, a, sizeof(a)), ntohs(to->sin6_port),
		    strerror(errno));
}

static void
serve_one(const struct sock6 *s, const uint8_t *buf, size_t len,
    const struct sockaddr_in6 *from, const struct in6_pktinfo *to)
{
	static uint8_t out[PCP_MAX_MSG + 4];
	struct pcp_env env = { .cfg = p6.gw->cfg, .epoch = pcp_epoch() };
	char peer[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	const char *why;
	size_t n;

	if (to->ipi6_ifindex != s->ifindex || IN6_IS_ADDR_MULTICAST(&to->ipi6_addr))
		DROP("not sent to this LAN interface's own address");
	if (!IN6_IS_ADDR_LINKLOCAL(&from->sin6_addr) && !lan6_prefix_of(&from->sin6_addr, s->ifindex))
		DROP("not from this LAN interface's link or prefixes");
	if (from->sin6_port == 0)
		DROP("source port 0");
	if (len < 2 || buf[0] < PCP_VERSION)
		DROP("NAT-PMP is IPv4 only");
	if (!ratelimit_allow6(&from->sin6_addr, s->ifindex, mono_ms()))
		DROP("over the per-host rate limit");
	n = pcp6_handle(&env, &from->sin6_addr, buf, len, out, sizeof(out));
	if (n == 0)
		DROP("malformed, a response, too short, or its neighbour entry pending");
	stats_request(OWNER_PCP, n > 3 && out[3] == PCP_SUCCESS);
	reply(s->fd, out, n, from, to);
	return;
drop:
	snprintf(peer, sizeof(peer), "[%s]:%u", inet_ntop(AF_INET6, &from->sin6_addr, a, sizeof(a)),
	    ntohs(from->sin6_port));
	log_drop("pcp6", peer, why);
}

static void
readable(int fd, short revents, void *arg)
{
	static uint8_t buf[RECV_BUF];
	const struct sock6 *s = arg;

	(void)revents;
	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_in6 from;
		struct in6_pktinfo to;
		ssize_t n = receive(fd, buf, &from, &to);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("pcp6: recvmsg");
			return;
		}
		serve_one(s, buf, (size_t)n > RECV_BUF ? RECV_BUF : (size_t)n, &from, &to);
	}
}

static void
burst_due(struct ev_timer *t)
{
	struct sockaddr_in6 all = { .sin6_family = AF_INET6, .sin6_port = htons(PCP_CLIENT_PORT) };
	uint8_t b[PCP_HDR_LEN];
	size_t n = pcp_build_announce(b, pcp_epoch());

	inet_pton(AF_INET6, "ff02::1", &all.sin6_addr);
	for (int i = 0; i < p6.n; i++) {
		all.sin6_scope_id = p6.s[i].ifindex;
		if (sendto(p6.s[i].fd, b, n, 0, (struct sockaddr *)&all, sizeof(all)) < 0)
			log_debug("pcp6: ANNOUNCE to [ff02::1]:%d: %s", PCP_CLIENT_PORT,
			    strerror(errno));
	}
	if (++p6.burst_sent < BURST_COUNT) {
		ev_timer_in(t, p6.burst_gap);
		p6.burst_gap *= 2;
	}
}

static void
burst_start(void)
{
	ev_timer_cancel(&p6.burst);
	p6.burst_sent = 0;
	p6.burst_gap = BURST_FIRST_MS;
	burst_due(&p6.burst);
}

/* announce.c, registered first, has reset the epoch already. */
static void
external_changed(struct in_addr old_ext, struct in_addr new_ext, void *arg)
{
	(void)old_ext;
	(void)new_ext;
	(void)arg;
	if (p6.running)
		burst_start();
}

static void
pcp6_fini(void)
{
	p6.running = false;
	ev_timer_cancel(&p6.burst);
	for (int i = 0; i < p6.n; i++) {
		ev_fd_del(p6.s[i].fd);
		close(p6.s[i].fd);
	}
	p6.n = 0;
}

static int
pcp6_init(const struct gateway *gw)
{
	int rc;

	p6.gw = gw;
	p6.n = 0;
	for (int i = 0; i < gw->n_lan; i++) {
		struct sock6 *s = &p6.s[p6.n];
		if ((s->fd = open_socket(&gw->lan[i])) < 0) {
			rc = s->fd;
			pcp6_fini();
			return rc;
		}
		s->ifindex = gw->lan[i].ifindex;
		if ((rc = ev_fd_add(s->fd, POLLIN, readable, s)) < 0) {
			close(s->fd);
			pcp6_fini();
			return rc;
		}
		p6.n++;
		log_info("pcp6: PCP on [::]:%d of %s (its link-local, global and ULA addresses)",
		    PCP_SERVER_PORT, gw->lan[i].ifname);
	}
	ev_timer_init(&p6.burst, burst_due);
	if (!p6.listening && lease_listen_external(external_changed, NULL) == 0)
		p6.listening = true;
	p6.running = true;
	burst_start();
	return 0;
}

const struct frontend frontend_pcp6 = { .name = "pcp6", .init = pcp6_init, .fini = pcp6_fini };
