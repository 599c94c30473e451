/*
 * neigh: which link-layer address an IPv4 address has, from the kernel's
 * neighbour table at the moment of the question (one RTM_GETNEIGH). The
 * addresses of one host (aliases, a host speaking for itself under several
 * addresses) share it, which is what per-host quotas count by.
 */
#ifndef PORTHOLE_NEIGH_H
#define PORTHOLE_NEIGH_H

#include <netinet/in.h>
#include <stdint.h>

/* 0 and the address's link-layer address folded into *key; -ENOENT when the
 * neighbour table has no usable entry for it on ifindex; -errno otherwise. */
int	neigh_key(struct in_addr addr, unsigned ifindex, uint64_t *key);
void	neigh_fini(void);

#endif
