/*
 * ctl_proto: the control socket's record lines, written by the daemon and
 * read by portholectl; see ctl_proto.h for the format.
 */
#include "ctl_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix6.h"

int
ctl_hello_version(const char *line)
{
	size_t n = strlen(CTL_HELLO);
	char *end;
	long v;

	if (strncmp(line, CTL_HELLO " ", n + 1) || line[n + 1] < '0' || line[n + 1] > '9')
		return -1;
	v = strtol(line + n + 1, &end, 10);
	return *end || v > 9999 ? -1 : (int)v;
}

int
ctl_record_split(char *line, struct ctl_record *r)
{
	char *p = strchr(line, ' ');

	r->type = line;
	r->n = 0;
	if (!p || p == line)
		return -1;
	*p++ = '\0';
	while (*p) {
		char *eq = strchr(p, '='), *sp;

		if (!eq || eq == p || r->n == CTL_MAX_PAIRS)
			return -1;
		*eq = '\0';
		r->pair[r->n].key = p;
		r->pair[r->n].val = eq + 1;
		r->n++;
		if (!strcmp(p, CTL_TAIL_KEY))
			break;			/* the rest of the line is its value */
		sp = strchr(eq + 1, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	return 0;
}

const char *
ctl_record_get(const struct ctl_record *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->pair[i].key, key))
			return r->pair[i].val;
	return NULL;
}

int
ctl_mapping_format(const struct ctl_mapping *m, char *buf, size_t len)
{
	char ia[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN] = "any", lease[16] = "permanent";
	int n;

	inet_ntop(AF_INET, &m->int_addr, ia, sizeof(ia));
	if (m->remote.s_addr)
		inet_ntop(AF_INET, &m->remote, ra, sizeof(ra));
	if (!m->permanent)
		snprintf(lease, sizeof(lease), "%u", m->lease_left);
	n = snprintf(buf, len, CTL_REC_MAPPING " proto=%s ext_port=%u int_addr=%s int_port=%u "
	    "owner=%s lease=%s remote=%s packets=%llu bytes=%llu " CTL_TAIL_KEY "=%s",
	    m->proto, m->ext_port, ia, m->int_port, m->owner, lease, ra,
	    (unsigned long long)m->packets, (unsigned long long)m->bytes, m->desc);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int
number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static int
text(const char *s, char *out, size_t len)
{
	if (!s || strlen(s) >= len)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int
ctl_mapping_parse(const struct ctl_record *r, struct ctl_mapping *m)
{
	const char *lease = ctl_record_get(r, "lease"), *remote = ctl_record_get(r, "remote");
	const char *ia = ctl_record_get(r, "int_addr");
	uint64_t ext, intp, left = 0;

	memset(m, 0, sizeof(*m));
	if (strcmp(r->type, CTL_REC_MAPPING) || !lease || !remote || !ia ||
	    text(ctl_record_get(r, "proto"), m->proto, sizeof(m->proto)) < 0 ||
	    text(ctl_record_get(r, "owner"), m->owner, sizeof(m->owner)) < 0 ||
	    text(ctl_record_get(r, CTL_TAIL_KEY), m->desc, sizeof(m->desc)) < 0 ||
	    number(ctl_record_get(r, "ext_port"), 65535, &ext) < 0 ||
	    number(ctl_record_get(r, "int_port"), 65535, &intp) < 0 ||
	    number(ctl_record_get(r, "packets"), UINT64_MAX, &m->packets) < 0 ||
	    number(ctl_record_get(r, "bytes"), UINT64_MAX, &m->bytes) < 0 ||
	    inet_pton(AF_INET, ia, &m->int_addr) != 1)
		return -1;
	m->permanent = !strcmp(lease, "permanent");
	if (!m->permanent && number(lease, UINT32_MAX, &left) < 0)
		return -1;
	if (strcmp(remote, "any") && inet_pton(AF_INET, remote, &m->remote) != 1)
		return -1;
	m->ext_port = (uint16_t)ext;
	m->int_port = (uint16_t)intp;
	m->lease_left = (uint32_t)left;
	return 0;
}

int
ctl_pinhole_format(const struct ctl_pinhole *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], ra[PREFIX6_STRLEN] = "any", lease[16] = "permanent";
	int n;

	inet_ntop(AF_INET6, &p->addr, a, sizeof(a));
	if (!IN6_IS_ADDR_UNSPECIFIED(&p->remote))
		prefix6_format(&p->remote, p->remote_plen, ra, sizeof(ra));
	if (!p->permanent)
		snprintf(lease, sizeof(lease), "%u", p->lease_left);
	n = snprintf(buf, len, CTL_REC_PINHOLE " proto=%s addr=%s port=%u id=%u owner=%s "
	    "lease=%s remote=%s remote_port=%u packets=%llu bytes=%llu " CTL_TAIL_KEY "=%s",
	    p->proto, a, p->port, p->id, p->owner, lease, ra, p->remote_port,
	    (unsigned long long)p->packets, (unsigned long long)p->bytes, p->desc);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
ctl_pinhole_parse(const struct ctl_record *r, struct ctl_pinhole *p)
{
	const char *lease = ctl_record_get(r, "lease"), *remote = ctl_record_get(r, "remote");
	const char *a = ctl_record_get(r, "addr");
	uint64_t port, id, rport, left = 0;

	memset(p, 0, sizeof(*p));
	if (strcmp(r->type, CTL_REC_PINHOLE) || !lease || !remote || !a ||
	    text(ctl_record_get(r, "proto"), p->proto, sizeof(p->proto)) < 0 ||
	    text(ctl_record_get(r, "owner"), p->owner, sizeof(p->owner)) < 0 ||
	    text(ctl_record_get(r, CTL_TAIL_KEY), p->desc, sizeof(p->desc)) < 0 ||
	    number(ctl_record_get(r, "port"), 65535, &port) < 0 ||
	    number(ctl_record_get(r, "id"), 65535, &id) < 0 ||
	    number(ctl_record_get(r, "remote_port"), 65535, &rport) < 0 ||
	    number(ctl_record_get(r, "packets"), UINT64_MAX, &p->packets) < 0 ||
	    number(ctl_record_get(r, "bytes"), UINT64_MAX, &p->bytes) < 0 ||
	    inet_pton(AF_INET6, a, &p->addr) != 1)
		return -1;
	p->permanent = !strcmp(lease, "permanent");
	if (!p->permanent && number(lease, UINT32_MAX, &left) < 0)
		return -1;
	if (strcmp(remote, "any") && prefix6_parse(remote, &p->remote, &p->remote_plen) < 0)
		return -1;
	p->port = (uint16_t)port;
	p->id = (uint16_t)id;
	p->remote_port = (uint16_t)rport;
	p->lease_left = (uint32_t)left;
	return 0;
}
