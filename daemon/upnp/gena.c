/*
 * gena: event subscriptions (SUBSCRIBE, renew, UNSUBSCRIBE) and delivery of
 * NOTIFY messages to subscribers.
 *
 * A callback is accepted only on the subscriber's own address, IPv4 or
 * IPv6 (a link-local one on the interface the SUBSCRIBE came in on): that is
 * what stops CallStranger (CVE-2020-12695), where a LAN page or a WAN
 * request makes the gateway send traffic to a third party. A host, counted
 * by its link-layer address (neigh.h) so that its IPv4 and IPv6 addresses are
 * one, holds at most GENA_MAX_PER_HOST subscriptions. Each
 * subscription has at most one NOTIFY in flight over its own non-blocking
 * connection; changes that arrive meanwhile are merged into the next one,
 * so a burst of lease changes costs one message, and SEQ still rises by
 * exactly one per message sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "lan6.h"
#include "lease.h"
#include "log.h"
#include "upnp.h"

/* Sized so that one host, or five, hold a small part of the slots: a host
 * needs one subscription per service it watches (three at most). */
#define GENA_MAX_SUBS		128
#define GENA_MAX_PER_HOST	4
#define GENA_IO_TIMEOUT_MS	5000
#define GENA_FIRST_DELAY_MS	50	/* let the SUBSCRIBE answer go out first */

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Evented variables, per service. */
enum {
	IPC_POSSIBLE = 1, IPC_STATUS = 2, IPC_EXTIP = 4, IPC_NENTRIES = 8, IPC_SYSUPD = 16,
	IPC_ALL_V1 = 15, IPC_ALL_V2 = 31,
	CIC_LINK = 1, CIC_ENABLED = 2, CIC_ALL = 3,
	L3F_DEFAULT = 1, L3F_ALL = 1,
	V6FC_STATUS = 1, V6FC_ALL = 1,
};

struct gena_sub {
	struct ev_timer		 expiry;
	struct ev_timer		 io_timer;
	bool			 used;
	enum upnp_svc		 svc;
	char			 sid[UPNP_UUID_LEN + 6];
	struct gena_callback	 cb;
	unsigned		 scope;		/* link-local callback: its interface */
	uint64_t		 host;		/* upnp_host_key() of the subscriber */
	uint32_t		 seq;		/* SEQ of the next NOTIFY */
	unsigned		 pending;	/* variables changed since the last NOTIFY */
	int			 fd;		/* NOTIFY in flight, or -1 */
	char			*msg;
	size_t			 len, off;
};

static struct gena_sub	subs[GENA_MAX_SUBS];

static unsigned
all_vars(enum upnp_svc svc)
{
	switch (svc) {
	case SVC_WANIPC2: return IPC_ALL_V2;
	case SVC_WANIPC1: return IPC_ALL_V1;
	case SVC_WANCIC1: return CIC_ALL;
	case SVC_L3F1: return L3F_ALL;
	case SVC_V6FC1: return V6FC_ALL;
	default: return 0;
	}
}

static void
prop(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, "<e:property><%s>", name);
	sbuf_xml(b, value);
	sbuf_printf(b, "</%s></e:property>", name);
}

static void
propu(struct sbuf *b, const char *name, unsigned long v)
{
	sbuf_printf(b, "<e:property><%s>%lu</%s></e:property>", name, v, name);
}

void
gena_propertyset(enum upnp_svc svc, unsigned mask, struct sbuf *b)
{
	struct in_addr ext = lease_external();
	char ip[INET_ADDRSTRLEN], conn[160];

	sbuf_add(b, "<?xml version=\"1.0\"?>\r\n"
	    "<e:propertyset xmlns:e=\"urn:schemas-upnp-org:event-1-0\">");
	if (svc == SVC_WANIPC1 || svc == SVC_WANIPC2) {
		inet_ntop(AF_INET, &ext, ip, sizeof(ip));
		if (mask & IPC_POSSIBLE)
			prop(b, "PossibleConnectionTypes", "IP_Routed");
		if (mask & IPC_STATUS)
			prop(b, "ConnectionStatus",
			    ext.s_addr != INADDR_ANY ? "Connected" : "Disconnected");
		if (mask & IPC_EXTIP)
			prop(b, "ExternalIPAddress", ip);
		if (mask & IPC_NENTRIES)
			propu(b, "PortMappingNumberOfEntries", lease_count());
		if ((mask & IPC_SYSUPD) && svc == SVC_WANIPC2)
			propu(b, "SystemUpdateID", upnp_st.system_update_id);
	} else if (svc == SVC_WANCIC1) {
		if (mask & CIC_LINK)
			prop(b, "PhysicalLinkStatus", "Up");
		if (mask & CIC_ENABLED)
			prop(b, "EnabledForInternet", "1");
	} else if (svc == SVC_V6FC1 && (mask & V6FC_STATUS)) {
		/* Pinholes are offered whenever the service is (README: the admin's rule). */
		prop(b, "FirewallEnabled", "1");
		prop(b, "InboundPinholeAllowed", "1");
	} else if (svc == SVC_L3F1 && (mask & L3F_DEFAULT)) {
		snprintf(conn, sizeof(conn),
		    "uuid:%s:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1",
		    upnp_st.uuid[UPNP_DEV_CONN]);
		prop(b, "DefaultConnectionService", conn);
	}
	sbuf_add(b, "</e:propertyset>\r\n");
}

/* --- delivery ------------------------------------------------------------- */

static void kick(struct gena_sub *s);

static void
io_done(struct gena_sub *s)
{
	if (s->fd >= 0) {
		ev_fd_del(s->fd);
		close(s->fd);
		s->fd = -1;
	}
	free(s->msg);
	s->msg = NULL;
	ev_timer_cancel(&s->io_timer);
}

static char *
build_notify(struct gena_sub *s, size_t *len)
{
	struct sbuf body, msg;
	char host[INET6_ADDRSTRLEN + 2];
	char *b;
	size_t bl;

	sbuf_init(&body);
	gena_propertyset(s->svc, s->pending, &body);
	if (!(b = sbuf_take(&body, &bl)))
		return NULL;
	if (IN6_IS_ADDR_V4MAPPED(&s->cb.addr)) {
		inet_ntop(AF_INET, &s->cb.addr.s6_addr[12], host, sizeof(host));
	} else {	/* Host names no zone: the subscriber knows its own link */
		host[0] = '[';
		inet_ntop(AF_INET6, &s->cb.addr, host + 1, sizeof(host) - 2);
		strcat(host, "]");
	}
	sbuf_init(&msg);
	sbuf_printf(&msg, "NOTIFY %s HTTP/1.1\r\nHOST: %s:%u\r\n"
	    "CONTENT-TYPE: text/xml; charset=\"utf-8\"\r\nCONTENT-LENGTH: %zu\r\n"
	    "NT: upnp:event\r\nNTS: upnp:propchange\r\nSID: %s\r\nSEQ: %u\r\n"
	    "CONNECTION: close\r\n\r\n%s",
	    s->cb.path, host, s->cb.port, bl, s->sid, s->seq, b);
	free(b);
	return sbuf_take(&msg, len);
}

static void
on_io(int fd, short revents, void *arg)
{
	struct gena_sub *s = arg;
	char buf[512];
	int err = 0;
	socklen_t el = sizeof(err);

	if (s->off < s->len) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err ||
		    (revents & (POLLERR | POLLHUP))) {
			log_debug("gena: NOTIFY to %s failed: %s", s->sid, strerror(err ? err : EIO));
			goto done;
		}
		ssize_t n = send(fd, s->msg + s->off, s->len - s->off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			goto done;
		s->off += (size_t)n;
		if (s->off == s->len)
			ev_fd_add(fd, POLLIN, on_io, s);
		return;
	}
	/* The subscriber's answer does not change anything: read it and hang up. */
	if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN)
		return;
done:
	io_done(s);
	kick(s);
}

static void
start_notify(struct gena_sub *s)
{
	union { struct sockaddr sa; struct sockaddr_in v4; struct sockaddr_in6 v6; } to;
	bool v4 = IN6_IS_ADDR_V4MAPPED(&s->cb.addr);
	int fd;

	memset(&to, 0, sizeof(to));
	if (v4) {
		to.v4.sin_family = AF_INET;
		to.v4.sin_port = htons(s->cb.port);
		memcpy(&to.v4.sin_addr, &s->cb.addr.s6_addr[12], 4);
	} else {
		to.v6.sin6_family = AF_INET6;
		to.v6.sin6_port = htons(s->cb.port);
		to.v6.sin6_addr = s->cb.addr;
		to.v6.sin6_scope_id = s->scope;
	}

	s->msg = build_notify(s, &s->len);
	s->off = 0;
	if (!s->msg)
		return;
	/* The message carries the current values; this SEQ is spent either way. */
	s->pending = 0;
	s->seq = s->seq == UINT32_MAX ? 1 : s->seq + 1;	/* 0 only once, UDA 4.2.1 */
	fd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || (connect(fd, &to.sa, v4 ? sizeof(to.v4) : sizeof(to.v6)) < 0 &&
	    errno != EINPROGRESS) || ev_fd_add(fd, POLLOUT, on_io, s) < 0) {
		if (fd >= 0)
			close(fd);
		free(s->msg);
		s->msg = NULL;
		return;
	}
	s->fd = fd;
	ev_timer_in(&s->io_timer, GENA_IO_TIMEOUT_MS);
}

static void
kick(struct gena_sub *s)
{
	if (s->used && s->pending && s->fd < 0 && !ev_timer_armed(&s->io_timer))
		start_notify(s);
}

static void
io_timer_cb(struct ev_timer *t)
{
	struct gena_sub *s = container_of(t, struct gena_sub, io_timer);

	if (s->fd >= 0) {
		log_debug("gena: NOTIFY for %s timed out", s->sid);
		io_done(s);
	}
	kick(s);
}

static void
sub_free(struct gena_sub *s)
{
	io_done(s);
	ev_timer_cancel(&s->expiry);
	s->used = false;
}

static void
expiry_cb(struct ev_timer *t)
{
	struct gena_sub *s = container_of(t, struct gena_sub, expiry);

	log_debug("gena: subscription %s expired", s->sid);
	sub_free(s);
}

static void
mark(unsigned ipc_vars)
{
	for (size_t i = 0; i < GENA_MAX_SUBS; i++) {
		struct gena_sub *s = &subs[i];
		if (!s->used || (s->svc != SVC_WANIPC1 && s->svc != SVC_WANIPC2))
			continue;
		s->pending |= ipc_vars & all_vars(s->svc);
		kick(s);
	}
}

static void
on_lease(enum lease_event ev, const struct lease *l, void *arg)
{
	(void)l;
	(void)arg;
	if (!upnp_st.running)
		return;
	upnp_st.system_update_id++;
	if (ev != LEASE_UPDATED)
		mark(IPC_NENTRIES | IPC_SYSUPD);
	else
		mark(IPC_SYSUPD);
}

static void
on_external(struct in_addr old_ext, struct in_addr new_ext, void *arg)
{
	(void)arg;
	if (!upnp_st.running || old_ext.s_addr == new_ext.s_addr)
		return;
	mark(IPC_EXTIP | IPC_STATUS);
}

/* --- SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------- */

static struct gena_sub *
find_sid(enum upnp_svc svc, const char *sid)
{
	for (size_t i = 0; i < GENA_MAX_SUBS; i++)
		if (subs[i].used && subs[i].svc == svc && strcasecmp(subs[i].sid, sid) == 0)
			return &subs[i];
	return NULL;
}

/* A renewal or UNSUBSCRIBE names its subscription by SID, and only the
 * subscriber may send it: a SID is not a bearer token another host can use. */
static bool
is_subscriber(const struct gena_sub *s, const struct gena_peer *peer)
{
	return memcmp(&s->cb.addr, &peer->addr, sizeof(peer->addr)) == 0 &&
	    s->scope == (IN6_IS_ADDR_LINKLOCAL(&peer->addr) ? peer->ifindex : 0);
}

static struct gena_sub *
existing(enum upnp_svc svc, const struct gena_peer *peer, const char *callback, const char *nt,
    const char *sid, struct gena_result *res)
{
	struct gena_sub *s = NULL;

	if (callback || nt)
		res->status = 400;
	else if (!(s = find_sid(svc, sid)) || !is_subscriber(s, peer)) {
		res->status = 412;
		s = NULL;
	}
	return s;
}

/* A callback on the subscriber itself, and never on the gateway (a peer
 * the gateway itself would be, talking to its own LAN address). */
static bool
callback_ok(const struct gena_callback *cb, const struct gena_peer *peer)
{
	if (memcmp(&cb->addr, &peer->addr, sizeof(peer->addr)) != 0)
		return false;
	if (IN6_IS_ADDR_V4MAPPED(&cb->addr)) {
		for (int i = 0; i < upnp_st.gw.n_lan; i++)
			if (memcmp(&upnp_st.gw.lan[i].addr, &cb->addr.s6_addr[12], 4) == 0)
				return false;
		return true;
	}
	return !lan6_is_own(&cb->addr) && (!IN6_IS_ADDR_LINKLOCAL(&cb->addr) || peer->ifindex);
}

void
gena_subscribe(enum upnp_svc svc, const struct gena_peer *peer, const char *callback,
    const char *nt, const char *sid, const char *timeout, struct gena_result *res)
{
	struct gena_callback cb;
	struct gena_sub *s = NULL;
	uint64_t host;

	memset(res, 0, sizeof(*res));
	res->timeout = gena_parse_timeout(timeout);
	if (sid) {
		if (!(s = existing(svc, peer, callback, nt, sid, res)))
			return;
		ev_timer_in(&s->expiry, (uint64_t)res->timeout * 1000);
		snprintf(res->sid, sizeof(res->sid), "%s", s->sid);
		res->status = 200;
		return;
	}
	if (!nt || strcmp(nt, "upnp:event") != 0 || gena_parse_callback(callback, &cb) < 0 ||
	    !callback_ok(&cb, peer)) {
		res->status = 412;
		return;
	}
	host = upnp_host_key(&peer->addr, peer->ifindex);
	size_t mine = 0;
	for (size_t i = 0; i < GENA_MAX_SUBS; i++) {
		if (!subs[i].used && !s)
			s = &subs[i];
		else if (subs[i].used && subs[i].host == host)
			mine++;
	}
	if (!s || mine >= GENA_MAX_PER_HOST) {
		res->status = 503;
		return;
	}
	s->used = true;
	s->svc = svc;
	s->cb = cb;
	s->scope = IN6_IS_ADDR_LINKLOCAL(&cb.addr) ? peer->ifindex : 0;
	s->host = host;
	s->fd = -1;
	s->msg = NULL;
	memcpy(s->sid, "uuid:", 5);
	upnp_uuid_random(s->sid + 5);
	s->seq = 0;
	s->pending = all_vars(svc);
	ev_timer_in(&s->expiry, (uint64_t)res->timeout * 1000);
	ev_timer_in(&s->io_timer, GENA_FIRST_DELAY_MS);
	snprintf(res->sid, sizeof(res->sid), "%s", s->sid);
	res->status = 200;
}

void
gena_unsubscribe(enum upnp_svc svc, const struct gena_peer *peer, const char *callback,
    const char *nt, const char *sid, struct gena_result *res)
{
	struct gena_sub *s;

	memset(res, 0, sizeof(*res));
	if (!sid) {
		res->status = 412;
		return;
	}
	if (!(s = existing(svc, peer, callback, nt, sid, res)))
		return;
	sub_free(s);
	res->status = 200;
}

int
gena_init(void)
{
	for (size_t i = 0; i < GENA_MAX_SUBS; i++) {
		subs[i] = (struct gena_sub){ .fd = -1 };
		ev_timer_init(&subs[i].expiry, expiry_cb);
		ev_timer_init(&subs[i].io_timer, io_timer_cb);
	}
	/* There is no way to stop listening: the callbacks check upnp_st.running. */
	static bool listening;
	if (!listening) {
		if (lease_listen(on_lease, NULL) < 0 ||
		    lease_listen_external(on_external, NULL) < 0)
			return -ENOMEM;
		listening = true;
	}
	return 0;
}

void
gena_fini(void)
{
	for (size_t i = 0; i < GENA_MAX_SUBS; i++)
		if (subs[i].used)
			sub_free(&subs[i]);
}
