/*
 * Unit tests for what the checkup reads from the network: the reflector's
 * messages (client/reflect_wire.c: what a request may say, what a reply
 * must say, the greeting's sanitising) and DNS answers (dnscheck.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include <arpa/nameser.h>

#include "phc.h"

static int
parse(const char *body, uint16_t *ports, size_t *n, char *err)
{
	return phc_reflect_request_parse(body, strlen(body), ports, n, err, 200);
}

static void
requests(void **state)
{
	uint16_t p[PHC_REFLECT_PORTS_MAX];
	char err[200], buf[256];
	size_t n = 0;

	(void)state;
	assert_int_equal(parse("{\"ports\": [25, 587]}", p, &n, err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0], 25);
	assert_int_equal(p[1], 587);
	assert_int_equal(parse("{\"ports\": [25], \"address\": \"192.0.2.1\"}", p, &n, err), -1);
	assert_non_null(strstr(err, "unknown field \"address\""));
	assert_int_equal(parse("{\"ports\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}", p, &n,
	    err), 0);
	assert_int_equal(n, 16);
	assert_int_equal(parse("{\"ports\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}", p, &n,
	    err), -1);
	assert_string_equal(err, "more than 16 ports in one request: split it");
	assert_int_equal(parse("{\"ports\": [0]}", p, &n, err), -1);
	assert_int_equal(parse("{\"ports\": [65536]}", p, &n, err), -1);
	assert_int_equal(parse("{\"ports\": [\"25\"]}", p, &n, err), -1);
	assert_int_equal(parse("{\"ports\": [25, 25]}", p, &n, err), -1);
	assert_int_equal(parse("{\"ports\": []}", p, &n, err), -1);
	assert_int_equal(parse("{}", p, &n, err), -1);
	assert_int_equal(parse("{\"ports\": [25]} x", p, &n, err), -1);	/* trailing bytes */
	assert_int_equal(parse("[[[[[[25]]]]]]", p, &n, err), -1);
	/* An embedded NUL ends nothing early: the whole length is parsed. */
	assert_int_equal(phc_reflect_request_parse("{\"ports\": [25]}\0x", 17, p, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(phc_reflect_request_format(buf, sizeof(buf), p, 1), 15);
	assert_string_equal(buf, "{\"ports\": [25]}");
}

static void
replies(void **state)
{
	struct phc_reflect_result res[3], got[PHC_REFLECT_PORTS_MAX];
	struct in_addr seen;
	size_t n = PHC_REFLECT_PORTS_MAX;
	char *json, msg[100];

	(void)state;
	memset(res, 0, sizeof(res));
	res[0] = (struct phc_reflect_result){ .port = 25, .allowed = true,
	    .result = PORTHOLE_REACH_OPEN, .ms = 4 };
	snprintf(res[0].greeting, sizeof(res[0].greeting), "220 \"mx\" ESMTP");
	res[1] = (struct phc_reflect_result){ .port = 587, .allowed = true,
	    .result = PORTHOLE_REACH_TIMEOUT, .ms = 3000 };
	res[2] = (struct phc_reflect_result){ .port = 80, .allowed = false };
	json = phc_reflect_reply_format("203.0.113.1", res, 3);
	assert_non_null(json);
	assert_int_equal(phc_reflect_reply_parse(json, strlen(json), AF_INET, &seen, got, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(seen.s_addr, ip("203.0.113.1").s_addr);
	assert_string_equal(got[0].greeting, "220 \"mx\" ESMTP");
	assert_int_equal(got[0].result, PORTHOLE_REACH_OPEN);
	assert_int_equal(got[1].result, PORTHOLE_REACH_TIMEOUT);
	assert_false(got[2].allowed);
	assert_int_equal(got[2].result, PORTHOLE_REACH_UNTESTED);
	free(json);
	/* Less room than results: refused, not truncated. */
	json = phc_reflect_reply_format("203.0.113.1", res, 3);
	n = 2;
	assert_int_equal(phc_reflect_reply_parse(json, strlen(json), AF_INET, &seen, got, &n), -1);
	free(json);
	n = PHC_REFLECT_PORTS_MAX;
	assert_int_equal(phc_reflect_reply_parse("{\"address\": \"x\", \"ports\": []}", 30, AF_INET, &seen,
	    got, &n), -1);
	json = phc_reflect_error_format("too many requests");
	assert_int_equal(phc_reflect_error_parse(json, strlen(json), msg, sizeof(msg)), 0);
	assert_string_equal(msg, "too many requests");
	free(json);
}

static void
sanitise(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(phc_sanitize_line(out, sizeof(out), "220 a\x1b[31m\r\nX", 13), 7);
	assert_string_equal(out, "220 a?[");
	assert_int_equal(phc_sanitize_line(out, sizeof(out), "\xff\n", 2), 1);
	assert_string_equal(out, "?");
}

/* A DNS answer with one MX record (the name compressed), as a resolver returns it. */
static void
dns_answers(void **state)
{
	static const uint8_t mx[] = {
		0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		4, 'g', 'o', 'o', 'd', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 15, 0, 1,
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 44, 0, 9, 0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 0x0c,
	};
	char out[2][PHC_DNS_REC_LEN];

	(void)state;
	assert_int_equal(phc_dns_answer_parse(mx, sizeof(mx), ns_t_mx, out, 2), 1);
	assert_string_equal(out[0], "10 mail.good.example");
	assert_int_equal(phc_dns_answer_parse(mx, sizeof(mx), ns_t_a, out, 2), 0);
	/* Cut inside the record: malformed, not read past the end. */
	assert_int_equal(phc_dns_answer_parse(mx, sizeof(mx) - 3, ns_t_mx, out, 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests),
		cmocka_unit_test(replies),
		cmocka_unit_test(sanitise),
		cmocka_unit_test(dns_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
