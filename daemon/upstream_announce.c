/*
 * upstream_announce: hears the gateway in front announce a restart or a
 * new external address (NAT-PMP address replies and PCP ANNOUNCE or MAP
 * replies sent to 224.0.0.1:5350, RFC 6886 §3.2.1, RFC 6887 §14.1.3), so
 * that the worker checks it at once rather than at its next poll. The
 * datagram is only a hint: the worker's own queries decide what changed,
 * so nothing in it is trusted beyond its sender and its first two bytes,
 * and a forged one costs at most one check (they coalesce: one flag).
 */
#include "upstream_announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "pcp_wire.h"
#include "upstream_worker.h"

static int fd = -1;

/* A NAT-PMP response, or a PCP response: what a gateway announces with. */
static bool
looks_announced(const uint8_t *b, ssize_t n)
{
	if (n < 2)
		return false;
	if (b[0] == 0)
		return b[1] >= NATPMP_RESPONSE_OP;
	return b[0] == PCP_VERSION && (b[1] & PCP_RESPONSE_BIT);
}

static void
readable(int s, short revents, void *arg)
{
	struct in_addr gw = upw_gateway();
	uint8_t b[PCP_MAX_MSG];

	(void)revents;
	(void)arg;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		/* Only the gateway speaks for the gateway. */
		if (from.sin_addr.s_addr != gw.s_addr || !looks_announced(b, n))
			continue;
		log_info("upstream: the gateway in front announced itself; checking it now");
		upw_check_now();
	}
}

int
upa_init(const char *ext_ifname)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PCP_CLIENT_PORT) };
	struct ip_mreqn mr = { .imr_multiaddr.s_addr = htonl(0xe0000001) };
	int one = 1, zero = 0, rc;

	if (!(mr.imr_ifindex = (int)if_nametoindex(ext_ifname)))
		return -errno;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* Others on this host (a porthole keeper) may listen for the same. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		rc = -errno;
		upa_fini();
		return rc;
	}
	if ((rc = ev_fd_add(fd, POLLIN, readable, NULL)) < 0) {
		upa_fini();
		return rc;
	}
	return 0;
}

void
upa_fini(void)
{
	if (fd < 0)
		return;
	ev_fd_del(fd);
	close(fd);
	fd = -1;
}
