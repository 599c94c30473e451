/*
 * libFuzzer harness: PCP over IPv6 (pcp6_handle: pcp_parse with an IPv6
 * source, then MAP against the pinhole table with no kernel). Each input
 * runs twice: as sent, and with the client address field patched to match
 * the source, so the fuzzer gets past ADDRESS_MISMATCH into MAP, FILTER and
 * THIRD_PARTY. The THIRD_PARTY rule keeps the neighbour table out of it.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "lan6.h"
#include "pcp/pcp_int.h"
#include "pinhole.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct pcp_env env;
static struct in6_addr src;

static void
setup(void)
{
	static const char text[] = "ext_ifname=wan0\nlan_ifname=br-lan\n"
	    "allow 1-65535 2001:db8:1::/64 1-65535 third-party\n";
	char err[256];
	struct in6_addr gw;

	config_parse_buffer("fuzz", text, &cfg, err, sizeof(err));
	pinhole_init(NULL, 1024);
	inet_pton(AF_INET6, "2001:db8:1::1", &gw);
	lan6_add(2, &gw, 64);
	inet_pton(AF_INET6, "2001:db8:1::10", &src);
	env.cfg = &cfg;
}

static void
run(const uint8_t *b, size_t len)
{
	static uint8_t out[PCP_MAX_MSG + 4];
	size_t n = pcp6_handle(&env, &src, b, len, out, sizeof(out));

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
	env.epoch++;
	run(data, size);
	if (size >= 24) {
		memcpy(buf, data, size);
		memcpy(buf + 8, &src, 16);
		run(buf, size);
	}
	if (pinhole_count() > 512)
		pinhole_flush(-1);
	return 0;
}
