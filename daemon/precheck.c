/*
 * precheck: what `portholed -n` checks beyond the file itself: what a start
 * would find wrong on this machine (interfaces, addresses, the directories
 * of the control socket and the lease file), without changing anything.
 * A start fails on an error and runs degraded after a warning.
 */
#include "precheck.h"

#include <arpa/inet.h>
#include <libgen.h>
#include <net/if.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "netif.h"
#include "privsep.h"

/* Can a file be created in the directory of path? */
static int
dir_writable(const char *path, char *dir, size_t dirlen)
{
	char copy[CONFIG_PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, dirlen, "%s", dirname(copy));
	return access(dir, W_OK | X_OK) == 0;
}

static void
check_interfaces(const struct precheck *pc, const struct config *cfg, unsigned *errors)
{
	struct in_addr a;
	uint8_t plen;

	if (!if_nametoindex(cfg->ext_ifname)) {
		fprintf(pc->out, "portholed: %s: error: ext_ifname=%s: no such interface here "
		    "(`ip link` lists them); set your WAN interface\n", pc->name, cfg->ext_ifname);
		++*errors;
	} else if (!cfg->ext_ip.s_addr && netif_ipv4(cfg->ext_ifname, &a, &plen) < 0) {
		fprintf(pc->out, "portholed: %s: warning: ext_ifname=%s has no IPv4 address yet; "
		    "mappings start working once it gets one\n", pc->name, cfg->ext_ifname);
	}
	for (int i = 0; i < cfg->n_lan; i++) {
		const char *lan = cfg->lan_ifname[i];
		if (!if_nametoindex(lan)) {
			fprintf(pc->out, "portholed: %s: error: lan_ifname=%s: no such interface here "
			    "(`ip link` lists them)\n", pc->name, lan);
			++*errors;
		} else if (netif_ipv4(lan, &a, &plen) < 0) {
			fprintf(pc->out, "portholed: %s: error: lan_ifname=%s has no IPv4 address; "
			    "the LAN's prefix is read from it\n", pc->name, lan);
			++*errors;
		}
	}
}

static void
check_paths(const struct precheck *pc, const struct config *cfg, unsigned *errors)
{
	char dir[CONFIG_PATH_MAX];

	if (strlen(cfg->control_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(pc->out, "portholed: %s: error: control_socket=%s: a socket path is at most %zu "
		    "characters\n", pc->name, cfg->control_socket,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		++*errors;
	} else if (!dir_writable(cfg->control_socket, dir, sizeof(dir))) {
		fprintf(pc->out, "portholed: %s: error: control_socket=%s: cannot create it in %s "
		    "(missing or not writable)\n", pc->name, cfg->control_socket, dir);
		++*errors;
	}
	if (cfg->lease_file[0] && !dir_writable(cfg->lease_file, dir, sizeof(dir)))
		fprintf(pc->out, "portholed: %s: warning: lease_file=%s: %s is missing or not writable; "
		    "leases would not survive a restart\n", pc->name, cfg->lease_file, dir);
}

unsigned
precheck_run(const struct precheck *pc, const struct config *cfg)
{
	unsigned errors = 0;
	char why[512];

	check_interfaces(pc, cfg, &errors);
	check_paths(pc, cfg, &errors);
	if (cfg->user[0] && privsep_user_problem(cfg, why, sizeof(why))) {
		fprintf(pc->out, "portholed: %s: error: user=%s: %s\n", pc->name, cfg->user, why);
		errors++;
	}
	return errors;
}
