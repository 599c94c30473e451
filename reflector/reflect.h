/*
 * reflect.h: `porthole reflect`, the vantage point outside the network.
 * A client POSTs the ports it wants tested; the reflector connects back to
 * the request's source address (never another), reads each service's
 * greeting briefly and answers per port. Module map:
 *   reflect.c   options, the HTTP server (libmicrohttpd), the limits
 *   srclimit.c  requests per source address per minute
 *   probe.c     the connections back, in parallel, with the greeting
 * The JSON messages are client/reflect_wire.c, shared with libporthole.
 */
#ifndef PORTHOLE_REFLECT_H
#define PORTHOLE_REFLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "phc.h"

/* reflect.c: `porthole reflect ARGS...` (argv[0] is "reflect"). */
int	reflect_main(int argc, char **argv);

/* srclimit.c: a token bucket per source (IPv4 as ::ffff:a.b.c.d, IPv6 by its /64). */
struct srclimit;
struct srclimit *srclimit_new(unsigned per_minute, size_t max_sources);
/* true when a request from addr (16 bytes) may go ahead now. Thread-safe. */
bool	srclimit_allow(struct srclimit *l, const uint8_t addr[16], int64_t now_ms);
void	srclimit_free(struct srclimit *l);

/*
 * probe.c: connects to peer (its port replaced) for each allowed port at
 * once; each gets connect_ms to connect and then greet_ms to say its first
 * line. out[i].allowed is taken from allowed[i].
 */
void	probe_ports(const struct sockaddr_storage *peer, const uint16_t *ports,
	    const bool *allowed, size_t n, int connect_ms, int greet_ms,
	    struct phc_reflect_result *out);

#endif
