/*
 * pcp_int.h: the module map of the udp/5351 front-end, where NAT-PMP
 * (RFC 6886, version 0) and PCP (RFC 6887, version 2) share one port.
 *
 *   pcp.c         sockets, one per LAN address; byte 0 picks the protocol
 *   natpmp_msg.c  NAT-PMP wire format: pure parse/build functions
 *   pcp_msg.c     PCP wire format: pure parse/build functions
 *   natpmp.c      NAT-PMP semantics against the lease table
 *   pcp_server.c  PCP semantics against the lease table
 *   mapping.c     what both share: port choice, lifetime clamp, lookups
 *   announce.c    the epoch, restart/address-change announcements and
 *                 PCP mapping updates
 *   pending.c     requests waiting for the gateway in front (upstream.h)
 *   pcp6.c        the IPv6 sockets (one per LAN interface) and their
 *                 announcements; PCP only
 *   pcp_pinhole.c PCP over IPv6: MAP opens a pinhole (pinhole.h)
 *
 * Wire constants shared with the client are in common/pcp_wire.h.
 * The parsers and the protocol logic never touch a socket, so unit tests
 * and libFuzzer call them directly with a byte buffer and a source address.
 */
#ifndef PORTHOLE_PCP_INT_H
#define PORTHOLE_PCP_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lease.h"
#include "pcp_wire.h"
#include "stats.h"
#include "upstream.h"

struct gateway;

#define PCP_LONG_ERR_LIFETIME	1800
#define PCP_SHORT_ERR_LIFETIME	30
#define PCP_MAX_FILTERS		64	/* more cannot fit in 1100 bytes anyway */
#define PCP_DROP		(-1)	/* parse verdict: say nothing */

struct pcp_filter {
	uint8_t		plen;		/* 0 = "remove all filters" */
	uint16_t	port;		/* 0 = any */
	uint8_t		addr[16];
};

/* A PCP request as parsed; ext/remote addresses stay in wire form. */
struct pcp_req {
	uint8_t		 opcode;
	bool		 v6;		/* from an IPv6 source: every address is IPv6 */
	uint32_t	 lifetime;
	uint8_t		 client_ip[16];
	/* MAP and PEER */
	uint8_t		 nonce[LEASE_NONCE_LEN];
	uint8_t		 proto;
	uint16_t	 int_port;
	uint16_t	 ext_port;
	uint8_t		 ext_ip[16];
	/* PEER only */
	uint16_t	 rem_port;
	uint8_t		 rem_ip[16];
	/* options */
	bool		 third_party;
	uint8_t		 tp_addr[16];
	bool		 prefer_failure;
	size_t		 n_filters;
	struct pcp_filter filters[PCP_MAX_FILTERS];
	bool		 has_desc;	/* DESCRIPTION (RFC 7220), cleaned and cut to fit a lease */
	char		 desc[LEASE_DESC_MAX];
};

/* What the server decided, for pcp_build_success(). */
struct pcp_answer {
	uint32_t	 lifetime;
	uint16_t	 ext_port;
	struct in_addr	 ext_ip;
	bool		 ext_is_v6;	/* a pinhole: ext_ip6 (the internal address) instead */
	struct in6_addr	 ext_ip6;
	bool		 echo_ext;	/* false: copy the suggested fields back (deletes) */
	bool		 echo_filters;
	bool		 echo_desc;	/* the description the lease now carries is r->desc */
};

#define NATPMP_DROP		(-1)

struct natpmp_req {
	uint8_t		op;
	uint16_t	int_port;
	uint16_t	ext_port;
	uint32_t	lifetime;
};

/* A request that must wait for the gateway in front (upstream.h). */
struct pcp_wait {
	bool		set;
	uint8_t		proto;
	uint16_t	port;
};

/* What the logic needs from the outside world, so tests can supply it,
 * and where it reports what it decided (NULL: nobody asks). */
struct pcp_env {
	const struct config	*cfg;
	uint32_t		 epoch;
	struct request_result	*result;
	struct pcp_wait		*wait;	/* NULL: nothing may wait (tests) */
};

static inline void
pcp_report(const struct pcp_env *env, const struct request_result *r)
{
	if (env->result)
		*env->result = *r;
}

/* natpmp_msg.c */
int	natpmp_parse(const uint8_t *b, size_t len, struct natpmp_req *r);
size_t	natpmp_build_extaddr(uint8_t *out, uint16_t result, uint32_t epoch, struct in_addr ext);
size_t	natpmp_build_map(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch,
	    uint16_t int_port, uint16_t ext_port, uint32_t lifetime);
size_t	natpmp_build_unsupp_version(uint8_t *out, uint32_t epoch);
size_t	natpmp_build_unsupp_opcode(uint8_t *out, size_t outsz, const uint8_t *req, size_t len);

/* pcp_msg.c */
int	pcp_parse(const uint8_t *b, size_t len, const uint8_t src[16], struct pcp_req *r);
uint32_t pcp_error_lifetime(int result);
size_t	pcp_build_error(uint8_t *out, size_t outsz, const uint8_t *req, size_t len,
	    int result, uint32_t lifetime, uint32_t epoch, bool parsed);
size_t	pcp_build_success(uint8_t *out, size_t outsz, const struct pcp_req *r,
	    const struct pcp_answer *a, uint32_t epoch);
size_t	pcp_build_announce(uint8_t *out, uint32_t epoch);

/* natpmp.c */
size_t	natpmp_handle(const struct pcp_env *env, struct in_addr src,
	    const uint8_t *b, size_t len, uint8_t *out, size_t outsz);

/* pcp_server.c */
size_t	pcp_handle(const struct pcp_env *env, struct in_addr src, uint16_t sport,
	    const uint8_t *b, size_t len, uint8_t *out, size_t outsz);
/* announce.c: the last client endpoint of each PCP mapping, for mapping updates (§14.2). */
struct pcp_client_ref {
	uint8_t		proto;
	uint16_t	ext_port;
	struct in_addr	addr;
	uint16_t	port;
	bool		third_party;
};
void	pcp_clients_note(uint8_t proto, uint16_t ext_port, struct in_addr addr, uint16_t port,
	    bool third_party);
void	pcp_clients_reset(void);
size_t	pcp_clients_count(void);
const struct pcp_client_ref *pcp_clients_at(size_t i);
void	pcp_clients_forget(uint8_t proto, uint16_t ext_port);
/* Builds the unsolicited MAP/PEER response for a lease (mapping update). */
size_t	pcp_build_update(uint8_t *out, size_t outsz, const struct lease *l,
	    const struct pcp_client_ref *c, uint32_t epoch);

/* pcp_pinhole.c: a PCP request from an IPv6 LAN source; 0 = send nothing. */
size_t	pcp6_handle(const struct pcp_env *env, const struct in6_addr *src, const uint8_t *b,
	    size_t len, uint8_t *out, size_t outsz);

/* pcp.c: room in fd's receive queue for a burst of requests (see there). */
void	pcp_socket_room(int fd, const char *label);
/* Byte 0 picks NAT-PMP or PCP; 0 = send nothing (pcp.c, pure). */
size_t	pcp_dispatch(const struct pcp_env *env, struct in_addr src, uint16_t sport,
	    const uint8_t *b, size_t len, uint8_t *out, size_t outsz);

/* mapping.c */
#define MAP_DESC_NATPMP	"NAT-PMP"
#define MAP_DESC_PCP	"PCP MAP"
#define MAP_DESC_PEER	"PCP PEER"
enum map_kind { MAP_INBOUND, MAP_PEER };
struct lease *map_find(uint8_t proto, struct in_addr addr, uint16_t port, enum map_kind kind,
	    struct in_addr remote, uint16_t remote_port);
bool	map_is_peer(const struct lease *l);
uint32_t map_clamp(const struct config *cfg, uint32_t lifetime);
int	map_port_usable(const struct config *cfg, uint8_t proto, uint16_t port,
	    struct in_addr int_addr, uint16_t int_port, struct in_addr requester);
int	map_pick_port(const struct config *cfg, uint8_t proto, uint16_t want,
	    struct in_addr int_addr, uint16_t int_port, struct in_addr requester, uint16_t *out);
uint32_t map_lifetime_left(const struct lease *l);
/*
 * After a mapping of (proto, port) was made or found for owner: how the
 * gateway in front answered (upstream.h). MAPPED narrows *ext and
 * *lifetime; PENDING fills env->wait; a refusal removes owner's lease.
 */
enum upstream_verdict map_upstream(const struct pcp_env *env, uint8_t proto, uint16_t port,
	    enum lease_owner owner, struct in_addr *ext, uint32_t *lifetime);

/* pending.c */
struct gw_lan;
typedef void (*pending_serve_fn)(int fd, const struct gw_lan *lan, const uint8_t *b, size_t len,
	    const struct sockaddr_in *from, unsigned ifindex);
void	pending_add(int fd, const struct gw_lan *lan, const uint8_t *b, size_t len,
	    const struct sockaddr_in *from, unsigned ifindex, const struct pcp_wait *w);
/* Serves again every request waiting for (proto, port). */
void	pending_replay(uint8_t proto, uint16_t port, pending_serve_fn serve);
void	pending_reset(void);

/* announce.c */
uint32_t pcp_epoch(void);
void	announce_init(const struct gateway *gw, const int *fds, int n, bool natpmp, bool pcp);
void	announce_fini(void);

#endif
