/*
 * status: the read-only status page served on the LAN (HTML without
 * JavaScript) and the same data as JSON. Descriptions come from LAN hosts,
 * so everything is escaped for its output format.
 *
 * Bounded whatever the tables hold: a page lists at most STATUS_PAGE_ROWS
 * mappings from `start` (?start=N), with links to the pages before and
 * after, and with the first page of mappings at most STATUS_PAGE_ROWS IPv6
 * pinholes from `pstart` (?pstart=N), paged the same way; the metrics are
 * per-protocol and per-reason counters only, never per mapping. A page is
 * at most about 400 KiB.
 */
#ifndef PORTHOLE_STATUS_H
#define PORTHOLE_STATUS_H

#include <stddef.h>

#define STATUS_PAGE_ROWS	500

/* Where a page starts: a row of the mappings, and (when start is 0) of the pinholes. */
struct status_pos {
	size_t	start;
	size_t	pstart;
};

/* Each returns a malloc'd NUL-terminated document, or NULL when out of memory;
 * rows start..start+STATUS_PAGE_ROWS-1 of the mappings, and on the first page
 * pstart..pstart+STATUS_PAGE_ROWS-1 of the pinholes. */
char	*status_html(struct status_pos pos);
char	*status_json(struct status_pos pos);

/*
 * The document for a GET of url: /status (HTML), /status.json, /metrics
 * (Prometheus text), from pos. NULL when url is none of these; *ctype is set.
 */
char	*status_document(const char *url, struct status_pos pos, const char **ctype);

#endif
