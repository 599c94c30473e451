/*
 * phc.h: libporthole's private module map. Nothing here is exported (the
 * library is built with -fvisibility=hidden); unit tests reach these
 * functions through the static library.
 */
#ifndef PORTHOLE_PHC_H
#define PORTHOLE_PHC_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

#include "clock.h"
#include "porthole.h"

#define PHC_DEFAULT_LIFETIME	3600
#define PHC_DEFAULT_TIMEOUT	2000
#define PHC_DEFAULT_STATE	"/var/lib/porthole/state"

struct phc_upnp;

/* The handle: one gateway, the protocol that answered, the last error. */
struct porthole {
	struct porthole_opts	 o;
	char			*desc;		/* owned copy of o.description */
	struct in_addr		 gw;
	struct in_addr		 local;		/* our address toward gw */
	enum porthole_method	 method;	/* chosen; AUTO until probed */
	struct in_addr		 ext;		/* last external address seen */
	bool			 warn_reserved;	/* UPnP IGD said "not connected" */
	uint32_t		 epoch;		/* last PCP/NAT-PMP epoch */
	int64_t			 epoch_ms;	/* monotonic time it was seen */
	bool			 epoch_valid;
	bool			 epoch_lost;	/* sticky: an epoch said "restarted" */
	bool			 probe_refused;	/* nothing listens on udp/5351 */
	bool			 warned;	/* double NAT / reserved address said once */
	bool			 upnp_absent;	/* a discovery found no IGD: don't wait again */
	struct phc_upnp		*upnp;
	struct phc_upnp		*upnp6;		/* the IGD with WANIPv6FirewallControl, when
						   upnp is another (its IGD:1 tree) */
	char			*reflector;	/* URL of a `porthole reflect`, or NULL */
	char			*reflector_token;
	char			*domain;	/* mail domain to look up, or NULL */
	char			 err[PORTHOLE_MSG_MAX];
	/* Which families are mapped: IPv4 (gw, local above), IPv6 (below). */
	bool			 has4;
	bool			 has6;
	struct in6_addr		 gw6;
	uint32_t		 gw6_scope;	/* gw6's interface when link-local */
	uint32_t		 gw6_oif;	/* the interface toward gw6 (also when global) */
	struct in6_addr		 local6;	/* the stable address pinholes are for */
	char			*gateway6;	/* owned copy of o.gateway6, or NULL */
	enum porthole_method	 method6;	/* PCP or UPnP over IPv6; AUTO until probed */
	uint32_t		 epoch6;	/* PCP epoch heard over IPv6 */
	int64_t			 epoch6_ms;
	bool			 epoch6_valid;
};

/*
 * One mapping protocol. probe() learns the external address and epoch into
 * ph; probe6() asks whether it opens IPv6 pinholes (NULL: it cannot);
 * map() with lifetime 0 deletes; query() only looks. map() and query()
 * follow m->family.
 */
struct phc_method {
	enum porthole_method	id;
	int	(*probe)(struct porthole *ph);
	int	(*probe6)(struct porthole *ph);
	int	(*map)(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime);
	int	(*query)(struct porthole *ph, struct porthole_mapping *m);
	void	(*fini)(struct porthole *ph);
};

extern const struct phc_method phc_pcp;		/* client_pcp.c */
extern const struct phc_method phc_natpmp;	/* client_natpmp.c */
extern const struct phc_method phc_upnp;	/* client_upnp.c */
int	phc_natpmp_address(struct porthole *ph, struct in_addr *ext);
int	phc_upnp_holder(struct porthole *ph, const struct porthole_mapping *m,
	    struct in_addr *holder, uint32_t *lease);

/* message.c: failures, logs and labels (a leaf: protocols call it, not client.c) */
int	phc_fail(struct porthole *ph, int err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	phc_log(const struct porthole *ph, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
const char *phc_proto_name(uint8_t proto);
int	phc_port_label(char *buf, size_t len, const struct porthole_mapping *m);

/* client.c */
const struct phc_method *phc_method_ops(enum porthole_method m);
int	phc_select(struct porthole *ph);
int	phc_select6(struct porthole *ph);
bool	phc_refresh6(struct porthole *ph, struct in6_addr *was);

/* gateway.c: the default route and our address toward the gateway. */
int	phc_route_parse(const char *text, size_t len, struct in_addr *gw);
int	phc_default_gateway(struct in_addr *gw);
int	phc_local_addr(struct in_addr gw, struct in_addr *local);
bool	phc_addr_private(struct in_addr a);
bool	phc_addr_reserved(struct in_addr a);

/* gateway6.c: the IPv6 default route and this host's stable address. */
struct phc_route6 {
	bool		found;
	struct in6_addr	gw;
	uint32_t	oif;
	uint32_t	metric;
};
struct phc_addr6 {
	uint32_t	oif;		/* in: the interface; 0 = any */
	int		rank;		/* out: 0 = none found */
	struct in6_addr	addr;
};
#define PHC_LLADDR_MAX	32	/* MAX_ADDR_LEN */
struct phc_neigh6 {
	uint32_t	oif;		/* in: the interface */
	struct in6_addr	addr;		/* in: the neighbour */
	uint8_t		lladdr_len;	/* out: 0 = not in the table */
	uint8_t		lladdr[PHC_LLADDR_MAX];
};
/* Each returns 1 once the dump ended, else 0 (more to read). */
int	phc_route6_parse(const uint8_t *buf, size_t len, struct phc_route6 *r);
int	phc_addr6_parse(const uint8_t *buf, size_t len, struct phc_addr6 *p);
int	phc_neigh6_parse(const uint8_t *buf, size_t len, struct phc_neigh6 *q);
/* given: the router's address as text, or NULL for the default route's. */
int	phc_gateway6(const char *given, struct in6_addr *gw, uint32_t *scope, uint32_t *oif,
	    struct in6_addr *local);
/*
 * Is a (heard on ifindex; 0 = unknown) the router ph maps with: its
 * address, or another on its link with the same link-layer address? 1 yes,
 * 0 no, -1 not known yet: the neighbour table lacks one of the two
 * (phc_neigh6_resolve asks the kernel to find it).
 */
int	phc_is_gateway6(const struct porthole *ph, const struct in6_addr *a, uint32_t ifindex);
void	phc_neigh6_resolve(const struct in6_addr *a, uint32_t oif);
/* message.c: the router's address in family (IPv6 in brackets, without the zone). */
const char *phc_gw_text(const struct porthole *ph, int family, char *buf, size_t len);


/* timing.c: the keeper's pure timing rules, and RFC 6886 §3.6 / RFC 6887
 * §8.5's lost-state test. */
int64_t	phc_renew_due(int64_t obtained_ms, uint32_t lifetime);
int64_t	phc_retry_delay(unsigned failures);
bool	phc_epoch_lost(uint32_t prev_epoch, int64_t prev_ms, uint32_t epoch, int64_t now_ms);
/* Records a fresh epoch (heard over IPv4, or IPv6); true when the gateway lost its state. */
bool	phc_epoch_update(struct porthole *ph, uint32_t epoch);
bool	phc_epoch6_update(struct porthole *ph, uint32_t epoch);

/* state.c */
int	phc_state_parse(const char *text, size_t len, struct porthole_mapping *m, size_t *n);
int	phc_state_format(char *buf, size_t len, const struct porthole_mapping *m, size_t n);

/* announce.c: unsolicited PCP ANNOUNCE / MAP and NAT-PMP address packets. */
struct phc_announce {
	uint32_t	epoch;
	bool		has_ext;
	struct in_addr	ext;
};
int	phc_announce_parse(const uint8_t *buf, size_t len, struct phc_announce *a);
int	phc_announce6_parse(const uint8_t *buf, size_t len, struct phc_announce *a);

/* report.c */
void	phc_verdict(struct porthole_report *r);

/* json_out.c */
void	phc_json_str(FILE *out, const char *s);	/* NULL or "" -> null */

/* report_dns.c */
void	phc_dns_table(const struct porthole_dns_check *d, FILE *out);
void	phc_dns_json(const struct porthole_dns_check *d, FILE *out);

/* reflect_wire.c: the reflector's JSON messages (both ends). */
#define PHC_REFLECT_PORTS_MAX	16
#define PHC_REFLECT_REQUEST_MAX	1024		/* bytes of request body */
#define PHC_REFLECT_REPLY_MAX	(16 * 1024)	/* bytes of reply body */
struct phc_reflect_result {
	uint16_t		port;
	bool			allowed;	/* false: the reflector does not test it */
	enum porthole_reach	result;		/* open, refused, timeout */
	int			ms;		/* to the answer; -1 unknown */
	char			greeting[PORTHOLE_GREETING_MAX];
};
size_t	phc_sanitize_line(char *dst, size_t dstlen, const char *src, size_t srclen);
int	phc_reflect_request_parse(const char *body, size_t len, uint16_t *ports, size_t *n,
	    char *err, size_t errlen);
int	phc_reflect_request_format(char *buf, size_t len, const uint16_t *ports, size_t n);
char	*phc_reflect_reply_format(const char *address, const struct phc_reflect_result *res,
	    size_t n);
char	*phc_reflect_error_format(const char *msg);
/* seen: a struct in_addr, or in6_addr for family AF_INET6 (the address must be of it). */
int	phc_reflect_reply_parse(const char *body, size_t len, int family, void *seen,
	    struct phc_reflect_result *res, size_t *n);
int	phc_reflect_error_parse(const char *body, size_t len, char *msg, size_t msglen);

/*
 * reflect_client.c: asks a reflector (libcurl) to test ports from outside,
 * over IPv4, or over IPv6 from this host's stable address (seen as in
 * phc_reflect_reply_parse).
 */
int	phc_reflect_query(struct porthole *ph, int family, const uint16_t *ports, size_t n,
	    void *seen, struct phc_reflect_result *res, size_t *nres);

/* addrflags.c: a DHCP (not permanent) address, from the kernel's IFA_F_PERMANENT. */
int	phc_addr_dynamic(struct in_addr addr, bool *dynamic);
int	phc_addr_dynamic_parse(const uint8_t *buf, size_t len, struct in_addr addr,
	    bool *dynamic, bool *done);

/* dnscheck.c: MX, A/AAAA and PTR of a mail domain, through libc's resolver. */
#define PHC_DNS_REC_LEN	(1025 + 8)	/* NS_MAXDNAME, and "PREF " of an MX */
void	phc_dns_check(const char *domain, struct in_addr pub, struct porthole_dns_check *d);
int	phc_dns_answer_parse(const uint8_t *msg, size_t len, int type,
	    char out[][PHC_DNS_REC_LEN], size_t max);

/* reach.c */
int	phc_tcp_probe(struct in_addr addr, uint16_t port, int timeout_ms,
	    enum porthole_reach *reach);
int	phc_tcp_probe6(const struct in6_addr *addr, uint16_t port, int timeout_ms,
	    enum porthole_reach *reach);

#endif
