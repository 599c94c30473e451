#include "prefix6.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void
prefix6_mask(struct in6_addr *out, const struct in6_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		out->s6_addr[i] = bits >= 8 ? a->s6_addr[i] : a->s6_addr[i] & (0xff00 >> bits);
	}
}

bool
prefix6_same(const struct in6_addr *a, const struct in6_addr *b, unsigned plen)
{
	struct in6_addr ma, mb;

	prefix6_mask(&ma, a, plen);
	prefix6_mask(&mb, b, plen);
	return memcmp(&ma, &mb, sizeof(ma)) == 0;
}

void
prefix6_format(const struct in6_addr *a, unsigned plen, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, t, sizeof(t));
	if (plen < 128)
		snprintf(buf, len, "%s/%u", t, plen);
	else
		snprintf(buf, len, "%s", t);
}

int
prefix6_parse(const char *s, struct in6_addr *a, uint8_t *plen)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned n = 0;

	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, a) != 1)
		return -1;
	*plen = 128;
	if (!slash)
		return 0;
	const char *d = slash + 1;
	size_t digits = strspn(d, "0123456789");
	if (digits == 0 || digits > 3 || d[digits] != '\0')
		return -1;
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (unsigned)(d[i] - '0');
	if (n < 1 || n > 128)
		return -1;
	*plen = (uint8_t)n;
	return 0;
}
