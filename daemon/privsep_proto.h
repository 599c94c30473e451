/*
 * privsep_proto: the messages between the unprivileged child (front-ends,
 * policy, lease table, lease file) and the privileged parent (nftables,
 * kernel events). Both ends include this one definition.
 *
 * Every message is one struct ps_msg, whole, on a SOCK_SEQPACKET socketpair:
 * a datagram of any other length, a `len` that is not sizeof(struct ps_msg),
 * a `seq` out of turn or a type the receiver does not expect is a protocol
 * violation, and the parent exits on it (fatalx) rather than guess.
 *
 * Adds and removals are pipelined: the child does not wait for them (a
 * round trip between two processes costs as much CPU as a fifth of a whole
 * NAT-PMP add). It holds them a moment and sends up to PS_CHANGES_PER_MSG
 * in one PS_CHANGES message, which the parent makes one nftables batch with
 * whatever else it read at once. Each change has a number of its own (the
 * message's seq, seq + 1, ...; the next message is numbered after the
 * last). The parent answers only a refusal (PS_REFUSED, naming the change's
 * number and mapping), and the child then drops that lease. Every other
 * request is answered by one PS_RESULT, after the answers to every earlier
 * change, so a PS_RESULT also says that no refusal is still to come for
 * what was sent before it.
 */
#ifndef PORTHOLE_PRIVSEP_PROTO_H
#define PORTHOLE_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ps_type {
	/* child -> parent: one per backend call; answered by PS_RESULT */
	PS_OPEN = 1,		/* build (or rebuild) the table; no fields */
	PS_CLOSE,		/* remove the table; the parent exits after */
	PS_SET_EXT,		/* u.ext: the WAN address DNAT matches */
	PS_CHANGES,		/* u.changes[0 .. count-1]; only a refused add is answered */
	PS_COUNTERS,		/* answered by PS_COUNTER_BATCH..., then PS_RESULT */
	PS_PIN_ADD,		/* u.pin: an IPv6 pinhole; answered by PS_RESULT */
	PS_PIN_DEL,		/* u.pin; answered by PS_RESULT */
	PS_PIN_COUNTERS,	/* answered by PS_PIN_COUNTER_BATCH..., then PS_RESULT */
	/* parent -> child */
	PS_RESULT,		/* result: 0 or -errno */
	PS_COUNTER_BATCH,	/* u.ctr[0 .. count-1] */
	PS_TABLE_LOST,		/* someone removed our table; the parent rebuilt it empty */
	PS_WAN_CHANGED,		/* rtnetlink: the WAN interface's addresses changed */
	PS_REFUSED,		/* the add numbered seq: u.map as sent, result -errno */
	PS_PIN_COUNTER_BATCH,	/* u.pin_ctr[0 .. count-1] */
	PS_TYPE_MAX
};
#define PS_REQUEST_FIRST	PS_OPEN
#define PS_REQUEST_LAST		PS_PIN_COUNTERS

/* A mapping's kernel half: what the DNAT element is made of. Network order. */
struct ps_mapping {
	uint32_t	int_addr;
	uint32_t	remote;		/* 0 = any */
	uint16_t	ext_port;	/* host order, as in struct lease */
	uint16_t	int_port;
	uint16_t	remote_port;	/* 0 = any */
	uint8_t		proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		zero;		/* must be 0 */
};

/* One change of a PS_CHANGES message. */
enum ps_change_op { PS_ADD = 1, PS_DEL = 2 };
struct ps_change {
	uint32_t		op;	/* enum ps_change_op */
	struct ps_mapping	map;
};

struct ps_counter {
	uint64_t	packets;
	uint64_t	bytes;
	uint16_t	ext_port;
	uint8_t		proto;
	uint8_t		zero[5];
};

/* An IPv6 pinhole's kernel half: nothing is translated, only let in. */
struct ps_pinhole {
	uint8_t		int_addr[16];
	uint8_t		remote[16];	/* :: = any */
	uint16_t	int_port;
	uint16_t	remote_port;	/* 0 = any */
	uint8_t		proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		remote_plen;	/* 0..128: remote's prefix length */
	uint8_t		zero[2];	/* must be 0 */
};

struct ps_pin_counter {
	uint64_t	packets;
	uint64_t	bytes;
	uint8_t		int_addr[16];
	uint16_t	int_port;
	uint8_t		proto;
	uint8_t		zero[5];
};

/* Counters travel 64 to a message: a listing of n mappings is n/64 messages. */
#define PS_COUNTERS_PER_MSG	64
/* A pinhole's counter is longer: as many as fit in the same space. */
#define PS_PIN_COUNTERS_PER_MSG	(PS_COUNTERS_PER_MSG * sizeof(struct ps_counter) / \
				 sizeof(struct ps_pin_counter))

struct ps_msg {
	uint32_t	type;		/* enum ps_type */
	uint32_t	len;		/* sizeof(struct ps_msg), always */
	int32_t		result;		/* PS_RESULT */
	uint32_t	count;		/* PS_CHANGES, PS_COUNTER_BATCH: entries used */
	uint32_t	seq;		/* child -> parent: 1, 2, 3, ... (a change each); PS_REFUSED: the add's */
	uint32_t	zero;		/* must be 0 */
	union {
		struct ps_mapping	map;
		struct ps_change	changes[PS_COUNTERS_PER_MSG * sizeof(struct ps_counter) /
					    sizeof(struct ps_change)];
		uint32_t		ext;	/* network order; 0 = none */
		struct ps_counter	ctr[PS_COUNTERS_PER_MSG];
		struct ps_pinhole	pin;
		struct ps_pin_counter	pin_ctr[PS_PIN_COUNTERS_PER_MSG];
	} u;
};
/* No padding anywhere: every byte sent is a field the receiver checks or ignores on purpose. */
_Static_assert(sizeof(struct ps_mapping) == 16, "ps_mapping is packed as written");
_Static_assert(sizeof(struct ps_change) == 20, "ps_change is packed as written");
_Static_assert(sizeof(struct ps_counter) == 24, "ps_counter is packed as written");
_Static_assert(sizeof(struct ps_pinhole) == 40, "ps_pinhole is packed as written");
_Static_assert(sizeof(struct ps_pin_counter) == 40, "ps_pin_counter is packed as written");
_Static_assert(sizeof(struct ps_msg) == 24 + PS_COUNTERS_PER_MSG * 24, "ps_msg is fixed");

#define PS_CHANGES_PER_MSG	(sizeof(((struct ps_msg *)0)->u.changes) / sizeof(struct ps_change))
/* privsep_msg.c: a mapping between the lease table's form and the wire's. */
struct lease;
void	ps_mapping_of(const struct lease *l, struct ps_mapping *p);
void	ps_lease_of(const struct ps_mapping *p, struct lease *l);
/* privsep_msg.c: the same for a pinhole. */
struct pinhole;
void	ps_pin_wire_of(const struct pinhole *p, struct ps_pinhole *w);
void	ps_pinhole_of(const struct ps_pinhole *w, struct pinhole *p);
/*
 * privsep_msg.c: what is wrong with n bytes the parent received from the
 * child as the message numbered want_seq (written into why), or NULL: the
 * length, the length field, the turn, the type (a request, PS_REQUEST_FIRST
 * through PS_REQUEST_LAST), a change's kind, a mapping's or a pinhole's
 * protocol and ports, PS_CHANGES' count (1 to PS_CHANGES_PER_MSG), and every
 * field or byte the type does not use being 0.
 */
const char *ps_request_problem(const void *buf, size_t n, uint32_t want_seq, char *why,
    size_t len);

#endif
