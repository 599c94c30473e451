/*
 * NAT-PMP and PCP requests waiting for the gateway in front (pcp/pending.c):
 * kept per (protocol, port), served again once when the answer comes, a
 * retransmission kept once, the table bounded. And with upstream forwarding
 * off, every mapping is answered as before (upstream_answer: LOCAL).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pcp/pcp_int.h"
#include "unit.h"

static int served;
static uint8_t last[PCP_MAX_MSG];
static size_t last_len;
static struct sockaddr_in last_from;

static void
serve(int fd, const struct gw_lan *lan, const uint8_t *b, size_t len,
    const struct sockaddr_in *from, unsigned ifindex)
{
	(void)fd;
	(void)lan;
	(void)ifindex;
	served++;
	memcpy(last, b, len);
	last_len = len;
	last_from = *from;
}

static struct sockaddr_in
client(const char *addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr = ip(addr);
	return sin;
}

static void
replayed_once_per_port(void **state)
{
	struct pcp_wait w25 = { true, IPPROTO_TCP, 25 }, w587 = { true, IPPROTO_TCP, 587 };
	struct sockaddr_in a = client("192.168.77.10", 40000), b = client("192.168.77.20", 40001);
	const uint8_t req_a[12] = { 0, 2, 0, 0, 0, 25, 0, 25, 0, 0, 2, 88 };
	const uint8_t req_b[12] = { 0, 2, 0, 0, 2, 75, 2, 75, 0, 0, 2, 88 };

	(void)state;
	pending_reset();
	served = 0;
	pending_add(3, NULL, req_a, sizeof(req_a), &a, 1, &w25);
	pending_add(3, NULL, req_a, sizeof(req_a), &a, 1, &w25);	/* a retransmission */
	pending_add(3, NULL, req_b, sizeof(req_b), &b, 1, &w587);
	pending_replay(IPPROTO_UDP, 25, serve);				/* another protocol */
	assert_int_equal(served, 0);
	pending_replay(IPPROTO_TCP, 25, serve);
	assert_int_equal(served, 1);
	assert_int_equal(last_len, sizeof(req_a));
	assert_memory_equal(last, req_a, sizeof(req_a));
	assert_int_equal(last_from.sin_addr.s_addr, a.sin_addr.s_addr);
	pending_replay(IPPROTO_TCP, 25, serve);				/* served: gone */
	assert_int_equal(served, 1);
	pending_replay(IPPROTO_TCP, 587, serve);
	assert_int_equal(served, 2);
	assert_memory_equal(last, req_b, sizeof(req_b));
}

static void
bounded(void **state)
{
	struct pcp_wait w = { true, IPPROTO_TCP, 25 };
	const uint8_t req[2] = { 0, 0 };
	uint8_t big[PCP_MAX_MSG + 1] = { 2 };

	(void)state;
	pending_reset();
	served = 0;
	for (uint16_t p = 1; p <= 100; p++) {
		struct sockaddr_in c = client("192.168.77.10", p);
		pending_add(3, NULL, req, sizeof(req), &c, 1, &w);
	}
	struct sockaddr_in c = client("192.168.77.11", 1);
	pending_add(3, NULL, big, sizeof(big), &c, 1, &w);		/* over PCP's size */
	pending_replay(IPPROTO_TCP, 25, serve);
	assert_int_equal(served, 64);
}

static void
local_when_off(void **state)
{
	struct in_addr ext = ip("203.0.113.1");
	uint32_t lifetime = 600;

	(void)state;
	assert_int_equal(upstream_answer(IPPROTO_TCP, 25, &ext, &lifetime), UPSTREAM_LOCAL);
	assert_int_equal(ext.s_addr, ip("203.0.113.1").s_addr);
	assert_int_equal(lifetime, 600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replayed_once_per_port),
		cmocka_unit_test(bounded),
		cmocka_unit_test(local_when_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
