/*
 * sockdiag: does the gateway itself have a socket that a packet to a given
 * local address and port would reach? Asked of the kernel at the moment of
 * the question (sock_diag netlink, one exact lookup, not a dump), so the
 * cost does not grow with the number of sockets or of mappings.
 */
#ifndef PORTHOLE_SOCKDIAG_H
#define PORTHOLE_SOCKDIAG_H

#include <netinet/in.h>
#include <stdint.h>

/*
 * 1 when a TCP listener or an unconnected UDP socket would receive what a
 * remote host sends to local:port arriving on ifindex (0 = any), 0 when
 * none would, -errno when the kernel could not be asked.
 */
int	sockdiag_bound(uint8_t proto, struct in_addr local, uint16_t port, unsigned ifindex);
void	sockdiag_fini(void);

#endif
