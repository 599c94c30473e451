/*
 * Unit tests for UPnP WANIPv6FirewallControl:1 (daemon/upnp/soap_pinhole.c):
 * each action and each error code the service lists (CONFORMANCE G58), on
 * the pinhole table with no kernel. secure_mode is off here so that no
 * neighbour table is asked; the lab (71_upnp_ipv6.sh) tests who may open
 * what with real upnpc calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "lan6.h"
#include "pinhole.h"
#include "upnp/upnp.h"

#define FC "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1"
#define MAIL6 "2001:db8:1::10"

static struct config cfg;
static struct policy_rule rules[2];
static struct in6_addr peer;	/* the control point calling */
static struct soap_wait *call_wait;	/* how call() lets the answer wait (NULL: never) */

static int
setup(void **state)
{
	char err[128];
	struct in6_addr gw = ip6("2001:db8:1::1");

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.secure_mode = false;
	cfg.igd_version = 2;
	peer = ip4mapped("192.168.77.10");
	assert_int_equal(policy_parse_rule("deny 1-1023 ::/0 1-1023", &rules[0], err,
	    sizeof(err)), 0);
	assert_int_equal(policy_parse_rule("allow 1024-65535 2001:db8:1::/64 1024-65535",
	    &rules[1], err, sizeof(err)), 0);
	cfg.policy.rules = rules;
	cfg.policy.n_rules = 2;
	memset(&upnp_st, 0, sizeof(upnp_st));
	upnp_st.cfg = &cfg;
	upnp_st.primary = 2;
	ev_init();
	soap_init();
	pinhole_init(NULL, 3);
	lan6_fini();
	lan6_add(2, &gw, 64);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pinhole_fini();
	lan6_fini();
	ev_fini();
	return 0;
}

static int
call(const char *action, const char *args, char **resp)
{
	char body[4096];
	struct soap_req rq;
	struct sbuf out;
	int rc;

	snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>"
	    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
	    "<u:%s xmlns:u=\"" FC "\">%s</u:%s></s:Body></s:Envelope>", action, args, action);
	if ((rc = soap_parse(body, strlen(body), &rq)) != 0)
		return rc;
	sbuf_init(&out);
	rc = soap_dispatch(SVC_V6FC1, NULL, &rq, &peer, call_wait, &out, NULL);
	if (resp)
		*resp = sbuf_take(&out, NULL);
	else
		sbuf_free(&out);
	return rc;
}

static int
add(const char *remote, const char *rport, const char *client, const char *port,
    const char *proto, const char *lease, char **resp)
{
	char a[1024];

	snprintf(a, sizeof(a), "<RemoteHost>%s</RemoteHost><RemotePort>%s</RemotePort>"
	    "<InternalClient>%s</InternalClient><InternalPort>%s</InternalPort>"
	    "<Protocol>%s</Protocol><LeaseTime>%s</LeaseTime>", remote, rport, client, port,
	    proto, lease);
	return call("AddPinhole", a, resp);
}

static int
by_id(const char *action, unsigned id, const char *more, char **resp)
{
	char a[256];

	snprintf(a, sizeof(a), "<UniqueID>%u</UniqueID>%s", id, more);
	return call(action, a, resp);
}

/* G58: the status, and a pinhole's whole life by UniqueID. */
static void
g58_actions(void **state)
{
	struct in6_addr mail = ip6(MAIL6);
	struct pinhole *p;
	char *r = NULL;

	(void)state;
	assert_int_equal(call("GetFirewallStatus", "", &r), 0);
	assert_non_null(strstr(r, "<FirewallEnabled>1</FirewallEnabled>"));
	assert_non_null(strstr(r, "<InboundPinholeAllowed>1</InboundPinholeAllowed>"));
	free(r);
	assert_int_equal(add("", "0", MAIL6, "2525", "6", "600", &r), 0);
	assert_non_null(p = pinhole_find(IPPROTO_TCP, &mail, 2525));
	char want[64];
	snprintf(want, sizeof(want), "<UniqueID>%u</UniqueID>", p->id);
	assert_non_null(strstr(r, want));
	free(r);
	/* the same five values again renew it and return the same UniqueID */
	assert_int_equal(add("", "0", MAIL6, "2525", "6", "900", &r), 0);
	assert_non_null(strstr(r, want));
	free(r);
	assert_int_equal(pinhole_count(), 1);
	assert_int_equal(by_id("UpdatePinhole", p->id, "<NewLeaseTime>60</NewLeaseTime>", NULL), 0);
	assert_in_range(pinhole_seconds_left(p), 59, 60);
	assert_int_equal(by_id("GetPinholePackets", p->id, "", &r), 0);
	assert_non_null(strstr(r, "<PinholePackets>0</PinholePackets>"));
	free(r);
	assert_int_equal(by_id("CheckPinholeWorking", p->id, "", NULL), 709);	/* NoPacketSent */
	assert_int_equal(call("GetOutboundPinholeTimeout", "<RemoteHost></RemoteHost>"
	    "<RemotePort>0</RemotePort><InternalClient>" MAIL6 "</InternalClient>"
	    "<InternalPort>2525</InternalPort><Protocol>17</Protocol>", &r), 0);
	assert_non_null(strstr(r, "<OutboundPinholeTimeout>"));
	free(r);
	assert_int_equal(by_id("DeletePinhole", p->id, "", NULL), 0);
	assert_int_equal(pinhole_count(), 0);
}

/* G58: every error code the service lists for these arguments. */
static void
g58_errors(void **state)
{
	(void)state;
	assert_int_equal(add("", "0", "", "2525", "6", "600", NULL), 708);
	assert_int_equal(add("", "0", MAIL6, "2525", "65535", "600", NULL), 707);
	assert_int_equal(add("", "0", MAIL6, "0", "6", "600", NULL), 706);
	assert_int_equal(add("", "0", MAIL6, "2525", "1", "600", NULL), 705);
	assert_int_equal(add("", "0", MAIL6, "2525", "6", "0", NULL), 402);
	assert_int_equal(add("", "0", MAIL6, "2525", "6", "86401", NULL), 402);
	assert_int_equal(add("", "0", "not-an-address", "2525", "6", "600", NULL), 402);
	assert_int_equal(add("", "70000", MAIL6, "2525", "6", "600", NULL), 402);
	assert_int_equal(add("", "0", MAIL6, "25", "6", "600", NULL), 606);	/* the rules */
	assert_int_equal(add("", "0", "2001:db8:2::10", "2525", "6", "600", NULL), 606);
	assert_int_equal(add("", "0", "2001:db8:1::1", "2525", "6", "600", NULL), 606);
	assert_int_equal(by_id("DeletePinhole", 4242, "", NULL), 704);
	assert_int_equal(by_id("UpdatePinhole", 4242, "<NewLeaseTime>60</NewLeaseTime>", NULL), 704);
	assert_int_equal(by_id("GetPinholePackets", 4242, "", NULL), 704);
	assert_int_equal(by_id("CheckPinholeWorking", 4242, "", NULL), 704);
	/* a table of 3 is full at 3: 701 */
	assert_int_equal(add("", "0", MAIL6, "2001", "6", "600", NULL), 0);
	assert_int_equal(add("", "0", MAIL6, "2002", "6", "600", NULL), 0);
	assert_int_equal(add("2001:db8:ffff::2", "4000", MAIL6, "2003", "17", "600", NULL), 0);
	assert_int_equal(add("", "0", MAIL6, "2004", "6", "600", NULL), 701);
	/* the same port with another remote filter is another flow: refused, not changed */
	assert_int_equal(add("2001:db8:ffff::3", "0", MAIL6, "2001", "6", "600", NULL), 606);
	assert_int_equal(call("NoSuchAction", "", NULL), 401);
}

/* G59: a control point on IPv6 opens its own address; with secure_mode a
 * pinhole for another address needs the neighbour table (none here: 606). */
static void
g59_ipv6_peer(void **state)
{
	(void)state;
	cfg.secure_mode = true;
	peer = ip6(MAIL6);
	assert_int_equal(add("", "0", MAIL6, "2525", "6", "600", NULL), 0);
	assert_int_equal(pinhole_count(), 1);
	assert_int_equal(add("", "0", "2001:db8:1::20", "2525", "6", "600", NULL), 606);
	assert_int_equal(pinhole_count(), 1);
}

/* The same where the answer may wait (http.c): the table does not know
 * 2001:db8:1::20 yet, so AddPinhole and DeletePinhole ask to be run again
 * (SOAP_WAIT, for the table) having changed nothing; after the wait, 606. */
static void
g59_waits_for_the_table(void **state)
{
	struct soap_wait w = { .may_wait = true, .may_wait_neigh = true };
	struct in6_addr mail = ip6(MAIL6);
	struct pinhole *p;

	(void)state;
	cfg.secure_mode = true;
	peer = mail;
	assert_int_equal(add("", "0", MAIL6, "2525", "6", "600", NULL), 0);	/* its own: no wait */
	assert_non_null(p = pinhole_find(IPPROTO_TCP, &mail, 2525));
	call_wait = &w;
	assert_int_equal(add("", "0", "2001:db8:1::20", "2525", "6", "600", NULL), SOAP_WAIT);
	assert_true(w.neigh);
	assert_int_equal(pinhole_count(), 1);
	peer = ip6("2001:db8:1::20");
	w = (struct soap_wait){ .may_wait_neigh = true };
	assert_int_equal(by_id("DeletePinhole", p->id, "", NULL), SOAP_WAIT);
	assert_int_equal(pinhole_count(), 1);
	w = (struct soap_wait){ 0 };
	assert_int_equal(by_id("DeletePinhole", p->id, "", NULL), 606);
	assert_int_equal(pinhole_count(), 1);
	call_wait = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(g58_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(g58_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(g59_ipv6_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(g59_waits_for_the_table, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
