/*
 * ssdp: the SSDP sockets. udp/1900 joined to 239.255.255.250 on the LAN
 * interfaces only; a datagram is served only when it arrived on a LAN
 * interface from an address inside that LAN's prefix, so nothing from the
 * WAN side is ever answered. The IPv6 socket (ssdp6.c: ff02::c, the same
 * rule for the LAN's link and IPv6 prefixes) feeds the same answering,
 * pending queue and budget, and is announced on alike; without IPv6 the
 * IPv4 one serves alone. Unicast searches are answered at once,
 * multicast ones after a random 0-100 ms (ssdp_reply_delay_ms says why), all
 * within one budget of datagrams, so a flood of searches never becomes a
 * flood of answers. NOTIFY byebye goes out before the first alive, and alive
 * is repeated well inside max-age/2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "netif.h"
#include "upnp.h"

#define SSDP_PORT	1900
#define SSDP_GROUP	"239.255.255.250"
#define SSDP_PENDING	32	/* delayed replies queued at once */
#define SSDP_REFRESH_S	(UPNP_MAX_AGE / 3)

/* Where an answer goes: a searcher or a group, IPv4 or IPv6. */
union ssdp_to {
	struct sockaddr		 sa;
	struct sockaddr_in	 in;
	struct sockaddr_in6	 in6;
};

struct ssdp_pending {
	struct ev_timer		 timer;		/* first member: timer -> slot */
	bool			 used;
	union ssdp_to		 to;
	int			 lan;		/* index into upnp_st.gw.lan */
	struct ssdp_answer	 ans[SSDP_MAX_ANSWERS];
	size_t			 n;
};

static int			 ssdp_fd = -1;
static int			 ssdp6_fd = -1;
static struct in_addr		 ssdp_group;
static struct ssdp_pending	 pending[SSDP_PENDING];
static struct ev_timer		 refresh_timer;
static unsigned			 alive_round;
static struct ssdp_budget	 budget;

static uint32_t
rnd(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)random();
	return r;
}

static void
send_v4(int lan, const struct sockaddr_in *to, const char *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = {
		.msg_name = (void *)to, .msg_namelen = sizeof(*to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	struct in_pktinfo pi = {
		.ipi_ifindex = (int)upnp_st.gw.lan[lan].ifindex,
		.ipi_spec_dst = upnp_st.gw.lan[lan].addr,
	};

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(ssdp_fd, &msg, 0) < 0)
		log_debug("ssdp: send on %s: %s", upnp_st.gw.lan[lan].ifname, strerror(errno));
}

/* Send from the LAN address on the LAN interface, whatever the routes say. */
static void
send_on(int lan, const union ssdp_to *to, const char *buf, size_t len)
{
	if (to->sa.sa_family == AF_INET6)
		ssdp6_send(ssdp6_fd, upnp_st.gw.lan[lan].ifindex, &to->in6, buf, len);
	else
		send_v4(lan, &to->in, buf, len);
}

/* LOCATION's host: the LAN address, IPv6 in brackets; false when there is none. */
static bool
location_host(int lan, const union ssdp_to *to, char *host, size_t len)
{
	if (to->sa.sa_family == AF_INET6)
		return ssdp6_location_host(upnp_st.gw.lan[lan].ifindex, &to->in6.sin6_addr,
		    host, len);
	return inet_ntop(AF_INET, &upnp_st.gw.lan[lan].addr, host, (socklen_t)len) != NULL;
}

static void
send_answers(int lan, const union ssdp_to *to, enum ssdp_msg m,
    const struct ssdp_answer *ans, size_t n)
{
	char host[INET6_ADDRSTRLEN + 2], buf[1024];
	struct ssdp_fmt f;

	if (!location_host(lan, to, host, sizeof(host)))
		return;
	f = (struct ssdp_fmt){
		.uuid = upnp_st.uuid, .host = host, .port = upnp_st.http_port,
		.bootid = upnp_st.bootid, .configid = upnp_st.configid, .now = time(NULL),
		.server = upnp_st.server, .ipv6 = to->sa.sa_family == AF_INET6,
	};
	for (size_t i = 0; i < n; i++) {
		int len = ssdp_format(buf, sizeof(buf), m, &f, &ans[i]);
		if (len > 0)
			send_on(lan, to, buf, (size_t)len);
	}
}

static void
notify_all(enum ssdp_msg m)
{
	struct ssdp_answer ans[SSDP_MAX_ANSWERS];
	union ssdp_to to = { .in = { .sin_family = AF_INET, .sin_port = htons(SSDP_PORT),
				     .sin_addr = ssdp_group } };
	size_t n = ssdp_all(upnp_st.primary, true, ans, SSDP_MAX_ANSWERS);

	for (int i = 0; i < upnp_st.gw.n_lan; i++)
		send_answers(i, &to, m, ans, n);
	n = ssdp_all(upnp_st.primary, false, ans, SSDP_MAX_ANSWERS);
	for (int i = 0; ssdp6_fd >= 0 && i < upnp_st.gw.n_lan; i++) {
		ssdp6_group(upnp_st.gw.lan[i].ifindex, &to.in6);
		send_answers(i, &to, m, ans, n);
	}
}

static void
refresh_cb(struct ev_timer *t)
{
	notify_all(SSDP_ALIVE);
	/* Three quick rounds at start (UDP is lossy), then well inside max-age/2. */
	if (++alive_round < 3)
		ev_timer_in(t, 1000 + rnd() % 1000);
	else
		ev_timer_in(t, SSDP_REFRESH_S * 1000 - rnd() % 60000);
}

static void
pending_cb(struct ev_timer *t)
{
	struct ssdp_pending *p = (struct ssdp_pending *)t;

	send_answers(p->lan, &p->to, SSDP_REPLY, p->ans, p->n);
	p->used = false;
}

static int
lan_of_ifindex(int ifindex)
{
	for (int i = 0; i < upnp_st.gw.n_lan; i++)
		if ((int)upnp_st.gw.lan[i].ifindex == ifindex)
			return i;
	return -1;
}

static void
drop(const union ssdp_to *from, const char *why)
{
	char peer[INET6_ADDRSTRLEN];

	if (from->sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &from->in6.sin6_addr, peer, sizeof(peer));
	else
		inet_ntop(AF_INET, &from->in.sin_addr, peer, sizeof(peer));
	log_drop("ssdp", peer, why);
}

static struct ssdp_pending *
free_slot(void)
{
	for (size_t i = 0; i < SSDP_PENDING; i++)
		if (!pending[i].used)
			return &pending[i];
	return NULL;
}

static void
handle_search(int lan, const union ssdp_to *from, bool multicast,
    const struct ssdp_search *s)
{
	struct ssdp_answer ans[SSDP_MAX_ANSWERS];
	struct ssdp_pending *p = NULL;
	uint32_t delay;
	size_t n;

	if (from->sa.sa_family == AF_INET6 ? !upnp_rate_ok6(&from->in6.sin6_addr,
	    upnp_st.gw.lan[lan].ifindex) :
	    !upnp_rate_ok(from->in.sin_addr)) {
		drop(from, "over the request rate limit");
		return;
	}
	if (multicast && s->mx < 0) {
		drop(from, "multicast M-SEARCH without MX");
		return;
	}
	n = ssdp_match(upnp_st.primary, from->sa.sa_family != AF_INET6, upnp_st.uuid, s->st, ans,
	    SSDP_MAX_ANSWERS);
	if (n == 0)
		return;
	delay = ssdp_reply_delay_ms(multicast, s->mx, rnd());
	if (delay > 0 && !(p = free_slot())) {
		drop(from, "too many searches pending");
		return;
	}
	if (!ssdp_budget_take(&budget, mono_ms(), (uint32_t)n)) {
		drop(from, "over the SSDP answer budget");
		return;
	}
	if (!p) {
		send_answers(lan, from, SSDP_REPLY, ans, n);
		return;
	}
	p->used = true;
	p->to = *from;
	p->lan = lan;
	memcpy(p->ans, ans, n * sizeof(ans[0]));
	p->n = n;
	ev_timer_in(&p->timer, delay);
}

/* A datagram that passed its socket's checks: an M-SEARCH is answered. */
static void
serve(int lan, const union ssdp_to *from, bool multicast, const char *buf, size_t len)
{
	struct ssdp_search s;
	const char *why;

	if (ssdp_parse_msearch(buf, len, &s, &why) < 0) {
		/* Other devices' NOTIFYs are normal traffic, not worth a log line. */
		if (strcmp(why, "not an M-SEARCH") != 0)
			drop(from, why);
		return;
	}
	handle_search(lan, from, multicast, &s);
}

static void
ssdp_read(int fd, short revents, void *arg)
{
	char buf[2048], cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	union ssdp_to from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = {
		.msg_name = &from.in, .msg_namelen = sizeof(from.in),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct in_pktinfo *pi = NULL;
	ssize_t len;
	int lan;

	(void)revents;
	(void)arg;
	len = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (len < 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			pi = (struct in_pktinfo *)CMSG_DATA(c);
	/* Not from a LAN interface, or not from inside its prefix: silence. */
	if (!pi || (lan = lan_of_ifindex(pi->ipi_ifindex)) < 0 ||
	    from.in.sin_family != AF_INET ||
	    !netif_in_prefix(from.in.sin_addr, upnp_st.gw.lan[lan].addr, upnp_st.gw.lan[lan].plen))
		return;
	if (from.in.sin_addr.s_addr == upnp_st.gw.lan[lan].addr.s_addr)
		return;		/* our own NOTIFY looped back */
	bool multicast = pi->ipi_addr.s_addr == ssdp_group.s_addr;
	if (!multicast && pi->ipi_addr.s_addr != upnp_st.gw.lan[lan].addr.s_addr)
		return;		/* sent to an address we do not serve SSDP on */
	if (msg.msg_flags & MSG_TRUNC) {
		drop(&from, "datagram too long");
		return;
	}
	serve(lan, &from, multicast, buf, (size_t)len);
}

static void
ssdp6_read(int fd, short revents, void *arg)
{
	char buf[2048];
	union ssdp_to from;
	unsigned ifindex = 0;
	bool multicast = false;
	ssize_t len;
	int lan;

	(void)revents;
	(void)arg;
	len = ssdp6_recv(fd, buf, sizeof(buf), &from.in6, &ifindex, &multicast);
	if (len == -2)
		drop(&from, "datagram too long");
	if (len < 0 || (lan = lan_of_ifindex((int)ifindex)) < 0)
		return;
	serve(lan, &from, multicast, buf, (size_t)len);
}

static int
ssdp_socket(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(SSDP_PORT) };
	int fd, one = 1, zero = 0, ttl = 2;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* No SO_REUSEADDR: the port is ours alone, so no other local user can
	 * bind it and answer searches with a device of their own. */
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    /* Only the groups this socket joined, not every group on the host. */
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	for (int i = 0; i < upnp_st.gw.n_lan; i++) {
		struct ip_mreqn mr = { .imr_multiaddr = ssdp_group,
				       .imr_address = upnp_st.gw.lan[i].addr,
				       .imr_ifindex = (int)upnp_st.gw.lan[i].ifindex };
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			log_warn("ssdp: join %s on %s", SSDP_GROUP, upnp_st.gw.lan[i].ifname);
	}
	return fd;
}

/* IPv6 is an addition: without it (disabled, port taken) IPv4 serves alone. */
static void
ssdp6_start(void)
{
	int fd = ssdp6_socket();

	if (fd < 0) {
		errno = -fd;
		log_warn("ssdp: no SSDP over IPv6 (udp [::]:%d); IPv4 only", SSDP_PORT);
	} else if (ev_fd_add(fd, POLLIN, ssdp6_read, NULL) < 0) {
		close(fd);
	} else {
		ssdp6_fd = fd;
	}
}

int
ssdp_init(void)
{
	int fd;

	inet_pton(AF_INET, SSDP_GROUP, &ssdp_group);
	fd = ssdp_socket();
	if (fd < 0) {
		errno = -fd;
		log_warn("ssdp: udp/%d", SSDP_PORT);
		return fd;
	}
	if (ev_fd_add(fd, POLLIN, ssdp_read, NULL) < 0) {
		close(fd);
		return -ENOMEM;
	}
	ssdp_fd = fd;
	ssdp6_start();
	ssdp_budget_init(&budget, mono_ms());
	for (size_t i = 0; i < SSDP_PENDING; i++) {
		ev_timer_init(&pending[i].timer, pending_cb);
		pending[i].used = false;
	}
	/* IGD2 wants stale state cleared before the first alive. */
	notify_all(SSDP_BYEBYE);
	alive_round = 0;
	ev_timer_init(&refresh_timer, refresh_cb);
	ev_timer_in(&refresh_timer, 100);
	return 0;
}

void
ssdp_fini(void)
{
	if (ssdp_fd < 0)
		return;
	ev_timer_cancel(&refresh_timer);
	for (size_t i = 0; i < SSDP_PENDING; i++)
		ev_timer_cancel(&pending[i].timer);
	notify_all(SSDP_BYEBYE);
	ev_fd_del(ssdp_fd);
	close(ssdp_fd);
	ssdp_fd = -1;
	if (ssdp6_fd >= 0) {
		ev_fd_del(ssdp6_fd);
		close(ssdp6_fd);
		ssdp6_fd = -1;
	}
}
