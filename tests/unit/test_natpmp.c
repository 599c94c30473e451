/*
 * NAT-PMP (RFC 6886) server: the parser and the protocol logic against the
 * real lease table on the null backend. Each test names the CONFORMANCE.md
 * item it checks (B1-B3, C5-C12).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "pcp_fixture.h"

struct map_reply {
	size_t		len;
	uint8_t		op;
	uint16_t	result;
	uint32_t	epoch;
	uint16_t	int_port, ext_port;
	uint32_t	lifetime;
};

static struct map_reply
nat_map(const char *src, uint8_t op, uint16_t int_port, uint16_t ext_port, uint32_t lifetime)
{
	uint8_t req[12] = { 0, op }, out[OUT_CAP];
	struct map_reply r = { 0 };

	put16(req + 4, int_port);
	put16(req + 6, ext_port);
	put32(req + 8, lifetime);
	r.len = natpmp_handle(&env, ip(src), req, sizeof(req), out, sizeof(out));
	if (r.len >= 16) {
		r.op = out[1];
		r.result = get16(out + 2);
		r.epoch = get32(out + 4);
		r.int_port = get16(out + 8);
		r.ext_port = get16(out + 10);
		r.lifetime = get32(out + 12);
	}
	return r;
}

static void
test_parse_lengths(void **state)
{
	struct natpmp_req r;
	uint8_t b[16] = { 0 };

	(void)state;
	assert_int_equal(natpmp_parse(b, 1, &r), NATPMP_DROP);
	assert_int_equal(natpmp_parse(b, 2, &r), 0);
	assert_int_equal(natpmp_parse(b, 3, &r), NATPMP_DROP);	/* too long for op 0 */
	b[1] = 1;
	assert_int_equal(natpmp_parse(b, 11, &r), NATPMP_DROP);	/* too short for a map */
	assert_int_equal(natpmp_parse(b, 13, &r), NATPMP_DROP);
	assert_int_equal(natpmp_parse(b, 12, &r), 0);
	b[1] = 0x81;
	assert_int_equal(natpmp_parse(b, 12, &r), NATPMP_DROP);	/* a response */
	b[1] = 7;
	assert_int_equal(natpmp_parse(b, 2, &r), NATPMP_UNSUPP_OPCODE);
	b[0] = 1;
	assert_int_equal(natpmp_parse(b, 2, &r), NATPMP_UNSUPP_VERSION);
}

/* C5: op 0 -> 12 bytes, the real external address; WAN down -> 3 and 0.0.0.0. */
static void
test_c5_external_address(void **state)
{
	uint8_t req[2] = { 0, 0 }, out[OUT_CAP];
	struct in_addr a;

	(void)state;
	assert_int_equal(natpmp_handle(&env, ip(MAIL), req, 2, out, sizeof(out)), 12);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 128);
	assert_int_equal(get16(out + 2), NATPMP_SUCCESS);
	assert_int_equal(get32(out + 4), 42);
	memcpy(&a, out + 8, 4);
	assert_int_equal(a.s_addr, ip(EXT).s_addr);
	lease_set_external(ip("0.0.0.0"));
	assert_int_equal(natpmp_handle(&env, ip(MAIL), req, 2, out, sizeof(out)), 12);
	assert_int_equal(get16(out + 2), NATPMP_NETWORK_FAILURE);
	assert_int_equal(get32(out + 8), 0);
	assert_int_equal(nat_map(MAIL, 2, 25, 25, 600).result, NATPMP_NETWORK_FAILURE);
}

/* C6: op 128+x, internal port echoed, lifetime no more than asked. */
static void
test_c6_map_reply(void **state)
{
	struct map_reply r;

	(void)state;
	r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 25, 600);
	assert_int_equal(r.len, 16);
	assert_int_equal(r.op, 130);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.int_port, 25);
	assert_int_equal(r.ext_port, 25);
	assert_int_equal(r.lifetime, 600);
	assert_int_equal(r.epoch, 42);
	struct lease *l = lease_find(IPPROTO_TCP, 25);
	assert_non_null(l);
	assert_int_equal(l->owner, OWNER_NATPMP);
	assert_int_equal(l->int_addr.s_addr, ip(MAIL).s_addr);
	/* Never above max_lifetime (86400), never above the request. */
	r = nat_map(MAIL, NATPMP_OP_MAP_UDP, 53, 53, 1000000);
	assert_int_equal(r.op, 129);
	assert_int_equal(r.lifetime, 86400);
	r = nat_map(MAIL, NATPMP_OP_MAP_UDP, 54, 54, 10);
	assert_int_equal(r.lifetime, 10);
}

/* C7: a repeat request -> the same external port, lifetime renewed. */
static void
test_c7_idempotent(void **state)
{
	struct map_reply a, b;

	(void)state;
	a = nat_map(MAIL, NATPMP_OP_MAP_TCP, 8080, 0, 600);
	b = nat_map(MAIL, NATPMP_OP_MAP_TCP, 8080, 9999, 1200);
	assert_int_equal(a.result, 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(a.ext_port, b.ext_port);
	assert_int_equal(b.lifetime, 1200);
	assert_int_equal(lease_count(), 1);
	assert_in_range(lease_seconds_left(lease_find(IPPROTO_TCP, a.ext_port)), 1199, 1200);
}

/* C6: no suggestion -> a high port (the internal one when it is high). */
static void
test_c6_no_suggestion(void **state)
{
	(void)state;
	assert_true(nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 0, 600).ext_port >= 1024);
	assert_int_equal(nat_map(MAIL, NATPMP_OP_MAP_TCP, 8443, 0, 600).ext_port, 8443);
}

/* C8: a taken suggestion -> another free port; none free -> 4. */
static void
test_c8_taken_and_exhausted(void **state)
{
	struct map_reply a, b;

	(void)state;
	a = nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 25, 600);
	b = nat_map(WS, NATPMP_OP_MAP_TCP, 25, 25, 600);
	assert_int_equal(a.ext_port, 25);
	assert_int_equal(b.result, 0);
	assert_int_not_equal(b.ext_port, 25);
	assert_int_not_equal(b.ext_port, 0);
	fixture_teardown(state);
	fixture_up("", 1, 0);				/* a table of one */
	assert_int_equal(nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 25, 600).result, 0);
	b = nat_map(WS, NATPMP_OP_MAP_TCP, 26, 26, 600);
	assert_int_equal(b.result, NATPMP_NO_RESOURCES);
	assert_int_equal(b.ext_port, 0);
	assert_int_equal(b.lifetime, 0);
}

/* C9: TCP and UDP apart; the companion port stays reserved for its host. */
static void
test_c9_companion(void **state)
{
	struct map_reply a, b, c;

	(void)state;
	a = nat_map(MAIL, NATPMP_OP_MAP_TCP, 5000, 5000, 600);
	b = nat_map(WS, NATPMP_OP_MAP_UDP, 5000, 5000, 600);
	c = nat_map(MAIL, NATPMP_OP_MAP_UDP, 5000, 5000, 600);
	assert_int_equal(a.ext_port, 5000);
	assert_int_equal(b.result, 0);
	assert_int_not_equal(b.ext_port, 5000);		/* WS kept off MAIL's twin */
	assert_int_equal(c.ext_port, 5000);		/* MAIL may still have it */
	/* Nothing was created for the protocol not asked for. */
	assert_int_equal(lease_count(), 3);
}

/* C10: delete, delete missing, delete all, manual mapping -> 2. */
static void
test_c10_delete(void **state)
{
	struct map_reply r;

	(void)state;
	nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 25, 600);
	r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 0, 0);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.int_port, 25);
	assert_int_equal(r.ext_port, 0);
	assert_int_equal(r.lifetime, 0);
	assert_null(lease_find(IPPROTO_TCP, 25));
	/* The same reply when it does not exist (a lost ack, retransmitted). */
	r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 0, 0);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.lifetime, 0);
	/* A static mapping may not be deleted by NAT-PMP. */
	add_static(IPPROTO_TCP, 2525, MAIL, 26);
	r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 26, 0, 0);
	assert_int_equal(r.result, NATPMP_NOT_AUTHORIZED);
	assert_non_null(lease_find(IPPROTO_TCP, 2525));
	/* Delete all of MAIL's TCP: NAT-PMP ones go, the static one stays (so 2). */
	nat_map(MAIL, NATPMP_OP_MAP_TCP, 80, 80, 600);
	nat_map(MAIL, NATPMP_OP_MAP_TCP, 443, 443, 600);
	nat_map(MAIL, NATPMP_OP_MAP_UDP, 443, 443, 600);
	nat_map(WS, NATPMP_OP_MAP_TCP, 8443, 8443, 600);
	r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 0, 0, 0);
	assert_int_equal(r.result, NATPMP_NOT_AUTHORIZED);
	assert_int_equal(r.int_port, 0);
	assert_null(lease_find(IPPROTO_TCP, 80));
	assert_null(lease_find(IPPROTO_TCP, 443));
	assert_non_null(lease_find(IPPROTO_UDP, 443));	/* other protocol */
	assert_non_null(lease_find(IPPROTO_TCP, 8443));	/* other host */
	r = nat_map(WS, NATPMP_OP_MAP_TCP, 0, 0, 0);
	assert_int_equal(r.result, 0);
	assert_null(lease_find(IPPROTO_TCP, 8443));
}

/* C10: an existing static mapping of the internal end is reported, not changed. */
static void
test_c10_static_reported(void **state)
{
	struct map_reply r;

	(void)state;
	add_static(IPPROTO_TCP, 2525, MAIL, 25);
	r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 25, 600);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.ext_port, 2525);
	assert_int_equal(r.lifetime, 600);
	assert_int_equal(lease_find(IPPROTO_TCP, 2525)->owner, OWNER_STATIC);
	assert_true(lease_permanent(lease_find(IPPROTO_TCP, 2525)));
}

/* C11: unknown opcode -> the request echoed, top bit set, result 5. */
static void
test_c11_unsupported_opcode(void **state)
{
	uint8_t req[12] = { 0, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 }, out[OUT_CAP];

	(void)state;
	assert_int_equal(natpmp_handle(&env, ip(MAIL), req, sizeof(req), out, sizeof(out)), 12);
	assert_int_equal(out[1], 0x89);
	assert_int_equal(get16(out + 2), NATPMP_UNSUPP_OPCODE);
	assert_memory_equal(out + 4, req + 4, 8);
	/* A 2-byte one still carries its result. */
	assert_int_equal(natpmp_handle(&env, ip(MAIL), req, 2, out, sizeof(out)), 4);
	assert_int_equal(get16(out + 2), NATPMP_UNSUPP_OPCODE);
}

/* B1, B2, B3 through the dispatcher: byte 0 picks, version 1 -> 8 bytes, R drops. */
static void
test_b1_b2_b3_dispatch(void **state)
{
	uint8_t req[12] = { 0, 0 }, out[OUT_CAP];

	(void)state;
	assert_int_equal(pcp_dispatch(&env, ip(MAIL), 1234, req, 2, out, sizeof(out)), 12);
	req[0] = 1;
	assert_int_equal(pcp_dispatch(&env, ip(MAIL), 1234, req, 12, out, sizeof(out)), 8);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0x80);
	assert_int_equal(get16(out + 2), NATPMP_UNSUPP_VERSION);
	assert_int_equal(get32(out + 4), 42);
	req[0] = 0;
	req[1] = 0x80;
	assert_int_equal(pcp_dispatch(&env, ip(MAIL), 1234, req, 2, out, sizeof(out)), 0);
	assert_int_equal(pcp_dispatch(&env, ip(MAIL), 1234, req, 1, out, sizeof(out)), 0);
	/* PCP off: a PCP request gets NAT-PMP's 8-byte UNSUPP_VERSION. */
	cfg.enable_pcp = false;
	req[0] = 2;
	req[1] = 0;
	assert_int_equal(pcp_dispatch(&env, ip(MAIL), 1234, req, 12, out, sizeof(out)), 8);
	/* Both off: silence. */
	cfg.enable_natpmp = false;
	req[0] = 0;
	assert_int_equal(pcp_dispatch(&env, ip(MAIL), 1234, req, 2, out, sizeof(out)), 0);
}

/* Policy: a denied port or host -> 2 and no lease. */
static void
test_policy_refusal(void **state)
{
	(void)state;
	fixture_teardown(state);
	fixture_up("deny 1-1023 0.0.0.0/0 1-65535\n", 0, 0);
	struct map_reply r = nat_map(MAIL, NATPMP_OP_MAP_TCP, 25, 25, 600);
	assert_int_equal(r.result, 0);
	assert_true(r.ext_port >= 1024);			/* moved past the denied range */
	r = nat_map("10.1.2.3", NATPMP_OP_MAP_TCP, 25, 25, 600);
	assert_int_equal(r.result, NATPMP_NOT_AUTHORIZED);	/* no rule for this host */
	assert_int_equal(lease_count(), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lengths),
		cmocka_unit_test_setup_teardown(test_c5_external_address, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c6_map_reply, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c6_no_suggestion, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c7_idempotent, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c8_taken_and_exhausted, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c9_companion, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c10_delete, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c10_static_reported, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_c11_unsupported_opcode, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_b1_b2_b3_dispatch, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_policy_refusal, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
