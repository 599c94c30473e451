/*
 * nlquery: see nlquery.h. The socket is blocking: the kernel answers these
 * lookups in the same system call, so the read never waits on anything else.
 */
#include "nlquery.h"

#include <errno.h>

static int
open_socket(struct nlquery *q)
{
	if (q->nl)
		return 0;
	q->nl = mnl_socket_open2(q->bus, SOCK_CLOEXEC);
	if (!q->nl)
		return -errno;
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;
		nlquery_close(q);
		return rc;
	}
	return 0;
}

const struct nlmsghdr *
nlquery_ask(struct nlquery *q, struct nlmsghdr *req, void *buf, size_t buflen, int *err)
{
	static unsigned seq;
	const struct nlmsghdr *nlh = buf;
	ssize_t n;

	if ((*err = open_socket(q)) < 0)
		return NULL;
	req->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(q->nl, req, req->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(q->nl, buf, buflen)) < 0) {
		*err = -errno;
		return NULL;
	}
	if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_seq != seq) {
		*err = -EPROTO;
		return NULL;
	}
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		*err = nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error ? e->error : -EPROTO;
		return NULL;
	}
	*err = 0;
	return nlh;
}

void
nlquery_close(struct nlquery *q)
{
	if (q->nl)
		mnl_socket_close(q->nl);
	q->nl = NULL;
}
