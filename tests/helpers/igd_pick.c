/*
 * igd_pick: which IGD a libminiupnpc program ends up with.
 *
 *   igd_pick ST...
 *
 * Searches for the given targets in turn (MX 2, stopping at the first that
 * is answered, as upnpDiscover does; "ssdp:all" is allowed), lets
 * UPNP_GetValidIGD choose among the answers, and prints
 * "rc N control URL service TYPE". Exits 1 when no IGD was chosen.
 */
#include <stdio.h>

#include <miniupnpc/miniupnpc.h>

int
main(int argc, char **argv)
{
	struct UPNPUrls u;
	struct IGDdatas d;
	struct UPNPDev *devs;
	char lan[64];
	int err = 0, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: igd_pick ST...\n");
		return 2;
	}
	devs = upnpDiscoverDevices((const char *const *)argv + 1, 2000, NULL, NULL, 0, 0, 2,
	    &err, 0);
	if (!devs) {
		printf("nothing found (error %d)\n", err);
		return 1;
	}
	rc = UPNP_GetValidIGD(devs, &u, &d, lan, sizeof(lan));
	if (rc == 0) {
		printf("rc 0: no IGD among the answers\n");
		freeUPNPDevlist(devs);
		return 1;
	}
	printf("rc %d control %s service %s\n", rc, u.controlURL, d.first.servicetype);
	FreeUPNPUrls(&u);
	freeUPNPDevlist(devs);
	return 0;
}
