/*
 * prefix6: an IPv6 address prefix as the pinholes' remote filters hold it
 * (RFC 6887 §13.3): bit arithmetic and the text form "addr" (one host, /128)
 * or "addr/len", shared by the lease file, the control protocol, the status
 * page and the kernel's log lines.
 */
#ifndef PORTHOLE_PREFIX6_H
#define PORTHOLE_PREFIX6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* INET6_ADDRSTRLEN plus "/128" */
#define PREFIX6_STRLEN	(INET6_ADDRSTRLEN + 4)

/* out = a with every bit past the first plen (0..128) cleared. */
void	prefix6_mask(struct in6_addr *out, const struct in6_addr *a, unsigned plen);
/* Are the first plen bits of a and b the same? */
bool	prefix6_same(const struct in6_addr *a, const struct in6_addr *b, unsigned plen);
/* "addr" when plen is 128, else "addr/plen". */
void	prefix6_format(const struct in6_addr *a, unsigned plen, char *buf, size_t len);
/* "addr" (plen 128) or "addr/N", N 1..128 in at most three digits: 0, or -1
 * for anything else. Host bits past N are the caller's to judge. */
int	prefix6_parse(const char *s, struct in6_addr *a, uint8_t *plen);

#endif
