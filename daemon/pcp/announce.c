/*
 * announce: the epoch both protocols report, and what the server says
 * without being asked.
 *
 *  - Epoch: seconds since the daemon started, restarted when the external
 *    address changes (RFC 6887 §8.5; RFC 6886 §3.6 asks for a reset when
 *    mapping state may be invalid, which a new address makes it).
 *  - Bursts: at start and after every external-address change, 10 rounds
 *    to 224.0.0.1:5350 from each LAN address, port 5351, 250 ms apart at
 *    first and doubling: a NAT-PMP op-128 address packet (RFC 6886 §3.2.1)
 *    and a PCP unsolicited ANNOUNCE (RFC 6887 §14.1.3), each with the
 *    epoch of the moment it leaves.
 *  - Mapping updates (RFC 6887 §14.2): after an address change every PCP
 *    mapping's last client endpoint gets its MAP or PEER response again,
 *    three times (0, 250 and 750 ms), with the new address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
#include "frontend.h"
#include "log.h"
#include "pcp_int.h"

#define BURST_COUNT	10
#define BURST_FIRST_MS	250
#define UPDATE_COUNT	3

static struct {
	bool			 running;
	const struct gateway	*gw;
	uint64_t		 epoch_base;
	int			 fds[CONFIG_MAX_LAN];
	int			 n;
	bool			 natpmp, pcp;
	struct ev_timer		 burst;
	int			 burst_sent;
	uint64_t		 burst_gap;
	struct ev_timer		 update;
	int			 update_sent;
} an;

static struct pcp_client_ref	*clients;
static size_t			 n_clients, clients_cap;
/* (proto, ext port) -> 1 + index into clients, 0 = none: O(1) at any size. */
static uint32_t			 client_slot[2][65536];

static uint32_t *
slot_of(uint8_t proto, uint16_t ext_port)
{
	return &client_slot[proto == IPPROTO_UDP][ext_port];
}

uint32_t
pcp_epoch(void)
{
	return (uint32_t)((mono_ms() - an.epoch_base) / 1000);
}

/* ---- who asked for each PCP mapping ---- */

static struct pcp_client_ref *
client_find(uint8_t proto, uint16_t ext_port)
{
	uint32_t i = *slot_of(proto, ext_port);

	return i ? &clients[i - 1] : NULL;
}

void
pcp_clients_note(uint8_t proto, uint16_t ext_port, struct in_addr addr, uint16_t port,
    bool third_party)
{
	struct pcp_client_ref *c = client_find(proto, ext_port);

	if (!c) {
		if (n_clients == clients_cap) {
			size_t ncap = clients_cap ? clients_cap * 2 : 64;
			struct pcp_client_ref *nc = realloc(clients, ncap * sizeof(*nc));
			if (!nc)
				return;		/* only costs a mapping update */
			clients = nc;
			clients_cap = ncap;
		}
		c = &clients[n_clients++];
		*slot_of(proto, ext_port) = (uint32_t)n_clients;
	}
	*c = (struct pcp_client_ref){ proto, ext_port, addr, port, third_party };
}

void
pcp_clients_forget(uint8_t proto, uint16_t ext_port)
{
	struct pcp_client_ref *c = client_find(proto, ext_port);

	if (!c)
		return;
	*slot_of(proto, ext_port) = 0;
	if (c != &clients[n_clients - 1]) {
		*c = clients[n_clients - 1];
		*slot_of(c->proto, c->ext_port) = (uint32_t)(c - clients) + 1;
	}
	n_clients--;
}

void
pcp_clients_reset(void)
{
	for (size_t i = 0; i < n_clients; i++)
		*slot_of(clients[i].proto, clients[i].ext_port) = 0;
	free(clients);
	clients = NULL;
	n_clients = clients_cap = 0;
}

size_t
pcp_clients_count(void)
{
	return n_clients;
}

const struct pcp_client_ref *
pcp_clients_at(size_t i)
{
	return i < n_clients ? &clients[i] : NULL;
}

static void
lease_changed(enum lease_event ev, const struct lease *l, void *arg)
{
	(void)arg;
	if (an.running && (ev == LEASE_REMOVED || ev == LEASE_EXPIRED))
		pcp_clients_forget(l->proto, l->ext_port);
}

/* The response a PCP client would get if it renewed lease l now. */
size_t
pcp_build_update(uint8_t *out, size_t outsz, const struct lease *l,
    const struct pcp_client_ref *c, uint32_t epoch)
{
	struct pcp_req r;
	struct pcp_answer a = { 0 };

	memset(&r, 0, sizeof(r));
	r.opcode = map_is_peer(l) ? PCP_OP_PEER : PCP_OP_MAP;
	memcpy(r.nonce, l->nonce, LEASE_NONCE_LEN);
	r.proto = l->proto;
	r.int_port = l->int_port;
	if (r.opcode == PCP_OP_PEER) {
		r.rem_port = l->remote_port;
		pcp_v4mapped(l->remote, r.rem_ip);
	} else if (l->remote.s_addr || l->remote_port) {
		r.n_filters = 1;
		r.filters[0].plen = 128;
		r.filters[0].port = l->remote_port;
		pcp_v4mapped(l->remote, r.filters[0].addr);
		a.echo_filters = true;
	}
	if (c->third_party) {
		r.third_party = true;
		pcp_v4mapped(l->int_addr, r.tp_addr);
	}
	a.lifetime = lease_seconds_left(l);
	a.ext_port = l->ext_port;
	a.ext_ip = lease_external();
	a.echo_ext = true;
	return pcp_build_success(out, outsz, &r, &a, epoch);
}

/* ---- sending ---- */

static void
send_to(int fd, const uint8_t *b, size_t len, struct in_addr to, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = to };

	if (sendto(fd, b, len, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		log_debug("pcp: announcement to %s:%u: %s", inet_ntoa(to), port, strerror(errno));
}

static void
burst_round(void)
{
	struct in_addr group = { htonl(0xe0000001) };	/* 224.0.0.1 */
	struct in_addr ext = lease_external();
	uint8_t b[PCP_HDR_LEN];
	uint32_t epoch = pcp_epoch();

	for (int i = 0; i < an.n; i++) {
		if (an.natpmp) {
			size_t n = natpmp_build_extaddr(b,
			    ext.s_addr ? NATPMP_SUCCESS : NATPMP_NETWORK_FAILURE, epoch, ext);
			send_to(an.fds[i], b, n, group, PCP_CLIENT_PORT);
		}
		if (an.pcp)
			send_to(an.fds[i], b, pcp_build_announce(b, epoch), group, PCP_CLIENT_PORT);
	}
}

static void
burst_fired(struct ev_timer *t)
{
	burst_round();
	if (++an.burst_sent >= BURST_COUNT)
		return;
	ev_timer_in(t, an.burst_gap);
	an.burst_gap *= 2;
}

static void
burst_start(void)
{
	an.burst_sent = 0;
	an.burst_gap = BURST_FIRST_MS;
	ev_timer_at(&an.burst, mono_ms());
}

static void
update_round(void)
{
	uint8_t b[PCP_MAX_MSG];
	uint32_t epoch = pcp_epoch();

	if (!lease_external().s_addr)
		return;
	for (size_t i = 0; i < n_clients; i++) {
		const struct pcp_client_ref *c = &clients[i];
		const struct lease *l = lease_find(c->proto, c->ext_port);
		const struct gw_lan *lan = gateway_lan_of(an.gw, c->addr);
		if (!l || l->owner != OWNER_PCP || !lan)
			continue;
		size_t n = pcp_build_update(b, sizeof(b), l, c, epoch);
		int idx = (int)(lan - an.gw->lan);
		if (n && idx < an.n && an.fds[idx] >= 0)
			send_to(an.fds[idx], b, n, c->addr, c->port);
	}
}

static void
update_fired(struct ev_timer *t)
{
	update_round();
	if (++an.update_sent < UPDATE_COUNT)
		ev_timer_in(t, (uint64_t)BURST_FIRST_MS << (an.update_sent - 1));
}

static void
external_changed(struct in_addr old_ext, struct in_addr new_ext, void *arg)
{
	char o[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];

	(void)arg;
	if (!an.running)
		return;
	inet_ntop(AF_INET, &old_ext, o, sizeof(o));
	inet_ntop(AF_INET, &new_ext, n, sizeof(n));
	log_info("pcp: external address %s -> %s: epoch reset, announcing", o, n);
	an.epoch_base = mono_ms();
	burst_start();
	if (an.pcp && n_clients) {
		an.update_sent = 0;
		ev_timer_at(&an.update, mono_ms());
	}
}

void
announce_init(const struct gateway *gw, const int *fds, int n, bool natpmp, bool pcp)
{
	an.gw = gw;
	an.n = n;
	memcpy(an.fds, fds, (size_t)n * sizeof(*fds));
	an.natpmp = natpmp;
	an.pcp = pcp;
	an.epoch_base = gw->start_ms;
	ev_timer_init(&an.burst, burst_fired);
	ev_timer_init(&an.update, update_fired);
	/* There is no unregister: fini only sets running to false. */
	lease_listen(lease_changed, NULL);
	lease_listen_external(external_changed, NULL);
	an.running = true;
	burst_start();
}

void
announce_fini(void)
{
	an.running = false;
	ev_timer_cancel(&an.burst);
	ev_timer_cancel(&an.update);
	pcp_clients_reset();
}
