/*
 * status_http: the operator's pages (/status, /status.json, /metrics; see
 * status.h) on a listener of their own, status_port on each LAN address,
 * so monitoring does not depend on the UPnP front-end (enable_upnp=no).
 *
 * libmicrohttpd without threads, on the daemon's event loop: each daemon's
 * epoll fd is watched, and one timer follows MHD_get_timeout() so idle
 * connections are closed without socket activity. Only GET and HEAD; hosts
 * outside the LAN prefixes are refused at accept, and a Host header that
 * is a name (DNS rebinding) gets 403. Connections are few and short.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

#include "event.h"
#include "frontend.h"
#include "httpd.h"
#include "log.h"
#include "netif.h"

#define STATUS_CONN_MEM		(16 * 1024)
#define STATUS_MAX_CONNS	16
#define STATUS_MAX_PER_IP	4
#define STATUS_TIMEOUT_S	10

struct listener {
	struct MHD_Daemon	*d;
	int			 epfd;
};

static struct {
	const struct gateway	*gw;
	struct listener		 l[CONFIG_MAX_LAN];
	int			 n;
	struct ev_timer		 tick;
} st;

static enum MHD_Result
send_empty(struct MHD_Connection *c, unsigned status)
{
	return httpd_send(c, status, MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT));
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *data_size, void **con_cls)
{
	static int seen;
	enum MHD_Result rc;

	(void)cls;
	(void)version;
	(void)data;
	if (!*con_cls) {		/* headers read; answer on the next call */
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*data_size)
		return MHD_NO;		/* nothing here takes a body */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED);
	if (!netif_host_is_address(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST)))
		return send_empty(c, MHD_HTTP_FORBIDDEN);
	if (httpd_status_page(c, url, &rc))
		return rc;
	return send_empty(c, MHD_HTTP_NOT_FOUND);
}

/* Only hosts inside a LAN prefix get a connection; the WAN gets nothing. */
static enum MHD_Result
accept_lan(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls;
	if (addr->sa_family != AF_INET || addrlen < (socklen_t)sizeof(struct sockaddr_in))
		return MHD_NO;
	return gateway_lan_of(st.gw, ((const struct sockaddr_in *)(const void *)addr)->sin_addr) ?
	    MHD_YES : MHD_NO;
}

/* The timer follows the soonest timeout any daemon asks for. */
static void
rearm(void)
{
	MHD_UNSIGNED_LONG_LONG best = 0;
	bool any = false;

	for (int i = 0; i < st.n; i++) {
		MHD_UNSIGNED_LONG_LONG to;
		if (MHD_get_timeout(st.l[i].d, &to) == MHD_YES && (!any || to < best)) {
			best = to;
			any = true;
		}
	}
	if (any)
		ev_timer_in(&st.tick, best);
	else
		ev_timer_cancel(&st.tick);
}

static void
on_epoll(int fd, short revents, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)revents;
	MHD_run(l->d);
	rearm();
}

static void
on_tick(struct ev_timer *t)
{
	(void)t;
	for (int i = 0; i < st.n; i++)
		MHD_run(st.l[i].d);
	rearm();
}

static void
status_http_fini(void)
{
	ev_timer_cancel(&st.tick);
	for (int i = 0; i < st.n; i++) {
		if (st.l[i].epfd >= 0)
			ev_fd_del(st.l[i].epfd);
		MHD_stop_daemon(st.l[i].d);
	}
	st.n = 0;
}

static int
listen_on(const struct gw_lan *lan, uint16_t port, struct listener *l)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr = lan->addr };
	const union MHD_DaemonInfo *di;

	l->epfd = -1;
	l->d = MHD_start_daemon(MHD_USE_EPOLL, port, accept_lan, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)STATUS_CONN_MEM,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATUS_MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)STATUS_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATUS_TIMEOUT_S,
	    MHD_OPTION_END);
	if (!l->d)
		return -EADDRINUSE;
	di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
	l->epfd = di ? di->epoll_fd : -1;
	if (l->epfd < 0 || ev_fd_add(l->epfd, POLLIN, on_epoll, l) < 0) {
		MHD_stop_daemon(l->d);
		return -ENOMEM;
	}
	return 0;
}

static int
status_http_init(const struct gateway *gw)
{
	uint16_t port = (uint16_t)gw->cfg->status_port;
	int rc;

	st.gw = gw;
	st.n = 0;
	ev_timer_init(&st.tick, on_tick);
	for (int i = 0; i < gw->n_lan; i++) {
		if ((rc = listen_on(&gw->lan[i], port, &st.l[st.n])) < 0) {
			log_warnx("status: cannot listen on %s port %u (status_port; 0 turns "
			    "the listener off)", gw->lan[i].ifname, port);
			status_http_fini();
			return rc;
		}
		st.n++;
		log_info("status: /status, /status.json and /metrics on http://%s:%u",
		    inet_ntoa(gw->lan[i].addr), port);
	}
	return 0;
}

const struct frontend frontend_status = {
	.name = "status",
	.init = status_http_init,
	.fini = status_http_fini,
};
