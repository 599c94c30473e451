/*
 * privsep: the child's half (see privsep.h). Adds and removals are sent
 * without waiting (privsep_proto.h): the lease table goes on at once, and a
 * refusal the parent sends back later drops that lease again. Every other
 * call is synchronous: send one message, read until the PS_RESULT. The
 * parent's news (table lost, WAN address changed, a refusal) can arrive at
 * any time, also while a call waits; it is noted and acted on from a timer,
 * so the lease table is never re-entered in the middle of a change.
 */
#include "privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "lan6.h"
#include "lease.h"
#include "log.h"
#include "netif.h"
#include "pinhole.h"
#include "privsep_proto.h"

static int sock = -1;
static int ready_fd = -1;	/* detach(): the starting command waits on it */
static pid_t parent_pid;
static uid_t child_uid;
static gid_t child_gid;
static char user[CONFIG_NAME_MAX];
static char lease_dir[CONFIG_PATH_MAX];
static char lan0[CONFIG_NAME_MAX];	/* for the test hook's addresses */

static uint32_t next_seq = 1;

static void (*table_lost_cb)(void);
static int (*wan_changed_cb)(void);
static bool (*refused_cb)(const struct lease *l);
static bool table_lost, wan_changed;
static struct ev_timer news_timer;

/* Refused adds not yet acted on; no more than the adds sent, which the
 * lease table bounds (every mapping twice over is far past it). */
#define REFUSALS_MAX	(4 * 65536)
struct refusal {
	struct ps_mapping	map;
	int32_t			err;
	uint32_t		seq;
};
static struct refusal *refusals;
static size_t n_refusals, refusals_cap;

static backend_counter_fn counter_fn;
static void *counter_arg;
static void (*pin_counter_fn)(uint8_t proto, const struct in6_addr *addr, uint16_t port,
    uint64_t packets, uint64_t bytes, void *arg);
static void *pin_counter_arg;

const char *
privsep_user_problem(const struct config *cfg, char *buf, size_t len)
{
	struct passwd *pw = getpwnam(cfg->user);
	char copy[CONFIG_PATH_MAX], *dir;
	struct stat st;

	if (!pw) {
		snprintf(buf, len, "user %s does not exist: create it (useradd --system "
		    "--no-create-home --shell /usr/sbin/nologin %s) or name another with user=",
		    cfg->user, cfg->user);
		return buf;
	}
	if (pw->pw_uid == 0) {
		snprintf(buf, len, "user %s is root: the process that reads the network must not be",
		    cfg->user);
		return buf;
	}
	child_uid = pw->pw_uid;
	child_gid = pw->pw_gid;
	if (!cfg->lease_file[0])
		return NULL;
	/* The lease file's directory: the one place the child may write. */
	snprintf(copy, sizeof(copy), "%s", cfg->lease_file);
	dir = dirname(copy);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != pw->pw_uid) {
		snprintf(buf, len, "lease file directory %s must be a directory owned by user %s, "
		    "who keeps the lease file (chown %s %s)", dir, cfg->user, cfg->user, dir);
		return buf;
	}
	snprintf(lease_dir, sizeof(lease_dir), "%s", dir);
	return NULL;
}

/*
 * Without -d: detach as daemon(3) would, but the command that started us
 * returns only when the child is ready (0) or has failed (1), as it did
 * when the one process detached after its start.
 */
static void
detach(void)
{
	int p[2], fd;
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		fatal("daemon");
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0 || chdir("/") < 0 || (fd = open("/dev/null", O_RDWR)) < 0)
		fatal("daemon");
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int
privsep_start(const struct config *cfg, bool *foreground)
{
	char why[512];
	int sv[2];
	pid_t pid;

	if (privsep_user_problem(cfg, why, sizeof(why)))
		fatalx("%s", why);
	snprintf(user, sizeof(user), "%s", cfg->user);
	snprintf(lan0, sizeof(lan0), "%s", cfg->lan_ifname[0]);
	if (!*foreground)
		detach();
	*foreground = true;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fatal("socketpair");
	parent_pid = getpid();
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		close(sv[1]);
		if (ready_fd >= 0)
			close(ready_fd);	/* the child's to write */
		parent_main(cfg, sv[0], pid);
	}
	close(sv[0]);
	sock = sv[1];
	return 0;
}

static int receive(struct ps_msg *m, int flags);

/*
 * Adds and removals wait here, in order, for up to HOLD_MS or until a
 * PS_CHANGES message is full, and then go as that one message: the parent
 * wakes once for them all and makes them one nftables batch. A client is
 * answered before its change leaves (privsep_proto.h), so holding it costs
 * the client nothing; the kernel has the mapping about HOLD_MS later. Any
 * other call sends what is held first, so the parent sees every number in
 * turn.
 */
#define HOLD_MS		1
static struct ps_msg held;	/* PS_CHANGES, held.count of them */
static struct ev_timer hold_timer;

/*
 * The parent may be blocked sending us refusals while we send it adds: so
 * never block in send. While the socket is full, read what the parent says
 * (it is queued), then try again.
 */
static void
send_now(const struct ps_msg *m)
{
	struct ps_msg in;
	ssize_t n;

	while ((n = send(sock, m, sizeof(*m), MSG_NOSIGNAL | MSG_DONTWAIT)) != (ssize_t)sizeof(*m)) {
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			fatal("privsep: cannot reach the privileged parent");
		struct pollfd p = { .fd = sock, .events = POLLIN | POLLOUT };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			fatal("privsep: poll");
		if ((p.revents & POLLIN) && receive(&in, MSG_DONTWAIT) == 1)
			fatalx("privsep: the parent answered a question not asked");
	}
}

static void
send_held(void)
{
	if (held.count == 0)
		return;
	send_now(&held);
	held.count = 0;
	ev_timer_cancel(&hold_timer);
}

static void
hold_due(struct ev_timer *t)
{
	(void)t;
	send_held();
}

/* Held (see above); its number, which a refusal names. */
static uint32_t
hold_change(uint32_t op, const struct ps_mapping *map)
{
	if (held.count == 0)
		held = (struct ps_msg){ .type = PS_CHANGES, .len = sizeof(held), .seq = next_seq };
	held.u.changes[held.count++] = (struct ps_change){ op, *map };
	if (held.count == PS_CHANGES_PER_MSG)
		send_held();
	else if (!ev_timer_armed(&hold_timer))
		ev_timer_in(&hold_timer, HOLD_MS);
	return next_seq++;
}

/* Any other request: after what is held, numbered in turn. */
static void
send_msg(struct ps_msg *m)
{
	send_held();
	m->len = sizeof(*m);
	m->seq = next_seq++;
	send_now(m);
}

/* One refusal, in the one log line it gets: what, why, and what became of the lease. */
static void
act_on_refusal(const struct refusal *r)
{
	struct lease key;
	char a[INET_ADDRSTRLEN];

	ps_lease_of(&r->map, &key);
	bool dropped = refused_cb && refused_cb(&key);
	log_warnx("privsep: the parent refused mapping %s %u -> %s:%u (message %u): %s; %s",
	    lease_proto_name(key.proto), key.ext_port,
	    inet_ntop(AF_INET, &key.int_addr, a, sizeof(a)), key.int_port, r->seq,
	    strerror(-r->err), dropped ? "the lease is dropped" : "no such lease");
}

static void
note_refusal(const struct ps_msg *m)
{
	if (n_refusals == refusals_cap) {
		size_t cap = refusals_cap ? 2 * refusals_cap : 16;
		struct refusal *r;
		if (cap > REFUSALS_MAX || !(r = realloc(refusals, cap * sizeof(*r))))
			fatalx("privsep: %zu refusals from the parent unread", n_refusals);
		refusals = r;
		refusals_cap = cap;
	}
	refusals[n_refusals++] = (struct refusal){ m->u.map, m->result, m->seq };
}

static void
news_due(struct ev_timer *t)
{
	(void)t;
	/* By index and by copy: dropping a lease sends a removal, which may
	 * read more refusals and so move the array (realloc). */
	for (size_t i = 0; i < n_refusals; i++) {
		struct refusal r = refusals[i];
		act_on_refusal(&r);
	}
	n_refusals = 0;
	if (table_lost) {
		table_lost = false;
		if (table_lost_cb)
			table_lost_cb();
	}
	if (wan_changed) {
		wan_changed = false;
		if (wan_changed_cb)
			wan_changed_cb();
	}
}

/* One message from the parent; news is noted, a result returned (1). */
static int
receive(struct ps_msg *m, int flags)
{
	ssize_t n = recv(sock, m, sizeof(*m), flags);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n == 0)
		fatalx("privsep: the privileged parent is gone; exiting (leases are in the "
		    "lease file, mappings in the kernel)");
	if (n != (ssize_t)sizeof(*m) || m->len != sizeof(*m))
		fatalx("privsep: malformed message from the parent (%zd bytes)", n);
	switch (m->type) {
	case PS_RESULT:
		return 1;
	case PS_COUNTER_BATCH:
		if (m->count > PS_COUNTERS_PER_MSG)
			fatalx("privsep: counter batch of %u", m->count);
		for (uint32_t i = 0; i < m->count && counter_fn; i++) {
			const struct ps_counter *c = &m->u.ctr[i];
			counter_fn(c->proto, c->ext_port,
			    &(struct backend_counters){ c->packets, c->bytes }, counter_arg);
		}
		return 0;
	case PS_PIN_COUNTER_BATCH:
		if (m->count > PS_PIN_COUNTERS_PER_MSG)
			fatalx("privsep: pinhole counter batch of %u", m->count);
		for (uint32_t i = 0; i < m->count && pin_counter_fn; i++) {
			const struct ps_pin_counter *c = &m->u.pin_ctr[i];
			struct in6_addr a;
			memcpy(&a, c->int_addr, sizeof(a));
			pin_counter_fn(c->proto, &a, c->int_port, c->packets, c->bytes,
			    pin_counter_arg);
		}
		return 0;
	case PS_TABLE_LOST:
		table_lost = true;
		break;
	case PS_WAN_CHANGED:
		wan_changed = true;
		break;
	case PS_REFUSED:
		if (m->result >= 0)
			fatalx("privsep: a refusal with result %d", m->result);
		note_refusal(m);
		break;
	default:
		fatalx("privsep: message of type %u from the parent", m->type);
	}
	if (!ev_timer_armed(&news_timer))
		ev_timer_in(&news_timer, 0);
	return 0;
}

static int
call(struct ps_msg *m)
{
	send_msg(m);
	for (;;)
		if (receive(m, 0) == 1)
			return m->result;
}

static void
sock_readable(int fd, short revents, void *arg)
{
	struct ps_msg m;

	(void)fd;
	(void)revents;
	(void)arg;
	while (receive(&m, MSG_DONTWAIT) >= 0)
		;
}

void
privsep_on_kernel(void (*lost)(void), int (*wan)(void), bool (*refused)(const struct lease *l))
{
	table_lost_cb = lost;
	wan_changed_cb = wan;
	refused_cb = refused;
}

static int
ps_open(const struct backend_config *bc)
{
	static bool watching;

	(void)bc;	/* the parent builds the table from its own configuration */
	if (!watching) {
		ev_timer_init(&news_timer, news_due);
		ev_timer_init(&hold_timer, hold_due);
		if (ev_fd_add(sock, POLLIN, sock_readable, NULL) < 0)
			return -ENOMEM;
		watching = true;
	}
	return call(&(struct ps_msg){ .type = PS_OPEN });
}

static void
ps_close(void)
{
	if (sock < 0)
		return;
	call(&(struct ps_msg){ .type = PS_CLOSE });
	ev_timer_cancel(&news_timer);
	ev_timer_cancel(&hold_timer);
	ev_fd_del(sock);
	close(sock);
	sock = -1;
}

static int
ps_set_external(struct in_addr ext)
{
	return call(&(struct ps_msg){ .type = PS_SET_EXT, .u.ext = ext.s_addr });
}

/* Held a moment, not waited for: a refusal comes back on its own (receive()). */
static int
mapping_send(uint32_t op, const struct lease *l)
{
	struct ps_mapping map;

	ps_mapping_of(l, &map);
	hold_change(op, &map);
	return 0;
}

/* The end of a lease_batch (a restore): what is held goes now. */
static size_t
ps_commit(backend_refused_fn fn, void *arg)
{
	(void)fn;	/* refusals come back as news (receive()) */
	(void)arg;
	send_held();
	return 0;
}

static int
ps_add(const struct lease *l)
{
	return mapping_send(PS_ADD, l);
}

static int
ps_del(const struct lease *l)
{
	return mapping_send(PS_DEL, l);
}

static int
ps_counters(backend_counter_fn fn, void *arg)
{
	int rc;

	counter_fn = fn;
	counter_arg = arg;
	rc = call(&(struct ps_msg){ .type = PS_COUNTERS });
	counter_fn = NULL;
	return rc;
}

/* Pinholes are few and slow to come: each waits for the parent's answer. */
static int
pinhole_call(uint32_t type, const struct pinhole *p)
{
	struct ps_msg m = { .type = type };

	ps_pin_wire_of(p, &m.u.pin);
	return call(&m);
}

static int
ps_pin_add(const struct pinhole *p)
{
	return pinhole_call(PS_PIN_ADD, p);
}

static int
ps_pin_del(const struct pinhole *p)
{
	return pinhole_call(PS_PIN_DEL, p);
}

static int
ps_pin_counters(void (*fn)(uint8_t proto, const struct in6_addr *addr, uint16_t port,
    uint64_t packets, uint64_t bytes, void *arg), void *arg)
{
	int rc;

	pin_counter_fn = fn;
	pin_counter_arg = arg;
	rc = call(&(struct ps_msg){ .type = PS_PIN_COUNTERS });
	pin_counter_fn = NULL;
	return rc;
}

const struct pinhole_backend backend_privsep_pinholes = {
	.add = ps_pin_add,
	.del = ps_pin_del,
	.counters = ps_pin_counters,
};

const struct backend_ops backend_privsep = {
	.name = "privsep",
	.open = ps_open,
	.close = ps_close,
	.set_external = ps_set_external,
	.add = ps_add,
	.del = ps_del,
	.commit = ps_commit,
	.counters = ps_counters,
};

/*
 * Read-only everywhere but the lease directory, in a mount namespace of the
 * child's own. Sockets are already bound, the lease file already read.
 */
static void
restrict_files(void)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };

	if (unshare(CLONE_NEWNS) < 0)
		fatal("privsep: cannot make a mount namespace for the child");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fatal("privsep: mount --make-rprivate /");
	if (lease_dir[0] && mount(lease_dir, lease_dir, NULL, MS_BIND, NULL) < 0)
		fatal("privsep: bind mount of %s", lease_dir);
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		fatal("privsep: cannot make the file system read-only for the child");
	if (lease_dir[0] && mount_setattr(AT_FDCWD, lease_dir, 0, &rw, sizeof(rw)) < 0)
		fatal("privsep: cannot keep %s writable", lease_dir);
}

static void test_hook(const char *what);

void
privsep_drop(void)
{
	cap_t none;

	restrict_files();
	for (int c = 0; c <= (int)cap_max_bits() - 1; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			fatal("privsep: dropping capability %d from the bounding set", c);
	if (setgroups(1, &child_gid) < 0 || setresgid(child_gid, child_gid, child_gid) < 0 ||
	    setresuid(child_uid, child_uid, child_uid) < 0)
		fatal("privsep: cannot become user %s", user);
	if (!(none = cap_init()) || cap_set_proc(none) < 0)
		fatal("privsep: cannot clear capabilities");
	cap_free(none);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fatal("privsep: cannot clear ambient capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("privsep: no_new_privs");
	/* setresuid() cleared it: the parent's death ends the child too. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent_pid)
		fatalx("privsep: the privileged parent is gone");
	int rc = privsep_filter();
	if (rc < 0)
		fatalx("privsep: cannot install the system call filter: %s", strerror(-rc));
	log_info("privsep: child %d runs as %s (uid %u), no capabilities, system call filter, "
	    "file system read-only%s%s", (int)getpid(), user, (unsigned)child_uid,
	    lease_dir[0] ? " but " : "", lease_dir);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "1", 1);
		close(ready_fd);
		ready_fd = -1;
	}
	const char *t = getenv("PORTHOLED_PRIVSEP_TEST");
	if (t && *t)
		test_hook(t);
}

/*
 * Test hook (PORTHOLED_PRIVSEP_TEST in the environment; tests only): the
 * child behaves as a compromised one would. "short", "len", "type", "seq":
 * a malformed message (the last a replayed one, out of turn), on which the
 * parent must exit. "dnat": mappings the parent must refuse; then a call,
 * whose answer comes after the refusals, which are logged as any are.
 * "pinhole": IPv6 pinholes the parent must refuse, each answer logged.
 * "exec": run a program, which the system call filter must not let it.
 */
static void
test_dnat(const char *label, struct in_addr to)
{
	struct ps_mapping map = { .int_addr = to.s_addr, .ext_port = 2222, .int_port = 22,
	    .proto = IPPROTO_TCP };
	char a[INET_ADDRSTRLEN];

	log_warnx("privsep test: mapping tcp 2222 -> %s:22 (%s) sent as message %u",
	    inet_ntop(AF_INET, &to, a, sizeof(a)), label, hold_change(PS_ADD, &map));
}

static void
test_pinhole(const char *label, const struct in6_addr *to)
{
	struct ps_msg m = { .type = PS_PIN_ADD };
	char a[INET6_ADDRSTRLEN];

	memcpy(m.u.pin.int_addr, to, sizeof(m.u.pin.int_addr));
	m.u.pin.int_port = 22;
	m.u.pin.proto = IPPROTO_TCP;
	int rc = call(&m);
	log_warnx("privsep test: pinhole tcp [%s]:22 (%s): the parent answered %s",
	    inet_ntop(AF_INET6, to, a, sizeof(a)), label, rc == 0 ? "OK" : strerror(-rc));
}

static void
test_pinholes(void)
{
	struct in6_addr outside, ll = { .s6_addr = { 0xfe, 0x80, [15] = 1 } };

	inet_pton(AF_INET6, "2001:db8:99::7", &outside);
	if (lan6_count())
		test_pinhole("the gateway's own address", &lan6_at(0)->addr);
	test_pinhole("outside every LAN prefix", &outside);
	test_pinhole("link-local", &ll);
	test_pinhole("loopback", &in6addr_loopback);
}

static void
test_hook(const char *what)
{
	struct ps_msg m = { .type = PS_COUNTERS, .len = sizeof(m), .seq = next_seq };
	struct in_addr gw, net;
	uint8_t plen;

	log_warnx("privsep test: %s", what);
	send_held();
	m.seq = next_seq;
	if (strcmp(what, "short") == 0) {
		send(sock, &m, 8, MSG_NOSIGNAL);
	} else if (strcmp(what, "len") == 0) {
		m.len = 8;
		send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	} else if (strcmp(what, "type") == 0) {
		m.type = 99;
		send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	} else if (strcmp(what, "seq") == 0) {
		m.seq = next_seq - 1;
		send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	} else if (strcmp(what, "dnat") == 0 && netif_ipv4(lan0, &gw, &plen) == 0) {
		uint32_t mask = plen ? htonl(~0u << (32 - plen)) : 0;
		net.s_addr = gw.s_addr & mask;
		test_dnat("the gateway's own address", gw);
		test_dnat("the LAN's network address", net);
		test_dnat("the LAN's broadcast address",
		    (struct in_addr){ net.s_addr | ~mask });
		test_dnat("outside every LAN", (struct in_addr){ htonl(0xc6336407) });
		test_dnat("loopback", (struct in_addr){ htonl(INADDR_LOOPBACK) });
		call(&(struct ps_msg){ .type = PS_COUNTERS });
	} else if (strcmp(what, "pinhole") == 0) {
		test_pinholes();
	} else if (strcmp(what, "exec") == 0) {
		execl("/bin/true", "true", (char *)NULL);
		log_warn("privsep test: exec /bin/true");
	}
}
