/*
 * privdrop: once every socket is open, keep only the capabilities the
 * daemon still uses: CAP_NET_ADMIN (nftables and rtnetlink) and
 * CAP_NET_BIND_SERVICE (re-binding after an interface comes back).
 */
#ifndef PORTHOLE_PRIVDROP_H
#define PORTHOLE_PRIVDROP_H

int	privdrop_apply(void);

#endif
