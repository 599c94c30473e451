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
 *
 * The daemon writes as root into a directory it may not own: every file is opened
 * relative to the directory, never through a symbolic link, the snapshot's
 * temporary file is created new (O_EXCL), and a directory that others may
 * write is refused, because whoever can write it can swap our files. The
 * file is data, not authority: every lease read back is checked again
 * against the rules in force (the caller's check, then the lease table's
 * own: guard, quota), and what is dropped is counted in one log line.
 */
#include "leasestore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "lease.h"
#include "leasestore6.h"
#include "log.h"
#include "pinhole.h"
#include "sbuf.h"

#define SYNC_DELAY_MS	50
#define LINE_MAX_LEN	256
#define MIN_COMPACT	1024	/* journal lines before a small table is rewritten */
#define NAME_MAX_LEN	128

static char		store_path[256];	/* as configured, for messages */
static char		store_name[NAME_MAX_LEN];	/* inside the directory */
static char		journal_name[NAME_MAX_LEN + 8];
static char		tmp_name[NAME_MAX_LEN + 8];
static int		dir_fd = -1;
static int		journal_fd = -1;
static size_t		journal_lines;
static struct ev_timer	sync_timer;
static int		restoring;
static leasestore_check	permitted;
static leasestore_check6	permitted6;
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

/* Open name in our directory: never through a symbolic link, only a regular
 * file with one name (a hard link planted earlier would be written through). */
static int
open_in_dir(const char *name, int flags)
{
	struct stat st;
	int fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return -EPERM;
	}
	/* O_NONBLOCK was only for a FIFO planted in our place; files never block. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* The snapshot's temporary file, created new: whatever stands in its place
 * (a crash's leftover, a planted link) is removed, never written through. */
static int
create_tmp(void)
{
	int fd = openat(dir_fd, tmp_name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EEXIST && unlinkat(dir_fd, tmp_name, 0) == 0)
		fd = openat(dir_fd, tmp_name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd;
}

static void
write_pinholes(FILE *f, long long now)
{
	char line[LEASESTORE6_LINE_MAX];

	for (size_t i = 0; i < pinhole_count(); i++)
		if (leasestore6_format(pinhole_at(i), now, line, sizeof(line)) < (int)sizeof(line))
			fprintf(f, "%s\n", line);
}

/* The whole table as a new snapshot; then the journal starts again, empty. */
static int
write_snapshot(void)
{
	char line[LINE_MAX_LEN];
	long long now = wall_now();
	FILE *f;
	int fd = create_tmp();

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		log_warn("leasestore: cannot write %s.tmp", store_path);
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
	write_pinholes(f, now);
	if (fflush(f) != 0 || fsync(fd) != 0) {
		log_warn("leasestore: cannot write %s.tmp", store_path);
		fclose(f);
		unlinkat(dir_fd, tmp_name, 0);
		return -EIO;
	}
	fclose(f);
	if (renameat(dir_fd, tmp_name, dir_fd, store_name) < 0) {
		log_warn("leasestore: cannot replace %s", store_path);
		unlinkat(dir_fd, tmp_name, 0);
		return -EIO;
	}
	/* The rename itself is only durable once the directory is. */
	if (fsync(dir_fd) < 0)
		log_warn("leasestore: cannot sync the directory of %s", store_path);
	/* The snapshot now holds everything the journal said. */
	if (journal_fd >= 0 && ftruncate(journal_fd, 0) < 0)
		log_warn("leasestore: cannot empty %s.journal", store_path);
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
	    journal_lines + pending_lines > (lease_count() + pinhole_count() > MIN_COMPACT ?
	    lease_count() + pinhole_count() : MIN_COMPACT)) {
		pending_clear();
		return write_snapshot();
	}
	while (off < pending.len) {
		ssize_t n = write(journal_fd, pending.s + off, pending.len - off);
		if (n <= 0) {
			log_warn("leasestore: cannot append to %s.journal; writing a snapshot",
			    store_path);
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
		log_warn("leasestore: cannot sync %s.journal", store_path);
}

/* One journal line for a change: kept, appended now, synced a moment later. */
static void
journal(const char *line, int n, size_t cap)
{
	if (n > 0 && (size_t)n < cap) {
		sbuf_addn(&pending, line, (size_t)n);
		sbuf_addn(&pending, "\n", 1);
		pending_lines++;
	}
	append_pending();
	if (!ev_timer_armed(&sync_timer))
		ev_timer_in(&sync_timer, SYNC_DELAY_MS);
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
	journal(line, n, sizeof(line));
}

/* The pinhole table's changes, journalled like the leases'. */
static void
pinholes_changed(enum lease_event ev, const struct pinhole *p, void *arg)
{
	char line[LEASESTORE6_LINE_MAX + 2];
	int n;

	(void)arg;
	if (restoring)
		return;
	if (ev == LEASE_ADDED || ev == LEASE_UPDATED) {
		line[0] = '+';
		line[1] = ' ';
		n = 2 + leasestore6_format(p, wall_now(), line + 2, sizeof(line) - 2);
	} else {
		n = leasestore6_format_removal(p, line, sizeof(line));
	}
	journal(line, n, sizeof(line));
}

/* --- reading a line back: every field checked, nothing trusted ------------ */

/* The next space-separated field of *s (NUL-terminated in place), or NULL. */
static char *
next_field(char **s)
{
	char *f = *s, *sp;

	if (!*f || *f == ' ')
		return NULL;
	sp = strchr(f, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = f + strlen(f);
	}
	return f;
}

/* Decimal digits only, at most max. */
static int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int
parse_port(const char *s, bool zero_ok, uint16_t *out)
{
	unsigned long long v;

	if (!s || parse_uint(s, 65535, &v) < 0 || (v == 0 && !zero_ok))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int
hex_nonce(const char *s, unsigned char *out)
{
	static const char digits[] = "0123456789abcdef";

	if (!s || strlen(s) != LEASE_NONCE_LEN * 2)
		return -EINVAL;
	for (int i = 0; i < LEASE_NONCE_LEN * 2; i++) {
		const char *d = s[i] ? strchr(digits, s[i]) : NULL;
		if (!d)
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)((d - digits) << 4);
		else
			out[i / 2] |= (unsigned char)(d - digits);
	}
	return 0;
}

static int
parse_owner(const char *s, enum lease_owner *out)
{
	for (int o = 0; s && o < OWNER_COUNT; o++)
		if (!strcmp(s, lease_owner_name(o))) {
			*out = o;
			return 0;
		}
	return -EINVAL;
}

int
leasestore_parse_line(const char *line, long long now_wall, struct lease_req *req,
    char *desc, size_t desclen, unsigned char *nonce)
{
	char buf[LINE_MAX_LEN + 1], *p = buf, *proto, *ia, *ra, *expires;
	unsigned long long exp;

	memset(req, 0, sizeof(*req));
	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	buf[strcspn(buf, "\r\n")] = '\0';
	proto = next_field(&p);
	if (!proto || lease_proto_parse(proto, &req->proto) < 0 ||
	    parse_port(next_field(&p), false, &req->ext_port) < 0 ||
	    !(ia = next_field(&p)) || inet_pton(AF_INET, ia, &req->int_addr) != 1 ||
	    parse_port(next_field(&p), false, &req->int_port) < 0 ||
	    !(ra = next_field(&p)) || inet_pton(AF_INET, ra, &req->remote) != 1 ||
	    parse_port(next_field(&p), true, &req->remote_port) < 0 ||
	    parse_owner(next_field(&p), &req->owner) < 0 ||
	    !(expires = next_field(&p)) || parse_uint(expires, LLONG_MAX, &exp) < 0 ||
	    hex_nonce(next_field(&p), nonce) < 0)
		return -EINVAL;
	if (exp && (long long)exp <= now_wall)
		return -ETIME;	/* expired while we were away */
	/* Further ahead than any lease the table can hold: not ours, or damaged. */
	if (exp && (long long)exp - now_wall > (long long)UINT32_MAX)
		return -ERANGE;
	req->lifetime = exp ? (uint32_t)((long long)exp - now_wall) : 0;
	req->nonce = nonce;
	snprintf(desc, desclen, "%s", p);
	req->desc = desc;
	return 0;
}

/* --- restoring ------------------------------------------------------------ */

struct restore_count {
	unsigned	restored, expired, refused, bad;
	char		first_bad[160];		/* where, and why, for the summary line */
};

static void
count_bad(struct restore_count *c, const char *file, unsigned lineno, const char *why)
{
	if (c->bad++)
		return;
	if (lineno)
		snprintf(c->first_bad, sizeof(c->first_bad), "%s:%u: %s", file, lineno, why);
	else
		snprintf(c->first_bad, sizeof(c->first_bad), "%s: %s", file, why);
}

/* "- proto port": the lease went away after the snapshot. */
static int
replay_removal(const char *line)
{
	char buf[32], *p = buf, *proto;
	uint16_t port;
	uint8_t pr;
	struct lease *l;

	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line + 2);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!(proto = next_field(&p)) || lease_proto_parse(proto, &pr) < 0 ||
	    parse_port(next_field(&p), false, &port) < 0 || *p)
		return -EINVAL;
	if ((l = lease_find(pr, port)))
		lease_remove(l, LEASE_REMOVED);
	return 0;
}

/* A pinhole's snapshot line, or a journal line about one. */
static void
restore_pinhole(const char *line, const char *file, unsigned lineno, long long now,
    struct restore_count *c)
{
	char desc[LEASE_DESC_MAX];
	uint8_t nonce[LEASE_NONCE_LEN];
	struct pinhole_req req;
	struct pinhole *p;
	int rc;

	if (line[0] == '-') {
		if (leasestore6_parse_removal(line, &req) < 0)
			count_bad(c, file, lineno, "not a pinhole removal line");
		else if ((p = pinhole_find(req.proto, &req.int_addr, req.int_port)))
			pinhole_remove(p, LEASE_REMOVED);
		return;
	}
	rc = leasestore6_parse(line + (line[0] == '+' ? 2 : 0), now, &req, desc, sizeof(desc), nonce);
	if (rc == -ETIME) {
		/* expired while we were away; an older line may have put it in */
		if ((p = pinhole_find(req.proto, &req.int_addr, req.int_port)))
			pinhole_remove(p, LEASE_REMOVED);
		c->expired++;
		return;
	}
	if (rc < 0) {
		count_bad(c, file, lineno, rc == -ERANGE ? "expiry too far ahead" : "not a pinhole line");
		return;
	}
	/* main's checks (the rules, the LAN's prefixes), then the table's own
	 * (address, quota, size). */
	if ((permitted6 && !permitted6(&req)) || pinhole_add(&req, NULL) < 0) {
		c->refused++;
		return;
	}
	c->restored++;
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

	if (leasestore6_is_pinhole(line)) {
		restore_pinhole(line, file, lineno, now, c);
		return;
	}
	if (journal && line[0] == '-') {
		if (replay_removal(line) < 0)
			count_bad(c, file, lineno, "not a removal line");
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
	if (rc < 0) {
		count_bad(c, file, lineno, rc == -ERANGE ? "expiry too far ahead" : "not a lease line");
		return;
	}
	if ((permitted && !permitted(&req)) || lease_add(&req, NULL) < 0) {
		c->refused++;
		return;
	}
	c->restored++;
}

/* Skip what is left of a line longer than any lease line: one bad line, not many. */
static void
skip_rest(FILE *f)
{
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n')
		;
}

static void
restore_file(const char *name, const char *label, long long now, struct restore_count *c)
{
	char line[LINE_MAX_LEN + 2];
	unsigned lineno = 0;
	int fd = open_in_dir(name, O_RDONLY);
	FILE *f;

	if (fd < 0) {
		if (fd != -ENOENT)
			count_bad(c, label, 0, fd == -ELOOP || fd == -EPERM ?
			    "not a regular file (a symbolic link?); not read" : strerror(-fd));
		return;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		count_bad(c, label, 0, "cannot read");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			skip_rest(f);
			count_bad(c, label, lineno, "line too long");
			continue;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		restore_line(line, label, lineno, now, c);
	}
	fclose(f);
}

/* The directory the files live in: opened once, and refused when others may write it. */
static int
open_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t baselen = strlen(base);
	char dir[sizeof(store_path)];
	struct stat st;

	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if (baselen == 0 || baselen >= sizeof(store_name)) {
		snprintf(err, errlen, "not a file name");
		return -EINVAL;
	}
	memcpy(store_name, base, baselen + 1);
	snprintf(journal_name, sizeof(journal_name), "%s.journal", store_name);
	snprintf(tmp_name, sizeof(tmp_name), "%s.tmp", store_name);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		snprintf(err, errlen, "cannot open directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (fstat(dir_fd, &st) < 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errlen, "directory %s (mode %03o, owner %u) may be written by others, "
		    "who could swap the lease files; use a directory only the daemon writes "
		    "(e.g. /var/lib/porthole, mode 0700)", dir, (unsigned)(st.st_mode & 0777),
		    (unsigned)st.st_uid);
		close(dir_fd);
		dir_fd = -1;
		return -EPERM;
	}
	return 0;
}

int
leasestore_init(const char *path, leasestore_check check, leasestore_check6 check6, char *err,
    size_t errlen)
{
	struct restore_count c = { 0 };
	char jlabel[sizeof(store_path) + 8];
	long long now = wall_now();
	size_t len = strlen(path);
	int rc;

	if (len >= sizeof(store_path)) {
		snprintf(err, errlen, "path too long");
		return -ENAMETOOLONG;
	}
	memcpy(store_path, path, len + 1);
	if ((rc = open_dir(path, err, errlen)) < 0) {
		store_path[0] = '\0';
		return rc;
	}
	permitted = check;
	permitted6 = check6;
	ev_timer_init(&sync_timer, sync_due);
	snprintf(jlabel, sizeof(jlabel), "%s.journal", store_path);
	restoring = 1;
	/* Every restored mapping into the kernel at once: one nftables batch for
	 * a few hundred, not one each. */
	lease_batch_begin();
	restore_file(store_name, store_path, now, &c);
	restore_file(journal_name, jlabel, now, &c);
	c.restored -= (unsigned)lease_batch_end();
	restoring = 0;
	if (c.restored || c.expired || c.refused || c.bad)
		log_info("leasestore: restored %u leases and pinholes from %s; dropped %u expired, "
		    "%u no longer permitted, %u unreadable%s%s%s", c.restored, store_path,
		    c.expired, c.refused, c.bad, c.bad ? " (first: " : "", c.first_bad,
		    c.bad ? ")" : "");
	journal_fd = open_in_dir(journal_name, O_WRONLY | O_CREAT | O_APPEND);
	if (journal_fd < 0) {
		rc = journal_fd;
		snprintf(err, errlen, "cannot open %s: %s", jlabel, rc == -EPERM || rc == -ELOOP ?
		    "not a regular file (a symbolic link?)" : strerror(-rc));
		goto fail;
	}
	/* Start from one snapshot: what was restored, nothing in the journal. */
	if ((rc = write_snapshot()) < 0) {
		snprintf(err, errlen, "cannot write %s (see the line above)", store_path);
		goto fail;
	}
	if ((rc = lease_listen(table_changed, NULL)) < 0 ||
	    (rc = pinhole_listen(pinholes_changed, NULL)) < 0) {
		snprintf(err, errlen, "%s", strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	close(dir_fd);
	dir_fd = -1;
	store_path[0] = '\0';
	return rc;
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
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
	sbuf_free(&pending);
	store_path[0] = '\0';
}
