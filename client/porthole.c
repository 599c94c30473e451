/*
 * porthole: the command-line client, a thin shell over libporthole.
 *
 *   porthole [options] map [--profile mail|FILE] [--port tcp/N]... [--enable NAME]
 *   porthole [options] unmap [--port tcp/N]...
 *   porthole [options] status [--json] [--reflector URL]
 *   porthole [options] check [--reflector URL]      (a monitoring plugin)
 *   porthole reflect --listen ADDR:PORT [...]       (the reflector, outside)
 *   porthole [options] keep [--profile ...] [--check-interval S] [--no-unmap]
 *
 * What was mapped is remembered in the state file so that later commands
 * (and `status`) know the protocol, PCP nonce and lease. Exit codes are
 * listed in usage() and porthole(1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "porthole.h"
#include "reflect.h"

enum {
	EXIT_OK = 0,
	EXIT_PARTIAL = 1,	/* some ports not mapped / not open */
	EXIT_USAGE = 2,
	EXIT_GATEWAY = 3,	/* no gateway, or it answers no protocol */
	EXIT_LOCAL = 4,		/* state file or system error */
};

struct cli {
	struct porthole_opts	 o;
	const char		*state;
	const char		*profile;
	const char		*ports[PORTHOLE_PROFILE_MAX];
	int			 n_ports;
	const char		*enable[PORTHOLE_PROFILE_MAX];
	int			 n_enable;
	const char		*reflector;
	const char		*reflector_token;
	const char		*domain;
	bool			 json;
	bool			 verbose;
	bool			 no_unmap;
	unsigned		 check_interval;
};

static volatile sig_atomic_t quit;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: porthole [options] map|unmap|status|check|keep [command options]\n"
	    "  map     map the profile's ports (default: the mail profile)\n"
	    "  unmap   remove the mappings made before (or only --port ones)\n"
	    "  status  checkup: per port mapped?, how, lease, reached from outside? (--json)\n"
	    "  check   the checkup as a monitoring plugin: one line, exit 0 OK,\n"
	    "          1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
	    "  reflect serve as the reflector outside (porthole reflect --help)\n"
	    "  keep    map and keep mapped in the foreground (for systemd)\n"
	    "options:\n"
	    "  -4, -6                  IPv4 mappings only / IPv6 pinholes only (default:\n"
	    "                          both, IPv6 when this host has a global address)\n"
	    "  -g, --gateway A.B.C.D   the router (default: the default route)\n"
	    "  -G, --gateway6 ADDR     the router over IPv6, e.g. fe80::1%%eth0 (default:\n"
	    "                          the IPv6 default route)\n"
	    "  -P, --protocol P        auto (PCP, NAT-PMP, UPnP in turn), pcp, natpmp, upnp\n"
	    "  -s, --state FILE        state file (default $PORTHOLE_STATE, else for root\n"
	    "                          /var/lib/porthole/state, for others\n"
	    "                          ~/.local/state/porthole/state)\n"
	    "  -l, --lifetime S        lease to ask for, seconds (default 3600)\n"
	    "  -t, --timeout MS        wait per protocol try (default 2000)\n"
	    "  -p, --profile mail|FILE port list; FILE lines: NAME tcp/N [optional]\n"
	    "  -o, --port tcp/N        a port (repeatable; alone, instead of a profile)\n"
	    "  -e, --enable NAME       enable an optional port of the profile (e.g. rdp)\n"
	    "  -j, --json              status as JSON\n"
	    "  -R, --reflector URL     status: test from outside through a `porthole\n"
	    "                          reflect` there (default $PORTHOLE_REFLECTOR)\n"
	    "  -D, --domain NAME       status: check the mail domain's MX, A/AAAA and the\n"
	    "                          public address's PTR against this network\n"
	    "  -i, --check-interval S  keep: look at the gateway every S s (default 60)\n"
	    "  -n, --no-unmap          keep: leave the mappings when stopped\n"
	    "  -v, --verbose           log renewals and protocol choices too\n"
	    "  -h, --help / -V, --version\n"
	    "exit: 0 ok (status: every port reached from outside), 1 some ports not\n"
	    "      mapped, not open or not tested from outside, 2 usage, 3 gateway not found or\n"
	    "      speaks no mapping protocol, 4 local error (state file)\n");
}

static void
log_stderr(void *arg, int level, const char *msg)
{
	const struct cli *c = arg;

	if (level >= LOG_DEBUG && !c->verbose)
		return;
	fprintf(stderr, "porthole: %s\n", msg);
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* The ports to work on: --port ones alone, or the profile (mail by default). */
static int
build_profile(const struct cli *c, struct porthole_profile *p)
{
	char err[300];
	int i;

	if (c->profile == NULL && c->n_ports > 0) {
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "ports");
	} else if (c->profile == NULL || strcmp(c->profile, "mail") == 0) {
		porthole_profile_builtin("mail", p);
	} else if (porthole_profile_load(c->profile, p, err, sizeof(err)) != 0) {
		fprintf(stderr, "porthole: profile %s\n", err);
		return -1;
	}
	for (i = 0; i < c->n_ports; i++)
		if (porthole_profile_add(p, c->ports[i], NULL) != 0) {
			fprintf(stderr, "porthole: bad port '%s': write tcp/N or udp/N\n",
			    c->ports[i]);
			return -1;
		}
	for (i = 0; i < c->n_enable; i++)
		if (porthole_profile_enable(p, c->enable[i]) != 0) {
			fprintf(stderr, "porthole: profile %s has no port '%s'\n", p->name,
			    c->enable[i]);
			return -1;
		}
	return 0;
}

static int
open_client(struct cli *c, struct porthole **ph)
{
	int rc;

	if ((rc = porthole_open(ph, &c->o)) == 0)
		return 0;
	if (rc == PORTHOLE_ERR_INVAL)
		fprintf(stderr, "porthole: bad gateway address '%s': --gateway takes an IPv4 "
		    "address, --gateway6 an IPv6 one\n", c->o.gateway6 != NULL &&
		    strchr(c->o.gateway6, ':') == NULL ? c->o.gateway6 : c->o.gateway != NULL ?
		    c->o.gateway : c->o.gateway6);
	else if (rc == PORTHOLE_ERR_NOGATEWAY && c->o.family == AF_INET6)
		fprintf(stderr, "porthole: no IPv6 here: this host needs a stable global IPv6 "
		    "address (not temporary, not deprecated) and an IPv6 default route, or "
		    "--gateway6\n");
	else
		fprintf(stderr, "porthole: %s\n", porthole_strerror(rc));
	return rc == PORTHOLE_ERR_INVAL ? EXIT_USAGE : rc == PORTHOLE_ERR_NOGATEWAY ?
	    EXIT_GATEWAY : EXIT_LOCAL;
}

static int
load_state(const struct cli *c, struct porthole_mapping *m, size_t *n)
{
	int rc;

	*n = PORTHOLE_MAPPING_MAX;
	if ((rc = porthole_state_load(c->state, m, n)) == 0)
		return 0;
	if (rc == PORTHOLE_ERR_SYSTEM)
		fprintf(stderr, "porthole: cannot read state file %s: %s: use --state or set "
		    "PORTHOLE_STATE to a path you may read and write\n", c->state,
		    strerror(errno));
	else
		fprintf(stderr, "porthole: %s: %s\n", c->state, porthole_strerror(rc));
	return -1;
}

static int
save_state(const struct cli *c, const struct porthole_mapping *m, size_t n)
{
	if (porthole_state_save(c->state, m, n) == 0)
		return 0;
	fprintf(stderr, "porthole: cannot write state file %s: %s: use --state or set "
	    "PORTHOLE_STATE to a writable path\n", c->state, strerror(errno));
	return -1;
}

static bool
is6(const struct porthole_mapping *m)
{
	return m->family == AF_INET6;
}

static struct porthole_mapping *
find(struct porthole_mapping *m, size_t n, int family, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].proto == proto && m[i].internal_port == port &&
		    is6(&m[i]) == (family == AF_INET6))
			return &m[i];
	return NULL;
}

/* The families this run works in: the handle's (both, or what -4 / -6 left). */
static int
families(struct porthole *ph, int fam[2])
{
	int f = porthole_families(ph, NULL, NULL), n = 0;

	if (f != AF_INET6)
		fam[n++] = AF_INET;
	if (f != AF_INET)
		fam[n++] = AF_INET6;
	return n;
}

/* Does this run work on m's family? */
static bool
in_families(struct porthole *ph, const struct porthole_mapping *m)
{
	int f = porthole_families(ph, NULL, NULL);

	return f == AF_UNSPEC || (f == AF_INET6) == is6(m);
}

static bool
gateway_error(int rc)
{
	return rc == PORTHOLE_ERR_NOPROTO || rc == PORTHOLE_ERR_NOGATEWAY ||
	    rc == PORTHOLE_ERR_TIMEOUT || rc == PORTHOLE_ERR_UNSUPPORTED;
}

/* Before anything is mapped: a mapping nobody remembers cannot be unmapped. */
static int
state_writable(const struct cli *c)
{
	if (porthole_state_writable(c->state) == 0)
		return 0;
	fprintf(stderr, "porthole: cannot write state file %s: %s: nothing mapped; use --state "
	    "or set PORTHOLE_STATE to a writable path\n", c->state, strerror(errno));
	return -1;
}

static int
cmd_map(struct cli *c, struct porthole *ph, const struct porthole_profile *p)
{
	struct porthole_mapping st[PORTHOLE_MAPPING_MAX], *m;
	char ext[PORTHOLE_ENDPOINT_LEN], silent[16] = "";
	size_t n, i, ok = 0, tried = 0;
	bool fell_silent = false;
	int rc, last = 0, fam[2], nf = families(ph, fam), f;

	if (load_state(c, st, &n) != 0 || state_writable(c) != 0)
		return EXIT_LOCAL;
	for (i = 0; i < p->n; i++) {
		const struct porthole_port *pp = &p->port[i];
		const char *proto = pp->proto == IPPROTO_UDP ? "udp" : "tcp";

		for (f = 0; f < nf && pp->enabled; f++) {
			const char *v = fam[f] == AF_INET6 ? " (IPv6)" : "";

			tried++;
			if ((m = find(st, n, fam[f], pp->proto, pp->port)) == NULL) {
				if (n == PORTHOLE_MAPPING_MAX)
					break;
				m = &st[n++];
				rc = porthole_map_family(ph, pp, fam[f], m);
			} else {
				/* Renew what an earlier run made: same PCP nonce. */
				snprintf(m->name, sizeof(m->name), "%s", pp->name);
				rc = porthole_renew(ph, m);
			}
			if (rc == 0) {
				ok++;
				printf("%-14s %s/%u -> %s via %s, lease %u s\n", m->name, proto,
				    pp->port, porthole_endpoint(m, ext, sizeof(ext)),
				    porthole_method_name(m->method), m->lifetime);
				continue;
			}
			last = rc;
			fell_silent |= silent[0] != '\0' && gateway_error(rc);
			if (rc == PORTHOLE_ERR_TIMEOUT && silent[0] == '\0')
				snprintf(silent, sizeof(silent), "%s/%u", proto, pp->port);
			/*
			 * A gateway that answers nothing is said once, below; one
			 * silent on a single port does not stop the others.
			 */
			if (gateway_error(rc) && rc != PORTHOLE_ERR_TIMEOUT && ok == 0 && nf == 1)
				goto out;
			printf("%-14s %s/%u%s not mapped: %s\n", pp->name, proto, pp->port, v,
			    porthole_last_error(ph));
		}
	}
out:
	/* It answered, then nothing more after one port's request: say which. */
	if (fell_silent)
		fprintf(stderr, "porthole: the gateway went silent after the request for %s: "
		    "some routers (miniupnpd) hang for minutes on a port their rules deny; allow "
		    "it on the router, or leave it out\n", silent);
	if (last != 0 && gateway_error(last) && ok == 0) {
		fprintf(stderr, "porthole: %s\n", porthole_last_error(ph));
		return EXIT_GATEWAY;
	}
	if (save_state(c, st, n) != 0)
		return EXIT_LOCAL;
	return ok == tried ? EXIT_OK : EXIT_PARTIAL;
}

static int
cmd_unmap(struct cli *c, struct porthole *ph, const struct porthole_profile *p)
{
	struct porthole_mapping st[PORTHOLE_MAPPING_MAX], keep[PORTHOLE_MAPPING_MAX];
	char ep[PORTHOLE_ENDPOINT_LEN];
	size_t n, i, kept = 0;
	int rc, ret = EXIT_OK;

	if (load_state(c, st, &n) != 0)
		return EXIT_LOCAL;
	for (i = 0; i < n; i++) {
		bool chosen = c->n_ports == 0 && c->profile == NULL;
		size_t j;

		for (j = 0; j < p->n && !chosen; j++)
			chosen = p->port[j].enabled && p->port[j].proto == st[i].proto &&
			    p->port[j].port == st[i].internal_port;
		if (!chosen || !in_families(ph, &st[i])) {
			keep[kept++] = st[i];
			continue;
		}
		if (st[i].external_port == 0)
			continue;
		rc = 0;
		porthole_endpoint(&st[i], ep, sizeof(ep));
		rc = rc == 0 ? porthole_unmap(ph, &st[i]) : rc;
		if (rc == 0) {
			printf("%-14s %s/%u unmapped (%s)\n", st[i].name,
			    st[i].proto == IPPROTO_UDP ? "udp" : "tcp", st[i].internal_port, ep);
		} else {
			fprintf(stderr, "porthole: %s\n", porthole_last_error(ph));
			keep[kept++] = st[i];
			ret = gateway_error(rc) ? EXIT_GATEWAY : EXIT_PARTIAL;
		}
	}
	if (save_state(c, keep, kept) != 0)
		return EXIT_LOCAL;
	return ret;
}

/* Mappings the checkup renewed (the router's epoch went back) go to the state file. */
static int
save_renewed(const struct cli *c, struct porthole_mapping *st, size_t n,
    const struct porthole_report *r)
{
	struct porthole_mapping *m;
	bool changed = false;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->port[i].renewed && (m = find(st, n, r->port[i].m.family,
		    r->port[i].m.proto, r->port[i].m.internal_port)) != NULL) {
			*m = r->port[i].m;
			changed = true;
		}
	return changed ? save_state(c, st, n) : 0;
}

/* The checkup of the ports asked about; *out is the report (to free). */
static int
checkup(struct cli *c, struct porthole *ph, const struct porthole_profile *p,
    struct porthole_report **out)
{
	struct porthole_mapping st[PORTHOLE_MAPPING_MAX], sel[PORTHOLE_MAPPING_MAX], *m;
	struct porthole_report *r;
	size_t n, i, k = 0;
	int rc, fam[2], nf = families(ph, fam), f;

	if (load_state(c, st, &n) != 0)
		return EXIT_LOCAL;
	if (c->profile == NULL && c->n_ports == 0 && n > 0) {
		for (i = 0; i < n; i++)
			if (in_families(ph, &st[i]))
				sel[k++] = st[i];
	} else {
		/* Every port asked about, in each family, as the state file knows it or unmapped. */
		for (i = 0; i < p->n; i++) {
			for (f = 0; f < nf && p->port[i].enabled; f++) {
				m = find(st, n, fam[f], p->port[i].proto, p->port[i].port);
				if (m != NULL) {
					sel[k++] = *m;
					continue;
				}
				memset(&sel[k], 0, sizeof(sel[k]));
				snprintf(sel[k].name, sizeof(sel[k].name), "%s", p->port[i].name);
				sel[k].proto = p->port[i].proto;
				sel[k].family = fam[f];
				sel[k++].internal_port = p->port[i].port;
			}
		}
	}
	if (c->reflector != NULL &&
	    porthole_set_reflector(ph, c->reflector, c->reflector_token) != 0) {
		fprintf(stderr, "porthole: bad reflector URL '%s': give http://HOST:PORT/ or "
		    "https://...\n", c->reflector);
		return EXIT_USAGE;
	}
	if (c->domain != NULL && porthole_set_domain(ph, c->domain) != 0) {
		fprintf(stderr, "porthole: bad domain '%s'\n", c->domain);
		return EXIT_USAGE;
	}
	if ((r = malloc(sizeof(*r))) == NULL)
		return EXIT_LOCAL;
	rc = porthole_checkup(ph, sel, k, c->o.timeout_ms, r);
	if (save_renewed(c, st, n, r) != 0) {
		free(r);
		return EXIT_LOCAL;
	}
	*out = r;
	return rc != 0 || r->verdict == PORTHOLE_VERDICT_NO_GATEWAY ? EXIT_GATEWAY :
	    r->verdict == PORTHOLE_VERDICT_OPEN ? EXIT_OK : EXIT_PARTIAL;
}

static int
cmd_status(struct cli *c, struct porthole *ph, const struct porthole_profile *p)
{
	struct porthole_report *r = NULL;
	int ret = checkup(c, ph, p, &r);

	if (r == NULL)
		return ret;
	if (c->json)
		porthole_report_json(r, stdout);
	else
		porthole_report_table(r, stdout);
	free(r);
	return ret;
}

static int
plugin_unknown(const char *why)
{
	printf("PORTHOLE UNKNOWN - %s\n", why);
	return 3;
}

/* A monitoring plugin: one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
static int
cmd_check(struct cli *c, struct porthole *ph, const struct porthole_profile *p)
{
	struct porthole_report *r = NULL;
	int ret;

	checkup(c, ph, p, &r);
	if (r == NULL)
		return plugin_unknown("the checkup could not run (see its error)");
	ret = porthole_report_check(r, stdout);
	free(r);
	return ret;
}

/* status and check without a gateway still answer, in the format asked for. */
static int
no_gateway_report(const struct cli *c, bool check, int ret)
{
	struct porthole_report *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ret;
	r->verdict = PORTHOLE_VERDICT_NO_GATEWAY;
	snprintf(r->summary, sizeof(r->summary), "%s", porthole_strerror(PORTHOLE_ERR_NOGATEWAY));
	if (check)
		ret = porthole_report_check(r, stdout);
	else if (c->json)
		porthole_report_json(r, stdout);
	else
		porthole_report_table(r, stdout);
	free(r);
	return ret;
}

static int
cmd_keep(struct cli *c, struct porthole *ph, const struct porthole_profile *p)
{
	char a6t[INET6_ADDRSTRLEN], gw6t[INET6_ADDRSTRLEN];
	struct in6_addr a6, gw6;
	struct porthole_keeper *k;
	struct sigaction sa;
	struct pollfd pfd;
	int wait_ms;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (state_writable(c) != 0)
		return EXIT_LOCAL;
	if (porthole_keeper_new(ph, p, c->state, c->check_interval, &k) != 0) {
		fprintf(stderr, "porthole: cannot start the keeper: out of memory\n");
		return EXIT_LOCAL;
	}
	if (porthole_families(ph, NULL, NULL) != AF_INET6)
		fprintf(stderr, "porthole: keeping %s mapped through gateway %s\n", p->name,
		    inet_ntoa(porthole_gateway(ph)));
	if (porthole_families(ph, &a6, &gw6) != AF_INET)
		fprintf(stderr, "porthole: keeping %s's IPv6 pinholes for %s open through "
		    "gateway %s\n", p->name, inet_ntop(AF_INET6, &a6, a6t, sizeof(a6t)),
		    inet_ntop(AF_INET6, &gw6, gw6t, sizeof(gw6t)));
	pfd.fd = porthole_keeper_fd(k);
	pfd.events = POLLIN;
	while (!quit) {
		wait_ms = porthole_keeper_run(k);
		if (quit)
			break;
		poll(&pfd, pfd.fd != -1 ? 1 : 0, wait_ms);
	}
	fprintf(stderr, "porthole: stopping%s\n", c->no_unmap ? "" : ", removing the mappings");
	porthole_keeper_free(k, !c->no_unmap);
	return EXIT_OK;
}

/* The options that carry a number or add to a list. */
static int
value_opt(struct cli *c, int ch, const char *arg)
{
	char *end;
	long v;

	if (ch == 'o' || ch == 'e') {
		if ((ch == 'o' ? c->n_ports : c->n_enable) == PORTHOLE_PROFILE_MAX) {
			fprintf(stderr, "porthole: too many ports\n");
			return -1;
		}
		if (ch == 'o')
			c->ports[c->n_ports++] = arg;
		else
			c->enable[c->n_enable++] = arg;
		return 0;
	}
	v = strtol(arg, &end, 10);
	if (*end != '\0' || v <= 0 || v > 86400 * 7) {
		fprintf(stderr, "porthole: -%c wants a positive number of %s\n", ch,
		    ch == 't' ? "milliseconds" : "seconds");
		return -1;
	}
	if (ch == 'l')
		c->o.lifetime = (uint32_t)v;
	else if (ch == 't')
		c->o.timeout_ms = (int)v;
	else
		c->check_interval = (unsigned)v;
	return 0;
}

static int
parse_args(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "gateway6", required_argument, NULL, 'G' },
		{ "protocol", required_argument, NULL, 'P' },
		{ "state", required_argument, NULL, 's' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "profile", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'o' },
		{ "enable", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "reflector", required_argument, NULL, 'R' },
		{ "domain", required_argument, NULL, 'D' },
		{ "check-interval", required_argument, NULL, 'i' },
		{ "no-unmap", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "46g:G:P:s:l:t:p:o:e:jR:D:i:nvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			if (c->o.family != AF_UNSPEC &&
			    c->o.family != (ch == '4' ? AF_INET : AF_INET6)) {
				fprintf(stderr, "porthole: -4 and -6 exclude each other; without "
				    "either both families are mapped\n");
				return -1;
			}
			c->o.family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'g':
			c->o.gateway = optarg;
			break;
		case 'G':
			c->o.gateway6 = optarg;
			break;
		case 'P':
			if (porthole_method_parse(optarg, &c->o.method) != 0) {
				fprintf(stderr, "porthole: unknown protocol '%s': use auto, pcp, "
				    "natpmp or upnp\n", optarg);
				return -1;
			}
			break;
		case 's':
			c->state = optarg;
			break;
		case 'l':
		case 't':
		case 'i':
		case 'o':
		case 'e':
			if (value_opt(c, ch, optarg) != 0)
				return -1;
			break;
		case 'p':
			c->profile = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'R':
			c->reflector = optarg[0] != '\0' ? optarg : NULL;
			break;
		case 'D':
			c->domain = optarg;
			break;
		case 'n':
			c->no_unmap = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("porthole %s\n", PORTHOLE_VERSION);
			exit(EXIT_OK);
		default:
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *, struct porthole *, const struct porthole_profile *);
	} cmds[] = {
		{ "map", cmd_map }, { "unmap", cmd_unmap }, { "status", cmd_status },
		{ "keep", cmd_keep }, { "check", cmd_check },
	};
	struct porthole_profile p;
	struct porthole *ph;
	struct cli c;
	bool check;
	size_t i;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/* The reflector is a server with options of its own. */
	if (argc >= 2 && strcmp(argv[1], "reflect") == 0)
		return reflect_main(argc - 1, argv + 1);
	memset(&c, 0, sizeof(c));
	porthole_opts_init(&c.o);
	c.o.log = log_stderr;
	c.o.log_arg = &c;
	c.state = porthole_state_default();
	c.reflector = getenv("PORTHOLE_REFLECTOR");
	if (c.reflector != NULL && c.reflector[0] == '\0')
		c.reflector = NULL;
	c.reflector_token = getenv("PORTHOLE_REFLECTOR_TOKEN");
	/* A monitoring plugin says UNKNOWN (3) when it cannot even run. */
	check = argc >= 2 && strcmp(argv[argc - 1], "check") == 0;
	if (parse_args(&c, argc, argv) != 0 || optind != argc - 1) {
		usage(stderr);
		return check ? plugin_unknown("bad options") : EXIT_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "porthole: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (build_profile(&c, &p) != 0)
		return check ? plugin_unknown("bad profile or port") : EXIT_USAGE;
	if ((rc = open_client(&c, &ph)) != 0) {
		if ((check || cmds[i].fn == cmd_status) && rc == EXIT_GATEWAY)
			return no_gateway_report(&c, check, rc);
		return check ? plugin_unknown("cannot start (see the error)") : rc;
	}
	rc = cmds[i].fn(&c, ph, &p);
	porthole_close(ph);
	return rc;
}
