/*
 * strpool: shared, reference-counted copies of strings. Mapping
 * descriptions repeat ("NAT-PMP", "PCP MAP", one name per UPnP application),
 * so each distinct text is kept once and leases hold a pointer to it.
 */
#ifndef PORTHOLE_STRPOOL_H
#define PORTHOLE_STRPOOL_H

/* A pooled copy of s, holding one reference; NULL when out of memory. */
const char *strpool_get(const char *s);
/* Drop one reference to a string strpool_get returned (NULL: nothing). */
void	 strpool_put(const char *s);

#endif
