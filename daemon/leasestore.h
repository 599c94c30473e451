/*
 * leasestore: the lease table kept on disk, so mappings survive a restart
 * (clean, crash or kill -9). The file is rewritten atomically (temporary
 * file, fsync, rename) shortly after each change; changes that arrive
 * together are written together, so a burst of requests costs one write.
 */
#ifndef PORTHOLE_LEASESTORE_H
#define PORTHOLE_LEASESTORE_H

#include <stddef.h>

/* Restore unexpired leases from path, then follow the table's changes. */
int	leasestore_init(const char *path);
/* Write what is pending now. */
void	leasestore_fini(void);

/* Parse one line of the file into a request; for tests and fuzzing. */
struct lease_req;
int	leasestore_parse_line(const char *line, long long now_wall, struct lease_req *req,
	    char *desc, size_t desclen, unsigned char *nonce);

#endif
