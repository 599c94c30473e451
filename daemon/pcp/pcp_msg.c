/*
 * pcp_msg: the PCP (RFC 6887) wire format. Pure functions: pcp_parse()
 * applies the checks of §8.2 in the RFC's order and the option rules of
 * §7.3 and §13, and returns the result code the RFC names (or PCP_DROP);
 * the builders lay out responses. Every length is checked before a copy.
 */
#include <arpa/inet.h>
#include <string.h>

#include "pcp_int.h"
#include "wire.h"

/* §7.4: which errors are long-lived (30 min) and which short (30 s). */
uint32_t
pcp_error_lifetime(int result)
{
	switch (result) {
	case PCP_NETWORK_FAILURE:
	case PCP_NO_RESOURCES:
	case PCP_USER_EX_QUOTA:
	case PCP_CANNOT_PROVIDE_EXTERNAL:
		return PCP_SHORT_ERR_LIFETIME;
	default:
		return PCP_LONG_ERR_LIFETIME;
	}
}

static void
parse_mapping(const uint8_t *b, struct pcp_req *r)
{
	memcpy(r->nonce, b + 24, LEASE_NONCE_LEN);
	r->proto = b[36];
	r->int_port = get16(b + 40);
	r->ext_port = get16(b + 42);
	memcpy(r->ext_ip, b + 44, 16);
	if (r->opcode == PCP_OP_PEER) {
		r->rem_port = get16(b + 60);
		memcpy(r->rem_ip, b + 64, 16);
	}
}

/* A remote peer we could ever exchange packets with (§12.3), of the request's family. */
static bool
peer_addr_valid(const uint8_t ip[16], bool v6)
{
	struct in6_addr a6;
	struct in_addr a;
	uint32_t h;

	if (v6) {
		/* beyond the WAN: not unspecified, loopback, multicast, link-local or IPv4 */
		memcpy(&a6, ip, 16);
		return !pcp_is_v4mapped(ip, NULL) && !IN6_IS_ADDR_UNSPECIFIED(&a6) &&
		    !IN6_IS_ADDR_LOOPBACK(&a6) && !IN6_IS_ADDR_MULTICAST(&a6) &&
		    !IN6_IS_ADDR_LINKLOCAL(&a6);
	}
	if (!pcp_is_v4mapped(ip, &a))
		return false;
	h = ntohl(a.s_addr);
	return h != 0 && h >> 24 != 127 && h >> 28 != 0xe && h != 0xffffffffu;
}

/* §11.1, §11.3, §12.1: field combinations that make no sense. */
static int
check_fields(const struct pcp_req *r)
{
	if (r->opcode == PCP_OP_MAP && r->proto == 0 && r->int_port != 0)
		return PCP_MALFORMED_REQUEST;
	if (r->opcode == PCP_OP_PEER &&
	    (r->proto == 0 || r->int_port == 0 || r->rem_port == 0 ||
	    !peer_addr_valid(r->rem_ip, r->v6)))
		return PCP_MALFORMED_REQUEST;
	return 0;
}

/* §7.3: the option structure must parse as a whole before any is used. */
static int
check_option_structure(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 4)
			return PCP_MALFORMED_OPTION;
		size_t padded = pcp_option_padded(get16(p + off + 2));
		if (padded > len - off - 4)
			return PCP_MALFORMED_OPTION;
		off += 4 + padded;
	}
	return 0;
}

/* §13.3: IPv4-mapped prefixes are 96..128; 0 means "remove all filters". */
static int
parse_filter(const uint8_t *d, struct pcp_req *r)
{
	struct pcp_filter *f;

	if (r->n_filters == PCP_MAX_FILTERS)
		return PCP_EXCESSIVE_REMOTE_PEERS;
	f = &r->filters[r->n_filters];
	f->plen = d[1];
	f->port = get16(d + 2);
	memcpy(f->addr, d + 4, 16);
	if (f->plen > 128)
		return PCP_MALFORMED_OPTION;
	/* The remote peer is always in the internal address's family (§10). */
	if (f->plen != 0 && (r->v6 ? pcp_is_v4mapped(f->addr, NULL) :
	    !pcp_is_v4mapped(f->addr, NULL) || f->plen < 96))
		return PCP_MALFORMED_OPTION;
	r->n_filters++;
	return 0;
}

static int
parse_option(uint8_t code, const uint8_t *d, size_t olen, struct pcp_req *r)
{
	switch (code) {
	case PCP_OPT_THIRD_PARTY:
		if (r->opcode == PCP_OP_ANNOUNCE || r->third_party || olen != 16)
			return PCP_MALFORMED_OPTION;
		if (pcp_is_v4mapped(d, NULL) == r->v6 || pcp_is_unspecified(d))
			return PCP_MALFORMED_OPTION;
		r->third_party = true;
		memcpy(r->tp_addr, d, 16);
		return 0;
	case PCP_OPT_PREFER_FAILURE:
		if (r->opcode == PCP_OP_PEER)
			return PCP_MALFORMED_REQUEST;	/* §12.1 */
		if (r->opcode != PCP_OP_MAP || r->prefer_failure || olen != 0)
			return PCP_MALFORMED_OPTION;
		r->prefer_failure = true;
		return 0;
	case PCP_OPT_FILTER:
		if (r->opcode != PCP_OP_MAP || olen != 20)
			return PCP_MALFORMED_OPTION;
		return parse_filter(d, r);
	case PCP_OPT_DESCRIPTION:
		/* RFC 7220 §2: MAP and PEER only, once; a longer text is cut (§3). */
		if (r->opcode == PCP_OP_ANNOUNCE || r->has_desc)
			return PCP_MALFORMED_OPTION;
		r->has_desc = true;
		pcp_desc_clean(r->desc, sizeof(r->desc), d, olen);
		return 0;
	default:
		/* Mandatory and unknown: refuse; optional and unknown: skip. */
		return code < 128 ? PCP_UNSUPP_OPTION : 0;
	}
}

static int
parse_options(const uint8_t *p, size_t len, const uint8_t src[16], struct pcp_req *r)
{
	int rc;

	if ((rc = check_option_structure(p, len)) != 0)
		return rc;
	for (size_t off = 0; off < len;) {
		size_t olen = get16(p + off + 2);
		if ((rc = parse_option(p[off], p + off + 4, olen, r)) != 0)
			return rc;
		off += PCP_OPT_HDR_LEN + pcp_option_padded(olen);
	}
	/* §11.3, §13.2, §13.3: options that make no sense with these fields. */
	if (r->prefer_failure && (r->lifetime == 0 || r->ext_port == 0))
		return PCP_MALFORMED_OPTION;
	if (r->n_filters && r->lifetime == 0)
		return PCP_MALFORMED_OPTION;
	/* §13.1: naming yourself as the third party is a malformed request. */
	if (r->third_party && memcmp(r->tp_addr, src, 16) == 0)
		return PCP_MALFORMED_REQUEST;
	return 0;
}

/*
 * Returns PCP_DROP (say nothing), 0 with *r filled, or the result code for
 * an error response. src is the packet's source address in the PCP form
 * (IPv4-mapped for IPv4); its family is the family of every address the
 * request may name (§10).
 */
int
pcp_parse(const uint8_t *b, size_t len, const uint8_t src[16], struct pcp_req *r)
{
	size_t need;
	int rc;

	if (len < 2 || b[1] & 0x80)
		return PCP_DROP;
	if (b[0] != PCP_VERSION)
		return PCP_UNSUPP_VERSION;
	if (len < PCP_HDR_LEN)
		return PCP_DROP;
	memset(r, 0, sizeof(*r));
	r->opcode = b[1];
	r->lifetime = get32(b + 4);
	memcpy(r->client_ip, b + 8, 16);
	r->v6 = !pcp_is_v4mapped(src, NULL);
	need = pcp_opcode_len(r->opcode);
	if (len > PCP_MAX_MSG || len % 4 != 0 || len < need)
		return PCP_MALFORMED_REQUEST;
	if (memcmp(r->client_ip, src, 16) != 0)
		return PCP_ADDRESS_MISMATCH;
	if (need == 0)
		return PCP_UNSUPP_OPCODE;
	if (r->opcode != PCP_OP_ANNOUNCE)
		parse_mapping(b, r);
	if ((rc = check_fields(r)) != 0)
		return rc;
	return parse_options(b + need, len - need, src, r);
}

/*
 * §8.2: an error response is the request (at most 1100 bytes, padded to a
 * multiple of 4) with R, result, lifetime and epoch set. When the request
 * was parsed, the reserved bytes 12-23 are zero; otherwise they keep the
 * tail of the client address, as the RFC asks.
 */
size_t
pcp_build_error(uint8_t *out, size_t outsz, const uint8_t *req, size_t len,
    int result, uint32_t lifetime, uint32_t epoch, bool parsed)
{
	size_t n = len > PCP_MAX_MSG ? PCP_MAX_MSG : len;
	size_t outlen = (n + 3) & ~(size_t)3;

	if (outlen < PCP_HDR_LEN)
		outlen = PCP_HDR_LEN;
	if (outlen > outsz || len < 2)
		return 0;
	memset(out, 0, outlen);
	memcpy(out, req, n);
	out[0] = PCP_VERSION;		/* §9: the nearest version we speak */
	out[1] |= 0x80;
	out[2] = 0;
	out[3] = (uint8_t)result;
	put32(out + 4, lifetime);
	put32(out + 8, epoch);
	if (parsed)
		memset(out + 12, 0, 12);
	return outlen;
}

static void
build_header(uint8_t *out, uint8_t opcode, uint8_t result, uint32_t lifetime, uint32_t epoch)
{
	memset(out, 0, PCP_HDR_LEN);
	out[0] = PCP_VERSION;
	out[1] = 0x80 | opcode;
	out[3] = result;
	put32(out + 4, lifetime);
	put32(out + 8, epoch);
}

size_t
pcp_build_announce(uint8_t *out, uint32_t epoch)
{
	build_header(out, PCP_OP_ANNOUNCE, PCP_SUCCESS, 0, epoch);
	return PCP_HDR_LEN;
}

static size_t
put_option(uint8_t *p, uint8_t code, const void *data, uint16_t len)
{
	p[0] = code;
	p[1] = 0;
	put16(p + 2, len);
	if (len)
		memcpy(p + 4, data, len);
	return PCP_OPT_HDR_LEN + pcp_option_padded(len);
}

static size_t
put_filter(uint8_t *p, const struct pcp_filter *f)
{
	uint8_t d[20] = { 0 };

	d[1] = f->plen;
	put16(d + 2, f->port);
	memcpy(d + 4, f->addr, 16);
	return put_option(p, PCP_OPT_FILTER, d, sizeof(d));
}

/* §8.2, §11.1, §12.1: a success response echoes only processed options. */
size_t
pcp_build_success(uint8_t *out, size_t outsz, const struct pcp_req *r,
    const struct pcp_answer *a, uint32_t epoch)
{
	size_t len = pcp_opcode_len(r->opcode), desc_len = a->echo_desc ? strlen(r->desc) : 0;
	size_t need = len + (r->third_party ? 20 : 0) + (r->prefer_failure ? 4 : 0) +
	    (a->echo_filters ? r->n_filters * 24 : 0) +
	    (a->echo_desc ? PCP_OPT_HDR_LEN + pcp_option_padded(desc_len) : 0);

	if (len == 0 || need > outsz || need > PCP_MAX_MSG)
		return 0;
	memset(out, 0, need);
	build_header(out, r->opcode, PCP_SUCCESS, a->lifetime, epoch);
	if (r->opcode != PCP_OP_ANNOUNCE) {
		memcpy(out + 24, r->nonce, LEASE_NONCE_LEN);
		out[36] = r->proto;
		put16(out + 40, r->int_port);
		if (a->echo_ext && a->ext_is_v6) {
			put16(out + 42, a->ext_port);
			memcpy(out + 44, &a->ext_ip6, 16);
		} else if (a->echo_ext) {
			put16(out + 42, a->ext_port);
			pcp_v4mapped(a->ext_ip, out + 44);
		} else {
			put16(out + 42, r->ext_port);
			memcpy(out + 44, r->ext_ip, 16);
		}
	}
	if (r->opcode == PCP_OP_PEER) {
		put16(out + 60, r->rem_port);
		memcpy(out + 64, r->rem_ip, 16);
	}
	if (r->third_party)
		len += put_option(out + len, PCP_OPT_THIRD_PARTY, r->tp_addr, 16);
	if (r->prefer_failure)
		len += put_option(out + len, PCP_OPT_PREFER_FAILURE, NULL, 0);
	for (size_t i = 0; a->echo_filters && i < r->n_filters; i++)
		len += put_filter(out + len, &r->filters[i]);
	/* RFC 7220 §3: the description as stored, which may be cut short. */
	if (a->echo_desc)
		len += put_option(out + len, PCP_OPT_DESCRIPTION, r->desc, (uint16_t)desc_len);
	return len;
}
