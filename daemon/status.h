/*
 * status: the read-only status page served on the LAN (HTML without
 * JavaScript) and the same data as JSON. Descriptions come from LAN hosts,
 * so everything is escaped for its output format.
 */
#ifndef PORTHOLE_STATUS_H
#define PORTHOLE_STATUS_H

/* Each returns a malloc'd NUL-terminated document, or NULL when out of memory. */
char	*status_html(void);
char	*status_json(void);

/*
 * The document for a GET of url: /status (HTML), /status.json, /metrics
 * (Prometheus text). NULL when url is none of these; *ctype is set.
 */
char	*status_document(const char *url, const char **ctype);

#endif
