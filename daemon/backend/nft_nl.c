/*
 * nft_nl: the one netlink socket the nftables backend talks through.
 *
 * Every change is a batch (BEGIN, messages, END) applied by the kernel as
 * one transaction: all or nothing. Only the last message asks for an ACK:
 * the kernel answers a failed message whether asked or not, and goes on to
 * the end of the batch, so the last answer comes in every case, after any
 * error, in order (a refused batch as a whole is answered on BEGIN). We
 * wait for it and keep the first error, logged with what the message was
 * for. An answer for each message would cost a read each. The socket is
 * opened once and reused, so a change costs one sendto and one recv,
 * whatever the number of mappings.
 */
#include "backend/nft_int.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "log.h"

#define NFT_BATCH_BYTES		(64 * 1024)
#define NFT_MSG_ROOM		4096		/* more than any one message we build */
#define NFT_BATCH_MAX_MSGS	512		/* a batch of mappings: two messages each */
#define NFT_REPLY_TIMEOUT_S	2		/* the kernel answers at once; this only stops a hang */

static struct mnl_socket *sock;
static uint32_t portid;
static uint32_t seq;

static struct {
	char		 buf[NFT_BATCH_BYTES];
	size_t		 len;			/* complete messages */
	struct nlmsghdr	*cur;			/* being filled in, or NULL */
	uint32_t	 begin_seq;		/* BEGIN's own sequence number */
	int		 n;			/* messages after BEGIN */
	bool		 overflow;
	const char	*what[NFT_BATCH_MAX_MSGS];
} batch;

static char rbuf[16 * 1024];

/* A batch left open for more (nft_batch_keep), sent before anything else
 * uses the buffer. */
static void (*kept_flush)(void);

static void
flush_kept(void)
{
	void (*fn)(void) = kept_flush;

	kept_flush = NULL;
	if (fn)
		fn();
}

int
nft_nl_open(void)
{
	struct timeval tv = { .tv_sec = NFT_REPLY_TIMEOUT_S };
	int one = 1;

	if (sock)
		return 0;
	sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sock) {
		int err = errno;
		log_warn("nft: netlink socket");
		return -err;
	}
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;
		log_warn("nft: netlink bind");
		mnl_socket_close(sock);
		sock = NULL;
		return -err;
	}
	/* Error replies then carry only the header, not our whole message. */
	setsockopt(mnl_socket_get_fd(sock), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	portid = mnl_socket_get_portid(sock);
	seq = (uint32_t)time(NULL);
	return 0;
}

void
nft_nl_close(void)
{
	if (sock)
		mnl_socket_close(sock);
	sock = NULL;
}

uint32_t
nft_nl_portid(void)
{
	return portid;
}

static const char *
label(uint32_t s, const char *single)
{
	if (single)
		return single;
	if (s == batch.begin_seq)
		return "batch";
	if (s - batch.begin_seq - 1 < (uint32_t)batch.n)
		return batch.what[s - batch.begin_seq - 1];
	return "reply";
}

/*
 * Read replies until the one for `last`. Replies outside [first, last] are
 * left-overs of an earlier exchange and are skipped. An error on `first`
 * (the batch's BEGIN) means the kernel refused the whole batch and will
 * send nothing more.
 */
static int
wait_replies(uint32_t first, uint32_t last, const char *single, nft_reply_fn fn, void *arg,
    int quiet_err)
{
	int rc = 0;

	for (;;) {
		ssize_t got = mnl_socket_recvfrom(sock, rbuf, sizeof(rbuf));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			int err = (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT : errno;
			log_warnx("nft: no answer from the kernel: %s", strerror(err));
			return -err;
		}
		int len = (int)got;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		    mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			uint32_t s = nlh->nlmsg_seq;
			if (s - first > last - first)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* The end of a dump; its payload is the dump's error, if any. */
				const int *err = mnl_nlmsg_get_payload(nlh);
				if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*err)) && *err < 0 && rc == 0) {
					rc = *err;
					log_warnx("nft: %s: %s", label(s, single), strerror(-rc));
				}
				if (s == last)
					return rc;
				continue;
			}
			if (nlh->nlmsg_type != NLMSG_ERROR) {
				int r = fn && nlh->nlmsg_type >= NLMSG_MIN_TYPE ? fn(nlh, arg) : 0;
				if (r < 0 && rc == 0)
					rc = r;
				continue;
			}
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return rc ? rc : -EBADMSG;
			if (e->error != 0 && rc == 0) {
				rc = e->error;
				if (quiet_err >= 0 && rc != -quiet_err)
					log_warnx("nft: %s: %s", label(s, single), strerror(-rc));
			}
			if (s == last || (e->error != 0 && s == first))
				return rc;
		}
	}
}

/* Close the message being filled in, if any. */
static void
batch_advance(void)
{
	if (batch.cur)
		batch.len += NLMSG_ALIGN(batch.cur->nlmsg_len);
	batch.cur = NULL;
}

void
nft_batch_begin(void)
{
	flush_kept();
	batch.len = 0;
	batch.n = 0;
	batch.overflow = false;
	batch.begin_seq = seq++;
	batch.cur = nftnl_batch_begin(batch.buf, batch.begin_seq);
}

struct nlmsghdr *
nft_batch_msg(uint16_t type, uint16_t flags, const char *what)
{
	batch_advance();
	if (batch.len + 2 * NFT_MSG_ROOM > sizeof(batch.buf) || batch.n == NFT_BATCH_MAX_MSGS) {
		/* Hand out scratch space so callers need no check; commit refuses. */
		batch.overflow = true;
		return nftnl_nlmsg_build_hdr(batch.buf + sizeof(batch.buf) - NFT_MSG_ROOM, type,
		    NFPROTO_INET, flags, 0);
	}
	batch.what[batch.n++] = what;
	batch.cur = nftnl_nlmsg_build_hdr(batch.buf + batch.len, type, NFPROTO_INET,
	    flags, seq++);
	return batch.cur;
}

void
nft_batch_keep(void (*flush)(void))
{
	kept_flush = flush;
}

bool
nft_batch_room(int msgs)
{
	batch_advance();
	return batch.len + (size_t)(msgs + 1) * NFT_MSG_ROOM <= sizeof(batch.buf) &&
	    batch.n + msgs <= NFT_BATCH_MAX_MSGS;
}

int
nft_batch_commit(int quiet_err)
{
	uint32_t last = seq - 1;

	kept_flush = NULL;	/* it is being sent now */

	if (batch.cur)	/* the last message */
		batch.cur->nlmsg_flags |= NLM_F_ACK;
	batch_advance();
	batch.cur = nftnl_batch_end(batch.buf + batch.len, seq++);
	batch_advance();
	if (!sock)
		return -ENOTCONN;
	if (batch.overflow) {
		log_warnx("nft: batch too large (%d messages)", batch.n);
		return -E2BIG;
	}
	if (batch.n == 0)
		return 0;
	if (mnl_socket_sendto(sock, batch.buf, batch.len) < 0) {
		int err = errno;
		log_warn("nft: send %s", batch.what[0]);
		return -err;
	}
	return wait_replies(batch.begin_seq, last, NULL, NULL, NULL, quiet_err);
}

static struct nlmsghdr *
request_msg(uint16_t type, uint16_t flags)
{
	flush_kept();
	batch.n = 0;
	batch.cur = NULL;
	return nftnl_nlmsg_build_hdr(batch.buf, type, NFPROTO_INET, flags, seq++);
}

struct nlmsghdr *
nft_request_msg(uint16_t type)
{
	return request_msg(type, NLM_F_ACK);
}

struct nlmsghdr *
nft_dump_msg(uint16_t type)
{
	return request_msg(type, NLM_F_DUMP);
}

int
nft_request(const char *what, nft_reply_fn fn, void *arg, int quiet_err)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)batch.buf;
	uint32_t s = nlh->nlmsg_seq;

	if (!sock)
		return -ENOTCONN;
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
		int err = errno;
		log_warn("nft: send %s", what);
		return -err;
	}
	return wait_replies(s, s, what, fn, arg, quiet_err);
}
