/*
 * pcp_client: see pcp_client.h. Message layout from RFC 6887 §7 and §11-13;
 * the retransmission schedule from §8.1.1. Parsing treats the response as
 * hostile: every field is read only after its length has been checked.
 */
#include "pcp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "wire.h"

#define IRT_MS		3000
#define MRT_MS		1024000

int
pcpc_nonce(uint8_t nonce[PCP_NONCE_LEN])
{
	ssize_t n = getrandom(nonce, PCP_NONCE_LEN, 0);

	return n == PCP_NONCE_LEN ? 0 : -(n < 0 ? errno : EIO);
}

/* Requests of an opcode we do not know are sent as a bare header (tests use them). */
static size_t
opcode_len(uint8_t op)
{
	size_t len = pcp_opcode_len(op);

	return len ? len : PCP_HDR_LEN;
}

int
pcpc_append_option(uint8_t *buf, size_t *len, size_t cap, uint8_t code,
    const void *data, uint16_t dlen)
{
	size_t padded = pcp_option_padded(dlen);

	if (*len > cap || cap - *len < 4 + padded)
		return -ENOSPC;
	buf[*len] = code;
	buf[*len + 1] = 0;
	put16(buf + *len + 2, dlen);
	memset(buf + *len + 4, 0, padded);
	if (dlen)
		memcpy(buf + *len + 4, data, dlen);
	*len += 4 + padded;
	return 0;
}

static int
append_filter(uint8_t *buf, size_t *len, size_t cap, const struct pcpc_filter *f)
{
	uint8_t d[20] = { 0 };

	d[1] = f->plen;
	put16(d + 2, f->port);
	memcpy(d + 4, f->addr, 16);
	return pcpc_append_option(buf, len, cap, PCP_OPT_FILTER, d, sizeof(d));
}

size_t
pcpc_build(const struct pcpc_msg *m, uint8_t *buf, size_t cap)
{
	size_t len = opcode_len(m->opcode);

	if (cap < len || m->n_filters > PCPC_MAX_FILTERS)
		return 0;
	memset(buf, 0, len);
	buf[0] = m->version;
	buf[1] = m->opcode & 0x7f;
	put32(buf + 4, m->lifetime);
	memcpy(buf + 8, m->client_ip, 16);
	if (m->opcode == PCP_OP_MAP || m->opcode == PCP_OP_PEER) {
		memcpy(buf + 24, m->nonce, PCP_NONCE_LEN);
		buf[36] = m->proto;
		put16(buf + 40, m->int_port);
		put16(buf + 42, m->ext_port);
		memcpy(buf + 44, m->ext_ip, 16);
	}
	if (m->opcode == PCP_OP_PEER) {
		put16(buf + 60, m->rem_port);
		memcpy(buf + 64, m->rem_ip, 16);
	}
	if (m->third_party &&
	    pcpc_append_option(buf, &len, cap, PCP_OPT_THIRD_PARTY, m->tp_addr, 16) < 0)
		return 0;
	if (m->prefer_failure &&
	    pcpc_append_option(buf, &len, cap, PCP_OPT_PREFER_FAILURE, NULL, 0) < 0)
		return 0;
	for (size_t i = 0; i < m->n_filters; i++)
		if (append_filter(buf, &len, cap, &m->filters[i]) < 0)
			return 0;
	if (m->description[0] &&
	    pcpc_append_option(buf, &len, cap, PCP_OPT_DESCRIPTION, m->description,
	    (uint16_t)strnlen(m->description, PCP_DESC_MAX)) < 0)
		return 0;
	return len;
}

static int
parse_option(struct pcpc_msg *m, uint8_t code, const uint8_t *d, size_t olen)
{
	switch (code) {
	case PCP_OPT_THIRD_PARTY:
		if (olen != 16)
			return -EINVAL;
		m->third_party = true;
		memcpy(m->tp_addr, d, 16);
		return 0;
	case PCP_OPT_PREFER_FAILURE:
		m->prefer_failure = true;
		return 0;
	case PCP_OPT_FILTER:
		if (olen != 20)
			return -EINVAL;
		if (m->n_filters < PCPC_MAX_FILTERS) {
			struct pcpc_filter *f = &m->filters[m->n_filters++];
			f->plen = d[1];
			f->port = get16(d + 2);
			memcpy(f->addr, d + 4, 16);
		}
		return 0;
	case PCP_OPT_DESCRIPTION:
		pcp_desc_clean(m->description, sizeof(m->description), d, olen);
		return 0;
	default:
		m->n_unknown++;		/* §7.3: clients ignore what they don't know */
		return 0;
	}
}

static int
parse_options(struct pcpc_msg *m, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 4)
			return -EINVAL;
		size_t olen = get16(p + off + 2);
		size_t padded = pcp_option_padded(olen);
		if (padded > len - off - 4 || parse_option(m, p[off], p + off + 4, olen) < 0)
			return -EINVAL;
		off += 4 + padded;
	}
	return 0;
}

int
pcpc_parse(const uint8_t *buf, size_t len, struct pcpc_msg *m)
{
	size_t need;

	memset(m, 0, sizeof(*m));
	if (len < 4 || !(buf[1] & 0x80))
		return -EINVAL;
	m->response = true;
	m->version = buf[0];
	m->opcode = buf[1] & 0x7f;
	if (buf[0] == 0 && len == 8) {		/* a NAT-PMP-only server (§9) */
		m->result = (uint8_t)get16(buf + 2);
		m->epoch = get32(buf + 4);
		return m->result == PCP_UNSUPP_VERSION ? 0 : -EINVAL;
	}
	if (len < PCP_HDR_LEN || len > PCP_MAX_MSG || len % 4 != 0)
		return -EINVAL;
	m->result = buf[3];
	m->lifetime = get32(buf + 4);
	m->epoch = get32(buf + 8);
	if (m->version != PCP_VERSION)
		return m->result == PCP_UNSUPP_VERSION ? 0 : -EINVAL;
	need = opcode_len(m->opcode);
	if (m->opcode > PCP_OP_PEER || len < need)
		return m->result != PCP_SUCCESS ? 0 : -EINVAL;
	if (m->opcode != PCP_OP_ANNOUNCE) {
		memcpy(m->nonce, buf + 24, PCP_NONCE_LEN);
		m->proto = buf[36];
		m->int_port = get16(buf + 40);
		m->ext_port = get16(buf + 42);
		memcpy(m->ext_ip, buf + 44, 16);
	}
	if (m->opcode == PCP_OP_PEER) {
		m->rem_port = get16(buf + 60);
		memcpy(m->rem_ip, buf + 64, 16);
	}
	/* An error response copies our request back, options and all: its
	 * options are ours, so a fault there is not the response's. */
	if (parse_options(m, buf + need, len - need) < 0 && m->result == PCP_SUCCESS)
		return -EINVAL;
	return 0;
}

bool
pcpc_matches(const struct pcpc_msg *req, const struct pcpc_msg *resp)
{
	if (!resp->response)
		return false;
	if (resp->result == PCP_UNSUPP_VERSION)
		return true;		/* it need not echo anything we sent */
	if (resp->opcode != req->opcode)
		return false;
	if (req->opcode == PCP_OP_ANNOUNCE)
		return true;
	if (memcmp(req->nonce, resp->nonce, PCP_NONCE_LEN) != 0 ||
	    req->proto != resp->proto || req->int_port != resp->int_port)
		return false;
	if (req->opcode == PCP_OP_PEER &&
	    (req->rem_port != resp->rem_port || memcmp(req->rem_ip, resp->rem_ip, 16) != 0))
		return false;
	return true;
}

/* Connect a datagram socket to sa (no packet leaves) and read back our end into sa. */
static int
source_toward(struct sockaddr *sa, socklen_t len)
{
	int s, rc = 0;

	if ((s = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(s, sa, len) < 0 || getsockname(s, sa, &len) < 0)
		rc = -errno;
	close(s);
	return rc;
}

int
pcpc_local_addr(struct in_addr server, struct in_addr *local)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PCP_SERVER_PORT),
	    .sin_addr = server };
	int rc = source_toward((struct sockaddr *)&sa, sizeof(sa));

	*local = rc == 0 ? sa.sin_addr : (struct in_addr){ 0 };
	return rc;
}

int
pcpc_local_addr6(const struct in6_addr *server, uint32_t scope_id, struct in6_addr *local)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(PCP_SERVER_PORT),
	    .sin6_addr = *server, .sin6_scope_id = scope_id };
	int rc = source_toward((struct sockaddr *)&sa, sizeof(sa));

	*local = rc == 0 ? sa.sin6_addr : in6addr_any;
	return rc;
}

/* (1 + RAND) * base, RAND uniform in [-0.1, +0.1] (§8.1.1). */
static int64_t
jitter(int64_t base)
{
	uint16_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint16_t)mono_ms();
	return base + base * ((int64_t)(r % 2001) - 1000) / 10000;
}

typedef bool (*accept_fn)(const uint8_t *b, size_t len, void *arg);

static int
open_connected(const struct pcpc_xfer *x)
{
	uint16_t port = htons(x->port ? x->port : PCP_SERVER_PORT);
	union { struct sockaddr sa; struct sockaddr_in v4; struct sockaddr_in6 v6; } to, local;
	socklen_t len = x->v6 ? sizeof(to.v6) : sizeof(to.v4);
	int one = 1, s = socket(x->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&to, 0, sizeof(to));
	memset(&local, 0, sizeof(local));
	if (x->v6) {
		to.v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = port,
		    .sin6_addr = x->server6, .sin6_scope_id = x->scope_id };
		local.v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
		    .sin6_port = htons(x->local_port), .sin6_addr = x->source6,
		    .sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&x->source6) ? x->scope_id : 0 };
	} else {
		to.v4 = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = port,
		    .sin_addr = x->server };
		local.v4 = (struct sockaddr_in){ .sin_family = AF_INET,
		    .sin_port = htons(x->local_port) };
	}
	if (s < 0)
		return -errno;
	if (((x->local_port || (x->v6 && !IN6_IS_ADDR_UNSPECIFIED(&x->source6))) &&
	    (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, &local.sa, len) < 0)) ||
	    connect(s, &to.sa, len) < 0) {
		int err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* Waits until deadline for a datagram ok() accepts; its length, 0 or -errno. */
static ssize_t
wait_reply(int s, int64_t deadline, uint8_t *resp, size_t cap, accept_fn ok, void *arg)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		struct pollfd pfd = { s, POLLIN, 0 };
		if (left <= 0)
			return 0;
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr <= 0)
			continue;
		ssize_t n = recv(s, resp, cap, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n > 0 && (!ok || ok(resp, (size_t)n, arg)))
			return n;
	}
}

static ssize_t
transact(const struct pcpc_xfer *x, const uint8_t *req, size_t len, uint8_t *resp,
    size_t cap, accept_fn ok, void *arg)
{
	int64_t start = mono_ms(), rt = jitter(x->irt_ms ? x->irt_ms : IRT_MS);
	ssize_t n = -ETIMEDOUT;
	int s;

	if (!x->mrc && !x->mrd_ms)
		return -EINVAL;		/* would retry for ever */
	if ((s = open_connected(x)) < 0)
		return s;
	for (unsigned sent = 0; !x->mrc || sent < x->mrc; sent++) {
		int64_t deadline = mono_ms() + rt;
		if (x->mrd_ms && deadline > start + x->mrd_ms)
			deadline = start + x->mrd_ms;
		if (send(s, req, len, 0) < 0) {
			n = -errno;
			break;
		}
		n = wait_reply(s, deadline, resp, cap, ok, arg);
		if (n != 0)
			break;
		n = -ETIMEDOUT;
		if (x->mrd_ms && mono_ms() - start >= x->mrd_ms)
			break;
		rt = jitter(2 * rt < MRT_MS ? 2 * rt : MRT_MS);
	}
	close(s);
	return n;
}

ssize_t
pcpc_exchange(const struct pcpc_xfer *x, const uint8_t *req, size_t len,
    uint8_t *resp, size_t cap)
{
	return transact(x, req, len, resp, cap, NULL, NULL);
}

struct match_arg {
	const struct pcpc_msg	*req;
	struct pcpc_msg		*resp;
};

static bool
accept_match(const uint8_t *b, size_t len, void *arg)
{
	struct match_arg *ma = arg;

	return pcpc_parse(b, len, ma->resp) == 0 && pcpc_matches(ma->req, ma->resp);
}

int
pcpc_request(const struct pcpc_xfer *x, const struct pcpc_msg *req, struct pcpc_msg *resp)
{
	static const uint8_t zero[16];
	uint8_t buf[PCP_MAX_MSG], rbuf[PCP_MAX_MSG + 4];
	struct pcpc_msg m = *req;
	struct match_arg ma = { &m, resp };
	size_t len;
	ssize_t n;

	if (memcmp(m.client_ip, zero, 16) == 0) {
		struct in_addr local;
		int rc = pcpc_local_addr(x->server, &local);
		if (rc < 0)
			return rc;
		pcp_v4mapped(local, m.client_ip);
	}
	if ((len = pcpc_build(&m, buf, sizeof(buf))) == 0)
		return -EINVAL;
	n = transact(x, buf, len, rbuf, sizeof(rbuf), accept_match, &ma);
	return n < 0 ? (int)n : 0;
}
