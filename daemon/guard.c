/*
 * guard: see guard.h. A failed kernel lookup refuses the mapping for the
 * target (an address we cannot vouch for is not used) but lets the port
 * check pass with one warning: the port check protects services, the
 * target check protects the gateway itself.
 */
#include "guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hostaddr.h"
#include "log.h"
#include "sockdiag.h"

static struct guard_lan	lan[GUARD_MAX_LAN];
static int		n_lan;
static unsigned		wan_ifindex;
static bool		warned_sockdiag;

/* The last port answer. A front-end that picks a port asks, then lease_add
 * asks the same for the same request: within a millisecond, the answer is
 * reused rather than asked of the kernel twice. */
#define ANSWER_REUSE_NS	1000000
static struct {
	uint8_t		proto;
	uint16_t	port;
	struct in_addr	ext;
	int		rc;
	struct timespec	at;
}			last_answer;

static uint32_t
mask_of(uint8_t plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

int
guard_configure(const struct guard_lan *lans, int n, unsigned wan)
{
	if (n < 0 || n > GUARD_MAX_LAN)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (lans[i].plen > 32)
			return -EINVAL;
	memcpy(lan, lans, (size_t)n * sizeof(*lan));
	n_lan = n;
	wan_ifindex = wan;
	return 0;
}

/* Never a unicast host anywhere: this network, loopback, multicast, class E, broadcast. */
static bool
special(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) == 0xe || (a >> 28) == 0xf;
}

/* Inside a LAN prefix, and neither its network nor its broadcast address. */
static bool
lan_host(uint32_t a)
{
	if (n_lan == 0)
		return true;
	for (int i = 0; i < n_lan; i++) {
		uint32_t m = mask_of(lan[i].plen), net = ntohl(lan[i].net.s_addr) & m;
		if ((a & m) != net)
			continue;
		/* /31 and /32 have no network or broadcast address (RFC 3021). */
		if (lan[i].plen <= 30 && (a == net || a == (net | ~m)))
			return false;
		return true;
	}
	return false;
}

int
guard_target(struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	if (special(a) || !lan_host(a))
		return -EADDRNOTAVAIL;
	/* The gateway's own addresses, on any interface, as the kernel has them now. */
	return hostaddr_is_local(addr) == 0 ? 0 : -EADDRNOTAVAIL;
}

bool
guard_port_reserved(uint8_t proto, uint16_t port)
{
	return proto == IPPROTO_UDP && (port == 5350 || port == 5351 || port == 1900);
}

static bool
answered_just_now(uint8_t proto, uint16_t port, struct in_addr ext, const struct timespec *now)
{
	long long ns = (long long)(now->tv_sec - last_answer.at.tv_sec) * 1000000000 +
	    (now->tv_nsec - last_answer.at.tv_nsec);

	return last_answer.proto == proto && last_answer.port == port &&
	    last_answer.ext.s_addr == ext.s_addr && ns >= 0 && ns < ANSWER_REUSE_NS;
}

int
guard_ext_port(uint8_t proto, uint16_t port, struct in_addr ext)
{
	struct timespec now;
	int rc;

	if (guard_port_reserved(proto, port))
		return -EADDRINUSE;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (answered_just_now(proto, port, ext, &now))
		return last_answer.rc;
	rc = sockdiag_bound(proto, ext, port, wan_ifindex);
	if (rc < 0 && !warned_sockdiag) {
		warned_sockdiag = true;
		errno = -rc;
		log_warn("guard: cannot ask the kernel which ports the gateway listens on; "
		    "mappings are not checked against them");
	}
	rc = rc > 0 ? -EADDRINUSE : 0;
	last_answer.proto = proto;
	last_answer.port = port;
	last_answer.ext = ext;
	last_answer.rc = rc;
	last_answer.at = now;
	return rc;
}

void
guard_fini(void)
{
	sockdiag_fini();
	hostaddr_fini();
	n_lan = 0;
}
