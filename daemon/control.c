/*
 * control: see control.h. Requests come from root over a local socket, yet
 * are still parsed strictly: a typo must produce a clear ERR, not a mapping.
 */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "event.h"
#include "frontend.h"
#include "lease.h"
#include "log.h"
#include "pinhole.h"
#include "pubaddr.h"
#include "sbuf.h"
#include "stats.h"

#define HELLO_LINE	CTL_HELLO " " STRINGIFY(CTL_VERSION)
#define STRINGIFY(x)	STRINGIFY_(x)
#define STRINGIFY_(x)	#x
#define MAX_CLIENTS	16

struct ctl_client {
	int	fd;
	size_t	len;
	char	buf[CTL_REQ_MAX];
};

static const struct gateway *lan_gw;	/* the LAN prefixes a static mapping may use */
static int listen_fd = -1;
static char sock_path[108];
static struct ctl_client clients[MAX_CLIENTS];

/* The pinholes after the mappings, as pinhole records. */
static void
list_pinholes(struct sbuf *r)
{
	struct lease_traffic *t = pinhole_traffic();
	char line[CTL_LINE_MAX];

	for (size_t i = 0; i < pinhole_count(); i++) {
		const struct pinhole *p = pinhole_at(i);
		struct ctl_pinhole c = {
			.addr = p->int_addr, .port = p->int_port, .id = p->id,
			.permanent = p->permanent, .lease_left = pinhole_seconds_left(p),
			.remote = p->remote, .remote_plen = p->remote_plen,
			.remote_port = p->remote_port, .packets = t ? t[i].packets : 0, .bytes = t ? t[i].bytes : 0,
		};

		snprintf(c.proto, sizeof(c.proto), "%s", lease_proto_name(p->proto));
		snprintf(c.owner, sizeof(c.owner), "%s", lease_owner_name(p->owner));
		snprintf(c.desc, sizeof(c.desc), "%s", p->desc);
		if (ctl_pinhole_format(&c, line, sizeof(line)) >= 0)
			sbuf_printf(r, "%s\n", line);
	}
	free(t);
}

static void
cmd_list(struct sbuf *r)
{
	struct lease_traffic *t = lease_traffic();
	char line[CTL_LINE_MAX];

	for (size_t i = 0; i < lease_count(); i++) {
		const struct lease *l = lease_at(i);
		struct ctl_mapping m = {
			.ext_port = l->ext_port, .int_addr = l->int_addr, .int_port = l->int_port,
			.permanent = lease_permanent(l), .lease_left = lease_seconds_left(l),
			.remote = l->remote, .packets = t ? t[i].packets : 0,
			.bytes = t ? t[i].bytes : 0,
		};

		snprintf(m.proto, sizeof(m.proto), "%s", lease_proto_name(l->proto));
		snprintf(m.owner, sizeof(m.owner), "%s", lease_owner_name(l->owner));
		snprintf(m.desc, sizeof(m.desc), "%s", l->desc);
		if (ctl_mapping_format(&m, line, sizeof(line)) >= 0)
			sbuf_printf(r, "%s\n", line);
	}
	free(t);
	list_pinholes(r);
	sbuf_printf(r, "OK %zu mappings\n", lease_count());
}

static int
parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static const char *
add_error(int rc)
{
	switch (rc) {
	case -EEXIST:
		return "that external port is held by another host (del it first)";
	case -ENOSPC:
		return "the mapping table is full (max_leases)";
	case -EADDRNOTAVAIL:
		return "the internal address must be a host inside a LAN prefix (not the "
		    "gateway's own address, nor the network or broadcast address)";
	case -EADDRINUSE:
		return "the gateway itself uses that external port (udp 5350, 5351, 1900, "
		    "or a socket listening on the WAN address)";
	case -EIO:
		return "the kernel refused the mapping (see the daemon's log)";
	default:
		return strerror(-rc);
	}
}

/* "192.168.77.0/24 on br-lan, 10.0.0.0/8 on lan2": where a static mapping may point. */
static void
describe_lans(const struct gateway *gw, struct sbuf *r)
{
	for (int i = 0; i < gw->n_lan; i++) {
		struct in_addr net = gw->lan[i].addr;
		char a[INET_ADDRSTRLEN];

		net.s_addr &= gw->lan[i].plen ? htonl(~0u << (32 - gw->lan[i].plen)) : 0;
		inet_ntop(AF_INET, &net, a, sizeof(a));
		sbuf_printf(r, "%s%s/%u on %s", i ? ", " : "", a, gw->lan[i].plen, gw->lan[i].ifname);
	}
}

static void
cmd_add(const struct gateway *gw, char **argv, int argc, struct sbuf *r)
{
	struct lease_req req = { .owner = OWNER_STATIC };
	char *end;
	unsigned long life = 0;
	int rc;

	if (argc < 5) {
		sbuf_printf(r, "ERR usage: add PROTO EXTPORT INTADDR INTPORT [LIFETIME [DESC]]\n");
		return;
	}
	if (lease_proto_parse(argv[1], &req.proto) < 0) {
		sbuf_printf(r, "ERR protocol must be tcp or udp, not '%s'\n", argv[1]);
		return;
	}
	if (parse_port(argv[2], &req.ext_port) < 0 || parse_port(argv[4], &req.int_port) < 0) {
		sbuf_printf(r, "ERR ports are numbers from 1 to 65535\n");
		return;
	}
	if (inet_pton(AF_INET, argv[3], &req.int_addr) != 1) {
		sbuf_printf(r, "ERR '%s' is not an IPv4 address\n", argv[3]);
		return;
	}
	if (!gateway_lan_of(gw, req.int_addr)) {
		/* A typo here would forward the WAN to a host nobody serves. */
		sbuf_printf(r, "ERR %s is in no LAN prefix (", argv[3]);
		describe_lans(gw, r);
		sbuf_printf(r, "); a static mapping points to a LAN host\n");
		return;
	}
	if (argc > 5) {
		life = strtoul(argv[5], &end, 10);
		if (*end || argv[5][0] == '-' || life > 31536000) {
			sbuf_printf(r, "ERR lifetime is seconds from 0 (permanent) to 31536000\n");
			return;
		}
	}
	req.lifetime = (uint32_t)life;
	req.desc = argc > 6 ? argv[6] : "static";
	rc = lease_add(&req, NULL);
	stats_request(OWNER_STATIC, rc == 0);
	if (rc < 0) {
		stats_refused(OWNER_STATIC, stats_refusal_of(rc), req.proto, req.ext_port, req.int_addr);
		sbuf_printf(r, "ERR %s\n", add_error(rc));
		return;
	}
	sbuf_printf(r, "OK added %s %u -> %s:%u, ", lease_proto_name(req.proto), req.ext_port, argv[3],
	    req.int_port);
	if (life)
		sbuf_printf(r, "for %lu s", life);
	else
		sbuf_printf(r, "permanent");
	sbuf_printf(r, ", \"%s\"\n", req.desc);
}

static void
cmd_del(char **argv, int argc, struct sbuf *r)
{
	uint8_t proto;
	uint16_t port;
	struct lease *l;

	if (argc != 3 || lease_proto_parse(argv[1], &proto) < 0 || parse_port(argv[2], &port) < 0) {
		sbuf_printf(r, "ERR usage: del tcp|udp EXTPORT\n");
		return;
	}
	l = lease_find(proto, port);
	if (!l) {
		sbuf_printf(r, "ERR no mapping for %s %u\n", argv[1], port);
		return;
	}
	char ia[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &l->int_addr, ia, sizeof(ia));
	sbuf_printf(r, "OK removed %s %u -> %s:%u (%s)\n", lease_proto_name(l->proto), l->ext_port,
	    ia, l->int_port, lease_owner_name(l->owner));
	lease_remove(l, LEASE_REMOVED);
}

static void
cmd_flush(char **argv, int argc, struct sbuf *r)
{
	int owner = -1;

	if (argc == 2) {
		for (int o = 0; o < OWNER_COUNT; o++)
			if (!strcmp(argv[1], lease_owner_name(o)))
				owner = o;
		if (owner < 0) {
			sbuf_printf(r, "ERR owner is one of static, upnp, natpmp, pcp\n");
			return;
		}
	}
	size_t n = lease_flush(owner), pins = pinhole_flush(owner);
	log_info("control: flushed %zu mappings and %zu pinholes", n, pins);
	sbuf_printf(r, "OK %zu removed\n", n + pins);
}

static void
cmd_status(struct sbuf *r)
{
	size_t by_owner[OWNER_COUNT];
	struct pubaddr pa;

	pubaddr_describe(&pa);
	lease_count_owners(by_owner);
	sbuf_printf(r, CTL_REC_STATUS " external_address=%s mappings=%zu", pa.external, lease_count());
	for (int o = 0; o < OWNER_COUNT; o++)
		sbuf_printf(r, " mappings_%s=%zu", lease_owner_name(o), by_owner[o]);
	sbuf_printf(r, " pinholes=%zu", pinhole_count());
	sbuf_printf(r, " wan_address=%s public_address=%s public_source=%s behind_nat=%s", pa.wan,
	    pa.public_, pa.source, pa.behind_nat ? "yes" : "no");
	sbuf_printf(r, "\n" CTL_REC_UPSTREAM " upstream=%s upstream_active=%s upstream_method=%s "
	    "upstream_mapped=%zu upstream_pending=%zu upstream_refused=%zu upstream_restarts=%zu\nOK\n",
	    pa.up.mode, pa.up.active ? "yes" : "no", pa.up.method, pa.up.mapped, pa.up.pending,
	    pa.up.refused, pa.up.restarts);
}

void
control_execute(const struct gateway *gw, const char *line, struct sbuf *out)
{
	char buf[CTL_REQ_MAX], *argv[8], *save = NULL;
	int argc = 0;

	sbuf_printf(out, "%s\n", HELLO_LINE);
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok_r(buf, " \t\r\n", &save); t && argc < 8;
	    t = strtok_r(NULL, argc == 6 ? "\r\n" : " \t\r\n", &save))
		argv[argc++] = t;	/* the description (7th word on) keeps its spaces */
	if (argc == 0) {
		sbuf_printf(out, "ERR empty request\n");
		return;
	}
	if (!strcmp(argv[0], "list") && argc == 1)
		cmd_list(out);
	else if (!strcmp(argv[0], "add"))
		cmd_add(gw, argv, argc, out);
	else if (!strcmp(argv[0], "del"))
		cmd_del(argv, argc, out);
	else if (!strcmp(argv[0], "flush"))
		cmd_flush(argv, argc, out);
	else if (!strcmp(argv[0], "status") && argc == 1)
		cmd_status(out);
	else
		sbuf_printf(out, "ERR unknown command '%s' (list, add, del, flush, status)\n", argv[0]);
}

static void
client_close(struct ctl_client *c)
{
	ev_fd_del(c->fd);
	close(c->fd);
	c->fd = -1;
}

static void
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* A whole reply that is only a refusal. */
static void
refuse(int fd, const char *why)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "%s\nERR %s\n", HELLO_LINE, why);

	write_all(fd, msg, (size_t)n);
}

static void
client_readable(int fd, short revents, void *arg)
{
	struct ctl_client *c = arg;
	ssize_t n;
	char *nl;

	(void)revents;
	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	nl = strchr(c->buf, '\n');
	if (!nl && c->len < sizeof(c->buf) - 1)
		return;
	struct sbuf r;

	sbuf_init(&r);
	if (!nl)
		sbuf_printf(&r, "%s\nERR request too long\n", HELLO_LINE);
	else {
		*nl = '\0';
		control_execute(lan_gw, c->buf, &r);
	}
	/* The reply may be large (a list); write it out with a bounded wait. */
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (r.oom)
		refuse(fd, "out of memory");
	else
		write_all(fd, r.s, r.len);
	sbuf_free(&r);
	client_close(c);
}

static void
listener_readable(int fd, short revents, void *arg)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int cfd;

	(void)revents;
	(void)arg;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != 0) {
		refuse(cfd, "portholectl needs root");
		close(cfd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].fd >= 0)
			continue;
		clients[i].fd = cfd;
		clients[i].len = 0;
		ev_fd_add(cfd, POLLIN, client_readable, &clients[i]);
		return;
	}
	refuse(cfd, "busy, try again");
	close(cfd);
}

int
control_init(const char *path, const struct gateway *gw)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;

	lan_gw = gw;
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	unlink(path);
	old = umask(0077);
	int rc = bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(listen_fd, 8) < 0) {
		rc = -errno;
		close(listen_fd);
		listen_fd = -1;
		return rc;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	return ev_fd_add(listen_fd, POLLIN, listener_readable, NULL);
}

void
control_fini(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	if (listen_fd >= 0) {
		ev_fd_del(listen_fd);
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
}
