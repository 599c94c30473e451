/*
 * libFuzzer harness: the SOAP envelope parser (soap_parse, libxml2 behind
 * it) and every action behind soap_dispatch, on the real lease table over
 * the null backend, and WANIPv6FirewallControl on the pinhole table with one
 * LAN prefix. The first byte picks the service and the requesting LAN host,
 * the rest is the HTTP body. Pinhole calls run without secure_mode, so no
 * input waits on the neighbour table.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "config.h"
#include "event.h"
#include "lan6.h"
#include "lease.h"
#include "pinhole.h"
#include "upnp/upnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;

static void
setup(void)
{
	char err[256];
	struct in_addr ext;

	struct in6_addr gw;

	config_parse_buffer("fuzz", "ext_ifname=lo\nlan_ifname=lo\n"
	    "allow 1-65535 192.168.77.0/24 1-65535\n"
	    "allow 1-65535 2001:db8:1::/64 1-65535\n", &cfg, err, sizeof(err));
	ev_init();
	soap_init();
	lease_init(&backend_null, &(struct lease_limits){ .max_leases = 4096 });
	inet_pton(AF_INET, "203.0.113.1", &ext);
	lease_set_external(ext);
	pinhole_init(NULL, 512);
	inet_pton(AF_INET6, "2001:db8:1::1", &gw);
	lan6_add(2, &gw, 64);
	upnp_st.cfg = &cfg;
	upnp_st.primary = 2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct soap_req rq;
	struct in6_addr peer = IN6ADDR_ANY_INIT;
	struct sbuf out;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	enum upnp_svc svc = (enum upnp_svc)(data[0] % SVC_COUNT);
	cfg.secure_mode = !(data[0] & 0x80) && svc != SVC_V6FC1;
	/* A peer on IPv4 (as ::ffff:a.b.c.d) or on IPv6. */
	if (data[0] & 0x10) {
		inet_pton(AF_INET6, data[0] & 0x40 ? "2001:db8:1::20" : "2001:db8:1::10", &peer);
	} else {
		peer.s6_addr[10] = peer.s6_addr[11] = 0xff;
		inet_pton(AF_INET, data[0] & 0x40 ? "192.168.77.20" : "192.168.77.10",
		    &peer.s6_addr[12]);
	}
	if (soap_parse((const char *)data + 1, size - 1, &rq) != 0)
		return 0;
	sbuf_init(&out);
	soap_dispatch(svc, (data[0] & 0x20) ? "x#y" : NULL, &rq, &peer, NULL, &out, NULL);
	sbuf_free(&out);
	lease_flush(-1);	/* each input starts from an empty table: a crash replays */
	pinhole_flush(-1);
	return 0;
}
