/*
 * pcptest: send one PCP request (well-formed or deliberately not) with the
 * project's PCP client module and print the reply as key=value fields, or
 * listen for the server's unsolicited packets. The integration tests use it
 * to check each CONFORMANCE item from a LAN host.
 *
 *   pcptest [request options] SERVER       one request, one line per reply
 *                                          (SERVER IPv4, or IPv6[%IFNAME])
 *   pcptest -m IFADDR [-t MS]              multicast 224.0.0.1:5350 listener
 *   pcptest -M IFNAME [-t MS]              multicast [ff02::1]:5350 listener
 *   pcptest -u PORT [-t MS]                unicast listener on PORT
 *
 * Exit status: 0 a reply was printed, 2 none came, 1 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pcp_client.h"

struct opts {
	struct pcpc_msg	 m;
	struct pcpc_xfer x;
	bool		 client_set;
	bool		 lifetime_set;
	long		 send_len;		/* -L: exact length sent; -1 = as built */
	uint8_t		 raw[PCP_MAX_MSG * 2];
	size_t		 raw_len;		/* -x: these bytes instead */
	uint8_t		 extra[PCP_MAX_MSG];
	size_t		 extra_len;		/* -X: raw options appended */
	unsigned	 wait_ms;
	bool		 dump;			/* -D: print the request too */
	const char	*mcast_if;
	const char	*mcast6_if;
	uint16_t	 listen_port;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pcptest [-o announce|map|peer|N] [-V VER] [-l LIFETIME] [-p tcp|udp|N]\n"
	    "               [-i INTPORT] [-e EXTPORT] [-E EXTADDR] [-n NONCEHEX] [-c CLIENTADDR]\n"
	    "               [-r ADDR:PORT] [-T ADDR] [-P] [-F ADDR/WIREPLEN[:PORT]]... [-d DESC]\n"
	    "               [-X CODE:LEN[:HEX]]... [-L LEN] [-x HEX] [-s SRCPORT]\n"
	    "               [-t MS] [-k TRIES] [-D] SERVER\n"
	    "       pcptest -m IFADDR [-t MS]     (multicast announcements on 5350)\n"
	    "       pcptest -M IFNAME [-t MS]     (the same on [ff02::1]:5350)\n"
	    "       pcptest -u PORT [-t MS]       (unicast listener)\n");
	exit(1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t
parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2) {
		int hi = hexval(s[0]), lo = hexval(s[1]);
		if (hi < 0 || lo < 0 || n == cap)
			usage();
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	if (*s)
		usage();
	return n;
}

static void
parse_addr16(const char *s, uint8_t out[16])
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) == 1)
		pcp_v4mapped(a, out);
	else if (inet_pton(AF_INET6, s, out) != 1)
		usage();
}

static void
add_filter(struct opts *o, const char *arg)
{
	char buf[80];
	char *slash, *colon;
	struct pcpc_filter *f;

	if (o->m.n_filters == PCPC_MAX_FILTERS || strlen(arg) >= sizeof(buf))
		usage();
	snprintf(buf, sizeof(buf), "%s", arg);
	f = &o->m.filters[o->m.n_filters++];
	if (!(slash = strchr(buf, '/')))
		usage();
	*slash++ = 0;
	if ((colon = strchr(slash, ':'))) {
		*colon++ = 0;
		f->port = (uint16_t)atoi(colon);
	}
	f->plen = (uint8_t)atoi(slash);
	parse_addr16(buf, f->addr);
}

static void
add_raw_option(struct opts *o, const char *arg)
{
	uint8_t data[PCP_MAX_MSG];
	unsigned code, len;
	const char *hex = NULL;
	size_t n = 0;

	if (sscanf(arg, "%u:%u", &code, &len) != 2 || code > 255 || len > 65535)
		usage();
	if ((hex = strchr(strchr(arg, ':') + 1, ':')))
		n = parse_hex(hex + 1, data, sizeof(data));
	/* The declared length may lie (to test the server); the data is what fits. */
	if (o->extra_len + 4 + ((n + 3) & ~(size_t)3) > sizeof(o->extra))
		usage();
	o->extra[o->extra_len] = (uint8_t)code;
	o->extra[o->extra_len + 1] = 0;
	o->extra[o->extra_len + 2] = (uint8_t)(len >> 8);
	o->extra[o->extra_len + 3] = (uint8_t)len;
	memcpy(o->extra + o->extra_len + 4, data, n);
	o->extra_len += 4 + ((n + 3) & ~(size_t)3);
}

static uint8_t
parse_opcode(const char *s)
{
	if (strcmp(s, "announce") == 0)
		return PCP_OP_ANNOUNCE;
	if (strcmp(s, "map") == 0)
		return PCP_OP_MAP;
	if (strcmp(s, "peer") == 0)
		return PCP_OP_PEER;
	return (uint8_t)atoi(s);
}

static uint8_t
parse_proto(const char *s)
{
	if (strcmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (strcmp(s, "udp") == 0)
		return IPPROTO_UDP;
	return (uint8_t)atoi(s);
}

static void
parse_remote(struct opts *o, const char *arg)
{
	char buf[64];
	char *colon;

	snprintf(buf, sizeof(buf), "%s", arg);
	if (!(colon = strrchr(buf, ':')))
		usage();
	*colon++ = 0;
	o->m.rem_port = (uint16_t)atoi(colon);
	parse_addr16(buf, o->m.rem_ip);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "o:V:l:p:i:e:E:n:c:r:T:PF:X:L:x:s:t:k:m:M:u:Dd:")) != -1) {
		switch (c) {
		case 'o': o->m.opcode = parse_opcode(optarg); break;
		case 'V': o->m.version = (uint8_t)atoi(optarg); break;
		case 'l': o->m.lifetime = (uint32_t)strtoul(optarg, NULL, 10); o->lifetime_set = true; break;
		case 'p': o->m.proto = parse_proto(optarg); break;
		case 'i': o->m.int_port = (uint16_t)atoi(optarg); break;
		case 'e': o->m.ext_port = (uint16_t)atoi(optarg); break;
		case 'E': parse_addr16(optarg, o->m.ext_ip); break;
		case 'n':
			if (parse_hex(optarg, o->m.nonce, PCP_NONCE_LEN) != PCP_NONCE_LEN)
				usage();
			break;
		case 'c': parse_addr16(optarg, o->m.client_ip); o->client_set = true; break;
		case 'r': parse_remote(o, optarg); break;
		case 'T': o->m.third_party = true; parse_addr16(optarg, o->m.tp_addr); break;
		case 'P': o->m.prefer_failure = true; break;
		case 'F': add_filter(o, optarg); break;
		case 'X': add_raw_option(o, optarg); break;
		case 'd': snprintf(o->m.description, sizeof(o->m.description), "%s", optarg); break;
		case 'L': o->send_len = atol(optarg); break;
		case 'x': o->raw_len = parse_hex(optarg, o->raw, sizeof(o->raw)); break;
		case 's': o->x.local_port = (uint16_t)atoi(optarg); break;
		case 't': o->wait_ms = (unsigned)atoi(optarg); break;
		case 'k': o->x.mrc = (unsigned)atoi(optarg); break;
		case 'm': o->mcast_if = optarg; break;
		case 'M': o->mcast6_if = optarg; break;
		case 'u': o->listen_port = (uint16_t)atoi(optarg); break;
		case 'D': o->dump = true; break;
		default: usage();
		}
	}
}

static void
print_addr16(const char *key, const uint8_t ip[16])
{
	char s[INET6_ADDRSTRLEN];
	struct in_addr a;

	if (pcp_is_v4mapped(ip, &a))
		inet_ntop(AF_INET, &a, s, sizeof(s));
	else
		inet_ntop(AF_INET6, ip, s, sizeof(s));
	printf(" %s=%s", key, s);
}

static void
print_hex(const char *key, const uint8_t *b, size_t len)
{
	printf(" %s=", key);
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

static void
print_options(const struct pcpc_msg *m)
{
	if (m->third_party)
		print_addr16("third_party", m->tp_addr);
	if (m->prefer_failure)
		printf(" prefer_failure=1");
	printf(" filters=%zu", m->n_filters);
	for (size_t i = 0; i < m->n_filters; i++) {
		char key[32];
		snprintf(key, sizeof(key), "filter%zu", i);
		print_addr16(key, m->filters[i].addr);
		printf("/%u:%u", m->filters[i].plen, m->filters[i].port);
	}
	printf(" unknown_options=%zu", m->n_unknown);
	if (m->description[0])
		printf(" description=\"%s\"", m->description);
}

/* "A.B.C.D:PORT" or "[X:X::X]:PORT" */
static const char *
peer_str(const struct sockaddr_storage *ss)
{
	static char out[INET6_ADDRSTRLEN + 8];
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, sizeof(out), "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, sizeof(out), "%s:%u", a, ntohs(s4->sin_port));
	}
	return out;
}

/* One line per datagram: what pcpc_parse made of it, plus the raw bytes. */
static void
print_reply(const char *what, const struct sockaddr_storage *from, const uint8_t *b, size_t len)
{
	struct pcpc_msg m;
	static const uint8_t zero[12];
	int rc = pcpc_parse(b, len, &m);

	printf("%s from=%s len=%zu", what, peer_str(from), len);
	if (len >= 4)
		printf(" version=%u opcode=%u r=%u", b[0], b[1] & 0x7f, b[1] >> 7);
	if (len >= 8 && b[0] == 0) {		/* NAT-PMP: 16-bit result at 2, epoch at 4 */
		printf(" result=%u epoch=%u", b[2] << 8 | b[3],
		    (unsigned)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7]);
		if (len == 12)
			printf(" ext_ip=%u.%u.%u.%u", b[8], b[9], b[10], b[11]);
		if (len == 16)
			printf(" int_port=%u ext_port=%u lifetime=%u", b[8] << 8 | b[9],
			    b[10] << 8 | b[11],
			    (unsigned)b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15]);
	}
	if (rc == 0 && m.version == PCP_VERSION) {
		printf(" result=%u result_name=%s lifetime=%u epoch=%u reserved_zero=%d",
		    m.result, pcp_result_name(m.result), m.lifetime, m.epoch,
		    memcmp(b + 12, zero, 12) == 0);
		if (m.opcode == PCP_OP_MAP || m.opcode == PCP_OP_PEER) {
			print_hex("nonce", m.nonce, PCP_NONCE_LEN);
			printf(" proto=%u int_port=%u ext_port=%u", m.proto, m.int_port, m.ext_port);
			print_addr16("ext_ip", m.ext_ip);
		}
		if (m.opcode == PCP_OP_PEER) {
			printf(" rem_port=%u", m.rem_port);
			print_addr16("rem_ip", m.rem_ip);
		}
		print_options(&m);
	} else if (rc < 0) {
		printf(" parse=invalid");
	}
	print_hex("hex", b, len);
	printf("\n");
	fflush(stdout);
}

/* The client IP field: our source address toward the server. */
static int
fill_client(struct opts *o)
{
	struct in_addr local;

	if (o->x.v6)
		return pcpc_local_addr6(&o->x.server6, o->x.scope_id,
		    (struct in6_addr *)o->m.client_ip);
	if (pcpc_local_addr(o->x.server, &local) < 0)
		return -1;
	pcp_v4mapped(local, o->m.client_ip);
	return 0;
}

static size_t
build_request(struct opts *o, uint8_t *buf, size_t cap)
{
	size_t len;

	if (o->raw_len) {
		memcpy(buf, o->raw, o->raw_len < cap ? o->raw_len : cap);
		len = o->raw_len < cap ? o->raw_len : cap;
	} else {
		if (!o->client_set && fill_client(o) < 0)
			return 0;
		if ((len = pcpc_build(&o->m, buf, cap)) == 0)
			return 0;
		if (len + o->extra_len > cap)
			return 0;
		memcpy(buf + len, o->extra, o->extra_len);
		len += o->extra_len;
	}
	if (o->send_len >= 0) {
		if ((size_t)o->send_len > cap)
			return 0;
		if ((size_t)o->send_len > len)
			memset(buf + len, 0, (size_t)o->send_len - len);
		len = (size_t)o->send_len;
	}
	return len;
}

/* SERVER: A.B.C.D, or X:X::X with %IFNAME when link-local; from = it, port 5351. */
static void
parse_server(struct opts *o, const char *server, struct sockaddr_storage *from)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *pct;

	memset(from, 0, sizeof(*from));
	if (inet_pton(AF_INET, server, &o->x.server) == 1) {
		*(struct sockaddr_in *)from = (struct sockaddr_in){ .sin_family = AF_INET,
		    .sin_port = htons(PCP_SERVER_PORT), .sin_addr = o->x.server };
		return;
	}
	if (strlen(server) >= sizeof(buf))
		usage();
	snprintf(buf, sizeof(buf), "%s", server);
	if ((pct = strchr(buf, '%'))) {
		*pct++ = '\0';
		if (!(o->x.scope_id = if_nametoindex(pct)))
			usage();
	}
	if (inet_pton(AF_INET6, buf, &o->x.server6) != 1)
		usage();
	o->x.v6 = true;
	*(struct sockaddr_in6 *)from = (struct sockaddr_in6){ .sin6_family = AF_INET6,
	    .sin6_port = htons(PCP_SERVER_PORT), .sin6_addr = o->x.server6 };
}

static int
do_request(struct opts *o, const char *server)
{
	uint8_t buf[PCP_MAX_MSG * 2], resp[PCP_MAX_MSG * 2];
	struct sockaddr_storage from;
	size_t len;
	ssize_t n;

	parse_server(o, server, &from);
	if ((len = build_request(o, buf, sizeof(buf))) == 0 && o->send_len != 0) {
		fprintf(stderr, "pcptest: cannot build that request\n");
		return 1;
	}
	if (o->dump) {
		printf("request len=%zu", len);
		print_hex("hex", buf, len);
		printf("\n");
	}
	o->x.irt_ms = o->wait_ms;
	o->x.mrd_ms = o->wait_ms * (o->x.mrc ? o->x.mrc : 1);
	n = pcpc_exchange(&o->x, buf, len, resp, sizeof(resp));
	if (n < 0) {
		printf("noreply error=%s\n", strerror((int)-n));
		return 2;
	}
	print_reply("reply", &from, resp, (size_t)n);
	return 0;
}

/* [ff02::1]:5350 on one interface: the IPv6 announcements. */
static int
open_listener6(struct opts *o)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(PCP_CLIENT_PORT) };
	struct ipv6_mreq mr = { .ipv6mr_interface = if_nametoindex(o->mcast6_if) };
	int one = 1, s = socket(AF_INET6, SOCK_DGRAM, 0);

	inet_pton(AF_INET6, "ff02::1", &mr.ipv6mr_multiaddr);
	if (!mr.ipv6mr_interface)
		usage();
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		perror("pcptest: listener");
		exit(1);
	}
	setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	return s;
}

static int
open_listener(struct opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1, s = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_port = htons(o->mcast_if ? PCP_CLIENT_PORT : o->listen_port);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("pcptest: listener");
		exit(1);
	}
	if (o->mcast_if) {
		struct ip_mreq mr;
		inet_pton(AF_INET, "224.0.0.1", &mr.imr_multiaddr);
		if (inet_pton(AF_INET, o->mcast_if, &mr.imr_interface) != 1)
			usage();
		/* Every host is already in 224.0.0.1; joining only makes it explicit. */
		setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	}
	return s;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints every datagram until the time is up, with its arrival time (ms). */
static int
do_listen(struct opts *o)
{
	int s = o->mcast6_if ? open_listener6(o) : open_listener(o), got = 0;
	int64_t start = now_ms(), first = -1;

	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int64_t left = start + o->wait_ms - now_ms();
		struct pollfd pfd = { s, POLLIN, 0 };
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		uint8_t b[PCP_MAX_MSG * 2];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		if (first < 0)
			first = now_ms();
		char what[48];
		snprintf(what, sizeof(what), "packet t_ms=%lld", (long long)(now_ms() - first));
		print_reply(what, &from, b, (size_t)n);
		got++;
	}
	close(s);
	return got ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct opts o;

	memset(&o, 0, sizeof(o));
	o.m.version = PCP_VERSION;
	o.m.opcode = PCP_OP_MAP;
	o.m.lifetime = 3600;
	o.m.proto = IPPROTO_TCP;
	o.send_len = -1;
	o.wait_ms = 1000;
	o.x.mrc = 1;
	if (pcpc_nonce(o.m.nonce) < 0)
		return 1;
	parse_args(argc, argv, &o);
	if (o.m.opcode == PCP_OP_ANNOUNCE && !o.lifetime_set)
		o.m.lifetime = 0;		/* §14.1.2 */
	if (o.mcast_if || o.mcast6_if || o.listen_port)
		return do_listen(&o);
	if (optind != argc - 1)
		usage();
	return do_request(&o, argv[optind]);
}
