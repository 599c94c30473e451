/*
 * upnp: the UPnP IGD front-end's private module map.
 *
 * The front-end serves two device trees built from the templates in xml/:
 * IGD:2 (WANIPConnection:2 + WANCommonInterfaceConfig:1) and IGD:1
 * (WANIPConnection:1 + WANCommonInterfaceConfig:1 + Layer3Forwarding:1).
 * The configured version is the "primary" tree: it is announced first and
 * answers every search it can. In IGD:2 mode the types only the IGD:1 tree
 * has (InternetGatewayDevice:1, WANIPConnection:1, ...) are announced and
 * answered too, from the IGD:1 tree, because Windows and others ignore IGD:2.
 * Both trees use the same UDNs; only LOCATION and the control URLs differ,
 * and the control URL decides whether v1 or v2 lease rules apply.
 *
 * Files: upnp.c (frontend glue: start and stop), shared.c (the state and
 * helpers every module uses; calls none of them), ssdp_msg.c (SSDP parse/format, pure),
 * ssdp.c (SSDP sockets and answering), ssdp6.c (the IPv6 socket), describe.c (xml/ templates), http.c (libmicrohttpd),
 * http_req.c (the HTTP glue's decisions, pure),
 * soap.c (SOAP parse/format, pure), soap_actions.c (actions -> lease table),
 * soap_hold.c (answers held for the gateway in front or the neighbour table),
 * soap_pinhole.c (WANIPv6FirewallControl:1 -> pinhole table),
 * gena_msg.c (GENA header parsing, pure), gena.c (subscriptions, NOTIFY),
 * wanif.c (WAN interface counters and link state).
 */
#ifndef PORTHOLE_UPNP_H
#define PORTHOLE_UPNP_H

#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "event.h"
#include "frontend.h"
#include "neigh.h"
#include "sbuf.h"

#define UPNP_UUID_LEN		36	/* 8-4-4-4-12 hex digits */
#define UPNP_MAX_AGE		1800	/* SSDP CACHE-CONTROL, seconds */
#define UPNP_BODY_MAX		16384	/* largest SOAP request accepted */

/* The three devices of an IGD tree. */
enum upnp_dev { UPNP_DEV_ROOT, UPNP_DEV_WAN, UPNP_DEV_CONN, UPNP_NDEV };

/* Services; the URL a request arrives on names one of these. */
enum upnp_svc {
	SVC_WANIPC2,		/* WANIPConnection:2 (IGD:2 tree) */
	SVC_WANIPC1,		/* WANIPConnection:1 (IGD:1 tree) */
	SVC_WANCIC1,		/* WANCommonInterfaceConfig:1 (both trees) */
	SVC_L3F1,		/* Layer3Forwarding:1 (IGD:1 tree) */
	SVC_V6FC1,		/* WANIPv6FirewallControl:1 (IGD:2 tree): pinholes */
	SVC_COUNT
};

struct upnp_service {
	const char	*name;		/* "WANIPConnection" */
	uint8_t		 ver;
	const char	*control;	/* control URL path */
	const char	*event;		/* eventSubURL path */
	const char	*scpd;		/* SCPDURL path */
};

/* One advertised type: a device or a service at a version. */
struct upnp_adv {
	enum upnp_dev	 dev;
	bool		 svc;
	const char	*name;
	uint8_t		 ver;
};

struct upnp_tree {
	int			 igd_ver;	/* 1 or 2 */
	const char		*location;	/* description path */
	const struct upnp_adv	*advs;
	size_t			 n_advs;
	unsigned		 svc_mask;	/* 1 << enum upnp_svc */
};

/* Shared state of the front-end (shared.c; filled by upnp.c). */
struct upnp_state {
	const struct config	*cfg;
	struct gateway		 gw;
	int			 primary;	/* igd version announced: 1 or 2 */
	char			 uuid[UPNP_NDEV][UPNP_UUID_LEN + 1];
	uint32_t		 bootid;
	uint32_t		 configid;
	uint16_t		 http_port;
	uint32_t		 system_update_id;
	char			 server[96];	/* "OS/version UPnP/1.1 porthole/0.1" */
	bool			 running;
};
extern struct upnp_state upnp_st;

/* shared.c */
const struct gw_lan *upnp_lan_of(struct in_addr addr);
/* May this LAN host have more work done now (the shared per-host budget)? */
bool	 upnp_rate_ok(struct in_addr host);
/* ifindex: the LAN interface an IPv6 host is on (0 for an IPv4 one). */
bool	 upnp_rate_ok6(const struct in6_addr *host, unsigned ifindex);
/* Which host an address is (IPv4 as ::ffff:a.b.c.d, its interface found here;
 * an IPv6 one on ifindex): its link-layer address from the neighbour table, the same
 * key for all its addresses of both families; when the table does not know
 * it, the IPv4 address alone or the IPv6 address's /64 (neigh.h). */
uint64_t upnp_host_key(const struct in6_addr *addr, unsigned ifindex);
bool	 upnp_svc_enabled(enum upnp_svc svc);
/* 16 bytes as an RFC 4122 version-4 UUID string (37 bytes with NUL). */
void	 upnp_uuid_format(const uint8_t b[16], char *out);
void	 upnp_uuid_random(char *out);

/* ssdp_msg.c: pure */
#define SSDP_ST_MAX	256
#define SSDP_MAX_ANSWERS 16
#define SSDP_SPREAD_MS	100	/* multicast answers wait 0..this */
#define SSDP_BUDGET_BURST 512	/* answer datagrams sent at once, at most */
#define SSDP_BUDGET_RATE 256	/* ... and per second after that */
struct ssdp_search {
	char	st[SSDP_ST_MAX];
	int	mx;		/* -1 when absent */
};
enum ssdp_kind { SSDP_ANS_ROOT, SSDP_ANS_UUID, SSDP_ANS_TYPE };
struct ssdp_answer {
	const struct upnp_tree	*tree;
	enum ssdp_kind		 kind;
	enum upnp_dev		 dev;
	const struct upnp_adv	*adv;	/* SSDP_ANS_TYPE */
	uint8_t			 ver;	/* version echoed in ST */
};
enum ssdp_msg { SSDP_REPLY, SSDP_ALIVE, SSDP_BYEBYE };
struct ssdp_fmt {
	const char	(*uuid)[UPNP_UUID_LEN + 1];
	const char	*host;		/* LOCATION's host: dotted, or IPv6 in brackets */
	uint16_t	 port;
	uint32_t	 bootid, configid;
	time_t		 now;
	const char	*server;	/* SERVER header */
	bool		 ipv6;		/* NOTIFY to [FF02::C] rather than 239.255.255.250 */
};
const struct upnp_tree *upnp_tree(int igd_ver);
const struct upnp_service *upnp_service(enum upnp_svc svc);
/* 0, or -1 with *why set: not an M-SEARCH or malformed. */
int	 ssdp_parse_msearch(const char *buf, size_t len, struct ssdp_search *out,
	    const char **why);
/*
 * with_v1: in IGD:2 mode, also offer the IGD:1 tree to searches for IGD:1
 * types (over IPv4, for clients that ignore IGD:2). Over IPv6 it is false:
 * only the IGD:2 tree has WANIPv6FirewallControl, the one service a control
 * point on IPv6 comes for, and IGD:2 answers IGD:1 searches as UDA says.
 */
size_t	 ssdp_match(int primary, bool with_v1, const char (*uuid)[UPNP_UUID_LEN + 1],
	    const char *st, struct ssdp_answer *out, size_t max);
/* Every advertisement in IGD:primary mode: for NOTIFY and ssdp:all. */
size_t	 ssdp_all(int primary, bool with_v1, struct ssdp_answer *out, size_t max);
/* How long to hold an answer back: 0 for unicast, 0..SSDP_SPREAD_MS for multicast. */
uint32_t ssdp_reply_delay_ms(bool multicast, int mx, uint32_t rnd);
/* The daemon's whole SSDP answer budget, a token bucket of datagrams. */
struct ssdp_budget {
	uint32_t	milli;		/* thousandths of a datagram */
	uint64_t	last_ms;
};
void	 ssdp_budget_init(struct ssdp_budget *b, uint64_t now_ms);
/* Takes n datagrams' worth and says true, or takes nothing and says false. */
bool	 ssdp_budget_take(struct ssdp_budget *b, uint64_t now_ms, uint32_t n);
/* Length written (< len), or -1 when it does not fit. */
int	 ssdp_format(char *buf, size_t len, enum ssdp_msg m, const struct ssdp_fmt *f,
	    const struct ssdp_answer *a);

/* ssdp.c */
int	 ssdp_init(void);
void	 ssdp_fini(void);

/* ssdp6.c: the IPv6 socket (ff02::c and ff05::c on the LAN interfaces) */
int	 ssdp6_socket(void);
/* A datagram that may be answered: its length, with the LAN interface it came
 * in on and whether it went to a group; -1 to ignore; -2 cut short (too long). */
ssize_t	 ssdp6_recv(int fd, char *buf, size_t len, struct sockaddr_in6 *from,
	    unsigned *ifindex, bool *multicast);
void	 ssdp6_send(int fd, unsigned ifindex, const struct sockaddr_in6 *to, const char *buf,
	    size_t len);
/* "[addr]": the gateway's address in peer's prefix (peer may be NULL), else its
 * first global or ULA one on ifindex; false when it has none there. */
bool	 ssdp6_location_host(unsigned ifindex, const struct in6_addr *peer, char *buf,
	    size_t len);
/* [ff02::c]:1900 on ifindex. */
void	 ssdp6_group(unsigned ifindex, struct sockaddr_in6 *to);

/* describe.c */
int	 describe_init(void);
void	 describe_fini(void);
/* The rendered document for a GET path, or NULL. */
const char *describe_doc(const char *path, size_t *len);
uint32_t describe_configid(void);

/* http.c */
int	 http_init(void);
void	 http_fini(void);

/*
 * UPnP errors: each code, its name here and the text a fault carries
 * (UDA 1.1 §3.2.2, WANIPConnection:2 §2.5), kept together in one list.
 */
#define UPNP_ERRORS(X) \
	X(UPNP_INVALID_ACTION,            401, "Invalid Action") \
	X(UPNP_INVALID_ARGS,              402, "Invalid Args") \
	X(UPNP_ACTION_FAILED,             501, "Action Failed") \
	X(UPNP_ARG_VALUE_INVALID,         600, "Argument Value Invalid") \
	X(UPNP_ARG_OUT_OF_RANGE,          601, "Argument Value Out of Range") \
	X(UPNP_NOT_AUTHORIZED,            606, "Action not authorized") \
	X(UPNP_INACTIVE_CONN_REQUIRED,    703, "InactiveConnectionStateRequired") \
	X(UPNP_BAD_ARRAY_INDEX,           713, "SpecifiedArrayIndexInvalid") \
	X(UPNP_NO_SUCH_ENTRY,             714, "NoSuchEntryInArray") \
	X(UPNP_WILDCARD_SRC_IP,           715, "WildCardNotPermittedInSrcIP") \
	X(UPNP_WILDCARD_EXT_PORT,         716, "WildCardNotPermittedInExtPort") \
	X(UPNP_CONFLICT,                  718, "ConflictInMappingEntry") \
	X(UPNP_SAME_PORTS_REQUIRED,       724, "SamePortValuesRequired") \
	X(UPNP_ONLY_PERMANENT,            725, "OnlyPermanentLeasesSupported") \
	X(UPNP_REMOTE_HOST_WILDCARD_ONLY, 726, "RemoteHostOnlySupportsWildcard") \
	X(UPNP_EXT_PORT_WILDCARD_ONLY,    727, "ExternalPortOnlySupportsWildcard") \
	X(UPNP_NO_PORT_MAPS,              728, "NoPortMapsAvailable") \
	X(UPNP_CONFLICT_OTHER_MECHANISM,  729, "ConflictWithOtherMechanisms") \
	X(UPNP_MAPPING_NOT_FOUND,         730, "PortMappingNotFound") \
	X(UPNP_READ_ONLY,                 731, "ReadOnly") \
	X(UPNP_WILDCARD_INT_PORT,         732, "WildCardNotPermittedInIntPort") \
	X(UPNP_INCONSISTENT_PARAMS,       733, "InconsistentParameters") \
	/* WANIPv6FirewallControl:1 §2.5 (its 703, InboundPinholeNotAllowed, is never sent) */ \
	X(UPNP_PINHOLE_SPACE_EXHAUSTED,   701, "PinholeSpaceExhausted") \
	X(UPNP_FIREWALL_DISABLED,         702, "FirewallDisabled") \
	X(UPNP_NO_SUCH_PINHOLE,           704, "NoSuchEntry") \
	X(UPNP_PROTOCOL_NOT_SUPPORTED,    705, "ProtocolNotSupported") \
	X(UPNP_WILDCARD_INT_PORT_V6,      706, "InternalPortWildcardingNotAllowed") \
	X(UPNP_WILDCARD_PROTOCOL,         707, "ProtocolWildcardingNotAllowed") \
	X(UPNP_WILDCARD_INT_CLIENT,       708, "WildCardNotPermittedInSrcIP") \
	X(UPNP_NO_PACKET_SENT,            709, "NoPacketSent")

enum upnp_error {
#define UPNP_ERROR_ENUM(name, code, text)	name = code,
	UPNP_ERRORS(UPNP_ERROR_ENUM)
#undef UPNP_ERROR_ENUM
};

/* soap_hold.c: SOAP answers held until the gateway in front answers, or
 * until the neighbour table knows an address the action asks about */
#define SOAP_HOLD_MS	4000	/* in all; miniupnpc gives up after 5 s */
#define NEIGH_HOLD_MS	100	/* UPnP clients do not retry: let neighbour discovery finish */
#define NEIGH_STEP_MS	10	/* how often the table is asked meanwhile */
struct soap_hold {
	struct ev_timer	 timer;		/* first: the deadline, or the next look */
	struct soap_hold *next;		/* in the list of holds, while held */
	void		*conn;		/* the suspended MHD connection */
	uint64_t	 deadline_ms;	/* 0 until first held for the gateway in front */
	uint64_t	 neigh_deadline_ms; /* 0 until first held for the neighbour table */
	uint8_t		 proto;		/* what the gateway in front is asked */
	uint16_t	 port;
	bool		 held;		/* suspended now */
	bool		 for_neigh;	/* held now for the table, not the gateway in front */
	bool		 over;		/* the wait is over: answer without one */
	bool		 neigh_over;	/* the table's wait is over: decide with what it says */
};
struct MHD_Connection;
/* Suspends c until the gateway in front answers (proto, port) or the wait
 * (SOAP_HOLD_MS from the first hold) is over; libmicrohttpd then calls the
 * handler again, and h->over says whether it may wait once more. */
void	 soap_hold(struct soap_hold *h, struct MHD_Connection *c, uint8_t proto, uint16_t port);
/* Suspends c for NEIGH_STEP_MS, so the action asks the neighbour table
 * again; h->neigh_over once NEIGH_HOLD_MS from the first such hold passed. */
void	 soap_hold_neigh(struct soap_hold *h, struct MHD_Connection *c);
/* Was this request held before (it was let in then)? */
bool	 soap_hold_was_held(const struct soap_hold *h);
void	 soap_hold_forget(struct soap_hold *h);	/* the request is gone */
void	 soap_hold_release_all(void);		/* before libmicrohttpd stops */
void	 soap_hold_init(void);
/* http_req.c: the HTTP glue's decisions, pure */
struct http_req {
	char		*body;		/* at most UPNP_BODY_MAX bytes */
	size_t		 len;
	size_t		 seen;		/* every body byte, kept or not */
	bool		 too_big;
	struct soap_hold hold;
};
enum http_kind { HTTP_DOCUMENT, HTTP_CONTROL, HTTP_SUBSCRIBE, HTTP_UNSUBSCRIBE, HTTP_OTHER };
/* true when a Content-Length announces more than UPNP_BODY_MAX. */
bool	 http_body_announced_too_big(const char *content_length);
/* Add a piece of the body; past UPNP_BODY_MAX it is counted, not kept.
 * 0, or -1: hang up (out of memory, or far too much sent). */
int	 http_body_feed(struct http_req *rq, const char *data, size_t n);
void	 http_req_free(struct http_req *rq);
enum http_kind http_kind_of(const char *method);

/* soap.c: pure */
#define SOAP_MAX_ARGS	16
#define SOAP_NAME_MAX	48
#define SOAP_VALUE_MAX	256
struct soap_arg {
	char	name[SOAP_NAME_MAX];
	char	value[SOAP_VALUE_MAX];
};
struct soap_req {
	char		action[SOAP_NAME_MAX];
	char		service[128];	/* namespace of the action element */
	struct soap_arg	args[SOAP_MAX_ARGS];
	size_t		nargs;
};
/* 0, or a UPnP error code (401 unparseable, 402 DTD or bad arguments). */
int	 soap_parse(const char *body, size_t len, struct soap_req *out);
const char *soap_arg(const struct soap_req *rq, const char *name);
const char *soap_error_str(int code);
void	 soap_begin(struct sbuf *b, const char *action, const char *svc_type);
void	 soap_add(struct sbuf *b, const char *name, const char *value);
void	 soap_addu(struct sbuf *b, const char *name, unsigned long value);
void	 soap_end(struct sbuf *b, const char *action);
void	 soap_fault(struct sbuf *b, int code);
void	 soap_init(void);

/*
 * soap_actions.c: 0 (response in out), a UPnP error code, or SOAP_WAIT.
 * Behind another NAT (upstream.h) an added mapping's answer waits for the
 * gateway in front: with w->may_wait, SOAP_WAIT says which (proto, port)
 * to wait for; the caller holds the answer and dispatches the same request
 * again when that is answered, with w->held_port set to w->port, and
 * without may_wait once the wait is over (then 501, the mapping removed).
 * Before that, an action from a caller on IPv6 may need the neighbour table
 * to know an address it is still resolving: with w->may_wait_neigh,
 * SOAP_WAIT with w->neigh set, nothing changed yet; the caller dispatches
 * the same request again shortly, and without may_wait_neigh once that
 * wait is over (an address still unknown is then not the caller's).
 */
#define SOAP_WAIT	1	/* not a UPnP code: hold the answer */
struct soap_wait {
	bool		 may_wait;	/* in: the answer can be held back */
	bool		 may_wait_neigh; /* in: ... for the neighbour table */
	uint16_t	 held_port;	/* in: the port waited for before (AddAnyPortMapping) */
	bool		 neigh;		/* out, with SOAP_WAIT: for the neighbour table */
	uint8_t		 proto;		/* out, with SOAP_WAIT and !neigh */
	uint16_t	 port;
};
/* The neighbour table's verdict (neigh.h) on requester and other. One it
 * does not know yet: NEIGH_UNKNOWN with w->neigh set when w may wait for it
 * (the action answers SOAP_WAIT), otherwise NEIGH_OTHER. */
enum neigh_verdict soap_neigh(const struct in6_addr *requester, const struct in6_addr *other,
	    struct soap_wait *w);
struct request_result;
/* peer: IPv4 as ::ffff:a.b.c.d. A peer on IPv6 has no IPv4 address of its own here:
 * to WANIPConnection its own are those the neighbour table gives its link-layer
 * address; every other is a third party's.
 * w (may be NULL: never wait); res (may be NULL): what was answered, and for
 * a refused mapping why (stats.h). */
int	 soap_dispatch(enum upnp_svc svc, const char *soapaction, const struct soap_req *rq,
	    const struct in6_addr *peer, struct soap_wait *w, struct sbuf *out,
	    struct request_result *res);
/* soap_pinhole.c: a WANIPv6FirewallControl:1 action; 0, a UPnP error code, or
 * SOAP_WAIT for the neighbour table (as soap_dispatch; w may be NULL). */
int	 soap_pinhole_action(const struct soap_req *rq, const char *svc_type,
	    const struct in6_addr *peer, struct soap_wait *w, struct sbuf *out);
/* Service type string "urn:schemas-upnp-org:service:NAME:VER". */
void	 upnp_service_type(enum upnp_svc svc, char *buf, size_t len);

/* wanif.c: the WAN interface as WANCommonInterfaceConfig reports it */
int	 upnp_wan_stats(const char *ifname, uint64_t *rx_bytes, uint64_t *tx_bytes,
	    uint64_t *rx_packets, uint64_t *tx_packets);
bool	 upnp_wan_up(const char *ifname);
/* Link speed in bit/s, at most what a ui4 holds; 1 Gbit/s when unknown. */
unsigned long upnp_wan_bitrate(const char *ifname);

/* gena_msg.c: pure */
struct gena_callback {
	struct in6_addr	addr;		/* IPv4 as ::ffff:a.b.c.d */
	uint16_t	port;
	char		path[256];
};
/* 0 or -1: the first http:// URL of a CALLBACK header whose host is an IPv4
 * literal or a bracketed IPv6 one (a zone in it is skipped). */
int	 gena_parse_callback(const char *hdr, struct gena_callback *out);
/* Seconds granted for a TIMEOUT header (absent/infinite/short -> 1800). */
uint32_t gena_parse_timeout(const char *hdr);

/* gena.c */
struct gena_result {
	int		status;		/* HTTP status */
	char		sid[UPNP_UUID_LEN + 6];
	uint32_t	timeout;
};
int	 gena_init(void);
void	 gena_fini(void);
/* The subscriber as HTTP saw it: its address (IPv4 as ::ffff:a.b.c.d) and,
 * for an IPv6 one, the LAN interface it is on (a link-local one's scope). */
struct gena_peer {
	struct in6_addr	addr;
	unsigned	ifindex;
};
void	 gena_subscribe(enum upnp_svc svc, const struct gena_peer *peer, const char *callback,
	    const char *nt, const char *sid, const char *timeout, struct gena_result *res);
void	 gena_unsubscribe(enum upnp_svc svc, const struct gena_peer *peer, const char *callback,
	    const char *nt, const char *sid, struct gena_result *res);
/* Evented variables of a service as a propertyset body. */
void	 gena_propertyset(enum upnp_svc svc, unsigned mask, struct sbuf *b);

#endif
