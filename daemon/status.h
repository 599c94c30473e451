/*
 * status: the read-only status page served on the LAN (HTML without
 * JavaScript) and the same data as JSON. Descriptions come from LAN hosts,
 * so everything is escaped for its output format.
 *
 * Bounded whatever the table holds: a page lists at most STATUS_PAGE_ROWS
 * mappings from `start` (?start=N), with links to the pages before and
 * after; the metrics are per-protocol and per-reason counters only, never
 * per mapping. A page is at most about 200 KiB.
 */
#ifndef PORTHOLE_STATUS_H
#define PORTHOLE_STATUS_H

#include <stddef.h>

#define STATUS_PAGE_ROWS	500

/* Each returns a malloc'd NUL-terminated document, or NULL when out of memory;
 * rows start..start+STATUS_PAGE_ROWS-1 of the table. */
char	*status_html(size_t start);
char	*status_json(size_t start);

/*
 * The document for a GET of url: /status (HTML), /status.json, /metrics
 * (Prometheus text), from row start. NULL when url is none of these; *ctype is set.
 */
char	*status_document(const char *url, size_t start, const char **ctype);

#endif
