/*
 * http_req: what the HTTP glue decides about a request before it answers,
 * without a socket, so it can be fuzzed: whether an announced body is too
 * big, the body collected in the pieces libmicrohttpd hands over (chunked
 * or not) up to UPNP_BODY_MAX, and which kind of request a method is. (The
 * Host check is netif_host_is_address, shared with the operator's pages.)
 */
#include <stdlib.h>
#include <string.h>

#include "upnp.h"

/* Bytes read past the cap before hanging up. */
#define HTTP_DISCARD_MAX	(1024 * 1024)

bool
http_body_announced_too_big(const char *content_length)
{
	return content_length && strtoull(content_length, NULL, 10) > UPNP_BODY_MAX;
}

int
http_body_feed(struct http_req *rq, const char *data, size_t n)
{
	rq->seen += n;
	if (rq->seen > HTTP_DISCARD_MAX)
		return -1;
	if (!rq->too_big && rq->len + n > UPNP_BODY_MAX)
		rq->too_big = true;
	if (!rq->too_big) {
		if (!rq->body && !(rq->body = malloc(UPNP_BODY_MAX)))
			return -1;
		memcpy(rq->body + rq->len, data, n);
		rq->len += n;
	}
	return 0;
}

void
http_req_free(struct http_req *rq)
{
	if (rq) {
		free(rq->body);
		free(rq);
	}
}

enum http_kind
http_kind_of(const char *method)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return HTTP_DOCUMENT;
	if (!strcmp(method, "POST"))
		return HTTP_CONTROL;
	if (!strcmp(method, "SUBSCRIBE"))
		return HTTP_SUBSCRIBE;
	if (!strcmp(method, "UNSUBSCRIBE"))
		return HTTP_UNSUBSCRIBE;
	return HTTP_OTHER;
}
