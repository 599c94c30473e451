/*
 * nlquery: one netlink question, one answer, asked synchronously (a route
 * lookup, a socket lookup). The socket is opened on first use and kept.
 */
#ifndef PORTHOLE_NLQUERY_H
#define PORTHOLE_NLQUERY_H

#include <libmnl/libmnl.h>
#include <stddef.h>

struct nlquery {
	int			 bus;	/* NETLINK_ROUTE, NETLINK_SOCK_DIAG, ... */
	struct mnl_socket	*nl;
};

/*
 * Send req (its nlmsg_seq is set here) and read the one message that
 * answers it into buf. Returns that message, or NULL with *err set: the
 * kernel's error (e.g. -ENOENT) or a local one.
 */
const struct nlmsghdr *nlquery_ask(struct nlquery *q, struct nlmsghdr *req, void *buf,
	    size_t buflen, int *err);
void	nlquery_close(struct nlquery *q);

#endif
