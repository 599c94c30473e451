/*
 * wanwatch: follows the WAN interface's IPv4 address through rtnetlink and
 * hands each change to the lease table (which moves the backend and tells
 * the front-ends). Not started when ext_ip is fixed in the config.
 */
#ifndef PORTHOLE_WANWATCH_H
#define PORTHOLE_WANWATCH_H

int	wanwatch_init(const char *ext_ifname);
void	wanwatch_fini(void);
/* Follow ext_ifname without a socket of our own: the privsep parent watches
 * rtnetlink and the child calls wanwatch_poll() on its news. */
void	wanwatch_follow(const char *ext_ifname);
/* Re-read the address now; returns 1 when it changed. */
int	wanwatch_poll(void);

#endif
