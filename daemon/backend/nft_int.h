/*
 * nft_int.h: the nftables backend's private module map.
 *
 *   nft.c          backend_ops: mappings are elements of maps
 *   nft_build.c    the table, its sets, chains and rules, as one batch
 *   nft_nl.c       the netlink socket: batches, acknowledgements, errors
 *   nft_bridge.c   a warning for the hairpin case br_netfilter breaks
 *   nft_pinhole.c  IPv6 pinholes: elements of counted sets (backend.h)
 *   nft_count.c    reading a counted set's dump, for both
 */
#ifndef PORTHOLE_NFT_INT_H
#define PORTHOLE_NFT_INT_H

#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct backend_config;
struct lease;

/* Names inside our table; see nft_build.c for the rules that use them. */
#define NFT_SET_EXT		"ext4"		/* the external address(es) */
#define NFT_MAP_ANY		"fwd4"		/* l4proto . dport */
#define NFT_MAP_HOST		"fwd4r"		/* l4proto . saddr . dport */
#define NFT_MAP_HOSTPORT	"fwd4rp"	/* l4proto . saddr . sport . dport */
#define NFT_SET_COUNT_TCP	"cnt4tcp"	/* ext port, with counters */
#define NFT_SET_COUNT_UDP	"cnt4udp"

/* IPv6 pinholes (nft_pinhole.c): counted sets keyed on the internal end
 * first, then the remote filter, each part in whole 32-bit registers. */
#define NFT_SET_PIN6		"pin6"		/* daddr . l4proto . dport */
#define NFT_SET_PIN6R		"pin6r"		/* ... . saddr */
#define NFT_SET_PIN6RP		"pin6rp"	/* ... . saddr . sport */
/* A remote prefix wider than one host: the same keys in interval sets, an
 * element the range from the prefix's first address to its last. */
#define NFT_SET_PIN6N		"pin6n"		/* ... . saddr range */
#define NFT_SET_PIN6NP		"pin6np"	/* ... . saddr range . sport */
#define NFT_PIN6_KEY_LEN	24		/* 16 + 4 + 4 */
/* The mark a pinhole puts on the packets it lets in, for the admin's own
 * firewall to accept (README: "IPv6 pinholes beside your own firewall"). */
#define NFT_PINHOLE_MARK	0x00100000u
#define NFT_PINHOLE_PRIORITY	(-200)		/* before any filter chain at 0 */

/* Set ids used to reference sets created in the same batch. */
enum { NFT_ID_EXT = 1, NFT_ID_ANY, NFT_ID_HOST, NFT_ID_HOSTPORT, NFT_ID_COUNT_TCP, NFT_ID_COUNT_UDP,
	NFT_ID_PIN6, NFT_ID_PIN6R, NFT_ID_PIN6RP, NFT_ID_PIN6N, NFT_ID_PIN6NP };

/*
 * A mapping's element as the kernel keeps it: each part of a concatenation
 * takes a whole 32-bit register, zero-padded; ports in network order.
 */
struct nft_elem {
	const char	*map;		/* NFT_MAP_ANY, _HOST or _HOSTPORT */
	uint8_t		 key[16];
	uint32_t	 key_len;
	uint8_t		 data[8];	/* int_addr . int_port */
	const char	*count_set;	/* NFT_SET_COUNT_TCP or _UDP */
	uint8_t		 count_key[2];	/* ext_port */
};

/* nft.c */
void	 nft_elem_of(const struct lease *l, struct nft_elem *e);

/* nft_build.c */
/* Queue the messages that (re)create the whole table (cfg->table) into the open batch. */
int	 nft_build_table(const struct backend_config *cfg);

/* nft_count.c: fn for each element of one dump message, with its counter. */
typedef void (*nft_counted_fn)(const uint8_t *key, uint32_t key_len, uint64_t packets,
    uint64_t bytes, void *arg);
int	 nft_counted_elems(const struct nlmsghdr *nlh, nft_counted_fn fn, void *arg);

/* nft_bridge.c */
void	 nft_bridge_check(const struct backend_config *cfg);

/* nft_nl.c */
int	 nft_nl_open(void);
void	 nft_nl_close(void);
uint32_t nft_nl_portid(void);

/*
 * A batch is begun, filled with messages and committed. nft_batch_msg()
 * returns a header for the caller to put the payload in; the message is
 * complete when the next one is asked for or the batch is committed.
 * `what` names the change for the log should the kernel refuse it.
 */
void	 nft_batch_begin(void);
struct nlmsghdr *nft_batch_msg(uint16_t type, uint16_t flags, const char *what);
/*
 * Send, wait for every acknowledgement; 0 or the first -errno. An error
 * equal to -quiet_err is expected by the caller and not logged; with
 * quiet_err < 0 none is (the caller tries each change again on its own).
 */
int	 nft_batch_commit(int quiet_err);
/* Is there room for msgs more messages in the open batch? */
bool	 nft_batch_room(int msgs);
/*
 * Leave the open batch for more changes to join; flush is called (and
 * must commit it) before any other batch or request uses the buffer.
 */
void	 nft_batch_keep(void (*flush)(void));

/* Replies to a request outside a batch (GETTABLE, GETSETELEM). */
typedef int (*nft_reply_fn)(const struct nlmsghdr *nlh, void *arg);
/* Build a request with nft_request_msg() (or nft_dump_msg() for a dump:
 * many replies, then NLMSG_DONE), then nft_request(). */
struct nlmsghdr *nft_request_msg(uint16_t type);
struct nlmsghdr *nft_dump_msg(uint16_t type);
int	 nft_request(const char *what, nft_reply_fn fn, void *arg, int quiet_err);

#endif
