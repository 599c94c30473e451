/*
 * message: what the library says, for client.c and each protocol module
 * alike: the sentence a failure leaves in ph->err, log lines, error codes
 * as text, and a port's label. Calls nothing else in the library, so the
 * protocol modules never call back into client.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>

#include "phc.h"

int
phc_fail(struct porthole *ph, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ph->err, sizeof(ph->err), fmt, ap);
	va_end(ap);
	return err;
}

void
phc_log(const struct porthole *ph, int level, const char *fmt, ...)
{
	char msg[PORTHOLE_MSG_MAX];
	va_list ap;

	if (ph->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ph->o.log(ph->o.log_arg, level, msg);
}

PORTHOLE_API const char *
porthole_strerror(int err)
{
	switch (err) {
	case PORTHOLE_OK:
		return "success";
	case PORTHOLE_ERR_INVAL:
		return "invalid argument";
	case PORTHOLE_ERR_NOGATEWAY:
		return "no gateway: there is no default route; give the router's address "
		    "with --gateway";
	case PORTHOLE_ERR_NOPROTO:
		return "the gateway answers neither PCP, NAT-PMP nor UPnP: is port mapping "
		    "enabled on the router?";
	case PORTHOLE_ERR_TIMEOUT:
		return "the gateway did not answer: is it up, and is port mapping enabled?";
	case PORTHOLE_ERR_TAKEN:
		return "the port is held by another host on the LAN: free it there, or "
		    "remove that mapping in the router";
	case PORTHOLE_ERR_DENIED:
		return "the router's policy refuses this mapping: allow this host and port "
		    "in the router's port-mapping settings";
	case PORTHOLE_ERR_NORESOURCES:
		return "the router has no room for more mappings: remove unused ones";
	case PORTHOLE_ERR_NETWORK:
		return "the router has no external address: is its Internet link up?";
	case PORTHOLE_ERR_PROTOCOL:
		return "the router sent a malformed answer: try forcing another protocol "
		    "with --protocol";
	case PORTHOLE_ERR_SYSTEM:
		return "a local system call failed";
	case PORTHOLE_ERR_NOTMAPPED:
		return "not mapped: run `porthole map` first";
	case PORTHOLE_ERR_PROFILE:
		return "bad profile or port: write ports as tcp/N or udp/N";
	case PORTHOLE_ERR_STATE:
		return "the state file is unreadable or corrupt: remove it and map again";
	case PORTHOLE_ERR_UNSUPPORTED:
		return "the router does not offer the forced protocol: try --protocol auto";
	case PORTHOLE_ERR_LOST:
		return "the router restarted and forgot the mapping: map again "
		    "(`porthole keep` does it by itself)";
	case PORTHOLE_ERR_STATIC:
		return "the port is held by a static mapping on the router: remove it there, "
		    "or use it as it is";
	case PORTHOLE_ERR_REFLECTOR:
		return "the reflector could not test from outside: is it running, is the URL "
		    "right, and does it allow these ports?";
	}
	return "unknown error";
}

const char *
phc_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

int
phc_port_label(char *buf, size_t len, const struct porthole_mapping *m)
{
	return snprintf(buf, len, "%s/%u", phc_proto_name(m->proto), m->internal_port);
}

const char *
phc_gw_text(const struct porthole *ph, int family, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (family == AF_INET6) {
		inet_ntop(AF_INET6, &ph->gw6, a, sizeof(a));
		snprintf(buf, len, "[%s]", a);
	} else {
		inet_ntop(AF_INET, &ph->gw, a, sizeof(a));
		snprintf(buf, len, "%s", a);
	}
	return buf;
}

/* Where a mapping is reached from outside: "203.0.113.1:25" or "[2001:db8::10]:25". */
PORTHOLE_API const char *
porthole_endpoint(const struct porthole_mapping *m, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (m->family == AF_INET6) {
		inet_ntop(AF_INET6, &m->address6, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, m->external_port);
	} else {
		inet_ntop(AF_INET, &m->external_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, m->external_port);
	}
	return buf;
}
