/*
 * leasestore6: the lease file's lines for IPv6 pinholes (leasestore.c keeps
 * them in the same snapshot and journal as the IPv4 leases):
 *
 *   pin6 proto int_addr int_port remote remote_port owner expires nonce id desc
 *
 * remote is :: for any host, one address for one host, or "addr/len" for a
 * prefix (a line without a length is one host, as older daemons wrote it);
 * expires wall-clock seconds (0 = permanent), the description last (it may
 * hold spaces). A journal removal is
 * "- pin6 proto int_addr int_port". Older daemons skip these lines as bad
 * IPv4 leases; nothing else changes for them.
 */
#include "leasestore6.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinhole.h"
#include "prefix6.h"

static int
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

int
leasestore6_format(const struct pinhole *p, long long now, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char ia[INET6_ADDRSTRLEN], ra[PREFIX6_STRLEN], nonce[LEASE_NONCE_LEN * 2 + 1];
	long long expires = p->permanent ? 0 : now + pinhole_seconds_left(p);

	inet_ntop(AF_INET6, &p->int_addr, ia, sizeof(ia));
	prefix6_format(&p->remote, IN6_IS_ADDR_UNSPECIFIED(&p->remote) ? 128 : p->remote_plen,
	    ra, sizeof(ra));
	for (int b = 0; b < LEASE_NONCE_LEN; b++) {
		nonce[2 * b] = hex[p->nonce[b] >> 4];
		nonce[2 * b + 1] = hex[p->nonce[b] & 15];
	}
	nonce[LEASE_NONCE_LEN * 2] = '\0';
	return snprintf(buf, len, "%s %s %s %u %s %u %s %lld %s %u %s", LEASESTORE6_TAG,
	    lease_proto_name(p->proto), ia, p->int_port, ra, p->remote_port,
	    lease_owner_name(p->owner), expires, nonce, p->id, p->desc);
}

int
leasestore6_format_removal(const struct pinhole *p, char *buf, size_t len)
{
	char ia[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &p->int_addr, ia, sizeof(ia));
	return snprintf(buf, len, "- %s %s %s %u", LEASESTORE6_TAG, lease_proto_name(p->proto),
	    ia, p->int_port);
}

/* The next space-separated word of *s, NUL-terminated in place; NULL at the end. */
static char *
word(char **s)
{
	char *w = *s;

	if (!*w || *w == ' ')
		return NULL;
	char *sp = strchr(w, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = w + strlen(w);
	}
	return w;
}

static int
parse_key(char **s, struct pinhole_req *req)
{
	char *w;
	unsigned long port;

	if (!(w = word(s)) || strcmp(w, LEASESTORE6_TAG) != 0 ||
	    !(w = word(s)) || lease_proto_parse(w, &req->proto) < 0 ||
	    !(w = word(s)) || inet_pton(AF_INET6, w, &req->int_addr) != 1 ||
	    !(w = word(s)) || parse_ulong(w, 65535, &port) < 0 || port == 0)
		return -EINVAL;
	req->int_port = (uint16_t)port;
	return 0;
}

static int
parse_owner(const char *w, enum lease_owner *out)
{
	for (int o = 0; o < OWNER_COUNT; o++)
		if (!strcmp(w, lease_owner_name(o))) {
			*out = o;
			return 0;
		}
	return -EINVAL;
}

static int
parse_nonce(const char *w, uint8_t *out)
{
	if (strlen(w) != LEASE_NONCE_LEN * 2)
		return -EINVAL;
	for (int i = 0; i < LEASE_NONCE_LEN; i++) {
		char pair[3] = { w[2 * i], w[2 * i + 1], '\0' };
		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
			return -EINVAL;
		out[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
	return 0;
}

int
leasestore6_parse(const char *line, long long now, struct pinhole_req *req, char *desc,
    size_t desclen, uint8_t *nonce)
{
	char buf[LEASESTORE6_LINE_MAX], *s = buf, *w;
	unsigned long rport, id;
	long long expires;
	char *end;

	memset(req, 0, sizeof(*req));
	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (parse_key(&s, req) < 0 ||
	    !(w = word(&s)) || prefix6_parse(w, &req->remote, &req->remote_plen) < 0 ||
	    !(w = word(&s)) || parse_ulong(w, 65535, &rport) < 0 ||
	    !(w = word(&s)) || parse_owner(w, &req->owner) < 0 ||
	    !(w = word(&s)) || *w < '0' || *w > '9' ||
	    (errno = 0, expires = strtoll(w, &end, 10), errno || *end) ||
	    !(w = word(&s)) || parse_nonce(w, nonce) < 0 ||
	    !(w = word(&s)) || parse_ulong(w, 65535, &id) < 0 || id == 0)
		return -EINVAL;
	if (expires && expires <= now)
		return -ETIME;
	if (expires && expires - now > 366LL * 86400)
		return -ERANGE;
	req->remote_port = (uint16_t)rport;
	req->lifetime = expires ? (uint32_t)(expires - now) : 0;
	req->id = (uint16_t)id;
	req->nonce = nonce;
	snprintf(desc, desclen, "%s", s);
	req->desc = desc;
	return 0;
}

int
leasestore6_parse_removal(const char *line, struct pinhole_req *req)
{
	char buf[LEASESTORE6_LINE_MAX], *s = buf;

	memset(req, 0, sizeof(*req));
	if (strncmp(line, "- ", 2) != 0 || strlen(line + 2) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line + 2);
	buf[strcspn(buf, "\r\n")] = '\0';
	return parse_key(&s, req) < 0 || *s ? -EINVAL : 0;
}

bool
leasestore6_is_pinhole(const char *line)
{
	if ((line[0] == '+' || line[0] == '-') && line[1] == ' ')
		line += 2;
	return strncmp(line, LEASESTORE6_TAG " ", sizeof(LEASESTORE6_TAG)) == 0;
}
