/*
 * httpd: see httpd.h.
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "status.h"

enum MHD_Result
httpd_send(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* ?start=N (or ?pstart=N) of a status page: 0 when absent, -1 when not a row number. */
static long
status_start(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	unsigned long n;

	if (!v)
		return 0;
	if (*v < '0' || *v > '9' || strlen(v) > 6)
		return -1;
	n = strtoul(v, &end, 10);
	return *end ? -1 : (long)n;
}

/* Read-only pages, never cached, and no script may run in them. */
bool
httpd_status_page(struct MHD_Connection *c, const char *url, enum MHD_Result *rc)
{
	const char *ctype;
	long start = status_start(c, "start"), pstart = status_start(c, "pstart");
	char *doc;
	struct MHD_Response *r;

	if (start < 0 || pstart < 0) {
		if (!(doc = status_document(url, (struct status_pos){ 0, 0 }, &ctype)))
			return false;	/* not a status page: its own 404 */
		free(doc);
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		*rc = httpd_send(c, MHD_HTTP_BAD_REQUEST, r);
		return true;
	}
	if (!(doc = status_document(url, (struct status_pos){ (size_t)start, (size_t)pstart },
	    &ctype)))
		return false;
	r = MHD_create_response_from_buffer(strlen(doc), doc, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(doc);
		*rc = MHD_NO;
		return true;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'");
	*rc = httpd_send(c, MHD_HTTP_OK, r);
	return true;
}
