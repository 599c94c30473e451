/*
 * bench_util: timing, argument checks and namespace switching for the load
 * generators. Switching namespaces lets one program own sockets on both
 * sides of the gateway (bench_path.c), so its clock is the same for both.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double
bench_wall(void)
{
	return clock_s(CLOCK_REALTIME);
}

void
bench_begin(struct bench_run *r, double max_s)
{
	memset(r, 0, sizeof(*r));
	r->max_s = max_s;
	r->start_s = bench_now();
}

int
bench_in_time(const struct bench_run *r)
{
	return bench_now() - r->start_s < r->max_s;
}

void
bench_report(struct bench_run *r, unsigned asked, const char *extra)
{
	double secs;

	r->end_s = bench_now();
	secs = r->end_s - r->start_s;
	printf("ops=%u fail=%u secs=%.4f rate=%.1f capped=%d%s%s\n", r->ops, r->fails, secs,
	    secs > 0 ? r->ops / secs : 0.0, r->ops + r->fails < asked,
	    extra ? " " : "", extra ? extra : "");
	exit(r->fails && !r->ops ? 1 : 0);
}

unsigned long
bench_num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > max) {
		fprintf(stderr, "bad %s '%s' (0..%lu)\n", what, s, max);
		exit(2);
	}
	return v;
}

struct in_addr
bench_addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad IPv4 address '%s'\n", s);
		exit(2);
	}
	return a;
}

uint8_t
bench_proto(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	fprintf(stderr, "bad protocol '%s' (tcp or udp)\n", s);
	exit(2);
}

void
bench_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

int
bench_natpmp_map(natpmp_t *h, int proto, uint16_t port, uint32_t lifetime, uint16_t *mapped)
{
	natpmpresp_t resp;
	int r, waits = 0;

	r = sendnewportmappingrequest(h, proto, port, lifetime ? port : 0, lifetime);
	if (r < 0)
		return r;
	do {
		struct pollfd p = { .fd = h->s, .events = POLLIN };

		if (poll(&p, 1, BENCH_NATPMP_WAIT_MS) == 0 && ++waits >= BENCH_NATPMP_TRIES)
			return NATPMP_ERR_NOGATEWAYSUPPORT;
		/* Reads the answer, or (only after a full wait) sends again. */
		r = readnatpmpresponseorretry(h, &resp);
	} while (r == NATPMP_TRYAGAIN);
	if (r < 0)
		return r;
	*mapped = resp.pnu.newportmapping.mappedpublicport;
	return 0;
}
