/*
 * client_pcp: PCP (RFC 6887) MAP and ANNOUNCE through pcp_client.c. The
 * retransmission starts at 250 ms rather than §8.1.1's 3 s, and gives up
 * after the handle's timeout, because the protocol order has two more
 * protocols to try on a LAN where answers take milliseconds. PCP has no
 * "external address" request: it comes with each MAP reply, and a bare
 * probe asks NAT-PMP for it when the gateway also speaks that.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pcp_client.h"
#include "phc.h"

#define PCP_FIRST_WAIT_MS	250

static void
xfer_init(const struct porthole *ph, int family, struct pcpc_xfer *x)
{
	memset(x, 0, sizeof(*x));
	x->server = ph->gw;
	x->v6 = family == AF_INET6;
	x->server6 = ph->gw6;
	x->scope_id = ph->gw6_scope;
	x->irt_ms = PCP_FIRST_WAIT_MS;
	x->mrd_ms = (unsigned)ph->o.timeout_ms;
}

static int
pcp_code(int result)
{
	switch (result) {
	case PCP_SUCCESS:
		return 0;
	case PCP_UNSUPP_VERSION:
	case PCP_UNSUPP_OPCODE:
		return PORTHOLE_ERR_UNSUPPORTED;
	case PCP_NOT_AUTHORIZED:
		return PORTHOLE_ERR_DENIED;
	case PCP_NETWORK_FAILURE:
		return PORTHOLE_ERR_NETWORK;
	case PCP_NO_RESOURCES:
	case PCP_USER_EX_QUOTA:
		return PORTHOLE_ERR_NORESOURCES;
	case PCP_CANNOT_PROVIDE_EXTERNAL:
		return PORTHOLE_ERR_TAKEN;
	}
	return PORTHOLE_ERR_PROTOCOL;
}

static int
pcp_fail(struct porthole *ph, int family, int rc, const char *what, int result)
{
	char gw[INET6_ADDRSTRLEN + 2];

	phc_gw_text(ph, family, gw, sizeof(gw));
	switch (rc) {
	case PORTHOLE_ERR_TIMEOUT:
		return phc_fail(ph, rc, "%s: gateway %s did not answer PCP within %d ms: is it "
		    "up, and is PCP enabled on it?", what, gw, ph->o.timeout_ms);
	case PORTHOLE_ERR_UNSUPPORTED:
		return phc_fail(ph, rc, "%s: gateway %s does not offer PCP: try --protocol "
		    "auto", what, gw);
	case PORTHOLE_ERR_SYSTEM:
		return phc_fail(ph, rc, "%s: PCP to %s: %s", what, gw, strerror(errno));
	}
	if (result == PCP_NOT_AUTHORIZED)
		return phc_fail(ph, rc, "%s: gateway %s (PCP) said NOT_AUTHORIZED: its policy "
		    "refuses this host or port, or another program mapped it with another "
		    "nonce (unmap it there, or wait for its lease to end)", what, gw);
	return phc_fail(ph, rc, "%s: gateway %s (PCP) said %s: %s", what, gw,
	    pcp_result_name(result), porthole_strerror(rc));
}

/*
 * One request over family; the porthole code, with resp filled on 0. Over
 * IPv6 the client IP field is our stable address (§8.1: the source the
 * server sees), which the request is sent from: the kernel might pick a
 * privacy address instead.
 */
static int
pcp_ask(struct porthole *ph, int family, const struct pcpc_msg *req, struct pcpc_msg *resp,
    int *result)
{
	struct pcpc_xfer x;
	int r;

	*result = -1;
	xfer_init(ph, family, &x);
	if (x.v6)
		memcpy(&x.source6, req->client_ip, 16);
	r = pcpc_request(&x, req, resp);
	if (r == -ETIMEDOUT)
		return PORTHOLE_ERR_TIMEOUT;
	if (r == -ECONNREFUSED) {
		ph->probe_refused = true;
		return PORTHOLE_ERR_UNSUPPORTED;
	}
	if (r < 0) {
		errno = -r;
		return PORTHOLE_ERR_SYSTEM;
	}
	*result = resp->result;
	if (resp->version != PCP_VERSION)
		return PORTHOLE_ERR_UNSUPPORTED;	/* a NAT-PMP-only server */
	return pcp_code(resp->result);
}

/* The header every request of ours starts with, from our address in family. */
static void
req_init(const struct porthole *ph, int family, uint8_t opcode, struct pcpc_msg *req)
{
	memset(req, 0, sizeof(*req));
	req->version = PCP_VERSION;
	req->opcode = opcode;
	if (family == AF_INET6)
		memcpy(req->client_ip, &ph->local6, 16);
}

static void
epoch_heard(struct porthole *ph, int family, uint32_t epoch)
{
	if (family == AF_INET6)
		phc_epoch6_update(ph, epoch);
	else
		phc_epoch_update(ph, epoch);
}

/* ANNOUNCE: is PCP there, and what is its epoch? */
static int
pcp_announce(struct porthole *ph, int family, uint32_t *epoch)
{
	struct pcpc_msg req, resp;
	int rc, result;

	req_init(ph, family, PCP_OP_ANNOUNCE, &req);
	if ((rc = pcp_ask(ph, family, &req, &resp, &result)) != 0)
		return pcp_fail(ph, family, rc, "announce", result);
	*epoch = resp.epoch;
	epoch_heard(ph, family, resp.epoch);
	return 0;
}

static int
pcp_probe(struct porthole *ph)
{
	struct in_addr ext;
	uint32_t epoch;
	int rc;

	if ((rc = pcp_announce(ph, AF_INET, &epoch)) != 0)
		return rc;
	if (phc_natpmp_address(ph, &ext) == 0)
		ph->ext = ext;
	return 0;
}

static int
pcp_probe6(struct porthole *ph)
{
	uint32_t epoch;

	return pcp_announce(ph, AF_INET6, &epoch);
}

/*
 * The reply's external end (§11.4). Over IPv4 NAT: what the gateway
 * assigned. An IPv6 pinhole translates nothing (§11.3, a firewall): the
 * address must be ours, the port is checked by the caller.
 */
static int
take_external(struct porthole *ph, struct porthole_mapping *m, const struct pcpc_msg *resp,
    const char *label)
{
	struct in_addr ext;

	if (resp->ext_port == 0 || resp->lifetime == 0)
		return pcp_fail(ph, m->family, PORTHOLE_ERR_PROTOCOL, label, PCP_SUCCESS);
	if (m->family == AF_INET6) {
		if (memcmp(resp->ext_ip, &m->address6, 16) != 0)
			return phc_fail(ph, PORTHOLE_ERR_PROTOCOL, "%s: the gateway (PCP over "
			    "IPv6) answered with another external address: it translates IPv6 "
			    "(NPTv6?), which porthole does not follow", label);
	} else {
		if (!pcp_is_v4mapped(resp->ext_ip, &ext))
			return pcp_fail(ph, m->family, PORTHOLE_ERR_PROTOCOL, label, PCP_SUCCESS);
		m->external_addr = ext;
		ph->ext = ext;
	}
	m->external_port = resp->ext_port;
	/* A gateway answers the longest lifetime the field holds for a mapping
	 * that never expires (a static one, which it will not take back):
	 * there is nothing to renew. */
	m->lifetime = resp->lifetime == UINT32_MAX ? 0 : resp->lifetime;
	return 0;
}

static int
pcp_map(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	static const uint8_t zero[PCP_NONCE_LEN];
	struct pcpc_msg req, resp;
	struct in_addr none = { 0 };
	char label[16];
	int rc, result;

	phc_port_label(label, sizeof(label), m);
	if (memcmp(m->nonce, zero, sizeof(zero)) == 0 && pcpc_nonce(m->nonce) != 0)
		return phc_fail(ph, PORTHOLE_ERR_SYSTEM, "%s: no random bytes for a PCP nonce",
		    label);
	req_init(ph, m->family, PCP_OP_MAP, &req);
	req.lifetime = lifetime;
	memcpy(req.nonce, m->nonce, sizeof(req.nonce));
	req.proto = m->proto;
	req.int_port = m->internal_port;
	req.ext_port = lifetime != 0 ? m->internal_port : m->external_port;
	if (m->family == AF_INET6) {
		/* Asked from the pinhole's own address (a delete: the one it was for). */
		memcpy(req.client_ip, &m->address6, 16);
		memcpy(req.ext_ip, &m->address6, 16);
	} else {
		pcp_v4mapped(lifetime != 0 ? none : m->external_addr, req.ext_ip);
	}
	/* RFC 7220: the gateway's listing names the service ("porthole smtp"). */
	if (lifetime != 0)
		snprintf(req.description, sizeof(req.description), "%s%s%s", ph->desc,
		    m->name[0] ? " " : "", m->name);
	rc = pcp_ask(ph, m->family, &req, &resp, &result);
	/* Some servers (miniupnpd 2.3) misread an option whose length is not a
	 * multiple of 4 and answer MALFORMED_OPTION: ask again without it. */
	if (rc != 0 && result == PCP_MALFORMED_OPTION && req.description[0]) {
		phc_log(ph, LOG_DEBUG, "%s: gateway refused the PCP DESCRIPTION option; "
		    "asking without it", label);
		req.description[0] = '\0';
		rc = pcp_ask(ph, m->family, &req, &resp, &result);
	}
	if (rc != 0)
		return pcp_fail(ph, m->family, rc, label, result);
	epoch_heard(ph, m->family, resp.epoch);
	if (lifetime == 0)
		return 0;
	return take_external(ph, m, &resp, label);
}

/* PCP cannot list mappings; a gateway whose epoch went back has lost them. */
static int
pcp_query(struct porthole *ph, struct porthole_mapping *m)
{
	char label[16];
	uint32_t epoch;
	int rc;

	if ((rc = pcp_announce(ph, m->family, &epoch)) != 0)
		return rc;
	if (phc_epoch_lost(m->epoch, m->obtained * 1000, epoch, (int64_t)time(NULL) * 1000)) {
		phc_port_label(label, sizeof(label), m);
		return phc_fail(ph, PORTHOLE_ERR_LOST, "%s: the gateway restarted since it was "
		    "mapped (PCP epoch %u, was %u): map again", label, epoch, m->epoch);
	}
	return 0;
}

static void
pcp_fini(struct porthole *ph)
{
	(void)ph;
}

const struct phc_method phc_pcp = {
	.id = PORTHOLE_PCP,
	.probe = pcp_probe,
	.probe6 = pcp_probe6,
	.map = pcp_map,
	.query = pcp_query,
	.fini = pcp_fini,
};
