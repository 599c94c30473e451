/*
 * bench_natpmp: NAT-PMP load through libnatpmp, one request at a time as a
 * real client sends them, from the LAN host it runs on.
 *
 *   bench_natpmp GW add PROTO FIRST COUNT LIFETIME MAXSEC
 *	map internal ports FIRST..FIRST+COUNT-1 (external port asked = internal)
 *   bench_natpmp GW del PROTO FIRST COUNT MAXSEC
 *	remove them again (lifetime 0, RFC 6886 §3.4)
 *   bench_natpmp GW wait START MAXSEC
 *	ask for the external address every 2 ms until the gateway answers;
 *	prints ready_s, the seconds since START (CLOCK_REALTIME, as date +%s.%N)
 *
 * Prints one line: ops= fail= secs= rate= capped= (moved= for add: answers
 * that gave another external port than asked). A request is resent only
 * after 5 s without an answer (bench_natpmp_map).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <natpmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

static void
run_map(struct in_addr gw, char **av, int ac, int add)
{
	int proto = bench_proto(av[0]) == IPPROTO_TCP ? NATPMP_PROTOCOL_TCP : NATPMP_PROTOCOL_UDP;
	unsigned first = bench_num(av[1], 65535, "first port");
	unsigned count = bench_num(av[2], 65535, "count");
	uint32_t lifetime = add ? bench_num(av[3], 0xffffffffUL, "lifetime") : 0;
	double max_s = bench_num(av[add ? 4 : 3], 86400, "seconds");
	unsigned moved = 0;
	struct bench_run r;
	char extra[32];
	natpmp_t h;

	if (ac != (add ? 5 : 4) || first == 0 || first + count > 65536) {
		fprintf(stderr, "bench_natpmp: bad arguments\n");
		exit(2);
	}
	if (initnatpmp(&h, 1, gw.s_addr) < 0) {
		fprintf(stderr, "bench_natpmp: initnatpmp failed\n");
		exit(2);
	}
	bench_begin(&r, max_s);
	for (unsigned i = 0; i < count && bench_in_time(&r); i++) {
		uint16_t port = first + i, mapped = 0;

		if (bench_natpmp_map(&h, proto, port, lifetime, &mapped) < 0) {
			r.fails++;
			continue;
		}
		r.ops++;
		moved += add && mapped != port;
	}
	closenatpmp(&h);
	snprintf(extra, sizeof(extra), "moved=%u", moved);
	bench_report(&r, count, add ? extra : NULL);
}

/* Raw socket: before the daemon binds, ICMP errors must not end the wait. */
static void
run_wait(struct in_addr gw, const char *start, const char *maxsec)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5351), .sin_addr = gw };
	double t0 = strtod(start, NULL), max_s = bench_num(maxsec, 3600, "seconds");
	double begun = bench_now();
	uint8_t req[2] = { 0, 0 }, resp[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bench_natpmp: socket");
		exit(2);
	}
	while (bench_now() - begun < max_s) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		(void)send(s, req, sizeof(req), 0);
		if (poll(&p, 1, 2) <= 0)
			continue;
		n = recv(s, resp, sizeof(resp), 0);
		if (n >= 12 && resp[0] == 0 && resp[1] == 128) {
			printf("ready_s=%.4f\n", bench_wall() - t0);
			exit(0);
		}
	}
	printf("ready_s=-1\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct in_addr gw;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_natpmp GW add|del|wait ARGS... (see the source)\n");
		return 2;
	}
	gw = bench_addr(argv[1]);
	if (!strcmp(argv[2], "add") && argc == 8)
		run_map(gw, argv + 3, argc - 3, 1);
	else if (!strcmp(argv[2], "del") && argc == 7)
		run_map(gw, argv + 3, argc - 3, 0);
	else if (!strcmp(argv[2], "wait") && argc == 5)
		run_wait(gw, argv[3], argv[4]);
	fprintf(stderr, "bench_natpmp: bad arguments\n");
	return 2;
}
