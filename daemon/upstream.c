/*
 * upstream: see upstream.h. The loop's view of each (protocol, port):
 * nothing, pending (asked, no answer yet), mapped (until when), or refused
 * (why, and until when the refusal stands, so a client that asks again at
 * once is told the same without asking the gateway again).
 */
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "lease.h"
#include "log.h"
#include "netif.h"
#include "upstream_announce.h"
#include "upstream_worker.h"

#define PORTS		65536
#define MAX_LISTENERS	4
#define UPSTREAM_RETRY_MS	5000	/* starting again after no gateway was found */

enum up_state { UP_NONE = 0, UP_PENDING, UP_MAPPED, UP_REFUSED };

struct up_entry {
	uint8_t		state;		/* enum up_state */
	uint8_t		verdict;	/* UP_REFUSED: enum upstream_verdict */
	uint32_t	until_s;	/* UP_REFUSED: monotonic seconds the refusal stands */
	uint32_t	granted;	/* UP_MAPPED: the lifetime the gateway in front grants */
};

static struct {
	bool			 active;
	enum upstream_mode	 mode;		/* both take effect at a restart only */
	bool			 required;
	int			 fd;
	struct up_entry		*e;		/* [2 * PORTS] */
	enum porthole_method	 method;
	struct in_addr		 ext;
	struct in_addr		 wan;		/* the WAN address when forwarding started */
	char			 ext_ifname[CONFIG_NAME_MAX];
	struct ev_timer		 retry;
	bool			 listening;
	size_t			 restarts;
	void			(*listeners[MAX_LISTENERS])(uint8_t, uint16_t);
	size_t			 n_listeners;
} up = { .fd = -1 };

static struct up_entry *
entry(uint8_t proto, uint16_t port)
{
	return &up.e[(proto == IPPROTO_UDP ? PORTS : 0) + port];
}

static uint32_t
now_s(void)
{
	return (uint32_t)((uint64_t)mono_ms() / 1000);
}

static void
tell(uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < up.n_listeners; i++)
		up.listeners[i](proto, port);
}

int
upstream_listen(void (*fn)(uint8_t proto, uint16_t port))
{
	if (up.n_listeners == MAX_LISTENERS)
		return -ENOSPC;
	up.listeners[up.n_listeners++] = fn;
	return 0;
}

/* What to ask upstream for this lease: its time left, or an hour for a permanent one. */
static uint32_t
wanted_lifetime(const struct lease *l)
{
	uint32_t left = lease_seconds_left(l);

	return lease_permanent(l) || left == 0 ? UPSTREAM_PERMANENT_S : left;
}

static void
forward(const struct lease *l, struct up_entry *e)
{
	if (upw_want(l->proto, l->ext_port, wanted_lifetime(l), l->desc) < 0) {
		log_warnx("upstream: out of memory queueing %s %u", lease_proto_name(l->proto),
		    l->ext_port);
		return;
	}
	e->state = UP_PENDING;
}

/* The lease table changed: follow it upstream. */
static void
lease_changed(enum lease_event ev, const struct lease *l, void *arg)
{
	struct up_entry *e;

	(void)arg;
	if (!up.active)
		return;
	e = entry(l->proto, l->ext_port);
	switch (ev) {
	case LEASE_ADDED:
		/* A refusal stands a while: a client asking again gets it from here. */
		if (e->state == UP_REFUSED && now_s() < e->until_s)
			return;
		forward(l, e);
		return;
	case LEASE_UPDATED:
		/* The worker renews what it mapped, for as long as the lease lives;
		 * only a lease not mapped in front (its refusal lapsed) is asked again. */
		if (e->state == UP_PENDING || e->state == UP_MAPPED ||
		    (e->state == UP_REFUSED && now_s() < e->until_s))
			return;
		forward(l, e);
		return;
	case LEASE_REMOVED:
	case LEASE_EXPIRED:
		if (e->state == UP_PENDING || e->state == UP_MAPPED)
			upw_want(l->proto, l->ext_port, 0, NULL);
		if (e->state != UP_REFUSED)
			e->state = UP_NONE;
		return;
	}
}

static enum upstream_verdict
verdict_of(int err)
{
	switch (err) {
	case PORTHOLE_ERR_DENIED:
		return UPSTREAM_DENIED;
	case PORTHOLE_ERR_TAKEN:
	case PORTHOLE_ERR_STATIC:	/* held there by the operator's own mapping */
		return UPSTREAM_TAKEN;
	case PORTHOLE_ERR_NORESOURCES:
		return UPSTREAM_NO_RESOURCES;
	default:
		return UPSTREAM_FAILED;
	}
}

static void
on_mapped(const struct upw_result *r, struct up_entry *e, struct lease *l)
{
	if (!l) {		/* removed while upstream was busy: undo */
		upw_want(r->proto, r->port, 0, NULL);
		e->state = UP_NONE;
		return;
	}
	if (e->state != UP_MAPPED)
		log_info("upstream: %s %u mapped on the gateway in front (%s, %u s)",
		    lease_proto_name(r->proto), r->port, porthole_method_name(r->method), r->lifetime);
	e->state = UP_MAPPED;
	e->granted = r->lifetime;
	up.method = r->method;
	if (r->ext.s_addr && r->ext.s_addr != up.ext.s_addr) {
		up.ext = r->ext;
		if (!netif_is_private(r->ext))
			lease_set_public(r->ext);
	}
}

static void
on_refused(const struct upw_result *r, struct up_entry *e, struct lease *l)
{
	e->state = UP_REFUSED;
	e->verdict = (uint8_t)verdict_of(r->err);
	e->until_s = now_s() + UPSTREAM_REFUSAL_HOLD_S;
	if (!l)
		return;
	if (!up.required) {
		log_warnx("upstream: %s %u refused by the gateway in front (%s); kept here only "
		    "(upstream_required=no), so it is not reachable from the Internet",
		    lease_proto_name(r->proto), r->port, r->why);
		return;
	}
	log_warnx("upstream: %s %u refused by the gateway in front (%s); removed here too",
	    lease_proto_name(r->proto), r->port, r->why);
	/* A client waiting for the answer is told by the listeners below; its
	 * request, asked again, finds the refusal standing. */
	lease_remove(l, LEASE_REMOVED);
}

static void
on_address(const struct upw_result *r)
{
	char a[INET_ADDRSTRLEN];

	if (r->err) {
		log_warnx("upstream: the gateway in front does not answer: %s", r->why);
		return;
	}
	inet_ntop(AF_INET, &r->ext, a, sizeof(a));
	log_info("upstream: the gateway in front has external address %s (%s)", a,
	    porthole_method_name(r->method));
	up.ext = r->ext;
	up.method = r->method;
	if (!netif_is_private(r->ext))
		lease_set_public(r->ext);	/* announced to clients when it changed */
}

static void
apply(const struct upw_result *r)
{
	struct up_entry *e = entry(r->proto, r->port);
	struct lease *l = lease_find(r->proto, r->port);

	switch (r->kind) {
	case UPW_MAPPED:
		on_mapped(r, e, l);
		break;
	case UPW_REFUSED:
		on_refused(r, e, l);
		break;
	case UPW_UNMAPPED:
		if (r->err)
			log_warnx("upstream: %s %u could not be removed from the gateway in front: %s",
			    lease_proto_name(r->proto), r->port, r->why);
		return;
	case UPW_ADDRESS:
		on_address(r);
		return;
	case UPW_RESTARTED:
		up.restarts++;
		log_warnx("upstream: the gateway in front lost our mappings (restart); "
		    "mapping them again");
		return;
	}
	tell(r->proto, r->port);
}

static void
readable(int fd, short revents, void *arg)
{
	struct upw_result r;

	(void)revents;
	(void)arg;
	for (int i = 0; i < 256 && read(fd, &r, sizeof(r)) == (ssize_t)sizeof(r); i++)
		apply(&r);
}

static enum porthole_method
method_of(enum upstream_mode m)
{
	switch (m) {
	case UPSTREAM_MODE_PCP: return PORTHOLE_PCP;
	case UPSTREAM_MODE_NATPMP: return PORTHOLE_NATPMP;
	case UPSTREAM_MODE_UPNP: return PORTHOLE_UPNP;
	default: return PORTHOLE_AUTO;
	}
}

/* Whether leases should be forwarded now: the mode, and for auto whether
 * the WAN address is private or shared (RFC 1918, RFC 6598). */
static bool
wanted(void)
{
	struct in_addr wan = lease_wan();

	return up.mode != UPSTREAM_MODE_OFF &&
	    (up.mode != UPSTREAM_MODE_AUTO || (wan.s_addr && netif_is_private(wan)));
}

static void
stop(void)
{
	upa_fini();
	if (up.fd >= 0)
		ev_fd_del(up.fd);
	upw_stop();		/* closes the pipe; waits for a request under way */
	up.fd = -1;
	free(up.e);
	up.e = NULL;
	up.active = false;
}

static int
start(void)
{
	int rc;

	if (!(up.e = calloc(2 * PORTS, sizeof(*up.e))))
		return -ENOMEM;
	if ((rc = upw_start(method_of(up.mode), &up.fd)) < 0 ||
	    (rc = ev_fd_add(up.fd, POLLIN, readable, NULL)) < 0) {
		stop();
		return rc;
	}
	up.active = true;
	up.wan = lease_wan();
	if ((rc = upa_init(up.ext_ifname)) < 0)
		log_warnx("upstream: not listening for the gateway's announcements on %s: %s; "
		    "its restarts are found by the %u ms poll", up.ext_ifname, strerror(-rc),
		    UPW_CHECK_MS);
	/* Leases made before: restored from the lease file, or while not forwarding. */
	for (size_t i = 0; i < lease_count(); i++) {
		const struct lease *l = lease_at(i);
		forward(l, entry(l->proto, l->ext_port));
	}
	log_info("upstream: forwarding mappings to the gateway in front (%s%s)",
	    config_upstream_name(up.mode), up.required ? "" : ", upstream_required=no");
	return 0;
}

/* Not started yet (no gateway when the WAN came up): try again. */
static void
retry(struct ev_timer *t)
{
	int rc;

	(void)t;
	if (up.active || !wanted())
		return;
	if ((rc = start()) < 0)
		ev_timer_in(&up.retry, UPSTREAM_RETRY_MS);
}

/*
 * The WAN address changed: decided again. Private <-> public switches
 * forwarding on or off under upstream=auto; a new address behind the same
 * kind of NAT starts the worker afresh, because the gateway in front, its
 * mappings and our address on its side may all have changed.
 */
static void
wan_moved(struct in_addr old_ext, struct in_addr new_ext, void *arg)
{
	struct in_addr wan = lease_wan();
	char a[INET_ADDRSTRLEN];
	int rc;

	(void)old_ext;
	(void)new_ext;
	(void)arg;
	if (up.active && wan.s_addr == up.wan.s_addr)
		return;		/* only the address told changed (learned in front) */
	inet_ntop(AF_INET, &wan, a, sizeof(a));
	if (up.active) {
		stop();
		if (!wanted())
			log_info("upstream: the WAN address is %s now, not behind another NAT: "
			    "mappings are no longer forwarded", wan.s_addr ? a : "gone");
	}
	if (!wanted())
		return;
	log_info("upstream: the WAN address is %s now: forwarding to the gateway in front", a);
	if ((rc = start()) < 0) {
		log_warnx("upstream: cannot forward mappings to the gateway in front yet: %s; "
		    "trying again every %d s", strerror(-rc), UPSTREAM_RETRY_MS / 1000);
		ev_timer_in(&up.retry, UPSTREAM_RETRY_MS);
	}
}

int
upstream_init(const struct config *cfg)
{
	int rc;

	up.mode = cfg->upstream;
	up.required = cfg->upstream_required;
	snprintf(up.ext_ifname, sizeof(up.ext_ifname), "%s", cfg->ext_ifname);
	if (up.mode == UPSTREAM_MODE_OFF)
		return 0;
	ev_timer_init(&up.retry, retry);
	/* Registered once; lease_changed does nothing while not forwarding. */
	if (!up.listening) {
		if ((rc = lease_listen(lease_changed, NULL)) < 0 ||
		    (rc = lease_listen_external(wan_moved, NULL)) < 0)
			return rc;
		up.listening = true;
	}
	if (!wanted())
		return 0;
	if ((rc = start()) < 0)
		ev_timer_in(&up.retry, UPSTREAM_RETRY_MS);
	return rc;
}

void
upstream_fini(void)
{
	ev_timer_cancel(&up.retry);
	stop();
}

enum upstream_verdict
upstream_answer(uint8_t proto, uint16_t port, struct in_addr *ext, uint32_t *lifetime)
{
	struct up_entry *e;
	struct lease *l;

	if (!up.active)
		return UPSTREAM_LOCAL;
	e = entry(proto, port);
	switch (e->state) {
	case UP_MAPPED:
		/* The worker renews in front while the lease lives here: the client
		 * is told the shorter of the two grants. */
		if (up.ext.s_addr)
			*ext = up.ext;
		if (e->granted && e->granted < *lifetime)
			*lifetime = e->granted;
		return UPSTREAM_MAPPED;
	case UP_REFUSED:
		if (now_s() < e->until_s)
			return up.required ? (enum upstream_verdict)e->verdict :
			    UPSTREAM_KEPT_LOCAL;
		break;		/* old news: ask again */
	case UP_PENDING:
		return UPSTREAM_PENDING;
	}
	/* Not asked in front (a refusal lapsed, a lease kept here only): ask now,
	 * so whoever waits for the answer gets one. */
	if ((l = lease_find(proto, port)))
		forward(l, e);
	return e->state == UP_PENDING ? UPSTREAM_PENDING : UPSTREAM_FAILED;
}

enum upstream_verdict
upstream_refusal(uint8_t proto, uint16_t port)
{
	const struct up_entry *e;

	if (!up.active || !up.required)
		return UPSTREAM_LOCAL;
	e = entry(proto, port);
	return e->state == UP_REFUSED && now_s() < e->until_s ?
	    (enum upstream_verdict)e->verdict : UPSTREAM_LOCAL;
}

void
upstream_state(struct upstream_state *st)
{
	memset(st, 0, sizeof(*st));
	st->active = up.active;
	st->mode = config_upstream_name(up.mode);
	st->method = up.method ? porthole_method_name(up.method) : "none";
	st->ext = up.ext;
	st->restarts = up.restarts;
	if (!up.active)
		return;
	for (size_t i = 0; i < 2 * PORTS; i++) {
		if (up.e[i].state == UP_MAPPED)
			st->mapped++;
		else if (up.e[i].state == UP_PENDING)
			st->pending++;
		else if (up.e[i].state == UP_REFUSED)
			st->refused++;
	}
}

const char *
upstream_verdict_name(enum upstream_verdict v)
{
	static const char *const names[] = {
		"local", "mapped", "pending", "kept local", "denied", "taken", "no resources",
		"failed",
	};

	return v <= UPSTREAM_FAILED ? names[v] : "?";
}
