/*
 * policy: permission rules (policy.h). Parsing is strict: a rule the admin
 * mistyped must fail loudly at start, never silently allow or deny.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"

static int
parse_u16(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "N" or "N-M" */
static int
parse_range(char *s, uint16_t *lo, uint16_t *hi)
{
	char *dash = strchr(s, '-');

	if (dash)
		*dash = '\0';
	if (parse_u16(s, lo) < 0)
		return -EINVAL;
	if (!dash) {
		*hi = *lo;
		return 0;
	}
	if (parse_u16(dash + 1, hi) < 0 || *hi < *lo)
		return -EINVAL;
	return 0;
}

/* "A.B.C.D", "A.B.C.D/LEN" or "A.B.C.D/M.M.M.M"; says which part is wrong. */
static int
parse_prefix(char *s, struct in_addr *addr, uint8_t *plen, char *err, size_t errlen)
{
	char *slash = strchr(s, '/');
	uint16_t len = 32;

	if (slash) {
		*slash = '\0';
		struct in_addr mask;
		const char *m_text = slash + 1;
		if (strchr(m_text, '.')) {
			if (inet_pton(AF_INET, m_text, &mask) != 1) {
				snprintf(err, errlen, "mask '%s' is not a dotted mask", m_text);
				return -EINVAL;
			}
			uint32_t m = ntohl(mask.s_addr);
			len = (uint16_t)__builtin_popcount(m);
			if (len && m != ~0u << (32 - len)) {
				snprintf(err, errlen, "mask %s is not contiguous (ones, then zeros)",
				    m_text);
				return -EINVAL;
			}
		} else if (parse_u16(m_text, &len) < 0 || len > 32) {
			snprintf(err, errlen, "prefix length /%s is not 0 to 32", m_text);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET, s, addr) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 address (want A.B.C.D/LEN)", s);
		return -EINVAL;
	}
	*plen = (uint8_t)len;
	addr->s_addr &= len ? htonl(~0u << (32 - len)) : 0;
	return 0;
}

/* "X:X::X" or "X:X::X/LEN"; IPv6 rules govern pinholes (policy_check6). */
static int
parse_prefix6(char *s, struct in6_addr *addr, uint8_t *plen, char *err, size_t errlen)
{
	char *slash = strchr(s, '/');
	uint16_t len = 128;

	if (slash) {
		*slash = '\0';
		if (parse_u16(slash + 1, &len) < 0 || len > 128) {
			snprintf(err, errlen, "prefix length /%s is not 0 to 128", slash + 1);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET6, s, addr) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv6 address (want X:X::X/LEN)", s);
		return -EINVAL;
	}
	*plen = (uint8_t)len;
	for (unsigned bit = len; bit < 128; bit++)
		addr->s6_addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

int
policy_parse_rule(const char *line, struct policy_rule *out, char *err, size_t errlen)
{
	char buf[256], *tok[6], *save = NULL;
	int n = 0;

	if (strlen(line) >= sizeof(buf)) {
		snprintf(err, errlen, "rule too long");
		return -EINVAL;
	}
	strcpy(buf, line);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 6)
			break;
		tok[n++] = t;
	}
	memset(out, 0, sizeof(*out));
	if (n < 4 || n > 5) {
		snprintf(err, errlen, "expected 'allow|deny EXTPORTS ADDR/MASK INTPORTS [third-party]'");
		return -EINVAL;
	}
	if (strcmp(tok[0], "allow") == 0)
		out->allow = true;
	else if (strcmp(tok[0], "deny") != 0) {
		snprintf(err, errlen, "a rule starts with allow or deny, not '%s'", tok[0]);
		return -EINVAL;
	}
	if (parse_range(tok[1], &out->ext_lo, &out->ext_hi) < 0) {
		snprintf(err, errlen, "bad external port range (want N or N-M, 0-65535)");
		return -EINVAL;
	}
	if (strchr(tok[2], ':')) {
		if (parse_prefix6(tok[2], &out->addr6, &out->plen, err, errlen) < 0)
			return -EINVAL;
		out->v6 = true;
	} else if (parse_prefix(tok[2], &out->addr, &out->plen, err, errlen) < 0) {
		return -EINVAL;
	}
	if (parse_range(tok[3], &out->int_lo, &out->int_hi) < 0) {
		snprintf(err, errlen, "bad internal port range (want N or N-M, 0-65535)");
		return -EINVAL;
	}
	if (n == 5) {
		if (strcmp(tok[4], "third-party") != 0) {
			snprintf(err, errlen, "unknown rule flag '%s' (the only flag is 'third-party')",
			    tok[4]);
			return -EINVAL;
		}
		if (!out->allow) {
			snprintf(err, errlen, "'third-party' only on allow rules: it lets a host "
			    "map for another; a deny rule denies every requester already");
			return -EINVAL;
		}
		out->third_party = true;
	}
	return 0;
}

static bool
rule_matches(const struct policy_rule *r, uint16_t ext_port, struct in_addr addr,
    uint16_t int_port)
{
	uint32_t mask;

	if (r->v6)
		return false;
	mask = r->plen ? htonl(~0u << (32 - r->plen)) : 0;
	return ext_port >= r->ext_lo && ext_port <= r->ext_hi &&
	    int_port >= r->int_lo && int_port <= r->int_hi &&
	    (addr.s_addr & mask) == r->addr.s_addr;
}

enum policy_verdict
policy_check(const struct policy *p, uint16_t ext_port, struct in_addr int_addr,
    uint16_t int_port, struct in_addr requester)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (!rule_matches(r, ext_port, int_addr, int_port))
			continue;
		if (!r->allow)
			return POLICY_DENY;
		if (requester.s_addr != int_addr.s_addr && !r->third_party)
			return POLICY_THIRD_PARTY;
		return POLICY_ALLOW;
	}
	return POLICY_DENY;
}

enum policy_verdict
policy_check6(const struct policy *p, uint16_t port, const struct in6_addr *int_addr,
    bool same_host)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (!r->v6 || port < r->ext_lo || port > r->ext_hi || port < r->int_lo ||
		    port > r->int_hi || !netif_in_prefix6(int_addr, &r->addr6, r->plen))
			continue;
		if (!r->allow)
			return POLICY_DENY;
		if (!same_host && !r->third_party)
			return POLICY_THIRD_PARTY;
		return POLICY_ALLOW;
	}
	return POLICY_DENY;
}

const char *
policy_verdict_str(enum policy_verdict v)
{
	switch (v) {
	case POLICY_ALLOW:
		return "allowed";
	case POLICY_DENY:
		return "denied by the permission rules";
	case POLICY_THIRD_PARTY:
		return "mapping for another host not allowed";
	}
	return "?";
}
