/*
 * Unit tests for the permission rules and the config parser.
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

#include "config.h"
#include "policy.h"


static void
rule_parsing(void **state)
{
	struct policy_rule r;
	char err[128];

	(void)state;
	assert_int_equal(policy_parse_rule("allow 1024-65535 192.168.1.0/24 1024-65535", &r, err, sizeof(err)), 0);
	assert_true(r.allow);
	assert_int_equal(r.ext_lo, 1024);
	assert_int_equal(r.ext_hi, 65535);
	assert_int_equal(r.plen, 24);
	assert_int_equal(policy_parse_rule("deny 0-65535 0.0.0.0/0 0-65535", &r, err, sizeof(err)), 0);
	assert_false(r.allow);
	assert_int_equal(policy_parse_rule("allow 25 192.168.1.10/255.255.255.255 25 third-party", &r, err, sizeof(err)), 0);
	assert_true(r.third_party);
	assert_int_equal(r.plen, 32);
	/* the address is masked, so 10.1.2.3/8 means 10.0.0.0/8 */
	assert_int_equal(policy_parse_rule("allow 1 10.1.2.3/8 1", &r, err, sizeof(err)), 0);
	assert_int_equal(r.addr.s_addr, ip("10.0.0.0").s_addr);

	const char *bad[] = {
		"allow", "allow 1-2 1.2.3.4/24", "permit 1 1.2.3.4/32 1",
		"allow 2-1 1.2.3.4/32 1", "allow 1 1.2.3.4/33 1", "allow 1 1.2.3/24 1",
		"allow 1 1.2.3.4/255.0.255.0 1", "allow 70000 1.2.3.4/32 1",
		"allow 1 1.2.3.4/32 1 friends", "deny 1 1.2.3.4/32 1 third-party",
		"allow -1 1.2.3.4/32 1", "allow 1 1.2.3.4/32 1 third-party extra",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(policy_parse_rule(bad[i], &r, err, sizeof(err)), 0);
		assert_true(strlen(err) > 0);
	}
}

static void
first_match_wins_default_deny(void **state)
{
	struct policy_rule rules[3];
	char err[128];
	struct policy p = { rules, 3 };

	(void)state;
	assert_int_equal(policy_parse_rule("deny 22 192.168.1.0/24 1-65535", &rules[0], err, sizeof(err)), 0);
	assert_int_equal(policy_parse_rule("allow 1-65535 192.168.1.10/32 1-65535 third-party", &rules[1], err, sizeof(err)), 0);
	assert_int_equal(policy_parse_rule("allow 1024-65535 192.168.1.0/24 1024-65535", &rules[2], err, sizeof(err)), 0);

	struct in_addr a = ip("192.168.1.20"), srv = ip("192.168.1.10");
	assert_int_equal(policy_check(&p, 22, srv, 22, srv), POLICY_DENY);
	assert_int_equal(policy_check(&p, 25, srv, 25, srv), POLICY_ALLOW);
	assert_int_equal(policy_check(&p, 25, srv, 25, a), POLICY_ALLOW);	/* third-party allowed */
	assert_int_equal(policy_check(&p, 2000, a, 2000, a), POLICY_ALLOW);
	assert_int_equal(policy_check(&p, 80, a, 80, a), POLICY_DENY);		/* no rule matches */
	assert_int_equal(policy_check(&p, 2000, a, 2000, srv), POLICY_THIRD_PARTY);
	assert_int_equal(policy_check(&p, 2000, ip("10.0.0.1"), 2000, ip("10.0.0.1")), POLICY_DENY);
	struct policy empty = { NULL, 0 };
	assert_int_equal(policy_check(&empty, 2000, a, 2000, a), POLICY_DENY);
}

static void
config_full(void **state)
{
	struct config c;
	char err[256];
	const char *text =
	    "# a comment\n"
	    "ext_ifname = wan0\n"
	    "lan_ifname=br-lan   # trailing comment\n"
	    "lan_ifname=lan2\n"
	    "ext_ip=203.0.113.1\n"
	    "table=ph_test\n"
	    "enable_upnp=no\n"
	    "igd_version=1\n"
	    "min_lifetime=60\n"
	    "max_lifetime=7200\n"
	    "max_per_host=32\n"
	    "http_port=5000\n"
	    "\n"
	    "allow 1024-65535 192.168.77.0/24 1024-65535\n"
	    "deny 0-65535 0.0.0.0/0 0-65535\n";

	(void)state;
	assert_int_equal(config_parse_buffer("t.conf", text, &c, err, sizeof(err)), 0);
	assert_string_equal(c.ext_ifname, "wan0");
	assert_int_equal(c.n_lan, 2);
	assert_string_equal(c.lan_ifname[1], "lan2");
	assert_int_equal(c.ext_ip.s_addr, ip("203.0.113.1").s_addr);
	assert_string_equal(c.table, "ph_test");
	assert_false(c.enable_upnp);
	assert_true(c.enable_pcp);
	assert_int_equal(c.igd_version, 1);
	assert_int_equal(c.min_lifetime, 60);
	assert_int_equal(c.max_lifetime, 7200);
	assert_int_equal(c.max_per_host, 32);
	assert_int_equal(c.http_port, 5000);
	assert_int_equal(c.policy.n_rules, 2);
	config_free(&c);
}

static void
config_errors_name_the_line(void **state)
{
	struct config c;
	char err[256];
	static const struct { const char *text, *want; } cases[] = {
		{ "ext_ifname=wan0\nlan_ifname=lan0\nbogus=1\n", "t.conf:3: unknown key 'bogus'" },
		{ "ext_ifname=wan0\nmin_lifetime=abc\n", "t.conf:2:" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\nallow 1 2 3\n", "t.conf:3:" },
		{ "lan_ifname=lan0\n", "ext_ifname is required" },
		{ "ext_ifname=wan0\n", "lan_ifname is required" },
		{ "ext_ifname=wan0\nlan_ifname=wan0\n", "both the WAN and a LAN" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\nmin_lifetime=900\nmax_lifetime=600\n", "min_lifetime" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\njust words\n", "t.conf:3: expected key=value" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\nenable_pcp=maybe\n", "t.conf:3:" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\next_ip=300.1.1.1\n", "t.conf:3:" },
		{ "ext_ifname=a-name-that-is-far-too-long\n", "t.conf:1:" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\nigd_version=3\n", "t.conf:3:" },
		{ "ext_ifname=wan0\nlan_ifname=lan0\nuuid=1234\n", "t.conf:3: '1234' is not a UUID" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(config_parse_buffer("t.conf", cases[i].text, &c, err, sizeof(err)), 0);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].want);
	}
}

/* Issue 12: every mistake of a file is named, each with its line, up to a bound. */
static void
config_reports_every_mistake(void **state)
{
	struct config c;
	char err[4096];
	const char *text =
	    "ext_ifname=wan0\n"
	    "lan_ifname=lan0\n"
	    "max_lifetime=x\n"
	    "bogus=1\n"
	    "allow 1 1.2.3.4/33 1\n"
	    "deny 1 1.2.3.4/32 1 third-party\n"
	    "min_lifetime=60\n";

	(void)state;
	assert_int_not_equal(config_parse_buffer("t.conf", text, &c, err, sizeof(err)), 0);
	const char *want[] = {
		"t.conf:3: 'x' is not a number", "t.conf:4: unknown key 'bogus'",
		"t.conf:5: ", "t.conf:6: ",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(err, want[i]))
			fail_msg("'%s' is not in:\n%s", want[i], err);
	assert_null(strstr(err, "t.conf:7:"));		/* the good line is not blamed */

	/* A file of nothing but mistakes: the first CONFIG_MAX_ERRORS, then a count. */
	char many[4096] = "";
	for (int i = 0; i < CONFIG_MAX_ERRORS + 5; i++)
		strcat(many, "bogus=1\n");
	assert_int_not_equal(config_parse_buffer("t.conf", many, &c, err, sizeof(err)), 0);
	size_t lines = 1;
	for (const char *p = err; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, CONFIG_MAX_ERRORS + 1);
	assert_non_null(strstr(err, "more problems not shown"));
}

/* The rule parser says what is wrong, not just that something is. */
static void
rule_errors_say_what_is_wrong(void **state)
{
	static const struct { const char *rule, *want; } cases[] = {
		{ "allow 1 1.2.3.4/33 1", "/33" },
		{ "allow 1 1.2.3/24 1", "'1.2.3' is not an IPv4 address" },
		{ "allow 1 1.2.3.4/255.0.255.0 1", "not contiguous" },
		{ "deny 1 1.2.3.4/32 1 third-party", "only on allow rules" },
		{ "allow 1 1.2.3.4/32 1 friends", "unknown rule flag 'friends'" },
	};
	struct policy_rule r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(policy_parse_rule(cases[i].rule, &r, err, sizeof(err)), 0);
		if (!strstr(err, cases[i].want))
			fail_msg("'%s': '%s' does not contain '%s'", cases[i].rule, err, cases[i].want);
	}
}

/* SIGHUP: keys that need a restart keep their running value and are named. */
static void
config_reload_names_restart_keys(void **state)
{
	char path[] = "/tmp/porthole-reload-XXXXXX", err[256], restart[128];
	const char *next_text = "ext_ifname=wan0\nlan_ifname=lan0\nlan_ifname=lan1\n"
	    "http_port=5001\nmax_per_host=7\nallow 1 1.2.3.4/32 1\n";
	struct config cur, next;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, next_text, strlen(next_text)), (ssize_t)strlen(next_text));
	close(fd);
	assert_int_equal(config_parse_buffer("cur", "ext_ifname=wan0\nlan_ifname=lan0\n"
	    "http_port=5000\n", &cur, err, sizeof(err)), 0);
	assert_int_equal(config_reload(path, &cur, &next, restart, sizeof(restart), err,
	    sizeof(err)), 0);
	assert_string_equal(restart, "lan_ifname, http_port");
	assert_int_equal(next.http_port, 5000);		/* the running value */
	assert_int_equal(next.n_lan, 1);
	assert_int_equal(next.max_per_host, 7);		/* reloads */
	assert_int_equal(next.policy.n_rules, 1);
	config_free(&next);
	/* the same file again: nothing to name */
	assert_int_equal(config_parse_buffer("cur", next_text, &cur, err, sizeof(err)), 0);
	assert_int_equal(config_reload(path, &cur, &next, restart, sizeof(restart), err,
	    sizeof(err)), 0);
	assert_string_equal(restart, "");
	config_free(&next);
	config_free(&cur);
	unlink(path);
}

static void
config_file_load(void **state)
{
	char path[] = "/tmp/porthole-config-XXXXXX", err[256];
	struct config c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ext_ifname=eth0\nlan_ifname=eth1\n", 32), 32);
	close(fd);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.table, "porthole");		/* defaults */
	assert_int_equal(c.min_lifetime, 120);
	assert_int_equal(c.max_lifetime, 86400);
	config_free(&c);
	unlink(path);
	assert_int_not_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "cannot open"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_parsing),
		cmocka_unit_test(config_reports_every_mistake),
		cmocka_unit_test(rule_errors_say_what_is_wrong),
		cmocka_unit_test(config_reload_names_restart_keys),
		cmocka_unit_test(first_match_wins_default_deny),
		cmocka_unit_test(config_full),
		cmocka_unit_test(config_errors_name_the_line),
		cmocka_unit_test(config_file_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
