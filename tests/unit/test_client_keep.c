/*
 * Unit tests for the keeper's rules: renewal at half the lifetime, the
 * back-off, the PCP/NAT-PMP epoch test for a gateway restart (RFC 6887
 * §8.5, RFC 6886 §3.6), the announcement parser, and the gateway helpers
 * (default route, private and reserved ranges).
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

#include "phc.h"


static void
renew_schedule(void **state)
{
	(void)state;
	assert_int_equal(phc_renew_due(10000, 3600), 10000 + 1800000);
	assert_int_equal(phc_renew_due(0, 120), 60000);
	assert_int_equal(phc_renew_due(0, 2), 1000);
	/* Never a busy loop on a 1-second lease. */
	assert_int_equal(phc_renew_due(5000, 1), 6000);
	/* Permanent (UPnP v1): never renewed, only checked. */
	assert_true(phc_renew_due(0, 0) == INT64_MAX);
}

static void
retry_backoff(void **state)
{
	(void)state;
	assert_int_equal(phc_retry_delay(1), 2000);
	assert_int_equal(phc_retry_delay(2), 4000);
	assert_int_equal(phc_retry_delay(3), 8000);
	assert_int_equal(phc_retry_delay(8), 256000);
	assert_int_equal(phc_retry_delay(9), 300000);
	assert_int_equal(phc_retry_delay(1000), 300000);
	assert_int_equal(phc_retry_delay(0), 2000);
}

static void
epoch_rules(void **state)
{
	(void)state;
	/* Both clocks advanced alike: fine. */
	assert_false(phc_epoch_lost(1000, 0, 1060, 60000));
	assert_false(phc_epoch_lost(1000, 0, 1000, 0));
	/* One second back is tolerated (rounding), more is a restart. */
	assert_false(phc_epoch_lost(1000, 0, 999, 0));
	assert_true(phc_epoch_lost(1000, 0, 998, 0));
	assert_true(phc_epoch_lost(5000, 0, 3, 60000));
	/* The server's clock ran far slower than ours: it restarted meanwhile. */
	assert_true(phc_epoch_lost(1000, 0, 1010, 600000));
	/* ... or far faster. */
	assert_true(phc_epoch_lost(1000, 0, 2000, 10000));
	/* Within 2 s + 1/16: drift, not a restart. */
	assert_false(phc_epoch_lost(1000, 0, 1000 + 1600 + 100 + 1, 1600000));
	assert_false(phc_epoch_lost(1000, 0, 1000 + 1600 - 100 - 1, 1600000));
	assert_true(phc_epoch_lost(1000, 0, 1000 + 1600 - 200, 1600000));
}

static void
epoch_sticky(void **state)
{
	struct porthole ph;

	(void)state;
	memset(&ph, 0, sizeof(ph));
	assert_false(phc_epoch_update(&ph, 500));
	assert_false(phc_epoch_update(&ph, 500));
	assert_false(ph.epoch_lost);
	assert_true(phc_epoch_update(&ph, 3));
	assert_true(ph.epoch_lost);
	assert_false(phc_epoch_update(&ph, 3));
	assert_true(ph.epoch_lost);		/* until the keeper has acted on it */
}

static void
announce_packets(void **state)
{
	uint8_t natpmp[12] = { 0, 128, 0, 0, 0, 0, 0x01, 0x00, 203, 0, 113, 9 };
	uint8_t pcp[24] = { 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
	uint8_t map[60];
	struct phc_announce a;

	(void)state;
	assert_int_equal(phc_announce_parse(natpmp, sizeof(natpmp), &a), 0);
	assert_int_equal(a.epoch, 256);
	assert_true(a.has_ext);
	assert_int_equal(a.ext.s_addr, ip("203.0.113.9").s_addr);
	natpmp[3] = 3;		/* NetworkFailure: no news */
	assert_int_equal(phc_announce_parse(natpmp, sizeof(natpmp), &a), -1);
	natpmp[3] = 0;
	assert_int_equal(phc_announce_parse(natpmp, 11, &a), -1);
	assert_int_equal(phc_announce_parse(natpmp, 16, &a), -1);

	assert_int_equal(phc_announce_parse(pcp, sizeof(pcp), &a), 0);
	assert_int_equal(a.epoch, 7);
	assert_false(a.has_ext);
	assert_int_equal(phc_announce_parse(pcp, 20, &a), -1);
	pcp[1] = 0x00;		/* a request, not a response */
	assert_int_equal(phc_announce_parse(pcp, sizeof(pcp), &a), -1);
	pcp[1] = 0x80;
	pcp[3] = 1;		/* an error result */
	assert_int_equal(phc_announce_parse(pcp, sizeof(pcp), &a), -1);

	memset(map, 0, sizeof(map));
	map[0] = 2;
	map[1] = 0x81;
	map[11] = 42;
	map[54] = 0xff;
	map[55] = 0xff;
	memcpy(map + 56, "\xc6\x33\x64\x05", 4);	/* 198.51.100.5 */
	assert_int_equal(phc_announce_parse(map, sizeof(map), &a), 0);
	assert_int_equal(a.epoch, 42);
	assert_true(a.has_ext);
	assert_int_equal(a.ext.s_addr, ip("198.51.100.5").s_addr);
	assert_int_equal(phc_announce_parse(map, 56, &a), -1);
	assert_int_equal(phc_announce_parse(map, 62, &a), -1);	/* not a multiple of 4 */
	map[0] = 1;
	assert_int_equal(phc_announce_parse(map, sizeof(map), &a), -1);
	assert_int_equal(phc_announce_parse(map, 1, &a), -1);
	assert_int_equal(phc_announce_parse(map, 0, &a), -1);
}

/* [ff02::1]:5350 hears PCP's ANNOUNCE alone: no NAT-PMP, no MAP update. */
static void
announce6_packets(void **state)
{
	uint8_t natpmp[12] = { 0, 128, 0, 0, 0, 0, 0x01, 0x00, 203, 0, 113, 9 };
	uint8_t pcp[28] = { 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
	uint8_t map[60] = { 2, 0x81 };
	struct phc_announce a;

	(void)state;
	assert_int_equal(phc_announce6_parse(pcp, 24, &a), 0);
	assert_int_equal(a.epoch, 7);
	assert_false(a.has_ext);
	assert_int_equal(phc_announce6_parse(pcp, 28, &a), 0);	/* an option may follow */
	assert_int_equal(phc_announce6_parse(pcp, 26, &a), -1);	/* not a multiple of 4 */
	assert_int_equal(phc_announce6_parse(pcp, 20, &a), -1);
	assert_int_equal(phc_announce6_parse(pcp, 1, &a), -1);
	pcp[3] = 1;		/* an error result */
	assert_int_equal(phc_announce6_parse(pcp, 24, &a), -1);
	pcp[3] = 0;
	pcp[1] = 0x00;		/* a request */
	assert_int_equal(phc_announce6_parse(pcp, 24, &a), -1);
	assert_int_equal(phc_announce6_parse(natpmp, sizeof(natpmp), &a), -1);
	assert_int_equal(phc_announce6_parse(map, sizeof(map), &a), -1);
}

static void
default_route(void **state)
{
	const char *table =
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	    "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
	    "eth0\t00000000\t014DA8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	    "eth1\t00000000\t0202A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n";	/* down */
	const char *none =
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	const char *junk = "Iface\n00000000 zz 0003 0 0 0 00000000\n\n\t\t\n";
	struct in_addr gw;

	(void)state;
	assert_int_equal(phc_route_parse(table, strlen(table), &gw), 0);
	if (htonl(1) != 1)	/* the kernel prints host order: this table is little-endian */
		assert_int_equal(gw.s_addr, ip("192.168.77.1").s_addr);
	assert_int_equal(phc_route_parse(none, strlen(none), &gw), PORTHOLE_ERR_NOGATEWAY);
	assert_int_equal(phc_route_parse(junk, strlen(junk), &gw), PORTHOLE_ERR_NOGATEWAY);
	assert_int_equal(phc_route_parse("", 0, &gw), PORTHOLE_ERR_NOGATEWAY);
}

static void
address_ranges(void **state)
{
	static const char *const priv[] = { "10.0.0.1", "172.16.5.4", "172.31.255.255",
	    "192.168.1.1", "100.64.0.1", "100.127.255.254" };
	static const char *const pub[] = { "172.32.0.1", "100.128.0.1", "8.8.8.8",
	    "192.169.0.1", "100.63.255.255" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		assert_true(phc_addr_private(ip(priv[i])));
		assert_true(phc_addr_reserved(ip(priv[i])));
	}
	for (i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
		assert_false(phc_addr_private(ip(pub[i])));
	/* Documentation ranges: reserved (miniupnpc's view), not a second NAT. */
	assert_false(phc_addr_private(ip("203.0.113.1")));
	assert_true(phc_addr_reserved(ip("203.0.113.1")));
	assert_true(phc_addr_reserved(ip("198.51.100.7")));
	assert_true(phc_addr_reserved(ip("192.0.2.1")));
	assert_false(phc_addr_reserved(ip("8.8.8.8")));
}

static void
lease_left(void **state)
{
	struct porthole_mapping m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(porthole_lease_left(&m, 100), 0);	/* not mapped */
	m.external_port = 25;
	m.obtained = 1000;
	m.lifetime = 3600;
	assert_int_equal(porthole_lease_left(&m, 1000), 3600);
	assert_int_equal(porthole_lease_left(&m, 4000), 600);
	assert_int_equal(porthole_lease_left(&m, 5000), 0);
	m.lifetime = 0;
	assert_int_equal(porthole_lease_left(&m, 5000), -1);	/* permanent */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renew_schedule),
		cmocka_unit_test(retry_backoff),
		cmocka_unit_test(epoch_rules),
		cmocka_unit_test(epoch_sticky),
		cmocka_unit_test(announce_packets),
		cmocka_unit_test(announce6_packets),
		cmocka_unit_test(default_route),
		cmocka_unit_test(address_ranges),
		cmocka_unit_test(lease_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
