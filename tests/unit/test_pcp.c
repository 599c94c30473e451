/*
 * PCP (RFC 6887) server: the parser, the MAP/PEER/ANNOUNCE logic against
 * the real lease table on the null backend, and the client module that
 * builds the requests and parses the replies. Each test names the
 * CONFORMANCE.md item it checks (B1-B4, D15-D33).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcp_client.h"
#include "pcp_fixture.h"

static uint8_t reqbuf[PCP_MAX_MSG * 2], outbuf[OUT_CAP];
static size_t reqlen, outlen;

/* A MAP request from src with a fixed nonce; callers adjust fields. */
static struct pcpc_msg
map_req(const char *src, uint8_t proto, uint16_t int_port, uint16_t ext_port, uint32_t lifetime)
{
	struct pcpc_msg m;

	memset(&m, 0, sizeof(m));
	m.version = PCP_VERSION;
	m.opcode = PCP_OP_MAP;
	m.lifetime = lifetime;
	pcp_v4mapped(ip(src), m.client_ip);
	memset(m.nonce, 0x5a, sizeof(m.nonce));
	m.proto = proto;
	m.int_port = int_port;
	m.ext_port = ext_port;
	return m;
}

static struct pcpc_msg
peer_req(const char *src, uint16_t int_port, const char *remote, uint16_t rport)
{
	struct pcpc_msg m = map_req(src, IPPROTO_TCP, int_port, 0, 600);

	m.opcode = PCP_OP_PEER;
	pcp_v4mapped(ip(remote), m.rem_ip);
	m.rem_port = rport;
	return m;
}

static void
add_filter(struct pcpc_msg *m, const char *addr, uint8_t plen, uint16_t port)
{
	struct pcpc_filter *f = &m->filters[m->n_filters++];

	pcp_v4mapped(ip(addr), f->addr);
	f->plen = plen;
	f->port = port;
}

/* Sends raw bytes from src; the parsed reply, or result 255 for silence. */
static struct pcpc_msg
send_raw(const char *src, const uint8_t *b, size_t len)
{
	struct pcpc_msg r;

	memset(&r, 0, sizeof(r));
	outlen = pcp_dispatch(&env, ip(src), 40000, b, len, outbuf, sizeof(outbuf));
	if (outlen == 0) {
		r.result = 255;
		return r;
	}
	assert_int_equal(pcpc_parse(outbuf, outlen, &r), 0);
	return r;
}

static struct pcpc_msg
send_msg(const char *src, const struct pcpc_msg *m)
{
	reqlen = pcpc_build(m, reqbuf, sizeof(reqbuf));
	assert_true(reqlen > 0);
	return send_raw(src, reqbuf, reqlen);
}

static void
assert_ext_ip(const struct pcpc_msg *r, const char *want)
{
	struct in_addr a;

	assert_true(pcp_is_v4mapped(r->ext_ip, &a));
	assert_int_equal(a.s_addr, ip(want).s_addr);
}

/* B1: byte 0 = 2 -> a PCP reply (24-byte ANNOUNCE). D30: SUCCESS, 0x80, lifetime 0. */
static void
test_b1_d30_announce(void **state)
{
	struct pcpc_msg m = map_req(MAIL, 0, 0, 0, 0), r;

	(void)state;
	m.opcode = PCP_OP_ANNOUNCE;
	r = send_msg(MAIL, &m);
	assert_int_equal(outlen, 24);
	assert_int_equal(outbuf[0], 2);
	assert_int_equal(outbuf[1], 0x80);
	assert_int_equal(r.result, PCP_SUCCESS);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(r.epoch, 42);
}

/* B2: versions 3 and 255 -> UNSUPP_VERSION naming version 2; 1 -> NAT-PMP's 8 bytes. */
static void
test_b2_versions(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;

	(void)state;
	m.version = 3;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.result, PCP_UNSUPP_VERSION);
	assert_int_equal(r.lifetime, 1800);
	m.version = 255;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_UNSUPP_VERSION);
	uint8_t tiny[2] = { 7, 1 };
	assert_int_equal(send_raw(MAIL, tiny, 2).result, PCP_UNSUPP_VERSION);
	m.version = 1;
	r = send_msg(MAIL, &m);
	assert_int_equal(outlen, 8);
	assert_int_equal(r.version, 0);
	assert_int_equal(r.result, PCP_UNSUPP_VERSION);
	assert_int_equal(lease_count(), 0);
}

/* B3 + D15: R set -> silence; under 2 bytes and under 24 -> silence. */
static void
test_b3_d15_silence(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600);

	(void)state;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	reqbuf[1] |= 0x80;
	assert_int_equal(send_raw(MAIL, reqbuf, reqlen).result, 255);
	reqbuf[1] &= 0x7f;
	assert_int_equal(send_raw(MAIL, reqbuf, 1).result, 255);
	assert_int_equal(send_raw(MAIL, reqbuf, 20).result, 255);
	assert_int_equal(lease_count(), 0);
}

/* B4: opcode 3 (AUTHENTICATION, RFC 7652) and others -> UNSUPP_OPCODE, payload copied. */
static void
test_b4_unsupp_opcode(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;

	(void)state;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	reqbuf[1] = 3;
	r = send_raw(MAIL, reqbuf, reqlen);
	assert_int_equal(r.result, PCP_UNSUPP_OPCODE);
	assert_int_equal(outlen, reqlen);
	assert_memory_equal(outbuf + 24, reqbuf + 24, reqlen - 24);
	reqbuf[1] = 0x7f;
	assert_int_equal(send_raw(MAIL, reqbuf, 24).result, PCP_UNSUPP_OPCODE);
}

/* D15: over 1100, not a multiple of 4, too short for the opcode -> MALFORMED_REQUEST. */
static void
test_d15_malformed_lengths(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600);
	uint8_t big[1200];

	(void)state;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	assert_int_equal(send_raw(MAIL, reqbuf, 58).result, PCP_MALFORMED_REQUEST);
	assert_int_equal(send_raw(MAIL, reqbuf, 56).result, PCP_MALFORMED_REQUEST);
	memset(reqbuf + reqlen, 0, 4);
	assert_int_equal(send_raw(MAIL, reqbuf, 62).result, PCP_MALFORMED_REQUEST);
	memset(big, 0, sizeof(big));
	memcpy(big, reqbuf, reqlen);
	/* 1104 bytes: an option pads it out; the reply is cut to 1100. */
	struct pcpc_msg r = send_raw(MAIL, big, 1104);
	assert_int_equal(r.result, PCP_MALFORMED_REQUEST);
	assert_int_equal(outlen, 1100);
	assert_int_equal(lease_count(), 0);
}

/* D16: client address field != source -> ADDRESS_MISMATCH, nothing changes. */
static void
test_d16_address_mismatch(void **state)
{
	struct pcpc_msg m = map_req("10.9.9.9", IPPROTO_TCP, 25, 0, 600), r;

	(void)state;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, PCP_ADDRESS_MISMATCH);
	assert_int_equal(r.lifetime, 1800);
	assert_int_equal(lease_count(), 0);
}

/* D17: an error is the request copied back; a success echoes only processed options. */
static void
test_d17_copy_and_echo(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;
	uint8_t opt[4] = { 1, 2, 3, 4 };

	(void)state;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	pcpc_append_option(reqbuf, &reqlen, sizeof(reqbuf), 200, opt, 4);	/* optional, unknown */
	r = send_raw(MAIL, reqbuf, reqlen);
	assert_int_equal(r.result, 0);
	assert_int_equal(outlen, 60);					/* not echoed */
	pcpc_append_option(reqbuf, &reqlen, sizeof(reqbuf), 99, opt, 4);	/* mandatory, unknown */
	r = send_raw(MAIL, reqbuf, reqlen);
	assert_int_equal(r.result, PCP_UNSUPP_OPTION);
	assert_int_equal(outlen, reqlen);
	assert_memory_equal(outbuf + 24, reqbuf + 24, reqlen - 24);	/* all copied */
	/* Not parsed through: bytes 12-23 keep the client address's tail (§7.2). */
	assert_memory_equal(outbuf + 12, reqbuf + 12, 12);
	/* Parsed, refused later: they are zero. */
	m.nonce[0] ^= 1;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	assert_int_equal(send_raw(MAIL, reqbuf, reqlen).result, PCP_NOT_AUTHORIZED);
	assert_memory_equal(outbuf + 12, (uint8_t[12]){ 0 }, 12);
}

/* D18: long errors ~1800 s, short ones ~30 s. */
static void
test_d18_error_lifetimes(void **state)
{
	(void)state;
	for (int rc = 1; rc <= 13; rc++) {
		bool is_short = rc == 7 || rc == 8 || rc == 10 || rc == 11;
		assert_int_equal(pcp_error_lifetime(rc), is_short ? 30 : 1800);
	}
	fixture_teardown(state);
	fixture_up("", 0, 1);
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600);
	assert_int_equal(send_msg(MAIL, &m).result, 0);
	m.int_port = 26;
	struct pcpc_msg r = send_msg(MAIL, &m);
	assert_int_equal(r.result, PCP_USER_EX_QUOTA);		/* D24 too */
	assert_int_equal(r.lifetime, 30);
}

/* D19: nonce, protocol, port copied; ::ffff:WAN; lifetime clamped 120..86400. */
static void
test_d19_map(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 25, 30), r;

	(void)state;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_true(pcpc_matches(&m, &r));
	assert_memory_equal(r.nonce, m.nonce, 12);
	assert_int_equal(r.proto, IPPROTO_TCP);
	assert_int_equal(r.int_port, 25);
	assert_int_equal(r.ext_port, 25);
	assert_ext_ip(&r, EXT);
	assert_int_equal(r.lifetime, 120);
	m.lifetime = 10000000;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.lifetime, 86400);
	struct lease *l = lease_find(IPPROTO_TCP, 25);
	assert_int_equal(l->owner, OWNER_PCP);
	assert_memory_equal(l->nonce, m.nonce, 12);
}

/* D20: a foreign suggested IP or a taken port is only a hint. */
static void
test_d20_hints(void **state)
{
	struct pcpc_msg m = map_req(WS, IPPROTO_TCP, 25, 25, 600), r;

	(void)state;
	add_static(IPPROTO_TCP, 25, MAIL, 25);
	pcp_v4mapped(ip(WS), m.ext_ip);		/* Bitcoin Core sends its LAN IP */
	r = send_msg(WS, &m);
	assert_int_equal(r.result, 0);
	assert_int_not_equal(r.ext_port, 25);
	assert_ext_ip(&r, EXT);
}

/* D20, D26: PREFER_FAILURE: not honourable -> CANNOT_PROVIDE_EXTERNAL, no change. */
static void
test_d26_prefer_failure(void **state)
{
	struct pcpc_msg m = map_req(WS, IPPROTO_TCP, 25, 25, 600), r;

	(void)state;
	add_static(IPPROTO_TCP, 25, MAIL, 25);
	m.prefer_failure = true;
	r = send_msg(WS, &m);
	assert_int_equal(r.result, PCP_CANNOT_PROVIDE_EXTERNAL);
	assert_int_equal(r.lifetime, 30);
	assert_int_equal(lease_count(), 1);
	m.ext_port = 2600;
	pcp_v4mapped(ip("198.51.100.7"), m.ext_ip);	/* not our address */
	assert_int_equal(send_msg(WS, &m).result, PCP_CANNOT_PROVIDE_EXTERNAL);
	pcp_v4mapped(ip(EXT), m.ext_ip);
	r = send_msg(WS, &m);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.ext_port, 2600);
	assert_true(r.prefer_failure);				/* processed, so echoed */
	m.ext_port = 0;
	assert_int_equal(send_msg(WS, &m).result, PCP_MALFORMED_OPTION);
	m.ext_port = 2600;
	m.lifetime = 0;
	assert_int_equal(send_msg(WS, &m).result, PCP_MALFORMED_OPTION);
	struct pcpc_msg p = peer_req(WS, 25, "198.51.100.7", 80);
	p.prefer_failure = true;
	assert_int_equal(send_msg(WS, &p).result, PCP_MALFORMED_REQUEST);
	/* Repeated single-use option -> MALFORMED_OPTION (D25). */
	m.lifetime = 600;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	pcpc_append_option(reqbuf, &reqlen, sizeof(reqbuf), PCP_OPT_PREFER_FAILURE, NULL, 0);
	assert_int_equal(send_raw(WS, reqbuf, reqlen).result, PCP_MALFORMED_OPTION);
}

/* D21: same nonce -> same port, refreshed; other nonce -> NOT_AUTHORIZED, time left. */
static void
test_d21_nonce(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_UDP, 4000, 0, 600), r1, r2;

	(void)state;
	r1 = send_msg(MAIL, &m);
	m.lifetime = 900;
	r2 = send_msg(MAIL, &m);
	assert_int_equal(r1.ext_port, r2.ext_port);
	assert_int_equal(r2.lifetime, 900);
	m.nonce[0] ^= 1;
	r2 = send_msg(MAIL, &m);
	assert_int_equal(r2.result, PCP_NOT_AUTHORIZED);
	assert_in_range(r2.lifetime, 899, 900);
	m.lifetime = 0;					/* Tailscale deletes with a fresh nonce */
	assert_int_equal(send_msg(MAIL, &m).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(lease_count(), 1);
}

/* D22: lifetime 0 deletes; missing -> SUCCESS; static -> NOT_AUTHORIZED; hints copied. */
static void
test_d22_delete(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;

	(void)state;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	m.lifetime = 0;
	m.ext_port = 7777;
	pcp_v4mapped(ip("198.51.100.1"), m.ext_ip);
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(r.ext_port, 7777);		/* copied, not interpreted */
	assert_ext_ip(&r, "198.51.100.1");
	assert_int_equal(lease_count(), 0);
	assert_int_equal(send_msg(MAIL, &m).result, 0);	/* again: still SUCCESS */
	add_static(IPPROTO_TCP, 2525, MAIL, 25);
	assert_int_equal(send_msg(MAIL, &m).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(lease_count(), 1);
	/* A static mapping of the internal end is reported with lifetime 2^32-1. */
	m.lifetime = 600;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.ext_port, 2525);
	assert_int_equal(r.lifetime, UINT32_MAX);
}

/* D23: protocol 0 with a port -> MALFORMED_REQUEST; wildcard, DMZ, SCTP -> UNSUPP_PROTOCOL. */
static void
test_d23_protocols(void **state)
{
	struct pcpc_msg m = map_req(MAIL, 0, 25, 0, 600);

	(void)state;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_MALFORMED_REQUEST);
	m.int_port = 0;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_UNSUPP_PROTOCOL);
	m.proto = 132;
	m.int_port = 25;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_UNSUPP_PROTOCOL);
	m.proto = IPPROTO_TCP;
	m.int_port = 0;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_UNSUPP_PROTOCOL);
	assert_int_equal(lease_count(), 0);
}

/* D24: never UDP 5350/5351; no companion mapping created. */
static void
test_d24_reserved_ports(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_UDP, 5351, 5351, 600), r;

	(void)state;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_true(r.ext_port != 5350 && r.ext_port != 5351);
	m.int_port = 5350;
	m.ext_port = 5350;
	m.prefer_failure = true;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_CANNOT_PROVIDE_EXTERNAL);
	assert_int_equal(lease_count(), 1);
	assert_null(lease_find(IPPROTO_TCP, r.ext_port));
}

/* D25: bad option structure or lengths -> MALFORMED_OPTION. */
static void
test_d25_option_structure(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600);
	uint8_t tp[16];

	(void)state;
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	/* An option whose length runs past the packet. */
	reqbuf[60] = 200;
	reqbuf[62] = 0;
	reqbuf[63] = 40;
	memset(reqbuf + 64, 0, 8);
	assert_int_equal(send_raw(MAIL, reqbuf, 72).result, PCP_MALFORMED_OPTION);
	/* THIRD_PARTY with the wrong length; PREFER_FAILURE with data. */
	pcp_v4mapped(ip(WS), tp);
	reqlen = 60;
	pcpc_append_option(reqbuf, &reqlen, sizeof(reqbuf), PCP_OPT_THIRD_PARTY, tp, 12);
	assert_int_equal(send_raw(MAIL, reqbuf, reqlen).result, PCP_MALFORMED_OPTION);
	reqlen = 60;
	pcpc_append_option(reqbuf, &reqlen, sizeof(reqbuf), PCP_OPT_PREFER_FAILURE, tp, 4);
	assert_int_equal(send_raw(MAIL, reqbuf, reqlen).result, PCP_MALFORMED_OPTION);
	/* FILTER in ANNOUNCE / PEER makes no sense there. */
	struct pcpc_msg p = peer_req(MAIL, 25, "198.51.100.7", 80);
	add_filter(&p, "198.51.100.7", 128, 0);
	assert_int_equal(send_msg(MAIL, &p).result, PCP_MALFORMED_OPTION);
	assert_int_equal(lease_count(), 0);
}

/* D27: THIRD_PARTY off by default -> UNSUPP_OPTION; naming yourself -> MALFORMED_REQUEST. */
static void
test_d27_third_party(void **state)
{
	struct pcpc_msg m = map_req(WS, IPPROTO_TCP, 25, 25, 600), r;

	(void)state;
	m.third_party = true;
	pcp_v4mapped(ip(MAIL), m.tp_addr);
	assert_int_equal(send_msg(WS, &m).result, PCP_UNSUPP_OPTION);
	pcp_v4mapped(ip(WS), m.tp_addr);
	assert_int_equal(send_msg(WS, &m).result, PCP_MALFORMED_REQUEST);
	assert_int_equal(lease_count(), 0);
	/* Allowed by a rule: the mapping is for MAIL, and the option is echoed. */
	fixture_teardown(state);
	fixture_up("allow 1-65535 192.168.77.10/32 1-65535 third-party\n", 0, 0);
	pcp_v4mapped(ip(MAIL), m.tp_addr);
	r = send_msg(WS, &m);
	assert_int_equal(r.result, 0);
	assert_true(r.third_party);
	assert_int_equal(lease_find(IPPROTO_TCP, r.ext_port)->int_addr.s_addr, ip(MAIL).s_addr);
	m.lifetime = 0;
	assert_int_equal(send_msg(WS, &m).result, 0);
	assert_int_equal(lease_count(), 0);
}

/* D28: FILTER checks, limit, and the lease it makes. */
static void
test_d28_filter(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 25, 600), r;
	struct lease *l;

	(void)state;
	add_filter(&m, "198.51.100.7", 95, 0);
	assert_int_equal(send_msg(MAIL, &m).result, PCP_MALFORMED_OPTION);
	m.filters[0].plen = 129;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_MALFORMED_OPTION);
	m.filters[0].plen = 128;
	m.lifetime = 0;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_MALFORMED_OPTION);
	m.lifetime = 600;
	add_filter(&m, "198.51.100.8", 128, 0);
	assert_int_equal(send_msg(MAIL, &m).result, PCP_EXCESSIVE_REMOTE_PEERS);
	m.n_filters = 1;
	m.filters[0].port = 4444;
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.n_filters, 1);
	l = lease_find(IPPROTO_TCP, 25);
	assert_int_equal(l->remote.s_addr, ip("198.51.100.7").s_addr);
	assert_int_equal(l->remote_port, 4444);
	/* Another filter on top of it is one too many; prefix 0 first replaces it. */
	m.filters[0] = (struct pcpc_filter){ 0 };
	add_filter(&m, "198.51.100.9", 128, 0);
	m.filters[0] = m.filters[1];
	m.n_filters = 1;
	assert_int_equal(send_msg(MAIL, &m).result, PCP_EXCESSIVE_REMOTE_PEERS);
	m.n_filters = 0;
	add_filter(&m, "0.0.0.0", 0, 0);
	add_filter(&m, "198.51.100.9", 128, 0);
	assert_int_equal(send_msg(MAIL, &m).result, 0);
	assert_int_equal(l->remote.s_addr, ip("198.51.100.9").s_addr);
	assert_int_equal(l->remote_port, 0);
	/* A subnet cannot be held by one lease: refused, never widened. */
	m.n_filters = 0;
	add_filter(&m, "0.0.0.0", 0, 0);
	add_filter(&m, "198.51.100.0", 120, 0);
	assert_int_equal(send_msg(MAIL, &m).result, PCP_EXCESSIVE_REMOTE_PEERS);
	assert_int_equal(l->remote.s_addr, ip("198.51.100.9").s_addr);
	/* Prefix 0 alone removes the filter. */
	m.n_filters = 1;
	assert_int_equal(send_msg(MAIL, &m).result, 0);
	assert_int_equal(l->remote.s_addr, 0);
}

/* D29: PEER field checks, copied remote fields, binding suggestions, no delete. */
static void
test_d29_peer(void **state)
{
	struct pcpc_msg p = peer_req(MAIL, 5060, "198.51.100.7", 5060), r;

	(void)state;
	p.proto = 0;
	assert_int_equal(send_msg(MAIL, &p).result, PCP_MALFORMED_REQUEST);
	p.proto = IPPROTO_UDP;
	p.rem_port = 0;
	assert_int_equal(send_msg(MAIL, &p).result, PCP_MALFORMED_REQUEST);
	p.rem_port = 5060;
	p.int_port = 0;
	assert_int_equal(send_msg(MAIL, &p).result, PCP_MALFORMED_REQUEST);
	p.int_port = 5060;
	r = send_msg(MAIL, &p);
	assert_int_equal(r.result, 0);
	assert_int_equal(outlen, 80);
	assert_true(pcpc_matches(&p, &r));
	assert_int_equal(r.rem_port, 5060);
	assert_memory_equal(r.rem_ip, p.rem_ip, 16);
	struct lease *l = lease_find(IPPROTO_UDP, r.ext_port);
	assert_int_equal(l->remote.s_addr, ip("198.51.100.7").s_addr);
	assert_int_equal(l->remote_port, 5060);
	/* PEER cannot delete: lifetime 0 keeps it. */
	p.lifetime = 0;
	r = send_msg(MAIL, &p);
	assert_int_equal(r.result, 0);
	assert_true(r.lifetime > 500);
	assert_int_equal(lease_count(), 1);
	/* A MAP delete cannot remove an outbound (PEER) mapping (§15.1). */
	struct pcpc_msg d = map_req(MAIL, IPPROTO_UDP, 5060, 0, 0);
	assert_int_equal(send_msg(MAIL, &d).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(lease_count(), 1);
	/* A new PEER whose suggested port is taken -> CANNOT_PROVIDE_EXTERNAL. */
	struct pcpc_msg q = peer_req(WS, 5060, "198.51.100.7", 5060);
	q.proto = IPPROTO_UDP;
	q.ext_port = l->ext_port;
	assert_int_equal(send_msg(WS, &q).result, PCP_CANNOT_PROVIDE_EXTERNAL);
	/* A MAP for the same internal end is a separate, inbound mapping. */
	struct pcpc_msg m = map_req(MAIL, IPPROTO_UDP, 5060, 0, 600);
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_int_not_equal(r.ext_port, l->ext_port);
	assert_int_equal(lease_count(), 2);
}

/* RFC 7220: DESCRIPTION names a MAP lease, is echoed as kept, cleaned and cut short. */
static void
test_rfc7220_description(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 25, 600), r;
	char long_text[PCP_DESC_MAX + 1];
	struct lease *l;

	(void)state;
	snprintf(m.description, sizeof(m.description), "porthole smtp");
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_string_equal(r.description, "porthole smtp");
	assert_int_equal(r.n_unknown, 0);
	l = lease_find(IPPROTO_TCP, 25);
	assert_string_equal(l->desc, "porthole smtp");
	/* A renewal without it keeps the text and echoes nothing; with another, it changes. */
	m.description[0] = '\0';
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, 0);
	assert_string_equal(r.description, "");
	assert_string_equal(lease_find(IPPROTO_TCP, 25)->desc, "porthole smtp");
	snprintf(m.description, sizeof(m.description), "mail\r\nforged line");
	r = send_msg(MAIL, &m);
	assert_string_equal(r.description, "mail??forged line");
	assert_string_equal(lease_find(IPPROTO_TCP, 25)->desc, "mail??forged line");
	/* Longer than a lease keeps: cut between characters (2-byte é), not inside one. */
	memset(long_text, 'a', 62);
	memcpy(long_text + 62, "\xc3\xa9", 3);
	struct pcpc_msg u = map_req(MAIL, IPPROTO_UDP, 5060, 5060, 600);
	snprintf(u.description, sizeof(u.description), "%s", long_text);
	r = send_msg(MAIL, &u);
	assert_int_equal(r.result, 0);
	assert_int_equal(strlen(r.description), 62);
	assert_string_equal(lease_find(IPPROTO_UDP, 5060)->desc, r.description);
	/* Not UTF-8 -> '?'; the text a PEER lease is known by is not taken. */
	struct pcpc_msg b = map_req(WS, IPPROTO_TCP, 26, 26, 600);
	snprintf(b.description, sizeof(b.description), "x\xff\xc0\xafy");
	r = send_msg(WS, &b);
	assert_string_equal(r.description, "x???y");
	snprintf(b.description, sizeof(b.description), MAP_DESC_PEER);
	r = send_msg(WS, &b);
	assert_int_equal(r.result, 0);
	assert_string_equal(r.description, "");
	assert_string_equal(lease_find(IPPROTO_TCP, 26)->desc, "x???y");
	/* Twice, or in an ANNOUNCE -> MALFORMED_OPTION, and nothing changes. */
	reqlen = pcpc_build(&m, reqbuf, sizeof(reqbuf));
	pcpc_append_option(reqbuf, &reqlen, sizeof(reqbuf), PCP_OPT_DESCRIPTION, "x", 1);
	assert_int_equal(send_raw(MAIL, reqbuf, reqlen).result, PCP_MALFORMED_OPTION);
	struct pcpc_msg a = { .version = PCP_VERSION, .opcode = PCP_OP_ANNOUNCE };
	pcp_v4mapped(ip(MAIL), a.client_ip);
	snprintf(a.description, sizeof(a.description), "hello");
	assert_int_equal(send_msg(MAIL, &a).result, PCP_MALFORMED_OPTION);
	assert_string_equal(lease_find(IPPROTO_TCP, 25)->desc, "mail??forged line");
	/* PEER: accepted, not applied (its leases keep their own text), not echoed. */
	struct pcpc_msg p = peer_req(MAIL, 5061, "198.51.100.7", 5061);
	snprintf(p.description, sizeof(p.description), "porthole sip");
	r = send_msg(MAIL, &p);
	assert_int_equal(r.result, 0);
	assert_string_equal(r.description, "");
	assert_string_equal(lease_find(IPPROTO_TCP, r.ext_port)->desc, MAP_DESC_PEER);
	assert_int_equal(lease_count(), 4);
}

/* The server reports each answer with the reason it decided beside the code. */
static void
test_results_name_reasons(void **state)
{
	static struct request_result res;
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 25, 600);

	(void)state;
	env.result = &res;
	assert_int_equal(send_msg(MAIL, &m).result, 0);
	assert_int_equal(res.wire, 0);
	assert_false(res.refused);
	m.nonce[0] ^= 1;			/* another client's nonce */
	assert_int_equal(send_msg(MAIL, &m).result, PCP_NOT_AUTHORIZED);
	assert_true(res.refused);
	assert_int_equal(res.why, REFUSED_POLICY);
	assert_int_equal(res.ext_port, 25);
	assert_int_equal(res.client.s_addr, ip(MAIL).s_addr);
	struct pcpc_msg t = map_req(WS, IPPROTO_TCP, 26, 26, 600);
	t.third_party = true;			/* no rule allows it */
	pcp_v4mapped(ip(MAIL), t.tp_addr);
	assert_int_equal(send_msg(WS, &t).result, PCP_UNSUPP_OPTION);
	assert_int_equal(res.why, REFUSED_THIRD_PARTY);
	assert_int_equal(res.client.s_addr, ip(MAIL).s_addr);
	struct pcpc_msg x = map_req(MAIL, IPPROTO_TCP, 27, 27, 600);
	assert_int_equal(send_msg(WS, &x).result, PCP_ADDRESS_MISMATCH);
	assert_int_equal(res.wire, PCP_ADDRESS_MISMATCH);
	assert_int_equal(res.why, REFUSED_MALFORMED);
	env.result = NULL;
}

/* D31 via WAN loss: MAP/PEER -> NETWORK_FAILURE (short), ANNOUNCE still answers. */
static void
test_network_failure(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;

	(void)state;
	lease_set_external(ip("0.0.0.0"));
	r = send_msg(MAIL, &m);
	assert_int_equal(r.result, PCP_NETWORK_FAILURE);
	assert_int_equal(r.lifetime, 30);
	m.opcode = PCP_OP_ANNOUNCE;
	assert_int_equal(send_msg(MAIL, &m).result, 0);
}

/* D33: the mapping update carries the mapping with the new address. */
static void
test_d33_mapping_update(void **state)
{
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;
	uint8_t b[PCP_MAX_MSG];

	(void)state;
	add_filter(&m, "198.51.100.7", 128, 0);
	r = send_msg(MAIL, &m);
	assert_int_equal(pcp_clients_count(), 1);
	const struct pcp_client_ref *c = pcp_clients_at(0);
	assert_int_equal(c->port, 40000);
	lease_set_external(ip("203.0.113.99"));
	size_t n = pcp_build_update(b, sizeof(b), lease_find(IPPROTO_TCP, r.ext_port), c, 1);
	assert_int_equal(pcpc_parse(b, n, &r), 0);
	assert_true(pcpc_matches(&m, &r));
	assert_ext_ip(&r, "203.0.113.99");
	assert_int_equal(r.n_filters, 1);
	assert_int_equal(r.epoch, 1);
}

/* D33's registry of client endpoints: note, update, forget, in any order. */
static void
test_clients_registry(void **state)
{
	(void)state;
	for (uint16_t p = 1; p <= 100; p++)
		pcp_clients_note(p % 2 ? IPPROTO_TCP : IPPROTO_UDP, p, ip(MAIL), p + 1000, false);
	pcp_clients_note(IPPROTO_TCP, 1, ip(WS), 9, true);	/* an update, not a new entry */
	assert_int_equal(pcp_clients_count(), 100);
	for (uint16_t p = 1; p <= 100; p += 3)
		pcp_clients_forget(p % 2 ? IPPROTO_TCP : IPPROTO_UDP, p);
	pcp_clients_forget(IPPROTO_UDP, 1);			/* never noted: no-op */
	assert_int_equal(pcp_clients_count(), 66);
	for (size_t i = 0; i < pcp_clients_count(); i++) {
		const struct pcp_client_ref *c = pcp_clients_at(i);
		assert_int_not_equal((c->ext_port - 1) % 3, 0);
		assert_int_equal(c->port, c->ext_port + 1000);
		assert_int_equal(c->proto, c->ext_port % 2 ? IPPROTO_TCP : IPPROTO_UDP);
	}
	pcp_clients_note(IPPROTO_TCP, 1, ip(WS), 9, true);
	assert_int_equal(pcp_clients_count(), 67);
	pcp_clients_reset();
	assert_int_equal(pcp_clients_count(), 0);
	pcp_clients_note(IPPROTO_TCP, 2, ip(WS), 9, false);
	assert_int_equal(pcp_clients_count(), 1);
}

/* The client module refuses what §8.3 says to ignore. */
static void
test_client_parse(void **state)
{
	struct pcpc_msg r;
	uint8_t b[64] = { 2, 0x81 };

	(void)state;
	assert_int_equal(pcpc_parse(b, 3, &r), -EINVAL);
	assert_int_equal(pcpc_parse(b, 26, &r), -EINVAL);
	assert_int_equal(pcpc_parse(b, 24, &r), -EINVAL);	/* MAP success too short */
	assert_int_equal(pcpc_parse(b, 60, &r), 0);
	b[1] = 0x01;
	assert_int_equal(pcpc_parse(b, 60, &r), -EINVAL);	/* R clear */
	b[0] = 0;
	b[1] = 0x80;
	b[3] = 1;
	assert_int_equal(pcpc_parse(b, 8, &r), 0);		/* NAT-PMP-only server */
	assert_int_equal(r.version, 0);
	assert_int_equal(r.result, PCP_UNSUPP_VERSION);
}

/* A loopback "server" in a child: ignores `skip` requests, then answers with
 * a non-matching reply followed by the real one built by pcp_dispatch. */
static pid_t
fake_server(int fd, int skip)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	for (int seen = 0;; seen++) {
		uint8_t b[2048];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			_exit(1);
		if (seen < skip)
			continue;
		size_t len = pcp_dispatch(&env, ip(MAIL), 1, b, (size_t)n, outbuf, sizeof(outbuf));
		uint8_t wrong[OUT_CAP];
		memcpy(wrong, outbuf, len);
		wrong[24] ^= 0xff;			/* another nonce: must be ignored */
		sendto(fd, wrong, len, 0, (struct sockaddr *)&from, fl);
		sendto(fd, outbuf, len, 0, (struct sockaddr *)&from, fl);
		_exit(0);
	}
}

/* §8.1.1 in the client: retransmits on RT (doubling), matches the reply, gives up. */
static void
test_client_exchange(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = { htonl(INADDR_LOOPBACK) } };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), status;
	struct pcpc_msg m = map_req(MAIL, IPPROTO_TCP, 25, 0, 600), r;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	struct pcpc_xfer x = { .server = sa.sin_addr, .port = ntohs(sa.sin_port), .irt_ms = 100,
	    .mrc = 4 };
	pid_t pid = fake_server(fd, 2);		/* drops the first two */
	int64_t t0 = mono_ms();
	assert_int_equal(pcpc_request(&x, &m, &r), 0);
	int64_t took = mono_ms() - t0;
	waitpid(pid, &status, 0);
	/* RT = (1 + RAND) * IRT >= 90, then (1 + RAND) * 2 * RT >= 0.9 * 2 * 90: at
	 * least 252 ms (less 2 for whole-millisecond clocks) whatever RAND draws. */
	assert_true(took >= 90 + 162 - 2);
	assert_true(took < 3000);	/* generous: a loaded CI machine */
	assert_int_equal(r.result, 0);
	assert_memory_equal(r.nonce, m.nonce, 12);	/* the decoy was skipped */
	/* Nobody answers: the exchange ends after mrc tries. */
	x.mrc = 2;
	t0 = mono_ms();
	assert_int_equal(pcpc_request(&x, &m, &r), -ETIMEDOUT);
	assert_in_range(mono_ms() - t0, 250, 3000);
	close(fd);
	/* Nothing listens at all: the ICMP error ends it at once. */
	x.mrc = 3;
	t0 = mono_ms();
	assert_int_equal(pcpc_request(&x, &m, &r), -ECONNREFUSED);
	assert_true(mono_ms() - t0 < 1000);	/* well before the first retry's 3 tries */
	x.mrc = x.mrd_ms = 0;
	assert_int_equal(pcpc_request(&x, &m, &r), -EINVAL);	/* would retry for ever */
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_b1_d30_announce), T(test_b2_versions), T(test_b3_d15_silence),
		T(test_b4_unsupp_opcode), T(test_d15_malformed_lengths), T(test_d16_address_mismatch),
		T(test_d17_copy_and_echo), T(test_d18_error_lifetimes), T(test_d19_map),
		T(test_d20_hints), T(test_d26_prefer_failure), T(test_d21_nonce), T(test_d22_delete),
		T(test_d23_protocols), T(test_d24_reserved_ports), T(test_d25_option_structure),
		T(test_d27_third_party), T(test_d28_filter), T(test_d29_peer),
		T(test_rfc7220_description), T(test_results_name_reasons),
		T(test_network_failure), T(test_d33_mapping_update), T(test_clients_registry),
		T(test_client_parse), T(test_client_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
