/*
 * libFuzzer harness: the HTTP glue's decisions (daemon/upnp/http_req.c, and
 * the Host check netif_host_is_address) on one request: the Host, an
 * announced Content-Length, the method's
 * kind, and the body collected in the pieces libmicrohttpd hands over
 * (chunked or not), past the cap and past the point of hanging up.
 *
 * The input is three lines (method, Host - "-" for none - and
 * Content-Length - "-" for none), then pairs of bytes (n, fill): a piece of
 * n * 97 bytes of fill, so a short input can send megabytes. Nothing is
 * kept between inputs.
 *
 * Checked: an accepted Host is an IPv4 literal before any ':'; an
 * announced length is refused exactly when over UPNP_BODY_MAX; the body
 * kept is exactly what was sent while it fits, and nothing past the cap;
 * hanging up comes exactly when more than a megabyte has been sent.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"
#include "upnp/upnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PIECE_UNIT	97
#define HANG_UP_AFTER	(1024 * 1024)

/* The next line of [*p, end) as a C string in buf (cut to fit), or NULL. */
static const char *
line(const uint8_t **p, const uint8_t *end, char *buf, size_t len)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (!nl)
		return NULL;
	n = (size_t)(nl - *p) < len - 1 ? (size_t)(nl - *p) : len - 1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = nl + 1;
	return strlen(buf) == n ? buf : NULL;	/* a NUL inside: not a header */
}

/* What was accepted must be an address literal: "A.B.C.D[:...]" or "[v6[%zone]][:...]". */
static void
check_host(const char *host)
{
	char ip[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a;
	bool v6 = host[0] == '[';
	size_t n = v6 ? strcspn(host + 1, "%]") : strcspn(host, ":");

	if (!netif_host_is_address(host))
		return;
	if (n >= sizeof(ip))
		__builtin_trap();
	memcpy(ip, host + v6, n);
	ip[n] = '\0';
	if (v6 ? inet_pton(AF_INET6, ip, &a6) != 1 : inet_pton(AF_INET, ip, &a) != 1)
		__builtin_trap();
	if (v6) {
		const char *end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':'))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char method[32], host[300], cl[64];
	static char piece[255 * PIECE_UNIT], sent_copy[UPNP_BODY_MAX];
	struct http_req *rq;
	size_t total = 0;

	if (!line(&p, end, method, sizeof(method)) || !line(&p, end, host, sizeof(host)) ||
	    !line(&p, end, cl, sizeof(cl)))
		return 0;
	if (http_kind_of(method) > HTTP_OTHER)
		__builtin_trap();
	if (strcmp(host, "-"))
		check_host(host);
	if (!netif_host_is_address(NULL))
		__builtin_trap();
	if (strcmp(cl, "-") &&
	    http_body_announced_too_big(cl) != (strtoull(cl, NULL, 10) > UPNP_BODY_MAX))
		__builtin_trap();
	if (!(rq = calloc(1, sizeof(*rq))))
		return 0;
	for (; end - p >= 2; p += 2) {
		size_t n = (size_t)p[0] * PIECE_UNIT;
		int rc;

		memset(piece, p[1], n);
		if (total + n <= UPNP_BODY_MAX)
			memset(sent_copy + total, p[1], n);
		total += n;
		rc = http_body_feed(rq, piece, n);
		if ((rc < 0) != (total > HANG_UP_AFTER))
			__builtin_trap();
		if (rc < 0)
			break;
		if (rq->seen != total || rq->too_big != (total > UPNP_BODY_MAX) ||
		    rq->len > UPNP_BODY_MAX)
			__builtin_trap();
		if (!rq->too_big && (rq->len != total || (total && memcmp(rq->body, sent_copy, total))))
			__builtin_trap();
	}
	http_req_free(rq);
	return 0;
}
