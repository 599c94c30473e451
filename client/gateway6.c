/*
 * gateway6: the router over IPv6 and the address pinholes are for. The
 * IPv6 default route (lowest metric, main table) gives the router, usually
 * its link-local address on the route's interface; the address is this
 * host's stable one on that interface: global scope, not a temporary
 * (privacy) address, not deprecated, tentative or failed, a static one
 * before one from SLAAC, a global unicast one before a ULA. Both come from
 * one rtnetlink dump each; the parsers do no I/O and take the bytes as
 * hostile (exact attribute lengths, a bounded walk).
 *
 * Whether a packet's sender is that router: the router speaks from its
 * link-local address to multicast groups (PCP ANNOUNCE) and names its
 * global one in SSDP's LOCATION, so either may differ from the address we
 * know it by. Two addresses on the router's link are one host when the
 * neighbour table gives both the same link-layer address, as the daemon
 * decides who owns an address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include "phc.h"

#define DUMP_BUF	(32 * 1024)
#define DUMP_READS	64

static bool
is_ula(const struct in6_addr *a)
{
	return (a->s6_addr[0] & 0xfe) == 0xfc;
}

static void
route_msg(const struct nlmsghdr *nh, void *arg)
{
	struct phc_route6 *r = arg;
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	const struct rtattr *rta;
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rtm));
	uint32_t table, oif = 0, prio = 0;
	struct in6_addr gw = IN6ADDR_ANY_INIT;
	bool has_gw = false;

	if (len < 0 || rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_type != RTN_UNICAST)
		return;
	table = rtm->rtm_table;
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == RTA_GATEWAY && RTA_PAYLOAD(rta) == 16) {
			memcpy(&gw, RTA_DATA(rta), 16);
			has_gw = true;
		} else if (rta->rta_type == RTA_OIF && RTA_PAYLOAD(rta) == 4) {
			memcpy(&oif, RTA_DATA(rta), 4);
		} else if (rta->rta_type == RTA_PRIORITY && RTA_PAYLOAD(rta) == 4) {
			memcpy(&prio, RTA_DATA(rta), 4);
		} else if (rta->rta_type == RTA_TABLE && RTA_PAYLOAD(rta) == 4) {
			memcpy(&table, RTA_DATA(rta), 4);
		}
	}
	if (!has_gw || oif == 0 || table != RT_TABLE_MAIN || (r->found && prio >= r->metric))
		return;
	r->gw = gw;
	r->oif = oif;
	r->metric = prio;
	r->found = true;
}

/* Hands each message of type to fn; 1 once the dump ended, else 0. */
static int
walk(const uint8_t *buf, size_t len, uint16_t type, void (*fn)(const struct nlmsghdr *, void *),
    void *arg)
{
	const struct nlmsghdr *nh;
	int rest = len > DUMP_BUF ? DUMP_BUF : (int)len;

	for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, rest); nh = NLMSG_NEXT(nh, rest)) {
		if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR)
			return 1;
		if (nh->nlmsg_type == type)
			fn(nh, arg);
	}
	return 0;
}

int
phc_route6_parse(const uint8_t *buf, size_t len, struct phc_route6 *r)
{
	return walk(buf, len, RTM_NEWROUTE, route_msg, r);
}

/* How good an address is for pinholes: 0 unusable, higher better. */
static int
addr_rank(const struct in6_addr *a, uint32_t flags)
{
	if (flags & (IFA_F_TEMPORARY | IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;
	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_MULTICAST(a) ||
	    IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_UNSPECIFIED(a))
		return 0;
	return 1 + !is_ula(a) * 2 + !!(flags & IFA_F_PERMANENT);
}

static void
addr_msg(const struct nlmsghdr *nh, void *arg)
{
	struct phc_addr6 *p = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const struct rtattr *rta;
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa)), rank;
	struct in6_addr a = IN6ADDR_ANY_INIT;
	bool has = false;
	uint32_t flags;

	if (len < 0 || ifa->ifa_family != AF_INET6 || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    (p->oif != 0 && ifa->ifa_index != p->oif))
		return;
	flags = ifa->ifa_flags;
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_ADDRESS && RTA_PAYLOAD(rta) == 16) {
			memcpy(&a, RTA_DATA(rta), 16);
			has = true;
		} else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) == 4) {
			memcpy(&flags, RTA_DATA(rta), 4);
		}
	}
	if (!has || (rank = addr_rank(&a, flags)) <= p->rank)
		return;
	p->addr = a;
	p->rank = rank;
}

int
phc_addr6_parse(const uint8_t *buf, size_t len, struct phc_addr6 *p)
{
	return walk(buf, len, RTM_NEWADDR, addr_msg, p);
}

static void
neigh_msg(const struct nlmsghdr *nh, void *arg)
{
	struct phc_neigh6 *q = arg;
	const struct ndmsg *nd = NLMSG_DATA(nh);
	const struct rtattr *rta;
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nd));
	const struct rtattr *ll = NULL;
	bool dst = false;

	/* An entry still resolving, or failed, names no link-layer address yet. */
	if (len < 0 || nd->ndm_family != AF_INET6 || (uint32_t)nd->ndm_ifindex != q->oif ||
	    nd->ndm_state == NUD_NONE || (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)) != 0)
		return;
	for (rta = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	    RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == NDA_DST && RTA_PAYLOAD(rta) == 16)
			dst = memcmp(RTA_DATA(rta), &q->addr, 16) == 0;
		else if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) > 0 &&
		    RTA_PAYLOAD(rta) <= sizeof(q->lladdr))
			ll = rta;
	}
	if (!dst || ll == NULL)
		return;
	q->lladdr_len = (uint8_t)RTA_PAYLOAD(ll);
	memcpy(q->lladdr, RTA_DATA(ll), q->lladdr_len);
}

int
phc_neigh6_parse(const uint8_t *buf, size_t len, struct phc_neigh6 *q)
{
	return walk(buf, len, RTM_NEWNEIGH, neigh_msg, q);
}

/* One rtnetlink dump of type for IPv6, each read handed to parse until it says done. */
static int
dump6(uint16_t type, int (*parse)(const uint8_t *, size_t, void *), void *arg)
{
	/* The family is the first byte of an rtmsg, an ifaddrmsg and an ndmsg. */
	struct {
		struct nlmsghdr	nh;
		struct rtmsg	rt;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(type == RTM_GETROUTE ? sizeof(struct rtmsg) :
		    type == RTM_GETNEIGH ? sizeof(struct ndmsg) : sizeof(struct ifaddrmsg)),
		    .nlmsg_type = type,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.rt = { .rtm_family = AF_INET6 },
	};
	static _Thread_local uint8_t buf[DUMP_BUF] __attribute__((aligned(4)));
	ssize_t r;
	int s, i, rc = PORTHOLE_ERR_SYSTEM;

	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) == -1)
		return PORTHOLE_ERR_SYSTEM;
	if (send(s, &req, req.nh.nlmsg_len, 0) != (ssize_t)req.nh.nlmsg_len) {
		close(s);
		return PORTHOLE_ERR_SYSTEM;
	}
	for (i = 0; i < DUMP_READS; i++) {
		if ((r = recv(s, buf, sizeof(buf), 0)) <= 0)
			break;
		if (parse(buf, (size_t)r, arg) != 0) {
			rc = 0;
			break;
		}
	}
	close(s);
	return rc;
}

static int
route_cb(const uint8_t *buf, size_t len, void *arg)
{
	return phc_route6_parse(buf, len, arg);
}

static int
addr_cb(const uint8_t *buf, size_t len, void *arg)
{
	return phc_addr6_parse(buf, len, arg);
}

static int
neigh_cb(const uint8_t *buf, size_t len, void *arg)
{
	return phc_neigh6_parse(buf, len, arg);
}

/* "fe80::1%eth0" or "2001:db8::1": the address and its interface. */
static int
parse_gateway6(const char *text, struct in6_addr *gw, uint32_t *scope)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *res;

	if (getaddrinfo(text, NULL, &hints, &res) != 0)
		return PORTHOLE_ERR_INVAL;
	*gw = ((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
	*scope = ((struct sockaddr_in6 *)res->ai_addr)->sin6_scope_id;
	freeaddrinfo(res);
	return 0;
}

int
phc_gateway6(const char *given, struct in6_addr *gw, uint32_t *scope, uint32_t *oif,
    struct in6_addr *local)
{
	struct phc_route6 r = { 0 };
	struct phc_addr6 a = { 0 };
	int rc;

	if (dump6(RTM_GETROUTE, route_cb, &r) != 0)
		return PORTHOLE_ERR_SYSTEM;
	if (given != NULL) {
		if ((rc = parse_gateway6(given, gw, scope)) != 0)
			return rc;
		if (*scope != 0)
			r.oif = *scope;
	} else if (!r.found) {
		return PORTHOLE_ERR_NOGATEWAY;
	} else {
		*gw = r.gw;
		*scope = IN6_IS_ADDR_LINKLOCAL(&r.gw) ? r.oif : 0;
	}
	a.oif = r.oif;
	*oif = r.oif;
	if (dump6(RTM_GETADDR, addr_cb, &a) != 0)
		return PORTHOLE_ERR_SYSTEM;
	if (a.rank == 0)
		return PORTHOLE_ERR_NOGATEWAY;
	*local = a.addr;
	return 0;
}

/* The link-layer address of addr on interface oif; 0 when the table has none. */
static size_t
lladdr_of(const struct in6_addr *addr, uint32_t oif, uint8_t *ll)
{
	struct phc_neigh6 q = { .oif = oif, .addr = *addr };

	if (dump6(RTM_GETNEIGH, neigh_cb, &q) != 0 || q.lladdr_len == 0)
		return 0;
	memcpy(ll, q.lladdr, q.lladdr_len);
	return q.lladdr_len;
}

int
phc_is_gateway6(const struct porthole *ph, const struct in6_addr *a, uint32_t ifindex)
{
	uint8_t ll_gw[PHC_LLADDR_MAX], ll_a[PHC_LLADDR_MAX];
	size_t n, m;

	if (ifindex != 0 && ifindex != ph->gw6_oif)
		return 0;	/* heard on another link */
	if (memcmp(a, &ph->gw6, sizeof(*a)) == 0)
		return 1;
	if ((n = lladdr_of(&ph->gw6, ph->gw6_oif, ll_gw)) == 0 ||
	    (m = lladdr_of(a, ph->gw6_oif, ll_a)) == 0)
		return -1;
	return n == m && memcmp(ll_gw, ll_a, n) == 0;
}

/*
 * Makes the kernel resolve a's link-layer address: an empty datagram to
 * its discard port (9). Neither a UDP connect() nor a lookup does that.
 */
void
phc_neigh6_resolve(const struct in6_addr *a, uint32_t oif)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(9),
	    .sin6_addr = *a, .sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(a) ? oif : 0 };
	int s;

	if ((s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(s, "", 0, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	close(s);
}
