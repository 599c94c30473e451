/*
 * STUN (RFC 5389) Binding: the request builder and the bounded response
 * parser, the stun_server key, and which address the lease table tells
 * clients once a public one is known (CONFORMANCE 61).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backend/backend.h"
#include "lease.h"
#include "stun_msg.h"
#include "unit.h"

static const uint8_t txid[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

/* Header for a message of type with body_len bytes of attributes. */
static size_t
header(uint8_t *b, uint16_t type, uint16_t body_len)
{
	const uint8_t h[8] = { type >> 8, type & 0xff, body_len >> 8, body_len & 0xff,
	    0x21, 0x12, 0xa4, 0x42 };

	memcpy(b, h, 8);
	memcpy(b + 8, txid, 12);
	return 20;
}

/* SOFTWARE (odd length, padded), XOR-MAPPED-ADDRESS 192.0.2.1:32853 (RFC 5769 §2.2),
 * then an attribute we do not know (FINGERPRINT's type) that must be skipped. */
static size_t
sample_response(uint8_t *b)
{
	static const uint8_t attrs[] = {
		0x80, 0x22, 0x00, 0x05, 't', 'e', 's', 't', '!', 0, 0, 0,
		0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
		0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
	};
	size_t n = header(b, 0x0101, sizeof(attrs));

	memcpy(b + n, attrs, sizeof(attrs));
	return n + sizeof(attrs);
}

static void
request_layout(void **state)
{
	uint8_t b[20];

	(void)state;
	assert_int_equal(stun_build_request(b, txid), 20);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0x01);		/* Binding request */
	assert_int_equal(b[2] | b[3], 0);	/* no attributes */
	assert_memory_equal(b + 4, "\x21\x12\xa4\x42", 4);
	assert_memory_equal(b + 8, txid, 12);
}

static void
xor_mapped_address(void **state)
{
	uint8_t b[64];
	struct in_addr a;
	uint16_t port;
	size_t n = sample_response(b);

	(void)state;
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_OK);
	assert_int_equal(a.s_addr, ip("192.0.2.1").s_addr);
	assert_int_equal(port, 32853);
}

static void
mapped_address_when_alone_xor_preferred(void **state)
{
	static const uint8_t plain[] = {
		0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x04, 0xd2, 198, 51, 100, 7,
	};
	uint8_t b[64];
	struct in_addr a;
	uint16_t port;
	size_t n = header(b, 0x0101, sizeof(plain));

	(void)state;
	memcpy(b + n, plain, sizeof(plain));
	n += sizeof(plain);
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_OK);
	assert_int_equal(a.s_addr, ip("198.51.100.7").s_addr);
	assert_int_equal(port, 1234);
	/* MAPPED-ADDRESS first, XOR-MAPPED-ADDRESS after: XOR wins. */
	n = sample_response(b);
	memcpy(b + n, plain, sizeof(plain));
	n += sizeof(plain);
	b[3] += sizeof(plain);
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_OK);
	assert_int_equal(a.s_addr, ip("192.0.2.1").s_addr);
}

static void
refused_answers(void **state)
{
	uint8_t b[64], other[12];
	struct in_addr a;
	uint16_t port;
	size_t n = sample_response(b);

	(void)state;
	memcpy(other, txid, 12);
	other[11] ^= 1;
	assert_int_equal(stun_parse_response(b, n, other, &a, &port), STUN_OTHER_TX);
	for (size_t len = 0; len < n; len++)	/* every truncation */
		assert_int_not_equal(stun_parse_response(b, len, txid, &a, &port), STUN_OK);
	b[7] ^= 1;				/* cookie */
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_NOT_STUN);
	b[7] ^= 1;
	b[0] |= 0x40;				/* top bits must be zero */
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_NOT_STUN);
	b[0] &= 0x3f;
	b[1] = 0x11;				/* Binding error response */
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_ERROR_RESP);
	b[0] = 0x00;				/* a request is not an answer */
	b[1] = 0x01;
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_NOT_STUN);
	n = sample_response(b);
	b[23] = 0xff;				/* SOFTWARE claims 255 bytes */
	assert_int_equal(stun_parse_response(b, n, txid, &a, &port), STUN_BAD_ATTR);
}

static void
ipv6_only_is_no_address(void **state)
{
	uint8_t b[64];
	struct in_addr a;
	uint16_t port;
	size_t n = header(b, 0x0101, 24);

	(void)state;
	memset(b + n, 0, 24);
	b[n + 1] = 0x20;	/* XOR-MAPPED-ADDRESS */
	b[n + 3] = 20;
	b[n + 5] = 0x02;	/* family IPv6 */
	assert_int_equal(stun_parse_response(b, n + 24, txid, &a, &port), STUN_NO_ADDRESS);
}

static void
server_spec(void **state)
{
	char host[STUN_HOST_MAX], why[128];
	uint16_t port;

	(void)state;
	assert_int_equal(stun_server_parse("198.51.100.2", host, &port, why, sizeof(why)), 0);
	assert_string_equal(host, "198.51.100.2");
	assert_int_equal(port, 3478);
	assert_int_equal(stun_server_parse("stun.example.net:19302", host, &port, why,
	    sizeof(why)), 0);
	assert_string_equal(host, "stun.example.net");
	assert_int_equal(port, 19302);
	assert_int_equal(stun_server_parse("", host, &port, why, sizeof(why)), -1);
	assert_int_equal(stun_server_parse(":3478", host, &port, why, sizeof(why)), -1);
	assert_int_equal(stun_server_parse("a b", host, &port, why, sizeof(why)), -1);
	assert_int_equal(stun_server_parse("h:0", host, &port, why, sizeof(why)), -1);
	assert_int_equal(stun_server_parse("h:65536", host, &port, why, sizeof(why)), -1);
	assert_int_equal(stun_server_parse("h:12x", host, &port, why, sizeof(why)), -1);
	assert_int_equal(stun_server_parse("h:", host, &port, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "port"));
}

static int told;
static struct in_addr told_new;

static void
ext_changed(struct in_addr old_ext, struct in_addr new_ext, void *arg)
{
	(void)old_ext;
	(void)arg;
	told++;
	told_new = new_ext;
}

/* CONFORMANCE 61: behind another NAT, clients are told the public address. */
static void
public_address_told(void **state)
{
	(void)state;
	lease_init(&backend_null, NULL);
	lease_listen_external(ext_changed, NULL);
	told = 0;
	lease_set_external(ip("192.168.178.20"));
	assert_int_equal(lease_external().s_addr, ip("192.168.178.20").s_addr);
	lease_set_public(ip("198.51.100.1"));
	assert_int_equal(lease_external().s_addr, ip("198.51.100.1").s_addr);
	assert_int_equal(lease_wan().s_addr, ip("192.168.178.20").s_addr);
	assert_int_equal(told, 2);
	assert_int_equal(told_new.s_addr, ip("198.51.100.1").s_addr);
	/* The WAN moves within the shared space: clients keep the public address, no news. */
	lease_set_external(ip("100.64.1.20"));
	assert_int_equal(lease_external().s_addr, ip("198.51.100.1").s_addr);
	assert_int_equal(told, 2);
	/* A public WAN address is told as it is, whatever STUN said. */
	lease_set_external(ip("203.0.113.1"));
	assert_int_equal(lease_external().s_addr, ip("203.0.113.1").s_addr);
	assert_int_equal(told, 3);
	lease_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_layout),
		cmocka_unit_test(xor_mapped_address),
		cmocka_unit_test(mapped_address_when_alone_xor_preferred),
		cmocka_unit_test(refused_answers),
		cmocka_unit_test(ipv6_only_is_no_address),
		cmocka_unit_test(server_spec),
		cmocka_unit_test(public_address_told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
