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

/* Read-only pages, never cached, and no script may run in them. */
bool
httpd_status_page(struct MHD_Connection *c, const char *url, enum MHD_Result *rc)
{
	const char *ctype;
	char *doc = status_document(url, &ctype);
	struct MHD_Response *r;

	if (!doc)
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
