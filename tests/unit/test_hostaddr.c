/*
 * Unit test for hostaddr's kept answers: in a network namespace of its own
 * (a real kernel, nothing mocked), an address is asked about, then added to
 * and removed from an interface; each change must be seen by the very next
 * question, without the event loop running, and an unchanged answer must
 * not go to the kernel again. Without the right to make a namespace (not
 * root and no user namespaces) the test is skipped, and counted as such.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostaddr.h"

static bool have_netns;

/* Loopback up, in a fresh namespace: its only addresses are 127.0.0.0/8. */
static int
own_namespace(void **state)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	(void)state;
	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return 0;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	have_netns = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	close(s);
	return have_netns ? 0 : -1;
}

/* RTM_NEWADDR or RTM_DELADDR of addr/32 on lo; 0 or -errno. */
static int
change_address(uint16_t type, const char *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int rc = -EIO;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = if_nametoindex("lo");
	mnl_attr_put_u32(nlh, IFA_LOCAL, ip(addr).s_addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, ip(addr).s_addr);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		rc = n < 0 ? -errno : mnl_cb_run(buf, (size_t)n, 0, 0, NULL, NULL) < 0 ? -errno : 0;
	}
	mnl_socket_close(nl);
	return rc;
}

static void
loopback_is_local(void **state)
{
	(void)state;
	if (!have_netns)
		skip();
	assert_int_equal(hostaddr_is_local(ip("127.0.0.1")), 1);
	assert_int_equal(hostaddr_is_local(ip("127.9.9.9")), 1);
	assert_int_equal(hostaddr_is_local(ip("192.0.2.7")), 0);
}

/* Kept while nothing changes; an added address seen by the next question. */
static void
added_address_seen_at_once(void **state)
{
	unsigned long before;

	(void)state;
	if (!have_netns)
		skip();
	assert_int_equal(hostaddr_is_local(ip("198.51.100.7")), 0);
	before = hostaddr_lookups();
	assert_int_equal(hostaddr_is_local(ip("198.51.100.7")), 0);
	assert_int_equal(hostaddr_lookups(), before);	/* the kept answer */

	assert_int_equal(change_address(RTM_NEWADDR, "198.51.100.7"), 0);
	assert_int_equal(hostaddr_is_local(ip("198.51.100.7")), 1);
	assert_int_equal(hostaddr_lookups(), before + 1);
	assert_int_equal(hostaddr_is_local(ip("198.51.100.7")), 1);
	assert_int_equal(hostaddr_lookups(), before + 1);
	/* Another address is asked again too: every kept answer was dropped. */
	assert_int_equal(hostaddr_is_local(ip("192.0.2.7")), 0);

	assert_int_equal(change_address(RTM_DELADDR, "198.51.100.7"), 0);
	assert_int_equal(hostaddr_is_local(ip("198.51.100.7")), 0);
}

/* After fini nothing kept survives: the next answer is the kernel's again. */
static void
fini_forgets(void **state)
{
	unsigned long before;

	(void)state;
	if (!have_netns)
		skip();
	assert_int_equal(hostaddr_is_local(ip("127.0.0.1")), 1);
	hostaddr_fini();
	before = hostaddr_lookups();
	assert_int_equal(hostaddr_is_local(ip("127.0.0.1")), 1);
	assert_int_equal(hostaddr_lookups(), before + 1);
	hostaddr_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopback_is_local),
		cmocka_unit_test(added_address_seen_at_once),
		cmocka_unit_test(fini_forgets),
	};

	return cmocka_run_group_tests(tests, own_namespace, NULL);
}
