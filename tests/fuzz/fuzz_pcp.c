/*
 * libFuzzer harness: the PCP request parser (pcp_parse), the whole udp/5351
 * path behind it (pcp_dispatch: MAP/PEER/ANNOUNCE logic on the real lease
 * table over the null backend) and the client's response parser
 * (pcpc_parse). Each input runs twice: as sent, and with the client address
 * field patched to match the source, so the fuzzer gets past
 * ADDRESS_MISMATCH into the opcode and option logic. The same bytes then go
 * the IPv6 way (pcp6_handle: MAP and PEER open pinholes on the pinhole table, one
 * LAN prefix, a third-party rule so the neighbour table is never asked).
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "config.h"
#include "lan6.h"
#include "lease.h"
#include "pcp/pcp_int.h"
#include "pcp_client.h"
#include "pinhole.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct pcp_env env;
static struct in_addr src;
static uint8_t src16[16];
static struct in6_addr src6;

static void
setup(void)
{
	static const char text[] = "ext_ifname=wan0\nlan_ifname=br-lan\nmax_per_host=64\n"
	    "allow 1-65535 192.168.77.10/32 1-65535 third-party\n"
	    "deny 1-1023 0.0.0.0/0 1-65535\n"
	    "allow 1-65535 192.168.77.0/24 1-65535\n"
	    "allow 1-65535 2001:db8:1::/64 1-65535 third-party\n";
	char err[256];
	struct in_addr ext;
	struct in6_addr gw6;

	config_parse_buffer("fuzz", text, &cfg, err, sizeof(err));
	lease_init(&backend_null, &(struct lease_limits){ .max_leases = 4096, .max_per_host = 64 });
	inet_pton(AF_INET, "203.0.113.1", &ext);
	lease_set_external(ext);
	inet_pton(AF_INET, "192.168.77.10", &src);
	pcp_v4mapped(src, src16);
	pinhole_init(NULL, 1024);
	inet_pton(AF_INET6, "2001:db8:1::1", &gw6);
	lan6_add(2, &gw6, 64);
	inet_pton(AF_INET6, "2001:db8:1::10", &src6);
	env.cfg = &cfg;
}

static void
run(const uint8_t *b, size_t len)
{
	static uint8_t out[PCP_MAX_MSG + 4];
	struct pcp_req r;
	struct pcpc_msg m;
	size_t n;

	pcp_parse(b, len, src16, &r);
	n = pcp_dispatch(&env, src, 40000, b, len, out, sizeof(out));
	if (n && pcpc_parse(out, n, &m) != 0 && out[0] == PCP_VERSION)
		__builtin_trap();	/* our own replies must parse */
	pcpc_parse(b, len, &m);
}

static void
run6(const uint8_t *b, size_t len)
{
	static uint8_t out[PCP_MAX_MSG + 4];
	size_t n = pcp6_handle(&env, &src6, b, len, out, sizeof(out));

	if (n > PCP_MAX_MSG || (n && (out[0] != PCP_VERSION || !(out[1] & 0x80))))
		__builtin_trap();	/* every reply is a PCP response that fits */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint8_t buf[2048];

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size > sizeof(buf))
		return 0;
	env.epoch = 1000;
	run(data, size);
	run6(data, size);
	if (size >= 24) {
		memcpy(buf, data, size);
		pcp_v4mapped(src, buf + 8);
		run(buf, size);
		memcpy(buf + 8, &src6, 16);
		run6(buf, size);
	}
	lease_flush(-1);	/* each input starts from an empty table: a crash replays */
	pinhole_flush(-1);
	return 0;
}
