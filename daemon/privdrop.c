/*
 * privdrop: see privdrop.h. no_new_privs too, so nothing the daemon could
 * be tricked into executing regains what was dropped.
 */
#include "privdrop.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int
privdrop_apply(void)
{
	static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_NET_BIND_SERVICE };
	cap_t caps = cap_init();
	int rc = 0;

	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_PERMITTED, 2, keep, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 2, keep, CAP_SET) < 0 ||
	    cap_set_proc(caps) < 0)
		rc = -errno;
	cap_free(caps);
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		rc = -errno;
	return rc;
}
