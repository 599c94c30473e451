/*
 * ssdp_probe: a small SSDP client for the lab.
 *
 *   ssdp_probe search DST ST MX WAIT_MS   send one M-SEARCH (MX "-" = no MX
 *                                         header) to DST:1900, print replies
 *   ssdp_probe listen LOCAL_ADDR WAIT_MS  join 239.255.255.250 on the
 *                                         interface with LOCAL_ADDR, print
 *                                         every NOTIFY heard
 *
 * Each message is printed as received, then "#ms=N ttl=T" (time since the
 * start and the IP TTL) and a "----" line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
print_all(int fd, long wait_ms)
{
	long start = now_ms(), left;
	char buf[4096], cbuf[256];

	while ((left = start + wait_ms - now_ms()) > 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(fd, &m, 0);
		int ttl = -1;
		if (n < 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
		buf[n] = '\0';
		printf("%s#ms=%ld ttl=%d\n----\n", buf, now_ms() - start, ttl);
		fflush(stdout);
	}
}

static int
search(const char *dst, const char *st, const char *mx, long wait_ms)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(1900) };
	char msg[1024], mxh[32] = "";
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (fd < 0 || inet_pton(AF_INET, dst, &to.sin_addr) != 1)
		return 2;
	setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	if (strcmp(mx, "-") != 0)
		snprintf(mxh, sizeof(mxh), "MX: %s\r\n", mx);
	int len = snprintf(msg, sizeof(msg), "M-SEARCH * HTTP/1.1\r\n"
	    "HOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n%sST: %s\r\n\r\n", mxh, st);
	if (sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("sendto");
		return 2;
	}
	print_all(fd, wait_ms);
	return 0;
}

static int
listen_notify(const char *local, long wait_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1900) };
	struct ip_mreq mr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	inet_pton(AF_INET, "239.255.255.250", &mr.imr_multiaddr);
	inet_pton(AF_INET, local, &mr.imr_interface);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		perror("listen");
		return 2;
	}
	setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	printf("#listening\n");
	fflush(stdout);
	print_all(fd, wait_ms);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "search") == 0)
		return search(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 4 && strcmp(argv[1], "listen") == 0)
		return listen_notify(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: ssdp_probe search DST ST MX WAIT_MS | listen LOCAL_ADDR WAIT_MS\n");
	return 2;
}
