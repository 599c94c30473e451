/*
 * Unit tests for the nftables backend's element layout (no root): which map
 * a lease goes to and the exact key/value bytes the kernel will compare
 * against the registers the rules load (each part of a concatenation padded
 * to 32 bits, ports in network order), a closed backend's refusals, and
 * the null backend's contract.
 * The kernel path itself is tests/integration/10_backend_nft.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/nft_int.h"
#include "lease.h"

static struct lease
mk(uint8_t proto, uint16_t ext, const char *in, uint16_t inp, const char *rem, uint16_t remp)
{
	struct lease l;

	memset(&l, 0, sizeof(l));
	l.proto = proto;
	l.ext_port = ext;
	l.int_port = inp;
	inet_pton(AF_INET, in, &l.int_addr);
	if (rem)
		inet_pton(AF_INET, rem, &l.remote);
	l.remote_port = remp;
	return l;
}

static void
any_remote_goes_to_fwd4(void **state)
{
	static const uint8_t key[8] = { 6, 0, 0, 0, 0x09, 0xdd, 0, 0 };	/* tcp . 2525 */
	static const uint8_t data[8] = { 192, 168, 77, 10, 0, 25, 0, 0 };
	struct lease l = mk(IPPROTO_TCP, 2525, "192.168.77.10", 25, NULL, 0);
	struct nft_elem e;

	(void)state;
	nft_elem_of(&l, &e);
	assert_string_equal(e.map, NFT_MAP_ANY);
	assert_int_equal(e.key_len, 8);
	assert_memory_equal(e.key, key, 8);
	assert_memory_equal(e.data, data, 8);
	assert_string_equal(e.count_set, NFT_SET_COUNT_TCP);
	assert_memory_equal(e.count_key, key + 4, 2);
}

static void
remote_host_goes_to_fwd4r(void **state)
{
	static const uint8_t key[12] = { 17, 0, 0, 0, 203, 0, 113, 2, 0x0a, 0x42, 0, 0 };
	static const uint8_t count[2] = { 0x0a, 0x42 };
	struct lease l = mk(IPPROTO_UDP, 2626, "192.168.77.10", 26, "203.0.113.2", 0);
	struct nft_elem e;

	(void)state;
	nft_elem_of(&l, &e);
	assert_string_equal(e.map, NFT_MAP_HOST);
	assert_int_equal(e.key_len, 12);
	assert_memory_equal(e.key, key, 12);
	assert_string_equal(e.count_set, NFT_SET_COUNT_UDP);
	assert_memory_equal(e.count_key, count, 2);
}

static void
remote_host_and_port_goes_to_fwd4rp(void **state)
{
	static const uint8_t key[16] = {
		6, 0, 0, 0, 203, 0, 113, 3, 0x0f, 0xa0, 0, 0, 0xff, 0xff, 0, 0 };
	static const uint8_t data[8] = { 192, 168, 77, 20, 0x01, 0xbb, 0, 0 };
	struct lease l = mk(IPPROTO_TCP, 65535, "192.168.77.20", 443, "203.0.113.3", 4000);
	struct nft_elem e;

	(void)state;
	nft_elem_of(&l, &e);
	assert_string_equal(e.map, NFT_MAP_HOSTPORT);
	assert_int_equal(e.key_len, 16);
	assert_memory_equal(e.key, key, 16);
	assert_memory_equal(e.data, data, 8);
}

/* A remote port without a remote host is no filter at all (the host is what filters). */
static void
remote_port_alone_is_any(void **state)
{
	struct lease l = mk(IPPROTO_TCP, 80, "192.168.77.10", 80, NULL, 4000);
	struct nft_elem e;

	(void)state;
	nft_elem_of(&l, &e);
	assert_string_equal(e.map, NFT_MAP_ANY);
	assert_int_equal(e.key_len, 8);
}

static void
count_calls(uint8_t proto, uint16_t ext_port, const struct backend_counters *c, void *arg)
{
	(void)proto;
	(void)ext_port;
	(void)c;
	(*(int *)arg)++;
}

static void
closed_backend_refuses(void **state)
{
	struct lease l = mk(IPPROTO_TCP, 1, "192.168.77.10", 1, NULL, 0);
	int calls = 0;

	(void)state;
	assert_int_equal(backend_nft.add(&l), -ENOTCONN);
	assert_int_equal(backend_nft.del(&l), -ENOTCONN);
	assert_int_equal(backend_nft.counters(count_calls, &calls), -ENOTCONN);
	assert_int_equal(calls, 0);
	backend_nft.close();
}

static void
null_backend_accepts_everything(void **state)
{
	struct backend_config cfg = { .table = "x" };
	struct lease l = mk(IPPROTO_UDP, 9, "10.0.0.1", 9, NULL, 0);
	struct in_addr ext = { 0 };
	int calls = 0;

	(void)state;
	assert_int_equal(backend_null.open(&cfg), 0);
	assert_int_equal(backend_null.set_external(ext), 0);
	assert_int_equal(backend_null.add(&l), 0);
	assert_int_equal(backend_null.counters(count_calls, &calls), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(backend_null.del(&l), 0);
	backend_null.close();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(any_remote_goes_to_fwd4),
		cmocka_unit_test(remote_host_goes_to_fwd4r),
		cmocka_unit_test(remote_host_and_port_goes_to_fwd4rp),
		cmocka_unit_test(remote_port_alone_is_any),
		cmocka_unit_test(closed_backend_refuses),
		cmocka_unit_test(null_backend_accepts_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
