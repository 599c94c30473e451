/*
 * pcp: the udp/5351 front-end's sockets and its frontend glue.
 *
 * One socket per LAN address, bound to that address, so every reply
 * leaves from the address the request was sent to (libnatpmp and RFC 6887
 * §8.3 clients drop anything else) and nothing listens on the WAN
 * address. A request must also arrive on that LAN interface (IP_PKTINFO)
 * and come from inside its prefix; anything else is dropped unanswered
 * (RFC 6887 §8.2, RFC 6886 §3.3).
 *
 * Byte 0 of each datagram picks the protocol: 0 is NAT-PMP, 2 is PCP.
 * Version 1 gets NAT-PMP's 8-byte UNSUPP_VERSION (0 is the nearest we
 * speak below 2), 3 and up get PCP's UNSUPP_VERSION naming version 2.
 * When one protocol is disabled, the other answers every version with its
 * own UNSUPP_VERSION, as a single-protocol server would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "frontend.h"
#include "log.h"
#include "pcp_int.h"
#include "ratelimit.h"
#include "stats.h"

#define RECV_BUF	2048	/* > 1100, so an oversized request is seen as such */
#define BATCH		32	/* datagrams per wake-up, so one socket cannot starve others */
/*
 * A LAN's hosts re-map at once after our restart or an address change
 * (the epoch, ANNOUNCE): a burst, sent faster than requests are served.
 * The default receive queue (about 210 kB, some 250 small datagrams as the
 * kernel counts them) dropped the rest of a burst of 300, and every client
 * whose request was dropped waits for its retransmission. This holds
 * thousands; it costs memory only while requests wait.
 */
#define RCVBUF_BYTES	(2 * 1024 * 1024)

static struct {
	const struct gateway	*gw;
	const struct config	*cfg;	/* the running one, from init or reconfigure */
	int			 fds[CONFIG_MAX_LAN];
	int			 n;
} pc;

size_t
pcp_dispatch(const struct pcp_env *env, struct in_addr src, uint16_t sport,
    const uint8_t *b, size_t len, uint8_t *out, size_t outsz)
{
	const struct config *cfg = env->cfg;

	if (len < 2 || b[1] & 0x80)
		return 0;		/* runt, or a response: never answer those */
	if (cfg->enable_natpmp && (b[0] <= 1 || !cfg->enable_pcp))
		return natpmp_handle(env, src, b, len, out, outsz);
	if (cfg->enable_pcp)
		return pcp_handle(env, src, sport, b, len, out, outsz);
	return 0;
}

void
pcp_socket_room(int fd, const char *label)
{
	int bytes = RCVBUF_BYTES;

	/* FORCE: beyond net.core.rmem_max; we still hold CAP_NET_ADMIN here. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		log_warn("%s: receive buffer", label);
}

static int
open_socket(const struct gw_lan *lan)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(PCP_SERVER_PORT), .sin_addr = lan->addr,
	};
	struct ip_mreqn mr = { .imr_address = lan->addr, .imr_ifindex = (int)lan->ifindex };
	int one = 1, ttl = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* No SO_REUSEADDR: with it, any local user could bind the port too and
	 * answer LAN clients with a forged external address. */
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = -errno;
		log_warn("pcp: udp %s:%d on %s", inet_ntoa(lan->addr), PCP_SERVER_PORT, lan->ifname);
		close(fd);
		return err;
	}
	pcp_socket_room(fd, "pcp");
	return fd;
}

static unsigned
arrival_ifindex(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
			return (unsigned)((struct in_pktinfo *)CMSG_DATA(cm))->ipi_ifindex;
	return 0;
}

/* Receive one datagram; its length (maybe above RECV_BUF), or -1 when none. */
static ssize_t
receive(int fd, uint8_t *buf, struct sockaddr_in *from, unsigned *ifindex)
{
	union { char b[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } cbuf;
	struct iovec iov = { buf, RECV_BUF };
	struct msghdr mh = {
		.msg_name = from, .msg_namelen = sizeof(*from), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_TRUNC);

	if (n >= 0)
		*ifindex = arrival_ifindex(&mh);
	return n;
}

static void
drop(const struct sockaddr_in *from, const char *why)
{
	char peer[INET_ADDRSTRLEN + 8];

	snprintf(peer, sizeof(peer), "%s:%u", inet_ntoa(from->sin_addr), ntohs(from->sin_port));
	log_drop("pcp", peer, why);
}

/* Answer an accepted request now, or keep it until the gateway in front has
 * answered (upstream.h); pending.c then calls this again. */
static void
answer(int fd, const struct gw_lan *lan, const uint8_t *buf, size_t len,
    const struct sockaddr_in *from, unsigned ifindex)
{
	static uint8_t out[PCP_MAX_MSG + 4];
	struct request_result res = { 0 };
	struct pcp_wait wait = { false, 0, 0 };
	struct pcp_env env = { pc.cfg, pcp_epoch(), &res, &wait };
	size_t n;

	n = pcp_dispatch(&env, from->sin_addr, ntohs(from->sin_port), buf, len, out, sizeof(out));
	if (n == 0 && wait.set) {
		pending_add(fd, lan, buf, len, from, ifindex, &wait);
		return;
	}
	if (n == 0) {
		drop(from, "malformed, a response, or too short to answer");
		return;
	}
	/* The operator's view: counted, and a refusal logged with the reason the
	 * protocol logic gave (stats.h). */
	stats_result(out[0] == PCP_VERSION ? OWNER_PCP : OWNER_NATPMP, &res);
	if (sendto(fd, out, n, 0, (const struct sockaddr *)from, sizeof(*from)) < 0)
		log_debug("pcp: reply to %s:%u: %s", inet_ntoa(from->sin_addr),
		    ntohs(from->sin_port), strerror(errno));
}

/* One way out for every refused datagram: drop(), a rate-limited line naming the sender. */
static void
serve_one(int fd, const struct gw_lan *lan, const uint8_t *buf, size_t len,
    const struct sockaddr_in *from, unsigned ifindex)
{
	if (ifindex != lan->ifindex || gateway_lan_of(pc.gw, from->sin_addr) != lan)
		drop(from, "not from this LAN interface's prefix");
	else if (from->sin_port == 0)
		drop(from, "source port 0");
	/* §8.2: an overloaded server may drop silently; clients retransmit. */
	else if (!ratelimit_allow(from->sin_addr, mono_ms()))
		drop(from, "over the per-host rate limit");
	else
		answer(fd, lan, buf, len, from, ifindex);
}

/* The gateway in front answered for (proto, port): serve who waited for it. */
static void
upstream_answered(uint8_t proto, uint16_t port)
{
	if (pc.n)
		pending_replay(proto, port, answer);
}

static void
readable(int fd, short revents, void *arg)
{
	static uint8_t buf[RECV_BUF];
	const struct gw_lan *lan = arg;

	(void)revents;
	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_in from;
		unsigned ifindex = 0;
		ssize_t n = receive(fd, buf, &from, &ifindex);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("pcp: recvmsg");
			return;
		}
		/* Oversized stays oversized (> 1100) for the length checks. */
		serve_one(fd, lan, buf, (size_t)n > RECV_BUF ? RECV_BUF : (size_t)n, &from, ifindex);
	}
}

static void
pcp_fini(void)
{
	announce_fini();
	pending_reset();
	for (int i = 0; i < pc.n; i++) {
		if (pc.fds[i] < 0)
			continue;
		ev_fd_del(pc.fds[i]);
		close(pc.fds[i]);
	}
	pc.n = 0;
}

static int
pcp_init(const struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	int rc;

	pc.gw = gw;
	pc.cfg = cfg;
	pc.n = 0;
	for (int i = 0; i < gw->n_lan; i++) {
		int fd = open_socket(&gw->lan[i]);
		if (fd < 0 || (rc = ev_fd_add(fd, POLLIN, readable, (void *)&gw->lan[i])) < 0) {
			rc = fd < 0 ? fd : rc;
			if (fd >= 0)
				close(fd);
			pcp_fini();
			return rc;
		}
		pc.fds[pc.n++] = fd;
		log_info("pcp: %s%s%s on %s:%d (%s)", cfg->enable_natpmp ? "NAT-PMP" : "",
		    cfg->enable_natpmp && cfg->enable_pcp ? " and " : "",
		    cfg->enable_pcp ? "PCP" : "", inet_ntoa(gw->lan[i].addr), PCP_SERVER_PORT,
		    gw->lan[i].ifname);
	}
	announce_init(gw, pc.fds, pc.n, cfg->enable_natpmp, cfg->enable_pcp);
	/* There is no unregister: after fini, pc.n == 0 makes the callback a no-op. */
	upstream_listen(upstream_answered);
	return 0;
}

/* Rules and lifetimes are read through pc.cfg on each request. */
static void
pcp_reconfigure(const struct config *cfg)
{
	pc.cfg = cfg;
}

const struct frontend frontend_pcp = {
	.name = "pcp",
	.init = pcp_init,
	.reconfigure = pcp_reconfigure,
	.fini = pcp_fini,
};
