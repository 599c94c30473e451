/*
 * Unit tests for the control protocol's records (ctl_proto.c): what the
 * daemon writes, portholectl reads back field for field, by name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "ctl_proto.h"

static void
mapping_round_trip(void **state)
{
	struct ctl_mapping m = {
		.proto = "udp", .ext_port = 65535, .int_addr = ip("192.168.1.10"), .int_port = 1,
		.owner = "natpmp", .permanent = false, .lease_left = 4294967295u,
		.remote = ip("203.0.113.2"), .packets = UINT64_MAX, .bytes = 12,
		.desc = "a desc = with spaces",
	}, back;
	struct ctl_record r;
	char line[CTL_LINE_MAX];

	(void)state;
	assert_true(ctl_mapping_format(&m, line, sizeof(line)) > 0);
	assert_int_equal(ctl_record_split(line, &r), 0);
	assert_string_equal(r.type, CTL_REC_MAPPING);
	assert_int_equal(ctl_mapping_parse(&r, &back), 0);
	assert_string_equal(back.proto, m.proto);
	assert_int_equal(back.ext_port, m.ext_port);
	assert_int_equal(back.int_addr.s_addr, m.int_addr.s_addr);
	assert_int_equal(back.int_port, m.int_port);
	assert_string_equal(back.owner, m.owner);
	assert_false(back.permanent);
	assert_int_equal(back.lease_left, m.lease_left);
	assert_int_equal(back.remote.s_addr, m.remote.s_addr);
	assert_true(back.packets == m.packets);
	assert_int_equal(back.bytes, m.bytes);
	assert_string_equal(back.desc, m.desc);
	assert_int_equal(ctl_mapping_format(&m, line, 40), -1);	/* too small: said, not cut */
}

static void
permanent_and_any(void **state)
{
	char line[] = "mapping proto=tcp ext_port=2525 int_addr=10.0.0.1 int_port=25 owner=static "
	    "lease=permanent remote=any packets=0 bytes=0 desc=";
	struct ctl_record r;
	struct ctl_mapping m;

	(void)state;
	assert_int_equal(ctl_record_split(line, &r), 0);
	assert_int_equal(ctl_mapping_parse(&r, &m), 0);
	assert_true(m.permanent);
	assert_int_equal(m.remote.s_addr, 0);
	assert_string_equal(m.desc, "");
}

static void
malformed_records_are_refused(void **state)
{
	static const char *bad[] = {
		"", "mapping", " proto=tcp", "mapping proto", "mapping =x",
		"mapping a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12 m=13 n=14 o=15 p=16 q=17",
	};
	static const char *unparsable[] = {
		"mapping proto=tcp",	/* fields missing */
		"status proto=tcp ext_port=1 int_addr=1.2.3.4 int_port=1 owner=x lease=1 remote=any "
		    "packets=0 bytes=0 desc=",	/* another type */
		"mapping proto=tcp ext_port=65536 int_addr=1.2.3.4 int_port=1 owner=x lease=1 "
		    "remote=any packets=0 bytes=0 desc=",
		"mapping proto=tcp ext_port=1 int_addr=1.2.3 int_port=1 owner=x lease=1 remote=any "
		    "packets=0 bytes=0 desc=",
		"mapping proto=tcp ext_port=1 int_addr=1.2.3.4 int_port=1 owner=x lease=-1 "
		    "remote=any packets=0 bytes=0 desc=",
		"mapping proto=tcpx ext_port=1 int_addr=1.2.3.4 int_port=1 owner=x lease=1 "
		    "remote=any packets=0 bytes=0 desc=",
		"mapping proto=tcp ext_port=1 int_addr=1.2.3.4 int_port=1 owner=x lease=1 "
		    "remote=nowhere packets=0 bytes=0 desc=",
	};
	struct ctl_record r;
	struct ctl_mapping m;
	char line[CTL_LINE_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(line, bad[i]);
		if (ctl_record_split(line, &r) == 0)
			fail_msg("'%s' was split as a record", bad[i]);
	}
	for (size_t i = 0; i < sizeof(unparsable) / sizeof(unparsable[0]); i++) {
		strcpy(line, unparsable[i]);
		assert_int_equal(ctl_record_split(line, &r), 0);
		if (ctl_mapping_parse(&r, &m) == 0)
			fail_msg("'%s' was read as a mapping", unparsable[i]);
	}
}

static void
pinhole_round_trip(void **state)
{
	struct ctl_pinhole p = {
		.proto = "tcp", .addr = ip6("2001:db8:1::10"), .port = 25, .id = 65535,
		.owner = "upnp", .permanent = false, .lease_left = 600,
		.remote = ip6("2001:db8:ffff::2"), .remote_plen = 128, .remote_port = 4000,
		.packets = 7, .bytes = 700, .desc = "UPnP pinhole",
	}, back;
	struct ctl_record r;
	char line[CTL_LINE_MAX];
	char bad[] = "pinhole proto=tcp addr=10.0.0.1 port=25 id=1 owner=pcp lease=1 remote=any "
	    "remote_port=0 packets=0 bytes=0 desc=";

	(void)state;
	assert_true(ctl_pinhole_format(&p, line, sizeof(line)) > 0);
	assert_int_equal(ctl_record_split(line, &r), 0);
	assert_string_equal(r.type, CTL_REC_PINHOLE);
	assert_int_equal(ctl_pinhole_parse(&r, &back), 0);
	assert_memory_equal(&back.addr, &p.addr, 16);
	assert_memory_equal(&back.remote, &p.remote, 16);
	assert_int_equal(back.port, 25);
	assert_int_equal(back.id, 65535);
	assert_int_equal(back.remote_plen, 128);
	assert_int_equal(back.remote_port, 4000);
	assert_int_equal(back.lease_left, 600);
	assert_string_equal(back.desc, p.desc);
	/* a prefix filter goes as remote=ADDR/LEN and comes back with its length */
	p.remote = ip6("2001:db8:ffff::");
	p.remote_plen = 64;
	assert_true(ctl_pinhole_format(&p, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " remote=2001:db8:ffff::/64 "));
	assert_int_equal(ctl_record_split(line, &r), 0);
	assert_int_equal(ctl_pinhole_parse(&r, &back), 0);
	assert_memory_equal(&back.remote, &p.remote, 16);
	assert_int_equal(back.remote_plen, 64);
	/* a mapping record is not a pinhole, nor an IPv4 address a pinhole's */
	assert_int_equal(ctl_mapping_parse(&r, &(struct ctl_mapping){ 0 }), -1);
	assert_int_equal(ctl_record_split(bad, &r), 0);
	assert_int_equal(ctl_pinhole_parse(&r, &back), -1);
}

static void
hello_versions(void **state)
{
	(void)state;
	assert_int_equal(ctl_hello_version("porthole-ctl 1"), 1);
	assert_int_equal(ctl_hello_version("porthole-ctl 2"), 2);
	assert_int_equal(ctl_hello_version("porthole-ctl"), -1);
	assert_int_equal(ctl_hello_version("porthole-ctl x"), -1);
	assert_int_equal(ctl_hello_version("porthole-ctl 1 extra"), -1);
	assert_int_equal(ctl_hello_version("OK"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mapping_round_trip),
		cmocka_unit_test(permanent_and_any),
		cmocka_unit_test(malformed_records_are_refused),
		cmocka_unit_test(pinhole_round_trip),
		cmocka_unit_test(hello_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
