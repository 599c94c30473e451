/*
 * upnp: the UPnP IGD front-end as main sees it. Works out the device UUIDs,
 * BOOTID and CONFIGID, then starts the description store, HTTP (SOAP and
 * GENA) and SSDP, and stops them in reverse. The state and helpers those
 * modules share are in shared.c, so none of them calls back into this
 * file. See upnp.h for the map.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "upnp.h"

static uint64_t
fnv64(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/*
 * A configured UUID is used as given. Otherwise one is derived from the
 * machine id, the host name and the WAN interface name, so it stays the
 * same across restarts (clients cache descriptions by UDN).
 */
static int
make_uuids(const struct config *cfg)
{
	char mid[64] = "", host[64] = "";
	uint8_t b[16];
	FILE *f;

	if (cfg->uuid[0]) {
		const char *u = strncmp(cfg->uuid, "uuid:", 5) == 0 ? cfg->uuid + 5 : cfg->uuid;
		if (!config_uuid_valid(u))
			return -EINVAL;		/* config.c refuses such a file; kept as a guard */
		for (int d = 0; d < UPNP_NDEV; d++)
			memcpy(upnp_st.uuid[d], u, UPNP_UUID_LEN + 1);
	} else {
		if ((f = fopen("/etc/machine-id", "re"))) {
			if (!fgets(mid, sizeof(mid), f))
				mid[0] = '\0';
			fclose(f);
		}
		gethostname(host, sizeof(host) - 1);
		uint64_t h1 = fnv64(fnv64(fnv64(14695981039346656037ull, mid), host), cfg->ext_ifname);
		uint64_t h2 = fnv64(fnv64(h1, "porthole-igd"), cfg->ext_ifname);
		memcpy(b, &h1, 8);
		memcpy(b + 8, &h2, 8);
		for (int d = 0; d < UPNP_NDEV; d++)
			upnp_uuid_format(b, upnp_st.uuid[d]);
	}
	/* Embedded devices differ from the root in the last digit. */
	for (int d = 1; d < UPNP_NDEV; d++) {
		char *last = &upnp_st.uuid[d][UPNP_UUID_LEN - 1];
		int v = (*last >= 'a' ? *last - 'a' + 10 : *last >= 'A' ? *last - 'A' + 10 :
		    *last - '0');
		*last = "0123456789abcdef"[(v + d) & 15];
	}
	return 0;
}

static int
upnp_start(const struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	int rc;

	memset(&upnp_st, 0, sizeof(upnp_st));
	upnp_st.cfg = cfg;
	upnp_st.gw = *gw;
	upnp_st.primary = cfg->igd_version == 1 ? 1 : 2;
	if (make_uuids(cfg) < 0) {
		log_warnx("upnp: uuid \"%s\" is not a UUID (want 8-4-4-4-12 hex digits)",
		    cfg->uuid);
		return -EINVAL;
	}
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(upnp_st.server, sizeof(upnp_st.server), "%.32s/%.32s UPnP/1.1 porthole/0.1",
		    u.sysname, u.release);
	else
		snprintf(upnp_st.server, sizeof(upnp_st.server), "Linux UPnP/1.1 porthole/0.1");
	/* BOOTID.UPNP.ORG: rises with every start, fits in 31 bits. */
	upnp_st.bootid = (uint32_t)time(NULL) & 0x7fffffff;
	soap_init();
	if ((rc = describe_init()) < 0)
		return rc;
	upnp_st.configid = describe_configid();
	if ((rc = gena_init()) < 0)
		return rc;
	upnp_st.running = true;
	if ((rc = http_init()) < 0)
		return rc;
	if ((rc = ssdp_init()) < 0)
		return rc;
	return 0;
}

static void
upnp_fini(void)
{
	if (!upnp_st.cfg)
		return;
	ssdp_fini();
	http_fini();
	gena_fini();
	describe_fini();
	upnp_st.running = false;
	upnp_st.cfg = NULL;
}

static int
upnp_init(const struct gateway *gw)
{
	int rc;

	if (!gw->cfg->enable_upnp)
		return 0;
	if (gw->n_lan == 0) {
		log_warnx("upnp: no LAN interface to serve; set lan_ifname");
		return -EINVAL;
	}
	if ((rc = upnp_start(gw)) < 0) {
		upnp_fini();
		return rc;
	}
	log_info("upnp: IGD:%d on port %u, uuid %s", upnp_st.primary, upnp_st.http_port,
	    upnp_st.uuid[UPNP_DEV_ROOT]);
	return 0;
}

/* Rules, secure_mode and the rest are read through upnp_st.cfg on each request. */
static void
upnp_reconfigure(const struct config *cfg)
{
	if (!upnp_st.cfg)
		return;
	upnp_st.cfg = cfg;
	upnp_st.gw.cfg = cfg;
}

const struct frontend frontend_upnp = {
	.name = "upnp",
	.init = upnp_init,
	.reconfigure = upnp_reconfigure,
	.fini = upnp_fini,
};
