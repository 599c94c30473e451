/*
 * pending: NAT-PMP and PCP requests waiting for the gateway in front.
 * A request whose mapping upstream has not answered yet gets no reply;
 * it is kept here and served again, as if it had just arrived, when the
 * answer comes. Clients retransmit anyway (RFC 6886 §3.1, RFC 6887
 * §8.1.1), so a lost or expired entry costs only a later reply; the same
 * client's retransmission replaces its entry. Bounded: PENDING_MAX
 * requests of at most PCP_MAX_MSG bytes, kept PENDING_TTL_MS at most.
 */
#include <netinet/in.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "pcp_int.h"

#define PENDING_MAX	64
#define PENDING_TTL_MS	10000

struct pending {
	bool			 used;
	int			 fd;
	const struct gw_lan	*lan;
	struct sockaddr_in	 from;
	unsigned		 ifindex;
	uint8_t			 proto;
	uint16_t		 port;
	uint64_t		 expires_ms;
	size_t			 len;
	uint8_t			 b[PCP_MAX_MSG];
};

static struct pending table[PENDING_MAX];

static bool
same_client(const struct pending *p, const struct sockaddr_in *from)
{
	return p->from.sin_addr.s_addr == from->sin_addr.s_addr &&
	    p->from.sin_port == from->sin_port;
}

void
pending_add(int fd, const struct gw_lan *lan, const uint8_t *b, size_t len,
    const struct sockaddr_in *from, unsigned ifindex, const struct pcp_wait *w)
{
	uint64_t now = (uint64_t)mono_ms();
	struct pending *slot = NULL;

	if (len > PCP_MAX_MSG)
		return;
	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &table[i];
		if (p->used && p->expires_ms <= now)
			p->used = false;
		if (p->used && same_client(p, from) && p->len == len && !memcmp(p->b, b, len)) {
			slot = p;		/* a retransmission */
			break;
		}
		if (!p->used && !slot)
			slot = p;
	}
	if (!slot)
		return;			/* full: the client's next retransmission tries again */
	*slot = (struct pending){
		.used = true, .fd = fd, .lan = lan, .from = *from, .ifindex = ifindex,
		.proto = w->proto, .port = w->port, .expires_ms = now + PENDING_TTL_MS, .len = len,
	};
	memcpy(slot->b, b, len);
}

void
pending_replay(uint8_t proto, uint16_t port, pending_serve_fn serve)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct pending p = table[i];
		if (!p.used || p.proto != proto || p.port != port)
			continue;
		table[i].used = false;	/* serve may put it back, still waiting */
		serve(p.fd, p.lan, p.b, p.len, &p.from, p.ifindex);
	}
}

void
pending_reset(void)
{
	memset(table, 0, sizeof(table));
}
