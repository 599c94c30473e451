/*
 * leasestore: see leasestore.h. One text line per lease:
 *
 *   proto ext_port int_addr int_port remote remote_port owner expires nonce desc
 *
 * expires is wall-clock seconds (0 = permanent): the monotonic clock starts
 * again at boot, the wall clock does not. The description is last and may
 * hold spaces. The journal ("PATH.journal") holds "+ LEASE-LINE" for a lease
 * added or changed and "- proto ext_port" for one removed; a torn last line
 * (a crash mid-write) fails to parse and is skipped.
 */
#include "leasestore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "lease.h"
#include "log.h"
#include "sbuf.h"

#define SYNC_DELAY_MS	50
#define LINE_MAX_LEN	256
#define MIN_COMPACT	1024	/* journal lines before a small table is rewritten */

static char		store_path[256];
static char		journal_path[sizeof(store_path) + 8];
static int		journal_fd = -1;
static size_t		journal_lines;
static struct ev_timer	sync_timer;
static int		restoring;
/* Journal lines not yet written (each change is written at once). */
static struct sbuf	pending;
static size_t		pending_lines;

static long long
wall_now(void)
{
	return (long long)time(NULL);
}

/* One lease as a line (no newline); returns its length. */
static int
format_lease(const struct lease *l, long long now, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char ia[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN], nonce[LEASE_NONCE_LEN * 2 + 1];
	long long expires = lease_permanent(l) ? 0 : now + lease_seconds_left(l);

	inet_ntop(AF_INET, &l->int_addr, ia, sizeof(ia));
	inet_ntop(AF_INET, &l->remote, ra, sizeof(ra));
	for (int b = 0; b < LEASE_NONCE_LEN; b++) {
		nonce[2 * b] = hex[l->nonce[b] >> 4];
		nonce[2 * b + 1] = hex[l->nonce[b] & 15];
	}
	nonce[LEASE_NONCE_LEN * 2] = '\0';
	return snprintf(buf, len, "%s %u %s %u %s %u %s %lld %s %s", lease_proto_name(l->proto),
	    l->ext_port, ia, l->int_port, ra, l->remote_port, lease_owner_name(l->owner),
	    expires, nonce, l->desc);
}

/* The whole table as a new snapshot; then the journal starts again, empty. */
static int
write_snapshot(void)
{
	char tmp[sizeof(store_path) + 8], line[LINE_MAX_LEN];
	long long now = wall_now();
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", store_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		log_warn("leasestore: cannot write %s", tmp);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	fprintf(f, "# portholed leases: proto ext int_addr int_port remote remote_port owner expires nonce desc\n");
	for (size_t i = 0; i < lease_count(); i++) {
		if (lease_at(i)->disabled)
			continue;	/* not kept across a restart (table_changed) */
		format_lease(lease_at(i), now, line, sizeof(line));
		fputs(line, f);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || fsync(fd) != 0) {
		log_warn("leasestore: cannot write %s", tmp);
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, store_path) < 0) {
		log_warn("leasestore: cannot replace %s", store_path);
		unlink(tmp);
		return -EIO;
	}
	/* The snapshot now holds everything the journal said. */
	if (journal_fd >= 0 && ftruncate(journal_fd, 0) < 0)
		log_warn("leasestore: cannot empty %s", journal_path);
	journal_lines = 0;
	return 0;
}

static void
pending_clear(void)
{
	sbuf_clear(&pending);
	pending_lines = 0;
}

/*
 * Append the pending lines to the journal at once: the reply to the client
 * goes out right after the change, and what it was told must survive a
 * kill -9 from then on (the kernel keeps what write(2) took). Only the
 * fdatasync against power loss waits for the batch timer. A snapshot instead
 * when the journal has grown as long as the table, or when a line could not
 * be kept (out of memory): the snapshot holds every change, the missed one too.
 */
static int
append_pending(void)
{
	size_t off = 0;

	if (!pending_lines)
		return 0;
	if (pending.oom ||
	    journal_lines + pending_lines > (lease_count() > MIN_COMPACT ? lease_count() : MIN_COMPACT)) {
		pending_clear();
		return write_snapshot();
	}
	while (off < pending.len) {
		ssize_t n = write(journal_fd, pending.s + off, pending.len - off);
		if (n <= 0) {
			log_warn("leasestore: cannot append to %s; writing a snapshot", journal_path);
			pending_clear();
			return write_snapshot();
		}
		off += (size_t)n;
	}
	journal_lines += pending_lines;
	pending_clear();
	return 0;
}

static void
sync_due(struct ev_timer *t)
{
	(void)t;
	if (journal_fd >= 0 && fdatasync(journal_fd) < 0)
		log_warn("leasestore: cannot sync %s", journal_path);
}

static void
table_changed(enum lease_event ev, const struct lease *l, void *arg)
{
	char line[LINE_MAX_LEN + 2];
	int n;

	(void)arg;
	if (restoring)
		return;
	/* A disabled mapping (UPnP NewEnabled=0) is not kept: after a restart
	 * the client adds it again as it wants it, and nothing forwards meanwhile. */
	if ((ev == LEASE_ADDED || ev == LEASE_UPDATED) && !l->disabled) {
		line[0] = '+';
		line[1] = ' ';
		n = 2 + format_lease(l, wall_now(), line + 2, sizeof(line) - 2);
	} else {
		n = snprintf(line, sizeof(line), "- %s %u", lease_proto_name(l->proto), l->ext_port);
	}
	if (n > 0 && (size_t)n < sizeof(line)) {
		sbuf_addn(&pending, line, (size_t)n);
		sbuf_addn(&pending, "\n", 1);
		pending_lines++;
	}
	append_pending();
	if (!ev_timer_armed(&sync_timer))
		ev_timer_in(&sync_timer, SYNC_DELAY_MS);
}

static int
hex_nonce(const char *s, unsigned char *out)
{
	if (strlen(s) != LEASE_NONCE_LEN * 2)
		return -EINVAL;
	for (int i = 0; i < LEASE_NONCE_LEN; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int
leasestore_parse_line(const char *line, long long now_wall, struct lease_req *req,
    char *desc, size_t desclen, unsigned char *nonce)
{
	char proto[4], ia[16], ra[16], owner[8], nhex[LEASE_NONCE_LEN * 2 + 1];
	unsigned ext, ip, rp;
	long long expires;
	int consumed = 0;

	memset(req, 0, sizeof(*req));
	if (sscanf(line, "%3s %u %15s %u %15s %u %7s %lld %24s %n", proto, &ext, ia, &ip, ra, &rp,
	    owner, &expires, nhex, &consumed) != 9)
		return -EINVAL;
	if (lease_proto_parse(proto, &req->proto) < 0 || ext == 0 || ext > 65535 ||
	    ip == 0 || ip > 65535 || rp > 65535 ||
	    inet_pton(AF_INET, ia, &req->int_addr) != 1 ||
	    inet_pton(AF_INET, ra, &req->remote) != 1 || hex_nonce(nhex, nonce) < 0)
		return -EINVAL;
	req->owner = OWNER_COUNT;
	for (int o = 0; o < OWNER_COUNT; o++)
		if (!strcmp(owner, lease_owner_name(o)))
			req->owner = o;
	if (req->owner == OWNER_COUNT)
		return -EINVAL;
	if (expires < 0 || (expires && expires <= now_wall))
		return -ETIME;	/* expired while we were away */
	req->ext_port = (uint16_t)ext;
	req->int_port = (uint16_t)ip;
	req->remote_port = (uint16_t)rp;
	req->lifetime = expires ? (uint32_t)(expires - now_wall) : 0;
	req->nonce = nonce;
	snprintf(desc, desclen, "%s", line + consumed);
	desc[strcspn(desc, "\r\n")] = '\0';
	req->desc = desc;
	return 0;
}

struct restore_count {
	unsigned	restored, expired, bad;
};

/* "- proto port": the lease went away after the snapshot. */
static int
replay_removal(const char *line)
{
	char proto[4];
	unsigned port;
	uint8_t p;
	struct lease *l;

	if (sscanf(line, "- %3s %u", proto, &port) != 2 || lease_proto_parse(proto, &p) < 0 ||
	    port == 0 || port > 65535)
		return -EINVAL;
	if ((l = lease_find(p, (uint16_t)port)))
		lease_remove(l, LEASE_REMOVED);
	return 0;
}

static void
restore_line(const char *line, const char *file, unsigned lineno, long long now,
    struct restore_count *c)
{
	char desc[LEASE_DESC_MAX];
	unsigned char nonce[LEASE_NONCE_LEN];
	struct lease_req req;
	int journal = (line[0] == '+' || line[0] == '-') && line[1] == ' ';
	int rc;

	if (journal && line[0] == '-') {
		if (replay_removal(line) < 0)
			c->bad++;
		return;
	}
	rc = leasestore_parse_line(line + (journal ? 2 : 0), now, &req, desc, sizeof(desc), nonce);
	if (rc == -ETIME) {
		/* expired while we were away; an older line may have put it in */
		struct lease *old = lease_find(req.proto, req.ext_port);
		if (old && old->int_addr.s_addr == req.int_addr.s_addr)
			lease_remove(old, LEASE_REMOVED);
		c->expired++;
		return;
	}
	if (rc < 0 || lease_add(&req, NULL) < 0) {
		log_warnx("leasestore: %s:%u: cannot restore this lease; skipped", file, lineno);
		c->bad++;
		return;
	}
	c->restored++;
}

static void
restore_file(const char *file, long long now, struct restore_count *c)
{
	char line[LINE_MAX_LEN + 2];
	unsigned lineno = 0;
	FILE *f = fopen(file, "r");

	if (!f) {
		if (errno != ENOENT)
			log_warn("leasestore: cannot read %s", file);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		restore_line(line, file, lineno, now, c);
	}
	fclose(f);
}

int
leasestore_init(const char *path)
{
	struct restore_count c = { 0, 0, 0 };
	long long now = wall_now();

	if (strlen(path) >= sizeof(store_path))
		return -ENAMETOOLONG;
	snprintf(store_path, sizeof(store_path), "%s", path);
	snprintf(journal_path, sizeof(journal_path), "%s.journal", path);
	ev_timer_init(&sync_timer, sync_due);
	restoring = 1;
	restore_file(store_path, now, &c);
	restore_file(journal_path, now, &c);
	restoring = 0;
	if (c.restored || c.expired || c.bad)
		log_info("leasestore: restored %zu leases from %s (%u expired, %u skipped)",
		    lease_count(), store_path, c.expired, c.bad);
	journal_fd = open(journal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (journal_fd < 0)
		return -errno;
	int rc = lease_listen(table_changed, NULL);
	if (rc < 0)
		return rc;
	/* Start from one snapshot: what was restored, nothing in the journal. */
	return write_snapshot();
}

void
leasestore_fini(void)
{
	if (!store_path[0])
		return;
	ev_timer_cancel(&sync_timer);
	pending_clear();
	write_snapshot();
	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	sbuf_free(&pending);
	store_path[0] = '\0';
}
