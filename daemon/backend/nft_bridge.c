/*
 * nft_bridge: warn about the one hairpin case our rules cannot fix.
 *
 * With br_netfilter loaded (net.bridge.bridge-nf-call-iptables=1), frames
 * entering a bridge port pass the IPv4 hooks at the bridge. When DNAT there
 * sends a packet to a host on the same bridge, the kernel bridges it instead
 * of routing it, and a bridge never sends a frame back out the port it came
 * in by unless that port has hairpin mode. So a LAN host reaching its *own*
 * mapping through the external address (a server checking itself) gets no
 * answer, while other LAN hosts are fine. Say so once, with the fixes.
 */
#include "backend/nft_int.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "log.h"

static int
read_flag(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The first port of bridge `ifname` without hairpin mode, or NULL. */
static const char *
port_without_hairpin(const char *ifname, char *port, size_t len)
{
	char path[256];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/brif", ifname);
	if (!(dir = opendir(path)))
		return NULL;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		size_t n = strlen(d->d_name);
		if (n >= len || snprintf(path, sizeof(path), "/sys/class/net/%s/brif/%s/hairpin_mode",
		    ifname, d->d_name) >= (int)sizeof(path))
			continue;
		if (read_flag(path) == 0) {
			memcpy(port, d->d_name, n + 1);
			closedir(dir);
			return port;
		}
	}
	closedir(dir);
	return NULL;
}

void
nft_bridge_check(const struct backend_config *cfg)
{
	char port[64];

	if (read_flag("/proc/sys/net/bridge/bridge-nf-call-iptables") != 1)
		return;
	for (int i = 0; i < cfg->n_lan && i < CONFIG_MAX_LAN && cfg->lan_ifnames[i]; i++) {
		if (!port_without_hairpin(cfg->lan_ifnames[i], port, sizeof(port)))
			continue;
		log_warnx("nft: %s is a bridge and net.bridge.bridge-nf-call-iptables=1: a LAN "
		    "host cannot reach its own mapping through the external address (port %s "
		    "has no hairpin mode); fix with `bridge link set dev PORT hairpin on` for "
		    "each port, or sysctl net.bridge.bridge-nf-call-iptables=0",
		    cfg->lan_ifnames[i], port);
	}
}
