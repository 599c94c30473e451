/*
 * privsep_msg: the messages' contents (privsep_proto.h), for both ends: a
 * mapping's or a pinhole's lease-table form and wire form, and the parent's
 * check of a message from the child before it acts on any field. Apart from
 * the nftables work, so the fuzz harness (tests/fuzz/fuzz_privsep.c)
 * reaches every check.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lease.h"
#include "pinhole.h"
#include "privsep_proto.h"

/* How much of the union a request of this type uses; the rest must be 0. */
static size_t
payload_of(const struct ps_msg *m)
{
	switch (m->type) {
	case PS_SET_EXT:
		return sizeof(uint32_t);
	case PS_CHANGES:
		return m->count * sizeof(struct ps_change);
	case PS_PIN_ADD:
	case PS_PIN_DEL:
		return sizeof(struct ps_pinhole);
	default:
		return 0;
	}
}

static bool
zero_from(const struct ps_msg *m, size_t used)
{
	const unsigned char *u = (const unsigned char *)&m->u;

	for (size_t i = used; i < sizeof(m->u); i++)
		if (u[i])
			return false;
	return true;
}

static const char *
mapping_problem(const struct ps_mapping *p, char *why, size_t len)
{
	if ((p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) || p->zero || !p->ext_port ||
	    !p->int_port) {
		snprintf(why, len, "mapping with protocol %u, ports %u -> %u", p->proto,
		    p->ext_port, p->int_port);
		return why;
	}
	return NULL;
}

static const char *
changes_problem(const struct ps_msg *m, char *why, size_t len)
{
	for (uint32_t i = 0; i < m->count; i++) {
		const struct ps_change *c = &m->u.changes[i];
		if (c->op != PS_ADD && c->op != PS_DEL) {
			snprintf(why, len, "change %u of %u: kind %u", i + 1, m->count, c->op);
			return why;
		}
		if (mapping_problem(&c->map, why, len))
			return why;
	}
	return NULL;
}

static const char *
pinhole_problem(const struct ps_pinhole *p, char *why, size_t len)
{
	if ((p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) || !p->int_port ||
	    p->remote_plen > 128 || p->zero[0] || p->zero[1]) {
		snprintf(why, len, "pinhole with protocol %u, port %u", p->proto, p->int_port);
		return why;
	}
	return NULL;
}

const char *
ps_request_problem(const void *buf, size_t n, uint32_t want_seq, char *why, size_t len)
{
	const struct ps_msg *m = buf;

	if (n != sizeof(*m) || m->len != sizeof(*m)) {
		snprintf(why, len, "%zu bytes, length field %u, want %zu", n,
		    n >= 8 ? m->len : 0, sizeof(*m));
		return why;
	}
	if (m->seq != want_seq) {
		snprintf(why, len, "message %u out of turn, want %u", m->seq, want_seq);
		return why;
	}
	if (m->type < PS_REQUEST_FIRST || m->type > PS_REQUEST_LAST) {
		snprintf(why, len, "type %u", m->type);
		return why;
	}
	if (m->type == PS_CHANGES ? m->count < 1 || m->count > PS_CHANGES_PER_MSG : m->count != 0) {
		snprintf(why, len, "type %u with count %u", m->type, m->count);
		return why;
	}
	if (m->result || m->zero || !zero_from(m, payload_of(m))) {
		snprintf(why, len, "type %u with stray fields", m->type);
		return why;
	}
	if (m->type == PS_CHANGES)
		return changes_problem(m, why, len);
	if (m->type == PS_PIN_ADD || m->type == PS_PIN_DEL)
		return pinhole_problem(&m->u.pin, why, len);
	return NULL;
}

void
ps_mapping_of(const struct lease *l, struct ps_mapping *p)
{
	*p = (struct ps_mapping){
		.int_addr = l->int_addr.s_addr, .remote = l->remote.s_addr,
		.ext_port = l->ext_port, .int_port = l->int_port,
		.remote_port = l->remote_port, .proto = l->proto,
	};
}

void
ps_lease_of(const struct ps_mapping *p, struct lease *l)
{
	memset(l, 0, sizeof(*l));
	l->int_addr.s_addr = p->int_addr;
	l->remote.s_addr = p->remote;
	l->ext_port = p->ext_port;
	l->int_port = p->int_port;
	l->remote_port = p->remote_port;
	l->proto = p->proto;
}

void
ps_pin_wire_of(const struct pinhole *p, struct ps_pinhole *w)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->int_addr, &p->int_addr, sizeof(w->int_addr));
	memcpy(w->remote, &p->remote, sizeof(w->remote));
	w->int_port = p->int_port;
	w->remote_port = p->remote_port;
	w->remote_plen = p->remote_plen;
	w->proto = p->proto;
}

void
ps_pinhole_of(const struct ps_pinhole *w, struct pinhole *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(&p->int_addr, w->int_addr, sizeof(p->int_addr));
	memcpy(&p->remote, w->remote, sizeof(p->remote));
	p->int_port = w->int_port;
	p->remote_port = w->remote_port;
	p->remote_plen = w->remote_plen;
	p->proto = w->proto;
}
