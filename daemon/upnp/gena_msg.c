/*
 * gena_msg: GENA header values without sockets: the CALLBACK URL list and
 * the TIMEOUT header. Pure functions, fuzzed and unit-tested.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "pcp_wire.h"
#include "upnp.h"

#define GENA_MIN_TIMEOUT	1800
#define GENA_MAX_TIMEOUT	86400

/*
 * The host of a URL, dotted IPv4 or a bracketed IPv6 literal (RFC 3986
 * §3.2.2), between h and hend; an IPv6 zone ("%25eth0", RFC 6874) is the
 * client's own interface name and means nothing here: it is skipped, and the
 * scope is the connection's. IPv4 is kept as ::ffff:a.b.c.d.
 */
static int
parse_host(const char *h, const char *hend, struct in6_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	struct in_addr v4;
	size_t n = (size_t)(hend - h);

	if (n >= 2 && h[0] == '[' && hend[-1] == ']') {
		const char *zone = memchr(h, '%', n);
		n = (size_t)((zone ? zone : hend - 1) - (h + 1));
		if (n == 0 || n >= sizeof(host))
			return -1;
		memcpy(host, h + 1, n);
		host[n] = '\0';
		return inet_pton(AF_INET6, host, out) == 1 ? 0 : -1;
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &v4) != 1)
		return -1;
	pcp_v4mapped(v4, out->s6_addr);
	return 0;
}

/* "http://HOST[:port][/path]" between p and end. */
static int
parse_url(const char *p, const char *end, struct gena_callback *out)
{
	const char *h, *hend, *path, *bracket;
	unsigned long port = 80;

	if ((size_t)(end - p) < 7 || strncasecmp(p, "http://", 7) != 0)
		return -1;
	h = p + 7;
	path = memchr(h, '/', (size_t)(end - h));
	if (!path)
		path = end;
	/* The port's colon comes after an IPv6 literal's closing bracket. */
	bracket = h < path && *h == '[' ? memchr(h, ']', (size_t)(path - h)) : NULL;
	if (h < path && *h == '[' && !bracket)
		return -1;
	hend = bracket ? bracket + 1 : h;
	hend = memchr(hend, ':', (size_t)(path - hend));
	if (hend) {
		const char *q = hend + 1;
		if (q == path)
			return -1;
		for (port = 0; q < path; q++) {
			if (*q < '0' || *q > '9')
				return -1;
			port = port * 10 + (unsigned long)(*q - '0');
			if (port > 65535)
				return -1;
		}
		if (port == 0)
			return -1;
	} else {
		hend = path;
	}
	if (bracket && hend != bracket + 1)
		return -1;	/* something between "]" and ":" */
	if (parse_host(h, hend, &out->addr) < 0)
		return -1;
	out->port = (uint16_t)port;
	if (path == end) {
		strcpy(out->path, "/");
		return 0;
	}
	if ((size_t)(end - path) >= sizeof(out->path))
		return -1;
	for (const char *c = path; c < end; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;	/* no header injection into our NOTIFY line */
	memcpy(out->path, path, (size_t)(end - path));
	out->path[end - path] = '\0';
	return 0;
}

int
gena_parse_callback(const char *hdr, struct gena_callback *out)
{
	const char *p = hdr;

	memset(out, 0, sizeof(*out));
	if (!hdr)
		return -1;
	/* One or more <URL>s; the first usable one is the callback. */
	while ((p = strchr(p, '<'))) {
		const char *e = strchr(p + 1, '>');
		if (!e)
			return -1;
		if (parse_url(p + 1, e, out) == 0)
			return 0;
		p = e + 1;
	}
	return -1;
}

uint32_t
gena_parse_timeout(const char *hdr)
{
	unsigned long n = 0;
	const char *p;

	if (!hdr || strncasecmp(hdr, "Second-", 7) != 0)
		return GENA_MIN_TIMEOUT;
	p = hdr + 7;
	if (*p < '0' || *p > '9')
		return GENA_MIN_TIMEOUT;	/* "infinite" is never granted */
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > GENA_MAX_TIMEOUT)
			return GENA_MAX_TIMEOUT;
	}
	return n < GENA_MIN_TIMEOUT ? GENA_MIN_TIMEOUT : (uint32_t)n;
}
