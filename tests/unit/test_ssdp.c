/*
 * Unit tests for the SSDP message code (daemon/upnp/ssdp_msg.c): the
 * M-SEARCH parser, search-target matching across the IGD:2 and IGD:1
 * trees, the text of replies and NOTIFYs, and when and how much is answered
 * (CONFORMANCE E34-E39).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "upnp/upnp.h"

static const char uuids[UPNP_NDEV][UPNP_UUID_LEN + 1] = {
	"11111111-2222-4333-8444-555555555550",
	"11111111-2222-4333-8444-555555555551",
	"11111111-2222-4333-8444-555555555552",
};

static int
parse(const char *s, struct ssdp_search *out)
{
	const char *why;

	return ssdp_parse_msearch(s, strlen(s), out, &why);
}

static void
parse_good(void **state)
{
	struct ssdp_search s;

	(void)state;
	assert_int_equal(parse("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
	    "MAN: \"ssdp:discover\"\r\nMX: 3\r\nST: ssdp:all\r\n\r\n", &s), 0);
	assert_string_equal(s.st, "ssdp:all");
	assert_int_equal(s.mx, 3);
	/* Header names are case-insensitive, spaces around values ignored, LF alone is fine. */
	assert_int_equal(parse("M-SEARCH * HTTP/1.1\nman:\"ssdp:discover\"\nst:   upnp:rootdevice  \n\n", &s), 0);
	assert_string_equal(s.st, "upnp:rootdevice");
	assert_int_equal(s.mx, -1);
}

static void
parse_bad(void **state)
{
	static const char *bad[] = {
		"NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMX: 1\r\n\r\n",			/* no MAN */
		"M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:update\"\r\nST: ssdp:all\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n",		/* no ST */
		"M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nMX: x\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nMX: 99999\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nno colon here\r\n\r\n",
		"M-SEARCH",
		"",
	};
	struct ssdp_search s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse(bad[i], &s), 0);
}

static void
parse_long_st(void **state)
{
	static const char head[] = "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ";
	char buf[600];
	struct ssdp_search s;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + sizeof(buf) - 5, "\r\n\r\n", 5);
	assert_int_not_equal(parse(buf, &s), 0);
	/* The same with an ST that fits is accepted. */
	memcpy(buf + sizeof(head) - 1 + SSDP_ST_MAX - 1, "\r\n\r\n", 5);
	assert_int_equal(parse(buf, &s), 0);
	assert_int_equal(strlen(s.st), SSDP_ST_MAX - 1);
}

static size_t
match(int primary, const char *st, struct ssdp_answer *a)
{
	return ssdp_match(primary, true, uuids, st, a, SSDP_MAX_ANSWERS);
}

static void
match_all(void **state)
{
	struct ssdp_answer a[SSDP_MAX_ANSWERS];

	(void)state;
	/*
	 * 3 + 2d + k for the primary tree: root (3), two embedded devices (2
	 * each), k services (IGD:2: WANIPConnection, WANCommonInterfaceConfig,
	 * WANIPv6FirewallControl); in IGD:2 mode plus the 5 types only the IGD:1 tree
	 * has (IGD:1, Layer3Forwarding:1, WANDevice:1, WANConnectionDevice:1,
	 * WANIPConnection:1).
	 */
	assert_int_equal(match(2, "ssdp:all", a), 3 + 2 * 2 + 3 + 5);
	assert_int_equal(match(1, "ssdp:all", a), 3 + 2 * 2 + 3);
	assert_int_equal(a[0].kind, SSDP_ANS_ROOT);
	assert_int_equal(match(2, "upnp:rootdevice", a), 1);
	assert_int_equal(a[0].kind, SSDP_ANS_ROOT);
	/* Cut to the room given, never past it. */
	assert_int_equal(ssdp_match(2, true, uuids, "ssdp:all", a, 4), 4);
}

/* The ST an answer carries, as a search for it would name it. */
static void
st_of(const struct ssdp_answer *a, char *buf, size_t len)
{
	static const struct ssdp_fmt f = { .uuid = uuids, .host = "h", .server = "s" };
	char msg[1024];
	const char *st;

	assert_true(ssdp_format(msg, sizeof(msg), SSDP_REPLY, &f, a) > 0);
	st = strstr(msg, "\r\nST: ");
	assert_non_null(st);
	st += 6;
	snprintf(buf, len, "%.*s", (int)strcspn(st, "\r"), st);
}

/*
 * E35/E41: in IGD:2 mode ssdp:all answers every type either tree serves,
 * each exactly as a search for that type alone is answered (same tree, so
 * the same LOCATION), every ST once; the first and the last answer are the
 * IGD:2 tree's.
 */
static void
match_all_both_trees(void **state)
{
	struct ssdp_answer all[SSDP_MAX_ANSWERS], one[SSDP_MAX_ANSWERS];
	char st[SSDP_MAX_ANSWERS][160];
	size_t n, v1 = 0;

	(void)state;
	n = match(2, "ssdp:all", all);
	for (size_t i = 0; i < n; i++) {
		st_of(&all[i], st[i], sizeof(st[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(st[i], st[j]);
		assert_int_equal(match(2, st[i], one), 1);
		assert_ptr_equal(one[0].tree, all[i].tree);
		assert_int_equal(one[0].kind, all[i].kind);
		assert_int_equal(one[0].dev, all[i].dev);
		v1 += all[i].tree->igd_ver == 1;
	}
	assert_int_equal(v1, 5);
	assert_int_equal(all[0].tree->igd_ver, 2);
	assert_int_equal(all[n - 1].tree->igd_ver, 2);
	assert_string_equal(st[n - 1], "urn:schemas-upnp-org:service:WANIPConnection:2");
	/* The IGD:1 root type is among them, from the IGD:1 tree. */
	bool igd1 = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(st[i], "urn:schemas-upnp-org:device:InternetGatewayDevice:1") == 0)
			igd1 = all[i].tree->igd_ver == 1;
	assert_true(igd1);
	/* IGD:1 mode announces its own tree alone. */
	n = match(1, "ssdp:all", all);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(all[i].tree->igd_ver, 1);
	/* NOTIFY announces what ssdp:all answers. */
	assert_int_equal(ssdp_all(2, true, one, SSDP_MAX_ANSWERS), match(2, "ssdp:all", all));
	assert_int_equal(ssdp_all(3, true, one, SSDP_MAX_ANSWERS), 0);
}

/* E37/E38: unicast and MX 0 at once, multicast within SSDP_SPREAD_MS whatever MX says. */
static void
reply_delay(void **state)
{
	static const uint32_t rnds[] = { 0, 1, 99, 100, 101, 12345, 0x7fffffff, 0xffffffff };
	static const int mxs[] = { 1, 2, 5, 10, 120, 9999 };
	uint32_t max = 0;

	(void)state;
	assert_true(SSDP_SPREAD_MS <= 100);
	for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
		assert_int_equal(ssdp_reply_delay_ms(false, 3, rnds[i]), 0);
		assert_int_equal(ssdp_reply_delay_ms(false, -1, rnds[i]), 0);
		assert_int_equal(ssdp_reply_delay_ms(true, 0, rnds[i]), 0);
		for (size_t j = 0; j < sizeof(mxs) / sizeof(mxs[0]); j++) {
			uint32_t d = ssdp_reply_delay_ms(true, mxs[j], rnds[i]);
			assert_true(d <= SSDP_SPREAD_MS);
			max = d > max ? d : max;
		}
	}
	/* The spread is used, not collapsed to nothing. */
	assert_int_equal(max, SSDP_SPREAD_MS);
	assert_int_equal(ssdp_reply_delay_ms(true, 2, 50), 50);
}

/* The answer budget: a burst, then SSDP_BUDGET_RATE per second, whole searches only. */
static void
budget(void **state)
{
	struct ssdp_budget b;
	uint64_t t = 1000000;
	uint32_t sent = 0;

	(void)state;
	ssdp_budget_init(&b, t);
	while (ssdp_budget_take(&b, t, 14))
		sent += 14;
	assert_int_equal(sent, SSDP_BUDGET_BURST / 14 * 14);
	/* What is left is less than a whole ssdp:all answer but still serves smaller ones. */
	assert_false(ssdp_budget_take(&b, t, 14));
	assert_true(ssdp_budget_take(&b, t, SSDP_BUDGET_BURST % 14));
	assert_false(ssdp_budget_take(&b, t, 1));
	/* One second refills SSDP_BUDGET_RATE datagrams, no more. */
	t += 1000;
	assert_true(ssdp_budget_take(&b, t, SSDP_BUDGET_RATE));
	assert_false(ssdp_budget_take(&b, t, 1));
	/* Asked every ms, fractions of a datagram add up: the same rate, not less or more. */
	sent = 0;
	for (uint32_t ms = 0; ms < 1000; ms++)
		sent += ssdp_budget_take(&b, ++t, 1);
	assert_int_equal(sent, SSDP_BUDGET_RATE);
	/* A long idle time refills to the burst, not beyond. */
	t += 3600 * 1000;
	assert_true(ssdp_budget_take(&b, t, SSDP_BUDGET_BURST));
	assert_false(ssdp_budget_take(&b, t, 1));
	/* A clock that went back refills nothing and breaks nothing. */
	assert_false(ssdp_budget_take(&b, t - 5000, 1));
	assert_true(ssdp_budget_take(&b, t - 5000 + 1000, SSDP_BUDGET_RATE));
}

static void
match_versions(void **state)
{
	struct ssdp_answer a[SSDP_MAX_ANSWERS];

	(void)state;
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:InternetGatewayDevice:2", a), 1);
	assert_int_equal(a[0].tree->igd_ver, 2);
	assert_int_equal(a[0].ver, 2);
	/* E34/E41: IGD:2 asked for IGD:1 answers ":1", from the v1 tree. */
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:InternetGatewayDevice:1", a), 1);
	assert_int_equal(a[0].tree->igd_ver, 1);
	assert_int_equal(a[0].ver, 1);
	assert_int_equal(match(2, "urn:schemas-upnp-org:service:WANIPConnection:1", a), 1);
	assert_int_equal(a[0].tree->igd_ver, 1);
	assert_int_equal(a[0].dev, UPNP_DEV_CONN);
	/* A version both trees have stays with the primary one. */
	assert_int_equal(match(2, "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1", a), 1);
	assert_int_equal(a[0].tree->igd_ver, 2);
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:InternetGatewayDevice:3", a), 0);
	assert_int_equal(match(2, "urn:schemas-upnp-org:service:WANPPPConnection:1", a), 0);
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:WANDevice:0", a), 0);
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:WANDevice:", a), 0);
	assert_int_equal(match(1, "urn:schemas-upnp-org:device:InternetGatewayDevice:2", a), 0);
	assert_int_equal(match(1, "urn:schemas-upnp-org:service:Layer3Forwarding:1", a), 1);
	assert_int_equal(match(2, "urn:schemas-upnp-org:service:Layer3Forwarding:1", a), 1);
	assert_int_equal(a[0].tree->igd_ver, 1);
}

static void
match_uuid(void **state)
{
	struct ssdp_answer a[SSDP_MAX_ANSWERS];

	(void)state;
	assert_int_equal(match(2, "uuid:11111111-2222-4333-8444-555555555551", a), 1);
	assert_int_equal(a[0].kind, SSDP_ANS_UUID);
	assert_int_equal(a[0].dev, UPNP_DEV_WAN);
	assert_int_equal(match(2, "uuid:11111111-2222-4333-8444-555555555559", a), 0);
}

static const struct ssdp_fmt fmt = {
	.uuid = uuids, .host = "192.168.77.1", .port = 5000, .bootid = 7, .configid = 9, .now = 0,
	.server = "Linux/6.1 UPnP/1.1 porthole/0.1",
};

static void
format_reply(void **state)
{
	struct ssdp_answer a[SSDP_MAX_ANSWERS];
	char buf[1024];

	(void)state;
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:InternetGatewayDevice:1", a), 1);
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_REPLY, &fmt, &a[0]) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "CACHE-CONTROL: max-age=1800\r\n"));
	assert_non_null(strstr(buf, "\r\nEXT:\r\n"));
	assert_non_null(strstr(buf, "LOCATION: http://192.168.77.1:5000/igd1.xml\r\n"));
	assert_non_null(strstr(buf, "\r\nSERVER: Linux/6.1 UPnP/1.1 porthole/0.1\r\n"));
	assert_non_null(strstr(buf, "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"));
	assert_non_null(strstr(buf, "USN: uuid:11111111-2222-4333-8444-555555555550::"
	    "urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"));
	assert_non_null(strstr(buf, "BOOTID.UPNP.ORG: 7\r\n"));
	assert_non_null(strstr(buf, "CONFIGID.UPNP.ORG: 9\r\n"));
	assert_int_equal(ssdp_format(buf, 100, SSDP_REPLY, &fmt, &a[0]), -1);

	assert_int_equal(match(2, "uuid:11111111-2222-4333-8444-555555555552", a), 1);
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_REPLY, &fmt, &a[0]) > 0);
	assert_non_null(strstr(buf, "USN: uuid:11111111-2222-4333-8444-555555555552\r\n"));
}

static void
format_notify(void **state)
{
	struct ssdp_answer a[SSDP_MAX_ANSWERS];
	char buf[1024];

	(void)state;
	assert_int_equal(match(2, "upnp:rootdevice", a), 1);
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_ALIVE, &fmt, &a[0]) > 0);
	assert_non_null(strstr(buf, "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"));
	assert_non_null(strstr(buf, "NT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"));
	assert_non_null(strstr(buf, "USN: uuid:11111111-2222-4333-8444-555555555550::upnp:rootdevice\r\n"));
	assert_non_null(strstr(buf, "BOOTID.UPNP.ORG: 7\r\n"));
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_BYEBYE, &fmt, &a[0]) > 0);
	assert_non_null(strstr(buf, "NTS: ssdp:byebye\r\n"));
	assert_null(strstr(buf, "LOCATION"));
	assert_non_null(strstr(buf, "CONFIGID.UPNP.ORG: 9\r\n"));
}

/*
 * Over IPv6 (with_v1 false) only the IGD:2 tree answers, an IGD:1 search
 * too (UDA: a device answers for lower versions); LOCATION names the address
 * in brackets and a NOTIFY goes to [FF02::C]:1900.
 */
static void
ipv6_igd2_only(void **state)
{
	static const struct ssdp_fmt f6 = {
		.uuid = uuids, .host = "[2001:db8:1::1]", .port = 5000, .bootid = 7, .configid = 9,
		.server = "Linux/6.1 UPnP/1.1 porthole/0.1", .ipv6 = true,
	};
	struct ssdp_answer a[SSDP_MAX_ANSWERS];
	char buf[1024];
	size_t n;

	(void)state;
	n = ssdp_match(2, false, uuids, "ssdp:all", a, SSDP_MAX_ANSWERS);
	assert_int_equal(n, 3 + 2 * 2 + 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(a[i].tree->igd_ver, 2);
	assert_int_equal(ssdp_all(2, false, a, SSDP_MAX_ANSWERS), n);
	assert_int_equal(ssdp_match(2, false, uuids,
	    "urn:schemas-upnp-org:device:InternetGatewayDevice:1", a, SSDP_MAX_ANSWERS), 1);
	assert_int_equal(a[0].tree->igd_ver, 2);
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_REPLY, &f6, &a[0]) > 0);
	assert_non_null(strstr(buf, "LOCATION: http://[2001:db8:1::1]:5000/igd2.xml\r\n"));
	assert_non_null(strstr(buf, "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"));
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_ALIVE, &f6, &a[0]) > 0);
	assert_non_null(strstr(buf, "NOTIFY * HTTP/1.1\r\nHOST: [FF02::C]:1900\r\n"));
	assert_true(ssdp_format(buf, sizeof(buf), SSDP_BYEBYE, &f6, &a[0]) > 0);
	assert_non_null(strstr(buf, "HOST: [FF02::C]:1900\r\n"));
	/* WANIPv6FirewallControl:1 is found over IPv6 as over IPv4 */
	assert_int_equal(ssdp_match(2, false, uuids,
	    "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1", a, SSDP_MAX_ANSWERS), 1);
}

/* The xml/ templates, rendered: UDNs filled in, well-formed, version-gated. */
static void
descriptions(void **state)
{
	static const char *paths[] = {
		"/igd2.xml", "/igd1.xml", "/scpd/WANIPConnection2.xml", "/scpd/WANIPConnection1.xml",
		"/scpd/WANCommonInterfaceConfig1.xml", "/scpd/Layer3Forwarding1.xml",
	};
	const char *d;
	size_t len;

	(void)state;
	memset(&upnp_st, 0, sizeof(upnp_st));
	memcpy(upnp_st.uuid, uuids, sizeof(uuids));
	upnp_st.primary = 2;
	assert_int_equal(describe_init(), 0);
	uint32_t id = describe_configid();
	assert_true(id <= 0xffffff);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		d = describe_doc(paths[i], &len);
		assert_non_null(d);
		assert_int_equal(strlen(d), len);
		assert_null(strchr(d, '@'));
		xmlDoc *doc = xmlReadMemory(d, (int)len, NULL, NULL, XML_PARSE_NONET);
		assert_non_null(doc);
		xmlFreeDoc(doc);
	}
	d = describe_doc("/igd2.xml", &len);
	assert_non_null(strstr(d, "<UDN>uuid:11111111-2222-4333-8444-555555555550</UDN>"));
	assert_non_null(strstr(d, "<UDN>uuid:11111111-2222-4333-8444-555555555552</UDN>"));
	assert_non_null(strstr(d, "<controlURL>/ctl/IPConn2</controlURL>"));
	assert_null(describe_doc("/nothing.xml", &len));
	upnp_st.primary = 1;
	assert_null(describe_doc("/igd2.xml", &len));
	assert_null(describe_doc("/scpd/WANIPConnection2.xml", &len));
	assert_non_null(describe_doc("/igd1.xml", &len));
	describe_fini();
	/* The same input gives the same CONFIGID. */
	assert_int_equal(describe_init(), 0);
	assert_int_equal(describe_configid(), id);
	describe_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(parse_long_st),
		cmocka_unit_test(match_all),
		cmocka_unit_test(match_all_both_trees),
		cmocka_unit_test(reply_delay),
		cmocka_unit_test(budget),
		cmocka_unit_test(match_versions),
		cmocka_unit_test(match_uuid),
		cmocka_unit_test(format_reply),
		cmocka_unit_test(format_notify),
		cmocka_unit_test(ipv6_igd2_only),
		cmocka_unit_test(descriptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
