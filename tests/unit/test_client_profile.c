/*
 * Unit tests for libporthole's profiles: the built-in mail profile, the
 * profile file parser (hostile input), port specs, enable and add.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "porthole.h"

static const struct porthole_port *
find(const struct porthole_profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->port[i].name, name) == 0)
			return &p->port[i];
	return NULL;
}

static void
mail_profile(void **state)
{
	static const struct { const char *name; uint16_t port; } want[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 }, { "pop3", 110 },
		{ "pop3s", 995 }, { "imap", 143 }, { "imaps", 993 }, { "http", 80 },
		{ "https", 443 }, { "caldav", 8008 }, { "caldav-tls", 8443 },
		{ "carddav-tls", 8843 },
	};
	struct porthole_profile p;
	const struct porthole_port *pp;
	size_t i, enabled = 0;

	(void)state;
	assert_int_equal(porthole_profile_builtin("mail", &p), 0);
	assert_string_equal(p.name, "mail");
	assert_int_equal(p.n, 13);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		pp = find(&p, want[i].name);
		assert_non_null(pp);
		assert_int_equal(pp->port, want[i].port);
		assert_int_equal(pp->proto, IPPROTO_TCP);
		assert_true(pp->enabled);
		assert_false(pp->optional);
	}
	pp = find(&p, "rdp");
	assert_non_null(pp);
	assert_int_equal(pp->port, 3389);
	assert_true(pp->optional);
	assert_false(pp->enabled);		/* RDP off unless asked for */
	for (i = 0; i < p.n; i++)
		enabled += p.port[i].enabled;
	assert_int_equal(enabled, 12);
	assert_int_equal(porthole_profile_enable(&p, "rdp"), 0);
	assert_true(find(&p, "rdp")->enabled);
	assert_int_equal(porthole_profile_builtin("web", &p), PORTHOLE_ERR_PROFILE);
}

static void
port_specs(void **state)
{
	static const char *const bad[] = { "", "tcp", "tcp/", "tcp/0", "tcp/65536", "tcp/25x",
	    "sctp/25", "tcp/+25", "tcp/-1", "tcp/ 25", "tcp//25", "/25", "tcp/999999",
	    "tcpx/25", "25" };
	uint8_t proto;
	uint16_t port;
	size_t i;

	(void)state;
	assert_int_equal(porthole_port_parse("tcp/25", &proto, &port), 0);
	assert_int_equal(proto, IPPROTO_TCP);
	assert_int_equal(port, 25);
	assert_int_equal(porthole_port_parse("UDP/65535", &proto, &port), 0);
	assert_int_equal(proto, IPPROTO_UDP);
	assert_int_equal(port, 65535);
	assert_int_equal(porthole_port_parse("udp/1", &proto, &port), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(porthole_port_parse(bad[i], &proto, &port), PORTHOLE_ERR_PROFILE);
	assert_int_equal(porthole_port_parse(NULL, &proto, &port), PORTHOLE_ERR_PROFILE);
}

static void
parse_good(void **state)
{
	const char *text = "# my server\n"
	    "smtp tcp/25\n"
	    "\n"
	    "  sip\tudp/5060   # voice\r\n"
	    "rdp tcp/3389 optional\n"
	    "web tcp/80 required";		/* no final newline */
	struct porthole_profile p;
	char err[128];

	(void)state;
	assert_int_equal(porthole_profile_parse(text, strlen(text), &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 4);
	assert_string_equal(p.port[1].name, "sip");
	assert_int_equal(p.port[1].proto, IPPROTO_UDP);
	assert_int_equal(p.port[1].port, 5060);
	assert_true(p.port[1].enabled);
	assert_true(p.port[2].optional);
	assert_false(p.port[2].enabled);
	assert_false(p.port[3].optional);
	assert_int_equal(porthole_profile_enable(&p, "tcp/3389"), 0);
	assert_true(p.port[2].enabled);
	assert_int_equal(porthole_profile_enable(&p, "nosuch"), PORTHOLE_ERR_PROFILE);
}

static void
expect_bad(const char *text, size_t len, const char *msg)
{
	struct porthole_profile p;
	char err[160] = "";

	assert_int_equal(porthole_profile_parse(text, len, &p, err, sizeof(err)),
	    PORTHOLE_ERR_PROFILE);
	if (strstr(err, msg) == NULL)
		fail_msg("error '%s' lacks '%s'", err, msg);
}

static void
parse_bad(void **state)
{
	char big[400], many[64 * 24 + 64];
	size_t i, len = 0;

	(void)state;
	expect_bad("smtp\n", 5, "line 1: expected");
	expect_bad("a tcp/1\nb tcp/2 c d\n", 20, "line 2: expected");
	expect_bad("a tcp/1\nb tcp/2 maybe\n", 22, "line 2: unknown flag 'maybe'");
	expect_bad("a tcp/1\nb udp/0\n", 16, "line 2: bad port 'udp/0'");
	expect_bad("a tcp/1\nb tcp/1\n", 16, "line 2: tcp/1 listed twice");
	expect_bad("a$ tcp/1\n", 9, "line 1: bad name");
	expect_bad("abcdefghijabcdefghijabcdefghijabc tcp/1\n", 40, "bad name");
	expect_bad("# only a comment\n\n", 18, "no ports listed");
	expect_bad("", 0, "no ports listed");
	expect_bad("a tcp/1\nb\0 tcp/2\n", 17, "line 2: NUL byte");
	memset(big, 'x', sizeof(big));
	expect_bad(big, sizeof(big), "line 1: line too long");
	for (i = 0; i < 65; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "p%zu tcp/%zu\n", i, i + 1);
	expect_bad(many, len, "line 65: more than 64 ports");
}

static void
add_ports(void **state)
{
	struct porthole_profile p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(porthole_profile_add(&p, "tcp/25", NULL), 0);
	assert_int_equal(porthole_profile_add(&p, "udp/53", "dns"), 0);
	assert_int_equal(porthole_profile_add(&p, "tcp/25", NULL), 0);	/* no duplicate */
	assert_int_equal(p.n, 2);
	assert_string_equal(p.port[0].name, "tcp-25");
	assert_string_equal(p.port[1].name, "dns");
	assert_int_equal(porthole_profile_add(&p, "tcp/x", NULL), PORTHOLE_ERR_PROFILE);
	assert_int_equal(porthole_profile_add(&p, "tcp/1", "bad name"), PORTHOLE_ERR_PROFILE);
	/* --port on top of the mail profile enables an optional one, not a copy. */
	assert_int_equal(porthole_profile_builtin("mail", &p), 0);
	assert_int_equal(porthole_profile_add(&p, "tcp/3389", NULL), 0);
	assert_int_equal(p.n, 13);
	assert_true(find(&p, "rdp")->enabled);
}

static void
load_file(void **state)
{
	char path[] = "/tmp/test_client_profile.XXXXXX", err[300];
	struct porthole_profile p;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "imap tcp/143\n", 13), 13);
	close(fd);
	assert_int_equal(porthole_profile_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.name, "test_client_profile");
	unlink(path);
	assert_int_equal(porthole_profile_load(path, &p, err, sizeof(err)), PORTHOLE_ERR_PROFILE);
	assert_non_null(strstr(err, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mail_profile),
		cmocka_unit_test(port_specs),
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(add_ports),
		cmocka_unit_test(load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
