/*
 * Unit tests for the lease table, with a recording backend in place of the
 * kernel (the kernel path is covered by tests/integration/).
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
#include <string.h>

#include "backend/backend.h"
#include "event.h"
#include "guard.h"
#include "lease.h"

static int adds, dels, fail_next_add;

static int rec_open(const struct backend_config *c) { (void)c; return 0; }
static void rec_close(void) {}
static int rec_ext(struct in_addr a) { (void)a; return 0; }
static int rec_add(const struct lease *l)
{
	(void)l;
	if (fail_next_add) {
		fail_next_add = 0;
		return -EIO;
	}
	adds++;
	return 0;
}
static int rec_del(const struct lease *l) { (void)l; dels++; return 0; }

/* The kernel's view: traffic on tcp 2001 and on a port no lease holds. */
static int rec_counters(backend_counter_fn fn, void *arg)
{
	fn(IPPROTO_TCP, 2001, &(struct backend_counters){ 3, 300 }, arg);
	fn(IPPROTO_UDP, 4444, &(struct backend_counters){ 9, 900 }, arg);
	return 0;
}

static const struct backend_ops recorder = {
	.name = "recorder", .open = rec_open, .close = rec_close, .set_external = rec_ext,
	.add = rec_add, .del = rec_del, .counters = rec_counters,
};


/*
 * A backend that batches (backend.h: begin, commit): changes between begin
 * and commit are only counted as queued; commit "sends" them and refuses
 * every add of tcp refuse_port -> refuse_port, as a kernel refusing one element.
 */
static int queued, sent;
static uint16_t refuse_port;
struct queued_change { struct lease l; size_t index; bool add; };
static struct queued_change batch_q[16];
static size_t batch_n, batch_index;
static bool batching;

static int
bat_change(const struct lease *l, bool add)
{
	if (!batching)
		return add ? rec_add(l) : rec_del(l);
	batch_q[batch_n++] = (struct queued_change){ *l, batch_index++, add };
	queued++;
	return 0;
}
static int bat_add(const struct lease *l) { return bat_change(l, true); }
static int bat_del(const struct lease *l) { return bat_change(l, false); }
static void bat_begin(void) { batching = true; batch_n = batch_index = 0; }
static size_t
bat_commit(backend_refused_fn fn, void *arg)
{
	size_t refused = 0, n = batch_n;

	batching = false;
	batch_n = 0;
	for (size_t i = 0; i < n; i++) {
		sent++;
		if (batch_q[i].add && batch_q[i].l.ext_port == refuse_port &&
		    batch_q[i].l.int_port == refuse_port) {
			fn(&batch_q[i].l, batch_q[i].index, -ENOENT, arg);
			refused++;
		}
	}
	return refused;
}

static const struct backend_ops batcher = {
	.name = "batcher", .open = rec_open, .close = rec_close, .set_external = rec_ext,
	.add = bat_add, .del = bat_del, .begin = bat_begin, .commit = bat_commit,
	.counters = rec_counters,
};


static struct lease_req
req(uint8_t proto, uint16_t ext, const char *host, uint16_t port, enum lease_owner owner)
{
	return (struct lease_req){ .proto = proto, .ext_port = ext, .int_addr = ip(host),
	    .int_port = port, .owner = owner, .desc = "test" };
}

static int
setup(void **state)
{
	(void)state;
	adds = dels = fail_next_add = 0;
	ev_init();
	return lease_init(&recorder, &(struct lease_limits){ 0 });
}

static int
teardown(void **state)
{
	(void)state;
	lease_fini();
	ev_fini();
	return 0;
}

static void
add_find_remove(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 2525, "192.168.77.10", 25, OWNER_STATIC);
	struct lease *l;

	(void)state;
	assert_int_equal(lease_add(&r, &l), 0);
	assert_ptr_equal(lease_find(IPPROTO_TCP, 2525), l);
	assert_null(lease_find(IPPROTO_UDP, 2525));
	assert_ptr_equal(lease_find_internal(IPPROTO_TCP, ip("192.168.77.10"), 25, -1), l);
	assert_int_equal(lease_count(), 1);
	assert_int_equal(lease_count_host(ip("192.168.77.10")), 1);
	assert_int_equal(adds, 1);
	lease_remove(l, LEASE_REMOVED);
	assert_null(lease_find(IPPROTO_TCP, 2525));
	assert_int_equal(lease_count(), 0);
	assert_int_equal(lease_count_host(ip("192.168.77.10")), 0);
	assert_int_equal(dels, 1);
}

static void
other_host_refused_same_host_updates(void **state)
{
	struct lease_req a = req(IPPROTO_TCP, 8080, "192.168.77.10", 80, OWNER_UPNP);
	struct lease_req b = req(IPPROTO_TCP, 8080, "192.168.77.20", 80, OWNER_UPNP);
	struct lease *l, *l2;

	(void)state;
	assert_int_equal(lease_add(&a, &l), 0);
	assert_int_equal(lease_add(&b, NULL), -EEXIST);
	a.int_port = 8081;
	assert_int_equal(lease_add(&a, &l2), 0);
	assert_ptr_equal(l, l2);
	assert_int_equal(l->int_port, 8081);
	assert_null(lease_find_internal(IPPROTO_TCP, ip("192.168.77.10"), 80, -1));
	assert_ptr_equal(lease_find_internal(IPPROTO_TCP, ip("192.168.77.10"), 8081, -1), l);
	assert_int_equal(lease_count(), 1);
}

static void
static_not_replaced_by_protocols(void **state)
{
	struct lease_req s = req(IPPROTO_UDP, 5000, "192.168.77.10", 5000, OWNER_STATIC);
	struct lease_req u = req(IPPROTO_UDP, 5000, "192.168.77.10", 5000, OWNER_NATPMP);

	(void)state;
	assert_int_equal(lease_add(&s, NULL), 0);
	assert_int_equal(lease_add(&u, NULL), -EEXIST);
	assert_int_equal(lease_find(IPPROTO_UDP, 5000)->owner, OWNER_STATIC);
}

static void
backend_failure_changes_nothing(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 25, "192.168.77.10", 25, OWNER_STATIC);

	(void)state;
	fail_next_add = 1;
	assert_int_equal(lease_add(&r, NULL), -EIO);
	assert_int_equal(lease_count(), 0);
	assert_null(lease_find(IPPROTO_TCP, 25));
	assert_int_equal(lease_count_host(r.int_addr), 0);
}

/* UPnP NewEnabled=0: listed and counted, never in the kernel until enabled. */
static void
disabled_lease_stays_out_of_the_kernel(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 8025, "192.168.77.10", 25, OWNER_UPNP);
	struct lease *l;

	(void)state;
	r.disabled = true;
	assert_int_equal(lease_add(&r, &l), 0);
	assert_true(l->disabled);
	assert_ptr_equal(lease_find(IPPROTO_TCP, 8025), l);
	assert_int_equal(lease_count(), 1);
	assert_int_equal(adds, 0);
	assert_int_equal(lease_reinstall(), 0);
	assert_int_equal(adds, 0);
	r.disabled = false;			/* enabled: now forwarded */
	assert_int_equal(lease_add(&r, NULL), 0);
	assert_false(l->disabled);
	assert_int_equal(adds, 1);
	assert_int_equal(dels, 0);
	r.disabled = true;			/* and disabled again: out */
	assert_int_equal(lease_add(&r, NULL), 0);
	assert_int_equal(dels, 1);
	lease_remove(l, LEASE_REMOVED);
	assert_int_equal(dels, 1);		/* nothing left in the kernel to remove */
	assert_int_equal(adds, 1);
}

static void
quota_and_capacity(void **state)
{
	(void)state;
	lease_fini();
	lease_init(&recorder, &(struct lease_limits){ .max_leases = 5, .max_per_host = 2 });
	struct lease_req r = req(IPPROTO_TCP, 1000, "192.168.77.10", 1000, OWNER_PCP);
	assert_int_equal(lease_add(&r, NULL), 0);
	r.ext_port = 1001;
	assert_int_equal(lease_add(&r, NULL), 0);
	r.ext_port = 1002;
	assert_int_equal(lease_add(&r, NULL), -EDQUOT);
	r.owner = OWNER_STATIC;	/* the admin is not held to the per-host quota */
	assert_int_equal(lease_add(&r, NULL), 0);
	struct lease_req o = req(IPPROTO_TCP, 2000, "192.168.77.20", 2000, OWNER_UPNP);
	assert_int_equal(lease_add(&o, NULL), 0);
	o.ext_port = 2001;
	assert_int_equal(lease_add(&o, NULL), 0);
	o = req(IPPROTO_TCP, 3000, "192.168.77.30", 3000, OWNER_UPNP);
	assert_int_equal(lease_add(&o, NULL), -ENOSPC);
}

/* .10 and .11 are one host (one link-layer address), and .12 once its
 * neighbour entry is there; .99 is nobody's. */
static bool known_12;

static int
fake_host_key(struct in_addr a, uint64_t *key)
{
	if (a.s_addr == ip("192.168.77.10").s_addr || a.s_addr == ip("192.168.77.11").s_addr ||
	    (known_12 && a.s_addr == ip("192.168.77.12").s_addr))
		*key = 0x020000000010ull;
	else if (a.s_addr == ip("192.168.77.20").s_addr)
		*key = 0x020000000020ull;
	else
		return 0;
	return 1;
}

/* An alias does not give a host a second quota, nor does asking for an
 * address nobody has (a third party's request); another host has its own. */
static void
quota_counts_hosts_not_addresses(void **state)
{
	(void)state;
	lease_fini();
	lease_init(&recorder, &(struct lease_limits){ .max_per_host = 2, .host_key = fake_host_key });
	struct lease_req r = req(IPPROTO_TCP, 1000, "192.168.77.10", 1000, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), 0);
	r = req(IPPROTO_TCP, 1001, "192.168.77.11", 1001, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), 0);
	r.ext_port = 1002;
	assert_int_equal(lease_add(&r, NULL), -EDQUOT);		/* the alias */
	r = req(IPPROTO_TCP, 1003, "192.168.77.99", 1003, OWNER_PCP);
	r.requester = ip("192.168.77.10");
	assert_int_equal(lease_add(&r, NULL), -EDQUOT);		/* for nobody's address */
	r = req(IPPROTO_TCP, 2000, "192.168.77.99", 2000, OWNER_PCP);
	r.requester = ip("192.168.77.20");
	assert_int_equal(lease_add(&r, NULL), 0);		/* another host's quota */
	r = req(IPPROTO_TCP, 2001, "192.168.77.20", 2001, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), 0);
	r.ext_port = 2002;
	assert_int_equal(lease_add(&r, NULL), -EDQUOT);	/* .99's lease was charged to .20 */
	/* a freed slot is the host's again, whichever address frees it */
	lease_remove(lease_find(IPPROTO_TCP, 1000), LEASE_REMOVED);
	r = req(IPPROTO_TCP, 1004, "192.168.77.11", 1004, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), 0);
	assert_int_equal(lease_count_host(ip("192.168.77.11")), 2);
	assert_int_equal(lease_flush(-1), 4);

	/* .12 asks before the neighbour table knows it: counted alone, then
	 * moved into its host's group, leases and all, once known. */
	known_12 = false;
	r = req(IPPROTO_TCP, 3000, "192.168.77.12", 3000, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), 0);
	r.ext_port = 3001;
	assert_int_equal(lease_add(&r, NULL), 0);
	r = req(IPPROTO_TCP, 3002, "192.168.77.10", 3002, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), 0);
	known_12 = true;
	r = req(IPPROTO_TCP, 3003, "192.168.77.12", 3003, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), -EDQUOT);	/* 3 of the host's 2 already */
	r = req(IPPROTO_TCP, 3004, "192.168.77.10", 3004, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), -EDQUOT);
	lease_remove(lease_find(IPPROTO_TCP, 3000), LEASE_REMOVED);
	lease_remove(lease_find(IPPROTO_TCP, 3001), LEASE_REMOVED);
	assert_int_equal(lease_add(&r, NULL), 0);	/* the host is at 2 again */
	assert_int_equal(lease_flush(-1), 2);
}

static void
free_port_search(void **state)
{
	(void)state;
	struct lease_req r = req(IPPROTO_UDP, 5349, "192.168.77.10", 1, OWNER_NATPMP);
	assert_int_equal(lease_add(&r, NULL), 0);
	/* 5350 and 5351 are NAT-PMP/PCP's own and never handed out for UDP. */
	assert_int_equal(lease_free_port(IPPROTO_UDP, 5349), 5352);
	assert_int_equal(lease_free_port(IPPROTO_UDP, 5350), 5352);
	assert_int_equal(lease_free_port(IPPROTO_TCP, 5350), 5350);
	assert_int_equal(lease_free_port(IPPROTO_TCP, 0), 1024);
	r.ext_port = 65535;
	assert_int_equal(lease_add(&r, NULL), 0);
	assert_int_equal(lease_free_port(IPPROTO_UDP, 65535), 1024);	/* wraps */
}

/* Every port but those the gateway itself uses (guard.h: udp 5350, 5351, 1900
 * and whatever this machine listens on), which are refused, not handed out. */
static void
holds_every_port_of_both_protocols(void **state)
{
	size_t own = 0;

	(void)state;
	for (uint32_t p = 1; p <= 65535; p++) {
		for (int i = 0; i < 2; i++) {
			uint8_t proto = i ? IPPROTO_UDP : IPPROTO_TCP;
			struct lease_req r = req(proto, (uint16_t)p, "192.168.77.10", (uint16_t)p,
			    OWNER_STATIC);
			bool gateways = guard_ext_port(proto, (uint16_t)p, lease_external()) < 0;
			assert_int_equal(lease_add(&r, NULL), gateways ? -EADDRINUSE : 0);
			own += gateways;
		}
	}
	assert_in_range(own, 3, 1000);
	assert_int_equal(lease_count(), 131070 - own);
	uint16_t left = lease_free_port(IPPROTO_TCP, 80);
	assert_true(left == 0 || guard_ext_port(IPPROTO_TCP, left, lease_external()) < 0);
	assert_non_null(lease_find(IPPROTO_UDP, 65535));
	/* dense indices stay contiguous while leases go */
	lease_remove(lease_find(IPPROTO_TCP, 65535), LEASE_REMOVED);
	assert_int_equal(lease_count(), 131069 - own);
	for (size_t i = 0; i < lease_count(); i++)
		assert_int_equal(lease_at(i)->dense_idx, i);
	assert_null(lease_at(lease_count()));
	assert_int_equal(lease_flush(-1), 131069 - own);
}

static int events_seen[4];

static void
count_event(enum lease_event ev, const struct lease *l, void *arg)
{
	(void)l;
	(void)arg;
	events_seen[ev]++;
}

static void
quit_timer(struct ev_timer *t)
{
	(void)t;
	ev_quit();
}

static void
expiry_removes_and_tells(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 4000, "192.168.77.10", 4000, OWNER_UPNP);
	struct ev_timer stop;
	struct lease *l;

	(void)state;
	memset(events_seen, 0, sizeof(events_seen));
	lease_listen(count_event, NULL);
	r.lifetime = 1;
	assert_int_equal(lease_add(&r, &l), 0);
	assert_in_range(lease_seconds_left(l), 1, 1);
	r.ext_port = 4001;
	r.lifetime = 0;	/* permanent: never expires */
	assert_int_equal(lease_add(&r, NULL), 0);
	ev_timer_init(&stop, quit_timer);
	ev_timer_in(&stop, 1300);
	assert_int_equal(ev_run(), 0);
	assert_null(lease_find(IPPROTO_TCP, 4000));
	assert_non_null(lease_find(IPPROTO_TCP, 4001));
	assert_int_equal(events_seen[LEASE_ADDED], 2);
	assert_int_equal(events_seen[LEASE_EXPIRED], 1);
	assert_int_equal(dels, 1);
}

static void
renew_moves_expiry(void **state)
{
	struct lease_req r = req(IPPROTO_UDP, 4500, "192.168.77.10", 4500, OWNER_NATPMP);
	struct lease *l;

	(void)state;
	r.lifetime = 10;
	assert_int_equal(lease_add(&r, &l), 0);
	assert_int_equal(lease_seconds_left(l), 10);
	lease_renew(l, 3600);
	assert_int_equal(lease_seconds_left(l), 3600);
	lease_renew(l, 0);
	assert_true(lease_permanent(l));
}

static void
description_control_characters_replaced(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 25, "192.168.77.10", 25, OWNER_UPNP);
	struct lease *l;

	(void)state;
	r.desc = "smtp\nmapping added: forged\r\x1b[31m";
	assert_int_equal(lease_add(&r, &l), 0);
	assert_string_equal(l->desc, "smtp?mapping added: forged??[31m");
}

/* A description is cut at a character boundary, never inside one, and what
 * is not valid UTF-8 (that XML and JSON would reject) becomes '?'. */
static void
description_cut_between_characters(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 25, "192.168.77.10", 25, OWNER_UPNP);
	char text[100] = "", want[LEASE_DESC_MAX] = "";
	struct lease *l;

	(void)state;
	/* 31 two-byte characters (62 bytes), then a three-byte one that does not fit. */
	for (int i = 0; i < 31; i++)
		strcat(text, "\xc3\xa9");
	strcpy(want, text);
	strcat(text, "\xe2\x82\xac and more");
	r.desc = text;
	assert_int_equal(lease_add(&r, &l), 0);
	assert_string_equal(l->desc, want);
	assert_int_equal(strlen(l->desc), 62);
	/* a stray continuation byte, an overlong '/', a surrogate, a cut character, U+FFFF */
	r.desc = "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82" "e\xef\xbf\xbf\xf0\x9f\x98\x80";
	assert_int_equal(lease_add(&r, &l), 0);
	assert_string_equal(l->desc, "a?b??c???d??e???\xf0\x9f\x98\x80");
}

/* Leases with the same text share one copy; an update swaps it; long texts
 * are cut to LEASE_DESC_MAX - 1 bytes. Thousands of distinct texts all stay
 * readable while the pool grows (and ASan finds any copy left behind). */
static void
descriptions_are_shared_and_bounded(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 2000, "192.168.77.10", 2000, OWNER_UPNP);
	struct lease *a, *b;
	char text[200], want[LEASE_DESC_MAX];

	(void)state;
	assert_int_equal(lease_add(&r, &a), 0);
	r.ext_port = r.int_port = 2001;
	assert_int_equal(lease_add(&r, &b), 0);
	assert_ptr_equal(a->desc, b->desc);
	r.desc = "renamed";
	assert_int_equal(lease_add(&r, &b), 0);
	assert_string_equal(b->desc, "renamed");
	assert_string_equal(a->desc, "test");
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	r.desc = text;
	assert_int_equal(lease_add(&r, &b), 0);
	memset(want, 'x', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	assert_string_equal(b->desc, want);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "app %u", i);
		r.ext_port = r.int_port = (uint16_t)(3000 + i);
		r.desc = text;
		assert_int_equal(lease_add(&r, NULL), 0);
	}
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "app %u", i);
		assert_string_equal(lease_find(IPPROTO_TCP, (uint16_t)(3000 + i))->desc, text);
	}
}

/* One pass over the kernel's counters lands each on its lease's index. */
static void
traffic_in_lease_order(void **state)
{
	struct lease_req r = req(IPPROTO_TCP, 2000, "192.168.77.10", 2000, OWNER_UPNP);
	struct lease_traffic *t;

	(void)state;
	assert_int_equal(lease_add(&r, NULL), 0);
	r.ext_port = 2001;
	assert_int_equal(lease_add(&r, NULL), 0);
	assert_non_null(t = lease_traffic());
	for (size_t i = 0; i < lease_count(); i++) {
		bool counted = lease_at(i)->ext_port == 2001;
		assert_int_equal(t[i].packets, counted ? 3 : 0);
		assert_int_equal(t[i].bytes, counted ? 300 : 0);
	}
	free(t);
}

static void
rejects_bad_requests(void **state)
{
	struct lease_req r = req(IPPROTO_ICMP, 1, "192.168.77.10", 1, OWNER_UPNP);

	(void)state;
	assert_int_equal(lease_add(&r, NULL), -EINVAL);
	r = req(IPPROTO_TCP, 0, "192.168.77.10", 1, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), -EINVAL);
	r = req(IPPROTO_TCP, 1, "192.168.77.10", 0, OWNER_UPNP);
	assert_int_equal(lease_add(&r, NULL), -EINVAL);
}

/* A batch reaches the backend at its end; an add refused there takes back
 * that lease alone, and only while it is still the mapping that was sent. */
static void
batch_refusal_drops_only_that_lease(void **state)
{
	struct lease_req r1 = req(IPPROTO_TCP, 2001, "192.168.77.10", 2001, OWNER_NATPMP);
	struct lease_req r2 = req(IPPROTO_TCP, 2002, "192.168.77.10", 2002, OWNER_NATPMP);
	struct lease_req r3 = req(IPPROTO_TCP, 2003, "192.168.77.11", 2003, OWNER_NATPMP);
	struct lease_req r4 = req(IPPROTO_UDP, 2004, "192.168.77.10", 2004, OWNER_NATPMP);

	(void)state;
	lease_fini();
	lease_init(&batcher, &(struct lease_limits){ 0 });
	queued = sent = 0;
	refuse_port = 2002;
	lease_batch_begin();
	assert_int_equal(lease_add(&r1, NULL), 0);
	assert_int_equal(lease_add(&r2, NULL), 0);
	assert_int_equal(lease_add(&r3, NULL), 0);
	assert_int_equal(queued, 3);
	assert_int_equal(sent, 0);		/* nothing before the end */
	assert_int_equal(lease_count(), 3);
	assert_int_equal(lease_batch_end(), 1);
	assert_int_equal(sent, 3);
	assert_int_equal(lease_count(), 2);
	assert_null(lease_find(IPPROTO_TCP, 2002));
	assert_non_null(lease_find(IPPROTO_TCP, 2001));
	assert_non_null(lease_find(IPPROTO_TCP, 2003));
	assert_int_equal(lease_count_host(ip("192.168.77.10")), 1);
	/* The control: the same mapping changed within the batch (another internal
	 * port) is not the one refused, and stays. */
	lease_batch_begin();
	assert_int_equal(lease_add(&r2, NULL), 0);
	r2.int_port = 2222;
	assert_int_equal(lease_add(&r2, NULL), 0);
	assert_int_equal(lease_batch_end(), 0);
	assert_int_equal(lease_find(IPPROTO_TCP, 2002)->int_port, 2222);
	/* Outside a batch every change goes at once, as before. */
	adds = 0;
	assert_int_equal(lease_add(&r4, NULL), 0);
	assert_int_equal(adds, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_find_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(other_host_refused_same_host_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(static_not_replaced_by_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(backend_failure_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_lease_stays_out_of_the_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(quota_and_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(free_port_search, setup, teardown),
		cmocka_unit_test_setup_teardown(holds_every_port_of_both_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry_removes_and_tells, setup, teardown),
		cmocka_unit_test_setup_teardown(renew_moves_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(description_control_characters_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(quota_counts_hosts_not_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(description_cut_between_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(descriptions_are_shared_and_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(traffic_in_lease_order, setup, teardown),
		cmocka_unit_test_setup_teardown(batch_refusal_drops_only_that_lease, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
