/*
 * status: see status.h. Fields, in both formats: protocol, external_port,
 * internal_address, internal_port, owner, lease_seconds (null = permanent),
 * remote_host (null = any), packets, bytes, description.
 */
#include "status.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "stats.h"

struct doc {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
grow(struct doc *d, size_t need)
{
	if (d->oom || d->len + need < d->cap)
		return;
	size_t ncap = (d->cap + need) * 2;
	char *np = realloc(d->p, ncap);
	if (!np) {
		d->oom = 1;
		return;
	}
	d->p = np;
	d->cap = ncap;
}

static void __attribute__((format(printf, 2, 3)))
put(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	grow(d, (size_t)n + 1);
	if (d->oom)
		return;
	memcpy(d->p + d->len, tmp, (size_t)n);
	d->len += (size_t)n;
	d->p[d->len] = '\0';
}

static void
put_html_text(struct doc *d, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': put(d, "&lt;"); break;
		case '>': put(d, "&gt;"); break;
		case '&': put(d, "&amp;"); break;
		case '"': put(d, "&quot;"); break;
		case '\'': put(d, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20)
				put(d, " ");
			else
				put(d, "%c", *s);
		}
	}
}

static void
put_json_string(struct doc *d, const char *s)
{
	put(d, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(d, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			put(d, "\\u%04x", c);
		else
			put(d, "%c", c);
	}
	put(d, "\"");
}

/* One lease as both formats print it. */
struct row {
	const struct lease	*l;
	char			 client[INET_ADDRSTRLEN];
	char			 remote[INET_ADDRSTRLEN];
	unsigned long long	 packets, bytes;
};

static void
row_of(const struct lease *l, struct row *r)
{
	uint64_t pk = 0, by = 0;

	r->l = l;
	lease_counters(l, &pk, &by);
	r->packets = pk;
	r->bytes = by;
	inet_ntop(AF_INET, &l->int_addr, r->client, sizeof(r->client));
	inet_ntop(AF_INET, &l->remote, r->remote, sizeof(r->remote));
}

static const char *
ext_text(char *buf, size_t len)
{
	struct in_addr ext = lease_external();

	if (!ext.s_addr)
		return "none";
	return inet_ntop(AF_INET, &ext, buf, (socklen_t)len);
}

char *
status_html(void)
{
	struct doc d = { 0 };
	char ext[INET_ADDRSTRLEN];

	put(&d, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"refresh\" content=\"30\"><title>porthole: port mappings</title>"
	    "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	    "th,td{border:1px solid #999;padding:.3em .6em;text-align:left}"
	    "td.n{text-align:right}</style></head><body>\n");
	put(&d, "<h1>Port mappings</h1>\n<p>External address: <strong id=\"external\">%s</strong>"
	    " &middot; %zu mappings &middot; <a href=\"/status.json\">JSON</a>"
	    " &middot; <a href=\"/metrics\">metrics</a></p>\n",
	    ext_text(ext, sizeof(ext)), lease_count());
	put(&d, "<table id=\"mappings\"><thead><tr><th>Protocol</th><th>External port</th>"
	    "<th>Client</th><th>Owner</th><th>Lease left</th><th>Remote host</th>"
	    "<th>Packets</th><th>Bytes</th><th>Description</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < lease_count(); i++) {
		const struct lease *l = lease_at(i);
		struct row r;

		row_of(l, &r);
		put(&d, "<tr><td>%s</td><td class=\"n\">%u</td><td>%s:%u</td><td>%s</td>",
		    lease_proto_name(l->proto), l->ext_port, r.client, l->int_port,
		    lease_owner_name(l->owner));
		if (l->expires_ms)
			put(&d, "<td class=\"n\">%us</td>", lease_seconds_left(l));
		else
			put(&d, "<td>permanent</td>");
		put(&d, "<td>%s</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
		    l->remote.s_addr ? r.remote : "any", r.packets, r.bytes);
		put_html_text(&d, l->desc);
		put(&d, "</td></tr>\n");
	}
	put(&d, "</tbody></table>\n</body></html>\n");
	if (d.oom) {
		free(d.p);
		return NULL;
	}
	return d.p;
}

char *
status_json(void)
{
	struct doc d = { 0 };
	char ext[INET_ADDRSTRLEN];

	put(&d, "{\"external_address\":");
	if (lease_external().s_addr)
		put(&d, "\"%s\"", ext_text(ext, sizeof(ext)));
	else
		put(&d, "null");
	put(&d, ",\"mappings\":[");
	for (size_t i = 0; i < lease_count(); i++) {
		const struct lease *l = lease_at(i);
		struct row r;

		row_of(l, &r);
		put(&d, "%s{\"protocol\":\"%s\",\"external_port\":%u,\"internal_address\":\"%s\","
		    "\"internal_port\":%u,\"owner\":\"%s\",\"lease_seconds\":", i ? "," : "",
		    lease_proto_name(l->proto), l->ext_port, r.client, l->int_port,
		    lease_owner_name(l->owner));
		if (l->expires_ms)
			put(&d, "%u", lease_seconds_left(l));
		else
			put(&d, "null");
		put(&d, ",\"remote_host\":");
		if (l->remote.s_addr)
			put(&d, "\"%s\"", r.remote);
		else
			put(&d, "null");
		put(&d, ",\"packets\":%llu,\"bytes\":%llu,\"description\":", r.packets, r.bytes);
		put_json_string(&d, l->desc);
		put(&d, "}");
	}
	put(&d, "]}\n");
	if (d.oom) {
		free(d.p);
		return NULL;
	}
	return d.p;
}

char *
status_document(const char *url, const char **ctype)
{
	if (!strcmp(url, "/status") || !strcmp(url, "/status.html")) {
		*ctype = "text/html; charset=utf-8";
		return status_html();
	}
	if (!strcmp(url, "/status.json")) {
		*ctype = "application/json";
		return status_json();
	}
	if (!strcmp(url, "/metrics")) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return stats_prometheus();
	}
	return NULL;
}
