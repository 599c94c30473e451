/*
 * ssdp6: the IPv6 SSDP socket, its checks and its sends; ssdp.c decides
 * what to answer and when, for both families alike.
 *
 * One socket bound to [::]:1900 joined to ff02::c (link-local scope, the
 * group UDA 2.0 and miniupnpc search first) and ff05::c (site-local, which
 * miniupnpc tries when the first finds nothing) on the LAN interfaces only.
 * A datagram is served only when it arrived on a LAN interface, from a
 * link-local address or one inside that interface's IPv6 prefixes, and was
 * sent to one of the groups or to one of the gateway's own addresses on
 * that interface; so the WAN is never answered, as over IPv4. LOCATION
 * names the gateway's global (or ULA) address on the interface, in
 * brackets: a link-local one would need a zone the client cannot know.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lan6.h"
#include "log.h"
#include "upnp.h"

#define SSDP6_PORT	1900
static const char *const groups[] = { "ff02::c", "ff05::c" };

int
ssdp6_socket(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(SSDP6_PORT),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, zero = 0, hops = 1;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* As over IPv4: no SO_REUSEADDR, the port is ours alone; only our groups. */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	for (int i = 0; i < upnp_st.gw.n_lan; i++)
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
			struct ipv6_mreq mr = { .ipv6mr_interface = upnp_st.gw.lan[i].ifindex };
			inet_pton(AF_INET6, groups[g], &mr.ipv6mr_multiaddr);
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
				log_warn("ssdp6: join %s on %s", groups[g], upnp_st.gw.lan[i].ifname);
		}
	return fd;
}

static bool
is_group(const struct in6_addr *a)
{
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		struct in6_addr ga;
		inet_pton(AF_INET6, groups[g], &ga);
		if (memcmp(a, &ga, sizeof(ga)) == 0)
			return true;
	}
	return false;
}

/* The gateway's own address on ifindex: a link-local one, or one in its prefixes. */
static bool
own_on(const struct in6_addr *a, unsigned ifindex)
{
	return lan6_is_own(a) && (IN6_IS_ADDR_LINKLOCAL(a) || lan6_prefix_of(a, ifindex));
}

static bool
is_lan(unsigned ifindex)
{
	for (int i = 0; i < upnp_st.gw.n_lan; i++)
		if (upnp_st.gw.lan[i].ifindex == ifindex)
			return true;
	return false;
}

ssize_t
ssdp6_recv(int fd, char *buf, size_t len, struct sockaddr_in6 *from, unsigned *ifindex,
    bool *multicast)
{
	union { char b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; } cbuf;
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_name = from, .msg_namelen = sizeof(*from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct in6_pktinfo pi;
	bool have_pi = false;
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			have_pi = true;
		}
	if (!have_pi || msg.msg_namelen < sizeof(*from) || from->sin6_family != AF_INET6)
		return -1;
	/* Not on a LAN link, or not from it or its prefixes: silence. Our own
	 * NOTIFY looped back: silence. */
	if (!is_lan(pi.ipi6_ifindex))
		return -1;
	if (!IN6_IS_ADDR_LINKLOCAL(&from->sin6_addr) &&
	    !lan6_prefix_of(&from->sin6_addr, pi.ipi6_ifindex))
		return -1;
	if (lan6_is_own(&from->sin6_addr))
		return -1;
	/* A unicast search must be for one of our addresses on that interface. */
	*multicast = is_group(&pi.ipi6_addr);
	if (!*multicast && !own_on(&pi.ipi6_addr, pi.ipi6_ifindex))
		return -1;
	if (msg.msg_flags & MSG_TRUNC)
		return -2;
	*ifindex = pi.ipi6_ifindex;
	return n;
}

void
ssdp6_send(int fd, unsigned ifindex, const struct sockaddr_in6 *to, const char *buf, size_t len)
{
	union { char b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; } cbuf;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = {
		.msg_name = (void *)to, .msg_namelen = sizeof(*to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct in6_pktinfo pi = { .ipi6_ifindex = ifindex };	/* the kernel picks the source */
	struct cmsghdr *c;

	memset(cbuf.b, 0, sizeof(cbuf.b));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(fd, &msg, 0) < 0)
		log_debug("ssdp6: send on interface %u: %s", ifindex, strerror(errno));
}

/*
 * "[addr]" for LOCATION: the gateway's address in the prefix that holds
 * peer, else its first global or ULA address on ifindex. false when the
 * interface has none (then nothing is answered or announced on it).
 */
bool
ssdp6_location_host(unsigned ifindex, const struct in6_addr *peer, char *buf, size_t len)
{
	const struct lan6_prefix *p = peer ? lan6_prefix_of(peer, ifindex) : NULL;
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; !p && i < lan6_count(); i++)
		if (lan6_at(i)->ifindex == ifindex)
			p = lan6_at(i);
	if (!p || !inet_ntop(AF_INET6, &p->addr, a, sizeof(a)))
		return false;
	return snprintf(buf, len, "[%s]", a) < (int)len;
}

void
ssdp6_group(unsigned ifindex, struct sockaddr_in6 *to)
{
	*to = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(SSDP6_PORT),
				     .sin6_scope_id = ifindex };
	inet_pton(AF_INET6, groups[0], &to->sin6_addr);
}
