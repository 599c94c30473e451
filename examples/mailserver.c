/*
 * mailserver: a stand-in mail server that keeps its own ports mapped on the
 * router through libporthole, the way a real one would link the library.
 *
 * It listens on every TCP port of the profile (the mail profile unless -p
 * names a file), answers each connection with the address it sees the
 * client coming from (one line, then closes: enough to test the path), and
 * runs the libporthole keeper in the same poll loop: mapped at start,
 * renewed at half the lifetime, mapped again after a router restart, and
 * removed on SIGTERM. The state file lets `porthole status` show the
 * mappings this process made. With -c it also runs the checkup every so
 * often (in a child process, so serving goes on) and prints its facts: per
 * port mapped, reached from outside (with
 * -R, a `porthole reflect` outside), through the public address, listening;
 * the public address, double NAT, a DHCP address, and with -D the domain's
 * MX and PTR.
 *
 *   mailserver [-g gateway] [-P auto|pcp|natpmp|upnp] [-p mail|FILE] [-e rdp]
 *              [-s statefile] [-l lifetime] [-i check-interval]
 *              [-c checkup-interval] [-R reflector-url] [-D domain] [-v]
 *
 * Build: cc mailserver.c $(pkg-config --cflags --libs libporthole)
 */
#define _POSIX_C_SOURCE 200809L	/* a standalone program: ask for POSIX */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <porthole.h>

struct server {
	struct porthole_profile	 profile;
	struct pollfd		 pfd[PORTHOLE_PROFILE_MAX + 1];
	uint16_t		 port[PORTHOLE_PROFILE_MAX];
	size_t			 n_listen;
	bool			 verbose;
	unsigned		 checkup_s;	/* 0: no checkups */
	const char		*reflector;
	const char		*domain;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
log_line(void *arg, int level, const char *msg)
{
	const struct server *s = arg;

	if (level < LOG_DEBUG || s->verbose)
		fprintf(stderr, "mailserver: %s\n", msg);
}

static int
listen_on(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 64) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One line with the peer's address, as the lab's probes expect, then close. */
static void
serve(int lfd)
{
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	char line[INET_ADDRSTRLEN + 2];
	int fd;

	while ((fd = accept(lfd, (struct sockaddr *)&peer, &pl)) != -1) {
		inet_ntop(AF_INET, &peer.sin_addr, line, INET_ADDRSTRLEN);
		strcat(line, "\n");
		if (write(fd, line, strlen(line)) < 0)
			fprintf(stderr, "mailserver: write: %s\n", strerror(errno));
		close(fd);
		pl = sizeof(peer);
	}
}

static int
open_listeners(struct server *s)
{
	size_t i;
	int fd;

	for (i = 0; i < s->profile.n; i++) {
		const struct porthole_port *p = &s->profile.port[i];

		if (!p->enabled || p->proto != IPPROTO_TCP)
			continue;
		if ((fd = listen_on(p->port)) == -1) {
			fprintf(stderr, "mailserver: cannot listen on tcp/%u: %s\n", p->port,
			    strerror(errno));
			return -1;
		}
		s->pfd[s->n_listen].fd = fd;
		s->pfd[s->n_listen].events = POLLIN;
		s->port[s->n_listen++] = p->port;
	}
	fprintf(stderr, "mailserver: listening on %zu ports\n", s->n_listen);
	return 0;
}

static int
parse_args(int argc, char **argv, struct server *s, struct porthole_opts *o,
    const char **state, unsigned *interval)
{
	const char *profile = "mail", *enable[8];
	char err[300];
	int ch, n_enable = 0, i;

	while ((ch = getopt(argc, argv, "g:P:p:e:s:l:i:c:R:D:v")) != -1) {
		switch (ch) {
		case 'c':
			s->checkup_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			s->reflector = optarg;
			break;
		case 'D':
			s->domain = optarg;
			break;
		case 'g':
			o->gateway = optarg;
			break;
		case 'P':
			if (porthole_method_parse(optarg, &o->method) != 0)
				return -1;
			break;
		case 'p':
			profile = optarg;
			break;
		case 'e':
			if (n_enable == 8)
				return -1;
			enable[n_enable++] = optarg;
			break;
		case 's':
			*state = optarg;
			break;
		case 'l':
			o->lifetime = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			*interval = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'v':
			s->verbose = true;
			break;
		default:
			return -1;
		}
	}
	if (strcmp(profile, "mail") == 0)
		porthole_profile_builtin("mail", &s->profile);
	else if (porthole_profile_load(profile, &s->profile, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailserver: profile %s\n", err);
		return -1;
	}
	for (i = 0; i < n_enable; i++)
		if (porthole_profile_enable(&s->profile, enable[i]) != 0) {
			fprintf(stderr, "mailserver: no port '%s' in the profile\n", enable[i]);
			return -1;
		}
	return 0;
}

/* The facts of one port, as a mail server's log would want them. */
static void
print_port(const struct porthole_port_check *c)
{
	char ext[PORTHOLE_ENDPOINT_LEN];

	fprintf(stderr, "mailserver: checkup %s tcp/%u%s: %s", c->m.name, c->m.internal_port,
	    c->m.family == AF_INET6 ? " (IPv6)" : "", porthole_port_state_name(c->state));
	if (c->state == PORTHOLE_PORT_MAPPED)
		fprintf(stderr, " by %s at %s, lease %lld s", porthole_method_name(c->m.method),
		    porthole_endpoint(&c->m, ext, sizeof(ext)), (long long)c->lease_left);
	fprintf(stderr, "; from outside %s", porthole_reach_name(c->outside));
	if (c->greeting[0] != '\0')
		fprintf(stderr, " (\"%s\")", c->greeting);
	fprintf(stderr, "; through the public address %s; listening %s\n",
	    porthole_reach_name(c->reach), c->listening < 0 ? "untested" :
	    c->listening ? "yes" : "no");
	if (c->advice[0] != '\0')
		fprintf(stderr, "mailserver:   %s\n", c->advice);
}

static void
print_domain(const struct porthole_dns_check *d)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	if (!d->checked)
		return;
	for (i = 0; i < d->n_mx; i++)
		fprintf(stderr, "mailserver: checkup MX %s -> %s%s\n", d->mx[i].host,
		    d->mx[i].n_a > 0 ? inet_ntop(AF_INET, &d->mx[i].a[0], a, sizeof(a)) :
		    "(no IPv4 address)", d->mx[i].points_here ? " (here)" : " (NOT here)");
	fprintf(stderr, "mailserver: checkup PTR of the public address: %s%s\n",
	    d->ptr[0] != '\0' ? d->ptr : "none", d->ptr_confirmed ? " (resolves back)" : "");
}

/*
 * The checkup takes seconds (the reflector connects back and waits for
 * our greeting), so it runs in a child: the server goes on serving, and
 * answers the reflector too. One at a time; its pid, or 0.
 */
static pid_t checkup_pid;

static void
checkup(struct porthole *ph, struct porthole_keeper *k)
{
	struct porthole_report *r;
	const struct porthole_mapping *m;
	char pub[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	size_t n, i;
	pid_t pid;

	if (checkup_pid > 0)
		return;
	m = porthole_keeper_mappings(k, &n);
	if ((pid = fork()) != 0) {
		if (pid == -1)
			fprintf(stderr, "mailserver: checkup: fork: %s\n", strerror(errno));
		checkup_pid = pid > 0 ? pid : 0;
		return;
	}
	r = malloc(sizeof(*r));
	if (r == NULL || porthole_checkup(ph, m, n, 0, r) != 0) {
		fprintf(stderr, "mailserver: checkup: %s\n", porthole_last_error(ph));
		_exit(1);
	}
	inet_ntop(AF_INET, &r->public_addr, pub, sizeof(pub));
	inet_ntop(AF_INET, &r->local_addr, local, sizeof(local));
	fprintf(stderr, "mailserver: checkup: public address %s, double NAT %s, this host %s%s\n",
	    r->public_addr.s_addr != 0 ? pub : "untested", r->double_nat ? "yes" : "no", local,
	    r->local_dynamic == 1 ? " (a DHCP lease: use a static address)" : "");
	for (i = 0; i < r->n; i++)
		print_port(&r->port[i]);
	print_domain(&r->dns);
	fprintf(stderr, "mailserver: checkup verdict %s: %s\n",
	    porthole_verdict_name(r->verdict), r->summary);
	_exit(0);
}

static int64_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
run(struct server *s, struct porthole *ph, struct porthole_keeper *k)
{
	int64_t next = s->checkup_s ? now_s() + s->checkup_s : -1;
	size_t i, n = s->n_listen;
	int wait_ms;

	s->pfd[n].fd = porthole_keeper_fd(k);
	s->pfd[n].events = POLLIN;
	while (!quit) {
		wait_ms = porthole_keeper_run(k);
		if (next >= 0 && now_s() >= next) {
			checkup(ph, k);
			next = now_s() + s->checkup_s;
		}
		if (checkup_pid > 0 && waitpid(checkup_pid, NULL, WNOHANG) == checkup_pid)
			checkup_pid = 0;
		if (next >= 0 && wait_ms > 1000)
			wait_ms = 1000;
		if (quit || poll(s->pfd, n + 1, wait_ms) <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (s->pfd[i].revents & POLLIN)
				serve(s->pfd[i].fd);
	}
}

int
main(int argc, char **argv)
{
	static struct server s;
	struct porthole_opts o;
	struct porthole_keeper *k;
	struct porthole *ph;
	struct sigaction sa;
	const char *state = porthole_state_default();
	unsigned interval = 60;
	int rc;

	porthole_opts_init(&o);
	o.description = "porthole example mail server";
	o.log = log_line;
	o.log_arg = &s;
	if (parse_args(argc, argv, &s, &o, &state, &interval) != 0) {
		fprintf(stderr, "usage: mailserver [-g gateway] [-P auto|pcp|natpmp|upnp] "
		    "[-p mail|FILE] [-e NAME] [-s statefile] [-l lifetime] [-i interval]\n"
		    "       [-c checkup-interval] [-R reflector-url] [-D domain] [-v]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (open_listeners(&s) != 0)
		return 1;
	if ((rc = porthole_open(&ph, &o)) != 0) {
		fprintf(stderr, "mailserver: %s\n", porthole_strerror(rc));
		return 3;
	}
	if (porthole_keeper_new(ph, &s.profile, state, interval, &k) != 0) {
		fprintf(stderr, "mailserver: cannot start the keeper\n");
		return 1;
	}
	if ((s.reflector != NULL && porthole_set_reflector(ph, s.reflector, NULL) != 0) ||
	    (s.domain != NULL && porthole_set_domain(ph, s.domain) != 0)) {
		fprintf(stderr, "mailserver: bad -R URL or -D domain\n");
		return 2;
	}
	run(&s, ph, k);
	/*
	 * A checkup still running may renew a mapping (after a router restart)
	 * just after the keeper removed it: stop it first.
	 */
	if (checkup_pid > 0) {
		kill(checkup_pid, SIGKILL);
		waitpid(checkup_pid, NULL, 0);
	}
	fprintf(stderr, "mailserver: stopping, removing the mappings\n");
	porthole_keeper_free(k, true);
	porthole_close(ph);
	return 0;
}
