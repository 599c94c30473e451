/*
 * kernwatch: notices when someone else removes the daemon's nftables table
 * or one of its chains or maps (`nft flush ruleset`, a firewall reload) and
 * asks main to rebuild it, mappings and all. Listens to nftables' netlink
 * events, so the rebuild follows within milliseconds.
 */
#ifndef PORTHOLE_KERNWATCH_H
#define PORTHOLE_KERNWATCH_H

#include <stddef.h>
#include <stdint.h>

/* own_portid: the netlink port the daemon's own changes come from
 * (backend_nft_portid(); 0: none), whose events are not even delivered. */
int	kernwatch_init(const char *table, uint32_t own_portid, void (*rebuild)(void));
void	kernwatch_fini(void);

/* Does this netlink message remove part of table? (pure; for tests/fuzzing) */
int	kernwatch_is_removal(const void *nlmsg, size_t len, const char *table);

#endif
