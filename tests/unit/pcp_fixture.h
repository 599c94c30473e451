/*
 * pcp_fixture.h: what test_natpmp.c and test_pcp.c share: a config with
 * the lab's permission rule, the lease table on the null backend, and
 * small byte helpers. Included, not compiled on its own.
 */
#ifndef PCP_FIXTURE_H
#define PCP_FIXTURE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "backend/backend.h"
#include "config.h"
#include "event.h"
#include "lease.h"
#include "pcp/pcp_int.h"
#include "wire.h"

#define EXT	"203.0.113.1"
#define MAIL	"192.168.77.10"
#define WS	"192.168.77.20"
#define OUT_CAP	(PCP_MAX_MSG + 4)

static struct config cfg;
static struct pcp_env env;


/* extra: more config lines, e.g. rules or limits. */
static int
fixture_up(const char *extra, size_t max_leases, size_t max_per_host)
{
	char text[1024], err[256];

	snprintf(text, sizeof(text), "ext_ifname=wan0\nlan_ifname=br-lan\n%s"
	    "allow 1-65535 192.168.77.0/24 1-65535\n", extra);
	ev_init();
	if (config_parse_buffer("test", text, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	lease_init(&backend_null, &(struct lease_limits){ .max_leases = max_leases, .max_per_host = max_per_host });
	lease_set_external(ip(EXT));
	pcp_clients_reset();
	env.cfg = &cfg;
	env.epoch = 42;
	return 0;
}

static int
fixture_setup(void **state)
{
	(void)state;
	return fixture_up("", 0, 0);
}

static int
fixture_teardown(void **state)
{
	(void)state;
	lease_fini();
	config_free(&cfg);
	pcp_clients_reset();
	ev_fini();
	return 0;
}

static void
add_static(uint8_t proto, uint16_t ext, const char *host, uint16_t port)
{
	struct lease_req r = { .proto = proto, .ext_port = ext, .int_addr = ip(host),
	    .int_port = port, .owner = OWNER_STATIC, .desc = "static" };

	assert_int_equal(lease_add(&r, NULL), 0);
}

#endif
