/*
 * libFuzzer harness: GENA SUBSCRIBE, renewal and UNSUBSCRIBE as the HTTP
 * front-end hands them to gena.c (gena_subscribe, gena_unsubscribe), a run
 * of requests per input against the subscription table.
 *
 * The input is requests separated by a byte 0x01, each a few lines:
 *   "U" (UNSUBSCRIBE; SUBSCRIBE otherwise), "P n" (the peer, 192.168.1.n),
 *   "Q n" (the peer 2001:db8:1::n), "L n" (the peer fe80::n on interface 2),
 *   "V n" (the service), "C: x", "N: x", "S: x", "T: x" (CALLBACK, NT, SID,
 *   TIMEOUT); "S: $" stands for the SID the last grant returned.
 * Each input starts from an empty table and a fresh event loop (nothing is
 * sent: the loop never runs) and ends with both torn down, so a crash
 * replays from its input alone.
 *
 * Checked: the status is one GENA can give; a grant carries a well-formed
 * SID and a TIMEOUT of 1800..86400 s; a new subscription is granted only
 * for a callback on the subscriber itself, and never a fifth to one host.
 * No LAN is configured, so the neighbour table is never asked: an IPv4 peer
 * is a host of its own, and IPv6 peers fall back to one host per /64.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "upnp/upnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEERS		256
#define PER_HOST_MAX	4	/* GENA_MAX_PER_HOST */
#define MAX_LIVE	256	/* more than the table holds (128) */

enum fam { V4, V6, LINKLOCAL };

struct req {
	bool		 unsubscribe;
	enum fam	 fam;
	unsigned	 peer, svc;
	const char	*callback, *nt, *sid, *timeout;
};

static void
check_grant(const struct req *r, const struct gena_result *res, const struct gena_peer *peer)
{
	struct gena_callback cb;

	if (res->status != 200 && res->status != 400 && res->status != 412 && res->status != 503)
		__builtin_trap();
	if (res->status != 200 || r->unsubscribe)
		return;
	if (strncmp(res->sid, "uuid:", 5) != 0 || strlen(res->sid) != 5 + 36)
		__builtin_trap();
	if (res->timeout < 1800 || res->timeout > 86400)
		__builtin_trap();
	if (!r->sid && (gena_parse_callback(r->callback, &cb) < 0 || memcmp(&cb.addr, &peer->addr, 16) != 0))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *save = NULL, last_sid[64] = "";
	/* The subscriptions granted and not yet given up, to count them per host. */
	struct { char sid[64]; unsigned peer; } live[MAX_LIVE];
	size_t n_live = 0;
	unsigned per_host[PEERS + 2] = { 0 };	/* IPv4 peers, then the two /64s */

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ev_init();
	gena_init();
	for (char *block = strtok_r(text, "\x01", &save); block; block = strtok_r(NULL, "\x01", &save)) {
		struct req r = { .peer = 10 };
		struct gena_result res;
		char *lsave = NULL;

		for (char *l = strtok_r(block, "\n", &lsave); l; l = strtok_r(NULL, "\n", &lsave)) {
			if (l[0] == 'U')
				r.unsubscribe = true;
			else if ((l[0] == 'P' || l[0] == 'Q' || l[0] == 'L') && l[1] == ' ') {
				r.peer = (unsigned)atoi(l + 2) % PEERS;
				r.fam = l[0] == 'P' ? V4 : l[0] == 'Q' ? V6 : LINKLOCAL;
			}
			else if (l[0] == 'V' && l[1] == ' ')
				r.svc = (unsigned)atoi(l + 2) % SVC_COUNT;
			else if (!strncmp(l, "C: ", 3))
				r.callback = l + 3;
			else if (!strncmp(l, "N: ", 3))
				r.nt = l + 3;
			else if (!strncmp(l, "S: ", 3))
				r.sid = strcmp(l + 3, "$") ? l + 3 : last_sid;
			else if (!strncmp(l, "T: ", 3))
				r.timeout = l + 3;
		}
		struct gena_peer peer = { IN6ADDR_ANY_INIT, r.fam == LINKLOCAL ? 2 : 0 };
		unsigned host = r.fam == V4 ? r.peer : r.fam == V6 ? PEERS : PEERS + 1;
		if (r.fam == V4) {
			peer.addr.s6_addr[10] = peer.addr.s6_addr[11] = 0xff;
			peer.addr.s6_addr[12] = 192;
			peer.addr.s6_addr[13] = 168;
			peer.addr.s6_addr[14] = 1;
		} else {
			memcpy(peer.addr.s6_addr, r.fam == V6 ? "\x20\x01\x0d\xb8\0\x01" :
			    "\xfe\x80\0\0\0\0", 6);
		}
		peer.addr.s6_addr[15] = (uint8_t)r.peer;
		if (r.unsubscribe)
			gena_unsubscribe((enum upnp_svc)r.svc, &peer, r.callback, r.nt, r.sid, &res);
		else
			gena_subscribe((enum upnp_svc)r.svc, &peer, r.callback, r.nt, r.sid, r.timeout,
			    &res);
		check_grant(&r, &res, &peer);
		if (res.status == 200 && !r.unsubscribe && !r.sid) {
			if (++per_host[host] > PER_HOST_MAX || n_live == MAX_LIVE)
				__builtin_trap();
			snprintf(last_sid, sizeof(last_sid), "%s", res.sid);
			snprintf(live[n_live].sid, sizeof(live[n_live].sid), "%s", res.sid);
			live[n_live++].peer = host;
		}
		if (res.status == 200 && r.unsubscribe)
			for (size_t i = 0; i < n_live; i++)
				if (!strcmp(live[i].sid, r.sid)) {
					per_host[live[i].peer]--;
					live[i] = live[--n_live];
					break;
				}
	}
	gena_fini();
	ev_fini();
	free(text);
	return 0;
}
