/*
 * reflect: `porthole reflect --listen ADDR:PORT`, a small HTTP server meant
 * to face the Internet. Everything a request can make it do is bounded:
 * the body (1 KiB), the ports (16, and only those allowed), the rate per
 * source address, connections (in all and per address), the time a
 * connection may idle, and the time spent connecting back. It connects
 * only to the address the request came from; a request that names an
 * address is refused (reflect_wire). One thread per HTTP connection (MHD's
 * own), since a test blocks for seconds while it connects back.
 *
 *   POST /   {"ports": [25, 587]}   -> 200 and the results
 *   400 malformed, 401 token, 405 not POST, 413 too long, 429 too often
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "clock.h"
#include "reflect.h"

#define MAX_CONNS	64
#define MAX_PER_IP	4
#define IDLE_TIMEOUT_S	10
#define CONN_MEMORY	(16 * 1024)
#define DISCARD_MAX	(64 * 1024)	/* read past the cap before hanging up */
#define SOURCES_MAX	4096
#define TOKEN_MAX	256

struct reflector {
	bool			 allowed[65536];
	char			 token[TOKEN_MAX];	/* "" = none asked for */
	unsigned		 rate;
	int			 connect_ms;
	int			 greet_ms;
	bool			 verbose;
	struct srclimit		*limit;
};

struct req {
	struct sockaddr_storage	peer;		/* where to connect back */
	char			text[INET6_ADDRSTRLEN];
	bool			refused;	/* a refusal is queued */
	char			body[PHC_REFLECT_REQUEST_MAX];
	size_t			len;
	size_t			seen;
};

/* --- the request ---------------------------------------------------------- */

static enum MHD_Result
send_json(struct MHD_Connection *c, unsigned status, char *json)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (json == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(json);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Refuses the request with one sentence, and logs it against the source. */
static enum MHD_Result
refuse(const struct reflector *rf, struct MHD_Connection *c, const char *peer,
    unsigned status, const char *msg)
{
	if (rf->verbose)
		fprintf(stderr, "porthole reflect: %s refused (%u): %s\n", peer, status, msg);
	return send_json(c, status, phc_reflect_error_format(msg));
}

/*
 * The source as an address to connect back to, its text, and a 16-byte
 * key for the rate limit: the IPv4 address, or an IPv6 source's /64 (one
 * host picks any address of its /64 at will, privacy addresses do).
 */
static bool
source_of(struct MHD_Connection *c, struct sockaddr_storage *ss, char *text, size_t len,
    uint8_t key[16])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	memset(ss, 0, sizeof(*ss));
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*(struct sockaddr_in6 *)ss = *s6;
			memcpy(key, &s6->sin6_addr, 8);
			memset(key + 8, 0, 8);
			return inet_ntop(AF_INET6, &s6->sin6_addr, text, (socklen_t)len) != NULL;
		}
		/* A dual-stack socket: connect back over IPv4. */
		ss->ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	} else if (sa != NULL && sa->sa_family == AF_INET) {
		*(struct sockaddr_in *)ss = *(const struct sockaddr_in *)sa;
	} else {
		return false;
	}
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, &((struct sockaddr_in *)ss)->sin_addr, 4);
	return inet_ntop(AF_INET, &((struct sockaddr_in *)ss)->sin_addr, text,
	    (socklen_t)len) != NULL;
}

/* "Bearer TOKEN", compared in time independent of where it differs. */
static bool
token_ok(const struct reflector *rf, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t want = strlen(rf->token), i;
	unsigned char diff = 0;

	if (want == 0)
		return true;
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != want)
		return false;
	for (i = 0; i < want; i++)
		diff |= (unsigned char)(h[7 + i] ^ rf->token[i]);
	return diff == 0;
}

static void
log_results(const char *peer, const struct phc_reflect_result *res, size_t n)
{
	char line[PHC_REFLECT_PORTS_MAX * 24] = "";
	size_t i, used = 0;

	for (i = 0; i < n && used < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %u=%s", res[i].port,
		    res[i].allowed ? porthole_reach_name(res[i].result) : "not_allowed");
	fprintf(stderr, "porthole reflect: %s tested:%s\n", peer, line);
}

/*
 * What can be decided from the headers alone, before any body is read:
 * the rate, the token, the method, an announced length. MHD_YES with
 * *refused set when a refusal was queued.
 */
static enum MHD_Result
screen(struct reflector *rf, struct MHD_Connection *c, const char *method, struct req *rq)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint8_t key[16];

	if (!source_of(c, &rq->peer, rq->text, sizeof(rq->text), key))
		return MHD_NO;
	rq->refused = true;
	/* Every request counts, well formed or not: a flood is a flood. */
	if (!srclimit_allow(rf->limit, key, mono_ms()))
		return refuse(rf, c, rq->text, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests "
		    "from this address: wait a minute");
	if (!token_ok(rf, c))
		return refuse(rf, c, rq->text, MHD_HTTP_UNAUTHORIZED, "this reflector wants its "
		    "token (Authorization: Bearer)");
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return refuse(rf, c, rq->text, MHD_HTTP_METHOD_NOT_ALLOWED, "POST a JSON body "
		    "like {\"ports\": [25, 587]}");
	if (cl != NULL && strtoull(cl, NULL, 10) > sizeof(rq->body))
		return refuse(rf, c, rq->text, MHD_HTTP_CONTENT_TOO_LARGE, "request body longer "
		    "than 1024 bytes");
	rq->refused = false;
	return MHD_YES;
}

static enum MHD_Result
answer(struct reflector *rf, struct MHD_Connection *c, const struct req *rq)
{
	struct phc_reflect_result res[PHC_REFLECT_PORTS_MAX];
	uint16_t ports[PHC_REFLECT_PORTS_MAX];
	bool allowed[PHC_REFLECT_PORTS_MAX];
	char err[200];
	size_t n = 0, i;

	if (rq->seen > sizeof(rq->body))
		return refuse(rf, c, rq->text, MHD_HTTP_CONTENT_TOO_LARGE, "request body longer "
		    "than 1024 bytes");
	if (phc_reflect_request_parse(rq->body, rq->len, ports, &n, err, sizeof(err)) != 0)
		return refuse(rf, c, rq->text, MHD_HTTP_BAD_REQUEST, err);
	for (i = 0; i < n; i++)
		allowed[i] = rf->allowed[ports[i]];
	probe_ports(&rq->peer, ports, allowed, n, rf->connect_ms, rf->greet_ms, res);
	if (rf->verbose)
		log_results(rq->text, res, n);
	return send_json(c, MHD_HTTP_OK, phc_reflect_reply_format(rq->text, res, n));
}

/* Screens the headers, collects the body (bounded), then answers. */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct req *rq = *con_cls;

	(void)url;
	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		return screen(cls, c, method, rq);
	}
	if (rq->refused)
		return MHD_NO;
	if (*data_size != 0) {
		if (rq->seen + *data_size > DISCARD_MAX)
			return MHD_NO;
		if (rq->seen + *data_size <= sizeof(rq->body))
			memcpy(rq->body + rq->len, data, *data_size);
		rq->seen += *data_size;
		rq->len = rq->seen <= sizeof(rq->body) ? rq->seen : 0;
		*data_size = 0;
		return MHD_YES;
	}
	return answer(cls, c, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* --- options -------------------------------------------------------------- */

/* "25,465,1024-2000": sets allowed[]; -1 on a bad list. */
static int
parse_ports(const char *s, bool *allowed)
{
	char *end;
	long lo, hi;

	memset(allowed, 0, 65536 * sizeof(*allowed));
	for (;;) {
		lo = strtol(s, &end, 10);
		hi = lo;
		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s)
				return -1;
		}
		if (lo < 1 || hi > 65535 || lo > hi)
			return -1;
		while (lo <= hi)
			allowed[lo++] = true;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

/* By default the TCP ports of the mail profile, which `porthole status` asks for. */
static void
default_ports(bool *allowed)
{
	struct porthole_profile p;
	size_t i;

	porthole_profile_builtin("mail", &p);
	for (i = 0; i < p.n; i++)
		if (p.port[i].proto == IPPROTO_TCP && !p.port[i].optional)
			allowed[p.port[i].port] = true;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT". */
static int
parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	size_t hl;
	char *end;
	long port;

	if (colon == NULL || (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1 ? 0 : -1;
}

static int
read_token(const char *path, char *token)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(token, 1, TOKEN_MAX - 1, f);
	fclose(f);
	token[n] = '\0';
	token[strcspn(token, "\r\n")] = '\0';
	return token[0] != '\0' ? 0 : -1;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: porthole reflect --listen ADDR:PORT [options]\n"
	    "  -L, --listen ADDR:PORT      where to serve (0.0.0.0:8025, [::]:8025)\n"
	    "  -a, --allow-ports LIST      ports it tests, e.g. 25,587,1000-1010\n"
	    "                              (default: the mail profile's, 25,587,465,...)\n"
	    "  -T, --token-file FILE       ask clients for this shared secret\n"
	    "  -r, --rate N                requests per source address per minute (default 6)\n"
	    "  -c, --connect-timeout MS    to connect back (default 3000)\n"
	    "  -G, --greeting-timeout MS   to read the greeting after (default 2000)\n"
	    "  -v, --verbose               log every request on stderr\n");
}

static int
number(const char *arg, long lo, long hi, long *v)
{
	char *end;

	*v = strtol(arg, &end, 10);
	return *end == '\0' && end != arg && *v >= lo && *v <= hi ? 0 : -1;
}

static int
parse_opts(struct reflector *rf, struct sockaddr_storage *ss, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "allow-ports", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "rate", required_argument, NULL, 'r' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "greeting-timeout", required_argument, NULL, 'G' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool listen = false;
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "L:a:T:r:c:G:vh", longopts, NULL)) != -1) {
		const char *bad = NULL;

		switch (ch) {
		case 'L':
			listen = parse_listen(optarg, ss) == 0;
			bad = listen ? NULL : "--listen wants ADDR:PORT, e.g. 0.0.0.0:8025";
			break;
		case 'a':
			bad = parse_ports(optarg, rf->allowed) == 0 ? NULL :
			    "--allow-ports wants ports and ranges, e.g. 25,587,1000-1010";
			break;
		case 'T':
			bad = read_token(optarg, rf->token) == 0 ? NULL :
			    "--token-file: cannot read a token (one line) from that file";
			break;
		case 'r':
			bad = number(optarg, 1, 600, &v) == 0 ? NULL : "--rate wants 1 to 600";
			rf->rate = (unsigned)v;
			break;
		case 'c':
		case 'G':
			bad = number(optarg, 100, 10000, &v) == 0 ? NULL :
			    "timeouts are 100 to 10000 milliseconds";
			*(ch == 'c' ? &rf->connect_ms : &rf->greet_ms) = (int)v;
			break;
		case 'v':
			rf->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (bad != NULL) {
			fprintf(stderr, "porthole reflect: %s\n", bad);
			return -1;
		}
	}
	if (!listen || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int
reflect_main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct reflector *rf;
	struct MHD_Daemon *d;
	sigset_t sigs;
	int sig;

	if ((rf = calloc(1, sizeof(*rf))) == NULL)
		return 4;
	rf->rate = 6;
	rf->connect_ms = 3000;
	rf->greet_ms = 2000;
	default_ports(rf->allowed);
	if (parse_opts(rf, &ss, argc, argv) != 0 ||
	    (rf->limit = srclimit_new(rf->rate, SOURCES_MAX)) == NULL) {
		free(rf);
		return 2;
	}
	/* Signals are waited for below, not delivered to MHD's threads. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_POLL | (ss.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0), 0, NULL, NULL,
	    handler, rf,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "porthole reflect: cannot listen there: %s (in use? an address "
		    "of this host?)\n", strerror(errno));
		srclimit_free(rf->limit);
		free(rf);
		return 4;
	}
	fprintf(stderr, "porthole reflect: listening%s\n", rf->token[0] ? " (token required)" : "");
	while (sigwait(&sigs, &sig) != 0)
		;
	MHD_stop_daemon(d);
	srclimit_free(rf->limit);
	free(rf);
	return 0;
}
