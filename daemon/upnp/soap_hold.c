/*
 * soap_hold: SOAP answers held until the gateway in front answers, or
 * until the neighbour table knows an address (below).
 * Behind another NAT an AddPortMapping's answer depends on the gateway in
 * front (upstream.h), which the upstream worker asks without the event
 * loop waiting. The connection is suspended meanwhile (libmicrohttpd's
 * MHD_suspend_connection, so it costs no poll and does not time out) and
 * resumed when upstream.c says (proto, port) was answered, or when
 * SOAP_HOLD_MS have passed since it was first held; libmicrohttpd then
 * calls the handler again and the action is dispatched again, finding the
 * answer (or, with the wait over, answering 501 without one). Bounded by
 * libmicrohttpd's connection limits: a held connection still counts.
 *
 * The same parking serves an action from a caller on IPv6 that asks the
 * neighbour table about an address it is still resolving (soap_neigh):
 * UPnP clients do not retry, so the action is dispatched again every
 * NEIGH_STEP_MS until the table knows, and once NEIGH_HOLD_MS have passed
 * since it was first held it decides with what the table says then. The
 * event loop goes on serving everyone else meanwhile. The two waits are
 * apart: an action may wait for the table, then for the gateway in front.
 */
#include <stddef.h>

#include <microhttpd.h>

#include "neigh.h"
#include "upnp.h"
#include "upstream.h"

static struct soap_hold *holds;

static void
release(struct soap_hold *h)
{
	struct soap_hold **pp = &holds;

	while (*pp && *pp != h)
		pp = &(*pp)->next;
	if (*pp)
		*pp = h->next;
	h->next = NULL;
	ev_timer_cancel(&h->timer);
	if (h->held) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(h->conn, MHD_CONNECTION_INFO_DAEMON);
		h->held = false;
		MHD_resume_connection(h->conn);
		if (ci)
			MHD_run(ci->daemon);
	}
}

static void
wait_over(struct ev_timer *t)
{
	struct soap_hold *h = (struct soap_hold *)(void *)t;	/* timer is first */

	if (h->for_neigh)	/* a step; the last one once the deadline is here */
		h->neigh_over = (uint64_t)mono_ms() >= h->neigh_deadline_ms;
	else
		h->over = true;
	release(h);
}

static void
park(struct soap_hold *h, struct MHD_Connection *c, uint64_t wake_ms)
{
	h->conn = c;
	h->held = true;
	h->next = holds;
	holds = h;
	ev_timer_init(&h->timer, wait_over);
	ev_timer_at(&h->timer, wake_ms);
	MHD_suspend_connection(c);
}

void
soap_hold(struct soap_hold *h, struct MHD_Connection *c, uint8_t proto, uint16_t port)
{
	if (!h->deadline_ms)
		h->deadline_ms = (uint64_t)mono_ms() + SOAP_HOLD_MS;
	h->proto = proto;
	h->port = port;
	h->for_neigh = false;
	park(h, c, h->deadline_ms);
}

void
soap_hold_neigh(struct soap_hold *h, struct MHD_Connection *c)
{
	uint64_t now = (uint64_t)mono_ms(), next = now + NEIGH_STEP_MS;

	if (!h->neigh_deadline_ms)
		h->neigh_deadline_ms = now + NEIGH_HOLD_MS;
	h->for_neigh = true;
	park(h, c, next < h->neigh_deadline_ms ? next : h->neigh_deadline_ms);
}

bool
soap_hold_was_held(const struct soap_hold *h)
{
	return h->deadline_ms || h->neigh_deadline_ms;
}

enum neigh_verdict
soap_neigh(const struct in6_addr *requester, const struct in6_addr *other, struct soap_wait *w)
{
	enum neigh_verdict v = neigh_compare(requester, other);

	if (v != NEIGH_UNKNOWN)
		return v;
	if (!w || !w->may_wait_neigh)
		return NEIGH_OTHER;	/* never trust an address the table does not know */
	w->neigh = true;
	return NEIGH_UNKNOWN;
}

/* upstream.c: the gateway in front answered for (proto, port). */
static void
answered(uint8_t proto, uint16_t port)
{
	struct soap_hold *h = holds, *next;

	for (; h; h = next) {
		next = h->next;
		if (!h->for_neigh && h->proto == proto && h->port == port)
			release(h);
	}
}

void
soap_hold_forget(struct soap_hold *h)
{
	h->held = false;	/* MHD is closing it: nothing to resume */
	release(h);
}

void
soap_hold_release_all(void)
{
	while (holds) {
		holds->over = holds->neigh_over = true;
		release(holds);
	}
}

void
soap_hold_init(void)
{
	static bool listening;

	/* There is no unregister: with no holds the callback does nothing. */
	if (!listening && upstream_listen(answered) == 0)
		listening = true;
}
