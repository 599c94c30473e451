/*
 * soap_hold: SOAP answers held until the gateway in front answers.
 * Behind another NAT an AddPortMapping's answer depends on the gateway in
 * front (upstream.h), which the upstream worker asks without the event
 * loop waiting. The connection is suspended meanwhile (libmicrohttpd's
 * MHD_suspend_connection, so it costs no poll and does not time out) and
 * resumed when upstream.c says (proto, port) was answered, or when
 * SOAP_HOLD_MS have passed since it was first held; libmicrohttpd then
 * calls the handler again and the action is dispatched again, finding the
 * answer (or, with the wait over, answering 501 without one). Bounded by
 * libmicrohttpd's connection limits: a held connection still counts.
 */
#include <stddef.h>

#include <microhttpd.h>

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

	h->over = true;
	release(h);
}

void
soap_hold(struct soap_hold *h, struct MHD_Connection *c, uint8_t proto, uint16_t port)
{
	if (!h->deadline_ms)
		h->deadline_ms = (uint64_t)mono_ms() + SOAP_HOLD_MS;
	h->conn = c;
	h->proto = proto;
	h->port = port;
	h->held = true;
	h->next = holds;
	holds = h;
	ev_timer_init(&h->timer, wait_over);
	ev_timer_at(&h->timer, h->deadline_ms);
	MHD_suspend_connection(c);
}

/* upstream.c: the gateway in front answered for (proto, port). */
static void
answered(uint8_t proto, uint16_t port)
{
	struct soap_hold *h = holds, *next;

	for (; h; h = next) {
		next = h->next;
		if (h->proto == proto && h->port == port)
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
		holds->over = true;
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
