/*
 * portholectl: the admin's view of portholed, over its UNIX socket.
 * Thin on purpose: the daemon does the work, this formats the answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "prefix6.h"

#define DEFAULT_SOCKET "/run/portholed.sock"

static bool listing;	/* the command is list: print a table */

/* --help prints this to stdout and exits 0; a usage error to stderr, exit 2. */
static void
usage(FILE *out, int status)
{
	fprintf(out,
	    "usage: portholectl [-s SOCKET] COMMAND\n"
	    "  list                                  every mapping, whatever made it\n"
	    "  add tcp|udp EXTPORT INTADDR INTPORT [LIFETIME [DESC]]\n"
	    "                                        a static mapping (LIFETIME 0 = permanent)\n"
	    "  del tcp|udp EXTPORT                   remove one mapping\n"
	    "  flush [static|upnp|natpmp|pcp]        remove all (of one owner)\n"
	    "  status                                external address and counts\n"
	    "  -h, --help / -V, --version\n"
	    "exit status: 0 done, 1 the daemon refused (it says why), 2 usage, connection or\n"
	    "protocol error\n");
	exit(status);
}

static int
connect_daemon(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "portholectl: socket path too long: %s\n", path);
		exit(2);
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			fprintf(stderr, "portholectl: %s: permission denied (run as root)\n", path);
		else
			fprintf(stderr, "portholectl: cannot reach portholed at %s: %s "
			    "(is it running? -s names another socket)\n", path, strerror(e));
		exit(2);
	}
	return fd;
}

#define LIST_FMT "%-5s %-6s %-21s %-7s %-10s %-15s %10s %12s  %s\n"

/* One mapping record as a row of the aligned table. */
static int
print_mapping(const struct ctl_record *r)
{
	char target[32], lease[24], remote[INET_ADDRSTRLEN] = "any", ext[8], pk[24], by[24];
	struct ctl_mapping m;

	if (ctl_mapping_parse(r, &m) < 0)
		return -1;
	inet_ntop(AF_INET, &m.int_addr, target, sizeof(target));
	snprintf(target + strlen(target), sizeof(target) - strlen(target), ":%u", m.int_port);
	if (m.permanent)
		snprintf(lease, sizeof(lease), "permanent");
	else
		snprintf(lease, sizeof(lease), "%us", m.lease_left);
	if (m.remote.s_addr)
		inet_ntop(AF_INET, &m.remote, remote, sizeof(remote));
	snprintf(ext, sizeof(ext), "%u", m.ext_port);
	snprintf(pk, sizeof(pk), "%llu", (unsigned long long)m.packets);
	snprintf(by, sizeof(by), "%llu", (unsigned long long)m.bytes);
	printf(LIST_FMT, m.proto, ext, target, m.owner, lease, remote, pk, by, m.desc);
	return 0;
}

/* Any other record: one key=value per line (status). */
static void
print_pairs(const struct ctl_record *r)
{
	for (int i = 0; i < r->n; i++)
		printf("%s=%s\n", r->pair[i].key, r->pair[i].val);
}

/* One pinhole record as a row of the same table: [address]:port, the port
 * being the external one too; REMOTE is address or [address]:port. */
static int
print_pinhole(const struct ctl_record *r)
{
	char a[INET6_ADDRSTRLEN], target[INET6_ADDRSTRLEN + 8], lease[24], remote[PREFIX6_STRLEN + 8];
	char ext[8], pk[24], by[24];
	struct ctl_pinhole p;

	if (ctl_pinhole_parse(r, &p) < 0)
		return -1;
	inet_ntop(AF_INET6, &p.addr, a, sizeof(a));
	snprintf(target, sizeof(target), "[%s]:%u", a, p.port);
	if (p.permanent)
		snprintf(lease, sizeof(lease), "permanent");
	else
		snprintf(lease, sizeof(lease), "%us", p.lease_left);
	snprintf(remote, sizeof(remote), "any");
	if (!IN6_IS_ADDR_UNSPECIFIED(&p.remote)) {
		char prefix[PREFIX6_STRLEN];
		prefix6_format(&p.remote, p.remote_plen, prefix, sizeof(prefix));
		if (p.remote_port)
			snprintf(remote, sizeof(remote), "[%s]:%u", prefix, p.remote_port);
		else
			snprintf(remote, sizeof(remote), "%s", prefix);
	}
	snprintf(ext, sizeof(ext), "%u", p.port);
	snprintf(pk, sizeof(pk), "%llu", (unsigned long long)p.packets);
	snprintf(by, sizeof(by), "%llu", (unsigned long long)p.bytes);
	printf(LIST_FMT, p.proto, ext, target, p.owner, lease, remote, pk, by, p.desc);
	return 0;
}

/* A record of the list as a row; 0, or -1 when it does not parse. */
static int
print_row(const struct ctl_record *r)
{
	if (!strcmp(r->type, CTL_REC_MAPPING))
		return print_mapping(r);
	if (!strcmp(r->type, CTL_REC_PINHOLE))
		return print_pinhole(r);
	print_pairs(r);
	return 0;
}


/*
 * One reply line. The version line comes first; then records, and the final
 * OK (exit 0) or ERR (exit 1). Returns the exit status so far: 2 until the
 * final line, or at once for a reply this portholectl cannot read.
 */
static int
reply_line(char *line, int *version)
{
	struct ctl_record r;

	if (*version < 0) {
		if ((*version = ctl_hello_version(line)) == CTL_VERSION)
			return 2;
		fprintf(stderr, "portholectl: the daemon speaks %s%s, this portholectl "
		    CTL_HELLO " %d: use the portholectl of the same release\n",
		    *version < 0 ? "no known control protocol: " : "", line, CTL_VERSION);
		return -2;
	}
	if (!strncmp(line, "OK", 2) && (!line[2] || line[2] == ' ')) {
		if (line[2] && strcmp(line + 3, "") && !listing)
			printf("%s\n", line + 3);
		return 0;
	}
	if (!strncmp(line, "ERR ", 4)) {
		fprintf(stderr, "portholectl: %s\n", line + 4);
		return 1;
	}
	if (ctl_record_split(line, &r) < 0 ||
	    print_row(&r) < 0) {
		fprintf(stderr, "portholectl: cannot read the daemon's line '%s'\n", line);
		return -2;
	}
	return 2;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	char req[CTL_REQ_MAX] = "", buf[8192], line[CTL_LINE_MAX];
	size_t llen = 0, used = 0;
	int opt, fd, rc = 2, version = -1;

	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* '+': options end at the command, so "add ... -1" is not an option. */
	while ((opt = getopt_long(argc, argv, "+s:hV", longopts, NULL)) != -1) {
		if (opt == 's')
			path = optarg;
		else if (opt == 'h')
			usage(stdout, 0);
		else if (opt == 'V') {
			printf("portholectl %s\n", PORTHOLE_VERSION);
			return 0;
		} else
			usage(stderr, 2);
	}
	if (optind >= argc)
		usage(stderr, 2);
	for (int i = optind; i < argc; i++) {
		int n = snprintf(req + used, sizeof(req) - used, "%s%s", i > optind ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(req) - used) {
			fprintf(stderr, "portholectl: request too long\n");
			return 2;
		}
		used += (size_t)n;
	}
	listing = !strcmp(argv[optind], "list");
	fd = connect_daemon(path);
	strcat(req, "\n");
	if (write(fd, req, strlen(req)) < 0) {
		perror("portholectl: write");
		return 2;
	}
	if (listing)
		printf(LIST_FMT, "PROTO", "EXT", "INTERNAL", "OWNER", "LEASE", "REMOTE", "PACKETS",
		    "BYTES", "DESCRIPTION");
	while (rc == 2) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && rc == 2; i++) {
			if (buf[i] != '\n') {
				if (llen < sizeof(line) - 1)
					line[llen++] = buf[i];
				continue;
			}
			line[llen] = '\0';
			llen = 0;
			rc = reply_line(line, &version);
		}
	}
	close(fd);
	if (rc == 2)
		fprintf(stderr, "portholectl: the daemon closed the connection without an answer\n");
	return rc < 0 ? 2 : rc;
}
