/*
 * dnscheck: does the world's mail find this network? For --domain, the MX
 * hosts (or, with none, the domain itself: RFC 5321 §5.1's implicit MX),
 * their A and AAAA records, whether an A record is this network's public
 * address, and the public address's reverse (PTR) name, confirmed when
 * that name resolves back to the address (mail from an address without one
 * is widely refused). Queries go through libc's resolver (res_nquery, the
 * system's /etc/resolv.conf); answers are read with libresolv's
 * ns_initparse/ns_parserr, which bound every record to the message.
 * phc_dns_answer_parse does no I/O, for the tests and the fuzzer.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phc.h"

#define DNS_ANSWER_MAX	4096

_Static_assert(PHC_DNS_REC_LEN == NS_MAXDNAME + 8, "a record's text: a name and an MX preference");

/*
 * Reads the answer section's records of type `type` (ns_t_mx, ns_t_a,
 * ns_t_aaaa, ns_t_ptr) into out[0..max): MX as "PREF NAME", A and AAAA as
 * addresses, PTR as a name. Returns how many, or -1 for a malformed message.
 */
int
phc_dns_answer_parse(const uint8_t *msg, size_t len, int type, char out[][PHC_DNS_REC_LEN],
    size_t max)
{
	char name[NS_MAXDNAME];
	ns_msg handle;
	ns_rr rr;
	size_t n = 0;
	int i, count;

	if (len > DNS_ANSWER_MAX || ns_initparse(msg, (int)len, &handle) != 0)
		return -1;
	count = ns_msg_count(handle, ns_s_an);
	for (i = 0; i < count && n < max; i++) {
		const uint8_t *rd;

		if (ns_parserr(&handle, ns_s_an, i, &rr) != 0)
			return -1;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		if (type == ns_t_a && ns_rr_rdlen(rr) == 4) {
			inet_ntop(AF_INET, rd, out[n++], PHC_DNS_REC_LEN);
		} else if (type == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
			inet_ntop(AF_INET6, rd, out[n++], PHC_DNS_REC_LEN);
		} else if (type == ns_t_mx && ns_rr_rdlen(rr) > 2) {
			if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rd + 2, name,
			    sizeof(name)) < 0)
				return -1;
			snprintf(out[n++], PHC_DNS_REC_LEN, "%u %s", ns_get16(rd), name);
		} else if (type == ns_t_ptr) {
			if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rd, name,
			    sizeof(name)) < 0)
				return -1;
			snprintf(out[n++], PHC_DNS_REC_LEN, "%s", name);
		}
	}
	return (int)n;
}

/* A name longer than DNS allows (255) is no name: false. */
static bool
copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* One query; the records as phc_dns_answer_parse gives them (0 for none). */
static int
query(res_state rs, const char *name, int type, char out[][PHC_DNS_REC_LEN], size_t max)
{
	static _Thread_local uint8_t answer[DNS_ANSWER_MAX];
	int len = res_nquery(rs, name, ns_c_in, type, answer, sizeof(answer));

	if (len < 0)	/* NXDOMAIN, no data, or no answer: h_errno says which */
		return rs->res_h_errno == HOST_NOT_FOUND || rs->res_h_errno == NO_DATA ? 0 : -1;
	return phc_dns_answer_parse(answer, (size_t)len, type, out, max);
}

static void
host_addresses(res_state rs, struct porthole_mx *mx, struct in_addr pub)
{
	char rec[4][PHC_DNS_REC_LEN];
	struct in6_addr a6;
	int i, n;

	n = query(rs, mx->host, ns_t_a, rec, 4);
	for (i = 0; i < n; i++) {
		inet_pton(AF_INET, rec[i], &mx->a[mx->n_a]);
		mx->points_here |= pub.s_addr != 0 && mx->a[mx->n_a].s_addr == pub.s_addr;
		mx->n_a++;
	}
	n = query(rs, mx->host, ns_t_aaaa, rec, 2);
	for (i = 0; i < n; i++)
		if (inet_pton(AF_INET6, rec[i], &a6) == 1)
			inet_ntop(AF_INET6, &a6, mx->aaaa[mx->n_aaaa++], INET6_ADDRSTRLEN);
}

static void
mx_hosts(res_state rs, struct porthole_dns_check *d, struct in_addr pub)
{
	char rec[PORTHOLE_MX_MAX][PHC_DNS_REC_LEN];
	unsigned pref;
	int i, n;

	if ((n = query(rs, d->domain, ns_t_mx, rec, PORTHOLE_MX_MAX)) < 0) {
		snprintf(d->error, sizeof(d->error), "no answer for the MX of %.100s: is the "
		    "resolver in /etc/resolv.conf reachable?", d->domain);
		return;
	}
	if (n == 0) {	/* no MX: mail goes to the domain's own address */
		memcpy(d->mx[0].host, d->domain, sizeof(d->mx[0].host));
		d->mx[0].implicit = true;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		struct porthole_mx *mx = &d->mx[d->n_mx];

		if (!mx->implicit && sscanf(rec[i], "%u %255s", &pref, mx->host) != 2)
			continue;
		mx->preference = mx->implicit ? 0 : (uint16_t)pref;
		host_addresses(rs, mx, pub);
		d->n_mx++;
	}
}

/* The PTR name of pub, confirmed when that name has pub among its A records. */
static void
reverse(res_state rs, struct porthole_dns_check *d, struct in_addr pub)
{
	char rec[4][PHC_DNS_REC_LEN], name[40];
	const uint8_t *b = (const uint8_t *)&pub.s_addr;
	struct in_addr a;
	int i, n;

	snprintf(name, sizeof(name), "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
	if (query(rs, name, ns_t_ptr, rec, 1) != 1 || !copy_name(d->ptr, sizeof(d->ptr), rec[0]))
		return;
	n = query(rs, d->ptr, ns_t_a, rec, 4);
	for (i = 0; i < n; i++)
		d->ptr_confirmed |= inet_pton(AF_INET, rec[i], &a) == 1 && a.s_addr == pub.s_addr;
}

PORTHOLE_API int
porthole_set_domain(struct porthole *ph, const char *domain)
{
	char *d = NULL;

	if (ph == NULL || (domain != NULL && (domain[0] == '\0' ||
	    strlen(domain) >= PORTHOLE_DNAME_MAX)))
		return PORTHOLE_ERR_INVAL;
	if (domain != NULL && (d = strdup(domain)) == NULL)
		return PORTHOLE_ERR_SYSTEM;
	free(ph->domain);
	ph->domain = d;
	return 0;
}

void
phc_dns_check(const char *domain, struct in_addr pub, struct porthole_dns_check *d)
{
	struct __res_state rs;

	memset(d, 0, sizeof(*d));
	if (!copy_name(d->domain, sizeof(d->domain), domain)) {
		snprintf(d->error, sizeof(d->error), "the domain name is longer than DNS allows");
		return;
	}
	d->public_addr = pub;
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0) {
		snprintf(d->error, sizeof(d->error), "the resolver could not start: is "
		    "/etc/resolv.conf readable?");
		return;
	}
	/* A checkup waits for the resolver at most about 4 s a query. */
	rs.retrans = 2;
	rs.retry = 2;
	mx_hosts(&rs, d, pub);
	if (pub.s_addr != 0)
		reverse(&rs, d, pub);
	res_nclose(&rs);
	d->checked = true;
}
