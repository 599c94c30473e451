/*
 * unit.h: small helpers every unit test may use. Included after cmocka.h.
 */
#ifndef PORTHOLE_UNIT_H
#define PORTHOLE_UNIT_H

#include <arpa/inet.h>
#include <netinet/in.h>

/* A dotted-quad literal as an address; the tests only pass valid ones. */
static inline struct in_addr
ip(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return a;
}

/* The same for IPv6 literals. */
static inline struct in6_addr
ip6(const char *s)
{
	struct in6_addr a = IN6ADDR_ANY_INIT;

	inet_pton(AF_INET6, s, &a);
	return a;
}

/* An IPv4 literal as ::ffff:a.b.c.d, the form a peer of either family is passed in. */
static inline struct in6_addr
ip4mapped(const char *s)
{
	struct in6_addr a = IN6ADDR_ANY_INIT;

	a.s6_addr[10] = a.s6_addr[11] = 0xff;
	inet_pton(AF_INET, s, &a.s6_addr[12]);
	return a;
}

#endif
