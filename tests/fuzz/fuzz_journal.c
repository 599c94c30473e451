/*
 * libFuzzer harness: the lease file read back at start (leasestore_init),
 * as after a crash: a snapshot and a journal of "+ LINE" / "- proto port"
 * changes, torn lines included. The input is the snapshot, a NUL byte, then
 * the journal. Each input starts from an empty lease table and event loop
 * and ends with both torn down, so a crash replays from its input alone.
 *
 * Checked: every restored lease is found under its own key, and the
 * snapshot written at the clean stop restores the same table again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "event.h"
#include "lease.h"
#include "leasestore.h"
#include "pinhole.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* In memory where there is a tmpfs: each input fsyncs a snapshot or two. */
static char dir[] = "/dev/shm/porthole-fuzz-journal-XXXXXX";
static char dir_tmp[] = "/tmp/porthole-fuzz-journal-XXXXXX";
static char path[64], journal[80];

static void
write_file(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(name, "w");

	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

/* Start from the files: a fresh loop and table, then the lease file. */
static void
start(void)
{
	char err[256];

	ev_init();
	if (lease_init(&backend_null, NULL) < 0 || pinhole_init(NULL, 512) < 0)
		abort();
	leasestore_init(path, NULL, NULL, err, sizeof(err));
}

static void
stop(void)
{
	leasestore_fini();
	pinhole_fini();
	lease_fini();
	ev_fini();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t snap = nul ? (size_t)(nul - data) : size;
	size_t n, short_lived = 0;

	if (!path[0]) {
		const char *d = mkdtemp(dir) ? dir : mkdtemp(dir_tmp);
		if (!d)
			abort();
		snprintf(path, sizeof(path), "%s/leases", d);
		snprintf(journal, sizeof(journal), "%s.journal", path);
	}
	write_file(path, data, snap);
	write_file(journal, nul ? nul + 1 : data + size, nul ? size - snap - 1 : 0);
	start();
	n = lease_count();
	for (size_t i = 0; i < n; i++) {
		const struct lease *l = lease_at(i);
		if (!l || lease_find(l->proto, l->ext_port) != l || l->owner >= OWNER_COUNT ||
		    strlen(l->desc) >= LEASE_DESC_MAX)
			__builtin_trap();
		if (!lease_permanent(l) && lease_seconds_left(l) <= 2)
			short_lived++;
	}
	stop();
	/* The clean stop wrote a snapshot of that table: it comes back whole
	 * (less what ran out meanwhile). */
	start();
	if (lease_count() > n || lease_count() + short_lived < n)
		__builtin_trap();
	stop();
	unlink(journal);
	unlink(path);
	return 0;
}
