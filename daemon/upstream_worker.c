/*
 * upstream_worker: see upstream_worker.h. The queue (a FIFO of nodes, and
 * an index by port for coalescing) is the only state both threads touch,
 * under one mutex. The worker alone owns the libporthole handle and the
 * table of mappings made upstream; the loop alone reads the pipe.
 */
#include "upstream_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PORTS	65536

struct job {
	struct job	*next;
	uint8_t		 proto;
	uint16_t	 port;
	uint32_t	 lifetime;
	char		 desc[UPW_DESC_MAX];
};

/* A mapping made upstream, with what it was asked for (to restore it). */
struct made {
	struct porthole_mapping	 m;
	uint32_t		 lifetime;
	char			 desc[UPW_DESC_MAX];
};

static struct {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	bool			 running;
	bool			 check_now;	/* an announcement came: check before waiting */
	unsigned		 check_ms;
	struct in_addr		 gw;		/* set before the thread starts */
	struct job		*head, *tail;
	struct job		**queued;	/* [2 * PORTS]: the node waiting for this port */
	size_t			 n_queued;
	int			 pipe_r, pipe_w;
	/* worker thread only */
	struct porthole		*ph;
	struct made		**made;		/* [2 * PORTS] */
	size_t			 n_made;
	struct in_addr		 ext;
} w = { .pipe_r = -1, .pipe_w = -1 };

static size_t
slot(uint8_t proto, uint16_t port)
{
	return (proto == IPPROTO_UDP ? PORTS : 0) + port;
}

/* ---- the loop's side ---- */

int
upw_want(uint8_t proto, uint16_t port, uint32_t lifetime, const char *desc)
{
	struct job *j;

	pthread_mutex_lock(&w.mu);
	j = w.queued[slot(proto, port)];
	if (!j) {
		if (!(j = calloc(1, sizeof(*j)))) {
			pthread_mutex_unlock(&w.mu);
			return -ENOMEM;
		}
		j->proto = proto;
		j->port = port;
		w.queued[slot(proto, port)] = j;
		if (w.tail)
			w.tail->next = j;
		else
			w.head = j;
		w.tail = j;
		w.n_queued++;
		pthread_cond_signal(&w.cv);
	}
	j->lifetime = lifetime;		/* the newest wish wins */
	snprintf(j->desc, sizeof(j->desc), "%s", desc ? desc : "portholed");
	pthread_mutex_unlock(&w.mu);
	return 0;
}

void
upw_check_now(void)
{
	pthread_mutex_lock(&w.mu);
	w.check_now = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
}

struct in_addr
upw_gateway(void)
{
	return w.gw;
}

size_t
upw_queued(void)
{
	size_t n;

	pthread_mutex_lock(&w.mu);
	n = w.n_queued;
	pthread_mutex_unlock(&w.mu);
	return n;
}

/* ---- the worker's side ---- */

static void
report(struct upw_result *r)
{
	/* Records are far below PIPE_BUF, so each write is whole; a full pipe
	 * waits for the loop to read, which it always does. */
	while (write(w.pipe_w, r, sizeof(*r)) < 0 && errno == EINTR)
		;
}

static void
report_error(enum upw_kind kind, uint8_t proto, uint16_t port, int err)
{
	struct upw_result r = { .kind = kind, .proto = proto, .port = port, .err = err };

	snprintf(r.why, sizeof(r.why), "%s", porthole_last_error(w.ph));
	report(&r);
}

static void
report_mapped(const struct made *mk)
{
	struct upw_result r = {
		.kind = UPW_MAPPED, .proto = mk->m.proto, .port = mk->m.internal_port,
		.lifetime = mk->m.lifetime, .ext = mk->m.external_addr, .method = mk->m.method,
	};

	report(&r);
}

static void
do_unmap(uint8_t proto, uint16_t port)
{
	struct made *mk = w.made[slot(proto, port)];
	int rc;

	if (!mk)
		return;
	rc = porthole_unmap(w.ph, &mk->m);
	w.made[slot(proto, port)] = NULL;
	w.n_made--;
	free(mk);
	if (rc == 0) {
		struct upw_result r = { .kind = UPW_UNMAPPED, .proto = proto, .port = port };
		report(&r);
	} else {
		report_error(UPW_UNMAPPED, proto, port, rc);
	}
}

static void
do_map(const struct job *j)
{
	struct made *mk = w.made[slot(j->proto, j->port)];
	bool fresh = !mk;
	int rc;

	if (fresh && !(mk = calloc(1, sizeof(*mk)))) {
		report_error(UPW_REFUSED, j->proto, j->port, PORTHOLE_ERR_SYSTEM);
		return;
	}
	mk->lifetime = j->lifetime;
	snprintf(mk->desc, sizeof(mk->desc), "%s", j->desc);
	porthole_set_request(w.ph, j->lifetime, j->desc);
	if (fresh) {
		/* No port name: PCP's DESCRIPTION (and UPnP's) is then the lease's own. */
		struct porthole_port p = { .proto = j->proto, .port = j->port, .enabled = true };
		rc = porthole_map(w.ph, &p, &mk->m);
	} else {
		rc = porthole_renew(w.ph, &mk->m);
	}
	if (rc != 0) {
		if (!fresh) {
			w.made[slot(j->proto, j->port)] = NULL;
			w.n_made--;
		}
		free(mk);
		report_error(UPW_REFUSED, j->proto, j->port, rc);
		return;
	}
	if (fresh) {
		w.made[slot(j->proto, j->port)] = mk;
		w.n_made++;
	}
	report_mapped(mk);
}

/* Renew the mapping in slot i as itself; if refused, forget it and say so. */
static void
renew_slot(size_t i)
{
	struct made *mk = w.made[i];
	int rc;

	porthole_set_request(w.ph, mk->lifetime, mk->desc);
	if ((rc = porthole_renew(w.ph, &mk->m)) == 0) {
		report_mapped(mk);
		return;
	}
	w.made[i] = NULL;
	w.n_made--;
	report_error(UPW_REFUSED, mk->m.proto, mk->m.internal_port, rc);
	free(mk);
}

/*
 * Map everything again: the gateway's epoch went back. It may have
 * restarted and forgotten the mappings, or only changed its external
 * address (it resets its epoch then too) and kept them. Each mapping is
 * asked for again as the same one (PCP: the same nonce, RFC 6887 §11.1),
 * which remakes a forgotten mapping and refreshes a kept one; a new nonce
 * would be refused as another client's (NOT_AUTHORIZED) wherever it was kept.
 */
static void
restore_all(void)
{
	struct upw_result r = { .kind = UPW_RESTARTED };

	report(&r);
	for (size_t i = 0; i < 2 * PORTS; i++)
		if (w.made[i])
			renew_slot(i);
}

/* Keep what the loop still wants alive: renew at half the granted lifetime. */
static void
renew_due(void)
{
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; i < 2 * PORTS; i++)
		if (w.made[i] && w.made[i]->m.obtained + w.made[i]->m.lifetime / 2 <= now)
			renew_slot(i);
}

/* Every UPW_CHECK_MS: the gateway's address, and whether it still knows us. */
static void
check_gateway(void)
{
	struct in_addr ext;
	int rc = porthole_external_address(w.ph, &ext);

	if (rc != 0 || ext.s_addr != w.ext.s_addr) {
		struct upw_result r = {
			.kind = UPW_ADDRESS, .err = rc, .ext = ext, .method = porthole_method_used(w.ph),
		};
		if (rc)
			snprintf(r.why, sizeof(r.why), "%s", porthole_last_error(w.ph));
		if (rc == 0 || w.ext.s_addr)
			report(&r);
		w.ext = rc == 0 ? ext : (struct in_addr){ 0 };
	}
	if (rc != 0 || !w.n_made)
		return;
	for (size_t i = 0; i < 2 * PORTS; i++) {
		if (!w.made[i])
			continue;
		rc = porthole_query(w.ph, &w.made[i]->m);
		if (rc == PORTHOLE_ERR_LOST || rc == PORTHOLE_ERR_NOTMAPPED)
			restore_all();
		return;			/* one mapping tells for all */
	}
}

static struct job *
next_job(void)
{
	struct job *j = w.head;

	if (!j)
		return NULL;
	w.head = j->next;
	if (!w.head)
		w.tail = NULL;
	w.queued[slot(j->proto, j->port)] = NULL;
	w.n_queued--;
	return j;
}

static void *
worker(void *arg)
{
	struct timespec due;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&w.mu);
	while (w.running) {
		struct job *j = next_job();
		if (j) {
			pthread_mutex_unlock(&w.mu);
			if (j->lifetime)
				do_map(j);
			else
				do_unmap(j->proto, j->port);
			free(j);
			pthread_mutex_lock(&w.mu);
			continue;
		}
		if (!w.check_now && pthread_cond_timedwait(&w.cv, &w.mu, &due) != ETIMEDOUT)
			continue;
		w.check_now = false;
		pthread_mutex_unlock(&w.mu);
		check_gateway();
		renew_due();
		clock_gettime(CLOCK_MONOTONIC, &due);
		due.tv_sec += w.check_ms / 1000;
		due.tv_nsec += (long)(w.check_ms % 1000) * 1000000;
		if (due.tv_nsec >= 1000000000) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&w.mu);
	}
	pthread_mutex_unlock(&w.mu);
	return NULL;
}

int
upw_start(enum porthole_method method, int *fd)
{
	struct porthole_opts o;
	pthread_condattr_t ca;
	const char *t = getenv("PORTHOLED_UPSTREAM_CHECK_MS");
	int p[2], rc;

	porthole_opts_init(&o);
	o.method = method;
	o.timeout_ms = 1000;
	if ((rc = porthole_open(&w.ph, &o)) != 0)
		return rc == PORTHOLE_ERR_NOGATEWAY ? -ENETUNREACH : -ENOMEM;
	w.gw = porthole_gateway(w.ph);
	w.check_ms = t && atoi(t) >= 100 ? (unsigned)atoi(t) : UPW_CHECK_MS;
	w.check_now = false;
	w.queued = calloc(2 * PORTS, sizeof(*w.queued));
	w.made = calloc(2 * PORTS, sizeof(*w.made));
	if (!w.queued || !w.made || pipe2(p, O_CLOEXEC) < 0) {
		upw_stop();
		return -ENOMEM;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	w.pipe_r = p[0];
	w.pipe_w = p[1];
	pthread_mutex_init(&w.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cv, &ca);
	pthread_condattr_destroy(&ca);
	w.running = true;
	if ((rc = pthread_create(&w.thread, NULL, worker, NULL)) != 0) {
		w.running = false;
		upw_stop();
		return -rc;
	}
	*fd = w.pipe_r;
	return 0;
}

void
upw_stop(void)
{
	if (w.running) {
		pthread_mutex_lock(&w.mu);
		w.running = false;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(w.thread, NULL);
	}
	for (struct job *j; w.queued && (j = next_job());)
		free(j);
	if (w.made)
		for (size_t i = 0; i < 2 * PORTS; i++)
			free(w.made[i]);
	free(w.made);
	free(w.queued);
	w.made = NULL;
	w.queued = NULL;
	w.n_made = 0;
	w.ext.s_addr = 0;	/* a new start reports the address afresh */
	if (w.ph)
		porthole_close(w.ph);
	w.ph = NULL;
	if (w.pipe_r >= 0)
		close(w.pipe_r);
	if (w.pipe_w >= 0)
		close(w.pipe_w);
	w.pipe_r = w.pipe_w = -1;
}
