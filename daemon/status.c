/*
 * status: see status.h. Fields, in both formats: protocol, external_port,
 * internal_address, internal_port, owner, lease_seconds (null = permanent),
 * remote_host (null = any), packets, bytes, description. The JSON document
 * also says total (mappings in the table), start, and next_start (null on
 * the last page). IPv6 pinholes beside them, with the first page of
 * mappings and paged on their own (pinholes_total, pinholes_start,
 * pinholes_next_start): protocol, address, port, owner, lease_seconds,
 * remote_host ("addr" or "addr/len" for a prefix), remote_port (0 = any), packets (inbound), bytes, unique_id,
 * description.
 */
#include "status.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "pinhole.h"
#include "prefix6.h"
#include "pubaddr.h"
#include "sbuf.h"
#include "stats.h"

static void
json_string(struct sbuf *d, const char *s)
{
	sbuf_add(d, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sbuf_printf(d, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sbuf_printf(d, "\\u%04x", c);
		else
			sbuf_addn(d, s, 1);
	}
	sbuf_add(d, "\"");
}

/* "name":"A.B.C.D" or "name":null ("none"); name may start with the
 * previous member's comma and quote. */
static void
json_address(struct sbuf *d, const char *name, const char *addr)
{
	if (name[0] != ',')
		sbuf_add(d, "\"");
	sbuf_printf(d, "%s\":", name);
	if (strcmp(addr, "none"))
		sbuf_printf(d, "\"%s\"", addr);
	else
		sbuf_add(d, "null");
}

/* One lease as both formats print it. */
struct row {
	char			 client[INET_ADDRSTRLEN];
	char			 remote[INET_ADDRSTRLEN];
	unsigned long long	 packets, bytes;
};

static void
row_of(const struct lease *l, const struct lease_traffic *t, struct row *r)
{
	r->packets = t ? t->packets : 0;
	r->bytes = t ? t->bytes : 0;
	inet_ntop(AF_INET, &l->int_addr, r->client, sizeof(r->client));
	inet_ntop(AF_INET, &l->remote, r->remote, sizeof(r->remote));
}

/* The page's rows of a table of n: [*first, end). */
static size_t
page_end(size_t *first, size_t n)
{
	if (*first > n)
		*first = n;
	return n - *first > STATUS_PAGE_ROWS ? *first + STATUS_PAGE_ROWS : n;
}

/* "Mappings 1 to 500 of 1202 · next": id, label and the query parameter of a table. */
static void
html_pager(struct sbuf *d, const char *id, const char *label, const char *param, size_t first,
    size_t end, size_t n)
{
	sbuf_printf(d, "<p id=\"%s\">%s %zu to %zu of %zu", id, label, end ? first + 1 : 0, end, n);
	if (first)
		sbuf_printf(d, " &middot; <a href=\"/status?%s=%zu\">previous</a>", param,
		    first > STATUS_PAGE_ROWS ? first - STATUS_PAGE_ROWS : 0);
	if (end < n)
		sbuf_printf(d, " &middot; <a href=\"/status?%s=%zu\">next</a>", param, end);
	sbuf_printf(d, "</p>\n");
}

/* One pinhole's addresses as text, and its counters. */
struct row6 {
	char			 addr[INET6_ADDRSTRLEN], remote[PREFIX6_STRLEN];	/* "any" */
	unsigned long long	 packets, bytes;
};

static void
row6_of(const struct pinhole *p, const struct lease_traffic *t, struct row6 *r)
{
	inet_ntop(AF_INET6, &p->int_addr, r->addr, sizeof(r->addr));
	pinhole_remote_text(p, r->remote, sizeof(r->remote));
	r->packets = t ? t->packets : 0;
	r->bytes = t ? t->bytes : 0;
}

static void
pinholes_html(struct sbuf *d, size_t first)
{
	struct lease_traffic *t = pinhole_traffic();
	size_t end = page_end(&first, pinhole_count());

	sbuf_printf(d, "<h2>IPv6 pinholes</h2>\n");
	html_pager(d, "pinhole-page", "Pinholes", "pstart", first, end, pinhole_count());
	sbuf_printf(d, "<table id=\"pinholes\"><thead><tr><th>Protocol</th>"
	    "<th>Address</th><th>Port</th><th>Owner</th><th>Lease left</th><th>Remote host</th>"
	    "<th>Packets in</th><th>Bytes in</th><th>Description</th></tr></thead><tbody>\n");
	for (size_t i = first; i < end; i++) {
		const struct pinhole *p = pinhole_at(i);
		struct row6 r;

		row6_of(p, t ? &t[i] : NULL, &r);
		sbuf_printf(d, "<tr><td>%s</td><td>%s</td><td class=\"n\">%u</td><td>%s</td>",
		    lease_proto_name(p->proto), r.addr, p->int_port, lease_owner_name(p->owner));
		if (!p->permanent)
			sbuf_printf(d, "<td class=\"n\">%us</td>", pinhole_seconds_left(p));
		else
			sbuf_printf(d, "<td>permanent</td>");
		sbuf_printf(d, "<td>%s</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
		    r.remote, r.packets, r.bytes);
		sbuf_xml(d, p->desc);
		sbuf_printf(d, "</td></tr>\n");
	}
	sbuf_printf(d, "</tbody></table>\n");
	free(t);
}

static void
pinholes_json(struct sbuf *d, size_t first)
{
	struct lease_traffic *t = pinhole_traffic();
	size_t end = page_end(&first, pinhole_count());

	sbuf_printf(d, ",\"pinholes_total\":%zu,\"pinholes_start\":%zu,\"pinholes_next_start\":",
	    pinhole_count(), first);
	if (end < pinhole_count())
		sbuf_printf(d, "%zu", end);
	else
		sbuf_printf(d, "null");
	sbuf_printf(d, ",\"pinholes\":[");
	for (size_t i = first; i < end; i++) {
		const struct pinhole *p = pinhole_at(i);
		struct row6 r;

		row6_of(p, t ? &t[i] : NULL, &r);
		sbuf_printf(d, "%s{\"protocol\":\"%s\",\"address\":\"%s\",\"port\":%u,"
		    "\"owner\":\"%s\",\"lease_seconds\":", i > first ? "," : "",
		    lease_proto_name(p->proto),
		    r.addr, p->int_port, lease_owner_name(p->owner));
		if (!p->permanent)
			sbuf_printf(d, "%u", pinhole_seconds_left(p));
		else
			sbuf_printf(d, "null");
		if (IN6_IS_ADDR_UNSPECIFIED(&p->remote))
			sbuf_printf(d, ",\"remote_host\":null");
		else
			sbuf_printf(d, ",\"remote_host\":\"%s\"", r.remote);
		sbuf_printf(d, ",\"remote_port\":%u,\"packets\":%llu,\"bytes\":%llu,\"unique_id\":%u,"
		    "\"description\":", p->remote_port, r.packets, r.bytes, p->id);
		json_string(d, p->desc);
		sbuf_printf(d, "}");
	}
	sbuf_printf(d, "]");
	free(t);
}

char *
status_html(struct status_pos pos)
{
	struct sbuf d;
	size_t first = pos.start, end = page_end(&first, lease_count());

	sbuf_init(&d);
	struct pubaddr pa;

	pubaddr_describe(&pa);
	sbuf_printf(&d, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"refresh\" content=\"30\"><title>porthole: port mappings</title>"
	    "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	    "th,td{border:1px solid #999;padding:.3em .6em;text-align:left}"
	    "td.n{text-align:right}</style></head><body>\n");
	sbuf_printf(&d, "<h1>Port mappings</h1>\n<p>External address: <strong id=\"external\">%s</strong>"
	    " &middot; %zu mappings &middot; <a href=\"/status.json\">JSON</a>"
	    " &middot; <a href=\"/metrics\">metrics</a></p>\n", pa.external, lease_count());
	if (pa.behind_nat)
		sbuf_printf(&d, "<p>Behind another NAT: WAN address <span id=\"wan\">%s</span>,"
		    " public address <span id=\"public\">%s</span> (from <span id=\"source\">%s</span>)"
		    "</p>\n", pa.wan, pa.public_, pa.source);
	if (pa.up.active)
		sbuf_printf(&d, "<p>Mappings forwarded to the gateway in front (<span id=\"upstream\">%s"
		    "</span>): <span id=\"upstream-mapped\">%zu</span> mapped there, %zu waiting, "
		    "%zu refused</p>\n", pa.up.method, pa.up.mapped, pa.up.pending, pa.up.refused);
	html_pager(&d, "page", "Mappings", "start", first, end, lease_count());
	sbuf_printf(&d, "<table id=\"mappings\"><thead><tr><th>Protocol</th><th>External port</th>"
	    "<th>Client</th><th>Owner</th><th>Lease left</th><th>Remote host</th>"
	    "<th>Packets</th><th>Bytes</th><th>Description</th></tr></thead><tbody>\n");
	struct lease_traffic *t = lease_traffic();

	for (size_t i = first; i < end; i++) {
		const struct lease *l = lease_at(i);
		struct row r;

		row_of(l, t ? &t[i] : NULL, &r);
		sbuf_printf(&d, "<tr><td>%s</td><td class=\"n\">%u</td><td>%s:%u</td><td>%s</td>",
		    lease_proto_name(l->proto), l->ext_port, r.client, l->int_port,
		    lease_owner_name(l->owner));
		if (!lease_permanent(l))
			sbuf_printf(&d, "<td class=\"n\">%us</td>", lease_seconds_left(l));
		else
			sbuf_printf(&d, "<td>permanent</td>");
		sbuf_printf(&d, "<td>%s</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
		    l->remote.s_addr ? r.remote : "any", r.packets, r.bytes);
		sbuf_xml(&d, l->desc);	/* control characters never reach a lease */
		sbuf_printf(&d, "</td></tr>\n");
	}
	sbuf_printf(&d, "</tbody></table>\n");
	if (first == 0)		/* the pinholes with the first page */
		pinholes_html(&d, pos.pstart);
	sbuf_printf(&d, "</body></html>\n");
	free(t);
	return sbuf_take(&d, NULL);
}

char *
status_json(struct status_pos pos)
{
	struct sbuf d;
	size_t first = pos.start, end = page_end(&first, lease_count());

	sbuf_init(&d);
	struct pubaddr pa;

	pubaddr_describe(&pa);
	sbuf_printf(&d, "{");
	json_address(&d, "external_address", pa.external);
	sbuf_printf(&d, ",\"total\":%zu,\"start\":%zu,\"next_start\":", lease_count(), first);
	if (end < lease_count())
		sbuf_printf(&d, "%zu", end);
	else
		sbuf_printf(&d, "null");
	sbuf_printf(&d, ",\"mappings\":[");
	struct lease_traffic *t = lease_traffic();

	for (size_t i = first; i < end; i++) {
		const struct lease *l = lease_at(i);
		struct row r;

		row_of(l, t ? &t[i] : NULL, &r);
		sbuf_printf(&d, "%s{\"protocol\":\"%s\",\"external_port\":%u,\"internal_address\":\"%s\","
		    "\"internal_port\":%u,\"owner\":\"%s\",\"lease_seconds\":", i > first ? "," : "",
		    lease_proto_name(l->proto), l->ext_port, r.client, l->int_port,
		    lease_owner_name(l->owner));
		if (!lease_permanent(l))
			sbuf_printf(&d, "%u", lease_seconds_left(l));
		else
			sbuf_printf(&d, "null");
		sbuf_printf(&d, ",\"remote_host\":");
		if (l->remote.s_addr)
			sbuf_printf(&d, "\"%s\"", r.remote);
		else
			sbuf_printf(&d, "null");
		sbuf_printf(&d, ",\"packets\":%llu,\"bytes\":%llu,\"description\":", r.packets, r.bytes);
		json_string(&d, l->desc);
		sbuf_printf(&d, "}");
	}
	/* Behind another NAT: after the mappings, so the paging fields stay where
	 * readers of the first page look for them. */
	sbuf_printf(&d, "]");
	if (first == 0)
		pinholes_json(&d, pos.pstart);
	json_address(&d, ",\"wan_address", pa.wan);
	json_address(&d, ",\"public_address", pa.public_);
	sbuf_printf(&d, ",\"public_source\":");
	json_string(&d, pa.source);
	sbuf_printf(&d, ",\"behind_nat\":%s,\"upstream\":{\"active\":%s,\"method\":\"%s\","
	    "\"mapped\":%zu,\"pending\":%zu,\"refused\":%zu}}\n",
	    pa.behind_nat ? "true" : "false", pa.up.active ? "true" : "false", pa.up.method,
	    pa.up.mapped, pa.up.pending, pa.up.refused);
	free(t);
	return sbuf_take(&d, NULL);
}

char *
status_document(const char *url, struct status_pos pos, const char **ctype)
{
	if (!strcmp(url, "/status") || !strcmp(url, "/status.html")) {
		*ctype = "text/html; charset=utf-8";
		return status_html(pos);
	}
	if (!strcmp(url, "/status.json")) {
		*ctype = "application/json";
		return status_json(pos);
	}
	if (!strcmp(url, "/metrics")) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return stats_prometheus();
	}
	return NULL;
}
