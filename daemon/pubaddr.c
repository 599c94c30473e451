/*
 * pubaddr: see pubaddr.h.
 */
#include "pubaddr.h"

#include <stdio.h>
#include <string.h>

#include "lease.h"
#include "netif.h"
#include "stun.h"

static void
text(struct in_addr a, char out[INET_ADDRSTRLEN])
{
	if (a.s_addr)
		inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
	else
		strcpy(out, "none");
}

void
pubaddr_describe(struct pubaddr *p)
{
	const struct stun_state *st = stun_state();
	struct in_addr wan = lease_wan();

	text(wan, p->wan);
	text(lease_public(), p->public_);
	text(lease_external(), p->external);
	p->behind_nat = wan.s_addr && netif_is_private(wan);
	upstream_state(&p->up);
	if (!lease_public().s_addr)
		strcpy(p->source, "none");
	else if (p->up.active && p->up.ext.s_addr == lease_public().s_addr)
		snprintf(p->source, sizeof(p->source), "upstream:%s", p->up.method);
	else if (st->enabled && st->mapped.s_addr == lease_public().s_addr)
		snprintf(p->source, sizeof(p->source), "stun:%s", st->server);
	else
		strcpy(p->source, "none");
}
