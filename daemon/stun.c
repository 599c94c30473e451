/*
 * stun: see stun.h. One round: a Binding request sent up to STUN_SENDS
 * times, 500 ms apart and doubling (RFC 5389 §7.2.1, shortened: an answer
 * that comes later than 7.5 s is not worth waiting for, the next round
 * starts soon). The socket is connect()ed to the server, so the kernel
 * drops datagrams from anyone else; the transaction id (fresh from
 * getrandom for every round) drops stale or forged answers.
 */
#include "stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "lease.h"
#include "log.h"
#include "stun_msg.h"

#define STUN_SENDS	4
#define STUN_RTO_MS	500

static struct {
	int			 fd;
	struct ev_timer		 timer;
	uint8_t			 txid[STUN_TXID_LEN];
	unsigned		 sent;		/* in this round */
	bool			 waiting;	/* a round is under way */
	struct stun_state	 st;
} s = { .fd = -1 };

static void
round_start(void)
{
	if (getrandom(s.txid, sizeof(s.txid), 0) != sizeof(s.txid)) {
		log_warn("stun: getrandom");
		ev_timer_in(&s.timer, STUN_RETRY_S * 1000);
		return;
	}
	s.sent = 0;
	s.waiting = true;
	ev_timer_at(&s.timer, (uint64_t)mono_ms());
}

static void
timer_fired(struct ev_timer *t)
{
	uint8_t req[STUN_HDR_LEN];

	if (!s.waiting) {
		round_start();
		return;
	}
	if (s.sent == STUN_SENDS) {
		s.waiting = false;
		if (s.st.rounds_failed++ == 0)
			log_warnx("stun: no answer from %s%s", s.st.server,
			    s.st.mapped.s_addr ? "; keeping the last public address" : "");
		ev_timer_in(t, STUN_RETRY_S * 1000);
		return;
	}
	if (send(s.fd, req, stun_build_request(req, s.txid), 0) < 0)
		log_debug("stun: send to %s: %s", s.st.server, strerror(errno));
	ev_timer_in(t, (uint64_t)STUN_RTO_MS << s.sent);
	s.sent++;
}

static void
answered(struct in_addr mapped, uint16_t port)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &mapped, a, sizeof(a));
	if (mapped.s_addr != s.st.mapped.s_addr || s.st.rounds_failed)
		log_info("stun: %s sees us as %s (port %u)", s.st.server, a, port);
	s.st.mapped = mapped;
	s.st.answered_ms = (uint64_t)mono_ms();
	s.st.rounds_failed = 0;
	s.waiting = false;
	ev_timer_in(&s.timer, STUN_REFRESH_S * 1000);
	lease_set_public(mapped);
}

static void
readable(int fd, short revents, void *arg)
{
	uint8_t b[STUN_MAX_MSG + 1];
	struct in_addr mapped;
	uint16_t port;
	ssize_t n;

	(void)revents;
	(void)arg;
	while ((n = recv(fd, b, sizeof(b), 0)) >= 0) {
		if (!s.waiting)
			continue;
		int v = stun_parse_response(b, (size_t)n, s.txid, &mapped, &port);
		if (v == STUN_OK && mapped.s_addr)
			answered(mapped, port);
		else
			log_debug("stun: dropped %zd bytes from %s: %s", n, s.st.server,
			    stun_verdict_name(v));
	}
}

static int
resolve(const char *host, uint16_t port, struct sockaddr_in *out)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *res;
	char ps[8];
	int rc;

	snprintf(ps, sizeof(ps), "%u", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0) {
		log_warnx("stun: cannot resolve %s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(out, res->ai_addr, sizeof(*out));
	freeaddrinfo(res);
	return 0;
}

int
stun_init(const char *spec)
{
	char host[STUN_HOST_MAX], why[128], a[INET_ADDRSTRLEN];
	struct sockaddr_in sin;
	uint16_t port;
	int rc;

	if (!spec || !*spec)
		return 0;
	if (stun_server_parse(spec, host, &port, why, sizeof(why)) < 0) {
		log_warnx("stun: %s", why);
		return -EINVAL;
	}
	if ((rc = resolve(host, port, &sin)) < 0)
		return rc;
	s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s.fd < 0)
		return -errno;
	if (connect(s.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (rc = ev_fd_add(s.fd, POLLIN, readable, NULL)) < 0) {
		rc = rc < 0 ? rc : -errno;
		close(s.fd);
		s.fd = -1;
		return rc;
	}
	inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
	snprintf(s.st.server, sizeof(s.st.server), "%s:%u", a, port);
	s.st.enabled = true;
	ev_timer_init(&s.timer, timer_fired);
	round_start();
	return 0;
}

void
stun_refresh(void)
{
	if (s.st.enabled && !s.waiting)
		round_start();
}

void
stun_fini(void)
{
	if (s.fd < 0)
		return;
	ev_timer_cancel(&s.timer);
	ev_fd_del(s.fd);
	close(s.fd);
	s.fd = -1;
	s.st.enabled = false;
}

const struct stun_state *
stun_state(void)
{
	return &s.st;
}
