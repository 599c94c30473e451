/*
 * client_natpmp: NAT-PMP (RFC 6886) through libnatpmp. libnatpmp retries on
 * its own schedule for up to a minute; we bound each request by the
 * handle's timeout instead, so the protocol order moves on quickly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include <natpmp.h>

#include "phc.h"

/* libnatpmp's codes (local ones and the server's result codes) to ours. */
static int
natpmp_error(int r)
{
	switch (r) {
	case 0:
		return 0;
	case NATPMP_ERR_NOGATEWAYSUPPORT:
		return PORTHOLE_ERR_TIMEOUT;
	case NATPMP_ERR_UNSUPPORTEDVERSION:
	case NATPMP_ERR_UNSUPPORTEDOPCODE:
		return PORTHOLE_ERR_UNSUPPORTED;
	case NATPMP_ERR_NOTAUTHORIZED:
		return PORTHOLE_ERR_DENIED;
	case NATPMP_ERR_NETWORKFAILURE:
		return PORTHOLE_ERR_NETWORK;
	case NATPMP_ERR_OUTOFRESOURCES:
		return PORTHOLE_ERR_NORESOURCES;
	case NATPMP_ERR_SOCKETERROR:
	case NATPMP_ERR_CONNECTERR:
	case NATPMP_ERR_SENDERR:
	case NATPMP_ERR_RECVFROM:
		return PORTHOLE_ERR_SYSTEM;
	}
	return PORTHOLE_ERR_PROTOCOL;
}

/* Sends the request already queued in n and waits for its answer. */
static int
natpmp_wait(struct porthole *ph, natpmp_t *n, natpmpresp_t *resp)
{
	int64_t deadline = mono_ms() + ph->o.timeout_ms;
	struct timeval tv;
	fd_set fds;
	int64_t left;
	int r;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0)
			return PORTHOLE_ERR_TIMEOUT;
		if (getnatpmprequesttimeout(n, &tv) < 0)
			return PORTHOLE_ERR_SYSTEM;
		if ((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 > left) {
			tv.tv_sec = left / 1000;
			tv.tv_usec = (left % 1000) * 1000;
		}
		FD_ZERO(&fds);
		FD_SET(n->s, &fds);
		if (select(n->s + 1, &fds, NULL, NULL, &tv) < 0 && errno != EINTR)
			return PORTHOLE_ERR_SYSTEM;
		r = readnatpmpresponseorretry(n, resp);
		if (r == NATPMP_TRYAGAIN)
			continue;
		if (r == NATPMP_ERR_RECVFROM && errno == ECONNREFUSED) {
			ph->probe_refused = true;
			return PORTHOLE_ERR_UNSUPPORTED;
		}
		return natpmp_error(r);
	}
}

static int
natpmp_fail(struct porthole *ph, int rc, const char *what)
{
	char gw[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ph->gw, gw, sizeof(gw));
	switch (rc) {
	case PORTHOLE_ERR_TIMEOUT:
		return phc_fail(ph, rc, "%s: gateway %s did not answer NAT-PMP within %d ms: "
		    "is it up, and is NAT-PMP enabled on it?", what, gw, ph->o.timeout_ms);
	case PORTHOLE_ERR_UNSUPPORTED:
		return phc_fail(ph, rc, "%s: gateway %s does not offer NAT-PMP: try "
		    "--protocol auto", what, gw);
	case PORTHOLE_ERR_SYSTEM:
		return phc_fail(ph, rc, "%s: NAT-PMP to %s: %s", what, gw, strerror(errno));
	}
	return phc_fail(ph, rc, "%s: gateway %s (NAT-PMP): %s", what, gw,
	    porthole_strerror(rc));
}

/* Runs one exchange: public address (proto 0) or a mapping request. */
static int
natpmp_exchange(struct porthole *ph, int proto, uint16_t port, uint16_t ext,
    uint32_t lifetime, natpmpresp_t *resp)
{
	natpmp_t n;
	int r;

	if (initnatpmp(&n, 1, ph->gw.s_addr) < 0)
		return PORTHOLE_ERR_SYSTEM;
	if (proto == 0)
		r = sendpublicaddressrequest(&n);
	else
		r = sendnewportmappingrequest(&n, proto, port, ext, lifetime);
	if (r < 0) {
		r = errno == ECONNREFUSED ? PORTHOLE_ERR_UNSUPPORTED : PORTHOLE_ERR_SYSTEM;
		closenatpmp(&n);
		return r;
	}
	r = natpmp_wait(ph, &n, resp);
	closenatpmp(&n);
	return r;
}

static int
natpmp_probe(struct porthole *ph)
{
	natpmpresp_t resp;
	int rc;

	rc = natpmp_exchange(ph, 0, 0, 0, 0, &resp);
	if (rc != 0)
		return natpmp_fail(ph, rc, "external address");
	if (resp.pnu.publicaddress.addr.s_addr == 0)
		return natpmp_fail(ph, PORTHOLE_ERR_NETWORK, "external address");
	ph->ext = resp.pnu.publicaddress.addr;
	phc_epoch_update(ph, resp.epoch);
	return 0;
}

static int
natpmp_map(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	natpmpresp_t resp;
	char label[16];
	int proto = m->proto == IPPROTO_UDP ? NATPMP_PROTOCOL_UDP : NATPMP_PROTOCOL_TCP;
	int rc;

	phc_port_label(label, sizeof(label), m);
	/* The mapping reply has no address in it: learn it (and the epoch) first. */
	if (lifetime != 0 && (rc = natpmp_probe(ph)) != 0)
		return rc;
	rc = natpmp_exchange(ph, proto, m->internal_port,
	    lifetime != 0 ? m->internal_port : 0, lifetime, &resp);
	if (rc != 0)
		return natpmp_fail(ph, rc, label);
	if (resp.pnu.newportmapping.privateport != m->internal_port)
		return natpmp_fail(ph, PORTHOLE_ERR_PROTOCOL, label);
	phc_epoch_update(ph, resp.epoch);
	if (lifetime == 0)
		return 0;
	m->external_addr = ph->ext;
	m->external_port = resp.pnu.newportmapping.mappedpublicport;
	m->lifetime = resp.pnu.newportmapping.lifetime;
	if (m->external_port == 0 || m->lifetime == 0)
		return natpmp_fail(ph, PORTHOLE_ERR_PROTOCOL, label);
	return 0;
}

/*
 * The external address alone, for PCP, which has no request for it. The
 * epoch is left alone: it belongs to the other protocol's clock.
 */
int
phc_natpmp_address(struct porthole *ph, struct in_addr *ext)
{
	natpmpresp_t resp;

	if (natpmp_exchange(ph, 0, 0, 0, 0, &resp) != 0 ||
	    resp.pnu.publicaddress.addr.s_addr == 0)
		return -1;
	*ext = resp.pnu.publicaddress.addr;
	return 0;
}

/* NAT-PMP cannot list mappings; a gateway that restarted has lost them. */
static int
natpmp_query(struct porthole *ph, struct porthole_mapping *m)
{
	char label[16];
	int rc;

	if ((rc = natpmp_probe(ph)) != 0)
		return rc;
	if (phc_epoch_lost(m->epoch, m->obtained * 1000, ph->epoch, (int64_t)time(NULL) * 1000)) {
		phc_port_label(label, sizeof(label), m);
		return phc_fail(ph, PORTHOLE_ERR_LOST, "%s: the gateway restarted since it was "
		    "mapped (NAT-PMP epoch %u, was %u): map again", label, ph->epoch, m->epoch);
	}
	return 0;
}

static void
natpmp_fini(struct porthole *ph)
{
	(void)ph;
}

const struct phc_method phc_natpmp = {
	.id = PORTHOLE_NATPMP,
	.probe = natpmp_probe,
	.map = natpmp_map,
	.query = natpmp_query,
	.fini = natpmp_fini,
};
