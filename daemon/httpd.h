/*
 * httpd: what the daemon's two libmicrohttpd servers share, the UPnP
 * front-end's (upnp/http.c) and the operator's (status_http.c): handing a
 * response to a connection, and answering a GET for a status page.
 */
#ifndef PORTHOLE_HTTPD_H
#define PORTHOLE_HTTPD_H

#include <stdbool.h>

#include <microhttpd.h>

/* Queues r (NULL: out of memory, MHD_NO) and drops our reference. */
enum MHD_Result httpd_send(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
/* When url is one of the status pages (status.h), queues it: true, *rc set. */
bool	httpd_status_page(struct MHD_Connection *c, const char *url, enum MHD_Result *rc);

#endif
