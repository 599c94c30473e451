/*
 * libFuzzer harness: the NAT-PMP request parser (natpmp_parse) and the
 * NAT-PMP logic behind it (natpmp_handle on the real lease table over the
 * null backend), from two LAN hosts so mappings meet each other.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "config.h"
#include "lease.h"
#include "pcp/pcp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct pcp_env env;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint8_t out[PCP_MAX_MSG + 4];
	struct natpmp_req r;
	struct in_addr src;

	if (!ready) {
		char err[256];
		struct in_addr ext;
		config_parse_buffer("fuzz", "ext_ifname=wan0\nlan_ifname=br-lan\nmax_lifetime=600\n"
		    "deny 1-1023 0.0.0.0/0 1-65535\nallow 1-65535 192.168.77.0/24 1-65535\n",
		    &cfg, err, sizeof(err));
		lease_init(&backend_null, &(struct lease_limits){ .max_leases = 4096 });
		inet_pton(AF_INET, "203.0.113.1", &ext);
		lease_set_external(ext);
		env.cfg = &cfg;
		ready = 1;
	}
	natpmp_parse(data, size, &r);
	inet_pton(AF_INET, size & 1 ? "192.168.77.10" : "192.168.77.20", &src);
	natpmp_handle(&env, src, data, size, out, sizeof(out));
	lease_flush(-1);	/* each input starts from an empty table: a crash replays */
	return 0;
}
