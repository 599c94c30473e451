/*
 * udpflood ADDR PORT COUNT [SEED]: sends COUNT malformed datagrams to
 * ADDR:PORT as fast as the socket takes them: random lengths (0 to 1200
 * bytes) and contents, with the first bytes biased toward the values the
 * parsers branch on (versions 0-3 and 255, opcodes, SSDP verbs).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const ssdp_starts[] = {
	"M-SEARCH * HTTP/1.1\r\n", "NOTIFY * HTTP/1.1\r\n", "M-SEARCH * HTTP/1.1\r\nMX: ",
	"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 99999999999\r\n",
};

int
main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned char buf[1200];
	long count;
	int fd;

	if (argc < 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: udpflood ADDR PORT COUNT [SEED]\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	count = atol(argv[3]);
	srandom(argc > 4 ? (unsigned)atoi(argv[4]) : 1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		size_t len = (size_t)(random() % 4 == 0 ? random() % 1201 : random() % 64);
		for (size_t j = 0; j < len; j++)
			buf[j] = (unsigned char)random();
		static const unsigned char versions[] = { 0, 1, 2, 3, 255 };
		if (len > 0)
			buf[0] = versions[random() % 5];
		if (len > 1 && random() % 2)
			buf[1] = (unsigned char)(random() % 4 | (random() % 2 ? 0x80 : 0));
		if (random() % 8 == 0) {
			const char *s = ssdp_starts[random() % 4];
			size_t n = strlen(s);
			memcpy(buf, s, n);
			if (len < n)
				len = n;
		}
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			usleep(100);	/* socket buffer full: let the daemon catch up */
	}
	close(fd);
	return 0;
}
