/*
 * portholed: wires the modules together in dependency order
 * (config → backend → lease table → control → front-ends) and runs the
 * event loop; tears down in reverse so the kernel is left as found.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <poll.h>

#include "backend/backend.h"
#include "config.h"
#include "control.h"
#include "event.h"
#include "frontend.h"
#include "lease.h"
#include "log.h"
#include "netif.h"

static const struct frontend *const frontends[] = { &frontend_pcp, &frontend_upnp };
#define N_FRONTENDS (sizeof(frontends) / sizeof(frontends[0]))

static struct config cfg;
static struct gateway gw;
static const struct backend_ops *backend = &backend_nft;

static void
usage(void)
{
	fprintf(stderr, "usage: portholed [-d] [-v] [-n] [-f CONFIG]\n"
	    "  -f CONFIG  configuration file (default /etc/portholed.conf)\n"
	    "  -d         stay in the foreground and log to stderr\n"
	    "  -v         log debug lines too\n"
	    "  -n         check the configuration and exit\n");
	exit(2);
}

static bool
frontend_enabled(const struct frontend *fe)
{
	if (fe == &frontend_pcp)
		return cfg.enable_natpmp || cfg.enable_pcp;
	if (fe == &frontend_upnp)
		return cfg.enable_upnp;
	return true;
}

static void
signal_readable(int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;

	(void)revents;
	(void)arg;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: configuration reload is not supported yet; restart to apply changes");
		return;
	}
	log_info("signal %u: shutting down", si.ssi_signo);
	ev_quit();
}

static int
signals_init(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return ev_fd_add(fd, POLLIN, signal_readable, NULL);
}

static struct in_addr
initial_external(void)
{
	struct in_addr ext = cfg.ext_ip;

	if (!ext.s_addr && netif_ipv4(cfg.ext_ifname, &ext, NULL) < 0)
		log_warnx("WAN interface %s has no IPv4 address yet", cfg.ext_ifname);
	if (ext.s_addr && netif_is_private(ext))
		log_warnx("external address %s is private: this router is behind another NAT "
		    "(double NAT); mappings will not be reachable from the Internet",
		    inet_ntoa(ext));
	return ext;
}

static void
backend_config_from(struct backend_config *bc)
{
	memset(bc, 0, sizeof(*bc));
	bc->table = cfg.table;
	bc->ext_ifname = cfg.ext_ifname;
	for (int i = 0; i < gw.n_lan; i++) {
		bc->lan_ifnames[i] = gw.lan[i].ifname;
		bc->lan_net[i] = gw.lan[i].addr;
		bc->lan_plen[i] = gw.lan[i].plen;
	}
	bc->n_lan = gw.n_lan;
}

int
main(int argc, char **argv)
{
	const char *path = "/etc/portholed.conf";
	bool foreground = false, verbose = false, check_only = false;
	char err[512];
	int opt, rc;

	while ((opt = getopt(argc, argv, "f:dvnh")) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 'd': foreground = true; break;
		case 'v': verbose = true; break;
		case 'n': check_only = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "portholed: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("portholed: %s: configuration OK\n", path);
		return 0;
	}
	log_init("portholed", foreground, verbose);
	if (ev_init() < 0 || signals_init() < 0)
		fatal("cannot set up the event loop");
	if (gateway_resolve(&gw, &cfg, err, sizeof(err)) < 0)
		fatalx("%s", err);

	struct backend_config bc;
	backend_config_from(&bc);
	if ((rc = backend->open(&bc)) < 0)
		fatalx("cannot create nftables table inet %s: %s", cfg.table, strerror(-rc));
	lease_init(backend, &(struct lease_limits){ cfg.max_leases, cfg.max_per_host });
	if ((rc = lease_set_external(initial_external())) < 0)
		log_warnx("cannot install the external address: %s", strerror(-rc));
	if ((rc = control_init(cfg.control_socket)) < 0) {
		backend->close();
		fatalx("cannot open control socket %s: %s", cfg.control_socket, strerror(-rc));
	}
	size_t started = 0;
	for (; started < N_FRONTENDS; started++) {
		const struct frontend *fe = frontends[started];
		if (!frontend_enabled(fe))
			continue;
		if ((rc = fe->init(&gw)) < 0) {
			log_warnx("%s: cannot start: %s", fe->name, strerror(-rc));
			break;
		}
	}
	if (started == N_FRONTENDS) {
		if (!foreground && daemon(0, 0) < 0)
			log_warn("daemon");
		log_info("portholed started: table inet %s, %d LAN interface(s)", cfg.table, gw.n_lan);
		if ((rc = ev_run()) < 0)
			log_warnx("event loop failed: %s", strerror(-rc));
	}
	while (started-- > 0)
		if (frontend_enabled(frontends[started]))
			frontends[started]->fini();
	control_fini();
	lease_fini();
	backend->close();
	config_free(&cfg);
	ev_fini();
	log_info("portholed stopped; table inet %s removed", cfg.table);
	return rc < 0 ? 1 : 0;
}
