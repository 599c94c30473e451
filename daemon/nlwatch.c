/*
 * nlwatch: see nlwatch.h.
 */
#include <errno.h>
#include <poll.h>

#include "nlwatch.h"

int
nlwatch_open(struct mnl_socket **nl, int bus, unsigned groups, ev_fd_cb readable)
{
	int rc;

	*nl = mnl_socket_open2(bus, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!*nl)
		return -errno;
	if (mnl_socket_bind(*nl, groups, MNL_SOCKET_AUTOPID) < 0)
		rc = -errno;
	else if ((rc = ev_fd_add(mnl_socket_get_fd(*nl), POLLIN, readable, NULL)) == 0)
		return 0;
	mnl_socket_close(*nl);
	*nl = NULL;
	return rc;
}

void
nlwatch_close(struct mnl_socket **nl)
{
	if (!*nl)
		return;
	ev_fd_del(mnl_socket_get_fd(*nl));
	mnl_socket_close(*nl);
	*nl = NULL;
}
