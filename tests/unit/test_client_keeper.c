/*
 * The keeper's schedule over real sockets, without root: a small PCP and
 * NAT-PMP responder on 127.0.0.1:5351 (a thread of this test) plays the
 * gateway. Checked: mapped at start, renewed at half a 2-second lifetime,
 * mapped again when the gateway's epoch goes back (a restart), and the
 * mapping given back on a clean stop. Skipped when 5351 is taken. And
 * a whole profile against a gateway that answers nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "phc.h"

struct responder {
	int		fd;
	atomic_int	maps;		/* MAP requests with a lifetime */
	atomic_int	deletes;	/* MAP requests with lifetime 0 */
	atomic_int	epoch_base;	/* epoch = seconds since start + base */
	atomic_bool	stop;
	int64_t		start_ms;
	char		log[4096];
	pthread_mutex_t	log_lock;
};

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Answers in place: PCP ANNOUNCE/MAP (RFC 6887 §7.2, §11.1) or NAT-PMP op 0. */
static ssize_t
answer(struct responder *r, uint8_t *b, ssize_t n)
{
	uint32_t epoch = (uint32_t)((mono_ms() - r->start_ms) / 1000 + r->epoch_base);

	if (n == 2 && b[0] == 0 && b[1] == 0) {
		b[1] = 128;
		b[2] = b[3] = 0;
		wr32(b + 4, epoch);
		memcpy(b + 8, "\xcb\x00\x71\x01", 4);	/* 203.0.113.1 */
		return 12;
	}
	/* A MAP may carry options (libporthole sends DESCRIPTION): this server
	 * knows none, so like any PCP server it ignores the optional ones. */
	if (b[0] != 2 || (n != 24 && n < 60))
		return -1;
	b[1] |= 0x80;
	b[2] = b[3] = 0;
	wr32(b + 8, epoch);
	memset(b + 12, 0, 12);
	if (n >= 60) {
		n = 60;
		if (b[4] | b[5] | b[6] | b[7])
			r->maps++;
		else
			r->deletes++;
		memcpy(b + 42, b + 40, 2);		/* the port asked for */
		memset(b + 44, 0, 10);
		memcpy(b + 54, "\xff\xff\xcb\x00\x71\x01", 6);
	}
	return n;
}

static void *
responder_run(void *arg)
{
	struct responder *r = arg;
	struct sockaddr_in from;
	socklen_t fl;
	uint8_t buf[1100];
	ssize_t n;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

	while (!r->stop) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fl = sizeof(from);
		n = recvfrom(r->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n > 0 && (n = answer(r, buf, n)) > 0)
			sendto(r->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void
log_to(void *arg, int level, const char *msg)
{
	struct responder *r = arg;

	(void)level;
	pthread_mutex_lock(&r->log_lock);
	if (strlen(r->log) + strlen(msg) + 2 < sizeof(r->log)) {
		strcat(r->log, msg);
		strcat(r->log, "\n");
	}
	pthread_mutex_unlock(&r->log_lock);
}

/* Runs the keeper as a program's poll loop would, for ms milliseconds. */
static void
keep_for(struct porthole_keeper *k, int ms)
{
	int64_t end = mono_ms() + ms;
	int64_t left;
	int wait;

	while ((left = end - mono_ms()) > 0) {
		wait = porthole_keeper_run(k);
		poll(NULL, 0, wait < left ? wait : (int)left);
	}
}

static void
keeper_schedule(void **state)
{
	static struct responder r;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5351) };
	struct porthole_opts o;
	struct porthole_profile p;
	struct porthole_keeper *k;
	const struct porthole_mapping *m;
	struct porthole *ph;
	pthread_t t;
	size_t n;
	int maps;

	(void)state;
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.log_lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (r.fd < 0 || bind(r.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(r.fd);
		skip();
	}
	r.start_ms = mono_ms();
	r.epoch_base = 1000;
	assert_int_equal(pthread_create(&t, NULL, responder_run, &r), 0);

	porthole_opts_init(&o);
	o.family = AF_INET;	/* IPv4 only, whatever IPv6 this machine has */
	o.gateway = "127.0.0.1";
	o.method = PORTHOLE_PCP;
	o.lifetime = 2;
	o.timeout_ms = 500;
	o.log = log_to;
	o.log_arg = &r;
	assert_int_equal(porthole_open(&ph, &o), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(porthole_profile_add(&p, "tcp/2525", "smtp-alt"), 0);
	assert_int_equal(porthole_keeper_new(ph, &p, NULL, 1, &k), 0);

	/* At start: one MAP, granted for 2 s. */
	keep_for(k, 300);
	assert_int_equal(r.maps, 1);
	m = porthole_keeper_mappings(k, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m->external_port, 2525);
	assert_int_equal(m->external_addr.s_addr, htonl(0xcb007101));
	assert_int_equal(m->lifetime, 2);
	assert_non_null(strstr(r.log, "mapped tcp/2525 (smtp-alt) -> 203.0.113.1:2525 via pcp"));

	/* Renewed at half the lifetime: about one MAP a second, not more. */
	keep_for(k, 2200);
	assert_in_range(r.maps, 3, 4);

	/* The gateway restarts: its epoch starts again near 0. */
	maps = r.maps;
	r.epoch_base = -(int)((mono_ms() - r.start_ms) / 1000);
	keep_for(k, 1300);
	assert_non_null(strstr(r.log, "gateway restarted"));
	assert_non_null(strstr(r.log, "mapped again tcp/2525"));
	assert_true(r.maps > maps);

	/* A clean stop gives the mapping back. */
	porthole_keeper_free(k, true);
	assert_int_equal(r.deletes, 1);
	porthole_close(ph);
	r.stop = true;
	pthread_join(t, NULL);
	close(r.fd);
}

/* Nothing listens on 127.0.0.1:5351: one entry per enabled port, each saying why. */
static void
profile_without_gateway(void **state)
{
	struct porthole_mapping m[PORTHOLE_PROFILE_MAX];
	struct porthole_profile p;
	struct porthole_opts o;
	struct porthole *ph;
	size_t n = PORTHOLE_PROFILE_MAX, i;

	(void)state;
	porthole_opts_init(&o);
	o.family = AF_INET;	/* IPv4 only, whatever IPv6 this machine has */
	o.gateway = "127.0.0.1";
	o.timeout_ms = 200;
	assert_int_equal(porthole_open(&ph, &o), 0);
	assert_int_equal(porthole_profile_builtin("mail", &p), 0);
	assert_int_equal(porthole_map_profile(ph, &p, m, &n), PORTHOLE_ERR_NOPROTO);
	assert_int_equal(n, 12);
	for (i = 0; i < n; i++) {
		assert_int_equal(m[i].error, PORTHOLE_ERR_NOPROTO);
		assert_int_equal(m[i].external_port, 0);
	}
	assert_string_equal(m[0].name, "smtp");
	assert_string_equal(m[11].name, "carddav-tls");
	assert_non_null(strstr(porthole_last_error(ph), "gateway 127.0.0.1 answers neither"));
	n = 3;		/* too little room is an error, not an overflow */
	assert_int_equal(porthole_map_profile(ph, &p, m, &n), PORTHOLE_ERR_INVAL);
	porthole_close(ph);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keeper_schedule),
		cmocka_unit_test(profile_without_gateway),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
