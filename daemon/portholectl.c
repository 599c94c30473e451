/*
 * portholectl: the admin's view of portholed, over its UNIX socket.
 * Thin on purpose: the daemon does the work, this formats the answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/portholed.sock"

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
	    "exit status: 0 done, 1 the daemon refused (it says why), 2 usage or connection error\n");
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

/* Turn the daemon's tab-separated list into an aligned table. */
static void
print_list_line(char *line)
{
	char *f[10], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, "\t", &save); t && n < 10; t = strtok_r(NULL, "\t", &save))
		f[n++] = t;
	if (n < 9)
		return;
	char target[32], lease[24];
	snprintf(target, sizeof(target), "%s:%s", f[2], f[3]);
	if (!strncmp(f[5], "permanent:", 10))
		snprintf(lease, sizeof(lease), "permanent");
	else
		snprintf(lease, sizeof(lease), "%ss", f[5]);
	printf("%-5s %-6s %-21s %-7s %-10s %-15s %10s %12s  %s\n", f[0], f[1], target, f[4],
	    lease, f[6], f[7], f[8], n > 9 ? f[9] : "");
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	char req[512] = "", buf[8192], line[1024];
	size_t llen = 0, used = 0;
	int opt, fd, rc = 2;
	int listing;

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
		printf("%-5s %-6s %-21s %-7s %-10s %-15s %10s %12s  %s\n", "PROTO", "EXT",
		    "INTERNAL", "OWNER", "LEASE", "REMOTE", "PACKETS", "BYTES", "DESCRIPTION");
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (llen < sizeof(line) - 1)
					line[llen++] = buf[i];
				continue;
			}
			line[llen] = '\0';
			llen = 0;
			if (!strncmp(line, "OK", 2)) {
				if (line[2] && !listing)
					printf("%s\n", line + 3);
				rc = 0;
			} else if (!strncmp(line, "ERR ", 4)) {
				fprintf(stderr, "portholectl: %s\n", line + 4);
				rc = 1;
			} else if (listing) {
				print_list_line(line);
			} else {
				printf("%s\n", line);
			}
		}
	}
	close(fd);
	if (rc == 2)
		fprintf(stderr, "portholectl: the daemon closed the connection without an answer\n");
	return rc;
}
