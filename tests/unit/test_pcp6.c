/*
 * Unit tests for PCP over IPv6 (pcp_pinhole.c): MAP opens a pinhole to the
 * requester's own address and port, on the pinhole table with no kernel.
 * Each test names its CONFORMANCE item (G54-G59, G62); the lab checks the same
 * with real traffic in tests/integration/70_ipv6.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "lan6.h"
#include "pcp/pcp_int.h"
#include "pinhole.h"
#include "wire.h"

#define MAIL6	"2001:db8:1::10"
#define WS6	"2001:db8:1::20"
#define OUT_CAP	(PCP_MAX_MSG + 4)

static struct config cfg;
static struct pcp_env env;
static const uint8_t nonce1[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* A MAP request from client (the client IP field), with options appended later. */
static size_t
map_req(uint8_t *b, const char *client, uint8_t proto, uint16_t port, uint32_t lifetime)
{
	struct in6_addr c = ip6(client);

	memset(b, 0, PCP_MAP_LEN);
	b[0] = PCP_VERSION;
	b[1] = PCP_OP_MAP;
	put32(b + 4, lifetime);
	memcpy(b + 8, &c, 16);
	memcpy(b + 24, nonce1, 12);
	b[36] = proto;
	put16(b + 40, port);
	put16(b + 42, port);
	return PCP_MAP_LEN;
}

/* A PEER request: the MAP fields, then the remote peer (§12.1). */
static size_t
peer_req(uint8_t *b, const char *client, uint8_t proto, uint16_t port, uint32_t lifetime,
    const char *remote, uint16_t rport)
{
	struct in6_addr r = ip6(remote);

	map_req(b, client, proto, port, lifetime);
	memset(b + PCP_MAP_LEN, 0, PCP_PEER_LEN - PCP_MAP_LEN);
	b[1] = PCP_OP_PEER;
	put16(b + 60, rport);
	memcpy(b + 64, &r, 16);
	return PCP_PEER_LEN;
}

static size_t
add_filter(uint8_t *b, size_t len, const char *remote, uint8_t plen, uint16_t port)
{
	struct in6_addr r = ip6(remote);

	memset(b + len, 0, 24);
	b[len] = PCP_OPT_FILTER;
	put16(b + len + 2, 20);
	b[len + 5] = plen;
	put16(b + len + 6, port);
	memcpy(b + len + 8, &r, 16);
	return len + 24;
}

static size_t
add_third_party(uint8_t *b, size_t len, const char *who)
{
	struct in6_addr a = ip6(who);

	memset(b + len, 0, 20);
	b[len] = PCP_OPT_THIRD_PARTY;
	put16(b + len + 2, 16);
	memcpy(b + len + 4, &a, 16);
	return len + 20;
}

static size_t
ask(const char *src, const uint8_t *b, size_t len, uint8_t *out)
{
	struct in6_addr s = ip6(src);

	return pcp6_handle(&env, &s, b, len, out, OUT_CAP);
}

static int
setup(void **state)
{
	static const char text[] = "ext_ifname=wan0\nlan_ifname=br-lan\n"
	    "allow 25 2001:db8:1::10/128 25\n"
	    "allow 8000-8999 2001:db8:1::/64 8000-8999 third-party\n"
	    "deny 1-1023 ::/0 1-1023\n"
	    "allow 1024-65535 2001:db8:1::/64 1024-65535\n";
	char err[256];
	struct in6_addr gw = ip6("2001:db8:1::1");

	(void)state;
	ev_init();
	assert_int_equal(config_parse_buffer("test", text, &cfg, err, sizeof(err)), 0);
	pinhole_init(NULL, 0);
	lan6_fini();
	lan6_add(2, &gw, 64);
	env.cfg = &cfg;
	env.epoch = 42;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pinhole_fini();
	lan6_fini();
	config_free(&cfg);
	ev_fini();
	return 0;
}

/* G55: the pinhole is the internal end; the reply names it as the external one. */
static void
g55_map_opens_pinhole(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	struct in6_addr mail = ip6(MAIL6);
	size_t n = map_req(b, MAIL6, IPPROTO_TCP, 25, 600);
	struct pinhole *p;

	(void)state;
	assert_int_equal(ask(MAIL6, b, n, out), PCP_MAP_LEN);
	assert_int_equal(out[1], 0x80 | PCP_OP_MAP);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_int_equal(out[42] << 8 | out[43], 25);
	assert_memory_equal(out + 44, &mail, 16);
	assert_non_null(p = pinhole_find(IPPROTO_TCP, &mail, 25));
	assert_int_equal(p->owner, OWNER_PCP);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&p->remote));
	/* a renewal with the same nonce keeps the pinhole; lifetime 0 closes it */
	assert_int_equal(ask(MAIL6, b, n, out), PCP_MAP_LEN);
	assert_int_equal(pinhole_count(), 1);
	put32(b + 4, 0);
	assert_int_equal(ask(MAIL6, b, n, out), PCP_MAP_LEN);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_null(pinhole_find(IPPROTO_TCP, &mail, 25));
}

/* G56: the client IP field is the source; another nonce may not touch it. */
static void
g56_address_and_nonce(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	size_t n = map_req(b, MAIL6, IPPROTO_TCP, 25, 600);

	(void)state;
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_ADDRESS_MISMATCH);
	assert_int_equal(pinhole_count(), 0);
	assert_int_equal(ask(MAIL6, b, n, out), PCP_MAP_LEN);
	b[24] ^= 0xff;		/* another nonce */
	assert_true(ask(MAIL6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	put32(b + 4, 0);
	assert_true(ask(MAIL6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	assert_int_equal(pinhole_count(), 1);
}

/* The rules decide; nothing outside the LAN prefixes; no wildcard. */
static void
rules_prefixes_protocols(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	size_t n;

	(void)state;
	n = map_req(b, WS6, IPPROTO_TCP, 25, 600);		/* 25 is the mail server's only */
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	n = map_req(b, "2001:db8:2::5", IPPROTO_TCP, 2000, 600);	/* not a LAN prefix */
	assert_true(ask("2001:db8:2::5", b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	n = map_req(b, "2001:db8:1::1", IPPROTO_TCP, 2000, 600);	/* the gateway itself */
	assert_true(ask("2001:db8:1::1", b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	n = map_req(b, "fe80::10", IPPROTO_TCP, 2000, 600);	/* reaches nothing */
	assert_true(ask("fe80::10", b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	n = map_req(b, WS6, 0, 0, 600);				/* wildcard */
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_UNSUPP_PROTOCOL);
	n = peer_req(b, WS6, IPPROTO_UDP, 5060, 600, "::", 4000);	/* no remote peer */
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_MALFORMED_REQUEST);
	assert_int_equal(pinhole_count(), 0);
}

/* G57: FILTER with one remote host restricts the pinhole; a prefix is refused. */
static void
g57_filter(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	struct in6_addr ws = ip6(WS6), wan = ip6("2001:db8:ffff::2");
	size_t n = map_req(b, WS6, IPPROTO_TCP, 2000, 600);
	struct pinhole *p;

	(void)state;
	n = add_filter(b, n, "2001:db8:ffff::2", 128, 4000);
	assert_int_equal(ask(WS6, b, n, out), n);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_non_null(p = pinhole_find(IPPROTO_TCP, &ws, 2000));
	assert_memory_equal(&p->remote, &wan, 16);
	assert_int_equal(p->remote_port, 4000);
	/* a second remote (here a prefix) on a filtered pinhole: two remote peers */
	n = add_filter(b, PCP_MAP_LEN, "2001:db8:ffff::", 64, 0);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_EXCESSIVE_REMOTE_PEERS);
	assert_int_equal(p->remote_plen, 128);
	/* an IPv4-mapped filter on an IPv6 request is malformed (§10) */
	n = add_filter(b, PCP_MAP_LEN, "::ffff:203.0.113.2", 128, 0);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_MALFORMED_OPTION);
	/* prefix 0 removes the filter */
	n = add_filter(b, PCP_MAP_LEN, "::", 0, 0);
	assert_int_equal(ask(WS6, b, n, out), n);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&p->remote));
}

/* G57: a FILTER prefix (§13.3, of the IPv6 form) restricts the pinhole to it. */
static void
g57_filter_prefix(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	struct in6_addr ws = ip6(WS6), net = ip6("2001:db8:ffff::");
	struct in6_addr inside = ip6("2001:db8:ffff::99"), outside = ip6("2001:db8:fffe::2");
	size_t n = map_req(b, WS6, IPPROTO_TCP, 2000, 600);
	struct pinhole *p;

	(void)state;
	/* host bits in the request are cleared; the answer echoes the FILTER */
	n = add_filter(b, n, "2001:db8:ffff::2", 64, 0);
	assert_int_equal(ask(WS6, b, n, out), n);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_int_equal(out[PCP_MAP_LEN + 5], 64);
	assert_non_null(p = pinhole_find(IPPROTO_TCP, &ws, 2000));
	assert_memory_equal(&p->remote, &net, 16);
	assert_int_equal(p->remote_plen, 64);
	assert_int_equal(p->remote_port, 0);
	assert_true(pinhole_admits_addr(p, &inside));
	assert_false(pinhole_admits_addr(p, &outside));
	/* the same filter again renews; another length is a second remote */
	assert_int_equal(ask(WS6, b, n, out), n);
	assert_int_equal(out[3], PCP_SUCCESS);
	n = add_filter(b, PCP_MAP_LEN, "2001:db8:ffff::", 48, 0);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_EXCESSIVE_REMOTE_PEERS);
	assert_int_equal(p->remote_plen, 64);
	/* PEER from inside the prefix is let in already: reported, not changed */
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 900, "2001:db8:ffff::99", 4000);
	assert_int_equal(ask(WS6, b, n, out), PCP_PEER_LEN);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_int_equal(p->remote_plen, 64);
	assert_in_range(pinhole_seconds_left(p), 1, 600);
	/* from outside it does not fit the port's one filter */
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 900, "2001:db8:fffe::2", 4000);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NO_RESOURCES);
	/* an odd length with a port; a prefix of :: would read as any: refused */
	n = add_filter(b, map_req(b, WS6, IPPROTO_UDP, 3000, 600), "2001:db8:ff80::", 9, 5000);
	assert_int_equal(ask(WS6, b, n, out), n);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_non_null(p = pinhole_find(IPPROTO_UDP, &ws, 3000));
	assert_int_equal(p->remote_plen, 9);
	assert_int_equal(p->remote_port, 5000);
	assert_true(pinhole_admits_addr(p, &outside));
	assert_false(pinhole_admits_addr(p, &(struct in6_addr){ { { 0x20, 0x80 } } }));
	n = add_filter(b, map_req(b, WS6, IPPROTO_UDP, 3001, 600), "::1", 1, 0);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_EXCESSIVE_REMOTE_PEERS);
	assert_null(pinhole_find(IPPROTO_UDP, &ws, 3001));
}

/* G56/G59: THIRD_PARTY needs a `third-party` rule when the hosts differ. */
static void
g59_third_party_rule(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	struct in6_addr mail = ip6(MAIL6);
	size_t n;

	(void)state;
	n = add_third_party(b, map_req(b, WS6, IPPROTO_TCP, 8025, 600), MAIL6);
	assert_int_equal(ask(WS6, b, n, out), n);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_memory_equal(out + 44, &mail, 16);
	assert_non_null(pinhole_find(IPPROTO_TCP, &mail, 8025));
	/* naming yourself is malformed (§13.1) */
	n = add_third_party(b, map_req(b, WS6, IPPROTO_TCP, 8025, 600), WS6);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_MALFORMED_REQUEST);
}

/* G62: PEER opens the pinhole for one remote peer, extends it, never shortens it. */
static void
g62_peer(void **state)
{
	uint8_t b[OUT_CAP], out[OUT_CAP];
	struct in6_addr ws = ip6(WS6), wan = ip6("2001:db8:ffff::2"), any = IN6ADDR_ANY_INIT;
	struct pinhole *p;
	size_t n;

	(void)state;
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 600, "2001:db8:ffff::2", 4000);
	assert_int_equal(ask(WS6, b, n, out), PCP_PEER_LEN);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_int_equal(get16(out + 42), 2000);		/* external end = internal end */
	assert_memory_equal(out + 44, &ws, 16);
	assert_int_equal(get16(out + 60), 4000);		/* the remote peer echoed */
	assert_memory_equal(out + 64, &wan, 16);
	assert_non_null(p = pinhole_find(IPPROTO_TCP, &ws, 2000));
	assert_memory_equal(&p->remote, &wan, 16);
	assert_int_equal(p->remote_port, 4000);
	assert_string_equal(p->desc, MAP_DESC_PEER);
	/* extended by the same nonce; lifetime 0 only asks (§15: PEER never shortens) */
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 900, "2001:db8:ffff::2", 4000);
	assert_int_equal(ask(WS6, b, n, out), PCP_PEER_LEN);
	assert_in_range(pinhole_seconds_left(p), 899, 900);
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 0, "2001:db8:ffff::2", 4000);
	assert_int_equal(ask(WS6, b, n, out), PCP_PEER_LEN);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_in_range(get32(out + 4), 899, 900);
	assert_int_equal(pinhole_count(), 1);
	/* another nonce may not touch it; another peer does not fit the port's one filter */
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 600, "2001:db8:ffff::2", 4000);
	b[24] ^= 0xff;
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	n = peer_req(b, WS6, IPPROTO_TCP, 2000, 600, "2001:db8:ffff::3", 4000);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NO_RESOURCES);
	/* a MAP pinhole open to everyone already admits the peer: reported, not changed */
	n = map_req(b, WS6, IPPROTO_UDP, 3000, 600);
	assert_int_equal(ask(WS6, b, n, out), n);
	n = peer_req(b, WS6, IPPROTO_UDP, 3000, 1200, "2001:db8:ffff::2", 4000);
	assert_int_equal(ask(WS6, b, n, out), PCP_PEER_LEN);
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_non_null(p = pinhole_find(IPPROTO_UDP, &ws, 3000));
	assert_memory_equal(&p->remote, &any, 16);
	assert_in_range(pinhole_seconds_left(p), 599, 600);
	/* the rules, the suggestion, and remote peers no IPv6 packet comes from */
	n = peer_req(b, WS6, IPPROTO_TCP, 25, 600, "2001:db8:ffff::2", 4000);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_NOT_AUTHORIZED);
	n = peer_req(b, WS6, IPPROTO_TCP, 2100, 600, "2001:db8:ffff::2", 4000);
	put16(b + 42, 2101);
	assert_true(ask(WS6, b, n, out) > 0);
	assert_int_equal(out[3], PCP_CANNOT_PROVIDE_EXTERNAL);
	static const char *bad[] = { "::ffff:203.0.113.2", "fe80::1", "ff02::1", "::", "::1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = peer_req(b, WS6, IPPROTO_TCP, 2200, 600, bad[i], 4000);
		assert_true(ask(WS6, b, n, out) > 0);
		assert_int_equal(out[3], PCP_MALFORMED_REQUEST);
	}
	assert_int_equal(pinhole_count(), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(g55_map_opens_pinhole, setup, teardown),
		cmocka_unit_test_setup_teardown(g56_address_and_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(rules_prefixes_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(g57_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(g57_filter_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(g59_third_party_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(g62_peer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
