/*
 * kernwatch: notices when someone else removes the daemon's nftables table
 * or one of its chains or maps (`nft flush ruleset`, a firewall reload) and
 * asks main to rebuild it, mappings and all. Listens to nftables' netlink
 * events, so the rebuild follows within milliseconds.
 */
#ifndef PORTHOLE_KERNWATCH_H
#define PORTHOLE_KERNWATCH_H

int	kernwatch_init(const char *table, void (*rebuild)(void));
void	kernwatch_fini(void);

/* Does this netlink message remove part of table? (pure; for tests/fuzzing) */
int	kernwatch_is_removal(const void *nlmsg, size_t len, const char *table);

#endif
