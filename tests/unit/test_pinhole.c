/*
 * Unit tests for the IPv6 half of the lease table (pinhole.c) and the IPv6
 * permission rules, with a recording backend in place of the kernel (the
 * kernel path is tests/integration/70_ipv6.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "leasestore6.h"
#include "pinhole.h"
#include "policy.h"

static int adds, dels, fail_next_add;
static int events_seen[4];

static int
rec_add(const struct pinhole *p)
{
	(void)p;
	if (fail_next_add) {
		fail_next_add = 0;
		return -EIO;
	}
	adds++;
	return 0;
}

static int
rec_del(const struct pinhole *p)
{
	(void)p;
	dels++;
	return 0;
}

/* The kernel's view: traffic on the mail server's port 25 and on a stranger. */
static int
rec_counters(void (*fn)(uint8_t, const struct in6_addr *, uint16_t, uint64_t, uint64_t, void *),
    void *arg)
{
	struct in6_addr mail = ip6("2001:db8:1::10"), other = ip6("2001:db8:1::99");

	fn(IPPROTO_TCP, &mail, 25, 7, 700, arg);
	fn(IPPROTO_TCP, &other, 25, 9, 900, arg);
	return 0;
}

static const struct pinhole_backend recorder = { rec_add, rec_del, rec_counters };

static struct pinhole_req
req(uint8_t proto, const char *host, uint16_t port, enum lease_owner owner)
{
	return (struct pinhole_req){ .proto = proto, .int_addr = ip6(host), .int_port = port,
	    .owner = owner, .desc = "test" };
}

static void
count_event(enum lease_event ev, const struct pinhole *p, void *arg)
{
	(void)p;
	(void)arg;
	events_seen[ev]++;
}

static int
setup(void **state)
{
	(void)state;
	ev_init();
	adds = dels = fail_next_add = 0;
	memset(events_seen, 0, sizeof(events_seen));
	pinhole_init(&recorder, 4);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pinhole_fini();
	ev_fini();
	return 0;
}

static void
add_find_remove(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 25, OWNER_PCP);
	struct pinhole *p, *q;

	(void)state;
	pinhole_listen(count_event, NULL);
	r.lifetime = 600;
	assert_int_equal(pinhole_add(&r, &p), 0);
	assert_int_equal(adds, 1);
	assert_non_null(p);
	assert_true(p->id > 0);
	assert_ptr_equal(pinhole_find(IPPROTO_TCP, &r.int_addr, 25), p);
	assert_ptr_equal(pinhole_find_id(p->id), p);
	assert_null(pinhole_find(IPPROTO_UDP, &r.int_addr, 25));
	assert_int_equal(pinhole_count(), 1);
	assert_in_range(pinhole_seconds_left(p), 599, 600);
	/* the same owner again: an update in place, same id, no second element */
	r.lifetime = 900;
	assert_int_equal(pinhole_add(&r, &q), 0);
	assert_ptr_equal(q, p);
	assert_int_equal(adds, 1);
	assert_int_equal(events_seen[LEASE_UPDATED], 1);
	/* a new remote filter goes to the kernel first: delete + add */
	r.remote = ip6("2001:db8:ffff::2");
	r.remote_port = 4000;
	assert_int_equal(pinhole_add(&r, NULL), 0);
	assert_int_equal(adds, 2);
	assert_int_equal(dels, 1);
	assert_int_equal(p->remote_port, 4000);
	pinhole_remove(p, LEASE_REMOVED);
	assert_int_equal(pinhole_count(), 0);
	assert_null(pinhole_find(IPPROTO_TCP, &r.int_addr, 25));
	assert_int_equal(events_seen[LEASE_REMOVED], 1);
}

static void
other_owner_and_static_refused(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 25, OWNER_STATIC);

	(void)state;
	assert_int_equal(pinhole_add(&r, NULL), 0);
	r.owner = OWNER_UPNP;
	assert_int_equal(pinhole_add(&r, NULL), -EEXIST);
	r.owner = OWNER_STATIC;
	assert_int_equal(pinhole_add(&r, NULL), -EEXIST);
	assert_int_equal(pinhole_count(), 1);
}

static void
bad_requests_and_full_table(void **state)
{
	const char *bad_addrs[] = { "::", "::1", "fe80::1", "ff02::1", "::ffff:192.0.2.1" };
	struct pinhole_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		r = req(IPPROTO_TCP, bad_addrs[i], 25, OWNER_PCP);
		assert_int_equal(pinhole_add(&r, NULL), -EINVAL);
	}
	r = req(IPPROTO_TCP, "2001:db8:1::10", 0, OWNER_PCP);
	assert_int_equal(pinhole_add(&r, NULL), -EINVAL);
	r = req(IPPROTO_ICMPV6, "2001:db8:1::10", 25, OWNER_PCP);
	assert_int_equal(pinhole_add(&r, NULL), -EINVAL);
	r = req(IPPROTO_TCP, "2001:db8:1::10", 25, OWNER_PCP);
	r.remote = ip6("ff02::1");
	assert_int_equal(pinhole_add(&r, NULL), -EINVAL);
	/* the kernel refuses: nothing changes */
	r = req(IPPROTO_TCP, "2001:db8:1::10", 25, OWNER_PCP);
	fail_next_add = 1;
	assert_int_equal(pinhole_add(&r, NULL), -EIO);
	assert_int_equal(pinhole_count(), 0);
	/* a table of 4 is full at 4 */
	for (uint16_t port = 1; port <= 4; port++) {
		r.int_port = port;
		assert_int_equal(pinhole_add(&r, NULL), 0);
	}
	r.int_port = 5;
	assert_int_equal(pinhole_add(&r, NULL), -ENOSPC);
	assert_int_equal(pinhole_flush(OWNER_UPNP), 0);
	assert_int_equal(pinhole_flush(-1), 4);
	assert_int_equal(dels, 4);
}

static void
quit_timer(struct ev_timer *t)
{
	(void)t;
	ev_quit();
}

static void
expiry_removes_and_tells(void **state)
{
	struct pinhole_req r = req(IPPROTO_UDP, "2001:db8:1::10", 5060, OWNER_UPNP);
	struct ev_timer stop;

	(void)state;
	pinhole_listen(count_event, NULL);
	r.lifetime = 1;
	assert_int_equal(pinhole_add(&r, NULL), 0);
	r.int_port = 5061;
	r.lifetime = 0;		/* permanent */
	assert_int_equal(pinhole_add(&r, NULL), 0);
	ev_timer_init(&stop, quit_timer);
	ev_timer_in(&stop, 1300);
	assert_int_equal(ev_run(), 0);
	assert_null(pinhole_find(IPPROTO_UDP, &r.int_addr, 5060));
	assert_non_null(pinhole_find(IPPROTO_UDP, &r.int_addr, 5061));
	assert_int_equal(events_seen[LEASE_EXPIRED], 1);
	assert_int_equal(dels, 1);
}

/* The neighbour table of these tests: ::10 and ::abcd are one host (a
 * privacy address), ::20 another on the same /64, 192.168.77.10 is ::10's
 * host over IPv4; any other address is not known. */
static int
fake_key(const struct in6_addr *a, uint64_t *key)
{
	static const struct { const char *addr; uint64_t key; } table[] = {
		{ "2001:db8:1::10", 0x020000000010 }, { "2001:db8:1::abcd", 0x020000000010 },
		{ "::ffff:192.168.77.10", 0x020000000010 }, { "2001:db8:1::20", 0x020000000020 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (memcmp(a, ip6(table[i].addr).s6_addr, 16) == 0) {
			*key = table[i].key;
			return 1;
		}
	return 0;
}

/* G66: max_per_host counts a host by its link-layer address, with its IPv4
 * mappings; an unknown address is its requester's, or on its own. Static
 * pinholes are the admin's and free. */
static void
quota_per_host(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 2000, OWNER_PCP);

	(void)state;
	pinhole_set_limits(64, 2, fake_key);
	assert_int_equal(pinhole_add(&r, NULL), 0);
	r.int_addr = ip6("2001:db8:1::abcd");	/* its privacy address: the same host */
	assert_int_equal(pinhole_add(&r, NULL), 0);
	r.int_port = 2001;
	assert_int_equal(pinhole_add(&r, NULL), -EDQUOT);
	assert_int_equal(pinhole_count_host(&r.int_addr), 2);
	r.owner = OWNER_STATIC;
	assert_int_equal(pinhole_add(&r, NULL), 0);
	r = req(IPPROTO_TCP, "2001:db8:1::20", 2000, OWNER_PCP);	/* the same /64, another host */
	assert_int_equal(pinhole_add(&r, NULL), 0);
	assert_int_equal(pinhole_count_host(&r.int_addr), 1);
	/* One count with the host's IPv4 mappings (lease.c charges the same key). */
	assert_int_equal(lease_host_charge(0x020000000020, 1), 0);
	r.int_port = 2001;
	assert_int_equal(pinhole_add(&r, NULL), -EDQUOT);
	lease_host_release(0x020000000020, 1);
	/* An address nobody has: the host that asked for it pays, else it alone. */
	r = req(IPPROTO_TCP, "2001:db8:1::99", 2000, OWNER_UPNP);
	r.requester = ip6("::ffff:192.168.77.10");
	assert_int_equal(pinhole_add(&r, NULL), -EDQUOT);
	r.requester = ip6("2001:db8:1::99");
	assert_int_equal(pinhole_add(&r, NULL), 0);
	assert_int_equal(pinhole_count_host(&r.int_addr), 1);
	pinhole_flush(OWNER_PCP);
	pinhole_flush(OWNER_UPNP);
	assert_int_equal(pinhole_count_host(&r.int_addr), 0);
	assert_int_equal(lease_host_load(0x020000000020), 0);
	r = req(IPPROTO_TCP, "2001:db8:1::abcd", 2001, OWNER_PCP);
	assert_int_equal(pinhole_count_host(&r.int_addr), 1);	/* the static one */
	pinhole_set_limits(64, 0, NULL);
}

/* Without a neighbour table each address is a host of its own, never its /64. */
static void
quota_without_neighbours(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 2000, OWNER_PCP);

	(void)state;
	pinhole_set_limits(64, 1, NULL);
	assert_int_equal(pinhole_add(&r, NULL), 0);
	r.int_port = 2001;
	assert_int_equal(pinhole_add(&r, NULL), -EDQUOT);
	r.int_addr = ip6("2001:db8:1::abcd");
	assert_int_equal(pinhole_add(&r, NULL), 0);
	pinhole_set_limits(64, 0, NULL);
}

static void
ids_asked_for_and_traffic(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 25, OWNER_PCP);
	struct pinhole *a, *b;
	struct lease_traffic *t;

	(void)state;
	r.id = 77;		/* a restore asks for the id it had */
	assert_int_equal(pinhole_add(&r, &a), 0);
	assert_int_equal(a->id, 77);
	r.int_port = 587;	/* taken: another one is given */
	assert_int_equal(pinhole_add(&r, &b), 0);
	assert_int_not_equal(b->id, 77);
	t = pinhole_traffic();
	assert_non_null(t);
	assert_int_equal(t[a->dense_idx].packets, 7);
	assert_int_equal(t[b->dense_idx].packets, 0);
	free(t);
}

/* Every UniqueID in use: the next free one is found after the wrap, and a full table says so. */
static void
ids_wrap_when_full(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 1, OWNER_UPNP);
	struct pinhole *p;

	(void)state;
	pinhole_set_limits(65535, 0, NULL);
	for (unsigned port = 1; port <= 65535; port++) {
		r.int_port = (uint16_t)port;
		assert_int_equal(pinhole_add(&r, &p), 0);
		assert_int_equal(p->id, port);		/* given in turn from 1 */
	}
	assert_ptr_equal(pinhole_find_id(65535), pinhole_find(IPPROTO_TCP, &r.int_addr, 65535));
	pinhole_remove(pinhole_find_id(30000), LEASE_REMOVED);
	pinhole_remove(pinhole_find_id(5), LEASE_REMOVED);
	assert_null(pinhole_find_id(5));
	r.proto = IPPROTO_UDP;
	r.int_port = 5;
	assert_int_equal(pinhole_add(&r, &p), 0);
	assert_int_equal(p->id, 5);		/* after 65535 comes 1: the first free is 5 */
	r.int_port = 6;
	assert_int_equal(pinhole_add(&r, &p), 0);
	assert_int_equal(p->id, 30000);
	r.int_port = 7;
	assert_int_equal(pinhole_add(&r, &p), -ENOSPC);
	assert_int_equal(pinhole_count(), 65535);
}

/* The lease file's pinhole lines read back what was written; bad ones are refused. */
/* Prefix filters (an interval set in the kernel) are bounded gateway-wide. */
static void
prefix_filters_bounded(void **state)
{
	struct pinhole_req r = req(IPPROTO_TCP, "2001:db8:1::10", 1, OWNER_PCP);
	struct pinhole *first, *p;

	(void)state;
	pinhole_fini();
	pinhole_init(&recorder, PINHOLE_PREFIX_MAX + 8);
	r.remote = ip6("2001:db8:ffff::");
	r.remote_plen = 64;
	for (int i = 0; i < PINHOLE_PREFIX_MAX; i++) {
		r.int_port = (uint16_t)(1000 + i);
		assert_int_equal(pinhole_add(&r, i ? NULL : &first), 0);
	}
	assert_int_equal(pinhole_prefix_count(), PINHOLE_PREFIX_MAX);
	r.int_port = 2000;
	assert_int_equal(pinhole_add(&r, NULL), -ENOSPC);
	/* one host, or no filter: a hash set's, not counted */
	r.remote_plen = 128;
	r.remote = ip6("2001:db8:ffff::7");
	assert_int_equal(pinhole_add(&r, &p), 0);
	r.int_port = 2001;
	r.remote = in6addr_any;
	r.remote_plen = 0;
	assert_int_equal(pinhole_add(&r, NULL), 0);
	/* a one-host pinhole may not widen to a prefix while full ... */
	r.int_port = 2000;
	r.remote = ip6("2001:db8:ffff::");
	r.remote_plen = 64;
	assert_int_equal(pinhole_add(&r, NULL), -ENOSPC);
	assert_int_equal(p->remote_plen, 128);
	/* ... a prefix pinhole may change its prefix, and removing one makes room */
	r.int_port = 1000;
	r.remote = ip6("2001:db8:fffe::");
	assert_int_equal(pinhole_add(&r, NULL), 0);
	assert_int_equal(first->remote_plen, 64);
	assert_int_equal(pinhole_prefix_count(), PINHOLE_PREFIX_MAX);
	pinhole_remove(first, LEASE_REMOVED);
	assert_int_equal(pinhole_prefix_count(), PINHOLE_PREFIX_MAX - 1);
	r.int_port = 2000;
	assert_int_equal(pinhole_add(&r, NULL), 0);
	assert_int_equal(pinhole_prefix_count(), PINHOLE_PREFIX_MAX);
}

static void
lease_file_lines(void **state)
{
	struct pinhole_req r = req(IPPROTO_UDP, "2001:db8:1::10", 5060, OWNER_PCP), back;
	struct pinhole *p;
	char line[LEASESTORE6_LINE_MAX], desc[LEASE_DESC_MAX];
	uint8_t nonce[LEASE_NONCE_LEN];
	const long long now = 1000000;

	(void)state;
	r.remote = ip6("2001:db8:ffff::2");
	r.remote_port = 4000;
	r.lifetime = 600;
	r.desc = "a desc with spaces";
	assert_int_equal(pinhole_add(&r, &p), 0);
	assert_true(leasestore6_format(p, now, line, sizeof(line)) < (int)sizeof(line));
	assert_true(leasestore6_is_pinhole(line));
	assert_int_equal(leasestore6_parse(line, now, &back, desc, sizeof(desc), nonce), 0);
	assert_int_equal(back.proto, IPPROTO_UDP);
	assert_memory_equal(&back.int_addr, &r.int_addr, 16);
	assert_memory_equal(&back.remote, &r.remote, 16);
	assert_int_equal(back.remote_plen, 128);
	assert_int_equal(back.remote_port, 4000);
	assert_int_equal(back.owner, OWNER_PCP);
	assert_int_equal(back.id, p->id);
	assert_in_range(back.lifetime, 599, 600);
	assert_string_equal(back.desc, "a desc with spaces");
	assert_int_equal(leasestore6_parse(line, now + 601, &back, desc, sizeof(desc), nonce),
	    -ETIME);
	assert_true(leasestore6_format_removal(p, line, sizeof(line)) > 0);
	assert_true(leasestore6_is_pinhole(line));
	assert_int_equal(leasestore6_parse_removal(line, &back), 0);
	assert_int_equal(back.int_port, 5060);

	/* a prefix keeps its length; a line without one (older daemons) is one host */
	r.remote = ip6("2001:db8:ffff::");
	r.remote_plen = 64;
	assert_int_equal(pinhole_add(&r, &p), 0);
	assert_int_equal(p->remote_plen, 64);
	assert_true(leasestore6_format(p, now, line, sizeof(line)) < (int)sizeof(line));
	assert_non_null(strstr(line, " 2001:db8:ffff::/64 4000 "));
	assert_int_equal(leasestore6_parse(line, now, &back, desc, sizeof(desc), nonce), 0);
	assert_memory_equal(&back.remote, &r.remote, 16);
	assert_int_equal(back.remote_plen, 64);
	assert_int_equal(leasestore6_parse("pin6 tcp 2001:db8:1::10 25 2001:db8:ffff::2 0 pcp 0 "
	    "000000000000000000000000 1 x", now, &back, desc, sizeof(desc), nonce), 0);
	assert_int_equal(back.remote_plen, 128);
	/* host bits past the length: the table refuses the line's pinhole */
	r.int_port = 5061;
	r.remote = ip6("2001:db8:ffff::2");
	assert_int_equal(pinhole_add(&r, NULL), -EINVAL);
	r.remote_plen = 129;
	assert_int_equal(pinhole_add(&r, NULL), -EINVAL);

	const char *bad[] = {
		"pin6 tcp 2001:db8:1::10 0 :: 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 10.0.0.1 25 :: 0 pcp 0 000000000000000000000000 1 x",
		"pin6 icmp 2001:db8:1::10 25 :: 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 :: 0 nobody 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 :: 0 pcp -5 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 :: 0 pcp 0 00000000000000000000000g 1 x",
		"pin6 tcp 2001:db8:1::10 25 :: 0 pcp 0 000000000000000000000000 0 x",
		"pin6 tcp 2001:db8:1::10 25 :: 70000 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 2001:db8::/0 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 2001:db8::/129 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 2001:db8::/0064 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 2001:db8::/64x 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 2001:db8::/ 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 /64 0 pcp 0 000000000000000000000000 1 x",
		"pin6 tcp 2001:db8:1::10 25 :: 0 pcp 0 000000000000000000000000",
		"tcp 25 192.168.1.10 25 0.0.0.0 0 pcp 0 000000000000000000000000 x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (leasestore6_parse(bad[i], now, &back, desc, sizeof(desc), nonce) != -EINVAL)
			fail_msg("'%s' was read as a pinhole", bad[i]);
	assert_int_equal(leasestore6_parse_removal("- pin6 tcp 2001:db8:1::10 25 extra", &back),
	    -EINVAL);
}

static void
ipv6_rules(void **state)
{
	struct policy_rule rules[3];
	struct policy p = { rules, 3 };
	struct in6_addr mail = ip6("2001:db8:1::10"), far = ip6("2001:db8:2::10");
	char err[128];

	(void)state;
	assert_int_equal(policy_parse_rule("allow 1024-65535 2001:db8:1::/64 1024-65535", &rules[0],
	    err, sizeof(err)), 0);
	assert_true(rules[0].v6);
	assert_int_equal(rules[0].plen, 64);
	/* the address is masked */
	assert_int_equal(policy_parse_rule("allow 25 2001:db8:1::10:1/120 25", &rules[1], err,
	    sizeof(err)), 0);
	struct in6_addr masked = ip6("2001:db8:1::10:0");
	assert_memory_equal(&rules[1].addr6, &masked, 16);
	assert_int_equal(policy_parse_rule("deny 0-65535 ::/0 0-65535", &rules[2], err,
	    sizeof(err)), 0);
	assert_int_equal(policy_check6(&p, 2000, &mail, true), POLICY_ALLOW);
	assert_int_equal(policy_check6(&p, 2000, &mail, false), POLICY_THIRD_PARTY);
	assert_int_equal(policy_check6(&p, 25, &mail, true), POLICY_DENY);
	assert_int_equal(policy_check6(&p, 2000, &far, true), POLICY_DENY);
	/* IPv6 rules never decide IPv4 mappings, nor IPv4 rules pinholes */
	assert_int_equal(policy_check(&p, 2000, ip("192.168.1.2"), 2000, ip("192.168.1.2")),
	    POLICY_DENY);
	assert_int_equal(policy_parse_rule("allow 1-65535 0.0.0.0/0 1-65535", &rules[0], err,
	    sizeof(err)), 0);
	assert_int_equal(policy_check6(&(struct policy){ rules, 1 }, 2000, &mail, true),
	    POLICY_DENY);

	const char *bad[] = {
		"allow 1 2001:db8::/129 1", "allow 1 2001:db8:::1/64 1", "allow 1 2001:db8::/x 1",
		"allow 1 2001:db8::/ 1", "allow 1 :/64 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(policy_parse_rule(bad[i], &rules[0], err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_find_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(other_owner_and_static_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests_and_full_table, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry_removes_and_tells, setup, teardown),
		cmocka_unit_test_setup_teardown(quota_per_host, setup, teardown),
		cmocka_unit_test_setup_teardown(quota_without_neighbours, setup, teardown),
		cmocka_unit_test_setup_teardown(ids_asked_for_and_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(ids_wrap_when_full, setup, teardown),
		cmocka_unit_test_setup_teardown(lease_file_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(prefix_filters_bounded, setup, teardown),
		cmocka_unit_test(ipv6_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
