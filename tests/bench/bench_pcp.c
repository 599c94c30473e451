/*
 * bench_pcp: PCP MAP load (RFC 6887 §11) built and parsed by the project's
 * client module (client/pcp_client.c), one request at a time over one
 * connected socket, so the figure is the server's round trip and not socket
 * set-up.
 *
 *   bench_pcp GW add PROTO FIRST COUNT LIFETIME MAXSEC
 *   bench_pcp GW del PROTO FIRST COUNT MAXSEC	(lifetime 0, same nonce)
 *
 * GW may be an IPv6 address: then every MAP opens a pinhole (PCP over IPv6).
 *
 * Every mapping of a run uses one fixed nonce, so a later `del` run owns
 * them (§11.2 ties a mapping to its nonce). Prints ops= fail= secs= rate=
 * capped= and, for add, moved= (another external port than asked).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "pcp_client.h"

/* As bench_natpmp_map: resend only when an answer is surely lost. */
#define TRIES		BENCH_NATPMP_TRIES
#define WAIT_MS		BENCH_NATPMP_WAIT_MS

/* A socket connected to GW (IPv4 or IPv6); the client IP field goes in cip. */
static int
open_server(const char *gw, uint8_t cip[16])
{
	union { struct sockaddr sa; struct sockaddr_in v4; struct sockaddr_in6 v6; } to;
	struct in_addr me;
	socklen_t len;
	int s;

	memset(&to, 0, sizeof(to));
	if (inet_pton(AF_INET6, gw, &to.v6.sin6_addr) == 1) {
		to.v6.sin6_family = AF_INET6;
		to.v6.sin6_port = htons(PCP_SERVER_PORT);
		len = sizeof(to.v6);
		if (pcpc_local_addr6(&to.v6.sin6_addr, 0, (struct in6_addr *)cip) < 0)
			return -1;
	} else {
		to.v4.sin_family = AF_INET;
		to.v4.sin_port = htons(PCP_SERVER_PORT);
		to.v4.sin_addr = bench_addr(gw);
		len = sizeof(to.v4);
		if (pcpc_local_addr(to.v4.sin_addr, &me) < 0)
			return -1;
		pcp_v4mapped(me, cip);
	}
	s = socket(to.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, &to.sa, len) < 0) {
		perror("bench_pcp: socket");
		exit(2);
	}
	return s;
}

/* One MAP exchange: 0 with *resp filled, or -1 after TRIES timeouts. */
static int
pcp_one(int s, const struct pcpc_msg *req, struct pcpc_msg *resp)
{
	uint8_t out[PCP_MAX_MSG], in[PCP_MAX_MSG];
	size_t len = pcpc_build(req, out, sizeof(out));

	if (len == 0)
		return -1;
	for (int t = 0; t < TRIES; t++) {
		double until = bench_now() + WAIT_MS / 1000.0;

		if (send(s, out, len, 0) < 0)
			return -1;
		for (double left; (left = until - bench_now()) > 0;) {
			struct pollfd p = { .fd = s, .events = POLLIN };
			ssize_t n;

			if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
				break;
			n = recv(s, in, sizeof(in), 0);
			if (n > 0 && pcpc_parse(in, (size_t)n, resp) == 0 && pcpc_matches(req, resp))
				return 0;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	int add = argc == 8 && !strcmp(argv[2], "add");
	struct pcpc_msg req, resp;
	struct bench_run r;
	unsigned first, count, moved = 0;
	char extra[32];
	int s;

	if (!add && !(argc == 7 && !strcmp(argv[2], "del"))) {
		fprintf(stderr, "usage: bench_pcp GW add|del PROTO FIRST COUNT [LIFETIME] MAXSEC\n");
		return 2;
	}
	memset(&req, 0, sizeof(req));
	req.version = PCP_VERSION;
	req.opcode = PCP_OP_MAP;
	req.proto = bench_proto(argv[3]);
	first = bench_num(argv[4], 65535, "first port");
	count = bench_num(argv[5], 65535 - first + 1, "count");
	req.lifetime = add ? bench_num(argv[6], 0xffffffffUL, "lifetime") : 0;
	memset(req.nonce, 0x5b, sizeof(req.nonce));
	pcp_v4mapped((struct in_addr){ 0 }, req.ext_ip);	/* no preference */
	if (first == 0 || (s = open_server(argv[1], req.client_ip)) < 0) {
		fprintf(stderr, "bench_pcp: bad first port or no route to %s\n", argv[1]);
		return 2;
	}
	bench_begin(&r, bench_num(argv[add ? 7 : 6], 86400, "seconds"));
	for (unsigned i = 0; i < count && bench_in_time(&r); i++) {
		req.int_port = first + i;
		req.ext_port = add ? req.int_port : 0;
		if (pcp_one(s, &req, &resp) < 0 || resp.result != PCP_SUCCESS) {
			r.fails++;
			continue;
		}
		r.ops++;
		moved += add && resp.ext_port != req.int_port;
	}
	close(s);
	snprintf(extra, sizeof(extra), "moved=%u", moved);
	bench_report(&r, count, add ? extra : NULL);
	return 0;
}
