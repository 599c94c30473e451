/*
 * keeper: keeps a profile mapped for as long as the server runs. Each port
 * has a due time (monotonic): first now, then half its lifetime after each
 * grant, or a growing back-off after a failure. Every check_interval the
 * gateway is asked for its external address (and epoch); an epoch going
 * back, a UPnP entry gone, an announcement on 224.0.0.1:5350 (or, for
 * pinholes, on [ff02::1]:5350) or a new external address make every port
 * due at once. Each change is logged once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pcp_wire.h"
#include "phc.h"

#define PEND6_POLL_MS	50

struct keep_entry {
	struct porthole_mapping	m;
	int64_t			due;		/* monotonic ms */
	unsigned		failures;
	int			last_error;	/* to log a failure once, not each retry */
	bool			redo;		/* due again after a restart or new address */
	bool			fresh;		/* never granted in this run */
};

struct porthole_keeper {
	struct porthole		*ph;
	char			*state_path;	/* NULL = no state file */
	int64_t			 check_ms;
	int64_t			 next_check;
	struct in_addr		 ext;
	bool			 gw_down;
	enum porthole_method	 method;	/* the protocol the gateway answered last */
	int			 fd;		/* what the caller polls: an epoll set of */
	int			 fd4, fd6;	/* the announcement sockets, -1 = none */
	int64_t			 quiet_until;	/* no "ignored" log line before */
	struct {
		bool		 active;
		struct in6_addr	 from;
		uint32_t	 scope;
		uint32_t	 epoch;
		int64_t		 until;
	}			 pend6;		/* an IPv6 ANNOUNCE whose sender is resolving */
	size_t			 n;
	struct keep_entry	 e[PORTHOLE_MAPPING_MAX];
	struct porthole_mapping	 view[PORTHOLE_MAPPING_MAX];	/* for keeper_mappings */
};

/*
 * Joins the all-nodes group of family on port 5350: 224.0.0.1 on the
 * address toward the IPv4 gateway, ff02::1 on the link toward the IPv6
 * one. Without it the periodic check still works.
 */
static int
announce_socket(struct porthole *ph, int family)
{
	struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_port = htons(PCP_CLIENT_PORT) };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons(PCP_CLIENT_PORT) };
	struct ip_mreq mr4 = { .imr_multiaddr.s_addr = htonl(0xe0000001),
	    .imr_interface = ph->local };
	struct ipv6_mreq mr6 = { .ipv6mr_interface = ph->gw6_oif };
	bool v6 = family == AF_INET6;
	int s, one = 1;

	if ((s = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	inet_pton(AF_INET6, "ff02::1", &mr6.ipv6mr_multiaddr);
	if ((v6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1 ||
	    bind(s, v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa4,
	    v6 ? sizeof(sa6) : sizeof(sa4)) == -1 ||
	    (v6 ? setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr6, sizeof(mr6)) :
	    setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr4, sizeof(mr4))) == -1) {
		phc_log(ph, LOG_DEBUG, "not listening for gateway announcements over %s: %s",
		    v6 ? "IPv6" : "IPv4", strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* One descriptor for the caller to poll, readable when either socket is. */
static int
announce_set(struct porthole_keeper *k)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, fds[2] = { k->fd4, k->fd6 };
	size_t i;

	if (k->fd4 == -1 && k->fd6 == -1)
		return -1;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		ev.data.fd = fds[i];
		if (fds[i] != -1 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == -1) {
			close(ep);
			return -1;
		}
	}
	return ep;
}

/* The same port in the same family (an IPv4 mapping and an IPv6 pinhole are two). */
static bool
same_mapping(const struct porthole_mapping *a, const struct porthole_mapping *b)
{
	return a->proto == b->proto && a->internal_port == b->internal_port &&
	    (a->family == AF_INET6) == (b->family == AF_INET6);
}

/* Takes over mappings a former run left in the state file (PCP nonces). */
static void
adopt_state(struct porthole_keeper *k)
{
	struct porthole_mapping old[PORTHOLE_MAPPING_MAX];
	size_t n = PORTHOLE_MAPPING_MAX, i, j;

	if (k->state_path == NULL || porthole_state_load(k->state_path, old, &n) != 0)
		return;
	for (i = 0; i < k->n; i++)
		for (j = 0; j < n; j++)
			if (same_mapping(&old[j], &k->e[i].m)) {
				memcpy(old[j].name, k->e[i].m.name, sizeof(old[j].name));
				k->e[i].m = old[j];
			}
}

PORTHOLE_API int
porthole_keeper_new(struct porthole *ph, const struct porthole_profile *p,
    const char *state_path, unsigned check_interval, struct porthole_keeper **out)
{
	struct porthole_keeper *k;
	size_t i, f;

	*out = NULL;
	if (ph == NULL || p == NULL)
		return PORTHOLE_ERR_INVAL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PORTHOLE_ERR_SYSTEM;
	k->ph = ph;
	if (state_path != NULL && (k->state_path = strdup(state_path)) == NULL) {
		free(k);
		return PORTHOLE_ERR_SYSTEM;
	}
	k->check_ms = (int64_t)(check_interval != 0 ? check_interval : 60) * 1000;
	/* Each port in each family of the handle: an IPv4 mapping, an IPv6 pinhole. */
	for (i = 0; i < p->n; i++) {
		for (f = 0; f < 2; f++) {
			struct keep_entry *e;

			if (!p->port[i].enabled || !(f == 0 ? ph->has4 : ph->has6))
				continue;
			e = &k->e[k->n++];
			snprintf(e->m.name, sizeof(e->m.name), "%s", p->port[i].name);
			e->m.proto = p->port[i].proto;
			e->m.internal_port = p->port[i].port;
			e->m.family = f == 0 ? AF_INET : AF_INET6;
			e->fresh = true;
		}
	}
	adopt_state(k);
	k->next_check = mono_ms() + k->check_ms;
	/* Each family hears its own: an IPv4 announcement is not news of pinholes. */
	k->fd4 = ph->has4 ? announce_socket(ph, AF_INET) : -1;
	k->fd6 = ph->has6 ? announce_socket(ph, AF_INET6) : -1;
	k->fd = announce_set(k);
	*out = k;
	return 0;
}

PORTHOLE_API int
porthole_keeper_fd(const struct porthole_keeper *k)
{
	return k->fd;
}

/* The mappings as one array (the entries hold more than the mapping). */
PORTHOLE_API const struct porthole_mapping *
porthole_keeper_mappings(struct porthole_keeper *k, size_t *n)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		k->view[i] = k->e[i].m;
	*n = k->n;
	return k->n > 0 ? k->view : NULL;
}

static void
all_due(struct porthole_keeper *k, int64_t now)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		k->e[i].due = now;
		k->e[i].redo = true;
	}
}

/* Our entries replace theirs; other ports in the file (another program's) stay. */
static void
save(struct porthole_keeper *k)
{
	struct porthole_mapping m[PORTHOLE_MAPPING_MAX], old[PORTHOLE_MAPPING_MAX];
	size_t i, j, n = 0, n_old = PORTHOLE_MAPPING_MAX;
	int rc;

	if (k->state_path == NULL)
		return;
	if (porthole_state_load(k->state_path, old, &n_old) != 0)
		n_old = 0;
	for (j = 0; j < n_old; j++) {
		for (i = 0; i < k->n; i++)
			if (same_mapping(&old[j], &k->e[i].m))
				break;
		if (i == k->n && n < PORTHOLE_MAPPING_MAX - k->n)
			m[n++] = old[j];
	}
	for (i = 0; i < k->n; i++)
		m[n++] = k->e[i].m;
	if ((rc = porthole_state_save(k->state_path, m, n)) != 0)
		phc_log(k->ph, LOG_WARNING, "cannot write %s: %s", k->state_path,
		    rc == PORTHOLE_ERR_SYSTEM ? strerror(errno) : porthole_strerror(rc));
}

static void
note_ext(struct porthole_keeper *k, struct in_addr ext, int64_t now)
{
	char was[INET_ADDRSTRLEN], is[INET_ADDRSTRLEN];

	if (ext.s_addr == 0 || ext.s_addr == k->ext.s_addr)
		return;
	if (k->ext.s_addr != 0) {
		inet_ntop(AF_INET, &k->ext, was, sizeof(was));
		inet_ntop(AF_INET, &ext, is, sizeof(is));
		phc_log(k->ph, LOG_NOTICE, "external address changed from %s to %s: mapping "
		    "again", was, is);
		all_due(k, now);
	}
	k->ext = ext;
}

static void
note_restart(struct porthole_keeper *k, int64_t now, const char *why)
{
	if (!k->ph->epoch_lost)
		return;
	k->ph->epoch_lost = false;
	phc_log(k->ph, LOG_NOTICE, "gateway restarted (%s): mapping again", why);
	all_due(k, now);
}

/*
 * Does the gateway answer? Over IPv4 its external address says so; over
 * IPv6 (a handle without IPv4, or pinholes beside the mappings) the
 * protocol's own probe: PCP's ANNOUNCE brings the IPv6 epoch.
 */
static int
gateway_answers(struct porthole *ph, struct in_addr *ext)
{
	int rc;

	ext->s_addr = 0;
	if (ph->has4 && (rc = porthole_external_address(ph, ext)) != 0)
		return rc;
	if (!ph->has6)
		return 0;
	if ((rc = phc_select6(ph)) == 0 && (rc = phc_method_ops(ph->method6)->probe6(ph)) != 0 &&
	    ph->o.method == PORTHOLE_AUTO)
		ph->method6 = PORTHOLE_AUTO;	/* it may come back speaking another one */
	/* An IPv4 gateway that answers is up, whatever IPv6 says. */
	return ph->has4 ? 0 : rc;
}

/* A new stable IPv6 address (the prefix was renumbered): open the pinholes for it. */
static void
note_addr6(struct porthole_keeper *k, int64_t now)
{
	char was[INET6_ADDRSTRLEN], is[INET6_ADDRSTRLEN];
	struct in6_addr old;
	size_t i;

	if (!phc_refresh6(k->ph, &old))
		return;
	inet_ntop(AF_INET6, &old, was, sizeof(was));
	inet_ntop(AF_INET6, &k->ph->local6, is, sizeof(is));
	phc_log(k->ph, LOG_NOTICE, "this host's IPv6 address changed from %s to %s: opening "
	    "the pinholes for it", was, is);
	for (i = 0; i < k->n; i++)
		if (k->e[i].m.family == AF_INET6) {
			k->e[i].due = now;
			k->e[i].redo = true;
		}
}

/* The periodic look at the gateway: address, epoch, UPnP entries. */
static void
check_gateway(struct porthole_keeper *k, int64_t now)
{
	struct in_addr ext;
	size_t i;
	int rc;

	k->next_check = now + k->check_ms;
	note_addr6(k, now);
	if ((rc = gateway_answers(k->ph, &ext)) != 0) {
		if (!k->gw_down)
			phc_log(k->ph, LOG_WARNING, "%s", porthole_last_error(k->ph));
		k->gw_down = true;
		return;
	}
	if (k->gw_down)
		phc_log(k->ph, LOG_NOTICE, "gateway answers again");
	k->gw_down = false;
	/* Another protocol answering now: the gateway changed under us. */
	if (k->method != PORTHOLE_AUTO && k->method != porthole_method_used(k->ph)) {
		phc_log(k->ph, LOG_NOTICE, "gateway now speaks %s, not %s: mapping again",
		    porthole_method_name(porthole_method_used(k->ph)),
		    porthole_method_name(k->method));
		all_due(k, now);
	}
	k->method = porthole_method_used(k->ph);
	note_restart(k, now, "its epoch went back");
	note_ext(k, ext, now);
	for (i = 0; i < k->n; i++) {
		struct keep_entry *e = &k->e[i];

		if (e->m.external_port == 0 || e->m.method != PORTHOLE_UPNP || e->due <= now)
			continue;
		if (porthole_query(k->ph, &e->m) == PORTHOLE_ERR_LOST) {
			phc_log(k->ph, LOG_NOTICE, "%s", porthole_last_error(k->ph));
			e->due = now;
		}
	}
}

static void
log_mapped(struct porthole_keeper *k, const struct keep_entry *e,
    const struct porthole_mapping *before)
{
	char ext[PORTHOLE_ENDPOINT_LEN], label[16];
	bool same = before->external_port == e->m.external_port &&
	    before->external_addr.s_addr == e->m.external_addr.s_addr &&
	    memcmp(&before->address6, &e->m.address6, sizeof(e->m.address6)) == 0 &&
	    before->method == e->m.method && e->failures == 0 && !e->fresh;

	phc_port_label(label, sizeof(label), &e->m);
	phc_log(k->ph, same && !e->redo ? LOG_DEBUG : LOG_INFO,
	    "%s %s (%s) -> %s via %s, lease %u s", e->redo ? "mapped again" : same ?
	    "renewed" : "mapped", label, e->m.name, porthole_endpoint(&e->m, ext, sizeof(ext)),
	    porthole_method_name(e->m.method), e->m.lifetime);
}

static bool
gateway_error(int rc)
{
	return rc == PORTHOLE_ERR_TIMEOUT || rc == PORTHOLE_ERR_NOPROTO ||
	    rc == PORTHOLE_ERR_UNSUPPORTED || rc == PORTHOLE_ERR_NETWORK;
}

static bool
map_entry(struct porthole_keeper *k, struct keep_entry *e, int64_t now)
{
	struct porthole_mapping before = e->m;
	int rc;

	rc = porthole_renew(k->ph, &e->m);
	if (rc == 0) {
		if (k->gw_down)
			phc_log(k->ph, LOG_NOTICE, "gateway answers again");
		k->gw_down = false;
		log_mapped(k, e, &before);
		e->redo = false;
		e->fresh = false;
		e->failures = 0;
		e->last_error = 0;
		e->due = phc_renew_due(now, e->m.lifetime);
		if (e->m.family != AF_INET6)
			note_ext(k, e->m.external_addr, now);
		return true;
	}
	e->failures++;
	e->due = now + phc_retry_delay(e->failures);
	/* A silent gateway is one event, not one per port. */
	if (gateway_error(rc)) {
		if (!k->gw_down)
			phc_log(k->ph, LOG_WARNING, "%s; retrying", porthole_last_error(k->ph));
		k->gw_down = true;
	} else if (rc != e->last_error) {
		phc_log(k->ph, LOG_WARNING, "%s; retrying", porthole_last_error(k->ph));
	}
	e->last_error = rc;
	return before.external_port != 0 || before.error != rc;
}

/*
 * A gateway announces after a restart; the §8.5 rule forgives a second,
 * but any step back in an announced epoch is a restart. (One within a
 * second of the last start shows no step at all: the epoch's resolution;
 * real restarts take longer.)
 */
static void
heard_epoch(struct porthole_keeper *k, int64_t now, int family, uint32_t epoch)
{
	struct porthole *ph = k->ph;
	bool v6 = family == AF_INET6;

	if (v6 ? ph->epoch6_valid && epoch < ph->epoch6 : ph->epoch_valid && epoch < ph->epoch)
		ph->epoch_lost = true;
	if (v6)
		phc_epoch6_update(ph, epoch);
	else
		phc_epoch_update(ph, epoch);
	note_restart(k, now, v6 ? "it announced a new epoch over IPv6" :
	    "it announced a new epoch");
}

static void
read_announcements(struct porthole_keeper *k, int64_t now)
{
	struct sockaddr_in from;
	struct phc_announce a;
	socklen_t fl;
	uint8_t buf[1100];
	ssize_t r;

	for (;;) {
		fl = sizeof(from);
		r = recvfrom(k->fd4, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return;
		/* Only the gateway speaks for the gateway. */
		if (from.sin_addr.s_addr != k->ph->gw.s_addr ||
		    phc_announce_parse(buf, (size_t)r, &a) != 0)
			continue;
		heard_epoch(k, now, AF_INET, a.epoch);
		if (a.has_ext)
			note_ext(k, a.ext, now);
	}
}

static void
ignore6(struct porthole_keeper *k, int64_t now, const struct in6_addr *from, const char *why)
{
	char who[INET6_ADDRSTRLEN];

	if (now < k->quiet_until)
		return;
	phc_log(k->ph, LOG_NOTICE, "ignored a PCP ANNOUNCE from %s: %s",
	    inet_ntop(AF_INET6, from, who, sizeof(who)), why);
	k->quiet_until = now + 10000;
}

static void
judge6(struct porthole_keeper *k, int64_t now, int is_gateway, const struct in6_addr *from,
    uint32_t epoch)
{
	char who[INET6_ADDRSTRLEN];

	if (is_gateway != 1) {
		ignore6(k, now, from, is_gateway == 0 ? "not the IPv6 gateway" :
		    "not known as the IPv6 gateway's (no neighbour entry)");
		return;
	}
	phc_log(k->ph, LOG_DEBUG, "PCP ANNOUNCE from %s, epoch %u",
	    inet_ntop(AF_INET6, from, who, sizeof(who)), epoch);
	heard_epoch(k, now, AF_INET6, epoch);
}

/*
 * An ANNOUNCE whose sender the neighbour table does not know yet waits
 * (one at a time, at most a second) for the kernel to resolve it.
 */
static void
judge_pending6(struct porthole_keeper *k, int64_t now)
{
	int is;

	if (!k->pend6.active)
		return;
	is = phc_is_gateway6(k->ph, &k->pend6.from, k->pend6.scope);
	if (is == -1 && now < k->pend6.until)
		return;
	k->pend6.active = false;
	judge6(k, now, is, &k->pend6.from, k->pend6.epoch);
}

/*
 * RFC 6887 §14.1.3: after a restart the server sends ANNOUNCE to
 * [ff02::1]:5350. Only the router we map with speaks for it: its own
 * address, or another of its addresses by the neighbour table (it sends
 * from its link-local one; we may know it by a global one). Others are
 * logged, at most one line in ten seconds, and change nothing.
 */
static void
read_announcements6(struct porthole_keeper *k, int64_t now)
{
	struct sockaddr_in6 from;
	struct phc_announce a;
	socklen_t fl;
	uint8_t buf[1100];
	ssize_t r;
	int is;

	for (;;) {
		fl = sizeof(from);
		r = recvfrom(k->fd6, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return;
		/* The server speaks from its own port (§14.1.3). */
		if (fl != sizeof(from) || from.sin6_port != htons(PCP_SERVER_PORT) ||
		    phc_announce6_parse(buf, (size_t)r, &a) != 0)
			continue;
		is = phc_is_gateway6(k->ph, &from.sin6_addr, from.sin6_scope_id);
		if (is != -1) {
			judge6(k, now, is, &from.sin6_addr, a.epoch);
			continue;
		}
		if (k->pend6.active)
			continue;	/* one resolving at a time; a burst repeats itself */
		k->pend6.active = true;
		k->pend6.from = from.sin6_addr;
		k->pend6.scope = from.sin6_scope_id;
		k->pend6.epoch = a.epoch;
		k->pend6.until = now + 1000;
		phc_neigh6_resolve(&from.sin6_addr, k->ph->gw6_oif);
		phc_neigh6_resolve(&k->ph->gw6, k->ph->gw6_oif);
	}
}

PORTHOLE_API int
porthole_keeper_run(struct porthole_keeper *k)
{
	int64_t now = mono_ms(), next;
	bool dirty = false;
	size_t i;

	if (k->fd4 != -1)
		read_announcements(k, now);
	if (k->fd6 != -1) {
		judge_pending6(k, now);
		read_announcements6(k, now);
	}
	if (now >= k->next_check)
		check_gateway(k, now);
	for (i = 0; i < k->n; i++) {
		if (k->e[i].due > now)
			continue;
		dirty |= map_entry(k, &k->e[i], now);
		/* A renewal reply can reveal a restart too. */
		note_restart(k, now, "its epoch went back");
	}
	if (dirty)
		save(k);
	next = k->next_check;
	for (i = 0; i < k->n; i++)
		if (k->e[i].due < next)
			next = k->e[i].due;
	if (k->pend6.active && now + PEND6_POLL_MS < next)
		next = now + PEND6_POLL_MS;	/* to look at the neighbour table again */
	now = mono_ms();
	return next <= now ? 0 : next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

PORTHOLE_API void
porthole_keeper_free(struct porthole_keeper *k, bool unmap)
{
	size_t i;

	if (k == NULL)
		return;
	if (unmap) {
		for (i = 0; i < k->n; i++)
			if (k->e[i].m.external_port != 0 &&
			    porthole_unmap(k->ph, &k->e[i].m) != 0)
				phc_log(k->ph, LOG_WARNING, "%s", porthole_last_error(k->ph));
		save(k);
	}
	if (k->fd != -1)
		close(k->fd);
	if (k->fd4 != -1)
		close(k->fd4);
	if (k->fd6 != -1)
		close(k->fd6);
	free(k->state_path);
	free(k);
}
