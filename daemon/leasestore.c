/*
 * leasestore: see leasestore.h. One text line per lease:
 *
 *   proto ext_port int_addr int_port remote remote_port owner expires nonce desc
 *
 * expires is wall-clock seconds (0 = permanent): the monotonic clock starts
 * again at boot, the wall clock does not. The description is last and may
 * hold spaces.
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

#define WRITE_DELAY_MS	50
#define LINE_MAX_LEN	256

static char		store_path[256];
static struct ev_timer	write_timer;
static int		restoring;

static long long
wall_now(void)
{
	return (long long)time(NULL);
}

static int
write_file(void)
{
	char tmp[sizeof(store_path) + 8];
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
		const struct lease *l = lease_at(i);
		char ia[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN], nonce[LEASE_NONCE_LEN * 2 + 1];
		long long expires = l->expires_ms ? now + lease_seconds_left(l) : 0;

		inet_ntop(AF_INET, &l->int_addr, ia, sizeof(ia));
		inet_ntop(AF_INET, &l->remote, ra, sizeof(ra));
		for (int b = 0; b < LEASE_NONCE_LEN; b++)
			sprintf(nonce + 2 * b, "%02x", l->nonce[b]);
		fprintf(f, "%s %u %s %u %s %u %s %lld %s %s\n", lease_proto_name(l->proto),
		    l->ext_port, ia, l->int_port, ra, l->remote_port, lease_owner_name(l->owner),
		    expires, nonce, l->desc);
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
	return 0;
}

static void
write_due(struct ev_timer *t)
{
	(void)t;
	write_file();
}

static void
table_changed(enum lease_event ev, const struct lease *l, void *arg)
{
	(void)ev;
	(void)l;
	(void)arg;
	if (!restoring && !ev_timer_armed(&write_timer))
		ev_timer_in(&write_timer, WRITE_DELAY_MS);
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

static void
restore(FILE *f)
{
	char line[LINE_MAX_LEN + 2], desc[LEASE_DESC_MAX];
	unsigned char nonce[LEASE_NONCE_LEN];
	long long now = wall_now();
	unsigned lineno = 0, restored = 0, expired = 0, bad = 0;
	struct lease_req req;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		int rc = leasestore_parse_line(line, now, &req, desc, sizeof(desc), nonce);
		if (rc == -ETIME) {
			expired++;
			continue;
		}
		if (rc < 0 || lease_add(&req, NULL) < 0) {
			log_warnx("leasestore: %s:%u: cannot restore this lease; skipped",
			    store_path, lineno);
			bad++;
			continue;
		}
		restored++;
	}
	log_info("leasestore: restored %u leases from %s (%u expired, %u skipped)", restored,
	    store_path, expired, bad);
}

int
leasestore_init(const char *path)
{
	FILE *f;

	if (strlen(path) >= sizeof(store_path))
		return -ENAMETOOLONG;
	snprintf(store_path, sizeof(store_path), "%s", path);
	ev_timer_init(&write_timer, write_due);
	f = fopen(path, "r");
	if (f) {
		restoring = 1;
		restore(f);
		restoring = 0;
		fclose(f);
	} else if (errno != ENOENT) {
		log_warn("leasestore: cannot read %s", path);
	}
	int rc = lease_listen(table_changed, NULL);
	if (rc < 0)
		return rc;
	return write_file();
}

void
leasestore_fini(void)
{
	if (!store_path[0])
		return;
	ev_timer_cancel(&write_timer);
	write_file();
}
