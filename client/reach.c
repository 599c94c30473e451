/*
 * reach: the real test behind the checkup. A TCP connection from this host
 * to the external address goes out to the gateway and, through its hairpin,
 * back to the mapped port: accepted means the mapping works end to end;
 * a reset means it got here but nothing listens; silence means the gateway
 * dropped it (no mapping, no hairpin, or a second NAT in front).
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "phc.h"

static int
probe(const struct sockaddr *sa, socklen_t len, int timeout_ms, enum porthole_reach *reach)
{
	struct pollfd pfd;
	int64_t start = mono_ms();
	socklen_t sl = sizeof(int);
	int s, err = 0, r;

	if ((s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(s, sa, len);
	if (r == -1 && errno != EINPROGRESS) {
		err = errno;
	} else if (r == -1) {
		pfd.fd = s;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r == -1 && errno == EINTR);
		if (r == 0)
			err = ETIMEDOUT;
		else if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
	}
	close(s);
	if (err == 0)
		*reach = PORTHOLE_REACH_OPEN;
	else if (err == ECONNREFUSED)
		*reach = PORTHOLE_REACH_REFUSED;
	else
		*reach = PORTHOLE_REACH_TIMEOUT;
	return (int)(mono_ms() - start);
}

int
phc_tcp_probe(struct in_addr addr, uint16_t port, int timeout_ms, enum porthole_reach *reach)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };

	return probe((struct sockaddr *)&sa, sizeof(sa), timeout_ms, reach);
}

int
phc_tcp_probe6(const struct in6_addr *addr, uint16_t port, int timeout_ms,
    enum porthole_reach *reach)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
	    .sin6_addr = *addr };

	return probe((struct sockaddr *)&sa, sizeof(sa), timeout_ms, reach);
}
