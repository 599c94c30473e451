/*
 * leasestore: the lease table kept on disk, so mappings survive a restart
 * (clean, crash or kill -9). Two files: a snapshot of the whole table and a
 * journal of the changes since. Each change appends one line to the journal
 * at once, before the client hears of it, so a killed daemon loses nothing
 * (changes that arrive together are fsynced together, 50 ms after the
 * first), so the cost per change does not grow with the table;
 * the snapshot is rewritten atomically (temporary file, fsync, rename) only
 * when the journal has grown as long as the table, which spreads that cost
 * over at least as many changes as it writes lines.
 */
#ifndef PORTHOLE_LEASESTORE_H
#define PORTHOLE_LEASESTORE_H

#include <stdbool.h>
#include <stddef.h>

struct lease_req;
struct pinhole_req;

/* Do the rules in force still permit this lease? (main: what SIGHUP checks) */
typedef bool (*leasestore_check)(const struct lease_req *req);
/* ... this pinhole? (main: the rules, and the LAN's IPv6 prefixes) */
typedef bool (*leasestore_check6)(const struct pinhole_req *req);

/*
 * Restore unexpired leases and pinholes from path (+ its journal) that check
 * and check6 (when not NULL) and the tables still accept, then follow the
 * tables' changes; what was dropped is counted in one log line. 0, or -errno
 * with the problem in err (e.g. a directory others may write).
 */
int	leasestore_init(const char *path, leasestore_check check, leasestore_check6 check6,
	    char *err, size_t errlen);
/* Write what is pending now, as a fresh snapshot. */
void	leasestore_fini(void);

/* Parse one lease line into a request; for tests and fuzzing. 0, -EINVAL,
 * -ETIME (expired) or -ERANGE (expiry further ahead than a lease can be). */
int	leasestore_parse_line(const char *line, long long now_wall, struct lease_req *req,
	    char *desc, size_t desclen, unsigned char *nonce);

#endif
