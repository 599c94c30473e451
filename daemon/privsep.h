/*
 * privsep: the daemon as two processes (config key `user`).
 *
 *   parent (parent.c): root with CAP_NET_ADMIN and CAP_KILL only; holds
 *     the nftables netlink socket and watches nftables and rtnetlink events;
 *     checks each request against invariants of its own and carries it out
 *     with the nftables backend. Parses nothing from the network.
 *   child (the rest of the daemon): runs as `user` with no capabilities,
 *     no_new_privs and a read-only view of the file system except the lease
 *     file's directory; its backend is backend_privsep, which turns each
 *     call into one message (privsep_proto.h): adds and removals are not
 *     waited for, a refusal comes back later; other calls wait.
 */
#ifndef PORTHOLE_PRIVSEP_H
#define PORTHOLE_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"

struct config;
struct lease;

/* The child's backend: every call is a message to the parent. */
extern const struct backend_ops backend_privsep;
/* The child's IPv6 pinholes, the same way; the parent checks each target. */
struct pinhole_backend;
extern const struct pinhole_backend backend_privsep_pinholes;

/*
 * Fork. The parent runs parent_main() and never returns; the child gets 0
 * back, still root, to open its sockets and the lease file before
 * privsep_drop(). *foreground is set when the daemon already detached.
 */
int	privsep_start(const struct config *cfg, bool *foreground);
/* NULL when cfg->user can run the child (it exists, is not root, owns the
 * lease file's directory); else what is wrong and what to do, in buf. */
const char *privsep_user_problem(const struct config *cfg, char *buf, size_t len);
/*
 * The parent saw our table removed (and rebuilt it empty) / the WAN address
 * change / refused an add the lease table had already made: `refused` drops
 * the lease that matches l (true) or finds none (false). Each is called from
 * a timer, never inside a backend call.
 */
void	privsep_on_kernel(void (*table_lost)(void), int (*wan_changed)(void),
	    bool (*refused)(const struct lease *l));
/* Child: become `user`, drop every capability, no_new_privs, read-only file
 * system but for the lease directory, the system call filter. Fatal when
 * any step fails. */
void	privsep_drop(void);
/* privsep_filter.c: kill the process on the system calls it never makes
 * (exec, namespaces, mounts, modules, BPF, ...). 0 or -errno. */
int	privsep_filter(void);

/* parent.c: the privileged loop over fd (the child's end is closed); exits. */
void	parent_main(const struct config *cfg, int fd, int child_pid) __attribute__((noreturn));

#endif
