/*
 * stun: learns the public address of a gateway behind another NAT with a
 * STUN Binding request (RFC 5389) to the configured server, and hands it
 * to the lease table (lease_set_public), which tells clients that address
 * while the WAN address is private or shared. Asked at start, again every
 * STUN_REFRESH_S seconds, with retransmissions per RFC 5389 §7.2.1; the
 * last confirmed address is kept when the server stops answering (a stale
 * public address is still better for clients than a private one).
 * Non-blocking: one UDP socket in the event loop.
 */
#ifndef PORTHOLE_STUN_H
#define PORTHOLE_STUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define STUN_REFRESH_S	30	/* between rounds once answered */
#define STUN_RETRY_S	15	/* after a round nobody answered */

struct stun_state {
	bool		 enabled;
	char		 server[64];	/* "A.B.C.D:PORT" as resolved */
	struct in_addr	 mapped;	/* last answer; 0 = none yet */
	uint64_t	 answered_ms;	/* monotonic time of the last answer; 0 = never */
	unsigned	 rounds_failed;	/* consecutive rounds without an answer */
};

/* spec: "host[:port]" (config's stun_server). 0, or -errno (logged). */
int	stun_init(const char *spec);
void	stun_fini(void);
/* Start a round now (e.g. after the WAN address changed). */
void	stun_refresh(void);
const struct stun_state *stun_state(void);

#endif
