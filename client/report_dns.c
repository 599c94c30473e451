/*
 * report_dns: the DNS facts of a checkup (dnscheck.c) in the table and in
 * the JSON. A mismatch is said as the admin needs it: which MX host points
 * where, and what this network's public address is.
 */
#include <arpa/inet.h>
#include <string.h>

#include "phc.h"

static void
mx_table(const struct porthole_dns_check *d, const struct porthole_mx *mx, FILE *out)
{
	char a[INET_ADDRSTRLEN], pub[INET_ADDRSTRLEN];
	size_t i;

	inet_ntop(AF_INET, &d->public_addr, pub, sizeof(pub));
	fprintf(out, "  %s %s ->", mx->implicit ? "no MX; the domain itself" : "MX", mx->host);
	for (i = 0; i < mx->n_a; i++)
		fprintf(out, " %s", inet_ntop(AF_INET, &mx->a[i], a, sizeof(a)));
	for (i = 0; i < mx->n_aaaa; i++)
		fprintf(out, " %s", mx->aaaa[i]);
	if (mx->n_a + mx->n_aaaa == 0)
		fputs(" (no address)", out);
	fputc('\n', out);
	if (d->public_addr.s_addr == 0 || mx->points_here)
		return;
	inet_ntop(AF_INET, mx->n_a > 0 ? &mx->a[0] : &d->public_addr, a, sizeof(a));
	if (mx->n_a > 0)
		fprintf(out, "warning: MX %s -> %s, but this network's public address is %s\n",
		    mx->host, a, pub);
	else
		fprintf(out, "warning: MX %s has no IPv4 address; this network's public address "
		    "is %s\n", mx->host, pub);
}

void
phc_dns_table(const struct porthole_dns_check *d, FILE *out)
{
	char pub[INET_ADDRSTRLEN];
	size_t i;

	if (d->domain[0] == '\0')
		return;
	fprintf(out, "domain %s:\n", d->domain);
	if (d->error[0] != '\0')
		fprintf(out, "warning: %s\n", d->error);
	for (i = 0; i < d->n_mx; i++)
		mx_table(d, &d->mx[i], out);
	if (d->public_addr.s_addr == 0) {
		fputs("  the public address is unknown: MX and PTR not compared\n", out);
		return;
	}
	inet_ntop(AF_INET, &d->public_addr, pub, sizeof(pub));
	if (d->ptr[0] == '\0')
		fprintf(out, "warning: %s has no reverse (PTR) name: mail from it is widely "
		    "refused; ask the ISP to set one (to the MX host's name)\n", pub);
	else
		fprintf(out, "  PTR %s -> %s%s\n", pub, d->ptr, d->ptr_confirmed ?
		    " (which resolves back to it)" : ", which does not resolve back to it");
}

static void
mx_json(const struct porthole_mx *mx, FILE *out)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	fputs("{\"host\": ", out);
	phc_json_str(out, mx->host);
	fprintf(out, ", \"preference\": %u, \"implicit\": %s, \"a\": [", mx->preference,
	    mx->implicit ? "true" : "false");
	for (i = 0; i < mx->n_a; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "", inet_ntop(AF_INET, &mx->a[i], a, sizeof(a)));
	fputs("], \"aaaa\": [", out);
	for (i = 0; i < mx->n_aaaa; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "", mx->aaaa[i]);
	fprintf(out, "], \"points_here\": %s}", mx->points_here ? "true" : "false");
}

void
phc_dns_json(const struct porthole_dns_check *d, FILE *out)
{
	char pub[INET_ADDRSTRLEN];
	size_t i;

	if (d->domain[0] == '\0') {
		fputs("null", out);
		return;
	}
	inet_ntop(AF_INET, &d->public_addr, pub, sizeof(pub));
	fputs("{\"name\": ", out);
	phc_json_str(out, d->domain);
	fputs(", \"compared_with\": ", out);
	phc_json_str(out, d->public_addr.s_addr != 0 ? pub : NULL);
	fputs(", \"mx\": [", out);
	for (i = 0; i < d->n_mx; i++) {
		fputs(i ? ", " : "", out);
		mx_json(&d->mx[i], out);
	}
	fputs("], \"ptr\": ", out);
	phc_json_str(out, d->ptr);
	fprintf(out, ", \"ptr_confirmed\": %s, \"error\": ", d->ptr_confirmed ? "true" : "false");
	phc_json_str(out, d->error);
	fputc('}', out);
}
