/*
 * libFuzzer harness: the PCP request parser (pcp_parse), the whole udp/5351
 * path behind it (pcp_dispatch: MAP/PEER/ANNOUNCE logic on the real lease
 * table over the null backend) and the client's response parser
 * (pcpc_parse). Each input runs twice: as sent, and with the client address
 * field patched to match the source, so the fuzzer gets past
 * ADDRESS_MISMATCH into the opcode and option logic.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "config.h"
#include "lease.h"
#include "pcp/pcp_int.h"
#include "pcp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct pcp_env env;
static struct in_addr src;
static uint8_t src16[16];

static void
setup(void)
{
	static const char text[] = "ext_ifname=wan0\nlan_ifname=br-lan\nmax_per_host=64\n"
	    "allow 1-65535 192.168.77.10/32 1-65535 third-party\n"
	    "deny 1-1023 0.0.0.0/0 1-65535\n"
	    "allow 1-65535 192.168.77.0/24 1-65535\n";
	char err[256];
	struct in_addr ext;

	config_parse_buffer("fuzz", text, &cfg, err, sizeof(err));
	lease_init(&backend_null, &(struct lease_limits){ .max_leases = 4096, .max_per_host = 64 });
	inet_pton(AF_INET, "203.0.113.1", &ext);
	lease_set_external(ext);
	inet_pton(AF_INET, "192.168.77.10", &src);
	pcp_v4mapped(src, src16);
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
	if (size >= 24) {
		memcpy(buf, data, size);
		pcp_v4mapped(src, buf + 8);
		run(buf, size);
	}
	lease_flush(-1);	/* each input starts from an empty table: a crash replays */
	return 0;
}
