/*
 * porthole.h: libporthole, the port-mapping client a server links in.
 *
 * A program opens a client (the gateway is found from the default route, or
 * given), then maps single ports or a whole profile (the mail profile is
 * built in; others come from a small file). Each mapping is asked for with
 * PCP first, then NAT-PMP, then UPnP IGD, unless one protocol is forced.
 * A keeper renews mappings at half their lifetime, maps again after a
 * gateway restart and follows a changed external address. A checkup answers
 * "are my ports open on the router?" port by port, including a real
 * connection to the external address from this host.
 *
 * Errors: functions return 0 or a negative PORTHOLE_ERR_* code;
 * porthole_strerror() says what the code means and what to do, and
 * porthole_last_error() gives the full sentence for the last failure on a
 * handle (with the gateway address and the port concerned).
 *
 * Thread safety: a struct porthole and everything made from it (keeper,
 * reports) belong to one thread at a time; use one handle per thread, or
 * lock around calls. Separate handles share nothing and may be used from
 * different threads at once. Profile functions, porthole_strerror() and the
 * formatting functions only touch their arguments and are thread-safe.
 * The library installs no signal handlers and keeps no global state; as
 * with any network code, a program should ignore SIGPIPE (a router may
 * close an HTTP connection under libminiupnpc's feet).
 *
 * Link with `pkg-config --cflags --libs libporthole`. In short:
 *
 *	struct porthole_opts o;
 *	struct porthole_profile p;
 *	struct porthole_mapping m[PORTHOLE_MAPPING_MAX];
 *	struct porthole *ph;
 *	size_t n = PORTHOLE_MAPPING_MAX;
 *
 *	porthole_opts_init(&o);			// gateway: the default route
 *	if (porthole_open(&ph, &o) != 0) ...	// no gateway
 *	porthole_profile_builtin("mail", &p);
 *	if (porthole_map_profile(ph, &p, m, &n) != 0)
 *		fprintf(stderr, "%s\n", porthole_last_error(ph));
 *	...					// m[i].external_addr/port, lifetime
 *	porthole_close(ph);
 *
 * A server that runs for long uses the keeper instead, from its own poll
 * loop: examples/mailserver.c shows it whole.
 */
#ifndef PORTHOLE_H
#define PORTHOLE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTHOLE_API __attribute__((visibility("default")))

#define PORTHOLE_NAME_MAX	32	/* port and profile names, with the NUL */
#define PORTHOLE_PROFILE_MAX	64	/* ports in one profile */
#define PORTHOLE_MSG_MAX	256
#define PORTHOLE_GREETING_MAX	128	/* a service's first line, as a reflector read it */
/* Mappings of one profile in both families (IPv4 mapping, IPv6 pinhole per port). */
#define PORTHOLE_MAPPING_MAX	(2 * PORTHOLE_PROFILE_MAX)

/* Mapping protocols, in the order PORTHOLE_AUTO tries them. */
enum porthole_method {
	PORTHOLE_AUTO = 0,
	PORTHOLE_PCP = 1,	/* RFC 6887 */
	PORTHOLE_NATPMP = 2,	/* RFC 6886, through libnatpmp */
	PORTHOLE_UPNP = 3,	/* UPnP IGD v1/v2, through libminiupnpc */
};

/* Error codes (negative). porthole_strerror() explains each one. */
enum porthole_error {
	PORTHOLE_OK = 0,
	PORTHOLE_ERR_INVAL = -1,	/* bad argument */
	PORTHOLE_ERR_NOGATEWAY = -2,	/* no default route and none given */
	PORTHOLE_ERR_NOPROTO = -3,	/* the gateway answers no mapping protocol */
	PORTHOLE_ERR_TIMEOUT = -4,	/* the gateway stopped answering */
	PORTHOLE_ERR_TAKEN = -5,	/* the external port is held by another host */
	PORTHOLE_ERR_DENIED = -6,	/* the gateway's policy refuses the mapping */
	PORTHOLE_ERR_NORESOURCES = -7,	/* the gateway has no room for more mappings */
	PORTHOLE_ERR_NETWORK = -8,	/* the gateway has no external address (WAN down) */
	PORTHOLE_ERR_PROTOCOL = -9,	/* the gateway answered something malformed */
	PORTHOLE_ERR_SYSTEM = -10,	/* a local system call failed (see errno) */
	PORTHOLE_ERR_NOTMAPPED = -11,	/* no such mapping */
	PORTHOLE_ERR_PROFILE = -12,	/* a profile file or port spec is wrong */
	PORTHOLE_ERR_STATE = -13,	/* the state file is unreadable or corrupt */
	PORTHOLE_ERR_UNSUPPORTED = -14,	/* the forced protocol is not offered */
	PORTHOLE_ERR_LOST = -15,	/* the gateway restarted and forgot the mapping */
	PORTHOLE_ERR_REFLECTOR = -16,	/* the reflector could not be asked, or refused */
	PORTHOLE_ERR_STATIC = -17,	/* the port is held by a static mapping (holder) */
};

/* One port of a profile. proto is IPPROTO_TCP or IPPROTO_UDP. */
struct porthole_port {
	char		name[PORTHOLE_NAME_MAX];
	uint8_t		proto;
	uint16_t	port;		/* internal = requested external port */
	bool		optional;	/* off unless enabled (e.g. RDP) */
	bool		enabled;	/* mapped by porthole_map_profile() */
};

struct porthole_profile {
	char			name[PORTHOLE_NAME_MAX];
	size_t			n;
	struct porthole_port	port[PORTHOLE_PROFILE_MAX];
};

/*
 * The state of one mapping. Filled by porthole_map(); pass it back to
 * renew, unmap and check. Times are wall-clock seconds (time(NULL)) so a
 * mapping can be saved and used by a later process.
 */
struct porthole_mapping {
	char			name[PORTHOLE_NAME_MAX];
	uint8_t			proto;
	uint16_t		internal_port;
	enum porthole_method	method;		/* protocol that made it */
	struct in_addr		internal_addr;	/* this host, as the gateway sees it */
	struct in_addr		external_addr;
	uint16_t		external_port;	/* 0 = not mapped */
	uint32_t		lifetime;	/* granted seconds; 0 = permanent (UPnP v1) */
	int64_t			obtained;	/* when granted or last renewed */
	uint32_t		epoch;		/* PCP/NAT-PMP server epoch at that time */
	uint8_t			nonce[12];	/* PCP mapping nonce */
	int			error;		/* result of the last attempt */
	struct in_addr		holder;		/* for PORTHOLE_ERR_TAKEN, when known */
	/*
	 * AF_INET6: an IPv6 pinhole, not a NAT mapping. Nothing is translated:
	 * the gateway lets connections to address6 (this host's stable
	 * address) and internal_port in; external_port is that port too.
	 * Anything else (0 included) is IPv4, and the fields above apply.
	 */
	int			family;
	struct in6_addr		address6;
	uint32_t		pinhole_id;	/* UPnP's UniqueID (method upnp) */
};

typedef void (*porthole_log_fn)(void *arg, int level, const char *msg);

/* Options for porthole_open(); start from porthole_opts_init(). */
struct porthole_opts {
	const char		*gateway;	/* "A.B.C.D"; NULL = default route */
	enum porthole_method	 method;	/* PORTHOLE_AUTO or one protocol */
	uint32_t		 lifetime;	/* seconds asked for; default 3600 */
	int			 timeout_ms;	/* per protocol try; default 2000 */
	const char		*description;	/* default "porthole"; UPnP sends it as is,
						 * PCP with the port's name ("porthole smtp") */
	/*
	 * AF_INET: IPv4 only. AF_INET6: IPv6 pinholes only. AF_UNSPEC (0, the
	 * default): IPv4 when there is an IPv4 default route, and IPv6 too
	 * when this host has a global IPv6 address (stable, not deprecated)
	 * and an IPv6 default route.
	 */
	int			 family;
	const char		*gateway6;	/* the router over IPv6 ("fe80::1%eth0",
						 * "2001:db8::1"); NULL = the default route */
	porthole_log_fn		 log;		/* syslog levels; NULL = silent */
	void			*log_arg;
};

struct porthole;

PORTHOLE_API void	porthole_opts_init(struct porthole_opts *o);
/* Finds the gateway (no traffic yet). 0, or an error with *out = NULL. */
PORTHOLE_API int	porthole_open(struct porthole **out, const struct porthole_opts *o);
PORTHOLE_API void	porthole_close(struct porthole *ph);
PORTHOLE_API const char *porthole_last_error(const struct porthole *ph);
PORTHOLE_API const char *porthole_strerror(int err);
PORTHOLE_API const char *porthole_method_name(enum porthole_method m);
PORTHOLE_API int	porthole_method_parse(const char *s, enum porthole_method *m);
PORTHOLE_API struct in_addr porthole_gateway(const struct porthole *ph);
/* The protocol in use; PORTHOLE_AUTO until the gateway has answered. */
PORTHOLE_API enum porthole_method porthole_method_used(const struct porthole *ph);
/* Asks the gateway for its external address (probing the protocols). */
PORTHOLE_API int	porthole_external_address(struct porthole *ph, struct in_addr *out);
/*
 * The families this handle maps in (AF_INET, AF_INET6 or AF_UNSPEC for
 * both), as porthole_open() found them; with IPv6, *addr6 (may be NULL) is
 * the address pinholes are opened for and *gw6 the router over IPv6.
 */
PORTHOLE_API int	porthole_families(const struct porthole *ph, struct in6_addr *addr6,
			    struct in6_addr *gw6);

/* Profiles. "mail" is built in; see porthole_profile_parse for the file format. */
PORTHOLE_API int	porthole_profile_builtin(const char *name, struct porthole_profile *p);
/*
 * File format, one port a line: `NAME PROTO/PORT [optional]`, e.g.
 * `smtp tcp/25` or `rdp tcp/3389 optional`; '#' starts a comment.
 * On error returns PORTHOLE_ERR_PROFILE and writes "line N: problem" to err.
 */
PORTHOLE_API int	porthole_profile_parse(const char *text, size_t len,
			    struct porthole_profile *p, char *err, size_t errlen);
PORTHOLE_API int	porthole_profile_load(const char *path, struct porthole_profile *p,
			    char *err, size_t errlen);
/* Enables an optional port by name ("rdp") or spec ("tcp/3389"). */
PORTHOLE_API int	porthole_profile_enable(struct porthole_profile *p, const char *what);
/* Adds "tcp/25" or "udp/5060" (enabled); the name is "tcp-25" unless given. */
PORTHOLE_API int	porthole_profile_add(struct porthole_profile *p, const char *spec,
			    const char *name);
/* Parses "tcp/25" into proto and port. */
PORTHOLE_API int	porthole_port_parse(const char *spec, uint8_t *proto, uint16_t *port);

/*
 * What the next map/renew calls ask for: lifetime (0 = the default, 3600)
 * and the description (NULL = unchanged). For a program that maps on
 * others' behalf (portholed forwarding its leases upstream).
 */
PORTHOLE_API int	porthole_set_request(struct porthole *ph, uint32_t lifetime,
			    const char *description);

/*
 * Mapping. m is filled in (m->error too) whether or not it succeeds.
 * porthole_map() maps over IPv4, or opens an IPv6 pinhole on a handle that
 * is IPv6 only; porthole_map_family() says which (AF_INET or AF_INET6).
 * An IPv6 pinhole is asked for with PCP over IPv6, then UPnP's
 * WANIPv6FirewallControl (AddPinhole); NAT-PMP has no IPv6.
 */
PORTHOLE_API int	porthole_map(struct porthole *ph, const struct porthole_port *port,
			    struct porthole_mapping *m);
PORTHOLE_API int	porthole_map_family(struct porthole *ph, const struct porthole_port *port,
			    int family, struct porthole_mapping *m);
/*
 * Maps every enabled port of p, in each family of the handle (IPv4 first,
 * then the IPv6 pinhole, port by port), into out[0..*n) (*n in: room, out:
 * used; PORTHOLE_MAPPING_MAX is always enough). Returns 0 when all
 * succeeded, else the first error; each out[i].error tells which.
 */
PORTHOLE_API int	porthole_map_profile(struct porthole *ph, const struct porthole_profile *p,
			    struct porthole_mapping *out, size_t *n);
PORTHOLE_API int	porthole_renew(struct porthole *ph, struct porthole_mapping *m);
PORTHOLE_API int	porthole_unmap(struct porthole *ph, struct porthole_mapping *m);
/*
 * Asks the gateway whether m still stands, without changing it: UPnP looks
 * the entry up; PCP and NAT-PMP compare the server epoch (a gateway that
 * restarted has lost its mappings). 0, PORTHOLE_ERR_LOST, _TAKEN or another
 * error.
 */
PORTHOLE_API int	porthole_query(struct porthole *ph, struct porthole_mapping *m);

/*
 * Where m is reached from outside, as text: "203.0.113.1:25", or for an IPv6
 * pinhole "[2001:db8::10]:25". Returns buf.
 */
#define PORTHOLE_ENDPOINT_LEN	(INET6_ADDRSTRLEN + 8)
PORTHOLE_API const char *porthole_endpoint(const struct porthole_mapping *m, char *buf,
			    size_t len);

/* Seconds of lease left at wall time now (0 when expired; -1 = permanent). */
PORTHOLE_API int64_t	porthole_lease_left(const struct porthole_mapping *m, int64_t now);

/*
 * State file: the mappings a process made, so a later `porthole status` or
 * `unmap` knows them (protocol, nonce, lease). Written atomically.
 */
PORTHOLE_API int	porthole_state_save(const char *path, const struct porthole_mapping *m,
			    size_t n);
/* A missing file is no mappings (0). PORTHOLE_ERR_SYSTEM (errno) or _STATE. */
PORTHOLE_API int	porthole_state_load(const char *path, struct porthole_mapping *m,
			    size_t *n);
/*
 * $PORTHOLE_STATE, else for root /var/lib/porthole/state, for anyone else
 * $XDG_STATE_HOME/porthole/state, else ~/.local/state/porthole/state. The
 * string is the caller thread's until its next call.
 */
PORTHOLE_API const char *porthole_state_default(void);
/*
 * Can path be saved (its directory made, a file written there)? Call it
 * before mapping: a mapping that cannot be remembered is orphaned. 0, or
 * PORTHOLE_ERR_SYSTEM with errno.
 */
PORTHOLE_API int	porthole_state_writable(const char *path);

/*
 * Checkup. Separate facts per port: mapped by the router or not (which
 * protocol, external endpoint, lease left); reached from outside (a
 * reflector, `porthole reflect`, outside the network connects back to the
 * public address and reads the service's greeting); reached through the
 * public address from this host (the router's hairpin); the service
 * listening on this host. The verdict is `open` only when every port was
 * reached from outside: without a reflector it is `untested`, never open.
 */
enum porthole_port_state {
	PORTHOLE_PORT_MAPPED,
	PORTHOLE_PORT_NOT_MAPPED,
	PORTHOLE_PORT_TAKEN,		/* held by another host */
	PORTHOLE_PORT_LOST,		/* the gateway forgot it (restart) */
	PORTHOLE_PORT_EXPIRED,		/* the lease ran out */
	PORTHOLE_PORT_FAILED,		/* the gateway refused or failed */
};

enum porthole_reach {
	PORTHOLE_REACH_OPEN,		/* a connection to ext addr:port was accepted */
	PORTHOLE_REACH_REFUSED,		/* it arrived, but nothing listens there */
	PORTHOLE_REACH_TIMEOUT,		/* no answer through the external address */
	PORTHOLE_REACH_UNTESTED,	/* not mapped, or UDP */
};

enum porthole_verdict {
	PORTHOLE_VERDICT_OPEN,		/* every port reached from outside */
	PORTHOLE_VERDICT_PARTIAL,	/* some are not */
	PORTHOLE_VERDICT_CLOSED,	/* none is */
	PORTHOLE_VERDICT_NO_GATEWAY,	/* no gateway, or it speaks no protocol */
	PORTHOLE_VERDICT_UNTESTED,	/* mapped, but not tested from outside */
};

struct porthole_port_check {
	struct porthole_mapping		m;
	enum porthole_port_state	state;
	enum porthole_reach		reach;		/* through the public address
							   from this host (hairpin) */
	int64_t				lease_left;	/* seconds; -1 permanent */
	int				connect_ms;	/* time to the answer, or -1 */
	char				advice[160];	/* what to do; "" when fine */
	/*
	 * Does the service answer on this host's own address? 1 yes, 0 no
	 * (start the service), -1 not tested (UDP, or not mapped).
	 */
	int				listening;
	/* From outside: what the reflector saw connecting back (untested when none). */
	enum porthole_reach		outside;
	int				outside_ms;	/* reflector's time to the answer, or -1 */
	char				greeting[PORTHOLE_GREETING_MAX];	/* its first line */
	/*
	 * The router's epoch went back (a restart, or a new external address)
	 * and the checkup renewed the mapping (same PCP nonce): m is the
	 * renewed one, to be saved by the caller.
	 */
	bool				renewed;
};

/* The DNS of a mail domain (porthole_set_domain), as the checkup found it. */
#define PORTHOLE_MX_MAX		8
#define PORTHOLE_DNAME_MAX	256
struct porthole_mx {
	char			host[PORTHOLE_DNAME_MAX];
	uint16_t		preference;
	bool			implicit;	/* no MX: the domain's own address */
	size_t			n_a;
	struct in_addr		a[4];
	size_t			n_aaaa;
	char			aaaa[2][INET6_ADDRSTRLEN];
	bool			points_here;	/* an A record is the public address */
};

struct porthole_dns_check {
	bool			checked;	/* false: no domain given, or it failed */
	char			domain[PORTHOLE_DNAME_MAX];
	struct in_addr		public_addr;	/* what was compared (0: unknown) */
	size_t			n_mx;
	struct porthole_mx	mx[PORTHOLE_MX_MAX];
	char			ptr[PORTHOLE_DNAME_MAX];	/* "" when none */
	bool			ptr_confirmed;	/* the PTR name resolves back to it */
	char			error[PORTHOLE_MSG_MAX];
};

struct porthole_report {
	struct in_addr			gateway;
	struct in_addr			external_addr;	/* 0 when unknown */
	enum porthole_method		method;
	bool				double_nat;	/* external address is private/shared */
	enum porthole_verdict		verdict;
	char				summary[PORTHOLE_MSG_MAX];
	char				warning[PORTHOLE_MSG_MAX];	/* "" when none */
	size_t				n;
	struct porthole_port_check	port[PORTHOLE_MAPPING_MAX];
	/* The public address the reflector saw the request come from; 0 = untested. */
	struct in_addr			public_addr;
	/* Why the reflector could not test (unreachable, refused); "" when it did. */
	char				reflector_error[PORTHOLE_MSG_MAX];
	/*
	 * This host's address toward the router, the one mappings point at,
	 * and whether it is a DHCP lease (the kernel's address is not
	 * permanent): 1 yes, 0 no, -1 unknown.
	 */
	struct in_addr			local_addr;
	int				local_dynamic;
	struct porthole_dns_check	dns;
	/*
	 * IPv6 (any zero when the handle has no IPv6): the address pinholes
	 * are for, and the one the reflector saw the IPv6 request come from
	 * (it connects back there only, so the request is sent from local_addr6).
	 */
	struct in6_addr			local_addr6;
	struct in6_addr			public_addr6;
	struct in6_addr			gateway6;
	enum porthole_method		method6;	/* PCP or UPnP; AUTO: none answered */
};

/*
 * A mail domain for porthole_checkup() to look up (MX, their A/AAAA, the
 * PTR of the public address) through the system's resolver; copied; NULL
 * removes it. 0 or PORTHOLE_ERR_INVAL / _SYSTEM.
 */
PORTHOLE_API int	porthole_set_domain(struct porthole *ph, const char *domain);

/*
 * A reflector (`porthole reflect` on a host outside the network) for
 * porthole_checkup() to test from outside: url like "http://host:8025/",
 * token the shared secret it asks for, or NULL. Both are copied; url NULL
 * removes it. 0 or PORTHOLE_ERR_INVAL / _SYSTEM.
 */
PORTHOLE_API int	porthole_set_reflector(struct porthole *ph, const char *url,
			    const char *token);

/*
 * Checks the n mappings in m (as loaded from the state file, or just made);
 * connect_timeout_ms bounds each connection test (0 = 2000).
 */
PORTHOLE_API int	porthole_checkup(struct porthole *ph, const struct porthole_mapping *m,
			    size_t n, int connect_timeout_ms, struct porthole_report *r);
/* Writes the report as an aligned table, or as JSON (fields in porthole(1)). */
PORTHOLE_API int	porthole_report_table(const struct porthole_report *r, FILE *out);
PORTHOLE_API int	porthole_report_json(const struct porthole_report *r, FILE *out);
/*
 * Writes the report as a monitoring plugin's line (Nagios, Icinga,
 * monitoring-plugins): "PORTHOLE OK - summary | ports_open=N;;;0;T
 * ports_mapped=M;;;0;T lease_left=Ss;;;0". Returns the plugin's status: 0 OK
 * (verdict open), 1 WARNING (partial, or untested from outside), 2 CRITICAL
 * (nothing reachable from outside, nothing mapped, no gateway), 3 UNKNOWN.
 */
PORTHOLE_API int	porthole_report_check(const struct porthole_report *r, FILE *out);
PORTHOLE_API const char *porthole_port_state_name(enum porthole_port_state s);
PORTHOLE_API const char *porthole_reach_name(enum porthole_reach r);
PORTHOLE_API const char *porthole_verdict_name(enum porthole_verdict v);

/*
 * The keeper: keeps a profile mapped. Call porthole_keeper_run() when the
 * time it returned has passed (or when porthole_keeper_fd() is readable);
 * it maps, renews at half the lifetime, checks the gateway every
 * check_interval seconds (0 = 60; epoch going back or UPnP entry gone = restart:
 * map again; external address changed: map again and log it) and writes
 * the state file when anything changed (merging: other programs' entries
 * in the same file stay). Mappings a former run left in the state file
 * are taken over (same protocol, same PCP nonce). Each change is logged
 * through opts.log.
 */
struct porthole_keeper;

PORTHOLE_API int	porthole_keeper_new(struct porthole *ph, const struct porthole_profile *p,
			    const char *state_path, unsigned check_interval,
			    struct porthole_keeper **out);
/* Does what is due; returns milliseconds until it should run again (>= 0). */
PORTHOLE_API int	porthole_keeper_run(struct porthole_keeper *k);
/*
 * A descriptor that becomes readable when the gateway announces a restart
 * (224.0.0.1:5350, and [ff02::1]:5350 for IPv6 pinholes), or -1.
 */
PORTHOLE_API int	porthole_keeper_fd(const struct porthole_keeper *k);
/* The keeper's mappings as an array of *n, valid until the next keeper call. */
PORTHOLE_API const struct porthole_mapping *porthole_keeper_mappings(
			    struct porthole_keeper *k, size_t *n);
/* Unmaps everything when unmap is true (clean shutdown), then frees. */
PORTHOLE_API void	porthole_keeper_free(struct porthole_keeper *k, bool unmap);

#ifdef __cplusplus
}
#endif

#endif
