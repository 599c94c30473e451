/*
 * upnp_igd_test: the gateway as a libminiupnpc program sees it.
 *
 *   upnp_igd_test 1|2 EXTERNAL_IP FIRST_PORT [connected]
 *
 * Discovers the IGD by searching for InternetGatewayDevice:1 or :2,
 * accepts it with UPNP_GetValidIGD (with "connected": only as 1, a
 * connected IGD with a public address, the normal client path), then adds, reads, lists and deletes
 * mappings on FIRST_PORT.. and walks GetGenericPortMappingEntry until 713.
 * Prints one "ok"/"FAIL" line per step and exits 1 if any step failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#define NMAP 5

static int fails;

static void
step(int ok, const char *what, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "ok" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
	if (!ok)
		fails++;
}

static int
count_generic(const struct UPNPUrls *u, const struct IGDdatas *d, int *last_rc)
{
	int i;

	for (i = 0; i < 100000; i++) {
		char idx[16], ext[6], ic[40], ip[6], proto[4], desc[80], en[4], rh[64], dur[16];
		snprintf(idx, sizeof(idx), "%d", i);
		*last_rc = UPNP_GetGenericPortMappingEntry(u->controlURL, d->first.servicetype,
		    idx, ext, ic, ip, proto, desc, en, rh, dur);
		if (*last_rc != UPNPCOMMAND_SUCCESS)
			break;
	}
	return i;
}

int
main(int argc, char **argv)
{
	char lan[64], ext[40], port[16], port2[16], status[64], lasterr[64];
	char ic[40], ip[6], desc[80], en[4], dur[16];
	struct UPNPUrls u;
	struct IGDdatas d;
	struct UPNPDev *devs;
	unsigned uptime;
	int err = 0, rc, last;

	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "connected") == 0)) {
		fprintf(stderr, "usage: upnp_igd_test 1|2 EXTERNAL_IP FIRST_PORT [connected]\n");
		return 2;
	}
	int want_connected = argc == 5;
	const char *types[] = { argv[1][0] == '1' ?
	    "urn:schemas-upnp-org:device:InternetGatewayDevice:1" :
	    "urn:schemas-upnp-org:device:InternetGatewayDevice:2", NULL };
	int first = atoi(argv[3]);

	devs = upnpDiscoverDevices(types, 2000, NULL, NULL, 0, 0, 2, &err, 0);
	step(devs != NULL, "discover", types[0]);
	if (!devs)
		return 1;
	rc = UPNP_GetValidIGD(devs, &u, &d, lan, sizeof(lan));
	/* 2 = "not connected": miniupnpc's verdict on the lab's documentation range. */
	step(rc == 1 || (rc == 2 && !want_connected), want_connected ?
	    "UPNP_GetValidIGD returns 1 (connected)" : "UPNP_GetValidIGD", u.controlURL);
	if (rc != 1 && rc != 2)
		return 1;
	step(strstr(d.first.servicetype, argv[1][0] == '1' ? ":1" : ":2") != NULL,
	    "WANIPConnection version", d.first.servicetype);
	step(UPNP_GetExternalIPAddress(u.controlURL, d.first.servicetype, ext) == 0 &&
	    strcmp(ext, argv[2]) == 0, "GetExternalIPAddress", ext);
	step(UPNP_GetStatusInfo(u.controlURL, d.first.servicetype, status, &uptime, lasterr) == 0 &&
	    strcmp(status, "Connected") == 0, "GetStatusInfo", status);
	step(UPNP_GetTotalBytesReceived(u.controlURL_CIF, d.CIF.servicetype) > 0,
	    "GetTotalBytesReceived", NULL);

	int before = count_generic(&u, &d, &last);
	for (int i = 0; i < NMAP; i++) {
		snprintf(port, sizeof(port), "%d", first + i);
		rc = UPNP_AddPortMapping(u.controlURL, d.first.servicetype, port, port, lan,
		    "igd test", i % 2 ? "UDP" : "TCP", NULL, "3600");
		step(rc == 0, "AddPortMapping", port);
	}
	snprintf(port, sizeof(port), "%d", first);
	rc = UPNP_GetSpecificPortMappingEntry(u.controlURL, d.first.servicetype, port, "TCP", NULL,
	    ic, ip, desc, en, dur);
	step(rc == 0 && strcmp(ic, lan) == 0 && strcmp(ip, port) == 0 &&
	    strcmp(desc, "igd test") == 0 && atoi(dur) > 3590 && atoi(dur) <= 3600,
	    "GetSpecificPortMappingEntry", dur);
	int after = count_generic(&u, &d, &last);
	step(after == before + NMAP && last == 713, "GetGenericPortMappingEntry walk ends in 713",
	    strupnperror(last));
	if (argv[1][0] == '2') {
		char reserved[8];
		snprintf(port2, sizeof(port2), "%d", first + NMAP);
		rc = UPNP_AddAnyPortMapping(u.controlURL, d.first.servicetype, port, port2, lan,
		    "igd any", "TCP", NULL, "600", reserved);
		step(rc == 0 && atoi(reserved) != first, "AddAnyPortMapping on a taken port", reserved);
		if (rc == 0)
			UPNP_DeletePortMapping(u.controlURL, d.first.servicetype, reserved, "TCP", NULL);
	}
	for (int i = 0; i < NMAP; i++) {
		snprintf(port, sizeof(port), "%d", first + i);
		rc = UPNP_DeletePortMapping(u.controlURL, d.first.servicetype, port,
		    i % 2 ? "UDP" : "TCP", NULL);
		step(rc == 0, "DeletePortMapping", port);
	}
	snprintf(port, sizeof(port), "%d", first);
	rc = UPNP_GetSpecificPortMappingEntry(u.controlURL, d.first.servicetype, port, "TCP", NULL,
	    ic, ip, desc, en, dur);
	step(rc == 714, "GetSpecificPortMappingEntry after delete -> 714", strupnperror(rc));
	rc = UPNP_DeletePortMapping(u.controlURL, d.first.servicetype, port, "TCP", NULL);
	step(rc == 714, "DeletePortMapping of a missing entry -> 714", strupnperror(rc));
	step(count_generic(&u, &d, &last) == before, "walk back to the start count", NULL);
	FreeUPNPUrls(&u);
	freeUPNPDevlist(devs);
	return fails ? 1 : 0;
}
