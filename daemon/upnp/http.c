/*
 * http: libmicrohttpd serving descriptions, SOAP control and GENA
 * subscriptions, driven from the daemon's own event loop: one MHD daemon
 * per LAN address and one per LAN interface for IPv6 ([::] bound to that
 * device, so its link-local, global and ULA addresses however they change,
 * and never the WAN), in MHD_USE_EPOLL mode without threads, its epoll fd
 * watched by ev_fd_add and its timeouts folded into the loop's poll
 * timeout through the idle hook. Connections from outside the LAN
 * prefixes (IPv6: outside the link and its prefixes) are refused at
 * accept, request bodies are capped at
 * UPNP_BODY_MAX, and headers by MHD's per-connection memory limit; those
 * decisions, free of sockets, are in http_req.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "event.h"
#include "httpd.h"
#include "lan6.h"
#include "log.h"
#include "netif.h"
#include "stats.h"
#include "upnp.h"

/*
 * Connection slots per LAN listener. A client needs one connection at a
 * time (a few while a description and a SOAP call overlap), so five hosts
 * holding all they may (30) leave most of the slots free; at most 4 MiB of
 * connection memory. An idle connection is closed after the timeout.
 */
#define HTTP_CONN_MEM		(32 * 1024)	/* headers + read buffer per connection */
#define HTTP_MAX_CONNS		128
#define HTTP_MAX_PER_IP		6
#define HTTP_TIMEOUT_S		10

struct http_srv {
	struct MHD_Daemon	*d;
	int			 epfd;
	int			 lan;
};

static struct http_srv	srvs[2 * CONFIG_MAX_LAN];	/* IPv4 and IPv6 of each LAN */
static int		n_srvs;

/* --- responses ------------------------------------------------------------ */

/*
 * A response with our Server header (and a Content-Type unless NULL). A
 * MUST_FREE body is ours to free until MHD has taken it, so it is freed
 * here when the response cannot be made.
 */
static struct MHD_Response *
response(void *body, size_t len, enum MHD_ResponseMemoryMode mode, const char *ctype)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return NULL;
	}
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, upnp_st.server);
	return r;
}

/* A response from memory that outlives it (descriptions, empty bodies). */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *ctype, const char *body, size_t len)
{
	return httpd_send(c, status, response((void *)body, len, MHD_RESPMEM_PERSISTENT, ctype));
}

static enum MHD_Result
reply_empty(struct MHD_Connection *c, unsigned status)
{
	return reply(c, status, NULL, "", 0);
}

/* A SOAP envelope built in b (a reply or a fault). */
static enum MHD_Result
reply_soap(struct MHD_Connection *c, unsigned status, struct sbuf *b)
{
	size_t len;
	char *s = sbuf_take(b, &len);
	struct MHD_Response *r;

	if (!s)
		return reply_empty(c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	if ((r = response(s, len, MHD_RESPMEM_MUST_FREE, "text/xml; charset=\"utf-8\"")))
		MHD_add_response_header(r, "EXT", "");
	return httpd_send(c, status, r);
}

static enum MHD_Result
reply_fault(struct MHD_Connection *c, int code)
{
	struct sbuf b;

	sbuf_init(&b);
	soap_fault(&b, code);
	return reply_soap(c, MHD_HTTP_INTERNAL_SERVER_ERROR, &b);
}

/* --- routing --------------------------------------------------------------- */

static int
svc_by(const char *url, bool control)
{
	for (int s = 0; s < SVC_COUNT; s++) {
		const struct upnp_service *sv = upnp_service((enum upnp_svc)s);
		if (upnp_svc_enabled((enum upnp_svc)s) &&
		    strcmp(url, control ? sv->control : sv->event) == 0)
			return s;
	}
	return -1;
}

/* The client's address; an IPv4 one as ::ffff:a.b.c.d. */
static struct in6_addr
peer_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct in6_addr a = IN6ADDR_ANY_INIT;
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (sa && sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	} else if (sa && sa->sa_family == AF_INET) {
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	}
	return a;
}

/* The LAN interface a peer on IPv6 is on: a link-local one's scope, else the
 * interface whose prefix holds it (accept_policy let in no other); 0 for IPv4. */
static unsigned
ifindex_of6(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
	const struct lan6_prefix *p;

	if (!sa || sa->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
		return s6->sin6_scope_id;
	return (p = lan6_prefix_of(&s6->sin6_addr, 0)) ? p->ifindex : 0;
}

/* The peer's IPv4 address, or 0.0.0.0 for a peer on IPv6 (it has none here). */
static struct in_addr
peer4(const struct in6_addr *a)
{
	struct in_addr v4 = { INADDR_ANY };

	if (IN6_IS_ADDR_V4MAPPED(a))
		memcpy(&v4, &a->s6_addr[12], 4);
	return v4;
}

static void
peer_str(const struct in6_addr *a, char *buf, size_t len)
{
	struct in_addr v4 = peer4(a);

	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &v4, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static bool
rate_ok(struct MHD_Connection *c)
{
	struct in6_addr a = peer_of(c);

	return IN6_IS_ADDR_V4MAPPED(&a) ? upnp_rate_ok(peer4(&a)) :
	    upnp_rate_ok6(&a, ifindex_of6(c));
}

static enum MHD_Result
do_control(struct MHD_Connection *c, int svc, struct http_req *rq)
{
	struct request_result res;
	struct soap_req sr;
	struct soap_wait w;
	struct sbuf b;
	int code;

	if (rq->too_big)
		return reply_fault(c, UPNP_ACTION_FAILED);
	struct in6_addr pa = peer_of(c);
	char peer[INET6_ADDRSTRLEN];

	peer_str(&pa, peer, sizeof(peer));
	code = soap_parse(rq->body, rq->len, &sr);
	if (code != 0) {
		log_drop("upnp", peer, code == UPNP_INVALID_ARGS ? "SOAP body with a DTD" :
		    "unparseable SOAP body");
		return reply_fault(c, code);
	}
	sbuf_init(&b);
	w = (struct soap_wait){ .may_wait = !rq->hold.over, .may_wait_neigh = !rq->hold.neigh_over,
				.held_port = rq->hold.port };
	code = soap_dispatch((enum upnp_svc)svc,
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "SOAPACTION"), &sr, &pa, &w, &b, &res);
	if (code == SOAP_WAIT) {	/* the table or the gateway in front decides: soap_hold.c */
		sbuf_free(&b);
		if (w.neigh)
			soap_hold_neigh(&rq->hold, c);
		else
			soap_hold(&rq->hold, c, w.proto, w.port);
		return MHD_YES;
	}
	log_debug("upnp: %s %s %s -> %d", peer, upnp_service((enum upnp_svc)svc)->control,
	    sr.action, code ? code : 200);
	stats_result(OWNER_UPNP, &res);	/* counted; a refusal logged with its reason */
	if (code == 0)
		return reply_soap(c, MHD_HTTP_OK, &b);
	sbuf_free(&b);
	return reply_fault(c, code);
}

static enum MHD_Result
do_gena(struct MHD_Connection *c, int svc, bool subscribe)
{
	const char *cb = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "CALLBACK");
	const char *nt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "NT");
	const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "SID");
	const char *to = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "TIMEOUT");
	struct gena_peer peer = { peer_of(c), ifindex_of6(c) };
	struct gena_result res;
	struct MHD_Response *r;
	char tbuf[32];

	if (subscribe)
		gena_subscribe((enum upnp_svc)svc, &peer, cb, nt, sid, to, &res);
	else
		gena_unsubscribe((enum upnp_svc)svc, &peer, cb, nt, sid, &res);
	if (res.status != 200)
		return reply_empty(c, (unsigned)res.status);
	r = response((void *)"", 0, MHD_RESPMEM_PERSISTENT, NULL);
	if (r && subscribe) {
		snprintf(tbuf, sizeof(tbuf), "Second-%u", res.timeout);
		MHD_add_response_header(r, "SID", res.sid);
		MHD_add_response_header(r, "TIMEOUT", tbuf);
	}
	return httpd_send(c, MHD_HTTP_OK, r);
}

static enum MHD_Result
route(struct MHD_Connection *c, const char *url, const char *method, struct http_req *rq)
{
	enum http_kind kind = http_kind_of(method);
	const char *doc;
	size_t len;
	int svc;

	if (kind == HTTP_DOCUMENT) {
		enum MHD_Result sent;
		if (httpd_status_page(c, url, &sent))	/* the operator's pages, here too */
			return sent;
		if (!(doc = describe_doc(url, &len)))
			return reply_empty(c, MHD_HTTP_NOT_FOUND);
		return reply(c, MHD_HTTP_OK, "text/xml; charset=\"utf-8\"", doc, len);
	}
	if (kind == HTTP_CONTROL) {
		if ((svc = svc_by(url, true)) < 0)
			return reply_empty(c, MHD_HTTP_NOT_FOUND);
		/* A held request, resumed, was let in already. */
		if (!soap_hold_was_held(&rq->hold) && !rate_ok(c))
			return reply_empty(c, MHD_HTTP_SERVICE_UNAVAILABLE);
		return do_control(c, svc, rq);
	}
	if (kind == HTTP_SUBSCRIBE || kind == HTTP_UNSUBSCRIBE) {
		if ((svc = svc_by(url, false)) < 0)
			return reply_empty(c, MHD_HTTP_NOT_FOUND);
		if (!rate_ok(c))
			return reply_empty(c, MHD_HTTP_SERVICE_UNAVAILABLE);
		return do_gena(c, svc, kind == HTTP_SUBSCRIBE);
	}
	return reply_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED);
}

/* Collect the body (at most UPNP_BODY_MAX), then answer. */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct http_req *rq = *con_cls;

	(void)cls;
	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		*con_cls = rq;
		/* DNS rebinding: control points address the gateway by the IP in LOCATION. */
		if (!netif_host_is_address(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_HOST))) {
			char peer[INET6_ADDRSTRLEN];
			struct in6_addr pa = peer_of(c);
			peer_str(&pa, peer, sizeof(peer));
			log_drop("upnp", peer, "Host is not an IP address (DNS rebinding?)");
			return reply_empty(c, MHD_HTTP_FORBIDDEN);
		}
		/* Refuse an announced oversize body before reading any of it. */
		if (http_body_announced_too_big(cl)) {
			rq->too_big = true;
			return reply_fault(c, UPNP_ACTION_FAILED);
		}
		return MHD_YES;
	}
	if (*data_size) {
		if (http_body_feed(rq, data, *data_size) < 0)
			return MHD_NO;
		*data_size = 0;
		return MHD_YES;
	}
	return route(c, url, method, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq)
		soap_hold_forget(&rq->hold);
	http_req_free(rq);
	*con_cls = NULL;
}

/*
 * Only hosts inside a LAN prefix get a connection; the WAN gets nothing. The
 * IPv6 listeners are bound to their LAN device, so a link-local peer is on
 * that link.
 */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls;
	if (addr->sa_family == AF_INET6 && addrlen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
		return IN6_IS_ADDR_LINKLOCAL(a) || lan6_prefix_of(a, 0) ? MHD_YES : MHD_NO;
	}
	if (addr->sa_family != AF_INET || addrlen < (socklen_t)sizeof(struct sockaddr_in))
		return MHD_NO;
	return upnp_lan_of(((const struct sockaddr_in *)(const void *)addr)->sin_addr) ?
	    MHD_YES : MHD_NO;
}

/* --- event loop glue ------------------------------------------------------- */

static void
on_epoll(int fd, short revents, void *arg)
{
	struct http_srv *s = arg;

	(void)fd;
	(void)revents;
	MHD_run(s->d);
}

static long
max_sleep(void)
{
	long best = -1;

	for (int i = 0; i < n_srvs; i++) {
		MHD_UNSIGNED_LONG_LONG to;
		if (MHD_get_timeout(srvs[i].d, &to) == MHD_YES) {
			long t = to > 60000 ? 60000 : (long)to;
			if (best < 0 || t < best)
				best = t;
		}
	}
	return best;
}

/* Timeouts (idle connections) are processed even without socket activity. */
static void
after_poll(void)
{
	for (int i = 0; i < n_srvs; i++) {
		MHD_UNSIGNED_LONG_LONG to;
		if (MHD_get_timeout(srvs[i].d, &to) == MHD_YES && to == 0)
			MHD_run(srvs[i].d);
	}
}

/* The limits every listener has, IPv4 or IPv6. */
#define HTTP_OPTIONS \
	MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEM, \
	MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNS, \
	MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_PER_IP, \
	MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S, \
	MHD_OPTION_NOTIFY_COMPLETED, completed, NULL

static struct MHD_Daemon *
start_one(int lan, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr = upnp_st.gw.lan[lan].addr };

	return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, port, accept_policy,
	    NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, HTTP_OPTIONS,
	    MHD_OPTION_END);
}

/* [::]:port on the LAN device alone; -errno when IPv6 is not there. */
static int
listen6(const struct gw_lan *lan, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, lan->ifname,
	    (socklen_t)strlen(lan->ifname)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || listen(fd, 64) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static struct MHD_Daemon *
start_one6(int lan, uint16_t port)
{
	int fd = listen6(&upnp_st.gw.lan[lan], port);
	struct MHD_Daemon *d;

	if (fd < 0) {
		errno = -fd;
		log_warn("upnp: no HTTP on [::]:%u of %s", port, upnp_st.gw.lan[lan].ifname);
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_IPv6 | MHD_ALLOW_SUSPEND_RESUME, port,
	    accept_policy, NULL, handler, NULL, MHD_OPTION_LISTEN_SOCKET, fd, HTTP_OPTIONS,
	    MHD_OPTION_END);
	if (!d)
		close(fd);
	return d;
}

/* Watch a started server's epoll fd; false (server stopped) when that fails. */
static bool
watch(struct MHD_Daemon *d, int lan)
{
	struct http_srv *s = &srvs[n_srvs];
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);

	s->d = d;
	s->epfd = di ? di->epoll_fd : -1;
	s->lan = lan;
	if (s->epfd < 0 || ev_fd_add(s->epfd, POLLIN, on_epoll, s) < 0) {
		MHD_stop_daemon(d);
		return false;
	}
	n_srvs++;
	return true;
}

int
http_init(void)
{
	uint16_t port = upnp_st.cfg->http_port;
	struct MHD_Daemon *d;

	n_srvs = 0;
	soap_hold_init();
	for (int i = 0; i < upnp_st.gw.n_lan; i++) {
		const union MHD_DaemonInfo *di;

		if (!(d = start_one(i, port))) {
			log_warnx("upnp: cannot serve HTTP on %s port %u",
			    upnp_st.gw.lan[i].ifname, port);
			http_fini();
			return -EADDRINUSE;
		}
		/* Port 0 picks one; every LAN then uses the same, as LOCATION says. */
		if (port == 0 && (di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)))
			port = di->port;
		if (!watch(d, i)) {
			http_fini();
			return -EIO;
		}
	}
	/* IPv6 is an addition: without it (disabled, port taken) IPv4 still serves. */
	for (int i = 0; i < upnp_st.gw.n_lan; i++)
		if ((d = start_one6(i, port)) && watch(d, i))
			log_info("upnp: HTTP on [::]:%u of %s", port, upnp_st.gw.lan[i].ifname);
	upnp_st.http_port = port;
	ev_set_idle_hook(max_sleep, after_poll);
	return 0;
}

void
http_fini(void)
{
	ev_set_idle_hook(NULL, NULL);
	soap_hold_release_all();	/* MHD must not stop with suspended connections */
	for (int i = 0; i < n_srvs; i++) {
		if (srvs[i].epfd >= 0)
			ev_fd_del(srvs[i].epfd);
		MHD_stop_daemon(srvs[i].d);
	}
	n_srvs = 0;
}
