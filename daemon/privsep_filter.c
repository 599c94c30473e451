/*
 * privsep_filter: the child's seccomp filter (libseccomp). A deny list, not
 * an allow list: the child runs libmicrohttpd, libxml2, libcurl and the
 * resolver, whose system calls change between releases, and an allow list
 * that missed one would kill the daemon in the field. What is denied is
 * what the child never does and an intruder would want first: running a
 * program, user and mount namespaces (capabilities inside them, which
 * no_new_privs does not prevent), mounts, kernel modules, kexec, BPF,
 * perf events, the kernel keyring, userfaultfd, other processes' memory.
 * A call to any of them kills the child (SIGSYS); the parent logs it.
 */
#include <errno.h>
#include <seccomp.h>

#include "privsep.h"

static const int denied[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat),
	SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount), SCMP_SYS(umount2),
	SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(open_by_handle_at),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(reboot),
	SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct),
};

int
privsep_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < sizeof(denied) / sizeof(denied[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, denied[i], 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}
