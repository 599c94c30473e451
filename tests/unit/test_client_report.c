/*
 * Unit tests for the checkup's verdict and advice, its table and JSON
 * renderings (field names are an interface), and the state file format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "phc.h"


static void
add_port(struct porthole_report *r, const char *name, uint16_t port,
    enum porthole_port_state st, enum porthole_reach reach)
{
	struct porthole_port_check *c = &r->port[r->n++];

	memset(c, 0, sizeof(*c));
	snprintf(c->m.name, sizeof(c->m.name), "%s", name);
	c->m.proto = IPPROTO_TCP;
	c->m.internal_port = port;
	c->m.method = PORTHOLE_PCP;
	c->state = st;
	c->reach = reach;
	c->connect_ms = reach == PORTHOLE_REACH_UNTESTED ? -1 : 3;
	c->listening = reach == PORTHOLE_REACH_REFUSED ? 0 : -1;
	/* The same result from outside, unless a test says otherwise. */
	c->outside = reach;
	c->outside_ms = c->connect_ms;
	c->lease_left = 3599;
	if (st == PORTHOLE_PORT_MAPPED) {
		c->m.external_addr = ip("203.0.113.1");
		c->m.external_port = port;
	}
}

static void
report_init(struct porthole_report *r)
{
	memset(r, 0, sizeof(*r));
	r->gateway = ip("192.168.77.1");
	r->external_addr = ip("203.0.113.1");
	r->method = PORTHOLE_PCP;
}

static void
verdicts(void **state)
{
	struct porthole_report r;

	(void)state;
	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	add_port(&r, "imaps", 993, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_OPEN);
	assert_string_equal(r.summary, "all 2 ports open from outside at 203.0.113.1");
	assert_string_equal(r.port[0].advice, "");

	add_port(&r, "pop3", 110, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_REFUSED);
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_PARTIAL);
	assert_non_null(strstr(r.summary, "2 of 3 ports open"));
	assert_non_null(strstr(r.port[2].advice, "nothing listens on tcp/110"));

	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_NOT_MAPPED, PORTHOLE_REACH_UNTESTED);
	add_port(&r, "http", 80, PORTHOLE_PORT_TAKEN, PORTHOLE_REACH_UNTESTED);
	r.port[1].m.holder = ip("192.168.77.20");
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_CLOSED);
	assert_non_null(strstr(r.port[0].advice, "run `porthole map`"));
	assert_non_null(strstr(r.port[1].advice, "held by 192.168.77.20"));

	report_init(&r);
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_CLOSED);
	assert_non_null(strstr(r.summary, "no mappings known"));

	/* UDP cannot be tested from outside: mapped is never called open. */
	report_init(&r);
	add_port(&r, "sip", 5060, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_UNTESTED);
	r.port[0].m.proto = IPPROTO_UDP;
	r.double_nat = true;
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_UNTESTED);
	assert_non_null(strstr(r.summary, "double NAT"));

	/* No reflector: the hairpin alone never makes a port open. */
	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	r.port[0].outside = PORTHOLE_REACH_UNTESTED;
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_UNTESTED);
	assert_non_null(strstr(r.summary, "not tested from outside: run `porthole status "
	    "--reflector URL`"));
	assert_string_equal(r.port[0].advice, "");

	/* Dropped before the router (the hairpin works), and a router without loopback. */
	report_init(&r);
	r.public_addr = ip("203.0.113.1");
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	r.port[0].outside = PORTHOLE_REACH_TIMEOUT;
	r.port[0].listening = 1;
	add_port(&r, "imaps", 993, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_TIMEOUT);
	r.port[1].outside = PORTHOLE_REACH_OPEN;
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_PARTIAL);
	assert_non_null(strstr(r.port[0].advice, "no answer from outside at 203.0.113.1:25: "
	    "the ISP or a firewall in front blocks it"));
	assert_non_null(strstr(r.port[1].advice, "get NAT loopback on the router, or split DNS"));
	r.double_nat = true;
	phc_verdict(&r);
	assert_non_null(strstr(r.port[0].advice, "no answer from outside at 203.0.113.1:25: a "
	    "second NAT in front stops it"));

	/* Each state has its own advice. */
	report_init(&r);
	add_port(&r, "a", 1, PORTHOLE_PORT_LOST, PORTHOLE_REACH_UNTESTED);
	add_port(&r, "b", 2, PORTHOLE_PORT_EXPIRED, PORTHOLE_REACH_UNTESTED);
	add_port(&r, "c", 3, PORTHOLE_PORT_FAILED, PORTHOLE_REACH_UNTESTED);
	add_port(&r, "d", 4, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_TIMEOUT);
	r.port[2].m.error = PORTHOLE_ERR_DENIED;
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_PARTIAL);
	assert_non_null(strstr(r.port[0].advice, "restarted"));
	assert_non_null(strstr(r.port[1].advice, "lease ran out"));
	assert_non_null(strstr(r.port[2].advice, "policy refuses"));
	assert_non_null(strstr(r.port[3].advice, "no answer from outside"));

	/* Refused, but the service answers on our own address: no hairpin. */
	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_REFUSED);
	r.port[0].listening = 1;
	add_port(&r, "imap", 143, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_TIMEOUT);
	r.port[1].listening = 0;
	r.port[0].outside = r.port[1].outside = PORTHOLE_REACH_UNTESTED;
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_UNTESTED);
	assert_non_null(strstr(r.port[0].advice, "the router itself refused 203.0.113.1:25 "
	    "(no hairpin NAT)"));
	assert_non_null(strstr(r.port[1].advice, "nothing listens on tcp/143"));

	/* No gateway stays the verdict whatever the ports say. */
	report_init(&r);
	r.verdict = PORTHOLE_VERDICT_NO_GATEWAY;
	add_port(&r, "smtp", 25, PORTHOLE_PORT_FAILED, PORTHOLE_REACH_UNTESTED);
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_NO_GATEWAY);
}

static char *
render(const struct porthole_report *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(json ? porthole_report_json(r, f) : porthole_report_table(r, f), 0);
	fclose(f);
	return buf;
}

static void
json_fields(void **state)
{
	struct porthole_report r;
	char *out;

	(void)state;
	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	add_port(&r, "we\"ird\\", 26, PORTHOLE_PORT_NOT_MAPPED, PORTHOLE_REACH_UNTESTED);
	snprintf(r.warning, sizeof(r.warning), "line\nbreak");
	snprintf(r.port[0].greeting, sizeof(r.port[0].greeting), "220 mx ESMTP");
	r.public_addr = ip("203.0.113.1");
	phc_verdict(&r);
	out = render(&r, true);
	assert_non_null(strstr(out, "{\"version\": 1, \"gateway\": \"192.168.77.1\", "
	    "\"method\": \"pcp\", \"external_address\": \"203.0.113.1\", \"double_nat\": false, "
	    "\"verdict\": \"partial\", \"summary\": "));
	assert_non_null(strstr(out, "\"warning\": \"line\\u000abreak\""));
	assert_non_null(strstr(out, "{\"name\": \"smtp\", \"protocol\": \"tcp\", \"port\": 25, "
	    "\"state\": \"mapped\", \"method\": \"pcp\", \"external_address\": \"203.0.113.1\", "
	    "\"external_port\": 25, \"lease_left\": 3599, \"reachable\": \"open\", "
	    "\"connect_ms\": 3, \"advice\": null, \"listening\": null, \"outside\": \"open\", "
	    "\"outside_ms\": 3, \"greeting\": \"220 mx ESMTP\", \"renewed\": false, \"family\": 4}"));
	assert_non_null(strstr(out, "\"public_address\": \"203.0.113.1\", \"reflector_error\": "
	    "null, \"local_address\": null, \"local_address_dynamic\": false, \"domain\": null, "
	    "\"ports\": ["));
	assert_non_null(strstr(out, "{\"name\": \"we\\\"ird\\\\\", \"protocol\": \"tcp\", "
	    "\"port\": 26, \"state\": \"not_mapped\", \"method\": null, \"external_address\": "
	    "null, \"external_port\": null, \"lease_left\": null, \"reachable\": \"untested\", "
	    "\"connect_ms\": null, \"advice\": \"not mapped"));
	/* IPv6 after the ports (none here: no IPv6 on this handle). */
	assert_non_null(strstr(out, "\n], \"gateway6\": null, \"method6\": null, "
	    "\"local_address6\": null, \"public_address6\": null}\n"));
	free(out);
}

static void
table(void **state)
{
	struct porthole_report r;
	char *out;

	(void)state;
	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	add_port(&r, "imap", 143, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_REFUSED);
	r.port[1].lease_left = 59;
	phc_verdict(&r);
	out = render(&r, false);
	assert_non_null(strstr(out, "gateway 192.168.77.1, protocol pcp, external address "
	    "203.0.113.1, seen from outside as (not tested)\n"));
	assert_non_null(strstr(out, "smtp           tcp/25     mapped     pcp     "
	    "203.0.113.1:25        59m59s     open (3 ms)        open (3 ms)\n"));
	assert_non_null(strstr(out, "0m59s"));
	assert_non_null(strstr(out, "  imap tcp/143: mapped, but nothing listens"));
	assert_non_null(strstr(out, "verdict: partial: 1 of 2 ports open"));
	free(out);
}

static void
check_line(void **state)
{
	struct porthole_report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	report_init(&r);
	add_port(&r, "smtp", 25, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	add_port(&r, "imap", 143, PORTHOLE_PORT_MAPPED, PORTHOLE_REACH_OPEN);
	r.port[1].lease_left = 59;
	phc_verdict(&r);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(porthole_report_check(&r, f), 0);
	fclose(f);
	assert_string_equal(buf, "PORTHOLE OK - all 2 ports open from outside at 203.0.113.1 | "
	    "ports_open=2;;;0;2 ports_mapped=2;;;0;2 lease_left=59s;;;0\n");
	free(buf);

	/* One blocked from outside: WARNING; all of them: CRITICAL. */
	assert_non_null(f = fopen("/dev/null", "w"));
	r.port[0].outside = PORTHOLE_REACH_TIMEOUT;
	phc_verdict(&r);
	assert_int_equal(porthole_report_check(&r, f), 1);
	r.port[1].outside = PORTHOLE_REACH_TIMEOUT;
	phc_verdict(&r);
	assert_int_equal(porthole_report_check(&r, f), 2);
	/* Not tested from outside: never OK. */
	r.port[0].outside = r.port[1].outside = PORTHOLE_REACH_UNTESTED;
	phc_verdict(&r);
	assert_int_equal(r.verdict, PORTHOLE_VERDICT_UNTESTED);
	assert_int_equal(porthole_report_check(&r, f), 1);
	r.verdict = PORTHOLE_VERDICT_NO_GATEWAY;
	assert_int_equal(porthole_report_check(&r, f), 2);
	fclose(f);
}

/* An RTM_NEWADDR message for addr with flags, as the kernel sends it. */
static size_t
newaddr(uint8_t *buf, const char *addr, uint32_t flags, bool ifa_flags_attr)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct rtattr *rta = IFA_RTA(ifa);
	struct in_addr a = ip(addr);

	memset(buf, 0, 128);
	ifa->ifa_family = AF_INET;
	ifa->ifa_flags = (uint8_t)flags;
	rta->rta_type = IFA_LOCAL;
	rta->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(rta), &a, 4);
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa)) + RTA_ALIGN(rta->rta_len);
	if (ifa_flags_attr) {
		rta = (struct rtattr *)(buf + nh->nlmsg_len);
		rta->rta_type = IFA_FLAGS;
		rta->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(rta), &flags, 4);
		nh->nlmsg_len += RTA_ALIGN(rta->rta_len);
	}
	nh->nlmsg_type = RTM_NEWADDR;
	return nh->nlmsg_len;
}

static void
dynamic_address(void **state)
{
	uint8_t buf[512] __attribute__((aligned(4)));
	bool dyn = false, done = false;
	size_t len;

	(void)state;
	len = newaddr(buf, "192.168.77.10", 0, true);
	len += newaddr(buf + len, "192.168.77.11", IFA_F_PERMANENT, false);
	assert_int_equal(phc_addr_dynamic_parse(buf, len, ip("192.168.77.10"), &dyn, &done), 0);
	assert_true(dyn);
	assert_int_equal(phc_addr_dynamic_parse(buf, len, ip("192.168.77.11"), &dyn, &done), 0);
	assert_false(dyn);
	assert_int_equal(phc_addr_dynamic_parse(buf, len, ip("192.168.77.12"), &dyn, &done), -1);
	/* Cut short: nothing read past the end. */
	assert_int_equal(phc_addr_dynamic_parse(buf, len - 20, ip("192.168.77.11"), &dyn, &done),
	    -1);
}

static void
names(void **state)
{
	enum porthole_method m;

	(void)state;
	assert_string_equal(porthole_port_state_name(PORTHOLE_PORT_TAKEN), "taken");
	assert_string_equal(porthole_reach_name(PORTHOLE_REACH_TIMEOUT), "timeout");
	assert_string_equal(porthole_verdict_name(PORTHOLE_VERDICT_NO_GATEWAY), "no_gateway");
	assert_string_equal(porthole_port_state_name(99), "?");
	assert_int_equal(porthole_method_parse("nat-pmp", &m), 0);
	assert_int_equal(m, PORTHOLE_NATPMP);
	assert_int_equal(porthole_method_parse("upnp", &m), 0);
	assert_int_equal(m, PORTHOLE_UPNP);
	assert_int_equal(porthole_method_parse("ssh", &m), PORTHOLE_ERR_INVAL);
	assert_non_null(strstr(porthole_strerror(PORTHOLE_ERR_NOPROTO),
	    "answers neither PCP, NAT-PMP nor UPnP: is port mapping enabled on the router?"));
	assert_non_null(strstr(porthole_strerror(PORTHOLE_ERR_NOGATEWAY), "--gateway"));
	assert_string_equal(porthole_strerror(-999), "unknown error");
}

static void
state_roundtrip(void **state)
{
	struct porthole_mapping m[2], back[4];
	char buf[2048];
	size_t n = 4;
	int len;

	(void)state;
	memset(m, 0, sizeof(m));
	snprintf(m[0].name, sizeof(m[0].name), "smtp");
	m[0].proto = IPPROTO_TCP;
	m[0].internal_port = 25;
	m[0].method = PORTHOLE_PCP;
	m[0].internal_addr = ip("192.168.77.10");
	m[0].external_addr = ip("203.0.113.1");
	m[0].external_port = 25;
	m[0].lifetime = 3600;
	m[0].obtained = 1800000000;
	m[0].epoch = 4242;
	memcpy(m[0].nonce, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\xa0\xfe\xff", 12);
	snprintf(m[1].name, sizeof(m[1].name), "sip");
	m[1].proto = IPPROTO_UDP;
	m[1].internal_port = 5060;
	m[1].error = PORTHOLE_ERR_TAKEN;
	m[1].holder = ip("192.168.77.20");
	m[1].obtained = -5;
	len = phc_state_format(buf, sizeof(buf), m, 2);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "map smtp tcp 25 pcp 192.168.77.10 203.0.113.1 25 3600 "
	    "1800000000 4242 010203040506070809a0feff 0 0.0.0.0 .\n"));
	assert_int_equal(phc_state_parse(buf, (size_t)len, back, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(&back[0], &m[0], sizeof(m[0]));
	assert_memory_equal(&back[1], &m[1], sizeof(m[1]));
	/* Too small a buffer is refused, never truncated. */
	assert_int_equal(phc_state_format(buf, 60, m, 2), PORTHOLE_ERR_INVAL);
	/* Not enough room in the caller's array. */
	len = phc_state_format(buf, sizeof(buf), m, 2);
	n = 1;
	assert_int_equal(phc_state_parse(buf, (size_t)len, back, &n), PORTHOLE_ERR_STATE);
}

static void
state_corrupt(void **state)
{
	static const char *const bad[] = {
		"",
		"porthole-state 2\n",
		"porthole-state 1",			/* torn: no newline */
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0 .",	/* torn last line */
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0\n",	/* a field short */
		"porthole-state 1\nmap a tcp 0 pcp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0 .\n",	/* port 0 */
		"porthole-state 1\nmap a sctp 25 pcp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0 .\n",
		"porthole-state 1\nmap a tcp 25 ftp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0 .\n",
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.4 5.6.7.8 70000 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0 .\n",
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "00000000000000000000000g 0 0.0.0.0 .\n",	/* bad nonce */
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.4 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 5 0.0.0.0 .\n",	/* positive error */
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.999 5.6.7.8 25 60 1 2 "
		    "000000000000000000000000 0 0.0.0.0 .\n",
		"porthole-state 1\nmap a tcp 25 pcp 1.2.3.4 5.6.7.8 25 60 1 99999999999 "
		    "000000000000000000000000 0 0.0.0.0 .\n",	/* epoch > 32 bits */
	};
	struct porthole_mapping m[4];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 4;
		if (phc_state_parse(bad[i], strlen(bad[i]), m, &n) != PORTHOLE_ERR_STATE)
			fail_msg("accepted case %zu", i);
	}
	n = 4;
	assert_int_equal(phc_state_parse("porthole-state 1\n# nothing\n", 27, m, &n), 0);
	assert_int_equal(n, 0);
}

static void
state_file(void **state)
{
	char dir[] = "/tmp/test_client_state.XXXXXX", path[128];
	struct porthole_mapping m, back[2];
	size_t n = 2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/state", dir);
	memset(&m, 0, sizeof(m));
	m.proto = IPPROTO_TCP;
	m.internal_port = 587;
	assert_int_equal(porthole_state_load(path, back, &n), 0);	/* missing = empty */
	assert_int_equal(n, 0);
	assert_int_equal(porthole_state_save(path, &m, 1), 0);
	n = 2;
	assert_int_equal(porthole_state_load(path, back, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(back[0].name, "-");
	assert_int_equal(back[0].internal_port, 587);
	assert_int_equal(access(path, R_OK), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	setenv("PORTHOLE_STATE", "/x/y", 1);
	assert_string_equal(porthole_state_default(), "/x/y");
	unsetenv("PORTHOLE_STATE");
	setenv("XDG_STATE_HOME", "/xdg", 1);
	/* root keeps the system's file; anyone else their XDG state directory. */
	assert_string_equal(porthole_state_default(), geteuid() == 0 ?
	    "/var/lib/porthole/state" : "/xdg/porthole/state");
	unsetenv("XDG_STATE_HOME");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verdicts),
		cmocka_unit_test(json_fields),
		cmocka_unit_test(table),
		cmocka_unit_test(check_line),
		cmocka_unit_test(dynamic_address),
		cmocka_unit_test(names),
		cmocka_unit_test(state_roundtrip),
		cmocka_unit_test(state_corrupt),
		cmocka_unit_test(state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
