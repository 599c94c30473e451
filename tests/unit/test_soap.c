/*
 * Unit tests for SOAP (daemon/upnp/soap.c, soap_actions.c) and the GENA
 * header parsers (gena_msg.c): hostile bodies, every action's error codes
 * and the v1/v2 lease rules (CONFORMANCE E42-E47, E49-E50), run against
 * the real lease table over the null backend.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "config.h"
#include "event.h"
#include "lease.h"
#include "netif.h"
#include "stats.h"
#include "upnp/upnp.h"

#define IPC2 "urn:schemas-upnp-org:service:WANIPConnection:2"
#define IPC1 "urn:schemas-upnp-org:service:WANIPConnection:1"
#define MAIL "192.168.77.10"
#define WS   "192.168.77.20"

static struct config cfg;
static struct policy_rule rule;


static int
setup(void **state)
{
	char err[128];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.secure_mode = true;
	cfg.igd_version = 2;
	snprintf(cfg.ext_ifname, sizeof(cfg.ext_ifname), "lo");
	assert_int_equal(policy_parse_rule("allow 1-65535 192.168.77.0/24 1-65535", &rule,
	    err, sizeof(err)), 0);
	cfg.policy.rules = &rule;
	cfg.policy.n_rules = 1;
	memset(&upnp_st, 0, sizeof(upnp_st));
	upnp_st.cfg = &cfg;
	upnp_st.primary = 2;
	ev_init();
	soap_init();
	lease_init(&backend_null, &(struct lease_limits){ 0 });
	lease_set_external(ip("203.0.113.1"));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	lease_fini();
	ev_fini();
	return 0;
}

/* What the last dispatched action reported. */
static struct request_result last;
/* How call() lets the answer wait (NULL: never, as a fuzzer). */
static struct soap_wait *call_wait;

/* Build an envelope around ACTION with ARGS, parse it and dispatch it. */
static int
call(enum upnp_svc svc, const char *ns, const char *action, const char *args,
    const char *peer, char **resp)
{
	struct in6_addr from = ip4mapped(peer);
	char body[4096];

	if (strchr(peer, ':'))		/* a control point on IPv6 */
		inet_pton(AF_INET6, peer, &from);
	struct soap_req rq;
	struct sbuf out;
	int rc;

	snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>"
	    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
	    "<u:%s xmlns:u=\"%s\">%s</u:%s></s:Body></s:Envelope>", action, ns, args, action);
	rc = soap_parse(body, strlen(body), &rq);
	if (rc)
		return rc;
	sbuf_init(&out);
	rc = soap_dispatch(svc, NULL, &rq, &from, call_wait, &out, &last);
	if (resp)
		*resp = sbuf_take(&out, NULL);
	else
		sbuf_free(&out);
	return rc;
}

static const char *
add_args(char *buf, size_t len, const char *ext, const char *proto, const char *intp,
    const char *client, const char *lease)
{
	snprintf(buf, len, "<NewRemoteHost></NewRemoteHost><NewExternalPort>%s</NewExternalPort>"
	    "<NewProtocol>%s</NewProtocol><NewInternalPort>%s</NewInternalPort>"
	    "<NewInternalClient>%s</NewInternalClient><NewEnabled>1</NewEnabled>"
	    "<NewPortMappingDescription>d&amp;d</NewPortMappingDescription>"
	    "<NewLeaseDuration>%s</NewLeaseDuration>", ext, proto, intp, client, lease);
	return buf;
}

static int
add(enum upnp_svc svc, const char *ext, const char *proto, const char *intp,
    const char *client, const char *lease, const char *peer)
{
	char a[1024];

	return call(svc, svc == SVC_WANIPC1 ? IPC1 : IPC2, "AddPortMapping",
	    add_args(a, sizeof(a), ext, proto, intp, client, lease), peer, NULL);
}

/* --- parser --------------------------------------------------------------- */

static void
parse_envelope(void **state)
{
	static const char body[] = "<?xml version=\"1.0\"?>\n"
	    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	    "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
	    "<s:Header><x/></s:Header><s:Body><u:GetSpecificPortMappingEntry xmlns:u=\"" IPC2 "\">"
	    "<NewRemoteHost/><NewExternalPort> 80</NewExternalPort><NewProtocol>TCP</NewProtocol>"
	    "</u:GetSpecificPortMappingEntry></s:Body></s:Envelope>";
	struct soap_req rq;

	(void)state;
	assert_int_equal(soap_parse(body, sizeof(body) - 1, &rq), 0);
	assert_string_equal(rq.action, "GetSpecificPortMappingEntry");
	assert_string_equal(rq.service, IPC2);
	assert_int_equal(rq.nargs, 3);
	assert_string_equal(soap_arg(&rq, "NewRemoteHost"), "");
	assert_string_equal(soap_arg(&rq, "NewExternalPort"), " 80");
	assert_null(soap_arg(&rq, "NewInternalPort"));
}

static void
parse_hostile(void **state)
{
	static const struct { const char *body; int code; } cases[] = {
		{ "", 401 },
		{ "not xml at all", 401 },
		{ "<a><b></a>", 401 },
		{ "<Envelope><Body><X/></Body></Envelope>", 401 },	/* no SOAP namespace */
		{ "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"/>", 401 },
		{ "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>", 401 },
		{ "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
		  "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:X xmlns:u=\"" IPC2 "\">"
		  "<A>&b;</A></u:X></s:Body></s:Envelope>", 402 },
		{ "<!DOCTYPE s:Envelope SYSTEM \"http://example.invalid/x.dtd\"><s:Envelope/>", 402 },
		{ "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:X xmlns:u=\"u\">"
		  "<A><B>nested</B></A></u:X></s:Body></s:Envelope>", 402 },
	};
	struct soap_req rq;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(soap_parse(cases[i].body, strlen(cases[i].body), &rq), cases[i].code);
}

static void
parse_limits(void **state)
{
	char *body = malloc(UPNP_BODY_MAX + 64), args[2048] = "";
	struct soap_req rq;
	int n;

	(void)state;
	/* More arguments than we keep. */
	for (int i = 0; i <= SOAP_MAX_ARGS; i++)
		strcat(args, "<A>1</A>");
	n = snprintf(body, UPNP_BODY_MAX, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
	    "<s:Body><u:X xmlns:u=\"u\">%s</u:X></s:Body></s:Envelope>", args);
	assert_int_equal(soap_parse(body, (size_t)n, &rq), 402);
	/* A value longer than SOAP_VALUE_MAX. */
	memset(args, 'v', SOAP_VALUE_MAX + 1);
	args[SOAP_VALUE_MAX + 1] = '\0';
	n = snprintf(body, UPNP_BODY_MAX, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
	    "<s:Body><u:X xmlns:u=\"u\"><A>%s</A></u:X></s:Body></s:Envelope>", args);
	assert_int_equal(soap_parse(body, (size_t)n, &rq), 402);
	/* Past the body cap. */
	memset(body, ' ', UPNP_BODY_MAX + 1);
	assert_int_equal(soap_parse(body, UPNP_BODY_MAX + 1, &rq), 401);
	free(body);
}

static void
fault_text(void **state)
{
	struct sbuf b;
	char *s;

	(void)state;
	sbuf_init(&b);
	soap_fault(&b, 718);
	s = sbuf_take(&b, NULL);
	assert_non_null(strstr(s, "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>"));
	assert_non_null(strstr(s, "<errorCode>718</errorCode><errorDescription>ConflictInMappingEntry<"));
	free(s);
	assert_string_equal(soap_error_str(713), "SpecifiedArrayIndexInvalid");
}

/* --- actions --------------------------------------------------------------- */

static void
add_rules(void **state)
{
	struct lease *l;

	(void)state;
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 0);
	l = lease_find(IPPROTO_TCP, 3000);
	assert_non_null(l);
	assert_int_equal(l->owner, OWNER_UPNP);
	assert_string_equal(l->desc, "d&d");
	/* E44: v2 lease 0 is a week. */
	assert_true(lease_seconds_left(l) > 604790 && lease_seconds_left(l) <= 604800);
	/* E43 */
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", WS, "0", WS), 718);
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3001", MAIL, "60", MAIL), 0);
	assert_int_equal(lease_find(IPPROTO_TCP, 3000)->int_port, 3001);
	assert_int_equal(lease_count(), 1);
	assert_int_equal(add(SVC_WANIPC2, "0", "TCP", "3000", MAIL, "0", MAIL), 716);
	assert_int_equal(add(SVC_WANIPC2, "3002", "TCP", "0", MAIL, "0", MAIL), 732);
	assert_int_equal(add(SVC_WANIPC2, "3002", "TCP", "3002", "", "0", MAIL), 715);
	assert_int_equal(add(SVC_WANIPC2, "3002", "TCP", "3002", WS, "0", MAIL), 606);
	assert_int_equal(add(SVC_WANIPC1, "3002", "TCP", "3002", WS, "0", MAIL), 718);
	assert_int_equal(add(SVC_WANIPC2, "80", "TCP", "3002", MAIL, "0", MAIL), 606);
	assert_int_equal(add(SVC_WANIPC2, "3002", "ICMP", "3002", MAIL, "0", MAIL), 601);
	assert_int_equal(add(SVC_WANIPC1, "3002", "ICMP", "3002", MAIL, "0", MAIL), 402);
	assert_int_equal(add(SVC_WANIPC2, "3002", "TCP", "3002", "10.1.1", "0", MAIL), 402);
	assert_int_equal(add(SVC_WANIPC2, "3002", "TCP", "3002", MAIL, "-1", MAIL), 402);
	assert_int_equal(lease_count(), 1);
	/* E44: v1 keeps 0 as permanent, port 25 is fine there. */
	assert_int_equal(add(SVC_WANIPC1, "25", "TCP", "25", MAIL, "0", MAIL), 0);
	assert_true(lease_permanent(lease_find(IPPROTO_TCP, 25)));
	/* v2 clamps long leases. */
	assert_int_equal(add(SVC_WANIPC2, "3003", "UDP", "3003", MAIL, "999999", MAIL), 0);
	assert_true(lease_seconds_left(lease_find(IPPROTO_UDP, 3003)) <= 604800);
}

/* Each refusal comes back with the reason decided beside its code. */
static void
results_name_reasons(void **state)
{
	(void)state;
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 0);
	assert_int_equal(last.wire, 0);
	assert_false(last.refused);
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", WS, "0", WS), 718);
	assert_true(last.refused);
	assert_int_equal(last.why, REFUSED_CONFLICT);
	assert_int_equal(last.ext_port, 3000);
	assert_int_equal(last.l4proto, IPPROTO_TCP);
	assert_int_equal(last.client.s_addr, ip(WS).s_addr);
	/* 718 on IGD:1 for another host: the reason is the third party, not a conflict. */
	assert_int_equal(add(SVC_WANIPC1, "3002", "TCP", "3002", WS, "0", MAIL), 718);
	assert_int_equal(last.why, REFUSED_THIRD_PARTY);
	assert_int_equal(add(SVC_WANIPC2, "80", "TCP", "3002", MAIL, "0", MAIL), 606);
	assert_int_equal(last.why, REFUSED_POLICY);
	assert_int_equal(add(SVC_WANIPC2, "3002", "ICMP", "3002", MAIL, "0", MAIL), 601);
	assert_true(last.refused);
	assert_int_equal(last.why, REFUSED_MALFORMED);
	/* A lookup that fails is an error, never a refused mapping. */
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetSpecificPortMappingEntry",
	    "<NewRemoteHost></NewRemoteHost><NewExternalPort>4000</NewExternalPort>"
	    "<NewProtocol>TCP</NewProtocol>", MAIL, NULL), 714);
	assert_int_equal(last.wire, 714);
	assert_false(last.refused);
}

static void
policy_denies(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(policy_parse_rule("deny 1-65535 0.0.0.0/0 1-65535", &rule, err, sizeof(err)), 0);
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 606);
	assert_int_equal(add(SVC_WANIPC1, "3000", "TCP", "3000", MAIL, "0", MAIL), 718);
	assert_int_equal(lease_count(), 0);
}

static void
add_any(void **state)
{
	char a[1024], *r;

	(void)state;
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "4000", "TCP", "4000", MAIL, "600"), MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewReservedPort>4000</NewReservedPort>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "4000", "TCP", "4000", WS, "600"), WS, &r), 0);
	assert_null(strstr(r, "<NewReservedPort>4000<"));
	assert_non_null(strstr(r, "<NewReservedPort>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "4000", "TCP", "4000", MAIL, "600"), MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewReservedPort>4000</NewReservedPort>"));
	free(r);
	assert_int_equal(lease_count(), 2);
	/* Refusals that no other port would change come back as they are. */
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "4000", "TCP", "4000", WS, "600"), MAIL, NULL), 606);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "4000", "TCP", "25", MAIL, "600"), MAIL, NULL), 606);
	/* An external port below 1024 is moved up to an allowed one. */
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "80", "UDP", "8080", MAIL, "600"), MAIL, &r), 0);
	assert_null(strstr(r, "<NewReservedPort>80<"));
	free(r);
	assert_int_equal(lease_count(), 3);
	assert_int_equal(call(SVC_WANIPC1, IPC1, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "4000", "TCP", "4000", MAIL, "600"), MAIL, NULL), 401);
}

static void
generic_and_specific(void **state)
{
	char *r;
	struct lease_req pmp = { .proto = IPPROTO_UDP, .ext_port = 5000, .int_addr = ip(WS),
				 .int_port = 5000, .lifetime = 3600, .owner = OWNER_NATPMP, .desc = "" };
	struct lease *l;

	(void)state;
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 0);
	assert_int_equal(lease_add(&pmp, &l), 0);
	/* E46: contiguous indices over every owner, then 713. */
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetGenericPortMappingEntry",
	    "<NewPortMappingIndex>0</NewPortMappingIndex>", MAIL, NULL), 0);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetGenericPortMappingEntry",
	    "<NewPortMappingIndex>1</NewPortMappingIndex>", MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewExternalPort>5000</NewExternalPort><NewProtocol>UDP</NewProtocol>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetGenericPortMappingEntry",
	    "<NewPortMappingIndex>2</NewPortMappingIndex>", MAIL, NULL), 713);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetGenericPortMappingEntry",
	    "<NewPortMappingIndex>x</NewPortMappingIndex>", MAIL, NULL), 402);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetSpecificPortMappingEntry",
	    "<NewRemoteHost></NewRemoteHost><NewExternalPort>3000</NewExternalPort><NewProtocol>TCP</NewProtocol>",
	    MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewInternalClient>" MAIL "</NewInternalClient>"));
	assert_non_null(strstr(r, "<NewPortMappingDescription>d&amp;d</NewPortMappingDescription>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetSpecificPortMappingEntry",
	    "<NewRemoteHost>1.2.3.4</NewRemoteHost><NewExternalPort>3000</NewExternalPort><NewProtocol>TCP</NewProtocol>",
	    MAIL, NULL), 714);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMapping",
	    "<NewRemoteHost></NewRemoteHost><NewExternalPort>3001</NewExternalPort><NewProtocol>TCP</NewProtocol>",
	    MAIL, NULL), 714);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMapping",
	    "<NewRemoteHost></NewRemoteHost><NewExternalPort>3000</NewExternalPort><NewProtocol>TCP</NewProtocol>",
	    WS, NULL), 606);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMapping",
	    "<NewRemoteHost></NewRemoteHost><NewExternalPort>3000</NewExternalPort><NewProtocol>TCP</NewProtocol>",
	    MAIL, NULL), 0);
	assert_int_equal(lease_count(), 1);
}

static void
ranges(void **state)
{
	char *r;

	(void)state;
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 0);
	assert_int_equal(add(SVC_WANIPC2, "3001", "TCP", "3001", WS, "0", WS), 0);
#define RANGE(s, e, m) "<NewStartPort>" s "</NewStartPort><NewEndPort>" e "</NewEndPort>" \
	"<NewProtocol>TCP</NewProtocol><NewManage>" m "</NewManage>"
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetListOfPortMappings",
	    RANGE("4000", "3000", "1") "<NewNumberOfPorts>0</NewNumberOfPorts>", MAIL, NULL), 733);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetListOfPortMappings",
	    RANGE("5000", "6000", "1") "<NewNumberOfPorts>0</NewNumberOfPorts>", MAIL, NULL), 730);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetListOfPortMappings",
	    RANGE("1", "65535", "0") "<NewNumberOfPorts>0</NewNumberOfPorts>", MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewPortListing><![CDATA[<p:PortMappingList"));
	assert_non_null(strstr(r, "<p:NewExternalPort>3000<"));
	assert_null(strstr(r, "<p:NewExternalPort>3001<"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetListOfPortMappings",
	    RANGE("1", "65535", "1") "<NewNumberOfPorts>0</NewNumberOfPorts>", MAIL, &r), 0);
	assert_non_null(strstr(r, "<p:NewExternalPort>3001<"));
	assert_non_null(strstr(r, "<p:NewDescription>d&amp;d</p:NewDescription>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMappingRange", RANGE("4000", "3000", "1"),
	    MAIL, NULL), 733);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMappingRange", RANGE("5000", "6000", "1"),
	    MAIL, NULL), 730);
	/* Secure mode: even with Manage=1, only the caller's own go. */
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMappingRange", RANGE("1", "65535", "1"),
	    MAIL, NULL), 0);
	assert_null(lease_find(IPPROTO_TCP, 3000));
	assert_non_null(lease_find(IPPROTO_TCP, 3001));
}

static void
dispatch_checks(void **state)
{
	char *r;

	(void)state;
	assert_int_equal(call(SVC_WANIPC2, IPC2, "NoSuchAction", "", MAIL, NULL), 401);
	/* The body's service must be the URL's (or a lower version of it). */
	assert_int_equal(call(SVC_WANIPC2, "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
	    "GetExternalIPAddress", "", MAIL, NULL), 401);
	assert_int_equal(call(SVC_WANIPC1, IPC2, "GetExternalIPAddress", "", MAIL, NULL), 401);
	assert_int_equal(call(SVC_WANIPC2, IPC1, "GetExternalIPAddress", "", MAIL, &r), 0);
	assert_non_null(strstr(r, "xmlns:u=\"" IPC1 "\""));
	assert_non_null(strstr(r, "<NewExternalIPAddress>203.0.113.1</NewExternalIPAddress>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetStatusInfo", "", MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewConnectionStatus>Connected</NewConnectionStatus>"));
	free(r);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "ForceTermination", "", MAIL, NULL), 606);
	assert_int_equal(call(SVC_WANCIC1, "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
	    "GetTotalBytesReceived", "", MAIL, &r), 0);
	assert_non_null(strstr(r, "<NewTotalBytesReceived>"));
	free(r);
}

/*
 * G65: a control point on IPv6 has no IPv4 address; an IPv4 one is its own
 * only when the neighbour table says so (no entries here: never), so every
 * other host's is a third party: 606 on IGD:2, 718 on IGD:1, and only a
 * `third-party` rule (with secure_mode off) lets it map.
 */
static void
ipv6_caller(void **state)
{
	static struct policy_rule tp[1];
	char err[128], a[1024];
	const char *me = "2001:db8:1::10";

	(void)state;
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 0);
	assert_int_equal(add(SVC_WANIPC2, "3001", "TCP", "3001", MAIL, "0", me), 606);
	assert_int_equal(last.why, REFUSED_THIRD_PARTY);
	assert_int_equal(add(SVC_WANIPC1, "3001", "TCP", "3001", MAIL, "0", me), 718);
	assert_int_equal(last.why, REFUSED_THIRD_PARTY);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "AddAnyPortMapping",
	    add_args(a, sizeof(a), "3001", "TCP", "3001", MAIL, "0"), me, NULL), 606);
	assert_int_equal(lease_count(), 1);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "DeletePortMapping",
	    "<NewRemoteHost></NewRemoteHost><NewExternalPort>3000</NewExternalPort>"
	    "<NewProtocol>TCP</NewProtocol>", me, NULL), 606);
	assert_int_equal(call(SVC_WANIPC2, IPC2, "GetListOfPortMappings",
	    "<NewStartPort>1</NewStartPort><NewEndPort>65535</NewEndPort><NewProtocol>TCP</NewProtocol>"
	    "<NewManage>0</NewManage><NewNumberOfPorts>0</NewNumberOfPorts>", me, NULL), 730);
	assert_int_equal(lease_count(), 1);
	/* secure_mode off: the rules decide, and this one has no third-party flag. */
	cfg.secure_mode = false;
	assert_int_equal(add(SVC_WANIPC2, "3001", "TCP", "3001", MAIL, "0", me), 606);
	assert_int_equal(last.why, REFUSED_THIRD_PARTY);
	assert_int_equal(policy_parse_rule("allow 1-65535 192.168.77.0/24 1-65535 third-party",
	    &tp[0], err, sizeof(err)), 0);
	cfg.policy.rules = tp;
	assert_int_equal(add(SVC_WANIPC2, "3001", "TCP", "3001", MAIL, "0", me), 0);
	assert_int_equal(lease_count(), 2);
	cfg.policy.rules = &rule;
	cfg.secure_mode = true;
}

/* The same question where the answer may wait (http.c): the table does not
 * know the address yet, so the action asks to be run again (SOAP_WAIT, for
 * the table) having changed nothing; once that wait is over, 606 as above. */
static void
ipv6_caller_waits(void **state)
{
	struct soap_wait w = { .may_wait = true, .may_wait_neigh = true };
	const char *me = "2001:db8:1::10";

	(void)state;
	call_wait = &w;
	assert_int_equal(add(SVC_WANIPC2, "3001", "TCP", "3001", MAIL, "0", me), SOAP_WAIT);
	assert_true(w.neigh);
	assert_int_equal(lease_count(), 0);
	w = (struct soap_wait){ .may_wait = true };
	assert_int_equal(add(SVC_WANIPC2, "3001", "TCP", "3001", MAIL, "0", me), 606);
	assert_false(w.neigh);
	assert_int_equal(last.why, REFUSED_THIRD_PARTY);
	assert_int_equal(lease_count(), 0);
	/* A caller on IPv4 is its own address without the table: no wait. */
	w = (struct soap_wait){ .may_wait = true, .may_wait_neigh = true };
	assert_int_equal(add(SVC_WANIPC2, "3000", "TCP", "3000", MAIL, "0", MAIL), 0);
	assert_false(w.neigh);
	assert_int_equal(lease_count(), 1);
	call_wait = NULL;
}

/* --- GENA headers ------------------------------------------------------------- */

static const char *
cb_host(const struct gena_callback *cb)
{
	static char buf[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(&cb->addr))
		return inet_ntop(AF_INET, &cb->addr.s6_addr[12], buf, sizeof(buf));
	return inet_ntop(AF_INET6, &cb->addr, buf, sizeof(buf));
}

static void
gena_callback(void **state)
{
	struct gena_callback cb;

	(void)state;
	assert_int_equal(gena_parse_callback("<http://192.168.77.10:5100/cb/x>", &cb), 0);
	assert_string_equal(cb_host(&cb), "192.168.77.10");
	assert_true(IN6_IS_ADDR_V4MAPPED(&cb.addr));
	assert_int_equal(cb.port, 5100);
	assert_string_equal(cb.path, "/cb/x");
	assert_int_equal(gena_parse_callback("<http://192.168.77.10>", &cb), 0);
	assert_int_equal(cb.port, 80);
	assert_string_equal(cb.path, "/");
	/* The first usable URL wins. */
	assert_int_equal(gena_parse_callback("<ftp://x/><http://10.0.0.1:1/a>", &cb), 0);
	assert_string_equal(cb_host(&cb), "10.0.0.1");
	/* G64: IPv6 literals in brackets (RFC 3986 §3.2.2); a zone is skipped (RFC 6874). */
	assert_int_equal(gena_parse_callback("<http://[2001:db8:1::10]:4000/>", &cb), 0);
	assert_string_equal(cb_host(&cb), "2001:db8:1::10");
	assert_int_equal(cb.port, 4000);
	assert_string_equal(cb.path, "/");
	assert_int_equal(gena_parse_callback("<http://[fe80::1%25eth0]:4000/cb>", &cb), 0);
	assert_string_equal(cb_host(&cb), "fe80::1");
	assert_string_equal(cb.path, "/cb");
	assert_int_equal(gena_parse_callback("<http://[fe80::2%eth0]/e>", &cb), 0);
	assert_string_equal(cb_host(&cb), "fe80::2");
	assert_int_equal(cb.port, 80);
	assert_int_equal(gena_parse_callback("<http://[2001:db8::1]>", &cb), 0);
	assert_string_equal(cb.path, "/");
	static const char *bad[] = {
		NULL, "", "http://192.168.77.10/", "<http://host.example/>", "<http://192.168.77.10:0/>",
		"<http://192.168.77.10:65536/>", "<http://192.168.77.10:/>", "<http://192.168.77.10/a b>",
		"<http://192.168.77.10/a\r\nX: y>", "<http://192.168.77.10", "<https://192.168.77.10/>",
		"<http://2001:db8::1/>", "<http://[2001:db8::1/>", "<http://[2001:db8::1]x:80/>",
		"<http://[]:80/>", "<http://[%25eth0]/>", "<http://[192.168.77.10]/>",
		"<http://[2001:db8::1]:/>", "<http://[2001:db8::1]:99999/>", "<http://[::1]]/>",
		"<http://[2001:db8:0:0:0:0:0:0:1]/>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(gena_parse_callback(bad[i], &cb), 0);
}

static void
gena_timeout(void **state)
{
	(void)state;
	assert_int_equal(gena_parse_timeout(NULL), 1800);
	assert_int_equal(gena_parse_timeout("Second-60"), 1800);
	assert_int_equal(gena_parse_timeout("Second-3600"), 3600);
	assert_int_equal(gena_parse_timeout("Second-infinite"), 1800);
	assert_int_equal(gena_parse_timeout("Second-99999999999999999999"), 86400);
	assert_int_equal(gena_parse_timeout("junk"), 1800);
}

/* The DNS-rebinding guard: an address literal passes, IPv4 or bracketed IPv6. */
static void
host_header(void **state)
{
	static const char *good[] = {
		NULL, "192.168.1.1", "192.168.1.1:8080", "[2001:db8:1::1]", "[2001:db8:1::1]:8080",
		"[fe80::1%25br-lan]:8080", "[::ffff:192.168.1.1]:80",
	};
	static const char *bad[] = {
		"", "router.example", "router.example:80", "[router.example]:80", "[2001:db8::1",
		"[2001:db8::1]x", "[]:80", "2001:db8::1", "[2001:db8:1::1]]:80", "[%25eth0]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(netif_host_is_address(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(netif_host_is_address(bad[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_envelope),
		cmocka_unit_test(parse_hostile),
		cmocka_unit_test(parse_limits),
		cmocka_unit_test(fault_text),
		cmocka_unit_test_setup_teardown(add_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(ipv6_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(ipv6_caller_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(results_name_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(policy_denies, setup, teardown),
		cmocka_unit_test_setup_teardown(add_any, setup, teardown),
		cmocka_unit_test_setup_teardown(generic_and_specific, setup, teardown),
		cmocka_unit_test_setup_teardown(ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(dispatch_checks, setup, teardown),
		cmocka_unit_test(gena_callback),
		cmocka_unit_test(gena_timeout),
		cmocka_unit_test(host_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
