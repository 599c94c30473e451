/*
 * ssdp_probe: a small SSDP client for the lab.
 *
 *   ssdp_probe search DST ST MX WAIT_MS   send one M-SEARCH (MX "-" = no MX
 *                                         header) to DST:1900, print replies
 *                                         (DST IPv4 or IPv6, "ff02::c%eth0")
 *   ssdp_probe listen LOCAL_ADDR WAIT_MS  join 239.255.255.250 on the
 *                                         interface with LOCAL_ADDR, print
 *                                         every NOTIFY heard
 *   ssdp_probe time DST ST MX COUNT EXPECT WAIT_MS
 *                                         COUNT searches one after another,
 *                                         each from a new socket, each waiting
 *                                         for EXPECT replies (at most WAIT_MS)
 *   ssdp_probe flood DST ST MX COUNT WAIT_MS
 *                                         COUNT searches from one socket as
 *                                         fast as it sends, then WAIT_MS more
 *
 * search and listen print each message as received, then "#ms=N ttl=T" (time
 * since the start and the IP TTL) and a "----" line. time prints one line per
 * search, "search I replies R ms M" (M: when the last awaited reply came, or
 * -1 when fewer than EXPECT came), then "answered A/COUNT min X median Y max Z"
 * over the answered ones. flood prints "sent S replies R ms T" (T: from the
 * first search to the end of the wait).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
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

/* An M-SEARCH for ST (MX "-" = no MX header) into msg; its length. */
static size_t
msearch(char *msg, size_t size, const char *st, const char *mx, bool v6)
{
	char mxh[32] = "";

	if (strcmp(mx, "-") != 0)
		snprintf(mxh, sizeof(mxh), "MX: %s\r\n", mx);
	int len = snprintf(msg, size, "M-SEARCH * HTTP/1.1\r\n"
	    "HOST: %s\r\nMAN: \"ssdp:discover\"\r\n%sST: %s\r\n\r\n",
	    v6 ? "[FF02::C]:1900" : "239.255.255.250:1900", mxh, st);
	return len < 0 || (size_t)len >= size ? 0 : (size_t)len;
}

/* DST (IPv4, or IPv6 with an optional %zone) port 1900 into to; false if not an address. */
static bool
dst_addr(const char *dst, struct sockaddr_storage *to, socklen_t *tolen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM }, *ai;

	if (getaddrinfo(dst, "1900", &hints, &ai) != 0)
		return false;
	memcpy(to, ai->ai_addr, ai->ai_addrlen);
	*tolen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return true;
}

/* A new socket with one M-SEARCH sent from it to DST:1900; -1 on error. */
static int
send_search(const char *dst, const char *st, const char *mx)
{
	struct sockaddr_storage to;
	socklen_t tolen = 0;
	char msg[1024];
	bool ok = dst_addr(dst, &to, &tolen);
	size_t len = ok ? msearch(msg, sizeof(msg), st, mx, to.ss_family == AF_INET6) : 0;
	int fd = ok ? socket(to.ss_family, SOCK_DGRAM, 0) : -1, one = 1;

	if (fd < 0 || len == 0) {
		fprintf(stderr, "ssdp_probe: bad address or ST\n");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (to.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	if (sendto(fd, msg, len, 0, (struct sockaddr *)&to, tolen) < 0) {
		perror("sendto");
		close(fd);
		return -1;
	}
	return fd;
}

static int
search(const char *dst, const char *st, const char *mx, long wait_ms)
{
	int fd = send_search(dst, st, mx);

	if (fd < 0)
		return 2;
	print_all(fd, wait_ms);
	close(fd);
	return 0;
}

/* Milliseconds until the EXPECT-th reply on fd, or -1 when WAIT_MS passes first. */
static long
await_replies(int fd, long start, long expect, long wait_ms, long *got)
{
	char buf[4096];
	long left;

	*got = 0;
	while (*got < expect && (left = start + wait_ms - now_ms()) > 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, (int)left) > 0 && (n = recv(fd, buf, sizeof(buf), 0)) >= 17 &&
		    memcmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0)
			(*got)++;
	}
	return *got >= expect ? now_ms() - start : -1;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static int
time_searches(const char *dst, const char *st, const char *mx, long count, long expect,
    long wait_ms)
{
	long *ms = calloc((size_t)(count > 0 ? count : 1), sizeof(*ms)), answered = 0;

	if (!ms || count < 1 || expect < 1)
		return 2;
	for (long i = 0; i < count; i++) {
		long start = now_ms(), got, t;
		int fd = send_search(dst, st, mx);
		if (fd < 0)
			return 2;
		t = await_replies(fd, start, expect, wait_ms, &got);
		close(fd);
		printf("search %ld replies %ld ms %ld\n", i + 1, got, t);
		if (t >= 0)
			ms[answered++] = t;
	}
	qsort(ms, (size_t)answered, sizeof(*ms), cmp_long);
	printf("answered %ld/%ld", answered, count);
	if (answered)
		printf(" min %ld median %ld max %ld", ms[0], ms[answered / 2], ms[answered - 1]);
	printf("\n");
	free(ms);
	return 0;
}

static int
flood(const char *dst, const char *st, const char *mx, long count, long wait_ms)
{
	struct sockaddr_storage to;
	socklen_t tolen = 0;
	char msg[1024];
	bool ok = dst_addr(dst, &to, &tolen);
	size_t len = ok ? msearch(msg, sizeof(msg), st, mx, to.ss_family == AF_INET6) : 0;
	long sent = 0, got, start = now_ms();
	int fd = ok ? socket(to.ss_family, SOCK_DGRAM, 0) : -1, rcvbuf = 4 << 20;

	if (fd < 0 || len == 0)
		return 2;
	/* Room for every reply the daemon could send, so none is lost here. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	for (long i = 0; i < count; i++)
		if (sendto(fd, msg, len, 0, (struct sockaddr *)&to, tolen) == (ssize_t)len)
			sent++;
	await_replies(fd, now_ms(), 1L << 30, wait_ms, &got);
	printf("sent %ld replies %ld ms %ld\n", sent, got, now_ms() - start);
	close(fd);
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
	if (argc == 8 && strcmp(argv[1], "time") == 0)
		return time_searches(argv[2], argv[3], argv[4], atol(argv[5]), atol(argv[6]),
		    atol(argv[7]));
	if (argc == 7 && strcmp(argv[1], "flood") == 0)
		return flood(argv[2], argv[3], argv[4], atol(argv[5]), atol(argv[6]));
	fprintf(stderr, "usage: ssdp_probe search DST ST MX WAIT_MS | listen LOCAL_ADDR WAIT_MS\n"
	    "       ssdp_probe time DST ST MX COUNT EXPECT WAIT_MS\n"
	    "       ssdp_probe flood DST ST MX COUNT WAIT_MS\n");
	return 2;
}
