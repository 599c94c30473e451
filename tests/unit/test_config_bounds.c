/*
 * Unit tests for the config values that become names elsewhere (issue 15,
 * finding 8): table (nftables), uuid (UPnP), lease_file and control_socket
 * (files), and the line numbers around an over-long line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* Parse the lab's two required lines plus extra; 0 or -EINVAL with err set. */
static int
parse_with(const char *extra, char *err, size_t errlen)
{
	char text[2048];
	struct config c;
	int rc;

	snprintf(text, sizeof(text), "ext_ifname=wan0\nlan_ifname=br-lan\n%s\n", extra);
	err[0] = '\0';
	rc = config_parse_buffer("test.conf", text, &c, err, errlen);
	if (rc == 0)
		config_free(&c);
	return rc;
}

static void
names_checked_at_load(void **state)
{
	static const char *const good[] = {
		"table=porthole", "table=_ph.2-b", "uuid=01234567-89ab-cdef-0123-456789ABCDEF",
		"lease_file=/var/lib/porthole/leases", "control_socket=/run/portholed.sock",
	};
	static const char *const bad[] = {
		"table=a;flush ruleset", "table=1abc", "table=a b", "table=a/b", "table=\"x\"",
		"uuid=../../etc", "uuid=01234567-89ab-cdef-0123-456789abcdeg",
		"uuid=0123456789ab-cdef-0123-456789abcdef0", "uuid=01234567-89ab-cdef-0123-456789abcdef-",
		"lease_file=leases", "lease_file=../leases", "control_socket=portholed.sock",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (parse_with(good[i], err, sizeof(err)) != 0)
			fail_msg("refused %s: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_with(bad[i], err, sizeof(err)) == 0)
			fail_msg("accepted %s", bad[i]);
		/* the error names the line and the key */
		assert_non_null(strstr(err, "test.conf:3: "));
	}
}

/* An over-long line is reported at its own line; later lines keep theirs. */
static void
long_line_reported_at_its_line(void **state)
{
	char extra[1400], err[256];

	(void)state;
	snprintf(extra, sizeof(extra), "# %01000d\nbogus=1", 0);
	assert_int_equal(parse_with(extra, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "test.conf:3: line too long"));
	snprintf(extra, sizeof(extra), "# short\n# %0300d\nbogus=1", 0);
	assert_int_equal(parse_with(extra, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "test.conf:5: unknown key 'bogus'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_checked_at_load),
		cmocka_unit_test(long_line_reported_at_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
