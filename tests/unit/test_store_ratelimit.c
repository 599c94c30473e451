/*
 * Unit tests for the lease file's line parser, a save/restore round trip,
 * and the per-host rate limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "event.h"
#include "lease.h"
#include "leasestore.h"
#include "ratelimit.h"


static void
parse_lines(void **state)
{
	struct lease_req r;
	char desc[LEASE_DESC_MAX];
	unsigned char nonce[LEASE_NONCE_LEN];

	(void)state;
	assert_int_equal(leasestore_parse_line(
	    "tcp 2525 192.168.1.10 25 0.0.0.0 0 pcp 1100 0102030405060708090a0b0c my mail server\n",
	    1000, &r, desc, sizeof(desc), nonce), 0);
	assert_int_equal(r.proto, IPPROTO_TCP);
	assert_int_equal(r.ext_port, 2525);
	assert_int_equal(r.int_port, 25);
	assert_int_equal(r.owner, OWNER_PCP);
	assert_int_equal(r.lifetime, 100);
	assert_int_equal(nonce[11], 0x0c);
	assert_string_equal(desc, "my mail server");
	assert_int_equal(leasestore_parse_line(
	    "udp 53 192.168.1.10 53 198.51.100.7 5000 static 0 000000000000000000000000 \n",
	    1000, &r, desc, sizeof(desc), nonce), 0);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(r.remote.s_addr, ip("198.51.100.7").s_addr);
	assert_int_equal(r.remote_port, 5000);
	/* expired while the daemon was away */
	assert_int_equal(leasestore_parse_line(
	    "tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 999 000000000000000000000000 x", 1000, &r,
	    desc, sizeof(desc), nonce), -ETIME);
	const char *bad[] = {
		"", "tcp", "icmp 1 192.168.1.10 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp 0 192.168.1.10 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp 70000 192.168.1.10 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp 1 192.168.1.300 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp 1 192.168.1.10 1 0.0.0.0 0 martian 0 000000000000000000000000 x",
		"tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 0 00zz00000000000000000000 x",
		"tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 0 0000 x",
		"tcp 1 192.168.1.10 1 0.0.0.0 0 upnp -5 000000000000000000000000 x",
		"tcp +1 192.168.1.10 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp 4294967297 192.168.1.10 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp  1 192.168.1.10 1 0.0.0.0 0 upnp 0 000000000000000000000000 x",
		"tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 99999999999999999999999 000000000000000000000000 x",
		"tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 0 0000000000000000000000 0x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (leasestore_parse_line(bad[i], 1000, &r, desc, sizeof(desc), nonce) == 0)
			fail_msg("accepted bad line %zu: %s", i, bad[i]);
	/* An expiry further ahead than any lease can last (2^32-1 s) is not ours. */
	assert_int_equal(leasestore_parse_line(
	    "tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 4294968296 000000000000000000000000 x", 1000, &r,
	    desc, sizeof(desc), nonce), -ERANGE);
	assert_int_equal(leasestore_parse_line(
	    "tcp 1 192.168.1.10 1 0.0.0.0 0 upnp 4294968295 000000000000000000000000 x", 1000, &r,
	    desc, sizeof(desc), nonce), 0);
	assert_int_equal(r.lifetime, UINT32_MAX);
}

/* A lease file in a fresh directory, with the table and the loop it serves. */
struct store {
	char	dir[32];
	char	path[64];
	char	journal[80];
	char	err[256];
};

static int
store_setup(void **state)
{
	static struct store st;

	snprintf(st.dir, sizeof(st.dir), "/tmp/porthole-store-XXXXXX");
	if (!mkdtemp(st.dir))
		return -1;
	snprintf(st.path, sizeof(st.path), "%s/leases", st.dir);
	snprintf(st.journal, sizeof(st.journal), "%s.journal", st.path);
	ev_init();
	lease_init(&backend_null, NULL);
	*state = &st;
	return leasestore_init(st.path, NULL, NULL, st.err, sizeof(st.err));
}

static int
store_teardown(void **state)
{
	struct store *st = *state;

	leasestore_fini();
	lease_fini();
	ev_fini();
	unlink(st->journal);
	unlink(st->path);
	return rmdir(st->dir);
}

/* Start again from the files: after a clean stop, or (crashed) without one. */
static void
store_restart(const struct store *st, bool clean)
{
	char err[256];

	if (clean)
		leasestore_fini();
	lease_fini();
	lease_init(&backend_null, NULL);
	assert_int_equal(leasestore_init(st->path, NULL, NULL, err, sizeof(err)), 0);
}

/*
 * A lease granted LIFETIME seconds at SINCE or later has between LIFETIME
 * less the seconds gone since then and LIFETIME left: the test measures
 * what went, as fsyncs on a busy disk can take seconds.
 */
static void
assert_left(const struct lease *l, uint32_t lifetime, time_t since)
{
	long gone = (long)(time(NULL) - since);

	assert_in_range(lease_seconds_left(l), (long)lifetime - gone - 1, lifetime);
}

static void
save_and_restore(void **state)
{
	const struct store *st = *state;
	struct lease_req r = { .proto = IPPROTO_UDP, .ext_port = 4500, .int_addr = ip("192.168.1.10"),
	    .int_port = 4501, .lifetime = 600, .owner = OWNER_PCP, .desc = "vpn peer" };
	unsigned char nonce[LEASE_NONCE_LEN] = { 9, 8, 7 };
	struct lease *l;
	time_t since = time(NULL);

	r.nonce = nonce;
	assert_int_equal(lease_add(&r, NULL), 0);
	r = (struct lease_req){ .proto = IPPROTO_TCP, .ext_port = 25, .int_addr = ip("192.168.1.10"),
	    .int_port = 25, .owner = OWNER_STATIC, .desc = "smtp" };
	assert_int_equal(lease_add(&r, NULL), 0);
	store_restart(st, true);
	assert_int_equal(lease_count(), 2);
	l = lease_find(IPPROTO_UDP, 4500);
	assert_non_null(l);
	assert_int_equal(l->owner, OWNER_PCP);
	assert_int_equal(l->int_port, 4501);
	assert_left(l, 600, since);
	assert_memory_equal(l->nonce, nonce, LEASE_NONCE_LEN);
	assert_string_equal(l->desc, "vpn peer");
	l = lease_find(IPPROTO_TCP, 25);
	assert_non_null(l);
	assert_true(lease_permanent(l));
}

static void
quit_soon(struct ev_timer *t)
{
	(void)t;
	ev_quit();
}

/* Let the event loop run the store's batch timer. */
static void
run_loop_ms(unsigned ms)
{
	struct ev_timer t;

	ev_timer_init(&t, quit_soon);
	ev_timer_in(&t, ms);
	ev_run();
}

static size_t
count_lines(const char *path, char first)
{
	char line[300];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += line[0] == first;
	fclose(f);
	return n;
}

static void
journal_survives_a_crash(void **state)
{
	const struct store *st = *state;
	struct lease_req r = { .proto = IPPROTO_TCP, .ext_port = 2525, .int_addr = ip("192.168.1.10"),
	    .int_port = 25, .lifetime = 600, .owner = OWNER_PCP, .desc = "smtp" };
	struct lease *a;
	time_t since;

	assert_int_equal(lease_add(&r, &a), 0);
	r = (struct lease_req){ .proto = IPPROTO_UDP, .ext_port = 53, .int_addr = ip("192.168.1.11"),
	    .int_port = 53, .owner = OWNER_STATIC, .desc = "dns" };
	assert_int_equal(lease_add(&r, NULL), 0);
	run_loop_ms(120);
	/* each change is one journal line; the snapshot is not rewritten */
	assert_int_equal(count_lines(st->journal, '+'), 2);
	assert_int_equal(count_lines(st->path, 't') + count_lines(st->path, 'u'), 0);
	lease_remove(lease_find(IPPROTO_UDP, 53), LEASE_REMOVED);
	since = time(NULL);
	lease_renew(a, 1200);
	run_loop_ms(120);
	assert_int_equal(count_lines(st->journal, '-'), 1);

	/* kill -9: no leasestore_fini, the table is simply gone */
	store_restart(st, false);
	assert_int_equal(lease_count(), 1);
	a = lease_find(IPPROTO_TCP, 2525);
	assert_non_null(a);
	assert_left(a, 1200, since);	/* the renewal was replayed */
	assert_null(lease_find(IPPROTO_UDP, 53));		/* and the removal */
	/* restored into one snapshot; the journal starts again */
	assert_int_equal(count_lines(st->journal, '+') + count_lines(st->journal, '-'), 0);
	assert_int_equal(count_lines(st->path, 't'), 1);
}

static void
journal_compacts(void **state)
{
	const struct store *st = *state;
	time_t since = 0;

	/* 100 leases, then 1,500 renewals in batches: the journal never holds
	 * more than max(table, 1024) lines; a snapshot takes them in. */
	for (int i = 0; i < 100; i++) {
		struct lease_req r = { .proto = IPPROTO_TCP, .ext_port = (uint16_t)(3000 + i),
		    .int_addr = ip("192.168.1.10"), .int_port = 80, .lifetime = 600,
		    .owner = OWNER_UPNP, .desc = "web" };
		assert_int_equal(lease_add(&r, NULL), 0);
	}
	for (int batch = 0; batch < 15; batch++) {
		since = time(NULL);
		for (int i = 0; i < 100; i++)
			lease_renew(lease_at((size_t)i), 600 + (uint32_t)batch);
		run_loop_ms(70);
		assert_true(count_lines(st->journal, '+') <= 1024);
	}
	assert_int_equal(count_lines(st->path, 't'), 100);	/* a snapshot was written on the way */
	store_restart(st, false);
	assert_int_equal(lease_count(), 100);
	assert_left(lease_find(IPPROTO_TCP, 3000), 614, since);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
assert_file_is(const char *path, const char *text)
{
	char buf[128] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, text);
}

/* Planted links are never followed: the snapshot and its temporary file
 * replace them, a linked journal is refused; so is a directory others may
 * write. The victim file is untouched throughout. */
static void
links_and_open_directories_refused(void **state)
{
	const struct store *st = *state;
	char victim[96], tmp[96], err[256];

	snprintf(victim, sizeof(victim), "%s/victim", st->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	write_file(victim, "precious\n");
	leasestore_fini();
	lease_fini();
	lease_init(&backend_null, NULL);
	unlink(st->path);
	unlink(st->journal);
	assert_int_equal(symlink(victim, st->path), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(leasestore_init(st->path, NULL, NULL, err, sizeof(err)), 0);
	assert_file_is(victim, "precious\n");
	assert_int_equal(access(tmp, F_OK), -1);
	assert_file_is(st->path, "# portholed leases: proto ext int_addr int_port remote remote_port "
	    "owner expires nonce desc\n");
	leasestore_fini();

	unlink(st->journal);
	assert_int_equal(symlink(victim, st->journal), 0);
	assert_int_equal(leasestore_init(st->path, NULL, NULL, err, sizeof(err)), -ELOOP);
	assert_file_is(victim, "precious\n");
	unlink(st->journal);

	assert_int_equal(chmod(st->dir, 0777), 0);
	assert_true(leasestore_init(st->path, NULL, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "may be written by others"));
	assert_int_equal(chmod(st->dir, 0700), 0);
	unlink(victim);
	assert_int_equal(leasestore_init(st->path, NULL, NULL, err, sizeof(err)), 0);
}

static void
rate_limit_per_host(void **state)
{
	struct in_addr a = ip("192.168.1.10"), b = ip("192.168.1.20");
	int allowed = 0;

	(void)state;
	ratelimit_set(0);
	for (int i = 0; i < 1000; i++)
		assert_true(ratelimit_allow(a, 1000));
	ratelimit_set(10);
	for (int i = 0; i < 100; i++)
		allowed += ratelimit_allow(a, 5000);
	assert_int_equal(allowed, 10);			/* the burst */
	assert_true(ratelimit_allow(b, 5000));		/* another host is not starved */
	assert_false(ratelimit_allow(a, 5050));		/* half a token back */
	assert_true(ratelimit_allow(a, 5100));		/* one token after 100 ms */
	assert_true(ratelimit_allow(a, 60000));		/* full again */
	ratelimit_fini();
}

/* Addresses the neighbour table does not know (here: none is on a LAN) draw
 * on one bucket per /64; another /64 has its own. */
static void
rate_limit_ipv6_unknown_by_64(void **state)
{
	struct in6_addr a, a2, other;
	int allowed = 0;

	(void)state;
	inet_pton(AF_INET6, "2001:db8:1::10", &a);
	inet_pton(AF_INET6, "2001:db8:1::dead:beef", &a2);
	inet_pton(AF_INET6, "2001:db8:2::10", &other);
	ratelimit_set(10);
	for (int i = 0; i < 50; i++) {
		allowed += ratelimit_allow6(&a, 0, 5000);
		allowed += ratelimit_allow6(&a2, 0, 5000);
	}
	assert_int_equal(allowed, 10);
	assert_true(ratelimit_allow6(&other, 0, 5000));
	ratelimit_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_lines),
		cmocka_unit_test_setup_teardown(save_and_restore, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(journal_survives_a_crash, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(journal_compacts, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(links_and_open_directories_refused, store_setup,
		    store_teardown),
		cmocka_unit_test(rate_limit_per_host),
		cmocka_unit_test(rate_limit_ipv6_unknown_by_64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
