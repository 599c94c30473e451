/*
 * upstream: behind another NAT, every lease this gateway grants is also
 * mapped on the gateway in front (RFC 6970's IGD-PCP interworking, RFC
 * 7648's PCP proxy), through libporthole in upstream_worker.c. This module
 * is a consumer of lease-table changes, as the backend is: it hears every
 * add, renewal and removal and forwards them; front-ends ask it how to
 * answer (upstream_answer) and hear when an answer arrives
 * (upstream_listen), so a request can wait for the gateway in front
 * without the event loop waiting.
 *
 * The upstream's external port is always the local one (libporthole gives
 * back any other and reports the port taken), so a client is told the
 * upstream address, the same port, and the shorter lifetime.
 */
#ifndef PORTHOLE_UPSTREAM_H
#define PORTHOLE_UPSTREAM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define UPSTREAM_REFUSAL_HOLD_S	10	/* a refusal is remembered this long */
#define UPSTREAM_PERMANENT_S	3600	/* asked upstream for a permanent local lease */

/* What a front-end should answer for a mapping it just made or found. */
enum upstream_verdict {
	UPSTREAM_LOCAL,		/* upstream is off: answer as usual */
	UPSTREAM_MAPPED,	/* answer with *ext and at most *lifetime */
	UPSTREAM_PENDING,	/* wait: upstream_listen's callback will say when */
	UPSTREAM_KEPT_LOCAL,	/* refused upstream, kept here (upstream_required=no) */
	UPSTREAM_DENIED,	/* refused upstream: the gateway's policy */
	UPSTREAM_TAKEN,		/* refused upstream: another host holds the port there */
	UPSTREAM_NO_RESOURCES,	/* refused upstream: no room there */
	UPSTREAM_FAILED,	/* the gateway did not answer or speaks no protocol */
};

struct upstream_state {
	bool		 active;
	const char	*mode;		/* "auto", "pcp", ... */
	const char	*method;	/* the protocol the gateway answered; "none" */
	struct in_addr	 ext;		/* the gateway's external address; 0 unknown */
	size_t		 mapped, pending, refused;
	size_t		 restarts;	/* times the gateway forgot our mappings */
};

/* Starts forwarding when cfg says so (auto: the WAN address is private or
 * shared), and decides again at every change of the WAN address: auto
 * starts or stops, and a new address starts the worker afresh. Call after
 * privileges are dropped (the worker is a thread). */
int	upstream_init(const struct config *cfg);
void	upstream_fini(void);

enum upstream_verdict upstream_answer(uint8_t proto, uint16_t port, struct in_addr *ext,
	    uint32_t *lifetime);
/* A refusal by the gateway in front still standing for (proto, port) that
 * is the client's too (upstream_required=yes): its verdict; else
 * UPSTREAM_LOCAL. Lets a front-end refuse before making a mapping. */
enum upstream_verdict upstream_refusal(uint8_t proto, uint16_t port);
/* fn(proto, port) runs in the event loop when a pending answer arrived. */
int	upstream_listen(void (*fn)(uint8_t proto, uint16_t port));
void	upstream_state(struct upstream_state *st);
const char *upstream_verdict_name(enum upstream_verdict v);

#endif
