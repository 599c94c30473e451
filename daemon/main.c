/*
 * portholed: wires the modules together in dependency order
 * (config → backend → lease table → control → front-ends) and runs the
 * event loop; tears down in reverse so the kernel is left as found.
 */
#include <errno.h>
#include <getopt.h>
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
#include "guard.h"
#include "kernwatch.h"
#include "lan6.h"
#include "lease.h"
#include "leasestore.h"
#include "log.h"
#include "neigh.h"
#include "pcp_wire.h"
#include "netif.h"
#include "pinhole.h"
#include "precheck.h"
#include "privdrop.h"
#include "privsep.h"
#include "ratelimit.h"
#include "sdnotify.h"
#include "stats.h"
#include "stun.h"
#include "upstream.h"
#include "wanwatch.h"

/* The protocols first, so clients are answered as soon as possible after a
 * restart; the operator's pages after them. */
static const struct frontend *const frontends[] = {
	&frontend_pcp, &frontend_pcp6, &frontend_upnp, &frontend_status,
};
#define N_FRONTENDS (sizeof(frontends) / sizeof(frontends[0]))

static const char *cfg_path = "/etc/portholed.conf";
static struct config *cfg;	/* the running one; a SIGHUP replaces it whole */
static struct gateway gw;
static const struct backend_ops *backend = &backend_nft;
static struct backend_config bc;

/* --help prints this to stdout and exits 0; a usage error to stderr, exit 2. */
static void
usage(FILE *out, int status)
{
	fprintf(out, "usage: portholed [-d] [-v] [-n] [-N] [-f CONFIG]\n"
	    "  -f, --config CONFIG  configuration file (default /etc/portholed.conf)\n"
	    "  -d, --foreground     stay in the foreground and log to stderr\n"
	    "  -v, --verbose        log debug lines too\n"
	    "  -n, --check          check the configuration and exit\n"
	    "  -N, --dry-run        answer and list mappings, put nothing into the kernel\n"
	    "  -h, --help           this text\n"
	    "  -V, --version        the version\n");
	exit(status);
}

static bool
frontend_enabled(const struct frontend *fe)
{
	if (fe == &frontend_pcp)
		return cfg->enable_natpmp || cfg->enable_pcp;
	if (fe == &frontend_pcp6)
		return cfg->enable_pcp;
	if (fe == &frontend_upnp)
		return cfg->enable_upnp;
	if (fe == &frontend_status)
		return cfg->status_port != 0;
	return true;
}

/* Someone removed our table (or part of it): build it again, mappings and all. */
static void
rebuild_kernel_state(void)
{
	int rc = backend->open(&bc);

	if (rc == 0)
		rc = lease_reinstall();
	if (rc == 0)
		rc = pinhole_reinstall();
	if (rc < 0)
		log_warnx("nftables: rebuilding table inet %s failed: %s", cfg->table, strerror(-rc));
	else
		log_info("nftables: table inet %s rebuilt with %zu mappings and %zu pinholes",
		    cfg->table, lease_count(), pinhole_count());
}

static void
backend_config_from(struct backend_config *out)
{
	memset(out, 0, sizeof(*out));
	out->table = cfg->table;
	out->ext_ifname = cfg->ext_ifname;
	for (int i = 0; i < gw.n_lan; i++) {
		out->lan_ifnames[i] = gw.lan[i].ifname;
		out->lan_net[i] = gw.lan[i].addr;
		out->lan_plen[i] = gw.lan[i].plen;
	}
	out->n_lan = gw.n_lan;
}

/* One log line per problem of a refused configuration; the first says what happens. */
static void
log_config_problems(const char *err)
{
	for (const char *p = err; *p;) {
		size_t n = strcspn(p, "\n");
		log_warnx("SIGHUP: %.*s%s", (int)n, p,
		    p == err ? "; keeping the running configuration" : "");
		p += n + (p[n] == '\n');
	}
}

/* The host behind a LAN address, for max_per_host: its link-layer address. */
static int
host_key(struct in_addr addr, uint64_t *key)
{
	const struct gw_lan *lan = gateway_lan_of(&gw, addr);
	struct in6_addr a;

	pcp_v4mapped(addr, a.s6_addr);
	return lan && neigh_key(&a, lan->ifindex, key) == 0;
}

/* The same for a pinhole's address (on the LAN interface whose prefix holds
 * it), or an IPv4 requester as ::ffff:a.b.c.d. */
static int
host_key6(const struct in6_addr *addr, uint64_t *key)
{
	const struct lan6_prefix *p;
	struct in_addr v4;

	if (!IN6_IS_ADDR_V4MAPPED(addr))
		return (p = lan6_prefix_of(addr, 0)) && neigh_key(addr, p->ifindex, key) == 0;
	memcpy(&v4, &addr->s6_addr[12], 4);
	return host_key(v4, key);
}

/*
 * Do the rules in force permit a mapping made earlier? The one test for
 * SIGHUP and for leases read back from the lease file. Static mappings are
 * the admin's; a third-party mapping is judged as if its host had asked,
 * since who asked is not kept.
 */
static bool
rules_permit(enum lease_owner owner, uint16_t ext_port, struct in_addr ia, uint16_t int_port)
{
	return owner == OWNER_STATIC ||
	    policy_check(&cfg->policy, ext_port, ia, int_port, ia) == POLICY_ALLOW;
}

static bool
restore_permitted(const struct lease_req *r)
{
	/* NAT-PMP and PCP never grant more than max_lifetime, nor forever. */
	if ((r->owner == OWNER_NATPMP || r->owner == OWNER_PCP) &&
	    (r->lifetime == 0 || r->lifetime > cfg->max_lifetime))
		return false;
	return rules_permit(r->owner, r->ext_port, r->int_addr, r->int_port);
}

/* Do the rules in force let the host have this pinhole (judged as if it
 * asked for itself; a third-party grant is not re-checked)? The admin's own stay. */
static bool
pinhole_rules_permit(enum lease_owner owner, const struct in6_addr *addr, uint16_t port)
{
	return owner == OWNER_STATIC ||
	    policy_check6(&cfg->policy, port, addr, true) == POLICY_ALLOW;
}

/* A pinhole from the lease file: as a mapping, plus the LAN's IPv6 prefixes
 * (once lan6 has read any: at boot the LAN may have none yet, then lan6
 * judges them when they come). */
static bool
restore_pinhole_permitted(const struct pinhole_req *r)
{
	if (r->owner == OWNER_PCP && (r->lifetime == 0 || r->lifetime > cfg->max_lifetime))
		return false;
	if (lan6_count() > 0 && (!lan6_prefix_of(&r->int_addr, 0) || lan6_is_own(&r->int_addr)))
		return false;
	return pinhole_rules_permit(r->owner, &r->int_addr, r->int_port);
}

/*
 * Make next the running configuration: the core's limits first, then each
 * running front-end through its reconfigure hook (it keeps the pointer), and
 * only then is the old one freed, as nobody points into it any more.
 */
static void
switch_config(struct config *next)
{
	struct config *old = cfg;

	cfg = next;
	gw.cfg = next;
	backend_config_from(&bc);
	ratelimit_set(cfg->rate_limit);
	lease_set_limits(&(struct lease_limits){ cfg->max_leases, cfg->max_per_host, host_key });
	pinhole_set_limits(cfg->max_pinholes, cfg->max_per_host, host_key6);
	for (size_t i = 0; i < N_FRONTENDS; i++)
		if (frontend_enabled(frontends[i]) && frontends[i]->reconfigure)
			frontends[i]->reconfigure(cfg);
	config_free(old);
	free(old);
}

/* Pinholes the running rules forbid. */
static size_t
pinholes_no_longer_permitted(void)
{
	char a[INET6_ADDRSTRLEN];
	size_t dropped = 0;

	for (size_t i = pinhole_count(); i-- > 0;) {
		struct pinhole *p = pinhole_at(i);
		if (!p || pinhole_rules_permit(p->owner, &p->int_addr, p->int_port))
			continue;
		log_info("SIGHUP: %s pinhole %s [%s]:%u no longer permitted; removed",
		    lease_owner_name(p->owner), lease_proto_name(p->proto),
		    inet_ntop(AF_INET6, &p->int_addr, a, sizeof(a)), p->int_port);
		pinhole_remove(p, LEASE_REMOVED);
		dropped++;
	}
	return dropped;
}

/* Mappings the running rules no longer permit (static ones are the admin's own). */
static size_t
drop_unpermitted(void)
{
	size_t dropped = 0;

	for (size_t i = lease_count(); i-- > 0;) {
		struct lease *l = lease_at(i);
		if (!l || rules_permit(l->owner, l->ext_port, l->int_addr, l->int_port))
			continue;
		log_info("SIGHUP: %s mapping %s %u -> %s:%u no longer permitted; removed",
		    lease_owner_name(l->owner), lease_proto_name(l->proto), l->ext_port,
		    inet_ntoa(l->int_addr), l->int_port);
		lease_remove(l, LEASE_REMOVED);
		dropped++;
	}
	return dropped;
}

/*
 * SIGHUP: load the file again; keys that need a restart keep their running
 * values (config_reload) and are named in the log; the rest take effect now.
 */
static void
reload(void)
{
	struct config *next = malloc(sizeof(*next));
	char err[4096], restart[512];

	if (!next) {
		log_warnx("SIGHUP: out of memory; keeping the running configuration");
		return;
	}
	if (config_reload(cfg_path, cfg, next, restart, sizeof(restart), err, sizeof(err)) < 0) {
		log_config_problems(err);
		free(next);
		return;
	}
	if (restart[0])
		log_warnx("SIGHUP: changed %s: these take effect only at a restart; "
		    "running with the old values", restart);
	switch_config(next);
	size_t maps = drop_unpermitted(), pins = pinholes_no_longer_permitted();
	log_info("SIGHUP: configuration reloaded from %s; %zu mappings and %zu pinholes removed",
	    cfg_path, maps, pins);
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
		sdnotify("RELOADING=1");
		reload();
		sdnotify("READY=1");
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
	struct in_addr ext = cfg->ext_ip;

	if (!ext.s_addr && netif_ipv4(cfg->ext_ifname, &ext, NULL) < 0)
		log_warnx("WAN interface %s has no IPv4 address yet", cfg->ext_ifname);
	if (ext.s_addr && netif_is_private(ext) && !cfg->stun_server[0] &&
	    cfg->upstream == UPSTREAM_MODE_OFF)
		log_warnx("external address %s is private: this router is behind another NAT "
		    "(double NAT); mappings will not be reachable from the Internet, and "
		    "clients are told the private address (set upstream=auto or stun_server)",
		    inet_ntoa(ext));
	return ext;
}

/* What no mapping may do (guard.h): the LAN prefixes it must point into. */
static int
guard_from_gateway(void)
{
	struct guard_lan lans[GUARD_MAX_LAN];

	for (int i = 0; i < gw.n_lan && i < GUARD_MAX_LAN; i++)
		lans[i] = (struct guard_lan){ gw.lan[i].addr, gw.lan[i].plen };
	return guard_configure(lans, gw.n_lan, gw.ext_ifindex);
}

static const struct pinhole_backend *
pinhole_backend_for(const struct backend_ops *be)
{
	if (be == &backend_nft)
		return backend_nft_pinholes(cfg->table);
	if (be == &backend_privsep)
		return &backend_privsep_pinholes;
	return NULL;	/* the null backend: a dry run */
}

static void
restore_leases(void)
{
	char err[512];

	if (cfg->lease_file[0] &&
	    leasestore_init(cfg->lease_file, restore_permitted, restore_pinhole_permitted, err,
	    sizeof(err)) < 0)
		log_warnx("lease file %s: %s; leases will not survive a restart",
		    cfg->lease_file, err);
}

/* -n: the file parsed; now what a start would find on this machine. */
static int
check_machine(void)
{
	unsigned errors = precheck_run(&(struct precheck){ cfg_path, stderr }, cfg);

	if (errors) {
		fprintf(stderr, "portholed: %s: %u error(s): a start would fail\n", cfg_path,
		    errors);
		return 1;
	}
	printf("portholed: %s: configuration OK\n", cfg_path);
	printf("portholed: %s\n", PRECHECK_NOT_CHECKED);
	return 0;
}

int
main(int argc, char **argv)
{
	bool foreground = false, verbose = false, check_only = false;
	char err[4096];
	int opt, rc;

	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "foreground", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(argc, argv, "f:dvnNhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': cfg_path = optarg; break;
		case 'd': foreground = true; break;
		case 'v': verbose = true; break;
		case 'n': check_only = true; break;
		case 'N': backend = &backend_null; break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("portholed %s\n", PORTHOLE_VERSION); return 0;
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (!(cfg = malloc(sizeof(*cfg))))
		fatal("out of memory");
	if (config_load(cfg_path, cfg, err, sizeof(err)) < 0) {
		for (const char *p = err; *p;) {
			size_t n = strcspn(p, "\n");
			fprintf(stderr, "portholed: %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
		return 1;
	}
	if (check_only)
		return check_machine();
	log_init("portholed", foreground, verbose);
	if (cfg->user[0] && backend == &backend_nft && privsep_start(cfg, &foreground) == 0)
		backend = &backend_privsep;	/* the parent never returns from there */
	if (ev_init() < 0 || signals_init() < 0)
		fatal("cannot set up the event loop");
	if (gateway_resolve(&gw, cfg, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (guard_from_gateway() < 0)
		fatalx("too many LAN interfaces");

	backend_config_from(&bc);
	if ((rc = backend->open(&bc)) < 0)
		fatalx("cannot create nftables table inet %s: %s", cfg->table, strerror(-rc));
	lease_init(backend, &(struct lease_limits){ cfg->max_leases, cfg->max_per_host, host_key });
	pinhole_init(pinhole_backend_for(backend), cfg->max_pinholes);
	pinhole_set_limits(cfg->max_pinholes, cfg->max_per_host, host_key6);
	ratelimit_set(cfg->rate_limit);
	stats_init();
	if ((rc = lease_set_external(initial_external())) < 0)
		log_warnx("cannot install the external address: %s", strerror(-rc));
	/* With privsep the parent watches the kernel, and tells the child. */
	if (backend == &backend_privsep) {
		wanwatch_follow(cfg->ext_ifname);
		privsep_on_kernel(rebuild_kernel_state, wanwatch_poll, lease_drop_refused);
	} else if (!cfg->ext_ip.s_addr && (rc = wanwatch_init(cfg->ext_ifname)) < 0)
		log_warnx("cannot watch the WAN address: %s", strerror(-rc));
	if ((rc = stun_init(cfg->stun_server)) < 0)
		log_warnx("stun: not started (%s); clients are told the WAN address", strerror(-rc));
	/* Before the lease file: restored pinholes are judged by the LAN's prefixes. */
	if ((rc = lan6_init(&gw)) < 0)
		log_warnx("cannot read the LAN's IPv6 prefixes: %s; no pinholes", strerror(-rc));
	if (backend != &backend_privsep)
		restore_leases();
	if (backend != &backend_privsep &&
	    (rc = kernwatch_init(cfg->table, backend_nft_portid(), rebuild_kernel_state)) < 0)
		log_warnx("cannot watch nftables for changes: %s", strerror(-rc));
	if ((rc = control_init(cfg->control_socket, &gw)) < 0) {
		backend->close();
		fatalx("cannot open control socket %s: %s", cfg->control_socket, strerror(-rc));
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
		if (backend == &backend_privsep) {
			privsep_drop();
			/* The child writes the lease file: never read it as root. */
			restore_leases();
		} else if ((rc = privdrop_apply()) < 0)
			log_warnx("cannot drop capabilities: %s", strerror(-rc));
		/* After the drop: the upstream worker thread must not keep capabilities. */
		if ((rc = upstream_init(cfg)) < 0)
			log_warnx("upstream: cannot forward mappings to the gateway in front: %s",
			    strerror(-rc));
		if (backend == &backend_null)
			log_info("portholed started: dry run (-N), nothing is put into the kernel; "
			    "%d LAN interface(s)", gw.n_lan);
		else
			log_info("portholed started: table inet %s, %d LAN interface(s)", cfg->table,
			    gw.n_lan);
		sdnotify("READY=1");
		if ((rc = ev_run()) < 0)
			log_warnx("event loop failed: %s", strerror(-rc));
	}
	sdnotify("STOPPING=1");
	while (started-- > 0)
		if (frontend_enabled(frontends[started]))
			frontends[started]->fini();
	upstream_fini();
	control_fini();
	kernwatch_fini();
	leasestore_fini();
	stun_fini();
	lan6_fini();
	wanwatch_fini();
	pinhole_fini();
	lease_fini();
	neigh_fini();
	guard_fini();
	backend->close();
	ev_fini();
	if (backend == &backend_null)
		log_info("portholed stopped (dry run)");
	else
		log_info("portholed stopped; table inet %s removed", cfg->table);
	config_free(cfg);
	free(cfg);
	return rc < 0 ? 1 : 0;
}
