/*
 * policy: the admin's permission rules, miniupnpd style:
 *
 *   allow|deny EXTPORTS ADDR[/MASKLEN] INTPORTS [third-party]
 *
 * ADDR is IPv4 (a rule for NAT mappings) or IPv6 (a rule for pinholes, where
 * nothing is translated: the port must be inside both ranges).
 *
 * First match wins; a request that matches no rule is denied. A request
 * whose requester is not the internal host (third party) is allowed only
 * when the matching allow rule carries `third-party`. Static mappings made
 * by the admin (portholectl) are not subject to these rules.
 */
#ifndef PORTHOLE_POLICY_H
#define PORTHOLE_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct policy_rule {
	bool		allow;
	bool		third_party;
	uint16_t	ext_lo, ext_hi;
	bool		v6;		/* an IPv6 rule: addr6, plen up to 128 */
	struct in_addr	addr;		/* network byte order, already masked */
	struct in6_addr	addr6;		/* already masked */
	uint8_t		plen;
	uint16_t	int_lo, int_hi;
};

enum policy_verdict {
	POLICY_ALLOW = 0,
	POLICY_DENY,		/* a deny rule or no rule matched */
	POLICY_THIRD_PARTY,	/* requester != internal host and not allowed */
};

struct policy {
	struct policy_rule	*rules;
	size_t			 n_rules;
};

/* Parse the part after "allow"/"deny"; returns 0 or a message in err. */
int	policy_parse_rule(const char *line, struct policy_rule *out, char *err, size_t errlen);

enum policy_verdict policy_check(const struct policy *p, uint16_t ext_port,
	    struct in_addr int_addr, uint16_t int_port, struct in_addr requester);

/* A pinhole to int_addr:port; same_host: the requester is that host (one of
 * its addresses), otherwise only a `third-party` rule allows it. */
enum policy_verdict policy_check6(const struct policy *p, uint16_t port,
	    const struct in6_addr *int_addr, bool same_host);

const char *policy_verdict_str(enum policy_verdict v);

#endif
