/*
 * parent: the privileged half of portholed (see privsep.h). It parses no
 * network input: it reads fixed-size messages from its own child, checks
 * each against invariants it knows from its own configuration and from the
 * kernel, and carries it out with the nftables backend. A message it cannot
 * make sense of means the child is not the program it started: it kills the
 * child and exits, leaving the kernel table for the next start to rebuild.
 */
#include "privsep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "config.h"
#include "event.h"
#include "guard.h"
#include "frontend.h"
#include "kernwatch.h"
#include "lan6.h"
#include "lease.h"
#include "log.h"
#include "netif.h"
#include "pinhole.h"
#include "privsep_proto.h"

static int child_fd = -1;
static pid_t child;
static const struct config *pcfg;
static struct backend_config bc;
static bool opened, rebuilt_pending, closing;
static struct mnl_socket *rtnl;
static struct ps_msg batch;
static const struct pinhole_backend *pin_be;	/* nft_pinhole.c, our table only */
static struct gateway pgw;			/* for lan6: the LAN interfaces */
static uint32_t next_seq = 1;	/* the child's next message */

/*
 * Messages read from the child in one wake-up (one recvmmsg): the child
 * sends its held adds and removals together (PS_CHANGES), and every change
 * read at once goes into one nftables batch. The kernel's events about our own changes are dropped
 * before they reach kernwatch's socket (its filter), so a long batch cannot
 * overflow that socket and make the table be rebuilt.
 */
#define MSGS_PER_WAKE	64

/* The adds and removals in the open nftables batch, by their place in it:
 * each change's number, to name it in a refusal. */
static uint32_t batched_seq[MSGS_PER_WAKE * PS_CHANGES_PER_MSG];
static size_t n_batched;
static bool batching;

/* Exit once the child is reaped; a child that failed makes the daemon fail. */
static void __attribute__((noreturn))
finish(int status)
{
	int st;

	if (waitpid(child, &st, 0) == child) {
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
			log_warnx("privsep: child killed by its system call filter (SIGSYS): it "
			    "made a call it never needs (portholed(8), SECURITY)");
		else if (WIFSIGNALED(st))
			log_warnx("privsep: child ended by signal %d", WTERMSIG(st));
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			status = status ? status : 1;
	}
	exit(status);
}

/* The child broke the protocol: it is not to be trusted with another word. */
static void __attribute__((noreturn, format(printf, 1, 2)))
violation(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	kill(child, SIGKILL);
	log_warnx("privsep: malformed message from the child (%s); stopping both processes, "
	    "table inet %s kept for the next start", why, pcfg->table);
	finish(1);
}

static void
reply(struct ps_msg *m)
{
	m->len = sizeof(*m);
	send(child_fd, m, sizeof(*m), MSG_NOSIGNAL);	/* a gone child shows as EOF */
}

/* Is addr an address of the WAN interface? (set_external only: rare.) */
static bool
wan_address(struct in_addr addr)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next)
		found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    strcmp(i->ifa_name, pcfg->ext_ifname) == 0 &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == addr.s_addr;
	freeifaddrs(ifs);
	return found;
}

static const char *
external_refused(struct in_addr ext)
{
	if (!ext.s_addr || ext.s_addr == pcfg->ext_ip.s_addr)
		return NULL;
	if (!pcfg->ext_ip.s_addr && wan_address(ext))
		return NULL;
	return "not an address of the WAN interface";
}

static void
refuse_add(const struct ps_mapping *map, uint32_t seq, int err)
{
	struct ps_msg m = { .type = PS_REFUSED, .result = err, .seq = seq, .u.map = *map };

	reply(&m);
}

/* The kernel would not take an add of the batch (tried again on its own). */
static void
batch_refused(const struct lease *l, size_t index, int err, void *arg)
{
	struct ps_mapping map;

	(void)arg;
	ps_mapping_of(l, &map);
	refuse_add(&map, batched_seq[index], err);
}

/* Send the open batch, then any refusal in it: before the answer to a later
 * request, which says no refusal is still to come (privsep_proto.h). */
static void
batch_end(void)
{
	if (!batching)
		return;
	batching = false;
	backend_nft.commit(batch_refused, NULL);
	n_batched = 0;
}

/* An add or a removal joins the open batch; only a refused add is answered. */
static void
do_change(const struct ps_change *c, uint32_t seq)
{
	struct lease l;
	char a[INET_ADDRSTRLEN];
	int rc;

	ps_lease_of(&c->map, &l);
	/* The same rule the child's lease table applies (guard.h), applied again here
	 * with the parent's own copy of the LAN prefixes. */
	if (c->op == PS_ADD && guard_target(l.int_addr) < 0) {
		log_warnx("privsep: refused mapping %s %u -> %s:%u: not a LAN host (the gateway's "
		    "own address, a prefix's network or broadcast address, or outside them)",
		    lease_proto_name(l.proto), l.ext_port,
		    inet_ntop(AF_INET, &l.int_addr, a, sizeof(a)), l.int_port);
		refuse_add(&c->map, seq, -EPERM);
		return;
	}
	if (!batching) {
		backend_nft.begin();
		batching = true;
	}
	batched_seq[n_batched++] = seq;
	/* A failed removal was logged by the backend. */
	if ((rc = c->op == PS_ADD ? backend_nft.add(&l) : backend_nft.del(&l)) < 0 &&
	    c->op == PS_ADD)
		refuse_add(&c->map, seq, rc);
}

/* A LAN host's global or ULA address, in a prefix of a LAN interface, and
 * not the gateway's own: as the kernel has them (re-read on a miss, so a
 * prefix that came up a moment ago is not refused). */
static bool
pinhole_target_ok(const struct in6_addr *a)
{
	if (!pinhole_addr_ok(a))
		return false;
	if (!lan6_prefix_of(a, 0) || lan6_is_own(a))
		lan6_refresh();
	return lan6_prefix_of(a, 0) && !lan6_is_own(a);
}

static int
do_pinhole(const struct ps_msg *m)
{
	struct pinhole p;
	char a[INET6_ADDRSTRLEN];

	if (!pin_be)
		return -EOPNOTSUPP;
	ps_pinhole_of(&m->u.pin, &p);
	if (m->type == PS_PIN_DEL)
		return pin_be->del(&p);
	if (!pinhole_target_ok(&p.int_addr)) {
		log_warnx("privsep: refused pinhole %s [%s]:%u: not a LAN host (outside the LAN's "
		    "IPv6 prefixes, or the gateway's own address)", lease_proto_name(p.proto),
		    inet_ntop(AF_INET6, &p.int_addr, a, sizeof(a)), p.int_port);
		return -EPERM;
	}
	return pin_be->add(&p);
}

/* type: PS_COUNTER_BATCH or PS_PIN_COUNTER_BATCH */
static void
flush_batch(uint32_t type)
{
	batch.type = type;
	reply(&batch);
	batch.count = 0;
}

static void
count_one(uint8_t proto, uint16_t ext_port, const struct backend_counters *c, void *arg)
{
	(void)arg;
	batch.u.ctr[batch.count++] = (struct ps_counter){ .packets = c->packets,
	    .bytes = c->bytes, .ext_port = ext_port, .proto = proto };
	if (batch.count == PS_COUNTERS_PER_MSG)
		flush_batch(PS_COUNTER_BATCH);
}

static void
count_pinhole(uint8_t proto, const struct in6_addr *addr, uint16_t port, uint64_t packets,
    uint64_t bytes, void *arg)
{
	struct ps_pin_counter *c = &batch.u.pin_ctr[batch.count++];

	(void)arg;
	*c = (struct ps_pin_counter){ .packets = packets, .bytes = bytes, .int_port = port,
	    .proto = proto };
	memcpy(c->int_addr, addr, sizeof(c->int_addr));
	if (batch.count == PS_PIN_COUNTERS_PER_MSG)
		flush_batch(PS_PIN_COUNTER_BATCH);
}

static void table_lost(void);

static int
dispatch(const struct ps_msg *m)
{
	struct in_addr ext;
	const char *why;
	int rc;

	switch (m->type) {
	case PS_OPEN:
		if (rebuilt_pending) {	/* we rebuilt it already, on the kernel's news */
			rebuilt_pending = false;
			return 0;
		}
		if ((rc = backend_nft.open(&bc)) == 0 && !opened) {
			opened = true;
			/* Only now: replacing a stale table at start is no news. */
			if ((rc = kernwatch_init(pcfg->table, backend_nft_portid(), table_lost)) < 0)
				log_warnx("cannot watch nftables for changes: %s", strerror(-rc));
			rc = 0;
		}
		return rc;
	case PS_CLOSE:
		closing = true;
		backend_nft.close();
		return 0;
	case PS_SET_EXT:
		ext.s_addr = m->u.ext;
		if ((why = external_refused(ext))) {
			log_warnx("privsep: refused external address %s: %s", inet_ntoa(ext), why);
			return -EPERM;
		}
		return backend_nft.set_external(ext);
	case PS_COUNTERS:
		batch.count = 0;
		rc = backend_nft.counters(count_one, NULL);
		if (batch.count)
			flush_batch(PS_COUNTER_BATCH);
		return rc;
	case PS_PIN_ADD:
	case PS_PIN_DEL:
		return do_pinhole(m);
	case PS_PIN_COUNTERS:
		if (!pin_be || !pin_be->counters)
			return -EOPNOTSUPP;
		batch.count = 0;
		rc = pin_be->counters(count_pinhole, NULL);
		if (batch.count)
			flush_batch(PS_PIN_COUNTER_BATCH);
		return rc;
	default:
		violation("type %u", m->type);
	}
}

/* The child is gone, or sent what only a gone child does (an empty message). */
static void __attribute__((noreturn))
child_ended(void)
{
	if (closing) {
		log_debug("privsep: child done; parent exits");
		finish(0);
	}
	kill(child, SIGKILL);	/* if it is still there, it broke the protocol */
	if (opened)
		log_warnx("privsep: the child exited unexpectedly; table inet %s kept for the next "
		    "start", pcfg->table);
	else
		log_warnx("privsep: the child exited before the table was built");
	finish(1);
}

static void
child_readable(int fd, short revents, void *arg)
{
	static struct ps_msg in[MSGS_PER_WAKE];
	struct mmsghdr mm[MSGS_PER_WAKE];
	struct iovec iov[MSGS_PER_WAKE];
	char whybuf[128];
	const char *why;
	int n;

	(void)revents;
	(void)arg;
	for (int i = 0; i < MSGS_PER_WAKE; i++) {
		iov[i] = (struct iovec){ &in[i], sizeof(in[i]) };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	/* MSG_TRUNC: a longer message shows its whole length, and is refused. */
	if ((n = recvmmsg(fd, mm, MSGS_PER_WAKE, MSG_DONTWAIT | MSG_TRUNC, NULL)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		child_ended();
	}
	for (int i = 0; i < n; i++) {
		struct ps_msg *m = &in[i];
		if (mm[i].msg_len == 0) {
			batch_end();
			child_ended();
		}
		if ((why = ps_request_problem(m, mm[i].msg_len, next_seq, whybuf, sizeof(whybuf)))) {
			batch_end();	/* what came before it in turn is carried out */
			violation("%s", why);
		}
		/* Pipelined (privsep_proto.h): only a refused add is answered. */
		if (m->type == PS_CHANGES) {
			for (uint32_t c = 0; c < m->count; c++)
				do_change(&m->u.changes[c], next_seq + c);
			next_seq += m->count;
			continue;
		}
		next_seq++;
		batch_end();
		int rc = dispatch(m);
		memset(m, 0, sizeof(*m));
		m->type = PS_RESULT;
		m->result = rc;
		reply(m);
	}
	batch_end();
}

static void
tell_child(uint32_t type)
{
	struct ps_msg m = { .type = type };

	reply(&m);
}

static void
table_lost(void)
{
	int rc;

	if (!opened || closing)
		return;
	if ((rc = backend_nft.open(&bc)) < 0) {
		log_warnx("nftables: rebuilding table inet %s failed: %s", pcfg->table,
		    strerror(-rc));
		return;
	}
	rebuilt_pending = true;
	tell_child(PS_TABLE_LOST);
}

static void
rtnl_readable(int fd, short revents, void *arg)
{
	char buf[8192];

	(void)fd;
	(void)revents;
	(void)arg;
	while (mnl_socket_recvfrom(rtnl, buf, sizeof(buf)) > 0)
		;
	tell_child(PS_WAN_CHANGED);
}

static int
rtnl_watch(void)
{
	if (!(rtnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC)))
		return -errno;
	if (mnl_socket_bind(rtnl, RTMGRP_IPV4_IFADDR | RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	return ev_fd_add(mnl_socket_get_fd(rtnl), POLLIN, rtnl_readable, NULL);
}

/* SIGTERM, SIGINT, SIGHUP go on to the child, which does the work and then
 * closes the table through us; SIGCHLD is seen as EOF on the socket. */
static void
signal_readable(int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;

	(void)revents;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			kill(child, (int)si.ssi_signo);
}

static void
parent_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    ev_fd_add(fd, POLLIN, signal_readable, NULL) < 0)
		fatal("privsep: parent signals");
}

/* Only CAP_NET_ADMIN (nftables) and CAP_KILL (signals on to the child). */
static void
parent_caps(void)
{
	static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_KILL };
	cap_t caps = cap_init();

	if (!caps || cap_set_flag(caps, CAP_PERMITTED, 2, keep, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 2, keep, CAP_SET) < 0 || cap_set_proc(caps) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("privsep: parent cannot drop capabilities");
	cap_free(caps);
}

/* The LAN prefixes as the kernel has them, not as the child says. */
static void
parent_config(void)
{
	struct guard_lan lans[GUARD_MAX_LAN];

	memset(&bc, 0, sizeof(bc));
	bc.table = pcfg->table;
	bc.ext_ifname = pcfg->ext_ifname;
	for (int i = 0; i < pcfg->n_lan; i++) {
		bc.lan_ifnames[i] = pcfg->lan_ifname[i];
		if (netif_ipv4(pcfg->lan_ifname[i], &bc.lan_net[i], &bc.lan_plen[i]) < 0)
			fatalx("LAN interface %s has no IPv4 address", pcfg->lan_ifname[i]);
		lans[i] = (struct guard_lan){ bc.lan_net[i], bc.lan_plen[i] };
		bc.n_lan++;
	}
	if (guard_configure(lans, bc.n_lan, if_nametoindex(pcfg->ext_ifname)) < 0)
		fatalx("privsep: too many LAN interfaces");
	/* IPv6: the LAN prefixes pinholes must point into, read by lan6 as the child does. */
	char err[256];
	int rc;
	if (gateway_resolve(&pgw, pcfg, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if ((rc = lan6_init(&pgw)) < 0)
		log_warnx("privsep: cannot read the LAN's IPv6 prefixes: %s; pinholes are refused",
		    strerror(-rc));
	pin_be = backend_nft_pinholes(pcfg->table);
}

void
parent_main(const struct config *cfg, int fd, int child_pid)
{
	int rc;

	pcfg = cfg;
	child = child_pid;
	child_fd = fd;
	if (ev_init() < 0)
		fatal("privsep: parent event loop");
	parent_signals();
	parent_config();
	if (!cfg->ext_ip.s_addr && (rc = rtnl_watch()) < 0)
		log_warnx("cannot watch the WAN address: %s", strerror(-rc));
	if (ev_fd_add(fd, POLLIN, child_readable, NULL) < 0)
		fatal("privsep: parent event loop");
	parent_caps();
	log_info("privsep: parent %d keeps the nftables socket; child %d parses the network",
	    (int)getpid(), child_pid);
	rc = ev_run();
	fatalx("privsep: parent event loop ended: %s", strerror(-rc));
}
