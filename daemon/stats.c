/*
 * stats: see stats.h. Counters are plain integers touched from the single
 * event loop; rendering walks the lease table once.
 */
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pinhole.h"
#include "pubaddr.h"
#include "sbuf.h"

static uint64_t requests[OWNER_COUNT], errors[OWNER_COUNT];
static uint64_t refused[REFUSED_COUNT];
static uint64_t added, removed, expired;

static const char *const refusal_names[REFUSED_COUNT] = {
	[REFUSED_POLICY] = "policy", [REFUSED_THIRD_PARTY] = "third_party",
	[REFUSED_CONFLICT] = "conflict", [REFUSED_QUOTA] = "quota",
	[REFUSED_FULL] = "full", [REFUSED_RATE] = "rate_limit",
	[REFUSED_MALFORMED] = "malformed", [REFUSED_KERNEL] = "kernel",
	[REFUSED_UPSTREAM] = "upstream",
};

static const char *const refusal_text[REFUSED_COUNT] = {
	[REFUSED_POLICY] = "not permitted (no rule allows it, or the mapping is another client's)",
	[REFUSED_THIRD_PARTY] = "it names another host, which no rule allows",
	[REFUSED_CONFLICT] = "the port is held by another host, a static mapping or the gateway itself",
	[REFUSED_QUOTA] = "the host has used its max_per_host quota",
	[REFUSED_FULL] = "no free port or the table is full (max_leases)",
	[REFUSED_RATE] = "over the per-host rate limit",
	[REFUSED_MALFORMED] = "malformed request",
	[REFUSED_KERNEL] = "the kernel refused it",
	[REFUSED_UPSTREAM] = "the gateway in front refused it or did not answer",
};

const char *
stats_refusal_name(enum refusal why)
{
	return why < REFUSED_COUNT ? refusal_names[why] : "?";
}

enum refusal
stats_refusal_of(int rc)
{
	switch (rc) {
	case -EEXIST: return REFUSED_CONFLICT;
	case -EADDRINUSE: return REFUSED_CONFLICT;
	case -EADDRNOTAVAIL: return REFUSED_POLICY;
	case -EDQUOT: return REFUSED_QUOTA;
	case -ENOSPC: return REFUSED_FULL;
	case -EINVAL: return REFUSED_MALFORMED;
	default: return REFUSED_KERNEL;
	}
}

static void
lease_changed(enum lease_event ev, const struct lease *l, void *arg)
{
	char ia[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN + 16] = "";

	(void)arg;
	inet_ntop(AF_INET, &l->int_addr, ia, sizeof(ia));
	if (l->remote.s_addr)
		snprintf(ra, sizeof(ra), " from %s", inet_ntoa(l->remote));
	switch (ev) {
	case LEASE_ADDED:
		added++;
		if (!lease_permanent(l))
			log_info("mapping added: %s %s %u -> %s:%u%s, lease %us (%s)",
			    lease_owner_name(l->owner), lease_proto_name(l->proto), l->ext_port, ia,
			    l->int_port, ra, lease_seconds_left(l), l->desc);
		else
			log_info("mapping added: %s %s %u -> %s:%u%s, permanent (%s)",
			    lease_owner_name(l->owner), lease_proto_name(l->proto), l->ext_port, ia,
			    l->int_port, ra, l->desc);
		break;
	case LEASE_UPDATED:
		log_debug("mapping renewed: %s %s %u -> %s:%u", lease_owner_name(l->owner),
		    lease_proto_name(l->proto), l->ext_port, ia, l->int_port);
		break;
	case LEASE_REMOVED:
	case LEASE_EXPIRED:
		if (ev == LEASE_EXPIRED)
			expired++;
		else
			removed++;
		log_info("mapping %s: %s %s %u -> %s:%u", ev == LEASE_EXPIRED ? "expired" : "removed",
		    lease_owner_name(l->owner), lease_proto_name(l->proto), l->ext_port, ia,
		    l->int_port);
		break;
	}
}

int
stats_init(void)
{
	memset(requests, 0, sizeof(requests));
	memset(errors, 0, sizeof(errors));
	memset(refused, 0, sizeof(refused));
	added = removed = expired = 0;
	return lease_listen(lease_changed, NULL);
}

void
stats_request(enum lease_owner proto, int ok)
{
	if (proto >= OWNER_COUNT)
		return;
	requests[proto]++;
	if (!ok)
		errors[proto]++;
}

void
stats_refused(enum lease_owner proto, enum refusal why, uint8_t l4proto, uint16_t ext_port,
    struct in_addr client)
{
	if (why >= REFUSED_COUNT)
		return;
	refused[why]++;
	/* Rate-limited and malformed requests are floods: the drop log covers them. */
	if (why == REFUSED_RATE || why == REFUSED_MALFORMED)
		return;
	log_info("mapping refused: %s %s %u for %s: %s", lease_owner_name(proto),
	    lease_proto_name(l4proto), ext_port, inet_ntoa(client), refusal_text[why]);
}

void
stats_result(enum lease_owner proto, const struct request_result *r)
{
	stats_request(proto, r->wire == 0);
	if (r->refused)
		stats_refused(proto, r->why, r->l4proto, r->ext_port, r->client);
}

char *
stats_prometheus(void)
{
	struct sbuf b;
	size_t by_owner[OWNER_COUNT];

	sbuf_init(&b);
	lease_count_owners(by_owner);
	sbuf_printf(&b, "# HELP porthole_mappings Mappings in the lease table, by the protocol that made them.\n"
	    "# TYPE porthole_mappings gauge\n");
	for (int o = 0; o < OWNER_COUNT; o++)
		sbuf_printf(&b, "porthole_mappings{protocol=\"%s\"} %zu\n", lease_owner_name(o), by_owner[o]);
	sbuf_printf(&b, "# HELP porthole_pinholes IPv6 pinholes in the lease table.\n"
	    "# TYPE porthole_pinholes gauge\nporthole_pinholes %zu\n", pinhole_count());
	sbuf_printf(&b, "# HELP porthole_requests_total Requests handled, by protocol.\n"
	    "# TYPE porthole_requests_total counter\n");
	for (int o = 0; o < OWNER_COUNT; o++)
		sbuf_printf(&b, "porthole_requests_total{protocol=\"%s\"} %llu\n", lease_owner_name(o),
		    (unsigned long long)requests[o]);
	sbuf_printf(&b, "# HELP porthole_request_errors_total Requests answered with an error, by protocol.\n"
	    "# TYPE porthole_request_errors_total counter\n");
	for (int o = 0; o < OWNER_COUNT; o++)
		sbuf_printf(&b, "porthole_request_errors_total{protocol=\"%s\"} %llu\n", lease_owner_name(o),
		    (unsigned long long)errors[o]);
	sbuf_printf(&b, "# HELP porthole_refused_total Mapping requests refused, by reason.\n"
	    "# TYPE porthole_refused_total counter\n");
	for (int r = 0; r < REFUSED_COUNT; r++)
		sbuf_printf(&b, "porthole_refused_total{reason=\"%s\"} %llu\n", refusal_names[r],
		    (unsigned long long)refused[r]);
	sbuf_printf(&b, "# HELP porthole_mapping_events_total Mappings added, removed and expired.\n"
	    "# TYPE porthole_mapping_events_total counter\n"
	    "porthole_mapping_events_total{event=\"added\"} %llu\n"
	    "porthole_mapping_events_total{event=\"removed\"} %llu\n"
	    "porthole_mapping_events_total{event=\"expired\"} %llu\n",
	    (unsigned long long)added, (unsigned long long)removed, (unsigned long long)expired);
	struct pubaddr pa;
	pubaddr_describe(&pa);
	sbuf_printf(&b, "# HELP porthole_address_info The WAN address, the public address learned "
	    "behind another NAT, and the one clients are told (\"none\": unknown).\n"
	    "# TYPE porthole_address_info gauge\n"
	    "porthole_address_info{wan=\"%s\",public=\"%s\",external=\"%s\",behind_nat=\"%s\"} 1\n",
	    pa.wan, pa.public_, pa.external, pa.behind_nat ? "yes" : "no");
	sbuf_printf(&b, "# HELP porthole_upstream_mappings Mappings forwarded to the gateway in front, "
	    "by state (all 0 when upstream forwarding is off).\n"
	    "# TYPE porthole_upstream_mappings gauge\n"
	    "porthole_upstream_mappings{state=\"mapped\"} %zu\n"
	    "porthole_upstream_mappings{state=\"pending\"} %zu\n"
	    "porthole_upstream_mappings{state=\"refused\"} %zu\n"
	    "# HELP porthole_upstream_active Whether mappings are forwarded to the gateway in front.\n"
	    "# TYPE porthole_upstream_active gauge\n"
	    "porthole_upstream_active{method=\"%s\"} %d\n"
	    "# HELP porthole_upstream_restarts_total Times the gateway in front lost our mappings.\n"
	    "# TYPE porthole_upstream_restarts_total counter\n"
	    "porthole_upstream_restarts_total %zu\n", pa.up.mapped, pa.up.pending, pa.up.refused,
	    pa.up.method, pa.up.active, pa.up.restarts);
	return sbuf_take(&b, NULL);
}
