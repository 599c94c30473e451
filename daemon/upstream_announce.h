/*
 * upstream_announce: the gateway in front's announcements on
 * 224.0.0.1:5350 (a restart, a new address) make the upstream worker check
 * it at once. See upstream_announce.c.
 */
#ifndef PORTHOLE_UPSTREAM_ANNOUNCE_H
#define PORTHOLE_UPSTREAM_ANNOUNCE_H

/* Listens on ext_ifname; 0 or -errno (the 2 s poll still follows restarts). */
int	upa_init(const char *ext_ifname);
void	upa_fini(void);

#endif
