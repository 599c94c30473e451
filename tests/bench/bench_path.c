/*
 * bench_path: the packet path through the gateway, timed by one program that
 * holds sockets on both sides (it enters the lab's namespaces in turn, and a
 * socket stays in the namespace it was made in), so one clock serves both.
 *
 *   bench_path NS_LAN NS_WAN GW EXT FIRSTPORT NEWPORT NEW SAMPLES
 *
 * On the LAN host it listens on FIRSTPORT (already mapped, the oldest
 * mapping) and on NEWPORT..NEWPORT+NEW-1. It maps those NEW ports by NAT-PMP
 * one after another and after each request connects from the WAN host to
 * EXT:port until a connection succeeds: ttfp_ms is the median time from the
 * request to that first connection (resp_ms: to the NAT-PMP answer). Then
 * SAMPLES connections to the oldest and to the newest mapping, alternating,
 * time the SYN/SYN-ACK through each (medians and 90th percentiles, in us).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <natpmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SAMPLES	10000
#define MAX_NEW		64

static int
listen_on(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 256) < 0) {
		perror("bench_path: listen");
		exit(2);
	}
	return s;
}

/* Resets, so neither side keeps TIME_WAIT state across thousands of tries. */
static void
close_hard(int s)
{
	struct linger l = { 1, 0 };

	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(s);
}

/* Seconds the handshake took, or -1 when refused or timed out. */
static double
try_connect(struct in_addr ext, uint16_t port, int timeout_ms, int lsock)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = ext };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t el = sizeof(err);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	double t0 = bench_now(), dt = -1;

	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
	    (errno == EINPROGRESS && poll(&p, 1, timeout_ms) == 1 &&
	    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)) {
		dt = bench_now() - t0;
		int a = accept(lsock, NULL, NULL);

		if (a >= 0)
			close_hard(a);
	}
	close_hard(s);
	return dt;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(double *v, unsigned n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[(unsigned)(q * (n - 1))] * 1e6 : -1;
}

/* NEW mappings one after another; the median time to the first packet. */
static void
first_packets(natpmp_t *h, struct in_addr ext, uint16_t port, unsigned n, const int *lsock,
    double *resp_ms, double *ttfp_ms)
{
	static double resp[MAX_NEW], ttfp[MAX_NEW];

	for (unsigned i = 0; i < n; i++) {
		double t0 = bench_now();
		uint16_t mapped = 0;

		if (bench_natpmp_map(h, NATPMP_PROTOCOL_TCP, port + i, 86400, &mapped) < 0 ||
		    mapped != port + i) {
			fprintf(stderr, "bench_path: NAT-PMP mapping of %u failed\n", port + i);
			exit(1);
		}
		resp[i] = bench_now() - t0;
		ttfp[i] = -1;
		while (bench_now() - t0 < 10)
			if (try_connect(ext, port + i, 100, lsock[i]) >= 0) {
				ttfp[i] = bench_now() - t0;
				break;
			}
		if (ttfp[i] < 0) {
			fprintf(stderr, "bench_path: no connection through %u in 10 s\n", port + i);
			exit(1);
		}
	}
	*resp_ms = pct(resp, n, 0.5) / 1e3;
	*ttfp_ms = pct(ttfp, n, 0.5) / 1e3;
}

int
main(int argc, char **argv)
{
	static double first_t[MAX_SAMPLES], new_t[MAX_SAMPLES];
	int l_first, l_new[MAX_NEW];
	unsigned n_first = 0, n_new = 0, samples, n;
	double resp_ms, ttfp_ms;
	uint16_t first, port, last;
	struct in_addr gw, ext;
	natpmp_t h;

	if (argc != 9) {
		fprintf(stderr, "usage: bench_path NS_LAN NS_WAN GW EXT FIRSTPORT NEWPORT NEW SAMPLES\n");
		return 2;
	}
	gw = bench_addr(argv[3]);
	ext = bench_addr(argv[4]);
	first = bench_num(argv[5], 65535, "port");
	port = bench_num(argv[6], 65535, "port");
	n = bench_num(argv[7], MAX_NEW, "new mappings");
	samples = bench_num(argv[8], MAX_SAMPLES, "samples");
	if (n == 0 || port + n - 1 > 65535)
		return 2;
	last = port + n - 1;

	bench_netns(argv[1]);
	l_first = listen_on(first);
	for (unsigned i = 0; i < n; i++)
		l_new[i] = listen_on(port + i);
	if (initnatpmp(&h, 1, gw.s_addr) < 0)
		return 2;
	bench_netns(argv[2]);

	first_packets(&h, ext, port, n, l_new, &resp_ms, &ttfp_ms);
	for (unsigned i = 0; i < samples; i++) {
		double a = try_connect(ext, first, 1000, l_first);
		double b = try_connect(ext, last, 1000, l_new[n - 1]);

		if (a >= 0)
			first_t[n_first++] = a;
		if (b >= 0)
			new_t[n_new++] = b;
	}
	printf("resp_ms=%.3f ttfp_ms=%.3f first_n=%u first_med_us=%.1f first_p90_us=%.1f "
	    "new_n=%u new_med_us=%.1f new_p90_us=%.1f\n", resp_ms, ttfp_ms,
	    n_first, pct(first_t, n_first, 0.5), pct(first_t, n_first, 0.9),
	    n_new, pct(new_t, n_new, 0.5), pct(new_t, n_new, 0.9));
	closenatpmp(&h);
	return !n_first || !n_new;
}
