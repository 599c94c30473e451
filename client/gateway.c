/*
 * gateway: where the router is and how we look to it. The default route
 * comes from /proc/net/route (parsed by phc_route_parse, which does no I/O
 * and takes the text as hostile); our own address toward the gateway from
 * a connected UDP socket, which sends nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pcp_wire.h"
#include "phc.h"

#define ROUTE_FILE_MAX	(256 * 1024)
#define ROUTE_LINE_MAX	512
#define RTF_UP_FLAG	0x0001
#define RTF_GW_FLAG	0x0002

static bool
hex32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (strlen(s) != 8)
		return false;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * /proc/net/route lines: Iface Destination Gateway Flags RefCnt Use Metric
 * Mask ..., addresses in host-order hex of network-order bytes. The default
 * route is destination 0, mask 0, flags UP|GATEWAY; the lowest metric wins.
 */
static bool
route_line(char *line, struct in_addr *gw, unsigned long *metric)
{
	char *f[8], *save = NULL, *tok, *end;
	uint32_t dst, via, flags, mask;
	int n = 0;

	for (tok = strtok_r(line, " \t", &save); tok != NULL && n < 8;
	    tok = strtok_r(NULL, " \t", &save))
		f[n++] = tok;
	if (n < 8 || !hex32(f[1], &dst) || !hex32(f[2], &via) || !hex32(f[7], &mask))
		return false;
	flags = (uint32_t)strtoul(f[3], &end, 16);
	if (*end != '\0' || dst != 0 || mask != 0 || via == 0)
		return false;
	if ((flags & (RTF_UP_FLAG | RTF_GW_FLAG)) != (RTF_UP_FLAG | RTF_GW_FLAG))
		return false;
	*metric = strtoul(f[6], &end, 10);
	if (*end != '\0')
		return false;
	/* The kernel prints the in-memory (network order) word as a number. */
	memcpy(&gw->s_addr, &via, sizeof(via));
	return true;
}

int
phc_route_parse(const char *text, size_t len, struct in_addr *gw)
{
	char line[ROUTE_LINE_MAX];
	size_t pos = 0, ll;
	unsigned long best = (unsigned long)-1, metric;
	struct in_addr cand;
	bool found = false, first = true;

	if (len > ROUTE_FILE_MAX)
		return PORTHOLE_ERR_INVAL;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		ll = (nl != NULL ? (size_t)(nl - text) : len) - pos;
		if (ll < sizeof(line) && !first) {
			memcpy(line, text + pos, ll);
			line[ll] = '\0';
			if (strlen(line) == ll && route_line(line, &cand, &metric) &&
			    (!found || metric < best)) {
				*gw = cand;
				best = metric;
				found = true;
			}
		}
		first = false;	/* the header line */
		pos += ll + 1;
	}
	return found ? 0 : PORTHOLE_ERR_NOGATEWAY;
}

int
phc_default_gateway(struct in_addr *gw)
{
	char *buf;
	ssize_t r;
	size_t len = 0;
	int fd, rc;

	if ((fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC)) == -1)
		return PORTHOLE_ERR_NOGATEWAY;
	if ((buf = malloc(ROUTE_FILE_MAX)) == NULL) {
		close(fd);
		return PORTHOLE_ERR_SYSTEM;
	}
	while (len < ROUTE_FILE_MAX && (r = read(fd, buf + len, ROUTE_FILE_MAX - len)) > 0)
		len += (size_t)r;
	close(fd);
	rc = phc_route_parse(buf, len, gw);
	free(buf);
	return rc;
}

int
phc_local_addr(struct in_addr gw, struct in_addr *local)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PCP_SERVER_PORT) };
	socklen_t sl = sizeof(sa);
	int s, rc = 0;

	sa.sin_addr = gw;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return PORTHOLE_ERR_SYSTEM;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) == -1)
		rc = errno == ENETUNREACH ? PORTHOLE_ERR_NOGATEWAY : PORTHOLE_ERR_SYSTEM;
	else
		*local = sa.sin_addr;
	close(s);
	return rc;
}

static bool
in_prefix(struct in_addr a, uint32_t net, int plen)
{
	uint32_t mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);

	return (ntohl(a.s_addr) & mask) == net;
}

/* RFC 1918 and the carriers' shared space (RFC 6598): a second NAT ahead. */
bool
phc_addr_private(struct in_addr a)
{
	return in_prefix(a, 0x0a000000, 8) || in_prefix(a, 0xac100000, 12) ||
	    in_prefix(a, 0xc0a80000, 16) || in_prefix(a, 0x64400000, 10);
}

/* Ranges miniupnpc calls reserved: documentation, loopback, link-local... */
bool
phc_addr_reserved(struct in_addr a)
{
	return phc_addr_private(a) || in_prefix(a, 0, 8) || in_prefix(a, 0x7f000000, 8) ||
	    in_prefix(a, 0xa9fe0000, 16) || in_prefix(a, 0xc0000200, 24) ||
	    in_prefix(a, 0xc6336400, 24) || in_prefix(a, 0xcb007100, 24) ||
	    in_prefix(a, 0xe0000000, 3);
}
