/*
 * Unit tests for gateway6.c's parsers, over rtnetlink dumps built here: the
 * IPv6 default route (lowest metric, main table, with a gateway) and the
 * address pinholes are for (stable: never temporary, deprecated, tentative
 * or link-local; static before SLAAC; global unicast before ULA), and a
 * neighbour's link-layer address (how the router's other addresses are
 * known as its own).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "phc.h"

static uint8_t dump[4096] __attribute__((aligned(4)));
static size_t used;

static void
attr(struct nlmsghdr *nh, uint16_t type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((uint8_t *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static struct nlmsghdr *
msg(uint16_t type, const void *body, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(dump + used);

	memset(nh, 0, NLMSG_LENGTH(len));
	nh->nlmsg_type = type;
	nh->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	memcpy(NLMSG_DATA(nh), body, len);
	return nh;
}

static void
done(struct nlmsghdr *nh)
{
	used += NLMSG_ALIGN(nh->nlmsg_len);
}

static void
route(const char *gw, uint32_t oif, uint32_t metric, uint8_t dst_len, uint32_t table)
{
	struct rtmsg rt = { .rtm_family = AF_INET6, .rtm_dst_len = dst_len,
	    .rtm_table = RT_TABLE_UNSPEC, .rtm_type = RTN_UNICAST };
	struct nlmsghdr *nh = msg(RTM_NEWROUTE, &rt, sizeof(rt));
	struct in6_addr a = gw != NULL ? ip6(gw) : in6addr_any;

	attr(nh, RTA_TABLE, &table, 4);
	if (gw != NULL)
		attr(nh, RTA_GATEWAY, &a, 16);
	attr(nh, RTA_OIF, &oif, 4);
	attr(nh, RTA_PRIORITY, &metric, 4);
	done(nh);
}

static void
address(const char *text, uint32_t ifindex, uint32_t flags)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = 64,
	    .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = ifindex };
	struct in6_addr a = ip6(text);
	struct nlmsghdr *nh;

	if (IN6_IS_ADDR_LINKLOCAL(&a))
		ifa.ifa_scope = RT_SCOPE_LINK;
	nh = msg(RTM_NEWADDR, &ifa, sizeof(ifa));
	attr(nh, IFA_ADDRESS, &a, 16);
	attr(nh, IFA_FLAGS, &flags, 4);
	done(nh);
}

static void
end(void)
{
	struct nlmsghdr *nh = msg(NLMSG_DONE, "\0\0\0\0", 4);

	done(nh);
}

static void
default_route6(void **state)
{
	struct phc_route6 r = { 0 };
	struct in6_addr want = ip6("fe80::1");

	(void)state;
	used = 0;
	route("fe80::9", 2, 100, 48, RT_TABLE_MAIN);		/* not the default */
	route("fe80::8", 2, 1, 0, 200);				/* another table */
	route(NULL, 2, 1, 0, RT_TABLE_MAIN);			/* no gateway */
	route("fe80::2", 3, 1024, 0, RT_TABLE_MAIN);
	route("fe80::1", 2, 100, 0, RT_TABLE_MAIN);		/* the lowest metric */
	assert_int_equal(phc_route6_parse(dump, used, &r), 0);	/* more to read */
	end();
	assert_int_equal(phc_route6_parse(dump, used, &r), 1);
	assert_true(r.found);
	assert_memory_equal(&r.gw, &want, 16);
	assert_int_equal(r.oif, 2);
	assert_int_equal(r.metric, 100);
}

static void
stable_address(void **state)
{
	struct phc_addr6 p = { .oif = 2 };
	struct in6_addr want = ip6("2001:db8:1::10"), slaac = ip6("2001:db8:1::abcd");

	(void)state;
	used = 0;
	address("fe80::10", 2, IFA_F_PERMANENT);
	address("2001:db8:1::99", 2, IFA_F_TEMPORARY);		/* privacy */
	address("2001:db8:1::98", 2, IFA_F_DEPRECATED | IFA_F_PERMANENT);
	address("2001:db8:1::97", 2, IFA_F_TENTATIVE | IFA_F_PERMANENT);
	address("fd00::10", 2, IFA_F_PERMANENT);		/* ULA */
	address("2001:db8:1::abcd", 2, IFA_F_MANAGETEMPADDR);	/* SLAAC, stable */
	address("2001:db8:2::10", 3, IFA_F_PERMANENT);		/* another interface */
	end();
	assert_int_equal(phc_addr6_parse(dump, used, &p), 1);
	assert_memory_equal(&p.addr, &slaac, 16);
	/* A static global address beats the SLAAC one. */
	used = 0;
	address("2001:db8:1::abcd", 2, IFA_F_MANAGETEMPADDR);
	address("2001:db8:1::10", 2, IFA_F_PERMANENT);
	end();
	memset(&p, 0, sizeof(p));
	p.oif = 2;
	assert_int_equal(phc_addr6_parse(dump, used, &p), 1);
	assert_memory_equal(&p.addr, &want, 16);
	/* Only temporary and link-local ones: none. */
	used = 0;
	address("fe80::10", 2, IFA_F_PERMANENT);
	address("2001:db8:1::99", 2, IFA_F_TEMPORARY);
	end();
	memset(&p, 0, sizeof(p));
	assert_int_equal(phc_addr6_parse(dump, used, &p), 1);
	assert_int_equal(p.rank, 0);
}

static void
neighbour(const char *text, uint32_t ifindex, uint16_t state, const void *ll, size_t ll_len)
{
	struct ndmsg nd = { .ndm_family = AF_INET6, .ndm_ifindex = (int)ifindex,
	    .ndm_state = state };
	struct in6_addr a = ip6(text);
	struct nlmsghdr *nh = msg(RTM_NEWNEIGH, &nd, sizeof(nd));

	attr(nh, NDA_DST, &a, 16);
	if (ll != NULL)
		attr(nh, NDA_LLADDR, ll, ll_len);
	done(nh);
}

static void
neighbour_lladdr(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, other[6] = { 2, 0, 0, 0, 0, 9 };
	uint8_t big[PHC_LLADDR_MAX + 1] = { 0 };
	struct phc_neigh6 q = { .oif = 2, .addr = ip6("fe80::1") };

	(void)state;
	used = 0;
	neighbour("fe80::1", 3, NUD_REACHABLE, other, 6);	/* another interface */
	neighbour("fe80::2", 2, NUD_REACHABLE, other, 6);	/* another host */
	neighbour("fe80::1", 2, NUD_STALE, mac, 6);
	end();
	assert_int_equal(phc_neigh6_parse(dump, used, &q), 1);
	assert_int_equal(q.lladdr_len, 6);
	assert_memory_equal(q.lladdr, mac, 6);
	/* Still resolving, failed, without or with an oversized link-layer address: none. */
	used = 0;
	neighbour("fe80::1", 2, NUD_INCOMPLETE, mac, 6);
	neighbour("fe80::1", 2, NUD_FAILED, mac, 6);
	neighbour("fe80::1", 2, NUD_REACHABLE, NULL, 0);
	neighbour("fe80::1", 2, NUD_REACHABLE, big, sizeof(big));
	end();
	memset(&q.lladdr, 0, sizeof(q.lladdr));
	q.lladdr_len = 0;
	assert_int_equal(phc_neigh6_parse(dump, used, &q), 1);
	assert_int_equal(q.lladdr_len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_route6),
		cmocka_unit_test(stable_address),
		cmocka_unit_test(neighbour_lladdr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
