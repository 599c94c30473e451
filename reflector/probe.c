/*
 * probe: the reflector's connections back to the client. All ports are
 * tried at once (non-blocking connects in one poll loop), so a request
 * costs at most connect_ms + greet_ms whatever its length. A connection
 * accepted is `open`; then the service may speak first (SMTP, POP3 and
 * IMAP do): its first line is read for greet_ms and kept, sanitised. A
 * reset is `refused`; silence or an ICMP error is `timeout`.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "clock.h"
#include "reflect.h"

#define GREETING_READ	512	/* bytes read looking for the first line */

enum phase { DONE, CONNECTING, READING };

struct conn {
	int		fd;
	enum phase	phase;
	int64_t		start_ms;
	int64_t		deadline_ms;
	char		buf[GREETING_READ];
	size_t		len;
};

static void
start(struct conn *c, const struct sockaddr_storage *peer, uint16_t port, int connect_ms,
    struct phc_reflect_result *out)
{
	struct sockaddr_storage sa = *peer;
	socklen_t len;

	if (sa.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	}
	c->start_ms = mono_ms();
	c->deadline_ms = c->start_ms + connect_ms;
	c->phase = CONNECTING;
	c->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || (connect(c->fd, (struct sockaddr *)&sa, len) == -1 &&
	    errno != EINPROGRESS)) {
		out->result = errno == ECONNREFUSED ? PORTHOLE_REACH_REFUSED :
		    PORTHOLE_REACH_TIMEOUT;
		c->phase = DONE;
	}
}

static void
connected(struct conn *c, int greet_ms, struct phc_reflect_result *out)
{
	socklen_t sl = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	out->ms = (int)(mono_ms() - c->start_ms);
	if (err != 0) {
		out->result = err == ECONNREFUSED ? PORTHOLE_REACH_REFUSED : PORTHOLE_REACH_TIMEOUT;
		c->phase = DONE;
		return;
	}
	out->result = PORTHOLE_REACH_OPEN;
	c->phase = READING;
	c->deadline_ms = mono_ms() + greet_ms;
}

static void
reading(struct conn *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (r > 0)
		c->len += (size_t)r;
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
	    memchr(c->buf, '\n', c->len) != NULL || c->len == sizeof(c->buf))
		c->phase = DONE;
}

/* Polls the unfinished connections once; false when none is left. */
static bool
step(struct conn *c, size_t n, int greet_ms, struct phc_reflect_result *out)
{
	struct pollfd pfd[PHC_REFLECT_PORTS_MAX];
	size_t idx[PHC_REFLECT_PORTS_MAX], k = 0, i;
	int64_t now = mono_ms(), wait = -1;

	for (i = 0; i < n; i++) {
		if (c[i].phase == DONE)
			continue;
		if (now >= c[i].deadline_ms) {	/* connect or greeting took too long */
			c[i].phase = DONE;
			continue;
		}
		pfd[k].fd = c[i].fd;
		pfd[k].events = c[i].phase == CONNECTING ? POLLOUT : POLLIN;
		pfd[k].revents = 0;
		idx[k++] = i;
		if (wait < 0 || c[i].deadline_ms - now < wait)
			wait = c[i].deadline_ms - now;
	}
	if (k == 0)
		return false;
	if (poll(pfd, k, (int)wait) <= 0)
		return true;
	for (i = 0; i < k; i++) {
		struct conn *cc = &c[idx[i]];

		if (pfd[i].revents == 0)
			continue;
		if (cc->phase == CONNECTING)
			connected(cc, greet_ms, &out[idx[i]]);
		else
			reading(cc);
	}
	return true;
}

void
probe_ports(const struct sockaddr_storage *peer, const uint16_t *ports, const bool *allowed,
    size_t n, int connect_ms, int greet_ms, struct phc_reflect_result *out)
{
	struct conn c[PHC_REFLECT_PORTS_MAX];
	size_t i;

	if (n > PHC_REFLECT_PORTS_MAX)
		n = PHC_REFLECT_PORTS_MAX;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = -1;
		out[i].port = ports[i];
		out[i].allowed = allowed[i];
		out[i].ms = -1;
		out[i].result = PORTHOLE_REACH_TIMEOUT;
		if (allowed[i])
			start(&c[i], peer, ports[i], connect_ms, &out[i]);
	}
	while (step(c, n, greet_ms, out))
		;
	for (i = 0; i < n; i++) {
		if (c[i].fd != -1)
			close(c[i].fd);
		phc_sanitize_line(out[i].greeting, sizeof(out[i].greeting), c[i].buf, c[i].len);
	}
}
