/*
 * bench_upnp: UPnP IGD control load through libminiupnpc, one SOAP call at a
 * time (each is its own HTTP connection, as miniupnpc makes them). The
 * description is read once from ROOTURL, so SSDP is not part of the figure.
 *
 *   bench_upnp ROOTURL add PROTO FIRST COUNT LEASE MAXSEC
 *	AddPortMapping external = internal port FIRST..FIRST+COUNT-1 to this host
 *   bench_upnp ROOTURL del PROTO FIRST COUNT MAXSEC
 *	DeletePortMapping for those external ports
 *   bench_upnp ROOTURL list MAXSEC
 *	GetGenericPortMappingEntry from index 0 until the gateway says 713
 *   bench_upnp ROOTURL pin PROTO FIRST COUNT LEASE MAXSEC [del]
 *	WANIPv6FirewallControl AddPinhole for this host's address (the one it
 *	reaches ROOTURL from: give an IPv6 URL), ports FIRST..FIRST+COUNT-1, any
 *	remote host; with "del", then DeletePinhole for each UniqueID it got
 *	(timed on its own: del_ops= del_fail= del_secs= del_rate=)
 *
 * Prints ops= fail= secs= rate= capped= (list adds end=, the first error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>

#include "bench.h"

struct igd {
	struct UPNPUrls	 urls;
	struct IGDdatas	 data;
	char		 lanaddr[64];
};

static void
igd_open(struct igd *g, const char *rooturl)
{
	memset(g, 0, sizeof(*g));
	if (UPNP_GetIGDFromUrl(rooturl, &g->urls, &g->data, g->lanaddr, sizeof(g->lanaddr)) != 1) {
		fprintf(stderr, "bench_upnp: no IGD description at %s\n", rooturl);
		exit(2);
	}
}

static int
upnp_one(const struct igd *g, int add, const char *proto, unsigned port, const char *lease)
{
	char p[8];

	snprintf(p, sizeof(p), "%u", port);
	if (add)
		return UPNP_AddPortMapping(g->urls.controlURL, g->data.first.servicetype, p, p,
		    g->lanaddr, "bench", proto, NULL, lease);
	return UPNP_DeletePortMapping(g->urls.controlURL, g->data.first.servicetype, p, proto, NULL);
}

static void
run_map(const struct igd *g, int add, char **av)
{
	const char *proto = bench_proto(av[0]) == IPPROTO_TCP ? "TCP" : "UDP";
	unsigned first = bench_num(av[1], 65535, "first port");
	unsigned count = bench_num(av[2], 65535 - first + 1, "count");
	const char *lease = add ? av[3] : NULL;
	struct bench_run r;
	int last_err = 0;
	char extra[32];

	if (add)
		(void)bench_num(lease, 604800, "lease");
	bench_begin(&r, bench_num(av[add ? 4 : 3], 86400, "seconds"));
	for (unsigned i = 0; i < count && bench_in_time(&r); i++) {
		int rc = upnp_one(g, add, proto, first + i, lease);

		if (rc == 0)
			r.ops++;
		else {
			r.fails++;
			last_err = rc;
		}
	}
	snprintf(extra, sizeof(extra), "err=%d", last_err);
	bench_report(&r, count, extra);
}

static void
run_list(const struct igd *g, const char *maxsec)
{
	char idx[16], ext[6], client[16], intp[6], proto[4], desc[80], en[4], rhost[64], dur[16];
	struct bench_run r;
	char extra[32];
	int rc = 0;

	bench_begin(&r, bench_num(maxsec, 86400, "seconds"));
	while (bench_in_time(&r)) {
		snprintf(idx, sizeof(idx), "%u", r.ops);
		rc = UPNP_GetGenericPortMappingEntry(g->urls.controlURL, g->data.first.servicetype,
		    idx, ext, client, intp, proto, desc, en, rhost, dur);
		if (rc != 0)
			break;
		r.ops++;
	}
	snprintf(extra, sizeof(extra), "end=%d", rc);
	/* The list's end is an error by design: do not count it as a failure. */
	bench_report(&r, rc == 0 ? r.ops + 1 : r.ops, extra);
}

/* AddPinhole for ports first.., then (del) DeletePinhole by the UniqueIDs. */
static void
run_pin(const struct igd *g, char **av, int del)
{
	const char *proto = bench_proto(av[0]) == IPPROTO_TCP ? "6" : "17";
	unsigned first = bench_num(av[1], 65535, "first port");
	unsigned count = bench_num(av[2], 65535 - first + 1, "count");
	char (*ids)[8] = calloc(count ? count : 1, sizeof(*ids));
	struct bench_run r, d;
	char extra[160], p[8];
	int last_err = 0;

	(void)bench_num(av[3], 86400, "lease");
	if (!ids || !g->urls.controlURL_6FC || !g->urls.controlURL_6FC[0]) {
		fprintf(stderr, "bench_upnp: no WANIPv6FirewallControl service\n");
		exit(2);
	}
	bench_begin(&r, bench_num(av[4], 86400, "seconds"));
	for (unsigned i = 0; i < count && bench_in_time(&r); i++) {
		snprintf(p, sizeof(p), "%u", first + i);
		int rc = UPNP_AddPinhole(g->urls.controlURL_6FC, g->data.IPv6FC.servicetype, "",
		    "0", g->lanaddr, p, proto, av[3], ids[i]);
		if (rc == 0)
			r.ops++;
		else {
			r.fails++;
			last_err = rc;
			ids[i][0] = '\0';
		}
	}
	r.end_s = bench_now();
	snprintf(extra, sizeof(extra), "err=%d", last_err);
	if (del) {
		bench_begin(&d, r.max_s);
		for (unsigned i = 0; i < count && bench_in_time(&d); i++) {
			if (!ids[i][0])
				continue;
			if (UPNP_DeletePinhole(g->urls.controlURL_6FC, g->data.IPv6FC.servicetype,
			    ids[i]) == 0)
				d.ops++;
			else
				d.fails++;
		}
		d.end_s = bench_now();
		double ds = d.end_s - d.start_s;
		snprintf(extra, sizeof(extra), "err=%d del_ops=%u del_fail=%u del_secs=%.4f "
		    "del_rate=%.1f", last_err, d.ops, d.fails, ds, ds > 0 ? d.ops / ds : 0.0);
	}
	free(ids);
	/* bench_report times to now: hand it the add window's own end. */
	double secs = r.end_s - r.start_s;
	printf("ops=%u fail=%u secs=%.4f rate=%.1f capped=%d %s\n", r.ops, r.fails, secs,
	    secs > 0 ? r.ops / secs : 0.0, r.ops + r.fails < count, extra);
	exit(r.fails && !r.ops ? 1 : 0);
}

int
main(int argc, char **argv)
{
	struct igd g;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_upnp ROOTURL add|del|list ARGS... (see the source)\n");
		return 2;
	}
	igd_open(&g, argv[1]);
	if (!strcmp(argv[2], "add") && argc == 8)
		run_map(&g, 1, argv + 3);
	else if (!strcmp(argv[2], "del") && argc == 7)
		run_map(&g, 0, argv + 3);
	else if (!strcmp(argv[2], "list") && argc == 4)
		run_list(&g, argv[3]);
	else if (!strcmp(argv[2], "pin") && (argc == 8 || (argc == 9 && !strcmp(argv[8], "del"))))
		run_pin(&g, argv + 3, argc == 9);
	fprintf(stderr, "bench_upnp: bad arguments\n");
	return 2;
}
